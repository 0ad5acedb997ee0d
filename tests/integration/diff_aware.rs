//! Diff-aware `check --base` by results: the base revision is analysed from git objects and every finding new
//! at HEAD fails the run wherever it sits; what predates the change stays hidden; hard errors and drift never
//! hide; a base that cannot be read is exit 2. Repositories are built with git2 in temp dirs.

use crate::support::{code, commit_all, slogate_in, stderr, stdout};
use std::path::Path;

struct Repo {
    dir: tempfile::TempDir,
    repo: git2::Repository,
    clock: i64,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
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

    fn commit(&mut self, message: &str) -> git2::Oid {
        self.clock += 3600;
        commit_all(&self.repo, "Dana Dev", message, self.clock)
    }

    fn check_base(&self, extra: &[&str]) -> std::process::Output {
        let mut args = vec!["check", ".", "--base", "HEAD~1"];
        args.extend_from_slice(extra);
        slogate_in(self.path(), &args)
    }
}

const SLI: &str = "  sli availability {\n    good  = `sum(rate(http_requests_total{job=\"api\",code!~\"5..\"}[$window]))`\n    total = `sum(rate(http_requests_total{job=\"api\"}[$window]))`\n  }\n";

fn service(name: &str, tier: u8, extra: &str, objective: &str) -> String {
    format!(
        "service {name} {{\n  owner = \"team-{name}\"\n  tier  = {tier}\n{extra}{SLI}  slo availability {{ sli = availability  objective = {objective}  window = 30d }}\n}}\n"
    )
}

#[test]
fn deleting_a_closing_brace_fails_though_the_error_sits_on_an_unchanged_line() {
    let mut r = Repo::new();
    r.write("api.slo", &service("api", 2, "", "99.9%"));
    r.commit("base");
    assert_eq!(code(&slogate_in(r.path(), &["check", "."])), 0);
    // The `}` that closes the SLI block goes; the parser reports the `{` it leaves open, on line 4, which
    // this change did not touch (it touched line 7 only).
    let text = service("api", 2, "", "99.9%").replacen("\n  }\n", "\n", 1);
    r.write("api.slo", &text);
    r.commit("lose a brace");
    let o = r.check_base(&["--format", "json"]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let diags = v["diagnostics"].as_array().unwrap();
    assert!(
        diags
            .iter()
            .any(|d| d["code"] == "unclosed-delimiter" && d["file"] == "api.slo" && d["line"] == 4),
        "{v:#}"
    );
}

#[test]
fn deleting_a_service_others_depend_on_fails() {
    let mut r = Repo::new();
    r.write("payments.slo", &service("payments", 2, "", "99.9%"));
    r.write(
        "checkout.slo",
        &service("checkout", 2, "  depends = [payments]\n", "99%"),
    );
    r.commit("base");
    r.remove("payments.slo");
    r.commit("drop payments");
    let o = r.check_base(&[]);
    let out = stdout(&o);
    assert_eq!(code(&o), 1, "{out}");
    // In checkout.slo, which the change did not touch.
    assert!(out.contains("unknown service `payments`"), "{out}");
    assert!(out.contains("checkout.slo:4:14"), "{out}");
}

#[test]
fn a_policy_change_without_regenerated_rules_fails() {
    let mut r = Repo::new();
    r.write("api.slo", &service("api", 2, "", "99.9%"));
    let o = slogate_in(r.path(), &["build", ".", "-o", "rules"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    r.commit("base with generated rules");
    assert_eq!(code(&slogate_in(r.path(), &["check", "."])), 0);
    r.write("api.slo", &service("api", 2, "", "99.5%"));
    r.commit("lower the objective, forget to rebuild");
    let o = r.check_base(&[]);
    let out = stdout(&o);
    assert_eq!(code(&o), 1, "{out}");
    assert!(out.contains("generated-rules-drift"), "{out}");
    assert!(out.contains("rules/api.rules.yml"), "{out}");
}

#[test]
fn drift_that_predates_the_change_is_still_shown() {
    let mut r = Repo::new();
    r.write("api.slo", &service("api", 2, "", "99.9%"));
    assert_eq!(
        code(&slogate_in(r.path(), &["build", ".", "-o", "rules"])),
        0
    );
    r.write("api.slo", &service("api", 2, "", "99.5%"));
    r.commit("base, already stale");
    r.write("README.md", "unrelated\n");
    r.commit("unrelated");
    let o = r.check_base(&[]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("generated-rules-drift"));
}

/// A tier 1 service whose Deployment is complete, scraped through a pod annotation, with its PDB in a file of
/// its own.
fn web_repo(replicas: u8) -> Repo {
    let r = Repo::new();
    r.write(
        "web.slo",
        &service("web", 1, "  workload = deployment/shop/web\n", "99.9%"),
    );
    r.write(
        "k8s/web.yaml",
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {{ app: web }}\n  template:\n    metadata:\n      labels: {{ app: web }}\n      annotations: {{ prometheus.io/scrape: \"true\" }}\n    spec:\n      containers:\n        - name: web\n          image: web:1\n          readinessProbe:\n            httpGet: {{ path: /ready, port: 8080 }}\n          resources:\n            requests: {{ cpu: 100m, memory: 64Mi }}\n"
        ),
    );
    r.write(
        "k8s/pdb.yaml",
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels: { app: web }\n",
    );
    r
}

#[test]
fn deleting_a_pdb_fails_on_the_untouched_deployment() {
    let mut r = web_repo(2);
    r.commit("base");
    assert_eq!(code(&slogate_in(r.path(), &["check", "."])), 0);
    r.remove("k8s/pdb.yaml");
    r.commit("drop the PDB");
    let before = std::fs::read_to_string(r.path().join("k8s/web.yaml")).unwrap();
    let o = r.check_base(&[]);
    // The base's unchanged files were hard-linked from the working tree into a temporary directory; removing
    // that directory left the working tree as it was.
    assert_eq!(
        std::fs::read_to_string(r.path().join("k8s/web.yaml")).unwrap(),
        before
    );
    let out = stdout(&o);
    assert_eq!(code(&o), 1, "{out}");
    assert!(out.contains("missing-pdb"), "{out}");
    assert!(out.contains("k8s/web.yaml"), "{out}");
}

#[test]
fn a_finding_that_predates_the_change_stays_hidden_and_is_counted() {
    let mut r = web_repo(1);
    r.commit("base with one replica");
    // The change edits the policy file (the owner line) but not the replica count.
    r.write(
        "web.slo",
        &service("web", 1, "  workload = deployment/shop/web\n", "99.9%")
            .replace("team-web", "team-frontend"),
    );
    r.commit("new owner");
    let o = r.check_base(&["--format", "json"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["summary"]["hidden"], 1, "{v:#}");
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 0, "{v:#}");
    // `--all` shows it, and it is the replica count.
    let o = r.check_base(&["--all"]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("too-few-replicas"));
}

#[test]
fn a_hard_error_that_predates_the_change_is_never_hidden() {
    let mut r = Repo::new();
    r.write(
        "api.slo",
        "service api {\n  owner = \"x\"\n  tier  = 2\n  colour = \"blue\"\n}\n",
    );
    r.commit("base, already broken");
    r.write("README.md", "unrelated\n");
    r.commit("unrelated");
    let o = r.check_base(&[]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("unknown key `colour`"));
}

#[test]
fn a_base_whose_objects_are_missing_is_exit_2_never_clean() {
    let mut r = Repo::new();
    r.write("api.slo", &service("api", 2, "", "99.9%"));
    r.write("other.slo", &service("other", 2, "", "99.9%"));
    r.commit("base");
    r.write("api.slo", &service("api", 2, "", "99.5%"));
    r.commit("change");
    // Remove the loose object of a file the change did not touch (the diff does not need it; the working
    // tree still has the file): the base cannot be analysed, and that is no verdict.
    let base = r
        .repo
        .revparse_single("HEAD~1")
        .unwrap()
        .peel_to_tree()
        .unwrap();
    let blob = base.get_name("other.slo").unwrap().id().to_string();
    let object = r
        .path()
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    std::fs::remove_file(object).unwrap();
    let o = r.check_base(&[]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("cannot read"), "{}", stderr(&o));
}

/// The base's manifests are taken from the head's inventory only when every manifest the head read is the
/// base's blob: an uncommitted edit of a manifest (the working tree is what the head reads) is not.
#[test]
fn an_uncommitted_manifest_edit_is_not_mistaken_for_the_base() {
    let mut r = web_repo(2);
    r.commit("base");
    r.write(
        "web.slo",
        &service("web", 1, "  workload = deployment/shop/web\n", "99.9%")
            .replace("team-web", "team-x"),
    );
    r.commit("policy-only change");
    // Not committed: one replica.
    let text = std::fs::read_to_string(r.path().join("k8s/web.yaml")).unwrap();
    r.write("k8s/web.yaml", &text.replace("replicas: 2", "replicas: 1"));
    let o = r.check_base(&[]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("too-few-replicas"), "{}", stdout(&o));
}

/// The in-memory path (manifests unchanged) and the snapshot path (forced here by an untracked manifest the
/// base does not have) agree.
#[test]
fn both_ways_of_reading_the_base_agree() {
    let mut r = web_repo(1);
    r.write(
        "other.slo",
        &service("other", 2, "  depends = [web]\n", "99%"),
    );
    r.commit("base: one replica (a finding that predates the change)");
    r.write(
        "web.slo",
        &service("web", 1, "  workload = deployment/shop/web\n", "99.9%")
            .replace("team-web", "team-x"),
    );
    r.remove("other.slo");
    r.commit("policy-only change");
    let run = |r: &Repo| {
        let o = r.check_base(&["--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        (code(&o), v)
    };
    let (in_memory_code, in_memory) = run(&r);
    r.write(
        "k8s/untracked.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: shop\ndata: {}\n",
    );
    let (snapshot_code, snapshot) = run(&r);
    assert_eq!(in_memory_code, snapshot_code);
    assert_eq!(in_memory, snapshot);
    // What both say, worked out by hand: the replica finding predates the change (hidden), the removed
    // service is a review finding.
    assert_eq!(in_memory["summary"]["hidden"], 1, "{in_memory:#}");
    let codes: Vec<&str> = in_memory["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["service-removed"]);
}
