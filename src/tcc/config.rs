//! The `[tcc]` section of the site file: which broker, as whom, how often, and where the
//! outage queue lives. Checked at load like the rest of the site file (key path + reason).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The traffic-control-centre feed of one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TccConfig {
    /// `mqtt://host:port` or, with TLS, `mqtts://host:port` (port defaults 1883 / 8883).
    pub broker: String,
    /// The `{site}` of the topics `roadsight/{site}/...`: letters, digits, `_` and `-`.
    pub site_id: String,
    /// MQTT client id; default `roadsight-{site_id}`.
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    /// Kept out of the site file where possible: see `password_file`.
    #[serde(default)]
    pub password: Option<String>,
    /// A file whose first line is the password (read at start).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// PEM file of the CA that signed the broker's certificate (`mqtts://` only; without
    /// it the system's roots are used).
    #[serde(default)]
    pub tls_ca: Option<PathBuf>,
    /// World-model snapshots per second on `/tracks` (0 turns them off).
    #[serde(default = "default_tracks_hz")]
    pub tracks_hz: f64,
    /// Signal-state messages per second on `/spat` (0 turns them off).
    #[serde(default = "default_spat_hz")]
    pub spat_hz: f64,
    /// Seconds between health messages on `/health`.
    #[serde(default = "default_health_period_s")]
    pub health_period_s: f64,
    /// Directory of the outage queue for events and health (created if missing).
    #[serde(default = "default_queue_dir")]
    pub queue_dir: PathBuf,
    /// Bytes the outage queue may hold on disk (and in memory) before new events and
    /// health are dropped and counted.
    #[serde(default = "default_queue_max_bytes")]
    pub queue_max_bytes: u64,
    /// Periodic messages (tracks, SPAT) held while the broker is slow; the oldest go first.
    #[serde(default = "default_periodic_queue")]
    pub periodic_queue: usize,
    #[serde(default = "default_keep_alive_s")]
    pub keep_alive_s: f64,
    /// Longest wait between reconnection attempts (the wait doubles from 0.1 s).
    #[serde(default = "default_reconnect_max_s")]
    pub reconnect_max_s: f64,
}

fn default_tracks_hz() -> f64 {
    2.0
}
fn default_spat_hz() -> f64 {
    1.0
}
fn default_health_period_s() -> f64 {
    5.0
}
fn default_queue_dir() -> PathBuf {
    PathBuf::from("tcc-queue")
}
fn default_queue_max_bytes() -> u64 {
    16 * 1024 * 1024
}
fn default_periodic_queue() -> usize {
    16
}
fn default_keep_alive_s() -> f64 {
    10.0
}
fn default_reconnect_max_s() -> f64 {
    5.0
}

/// Where the broker is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddr {
    pub host: String,
    pub port: u16,
    pub tls: bool,
}

/// Whether this build can speak TLS to a broker (the `tcc-tls` cargo feature).
pub const TLS_BUILT_IN: bool = cfg!(feature = "tcc-tls");

impl TccConfig {
    /// The broker's host, port and scheme.
    pub fn broker_addr(&self) -> Result<BrokerAddr, String> {
        let (tls, rest) = if let Some(r) = self.broker.strip_prefix("mqtt://") {
            (false, r)
        } else if let Some(r) = self.broker.strip_prefix("mqtts://") {
            (true, r)
        } else {
            return Err(format!(
                "{:?} is not mqtt://host:port or mqtts://host:port",
                self.broker
            ));
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                let port = p
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| format!("port {p:?} is not a number from 1 to 65535"))?;
                (h, port)
            }
            _ => (rest, if tls { 8883 } else { 1883 }),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(['/', '@', ' ']) {
            return Err(format!("{:?} has no usable host name", self.broker));
        }
        Ok(BrokerAddr {
            host: host.to_string(),
            port,
            tls,
        })
    }

    pub fn client_id(&self) -> String {
        self.client_id
            .clone()
            .unwrap_or_else(|| format!("roadsight-{}", self.site_id))
    }

    /// `roadsight/{site}/{suffix}`.
    pub fn topic(&self, suffix: &str) -> String {
        format!("roadsight/{}/{suffix}", self.site_id)
    }

    /// Every rule, as (key under `tcc.`, reason).
    pub fn validate(&self) -> Result<(), (String, String)> {
        let fail = |k: &str, r: String| Err((format!("tcc.{k}"), r));
        let addr = match self.broker_addr() {
            Ok(a) => a,
            Err(r) => return fail("broker", r),
        };
        if addr.tls && !TLS_BUILT_IN {
            return fail(
                "broker",
                "mqtts:// needs TLS, and this build has no TLS (build with --features tcc-tls)"
                    .into(),
            );
        }
        if self.tls_ca.is_some() && !addr.tls {
            return fail("tls_ca", "given, but the broker is mqtt:// (no TLS)".into());
        }
        let id_ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if !id_ok(&self.site_id) {
            return fail(
                "site_id",
                "must be 1 to 64 characters of A-Z a-z 0-9 _ - (it is an MQTT topic level)".into(),
            );
        }
        if let Some(c) = &self.client_id {
            if c.is_empty() || c.len() > 128 {
                return fail("client_id", "must be 1 to 128 characters".into());
            }
        }
        if self.password.is_some() && self.password_file.is_some() {
            return fail(
                "password_file",
                "give password or password_file, not both".into(),
            );
        }
        if (self.password.is_some() || self.password_file.is_some()) && self.username.is_none() {
            return fail("username", "a password needs a username".into());
        }
        for (k, v, max) in [
            ("tracks_hz", self.tracks_hz, 50.0),
            ("spat_hz", self.spat_hz, 50.0),
        ] {
            if !v.is_finite() || !(0.0..=max).contains(&v) {
                return fail(k, format!("must be from 0 to {max} per second"));
            }
        }
        for (k, v) in [
            ("health_period_s", self.health_period_s),
            ("keep_alive_s", self.keep_alive_s),
            ("reconnect_max_s", self.reconnect_max_s),
        ] {
            if !v.is_finite() || !(0.1..=3600.0).contains(&v) {
                return fail(k, "must be from 0.1 to 3600 seconds".into());
            }
        }
        if self.queue_max_bytes < 64 * 1024 {
            return fail("queue_max_bytes", "must be at least 65536".into());
        }
        if self.periodic_queue == 0 {
            return fail("periodic_queue", "must be at least 1".into());
        }
        Ok(())
    }

    /// The password from `password` or the first line of `password_file`.
    pub fn password(&self) -> std::io::Result<Option<String>> {
        match (&self.password, &self.password_file) {
            (Some(p), _) => Ok(Some(p.clone())),
            (None, Some(f)) => Ok(Some(
                std::fs::read_to_string(f)?
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string(),
            )),
            (None, None) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(broker: &str) -> TccConfig {
        toml::from_str(&format!("broker = {broker:?}\nsite_id = \"x-1\"")).unwrap_or_else(|e| {
            panic!("{e}");
        })
    }

    #[test]
    fn broker_addresses() {
        let a = cfg("mqtt://127.0.0.1:1884").broker_addr();
        assert_eq!(
            a,
            Ok(BrokerAddr {
                host: "127.0.0.1".into(),
                port: 1884,
                tls: false
            })
        );
        assert_eq!(
            cfg("mqtts://broker.example").broker_addr().map(|a| a.port),
            Ok(8883)
        );
        assert_eq!(
            cfg("mqtt://[::1]:1883").broker_addr().map(|a| a.host),
            Ok("::1".into())
        );
        assert!(cfg("http://x:1").broker_addr().is_err());
        assert!(cfg("mqtt://x:0").broker_addr().is_err());
        assert_eq!(cfg("mqtt://x:1").validate(), Ok(()),);
        let mut c = cfg("mqtt://x:1");
        c.site_id = "a/b".into();
        assert_eq!(c.validate().map_err(|e| e.0), Err("tcc.site_id".into()));
    }
}
