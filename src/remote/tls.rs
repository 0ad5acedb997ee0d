//! HTTPS settings: which roots are trusted (the system's, or exactly the CAs of `--ca-file`), the client
//! certificate for mutual TLS, and verification off only when asked by name. Files are read bounded; an
//! error names the file and what is wrong with it, never its contents. TLS failures become messages a person
//! can act on (untrusted issuer, expired, wrong host, client certificate refused).

use super::{Options, RemoteError};
use std::path::Path;
use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

/// Largest PEM file read (a CA bundle of a few hundred certificates fits).
const MAX_PEM_BYTES: u64 = 4 << 20;

/// The TLS configuration `opts` asks for.
pub fn config(opts: &Options) -> Result<TlsConfig, RemoteError> {
    let roots = match &opts.ca_file {
        Some(f) => {
            let certs = certificates(f, "--ca-file")?;
            RootCerts::new_with_certs(&certs)
        }
        None => RootCerts::PlatformVerifier,
    };
    let client_cert = match (&opts.cert, &opts.key) {
        (Some(c), Some(k)) => Some(ClientCert::new_with_certs(
            &certificates(c, "--cert")?,
            private_key(k)?,
        )),
        (None, None) => None,
        _ => {
            return Err(RemoteError(
                "--cert and --key go together (the certificate and its private key)".into(),
            ))
        }
    };
    Ok(TlsConfig::builder()
        .root_certs(roots)
        .client_cert(client_cert)
        .disable_verification(opts.insecure_skip_verify)
        .build())
}

fn pem(path: &Path, flag: &str) -> Result<Vec<u8>, RemoteError> {
    crate::bounded::read_bounded(path, MAX_PEM_BYTES)
        .map_err(|e| RemoteError(format!("{flag} {}: {e}", path.display())))
}

/// Every certificate of a PEM file; none is an error.
fn certificates(path: &Path, flag: &str) -> Result<Vec<Certificate<'static>>, RemoteError> {
    let bytes = pem(path, flag)?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&bytes) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(_) => {
                return Err(RemoteError(format!(
                    "{flag} {}: not a valid PEM file",
                    path.display()
                )))
            }
        }
    }
    if certs.is_empty() {
        return Err(RemoteError(format!(
            "{flag} {}: no PEM certificate (`-----BEGIN CERTIFICATE-----`) in it",
            path.display()
        )));
    }
    Ok(certs)
}

/// The one private key of a PEM file (PKCS#8, PKCS#1 or SEC1).
fn private_key(path: &Path) -> Result<PrivateKey<'static>, RemoteError> {
    let bytes = pem(path, "--key")?;
    let mut keys = Vec::new();
    for item in ureq::tls::parse_pem(&bytes) {
        match item {
            Ok(PemItem::PrivateKey(k)) => keys.push(k),
            Ok(_) => {}
            Err(_) => {
                return Err(RemoteError(format!(
                    "--key {}: not a valid PEM file",
                    path.display()
                )))
            }
        }
    }
    match keys.len() {
        1 => Ok(keys.pop().expect("one key")),
        0 => Err(RemoteError(format!(
            "--key {}: no private key (`-----BEGIN PRIVATE KEY-----`) in it",
            path.display()
        ))),
        n => Err(RemoteError(format!(
            "--key {}: {n} private keys in it; give exactly one",
            path.display()
        ))),
    }
}

/// What a TLS failure means for the user, when the error is one (else `None`).
pub fn explain(e: &ureq::Error) -> Option<String> {
    let rustls_error = match e {
        ureq::Error::Rustls(r) => Some(r),
        ureq::Error::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        _ => None,
    }?;
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    Some(match rustls_error {
        E::InvalidCertificate(C::UnknownIssuer) => {
            "the server's certificate is not signed by a trusted CA (give its CA with --ca-file)"
                .into()
        }
        E::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "the server's certificate has expired".into()
        }
        E::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            "the server's certificate is not valid yet (check the clocks)".into()
        }
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            "the server's certificate does not name the host of the URL".into()
        }
        E::InvalidCertificate(C::Revoked) => "the server's certificate is revoked".into(),
        E::InvalidCertificate(other) => {
            format!("the server's certificate is not accepted ({other:?})")
        }
        E::AlertReceived(
            A::CertificateRequired | A::BadCertificate | A::UnknownCA | A::CertificateUnknown,
        ) => "the server refused the client certificate, or wants one (--cert and --key)".into(),
        E::AlertReceived(A::CertificateExpired) => {
            "the server refused the client certificate: it has expired".into()
        }
        other => format!("TLS failed: {other}"),
    })
}
