//! Hard errors stay errors: an unparsable file must fail `check` whatever the overrides, the service's
//! `checks { … }`, the output format or diff-aware mode say; adjustable codes follow every override.

use crate::support::{code, commit_all, slogate_in, stderr, stdout};
use slogate::diag::{Class, Code};

/// A repository holding one valid policy (which tries to turn the syntax codes off for itself) and one file
/// that does not parse.
fn broken_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git2::Repository::init(dir.path()).unwrap();
    std::fs::write(
        dir.path().join("ok.slo"),
        "service ok {\n  owner = \"x\"\n  tier  = 2\n  checks {\n    allow = [\"unused-sli\"]\n  }\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("broken.slo"),
        "service broken {\n  owner = \n}\n",
    )
    .unwrap();
    dir
}

#[test]
fn no_command_line_override_makes_an_unparsable_file_pass() {
    let dir = broken_repo();
    let plain = slogate_in(dir.path(), &["check", "."]);
    assert_eq!(code(&plain), 1, "{}", stdout(&plain));
    assert!(stdout(&plain).contains("broken.slo"));
    // Every hard code, downgraded or allowed, alone and together with the codes a parse failure produces.
    for c in Code::ALL.iter().filter(|c| c.class() == Class::Hard) {
        for flag in ["--warn", "--allow"] {
            let o = slogate_in(dir.path(), &["check", ".", flag, c.as_str()]);
            assert_eq!(code(&o), 2, "{flag} {c}: {}", stdout(&o));
            assert!(
                stderr(&o).contains(&format!("`{flag} {c}` is refused")),
                "{flag} {c}: {}",
                stderr(&o)
            );
            let o = slogate_in(
                dir.path(),
                &["check", ".", flag, c.as_str(), "--format", "json"],
            );
            assert_eq!(code(&o), 2);
            let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON on exit 2");
            assert!(v["error"].as_str().unwrap().contains("is refused"));
        }
    }
    let everything = [
        "check",
        ".",
        "--allow",
        "syntax",
        "--allow",
        "unclosed-delimiter",
        "--warn",
        "missing-key",
        "--no-manifests",
    ];
    assert_eq!(code(&slogate_in(dir.path(), &everything)), 2);
    // Denying a hard code is allowed (it is an error already) and changes nothing.
    let o = slogate_in(dir.path(), &["check", ".", "--deny", "syntax"]);
    assert_eq!(code(&o), 1);
    // Adjustable codes around it do not rescue it either.
    let o = slogate_in(
        dir.path(),
        &[
            "check",
            ".",
            "--allow",
            "unused-sli",
            "--allow",
            "missing-pdb",
        ],
    );
    assert_eq!(code(&o), 1);
}

#[test]
fn checks_blocks_cannot_turn_a_hard_code_off() {
    let dir = broken_repo();
    std::fs::write(
        dir.path().join("ok.slo"),
        "service ok {\n  owner = \"x\"\n  tier  = 2\n  checks {\n    allow = [\"syntax\"]\n    warn  = [\"unclosed-delimiter\"]\n    deny  = [\"syntax\"]\n  }\n}\n",
    )
    .unwrap();
    let o = slogate_in(dir.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let messages: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.contains(&"`syntax` is a hard error and cannot be set to `allow`"),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"`unclosed-delimiter` is a hard error and cannot be set to `warn`"),
        "{messages:?}"
    );
    // `deny` of a hard code is accepted silently: 2 refusals + the syntax error itself.
    assert_eq!(v["summary"]["errors"], 3, "{v:#}");
}

#[test]
fn diff_aware_mode_and_build_do_not_let_it_through_either() {
    let dir = broken_repo();
    let repo = git2::Repository::open(dir.path()).unwrap();
    commit_all(&repo, "Dana Dev", "base, already broken", 1_700_000_000);
    std::fs::write(dir.path().join("README.md"), "unrelated\n").unwrap();
    commit_all(&repo, "Dana Dev", "unrelated", 1_700_003_600);
    for args in [
        &["check", ".", "--base", "HEAD~1"][..],
        &["check", ".", "--staged"],
        &["check", "broken.slo"],
        &["build", ".", "-o", "rules"],
    ] {
        let o = slogate_in(dir.path(), args);
        assert_eq!(code(&o), 1, "{args:?}: {}{}", stdout(&o), stderr(&o));
    }
    assert!(!dir.path().join("rules").exists(), "nothing was built");
}

#[test]
fn explain_lists_each_codes_class() {
    let o = slogate_in(std::path::Path::new("."), &["explain"]);
    let out = stdout(&o);
    let line = |c: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(c))
            .unwrap_or_else(|| panic!("{c} not listed"))
            .to_string()
    };
    assert!(line("syntax").contains(" hard "), "{}", line("syntax"));
    assert!(line("unresolved-name").contains(" hard "));
    assert!(line("generated-rules-drift").contains(" hard "));
    assert!(line("unused-sli").contains(" adjustable "));
    assert!(line("missing-pdb").contains(" adjustable "));
    let o = slogate_in(std::path::Path::new("."), &["explain", "syntax"]);
    assert!(stdout(&o).contains("Class: hard."), "{}", stdout(&o));
}
