//! `slogate-bench`: generates the synthetic repository and prints timings of the pipeline stages.
//!
//!     cargo run --release --bin slogate-bench                 # 1,000 services / 5,000 SLOs, check
//!     cargo run --release --bin slogate-bench -- --services 200 --runs 20
//!     cargo run --release --bin slogate-bench -- --generate DIR   # only write the repository
//!
//! Figures are wall-clock times of the in-process pipeline (min and median of several runs), not of a
//! process start; run on an otherwise idle machine.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Options {
    services: usize,
    runs: usize,
    generate: Option<PathBuf>,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        services: 1000,
        runs: 10,
        generate: None,
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
            "--generate" => o.generate = Some(PathBuf::from(value("--generate")?)),
            "-h" | "--help" => {
                return Err(
                    "usage: slogate-bench [--services N] [--runs N] [--generate DIR]".into(),
                );
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(o)
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let v = f();
        times.push(start.elapsed());
        last = Some(v);
    }
    times.sort();
    (
        times[0],
        times[times.len() / 2],
        last.expect("at least one run"),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if let Some(dir) = &o.generate {
        if let Err(e) = slogate::synth::generate(dir, o.services) {
            eprintln!("error: {}: {e}", dir.display());
            std::process::exit(2);
        }
        println!("wrote {} services to {}", o.services, dir.display());
        return;
    }
    let tmp = std::env::temp_dir().join(format!("slogate-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    slogate::synth::generate(&tmp, o.services).expect("write the synthetic repository");
    run(&tmp, &o);
    let _ = std::fs::remove_dir_all(&tmp);
}

fn run(root: &Path, o: &Options) {
    let policies = root.join("policies");
    println!(
        "synthetic repository: {} services, {} SLOs; {} threads; {} runs",
        o.services,
        o.services * 5,
        rayon::current_num_threads(),
        o.runs
    );
    let (min, med, analysis) = time(o.runs, || slogate::analyze(&policies).expect("analyze"));
    let slos: usize = analysis.model.services.iter().map(|s| s.slos.len()).sum();
    let errors = analysis
        .diagnostics
        .iter()
        .filter(|d| d.severity == slogate::diag::Severity::Error)
        .count();
    println!(
        "check (load + parse + resolve + graph + policy checks): min {} median {}",
        ms(min),
        ms(med)
    );
    println!(
        "  resolved {} services, {slos} SLOs, {} diagnostics ({errors} errors)",
        analysis.model.services.len(),
        analysis.diagnostics.len()
    );
    let files = slogate::workspace::find_policy_files(&policies).expect("walk");
    let (min, med, _) = time(o.runs, || slogate::workspace::load(&files).expect("load"));
    println!(
        "  of which load + parse: min {} median {}",
        ms(min),
        ms(med)
    );
}
