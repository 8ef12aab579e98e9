//! The world model: the road users the site knows of, at one instant. Pure state: hazards,
//! message builders and the taps see only this snapshot.

use crate::fusion::Class;
use crate::geo::{Enu, GeoPoint, SiteFrame};
use crate::time::Timestamp;

/// One tracked road user, in the site frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorldObject {
    /// Stable track ID.
    pub id: u32,
    pub class: Class,
    /// Posterior probability of `class` (1/6 while the class is unknown).
    pub class_probability: f64,
    pub east_m: f64,
    pub north_m: f64,
    pub vel_east_mps: f64,
    pub vel_north_mps: f64,
    /// Direction of travel, counter-clockwise from east: from the velocity when moving, else
    /// from a sensor's box orientation, else the last known one (0 if never known).
    pub yaw_rad: f64,
    /// Standard deviation of `yaw_rad` (π when the heading has never been known).
    pub heading_std_rad: f64,
    /// Estimated size, or the class's typical one until a sensor has measured it.
    pub length_m: f64,
    pub width_m: f64,
    /// Position uncertainty: the larger standard deviation of the position covariance.
    pub pos_std_m: f64,
    pub speed_std_mps: f64,
    /// Covariance of `[east, north, vel_east, vel_north]` (m, m/s), row-major: what a
    /// consumer (CPM, a planner) needs beyond the standard deviations above.
    pub state_cov: [[f64; 4]; 4],
    /// Seconds since the track was created.
    pub age_s: f64,
    /// Seconds since a detection last updated it: the position is predicted over this time
    /// (a track coasting through a blind spot, or past where its road user left the scene).
    pub since_update_s: f64,
    /// The sensors (bit per sensor index) that have detected it.
    pub seen_by: u64,
}

impl WorldObject {
    /// A road user at `p` moving at `speed_mps` along `yaw_rad`, tracked as well as a site
    /// tracks one for a while (0.3 m, 0.3 m/s, 5 s old, one sensor, its class 90 % sure, the
    /// class's usual size): the fixture of the hazard tests and benchmarks.
    pub fn well_tracked(
        id: u32,
        class: crate::fusion::Class,
        p: [f64; 2],
        yaw_rad: f64,
        speed_mps: f64,
    ) -> Self {
        let (length_m, width_m, _) = crate::sensor::road_user_class(class).default_size();
        let (s, c) = yaw_rad.sin_cos();
        Self {
            id,
            class,
            east_m: p[0],
            north_m: p[1],
            vel_east_mps: speed_mps * c,
            vel_north_mps: speed_mps * s,
            yaw_rad,
            length_m,
            width_m,
            pos_std_m: 0.3,
            speed_std_mps: 0.3,
            state_cov: [[0.0; 4]; 4],
            age_s: 5.0,
            since_update_s: 0.05,
            seen_by: 0b1,
            class_probability: 0.9,
            heading_std_rad: 0.05,
        }
    }

    pub fn speed_mps(&self) -> f64 {
        self.vel_east_mps.hypot(self.vel_north_mps)
    }

    pub fn geo(&self, frame: &SiteFrame) -> GeoPoint {
        let g = frame.to_geo(Enu::new(self.east_m, self.north_m, 0.0));
        // On the road plane: the anchor's height, rather than the tangent plane's rise.
        GeoPoint::new(g.lat_deg, g.lon_deg, frame.anchor().height_m)
    }
}

/// The world at one instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorldSnapshot {
    pub time: Timestamp,
    pub objects: Vec<WorldObject>,
}
