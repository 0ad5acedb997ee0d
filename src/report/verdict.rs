//! Gate verdicts as text: a terminal summary and a pull-request comment (Markdown).

use crate::gate::{Outcome, Report, Verdict};

fn mark(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Fail => "FAIL",
        Outcome::Unknown => "unknown",
    }
}

/// `verdict: deny` and one block per service.
pub fn render_verdict_human(r: &Report) -> String {
    let mut out = String::new();
    for s in &r.services {
        out.push_str(&format!(
            "{} ({}): {}\n",
            s.service,
            s.change,
            s.verdict.as_str()
        ));
        for c in &s.checks {
            let value = c.value.as_deref().unwrap_or("no data");
            out.push_str(&format!(
                "  {:<7}  {}: {}  [{value}]\n",
                mark(c.outcome),
                c.gate,
                c.requirement
            ));
            if let Some(reason) = &c.reason {
                out.push_str(&format!("           {reason}\n"));
            }
        }
        if s.checks.is_empty() {
            out.push_str("  (no gates)\n");
        }
        // Reasons not tied to a check (e.g. an exhausted hard dependency).
        for r in s
            .reasons
            .iter()
            .filter(|r| !s.checks.iter().any(|c| c.reason.as_ref() == Some(*r)))
        {
            out.push_str(&format!("  note     {r}\n"));
        }
    }
    out.push_str(&format!(
        "verdict: {} (figures from {})\n",
        r.verdict.as_str(),
        r.source
    ));
    out
}

/// A Markdown table for a pull-request comment.
pub fn render_verdict_markdown(r: &Report) -> String {
    let icon = |v: Verdict| match v {
        Verdict::Allow => "✅ allow",
        Verdict::Warn => "⚠️ warn",
        Verdict::Deny => "⛔ deny",
    };
    let mut out = format!("### slogate deploy gate: {}\n\n", icon(r.verdict));
    out.push_str(
        "| service | change | requirement | value | result |\n| --- | --- | --- | --- | --- |\n",
    );
    for s in &r.services {
        if s.checks.is_empty() {
            out.push_str(&format!(
                "| `{}` | {} | (no gates) | | {} |\n",
                s.service,
                s.change,
                icon(s.verdict)
            ));
        }
        for c in &s.checks {
            out.push_str(&format!(
                "| `{}` | {} | `{}` | {} | {} |\n",
                s.service,
                s.change,
                c.requirement,
                c.value.as_deref().unwrap_or("no data"),
                mark(c.outcome)
            ));
        }
    }
    let reasons: Vec<String> = r
        .services
        .iter()
        .flat_map(|s| {
            s.reasons
                .iter()
                .map(move |x| format!("- `{}`: {x}", s.service))
        })
        .collect();
    if !reasons.is_empty() {
        out.push_str(&format!("\n**Reasons**\n\n{}\n", reasons.join("\n")));
    }
    out.push_str(&format!("\n<sub>figures from {}</sub>\n", r.source));
    out
}
