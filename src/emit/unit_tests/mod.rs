//! promtool unit tests for a service's alerts, generated from the policy.
//!
//! For every burn window of every alert the tests feed the recorded error-ratio series directly (the raw SLI
//! metrics are absent, so the recording rules stay silent) with values just above and just below the
//! window's threshold, and assert that the alert fires with its labels and annotations — or stays quiet.
//! Further cases: only the long window burning (the short window must agree), the low-traffic guard, and the
//! absent-SLI alert. The expected outcome of every case is computed by evaluating the alert's logic on the
//! inputs with exact decimals, so the tests check the emitted PromQL against the policy's meaning.
//! Latency SLIs also get one group per spelling of their bucket bound ([`buckets`]); `bad`/`total` SLIs get
//! groups fed with raw series for what no data means ([`traffic`]).
//! Valid for promtool 2.42: every group sets `interval`, and no newer fields are used.

mod buckets;
mod traffic;

use super::alerts::{
    absent_name, alert_name, base_labels, burn_annotations, threshold, ABSENT_FOR,
};
use super::rules::{id_labels, ratio_metric, slo_windows, total_metric};
use super::{rules_file_name, slo_id, LabelNames, Options};
use crate::model::units::{plain, Duration};
use crate::model::{Alert, AlertSeverity, BurnSpec, Service, Slo};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

#[derive(serde::Serialize)]
struct TestFile {
    rule_files: Vec<String>,
    evaluation_interval: String,
    tests: Vec<TestGroup>,
}

#[derive(serde::Serialize)]
struct TestGroup {
    interval: String,
    input_series: Vec<InputSeries>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    alert_rule_test: Vec<AlertTest>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    promql_expr_test: Vec<ExprTest>,
}

#[derive(serde::Serialize)]
struct InputSeries {
    series: String,
    values: String,
}

#[derive(serde::Serialize)]
struct ExprTest {
    expr: String,
    eval_time: String,
    exp_samples: Vec<ExpSample>,
}

#[derive(serde::Serialize)]
struct ExpSample {
    labels: String,
    value: f64,
}

#[derive(serde::Serialize)]
struct AlertTest {
    eval_time: String,
    alertname: String,
    exp_alerts: Vec<ExpAlert>,
}

#[derive(serde::Serialize)]
struct ExpAlert {
    exp_labels: BTreeMap<String, String>,
    exp_annotations: BTreeMap<String, String>,
}

/// Samples per input series (one a minute); alerts are evaluated at [`EVAL`].
const SAMPLES: u32 = 10;
const EVAL: &str = "5m";

/// The first SLO of each SLI of `s` (index and SLO): the groups fed with an SLI's raw series are generated
/// once per SLI.
fn first_slo_per_sli(s: &Service) -> impl Iterator<Item = (usize, &Slo)> {
    s.slos
        .iter()
        .enumerate()
        .filter(|(i, slo)| !s.slos[..*i].iter().any(|o| o.sli == slo.sli))
}

/// The test file of a service.
pub fn tests(s: &Service, opts: &Options) -> String {
    let l = opts.labels();
    let mut groups = Vec::new();
    for a in &s.alerts {
        let slo = &s.slos[a.slo];
        let budget = slo.error_budget();
        for w in &a.windows {
            let factor = w.factor(slo.window.value);
            let fire = nice_above(factor);
            let quiet = (factor * Decimal::new(9, 1)).normalize();
            let guard_ok = a.min_rate.as_ref().map(|m| m.value * Decimal::TWO);
            let mut cases = vec![
                (fire, fire, guard_ok),
                (quiet, quiet, guard_ok),
                (fire, Decimal::ZERO, guard_ok),
            ];
            if let Some(m) = &a.min_rate {
                cases.push((fire, fire, Some(m.value / Decimal::TWO)));
            }
            for (long, short, traffic) in cases {
                let mut ratios = BTreeMap::new();
                for win in slo_windows(s, a.slo) {
                    ratios.insert(win, Decimal::ZERO);
                }
                ratios.insert(w.long, long * budget);
                ratios.insert(w.short, short * budget);
                groups.push(case(s, slo, a, &ratios, traffic, l));
            }
        }
    }
    // Absent SLIs: no series at all.
    let mut seen = Vec::new();
    for slo in &s.slos {
        if seen.contains(&slo.sli) {
            continue;
        }
        seen.push(slo.sli);
        let sli = &s.slis[slo.sli].name.value;
        let mut labels = base_labels(s, slo, "ticket");
        labels.insert(l.id.to_string(), slo_id(s, slo));
        let mut annotations = BTreeMap::new();
        annotations.insert(
            "summary".to_string(),
            format!("{}: SLI `{sli}` reports no data", s.name.value),
        );
        annotations.insert(
            "description".to_string(),
            format!(
                "The error ratio of SLI `{sli}` of {} has not been computable for {}: its metrics are missing, so its SLOs and alerts are blind.",
                s.name.value, ABSENT_FOR
            ),
        );
        groups.push(TestGroup {
            interval: "1m".into(),
            input_series: Vec::new(),
            promql_expr_test: Vec::new(),
            alert_rule_test: vec![AlertTest {
                eval_time: Duration::from_millis(ABSENT_FOR.millis + 5 * 60_000).to_string(),
                alertname: absent_name(s, sli),
                exp_alerts: vec![ExpAlert {
                    exp_labels: labels,
                    exp_annotations: annotations,
                }],
            }],
        });
    }
    groups.extend(buckets::groups(s, l));
    groups.extend(traffic::groups(s, l));
    let file = TestFile {
        rule_files: vec![rules_file_name(&s.name.value)],
        evaluation_interval: "1m".into(),
        tests: groups,
    };
    serde_yaml::to_string(&file).expect("tests serialize")
}

/// One test group: the given error ratios per window and total rate, and the alerts that must fire.
fn case(
    s: &Service,
    slo: &Slo,
    a: &Alert,
    ratios: &BTreeMap<Duration, Decimal>,
    traffic: Option<Decimal>,
    l: LabelNames,
) -> TestGroup {
    let ids = id_labels(s, slo, l);
    let selector = |metric: &str, w: Duration| {
        let mut labels = ids.clone();
        labels.insert(l.window.to_string(), w.to_string());
        let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        format!("{metric}{{{}}}", inner.join(","))
    };
    let constant = |v: Decimal| format!("{}+0x{SAMPLES}", plain(v));
    let mut input_series: Vec<InputSeries> = ratios
        .iter()
        .map(|(w, v)| InputSeries {
            series: selector(&ratio_metric(*w), *w),
            values: constant(*v),
        })
        .collect();
    if let Some(t) = traffic {
        let mut longs: Vec<Duration> = a.windows.iter().map(|w| w.long).collect();
        longs.sort();
        longs.dedup();
        for w in longs {
            input_series.push(InputSeries {
                series: selector(&total_metric(w), w),
                values: constant(t),
            });
        }
    }
    let budget = slo.error_budget();
    let mut exp_alerts = Vec::new();
    for severity in [AlertSeverity::Page, AlertSeverity::Ticket] {
        // `or` keeps the first window pair that fires.
        let firing = a
            .windows
            .iter()
            .filter(|w| w.severity == severity)
            .find(|w| fires(w, slo, ratios, traffic, a));
        if let Some(w) = firing {
            // The window label is folded away (`max without`): only the SLO's identifying labels remain.
            let mut labels = base_labels(s, slo, severity.as_str());
            if l.sloth {
                labels.insert("sloth_severity".to_string(), severity.as_str().to_string());
            }
            labels.extend(a.labels.iter().cloned());
            labels.extend(ids.clone());
            let burn = ratios[&w.long] / budget;
            let burn_now = |win: Duration| {
                ratios
                    .get(&win)
                    .map_or_else(|| "no data".to_string(), |r| humanize(*r / budget))
            };
            exp_alerts.push(ExpAlert {
                exp_labels: labels,
                exp_annotations: burn_annotations(s, slo, a, severity, &humanize(burn), &burn_now),
            });
        }
    }
    TestGroup {
        interval: "1m".into(),
        input_series,
        promql_expr_test: Vec::new(),
        alert_rule_test: vec![AlertTest {
            eval_time: EVAL.into(),
            alertname: alert_name(s, a),
            exp_alerts,
        }],
    }
}

/// Whether a window pair fires on the given inputs: the policy's meaning, evaluated exactly.
fn fires(
    w: &BurnSpec,
    slo: &Slo,
    ratios: &BTreeMap<Duration, Decimal>,
    traffic: Option<Decimal>,
    a: &Alert,
) -> bool {
    let t = threshold(w.factor(slo.window.value), slo.error_budget());
    let above = |win: Duration| ratios.get(&win).is_some_and(|r| *r > t);
    let guard = match (&a.min_rate, traffic) {
        (Some(m), Some(rate)) => rate >= m.value,
        (Some(_), None) => false,
        (None, _) => true,
    };
    above(w.long) && above(w.short) && guard
}

/// The smallest "round" number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ) at least 5% above `factor`: a burn
/// rate clearly above the threshold whose rendering by Prometheus' `humanize` is predictable.
fn nice_above(factor: Decimal) -> Decimal {
    let target = factor * Decimal::new(105, 2);
    let mantissas = [10, 12, 15, 20, 25, 30, 40, 50, 60, 80];
    let mut scale = Decimal::new(1, 6);
    loop {
        for m in mantissas {
            let n = Decimal::new(m, 1) * scale;
            if n > target {
                return n.normalize();
            }
        }
        scale *= Decimal::TEN;
    }
}

/// Prometheus' `humanize` for the round numbers of [`nice_above`]: SI prefixes, at most 4 significant digits.
fn humanize(v: Decimal) -> String {
    let thousand = Decimal::from(1000);
    let mut v = v;
    let mut prefix = "";
    if v >= Decimal::ONE {
        for p in ["k", "M", "G", "T"] {
            if v < thousand {
                break;
            }
            prefix = p;
            v /= thousand;
        }
    } else if !v.is_zero() {
        for p in ["m", "u", "n", "p"] {
            if v >= Decimal::ONE {
                break;
            }
            prefix = p;
            v *= thousand;
        }
    }
    format!("{}{prefix}", plain(v.round_sf(4).unwrap_or(v)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn round_numbers_above_factors() {
        assert_eq!(nice_above(d("14.4")), d("20"));
        assert_eq!(nice_above(d("6")), d("8"));
        assert_eq!(nice_above(d("3")), d("4"));
        assert_eq!(nice_above(d("1")), d("1.2"));
        assert_eq!(nice_above(d("13.44")), d("15"));
        assert_eq!(nice_above(d("0.2333333")), d("0.25"));
    }

    #[test]
    fn humanize_matches_prometheus() {
        assert_eq!(humanize(d("20")), "20");
        assert_eq!(humanize(d("1.2")), "1.2");
        assert_eq!(humanize(d("0.25")), "250m");
        assert_eq!(humanize(d("1500")), "1.5k");
    }
}
