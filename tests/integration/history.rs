//! Git history: repositories built with git2 in temp dirs (fixed authors and timestamps), diff-aware
//! reporting, policy regressions for review, failure modes.

use crate::snap;
use crate::support::{code, commit_all, slogate_in, stderr, stdout};
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
        self.commit_as("Dana Dev", message)
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
    // Dropping the runbook of a paging alert is also an error the change introduced.
    assert_eq!(code(&o), 1, "{out}{}", stderr(&o));
    assert!(
        out.contains("alert `fast` pages but has no runbook"),
        "{out}"
    );
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

/// A service with an SLI no SLO uses (an `unused-sli` warning, a finding that can be hidden).
fn spare(name: &str, extra: &str) -> String {
    format!(
        "service {name} {{\n  owner = \"team-{name}\"\n  tier  = 2\n{extra}  sli spare {{\n    good  = `sum(rate(x_total{{code!~\"5..\"}}[$window]))`\n    total = `sum(rate(x_total[$window]))`\n  }}\n}}\n"
    )
}

#[test]
fn only_problems_the_change_introduces_are_reported() {
    let mut r = Repo::new();
    // Old problems: two unused SLIs, committed before the change.
    r.write("policies/api.slo", &spare("api", ""));
    r.write("policies/old/moved.slo", &spare("moved", ""));
    r.commit("base");
    // The change moves the old problem down a line (fingerprints do not hold line numbers), adds a new
    // problem in a new file, and moves a file without changing it.
    r.write(
        "policies/api.slo",
        &format!("# the API\n{}", spare("api", "")),
    );
    r.write(
        "policies/web.slo",
        "service web {\n  owner = \"x\"\n  tier  = 2\n  depends = [paymnets]\n}\n",
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
        !out.contains("unused-sli"),
        "old problems stay quiet: {out}"
    );
    assert!(
        out.contains("2 problems predate this change; `--all` shows them"),
        "{out}"
    );
    let o = slogate_in(
        r.path(),
        &["check", ".", "--base", "HEAD~1", "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["summary"]["hidden"], 2);
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 1);
    let o = slogate_in(r.path(), &["check", ".", "--base", "HEAD~1", "--all"]);
    let out = stdout(&o);
    assert_eq!(out.matches("unused-sli").count(), 2, "{out}");
    assert!(out.contains("paymnets"), "{out}");
}

#[test]
fn staged_changes_for_pre_commit() {
    let mut r = Repo::new();
    r.write("a.slo", &spare("a", ""));
    r.commit("base");
    r.write("a.slo", &spare("a", "  size = 3\n"));
    r.stage();
    let o = slogate_in(r.path(), &["check", ".", "--staged"]);
    let out = stdout(&o);
    assert_eq!(code(&o), 1);
    assert!(
        out.contains("unknown key `size`") && !out.contains("unused-sli"),
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
    // History facts need the whole toil window.
    let o = slogate_in(clone.path(), &["history", "."]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert!(
        stderr(&o).contains("does not reach the 90-day window"),
        "{}",
        stderr(&o)
    );
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

fn web_manifest(image: &str, annotation: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{ app: web }}\n  template:\n    metadata:\n      labels: {{ app: web }}\n      annotations: {{ restarted: \"{annotation}\" }}\n    spec:\n      containers:\n        - name: web\n          image: registry.example/web:{image}\n"
    )
}

const WEB_POLICY: &str = r#"service web {
  owner    = "team-web"
  tier     = 3
  workload = deployment/shop/web

  gate deploy {
    require toil <= 20%
    require automation >= 80%
  }

  toil {
    window = 30d
    bots   = ["deploy-bot"]
    manual = message ~ "^manual" or trailer "Toil: yes"
  }
}
"#;

impl Repo {
    fn commit_as(&mut self, author: &str, message: &str) -> git2::Oid {
        self.clock += 3600;
        commit_all(&self.repo, author, message, self.clock)
    }
}

/// A hand-counted history: 7 changes in the window (1 automated, 2 manual toil, 4 other), 4 deploys, 1
/// rollback (a revert back to an earlier image), a revert of that revert (a plain deploy), 3 failed deploys.
#[test]
fn delivery_and_toil_facts_match_a_hand_count() {
    let mut r = Repo::new();
    r.write("web.slo", WEB_POLICY);
    r.write("k8s/web.yaml", &web_manifest("0", "a"));
    r.commit("ancient: outside the 30-day window");
    r.clock += 40 * 86_400;
    r.write("k8s/web.yaml", &web_manifest("1", "a"));
    r.commit_as("Dana Dev", "ship 1"); // deploy (human)
    r.write("k8s/web.yaml", &web_manifest("2", "a"));
    let bump = r.commit_as("deploy-bot", "bump web to 2"); // deploy (automated)
    r.write("k8s/web.yaml", &web_manifest("2", "b"));
    r.commit_as("Dana Dev", "manual: restart pods"); // manual toil
    r.write("web.slo", &WEB_POLICY.replace("team-web", "team-www"));
    r.commit_as("Dana Dev", "rename team\n\nToil: yes"); // manual toil (trailer)
    r.write("README.md", "unrelated\n");
    r.commit_as("Dana Dev", "docs"); // touches nothing of web
    r.write("k8s/web.yaml", &web_manifest("1", "b"));
    let revert = r.commit_as(
        "Dana Dev",
        &format!("Revert \"bump web to 2\"\n\nThis reverts commit {bump}.\n"),
    ); // rollback
    r.write("k8s/web.yaml", &web_manifest("2", "b"));
    r.commit_as(
        "Dana Dev",
        &format!("Revert \"Revert \"bump web to 2\"\"\n\nThis reverts commit {revert}.\n"),
    ); // re-deploy, not a rollback
    r.write("web.slo", &WEB_POLICY.replace("team-web", "team-web2"));
    r.commit_as("Dana Dev", "hotfix: owner"); // hotfix
    let o = slogate_in(r.path(), &["history", ".", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let web = &v["services"][0];
    assert_eq!(web["service"], "web");
    assert_eq!(web["window_days"], 30);
    assert_eq!(web["changes"], 7);
    assert_eq!(web["automated"], 1);
    assert_eq!(web["manual_toil"], 2);
    assert_eq!(web["other_human"], 4);
    let deploys = web["deploys"].as_array().unwrap();
    let summary: Vec<(String, bool, bool)> = deploys
        .iter()
        .map(|d| {
            (
                d["images"][0].as_str().unwrap().to_string(),
                d["rollback"].as_bool().unwrap(),
                d["failed"].as_bool().unwrap(),
            )
        })
        .collect();
    let image = |t: &str| format!("registry.example/web:{t}");
    assert_eq!(
        summary,
        vec![
            (image("1"), false, false), // followed by an ordinary deploy
            (image("2"), false, true),  // rolled back
            (image("1"), true, true),   // the rollback, itself reverted
            (image("2"), false, true),  // a hotfix follows
        ]
    );
    assert_eq!(web["rollbacks"], 1);
    assert_eq!(web["failed_deploys"], 3);
    assert_eq!(web["change_failure_rate"], "0.75");
    assert_eq!(web["toil_ratio"], "0.2857");
    assert_eq!(web["automation_ratio"], "0.1429");
    assert_eq!(web["deploys_per_day"], "0.1333");
    assert_eq!(web["truncated"], false);
    let o = slogate_in(r.path(), &["history", "."]);
    snap!("history__facts__human", redact_hashes(&stdout(&o)));
    let mut json = v.clone();
    for d in json["services"][0]["deploys"].as_array_mut().unwrap() {
        d["commit"] = "<commit>".into();
    }
    snap!(
        "history__facts__json",
        serde_json::to_string_pretty(&json).unwrap()
    );
    // `check --history` holds the gate's caps against the same facts.
    let o = slogate_in(r.path(), &["check", ".", "--history"]);
    let out = stdout(&o);
    assert!(
        out.contains("toil-over-cap")
            && out.contains("`web` has 28.57% manual toil in the last 30 days: 2 of 7 changes"),
        "{out}"
    );
    assert!(
        out.contains("automation-under-floor") && out.contains("14.29% automated changes"),
        "{out}"
    );
}

/// Commit hashes depend on libgit2's object encoding only, but keep them out of snapshots.
fn redact_hashes(text: &str) -> String {
    text.lines()
        .map(|l| {
            let t = l.trim_start();
            if t.len() > 9 && t[..7].chars().all(|c| c.is_ascii_hexdigit()) && &t[7..9] == "  " {
                format!("  <commit>{}", &t[7..])
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn merges_are_followed_along_the_first_parent() {
    let mut r = Repo::new();
    r.write("web.slo", WEB_POLICY);
    r.write("k8s/web.yaml", &web_manifest("1", "a"));
    r.commit("base");
    let base = r.repo.head().unwrap().peel_to_commit().unwrap();
    // A side branch bumps the image; main merges it.
    r.write("k8s/web.yaml", &web_manifest("2", "a"));
    r.stage();
    let tree = r
        .repo
        .find_tree(r.repo.index().unwrap().write_tree().unwrap())
        .unwrap();
    let sig = Signature::new("deploy-bot", "bot@example.com", &Time::new(r.clock + 60, 0)).unwrap();
    let side = r
        .repo
        .commit(None, &sig, &sig, "bump to 2", &tree, &[&base])
        .unwrap();
    let side = r.repo.find_commit(side).unwrap();
    r.clock += 3600;
    let me = Signature::new("Dana Dev", "dana@example.com", &Time::new(r.clock, 0)).unwrap();
    r.repo
        .commit(
            Some("HEAD"),
            &me,
            &me,
            "Merge branch 'bump'",
            &tree,
            &[&base, &side],
        )
        .unwrap();
    let o = slogate_in(r.path(), &["history", ".", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let web = &v["services"][0];
    // The base commit (creation) and the merge: the side-branch commit is not walked on its own.
    assert_eq!(web["changes"], 2, "{web}");
    assert_eq!(web["deploys"].as_array().unwrap().len(), 2, "{web}");
    assert_eq!(web["deploys"][1]["images"][0], "registry.example/web:2");
}

/// Deleting a line is a change too: a block that loses its `runbook` is reported at its header.
#[test]
fn deletions_count_as_changes_of_their_block() {
    let mut r = Repo::new();
    let alert = "\n  alert fast {\n    slo     = availability\n    runbook = \"https://runbooks.example/api\"\n    page { long = 1h  budget = 2% }\n  }\n";
    r.write("api.slo", &api("99.9%", "30d", SLI, alert, ""));
    r.commit("base");
    r.write(
        "api.slo",
        &api(
            "99.9%",
            "30d",
            SLI,
            &alert.replace("    runbook = \"https://runbooks.example/api\"\n", ""),
            "",
        ),
    );
    r.commit("drop the runbook");
    let o = slogate_in(r.path(), &["check", ".", "--base", "HEAD~1"]);
    let out = stdout(&o);
    assert_eq!(code(&o), 1, "{out}");
    assert!(
        out.contains("alert `fast` pages but has no runbook"),
        "{out}"
    );
    assert!(out.contains("runbook-removed"), "{out}");
}
