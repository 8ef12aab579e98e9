//! The `[quic]` section of the site file: where the cellular endpoint listens, its TLS
//! material, and how much each client may cost. Plain data, checked once at load like the
//! rest of the scenario (errors are a key path and a reason), so it is compiled even without
//! the `quic` feature.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuicSpec {
    /// The link's name in metrics and health.
    #[serde(default = "default_name")]
    pub name: String,
    /// UDP address to listen on, e.g. `0.0.0.0:4433` (port 0 takes any free port).
    pub listen: String,
    /// The server's certificate chain (PEM), leaf first.
    pub cert: PathBuf,
    /// The server's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// The CA (PEM, one or more certificates) that client certificates must chain to.
    pub client_ca: PathBuf,
    /// Connections past this many are closed with the reason "server full".
    #[serde(default = "default_max_clients")]
    pub max_clients: usize,
    /// Messages queued per client; when full the oldest periodic message (RSM, SPAT, MAP)
    /// makes room.
    #[serde(default = "default_client_queue")]
    pub client_queue: usize,
    /// A client is cut off after this many of its messages were dropped.
    #[serde(default = "default_max_drops")]
    pub max_drops: u64,
    /// A client is cut off when its oldest queued message has waited this long.
    #[serde(default = "default_max_lag_s")]
    pub max_lag_s: f64,
}

fn default_name() -> String {
    "quic".into()
}
fn default_max_clients() -> usize {
    64
}
fn default_client_queue() -> usize {
    64
}
fn default_max_drops() -> u64 {
    100
}
fn default_max_lag_s() -> f64 {
    2.0
}

/// Past this a queue is no longer a bound on memory worth having.
pub const MAX_CLIENT_QUEUE: usize = 65_536;

impl QuicSpec {
    /// A spec with the defaults, for code and tests that build one by hand.
    pub fn new(listen: &str, cert: &Path, key: &Path, client_ca: &Path) -> Self {
        Self {
            name: default_name(),
            listen: listen.into(),
            cert: cert.into(),
            key: key.into(),
            client_ca: client_ca.into(),
            max_clients: default_max_clients(),
            client_queue: default_client_queue(),
            max_drops: default_max_drops(),
            max_lag_s: default_max_lag_s(),
        }
    }

    /// Every rule that needs no file, as (key path under `quic.`, reason).
    pub fn check(&self) -> Result<(), (String, String)> {
        let fail = |k: &str, r: String| Err((format!("quic.{k}"), r));
        if self.name.trim().is_empty() {
            return fail("name", "must not be empty".into());
        }
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return fail(
                "listen",
                format!("{:?} is not an address such as 0.0.0.0:4433", self.listen),
            );
        }
        for (k, p) in [
            ("cert", &self.cert),
            ("key", &self.key),
            ("client_ca", &self.client_ca),
        ] {
            if p.as_os_str().is_empty() {
                return fail(k, "must name a PEM file".into());
            }
        }
        if self.max_clients == 0 {
            return fail("max_clients", "must be at least 1".into());
        }
        if self.client_queue == 0 || self.client_queue > MAX_CLIENT_QUEUE {
            return fail(
                "client_queue",
                format!(
                    "must be 1..={MAX_CLIENT_QUEUE} messages, got {}",
                    self.client_queue
                ),
            );
        }
        if !(self.max_lag_s.is_finite() && self.max_lag_s > 0.0) {
            return fail(
                "max_lag_s",
                format!("must be positive, got {}", self.max_lag_s),
            );
        }
        Ok(())
    }

    /// Relative file names are relative to the site file's directory, so the service finds
    /// them whatever its working directory.
    pub fn resolve_paths(&mut self, base: &Path) {
        for p in [&mut self.cert, &mut self.key, &mut self.client_ca] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }

    /// The listen address (checked by [`QuicSpec::check`]).
    pub fn listen_addr(&self) -> Option<std::net::SocketAddr> {
        self.listen.parse().ok()
    }
}
