//! Messages that guess intent: one fixture per message under tests/fixtures/messages/<case>/, with every
//! diagnostic it must produce (and nothing else: no cascades) written out here by hand — position worked out
//! from the fixture text, message and help as a reader should see them. The rendered output is a snapshot.

use crate::snap;
use crate::support::render;

/// (file, line, column, code, message, help or note).
type Expected = (
    &'static str,
    usize,
    usize,
    &'static str,
    &'static str,
    &'static str,
);

fn cases() -> Vec<(&'static str, Vec<Expected>)> {
    vec![
        ("ratio-objective", vec![(
            "policy.slo", 8, 54, "wrong-type",
            "expected a percentage for `objective`, found a number",
            "did you mean `99.9%`? `0.999` reads as a ratio, and `0.999%` would be less than 1%",
        )]),
        ("ratio-budget", vec![(
            "policy.slo", 10, 37, "wrong-type",
            "expected a percentage for `budget`, found a number",
            "`budget` is a share: did you mean `20%`? `0.2` reads as a ratio, and `0.2%` would be less than 1%",
        )]),
        ("latency-unit", vec![(
            "policy.slo", 6, 17, "wrong-type",
            "expected a duration for `under`, found a number",
            "latency thresholds are durations: did you mean `250ms`?",
        )]),
        // The SLO is dropped for its unit, and its SLI is not reported as unused on top.
        ("unit-case", vec![(
            "policy.slo", 8, 70, "wrong-type",
            "unknown unit `D` in `30D`",
            "units are lower-case: write `30d`",
        )]),
        ("typographic-quotes", vec![(
            "policy.slo", 2, 11, "syntax",
            "expected a value, found `“`",
            "`“` is a typographic quote (an editor or word processor replaced `\"`): write `\"team-api\"`",
        )]),
        ("yaml-file", vec![(
            "policy.slo", 4, 3, "syntax",
            "expected a value, found `-`",
            "note: this file looks like YAML; policies are written `service checkout { owner = \"team\" … }` (docs/language.md), and Kubernetes manifests belong in `.yaml` files",
        )]),
        ("calendar-window", vec![(
            "policy.slo", 8, 70, "invalid-value",
            "calendar windows are not supported yet: `1mo` is calendar time",
            "use a rolling window: `30d`",
        )]),
        ("fractional-duration", vec![(
            "policy.slo", 8, 70, "invalid-value",
            "durations are whole numbers, found `1.5d`",
            "write `36h`",
        )]),
        // Inside `burn(…)` too, and only once (the requirement does not add "expected a duration").
        ("fractional-burn-window", vec![(
            "policy.slo", 10, 32, "invalid-value",
            "durations are whole numbers, found `1.5h`",
            "write `90m`",
        )]),
        // payments.slo does not parse: its error comes first, and checkout's `depends = [payments]` is not
        // reported as an unknown service (payments is declared, its definition unreadable).
        ("root-cause-first", vec![
            (
                "payments.slo", 5, 20, "unclosed-delimiter",
                "unclosed `{` of `slo availability`",
                "add `}` where the block ends",
            ),
            (
                "checkout.slo", 5, 3, "unknown-key",
                "unknown key `colour` in `service checkout`",
                "the keys of a `service` block are: `owner`, `tier`, `workload`, `depends`, `soft_depends`, `description`",
            ),
        ]),
        ("soft-cycle", vec![(
            "policy.slo", 4, 14, "dependency-cycle",
            "dependency cycle: a → b → a",
            "`b` → `a` is already soft: soft dependencies still order deploys, so only removing a dependency breaks the cycle",
        )]),
        // The `(` of `sum(` is never closed: column 17, not the whole query.
        ("promql-unclosed", vec![(
            "policy.slo", 5, 17, "promql-syntax",
            "invalid PromQL: unclosed left parenthesis",
            "the query is parsed as PromQL after replacing `$window` with a range such as `5m`",
        )]),
        ("impossible-requirement", vec![(
            "policy.slo", 10, 37, "invalid-value",
            "`budget(availability) >= 120%` can never hold: the budget remaining is at most 100%",
            "a requirement that never holds denies every deploy; choose a threshold the metric can reach",
        )]),
        ("negative-canary", vec![(
            "policy.slo", 10, 32, "invalid-value",
            "a canary limit of `-1 * baseline` is below zero: error ratios never are, so every canary is denied",
            "write a factor of 1 or more, e.g. `1.1 * baseline` (at most 10% worse than the baseline)",
        )]),
    ]
}

#[test]
fn every_message_fixture_says_what_was_meant_and_nothing_else() {
    let dirs: Vec<String> = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/messages"),
    )
    .unwrap()
    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
    .collect();
    let cases = cases();
    for d in &dirs {
        assert!(
            cases.iter().any(|(c, _)| c == d),
            "fixture `{d}` has no expectations"
        );
    }
    for (dir, expected) in cases {
        let path = format!("tests/fixtures/messages/{dir}");
        let (human, json, _) = render(&path);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let got: Vec<(String, u64, u64, String, String, String)> = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let help = d["help"].as_str().map(str::to_string).unwrap_or_else(|| {
                    d["notes"][0]
                        .as_str()
                        .map(|n| format!("note: {n}"))
                        .unwrap_or_default()
                });
                (
                    d["file"]
                        .as_str()
                        .unwrap()
                        .trim_start_matches(&format!("{path}/"))
                        .to_string(),
                    d["line"].as_u64().unwrap(),
                    d["column"].as_u64().unwrap(),
                    d["code"].as_str().unwrap().to_string(),
                    d["message"].as_str().unwrap().to_string(),
                    help,
                )
            })
            .collect();
        let want: Vec<(String, u64, u64, String, String, String)> = expected
            .iter()
            .map(|(f, l, c, code, m, h)| {
                (
                    f.to_string(),
                    *l as u64,
                    *c as u64,
                    code.to_string(),
                    m.to_string(),
                    h.to_string(),
                )
            })
            .collect();
        assert_eq!(got, want, "fixture `{dir}`:\n{human}");
        snap!(format!("messages__{dir}__human"), human);
    }
}
