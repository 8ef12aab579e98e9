//! The pipeline core: sensor frames in, V2X messages out, in one direction (ingest → fusion
//! → world model → messages). Sans-IO, like quinn-proto: it takes the time as an argument,
//! never reads a clock, never touches a socket or a file, and returns what to send. Replay
//! and the live service drive the very same code.
//!
//! The driver calls [`Pipeline::handle_frame`] when a sensor frame arrives,
//! [`Pipeline::handle_timeout`] at [`Pipeline::poll_timeout`], and drains
//! [`Pipeline::poll_transmit`] and [`Pipeline::poll_event`].

pub mod driver;
pub mod input;

pub use input::Input;

use crate::fusion::{ConfigError, Status as TrackStatus, Tracker, TrackerConfig};
use crate::map::SiteMap;
use crate::scenario::{Rates, RsmTrigger, Scenario};
use crate::sensor::camera::CameraError;
use crate::sensor::ingest::{Fault, Ingest};
use crate::sensor::{Coverage, RawFrame, SensorFrame};
use crate::signal::{ControllerMode, GroupState, SignalController, SignalEvent, SignalMonitor};
use crate::time::Timestamp;
use crate::v2x::cn::compose::{self, SiteIdentity};
use crate::v2x::cn::{encode_frame, CnMessage};
use crate::world::{WorldObject, WorldSnapshot};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The V2X message types the pipeline emits.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Rsm,
    Spat,
    Map,
    /// Sent with every RSM cycle while hazards with an RSI code are in force.
    Rsi,
    /// The map as ETSI MAPEM (TS 103 301): `ItsPduHeader` and ISO TS 19091 `MapData`, not a
    /// CN `MessageFrame`.
    Mapem,
}

impl MessageKind {
    /// The kinds sent at a fixed rate.
    pub const PERIODIC: [MessageKind; 4] = [
        MessageKind::Rsm,
        MessageKind::Spat,
        MessageKind::Map,
        MessageKind::Mapem,
    ];
    /// The CN set (YD/T 3709), what a link sends unless it lists its kinds.
    pub const CN: [MessageKind; 4] = [
        MessageKind::Rsm,
        MessageKind::Spat,
        MessageKind::Map,
        MessageKind::Rsi,
    ];
    pub const ALL: [MessageKind; 5] = [
        MessageKind::Rsm,
        MessageKind::Spat,
        MessageKind::Map,
        MessageKind::Rsi,
        MessageKind::Mapem,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Rsm => "RSM",
            Self::Spat => "SPAT",
            Self::Map => "MAP",
            Self::Rsi => "RSI",
            Self::Mapem => "MAPEM",
        }
    }
}

/// One encoded message to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Transmit {
    /// When it was made (the pipeline time).
    pub time: Timestamp,
    pub kind: MessageKind,
    /// UPER `MessageFrame`.
    pub bytes: Vec<u8>,
    /// Where the message is about ([`CnMessage::positions`]; a SPAT's intersection is the
    /// site anchor), so that links serving an area need not decode the UPER.
    pub positions: Vec<crate::geo::GeoPoint>,
}

/// Something worth a line in the event log.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    TrackConfirmed {
        time: String,
        track: u32,
        class: String,
    },
    TrackDeleted {
        time: String,
        track: u32,
    },
    Message {
        time: String,
        kind: MessageKind,
        bytes: usize,
        participants: usize,
    },
    /// A message could not be built or encoded; nothing was sent for it.
    MessageFailed {
        time: String,
        kind: MessageKind,
        reason: String,
    },
    /// A sensor frame arrived after a later capture had been processed: the tracker put it in
    /// its place in capture order and re-ran the later frames.
    LateFrame {
        time: String,
        sensor: u16,
        late_s: f64,
    },
    /// A sensor frame refused whole (unknown sensor, broken or implausible time, too old).
    FrameRejected {
        time: String,
        sensor: u16,
        reason: String,
    },
    /// The site configuration was reloaded (SIGHUP): the hazard settings in force changed.
    ConfigReloaded {
        time: String,
    },
    /// A reload was refused; the configuration in force stays.
    ConfigRejected {
        time: String,
        reason: String,
    },
    /// A hazard started, was updated or ended, with its provenance.
    Hazard {
        time: String,
        #[serde(flatten)]
        hazard: Box<crate::hazard::HazardEvent>,
    },
    /// The signal state changed (phase change, all-red, mode change, feed lost or back).
    Signal {
        time: String,
        #[serde(flatten)]
        change: SignalEvent,
    },
    /// A signal-controller update refused whole; the last good state stays.
    SignalFeedRejected {
        time: String,
        reason: String,
    },
    /// A datagram from a sensor that could not be read; the sensor's other frames go on.
    InputMalformed {
        time: String,
        sensor: u16,
        sensor_id: String,
        reason: String,
    },
    /// Detections of a frame refused at ingest; the first one's field and reason are named.
    DetectionsRejected {
        time: String,
        sensor: u16,
        count: usize,
        field: String,
        reason: String,
    },
    /// A traffic-control-centre event was published, withdrawn, or its window closed.
    TccEvent {
        time: String,
        action: TccAction,
        id: String,
    },
}

/// What happened to a traffic-control-centre event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TccAction {
    Published,
    Withdrawn,
    Expired,
}

/// Everything the pipeline needs to know about the site.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    pub site: SiteIdentity,
    pub map: SiteMap,
    pub signal: SignalController,
    pub rates: Rates,
    pub tracker: TrackerConfig,
    /// Frames are held until this long after their capture before they reach the tracker.
    /// The tracker itself puts frames up to `tracker.oosm_window_s` late in capture order, so
    /// this need not cover the sensors' latencies: 0 passes every frame on as it arrives, and
    /// warnings are not delayed by the slowest sensor.
    pub reorder_window_s: f64,
    /// Each sensor's coverage, by sensor index: a track outside it is not missed by its frames.
    pub coverage: Vec<Coverage>,
    /// Each sensor's clock minus the site clock, by sensor index: frames are stamped in the
    /// sensor's clock and corrected on arrival.
    pub clock_offsets_s: Vec<f64>,
    /// The sensors, by index: how their reports become detections.
    pub sensors: Vec<crate::scenario::SensorSpec>,
    pub hazards: crate::hazard::HazardConfig,
    /// ETSI ITS station ID of ETSI messages (checked at load: set when MAPEM is sent).
    pub station_id: Option<u32>,
}

impl PipelineConfig {
    /// Takes the signal state from the controller's live feed instead of the plan.
    /// A site without a signal plan has no feed to take.
    pub fn with_signal_feed(mut self, s: &Scenario) -> Self {
        if let Some(p) = &s.signal {
            let groups = p.groups.iter().map(|g| g.id).collect();
            let timeout = p.feed_timeout_s.unwrap_or(2.0);
            self.signal = SignalController::Feed(crate::signal::SignalFeed::new(groups, timeout));
        }
        self
    }
}

/// A pipeline that cannot be built from its configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Tracker(#[from] ConfigError),
    #[error("sensor {sensor:?}: {source}")]
    Camera { sensor: String, source: CameraError },
}

impl PipelineConfig {
    /// The configuration of a scenario whose time zero (and first signal cycle) is `epoch`.
    pub fn from_scenario(s: &Scenario, epoch: Timestamp) -> Self {
        let mut rsu_id = [b' '; 8];
        rsu_id.copy_from_slice(&s.site.rsu_id.as_bytes()[..8.min(s.site.rsu_id.len())]);
        Self {
            site: SiteIdentity {
                name: s.site.name.clone(),
                region: s.site.region,
                intersection_id: s.site.intersection_id,
                rsu_id,
                frame: crate::geo::SiteFrame::new(s.site.anchor),
            },
            map: SiteMap {
                walk_phases_fixed: s.signal.as_ref().is_some_and(|p| {
                    p.kind == crate::scenario::SignalKind::FixedTime && p.listen.is_none()
                }),
                ..SiteMap::from_spec(&s.map)
            },
            signal: SignalController::from_plan(s.signal.as_ref(), epoch),
            rates: s.messages.clone(),
            tracker: TrackerConfig::default(),
            reorder_window_s: 0.0,
            coverage: s.sensors.iter().map(Coverage::of).collect(),
            clock_offsets_s: s.sensors.iter().map(|x| x.clock_offset_s).collect(),
            sensors: s.sensors.clone(),
            hazards: s.hazards.clone(),
            station_id: s.site.station_id,
        }
    }
}

/// Counters of what went through.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PipelineStats {
    pub frames: u64,
    pub detections: u64,
    pub late_frames: u64,
    pub rejected_frames: u64,
    /// Signal-controller updates refused.
    pub signal_feed_rejected: u64,
    /// Configuration reloads refused.
    pub rejected_reloads: u64,
    /// Datagrams that could not be read, by sensor index.
    pub malformed_datagrams: BTreeMap<u16, u64>,
    /// Detections refused at ingest (non-finite values, a broken covariance, a time far from
    /// their frame's), by sensor index.
    pub rejected_detections: BTreeMap<u16, u64>,
    /// Detections with a non-finite position or a broken covariance, skipped.
    pub unusable_detections: u64,
    pub messages: BTreeMap<MessageKind, u64>,
    /// Hazards started, by kind.
    pub hazards: BTreeMap<crate::hazard::HazardKind, u64>,
    pub message_bytes: u64,
    pub failed_messages: u64,
    pub tracks_confirmed: u64,
}

pub struct Pipeline {
    cfg: PipelineConfig,
    /// Time zero of the tracker's clock (seconds since `epoch`).
    epoch: Timestamp,
    tracker: Tracker,
    ingest: Ingest,
    raw_buf: Vec<RawFrame>,
    faults: Vec<Fault>,
    /// Ingested frames for a tap (detection export), when enabled.
    ingested: Option<VecDeque<SensorFrame>>,
    /// Frames waiting for the reorder window, in arrival order.
    pending: Vec<SensorFrame>,
    last_processed_s: f64,
    next_due: [Option<Timestamp>; 4],
    periods_us: [i64; 4],
    /// The shortest gap between RSMs built on fused frames (`rsm_max_hz`), 0 for none.
    rsm_min_gap_us: i64,
    last_rsm: Option<Timestamp>,
    msg_cnt: [u32; MessageKind::ALL.len()],
    /// The MAPEM's `msgIssueRevision`, from the map's content ([`revision_of`]), or why the
    /// map cannot be a MAPEM (each attempt then counts a failed message with the reason).
    ///
    /// [`revision_of`]: crate::v2x::etsi::mapem::revision_of
    mapem_revision: Result<u8, String>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    world: WorldSnapshot,
    signal_buf: Vec<GroupState>,
    signal_monitor: SignalMonitor,
    hazard_engine: crate::hazard::HazardEngine,
    hazard_events: Vec<crate::hazard::HazardEvent>,
    hazard_signals: Vec<GroupState>,
    sensor_names: Vec<String>,
    signal_changes: Vec<SignalEvent>,
    confirmed: BTreeSet<u32>,
    stats: PipelineStats,
    /// Events the traffic-control centre asked to broadcast in RSI.
    external: crate::tcc::external::ExternalEvents,
}

/// A frame stamped further than this from the pipeline's time is refused: a clock fault, not
/// a late frame.
const MAX_FRAME_AGE_S: f64 = 60.0;

impl Pipeline {
    /// A pipeline whose clock starts at `epoch`; the first messages are due then.
    pub fn new(cfg: PipelineConfig, epoch: Timestamp) -> Result<Self, PipelineError> {
        let hazard_engine = crate::hazard::HazardEngine::new(cfg.hazards.clone());
        let sensor_names = cfg.sensors.iter().map(|s| s.id.clone()).collect();
        let mut ingest = Ingest::default();
        ingest.set_site(cfg.site.frame);
        for (i, spec) in cfg.sensors.iter().enumerate() {
            if let Err(source) = ingest.push(spec) {
                let sensor = cfg.sensors.get(i).map_or(String::new(), |s| s.id.clone());
                return Err(PipelineError::Camera { sensor, source });
            }
        }
        let period = |hz: f64| {
            if hz > 0.0 {
                (1e6 / hz).round() as i64
            } else {
                0
            }
        };
        // An unsignalised site has no SPAT to schedule.
        let unsignalised = matches!(cfg.signal, SignalController::None);
        let periods_us = [
            period(cfg.rates.rsm_hz),
            if unsignalised {
                0
            } else {
                period(cfg.rates.spat_hz)
            },
            period(cfg.rates.map_hz),
            period(cfg.rates.mapem_hz),
        ];
        let next_due = periods_us.map(|p| (p > 0).then_some(epoch));
        let rsm_min_gap_us = cfg.rates.rsm_max_hz.map_or(0, period);
        // Only a site that sends MAPEM pays for encoding its map at start-up.
        let mapem_revision = if cfg.rates.mapem_hz > 0.0 {
            crate::v2x::etsi::mapem::revision_of(&cfg.site, &cfg.map)
                .map_err(|e| format!("the map is no MAPEM: {e}"))
        } else {
            Err("MAPEM is off (messages.mapem_hz = 0)".into())
        };
        Ok(Self {
            tracker: Tracker::new(cfg.tracker.clone())?,
            ingest,
            raw_buf: Vec::new(),
            faults: Vec::new(),
            ingested: None,
            cfg,
            epoch,
            pending: Vec::new(),
            last_processed_s: f64::NEG_INFINITY,
            next_due,
            periods_us,
            rsm_min_gap_us,
            last_rsm: None,
            msg_cnt: [0; MessageKind::ALL.len()],
            mapem_revision,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            world: WorldSnapshot::default(),
            signal_buf: Vec::new(),
            signal_monitor: SignalMonitor::default(),
            hazard_engine,
            hazard_events: Vec::new(),
            hazard_signals: Vec::new(),
            sensor_names,
            signal_changes: Vec::new(),
            confirmed: BTreeSet::new(),
            stats: PipelineStats::default(),
            external: crate::tcc::external::ExternalEvents::default(),
        })
    }

    /// Keeps a copy of every accepted sensor frame, after ingest, for [`Self::poll_ingested`].
    pub fn tap_ingested(&mut self) {
        self.ingested.get_or_insert_with(VecDeque::new);
    }

    /// The next accepted frame's site-frame detections, if the tap is on.
    pub fn poll_ingested(&mut self) -> Option<SensorFrame> {
        self.ingested.as_mut()?.pop_front()
    }

    pub fn stats(&self) -> &PipelineStats {
        &self.stats
    }

    /// The world model as of the last message cycle.
    pub fn world(&self) -> &WorldSnapshot {
        &self.world
    }

    pub fn config(&self) -> &PipelineConfig {
        &self.cfg
    }

    pub fn epoch(&self) -> Timestamp {
        self.epoch
    }

    /// A datagram from sensor `sensor` has arrived: a camera's JSON object list, or a
    /// radar's CAN frames from its gateway. One that cannot be read is counted and named; the
    /// sensor's other frames go on.
    pub fn handle_datagram(&mut self, now: Timestamp, sensor: u16, bytes: &[u8]) {
        let arrival_s = now.secs_since(self.epoch);
        let epoch_unix_s = self.epoch.micros() as f64 / 1e6;
        let mut frames = std::mem::take(&mut self.raw_buf);
        frames.clear();
        let res = self
            .ingest
            .decode_datagram(sensor, arrival_s, epoch_unix_s, bytes, &mut frames);
        if let Err(e) = res {
            *self.stats.malformed_datagrams.entry(sensor).or_default() += 1;
            let sensor_id = self.sensor_name(sensor);
            self.events.push_back(Event::InputMalformed {
                time: now.to_string(),
                sensor,
                sensor_id,
                reason: e.to_string(),
            });
        }
        for f in &frames {
            self.handle_raw(now, f);
        }
        self.raw_buf = frames;
    }

    fn sensor_name(&self, sensor: u16) -> String {
        self.cfg
            .sensors
            .get(usize::from(sensor))
            .map_or_else(|| format!("#{sensor}"), |s| s.id.clone())
    }

    /// A datagram from the signal controller's live feed. Ignored (and counted as refused)
    /// unless the signal state comes from a feed.
    pub fn handle_signal_feed(&mut self, now: Timestamp, bytes: &[u8]) {
        let res = match &mut self.cfg.signal {
            SignalController::Feed(f) => f.handle(now, bytes, &crate::signal::feed::JsonFeed),
            _ => Err(crate::signal::FeedError::Syntax(
                "this site's signal state comes from its plan, not a feed".into(),
            )),
        };
        if let Err(e) = res {
            self.stats.signal_feed_rejected += 1;
            self.events.push_back(Event::SignalFeedRejected {
                time: now.to_string(),
                reason: e.to_string(),
            });
        }
    }

    /// A sensor's frame in its own terms (boxes, a radar object list) has arrived: ingest
    /// turns it into site-frame detections, refusing (and counting) objects it cannot use.
    pub fn handle_raw(&mut self, now: Timestamp, raw: &RawFrame) {
        let mut frame = SensorFrame::default();
        self.faults.clear();
        if let Err(e) = self.ingest.convert(raw, &mut frame, &mut self.faults) {
            return self.reject_frame(now, raw.sensor, e.to_string());
        }
        if let Some(first) = self.faults.first() {
            let field = format!("objects[{}].{}", first.index, first.field);
            let (count, reason) = (self.faults.len(), first.reason.clone());
            self.reject_detections(now, raw.sensor, count, field, reason);
        }
        self.handle_frame(now, frame);
    }

    /// A sensor frame has arrived. Its capture time is in seconds since the epoch.
    pub fn handle_frame(&mut self, now: Timestamp, mut frame: SensorFrame) {
        let Some(&offset) = self.cfg.clock_offsets_s.get(usize::from(frame.sensor)) else {
            return self.reject_frame(
                now,
                frame.sensor,
                format!("unknown sensor {}", frame.sensor),
            );
        };
        let now_s = now.secs_since(self.epoch);
        if !frame.capture_s.is_finite() {
            return self.reject_frame(
                now,
                frame.sensor,
                format!("capture time {} is not finite", frame.capture_s),
            );
        }
        let site_s = frame.capture_s - offset;
        if (site_s - now_s).abs() > MAX_FRAME_AGE_S {
            let reason = format!("capture time {site_s:.3} s is more than {MAX_FRAME_AGE_S} s from now ({now_s:.3} s)");
            return self.reject_frame(now, frame.sensor, reason);
        }
        self.check_detections(now, &mut frame);
        // Into the site clock.
        if offset != 0.0 {
            frame.capture_s -= offset;
            for d in &mut frame.detections {
                d.t -= offset;
            }
        }
        self.stats.frames += 1;
        self.stats.detections += frame.detections.len() as u64;
        if let Some(tap) = &mut self.ingested {
            tap.push_back(frame.clone());
        }
        self.pending.push(frame);
        self.release_frames(now);
    }

    fn reject_frame(&mut self, now: Timestamp, sensor: u16, reason: String) {
        self.stats.rejected_frames += 1;
        self.events.push_back(Event::FrameRejected {
            time: now.to_string(),
            sensor,
            reason,
        });
    }

    /// Counts `count` refused detections for their sensor and names the first one's fault.
    fn reject_detections(
        &mut self,
        now: Timestamp,
        sensor: u16,
        count: usize,
        field: String,
        reason: String,
    ) {
        *self.stats.rejected_detections.entry(sensor).or_default() += count as u64;
        self.events.push_back(Event::DetectionsRejected {
            time: now.to_string(),
            sensor,
            count,
            field,
            reason,
        });
    }

    /// Removes the detections that would harm the tracker, counting them for their sensor and
    /// naming the first one's fault.
    fn check_detections(&mut self, now: Timestamp, frame: &mut SensorFrame) {
        let mut first: Option<(String, String)> = None;
        let before = frame.detections.len();
        let capture = frame.capture_s;
        let mut index = 0;
        frame.detections.retain(|d| {
            let i = index;
            index += 1;
            let fault = if !d.pos.iter().all(|v| v.is_finite()) {
                Some(("pos", "not finite".to_string()))
            } else if !d.t.is_finite() || (d.t - capture).abs() > 1.0 {
                Some((
                    "t",
                    format!("{} s is not within 1 s of its frame's capture time", d.t),
                ))
            } else if !d.is_usable() {
                Some((
                    "cov",
                    "not a finite, symmetric, positive-definite covariance".to_string(),
                ))
            } else {
                None
            };
            if let (Some((field, reason)), None) = (&fault, &first) {
                first = Some((format!("detections[{i}].{field}"), reason.clone()));
            }
            fault.is_none()
        });
        let rejected = before - frame.detections.len();
        if let Some((field, reason)) = first {
            self.reject_detections(now, frame.sensor, rejected, field, reason);
        }
    }

    /// The next time the pipeline wants `handle_timeout`.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let frames = self.pending.iter().map(|f| self.release_time(f)).min();
        self.next_due.iter().flatten().copied().chain(frames).min()
    }

    pub fn handle_timeout(&mut self, now: Timestamp) {
        self.release_frames(now);
        for (k, kind) in MessageKind::PERIODIC.into_iter().enumerate() {
            while let Some(due) = self.next_due[k].filter(|d| *d <= now) {
                self.emit(kind, due);
                self.next_due[k] = Some(Timestamp::from_micros(due.micros() + self.periods_us[k]));
            }
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When a frame leaves the reorder buffer. One formula, in whole microseconds, for both
    /// `poll_timeout` and the release itself, so that a timer always releases its frame.
    fn release_time(&self, f: &SensorFrame) -> Timestamp {
        self.epoch.add_secs(f.capture_s + self.cfg.reorder_window_s)
    }

    /// Feeds the tracker every frame whose reorder window has passed, oldest capture first.
    fn release_frames(&mut self, now: Timestamp) {
        if !self.pending.iter().any(|f| self.release_time(f) <= now) {
            return;
        }
        // Stable order: capture time, then sensor. Release times grow with capture times.
        self.pending.sort_by(|a, b| {
            a.capture_s
                .total_cmp(&b.capture_s)
                .then(a.sensor.cmp(&b.sensor))
        });
        let n = self
            .pending
            .partition_point(|f| self.release_time(f) <= now);
        let mut fused = false;
        for f in self.pending.drain(..n) {
            let late_s = self.last_processed_s - f.capture_s;
            let coverage = self.cfg.coverage.get(usize::from(f.sensor)).copied();
            let in_view = coverage.map_or(crate::fusion::View::All, |c| c.view());
            match self
                .tracker
                .process_in_view(f.capture_s, &f.detections, in_view)
            {
                Ok(scan) => {
                    self.stats.unusable_detections += scan.unusable as u64;
                    fused = true;
                }
                Err(e) => {
                    self.stats.rejected_frames += 1;
                    self.events.push_back(Event::FrameRejected {
                        time: now.to_string(),
                        sensor: f.sensor,
                        reason: e.to_string(),
                    });
                    continue;
                }
            }
            if late_s > 0.0 {
                self.stats.late_frames += 1;
                self.events.push_back(Event::LateFrame {
                    time: now.to_string(),
                    sensor: f.sensor,
                    late_s,
                });
            }
            self.last_processed_s = self.last_processed_s.max(f.capture_s);
        }
        self.track_lifecycle(now);
        if fused && self.cfg.rates.rsm_trigger == RsmTrigger::Frame {
            self.rsm_on_frame(now);
        }
    }

    /// With `rsm_trigger = "frame"`: the RSM goes out now, with what was just fused, unless
    /// `rsm_max_hz` says it is too soon; then it goes out at the first allowed instant. The
    /// `rsm_hz` timer restarts from each RSM, so it only fills silences.
    fn rsm_on_frame(&mut self, now: Timestamp) {
        let k = MessageKind::Rsm as usize;
        if self.periods_us[k] == 0 {
            return;
        }
        let allowed = self.last_rsm.map_or(now, |t| {
            Timestamp::from_micros(t.micros() + self.rsm_min_gap_us)
        });
        if allowed <= now {
            self.emit(MessageKind::Rsm, now);
            self.next_due[k] = Some(Timestamp::from_micros(now.micros() + self.periods_us[k]));
        } else {
            self.next_due[k] = self.next_due[k].map(|d| d.min(allowed));
        }
    }

    fn track_lifecycle(&mut self, now: Timestamp) {
        let live: BTreeSet<u32> = self
            .tracker
            .tracks()
            .iter()
            .filter(|t| t.status == TrackStatus::Confirmed)
            .map(|t| t.id)
            .collect();
        for t in self.tracker.tracks() {
            if t.status == TrackStatus::Confirmed && !self.confirmed.contains(&t.id) {
                self.stats.tracks_confirmed += 1;
                self.events.push_back(Event::TrackConfirmed {
                    time: now.to_string(),
                    track: t.id,
                    class: format!("{:?}", t.class).to_lowercase(),
                });
            }
        }
        for id in self.confirmed.difference(&live) {
            self.events.push_back(Event::TrackDeleted {
                time: now.to_string(),
                track: *id,
            });
        }
        self.confirmed = live;
    }

    /// The world at `now`: confirmed tracks predicted to it.
    fn update_world(&mut self, now: Timestamp) {
        let t = now.secs_since(self.epoch);
        self.world.time = now;
        self.world.objects.clear();
        for (tr, x, p) in self
            .tracker
            .predicted(t)
            .filter(|(tr, _, _)| tr.status == TrackStatus::Confirmed)
        {
            let (ve, vn) = (x[2], x[3]);
            let speed = ve.hypot(vn);
            let (heading, heading_var) = tr.heading_at(&x, &p);
            // Largest eigenvalue of the 2×2 position covariance.
            let (a, b, d) = (p[(0, 0)], p[(0, 1)], p[(1, 1)]);
            let pos_var = 0.5 * (a + d) + (0.25 * (a - d).powi(2) + b * b).sqrt();
            // Speed variance along the direction of travel.
            let speed_var = if speed > 1e-6 {
                let (ux, uy) = (ve / speed, vn / speed);
                ux * ux * p[(2, 2)] + 2.0 * ux * uy * p[(2, 3)] + uy * uy * p[(3, 3)]
            } else {
                p[(2, 2)].max(p[(3, 3)])
            };
            // Until the track has a size of its own, its class's typical one.
            let (dl, dw, _) = crate::sensor::road_user_class(tr.class).default_size();
            self.world.objects.push(WorldObject {
                id: tr.id,
                class: tr.class,
                class_probability: tr.class_probability,
                east_m: x[0],
                north_m: x[1],
                vel_east_mps: ve,
                vel_north_mps: vn,
                yaw_rad: heading.unwrap_or(0.0),
                heading_std_rad: heading.map_or(std::f64::consts::PI, |_| heading_var.sqrt()),
                length_m: tr.length_m.unwrap_or(dl),
                width_m: tr.width_m.unwrap_or(dw),
                pos_std_m: pos_var.max(0.0).sqrt(),
                speed_std_mps: speed_var.max(0.0).sqrt(),
                state_cov: std::array::from_fn(|r| std::array::from_fn(|c| p[(r, c)])),
                age_s: t - tr.created_t,
                since_update_s: (t - tr.last_update_t).max(0.0),
                seen_by: tr.seen_by,
            });
        }
    }

    /// The hazard detectors on the fresh world model; their events go to the log, and while
    /// hazards are in force an RSI goes out with this cycle.
    fn evaluate_hazards(&mut self, now: Timestamp) {
        self.cfg.signal.states_at(now, &mut self.hazard_signals);
        let inputs = crate::hazard::Inputs {
            now,
            world: &self.world,
            map: &self.cfg.map,
            signals: &self.hazard_signals,
            sensor_names: &self.sensor_names,
        };
        self.hazard_events.clear();
        self.hazard_engine
            .evaluate(now, &inputs, &mut self.hazard_events);
        for ev in self.hazard_events.drain(..) {
            if ev.phase == crate::hazard::Phase::Start {
                *self.stats.hazards.entry(ev.hazard.kind).or_default() += 1;
            }
            self.events.push_back(Event::Hazard {
                time: now.to_string(),
                hazard: Box::new(ev),
            });
        }
        let active: Vec<&crate::hazard::Hazard> = self.hazard_engine.active().collect();
        let k = MessageKind::Rsi as usize;
        let codes = &self.cfg.hazards.rsi_event_types;
        for ev in self.external.expire(now) {
            self.events.push_back(Event::TccEvent {
                time: now.to_string(),
                action: TccAction::Expired,
                id: ev.id,
            });
        }
        let external = self.external.road_events(&self.cfg.site.frame, now);
        let site = &self.cfg.site;
        if let Some(m) =
            compose::rsi_with_external(site, &active, codes, external, now, self.msg_cnt[k])
        {
            self.msg_cnt[k] = self.msg_cnt[k].wrapping_add(1);
            self.send(MessageKind::Rsi, now, CnMessage::Rsi(m));
        }
    }

    /// A checked command from the traffic-control centre: publish or withdraw an RSI event
    /// (sent with each RSM cycle while its window is open). `Reload` needs the site file,
    /// which the caller reads and hands to [`Self::apply_reload`]; here it is refused.
    pub fn handle_command(
        &mut self,
        now: Timestamp,
        cmd: crate::tcc::command::Command,
    ) -> Result<(), crate::tcc::command::CommandError> {
        use crate::tcc::command::{Command, CommandError};
        let (action, id) = match cmd {
            Command::PublishRsi(ev) => {
                let id = ev.id.clone();
                self.external
                    .publish(ev)
                    .map_err(|e| CommandError::new("event.id", e.to_string()))?;
                (TccAction::Published, id)
            }
            Command::WithdrawRsi { event_id } => {
                self.external
                    .withdraw(&event_id)
                    .map_err(|e| CommandError::new("event_id", e.to_string()))?;
                (TccAction::Withdrawn, event_id)
            }
            Command::Reload => {
                return Err(CommandError::new(
                    "command",
                    "reload is carried out by the service, which reads the site file",
                ))
            }
        };
        self.events.push_back(Event::TccEvent {
            time: now.to_string(),
            action,
            id,
        });
        Ok(())
    }

    /// A traffic-control centre's command in its wire form (JSON), checked against this
    /// site's frame and applied: the request ID (when the command had a readable one) and
    /// the outcome, for the reply.
    pub fn handle_tcc_command(
        &mut self,
        now: Timestamp,
        bytes: &[u8],
    ) -> (
        Option<String>,
        Result<(), crate::tcc::command::CommandError>,
    ) {
        match crate::tcc::command::parse(bytes, now, &self.cfg.site.frame) {
            Err(r) => (r.request_id, Err(r.error)),
            Ok(req) => (req.request_id, self.handle_command(now, req.command)),
        }
    }

    /// The traffic-control centre's events in force or waiting for their window.
    pub fn external_events(&self) -> &crate::tcc::external::ExternalEvents {
        &self.external
    }

    /// Every signal group's state at `now` into `out`, and the controller's mode (for the
    /// TCC feed; SPAT itself is made in the message cycle).
    pub fn signal_state(&self, now: Timestamp, out: &mut Vec<GroupState>) -> ControllerMode {
        self.cfg.signal.states_at(now, out)
    }

    /// The hazard detectors' configuration in force.
    pub fn hazard_config(&self) -> &crate::hazard::HazardConfig {
        self.hazard_engine.config()
    }

    /// Replaces the hazard configuration without a restart (SIGHUP, a TCC command). A
    /// detector switched off ends exactly its own hazards at the next evaluation.
    pub fn reload_hazards(&mut self, cfg: crate::hazard::HazardConfig) {
        self.cfg.hazards = cfg.clone();
        self.hazard_engine.set_config(cfg);
    }

    /// The outcome of a configuration reload: a good one is applied, a bad one is logged and
    /// the configuration in force stays.
    pub fn apply_reload(
        &mut self,
        now: Timestamp,
        outcome: Result<crate::hazard::HazardConfig, String>,
    ) {
        match outcome {
            Ok(cfg) => {
                self.reload_hazards(cfg);
                self.events.push_back(Event::ConfigReloaded {
                    time: now.to_string(),
                });
            }
            Err(reason) => {
                self.stats.rejected_reloads += 1;
                self.events.push_back(Event::ConfigRejected {
                    time: now.to_string(),
                    reason,
                });
            }
        }
    }

    fn emit(&mut self, kind: MessageKind, now: Timestamp) {
        let k = kind as usize;
        let msgs: Vec<CnMessage> = match kind {
            MessageKind::Rsi => Vec::new(),
            MessageKind::Rsm => {
                self.last_rsm = Some(now);
                self.update_world(now);
                self.evaluate_hazards(now);
                let parts = compose::rsm(&self.cfg.site, &self.world, self.msg_cnt[k]).split();
                self.msg_cnt[k] = self.msg_cnt[k].wrapping_add(parts.len() as u32);
                parts.into_iter().map(CnMessage::Rsm).collect()
            }
            MessageKind::Spat => {
                let mode = self.cfg.signal.states_at(now, &mut self.signal_buf);
                self.signal_changes.clear();
                self.signal_monitor
                    .observe(mode, &self.signal_buf, &mut self.signal_changes);
                for change in self.signal_changes.drain(..) {
                    self.events.push_back(Event::Signal {
                        time: now.to_string(),
                        change,
                    });
                }
                // Without a valid controller state SPAT stops: a stale one would mislead.
                if mode == ControllerMode::Unknown {
                    return;
                }
                let m = compose::spat(&self.cfg.site, &self.signal_buf, mode, now, self.msg_cnt[k]);
                self.msg_cnt[k] = self.msg_cnt[k].wrapping_add(1);
                vec![CnMessage::Spat(m)]
            }
            MessageKind::Map => {
                let m = compose::map(&self.cfg.site, &self.cfg.map, now, self.msg_cnt[k]);
                self.msg_cnt[k] = self.msg_cnt[k].wrapping_add(1);
                vec![CnMessage::Map(m)]
            }
            MessageKind::Mapem => {
                let bytes = match (self.cfg.station_id, &self.mapem_revision) {
                    (Some(station), Ok(revision)) => crate::v2x::etsi::mapem::mapem(
                        &self.cfg.site,
                        station,
                        &self.cfg.map,
                        now,
                        *revision,
                    )
                    .and_then(|m| crate::v2x::etsi::encode_mapem(&m))
                    .map_err(|e| e.to_string()),
                    (None, _) => Err("no site.station_id for the ETSI header".into()),
                    (_, Err(e)) => Err(e.clone()),
                };
                let anchor = self.cfg.site.frame.anchor();
                self.record(kind, now, bytes, vec![anchor], 0);
                return;
            }
        };
        for m in msgs {
            self.send(kind, now, m);
        }
    }

    /// Encodes and queues one message, counting it (or its failure).
    fn send(&mut self, kind: MessageKind, now: Timestamp, m: CnMessage) {
        let participants = match &m {
            CnMessage::Rsm(r) => r.participants.len(),
            _ => 0,
        };
        let mut positions = m.positions();
        if positions.is_empty() {
            positions.push(self.cfg.site.frame.anchor());
        }
        let bytes = m
            .to_frame()
            .and_then(|f| encode_frame(&f))
            .map_err(|e| e.to_string());
        self.record(kind, now, bytes, positions, participants);
    }

    /// Queues one encoded message and counts it, or counts its failure.
    fn record(
        &mut self,
        kind: MessageKind,
        now: Timestamp,
        bytes: Result<Vec<u8>, String>,
        positions: Vec<crate::geo::GeoPoint>,
        participants: usize,
    ) {
        match bytes {
            Ok(bytes) => {
                *self.stats.messages.entry(kind).or_default() += 1;
                self.stats.message_bytes += bytes.len() as u64;
                self.events.push_back(Event::Message {
                    time: now.to_string(),
                    kind,
                    bytes: bytes.len(),
                    participants,
                });
                self.transmits.push_back(Transmit {
                    time: now,
                    kind,
                    bytes,
                    positions,
                });
            }
            Err(reason) => {
                self.stats.failed_messages += 1;
                self.events.push_back(Event::MessageFailed {
                    time: now.to_string(),
                    kind,
                    reason,
                });
            }
        }
    }
}
