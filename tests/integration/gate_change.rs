//! Every "allow" is earned: what a change is comes from the whole change by content, remediation is never
//! blocked, and each way the gate used to be talked into "allow" has its own test. Repositories are built with
//! git2 (fixed authors and times); expected verdicts follow from docs/gate.md by hand.

use crate::support::{code, commit_all, deployment, slogate_in, stderr, stdout};
use std::path::Path;

/// The README's example gate: a budget floor and a freeze with both exceptions.
const POLICY: &str = "service web {\n  owner = \"t\"\n  tier  = 3\n  workload = deployment/shop/web\n\n  sli availability {\n    bad   = `sum(rate(errors_total[$window]))`\n    total = `sum(rate(requests_total[$window]))`\n  }\n\n  slo availability { sli = availability  objective = 99%  window = 30d }\n\n  gate deploy {\n    require budget(availability) >= 25%\n    freeze when budget(availability) <= 0% except rollback, reliability_fix\n  }\n}\n";

/// 99% over 30d: budget 0.01; an error ratio of 0.02 leaves 1 − 0.02/0.01 = −100%: exhausted.
const EXHAUSTED: &str =
    "{ \"version\": 1, \"slos\": { \"web/availability\": { \"error_ratio\": { \"30d\": \"0.02\" } } } }";

struct Repo {
    dir: tempfile::TempDir,
    git: git2::Repository,
    time: i64,
}

impl Repo {
    /// A repository whose `main` ran `web:1` then `web:2` (two deploys), with the policy.
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let git = git2::Repository::init(dir.path()).unwrap();
        std::fs::write(dir.path().join("web.slo"), POLICY).unwrap();
        let mut r = Repo {
            dir,
            git,
            time: 1_700_000_000,
        };
        r.image("1", "deploy 1");
        r.image("2", "deploy 2");
        {
            let head = r.git.head().unwrap().peel_to_commit().unwrap();
            r.git.branch("main", &head, true).unwrap();
            // The pull request's branch.
            r.git.branch("pr", &head, true).unwrap();
        }
        r.git.set_head("refs/heads/pr").unwrap();
        r
    }

    fn commit(&mut self, message: &str) -> git2::Oid {
        self.time += 3600;
        commit_all(&self.git, "Dana", message, self.time)
    }

    fn image(&mut self, image: &str, message: &str) -> git2::Oid {
        std::fs::write(self.dir.path().join("web.yaml"), deployment("web", image)).unwrap();
        self.commit(message)
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `slogate gate . --base main --metrics m.json` (the snapshot outside the repository's tree of interest).
    fn gate(&self, metrics: &str, extra: &[&str]) -> std::process::Output {
        let m = self.dir.path().join("m.json");
        std::fs::write(&m, metrics).unwrap();
        let mut args = vec!["gate", ".", "--metrics", m.to_str().unwrap()];
        args.extend_from_slice(extra);
        slogate_in(self.path(), &args)
    }
}

fn out(o: &std::process::Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

#[test]
fn a_bump_in_an_earlier_commit_is_a_deploy_even_if_the_last_commit_edits_docs() {
    let mut r = Repo::new();
    r.image("3", "bump web to 3");
    std::fs::write(r.path().join("README.md"), "docs\n").unwrap();
    r.commit("docs: typo");
    let o = r.gate(EXHAUSTED, &["--base", "main"]);
    assert_eq!(code(&o), 1, "frozen: {}", out(&o));
    assert!(stdout(&o).contains("web (deploy): deny"), "{}", out(&o));
    assert!(stdout(&o).contains("releases are frozen"), "{}", out(&o));
}

#[test]
fn a_rollback_by_content_with_an_ordinary_message_is_allowed_and_requirements_are_skipped() {
    let mut r = Repo::new();
    // Back to the image main ran before (web:1), with a message that says nothing about it.
    r.image("1", "tweak");
    let o = r.gate(EXHAUSTED, &["--base", "main"]);
    let text = stdout(&o);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(text.contains("web (rollback): allow"), "{text}");
    // The README's own gate: the budget floor does not block the rollback, it is shown skipped.
    assert!(
        text.contains("skipped (rollback)  gate deploy: budget(availability) >= 25%"),
        "{text}"
    );
    assert!(
        text.contains("frozen, but a rollback is allowed through"),
        "{text}"
    );
}

#[test]
fn a_forged_revert_message_on_new_images_is_a_deploy() {
    let mut r = Repo::new();
    r.image(
        "9",
        "Revert \"deploy 2\"\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.\n",
    );
    let o = r.gate(EXHAUSTED, &["--base", "main"]);
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(stdout(&o).contains("web (deploy): deny"), "{}", out(&o));
}

#[test]
fn a_range_that_deploys_twice_and_ends_on_a_new_image_is_a_deploy() {
    let mut r = Repo::new();
    r.image("1", "roll back to 1");
    r.image("5", "then 5");
    let o = r.gate(EXHAUSTED, &["--base", "main"]);
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(stdout(&o).contains("web (deploy): deny"), "{}", out(&o));
}

#[test]
fn a_reliability_fix_needs_the_trailer_on_every_commit_that_changes_the_workload() {
    let mut r = Repo::new();
    r.image("3", "fix the leak\n\nReliability-Fix: true\n");
    let o = r.gate(EXHAUSTED, &["--base", "main"]);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(
        stdout(&o).contains("web (reliability fix): allow"),
        "{}",
        out(&o)
    );
    // A second commit without the trailer turns the whole change into a deploy.
    r.image("4", "and a feature");
    let o = r.gate(EXHAUSTED, &["--base", "main"]);
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(stdout(&o).contains("web (deploy): deny"), "{}", out(&o));
}

#[test]
fn a_change_that_rolls_no_pods_passes_and_says_why() {
    let mut r = Repo::new();
    let yaml = std::fs::read_to_string(r.path().join("web.yaml")).unwrap();
    // Replicas and labels outside the pod template do not roll pods.
    std::fs::write(
        r.path().join("web.yaml"),
        yaml.replace("spec:\n  template:", "spec:\n  replicas: 3\n  template:"),
    )
    .unwrap();
    r.commit("scale to 3");
    let o = r.gate(EXHAUSTED, &["--base", "main"]);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(
        stdout(&o).contains("web (config only): allow"),
        "{}",
        out(&o)
    );
    assert!(stdout(&o).contains("no pods roll"), "{}", out(&o));
}

#[test]
fn without_base_the_last_commit_is_the_change() {
    let mut r = Repo::new();
    r.image("7", "deploy 7");
    let o = r.gate(EXHAUSTED, &["--service", "web"]);
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(stdout(&o).contains("web (deploy): deny"), "{}", out(&o));
    // No selection at all: every gated service.
    let o = r.gate(EXHAUSTED, &[]);
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(stdout(&o).contains("web (deploy): deny"), "{}", out(&o));
}

#[test]
fn an_empty_selection_says_what_it_looked_at() {
    let mut r = Repo::new();
    std::fs::write(r.path().join("README.md"), "docs\n").unwrap();
    r.commit("docs");
    let o = r.gate(EXHAUSTED, &["--base", "main"]);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(stdout(&o).contains("(no service gated)"), "{}", out(&o));
    assert!(
        stderr(&o).contains("touches no service's policy or workload manifest"),
        "{}",
        out(&o)
    );
    assert!(stderr(&o).contains("README.md"), "{}", out(&o));
}

#[test]
fn base_names_are_looked_up_on_origin_first() {
    let mut r = Repo::new();
    // A stale local `main` that already has the bump, and the remote's `origin/main` without it.
    let origin_main = r.git.head().unwrap().peel_to_commit().unwrap().id();
    r.image("3", "bump");
    {
        let head = r.git.head().unwrap().peel_to_commit().unwrap();
        r.git.branch("main", &head, true).unwrap();
    }
    r.git
        .reference("refs/remotes/origin/main", origin_main, true, "test")
        .unwrap();
    let o = r.gate(EXHAUSTED, &["--base", "main"]);
    assert!(
        stderr(&o).contains("origin/main"),
        "says which ref it used: {}",
        out(&o)
    );
    assert_eq!(code(&o), 1, "the bump is in the change: {}", out(&o));
}

#[test]
fn a_missing_object_is_no_verdict() {
    let mut r = Repo::new();
    r.image("3", "bump");
    // Delete the blob of web.yaml at HEAD from the object store (a partial clone without it).
    let head = r.git.head().unwrap().peel_to_tree().unwrap();
    let blob = head
        .get_path(Path::new("web.yaml"))
        .unwrap()
        .id()
        .to_string();
    let loose = r
        .path()
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    std::fs::remove_file(loose).unwrap();
    let o = r.gate(EXHAUSTED, &["--base", "main"]);
    assert_eq!(code(&o), 2, "{}", out(&o));
    assert!(!stdout(&o).contains("allow"), "{}", out(&o));
}

#[test]
fn a_manifest_that_is_not_utf8_is_no_verdict() {
    let mut r = Repo::new();
    let mut yaml = std::fs::read(r.path().join("web.yaml")).unwrap();
    yaml.extend_from_slice(b"# caf\xe9\n");
    std::fs::write(r.path().join("web.yaml"), yaml).unwrap();
    r.commit("latin-1 comment");
    let o = r.gate(EXHAUSTED, &["--base", "main"]);
    assert_eq!(code(&o), 2, "{}", out(&o));
}

#[test]
fn figures_that_make_no_sense_are_refused_with_their_position() {
    let r = Repo::new();
    for (metrics, expected) in [
        (
            r#"{ "version": 1, "slos": { "web/availability": { "error_ratio": { "30d": "-0.5" } } } }"#,
            "between 0 and 1",
        ),
        (
            r#"{ "version": 1, "slos": { "web/availability": { "error_ratio": { "30d": "1.5" } } } }"#,
            "between 0 and 1",
        ),
        (
            r#"{ "version": 1, "slos": { "web/availability": { "error_ratio": { "30d": "NaN" } } } }"#,
            "expected a number",
        ),
        (
            r#"{ "version": 1, "slos": { "web/availability": { "error_ratio": { "30d": "0.1", "30d": "0.2" } } } }"#,
            "duplicate key `30d`",
        ),
        (
            r#"{ "version": 1, "slos": { "web/availability": { "error_ratio": { "30d": "0.1", "720h": "0.2" } } } }"#,
            "name the same window",
        ),
        (
            r#"{ "version": 1, "slos": { "web/availability": { "error_ratio": { "30d": "1_0" } } } }"#,
            "not a plain number",
        ),
        (
            r#"{ "version": 1, "canaries": [1, 2] }"#,
            "`canaries` must be an object",
        ),
        (
            r#"{ "version": 1, "history": { "web": { "toil": "-0.1" } } }"#,
            "between 0 and 1",
        ),
    ] {
        let o = r.gate(metrics, &["--service", "web"]);
        assert_eq!(code(&o), 2, "{metrics}: {}", out(&o));
        assert!(stderr(&o).contains(expected), "{metrics}: {}", out(&o));
    }
}

#[test]
fn dependency_budget_counts_latency_slos_and_a_dependency_without_slos_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let policy = "service web {\n  owner = \"t\"\n  tier  = 3\n  depends = [db]\n\n  gate deploy {\n    require dependency_budget >= 10%\n  }\n}\n\nservice db {\n  owner = \"t\"\n  tier  = 3\n\n  sli fast {\n    histogram = `query_duration_seconds_bucket{job=\"db\"}`\n    under     = 100ms\n  }\n\n  slo fast { sli = fast  objective = 99%  window = 30d }\n}\n";
    std::fs::write(dir.path().join("p.slo"), policy).unwrap();
    // The latency SLO burned 0.02 against a 0.01 budget: −100% left, under the 10% floor.
    std::fs::write(
        dir.path().join("m.json"),
        r#"{ "version": 1, "slos": { "db/fast": { "error_ratio": { "30d": "0.02" } } } }"#,
    )
    .unwrap();
    let o = slogate_in(
        dir.path(),
        &["gate", ".", "--service", "web", "--metrics", "m.json"],
    );
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(
        stdout(&o).contains("dependency_budget >= 10%"),
        "{}",
        out(&o)
    );
    // Without any SLO the dependency promises nothing: unknown, which fails closed.
    let no_slo = policy.replace(
        "  slo fast { sli = fast  objective = 99%  window = 30d }\n",
        "",
    );
    std::fs::write(dir.path().join("p.slo"), no_slo).unwrap();
    let o = slogate_in(
        dir.path(),
        &["gate", ".", "--service", "web", "--metrics", "m.json"],
    );
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(stdout(&o).contains("unknown"), "{}", out(&o));
}

#[test]
fn a_shallow_clone_never_turns_into_a_wrong_allow() {
    let mut r = Repo::new();
    r.image("3", "bump");
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", r.path().display());
    let status = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "1", "--branch", "pr", &url])
        .arg(clone.path().join("c"))
        .status()
        .expect("git runs");
    assert!(status.success());
    let c = clone.path().join("c");
    std::fs::write(c.join("m.json"), EXHAUSTED).unwrap();
    // The merge-base is not in the clone: no verdict.
    let o = slogate_in(&c, &["gate", ".", "--base", "main", "--metrics", "m.json"]);
    assert_eq!(code(&o), 2, "{}", out(&o));
    assert!(
        stderr(&o).contains("fetch"),
        "says how to fix it: {}",
        out(&o)
    );
    // Without --base the last commit has no visible parent: a deploy, held to everything (frozen here).
    let o = slogate_in(
        &c,
        &["gate", ".", "--service", "web", "--metrics", "m.json"],
    );
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(stdout(&o).contains("web (deploy): deny"), "{}", out(&o));
}

/// A commit dated 1970 in the middle of the window neither ends the history walk nor disappears: the deploys
/// and the rollback before it still count.
#[test]
fn a_skewed_commit_date_does_not_shrink_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let git = git2::Repository::init(dir.path()).unwrap();
    std::fs::write(dir.path().join("web.slo"), POLICY).unwrap();
    let day = 86_400;
    let now = 1_800_000_000;
    for (image, time) in [
        ("1", now - 10 * day),
        ("2", now - 9 * day),
        ("1", now - 8 * day),
        ("3", 100),
        ("4", now - day),
    ] {
        std::fs::write(dir.path().join("web.yaml"), deployment("web", image)).unwrap();
        commit_all(&git, "Dana", &format!("image {image}"), time);
    }
    let o = slogate_in(dir.path(), &["history", ".", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let web = &v["services"][0];
    // Five manifest changes: web:1 (first sight), web:2, back to web:1 (a rollback), web:3 (dated 1970), web:4.
    assert_eq!(web["changes"], 5, "{web}");
    assert_eq!(web["rollbacks"], 1, "{web}");
}

/// A service released by an Argo Rollout that runs a Deployment's template (`workloadRef`): a change to the
/// Deployment changes what the service deploys, and what it is cannot be told from the Rollout: no verdict.
#[test]
fn a_change_behind_a_workload_ref_is_no_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let git = git2::Repository::init(dir.path()).unwrap();
    std::fs::write(
        dir.path().join("web.slo"),
        POLICY.replace("deployment/shop/web", "rollout/shop/web"),
    )
    .unwrap();
    let rollout = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  workloadRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web-template\n  strategy:\n    canary:\n      steps: [{setWeight: 20}]\n";
    std::fs::write(dir.path().join("rollout.yaml"), rollout).unwrap();
    std::fs::write(
        dir.path().join("template.yaml"),
        deployment("web-template", "1"),
    )
    .unwrap();
    commit_all(&git, "Dana", "web 1", 1_700_000_000);
    {
        let head = git.head().unwrap().peel_to_commit().unwrap();
        git.branch("main", &head, true).unwrap();
    }
    std::fs::write(
        dir.path().join("template.yaml"),
        deployment("web-template", "2"),
    )
    .unwrap();
    commit_all(&git, "Dana", "web 2", 1_700_003_600);
    std::fs::write(dir.path().join("m.json"), EXHAUSTED).unwrap();
    let o = slogate_in(
        dir.path(),
        &["gate", ".", "--base", "main", "--metrics", "m.json"],
    );
    assert_eq!(code(&o), 2, "{}", out(&o));
    assert!(stderr(&o).contains("workloadRef"), "{}", out(&o));
}

/// A manifest whose file name is not UTF-8 keeps its history (its changes were silently dropped).
#[test]
fn a_manifest_with_a_non_utf8_name_keeps_its_history() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let git = git2::Repository::init(dir.path()).unwrap();
    std::fs::write(dir.path().join("web.slo"), POLICY).unwrap();
    let name = std::ffi::OsStr::from_bytes(b"web-\xff.yaml");
    for (i, image) in ["1", "2"].iter().enumerate() {
        std::fs::write(dir.path().join(name), deployment("web", image)).unwrap();
        commit_all(
            &git,
            "Dana",
            &format!("image {image}"),
            1_700_000_000 + i as i64 * 3600,
        );
    }
    let o = slogate_in(dir.path(), &["history", ".", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["services"][0]["changes"], 2, "{v}");
}

/// HEAD dated in 2099: the window counted back from it would hold none of the real history, so history
/// figures are unknown (and fail closed), never a 0% change failure rate.
#[test]
fn a_head_dated_in_the_future_gives_no_history_figures() {
    let dir = tempfile::tempdir().unwrap();
    let git = git2::Repository::init(dir.path()).unwrap();
    let policy = POLICY.replace(
        "    require budget(availability) >= 25%\n",
        "    require change_failure_rate <= 15%\n",
    );
    std::fs::write(dir.path().join("web.slo"), policy).unwrap();
    for (i, (image, time)) in [
        ("1", 1_700_000_000),
        ("2", 1_700_003_600),
        ("3", 4_070_908_800),
    ]
    .into_iter()
    .enumerate()
    {
        std::fs::write(dir.path().join("web.yaml"), deployment("web", image)).unwrap();
        commit_all(&git, "Dana", &format!("image {image} ({i})"), time);
    }
    std::fs::write(dir.path().join("m.json"), r#"{ "version": 1, "slos": { "web/availability": { "error_ratio": { "30d": "0.001" } } } }"#).unwrap();
    let o = slogate_in(
        dir.path(),
        &["gate", ".", "--service", "web", "--metrics", "m.json"],
    );
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(
        stdout(&o).contains("no data for `change_failure_rate <= 15%`"),
        "{}",
        out(&o)
    );
}

/// PATH holds the policies, the manifests live elsewhere in the repository: a change to the service's workload
/// there cannot be judged from PATH, so no verdict (it used to be an empty selection and "allow").
#[test]
fn a_changed_workload_outside_path_is_no_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let git = git2::Repository::init(dir.path()).unwrap();
    std::fs::create_dir_all(dir.path().join("policies")).unwrap();
    std::fs::create_dir_all(dir.path().join("deploy")).unwrap();
    std::fs::write(dir.path().join("policies/web.slo"), POLICY).unwrap();
    std::fs::write(dir.path().join("deploy/web.yaml"), deployment("web", "1")).unwrap();
    commit_all(&git, "Dana", "web 1", 1_700_000_000);
    {
        let head = git.head().unwrap().peel_to_commit().unwrap();
        git.branch("main", &head, true).unwrap();
    }
    std::fs::write(dir.path().join("deploy/web.yaml"), deployment("web", "2")).unwrap();
    commit_all(&git, "Dana", "web 2", 1_700_003_600);
    std::fs::write(dir.path().join("m.json"), EXHAUSTED).unwrap();
    let o = slogate_in(
        dir.path(),
        &["gate", "policies", "--base", "main", "--metrics", "m.json"],
    );
    assert_eq!(code(&o), 2, "{}", out(&o));
    assert!(stderr(&o).contains("outside policies"), "{}", out(&o));
}

/// `history --format json` prints JSON on every path, and a workload the manifests lack is a warning, not a
/// silent zero.
#[test]
fn history_json_on_every_path_and_missing_workloads_warned() {
    let dir = tempfile::tempdir().unwrap();
    // Not a repository: the error is JSON.
    std::fs::write(dir.path().join("web.slo"), POLICY).unwrap();
    let o = slogate_in(dir.path(), &["history", ".", "--format", "json"]);
    assert_eq!(code(&o), 2);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON on the error path");
    assert!(v["error"].as_str().is_some(), "{v}");
    // Policy errors: JSON diagnostics.
    std::fs::write(dir.path().join("bad.slo"), "service x { ownr = 1 }\n").unwrap();
    let o = slogate_in(dir.path(), &["history", ".", "--format", "json"]);
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON diagnostics");
    assert!(
        v["diagnostics"].as_array().is_some_and(|d| !d.is_empty()),
        "{v}"
    );
    std::fs::remove_file(dir.path().join("bad.slo")).unwrap();
    // A repository without the workload's manifest: a warning, in JSON and on stderr.
    let git = git2::Repository::init(dir.path()).unwrap();
    commit_all(&git, "Dana", "policy", 1_700_000_000);
    let o = slogate_in(dir.path(), &["history", ".", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .contains("deployment/shop/web"),
        "{v}"
    );
    let o = slogate_in(dir.path(), &["history", "."]);
    assert!(
        stderr(&o).contains("warning: workload `deployment/shop/web`"),
        "{}",
        out(&o)
    );
}
