//! Writing emitted files all or nothing.
//!
//! Every changed file is first written (and synced) under a temporary name; only when all are written does any
//! rename happen. The file each rename replaces is kept under a backup name (a hard link to the same inode, so
//! its contents, permissions and identity survive), and if a rename fails the replaced files are renamed back:
//! the directory ends exactly as it was. The report says what happened, including the rare case where the
//! restore itself failed.

use super::guard::{self, Entry, Refused};
use super::OutputFile;
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a successful write did.
#[derive(Debug, Default)]
pub struct Written {
    /// Files whose contents changed.
    pub changed: Vec<String>,
    /// Temporary files of interrupted earlier builds that were removed.
    pub leftovers_removed: Vec<String>,
}

/// Why a write failed, and the state it left the directory in (worded truthfully for the user).
#[derive(Debug)]
pub struct WriteError {
    pub error: String,
    pub state: String,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.error, self.state)
    }
}

impl From<Refused> for WriteError {
    fn from(r: Refused) -> WriteError {
        WriteError {
            error: r.to_string(),
            state: "nothing was written".into(),
        }
    }
}

/// A file written to its temporary name, waiting for its rename.
struct Pending {
    tmp: PathBuf,
    target: PathBuf,
    name: String,
    /// The backup of the file it replaces, made just before the rename.
    backup: Option<PathBuf>,
    existed: bool,
}

/// Writes every file into `dir` (created if missing) all or nothing; unchanged files are not touched.
pub fn write_all(dir: &Path, files: &[OutputFile]) -> Result<Written, WriteError> {
    guard::check_dir(dir)?;
    let io = |what: &str, e: std::io::Error| WriteError {
        error: format!("{what}: {e}"),
        state: "no file was changed".into(),
    };
    std::fs::create_dir_all(dir).map_err(|e| io("creating the directory", e))?;
    guard::check_dir(dir)?;
    let leftovers = guard::leftovers(dir).map_err(|e| io("listing the directory", e))?;
    // Every target is inspected before anything is written: one symbolic link refuses the whole build.
    let entries: Vec<Entry> = files
        .iter()
        .map(|f| guard::entry(dir, &f.name))
        .collect::<Result<_, _>>()?;
    guard::remove_leftovers(dir, &leftovers)
        .map_err(|e| io("removing leftovers of an interrupted build", e))?;
    // Temporary files are written (and synced) in parallel: the disk, not the CPU, is the limit.
    let prepared: Vec<std::io::Result<Option<Pending>>> = files
        .par_iter()
        .zip(entries.par_iter())
        .map(|(f, entry)| {
            let target = dir.join(&f.name);
            if unchanged(&target, *entry, f.contents.as_bytes()) {
                return Ok(None);
            }
            let tmp = guard::temp_path(dir, &f.name, "new");
            match write_file(&tmp, f.contents.as_bytes()) {
                Ok(()) => Ok(Some(Pending {
                    tmp,
                    target,
                    name: f.name.clone(),
                    backup: None,
                    existed: *entry != Entry::Missing,
                })),
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    Err(e)
                }
            }
        })
        .collect();
    let mut pending: Vec<Pending> = Vec::new();
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
        return Err(io("writing a temporary file", e));
    }
    for i in 0..pending.len() {
        if let Err(e) = replace(&mut pending[i], dir) {
            // The failed file still holds its old contents: drop its backup with the unused temporary files.
            if let Some(b) = pending[i].backup.take() {
                let _ = std::fs::remove_file(b);
            }
            remove_temps(&pending[i..]);
            let failed_restores = restore(&pending[..i]);
            let state = if failed_restores.is_empty() {
                "no file was changed: the files already replaced were restored".to_string()
            } else {
                format!(
                    "restoring failed for {}: they may hold the new contents; the old ones are kept beside \
                     them under `{}…` names",
                    failed_restores.join(", "),
                    guard::TEMP_PREFIX
                )
            };
            return Err(WriteError {
                error: format!("replacing {}: {e}", pending[i].name),
                state,
            });
        }
    }
    for p in &pending {
        if let Some(b) = &p.backup {
            let _ = std::fs::remove_file(b);
        }
    }
    sync_dir(dir);
    Ok(Written {
        changed: pending.into_iter().map(|p| p.name).collect(),
        leftovers_removed: leftovers,
    })
}

/// Whether the regular file at `target` already holds `contents` (read only when the sizes agree).
fn unchanged(target: &Path, entry: Entry, contents: &[u8]) -> bool {
    match entry {
        Entry::File(len) if len == contents.len() as u64 => {
            std::fs::read(target).is_ok_and(|old| old == contents)
        }
        _ => false,
    }
}

/// Backs up the current file (a hard link, or a copy where links are not possible), then renames the new one
/// over it.
fn replace(p: &mut Pending, dir: &Path) -> std::io::Result<()> {
    if p.existed {
        let backup = guard::temp_path(dir, &p.name, "old");
        if std::fs::hard_link(&p.target, &backup).is_err() {
            std::fs::copy(&p.target, &backup)?;
        }
        p.backup = Some(backup);
    }
    #[cfg(test)]
    if FAIL_RENAME.with(|f| f.borrow().as_deref() == Some(p.name.as_str())) {
        return Err(std::io::Error::other("injected rename failure"));
    }
    std::fs::rename(&p.tmp, &p.target)
}

#[cfg(test)]
thread_local! {
    /// The file whose rename fails (tests of the rollback).
    static FAIL_RENAME: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Puts back what the given (already renamed) files replaced; returns the names it could not restore.
fn restore(done: &[Pending]) -> Vec<String> {
    let mut failed = Vec::new();
    for p in done.iter().rev() {
        let ok = match &p.backup {
            Some(b) => std::fs::rename(b, &p.target).is_ok(),
            None => std::fs::remove_file(&p.target).is_ok(),
        };
        if !ok {
            failed.push(p.name.clone());
        }
    }
    failed
}

fn remove_temps(pending: &[Pending]) {
    for p in pending {
        let _ = std::fs::remove_file(&p.tmp);
    }
}

/// Writes and syncs a whole file, so that a rename over the old file can never expose a partial one, even
/// after a power loss (the textbook atomic replacement: write, fsync, rename). `create_new` never follows or
/// reuses an existing path.
fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the renames in `dir` durable (a no-op where directories cannot be opened, as on Windows).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, contents: &str) -> OutputFile {
        OutputFile {
            name: name.into(),
            contents: contents.into(),
        }
    }

    fn listing(dir: &Path) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let name = e.file_name().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(e.path()).unwrap_or_default())
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_failed_rename_restores_every_replaced_file_and_removes_new_ones() {
        let dir = std::env::temp_dir().join(format!("slogate-write-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.rules.yml"), "old a\n").unwrap();
        std::fs::write(dir.join("c.rules.yml"), "old c\n").unwrap();
        let before = listing(&dir);
        let ino = |p: &Path| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap());
        let inode_a = ino(&dir.join("a.rules.yml"));
        FAIL_RENAME.with(|f| *f.borrow_mut() = Some("c.rules.yml".into()));
        let files = [
            file("a.rules.yml", "new a\n"),
            file("b.rules.yml", "new b\n"),
            file("c.rules.yml", "new c\n"),
        ];
        let err = write_all(&dir, &files).unwrap_err();
        FAIL_RENAME.with(|f| *f.borrow_mut() = None);
        assert!(err.error.contains("c.rules.yml"), "{err}");
        assert_eq!(
            err.state,
            "no file was changed: the files already replaced were restored"
        );
        // Exactly as before: same names, same contents, the very same file for `a` (not a rewritten copy).
        assert_eq!(listing(&dir), before);
        assert_eq!(ino(&dir.join("a.rules.yml")), inode_a);
        // The same build without the failure goes through and leaves no temporary file.
        let w = write_all(&dir, &files).unwrap();
        assert_eq!(w.changed.len(), 3);
        assert!(listing(&dir)
            .iter()
            .all(|(n, _)| !n.starts_with(guard::TEMP_PREFIX)));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
