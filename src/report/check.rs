//! What `check` found, in every output format: one [`CheckReport`] rendered by [`render_check`].

use super::Format;
use crate::diag::{Diagnostic, Label, Severity};
use crate::source::{LineCol, SourceMap};

/// The findings of one `check` run and what they were found in.
pub struct CheckReport<'a> {
    pub sources: &'a SourceMap,
    /// Sorted, deduplicated.
    pub diagnostics: &'a [Diagnostic],
    /// Policy files checked.
    pub files: usize,
    /// Manifest files read.
    pub manifests: usize,
    /// In diff-aware mode, the problems that predate the change.
    pub hidden: Option<usize>,
    /// Show notes (info) in the formats meant for people.
    pub verbose: bool,
}

impl CheckReport<'_> {
    /// The findings meant for people: notes (skipped manifests) only when verbose.
    pub fn shown(&self) -> impl Iterator<Item = &Diagnostic> {
        let verbose = self.verbose;
        self.diagnostics
            .iter()
            .filter(move |d| verbose || d.severity != Severity::Info)
    }

    /// `3 policy files and 12 manifest files`.
    pub fn what(&self) -> String {
        let mut what = super::plural(self.files, "policy file");
        if self.manifests > 0 {
            what.push_str(&format!(
                " and {}",
                super::plural(self.manifests, "manifest file")
            ));
        }
        what
    }
}

/// Renders a check report; `color` only matters to the human format.
pub fn render_check(format: Format, r: &CheckReport<'_>, color: bool) -> String {
    match format {
        Format::Human => super::human::render_check_human(r, color),
        Format::Json => super::json::render_json_with(r.sources, r.diagnostics, r.files, r.hidden),
        Format::Concise => super::concise::render_concise(r),
        Format::Github => super::github::render_github(r),
        Format::Sarif => super::sarif::render_sarif(r),
        Format::Markdown => super::markdown::render_check_markdown(r),
    }
}

/// Where a label points: the file as shown and its start and end (1-based; the end is exclusive).
pub(crate) struct At<'a> {
    pub file: &'a str,
    pub start: LineCol,
    pub end: LineCol,
}

pub(crate) fn at<'a>(sources: &'a SourceMap, label: &Label) -> At<'a> {
    let f = sources.get(label.span.file);
    At {
        file: &f.name,
        start: f.line_col(label.span.start as usize),
        end: f.line_col(label.span.end as usize),
    }
}

/// A file name as a repository-relative path: no leading `./`, forward slashes.
pub(crate) fn relative_name(name: &str) -> String {
    let name = name.replace('\\', "/");
    let mut rest = name.as_str();
    while let Some(r) = rest.strip_prefix("./") {
        rest = r;
    }
    rest.to_string()
}
