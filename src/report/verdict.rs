//! Gate verdicts as text: a terminal summary and a pull-request comment (Markdown). Names, images and figures
//! come from pull requests and metrics APIs: control characters are replaced on the terminal, and Markdown
//! metacharacters are escaped in the comment so that untrusted text cannot forge a table or a link.

use super::excerpt::sanitize_text;
use crate::gate::{Check, Outcome, Report, Verdict};

fn mark(o: Outcome, change: &str) -> String {
    match o {
        Outcome::Pass => "pass".into(),
        Outcome::Fail => "FAIL".into(),
        Outcome::Unknown => "unknown".into(),
        Outcome::Skipped => format!("skipped ({change})"),
    }
}

fn value(c: &Check) -> &str {
    match c.outcome {
        Outcome::Skipped => "not measured",
        _ => c.value.as_deref().unwrap_or("no data"),
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
        if !s.change_reason.is_empty() {
            out.push_str(&format!("  change   {}\n", s.change_reason));
        }
        for c in &s.checks {
            let m = mark(c.outcome, &s.change);
            out.push_str(&format!(
                "  {m}{}  {}: {}  [{}]\n",
                " ".repeat(7usize.saturating_sub(m.chars().count())),
                c.gate,
                c.requirement,
                value(c)
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
    if r.services.is_empty() {
        out.push_str("(no service gated)\n");
    }
    for w in &r.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out.push_str(&format!(
        "verdict: {} (figures from {}{})\n",
        r.verdict.as_str(),
        r.source,
        provenance(r)
    ));
    sanitize_text(&out)
}

/// `; HEAD abc1234, base def5678, policies 0a1b2c3d`.
fn provenance(r: &Report) -> String {
    let mut parts = Vec::new();
    if let Some(h) = &r.head {
        parts.push(format!("HEAD {}", &h[..h.len().min(12)]));
    }
    if let Some(b) = &r.base {
        parts.push(format!("base {}", &b[..b.len().min(12)]));
    }
    if !r.policy_digest.is_empty() {
        parts.push(format!(
            "policies {}",
            &r.policy_digest[..r.policy_digest.len().min(12)]
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("; {}", parts.join(", "))
    }
}

/// Text from outside made inert in Markdown: control characters replaced, every metacharacter escaped.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in sanitize_text(s).chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.'
            | '!' | '|' | '<' | '>' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A Markdown table for a pull-request comment.
pub fn render_verdict_markdown(r: &Report) -> String {
    let icon = |v: Verdict| match v {
        Verdict::Allow => "✅ allow",
        Verdict::Warn => "⚠️ warn",
        Verdict::Deny => "⛔ deny",
    };
    let e = escape_markdown;
    let mut out = format!("### slogate deploy gate: {}\n\n", icon(r.verdict));
    out.push_str(
        "| service | change | requirement | value | result |\n| --- | --- | --- | --- | --- |\n",
    );
    for s in &r.services {
        if s.checks.is_empty() {
            out.push_str(&format!(
                "| {} | {} | (no gates) | | {} |\n",
                e(&s.service),
                e(&s.change),
                icon(s.verdict)
            ));
        }
        for c in &s.checks {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                e(&s.service),
                e(&s.change),
                e(&c.requirement),
                e(value(c)),
                e(&mark(c.outcome, &s.change))
            ));
        }
    }
    if r.services.is_empty() {
        out.push_str("| (no service gated) | | | | |\n");
    }
    let mut reasons: Vec<String> = Vec::new();
    for s in &r.services {
        if !s.change_reason.is_empty() {
            reasons.push(format!("- {}: {}", e(&s.service), e(&s.change_reason)));
        }
        reasons.extend(
            s.reasons
                .iter()
                .map(|x| format!("- {}: {}", e(&s.service), e(x))),
        );
    }
    if !reasons.is_empty() {
        out.push_str(&format!("\n**Reasons**\n\n{}\n", reasons.join("\n")));
    }
    for w in &r.warnings {
        out.push_str(&format!("\n> warning: {}\n", e(w)));
    }
    out.push_str(&format!(
        "\n<sub>figures from {}{}</sub>\n",
        e(&r.source),
        e(&provenance(r))
    ));
    out
}
