//! The alerts of an SLO: multi-window multi-burn-rate alerts (one per severity, the window label folded so a
//! burn that moves from one window pair to another stays one alert), and the two alerts about its data
//! (absent SLI, stopped traffic).

use super::rules::{
    alerts_of, ratio_metric, series, slo_windows, total_metric, traffic_window, Rule,
};
use super::LabelNames;
use crate::model::units::{percent, plain, Duration};
use crate::model::{Alert, AlertSeverity, Service, Slo};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

pub use crate::model::names::{absent_name, alert_name, no_traffic_name};

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

/// The alerts of SLO `i`: its burn alerts, then (once per SLI) the absent and no-traffic alerts.
pub fn alerts(s: &Service, i: usize, first_of_sli: bool, l: LabelNames) -> Vec<Rule> {
    let slo = &s.slos[i];
    let mut rules = Vec::new();
    for a in alerts_of(s, i) {
        for severity in [AlertSeverity::Page, AlertSeverity::Ticket] {
            rules.extend(burn_alert(s, slo, a, severity, l));
        }
    }
    if first_of_sli {
        rules.push(absent_alert(s, i, l));
        rules.extend(no_traffic_alert(s, i, l));
    }
    rules
}

/// `<Service><Sli>SLIAbsent`: the error ratio over the shortest window has not been computable for
/// [`ABSENT_FOR`].
fn absent_alert(s: &Service, i: usize, l: LabelNames) -> Rule {
    let slo = &s.slos[i];
    let sli = &s.slis[slo.sli];
    let shortest = slo_windows(s, i)[0];
    Rule::Alert {
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
    }
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
    // The window label is folded away: a burn that moves from one pair to another stays one alert; which
    // pair burns is in the `windows` annotation.
    let expr = format!(
        "max without ({}) (\n{}\n)\n/ {}",
        l.window,
        pairs.join(&format!("\n  or ignoring({})\n", l.window)),
        plain(budget)
    );
    let mut labels = base_labels(s, slo, severity.as_str());
    if l.sloth {
        // Sloth's alert routes and dashboards key on it.
        labels.insert("sloth_severity".to_string(), severity.as_str().to_string());
    }
    labels.extend(a.labels.iter().cloned());
    let value = "{{ $value | humanize }}";
    // Each window's burn rate now, read from its recorded ratio when the annotation is rendered.
    let burn_now = |w: Duration| {
        let q = format!(
            "{} / {}",
            series(&ratio_metric(w), s, slo, l),
            plain(budget)
        )
        .replace('"', "\\\"");
        format!("{{{{ with query \"{q}\" }}}}{{{{ . | first | value | humanize }}}}{{{{ else }}}}no data{{{{ end }}}}")
    };
    let annotations = burn_annotations(s, slo, a, severity, value, &burn_now);
    Some(Rule::Alert {
        alert: alert_name(s, a),
        expr,
        for_: None,
        labels,
        annotations,
    })
}

/// The annotations of a burn-rate alert; `value` and `burn_now` (a window's current burn rate) are templates
/// in rules and concrete text in the expectations of generated tests.
pub fn burn_annotations(
    s: &Service,
    slo: &Slo,
    a: &Alert,
    severity: AlertSeverity,
    value: &str,
    burn_now: &dyn Fn(Duration) -> String,
) -> BTreeMap<String, String> {
    let pairs: Vec<String> = a
        .windows
        .iter()
        .filter(|w| w.severity == severity)
        .map(|w| {
            let f = w.factor(slo.window.value).round_dp(4);
            format!(
                "{} {}× and {} {}× (fires above {}× in both)",
                w.long,
                burn_now(w.long),
                w.short,
                burn_now(w.short),
                plain(f)
            )
        })
        .collect();
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
                "{} SLO `{}` ({} over {}) is burning its error budget {value}× faster than sustainable. This {} fires above {}.",
                s.name.value,
                slo.name.value,
                percent(slo.objective.value),
                slo.window.value,
                severity.as_str(),
                factors.join(", ")
            ),
        ),
        ("windows".to_string(), format!("burn rates now: {}", pairs.join("; "))),
    ]);
    if let Some(r) = &a.runbook {
        out.insert("runbook_url".to_string(), r.value.clone());
    }
    out.extend(a.annotations.iter().cloned());
    out
}
