//! A track: one object's estimate plus the bookkeeping that decides its life (Stone Soup: track).
//!
//! Besides the kinematic estimate (an [`Imm`]), a track fuses over time what sensors say about
//! the object: its class (a Bayes posterior over the known classes), its size (a filtered
//! estimate per dimension that one outlier cannot sway) and its heading (from the motion when
//! the object moves, else from a sensor's box orientation, else held).

use crate::fusion::filter::{gated, Gate, Measured};
use crate::fusion::imm::{Imm, Models};
use crate::fusion::measurement::{Class, Detection, Position};
use crate::fusion::model::{State, StateCov};
use crate::fusion::Seconds;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Not yet seen often enough to publish; may be clutter.
    Tentative,
    Confirmed,
}

/// The known classes, in [`Class`] order; `Unknown` is not one of them.
pub const KNOWN_CLASSES: usize = Class::Unknown as usize;

/// Above this speed (m/s) the velocity gives the heading; below, noise would swing it.
pub const HEADING_MIN_SPEED_MPS: f64 = 1.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// Stable for the track's life and never given to another track.
    pub id: u32,
    /// The combined (moment-matched) estimate of the IMM, `[x, y, vx, vy, ω]`.
    pub state: State,
    pub cov: StateCov,
    /// The time `state` refers to.
    pub state_t: Seconds,
    pub imm: Imm,
    /// The most probable class, `Unknown` until a sensor has said anything about it.
    pub class: Class,
    /// Its posterior probability (1/K while nothing is known).
    pub class_probability: f64,
    /// Filtered size, `None` until a sensor has measured it.
    pub length_m: Option<f64>,
    pub width_m: Option<f64>,
    /// Direction of travel, rad counter-clockwise from east; `None` until known.
    pub heading_rad: Option<f64>,
    pub heading_var: f64,
    pub created_t: Seconds,
    pub last_update_t: Seconds,
    /// Detections assigned over the track's life.
    pub hits: u32,
    /// Bit `i` set: sensor `i` (indices from 63 on share the last bit) has contributed a
    /// detection; the provenance of everything built from the track.
    pub seen_by: u64,
    /// Scans since the last assigned detection in which a sensor should have seen the track.
    pub misses: u32,
    pub status: Status,
    /// One bit per scan, newest lowest: 1 = detection assigned.
    history: u32,
    class_posterior: [f64; KNOWN_CLASSES],
    class_informed: bool,
    size: [Scalar; 2],
}

/// A slowly varying scalar measured with noise: a Kalman filter on a constant whose
/// innovation is clipped at three standard deviations, so an outlier moves it only a little.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Scalar {
    mean: Option<f64>,
    var: f64,
}

/// Size hints: measurement variance (m²), the floor of the estimate's variance (so that a
/// real change of size is still followed), and the variance of a first sample.
const SIZE_MEAS_VAR: f64 = 0.09;
const SIZE_MIN_VAR: f64 = 0.0025;

impl Scalar {
    fn update(&mut self, sample: Option<f64>) {
        let Some(z) = sample.filter(|s| s.is_finite() && *s > 0.0) else {
            return;
        };
        let Some(m) = self.mean else {
            (self.mean, self.var) = (Some(z), SIZE_MEAS_VAR);
            return;
        };
        let s = self.var + SIZE_MEAS_VAR;
        let bound = 3.0 * s.sqrt();
        let y = (z - m).clamp(-bound, bound);
        let k = self.var / s;
        self.mean = Some(m + k * y);
        self.var = ((1.0 - k) * self.var).max(SIZE_MIN_VAR);
    }
}

impl Track {
    /// A tentative track at the detection, at rest but with velocity variance `velocity_var`:
    /// one point says nothing about motion, and the next scan's gate must reach a moving object.
    /// A Doppler detection fixes the velocity along the line of sight.
    pub(crate) fn initiate(
        id: u32,
        det: &Detection,
        state_t: Seconds,
        velocity_var: f64,
        class_confidence: f64,
    ) -> Self {
        let mut cov = StateCov::from_diagonal_element(velocity_var);
        cov[(4, 4)] = 0.0;
        cov.fixed_view_mut::<2, 2>(0, 0).copy_from(&det.cov);
        let mut state = State::new(det.pos.x, det.pos.y, 0.0, 0.0, 0.0);
        if let Some(rad) = det
            .radial
            .filter(|r| r.var > 0.0 && r.speed_mps.is_finite())
        {
            let d: Position = det.pos - rad.origin;
            if d.norm() > 0.5 {
                let u = d / d.norm();
                let uu = u * u.transpose();
                let pv = (nalgebra::Matrix2::identity() - uu) * velocity_var + uu * rad.var;
                cov.fixed_view_mut::<2, 2>(2, 2).copy_from(&pv);
                state[2] = rad.speed_mps * u.x;
                state[3] = rad.speed_mps * u.y;
            }
        }
        let mut track = Track {
            id,
            state,
            cov,
            state_t,
            imm: Imm::new(state, cov, false),
            class: Class::Unknown,
            class_probability: 1.0 / KNOWN_CLASSES as f64,
            length_m: None,
            width_m: None,
            heading_rad: None,
            heading_var: 0.0,
            created_t: det.t,
            last_update_t: det.t,
            hits: 1,
            seen_by: 1u64 << det.sensor.min(63),
            misses: 0,
            status: Status::Tentative,
            history: 1,
            class_posterior: [1.0 / KNOWN_CLASSES as f64; KNOWN_CLASSES],
            class_informed: false,
            size: [Scalar::default(); 2],
        };
        track.record_attributes(det, class_confidence);
        track
    }

    /// State and covariance extrapolated to `t`, leaving the track as it is. Never extrapolates
    /// backwards: before `state_t` the current estimate is returned.
    pub fn predicted(&self, t: Seconds, models: &Models) -> (State, StateCov) {
        let dt = t - self.state_t;
        if dt <= 0.0 {
            return (self.state, self.cov);
        }
        let mut imm = self.imm;
        imm.predict(models, dt);
        imm.estimate()
    }

    pub fn speed_mps(&self) -> f64 {
        self.state.fixed_rows::<2>(2).norm()
    }

    /// The class posterior over the known classes, in [`Class`] order.
    pub fn class_posterior(&self) -> &[f64; KNOWN_CLASSES] {
        &self.class_posterior
    }

    /// Heading at a state: from its velocity when fast enough, else the track's own.
    pub fn heading_at(&self, x: &State, p: &StateCov) -> (Option<f64>, f64) {
        match motion_heading(x, p) {
            Some((h, var)) => (Some(h), var),
            None => (self.heading_rad, self.heading_var),
        }
    }

    /// Assigned detections among the last `n` scans (`n <= 32`).
    pub fn recent_hits(&self, n: u32) -> u32 {
        let mask = u32::MAX.checked_shr(32 - n.min(32)).unwrap_or(0);
        (self.history & mask).count_ones()
    }

    pub(crate) fn predict_to(&mut self, t: Seconds, models: &Models) {
        let dt = t - self.state_t;
        if dt > 0.0 {
            self.imm.predict(models, dt);
            (self.state, self.cov) = self.imm.estimate();
            self.state_t = t;
        }
    }

    /// The covariance widened for a manoeuvre since the last update: any heading at the
    /// track's speed, and the position spread that follows (used to gate a detection that
    /// fell outside the normal gate).
    pub fn manoeuvre_cov(&self, now: Seconds) -> StateCov {
        let mut p = self.cov;
        add_manoeuvre(&mut p, self.speed_mps(), now - self.last_update_t);
        p
    }

    /// Widens every model's covariance as [`Track::manoeuvre_cov`] does, before an update
    /// with a detection that only the manoeuvre gate admitted.
    pub(crate) fn open_for_manoeuvre(&mut self, now: Seconds) {
        let (speed, since) = (self.speed_mps(), now - self.last_update_t);
        for p in &mut self.imm.p {
            add_manoeuvre(p, speed, since);
        }
        (self.state, self.cov) = self.imm.estimate();
    }

    /// Updates with an assigned detection; false (and only a miss recorded) when the
    /// innovation covariance is singular.
    /// The radial speed of a Doppler detection is used unless it failed its gate (see
    /// [`gated`]).
    pub(crate) fn update(&mut self, det: &Detection, class_confidence: f64, gate: Gate) -> bool {
        let doppler = !matches!(
            gated(det, &self.state, &self.cov, gate),
            Some((Measured::Position(_), _))
        );
        self.update_gated(det, class_confidence, doppler)
    }

    /// [`Track::update`] with the gate's verdict on the radial speed already known (the
    /// associator has it for every pair it gated against this very state).
    pub(crate) fn update_gated(
        &mut self,
        det: &Detection,
        class_confidence: f64,
        doppler: bool,
    ) -> bool {
        if self.imm.update(det, doppler).is_none() {
            return false;
        }
        (self.state, self.cov) = self.imm.estimate();
        self.last_update_t = self.last_update_t.max(det.t);
        self.hits = self.hits.saturating_add(1);
        self.seen_by |= 1u64 << det.sensor.min(63);
        self.misses = 0;
        self.history = (self.history << 1) | 1;
        self.record_attributes(det, class_confidence);
        true
    }

    pub(crate) fn record_miss(&mut self) {
        self.misses = self.misses.saturating_add(1);
        self.history <<= 1;
    }

    fn record_attributes(&mut self, det: &Detection, default_confidence: f64) {
        self.fuse_class(det, default_confidence);
        self.size[0].update(det.length_m);
        self.size[1].update(det.width_m);
        (self.length_m, self.width_m) = (self.size[0].mean, self.size[1].mean);
        if let Some((h, var)) = motion_heading(&self.state, &self.cov) {
            (self.heading_rad, self.heading_var) = (Some(h), var);
        } else if let Some(yaw) = det.yaw_rad.filter(|y| y.is_finite()) {
            // A box's orientation is ambiguous by half a turn: the one nearer the last heading.
            let yaw = match self.heading_rad {
                Some(h) if crate::geo::wrap_pi(yaw - h).abs() > std::f64::consts::FRAC_PI_2 => {
                    crate::geo::wrap_pi(yaw + std::f64::consts::PI)
                }
                _ => yaw,
            };
            (self.heading_rad, self.heading_var) = (Some(yaw), 0.05);
        }
    }

    /// Bayes: a report of class c with confidence p has likelihood p for c and (1 − p)/(K − 1)
    /// for every other known class; `Unknown` says nothing. The posterior is floored so that
    /// a long-held belief can still be overturned.
    fn fuse_class(&mut self, det: &Detection, default_confidence: f64) {
        if det.class == Class::Unknown {
            return;
        }
        let p = det
            .class_confidence
            .filter(|c| c.is_finite() && *c > 0.0)
            .unwrap_or(default_confidence)
            .clamp(1.0 / KNOWN_CLASSES as f64, 1.0 - 1e-6);
        let other = (1.0 - p) / (KNOWN_CLASSES - 1) as f64;
        let mut sum = 0.0;
        for (k, post) in self.class_posterior.iter_mut().enumerate() {
            *post *= if k == det.class as usize { p } else { other };
            sum += *post;
        }
        let mut renorm = 0.0;
        for post in &mut self.class_posterior {
            *post = (*post / sum).max(1e-9);
            renorm += *post;
        }
        let mut best = 0;
        for k in 0..KNOWN_CLASSES {
            self.class_posterior[k] /= renorm;
            if self.class_posterior[k] > self.class_posterior[best] {
                best = k;
            }
        }
        self.class_informed = true;
        self.class = CLASSES[best];
        self.class_probability = self.class_posterior[best];
        self.imm.set_cv_only(self.class == Class::Pedestrian);
    }
}

/// Velocity variance `speed²` per axis, position variance `(speed · since)²` (since capped at
/// half a second, plus one scan), turn-rate variance 1 (rad/s)².
fn add_manoeuvre(p: &mut StateCov, speed: f64, since: Seconds) {
    let since = since.clamp(0.0, 0.5) + 0.05;
    let (pos, vel) = ((speed * since).powi(2), speed * speed);
    for k in 0..2 {
        p[(k, k)] += pos;
        p[(k + 2, k + 2)] += vel;
    }
    p[(4, 4)] += 1.0;
}

const CLASSES: [Class; KNOWN_CLASSES] = [
    Class::Car,
    Class::Truck,
    Class::Bus,
    Class::Motorcycle,
    Class::Bicycle,
    Class::Pedestrian,
];

/// Direction of the velocity and its variance (the velocity variance across the direction
/// over the speed squared), when the speed is above [`HEADING_MIN_SPEED_MPS`].
fn motion_heading(x: &State, p: &StateCov) -> Option<(f64, f64)> {
    let (vx, vy) = (x[2], x[3]);
    let speed = vx.hypot(vy);
    if speed.is_nan() || speed <= HEADING_MIN_SPEED_MPS {
        return None;
    }
    let (nx, ny) = (-vy / speed, vx / speed);
    let across = nx * nx * p[(2, 2)] + 2.0 * nx * ny * p[(2, 3)] + ny * ny * p[(3, 3)];
    Some((vy.atan2(vx), across.max(0.0) / (speed * speed)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusion::measurement::{Position, PositionCov};

    const GATE: Gate = Gate {
        position: 9.21,
        doppler: 11.34,
    };

    fn det(class: Class, conf: Option<f64>, length_m: Option<f64>) -> Detection {
        Detection {
            t: 0.0,
            sensor: 0,
            pos: Position::zeros(),
            cov: PositionCov::identity(),
            class,
            length_m,
            width_m: None,
            class_confidence: conf,
            yaw_rad: None,
            radial: None,
        }
    }

    #[test]
    fn class_is_the_bayes_posterior_of_the_reports() {
        let mut track = Track::initiate(1, &det(Class::Unknown, None, None), 0.0, 1.0, 0.8);
        assert_eq!(track.class, Class::Unknown);
        assert!((track.class_probability - 1.0 / 6.0).abs() < 1e-12);
        // Car at 0.8: likelihoods 0.8 vs 0.04 for the other five: posterior 0.8 / (0.8 + 0.2).
        track.update(&det(Class::Car, None, None), 0.8, GATE);
        assert_eq!(track.class, Class::Car);
        assert!((track.class_probability - 0.8).abs() < 1e-9);
        // Truck at 0.9: car 0.8·0.02, truck 0.04·0.9, others 0.04·0.02 each.
        track.update(&det(Class::Truck, Some(0.9), None), 0.8, GATE);
        let (car, truck, other) = (0.8 * 0.02, 0.04 * 0.9, 0.04 * 0.02);
        let sum = car + truck + 4.0 * other;
        assert_eq!(track.class, Class::Truck);
        assert!((track.class_probability - truck / sum).abs() < 1e-9);
        assert!((track.class_posterior()[0] - car / sum).abs() < 1e-9);
        // Unknown reports change nothing.
        let before = *track.class_posterior();
        track.update(&det(Class::Unknown, Some(0.99), None), 0.8, GATE);
        assert_eq!(*track.class_posterior(), before);
    }

    #[test]
    fn pedestrians_use_the_cv_model_alone() {
        let mut track = Track::initiate(1, &det(Class::Car, None, None), 0.0, 1.0, 0.8);
        assert!(!track.imm.cv_only);
        for _ in 0..3 {
            track.update(&det(Class::Pedestrian, Some(0.9), None), 0.8, GATE);
        }
        assert_eq!(track.class, Class::Pedestrian);
        assert!(track.imm.cv_only);
    }

    #[test]
    fn size_is_filtered_and_one_outlier_barely_moves_it() {
        let mut track = Track::initiate(1, &det(Class::Car, None, Some(4.4)), 0.0, 1.0, 0.8);
        for len in [4.6, 4.5, 4.4, 4.6, 4.5, 4.5, 4.4, 4.6] {
            track.update(&det(Class::Car, None, Some(len)), 0.8, GATE);
        }
        let before = track.length_m.unwrap();
        assert!((before - 4.5).abs() < 0.05, "{before}");
        track.update(&det(Class::Car, None, Some(20.0)), 0.8, GATE);
        let after = track.length_m.unwrap();
        assert!((after - before).abs() < 0.15, "{before} → {after}");
        assert_eq!(track.width_m, None);
    }

    #[test]
    fn heading_from_motion_else_from_the_box_else_held() {
        let mut d = det(Class::Car, None, None);
        let mut track = Track::initiate(1, &d, 0.0, 1.0, 0.8);
        assert_eq!(track.heading_rad, None);
        d.yaw_rad = Some(0.3);
        track.update(&d, 0.8, GATE);
        assert_eq!(track.heading_rad, Some(0.3));
        // The box's opposite orientation is read as the same heading.
        d.yaw_rad = Some(0.3 - std::f64::consts::PI);
        track.update(&d, 0.8, GATE);
        assert!((track.heading_rad.unwrap() - 0.3).abs() < 1e-12);
        d.yaw_rad = None;
        track.update(&d, 0.8, GATE);
        assert!((track.heading_rad.unwrap() - 0.3).abs() < 1e-12, "held");
        // Moving north at 5 m/s: the motion decides.
        let mut x = track.state;
        x[3] = 5.0;
        let (h, _) = track.heading_at(&x, &track.cov);
        assert!((h.unwrap() - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
    }
}
