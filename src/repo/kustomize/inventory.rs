//! Kustomize in the manifest inventory: every kustomization no other kustomization includes is a root and
//! is rendered; the files it is built from (resources, patches, components) are then not objects of their
//! own, and the rendered objects take their place. Patch files are never objects.

use super::load::{Kust, NAMES};
use super::tree::{resolve, WorkTree};
use super::Renderer;
use crate::repo::manifests::{Inventory, Skipped};
use crate::source::{SourceMap, Span};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Renders the kustomizations among `paths` (files under `root`) into `inv`.
pub fn render(root: &Path, paths: &[PathBuf], inv: &mut Inventory, sources: &mut SourceMap) {
    let dirs: Vec<PathBuf> = paths
        .iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| NAMES.contains(&n))
        })
        .filter_map(|p| Some(p.strip_prefix(root).ok()?.parent()?.to_path_buf()))
        .collect();
    if dirs.is_empty() {
        return;
    }
    let tree = match WorkTree::new(root) {
        Ok(t) => t,
        Err(_) => return,
    };
    let mut r = Renderer::new(&tree, sources);
    let mut parsed = Vec::new();
    for d in &dirs {
        let Ok(Some(p)) = r.kustomization_in(d) else {
            continue;
        };
        let Ok((id, text)) = r.file(&p) else { continue };
        parsed.push((d.clone(), id, Kust::new(d.clone(), id, text).ok()));
    }
    let known: HashSet<&PathBuf> = dirs.iter().collect();
    let mut included = HashSet::new();
    for k in parsed.iter().filter_map(|(_, _, k)| k.as_ref()) {
        for key in ["resources", "bases", "components"] {
            for (_, e) in k.list(key) {
                if let Ok(p) = resolve(&k.dir, &e) {
                    if known.contains(&p) {
                        included.insert(p);
                    }
                }
            }
        }
    }
    let mut rendered = Vec::new();
    for (d, id, k) in &parsed {
        let component = k.as_ref().is_some_and(Kust::is_component);
        if included.contains(d) || component {
            continue;
        }
        rendered.extend(
            r.render(d, Vec::new(), Span::new(*id, 0, 0), false)
                .into_iter()
                .map(|res| (d.clone(), res)),
        );
    }
    let issues = std::mem::take(&mut r.issues);
    let gone: HashSet<_> = r.used.iter().chain(&r.patches).copied().collect();
    let kusts = std::mem::take(&mut r.kustomizations);
    drop(r);
    inv.objects.retain(|o| !gone.contains(&o.file));
    inv.skipped
        .retain(|s| !gone.contains(&s.span.file) && !kusts.contains(&s.span.file));
    for (dir, res) in rendered {
        let header = res.header();
        match res.into_object() {
            Ok(mut o) => {
                o.root = Some(root.join(dir));
                inv.objects.push(o)
            }
            Err(reason) => inv.skipped.push(Skipped {
                span: header,
                reason,
            }),
        }
    }
    inv.unrendered.extend(issues.into_iter().map(|i| Skipped {
        span: i.span,
        reason: i.message,
    }));
    inv.index();
}
