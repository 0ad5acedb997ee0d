//! A lexical pre-scan of a policy file, run before pest.
//!
//! It does three things pest cannot do well: finds comments (the grammar drops them; the formatter needs them),
//! checks that delimiters balance — pointing an unclosed `{` at the block that opened it rather than at the end
//! of the file — and bounds nesting depth so that hostile input cannot overflow the parser's stack. It follows
//! the grammar's lexical rules for strings (`"…"`, one line, `\` escapes), PromQL (`` `…` ``) and comments
//! (`#` to end of line).

use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// Deepest nesting of `{`, `[` and `(` accepted.
pub const MAX_DEPTH: usize = 64;

/// What the scan found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Byte ranges of comments, `#` included, newline excluded.
    pub comments: Vec<(usize, usize)>,
    /// Problems that make parsing pointless.
    pub diagnostics: Vec<Diagnostic>,
}

struct Open {
    ch: u8,
    at: usize,
}

fn closer(open: u8) -> u8 {
    match open {
        b'{' => b'}',
        b'[' => b']',
        _ => b')',
    }
}

/// Scans `text` (the contents of `file`).
pub fn scan(file: FileId, text: &str) -> Scan {
    let bytes = text.as_bytes();
    let mut out = Scan::default();
    let mut stack: Vec<Open> = Vec::new();
    // (open offset, close offset) of matched braces, for the indentation heuristic.
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let span = |s: usize, e: usize| Span::new(file, s, e);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                let end = memchr_newline(bytes, i);
                out.comments.push((i, end));
                i = end;
                continue;
            }
            b'"' => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => {
                            out.diagnostics.push(
                                Diagnostic::new(
                                    Code::Syntax,
                                    span(start, start + 1),
                                    "unterminated string",
                                )
                                .with_primary_label("this string is never closed")
                                .with_help(
                                    "strings end on the line they start; close it with `\"`",
                                ),
                            );
                            return out;
                        }
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
            }
            b'`' => {
                let start = i;
                match bytes[i + 1..].iter().position(|&b| b == b'`') {
                    Some(p) => i += p + 1,
                    None => {
                        out.diagnostics.push(
                            Diagnostic::new(
                                Code::Syntax,
                                span(start, start + 1),
                                "unterminated PromQL query",
                            )
                            .with_primary_label("this backtick is never closed")
                            .with_help("PromQL queries are written between backticks: `sum(rate(x[$window]))`"),
                        );
                        return out;
                    }
                }
            }
            c @ (b'{' | b'[' | b'(') => {
                stack.push(Open { ch: c, at: i });
                if stack.len() > MAX_DEPTH {
                    out.diagnostics.push(
                        Diagnostic::new(
                            Code::NestingTooDeep,
                            span(i, i + 1),
                            format!("nesting deeper than {MAX_DEPTH} levels"),
                        )
                        .with_primary_label("this opens level 65")
                        .with_help(
                            "policies need only a few levels; is this file generated or damaged?",
                        ),
                    );
                    return out;
                }
            }
            c @ (b'}' | b']' | b')') => match stack.pop() {
                None => {
                    out.diagnostics.push(
                        Diagnostic::new(
                            Code::UnclosedDelimiter,
                            span(i, i + 1),
                            format!("unexpected `{}`", c as char),
                        )
                        .with_primary_label("nothing is open here")
                        .with_help("remove it, or add the opening delimiter it was meant to close"),
                    );
                    return out;
                }
                Some(open) if closer(open.ch) != c => {
                    out.diagnostics.push(
                        Diagnostic::new(
                            Code::UnclosedDelimiter,
                            span(i, i + 1),
                            format!(
                                "mismatched `{}`: expected `{}`",
                                c as char,
                                closer(open.ch) as char
                            ),
                        )
                        .with_primary_label(format!("expected `{}` here", closer(open.ch) as char))
                        .with_label(
                            span(open.at, open.at + 1),
                            format!("this `{}` is still open", open.ch as char),
                        ),
                    );
                    return out;
                }
                Some(open) => {
                    if c == b'}' {
                        pairs.push((open.at, i));
                    }
                }
            },
            _ => {}
        }
        i += 1;
    }
    if let Some(open) = stack.last() {
        out.diagnostics
            .push(unclosed(file, text, open.at, open.ch, stack.len(), &pairs));
    }
    out
}

fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| from + p)
}

/// Indentation of the line containing `offset`, and whether `offset` is the first non-blank of it.
fn indent_of(text: &str, offset: usize) -> (usize, bool) {
    let line_start = text[..offset].rfind('\n').map_or(0, |p| p + 1);
    let line = &text[line_start..];
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    (indent, line_start + indent == offset)
}

fn unclosed(
    file: FileId,
    text: &str,
    at: usize,
    ch: u8,
    open_count: usize,
    pairs: &[(usize, usize)],
) -> Diagnostic {
    let span = |s: usize, e: usize| Span::new(file, s, e);
    // A `}` that is less indented than the line of the `{` it closed probably belongs to an outer block: the
    // block it closed is the one missing its own `}`.
    let suspect = pairs.iter().find(|(open, close)| {
        let (open_indent, _) = indent_of(text, *open);
        let (close_indent, first) = indent_of(text, *close);
        first && close_indent < open_indent
    });
    let (at, ch) = match suspect {
        Some((open, _)) => (*open, b'{'),
        None => (at, ch),
    };
    let header = header_before(text, at);
    let mut d = Diagnostic::new(
        Code::UnclosedDelimiter,
        span(at, at + 1),
        match &header {
            Some(h) => format!("unclosed `{}` of `{h}`", ch as char),
            None => format!("unclosed `{}`", ch as char),
        },
    )
    .with_primary_label(format!("this `{}` is never closed", ch as char));
    if let Some((_, close)) = suspect {
        let outer = if open_count == 1 {
            "the enclosing block"
        } else {
            "an enclosing block"
        };
        d = d
            .with_label(
                span(*close, close + 1),
                format!("judging by indentation, this `}}` was meant to close {outer}"),
            )
            .with_help(format!("add `{}` where the block ends", closer(ch) as char));
    } else {
        d = d.with_help(format!("add `{}` where the block ends", closer(ch) as char));
    }
    d
}

/// The words before a `{` on its line, e.g. `slo availability`, for messages.
fn header_before(text: &str, at: usize) -> Option<String> {
    let line_start = text[..at].rfind('\n').map_or(0, |p| p + 1);
    let before = text[line_start..at].trim();
    let before = before.rsplit(['{', '}', '=']).next().unwrap_or("").trim();
    let words: Vec<&str> = before.split_whitespace().collect();
    (!words.is_empty()
        && words.len() <= 3
        && words.iter().all(|w| {
            w.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        }))
    .then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str) -> Option<Diagnostic> {
        scan(FileId(0), text).diagnostics.into_iter().next()
    }

    #[test]
    fn comments_skip_strings_and_promql() {
        let s = scan(FileId(0), "a = \"#x\" # c1\nb = `x # y` #c2");
        assert_eq!(s.comments, vec![(9, 13), (26, 29)]);
        assert!(s.diagnostics.is_empty());
    }

    #[test]
    fn unclosed_brace_points_at_the_block_missing_it() {
        let text = "service a {\n  slo x {\n    sli = y\n}\n";
        let d = first(text).unwrap();
        assert_eq!(d.code, Code::UnclosedDelimiter);
        assert_eq!(d.message, "unclosed `{` of `slo x`");
        assert_eq!(d.primary.span.start as usize, text.find("x {").unwrap() + 2);
    }

    #[test]
    fn depth_is_bounded() {
        let text = "[".repeat(10_000);
        assert_eq!(first(&text).unwrap().code, Code::NestingTooDeep);
    }

    #[test]
    fn strays_and_mismatches() {
        assert_eq!(first("}").unwrap().message, "unexpected `}`");
        assert!(first("{ ]").unwrap().message.starts_with("mismatched"));
        assert_eq!(first("a = \"x\n").unwrap().message, "unterminated string");
        assert_eq!(
            first("a = `x").unwrap().message,
            "unterminated PromQL query"
        );
    }
}
