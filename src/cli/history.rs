//! `slogate history`: the facts from git per service, with the warnings that keep a zero from reading as a fact.

use super::{analyze_clean_as, fail, load_inventory, print, FAILURE, OK};
use crate::report::{self, Format};
use std::path::Path;

/// `slogate history PATH`
pub fn history(path: &Path, facts_format: report::FactsFormat) -> u8 {
    let json = facts_format == report::FactsFormat::Json;
    let format = if json { Format::Json } else { Format::Human };
    let mut analysis = match analyze_clean_as(path, "fix them first (`slogate check`)", json) {
        Ok(a) => a,
        Err(code) => return code,
    };
    if let Err(code) = load_inventory(&mut analysis, path, format) {
        return code;
    }
    let repo = match crate::repo::git::Repo::discover(path) {
        Ok(r) => r,
        Err(e) => {
            fail(format, &e.to_string());
            return FAILURE;
        }
    };
    let facts = match crate::repo::history::facts(
        &repo,
        &analysis.model,
        analysis.inventory.as_ref(),
        &analysis.workspace.sources,
    ) {
        Ok(f) => f,
        Err(e) => {
            fail(format, &e.to_string());
            return FAILURE;
        }
    };
    if repo.is_shallow() {
        if let Some(f) = facts.iter().find(|f| f.truncated) {
            fail(format, &format!(
                "this is a shallow clone and its history does not reach the {}-day window of `{}`\nhelp: fetch the full history: `git fetch --unshallow`, or in GitHub Actions `actions/checkout` with `fetch-depth: 0`",
                f.window_days, f.service
            ));
            return FAILURE;
        }
    }
    // A workload the manifests do not hold has no deploys to count: 0 would read as a fact, so say it.
    let warnings: Vec<String> = analysis
        .model
        .services
        .iter()
        .filter_map(|s| {
            let w = s.workload.as_ref()?;
            let ns = w.value.namespace.clone().unwrap_or_else(|| "default".into());
            let object = analysis.inventory.as_ref().and_then(|inv| {
                inv.in_namespace(&w.value.kind, &ns).find(|o| o.name == w.value.name)
            });
            match object {
                None => Some(format!(
                    "workload `{}/{}/{}` of service `{}` is not in the manifests under {}: its deploys and rollbacks are not counted",
                    w.value.kind, ns, w.value.name, s.name.value, path.display()
                )),
                // History reads the base file of a rendered workload: an overlay's `images:` bump is not seen.
                Some(o) if o.rendered => Some(format!(
                    "workload `{}/{}/{}` of service `{}` is rendered by Kustomize: only changes to its base file are counted, not deploys made in overlays (the gate treats these figures as unknown)",
                    w.value.kind, ns, w.value.name, s.name.value
                )),
                Some(_) => None,
            }
        })
        .collect();
    if format == Format::Human {
        for w in &warnings {
            eprintln!("warning: {w}");
        }
    }
    let out = match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(
                &serde_json::json!({ "version": 1, "services": facts, "warnings": warnings }),
            )
            .expect("facts serialize");
            s.push('\n');
            s
        }
        _ => report::render_history(&facts),
    };
    print(&out);
    OK
}
