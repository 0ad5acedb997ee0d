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

mod bounds;
mod locate;
pub use bounds::{bounds, MAX_QUERY_BYTES, MAX_QUERY_DEPTH, MAX_QUERY_DIGITS, MAX_QUERY_OPERATORS};
use locate::{content_start, find_fixed_range, syntax_error};

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
