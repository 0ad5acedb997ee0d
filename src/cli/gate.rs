//! `slogate gate`: arguments to [`crate::gate::run`], the verdict rendered, and its exit code.

use super::*;

/// `slogate gate PATH [--service S… | --base REV | --all] (--metrics FILE | --prometheus URL)`
pub fn gate(
    path: &Path,
    selection: crate::gate::run::Selection<'_>,
    source: crate::gate::run::Source,
    on_missing: crate::gate::OnMissing,
    as_deploy: bool,
    format: report::VerdictFormat,
) -> u8 {
    // Errors that stop the run are JSON in JSON mode, annotations in GitHub mode.
    let failure_format = match format {
        report::VerdictFormat::Json => Format::Json,
        report::VerdictFormat::Github => Format::Github,
        _ => Format::Human,
    };
    let json = format == report::VerdictFormat::Json;
    // The policies must be sound; manifest findings are `check`'s business.
    let mut analysis = match analyze_clean_as(path, "no verdict (`slogate check` lists them)", json)
    {
        Ok(a) => a,
        // Unsound policies mean no verdict can be reached: exit 2, not "deny".
        Err(_) => return FAILURE,
    };
    if let Err(code) = load_inventory(&mut analysis, path, failure_format) {
        return code;
    }
    let request = crate::gate::run::Request {
        path,
        selection,
        source,
        on_missing,
        as_deploy,
    };
    let outcome = match crate::gate::run::run(&analysis, request) {
        Ok(o) => o,
        Err(e) => {
            fail(failure_format, &e.to_string());
            return FAILURE;
        }
    };
    for n in &outcome.notes {
        eprintln!("note: {n}");
    }
    let verdict = outcome.report;
    let out = match format {
        report::VerdictFormat::Human => report::render_verdict_human(&verdict),
        report::VerdictFormat::Markdown => report::render_verdict_markdown(&verdict),
        report::VerdictFormat::Github => {
            step_summary(&report::render_verdict_markdown(&verdict));
            report::render_verdict_github(&verdict)
        }
        report::VerdictFormat::Json => {
            let mut s = serde_json::to_string_pretty(&verdict).expect("verdict serializes");
            s.push('\n');
            s
        }
    };
    print(&out);
    match verdict.verdict {
        crate::gate::Verdict::Deny => FINDINGS,
        _ => OK,
    }
}
