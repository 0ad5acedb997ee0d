//! Writing emitted files into the output directory: all at once through temporary files and renames (a
//! failure leaves the directory as it was), drift checks with unified diffs, and stale generated files.

use super::{OutputFile, HEADER};
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

/// Writes every file into `dir` (created if missing): first all temporary files, then the renames, so an
/// error while writing leaves no file changed. Returns the names of files whose contents changed.
pub fn write_all(dir: &Path, files: &[OutputFile]) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut temps: Vec<(PathBuf, PathBuf, String)> = Vec::new();
    let cleanup = |temps: &[(PathBuf, PathBuf, String)]| {
        for (t, _, _) in temps {
            let _ = std::fs::remove_file(t);
        }
    };
    for f in files {
        let target = dir.join(&f.name);
        if std::fs::read(&target).is_ok_and(|b| b == f.contents.as_bytes()) {
            continue;
        }
        let tmp = dir.join(format!(".{}.slogate-{}.tmp", f.name, std::process::id()));
        let written = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(f.contents.as_bytes())?;
            file.sync_all()
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            cleanup(&temps);
            return Err(e);
        }
        temps.push((tmp, target, f.name.clone()));
    }
    let mut changed = Vec::new();
    for (i, (tmp, target, name)) in temps.iter().enumerate() {
        if let Err(e) = std::fs::rename(tmp, target) {
            cleanup(&temps[i..]);
            return Err(e);
        }
        changed.push(name.clone());
    }
    Ok(changed)
}

/// Removes stale generated files.
pub fn prune(dir: &Path, stale: &[Stale]) -> std::io::Result<()> {
    for s in stale {
        std::fs::remove_file(dir.join(&s.name))?;
    }
    Ok(())
}
