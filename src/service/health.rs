//! What the live service is doing and whether it is healthy: a [`ServiceStatus`] the
//! service loop keeps current, and [`ServiceStatus::health`], a plain function of it, the
//! links' counters and the time. The HTTP `/healthz` and the TCC feed's health both read it.

use crate::link::stats::LinkSnapshot;
use crate::pipeline::PipelineStats;
use crate::scenario::{Scenario, SensorKind};
use crate::time::Timestamp;
use serde::Serialize;
use std::sync::{Arc, Mutex};

/// One sensor input as the service sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensorSeen {
    pub id: String,
    pub kind: SensorKind,
    pub rate_hz: f64,
    /// Whether the service has a socket for it (a `listen` address).
    pub listening: bool,
    /// Datagrams received.
    pub datagrams: u64,
    #[serde(skip)]
    pub last_input: Option<Timestamp>,
}

/// The service's state, kept current by its loop.
#[derive(Debug, Clone, Default)]
pub struct ServiceStatus {
    pub started: Timestamp,
    pub sensors: Vec<SensorSeen>,
    pub stats: PipelineStats,
    /// Confirmed tracks in the world model now.
    pub tracks: usize,
    /// Whether the signal controller's feed is alive; `None` when the site uses a plan.
    pub signal_feed_alive: Option<bool>,
    pub datagrams_in: u64,
    pub datagrams_dropped: u64,
    /// A sensor silent this long is degraded (else ten of its periods, at least 2 s).
    pub sensor_silent_s: Option<f64>,
}

/// Shared between the service loop (writer) and the metrics endpoint (reader).
pub type SharedStatus = Arc<Mutex<ServiceStatus>>;

impl ServiceStatus {
    /// The status of a site's service starting at `started`.
    pub fn new(s: &Scenario, started: Timestamp) -> Self {
        Self {
            started,
            sensors: s
                .sensors
                .iter()
                .map(|x| SensorSeen {
                    id: x.id.clone(),
                    kind: x.kind,
                    rate_hz: x.rate_hz,
                    listening: x.listen.is_some(),
                    datagrams: 0,
                    last_input: None,
                })
                .collect(),
            sensor_silent_s: s.metrics.sensor_silent_s,
            ..Self::default()
        }
    }

    /// How long sensor `i` may be silent before it is degraded.
    fn silent_after_s(&self, s: &SensorSeen) -> f64 {
        self.sensor_silent_s
            .unwrap_or_else(|| (10.0 / s.rate_hz.max(1e-3)).max(2.0))
    }

    /// What is degraded at `now`, given the links' counters.
    pub fn health(&self, now: Timestamp, links: &[LinkSnapshot]) -> Health {
        let mut degraded = Vec::new();
        let mut sensors = Vec::new();
        for s in &self.sensors {
            let since = s.last_input.unwrap_or(self.started);
            let silent_s = now.secs_since(since).max(0.0);
            // A BSM receiver is quiet whenever no equipped vehicle is near: not a fault.
            let bad = s.listening && s.kind != SensorKind::Bsm && silent_s > self.silent_after_s(s);
            if bad {
                degraded.push(Degradation {
                    component: format!("sensor {}", s.id),
                    reason: match s.last_input {
                        Some(_) => format!("silent for {silent_s:.1} s"),
                        None => format!("nothing received in {silent_s:.1} s since start"),
                    },
                });
            }
            sensors.push(SensorHealth {
                id: s.id.clone(),
                kind: s.kind,
                listening: s.listening,
                datagrams: s.datagrams,
                silent_s: s.listening.then_some(silent_s),
                degraded: bad,
            });
        }
        for l in links {
            if !l.up {
                degraded.push(Degradation {
                    component: format!("link {}", l.name),
                    reason: l
                        .last_error
                        .clone()
                        .unwrap_or_else(|| "not connected".into()),
                });
            }
        }
        if self.signal_feed_alive == Some(false) {
            degraded.push(Degradation {
                component: "signal feed".into(),
                reason: "no valid controller state within its timeout; SPAT stopped".into(),
            });
        }
        Health {
            status: if degraded.is_empty() {
                HealthStatus::Ok
            } else {
                HealthStatus::Degraded
            },
            uptime_s: now.secs_since(self.started),
            degraded,
            sensors,
            links: links
                .iter()
                .map(|l| LinkHealth {
                    name: l.name.clone(),
                    kind: l.kind.clone(),
                    up: l.up,
                    queue_depth: l.queue_depth,
                    last_error: l.last_error.clone(),
                })
                .collect(),
            signal_feed_alive: self.signal_feed_alive,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Ok,
    Degraded,
}

/// The service's health: `ok`, or `degraded` with what and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    pub status: HealthStatus,
    pub uptime_s: f64,
    pub degraded: Vec<Degradation>,
    pub sensors: Vec<SensorHealth>,
    pub links: Vec<LinkHealth>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal_feed_alive: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Degradation {
    /// `sensor <id>`, `link <name>` or `signal feed`.
    pub component: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensorHealth {
    pub id: String,
    pub kind: SensorKind,
    pub listening: bool,
    pub datagrams: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silent_s: Option<f64>,
    pub degraded: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkHealth {
    pub name: String,
    pub kind: String,
    pub up: bool,
    pub queue_depth: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> ServiceStatus {
        ServiceStatus {
            started: Timestamp::from_micros(0),
            sensors: vec![
                SensorSeen {
                    id: "cam".into(),
                    kind: SensorKind::Camera,
                    rate_hz: 10.0,
                    listening: true,
                    datagrams: 5,
                    last_input: Some(Timestamp::from_micros(1_000_000)),
                },
                SensorSeen {
                    id: "obu".into(),
                    kind: SensorKind::Bsm,
                    rate_hz: 10.0,
                    listening: true,
                    datagrams: 0,
                    last_input: None,
                },
            ],
            ..ServiceStatus::default()
        }
    }

    #[test]
    fn a_silent_camera_degrades_but_a_quiet_bsm_receiver_does_not() {
        let s = status();
        let h = s.health(Timestamp::from_micros(2_500_000), &[]);
        assert_eq!(h.status, HealthStatus::Ok, "{h:?}");
        let h = s.health(Timestamp::from_micros(3_500_000), &[]);
        assert_eq!(h.status, HealthStatus::Degraded);
        assert_eq!(h.degraded.len(), 1, "{h:?}");
        assert_eq!(h.degraded[0].component, "sensor cam");
        assert!(h.sensors[0].degraded && !h.sensors[1].degraded);
    }

    #[test]
    fn a_down_link_and_a_lost_feed_degrade() {
        let mut s = status();
        s.signal_feed_alive = Some(false);
        let link = crate::link::stats::LinkStats::new("rsu-1", "rsu", 4);
        link.error("SPAT", "connection refused");
        let h = s.health(Timestamp::from_micros(1_500_000), &[link.snapshot()]);
        let what: Vec<&str> = h.degraded.iter().map(|d| d.component.as_str()).collect();
        assert_eq!(what, vec!["link rsu-1", "signal feed"]);
        assert!(h.degraded[0].reason.contains("refused"));
    }
}
