//! `objective-out-of-range`: objectives must lie strictly between 0% and 100%.

use crate::diag::{Code, Diagnostic};
use crate::model::units::percent;
use crate::model::Model;
use rust_decimal::Decimal;

pub fn check(model: &Model, diags: &mut Vec<Diagnostic>) {
    for s in &model.services {
        for slo in &s.slos {
            let o = slo.objective.value;
            if o > Decimal::ZERO && o < Decimal::ONE {
                continue;
            }
            let help = if o == Decimal::ONE {
                "100% leaves no error budget: every burn threshold is zero and every deploy is frozen; use e.g. 99.99%"
            } else {
                "objectives are percentages such as `99.9%`"
            };
            diags.push(
                Diagnostic::new(
                    Code::ObjectiveOutOfRange,
                    slo.objective.span,
                    format!(
                        "objective {} of SLO `{}` is outside (0%, 100%)",
                        percent(o),
                        slo.name.value
                    ),
                )
                .with_primary_label("must be more than 0% and less than 100%")
                .with_help(help),
            );
        }
    }
}
