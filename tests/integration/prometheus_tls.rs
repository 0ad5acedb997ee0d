//! The gate over HTTPS against a real Prometheus serving TLS through `--web.config.file`: a throwaway CA and
//! certificates are made in the test (rcgen), basic-auth passwords are bcrypt-hashed as Prometheus wants them.
//! Every way of authenticating gives the healthy verdict; every way of getting it wrong (untrusted CA, expired
//! certificate, wrong password, missing or untrusted client certificate) is exit 2 with a reason, and no
//! password ever appears in the output.

use crate::servers::{binary, openmetrics, start_prometheus, Server};
use crate::support::{code, slogate_env, stderr, stdout};
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use std::path::{Path, PathBuf};
use std::process::Output;

const PASSWORD: &str = "hunter2-correct-horse";

/// A CA: its certificate (PEM), and what signs for it.
struct Ca {
    pem: String,
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = p.self_signed(&key).unwrap();
    Ca {
        pem: cert.pem(),
        cert,
        key,
    }
}

/// A leaf certificate and key (PEM) signed by `ca`, for a server (127.0.0.1) or a client, valid in `years`.
fn leaf(ca: &Ca, server: bool, years: (i32, i32)) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let names = if server {
        vec!["127.0.0.1".to_string(), "localhost".to_string()]
    } else {
        Vec::new()
    };
    let mut p = CertificateParams::new(names).unwrap();
    p.distinguished_name.push(
        DnType::CommonName,
        if server { "prometheus" } else { "slogate" },
    );
    p.not_before = date_time_ymd(years.0, 1, 1);
    p.not_after = date_time_ymd(years.1, 1, 1);
    p.extended_key_usages = vec![if server {
        ExtendedKeyUsagePurpose::ServerAuth
    } else {
        ExtendedKeyUsagePurpose::ClientAuth
    }];
    let cert = p.signed_by(&key, &ca.cert, &ca.key).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `slogate gate` on the healthy service at `at`, with `env` set and no ambient credentials.
fn gate(url: &str, at: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec![
        "gate",
        "tests/fixtures/gate-e2e",
        "--service",
        "healthy",
        "--prometheus",
        url,
        "--at",
        at,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    slogate_env(&args, env)
}

/// Exit 0 and the hand-computed verdict: 1 error in 1000 requests against a 1% budget leaves 90%.
fn assert_healthy(o: &Output, what: &str) {
    assert_eq!(code(o), 0, "{what}: {}{}", stdout(o), stderr(o));
    let v: serde_json::Value = serde_json::from_str(&stdout(o)).unwrap();
    assert_eq!(v["verdict"], "allow", "{what}");
    assert_eq!(v["services"][0]["checks"][0]["value"], "90%", "{what}");
    assert_no_secret(o, what);
}

/// Exit 2, the reason on stderr, and no password anywhere.
fn assert_refused(o: &Output, reason: &str, what: &str) {
    assert_eq!(code(o), 2, "{what}: {}{}", stdout(o), stderr(o));
    // With `--format json` the error is JSON on stdout (`{"error": …}`); otherwise text on stderr.
    let text = format!("{}{}", stdout(o), stderr(o));
    assert!(text.contains(reason), "{what}: {text}");
    assert_no_secret(o, what);
}

fn assert_no_secret(o: &Output, what: &str) {
    for out in [stdout(o), stderr(o)] {
        assert!(!out.contains(PASSWORD), "{what} printed the password");
        assert!(!out.contains("wrong-password"), "{what} printed a password");
    }
}

/// A probe for a TLS server: the library's client, trusting `ca`, with the options that server wants.
fn ready(ca: &Path, extra: impl Fn(&mut slogate::remote::Options)) -> impl Fn(&str) -> bool {
    let ca = ca.to_path_buf();
    move |url: &str| {
        let mut o = slogate::remote::Options {
            prometheus: Some(url.to_string()),
            ca_file: Some(ca.clone()),
            ..Default::default()
        };
        extra(&mut o);
        slogate::remote::Client::open(&o, &mut Vec::new())
            .and_then(|c| c.get("/-/ready", &[]))
            .is_ok_and(|r| r.status == 200)
    }
}

struct Fixture {
    _dirs: Vec<tempfile::TempDir>,
    files: tempfile::TempDir,
    at: String,
    om: String,
}

impl Fixture {
    fn new() -> Fixture {
        let end = crate::servers::this_minute() - 600;
        Fixture {
            _dirs: Vec::new(),
            files: tempfile::tempdir().unwrap(),
            at: end.to_string(),
            om: openmetrics(end, &[("healthy", 999, 1, 1)]),
        }
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        write(self.files.path(), name, text)
    }

    fn serve(
        &mut self,
        promtool: &Path,
        prometheus: &Path,
        web: &str,
        ready: &dyn Fn(&str) -> bool,
    ) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let server = start_prometheus(
            promtool,
            prometheus,
            dir.path(),
            &self.om,
            Some((web, ready)),
        );
        self._dirs.push(dir);
        server
    }
}

#[test]
fn the_gate_over_https_with_each_auth_method_and_each_failure() {
    let (Some(promtool), Some(prometheus)) = (binary("promtool"), binary("prometheus")) else {
        return;
    };
    let mut f = Fixture::new();
    let server_ca = ca("slogate test server CA");
    let other_ca = ca("an unrelated CA");
    let client_ca = ca("slogate test client CA");
    let (server_cert, server_key) = leaf(&server_ca, true, (2020, 2100));
    let (expired_cert, expired_key) = leaf(&server_ca, true, (2000, 2001));
    let (client_cert, client_key) = leaf(&client_ca, false, (2020, 2100));
    let (rogue_cert, rogue_key) = leaf(&other_ca, false, (2020, 2100));
    let ca_file = f.file("ca.pem", &server_ca.pem);
    let other_ca_file = f.file("other-ca.pem", &other_ca.pem);
    let client_ca_file = f.file("client-ca.pem", &client_ca.pem);
    let server_cert_file = f.file("server.pem", &server_cert);
    let server_key_file = f.file("server.key", &server_key);
    let expired_cert_file = f.file("expired.pem", &expired_cert);
    let expired_key_file = f.file("expired.key", &expired_key);
    let client_cert_file = f.file("client.pem", &client_cert);
    let client_key_file = f.file("client.key", &client_key);
    let rogue_cert_file = f.file("rogue.pem", &rogue_cert);
    let rogue_key_file = f.file("rogue.key", &rogue_key);
    let password_file = f.file("password", &format!("{PASSWORD}\n"));
    let wrong_password_file = f.file("wrong", "wrong-password\n");
    let hash = bcrypt::hash(PASSWORD, 4).unwrap();
    let tls = format!(
        "tls_server_config:\n  cert_file: {}\n  key_file: {}\n",
        s(&server_cert_file),
        s(&server_key_file)
    );
    let at = f.at.clone();

    // 1. TLS and basic auth.
    let basic_web = format!("{tls}basic_auth_users:\n  alice: '{hash}'\n");
    let pw = password_file.clone();
    let probe = ready(&ca_file, move |o| {
        o.user = Some("alice".into());
        o.password_file = Some(pw.clone());
    });
    let basic = f.serve(&promtool, &prometheus, &basic_web, &probe);
    let url = basic.url.clone();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let ca_arg = ["--ca-file", s(&ca_file)];
    let user = [&ca_arg[..], &["--user", "alice"]].concat();
    assert_healthy(
        &gate(
            &url,
            &at,
            &user,
            &[("SLOGATE_PROMETHEUS_PASSWORD", PASSWORD)],
        ),
        "basic auth, password from the environment",
    );
    assert_healthy(
        &gate(
            &url,
            &at,
            &[&user[..], &["--password-file", s(&password_file)]].concat(),
            &[],
        ),
        "basic auth, password from a file",
    );
    assert_healthy(
        &gate(
            &url,
            &at,
            &ca_arg,
            &[
                ("SLOGATE_PROMETHEUS_USER", "alice"),
                ("SLOGATE_PROMETHEUS_PASSWORD", PASSWORD),
            ],
        ),
        "basic auth, user and password from the environment",
    );
    let with_userinfo = url.replace("https://", &format!("https://alice:{PASSWORD}@"));
    let o = gate(&with_userinfo, &at, &ca_arg, &[]);
    assert_healthy(&o, "basic auth in the URL");
    assert!(stderr(&o).contains("warning: credentials in the --prometheus URL"));
    assert_refused(
        &gate(
            &url,
            &at,
            &[&user[..], &["--password-file", s(&wrong_password_file)]].concat(),
            &[],
        ),
        "answered HTTP 401: the credentials were refused",
        "wrong password",
    );
    assert_refused(
        &gate(&url, &at, &ca_arg, &[]),
        "answered HTTP 401: it wants credentials",
        "no credentials",
    );
    // The server's CA is not among the system's roots, and another CA does not vouch for it.
    let env_pw = [("SLOGATE_PROMETHEUS_PASSWORD", PASSWORD)];
    assert_refused(
        &gate(&url, &at, &["--user", "alice"], &env_pw),
        "not signed by a trusted CA",
        "system roots",
    );
    assert_refused(
        &gate(
            &url,
            &at,
            &["--user", "alice", "--ca-file", s(&other_ca_file)],
            &env_pw,
        ),
        "not signed by a trusted CA",
        "wrong CA",
    );
    // Verification off by name: it works, with a warning.
    let o = gate(
        &url,
        &at,
        &["--user", "alice", "--insecure-skip-verify"],
        &env_pw,
    );
    assert_healthy(&o, "--insecure-skip-verify");
    assert!(
        stderr(&o).contains("warning: --insecure-skip-verify"),
        "{}",
        stderr(&o)
    );
    // Plain http to a TLS port is not a figure either.
    assert_eq!(
        code(&gate(
            &url.replace("https://", "http://"),
            &at,
            &["--user", "alice"],
            &env_pw
        )),
        2
    );
    drop(basic);

    // 2. Mutual TLS: the client certificate is the credential.
    let mtls_web = format!(
        "{tls}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {}\n",
        s(&client_ca_file)
    );
    let (cc, ck) = (client_cert_file.clone(), client_key_file.clone());
    let probe = ready(&ca_file, move |o| {
        o.cert = Some(cc.clone());
        o.key = Some(ck.clone());
    });
    let mtls = f.serve(&promtool, &prometheus, &mtls_web, &probe);
    assert_healthy(
        &gate(
            &mtls.url,
            &at,
            &[
                &ca_arg[..],
                &["--cert", s(&client_cert_file), "--key", s(&client_key_file)],
            ]
            .concat(),
            &[],
        ),
        "client certificate",
    );
    assert_refused(
        &gate(&mtls.url, &at, &ca_arg, &[]),
        "the server refused the client certificate",
        "no client certificate",
    );
    assert_refused(
        &gate(
            &mtls.url,
            &at,
            &[
                &ca_arg[..],
                &["--cert", s(&rogue_cert_file), "--key", s(&rogue_key_file)],
            ]
            .concat(),
            &[],
        ),
        "the server refused the client certificate",
        "a client certificate from another CA",
    );
    // A key that does not belong to the certificate is refused before anything is sent.
    let o = gate(
        &mtls.url,
        &at,
        &[
            &ca_arg[..],
            &["--cert", s(&client_cert_file), "--key", s(&ca_file)],
        ]
        .concat(),
        &[],
    );
    assert_refused(
        &o,
        "no private key",
        "a certificate where the key should be",
    );
    drop(mtls);

    // 3. An expired server certificate.
    let expired_web = format!(
        "tls_server_config:\n  cert_file: {}\n  key_file: {}\n",
        s(&expired_cert_file),
        s(&expired_key_file)
    );
    let probe = |url: &str| {
        let o = slogate::remote::Options {
            prometheus: Some(url.to_string()),
            insecure_skip_verify: true,
            ..Default::default()
        };
        slogate::remote::Client::open(&o, &mut Vec::new())
            .and_then(|c| c.get("/-/ready", &[]))
            .is_ok_and(|r| r.status == 200)
    };
    let expired = f.serve(&promtool, &prometheus, &expired_web, &probe);
    assert_refused(
        &gate(&expired.url, &at, &ca_arg, &[]),
        "the server's certificate has expired",
        "expired server certificate",
    );
}
