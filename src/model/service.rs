//! Lowering of one `service` block: its attributes, SLIs, SLOs and alerts. Gates and toil are in
//! [`super::gate`].

use super::burn;
use super::fields::{list, Fields, Shape};
use super::lower::unresolved_profile;
use super::promql;
use super::types::*;
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::source::SourceMap;
use crate::syntax::ast::{self, Block, ValueKind};
use std::collections::HashMap;

/// Every SLI and SLO name a service defines, valid or not.
pub struct Known {
    pub slis: Vec<String>,
    pub slos: Vec<String>,
}

/// What a service's lowering may look up.
pub struct Ctx<'a> {
    pub services: &'a HashMap<&'a str, ServiceId>,
    pub profiles: &'a [Profile],
    pub profile_files: &'a [crate::source::FileId],
    /// Whether a profile (by index) is visible from this service's file.
    pub visible: &'a (dyn Fn(usize) -> bool + Sync),
    pub tiers: &'a [TierDefaults],
    pub sources: &'a SourceMap,
    /// Services and profiles declared in files that do not parse: references to them are not errors.
    pub unparsed: &'a std::collections::BTreeSet<String>,
}

const SERVICE: Shape<'static> = Shape {
    keys: &[
        "owner",
        "tier",
        "workload",
        "depends",
        "soft_depends",
        "description",
    ],
    blocks: &["sli", "slo", "alert", "gate", "toil", "checks"],
    statements: false,
};

pub fn lower(b: &Block, name: &ast::Ident, ctx: &Ctx<'_>, diags: &mut Vec<Diagnostic>) -> Service {
    let errors_before = diags.len();
    let f = Fields::new(b, &SERVICE, diags);
    f.require("owner", "\"team-name\"", diags);
    f.require("tier", "1", diags);
    let owner = f
        .string("owner", diags)
        .unwrap_or_else(|| Spanned::new(String::new(), name.span));
    let tier = f
        .number("tier", diags)
        .and_then(|t| match t.value.to_string().as_str() {
            "1" => Some(Spanned::new(1u8, t.span)),
            "2" => Some(Spanned::new(2, t.span)),
            "3" => Some(Spanned::new(3, t.span)),
            _ => {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        t.span,
                        format!("unknown tier `{}`", t.value),
                    )
                    .with_primary_label("tiers are 1, 2 or 3")
                    .with_help(
                        "tier 1: critical, user-facing; tier 2: important; tier 3: best effort",
                    ),
                );
                None
            }
        })
        .unwrap_or_else(|| Spanned::new(2, name.span));
    let workload = workload(&f, diags);
    let mut depends = Vec::new();
    for (key, hard) in [("depends", true), ("soft_depends", false)] {
        for d in f.ident_list(key, diags) {
            match ctx.services.get(d.value.as_str()) {
                Some(&target) => {
                    if let Some(prev) = depends.iter().find(|x: &&Dependency| x.target == target) {
                        diags.push(
                            Diagnostic::new(
                                Code::DuplicateName,
                                d.span,
                                format!("`{}` is listed twice", d.value),
                            )
                            .with_primary_label("listed again here")
                            .with_label(prev.span, "first listed here"),
                        );
                        continue;
                    }
                    depends.push(Dependency {
                        target,
                        span: d.span,
                        hard,
                    });
                }
                None if ctx.unparsed.contains(&d.value) => {}
                None => diags.push(
                    Diagnostic::new(
                        Code::UnresolvedName,
                        d.span,
                        format!("unknown service `{}`", d.value),
                    )
                    .with_primary_label("no service of this name")
                    .with_help_opt(did_you_mean(&d.value, ctx.services.keys().copied())),
                ),
            }
        }
    }

    // Names defined but dropped for their own errors are "known": references to them stay quiet rather
    // than cascading into "unknown SLI" errors.
    let sli_blocks = named_children(&f, "sli", "availability", diags);
    let slo_blocks = named_children(&f, "slo", "availability", diags);
    let known = Known {
        slis: sli_blocks.iter().map(|(_, n)| n.name.clone()).collect(),
        slos: slo_blocks.iter().map(|(_, n)| n.name.clone()).collect(),
    };
    let parsed = promql::prevalidate(&promql_texts(&sli_blocks));
    let slis = sli_blocks
        .into_iter()
        .filter_map(|(b, n)| sli(b, n, &parsed, diags))
        .collect::<Vec<_>>();
    let slos = slo_blocks
        .into_iter()
        .filter_map(|(b, n)| slo(b, n, &slis, &known, diags))
        .collect::<Vec<_>>();
    let alerts = named_children(&f, "alert", "availability", diags)
        .into_iter()
        .filter_map(|(b, n)| alert(b, n, &slos, &known, tier.value, ctx, diags))
        .collect::<Vec<_>>();
    let gates = named_children(&f, "gate", "deploy", diags)
        .into_iter()
        .map(|(b, n)| super::gate::gate(b, n, &slis, &slos, &known, diags))
        .collect::<Vec<_>>();
    let mut toils = f.blocks("toil");
    let toil = toils.next().map(|t| super::gate::toil(t, diags));
    for extra in toils {
        diags.push(
            Diagnostic::new(
                Code::DuplicateName,
                extra.kind.span,
                "a service has at most one `toil` block",
            )
            .with_primary_label("second `toil` block"),
        );
    }
    let check_levels = f
        .blocks("checks")
        .flat_map(|c| check_levels(c, diags))
        .collect();
    Service {
        name: Spanned::new(name.name.clone(), name.span),
        span: b.header_span(),
        extent: b.span,
        check_levels,
        owner,
        tier,
        workload,
        depends,
        slis,
        slos,
        alerts,
        gates,
        toil,
        incomplete: diags.len() > errors_before,
    }
}

fn workload(f: &Fields<'_>, diags: &mut Vec<Diagnostic>) -> Option<Spanned<WorkloadRef>> {
    let v = f.value("workload")?;
    match &v.kind {
        ValueKind::Workload(parts) => {
            let (kind, namespace, name) = match parts.as_slice() {
                [k, n] => (k, None, n),
                [k, ns, n] => (k, Some(ns.clone()), n),
                _ => unreachable!("the grammar gives two or three parts"),
            };
            if let Some(help) = not_a_workload(kind) {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        v.span,
                        format!("`{kind}` is not a workload: `workload` names the object that runs the pods"),
                    )
                    .with_help(help),
                );
                return None;
            }
            Some(Spanned::new(
                WorkloadRef {
                    kind: kind.to_ascii_lowercase(),
                    namespace,
                    name: name.clone(),
                },
                v.span,
            ))
        }
        _ => {
            diags.push(
                super::fields::wrong_type("workload", "a workload reference", v)
                    .with_help("write `kind/namespace/name`, e.g. `deployment/shop/checkout`"),
            );
            None
        }
    }
}

/// Why a kind cannot be a service's workload (it does not run pods itself), with what to write instead.
fn not_a_workload(kind: &str) -> Option<&'static str> {
    match kind.to_ascii_lowercase().as_str() {
        "helmrelease" => Some(
            "a Flux HelmRelease renders a chart: name the Deployment/StatefulSet it creates \
             (`deployment/NAMESPACE/NAME`); to check the chart's objects, commit its rendered output \
             (`helm template … > rendered/NAME.yaml`) where `slogate check` reads manifests",
        ),
        "kustomization" | "application" | "applicationset" => Some(
            "a GitOps object deploys other objects: name the Deployment/StatefulSet it deploys \
             (`deployment/NAMESPACE/NAME`)",
        ),
        "service" | "ingress" | "configmap" | "secret" | "servicemonitor" | "podmonitor"
        | "horizontalpodautoscaler" | "poddisruptionbudget" => Some(
            "name the object that runs the pods: deployment, statefulset, daemonset, rollout, job or cronjob",
        ),
        _ => None,
    }
}

/// Named child blocks of a kind, reporting missing names and duplicates.
fn named_children<'b>(
    f: &Fields<'b>,
    kind: &'static str,
    example: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(&'b Block, &'b ast::Ident)> {
    let mut out: Vec<(&Block, &ast::Ident)> = Vec::new();
    for b in f.blocks(kind) {
        let Some(name) = super::lower::required_label(b, kind, example, diags) else {
            continue;
        };
        if let Some((_, prev)) = out.iter().find(|(_, n)| n.name == name.name) {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    name.span,
                    format!("{kind} `{}` is defined twice in `{}`", name.name, f.what),
                )
                .with_primary_label("defined again here")
                .with_label(prev.span, "first defined here"),
            );
            continue;
        }
        out.push((b, name));
    }
    out
}

/// The PromQL texts of a service's SLIs as they will be parsed, for [`promql::prevalidate`].
fn promql_texts(blocks: &[(&Block, &ast::Ident)]) -> Vec<String> {
    let mut out = Vec::new();
    for (b, _) in blocks {
        for e in &b.entries {
            if let ast::Entry::Attribute(a) = e {
                if let ValueKind::Promql(text) = &a.value.kind {
                    let ratio = a.key.name != "histogram";
                    out.push(promql::parse_text(text, ratio));
                }
            }
        }
    }
    out
}

const SLI: Shape<'static> = Shape {
    keys: &["good", "bad", "total", "histogram", "under", "description"],
    blocks: &[],
    statements: false,
};

fn sli(
    b: &Block,
    name: &ast::Ident,
    parsed: &promql::Parsed,
    diags: &mut Vec<Diagnostic>,
) -> Option<Sli> {
    let f = Fields::new(b, &SLI, diags);
    let _ = f.string("description", diags);
    let query = |key: &str, diags: &mut Vec<Diagnostic>| {
        f.promql(key, diags).map(|q| Query {
            text: q.value,
            span: q.span,
        })
    };
    let kind = if f.has("histogram") {
        for key in ["good", "bad", "total"] {
            if let Some(a) = f.get(key) {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        a.key.span,
                        format!("`{key}` in a latency SLI"),
                    )
                    .with_primary_label("a latency SLI is `histogram` + `under`")
                    .with_help(
                        "remove it, or make this a ratio SLI without `histogram` and `under`",
                    ),
                );
            }
        }
        let ok = f.require("under", "300ms", diags);
        let histogram = query("histogram", diags);
        let under = f.duration("under", diags);
        let (true, Some(histogram), Some(under)) = (ok, histogram, under) else {
            return None;
        };
        if !promql::check_histogram(&histogram, parsed, diags) {
            return None;
        }
        SliKind::Latency { histogram, under }
    } else {
        if let Some(a) = f.get("under") {
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    a.key.span,
                    "`under` without `histogram`",
                )
                .with_primary_label("a latency threshold needs a histogram")
                .with_help("add `histogram = `…_bucket{…}``, or remove `under`"),
            );
        }
        let total_ok = f.require("total", "`sum(rate(http_requests_total[$window]))`", diags);
        let events_are_bad = match (f.get("good"), f.get("bad")) {
            (Some(_), Some(bad)) => {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        bad.key.span,
                        "an SLI has `good` or `bad`, not both",
                    )
                    .with_primary_label("remove this or `good`"),
                );
                return None;
            }
            (None, None) => {
                diags.push(
                    Diagnostic::new(
                        Code::MissingKey,
                        name.span,
                        format!("`sli {}` has neither `good` nor `bad`", name.name),
                    )
                    .with_primary_label("what counts as a good event?")
                    .with_help(
                        "add `good = `…`` (good events) or `bad = `…`` (errors), next to `total`",
                    ),
                );
                return None;
            }
            (_, bad) => bad.is_some(),
        };
        let events = query(if events_are_bad { "bad" } else { "good" }, diags);
        let total = query("total", diags);
        let (true, Some(events), Some(total)) = (total_ok, events, total) else {
            return None;
        };
        let ok_events = promql::check_ratio_query(&events, parsed, diags);
        let ok_total = promql::check_ratio_query(&total, parsed, diags);
        if !(ok_events && ok_total) {
            return None;
        }
        SliKind::Ratio {
            events,
            events_are_bad,
            total,
        }
    };
    Some(Sli {
        name: Spanned::new(name.name.clone(), name.span),
        span: b.span,
        kind,
    })
}

const SLO: Shape<'static> = Shape {
    keys: &["sli", "objective", "window", "description"],
    blocks: &[],
    statements: false,
};

fn slo(
    b: &Block,
    name: &ast::Ident,
    slis: &[Sli],
    known: &Known,
    diags: &mut Vec<Diagnostic>,
) -> Option<Slo> {
    let f = Fields::new(b, &SLO, diags);
    let mut ok = f.require(
        "sli",
        &slis
            .first()
            .map_or("availability".into(), |s| s.name.value.clone()),
        diags,
    );
    ok &= f.require("objective", "99.9%", diags);
    ok &= f.require("window", "30d", diags);
    let description = f.string("description", diags).map(|s| s.value);
    let sli_ref = f.ident("sli", diags);
    let objective = f.percent("objective", diags);
    let window = f.duration("window", diags);
    let sli = sli_ref.as_ref().and_then(|r| {
        let names: Vec<&str> = slis.iter().map(|s| s.name.value.as_str()).collect();
        resolve("SLI", r, &names, &known.slis, diags)
    });
    let (true, Some(sli), Some(sli_ref), Some(objective), Some(window)) =
        (ok, sli, sli_ref, objective, window)
    else {
        return None;
    };
    Some(Slo {
        name: Spanned::new(name.name.clone(), name.span),
        span: b.span,
        sli,
        sli_span: sli_ref.span,
        objective,
        window,
        description,
    })
}

/// The index of `r` among `names`, or the `unresolved-name` diagnostic (quiet for names in `known`, which
/// were defined but dropped for their own errors).
pub fn resolve(
    what: &str,
    r: &Spanned<String>,
    names: &[&str],
    known: &[String],
    diags: &mut Vec<Diagnostic>,
) -> Option<usize> {
    let found = names.iter().position(|n| *n == r.value);
    if found.is_none() {
        diags.extend(unresolved(what, r, names.iter().copied(), known));
    }
    found
}

/// "unknown SLO `availabilty`" with a suggestion or the list of names; `None` when the name is defined but
/// was dropped for its own (already reported) errors.
pub fn unresolved<'a>(
    what: &str,
    r: &Spanned<String>,
    names: impl Iterator<Item = &'a str>,
    known: &'a [String],
) -> Option<Diagnostic> {
    if known.contains(&r.value) {
        return None;
    }
    let mut names: Vec<&str> = names.chain(known.iter().map(String::as_str)).collect();
    names.sort_unstable();
    names.dedup();
    let help = did_you_mean(&r.value, names.iter().copied()).unwrap_or_else(|| {
        if names.is_empty() {
            format!("this service defines no {what}")
        } else {
            format!("{what}s of this service: {}", list(&names))
        }
    });
    Some(
        Diagnostic::new(
            Code::UnresolvedName,
            r.span,
            format!("unknown {what} `{}`", r.value),
        )
        .with_primary_label(format!("no {what} of this name in this service"))
        .with_help(help),
    )
}

const ALERT: Shape<'static> = Shape {
    keys: &[
        "slo",
        "profile",
        "min_rate",
        "runbook",
        "labels",
        "annotations",
        "description",
    ],
    blocks: &["page", "ticket"],
    statements: false,
};

/// Labels slogate sets itself on every alert.
pub const RESERVED_LABELS: &[&str] = &["severity", "service", "slo", "alertname"];

fn alert(
    b: &Block,
    name: &ast::Ident,
    slos: &[Slo],
    known: &Known,
    tier: u8,
    ctx: &Ctx<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Alert> {
    let f = Fields::new(b, &ALERT, diags);
    let ok = f.require(
        "slo",
        &slos
            .first()
            .map_or("availability".into(), |s| s.name.value.clone()),
        diags,
    );
    let _ = f.string("description", diags);
    let slo_ref = f.ident("slo", diags);
    let slo = slo_ref.as_ref().and_then(|r| {
        let names: Vec<&str> = slos.iter().map(|s| s.name.value.as_str()).collect();
        resolve("SLO", r, &names, &known.slos, diags)
    });
    let explicit = burn::windows(&f, diags);
    let has_window_blocks = f.blocks("page").chain(f.blocks("ticket")).next().is_some();
    let profile = f.ident("profile", diags);
    let (windows, windows_from) = match profile {
        Some(p) if has_window_blocks => {
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    p.span,
                    "an alert takes a `profile` or its own windows, not both",
                )
                .with_primary_label("remove this or the `page`/`ticket` blocks"),
            );
            return None;
        }
        Some(p) => {
            let visible: Vec<usize> = (0..ctx.profiles.len())
                .filter(|&i| (ctx.visible)(i))
                .collect();
            match visible
                .iter()
                .find(|&&i| ctx.profiles[i].name.value == p.value)
            {
                Some(&i) => (
                    ctx.profiles[i].windows.clone(),
                    WindowsFrom::Profile {
                        name: p.value.clone(),
                        span: p.span,
                    },
                ),
                // Declared in a file that does not parse: its syntax error is the problem.
                None if ctx.unparsed.contains(&p.value) => return None,
                None => {
                    let elsewhere = ctx.profiles.iter().position(|x| x.name.value == p.value);
                    let d = match elsewhere {
                        Some(i) => {
                            let file = ctx.sources.get(ctx.profile_files[i]);
                            Diagnostic::new(
                                Code::UnresolvedName,
                                p.span,
                                format!("profile `{}` is not imported in this file", p.value),
                            )
                            .with_primary_label("defined in another file")
                            .with_label(ctx.profiles[i].name.span, "defined here")
                            .with_help(format!(
                                "add `use \"…/{}\"` at the top of this file",
                                file_name(&file.path)
                            ))
                        }
                        None => unresolved_profile(
                            &p,
                            visible.iter().map(|&i| ctx.profiles[i].name.value.as_str()),
                        ),
                    };
                    diags.push(d);
                    return None;
                }
            }
        }
        None if has_window_blocks => (explicit, WindowsFrom::Explicit),
        None => {
            let t = ctx.tiers.iter().find(|t| t.tier == tier)?;
            let p = &ctx.profiles[t.profile];
            (
                p.windows.clone(),
                WindowsFrom::TierDefault {
                    profile: p.name.value.clone(),
                    tier,
                },
            )
        }
    };
    let min_rate = f.rate("min_rate", diags);
    if let Some(m) = &min_rate {
        if m.value <= rust_decimal::Decimal::ZERO {
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    m.span,
                    "`min_rate` must be more than zero",
                )
                .with_primary_label("low-traffic guard")
                .with_help("remove `min_rate` to alert at any traffic"),
            );
        }
    }
    let runbook = f.string("runbook", diags);
    let labels = label_map(&f, "labels", true, diags);
    let annotations = label_map(&f, "annotations", false, diags);
    let (true, Some(slo)) = (ok, slo) else {
        return None;
    };
    Some(Alert {
        name: Spanned::new(name.name.clone(), name.span),
        span: b.span,
        slo,
        windows,
        windows_from,
        min_rate,
        runbook,
        labels,
        annotations,
    })
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// A map of label or annotation names to strings, checking names as Prometheus would.
fn label_map(
    f: &Fields<'_>,
    key: &str,
    labels: bool,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in f.string_map(key, diags) {
        let valid = k
            .value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && k.value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    k.span,
                    format!(
                        "`{}` is not a valid Prometheus {} name",
                        k.value,
                        if labels { "label" } else { "annotation" }
                    ),
                )
                .with_primary_label("names match [a-zA-Z_][a-zA-Z0-9_]*"),
            );
            continue;
        }
        if labels && (RESERVED_LABELS.contains(&k.value.as_str()) || k.value.starts_with("__")) {
            diags.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    k.span,
                    format!("label `{}` is set by slogate", k.value),
                )
                .with_primary_label("reserved label")
                .with_help(format!(
                    "slogate sets {} on every alert; choose another name",
                    list(RESERVED_LABELS)
                )),
            );
            continue;
        }
        out.push((k.value, v.value));
    }
    out.sort();
    out
}

const CHECKS: Shape<'static> = Shape {
    keys: &["deny", "warn", "allow"],
    blocks: &[],
    statements: false,
};

/// `checks { allow = ["missing-pdb"] }`: per-service severity overrides, codes validated.
fn check_levels(b: &Block, diags: &mut Vec<Diagnostic>) -> Vec<(crate::diag::Code, CheckLevel)> {
    let f = Fields::new(b, &CHECKS, diags);
    let mut out = Vec::new();
    for (key, level) in [
        ("deny", CheckLevel::Deny),
        ("warn", CheckLevel::Warn),
        ("allow", CheckLevel::Allow),
    ] {
        for code in f.string_list(key, diags) {
            match crate::diag::Code::parse(&code.value) {
                Some(c) if c.is_hard() && level != CheckLevel::Deny => diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        code.span,
                        format!(
                            "`{}` is a hard error and cannot be set to `{key}`",
                            code.value
                        ),
                    )
                    .with_primary_label("a hard error")
                    .with_help(format!(
                        "{} always fail; fix the problem instead (`slogate explain` lists each code's class)",
                        crate::diag::HARD_KINDS
                    )),
                ),
                Some(c) => out.push((c, level)),
                None => diags.push(
                    Diagnostic::new(
                        Code::UnresolvedName,
                        code.span,
                        format!("unknown diagnostic code `{}`", code.value),
                    )
                    .with_primary_label("not a code")
                    .with_help(
                        did_you_mean(
                            &code.value,
                            crate::diag::Code::ALL.iter().map(|c| c.as_str()),
                        )
                        .unwrap_or_else(|| "`slogate explain` lists every code".to_string()),
                    ),
                ),
            }
        }
    }
    out
}
