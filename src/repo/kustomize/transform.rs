//! The kustomization's own transformers, in the order Kustomize runs them after patches: namespace,
//! namePrefix/nameSuffix, labels (commonLabels and `labels:`, selectors and pod templates included as the
//! docs say), commonAnnotations, replicas and images. Each written field records the kustomization line
//! that wrote it.

use super::load::Kust;
use super::Res;
use crate::repo::k8s::scalar;
use serde_yaml::{Mapping, Value};

const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
];

/// Kinds whose `spec.selector.matchLabels` and pod template get common labels.
const WORKLOADS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Rollout",
    "Job",
];

fn map_at<'v>(v: &'v mut Value, path: &[&str]) -> Option<&'v mut Mapping> {
    let mut cur = v;
    for p in path {
        let m = cur.as_mapping_mut()?;
        if !m.contains_key(*p) {
            m.insert(
                Value::String((*p).to_string()),
                Value::Mapping(Mapping::new()),
            );
        }
        cur = m.get_mut(*p)?;
    }
    if cur.is_null() {
        *cur = Value::Mapping(Mapping::new());
    }
    cur.as_mapping_mut()
}

fn set(r: &mut Res, path: &[&str], key: &str, value: &str, from: crate::source::Span) {
    if let Some(m) = map_at(&mut r.value, path) {
        m.insert(Value::String(key.into()), Value::String(value.into()));
        r.origins.insert(format!("{}.{key}", path.join(".")), from);
    }
}

pub fn namespace(k: &Kust, res: &mut [Res]) {
    let Some(ns) = k.value.get("namespace").and_then(scalar) else {
        return;
    };
    let from = k.span("namespace");
    for r in res
        .iter_mut()
        .filter(|r| !CLUSTER_SCOPED.contains(&r.kind()))
    {
        set(r, &["metadata"], "namespace", &ns, from);
    }
}

pub fn prefix_suffix(k: &Kust, res: &mut [Res]) {
    let prefix = k
        .value
        .get("namePrefix")
        .and_then(scalar)
        .unwrap_or_default();
    let suffix = k
        .value
        .get("nameSuffix")
        .and_then(scalar)
        .unwrap_or_default();
    if prefix.is_empty() && suffix.is_empty() {
        return;
    }
    let from = k.span(if prefix.is_empty() {
        "nameSuffix"
    } else {
        "namePrefix"
    });
    let mut renamed = Vec::new();
    for r in res.iter_mut() {
        if matches!(r.kind(), "Namespace" | "CustomResourceDefinition") {
            continue;
        }
        let old = r.name().to_string();
        let new = format!("{prefix}{old}{suffix}");
        set(r, &["metadata"], "name", &new, from);
        renamed.push((r.kind().to_string(), old, new));
    }
    // References by name that the checks follow: an autoscaler's target.
    for r in res
        .iter_mut()
        .filter(|r| r.kind() == "HorizontalPodAutoscaler")
    {
        let target = r
            .value
            .get("spec")
            .and_then(|s| s.get("scaleTargetRef"))
            .cloned();
        let Some(t) = target else { continue };
        let (kind, name) = (
            t.get("kind").and_then(Value::as_str).unwrap_or_default(),
            t.get("name").and_then(Value::as_str).unwrap_or_default(),
        );
        if let Some((_, _, new)) = renamed.iter().find(|(k, o, _)| k == kind && o == name) {
            set(r, &["spec", "scaleTargetRef"], "name", &new.clone(), from);
        }
    }
}

/// Adds labels; `selectors` also writes selectors, `templates` pod template labels.
fn add_labels(
    r: &mut Res,
    pairs: &[(String, String, crate::source::Span)],
    selectors: bool,
    templates: bool,
) {
    let kind = r.kind().to_string();
    for (key, value, from) in pairs {
        set(r, &["metadata", "labels"], key, value, *from);
        let workload = WORKLOADS.contains(&kind.as_str());
        if selectors && workload {
            set(r, &["spec", "selector", "matchLabels"], key, value, *from);
        }
        if selectors && kind == "Service" {
            set(r, &["spec", "selector"], key, value, *from);
        }
        if templates && workload {
            set(
                r,
                &["spec", "template", "metadata", "labels"],
                key,
                value,
                *from,
            );
        }
        if templates && kind == "CronJob" {
            set(
                r,
                &[
                    "spec",
                    "jobTemplate",
                    "spec",
                    "template",
                    "metadata",
                    "labels",
                ],
                key,
                value,
                *from,
            );
        }
    }
}

fn pairs(k: &Kust, path: &str, v: Option<&Value>) -> Vec<(String, String, crate::source::Span)> {
    v.and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .filter_map(|(a, b)| {
                    let a = scalar(a)?;
                    let span = k.span(&format!("{path}.{a}"));
                    Some((a, scalar(b)?, span))
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn labels(k: &Kust, res: &mut [Res]) {
    let common = pairs(k, "commonLabels", k.value.get("commonLabels"));
    if !common.is_empty() {
        res.iter_mut()
            .for_each(|r| add_labels(r, &common, true, true));
    }
    for (i, l) in k
        .value
        .get("labels")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let p = pairs(k, &format!("labels[{i}].pairs"), l.get("pairs"));
        let sel = l
            .get("includeSelectors")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let tpl = sel
            || l.get("includeTemplates")
                .and_then(Value::as_bool)
                .unwrap_or(false);
        res.iter_mut().for_each(|r| add_labels(r, &p, sel, tpl));
    }
}

pub fn annotations(k: &Kust, res: &mut [Res]) {
    let common = pairs(k, "commonAnnotations", k.value.get("commonAnnotations"));
    for r in res.iter_mut() {
        let kind = r.kind().to_string();
        for (key, value, from) in &common {
            set(r, &["metadata", "annotations"], key, value, *from);
            if WORKLOADS.contains(&kind.as_str()) {
                set(
                    r,
                    &["spec", "template", "metadata", "annotations"],
                    key,
                    value,
                    *from,
                );
            }
        }
    }
}

pub fn replicas(k: &Kust, res: &mut [Res]) {
    for (i, e) in k
        .value
        .get("replicas")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let (Some(name), Some(count)) = (
            e.get("name").and_then(scalar),
            e.get("count").and_then(Value::as_i64),
        ) else {
            continue;
        };
        let from = k.span(&format!("replicas[{i}].count"));
        for r in res.iter_mut().filter(|r| {
            r.matches_name(&name)
                && matches!(
                    r.kind(),
                    "Deployment" | "StatefulSet" | "ReplicaSet" | "Rollout"
                )
        }) {
            if let Some(spec) = map_at(&mut r.value, &["spec"]) {
                spec.insert(
                    Value::String("replicas".into()),
                    Value::Number(count.into()),
                );
                r.origins.insert("spec.replicas".into(), from);
            }
        }
    }
}
