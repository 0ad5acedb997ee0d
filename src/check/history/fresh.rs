//! Which findings a change introduces: diff-aware mode by results, not by lines.
//!
//! The base revision is analysed like the working tree (same pipeline, same options), and every finding gets a
//! fingerprint that does not move with line numbers: its code, its severity, its entity (the service it is
//! about, else the file — followed through renames) and its message. A finding at the head is shown when
//!
//! - it is hard (syntax, resolution, unreadable file, soundness, generated-rules drift) — never hidden;
//! - it is a review finding (a policy regression);
//! - its primary span is on lines the change touched;
//! - or the base has fewer findings with its fingerprint than the head (it is new, wherever it sits).
//!
//! When `check` was given files, hard findings outside them that predate the change are not reported (the
//! files are the scope), but new ones are, wherever they sit.
//!
//! Everything else predates the change and is only counted. Fingerprints are matched as a multiset: a change
//! that adds a second copy of an old finding shows one of them, preferring those on changed lines.

use super::on_changed_lines;
use crate::diag::{Diagnostic, Severity};
use crate::repo::git::{Changes, Repo};
use crate::source::{SourceFile, SourceMap};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The base revision's findings and how to read them.
pub struct Base<'a> {
    pub diagnostics: &'a [Diagnostic],
    pub sources: &'a SourceMap,
    /// A base file's path relative to the working directory, where it can be placed.
    pub relative: &'a dyn Fn(&SourceFile) -> Option<PathBuf>,
    /// A base message as the head would word it (file names start with the path each side was read at).
    pub message: &'a dyn Fn(&str) -> String,
}

/// The head's findings the change introduces, and the count of those left out.
pub fn introduced(
    head: Vec<Diagnostic>,
    sources: &SourceMap,
    repo: &Repo,
    changes: &Changes,
    base: &Base<'_>,
    in_scope: &dyn Fn(&Diagnostic) -> bool,
) -> (Vec<Diagnostic>, usize) {
    let mut remaining: HashMap<String, usize> = HashMap::new();
    for d in base.diagnostics {
        let f = base.sources.get(d.primary.span.file);
        let rel = (base.relative)(f).map(|rel| changes.renames.get(&rel).cloned().unwrap_or(rel));
        let message = (base.message)(&d.message);
        *remaining
            .entry(fingerprint(d, rel.as_deref(), &f.name, &message))
            .or_default() += 1;
    }
    let mut relative: HashMap<u32, Option<PathBuf>> = HashMap::new();
    let mut keyed: Vec<(Diagnostic, String, bool)> = head
        .into_iter()
        .map(|d| {
            let f = sources.get(d.primary.span.file);
            let rel = relative
                .entry(d.primary.span.file.0)
                .or_insert_with(|| repo.relative(&f.path))
                .clone();
            let key = fingerprint(&d, rel.as_deref(), &f.name, &d.message);
            let touched = on_changed_lines(&d, sources, repo, changes);
            (d, key, touched)
        })
        .collect();
    // Findings on changed lines are shown anyway: they take their share of the base's copies first.
    for (_, key, touched) in &keyed {
        if *touched {
            if let Some(n) = remaining.get_mut(key) {
                *n = n.saturating_sub(1);
            }
        }
    }
    let mut shown = Vec::new();
    let mut hidden = 0;
    for (d, key, touched) in keyed.drain(..) {
        let in_scope = in_scope(&d);
        let always = (d.code.is_hard() && in_scope) || d.severity == Severity::Review;
        if always || touched {
            shown.push(d);
            continue;
        }
        match remaining.get_mut(&key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                hidden += usize::from(in_scope);
            }
            _ => shown.push(d),
        }
    }
    (shown, hidden)
}

/// Code, severity, entity and message; never a position.
fn fingerprint(d: &Diagnostic, rel: Option<&Path>, name: &str, message: &str) -> String {
    let entity = match (&d.service, rel) {
        (Some(s), _) => format!("service {s}"),
        (None, Some(rel)) => format!("file {}", rel.display()),
        (None, None) => format!("file {name}"),
    };
    format!(
        "{}\u{0}{}\u{0}{entity}\u{0}{message}",
        d.code.as_str(),
        d.severity.as_str()
    )
}
