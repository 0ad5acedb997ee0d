//! Building one kustomization: its resources (files, and directories holding kustomizations, recursively),
//! then its components, then its patches and transformers in Kustomize's order. Recursion is bounded and a
//! kustomization that includes itself (directly or through others) is reported, not followed.

use super::load::{Kust, NAMES};
use super::tree::{resolve, Entry, Tree};
use super::{images, patch_json6902, patch_strategic, transform, Issue, PatchOrigin, Res};
use crate::repo::k8s::Document;
use crate::repo::manifests::documents;
use crate::source::{FileId, SourceFile, SourceMap, Span};
use serde_yaml::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Deepest chain of kustomizations followed.
pub const MAX_DEPTH: usize = 32;

/// Renders kustomizations from a [`Tree`], adding every file it reads to the source map.
pub struct Renderer<'a> {
    tree: &'a dyn Tree,
    sources: &'a mut SourceMap,
    known: HashMap<PathBuf, FileId>,
    stack: Vec<PathBuf>,
    pub issues: Vec<Issue>,
    /// Resource files rendered into objects (not objects on their own any more).
    pub used: HashSet<FileId>,
    /// Patch files (never objects).
    pub patches: HashSet<FileId>,
    /// Kustomization files read.
    pub kustomizations: HashSet<FileId>,
}

impl<'a> Renderer<'a> {
    pub fn new(tree: &'a dyn Tree, sources: &'a mut SourceMap) -> Renderer<'a> {
        let known = sources
            .files()
            .map(|(id, f)| (f.path.clone(), id))
            .collect();
        Renderer {
            tree,
            sources,
            known,
            stack: Vec::new(),
            issues: Vec::new(),
            used: HashSet::new(),
            patches: HashSet::new(),
            kustomizations: HashSet::new(),
        }
    }

    fn issue(&mut self, span: Span, message: impl Into<String>) {
        self.issues.push(Issue {
            span,
            message: message.into(),
        });
    }

    /// The file at `rel`, read once.
    pub fn file(&mut self, rel: &Path) -> Result<(FileId, Arc<str>), String> {
        let shown = self.tree.display(rel);
        if let Some(&id) = self.known.get(&shown) {
            return Ok((id, self.sources.get(id).text.clone()));
        }
        let text: Arc<str> = self.tree.read(rel)?.into();
        let id = self.sources.add(SourceFile::new(
            shown.display().to_string(),
            shown.clone(),
            text.clone(),
        ));
        self.known.insert(shown, id);
        Ok((id, text))
    }

    /// The kustomization file in `dir`, if any.
    pub fn kustomization_in(&self, dir: &Path) -> Result<Option<PathBuf>, String> {
        for n in NAMES {
            let p = dir.join(n);
            if self.tree.entry(&p)? == Entry::File {
                return Ok(Some(p));
            }
        }
        Ok(None)
    }

    /// Renders the kustomization in `dir` onto `acc` (empty except for components). `from` is the line
    /// that referenced it.
    pub fn render(
        &mut self,
        dir: &Path,
        mut acc: Vec<Res>,
        from: Span,
        component: bool,
    ) -> Vec<Res> {
        if self.stack.iter().any(|d| d == dir) {
            let chain: Vec<String> = self
                .stack
                .iter()
                .chain([&dir.to_path_buf()])
                .map(|d| d.display().to_string())
                .collect();
            self.issue(
                from,
                format!(
                    "kustomizations include each other in a cycle: {}",
                    chain.join(" → ")
                ),
            );
            return acc;
        }
        if self.stack.len() >= MAX_DEPTH {
            self.issue(
                from,
                format!("kustomizations nested deeper than {MAX_DEPTH} levels are not followed"),
            );
            return acc;
        }
        let k = match self.kustomization_in(dir) {
            Ok(Some(p)) => match self.file(&p) {
                Ok((id, text)) => match Kust::new(dir.to_path_buf(), id, text) {
                    Ok(k) => k,
                    Err((at, e)) => {
                        self.issue(
                            Span::new(id, at, at),
                            format!("kustomization not rendered: {e}"),
                        );
                        return acc;
                    }
                },
                Err(e) => {
                    self.issue(from, e);
                    return acc;
                }
            },
            Ok(None) => {
                self.issue(
                    from,
                    format!(
                        "`{}` has no kustomization.yaml: Kustomize refuses directories without one",
                        dir.display()
                    ),
                );
                return acc;
            }
            Err(e) => {
                self.issue(from, e);
                return acc;
            }
        };
        self.kustomizations.insert(k.file);
        if k.is_component() != component {
            let what = if component {
                "a component must have `kind: Component`"
            } else {
                "a Component can only be listed under `components:`"
            };
            self.issue(k.span("kind"), what);
        }
        for (span, msg) in k.unsupported() {
            self.issue(span, msg);
        }
        self.stack.push(dir.to_path_buf());
        let mut own = Vec::new();
        for key in ["resources", "bases"] {
            for (i, r) in k.list(key) {
                let span = k.span(&format!("{key}[{i}]"));
                self.resource(&k, &r, span, &mut own);
            }
        }
        acc.extend(own);
        self.duplicates(&acc, &k);
        for (i, c) in k.list("components") {
            let span = k.span(&format!("components[{i}]"));
            match resolve(&k.dir, &c) {
                Ok(d) => acc = self.render(&d, acc, span, true),
                Err(e) => self.issue(span, e),
            }
        }
        self.patches_smp(&k, &mut acc);
        self.patches(&k, &mut acc);
        transform::namespace(&k, &mut acc);
        transform::prefix_suffix(&k, &mut acc);
        transform::labels(&k, &mut acc);
        transform::annotations(&k, &mut acc);
        self.patches_json(&k, &mut acc);
        transform::replicas(&k, &mut acc);
        images::apply(&k, &mut acc);
        self.stack.pop();
        acc
    }

    fn resource(&mut self, k: &Kust, r: &str, span: Span, out: &mut Vec<Res>) {
        let path = match resolve(&k.dir, r) {
            Ok(p) => p,
            Err(e) => return self.issue(span, e),
        };
        match self.tree.entry(&path) {
            Ok(Entry::Dir) => {
                let objs = self.render(&path, Vec::new(), span, false);
                out.extend(objs);
            }
            Ok(Entry::File) => match self.file(&path) {
                Ok((id, text)) => {
                    self.used.insert(id);
                    out.extend(self.parse_objects(id, &text));
                }
                Err(e) => self.issue(span, e),
            },
            Ok(Entry::Missing) => self.issue(span, format!("`{r}` does not exist")),
            Err(e) => self.issue(span, e),
        }
    }

    /// The objects of a resource file (`List` items expanded).
    fn parse_objects(&mut self, id: FileId, text: &Arc<str>) -> Vec<Res> {
        let mut out = Vec::new();
        for (start, end) in documents(text) {
            let v: Value = match serde_yaml::from_str(&text[start..end]) {
                Ok(Value::Null) => continue,
                Ok(v) => v,
                Err(e) => {
                    self.issue(
                        Span::new(id, start, start),
                        format!(
                            "resource not valid YAML: {}",
                            e.to_string().lines().next().unwrap_or_default()
                        ),
                    );
                    continue;
                }
            };
            let doc = Arc::new(Document::new(text.clone(), start, end));
            let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
            if kind.ends_with("List") {
                for (i, item) in v
                    .get("items")
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    out.push(Res::new(
                        item.clone(),
                        doc.clone(),
                        id,
                        format!("items[{i}]."),
                    ));
                }
            } else if v.is_mapping() {
                out.push(Res::new(v, doc, id, String::new()));
            }
        }
        out
    }

    /// Kustomize refuses two resources with one identity; so does slogate, pointing at both.
    fn duplicates(&mut self, acc: &[Res], k: &Kust) {
        let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
        for (i, r) in acc.iter().enumerate() {
            let id = (
                r.kind().to_string(),
                r.namespace().to_string(),
                r.name().to_string(),
            );
            if let Some(&j) = seen.get(&id) {
                let msg = format!(
                    "{} {} is defined twice in {} (also at {})",
                    id.0,
                    id.2,
                    k.dir.display(),
                    self.sources.get(acc[j].file).name
                );
                self.issue(r.header(), msg);
                let msg = format!(
                    "{} {} is defined twice in {} (also at {})",
                    id.0,
                    id.2,
                    k.dir.display(),
                    self.sources.get(r.file).name
                );
                self.issue(acc[j].header(), msg);
            } else {
                seen.insert(id, i);
            }
        }
    }

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

    fn patches_smp(&mut self, k: &Kust, acc: &mut Vec<Res>) {
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

    fn patches(&mut self, k: &Kust, acc: &mut Vec<Res>) {
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

    fn patches_json(&mut self, k: &Kust, acc: &mut Vec<Res>) {
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
