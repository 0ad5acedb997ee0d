//! Human diagnostics through miette's graphical handler: source snippets with labels, help and the
//! `file:line:col` of each problem. Labels in another file than the primary span are shown as related notes
//! with their own snippet.

use super::excerpt::{sanitize_text, Excerpt};
use crate::diag::{Counts, Diagnostic, Label, Severity};
use crate::source::SourceMap;
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceSpan};
use std::fmt;

struct Report {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    labels: Vec<LabeledSpan>,
    source: Excerpt,
    related: Vec<Report>,
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

fn labeled(message: Option<&String>, span: SourceSpan, primary: bool) -> LabeledSpan {
    let message = message.map(|m| sanitize_text(m));
    if primary {
        LabeledSpan::new_primary_with_span(message, span)
    } else {
        LabeledSpan::new_with_span(message, span)
    }
}

fn report(sources: &SourceMap, d: &Diagnostic) -> Report {
    let file = d.primary.span.file;
    let message = if d.severity == Severity::Review {
        format!("review: {}", d.message)
    } else {
        d.message.clone()
    };
    let same_file: Vec<&Label> = std::iter::once(&d.primary)
        .chain(d.labels.iter().filter(|l| l.span.file == file))
        .collect();
    let spans: Vec<crate::source::Span> = same_file.iter().map(|l| l.span).collect();
    let (source, mapped) = Excerpt::new(sources.get(file), &spans);
    let labels = same_file
        .iter()
        .zip(mapped)
        .enumerate()
        .map(|(i, (l, span))| labeled(l.message.as_ref(), span, i == 0))
        .collect();
    let related = d
        .labels
        .iter()
        .filter(|l| l.span.file != file)
        .map(|l| {
            let (source, mapped) = Excerpt::new(sources.get(l.span.file), &[l.span]);
            Report {
                message: sanitize_text(l.message.as_deref().unwrap_or("related")),
                code: None,
                severity: miette::Severity::Advice,
                help: None,
                labels: vec![labeled(None, mapped[0], true)],
                source,
                related: Vec::new(),
            }
        })
        .collect();
    let mut help = d.help.clone();
    for n in &d.notes {
        help = Some(match help {
            Some(h) => format!("{h}\nnote: {n}"),
            None => format!("note: {n}"),
        });
    }
    Report {
        message: sanitize_text(&message),
        code: Some(d.code.as_str().to_string()),
        severity: match d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning | Severity::Review => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        },
        help: help.map(|h| sanitize_text(&h)),
        labels,
        source,
        related,
    }
}

/// Renders diagnostics and a summary line. `color` only when writing to a terminal.
pub fn render_human(
    sources: &SourceMap,
    diags: &[Diagnostic],
    files: usize,
    color: bool,
) -> String {
    let mut out = render_diagnostics(sources, diags, color);
    out.push_str(&summary(diags, files));
    out
}

/// Renders diagnostics without a summary.
pub fn render_diagnostics(sources: &SourceMap, diags: &[Diagnostic], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(110)
        .with_links(false)
        .with_context_lines(1);
    let mut out = String::new();
    for d in diags {
        let r = report(sources, d);
        if handler.render_report(&mut out, &r).is_err() {
            out.push_str(&format!("{}: {}\n", d.code, d.message));
        }
        out.push('\n');
    }
    out
}

/// `check`'s human output: the findings (notes only when verbose), the summary, what diff-aware mode and
/// the verbosity left out.
pub fn render_check_human(r: &super::CheckReport<'_>, color: bool) -> String {
    let shown: Vec<Diagnostic> = r.shown().cloned().collect();
    let notes = r.diagnostics.len() - shown.len();
    let mut out = render_diagnostics(r.sources, &shown, color);
    out.push_str(&summary_of(&shown, &r.what()));
    if let Some(n) = r.hidden.filter(|n| *n > 0) {
        out.push_str(&format!(
            "{} {} this change; `--all` shows {}\n",
            plural(n, "problem"),
            if n == 1 { "predates" } else { "predate" },
            if n == 1 { "it" } else { "them" },
        ));
    }
    if notes > 0 {
        out.push_str(&format!(
            "{} hidden (skipped manifests); `--verbose` shows them\n",
            plural(notes, "note")
        ));
    }
    out
}

/// `2 errors, 1 warning in 5 policy files` / `no problems in 5 policy files`.
pub fn summary(diags: &[Diagnostic], files: usize) -> String {
    summary_of(diags, &plural(files, "policy file"))
}

/// `1 error in <what>`.
pub fn summary_of(diags: &[Diagnostic], what: &str) -> String {
    let c = Counts::of(diags);
    let mut parts = Vec::new();
    if c.errors > 0 {
        parts.push(plural(c.errors, "error"));
    }
    if c.reviews > 0 {
        parts.push(format!("{} for review", plural(c.reviews, "change")));
    }
    if c.warnings > 0 {
        parts.push(plural(c.warnings, "warning"));
    }
    if c.infos > 0 {
        parts.push(plural(c.infos, "note"));
    }
    if parts.is_empty() {
        format!("no problems in {what}\n")
    } else {
        format!("{} in {what}\n", parts.join(", "))
    }
}

/// `1 file`, `2 files`.
pub fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}
