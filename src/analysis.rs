//! The `check` pipeline over a path: load → parse → lower → graph → checks, collecting every diagnostic.

use crate::check;
use crate::diag::Code;
use crate::diag::{sort_and_dedup, Diagnostic, Severity};
use crate::graph::PolicyGraph;
use crate::model::{lower, CheckLevel, Model};
use crate::repo::manifests::{self, Inventory};
use crate::workspace::{self, LoadError, Workspace};
use std::path::Path;

/// What `analyze_with` does beyond the policies.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Check the repository's Kubernetes manifests (and committed generated rules).
    pub manifests: bool,
    /// Severity overrides from the command line; they win over everything else.
    pub levels: Vec<(Code, CheckLevel)>,
}

impl Default for AnalyzeOptions {
    fn default() -> AnalyzeOptions {
        AnalyzeOptions {
            manifests: true,
            levels: Vec::new(),
        }
    }
}

/// Everything `check` learns about a directory.
pub struct Analysis {
    pub workspace: Workspace,
    pub model: Model,
    pub graph: PolicyGraph,
    /// The manifests, when they were checked.
    pub inventory: Option<Inventory>,
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

/// Analyses the policies under `root` and, when there are any, its manifests.
pub fn analyze(root: &Path) -> Result<Analysis, LoadError> {
    analyze_with(root, &AnalyzeOptions::default())
}

/// Analyses the policies only.
pub fn analyze_policies(root: &Path) -> Result<Analysis, LoadError> {
    analyze_with(
        root,
        &AnalyzeOptions {
            manifests: false,
            levels: Vec::new(),
        },
    )
}

/// Analyses `root` with options.
pub fn analyze_with(root: &Path, opts: &AnalyzeOptions) -> Result<Analysis, LoadError> {
    let files = workspace::find_policy_files(root)?;
    let ws = workspace::load(&files)?;
    let mut a = analyze_workspace(ws);
    if opts.manifests && root.is_dir() {
        let paths = manifests::find_manifests(root)?;
        let inv = manifests::load(&paths, &mut a.workspace.sources);
        let ctx = crate::check::manifests::DriftContext { root };
        a.diagnostics
            .extend(crate::check::manifests::check(&a.model, &inv, &ctx));
        a.inventory = Some(inv);
    }
    let mut diags = std::mem::take(&mut a.diagnostics);
    if !opts.levels.is_empty() {
        diags = crate::check::manifests::apply_levels(diags, &opts.levels);
    }
    sort_and_dedup(&mut diags);
    a.diagnostics = diags;
    Ok(a)
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
        inventory: None,
        diagnostics,
    }
}
