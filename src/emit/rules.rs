//! The rule groups of one service. Per SLO, two groups:
//! - `slogate-<id>`, evaluated at the global interval: the error ratios over every window of a day or less,
//!   read from the raw SLI series, the metadata, and the alerts ([`super::alerts`]). Rules of a group run in
//!   order within one evaluation, so every alert reads ratios recorded at the same instant.
//! - `slogate-<id>-long`, evaluated every `long_interval` (default 5m): the windows longer than a day (the SLO
//!   window, `3d`). By default they are a ratio of sums of recorded 5m rates (`sum_over_time` of the error
//!   and total rates), traffic-weighted and cheap, whatever the number of raw series; `--exact-windows` reads
//!   the raw series over the whole window instead. Either way they are never in the alerting group's path: a
//!   30-day `rate` over raw series made every evaluation of the alerts wait for it.

use super::alerts::alerts;
use super::queries;
use super::{slo_id, LabelNames, LongWindows, Options};
use crate::model::units::{plain, Duration};
use crate::model::{Alert, Service, Slo};
use std::collections::BTreeMap;

/// A rule group.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Group {
    pub name: String,
    /// Evaluation interval; the global one when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    pub rules: Vec<Rule>,
}

/// The longest window read from raw series in the alerting group; longer ones go to the slow group.
pub const SHORT_MAX: Duration = Duration::days(1);

/// The window of the recorded rates that long windows are summed from.
pub const BASE: Duration = Duration::minutes(5);

/// `slo:sli_bad:rate5m`: bad events per second over `w`.
pub fn bad_metric(w: Duration) -> String {
    format!("slo:sli_bad:rate{w}")
}

/// A recording or alerting rule.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(untagged)]
pub enum Rule {
    Record {
        record: String,
        expr: String,
        labels: BTreeMap<String, String>,
    },
    Alert {
        alert: String,
        expr: String,
        #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
        for_: Option<String>,
        labels: BTreeMap<String, String>,
        annotations: BTreeMap<String, String>,
    },
}

/// The windows whose error ratio is recorded for an SLO: every long and short window of its alerts and the
/// SLO window, ascending.
pub fn slo_windows(s: &Service, slo: usize) -> Vec<Duration> {
    let mut w: Vec<Duration> = alerts_of(s, slo)
        .flat_map(|a| a.windows.iter().flat_map(|x| [x.long, x.short]))
        .collect();
    w.push(s.slos[slo].window.value);
    w.sort();
    w.dedup();
    w
}

/// Long windows whose total event rate is recorded: those of low-traffic guards, and the window over which
/// stopped traffic is detected ([`traffic_window`]).
pub fn total_windows(s: &Service, slo: usize) -> Vec<Duration> {
    let mut w: Vec<Duration> = alerts_of(s, slo)
        .filter(|a| a.min_rate.is_some())
        .flat_map(|a| a.windows.iter().map(|x| x.long))
        .collect();
    w.extend(traffic_window(s, slo));
    w.sort();
    w.dedup();
    w
}

/// The window over which no events at all means the traffic stopped: the shortest long window of the SLO's
/// alerts (a burn alert could not fire on less). `None` without alerts: nothing would go blind.
pub fn traffic_window(s: &Service, slo: usize) -> Option<Duration> {
    alerts_of(s, slo)
        .flat_map(|a| a.windows.iter().map(|x| x.long))
        .min()
}

pub fn alerts_of(s: &Service, slo: usize) -> impl Iterator<Item = &Alert> {
    s.alerts.iter().filter(move |a| a.slo == slo)
}

/// Labels identifying an SLO's series (without the window).
pub fn id_labels(s: &Service, slo: &Slo, l: LabelNames) -> BTreeMap<String, String> {
    BTreeMap::from([
        (l.id.to_string(), slo_id(s, slo)),
        (l.service.to_string(), s.name.value.clone()),
        (l.slo.to_string(), slo.name.value.clone()),
    ])
}

/// `metric{slo_id="checkout-availability"}`
pub fn series(metric: &str, s: &Service, slo: &Slo, l: LabelNames) -> String {
    format!("{metric}{{{}=\"{}\"}}", l.id, slo_id(s, slo))
}

pub fn ratio_metric(w: Duration) -> String {
    format!("slo:sli_error:ratio_rate{w}")
}

pub fn total_metric(w: Duration) -> String {
    format!("slo:sli_total:rate{w}")
}

/// All groups of a service.
pub fn groups(s: &Service, opts: &Options) -> Vec<Group> {
    let l = opts.labels();
    let mut out = Vec::new();
    let mut sli_done: Vec<usize> = Vec::new();
    for (i, slo) in s.slos.iter().enumerate() {
        let id = slo_id(s, slo);
        let sli = &s.slis[slo.sli];
        let ids = id_labels(s, slo, l);
        let with_window = |w: Duration| {
            let mut m = ids.clone();
            m.insert(l.window.to_string(), w.to_string());
            m
        };
        let (short, long): (Vec<Duration>, Vec<Duration>) =
            slo_windows(s, i).into_iter().partition(|w| *w <= SHORT_MAX);
        let (short_totals, long_totals): (Vec<Duration>, Vec<Duration>) = total_windows(s, i)
            .into_iter()
            .partition(|w| *w <= SHORT_MAX);
        let summed = opts.long_windows == LongWindows::Recorded
            && !(long.is_empty() && long_totals.is_empty());
        // Error ratios and total rates first, then metadata, then alerts.
        let mut rules = Vec::new();
        for w in short {
            rules.push(Rule::Record {
                record: ratio_metric(w),
                expr: queries::error_ratio(sli, w),
                labels: with_window(w),
            });
        }
        let mut totals = short_totals;
        if summed {
            rules.push(Rule::Record {
                record: bad_metric(BASE),
                expr: queries::bad_rate(sli, BASE),
                labels: with_window(BASE),
            });
            totals.push(BASE);
            totals.sort();
            totals.dedup();
        }
        for w in totals {
            rules.push(Rule::Record {
                record: total_metric(w),
                expr: queries::total_rate(sli, w),
                labels: with_window(w),
            });
        }
        rules.extend(meta(s, i, &ids, l));
        let first_of_sli = !sli_done.contains(&slo.sli);
        sli_done.push(slo.sli);
        rules.extend(alerts(s, i, first_of_sli, l));
        out.push(Group {
            name: format!("slogate-{id}"),
            interval: None,
            rules,
        });
        // The windows longer than a day, in their own slower group.
        let mut slow = Vec::new();
        for w in long {
            let expr = match opts.long_windows {
                LongWindows::Exact => queries::error_ratio(sli, w),
                LongWindows::Recorded => format!(
                    "sum_over_time({}[{w}])\n/\nsum_over_time({}[{w}])",
                    series(&bad_metric(BASE), s, slo, l),
                    series(&total_metric(BASE), s, slo, l)
                ),
            };
            slow.push(Rule::Record {
                record: ratio_metric(w),
                expr,
                labels: with_window(w),
            });
        }
        for w in long_totals {
            let expr = match opts.long_windows {
                LongWindows::Exact => queries::total_rate(sli, w),
                LongWindows::Recorded => format!(
                    "avg_over_time({}[{w}])",
                    series(&total_metric(BASE), s, slo, l)
                ),
            };
            slow.push(Rule::Record {
                record: total_metric(w),
                expr,
                labels: with_window(w),
            });
        }
        if !slow.is_empty() {
            out.push(Group {
                name: format!("slogate-{id}-long"),
                interval: Some(opts.long_interval.to_string()),
                rules: slow,
            });
        }
    }
    out
}

fn meta(s: &Service, i: usize, ids: &BTreeMap<String, String>, l: LabelNames) -> Vec<Rule> {
    let slo = &s.slos[i];
    let budget = plain(slo.error_budget());
    let windows = slo_windows(s, i);
    let record = |name: &str, expr: String| Rule::Record {
        record: name.to_string(),
        expr,
        labels: ids.clone(),
    };
    let days = plain(slo.window.value.ratio_to(Duration::days(1)).round_dp(6));
    let mut out = vec![
        record(
            "slo:objective:ratio",
            format!("vector({})", plain(slo.objective.value)),
        ),
        record("slo:error_budget:ratio", format!("vector({budget})")),
        record("slo:time_period:days", format!("vector({days})")),
        record(
            "slo:current_burn_rate:ratio",
            format!(
                "{}\n/ {budget}",
                series(&ratio_metric(windows[0]), s, slo, l)
            ),
        ),
        record(
            "slo:period_burn_rate:ratio",
            format!(
                "{}\n/ {budget}",
                series(&ratio_metric(slo.window.value), s, slo, l)
            ),
        ),
        record(
            "slo:period_error_budget_remaining:ratio",
            format!("1 - {}", series("slo:period_burn_rate:ratio", s, slo, l)),
        ),
    ];
    if l.sloth {
        // What Sloth's dashboards list SLOs by (their service and SLO variables read its labels).
        let mut labels = ids.clone();
        labels.extend([
            ("sloth_mode".to_string(), "cli-gen-prom".to_string()),
            ("sloth_spec".to_string(), "prometheus/v1".to_string()),
            (
                "sloth_version".to_string(),
                concat!("slogate-", env!("CARGO_PKG_VERSION")).to_string(),
            ),
            (
                "sloth_objective".to_string(),
                plain(slo.objective.value * rust_decimal::Decimal::ONE_HUNDRED),
            ),
        ]);
        out.push(Rule::Record {
            record: "sloth_slo_info".to_string(),
            expr: "vector(1)".to_string(),
            labels,
        });
    }
    out
}
