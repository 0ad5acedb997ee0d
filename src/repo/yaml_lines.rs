//! Where keys are in a YAML document: a light, indentation-based scan of block-style YAML that maps key paths
//! (`spec.template.spec.containers[0].readinessProbe`) to byte offsets, so findings can point at the exact
//! line and column. serde_yaml gives values but not positions; this gives positions but not values.
//! Flow-style collections (`{ app: web }`) are not entered: a path inside one resolves to the nearest key
//! that was indexed.

use std::collections::HashMap;

/// Key path → (byte offset of the key, key length), offsets relative to the scanned text.
#[derive(Debug, Default, Clone)]
pub struct KeyIndex {
    keys: HashMap<String, (usize, usize)>,
}

impl KeyIndex {
    /// The position of `path`, or of its nearest indexed ancestor.
    pub fn find(&self, path: &str) -> Option<(usize, usize)> {
        let mut p = path;
        loop {
            if let Some(&at) = self.keys.get(p) {
                return Some(at);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }

    /// Exact lookup.
    pub fn get(&self, path: &str) -> Option<(usize, usize)> {
        self.keys.get(path).copied()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

struct Frame {
    indent: usize,
    path: String,
    /// A sequence item (`- `) rather than a key.
    item: bool,
    /// Items seen so far under this key.
    items: usize,
}

/// Indexes the keys of one document.
pub fn index(text: &str) -> KeyIndex {
    let mut out = KeyIndex::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut offset = 0;
    // Lines deeper than this belong to a block scalar (`|` / `>`) and are skipped.
    let mut block_scalar: Option<usize> = None;
    for raw in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if let Some(limit) = block_scalar {
            if indent > limit {
                continue;
            }
            block_scalar = None;
        }
        let mut col = indent;
        let mut rest = content;
        // Sequence items: `- `, possibly several on one line (`- - a`).
        while rest == "-" || rest.starts_with("- ") {
            while stack
                .last()
                .is_some_and(|f| f.indent > col || (f.indent == col && f.item))
            {
                stack.pop();
            }
            let idx = match stack.last_mut() {
                Some(parent) => {
                    parent.items += 1;
                    parent.items - 1
                }
                None => 0,
            };
            let parent = stack.last().map_or(String::new(), |f| f.path.clone());
            stack.push(Frame {
                indent: col,
                path: format!("{parent}[{idx}]"),
                item: true,
                items: 0,
            });
            let after = rest[1..].trim_start_matches(' ');
            col += rest.len() - after.len();
            rest = after;
        }
        let Some((key, value)) = split_key(rest) else {
            continue;
        };
        while stack.last().is_some_and(|f| f.indent >= col) {
            stack.pop();
        }
        let parent = stack.last().map_or(String::new(), |f| f.path.clone());
        let path = if parent.is_empty() {
            key.to_string()
        } else {
            format!("{parent}.{key}")
        };
        out.keys
            .entry(path.clone())
            .or_insert((line_start + col, key_len(rest)));
        let v = value.trim_start();
        if v.starts_with('|') || v.starts_with('>') {
            block_scalar = Some(col);
        }
        stack.push(Frame {
            indent: col,
            path,
            item: false,
            items: 0,
        });
    }
    out
}

/// `key: value` → (key without quotes, value). Only plain or quoted keys followed by `:` and a space or end.
fn split_key(s: &str) -> Option<(&str, &str)> {
    if let Some(q) = s.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let end = s[1..].find(q)? + 1;
        let after = &s[end + 1..];
        let after = after.strip_prefix(':')?;
        return (after.is_empty() || after.starts_with(' ')).then(|| (&s[1..end], after));
    }
    if s.starts_with(['{', '[', '&', '*', '!', '|', '>', '%', '@', '`']) {
        return None;
    }
    let mut search = 0;
    while let Some(i) = s[search..].find(':') {
        let at = search + i;
        let after = &s[at + 1..];
        if after.is_empty() || after.starts_with(' ') || after.starts_with('\t') {
            let key = s[..at].trim_end();
            if key.contains(" #") {
                return None;
            }
            return Some((key, after));
        }
        search = at + 1;
    }
    None
}

fn key_len(s: &str) -> usize {
    match s.chars().next() {
        Some(q @ ('"' | '\'')) => s[1..].find(q).map_or(1, |e| e + 2),
        _ => s.find(':').unwrap_or(s.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { app: web }
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: app
          image: web:1
          command: |
            run --flag
            readinessProbe: not-a-key
        - name: sidecar
          readinessProbe:
            httpGet:
              path: /ready
      volumes:
      - name: data
";

    fn line_of(text: &str, at: (usize, usize)) -> (usize, &str) {
        (
            text[..at.0].matches('\n').count() + 1,
            &text[at.0..at.0 + at.1],
        )
    }

    #[test]
    fn paths_point_at_their_keys() {
        let ix = index(DEPLOYMENT);
        let at = |p: &str| {
            line_of(
                DEPLOYMENT,
                ix.get(p).unwrap_or_else(|| panic!("{p} not indexed")),
            )
        };
        assert_eq!(at("spec.replicas"), (7, "replicas"));
        assert_eq!(at("spec.template.spec.containers[0].name"), (11, "name"));
        assert_eq!(at("spec.template.spec.containers[0].image"), (12, "image"));
        assert_eq!(
            at("spec.template.spec.containers[1].readinessProbe"),
            (17, "readinessProbe")
        );
        assert_eq!(
            at("spec.template.spec.containers[1].readinessProbe.httpGet.path"),
            (19, "path")
        );
        assert_eq!(at("spec.template.spec.volumes[0].name"), (21, "name"));
        assert!(ix
            .get("spec.template.spec.containers[0].readinessProbe")
            .is_none());
        // Inside flow style: the nearest indexed key.
        assert_eq!(
            line_of(DEPLOYMENT, ix.find("metadata.labels.app").unwrap()),
            (5, "labels")
        );
    }

    #[test]
    fn quoted_keys_and_crlf() {
        let text = "\"kind\": Service\r\nmetadata:\r\n  'name': x\r\n";
        let ix = index(text);
        assert_eq!(
            line_of(text, ix.get("metadata.name").unwrap()),
            (3, "'name'")
        );
        assert_eq!(line_of(text, ix.get("kind").unwrap()), (1, "\"kind\""));
    }
}
