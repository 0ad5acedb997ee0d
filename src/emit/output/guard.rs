//! What slogate may touch in an output directory, decided before anything is read or written.
//!
//! The output directory usually lives in the repository, which a pull request controls: a committed symbolic
//! link named like a rules file could make `build --check` print the file it points to (a secret) in its diff,
//! or make `build` write through it. So nothing in the output path is followed: a symbolic link on the way to
//! the directory, the directory itself, or an entry named like a generated file is an error, as is an entry that
//! is not a regular file. Temporary files carry one recognisable prefix, so the leftovers of an interrupted
//! build (`kill -9`, power loss) are found and removed by the next build.

use std::path::{Component, Path, PathBuf};

/// Prefix of every temporary file slogate creates in an output directory.
pub const TEMP_PREFIX: &str = ".slogate-tmp.";

/// Why an output directory cannot be used.
#[derive(Debug)]
pub struct Refused {
    pub path: PathBuf,
    pub reason: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

/// The temporary name of `name` for this process (`kind` tells a new file from a backup of the old one).
pub fn temp_path(dir: &Path, name: &str, kind: &str) -> PathBuf {
    dir.join(format!("{TEMP_PREFIX}{}.{name}.{kind}", std::process::id()))
}

/// Refuses an output directory reached through a symbolic link, or that exists and is not a directory. For a
/// relative path every component is checked; for an absolute one the components below the working directory
/// (or, outside it, the directory itself), so that system-level links such as `/tmp → /private/tmp` still work.
pub fn check_dir(dir: &Path) -> Result<(), Refused> {
    let refused = |path: &Path, reason: &str| Refused {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let (base, rest): (PathBuf, PathBuf) = if dir.is_absolute() {
        let cwd = std::env::current_dir().unwrap_or_default();
        match dir.strip_prefix(&cwd) {
            Ok(rest) => (cwd, rest.to_path_buf()),
            Err(_) => (
                dir.parent().map(Path::to_path_buf).unwrap_or_default(),
                dir.file_name().map(PathBuf::from).unwrap_or_default(),
            ),
        }
    } else {
        (PathBuf::new(), dir.to_path_buf())
    };
    let mut at = base;
    for c in rest.components() {
        match c {
            Component::Normal(part) => at.push(part),
            Component::ParentDir => {
                return Err(refused(dir, "the output path may not contain `..`"));
            }
            _ => continue,
        }
        match std::fs::symlink_metadata(&at) {
            Err(_) => break, // does not exist yet: created as a plain directory
            Ok(m) if m.file_type().is_symlink() => return Err(refused(
                &at,
                "is a symbolic link; slogate does not read or write output through symbolic links",
            )),
            Ok(m) if !m.is_dir() => return Err(refused(&at, "exists and is not a directory")),
            Ok(_) => {}
        }
    }
    Ok(())
}

/// The state of one output path before slogate touches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Missing,
    /// A regular file of this many bytes.
    File(u64),
}

/// Looks at `dir/name` without following it: a symbolic link or a non-regular file is refused.
pub fn entry(dir: &Path, name: &str) -> Result<Entry, Refused> {
    let path = dir.join(name);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Entry::Missing),
        Err(e) => Err(Refused {
            path,
            reason: e.to_string(),
        }),
        Ok(m) if m.file_type().is_symlink() => Err(Refused {
            path,
            reason: "is a symbolic link; slogate never follows links in the output directory (remove it, and \
                     commit the generated file itself)"
                .into(),
        }),
        Ok(m) if !m.is_file() => Err(Refused {
            path,
            reason: "is not a regular file".into(),
        }),
        Ok(m) => Ok(Entry::File(m.len())),
    }
}

/// Temporary files left in `dir` by builds that are no longer running (a running build's files are kept).
pub fn leftovers(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(TEMP_PREFIX) else {
            continue;
        };
        let pid: Option<u32> = rest.split('.').next().and_then(|p| p.parse().ok());
        let running = pid.is_some_and(|p| p == std::process::id() || process_running(p));
        if !running {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

/// Removes leftovers (never following links: a leftover is unlinked, whatever it is).
pub fn remove_leftovers(dir: &Path, names: &[String]) -> std::io::Result<()> {
    for n in names {
        match std::fs::remove_file(dir.join(n)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Whether a process with this id exists (Linux: `/proc/<pid>`; elsewhere every leftover counts as dead).
fn process_running(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_recognised_as_leftovers_once_their_process_is_gone() {
        let dir = tempfile_dir();
        std::fs::write(dir.join(".slogate-tmp.4294967295.a.rules.yml.new"), "x").unwrap();
        std::fs::write(temp_path(&dir, "b.rules.yml", "new"), "x").unwrap();
        std::fs::write(dir.join("a.rules.yml"), "x").unwrap();
        // Our own (running) temp file is not a leftover; the dead process's is.
        assert_eq!(
            leftovers(&dir).unwrap(),
            vec![".slogate-tmp.4294967295.a.rules.yml.new".to_string()]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("slogate-guard-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
