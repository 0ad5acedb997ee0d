//! Teams migrating from Sloth keep their Grafana dashboards and alert routes: with `--sloth-labels`, a real
//! Prometheus evaluating slogate's rules over live samples answers every query a Sloth-style dashboard makes
//! (SLO list from `sloth_slo_info`, objective, budget, period, SLI, burn rates, remaining budget, windows,
//! alerts by `sloth_severity`), with the values worked out by hand for the burning service.

use crate::servers::{binary, openmetrics, start_prometheus_with};
use crate::support::{code, slogate, stderr};
use std::time::{Duration, Instant};

fn query(url: &str, q: &str) -> Vec<serde_json::Value> {
    let Ok(mut r) = ureq::get(&format!("{url}/api/v1/query"))
        .query("query", q)
        .call()
    else {
        return Vec::new();
    };
    let v: serde_json::Value =
        serde_json::from_str(&r.body_mut().read_to_string().unwrap_or_default())
            .unwrap_or_default();
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

fn value(r: &serde_json::Value) -> f64 {
    r["value"][1].as_str().unwrap().parse().unwrap()
}

#[test]
fn sloth_dashboard_queries_return_data() {
    let (Some(promtool), Some(prometheus)) = (binary("promtool"), binary("prometheus")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    let o = slogate(&[
        "build",
        "tests/fixtures/vmalert",
        "-o",
        rules.to_str().unwrap(),
        "--sloth-labels",
        "--long-interval",
        "30s",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Live samples up to the current minute: `burning` fails 5 of 105 requests a minute in the last hour.
    let end = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        / 60
        * 60;
    let om = openmetrics(end, &[("burning", 100, 0, 5), ("healthy", 999, 1, 1)]);
    let config = format!(
        "global:\n  scrape_interval: 1m\n  evaluation_interval: 2s\nrule_files:\n  - {}/*.rules.yml\n",
        rules.display()
    );
    let server = start_prometheus_with(&promtool, &prometheus, dir.path(), &om, None, &config);
    let sel = r#"sloth_service="burning",sloth_slo="availability""#;
    let queries = [
        "sloth_slo_info".to_string(),
        "count by (sloth_service) (sloth_slo_info)".to_string(),
        format!("slo:objective:ratio{{{sel}}}"),
        format!("slo:error_budget:ratio{{{sel}}}"),
        format!("slo:time_period:days{{{sel}}}"),
        format!("1 - slo:sli_error:ratio_rate5m{{{sel}}}"),
        format!("slo:current_burn_rate:ratio{{{sel}}}"),
        format!("slo:period_burn_rate:ratio{{{sel}}}"),
        format!("slo:period_error_budget_remaining:ratio{{{sel}}}"),
        format!(r#"{{__name__=~"slo:sli_error:ratio_rate.*",{sel}}}"#),
        format!(
            "sum_over_time(slo:sli_error:ratio_rate5m{{{sel}}}[30d]) / ignoring (sloth_window) count_over_time(slo:sli_error:ratio_rate5m{{{sel}}}[30d])"
        ),
        format!(r#"ALERTS{{{sel},sloth_severity="page",alertstate="firing"}}"#),
    ];
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let empty: Vec<&String> = queries
            .iter()
            .filter(|q| query(&server.url, q).is_empty())
            .collect();
        if empty.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "no data for: {empty:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
    // By hand: three SLOs listed with their objective as a percentage; 99% → budget 0.01 over 30 days; the
    // burning service's 5m error ratio 5/105, burn 4.7619 (5/105 ÷ 0.01).
    let info = query(&server.url, "sloth_slo_info");
    assert_eq!(info.len(), 3, "{info:?}");
    assert!(
        info.iter().all(|i| i["metric"]["sloth_objective"] == "99"),
        "{info:?}"
    );
    let one = |q: String| value(&query(&server.url, &q)[0]);
    let close = |got: f64, want: f64, what: &str| {
        assert!((got - want).abs() < 1e-9, "{what}: {got} != {want}")
    };
    close(
        one(format!("slo:objective:ratio{{{sel}}}")),
        0.99,
        "objective",
    );
    close(
        one(format!("slo:error_budget:ratio{{{sel}}}")),
        0.01,
        "budget",
    );
    close(one(format!("slo:time_period:days{{{sel}}}")), 30.0, "days");
    close(
        one(format!("slo:current_burn_rate:ratio{{{sel}}}")),
        5.0 / 105.0 / 0.01,
        "current burn",
    );
    let alerts = query(&server.url, &queries[11]);
    assert_eq!(alerts[0]["metric"]["severity"], "page", "{alerts:?}");
    assert!(
        alerts[0]["metric"].get("sloth_window").is_none(),
        "{alerts:?}"
    );
}
