//! A tap that logs the whole run to the rerun viewer (live) or to an `.rrd` file (feature
//! `viz`): the map, the sensors with their fields of view, each frame's detections, the
//! tracks (box, ID, velocity, 2σ position ellipse), the ground truth, the hazards (the road
//! users joined to the conflict point) and the signal lights, on one timeline, `time`:
//! seconds of the pipeline's clock since the scenario start (and `utc`, the same instants).
//!
//! The site frame is east-north-up, so the 3-D view shows it top-down as a map would. Entity
//! paths are one per thing (`world/tracks/17`, `world/map/lanes/3`), so the viewer can select
//! a track and follow its history, and a reader can count them; a track, road user or hazard
//! that goes away is cleared at that instant. Logging never stops the run: an error is
//! counted and the first one kept ([`RerunTap::errors`]).

use super::{class_rgb, ellipse_2sigma, light_rgb, sensor_rgb, snake_name as kind_name};
use crate::hazard::{Hazard, Phase};
use crate::map::SiteMap;
use crate::pipeline::driver::{ScenarioDriver, Sink, Tap};
use crate::pipeline::{Event, Transmit};
use crate::scenario::{LaneDirection, Scenario, SensorSpec};
use crate::sensor::SensorFrame;
use crate::time::Timestamp;
use crate::v2x::cn::spat::Light;
use crate::world::WorldObject;
use ::rerun::{EntityPath, EntityPathPart, RecordingStream};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The timeline every entity is logged on: seconds since the scenario start.
pub const TIMELINE: &str = "time";
/// The same instants as UTC timestamps.
pub const UTC_TIMELINE: &str = "utc";

/// Height of the boxes drawn for road users without a measured one, metres.
const BOX_HEIGHT_M: f64 = 1.5;

/// Where the recording goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// An `.rrd` file, for later (`rerun FILE`) or a bug report.
    File(PathBuf),
    /// Start a viewer (`rerun` on the PATH) or use one already listening on the default port.
    Spawn,
    /// A running viewer: `HOST:PORT` or a full `rerun+http://HOST:PORT/proxy` URL.
    Connect(String),
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(p) => write!(f, "file {}", p.display()),
            Self::Spawn => write!(f, "a spawned viewer"),
            Self::Connect(a) => write!(f, "viewer at {a}"),
        }
    }
}

impl Destination {
    /// The gRPC URL of a `Connect` address.
    fn url(addr: &str) -> String {
        if addr.contains("://") {
            addr.to_string()
        } else {
            format!("rerun+http://{addr}/proxy")
        }
    }
}

/// The recording could not be opened or finished.
#[derive(Debug, thiserror::Error)]
pub enum RerunError {
    #[error("rerun: cannot open {dest}: {source}")]
    Open {
        dest: String,
        source: ::rerun::RecordingStreamError,
    },
    #[error("rerun: writing to {dest}: {source}")]
    Flush {
        dest: String,
        source: ::rerun::sink::SinkFlushError,
    },
}

/// What was logged, by kind: for the summary and for tests that read the recording back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RerunCounts {
    /// Distinct track IDs logged.
    pub tracks: BTreeSet<u32>,
    /// Distinct road users (scenario indices) logged as ground truth.
    pub truth: BTreeSet<usize>,
    /// Distinct hazard IDs logged.
    pub hazards: BTreeSet<u32>,
    /// Detection frames logged per sensor index.
    pub detection_frames: BTreeMap<u16, u64>,
    /// World-model updates logged.
    pub world_updates: u64,
    /// Events logged to `log/events`.
    pub events: u64,
}

/// Logs a run to rerun; put it on [`crate::replay::run_tapped`] (or any driver loop).
pub struct RerunTap {
    rec: RecordingStream,
    dest: String,
    sensors: Vec<SensorSpec>,
    road_users: Vec<String>,
    static_done: bool,
    /// Events of the current step, logged at its time in `after_step`.
    events: Vec<Event>,
    hazards: BTreeMap<u32, Hazard>,
    live_tracks: BTreeSet<u32>,
    live_truth: BTreeSet<usize>,
    lights: BTreeMap<u8, Light>,
    /// Where each signal group's lights stand: stop lines of its lanes, its crosswalks.
    signal_spots: BTreeMap<u8, Vec<[f64; 2]>>,
    counts: RerunCounts,
    errors: u64,
    first_error: Option<String>,
    group_buf: Vec<crate::signal::GroupState>,
    truth_buf: Vec<crate::scenario::truth::TruthState>,
}

fn path(parts: &[&str]) -> EntityPath {
    EntityPath::new(parts.iter().map(|p| EntityPathPart::from(*p)).collect())
}

fn rgb(c: [u8; 3]) -> ::rerun::Color {
    ::rerun::Color::from_rgb(c[0], c[1], c[2])
}

fn p3(p: [f64; 2], z: f64) -> [f32; 3] {
    [p[0] as f32, p[1] as f32, z as f32]
}

fn strip(pts: &[[f64; 2]], z: f64) -> Vec<[f32; 3]> {
    pts.iter().map(|p| p3(*p, z)).collect()
}

fn yaw(rad: f64) -> ::rerun::RotationAxisAngle {
    ::rerun::RotationAxisAngle::new([0.0f32, 0.0, 1.0], ::rerun::Angle::from_radians(rad as f32))
}

impl RerunTap {
    /// Opens the recording (named after the scenario) for `scenario`'s run.
    pub fn new(scenario: &Scenario, name: &str, dest: &Destination) -> Result<Self, RerunError> {
        let b = ::rerun::RecordingStreamBuilder::new("roadsight").recording_name(name);
        let rec = match dest {
            Destination::File(p) => b.save(p),
            Destination::Spawn => b.spawn(),
            Destination::Connect(a) => b.connect_grpc_opts(Destination::url(a)),
        }
        .map_err(|source| RerunError::Open {
            dest: dest.to_string(),
            source,
        })?;
        Ok(Self::with_stream(rec, dest.to_string(), scenario))
    }

    fn with_stream(rec: RecordingStream, dest: String, s: &Scenario) -> Self {
        Self {
            rec,
            dest,
            sensors: s.sensors.clone(),
            road_users: s.road_users.iter().map(|u| u.id.clone()).collect(),
            static_done: false,
            events: Vec::new(),
            hazards: BTreeMap::new(),
            live_tracks: BTreeSet::new(),
            live_truth: BTreeSet::new(),
            lights: BTreeMap::new(),
            signal_spots: BTreeMap::new(),
            counts: RerunCounts::default(),
            errors: 0,
            first_error: None,
            group_buf: Vec::new(),
            truth_buf: Vec::new(),
        }
    }

    pub fn counts(&self) -> &RerunCounts {
        &self.counts
    }

    /// Log calls that failed, and the first failure.
    pub fn errors(&self) -> (u64, Option<&str>) {
        (self.errors, self.first_error.as_deref())
    }

    /// Waits until everything logged has reached the file or viewer.
    pub fn finish(self) -> Result<RerunCounts, RerunError> {
        self.rec
            .flush_blocking()
            .map_err(|source| RerunError::Flush {
                dest: self.dest.clone(),
                source,
            })?;
        Ok(self.counts)
    }

    fn check(&mut self, r: ::rerun::RecordingStreamResult<()>) {
        if let Err(e) = r {
            self.errors += 1;
            self.first_error.get_or_insert_with(|| e.to_string());
        }
    }

    fn log(&mut self, p: EntityPath, a: &impl ::rerun::AsComponents) {
        let r = self.rec.log(p, a);
        self.check(r);
    }

    fn log_static(&mut self, p: EntityPath, a: &impl ::rerun::AsComponents) {
        let r = self.rec.log_static(p, a);
        self.check(r);
    }

    fn set_time(&self, time_s: f64, now: Timestamp) {
        self.rec.set_duration_secs(TIMELINE, time_s.max(0.0));
        self.rec
            .set_timestamp_secs_since_epoch(UTC_TIMELINE, now.secs_f64());
    }

    /// The map and the sensors, once: they do not change during a run.
    fn log_static_scene(&mut self, map: &SiteMap) {
        self.log_static(
            path(&["world"]),
            &::rerun::ViewCoordinates::RIGHT_HAND_Z_UP(),
        );
        for l in &map.lanes {
            let id = l.id.to_string();
            let colour = match l.direction {
                LaneDirection::Ingress => [150, 150, 150],
                LaneDirection::Egress => [185, 185, 185],
            };
            let label = format!("lane {} ({} {:?})", l.id, l.approach, l.direction).to_lowercase();
            self.log_static(
                path(&["world", "map", "lanes", &id]),
                &::rerun::LineStrips3D::new([strip(&l.centreline, 0.0)])
                    .with_radii([(l.width_m / 2.0) as f32])
                    .with_colors([rgb(colour)])
                    .with_labels([label]),
            );
            if let Some([a, b]) = l.stop_line() {
                self.log_static(
                    path(&["world", "map", "stop_lines", &id]),
                    &::rerun::LineStrips3D::new([[p3(a, 0.05), p3(b, 0.05)]])
                        .with_radii([0.2f32])
                        .with_colors([rgb([255, 255, 255])]),
                );
            }
        }
        for c in &map.connections {
            let from_w = map.lane(c.from).map_or(3.0, |l| l.width_m);
            self.log_static(
                path(&[
                    "world",
                    "map",
                    "connections",
                    &format!("{}-{}", c.from, c.to),
                ]),
                &::rerun::LineStrips3D::new([strip(&c.connector, -0.02)])
                    .with_radii([(from_w * 0.45) as f32])
                    .with_colors([::rerun::Color::from_unmultiplied_rgba(180, 180, 180, 120)])
                    .with_labels(
                        [format!("{} → {} {:?}", c.from, c.to, c.maneuver).to_lowercase()],
                    ),
            );
        }
        for c in &map.crosswalks {
            let mut outline = strip(&c.polygon, 0.03);
            if let Some(first) = outline.first().copied() {
                outline.push(first);
            }
            self.log_static(
                path(&["world", "map", "crosswalks", &c.id.to_string()]),
                &::rerun::LineStrips3D::new([outline, strip(&c.centreline, 0.03)])
                    .with_radii([0.15f32, 0.08])
                    .with_colors([rgb([255, 255, 255])])
                    .with_labels([format!("crosswalk {}", c.id), String::new()]),
            );
        }
        for (i, b) in map.buildings.iter().enumerate() {
            let h = b.height_m.unwrap_or(10.0);
            let mut ground = strip(&b.footprint, 0.0);
            let mut roof = strip(&b.footprint, h);
            if let (Some(g), Some(r)) = (ground.first().copied(), roof.first().copied()) {
                ground.push(g);
                roof.push(r);
            }
            let mut strips = vec![ground, roof];
            strips.extend(b.footprint.iter().map(|p| vec![p3(*p, 0.0), p3(*p, h)]));
            let label = b.name.clone().unwrap_or_else(|| format!("building {i}"));
            self.log_static(
                path(&["world", "map", "buildings", &i.to_string()]),
                &::rerun::LineStrips3D::new(strips)
                    .with_radii([0.1f32])
                    .with_colors([rgb([138, 122, 102])])
                    .with_labels([label]),
            );
        }
        for x in self.sensors.clone() {
            let c = rgb(sensor_rgb(x.kind));
            let o = [x.position.east_m, x.position.north_m];
            let z = x.position.up_m.max(0.0);
            // The field of view's outline: the two edges and the arc at full range.
            let steps = ((x.fov_deg / 5.0).ceil() as usize).max(2);
            let mut fov = vec![p3(o, z)];
            for k in 0..=steps {
                let a = (x.yaw_deg - x.fov_deg / 2.0 + x.fov_deg * k as f64 / steps as f64)
                    .to_radians();
                fov.push(p3(
                    [o[0] + x.range_m * a.cos(), o[1] + x.range_m * a.sin()],
                    0.0,
                ));
            }
            if x.fov_deg < 360.0 {
                fov.push(p3(o, z));
            }
            self.log_static(
                path(&["world", "sensors", &x.id]),
                &::rerun::Points3D::new([p3(o, z)])
                    .with_radii([0.6f32])
                    .with_colors([c])
                    .with_labels([format!("{} ({:?})", x.id, x.kind).to_lowercase()]),
            );
            self.log_static(
                path(&["world", "sensors", &x.id, "fov"]),
                &::rerun::LineStrips3D::new([fov])
                    .with_radii([0.08f32])
                    .with_colors([c]),
            );
        }
        // Where each group's light is drawn: the stop lines of its lanes and its crosswalks.
        let mut spots: BTreeMap<u8, Vec<[f64; 2]>> = BTreeMap::new();
        for l in &map.lanes {
            let Some(stop) = l.stop_point() else { continue };
            let groups: BTreeSet<u8> = l
                .signal_group
                .into_iter()
                .chain(map.connections_from(l.id).filter_map(|c| c.signal_group))
                .collect();
            for g in groups {
                spots.entry(g).or_default().push(stop);
            }
        }
        for c in &map.crosswalks {
            if let (Some(g), Some(p)) = (c.signal_group, c.centreline.first()) {
                spots.entry(g).or_default().push(*p);
            }
        }
        self.signal_spots = spots;
    }

    fn log_track(&mut self, o: &WorldObject) {
        let id = o.id.to_string();
        let colour = rgb(class_rgb(o.class));
        let h = BOX_HEIGHT_M / 2.0;
        let centre = p3([o.east_m, o.north_m], h);
        self.log(
            path(&["world", "tracks", &id]),
            &::rerun::Boxes3D::from_centers_and_half_sizes(
                [centre],
                [[
                    (o.length_m / 2.0) as f32,
                    (o.width_m / 2.0) as f32,
                    h as f32,
                ]],
            )
            .with_rotation_axis_angles([yaw(o.yaw_rad)])
            .with_colors([colour])
            .with_fill_mode(::rerun::FillMode::Solid)
            .with_labels([
                format!("#{} {:?} {:.1} m/s", o.id, o.class, o.speed_mps()).to_lowercase()
            ]),
        );
        self.log(
            path(&["world", "tracks", &id, "velocity"]),
            // One second ahead.
            &::rerun::Arrows3D::from_vectors([[
                o.vel_east_mps as f32,
                o.vel_north_mps as f32,
                0.0,
            ]])
            .with_origins([centre])
            .with_colors([colour]),
        );
        let c = &o.state_cov;
        let (rx, ry, ang) = ellipse_2sigma(c[0][0], c[0][1], c[1][1]);
        self.log(
            path(&["world", "tracks", &id, "covariance"]),
            &::rerun::Ellipsoids3D::from_centers_and_half_sizes(
                [p3([o.east_m, o.north_m], 0.1)],
                [[rx as f32, ry as f32, 0.05]],
            )
            .with_rotation_axis_angles([yaw(ang)])
            .with_colors([colour]),
        );
    }

    fn log_world(&mut self, driver: &ScenarioDriver, time_s: f64) {
        self.counts.world_updates += 1;
        let objects = &driver.pipeline().world().objects;
        let ids: BTreeSet<u32> = objects.iter().map(|o| o.id).collect();
        for gone in self
            .live_tracks
            .difference(&ids)
            .copied()
            .collect::<Vec<_>>()
        {
            self.log(
                path(&["world", "tracks", &gone.to_string()]),
                &::rerun::Clear::recursive(),
            );
        }
        for o in objects {
            self.log_track(o);
        }
        self.counts.tracks.extend(&ids);
        self.live_tracks = ids;
        let r = self.rec.log(
            path(&["stats", "tracks"]),
            &::rerun::Scalars::single(objects.len() as f64),
        );
        self.check(r);

        // Ground truth: wireframe boxes, grey.
        let mut truth = std::mem::take(&mut self.truth_buf);
        driver.truth().states_at(time_s, &mut truth);
        let present: BTreeSet<usize> = truth.iter().map(|t| t.index).collect();
        for gone in self
            .live_truth
            .difference(&present)
            .copied()
            .collect::<Vec<_>>()
        {
            let name = self.truth_name(gone);
            self.log(
                path(&["world", "truth", &name]),
                &::rerun::Clear::recursive(),
            );
        }
        for t in &truth {
            let name = self.truth_name(t.index);
            let hh = t.height_m / 2.0;
            self.log(
                path(&["world", "truth", &name]),
                &::rerun::Boxes3D::from_centers_and_half_sizes(
                    [p3([t.east_m, t.north_m], hh)],
                    [[
                        (t.length_m / 2.0) as f32,
                        (t.width_m / 2.0) as f32,
                        hh as f32,
                    ]],
                )
                .with_rotation_axis_angles([yaw(t.yaw_rad)])
                .with_colors([rgb([20, 20, 20])])
                .with_radii([0.04f32])
                .with_labels([format!("{name} {:.1} m/s", t.speed_mps())]),
            );
        }
        self.counts.truth.extend(&present);
        self.live_truth = present;
        self.truth_buf = truth;

        // Hazards: each road user joined to the conflict point, the point ringed.
        for hz in self.hazards.values().cloned().collect::<Vec<_>>() {
            let c = p3(hz.point, 0.3);
            let strips: Vec<Vec<[f32; 3]>> = hz
                .road_users
                .iter()
                .filter_map(|id| objects.iter().find(|o| o.id == *id))
                .map(|o| vec![p3([o.east_m, o.north_m], 0.3), c])
                .collect();
            let id = hz.id.to_string();
            let kind = kind_name(&hz.kind);
            self.log(
                path(&["world", "hazards", &id]),
                &::rerun::LineStrips3D::new(strips)
                    .with_radii([0.25f32])
                    .with_colors([rgb([224, 0, 0])]),
            );
            self.log(
                path(&["world", "hazards", &id, "conflict_point"]),
                &::rerun::Points3D::new([c])
                    .with_radii([1.2f32])
                    .with_colors([rgb([224, 0, 0])])
                    .with_labels([format!("{kind} #{}: tracks {:?}", hz.id, hz.road_users)]),
            );
            self.counts.hazards.insert(hz.id);
        }
    }

    fn truth_name(&self, index: usize) -> String {
        self.road_users
            .get(index)
            .cloned()
            .unwrap_or_else(|| format!("road_user_{index}"))
    }

    fn log_signals(&mut self, driver: &ScenarioDriver, now: Timestamp) {
        let mut groups = std::mem::take(&mut self.group_buf);
        driver
            .pipeline()
            .config()
            .signal
            .states_at(now, &mut groups);
        for g in &groups {
            let light = g.current();
            if self.lights.get(&g.id) == Some(&light) {
                continue;
            }
            self.lights.insert(g.id, light);
            let spots = self.signal_spots.get(&g.id).cloned().unwrap_or_default();
            let name = kind_name(&light);
            self.log(
                path(&["world", "signals", &g.id.to_string()]),
                &::rerun::Points3D::new(spots.iter().map(|p| p3(*p, 0.5)))
                    .with_radii([0.9f32])
                    .with_colors([rgb(light_rgb(light))])
                    .with_labels([format!("group {}: {name}", g.id)]),
            );
            let code = light_code(light);
            let r = self.rec.log(
                path(&["stats", "signals", &g.id.to_string()]),
                &::rerun::Scalars::single(code),
            );
            self.check(r);
        }
        self.group_buf = groups;
    }

    fn log_events(&mut self) {
        for ev in std::mem::take(&mut self.events) {
            let level = match &ev {
                Event::Hazard { .. } => ::rerun::TextLogLevel::WARN,
                Event::MessageFailed { .. }
                | Event::FrameRejected { .. }
                | Event::InputMalformed { .. }
                | Event::DetectionsRejected { .. }
                | Event::SignalFeedRejected { .. }
                | Event::ConfigRejected { .. } => ::rerun::TextLogLevel::ERROR,
                _ => ::rerun::TextLogLevel::INFO,
            };
            let text = serde_json::to_string(&ev).unwrap_or_else(|e| format!("{ev:?} ({e})"));
            self.log(
                path(&["log", "events"]),
                &::rerun::TextLog::new(text).with_level(level),
            );
            self.counts.events += 1;
            if let Event::Hazard { hazard, .. } = ev {
                let h = hazard.hazard;
                match hazard.phase {
                    Phase::Start | Phase::Update => {
                        self.hazards.insert(h.id, h);
                    }
                    Phase::End => {
                        self.hazards.remove(&h.id);
                        self.log(
                            path(&["world", "hazards", &h.id.to_string()]),
                            &::rerun::Clear::recursive(),
                        );
                    }
                }
            }
        }
    }
}

/// A run logged to rerun could not be done.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Rerun(#[from] RerunError),
    #[error(transparent)]
    Run(#[from] crate::replay::RunError),
}

/// A run logged to rerun.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub summary: crate::replay::RunSummary,
    pub counts: RerunCounts,
    /// Log calls that failed (the run went on), and the first failure.
    pub log_errors: u64,
    pub first_error: Option<String>,
}

/// Replays `s` with a [`RerunTap`] on the pipeline, to `dest`. Only opening or finishing
/// the recording fails the run; a failed log call is counted in [`Recorded::log_errors`].
pub fn record(
    s: &Scenario,
    name: &str,
    opts: &crate::replay::RunOptions,
    dest: &Destination,
) -> Result<Recorded, RecordError> {
    let mut tap = RerunTap::new(s, name, dest)?;
    let summary = crate::replay::run_tapped(s, name, opts, Some(&mut tap))?;
    let (log_errors, first_error) = (tap.errors, tap.first_error.clone());
    let counts = tap.finish()?;
    Ok(Recorded {
        summary,
        counts,
        log_errors,
        first_error,
    })
}

/// A light as a number for the signal plot: 0 red, 1 yellow, 2 green, -1 dark or unknown.
fn light_code(l: Light) -> f64 {
    match l {
        Light::Red | Light::FlashingRed => 0.0,
        Light::Yellow | Light::FlashingYellow => 1.0,
        Light::ProtectedGreen | Light::PermissiveGreen | Light::FlashingGreen => 2.0,
        Light::Dark | Light::Unavailable => -1.0,
    }
}

impl Sink for RerunTap {
    fn transmit(&mut self, _tx: &Transmit) {}

    fn event(&mut self, ev: &Event) {
        // Messages are many (10 Hz each) and are counted in the summary; the rest is logged.
        if !matches!(ev, Event::Message { .. }) {
            self.events.push(ev.clone());
        }
    }

    fn sensor_frame(&mut self, f: &SensorFrame) {
        // At its capture time: where the road users were when the sensor saw them.
        self.rec.set_duration_secs(TIMELINE, f.capture_s.max(0.0));
        self.rec.disable_timeline(UTC_TIMELINE);
        let (name, colour) = match self.sensors.get(usize::from(f.sensor)) {
            Some(x) => (x.id.clone(), sensor_rgb(x.kind)),
            None => (format!("sensor_{}", f.sensor), [127, 127, 127]),
        };
        self.log(
            path(&["world", "detections", &name]),
            &::rerun::Points3D::new(f.detections.iter().map(|d| p3([d.pos[0], d.pos[1]], 0.2)))
                .with_radii([0.35f32])
                .with_colors([rgb(colour)]),
        );
        *self.counts.detection_frames.entry(f.sensor).or_default() += 1;
    }
}

impl Tap for RerunTap {
    fn wants_detections(&self) -> bool {
        true
    }

    fn after_step(&mut self, now: Timestamp, driver: &ScenarioDriver) {
        let time_s = driver.scenario_time_s(now);
        self.set_time(time_s, now);
        if !self.static_done {
            self.static_done = true;
            self.log_static_scene(&driver.pipeline().config().map);
        }
        self.log_events();
        self.log_signals(driver, now);
        // The world model is refreshed at RSM cycles; log each fresh one.
        if driver.pipeline().world().time == now {
            self.log_world(driver, time_s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipse_of_a_rotated_covariance() {
        // σ = 2 along 45°, σ = 1 across: covariance R diag(4, 1) Rᵀ.
        let (a, b, c) = (2.5, 1.5, 2.5);
        let (rx, ry, ang) = ellipse_2sigma(a, b, c);
        assert!((rx - 4.0).abs() < 1e-9, "{rx}");
        assert!((ry - 2.0).abs() < 1e-9, "{ry}");
        assert!((ang - std::f64::consts::FRAC_PI_4).abs() < 1e-9, "{ang}");
    }

    #[test]
    fn connect_address_becomes_a_proxy_url() {
        assert_eq!(
            Destination::url("127.0.0.1:9876"),
            "rerun+http://127.0.0.1:9876/proxy"
        );
        assert_eq!(
            Destination::url("rerun+http://h:1/proxy"),
            "rerun+http://h:1/proxy"
        );
    }
}
