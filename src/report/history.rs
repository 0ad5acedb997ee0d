//! `slogate history` as a table.

use crate::model::units::percent;
use crate::repo::history::ServiceFacts;

/// One row per service, then the deploys of each.
pub fn render_history(facts: &[ServiceFacts]) -> String {
    let pct = |d: Option<rust_decimal::Decimal>| d.map_or("-".to_string(), percent);
    let mut rows = vec![[
        "service".to_string(),
        "window".to_string(),
        "changes".to_string(),
        "automated".to_string(),
        "manual toil".to_string(),
        "other".to_string(),
        "deploys".to_string(),
        "per day".to_string(),
        "rollbacks".to_string(),
        "change failure".to_string(),
    ]];
    for f in facts {
        rows.push([
            f.service.clone(),
            format!("{}d{}", f.window_days, if f.truncated { "*" } else { "" }),
            f.changes.to_string(),
            format!("{} ({})", f.automated, pct(f.automation_ratio)),
            format!("{} ({})", f.manual_toil, pct(f.toil_ratio)),
            f.other_human.to_string(),
            f.deploys.len().to_string(),
            crate::model::units::plain(f.deploys_per_day),
            f.rollbacks.to_string(),
            format!("{} ({})", f.failed_deploys, pct(f.change_failure_rate)),
        ]);
    }
    let widths: Vec<usize> = (0..10)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    if facts.iter().any(|f| f.truncated) {
        out.push_str("* the history ends inside the window\n");
    }
    for f in facts.iter().filter(|f| !f.deploys.is_empty()) {
        out.push_str(&format!("\n{} deploys:\n", f.service));
        for d in &f.deploys {
            let mut tags = Vec::new();
            if d.rollback {
                tags.push("rollback");
            }
            if d.failed {
                tags.push("failed");
            }
            let tags = if tags.is_empty() {
                String::new()
            } else {
                format!("  [{}]", tags.join(", "))
            };
            out.push_str(&format!("  {}  {}{tags}\n", d.commit, d.images.join(", ")));
        }
    }
    out
}
