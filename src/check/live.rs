//! `check --prometheus URL`: the SLIs held against the series a real Prometheus has, so a metric typo, a label
//! typo or a threshold that is not a bucket bound fails `check` instead of making the SLO blind after the
//! deploy. For every SLI, over the lookback: each selector's metric exists (else the closest names it has), each
//! label matcher matches values the metric has (else the values, and the closest), the selector as a whole
//! matches series; a latency threshold is a bucket bound (else the bounds); the total counted events; good
//! events do not outnumber the total. Diagnostics point into the `.slo` file, at the selector or at `under`.
//!
//! Read-only and bounded: instant queries and label-value lookups only, through the same client as the gate.

use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::emit::queries::le_spellings;
use crate::model::promql::{fill, parse_guarded};
use crate::model::selectors::vector_selectors;
use crate::model::units::Duration;
use crate::model::{Model, Query, SliKind};
use crate::remote::{Client, RemoteError};
use crate::source::{SourceMap, Span};
use promql_parser::label::{MatchOp, Matcher};

/// What `check --prometheus` was asked: the connection and how far back series count as existing.
pub struct Live {
    pub connection: crate::remote::Options,
    pub lookback: Duration,
}

/// Most values listed in a message.
const LISTED: usize = 12;

/// `check --prometheus` on an analysis: the SLIs against the live series, added to its findings (with the same
/// overrides). Notes about the connection go to stderr.
/// Policies with errors are not queried (their SLIs may be wrong in ways the errors already say).
pub fn run(
    analysis: &mut crate::Analysis,
    live: &Live,
    levels: &[(crate::diag::Code, crate::model::CheckLevel)],
) -> Result<(), String> {
    if analysis.has_errors() {
        eprintln!("note: the policies have errors; the SLIs were not checked against Prometheus");
        return Ok(());
    }
    let mut notes = Vec::new();
    let client = crate::remote::Client::open(&live.connection, &mut notes);
    for n in &notes {
        eprintln!("{n}");
    }
    let client = client.map_err(|e| e.0)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let found = check(
        &analysis.model,
        &analysis.workspace.sources,
        &client,
        live.lookback,
        now,
    )
    .map_err(|e| format!("cannot check the SLIs against Prometheus: {e}"))?;
    let found = crate::check::levels::apply(found, &analysis.model, levels);
    analysis.diagnostics.extend(found);
    crate::diag::sort_and_dedup(&mut analysis.diagnostics);
    Ok(())
}

/// What the API answered, narrowed to what the checks read.
struct Api<'a> {
    client: &'a Client,
    at: String,
    start: String,
}

impl Api<'_> {
    fn json(&self, path: &str, params: &[(&str, &str)]) -> Result<serde_json::Value, RemoteError> {
        let r = self.client.get(path, params)?;
        let v: serde_json::Value = serde_json::from_str(&r.body).map_err(|_| {
            RemoteError(format!(
                "{} answered HTTP {} with something that is not the Prometheus API",
                self.client.url(),
                r.status
            ))
        })?;
        // A partial answer (a store or storage node did not respond) could hide the series that exist: no
        // verdict rather than a wrong "metric missing" or a wrong clean.
        let partial = v["isPartial"] == serde_json::Value::Bool(true)
            || v["warnings"].as_array().into_iter().flatten().any(|w| {
                w.as_str()
                    .is_some_and(|w| w.to_ascii_lowercase().contains("partial"))
            });
        if partial {
            return Err(RemoteError(format!(
                "{} answered partially (a store did not respond): the series it has cannot be told",
                self.client.url()
            )));
        }
        if v["status"] != "success" {
            return Err(RemoteError(format!(
                "{} refused `{}`: {}",
                self.client.url(),
                params.first().map_or("", |p| p.1),
                v["error"].as_str().unwrap_or("no error message")
            )));
        }
        Ok(v["data"].clone())
    }

    /// The single value of an instant query (`None` for no series).
    fn value(&self, q: &str) -> Result<Option<f64>, RemoteError> {
        let d = self.json("/api/v1/query", &[("query", q), ("time", &self.at)])?;
        Ok(d["result"][0]["value"][1]
            .as_str()
            .and_then(|s| s.parse().ok()))
    }

    /// The values `label` takes over the lookback, on series matching `selector`.
    fn label_values(&self, label: &str, selector: &str) -> Result<Vec<String>, RemoteError> {
        let d = self.json(
            &format!("/api/v1/label/{label}/values"),
            &[
                ("match[]", selector),
                ("start", &self.start),
                ("end", &self.at),
            ],
        )?;
        Ok(d.as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect())
    }
}

/// Checks every SLI of `model` against the API; `lookback` is how far back series count as existing.
pub fn check(
    model: &Model,
    sources: &SourceMap,
    client: &Client,
    lookback: Duration,
    now: u64,
) -> Result<Vec<Diagnostic>, RemoteError> {
    let api = Api {
        client,
        at: now.to_string(),
        start: now.saturating_sub(lookback.millis / 1000).to_string(),
    };
    let lb = lookback.to_string();
    let mut out = Vec::new();
    for s in &model.services {
        for sli in &s.slis {
            match &sli.kind {
                SliKind::Ratio {
                    events,
                    events_are_bad,
                    total,
                } => {
                    let mut fine = true;
                    for q in [events, total] {
                        fine &= selectors_exist(&api, sources, q, &lb, &mut out)?;
                    }
                    if fine {
                        let t = api.value(&fill(total.text.trim(), &lb))?;
                        if t.is_none_or(|t| t <= 0.0) {
                            out.push(no_events(total, &lb, &sli.name.value));
                        } else if !events_are_bad {
                            let g = api.value(&fill(events.text.trim(), &lb))?;
                            if let (Some(g), Some(t)) = (g, t) {
                                if g > t * (1.0 + 1e-9) {
                                    out.push(
                                        Diagnostic::new(
                                            Code::SliGoodExceedsTotal,
                                            events.span,
                                            format!(
                                                "over the last {lb}, SLI `{}` counts {:.4} times as many good events as events in total",
                                                sli.name.value,
                                                g / t
                                            ),
                                        )
                                        .with_primary_label("more good events than events")
                                        .with_label(total.span, "the total")
                                        .with_help("select the good events as a subset of the total's series (the same metric and labels, plus the condition)"),
                                    );
                                }
                            }
                        }
                    }
                }
                SliKind::Latency { histogram, under } => {
                    if !selectors_exist(&api, sources, histogram, &lb, &mut out)? {
                        continue;
                    }
                    let selector = histogram.text.trim();
                    let bounds = api.label_values("le", selector)?;
                    let wanted = le_spellings(under.value);
                    if !bounds.iter().any(|b| wanted.contains(b)) {
                        let mut listed: Vec<&String> = bounds.iter().collect();
                        listed.sort_by(|a, b| {
                            let f = |s: &str| s.parse::<f64>().unwrap_or(f64::INFINITY);
                            f(a).total_cmp(&f(b))
                        });
                        out.push(
                            Diagnostic::new(
                                Code::SliBucketMissing,
                                under.span,
                                format!(
                                    "`{selector}` has no bucket at {} (le=\"{}\"); its bounds are {}",
                                    under.value,
                                    wanted[0],
                                    list(listed.iter().map(|s| s.as_str()))
                                ),
                            )
                            .with_primary_label("not a bucket bound")
                            .with_help("set `under` to one of the histogram's bounds, or add this bound to the instrumentation"),
                        );
                        continue;
                    }
                    let count = format!(
                        "sum(increase({}[{lb}]))",
                        selector.replacen("_bucket", "_count", 1)
                    );
                    if api.value(&count)?.is_none_or(|t| t <= 0.0) {
                        out.push(no_events(histogram, &lb, &sli.name.value));
                    }
                }
            }
        }
    }
    Ok(out)
}

fn no_events(q: &Query, lb: &str, sli: &str) -> Diagnostic {
    Diagnostic::new(
        Code::SliNoEvents,
        q.span,
        format!("SLI `{sli}` counted no events over the last {lb}"),
    )
    .with_primary_label("no events")
    .with_help("its error ratio is undefined without traffic; check that the selector picks the serving instances")
}

/// `a, b, c` (at most [`LISTED`], then `…`), or "none".
fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let all: Vec<&str> = items.collect();
    if all.is_empty() {
        return "none".into();
    }
    let mut shown: Vec<String> = all.iter().take(LISTED).map(|s| format!("`{s}`")).collect();
    if all.len() > LISTED {
        shown.push(format!("… ({} in all)", all.len()));
    }
    shown.join(", ")
}

/// Checks the selectors of one query; `false` when one of them matches nothing (diagnostics pushed).
fn selectors_exist(
    api: &Api,
    sources: &SourceMap,
    q: &Query,
    lb: &str,
    out: &mut Vec<Diagnostic>,
) -> Result<bool, RemoteError> {
    let Ok(expr) = parse_guarded(&fill(q.text.trim(), "5m")) else {
        return Ok(true); // Policy checks report a query that does not parse.
    };
    let mut all = true;
    for vs in vector_selectors(&expr) {
        let Some(name) = vs.name.clone() else {
            continue;
        };
        let text = selector_text(&name, &vs.matchers.matchers);
        if api
            .value(&format!("count(last_over_time({text}[{lb}]))"))?
            .is_some()
        {
            continue;
        }
        all = false;
        let span = locate(sources, q, &name);
        let names = api.label_values(
            "__name__",
            &format!("{{__name__=~\"{}.*\"}}", first_word(&name)),
        )?;
        if !names.contains(&name) {
            let everything;
            let candidates: &[String] = if names.is_empty() {
                everything = api.label_values("__name__", "{__name__=~\".+\"}")?;
                &everything
            } else {
                &names
            };
            out.push(
                Diagnostic::new(
                    Code::SliMetricMissing,
                    span,
                    format!("no series of `{name}` over the last {lb}"),
                )
                .with_primary_label("not a metric this Prometheus has")
                .with_help_opt(did_you_mean(&name, candidates.iter().map(String::as_str))),
            );
            continue;
        }
        let mut blamed = false;
        // Only classic label names go into the URL path (a quoted UTF-8 name could hold `/` or `?`).
        let classic = |n: &str| {
            n.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        for m in vs
            .matchers
            .matchers
            .iter()
            .filter(|m| m.name != "__name__" && classic(&m.name))
        {
            let values = api.label_values(&m.name, &name)?;
            if values.iter().any(|v| m.is_match(v)) || (values.is_empty() && m.is_match("")) {
                continue;
            }
            blamed = true;
            let wanted = m.value.clone();
            let mut d = Diagnostic::new(
                Code::SliLabelMismatch,
                span,
                format!(
                    "`{}{}{:?}` matches none of the values of `{}` on `{name}`: {}",
                    m.name,
                    op(&m.op),
                    wanted,
                    m.name,
                    list(values.iter().map(String::as_str))
                ),
            )
            .with_primary_label(format!("no `{}` like this", m.name));
            if m.op == MatchOp::Equal {
                d = d.with_help_opt(did_you_mean(&wanted, values.iter().map(String::as_str)));
            }
            out.push(d);
        }
        if !blamed {
            out.push(
                Diagnostic::new(
                    Code::SliSeriesMissing,
                    span,
                    format!("no series matches `{text}` over the last {lb}, though each matcher alone matches some series of `{name}`"),
                )
                .with_primary_label("no such series"),
            );
        }
    }
    Ok(all)
}

fn op(m: &MatchOp) -> &'static str {
    match m {
        MatchOp::Equal => "=",
        MatchOp::NotEqual => "!=",
        MatchOp::Re(_) => "=~",
        MatchOp::NotRe(_) => "!~",
    }
}

/// The metric name up to its first `_`, escaped for a regular expression (to list similar names cheaply).
fn first_word(name: &str) -> String {
    name.split('_')
        .next()
        .unwrap_or(name)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ':')
        .collect()
}

/// `name{a="b",c=~"d"}` from a parsed selector.
fn selector_text(name: &str, matchers: &[Matcher]) -> String {
    let inner: Vec<String> = matchers
        .iter()
        .filter(|m| m.name != "__name__")
        .map(|m| format!("{}{}{:?}", m.name, op(&m.op), m.value))
        .collect();
    format!("{name}{{{}}}", inner.join(","))
}

/// Where `name` first appears in the query's literal (the whole literal when it cannot be found).
fn locate(sources: &SourceMap, q: &Query, name: &str) -> Span {
    let text = &sources.get(q.span.file).text;
    let (a, b) = (q.span.start as usize, (q.span.end as usize).min(text.len()));
    match text.get(a..b).and_then(|lit| lit.find(name)) {
        Some(i) => Span::new(q.span.file, a + i, a + i + name.len()),
        None => q.span,
    }
}
