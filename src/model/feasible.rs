//! Requirements that can never hold and canary limits that make no sense: an error at the policy line, not a
//! gate that denies (or allows) every deploy forever. Shares (toil, automation, change failure rate) lie in
//! 0%…100%; the budget remaining is at most 100% (it goes below 0% when overspent); burn rates and error
//! ratios are never negative; a canary's error ratio is never negative, so a limit below zero denies every
//! canary.

use super::types::{CanaryLimit, Metric};
use super::units::percent;
use crate::diag::{Code, Diagnostic};
use crate::source::Span;
use crate::syntax::ast::CmpOp;
use rust_decimal::Decimal;

/// Why `metric op threshold` can never be true, if it cannot.
fn never(metric: &Metric, op: CmpOp, t: Decimal) -> Option<String> {
    let (low, high, what) = match metric {
        Metric::Budget { .. } | Metric::DependencyBudget => (
            None,
            Some(Decimal::ONE),
            "the budget remaining is at most 100%",
        ),
        Metric::Toil | Metric::Automation | Metric::ChangeFailureRate => (
            Some(Decimal::ZERO),
            Some(Decimal::ONE),
            "a share of changes lies between 0% and 100%",
        ),
        Metric::Burn { .. } | Metric::ErrorRatio { .. } | Metric::Deploys { .. } => {
            (Some(Decimal::ZERO), None, "it is never negative")
        }
    };
    let above = |strict: bool| high.is_some_and(|h| if strict { t >= h } else { t > h });
    let below = |strict: bool| low.is_some_and(|l| if strict { t <= l } else { t < l });
    let impossible = match op {
        CmpOp::Ge => above(false),
        CmpOp::Gt => above(true),
        CmpOp::Le => below(false),
        CmpOp::Lt => below(true),
        CmpOp::Eq => above(false) || below(false),
        CmpOp::Ne => false,
    };
    impossible.then(|| what.to_string())
}

/// `budget(availability)`, `burn(availability, 1h)`, `toil`: the metric as written.
pub fn metric_text(name: &str, args: Option<&[crate::syntax::ast::Value]>) -> String {
    use crate::syntax::ast::{DurationUnit, ValueKind};
    let Some(args) = args else {
        return name.to_string();
    };
    let shown: Vec<String> = args
        .iter()
        .map(|a| match &a.kind {
            ValueKind::Ident(s) => s.clone(),
            ValueKind::Duration { amount, unit } => {
                let u = match unit {
                    DurationUnit::Ms => "ms",
                    DurationUnit::S => "s",
                    DurationUnit::M => "m",
                    DurationUnit::H => "h",
                    DurationUnit::D => "d",
                    DurationUnit::W => "w",
                };
                format!("{amount}{u}")
            }
            _ => "…".to_string(),
        })
        .collect();
    format!("{name}({})", shown.join(", "))
}

/// An error when a requirement can never hold. `shown` is the threshold as written.
pub fn condition(
    metric: &Metric,
    name: &str,
    op: CmpOp,
    threshold: Decimal,
    shown: &str,
    span: Span,
) -> Option<Diagnostic> {
    let why = never(metric, op, threshold)?;
    Some(
        Diagnostic::new(
            Code::InvalidValue,
            span,
            format!("`{name} {} {shown}` can never hold: {why}", op.as_str()),
        )
        .with_primary_label("impossible threshold")
        .with_help("a requirement that never holds denies every deploy; choose a threshold the metric can reach"),
    )
}

/// An error for a canary limit no canary can meet.
pub fn canary_limit(limit: &CanaryLimit, span: Span) -> Option<Diagnostic> {
    let (message, help) = match limit {
        CanaryLimit::RelativeToBaseline(f) if *f < Decimal::ZERO => (
            format!("a canary limit of `{} * baseline` is below zero: error ratios never are, so every canary is denied", f.normalize()),
            "write a factor of 1 or more, e.g. `1.1 * baseline` (at most 10% worse than the baseline)",
        ),
        CanaryLimit::Absolute(p) if *p < Decimal::ZERO || *p > Decimal::ONE => (
            format!("a canary limit of {} is not an error ratio (0% to 100%)", percent(*p)),
            "write an error ratio such as `0.5%`, or a multiple of the baseline such as `1.1 * baseline`",
        ),
        _ => return None,
    };
    Some(
        Diagnostic::new(Code::InvalidValue, span, message)
            .with_primary_label("no canary can meet this")
            .with_help(help),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn impossible_thresholds_are_found_and_possible_ones_pass() {
        let budget = Metric::Budget { slo: 0 };
        assert!(never(&budget, CmpOp::Ge, d("1.2")).is_some());
        assert!(never(&budget, CmpOp::Gt, d("1")).is_some());
        assert!(never(&budget, CmpOp::Ge, d("1")).is_none());
        // An overspent budget is negative: `<= -10%` can hold.
        assert!(never(&budget, CmpOp::Le, d("-0.1")).is_none());
        assert!(never(&Metric::Toil, CmpOp::Le, d("-0.01")).is_some());
        assert!(never(&Metric::Toil, CmpOp::Lt, d("0")).is_some());
        assert!(never(&Metric::Automation, CmpOp::Ge, d("0.8")).is_none());
        assert!(never(&Metric::Automation, CmpOp::Eq, d("1.5")).is_some());
        let burn = Metric::Burn {
            slo: 0,
            window: crate::model::units::Duration::minutes(60),
        };
        assert!(never(&burn, CmpOp::Lt, d("0")).is_some());
        assert!(never(&burn, CmpOp::Lt, d("2")).is_none());
    }
}
