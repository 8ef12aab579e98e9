//! The site's output links and its metrics endpoint, as the site file declares them:
//!
//! ```toml
//! [[links.rsu]]
//! name = "rsu-north"
//! address = "192.0.2.10:1516"
//! format = "ifm"                       # "uper" (default) or "ifm"
//! messages = ["rsm", "spat", "map", "rsi"]
//! queue = 16                           # periodic messages: drop-oldest past this
//! event_queue = 256                    # events (RSI): kept, dropped (counted) past this
//! tx_mode = "cont"                     # IFM TxMode: "cont" or "alt"
//! tx_channel = 183
//! psid = { rsm = 0x8010, spat = 0x8002, map = 0xE0000017, rsi = 0x8003 }
//! priority = { rsi = 7 }
//! type = { rsm = "TEST00", rsi = "TEST01" }  # IFM Type line; default the kind's name
//!
//! [metrics]
//! listen = "127.0.0.1:9464"
//! ```
//!
//! Checked once at load; an error names the key (`links.rsu[1].psid.spat`) and the reason.

use crate::pipeline::MessageKind;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// Every output link of the site, by kind; several of each allowed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinksSpec {
    #[serde(default)]
    pub rsu: Vec<RsuLinkSpec>,
}

/// How messages are put into datagrams for an RSU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RsuFormat {
    /// The UPER `MessageFrame`, one per datagram, nothing around it.
    #[default]
    Uper,
    /// The USDOT RSU Specification 4.1 "Immediate Forward" text message (`docs/links.md`).
    Ifm,
}

/// IFM `TxMode`: continuous, or alternating between the control and a service channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TxMode {
    #[default]
    Cont,
    Alt,
}

/// One value per message kind; absent ones take the link's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerKind<T> {
    pub rsm: Option<T>,
    pub spat: Option<T>,
    pub map: Option<T>,
    pub rsi: Option<T>,
    pub mapem: Option<T>,
}

impl<T> PerKind<T> {
    pub fn get_ref(&self, k: MessageKind) -> Option<&T> {
        match k {
            MessageKind::Rsm => self.rsm.as_ref(),
            MessageKind::Spat => self.spat.as_ref(),
            MessageKind::Map => self.map.as_ref(),
            MessageKind::Rsi => self.rsi.as_ref(),
            MessageKind::Mapem => self.mapem.as_ref(),
        }
    }
}

impl<T: Copy> PerKind<T> {
    pub fn get(&self, k: MessageKind) -> Option<T> {
        self.get_ref(k).copied()
    }
}

/// A roadside unit that broadcasts what it gets over UDP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RsuLinkSpec {
    /// Unique among links; names the link in metrics and logs.
    pub name: String,
    /// The RSU's UDP address (its immediate-forward port).
    pub address: SocketAddr,
    #[serde(default)]
    pub format: RsuFormat,
    /// The message kinds this RSU broadcasts; the CN set (RSM, SPAT, MAP, RSI) when absent:
    /// an ETSI message (MAPEM) goes only to a link that lists it.
    #[serde(default = "cn_kinds")]
    pub messages: Vec<MessageKind>,
    /// Periodic messages (RSM, SPAT, MAP) waiting past this are dropped oldest first: the
    /// next copy supersedes them.
    #[serde(default = "default_queue")]
    pub queue: usize,
    /// Events (RSI) are kept up to this many waiting; past it new ones are dropped (counted).
    #[serde(default = "default_event_queue")]
    pub event_queue: usize,
    /// IFM: PSID (the AID in the CN set) per message kind; required for each kind sent.
    #[serde(default)]
    pub psid: PerKind<u32>,
    /// IFM: priority 0..=7 per message kind; default 7 for RSI, 6 for the others.
    #[serde(default)]
    pub priority: PerKind<u8>,
    /// IFM: the `Type` line per message kind; default the kind's name (`RSM`, `SPAT`, `MAP`,
    /// `RSI`). Some RSUs take only J2735 names and `TEST00`..`TEST15` (docs/links.md).
    #[serde(default, rename = "type")]
    pub ifm_type: PerKind<String>,
    #[serde(default)]
    pub tx_mode: TxMode,
    /// IFM: the radio channel (DSRC 172..=184, C-V2X 183 by convention).
    #[serde(default = "default_channel")]
    pub tx_channel: u8,
    /// IFM: ask the RSU to sign (it holds the certificates).
    #[serde(default)]
    pub signature: bool,
    /// A link whose socket cannot be opened tries again after this long.
    #[serde(default = "default_retry")]
    pub retry_s: f64,
}

fn cn_kinds() -> Vec<MessageKind> {
    MessageKind::CN.to_vec()
}
fn default_queue() -> usize {
    16
}
fn default_event_queue() -> usize {
    256
}
fn default_channel() -> u8 {
    183
}
fn default_retry() -> f64 {
    1.0
}

impl RsuLinkSpec {
    /// The IFM priority of a kind: configured, or 7 for events and 6 for periodic messages.
    pub fn priority_of(&self, k: MessageKind) -> u8 {
        self.priority
            .get(k)
            .unwrap_or(if k == MessageKind::Rsi { 7 } else { 6 })
    }

    /// The IFM `Type` of a kind: configured, or the kind's name.
    pub fn type_of(&self, k: MessageKind) -> &str {
        self.ifm_type.get_ref(k).map_or(k.name(), String::as_str)
    }
}

/// The HTTP endpoint of metrics (Prometheus text) and health (`/healthz`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSpec {
    /// Where to listen; keep it on loopback unless a scraper elsewhere needs it.
    pub listen: Option<SocketAddr>,
    /// A sensor (not a BSM receiver) silent this long is reported degraded. Default: ten of
    /// its frame periods, at least 2 s.
    #[serde(default)]
    pub sensor_silent_s: Option<f64>,
}

/// Every rule of the `links` and `metrics` tables, as (key path, reason).
pub fn check(links: &LinksSpec, metrics: &MetricsSpec) -> Result<(), (String, String)> {
    let mut names = std::collections::BTreeSet::new();
    for (i, l) in links.rsu.iter().enumerate() {
        let k = |f: &str| format!("links.rsu[{i}].{f}");
        if l.name.trim().is_empty() {
            return Err((k("name"), "must not be empty".into()));
        }
        if !names.insert(l.name.as_str()) {
            return Err((k("name"), format!("duplicate link name {:?}", l.name)));
        }
        if l.address.port() == 0 || l.address.ip().is_unspecified() {
            return Err((
                k("address"),
                format!(
                    "{} is not a destination (port 0 or unspecified host)",
                    l.address
                ),
            ));
        }
        if l.messages.is_empty() {
            return Err((k("messages"), "names no message kind".into()));
        }
        if !(1..=65_536).contains(&l.queue) {
            return Err((k("queue"), format!("{} is not within 1..=65536", l.queue)));
        }
        if !(1..=1_000_000).contains(&l.event_queue) {
            return Err((
                k("event_queue"),
                format!("{} is not within 1..=1000000", l.event_queue),
            ));
        }
        if !(l.retry_s.is_finite() && l.retry_s > 0.0 && l.retry_s <= 3600.0) {
            return Err((
                k("retry_s"),
                format!("{} is not within (0, 3600] s", l.retry_s),
            ));
        }
        for kind in MessageKind::ALL {
            let name = kind.name().to_lowercase();
            if let Some(p) = l.priority.get(kind) {
                if p > 7 {
                    return Err((k(&format!("priority.{name}")), format!("{p} is not 0..=7")));
                }
            }
            if let Some(t) = l.ifm_type.get_ref(kind) {
                let ok = (1..=16).contains(&t.len())
                    && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if !ok {
                    return Err((
                        k(&format!("type.{name}")),
                        format!("{t:?} is not 1 to 16 letters, digits or '_'"),
                    ));
                }
            }
            if let Some(p) = l.psid.get(kind) {
                // P-encoded PSIDs are at most four bytes, 0xEFFFFFFF the last (IEEE 1609.12).
                if p > 0xEFFF_FFFF {
                    return Err((
                        k(&format!("psid.{name}")),
                        format!("{p:#x} is past 0xEFFFFFFF"),
                    ));
                }
            }
            if l.format == RsuFormat::Ifm
                && l.messages.contains(&kind)
                && l.psid.get(kind).is_none()
            {
                return Err((
                    k(&format!("psid.{name}")),
                    format!(
                        "format \"ifm\" needs the PSID of every message kind it sends, and {} is sent",
                        kind.name()
                    ),
                ));
            }
        }
    }
    if let Some(s) = metrics.sensor_silent_s {
        if !(s.is_finite() && s > 0.0) {
            return Err((
                "metrics.sensor_silent_s".into(),
                format!("must be positive, got {s}"),
            ));
        }
    }
    Ok(())
}
