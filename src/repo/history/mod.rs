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

mod classify;
mod walk;

pub use classify::{glob, reverts_a_revert};
pub use walk::{Walk, WalkedCommit, SKEW_RUN};

use crate::model::{Model, Service, DEFAULT_TOIL_WINDOW};
use crate::repo::git::{GitError, Repo};
use crate::repo::manifests::Inventory;
use classify::{classify, images_of, reverted_commit};
use git2::Oid;
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
        // HEAD dated more than a day after this machine's clock: the window counted back from it would leave the
        // real history out. The figures are marked incomplete (unknown to the gate) rather than computed.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(i64::MAX, |d| d.as_secs() as i64);
        let future_head = walk.head_time > now.saturating_add(86_400);
        out.push(summarise(
            w,
            touches,
            walk.truncated_before(since) || future_head,
        ));
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
