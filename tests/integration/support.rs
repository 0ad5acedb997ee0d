//! Helpers: running the real binary, analysing a path through the library, snapshot settings.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `slogate` with arguments from the crate root, without colour.
pub fn slogate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slogate"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("the slogate binary runs")
}

/// Runs `slogate` like [`slogate`], without any ambient `SLOGATE_PROMETHEUS_*` credentials and with `env` set.
pub fn slogate_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slogate"));
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    for k in [
        "SLOGATE_PROMETHEUS_TOKEN",
        "SLOGATE_PROMETHEUS_USER",
        "SLOGATE_PROMETHEUS_PASSWORD",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the slogate binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally, not by a signal")
}

/// Rendered human and JSON diagnostics for a path (relative to the crate root).
pub fn render(path: &str) -> (String, String, Vec<String>) {
    // Integration tests run with the crate root as working directory, so paths render as written.
    let a = slogate::analyze(Path::new(path)).expect("fixture loads");
    let files = a.workspace.user_files().count();
    let human = slogate::report::render_human(&a.workspace.sources, &a.diagnostics, files, false);
    let json = slogate::report::render_json(&a.workspace.sources, &a.diagnostics, files);
    let codes = a
        .diagnostics
        .iter()
        .map(|d| d.code.as_str().to_string())
        .collect();
    (human, json, codes)
}

/// Snapshots go to the top-level snapshots/ directory, named without module prefixes.
#[macro_export]
macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

/// Runs `slogate` in `dir`, without colour and without CI base-branch variables.
pub fn slogate_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slogate"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_BASE_REF")
        .env_remove("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
        .output()
        .expect("the slogate binary runs")
}

/// Stages every file of the working tree and commits it on HEAD as `author` at `time` (Unix seconds).
pub fn commit_all(repo: &git2::Repository, author: &str, message: &str, time: i64) -> git2::Oid {
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let email = format!("{}@example.com", author.to_lowercase().replace(' ', "."));
    let sig = git2::Signature::new(author, &email, &git2::Time::new(time, 0)).unwrap();
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parents: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .unwrap()
}

/// A Deployment `name` in namespace `shop` running `name:<image>`.
pub fn deployment(name: &str, image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: {name}:{image}\n"
    )
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The syntax tree of a policy text without spans (for comparing meaning); `None` when it does not parse.
pub fn shape(text: &str) -> Option<String> {
    let parsed = slogate::syntax::parse(slogate::source::FileId(0), text);
    let dump = format!("{:?}", parsed.ast?);
    let mut out = String::with_capacity(dump.len());
    let mut rest = dump.as_str();
    while let Some(i) = rest.find("Span { ") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(" }").expect("span ends") + i + 2;
        out.push_str("Span");
        rest = &rest[end..];
    }
    out.push_str(rest);
    Some(out)
}
