//! Where each `use "…"` line leads: decided once, by whoever loaded the files, and only looked up here.
//!
//! Policies come from pull requests and slogate runs next to CI secrets, so an import may never reach outside
//! the policy root: not by an absolute path, not by `..`, not through a symbolic link. The loader of the working
//! tree (`crate::workspace`) decides with the filesystem; [`Imports::lexical`] decides for files that exist only
//! in memory (policies read from a git revision), where the only files are the ones already loaded. Either way
//! the model sees a [`FileId`] or a [`Refusal`], never a path to open.

use crate::diag::Code;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::{self, Item};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// Why an import was not followed, worded for the diagnostic at the `use` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `import-outside-root` when the path leaves the root, `unresolved-import` when there is nothing to import.
    pub code: Code,
    pub message: String,
    pub label: String,
    pub help: String,
}

impl Refusal {
    pub fn outside(value: &str, why: &str) -> Refusal {
        Refusal {
            code: Code::ImportOutsideRoot,
            message: format!("`use \"{value}\"` leads outside the policy root: {why}"),
            label: "outside the policy root".into(),
            help: "imports are confined to the checked directory (or the repository around it); copy the profile \
                   into a `.slo` file inside it and import that with a relative path"
                .into(),
        }
    }

    pub fn unresolved(message: String, help: &str) -> Refusal {
        Refusal {
            code: Code::UnresolvedImport,
            message,
            label: "not imported".into(),
            help: help.into(),
        }
    }
}

/// The decision for every `use` line, keyed by the span of its path string.
#[derive(Debug, Default)]
pub struct Imports {
    targets: HashMap<Span, Result<FileId, Refusal>>,
}

impl Imports {
    pub fn insert(&mut self, at: Span, target: Result<FileId, Refusal>) {
        self.targets.insert(at, target);
    }

    /// The decision for a `use` line; a line nobody decided on is refused (fail closed).
    pub fn get(&self, u: &ast::Use) -> Result<FileId, Refusal> {
        self.targets.get(&u.path.span).cloned().unwrap_or_else(|| {
            Err(Refusal::unresolved(
                format!("cannot import `{}`", u.path.value),
                "the file was not loaded",
            ))
        })
    }

    /// Decides every `use` of in-memory files by path alone: `root` is the virtual directory the files live in
    /// (e.g. `<base>`); only files already in `sources` can be targets.
    pub fn lexical<'a>(
        files: impl IntoIterator<Item = (FileId, &'a ast::File)>,
        sources: &SourceMap,
        root: &Path,
    ) -> Imports {
        let by_path: HashMap<&Path, FileId> = sources
            .files()
            .map(|(id, f)| (f.path.as_path(), id))
            .collect();
        let mut imports = Imports::default();
        for (file, ast) in files {
            let dir = sources.get(file).path.parent().unwrap_or(Path::new(""));
            for item in &ast.items {
                let Item::Use(u) = item else { continue };
                let target = match check_shape(&u.path.value) {
                    Err(r) => Err(r),
                    Ok(()) => match confined_join(dir, &u.path.value, root) {
                        None => Err(Refusal::outside(&u.path.value, "`..` climbs above it")),
                        Some(p) => match by_path.get(p.as_path()) {
                            Some(&id) if id == file => Err(self_import()),
                            Some(&id) => Ok(id),
                            None => Err(not_found(&u.path.value)),
                        },
                    },
                };
                imports.insert(u.path.span, target);
            }
        }
        imports
    }
}

/// What the import string itself must look like, before any file is looked at: relative, naming a `.slo` file.
pub fn check_shape(value: &str) -> Result<(), Refusal> {
    let p = Path::new(value);
    if p.has_root()
        || p.components().any(|c| matches!(c, Component::Prefix(_)))
        || value.starts_with('~')
    {
        return Err(Refusal::outside(value, "absolute paths are not allowed"));
    }
    if p.extension().is_none_or(|x| x != "slo") {
        return Err(Refusal::unresolved(
            format!("cannot import `{value}`: only `.slo` policy files can be imported"),
            "name a policy file (`*.slo`); other files are never read by `use`",
        ));
    }
    Ok(())
}

/// `dir/value` normalised lexically, or `None` when it climbs above `root` (both taken as given).
pub fn confined_join(dir: &Path, value: &str, root: &Path) -> Option<PathBuf> {
    let joined = normalize(&dir.join(value));
    let escapes = joined
        .components()
        .any(|c| matches!(c, Component::ParentDir));
    (!escapes && joined.starts_with(root)).then_some(joined)
}

pub fn self_import() -> Refusal {
    Refusal::unresolved(
        "a file cannot import itself".into(),
        "remove this `use` line",
    )
}

pub fn not_found(value: &str) -> Refusal {
    Refusal::unresolved(
        format!("cannot import `{value}`: no policy file there"),
        "paths are relative to this file and must name a `.slo` file inside the policy root",
    )
}

/// Lexically normalizes `a/./b/../c` to `a/c` (no filesystem access; a `..` that cannot be resolved stays).
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let last_is_normal =
                    matches!(out.components().next_back(), Some(Component::Normal(_)));
                if last_is_normal {
                    out.pop();
                } else if !matches!(out.components().next_back(), Some(Component::RootDir)) {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_keeps_unresolvable_parents() {
        assert_eq!(normalize(Path::new("a/./b/../c")), PathBuf::from("a/c"));
        // The old normaliser turned `../../x` into `../x` (it popped the `..` it had pushed).
        assert_eq!(normalize(Path::new("../../x")), PathBuf::from("../../x"));
        assert_eq!(normalize(Path::new("a/../../x")), PathBuf::from("../x"));
        assert_eq!(normalize(Path::new("/a/../../x")), PathBuf::from("/x"));
    }

    #[test]
    fn shape_refuses_absolute_and_non_policy_paths() {
        assert_eq!(
            check_shape("/etc/passwd.slo").unwrap_err().code,
            Code::ImportOutsideRoot
        );
        assert_eq!(
            check_shape("~/x.slo").unwrap_err().code,
            Code::ImportOutsideRoot
        );
        assert_eq!(
            check_shape("/proc/self/environ").unwrap_err().code,
            Code::ImportOutsideRoot
        );
        assert_eq!(
            check_shape("README.md").unwrap_err().code,
            Code::UnresolvedImport
        );
        assert!(check_shape("../profiles/p.slo").is_ok());
    }

    #[test]
    fn confined_join_stops_at_the_root() {
        let root = Path::new("/repo");
        assert_eq!(
            confined_join(Path::new("/repo/a"), "../b.slo", root),
            Some(PathBuf::from("/repo/b.slo"))
        );
        assert_eq!(
            confined_join(Path::new("/repo/a"), "../../etc/x.slo", root),
            None
        );
        assert_eq!(
            confined_join(Path::new("/repo"), "../repo2/x.slo", root),
            None,
            "a sibling whose name starts like the root is outside"
        );
    }
}
