//! What the site tells the traffic-control centre, as JSON (schema `docs/schema/tcc-feed-v1.json`):
//! world-model snapshots on `/tracks`, hazard and TCC-event lifecycles on `/events`, signal
//! state on `/spat`, health on `/health`, and command replies on `/cmd/reply`.
//!
//! [`Feed`] is a tap on the pipeline, sans-IO like the pipeline itself: the driver calls
//! [`Feed::handle_timeout`] at [`Feed::poll_timeout`] and [`Feed::handle_event`] for each
//! pipeline event, and drains [`Feed::poll_publish`] into the MQTT link.

use crate::geo::{Enu, SiteFrame};
use crate::link::stats::LinkSnapshot;
use crate::pipeline::{Event, Pipeline, PipelineStats};
use crate::signal::{ControllerMode, GroupState};
use crate::time::Timestamp;
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, VecDeque};

/// The `schema` field of every message; a consumer checks it before reading on.
pub const SCHEMA: &str = "roadsight.tcc/1";

/// The topics of the feed, under `roadsight/{site}/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Topic {
    Tracks,
    Events,
    Spat,
    Health,
    CmdReply,
}

impl Topic {
    pub const ALL: [Topic; 5] = [
        Self::Tracks,
        Self::Events,
        Self::Spat,
        Self::Health,
        Self::CmdReply,
    ];

    /// The topic under `roadsight/{site}/`.
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Tracks => "tracks",
            Self::Events => "events",
            Self::Spat => "spat",
            Self::Health => "health",
            Self::CmdReply => "cmd/reply",
        }
    }

    /// Kept through a broker outage (on disk, in order, QoS 1); the others are periodic and
    /// superseded by their next copy (QoS 0, drop-oldest).
    pub fn durable(self) -> bool {
        matches!(self, Self::Events | Self::Health | Self::CmdReply)
    }

    fn index(self) -> usize {
        self as usize
    }

    pub fn from_suffix(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.suffix() == s)
    }
}

/// One message to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    pub topic: Topic,
    pub payload: Vec<u8>,
    /// When it was made (for the link's latency counters).
    pub time: Timestamp,
}

/// How often to publish, and as which site.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedConfig {
    pub site_id: String,
    /// 0 turns a periodic topic off.
    pub tracks_hz: f64,
    pub spat_hz: f64,
    pub health_period_s: f64,
}

impl From<&super::config::TccConfig> for FeedConfig {
    fn from(c: &super::config::TccConfig) -> Self {
        Self {
            site_id: c.site_id.clone(),
            tracks_hz: c.tracks_hz,
            spat_hz: c.spat_hz,
            health_period_s: c.health_period_s,
        }
    }
}

pub(crate) fn ser_time<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

/// The fields every message starts with.
#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    schema: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    site: &'a str,
    /// The service run (its start time): with `seq`, a message's identity across
    /// redeliveries after an outage.
    run: &'a str,
    /// Counts from 0 per run and message type.
    seq: u64,
    #[serde(serialize_with = "ser_time")]
    time: Timestamp,
    #[serde(flatten)]
    body: T,
}

#[derive(Serialize)]
struct Tracks {
    tracks: Vec<Track>,
}

#[derive(Serialize)]
struct Track {
    id: u32,
    class: String,
    class_probability: f64,
    position: Position,
    velocity: Velocity,
    /// Degrees clockwise from north (0..360), and its standard deviation.
    heading_deg: f64,
    heading_std_deg: f64,
    pos_std_m: f64,
    speed_std_mps: f64,
    /// Covariance of [east_m, north_m, vel_east_mps, vel_north_mps], row-major, 16 values.
    covariance: Vec<f64>,
    length_m: f64,
    width_m: f64,
    age_s: f64,
    sensors: Vec<String>,
}

#[derive(Serialize)]
struct Position {
    east_m: f64,
    north_m: f64,
    lat_deg: f64,
    lon_deg: f64,
}

#[derive(Serialize)]
struct Velocity {
    east_mps: f64,
    north_mps: f64,
    speed_mps: f64,
}

#[derive(Serialize)]
#[serde(tag = "category", rename_all = "snake_case")]
enum EventBody<'a> {
    Hazard {
        #[serde(flatten)]
        hazard: &'a crate::hazard::HazardEvent,
        /// The hazard's point in WGS84.
        lat_deg: f64,
        lon_deg: f64,
    },
    Tcc {
        action: crate::pipeline::TccAction,
        id: &'a str,
    },
}

#[derive(Serialize)]
struct Spat {
    mode: ControllerMode,
    groups: Vec<Group>,
}

#[derive(Serialize)]
struct Group {
    id: u8,
    /// The current interval first, then up to two after it.
    intervals: Vec<Interval>,
}

#[derive(Serialize)]
struct Interval {
    state: crate::v2x::cn::spat::Light,
    #[serde(serialize_with = "ser_time")]
    start: Timestamp,
    #[serde(serialize_with = "ser_time")]
    min_end: Timestamp,
    #[serde(serialize_with = "ser_time")]
    max_end: Timestamp,
    #[serde(serialize_with = "ser_time")]
    likely_end: Timestamp,
    confidence: f64,
}

#[derive(Serialize)]
struct Health<'a> {
    uptime_s: f64,
    /// What is not as it should be, in words; empty when all is well.
    degraded: Vec<String>,
    pipeline: &'a PipelineStats,
    links: Vec<Link<'a>>,
    sensors: Vec<SensorHealth<'a>>,
}

#[derive(Serialize)]
struct Link<'a> {
    name: &'a str,
    kind: &'a str,
    up: bool,
    queue_depth: usize,
    queue_capacity: usize,
    last_error: Option<&'a str>,
    messages: BTreeMap<&'a str, LinkCounters>,
}

#[derive(Serialize)]
struct LinkCounters {
    enqueued: u64,
    sent: u64,
    dropped: u64,
    errors: u64,
    latency_mean_s: Option<f64>,
}

#[derive(Serialize)]
struct SensorHealth<'a> {
    index: u16,
    id: &'a str,
    malformed_datagrams: u64,
    rejected_detections: u64,
}

#[derive(Serialize)]
struct Reply<'a> {
    request_id: Option<&'a str>,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ReplyError<'a>>,
}

#[derive(Serialize)]
struct ReplyError<'a> {
    field: &'a str,
    reason: &'a str,
}

/// The TCC feed's scheduler and message builder.
pub struct Feed {
    cfg: FeedConfig,
    run: String,
    start: Timestamp,
    /// Next due time of tracks, spat and health.
    next: [Option<Timestamp>; 3],
    seq: [u64; Topic::ALL.len()],
    out: VecDeque<Publish>,
    signal_buf: Vec<GroupState>,
}

fn period_us(hz: f64) -> Option<i64> {
    (hz.is_finite() && hz > 0.0).then(|| (1e6 / hz).round().max(1.0) as i64)
}

impl Feed {
    /// A feed whose first messages are due at `start`.
    pub fn new(cfg: FeedConfig, start: Timestamp) -> Self {
        let next = [
            period_us(cfg.tracks_hz).map(|_| start),
            period_us(cfg.spat_hz).map(|_| start),
            period_us(1.0 / cfg.health_period_s).map(|_| start),
        ];
        Self {
            cfg,
            run: start.to_string(),
            start,
            next,
            seq: [0; Topic::ALL.len()],
            out: VecDeque::new(),
            signal_buf: Vec::new(),
        }
    }

    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.next.iter().flatten().min().copied()
    }

    pub fn poll_publish(&mut self) -> Option<Publish> {
        self.out.pop_front()
    }

    fn push<T: Serialize>(&mut self, topic: Topic, kind: &'static str, now: Timestamp, body: T) {
        let seq = self.seq[topic.index()];
        self.seq[topic.index()] += 1;
        let env = Envelope {
            schema: SCHEMA,
            kind,
            site: &self.cfg.site_id,
            run: &self.run,
            seq,
            time: now,
            body,
        };
        // Serialising plain structs of numbers and strings cannot fail; non-finite floats
        // become null, which the schema allows where a value can be unknown.
        if let Ok(payload) = serde_json::to_vec(&env) {
            self.out.push_back(Publish {
                topic,
                payload,
                time: now,
            });
        }
    }

    /// Publishes what is due at `now`: a world snapshot, the signal state, health.
    pub fn handle_timeout(&mut self, now: Timestamp, pipeline: &Pipeline, links: &[LinkSnapshot]) {
        let periods = [
            period_us(self.cfg.tracks_hz),
            period_us(self.cfg.spat_hz),
            period_us(1.0 / self.cfg.health_period_s),
        ];
        for (k, period) in periods.into_iter().enumerate() {
            let (Some(due), Some(p)) = (self.next[k], period) else {
                continue;
            };
            if due > now {
                continue;
            }
            match k {
                0 => self.tracks(now, pipeline),
                1 => self.spat(now, pipeline),
                _ => self.health(now, pipeline, links),
            }
            // After a stall, the next one is a period from now, not a burst of catch-ups.
            let mut next = due.micros() + p;
            if next <= now.micros() {
                next = now.micros() + p;
            }
            self.next[k] = Some(Timestamp::from_micros(next));
        }
    }

    fn tracks(&mut self, now: Timestamp, pipeline: &Pipeline) {
        let frame = &pipeline.config().site.frame;
        let names: Vec<&str> = pipeline
            .config()
            .sensors
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        let tracks = pipeline
            .world()
            .objects
            .iter()
            .map(|o| {
                let g = frame.to_geo(Enu::new(o.east_m, o.north_m, 0.0));
                Track {
                    id: o.id,
                    class: format!("{:?}", o.class).to_lowercase(),
                    class_probability: o.class_probability,
                    position: Position {
                        east_m: o.east_m,
                        north_m: o.north_m,
                        lat_deg: g.lat_deg,
                        lon_deg: g.lon_deg,
                    },
                    velocity: Velocity {
                        east_mps: o.vel_east_mps,
                        north_mps: o.vel_north_mps,
                        speed_mps: o.speed_mps(),
                    },
                    heading_deg: (90.0 - o.yaw_rad.to_degrees()).rem_euclid(360.0),
                    heading_std_deg: o.heading_std_rad.to_degrees(),
                    pos_std_m: o.pos_std_m,
                    speed_std_mps: o.speed_std_mps,
                    covariance: o.state_cov.iter().flatten().copied().collect(),
                    length_m: o.length_m,
                    width_m: o.width_m,
                    age_s: o.age_s,
                    sensors: (0..64)
                        .filter(|i| o.seen_by & (1u64 << i) != 0)
                        .map(|i| {
                            names
                                .get(i)
                                .map_or_else(|| format!("#{i}"), |n| (*n).to_string())
                        })
                        .collect(),
                }
            })
            .collect();
        self.push(Topic::Tracks, "tracks", now, Tracks { tracks });
    }

    fn spat(&mut self, now: Timestamp, pipeline: &Pipeline) {
        let mut buf = std::mem::take(&mut self.signal_buf);
        let mode = pipeline.signal_state(now, &mut buf);
        if mode == ControllerMode::Unsignalised {
            self.signal_buf = buf;
            return;
        }
        let groups = buf
            .iter()
            .map(|g| Group {
                id: g.id,
                intervals: g
                    .intervals()
                    .iter()
                    .map(|iv| Interval {
                        state: iv.light,
                        start: iv.start,
                        min_end: iv.min_end,
                        max_end: iv.max_end,
                        likely_end: iv.likely_end,
                        confidence: iv.confidence,
                    })
                    .collect(),
            })
            .collect();
        self.signal_buf = buf;
        self.push(Topic::Spat, "spat", now, Spat { mode, groups });
    }

    fn health(&mut self, now: Timestamp, pipeline: &Pipeline, links: &[LinkSnapshot]) {
        let stats = pipeline.stats();
        let mut degraded = Vec::new();
        for l in links.iter().filter(|l| !l.up) {
            degraded.push(format!("link {} ({}) is down", l.name, l.kind));
        }
        if matches!(
            pipeline.config().signal,
            crate::signal::SignalController::Feed(_)
        ) {
            let mut buf = Vec::new();
            if pipeline.signal_state(now, &mut buf) == ControllerMode::Unknown {
                degraded.push("signal feed: no valid state".to_string());
            }
        }
        let sensors = pipeline
            .config()
            .sensors
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let i = i as u16;
                SensorHealth {
                    index: i,
                    id: &s.id,
                    malformed_datagrams: stats.malformed_datagrams.get(&i).copied().unwrap_or(0),
                    rejected_detections: stats.rejected_detections.get(&i).copied().unwrap_or(0),
                }
            })
            .collect();
        let links = links
            .iter()
            .map(|l| Link {
                name: &l.name,
                kind: &l.kind,
                up: l.up,
                queue_depth: l.queue_depth,
                queue_capacity: l.queue_capacity,
                last_error: l.last_error.as_deref(),
                messages: l
                    .messages
                    .iter()
                    .map(|(k, c)| {
                        (
                            k.as_str(),
                            LinkCounters {
                                enqueued: c.enqueued,
                                sent: c.sent,
                                dropped: c.dropped,
                                errors: c.errors,
                                latency_mean_s: (c.sent > 0)
                                    .then(|| c.latency_sum_s / c.sent as f64),
                            },
                        )
                    })
                    .collect(),
            })
            .collect();
        let body = Health {
            uptime_s: now.secs_since(self.start),
            degraded,
            pipeline: stats,
            links,
            sensors,
        };
        self.push(Topic::Health, "health", now, body);
    }

    /// A pipeline event: hazard lifecycles and TCC-event changes go to `/events`.
    pub fn handle_event(&mut self, now: Timestamp, ev: &Event, frame: &SiteFrame) {
        match ev {
            Event::Hazard { hazard, .. } => {
                let g = frame.to_geo(Enu::new(
                    hazard.hazard.point[0],
                    hazard.hazard.point[1],
                    0.0,
                ));
                let body = EventBody::Hazard {
                    hazard,
                    lat_deg: g.lat_deg,
                    lon_deg: g.lon_deg,
                };
                self.push(Topic::Events, "event", now, body);
            }
            Event::TccEvent { action, id, .. } => {
                let body = EventBody::Tcc {
                    action: *action,
                    id,
                };
                self.push(Topic::Events, "event", now, body);
            }
            _ => {}
        }
    }

    /// The answer to a command, on `/cmd/reply`.
    pub fn reply(
        &mut self,
        now: Timestamp,
        request_id: Option<&str>,
        outcome: Result<(), &super::command::CommandError>,
    ) {
        let body = Reply {
            request_id,
            ok: outcome.is_ok(),
            error: outcome.err().map(|e| ReplyError {
                field: &e.field,
                reason: &e.reason,
            }),
        };
        self.push(Topic::CmdReply, "cmd_reply", now, body);
    }
}
