//! Certificates for QUIC link tests and benches, made fresh with rcgen: a CA, a server
//! certificate for `localhost` and 127.0.0.1, a client certificate from the CA, and a
//! client certificate from another CA (which the server must refuse).
#![allow(dead_code)]

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

pub struct Pki {
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// A client certificate signed by a CA the server does not know.
    pub stranger_cert: PathBuf,
    pub stranger_key: PathBuf,
}

fn ca(name: &str) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().expect("CA key");
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    (p.self_signed(&key).expect("CA certificate"), key)
}

fn leaf(
    names: &[&str],
    cn: &str,
    purpose: ExtendedKeyUsagePurpose,
    issuer: &(rcgen::Certificate, KeyPair),
) -> (String, String) {
    let key = KeyPair::generate().expect("key");
    let mut p = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .expect("params");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.extended_key_usages = vec![purpose];
    let cert = p
        .signed_by(&key, &issuer.0, &issuer.1)
        .expect("certificate");
    (cert.pem(), key.serialize_pem())
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write PEM");
    p
}

/// A fresh set of certificates in a directory of its own under the system temp dir.
pub fn make() -> Pki {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "roadsight-quic-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let site_ca = ca("roadsight test CA");
    let other_ca = ca("some other CA");
    let (sc, sk) = leaf(
        &["localhost", "127.0.0.1"],
        "roadsight site",
        ExtendedKeyUsagePurpose::ServerAuth,
        &site_ca,
    );
    let (cc, ck) = leaf(
        &[],
        "vehicle 1",
        ExtendedKeyUsagePurpose::ClientAuth,
        &site_ca,
    );
    let (xc, xk) = leaf(
        &[],
        "intruder",
        ExtendedKeyUsagePurpose::ClientAuth,
        &other_ca,
    );
    Pki {
        ca: write(&dir, "ca.pem", &site_ca.0.pem()),
        server_cert: write(&dir, "server.pem", &sc),
        server_key: write(&dir, "server.key", &sk),
        client_cert: write(&dir, "client.pem", &cc),
        client_key: write(&dir, "client.key", &ck),
        stranger_cert: write(&dir, "stranger.pem", &xc),
        stranger_key: write(&dir, "stranger.key", &xk),
        dir,
    }
}
