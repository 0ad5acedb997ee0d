//! PromQL for an SLI over a window: the error ratio and the total event rate.

use crate::model::promql::fill;
use crate::model::units::{plain, Duration};
use crate::model::{Sli, SliKind};

/// Error ratio of the SLI over `window`, as a multi-line PromQL expression.
pub fn error_ratio(sli: &Sli, window: Duration) -> String {
    let w = window.to_string();
    match &sli.kind {
        SliKind::Ratio {
            events,
            events_are_bad: true,
            total,
        } => format!(
            "(\n  {}\n)\n/\n(\n  {}\n)",
            indent(&fill(events.text.trim(), &w)),
            indent(&fill(total.text.trim(), &w))
        ),
        SliKind::Ratio { events, total, .. } => format!(
            "1 - (\n  (\n    {}\n  )\n  /\n  (\n    {}\n  )\n)",
            indent2(&fill(events.text.trim(), &w)),
            indent2(&fill(total.text.trim(), &w))
        ),
        SliKind::Latency { histogram, under } => {
            let (good, total) = latency_queries(&histogram.text, under.value, &w);
            format!("1 - (\n  {good}\n  /\n  {total}\n)")
        }
    }
}

/// Total events per second over `window`.
pub fn total_rate(sli: &Sli, window: Duration) -> String {
    let w = window.to_string();
    match &sli.kind {
        SliKind::Ratio { total, .. } => fill(total.text.trim(), &w),
        SliKind::Latency { histogram, under } => {
            latency_queries(&histogram.text, under.value, &w).1
        }
    }
}

/// The `le` label value of a threshold, as Prometheus client libraries write bucket bounds: 300ms → `0.3`,
/// 1s → `1`.
pub fn le_label(under: Duration) -> String {
    plain(under.as_secs_decimal())
}

/// `sum(rate(x_bucket{…,le="0.3"}[w]))` and `sum(rate(x_count{…}[w]))` from the bucket selector.
fn latency_queries(selector: &str, under: Duration, w: &str) -> (String, String) {
    let selector = selector.trim();
    let name_end = selector
        .find(|c: char| c == '{' || c.is_whitespace())
        .unwrap_or(selector.len());
    let (name, rest) = selector.split_at(name_end);
    let rest = rest.trim();
    let base = name.strip_suffix("_bucket").unwrap_or(name);
    let le = format!("le=\"{}\"", le_label(under));
    let inner = rest
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .unwrap_or("")
        .trim();
    let inner = inner.trim_end_matches(',').trim();
    let with_le = if inner.is_empty() {
        format!("{{{le}}}")
    } else {
        format!("{{{inner},{le}}}")
    };
    let count_matchers = if inner.is_empty() {
        String::new()
    } else {
        format!("{{{inner}}}")
    };
    (
        format!("sum(rate({name}{with_le}[{w}]))"),
        format!("sum(rate({base}_count{count_matchers}[{w}]))"),
    )
}

fn indent(s: &str) -> String {
    s.replace('\n', "\n  ")
}

fn indent2(s: &str) -> String {
    s.replace('\n', "\n    ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_selectors_get_le_and_count() {
        let (good, total) = latency_queries(
            "http_seconds_bucket{job=\"a\"}",
            Duration::from_millis(300),
            "5m",
        );
        assert_eq!(
            good,
            "sum(rate(http_seconds_bucket{job=\"a\",le=\"0.3\"}[5m]))"
        );
        assert_eq!(total, "sum(rate(http_seconds_count{job=\"a\"}[5m]))");
        let (good, total) = latency_queries("x_bucket", Duration::from_millis(1000), "1h");
        assert_eq!(good, "sum(rate(x_bucket{le=\"1\"}[1h]))");
        assert_eq!(total, "sum(rate(x_count[1h]))");
        assert_eq!(le_label(Duration::from_millis(2500)), "2.5");
    }
}
