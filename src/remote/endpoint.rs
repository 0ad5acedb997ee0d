//! The address of a metrics API as given by the user, split into what may be shown and what must not.
//!
//! `--prometheus https://user:secret@host/prometheus` is accepted (credentials in the URL are a common habit),
//! but the password must never reach a verdict, a saved snapshot, an error message or a log: the userinfo is
//! removed from the URL before anything uses it and becomes an HTTP basic-auth header, and every message
//! names the API by the redacted URL only.

/// A metrics API address without credentials, and the basic-auth header its URL carried, if any.
#[derive(Clone)]
pub struct Endpoint {
    /// The URL without userinfo and without a trailing `/` (safe to print).
    pub url: String,
    /// `Basic …` from the URL's userinfo.
    pub basic_auth: Option<String>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the header: a Debug print must not leak it either.
        write!(f, "Endpoint({})", self.url)
    }
}

impl Endpoint {
    /// Splits `raw` into the printable URL and basic-auth credentials. Only `http` and `https` are accepted.
    pub fn parse(raw: &str) -> Result<Endpoint, String> {
        let Some((scheme, rest)) = raw.split_once("://") else {
            return Err("expected a URL such as `https://prometheus.example:9090`".into());
        };
        if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
            return Err(format!("unsupported scheme `{scheme}` (use http or https)"));
        }
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let (userinfo, host) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        if host.is_empty() {
            return Err("the URL names no host".into());
        }
        let url = format!("{scheme}://{host}{tail}")
            .trim_end_matches('/')
            .to_string();
        let basic_auth = userinfo.map(|u| {
            let (user, pass) = u.split_once(':').unwrap_or((u, ""));
            let pair = format!("{}:{}", percent_decode(user), percent_decode(pass));
            format!("Basic {}", base64(pair.as_bytes()))
        });
        Ok(Endpoint { url, basic_auth })
    }
}

/// `%XX` escapes decoded (userinfo may carry escaped `:` or `@`); anything malformed is kept as written.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Standard base64 with padding (RFC 4648), for the basic-auth header.
pub fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_leave_the_url_and_become_basic_auth() {
        let e = Endpoint::parse("https://alice:s%40cret@mimir.example/prometheus/").unwrap();
        assert_eq!(e.url, "https://mimir.example/prometheus");
        // base64("alice:s@cret"), computed by hand from RFC 4648's alphabet.
        assert_eq!(e.basic_auth.as_deref(), Some("Basic YWxpY2U6c0BjcmV0"));
        assert!(!format!("{e:?}").contains("cret"));
        let plain = Endpoint::parse("http://127.0.0.1:9090").unwrap();
        assert_eq!(plain.url, "http://127.0.0.1:9090");
        assert!(plain.basic_auth.is_none());
        assert!(Endpoint::parse("file:///etc/passwd").is_err());
        assert!(Endpoint::parse("prometheus:9090").is_err());
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }
}
