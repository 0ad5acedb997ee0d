//! Kubernetes objects as the checks see them: identity (apiVersion, kind, namespace defaulted as kubectl
//! would, name), labels, and typed access to the fields checks use — pod templates, containers, probes,
//! selectors — each able to say where it is written.

use super::yaml_lines::{self, KeyIndex};
use crate::source::{FileId, Span};
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// One YAML document of a file. Where its keys are is worked out only when a finding needs a position.
#[derive(Debug)]
pub struct Document {
    pub text: Arc<str>,
    pub start: usize,
    pub end: usize,
    keys: OnceLock<KeyIndex>,
}

impl Document {
    pub fn new(text: Arc<str>, start: usize, end: usize) -> Document {
        Document {
            text,
            start,
            end,
            keys: OnceLock::new(),
        }
    }

    pub fn keys(&self) -> &KeyIndex {
        self.keys
            .get_or_init(|| yaml_lines::index(&self.text[self.start..self.end]))
    }
}

/// Kinds without a namespace.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "IngressClass",
];

/// Kinds whose contents the checks read.
pub const KEPT_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Rollout",
    "Job",
    "CronJob",
    "Pod",
    "Service",
    "ServiceMonitor",
    "PodMonitor",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Canary",
    "PrometheusRule",
];

/// One Kubernetes object from a manifest.
#[derive(Debug, Clone)]
pub struct Object {
    pub api_version: String,
    pub kind: String,
    /// `default` when unset, as kubectl applies it; empty for cluster-scoped kinds.
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: Value,
    pub file: FileId,
    /// The document it was read from.
    pub doc: Arc<Document>,
    /// Path prefix inside the document (`items[2].` for an item of a `List`).
    pub prefix: String,
    /// For objects rendered by Kustomize: field path → where the value was written by a patch or a
    /// kustomization field (base positions come from `doc`).
    pub origins: Option<Arc<BTreeMap<String, Span>>>,
    /// Produced by rendering a kustomization (its file is where the base defines it, not what is applied).
    pub rendered: bool,
    /// For a rendered object: the directory of the kustomization that rendered it (the root).
    pub root: Option<std::path::PathBuf>,
}

impl Object {
    /// The span of the key at `path` (or its nearest indexed ancestor, or the object's `kind`).
    pub fn span(&self, path: &str) -> Span {
        if let Some(s) = self.origin(path) {
            return s;
        }
        let keys = self.doc.keys();
        let at = keys
            .find(&format!("{}{path}", self.prefix))
            .or_else(|| keys.find(&format!("{}kind", self.prefix)))
            .unwrap_or((0, 0));
        self.at(at)
    }

    /// The span of the first of `paths` written in the file (else as [`Object::span`] of the last).
    pub fn span_first(&self, paths: &[&str]) -> Span {
        for p in paths {
            if let Some(s) = self.origins.as_ref().and_then(|o| o.get(*p)) {
                return *s;
            }
            if let Some(at) = self.doc.keys().get(&format!("{}{p}", self.prefix)) {
                return self.at(at);
            }
        }
        self.span(paths.last().copied().unwrap_or("kind"))
    }

    /// Where a patch or kustomization wrote `path` or an ancestor of it.
    pub fn origin(&self, path: &str) -> Option<Span> {
        let o = self.origins.as_ref()?;
        let mut p = path;
        loop {
            if let Some(s) = o.get(p) {
                return Some(*s);
            }
            p = &p[..p.rfind(['.', '['])?];
        }
    }

    fn at(&self, (offset, len): (usize, usize)) -> Span {
        Span::new(
            self.file,
            self.doc.start + offset,
            self.doc.start + offset + len,
        )
    }

    /// The object's header: where `kind` is written.
    pub fn header(&self) -> Span {
        self.span("kind")
    }

    /// `Deployment shop/checkout`
    pub fn describe(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} {}", self.kind, self.name)
        } else {
            format!("{} {}/{}", self.kind, self.namespace, self.name)
        }
    }

    pub fn get(&self, path: &[&str]) -> Option<&Value> {
        let mut v = &self.value;
        for p in path {
            v = v.get(*p)?;
        }
        Some(v)
    }

    /// The pod template of a workload, with the path it is at.
    pub fn pod_template(&self) -> Option<(&Value, &'static str)> {
        match self.kind.as_str() {
            "CronJob" => self
                .get(&["spec", "jobTemplate", "spec", "template"])
                .map(|t| (t, "spec.jobTemplate.spec.template")),
            "Pod" => Some((&self.value, "")),
            _ => self
                .get(&["spec", "template"])
                .map(|t| (t, "spec.template")),
        }
    }

    /// Labels of the pods it creates.
    pub fn pod_labels(&self) -> BTreeMap<String, String> {
        self.pod_template()
            .and_then(|(t, _)| t.get("metadata"))
            .and_then(|m| m.get("labels"))
            .map(string_map)
            .unwrap_or_default()
    }

    pub fn pod_annotations(&self) -> BTreeMap<String, String> {
        self.pod_template()
            .and_then(|(t, _)| t.get("metadata"))
            .and_then(|m| m.get("annotations"))
            .map(string_map)
            .unwrap_or_default()
    }

    /// The containers of its pod template, with their paths.
    pub fn containers(&self) -> Vec<(String, &Value)> {
        let Some((t, base)) = self.pod_template() else {
            return Vec::new();
        };
        let sep = if base.is_empty() { "" } else { "." };
        t.get("spec")
            .and_then(|s| s.get("containers"))
            .and_then(Value::as_sequence)
            .map(|cs| {
                cs.iter()
                    .enumerate()
                    .map(|(i, c)| (format!("{base}{sep}spec.containers[{i}]"), c))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `spec.replicas`, if written as a number.
    pub fn replicas(&self) -> Option<i64> {
        self.get(&["spec", "replicas"]).and_then(Value::as_i64)
    }
}

/// A map of strings (numbers and booleans rendered as text, as Kubernetes would reject but users write).
pub fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_mapping()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((scalar(k)?, scalar(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

/// A scalar as text.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The kind of probe a container's probe is.
pub fn probe_kind(probe: &Value) -> Option<&'static str> {
    ["httpGet", "tcpSocket", "exec", "grpc"]
        .into_iter()
        .find(|k| probe.get(*k).is_some())
}

/// The Kubernetes objects in one parsed document (several for a `List`), or why there are none.
pub fn objects(value: Value, doc: &Arc<Document>) -> Result<Vec<Object>, String> {
    let Some(map) = value.as_mapping() else {
        let what = match value {
            Value::Sequence(_) => "a list",
            Value::Null => "empty",
            Value::Mapping(_) => "a mapping",
            _ => "a scalar",
        };
        return Err(format!("not a Kubernetes object: the document is {what}"));
    };
    let _ = map;
    let kind = value.get("kind").and_then(Value::as_str);
    let api = value.get("apiVersion").and_then(Value::as_str);
    let (Some(kind), Some(_)) = (kind, api) else {
        if value.get("groups").is_some() {
            return Err(
                "not a Kubernetes object (a Prometheus rule file not generated by slogate)".into(),
            );
        }
        return Err("not a Kubernetes object: no `apiVersion` and `kind`".into());
    };
    if kind == "Kustomization" {
        let api = api.unwrap_or_default();
        if api.starts_with("kustomize.toolkit.fluxcd.io") {
            return Err("a Flux Kustomization: the objects at its `spec.path` are checked where they are in this \
                 repository (rendered when the path holds a kustomization.yaml)"
                .into());
        }
        return Err(
            "a kustomization document outside a kustomization.yaml file: not rendered".into(),
        );
    }
    if kind.ends_with("List") {
        let items = value
            .get("items")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            if let Ok(mut objs) = objects(item, doc) {
                for o in &mut objs {
                    o.prefix = format!("items[{i}].{}", o.prefix);
                }
                out.extend(objs);
            }
        }
        return Ok(out);
    }
    let one = object(value, doc)?;
    Ok(vec![one])
}

pub(crate) fn object(value: Value, doc: &Arc<Document>) -> Result<Object, String> {
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let api_version = value
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let meta = value.get("metadata");
    let Some(name) = meta.and_then(|m| m.get("name")).and_then(scalar) else {
        return Err(format!("a {kind} without `metadata.name`"));
    };
    let namespace = if CLUSTER_SCOPED.contains(&kind.as_str()) {
        String::new()
    } else {
        meta.and_then(|m| m.get("namespace"))
            .and_then(scalar)
            .unwrap_or_else(|| "default".to_string())
    };
    let labels = meta
        .and_then(|m| m.get("labels"))
        .map(string_map)
        .unwrap_or_default();
    // Only kinds the checks read keep their contents; for the rest (ConfigMaps, NetworkPolicies, …) identity
    // and labels are enough, and dropping the tree keeps large repositories light.
    let value = if KEPT_KINDS.contains(&kind.as_str()) {
        value
    } else {
        Value::Null
    };
    Ok(Object {
        api_version,
        kind,
        namespace,
        name,
        labels,
        value,
        file: FileId(0),
        doc: doc.clone(),
        prefix: String::new(),
        origins: None,
        rendered: false,
        root: None,
    })
}
