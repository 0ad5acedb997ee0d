//! The Prometheus HTTP API as a metrics source (`/api/v1/query`; works with Thanos and Mimir query
//! frontends): each SLO's error ratio computed from its SLI over the needed window, at a fixed time when
//! given (`--at`). Bounded: a 10 s timeout per request, two retries on 5xx and transport errors. A bearer
//! token comes from `SLOGATE_PROMETHEUS_TOKEN` or a file, never from argv.

use super::metrics::{Metrics, MetricsError};
use crate::emit::queries;
use crate::model::units::Duration;
use crate::model::{Service, Slo};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

/// A Prometheus-compatible query API.
pub struct Prometheus {
    base: String,
    agent: ureq::Agent,
    /// The `Authorization` header (bearer token or basic auth); never printed.
    authorization: Option<String>,
    at: Option<String>,
    /// Every figure read, for `--save-metrics`: "service/slo" → window → ratio.
    pub recorded: BTreeMap<String, BTreeMap<String, Decimal>>,
}

impl Prometheus {
    /// A client for `endpoint` (credentials already split off the URL). A bearer token and URL credentials
    /// together are refused: which one would be sent is not for slogate to guess.
    pub fn new(
        endpoint: super::endpoint::Endpoint,
        token: Option<String>,
        at: Option<String>,
    ) -> Result<Prometheus, MetricsError> {
        let authorization = match (token, endpoint.basic_auth) {
            (Some(_), Some(_)) => {
                return Err(MetricsError(format!(
                    "{}: both a bearer token and credentials in the URL were given; use one",
                    endpoint.url
                )))
            }
            (Some(t), None) => Some(format!("Bearer {t}")),
            (None, basic) => basic,
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(10)))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Prometheus {
            base: endpoint.url,
            agent,
            authorization,
            at,
            recorded: BTreeMap::new(),
        })
    }

    /// An instant query's single value; `None` for no series or NaN (no traffic).
    pub fn query(&self, q: &str) -> Result<Option<Decimal>, MetricsError> {
        let url = format!("{}/api/v1/query", self.base);
        let mut last = String::new();
        for attempt in 0..3 {
            if attempt > 0 {
                std::thread::sleep(std::time::Duration::from_millis(200 * attempt));
            }
            let mut req = self.agent.get(&url).query("query", q);
            if let Some(t) = &self.at {
                req = req.query("time", t);
            }
            if let Some(a) = &self.authorization {
                req = req.header("Authorization", a);
            }
            let mut resp = match req.call() {
                Ok(r) => r,
                Err(e) => {
                    last = format!("cannot reach Prometheus at {}: {e}", self.base);
                    continue;
                }
            };
            let status = resp.status().as_u16();
            let body = resp.body_mut().read_to_string().unwrap_or_default();
            if status >= 500 {
                last = format!(
                    "Prometheus at {} answered HTTP {status}: {}",
                    self.base,
                    snippet(&body)
                );
                continue;
            }
            return parse(&self.base, status, &body, q);
        }
        Err(MetricsError(last))
    }
}

fn snippet(s: &str) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(160).collect()
}

fn parse(base: &str, status: u16, body: &str, q: &str) -> Result<Option<Decimal>, MetricsError> {
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
        Ok(canary.zip(baseline))
    }

    fn describe(&self) -> String {
        match &self.at {
            Some(at) => format!("prometheus {} at {at}", self.base),
            None => format!("prometheus {}", self.base),
        }
    }
}

impl Prometheus {
    /// A snapshot of every figure read (`--save-metrics`), in the snapshot schema.
    pub fn snapshot_json(&self) -> String {
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
        let mut doc = serde_json::json!({ "version": 1, "slos": slos });
        if let Some(at) = &self.at {
            doc["at"] = serde_json::Value::String(at.clone());
        }
        let mut s = serde_json::to_string_pretty(&doc).expect("snapshot serializes");
        s.push('\n');
        s
    }
}
