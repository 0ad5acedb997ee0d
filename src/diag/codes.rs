//! The registry of diagnostic codes.
//!
//! Codes are stable, kebab-case identifiers: tools and people filter on them, so renaming one is a breaking
//! change (a snapshot test of [`Code::ALL`] makes it visible). Each code has a default severity, a one-line
//! summary and an explanation printed by `slogate explain CODE` and collected in docs/diagnostics.md.

use super::Severity;

macro_rules! codes {
    ($( $variant:ident = $name:literal, $sev:ident, $summary:literal, $explain:literal; )*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( $variant, )* }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $name, )* }
            }

            pub fn default_severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }

            pub fn summary(self) -> &'static str {
                match self { $( Code::$variant => $summary, )* }
            }

            pub fn explanation(self) -> &'static str {
                match self { $( Code::$variant => $explain, )* }
            }
        }
    };
}

codes! {
    Syntax = "syntax", Error,
        "the file does not follow the grammar of the policy language",
        "The parser could not read the file. The message says what it expected and what it found, at the exact
line and column. Common causes: `key: value` instead of `key = value`, a missing value after `=`, a stray
token inside a block, an unterminated string or PromQL query.

    slo availability { sli: availability }     # wrong
    slo availability { sli = availability }    # right

Only the first syntax error of a file is reported; the file's other checks run once it parses.";

    UnclosedDelimiter = "unclosed-delimiter", Error,
        "a `{`, `[` or `(` is never closed, or a closing one has no opening",
        "Braces, brackets and parentheses must balance. For an unclosed `{` the diagnostic points at the opening
brace and the block it belongs to, which is usually far more useful than the end of the file, where the parser
notices.";

    NestingTooDeep = "nesting-too-deep", Error,
        "blocks or lists are nested deeper than the language allows",
        "Policies need a handful of nesting levels (service → gate → canary). More than 64 levels is refused
before parsing, so that hostile or generated input cannot exhaust the stack.";

    InvalidEncoding = "invalid-encoding", Error,
        "the file is not valid UTF-8",
        "Policy files must be UTF-8. The diagnostic points at the first byte that is not. Re-save the file as
UTF-8 (most editors have an option), or remove it if it is not a policy at all.";

    FileTooLarge = "file-too-large", Error,
        "the file is larger than the size limit for policy files",
        "Policy files over 8 MiB are not parsed: no real policy is that large, and refusing keeps `check` fast and
bounded on hostile input. Split the policy into several files.";

    UnknownBlock = "unknown-block", Error,
        "a block whose kind the language does not have in this place",
        "Each place allows certain blocks: at the top level `service`, `profile` and `tier`; inside a service `sli`,
`slo`, `alert`, `gate` and `toil`; inside a gate `canary`; inside a profile or an alert `page` and `ticket`.
A misspelt block kind comes with a suggestion.";

    UnknownKey = "unknown-key", Error,
        "an attribute the block does not have",
        "Every block has a fixed set of keys; unknown keys are errors, not silently ignored (a misspelt `runbok`
would otherwise leave a page without a runbook). The diagnostic suggests the closest key and lists the others.";

    MissingKey = "missing-key", Error,
        "a required attribute is absent",
        "Some keys are required: an SLO needs `sli`, `objective` and `window`; a ratio SLI needs `total` and one of
`good` or `bad`; an alert needs `slo`. The diagnostic points at the block and names the missing key.";

    DuplicateKey = "duplicate-key", Error,
        "the same attribute is set twice in one block",
        "A key may appear once per block. Both places are shown; remove one.";

    WrongType = "wrong-type", Error,
        "a value of the wrong kind or unit",
        "Values are typed: durations (`5m`, `1h`, `30d`, `4w`), percentages (`99.9%`), rates (`1/s`, `30/m`), numbers,
strings, PromQL in backticks, names, lists and maps. The diagnostic says which kind was expected and which was
found, and how to write it, e.g. `objective = 99.9` → `objective = 99.9%`.";

    InvalidValue = "invalid-value", Error,
        "a value of the right kind that is not allowed",
        "The value has the right type but is out of range or malformed: a tier other than 1, 2 or 3, a duration of
zero, a short burn window not shorter than its long window, a regular expression that does not compile, a label
name Prometheus would reject, a fractional duration.";

    NumberTooLarge = "number-too-large", Error,
        "a number is larger than any policy needs",
        "Numbers in policies (objectives, factors, rates, thresholds) are exact decimals. Their magnitude is limited
to 10^15, and durations to 100 years (`36500d`): every real policy is far inside, and the bound guarantees that
no computation on them (burn thresholds, rates per second, window ratios) can overflow the exact decimal type.
Metrics figures read by the gate are held to the same bound.";

    UnresolvedName = "unresolved-name", Error,
        "a reference to a service, SLI, SLO, profile or metric that does not exist",
        "References are checked: `slo = availabilty` in an alert, `depends = [paymnets]`, `profile = mwnb`. The
diagnostic suggests the closest existing name. Profiles from the built-in library (`slogate explain profiles`
lists them) are always visible; profiles from another file of the repository must be imported with `use`.";

    DuplicateName = "duplicate-name", Error,
        "two definitions share a name",
        "Service names are global; SLI, SLO, alert and gate names are unique within their service; profile names
are unique and may not shadow a built-in profile. Both definitions are shown.";

    UnresolvedImport = "unresolved-import", Error,
        "a `use` names a file that cannot be read",
        "`use \"path.slo\"` is resolved relative to the file that contains it. The file must exist, be a policy file
and lie inside the checked directory. Only `.slo` files are ever read by `use`: naming any other file is this
error, and the file is not opened.";

    ImportOutsideRoot = "import-outside-root", Error,
        "a `use` leads outside the policy root",
        "Imports are confined to the policy root: the directory given to slogate, or the repository around it
when it lies inside a git repository. An absolute path (`use \"/etc/profiles.slo\"`), a `..` that climbs above
the root, or a symbolic link whose target lies outside it is refused at the `use` line, and the file is never
opened: policies come from pull requests, and slogate runs next to CI secrets, so an import must not be a way to
read (and print) files such as `/proc/self/environ`. Copy the profile into the repository and import it with a
relative path.";

    NameCollision = "name-collision", Error,
        "two definitions would be emitted under the same Prometheus name",
        "Emitted names are derived from policy names: alerts are `<Service><Alert>ErrorBudgetBurn` and
`<Service><Sli>SLIAbsent` with `-` and `_` both read as word breaks, and an SLO's id (its `slo_id` label and rule
group `slogate-<service>-<slo>`) joins the service and SLO names with `-`. Alerts `a-b` and `a_b` of one service,
or service `shop-api` with SLO `latency` next to service `shop` with SLO `api-latency`, are different in the policy
but one name in Prometheus: duplicate alerts, two recording rules writing the same series, clashing groups. Both
definitions are shown; rename one.";

    PromqlSyntax = "promql-syntax", Error,
        "embedded PromQL does not parse",
        "SLI queries are parsed as PromQL after replacing `$window` with a sample window. The diagnostic points at
the line and column inside the `.slo` file where the PromQL parser failed.";

    QueryTooComplex = "query-too-complex", Error,
        "embedded PromQL is over the size, nesting or operator limit",
        "SLI queries are checked with a PromQL parser whose stack use and running time are not bounded on their
own, and policies come from pull requests. So a query is refused before parsing when it is longer than 4096 bytes,
nests `(`, `[` and `{` deeper than 32 levels, or has more than 128 operators (arithmetic, comparison, `and`, `or`,
`unless`, unary signs). Real SLI queries are far smaller; a complex expression belongs in a recording rule whose
result the SLI selects.";

    MissingWindowPlaceholder = "missing-window-placeholder", Error,
        "a ratio SLI query has no `$window` placeholder",
        "slogate evaluates every SLI over several windows (5m, 1h, 30d…), so a ratio SLI's queries must use `$window`
where the range goes: `sum(rate(http_requests_total{job=\"api\"}[$window]))`. A fixed range such as `[5m]` would
make every window the same.";

    InvalidHistogram = "invalid-histogram", Error,
        "a latency SLI's histogram is not a bucket selector",
        "A latency SLI is computed from a Prometheus histogram: `histogram` must be a plain series selector of a
`_bucket` metric, without a range or functions, e.g. `http_request_duration_seconds_bucket{job=\"api\"}`.
slogate derives the `_count` series and the `le` bucket from it.";

    DependencyCycle = "dependency-cycle", Error,
        "services depend on each other in a cycle",
        "A cycle in `depends` means no service in it can be more available than the others and deploy order is
undefined. The whole cycle is printed, with each edge labelled where it is declared.";

    ObjectiveOutOfRange = "objective-out-of-range", Error,
        "an objective that is not strictly between 0% and 100%",
        "An objective of 100% leaves no error budget (every alert threshold is zero and every deploy is frozen);
0% or less, or more than 100%, means nothing. Use a value such as 99.9%.";

    AlertWindowExceedsSlo = "alert-window-exceeds-slo", Error,
        "an alert's burn window is longer than the SLO window",
        "A burn-rate window longer than the SLO window measures errors the SLO no longer counts. Shorten the alert
window, use a profile made for short SLO windows, or lengthen the SLO window.";

    BurnNeverFires = "burn-never-fires", Error,
        "a burn-rate threshold that the error ratio can never exceed",
        "An alert fires when the error ratio exceeds factor × error budget. When that product is 1 or more the
error ratio (at most 1) can never exceed it, so the alert is dead. Typical cause: a 14.4× page on a 90% SLO
(14.4 × 0.1 = 1.44). Use lower factors or a tighter objective.";

    PageWithoutRunbook = "page-without-runbook", Error,
        "an alert that pages has no runbook",
        "Only actionable alerts should page, and a page needs a runbook the responder can open. Set
`runbook = \"https://...\"` on the alert, or use a profile without page windows.";

    UnusedSli = "unused-sli", Warning,
        "an SLI that no SLO uses",
        "An SLI no SLO refers to produces no rules and no alerts. Use it in an SLO or remove it.";

    IdenticalGoodTotal = "identical-good-total", Error,
        "a ratio SLI whose good and total queries are the same",
        "With identical `good` and `total` the ratio is always 1 (or, with `bad`, always an error ratio of 1): the
SLI measures nothing. Usually a filter such as `code!~\"5..\"` was forgotten in `good`.";

    InfeasibleObjective = "infeasible-objective", Warning,
        "a service promises more availability than its hard dependencies allow",
        "If a service needs each of its hard dependencies to serve a request, its availability cannot exceed the
product of their availabilities. The warning shows the dependency paths and the product. Make a dependency soft
(`soft_depends`), add redundancy, or lower the objective.";

    WorkloadNotFound = "workload-not-found", Error,
        "the workload a service names is not in the manifests",
        "`workload = kind/namespace/name` must name a workload in the repository's Kubernetes manifests (kind
matched case-insensitively, namespace `default` when omitted, as kubectl does). The diagnostic suggests near
misses: the same name in another namespace, another kind, or a similar name. Run with `--no-manifests` when the
manifests live elsewhere.";

    WorkloadNotScraped = "workload-not-scraped", Error,
        "an SLO'd workload is not scraped by Prometheus",
        "An SLO is only as good as its metrics. The workload must be scraped: a ServiceMonitor selecting a Service
that selects the workload's pods (label selectors with their real semantics, namespaceSelector included), a
PodMonitor selecting the pods, or `prometheus.io/scrape: \"true\"` on the pod template.";

    MissingReadinessProbe = "missing-readiness-probe", Error,
        "a container of a tiered workload has no readiness probe",
        "Without a readiness probe, traffic reaches pods that are not ready, which burns error budget on every
deploy. Severity follows the service's tier (tier 1 error, tier 2 warning, tier 3 off by default); override with
`checks { … }` in the service or `--deny`/`--warn`/`--allow`.";

    TooFewReplicas = "too-few-replicas", Error,
        "a tiered workload runs fewer than 2 replicas",
        "One replica means every node drain, eviction or crash is an outage. `spec.replicas` must be at least 2,
or a HorizontalPodAutoscaler targeting the workload must have `minReplicas` of at least 2 (unset replicas without
an HPA means 1). Severity follows the tier.";

    MissingPdb = "missing-pdb", Error,
        "no PodDisruptionBudget selects a tiered workload's pods",
        "Without a PodDisruptionBudget, a node drain may evict every replica at once. Add a `policy/v1`
PodDisruptionBudget in the workload's namespace whose selector matches its pod template labels. Severity follows
the tier.";

    PdbBlocksEviction = "pdb-blocks-eviction", Error,
        "a PodDisruptionBudget that can never allow an eviction",
        "`minAvailable` equal to or above the replica count (or `100%`), or `maxUnavailable: 0`, blocks every
voluntary eviction: node drains hang and cluster upgrades stall. Leave room for at least one pod to go.
Severity follows the tier.";

    MissingResourceRequests = "missing-resource-requests", Error,
        "a container of a tiered workload has no resource requests",
        "Without `resources.requests` the scheduler packs pods blindly and the container is first to be evicted
under pressure. Set cpu and memory requests. Severity follows the tier.";

    MissingCanaryMechanism = "missing-canary-mechanism", Error,
        "a service with a canary gate has no canary mechanism",
        "A `canary { … }` requirement can only be evaluated if releases are canaries: an Argo Rollouts `Rollout`
with `spec.strategy.canary.steps` for the workload (or referencing it through `workloadRef`), or a Flagger
`Canary` whose `targetRef` is the workload.";

    GeneratedRulesDrift = "generated-rules-drift", Error,
        "committed generated rules differ from what `slogate build` produces now",
        "A file slogate generated (it starts with `# Generated by slogate`) no longer matches the policies: a
policy changed without rebuilding, or the file was edited by hand. The diagnostic gives the command that
regenerates it. Files of services that no longer exist are reported too.";

    ManifestSkipped = "manifest-skipped", Info,
        "a YAML file or document that is not a checkable Kubernetes object",
        "Listed for completeness, never fatal: YAML that is not a Kubernetes object, Helm
templates (`{{ … }}`), unparsable YAML (including alias bombs and excessive nesting), files that are not UTF-8
and files over 4 MiB. Shown with `--verbose` and in JSON output.";

    KustomizeUnrendered = "kustomize-unrendered", Warning,
        "a kustomization that slogate cannot render faithfully",
        "slogate renders Kustomize natively (docs/manifests.md lists the supported subset) and checks the rendered
objects. What it cannot render is named with the file and line instead of being skipped silently: remote bases
(never fetched), `helmCharts`, `replacements`, `vars` and plugins; references that leave the repository
(absolute paths, `..` past the root, symlinks out); kustomizations that include each other in a cycle or nest
deeper than 32 levels; missing files; patches that match nothing or fail; and the same object defined twice in
one kustomization (both places are reported). The checks then read the objects without that part: fix it, or
vendor the remote base or Helm output into the repository.";

    ServiceRemoved = "service-removed", Review,
        "a service with a policy was removed",
        "Between the base revision and this change a `service` block disappeared: its SLOs, alerts and gates no
longer exist. Reported for review (with the base revision's span); fails only with `--deny review`.";

    SloRemoved = "slo-removed", Review,
        "an SLO was removed",
        "An SLO that existed at the base revision is gone, and with it its alerts and its error budget. Reported
for review with the base revision's span.";

    ObjectiveLowered = "objective-lowered", Review,
        "an SLO's objective was lowered",
        "The change promises less: the objective at the head is lower than at the base (both values and both spans
are shown). Often right, but it should be a reviewed decision.";

    WindowShortened = "window-shortened", Review,
        "an SLO's window was shortened",
        "A shorter SLO window forgives incidents sooner and changes every burn threshold derived from it.";

    SliChanged = "sli-changed", Review,
        "an SLO's SLI queries changed",
        "New SLI queries produce new recorded series: the error-ratio history behind the SLO starts again, and
budgets are computed from a different definition of a good event.";

    AlertRemoved = "alert-removed", Review,
        "an alert was removed",
        "An alert that existed at the base revision is gone: burns of its SLO no longer page or open tickets.";

    AlertDowngraded = "alert-downgraded", Review,
        "an alert no longer pages",
        "At the base revision the alert had page windows; now it only opens tickets (or nothing).";

    RunbookRemoved = "runbook-removed", Review,
        "an alert lost its runbook",
        "The alert had a runbook at the base revision and has none now.";

    GateLoosened = "gate-loosened", Review,
        "a deploy gate was removed or loosened",
        "A gate, a requirement or a freeze was removed, or a threshold moved so that more deploys pass (a lower
`budget(…) >=`, a higher `burn(…) <`, a raised toil cap, a larger canary allowance).";

    ToilOverCap = "toil-over-cap", Warning,
        "manual toil in the service's history is above the cap its gate sets",
        "A gate's `require toil <= X%` is measured from git history over the service's toil window: the share of
changes to its policy and workload manifests that were manual toil (the `toil { manual = … }` classifier). The
deploy gate will deny while it is above the cap; automate the work or raise the cap deliberately.";

    AutomationUnderFloor = "automation-under-floor", Warning,
        "the share of automated changes is below the floor the gate sets",
        "A gate's `require automation >= X%` is measured from git history over the service's toil window: the
share of changes made by automation (authors matching `toil { bots = … }` or the defaults: renovate, dependabot,
argocd-image-updater, flux).";

    SliMetricMissing = "sli-metric-missing", Error,
        "an SLI reads a metric the Prometheus does not have",
        "Reported by `check --prometheus URL`: no series of the metric named in an SLI selector was seen over the
lookback (`--lookback`, default 1d), so the SLI would be blind from its first evaluation. Usually a typo or a
metric renamed by an exporter upgrade; the diagnostic suggests the closest metric names the server has.";

    SliLabelMismatch = "sli-label-mismatch", Error,
        "an SLI selector's label matcher matches none of the values the metric has",
        "Reported by `check --prometheus URL`: the metric exists, but one of the selector's label matchers
(`job=\"chekout\"`) matches none of the values that label takes on that metric over the lookback. The diagnostic
lists the values that exist and suggests the closest one.";

    SliSeriesMissing = "sli-series-missing", Error,
        "no series matches an SLI selector as a whole",
        "Reported by `check --prometheus URL`: the metric exists and each label matcher alone matches some of its
series, but no series matches them all over the lookback (for example `job=\"api\"` and `code=\"500\"` exist,
but never on the same series).";

    SliBucketMissing = "sli-bucket-missing", Error,
        "a latency SLI's threshold is not a bucket bound of its histogram",
        "Reported by `check --prometheus URL`: the histogram has no bucket whose `le` is the threshold (in
any spelling: `1` or `1.0`), so the count of requests faster than `under` cannot be read and the SLO is blind.
The diagnostic lists the bounds the histogram has; choose one of them, or add the bound to the instrumentation.";

    SliNoEvents = "sli-no-events", Warning,
        "an SLI counted no events over the lookback",
        "Reported by `check --prometheus URL`: the SLI's total query reads series, but they counted nothing over
the lookback, so its error ratio is undefined (a service without traffic, or a selector that picks an idle
instance).";

    SliGoodExceedsTotal = "sli-good-exceeds-total", Error,
        "an SLI counts more good events than events in total",
        "Reported by `check --prometheus URL`: over the lookback, the SLI's good query counted more events than its
total query, so its error ratio is negative and its budget grows with traffic. The two queries select different
series (a label on one only, a different metric); make the good events a subset of the total.";
}
