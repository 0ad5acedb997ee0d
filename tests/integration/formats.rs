//! `check --format concise|github|sarif|markdown|json`: the same findings in every format, expected values
//! worked out from the fixture files (tests/fixtures/manifests/checks-overrides: an unused SLI made an error by
//! `checks { deny }` at web.slo line 17, `sli latency` — `latency` is columns 7 to 13; one replica, a warning,
//! at k8s/web.yaml line 7 column 3, `replicas: 1`). SARIF is validated against the OASIS schema.

use crate::support::{code, slogate, slogate_in, stderr, stdout};
use std::path::Path;

const FIXTURE: &str = "tests/fixtures/manifests/checks-overrides";

fn check(format: &str) -> std::process::Output {
    slogate(&["check", FIXTURE, "--format", format])
}

#[test]
fn concise_is_one_line_per_finding() {
    let o = check("concise");
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        "tests/fixtures/manifests/checks-overrides/web.slo:17:7: error[unused-sli] SLI `latency` is not used by any SLO\n\
         tests/fixtures/manifests/checks-overrides/k8s/web.yaml:7:3: warning[too-few-replicas] Deployment shop/web runs 1 replica\n"
    );
}

#[test]
fn github_annotations_and_the_job_summary() {
    let summary = tempfile::NamedTempFile::new().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_slogate"))
        .args(["check", FIXTURE, "--format", "github"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("GITHUB_STEP_SUMMARY", summary.path())
        .output()
        .unwrap();
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with(
            "::error file=tests/fixtures/manifests/checks-overrides/web.slo,line=17,col=7,endLine=17,endColumn=13,title=slogate unused-sli::SLI `latency` is not used by any SLO%0Ahelp: "
        ),
        "{out}"
    );
    assert!(
        lines[1].starts_with(
            "::warning file=tests/fixtures/manifests/checks-overrides/k8s/web.yaml,line=7,col=3,endLine=7,endColumn=10,title=slogate too-few-replicas::Deployment shop/web runs 1 replica%0Ahelp: "
        ),
        "{out}"
    );
    assert_eq!(
        lines[2],
        "1 error, 1 warning in 1 policy file and 1 manifest file"
    );
    let md = std::fs::read_to_string(summary.path()).unwrap();
    assert!(
        md.starts_with(
            "### slogate check: ❌ 1 error, 1 warning in 1 policy file and 1 manifest file\n\n| severity | code | where | problem |\n"
        ),
        "{md}"
    );
}

#[test]
fn markdown_is_a_pull_request_comment_with_untrusted_text_escaped() {
    let o = check("markdown");
    assert_eq!(code(&o), 1);
    let md = stdout(&o);
    // File names are escaped (`-`, `.` and `/` are not Markdown-safe everywhere: `-` and `.` get a backslash).
    assert!(
        md.contains("| **error** | `unused-sli` | tests/fixtures/manifests/checks\\-overrides/web\\.slo:17:7 | SLI \\`latency\\` is not used by any SLO<br>help: "),
        "{md}"
    );
    // A file name that tries to add a table cell.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a|b.slo"),
        "service a {\n  owner = \"x\"\n  tier  = 2\n  colour = 1\n}\n",
    )
    .unwrap();
    let o = slogate_in(dir.path(), &["check", ".", "--format", "markdown"]);
    let md = stdout(&o);
    let row = md.lines().find(|l| l.contains("unknown-key")).unwrap();
    assert_eq!(row.matches(" | ").count(), 3, "{row}");
    assert!(row.contains("a\\|b\\.slo:4:3"), "{row}");
}

fn sarif_validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/sarif/sarif-2.1.0-rtm.5.json"),
        )
        .unwrap(),
    )
    .unwrap();
    jsonschema::draft4::new(&schema).expect("the SARIF schema compiles")
}

#[test]
fn the_schema_check_has_teeth() {
    let validator = sarif_validator();
    // No `tool`; a result level that does not exist.
    let bad = serde_json::json!({ "version": "2.1.0", "runs": [{ "results": [] }] });
    assert!(validator.iter_errors(&bad).next().is_some());
    let bad = serde_json::json!({ "version": "2.1.0", "runs": [{ "tool": { "driver": { "name": "x" } },
        "results": [{ "message": { "text": "m" }, "level": "fatal" }] }] });
    assert!(validator.iter_errors(&bad).next().is_some());
}

#[test]
fn sarif_of_review_findings_names_the_base_revision_without_a_region() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    let policy = |objective: &str| {
        format!("service a {{\n  owner = \"x\"\n  tier  = 2\n  sli ok {{\n    good  = `sum(rate(x_total{{code!~\"5..\"}}[$window]))`\n    total = `sum(rate(x_total[$window]))`\n  }}\n  slo ok {{ sli = ok  objective = {objective}  window = 30d }}\n}}\n")
    };
    std::fs::write(dir.path().join("a.slo"), policy("99.9%")).unwrap();
    crate::support::commit_all(&repo, "Dana Dev", "base", 1_700_000_000);
    std::fs::write(dir.path().join("a.slo"), policy("99%")).unwrap();
    crate::support::commit_all(&repo, "Dana Dev", "lower", 1_700_003_600);
    let o = slogate_in(
        dir.path(),
        &["check", ".", "--base", "HEAD~1", "--format", "sarif"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_valid(&v);
    let r = &v["runs"][0]["results"][0];
    assert_eq!(r["ruleId"], "objective-lowered");
    assert_eq!(r["level"], "warning");
    let related = r["relatedLocations"].as_array().unwrap();
    let base = related
        .iter()
        .find(|l| l["physicalLocation"]["region"].is_null())
        .expect("the base revision's span, without a region");
    assert_eq!(base["physicalLocation"]["artifactLocation"]["uri"], "a.slo");
    assert!(base["message"]["text"]
        .as_str()
        .unwrap()
        .contains("a.slo @ "));
}

fn assert_valid(v: &serde_json::Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator.iter_errors(v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn sarif_validates_and_carries_regions_rules_and_fingerprints() {
    let o = check("sarif");
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_valid(&v);
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), slogate::diag::Code::ALL.len());
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let unused = &results[0];
    assert_eq!(unused["ruleId"], "unused-sli");
    assert_eq!(unused["level"], "error");
    let rule = &rules[unused["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["id"], "unused-sli");
    assert!(rule["help"]["text"]
        .as_str()
        .unwrap()
        .starts_with("unused-sli (warning by default, adjustable): "));
    let loc = &unused["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "tests/fixtures/manifests/checks-overrides/web.slo"
    );
    assert_eq!(
        loc["region"],
        serde_json::json!({ "startLine": 17, "startColumn": 7, "endLine": 17, "endColumn": 14 })
    );
    let replicas = &results[1];
    assert_eq!(replicas["level"], "warning");
    // The policy line that made it a rule: `tier     = 1`, line 3, column 14.
    let related = &replicas["relatedLocations"][0]["physicalLocation"];
    assert_eq!(related["region"]["startLine"], 3);
    assert_eq!(related["region"]["startColumn"], 14);
}

#[test]
fn sarif_fingerprints_do_not_move_with_lines() {
    let fingerprint = |dir: &Path| {
        let o = slogate_in(dir, &["check", ".", "--format", "sarif"]);
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let r = &v["runs"][0]["results"][0];
        (
            r["partialFingerprints"]["slogateFingerprint/v1"]
                .as_str()
                .unwrap()
                .to_string(),
            r["locations"][0]["physicalLocation"]["region"]["startLine"].clone(),
        )
    };
    let policy = "service a {\n  owner = \"x\"\n  tier  = 2\n  sli spare {\n    good  = `sum(rate(x_total{code!~\"5..\"}[$window]))`\n    total = `sum(rate(x_total[$window]))`\n  }\n}\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.slo"), policy).unwrap();
    let (before, line_before) = fingerprint(dir.path());
    std::fs::write(dir.path().join("a.slo"), format!("# moved\n\n{policy}")).unwrap();
    let (after, line_after) = fingerprint(dir.path());
    assert_eq!(line_before, 4);
    assert_eq!(line_after, 6);
    assert_eq!(before, after);
}

#[test]
fn every_format_reports_a_failure_in_kind() {
    let o = slogate(&["check", "no/such/dir", "--format", "json"]);
    assert_eq!(code(&o), 2);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON on exit 2");
    assert!(v["error"].as_str().unwrap().contains("no such file"));
    let o = slogate(&["check", "no/such/dir", "--format", "sarif"]);
    assert_eq!(code(&o), 2);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("SARIF on exit 2");
    assert_valid(&v);
    assert_eq!(v["runs"][0]["invocations"][0]["executionSuccessful"], false);
    let o = slogate(&["check", "no/such/dir", "--format", "github"]);
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).starts_with("::error title=slogate::no/such/dir: no such file"));
    let o = slogate(&["check", "no/such/dir", "--format", "concise"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).starts_with("error: no/such/dir"));
    // An invalid `--deny` value and a `--base` without a revision are JSON too.
    let o = slogate(&["check", FIXTURE, "--deny", "nope", "--format", "json"]);
    assert_eq!(code(&o), 2);
    assert!(serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap()["error"].is_string());
}

#[test]
fn gate_github_annotates_each_service_and_fails_in_kind() {
    let summary = tempfile::NamedTempFile::new().unwrap();
    let gate = |extra: &[&str]| {
        let mut args = vec![
            "gate",
            "examples/shop",
            "--service",
            "checkout",
            "--service",
            "payments",
            "--as-deploy",
            "--format",
        ];
        args.extend_from_slice(extra);
        std::process::Command::new(env!("CARGO_BIN_EXE_slogate"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .env("GITHUB_STEP_SUMMARY", summary.path())
            .output()
            .unwrap()
    };
    let o = gate(&["github", "--metrics", "examples/shop/metrics.json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "::notice title=slogate gate checkout::checkout (deploy): allow",
            "::notice title=slogate gate payments::payments (deploy): allow",
        ]
    );
    let md = std::fs::read_to_string(summary.path()).unwrap();
    assert!(
        md.starts_with("### slogate deploy gate: ✅ allow\n"),
        "{md}"
    );
    // No verdict: an annotation, exit 2; JSON mode prints JSON.
    let o = gate(&["github", "--metrics", "no/such/metrics.json"]);
    assert_eq!(code(&o), 2);
    assert!(
        stdout(&o).starts_with("::error title=slogate::"),
        "{}",
        stdout(&o)
    );
    let o = gate(&["json", "--metrics", "no/such/metrics.json"]);
    assert_eq!(code(&o), 2);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON on exit 2");
    assert!(v["error"].is_string());
}

/// Every fixture's findings (all codes, labels in other files, YAML and policy spans) as SARIF, validated.
#[test]
fn sarif_of_every_fixture_validates() {
    let validator = sarif_validator();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for family in ["policy", "manifests", "messages"] {
        let mut dirs: Vec<_> = std::fs::read_dir(root.join("tests/fixtures").join(family))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        dirs.sort();
        for dir in dirs {
            let o = slogate(&["check", dir.to_str().unwrap(), "--format", "sarif"]);
            assert!(code(&o) <= 1, "{}: {}", dir.display(), stderr(&o));
            let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
            let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:#?}", dir.display());
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked}");
}
