//! Evaluation of one service's gates against a metrics source and the history facts.

use super::metrics::{Metrics, MetricsError};
use super::{Check, Outcome, Report, ServiceVerdict, Verdict};
use crate::model::units::{percent, plain};
use crate::model::{CanaryLimit, FreezeException, Metric, Model, Service};
use crate::repo::history::ServiceFacts;
use crate::syntax::ast::CmpOp;
use rust_decimal::Decimal;

/// What to do with requirements that have no data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnMissing {
    /// Fail closed (the default).
    Deny,
    Warn,
    Allow,
}

/// What kind of change is being gated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Deploy,
    Rollback,
    ReliabilityFix,
    ConfigOnly,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Deploy => "deploy",
            Change::Rollback => "rollback",
            Change::ReliabilityFix => "reliability fix",
            Change::ConfigOnly => "config only",
        }
    }
}

/// Everything evaluation reads besides the metrics.
pub struct Context<'a> {
    pub model: &'a Model,
    /// History facts per service, when a repository was available.
    pub facts: Option<&'a [ServiceFacts]>,
    /// HEAD's commit time, for `deploys(window)`.
    pub head_time: Option<i64>,
    pub on_missing: OnMissing,
}

fn holds(op: CmpOp, value: Decimal, threshold: Decimal) -> bool {
    match op {
        CmpOp::Ge => value >= threshold,
        CmpOp::Gt => value > threshold,
        CmpOp::Le => value <= threshold,
        CmpOp::Lt => value < threshold,
        CmpOp::Eq => value == threshold,
        CmpOp::Ne => value != threshold,
    }
}

/// A measured figure: value, whether it is a share (rendered as %), and where it came from.
type Measured = Result<(Option<Decimal>, bool, String), MetricsError>;

fn measure(ctx: &Context<'_>, s: &Service, metric: &Metric, metrics: &mut dyn Metrics) -> Measured {
    let facts = || {
        ctx.facts
            .and_then(|f| f.iter().find(|f| f.service == s.name.value))
    };
    let history = "git history".to_string();
    Ok(match metric {
        Metric::Budget { slo } => {
            let o = &s.slos[*slo];
            let r = metrics.error_ratio(s, o, o.window.value)?;
            (
                r.and_then(|r| o.budget_remaining(r)),
                true,
                metrics.describe(),
            )
        }
        Metric::Burn { slo, window } => {
            let o = &s.slos[*slo];
            let r = metrics.error_ratio(s, o, *window)?;
            (r.and_then(|r| o.burn_rate(r)), false, metrics.describe())
        }
        Metric::ErrorRatio { slo, window } => {
            let o = &s.slos[*slo];
            (
                metrics.error_ratio(s, o, *window)?,
                true,
                metrics.describe(),
            )
        }
        Metric::Toil | Metric::Automation | Metric::ChangeFailureRate => {
            // Recorded figures (a snapshot) win over git history, for reproducible verdicts.
            let recorded = metrics.history(s);
            let pick = |h: &crate::gate::metrics::HistoryFigures| match metric {
                Metric::Toil => h.toil,
                Metric::Automation => h.automation,
                _ => h.change_failure_rate,
            };
            match recorded.as_ref().and_then(pick) {
                Some(v) => (Some(v), true, metrics.describe()),
                None => {
                    let f = facts();
                    let v = match metric {
                        Metric::Toil => f.and_then(|f| f.toil_ratio),
                        Metric::Automation => f.and_then(|f| f.automation_ratio),
                        _ => f.and_then(|f| f.change_failure_rate),
                    };
                    (v, true, history)
                }
            }
        }
        Metric::Deploys { window } => {
            let n = match (facts(), ctx.head_time) {
                (Some(f), Some(head)) => {
                    let since = head - (window.millis / 1000) as i64;
                    Some(Decimal::from(
                        f.deploys.iter().filter(|d| d.time >= since).count(),
                    ))
                }
                _ => None,
            };
            (n, false, history)
        }
        Metric::DependencyBudget => {
            let mut lowest: Option<Decimal> = None;
            let mut missing = false;
            // The lowest remaining budget over every SLO (availability and latency alike) of every hard
            // dependency; a dependency that promises nothing is unknown, not 100%.
            for d in s.depends.iter().filter(|d| d.hard) {
                let dep = ctx.model.service(d.target);
                if dep.slos.is_empty() {
                    missing = true;
                }
                for o in &dep.slos {
                    match metrics
                        .error_ratio(dep, o, o.window.value)?
                        .and_then(|r| o.budget_remaining(r))
                    {
                        Some(b) => lowest = Some(lowest.map_or(b, |l| l.min(b))),
                        None => missing = true,
                    }
                }
            }
            (
                if missing {
                    None
                } else {
                    lowest.or(Some(Decimal::ONE))
                },
                true,
                metrics.describe(),
            )
        }
    })
}

fn render(v: Decimal, pct: bool) -> String {
    if pct {
        percent(v.round_dp(6))
    } else {
        plain(v.round_dp(4))
    }
}

/// Evaluates the gates of `services` (by index) for the given change kinds.
pub fn evaluate(
    ctx: &Context<'_>,
    services: &[(usize, Change, String)],
    metrics: &mut dyn Metrics,
) -> Result<Report, MetricsError> {
    let mut out = Vec::new();
    for (i, change, why) in services {
        let (i, change) = (*i, *change);
        let s = &ctx.model.services[i];
        let mut tally = Tally {
            verdict: Verdict::Allow,
            checks: Vec::new(),
            reasons: Vec::new(),
            missing: match ctx.on_missing {
                OnMissing::Deny => Verdict::Deny,
                OnMissing::Warn => Verdict::Warn,
                OnMissing::Allow => Verdict::Allow,
            },
        };
        for g in &s.gates {
            let gate = format!("gate {}", g.name.value);
            for c in &g.requires {
                let requirement = c.describe(s);
                // Remediation is never blocked: a rollback, a reliability fix and a change that rolls no pods
                // skip every requirement (nothing is measured, so missing data cannot block them either).
                if change != Change::Deploy {
                    tally.add(
                        Check {
                            gate: gate.clone(),
                            requirement,
                            value: None,
                            outcome: Outcome::Skipped,
                            source: String::new(),
                            reason: None,
                        },
                        false,
                    );
                    continue;
                }
                let (value, pct, source) = measure(ctx, s, &c.metric, metrics)?;
                let (outcome, reason) = match value {
                    None => (
                        Outcome::Unknown,
                        Some(format!("no data for `{requirement}` from {source}")),
                    ),
                    Some(v) if holds(c.op, v, c.threshold) => (Outcome::Pass, None),
                    Some(v) => (
                        Outcome::Fail,
                        Some(format!(
                            "`{requirement}` does not hold: measured {}",
                            render(v, pct)
                        )),
                    ),
                };
                tally.add(
                    Check {
                        gate: gate.clone(),
                        requirement,
                        value: value.map(|v| render(v, pct)),
                        outcome,
                        source,
                        reason,
                    },
                    true,
                );
            }
            for f in &g.freezes {
                let (value, pct, source) = measure(ctx, s, &f.when.metric, metrics)?;
                let requirement = format!("freeze when {}", f.when.describe(s));
                // Freezes stop deploys; a change that deploys nothing, and the listed exceptions, pass.
                let excepted = match change {
                    Change::Rollback => f.except.contains(&FreezeException::Rollback),
                    Change::ReliabilityFix => f.except.contains(&FreezeException::ReliabilityFix),
                    Change::ConfigOnly => true,
                    Change::Deploy => false,
                };
                let (outcome, reason) = match value {
                    None => (
                        Outcome::Unknown,
                        Some(format!("no data to decide `{requirement}` from {source}")),
                    ),
                    Some(v) if !holds(f.when.op, v, f.when.threshold) => (Outcome::Pass, None),
                    Some(_) if excepted => (
                        Outcome::Pass,
                        Some(format!(
                            "frozen, but a {} is allowed through",
                            change.as_str()
                        )),
                    ),
                    Some(v) => (
                        Outcome::Fail,
                        Some(format!(
                            "releases are frozen: {} (measured {})",
                            f.when.describe(s),
                            render(v, pct)
                        )),
                    ),
                };
                // Missing data cannot freeze a change the freeze would let through anyway.
                tally.add(
                    Check {
                        gate: gate.clone(),
                        requirement,
                        value: value.map(|v| render(v, pct)),
                        outcome,
                        source,
                        reason,
                    },
                    !excepted,
                );
            }
            // Canary analysis holds for deploys and reliability fixes; a rollback returns to a version that
            // ran before, and a change that rolls no pods has no canary.
            if let Some(canary) = g
                .canary
                .as_ref()
                .filter(|_| matches!(change, Change::Deploy | Change::ReliabilityFix))
            {
                let limit_for = |baseline: Decimal| match canary.max_error_ratio {
                    CanaryLimit::RelativeToBaseline(f) => f.checked_mul(baseline),
                    CanaryLimit::Absolute(a) => Some(a),
                };
                let requirement = match canary.max_error_ratio {
                    CanaryLimit::RelativeToBaseline(f) => {
                        format!(
                            "canary error ratio <= {} × baseline over {}",
                            plain(f),
                            canary.over
                        )
                    }
                    CanaryLimit::Absolute(a) => {
                        format!("canary error ratio <= {} over {}", percent(a), canary.over)
                    }
                };
                let measured = metrics.canary(s)?;
                let (outcome, value, reason) = match measured {
                    None => (
                        Outcome::Unknown,
                        None,
                        Some(format!("no canary data from {}", metrics.describe())),
                    ),
                    Some((_, b)) if limit_for(b).is_none() => (
                        Outcome::Unknown,
                        None,
                        Some(format!(
                            "the canary limit for baseline {} does not fit an exact decimal",
                            plain(b)
                        )),
                    ),
                    Some((c, b)) => {
                        let limit = limit_for(b).unwrap_or(Decimal::ZERO);
                        let value = format!(
                            "{} (baseline {})",
                            percent(c.round_dp(6)),
                            percent(b.round_dp(6))
                        );
                        if c <= limit {
                            (Outcome::Pass, Some(value), None)
                        } else {
                            (
                                Outcome::Fail,
                                Some(value),
                                Some(format!(
                                    "the canary's error ratio {} exceeds the allowed {}",
                                    percent(c.round_dp(6)),
                                    percent(limit.round_dp(6))
                                )),
                            )
                        }
                    }
                };
                tally.add(
                    Check {
                        gate: gate.clone(),
                        requirement,
                        value,
                        outcome,
                        source: metrics.describe(),
                        reason,
                    },
                    true,
                );
            }
        }
        // Hard dependencies that have exhausted their budget are worth knowing before a deploy, whether or
        // not a requirement covers them (`require dependency_budget > 0%` makes it deny).
        for d in s.depends.iter().filter(|d| d.hard) {
            let dep = ctx.model.service(d.target);
            for o in dep.slos.iter() {
                let ratio = metrics.error_ratio(dep, o, o.window.value)?;
                if let Some(left) = ratio.and_then(|r| o.budget_remaining(r)) {
                    if left <= Decimal::ZERO {
                        tally.reasons.push(format!(
                            "hard dependency `{}` has exhausted the error budget of SLO `{}` ({} left)",
                            dep.name.value,
                            o.name.value,
                            percent(left.round_dp(6))
                        ));
                    }
                }
            }
        }
        out.push(ServiceVerdict {
            service: s.name.value.clone(),
            change: change.as_str().to_string(),
            change_reason: why.clone(),
            verdict: tally.verdict,
            checks: tally.checks,
            reasons: tally.reasons,
        });
    }
    let verdict = out
        .iter()
        .map(|s| s.verdict)
        .max()
        .unwrap_or(Verdict::Allow);
    Ok(Report {
        version: 1,
        verdict,
        source: metrics.describe(),
        services: out,
        head: None,
        base: None,
        policy_digest: String::new(),
        warnings: metrics.warnings(),
    })
}

/// The checks of one service and the verdict they add up to.
struct Tally {
    verdict: Verdict,
    checks: Vec<Check>,
    reasons: Vec<String>,
    /// What an unknown outcome weighs (from `--on-missing`).
    missing: Verdict,
}

impl Tally {
    /// Records a check; a failure denies, an unknown weighs as `missing` when `unknown_counts`.
    fn add(&mut self, check: Check, unknown_counts: bool) {
        let weight = match check.outcome {
            Outcome::Fail => Verdict::Deny,
            Outcome::Unknown if unknown_counts => self.missing,
            _ => Verdict::Allow,
        };
        self.verdict = self.verdict.max(weight);
        self.reasons.extend(check.reason.clone());
        self.checks.push(check);
    }
}
