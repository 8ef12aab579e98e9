//! Geodesy: WGS84 positions, the site frame (a local east-north-up tangent plane at the site's
//! anchor), and the heading conventions of the standards.
//!
//! Inside Roadsight every position is in the site frame, in metres; WGS84 appears only at the
//! message boundary and in configuration. The conversions go through earth-centred earth-fixed
//! (ECEF) coordinates on the WGS84 ellipsoid, so they are exact (no flat-earth approximation)
//! at any distance from the anchor.

use serde::{Deserialize, Serialize};
use std::f64::consts::{PI, TAU};

/// WGS84 semi-major axis, metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// A WGS84 position: latitude and longitude in degrees, height above the ellipsoid in metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Height above the WGS84 ellipsoid; `None` when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_m: Option<f64>,
}

impl GeoPoint {
    pub fn new(lat_deg: f64, lon_deg: f64, height_m: Option<f64>) -> Self {
        Self {
            lat_deg,
            lon_deg,
            height_m,
        }
    }

    /// Whether the coordinates are finite and within ±90° / ±180°.
    pub fn is_valid(&self) -> bool {
        self.lat_deg.is_finite()
            && self.lon_deg.is_finite()
            && (-90.0..=90.0).contains(&self.lat_deg)
            && (-180.0..=180.0).contains(&self.lon_deg)
            && self.height_m.is_none_or(f64::is_finite)
    }

    /// Distance along the ground (great circle on a sphere of the WGS84 mean radius, heights
    /// ignored) to `other`: within 0.5 % of the ellipsoidal distance, enough to tell whether a
    /// message is near a subscriber, and cheap enough to ask for every message and client.
    pub fn ground_distance_m(&self, other: &GeoPoint) -> f64 {
        /// WGS84 mean radius (2a + b) / 3.
        const MEAN_RADIUS_M: f64 = 6_371_008.8;
        let (p1, p2) = (self.lat_deg.to_radians(), other.lat_deg.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon_deg - self.lon_deg).to_radians();
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * MEAN_RADIUS_M * h.clamp(0.0, 1.0).sqrt().asin()
    }

    fn to_ecef(self) -> [f64; 3] {
        let (lat, lon) = (self.lat_deg.to_radians(), self.lon_deg.to_radians());
        let h = self.height_m.unwrap_or(0.0);
        let n = prime_vertical_radius(lat);
        [
            (n + h) * lat.cos() * lon.cos(),
            (n + h) * lat.cos() * lon.sin(),
            (n * (1.0 - WGS84_E2) + h) * lat.sin(),
        ]
    }

    fn from_ecef([x, y, z]: [f64; 3]) -> Self {
        let lon = y.atan2(x);
        let p = x.hypot(y);
        // Fixed-point iteration on the latitude; near the earth's surface it converges to
        // machine precision in a handful of steps.
        let mut lat = z.atan2(p * (1.0 - WGS84_E2));
        let mut h = 0.0;
        for _ in 0..10 {
            let n = prime_vertical_radius(lat);
            h = if lat.cos().abs() > 1e-9 {
                p / lat.cos() - n
            } else {
                z.abs() - n * (1.0 - WGS84_E2)
            };
            let next = z.atan2(p * (1.0 - WGS84_E2 * n / (n + h)));
            let done = (next - lat).abs() < 1e-15;
            lat = next;
            if done {
                break;
            }
        }
        Self {
            lat_deg: lat.to_degrees(),
            lon_deg: lon.to_degrees(),
            height_m: Some(h),
        }
    }
}

fn prime_vertical_radius(lat_rad: f64) -> f64 {
    WGS84_A / (1.0 - WGS84_E2 * lat_rad.sin().powi(2)).sqrt()
}

/// A point in the site frame: metres east, north and up of the anchor.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Enu {
    pub east_m: f64,
    pub north_m: f64,
    pub up_m: f64,
}

impl Enu {
    pub fn new(east_m: f64, north_m: f64, up_m: f64) -> Self {
        Self {
            east_m,
            north_m,
            up_m,
        }
    }
}

/// The site frame: an east-north-up tangent plane at a WGS84 anchor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiteFrame {
    anchor: GeoPoint,
    anchor_ecef: [f64; 3],
    /// Rows: the east, north and up unit vectors in ECEF.
    rot: [[f64; 3]; 3],
}

impl SiteFrame {
    /// A frame anchored at `anchor` (its height taken as 0 m when unknown).
    pub fn new(anchor: GeoPoint) -> Self {
        let (lat, lon) = (anchor.lat_deg.to_radians(), anchor.lon_deg.to_radians());
        let (sl, cl, so, co) = (lat.sin(), lat.cos(), lon.sin(), lon.cos());
        Self {
            anchor,
            anchor_ecef: anchor.to_ecef(),
            rot: [
                [-so, co, 0.0],
                [-sl * co, -sl * so, cl],
                [cl * co, cl * so, sl],
            ],
        }
    }

    pub fn anchor(&self) -> GeoPoint {
        self.anchor
    }

    /// WGS84 → site frame. An unknown height is taken as the anchor's height.
    pub fn to_enu(&self, p: GeoPoint) -> Enu {
        let p = GeoPoint {
            height_m: p.height_m.or(self.anchor.height_m),
            ..p
        };
        let e = p.to_ecef();
        let d = [
            e[0] - self.anchor_ecef[0],
            e[1] - self.anchor_ecef[1],
            e[2] - self.anchor_ecef[2],
        ];
        let r = &self.rot;
        Enu {
            east_m: r[0][0] * d[0] + r[0][1] * d[1] + r[0][2] * d[2],
            north_m: r[1][0] * d[0] + r[1][1] * d[1] + r[1][2] * d[2],
            up_m: r[2][0] * d[0] + r[2][1] * d[1] + r[2][2] * d[2],
        }
    }

    /// Site frame → WGS84 (height always known).
    pub fn to_geo(&self, p: Enu) -> GeoPoint {
        let r = &self.rot;
        let (e, n, u) = (p.east_m, p.north_m, p.up_m);
        GeoPoint::from_ecef([
            self.anchor_ecef[0] + r[0][0] * e + r[1][0] * n + r[2][0] * u,
            self.anchor_ecef[1] + r[0][1] * e + r[1][1] * n + r[2][1] * u,
            self.anchor_ecef[2] + r[0][2] * e + r[1][2] * n + r[2][2] * u,
        ])
    }
}

/// Internal yaw (radians, counter-clockwise from east, any range) → heading as the standards
/// define it (radians, clockwise from true north, in `[0, 2π)`).
pub fn heading_from_yaw(yaw_rad: f64) -> f64 {
    wrap_two_pi(PI / 2.0 - yaw_rad)
}

/// Heading (radians, clockwise from north) → internal yaw (radians, counter-clockwise from
/// east, in `(-π, π]`).
pub fn yaw_from_heading(heading_rad: f64) -> f64 {
    wrap_pi(PI / 2.0 - heading_rad)
}

/// Wraps an angle into `[0, 2π)`.
pub fn wrap_two_pi(a: f64) -> f64 {
    let w = a.rem_euclid(TAU);
    // rem_euclid can return exactly TAU for tiny negative inputs.
    if w >= TAU {
        0.0
    } else {
        w
    }
}

/// Wraps an angle into `(-π, π]`.
pub fn wrap_pi(a: f64) -> f64 {
    let w = wrap_two_pi(a);
    if w > PI {
        w - TAU
    } else {
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn heading_quadrants_and_wrap() {
        let d = f64::to_radians;
        // yaw (ccw from east) → heading (cw from north)
        let cases = [
            (0.0, 90.0),    // east
            (90.0, 0.0),    // north
            (180.0, 270.0), // west
            (-90.0, 180.0), // south
            (45.0, 45.0),   // north-east
            (135.0, 315.0), // north-west
            (-135.0, 225.0),
            (-45.0, 135.0),
            (450.0, 0.0),                  // wraps
            (-270.0, 0.0),                 // wraps
            (90.0 + 1e-12, 360.0 - 1e-12), // just west of north stays below 360°
        ];
        for (yaw, heading) in cases {
            let h = heading_from_yaw(d(yaw)).to_degrees();
            let diff = (h - heading).rem_euclid(360.0);
            assert!(
                !(1e-6..=360.0 - 1e-6).contains(&diff),
                "yaw {yaw}: {h} != {heading}"
            );
            assert!(
                (0.0..360.0).contains(&h),
                "yaw {yaw}: heading {h} out of range"
            );
            let back = yaw_from_heading(d(heading)).to_degrees();
            let diff = (back - yaw).rem_euclid(360.0);
            assert!(
                !(1e-6..=360.0 - 1e-6).contains(&diff),
                "heading {heading}: {back}"
            );
            assert!(back > -180.0 && back <= 180.0);
        }
    }

    #[test]
    fn enu_round_trip_is_sub_millimetre() {
        for anchor in [
            GeoPoint::new(31.2304, 121.4737, Some(12.0)),
            GeoPoint::new(-33.8688, 151.2093, None),
            GeoPoint::new(64.1466, -21.9426, Some(40.0)),
            GeoPoint::new(0.0, 179.999, Some(0.0)),
        ] {
            let f = SiteFrame::new(anchor);
            let o = f.to_enu(anchor);
            assert!(o.east_m.abs() < 1e-6 && o.north_m.abs() < 1e-6 && o.up_m.abs() < 1e-6);
            for &(e, n, u) in &[
                (0.0, 0.0, 0.0),
                (5000.0, 0.0, 0.0),
                (-3535.5, 3535.5, 10.0),
                (0.0, -5000.0, -5.0),
                (123.456, 78.9, 1.5),
            ] {
                let g = f.to_geo(Enu::new(e, n, u));
                let back = f.to_enu(g);
                assert!(close(back.east_m, e, 1e-6), "{anchor:?} {e} {n}: {back:?}");
                assert!(close(back.north_m, n, 1e-6));
                assert!(close(back.up_m, u, 1e-6));
            }
        }
    }

    #[test]
    fn validity() {
        assert!(GeoPoint::new(31.0, 121.0, None).is_valid());
        assert!(!GeoPoint::new(f64::NAN, 121.0, None).is_valid());
        assert!(!GeoPoint::new(91.0, 121.0, None).is_valid());
        assert!(!GeoPoint::new(31.0, 121.0, Some(f64::INFINITY)).is_valid());
    }
}
