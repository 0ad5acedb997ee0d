//! The `check` pipeline over a path: load → parse → lower → graph → checks, collecting every diagnostic.

mod base;
mod policies;

use crate::check::history;
use crate::diag::Code;
use crate::diag::{sort_and_dedup, Diagnostic, Severity};
use crate::graph::PolicyGraph;
use crate::model::{CheckLevel, Model};
use crate::repo::git::{Compare, GitError, Repo};
use crate::repo::manifests::{self, Inventory};
use crate::source::FileId;
use crate::workspace::{self, LoadError, Workspace};
use std::path::Path;

/// What `analyze_with` does beyond the policies.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Check the repository's Kubernetes manifests (and committed generated rules).
    pub manifests: bool,
    /// Severity overrides from the command line; they win over everything else.
    pub levels: Vec<(Code, CheckLevel)>,
    /// Diff-aware mode: compare with a base revision or the index, report policy regressions, and show only
    /// problems on changed lines (unless `all`).
    pub compare: Option<Compare>,
    pub all: bool,
    /// Review findings fail the run (`--deny review`).
    pub deny_review: bool,
    /// Measure toil and automation from git history for the gates that cap them (`--history`).
    pub history: bool,
    /// Report on these files (canonical paths) only, though the whole tree is analysed; in diff-aware mode,
    /// findings elsewhere that the change introduces are reported too. `None`: everything.
    pub only: Option<Vec<std::path::PathBuf>>,
}

/// Why an analysis could not be made (exit code 2).
#[derive(Debug)]
pub enum AnalyzeError {
    Load(LoadError),
    Git(GitError),
}

impl std::fmt::Display for AnalyzeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnalyzeError::Load(e) => e.fmt(f),
            AnalyzeError::Git(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for AnalyzeError {}

impl From<LoadError> for AnalyzeError {
    fn from(e: LoadError) -> AnalyzeError {
        AnalyzeError::Load(e)
    }
}

impl From<GitError> for AnalyzeError {
    fn from(e: GitError) -> AnalyzeError {
        AnalyzeError::Git(e)
    }
}

impl Default for AnalyzeOptions {
    fn default() -> AnalyzeOptions {
        AnalyzeOptions {
            manifests: true,
            levels: Vec::new(),
            compare: None,
            all: false,
            deny_review: false,
            history: false,
            only: None,
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
    /// In diff-aware mode, problems left out because they predate the change.
    pub hidden: usize,
    /// When `check` was given files: how many policy and manifest files it reports on.
    pub reported: Option<(usize, usize)>,
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
pub fn analyze(root: &Path) -> Result<Analysis, AnalyzeError> {
    analyze_with(root, &AnalyzeOptions::default())
}

/// `check PATH…`: one directory is analysed as it is; files (or several paths) are analysed in the whole
/// workspace around them (the repository), reporting on them only (see [`crate::scope`]).
pub fn analyze_paths(
    paths: &[std::path::PathBuf],
    opts: &AnalyzeOptions,
) -> Result<Analysis, AnalyzeError> {
    if let [one] = paths {
        if one.is_dir() {
            return analyze_with(one, opts);
        }
    }
    let (root, files) = crate::scope::workspace_of(paths)?;
    let opts = AnalyzeOptions {
        only: Some(files.clone()),
        ..opts.clone()
    };
    let mut a = analyze_with(&root, &opts)?;
    let covered =
        |p: &Path| std::fs::canonicalize(p).is_ok_and(|c| files.iter().any(|f| c.starts_with(f)));
    a.reported = Some((
        a.workspace
            .user_files()
            .filter(|id| covered(&a.workspace.sources.get(*id).path))
            .count(),
        files
            .iter()
            .filter(|f| f.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .count(),
    ));
    Ok(a)
}

/// Analyses the policies only.
pub fn analyze_policies(root: &Path) -> Result<Analysis, AnalyzeError> {
    analyze_with(
        root,
        &AnalyzeOptions {
            manifests: false,
            ..AnalyzeOptions::default()
        },
    )
}

/// Analyses `root` with options.
pub fn analyze_with(root: &Path, opts: &AnalyzeOptions) -> Result<Analysis, AnalyzeError> {
    let files = workspace::find_policy_files(root)?;
    let ws = workspace::load(&files, &workspace::policy_root(root)?)?;
    let mut a = analyze_unleveled(ws);
    if opts.manifests && root.is_dir() {
        let paths = manifests::find_manifests(root)?;
        let inv = manifests::load_rendered(root, &paths, &mut a.workspace.sources);
        let ctx = crate::check::manifests::DriftContext { root };
        a.diagnostics
            .extend(crate::check::manifests::check(&a.model, &inv, &ctx));
        a.inventory = Some(inv);
        // Toil caps and automation floors need history (`--history`): measured when the policies set any.
        let wants_history = opts.history
            && a.model.services.iter().any(|s| {
                s.gates.iter().flat_map(|g| &g.requires).any(|c| {
                    matches!(
                        c.metric,
                        crate::model::Metric::Toil | crate::model::Metric::Automation
                    )
                })
            });
        if wants_history {
            let repo = Repo::discover(root)?;
            let facts = crate::repo::history::facts(
                &repo,
                &a.model,
                a.inventory.as_ref(),
                &a.workspace.sources,
            )?;
            if repo.is_shallow() {
                if let Some(f) = facts.iter().find(|f| f.truncated) {
                    return Err(AnalyzeError::Git(GitError {
                        message: format!(
                            "this is a shallow clone and its history does not reach the {}-day toil window of `{}`",
                            f.window_days, f.service
                        ),
                        help: Some("fetch the full history: `git fetch --unshallow`, or in GitHub Actions `actions/checkout` with `fetch-depth: 0`".into()),
                    }));
                }
            }
            a.diagnostics.extend(history::caps(&a.model, &facts));
        }
    }
    let mut diags = std::mem::take(&mut a.diagnostics);
    let mut changes = None;
    if let Some(cmp) = &opts.compare {
        let repo = Repo::discover(root)?;
        let c = repo.changes(cmp)?;
        let prefix = repo.relative(root).unwrap_or_default();
        let builtin: Vec<_> = a
            .workspace
            .parsed
            .iter()
            .enumerate()
            .filter(|(i, _)| a.workspace.builtin[*i])
            .map(|(i, p)| (FileId(i as u32), p))
            .collect();
        let mut sources = std::mem::take(&mut a.workspace.sources);
        let base = base::policies(&repo, &c, &prefix, &mut sources, &builtin);
        a.workspace.sources = sources;
        let base = base?;
        let review = history::compare(&base.model, &a.model, &c.base_label);
        diags.extend(if opts.deny_review {
            base::deny_review(review)
        } else {
            review
        });
        changes = Some((repo, c, base));
    }
    diags = crate::check::levels::apply(diags, &a.model, &opts.levels);
    let scope = crate::scope::Scope::new(opts.only.as_deref(), &a.workspace.sources);
    if let (Some((repo, c, base)), false) = (&changes, opts.all) {
        let head = base::Head {
            sources: &a.workspace.sources,
            inventory: a.inventory.as_ref(),
            root,
        };
        let in_scope = |d: &Diagnostic| scope.contains(d);
        let (shown, hidden) = base::introduced(diags, &head, base, repo, c, opts, &in_scope)?;
        diags = shown;
        a.hidden = hidden;
    } else {
        diags.retain(|d| scope.contains(d));
    }
    sort_and_dedup(&mut diags);
    a.diagnostics = diags;
    Ok(a)
}

/// Analyses already loaded files (the services' `checks { … }` applied).
pub fn analyze_workspace(ws: Workspace) -> Analysis {
    let mut a = analyze_unleveled(ws);
    let diags = std::mem::take(&mut a.diagnostics);
    a.diagnostics = crate::check::levels::apply(diags, &a.model, &[]);
    a
}

/// Analyses already loaded files, every finding at its default severity.
fn analyze_unleveled(ws: Workspace) -> Analysis {
    let files: Vec<policies::File<'_>> = ws
        .parsed
        .iter()
        .enumerate()
        .map(|(i, parsed)| policies::File {
            id: FileId(i as u32),
            parsed,
            builtin: ws.builtin[i],
        })
        .collect();
    let (model, graph, found) = policies::analyze(&files, &ws.sources, &ws.imports);
    let mut diagnostics = ws.diagnostics.clone();
    diagnostics.extend(found);
    sort_and_dedup(&mut diagnostics);
    Analysis {
        workspace: ws,
        model,
        graph,
        inventory: None,
        hidden: 0,
        reported: None,
        diagnostics,
    }
}
