//! `slogate gate --prometheus` against a real Prometheus (Debian's `prometheus` package): counters written
//! as OpenMetrics, turned into TSDB blocks with `promtool tsdb create-blocks-from openmetrics`, served by
//! `prometheus` on 127.0.0.1 on a free port, queried at a fixed time, then stopped. In CI (CI set) missing
//! binaries fail the test; elsewhere it prints a loud notice and passes.

use crate::servers::{binary, free_port, gate_samples, start_prometheus, verdict_without_source};
use crate::support::{code, commit_all, deployment, slogate, stderr, stdout};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

#[test]
fn verdicts_against_a_real_prometheus() {
    let (Some(promtool), Some(prometheus)) = (binary("promtool"), binary("prometheus")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let end = crate::servers::this_minute() - 600;
    let om = gate_samples(end);
    let server = start_prometheus(&promtool, &prometheus, dir.path(), &om, None);
    let at = end.to_string();
    let run = |service: &str, extra: &[&str]| {
        let mut args = vec![
            "gate",
            "tests/fixtures/gate-e2e",
            "--service",
            service,
            "--prometheus",
            &server.url,
            "--at",
            &at,
        ];
        args.extend_from_slice(extra);
        slogate(&args)
    };
    let o = run("healthy", &["--format", "json"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["verdict"], "allow");
    assert_eq!(v["services"][0]["checks"][0]["value"], "90%");
    let o = run("exhausted", &[]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("releases are frozen: budget(availability) <= 0% (measured -100%)"),
        "{}",
        stdout(&o)
    );
    let o = run("burning", &[]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("`burn(availability, 1h) < 2` does not hold: measured 4.7619"),
        "{}",
        stdout(&o)
    );
    let o = run("missing", &[]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("no data for `budget(availability) >= 25%`"),
        "{}",
        stdout(&o)
    );
    let o = run("canaried", &[]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("[2% (baseline 1%)]"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("the canary's error ratio 2% exceeds the allowed 1.1%"),
        "{}",
        stdout(&o)
    );
    // The same exhausted budget, but the change is a rollback (git history: the image returns to 1).
    let repo_dir = tempfile::tempdir().unwrap();
    rollback_repo(repo_dir.path());
    let o = slogate(&[
        "gate",
        repo_dir.path().to_str().unwrap(),
        "--service",
        "exhausted",
        "--prometheus",
        &server.url,
        "--at",
        &at,
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("exhausted (rollback): allow"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("frozen, but a rollback is allowed through"),
        "{}",
        stdout(&o)
    );
    // Every verdict replays identically from what it saved (canaries included): only the figures' source
    // differs between the live run and the replay.
    // A service that never failed has no error series: zero errors, allowed (it used to be "no data", deny).
    let o = run("quiet", &["--format", "json"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["services"][0]["checks"][0]["value"], "100%", "{v}");
    assert_eq!(v["services"][0]["checks"][1]["value"], "0", "{v}");
    for service in [
        "healthy",
        "exhausted",
        "burning",
        "missing",
        "canaried",
        "quiet",
    ] {
        let saved = dir.path().join(format!("{service}.json"));
        let live = run(
            service,
            &[
                "--format",
                "json",
                "--save-metrics",
                saved.to_str().unwrap(),
            ],
        );
        let replay = slogate(&[
            "gate",
            "tests/fixtures/gate-e2e",
            "--service",
            service,
            "--metrics",
            saved.to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert_eq!(code(&live), code(&replay), "{service}: {}", stderr(&replay));
        assert_eq!(
            verdict_without_source(&live),
            verdict_without_source(&replay),
            "{service}: the replay differs"
        );
    }
    // The figures read can be saved as a snapshot and give the same verdict offline.
    let saved = dir.path().join("saved.json");
    let o = run("healthy", &["--save-metrics", saved.to_str().unwrap()]);
    assert_eq!(code(&o), 0);
    let o = slogate(&[
        "gate",
        "tests/fixtures/gate-e2e",
        "--service",
        "healthy",
        "--metrics",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("healthy (deploy): allow"),
        "{}",
        stdout(&o)
    );
    drop(server);
}

/// A server that answers every request with `response`.
fn fake(response: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut s = stream;
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(response.as_bytes());
        }
    });
    url
}

#[test]
fn an_unreachable_or_lying_prometheus_cannot_give_a_verdict() {
    let gate = |url: &str| {
        slogate(&[
            "gate",
            "tests/fixtures/gate-e2e",
            "--service",
            "healthy",
            "--prometheus",
            url,
        ])
    };
    let down = format!("http://127.0.0.1:{}", free_port());
    let start = Instant::now();
    let o = gate(&down);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains(&format!("cannot reach {down}")),
        "{}",
        stderr(&o)
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    let o = gate(&fake(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\noops",
    ));
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("answered HTTP 500: oops"),
        "{}",
        stderr(&o)
    );
    // A 4xx is an error whatever its body: a success page behind a 401 or a 404 is no figure.
    for status in ["401 Unauthorized", "404 Not Found"] {
        let body = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0"]}]}}"#;
        let response: &'static str = Box::leak(
            format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_boxed_str(),
        );
        let o = gate(&fake(response));
        assert_eq!(code(&o), 2, "{status}: {}{}", stdout(&o), stderr(&o));
        assert!(stderr(&o).contains(&status[..3]), "{}", stderr(&o));
    }
    // Warnings are shown; a partial answer is no figure (unknown, which denies).
    let warned = |warning: &str| -> &'static str {
        let body = format!(
            r#"{{"status":"success","warnings":["{warning}"],"data":{{"resultType":"vector","result":[{{"metric":{{}},"value":[1,"0"]}}]}}}}"#
        );
        Box::leak(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_boxed_str(),
        )
    };
    let o = gate(&fake(warned("store eu-1 is slow")));
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("warning:") && stdout(&o).contains("store eu-1 is slow"),
        "{}",
        stdout(&o)
    );
    let o = gate(&fake(warned("partial response: store eu-2 did not answer")));
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("no data for"), "{}", stdout(&o));
    // VictoriaMetrics cluster marks a partial answer with `isPartial` instead.
    let body = r#"{"status":"success","isPartial":true,"data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0"]}]}}"#;
    let response: &'static str = Box::leak(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_boxed_str(),
    );
    let o = gate(&fake(response));
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("no data for"), "{}", stdout(&o));
    assert!(stdout(&o).contains("isPartial"), "{}", stdout(&o));
    let o = gate(&fake("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\nConnection: close\r\n\r\n<html></html>"));
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("not the Prometheus API (not JSON): <html></html>"),
        "{}",
        stderr(&o)
    );
}

/// A repository whose HEAD rolls the `exhausted` workload back to an earlier image.
fn rollback_repo(dir: &Path) {
    let repo = git2::Repository::init(dir).unwrap();
    let policy = "service exhausted {\n  owner = \"t\"\n  tier  = 3\n  workload = deployment/shop/exhausted\n\n  sli availability {\n    good  = `sum(rate(http_requests_total{job=\"exhausted\",code!~\"5..\"}[$window]))`\n    total = `sum(rate(http_requests_total{job=\"exhausted\"}[$window]))`\n  }\n  slo availability { sli = availability  objective = 99%  window = 30d }\n\n  gate deploy {\n    freeze when budget(availability) <= 0% except rollback\n  }\n}\n";
    std::fs::write(dir.join("policy.slo"), policy).unwrap();
    for (i, image) in ["1", "2", "1"].iter().enumerate() {
        std::fs::write(dir.join("deployment.yaml"), deployment("exhausted", image)).unwrap();
        commit_all(
            &repo,
            "Dana",
            &format!("image {image}"),
            1_700_000_000 + i as i64 * 3600,
        );
    }
}
