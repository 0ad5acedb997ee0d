//! Renderers: the same diagnostics as human text (miette, colour only on a terminal) or JSON (a documented,
//! stable schema).

mod history;
mod verdict;
pub use verdict::{render_verdict_human, render_verdict_markdown};
pub mod excerpt;
mod human;
mod json;

pub use history::render_history;
pub use human::{plural, render_diagnostics, render_human, summary_of};
pub use json::{render_json, render_json_with};

/// Output formats for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
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
}
