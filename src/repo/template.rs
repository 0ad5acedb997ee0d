//! A workload's pod template in a manifest text, in a canonical form: what decides whether applying a manifest
//! rolls the workload's pods (Kubernetes starts a rollout exactly when `spec.template` changes; for a CronJob,
//! `spec.jobTemplate.spec.template`). Images are part of it, and so is everything else that restarts pods
//! (environment, command, probes, volumes, annotations on the template). Facts only: the gate judges.

use super::k8s::scalar;
use super::manifests::documents;

/// Which workload: lower-cased kind as written in the policy, namespace, name.
pub type WorkloadKey = (String, String, String);

/// What a manifest text holds for a workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Template {
    /// The workload is not in the text.
    Absent,
    /// The workload is there but has no pod template of its own (an Argo Rollout with `workloadRef`).
    Referenced,
    /// The canonical JSON of the pod template (object keys sorted).
    Pods(String),
}

/// The document of workload `key` in `text` (a multi-document YAML file), parsed, with its kind as written.
/// Only documents that can be it are parsed.
pub fn find_workload(
    text: &str,
    (kind, ns, name): &WorkloadKey,
) -> Option<(serde_yaml::Value, String)> {
    for (start, end) in documents(text) {
        let doc = &text[start..end];
        if !doc.contains(name.as_str()) || !doc.to_ascii_lowercase().contains(kind.as_str()) {
            continue;
        }
        let Ok(v) = serde_yaml::from_str::<serde_yaml::Value>(doc) else {
            continue;
        };
        let k = v
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or("")
            .to_string();
        let meta = v.get("metadata");
        let n = meta
            .and_then(|m| m.get("name"))
            .and_then(scalar)
            .unwrap_or_default();
        let s = meta
            .and_then(|m| m.get("namespace"))
            .and_then(scalar)
            .unwrap_or_else(|| "default".into());
        if k.eq_ignore_ascii_case(kind) && &n == name && &s == ns {
            return Some((v, k));
        }
    }
    None
}

/// The pod template of a workload document: `spec.template`, or a CronJob's `spec.jobTemplate.spec.template`.
pub fn template_of<'v>(v: &'v serde_yaml::Value, kind: &str) -> Option<&'v serde_yaml::Value> {
    let spec = v.get("spec");
    if kind.eq_ignore_ascii_case("CronJob") {
        spec.and_then(|s| s.get("jobTemplate"))
            .and_then(|j| j.get("spec"))
            .and_then(|s| s.get("template"))
    } else {
        spec.and_then(|s| s.get("template"))
    }
}

/// The pod template of workload `key` in `text` (a multi-document YAML file).
pub fn pod_template(text: &str, key: &WorkloadKey) -> Template {
    let Some((v, kind)) = find_workload(text, key) else {
        return Template::Absent;
    };
    match template_of(&v, &kind) {
        // serde_json's maps are sorted: equal templates give equal text, whatever the key order in YAML.
        Some(t) => serde_json::to_value(t)
            .map(|j| Template::Pods(j.to_string()))
            .unwrap_or(Template::Referenced),
        None => Template::Referenced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> WorkloadKey {
        ("deployment".into(), "shop".into(), "web".into())
    }

    #[test]
    fn key_order_and_formatting_do_not_matter_but_content_does() {
        let a = "kind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers: [{name: app, image: web:1}]\n";
        let b = "kind: Deployment\nmetadata:\n  namespace: shop\n  name: web\nspec:\n  replicas: 5\n  template: {spec: {containers: [{image: 'web:1', name: app}]}}\n";
        let c = a.replace("web:1", "web:2");
        assert_eq!(
            pod_template(a, &key()),
            pod_template(b, &key()),
            "replicas do not roll pods"
        );
        assert_ne!(pod_template(a, &key()), pod_template(&c, &key()));
        assert_eq!(
            pod_template("kind: Service\nmetadata: {name: web}\n", &key()),
            Template::Absent
        );
        let rollout = "kind: Rollout\nmetadata: {name: web, namespace: shop}\nspec:\n  workloadRef: {kind: Deployment, name: web}\n";
        let k = ("rollout".into(), "shop".into(), "web".into());
        assert_eq!(pod_template(rollout, &k), Template::Referenced);
    }
}
