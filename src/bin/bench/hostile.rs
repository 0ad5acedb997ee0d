//! Hostile-input cases at two sizes each, to show that time grows linearly with the input (ratio ≈ 2 for
//! twice the input): many tiny policy files, many diagnostics in one file, PromQL far over the limits, and
//! manifests nested deep in flow style. Each case is what once took seconds or minutes.

use super::{ms, time};
use std::path::Path;

pub fn run(dir: &Path, runs: usize) {
    println!("hostile input, two sizes each (median of {runs} runs; ratio 2.0 = linear):");
    let _ = std::fs::remove_dir_all(dir);
    pair("tiny policy files: load + analyse", 50_000, |n| {
        let d = dir.join(format!("files-{n}"));
        tiny_files(&d, n);
        let (_, med, a) = time(runs, || slogate::analyze_policies(&d).expect("analyse"));
        assert_eq!(a.model.services.len(), n);
        med
    });
    pair("diagnostics of one file: human rendering", 8_000, |n| {
        let d = dir.join(format!("diags-{n}"));
        std::fs::create_dir_all(&d).unwrap();
        let text: String = (0..n)
            .map(|i| format!("service s{i} {{ ownr = \"t\"  tier = 3  owner = \"t\" }}\n"))
            .collect();
        std::fs::write(d.join("p.slo"), text).unwrap();
        let a = slogate::analyze_policies(&d).expect("analyse");
        assert!(a.diagnostics.len() >= n);
        let (_, med, _) = time(runs, || {
            slogate::report::render_human(&a.workspace.sources, &a.diagnostics, 1, false)
        });
        med
    });
    pair("PromQL far over the limits: refused", 40_000, |n| {
        let d = dir.join(format!("promql-{n}"));
        std::fs::create_dir_all(&d).unwrap();
        let chain = vec!["x"; n].join(" + ");
        let text = format!(
            "service s {{\n  owner = \"t\"\n  tier = 3\n  sli a {{\n    good  = `{chain}`\n    total = `sum(rate(t[$window]))`\n  }}\n  slo a {{ sli = a  objective = 99%  window = 30d }}\n}}\n"
        );
        std::fs::write(d.join("p.slo"), text).unwrap();
        let (_, med, a) = time(runs, || slogate::analyze_policies(&d).expect("analyse"));
        assert!(a
            .diagnostics
            .iter()
            .any(|x| x.code.as_str() == "query-too-complex"));
        med
    });
    pair("manifest nested deep in flow style: refused", 50_000, |n| {
        let d = dir.join(format!("yaml-{n}"));
        std::fs::create_dir_all(&d).unwrap();
        let yaml = format!("a: {}1{}\n", "{x: ".repeat(n), "}".repeat(n));
        std::fs::write(d.join("deep.yaml"), yaml).unwrap();
        let paths = vec![d.join("deep.yaml")];
        let (_, med, inv) = time(runs, || {
            let mut sources = slogate::source::SourceMap::new();
            slogate::repo::manifests::load(&paths, &mut sources)
        });
        drop(inv);
        med
    });
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs `case` at `n` and `2n` and prints both medians and their ratio.
fn pair(name: &str, n: usize, mut case: impl FnMut(usize) -> std::time::Duration) {
    let small = case(n);
    let large = case(2 * n);
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-9);
    println!(
        "  {name}: n = {n}: {}; n = {}: {}; ratio {ratio:.2}",
        ms(small),
        2 * n,
        ms(large)
    );
}

fn tiny_files(d: &Path, n: usize) {
    for i in 0..n {
        let sub = d.join(format!("{:03}", i % 1000));
        if i < 1000 {
            std::fs::create_dir_all(&sub).unwrap();
        }
        std::fs::write(
            sub.join(format!("s{i}.slo")),
            format!("service s{i} {{\n  owner = \"t\"\n  tier  = 3\n}}\n"),
        )
        .unwrap();
    }
}
