//! What slogate sends to a metrics API and what it does with odd answers, seen from a recording server: the
//! tenant header, extra headers from a file, the base path of a query frontend, no redirect followed (headers
//! must not travel to another host), and a server that never answers (the timeout bounds the run).

use crate::support::{code, slogate_env, stderr, stdout};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A healthy answer: one sample, error ratio 0.001 (budget 1%: 90% left).
const OK: &str = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.001"]}]}}"#;

/// A server answering `respond(request line)` to every request, recording each request's head.
fn recorder(
    respond: impl Fn(&str) -> Option<String> + Send + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut buf = vec![0u8; 16384];
            let n = s.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            log.lock().unwrap().push(head.clone());
            match respond(head.lines().next().unwrap_or("")) {
                Some(r) => {
                    let _ = s.write_all(r.as_bytes());
                }
                // Never answer: hold the connection open.
                None => std::thread::sleep(Duration::from_secs(30)),
            }
        }
    });
    (url, seen)
}

fn json(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn gate(url: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "gate",
        "tests/fixtures/gate-e2e",
        "--service",
        "healthy",
        "--prometheus",
        url,
        "--at",
        "1700000000",
    ];
    args.extend_from_slice(extra);
    slogate_env(&args, &[])
}

/// A header line of a recorded request, by case-insensitive name.
fn header<'a>(request: &'a str, name: &str) -> Option<&'a str> {
    request.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

#[test]
fn tenant_extra_headers_and_base_path_reach_the_api() {
    let (url, seen) = recorder(|line| {
        line.starts_with("GET /prometheus/api/v1/query?")
            .then(|| json(OK))
    });
    let dir = tempfile::tempdir().unwrap();
    let headers = dir.path().join("headers");
    std::fs::write(&headers, "# for the gateway\nX-Api-Key: k-123\n").unwrap();
    let o = gate(
        &format!("{url}/prometheus/"),
        &[
            "--tenant",
            "team-a",
            "--headers-file",
            headers.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("healthy (deploy): allow"),
        "{}",
        stdout(&o)
    );
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty());
    for request in seen.iter() {
        assert!(
            request.starts_with("GET /prometheus/api/v1/query?query="),
            "{request}"
        );
        assert_eq!(header(request, "X-Scope-OrgID"), Some("team-a"));
        assert_eq!(header(request, "X-Api-Key"), Some("k-123"));
        assert!(header(request, "Authorization").is_none(), "{request}");
        assert!(
            header(request, "User-Agent").is_some_and(|u| u.starts_with("slogate/")),
            "{request}"
        );
    }
    // Plain http with headers that may be secrets: a warning says so.
    assert!(
        stderr(&o).contains("is plain http: the credentials and headers travel unencrypted"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_redirect_is_not_followed_and_no_header_reaches_the_other_host() {
    let (elsewhere, elsewhere_seen) = recorder(|_| Some(json(OK)));
    let location = format!("{elsewhere}/api/v1/query?x=1");
    let (url, _) = recorder(move |_| {
        Some(format!(
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ))
    });
    let o = gate(&url, &["--tenant", "team-a"]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "answered HTTP 302, a redirect to {elsewhere}/api/v1/query:"
        )),
        "{}",
        stderr(&o)
    );
    assert!(
        elsewhere_seen.lock().unwrap().is_empty(),
        "the redirect was followed"
    );
}

#[test]
fn a_server_that_never_answers_is_bounded_by_the_timeout() {
    let (url, _) = recorder(|_| None);
    let start = Instant::now();
    let o = gate(&url, &["--timeout", "500ms"]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("did not answer within 500 ms (--timeout)"),
        "{}",
        stderr(&o)
    );
    // Not retried: one timeout, not three (generous bound for a loaded machine).
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    let o = gate(&url, &["--timeout", "0s"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("a timeout must be more than 0"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn conflicting_or_unreadable_connection_options_are_refused_before_any_request() {
    let (url, seen) = recorder(|_| Some(json(OK)));
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "tok-secret\n").unwrap();
    let headers = dir.path().join("headers");
    std::fs::write(&headers, "Authorization: Bearer other-secret\n").unwrap();
    for (args, reason) in [
        (
            vec![
                "--token-file",
                token.to_str().unwrap(),
                "--headers-file",
                headers.to_str().unwrap(),
            ],
            "credentials were given more than once (--token-file, an Authorization line of --headers-file)",
        ),
        (vec!["--tenant", "a b"], "--tenant `a b`: a tenant ID is"),
        (vec!["--user", "alice"], "no password was given"),
        (vec!["--token-file", "/dev/zero"], "not a regular file"),
        (vec!["--ca-file", token.to_str().unwrap()], "need an https:// URL"),
    ] {
        let o = gate(&url, &args);
        assert_eq!(code(&o), 2, "{args:?}: {}{}", stdout(&o), stderr(&o));
        assert!(stderr(&o).contains(reason), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("secret"), "{}", stderr(&o));
    }
    assert!(seen.lock().unwrap().is_empty(), "a request was sent");
    // An https URL with a CA file that holds no certificate.
    let o = gate(
        &url.replace("http://", "https://"),
        &["--ca-file", token.to_str().unwrap()],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no PEM certificate"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("tok-secret"), "{}", stderr(&o));
}

/// `check --prometheus` is never clean on an answer that cannot be trusted: a partial answer (a store did not
/// respond), an answer that is not the API, or a server error is exit 2, however healthy its figures look.
#[test]
fn check_against_a_partial_or_broken_server_is_never_clean() {
    let partial = r#"{"status":"success","isPartial":true,"data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]}]}}"#;
    let warned = r#"{"status":"success","warnings":["partial response: store eu-2 did not answer"],"data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]}]}}"#;
    for (body, reason) in [
        (partial, "answered partially"),
        (warned, "answered partially"),
        ("<html>ok</html>", "not the Prometheus API"),
    ] {
        let body = body.to_string();
        let (url, _) = recorder(move |_| Some(json(&body)));
        let o = slogate_env(
            &[
                "check",
                "tests/fixtures/live",
                "--no-manifests",
                "--prometheus",
                &url,
            ],
            &[],
        );
        assert_eq!(code(&o), 2, "{reason}: {}{}", stdout(&o), stderr(&o));
        assert!(stderr(&o).contains(reason), "{}", stderr(&o));
    }
    let (url, _) = recorder(|_| {
        Some("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndown".into())
    });
    let o = slogate_env(
        &[
            "check",
            "tests/fixtures/live",
            "--no-manifests",
            "--prometheus",
            &url,
        ],
        &[],
    );
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
}
