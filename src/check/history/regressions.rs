//! Policy regressions: the base and head models matched by identity (service, SLO, alert, gate), every
//! weakening reported for review with spans at both revisions.

use crate::diag::{Code, Diagnostic};
use crate::model::units::{percent, plain};
use crate::model::{
    AlertSeverity, CanaryLimit, Condition, Gate, Metric, Model, Service, SliKind, Slo,
};
use crate::syntax::ast::CmpOp;

/// Every regression from `base` to `head`.
pub fn compare(base: &Model, head: &Model, label: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for b in &base.services {
        // A service whose file does not parse now, or that has errors of its own, is not compared: its
        // definitions are unknown, and the errors are what to fix first.
        if head.unparsed.contains(&b.name.value) {
            continue;
        }
        let Some(h) = head.services.iter().find(|h| h.name.value == b.name.value) else {
            out.push(
                Diagnostic::new(
                    Code::ServiceRemoved,
                    b.name.span,
                    format!("service `{}` was removed", b.name.value),
                )
                .with_primary_label(format!("defined at {label}"))
                .with_help("its SLOs, alerts and gates are gone; make sure that is intended"),
            );
            continue;
        };
        if h.incomplete {
            continue;
        }
        service(b, h, label, &mut out);
    }
    out
}

fn service(b: &Service, h: &Service, label: &str, out: &mut Vec<Diagnostic>) {
    for bs in &b.slos {
        let Some(hs) = h.slos.iter().find(|x| x.name.value == bs.name.value) else {
            out.push(
                Diagnostic::new(
                    Code::SloRemoved,
                    bs.name.span,
                    format!("SLO `{}` of `{}` was removed", bs.name.value, b.name.value),
                )
                .with_primary_label(format!("defined at {label}"))
                .with_label(h.name.span, "the service now"),
            );
            continue;
        };
        slo(b, bs, h, hs, label, out);
    }
    for ba in &b.alerts {
        let Some(ha) = h.alerts.iter().find(|x| x.name.value == ba.name.value) else {
            out.push(
                Diagnostic::new(
                    Code::AlertRemoved,
                    h.name.span,
                    format!(
                        "alert `{}` of `{}` was removed",
                        ba.name.value, b.name.value
                    ),
                )
                .with_primary_label("no longer has this alert")
                .with_label(ba.name.span, format!("defined at {label}"))
                .with_help("burns of its SLO no longer page or open tickets"),
            );
            continue;
        };
        let paged =
            |a: &crate::model::Alert| a.windows.iter().any(|w| w.severity == AlertSeverity::Page);
        if paged(ba) && !paged(ha) {
            out.push(
                Diagnostic::new(
                    Code::AlertDowngraded,
                    ha.name.span,
                    format!(
                        "alert `{}` of `{}` no longer pages",
                        ha.name.value, h.name.value
                    ),
                )
                .with_primary_label("no page windows now")
                .with_label(ba.name.span, format!("paged at {label}")),
            );
        }
        if let (Some(br), None) = (&ba.runbook, &ha.runbook) {
            out.push(
                Diagnostic::new(
                    Code::RunbookRemoved,
                    ha.name.span,
                    format!(
                        "alert `{}` of `{}` lost its runbook",
                        ha.name.value, h.name.value
                    ),
                )
                .with_primary_label("no runbook now")
                .with_label(br.span, format!("runbook at {label}")),
            );
        }
    }
    for bg in &b.gates {
        let Some(hg) = h.gates.iter().find(|x| x.name.value == bg.name.value) else {
            out.push(
                Diagnostic::new(
                    Code::GateLoosened,
                    h.name.span,
                    format!("gate `{}` of `{}` was removed", bg.name.value, b.name.value),
                )
                .with_primary_label("no longer has this gate")
                .with_label(bg.name.span, format!("defined at {label}")),
            );
            continue;
        };
        gate(b, bg, h, hg, label, out);
    }
}

fn slo(b: &Service, bs: &Slo, h: &Service, hs: &Slo, label: &str, out: &mut Vec<Diagnostic>) {
    if hs.objective.value < bs.objective.value {
        out.push(
            Diagnostic::new(
                Code::ObjectiveLowered,
                hs.objective.span,
                format!(
                    "objective of SLO `{}` of `{}` lowered from {} to {}",
                    hs.name.value,
                    h.name.value,
                    percent(bs.objective.value),
                    percent(hs.objective.value)
                ),
            )
            .with_primary_label(format!("now {}", percent(hs.objective.value)))
            .with_label(
                bs.objective.span,
                format!("{} at {label}", percent(bs.objective.value)),
            )
            .with_help(format!(
                "the error budget grows from {} to {}; make sure this is a reviewed decision",
                percent(bs.error_budget()),
                percent(hs.error_budget())
            )),
        );
    }
    if hs.window.value < bs.window.value {
        out.push(
            Diagnostic::new(
                Code::WindowShortened,
                hs.window.span,
                format!(
                    "window of SLO `{}` of `{}` shortened from {} to {}",
                    hs.name.value, h.name.value, bs.window.value, hs.window.value
                ),
            )
            .with_primary_label(format!("now {}", hs.window.value))
            .with_label(bs.window.span, format!("{} at {label}", bs.window.value)),
        );
    }
    let (bq, hq) = (queries(&b.slis[bs.sli].kind), queries(&h.slis[hs.sli].kind));
    if bq != hq {
        out.push(
            Diagnostic::new(
                Code::SliChanged,
                h.slis[hs.sli].name.span,
                format!(
                    "the SLI of SLO `{}` of `{}` changed",
                    hs.name.value, h.name.value
                ),
            )
            .with_primary_label("new queries: the recorded error-ratio history starts again")
            .with_label(b.slis[bs.sli].name.span, format!("the SLI at {label}")),
        );
    }
}

/// An SLI's queries, whitespace-insensitive.
fn queries(k: &SliKind) -> Vec<String> {
    let norm = |s: &str| s.split_whitespace().collect::<String>();
    match k {
        SliKind::Ratio {
            events,
            events_are_bad,
            total,
        } => {
            vec![
                norm(&events.text),
                events_are_bad.to_string(),
                norm(&total.text),
            ]
        }
        SliKind::Latency { histogram, under } => {
            vec![norm(&histogram.text), under.value.millis.to_string()]
        }
    }
}

fn gate(b: &Service, bg: &Gate, h: &Service, hg: &Gate, label: &str, out: &mut Vec<Diagnostic>) {
    let describe = |svc: &Service, c: &Condition| c.describe(svc);
    let mut loosened = |primary, base_span, message: String| {
        out.push(
            Diagnostic::new(Code::GateLoosened, primary, message)
                .with_primary_label("now")
                .with_label(base_span, format!("at {label}")),
        );
    };
    for bc in &bg.requires {
        let same_metric = hg
            .requires
            .iter()
            .find(|hc| same_metric(b, &bc.metric, h, &hc.metric) && same_direction(bc.op, hc.op));
        match same_metric {
            None => loosened(
                hg.name.span,
                bc.span,
                format!(
                    "gate `{}` of `{}` no longer requires `{}`",
                    hg.name.value,
                    h.name.value,
                    describe(b, bc)
                ),
            ),
            Some(hc) if looser(bc, hc) => loosened(
                hc.span,
                bc.span,
                format!(
                    "gate `{}` of `{}` loosened: `{}` was `{}`",
                    hg.name.value,
                    h.name.value,
                    describe(h, hc),
                    describe(b, bc)
                ),
            ),
            Some(_) => {}
        }
    }
    for bf in &bg.freezes {
        let kept = hg
            .freezes
            .iter()
            .any(|hf| same_metric(b, &bf.when.metric, h, &hf.when.metric));
        if !kept {
            loosened(
                hg.name.span,
                bf.span,
                format!(
                    "gate `{}` of `{}` no longer freezes when `{}`",
                    hg.name.value,
                    h.name.value,
                    describe(b, &bf.when)
                ),
            );
        }
    }
    match (&bg.canary, &hg.canary) {
        (Some(bc), None) => loosened(
            hg.name.span,
            bc.span,
            format!(
                "gate `{}` of `{}` no longer analyses canaries",
                hg.name.value, h.name.value
            ),
        ),
        (Some(bc), Some(hc)) => {
            let limit = |l: &CanaryLimit| match l {
                CanaryLimit::RelativeToBaseline(f) | CanaryLimit::Absolute(f) => *f,
            };
            let same_kind = std::mem::discriminant(&bc.max_error_ratio)
                == std::mem::discriminant(&hc.max_error_ratio);
            if same_kind && limit(&hc.max_error_ratio) > limit(&bc.max_error_ratio) {
                loosened(
                    hc.span,
                    bc.span,
                    format!(
                        "gate `{}` of `{}` allows canaries more errors: {} instead of {}",
                        hg.name.value,
                        h.name.value,
                        plain(limit(&hc.max_error_ratio)),
                        plain(limit(&bc.max_error_ratio))
                    ),
                );
            }
        }
        _ => {}
    }
}

/// Whether two metrics are the same (SLOs compared by name across the two models).
fn same_metric(b: &Service, bm: &Metric, h: &Service, hm: &Metric) -> bool {
    let name = |s: &Service, i: usize| s.slos.get(i).map(|x| x.name.value.clone());
    match (bm, hm) {
        (Metric::Budget { slo: x }, Metric::Budget { slo: y }) => name(b, *x) == name(h, *y),
        (Metric::Burn { slo: x, window: wx }, Metric::Burn { slo: y, window: wy })
        | (Metric::ErrorRatio { slo: x, window: wx }, Metric::ErrorRatio { slo: y, window: wy }) => {
            name(b, *x) == name(h, *y) && wx == wy
        }
        (Metric::Deploys { window: wx }, Metric::Deploys { window: wy }) => wx == wy,
        (x, y) => std::mem::discriminant(x) == std::mem::discriminant(y) && x.slo().is_none(),
    }
}

fn same_direction(a: CmpOp, b: CmpOp) -> bool {
    let lower_bound = |o: CmpOp| matches!(o, CmpOp::Ge | CmpOp::Gt);
    let upper_bound = |o: CmpOp| matches!(o, CmpOp::Le | CmpOp::Lt);
    (lower_bound(a) && lower_bound(b)) || (upper_bound(a) && upper_bound(b)) || a == b
}

/// Whether `h` lets more through than `b` (same metric, same direction).
fn looser(b: &Condition, h: &Condition) -> bool {
    match b.op {
        // A lower floor lets more through; at an equal floor, `>=` is looser than `>`.
        CmpOp::Ge | CmpOp::Gt => {
            h.threshold < b.threshold
                || (h.threshold == b.threshold && b.op == CmpOp::Gt && h.op == CmpOp::Ge)
        }
        CmpOp::Le | CmpOp::Lt => {
            h.threshold > b.threshold
                || (h.threshold == b.threshold && b.op == CmpOp::Lt && h.op == CmpOp::Le)
        }
        CmpOp::Eq | CmpOp::Ne => h.threshold != b.threshold,
    }
}
