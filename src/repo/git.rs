//! Facts from git (git2), without judgement: the repository around PATH, the base revision of a change, the
//! lines a change touched (renames followed), and the policy files as they were at the base.

use git2::{DiffFindOptions, DiffOptions, Oid, Repository};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// A failure that stops the run (exit 2), with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitError {
    pub message: String,
    pub help: Option<String>,
}

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(h) = &self.help {
            write!(f, "\nhelp: {h}")?;
        }
        Ok(())
    }
}

fn err(message: impl Into<String>, help: impl Into<Option<String>>) -> GitError {
    GitError {
        message: message.into(),
        help: help.into(),
    }
}

const UNSHALLOW: &str =
    "fetch the full history: `git fetch --unshallow`, or in GitHub Actions `actions/checkout` with `fetch-depth: 0`";

/// What a change is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compare {
    /// HEAD against the merge-base of REV and HEAD.
    Base(String),
    /// The index against HEAD (pre-commit).
    Staged,
}

/// The base revision for diff-aware mode from the CI environment, when none is given: GitHub's
/// `GITHUB_BASE_REF` or GitLab's `CI_MERGE_REQUEST_TARGET_BRANCH_NAME` (tried as `origin/<name>`, then `<name>`).
pub fn base_from_env() -> Option<String> {
    ["GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
}

/// The repository containing a path.
pub struct Repo {
    inner: Repository,
    /// Canonical working directory.
    pub workdir: PathBuf,
}

/// Lines added or changed by a change, per file (new-side paths, relative to the working directory); where
/// lines were only deleted, the lines around the deletion.
#[derive(Debug, Default, Clone)]
pub struct Changes {
    pub files: HashMap<PathBuf, BTreeSet<u32>>,
    /// Every line of every file in `files` is new (the first commit).
    pub everything: bool,
    /// The base commit (for `--staged`, HEAD).
    pub base: Option<Oid>,
    /// `abc1234` or `HEAD`, for messages.
    pub base_label: String,
    /// The ref the base revision was found under (`origin/main`, `main`, …).
    pub resolved: String,
    /// Files the change renamed: base path → new path (relative to the working directory).
    pub renames: HashMap<PathBuf, PathBuf>,
}

impl Changes {
    /// Whether lines `first..=last` (1-based) of `path` (relative to the working directory) were changed.
    pub fn touches(&self, path: &Path, first: u32, last: u32) -> bool {
        self.files.get(path).is_some_and(|lines| {
            self.everything || lines.range(first..=last.max(first)).next().is_some()
        })
    }
}

impl Repo {
    /// The repository at or above `path`.
    pub fn discover(path: &Path) -> Result<Repo, GitError> {
        tune_libgit2();
        let inner = Repository::discover(path).map_err(|e| {
            err(
                format!("no git repository at or above `{}` ({})", path.display(), e.message()),
                Some("diff-aware mode (`--base`, `--staged`) and history need a git clone; drop those options otherwise".to_string()),
            )
        })?;
        let workdir = inner.workdir().ok_or_else(|| {
            err(
                "the repository is bare: there is no working tree to check",
                None,
            )
        })?;
        let workdir = std::fs::canonicalize(workdir).unwrap_or_else(|_| workdir.to_path_buf());
        Ok(Repo { inner, workdir })
    }

    /// The underlying repository.
    pub fn git(&self) -> &Repository {
        &self.inner
    }

    pub fn is_shallow(&self) -> bool {
        self.inner.is_shallow()
    }

    /// A path relative to the working directory.
    pub fn relative(&self, path: &Path) -> Option<PathBuf> {
        let abs = std::fs::canonicalize(path).ok()?;
        abs.strip_prefix(&self.workdir).ok().map(Path::to_path_buf)
    }

    /// A revision's commit and the name it was found under: a plain branch name is tried as `origin/<name>`
    /// first (the target branch as the remote has it, which a stale local branch must not stand in for),
    /// then as given.
    fn resolve_named(&self, rev: &str) -> Result<(Oid, String), GitError> {
        let candidates = [format!("origin/{rev}"), rev.to_string()];
        let found =
            if rev.contains('/') || rev.len() >= 7 && rev.chars().all(|c| c.is_ascii_hexdigit()) {
                self.inner
                    .revparse_single(rev)
                    .ok()
                    .map(|o| (o, rev.to_string()))
            } else {
                candidates
                    .iter()
                    .find_map(|r| self.inner.revparse_single(r).ok().map(|o| (o, r.clone())))
            };
        let name = found.as_ref().map(|f| f.1.clone()).unwrap_or_default();
        let found = found.map(|f| f.0);
        let object = found.ok_or_else(|| {
            if self.is_shallow() {
                err(format!("unknown revision `{rev}` in a shallow clone: the history may not reach it"), Some(UNSHALLOW.to_string()))
            } else {
                err(
                    format!("unknown revision `{rev}`"),
                    Some(format!("check the name; a remote branch must be fetched first (`git fetch origin {rev}`)")),
                )
            }
        })?;
        let commit = object
            .peel_to_commit()
            .map_err(|e| err(format!("`{rev}` is not a commit: {}", e.message()), None))?;
        Ok((commit.id(), name))
    }

    /// The working directory (canonical).
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    fn head(&self) -> Result<Oid, GitError> {
        let head = self.inner.head().map_err(|e| {
            err(
                format!("the repository has no HEAD commit: {}", e.message()),
                None,
            )
        })?;
        head.peel_to_commit().map(|c| c.id()).map_err(|e| {
            err(
                format!("cannot read HEAD: {}", e.message()),
                Some(corrupt_help()),
            )
        })
    }

    /// Whether HEAD names a branch with no commit yet (a repository before its first commit).
    fn unborn(&self) -> bool {
        matches!(self.inner.head(), Err(e) if e.code() == git2::ErrorCode::UnbornBranch)
    }

    /// The lines a change touched.
    pub fn changes(&self, cmp: &Compare) -> Result<Changes, GitError> {
        if *cmp == Compare::Staged && self.unborn() {
            return self.first_commit_changes();
        }
        let mut resolved = "HEAD".to_string();
        let head = self.head()?;
        let head_tree = self.tree(head)?;
        let (base, diff) = match cmp {
            Compare::Base(rev) => {
                let (other, name) = self.resolve_named(rev)?;
                resolved = name;
                let base = self.inner.merge_base(other, head).map_err(|e| {
                    if self.is_shallow() {
                        err(
                            format!("the shallow clone's history does not reach the merge-base of `{rev}` and HEAD"),
                            Some(UNSHALLOW.to_string()),
                        )
                    } else {
                        err(format!("`{rev}` and HEAD have no common ancestor ({})", e.message()), None)
                    }
                })?;
                let base_tree = self.tree(base)?;
                let diff = self
                    .inner
                    .diff_tree_to_tree(
                        Some(&base_tree),
                        Some(&head_tree),
                        Some(&mut diff_options()),
                    )
                    .map_err(|e| {
                        err(
                            format!("cannot diff: {}", e.message()),
                            Some(corrupt_help()),
                        )
                    })?;
                (base, diff)
            }
            Compare::Staged => {
                let index = self
                    .inner
                    .index()
                    .map_err(|e| err(format!("cannot read the index: {}", e.message()), None))?;
                let diff = self
                    .inner
                    .diff_tree_to_index(Some(&head_tree), Some(&index), Some(&mut diff_options()))
                    .map_err(|e| {
                        err(
                            format!("cannot diff the index: {}", e.message()),
                            Some(corrupt_help()),
                        )
                    })?;
                (head, diff)
            }
        };
        let mut diff = diff;
        diff.find_similar(Some(DiffFindOptions::new().renames(true).copies(false)))
            .map_err(|e| err(format!("cannot follow renames: {}", e.message()), None))?;
        let mut files: HashMap<PathBuf, BTreeSet<u32>> = HashMap::new();
        let mut touched: Vec<PathBuf> = Vec::new();
        let mut renames = HashMap::new();
        diff.foreach(
            &mut |delta, _| {
                if let Some(p) = delta.new_file().path() {
                    touched.push(p.to_path_buf());
                }
                if let (git2::Delta::Renamed, Some(old), Some(new)) = (
                    delta.status(),
                    delta.old_file().path(),
                    delta.new_file().path(),
                ) {
                    renames.insert(old.to_path_buf(), new.to_path_buf());
                }
                true
            },
            None,
            None,
            Some(&mut |delta, hunk, line| {
                let Some(p) = delta.new_file().path() else {
                    return true;
                };
                match (line.origin(), line.new_lineno(), hunk) {
                    ('+', Some(n), _) => {
                        files.entry(p.to_path_buf()).or_default().insert(n);
                    }
                    // A deletion leaves no new line: mark the lines around the place it happened.
                    ('-', _, Some(h)) if h.new_lines() == 0 => {
                        let set = files.entry(p.to_path_buf()).or_default();
                        set.insert(h.new_start().max(1));
                        set.insert(h.new_start() + 1);
                    }
                    _ => {}
                }
                true
            }),
        )
        .map_err(|e| {
            err(
                format!("cannot read the diff: {}", e.message()),
                Some(corrupt_help()),
            )
        })?;
        for p in touched {
            files.entry(p).or_default();
        }
        let base_label = match cmp {
            Compare::Staged => "HEAD".to_string(),
            Compare::Base(_) => base.to_string()[..7].to_string(),
        };
        Ok(Changes {
            files,
            everything: false,
            base: Some(base),
            base_label,
            resolved,
            renames,
        })
    }

    /// `--staged` before the first commit: every staged file is new, and there is no base to compare with.
    fn first_commit_changes(&self) -> Result<Changes, GitError> {
        let index = self
            .inner
            .index()
            .map_err(|e| err(format!("cannot read the index: {}", e.message()), None))?;
        let files: HashMap<PathBuf, BTreeSet<u32>> = index
            .iter()
            .map(|e| {
                let path = PathBuf::from(String::from_utf8_lossy(&e.path).into_owned());
                (path, BTreeSet::new())
            })
            .collect();
        Ok(Changes {
            files,
            everything: true,
            base: None,
            base_label: "nothing (first commit)".to_string(),
            resolved: "HEAD".to_string(),
            renames: HashMap::new(),
        })
    }

    fn tree(&self, commit: Oid) -> Result<git2::Tree<'_>, GitError> {
        self.inner
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(|e| {
                err(
                    format!("cannot read commit {commit}: {}", e.message()),
                    Some(corrupt_help()),
                )
            })
    }

    /// The `*.slo` files under `prefix` (relative to the working directory) at `commit`: (path, text).
    pub fn policies_at(
        &self,
        commit: Oid,
        prefix: &Path,
    ) -> Result<Vec<(PathBuf, String)>, GitError> {
        let tree = self.tree(commit)?;
        let mut out = Vec::new();
        let mut failure = None;
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            let name = entry.name().unwrap_or("");
            let path = PathBuf::from(dir).join(name);
            if entry.kind() == Some(git2::ObjectType::Tree) {
                let skipped = crate::workspace::SKIPPED_DIRS.contains(&name);
                let related = path.starts_with(prefix) || prefix.starts_with(&path);
                return if skipped || !related {
                    git2::TreeWalkResult::Skip
                } else {
                    git2::TreeWalkResult::Ok
                };
            }
            if name.ends_with(".slo") && path.starts_with(prefix) {
                match entry.to_object(&self.inner).and_then(|o| o.peel_to_blob()) {
                    Ok(blob) => {
                        if let Ok(text) = std::str::from_utf8(blob.content()) {
                            out.push((path, text.to_string()));
                        }
                    }
                    Err(e) => {
                        failure = Some(err(
                            format!(
                                "cannot read `{}` at {commit}: {}",
                                path.display(),
                                e.message()
                            ),
                            Some(corrupt_help()),
                        ));
                        return git2::TreeWalkResult::Abort;
                    }
                }
            }
            git2::TreeWalkResult::Ok
        })
        .map_err(|e| {
            failure.clone().unwrap_or_else(|| {
                err(
                    format!("cannot read the tree at {commit}: {}", e.message()),
                    Some(corrupt_help()),
                )
            })
        })?;
        if let Some(f) = failure {
            return Err(f);
        }
        out.sort();
        Ok(out)
    }
}

/// libgit2's object cache skips trees over 4 KiB by default, so walking history re-reads and re-inflates
/// large trees (a `manifests/` directory with a thousand entries) for every commit; and it re-hashes every
/// object it reads. git itself does neither. Set once per process.
fn tune_libgit2() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: called once, before any repository is opened by this process.
        unsafe {
            let _ = git2::opts::set_cache_object_limit(git2::ObjectType::Tree, 1 << 20);
            let _ = git2::opts::set_cache_object_limit(git2::ObjectType::Commit, 1 << 16);
        }
        git2::opts::strict_hash_verification(false);
    });
}

fn diff_options() -> DiffOptions {
    let mut o = DiffOptions::new();
    o.context_lines(0).include_untracked(false);
    o
}

fn corrupt_help() -> String {
    "the repository may be corrupt: `git fsck` tells; a fresh clone fixes it".to_string()
}
