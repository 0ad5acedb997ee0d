//! SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps): one run, the driver's rules are every
//! diagnostic code with its summary, explanation (`slogate explain`), default level and class; one result per
//! finding with its region (1-based lines, columns in Unicode code points, exclusive end — as SARIF defines
//! them), its other labels as related locations, and `partialFingerprints` from
//! [`Diagnostic::fingerprint`](crate::diag::Diagnostic::fingerprint), so a finding keeps its identity while
//! lines move. Validated against the OASIS schema in tests/integration/formats.rs.

use super::check::{at, relative_name, CheckReport};
use crate::diag::{Code, Label, Severity};
use serde_json::{json, Value};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning | Severity::Review => "warning",
        Severity::Info => "note",
    }
}

fn rule(c: Code) -> Value {
    json!({
        "id": c.as_str(),
        "shortDescription": { "text": c.summary() },
        "fullDescription": { "text": c.explanation() },
        "help": { "text": c.help_text() },
        "defaultConfiguration": { "level": level(c.default_severity()) },
        "properties": { "class": c.class().as_str(), "tags": [c.class().as_str()] },
    })
}

/// A location; files that are not in the working tree (a base revision's `path @ abc1234`, the built-in
/// library) are named without a region, which would point into another version of the file.
fn location(r: &CheckReport<'_>, label: &Label, id: Option<usize>) -> Value {
    let f = r.sources.get(label.span.file);
    let a = at(r.sources, label);
    let virtual_file = f.path.starts_with("<base>") || f.path.starts_with("<builtin>");
    let physical = if virtual_file {
        let uri = f
            .path
            .strip_prefix("<base>")
            .unwrap_or(&f.path)
            .to_string_lossy()
            .into_owned();
        json!({ "artifactLocation": { "uri": uri_of(&relative_name(&uri)) } })
    } else {
        json!({
            "artifactLocation": { "uri": uri_of(&relative_name(a.file)) },
            "region": {
                "startLine": a.start.line,
                "startColumn": a.start.column,
                "endLine": a.end.line,
                "endColumn": a.end.column,
            }
        })
    };
    let mut loc = json!({ "physicalLocation": physical });
    if let Some(id) = id {
        loc["id"] = json!(id);
    }
    let message = match (&label.message, virtual_file) {
        (Some(m), true) => Some(format!("{m} (in {})", f.name)),
        (Some(m), false) => Some(m.clone()),
        (None, true) => Some(format!("in {}", f.name)),
        (None, false) => None,
    };
    if let Some(m) = message {
        loc["message"] = json!({ "text": m });
    }
    loc
}

/// A relative path as a URI reference: path segments percent-encoded, `/` kept.
fn uri_of(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn render_sarif(r: &CheckReport<'_>) -> String {
    let rules: Vec<Value> = Code::ALL.iter().map(|c| rule(*c)).collect();
    let results: Vec<Value> = r
        .diagnostics
        .iter()
        .map(|d| {
            let a = at(r.sources, &d.primary);
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str(&format!("\nhelp: {h}"));
            }
            for n in &d.notes {
                text.push_str(&format!("\nnote: {n}"));
            }
            let rule_index = Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0);
            let mut result = json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": rule_index,
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [location(r, &d.primary, None)],
                "partialFingerprints": {
                    "slogateFingerprint/v1": d.fingerprint(&relative_name(a.file)),
                },
            });
            if !d.labels.is_empty() {
                result["relatedLocations"] = Value::Array(
                    d.labels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| location(r, l, Some(i + 1)))
                        .collect(),
                );
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "slogate",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&log).expect("SARIF serializes");
    s.push('\n');
    s
}

/// A SARIF log for a run that could not check anything (exit 2): no results, the reason as a notification.
pub fn render_sarif_failure(message: &str) -> String {
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "slogate", "semanticVersion": env!("CARGO_PKG_VERSION") } },
            "invocations": [{
                "executionSuccessful": false,
                "toolExecutionNotifications": [{ "level": "error", "message": { "text": message } }],
            }],
            "results": [],
        }]
    });
    let mut s = serde_json::to_string_pretty(&log).expect("SARIF serializes");
    s.push('\n');
    s
}
