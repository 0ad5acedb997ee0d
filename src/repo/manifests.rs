//! The manifest inventory: every `*.yaml` / `*.yml` under PATH, parsed as multi-document YAML in parallel
//! into Kubernetes objects that know where their fields are. What is not a Kubernetes object — other YAML,
//! kustomization files, Helm templates, unparsable or oversized files — is listed as skipped with a reason,
//! never fatal. Files slogate generated (rule files, PrometheusRule objects, tests) are listed separately for
//! the drift check.

use super::k8s::{Document, Object};
use crate::emit::HEADER;
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::workspace::{find_files, LoadError};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest manifest file read.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// Why a file or document was not indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub span: Span,
    pub reason: String,
}

/// A file slogate generated, found in the repository.
#[derive(Debug, Clone)]
pub struct Generated {
    pub file: FileId,
    pub path: PathBuf,
    pub text: String,
}

/// Everything found in the manifests.
#[derive(Debug, Default)]
pub struct Inventory {
    pub objects: Vec<Object>,
    pub skipped: Vec<Skipped>,
    pub generated: Vec<Generated>,
    pub files: usize,
    /// What Kustomize rendering could not render faithfully.
    pub unrendered: Vec<Skipped>,
    /// Object indices by lower-cased kind, and by (lower-cased kind, namespace).
    by_kind: HashMap<String, Vec<usize>>,
    by_kind_ns: HashMap<(String, String), Vec<usize>>,
}

impl Inventory {
    /// Builds the lookup tables; called once all objects are in.
    pub(crate) fn index(&mut self) {
        self.by_kind.clear();
        self.by_kind_ns.clear();
        for (i, o) in self.objects.iter().enumerate() {
            let kind = o.kind.to_ascii_lowercase();
            self.by_kind.entry(kind.clone()).or_default().push(i);
            self.by_kind_ns
                .entry((kind, o.namespace.clone()))
                .or_default()
                .push(i);
        }
    }

    /// Objects of a kind (case-insensitive).
    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Object> + 'a {
        let ids = self
            .by_kind
            .get(&kind.to_ascii_lowercase())
            .map_or(&[][..], Vec::as_slice);
        ids.iter().map(|&i| &self.objects[i])
    }

    /// Objects of a kind (case-insensitive) in a namespace.
    pub fn in_namespace<'a>(
        &'a self,
        kind: &str,
        namespace: &str,
    ) -> impl Iterator<Item = &'a Object> + 'a {
        let key = (kind.to_ascii_lowercase(), namespace.to_string());
        let ids = self.by_kind_ns.get(&key).map_or(&[][..], Vec::as_slice);
        ids.iter().map(|&i| &self.objects[i])
    }
}

/// One file's results before it has a [`FileId`].
struct FileResult {
    path: PathBuf,
    text: Arc<str>,
    objects: Vec<Object>,
    /// (offset, length, reason)
    skipped: Vec<(usize, usize, String)>,
    generated: bool,
}

/// The YAML files under `root`.
pub fn find_manifests(root: &Path) -> Result<Vec<PathBuf>, LoadError> {
    find_files(root, |p| {
        p.extension().is_some_and(|x| x == "yaml" || x == "yml")
    })
}

/// Reads and indexes the given files under `root`, with the kustomizations among them rendered.
pub fn load_rendered(root: &Path, paths: &[PathBuf], sources: &mut SourceMap) -> Inventory {
    let mut inv = load(paths, sources);
    super::kustomize::inventory::render(root, paths, &mut inv, sources);
    inv
}

/// Reads and indexes the given files as they stand, adding them to `sources`.
pub fn load(paths: &[PathBuf], sources: &mut SourceMap) -> Inventory {
    // Reading, parsing and line tables happen in parallel; ids are assigned in path order afterwards.
    let results: Vec<(SourceFile, FileResult)> = paths
        .par_iter()
        .map(|p| {
            let r = read_file(p);
            (
                SourceFile::new(r.path.display().to_string(), r.path.clone(), r.text.clone()),
                r,
            )
        })
        .collect();
    let mut inv = Inventory {
        files: results.len(),
        ..Inventory::default()
    };
    for (source, r) in results {
        let id = sources.add(source);
        for (at, len, reason) in r.skipped {
            inv.skipped.push(Skipped {
                span: Span::new(id, at, at + len),
                reason,
            });
        }
        if r.generated {
            inv.generated.push(Generated {
                file: id,
                path: r.path.clone(),
                text: r.text.to_string(),
            });
        }
        for mut o in r.objects {
            o.file = id;
            inv.objects.push(o);
        }
    }
    inv.index();
    inv
}

fn skipped_file(path: &Path, text: String, reason: impl Into<String>) -> FileResult {
    FileResult {
        path: path.to_path_buf(),
        text: text.into(),
        objects: Vec::new(),
        skipped: vec![(0, 0, reason.into())],
        generated: false,
    }
}

fn read_file(path: &Path) -> FileResult {
    let bytes = match read_bounded(path) {
        Ok(Ok(b)) => b,
        Ok(Err(size)) => {
            return skipped_file(
                path,
                String::new(),
                format!(
                    "file is {size} bytes; manifests over {MAX_MANIFEST_BYTES} bytes are not read"
                ),
            )
        }
        Err(e) => return skipped_file(path, String::new(), format!("cannot read: {e}")),
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..at]).into_owned();
            let mut r = skipped_file(
                path,
                prefix,
                format!("not UTF-8 (invalid byte at offset {at})"),
            );
            r.skipped[0] = (at, 0, r.skipped[0].2.clone());
            return r;
        }
    };
    if text.contains('\0') {
        return skipped_file(path, String::new(), "binary file");
    }
    if text.starts_with(HEADER) || text.starts_with(&format!("\u{feff}{HEADER}")) {
        return FileResult {
            path: path.to_path_buf(),
            text: text.into(),
            objects: Vec::new(),
            skipped: Vec::new(),
            generated: true,
        };
    }
    if let Some(at) = template_marker(&text) {
        let mut r = skipped_file(
            path,
            text,
            "a Helm or Go template (`{{ … }}`): render it to check it",
        );
        r.skipped[0] = (at, 2, r.skipped[0].2.clone());
        return r;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if matches!(name.as_str(), "kustomization.yaml" | "kustomization.yml") {
        return skipped_file(
            path,
            text,
            "a kustomization that no rendered kustomization reaches (included only from a cycle): not rendered",
        );
    }
    let text: Arc<str> = text.into();
    let mut r = FileResult {
        path: path.to_path_buf(),
        text: text.clone(),
        objects: Vec::new(),
        skipped: Vec::new(),
        generated: false,
    };
    for (start, end) in documents(&text) {
        let doc = &text[start..end];
        if doc
            .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue; // empty document
        }
        if let Some(at) = too_deep(doc) {
            r.skipped.push((
                start + at,
                1,
                format!("nested deeper than {MAX_FLOW_DEPTH} levels of `[` and `{{`: not a Kubernetes object"),
            ));
            continue;
        }
        let value: serde_yaml::Value = match serde_yaml::from_str(doc) {
            Ok(v) => v,
            Err(e) => {
                let at = e.location().map_or(0, |l| l.index().min(doc.len()));
                r.skipped.push((
                    start + at,
                    0,
                    format!("not valid YAML: {}", first_sentence(&e.to_string())),
                ));
                continue;
            }
        };
        let document = Arc::new(Document::new(text.clone(), start, end));
        match super::k8s::objects(value, &document) {
            Ok(objects) => r.objects.extend(objects),
            Err(reason) => r.skipped.push((start, 0, reason)),
        }
    }
    r
}

/// Deepest flow nesting (`[`, `{`) a manifest may have. The YAML parser takes time that grows faster than the
/// input with the nesting depth (a 100,000-deep line took 20 s to be refused), and no Kubernetes object nests
/// more than a few levels in flow style, so deeper documents are refused by a linear scan first.
pub const MAX_FLOW_DEPTH: usize = 64;

/// The offset where a document's flow nesting passes [`MAX_FLOW_DEPTH`], skipping quoted scalars and comments.
fn too_deep(doc: &str) -> Option<usize> {
    let b = doc.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'\'' => {
                i += 1;
                while i < b.len() {
                    if b[i] == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            b'#' if i == 0 || b[i - 1].is_ascii_whitespace() => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The bytes of a file, or its size when it is over the limit (one open, one stat).
fn read_bounded(path: &Path) -> std::io::Result<Result<Vec<u8>, u64>> {
    use std::io::Read;
    let f = std::fs::File::open(path)?;
    let size = f.metadata()?.len();
    if size > MAX_MANIFEST_BYTES {
        return Ok(Err(size));
    }
    let mut bytes = Vec::with_capacity(size as usize + 1);
    f.take(MAX_MANIFEST_BYTES + 1).read_to_end(&mut bytes)?;
    Ok(Ok(bytes))
}

/// The first `{{` that makes a file a Helm or Go template: outside quoted scalars and comments, and not a
/// GitHub Actions expression (`${{ … }}`). `{{` inside a quoted string of valid YAML is just text.
pub fn template_marker(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if !line.contains("{{") {
            continue;
        }
        let b = line.as_bytes();
        let mut quote: Option<u8> = None;
        let mut prev = b' ';
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            match quote {
                Some(b'"') if c == b'\\' => i += 1,
                Some(q) if c == q => {
                    if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                        i += 1;
                    } else {
                        quote = None;
                    }
                }
                Some(_) => {}
                None if c == b'#' && (i == 0 || prev == b' ' || prev == b'\t') => break,
                None if (c == b'"' || c == b'\'')
                    && matches!(prev, b' ' | b'\t' | b':' | b'-' | b'[' | b'{' | b',' | b'?') =>
                {
                    quote = Some(c)
                }
                None if c == b'{'
                    && b.get(i + 1) == Some(&b'{')
                    && (i == 0 || b[i - 1] != b'$') =>
                {
                    return Some(start + i)
                }
                None => {}
            }
            if c != b' ' && c != b'\t' || quote.is_none() {
                prev = c;
            }
            i += 1;
        }
    }
    None
}

fn first_sentence(s: &str) -> String {
    s.lines().next().unwrap_or(s).to_string()
}

/// Byte ranges of the documents of a multi-document YAML text: split at `---` lines (and after `...`).
pub fn documents(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let l = line
            .trim_end_matches(['\n', '\r'])
            .trim_start_matches('\u{feff}');
        let marker = l == "---" || l.starts_with("--- ") || l.starts_with("---\t") || l == "...";
        if marker {
            out.push((start, offset));
            // Content after `--- ` on the same line belongs to the next document.
            start = if l.len() > 3 && l.starts_with("---") {
                offset + line.find("---").unwrap_or(0) + 4
            } else {
                offset + line.len()
            };
        }
        offset += line.len();
    }
    out.push((start, text.len()));
    out.retain(|(s, e)| s < e);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_braces_outside_quoted_scalars() {
        assert_eq!(template_marker("a: \"{{ x }}\"\nb: '{{ y }}'\n"), None);
        assert_eq!(template_marker("run: echo ${{ secrets.X }}\n"), None);
        assert_eq!(template_marker("# {{ x }}\n"), None);
        assert_eq!(template_marker("- \"it's {{ x }}\"\n"), None);
        assert_eq!(
            template_marker("a: 1\nreplicas: {{ .Values.r }}\n"),
            Some(15)
        );
        assert_eq!(template_marker("a: \"x\" {{ y }}\n"), Some(7));
        assert_eq!(template_marker("{{- if .Values.on }}\n"), Some(0));
        assert_eq!(template_marker("a: b{{ x }}\n"), Some(4));
    }

    #[test]
    fn documents_split_at_markers() {
        let t = "a: 1\n---\nb: 2\r\n--- \n\n---\nc: 3\n...\n";
        let docs: Vec<&str> = documents(t).into_iter().map(|(s, e)| &t[s..e]).collect();
        assert_eq!(docs, vec!["a: 1\n", "b: 2\r\n", "\n\n", "c: 3\n"]);
    }
}
