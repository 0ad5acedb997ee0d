//! The repository stages of `slogate-bench`: the manifest inventory against a bare YAML parse, and the
//! history walk against `git log` over the same range.

use crate::args::Options;
use crate::{ms, time};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The manifest stage against its floor: a bare serde_yaml parse of every document of the same files.
pub fn manifests(root: &Path, o: &Options) {
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
pub fn history(dir: &Path, o: &Options) {
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
