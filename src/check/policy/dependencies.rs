//! Dependency checks: `dependency-cycle` (the whole cycle) and `infeasible-objective` (a service promising more
//! availability than its hard dependencies can give, with the dependency paths).

use crate::diag::{Code, Diagnostic};
use crate::graph::{promised_availability, PolicyGraph};
use crate::model::units::percent;
use crate::model::{Model, ServiceId};
use rust_decimal::Decimal;

pub fn check(model: &Model, graph: &PolicyGraph, diags: &mut Vec<Diagnostic>) {
    let cycles = graph.cycles(model.services.len());
    for c in &cycles {
        let names: Vec<&str> = c
            .services
            .iter()
            .map(|&s| model.service(s).name.value.as_str())
            .collect();
        let path = format!("{} → {}", names.join(" → "), names[0]);
        let mut d = Diagnostic::new(
            Code::DependencyCycle,
            c.edges[0],
            format!("dependency cycle: {path}"),
        )
        .with_primary_label(format!(
            "`{}` depends on `{}`",
            names[0],
            names[1 % names.len()]
        ));
        for (i, span) in c.edges.iter().enumerate().skip(1) {
            d = d.with_label(
                *span,
                format!(
                    "`{}` depends on `{}`",
                    names[i],
                    names[(i + 1) % names.len()]
                ),
            );
        }
        // Soft edges are the ones named in `soft_depends` (matched by where they are written).
        let soft: Vec<String> = c
            .edges
            .iter()
            .enumerate()
            .filter(|(i, span)| {
                model
                    .service(c.services[*i])
                    .depends
                    .iter()
                    .any(|dep| dep.span == **span && !dep.hard)
            })
            .map(|(i, _)| format!("`{}` → `{}`", names[i], names[(i + 1) % names.len()]))
            .collect();
        let help = if soft.is_empty() {
            "break the cycle: make one of these dependencies soft (`soft_depends`) or remove it"
                .to_string()
        } else {
            format!(
                "{} already soft: soft dependencies still order deploys, so only removing a dependency breaks the cycle",
                if soft.len() == 1 {
                    format!("{} is", soft[0])
                } else {
                    format!("{} are", soft.join(", "))
                }
            )
        };
        diags.push(d.with_help(help));
    }
    if !cycles.is_empty() {
        return; // feasibility along a cycle is meaningless
    }
    for (i, s) in model.services.iter().enumerate() {
        let Some((objective, slo)) = promised_availability(model, ServiceId(i)) else {
            continue;
        };
        let mut paths = Vec::new();
        collect(model, ServiceId(i), &mut vec![ServiceId(i)], &mut paths);
        if paths.is_empty() {
            continue;
        }
        let product = paths.iter().fold(Decimal::ONE, |acc, (_, o)| acc * o);
        if objective <= product {
            continue;
        }
        let slo = &s.slos[slo];
        let mut d = Diagnostic::new(
            Code::InfeasibleObjective,
            slo.objective.span,
            format!(
                "`{}` promises {} but its hard dependencies allow at most {}",
                s.name.value,
                percent(objective),
                percent(product.round_dp(8))
            ),
        )
        .with_primary_label(format!("objective of SLO `{}`", slo.name.value));
        for (path, o) in &paths {
            let names: Vec<&str> = path
                .iter()
                .map(|&p| model.service(p).name.value.as_str())
                .collect();
            let first_hop = s
                .depends
                .iter()
                .find(|d| d.target == path[1])
                .expect("path starts with a dependency");
            d = d.with_label(
                first_hop.span,
                format!("{} ({})", names.join(" → "), percent(*o)),
            );
        }
        diags.push(d.with_help(
            "availability of a chain of hard dependencies is at most the product of theirs: lower the objective, make a dependency soft (`soft_depends`) or add redundancy",
        ));
    }
}

/// Hard-dependency paths from `from` to the first service on each path that promises an availability.
fn collect(
    model: &Model,
    from: ServiceId,
    path: &mut Vec<ServiceId>,
    out: &mut Vec<(Vec<ServiceId>, Decimal)>,
) {
    for d in model.service(from).depends.iter().filter(|d| d.hard) {
        if path.contains(&d.target) || out.iter().any(|(p, _)| p.last() == Some(&d.target)) {
            continue;
        }
        path.push(d.target);
        match promised_availability(model, d.target) {
            Some((o, _)) => out.push((path.clone(), o)),
            None => collect(model, d.target, path, out),
        }
        path.pop();
    }
}
