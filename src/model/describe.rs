//! Gate conditions as the policy would write them (`budget(availability) >= 25%`), for messages.

use super::types::{Condition, Metric, Service};
use super::units::{percent, plain};

impl Metric {
    /// Whether the metric is a share (compared with percentages) rather than a plain number.
    pub fn is_share(&self) -> bool {
        !matches!(self, Metric::Burn { .. } | Metric::Deploys { .. })
    }

    /// `burn(availability, 1h)`, with SLO names from `s`.
    pub fn describe(&self, s: &Service) -> String {
        let slo = |i: usize| {
            s.slos
                .get(i)
                .map_or("?".to_string(), |x| x.name.value.clone())
        };
        match self {
            Metric::Budget { slo: i } => format!("budget({})", slo(*i)),
            Metric::Burn { slo: i, window } => format!("burn({}, {window})", slo(*i)),
            Metric::ErrorRatio { slo: i, window } => format!("error_ratio({}, {window})", slo(*i)),
            Metric::Toil => "toil".into(),
            Metric::Automation => "automation".into(),
            Metric::ChangeFailureRate => "change_failure_rate".into(),
            Metric::Deploys { window } => format!("deploys({window})"),
            Metric::DependencyBudget => "dependency_budget".into(),
        }
    }
}

impl Condition {
    /// `budget(availability) >= 25%`
    pub fn describe(&self, s: &Service) -> String {
        let t = if self.metric.is_share() {
            percent(self.threshold)
        } else {
            plain(self.threshold)
        };
        format!("{} {} {t}", self.metric.describe(s), self.op.as_str())
    }
}
