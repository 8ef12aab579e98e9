//! TLS for the link: PEM files in, rustls configurations (TLS 1.3, the `ring` provider, the
//! link's ALPN) out. The server requires a client certificate chaining to the configured CA.

use super::wire::ALPN;
use super::QuicError;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_err(key: &'static str, path: &Path, reason: impl ToString) -> QuicError {
    QuicError::Tls {
        key,
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Every certificate in a PEM file (at least one).
pub fn load_certs(
    key: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, QuicError> {
    let pem = std::fs::read(path).map_err(|e| tls_err(key, path, e))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_err(key, path, format!("not PEM certificates: {e}")))?;
    if certs.is_empty() {
        return Err(tls_err(key, path, "no CERTIFICATE in the file"));
    }
    Ok(certs)
}

/// The private key in a PEM file.
pub fn load_key(key: &'static str, path: &Path) -> Result<PrivateKeyDer<'static>, QuicError> {
    let pem = std::fs::read(path).map_err(|e| tls_err(key, path, e))?;
    PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|e| tls_err(key, path, format!("no usable private key: {e}")))
}

fn roots(key: &'static str, path: &Path) -> Result<rustls::RootCertStore, QuicError> {
    let mut roots = rustls::RootCertStore::empty();
    for c in load_certs(key, path)? {
        roots
            .add(c)
            .map_err(|e| tls_err(key, path, format!("not a usable CA certificate: {e}")))?;
    }
    Ok(roots)
}

fn transport(e: impl ToString, key: &'static str, path: &Path) -> QuicError {
    tls_err(key, path, e)
}

/// The server's QUIC crypto: its certificate and key, and client certificates required and
/// verified against `client_ca`.
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_ca: &Path,
) -> Result<quinn::crypto::rustls::QuicServerConfig, QuicError> {
    let chain = load_certs("quic.cert", cert)?;
    let private = load_key("quic.key", key)?;
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots("quic.client_ca", client_ca)?),
        provider(),
    )
    .build()
    .map_err(|e| transport(e, "quic.client_ca", client_ca))?;
    let mut tls = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| transport(e, "quic.cert", cert))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, private)
        .map_err(|e| {
            transport(
                format!("certificate and key do not go together: {e}"),
                "quic.key",
                key,
            )
        })?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    quinn::crypto::rustls::QuicServerConfig::try_from(tls)
        .map_err(|e| transport(e, "quic.cert", cert))
}

/// A client's QUIC crypto: servers are trusted if they chain to `ca`; the client presents
/// `identity` (certificate chain and key files) when given.
pub fn client_config(
    ca: &Path,
    identity: Option<(&Path, &Path)>,
) -> Result<quinn::crypto::rustls::QuicClientConfig, QuicError> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| transport(e, "ca", ca))?
        .with_root_certificates(roots("ca", ca)?);
    let mut tls = match identity {
        Some((cert, key)) => builder
            .with_client_auth_cert(load_certs("cert", cert)?, load_key("key", key)?)
            .map_err(|e| {
                transport(
                    format!("certificate and key do not go together: {e}"),
                    "key",
                    key,
                )
            })?,
        None => builder.with_no_client_auth(),
    };
    tls.alpn_protocols = vec![ALPN.to_vec()];
    quinn::crypto::rustls::QuicClientConfig::try_from(tls).map_err(|e| transport(e, "ca", ca))
}

/// A short label for a peer's leaf certificate in metrics (no X.509 parser is pulled in
/// to read its subject). Not a security fingerprint: it only tells clients apart.
pub fn label(cert: &CertificateDer<'_>) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    cert.as_ref().hash(&mut h);
    format!("{:016x}", h.finish())
}
