//! Where a gate's figures come from: a JSON snapshot (offline, reproducible). The Prometheus HTTP API source
//! implements the same interface (see the README's roadmap).
//!
//! Snapshot schema, version 1 (numbers as JSON numbers or decimal strings; windows in slogate's duration
//! syntax):
//! ```json
//! { "version": 1,
//!   "at": "2026-11-24T12:00:00Z",
//!   "slos": { "checkout/availability": { "error_ratio": { "30d": "0.0021", "1h": 0.004 } } },
//!   "canaries": { "checkout": { "canary": "0.0021", "baseline": "0.0019" } },
//!   "history": { "checkout": { "toil": "0.1", "automation": "0.85", "change_failure_rate": "0.05" } } }
//! ```

use crate::model::units::Duration;
use crate::model::{Service, Slo};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

/// A failure of the source itself (unreachable, garbage): the verdict cannot be reached (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsError(pub String);

impl std::fmt::Display for MetricsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Figures a gate needs; `Ok(None)` is "no data" (which fails closed unless the user says otherwise).
pub trait Metrics {
    /// The SLI's error ratio over `window`.
    fn error_ratio(
        &mut self,
        service: &Service,
        slo: &Slo,
        window: Duration,
    ) -> Result<Option<Decimal>, MetricsError>;
    /// The canary's and the baseline's error ratios.
    fn canary(&mut self, service: &Service) -> Result<Option<(Decimal, Decimal)>, MetricsError>;
    /// `snapshot examples/shop/metrics.json`, for verdicts.
    fn describe(&self) -> String;

    /// Warnings the source sent with its figures (shown in the verdict).
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
    /// Toil, automation and change-failure figures recorded with the metrics (a snapshot may carry them for
    /// reproducible verdicts); `None` means "measure from git history".
    fn history(&self, _service: &Service) -> Option<HistoryFigures> {
        None
    }
}

/// History figures as a snapshot records them (ratios).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryFigures {
    pub toil: Option<Decimal>,
    pub automation: Option<Decimal>,
    pub change_failure_rate: Option<Decimal>,
}

/// The key of an SLO's figures in snapshots: `service/slo`.
pub fn slo_key(service: &Service, slo: &Slo) -> String {
    format!("{}/{}", service.name.value, slo.name.value)
}

/// A metrics snapshot file.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub path: String,
    pub at: Option<String>,
    /// "service/slo" → window → error ratio
    pub slos: BTreeMap<String, BTreeMap<Duration, Decimal>>,
    /// service → (canary, baseline)
    pub canaries: BTreeMap<String, (Decimal, Decimal)>,
    /// service → toil, automation, change failure rate
    pub history: BTreeMap<String, HistoryFigures>,
}

fn decimal(v: &serde_json::Value, at: &str) -> Result<Decimal, MetricsError> {
    let parsed = match v {
        serde_json::Value::String(s) => Decimal::from_str(s).ok(),
        serde_json::Value::Number(n) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .ok(),
        _ => None,
    };
    let d = parsed.ok_or_else(|| MetricsError(format!("{at}: expected a number, found `{v}`")))?;
    bounded(d, at)
}

/// A figure that is a share of something (an error ratio, toil): a number in [0, 1]. Anything else (a negative
/// ratio would give a budget of 50100%) is refused with its position.
fn share(v: &serde_json::Value, at: &str, what: &str) -> Result<Decimal, MetricsError> {
    if v.as_str().is_some_and(|s| s.contains('_')) {
        return Err(MetricsError(format!("{at}: `{v}` is not a plain number")));
    }
    let d = decimal(v, at)?;
    if d < Decimal::ZERO || d > Decimal::ONE {
        return Err(MetricsError(format!(
            "{at}: {d} is not {what}: expected a number between 0 and 1"
        )));
    }
    Ok(d)
}

/// A figure inside the bound every number slogate computes with is held to (see
/// [`crate::syntax::MAX_NUMBER`]), so no arithmetic on it can overflow.
pub fn bounded(d: Decimal, at: &str) -> Result<Decimal, MetricsError> {
    if d.abs() > Decimal::from(crate::syntax::MAX_NUMBER) {
        return Err(MetricsError(format!(
            "{at}: the number {d} is too large (figures are limited to 10^15 in magnitude)"
        )));
    }
    Ok(d)
}

/// Largest metrics snapshot read, in bytes.
pub const MAX_SNAPSHOT_BYTES: u64 = 16 << 20;

pub use crate::bounded::read_bounded;

fn duration(s: &str, at: &str) -> Result<Duration, MetricsError> {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = crate::syntax::ast::DurationUnit::parse(&s[digits.len()..]);
    match (digits.parse::<u64>(), unit) {
        (Ok(n), Some(u)) if n > 0 && n.checked_mul(u.millis()).is_some() => {
            Ok(Duration::from_millis(n * u.millis()))
        }
        _ => Err(MetricsError(format!(
            "{at}: `{s}` is not a window such as `1h` or `30d`"
        ))),
    }
}

impl Snapshot {
    /// Reads and validates a snapshot.
    pub fn load(path: &std::path::Path) -> Result<Snapshot, MetricsError> {
        let name = path.display().to_string();
        let bytes = read_bounded(path, MAX_SNAPSHOT_BYTES)
            .map_err(|e| MetricsError(format!("{name}: {e}")))?;
        let text =
            String::from_utf8(bytes).map_err(|_| MetricsError(format!("{name}: not UTF-8")))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| MetricsError(format!("{name}: not valid JSON: {e}")))?;
        // serde_json keeps the last of two equal keys; a snapshot saying two things is refused instead.
        serde_json::from_str::<super::strict_json::NoDuplicateKeys>(&text)
            .map_err(|e| MetricsError(format!("{name}: {e}")))?;
        if v.get("version").and_then(|x| x.as_u64()) != Some(1) {
            return Err(MetricsError(format!("{name}: expected `\"version\": 1`")));
        }
        let mut snap = Snapshot {
            path: name.clone(),
            at: v.get("at").and_then(|x| x.as_str()).map(str::to_string),
            ..Snapshot::default()
        };
        if let Some(slos) = v.get("slos") {
            let slos = slos
                .as_object()
                .ok_or_else(|| MetricsError(format!("{name}: `slos` must be an object")))?;
            for (key, entry) in slos {
                let ratios = entry
                    .get("error_ratio")
                    .and_then(|r| r.as_object())
                    .ok_or_else(|| {
                        MetricsError(format!(
                            "{name}: slos.{key}: expected `error_ratio` with windows"
                        ))
                    })?;
                let mut windows = BTreeMap::new();
                let mut spelled: BTreeMap<Duration, &String> = BTreeMap::new();
                for (w, r) in ratios {
                    let at = format!("{name}: slos.{key}.error_ratio.{w}");
                    let d = duration(w, &at)?;
                    if let Some(first) = spelled.insert(d, w) {
                        return Err(MetricsError(format!(
                            "{at}: `{w}` and `{first}` name the same window; keep one"
                        )));
                    }
                    windows.insert(d, share(r, &at, "an error ratio")?);
                }
                snap.slos.insert(key.clone(), windows);
            }
        }
        for section in ["slos", "canaries", "history"] {
            if v.get(section).is_some_and(|x| !x.is_object()) {
                return Err(MetricsError(format!(
                    "{name}: `{section}` must be an object"
                )));
            }
        }
        if let Some(canaries) = v.get("canaries").and_then(|c| c.as_object()) {
            for (service, entry) in canaries {
                let at = format!("{name}: canaries.{service}");
                let get = |k: &str| {
                    entry
                        .get(k)
                        .ok_or_else(|| MetricsError(format!("{at}: missing `{k}`")))
                };
                snap.canaries.insert(
                    service.clone(),
                    (
                        share(get("canary")?, &format!("{at}.canary"), "an error ratio")?,
                        share(
                            get("baseline")?,
                            &format!("{at}.baseline"),
                            "an error ratio",
                        )?,
                    ),
                );
            }
        }
        if let Some(history) = v.get("history").and_then(|c| c.as_object()) {
            for (service, entry) in history {
                let at = format!("{name}: history.{service}");
                let get = |k: &str| {
                    entry
                        .get(k)
                        .map(|x| share(x, &format!("{at}.{k}"), "a share"))
                        .transpose()
                };
                snap.history.insert(
                    service.clone(),
                    HistoryFigures {
                        toil: get("toil")?,
                        automation: get("automation")?,
                        change_failure_rate: get("change_failure_rate")?,
                    },
                );
            }
        }
        Ok(snap)
    }
}

impl Metrics for Snapshot {
    fn error_ratio(
        &mut self,
        service: &Service,
        slo: &Slo,
        window: Duration,
    ) -> Result<Option<Decimal>, MetricsError> {
        Ok(self
            .slos
            .get(&slo_key(service, slo))
            .and_then(|w| w.get(&window))
            .copied())
    }

    fn canary(&mut self, service: &Service) -> Result<Option<(Decimal, Decimal)>, MetricsError> {
        Ok(self.canaries.get(&service.name.value).copied())
    }

    fn history(&self, service: &Service) -> Option<HistoryFigures> {
        self.history.get(&service.name.value).copied()
    }

    fn describe(&self) -> String {
        match &self.at {
            Some(at) => format!("snapshot {} (at {at})", self.path),
            None => format!("snapshot {}", self.path),
        }
    }
}
