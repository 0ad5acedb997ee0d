//! The syntax layer: bytes of a `.slo` file → [`ast::File`] with spans, or diagnostics.
//!
//! Order of work: size and encoding guards, a lexical scan (comments, delimiter balance, nesting bound), then
//! pest. pest's types never leave this module; everything after it sees only the AST.

pub mod ast;
mod errors;
pub mod hints;
pub mod lexical;
mod parser;

use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};

pub use parser::{unescape, MAX_DURATION_MS, MAX_NUMBER};

/// Largest policy file parsed.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// A parsed file: the tree if it parsed, the comments for the formatter, and the diagnostics.
#[derive(Debug)]
pub struct Parsed {
    pub ast: Option<ast::File>,
    pub comments: Vec<(usize, usize)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Decodes raw bytes as UTF-8 or reports the first bad byte.
pub fn decode(file: FileId, bytes: Vec<u8>) -> Result<String, Box<Diagnostic>> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Box::new(
            Diagnostic::new(
                Code::FileTooLarge,
                Span::new(file, 0, 0),
                format!(
                    "file is {} bytes; policy files are limited to {} bytes",
                    bytes.len(),
                    MAX_FILE_BYTES
                ),
            )
            .with_help("split the policy into several files"),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Box::new(
            Diagnostic::new(
                Code::InvalidEncoding,
                Span::new(file, at, at),
                format!("file is not valid UTF-8: invalid byte at offset {at}"),
            )
            .with_help("save the file as UTF-8"),
        )
    })
}

/// Parses the text of `file`.
pub fn parse(file: FileId, text: &str) -> Parsed {
    let scan = lexical::scan(file, text);
    if !scan.diagnostics.is_empty() {
        return Parsed {
            ast: None,
            comments: scan.comments,
            diagnostics: scan.diagnostics,
        };
    }
    match parser::parse_file(file, text) {
        Ok((ast, diagnostics)) => Parsed {
            ast: Some(ast),
            comments: scan.comments,
            diagnostics,
        },
        Err(d) => Parsed {
            ast: None,
            comments: scan.comments,
            diagnostics: vec![*d],
        },
    }
}

#[cfg(test)]
mod tests;
