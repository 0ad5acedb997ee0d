//! `slogate-bench`: generates the synthetic repository and prints timings of the pipeline stages.
//!
//!     cargo run --release --bin slogate-bench                 # 1,000 services / 5,000 SLOs, check
//!     cargo run --release --bin slogate-bench -- --services 200 --runs 20
//!     cargo run --release --bin slogate-bench -- --generate DIR   # only write the repository
//!
//! Figures are wall-clock times of the in-process pipeline (min and median of several runs), not of a
//! process start; run on an otherwise idle machine.

mod args;
mod hostile;
mod repo_stages;
mod rule_cost;

use args::{parse_args, Options};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(crate) fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
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

pub(crate) fn ms(d: Duration) -> String {
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
        if let Err(e) = slogate::synth::generate_with(dir, o.services, 10) {
            eprintln!("error: {}: {e}", dir.display());
            std::process::exit(2);
        }
        println!("wrote {} services to {}", o.services, dir.display());
        return;
    }
    let tmp = std::env::temp_dir().join(format!("slogate-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    if o.only.as_deref() == Some("rule-cost") {
        // Not part of the default run: it starts a real Prometheus and takes minutes.
        rule_cost::run(
            &tmp.join("rule-cost"),
            &rule_cost::Params {
                slos: o.slos,
                instances: o.instances,
                warmup: Duration::from_secs(o.warmup),
                measure: Duration::from_secs(o.measure),
            },
        );
        if std::env::var_os("SLOGATE_BENCH_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        return;
    }
    slogate::synth::generate_with(&tmp, o.services, 10).expect("write the synthetic repository");
    let want = |stage: &str| o.only.as_deref().is_none_or(|s| s == stage);
    if want("check") {
        run(&tmp, &o);
    }
    if want("manifests") {
        repo_stages::manifests(&tmp, &o);
    }
    if want("history") {
        repo_stages::history(&tmp.join("history"), &o);
    }
    if want("hostile") {
        hostile::run(&tmp.join("hostile"), o.runs.min(5));
    }
    if std::env::var_os("SLOGATE_BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    } else {
        println!("kept {}", tmp.display());
    }
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
    let (min, med, _) = time(o.runs, || {
        slogate::workspace::load(&files, &policies).expect("load")
    });
    println!(
        "  of which load + parse: min {} median {}",
        ms(min),
        ms(med)
    );

    // build: the whole command (analysis, emission, writing) into a fresh directory each run.
    let out = root.join("rules");
    let opts = slogate::emit::Options::default();
    let name = |s: &slogate::model::Service| s.name.value.clone();
    // Every run replaces every file: runs alternate between default and Sloth label names, so each build
    // differs from what the previous one wrote (no directory removal between runs, as in CI).
    let sloth = slogate::emit::Options {
        sloth_labels: true,
        ..slogate::emit::Options::default()
    };
    let _ = std::fs::remove_dir_all(&out);
    let mut times = Vec::new();
    let mut written = Vec::new();
    for run in 0..o.runs.max(1) * 2 {
        let opts = if run % 2 == 0 { &sloth } else { &opts };
        let start = Instant::now();
        let a = slogate::analyze(&policies).expect("analyze");
        written = slogate::emit::build(&a.model, &name, opts);
        let changed = slogate::emit::output::write_all(&out, &written).expect("write");
        assert_eq!(changed.changed.len(), written.len());
        if run > 0 {
            times.push(start.elapsed());
        }
    }
    times.sort();
    let (min, med) = (times[0], times[times.len() / 2]);
    let bytes: usize = written.iter().map(|f| f.contents.len()).sum();
    println!(
        "build, every file replaced (analysis + rules + atomic write): min {} median {}  [{} files, {:.1} MB]",
        ms(min),
        ms(med),
        written.len(),
        bytes as f64 / 1e6
    );
    let (min, med, _) = time(o.runs, || {
        let a = slogate::analyze(&policies).expect("analyze");
        let files = slogate::emit::build(&a.model, &name, &opts);
        slogate::emit::output::write_all(&out, &files).expect("write")
    });
    println!(
        "build again, nothing changed (compares, writes nothing): min {} median {}",
        ms(min),
        ms(med)
    );
    let (min, med, _) = time(o.runs, || {
        slogate::emit::build(&analysis.model, &name, &opts)
    });
    println!(
        "  of which rule emission: min {} median {}",
        ms(min),
        ms(med)
    );
    promtool_figure(&out, &written);
}

/// How long `promtool check rules` takes to load the same output (one process for all files).
fn promtool_figure(out: &Path, files: &[slogate::emit::OutputFile]) {
    // The floor for writing: creating as many files of the same sizes, nothing else.
    let floor_dir = out.with_extension("floor");
    let _ = std::fs::remove_dir_all(&floor_dir);
    std::fs::create_dir_all(&floor_dir).expect("floor dir");
    let start = Instant::now();
    for f in files {
        std::fs::write(floor_dir.join(&f.name), &f.contents).expect("write");
    }
    println!(
        "  floor: bare std::fs::write of the same {} files: {}",
        files.len(),
        ms(start.elapsed())
    );
    let _ = std::fs::remove_dir_all(&floor_dir);
    let paths: Vec<PathBuf> = files.iter().map(|f| out.join(&f.name)).collect();
    let start = Instant::now();
    let status = std::process::Command::new("promtool")
        .arg("check")
        .arg("rules")
        .args(&paths)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => println!(
            "promtool check rules on the same output: {}",
            ms(start.elapsed())
        ),
        Ok(s) => println!(
            "promtool check rules FAILED ({s}) after {}",
            ms(start.elapsed())
        ),
        Err(e) => println!(
            "promtool not available ({e}); install Debian's `prometheus` for the comparison"
        ),
    }
}
