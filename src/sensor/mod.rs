//! Simulated sensors: each sees the ground truth through its own pose, field of view,
//! range, rate, latency, detection probability and noise, with its own seeded random
//! stream. Honest from the start: nothing outside the range or the field of view is seen.

use crate::fusion::{Class, Detection};
use crate::geo::wrap_pi;
use crate::rng::Rng;
use crate::scenario::truth::TruthState;
use crate::scenario::{RoadUserClass, SensorKind, SensorSpec};
use nalgebra::{Matrix2, Vector2};

/// Radar azimuth noise when the scenario does not give one.
const DEFAULT_AZIMUTH_NOISE_DEG: f64 = 1.0;

/// Where a sensor can see: a sector of a circle around its mounting point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coverage {
    pub east_m: f64,
    pub north_m: f64,
    /// Boresight, counter-clockwise from east.
    pub yaw_rad: f64,
    pub half_fov_rad: f64,
    pub range_m: f64,
}

impl Coverage {
    pub fn of(spec: &SensorSpec) -> Self {
        Self {
            east_m: spec.position.east_m,
            north_m: spec.position.north_m,
            yaw_rad: spec.yaw_deg.to_radians(),
            half_fov_rad: spec.fov_deg.to_radians() / 2.0,
            range_m: spec.range_m,
        }
    }

    /// Whether a point is within range and field of view.
    pub fn sees(&self, east_m: f64, north_m: f64) -> bool {
        let (dx, dy) = (east_m - self.east_m, north_m - self.north_m);
        dx.hypot(dy) <= self.range_m
            && wrap_pi(dy.atan2(dx) - self.yaw_rad).abs() <= self.half_fov_rad
    }
}

#[derive(Debug, Clone)]
pub struct SimSensor {
    pub index: u16,
    pub spec: SensorSpec,
    pub coverage: Coverage,
    rng: Rng,
    period_s: f64,
    next_capture_s: f64,
}

/// What a sensor delivers: the detections of one capture.
#[derive(Debug, Clone, Default)]
pub struct SensorFrame {
    pub sensor: u16,
    /// Capture time, seconds after the scenario start.
    pub capture_s: f64,
    /// When the frame reaches the pipeline.
    pub deliver_s: f64,
    pub detections: Vec<Detection>,
}

pub fn class_of(c: RoadUserClass) -> Class {
    match c {
        RoadUserClass::Car => Class::Car,
        RoadUserClass::Truck => Class::Truck,
        RoadUserClass::Bus => Class::Bus,
        RoadUserClass::Motorcycle => Class::Motorcycle,
        RoadUserClass::Bicycle => Class::Bicycle,
        RoadUserClass::Pedestrian => Class::Pedestrian,
    }
}

impl SimSensor {
    pub fn new(index: u16, spec: SensorSpec, seed: u64) -> Self {
        // Sensors start at different phases, as unsynchronised devices do.
        let mut rng = Rng::fork(seed, 0x5e50 + u64::from(index));
        let period_s = 1.0 / spec.rate_hz;
        let first = rng.range(0.0, period_s);
        Self {
            index,
            coverage: Coverage::of(&spec),
            spec,
            rng,
            period_s,
            next_capture_s: first,
        }
    }

    /// When the next capture happens, seconds after the scenario start.
    pub fn next_capture_s(&self) -> f64 {
        self.next_capture_s
    }

    pub fn sees(&self, east_m: f64, north_m: f64) -> bool {
        self.coverage.sees(east_m, north_m)
    }

    /// Captures the scene at the scheduled time into `frame` and schedules the next.
    pub fn capture(&mut self, truths: &[TruthState], frame: &mut SensorFrame) {
        let t = self.next_capture_s;
        self.next_capture_s += self.period_s;
        frame.sensor = self.index;
        frame.capture_s = t;
        frame.deliver_s = t + self.spec.latency_s;
        frame.detections.clear();
        let (sx, sy) = (self.spec.position.east_m, self.spec.position.north_m);
        for s in truths {
            if !self.sees(s.east_m, s.north_m) || !self.rng.chance(self.spec.detection_probability)
            {
                continue;
            }
            let d = match self.spec.kind {
                SensorKind::Camera => {
                    let sigma = self.spec.noise_m;
                    Detection {
                        t,
                        sensor: self.index,
                        pos: Vector2::new(
                            s.east_m + sigma * self.rng.normal(),
                            s.north_m + sigma * self.rng.normal(),
                        ),
                        cov: Matrix2::identity() * (sigma * sigma).max(1e-6),
                        class: class_of(s.class),
                        length_m: Some(s.length_m),
                        width_m: Some(s.width_m),
                    }
                }
                SensorKind::Radar => {
                    let (dx, dy) = (s.east_m - sx, s.north_m - sy);
                    let sr = self.spec.noise_m;
                    let sa = self
                        .spec
                        .azimuth_noise_deg
                        .unwrap_or(DEFAULT_AZIMUTH_NOISE_DEG)
                        .to_radians();
                    let r = dx.hypot(dy) + sr * self.rng.normal();
                    let a = dy.atan2(dx) + sa * self.rng.normal();
                    let (sin, cos) = a.sin_cos();
                    let rot = Matrix2::new(cos, -sin, sin, cos);
                    let polar = Matrix2::new(
                        (sr * sr).max(1e-6),
                        0.0,
                        0.0,
                        (r.abs() * sa).powi(2).max(1e-6),
                    );
                    Detection {
                        t,
                        sensor: self.index,
                        pos: Vector2::new(sx + r * cos, sy + r * sin),
                        cov: rot * polar * rot.transpose(),
                        // A radar's object list does not say what the object is.
                        class: Class::Unknown,
                        length_m: None,
                        width_m: None,
                    }
                }
            };
            frame.detections.push(d);
        }
    }
}
