//! Simulated sensors: each sees the ground truth through its own pose, field of view,
//! range, rate, latency, detection probability and noise, with its own seeded random
//! stream. Honest from the start: nothing outside the range or the field of view is seen.

pub mod ars408;
pub mod camera;

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

    /// The same sector, as the tracker takes it.
    pub fn view(&self) -> crate::fusion::View {
        crate::fusion::View::Sector(crate::fusion::Sector {
            origin: nalgebra::Vector2::new(self.east_m, self.north_m),
            yaw_rad: self.yaw_rad,
            half_fov_rad: self.half_fov_rad,
            range_m: self.range_m,
        })
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
    /// Doppler noise has a stream of its own, so that adding it left the others unchanged.
    doppler_rng: Rng,
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

/// The road-user class of a track's class; an unknown one is taken for a car, the commonest.
pub fn road_user_class(c: Class) -> RoadUserClass {
    match c {
        Class::Car | Class::Unknown => RoadUserClass::Car,
        Class::Truck => RoadUserClass::Truck,
        Class::Bus => RoadUserClass::Bus,
        Class::Motorcycle => RoadUserClass::Motorcycle,
        Class::Bicycle => RoadUserClass::Bicycle,
        Class::Pedestrian => RoadUserClass::Pedestrian,
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
            doppler_rng: Rng::fork(seed, 0xd0_5e50 + u64::from(index)),
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

    /// Whether the sensor could detect `target` now: in range and view, and (if this sensor
    /// models occlusion) not hidden behind another of `all`.
    pub fn can_see(&self, target: &TruthState, all: &[TruthState]) -> bool {
        self.sees(target.east_m, target.north_m)
            && !(self.spec.occlusion && self.occluded(target, all))
    }

    /// Whether the sensor is in one of its outages at `t`.
    fn out_at(&self, t: f64) -> bool {
        self.spec.outages.iter().any(|[a, b]| (*a..*b).contains(&t))
    }

    /// Whether `target` is hidden from the sensor by a nearer road user: the line of sight
    /// (from the mounting height to the target's top) passes through another road user's
    /// footprint below that road user's height.
    fn occluded(&self, target: &TruthState, all: &[TruthState]) -> bool {
        let (sx, sy, sh) = (
            self.spec.position.east_m,
            self.spec.position.north_m,
            self.spec.position.up_m,
        );
        let (dx, dy) = (target.east_m - sx, target.north_m - sy);
        let d = dx.hypot(dy);
        if d < 1e-6 {
            return false;
        }
        all.iter().filter(|o| o.index != target.index).any(|o| {
            // Where the line of sight passes the occluder: the fraction along it of the
            // occluder's nearest point (after transforming to the occluder's box frame).
            let (c, s) = (o.yaw_rad.cos(), o.yaw_rad.sin());
            let to_box = |x: f64, y: f64| {
                let (rx, ry) = (x - o.east_m, y - o.north_m);
                (rx * c + ry * s, -rx * s + ry * c)
            };
            let (ax, ay) = to_box(sx, sy);
            let (bx, by) = to_box(target.east_m, target.north_m);
            let (hl, hw) = (o.length_m / 2.0, o.width_m / 2.0);
            // Slab test of the segment a→b against the box |x| ≤ hl, |y| ≤ hw.
            let (mut t0, mut t1) = (0.0f64, 1.0f64);
            for (p, q, h) in [(ax, bx - ax, hl), (ay, by - ay, hw)] {
                if q.abs() < 1e-12 {
                    if p.abs() > h {
                        return false;
                    }
                } else {
                    let (u, v) = ((-h - p) / q, (h - p) / q);
                    t0 = t0.max(u.min(v));
                    t1 = t1.min(u.max(v));
                }
            }
            if t0 > t1 || t0 >= 0.999 {
                return false;
            }
            // Height of the line of sight where it enters the occluder.
            let ray_h = sh + (target.height_m - sh) * t0;
            o.height_m >= ray_h
        })
    }

    /// Captures the scene at the scheduled time into `frame` and schedules the next. Returns
    /// false (and no frame) while the sensor is out.
    pub fn capture(&mut self, truths: &[TruthState], frame: &mut SensorFrame) -> bool {
        let t = self.next_capture_s;
        self.next_capture_s += self.period_s;
        if self.out_at(t) {
            return false;
        }
        let jitter = if self.spec.latency_jitter_s > 0.0 {
            self.rng
                .range(-self.spec.latency_jitter_s, self.spec.latency_jitter_s)
        } else {
            0.0
        };
        // Stamped in the sensor's own clock.
        let stamp = t + self.spec.clock_offset_s;
        frame.sensor = self.index;
        frame.capture_s = stamp;
        frame.deliver_s = t + self.spec.latency_s + jitter;
        frame.detections.clear();
        let (sx, sy) = (self.spec.position.east_m, self.spec.position.north_m);
        for s in truths {
            if !self.can_see(s, truths) || !self.rng.chance(self.spec.detection_probability) {
                continue;
            }
            let (dx, dy) = (s.east_m - sx, s.north_m - sy);
            let range = dx.hypot(dy);
            let mut d = self.measure(stamp, range, dy.atan2(dx), Some(s));
            let truth = Vector2::new(s.east_m, s.north_m);
            d.radial = self.doppler(truth, s.vel_east_mps, s.vel_north_mps);
            frame.detections.push(d);
            if self.spec.kind == SensorKind::Radar && self.rng.chance(self.spec.ghost_probability) {
                // A multipath ghost: same bearing, longer range.
                let r = range * self.rng.range(1.3, 2.0);
                if r <= self.spec.range_m {
                    let mut g = self.measure(stamp, r, dy.atan2(dx), None);
                    // Multipath keeps the object's Doppler.
                    g.radial = self.doppler(truth, s.vel_east_mps, s.vel_north_mps);
                    frame.detections.push(g);
                }
            }
        }
        for _ in 0..self.rng.poisson(self.spec.false_alarms_per_frame) {
            let c = self.coverage;
            let r = c.range_m * self.rng.uniform().sqrt();
            let a = c.yaw_rad + c.half_fov_rad * self.rng.range(-1.0, 1.0);
            let mut d = self.measure(stamp, r, a, None);
            // Clutter is the stationary background.
            d.radial = self.doppler(d.pos, 0.0, 0.0);
            frame.detections.push(d);
        }
        true
    }

    /// A radar's Doppler for an object moving at `(ve, vn)` at `pos`: the velocity along
    /// the line of sight (positive away from the sensor), with 0.1 m/s of noise. `None` for a
    /// camera.
    fn doppler(
        &mut self,
        pos: Vector2<f64>,
        ve: f64,
        vn: f64,
    ) -> Option<crate::fusion::RadialSpeed> {
        const SIGMA_MPS: f64 = 0.1;
        if self.spec.kind != SensorKind::Radar {
            return None;
        }
        let origin = Vector2::new(self.spec.position.east_m, self.spec.position.north_m);
        let los = pos - origin;
        let r = los.norm();
        (r > 1e-6).then(|| crate::fusion::RadialSpeed {
            origin,
            speed_mps: (ve * los.x + vn * los.y) / r + SIGMA_MPS * self.doppler_rng.normal(),
            var: SIGMA_MPS * SIGMA_MPS,
        })
    }

    /// A detection at a true range and bearing from the sensor, with this sensor's noise.
    /// `truth` gives class and size to a camera; false alarms and ghosts have none.
    fn measure(
        &mut self,
        stamp: f64,
        range: f64,
        bearing: f64,
        truth: Option<&TruthState>,
    ) -> Detection {
        let (sx, sy) = (self.spec.position.east_m, self.spec.position.north_m);
        match self.spec.kind {
            SensorKind::Camera => {
                let sigma = self.spec.noise_m;
                let (e, n) = (sx + range * bearing.cos(), sy + range * bearing.sin());
                Detection {
                    t: stamp,
                    sensor: self.index,
                    pos: Vector2::new(e + sigma * self.rng.normal(), n + sigma * self.rng.normal()),
                    cov: Matrix2::identity() * (sigma * sigma).max(1e-6),
                    class: truth.map_or(Class::Unknown, |s| class_of(s.class)),
                    length_m: truth.map(|s| s.length_m),
                    width_m: truth.map(|s| s.width_m),
                    class_confidence: None,
                    yaw_rad: None,
                    radial: None,
                }
            }
            SensorKind::Radar => {
                let sr = self.spec.noise_m;
                let sa = self
                    .spec
                    .azimuth_noise_deg
                    .unwrap_or(DEFAULT_AZIMUTH_NOISE_DEG)
                    .to_radians();
                let r = range + sr * self.rng.normal();
                let a = bearing + sa * self.rng.normal();
                let (sin, cos) = a.sin_cos();
                let rot = Matrix2::new(cos, -sin, sin, cos);
                let polar = Matrix2::new(
                    (sr * sr).max(1e-6),
                    0.0,
                    0.0,
                    (r.abs() * sa).powi(2).max(1e-6),
                );
                Detection {
                    t: stamp,
                    sensor: self.index,
                    pos: Vector2::new(sx + r * cos, sy + r * sin),
                    cov: rot * polar * rot.transpose(),
                    // A radar's object list does not say what the object is.
                    class: Class::Unknown,
                    length_m: None,
                    width_m: None,
                    class_confidence: None,
                    yaw_rad: None,
                    radial: None,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::Enu;

    fn spec(kind: SensorKind) -> SensorSpec {
        SensorSpec {
            id: "s".into(),
            kind,
            position: Enu::new(0.0, 0.0, 2.0),
            yaw_deg: 0.0,
            fov_deg: 90.0,
            range_m: 100.0,
            rate_hz: 10.0,
            latency_s: 0.1,
            noise_m: 0.0,
            azimuth_noise_deg: Some(0.0),
            detection_probability: 1.0,
            latency_jitter_s: 0.0,
            clock_offset_s: 0.0,
            false_alarms_per_frame: 0.0,
            ghost_probability: 0.0,
            occlusion: true,
            outages: vec![],
        }
    }

    fn at(index: usize, e: f64, n: f64, class: RoadUserClass) -> TruthState {
        let (l, w, h) = class.default_size();
        TruthState {
            index,
            class,
            east_m: e,
            north_m: n,
            vel_east_mps: 0.0,
            vel_north_mps: 0.0,
            yaw_rad: 0.0,
            length_m: l,
            width_m: w,
            height_m: h,
        }
    }

    #[test]
    fn sees_only_its_sector() {
        let s = SimSensor::new(0, spec(SensorKind::Camera), 1);
        assert!(s.sees(50.0, 0.0) && s.sees(50.0, 49.0));
        assert!(!s.sees(50.0, 51.0), "outside the 90° field of view");
        assert!(!s.sees(-10.0, 0.0), "behind");
        assert!(!s.sees(101.0, 0.0), "beyond range");
    }

    #[test]
    fn a_truck_hides_a_car_from_a_low_sensor() {
        let s = SimSensor::new(0, spec(SensorKind::Radar), 1);
        let truck = at(0, 20.0, 0.0, RoadUserClass::Truck);
        let car = at(1, 40.0, 0.0, RoadUserClass::Car);
        let all = [truck, car];
        assert!(!s.can_see(&car, &all), "behind the truck");
        assert!(s.can_see(&truck, &all));
        let beside = at(2, 40.0, 8.0, RoadUserClass::Car);
        assert!(s.can_see(&beside, &[truck, beside]), "off the truck's line");
        // A camera high on a pole sees the car over a pedestrian.
        let mut high = spec(SensorKind::Camera);
        high.position.up_m = 8.0;
        let cam = SimSensor::new(1, high, 1);
        let ped = at(3, 20.0, 0.0, RoadUserClass::Pedestrian);
        assert!(cam.can_see(&car, &[ped, car]));
    }

    #[test]
    fn outages_clock_offset_clutter_and_ghosts() {
        let mut sp = spec(SensorKind::Radar);
        sp.outages = vec![[1.0, 2.0]];
        sp.clock_offset_s = 0.25;
        sp.false_alarms_per_frame = 3.0;
        sp.ghost_probability = 1.0;
        sp.occlusion = false;
        let mut s = SimSensor::new(0, sp, 9);
        let car = at(0, 30.0, 0.0, RoadUserClass::Car);
        let (mut frames, mut dets, mut stamps_ok) = (0, 0, true);
        let mut f = SensorFrame::default();
        while s.next_capture_s() < 3.0 {
            let t = s.next_capture_s();
            let delivered = s.capture(&[car], &mut f);
            assert_eq!(delivered, !(1.0..2.0).contains(&t), "at {t}");
            if delivered {
                frames += 1;
                dets += f.detections.len();
                stamps_ok &=
                    (f.capture_s - t - 0.25).abs() < 1e-12 && (f.deliver_s - t - 0.1).abs() < 1e-12;
                // The car, its ghost (30 m → 39..60 m, same bearing) and the clutter.
                assert!(f.detections.iter().any(|d| (d.pos[0] - 30.0).abs() < 1e-9));
                assert!(f
                    .detections
                    .iter()
                    .any(|d| d.pos[0] > 38.9 && d.pos[1].abs() < 1e-9));
            }
        }
        assert!(
            stamps_ok,
            "stamped in the sensor clock, delivered after the latency"
        );
        assert_eq!(frames, 20);
        let clutter = dets as f64 / frames as f64 - 2.0;
        assert!(
            (clutter - 3.0).abs() < 1.0,
            "about 3 false alarms per frame, got {clutter}"
        );
    }
}
