//! One client for a metrics API: every request carries the configured headers, is bounded in time and in the
//! size of its answer, is retried only where a retry can help (5xx, a refused or reset connection), and never
//! follows a redirect (a redirect to another host would carry the tenant and extra headers there). Failures are
//! messages that name the API by its redacted URL.

use super::auth::Headers;
use super::endpoint::Endpoint;
use super::{auth, tls, Options, RemoteError};

/// Largest answer read (a range query over 30 days at 1m steps is about 2 MB per series).
const MAX_BODY_BYTES: u64 = 64 << 20;
/// Attempts per request (the first and two retries).
const ATTEMPTS: u64 = 3;

/// A configured connection to a Prometheus-compatible API.
pub struct Client {
    /// The base URL without credentials (safe to print).
    base: String,
    agent: ureq::Agent,
    headers: Headers,
    timeout: std::time::Duration,
}

/// An answer that is not a transport failure, a 5xx, a redirect or an authentication refusal.
pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Client {
    /// A client for `opts.prometheus`; warnings about weak settings go to `notes`.
    pub fn open(opts: &Options, notes: &mut Vec<String>) -> Result<Client, RemoteError> {
        let url = opts
            .prometheus
            .as_deref()
            .ok_or_else(|| RemoteError("no --prometheus URL".into()))?;
        // The URL itself is never repeated: it may carry a password.
        let endpoint =
            Endpoint::parse(url).map_err(|e| RemoteError(format!("--prometheus: {e}")))?;
        let headers = auth::headers(opts, &endpoint, &|k| std::env::var(k).ok())?;
        Self::with_headers(opts, endpoint, headers, notes)
    }

    fn with_headers(
        opts: &Options,
        endpoint: Endpoint,
        headers: Headers,
        notes: &mut Vec<String>,
    ) -> Result<Client, RemoteError> {
        if endpoint.basic_auth.is_some() {
            notes.push(
                "warning: credentials in the --prometheus URL are visible to other processes on this machine; \
                 prefer SLOGATE_PROMETHEUS_PASSWORD or --password-file"
                    .into(),
            );
        }
        let https = endpoint.url.to_ascii_lowercase().starts_with("https://");
        if !https && !headers.0.is_empty() {
            notes.push(format!(
                "warning: {} is plain http: the credentials and headers travel unencrypted",
                endpoint.url
            ));
        }
        if !https && (opts.ca_file.is_some() || opts.cert.is_some()) {
            return Err(RemoteError(format!(
                "{}: --ca-file and --cert need an https:// URL",
                endpoint.url
            )));
        }
        if opts.insecure_skip_verify {
            notes.push(format!(
                "warning: --insecure-skip-verify: the identity of {} is not checked; anyone on the path can \
                 read the credentials and forge the figures",
                endpoint.url
            ));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(opts.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("slogate/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls::config(opts)?)
            .build()
            .into();
        Ok(Client {
            base: endpoint.url,
            agent,
            headers,
            timeout: opts.timeout,
        })
    }

    /// The base URL, without credentials.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// `GET base + path ? params`, retried on 5xx and on refused or reset connections.
    pub fn get(&self, path: &str, params: &[(&str, &str)]) -> Result<Response, RemoteError> {
        let url = format!("{}{path}", self.base);
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(std::time::Duration::from_millis(200 * attempt));
            }
            let mut req = self.agent.get(&url);
            for (k, v) in params {
                req = req.query(*k, *v);
            }
            for (name, value) in &self.headers.0 {
                req = req.header(name.as_str(), value.as_str());
            }
            let mut resp = match req.call() {
                Ok(r) => r,
                Err(e) => {
                    let (message, retry) = self.transport_error(&e);
                    if !retry {
                        return Err(RemoteError(message));
                    }
                    last = message;
                    continue;
                }
            };
            let status = resp.status().as_u16();
            let body = match resp
                .body_mut()
                .with_config()
                .limit(MAX_BODY_BYTES)
                .read_to_string()
            {
                Ok(b) => b,
                Err(ureq::Error::BodyExceedsLimit(_)) => {
                    return Err(RemoteError(format!(
                        "{} answered more than {} MiB; narrow the query",
                        self.base,
                        MAX_BODY_BYTES >> 20
                    )))
                }
                Err(e) => {
                    last = format!("{}: the answer could not be read: {e}", self.base);
                    continue;
                }
            };
            match status {
                500.. => {
                    last = format!("{} answered HTTP {status}: {}", self.base, snippet(&body));
                    continue;
                }
                300..=399 => {
                    let to = resp
                        .headers()
                        .get("location")
                        .and_then(|l| l.to_str().ok())
                        .map(redacted_location)
                        .unwrap_or_default();
                    return Err(RemoteError(format!(
                        "{} answered HTTP {status}, a redirect{to}: give the final address with --prometheus \
                         (redirects are not followed, so headers never reach another host)",
                        self.base
                    )));
                }
                401 | 403 => {
                    let sent = self.headers.0.iter().any(|(n, _)| n == "Authorization");
                    return Err(RemoteError(format!(
                        "{} answered HTTP {status}: {}",
                        self.base,
                        if sent {
                            "the credentials were refused (wrong user, password or token?)"
                        } else {
                            "it wants credentials (--user with a password, a token, or --cert/--key)"
                        }
                    )));
                }
                _ => return Ok(Response { status, body }),
            }
        }
        Err(RemoteError(last))
    }

    /// A message for a failed request, and whether trying again can help.
    fn transport_error(&self, e: &ureq::Error) -> (String, bool) {
        if let Some(why) = tls::explain(e) {
            return (format!("cannot reach {}: {why}", self.base), false);
        }
        match e {
            ureq::Error::Timeout(_) => (
                format!(
                    "{} did not answer within {} ms (--timeout)",
                    self.base,
                    self.timeout.as_millis()
                ),
                false,
            ),
            ureq::Error::HostNotFound => (
                format!("cannot reach {}: the host name does not resolve", self.base),
                false,
            ),
            other => (format!("cannot reach {}: {other}", self.base), true),
        }
    }
}

/// A redirect's target without userinfo, query or fragment, for the message.
fn redacted_location(l: &str) -> String {
    let cut = l.find(['?', '#']).unwrap_or(l.len());
    match Endpoint::parse(&l[..cut]) {
        Ok(e) => format!(" to {}", e.url),
        Err(_) => String::new(),
    }
}

/// An answer's first words on one line (for error messages).
pub fn snippet(s: &str) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(160).collect()
}
