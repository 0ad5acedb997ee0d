//! The output directory: drift checks with unified diffs, stale generated files, and (in [`write`]) writing all
//! or nothing. Nothing here follows a symbolic link or reads a non-regular file ([`guard`]).

mod guard;
mod write;

pub use guard::{Refused, TEMP_PREFIX};
pub use write::{write_all, WriteError, Written};

use super::{OutputFile, HEADER};
use std::path::Path;

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
    /// Temporary files of an interrupted build (the next `build` removes them).
    pub leftovers: Vec<String>,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.diffs.is_empty() && self.stale.is_empty() && self.leftovers.is_empty()
    }
}

/// The kinds of file slogate writes, by name suffix: `<service><suffix>`.
const KINDS: &[&str] = &[".rules.yml", ".test.yml", ".dashboard.json"];

/// The service a generated file belongs to, from its name.
fn service_of(name: &str) -> Option<&str> {
    KINDS.iter().find_map(|k| name.strip_suffix(k))
}

/// Generated files in `dir` (recognised by their header) whose service this build no longer emits. A file of
/// a kind this build does not write (tests without `--tests`) is not stale while its service exists: it is
/// neither checked nor deleted.
pub fn stale_files(dir: &Path, files: &[OutputFile]) -> std::io::Result<Vec<Stale>> {
    let mut out = Vec::new();
    let services: Vec<&str> = files.iter().filter_map(|f| service_of(&f.name)).collect();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(service) = service_of(&name) else {
            continue;
        };
        if services.contains(&service) {
            continue;
        }
        if !entry.file_type()?.is_file() {
            continue;
        }
        // YAML files start with the header comment; a dashboard (JSON, no comments) with its description.
        let head = read_head(&entry.path());
        let dashboard = format!(
            "{{\n  \"description\": \"{}",
            HEADER.trim_start_matches("# ")
        );
        if head.starts_with(HEADER) || head.starts_with(&dashboard) {
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

/// Compares `dir` with `files` without writing anything. Refuses (before reading anything) a directory reached
/// through a symbolic link and any target that is a link or not a regular file.
pub fn drift(dir: &Path, files: &[OutputFile]) -> Result<Drift, Refused> {
    guard::check_dir(dir)?;
    let io = |e: std::io::Error| Refused {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    };
    let entries: Vec<guard::Entry> = files
        .iter()
        .map(|f| guard::entry(dir, &f.name))
        .collect::<Result<_, _>>()?;
    let mut d = Drift::default();
    for (f, entry) in files.iter().zip(entries) {
        let current = match entry {
            guard::Entry::Missing => None,
            guard::Entry::File(len) if len > MAX_DIFFED => {
                Some(format!("(a file of {len} bytes, not shown)\n"))
            }
            guard::Entry::File(_) => {
                let b = std::fs::read(dir.join(&f.name)).map_err(io)?;
                Some(String::from_utf8_lossy(&b).into_owned())
            }
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
    d.stale = stale_files(dir, files).map_err(io)?;
    d.leftovers = guard::leftovers(dir).map_err(io)?;
    Ok(d)
}

/// Files larger than this are not diffed line by line (a generated file is far smaller).
const MAX_DIFFED: u64 = 16 << 20;

/// Removes stale generated files.
pub fn prune(dir: &Path, stale: &[Stale]) -> std::io::Result<()> {
    for s in stale {
        std::fs::remove_file(dir.join(&s.name))?;
    }
    Ok(())
}
