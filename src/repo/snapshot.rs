//! A revision's policies, manifests and committed generated rules, read from git objects (git2) — never by
//! checking out — and written into a private temporary directory, so that the same pipeline that analyses the
//! working tree can analyse the base of a change. The working tree, the index and HEAD are not touched.
//!
//! Files the working tree holds unchanged (the same blob) are hard-linked from it when the file system
//! allows, the others written from their blobs. Only what the analysis reads is written: `*.slo`, `*.yaml`, `*.yml` and `Kustomization` files, outside
//! the directories the walk skips anyway. Symbolic links and submodules are left out (the analysis never
//! follows links). A blob over the size limits is written as a sparse file of its size, so the analysis
//! reports it as oversized exactly as it does in the working tree, without inflating it.

use super::git::{GitError, Repo};
use git2::{ObjectType, Oid, TreeWalkMode, TreeWalkResult};
use std::path::{Path, PathBuf};

/// Larger blobs are never inflated (both loaders refuse files this large).
const MAX_BLOB_BYTES: usize = 8 * 1024 * 1024 + 1;

/// A revision written into a temporary directory, removed when dropped.
pub struct Snapshot {
    dir: tempfile::TempDir,
    /// Files written.
    pub files: usize,
}

impl Snapshot {
    /// The directory that stands for the repository's working directory (it holds an empty `.git`
    /// directory, so imports are confined to it as they are to the repository).
    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

/// A name that stays where it is joined: not empty, not `.` or `..`, no separator, no NUL.
fn safe_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

fn wanted(name: &str) -> bool {
    name.ends_with(".slo") || manifest_name(name)
}

fn manifest_name(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml") || name == "Kustomization"
}

/// Whether the manifest loaders read a file of this name (YAML, and `Kustomization` without extension).
pub fn manifest_like(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(manifest_name)
}

impl Repo {
    /// Writes the files the analysis reads, as they are at `commit`, into a new temporary directory.
    pub fn snapshot(&self, commit: Oid) -> Result<Snapshot, GitError> {
        let fail = |what: String, e: &dyn std::fmt::Display| {
            GitError {
            message: format!("cannot read the base revision {commit}: {what}: {e}"),
            help: Some(
                "the repository may be corrupt or shallow: `git fsck` tells; `git fetch --unshallow` fetches the full history"
                    .to_string(),
            ),
        }
        };
        let dir = tempfile::Builder::new()
            .prefix("slogate-base-")
            .tempdir()
            .map_err(|e| fail("a temporary directory".into(), &e))?;
        std::fs::create_dir(dir.path().join(".git"))
            .map_err(|e| fail("a temporary directory".into(), &e))?;
        let git = self.git();
        let tree = git
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(|e| fail("its tree".into(), &e.message()))?;
        let odb = git
            .odb()
            .map_err(|e| fail("the object database".into(), &e.message()))?;
        let mut failure: Option<GitError> = None;
        let mut files = 0;
        tree.walk(TreeWalkMode::PreOrder, |parent, entry| {
            let Some(name) = entry.name().filter(|n| safe_name(n)) else {
                // git never writes such a name; a tree that has one must not lead a path out of the
                // temporary directory (or of the working tree): no analysis of it.
                failure = Some(fail(
                    format!("an entry under `{parent}`"),
                    &"its name is not a plain file name",
                ));
                return TreeWalkResult::Abort;
            };
            match entry.kind() {
                Some(ObjectType::Tree) => {
                    return if crate::workspace::SKIPPED_DIRS.contains(&name) {
                        TreeWalkResult::Skip
                    } else {
                        TreeWalkResult::Ok
                    };
                }
                Some(ObjectType::Blob) => {}
                _ => return TreeWalkResult::Ok,
            }
            // 0o120000: a symbolic link; not followed by the analysis, so not written.
            if entry.filemode() == 0o120000 || !wanted(name) {
                return TreeWalkResult::Ok;
            }
            let rel = PathBuf::from(parent).join(name);
            let target = dir.path().join(&rel);
            let written = link_unchanged(&self.workdir.join(&rel), entry.id(), &target)
                .or_else(|_| write_blob(&odb, git, entry.id(), &target));
            match written {
                Ok(()) => {
                    files += 1;
                    TreeWalkResult::Ok
                }
                Err(e) => {
                    failure = Some(fail(format!("`{}`", rel.display()), &e));
                    TreeWalkResult::Abort
                }
            }
        })
        .map_err(|e| {
            failure
                .clone()
                .unwrap_or_else(|| fail("its tree".into(), &e.message()))
        })?;
        if let Some(f) = failure {
            return Err(f);
        }
        Ok(Snapshot { dir, files })
    }
}

/// Hard-links the working tree's file when it holds exactly the blob (same object id, so same bytes): most
/// files of a change are unchanged, and a link costs a directory entry where a copy costs an inode and a
/// write. Anything else — a different file, a symbolic link, another file system — is an error, and the
/// caller writes the blob instead.
impl Repo {
    /// The manifest-like files under `prefix` at `commit` (what a snapshot would hold of them), by path
    /// relative to the working directory, with their blob ids. Nothing is inflated.
    pub fn manifest_blobs_at(
        &self,
        commit: Oid,
        prefix: &Path,
    ) -> Result<std::collections::BTreeMap<PathBuf, Oid>, GitError> {
        let fail = |e: git2::Error| GitError {
            message: format!("cannot read the base revision {commit}: {}", e.message()),
            help: Some("the repository may be corrupt: `git fsck` tells".to_string()),
        };
        let tree = self
            .git()
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(fail)?;
        let mut out = std::collections::BTreeMap::new();
        let mut unsafe_name = false;
        tree.walk(TreeWalkMode::PreOrder, |parent, entry| {
            let Some(name) = entry.name().filter(|n| safe_name(n)) else {
                unsafe_name = true;
                return TreeWalkResult::Abort;
            };
            let path = PathBuf::from(parent).join(name);
            match entry.kind() {
                Some(ObjectType::Tree) => {
                    let related = path.starts_with(prefix) || prefix.starts_with(&path);
                    if crate::workspace::SKIPPED_DIRS.contains(&name) || !related {
                        TreeWalkResult::Skip
                    } else {
                        TreeWalkResult::Ok
                    }
                }
                Some(ObjectType::Blob)
                    if entry.filemode() != 0o120000
                        && manifest_name(name)
                        && path.starts_with(prefix) =>
                {
                    out.insert(path, entry.id());
                    TreeWalkResult::Ok
                }
                _ => TreeWalkResult::Ok,
            }
        })
        .map_err(fail)?;
        if unsafe_name {
            return Err(GitError {
                message: format!(
                    "cannot read the base revision {commit}: a tree entry's name is not a plain file name"
                ),
                help: None,
            });
        }
        Ok(out)
    }
}

fn link_unchanged(working: &Path, id: Oid, target: &Path) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(working).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let same = Oid::hash_file(ObjectType::Blob, working).map_err(|e| e.message().to_string())?;
    if same != id {
        return Err("changed".into());
    }
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    std::fs::hard_link(working, target).map_err(|e| e.to_string())
}

fn write_blob(
    odb: &git2::Odb<'_>,
    git: &git2::Repository,
    id: Oid,
    target: &Path,
) -> Result<(), String> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    let (size, _) = odb.read_header(id).map_err(|e| e.message().to_string())?;
    if size > MAX_BLOB_BYTES {
        let f = std::fs::File::create(target).map_err(|e| e.to_string())?;
        return f.set_len(size as u64).map_err(|e| e.to_string());
    }
    let blob = git.find_blob(id).map_err(|e| e.message().to_string())?;
    std::fs::write(target, blob.content()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_that_could_leave_the_directory_are_refused() {
        use super::safe_name;
        assert!(safe_name("web.yaml") && safe_name(".pre-commit-hooks.yaml"));
        for bad in ["", ".", "..", "a/b", "a\\b", "a\0b"] {
            assert!(!safe_name(bad), "{bad:?}");
        }
    }
}
