//! What each subcommand does, as functions returning the exit code; `main.rs` only parses arguments. Output
//! goes to stdout (diagnostics in any format) and stderr (errors that stop the run).

use crate::diag::Code;
use crate::report::{self, Format};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Exit codes.
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
pub fn check(path: &Path, format: Format) -> u8 {
    let analysis = match crate::analyze(path) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return FAILURE;
        }
    };
    let files = analysis.workspace.user_files().count();
    if files == 0 {
        eprintln!("error: no *.slo policy files under {}", path.display());
        return FAILURE;
    }
    let sources = &analysis.workspace.sources;
    let out = match format {
        Format::Human => report::render_human(sources, &analysis.diagnostics, files, use_color()),
        Format::Json => report::render_json(sources, &analysis.diagnostics, files),
    };
    print(&out);
    if analysis.has_errors() {
        FINDINGS
    } else {
        OK
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
                    "{:<28} {:<8} {}\n",
                    c.as_str(),
                    c.default_severity().as_str(),
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
    format!(
        "{} ({} by default): {}\n\n{}\n",
        c.as_str(),
        c.default_severity().as_str(),
        c.summary(),
        c.explanation()
    )
}
