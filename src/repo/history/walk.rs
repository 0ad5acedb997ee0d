//! Walking the first-parent chain back from HEAD and finding, for each commit, which watched paths it changed
//! (an entry-by-entry tree comparison that enters only directories leading to a watched path), in parallel.

use crate::repo::git::{GitError, Repo};
use git2::{Commit, Oid};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Paths under `prefix` that differ between two trees and that `interesting` accepts (directories are only
/// entered when `interesting` accepts them), with their (old, new) blob ids.
fn diff_trees(
    repo: &git2::Repository,
    old: Option<&git2::Tree<'_>>,
    new: Option<&git2::Tree<'_>>,
    prefix: &Path,
    interesting: &dyn Fn(&Path) -> bool,
    out: &mut Vec<(PathBuf, Option<Oid>, Option<Oid>)>,
) -> Result<(), GitError> {
    type Side = Option<(Oid, bool)>;
    let side = |e: &git2::TreeEntry<'_>| Some((e.id(), e.kind() == Some(git2::ObjectType::Tree)));
    let mut pairs: Vec<(Vec<u8>, Side, Side)> = Vec::new();
    // Fast path: the same names in the same order (a modification), compared in place.
    let mut aligned = false;
    if let (Some(o), Some(n)) = (old, new) {
        if o.len() == n.len() {
            aligned = true;
            for (x, y) in o.iter().zip(n.iter()) {
                if x.name_bytes() != y.name_bytes() {
                    aligned = false;
                    pairs.clear();
                    break;
                }
                if x.id() != y.id() {
                    pairs.push((x.name_bytes().to_vec(), side(&x), side(&y)));
                }
            }
        }
    }
    if !aligned {
        // Additions, deletions and renames: match by name.
        let index = |t: Option<&git2::Tree<'_>>| -> HashMap<Vec<u8>, (Oid, bool)> {
            t.map(|t| {
                t.iter()
                    .filter_map(|e| side(&e).map(|s| (e.name_bytes().to_vec(), s)))
                    .collect()
            })
            .unwrap_or_default()
        };
        let (a, b) = (index(old), index(new));
        for (name, x) in &a {
            let y = b.get(name).copied();
            if y.map(|y| y.0) != Some(x.0) {
                pairs.push((name.clone(), Some(*x), y));
            }
        }
        for (name, y) in &b {
            if !a.contains_key(name) {
                pairs.push((name.clone(), None, Some(*y)));
            }
        }
        pairs.sort_by(|p, q| p.0.cmp(&q.0));
    }
    for (name, x, y) in pairs {
        // Names are bytes in git: joined as such (a non-UTF-8 name must still match the watched path read from
        // the filesystem, or its history would silently vanish).
        #[cfg(unix)]
        let path =
            prefix.join(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(&name));
        #[cfg(not(unix))]
        let path = prefix.join(String::from_utf8_lossy(&name).as_ref());
        if !interesting(&path) {
            continue;
        }
        let is_tree = |e: Side| e.is_some_and(|e| e.1);
        if is_tree(x) || is_tree(y) {
            let load = |e: Side| -> Result<Option<git2::Tree<'_>>, GitError> {
                match e {
                    Some((id, true)) => repo.find_tree(id).map(Some).map_err(|e| GitError {
                        message: format!("cannot read tree {id}: {}", e.message()),
                        help: None,
                    }),
                    _ => Ok(None),
                }
            };
            let (ta, tb) = (load(x)?, load(y)?);
            diff_trees(repo, ta.as_ref(), tb.as_ref(), &path, interesting, out)?;
        } else {
            out.push((path, x.map(|e| e.0), y.map(|e| e.0)));
        }
    }
    Ok(())
}

/// First-parent commits that touch any of the watched paths.
pub struct Walk {
    pub head_time: i64,
    pub commits: Vec<WalkedCommit>,
    /// The oldest commit reached, and whether it is a shallow boundary or the root.
    oldest_time: Option<i64>,
    ended_early: bool,
}

impl Walk {
    /// Whether the history ends after `since` (so facts for the window are incomplete).
    pub fn truncated_before(&self, since: i64) -> bool {
        self.ended_early && self.oldest_time.is_some_and(|t| t > since)
    }
}

pub struct WalkedCommit {
    pub id: Oid,
    pub time: i64,
    /// Watched paths the commit touched.
    pub paths: Vec<PathBuf>,
    /// (old blob, new blob) of each touched path, `None` where the file did not exist.
    pub blobs: Vec<(Option<Oid>, Option<Oid>)>,
    pub author_name: String,
    pub author_email: String,
    pub message: String,
}

/// How many commits in a row dated before the window end it (see [`Repo::first_parent_walk`]).
pub const SKEW_RUN: usize = 20;

impl Repo {
    /// Walks first-parent history back from HEAD for `window_secs`, keeping commits that touch `paths`.
    pub fn first_parent_walk(
        &self,
        window_secs: i64,
        paths: &[&PathBuf],
    ) -> Result<Walk, GitError> {
        let repo = self.git();
        let head = repo
            .head()
            .and_then(|h| h.peel_to_commit())
            .map_err(|e| GitError {
                message: format!("cannot read HEAD: {}", e.message()),
                help: None,
            })?;
        let head_time = head.time().seconds();
        let since = head_time - window_secs;
        let mut current = Some(head);
        let mut oldest_time = None;
        let mut ended_early = false;
        // First the chain of (commit, time, tree, parent tree): commit objects are small and must be read in
        // order. Then the tree comparisons, which are the work, in parallel: one repository handle per worker
        // (git2's Repository is not Sync).
        let mut chain: Vec<(Oid, i64, Oid, Option<Oid>)> = Vec::new();
        let err = |id: Oid, e: git2::Error| GitError {
            message: format!("cannot read commit {id}: {}", e.message()),
            help: Some(
                "the repository may be corrupt: `git fsck` tells; a fresh clone fixes it".into(),
            ),
        };
        // Commits are taken along the first-parent chain, and the window ends where SKEW_RUN commits in a row
        // are dated before it: one commit with a skewed clock (1970, or a date after HEAD) neither ends the
        // walk early nor is dropped; it counts where the topology puts it.
        let mut old_run: Vec<(Oid, i64, Oid, Option<Oid>)> = Vec::new();
        while let Some(c) = current {
            let time = c.time().seconds();
            if time < since && old_run.len() + 1 >= SKEW_RUN {
                break;
            }
            oldest_time = Some(oldest_time.map_or(time, |o: i64| o.min(time.max(since))));
            let parent = match c.parent(0) {
                Ok(p) => Some(p),
                Err(_) => {
                    // The root commit, or the boundary of a shallow clone.
                    ended_early = true;
                    None
                }
            };
            let entry = (
                c.id(),
                time,
                c.tree_id(),
                parent.as_ref().map(|p| p.tree_id()),
            );
            if time < since {
                old_run.push(entry);
            } else {
                // A commit dated inside the window after a few older-dated ones: those were skewed, not old.
                chain.append(&mut old_run);
                chain.push(entry);
            }
            current = parent;
        }
        if paths.is_empty() {
            return Ok(Walk {
                head_time,
                commits: Vec::new(),
                oldest_time,
                ended_early,
            });
        }
        // Trees are compared entry by entry, descending only into directories that lead to a watched path and
        // whose ids differ: what git does, and far cheaper than a general diff over large directories.
        let watched: std::collections::HashSet<&Path> = paths.iter().map(|p| p.as_path()).collect();
        let dirs: std::collections::HashSet<&Path> =
            paths.iter().flat_map(|p| p.ancestors().skip(1)).collect();
        let interesting = |p: &Path| watched.contains(p) || dirs.contains(p);
        let git_dir = repo.path().to_path_buf();
        let workers = rayon::current_num_threads().max(1);
        let chunk = chain.len().div_ceil(workers).max(1);
        let parts: Vec<Result<Vec<WalkedCommit>, GitError>> = chain
            .par_chunks(chunk)
            .map(|part| {
                let repo = git2::Repository::open(&git_dir).map_err(|e| GitError {
                    message: format!("cannot open the repository: {}", e.message()),
                    help: None,
                })?;
                let mut out = Vec::new();
                for &(id, time, tree, parent_tree) in part {
                    let tree = repo.find_tree(tree).map_err(|e| err(id, e))?;
                    let parent_tree = match parent_tree {
                        Some(t) => Some(repo.find_tree(t).map_err(|e| err(id, e))?),
                        None => None,
                    };
                    let mut changed = Vec::new();
                    diff_trees(
                        &repo,
                        parent_tree.as_ref(),
                        Some(&tree),
                        Path::new(""),
                        &interesting,
                        &mut changed,
                    )?;
                    if changed.is_empty() {
                        continue;
                    }
                    let c = repo.find_commit(id).map_err(|e| err(id, e))?;
                    let author = c.author();
                    out.push(WalkedCommit {
                        id,
                        time,
                        paths: changed.iter().map(|(p, _, _)| p.clone()).collect(),
                        blobs: changed.iter().map(|(_, a, b)| (*a, *b)).collect(),
                        author_name: author.name().unwrap_or("").to_string(),
                        author_email: author.email().unwrap_or("").to_string(),
                        message: c.message().unwrap_or("").to_string(),
                    });
                }
                Ok(out)
            })
            .collect();
        let mut commits = Vec::new();
        for p in parts {
            commits.extend(p?);
        }
        Ok(Walk {
            head_time,
            commits,
            oldest_time,
            ended_early,
        })
    }

    /// The blob id of `path` at commit `id`, if it exists there.
    pub fn blob_id_at(&self, id: Oid, path: &Path) -> Result<Option<Oid>, GitError> {
        let c = self.commit(id)?;
        let tree = c.tree().map_err(|e| GitError {
            message: format!("cannot read commit {id}: {}", e.message()),
            help: None,
        })?;
        Ok(tree.get_path(path).ok().map(|e| e.id()))
    }

    /// The text of a blob (`None` when it is not UTF-8).
    pub fn blob_text(&self, blob: Oid) -> Result<Option<String>, GitError> {
        let b = self.git().find_blob(blob).map_err(|e| GitError {
            message: format!("cannot read blob {blob}: {}", e.message()),
            help: Some(
                "the repository may be corrupt: `git fsck` tells; a fresh clone fixes it".into(),
            ),
        })?;
        Ok(std::str::from_utf8(b.content()).ok().map(str::to_string))
    }

    pub fn commit(&self, id: Oid) -> Result<Commit<'_>, GitError> {
        self.git().find_commit(id).map_err(|e| GitError {
            message: format!("cannot read commit {id}: {}", e.message()),
            help: None,
        })
    }
}
