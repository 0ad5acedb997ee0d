//! Policy-only checks: what can be judged from the `.slo` files alone.

mod alerts;
mod dependencies;
mod names;
mod objectives;
mod slis;

use crate::diag::Diagnostic;
use crate::graph::PolicyGraph;
use crate::model::Model;

/// Runs every policy check.
pub fn check(model: &Model, graph: &PolicyGraph) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    objectives::check(model, &mut diags);
    alerts::check(model, &mut diags);
    slis::check(model, &mut diags);
    dependencies::check(model, graph, &mut diags);
    names::check(model, &mut diags);
    diags
}
