//! Detections and the position measurement model (Stone Soup: detection, measurement model).

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

/// Maps a state to the position a sensor reports (H, 2×4).
pub fn position_model() -> SMatrix<f64, 2, 4> {
    SMatrix::<f64, 2, 4>::new(1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0)
}
