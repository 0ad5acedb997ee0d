//! Burn windows: the `page { … }` and `ticket { … }` blocks of profiles and alerts.

use super::fields::{Fields, Shape};
use super::types::{AlertSeverity, BurnRate, BurnSpec};
use super::units::Duration;
use crate::diag::{Code, Diagnostic};
use crate::syntax::ast::Block;
use rust_decimal::Decimal;

const SHAPE: Shape<'static> = Shape {
    keys: &["long", "short", "budget", "factor"],
    blocks: &[],
    statements: false,
};

/// Lowers every `page` and `ticket` block of `fields`, in source order.
pub fn windows(fields: &Fields<'_>, diags: &mut Vec<Diagnostic>) -> Vec<BurnSpec> {
    let mut blocks: Vec<&Block> = fields
        .blocks("page")
        .chain(fields.blocks("ticket"))
        .collect();
    blocks.sort_by_key(|b| b.span.start);
    blocks
        .into_iter()
        .filter_map(|b| window(b, diags))
        .collect()
}

fn window(b: &Block, diags: &mut Vec<Diagnostic>) -> Option<BurnSpec> {
    let severity = if b.kind.name == "page" {
        AlertSeverity::Page
    } else {
        AlertSeverity::Ticket
    };
    if let Some(l) = &b.label {
        diags.push(
            Diagnostic::new(
                Code::Syntax,
                l.span,
                format!("a `{}` window has no name", b.kind.name),
            )
            .with_primary_label("unexpected name")
            .with_help(format!(
                "write `{} {{ long = 1h  short = 5m  budget = 2% }}`",
                b.kind.name
            )),
        );
    }
    let f = Fields::new(b, &SHAPE, diags);
    let long_ok = f.require("long", "1h", diags);
    let long = f.duration("long", diags);
    let short = f.duration("short", diags);
    let budget = f.percent("budget", diags);
    let factor = f.number("factor", diags);
    let rate = match (budget, factor) {
        (Some(_), Some(fa)) => {
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    fa.span,
                    "a burn window takes `budget` or `factor`, not both",
                )
                .with_primary_label("remove this or `budget`")
                .with_help("`budget = 2%` derives the factor from the SLO window; `factor = 14.4` fixes it"),
            );
            return None;
        }
        (Some(b), None) => {
            if b.value <= Decimal::ZERO || b.value > Decimal::ONE {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        b.span,
                        "`budget` must be more than 0% and at most 100%",
                    )
                    .with_primary_label("share of the error budget consumed in the long window"),
                );
                return None;
            }
            BurnRate::BudgetShare(b.value)
        }
        (None, Some(fa)) => {
            if fa.value <= Decimal::ZERO {
                diags.push(
                    Diagnostic::new(Code::InvalidValue, fa.span, "`factor` must be more than 0")
                        .with_primary_label("a burn-rate factor"),
                );
                return None;
            }
            BurnRate::Factor(fa.value)
        }
        (None, None) => {
            if !f.has("budget") && !f.has("factor") {
                diags.push(
                    Diagnostic::new(
                        Code::MissingKey,
                        b.kind.span,
                        format!("`{}` window has neither `budget` nor `factor`", b.kind.name),
                    )
                    .with_primary_label("how steep is this window?")
                    .with_help("add `budget = 2%` (share of the error budget) or `factor = 14.4`"),
                );
            }
            return None;
        }
    };
    if !long_ok {
        return None;
    }
    let long = long?;
    let short = match short {
        Some(s) if s.value >= long.value => {
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    s.span,
                    format!(
                        "short window `{}` is not shorter than the long window `{}`",
                        s.value, long.value
                    ),
                )
                .with_primary_label("must be shorter than `long`")
                .with_label(long.span, "long window")
                .with_help(format!(
                    "the usual short window is long ÷ 12: `{}`",
                    default_short(long.value)
                )),
            );
            return None;
        }
        Some(s) => s.value,
        None if f.has("short") => return None,
        None => default_short(long.value),
    };
    Some(BurnSpec {
        severity,
        long: long.value,
        short,
        rate,
        span: b.span,
    })
}

/// long ÷ 12, rounded down to a whole second (at least one second).
pub fn default_short(long: Duration) -> Duration {
    let ms = (long.millis / 12).max(1000);
    Duration::from_millis(ms - ms % 1000)
}
