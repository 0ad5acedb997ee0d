//! `slogate fmt`: the canonical layout of a policy file.
//!
//! Two-space indentation; one entry per line with the `=` of consecutive attributes aligned; blocks that were
//! written on one line and hold only attributes stay on one line (`slo x { sli = a  objective = 99.9% }`);
//! at most one blank line, kept where the author put one; a blank line between top-level blocks. Literals are
//! kept as written (`4w` stays `4w`, PromQL is verbatim). Comments are kept: a comment on its own line stays
//! before the entry that follows it, a comment at the end of a line stays at the end of that line. Formatting
//! is idempotent, and the formatted file parses to the same tree. A comment inside a one-line entry (between a
//! key and its `=`, inside a multi-line list) or between a block's name and its `{` is printed on its own line
//! before that entry or block, which is where it stays on every later run.

mod layout;
mod printer;
mod values;

use crate::diag::Diagnostic;
use crate::source::{FileId, SourceFile, SourceMap};
use crate::syntax::{self, Parsed};
use printer::Printer;
use std::path::Path;

/// Result of formatting one file.
pub enum Outcome {
    Unchanged,
    Changed(String),
}

/// Why a file could not be formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The file does not parse; the rendered diagnostics.
    Syntax(String),
    Io(String),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Syntax(s) | FormatError::Io(s) => f.write_str(s),
        }
    }
}

/// Formats a file on disk (without writing it).
pub fn format_path(path: &Path) -> Result<Outcome, FormatError> {
    let bytes = std::fs::read(path)
        .map_err(|e| FormatError::Io(format!("error: {}: {e}\n", path.display())))?;
    let mut sources = SourceMap::new();
    let id = FileId(0);
    let (text, diag) = match syntax::decode(id, bytes) {
        Ok(t) => (t, None),
        Err(d) => (String::new(), Some(*d)),
    };
    sources.add(SourceFile::new(
        path.display().to_string(),
        path.to_path_buf(),
        text.as_str(),
    ));
    if let Some(d) = diag {
        return Err(FormatError::Syntax(crate::report::render_human(
            &sources,
            &[d],
            1,
            false,
        )));
    }
    match format_text(id, &text) {
        Ok(out) if out == text => Ok(Outcome::Unchanged),
        Ok(out) => Ok(Outcome::Changed(out)),
        Err(diags) => Err(FormatError::Syntax(crate::report::render_human(
            &sources, &diags, 1, false,
        ))),
    }
}

/// Formats source text; errors when it does not parse cleanly.
pub fn format_text(file: FileId, text: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = syntax::parse(file, text);
    match parsed {
        Parsed {
            ast: Some(ast),
            comments,
            diagnostics,
        } if diagnostics.is_empty() => Ok(Printer::new(text, comments).file(&ast)),
        Parsed { diagnostics, .. } => Err(diagnostics),
    }
}

/// Writes `text` to `path` through a temporary file and a rename, so a crash never leaves half a file.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "policy".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.slogate-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
