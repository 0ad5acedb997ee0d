//! The rule groups of one service: one group per SLO with recording rules of the error ratio over every window its alerts
//! need and over the SLO window, metadata rules, multi-window multi-burn-rate alerts and absent-SLI alerts.

use super::queries;
use super::{slo_id, LabelNames, Options};
use crate::model::units::{percent, plain, Duration};
use crate::model::{Alert, AlertSeverity, Service, Slo};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A rule group.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Group {
    pub name: String,
    pub rules: Vec<Rule>,
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

/// How long an SLI must be absent before its absent alert fires.
pub const ABSENT_FOR: Duration = Duration::minutes(10);

/// Decimal places kept when a threshold does not terminate (a factor such as 0.1 × 7d ÷ 3d).
const MAX_DECIMALS: u32 = 12;

/// factor × budget, exact; rounded to 12 decimal places only when it does not terminate.
pub fn threshold(factor: Decimal, budget: Decimal) -> Decimal {
    let t = factor * budget;
    if t.scale() > MAX_DECIMALS {
        t.round_dp(MAX_DECIMALS).normalize()
    } else {
        t.normalize()
    }
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

fn alerts_of(s: &Service, slo: usize) -> impl Iterator<Item = &Alert> {
    s.alerts.iter().filter(move |a| a.slo == slo)
}

pub use crate::model::names::{absent_name, alert_name, no_traffic_name};

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
    let mut absent_done: Vec<usize> = Vec::new();
    for (i, slo) in s.slos.iter().enumerate() {
        let id = slo_id(s, slo);
        let sli = &s.slis[slo.sli];
        let ids = id_labels(s, slo, l);
        let with_window = |w: Duration| {
            let mut m = ids.clone();
            m.insert(l.window.to_string(), w.to_string());
            m
        };
        // Error ratios and total rates first, then metadata, then alerts.
        let mut rules = Vec::new();
        for w in slo_windows(s, i) {
            rules.push(Rule::Record {
                record: ratio_metric(w),
                expr: queries::error_ratio(sli, w),
                labels: with_window(w),
            });
        }
        for w in total_windows(s, i) {
            rules.push(Rule::Record {
                record: total_metric(w),
                expr: queries::total_rate(sli, w),
                labels: with_window(w),
            });
        }
        rules.extend(meta(s, i, &ids, l));
        // Alerts, in the same group: rules of a group run in order within one evaluation, so every alert
        // reads the error ratios recorded at the same instant (separate groups would lag by an interval).
        for a in alerts_of(s, i) {
            for severity in [AlertSeverity::Page, AlertSeverity::Ticket] {
                if let Some(r) = burn_alert(s, slo, a, severity, l) {
                    rules.push(r);
                }
            }
        }
        if !absent_done.contains(&slo.sli) {
            absent_done.push(slo.sli);
            let shortest = slo_windows(s, i)[0];
            rules.push(Rule::Alert {
                alert: absent_name(s, &sli.name.value),
                expr: format!("absent({})", series(&ratio_metric(shortest), s, slo, l)),
                for_: Some(ABSENT_FOR.to_string()),
                labels: base_labels(s, slo, "ticket"),
                annotations: BTreeMap::from([
                    (
                        "summary".to_string(),
                        format!("{}: SLI `{}` reports no data", s.name.value, sli.name.value),
                    ),
                    (
                        "description".to_string(),
                        format!(
                            "The error ratio of SLI `{}` of {} has not been computable for {}: its metrics are missing, so its SLOs and alerts are blind.",
                            sli.name.value, s.name.value, ABSENT_FOR
                        ),
                    ),
                ]),
            });
            rules.extend(no_traffic_alert(s, i, l));
        }
        out.push(Group {
            name: format!("slogate-{id}"),
            rules,
        });
    }
    out
}

/// `<Service><Sli>NoTraffic`: the SLI's total event rate was 0 over the traffic window. Its error ratio is then
/// NaN, a sample that no burn alert fires on and no absent alert sees.
fn no_traffic_alert(s: &Service, i: usize, l: LabelNames) -> Option<Rule> {
    let slo = &s.slos[i];
    let sli = &s.slis[slo.sli].name.value;
    let w = traffic_window(s, i)?;
    Some(Rule::Alert {
        alert: no_traffic_name(s, sli),
        expr: format!("{} == 0", series(&total_metric(w), s, slo, l)),
        for_: Some(ABSENT_FOR.to_string()),
        labels: base_labels(s, slo, "ticket"),
        annotations: no_traffic_annotations(s, sli, w),
    })
}

/// The annotations of the no-traffic alert (shared with the generated tests' expectations).
pub fn no_traffic_annotations(s: &Service, sli: &str, w: Duration) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "summary".to_string(),
            format!("{}: SLI `{sli}` sees no traffic", s.name.value),
        ),
        (
            "description".to_string(),
            format!(
                "SLI `{sli}` of {} has counted no events over the last {w}: its error ratio cannot be computed, so its SLOs and alerts are blind until traffic returns.",
                s.name.value
            ),
        ),
    ])
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
    vec![
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
    ]
}

/// Labels every alert of an SLO carries.
pub fn base_labels(s: &Service, slo: &Slo, severity: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("severity".to_string(), severity.to_string()),
        ("service".to_string(), s.name.value.clone()),
        ("slo".to_string(), slo.name.value.clone()),
        ("owner".to_string(), s.owner.value.clone()),
    ])
}

fn burn_alert(
    s: &Service,
    slo: &Slo,
    a: &Alert,
    severity: AlertSeverity,
    l: LabelNames,
) -> Option<Rule> {
    let windows: Vec<_> = a
        .windows
        .iter()
        .filter(|w| w.severity == severity)
        .collect();
    if windows.is_empty() {
        return None;
    }
    let budget = slo.error_budget();
    let mut pairs = Vec::new();
    for w in &windows {
        let factor = w.factor(slo.window.value);
        let t = plain(threshold(factor, budget));
        let mut conds = vec![
            format!("{} > {t}", series(&ratio_metric(w.long), s, slo, l)),
            format!("{} > {t}", series(&ratio_metric(w.short), s, slo, l)),
        ];
        if let Some(m) = &a.min_rate {
            conds.push(format!(
                "{} >= {}",
                series(&total_metric(w.long), s, slo, l),
                plain(m.value)
            ));
        }
        let join = format!("\n    and ignoring({})\n    ", l.window);
        pairs.push(format!("  (\n    {}\n  )", conds.join(&join)));
    }
    let expr = format!(
        "(\n{}\n)\n/ {}",
        pairs.join(&format!("\n  or ignoring({})\n", l.window)),
        plain(budget)
    );
    let mut labels = base_labels(s, slo, severity.as_str());
    labels.extend(a.labels.iter().cloned());
    let value = "{{ $value | humanize }}";
    let window = format!("{{{{ $labels.{} }}}}", l.window);
    let annotations = burn_annotations(s, slo, a, severity, value, &window);
    Some(Rule::Alert {
        alert: alert_name(s, a),
        expr,
        for_: None,
        labels,
        annotations,
    })
}

/// The annotations of a burn-rate alert; `value` and `window` are templates in rules and concrete text in the
/// expectations of generated tests.
pub fn burn_annotations(
    s: &Service,
    slo: &Slo,
    a: &Alert,
    severity: AlertSeverity,
    value: &str,
    window: &str,
) -> BTreeMap<String, String> {
    let factors: Vec<String> = a
        .windows
        .iter()
        .filter(|w| w.severity == severity)
        .map(|w| {
            // Shown rounded; the thresholds in the expression stay exact.
            let f = w.factor(slo.window.value).round_dp(4);
            format!("{}× over {}/{}", plain(f), w.long, w.short)
        })
        .collect();
    let mut out = BTreeMap::from([
        (
            "summary".to_string(),
            format!("{}: SLO `{}` is burning its error budget too fast", s.name.value, slo.name.value),
        ),
        (
            "description".to_string(),
            format!(
                "{} SLO `{}` ({} over {}) is burning its error budget {value}× faster than sustainable over {window}. This {} fires above {}.",
                s.name.value,
                slo.name.value,
                percent(slo.objective.value),
                slo.window.value,
                severity.as_str(),
                factors.join(", ")
            ),
        ),
    ]);
    if let Some(r) = &a.runbook {
        out.insert("runbook_url".to_string(), r.value.clone());
    }
    out.extend(a.annotations.iter().cloned());
    out
}
