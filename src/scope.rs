//! What `check FILE…` reports on. The whole workspace around the files is analysed (names resolve across
//! files, the manifests are all read), and the findings are then kept to the given files: a finding is in
//! scope when the file of its primary span is one of them, or lies under one of the given directories.

use crate::diag::Diagnostic;
use crate::source::SourceMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The files a run reports on.
pub struct Scope {
    /// Canonical paths; `None` is everything.
    paths: Option<Vec<PathBuf>>,
    /// For each file id, whether it is in scope.
    files: HashMap<u32, bool>,
}

impl Scope {
    /// `paths` are canonical.
    pub fn new(paths: Option<&[PathBuf]>, sources: &SourceMap) -> Scope {
        let mut scope = Scope {
            paths: paths.map(<[PathBuf]>::to_vec),
            files: HashMap::new(),
        };
        if let Some(paths) = &scope.paths {
            // Only a file named like a given file can be it (unless a directory was given): the others are
            // not resolved on disk, which matters with tens of thousands of manifests.
            let names: Option<std::collections::HashSet<&std::ffi::OsStr>> = paths
                .iter()
                .map(|p| p.is_file().then(|| p.file_name()).flatten())
                .collect();
            for i in 0..sources.len() {
                let f = sources.get(crate::source::FileId(i as u32));
                let candidate = names
                    .as_ref()
                    .is_none_or(|n| f.path.file_name().is_some_and(|x| n.contains(x)));
                let inside = candidate
                    && std::fs::canonicalize(&f.path)
                        .is_ok_and(|c| paths.iter().any(|p| covers(p, &c)));
                scope.files.insert(i as u32, inside);
            }
        }
        scope
    }

    pub fn contains(&self, d: &Diagnostic) -> bool {
        self.paths.is_none()
            || self
                .files
                .get(&d.primary.span.file.0)
                .copied()
                .unwrap_or(false)
    }
}

fn covers(given: &Path, file: &Path) -> bool {
    file == given || file.starts_with(given)
}

/// The workspace `check FILE…` analyses for the given paths: the repository around the first one (the
/// directory holding `.git`), else that file's directory; every path must lie inside it. Returned as a path
/// relative to the working directory when it contains it (so file names print as the user typed them), with
/// the canonical paths of the given files.
pub fn workspace_of(
    paths: &[PathBuf],
) -> Result<(PathBuf, Vec<PathBuf>), crate::workspace::LoadError> {
    let first = paths.first().ok_or_else(|| crate::workspace::LoadError {
        path: PathBuf::from("."),
        message: "no path given".into(),
    })?;
    let root = crate::workspace::policy_root(first)?;
    let mut canonical = Vec::new();
    for p in paths {
        let c = std::fs::canonicalize(p).map_err(|e| crate::workspace::LoadError {
            path: p.clone(),
            message: if e.kind() == std::io::ErrorKind::NotFound {
                "no such file or directory".into()
            } else {
                e.to_string()
            },
        })?;
        if !c.starts_with(&root) {
            return Err(crate::workspace::LoadError {
                path: p.clone(),
                message: format!(
                    "not inside the workspace of `{}` ({}): check the paths of one repository at a time",
                    first.display(),
                    root.display()
                ),
            });
        }
        canonical.push(c);
    }
    Ok((relative_to_cwd(&root), canonical))
}

/// `root` relative to the working directory when the working directory lies inside it (`.`, `..`, …).
fn relative_to_cwd(root: &Path) -> PathBuf {
    let Some(cwd) = std::env::current_dir()
        .ok()
        .and_then(|c| std::fs::canonicalize(c).ok())
    else {
        return root.to_path_buf();
    };
    match cwd.strip_prefix(root) {
        Ok(rest) => {
            let up = rest.components().count();
            if up == 0 {
                PathBuf::from(".")
            } else {
                (0..up).map(|_| "..").collect()
            }
        }
        Err(_) => root.to_path_buf(),
    }
}
