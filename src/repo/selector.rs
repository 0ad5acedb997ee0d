//! Kubernetes label selectors with their real semantics: `matchLabels` and `matchExpressions` (In, NotIn,
//! Exists, DoesNotExist), the map form of Service selectors, and namespace selectors of ServiceMonitors and
//! PodMonitors.

use super::k8s::{scalar, string_map};
use serde_yaml::Value;
use std::collections::BTreeMap;

/// A parsed label selector.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    pub match_labels: BTreeMap<String, String>,
    pub expressions: Vec<Expression>,
}

/// One `matchExpressions` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

impl Selector {
    /// A `LabelSelector` object (`matchLabels` / `matchExpressions`).
    pub fn from_label_selector(v: &Value) -> Selector {
        let match_labels = v.get("matchLabels").map(string_map).unwrap_or_default();
        let expressions = v
            .get("matchExpressions")
            .and_then(Value::as_sequence)
            .map(|es| {
                es.iter()
                    .map(|e| Expression {
                        key: e.get("key").and_then(scalar).unwrap_or_default(),
                        operator: e.get("operator").and_then(scalar).unwrap_or_default(),
                        values: e
                            .get("values")
                            .and_then(Value::as_sequence)
                            .map(|vs| vs.iter().filter_map(scalar).collect())
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Selector {
            match_labels,
            expressions,
        }
    }

    /// A Service's `spec.selector`: a plain map.
    pub fn from_map(v: &Value) -> Selector {
        Selector {
            match_labels: string_map(v),
            expressions: Vec::new(),
        }
    }

    /// Whether the selector selects nothing at all by construction (a Service without selector).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.expressions.is_empty()
    }

    /// Whether these labels are selected. An empty selector selects everything (as in LabelSelector).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.expressions.iter().all(|e| {
                let value = labels.get(&e.key);
                match e.operator.as_str() {
                    "In" => value.is_some_and(|v| e.values.contains(v)),
                    "NotIn" => value.is_none_or(|v| !e.values.contains(v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false, // an invalid operator selects nothing
                }
            })
    }
}

/// A monitor's `namespaceSelector`: which namespaces it looks in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceSelector {
    /// Only the monitor's own namespace (no selector).
    Own(String),
    Any,
    Names(Vec<String>),
}

impl NamespaceSelector {
    /// From a ServiceMonitor's or PodMonitor's `spec`; `own` is the monitor's namespace.
    pub fn from_spec(spec: &Value, own: &str) -> NamespaceSelector {
        let Some(ns) = spec.get("namespaceSelector") else {
            return NamespaceSelector::Own(own.to_string());
        };
        if ns.get("any").and_then(Value::as_bool) == Some(true) {
            return NamespaceSelector::Any;
        }
        match ns.get("matchNames").and_then(Value::as_sequence) {
            Some(names) => NamespaceSelector::Names(names.iter().filter_map(scalar).collect()),
            None => NamespaceSelector::Own(own.to_string()),
        }
    }

    pub fn matches(&self, namespace: &str) -> bool {
        match self {
            NamespaceSelector::Own(own) => own == namespace,
            NamespaceSelector::Any => true,
            NamespaceSelector::Names(names) => names.iter().any(|n| n == namespace),
        }
    }
}

/// Whether a monitor with this `spec` in namespace `own` looks in `target`.
pub fn namespace_matches(monitor_spec: &Value, own: &str, target: &str) -> bool {
    NamespaceSelector::from_spec(monitor_spec, own).matches(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn match_labels_and_expressions() {
        let v: Value = serde_yaml::from_str(
            "matchLabels: {app: web}\nmatchExpressions:\n  - {key: tier, operator: In, values: [front, edge]}\n  - {key: canary, operator: DoesNotExist}\n",
        )
        .unwrap();
        let s = Selector::from_label_selector(&v);
        assert!(s.matches(&labels(&[("app", "web"), ("tier", "front")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("tier", "back")])));
        assert!(!s.matches(&labels(&[
            ("app", "web"),
            ("tier", "edge"),
            ("canary", "1")
        ])));
        assert!(!s.matches(&labels(&[("tier", "front")])));
        let not_in: Value =
            serde_yaml::from_str("matchExpressions: [{key: env, operator: NotIn, values: [dev]}]")
                .unwrap();
        let s = Selector::from_label_selector(&not_in);
        assert!(s.matches(&labels(&[])));
        assert!(!s.matches(&labels(&[("env", "dev")])));
    }

    #[test]
    fn namespace_selectors() {
        let any: Value = serde_yaml::from_str("namespaceSelector: {any: true}").unwrap();
        assert!(namespace_matches(&any, "monitoring", "shop"));
        let names: Value = serde_yaml::from_str("namespaceSelector: {matchNames: [shop]}").unwrap();
        assert!(namespace_matches(&names, "monitoring", "shop"));
        assert!(!namespace_matches(&names, "monitoring", "other"));
        let none: Value = serde_yaml::from_str("endpoints: []").unwrap();
        assert!(namespace_matches(&none, "shop", "shop"));
        assert!(!namespace_matches(&none, "monitoring", "shop"));
    }
}
