//! pest → AST. The only module that sees pest's types: it lowers pairs into [`ast`](super::ast) nodes with
//! spans, and turns the grammar's `bad_*` rules (mistakes the grammar accepts on purpose) into diagnostics.

use super::ast::*;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use pest::iterators::Pair;
use pest::Parser as _;
use rust_decimal::Decimal;
use std::str::FromStr;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/slo.pest"]
pub(super) struct SloParser;

/// Parses `text` with pest and lowers it; on a pest error returns the error diagnostic.
pub(super) fn parse_file(
    file: FileId,
    text: &str,
) -> Result<(File, Vec<Diagnostic>), Box<Diagnostic>> {
    let mut pairs =
        SloParser::parse(Rule::file, text).map_err(|e| super::errors::convert(file, text, e))?;
    let root = pairs
        .next()
        .expect("the file rule always produces one pair");
    let mut lower = Lower {
        file,
        text,
        diags: Vec::new(),
    };
    let span = lower.span(&root);
    let mut items = Vec::new();
    for pair in root.into_inner() {
        match pair.as_rule() {
            Rule::use_decl => {
                let span = lower.span(&pair);
                let s = children(pair).next().expect("use has a path");
                items.push(Item::Use(Use {
                    path: lower.string(s),
                    span,
                }));
            }
            Rule::block => items.push(Item::Block(lower.block(pair))),
            Rule::attribute | Rule::bad_attribute => {
                if let Some(a) = lower.attribute(pair) {
                    items.push(Item::Attribute(a));
                }
            }
            Rule::bad_stray => lower.stray(pair),
            Rule::EOI => {}
            r => unreachable!("unexpected top-level rule {r:?}"),
        }
    }
    Ok((File { items, span }, lower.diags))
}

struct Lower<'a> {
    file: FileId,
    text: &'a str,
    diags: Vec<Diagnostic>,
}

impl Lower<'_> {
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    fn ident(&self, pair: Pair<Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn string(&self, pair: Pair<Rule>) -> Str {
        let span = self.span(&pair);
        let inner = pair.into_inner().next().map_or("", |p| p.as_str());
        Str {
            value: unescape(inner),
            span,
        }
    }

    fn block(&mut self, pair: Pair<Rule>) -> Block {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let kind = self.ident(inner.next().expect("block kind"));
        let mut label = None;
        let mut open = span;
        let mut close = span;
        let mut entries = Vec::new();
        for p in inner {
            match p.as_rule() {
                Rule::block_label => {
                    label = Some(self.ident(p.into_inner().next().expect("label")));
                }
                Rule::open_brace => open = self.span(&p),
                Rule::close_brace => close = self.span(&p),
                Rule::block => entries.push(Entry::Block(self.block(p))),
                Rule::attribute | Rule::bad_attribute => {
                    if let Some(a) = self.attribute(p) {
                        entries.push(Entry::Attribute(a));
                    }
                }
                Rule::require_stmt => {
                    let span = self.span(&p);
                    let c = children(p).next().expect("condition");
                    if let Some(condition) = self.condition(c) {
                        entries.push(Entry::Require(Require { condition, span }));
                    }
                }
                Rule::freeze_stmt => {
                    let span = self.span(&p);
                    let mut it = children(p);
                    let c = it.next().expect("condition");
                    let except = it.map(|i| self.ident(i)).collect();
                    if let Some(condition) = self.condition(c) {
                        entries.push(Entry::Freeze(Freeze {
                            condition,
                            except,
                            span,
                        }));
                    }
                }
                Rule::bad_stray => self.stray(p),
                r => unreachable!("unexpected rule in block: {r:?}"),
            }
        }
        Block {
            kind,
            label,
            entries,
            open,
            close,
            span,
        }
    }

    fn attribute(&mut self, pair: Pair<Rule>) -> Option<Attribute> {
        let span = self.span(&pair);
        let bad = pair.as_rule() == Rule::bad_attribute;
        let mut inner = pair.into_inner();
        let key = self.ident(inner.next().expect("key"));
        if bad {
            self.diags.push(
                Diagnostic::new(
                    Code::Syntax,
                    key.span,
                    format!("expected `=` after `{}`, found `:`", key.name),
                )
                .with_primary_label("attributes are written `key = value`")
                .with_help(format!("write `{} = …`", key.name)),
            );
        }
        let value = self.value(inner.next().expect("value"));
        Some(Attribute { key, value, span })
    }

    fn stray(&mut self, pair: Pair<Rule>) {
        let span = self.span(&pair);
        let text = pair.as_str();
        let (message, help) = match text {
            "=" => (
                "unexpected `=`".to_string(),
                "an attribute is `key = value` on one line; is the value of the previous attribute missing?",
            ),
            ":" => (
                "unexpected `:`".to_string(),
                "attributes are written `key = value`",
            ),
            ";" | "," => (
                format!("unexpected `{text}`"),
                "entries of a block are separated by whitespace or newlines, not by `;` or `,`",
            ),
            _ => (
                format!("unexpected {}", describe_token(text)),
                "a block contains `key = value` attributes, nested blocks, and (in gates) `require` and `freeze` statements",
            ),
        };
        self.diags.push(
            Diagnostic::new(Code::Syntax, span, message)
                .with_primary_label("not expected here")
                .with_help(help),
        );
    }

    fn condition(&mut self, pair: Pair<Rule>) -> Option<Condition> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let metric_pair = inner.next().expect("metric");
        let mut m = metric_pair.into_inner();
        let metric = self.ident(m.next().expect("metric name"));
        let args: Vec<Value> = m.map(|a| self.value(a)).collect();
        // `budget` and `budget()` differ: keep whether parentheses were written.
        let has_parens = self.text_after(metric.span).trim_start().starts_with('(');
        let op_pair = inner.next().expect("operator");
        let op_span = self.span(&op_pair);
        let op = match op_pair.as_str() {
            ">=" => CmpOp::Ge,
            ">" => CmpOp::Gt,
            "<=" => CmpOp::Le,
            "<" => CmpOp::Lt,
            "==" => CmpOp::Eq,
            "!=" => CmpOp::Ne,
            _ => {
                self.diags.push(
                    Diagnostic::new(Code::Syntax, op_span, "expected a comparison, found `=`")
                        .with_primary_label("`=` assigns; conditions compare")
                        .with_help("use one of `>=`, `>`, `<=`, `<`, `==`, `!=`"),
                );
                CmpOp::Eq
            }
        };
        let value = self.value(inner.next().expect("value"));
        Some(Condition {
            metric,
            args: has_parens.then_some(args),
            op,
            op_span,
            value,
            span,
        })
    }

    /// The source text after a span.
    fn text_after(&self, span: Span) -> &str {
        self.text.get(span.end as usize..).unwrap_or("")
    }

    fn value(&mut self, pair: Pair<Rule>) -> Value {
        let span = self.span(&pair);
        let text = pair.as_str();
        let kind = match pair.as_rule() {
            Rule::number => match self.bounded(text, span) {
                Some(d) => ValueKind::Number(d),
                None => ValueKind::Invalid,
            },
            Rule::percent => match self.bounded(&text[..text.len() - 1], span) {
                Some(d) => ValueKind::Percent(d),
                None => ValueKind::Invalid,
            },
            Rule::duration => {
                let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
                let unit = DurationUnit::parse(&text[digits.len()..]).expect("grammar unit");
                match digits.parse::<u64>() {
                    Ok(amount)
                        if amount
                            .checked_mul(unit.millis())
                            .is_some_and(|ms| ms <= MAX_DURATION_MS) =>
                    {
                        ValueKind::Duration { amount, unit }
                    }
                    _ => {
                        self.diags.push(
                            Diagnostic::new(
                                Code::InvalidValue,
                                span,
                                format!("duration `{text}` is too large"),
                            )
                            .with_primary_label("out of range")
                            .with_help("durations are limited to 100 years (`36500d`)"),
                        );
                        ValueKind::Invalid
                    }
                }
            }
            Rule::rate => {
                let (n, unit) = text.split_once('/').expect("grammar rate");
                match self.bounded(n, span) {
                    Some(amount) => ValueKind::Rate {
                        amount,
                        per: DurationUnit::parse(unit).expect("grammar rate unit"),
                    },
                    None => ValueKind::Invalid,
                }
            }
            Rule::bad_unit => {
                self.bad_unit(span, text);
                ValueKind::Invalid
            }
            Rule::relative => {
                let mut it = pair.into_inner();
                let factor = self.bounded(it.next().expect("factor").as_str(), span);
                let base = self.ident(it.next().expect("base"));
                match factor {
                    Some(factor) => ValueKind::Relative { factor, base },
                    None => ValueKind::Invalid,
                }
            }
            Rule::string => ValueKind::Str(self.string(pair).value),
            Rule::promql => ValueKind::Promql(
                pair.into_inner()
                    .next()
                    .map_or(String::new(), |p| p.as_str().to_string()),
            ),
            Rule::ident => ValueKind::Ident(text.to_string()),
            Rule::workload_ref => {
                ValueKind::Workload(text.split('/').map(str::to_string).collect())
            }
            Rule::list => ValueKind::List(pair.into_inner().map(|p| self.value(p)).collect()),
            Rule::map => ValueKind::Map(
                pair.into_inner()
                    .map(|e| {
                        let mut it = e.into_inner();
                        let k = it.next().expect("map key");
                        let key = if k.as_rule() == Rule::string {
                            self.string(k)
                        } else {
                            Str {
                                value: k.as_str().to_string(),
                                span: self.span(&k),
                            }
                        };
                        let value = self.value(it.next().expect("map value"));
                        MapEntry { key, value }
                    })
                    .collect(),
            ),
            Rule::classifier => ValueKind::Classifier(
                children(pair)
                    .map(|m| {
                        let mut it = children(m);
                        let first = it.next().expect("matcher");
                        if first.as_rule() == Rule::match_field {
                            let field = self.ident(first);
                            let pattern = self.string(it.next().expect("pattern"));
                            Matcher::Field { field, pattern }
                        } else {
                            Matcher::Trailer(self.string(first))
                        }
                    })
                    .collect(),
            ),
            r => unreachable!("unexpected value rule {r:?}"),
        };
        Value { kind, span }
    }

    /// A number of the policy, or a `number-too-large` diagnostic.
    fn bounded(&mut self, text: &str, span: Span) -> Option<Decimal> {
        let d = decimal(text);
        if d.is_none() {
            self.diags.push(
                Diagnostic::new(
                    Code::NumberTooLarge,
                    span,
                    format!("number `{text}` is too large"),
                )
                .with_primary_label("out of range")
                .with_help(format!(
                    "numbers in policies are limited to {MAX_NUMBER} (10^15) in magnitude"
                )),
            );
        }
        d
    }

    fn bad_unit(&mut self, span: Span, text: &str) {
        self.diags.push(super::hints::bad_unit(span, text));
    }
}

/// The children of a pair without keyword tokens.
fn children(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| {
        !matches!(
            p.as_rule(),
            Rule::kw_require
                | Rule::kw_freeze
                | Rule::kw_when
                | Rule::kw_except
                | Rule::kw_use
                | Rule::kw_or
                | Rule::kw_trailer
        )
    })
}

/// The largest magnitude of a number in a policy. Every figure a policy needs (objectives, factors, rates,
/// thresholds) is far smaller; the bound keeps all arithmetic on policy numbers (a product of a few of them and
/// window ratios) inside the exact decimal type, so it can never overflow.
pub const MAX_NUMBER: u64 = 1_000_000_000_000_000;

/// The longest duration in a policy: 100 years.
pub const MAX_DURATION_MS: u64 = 36_500 * 86_400_000;

fn decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .ok()
        .filter(|d| d.abs() <= Decimal::from(MAX_NUMBER))
}

/// `\"`, `\\`, `\n`, `\t` are escapes; any other backslash is kept, so regular expressions like `"\d+"` read
/// naturally.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// "`foo`", "a string", "end of file" — for messages about a token.
pub(super) fn describe_token(text: &str) -> String {
    match text.chars().next() {
        None => "end of file".to_string(),
        Some('"') => "a string".to_string(),
        Some('`') => "a PromQL query".to_string(),
        Some(c) if c.is_ascii_digit() => format!("the number `{text}`"),
        _ => format!("`{text}`"),
    }
}
