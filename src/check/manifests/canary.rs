//! `missing-canary-mechanism`: a canary gate needs an Argo Rollout with canary steps or a Flagger Canary.

use crate::diag::{Code, Diagnostic};
use crate::model::Service;
use crate::repo::k8s::Object;
use crate::repo::manifests::Inventory;
use serde_yaml::Value;

pub fn check(s: &Service, w: &Object, inv: &Inventory, diags: &mut Vec<Diagnostic>) {
    let Some(canary) = s.gates.iter().find_map(|g| g.canary.as_ref()) else {
        return;
    };
    let has_steps = |r: &Object| {
        r.get(&["spec", "strategy", "canary", "steps"])
            .and_then(Value::as_sequence)
            .is_some_and(|steps| !steps.is_empty())
    };
    let rollout = inv.in_namespace("Rollout", &w.namespace).find(|r| {
        std::ptr::eq(*r, w)
            || r.get(&["spec", "workloadRef", "name"])
                .and_then(Value::as_str)
                == Some(&w.name)
    });
    if rollout.is_some_and(has_steps) {
        return;
    }
    let flagger = inv.in_namespace("Canary", &w.namespace).any(|c| {
        c.api_version.starts_with("flagger.app/")
            && c.get(&["spec", "targetRef"]).is_some_and(|t| {
                t.get("name").and_then(Value::as_str) == Some(&w.name)
                    && t.get("kind")
                        .and_then(Value::as_str)
                        .is_none_or(|k| k == w.kind)
            })
    });
    if flagger {
        return;
    }
    let mut d = Diagnostic::new(
        Code::MissingCanaryMechanism,
        canary.span,
        format!(
            "service `{}` gates on a canary, but {} is not released as one",
            s.name.value,
            w.describe()
        ),
    )
    .with_primary_label("canary analysis needs canary releases");
    d = match rollout {
        Some(r) => d
            .with_label(r.span("spec.strategy"), "this Rollout has no `canary.steps`")
            .with_help("give the Rollout `spec.strategy.canary.steps`"),
        None => d
            .with_label(w.header(), "released without a canary")
            .with_help("release it with an Argo Rollouts `Rollout` (canary strategy with steps) or a Flagger `Canary` targeting it"),
    };
    diags.push(d);
}
