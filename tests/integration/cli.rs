//! End-to-end tests of the real binary: exit codes, stdout and stderr.

use crate::snap;
use crate::support::{code, slogate, stderr, stdout};

#[test]
fn check_of_the_example_is_clean() {
    let o = slogate(&["check", "examples/shop"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(
        stdout(&o),
        "no problems in 6 policy files and 16 manifest files\n"
    );
}

#[test]
fn errors_exit_1_with_file_line_and_column() {
    let o = slogate(&["check", "tests/fixtures/policy/syntax"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(
        out.contains("tests/fixtures/policy/syntax/policy.slo:2:3"),
        "{out}"
    );
    assert!(
        out.contains("expected `=` after `owner`, found `:`"),
        "{out}"
    );
    assert!(out.ends_with("1 error in 1 policy file\n"), "{out}");
}

#[test]
fn warnings_only_exit_0() {
    let o = slogate(&["check", "tests/fixtures/policy/unused-sli"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("1 warning"));
}

#[test]
fn json_output_follows_the_schema() {
    let o = slogate(&[
        "check",
        "--format",
        "json",
        "tests/fixtures/policy/unknown-key",
    ]);
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("valid JSON");
    assert_eq!(v["version"], 1);
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "unknown-key");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "tests/fixtures/policy/unknown-key/policy.slo");
    assert_eq!(d["line"], 10);
    assert_eq!(d["column"], 42);
    assert_eq!(d["end"]["column"], 50);
    assert_eq!(d["help"], "did you mean `objective`?");
    assert_eq!(v["summary"]["errors"], 1);
}

#[test]
fn unreadable_input_exits_2() {
    let o = slogate(&["check", "does/not/exist"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("does/not/exist: no such file or directory"),
        "{}",
        stderr(&o)
    );
    let empty = tempfile::tempdir().unwrap();
    let o = slogate(&["check", empty.path().to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no *.slo policy files"));
}

#[test]
fn usage_errors_exit_2() {
    let o = slogate(&["check", "--format", "yaml"]);
    assert_eq!(code(&o), 2);
    let o = slogate(&["frobnicate"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn explain_prints_a_code_or_suggests_one() {
    let o = slogate(&["explain", "unknown-key"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).starts_with("unknown-key (error by default, hard):"));
    let o = slogate(&["explain", "unknown-kye"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("did you mean `unknown-key`?"));
    let o = slogate(&["explain"]);
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o).lines().count(), slogate::diag::Code::ALL.len());
}

#[test]
fn help_texts() {
    for cmd in [
        &["--help"][..],
        &["check", "--help"],
        &["build", "--help"],
        &["graph", "--help"],
        &["fmt", "--help"],
        &["explain", "--help"],
    ] {
        let o = slogate(cmd);
        assert_eq!(code(&o), 0);
        snap!(
            format!("help__{}", cmd.join("_").trim_start_matches("--")),
            stdout(&o)
        );
    }
}

#[test]
fn fmt_check_reports_then_fmt_fixes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.slo");
    std::fs::write(&file, "service a {\nowner=\"x\"   # who\n    tier = 1\n}\n").unwrap();
    let path = file.to_str().unwrap();
    let o = slogate(&["fmt", "--check", path]);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o), format!("{path}\n"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "service a {\nowner=\"x\"   # who\n    tier = 1\n}\n"
    );
    let o = slogate(&["fmt", path]);
    assert_eq!(code(&o), 0);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "service a {\n  owner = \"x\"  # who\n  tier  = 1\n}\n"
    );
    let o = slogate(&["fmt", "--check", path]);
    assert_eq!(code(&o), 0);
}

#[test]
fn fmt_refuses_files_that_do_not_parse() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.slo");
    std::fs::write(&file, "service a {\n  owner: \"x\"\n}\n").unwrap();
    let o = slogate(&["fmt", file.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("expected `=` after `owner`"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "service a {\n  owner: \"x\"\n}\n"
    );
}

#[test]
fn graph_pictures() {
    for format in ["dot", "mermaid"] {
        let o = slogate(&["graph", "examples/shop", "--format", format]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        snap!(format!("graph__{format}"), stdout(&o));
    }
    let o = slogate(&["graph", "tests/fixtures/policy/dependency-cycle"]);
    assert_eq!(code(&o), 1);
}

#[test]
fn severity_overrides_and_no_manifests() {
    let path = "tests/fixtures/manifests/missing-pdb";
    let o = slogate(&["check", path]);
    assert_eq!(code(&o), 1);
    let o = slogate(&["check", path, "--warn", "missing-pdb"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("1 warning"), "{}", stdout(&o));
    let o = slogate(&["check", path, "--allow", "missing-pdb"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).starts_with("no problems"), "{}", stdout(&o));
    let o = slogate(&["check", path, "--no-manifests"]);
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o), "no problems in 1 policy file\n");
    // Policy-level codes can be raised too: an unused SLI becomes an error.
    let o = slogate(&[
        "check",
        "tests/fixtures/policy/unused-sli",
        "--deny",
        "unused-sli",
    ]);
    assert_eq!(code(&o), 1);
    let o = slogate(&["check", path, "--allow", "missing-pbd"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("did you mean `missing-pdb`?"),
        "{}",
        stderr(&o)
    );
}
