//! Deploy-gate verdicts: each `require` of a service's gates yields pass, fail or unknown with the measured
//! value, the threshold and where the figure came from; freezes deny deploys unless the change is one of
//! their exceptions; canaries are held against their baseline. Unknown fails closed unless the user opts
//! out. Per service and overall: allow, warn or deny, with every reason.

mod change;
mod evaluate;
pub mod metrics;
pub mod prometheus;
pub mod run;
mod select;
pub mod selectors;
mod strict_json;

pub use change::{classify, Classified};
pub use evaluate::{evaluate, Change, Context, OnMissing};

/// A requirement's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    Unknown,
    /// Not evaluated: the change is remediation (a rollback, a reliability fix) or rolls no pods.
    Skipped,
}

/// A verdict, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Warn,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Warn => "warn",
            Verdict::Deny => "deny",
        }
    }
}

/// One evaluated requirement, freeze or canary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    /// `gate deploy: budget(availability) >= 25%`
    pub gate: String,
    pub requirement: String,
    /// The measured value, as text (`31.2%`, `1.4`), when known.
    pub value: Option<String>,
    pub outcome: Outcome,
    /// Where the figure came from.
    pub source: String,
    /// Why it failed or is unknown.
    pub reason: Option<String>,
}

/// The verdict of one service.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServiceVerdict {
    pub service: String,
    pub change: String,
    /// Why the change is what it is (from the pod templates at both ends).
    pub change_reason: String,
    pub verdict: Verdict,
    pub checks: Vec<Check>,
    pub reasons: Vec<String>,
}

/// The verdict of a run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub version: u32,
    pub verdict: Verdict,
    pub source: String,
    pub services: Vec<ServiceVerdict>,
    /// The commit gated, and the base it was compared with (when in a repository).
    pub head: Option<String>,
    pub base: Option<String>,
    /// A digest of every policy file read (path and contents), so a verdict names the policies it applied.
    pub policy_digest: String,
    /// Warnings the metrics API sent with its answers.
    pub warnings: Vec<String>,
}
