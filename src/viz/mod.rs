//! Visual debugging: taps on the one pipeline that show what it knows. [`SnapshotTap`]
//! keeps one moment ([`Scene`]) that [`svg::render`] draws as a top-down picture, with no
//! dependency, so a bug report can carry it (`roadsight run --snapshot out.svg --at S`).
//! With the cargo feature `viz`, [`rerun`] logs the whole run to the rerun viewer.

#[cfg(feature = "viz")]
pub mod rerun;
pub mod svg;

use crate::fusion::Class;
use crate::hazard::{Hazard, Phase};
use crate::pipeline::driver::{ScenarioDriver, Sink, Tap};
use crate::pipeline::{Event, Transmit};
use crate::scenario::truth::TruthState;
use crate::scenario::SensorKind;
use crate::sensor::SensorFrame;
use crate::time::Timestamp;
use crate::v2x::cn::spat::Light;
use crate::world::WorldObject;
use std::collections::BTreeMap;

/// The 2σ ellipse of a 2×2 position covariance `[[a, b], [b, c]]`: the half-axes (major,
/// minor) and the major axis' direction, rad counter-clockwise from east.
pub fn ellipse_2sigma(a: f64, b: f64, c: f64) -> (f64, f64, f64) {
    let mid = (a + c) / 2.0;
    let rad = (((a - c) / 2.0).powi(2) + b * b).sqrt();
    let (l1, l2) = ((mid + rad).max(0.0), (mid - rad).max(0.0));
    (
        2.0 * l1.sqrt(),
        2.0 * l2.sqrt(),
        0.5 * (2.0 * b).atan2(a - c),
    )
}

/// An enum's snake_case name as serialised (`intersection_collision`, `protected_green`).
pub fn snake_name<T: serde::Serialize>(k: &T) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|x| x.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A track's colour by class (the same in the picture and the viewer).
pub fn class_rgb(c: Class) -> [u8; 3] {
    match c {
        Class::Car => [0x1f, 0x77, 0xb4],
        Class::Truck => [0x8c, 0x56, 0x4b],
        Class::Bus => [0x94, 0x67, 0xbd],
        Class::Motorcycle => [0xe3, 0x77, 0xc2],
        Class::Bicycle => [0x2c, 0xa0, 0x2c],
        Class::Pedestrian => [0xff, 0x7f, 0x0e],
        Class::Unknown => [0x7f, 0x7f, 0x7f],
    }
}

/// A signal light's colour.
pub fn light_rgb(l: Light) -> [u8; 3] {
    match l {
        Light::ProtectedGreen | Light::PermissiveGreen | Light::FlashingGreen => [0x1d, 0xb3, 0x25],
        Light::Yellow | Light::FlashingYellow => [0xf2, 0xc2, 0x00],
        Light::Red | Light::FlashingRed => [0xd6, 0x27, 0x28],
        Light::Dark | Light::Unavailable => [0x55, 0x55, 0x55],
    }
}

/// A sensor's colour (its field of view and its detections) by kind.
pub fn sensor_rgb(k: SensorKind) -> [u8; 3] {
    match k {
        SensorKind::Camera => [0x3b, 0x6f, 0xd6],
        SensorKind::Radar => [0xa0, 0x4b, 0xd0],
        SensorKind::Bsm => [0x2a, 0x9d, 0x5c],
    }
}

/// What the pipeline knew at one instant, with the ground truth beside it.
#[derive(Debug, Clone, Default)]
pub struct Scene {
    /// Seconds since the scenario start.
    pub time_s: f64,
    pub tracks: Vec<WorldObject>,
    pub truth: Vec<TruthState>,
    /// Hazards in force (started, not ended).
    pub hazards: Vec<Hazard>,
    /// Each signal group's current light.
    pub lights: BTreeMap<u8, Light>,
    /// The latest frame's detections of each sensor (by sensor index), [east_m, north_m].
    pub detections: BTreeMap<u16, Vec<[f64; 2]>>,
}

/// What a tap keeps between moments: hazards in force and each sensor's latest detections.
#[derive(Debug, Clone, Default)]
pub struct Live {
    pub hazards: BTreeMap<u32, Hazard>,
    pub detections: BTreeMap<u16, Vec<[f64; 2]>>,
}

impl Live {
    pub fn event(&mut self, ev: &Event) {
        if let Event::Hazard { hazard, .. } = ev {
            match hazard.phase {
                Phase::Start | Phase::Update => {
                    self.hazards.insert(hazard.hazard.id, hazard.hazard.clone());
                }
                Phase::End => {
                    self.hazards.remove(&hazard.hazard.id);
                }
            }
        }
    }

    pub fn sensor_frame(&mut self, f: &SensorFrame) {
        self.detections.insert(
            f.sensor,
            f.detections.iter().map(|d| [d.pos[0], d.pos[1]]).collect(),
        );
    }

    /// The scene at `now`.
    pub fn scene(&self, now: Timestamp, driver: &ScenarioDriver) -> Scene {
        let time_s = driver.scenario_time_s(now);
        let mut truth = Vec::new();
        driver.truth().states_at(time_s, &mut truth);
        let mut groups = Vec::new();
        driver
            .pipeline()
            .config()
            .signal
            .states_at(now, &mut groups);
        Scene {
            time_s,
            tracks: driver.pipeline().world().objects.clone(),
            truth,
            hazards: self.hazards.values().cloned().collect(),
            lights: groups.iter().map(|g| (g.id, g.current())).collect(),
            detections: self.detections.clone(),
        }
    }
}

/// Keeps the scene at the first step at or after `at_s` seconds into the run.
#[derive(Debug, Clone)]
pub struct SnapshotTap {
    at_s: f64,
    live: Live,
    scene: Option<Scene>,
}

impl SnapshotTap {
    pub fn new(at_s: f64) -> Self {
        Self {
            at_s,
            live: Live::default(),
            scene: None,
        }
    }

    /// The scene, once the run has reached it.
    pub fn scene(&self) -> Option<&Scene> {
        self.scene.as_ref()
    }
}

impl Sink for SnapshotTap {
    fn transmit(&mut self, _tx: &Transmit) {}
    fn event(&mut self, ev: &Event) {
        self.live.event(ev);
    }
    fn sensor_frame(&mut self, f: &SensorFrame) {
        self.live.sensor_frame(f);
    }
}

impl Tap for SnapshotTap {
    fn wants_detections(&self) -> bool {
        true
    }

    fn after_step(&mut self, now: Timestamp, driver: &ScenarioDriver) {
        // The world model is refreshed at RSM cycles: take the first fresh one.
        if self.scene.is_none()
            && driver.scenario_time_s(now) >= self.at_s
            && driver.pipeline().world().time == now
        {
            self.scene = Some(self.live.scene(now, driver));
        }
    }
}
