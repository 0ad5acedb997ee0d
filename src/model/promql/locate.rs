//! Where in the `.slo` file a PromQL problem is: promql-parser's messages carry no positions, so the position is
//! found from the fragment a message quotes, from a bracket or quote that does not balance, or from a fixed
//! range where `$window` belongs; offsets in the filled text (`$window` → `5m`) are mapped back.

use super::{PLACEHOLDER, SAMPLE};
use crate::diag::{Code, Diagnostic};
use crate::model::types::Query;
use crate::source::Span;

/// Byte offset of the query's content (after the opening backtick).
pub(super) fn content_start(q: &Query) -> usize {
    q.span.start as usize + 1
}

/// Maps an offset in the filled text back to the original query text.
fn unfill_offset(original: &str, filled_offset: usize) -> usize {
    let shift = PLACEHOLDER.len() - SAMPLE.len();
    let mut mapped = filled_offset;
    let mut filled_pos = 0;
    let mut orig_pos = 0;
    for (i, _) in original.match_indices(PLACEHOLDER) {
        let filled_at = filled_pos + (i - orig_pos);
        if filled_at >= filled_offset {
            break;
        }
        mapped += shift;
        filled_pos = filled_at + SAMPLE.len();
        orig_pos = i + PLACEHOLDER.len();
    }
    mapped.min(original.len())
}

/// A `[5m]`-style literal range in a query, for the missing-placeholder help.
pub(super) fn find_fixed_range(text: &str) -> Option<(usize, usize)> {
    let start = text.find('[')?;
    let end = text[start..].find(']')? + start + 1;
    let inner = &text[start + 1..end - 1];
    (!inner.is_empty() && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == ':'))
        .then_some((start, end - start))
}

/// The fragment a promql-parser message quotes: `'x'`, `"x"`, or what follows the last `: `.
fn quoted_fragment(message: &str) -> Option<&str> {
    for q in ['\'', '"'] {
        if let Some(a) = message.find(q) {
            if let Some(b) = message[a + 1..].find(q) {
                let frag = &message[a + 1..a + 1 + b];
                if !frag.is_empty() {
                    return Some(frag);
                }
            }
        }
    }
    let tail = message.rsplit(": ").next()?;
    (tail.len() < message.len() && !tail.is_empty() && !tail.contains(' ')).then_some(tail)
}

pub(super) fn syntax_error(q: &Query, filled: &str, message: &str) -> Diagnostic {
    let content = content_start(q);
    let located = quoted_fragment(message)
        .and_then(|frag| filled.find(frag).map(|at| (at, frag.len())))
        .map(|(at, len)| {
            let start = unfill_offset(&q.text, at);
            let end = unfill_offset(&q.text, at + len)
                .max(start + 1)
                .min(q.text.len().max(start + 1));
            Span::new(q.span.file, content + start, content + end)
        });
    // The parser names no fragment: an unbalanced bracket or quote is found by scanning the query itself.
    let unbalanced = match located {
        Some(_) => None,
        None => unbalanced(&q.text).map(|(at, label)| {
            let width = q.text[at..].chars().next().map_or(1, char::len_utf8);
            (
                Span::new(q.span.file, content + at, content + at + width),
                label,
            )
        }),
    };
    let message = message.trim();
    let message = if message == "invalid promql query" {
        "invalid PromQL query".to_string()
    } else {
        format!("invalid PromQL: {message}")
    };
    let d = match (located, unbalanced) {
        (Some(at), _) => Diagnostic::new(Code::PromqlSyntax, at, message)
            .with_primary_label("here")
            .with_label(q.span, "in this query"),
        (None, Some((at, label))) => {
            Diagnostic::new(Code::PromqlSyntax, at, message).with_primary_label(label)
        }
        (None, None) => Diagnostic::new(Code::PromqlSyntax, q.span, message)
            .with_primary_label("this query does not parse"),
    };
    d.with_help("the query is parsed as PromQL after replacing `$window` with a range such as `5m`")
}

/// The first bracket that closes nothing or closes the wrong kind, else the innermost one never closed, else
/// an unterminated string: its offset and a label. Strings (`"…"`, `'…'`, `` `…` ``) are skipped.
fn unbalanced(text: &str) -> Option<(usize, &'static str)> {
    let mut stack: Vec<(usize, char)> = Vec::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                let mut closed = false;
                while let Some((_, d)) = chars.next() {
                    if d == '\\' && c != '`' {
                        chars.next();
                    } else if d == c {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Some((i, "this string is never closed"));
                }
            }
            '(' | '[' | '{' => stack.push((i, c)),
            ')' | ']' | '}' => {
                let want = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                match stack.pop() {
                    Some((_, open)) if open == want => {}
                    Some(_) => return Some((i, "this closes a different bracket")),
                    None => return Some((i, "this closes nothing")),
                }
            }
            _ => {}
        }
    }
    stack.pop().map(|(i, _)| (i, "this is never closed"))
}

#[cfg(test)]
mod tests {
    use super::super::{fill, prevalidate};
    use super::*;
    use promql_parser::parser::Expr;
    #[test]
    fn unbalanced_brackets_are_located() {
        use super::unbalanced;
        let q = r#"sum(rate(x{code!~"5.."}[$window])"#;
        assert_eq!(unbalanced(q), Some((3, "this is never closed")));
        assert_eq!(unbalanced("sum(x))"), Some((6, "this closes nothing")));
        assert_eq!(
            unbalanced("sum(x]"),
            Some((5, "this closes a different bracket"))
        );
        assert_eq!(unbalanced(r#"x{a="(b"}"#), None);
        assert_eq!(
            unbalanced(r#"x{a="b}"#),
            Some((4, "this string is never closed"))
        );
    }

    #[test]
    fn offsets_map_back_through_placeholders() {
        let original = "rate(a[$window]) / rate(b[$window]) @";
        let filled = fill(original, SAMPLE);
        let at = filled.find('@').unwrap();
        assert_eq!(unfill_offset(original, at), original.find('@').unwrap());
        assert_eq!(unfill_offset(original, 3), 3);
    }

    #[test]
    fn batches_are_split_back_into_their_queries() {
        let texts: Vec<String> = ["sum(rate(a[5m]))", "b_bucket{x=\"(\"}", "1"]
            .map(String::from)
            .to_vec();
        let p = prevalidate(&texts);
        assert_eq!(p.exprs.len(), 3);
        assert!(matches!(
            p.exprs["b_bucket{x=\"(\"}"],
            Expr::VectorSelector(_)
        ));
        // A query that escapes its parentheses is never trusted from a batch.
        let texts: Vec<String> = ["a) + (b", "c"].map(String::from).to_vec();
        assert!(prevalidate(&texts).exprs.is_empty());
        // A batch with a broken query falls back to parsing each alone.
        let texts: Vec<String> = ["sum(a", "c"].map(String::from).to_vec();
        assert!(prevalidate(&texts).exprs.is_empty());
    }

    #[test]
    fn fixed_ranges_are_found() {
        assert_eq!(find_fixed_range("rate(x[5m])"), Some((6, 4)));
        assert_eq!(find_fixed_range("x"), None);
    }
}
