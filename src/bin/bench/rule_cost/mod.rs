//! `slogate-bench --only rule-cost`: what the emitted rules cost a real Prometheus, and how exact their SLO-window
//! ratio is, per rule style, on identical backfilled data.
//!
//! N SLOs (99.9% over 30d, the `mwmb` profile), each over `series` request counters (instances × {200, 500})
//! scraped every minute for 31 days, with a daily traffic cycle and error bursts of different sizes at different
//! times (so an average of ratios and a ratio of sums differ). The recorded 5m series the rules would have
//! written are backfilled too, as if the rules had run for the month. Then, for each style, Prometheus (Debian's
//! `prometheus` and `promtool`, from PATH) serves the data with that style's rules at a 30s evaluation interval
//! for a warm-up and a measured period, and the bench reads Prometheus' own /metrics:
//! `process_cpu_seconds_total` (CPU seconds per minute) and `prometheus_rule_group_last_duration_seconds`
//! (per group, the alerting groups and the long-window groups separately), and missed iterations. Accuracy: every
//! SLO's recorded 30d ratio against the exact raw ratio queried at the same instant.
//!
//! Styles: `exact-30s` (raw `rate(…[30d])` evaluated every interval, as slogate emitted before the long group),
//! `exact-5m` (`--long-windows exact`), `recorded-5m` (the default: ratio of sums of recorded 5m rates), and
//! `sloth` (Sloth's construction: every window to 3d raw at every interval, 30d as the average of 5m ratios).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod data;

use data::{backfill, policy};

pub struct Params {
    pub slos: usize,
    pub instances: usize,
    pub warmup: Duration,
    pub measure: Duration,
}

/// The rule files of a style.
fn rules(policies: &Path, style: &str) -> Vec<(String, String)> {
    let analysis = slogate::analyze_policies(policies).expect("bench policies load");
    let mut opts = slogate::emit::Options::default();
    let (windows, interval) = match style {
        "exact-30s" => (slogate::emit::LongWindows::Exact, 30),
        "exact-5m" => (slogate::emit::LongWindows::Exact, 300),
        _ => (slogate::emit::LongWindows::Recorded, 300),
    };
    opts.long_windows = windows;
    opts.long_interval = slogate::model::units::Duration::from_millis(interval * 1000);
    let name = |_: &slogate::model::Service| "bench.slo".to_string();
    let files = slogate::emit::build(&analysis.model, &name, &opts);
    let exact = if style == "sloth" {
        opts.long_windows = slogate::emit::LongWindows::Exact;
        slogate::emit::build(&analysis.model, &name, &opts)
    } else {
        Vec::new()
    };
    files
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let text = if style == "sloth" {
                sloth_style(&f.contents, &exact[i].contents)
            } else {
                f.contents
            };
            (f.name, text)
        })
        .collect()
}

/// Sloth's construction from slogate's groups: one group at the global interval, every window up to 3d raw, 30d
/// as `sum_over_time / count_over_time` of the 5m ratio (an average of ratios), no 5m rate series.
fn sloth_style(recorded: &str, exact: &str) -> String {
    let mut doc: serde_yaml::Value = serde_yaml::from_str(recorded).expect("own YAML");
    let exact: serde_yaml::Value = serde_yaml::from_str(exact).expect("own YAML");
    let mut merged = Vec::new();
    let groups = doc["groups"].as_sequence().cloned().unwrap_or_default();
    let exact_groups = exact["groups"].as_sequence().cloned().unwrap_or_default();
    for (g, eg) in groups.iter().zip(&exact_groups) {
        let is_long = g["name"].as_str().is_some_and(|n| n.ends_with("-long"));
        let rules = g["rules"].as_sequence().cloned().unwrap_or_default();
        let exact_rules = eg["rules"].as_sequence().cloned().unwrap_or_default();
        for (r, er) in rules.iter().zip(&exact_rules) {
            let record = r["record"].as_str().unwrap_or("");
            if record == "slo:sli_bad:rate5m" || record == "slo:sli_total:rate5m" {
                continue;
            }
            let mut r = r.clone();
            if is_long && record == "slo:sli_error:ratio_rate30d" {
                let id = r["labels"]["slo_id"].as_str().unwrap_or("").to_string();
                r["expr"] = serde_yaml::Value::String(format!(
                    "sum_over_time(slo:sli_error:ratio_rate5m{{slo_id=\"{id}\"}}[30d])\n/\ncount_over_time(slo:sli_error:ratio_rate5m{{slo_id=\"{id}\"}}[30d])"
                ));
            } else if is_long {
                r = er.clone();
            }
            merged.push(r);
        }
    }
    let mut group = serde_yaml::Mapping::new();
    group.insert("name".into(), "sloth-style".into());
    group.insert("rules".into(), serde_yaml::Value::Sequence(merged));
    doc["groups"] = serde_yaml::Value::Sequence(vec![serde_yaml::Value::Mapping(group)]);
    serde_yaml::to_string(&doc).expect("serializes")
}

struct Prometheus {
    child: Child,
    url: String,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get(url: &str, query: Option<(&str, &str)>) -> Option<String> {
    let mut req = ureq::get(url);
    if let Some((k, v)) = query {
        req = req.query(k, v);
    }
    let mut resp = req.call().ok()?;
    resp.body_mut()
        .with_config()
        .limit(256 << 20)
        .read_to_string()
        .ok()
}

fn start(prometheus: &Path, dir: &Path, rules_dir: &Path) -> Prometheus {
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1m\n  evaluation_interval: 30s\nrule_files:\n  - {}/*.yml\n",
            rules_dir.display()
        ),
    )
    .expect("write config");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new(prometheus)
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--storage.tsdb.retention.time=90d")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus starts");
    let p = Prometheus {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(600);
    while get(&format!("{}/-/ready", p.url), None).is_none() {
        assert!(Instant::now() < deadline, "prometheus did not become ready");
        std::thread::sleep(Duration::from_millis(500));
    }
    p
}

/// `name{…} value` lines of /metrics whose name is `metric`: (labels, value).
fn samples(metrics: &str, metric: &str) -> Vec<(String, f64)> {
    metrics
        .lines()
        .filter(|l| l.starts_with(metric) && !l.starts_with('#'))
        .filter_map(|l| {
            let (head, v) = l.rsplit_once(' ')?;
            let labels = head.strip_prefix(metric)?;
            if !(labels.is_empty() || labels.starts_with('{')) {
                return None;
            }
            Some((labels.to_string(), v.parse().ok()?))
        })
        .collect()
}

fn instant(url: &str, q: &str) -> Option<f64> {
    let body = get(&format!("{url}/api/v1/query"), Some(("query", q)))?;
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

pub fn run(tmp: &Path, p: &Params) {
    let which = |n: &str| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(n))
                .find(|f| f.is_file())
        })
    };
    let (Some(promtool), Some(prometheus)) = (which("promtool"), which("prometheus")) else {
        println!("rule-cost: needs promtool and prometheus on PATH (Debian `prometheus`); skipped");
        return;
    };
    std::fs::create_dir_all(tmp).expect("bench directory");
    let policies = tmp.join("policies");
    std::fs::create_dir_all(&policies).expect("policies directory");
    std::fs::write(policies.join("bench.slo"), policy(p.slos)).expect("write policy");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let end = now / 60 * 60 - 60;
    let t = Instant::now();
    let files = backfill(tmp, p, end).expect("write backfill");
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();
    println!(
        "rule-cost: {} SLOs × {} counter series, 31 days at 1m ({} MB of OpenMetrics, written in {:.1}s)",
        p.slos,
        p.instances * 2,
        bytes >> 20,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    // Two promtool processes at a time (a day each), into one data directory.
    let queue = std::sync::Mutex::new(files);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let Some(file) = queue.lock().expect("queue").pop() else {
                    break;
                };
                let o = Command::new(&promtool)
                    .args(["tsdb", "create-blocks-from", "openmetrics", "-q"])
                    .arg(&file)
                    .arg(tmp.join("data"))
                    .output()
                    .expect("promtool runs");
                assert!(
                    o.status.success(),
                    "promtool: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
                let _ = std::fs::remove_file(&file);
            });
        }
    });
    println!(
        "rule-cost: backfilled with promtool in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    println!(
        "{:<12} {:>10} {:>14} {:>14} {:>8} {:>12} {:>12}",
        "style", "CPU s/min", "alert groups", "long groups", "missed", "30d median", "30d worst"
    );
    for style in ["exact-30s", "exact-5m", "recorded-5m", "sloth"] {
        let rules_dir = tmp.join(format!("rules-{style}"));
        let _ = std::fs::remove_dir_all(&rules_dir);
        std::fs::create_dir_all(&rules_dir).expect("rules directory");
        for (name, text) in rules(&policies, style) {
            if name.ends_with(".rules.yml") {
                std::fs::write(rules_dir.join(name), text).expect("write rules");
            }
        }
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let prom = start(&prometheus, tmp, &rules_dir);
        std::thread::sleep(p.warmup);
        let cpu = |m: &str| {
            samples(m, "process_cpu_seconds_total")
                .first()
                .map_or(0.0, |s| s.1)
        };
        let before = get(&format!("{}/metrics", prom.url), None).unwrap_or_default();
        let t0 = Instant::now();
        std::thread::sleep(p.measure);
        let after = get(&format!("{}/metrics", prom.url), None).unwrap_or_default();
        let cpu_per_min = (cpu(&after) - cpu(&before)) / t0.elapsed().as_secs_f64() * 60.0;
        let durations = samples(&after, "prometheus_rule_group_last_duration_seconds");
        let (mut alerting, mut long) = (0.0, 0.0);
        for (labels, v) in &durations {
            if labels.contains("-long\"") {
                long += v;
            } else {
                alerting += v;
            }
        }
        let missed: f64 = samples(&after, "prometheus_rule_group_iterations_missed_total")
            .iter()
            .map(|s| s.1)
            .sum();
        // Accuracy of the recorded 30d ratio against the exact raw ratio, at the same instant.
        let mut errors = Vec::new();
        for k in 0..p.slos {
            let exact = instant(
                &prom.url,
                &format!(
                    "sum(rate(http_requests_total{{job=\"svc{k}\",code=~\"5..\"}}[30d])) / sum(rate(http_requests_total{{job=\"svc{k}\"}}[30d]))"
                ),
            );
            // Only a value this style's rules recorded (an older one may remain from the previous style).
            let got = instant(
                &prom.url,
                &format!(
                    "slo:sli_error:ratio_rate30d{{slo_id=\"svc{k}-availability\"}} and (timestamp(slo:sli_error:ratio_rate30d{{slo_id=\"svc{k}-availability\"}}) > {started})"
                ),
            );
            if let (Some(e), Some(g)) = (exact, got) {
                errors.push((g - e) / e * 100.0);
            }
        }
        if errors.len() < p.slos {
            println!("{style}: only {} of {} SLOs had a fresh 30d ratio (warm-up shorter than the long interval?)", errors.len(), p.slos);
        }
        let worst = errors
            .iter()
            .copied()
            .fold(0.0f64, |a, b| if b.abs() > a.abs() { b } else { a });
        println!(
            "{style:<12} {cpu_per_min:>10.2} {:>12.0}ms {:>12.0}ms {missed:>8.0} {:>11.3}% {:>11.3}%",
            alerting * 1000.0,
            long * 1000.0,
            median(&mut errors.clone()),
            worst
        );
        drop(prom);
    }
    println!(
        "(CPU: Prometheus' process_cpu_seconds_total over {}s after {}s of warm-up, per minute; group durations: \
         the sum over groups of their last evaluation; accuracy: recorded 30d error ratio vs the exact raw one, \
         median and worst over SLOs)",
        p.measure.as_secs(),
        p.warmup.as_secs()
    );
}
