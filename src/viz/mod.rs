//! Visual debugging: taps on the one pipeline that show what it knows. [`SnapshotTap`]
//! keeps one moment ([`Scene`]) that [`svg::render`] draws as a top-down picture, with no
//! dependency, so a bug report can carry it (`roadsight run --snapshot out.svg --at S`).
//! With the cargo feature `viz`, [`rerun`] logs the whole run to the rerun viewer.

pub mod svg;

use crate::hazard::{Hazard, Phase};
use crate::pipeline::driver::{ScenarioDriver, Sink, Tap};
use crate::pipeline::{Event, Transmit};
use crate::scenario::truth::TruthState;
use crate::sensor::SensorFrame;
use crate::time::Timestamp;
use crate::v2x::cn::spat::Light;
use crate::world::WorldObject;
use std::collections::BTreeMap;

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
