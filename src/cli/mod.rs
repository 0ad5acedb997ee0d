//! What each subcommand does, as functions returning the exit code; `main.rs` only parses arguments. Output
//! goes to stdout (diagnostics in any format) and stderr (errors that stop the run).

use crate::diag::Code;
use crate::report::{self, Format};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Exit codes.
mod gate;
mod history;
pub use gate::gate;
pub use history::history;

pub const OK: u8 = 0;
pub const FINDINGS: u8 = 1;
pub const FAILURE: u8 = 2;

fn print(s: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`slogate check | head`) is not an error worth a panic.
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

/// Whether to colour output: only on a terminal, and never when NO_COLOR is set.
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// `slogate check PATH`
pub fn check(
    paths: &[PathBuf],
    format: Format,
    opts: &crate::AnalyzeOptions,
    verbose: bool,
    live: Option<&crate::check::live::Live>,
) -> u8 {
    if let Some(refusal) = crate::check::levels::refuse_hard(&opts.levels) {
        fail(format, &refusal);
        return FAILURE;
    }
    let mut analysis = match crate::analyze_paths(paths, opts) {
        Ok(a) => a,
        Err(e) => {
            fail(format, &e.to_string());
            return FAILURE;
        }
    };
    if analysis.workspace.user_files().count() == 0 {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        fail(
            format,
            &format!("no *.slo policy files under {}", shown.join(", ")),
        );
        return FAILURE;
    }
    if let Some(live) = live {
        if let Err(message) = crate::check::live::run(&mut analysis, live, &opts.levels) {
            fail(format, &message);
            return FAILURE;
        }
    }
    let (files, manifests) = analysis.reported.unwrap_or((
        analysis.workspace.user_files().count(),
        analysis.inventory.as_ref().map_or(0, |i| i.files),
    ));
    let report = report::CheckReport {
        sources: &analysis.workspace.sources,
        diagnostics: &analysis.diagnostics,
        files,
        manifests,
        hidden: opts.compare.is_some().then_some(analysis.hidden),
        verbose,
    };
    print(&report::render_check(format, &report, use_color()));
    if format == Format::Github {
        step_summary(&report::render_check_markdown(&report));
    }
    if analysis.has_errors() {
        FINDINGS
    } else {
        OK
    }
}

/// Appends Markdown to the GitHub job summary when the runner asks for one (`$GITHUB_STEP_SUMMARY`).
fn step_summary(markdown: &str) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut f| f.write_all(markdown.as_bytes()));
    if let Err(e) = written {
        eprintln!("warning: cannot append to $GITHUB_STEP_SUMMARY: {e}");
    }
}

/// Loads and checks policies for commands that need a clean model; prints the diagnostics that stop them.
fn analyze_clean(path: &Path, refusal: &str) -> Result<crate::Analysis, u8> {
    analyze_clean_as(path, refusal, false)
}

/// An error that stops the run, as the chosen format says ([`report::render_failure`]).
pub fn fail(format: Format, message: &str) {
    let f = report::render_failure(format, message);
    print(&f.stdout);
    if let Some(text) = f.stderr {
        eprint!("{text}");
    }
}

/// Sound policies, or the diagnostics (JSON or human) and the exit code.
fn analyze_clean_as(path: &Path, refusal: &str, json: bool) -> Result<crate::Analysis, u8> {
    let format = if json { Format::Json } else { Format::Human };
    let analysis = match crate::analyze_policies(path) {
        Ok(a) => a,
        Err(e) => {
            fail(format, &e.to_string());
            return Err(FAILURE);
        }
    };
    let files = analysis.workspace.user_files().count();
    if files == 0 {
        fail(
            format,
            &format!("no *.slo policy files under {}", path.display()),
        );
        return Err(FAILURE);
    }
    if analysis.has_errors() {
        let sources = &analysis.workspace.sources;
        if json {
            print(&report::render_json(sources, &analysis.diagnostics, files));
        } else {
            print(&report::render_human(
                sources,
                &analysis.diagnostics,
                files,
                use_color(),
            ));
            eprintln!("error: the policies have errors; {refusal}");
        }
        return Err(FINDINGS);
    }
    Ok(analysis)
}

/// `slogate build PATH -o DIR`
pub fn build(path: &Path, out: &Path, opts: &crate::emit::Options, check: bool, prune: bool) -> u8 {
    use crate::emit::output;
    let analysis = match analyze_clean(path, "nothing was built") {
        Ok(a) => a,
        Err(code) => return code,
    };
    let sources = &analysis.workspace.sources;
    let root = if path.is_file() {
        path.parent().unwrap_or(Path::new(""))
    } else {
        path
    };
    let source_name = |s: &crate::model::Service| {
        let file = sources.get(s.name.span.file);
        let rel = file.path.strip_prefix(root).unwrap_or(&file.path);
        rel.to_string_lossy().replace('\\', "/")
    };
    let files = crate::emit::build(&analysis.model, &source_name, opts);
    if check {
        let drift = match output::drift(out, &files) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: {e} (nothing was read from it)");
                return FAILURE;
            }
        };
        if drift.is_clean() {
            println!("{} is up to date ({} files)", out.display(), files.len());
            return OK;
        }
        let mut text = String::new();
        for (_, diff) in &drift.diffs {
            text.push_str(diff);
        }
        for s in &drift.stale {
            text.push_str(&format!(
                "stale: {} (its service no longer exists; `slogate build --prune` removes it)\n",
                s.name
            ));
        }
        for name in &drift.leftovers {
            text.push_str(&format!(
                "leftover: {name} (a temporary file of an interrupted build; the next `slogate build` removes it)\n"
            ));
        }
        print(&text);
        eprintln!(
            "error: {} is out of date: {} file(s) differ, {} stale, {} leftover; run `slogate build {} -o {}`",
            out.display(),
            drift.diffs.len(),
            drift.stale.len(),
            drift.leftovers.len(),
            path.display(),
            out.display()
        );
        return FINDINGS;
    }
    let written = match output::write_all(out, &files) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: writing to {}: {e}", out.display());
            return FAILURE;
        }
    };
    for name in &written.leftovers_removed {
        eprintln!("note: removed {name}, a temporary file left by an interrupted build");
    }
    let changed = written.changed;
    let stale = output::stale_files(out, &files).unwrap_or_default();
    if prune {
        if let Err(e) = output::prune(out, &stale) {
            eprintln!("error: pruning {}: {e}", out.display());
            return FAILURE;
        }
        for s in &stale {
            println!("removed stale {}", s.name);
        }
    } else {
        for s in &stale {
            eprintln!(
                "warning: {} is stale (its service no longer exists); `--prune` removes it",
                s.name
            );
        }
    }
    println!(
        "wrote {} files to {} ({} changed)",
        files.len(),
        out.display(),
        changed.len()
    );
    OK
}

/// Reads the manifests under `path` into the analysis (no checks): where each workload lives.
fn load_inventory(analysis: &mut crate::Analysis, path: &Path, format: Format) -> Result<(), u8> {
    if !path.is_dir() {
        return Ok(());
    }
    match crate::repo::manifests::find_manifests(path) {
        Ok(paths) => {
            analysis.inventory = Some(crate::repo::manifests::load_rendered(
                path,
                &paths,
                &mut analysis.workspace.sources,
            ));
            Ok(())
        }
        Err(e) => {
            fail(format, &e.to_string());
            Err(FAILURE)
        }
    }
}

/// `slogate graph PATH`
pub fn graph(path: &Path, format: crate::emit::graph::GraphFormat) -> u8 {
    match analyze_clean(path, "no graph") {
        Ok(a) => {
            print(&crate::emit::graph::render(&a.model, format));
            OK
        }
        Err(code) => code,
    }
}

/// `slogate fmt PATH... [--check]`
pub fn fmt(paths: &[PathBuf], check: bool) -> u8 {
    let mut files = Vec::new();
    for p in paths {
        match crate::workspace::find_policy_files(p) {
            Ok(f) => files.extend(f),
            Err(e) => {
                eprintln!("error: {e}");
                return FAILURE;
            }
        }
    }
    files.sort();
    files.dedup();
    let mut changed = 0;
    let mut failed = false;
    let mut unparsable = false;
    for file in &files {
        match crate::format::format_path(file) {
            Ok(crate::format::Outcome::Unchanged) => {}
            Ok(crate::format::Outcome::Changed(text)) => {
                changed += 1;
                if check {
                    println!("{}", file.display());
                } else if let Err(e) = crate::format::write_atomically(file, &text) {
                    eprintln!("error: {}: {e}", file.display());
                    failed = true;
                } else {
                    println!("formatted {}", file.display());
                }
            }
            Err(e @ crate::format::FormatError::Syntax(_)) => {
                print(&e.to_string());
                unparsable = true;
            }
            Err(e) => {
                eprint!("{e}");
                failed = true;
            }
        }
    }
    if failed {
        FAILURE
    } else if unparsable {
        FINDINGS
    } else if check && changed > 0 {
        eprintln!("{changed} file(s) would be reformatted; run `slogate fmt`");
        FINDINGS
    } else {
        OK
    }
}

/// `slogate explain [CODE]`
pub fn explain(code: Option<&str>) -> u8 {
    match code {
        None => {
            let mut out = String::new();
            for c in Code::ALL {
                out.push_str(&format!(
                    "{:<28} {:<8} {:<10} {}\n",
                    c.as_str(),
                    c.default_severity().as_str(),
                    c.class().as_str(),
                    c.summary()
                ));
            }
            print(&out);
            OK
        }
        Some(name) => match Code::parse(name) {
            Some(c) => {
                print(&explain_text(c));
                OK
            }
            None => {
                eprintln!("error: unknown diagnostic code `{name}`");
                if let Some(s) =
                    crate::diag::did_you_mean(name, Code::ALL.iter().map(|c| c.as_str()))
                {
                    eprintln!("help: {s}");
                }
                eprintln!("help: `slogate explain` lists every code");
                FAILURE
            }
        },
    }
}

/// The text `explain` prints for a code.
pub fn explain_text(c: Code) -> String {
    c.help_text()
}
