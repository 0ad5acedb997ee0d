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
