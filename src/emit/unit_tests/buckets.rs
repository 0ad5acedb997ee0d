//! promtool tests that a latency SLI's recording rule reads its bucket in every spelling a Prometheus may
//! have stored: one test group per spelling of the `le` bound (`1` as client_golang writes it on Prometheus 2,
//! `1.0` as Prometheus 3 normalises it), each with only that spelling present, plus a neighbouring bucket that
//! must not be counted.
//!
//! The raw histogram series are fed as counters growing by 90 (inside the bound), 105 (the neighbouring
//! bound) and 120 (`+Inf` and `_count`) a minute. Over a window of whole minutes that the samples cover
//! exactly, Prometheus 2's `rate` is the slope (no extrapolation), so the recorded error ratio is
//! 1 − (90/60)/(120/60) = 1 − 0.75 = 0.25, exact in binary floating point.

use super::{ExpSample, ExprTest, InputSeries, TestGroup};
use crate::emit::queries::{le_label, le_spellings};
use crate::emit::rules::{id_labels, ratio_metric, slo_windows};
use crate::emit::LabelNames;
use crate::model::units::Duration;
use crate::model::{Service, SliKind};
use promql_parser::label::MatchOp;
use promql_parser::parser::Expr;

/// Longest shortest-window for which the groups are generated (a sample a minute over the window).
const MAX_WINDOW_MINUTES: u64 = 24 * 60;

/// The groups for every latency SLI of `s` whose selector has only `=` matchers (a regular expression
/// matcher names no single series to feed).
pub fn groups(s: &Service, l: LabelNames) -> Vec<TestGroup> {
    let mut out = Vec::new();
    for (i, slo) in super::first_slo_per_sli(s) {
        let SliKind::Latency { histogram, under } = &s.slis[slo.sli].kind else {
            continue;
        };
        let Some((name, labels)) = plain_selector(&histogram.text) else {
            continue;
        };
        let w = slo_windows(s, i)[0];
        let minutes = w.millis / 60_000;
        if w.millis % 60_000 != 0 || minutes == 0 || minutes > MAX_WINDOW_MINUTES {
            continue;
        }
        let base = name.strip_suffix("_bucket").unwrap_or(&name).to_string();
        let with = |metric: &str, extra: Option<(&str, &str)>| {
            let mut all: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            if let Some((k, v)) = extra {
                all.push(format!("{k}={v:?}"));
            }
            format!("{metric}{{{}}}", all.join(","))
        };
        // The next bound up, in the Go spelling: one and a half times the threshold.
        let neighbour = le_label(Duration::from_millis(under.value.millis * 3 / 2));
        let samples = minutes + 10;
        let counter = |per_minute: u32| format!("0+{per_minute}x{samples}");
        let mut expected = id_labels(s, slo, l);
        expected.insert(l.window.to_string(), w.to_string());
        let expected_labels: Vec<String> =
            expected.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
        for spelling in le_spellings(under.value) {
            out.push(TestGroup {
                interval: "1m".into(),
                input_series: vec![
                    InputSeries {
                        series: with(&name, Some(("le", &spelling))),
                        values: counter(90),
                    },
                    InputSeries {
                        series: with(&name, Some(("le", &neighbour))),
                        values: counter(105),
                    },
                    InputSeries {
                        series: with(&name, Some(("le", "+Inf"))),
                        values: counter(120),
                    },
                    InputSeries {
                        series: with(&format!("{base}_count"), None),
                        values: counter(120),
                    },
                ],
                alert_rule_test: Vec::new(),
                promql_expr_test: vec![ExprTest {
                    expr: format!("{}{{{}={:?}}}", ratio_metric(w), l.id, expected[l.id]),
                    eval_time: format!("{}m", minutes + 5),
                    exp_samples: vec![ExpSample {
                        labels: format!("{}{{{}}}", ratio_metric(w), expected_labels.join(",")),
                        value: 0.25,
                    }],
                }],
            });
        }
    }
    out
}

/// The metric name and `=` matchers of a plain selector, or `None` when it has other matchers.
fn plain_selector(text: &str) -> Option<(String, Vec<(String, String)>)> {
    let Ok(Expr::VectorSelector(vs)) = crate::model::promql::parse_guarded(text.trim()) else {
        return None;
    };
    let name = vs.name.clone()?;
    let mut labels = Vec::new();
    for m in &vs.matchers.matchers {
        if m.op != MatchOp::Equal {
            return None;
        }
        if m.name != "__name__" {
            labels.push((m.name.clone(), m.value.clone()));
        }
    }
    Some((name, labels))
}
