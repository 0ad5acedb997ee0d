//! The emitted rules are valid for promtool (`check rules`), the generated tests pass (`test rules`), and so
//! do the hand-written oracle tests of tests/promtool/. Needs Debian's `prometheus` package: in CI (CI set) a
//! missing promtool fails the tests; elsewhere they print a loud notice and pass.

use crate::support::{code, slogate, stderr, stdout};
use std::path::{Path, PathBuf};
use std::process::Command;

/// promtool, or `None` (with a notice) when it is missing outside CI.
fn promtool() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("promtool"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("promtool is not installed but CI is set: install Debian's `prometheus` package (see .ci/run)");
        }
        eprintln!("\n!!! SKIPPED: promtool not found; install Debian's `prometheus` package to run the promtool tests !!!\n");
    }
    found
}

fn run(promtool: &Path, args: &[&str], cwd: &Path) {
    let o = Command::new(promtool)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("promtool runs");
    assert!(
        o.status.success(),
        "promtool {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn build_into(path: &str, dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["build", path, "-o", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = slogate(&args);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn all_build_inputs() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs = vec!["examples/shop".to_string()];
    let mut fixtures: Vec<String> = std::fs::read_dir(root.join("tests/fixtures/build"))
        .unwrap()
        .map(|e| {
            format!(
                "tests/fixtures/build/{}",
                e.unwrap().file_name().to_string_lossy()
            )
        })
        .collect();
    fixtures.sort();
    inputs.extend(fixtures);
    inputs
}

#[test]
fn emitted_rules_pass_promtool_check_and_generated_tests_pass() {
    let Some(promtool) = promtool() else { return };
    for input in all_build_inputs() {
        for extra in [
            &[][..],
            &["--sloth-labels"],
            &["--long-windows", "exact", "--long-interval", "2m"],
        ] {
            let dir = tempfile::tempdir().unwrap();
            let mut args = vec!["--tests"];
            args.extend_from_slice(extra);
            let names = build_into(&input, dir.path(), &args);
            let rules: Vec<&str> = names
                .iter()
                .filter(|n| n.ends_with(".rules.yml"))
                .map(String::as_str)
                .collect();
            let tests: Vec<&str> = names
                .iter()
                .filter(|n| n.ends_with(".test.yml"))
                .map(String::as_str)
                .collect();
            assert!(
                !rules.is_empty() && rules.len() == tests.len(),
                "{input}: {names:?}"
            );
            let mut check = vec!["check", "rules"];
            check.extend(&rules);
            run(&promtool, &check, dir.path());
            let mut test = vec!["test", "rules"];
            test.extend(&tests);
            run(&promtool, &test, dir.path());
        }
    }
}

#[test]
fn prometheus_operator_objects_hold_valid_rules() {
    let Some(promtool) = promtool() else { return };
    let dir = tempfile::tempdir().unwrap();
    let names = build_into(
        "examples/shop",
        dir.path(),
        &["--format", "prometheus-operator"],
    );
    for name in names {
        let text = std::fs::read_to_string(dir.path().join(&name)).unwrap();
        let object: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(object["kind"], "PrometheusRule");
        assert_eq!(object["apiVersion"], "monitoring.coreos.com/v1");
        let spec = serde_yaml::to_string(&object["spec"]).unwrap();
        let plain = dir.path().join(format!("spec-{name}"));
        std::fs::write(&plain, spec).unwrap();
        run(
            &promtool,
            &["check", "rules", plain.to_str().unwrap()],
            dir.path(),
        );
    }
}

/// tests/promtool/*.test.yml: hand-computed expectations, independent of the test generator.
#[test]
fn hand_written_oracle_tests_pass() {
    let Some(promtool) = promtool() else { return };
    let dir = tempfile::tempdir().unwrap();
    build_into("tests/fixtures/build/oracle", dir.path(), &[]);
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/promtool/oracle.test.yml");
    std::fs::copy(&oracle, dir.path().join("oracle.test.yml")).unwrap();
    run(&promtool, &["test", "rules", "oracle.test.yml"], dir.path());
}

/// The generated tests are not vacuous: against rules with a wrong threshold they fail.
#[test]
fn generated_tests_catch_a_wrong_threshold() {
    let Some(promtool) = promtool() else { return };
    let dir = tempfile::tempdir().unwrap();
    build_into("tests/fixtures/build/oracle", dir.path(), &["--tests"]);
    let rules = dir.path().join("oracle.rules.yml");
    let text = std::fs::read_to_string(&rules).unwrap();
    std::fs::write(&rules, text.replace("> 0.0144", "> 0.03")).unwrap();
    let o = Command::new(&promtool)
        .args(["test", "rules", "oracle.test.yml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        !o.status.success(),
        "tests passed against a wrong threshold"
    );
}

/// The bucket-spelling tests are not vacuous: rules that match only one spelling of `le` fail them.
#[test]
fn generated_tests_catch_a_bucket_bound_in_one_spelling_only() {
    let Some(promtool) = promtool() else { return };
    let dir = tempfile::tempdir().unwrap();
    build_into(
        "tests/fixtures/build/latency-whole-seconds",
        dir.path(),
        &["--tests"],
    );
    let rules = dir.path().join("upload.rules.yml");
    let text = std::fs::read_to_string(&rules).unwrap();
    // 1s: both spellings, escaped for a PromQL string inside YAML.
    let both = r#"le=~"1|1\\.0""#;
    assert!(text.contains(both), "{text}");
    let tests = std::fs::read_to_string(dir.path().join("upload.test.yml")).unwrap();
    assert!(
        tests.contains(r#"le="1""#) && tests.contains(r#"le="1.0""#),
        "{tests}"
    );
    run(&promtool, &["test", "rules", "upload.test.yml"], dir.path());
    for one in [r#"le="1""#, r#"le="1.0""#] {
        std::fs::write(&rules, text.replace(both, one)).unwrap();
        let o = Command::new(&promtool)
            .args(["test", "rules", "upload.test.yml"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            !o.status.success(),
            "tests passed against rules matching only {one}"
        );
    }
}

/// The no-data tests are not vacuous: without `or on() vector(0)` a healthy service that never failed records
/// no error ratio (the test expects 0), and without the no-traffic alert stopped traffic goes unreported.
#[test]
fn generated_tests_catch_missing_error_series_and_stopped_traffic() {
    let Some(promtool) = promtool() else { return };
    let dir = tempfile::tempdir().unwrap();
    build_into("tests/fixtures/build/window-7d", dir.path(), &["--tests"]);
    let tests: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".test.yml"))
        .collect();
    let rules_name = tests[0].replace(".test.yml", ".rules.yml");
    let rules = dir.path().join(&rules_name);
    let text = std::fs::read_to_string(&rules).unwrap();
    assert!(
        text.contains("or on() vector(0)") && text.contains("NoTraffic"),
        "{text}"
    );
    run(&promtool, &["test", "rules", &tests[0]], dir.path());
    let without_zero = text.replace("or on() vector(0)", "");
    let no_traffic_at = text.find("NoTraffic").unwrap();
    let renamed = format!(
        "{}Renamed{}",
        &text[..no_traffic_at],
        &text[no_traffic_at + "NoTraffic".len()..]
    );
    for (what, mutated) in [
        ("without `or on() vector(0)`", without_zero),
        ("without the no-traffic alert", renamed),
    ] {
        std::fs::write(&rules, mutated).unwrap();
        let o = Command::new(&promtool)
            .args(["test", "rules", &tests[0]])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(!o.status.success(), "tests passed against rules {what}");
    }
}
