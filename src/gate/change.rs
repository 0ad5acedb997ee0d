//! What a change is, decided from the whole change by content: the gated workload's pod template at the
//! merge-base and at HEAD (read from git, never from commit messages or from HEAD's commit alone).
//!
//! - the same template at both ends: the change rolls no pods (**config only**);
//! - HEAD's template is one the target branch ran before (found walking its first-parent history back from
//!   the merge-base): a **rollback**, whatever the commit messages say;
//! - otherwise a **deploy**, unless every commit of the range that changes the workload's manifest carries the
//!   trailer `Reliability-Fix: true` (a **reliability fix**).
//!
//! Anything that cannot be read (a missing object in a partial clone, a manifest that is not UTF-8, a workload
//! without a pod template of its own) is an error: the caller fails closed.

use super::Change;
use crate::repo::git::{GitError, Repo};
use crate::repo::template::{pod_template, Template, WorkloadKey};
use git2::Oid;
use std::path::Path;

/// How far back the target branch's history is searched for an earlier pod template.
pub const ROLLBACK_SEARCH: usize = 2_000;

/// A change kind and the sentence that justifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub change: Change,
    pub why: String,
}

fn fail(message: String) -> GitError {
    GitError {
        message,
        help: None,
    }
}

fn short(id: Oid) -> String {
    id.to_string()[..7].to_string()
}

/// Where a workload's pod template is read from at a commit.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// A manifest file (repository-relative) that defines the workload.
    File(&'a Path),
    /// A kustomization directory (repository-relative) whose render holds the workload.
    Rendered(&'a Path),
}

impl Source<'_> {
    fn describe(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Rendered(p) => format!("the render of {}", p.display()),
        }
    }

    /// What identifies the template's inputs at a commit: the file's blob, or (rendered) the commit itself,
    /// since a kustomization reads files anywhere in the tree.
    fn inputs_at(&self, repo: &Repo, id: Oid) -> Result<Option<Oid>, GitError> {
        match self {
            Source::File(p) => repo.blob_id_at(id, p),
            Source::Rendered(_) => Ok(Some(id)),
        }
    }
}

/// The pod template of `key` from `src` at commit `id`.
fn template_at(repo: &Repo, id: Oid, src: Source, key: &WorkloadKey) -> Result<Template, GitError> {
    let path = match src {
        Source::File(p) => p,
        Source::Rendered(root) => {
            return crate::repo::kustomize::at_commit::rendered_template(repo.git(), id, root, key)
                .map_err(fail)
        }
    };
    let Some(blob) = repo.blob_id_at(id, path)? else {
        return Ok(Template::Absent);
    };
    match repo.blob_text(blob)? {
        Some(text) => Ok(pod_template(&text, key)),
        None => Err(fail(format!(
            "{} at {} is not UTF-8: its workloads cannot be read",
            path.display(),
            short(id)
        ))),
    }
}

/// Classifies the change `base..head` for the workload `key` read from `src`.
pub fn classify(
    repo: &Repo,
    base: Option<Oid>,
    head: Oid,
    src: Source,
    key: &WorkloadKey,
) -> Result<Classified, GitError> {
    let name = format!("{}/{}/{}", key.0, key.1, key.2);
    let head_t = match template_at(repo, head, src, key)? {
        Template::Pods(t) => t,
        Template::Absent => {
            return Err(fail(format!(
                "workload `{name}` is not in {} at HEAD",
                src.describe()
            )))
        }
        Template::Referenced => {
            return Err(fail(format!(
                "workload `{name}` has no pod template of its own (e.g. an Argo Rollout with `workloadRef`): \
                 what the change deploys cannot be told; point the service's `workload` at the workload that \
                 holds the template"
            )))
        }
    };
    let Some(base) = base else {
        return Ok(Classified {
            change: Change::Deploy,
            why: format!("HEAD is the first commit: `{name}` is new"),
        });
    };
    let base_t = template_at(repo, base, src, key)?;
    if base_t == Template::Pods(head_t.clone()) {
        return Ok(Classified {
            change: Change::ConfigOnly,
            why: format!(
                "the pod template of `{name}` is the same at {} and HEAD: no pods roll",
                short(base)
            ),
        });
    }
    if let Some(earlier) = earlier_template(repo, base, src, key, &head_t)? {
        return Ok(Classified {
            change: Change::Rollback,
            why: format!(
                "HEAD returns `{name}` to the pod template it ran at {} on the target branch",
                short(earlier)
            ),
        });
    }
    let touching = commits_touching(repo, base, head, src, key)?;
    let fixes = touching.iter().filter(|(_, fix)| *fix).count();
    if !touching.is_empty() && fixes == touching.len() {
        return Ok(Classified {
            change: Change::ReliabilityFix,
            why: format!(
                "all {} commit(s) changing {} carry `Reliability-Fix: true`",
                touching.len(),
                src.describe()
            ),
        });
    }
    Ok(Classified {
        change: Change::Deploy,
        why: format!(
            "the pod template of `{name}` changes between {} and HEAD{}",
            short(base),
            if fixes > 0 {
                format!(
                    " ({fixes} of {} commits are marked as reliability fixes, not all)",
                    touching.len()
                )
            } else {
                String::new()
            }
        ),
    })
}

/// The commit on `base`'s first-parent history (before `base`) whose pod template equals `wanted`.
/// A history that ends (root commit, shallow boundary) just ends the search: not finding an earlier template
/// makes the change a deploy, the cautious answer.
fn earlier_template(
    repo: &Repo,
    base: Oid,
    src: Source,
    key: &WorkloadKey,
    wanted: &str,
) -> Result<Option<Oid>, GitError> {
    let git = repo.git();
    let mut current = repo.commit(base)?;
    let mut last_blob = src.inputs_at(repo, base)?;
    for _ in 0..ROLLBACK_SEARCH {
        if current.parent_count() == 0 || git.is_shallow() && current.parents().next().is_none() {
            return Ok(None);
        }
        let Ok(parent) = current.parent(0) else {
            return Ok(None); // beyond a shallow boundary
        };
        let blob = src.inputs_at(repo, parent.id())?;
        if blob != last_blob {
            if let Template::Pods(t) = template_at(repo, parent.id(), src, key)? {
                if t == wanted {
                    return Ok(Some(parent.id()));
                }
            }
            last_blob = blob;
        }
        current = parent;
    }
    Ok(None)
}

/// The commits of `base..head` that change the workload (its file, or for a rendered workload its rendered pod
/// template, against their first parent), each with whether it carries `Reliability-Fix: true`.
fn commits_touching(
    repo: &Repo,
    base: Oid,
    head: Oid,
    src: Source,
    key: &WorkloadKey,
) -> Result<Vec<(Oid, bool)>, GitError> {
    let git = repo.git();
    let walk_err =
        |e: git2::Error| fail(format!("cannot walk the change's commits: {}", e.message()));
    let mut walk = git.revwalk().map_err(walk_err)?;
    walk.push(head).map_err(walk_err)?;
    walk.hide(base).map_err(walk_err)?;
    let mut out = Vec::new();
    for id in walk {
        let id = id.map_err(walk_err)?;
        let c = repo.commit(id)?;
        let changed = match src {
            Source::File(path) => {
                let before = match c.parent(0) {
                    Ok(p) => repo.blob_id_at(p.id(), path)?,
                    Err(_) => None,
                };
                repo.blob_id_at(id, path)? != before
            }
            Source::Rendered(_) => {
                let before = match c.parent(0) {
                    Ok(p) => Some(template_at(repo, p.id(), src, key)?),
                    Err(_) => None,
                };
                before.as_ref() != Some(&template_at(repo, id, src, key)?)
            }
        };
        if changed {
            let fix = c.message().unwrap_or("").lines().any(|l| {
                l.split_once(':').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("Reliability-Fix")
                        && v.trim().eq_ignore_ascii_case("true")
                })
            });
            out.push((id, fix));
        }
    }
    Ok(out)
}
