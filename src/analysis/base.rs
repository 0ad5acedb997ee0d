//! Diff-aware mode: the base revision's policies (for policy regressions) and findings (to tell which findings
//! at the head are new), computed with the head's options.
//!
//! The base's policy files are read from git blobs and analysed in memory, with the same policy stage as the
//! working tree. Its manifests and committed generated rules then take one of two paths:
//!
//! - when every manifest-like file (`*.yaml`, `*.yml`, `Kustomization`) the head read is byte for byte the
//!   base's blob at the same path, and the base has no other (the usual pull request, which changes
//!   policies), the head's manifest inventory *is* the base's: the manifest checks run on it against the base
//!   model, and nothing is read twice;
//! - otherwise the base tree is written into a temporary directory ([`Repo::snapshot`]) and analysed there.
//!
//! Any doubt takes the second path; both are fail-closed (a base that cannot be read is an error).

use super::{analyze_with, policies, AnalyzeError, AnalyzeOptions};
use crate::check::history::{self, Base};
use crate::diag::{Diagnostic, Severity};
use crate::model::Model;
use crate::repo::git::{Changes, GitError, Repo};
use crate::repo::manifests::Inventory;
use crate::source::{FileId, SourceFile, SourceMap};
use crate::syntax::Parsed;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where base policy files live in the source map: `<base>/path` (relative to the working directory).
const BASE: &str = "<base>";

/// The base's policies, lowered and checked; their files join the head's source map as `path @ label`.
pub struct BasePolicies {
    pub model: Model,
    /// Every policy finding at the base, at default severity.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads and analyses the base's policy files under `prefix`.
pub fn policies(
    repo: &Repo,
    changes: &Changes,
    prefix: &Path,
    sources: &mut SourceMap,
    builtin: &[(FileId, &Parsed)],
) -> Result<BasePolicies, AnalyzeError> {
    let files = match changes.base {
        Some(base) => repo.policies_at(base, prefix)?,
        None => Vec::new(),
    };
    let mut parsed = Vec::new();
    for (path, text) in files {
        let id = sources.add(SourceFile::new(
            format!("{} @ {}", path.display(), changes.base_label),
            Path::new(BASE).join(&path),
            text.as_str(),
        ));
        parsed.push((id, crate::syntax::parse(id, &text)));
    }
    let mut inputs: Vec<policies::File<'_>> = builtin
        .iter()
        .map(|(id, p)| policies::File {
            id: *id,
            parsed: p,
            builtin: true,
        })
        .collect();
    inputs.extend(parsed.iter().map(|(id, p)| policies::File {
        id: *id,
        parsed: p,
        builtin: false,
    }));
    let imports = crate::model::imports::Imports::lexical(
        parsed
            .iter()
            .filter_map(|(id, p)| p.ast.as_ref().map(|ast| (*id, ast))),
        sources,
        Path::new(BASE),
    );
    let (model, _, diagnostics) = policies::analyze(&inputs, sources, &imports);
    Ok(BasePolicies { model, diagnostics })
}

/// What the head knows that the base findings are computed from.
pub struct Head<'a> {
    pub sources: &'a SourceMap,
    pub inventory: Option<&'a Inventory>,
    /// The path the head was analysed at.
    pub root: &'a Path,
}

/// The head's findings the change introduces, and how many predate it.
pub fn introduced(
    diags: Vec<Diagnostic>,
    head: &Head<'_>,
    base: &BasePolicies,
    repo: &Repo,
    changes: &Changes,
    opts: &AnalyzeOptions,
    in_scope: &dyn Fn(&Diagnostic) -> bool,
) -> Result<(Vec<Diagnostic>, usize), AnalyzeError> {
    let Some(commit) = changes.base else {
        return Ok((diags, 0));
    };
    let prefix = repo.relative(head.root).ok_or_else(|| {
        AnalyzeError::Git(GitError {
            message: format!(
                "`{}` is not inside the repository's working tree",
                head.root.display()
            ),
            help: None,
        })
    })?;
    let lexical = |f: &SourceFile| lexical_relative(f, head.root, &prefix);
    let same_manifests = match head.inventory {
        None => true,
        Some(_) => {
            let at_head = manifest_blobs(head.sources, &lexical);
            at_head.is_some() && at_head == Some(repo.manifest_blobs_at(commit, &prefix)?)
        }
    };
    if same_manifests {
        // The base's findings: its policies', and the manifest checks of its model on the same manifests.
        let mut found = base.diagnostics.clone();
        if let Some(inv) = head.inventory {
            let ctx = crate::check::manifests::DriftContext { root: head.root };
            found.extend(crate::check::manifests::check(&base.model, inv, &ctx));
        }
        let found = crate::check::levels::apply(found, &base.model, &opts.levels);
        let relative = |f: &SourceFile| match f.path.strip_prefix(BASE) {
            Ok(rel) => Some(rel.to_path_buf()),
            Err(_) => lexical(f),
        };
        let b = Base {
            diagnostics: &found,
            sources: head.sources,
            relative: &relative,
            message: &|m: &str| m.to_string(),
        };
        return Ok(history::introduced(
            diags,
            head.sources,
            repo,
            changes,
            &b,
            in_scope,
        ));
    }
    let snapshot = repo.snapshot(commit)?;
    let base_root = if prefix.as_os_str().is_empty() {
        snapshot.root().to_path_buf()
    } else {
        snapshot.root().join(&prefix)
    };
    let base_opts = AnalyzeOptions {
        compare: None,
        history: false,
        only: None,
        ..opts.clone()
    };
    // What does not exist at the base has no findings there: everything at the head is new.
    let analysis = if std::fs::symlink_metadata(&base_root).is_ok() {
        Some(analyze_with(&base_root, &base_opts)?)
    } else {
        None
    };
    let (found, sources) = match &analysis {
        Some(b) => (&b.diagnostics[..], &b.workspace.sources),
        None => (&[][..], head.sources),
    };
    // File names in messages start with the path each side was analysed at.
    let from = base_root.display().to_string();
    let to = head.root.display().to_string();
    let to = match to.trim_end_matches('/') {
        "" => to.as_str(),
        trimmed => trimmed,
    };
    let message = |m: &str| m.replace(&from, to);
    let relative = |f: &SourceFile| {
        f.path
            .strip_prefix(snapshot.root())
            .ok()
            .map(Path::to_path_buf)
    };
    let b = Base {
        diagnostics: found,
        sources,
        relative: &relative,
        message: &message,
    };
    Ok(history::introduced(
        diags,
        head.sources,
        repo,
        changes,
        &b,
        in_scope,
    ))
}

/// A head file's path relative to the working directory, from the path it was read at (under the analysed
/// root); `None` for a path that leaves the root.
fn lexical_relative(f: &SourceFile, root: &Path, prefix: &Path) -> Option<PathBuf> {
    let rel = f.path.strip_prefix(root).ok()?;
    if rel
        .components()
        .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return None;
    }
    Some(prefix.join(rel))
}

/// The manifest-like files the head read, by path relative to the working directory, with the blob id of
/// the bytes read; `None` when one of them cannot be placed (outside the root) — then the base is read
/// from git in full.
fn manifest_blobs(
    sources: &SourceMap,
    relative: &dyn Fn(&SourceFile) -> Option<PathBuf>,
) -> Option<BTreeMap<PathBuf, git2::Oid>> {
    let mut out = BTreeMap::new();
    for i in 0..sources.len() {
        let f = sources.get(FileId(i as u32));
        if !crate::repo::snapshot::manifest_like(&f.path) {
            continue;
        }
        let rel = relative(f)?;
        let id = git2::Oid::hash_object(git2::ObjectType::Blob, f.text.as_bytes()).ok()?;
        out.insert(rel, id);
    }
    Some(out)
}

/// Review findings made errors by `--deny review`.
pub fn deny_review(review: Vec<Diagnostic>) -> Vec<Diagnostic> {
    review
        .into_iter()
        .map(|d| d.with_severity(Severity::Error))
        .collect()
}
