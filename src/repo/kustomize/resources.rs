//! Building one kustomization: its resources (files, and directories holding kustomizations, recursively),
//! then its components, then its patches and transformers in Kustomize's order. Recursion is bounded and a
//! kustomization that includes itself (directly or through others) is reported, not followed.

use super::load::{Kust, NAMES};
use super::tree::{resolve, Entry, Tree};
use super::{images, transform, Issue, Res};
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

    pub(super) fn issue(&mut self, span: Span, message: impl Into<String>) {
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
}
