//! Delivery and toil facts per service from git history (git2), without judgement.
//!
//! For each service, the first-parent commits within its toil window (counted back from HEAD's commit time,
//! so results do not depend on when the tool runs) that touch its policy file or the manifest file of its
//! workload. Each is classified as automation (author matches the policy's bots or the defaults), manual
//! toil (the policy's `manual` classifier) or other human work. Deploys are commits that change the
//! workload's container images — found by comparing the workload's YAML before and after, not by reading
//! messages. A rollback is a deploy back to an image set seen before, or a revert of a deploy (a revert of a
//! revert re-applies a change and is a plain deploy). A deploy failed when a rollback, a revert or a hotfix
//! touching the service follows it within a day, before the next ordinary deploy.

use super::git::{GitError, Repo};
use crate::model::{Model, Service, ToilMatcher, DEFAULT_TOIL_WINDOW};
use crate::repo::k8s::scalar;
use crate::repo::manifests::{documents, Inventory};
use git2::{Commit, Oid};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Authors that are automation unless the policy lists its own bots as well.
pub const DEFAULT_BOTS: &[&str] = &[
    "renovate[bot]",
    "renovate-bot",
    // Mend-hosted Renovate commits as `Renovate Bot <bot@renovateapp.com>`.
    "bot@renovateapp.com",
    "dependabot[bot]",
    "argocd-image-updater",
    "flux*",
    "*[bot]",
];

/// A revert of a revert puts a change back: titled `Revert "Revert …"`, or `Reapply "…"` by git ≥ 2.43.
pub fn reverts_a_revert(message: &str) -> bool {
    let m = message.trim_start();
    m.starts_with("Revert \"Revert ") || m.starts_with("Reapply \"")
}

/// How long after a deploy a rollback, revert or hotfix counts as its failure.
pub const FAILURE_WINDOW_SECS: i64 = 24 * 3600;

/// The facts of one service.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServiceFacts {
    pub service: String,
    pub window_days: u64,
    /// Commits touching the service in the window.
    pub changes: usize,
    pub automated: usize,
    pub manual_toil: usize,
    pub other_human: usize,
    pub deploys: Vec<Deploy>,
    pub rollbacks: usize,
    pub failed_deploys: usize,
    /// manual toil ÷ changes
    #[serde(serialize_with = "ser_opt_decimal")]
    pub toil_ratio: Option<Decimal>,
    /// automated ÷ changes
    #[serde(serialize_with = "ser_opt_decimal")]
    pub automation_ratio: Option<Decimal>,
    /// failed deploys ÷ deploys
    #[serde(serialize_with = "ser_opt_decimal")]
    pub change_failure_rate: Option<Decimal>,
    /// deploys per day over the window
    #[serde(serialize_with = "ser_decimal")]
    pub deploys_per_day: Decimal,
    /// The history ends (shallow clone or first commit) inside the window.
    pub truncated: bool,
}

/// A commit that changed the workload's images.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Deploy {
    pub commit: String,
    pub time: i64,
    pub images: Vec<String>,
    pub rollback: bool,
    pub failed: bool,
}

fn ser_decimal<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::model::units::plain(*d))
}

fn ser_opt_decimal<S: serde::Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => ser_decimal(d, s),
        None => s.serialize_none(),
    }
}

/// What a service's history is read from.
struct Watch<'a> {
    service: &'a Service,
    policy: Option<PathBuf>,
    manifest: Option<PathBuf>,
    /// kind (lower-case), namespace, name
    workload: Option<(String, String, String)>,
    window: i64,
}

/// One classified commit touching a service.
struct Touch {
    time: i64,
    class: Class,
    revert_of: Option<Oid>,
    reverts_a_revert: bool,
    hotfix: bool,
    images: Option<(Vec<String>, Vec<String>)>,
    id: Oid,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Automated,
    ManualToil,
    Human,
}

/// The facts of every service with a workload or a toil block.
pub fn facts(
    repo: &Repo,
    model: &Model,
    inv: Option<&Inventory>,
    sources: &crate::source::SourceMap,
) -> Result<Vec<ServiceFacts>, GitError> {
    let watches: Vec<Watch<'_>> = model
        .services
        .iter()
        .map(|s| {
            let policy = repo.relative(&sources.get(s.name.span.file).path);
            let (workload, manifest) = match (&s.workload, inv) {
                (Some(w), Some(inv)) => {
                    let ns = w
                        .value
                        .namespace
                        .clone()
                        .unwrap_or_else(|| "default".into());
                    let object = inv
                        .in_namespace(&w.value.kind, &ns)
                        .find(|o| o.name == w.value.name);
                    let manifest = object.and_then(|o| repo.relative(&sources.get(o.file).path));
                    (
                        Some((w.value.kind.clone(), ns, w.value.name.clone())),
                        manifest,
                    )
                }
                _ => (None, None),
            };
            let window = s
                .toil
                .as_ref()
                .map_or(DEFAULT_TOIL_WINDOW, |t| t.window)
                .millis as i64
                / 1000;
            Watch {
                service: s,
                policy,
                manifest,
                workload,
                window,
            }
        })
        .collect();
    let paths: Vec<&PathBuf> = watches
        .iter()
        .flat_map(|w| w.policy.iter().chain(w.manifest.iter()))
        .collect();
    let longest = watches.iter().map(|w| w.window).max().unwrap_or(0);
    let walk = repo.first_parent_walk(longest, &paths)?;
    // Images per (blob, service): every version of a manifest is parsed once per service watching it.
    let mut images_cache: HashMap<(Oid, usize), Option<Vec<String>>> = HashMap::new();
    // Which walked commits touch each path.
    let mut by_path: HashMap<&Path, Vec<usize>> = HashMap::new();
    for (i, c) in walk.commits.iter().enumerate() {
        for p in &c.paths {
            by_path.entry(p.as_path()).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for (wi, w) in watches.iter().enumerate() {
        let since = walk.head_time - w.window;
        let mut indices: Vec<usize> = w
            .policy
            .iter()
            .chain(w.manifest.iter())
            .flat_map(|p| by_path.get(p.as_path()).into_iter().flatten().copied())
            .collect();
        indices.sort_unstable();
        indices.dedup();
        // The window ends after the last commit (newest first) dated inside it: a commit with a skewed date
        // before that one still counts where the topology puts it.
        let last_inside = indices.iter().rposition(|&i| walk.commits[i].time >= since);
        let mut touches = Vec::new();
        for c in indices
            .into_iter()
            .take(last_inside.map_or(0, |p| p + 1))
            .map(|i| &walk.commits[i])
        {
            let manifest_blobs = w
                .manifest
                .as_ref()
                .and_then(|p| c.paths.iter().position(|x| x == p))
                .map(|i| c.blobs[i]);
            let images = match (manifest_blobs, &w.workload) {
                (Some((old, new)), Some(id)) => {
                    let mut read = |blob: Option<Oid>| -> Result<Option<Vec<String>>, GitError> {
                        let Some(blob) = blob else { return Ok(None) };
                        if let Some(v) = images_cache.get(&(blob, wi)) {
                            return Ok(v.clone());
                        }
                        let v = repo.blob_text(blob)?.and_then(|text| images_of(&text, id));
                        images_cache.insert((blob, wi), v.clone());
                        Ok(v)
                    };
                    let after = read(new)?;
                    let before = read(old)?;
                    match (before, after) {
                        (Some(b), Some(a)) if a != b => Some((b, a)),
                        (None, Some(a)) if !a.is_empty() => Some((Vec::new(), a)),
                        _ => None,
                    }
                }
                _ => None,
            };
            let message = c.message.as_str();
            let revert_of = reverted_commit(message);
            touches.push(Touch {
                time: c.time,
                class: classify(w.service, c),
                reverts_a_revert: revert_of.is_some() && reverts_a_revert(message),
                revert_of,
                hotfix: message
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("hotfix"),
                images,
                id: c.id,
            });
        }
        out.push(summarise(w, touches, walk.truncated_before(since)));
    }
    Ok(out)
}

/// Counts, deploys, rollbacks and failures from a service's touches (newest first).
fn summarise(w: &Watch<'_>, mut touches: Vec<Touch>, truncated: bool) -> ServiceFacts {
    touches.reverse(); // oldest first
    let changes = touches.len();
    let count = |c: Class| touches.iter().filter(|t| t.class == c).count();
    let (automated, manual_toil, other_human) = (
        count(Class::Automated),
        count(Class::ManualToil),
        count(Class::Human),
    );
    let deploy_ids: Vec<Oid> = touches
        .iter()
        .filter(|t| t.images.is_some())
        .map(|t| t.id)
        .collect();
    let mut seen: Vec<Vec<String>> = Vec::new();
    // (touch index, rollback) of each deploy, oldest first.
    let mut deployed: Vec<(usize, bool)> = Vec::new();
    for (i, t) in touches.iter().enumerate() {
        let Some((before, after)) = &t.images else {
            continue;
        };
        if seen.is_empty() && !before.is_empty() {
            seen.push(before.clone());
        }
        let reverts_deploy = t.revert_of.is_some_and(|r| deploy_ids.contains(&r));
        let rollback = !t.reverts_a_revert && (seen.contains(after) || reverts_deploy);
        seen.push(after.clone());
        deployed.push((i, rollback));
    }
    let is_rollback = |j: usize| deployed.iter().any(|&(k, r)| k == j && r);
    let is_deploy = |j: usize| deployed.iter().any(|&(k, _)| k == j);
    let deploys: Vec<Deploy> = deployed
        .iter()
        .map(|&(i, rollback)| {
            let t = &touches[i];
            // A deploy failed when, before the next ordinary deploy and within the failure window, the service
            // sees a rollback, a revert or a hotfix: the remediation is attributed to the latest deploy.
            let mut failed = false;
            for (j, later) in touches.iter().enumerate().skip(i + 1) {
                if later.time - t.time > FAILURE_WINDOW_SECS {
                    break;
                }
                if later.revert_of.is_some() || later.hotfix || is_rollback(j) {
                    failed = true;
                    break;
                }
                if is_deploy(j) {
                    break;
                }
            }
            Deploy {
                commit: t.id.to_string()[..7].to_string(),
                time: t.time,
                images: t
                    .images
                    .as_ref()
                    .map(|(_, a)| a.clone())
                    .unwrap_or_default(),
                rollback,
                failed,
            }
        })
        .collect();
    let rollbacks = deploys.iter().filter(|d| d.rollback).count();
    let failed_deploys = deploys.iter().filter(|d| d.failed).count();
    let ratio = |n: usize, d: usize| {
        (d > 0).then(|| {
            (Decimal::from(n) / Decimal::from(d))
                .round_dp(4)
                .normalize()
        })
    };
    let window_days = (w.window / 86_400).max(1) as u64;
    ServiceFacts {
        service: w.service.name.value.clone(),
        window_days,
        changes,
        automated,
        manual_toil,
        other_human,
        rollbacks,
        failed_deploys,
        toil_ratio: ratio(manual_toil, changes),
        automation_ratio: ratio(automated, changes),
        change_failure_rate: ratio(failed_deploys, deploys.len()),
        deploys_per_day: (Decimal::from(deploys.len()) / Decimal::from(window_days))
            .round_dp(4)
            .normalize(),
        deploys,
        truncated,
    }
}

/// Automation, manual toil or other human work.
fn classify(s: &Service, c: &WalkedCommit) -> Class {
    let (name, email, paths) = (c.author_name.as_str(), c.author_email.as_str(), &c.paths);
    let bots: Vec<&str> = s
        .toil
        .as_ref()
        .map(|t| t.bots.iter().map(String::as_str).collect())
        .unwrap_or_default();
    if bots
        .iter()
        .chain(DEFAULT_BOTS)
        .any(|b| glob(b, name) || glob(b, email))
    {
        return Class::Automated;
    }
    let message = c.message.as_str();
    let manual = s.toil.as_ref().is_some_and(|t| {
        t.manual.iter().any(|m| match m {
            ToilMatcher::Message(re) => re.is_match(message),
            ToilMatcher::Author(re) => re.is_match(name) || re.is_match(email),
            ToilMatcher::Path(re) => paths.iter().any(|p| re.is_match(&p.to_string_lossy())),
            ToilMatcher::Trailer { key, value } => trailers(message)
                .any(|(k, v)| k.eq_ignore_ascii_case(key) && v.eq_ignore_ascii_case(value)),
        })
    });
    if manual {
        Class::ManualToil
    } else {
        Class::Human
    }
}

/// `Key: value` lines of the message's last paragraph.
fn trailers(message: &str) -> impl Iterator<Item = (&str, &str)> {
    let last = message.trim_end().rsplit("\n\n").next().unwrap_or("");
    last.lines()
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim(), v.trim())))
}

/// `*` globs, whole-string.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first)
        || !text[first.len()..].ends_with(last)
        || text.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// The commit a `git revert` message names.
fn reverted_commit(message: &str) -> Option<Oid> {
    let i = message.find("This reverts commit ")?;
    let hex: String = message[i + 20..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    Oid::from_str(&hex).ok()
}

/// The sorted container images of the workload `id` in a manifest text.
fn images_of(text: &str, (kind, ns, name): &(String, String, String)) -> Option<Vec<String>> {
    for (start, end) in documents(text) {
        let doc = &text[start..end];
        // Only documents that can be the workload are parsed (`kind` is the lower-cased kind as written).
        if !doc.contains(name.as_str()) || !doc.to_ascii_lowercase().contains(kind.as_str()) {
            continue;
        }
        let Ok(v) = serde_yaml::from_str::<serde_yaml::Value>(doc) else {
            continue;
        };
        let k = v.get("kind").and_then(|k| k.as_str()).unwrap_or("");
        let meta = v.get("metadata");
        let n = meta
            .and_then(|m| m.get("name"))
            .and_then(scalar)
            .unwrap_or_default();
        let s = meta
            .and_then(|m| m.get("namespace"))
            .and_then(scalar)
            .unwrap_or_else(|| "default".into());
        if !k.eq_ignore_ascii_case(kind) || &n != name || &s != ns {
            continue;
        }
        let spec = if k == "CronJob" {
            v.get("spec")
                .and_then(|s| s.get("jobTemplate"))
                .and_then(|j| j.get("spec"))
                .and_then(|s| s.get("template"))
        } else {
            v.get("spec").and_then(|s| s.get("template"))
        }
        .and_then(|t| t.get("spec"));
        let mut images: Vec<String> = ["initContainers", "containers"]
            .iter()
            .filter_map(|key| spec.and_then(|s| s.get(*key)).and_then(|c| c.as_sequence()))
            .flatten()
            .filter_map(|c| c.get("image").and_then(scalar))
            .collect();
        images.sort();
        return Some(images);
    }
    None
}

/// Paths under `prefix` that differ between two trees and that `interesting` accepts (directories are only
/// entered when `interesting` accepts them), with their (old, new) blob ids.
fn diff_trees(
    repo: &git2::Repository,
    old: Option<&git2::Tree<'_>>,
    new: Option<&git2::Tree<'_>>,
    prefix: &Path,
    interesting: &dyn Fn(&Path) -> bool,
    out: &mut Vec<(PathBuf, Option<Oid>, Option<Oid>)>,
) -> Result<(), GitError> {
    type Side = Option<(Oid, bool)>;
    let side = |e: &git2::TreeEntry<'_>| Some((e.id(), e.kind() == Some(git2::ObjectType::Tree)));
    let mut pairs: Vec<(Vec<u8>, Side, Side)> = Vec::new();
    // Fast path: the same names in the same order (a modification), compared in place.
    let mut aligned = false;
    if let (Some(o), Some(n)) = (old, new) {
        if o.len() == n.len() {
            aligned = true;
            for (x, y) in o.iter().zip(n.iter()) {
                if x.name_bytes() != y.name_bytes() {
                    aligned = false;
                    pairs.clear();
                    break;
                }
                if x.id() != y.id() {
                    pairs.push((x.name_bytes().to_vec(), side(&x), side(&y)));
                }
            }
        }
    }
    if !aligned {
        // Additions, deletions and renames: match by name.
        let index = |t: Option<&git2::Tree<'_>>| -> HashMap<Vec<u8>, (Oid, bool)> {
            t.map(|t| {
                t.iter()
                    .filter_map(|e| side(&e).map(|s| (e.name_bytes().to_vec(), s)))
                    .collect()
            })
            .unwrap_or_default()
        };
        let (a, b) = (index(old), index(new));
        for (name, x) in &a {
            let y = b.get(name).copied();
            if y.map(|y| y.0) != Some(x.0) {
                pairs.push((name.clone(), Some(*x), y));
            }
        }
        for (name, y) in &b {
            if !a.contains_key(name) {
                pairs.push((name.clone(), None, Some(*y)));
            }
        }
        pairs.sort_by(|p, q| p.0.cmp(&q.0));
    }
    for (name, x, y) in pairs {
        // Names are bytes in git: joined as such (a non-UTF-8 name must still match the watched path read from
        // the filesystem, or its history would silently vanish).
        #[cfg(unix)]
        let path =
            prefix.join(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(&name));
        #[cfg(not(unix))]
        let path = prefix.join(String::from_utf8_lossy(&name).as_ref());
        if !interesting(&path) {
            continue;
        }
        let is_tree = |e: Side| e.is_some_and(|e| e.1);
        if is_tree(x) || is_tree(y) {
            let load = |e: Side| -> Result<Option<git2::Tree<'_>>, GitError> {
                match e {
                    Some((id, true)) => repo.find_tree(id).map(Some).map_err(|e| GitError {
                        message: format!("cannot read tree {id}: {}", e.message()),
                        help: None,
                    }),
                    _ => Ok(None),
                }
            };
            let (ta, tb) = (load(x)?, load(y)?);
            diff_trees(repo, ta.as_ref(), tb.as_ref(), &path, interesting, out)?;
        } else {
            out.push((path, x.map(|e| e.0), y.map(|e| e.0)));
        }
    }
    Ok(())
}

/// First-parent commits that touch any of the watched paths.
pub struct Walk {
    pub head_time: i64,
    pub commits: Vec<WalkedCommit>,
    /// The oldest commit reached, and whether it is a shallow boundary or the root.
    oldest_time: Option<i64>,
    ended_early: bool,
}

impl Walk {
    /// Whether the history ends after `since` (so facts for the window are incomplete).
    pub fn truncated_before(&self, since: i64) -> bool {
        self.ended_early && self.oldest_time.is_some_and(|t| t > since)
    }
}

pub struct WalkedCommit {
    pub id: Oid,
    pub time: i64,
    /// Watched paths the commit touched.
    pub paths: Vec<PathBuf>,
    /// (old blob, new blob) of each touched path, `None` where the file did not exist.
    pub blobs: Vec<(Option<Oid>, Option<Oid>)>,
    pub author_name: String,
    pub author_email: String,
    pub message: String,
}

/// How many commits in a row dated before the window end it (see [`Repo::first_parent_walk`]).
pub const SKEW_RUN: usize = 20;

impl Repo {
    /// Walks first-parent history back from HEAD for `window_secs`, keeping commits that touch `paths`.
    pub fn first_parent_walk(
        &self,
        window_secs: i64,
        paths: &[&PathBuf],
    ) -> Result<Walk, GitError> {
        let repo = self.git();
        let head = repo
            .head()
            .and_then(|h| h.peel_to_commit())
            .map_err(|e| GitError {
                message: format!("cannot read HEAD: {}", e.message()),
                help: None,
            })?;
        let head_time = head.time().seconds();
        let since = head_time - window_secs;
        let mut current = Some(head);
        let mut oldest_time = None;
        let mut ended_early = false;
        // First the chain of (commit, time, tree, parent tree): commit objects are small and must be read in
        // order. Then the tree comparisons, which are the work, in parallel: one repository handle per worker
        // (git2's Repository is not Sync).
        let mut chain: Vec<(Oid, i64, Oid, Option<Oid>)> = Vec::new();
        let err = |id: Oid, e: git2::Error| GitError {
            message: format!("cannot read commit {id}: {}", e.message()),
            help: Some(
                "the repository may be corrupt: `git fsck` tells; a fresh clone fixes it".into(),
            ),
        };
        // Commits are taken along the first-parent chain, and the window ends where SKEW_RUN commits in a row
        // are dated before it: one commit with a skewed clock (1970, or a date after HEAD) neither ends the
        // walk early nor is dropped; it counts where the topology puts it.
        let mut old_run: Vec<(Oid, i64, Oid, Option<Oid>)> = Vec::new();
        while let Some(c) = current {
            let time = c.time().seconds();
            if time < since && old_run.len() + 1 >= SKEW_RUN {
                break;
            }
            oldest_time = Some(oldest_time.map_or(time, |o: i64| o.min(time.max(since))));
            let parent = match c.parent(0) {
                Ok(p) => Some(p),
                Err(_) => {
                    // The root commit, or the boundary of a shallow clone.
                    ended_early = true;
                    None
                }
            };
            let entry = (
                c.id(),
                time,
                c.tree_id(),
                parent.as_ref().map(|p| p.tree_id()),
            );
            if time < since {
                old_run.push(entry);
            } else {
                // A commit dated inside the window after a few older-dated ones: those were skewed, not old.
                chain.append(&mut old_run);
                chain.push(entry);
            }
            current = parent;
        }
        if paths.is_empty() {
            return Ok(Walk {
                head_time,
                commits: Vec::new(),
                oldest_time,
                ended_early,
            });
        }
        // Trees are compared entry by entry, descending only into directories that lead to a watched path and
        // whose ids differ: what git does, and far cheaper than a general diff over large directories.
        let watched: std::collections::HashSet<&Path> = paths.iter().map(|p| p.as_path()).collect();
        let dirs: std::collections::HashSet<&Path> =
            paths.iter().flat_map(|p| p.ancestors().skip(1)).collect();
        let interesting = |p: &Path| watched.contains(p) || dirs.contains(p);
        let git_dir = repo.path().to_path_buf();
        let workers = rayon::current_num_threads().max(1);
        let chunk = chain.len().div_ceil(workers).max(1);
        let parts: Vec<Result<Vec<WalkedCommit>, GitError>> = chain
            .par_chunks(chunk)
            .map(|part| {
                let repo = git2::Repository::open(&git_dir).map_err(|e| GitError {
                    message: format!("cannot open the repository: {}", e.message()),
                    help: None,
                })?;
                let mut out = Vec::new();
                for &(id, time, tree, parent_tree) in part {
                    let tree = repo.find_tree(tree).map_err(|e| err(id, e))?;
                    let parent_tree = match parent_tree {
                        Some(t) => Some(repo.find_tree(t).map_err(|e| err(id, e))?),
                        None => None,
                    };
                    let mut changed = Vec::new();
                    diff_trees(
                        &repo,
                        parent_tree.as_ref(),
                        Some(&tree),
                        Path::new(""),
                        &interesting,
                        &mut changed,
                    )?;
                    if changed.is_empty() {
                        continue;
                    }
                    let c = repo.find_commit(id).map_err(|e| err(id, e))?;
                    let author = c.author();
                    out.push(WalkedCommit {
                        id,
                        time,
                        paths: changed.iter().map(|(p, _, _)| p.clone()).collect(),
                        blobs: changed.iter().map(|(_, a, b)| (*a, *b)).collect(),
                        author_name: author.name().unwrap_or("").to_string(),
                        author_email: author.email().unwrap_or("").to_string(),
                        message: c.message().unwrap_or("").to_string(),
                    });
                }
                Ok(out)
            })
            .collect();
        let mut commits = Vec::new();
        for p in parts {
            commits.extend(p?);
        }
        Ok(Walk {
            head_time,
            commits,
            oldest_time,
            ended_early,
        })
    }

    /// The blob id of `path` at commit `id`, if it exists there.
    pub fn blob_id_at(&self, id: Oid, path: &Path) -> Result<Option<Oid>, GitError> {
        let c = self.commit(id)?;
        let tree = c.tree().map_err(|e| GitError {
            message: format!("cannot read commit {id}: {}", e.message()),
            help: None,
        })?;
        Ok(tree.get_path(path).ok().map(|e| e.id()))
    }

    /// The text of a blob (`None` when it is not UTF-8).
    pub fn blob_text(&self, blob: Oid) -> Result<Option<String>, GitError> {
        let b = self.git().find_blob(blob).map_err(|e| GitError {
            message: format!("cannot read blob {blob}: {}", e.message()),
            help: Some(
                "the repository may be corrupt: `git fsck` tells; a fresh clone fixes it".into(),
            ),
        })?;
        Ok(std::str::from_utf8(b.content()).ok().map(str::to_string))
    }

    pub fn commit(&self, id: Oid) -> Result<Commit<'_>, GitError> {
        self.git().find_commit(id).map_err(|e| GitError {
            message: format!("cannot read commit {id}: {}", e.message()),
            help: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("flux*", "fluxcd-bot"));
        assert!(glob("*[bot]", "renovate[bot]"));
        assert!(DEFAULT_BOTS.iter().any(|b| glob(b, "bot@renovateapp.com")));
        assert!(DEFAULT_BOTS.iter().any(|b| glob(b, "renovate[bot]")));
        assert!(reverts_a_revert(
            "Reapply \"feat: x\"\n\nThis reverts commit 1.\n"
        ));
        assert!(reverts_a_revert("Revert \"Revert \"feat: x\"\""));
        assert!(!reverts_a_revert("Revert \"feat: x\""));
        assert!(glob("renovate[bot]", "renovate[bot]"));
        assert!(!glob("flux*", "influx"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "ac"));
    }

    #[test]
    fn revert_messages() {
        let id = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            reverted_commit(&format!("Revert \"x\"\n\nThis reverts commit {id}.\n")),
            Some(Oid::from_str(id).unwrap())
        );
        assert_eq!(reverted_commit("fix things"), None);
    }

    #[test]
    fn trailer_lines() {
        let m = "Do it\n\nbody\n\nToil: yes\nSigned-off-by: A <a@b>";
        assert!(trailers(m).any(|(k, v)| k == "Toil" && v == "yes"));
    }
}
