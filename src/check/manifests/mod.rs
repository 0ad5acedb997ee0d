//! Checks against the repository's Kubernetes manifests: workloads exist, are scraped, are run the way their
//! tier demands (probes, replicas, disruption budgets, requests), canary gates have a canary mechanism, and
//! committed generated rules are current. Each finding labels both sides: the YAML object or field and the
//! policy line that makes it a rule.

mod canary;
mod drift;
mod tier;
mod workloads;

pub use drift::DriftContext;

use crate::diag::{Code, Diagnostic};
use crate::model::{Model, Service};
use crate::repo::manifests::Inventory;

/// Runs every manifest check.
pub fn check(model: &Model, inv: &Inventory, drift: &DriftContext<'_>) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    // Without a single Kubernetes object there is nothing to hold workloads against (the manifests live
    // elsewhere); committed generated rules are still checked.
    let services = if inv.objects.is_empty() {
        &[][..]
    } else {
        &model.services[..]
    };
    let scrapers = workloads::Scrapers::new(inv);
    for s in services {
        let mut found = Vec::new();
        if let Some(w) = workloads::resolve(s, inv, &mut found) {
            if !s.slos.is_empty() {
                workloads::scraped(s, w, inv, &scrapers, &mut found);
            }
            // Tier defaults and overrides are applied later, in one place (`check::levels`).
            tier::check(s, w, inv, &mut found);
            canary::check(s, w, inv, &mut found);
        }
        diags.extend(found.into_iter().map(|d| d.for_service(&s.name.value)));
    }
    diags.extend(drift::check(model, inv, drift));
    for s in &inv.unrendered {
        diags.push(Diagnostic::new(
            Code::KustomizeUnrendered,
            s.span,
            s.reason.clone(),
        ));
    }
    for s in &inv.skipped {
        diags.push(Diagnostic::new(
            Code::ManifestSkipped,
            s.span,
            format!("skipped: {}", s.reason),
        ));
    }
    diags
}

/// `service checkout` span helper for labels on the policy side.
fn tier_label(s: &Service) -> (crate::source::Span, String) {
    (
        s.tier.span,
        format!("tier {} service `{}`", s.tier.value, s.name.value),
    )
}
