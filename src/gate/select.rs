//! Which services a gate run is about, and where their workloads are: the services a change touches (their
//! policy file, their workload's manifest, a workload a Rollout references, the Kustomize tree that renders
//! them), and the refusals when a change cannot be matched (a changed manifest that cannot be read, a changed
//! file outside PATH that defines a service's workload).

use super::run::RunError;
use crate::repo::git::{Changes, Repo};
use crate::repo::k8s::Object;
use crate::repo::template::{pod_template, Template, WorkloadKey};
use crate::Analysis;
use std::path::{Path, PathBuf};

/// Largest changed file outside PATH read to see whether it defines a service's workload.
const MAX_OUTSIDE_BYTES: u64 = 4 << 20;

/// Service `i`'s workload object in the inventory, with its key.
pub(super) fn workload_object(analysis: &Analysis, i: usize) -> Option<(&Object, WorkloadKey)> {
    let w = analysis.model.services[i].workload.as_ref()?;
    let ns = w
        .value
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    let o = analysis
        .inventory
        .as_ref()?
        .in_namespace(&w.value.kind, &ns)
        .find(|o| o.name == w.value.name)?;
    Some((o, (w.value.kind.clone(), ns, w.value.name.clone())))
}

/// Where service `i`'s workload is defined.
pub(super) struct Workload {
    /// The manifest file (repository-relative).
    pub path: PathBuf,
    pub key: WorkloadKey,
    /// Rendered by Kustomize: the file holds a base, not what is applied.
    pub rendered: bool,
    /// For a rendered workload: the kustomization directory that renders it (repository-relative).
    pub root: Option<PathBuf>,
}

/// Service `i`'s workload, when the manifests hold it and the repository contains its file.
pub(super) fn workload_of(analysis: &Analysis, i: usize, repo: Option<&Repo>) -> Option<Workload> {
    let (o, key) = workload_object(analysis, i)?;
    let path = repo?.relative(&analysis.workspace.sources.get(o.file).path)?;
    let root = o.root.as_ref().and_then(|r| repo?.relative(r));
    Some(Workload {
        path,
        key,
        rendered: o.rendered,
        root,
    })
}

/// A regular file of at most [`MAX_OUTSIDE_BYTES`], as text (symbolic links are not followed).
fn read_small(path: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_OUTSIDE_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// The directories (repository-relative) that hold a kustomization under PATH: a change anywhere below one
/// may change what a rendered workload is.
fn kustomize_dirs(analysis: &Analysis, repo: &Repo) -> Vec<PathBuf> {
    analysis
        .workspace
        .sources
        .files()
        .filter(|(_, f)| {
            f.path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| {
                    matches!(
                        n,
                        "kustomization.yaml" | "kustomization.yml" | "Kustomization"
                    )
                })
        })
        .filter_map(|(_, f)| repo.relative(f.path.parent()?))
        .collect()
}

/// The services whose policy file or workload manifest the change touches. An empty selection is explained;
/// a changed file outside PATH that defines a service's workload is an error (the change cannot be matched).
pub(super) fn touched(
    analysis: &Analysis,
    repo: &Repo,
    changes: &Changes,
    path: &Path,
    notes: &mut Vec<String>,
) -> Result<Vec<usize>, RunError> {
    let model = &analysis.model;
    let kustomize = kustomize_dirs(analysis, repo);
    let mut selected = Vec::new();
    for (i, s) in model.services.iter().enumerate() {
        let policy = repo.relative(&analysis.workspace.sources.get(s.name.span.file).path);
        let workload = workload_of(analysis, i, Some(repo));
        let rendered = workload.as_ref().is_some_and(|w| w.rendered);
        let manifest = workload.map(|w| w.path);
        let referenced = referenced_file(analysis, i, repo);
        // A rendered workload changes with any file of a Kustomize tree (an overlay's `images:`, a patch).
        let in_kustomize_tree = rendered
            && changes
                .files
                .keys()
                .any(|f| kustomize.iter().any(|d| f.starts_with(d)));
        if in_kustomize_tree
            || [policy, manifest, referenced]
                .into_iter()
                .flatten()
                .any(|p| changes.files.contains_key(&p))
        {
            selected.push(i);
        }
    }
    // A service's workload defined (also) in a changed file that PATH does not cover: what the change does to
    // it cannot be seen from here.
    let root = repo.relative(path).unwrap_or_default();
    for file in changes.files.keys() {
        let yaml = file.extension().is_some_and(|x| x == "yaml" || x == "yml");
        if !yaml || file.starts_with(&root) {
            continue;
        }
        let Some(text) = read_small(&repo.workdir().join(file)) else {
            continue;
        };
        for s in &model.services {
            let Some(w) = &s.workload else { continue };
            let key = (
                w.value.kind.clone(),
                w.value
                    .namespace
                    .clone()
                    .unwrap_or_else(|| "default".into()),
                w.value.name.clone(),
            );
            if pod_template(&text, &key) != Template::Absent {
                return Err(RunError(format!(
                    "the change touches {}, which defines the workload of service `{}` outside {}: run the gate \
                     on a PATH that contains it",
                    file.display(),
                    s.name.value,
                    path.display()
                )));
            }
        }
    }
    // A changed manifest under PATH that could not be read as Kubernetes objects (not UTF-8, not YAML, a
    // template) may hold a service's workload that the inventory therefore lacks: no verdict.
    let unmatched: Vec<&str> = model
        .services
        .iter()
        .enumerate()
        .filter(|(i, s)| s.workload.is_some() && workload_of(analysis, *i, Some(repo)).is_none())
        .map(|(_, s)| s.name.value.as_str())
        .collect();
    if !unmatched.is_empty() {
        for skipped in analysis.inventory.iter().flat_map(|inv| &inv.skipped) {
            let file = &analysis.workspace.sources.get(skipped.span.file).path;
            let Some(rel) = repo.relative(file) else {
                continue;
            };
            if changes.files.contains_key(&rel) {
                return Err(RunError(format!(
                    "the change touches {}, which cannot be read ({}), and the workload of {} is not found \
                     elsewhere: what the change deploys cannot be told",
                    rel.display(),
                    skipped.reason,
                    unmatched.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                )));
            }
        }
    }
    if selected.is_empty() {
        let mut files: Vec<String> = changes
            .files
            .keys()
            .map(|f| f.display().to_string())
            .collect();
        files.sort();
        let shown = files
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        notes.push(format!(
            "the change touches no service's policy or workload manifest ({} file(s) changed: {shown}{}); \
             looked at {} service(s) under {}",
            files.len(),
            if files.len() > 20 { ", …" } else { "" },
            model.services.len(),
            path.display()
        ));
    }
    Ok(selected)
}

/// The file of the workload that service `i`'s workload points at with `spec.workloadRef` (an Argo Rollout
/// running a Deployment's template): changing it changes what the service deploys.
fn referenced_file(analysis: &Analysis, i: usize, repo: &Repo) -> Option<PathBuf> {
    let (o, (_, ns, _)) = workload_object(analysis, i)?;
    let r = o.value.get("spec")?.get("workloadRef")?;
    let kind = r.get("kind")?.as_str()?;
    let name = r.get("name")?.as_str()?;
    let target = analysis
        .inventory
        .as_ref()?
        .in_namespace(kind, &ns)
        .find(|t| t.name == name)?;
    repo.relative(&analysis.workspace.sources.get(target.file).path)
}
