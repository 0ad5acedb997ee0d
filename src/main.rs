//! The `slogate` command line: clap arguments → library call → exit code.
//!
//! Exit codes: 0 clean (or warnings only), 1 findings at error level, 2 usage error or unreadable input.

use clap::{Parser, Subcommand};
use slogate::cli;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "slogate",
    version,
    about = "Compile reliability policies (SLOs, alerts, deploy gates, toil caps) and check them",
    after_help = "Exit codes: 0 clean or warnings only, 1 errors found, 2 usage error or unreadable input."
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse, resolve and validate every *.slo file under PATH.
    Check {
        /// A directory to search for *.slo files, or one file.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Output format for diagnostics.
        #[arg(long, value_enum, default_value = "human")]
        format: slogate::report::Format,
    },
    /// Rewrite policy files in the canonical format (keeps comments; idempotent).
    Fmt {
        /// Files or directories; directories are searched for *.slo files.
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// Write nothing; list files that would change and exit 1 if there are any.
        #[arg(long)]
        check: bool,
    },
    /// Print the documentation of a diagnostic code (or list all codes).
    Explain {
        /// A code such as `unknown-key`; omit to list every code.
        code: Option<String>,
    },
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let code = match args.command {
        Command::Check { path, format } => cli::check(&path, format),
        Command::Fmt { paths, check } => cli::fmt(&paths, check),
        Command::Explain { code } => cli::explain(code.as_deref()),
    };
    ExitCode::from(code)
}
