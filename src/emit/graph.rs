//! Pictures of the service dependency graph: Graphviz dot and Mermaid. Hard dependencies are solid edges,
//! soft ones dashed; each service shows its tier and its SLOs.

use crate::model::units::percent;
use crate::model::{Model, Service};

/// Picture formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

fn sorted(model: &Model) -> Vec<(usize, &Service)> {
    let mut v: Vec<(usize, &Service)> = model.services.iter().enumerate().collect();
    v.sort_by(|a, b| a.1.name.value.cmp(&b.1.name.value));
    v
}

fn slo_lines(s: &Service) -> Vec<String> {
    s.slos
        .iter()
        .map(|o| {
            format!(
                "{} {} / {}",
                o.name.value,
                percent(o.objective.value),
                o.window.value
            )
        })
        .collect()
}

/// Renders the graph; deterministic (services and edges sorted by name).
pub fn render(model: &Model, format: GraphFormat) -> String {
    let services = sorted(model);
    let mut edges: Vec<(&str, &str, bool)> = Vec::new();
    for (_, s) in &services {
        for d in &s.depends {
            edges.push((&s.name.value, &model.service(d.target).name.value, d.hard));
        }
    }
    edges.sort();
    match format {
        GraphFormat::Dot => {
            let mut out = String::from(
                "digraph slogate {\n  rankdir=LR;\n  node [shape=box, fontname=\"sans-serif\"];\n",
            );
            for (_, s) in &services {
                let mut label = vec![format!("{} (tier {})", s.name.value, s.tier.value)];
                label.extend(slo_lines(s));
                out.push_str(&format!(
                    "  \"{}\" [label=\"{}\"];\n",
                    s.name.value,
                    label.join("\\n")
                ));
            }
            for (from, to, hard) in edges {
                let style = if hard { "" } else { " [style=dashed]" };
                out.push_str(&format!("  \"{from}\" -> \"{to}\"{style};\n"));
            }
            out.push_str("}\n");
            out
        }
        GraphFormat::Mermaid => {
            let mut out = String::from("graph LR\n");
            for (i, s) in &services {
                let mut label = vec![format!("{} (tier {})", s.name.value, s.tier.value)];
                label.extend(slo_lines(s));
                out.push_str(&format!("  s{i}[\"{}\"]\n", label.join("<br/>")));
            }
            let id = |name: &str| {
                services
                    .iter()
                    .find(|(_, s)| s.name.value == name)
                    .map_or(0, |(i, _)| *i)
            };
            for (from, to, hard) in edges {
                let arrow = if hard { "-->" } else { "-.->" };
                out.push_str(&format!("  s{} {arrow} s{}\n", id(from), id(to)));
            }
            out
        }
    }
}
