//! The policy stage shared by the working tree and the base revision of a change: parsed files → lowered
//! model → graph → policy checks, with the same cascade rules on both sides (so findings can be compared).

use crate::check;
use crate::diag::Diagnostic;
use crate::graph::PolicyGraph;
use crate::model::imports::Imports;
use crate::model::{lower, Model};
use crate::source::{FileId, SourceMap};
use crate::syntax::Parsed;

/// One parsed file.
pub struct File<'a> {
    pub id: FileId,
    pub parsed: &'a Parsed,
    pub builtin: bool,
}

/// Lowers and checks parsed files; the diagnostics include the files' own (parse) diagnostics.
pub fn analyze(
    files: &[File<'_>],
    sources: &SourceMap,
    imports: &Imports,
) -> (Model, PolicyGraph, Vec<Diagnostic>) {
    let mut diagnostics: Vec<Diagnostic> = files
        .iter()
        .flat_map(|f| f.parsed.diagnostics.iter().cloned())
        .collect();
    let inputs: Vec<lower::Input<'_>> = files
        .iter()
        .filter_map(|f| {
            f.parsed.ast.as_ref().map(|ast| lower::Input {
                file: f.id,
                ast,
                builtin: f.builtin,
            })
        })
        .collect();
    // Names declared in files that do not parse are known, their definitions unknown: no cascades.
    let unparsed = files
        .iter()
        .filter(|f| f.parsed.ast.is_none() && !f.builtin)
        .flat_map(|f| crate::syntax::hints::declared_names(&sources.get(f.id).text))
        .collect();
    let (mut model, model_diags) = lower::lower_with(&inputs, sources, imports, unparsed);
    // A value the parser already refused (`30D`, `1.5h`) drops its definition without a lowering error:
    // the service is incomplete, so checks about absence (an unused SLI) stay quiet instead of cascading.
    for s in &mut model.services {
        let e = s.extent;
        s.incomplete |= diagnostics.iter().any(|d| {
            let at = d.primary.span;
            at.file == e.file && e.start <= at.start && at.end <= e.end
        });
    }
    diagnostics.extend(model_diags);
    let graph = PolicyGraph::build(&model);
    diagnostics.extend(check::policy::check(&model, &graph));
    (model, graph, diagnostics)
}
