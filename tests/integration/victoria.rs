//! A second engine, really started: VictoriaMetrics (Debian `victoria-metrics`) answers the gate's queries
//! with the same verdicts as Prometheus on the same samples, and `vmalert`, a standalone ruler, evaluates the
//! emitted rules against it: the recording rules give the hand-computed error ratios and the burn alert
//! fires.
//!
//! MetricsQL differs from PromQL where it could matter: its `rate` does not extrapolate to the window's edges
//! (it starts from the last sample before the window). On counters sampled at the window's edges, as here and
//! as with any window much longer than the scrape interval, both give the same ratio; docs/gate.md says so.

use crate::servers::{
    binary, binary_of, gate_samples, import_victoria, openmetrics, start_prometheus,
    start_victoria, verdict_without_source,
};
use crate::support::{code, slogate, stderr, stdout};

fn end_of_data() -> i64 {
    crate::servers::this_minute() - 600
}

#[test]
fn victoria_metrics_gives_the_same_verdicts_as_prometheus() {
    let (Some(promtool), Some(prometheus)) = (binary("promtool"), binary("prometheus")) else {
        return;
    };
    let Some(vm) = binary_of("victoria-metrics", "victoria-metrics") else {
        return;
    };
    let end = end_of_data();
    let om = gate_samples(end);
    let (pdir, vdir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let prom = start_prometheus(&promtool, &prometheus, pdir.path(), &om, None);
    let victoria = start_victoria(&vm, vdir.path());
    import_victoria(&victoria.url, &om);
    let at = end.to_string();
    let gate = |url: &str, service: &str| {
        slogate(&[
            "gate",
            "tests/fixtures/gate-e2e",
            "--service",
            service,
            "--prometheus",
            url,
            "--at",
            &at,
            "--format",
            "json",
        ])
    };
    // Hand-computed (see prometheus_e2e.rs): healthy 90% left; exhausted −100%; burning 5/105 over the last
    // hour = burn 4.7619; missing no data; canary 2% against a 1% baseline.
    let expected = [
        ("healthy", 0, "90%"),
        ("exhausted", 1, "-100%"),
        ("burning", 1, "4.7619"),
        ("missing", 1, "no data"),
        ("canaried", 1, "2% (baseline 1%)"),
        // No error series at all: zero errors, the whole budget left, burn 0.
        ("quiet", 0, "100%"),
    ];
    for (service, exit, figure) in expected {
        let on_vm = gate(&victoria.url, service);
        assert_eq!(
            code(&on_vm),
            exit,
            "{service}: {}{}",
            stdout(&on_vm),
            stderr(&on_vm)
        );
        assert!(
            stdout(&on_vm).contains(figure),
            "{service}: {}",
            stdout(&on_vm)
        );
        let on_prom = gate(&prom.url, service);
        assert_eq!(
            verdict_without_source(&on_vm),
            verdict_without_source(&on_prom),
            "{service}: VictoriaMetrics and Prometheus disagree"
        );
    }
}

/// A histogram answering 90 of 120 requests a minute within 1s, with `le` as Prometheus 3 stores it (`1.0`),
/// for six hours ending at `end`.
fn slow_histogram(end: i64) -> String {
    let mut out = String::new();
    for (series, per_minute) in [
        (
            "http_request_duration_seconds_bucket{job=\"slow\",le=\"0.5\"}",
            60,
        ),
        (
            "http_request_duration_seconds_bucket{job=\"slow\",le=\"1.0\"}",
            90,
        ),
        (
            "http_request_duration_seconds_bucket{job=\"slow\",le=\"+Inf\"}",
            120,
        ),
        ("http_request_duration_seconds_count{job=\"slow\"}", 120),
    ] {
        for m in 0..=360i64 {
            out.push_str(&format!(
                "{series} {} {}\n",
                m * per_minute,
                end - (360 - m) * 60
            ));
        }
    }
    out
}

/// One instant query's result, as (labels, value) pairs.
fn instant(url: &str, query: &str, at: i64) -> Vec<(serde_json::Value, f64)> {
    let body = ureq::get(&format!("{url}/api/v1/query"))
        .query("query", query)
        .query("time", at.to_string())
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "success", "{body}");
    v["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["metric"].clone(),
                r["value"][1].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// A server that answers every request with an empty 200 (vmalert's notifier: the alerts are read from
/// vmalert's own API instead).
fn sink() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut s in listener.incoming().flatten() {
            let mut buf = vec![0u8; 65536];
            let _ = s.read(&mut buf);
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    url
}

/// vmalert's active alerts: (name, annotations).
fn active_alerts(url: &str) -> Vec<(String, serde_json::Value)> {
    let Ok(mut r) = ureq::get(&format!("{url}/api/v1/alerts")).call() else {
        return Vec::new();
    };
    let v: serde_json::Value =
        serde_json::from_str(&r.body_mut().read_to_string().unwrap_or_default())
            .unwrap_or_default();
    v["data"]["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["state"] == "firing")
        .map(|a| {
            (
                a["name"].as_str().unwrap_or("").to_string(),
                a["annotations"].clone(),
            )
        })
        .collect()
}

#[test]
fn vmalert_evaluates_the_emitted_rules() {
    let (Some(vm), Some(vmalert)) = (
        binary_of("victoria-metrics", "victoria-metrics"),
        binary_of("vmalert", "victoria-metrics"),
    ) else {
        return;
    };
    // Live: samples up to the current minute, so vmalert evaluating "now" sees them.
    let end = end_of_data() + 600;
    let dir = tempfile::tempdir().unwrap();
    let victoria = start_victoria(&vm, dir.path());
    let mut om = openmetrics(end, &[("burning", 100, 0, 5), ("healthy", 999, 1, 1)]);
    om.push_str(&slow_histogram(end));
    import_victoria(&victoria.url, &om);
    let rules = dir.path().join("rules");
    let o = slogate(&[
        "build",
        "tests/fixtures/vmalert",
        "-o",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let port = crate::servers::free_port();
    let child = std::process::Command::new(&vmalert)
        .arg(format!("-rule={}/*.rules.yml", rules.display()))
        .arg(format!("-datasource.url={}", victoria.url))
        .arg(format!("-remoteWrite.url={}", victoria.url))
        .arg("-remoteWrite.flushInterval=200ms")
        .arg(format!("-notifier.url={}", sink()))
        .arg("-evaluationInterval=2s")
        .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
        .arg("-loggerLevel=ERROR")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ruler = crate::servers::Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    // Alerts read the ratios the same group records, through the datasource: they fire once the recorded
    // series are written back and visible, a few evaluations in.
    let wanted = [
        "BurningAvailabilityErrorBudgetBurn",
        "SlowFastErrorBudgetBurn",
    ];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let firing = loop {
        let firing = active_alerts(&ruler.url);
        if wanted.iter().all(|w| firing.iter().any(|(n, _)| n == w)) {
            break firing;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "alerts did not fire: {firing:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    // The burn alerts: threshold 2 × 1% = 0.02; burning (5/105 = 0.0476) and slow (0.25) fire, healthy
    // (0.001) does not, and no data alert fires.
    assert!(
        !firing.iter().any(|(n, _)| n.starts_with("Healthy")),
        "{firing:?}"
    );
    assert!(
        !firing
            .iter()
            .any(|(n, _)| n.ends_with("SLIAbsent") || n.ends_with("NoTraffic")),
        "{firing:?}"
    );
    // The `windows` annotation is rendered by the ruler's own `query` template function: burning's burn rate
    // over 1h and 5m is 0.047619 / 0.01 = 4.762 (humanize keeps 4 significant digits).
    let (_, burning) = firing
        .iter()
        .find(|(n, _)| n == "BurningAvailabilityErrorBudgetBurn")
        .unwrap();
    assert_eq!(
        burning["windows"], "burn rates now: 1h 4.762× and 5m 4.762× (fires above 2× in both)",
        "{burning}"
    );
    // Recorded error ratios, by hand: burning 5/105 over the last hour; healthy 1/1000; slow 1 − 90/120.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let ratio = |id: &str, w: &str| {
        let r = instant(
            &victoria.url,
            &format!("slo:sli_error:ratio_rate{w}{{slo_id=\"{id}\"}}"),
            now,
        );
        assert_eq!(r.len(), 1, "{id} {w}: {r:?}");
        r[0].1
    };
    let close = |got: f64, want: f64, what: &str| {
        assert!((got - want).abs() < 1e-9, "{what}: {got} != {want}");
    };
    close(
        ratio("burning-availability", "1h"),
        5.0 / 105.0,
        "burning 1h",
    );
    close(
        ratio("burning-availability", "5m"),
        5.0 / 105.0,
        "burning 5m",
    );
    close(ratio("healthy-availability", "1h"), 0.001, "healthy 1h");
    close(ratio("slow-fast", "1h"), 0.25, "slow 1h (le=\"1.0\")");
    drop(ruler);
}
