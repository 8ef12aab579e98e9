//! Sensors as they really report: a camera's detector gives pixel boxes with a class and a
//! confidence, a radar an object list in its own polar-derived frame with Doppler speed and
//! RCS (the Continental ARS408 family's). [`RawFrame`] carries that, [`ingest`] turns it into
//! site-frame detections, and the wire formats ([`camera_json`], [`ars408`]) carry it over
//! UDP. The simulated sensors here produce the same raw frames from ground truth, each
//! through its own pose, field of view, range, rate, latency, clock, detection probability
//! (falling with distance), occlusion, noise, clutter and ghosts, with its own seeded random
//! stream, so replay and the live path go through the very same ingest.

pub mod ars408;
pub mod bsm;
pub mod camera;
pub mod camera_json;
pub mod ingest;
pub mod sim;

use crate::fusion::{Class, Detection};
use crate::geo::wrap_pi;
use crate::rng::Rng;
use crate::scenario::truth::TruthState;
use crate::scenario::{RoadUserClass, SensorKind, SensorSpec};
use ars408::{DynProp, ObjClass, RadarObject};
use camera::{BoxDetection, Camera, CameraError, ObjectSize};

/// A camera detector's report of one object.
pub type CameraBox = BoxDetection<Class>;

/// What a sensor delivers for one capture, in its own terms.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A camera's boxes, in pixels.
    Boxes(Vec<CameraBox>),
    /// A radar's object list, in the radar frame (x forward, y left).
    RadarObjects(Vec<RadarObject>),
    /// Detections already in the site frame (another fusion box, a test).
    Detections(Vec<Detection>),
}

/// One capture before ingest.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFrame {
    pub sensor: u16,
    /// Capture time in the sensor's own clock, seconds after the epoch.
    pub capture_s: f64,
    /// When it reaches the pipeline, site clock, seconds after the epoch (simulation only).
    pub deliver_s: f64,
    pub payload: Payload,
}

impl Default for RawFrame {
    fn default() -> Self {
        Self {
            sensor: 0,
            capture_s: 0.0,
            deliver_s: 0.0,
            payload: Payload::Detections(Vec::new()),
        }
    }
}

/// Class-typical radar cross-section, dBm², of a road user seen by a 77 GHz radar.
fn typical_rcs_dbsm(c: RoadUserClass) -> f64 {
    match c {
        RoadUserClass::Pedestrian => -8.0,
        RoadUserClass::Bicycle => -3.0,
        RoadUserClass::Motorcycle => 2.0,
        RoadUserClass::Car => 10.0,
        RoadUserClass::Bus | RoadUserClass::Truck => 20.0,
    }
}

/// The ARS408 object class of a road-user class.
pub fn radar_class(c: RoadUserClass) -> ObjClass {
    match c {
        RoadUserClass::Car => ObjClass::Car,
        RoadUserClass::Truck | RoadUserClass::Bus => ObjClass::Truck,
        RoadUserClass::Pedestrian => ObjClass::Pedestrian,
        RoadUserClass::Motorcycle => ObjClass::Motorcycle,
        RoadUserClass::Bicycle => ObjClass::Bicycle,
    }
}

/// The class a detector most often mistakes a class for.
fn confused_with(c: RoadUserClass, pick: f64) -> RoadUserClass {
    use RoadUserClass::*;
    let options: &[RoadUserClass] = match c {
        Car => &[Truck, Bus],
        Truck => &[Bus, Car],
        Bus => &[Truck, Car],
        Motorcycle => &[Bicycle, Car],
        Bicycle => &[Motorcycle, Pedestrian],
        Pedestrian => &[Bicycle, Motorcycle],
    };
    options[((pick * options.len() as f64) as usize).min(options.len() - 1)]
}

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
            // A BSM reports only its sender: its silence says nothing of anyone else, so
            // no track is missed by it.
            range_m: if spec.kind == SensorKind::Bsm {
                0.0
            } else {
                spec.range_m
            },
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
    camera: Option<Camera>,
    /// The site's buildings, which hide what is behind them.
    buildings: Vec<crate::map::Building>,
    rng: Rng,
    period_s: f64,
    next_capture_s: f64,
    cycle: u16,
}

/// What a sensor delivers: the site-frame detections of one capture, after ingest.
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

/// A radar's lateral (tangential) velocity error: its own tracker estimates it from the
/// change of bearing, far worse than the Doppler radial speed.
const RADAR_TANGENTIAL_NOISE_MPS: f64 = 0.5;

impl SimSensor {
    /// Fails only for a camera whose optics do not make a camera (scenario loading checks
    /// this first).
    pub fn new(index: u16, spec: SensorSpec, seed: u64) -> Result<Self, CameraError> {
        // Sensors start at different phases, as unsynchronised devices do.
        let mut rng = Rng::fork(seed, 0x5e50 + u64::from(index));
        let period_s = 1.0 / spec.rate_hz;
        let first = rng.range(0.0, period_s);
        let camera = match spec.kind {
            SensorKind::Camera => Some(spec.camera_model()?),
            SensorKind::Radar | SensorKind::Bsm => None,
        };
        Ok(Self {
            index,
            coverage: Coverage::of(&spec),
            camera,
            buildings: Vec::new(),
            spec,
            rng,
            period_s,
            next_capture_s: first,
            cycle: 0,
        })
    }

    /// Lets the site's buildings hide road users from this sensor (when it models occlusion).
    pub fn with_buildings(mut self, buildings: Vec<crate::map::Building>) -> Self {
        self.buildings = buildings;
        self
    }

    /// When the next capture happens, seconds after the scenario start.
    pub fn next_capture_s(&self) -> f64 {
        self.next_capture_s
    }

    pub fn sees(&self, east_m: f64, north_m: f64) -> bool {
        self.coverage.sees(east_m, north_m)
    }

    /// Whether the sensor could detect `target` now: in range and view (for a camera: in the
    /// image, at least a detector's minimum box height), and (if this sensor models
    /// occlusion) not hidden behind another of `all`.
    pub fn can_see(&self, target: &TruthState, all: &[TruthState]) -> bool {
        let in_image = self.camera.as_ref().is_none_or(|c| {
            let ground = [target.east_m, target.north_m];
            c.sees(ground, 0.0, target.height_m, camera::MIN_BOX_HEIGHT_PX)
        });
        self.sees(target.east_m, target.north_m)
            && in_image
            && !(self.spec.occlusion
                && (self.occluded(target, all) || self.behind_building(target)))
    }

    /// Whether a building stands in the line of sight from the sensor to the target's top.
    fn behind_building(&self, target: &TruthState) -> bool {
        !self.buildings.is_empty() && {
            let from = self.spec.position;
            let to = crate::geo::Enu::new(target.east_m, target.north_m, target.height_m);
            crate::map::geometry::line_of_sight_blocked(
                from,
                to,
                self.buildings
                    .iter()
                    .map(|b| crate::map::geometry::Footprint {
                        outline: &b.footprint,
                        height_m: b.height_m,
                    }),
            )
        }
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
    pub fn capture(&mut self, truths: &[TruthState], frame: &mut RawFrame) -> bool {
        let t = self.next_capture_s;
        self.next_capture_s += self.period_s;
        // Simulated road users carry no V2X unit: a BSM receiver hears nothing.
        if self.out_at(t) || self.spec.kind == SensorKind::Bsm {
            return false;
        }
        let jitter = if self.spec.latency_jitter_s > 0.0 {
            self.rng
                .range(-self.spec.latency_jitter_s, self.spec.latency_jitter_s)
        } else {
            0.0
        };
        frame.sensor = self.index;
        // Stamped in the sensor's own clock.
        frame.capture_s = t + self.spec.clock_offset_s;
        frame.deliver_s = t + self.spec.latency_s + jitter;
        self.cycle = self.cycle.wrapping_add(1);
        match self.spec.kind {
            SensorKind::Camera => {
                if !matches!(frame.payload, Payload::Boxes(_)) {
                    frame.payload = Payload::Boxes(Vec::new());
                }
                if let Payload::Boxes(boxes) = &mut frame.payload {
                    boxes.clear();
                    self.capture_boxes(truths, boxes);
                }
            }
            SensorKind::Bsm => {}
            SensorKind::Radar => {
                if !matches!(frame.payload, Payload::RadarObjects(_)) {
                    frame.payload = Payload::RadarObjects(Vec::new());
                }
                if let Payload::RadarObjects(objects) = &mut frame.payload {
                    objects.clear();
                    self.capture_radar(truths, objects);
                }
            }
        }
        true
    }

    /// The chance of detecting an object in view at `distance_m`.
    fn pd(&self, distance_m: f64) -> f64 {
        let s = &self.spec;
        camera::detection_probability(
            distance_m,
            s.detection_probability,
            s.full_detection_range_m(),
            s.range_m,
        )
    }

    fn capture_boxes(&mut self, truths: &[TruthState], boxes: &mut Vec<CameraBox>) {
        let Some(cam) = self.camera.clone() else {
            return;
        };
        let sigma = self.spec.pixel_noise_px();
        let accuracy = self.spec.class_accuracy();
        let (sx, sy) = (self.spec.position.east_m, self.spec.position.north_m);
        for s in truths {
            let distance = (s.east_m - sx).hypot(s.north_m - sy);
            if !self.can_see(s, truths) || !self.rng.chance(self.pd(distance)) {
                continue;
            }
            let size = ObjectSize::new(s.length_m, s.width_m, s.height_m);
            let Some(b) = cam.bounding_box([s.east_m, s.north_m], s.yaw_rad, &size, 0.0) else {
                continue;
            };
            let right = self.rng.chance(accuracy);
            let class = if right {
                s.class
            } else {
                confused_with(s.class, self.rng.uniform())
            };
            // Detector scores: high for a right class, middling for a confusion.
            let score = if right { 0.85 } else { 0.55 };
            let confidence = (score + 0.08 * self.rng.normal()).clamp(0.05, 0.99);
            if let Some(bbox) = self.noisy_box(&cam, b, sigma) {
                boxes.push(CameraBox {
                    class: class_of(class),
                    confidence,
                    bbox,
                });
            }
        }
        // False positives: a plausible box of a car or a pedestrian somewhere in view.
        for _ in 0..self.rng.poisson(self.spec.false_alarms_per_frame) {
            let c = self.coverage;
            let r = c.range_m * self.rng.uniform().sqrt();
            let a = c.yaw_rad + c.half_fov_rad * self.rng.range(-1.0, 1.0);
            let class = if self.rng.chance(0.5) {
                RoadUserClass::Car
            } else {
                RoadUserClass::Pedestrian
            };
            let (l, w, h) = class.default_size();
            let centre = [c.east_m + r * a.cos(), c.north_m + r * a.sin()];
            let yaw = self.rng.range(-std::f64::consts::PI, std::f64::consts::PI);
            let size = ObjectSize::new(l, w, h);
            if let Some(b) = cam.bounding_box(centre, yaw, &size, 0.0) {
                let confidence = (0.4 + 0.1 * self.rng.normal()).clamp(0.05, 0.99);
                if let Some(bbox) = self.noisy_box(&cam, b, sigma) {
                    let class = class_of(class);
                    boxes.push(CameraBox {
                        class,
                        confidence,
                        bbox,
                    });
                }
            }
        }
    }

    /// A box with detector noise on each edge, clipped to the image; `None` if it collapses.
    fn noisy_box(
        &mut self,
        cam: &Camera,
        b: camera::PixelBox,
        sigma: f64,
    ) -> Option<camera::PixelBox> {
        let intr = cam.intrinsics();
        let (w, h) = (f64::from(intr.width_px), f64::from(intr.height_px));
        let mut n = || sigma * self.rng.normal();
        let out = camera::PixelBox {
            x_min: (b.x_min + n()).clamp(0.0, w),
            y_min: (b.y_min + n()).clamp(0.0, h),
            x_max: (b.x_max + n()).clamp(0.0, w),
            y_max: (b.y_max + n()).clamp(0.0, h),
        };
        out.validate(intr).is_ok().then_some(out)
    }

    fn capture_radar(&mut self, truths: &[TruthState], objects: &mut Vec<RadarObject>) {
        let (sx, sy) = (self.spec.position.east_m, self.spec.position.north_m);
        for s in truths {
            let (dx, dy) = (s.east_m - sx, s.north_m - sy);
            let range = dx.hypot(dy);
            if !self.can_see(s, truths) || !self.rng.chance(self.pd(range)) {
                continue;
            }
            let bearing = dy.atan2(dx);
            let o = self.radar_object(range, bearing, Some(s));
            objects.push(o);
            if self.rng.chance(self.spec.ghost_probability) {
                // A multipath ghost: same bearing, longer range, same Doppler.
                let r = range * self.rng.range(1.3, 2.0);
                if r <= self.spec.range_m {
                    let mut g = self.radar_object(r, bearing, Some(s));
                    g.rcs_dbsm -= 10.0;
                    g.class = Some(ObjClass::Point);
                    objects.push(g);
                }
            }
        }
        for _ in 0..self.rng.poisson(self.spec.false_alarms_per_frame) {
            let c = self.coverage;
            let r = c.range_m * self.rng.uniform().sqrt();
            let a = c.yaw_rad + c.half_fov_rad * self.rng.range(-1.0, 1.0);
            let o = self.radar_object(r, a, None);
            objects.push(o);
        }
        // Obj_ID is the index in the list, and the list holds at most 255 objects.
        objects.truncate(255);
        for (i, o) in objects.iter_mut().enumerate() {
            o.id = i as u8;
        }
    }

    /// An object at a true range and site-frame bearing, measured with this radar's noise:
    /// range, azimuth and Doppler in polar form, put into the ARS408's Cartesian fields as
    /// its firmware does. `truth` gives motion, RCS, class and size; clutter has none.
    fn radar_object(
        &mut self,
        range: f64,
        bearing: f64,
        truth: Option<&TruthState>,
    ) -> RadarObject {
        let spec = &self.spec;
        let (sr, sa, sd) = (
            spec.range_noise_m(),
            spec.azimuth_noise_rad(),
            spec.doppler_noise_mps(),
        );
        let (yaw, rcs_noise) = (spec.yaw_deg.to_radians(), spec.rcs_noise_db());
        let accuracy = spec.class_accuracy();
        let rel = wrap_pi(bearing - yaw);
        let r = (range + sr * self.rng.normal()).max(0.0);
        let az = rel + sa * self.rng.normal();
        // Velocity in the radar frame, split into radial (Doppler) and tangential parts.
        let (ve, vn) = truth.map_or((0.0, 0.0), |s| (s.vel_east_mps, s.vel_north_mps));
        let (sin_yaw, cos_yaw) = yaw.sin_cos();
        let (v_long, v_lat) = (ve * cos_yaw + vn * sin_yaw, -ve * sin_yaw + vn * cos_yaw);
        let (ur, ut) = ((rel.cos(), rel.sin()), (-rel.sin(), rel.cos()));
        let radial = v_long * ur.0 + v_lat * ur.1 + sd * self.rng.normal();
        let tangential =
            v_long * ut.0 + v_lat * ut.1 + RADAR_TANGENTIAL_NOISE_MPS * self.rng.normal();
        let (ca, sa_) = (az.cos(), az.sin());
        let class = truth.map(|t| {
            if self.rng.chance(accuracy) {
                radar_class(t.class)
            } else {
                radar_class(confused_with(t.class, self.rng.uniform()))
            }
        });
        let rcs =
            truth.map_or(-10.0, |t| typical_rcs_dbsm(t.class)) + rcs_noise * self.rng.normal();
        let moving = (ve.hypot(vn)) > 0.5;
        RadarObject {
            id: 0,
            dist_long_m: r * ca,
            dist_lat_m: r * sa_,
            vrel_long_mps: radial * ca - tangential * sa_,
            vrel_lat_mps: radial * sa_ + tangential * ca,
            dyn_prop: if moving {
                DynProp::Moving
            } else {
                DynProp::Stationary
            },
            rcs_dbsm: rcs,
            dist_long_rms_m: Some(sr),
            dist_lat_rms_m: Some((r * sa).max(sr)),
            vrel_long_rms_mps: Some(sd),
            vrel_lat_rms_mps: Some(RADAR_TANGENTIAL_NOISE_MPS),
            prob_of_exist: Some(if truth.is_some() { 0.999 } else { 0.75 }),
            arel_long_mps2: Some(0.0),
            arel_lat_mps2: Some(0.0),
            class: Some(class.unwrap_or(ObjClass::Point)),
            orientation_rad: truth.map(|t| wrap_pi(t.yaw_rad - yaw + 0.05 * self.rng.normal())),
            length_m: truth.map(|t| (t.length_m + 0.3 * self.rng.normal()).max(0.2)),
            width_m: truth.map(|t| (t.width_m + 0.2 * self.rng.normal()).max(0.2)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::Enu;
    use crate::sensor::ingest::Ingest;

    fn spec(kind: SensorKind) -> SensorSpec {
        let radar = kind == SensorKind::Radar;
        SensorSpec {
            id: "s".into(),
            kind,
            position: Enu::new(0.0, 0.0, 2.0),
            yaw_deg: 0.0,
            fov_deg: 90.0,
            range_m: 100.0,
            rate_hz: 10.0,
            latency_s: 0.1,
            noise_m: radar.then_some(0.0),
            azimuth_noise_deg: radar.then_some(0.0),
            doppler_noise_mps: radar.then_some(0.0),
            rcs_noise_db: None,
            detection_probability: 1.0,
            full_detection_range_m: Some(99.0),
            class_accuracy: Some(1.0),
            camera: None,
            listen: None,
            radar_sensor_id: 0,
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

    fn radar_objects(f: &RawFrame) -> &[RadarObject] {
        match &f.payload {
            Payload::RadarObjects(o) => o,
            p => panic!("not a radar list: {p:?}"),
        }
    }

    #[test]
    fn sees_only_its_sector() {
        let s = SimSensor::new(0, spec(SensorKind::Radar), 1).unwrap();
        assert!(s.sees(50.0, 0.0) && s.sees(50.0, 49.0));
        assert!(!s.sees(50.0, 51.0), "outside the 90° field of view");
        assert!(!s.sees(-10.0, 0.0), "behind");
        assert!(!s.sees(101.0, 0.0), "beyond range");
    }

    #[test]
    fn a_truck_hides_a_car_from_a_low_sensor() {
        let s = SimSensor::new(0, spec(SensorKind::Radar), 1).unwrap();
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
        let cam = SimSensor::new(1, high, 1).unwrap();
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
        let mut s = SimSensor::new(0, sp, 9).unwrap();
        let car = at(0, 30.0, 0.0, RoadUserClass::Car);
        let (mut frames, mut objects, mut stamps_ok) = (0, 0, true);
        let mut f = RawFrame::default();
        while s.next_capture_s() < 3.0 {
            let t = s.next_capture_s();
            let delivered = s.capture(&[car], &mut f);
            assert_eq!(delivered, !(1.0..2.0).contains(&t), "at {t}");
            if delivered {
                frames += 1;
                let list = radar_objects(&f);
                objects += list.len();
                stamps_ok &=
                    (f.capture_s - t - 0.25).abs() < 1e-12 && (f.deliver_s - t - 0.1).abs() < 1e-12;
                // The car, its ghost (30 m → 39..60 m, same bearing) and the clutter.
                assert!(list.iter().any(|o| (o.dist_long_m - 30.0).abs() < 1e-9));
                assert!(list
                    .iter()
                    .any(|o| o.dist_long_m > 38.9 && o.dist_lat_m.abs() < 1e-9));
                assert!(list.iter().enumerate().all(|(i, o)| usize::from(o.id) == i));
            }
        }
        assert!(
            stamps_ok,
            "stamped in the sensor clock, delivered after the latency"
        );
        assert_eq!(frames, 20);
        let clutter = objects as f64 / frames as f64 - 2.0;
        assert!(
            (clutter - 3.0).abs() < 1.0,
            "about 3 false alarms per frame, got {clutter}"
        );
    }

    #[test]
    fn radar_reports_doppler_and_ingest_places_it() {
        let mut sp = spec(SensorKind::Radar);
        sp.yaw_deg = 30.0;
        let mut s = SimSensor::new(0, sp.clone(), 3).unwrap();
        let mut car = at(0, 40.0, 20.0, RoadUserClass::Car);
        (car.vel_east_mps, car.vel_north_mps) = (-8.0, 3.0);
        let mut f = RawFrame::default();
        assert!(s.capture(&[car], &mut f));
        let ingest = Ingest::new(&[sp]).unwrap();
        let (mut out, mut faults) = (SensorFrame::default(), Vec::new());
        ingest.convert(&f, &mut out, &mut faults).unwrap();
        assert!(faults.is_empty());
        let d = &out.detections[0];
        assert!((d.pos - nalgebra::Vector2::new(40.0, 20.0)).norm() < 1e-9);
        let los = nalgebra::Vector2::new(40.0, 20.0).normalize();
        let radial = d.radial.expect("Doppler");
        assert!((radial.speed_mps - (-8.0 * los.x + 3.0 * los.y)).abs() < 1e-9);
        assert_eq!(d.class, Class::Car);
    }

    #[test]
    fn camera_boxes_back_project_near_the_truth_and_detection_falls_with_distance() {
        let mut sp = spec(SensorKind::Camera);
        (sp.position.up_m, sp.range_m, sp.full_detection_range_m) = (6.0, 120.0, Some(40.0));
        sp.detection_probability = 0.95;
        let mut s = SimSensor::new(0, sp.clone(), 5).unwrap();
        let ingest = Ingest::new(&[sp]).unwrap();
        let (mut f, mut out, mut faults) = (RawFrame::default(), SensorFrame::default(), vec![]);
        let mut seen = [0usize; 2];
        let mut worst_nees = 0.0f64;
        for k in 0..400 {
            let near = k % 2 == 0;
            let range = if near { 30.0 } else { 100.0 };
            let mut car = at(0, range, 5.0, RoadUserClass::Car);
            car.yaw_rad = 0.3 * k as f64;
            if !s.capture(&[car], &mut f) {
                continue;
            }
            ingest.convert(&f, &mut out, &mut faults).unwrap();
            for d in &out.detections {
                seen[usize::from(!near)] += 1;
                let e = d.pos - nalgebra::Vector2::new(range, 5.0);
                let nees = e.dot(&(d.cov.try_inverse().unwrap() * e));
                worst_nees = worst_nees.max(nees);
                assert_eq!(d.class, Class::Car);
                assert!(d.class_confidence.is_some_and(|c| c > 0.0 && c < 1.0));
            }
        }
        assert!(faults.is_empty(), "{faults:?}");
        // Pd 0.95 at 30 m; at 100 m the smoothstep from 40 m to 120 m gives 0.95 × 0.156.
        let (near, far) = (seen[0] as f64 / 200.0, seen[1] as f64 / 200.0);
        assert!(
            (near - 0.95).abs() < 0.05 && (far - 0.148).abs() < 0.06,
            "{near} {far}"
        );
        assert!(
            worst_nees < 25.0,
            "a box far off its covariance: NEES {worst_nees}"
        );
    }

    #[test]
    fn a_building_hides_what_is_behind_it_up_to_its_height() {
        let house = crate::map::Building {
            name: None,
            footprint: vec![[15.0, -3.0], [25.0, -3.0], [25.0, 3.0], [15.0, 3.0]],
            height_m: Some(4.0),
        };
        let s = SimSensor::new(0, spec(SensorKind::Radar), 1)
            .unwrap()
            .with_buildings(vec![house.clone()]);
        let car = at(0, 40.0, 0.0, RoadUserClass::Car);
        assert!(!s.can_see(&car, &[car]), "behind the house");
        let beside = at(1, 40.0, 10.0, RoadUserClass::Car);
        assert!(s.can_see(&beside, &[beside]));
        // From 20 m up the line of sight passes over a 4 m house.
        let mut high = spec(SensorKind::Radar);
        high.position.up_m = 20.0;
        let s = SimSensor::new(0, high, 1)
            .unwrap()
            .with_buildings(vec![house]);
        assert!(s.can_see(&car, &[car]));
    }
}
