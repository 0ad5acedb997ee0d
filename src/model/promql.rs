//! Checks the PromQL embedded in SLIs with the promql-parser crate, pointing errors inside the `.slo` file.
//!
//! Ratio queries carry a `$window` placeholder; it is replaced by `5m` before parsing and the offsets of the
//! parser's complaints are mapped back. promql-parser's messages carry no positions, so the position is found
//! from the fragment the message quotes; when there is none, the whole query is the span.

use super::types::Query;
use crate::diag::{Code, Diagnostic};
use crate::source::Span;
use promql_parser::parser::{self, value::ValueType, Expr};
use std::collections::HashMap;

/// Queries already parsed together (see [`prevalidate`]), by the text that was parsed.
#[derive(Default)]
pub struct Parsed {
    exprs: HashMap<String, Expr>,
}

impl Parsed {
    /// The expression of `text` if it was parsed, else parses it now.
    fn parse(&self, text: &str) -> Result<Expr, String> {
        match self.exprs.get(text) {
            Some(e) => Ok(e.clone()),
            None => parse_guarded(text),
        }
    }
}

thread_local! {
    /// Set while the PromQL parser runs under [`parse_guarded`]: its panics are expected and silenced.
    static IN_PARSER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The PromQL parser, with its panics turned into errors. promql-parser panics on some inputs (a range of
/// `[99999999999999999999s]` overflows its duration conversion); [`bounds`] refuses the known ones first, and
/// this is the net under them. The panic hook is chained once: panics elsewhere are reported as before.
pub fn parse_guarded(text: &str) -> Result<Expr, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_PARSER.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    IN_PARSER.with(|f| f.set(true));
    let result = std::panic::catch_unwind(|| parser::parse(text));
    IN_PARSER.with(|f| f.set(false));
    result.unwrap_or_else(|_| Err("the PromQL parser cannot handle this query".to_string()))
}

/// Parses many queries with one call of the PromQL parser.
///
/// promql-parser rebuilds its parse tables on every call, which costs far more than parsing a typical SLI
/// query; parsing `(q1) + (q2) + …` once is several times faster for a service's queries. The batch is only
/// trusted when its tree has exactly one parenthesised operand per query on a spine of `+`; queries whose
/// brackets do not balance on their own are left out, and when the batch fails to parse every query is
/// parsed alone (so errors are exactly those of the query itself).
pub fn prevalidate(texts: &[String]) -> Parsed {
    let usable: Vec<&String> = texts
        .iter()
        .filter(|t| balanced(t) && bounds(t).is_ok())
        .collect();
    let mut out = Parsed::default();
    // Batches stay small: a long `+` chain is a deep tree, and the parser's cost grows faster than its length.
    for chunk in usable.chunks(BATCH) {
        out.exprs.extend(parse_batch(chunk));
    }
    out
}

/// Queries parsed together in one call.
const BATCH: usize = 64;

fn parse_batch(batch: &[&String]) -> HashMap<String, Expr> {
    let mut out = HashMap::new();
    if batch.len() < 2 {
        return out;
    }
    let combined = batch
        .iter()
        .map(|t| format!("(\n{t}\n)"))
        .collect::<Vec<_>>()
        .join("\n+\n");
    let Ok(expr) = parse_guarded(&combined) else {
        return out;
    };
    let mut leaves = Vec::with_capacity(batch.len());
    let mut cur = &expr;
    loop {
        match cur {
            Expr::Binary(b) if b.op.to_string() == "+" && b.modifier.is_none() => {
                leaves.push(&*b.rhs);
                cur = &b.lhs;
            }
            other => {
                leaves.push(other);
                break;
            }
        }
    }
    leaves.reverse();
    if leaves.len() != batch.len() {
        return out;
    }
    for (text, leaf) in batch.iter().zip(leaves) {
        let Expr::Paren(p) = leaf else {
            return HashMap::new();
        };
        out.insert((*text).clone(), (*p.expr).clone());
    }
    out
}

/// Largest embedded query, in bytes (real SLI queries are a few hundred).
pub const MAX_QUERY_BYTES: usize = 4096;
/// Deepest nesting of `(`, `[` and `{` in a query.
pub const MAX_QUERY_DEPTH: usize = 32;
/// Longest run of digits in a number of a query: more is never a real range, offset or threshold, and
/// overflows the PromQL parser's duration arithmetic.
pub const MAX_QUERY_DIGITS: usize = 11;
/// Most operators (arithmetic, comparison, `and`/`or`/`unless`, unary signs) in a query.
pub const MAX_QUERY_OPERATORS: usize = 128;

/// Whether a query is small and shallow enough to hand to the PromQL parser, whose recursion and running time
/// are not bounded on their own (20,000 nested `(` overflow the stack; 40,000 `+` terms take seconds). Returns
/// the offset and length of the first thing over a limit, with the message.
pub fn bounds(text: &str) -> Result<(), (usize, usize, String)> {
    if text.len() > MAX_QUERY_BYTES {
        return Err((
            0,
            text.len(),
            format!(
                "query is {} bytes long; embedded queries are limited to {MAX_QUERY_BYTES}",
                text.len()
            ),
        ));
    }
    let bytes = text.as_bytes();
    let (mut depth, mut operators) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'"' | b'\'' | b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != c {
                    i += if bytes[i] == b'\\' && c != b'`' { 2 } else { 1 };
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_QUERY_DEPTH {
                    return Err((
                        i,
                        1,
                        format!("query nests deeper than {MAX_QUERY_DEPTH} levels of brackets"),
                    ));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'0'..=b'9' if i == 0 || !is_word(bytes[i - 1]) => {
                let run = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                if run > MAX_QUERY_DIGITS {
                    return Err((
                        i,
                        run,
                        format!("query has a number of {run} digits; at most {MAX_QUERY_DIGITS} are allowed"),
                    ));
                }
                i += run - 1;
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'<' | b'>' => operators += 1,
            b'=' if bytes.get(i + 1) == Some(&b'=') => operators += 1,
            b'a' | b'o' | b'u' => {
                let word_start = i == 0 || !is_word(bytes[i - 1]);
                let rest = &text[i..];
                let word = ["and", "or", "unless"].into_iter().find(|w| {
                    rest.starts_with(w) && !bytes.get(i + w.len()).is_some_and(|&b| is_word(b))
                });
                if let (true, Some(w)) = (word_start, word) {
                    operators += 1;
                    i += w.len() - 1;
                }
            }
            _ => {}
        }
        if operators > MAX_QUERY_OPERATORS {
            return Err((
                i,
                1,
                format!("query has more than {MAX_QUERY_OPERATORS} operators"),
            ));
        }
        i += 1;
    }
    Ok(())
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b':'
}

/// The diagnostic for a query over a limit of [`bounds`].
fn too_complex(q: &Query, at: usize, len: usize, message: String) -> Diagnostic {
    let content = content_start(q);
    let start = (content + at).min(q.span.end as usize);
    let end = (start + len.max(1)).min(q.span.end as usize).max(start);
    Diagnostic::new(
        Code::QueryTooComplex,
        Span::new(q.span.file, start, end),
        message,
    )
    .with_primary_label("over the limit")
    .with_help(format!(
        "SLI queries are limited to {MAX_QUERY_BYTES} bytes, {MAX_QUERY_DEPTH} nested brackets and \
         {MAX_QUERY_OPERATORS} operators; record a complex expression with a recording rule and select its result"
    ))
}

/// Whether `(`, `[` and `{` balance outside quoted strings and comments.
fn balanced(text: &str) -> bool {
    let mut depth: i64 = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                let mut escaped = false;
                for d in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if d == '\\' && c != '`' {
                        escaped = true;
                    } else if d == c {
                        break;
                    }
                }
            }
            '#' => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

pub const PLACEHOLDER: &str = "$window";
const SAMPLE: &str = "5m";

/// The text that is parsed for a ratio query (`$window` filled) or a histogram (as written).
pub fn parse_text(text: &str, ratio: bool) -> String {
    if ratio {
        fill(text, SAMPLE)
    } else {
        text.to_string()
    }
}

/// The query with `$window` replaced by `range`.
pub fn fill(text: &str, range: &str) -> String {
    text.replace(PLACEHOLDER, range)
}

/// Validates a ratio query; returns false (with diagnostics) when it is unusable.
pub fn check_ratio_query(q: &Query, parsed: &Parsed, diags: &mut Vec<Diagnostic>) -> bool {
    if let Err((at, len, message)) = bounds(&q.text) {
        diags.push(too_complex(q, at, len, message));
        return false;
    }
    let content = content_start(q);
    // Placeholders other than `$window` are typos.
    let mut ok = true;
    for (i, _) in q.text.match_indices('$') {
        let word: String = q.text[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if word != "window" {
            let span = Span::new(q.span.file, content + i, content + i + 1 + word.len());
            diags.push(
                Diagnostic::new(
                    Code::PromqlSyntax,
                    span,
                    format!("unknown placeholder `${word}`"),
                )
                .with_primary_label("only `$window` is replaced")
                .with_help("write `$window` where the range goes: `[$window]`"),
            );
            ok = false;
        }
    }
    if !ok {
        return false;
    }
    if !q.text.contains(PLACEHOLDER) {
        let mut d = Diagnostic::new(
            Code::MissingWindowPlaceholder,
            q.span,
            "ratio SLI query has no `$window` placeholder",
        )
        .with_primary_label("evaluated over many windows, but its range is fixed");
        d = match find_fixed_range(&q.text) {
            Some((at, len)) => {
                let span = Span::new(q.span.file, content + at, content + at + len);
                d.with_label(span, "this range never changes")
                    .with_help(format!(
                        "replace `{}` with `[$window]`",
                        &q.text[at..at + len]
                    ))
            }
            None => d.with_help("use `$window` where the range goes: `sum(rate(metric[$window]))`"),
        };
        diags.push(d);
        return false;
    }
    let filled = fill(&q.text, SAMPLE);
    match parsed.parse(&filled) {
        Err(message) => {
            diags.push(syntax_error(q, &filled, &message));
            false
        }
        Ok(expr) => match expr.value_type() {
            ValueType::Vector | ValueType::Scalar => true,
            other => {
                let help = if other == ValueType::Matrix {
                    "a range vector cannot be divided; wrap it in `rate(…)` or `increase(…)` and aggregate with `sum(…)`"
                } else {
                    "an SLI query must return numbers: an instant vector"
                };
                diags.push(
                    Diagnostic::new(
                        Code::PromqlSyntax,
                        q.span,
                        format!("SLI query returns a {other}, expected an instant vector"),
                    )
                    .with_primary_label(format!("{other} result"))
                    .with_help(help),
                );
                false
            }
        },
    }
}

/// Validates a latency SLI's histogram: a plain `_bucket` selector.
pub fn check_histogram(q: &Query, parsed: &Parsed, diags: &mut Vec<Diagnostic>) -> bool {
    if let Err((at, len, message)) = bounds(&q.text) {
        diags.push(too_complex(q, at, len, message));
        return false;
    }
    let expr = match parsed.parse(&q.text) {
        Ok(e) => e,
        Err(message) => {
            diags.push(syntax_error(q, &q.text, &message));
            return false;
        }
    };
    let problem = match &expr {
        Expr::VectorSelector(vs) => match &vs.name {
            Some(name) if name.ends_with("_bucket") => {
                if vs.offset.is_some() || vs.at.is_some() {
                    Some("the selector has an `offset` or `@` modifier".to_string())
                } else if !q.text.trim_start().starts_with(name.as_str()) {
                    Some(format!(
                        "write the metric name before the braces: `{name}{{…}}`"
                    ))
                } else if vs.matchers.matchers.iter().any(|m| m.name == "le") {
                    Some("the selector already matches `le`; slogate adds the bucket of `under` itself".to_string())
                } else {
                    None
                }
            }
            Some(name) => Some(format!(
                "`{name}` is not a histogram bucket metric (its name must end in `_bucket`)"
            )),
            None => Some("the selector names no metric".to_string()),
        },
        Expr::MatrixSelector(_) => {
            Some("the selector has a range; slogate adds the ranges itself".to_string())
        }
        _ => Some("a histogram must be a plain series selector, not an expression".to_string()),
    };
    match problem {
        None => true,
        Some(message) => {
            diags.push(
                Diagnostic::new(Code::InvalidHistogram, q.span, message)
                    .with_primary_label("expected `metric_bucket{labels}`")
                    .with_help("e.g. `http_request_duration_seconds_bucket{job=\"api\"}`; slogate derives `_count` and `le` from it"),
            );
            false
        }
    }
}

/// Byte offset of the query's content (after the opening backtick).
fn content_start(q: &Query) -> usize {
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
fn find_fixed_range(text: &str) -> Option<(usize, usize)> {
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

fn syntax_error(q: &Query, filled: &str, message: &str) -> Diagnostic {
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

    use super::*;

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

#[cfg(test)]
mod bound_tests {
    use super::*;

    #[test]
    fn hostile_queries_are_refused_before_parsing_and_real_ones_pass() {
        let real = r#"sum(rate(http_requests_total{job="checkout",code!~"5.."}[5m])) or vector(0)"#;
        assert!(bounds(real).is_ok());
        let deep = format!("{}x{}", "(".repeat(20_000), ")".repeat(20_000));
        assert!(bounds(&deep).is_err());
        assert!(bounds("sum(rate(x[99999999999999999999s]))").is_err());
        assert!(bounds("sum(rate(x[5m])) > 0.00000000001").is_ok());
        assert!(bounds("sum(rate(x[5m] @ 1609746000))").is_ok());
        assert!(parse_guarded("sum(rate(x[99999999999999999999s]))").is_err());
        let unary = format!("{}1", "-".repeat(20_000));
        assert!(bounds(&unary).is_err());
        let chain = vec!["a"; 40_000].join("+");
        assert!(bounds(&chain).is_err());
        // Strings and comments do not count.
        let quoted = format!("x{{a=\"{}\"}}", "((((+++".repeat(100));
        assert!(bounds(&quoted).is_ok());
        // `or`/`and`/`unless` count as words only.
        assert_eq!(
            bounds("order_total or unless_total").map_err(|e| e.2),
            Ok(())
        );
        let ors = vec!["a"; 200].join(" or ");
        assert!(bounds(&ors).is_err());
    }

    #[test]
    fn large_batches_are_parsed_in_chunks() {
        let texts: Vec<String> = (0..200).map(|i| format!("metric_{i}")).collect();
        let p = prevalidate(&texts);
        assert_eq!(p.exprs.len(), 200);
    }
}
