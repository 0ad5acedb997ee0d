//! A workload's pod template as a kustomization renders it at a commit (read from git objects, never from the
//! working tree): what the gate compares across a change when the workload comes from an overlay, where an
//! `images:` bump or a patch changes what is deployed without touching the base file.

use super::tree::GitTree;
use super::Renderer;
use crate::repo::template::{template_of, Template, WorkloadKey};
use crate::source::{FileId, SourceMap, Span};
use std::path::{Path, PathBuf};

/// The pod template of `key` rendered from the kustomization in `root` (repository-relative) at `commit`.
/// A root that does not exist there gives [`Template::Absent`]; anything the renderer could not do (a remote
/// base, an unsupported generator, a broken patch) is an error, so the caller fails closed.
pub fn rendered_template(
    repo: &git2::Repository,
    commit: git2::Oid,
    root: &Path,
    (kind, ns, name): &WorkloadKey,
) -> Result<Template, String> {
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(|e| format!("cannot read commit {commit}: {}", e.message()))?;
    let tree = GitTree {
        repo,
        tree,
        label: PathBuf::new(),
    };
    let mut sources = SourceMap::new();
    let mut r = Renderer::new(&tree, &mut sources);
    match r.kustomization_in(root) {
        Ok(Some(_)) => {}
        Ok(None) => return Ok(Template::Absent),
        Err(e) => return Err(format!("{}: {e}", root.display())),
    }
    let objects = r.render(root, Vec::new(), Span::new(FileId(0), 0, 0), false);
    if let Some(issue) = r.issues.first() {
        return Err(format!(
            "{} cannot be rendered at {}: {}",
            root.display(),
            &commit.to_string()[..7],
            issue.message
        ));
    }
    drop(r);
    for res in objects {
        if !res.kind().eq_ignore_ascii_case(kind) || !res.matches_name(name) {
            continue;
        }
        let Ok(o) = res.into_object() else { continue };
        if o.namespace != *ns || o.name != *name {
            continue;
        }
        return Ok(match template_of(&o.value, &o.kind) {
            Some(t) => serde_json::to_value(t)
                .map(|j| Template::Pods(j.to_string()))
                .unwrap_or(Template::Referenced),
            None => Template::Referenced,
        });
    }
    Ok(Template::Absent)
}
