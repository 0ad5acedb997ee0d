//! Git history: repositories built with git2 in temp dirs (fixed authors and timestamps), diff-aware
//! reporting, policy regressions for review, failure modes.

use crate::snap;
use crate::support::{code, slogate_in, stderr, stdout};
use git2::{Repository, Signature, Time};
use std::path::Path;

/// A repository with deterministic commits.
struct Repo {
    dir: tempfile::TempDir,
    repo: Repository,
    clock: i64,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        Repo {
            dir,
            repo,
            clock: 1_700_000_000,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, text: &str) {
        let p = self.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn remove(&self, name: &str) {
        std::fs::remove_file(self.path().join(name)).unwrap();
    }

    /// Stages everything (additions, changes, deletions).
    fn stage(&self) {
        let mut index = self.repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
    }

    fn commit(&mut self, message: &str) -> git2::Oid {
        self.stage();
        let mut index = self.repo.index().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        self.clock += 3600;
        let sig =
            Signature::new("Dana Dev", "dana@example.com", &Time::new(self.clock, 0)).unwrap();
        let parents: Vec<git2::Commit> = self
            .repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
    }
}

const SLI: &str = r#"
  sli availability {
    good  = `sum(rate(http_requests_total{job="api",code!~"5.."}[$window]))`
    total = `sum(rate(http_requests_total{job="api"}[$window]))`
  }
"#;

fn api(objective: &str, window: &str, sli: &str, alerts: &str, gate: &str) -> String {
    format!(
        "service api {{\n  owner = \"team-api\"\n  tier  = 2\n{sli}\n  slo availability {{ sli = availability  objective = {objective}  window = {window} }}\n{alerts}{gate}}}\n"
    )
}

const ALERTS: &str = r#"
  alert fast {
    slo     = availability
    runbook = "https://runbooks.example/api"
    page { long = 1h  budget = 2% }
  }
  alert slow {
    slo     = availability
    runbook = "https://runbooks.example/api/slow"
    page   { long = 6h  budget = 5% }
    ticket { long = 1d  budget = 10% }
  }
  alert gone {
    slo     = availability
    runbook = "https://runbooks.example/api/gone"
    ticket { long = 3d  budget = 10% }
  }
"#;

const GATE: &str = r#"
  gate deploy {
    require budget(availability) >= 25%
    require toil <= 50%
    freeze when budget(availability) <= 0% except rollback
    canary { max_error_ratio = 1.1 * baseline }
  }
"#;

const WORKER: &str = "service worker {\n  owner = \"team-api\"\n  tier  = 3\n}\n";

#[test]
fn every_kind_of_regression_is_reported_with_both_spans() {
    let mut r = Repo::new();
    r.write("policies/api.slo", &api("99.9%", "30d", SLI, ALERTS, GATE));
    r.write("policies/worker.slo", WORKER);
    r.commit("base");
    let sli = SLI.replace("code!~\"5..\"", "code!~\"(5..|429)\"");
    let alerts = ALERTS
        .replace("    runbook = \"https://runbooks.example/api\"\n", "")
        .replace("    page   { long = 6h  budget = 5% }\n", "")
        .replace(
            "  alert gone {\n    slo     = availability\n    runbook = \"https://runbooks.example/api/gone\"\n    ticket { long = 3d  budget = 10% }\n  }\n",
            "",
        );
    let gate = GATE
        .replace(">= 25%", ">= 10%")
        .replace("toil <= 50%", "toil <= 60%")
        .replace(
            "    freeze when budget(availability) <= 0% except rollback\n",
            "",
        )
        .replace("1.1 * baseline", "1.5 * baseline");
    r.write("policies/api.slo", &api("97%", "7d", &sli, &alerts, &gate));
    r.remove("policies/worker.slo");
    r.commit("weaken the policy");
    let o = slogate_in(r.path(), &["check", ".", "--base", "HEAD~1"]);
    let out = stdout(&o);
    // Review findings are shown but do not fail the run…
    assert_eq!(code(&o), 0, "{out}{}", stderr(&o));
    for c in [
        "objective-lowered",
        "window-shortened",
        "sli-changed",
        "alert-removed",
        "alert-downgraded",
        "runbook-removed",
        "gate-loosened",
        "service-removed",
    ] {
        assert!(out.contains(&format!("{c}\n")), "{c} missing:\n{out}");
    }
    assert!(
        out.contains("objective of SLO `availability` of `api` lowered from 99.9% to 97%"),
        "{out}"
    );
    assert!(
        out.contains("policies/api.slo @ "),
        "the base revision's span is shown: {out}"
    );
    snap!("history__regressions__human", redact(&out, &r));
    let o = slogate_in(
        r.path(),
        &["check", ".", "--base", "HEAD~1", "--format", "json"],
    );
    snap!("history__regressions__json", redact(&stdout(&o), &r));
    // …unless asked to.
    let o = slogate_in(
        r.path(),
        &["check", ".", "--base", "HEAD~1", "--deny", "review"],
    );
    assert_eq!(code(&o), 1);
}

/// Replaces the base commit's hash (it depends on libgit2's object format only, but keep snapshots calm).
fn redact(text: &str, r: &Repo) -> String {
    let base = r.repo.revparse_single("HEAD~1").unwrap().id().to_string();
    text.replace(&base[..7], "BASE")
}

#[test]
fn only_problems_on_changed_lines_are_reported() {
    let mut r = Repo::new();
    // An old problem: an unknown key, committed before the change.
    r.write(
        "policies/api.slo",
        "service api {\n  owner = \"team-api\"\n  tier  = 2\n  colour = \"blue\"\n}\n",
    );
    r.write(
        "policies/old/moved.slo",
        "service moved {\n  owner = \"x\"\n  tier  = 2\n  shape = \"round\"\n}\n",
    );
    r.commit("base");
    // The change adds a new problem on a new line, and moves a file without changing it.
    r.write(
        "policies/api.slo",
        "service api {\n  owner = \"team-api\"\n  tier  = 2\n  colour = \"blue\"\n  depends = [paymnets]\n}\n",
    );
    std::fs::create_dir_all(r.path().join("policies/new")).unwrap();
    std::fs::rename(
        r.path().join("policies/old/moved.slo"),
        r.path().join("policies/new/moved.slo"),
    )
    .unwrap();
    r.commit("add a dependency, move a file");
    let o = slogate_in(r.path(), &["check", ".", "--base", "HEAD~1"]);
    let out = stdout(&o);
    assert_eq!(code(&o), 1, "{out}");
    assert!(out.contains("unknown service `paymnets`"), "{out}");
    assert!(
        !out.contains("unknown key `colour`") && !out.contains("unknown key `shape`"),
        "old problems stay quiet: {out}"
    );
    assert!(
        out.contains("2 problems on lines this change did not touch; `--all` shows them"),
        "{out}"
    );
    let o = slogate_in(r.path(), &["check", ".", "--base", "HEAD~1", "--all"]);
    let out = stdout(&o);
    assert!(
        out.contains("unknown key `colour`")
            && out.contains("unknown key `shape`")
            && out.contains("paymnets"),
        "{out}"
    );
}

#[test]
fn staged_changes_for_pre_commit() {
    let mut r = Repo::new();
    r.write(
        "a.slo",
        "service a {\n  owner = \"x\"\n  tier  = 2\n  colour = \"blue\"\n}\n",
    );
    r.commit("base");
    r.write(
        "a.slo",
        "service a {\n  owner = \"x\"\n  tier  = 2\n  colour = \"blue\"\n  size = 3\n}\n",
    );
    r.stage();
    let o = slogate_in(r.path(), &["check", ".", "--staged"]);
    let out = stdout(&o);
    assert_eq!(code(&o), 1);
    assert!(
        out.contains("unknown key `size`") && !out.contains("`colour`"),
        "{out}"
    );
}

#[test]
fn git_failures_exit_2_with_what_to_do() {
    let mut r = Repo::new();
    r.write("a.slo", "service a {\n  owner = \"x\"\n  tier  = 2\n}\n");
    r.commit("base");
    let o = slogate_in(r.path(), &["check", ".", "--base", "no-such-branch"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown revision `no-such-branch`"),
        "{}",
        stderr(&o)
    );
    let plain = tempfile::tempdir().unwrap();
    std::fs::write(
        plain.path().join("a.slo"),
        "service a {\n  owner = \"x\"\n  tier  = 2\n}\n",
    )
    .unwrap();
    let o = slogate_in(plain.path(), &["check", ".", "--base", "main"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no git repository"), "{}", stderr(&o));
    let o = slogate_in(r.path(), &["check", ".", "--base"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("GITHUB_BASE_REF"), "{}", stderr(&o));
}

#[test]
fn a_shallow_clone_says_to_fetch_the_history() {
    let mut r = Repo::new();
    r.write("a.slo", "service a {\n  owner = \"x\"\n  tier  = 2\n}\n");
    r.commit("one");
    r.write("a.slo", "service a {\n  owner = \"y\"\n  tier  = 2\n}\n");
    r.commit("two");
    r.write("a.slo", "service a {\n  owner = \"z\"\n  tier  = 2\n}\n");
    r.commit("three");
    let first = {
        let mut walk = r.repo.revwalk().unwrap();
        walk.push_head().unwrap();
        walk.set_sorting(git2::Sort::REVERSE).unwrap();
        walk.next().unwrap().unwrap().to_string()
    };
    let clone = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "1"])
        .arg(format!("file://{}", r.path().display()))
        .arg(clone.path())
        .status();
    let Ok(status) = status else {
        assert!(
            std::env::var_os("CI").is_none(),
            "git is needed for the shallow-clone test"
        );
        eprintln!("\n!!! SKIPPED: git not found for the shallow-clone test !!!\n");
        return;
    };
    assert!(status.success());
    let o = slogate_in(clone.path(), &["check", ".", "--base", &first]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert!(stderr(&o).contains("shallow clone"), "{}", stderr(&o));
    assert!(stderr(&o).contains("fetch-depth: 0"), "{}", stderr(&o));
}

#[test]
fn an_slo_removed_is_reported() {
    let mut r = Repo::new();
    r.write("api.slo", &api("99.9%", "30d", SLI, "", ""));
    r.commit("base");
    r.write(
        "api.slo",
        &format!("service api {{\n  owner = \"team-api\"\n  tier  = 2\n{SLI}}}\n"),
    );
    r.commit("drop the SLO");
    let o = slogate_in(
        r.path(),
        &["check", ".", "--base", "HEAD~1", "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"slo-removed"), "{codes:?}");
    assert_eq!(v["summary"]["reviews"], 1);
}
