//! Checks against the repository's Kubernetes manifests: workloads exist, are scraped, are run the way their
//! tier demands (probes, replicas, disruption budgets, requests), canary gates have a canary mechanism, and
//! committed generated rules are current. Each finding labels both sides: the YAML object or field and the
//! policy line that makes it a rule.

mod canary;
mod drift;
mod tier;
mod workloads;

pub use drift::DriftContext;

use crate::diag::{Code, Diagnostic, Severity};
use crate::model::{CheckLevel, ManifestLevel, Model, Service};
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
            let mut tiered = Vec::new();
            tier::check(s, w, inv, &mut tiered);
            let level = model
                .tier(s.tier.value)
                .map_or(ManifestLevel::Error, |t| t.manifests);
            for d in tiered {
                match level {
                    ManifestLevel::Error => found.push(d),
                    ManifestLevel::Warning => found.push(d.with_severity(Severity::Warning)),
                    ManifestLevel::Off => {}
                }
            }
            canary::check(s, w, inv, &mut found);
        }
        diags.extend(apply_levels(found, &s.check_levels));
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

/// Applies severity overrides (the last one for a code wins): a service's `checks { … }`, or the command
/// line's `--deny` / `--warn` / `--allow` for every diagnostic.
pub fn apply_levels(diags: Vec<Diagnostic>, levels: &[(Code, CheckLevel)]) -> Vec<Diagnostic> {
    diags
        .into_iter()
        .filter_map(|d| {
            match levels
                .iter()
                .rev()
                .find(|(c, _)| *c == d.code)
                .map(|(_, l)| *l)
            {
                Some(CheckLevel::Allow) => None,
                Some(CheckLevel::Warn) => Some(d.with_severity(Severity::Warning)),
                Some(CheckLevel::Deny) => Some(d.with_severity(Severity::Error)),
                None => Some(d),
            }
        })
        .collect()
}

/// `service checkout` span helper for labels on the policy side.
fn tier_label(s: &Service) -> (crate::source::Span, String) {
    (
        s.tier.span,
        format!("tier {} service `{}`", s.tier.value, s.name.value),
    )
}
