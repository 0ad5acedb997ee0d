//! The rule-cost benchmark's month of data: the policy of N SLOs, request counters with a daily cycle and
//! error bursts, and the recorded 5m series the rules would have written, as OpenMetrics split by UTC day.

use super::Params;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Minutes of data: 31 days.
const MINUTES: i64 = 31 * 24 * 60;

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub(super) fn policy(slos: usize) -> String {
    let mut out = String::new();
    for k in 0..slos {
        out.push_str(&format!(
            "service svc{k} {{\n  owner = \"bench\"\n  tier = 2\n  sli availability {{\n    bad   = `sum(rate(http_requests_total{{job=\"svc{k}\",code=~\"5..\"}}[$window]))`\n    total = `sum(rate(http_requests_total{{job=\"svc{k}\"}}[$window]))`\n  }}\n  slo availability {{ sli = availability  objective = 99.9%  window = 30d }}\n  alert availability {{ slo = availability  runbook = \"https://runbooks.example/svc{k}\" }}\n}}\n"
        ));
    }
    out
}

/// Per-minute requests and errors of one SLO's instance: a daily cycle, and bursts.
fn traffic(rng: &mut Rng, instances: usize) -> (Vec<Vec<u32>>, Vec<Vec<u32>>) {
    // Bursts: (start minute, length, error ratio), a few per month, bigger ones shorter.
    let bursts: Vec<(i64, i64, f64)> = (0..6)
        .map(|_| {
            let len = 10 + (rng.next() * 240.0) as i64;
            (
                (rng.next() * MINUTES as f64) as i64,
                len,
                0.002 + rng.next() * 0.2 / (len as f64 / 10.0),
            )
        })
        .collect();
    let mut ok = vec![Vec::with_capacity(MINUTES as usize); instances];
    let mut err = vec![Vec::with_capacity(MINUTES as usize); instances];
    for m in 0..MINUTES {
        let day = (m % 1440) as f64 / 1440.0;
        let load = 60.0 * (1.0 + 0.8 * (std::f64::consts::TAU * day).sin());
        let ratio = bursts
            .iter()
            .filter(|(s, l, _)| m >= *s && m < s + l)
            .map(|b| b.2)
            .fold(0.0005, f64::max);
        for i in 0..instances {
            let n = (load * (0.5 + rng.next())).round().max(0.0);
            let e = (n * ratio + rng.next()).floor().min(n);
            ok[i].push((n - e) as u32);
            err[i].push(e as u32);
        }
    }
    (ok, err)
}

/// OpenMetrics files, one per UTC day (promtool re-reads its whole input for every 2h block it writes, so one
/// month in one file costs 372 passes over it; a day per file costs 12 over a thirty-first).
struct DayFiles {
    files: Vec<(PathBuf, std::io::BufWriter<std::fs::File>)>,
    first_day: i64,
}

impl DayFiles {
    fn new(dir: &Path, start: i64, end: i64) -> std::io::Result<DayFiles> {
        let (first_day, last_day) = (start.div_euclid(86_400), end.div_euclid(86_400));
        let mut files = Vec::new();
        for d in first_day..=last_day {
            let path = dir.join(format!("day-{d}.om"));
            let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
            writeln!(w, "# TYPE http_requests counter")?;
            files.push((path, w));
        }
        Ok(DayFiles { files, first_day })
    }

    fn at(&mut self, ts: i64) -> &mut std::io::BufWriter<std::fs::File> {
        &mut self.files[(ts.div_euclid(86_400) - self.first_day) as usize].1
    }

    fn finish(self) -> std::io::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for (path, mut w) in self.files {
            writeln!(w, "# EOF")?;
            w.flush()?;
            out.push(path);
        }
        Ok(out)
    }
}

/// Writes the OpenMetrics backfill: raw counters and the recorded 5m series, minute by minute, ending at `end`.
pub(super) fn backfill(dir: &Path, p: &Params, end: i64) -> std::io::Result<Vec<PathBuf>> {
    let start = end - (MINUTES - 1) * 60;
    let mut days = DayFiles::new(dir, start, end)?;
    let mut rng = Rng(0x5eed_0f5a_17e5_u64);
    let mut recorded: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
    for k in 0..p.slos {
        let (ok, err) = traffic(&mut rng, p.instances);
        for (code, counts) in [("200", &ok), ("500", &err)] {
            for (i, per_minute) in counts.iter().enumerate() {
                let mut total = 0u64;
                for (m, c) in per_minute.iter().enumerate() {
                    total += u64::from(*c);
                    let ts = start + m as i64 * 60;
                    writeln!(
                        days.at(ts),
                        "http_requests_total{{job=\"svc{k}\",instance=\"i{i}\",code=\"{code}\"}} {total} {ts}"
                    )?;
                }
            }
        }
        // What `slo:sli_bad:rate5m` and `slo:sli_total:rate5m` would have recorded each minute.
        let sum = |v: &Vec<Vec<u32>>, m: usize| v.iter().map(|x| f64::from(x[m])).sum::<f64>();
        let (mut bad, mut tot) = (Vec::new(), Vec::new());
        for m in 0..MINUTES as usize {
            let from = m.saturating_sub(4);
            let b: f64 = (from..=m).map(|j| sum(&err, j)).sum();
            let t: f64 = (from..=m).map(|j| sum(&err, j) + sum(&ok, j)).sum();
            bad.push(b / 300.0);
            tot.push(t / 300.0);
        }
        recorded.push((format!("svc{k}-availability"), bad, tot));
    }
    for (name, pick) in [
        ("slo:sli_bad:rate5m", 0usize),
        ("slo:sli_total:rate5m", 1),
        ("slo:sli_error:ratio_rate5m", 2),
    ] {
        for (id, bad, tot) in &recorded {
            let service = id.trim_end_matches("-availability");
            for m in 0..MINUTES as usize {
                let v = match pick {
                    0 => bad[m],
                    1 => tot[m],
                    _ if tot[m] > 0.0 => bad[m] / tot[m],
                    _ => continue,
                };
                let ts = start + m as i64 * 60;
                writeln!(
                    days.at(ts),
                    "{name}{{slo_id=\"{id}\",slo_name=\"availability\",slo_service=\"{service}\",slo_window=\"5m\"}} {v} {ts}"
                )?;
            }
        }
    }
    days.finish()
}
