//! Talking to a Prometheus-compatible HTTP API (Prometheus, Thanos, Mimir, Cortex, VictoriaMetrics): the
//! connection options every command that reads live figures shares, and one client that applies them.
//!
//! - [`endpoint`]: the URL as given, with credentials in it split off and never printed.
//! - [`auth`]: who slogate says it is (bearer token, basic auth, tenant, extra headers), from files and the
//!   environment, never from argv; conflicting sources are refused, not chosen between.
//! - [`tls`]: HTTPS with rustls: the system's trusted roots or exactly `--ca-file`, a client certificate,
//!   and verification turned off only by an explicit flag.
//! - [`client`]: bounded requests (timeout, retries on 5xx and transport errors, no redirects, a size limit
//!   on answers) and failure messages that say what went wrong without repeating a secret.

pub mod auth;
mod client;
pub mod endpoint;
mod tls;

pub use client::{snippet, Client, Response};

use std::path::PathBuf;

/// How to reach and authenticate to the metrics API. The same options on every command that queries one.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// A Prometheus-compatible HTTP API to read (Prometheus, Thanos, Mimir, VictoriaMetrics), with its
    /// base path (`https://mimir.example/prometheus`). Credentials in the URL become basic auth and are
    /// never printed.
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,
    /// Trust exactly the CA certificates in this PEM file for HTTPS (default: the system's trusted roots).
    #[arg(long, value_name = "FILE", requires = "prometheus")]
    pub ca_file: Option<PathBuf>,
    /// A client certificate (PEM, with its chain) for mutual TLS; needs `--key`.
    #[arg(long, value_name = "FILE", requires_all = ["prometheus", "key"])]
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires_all = ["prometheus", "cert"])]
    pub key: Option<PathBuf>,
    /// Do not verify the server's certificate (a warning is printed; never use it in production).
    #[arg(long, requires = "prometheus")]
    pub insecure_skip_verify: bool,
    /// Basic-auth user (also SLOGATE_PROMETHEUS_USER); the password comes from SLOGATE_PROMETHEUS_PASSWORD or
    /// `--password-file`.
    #[arg(long, value_name = "NAME", requires = "prometheus")]
    pub user: Option<String>,
    /// A file holding the basic-auth password.
    #[arg(long, value_name = "FILE", requires = "prometheus")]
    pub password_file: Option<PathBuf>,
    /// A file holding a bearer token (else SLOGATE_PROMETHEUS_TOKEN).
    #[arg(long, value_name = "FILE", requires = "prometheus")]
    pub token_file: Option<PathBuf>,
    /// The tenant to query (`X-Scope-OrgID`, for Mimir, Cortex, Loki-style multi-tenancy; `a|b` federates).
    #[arg(long, value_name = "ID", requires = "prometheus")]
    pub tenant: Option<String>,
    /// Extra request headers, one `Name: value` per line (`#` comments); values are treated as secrets.
    #[arg(long, value_name = "FILE", requires = "prometheus")]
    pub headers_file: Option<PathBuf>,
    /// How long one request may take (`500ms`, `10s`, `2m`; at most 10m).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_timeout)]
    pub timeout: std::time::Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            prometheus: None,
            ca_file: None,
            cert: None,
            key: None,
            insecure_skip_verify: false,
            user: None,
            password_file: None,
            token_file: None,
            tenant: None,
            headers_file: None,
            timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// Why the API cannot be used; the message names the API by its redacted URL only.
#[derive(Debug)]
pub struct RemoteError(pub String);

impl std::fmt::Display for RemoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RemoteError {}

/// `--timeout`: a positive duration of at most ten minutes.
pub fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = crate::syntax::ast::DurationUnit::parse(&s[digits.len()..]);
    let ms = match (digits.parse::<u64>(), unit) {
        (Ok(n), Some(u)) => n.checked_mul(u.millis()),
        _ => None,
    }
    .ok_or_else(|| format!("`{s}` is not a duration such as `500ms`, `10s` or `2m`"))?;
    if ms == 0 || ms > 600_000 {
        return Err(format!(
            "`{s}`: a timeout must be more than 0 and at most 10m"
        ));
    }
    Ok(std::time::Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_positive_and_bounded() {
        assert_eq!(
            parse_timeout("500ms").unwrap(),
            std::time::Duration::from_millis(500)
        );
        assert_eq!(
            parse_timeout("2m").unwrap(),
            std::time::Duration::from_secs(120)
        );
        assert!(parse_timeout("0s").is_err());
        assert!(parse_timeout("11m").is_err());
        assert!(parse_timeout("10").is_err());
        assert!(parse_timeout("1.5s").is_err());
        assert!(parse_timeout("99999999999999999999w").is_err());
    }
}
