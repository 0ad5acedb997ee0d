//! The syntax tree: what the file says, with a span on every node, before any name is resolved or any unit is
//! checked. Produced by [`super::parse`], consumed by the model (resolution and typing) and the formatter.

use crate::source::Span;
use rust_decimal::Decimal;

/// A parsed file.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
    pub span: Span,
}

/// A top-level item.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Use(Use),
    Block(Block),
    Attribute(Attribute),
}

/// `use "path.slo"`
#[derive(Debug, Clone, PartialEq)]
pub struct Use {
    pub path: Str,
    pub span: Span,
}

/// A name with its span.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal with its unescaped value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Str {
    pub value: String,
    pub span: Span,
}

/// `kind label? { entries }`
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: Ident,
    pub label: Option<Ident>,
    pub entries: Vec<Entry>,
    pub open: Span,
    pub close: Span,
    pub span: Span,
}

impl Block {
    /// The block's header (`service checkout`) for labels.
    pub fn header_span(&self) -> Span {
        self.kind
            .span
            .to(self.label.as_ref().map_or(self.kind.span, |l| l.span))
    }
}

/// One entry of a block body.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Attribute(Attribute),
    Block(Block),
    Require(Require),
    Freeze(Freeze),
}

impl Entry {
    pub fn span(&self) -> Span {
        match self {
            Entry::Attribute(a) => a.span,
            Entry::Block(b) => b.span,
            Entry::Require(r) => r.span,
            Entry::Freeze(f) => f.span,
        }
    }
}

/// `key = value`
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub key: Ident,
    pub value: Value,
    pub span: Span,
}

/// `require metric(args) op value`
#[derive(Debug, Clone, PartialEq)]
pub struct Require {
    pub condition: Condition,
    pub span: Span,
}

/// `freeze when condition except a, b`
#[derive(Debug, Clone, PartialEq)]
pub struct Freeze {
    pub condition: Condition,
    pub except: Vec<Ident>,
    pub span: Span,
}

/// `metric(args) op value`
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub metric: Ident,
    pub args: Option<Vec<Value>>,
    pub op: CmpOp,
    pub op_span: Span,
    pub value: Value,
    pub span: Span,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Ge,
    Gt,
    Le,
    Lt,
    Eq,
    Ne,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Ge => ">=",
            CmpOp::Gt => ">",
            CmpOp::Le => "<=",
            CmpOp::Lt => "<",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }
}

/// A value with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

/// Duration units as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Ms,
    S,
    M,
    H,
    D,
    W,
}

impl DurationUnit {
    pub fn millis(self) -> u64 {
        match self {
            DurationUnit::Ms => 1,
            DurationUnit::S => 1_000,
            DurationUnit::M => 60_000,
            DurationUnit::H => 3_600_000,
            DurationUnit::D => 86_400_000,
            DurationUnit::W => 7 * 86_400_000,
        }
    }

    pub fn parse(s: &str) -> Option<DurationUnit> {
        Some(match s {
            "ms" => DurationUnit::Ms,
            "s" => DurationUnit::S,
            "m" => DurationUnit::M,
            "h" => DurationUnit::H,
            "d" => DurationUnit::D,
            "w" => DurationUnit::W,
            _ => return None,
        })
    }
}

/// What a value is, syntactically.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    Number(Decimal),
    /// `99.9%`, stored as written (99.9), not as a ratio.
    Percent(Decimal),
    /// `30d`: the amount and unit as written.
    Duration {
        amount: u64,
        unit: DurationUnit,
    },
    /// `1/s`: events per unit.
    Rate {
        amount: Decimal,
        per: DurationUnit,
    },
    /// `1.1 * baseline`
    Relative {
        factor: Decimal,
        base: Ident,
    },
    Str(String),
    /// PromQL between backticks, verbatim.
    Promql(String),
    Ident(String),
    /// `kind/namespace/name` or `kind/name`
    Workload(Vec<String>),
    List(Vec<Value>),
    Map(Vec<MapEntry>),
    Classifier(Vec<Matcher>),
    /// A value that was already reported as a syntax error; later stages accept it silently so that one
    /// mistake gives one diagnostic.
    Invalid,
}

impl ValueKind {
    /// How the value is described in "expected X, found Y".
    pub fn describe(&self) -> &'static str {
        match self {
            ValueKind::Number(_) => "a number",
            ValueKind::Percent(_) => "a percentage",
            ValueKind::Duration { .. } => "a duration",
            ValueKind::Rate { .. } => "a rate",
            ValueKind::Relative { .. } => "a relative value",
            ValueKind::Str(_) => "a string",
            ValueKind::Promql(_) => "a PromQL query",
            ValueKind::Ident(_) => "a name",
            ValueKind::Workload(_) => "a workload reference",
            ValueKind::List(_) => "a list",
            ValueKind::Map(_) => "a map",
            ValueKind::Classifier(_) => "a classifier expression",
            ValueKind::Invalid => "an invalid value",
        }
    }
}

/// `key = value` inside a map (the key may be a string).
#[derive(Debug, Clone, PartialEq)]
pub struct MapEntry {
    pub key: Str,
    pub value: Value,
}

/// One alternative of a toil classifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    /// `message ~ "re"`, `author ~ "re"`, `path ~ "re"`
    Field { field: Ident, pattern: Str },
    /// `trailer "Key: value"`
    Trailer(Str),
}
