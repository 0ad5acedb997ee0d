//! Alert checks: `alert-window-exceeds-slo`, `burn-never-fires`, `page-without-runbook`.

use crate::diag::{Code, Diagnostic};
use crate::model::units::{percent, plain};
use crate::model::{AlertSeverity, Model, SliKind, WindowsFrom};
use rust_decimal::Decimal;

pub fn check(model: &Model, diags: &mut Vec<Diagnostic>) {
    for s in &model.services {
        for alert in &s.alerts {
            let slo = &s.slos[alert.slo];
            let budget = slo.error_budget();
            // Windows that come from a profile are reported at the alert, with the profile named.
            let (origin, origin_span) = match &alert.windows_from {
                WindowsFrom::Profile { name, span } => {
                    (format!(" (from profile `{name}`)"), Some(*span))
                }
                WindowsFrom::TierDefault { profile, tier } => (
                    format!(" (from profile `{profile}`, the tier {tier} default)"),
                    None,
                ),
                WindowsFrom::Explicit => (String::new(), None),
            };
            for w in &alert.windows {
                let at = if matches!(alert.windows_from, WindowsFrom::Explicit) {
                    w.span
                } else {
                    origin_span.unwrap_or(alert.name.span)
                };
                if w.long > slo.window.value {
                    diags.push(
                        Diagnostic::new(
                            Code::AlertWindowExceedsSlo,
                            at,
                            format!(
                                "{} window `{}`{origin} is longer than the {} window of SLO `{}`",
                                w.severity.as_str(),
                                w.long,
                                slo.window.value,
                                slo.name.value
                            ),
                        )
                        .with_primary_label(format!("{} burn window", w.long))
                        .with_label(slo.window.span, "SLO window")
                        .with_help("use shorter burn windows (an explicit `page { … }` / `ticket { … }`) or a longer SLO window"),
                    );
                    continue;
                }
                if budget <= Decimal::ZERO {
                    continue; // objective-out-of-range already says why
                }
                let factor = w.factor(slo.window.value);
                let threshold = factor * budget;
                if threshold >= Decimal::ONE {
                    diags.push(
                        Diagnostic::new(
                            Code::BurnNeverFires,
                            at,
                            format!(
                                "{} window `{}`{origin} can never fire: {}× burn of a {} budget is an error ratio of {}",
                                w.severity.as_str(),
                                w.long,
                                plain(factor.round_dp(6)),
                                percent(budget),
                                percent(threshold.round_dp(6)),
                            ),
                        )
                        .with_primary_label("threshold at or above 100% errors")
                        .with_label(slo.objective.span, format!("objective {}", percent(slo.objective.value)))
                        .with_help(format!(
                            "with this objective, factors must stay below {}; use a gentler profile or explicit windows",
                            plain((Decimal::ONE / budget).round_dp(4))
                        )),
                    );
                }
            }
            if let (Some(m), SliKind::Ratio { total, .. }) =
                (&alert.min_rate, &s.slis[slo.sli].kind)
            {
                if !total.text.contains("rate(") {
                    diags.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            m.span,
                            "`min_rate` compares events per second, but the SLI's `total` is not a rate",
                        )
                        .with_primary_label("low-traffic guard")
                        .with_label(total.span, "`total` has no `rate(…)`")
                        .with_help("write `total` as a per-second rate, e.g. `sum(rate(requests_total[$window]))`"),
                    );
                }
            }
            let pages = alert
                .windows
                .iter()
                .any(|w| w.severity == AlertSeverity::Page);
            if pages && alert.runbook.is_none() {
                diags.push(
                    Diagnostic::new(
                        Code::PageWithoutRunbook,
                        alert.name.span,
                        format!("alert `{}` pages but has no runbook", alert.name.value),
                    )
                    .with_primary_label(format!("has page windows{origin}"))
                    .with_help("add `runbook = \"https://…\"` so the responder knows what to do"),
                );
            }
        }
    }
}
