//! Tiered workload checks: readiness probes, replicas (HPAs count), PodDisruptionBudgets (present and able to
//! allow an eviction), resource requests. Their severity follows the service's tier (applied by the caller).

use super::tier_label;
use super::workloads::{pod_labels, referenced};
use crate::diag::{Code, Diagnostic};
use crate::model::Service;
use crate::repo::k8s::{probe_kind, scalar, Object};
use crate::repo::manifests::Inventory;
use crate::repo::selector::Selector;
use serde_yaml::Value;

/// Kinds that have `spec.replicas`.
const REPLICATED: &[&str] = &["Deployment", "StatefulSet", "ReplicaSet", "Rollout"];

pub fn check(s: &Service, w: &Object, inv: &Inventory, diags: &mut Vec<Diagnostic>) {
    let (tier_span, tier_text) = tier_label(s);
    // A Rollout with workloadRef runs the referenced Deployment's pod template.
    let template_owner = referenced(w, inv).unwrap_or(w);
    // Pods that run to completion (Jobs, CronJobs) take no traffic: readiness does not apply.
    let completes = matches!(template_owner.kind.as_str(), "Job" | "CronJob");
    for (path, c) in template_owner.containers() {
        let name = c.get("name").and_then(scalar).unwrap_or_else(|| "?".into());
        match c.get("readinessProbe") {
            Some(p) if probe_kind(p).is_some() => {}
            _ if completes => {}
            Some(_) => diags.push(
                Diagnostic::new(
                    Code::MissingReadinessProbe,
                    template_owner.span(&format!("{path}.readinessProbe")),
                    format!("container `{name}` of {} has a readiness probe with no check", template_owner.describe()),
                )
                .with_primary_label("needs `httpGet`, `tcpSocket`, `exec` or `grpc`")
                .with_label(tier_span, tier_text.clone()),
            ),
            None => diags.push(
                Diagnostic::new(
                    Code::MissingReadinessProbe,
                    template_owner.span(&format!("{path}.name")),
                    format!("container `{name}` of {} has no readiness probe", template_owner.describe()),
                )
                .with_primary_label("no `readinessProbe`")
                .with_label(tier_span, tier_text.clone())
                .with_help("add `readinessProbe: { httpGet: { path: /ready, port: http } }` (or tcpSocket, exec, grpc)"),
            ),
        }
        let requests = c.get("resources").and_then(|r| r.get("requests"));
        let has = |k: &str| requests.and_then(|r| r.get(k)).is_some();
        if !(has("cpu") && has("memory")) {
            let missing: Vec<&str> = ["cpu", "memory"].into_iter().filter(|k| !has(k)).collect();
            diags.push(
                Diagnostic::new(
                    Code::MissingResourceRequests,
                    template_owner.span_first(&[
                        &format!("{path}.resources.requests"),
                        &format!("{path}.resources"),
                        &format!("{path}.name"),
                    ]),
                    format!(
                        "container `{name}` of {} has no {} request",
                        template_owner.describe(),
                        missing.join(" or ")
                    ),
                )
                .with_primary_label(format!("no `{}` request", missing.join("` or `")))
                .with_label(tier_span, tier_text.clone())
                .with_help("set `resources: { requests: { cpu: 100m, memory: 128Mi } }`"),
            );
        }
    }
    if !REPLICATED.contains(&w.kind.as_str()) {
        return;
    }
    let hpa = inv
        .in_namespace("HorizontalPodAutoscaler", &w.namespace)
        .find(|h| {
            h.get(&["spec", "scaleTargetRef"]).is_some_and(|t| {
                t.get("name").and_then(Value::as_str) == Some(&w.name)
                    && t.get("kind")
                        .and_then(Value::as_str)
                        .is_some_and(|k| k == w.kind)
            })
        });
    let replicas = match hpa {
        Some(h) => h
            .get(&["spec", "minReplicas"])
            .and_then(Value::as_i64)
            .unwrap_or(1),
        None => w.replicas().unwrap_or(1),
    };
    if replicas < 2 {
        let d = match hpa {
            Some(h) => Diagnostic::new(
                Code::TooFewReplicas,
                h.span("spec.minReplicas"),
                format!(
                    "{} scales {} down to {replicas} replica",
                    h.describe(),
                    w.describe()
                ),
            )
            .with_primary_label("`minReplicas` below 2")
            .with_help("set `minReplicas: 2` or more"),
            None => Diagnostic::new(
                Code::TooFewReplicas,
                w.span("spec.replicas"),
                format!("{} runs {replicas} replica", w.describe()),
            )
            .with_primary_label(if w.replicas().is_some() {
                "fewer than 2"
            } else {
                "`replicas` unset: 1"
            })
            .with_help(
                "set `replicas: 2` or more, or add a HorizontalPodAutoscaler with `minReplicas: 2`",
            ),
        };
        diags.push(d.with_label(tier_span, tier_text.clone()));
    }
    let labels = pod_labels(w, inv);
    let pdb = inv
        .in_namespace("PodDisruptionBudget", &w.namespace)
        .find(|p| {
            p.get(&["spec", "selector"]).is_some_and(|sel| {
                let sel = Selector::from_label_selector(sel);
                !sel.is_empty() && sel.matches(&labels)
            })
        });
    let Some(pdb) = pdb else {
        diags.push(
            Diagnostic::new(
                Code::MissingPdb,
                w.header(),
                format!("no PodDisruptionBudget selects the pods of {}", w.describe()),
            )
            .with_primary_label("a node drain may evict every replica at once")
            .with_label(tier_span, tier_text)
            .with_help(format!(
                "add a policy/v1 PodDisruptionBudget in namespace `{}` with `maxUnavailable: 1` selecting these pods",
                w.namespace
            )),
        );
        return;
    };
    if let Some((path, why)) = blocks_eviction(pdb, replicas) {
        diags.push(
            Diagnostic::new(
                Code::PdbBlocksEviction,
                pdb.span(path),
                format!(
                    "{} never allows an eviction of {}",
                    pdb.describe(),
                    w.describe()
                ),
            )
            .with_primary_label(why)
            .with_label(tier_span, tier_text)
            .with_help("use `maxUnavailable: 1`, or a `minAvailable` below the replica count"),
        );
    }
}

/// Whether a PDB blocks every eviction for `replicas` pods, and which field says so.
fn blocks_eviction(pdb: &Object, replicas: i64) -> Option<(&'static str, String)> {
    let spec = pdb.get(&["spec"])?;
    if let Some(v) = spec.get("maxUnavailable") {
        let zero = match v {
            Value::Number(n) => n.as_i64() == Some(0),
            Value::String(s) => s.trim_end_matches('%').trim() == "0",
            _ => false,
        };
        return zero.then(|| ("spec.maxUnavailable", "`maxUnavailable: 0`".to_string()));
    }
    let v = spec.get("minAvailable")?;
    match v {
        Value::Number(n) => {
            let n = n.as_i64()?;
            (n >= replicas).then(|| {
                (
                    "spec.minAvailable",
                    format!("`minAvailable: {n}` with {replicas} replica(s)"),
                )
            })
        }
        Value::String(s) => {
            let pct: f64 = s.trim_end_matches('%').trim().parse().ok()?;
            // Kubernetes rounds minAvailable percentages up.
            let needed = (pct / 100.0 * replicas as f64).ceil() as i64;
            (needed >= replicas).then(|| {
                (
                    "spec.minAvailable",
                    format!("`minAvailable: {s}` of {replicas} replica(s)"),
                )
            })
        }
        _ => None,
    }
}
