//! `generated-rules-drift`: files in the repository that slogate generated must be what `slogate build`
//! produces now. The options each file was built with (format, label names, namespace and labels of
//! PrometheusRule objects) are read back from the file itself; the first line (which names the policy file
//! relative to where build was run) is not compared.

use crate::diag::{Code, Diagnostic};
use crate::emit::{self, Options, RuleFormat};
use crate::model::{Model, Service};
use crate::repo::k8s::string_map;
use crate::repo::manifests::{Generated, Inventory};
use std::path::Path;

/// What drift checking needs to know about the invocation.
pub struct DriftContext<'a> {
    /// The path `check` was given, for the command that fixes drift.
    pub root: &'a Path,
}

pub fn check(model: &Model, inv: &Inventory, ctx: &DriftContext<'_>) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for g in &inv.generated {
        let name = g
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (service, tests) = if let Some(s) = name.strip_suffix(".rules.yml") {
            (s, false)
        } else if let Some(s) = name.strip_suffix(".test.yml") {
            (s, true)
        } else {
            continue;
        };
        let dir = g.path.parent().unwrap_or(Path::new("."));
        let first_line =
            crate::source::Span::new(g.file, 0, g.text.find('\n').unwrap_or(g.text.len()));
        let Some(s) = model
            .services
            .iter()
            .find(|s| s.name.value == service && !s.slos.is_empty())
        else {
            diags.push(
                Diagnostic::new(
                    Code::GeneratedRulesDrift,
                    first_line,
                    format!(
                        "`{}` was generated for service `{service}`, which no longer exists",
                        g.path.display()
                    ),
                )
                .with_primary_label("stale generated file")
                .with_help(format!(
                    "run `slogate build {} -o {} --prune`",
                    ctx.root.display(),
                    dir.display()
                )),
            );
            continue;
        };
        let mut opts = options_of(g, tests);
        // Rebuilding one file must not drop its sibling tests: suggest `--tests` when they were generated too.
        let tests_too = inv.generated.iter().any(|o| {
            o.path.parent() == Some(dir) && o.path.to_string_lossy().ends_with(".test.yml")
        });
        let expected = build_one(s, &opts, &name);
        let same = expected.as_deref().map(body) == Some(body(&g.text));
        if same {
            continue;
        }
        let line = first_difference(body(&g.text), expected.as_deref().map(body).unwrap_or(""));
        let at = nth_line_span(g, line + 1);
        diags.push(
            Diagnostic::new(
                Code::GeneratedRulesDrift,
                at,
                format!(
                    "`{}` is out of date with the policy of service `{service}`",
                    g.path.display()
                ),
            )
            .with_primary_label("first difference from what `slogate build` generates now")
            .with_label(s.name.span, "generated from this service")
            .with_help({
                opts.tests |= tests_too;
                format!(
                    "run `slogate build {} -o {}{}`",
                    ctx.root.display(),
                    dir.display(),
                    flags(&opts)
                )
            }),
        );
    }
    diags
}

/// The options a generated file was built with, read from its contents.
fn options_of(g: &Generated, tests: bool) -> Options {
    let mut opts = Options {
        tests,
        sloth_labels: g.text.contains("sloth_id"),
        ..Options::default()
    };
    if !tests && g.text.contains("\nkind: PrometheusRule") {
        opts.format = RuleFormat::PrometheusOperator;
        let body = body(&g.text);
        if let Ok(v) = serde_yaml::from_str::<serde_yaml::Value>(body) {
            let meta = v.get("metadata");
            opts.namespace = meta
                .and_then(|m| m.get("namespace"))
                .and_then(|n| n.as_str())
                .map(str::to_string);
            let labels = meta
                .and_then(|m| m.get("labels"))
                .map(string_map)
                .unwrap_or_default();
            opts.object_labels = labels
                .into_iter()
                .filter(|(k, _)| k != "app.kubernetes.io/managed-by" && k != "slogate.dev/service")
                .collect();
        }
    }
    opts
}

fn flags(o: &Options) -> String {
    let mut f = String::new();
    if o.format == RuleFormat::PrometheusOperator {
        f.push_str(" --format prometheus-operator");
        if let Some(ns) = &o.namespace {
            f.push_str(&format!(" --namespace {ns}"));
        }
        for (k, v) in &o.object_labels {
            f.push_str(&format!(" --label {k}={v}"));
        }
    }
    if o.tests {
        f.push_str(" --tests");
    }
    if o.sloth_labels {
        f.push_str(" --sloth-labels");
    }
    f
}

/// What `slogate build` generates now for one service's file.
fn build_one(s: &Service, opts: &Options, name: &str) -> Option<String> {
    let one = Model {
        services: vec![s.clone()],
        profiles: Vec::new(),
        tiers: Vec::new(),
        unparsed: Default::default(),
    };
    let files = emit::build(&one, &|_| String::new(), opts);
    files
        .into_iter()
        .find(|f| f.name == name)
        .map(|f| f.contents)
}

/// Everything after the first line.
fn body(text: &str) -> &str {
    text.split_once('\n').map_or("", |(_, rest)| rest)
}

/// Index of the first line where two texts differ.
fn first_difference(a: &str, b: &str) -> usize {
    a.lines().zip(b.lines()).take_while(|(x, y)| x == y).count()
}

/// The span of 1-based line `n` of a generated file (clamped to the last line).
fn nth_line_span(g: &Generated, n: usize) -> crate::source::Span {
    let mut start = 0;
    for (i, line) in g.text.split_inclusive('\n').enumerate() {
        if i == n {
            let len = line.trim_end_matches(['\n', '\r']).len();
            return crate::source::Span::new(g.file, start, start + len);
        }
        start += line.len();
    }
    crate::source::Span::new(g.file, 0, 0)
}
