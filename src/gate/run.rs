//! `slogate gate` from sound policies to a verdict: open the metrics source, choose the services (named, the
//! ones a change touches, or every gated one), decide what the change is for each (see [`super::change`]),
//! gather the history facts, evaluate, and save what was measured when asked.
//!
//! Every path to a verdict is earned by data: git failures, an unreadable workload, a selection that cannot be
//! matched are errors (exit 2), unless `--on-missing` says missing facts may be treated as a deploy.

use super::change::classify;
use super::metrics::{Metrics, MetricsError, Snapshot};
use super::prometheus::Prometheus;
use super::select::{touched, workload_of};
use super::{Change, Context, OnMissing, Report};
use crate::repo::git::{Compare, Repo};
use crate::Analysis;
use std::path::{Path, PathBuf};

/// Where the figures come from.
pub enum Source {
    Snapshot(PathBuf),
    Prometheus {
        /// How to reach the API (URL, TLS, credentials, tenant, timeout).
        connection: Box<crate::remote::Options>,
        at: Option<String>,
        save: Option<PathBuf>,
    },
}

/// Which services to gate.
pub enum Selection<'a> {
    Named(&'a [String]),
    /// The services the change from the merge-base of this revision to HEAD touches.
    Change(&'a str),
    /// Every service with a gate.
    AllGated,
}

/// What the gate was asked.
pub struct Request<'a> {
    pub path: &'a Path,
    pub selection: Selection<'a>,
    pub source: Source,
    pub on_missing: OnMissing,
    /// Evaluate every service as a deploy whatever the change is (a what-if; never weaker than the content:
    /// nothing is skipped).
    pub as_deploy: bool,
}

/// Why no verdict can be given (exit 2); `notes` go to stderr before it.
#[derive(Debug)]
pub struct RunError(pub String);

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<MetricsError> for RunError {
    fn from(e: MetricsError) -> RunError {
        RunError(format!("cannot evaluate: {e}"))
    }
}

impl From<crate::repo::git::GitError> for RunError {
    fn from(e: crate::repo::git::GitError) -> RunError {
        RunError(e.to_string())
    }
}

/// A verdict and what the run wants said on stderr (notes, warnings).
pub struct Outcome {
    pub report: Report,
    pub notes: Vec<String>,
}

/// Gates the selected services of an analysed, sound policy set (its inventory loaded).
pub fn run(analysis: &Analysis, req: Request<'_>) -> Result<Outcome, RunError> {
    let mut notes = Vec::new();
    let (mut snapshot, mut prometheus) = (None, None);
    match &req.source {
        Source::Snapshot(file) => snapshot = Some(Snapshot::load(file)?),
        Source::Prometheus { connection, at, .. } => {
            prometheus = Some(open_prometheus(connection, at.clone(), &mut notes)?);
        }
    }
    let model = &analysis.model;
    let repo = Repo::discover(req.path).ok();
    let head = repo.as_ref().and_then(|r| {
        r.git()
            .head()
            .ok()?
            .peel_to_commit()
            .ok()
            .map(|c| (c.id(), c.time().seconds()))
    });
    // The range the change spans: merge-base..HEAD for `--base`, else HEAD~1..HEAD.
    let mut base = None;
    let selected: Vec<usize> = match req.selection {
        Selection::Named(names) => names
            .iter()
            .map(|n| {
                model.service_by_name(n).map(|id| id.0).ok_or_else(|| {
                    let hint = crate::diag::did_you_mean(
                        n,
                        model.services.iter().map(|s| s.name.value.as_str()),
                    );
                    RunError(format!(
                        "unknown service `{n}`{}",
                        hint.map(|h| format!("\nhelp: {h}")).unwrap_or_default()
                    ))
                })
            })
            .collect::<Result<_, _>>()?,
        Selection::AllGated => {
            let all: Vec<usize> = (0..model.services.len())
                .filter(|&i| !model.services[i].gates.is_empty())
                .collect();
            if all.is_empty() {
                return Err(RunError(
                    "no service has a `gate` block: nothing to decide".into(),
                ));
            }
            all
        }
        Selection::Change(rev) => {
            let repo = repo.as_ref().ok_or_else(|| {
                RunError(format!(
                    "`--base` needs a git repository at or above {}",
                    req.path.display()
                ))
            })?;
            let changes = repo.changes(&Compare::Base(rev.to_string()))?;
            notes.push(format!(
                "compared HEAD with {} (the merge-base with `{}`)",
                changes.base_label, changes.resolved
            ));
            base = changes.base;
            touched(analysis, repo, &changes, req.path, &mut notes)?
        }
    };
    if !matches!(req.selection, Selection::Change(_)) {
        base = head.and_then(|(h, _)| repo.as_ref()?.commit(h).ok()?.parent_id(0).ok());
    }
    // What the change is, service by service.
    let mut gated = Vec::new();
    for &i in &selected {
        let s = &model.services[i];
        let (change, why) = match (repo.as_ref(), head, workload_of(analysis, i, repo.as_ref())) {
            _ if req.as_deploy => (Change::Deploy, "evaluated as a deploy (`--as-deploy`)".to_string()),
            (Some(repo), Some((h, _)), Some(w)) => match classify_workload(repo, base, h, &w) {
                Ok(c) => (c.change, c.why),
                Err(e) if req.on_missing == OnMissing::Deny => {
                    return Err(RunError(format!(
                        "cannot tell what the change to `{}` is: {e}\n(`--on-missing warn` treats it as a deploy)",
                        s.name.value
                    )))
                }
                Err(e) => (Change::Deploy, format!("treated as a deploy: {e}")),
            },
            (None, _, _) | (_, None, _) => (Change::Deploy, "no git history: treated as a deploy".to_string()),
            (_, _, None) => (Change::Deploy, "no workload in the manifests: treated as a deploy".to_string()),
        };
        gated.push((i, change, why));
    }
    // History facts, for toil, automation, change failure and deploy-count requirements. A history that
    // cannot be read, or is cut short (a shallow clone), gives no figures: those requirements are unknown.
    let facts = match repo.as_ref() {
        Some(r) => match crate::repo::history::facts(
            r,
            model,
            analysis.inventory.as_ref(),
            &analysis.workspace.sources,
        ) {
            // Deploys of a Kustomize-rendered workload are not seen in history yet (an overlay bump is not read
            // as one): its figures would undercount failures, so they are left out (unknown).
            Ok(f) => Some(
                f.into_iter()
                    .filter(|f| !f.truncated && !rendered_service(analysis, &f.service))
                    .collect::<Vec<_>>(),
            ),
            Err(e) => {
                notes.push(format!(
                    "history cannot be read, its figures are unknown: {e}"
                ));
                None
            }
        },
        None => None,
    };
    let ctx = Context {
        model,
        facts: facts.as_deref(),
        head_time: head.map(|h| h.1),
        on_missing: req.on_missing,
    };
    let metrics: &mut dyn Metrics = match (&mut snapshot, &mut prometheus) {
        (Some(s), _) => s,
        (None, Some(p)) => p,
        (None, None) => unreachable!("one source is opened above"),
    };
    let mut report = super::evaluate(&ctx, &gated, metrics)?;
    report.head = head.map(|h| h.0.to_string());
    report.base = base.map(|b| b.to_string());
    report.policy_digest = policy_digest(analysis);
    if let (
        Some(p),
        Source::Prometheus {
            save: Some(file), ..
        },
    ) = (&prometheus, &req.source)
    {
        crate::format::write_atomically(file, &p.snapshot_json(&gated, model, facts.as_deref()))
            .map_err(|e| RunError(format!("{}: {e}", file.display())))?;
    }
    Ok(Outcome { report, notes })
}

/// Whether the named service's workload is rendered by Kustomize.
fn rendered_service(analysis: &Analysis, name: &str) -> bool {
    analysis
        .model
        .service_by_name(name)
        .and_then(|id| super::select::workload_object(analysis, id.0))
        .is_some_and(|(o, _)| o.rendered)
}

/// What the change is for a workload: from its manifest file, or for a workload rendered by Kustomize from
/// the render of its kustomization at each commit (an overlay's `images:` bump or a patch changes what is
/// deployed without touching the base file).
fn classify_workload(
    repo: &Repo,
    base: Option<git2::Oid>,
    head: git2::Oid,
    w: &super::select::Workload,
) -> Result<super::Classified, String> {
    let src = match (w.rendered, &w.root) {
        (false, _) => super::change::Source::File(&w.path),
        (true, Some(root)) => super::change::Source::Rendered(root),
        (true, None) => {
            return Err(format!(
                "workload `{}/{}/{}` is rendered by Kustomize outside the repository",
                w.key.0, w.key.1, w.key.2
            ))
        }
    };
    classify(repo, base, head, src, &w.key).map_err(|e| e.to_string())
}

fn open_prometheus(
    connection: &crate::remote::Options,
    at: Option<String>,
    notes: &mut Vec<String>,
) -> Result<Prometheus, RunError> {
    let client = crate::remote::Client::open(connection, notes).map_err(|e| RunError(e.0))?;
    // One instant for every query, recorded with the figures: a saved snapshot replays the same verdict.
    let at = at.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .to_string()
    });
    Ok(Prometheus::new(client, Some(at)))
}

/// A digest of the policy files read (their paths and contents, in load order), as a git blob id.
fn policy_digest(analysis: &Analysis) -> String {
    let mut all = Vec::new();
    for id in analysis.workspace.user_files() {
        let f = analysis.workspace.sources.get(id);
        all.extend_from_slice(f.name.as_bytes());
        all.push(0);
        all.extend_from_slice(f.text.as_bytes());
        all.push(0);
    }
    git2::Oid::hash_object(git2::ObjectType::Blob, &all)
        .map_or_else(|_| String::new(), |o| o.to_string())
}
