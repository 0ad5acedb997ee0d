//! Finding, reading and parsing the policy files of a directory, plus the built-in library.
//!
//! Walks PATH with walkdir (never following symlinks, skipping `.git`, `target`, `node_modules`, `vendor`),
//! reads and parses files in parallel (rayon), then loads files named by `use` that the walk did not reach.
//! Output order never depends on scheduling: files are sorted by path before ids are assigned.

use crate::diag::Diagnostic;
use crate::model::imports::{self, normalize, Imports, Refusal};
use crate::source::{FileId, SourceFile, SourceMap};
use crate::syntax::{self, ast::Item, Parsed};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

static BUILTIN: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/policies");

/// Directories never searched for policies.
pub const SKIPPED_DIRS: &[&str] = &[".git", "target", "node_modules", "vendor"];

/// An error that stops the run (exit code 2): the input cannot be read at all.
#[derive(Debug)]
pub struct LoadError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for LoadError {}

/// All loaded files, parsed.
pub struct Workspace {
    pub sources: SourceMap,
    /// Parse results, indexed like `sources`.
    pub parsed: Vec<Parsed>,
    /// Which files come from the built-in library.
    pub builtin: Vec<bool>,
    /// Diagnostics from reading files (encoding, size).
    pub diagnostics: Vec<Diagnostic>,
    /// Where every `use` line leads (decided while loading).
    pub imports: Imports,
    /// The canonical directory imports are confined to.
    pub root: PathBuf,
}

impl Workspace {
    /// The files of the repository (not the built-in library).
    pub fn user_files(&self) -> impl Iterator<Item = FileId> + '_ {
        (0..self.parsed.len())
            .filter(|&i| !self.builtin[i])
            .map(|i| FileId(i as u32))
    }
}

/// The `*.slo` files under `root` (or `root` itself when it is a file), sorted.
pub fn find_policy_files(root: &Path) -> Result<Vec<PathBuf>, LoadError> {
    find_files(root, |p| p.extension().is_some_and(|x| x == "slo"))
}

/// The files under `root` (or `root` itself) that `wanted` accepts, sorted; skips [`SKIPPED_DIRS`] and never
/// follows symbolic links.
pub fn find_files(root: &Path, wanted: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>, LoadError> {
    let meta = std::fs::symlink_metadata(root).map_err(|e| LoadError {
        path: root.to_path_buf(),
        message: describe_io(&e),
    })?;
    if meta.is_file() {
        return Ok(if wanted(root) {
            vec![root.to_path_buf()]
        } else {
            Vec::new()
        });
    }
    if !meta.is_dir() {
        return Err(LoadError {
            path: root.to_path_buf(),
            message: "not a file or directory (symbolic links are not followed)".into(),
        });
    }
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0
                || !(e.file_type().is_dir() && SKIPPED_DIRS.iter().any(|d| e.file_name() == *d))
        });
    for entry in walker {
        let entry = entry.map_err(|e| LoadError {
            path: e
                .path()
                .map_or_else(|| root.to_path_buf(), Path::to_path_buf),
            message: e.io_error().map_or_else(|| e.to_string(), describe_io),
        })?;
        if entry.file_type().is_file() && wanted(entry.path()) {
            files.push(entry.into_path());
        }
    }
    files.sort();
    Ok(files)
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// The directory `use` imports are confined to: the repository around `path` when there is one (a `.git`
/// entry in `path` or an ancestor), else `path` itself (its directory when it is a file). Canonical.
pub fn policy_root(path: &Path) -> Result<PathBuf, LoadError> {
    let canonical = std::fs::canonicalize(path).map_err(|e| LoadError {
        path: path.to_path_buf(),
        message: describe_io(&e),
    })?;
    let dir = if canonical.is_dir() {
        canonical
    } else {
        canonical
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or(canonical)
    };
    let repo = dir
        .ancestors()
        .find(|d| std::fs::symlink_metadata(d.join(".git")).is_ok());
    Ok(repo.map_or(dir.clone(), Path::to_path_buf))
}

/// Reads and parses the given files plus the built-in library and the files their `use` lines name, which
/// must lie inside `root` (see [`policy_root`]): every import is decided here, with the filesystem, and
/// recorded in [`Workspace::imports`]; a refused one is never opened.
pub fn load(paths: &[PathBuf], root: &Path) -> Result<Workspace, LoadError> {
    let root = std::fs::canonicalize(root).map_err(|e| LoadError {
        path: root.to_path_buf(),
        message: describe_io(&e),
    })?;
    let mut ws = Workspace {
        sources: SourceMap::new(),
        parsed: Vec::new(),
        builtin: Vec::new(),
        diagnostics: Vec::new(),
        imports: Imports::default(),
        root: root.clone(),
    };
    let mut builtin: Vec<&include_dir::File<'_>> = BUILTIN
        .files()
        .filter(|f| f.path().extension().is_some_and(|x| x == "slo"))
        .collect();
    builtin.sort_by_key(|f| f.path());
    for f in builtin {
        let name = format!("<builtin>/{}", f.path().display());
        let text = f.contents_utf8().expect("built-in policies are UTF-8");
        let id = ws
            .sources
            .add(SourceFile::new(name.clone(), PathBuf::from(name), text));
        ws.parsed.push(syntax::parse(id, text));
        ws.builtin.push(true);
    }
    // Files are identified by their canonical path: two spellings of one file load it once.
    let mut loaded: HashMap<PathBuf, FileId> = HashMap::new();
    let mut canonical_of: HashMap<FileId, PathBuf> = HashMap::new();
    let mut decisions: Vec<(crate::source::Span, Result<PathBuf, Refusal>)> = Vec::new();
    let mut pending: Vec<(PathBuf, PathBuf)> = paths
        .iter()
        .map(|p| {
            let canonical = std::fs::canonicalize(p).map_err(|e| LoadError {
                path: p.clone(),
                message: describe_io(&e),
            })?;
            Ok((normalize(p), canonical))
        })
        .collect::<Result<_, LoadError>>()?;
    let mut queued: HashSet<PathBuf> = HashSet::new();
    while !pending.is_empty() {
        let batch: Vec<(PathBuf, PathBuf, Result<Vec<u8>, LoadError>)> = pending
            .par_iter()
            .map(|(p, c)| (p.clone(), c.clone(), read_limited(c)))
            .collect();
        let mut added = Vec::new();
        for (path, canonical, bytes) in batch {
            if loaded.contains_key(&canonical) {
                continue;
            }
            let bytes = bytes.map_err(|e| LoadError {
                path: path.clone(),
                ..e
            })?;
            let id = FileId(ws.sources.len() as u32);
            let (text, diag) = match syntax::decode(id, bytes) {
                Ok(t) => (t, None),
                Err(d) => (lossy(&canonical), Some(*d)),
            };
            ws.sources
                .add(SourceFile::new(path.display().to_string(), path, text));
            ws.diagnostics.extend(diag);
            ws.builtin.push(false);
            loaded.insert(canonical.clone(), id);
            canonical_of.insert(id, canonical);
            added.push(id);
        }
        let undecodable: HashSet<FileId> =
            ws.diagnostics.iter().map(|d| d.primary.span.file).collect();
        let parsed: Vec<Parsed> = added
            .par_iter()
            .map(|&id| {
                let has_error = undecodable.contains(&id);
                if has_error {
                    Parsed {
                        ast: None,
                        comments: Vec::new(),
                        diagnostics: Vec::new(),
                    }
                } else {
                    syntax::parse(id, &ws.sources.get(id).text)
                }
            })
            .collect();
        ws.parsed.extend(parsed);
        // Files named by `use` that are not loaded yet.
        pending = Vec::new();
        for &id in &added {
            let Some(ast) = &ws.parsed[id.0 as usize].ast else {
                continue;
            };
            let from = &canonical_of[&id];
            let shown_dir = ws.sources.get(id).path.parent().map(Path::to_path_buf);
            for item in &ast.items {
                let Item::Use(u) = item else { continue };
                let decision = decide_import(from, &u.path.value, &root);
                if let Ok(target) = &decision {
                    if !loaded.contains_key(target) && queued.insert(target.clone()) {
                        let shown =
                            normalize(&shown_dir.clone().unwrap_or_default().join(&u.path.value));
                        pending.push((shown, target.clone()));
                    }
                }
                decisions.push((u.path.span, decision));
            }
        }
    }
    for (at, decision) in decisions {
        let target = decision.and_then(|path| {
            if canonical_of.get(&at.file) == Some(&path) {
                return Err(imports::self_import());
            }
            // Every accepted target was queued and loaded above (or the load failed as a whole).
            loaded
                .get(&path)
                .copied()
                .ok_or_else(|| imports::not_found(&path.display().to_string()))
        });
        ws.imports.insert(at, target);
    }
    Ok(ws)
}

/// Where `use "value"` in the file at canonical path `from` leads, decided with the filesystem: the target's
/// canonical path, or why it is refused. Nothing outside `root` and nothing but a regular `.slo` file passes.
fn decide_import(from: &Path, value: &str, root: &Path) -> Result<PathBuf, Refusal> {
    imports::check_shape(value)?;
    let dir = from.parent().unwrap_or(Path::new(""));
    if imports::confined_join(dir, value, root).is_none() {
        return Err(Refusal::outside(value, "`..` climbs above it"));
    }
    // The operating system's reading of the path (a `..` after a symbolic link goes where the link leads).
    let target = match std::fs::canonicalize(dir.join(value)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(imports::not_found(value))
        }
        Err(e) => return Err(Refusal::unresolved(
            format!("cannot import `{value}`: {}", describe_io(&e)),
            "paths are relative to this file and must name a `.slo` file inside the policy root",
        )),
    };
    if !target.starts_with(root) {
        return Err(Refusal::outside(value, "a symbolic link leads out of it"));
    }
    if target.extension().is_none_or(|x| x != "slo") {
        return Err(Refusal::unresolved(
            format!("cannot import `{value}`: it is a symbolic link to a file that is not a policy (`.slo`)"),
            "import the policy file itself; other files are never read by `use`",
        ));
    }
    if !std::fs::metadata(&target).is_ok_and(|m| m.is_file()) {
        return Err(Refusal::unresolved(
            format!("cannot import `{value}`: not a regular file"),
            "name a `.slo` file",
        ));
    }
    Ok(target)
}

/// Reads a file, but no more than the size limit plus one byte (the decoder reports oversize files).
fn read_limited(path: &Path) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let err = |e: std::io::Error| LoadError {
        path: path.to_path_buf(),
        message: describe_io(&e),
    };
    let file = std::fs::File::open(path).map_err(err)?;
    let mut bytes = Vec::new();
    file.take(syntax::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(err)?;
    Ok(bytes)
}

/// The text of an undecodable file, for showing the diagnostic's context (bounded).
fn lossy(path: &Path) -> String {
    let bytes = read_limited(path).unwrap_or_default();
    let bytes = &bytes[..bytes.len().min(syntax::MAX_FILE_BYTES)];
    String::from_utf8_lossy(bytes).into_owned()
}
