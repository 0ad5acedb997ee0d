//! `slogate-bench`'s command line.

use std::path::PathBuf;

pub struct Options {
    pub services: usize,
    pub runs: usize,
    pub commits: usize,
    pub generate: Option<PathBuf>,
    /// Run one stage only: check (with build), manifests, history, hostile, rule-cost.
    pub only: Option<String>,
    /// rule-cost: SLOs, instances per SLO, warm-up and measured seconds.
    pub slos: usize,
    pub instances: usize,
    pub warmup: u64,
    pub measure: u64,
}

pub fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        services: 1000,
        runs: 10,
        commits: 20_000,
        generate: None,
        only: None,
        slos: 10,
        instances: 10,
        warmup: 330,
        measure: 300,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--services" => {
                o.services = value("--services")?
                    .parse()
                    .map_err(|e| format!("--services: {e}"))?
            }
            "--runs" => {
                o.runs = value("--runs")?
                    .parse()
                    .map_err(|e| format!("--runs: {e}"))?
            }
            "--only" => o.only = Some(value("--only")?),
            "--commits" => {
                o.commits = value("--commits")?
                    .parse()
                    .map_err(|e| format!("--commits: {e}"))?
            }
            "--generate" => o.generate = Some(PathBuf::from(value("--generate")?)),
            "--slos" | "--instances" | "--warmup" | "--measure" => {
                let n: usize = value(&a)?.parse().map_err(|e| format!("{a}: {e}"))?;
                match a.as_str() {
                    "--slos" => o.slos = n,
                    "--instances" => o.instances = n,
                    "--warmup" => o.warmup = n as u64,
                    _ => o.measure = n as u64,
                }
            }
            "-h" | "--help" => {
                return Err(
                    "usage: slogate-bench [--services N] [--runs N] [--commits N] [--only check|manifests|history|hostile|rule-cost] [--generate DIR]\n       slogate-bench --only rule-cost [--slos 10] [--instances 10] [--warmup 330] [--measure 300]   (needs Debian's prometheus)"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(o)
}
