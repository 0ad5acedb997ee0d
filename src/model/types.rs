//! The policy model: every name resolved to an index, every value typed, every number exact.
//!
//! Later stages (graph, checks, rule emission, gates) only ever see these types, so they cannot meet an
//! unresolved reference or a value of the wrong unit. Each node keeps the spans its diagnostics point at.

use super::units::Duration;
use crate::source::Span;
use crate::syntax::ast::CmpOp;
use rust_decimal::Decimal;

/// A value together with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }
}

/// Index of a service in [`Model::services`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceId(pub usize);

/// Everything the policies say, resolved.
#[derive(Debug, Default)]
pub struct Model {
    pub services: Vec<Service>,
    pub profiles: Vec<Profile>,
    /// Tier defaults, index 0 = tier 1.
    pub tiers: Vec<TierDefaults>,
    /// Services and profiles declared in files that do not parse: unknown, not absent — references to them
    /// and their absence from the model are not reported (the syntax error is the root cause).
    pub unparsed: std::collections::BTreeSet<String>,
}

impl Model {
    pub fn service(&self, id: ServiceId) -> &Service {
        &self.services[id.0]
    }

    pub fn service_by_name(&self, name: &str) -> Option<ServiceId> {
        self.services
            .iter()
            .position(|s| s.name.value == name)
            .map(ServiceId)
    }

    pub fn tier(&self, tier: u8) -> Option<&TierDefaults> {
        self.tiers.iter().find(|t| t.tier == tier)
    }
}

/// A `service` block.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: Spanned<String>,
    /// The `service name` header, for labels.
    pub span: Span,
    /// The whole `service name { … }` block: findings inside it are about this service.
    pub extent: Span,
    pub owner: Spanned<String>,
    pub tier: Spanned<u8>,
    pub workload: Option<Spanned<WorkloadRef>>,
    pub depends: Vec<Dependency>,
    pub slis: Vec<Sli>,
    pub slos: Vec<Slo>,
    pub alerts: Vec<Alert>,
    pub gates: Vec<Gate>,
    pub toil: Option<Toil>,
    /// Severity overrides from the service's `checks { deny = […] warn = […] allow = […] }`.
    pub check_levels: Vec<(crate::diag::Code, CheckLevel)>,
    /// Whether lowering reported errors inside this service: some definitions may be missing, so checks
    /// about absence (an unused SLI) stay quiet rather than cascade.
    pub incomplete: bool,
}

/// `kind/namespace/name` of a Kubernetes workload.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkloadRef {
    /// Lower-cased kind as written (`deployment`, `statefulset`, `rollout`, …).
    pub kind: String,
    /// `None` when written as `kind/name`: the namespace is then `default`.
    pub namespace: Option<String>,
    pub name: String,
}

/// An edge of the service dependency graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub target: ServiceId,
    /// Where the dependency is named in `depends` / `soft_depends`.
    pub span: Span,
    /// Hard: the service fails when the dependency fails.
    pub hard: bool,
}

/// A service level indicator.
#[derive(Debug, Clone)]
pub struct Sli {
    pub name: Spanned<String>,
    pub span: Span,
    pub kind: SliKind,
}

/// How an SLI is measured.
#[derive(Debug, Clone)]
pub enum SliKind {
    /// good / total (or bad / total): PromQL with a `$window` placeholder.
    Ratio {
        events: Query,
        /// True when `events` counts bad events (`bad = …`), false for good events.
        events_are_bad: bool,
        total: Query,
    },
    /// Requests faster than `under`, from a histogram.
    Latency {
        /// The `_bucket` series selector, e.g. `http_request_duration_seconds_bucket{job="api"}`.
        histogram: Query,
        under: Spanned<Duration>,
    },
}

/// An embedded PromQL text and where its content starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub text: String,
    /// The span of the whole backtick literal.
    pub span: Span,
}

/// A service level objective.
#[derive(Debug, Clone)]
pub struct Slo {
    pub name: Spanned<String>,
    pub span: Span,
    /// Index into the service's `slis`.
    pub sli: usize,
    pub sli_span: Span,
    /// As a ratio: 99.9% is 0.999.
    pub objective: Spanned<Decimal>,
    pub window: Spanned<Duration>,
    pub description: Option<String>,
}

impl Slo {
    /// 1 − objective.
    pub fn error_budget(&self) -> Decimal {
        Decimal::ONE - self.objective.value
    }

    /// Burn rate = error ratio ÷ error budget; `None` when it does not fit the exact decimal type (an
    /// astronomically large figure is not a number anyone can act on; callers treat it as unknown).
    pub fn burn_rate(&self, error_ratio: Decimal) -> Option<Decimal> {
        error_ratio.checked_div(self.error_budget())
    }

    /// Share of the error budget left = 1 − burn rate over the SLO window (see [`Slo::burn_rate`]).
    pub fn budget_remaining(&self, error_ratio: Decimal) -> Option<Decimal> {
        Decimal::ONE.checked_sub(self.burn_rate(error_ratio)?)
    }
}

/// Page or ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertSeverity {
    Page,
    Ticket,
}

impl AlertSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertSeverity::Page => "page",
            AlertSeverity::Ticket => "ticket",
        }
    }
}

/// One burn-rate window of a profile or an alert, before it is applied to an SLO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BurnSpec {
    pub severity: AlertSeverity,
    pub long: Duration,
    /// Defaults to long ÷ 12.
    pub short: Duration,
    pub rate: BurnRate,
    pub span: Span,
}

/// How steep a burn window is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BurnRate {
    /// Share of the SLO's error budget consumed in the long window; the factor follows from the SLO window.
    BudgetShare(Decimal),
    /// A fixed burn-rate factor.
    Factor(Decimal),
}

impl BurnSpec {
    /// factor = budget share × SLO window ÷ long window (or the fixed factor).
    pub fn factor(&self, slo_window: Duration) -> Decimal {
        match self.rate {
            BurnRate::BudgetShare(share) => share * slo_window.ratio_to(self.long),
            BurnRate::Factor(f) => f,
        }
    }
}

/// A named set of burn windows.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: Spanned<String>,
    pub windows: Vec<BurnSpec>,
    /// From the built-in library rather than the repository.
    pub builtin: bool,
    pub description: Option<String>,
}

/// Defaults for a tier.
#[derive(Debug, Clone)]
pub struct TierDefaults {
    pub tier: u8,
    pub span: Span,
    /// Index into `Model::profiles`.
    pub profile: usize,
    /// Severity of manifest findings for this tier.
    pub manifests: ManifestLevel,
}

/// A severity override for a diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckLevel {
    Deny,
    Warn,
    Allow,
}

/// How manifest findings are reported for a tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestLevel {
    Error,
    Warning,
    Off,
}

/// An alert on an SLO.
#[derive(Debug, Clone)]
pub struct Alert {
    pub name: Spanned<String>,
    pub span: Span,
    /// Index into the service's `slos`.
    pub slo: usize,
    pub windows: Vec<BurnSpec>,
    /// Where the windows come from: an explicit profile, the tier default, or the alert's own blocks.
    pub windows_from: WindowsFrom,
    /// Low-traffic guard, in events per second.
    pub min_rate: Option<Spanned<Decimal>>,
    pub runbook: Option<Spanned<String>>,
    pub labels: Vec<(String, String)>,
    pub annotations: Vec<(String, String)>,
}

/// Where an alert's windows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowsFrom {
    Profile { name: String, span: Span },
    TierDefault { profile: String, tier: u8 },
    Explicit,
}

/// A deploy gate.
#[derive(Debug, Clone)]
pub struct Gate {
    pub name: Spanned<String>,
    pub span: Span,
    pub requires: Vec<Condition>,
    pub freezes: Vec<Freeze>,
    pub canary: Option<Canary>,
}

/// `metric op threshold`
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub metric: Metric,
    pub op: CmpOp,
    /// Ratios for percentages (25% → 0.25), plain numbers otherwise.
    pub threshold: Decimal,
    pub span: Span,
}

/// What a gate condition measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Metric {
    /// Error budget remaining over the SLO window (ratio; may be negative).
    Budget { slo: usize },
    /// Burn rate over a window.
    Burn { slo: usize, window: Duration },
    /// Error ratio over a window.
    ErrorRatio { slo: usize, window: Duration },
    /// Share of changes that were manual toil over the toil window.
    Toil,
    /// Share of changes made by automation over the toil window.
    Automation,
    /// Deploys followed by a rollback, revert or hotfix ÷ deploys.
    ChangeFailureRate,
    /// Number of deploys in a window.
    Deploys { window: Duration },
    /// Lowest budget remaining among hard dependencies' SLOs.
    DependencyBudget,
}

/// `freeze when … except …`
#[derive(Debug, Clone, PartialEq)]
pub struct Freeze {
    pub when: Condition,
    pub except: Vec<FreezeException>,
    pub span: Span,
}

/// Changes allowed during a freeze.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreezeException {
    Rollback,
    ReliabilityFix,
}

/// Canary analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Canary {
    /// Index into the service's `slis` (a ratio SLI).
    pub sli: usize,
    pub max_error_ratio: CanaryLimit,
    pub over: Duration,
    /// Label matchers selecting the canary's and the baseline's series, e.g. `track="canary"`.
    pub canary_selector: String,
    pub baseline_selector: String,
    pub span: Span,
}

/// The canary's allowed error ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CanaryLimit {
    /// `1.1 * baseline`
    RelativeToBaseline(Decimal),
    /// An absolute error ratio.
    Absolute(Decimal),
}

/// How changes are classified for toil.
#[derive(Debug, Clone)]
pub struct Toil {
    pub span: Span,
    pub window: Duration,
    /// Author name or email globs (`renovate[bot]`, `flux*`).
    pub bots: Vec<String>,
    pub manual: Vec<ToilMatcher>,
}

/// One rule that marks a change as manual toil.
#[derive(Debug, Clone)]
pub enum ToilMatcher {
    Message(regex::Regex),
    Author(regex::Regex),
    Path(regex::Regex),
    /// `Key: value` trailer (value compared case-insensitively).
    Trailer {
        key: String,
        value: String,
    },
}
