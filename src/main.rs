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
// Parsed once per process: the size of the largest variant (the gate's connection options) costs nothing.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Parse, resolve and validate every *.slo file under PATH.
    Check {
        /// A directory to search for *.slo files and manifests; or files (pre-commit passes them), checked
        /// in the whole workspace around them (up to the repository root) and reported on alone.
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
        /// Output format: human, json (also on errors), concise (`path:line:col: severity[code] message`),
        /// github (annotations + job summary), sarif (2.1.0, code scanning) or markdown (a PR comment).
        #[arg(long, value_enum, default_value = "human")]
        format: slogate::report::Format,
        /// Do not check the repository's Kubernetes manifests.
        #[arg(long)]
        no_manifests: bool,
        /// Report CODE as an error (repeatable); `--deny review` fails the run on policy regressions.
        #[arg(long, value_name = "CODE")]
        deny: Vec<String>,
        /// Report CODE as a warning (repeatable); hard codes (syntax, resolution, soundness, drift) refuse.
        #[arg(long, value_name = "CODE", value_parser = parse_code)]
        warn: Vec<slogate::diag::Code>,
        /// Do not report CODE (repeatable); hard codes refuse (`slogate explain` lists the classes).
        #[arg(long, value_name = "CODE", value_parser = parse_code)]
        allow: Vec<slogate::diag::Code>,
        /// Also show notes (skipped manifest files and documents).
        #[arg(short, long)]
        verbose: bool,
        /// Diff-aware: compare HEAD with the merge-base of REV and HEAD; without REV, from GITHUB_BASE_REF or
        /// CI_MERGE_REQUEST_TARGET_BRANCH_NAME. Reports the problems the change introduces (new compared with
        /// the base, wherever they sit, or on changed lines; hard errors always) and policy regressions for
        /// review.
        #[arg(long, value_name = "REV", num_args = 0..=1, default_missing_value = "", conflicts_with = "staged")]
        base: Option<String>,
        /// Diff-aware, for pre-commit: compare the index with HEAD.
        #[arg(long)]
        staged: bool,
        /// In diff-aware mode, also show the problems that predate the change.
        #[arg(long)]
        all: bool,
        /// Measure toil and automation from git history for gates that cap them (needs full history).
        #[arg(long)]
        history: bool,
        /// With `--prometheus`: hold every SLI against the series the server has (metrics, label values,
        /// bucket bounds, traffic) over this lookback.
        #[arg(long, value_name = "DURATION", default_value = "1d", value_parser = parse_lookback, requires = "prometheus")]
        lookback: slogate::model::units::Duration,
        #[command(flatten)]
        connection: slogate::remote::Options,
    },
    /// Emit Prometheus recording and alerting rules for every SLO (one file per service).
    Build {
        /// A directory to search for *.slo files, or one file.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Output directory (created if missing).
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
        /// Write nothing; exit 1 with a diff when DIR differs from what would be built (drift check for CI).
        #[arg(long)]
        check: bool,
        /// Plain rule files, or PrometheusRule objects for the Prometheus Operator.
        #[arg(long, value_enum, default_value = "rules")]
        format: slogate::emit::RuleFormat,
        /// Also write promtool unit tests for the alerts (`<service>.test.yml`).
        #[arg(long)]
        tests: bool,
        /// Use Sloth's label names (sloth_id, sloth_service, sloth_slo, sloth_window).
        #[arg(long)]
        sloth_labels: bool,
        /// Remove generated files of services that no longer exist.
        #[arg(long)]
        prune: bool,
        /// Namespace of PrometheusRule objects (default: the workload's namespace, else `monitoring`).
        #[arg(long)]
        namespace: Option<String>,
        /// Extra label on PrometheusRule objects, as KEY=VALUE (repeatable).
        #[arg(long = "label", value_name = "KEY=VALUE", value_parser = parse_label)]
        labels: Vec<(String, String)>,
        /// Windows longer than a day: a ratio of sums of recorded 5m rates (cheap, needs recorded history),
        /// or exact over the raw series (costly with many series).
        #[arg(long, value_enum, default_value = "recorded")]
        long_windows: slogate::emit::LongWindows,
        /// Also write a Grafana dashboard per service (`<service>.dashboard.json`).
        #[arg(long)]
        dashboards: bool,
        /// Evaluation interval of the group of windows longer than a day.
        #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_interval)]
        long_interval: slogate::model::units::Duration,
    },
    /// Facts from git per service: automation vs manual toil vs other changes, deploys, rollbacks, change
    /// failure rate, deploy frequency (over each service's toil window, counted back from HEAD).
    History {
        /// A directory inside a git working tree.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long, value_enum, default_value = "human")]
        format: slogate::report::FactsFormat,
    },
    /// Evaluate deploy gates: allow, warn or deny, with every reason (exit 0 allow/warn, 1 deny, 2 cannot
    /// evaluate).
    Gate {
        /// A directory to search for *.slo files and manifests.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Gate these services (repeatable). Without `--service` and `--base`, every service that has a gate.
        #[arg(long = "service", value_name = "NAME")]
        services: Vec<String>,
        /// Gate the services a change touches: HEAD against the merge-base of REV and HEAD (a branch name is
        /// tried as `origin/REV` first).
        #[arg(long, value_name = "REV", conflicts_with = "services")]
        base: Option<String>,
        /// Gate every service that has a gate (the default when neither `--service` nor `--base` is given).
        #[arg(long, conflicts_with_all = ["services", "base"])]
        all: bool,
        /// Evaluate as a deploy whatever the change is (what the gate would say if pods rolled); never skips
        /// a requirement, so it can only be stricter than the change itself.
        #[arg(long)]
        as_deploy: bool,
        /// Figures from a metrics snapshot (JSON; schema in the README).
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present = "prometheus",
            conflicts_with = "prometheus"
        )]
        metrics: Option<PathBuf>,
        #[command(flatten)]
        connection: slogate::remote::Options,
        /// Evaluate at this time (RFC 3339 or Unix seconds) for a reproducible verdict; default: now.
        #[arg(long, value_name = "TIME", requires = "prometheus")]
        at: Option<String>,
        /// Write the figures read from Prometheus as a snapshot (for `--metrics`).
        #[arg(long, value_name = "FILE", requires = "prometheus")]
        save_metrics: Option<PathBuf>,
        /// What requirements without data do: deny (fail closed, the default), warn or allow.
        #[arg(long, value_enum, default_value = "deny")]
        on_missing: slogate::gate::OnMissing,
        #[arg(long, value_enum, default_value = "human")]
        format: slogate::report::VerdictFormat,
    },
    /// Print the service dependency graph (hard dependencies solid, soft ones dashed).
    Graph {
        /// A directory to search for *.slo files, or one file.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long, value_enum, default_value = "dot")]
        format: slogate::emit::graph::GraphFormat,
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

fn parse_code(s: &str) -> Result<slogate::diag::Code, String> {
    slogate::diag::Code::parse(s).ok_or_else(|| {
        let hint =
            slogate::diag::did_you_mean(s, slogate::diag::Code::ALL.iter().map(|c| c.as_str()));
        format!(
            "unknown diagnostic code `{s}`{}",
            hint.map(|h| format!("; {h}")).unwrap_or_default()
        )
    })
}

fn parse_label(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, found `{s}`")),
    }
}

/// `--lookback`: from 5m to 90d.
fn parse_lookback(s: &str) -> Result<slogate::model::units::Duration, String> {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = slogate::syntax::ast::DurationUnit::parse(&s[digits.len()..]);
    let ms = match (digits.parse::<u64>(), unit) {
        (Ok(n), Some(u)) => n.checked_mul(u.millis()),
        _ => None,
    }
    .ok_or_else(|| format!("`{s}` is not a duration such as `1d` or `6h`"))?;
    if !(300_000..=90 * 86_400_000).contains(&ms) || ms % 1000 != 0 {
        return Err(format!("`{s}`: a lookback is whole seconds from 5m to 90d"));
    }
    Ok(slogate::model::units::Duration::from_millis(ms))
}

/// `--long-interval`: whole seconds or minutes, from 30s to 1h.
fn parse_interval(s: &str) -> Result<slogate::model::units::Duration, String> {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = slogate::syntax::ast::DurationUnit::parse(&s[digits.len()..]);
    let ms = match (digits.parse::<u64>(), unit) {
        (Ok(n), Some(u)) => n.checked_mul(u.millis()),
        _ => None,
    }
    .ok_or_else(|| format!("`{s}` is not a duration such as `1m` or `5m`"))?;
    if !(30_000..=3_600_000).contains(&ms) || ms % 1000 != 0 {
        return Err(format!(
            "`{s}`: an interval is whole seconds from 30s to 1h"
        ));
    }
    Ok(slogate::model::units::Duration::from_millis(ms))
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
        Command::Check {
            paths,
            format,
            no_manifests,
            deny,
            warn,
            allow,
            verbose,
            base,
            staged,
            all,
            history,
            lookback,
            connection,
        } => {
            use slogate::model::CheckLevel;
            use slogate::repo::git::{base_from_env, Compare};
            let deny_review = deny.iter().any(|d| d == "review");
            let mut deny_codes = Vec::new();
            for d in deny.iter().filter(|d| *d != "review") {
                match parse_code(d) {
                    Ok(c) => deny_codes.push(c),
                    Err(e) => {
                        cli::fail(
                            format,
                            &format!("invalid value '{d}' for '--deny <CODE>': {e}"),
                        );
                        return ExitCode::from(2);
                    }
                }
            }
            let compare = match (staged, base) {
                (true, _) => Some(Compare::Staged),
                (false, Some(rev)) if rev.is_empty() => match base_from_env() {
                    Some(rev) => Some(Compare::Base(rev)),
                    None => {
                        cli::fail(format, "`--base` without a revision needs GITHUB_BASE_REF or CI_MERGE_REQUEST_TARGET_BRANCH_NAME");
                        return ExitCode::from(2);
                    }
                },
                (false, Some(rev)) => Some(Compare::Base(rev)),
                (false, None) => None,
            };
            let mut levels = Vec::new();
            levels.extend(allow.into_iter().map(|c| (c, CheckLevel::Allow)));
            levels.extend(warn.into_iter().map(|c| (c, CheckLevel::Warn)));
            levels.extend(deny_codes.into_iter().map(|c| (c, CheckLevel::Deny)));
            let opts = slogate::AnalyzeOptions {
                manifests: !no_manifests,
                levels,
                compare,
                all,
                deny_review,
                history,
                only: None,
            };
            let live = connection
                .prometheus
                .is_some()
                .then_some(slogate::check::live::Live {
                    connection,
                    lookback,
                });
            cli::check(&paths, format, &opts, verbose, live.as_ref())
        }
        Command::Build {
            path,
            out,
            check,
            format,
            tests,
            sloth_labels,
            prune,
            namespace,
            labels,
            long_windows,
            long_interval,
            dashboards,
        } => {
            // Options that would be silently ignored are usage errors.
            let operator = format == slogate::emit::RuleFormat::PrometheusOperator;
            let unusable = [
                (tests && operator, "--tests writes promtool tests for plain rule files; drop `--format prometheus-operator` or `--tests`"),
                (!labels.is_empty() && !operator, "--label labels PrometheusRule objects; add `--format prometheus-operator`"),
                (namespace.is_some() && !operator, "--namespace places PrometheusRule objects; add `--format prometheus-operator`"),
            ];
            if let Some((_, message)) = unusable.iter().find(|(bad, _)| *bad) {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
            let opts = slogate::emit::Options {
                format,
                sloth_labels,
                tests,
                namespace,
                object_labels: labels,
                long_windows,
                long_interval,
                dashboards,
            };
            cli::build(&path, &out, &opts, check, prune)
        }
        Command::Graph { path, format } => cli::graph(&path, format),
        Command::Gate {
            path,
            services,
            base,
            all: _,
            as_deploy,
            metrics,
            connection,
            at,
            save_metrics,
            on_missing,
            format,
        } => {
            use slogate::gate::run::{Selection, Source};
            let source = match metrics {
                Some(file) => Source::Snapshot(file),
                None => Source::Prometheus {
                    connection: Box::new(connection),
                    at,
                    save: save_metrics,
                },
            };
            let selection = match (&base, services.is_empty()) {
                (Some(rev), _) => Selection::Change(rev),
                (None, false) => Selection::Named(&services),
                (None, true) => Selection::AllGated,
            };
            cli::gate(&path, selection, source, on_missing, as_deploy, format)
        }
        Command::History { path, format } => cli::history(&path, format),
        Command::Fmt { paths, check } => cli::fmt(&paths, check),
        Command::Explain { code } => cli::explain(code.as_deref()),
    };
    ExitCode::from(code)
}
