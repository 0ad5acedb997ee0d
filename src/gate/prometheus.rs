//! The Prometheus HTTP API as a metrics source (`/api/v1/query`; Prometheus, Thanos, Mimir, VictoriaMetrics):
//! each SLO's error ratio computed from its SLI over the needed window, at a fixed time when given (`--at`).
//! The connection (TLS, credentials, tenant, timeout, retries) is [`crate::remote`]'s.

use super::metrics::{Metrics, MetricsError};
use crate::emit::queries;
use crate::model::units::Duration;
use crate::model::{Service, Slo};
use crate::remote::{snippet, Client, RemoteError};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

/// A Prometheus-compatible query API.
pub struct Prometheus {
    client: Client,
    at: Option<String>,
    /// Every figure read, for `--save-metrics`: "service/slo" → window → ratio.
    pub recorded: BTreeMap<String, BTreeMap<String, Decimal>>,
    /// Canary figures read: service → (canary, baseline).
    pub recorded_canaries: BTreeMap<String, (Decimal, Decimal)>,
    /// Warnings the API sent with its answers.
    pub warnings: std::cell::RefCell<Vec<String>>,
}

impl From<RemoteError> for MetricsError {
    fn from(e: RemoteError) -> MetricsError {
        MetricsError(e.0)
    }
}

impl Prometheus {
    /// Queries through `client`, at the instant `at` (Unix seconds or RFC 3339) when given.
    pub fn new(client: Client, at: Option<String>) -> Prometheus {
        Prometheus {
            client,
            at,
            recorded: BTreeMap::new(),
            recorded_canaries: BTreeMap::new(),
            warnings: Default::default(),
        }
    }

    /// An instant query's single value; `None` for no series or NaN (no traffic).
    pub fn query(&self, q: &str) -> Result<Option<Decimal>, MetricsError> {
        let mut params = vec![("query", q)];
        if let Some(t) = &self.at {
            params.push(("time", t.as_str()));
        }
        let resp = self.client.get("/api/v1/query", &params)?;
        let base = self.client.url();
        let v = parse(
            base,
            resp.status,
            &resp.body,
            q,
            &mut self.warnings.borrow_mut(),
        )?;
        if let Some(r) = v {
            if r < Decimal::ZERO || r > Decimal::ONE {
                return Err(MetricsError(format!(
                    "{base} answered {r} for a ratio (expected between 0 and 1)\nquery: {}",
                    snippet(q)
                )));
            }
        }
        Ok(v)
    }
}

fn parse(
    base: &str,
    status: u16,
    body: &str,
    q: &str,
    warnings: &mut Vec<String>,
) -> Result<Option<Decimal>, MetricsError> {
    // A 4xx is an error whatever the body says: a proxy answering 401 or 404 with a cached success page
    // must not become a figure.
    if (400..500).contains(&status) {
        return Err(MetricsError(format!(
            "{base} answered HTTP {status}: {}",
            snippet(body)
        )));
    }
    let v: serde_json::Value = serde_json::from_str(body).map_err(|_| {
        MetricsError(format!(
            "{base} answered HTTP {status} with something that is not the Prometheus API (not JSON): {}",
            snippet(body)
        ))
    })?;
    if v["status"] != "success" {
        let e = v["error"].as_str().unwrap_or("no error message");
        return Err(MetricsError(format!(
            "Prometheus rejected the query ({status}): {e}\nquery: {}",
            snippet(q)
        )));
    }
    // Warnings are shown in the verdict; a partial answer (Thanos and Mimir say so in a warning when a store
    // did not respond; VictoriaMetrics cluster sets `isPartial`) is no figure at all.
    let mut partial = v["isPartial"] == serde_json::Value::Bool(true);
    if partial {
        let line =
            format!("{base}: the answer is partial (`isPartial`: a storage node did not respond)");
        if !warnings.contains(&line) {
            warnings.push(line);
        }
    }
    for w in v["warnings"].as_array().into_iter().flatten() {
        let text = w.as_str().map_or_else(|| w.to_string(), str::to_string);
        partial |= text.to_ascii_lowercase().contains("partial");
        let line = format!("{base}: {}", snippet(&text));
        if !warnings.contains(&line) {
            warnings.push(line);
        }
    }
    if partial {
        return Ok(None);
    }
    let value = |sample: &serde_json::Value| -> Result<Option<Decimal>, MetricsError> {
        let s = sample[1]
            .as_str()
            .ok_or_else(|| MetricsError(format!("{base}: malformed sample {sample}")))?;
        if s.eq_ignore_ascii_case("nan") || s.contains("Inf") {
            return Ok(None);
        }
        let d = Decimal::from_str(s)
            .or_else(|_| Decimal::from_scientific(s))
            .map_err(|_| MetricsError(format!("{base}: `{s}` is not a number")))?;
        super::metrics::bounded(d, base).map(Some)
    };
    match v["data"]["resultType"].as_str() {
        Some("vector") => {
            let result = v["data"]["result"].as_array().cloned().unwrap_or_default();
            match result.as_slice() {
                [] => Ok(None),
                [one] => value(&one["value"]),
                many => Err(MetricsError(format!(
                    "the query returned {} series; an SLI must aggregate to one (e.g. `sum(…)`)\nquery: {}",
                    many.len(),
                    snippet(q)
                ))),
            }
        }
        Some("scalar") => value(&v["data"]["result"]),
        other => Err(MetricsError(format!(
            "{base}: unexpected result type {other:?}"
        ))),
    }
}

impl Metrics for Prometheus {
    fn error_ratio(
        &mut self,
        service: &Service,
        slo: &Slo,
        window: Duration,
    ) -> Result<Option<Decimal>, MetricsError> {
        let q = queries::error_ratio(&service.slis[slo.sli], window);
        let v = self.query(&q)?;
        if let Some(v) = v {
            self.recorded
                .entry(super::metrics::slo_key(service, slo))
                .or_default()
                .insert(window.to_string(), v);
        }
        Ok(v)
    }

    /// The canary's and the baseline's error ratios over the canary interval: the SLI's queries with each
    /// side's label matchers added to every selector.
    fn canary(&mut self, service: &Service) -> Result<Option<(Decimal, Decimal)>, MetricsError> {
        let Some(c) = service.gates.iter().find_map(|g| g.canary.as_ref()) else {
            return Ok(None);
        };
        let sli = &service.slis[c.sli];
        let query =
            |selector: &str| super::selectors::error_ratio(sli, c, selector).map_err(MetricsError);
        let canary = self.query(&query(&c.canary_selector)?)?;
        let baseline = self.query(&query(&c.baseline_selector)?)?;
        let both = canary.zip(baseline);
        if let Some(pair) = both {
            self.recorded_canaries
                .insert(service.name.value.clone(), pair);
        }
        Ok(both)
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.borrow().clone()
    }

    fn describe(&self) -> String {
        match &self.at {
            Some(at) => format!("prometheus {} at {at}", self.client.url()),
            None => format!("prometheus {}", self.client.url()),
        }
    }
}

impl Prometheus {
    /// A snapshot of every figure read (`--save-metrics`), in the snapshot schema.
    /// The history figures used for `services` are saved too, so that the replay does not depend on git.
    pub fn snapshot_json(
        &self,
        services: &[(usize, super::Change, String)],
        model: &crate::model::Model,
        facts: Option<&[crate::repo::history::ServiceFacts]>,
    ) -> String {
        let slos: serde_json::Map<String, serde_json::Value> = self
            .recorded
            .iter()
            .map(|(k, w)| {
                let ratios: serde_json::Map<String, serde_json::Value> = w
                    .iter()
                    .map(|(win, r)| {
                        (
                            win.clone(),
                            serde_json::Value::String(crate::model::units::plain(*r)),
                        )
                    })
                    .collect();
                (k.clone(), serde_json::json!({ "error_ratio": ratios }))
            })
            .collect();
        let canaries: serde_json::Map<String, serde_json::Value> = self
            .recorded_canaries
            .iter()
            .map(|(service, (c, b))| {
                let (c, b) = (
                    crate::model::units::plain(*c),
                    crate::model::units::plain(*b),
                );
                (
                    service.clone(),
                    serde_json::json!({ "canary": c, "baseline": b }),
                )
            })
            .collect();
        let mut doc = serde_json::json!({ "version": 1, "slos": slos });
        if !canaries.is_empty() {
            doc["canaries"] = serde_json::Value::Object(canaries);
        }
        let mut history = serde_json::Map::new();
        for (i, _, _) in services {
            let name = &model.services[*i].name.value;
            let Some(f) = facts.and_then(|f| f.iter().find(|f| &f.service == name)) else {
                continue;
            };
            let mut h = serde_json::Map::new();
            for (k, v) in [
                ("toil", f.toil_ratio),
                ("automation", f.automation_ratio),
                ("change_failure_rate", f.change_failure_rate),
            ] {
                if let Some(v) = v {
                    h.insert(
                        k.into(),
                        serde_json::Value::String(crate::model::units::plain(v)),
                    );
                }
            }
            if !h.is_empty() {
                history.insert(name.clone(), serde_json::Value::Object(h));
            }
        }
        if !history.is_empty() {
            doc["history"] = serde_json::Value::Object(history);
        }
        if let Some(at) = &self.at {
            doc["at"] = serde_json::Value::String(at.clone());
        }
        let mut s = serde_json::to_string_pretty(&doc).expect("snapshot serializes");
        s.push('\n');
        s
    }
}
