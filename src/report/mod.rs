//! Renderers: the same diagnostics as human text (miette, colour only on a terminal), JSON (a documented,
//! stable schema), one line each, GitHub annotations, SARIF 2.1.0 or a Markdown pull-request comment; gate
//! verdicts and history figures.

mod history;
mod verdict;
pub use verdict::{render_verdict_human, render_verdict_markdown};
mod check;
mod concise;
pub mod excerpt;
mod failure;
mod github;
mod human;
mod json;
mod markdown;
mod sarif;

pub use check::{render_check, CheckReport};
pub use failure::{render_failure, Failure};
pub use github::render_verdict_github;
pub use markdown::render_check_markdown;

pub use history::render_history;
pub use human::{plural, render_check_human, render_diagnostics, render_human, summary_of};
pub use json::{render_json, render_json_with};

/// Output formats for diagnostics (variants without doc comments: clap would print them as long help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    // Source snippets with labels and help (colour on a terminal).
    Human,
    // One JSON document (schema in the README), on every path, errors included.
    Json,
    // `path:line:col: severity[code] message`, one per line.
    Concise,
    // GitHub Actions annotations; the Markdown summary goes to `$GITHUB_STEP_SUMMARY` when it is set.
    Github,
    // SARIF 2.1.0, for code scanning.
    Sarif,
    // A pull-request comment.
    Markdown,
}

/// Output formats for `history`'s figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FactsFormat {
    Human,
    Json,
}

/// Output formats for verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerdictFormat {
    Human,
    Json,
    /// A pull-request comment.
    Markdown,
    /// GitHub Actions annotations per service; the Markdown comment goes to `$GITHUB_STEP_SUMMARY`.
    Github,
}
