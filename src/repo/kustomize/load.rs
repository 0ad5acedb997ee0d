//! One kustomization file: found by its conventional names in a directory, parsed, and checked for
//! features slogate does not render. Those are reported by name with the file, never silently ignored,
//! because each could change what the checks read.

use crate::repo::k8s::Document;
use crate::source::{FileId, Span};
use serde_yaml::Value;
use std::path::PathBuf;
use std::sync::Arc;

/// The file names Kustomize looks for, in its order.
pub const NAMES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Fields rendered (or without effect on what the checks read).
const SUPPORTED: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "bases",
    "components",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "images",
    "replicas",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "buildMetadata",
    "sortOptions",
    "generatorOptions",
    // ConfigMaps and Secrets are not read by any check; their generated name suffixes do not change them.
    "configMapGenerator",
    "secretGenerator",
];

/// A parsed kustomization.
pub struct Kust {
    pub dir: PathBuf,
    pub file: FileId,
    pub value: Value,
    pub doc: Arc<Document>,
}

impl Kust {
    pub fn new(dir: PathBuf, file: FileId, text: Arc<str>) -> Result<Kust, (usize, String)> {
        let value: Value = serde_yaml::from_str(&text).map_err(|e| {
            (
                e.location().map_or(0, |l| l.index()),
                format!(
                    "not valid YAML: {}",
                    e.to_string().lines().next().unwrap_or_default()
                ),
            )
        })?;
        if !value.is_mapping() {
            return Err((0, "a kustomization must be a mapping".into()));
        }
        let len = text.len();
        Ok(Kust {
            dir,
            file,
            value,
            doc: Arc::new(Document::new(text, 0, len)),
        })
    }

    pub fn is_component(&self) -> bool {
        self.value.get("kind").and_then(Value::as_str) == Some("Component")
    }

    /// Where `path` is written (or its nearest ancestor; else the file's start).
    pub fn span(&self, path: &str) -> Span {
        if let Some(s) = self.item_span(path) {
            return s;
        }
        let (at, len) = self.doc.keys().find(path).unwrap_or((0, 0));
        Span::new(self.file, at, at + len)
    }

    /// `key[i]` of a top-level list: the line of its `- ` item (the key index knows keys, not items).
    fn item_span(&self, path: &str) -> Option<Span> {
        let (key, rest) = path.split_once('[')?;
        let i: usize = rest.strip_suffix(']')?.parse().ok()?;
        let (key_at, _) = self.doc.keys().get(key)?;
        let text = &self.doc.text[key_at..];
        let mut off = key_at;
        let mut indent = None;
        let mut n = 0;
        for (li, line) in text.split_inclusive('\n').enumerate() {
            let here = off;
            off += line.len();
            let content = line.trim_start_matches(' ');
            let col = line.len() - content.len();
            if li == 0 || content.trim().is_empty() || content.starts_with('#') {
                continue;
            }
            if !content.starts_with('-') {
                if col == 0 {
                    return None;
                }
                continue;
            }
            let want = *indent.get_or_insert(col);
            if col != want {
                continue;
            }
            if n == i {
                let end = here + line.trim_end().len();
                return Some(Span::new(self.file, here + col, end));
            }
            n += 1;
        }
        None
    }

    /// The string entries of a list field, with their indices.
    pub fn list(&self, key: &str) -> Vec<(usize, String)> {
        self.value
            .get(key)
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, v)| Some((i, v.as_str()?.to_string())))
            .collect()
    }

    /// Fields that would change the objects but are not rendered.
    pub fn unsupported(&self) -> Vec<(Span, String)> {
        let mut out = Vec::new();
        for (k, _) in self.value.as_mapping().into_iter().flatten() {
            let Some(k) = k.as_str() else { continue };
            if !SUPPORTED.contains(&k) {
                let why = match k {
                    "helmCharts" | "helmGlobals" => "Helm charts are not inflated: render them with `helm template` and check the output with `--manifests`",
                    "replacements" | "vars" => "values copied between objects are not rendered",
                    "transformers" | "generators" | "validators" => "plugins are not run",
                    _ => "this field is not rendered",
                };
                out.push((self.span(k), format!("kustomization field `{k}` in {}: {why}; the checks read the objects without it", self.dir.display())));
            }
        }
        out
    }
}
