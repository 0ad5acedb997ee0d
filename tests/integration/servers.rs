//! Real servers for end-to-end tests: Prometheus (Debian `prometheus`: `promtool` backfills TSDB blocks from
//! OpenMetrics, `prometheus` serves them, optionally over TLS with basic auth or client certificates through
//! `--web.config.file`) and VictoriaMetrics (Debian `victoria-metrics`: `victoria-metrics` with its import API,
//! `vmalert` evaluating rule files). Each listens on 127.0.0.1 on a free port and is stopped on drop. In CI (CI
//! set) a missing binary fails the test; elsewhere it prints a loud notice and the test passes.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary `name` on PATH (from Debian package `package`), or a loud skip (a failure in CI).
pub fn binary_of(name: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "`{name}` is not installed but CI is set: install Debian's `{package}`"
        );
        eprintln!(
            "\n!!! SKIPPED: `{name}` not found; install Debian's `{package}` package to run this end-to-end test !!!\n"
        );
    }
    found
}

/// A binary of Debian's `prometheus` package.
pub fn binary(name: &str) -> Option<PathBuf> {
    binary_of(name, "prometheus")
}

/// A running server, stopped on drop.
pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The current time in Unix seconds, rounded down to the minute (samples are a minute apart).
pub fn this_minute() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        / 60
        * 60
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Request counters, one sample a minute for six hours ending at `end`: (job, per-minute ok, per-minute
/// errors for the first five hours, per-minute errors in the last hour). A job that never fails has no error
/// series at all, as with client libraries that create a labelled series on first use.
pub fn openmetrics(end: i64, jobs: &[(&str, u64, u64, u64)]) -> String {
    let mut out = String::from("# TYPE http_requests counter\n");
    for (job, ok, err_early, err_late) in jobs {
        for (code, per_minute) in [("200", None), ("500", Some((*err_early, *err_late)))] {
            if code == "500" && *err_early == 0 && *err_late == 0 {
                continue;
            }
            let mut total = 0u64;
            for m in 0..=360i64 {
                let t = end - (360 - m) * 60;
                out.push_str(&format!(
                    "http_requests_total{{job=\"{job}\",code=\"{code}\"}} {total} {t}\n"
                ));
                total += match per_minute {
                    None => *ok,
                    Some((early, late)) => {
                        if m < 300 {
                            early
                        } else {
                            late
                        }
                    }
                };
            }
        }
    }
    out.push_str("# EOF\n");
    out
}

/// The samples of the gate's end-to-end scenarios (tests/fixtures/gate-e2e), six hours ending at `end`:
/// healthy 0.1% errors (budget left 90%, burn 0.1); exhausted 2% (budget left −100%); burning no errors for
/// five hours, then 5 errors to 100 good a minute (1h ratio 5/105: burn 4.7619); canaried: the canary track
/// fails 2 of 100 requests, the stable track 1 of 100 (2% > 1.1 × 1%); quiet never fails (no error series).
pub fn gate_samples(end: i64) -> String {
    openmetrics(
        end,
        &[
            ("healthy", 999, 1, 1),
            ("exhausted", 98, 2, 2),
            ("burning", 100, 0, 5),
            ("canaried\",track=\"canary", 98, 2, 2),
            ("canaried\",track=\"stable", 99, 1, 1),
            ("quiet", 100, 0, 0),
        ],
    )
}

/// `GET path` over plain HTTP answers 200.
pub fn http_ok(port: u16, path: &str) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port))
        .ok()
        .and_then(|mut s| {
            s.write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes())
                .ok()?;
            let mut buf = String::new();
            s.read_to_string(&mut buf).ok()?;
            (buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200")).then_some(())
        })
        .is_some()
}

/// Waits (at most a minute) until `ready` holds.
pub fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "{what} did not become ready");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// How to serve: plain HTTP, or with `--web.config.file` (TLS and/or basic auth) and the probe that tells
/// when that server is ready (given its URL).
pub type Web<'a> = Option<(&'a str, &'a dyn Fn(&str) -> bool)>;

/// Backfills `om` (OpenMetrics) into `dir/data` and serves it with Prometheus.
pub fn start_prometheus(
    promtool: &Path,
    prometheus: &Path,
    dir: &Path,
    om: &str,
    web: Web<'_>,
) -> Server {
    start_prometheus_with(
        promtool,
        prometheus,
        dir,
        om,
        web,
        "global:\n  scrape_interval: 1m\n",
    )
}

/// [`start_prometheus`] with a configuration of its own (rule files, an evaluation interval).
pub fn start_prometheus_with(
    promtool: &Path,
    prometheus: &Path,
    dir: &Path,
    om: &str,
    web: Web<'_>,
    config: &str,
) -> Server {
    let web_config = web.map(|w| w.0);
    std::fs::write(dir.join("data.om"), om).unwrap();
    let o = Command::new(promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(dir.join("data.om"))
        .arg(dir.join("data"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();
    let port = free_port();
    let mut cmd = Command::new(prometheus);
    cmd.arg(format!(
        "--config.file={}",
        dir.join("prometheus.yml").display()
    ))
    .arg(format!(
        "--storage.tsdb.path={}",
        dir.join("data").display()
    ))
    .arg(format!("--web.listen-address=127.0.0.1:{port}"))
    .arg("--storage.tsdb.retention.time=30d")
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    if let Some(web) = web_config {
        std::fs::write(dir.join("web.yml"), web).unwrap();
        cmd.arg(format!(
            "--web.config.file={}",
            dir.join("web.yml").display()
        ));
    }
    let server = Server {
        child: cmd.spawn().unwrap(),
        url: format!(
            "{}://127.0.0.1:{port}",
            if web_config.is_some_and(|w| w.contains("tls_server_config")) {
                "https"
            } else {
                "http"
            }
        ),
    };
    match web {
        Some((_, ready)) => wait_until("prometheus", || ready(&server.url)),
        None => wait_until("prometheus", || http_ok(port, "/-/ready")),
    }
    server
}

/// A JSON verdict without what names its source ("from prometheus http://… at T", "from snapshot FILE"), to
/// compare verdicts given from different sources of the same figures.
pub fn verdict_without_source(o: &std::process::Output) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_str(&String::from_utf8_lossy(&o.stdout)).expect("a JSON verdict");
    fn drop_sources(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("source");
                m.values_mut().for_each(drop_sources);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(drop_sources),
            serde_json::Value::String(s) => {
                for marker in [" from prometheus ", " from snapshot "] {
                    if let Some(i) = s.find(marker) {
                        s.truncate(i);
                    }
                }
            }
            _ => {}
        }
    }
    drop_sources(&mut v);
    v
}

/// VictoriaMetrics single-node on a free port, storing in `dir`: no response cache and no latency offset, so
/// backfilled samples are visible at once.
pub fn start_victoria(vm: &Path, dir: &Path) -> Server {
    let port = free_port();
    let child = Command::new(vm)
        .arg(format!("-storageDataPath={}", dir.join("vm").display()))
        .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
        .arg("-retentionPeriod=10y")
        .arg("-search.disableCache")
        .arg("-search.latencyOffset=0s")
        .arg("-loggerLevel=ERROR")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    wait_until("victoria-metrics", || http_ok(port, "/health"));
    server
}

/// Loads OpenMetrics text (timestamps in seconds) into VictoriaMetrics through its Prometheus import API
/// (timestamps in milliseconds), then flushes so that the samples are searchable.
pub fn import_victoria(url: &str, om: &str) {
    let mut body = String::new();
    for line in om.lines().filter(|l| !l.starts_with('#')) {
        let (rest, ts) = line.rsplit_once(' ').unwrap();
        let secs: i64 = ts.parse().unwrap();
        body.push_str(&format!("{rest} {}\n", secs * 1000));
    }
    let r = ureq::post(&format!("{url}/api/v1/import/prometheus"))
        .send(body.as_bytes())
        .unwrap();
    assert_eq!(r.status().as_u16(), 204, "import");
    let r = ureq::get(&format!("{url}/internal/force_flush"))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "force_flush");
}
