//! Dashboards against a real Prometheus evaluating slogate's rules over live samples:
//! - teams migrating from Sloth keep their Grafana dashboards and alert routes: with `--sloth-labels`, every
//!   query a Sloth-style dashboard makes (SLO list from `sloth_slo_info`, objective, budget, period, SLI, burn
//!   rates, remaining budget, windows, alerts by `sloth_severity`) returns data, with the values worked out by
//!   hand for the burning service;
//! - every panel query of the dashboards `build --dashboards` writes returns data.

use crate::servers::{binary, openmetrics, start_prometheus_with, Server};
use crate::support::{code, slogate, stderr};
use std::path::Path;
use std::time::{Duration, Instant};

/// Builds tests/fixtures/vmalert with `extra` into `dir/rules` and serves live samples (up to the current
/// minute: `burning` fails 5 of 105 requests a minute in the last hour, `healthy` 1 of 1000) with those rules
/// evaluated every 2 seconds.
fn live(promtool: &Path, prometheus: &Path, dir: &Path, extra: &[&str]) -> Server {
    let rules = dir.join("rules");
    let mut args = vec![
        "build",
        "tests/fixtures/vmalert",
        "-o",
        rules.to_str().unwrap(),
        "--long-interval",
        "30s",
    ];
    args.extend_from_slice(extra);
    let o = slogate(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let end = crate::servers::this_minute();
    let om = openmetrics(end, &[("burning", 100, 0, 5), ("healthy", 999, 1, 1)]);
    let config = format!(
        "global:\n  scrape_interval: 1m\n  evaluation_interval: 2s\nrule_files:\n  - {}/*.rules.yml\n",
        rules.display()
    );
    start_prometheus_with(promtool, prometheus, dir, &om, None, &config)
}

/// Waits (at most 90 s) until every query returns data.
fn until_all_answer(url: &str, queries: &[String]) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let empty: Vec<&String> = queries
            .iter()
            .filter(|q| query(url, q).is_empty())
            .collect();
        if empty.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "no data for: {empty:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

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
    let server = live(&promtool, &prometheus, dir.path(), &["--sloth-labels"]);
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
    until_all_answer(&server.url, &queries);
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

#[test]
fn every_panel_of_the_generated_dashboards_returns_data() {
    let (Some(promtool), Some(prometheus)) = (binary("promtool"), binary("prometheus")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = live(&promtool, &prometheus, dir.path(), &["--dashboards"]);
    let mut queries = Vec::new();
    for service in ["burning", "healthy"] {
        let text =
            std::fs::read_to_string(dir.path().join(format!("rules/{service}.dashboard.json")))
                .unwrap();
        let d: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(d["uid"], format!("slogate-{service}"));
        assert!(d["description"]
            .as_str()
            .unwrap()
            .starts_with("Generated by slogate"));
        let panels = d["panels"].as_array().unwrap();
        // Grafana's grid: ids unique, every panel within 24 columns, refIds unique within a panel.
        let mut ids: Vec<u64> = panels.iter().map(|p| p["id"].as_u64().unwrap()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), panels.len());
        for p in panels {
            let g = &p["gridPos"];
            assert!(
                g["x"].as_u64().unwrap() + g["w"].as_u64().unwrap() <= 24,
                "{p}"
            );
            let targets = p["targets"].as_array().cloned().unwrap_or_default();
            let mut refs: Vec<&str> = targets
                .iter()
                .map(|t| t["refId"].as_str().unwrap())
                .collect();
            refs.sort();
            refs.dedup();
            assert_eq!(refs.len(), targets.len(), "{p}");
            queries.extend(
                targets
                    .iter()
                    .map(|t| t["expr"].as_str().unwrap().to_string()),
            );
        }
    }
    // SLI, budget left, firing alerts, error ratio per window and thresholds, burn rates, remaining budget.
    assert!(queries.len() >= 2 * 8, "{queries:?}");
    until_all_answer(&server.url, &queries);
    // The burning service's page alert fires: its firing-alerts panel counts 1 (threshold 0.02, ratio 0.0476).
    let firing = queries
        .iter()
        .find(|q| q.contains("ALERTS") && q.contains("burning-availability"))
        .unwrap();
    assert_eq!(query(&server.url, firing)[0]["value"][1], "1");
}
