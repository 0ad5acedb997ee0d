//! The gate over Kustomize-rendered workloads: what is applied is the overlay's render, not the base file, so
//! the gate renders the kustomization at both ends of the change (and back through the target branch's
//! history) from git objects. An overlay `images:` bump is a deploy, a return to an earlier tag a rollback, a
//! patch that leaves the pod template alone rolls no pods, and an overlay that cannot be rendered is no
//! verdict (exit 2).

use crate::support::{code, commit_all, slogate_in, stderr, stdout};
use std::path::Path;

const POLICY: &str = "service web {\n  owner = \"t\"\n  tier  = 3\n  workload = deployment/shop/web\n\n  sli availability {\n    bad   = `sum(rate(errors_total[$window]))`\n    total = `sum(rate(requests_total[$window]))`\n  }\n\n  slo availability { sli = availability  objective = 99%  window = 30d }\n\n  gate deploy {\n    require budget(availability) >= 25%\n  }\n}\n";

/// 99% over 30d with an error ratio of 0.02: budget 1 − 0.02/0.01 = −100%, below the 25% floor.
const EXHAUSTED: &str =
    "{ \"version\": 1, \"slos\": { \"web/availability\": { \"error_ratio\": { \"30d\": \"0.02\" } } } }";

const BASE_DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: web:1\n";

fn overlay(tag: &str) -> String {
    format!(
        "resources:\n  - ../../base\nnamespace: shop\nimages:\n  - name: web\n    newTag: \"{tag}\"\n"
    )
}

fn write(root: &Path, file: &str, text: &str) {
    let p = root.join(file);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A repository whose `main` deploys web through `overlays/prod` at tag 1; HEAD is a branch with `tag`.
fn repo(tag: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let git = git2::Repository::init(root).unwrap();
    write(root, "web.slo", POLICY);
    write(root, "base/web.yaml", BASE_DEPLOYMENT);
    write(
        root,
        "base/kustomization.yaml",
        "resources:\n  - web.yaml\n",
    );
    write(root, "overlays/prod/kustomization.yaml", &overlay("1"));
    commit_all(&git, "Dana", "web 1", 1_700_000_000);
    let head = git.head().unwrap().peel_to_commit().unwrap();
    git.branch("main", &head, true).unwrap();
    write(root, "overlays/prod/kustomization.yaml", &overlay(tag));
    commit_all(&git, "Dana", "bump web", 1_700_003_600);
    write(root, "m.json", EXHAUSTED);
    dir
}

fn out(o: &std::process::Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// The overlay bumps the image; the base file is untouched. Judged from the base file this was "no service
/// touched" (allow): rendered at both ends it is a deploy, and the exhausted budget denies it.
#[test]
fn an_overlay_image_bump_is_a_deploy() {
    let dir = repo("2");
    let o = slogate_in(
        dir.path(),
        &["gate", ".", "--base", "main", "--metrics", "m.json"],
    );
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(stdout(&o).contains("web (deploy): deny"), "{}", out(&o));
    assert!(
        stdout(&o).contains("the pod template of `deployment/shop/web` changes"),
        "{}",
        out(&o)
    );
}

/// main ran tag 1, then tag 2; the change sets the overlay back to tag 1: a rollback, allowed through the
/// exhausted budget.
#[test]
fn an_overlay_back_to_an_earlier_tag_is_a_rollback() {
    let dir = repo("1");
    let root = dir.path();
    let git = git2::Repository::open(root).unwrap();
    // Rewrite history: main = tag 1 then tag 2; HEAD (a branch off main) returns to tag 1.
    git.set_head("refs/heads/main").unwrap();
    git.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .unwrap();
    write(root, "overlays/prod/kustomization.yaml", &overlay("2"));
    commit_all(&git, "Dana", "prod to 2", 1_700_007_200);
    let head = git.head().unwrap().peel_to_commit().unwrap();
    git.branch("pr", &head, true).unwrap();
    git.set_head("refs/heads/pr").unwrap();
    write(root, "overlays/prod/kustomization.yaml", &overlay("1"));
    commit_all(&git, "Dana", "tweak", 1_700_010_800);
    let o = slogate_in(
        root,
        &["gate", ".", "--base", "main", "--metrics", "m.json"],
    );
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(stdout(&o).contains("web (rollback): allow"), "{}", out(&o));
}

/// A patch that only scales the overlay leaves the pod template alone: no pods roll.
#[test]
fn a_replicas_patch_in_the_overlay_rolls_no_pods() {
    let dir = repo("1");
    let root = dir.path();
    let git = git2::Repository::open(root).unwrap();
    write(
        root,
        "overlays/prod/replicas.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n",
    );
    write(
        root,
        "overlays/prod/kustomization.yaml",
        &format!("{}patches:\n  - path: replicas.yaml\n", overlay("1")),
    );
    commit_all(&git, "Dana", "scale web", 1_700_007_200);
    let o = slogate_in(
        root,
        &["gate", ".", "--base", "main", "--metrics", "m.json"],
    );
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(stdout(&o).contains("no pods roll"), "{}", out(&o));
}

/// An overlay that cannot be rendered (a Helm chart generator) at HEAD: what it deploys cannot be told.
#[test]
fn an_overlay_that_cannot_be_rendered_is_no_verdict() {
    let dir = repo("1");
    let root = dir.path();
    let git = git2::Repository::open(root).unwrap();
    write(
        root,
        "overlays/prod/kustomization.yaml",
        &format!(
            "{}helmCharts:\n  - name: redis\n    repo: https://charts.example\n",
            overlay("3")
        ),
    );
    commit_all(&git, "Dana", "add redis", 1_700_007_200);
    let o = slogate_in(
        root,
        &["gate", ".", "--base", "main", "--metrics", "m.json"],
    );
    assert_eq!(code(&o), 2, "{}", out(&o));
    assert!(stderr(&o).contains("cannot be rendered"), "{}", out(&o));
}

/// History figures of a rendered workload are unknown (its deploys live in overlays): a requirement on them
/// cannot be met by an undercount.
#[test]
fn history_requirements_of_a_rendered_workload_are_unknown() {
    let dir = repo("2");
    let root = dir.path();
    let policy = POLICY.replace(
        "require budget(availability) >= 25%",
        "require change_failure_rate <= 50%",
    );
    write(root, "web.slo", &policy);
    let git = git2::Repository::open(root).unwrap();
    commit_all(&git, "Dana", "gate on change failures", 1_700_007_200);
    let o = slogate_in(root, &["gate", ".", "--metrics", "m.json", "--as-deploy"]);
    assert_eq!(code(&o), 1, "{}", out(&o));
    let text = stdout(&o);
    assert!(
        text.lines()
            .any(|l| l.contains("unknown") && l.contains("change_failure_rate <= 50%")),
        "{}",
        out(&o)
    );
}

/// `history` reads the base file of a rendered workload; an overlay bump is not counted, and it says so rather
/// than printing a silent undercount.
#[test]
fn history_warns_that_overlay_deploys_of_a_rendered_workload_are_not_counted() {
    let dir = repo("2");
    let o = slogate_in(dir.path(), &["history", ".", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let warning = v["warnings"][0].as_str().unwrap_or("");
    assert!(
        warning.contains("deployment/shop/web") && warning.contains("rendered by Kustomize"),
        "{v}"
    );
    let o = slogate_in(dir.path(), &["history", "."]);
    assert!(
        stderr(&o).contains(
            "warning: workload `deployment/shop/web` of service `web` is rendered by Kustomize"
        ),
        "{}",
        out(&o)
    );
}
