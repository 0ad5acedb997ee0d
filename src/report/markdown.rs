//! `check` as a pull-request comment (and GitHub job summary): a headline with the counts, one table row
//! per finding, the count of problems that predate the change. Every piece of text from the repository is
//! escaped (file names and messages come from pull requests); at most [`MAX_ROWS`] rows, so the comment stays
//! under the size limits of code-review sites.

use super::check::{at, CheckReport};
use super::verdict::escape_markdown;
use crate::diag::Severity;

/// Rows shown before "… and N more".
pub const MAX_ROWS: usize = 200;

pub fn render_check_markdown(r: &CheckReport<'_>) -> String {
    let shown: Vec<_> = r.shown().cloned().collect();
    let counts = crate::diag::Counts::of(&shown);
    let icon = if counts.errors > 0 {
        "❌"
    } else if counts.warnings + counts.reviews > 0 {
        "⚠️"
    } else {
        "✅"
    };
    let summary = super::summary_of(&shown, &r.what());
    let mut out = format!("### slogate check: {icon} {}\n\n", summary.trim_end());
    if !shown.is_empty() {
        out.push_str("| severity | code | where | problem |\n| --- | --- | --- | --- |\n");
        for d in shown.iter().take(MAX_ROWS) {
            let a = at(r.sources, &d.primary);
            let severity = match d.severity {
                Severity::Error => "**error**",
                other => other.as_str(),
            };
            let mut problem = escape_markdown(&d.message);
            if let Some(h) = &d.help {
                problem.push_str(&format!("<br>help: {}", escape_markdown(h)));
            }
            out.push_str(&format!(
                "| {severity} | `{}` | {}:{}:{} | {problem} |\n",
                d.code,
                escape_markdown(a.file),
                a.start.line,
                a.start.column
            ));
        }
        if shown.len() > MAX_ROWS {
            out.push_str(&format!(
                "\n… and {} more (`slogate check` lists them all)\n",
                shown.len() - MAX_ROWS
            ));
        }
    }
    if let Some(n) = r.hidden.filter(|n| *n > 0) {
        out.push_str(&format!(
            "\n{} {} this change (`--all` shows {}).\n",
            super::plural(n, "problem"),
            if n == 1 { "predates" } else { "predate" },
            if n == 1 { "it" } else { "them" }
        ));
    }
    out
}
