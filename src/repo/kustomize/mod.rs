//! Kustomize rendered natively (no kustomize binary is needed): resources, components, patches and the
//! common transformers, over a [`tree::Tree`] so the same renderer reads the working tree or a git tree at a
//! commit. Rendered objects keep their base file for positions, plus the line of the patch or
//! kustomization field that changed each field, so findings point at the YAML a person must edit.
//! What is not rendered is an [`Issue`] naming the feature and the file. See docs/manifests.md.

pub mod at_commit;
mod images;
pub mod inventory;
pub mod load;
mod patch_json6902;
mod patch_strategic;
mod patches;
pub mod resources;
mod transform;
pub mod tree;

use crate::repo::k8s::{self, Document, Object};
use crate::source::{FileId, Span};
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

pub use resources::Renderer;

/// Something the renderer could not render faithfully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub span: Span,
    pub message: String,
}

/// One resource being rendered.
#[derive(Debug, Clone)]
pub struct Res {
    pub value: Value,
    pub doc: Arc<Document>,
    pub file: FileId,
    pub prefix: String,
    /// Field path → where the value now there was written (patches and transformers).
    pub origins: BTreeMap<String, Span>,
    /// The name in the base, before prefixes and suffixes.
    pub orig_name: String,
}

/// Whether `path` is `ancestor` or inside it.
pub fn within(path: &str, ancestor: &str) -> bool {
    path == ancestor
        || path
            .strip_prefix(ancestor)
            .is_some_and(|r| r.starts_with(['.', '[']))
}

fn text<'v>(v: &'v Value, path: &[&str]) -> &'v str {
    let mut cur = v;
    for p in path {
        match cur.get(*p) {
            Some(c) => cur = c,
            None => return "",
        }
    }
    cur.as_str().unwrap_or("")
}

impl Res {
    pub fn new(value: Value, doc: Arc<Document>, file: FileId, prefix: String) -> Res {
        let orig_name = text(&value, &["metadata", "name"]).to_string();
        Res {
            value,
            doc,
            file,
            prefix,
            origins: BTreeMap::new(),
            orig_name,
        }
    }

    pub fn kind(&self) -> &str {
        text(&self.value, &["kind"])
    }

    pub fn name(&self) -> &str {
        text(&self.value, &["metadata", "name"])
    }

    pub fn namespace(&self) -> &str {
        text(&self.value, &["metadata", "namespace"])
    }

    pub fn matches_name(&self, n: &str) -> bool {
        self.name() == n || self.orig_name == n
    }

    pub fn describe(&self) -> String {
        format!("{} {}", self.kind(), self.name())
    }

    /// Where its `kind` is written.
    pub fn header(&self) -> Span {
        let (at, len) = self
            .doc
            .keys()
            .find(&format!("{}kind", self.prefix))
            .unwrap_or((0, 0));
        Span::new(self.file, self.doc.start + at, self.doc.start + at + len)
    }

    /// A strategic merge patch without `target` applies to the object of its kind and name.
    fn patched_by(&self, patch: &Value) -> bool {
        let kind = text(patch, &["kind"]);
        let name = text(patch, &["metadata", "name"]);
        let ns = text(patch, &["metadata", "namespace"]);
        kind == self.kind() && self.matches_name(name) && (ns.is_empty() || ns == self.namespace())
    }

    /// A `target:` selector: kind, name (a regular expression, anchored), namespace, labelSelector
    /// (`a=b,c=d`), group and version.
    fn selected_by(&self, t: &Value) -> bool {
        let field = |k: &str| t.get(k).and_then(Value::as_str);
        let api = text(&self.value, &["apiVersion"]);
        let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
        let name_ok = field("name").is_none_or(|n| {
            regex::Regex::new(&format!("^(?:{n})$")).map_or(self.matches_name(n), |re| {
                re.is_match(self.name()) || re.is_match(&self.orig_name)
            })
        });
        let labels = k8s::string_map(
            self.value
                .get("metadata")
                .and_then(|m| m.get("labels"))
                .unwrap_or(&Value::Null),
        );
        let labels_ok = field("labelSelector").is_none_or(|sel| {
            sel.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .all(|kv| match kv.split_once('=') {
                    Some((k, v)) => {
                        labels.get(k.trim()).map(String::as_str)
                            == Some(v.trim_start_matches('=').trim())
                    }
                    None => labels.contains_key(kv),
                })
        });
        field("kind").is_none_or(|k| k == self.kind())
            && field("namespace").is_none_or(|n| n == self.namespace())
            && field("group").is_none_or(|g| g == group)
            && field("version").is_none_or(|v| v == version)
            && name_ok
            && labels_ok
    }

    /// The object the checks read, or why there is none.
    pub fn into_object(self) -> Result<Object, String> {
        let mut o = k8s::object(self.value, &self.doc)?;
        o.file = self.file;
        o.prefix = self.prefix;
        o.rendered = true;
        if !self.origins.is_empty() {
            o.origins = Some(Arc::new(self.origins));
        }
        Ok(o)
    }
}

/// Records where a patch wrote each field it changed.
pub trait Origin {
    /// `at` (path in the object) was written at `pat` (path in the patch document).
    fn set(&mut self, at: &str, pat: &str);
}

/// Positions of a patch document's keys, recorded into a resource's origins.
pub struct PatchOrigin<'a> {
    pub origins: &'a mut BTreeMap<String, Span>,
    pub doc: &'a Document,
    pub file: FileId,
    /// Inline patches and keys the scanner cannot place point here.
    pub fallback: Span,
}

impl Origin for PatchOrigin<'_> {
    fn set(&mut self, at: &str, pat: &str) {
        let span = if self.doc.end > self.doc.start {
            self.doc.keys().find(pat).map_or(self.fallback, |(o, l)| {
                Span::new(self.file, self.doc.start + o, self.doc.start + o + l)
            })
        } else {
            self.fallback
        };
        self.origins.retain(|p, _| !within(p, at));
        self.origins.insert(at.to_string(), span);
    }
}
