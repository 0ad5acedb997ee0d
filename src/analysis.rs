//! The `check` pipeline over a path: load → parse → lower → graph → checks, collecting every diagnostic.

use crate::check;
use crate::diag::{sort_and_dedup, Diagnostic, Severity};
use crate::graph::PolicyGraph;
use crate::model::{lower, Model};
use crate::workspace::{self, LoadError, Workspace};
use std::path::Path;

/// Everything `check` learns about a directory.
pub struct Analysis {
    pub workspace: Workspace,
    pub model: Model,
    pub graph: PolicyGraph,
    /// Sorted, deduplicated.
    pub diagnostics: Vec<Diagnostic>,
}

impl Analysis {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Analyses the policies under `root`.
pub fn analyze(root: &Path) -> Result<Analysis, LoadError> {
    let files = workspace::find_policy_files(root)?;
    let ws = workspace::load(&files)?;
    Ok(analyze_workspace(ws))
}

/// Analyses already loaded files.
pub fn analyze_workspace(ws: Workspace) -> Analysis {
    let mut diagnostics = ws.diagnostics.clone();
    let mut inputs = Vec::new();
    for (i, p) in ws.parsed.iter().enumerate() {
        diagnostics.extend(p.diagnostics.iter().cloned());
        if let Some(ast) = &p.ast {
            inputs.push(lower::Input {
                file: crate::source::FileId(i as u32),
                ast,
                builtin: ws.builtin[i],
            });
        }
    }
    let (model, model_diags) = lower::lower(&inputs, &ws.sources);
    diagnostics.extend(model_diags);
    let graph = PolicyGraph::build(&model);
    diagnostics.extend(check::policy::check(&model, &graph));
    sort_and_dedup(&mut diagnostics);
    Analysis {
        workspace: ws,
        model,
        graph,
        diagnostics,
    }
}
