//! Emitted-name collisions: two definitions that would reach Prometheus under one name.
//!
//! Alert names are built from service and alert names with `-` and `_` both read as word breaks, and SLO ids
//! (the `slo_id` label and the rule group name) join service and SLO names with `-`. So alerts `a-b` and `a_b`,
//! or service `shop-api` with SLO `latency` and service `shop` with SLO `api-latency`, are distinct in the policy
//! and one thing in Prometheus: duplicate alerts, recording rules writing the same series, groups that clash.

use crate::diag::{Code, Diagnostic};
use crate::model::names::{absent_name, alert_name, no_traffic_name, slo_id};
use crate::model::Model;
use crate::source::Span;
use std::collections::HashMap;

/// Reports every emitted name claimed by two definitions (the first one is the label).
pub fn check(model: &Model, diags: &mut Vec<Diagnostic>) {
    let mut alerts: HashMap<String, (Span, String)> = HashMap::new();
    let mut ids: HashMap<String, (Span, String)> = HashMap::new();
    for s in &model.services {
        for a in &s.alerts {
            let what = format!("alert `{}` of service `{}`", a.name.value, s.name.value);
            claim(
                &mut alerts,
                alert_name(s, a),
                a.name.span,
                what,
                "alert",
                diags,
            );
        }
        let mut absent_done = Vec::new();
        for slo in &s.slos {
            let what = format!("SLO `{}` of service `{}`", slo.name.value, s.name.value);
            claim(
                &mut ids,
                slo_id(s, slo),
                slo.name.span,
                what,
                "SLO id",
                diags,
            );
            if absent_done.contains(&slo.sli) {
                continue;
            }
            absent_done.push(slo.sli);
            if let Some(sli) = s.slis.get(slo.sli) {
                let what = format!("SLI `{}` of service `{}`", sli.name.value, s.name.value);
                let name = absent_name(s, &sli.name.value);
                claim(
                    &mut alerts,
                    name,
                    sli.name.span,
                    what.clone(),
                    "alert",
                    diags,
                );
                let name = no_traffic_name(s, &sli.name.value);
                claim(&mut alerts, name, sli.name.span, what, "alert", diags);
            }
        }
    }
}

fn claim(
    seen: &mut HashMap<String, (Span, String)>,
    name: String,
    span: Span,
    what: String,
    kind: &str,
    diags: &mut Vec<Diagnostic>,
) {
    if let Some((first, first_what)) = seen.get(&name) {
        diags.push(
            Diagnostic::new(
                Code::NameCollision,
                span,
                format!("{what} and {first_what} would both be emitted as the {kind} `{name}`"),
            )
            .with_primary_label(format!("becomes `{name}`"))
            .with_label(*first, format!("also becomes `{name}`"))
            .with_help(
                "rename one of them: in emitted names `-` and `_` both separate words, and service and SLO \
                 names are joined with `-`",
            ),
        );
    } else {
        seen.insert(name, (span, what));
    }
}
