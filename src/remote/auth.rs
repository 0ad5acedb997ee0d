//! The headers that say who slogate is: `Authorization` (a bearer token or basic auth), `X-Scope-OrgID` (the
//! tenant) and extra headers from a file. Secrets come from files and the environment, never from argv
//! (other processes can read a command line). Two sources for the same header are refused: which one would be
//! sent is not for slogate to guess, and a silently ignored credential is a confusing 401 later.
//!
//! No message here ever contains a header value.

use super::endpoint::{base64, Endpoint};
use super::{Options, RemoteError};
use std::path::Path;

/// Largest secret file (token, password, headers) read.
const MAX_SECRET_BYTES: u64 = 64 << 10;
/// Most extra headers a file may give.
const MAX_HEADERS: usize = 64;

/// Request headers to send with every query. Values may be secrets: `Debug` shows names only.
#[derive(Clone, Default)]
pub struct Headers(pub Vec<(String, String)>);

impl std::fmt::Debug for Headers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(n, _)| n))
            .finish()
    }
}

/// Where a value came from, for messages ("the URL", "--token-file", "SLOGATE_PROMETHEUS_TOKEN").
type Sourced = (String, &'static str);

/// The headers `opts` and the environment (`env`, a lookup so tests need not change the process's) ask for.
pub fn headers(
    opts: &Options,
    endpoint: &Endpoint,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Headers, RemoteError> {
    // Secrets from the environment are trimmed and must be one line: a newline in a header value would be a
    // request-splitting attempt (and is refused by the HTTP layer with a less clear message).
    let env = |k: &str| -> Result<Option<String>, RemoteError> {
        match env(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
        {
            Some(v) if v.chars().any(char::is_control) => Err(RemoteError(format!(
                "{k}: the value must be one line without control characters"
            ))),
            other => Ok(other),
        }
    };
    let mut auth: Vec<Sourced> = Vec::new();
    if let Some(b) = &endpoint.basic_auth {
        auth.push((b.clone(), "credentials in the --prometheus URL"));
    }
    // Bearer token: the file, else the environment.
    match &opts.token_file {
        Some(f) => auth.push((
            format!("Bearer {}", secret(f, "--token-file")?),
            "--token-file",
        )),
        None => {
            if let Some(t) = env("SLOGATE_PROMETHEUS_TOKEN")? {
                auth.push((format!("Bearer {t}"), "SLOGATE_PROMETHEUS_TOKEN"));
            }
        }
    }
    // Basic auth: a user (flag or environment) and a password (file or environment), both or neither.
    let user = match opts.user.clone() {
        Some(u) => Some((u, "--user")),
        None => env("SLOGATE_PROMETHEUS_USER")?.map(|u| (u, "SLOGATE_PROMETHEUS_USER")),
    };
    let password = match &opts.password_file {
        Some(f) => Some(secret(f, "--password-file")?),
        None => env("SLOGATE_PROMETHEUS_PASSWORD")?,
    };
    match (user, password) {
        (Some((u, from)), Some(p)) => {
            if u.contains(':') || u.chars().any(char::is_control) {
                return Err(RemoteError(format!(
                    "{from}: a basic-auth user name cannot contain `:` or control characters"
                )));
            }
            auth.push((
                format!("Basic {}", base64(format!("{u}:{p}").as_bytes())),
                "--user with a password",
            ));
        }
        (Some((_, from)), None) => {
            return Err(RemoteError(format!(
                "{from} names a basic-auth user but no password was given (SLOGATE_PROMETHEUS_PASSWORD or \
                 --password-file)"
            )))
        }
        (None, Some(_)) => {
            return Err(RemoteError(
                "a basic-auth password was given but no user (--user or SLOGATE_PROMETHEUS_USER)".into(),
            ))
        }
        (None, None) => {}
    }
    let extra = match &opts.headers_file {
        Some(f) => parse_headers_file(f)?,
        None => Vec::new(),
    };
    for (name, value) in &extra {
        if name.eq_ignore_ascii_case("authorization") {
            auth.push((value.clone(), "an Authorization line of --headers-file"));
        }
    }
    if auth.len() > 1 {
        let from: Vec<&str> = auth.iter().map(|(_, f)| *f).collect();
        return Err(RemoteError(format!(
            "credentials were given more than once ({}); give one",
            from.join(", ")
        )));
    }
    let mut out = Vec::new();
    if let Some((a, _)) = auth.pop() {
        out.push(("Authorization".to_string(), a));
    }
    if let Some(t) = &opts.tenant {
        check_tenant(t)?;
        if extra
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("x-scope-orgid"))
        {
            return Err(RemoteError(
                "the tenant is given twice: --tenant and an X-Scope-OrgID line of --headers-file"
                    .into(),
            ));
        }
        out.push(("X-Scope-OrgID".to_string(), t.clone()));
    }
    out.extend(
        extra
            .into_iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("authorization")),
    );
    Ok(Headers(out))
}

/// A secret from a file: bounded, a regular file, trimmed, not empty, one line.
fn secret(path: &Path, flag: &str) -> Result<String, RemoteError> {
    let bytes = crate::bounded::read_bounded(path, MAX_SECRET_BYTES)
        .map_err(|e| RemoteError(format!("{flag} {}: {e}", path.display())))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| RemoteError(format!("{flag} {}: not UTF-8 text", path.display())))?;
    let s = text.trim();
    if s.is_empty() {
        return Err(RemoteError(format!(
            "{flag} {}: the file is empty",
            path.display()
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(RemoteError(format!(
            "{flag} {}: the secret must be one line without control characters",
            path.display()
        )));
    }
    Ok(s.to_string())
}

/// Tenant IDs as Mimir and Cortex accept them (letters, digits, `!-_.*'()`, at most 150 bytes), `|`-joined
/// for a federated query.
fn check_tenant(t: &str) -> Result<(), RemoteError> {
    let ok = |id: &str| {
        !id.is_empty()
            && id.len() <= 150
            && id != "."
            && id != ".."
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!-_.*'()".contains(c))
    };
    if t.split('|').all(ok) {
        Ok(())
    } else {
        Err(RemoteError(format!(
            "--tenant `{}`: a tenant ID is 1–150 of letters, digits and `!-_.*'()`, several joined by `|`",
            t.escape_debug()
        )))
    }
}

/// Header names that describe the connection or the body, which a file must not set.
const RESERVED: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
    "proxy-connection",
];

/// `Name: value` lines; `#` starts a comment line. Errors give the line number, never the value.
fn parse_headers_file(path: &Path) -> Result<Vec<(String, String)>, RemoteError> {
    let bytes = crate::bounded::read_bounded(path, MAX_SECRET_BYTES)
        .map_err(|e| RemoteError(format!("--headers-file {}: {e}", path.display())))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| RemoteError(format!("--headers-file {}: not UTF-8 text", path.display())))?;
    let mut out: Vec<(String, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = format!("--headers-file {}:{}", path.display(), i + 1);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(RemoteError(format!("{at}: expected `Name: value`")));
        };
        let (name, value) = (name.trim(), value.trim());
        let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if name.is_empty() || !name.chars().all(token) {
            return Err(RemoteError(format!(
                "{at}: `{}` is not a header name (letters, digits and `!#$%&'*+-.^_`|~`)",
                name.escape_debug()
            )));
        }
        if RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(RemoteError(format!(
                "{at}: `{name}` describes the connection and cannot be set"
            )));
        }
        if value.is_empty() || value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(RemoteError(format!(
                "{at}: the value of `{name}` is empty or holds control characters"
            )));
        }
        if out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Err(RemoteError(format!("{at}: `{name}` is given twice")));
        }
        if out.len() == MAX_HEADERS {
            return Err(RemoteError(format!(
                "{at}: more than {MAX_HEADERS} headers"
            )));
        }
        out.push((name.to_string(), value.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn plain() -> Endpoint {
        Endpoint::parse("https://mimir.example/prometheus").unwrap()
    }

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn basic_auth_from_user_and_password_file() {
        let dir = tempfile::tempdir().unwrap();
        let opts = Options {
            user: Some("alice".into()),
            password_file: Some(write(dir.path(), "pw", "s3cret\n")),
            tenant: Some("team-a|team-b".into()),
            ..Options::default()
        };
        let h = headers(&opts, &plain(), &no_env).unwrap();
        // base64("alice:s3cret") by RFC 4648: "YWxpY2U6czNjcmV0".
        assert_eq!(
            h.0,
            vec![
                ("Authorization".into(), "Basic YWxpY2U6czNjcmV0".into()),
                ("X-Scope-OrgID".into(), "team-a|team-b".into())
            ]
        );
        assert!(!format!("{h:?}").contains("YWxp"));
    }

    #[test]
    fn the_environment_supplies_token_or_basic_auth() {
        let env = |k: &str| (k == "SLOGATE_PROMETHEUS_TOKEN").then(|| "tok\n".to_string());
        let h = headers(&Options::default(), &plain(), &env).unwrap();
        assert_eq!(h.0, vec![("Authorization".into(), "Bearer tok".into())]);
        let env = |k: &str| match k {
            "SLOGATE_PROMETHEUS_USER" => Some("bob".to_string()),
            "SLOGATE_PROMETHEUS_PASSWORD" => Some("pw".to_string()),
            _ => None,
        };
        let h = headers(&Options::default(), &plain(), &env).unwrap();
        // base64("bob:pw") = "Ym9iOnB3".
        assert_eq!(h.0, vec![("Authorization".into(), "Basic Ym9iOnB3".into())]);
    }

    #[test]
    fn two_credentials_are_refused_naming_sources_not_values() {
        let with_url = Endpoint::parse("https://u:urlsecret@host").unwrap();
        let env = |k: &str| (k == "SLOGATE_PROMETHEUS_TOKEN").then(|| "envsecret".to_string());
        let e = headers(&Options::default(), &with_url, &env).unwrap_err().0;
        assert!(e.contains("SLOGATE_PROMETHEUS_TOKEN"), "{e}");
        assert!(e.contains("URL"), "{e}");
        assert!(!e.contains("secret"), "{e}");
        // A user without a password, a password without a user.
        let opts = Options {
            user: Some("alice".into()),
            ..Options::default()
        };
        assert!(headers(&opts, &plain(), &no_env).is_err());
        let env = |k: &str| (k == "SLOGATE_PROMETHEUS_PASSWORD").then(|| "pw".to_string());
        assert!(headers(&Options::default(), &plain(), &env).is_err());
    }

    #[test]
    fn headers_files_are_validated_with_line_numbers_and_never_echo_values() {
        let dir = tempfile::tempdir().unwrap();
        let ok = write(
            dir.path(),
            "ok",
            "# Grafana Cloud\nX-Api-Key: k1\n\nX-Team:  sre \n",
        );
        let opts = Options {
            headers_file: Some(ok),
            ..Options::default()
        };
        let h = headers(&opts, &plain(), &no_env).unwrap();
        assert_eq!(
            h.0,
            vec![
                ("X-Api-Key".into(), "k1".into()),
                ("X-Team".into(), "sre".into())
            ]
        );
        for (text, expect) in [
            ("X-Key hidden-value\n", ":1: expected `Name: value`"),
            (
                "ok: 1\nBad Name: hidden-value\n",
                ":2: `Bad Name` is not a header name",
            ),
            ("Host: hidden-value\n", "describes the connection"),
            ("A: 1\na: hidden-value\n", "given twice"),
            ("A:\n", "empty"),
        ] {
            let f = write(dir.path(), "bad", text);
            let opts = Options {
                headers_file: Some(f),
                ..Options::default()
            };
            let e = headers(&opts, &plain(), &no_env).unwrap_err().0;
            assert!(e.contains(expect), "{text:?}: {e}");
            assert!(!e.contains("hidden-value"), "{e}");
        }
        // An Authorization line counts as a credential: with a token too it is refused.
        let f = write(dir.path(), "auth", "Authorization: Bearer x\n");
        let opts = Options {
            headers_file: Some(f),
            ..Options::default()
        };
        let env = |k: &str| (k == "SLOGATE_PROMETHEUS_TOKEN").then(|| "t".to_string());
        assert!(headers(&opts, &plain(), &env).is_err());
        let h = headers(&opts, &plain(), &no_env).unwrap();
        assert_eq!(h.0, vec![("Authorization".into(), "Bearer x".into())]);
    }

    #[test]
    fn secrets_from_the_environment_are_one_line() {
        let env =
            |k: &str| (k == "SLOGATE_PROMETHEUS_TOKEN").then(|| "tok\r\nX-Evil: 1".to_string());
        let e = headers(&Options::default(), &plain(), &env).unwrap_err().0;
        assert!(e.contains("one line"), "{e}");
        assert!(!e.contains("Evil"), "{e}");
    }

    #[test]
    fn tenants_and_secret_files_are_checked() {
        for bad in ["", "a b", "a\nb", "..", "a||b", &"x".repeat(151)] {
            let opts = Options {
                tenant: Some(bad.into()),
                ..Options::default()
            };
            assert!(headers(&opts, &plain(), &no_env).is_err(), "{bad:?}");
        }
        let dir = tempfile::tempdir().unwrap();
        for text in ["", "  \n", "two\nlines"] {
            let opts = Options {
                token_file: Some(write(dir.path(), "t", text)),
                ..Options::default()
            };
            assert!(headers(&opts, &plain(), &no_env).is_err(), "{text:?}");
        }
        let opts = Options {
            token_file: Some("/dev/zero".into()),
            ..Options::default()
        };
        assert!(headers(&opts, &plain(), &no_env).is_err());
    }
}
