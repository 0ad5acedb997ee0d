//! Lowering of `gate` blocks (requirements, freezes, canary) and `toil` blocks.

use super::fields::{duration_of, list, Fields, Shape};
use super::service::{resolve, unresolved, Known};
use super::types::*;
use super::units::Duration;
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::syntax::ast::{self, Block, Entry, Matcher, ValueKind};
use rust_decimal::Decimal;

const GATE: Shape<'static> = Shape {
    keys: &["description"],
    blocks: &["canary"],
    statements: true,
};

/// The metrics a condition may use: name, arguments, whether the threshold is a percentage.
const METRICS: &[(&str, &str, bool)] = &[
    ("budget", "(slo)", true),
    ("burn", "(slo, window)", false),
    ("error_ratio", "(slo, window)", true),
    ("toil", "", true),
    ("automation", "", true),
    ("change_failure_rate", "", true),
    ("deploys", "(window)", false),
    ("dependency_budget", "", true),
];

pub fn gate(
    b: &Block,
    name: &ast::Ident,
    slis: &[Sli],
    slos: &[Slo],
    known: &Known,
    diags: &mut Vec<Diagnostic>,
) -> Gate {
    let f = Fields::new(b, &GATE, diags);
    let _ = f.string("description", diags);
    let mut requires = Vec::new();
    let mut freezes = Vec::new();
    for e in &b.entries {
        match e {
            Entry::Require(r) => requires.extend(condition(&r.condition, slos, known, diags)),
            Entry::Freeze(fz) => {
                let Some(when) = condition(&fz.condition, slos, known, diags) else {
                    continue;
                };
                let mut except = Vec::new();
                for x in &fz.except {
                    match x.name.as_str() {
                        "rollback" => except.push(FreezeException::Rollback),
                        "reliability_fix" => except.push(FreezeException::ReliabilityFix),
                        other => diags.push(
                            Diagnostic::new(
                                Code::UnresolvedName,
                                x.span,
                                format!("unknown freeze exception `{other}`"),
                            )
                            .with_primary_label("not an exception")
                            .with_help(
                                did_you_mean(other, ["rollback", "reliability_fix"])
                                    .unwrap_or_else(|| {
                                        "exceptions are `rollback` and `reliability_fix`".into()
                                    }),
                            ),
                        ),
                    }
                }
                freezes.push(Freeze {
                    when,
                    except,
                    span: fz.span,
                });
            }
            _ => {}
        }
    }
    let mut canaries = f.blocks("canary");
    let canary = canaries.next().and_then(|c| canary(c, slis, known, diags));
    for extra in canaries {
        diags.push(
            Diagnostic::new(
                Code::DuplicateName,
                extra.kind.span,
                "a gate has at most one `canary` block",
            )
            .with_primary_label("second `canary` block"),
        );
    }
    if requires.is_empty() && freezes.is_empty() && canary.is_none() && !has_statements(b) {
        diags.push(
            Diagnostic::new(
                Code::MissingKey,
                name.span,
                format!("gate `{}` checks nothing", name.name),
            )
            .with_primary_label("empty gate")
            .with_help(
                "add `require budget(availability) > 0%`, a `freeze when …` or a `canary { … }`",
            ),
        );
    }
    Gate {
        name: Spanned::new(name.name.clone(), name.span),
        span: b.span,
        requires,
        freezes,
        canary,
    }
}

fn has_statements(b: &Block) -> bool {
    b.entries
        .iter()
        .any(|e| matches!(e, Entry::Require(_) | Entry::Freeze(_) | Entry::Block(_)))
}

fn condition(
    c: &ast::Condition,
    slos: &[Slo],
    known: &Known,
    diags: &mut Vec<Diagnostic>,
) -> Option<Condition> {
    let name = c.metric.name.as_str();
    let Some(&(_, signature, is_percent)) = METRICS.iter().find(|(m, _, _)| *m == name) else {
        let names: Vec<&str> = METRICS.iter().map(|(m, _, _)| *m).collect();
        diags.push(
            Diagnostic::new(
                Code::UnresolvedName,
                c.metric.span,
                format!("unknown metric `{name}`"),
            )
            .with_primary_label("not a gate metric")
            .with_help(
                did_you_mean(name, names.iter().copied())
                    .unwrap_or_else(|| format!("gate metrics: {}", list(&names))),
            ),
        );
        return None;
    };
    let args: &[ast::Value] = c.args.as_deref().unwrap_or(&[]);
    let arity = if signature.is_empty() {
        0
    } else {
        signature.matches(',').count() + 1
    };
    if args.len() != arity || (arity == 0 && c.args.is_some()) {
        let usage = format!("{name}{signature}");
        diags.push(
            Diagnostic::new(
                Code::WrongType,
                c.metric
                    .span
                    .to(args.last().map_or(c.metric.span, |a| a.span)),
                format!(
                    "`{name}` takes {}, found {}",
                    describe_arity(arity),
                    args.len()
                ),
            )
            .with_primary_label(format!("write `{usage}`"))
            .with_help(format!("usage: `require {usage} …`")),
        );
        return None;
    }
    let slo_arg = |i: usize, diags: &mut Vec<Diagnostic>| -> Option<usize> {
        let a = &args[i];
        match &a.kind {
            ValueKind::Ident(s) => {
                let names: Vec<&str> = slos.iter().map(|x| x.name.value.as_str()).collect();
                resolve(
                    "SLO",
                    &Spanned::new(s.clone(), a.span),
                    &names,
                    &known.slos,
                    diags,
                )
            }
            _ => {
                diags.push(super::fields::wrong_type("the SLO argument", "a name", a));
                None
            }
        }
    };
    let window_arg = |i: usize, diags: &mut Vec<Diagnostic>| -> Option<Duration> {
        let a = &args[i];
        let d = duration_of(a).filter(|d| d.millis > 0);
        // A value the parser refused (`1.5h`) is reported already.
        if d.is_none() && !matches!(a.kind, ValueKind::Invalid) {
            diags.push(super::fields::wrong_type(
                "the window argument",
                "a duration",
                a,
            ));
        }
        d
    };
    let metric = match name {
        "budget" => Metric::Budget {
            slo: slo_arg(0, diags)?,
        },
        "burn" => {
            let slo = slo_arg(0, diags);
            let window = window_arg(1, diags)?;
            Metric::Burn { slo: slo?, window }
        }
        "error_ratio" => {
            let slo = slo_arg(0, diags);
            let window = window_arg(1, diags)?;
            Metric::ErrorRatio { slo: slo?, window }
        }
        "toil" => Metric::Toil,
        "automation" => Metric::Automation,
        "change_failure_rate" => Metric::ChangeFailureRate,
        "deploys" => Metric::Deploys {
            window: window_arg(0, diags)?,
        },
        _ => Metric::DependencyBudget,
    };
    let threshold = match (&c.value.kind, is_percent) {
        (ValueKind::Percent(p), true) => *p / Decimal::ONE_HUNDRED,
        (ValueKind::Number(n), false) => *n,
        (ValueKind::Invalid, _) => return None,
        (_, true) => {
            diags.push(
                super::fields::wrong_type(name, "a percentage", &c.value).with_help(
                    match &c.value.kind {
                        ValueKind::Number(n) => format!(
                            "`{name}` is a share: {}",
                            super::intent::percent_for_number(*n)
                        ),
                        _ => format!("`{name}` is compared with a percentage such as `25%`"),
                    },
                ),
            );
            return None;
        }
        (_, false) => {
            diags.push(
                super::fields::wrong_type(name, "a number", &c.value).with_help(
                    match &c.value.kind {
                        ValueKind::Percent(p) => {
                            format!("`{name}` is a plain number: write `{}`", p.normalize())
                        }
                        _ => format!("`{name}` is compared with a plain number such as `2`"),
                    },
                ),
            );
            return None;
        }
    };
    let shown = match &c.value.kind {
        ValueKind::Percent(p) => format!("{}%", p.normalize()),
        _ => threshold.normalize().to_string(),
    };
    let written = super::feasible::metric_text(name, c.args.as_deref());
    if let Some(d) =
        super::feasible::condition(&metric, &written, c.op, threshold, &shown, c.value.span)
    {
        diags.push(d);
        return None;
    }
    Some(Condition {
        metric,
        op: c.op,
        threshold,
        span: c.span,
    })
}

fn describe_arity(n: usize) -> String {
    match n {
        0 => "no arguments".into(),
        1 => "one argument".into(),
        n => format!("{n} arguments"),
    }
}

const CANARY: Shape<'static> = Shape {
    keys: &["sli", "max_error_ratio", "over", "canary", "baseline"],
    blocks: &[],
    statements: false,
};

fn canary(b: &Block, slis: &[Sli], known: &Known, diags: &mut Vec<Diagnostic>) -> Option<Canary> {
    let f = Fields::new(b, &CANARY, diags);
    let ratio_slis: Vec<usize> = (0..slis.len())
        .filter(|&i| matches!(slis[i].kind, SliKind::Ratio { .. }))
        .collect();
    let sli = match f.ident("sli", diags) {
        Some(r) => match slis.iter().position(|s| s.name.value == r.value) {
            Some(i) if ratio_slis.contains(&i) => Some(i),
            Some(_) => {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        r.span,
                        format!("SLI `{}` is a latency SLI", r.value),
                    )
                    .with_primary_label("canary analysis compares error ratios")
                    .with_help("name a ratio SLI (`good`/`bad` + `total`)"),
                );
                None
            }
            None => {
                diags.extend(unresolved(
                    "SLI",
                    &r,
                    slis.iter().map(|s| s.name.value.as_str()),
                    &known.slis,
                ));
                None
            }
        },
        None if f.has("sli") => None,
        None => match ratio_slis.as_slice() {
            [only] => Some(*only),
            _ => {
                diags.push(
                    Diagnostic::new(
                        Code::MissingKey,
                        b.kind.span,
                        "`canary` needs `sli`: which error ratio to compare",
                    )
                    .with_primary_label("no single ratio SLI to default to")
                    .with_help("add `sli = availability`"),
                );
                None
            }
        },
    };
    let ok = f.require("max_error_ratio", "1.1 * baseline", diags);
    let limit = f.value("max_error_ratio").and_then(|v| match &v.kind {
        ValueKind::Relative { factor, base } if base.name == "baseline" => {
            Some(CanaryLimit::RelativeToBaseline(*factor))
        }
        ValueKind::Relative { base, .. } => {
            diags.push(
                Diagnostic::new(
                    Code::UnresolvedName,
                    base.span,
                    format!("unknown reference `{}`", base.name),
                )
                .with_primary_label("expected `baseline`")
                .with_help("write `max_error_ratio = 1.1 * baseline`"),
            );
            None
        }
        ValueKind::Percent(p) => Some(CanaryLimit::Absolute(*p / Decimal::ONE_HUNDRED)),
        _ => {
            diags.push(
                super::fields::wrong_type(
                    "max_error_ratio",
                    "`factor * baseline` or a percentage",
                    v,
                )
                .with_help("e.g. `1.1 * baseline` (at most 10% worse than the baseline) or `0.5%`"),
            );
            None
        }
    });
    let over = f
        .duration("over", diags)
        .map_or(Duration::minutes(10), |d| d.value);
    let selector = |key: &str, default: &str, diags: &mut Vec<Diagnostic>| {
        f.string(key, diags)
            .map_or(default.to_string(), |s| s.value)
    };
    let canary_selector = selector("canary", "track=\"canary\"", diags);
    let baseline_selector = selector("baseline", "track=\"stable\"", diags);
    let (true, Some(sli), Some(max_error_ratio)) = (ok, sli, limit) else {
        return None;
    };
    if let Some(d) = f
        .value("max_error_ratio")
        .and_then(|v| super::feasible::canary_limit(&max_error_ratio, v.span))
    {
        diags.push(d);
        return None;
    }
    Some(Canary {
        sli,
        max_error_ratio,
        over,
        canary_selector,
        baseline_selector,
        span: b.span,
    })
}

const TOIL: Shape<'static> = Shape {
    keys: &["window", "bots", "manual"],
    blocks: &[],
    statements: false,
};

/// Default window over which toil and delivery facts are measured.
pub const DEFAULT_TOIL_WINDOW: Duration = Duration::days(90);

pub fn toil(b: &Block, diags: &mut Vec<Diagnostic>) -> Toil {
    let f = Fields::new(b, &TOIL, diags);
    let window = f
        .duration("window", diags)
        .map_or(DEFAULT_TOIL_WINDOW, |d| d.value);
    let bots = f
        .string_list("bots", diags)
        .into_iter()
        .map(|s| s.value)
        .collect();
    let mut manual = Vec::new();
    for m in f.classifier("manual", diags).unwrap_or(&[]) {
        match m {
            Matcher::Trailer(s) => match s.value.split_once(':') {
                Some((k, v)) if !k.trim().is_empty() => manual.push(ToilMatcher::Trailer {
                    key: k.trim().to_string(),
                    value: v.trim().to_string(),
                }),
                _ => diags.push(
                    Diagnostic::new(Code::InvalidValue, s.span, "a trailer is written `\"Key: value\"`")
                        .with_primary_label("no `Key:` here")
                        .with_help("e.g. `trailer \"Toil: yes\"`"),
                ),
            },
            Matcher::Field { field, pattern } => match regex::Regex::new(&pattern.value) {
                Ok(re) => manual.push(match field.name.as_str() {
                    "message" => ToilMatcher::Message(re),
                    "author" => ToilMatcher::Author(re),
                    _ => ToilMatcher::Path(re),
                }),
                Err(e) => diags.push(
                    Diagnostic::new(Code::InvalidValue, pattern.span, "invalid regular expression")
                        .with_primary_label(first_line(&e.to_string()))
                        .with_help("patterns use Rust regex syntax (like RE2); `\\d` needs no double escaping here"),
                ),
            },
        }
    }
    Toil {
        span: b.span,
        window,
        bots,
        manual,
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .rev()
        .find(|l| l.starts_with("error:"))
        .unwrap_or(s.lines().next().unwrap_or(""))
        .to_string()
}
