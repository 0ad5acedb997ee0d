//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per finding, with
//! `file`, `line`, `col`, `endLine`, `endColumn` and a `title`, then the summary line. The Markdown of
//! [`super::markdown`] goes to the job summary (`$GITHUB_STEP_SUMMARY`; the CLI appends it there).
//!
//! Messages come from pull requests: values and properties are escaped as the runner defines (`%`, CR, LF;
//! `:` and `,` in properties too), so a message cannot end its annotation and start another command.

use super::check::{at, relative_name, CheckReport};
use super::excerpt::sanitize_text;
use crate::diag::Severity;

pub fn render_github(r: &CheckReport<'_>) -> String {
    let mut out = String::new();
    for d in r.shown() {
        let a = at(r.sources, &d.primary);
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning | Severity::Review => "warning",
            Severity::Info => "notice",
        };
        let title = match d.severity {
            Severity::Review => format!("slogate review: {}", d.code),
            _ => format!("slogate {}", d.code),
        };
        let mut props = format!(
            "file={},line={},col={},endLine={}",
            property(&relative_name(a.file)),
            a.start.line,
            a.start.column,
            a.end.line
        );
        if a.end.line == a.start.line && a.end.column > a.start.column + 1 {
            // Our end is exclusive; GitHub's is the last column.
            props.push_str(&format!(",endColumn={}", a.end.column - 1));
        }
        props.push_str(&format!(",title={}", property(&title)));
        let mut message = d.message.clone();
        if let Some(h) = &d.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        out.push_str(&format!("::{command} {props}::{}\n", data(&message)));
    }
    out.push_str(&super::summary_of(
        &r.shown().cloned().collect::<Vec<_>>(),
        &r.what(),
    ));
    if let Some(n) = r.hidden.filter(|n| *n > 0) {
        out.push_str(&format!(
            "{} predate this change; `--all` shows them\n",
            super::plural(n, "problem")
        ));
    }
    out
}

/// A gate verdict as annotations: one per gated service (deny an error, warn a warning, allow a notice), with
/// its reasons, then the verdict as text.
pub fn render_verdict_github(r: &crate::gate::Report) -> String {
    use crate::gate::Verdict;
    let mut out = String::new();
    for s in &r.services {
        let command = match s.verdict {
            Verdict::Deny => "error",
            Verdict::Warn => "warning",
            Verdict::Allow => "notice",
        };
        let mut message = format!("{} ({}): {}", s.service, s.change, s.verdict.as_str());
        for reason in &s.reasons {
            message.push_str(&format!("\n- {reason}"));
        }
        out.push_str(&format!(
            "::{command} title={}::{}\n",
            property(&format!("slogate gate {}", s.service)),
            data(&message)
        ));
    }
    out.push_str(&super::render_verdict_human(r));
    out
}

/// An error that stopped the run, as an annotation without a file.
pub fn github_error(message: &str) -> String {
    format!("::error title=slogate::{}\n", data(message))
}

/// Escapes a command's value.
fn data(s: &str) -> String {
    sanitize_text(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_text_cannot_start_a_command() {
        assert_eq!(
            data("bad\n::set-env name=X::1%"),
            "bad%0A::set-env name=X::1%25"
        );
        assert_eq!(property("a,b:c"), "a%2Cb%3Ac");
    }
}
