//! `slogate gate`: verdicts from snapshots with hand-computed figures, fail-closed on missing data, freezes
//! and their exceptions (a rollback detected from git history), canaries, output formats, exit codes.

use crate::snap;
use crate::support::{code, commit_all, deployment, slogate, slogate_in, stderr, stdout};
use std::path::Path;

/// A snapshot for the fixture's `api` (99.9% over 30d: error budget 0.001).
fn snapshot(
    dir: &Path,
    ratio_30d: Option<&str>,
    ratio_1h: &str,
    canary: Option<(&str, &str)>,
) -> String {
    let mut windows = vec![format!("\"1h\": \"{ratio_1h}\"")];
    if let Some(r) = ratio_30d {
        windows.push(format!("\"30d\": \"{r}\""));
    }
    let canaries = canary.map_or(String::new(), |(c, b)| {
        format!(", \"canaries\": {{ \"api\": {{ \"canary\": \"{c}\", \"baseline\": \"{b}\" }} }}")
    });
    let text = format!(
        "{{ \"version\": 1, \"slos\": {{ \"api/availability\": {{ \"error_ratio\": {{ {} }} }} }}{canaries} }}",
        windows.join(", ")
    );
    let path = dir.join("metrics.json");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn gate(metrics: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "gate",
        "tests/fixtures/gate",
        "--service",
        "api",
        "--metrics",
        metrics,
    ];
    args.extend_from_slice(extra);
    slogate(&args)
}

#[test]
fn a_healthy_service_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    // 30d: 0.0005 of 0.001 spent → 50% left (≥ 25%); 1h: 0.0015 / 0.001 = burn 1.5 (< 2);
    // canary 0.0021 ≤ 1.1 × 0.002 = 0.0022.
    let m = snapshot(
        dir.path(),
        Some("0.0005"),
        "0.0015",
        Some(("0.0021", "0.002")),
    );
    let o = gate(&m, &["--format", "json"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["verdict"], "allow");
    let values: Vec<&str> = v["services"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, vec!["50%", "1.5", "50%", "0.21% (baseline 0.2%)"]);
}

#[test]
fn an_exhausted_budget_denies_and_freezes() {
    let dir = tempfile::tempdir().unwrap();
    // 0.0012 of 0.001: −20% left.
    let m = snapshot(
        dir.path(),
        Some("0.0012"),
        "0.0005",
        Some(("0.001", "0.001")),
    );
    let o = gate(&m, &[]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(
        out.contains("releases are frozen: budget(availability) <= 0% (measured -20%)"),
        "{out}"
    );
    assert!(
        out.contains("`budget(availability) >= 25%` does not hold: measured -20%"),
        "{out}"
    );
}

#[test]
fn a_burn_above_the_threshold_denies() {
    let dir = tempfile::tempdir().unwrap();
    let m = snapshot(
        dir.path(),
        Some("0.0005"),
        "0.0025",
        Some(("0.001", "0.001")),
    );
    let o = gate(&m, &[]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("`burn(availability, 1h) < 2` does not hold: measured 2.5"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_worse_canary_denies() {
    let dir = tempfile::tempdir().unwrap();
    let m = snapshot(
        dir.path(),
        Some("0.0005"),
        "0.0005",
        Some(("0.0023", "0.002")),
    );
    let o = gate(&m, &[]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("the canary's error ratio 0.23% exceeds the allowed 0.22%"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn missing_data_fails_closed_unless_told_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let m = snapshot(dir.path(), None, "0.0005", None);
    let o = gate(&m, &[]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(
        out.contains("no data for `budget(availability) >= 25%`"),
        "{out}"
    );
    assert!(out.contains("no canary data"), "{out}");
    let o = gate(&m, &["--on-missing", "warn"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("verdict: warn"), "{}", stdout(&o));
}

#[test]
fn bad_input_cannot_be_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{ \"version\": 1, \"slos\": { \"api/availability\": { \"error_ratio\": { \"1 hour\": 1 } } } }").unwrap();
    let o = gate(bad.to_str().unwrap(), &[]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("`1 hour` is not a window"),
        "{}",
        stderr(&o)
    );
    std::fs::write(&bad, "<html>").unwrap();
    let o = gate(bad.to_str().unwrap(), &[]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("not valid JSON"), "{}", stderr(&o));
    let o = slogate(&[
        "gate",
        "tests/fixtures/gate",
        "--service",
        "api2",
        "--metrics",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
}

/// A copy of examples/shop outside any git repository (so the verdict does not depend on this repository's
/// commits), at `dir/shop`.
fn example_copy(dir: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
    for e in walkdir::WalkDir::new(&src) {
        let e = e.unwrap();
        let to = dir.join("shop").join(e.path().strip_prefix(&src).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

#[test]
fn the_example_verdict_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    example_copy(dir.path());
    for format in ["human", "json", "markdown"] {
        let o = slogate_in(
            dir.path(),
            &[
                "gate",
                "shop",
                "--service",
                "checkout",
                "--service",
                "frontend",
                "--service",
                "payments",
                "--metrics",
                "shop/metrics.json",
                "--format",
                format,
            ],
        );
        assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
        snap!(format!("gate__shop__{format}"), stdout(&o));
    }
}

/// An exhausted budget freezes deploys, but a rollback (detected from git history: the image returns to an
/// earlier one) passes the freeze.
#[test]
fn a_rollback_passes_a_freeze() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    let policy = "service web {\n  owner = \"t\"\n  tier  = 3\n  workload = deployment/shop/web\n\n  sli availability {\n    bad   = `sum(rate(errors_total[$window]))`\n    total = `sum(rate(requests_total[$window]))`\n  }\n\n  slo availability { sli = availability  objective = 99%  window = 30d }\n\n  gate deploy {\n    freeze when budget(availability) <= 0% except rollback\n  }\n}\n";
    std::fs::write(dir.path().join("web.slo"), policy).unwrap();
    for (i, image) in ["1", "2", "1"].iter().enumerate() {
        std::fs::write(dir.path().join("web.yaml"), deployment("web", image)).unwrap();
        commit_all(
            &repo,
            "Dana",
            &format!("image {image}"),
            1_700_000_000 + i as i64 * 3600,
        );
    }
    std::fs::write(dir.path().join("metrics.json"), "{ \"version\": 1, \"slos\": { \"web/availability\": { \"error_ratio\": { \"30d\": \"0.02\" } } } }").unwrap();
    let o = slogate_in(
        dir.path(),
        &["gate", ".", "--service", "web", "--metrics", "metrics.json"],
    );
    let out = stdout(&o);
    assert_eq!(code(&o), 0, "{out}{}", stderr(&o));
    assert!(out.contains("web (rollback): allow"), "{out}");
    assert!(
        out.contains("frozen, but a rollback is allowed through"),
        "{out}"
    );
    // The same figures for an ordinary deploy deny.
    std::fs::write(dir.path().join("web.yaml"), deployment("web", "3")).unwrap();
    commit_all(&repo, "Dana", "image 3", 1_700_020_000);
    let o = slogate_in(
        dir.path(),
        &["gate", ".", "--service", "web", "--metrics", "metrics.json"],
    );
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("web (deploy): deny"), "{}", stdout(&o));
}

#[test]
fn an_exhausted_hard_dependency_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.slo"),
        "service web {\n  owner = \"t\"\n  tier  = 3\n  depends = [db]\n  gate deploy {\n    require dependency_budget > 0%\n  }\n}\n\
         service db {\n  owner = \"t\"\n  tier  = 3\n  sli a {\n    bad   = `sum(rate(e[$window]))`\n    total = `sum(rate(t[$window]))`\n  }\n  slo a { sli = a  objective = 99%  window = 7d }\n}\n",
    )
    .unwrap();
    // db: 0.015 of a 0.01 budget → −50% left.
    std::fs::write(
        dir.path().join("m.json"),
        "{ \"version\": 1, \"slos\": { \"db/a\": { \"error_ratio\": { \"7d\": \"0.015\" } } } }",
    )
    .unwrap();
    let o = slogate_in(
        dir.path(),
        &["gate", ".", "--service", "web", "--metrics", "m.json"],
    );
    let out = stdout(&o);
    assert_eq!(code(&o), 1, "{out}{}", stderr(&o));
    assert!(
        out.contains("`dependency_budget > 0%` does not hold: measured -50%"),
        "{out}"
    );
    assert!(
        out.contains(
            "note     hard dependency `db` has exhausted the error budget of SLO `a` (-50% left)"
        ),
        "{out}"
    );
}

#[test]
fn a_change_gates_the_services_it_touches() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    let svc = |name: &str| {
        format!(
            "service {name} {{\n  owner = \"t\"\n  tier  = 3\n  workload = deployment/shop/{name}\n  sli a {{\n    bad   = `sum(rate(e{{job=\"{name}\"}}[$window]))`\n    total = `sum(rate(t{{job=\"{name}\"}}[$window]))`\n  }}\n  slo a {{ sli = a  objective = 99%  window = 30d }}\n  gate deploy {{\n    require budget(a) > 0%\n  }}\n}}\n"
        )
    };
    for name in ["a", "b"] {
        std::fs::write(dir.path().join(format!("{name}.slo")), svc(name)).unwrap();
        std::fs::write(
            dir.path().join(format!("{name}.yaml")),
            deployment(name, "1"),
        )
        .unwrap();
    }
    commit_all(&repo, "Dana", "base", 1_700_000_000);
    std::fs::write(dir.path().join("b.yaml"), deployment("b", "2")).unwrap();
    commit_all(&repo, "Dana", "ship b 2", 1_700_003_600);
    std::fs::write(
        dir.path().join("m.json"),
        "{ \"version\": 1, \"slos\": { \"a/a\": { \"error_ratio\": { \"30d\": \"0.001\" } }, \"b/a\": { \"error_ratio\": { \"30d\": \"0.001\" } } } }",
    )
    .unwrap();
    let o = slogate_in(
        dir.path(),
        &[
            "gate",
            ".",
            "--base",
            "HEAD~1",
            "--metrics",
            "m.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let services: Vec<(&str, &str)> = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["service"].as_str().unwrap(),
                s["change"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(services, vec![("b", "deploy")]);
}

#[test]
fn huge_figures_and_endless_files_are_refused_not_computed() {
    let dir = tempfile::tempdir().unwrap();
    // 1e26 overflows the exact decimal type as soon as it is divided by the error budget (0.001).
    for (ratio_30d, ratio_1h) in [
        ("1e26", "0.0001"),
        ("0.0001", "100000000000000000000000000"),
    ] {
        let m = snapshot(dir.path(), Some(ratio_30d), ratio_1h, None);
        let o = gate(&m, &[]);
        assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
        assert!(stderr(&o).contains("is too large"), "{}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
    // A window whose milliseconds overflow 64 bits.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{ \"version\": 1, \"slos\": { \"api/availability\": { \"error_ratio\": { \"99999999999999999w\": \"0.1\" } } } }").unwrap();
    let o = gate(bad.to_str().unwrap(), &[]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    // /dev/zero never ends; a FIFO never answers: both refused before reading.
    let o = gate("/dev/zero", &[]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    let fifo = dir.path().join("fifo.json");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let o = gate(fifo.to_str().unwrap(), &[]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
}
