//! Writing emitted files into the output directory: all at once through temporary files and renames (a
//! failure leaves the directory as it was), drift checks with unified diffs, and stale generated files.

use super::{OutputFile, HEADER};
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file in the directory that slogate generated but would not generate now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub name: String,
}

/// How the directory differs from what would be built.
#[derive(Debug, Default)]
pub struct Drift {
    /// Unified diffs of files that differ or are missing (a missing file diffs against nothing).
    pub diffs: Vec<(String, String)>,
    pub stale: Vec<Stale>,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.diffs.is_empty() && self.stale.is_empty()
    }
}

/// Generated files in `dir` that are not in `files`.
pub fn stale_files(dir: &Path, files: &[OutputFile]) -> std::io::Result<Vec<Stale>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.ends_with(".rules.yml") || name.ends_with(".test.yml"))
            || files.iter().any(|f| f.name == name)
        {
            continue;
        }
        if !entry.file_type()?.is_file() {
            continue;
        }
        let head = read_head(&entry.path());
        if head.starts_with(HEADER) {
            out.push(Stale { name });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn read_head(path: &Path) -> String {
    use std::io::Read;
    let mut buf = [0u8; 64];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut buf))
        .unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// Compares `dir` with `files` without writing anything.
pub fn drift(dir: &Path, files: &[OutputFile]) -> std::io::Result<Drift> {
    let mut d = Drift::default();
    for f in files {
        let path = dir.join(&f.name);
        let current = match std::fs::read(&path) {
            Ok(b) => Some(String::from_utf8_lossy(&b).into_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        if current.as_deref() == Some(f.contents.as_str()) {
            continue;
        }
        let old = current.unwrap_or_default();
        let diff = similar::TextDiff::from_lines(&old, &f.contents)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{}", f.name), &format!("b/{}", f.name))
            .to_string();
        d.diffs.push((f.name.clone(), diff));
    }
    d.stale = stale_files(dir, files)?;
    Ok(d)
}

/// Writes every file into `dir` (created if missing) all or nothing: first every temporary file, then the
/// renames; if a rename fails, the files already replaced get their previous contents back (or are removed
/// when they did not exist). Returns the names of files whose contents changed.
pub fn write_all(dir: &Path, files: &[OutputFile]) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut pending: Vec<Pending> = Vec::new();
    let remove_temps = |pending: &[Pending]| {
        for p in pending {
            let _ = std::fs::remove_file(&p.tmp);
        }
    };
    // Temporary files are written (and synced) in parallel: the disk, not the CPU, is the limit.
    let prepared: Vec<std::io::Result<Option<Pending>>> = files
        .par_iter()
        .map(|f| {
            let target = dir.join(&f.name);
            let previous = std::fs::read(&target).ok();
            if previous.as_deref() == Some(f.contents.as_bytes()) {
                return Ok(None);
            }
            let tmp = temp_path(dir, &f.name);
            match write_file(&tmp, f.contents.as_bytes()) {
                Ok(()) => Ok(Some(Pending {
                    tmp,
                    target,
                    name: f.name.clone(),
                    previous,
                })),
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    Err(e)
                }
            }
        })
        .collect();
    let mut first_error = None;
    for p in prepared {
        match p {
            Ok(Some(entry)) => pending.push(entry),
            Ok(None) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        remove_temps(&pending);
        return Err(e);
    }
    for i in 0..pending.len() {
        if let Err(e) = std::fs::rename(&pending[i].tmp, &pending[i].target) {
            remove_temps(&pending[i..]);
            for done in pending[..i].iter().rev() {
                let _ = match &done.previous {
                    Some(old) => write_file(&done.target, old),
                    None => std::fs::remove_file(&done.target),
                };
            }
            return Err(e);
        }
    }
    sync_dir(dir);
    Ok(pending.into_iter().map(|p| p.name).collect())
}

/// A file written to its temporary name, waiting for its rename.
struct Pending {
    tmp: PathBuf,
    target: PathBuf,
    name: String,
    /// The contents it replaces, for rolling back.
    previous: Option<Vec<u8>>,
}

fn temp_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.slogate-{}.tmp", std::process::id()))
}

/// Writes and syncs a whole file, so that a rename over the old file can never expose a partial one, even
/// after a power loss (the textbook atomic replacement: write, fsync, rename).
fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the renames in `dir` durable (a no-op where directories cannot be opened, as on Windows).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Removes stale generated files.
pub fn prune(dir: &Path, stale: &[Stale]) -> std::io::Result<()> {
    for s in stale {
        std::fs::remove_file(dir.join(&s.name))?;
    }
    Ok(())
}
