//! Typed access to the attributes of one block, with the diagnostics for everything that can be wrong about
//! them: unknown keys and blocks (with suggestions), duplicates, missing required keys, values of the wrong
//! kind or unit (saying what was expected and how to write it).

use super::types::Spanned;
use super::units::Duration;
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::source::Span;
use crate::syntax::ast::{Attribute, Block, Entry, MapEntry, Matcher, Value, ValueKind};
use rust_decimal::Decimal;

/// The attributes of a block, checked against the keys it may have.
pub struct Fields<'a> {
    pub block: &'a Block,
    /// `slo availability`, for messages.
    pub what: String,
    attrs: Vec<&'a Attribute>,
    /// Keys suggested for misspelt keys: a missing key that was probably misspelt is not reported twice.
    suggested: Vec<String>,
}

/// What may appear in a block.
pub struct Shape<'s> {
    pub keys: &'s [&'s str],
    pub blocks: &'s [&'s str],
    /// Whether `require` / `freeze` statements are allowed (gates only).
    pub statements: bool,
}

impl<'a> Fields<'a> {
    /// Checks the block's entries against `shape`, reporting unknown and duplicate keys.
    pub fn new(block: &'a Block, shape: &Shape<'_>, diags: &mut Vec<Diagnostic>) -> Fields<'a> {
        let what = match &block.label {
            Some(l) => format!("{} {}", block.kind.name, l.name),
            None => block.kind.name.clone(),
        };
        let mut attrs: Vec<&Attribute> = Vec::new();
        let mut suggested = Vec::new();
        for entry in &block.entries {
            match entry {
                Entry::Attribute(a) => {
                    if !shape.keys.contains(&a.key.name.as_str()) {
                        suggested.extend(
                            crate::diag::suggest(&a.key.name, shape.keys.iter().copied())
                                .map(str::to_string),
                        );
                        diags.push(unknown_key(a, &what, &block.kind.name, shape));
                    } else if let Some(first) = attrs.iter().find(|f| f.key.name == a.key.name) {
                        diags.push(
                            Diagnostic::new(
                                Code::DuplicateKey,
                                a.key.span,
                                format!("`{}` is set twice in `{what}`", a.key.name),
                            )
                            .with_primary_label("set again here")
                            .with_label(first.key.span, "first set here")
                            .with_help("remove one of them"),
                        );
                    } else {
                        attrs.push(a);
                    }
                }
                Entry::Block(b) if !shape.blocks.contains(&b.kind.name.as_str()) => {
                    diags.push(unknown_block(b, &what, shape));
                }
                Entry::Require(r) if !shape.statements => diags.push(
                    Diagnostic::new(
                        Code::UnknownKey,
                        r.span,
                        format!("`require` is not allowed in `{what}`"),
                    )
                    .with_primary_label("a gate statement")
                    .with_help("`require` and `freeze` statements belong in a `gate` block"),
                ),
                Entry::Freeze(f) if !shape.statements => diags.push(
                    Diagnostic::new(
                        Code::UnknownKey,
                        f.span,
                        format!("`freeze` is not allowed in `{what}`"),
                    )
                    .with_primary_label("a gate statement")
                    .with_help("`require` and `freeze` statements belong in a `gate` block"),
                ),
                _ => {}
            }
        }
        Fields {
            block,
            what,
            attrs,
            suggested,
        }
    }

    /// The nested blocks of a kind.
    pub fn blocks(&self, kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.block.entries.iter().filter_map(move |e| match e {
            Entry::Block(b) if b.kind.name == kind => Some(b),
            _ => None,
        })
    }

    pub fn get(&self, key: &str) -> Option<&'a Attribute> {
        self.attrs.iter().copied().find(|a| a.key.name == key)
    }

    /// Whether the key is present (even with an invalid value).
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Reports `key` as missing when absent; returns whether it is present.
    pub fn require(&self, key: &str, example: &str, diags: &mut Vec<Diagnostic>) -> bool {
        if self.has(key) {
            return true;
        }
        if self.suggested.iter().any(|s| s == key) {
            return false; // reported as a misspelling already
        }
        diags.push(
            Diagnostic::new(
                Code::MissingKey,
                self.block.header_span(),
                format!("`{}` has no `{key}`", self.what),
            )
            .with_primary_label(format!("`{key}` is required here"))
            .with_help(format!("add `{key} = {example}`")),
        );
        false
    }

    /// A typed value: `None` when absent or invalid (invalid values are reported).
    fn typed<T>(
        &self,
        key: &str,
        expected: &str,
        diags: &mut Vec<Diagnostic>,
        convert: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Option<Spanned<T>> {
        let a = self.get(key)?;
        if matches!(a.value.kind, ValueKind::Invalid) {
            return None;
        }
        match convert(&a.value) {
            Some(v) => Some(Spanned::new(v, a.value.span)),
            None => {
                diags.push(wrong_type(key, expected, &a.value));
                None
            }
        }
    }

    pub fn string(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<Spanned<String>> {
        self.typed(key, "a string", diags, |v| match &v.kind {
            ValueKind::Str(s) => Some(s.clone()),
            _ => None,
        })
    }

    pub fn promql(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<Spanned<String>> {
        self.typed(key, "a PromQL query", diags, |v| match &v.kind {
            ValueKind::Promql(s) => Some(s.clone()),
            _ => None,
        })
    }

    pub fn ident(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<Spanned<String>> {
        self.typed(key, "a name", diags, |v| match &v.kind {
            ValueKind::Ident(s) => Some(s.clone()),
            _ => None,
        })
    }

    pub fn duration(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<Spanned<Duration>> {
        let d = self.typed(key, "a duration", diags, duration_of)?;
        if d.value.millis == 0 {
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    d.span,
                    format!("`{key}` must be longer than zero"),
                )
                .with_primary_label("zero duration"),
            );
            return None;
        }
        Some(d)
    }

    /// A percentage, returned as a ratio (99.9% → 0.999).
    pub fn percent(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<Spanned<Decimal>> {
        self.typed(key, "a percentage", diags, |v| match &v.kind {
            ValueKind::Percent(p) => Some(*p / Decimal::ONE_HUNDRED),
            _ => None,
        })
    }

    pub fn number(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<Spanned<Decimal>> {
        self.typed(key, "a number", diags, |v| match &v.kind {
            ValueKind::Number(n) => Some(*n),
            _ => None,
        })
    }

    /// A rate, in events per second.
    pub fn rate(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<Spanned<Decimal>> {
        self.typed(key, "a rate", diags, |v| match &v.kind {
            ValueKind::Rate { amount, per } => {
                Some(*amount * Decimal::from(1000) / Decimal::from(per.millis()))
            }
            _ => None,
        })
    }

    pub fn ident_list(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Vec<Spanned<String>> {
        self.list(key, "a name", diags, |v| match &v.kind {
            ValueKind::Ident(s) => Some(s.clone()),
            _ => None,
        })
    }

    pub fn string_list(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Vec<Spanned<String>> {
        self.list(key, "a string", diags, |v| match &v.kind {
            ValueKind::Str(s) => Some(s.clone()),
            _ => None,
        })
    }

    fn list<T>(
        &self,
        key: &str,
        expected: &str,
        diags: &mut Vec<Diagnostic>,
        convert: impl Fn(&Value) -> Option<T>,
    ) -> Vec<Spanned<T>> {
        let Some(a) = self.get(key) else {
            return Vec::new();
        };
        let items = match &a.value.kind {
            ValueKind::List(items) => items,
            ValueKind::Invalid => return Vec::new(),
            _ => {
                diags.push(wrong_type(key, "a list", &a.value));
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for item in items {
            if matches!(item.kind, ValueKind::Invalid) {
                continue;
            }
            match convert(item) {
                Some(v) => out.push(Spanned::new(v, item.span)),
                None => diags.push(
                    wrong_type(&format!("{key}` item `"), expected, item)
                        .with_help_opt(Some(format!("every item of `{key}` must be {expected}"))),
                ),
            }
        }
        out
    }

    /// A `{ key = "value" }` map of strings.
    pub fn string_map(
        &self,
        key: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<(Spanned<String>, Spanned<String>)> {
        let Some(a) = self.get(key) else {
            return Vec::new();
        };
        let entries: &Vec<MapEntry> = match &a.value.kind {
            ValueKind::Map(m) => m,
            ValueKind::Invalid => return Vec::new(),
            _ => {
                diags.push(wrong_type(
                    key,
                    "a map like `{ team = \"payments\" }`",
                    &a.value,
                ));
                return Vec::new();
            }
        };
        let mut out: Vec<(Spanned<String>, Spanned<String>)> = Vec::new();
        for e in entries {
            let value = match &e.value.kind {
                ValueKind::Str(s) => s.clone(),
                ValueKind::Number(n) => n.to_string(),
                ValueKind::Ident(s) => s.clone(),
                ValueKind::Invalid => continue,
                _ => {
                    diags.push(wrong_type(&e.key.value, "a string", &e.value));
                    continue;
                }
            };
            if let Some((first, _)) = out.iter().find(|(k, _)| k.value == e.key.value) {
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateKey,
                        e.key.span,
                        format!("`{}` is set twice in `{key}`", e.key.value),
                    )
                    .with_primary_label("set again here")
                    .with_label(first.span, "first set here"),
                );
                continue;
            }
            out.push((
                Spanned::new(e.key.value.clone(), e.key.span),
                Spanned::new(value, e.value.span),
            ));
        }
        out
    }

    /// The raw value of a key, for values with their own shape (classifiers, relative limits, workloads).
    pub fn value(&self, key: &str) -> Option<&'a Value> {
        self.get(key)
            .map(|a| &a.value)
            .filter(|v| !matches!(v.kind, ValueKind::Invalid))
    }

    pub fn classifier(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<&'a [Matcher]> {
        let v = self.value(key)?;
        match &v.kind {
            ValueKind::Classifier(m) => Some(m),
            _ => {
                diags.push(wrong_type(
                    key,
                    "a classifier like `message ~ \"^hotfix\" or trailer \"Toil: yes\"`",
                    v,
                ));
                None
            }
        }
    }
}

/// The duration of a value, if it is one.
pub fn duration_of(v: &Value) -> Option<Duration> {
    match &v.kind {
        ValueKind::Duration { amount, unit } => Some(Duration::from_millis(amount * unit.millis())),
        _ => None,
    }
}

/// "expected a duration for `window`, found a percentage `99.9%`" with a help on how to write it.
pub fn wrong_type(key: &str, expected: &str, found: &Value) -> Diagnostic {
    let help = match (&found.kind, expected) {
        (ValueKind::Number(n), "a percentage") => Some(super::intent::percent_for_number(*n)),
        (ValueKind::Number(n), "a duration") => Some(super::intent::duration_for_number(key, *n)),
        (ValueKind::Number(n), "a rate") => {
            Some(format!("write a rate with its unit, e.g. `{n}/s`"))
        }
        (ValueKind::Percent(p), "a number") => {
            Some(format!("write `{}` without `%`", p.normalize()))
        }
        (ValueKind::Ident(s), "a string") => Some(format!("quote it: `\"{s}\"`")),
        (ValueKind::Str(s), "a name") => Some(format!("names are written without quotes: `{s}`")),
        (ValueKind::Str(_), "a PromQL query") => {
            Some("PromQL is written between backticks: `sum(rate(x[$window]))`".into())
        }
        (ValueKind::Str(_), "a duration") => {
            Some("durations are written without quotes: `30d`".into())
        }
        _ => None,
    };
    Diagnostic::new(
        Code::WrongType,
        found.span,
        format!(
            "expected {expected} for `{key}`, found {}",
            found.kind.describe()
        ),
    )
    .with_primary_label(format!("expected {expected}"))
    .with_help_opt(help)
}

fn unknown_key(a: &Attribute, what: &str, kind: &str, shape: &Shape<'_>) -> Diagnostic {
    let name = &a.key.name;
    let d = Diagnostic::new(
        Code::UnknownKey,
        a.key.span,
        format!("unknown key `{name}` in `{what}`"),
    )
    .with_primary_label("unknown key");
    if shape.blocks.contains(&name.as_str()) {
        return d.with_help(format!(
            "`{name}` is a block: write `{name} {{ … }}` without `=`"
        ));
    }
    let help = did_you_mean(name, shape.keys.iter().copied()).unwrap_or_else(|| {
        if shape.keys.is_empty() {
            format!("a `{kind}` block has no attributes")
        } else {
            format!("the keys of a `{kind}` block are: {}", list(shape.keys))
        }
    });
    d.with_help(help)
}

fn unknown_block(b: &Block, what: &str, shape: &Shape<'_>) -> Diagnostic {
    let name = &b.kind.name;
    let d = Diagnostic::new(
        Code::UnknownBlock,
        b.kind.span,
        format!("unknown block `{name}` in `{what}`"),
    )
    .with_primary_label("unknown block");
    if shape.keys.contains(&name.as_str()) {
        return d.with_help(format!("`{name}` is an attribute: write `{name} = …`"));
    }
    let help = did_you_mean(name, shape.blocks.iter().copied()).unwrap_or_else(|| {
        if shape.blocks.is_empty() {
            format!("`{what}` has no nested blocks")
        } else {
            format!("blocks allowed here: {}", list(shape.blocks))
        }
    });
    d.with_help(help)
}

/// `a`, `b`, `c`
pub fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Span of the block's label, or of its kind when it has none.
pub fn name_span(b: &Block) -> Span {
    b.label.as_ref().map_or(b.kind.span, |l| l.span)
}
