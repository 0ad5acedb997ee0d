//! A pull request controls the policies, the manifests and the output directory's contents; slogate runs next
//! to CI secrets. A fake secret is planted everywhere an attacker could point slogate at — a file outside the
//! repository, the process environment (`/proc/self/environ`), the targets of committed symbolic links — and
//! no command may print it, open it through an import, or write through a link.

use crate::support::{code, slogate_in, stderr, stdout};
use std::os::unix::fs::symlink;
use std::path::Path;

const SECRET: &str = "SLOGATE_FAKE_SECRET_8d1f";

const SERVICE: &str = r#"service webhooks {
  owner = "team-integrations"
  tier  = 3

  sli availability {
    good  = `sum(rate(webhook_deliveries_total{result="ok"}[$window]))`
    total = `sum(rate(webhook_deliveries_total[$window]))`
  }

  slo availability { sli = availability  objective = 99%  window = 30d }

  alert availability {
    slo     = availability
    runbook = "https://runbooks.example/webhooks"
  }
}
"#;

/// `t/outside/` holds the secrets; `t/repo/` is a git repository (the policy root) whose files try to reach them.
fn hostile_repo() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let outside = t.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    // A policy-shaped file that does not parse: loaded by mistake, its snippet would print the secret.
    std::fs::write(outside.join("secret.slo"), format!("{SECRET} = {{\n")).unwrap();
    std::fs::write(outside.join("secret.txt"), format!("token: {SECRET}\n")).unwrap();
    let repo = t.path().join("repo");
    git2::Repository::init(&repo).unwrap();
    let policies = repo.join("policies");
    std::fs::create_dir_all(policies.join("sub")).unwrap();
    symlink("../../outside/secret.slo", policies.join("link.slo")).unwrap();
    symlink("../../outside", policies.join("dirlink")).unwrap();
    symlink("../../outside/secret.txt", policies.join("notpolicy.slo")).unwrap();
    symlink("/proc/self/environ", policies.join("env.slo")).unwrap();
    let uses = [
        "/proc/self/environ",
        "/proc/self/environ.slo",
        "../../outside/secret.slo",
        "sub/../../../outside/secret.slo",
        "link.slo",
        "dirlink/secret.slo",
        "notpolicy.slo",
        "env.slo",
        "../../outside/secret.txt",
    ];
    let mut text: String = uses.iter().map(|u| format!("use \"{u}\"\n")).collect();
    text.push('\n');
    text.push_str(SERVICE);
    std::fs::write(policies.join("main.slo"), text).unwrap();
    t
}

fn assert_quiet(o: &std::process::Output, what: &str) {
    let all = format!("{}{}", stdout(o), stderr(o));
    assert!(!all.contains(SECRET), "{what} printed the secret:\n{all}");
    assert!(!all.contains("panicked"), "{what} panicked:\n{all}");
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_slogate"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("SLOGATE_FAKE_TOKEN", SECRET)
        .env("SLOGATE_PROMETHEUS_TOKEN", SECRET);
    cmd.output().unwrap()
}

#[test]
fn imports_never_reach_or_print_anything_outside_the_policy_root() {
    let t = hostile_repo();
    let repo = t.path().join("repo");
    for args in [
        &["check", "policies"][..],
        &["check", "policies", "--format", "json"],
        &["check", "."],
        &["check", "policies/main.slo"],
        &["build", "policies", "-o", "rules"],
        &["build", "policies", "-o", "rules", "--check"],
        &["graph", "policies"],
        &["fmt", "--check", "policies"],
    ] {
        let o = run(&repo, args);
        assert_quiet(&o, &args.join(" "));
        assert!(code(&o) <= 2, "{args:?}: {}", stderr(&o));
    }
    // Every one of the nine imports is refused at its own `use` line, and by the right code.
    let o = run(&repo, &["check", "policies", "--format", "json"]);
    assert_eq!(code(&o), 1);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let codes: Vec<(String, u64)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let outside = |line: u64| codes.contains(&("import-outside-root".to_string(), line));
    let unresolved = |line: u64| codes.contains(&("unresolved-import".to_string(), line));
    // Absolute paths, `..` above the root, links out of it:
    for line in [1, 2, 3, 4, 5, 6, 8] {
        // (lines are those of the `use` list in `hostile_repo`)
        assert!(
            outside(line),
            "line {line} not refused as outside: {codes:?}"
        );
    }
    // A link out of the root to a non-policy file: refused for leaving the root (checked first).
    assert!(outside(7), "{codes:?}");
    assert!(
        unresolved(9),
        "a non-`.slo` import is refused by name: {codes:?}"
    );
    // Nothing else went wrong: the service itself is sound.
    assert!(
        codes
            .iter()
            .all(|(c, _)| c == "import-outside-root" || c == "unresolved-import"),
        "{codes:?}"
    );
    // No output was written: the policies have errors.
    assert!(!repo.join("rules").exists());
}

#[test]
fn a_link_inside_the_root_to_a_policy_inside_it_is_followed() {
    let t = tempfile::tempdir().unwrap();
    git2::Repository::init(t.path()).unwrap();
    std::fs::create_dir_all(t.path().join("shared")).unwrap();
    std::fs::create_dir_all(t.path().join("team")).unwrap();
    std::fs::write(
        t.path().join("shared/profiles.slo"),
        "profile gentle {\n  ticket { long = 3d  short = 6h  budget = 10% }\n}\n",
    )
    .unwrap();
    symlink("../shared/profiles.slo", t.path().join("team/profiles.slo")).unwrap();
    let policy = SERVICE.replace(
        "    runbook = \"https://runbooks.example/webhooks\"",
        "    profile = gentle\n    runbook = \"https://runbooks.example/webhooks\"",
    );
    std::fs::write(
        t.path().join("team/main.slo"),
        format!("use \"profiles.slo\"\nuse \"../shared/profiles.slo\"\n\n{policy}"),
    )
    .unwrap();
    // `team/` alone is the checked path, the repository around it is the root: both spellings name one file,
    // loaded once (no duplicate-profile error).
    let o = slogate_in(t.path(), &["check", "team"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    // A link inside the root to a file inside it that is not a policy: never read as one.
    std::fs::write(t.path().join(".env"), format!("TOKEN={SECRET}\n")).unwrap();
    symlink("../.env", t.path().join("team/env.slo")).unwrap();
    let main = std::fs::read_to_string(t.path().join("team/main.slo")).unwrap();
    std::fs::write(
        t.path().join("team/main.slo"),
        format!("use \"env.slo\"\n{main}"),
    )
    .unwrap();
    let o = slogate_in(t.path(), &["check", "team"]);
    assert_quiet(&o, "check with a link to .env");
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("not a policy"), "{}", stdout(&o));
}

#[test]
fn output_symlinks_are_reported_never_followed() {
    let t = hostile_repo();
    let repo = t.path().join("repo");
    std::fs::write(repo.join("policies/main.slo"), SERVICE).unwrap();
    for l in ["link.slo", "dirlink", "notpolicy.slo", "env.slo"] {
        std::fs::remove_file(repo.join("policies").join(l)).unwrap();
    }
    let secret_file = t.path().join("outside/secret.txt");
    let rules = repo.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    symlink("../../outside/secret.txt", rules.join("webhooks.rules.yml")).unwrap();
    // --check would diff the link's target against the generated rules: it must refuse instead.
    let o = run(&repo, &["build", "policies", "-o", "rules", "--check"]);
    assert_quiet(&o, "build --check");
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
    // build would write through it (or replace it): refused, the link and its target untouched.
    let o = run(&repo, &["build", "policies", "-o", "rules"]);
    assert_quiet(&o, "build");
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing was written"), "{}", stderr(&o));
    let meta = std::fs::symlink_metadata(rules.join("webhooks.rules.yml")).unwrap();
    assert!(meta.file_type().is_symlink());
    assert_eq!(
        std::fs::read_to_string(&secret_file).unwrap(),
        format!("token: {SECRET}\n")
    );
    // The output directory itself a link out of the repository: refused, nothing written there.
    symlink("../outside", repo.join("linked-rules")).unwrap();
    let o = run(&repo, &["build", "policies", "-o", "linked-rules"]);
    assert_quiet(&o, "build into a linked directory");
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(!t.path().join("outside/webhooks.rules.yml").exists());
    let o = run(&repo, &["build", "policies", "-o", "linked-rules/sub"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(!t.path().join("outside/sub").exists());
}

#[test]
fn leftovers_of_an_interrupted_build_are_reported_and_removed() {
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("policies")).unwrap();
    std::fs::write(t.path().join("policies/main.slo"), SERVICE).unwrap();
    let o = slogate_in(t.path(), &["build", "policies", "-o", "rules"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // What `kill -9` between writing and renaming leaves: temporary files of a process that no longer runs.
    let debris = [
        ".slogate-tmp.4294967290.webhooks.rules.yml.new",
        ".slogate-tmp.4294967290.webhooks.rules.yml.old",
    ];
    for d in debris {
        std::fs::write(t.path().join("rules").join(d), "half a file").unwrap();
    }
    let o = slogate_in(t.path(), &["build", "policies", "-o", "rules", "--check"]);
    assert_eq!(code(&o), 1, "--check fails on debris: {}", stdout(&o));
    for d in debris {
        assert!(
            stdout(&o).contains(&format!("leftover: {d}")),
            "{}",
            stdout(&o)
        );
    }
    let o = slogate_in(t.path(), &["build", "policies", "-o", "rules"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for d in debris {
        assert!(
            stderr(&o).contains(&format!("removed {d}")),
            "{}",
            stderr(&o)
        );
        assert!(!t.path().join("rules").join(d).exists());
    }
    let o = slogate_in(t.path(), &["build", "policies", "-o", "rules", "--check"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

/// A server on loopback that answers every request with a healthy Prometheus vector and reports the
/// `Authorization` header of each request it saw.
fn recording_prometheus() -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut buf = vec![0u8; 16384];
            let n = s.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).into_owned();
            let auth = req
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .starts_with("authorization:")
                        .then(|| l["authorization:".len()..].trim().to_string())
                })
                .unwrap_or_default();
            let _ = tx.send(auth);
            let body = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"0.0001"]}]}}"#;
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (format!("127.0.0.1:{port}"), rx)
}

#[test]
fn url_credentials_become_basic_auth_and_are_never_printed() {
    let (host, seen) = recording_prometheus();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved.json");
    let url = format!("http://alice:{SECRET}@{host}/");
    let root = env!("CARGO_MANIFEST_DIR");
    for format in ["human", "json", "markdown"] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_slogate"))
            .args([
                "gate",
                "tests/fixtures/gate-e2e",
                "--service",
                "healthy",
                "--prometheus",
                &url,
            ])
            .args([
                "--format",
                format,
                "--save-metrics",
                saved.to_str().unwrap(),
            ])
            .current_dir(root)
            .env("NO_COLOR", "1")
            .env_remove("SLOGATE_PROMETHEUS_TOKEN")
            .output()
            .unwrap();
        assert_quiet(&o, &format!("gate --format {format}"));
        assert!(code(&o) <= 1, "{}{}", stdout(&o), stderr(&o));
        assert!(
            stdout(&o).contains(&host) || stdout(&o).contains(&host.replace('.', "\\.")),
            "the redacted URL is shown: {}",
            stdout(&o)
        );
        let file = std::fs::read_to_string(&saved).unwrap();
        assert!(!file.contains(SECRET), "--save-metrics wrote the secret");
    }
    // base64("alice:" + SECRET), by hand: the header the server received on every request.
    let expected = format!(
        "Basic {}",
        slogate::remote::endpoint::base64(format!("alice:{SECRET}").as_bytes())
    );
    assert_eq!(
        slogate::remote::endpoint::base64(b"alice:x"),
        "YWxpY2U6eA==",
        "the encoder itself, checked against a hand-computed value"
    );
    let headers: Vec<String> = seen.try_iter().collect();
    assert!(!headers.is_empty());
    assert!(headers.iter().all(|h| *h == expected), "{headers:?}");
    // Errors name the API without the password: a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = run(
        Path::new(root),
        &[
            "gate",
            "tests/fixtures/gate-e2e",
            "--service",
            "healthy",
            "--prometheus",
            &format!("http://alice:{SECRET}@127.0.0.1:{port}"),
        ],
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert_quiet(&o, "gate against a dead port");
    // A token and URL credentials together are ambiguous: refused.
    let o = run(
        Path::new(root),
        &[
            "gate",
            "tests/fixtures/gate-e2e",
            "--service",
            "healthy",
            "--prometheus",
            &url,
        ],
    );
    assert_eq!(
        code(&o),
        2,
        "SLOGATE_PROMETHEUS_TOKEN is set by `run`: {}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains(
            "credentials were given more than once (credentials in the --prometheus URL, SLOGATE_PROMETHEUS_TOKEN)"
        ),
        "{}",
        stderr(&o)
    );
    assert_quiet(&o, "gate with token and URL credentials");
}
