//! PromQL for an SLI over a window: the error ratio and the total event rate.
//!
//! No data is not zero, and zero is not no data: a counter of errors that has never been incremented often
//! does not exist at all (client libraries create a labelled series on first use), so the event query of a
//! ratio SLI is completed with `or on() vector(0)` — with traffic present, a missing error series is zero errors,
//! and a missing good series is zero good events. Without traffic (the total missing) the ratio stays missing,
//! and with traffic stopped (a total rate of 0) it is NaN; neither is taken for a healthy figure, and the
//! absent-SLI and no-traffic alerts report them. A latency SLI's bucket is not completed: a missing bucket is
//! a bound the histogram does not have, which the absent alert must report.

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
            "(\n  {}\n  or on() vector(0)\n)\n/\n(\n  {}\n)",
            indent(&fill(events.text.trim(), &w)),
            indent(&fill(total.text.trim(), &w))
        ),
        SliKind::Ratio { events, total, .. } => format!(
            "1 - (\n  (\n    {}\n    or on() vector(0)\n  )\n  /\n  (\n    {}\n  )\n)",
            indent2(&fill(events.text.trim(), &w)),
            indent2(&fill(total.text.trim(), &w))
        ),
        SliKind::Latency { histogram, under } => {
            let (good, total) = latency_queries(&histogram.text, under.value, &w);
            format!("1 - (\n  {good}\n  /\n  {total}\n)")
        }
    }
}

/// Bad events per second over `window` (the numerator the long windows sum): the `bad` query completed with
/// zero, `total − good`, or the count minus the bucket of `under`.
pub fn bad_rate(sli: &Sli, window: Duration) -> String {
    let w = window.to_string();
    match &sli.kind {
        SliKind::Ratio {
            events,
            events_are_bad: true,
            ..
        } => format!(
            "(\n  {}\n)\nor on() vector(0)",
            indent(&fill(events.text.trim(), &w))
        ),
        SliKind::Ratio { events, total, .. } => format!(
            "(\n  {}\n)\n-\n(\n  {}\n  or on() vector(0)\n)",
            indent(&fill(total.text.trim(), &w)),
            indent(&fill(events.text.trim(), &w))
        ),
        SliKind::Latency { histogram, under } => {
            let (good, total) = latency_queries(&histogram.text, under.value, &w);
            format!("{total}\n-\n{good}")
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

/// How client libraries write the bucket bound of a threshold, as Go's `strconv.FormatFloat(v, 'g', -1, 64)`
/// does (client_golang, and Prometheus 3 before its `.0`): 300ms → `0.3`, 1s → `1`, 1,500,000s → `1.5e+06`.
pub fn le_label(under: Duration) -> String {
    go_float(under.as_secs_decimal())
}

/// Every spelling of the bucket bound of `under` that a Prometheus may have stored, first the Go one:
/// Prometheus 2 keeps what the client wrote (client_golang writes `1`, the Python and Java clients `1.0`);
/// Prometheus 3 normalises classic-histogram `le` values on ingestion to the OpenMetrics form (`1.0`).
/// A bound with a fraction (`0.3`) has one spelling everywhere.
pub fn le_spellings(under: Duration) -> Vec<String> {
    let secs = under.as_secs_decimal();
    let go = go_float(secs);
    let mut all = vec![go.clone()];
    let mut push = |s: String| {
        if !all.contains(&s) {
            all.push(s);
        }
    };
    if !go.contains(['.', 'e']) {
        push(format!("{go}.0"));
    }
    if go.contains('e') {
        // A large bound in exponent form (Go, Python, Prometheus 3); Java writes it out in full.
        let full = plain(secs);
        if !full.contains('.') {
            push(format!("{full}.0"));
        }
        push(full);
    }
    all
}

/// The `le` matcher for `under`: `le="0.3"` when the bound has one spelling, else a regular expression that
/// accepts each (`le=~"1|1\\.0"`), so the same rules work on Prometheus 2 and 3 with any client library.
pub fn le_matcher(under: Duration) -> String {
    let spellings = le_spellings(under);
    if spellings.len() == 1 {
        format!("le=\"{}\"", spellings[0])
    } else {
        // `.` and `+` are regular-expression syntax: escaped (`\\.` inside a PromQL string).
        let alternatives: Vec<String> = spellings
            .iter()
            .map(|s| s.replace('.', "\\\\.").replace('+', "\\\\+"))
            .collect();
        format!("le=~\"{}\"", alternatives.join("|"))
    }
}

/// Go's shortest `'g'` formatting of a non-negative decimal: plain digits for exponents −4 to 5, else
/// `d.ddde±XX`.
fn go_float(v: rust_decimal::Decimal) -> String {
    let text = plain(v);
    if v.is_zero() {
        return text;
    }
    // The significant digits and the decimal exponent of the first one.
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let all: String = format!("{int}{frac}");
    let lead = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_matches('0');
    let exp = int.len() as i64 - 1 - lead as i64;
    if (-4..6).contains(&exp) {
        return text;
    }
    let (first, rest) = digits.split_at(1);
    let mantissa = if rest.is_empty() {
        first.to_string()
    } else {
        format!("{first}.{rest}")
    };
    format!(
        "{mantissa}e{}{:02}",
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    )
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
    let le = le_matcher(under);
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
        // 1s: client_golang writes `1`, Prometheus 3 and the Python and Java clients `1.0`.
        let (good, total) = latency_queries("x_bucket", Duration::from_millis(1000), "1h");
        assert_eq!(good, "sum(rate(x_bucket{le=~\"1|1\\\\.0\"}[1h]))");
        assert_eq!(total, "sum(rate(x_count[1h]))");
        assert_eq!(le_label(Duration::from_millis(2500)), "2.5");
    }

    #[test]
    fn bucket_bounds_in_every_spelling() {
        let ms = Duration::from_millis;
        let sp = |m: u64| le_spellings(ms(m));
        // Fractions have one spelling.
        assert_eq!(sp(300), ["0.3"]);
        assert_eq!(sp(1), ["0.001"]);
        assert_eq!(sp(2500), ["2.5"]);
        // Whole seconds: Go's `1` and OpenMetrics' `1.0`.
        assert_eq!(sp(1000), ["1", "1.0"]);
        assert_eq!(sp(10_000), ["10", "10.0"]);
        // Go's 'g' switches to an exponent at 1e6 (strconv: exponent >= 6 with shortest precision):
        // 100000 stays plain, 1000000 is `1e+06`, which Java writes out as `1000000.0`.
        assert_eq!(sp(100_000_000), ["100000", "100000.0"]);
        assert_eq!(sp(1_000_000_000), ["1e+06", "1000000.0", "1000000"]);
        assert_eq!(sp(1_500_000_000), ["1.5e+06", "1500000.0", "1500000"]);
        assert_eq!(le_matcher(ms(300)), "le=\"0.3\"");
        assert_eq!(le_matcher(ms(1000)), r#"le=~"1|1\\.0""#);
        assert_eq!(
            le_matcher(ms(1_500_000_000)),
            r#"le=~"1\\.5e\\+06|1500000\\.0|1500000""#
        );
        // Small bounds in exponent form, as Go writes them (below 1e-4).
        assert_eq!(go_float(rust_decimal::Decimal::new(1, 5)), "1e-05");
        assert_eq!(go_float(rust_decimal::Decimal::new(1, 4)), "0.0001");
    }
}
