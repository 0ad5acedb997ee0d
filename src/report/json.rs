//! JSON diagnostics, schema version 1 (documented in docs/json.md):
//!
//! ```json
//! { "version": 1,
//!   "diagnostics": [ { "code": "unknown-key", "severity": "error", "message": "…",
//!                      "file": "a.slo", "line": 3, "column": 5, "end": { "line": 3, "column": 13 },
//!                      "labels": [ { "file": "…", "line": 1, "column": 1, "end": {…}, "message": "…" } ],
//!                      "help": "…" | null, "notes": [] } ],
//!   "summary": { "errors": 1, "warnings": 0, "infos": 0, "reviews": 0, "files": 4 } }
//! ```

use crate::diag::{Counts, Diagnostic, Label};
use crate::source::{LineCol, SourceMap};
use serde::Serialize;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    infos: usize,
    reviews: usize,
    files: usize,
    /// In diff-aware mode: problems left out because the change did not touch their lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    hidden: Option<usize>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: &'static str,
    message: &'a str,
    #[serde(flatten)]
    at: Location<'a>,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct Location<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end: LineCol,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    #[serde(flatten)]
    at: Location<'a>,
    message: Option<&'a str>,
}

fn location<'a>(sources: &'a SourceMap, label: &Label) -> Location<'a> {
    let f = sources.get(label.span.file);
    let start = f.line_col(label.span.start as usize);
    Location {
        file: &f.name,
        line: start.line,
        column: start.column,
        end: f.line_col(label.span.end as usize),
    }
}

/// Renders diagnostics as one JSON document (pretty-printed, trailing newline).
pub fn render_json(sources: &SourceMap, diags: &[Diagnostic], files: usize) -> String {
    render_json_with(sources, diags, files, None)
}

/// Like [`render_json`], with the count of problems diff-aware mode left out.
pub fn render_json_with(
    sources: &SourceMap,
    diags: &[Diagnostic],
    files: usize,
    hidden: Option<usize>,
) -> String {
    let counts = Counts::of(diags);
    let report = Report {
        version: 1,
        diagnostics: diags
            .iter()
            .map(|d| JsonDiagnostic {
                code: d.code.as_str(),
                severity: d.severity.as_str(),
                message: &d.message,
                at: location(sources, &d.primary),
                labels: d
                    .labels
                    .iter()
                    .map(|l| JsonLabel {
                        at: location(sources, l),
                        message: l.message.as_deref(),
                    })
                    .collect(),
                help: d.help.as_deref(),
                notes: &d.notes,
            })
            .collect(),
        summary: Summary {
            errors: counts.errors,
            warnings: counts.warnings,
            infos: counts.infos,
            reviews: counts.reviews,
            files,
            hidden,
        },
    };
    let mut s = serde_json::to_string_pretty(&report).expect("diagnostics serialize");
    s.push('\n');
    s
}
