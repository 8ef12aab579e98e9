//! Detections and the measurement models (Stone Soup: detection, measurement model): position
//! (linear), and position plus a radar's Doppler radial speed (non-linear, EKF Jacobian).

use crate::fusion::model::State;
use crate::fusion::Seconds;
use nalgebra::{SMatrix, SVector};

/// Site-frame east/north position, metres.
pub type Position = SVector<f64, 2>;
/// Covariance of a [`Position`], m².
pub type PositionCov = SMatrix<f64, 2, 2>;

/// Object class as sensors report it. `Unknown` is last so known classes sort first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    Car,
    Truck,
    Bus,
    Motorcycle,
    Bicycle,
    Pedestrian,
    Unknown,
}

/// One sensor's report of one object at one instant, already in the site frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub t: Seconds,
    pub sensor: u16,
    pub pos: Position,
    pub cov: PositionCov,
    pub class: Class,
    pub length_m: Option<f64>,
    pub width_m: Option<f64>,
    /// The sensor's probability that `class` is right, in (0, 1]; `None` when it gives none.
    pub class_confidence: Option<f64>,
    /// Orientation of the object's box, rad counter-clockwise from east, when measured.
    pub yaw_rad: Option<f64>,
    /// Radial speed from a radar's Doppler, when the sensor measures it.
    pub radial: Option<RadialSpeed>,
}

/// A Doppler measurement: the object's speed along the line of sight from the sensor,
/// positive moving away. It needs the sensor's position to be used as a measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RadialSpeed {
    /// The sensor's site-frame east/north position, metres.
    pub origin: Position,
    pub speed_mps: f64,
    /// Variance of `speed_mps`, (m/s)².
    pub var: f64,
}

impl Detection {
    /// Finite position and symmetric positive-definite covariance. Anything else would make the
    /// gate meaningless, so the tracker skips such detections instead of trusting them.
    pub fn is_usable(&self) -> bool {
        let c = &self.cov;
        let symmetric = (c[(0, 1)] - c[(1, 0)]).abs() <= 1e-9 * (c[(0, 0)] + c[(1, 1)]);
        self.pos.iter().all(|v| v.is_finite())
            && c.iter().all(|v| v.is_finite())
            && symmetric
            && c[(0, 0)] > 0.0
            && c.determinant() > 0.0
    }
}

/// Maps a state to the position a sensor reports (H, 2×5).
pub fn position_model() -> SMatrix<f64, 2, 5> {
    SMatrix::<f64, 2, 5>::new(1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
}

/// Closer than this to the sensor the line of sight is ill-defined: Doppler is not used.
const MIN_DOPPLER_RANGE_M: f64 = 0.5;

/// Position plus radial speed from a radar at `origin`: the predicted `[x, y, rr]` and the
/// Jacobian `H` (3×5) at `x`; `None` too close to the sensor for a line of sight.
pub fn doppler_model(
    x: &State,
    origin: &Position,
) -> Option<(SVector<f64, 3>, SMatrix<f64, 3, 5>)> {
    let d = Position::new(x[0] - origin.x, x[1] - origin.y);
    let r = d.norm();
    if !(r >= MIN_DOPPLER_RANGE_M && r.is_finite()) {
        return None;
    }
    let u = d / r;
    let rr = x[2] * u.x + x[3] * u.y;
    // d rr / d p = (v − rr·u) / r, d rr / d v = u.
    let (gx, gy) = ((x[2] - rr * u.x) / r, (x[3] - rr * u.y) / r);
    #[rustfmt::skip]
    let h = SMatrix::<f64, 3, 5>::new(
        1.0, 0.0, 0.0, 0.0, 0.0,
        0.0, 1.0, 0.0, 0.0, 0.0,
        gx, gy, u.x, u.y, 0.0,
    );
    Some((SVector::<f64, 3>::new(x[0], x[1], rr), h))
}

/// Which side of the sensor's view a track is on: the part of the site a scan covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum View {
    /// The whole site.
    All,
    Sector(Sector),
}

/// A sector of a circle around a sensor's mounting point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sector {
    pub origin: Position,
    /// Boresight, rad counter-clockwise from east.
    pub yaw_rad: f64,
    pub half_fov_rad: f64,
    pub range_m: f64,
}

impl View {
    pub fn sees(&self, x: &State) -> bool {
        match self {
            View::All => true,
            View::Sector(s) => {
                let (dx, dy) = (x[0] - s.origin.x, x[1] - s.origin.y);
                dx.hypot(dy) <= s.range_m
                    && crate::geo::wrap_pi(dy.atan2(dx) - s.yaw_rad).abs() <= s.half_fov_rad
            }
        }
    }
}
