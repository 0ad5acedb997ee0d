//! promtool tests of what no data means, fed with the raw SLI series: a healthy service whose error counter
//! has never been created records an error ratio of 0 (no burn alert, no absent alert), and traffic that stops
//! fires the no-traffic alert (the ratio is NaN then, which neither the burn nor the absent alert sees).
//!
//! Generated for a ratio SLI whose total query reads one series selector with only `=` matchers (the series
//! to feed is then known), when that series alone is healthy: no `bad` selector matches it, or the one `good`
//! selector does. The total grows by 60 a minute (healthy: ratio 0 whether the errors are a missing `bad`
//! series or `1 - good/total` with good = total) or not at all (stopped), sampled every minute.

use super::{AlertTest, ExpAlert, ExpSample, ExprTest, InputSeries, TestGroup};
use crate::emit::alerts::{absent_name, base_labels, no_traffic_annotations, no_traffic_name};
use crate::emit::rules::{id_labels, ratio_metric, slo_windows, traffic_window};
use crate::emit::LabelNames;
use crate::model::promql::{fill, parse_guarded};
use crate::model::{Service, SliKind};
use promql_parser::label::{MatchOp, Matchers};

/// Minutes of samples fed, and when the alerts are evaluated (after the absent and no-traffic `for: 10m`).
const SAMPLES: u32 = 30;
const EVAL: &str = "25m";

/// The no-data groups of every eligible SLI of `s`.
pub fn groups(s: &Service, l: LabelNames) -> Vec<TestGroup> {
    let mut out = Vec::new();
    for (i, slo) in super::first_slo_per_sli(s) {
        let sli = &s.slis[slo.sli];
        let SliKind::Ratio {
            events,
            events_are_bad,
            total,
        } = &sli.kind
        else {
            continue;
        };
        let shortest = slo_windows(s, i)[0];
        let window = shortest.to_string();
        let total_selectors = selectors(&fill(total.text.trim(), &window));
        let [(name, matchers)] = total_selectors.as_slice() else {
            continue;
        };
        if matchers.matchers.iter().any(|m| m.op != MatchOp::Equal) {
            continue;
        }
        let labels: Vec<(String, String)> = matchers
            .matchers
            .iter()
            .filter(|m| m.name != "__name__")
            .map(|m| (m.name.clone(), m.value.clone()))
            .collect();
        let fed = |(n, m): &(String, Matchers)| {
            n == name
                && m.matchers.iter().all(|x| {
                    x.name == "__name__"
                        || x.is_match(
                            labels
                                .iter()
                                .find(|(k, _)| *k == x.name)
                                .map_or("", |(_, v)| v.as_str()),
                        )
                })
        };
        // The fed series must be no error: matched by no `bad` selector, or by the one `good` selector (a good
        // query such as `x{job="a",code!~"5.."}` matches a series without a `code` label).
        let event_selectors = selectors(&fill(events.text.trim(), &window));
        let healthy = if *events_are_bad {
            !event_selectors.is_empty() && !event_selectors.iter().any(fed)
        } else {
            event_selectors.len() == 1 && fed(&event_selectors[0])
        };
        if !healthy {
            continue;
        }
        let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
        let series = format!("{name}{{{}}}", inner.join(","));
        let ids = id_labels(s, slo, l);
        let mut ratio_labels = ids.clone();
        ratio_labels.insert(l.window.to_string(), window.clone());
        let text = |m: &std::collections::BTreeMap<String, String>| {
            m.iter()
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let absent = AlertTest {
            eval_time: EVAL.into(),
            alertname: absent_name(s, &sli.name.value),
            exp_alerts: Vec::new(),
        };
        // Healthy: the total grows, no error series exists → ratio 0, no alert about data.
        out.push(TestGroup {
            interval: "1m".into(),
            input_series: vec![InputSeries {
                series: series.clone(),
                values: format!("0+60x{SAMPLES}"),
            }],
            alert_rule_test: vec![
                absent,
                AlertTest {
                    eval_time: EVAL.into(),
                    alertname: no_traffic_name(s, &sli.name.value),
                    exp_alerts: Vec::new(),
                },
            ],
            promql_expr_test: vec![ExprTest {
                expr: format!("{}{{{}={:?}}}", ratio_metric(shortest), l.id, ids[l.id]),
                eval_time: EVAL.into(),
                exp_samples: vec![ExpSample {
                    labels: format!("{}{{{}}}", ratio_metric(shortest), text(&ratio_labels)),
                    value: 0.0,
                }],
            }],
        });
        // Stopped: the total does not move → the no-traffic alert fires, the absent alert does not.
        let Some(w) = traffic_window(s, i) else {
            continue;
        };
        let mut fired = base_labels(s, slo, "ticket");
        fired.extend(ids.clone());
        fired.insert(l.window.to_string(), w.to_string());
        out.push(TestGroup {
            interval: "1m".into(),
            input_series: vec![InputSeries {
                series,
                values: format!("1000+0x{SAMPLES}"),
            }],
            alert_rule_test: vec![
                AlertTest {
                    eval_time: EVAL.into(),
                    alertname: absent_name(s, &sli.name.value),
                    exp_alerts: Vec::new(),
                },
                AlertTest {
                    eval_time: EVAL.into(),
                    alertname: no_traffic_name(s, &sli.name.value),
                    exp_alerts: vec![ExpAlert {
                        exp_labels: fired,
                        exp_annotations: no_traffic_annotations(s, &sli.name.value, w),
                    }],
                },
            ],
            promql_expr_test: Vec::new(),
        });
    }
    out
}

/// The metric name and matchers of every named series selector in a query.
fn selectors(text: &str) -> Vec<(String, Matchers)> {
    let Ok(e) = parse_guarded(text) else {
        return Vec::new();
    };
    crate::model::selectors::vector_selectors(&e)
        .into_iter()
        .filter_map(|vs| Some((vs.name.clone()?, vs.matchers.clone())))
        .collect()
}
