//! `toil-over-cap` and `automation-under-floor`: the toil caps and automation floors gates set, held against
//! the facts from git history.

use crate::diag::{Code, Diagnostic};
use crate::model::units::percent;
use crate::model::{Condition, Metric, Model};
use crate::repo::history::ServiceFacts;
use crate::syntax::ast::CmpOp;
use rust_decimal::Decimal;

fn holds(c: &Condition, value: Decimal) -> bool {
    match c.op {
        CmpOp::Ge => value >= c.threshold,
        CmpOp::Gt => value > c.threshold,
        CmpOp::Le => value <= c.threshold,
        CmpOp::Lt => value < c.threshold,
        CmpOp::Eq => value == c.threshold,
        CmpOp::Ne => value != c.threshold,
    }
}

pub fn check(model: &Model, facts: &[ServiceFacts]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for s in &model.services {
        let Some(f) = facts.iter().find(|f| f.service == s.name.value) else {
            continue;
        };
        for g in &s.gates {
            for c in &g.requires {
                let (code, value, what, count) = match c.metric {
                    Metric::Toil => (
                        Code::ToilOverCap,
                        f.toil_ratio,
                        "manual toil",
                        f.manual_toil,
                    ),
                    Metric::Automation => (
                        Code::AutomationUnderFloor,
                        f.automation_ratio,
                        "automated changes",
                        f.automated,
                    ),
                    _ => continue,
                };
                let Some(value) = value else { continue };
                if holds(c, value) {
                    continue;
                }
                out.push(
                    Diagnostic::new(
                        code,
                        c.span,
                        format!(
                            "`{}` has {} {what} in the last {} days: {count} of {} changes",
                            s.name.value,
                            percent(value),
                            f.window_days,
                            f.changes
                        ),
                    )
                    .with_primary_label(format!("requires {} {}", c.op.as_str(), percent(c.threshold)))
                    .with_help("`slogate history` lists the changes; gate `deploy` will deny until this holds"),
                );
            }
        }
    }
    out
}
