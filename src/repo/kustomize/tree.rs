//! Where the renderer reads files from: the working tree, or a git tree at a commit (history and gate render
//! overlays as they were). Both see repository-relative paths only; resolving a reference written in a
//! kustomization never leaves the repository (no absolute paths, no `..` past the root, no symlink out, no
//! URL), because whoever wrote the kustomization may be an attacker.

use super::super::manifests::MAX_MANIFEST_BYTES;
use std::path::{Component, Path, PathBuf};

/// What a reference resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    File,
    Dir,
    Missing,
}

/// A read-only view of a repository's files by repository-relative path.
pub trait Tree {
    /// What is at `rel`.
    fn entry(&self, rel: &Path) -> Result<Entry, String>;
    /// The text of the regular file at `rel` (UTF-8, at most [`MAX_MANIFEST_BYTES`]).
    fn read(&self, rel: &Path) -> Result<String, String>;
    /// The path shown to users and used as the file's identity in the source map.
    fn display(&self, rel: &Path) -> PathBuf;
}

/// `dir/reference` normalised lexically, refused when it is absolute, a URL, or climbs past the root.
pub fn resolve(dir: &Path, reference: &str) -> Result<PathBuf, String> {
    if is_remote(reference) {
        return Err(format!(
            "`{reference}` is a remote base: slogate never fetches it (vendor it into the repository)"
        ));
    }
    let r = Path::new(reference);
    if r.is_absolute() {
        return Err(format!(
            "`{reference}` is an absolute path: references must stay inside the repository"
        ));
    }
    let mut out = PathBuf::new();
    for c in dir.join(r).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return Err(format!("`{reference}` leaves the repository"));
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "`{reference}` is an absolute path: references must stay inside the repository"
                ))
            }
        }
    }
    Ok(out)
}

/// Remote bases as kustomize accepts them (git URLs, `github.com/…`, `?ref=`).
pub fn is_remote(reference: &str) -> bool {
    reference.contains("://")
        || reference.starts_with("git@")
        || reference.starts_with("github.com/")
        || reference.starts_with("gitlab.com/")
        || reference.starts_with("bitbucket.org/")
        || reference.contains("?ref=")
        || reference.contains("//") && reference.contains(".git")
}

/// The working tree under a root directory.
pub struct WorkTree {
    root: PathBuf,
    canonical: PathBuf,
}

impl WorkTree {
    pub fn new(root: &Path) -> Result<WorkTree, String> {
        let canonical = root
            .canonicalize()
            .map_err(|e| format!("cannot open {}: {e}", root.display()))?;
        Ok(WorkTree {
            root: root.to_path_buf(),
            canonical,
        })
    }

    /// The on-disk path of `rel`, refused when a symlink takes it out of the root.
    fn inside(&self, rel: &Path) -> Result<Option<PathBuf>, String> {
        let full = self.root.join(rel);
        match full.canonicalize() {
            Ok(c) if c.starts_with(&self.canonical) => Ok(Some(c)),
            Ok(_) => Err(format!(
                "`{}` is a symlink out of the repository: not followed",
                rel.display()
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read `{}`: {e}", rel.display())),
        }
    }
}

impl Tree for WorkTree {
    fn entry(&self, rel: &Path) -> Result<Entry, String> {
        let Some(p) = self.inside(rel)? else {
            return Ok(Entry::Missing);
        };
        let m =
            std::fs::metadata(&p).map_err(|e| format!("cannot read `{}`: {e}", rel.display()))?;
        Ok(if m.is_dir() {
            Entry::Dir
        } else if m.is_file() {
            Entry::File
        } else {
            Entry::Missing
        })
    }

    fn read(&self, rel: &Path) -> Result<String, String> {
        use std::io::Read;
        let Some(p) = self.inside(rel)? else {
            return Err(format!("`{}` does not exist", rel.display()));
        };
        let f =
            std::fs::File::open(&p).map_err(|e| format!("cannot read `{}`: {e}", rel.display()))?;
        let m = f.metadata().map_err(|e| e.to_string())?;
        if !m.is_file() {
            return Err(format!("`{}` is not a regular file", rel.display()));
        }
        if m.len() > MAX_MANIFEST_BYTES {
            return Err(format!(
                "`{}` is {} bytes; files over {MAX_MANIFEST_BYTES} bytes are not read",
                rel.display(),
                m.len()
            ));
        }
        let mut bytes = Vec::new();
        f.take(MAX_MANIFEST_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read `{}`: {e}", rel.display()))?;
        String::from_utf8(bytes).map_err(|_| format!("`{}` is not UTF-8", rel.display()))
    }

    fn display(&self, rel: &Path) -> PathBuf {
        self.root.join(rel)
    }
}

/// A git tree (a commit's snapshot); symlinks and submodules are refused, blobs are size-capped.
pub struct GitTree<'r> {
    pub repo: &'r git2::Repository,
    pub tree: git2::Tree<'r>,
    /// Prefix shown before repository-relative paths.
    pub label: PathBuf,
}

impl Tree for GitTree<'_> {
    fn entry(&self, rel: &Path) -> Result<Entry, String> {
        if rel.as_os_str().is_empty() {
            return Ok(Entry::Dir);
        }
        let Ok(e) = self.tree.get_path(rel) else {
            return Ok(Entry::Missing);
        };
        Ok(match e.kind() {
            Some(git2::ObjectType::Tree) => Entry::Dir,
            Some(git2::ObjectType::Blob) if e.filemode() == 0o120000 => {
                return Err(format!("`{}` is a symlink: not followed", rel.display()))
            }
            Some(git2::ObjectType::Blob) => Entry::File,
            _ => Entry::Missing,
        })
    }

    fn read(&self, rel: &Path) -> Result<String, String> {
        if self.entry(rel)? != Entry::File {
            return Err(format!("`{}` is not a file", rel.display()));
        }
        let e = self
            .tree
            .get_path(rel)
            .map_err(|e| e.message().to_string())?;
        let blob = self
            .repo
            .find_blob(e.id())
            .map_err(|e| e.message().to_string())?;
        if blob.size() as u64 > MAX_MANIFEST_BYTES {
            return Err(format!(
                "`{}` is {} bytes; files over {MAX_MANIFEST_BYTES} bytes are not read",
                rel.display(),
                blob.size()
            ));
        }
        String::from_utf8(blob.content().to_vec())
            .map_err(|_| format!("`{}` is not UTF-8", rel.display()))
    }

    fn display(&self, rel: &Path) -> PathBuf {
        self.label.join(rel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_stay_inside() {
        assert_eq!(
            resolve(Path::new("overlays/prod"), "../../base").unwrap(),
            PathBuf::from("base")
        );
        assert!(resolve(Path::new("overlays/prod"), "../../../etc").is_err());
        assert!(resolve(Path::new("a"), "/etc/passwd").is_err());
        assert!(resolve(Path::new("a"), "https://github.com/x/y//base?ref=v1").is_err());
        assert!(resolve(Path::new("a"), "github.com/x/y/base").is_err());
    }
}
