//! The patches of one kustomization, from files or inline: `patchesStrategicMerge`, `patches` (strategic merge
//! or JSON 6902, with or without `target`) and `patchesJson6902`. Patch files are remembered so they are never
//! taken for objects; each patched field records the patch line that wrote it.

use super::load::Kust;
use super::tree::resolve;
use super::{patch_json6902, patch_strategic, PatchOrigin, Renderer, Res};
use crate::repo::k8s::Document;
use crate::repo::manifests::documents;
use crate::source::{FileId, Span};
use serde_yaml::Value;
use std::sync::Arc;

impl Renderer<'_> {
    /// A patch's documents: from a file (`path`) or inline text, with the span of each document's origin.
    fn patch_docs(
        &mut self,
        k: &Kust,
        at: &str,
        entry: &Value,
    ) -> Vec<(Value, Arc<Document>, FileId)> {
        let span = k.span(at);
        let (id, text): (FileId, Arc<str>) = if let Some(p) = entry
            .as_str()
            .filter(|s| !s.contains('\n'))
            .or_else(|| entry.get("path").and_then(Value::as_str))
        {
            let path = match resolve(&k.dir, p) {
                Ok(p) => p,
                Err(e) => {
                    self.issue(span, e);
                    return Vec::new();
                }
            };
            match self.file(&path) {
                Ok((id, t)) => {
                    self.patches.insert(id);
                    (id, t)
                }
                Err(e) => {
                    self.issue(span, e);
                    return Vec::new();
                }
            }
        } else if let Some(t) = entry
            .as_str()
            .or_else(|| entry.get("patch").and_then(Value::as_str))
        {
            // Inline patches point at the kustomization line that holds them.
            let doc = Arc::new(Document::new(Arc::from(""), 0, 0));
            return match serde_yaml::from_str::<Value>(t) {
                Ok(v) => vec![(v, doc, k.file)],
                Err(e) => {
                    self.issue(
                        span,
                        format!(
                            "inline patch not valid YAML: {}",
                            e.to_string().lines().next().unwrap_or_default()
                        ),
                    );
                    Vec::new()
                }
            };
        } else {
            self.issue(span, "a patch needs `path` or `patch`");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (s, e) in documents(&text) {
            match serde_yaml::from_str::<Value>(&text[s..e]) {
                Ok(Value::Null) => {}
                Ok(v) => out.push((v, Arc::new(Document::new(text.clone(), s, e)), id)),
                Err(err) => self.issue(
                    Span::new(id, s, s),
                    format!(
                        "patch not valid YAML: {}",
                        err.to_string().lines().next().unwrap_or_default()
                    ),
                ),
            }
        }
        out
    }

    pub(super) fn patches_smp(&mut self, k: &Kust, acc: &mut Vec<Res>) {
        let entries: Vec<Value> = k
            .value
            .get("patchesStrategicMerge")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        for (i, e) in entries.iter().enumerate() {
            let at = format!("patchesStrategicMerge[{i}]");
            for (v, doc, id) in self.patch_docs(k, &at, e) {
                self.apply_one(k, &at, acc, &v, &doc, id, None);
            }
        }
    }

    pub(super) fn patches(&mut self, k: &Kust, acc: &mut Vec<Res>) {
        let entries: Vec<Value> = k
            .value
            .get("patches")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        for (i, e) in entries.iter().enumerate() {
            let at = format!("patches[{i}]");
            let target = e.get("target");
            for (v, doc, id) in self.patch_docs(k, &at, e) {
                self.apply_one(k, &at, acc, &v, &doc, id, target);
            }
        }
    }

    pub(super) fn patches_json(&mut self, k: &Kust, acc: &mut Vec<Res>) {
        let entries: Vec<Value> = k
            .value
            .get("patchesJson6902")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        for (i, e) in entries.iter().enumerate() {
            let at = format!("patchesJson6902[{i}]");
            let Some(target) = e.get("target") else {
                self.issue(k.span(&at), "a JSON 6902 patch needs a `target`");
                continue;
            };
            for (v, doc, id) in self.patch_docs(k, &at, e) {
                self.apply_one(k, &at, acc, &v, &doc, id, Some(target));
            }
        }
    }

    /// Applies one patch document (strategic merge when a mapping, JSON 6902 when a list).
    #[allow(clippy::too_many_arguments)]
    fn apply_one(
        &mut self,
        k: &Kust,
        at: &str,
        acc: &mut Vec<Res>,
        patch: &Value,
        doc: &Arc<Document>,
        id: FileId,
        target: Option<&Value>,
    ) {
        let fallback = if id == k.file {
            k.span(&format!("{at}.patch"))
        } else {
            Span::new(id, doc.start, doc.start)
        };
        let matched: Vec<usize> = (0..acc.len())
            .filter(|&i| match target {
                Some(t) => acc[i].selected_by(t),
                None => acc[i].patched_by(patch),
            })
            .collect();
        if matched.is_empty() {
            self.issue(
                fallback,
                format!("patch ({at}) matches no resource in {}", k.dir.display()),
            );
            return;
        }
        if patch.is_sequence() {
            let ops = match patch_json6902::parse(patch) {
                Ok(o) => o,
                Err(e) => return self.issue(fallback, e),
            };
            let op_spans = op_spans(doc, id, fallback, ops.len());
            for &i in &matched {
                for (op, span) in ops.iter().zip(&op_spans) {
                    match patch_json6902::apply(&mut acc[i].value, op) {
                        Ok(path) if !path.is_empty() => {
                            acc[i].origins.retain(|p, _| !super::within(p, &path));
                            acc[i].origins.insert(path, *span);
                        }
                        Ok(_) => {}
                        Err(e) => {
                            self.issue(*span, format!("JSON patch on {}: {e}", acc[i].describe()))
                        }
                    }
                }
            }
            return;
        }
        if patch_strategic::directive(patch) == Some("delete") {
            let mut n = 0;
            acc.retain(|_| {
                n += 1;
                !matched.contains(&(n - 1))
            });
            return;
        }
        let mut body = patch.clone();
        if target.is_some() {
            // With a target, the patch's own identity does not rename what it patches.
            if let Some(m) = body.as_mapping_mut() {
                m.remove("metadata").map(|meta| {
                    let mut meta = meta;
                    if let Some(mm) = meta.as_mapping_mut() {
                        mm.remove("name");
                        mm.remove("namespace");
                    }
                    m.insert("metadata".into(), meta)
                });
            }
        }
        for &i in &matched {
            let r = &mut acc[i];
            let mut origin = PatchOrigin {
                origins: &mut r.origins,
                doc,
                file: id,
                fallback,
            };
            patch_strategic::merge(&mut r.value, &body, "", "", &mut origin);
        }
    }
}

/// The span of each top-level `- ` item of a JSON patch document (the kustomization line for inline ones).
fn op_spans(doc: &Document, id: FileId, fallback: Span, n: usize) -> Vec<Span> {
    let text = &doc.text[doc.start..doc.end];
    let mut out = Vec::new();
    let mut off = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with("- ") || line.trim_end() == "-" {
            out.push(Span::new(
                id,
                doc.start + off,
                doc.start + off + line.trim_end().len(),
            ));
        }
        off += line.len();
    }
    out.resize(n.max(out.len()), fallback);
    out
}
