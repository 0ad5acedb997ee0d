//! YAML rendering of rule groups: a plain rule file or a PrometheusRule object.

use super::rules::Group;
use super::Options;
use crate::model::Service;
use std::collections::BTreeMap;

#[derive(serde::Serialize)]
struct RuleFile<'a> {
    groups: &'a [Group],
}

fn to_yaml<T: serde::Serialize>(value: &T) -> String {
    // Serialising plain structs of strings cannot fail.
    serde_yaml::to_string(value).expect("rule groups serialize")
}

/// A Prometheus rule file.
pub fn rule_file(groups: &[Group]) -> String {
    to_yaml(&RuleFile { groups })
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PrometheusRule<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    spec: RuleFile<'a>,
}

#[derive(serde::Serialize)]
struct Metadata {
    name: String,
    namespace: String,
    labels: BTreeMap<String, String>,
}

/// A `monitoring.coreos.com/v1` PrometheusRule holding the groups.
pub fn prometheus_rule(s: &Service, groups: &[Group], opts: &Options) -> String {
    let namespace = opts
        .namespace
        .clone()
        .or_else(|| s.workload.as_ref().and_then(|w| w.value.namespace.clone()))
        .unwrap_or_else(|| "monitoring".to_string());
    let mut labels = BTreeMap::from([
        (
            "app.kubernetes.io/managed-by".to_string(),
            "slogate".to_string(),
        ),
        ("slogate.dev/service".to_string(), s.name.value.clone()),
    ]);
    labels.extend(opts.object_labels.iter().cloned());
    to_yaml(&PrometheusRule {
        api_version: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: Metadata {
            name: format!("slogate-{}", s.name.value),
            namespace,
            labels,
        },
        spec: RuleFile { groups },
    })
}
