//! `slogate-bench`: generates the synthetic repository and prints timings of the pipeline stages.
//!
//!     cargo run --release --bin slogate-bench                 # 1,000 services / 5,000 SLOs, check
//!     cargo run --release --bin slogate-bench -- --services 200 --runs 20
//!     cargo run --release --bin slogate-bench -- --generate DIR   # only write the repository
//!
//! Figures are wall-clock times of the in-process pipeline (min and median of several runs), not of a
//! process start; run on an otherwise idle machine.

mod hostile;
mod rule_cost;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Options {
    services: usize,
    runs: usize,
    commits: usize,
    generate: Option<PathBuf>,
    /// Run one stage only: check (with build), manifests, history, hostile, rule-cost.
    only: Option<String>,
    /// rule-cost: SLOs, instances per SLO, warm-up and measured seconds.
    slos: usize,
    instances: usize,
    warmup: u64,
    measure: u64,
}

fn parse_args() -> Result<Options, String> {
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
        manifests(&tmp, &o);
    }
    if want("history") {
        history(&tmp.join("history"), &o);
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

/// The manifest stage against its floor: a bare serde_yaml parse of every document of the same files.
fn manifests(root: &Path, o: &Options) {
    use rayon::prelude::*;
    let dir = root.join("manifests");
    let paths = slogate::repo::manifests::find_manifests(&dir).expect("walk");
    let (min, med, _) = time(o.runs, || {
        slogate::repo::manifests::find_manifests(&dir).expect("walk")
    });
    println!(
        "manifest walk ({} files): min {} median {}",
        paths.len(),
        ms(min),
        ms(med)
    );
    let (min, med, inv) = time(o.runs, || {
        let mut sources = slogate::source::SourceMap::new();
        slogate::repo::manifests::load(&paths, &mut sources)
    });
    println!(
        "manifest inventory (read + parse + index, {} objects, {} skipped): min {} median {}",
        inv.objects.len(),
        inv.skipped.len(),
        ms(min),
        ms(med)
    );
    let floor = |parallel: bool| {
        let parse = |p: &PathBuf| {
            let text = std::fs::read_to_string(p).expect("read");
            serde_yaml::Deserializer::from_str(&text)
                .map(|d| {
                    serde::Deserialize::deserialize(d)
                        .map(|_: serde_yaml::Value| ())
                        .is_ok() as usize
                })
                .sum::<usize>()
        };
        if parallel {
            paths.par_iter().map(parse).sum::<usize>()
        } else {
            paths.iter().map(parse).sum::<usize>()
        }
    };
    let (min, med, docs) = time(o.runs, || floor(true));
    println!("  floor: bare serde_yaml parse of the same {docs} documents on all threads: min {} median {}", ms(min), ms(med));
    let (min, med, _) = time(o.runs.min(3), || floor(false));
    println!("  floor on one thread: min {} median {}", ms(min), ms(med));
    let analysis = slogate::analyze_policies(&root.join("policies")).expect("analyze");
    let ctx = slogate::check::manifests::DriftContext { root };
    let (min, med, diags) = time(o.runs, || {
        slogate::check::manifests::check(&analysis.model, &inv, &ctx)
    });
    println!(
        "  manifest checks over the index: min {} median {} ({} findings)",
        ms(min),
        ms(med),
        diags.len()
    );
}

/// The history stage on a synthetic repository of `--commits` commits (default 20,000), each bumping the
/// image of one service's workload, against `git log --first-parent --name-only` over the same range.
fn history(dir: &Path, o: &Options) {
    use git2::{Oid, Repository, Signature, Time};
    let services = o.services;
    let repo = Repository::init(dir).expect("init");
    let start = Instant::now();
    // Trees are built incrementally (a commit rewrites one workload's subtree, `manifests/` and the root), so
    // building 20,000 commits stays cheap.
    let blob = |text: &str| repo.blob(text.as_bytes()).expect("blob");
    let subtree = |name: &str, id: Oid| -> Oid {
        let mut b = repo.treebuilder(None).expect("builder");
        b.insert(name, id, 0o100644).expect("insert");
        b.write().expect("tree")
    };
    let mut policies = repo.treebuilder(None).expect("builder");
    let mut manifests = repo.treebuilder(None).expect("builder");
    for i in 0..services {
        policies
            .insert(
                format!("svc-{i:05}.slo"),
                blob(&slogate::synth::policy(i)),
                0o100644,
            )
            .expect("insert");
        let w = subtree("workload.yaml", blob(&slogate::synth::manifest(i)));
        manifests
            .insert(format!("svc-{i:05}"), w, 0o040000)
            .expect("insert");
    }
    let policies = policies.write().expect("tree");
    let mut manifests_tree = manifests.write().expect("tree");
    let root = |manifests: Oid| -> Oid {
        let mut b = repo.treebuilder(None).expect("builder");
        b.insert("policies", policies, 0o040000).expect("insert");
        b.insert("manifests", manifests, 0o040000).expect("insert");
        b.write().expect("tree")
    };
    let t0 = 1_700_000_000i64;
    let commit = |tree: Oid, k: i64, author: &str, message: &str, parent: Option<Oid>| -> Oid {
        let tree = repo.find_tree(tree).expect("tree");
        let sig = Signature::new(
            author,
            &format!("{author}@example.com"),
            &Time::new(t0 + k * 300, 0),
        )
        .expect("sig");
        let parents: Vec<git2::Commit> = parent
            .map(|p| repo.find_commit(p).expect("parent"))
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        repo.commit(None, &sig, &sig, message, &tree, &parents)
            .expect("commit")
    };
    let mut parent = commit(root(manifests_tree), 0, "dana", "initial", None);
    for k in 1..=o.commits as i64 {
        let i = (k as usize * 7919) % services;
        let text =
            slogate::synth::manifest(i).replace(&format!(":1.{i}.0"), &format!(":1.{i}.{k}"));
        let w = subtree("workload.yaml", blob(&text));
        let mut m = repo
            .treebuilder(Some(&repo.find_tree(manifests_tree).expect("tree")))
            .expect("builder");
        m.insert(format!("svc-{i:05}"), w, 0o040000)
            .expect("insert");
        manifests_tree = m.write().expect("tree");
        let (author, message) = match k % 4 {
            0 => ("renovate[bot]", format!("chore(deps): bump svc-{i:05}")),
            1 => ("dana", format!("manual: roll svc-{i:05}")),
            _ => ("sam", format!("ship svc-{i:05} 1.{i}.{k}")),
        };
        parent = commit(root(manifests_tree), k, author, &message, Some(parent));
    }
    repo.reference("refs/heads/main", parent, true, "bench")
        .expect("ref");
    repo.set_head("refs/heads/main").expect("head");
    // The working tree: the policies and manifests as at HEAD.
    let head = repo.head().expect("head").peel_to_tree().expect("tree");
    repo.checkout_tree(
        head.as_object(),
        Some(git2::build::CheckoutBuilder::new().force()),
    )
    .expect("checkout");
    println!(
        "history repository: {} commits over {} services, built in {}",
        o.commits + 1,
        services,
        ms(start.elapsed())
    );

    // Real repositories are packed; 80,000 loose objects would measure the file system instead.
    let packed = std::process::Command::new("git")
        .args(["repack", "-adq"])
        .current_dir(dir)
        .status()
        .is_ok_and(|s| s.success());
    println!("  packed with `git repack -ad`: {packed}");
    let analysis = slogate::analyze(dir).expect("analyze");
    let git = slogate::repo::git::Repo::discover(dir).expect("repo");
    let (min, med, facts) = time(o.runs.min(3), || {
        slogate::repo::history::facts(
            &git,
            &analysis.model,
            analysis.inventory.as_ref(),
            &analysis.workspace.sources,
        )
        .expect("facts")
    });
    let deploys: usize = facts.iter().map(|f| f.deploys.len()).sum();
    println!(
        "history facts (90d window, {} services, {deploys} deploys): min {} median {}",
        facts.len(),
        ms(min),
        ms(med)
    );
    // The same range: 90 days back from HEAD's commit time (not from now).
    let head_time = git
        .git()
        .head()
        .expect("head")
        .peel_to_commit()
        .expect("commit")
        .time()
        .seconds();
    let since = format!("--since=@{}", head_time - 90 * 86_400);
    let (min, med, ok) = time(o.runs.min(5), || {
        std::process::Command::new("git")
            .args([
                "log",
                "--first-parent",
                "--name-only",
                &since,
                "--format=%H %an %s",
            ])
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .status()
            .map(|s| s.success())
    });
    assert!(matches!(ok, Ok(true)), "git log failed");
    println!(
        "  floor: git log --first-parent --name-only over the same range: min {} median {}",
        ms(min),
        ms(med)
    );
}
