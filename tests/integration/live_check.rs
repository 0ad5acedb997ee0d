//! `check --prometheus`: the SLIs of tests/fixtures/live held against a real Prometheus loaded with known
//! series. Each broken SLI gets its code at the line of the `.slo` file where the problem is written, with the
//! values the server has; the correct service gets nothing; an unreachable server is no verdict (exit 2).

use crate::servers::{binary, free_port, start_prometheus};
use crate::support::{code, slogate_env, stderr, stdout};

/// Six hours ending at `end`: api 99 ok + 1 error a minute, idle a flat counter, and api's latency histogram
/// (a minute: 50 requests within 0.1s, 80 within 0.25s, 95 within 0.5s, 99 within 1s, 100 in all).
fn samples(end: i64) -> String {
    let mut out = String::from("# TYPE http_requests counter\n");
    let series = [
        ("http_requests_total{job=\"api\",code=\"200\"}", 99),
        ("http_requests_total{job=\"api\",code=\"500\"}", 1),
        ("http_requests_total{job=\"idle\",code=\"200\"}", 0),
    ];
    for (s, per_minute) in series {
        for m in 0..=360i64 {
            out.push_str(&format!(
                "{s} {} {}\n",
                1000 + m * per_minute,
                end - (360 - m) * 60
            ));
        }
    }
    out.push_str("# TYPE http_request_duration_seconds histogram\n");
    for (le, per_minute) in [
        ("0.1", 50),
        ("0.25", 80),
        ("0.5", 95),
        ("1", 99),
        ("+Inf", 100),
    ] {
        for m in 0..=360i64 {
            out.push_str(&format!(
                "http_request_duration_seconds_bucket{{job=\"api\",le=\"{le}\"}} {} {}\n",
                m * per_minute,
                end - (360 - m) * 60
            ));
        }
    }
    for m in 0..=360i64 {
        out.push_str(&format!(
            "http_request_duration_seconds_count{{job=\"api\"}} {} {}\n",
            m * 100,
            end - (360 - m) * 60
        ));
    }
    out.push_str("# EOF\n");
    out
}

/// The 1-based line of the fixture that contains `needle` (after the line containing `after`).
fn line_of(after: &str, needle: &str) -> u64 {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/live/policy.slo"),
    )
    .unwrap();
    let start = text.find(after).unwrap();
    (text[..start + text[start..].find(needle).unwrap()]
        .matches('\n')
        .count()
        + 1) as u64
}

#[test]
fn slis_are_held_against_the_series_the_server_has() {
    let (Some(promtool), Some(prometheus)) = (binary("promtool"), binary("prometheus")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let end = crate::servers::this_minute() - 600;
    let server = start_prometheus(&promtool, &prometheus, dir.path(), &samples(end), None);
    let o = slogate_env(
        &[
            "check",
            "tests/fixtures/live",
            "--no-manifests",
            "--prometheus",
            &server.url,
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let found: Vec<(String, u64, String, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"]
                    .as_u64()
                    .or_else(|| d["span"]["line"].as_u64())
                    .unwrap_or(0),
                d["message"].as_str().unwrap().to_string(),
                d["help"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expect = |code: &str, line: u64, text: &str, help: &str| {
        assert!(
            found.iter().any(|(c, l, m, h)| c == code
                && *l == line
                && m.contains(text)
                && h.contains(help)),
            "expected {code} at line {line} with `{text}` / `{help}` in {found:#?}"
        );
    };
    // The metric name with a typo: the closest name the server has.
    expect(
        "sli-metric-missing",
        line_of("service typo", "http_request_total"),
        "no series of `http_request_total` over the last 1d",
        "did you mean `http_requests_total`?",
    );
    // A label value the metric does not have: its values are listed, the closest suggested.
    expect(
        "sli-label-mismatch",
        line_of("service label", "http_requests_total{job=\"apii\""),
        "matches none of the values of `job` on `http_requests_total`: `api`, `idle`",
        "did you mean `api`?",
    );
    // Each matcher alone matches, together nothing (idle never answered 500).
    expect(
        "sli-series-missing",
        line_of(
            "service combo",
            "http_requests_total{job=\"idle\",code=\"500\"",
        ),
        "no series matches `http_requests_total{job=\"idle\",code=\"500\"}`",
        "",
    );
    // 300ms is not a bound: the bounds are listed in order.
    expect(
        "sli-bucket-missing",
        line_of("service latency", "under"),
        "has no bucket at 300ms (le=\"0.3\"); its bounds are `0.1`, `0.25`, `0.5`, `1`, `+Inf`",
        "",
    );
    // A flat counter: no events; a good query wider than the total: more good than total (100 vs 99 a minute).
    expect(
        "sli-no-events",
        line_of("service idle", "total ="),
        "SLI `availability` counted no events over the last 1d",
        "",
    );
    expect(
        "sli-good-exceeds-total",
        line_of("service inverted", "good  ="),
        // 100 requests a minute against 99 with code 200: 100/99 = 1.0101.
        "counts 1.0101 times as many good events as events in total",
        "",
    );
    // The correct service has nothing, and nothing else is reported.
    assert_eq!(found.len(), 6, "{found:#?}");
    // An unreachable server: no verdict on the SLIs.
    let o = slogate_env(
        &[
            "check",
            "tests/fixtures/live",
            "--no-manifests",
            "--prometheus",
            &format!("http://127.0.0.1:{}", free_port()),
        ],
        &[],
    );
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("cannot check the SLIs against Prometheus"),
        "{}",
        stderr(&o)
    );
}
