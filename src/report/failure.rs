//! A run that could not check anything (exit 2), in the chosen format: JSON and SARIF print a document
//! holding the error (so a consumer parsing stdout never gets text), GitHub an annotation, Markdown a comment;
//! the text also goes to stderr where a person reads it.

use super::Format;

/// What to print: a document on stdout, text on stderr.
pub struct Failure {
    pub stdout: String,
    pub stderr: Option<String>,
}

pub fn render_failure(format: Format, message: &str) -> Failure {
    let text = Some(format!("error: {message}\n"));
    match format {
        Format::Json => Failure {
            stdout: format!(
                "{}\n",
                serde_json::json!({ "version": 1, "error": message })
            ),
            stderr: None,
        },
        Format::Sarif => Failure {
            stdout: super::sarif::render_sarif_failure(message),
            stderr: None,
        },
        Format::Github => Failure {
            stdout: super::github::github_error(message),
            stderr: text,
        },
        Format::Markdown => Failure {
            stdout: format!(
                "### slogate check: ⛔ could not check\n\n{}\n",
                super::verdict::escape_markdown(message)
            ),
            stderr: text,
        },
        Format::Human | Format::Concise => Failure {
            stdout: String::new(),
            stderr: text,
        },
    }
}
