//! `slogate build`: emitted rules as reviewed snapshots, determinism, all-or-nothing writes, drift checks and
//! stale files.

use crate::snap;
use crate::support::{code, slogate, stderr, stdout};
use std::path::Path;

/// Builds `path` into a fresh directory and returns every file, concatenated with name headers.
fn build(path: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let mut args = vec!["build", path, "-o", out];
    args.extend_from_slice(extra);
    let o = slogate(&args);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    concat(dir.path())
}

fn concat(dir: &Path) -> String {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| format!("=== {n}\n{}", std::fs::read_to_string(dir.join(n)).unwrap()))
        .collect()
}

#[test]
fn rules_of_the_example() {
    snap!("build__shop", build("examples/shop", &[]));
}

#[test]
fn rules_of_focused_fixtures() {
    for fixture in [
        "window-28d",
        "window-7d",
        "objective-9999",
        "latency",
        "explicit-windows",
        "min-rate",
    ] {
        snap!(
            format!("build__{fixture}"),
            build(&format!("tests/fixtures/build/{fixture}"), &[])
        );
    }
}

#[test]
fn sloth_labels() {
    snap!(
        "build__sloth-labels",
        build("tests/fixtures/build/oracle", &["--sloth-labels"])
    );
}

#[test]
fn prometheus_operator_objects() {
    snap!(
        "build__prometheus-operator",
        build(
            "tests/fixtures/build/explicit-windows",
            &[
                "--format",
                "prometheus-operator",
                "--namespace",
                "monitoring",
                "--label",
                "release=kube-prometheus"
            ]
        )
    );
}

#[test]
fn generated_tests() {
    snap!(
        "build__tests-min-rate",
        build("tests/fixtures/build/min-rate", &["--tests"])
    );
}

#[test]
fn exact_thresholds() {
    let rules = build("tests/fixtures/build/objective-9999", &[]);
    // 14.4 × 0.0001, 6 × 0.0001, 3 × 0.0001, 1 × 0.0001: exact decimals, no float noise.
    for t in ["> 0.00144\n", "> 0.0006\n", "> 0.0003\n", "> 0.0001\n"] {
        assert!(rules.contains(t), "missing threshold {t:?}");
    }
    assert!(rules.contains("vector(0.9999)") && rules.contains("vector(0.0001)"));
    assert!(!rules.contains("0000000000001") && !rules.contains("99999999"));
    let rules = build("tests/fixtures/build/window-28d", &[]);
    // 2% of the budget in 1h over 28d: 0.02 × 672 = 13.44.
    assert!(rules.contains("> 0.01344\n"), "{rules}");
}

#[test]
fn builds_are_byte_identical() {
    assert_eq!(
        build("examples/shop", &["--tests"]),
        build("examples/shop", &["--tests"])
    );
}

#[test]
fn a_failing_build_leaves_the_directory_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    std::fs::write(dir.path().join("checkout.rules.yml"), "old contents\n").unwrap();
    // Policy errors: nothing is written.
    let o = slogate(&["build", "tests/fixtures/policy/unknown-key", "-o", out]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("nothing was built"));
    assert_eq!(concat(dir.path()), "=== checkout.rules.yml\nold contents\n");
    // A file that cannot be replaced (a directory in its place): refused before anything is written (the
    // rollback of a rename that fails midway is tested in src/emit/output/write.rs).
    std::fs::create_dir(dir.path().join("payments.rules.yml")).unwrap();
    let o = slogate(&["build", "examples/shop", "-o", out]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is not a regular file"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("nothing was written"), "{}", stderr(&o));
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("checkout.rules.yml")).unwrap(),
        "old contents\n"
    );
}

#[test]
fn check_reports_drift_with_a_diff_and_stale_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let o = slogate(&["build", "examples/shop", "-o", out]);
    assert_eq!(code(&o), 0);
    let o = slogate(&["build", "examples/shop", "-o", out, "--check"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // Drift: an edited threshold shows as a unified diff, and nothing is written.
    let file = dir.path().join("cart.rules.yml");
    let built = std::fs::read_to_string(&file).unwrap();
    let edited = built.replacen("> 0.00336", "> 0.05", 1);
    assert_ne!(built, edited);
    std::fs::write(&file, &edited).unwrap();
    // A generated file of a service that no longer exists.
    std::fs::write(
        dir.path().join("legacy.rules.yml"),
        "# Generated by slogate from legacy.slo.\ngroups: []\n",
    )
    .unwrap();
    let o = slogate(&["build", "examples/shop", "-o", out, "--check"]);
    assert_eq!(code(&o), 1);
    let diff = stdout(&o);
    assert!(
        diff.contains("--- a/cart.rules.yml\n+++ b/cart.rules.yml\n"),
        "{diff}"
    );
    assert!(
        diff.contains(
            "\n-          slo:sli_error:ratio_rate1h{slo_id=\"cart-availability\"} > 0.05\n"
        ),
        "{diff}"
    );
    assert!(
        diff.contains(
            "\n+          slo:sli_error:ratio_rate1h{slo_id=\"cart-availability\"} > 0.00336\n"
        ),
        "{diff}"
    );
    assert!(diff.contains("stale: legacy.rules.yml"), "{diff}");
    assert!(
        stderr(&o).contains("is out of date: 1 file(s) differ, 1 stale"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);
    // A build repairs the drift, reports the stale file, and --prune removes it.
    let o = slogate(&["build", "examples/shop", "-o", out]);
    assert_eq!(code(&o), 0);
    assert!(stderr(&o).contains("legacy.rules.yml is stale"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), built);
    let o = slogate(&["build", "examples/shop", "-o", out, "--prune"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("removed stale legacy.rules.yml"));
    assert!(!dir.path().join("legacy.rules.yml").exists());
    let o = slogate(&["build", "examples/shop", "-o", out, "--check"]);
    assert_eq!(code(&o), 0);
}

#[test]
fn hand_written_files_are_never_stale() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mine.rules.yml"), "groups: []\n").unwrap();
    let o = slogate(&[
        "build",
        "examples/shop",
        "-o",
        dir.path().to_str().unwrap(),
        "--prune",
    ]);
    assert_eq!(code(&o), 0);
    assert!(dir.path().join("mine.rules.yml").exists());
}

#[test]
fn committed_example_rules_are_current() {
    let o = slogate(&[
        "build",
        "examples/shop",
        "-o",
        "examples/shop/rules",
        "--tests",
        "--check",
    ]);
    assert_eq!(
        code(&o),
        0,
        "examples/shop/rules is stale: {}{}",
        stdout(&o),
        stderr(&o)
    );
}

/// Options that would be silently ignored are usage errors; the long-window options change what they say.
#[test]
fn options_that_do_not_combine_are_usage_errors_and_long_windows_are_selectable() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    for (args, message) in [
        (
            vec!["--format", "prometheus-operator", "--tests"],
            "--tests writes promtool tests for plain rule files",
        ),
        (
            vec!["--label", "a=b"],
            "--label labels PrometheusRule objects",
        ),
        (
            vec!["--namespace", "x"],
            "--namespace places PrometheusRule objects",
        ),
        (vec!["--long-interval", "10s"], "from 30s to 1h"),
    ] {
        let mut all = vec!["build", "tests/fixtures/build/oracle", "-o", out];
        all.extend(args.iter());
        let o = slogate(&all);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
        assert!(!Path::new(out).exists(), "{args:?} wrote files");
    }
    // Recorded (default): the 30d ratio sums recorded 5m rates in the long group; exact: raw over 30d.
    let o = slogate(&["build", "tests/fixtures/build/oracle", "-o", out]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(Path::new(out).join("oracle.rules.yml")).unwrap();
    assert!(
        text.contains("- name: slogate-oracle-availability-long\n  interval: 5m\n"),
        "{text}"
    );
    assert!(text.contains("sum_over_time(slo:sli_bad:rate5m{slo_id=\"oracle-availability\"}[30d])"));
    assert!(!text.contains("[30d]))"), "{text}");
    let o = slogate(&[
        "build",
        "tests/fixtures/build/oracle",
        "-o",
        out,
        "--long-windows",
        "exact",
        "--long-interval",
        "10m",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(Path::new(out).join("oracle.rules.yml")).unwrap();
    assert!(
        text.contains("- name: slogate-oracle-availability-long\n  interval: 10m\n"),
        "{text}"
    );
    assert!(text.contains("[30d]))"), "{text}");
    assert!(!text.contains("sum_over_time"), "{text}");
}

/// Tests written by an earlier `build --tests` are not stale for a build without `--tests`: neither `--check`
/// nor `--prune` touches them while their service exists; once the service is gone, both kinds are stale.
#[test]
fn files_of_kinds_this_build_does_not_write_are_kept_while_their_service_exists() {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    for name in ["queue", "billing"] {
        let src = format!(
            "tests/fixtures/build/{}",
            if name == "queue" {
                "window-7d"
            } else {
                "explicit-windows"
            }
        );
        for e in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(src)).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), policies.join(format!("{name}.slo"))).unwrap();
        }
    }
    let (p, out) = (policies.to_str().unwrap(), dir.path().join("out"));
    let out_s = out.to_str().unwrap();
    let o = slogate(&["build", p, "-o", out_s, "--tests"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "billing.rules.yml",
            "billing.test.yml",
            "queue.rules.yml",
            "queue.test.yml"
        ]
    );
    let o = slogate(&["build", p, "-o", out_s, "--check"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let o = slogate(&["build", p, "-o", out_s, "--prune"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(out.join("queue.test.yml").exists() && out.join("billing.test.yml").exists());
    // The queue service goes away: its rules and its tests are stale, billing's are not.
    std::fs::remove_file(policies.join("queue.slo")).unwrap();
    let o = slogate(&["build", p, "-o", out_s, "--check"]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let text = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        text.contains("stale: queue.rules.yml") && text.contains("stale: queue.test.yml"),
        "{text}"
    );
    assert!(!text.contains("billing.test.yml"), "{text}");
    let o = slogate(&["build", p, "-o", out_s, "--prune"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!out.join("queue.rules.yml").exists() && !out.join("queue.test.yml").exists());
    assert!(out.join("billing.test.yml").exists());
}
