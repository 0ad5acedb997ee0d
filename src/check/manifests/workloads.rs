//! `workload-not-found` and `workload-not-scraped`.

use crate::diag::{suggest, Code, Diagnostic};
use crate::model::Service;
use crate::repo::k8s::Object;
use crate::repo::manifests::Inventory;
use crate::repo::selector::{NamespaceSelector, Selector};
use std::collections::HashMap;

/// The object a service's `workload` names, or a diagnostic with the nearest misses.
pub fn resolve<'a>(
    s: &Service,
    inv: &'a Inventory,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'a Object> {
    let w = s.workload.as_ref()?;
    let ns = w.value.namespace.as_deref().unwrap_or("default");
    let found = inv.objects.iter().find(|o| {
        o.kind.eq_ignore_ascii_case(&w.value.kind) && o.name == w.value.name && o.namespace == ns
    });
    if found.is_some() {
        return found;
    }
    let wanted = format!("{}/{}/{}", w.value.kind, ns, w.value.name);
    let mut d = Diagnostic::new(
        Code::WorkloadNotFound,
        w.span,
        format!(
            "workload `{wanted}` of service `{}` is not in the manifests",
            s.name.value
        ),
    )
    .with_primary_label("no such object");
    let other_ns = inv.of_kind(&w.value.kind).find(|o| o.name == w.value.name);
    let other_kind = inv
        .objects
        .iter()
        .find(|o| o.name == w.value.name && o.namespace == ns && is_workload(o));
    if let Some(o) = other_ns {
        d = d
            .with_label(
                o.span("metadata.namespace"),
                format!("{} is in namespace `{}`", o.kind, o.namespace),
            )
            .with_help(format!(
                "namespace mismatch: write `workload = {}/{}/{}`",
                w.value.kind, o.namespace, o.name
            ));
    } else if let Some(o) = other_kind {
        d = d
            .with_label(o.header(), format!("a {} of this name", o.kind))
            .with_help(format!(
                "kind mismatch: write `workload = {}/{}/{}`",
                o.kind.to_lowercase(),
                o.namespace,
                o.name
            ));
    } else {
        let same_kind: Vec<&Object> = inv
            .objects
            .iter()
            .filter(|o| o.kind.eq_ignore_ascii_case(&w.value.kind))
            .collect();
        let names: Vec<&str> = same_kind.iter().map(|o| o.name.as_str()).collect();
        match suggest(&w.value.name, names.iter().copied())
            .and_then(|n| same_kind.iter().find(|o| o.name == n))
        {
            Some(o) => {
                d = d
                    .with_label(o.span("metadata.name"), format!("{} `{}`", o.kind, o.name))
                    .with_help(format!(
                        "did you mean `{}/{}/{}`?",
                        w.value.kind, o.namespace, o.name
                    ));
            }
            None if same_kind.is_empty() => {
                d = d.with_help(format!(
                    "the manifests have no object of kind `{}`; use `--no-manifests` when the manifests live elsewhere",
                    w.value.kind
                ));
            }
            None => {
                d = d.with_help(format!(
                    "the manifests have {} of kind `{}`, none named `{}`",
                    crate::report::plural(same_kind.len(), "object"),
                    w.value.kind,
                    w.value.name
                ));
            }
        }
    }
    diags.push(d);
    None
}

/// Kinds that run pods.
pub fn is_workload(o: &Object) -> bool {
    matches!(
        o.kind.as_str(),
        "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "Rollout"
            | "Job"
            | "CronJob"
            | "Pod"
    )
}

/// The pod labels of a workload; a Rollout with `workloadRef` takes them from the referenced Deployment.
pub fn pod_labels<'a>(
    w: &'a Object,
    inv: &'a Inventory,
) -> std::collections::BTreeMap<String, String> {
    match referenced(w, inv) {
        Some(target) => target.pod_labels(),
        None => w.pod_labels(),
    }
}

/// The workload a Rollout points at through `spec.workloadRef`, if any.
pub fn referenced<'a>(w: &'a Object, inv: &'a Inventory) -> Option<&'a Object> {
    if w.kind != "Rollout" || w.pod_template().is_some() {
        return None;
    }
    let r = w.get(&["spec", "workloadRef"])?;
    let kind = r
        .get("kind")
        .and_then(|v| v.as_str())
        .unwrap_or("Deployment");
    let name = r.get("name").and_then(|v| v.as_str())?;
    inv.objects
        .iter()
        .find(|o| o.kind == kind && o.name == name && o.namespace == w.namespace)
}

/// Everything that makes Prometheus scrape pods, with selectors parsed once for all services.
pub struct Scrapers<'a> {
    pod_monitors: Vec<(NamespaceSelector, Selector)>,
    service_monitors: Vec<(NamespaceSelector, Selector)>,
    /// Services with a selector, by namespace.
    services: HashMap<&'a str, Vec<(&'a Object, Selector)>>,
}

impl<'a> Scrapers<'a> {
    pub fn new(inv: &'a Inventory) -> Scrapers<'a> {
        let monitors = |kind: &str| -> Vec<(NamespaceSelector, Selector)> {
            inv.of_kind(kind)
                .filter(|m| m.api_version.starts_with("monitoring.coreos.com/"))
                .filter_map(|m| {
                    let spec = m.get(&["spec"])?;
                    let sel = Selector::from_label_selector(spec.get("selector")?);
                    Some((NamespaceSelector::from_spec(spec, &m.namespace), sel))
                })
                .collect()
        };
        let mut services: HashMap<&str, Vec<(&Object, Selector)>> = HashMap::new();
        for svc in inv.of_kind("Service") {
            if let Some(sel) = svc
                .get(&["spec", "selector"])
                .map(Selector::from_map)
                .filter(|s| !s.is_empty())
            {
                services
                    .entry(svc.namespace.as_str())
                    .or_default()
                    .push((svc, sel));
            }
        }
        Scrapers {
            pod_monitors: monitors("PodMonitor"),
            service_monitors: monitors("ServiceMonitor"),
            services,
        }
    }
}

pub fn scraped(
    s: &Service,
    w: &Object,
    inv: &Inventory,
    scrapers: &Scrapers<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let labels = pod_labels(w, inv);
    let annotated = w
        .pod_annotations()
        .get("prometheus.io/scrape")
        .is_some_and(|v| v == "true");
    if annotated {
        return;
    }
    let by_pod_monitor = scrapers
        .pod_monitors
        .iter()
        .any(|(ns, sel)| ns.matches(&w.namespace) && sel.matches(&labels));
    if by_pod_monitor {
        return;
    }
    // Services in the workload's namespace that select its pods.
    let services: Vec<&Object> = scrapers
        .services
        .get(w.namespace.as_str())
        .map(|v| {
            v.iter()
                .filter(|(_, sel)| sel.matches(&labels))
                .map(|(svc, _)| *svc)
                .collect()
        })
        .unwrap_or_default();
    let by_service_monitor = scrapers.service_monitors.iter().any(|(ns, sel)| {
        ns.matches(&w.namespace) && services.iter().any(|svc| sel.matches(&svc.labels))
    });
    if by_service_monitor {
        return;
    }
    let slo = &s.slos[0];
    let why = match services.first() {
        Some(svc) => format!("Service `{}` selects its pods, but no ServiceMonitor selects that Service", svc.name),
        None => "no Service selects its pods, no PodMonitor selects them, and the pod template has no `prometheus.io/scrape: \"true\"`".to_string(),
    };
    let mut d = Diagnostic::new(
        Code::WorkloadNotScraped,
        w.header(),
        format!("{} has SLOs but is not scraped by Prometheus", w.describe()),
    )
    .with_primary_label(why)
    .with_label(slo.span_for_label(), format!("SLO `{}` of service `{}` needs its metrics", slo.name.value, s.name.value))
    .with_help("add a ServiceMonitor selecting a Service of these pods, a PodMonitor, or the scrape annotations");
    if let Some(svc) = services.first() {
        d = d.with_label(svc.header(), "this Service selects the pods");
    }
    diags.push(d);
}

impl crate::model::Slo {
    /// Where to point when an SLO is the reason for a finding.
    pub fn span_for_label(&self) -> crate::source::Span {
        self.name.span
    }
}
