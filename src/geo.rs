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

/// A transverse Mercator projection on the WGS84 ellipsoid (PROJ's `tmerc`; UTM is one), for
/// networks and logs whose coordinates are projected metres. The inverse uses Krüger's series
/// to third order in n: sub-millimetre within 1000 km of the central meridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransverseMercator {
    lon0_rad: f64,
    /// Scale on the central meridian.
    k0: f64,
    false_easting_m: f64,
    /// The false northing less the scaled meridian arc from the equator to the latitude of
    /// origin: what to subtract from a northing to measure it from the equator.
    equator_northing_m: f64,
}

impl TransverseMercator {
    /// PROJ's `+lat_0 +lon_0 +k +x_0 +y_0`.
    pub fn new(
        lat0_deg: f64,
        lon0_deg: f64,
        k0: f64,
        false_easting_m: f64,
        false_northing_m: f64,
    ) -> Self {
        let arc_m = Kruger::wgs84().meridian_arc(lat0_deg.to_radians());
        Self {
            lon0_rad: lon0_deg.to_radians(),
            k0,
            false_easting_m,
            equator_northing_m: false_northing_m - k0 * arc_m,
        }
    }

    /// UTM zone `zone` (1–60) of the northern or southern hemisphere.
    pub fn utm(zone: u8, south: bool) -> Self {
        let false_northing_m = if south { 10_000_000.0 } else { 0.0 };
        Self::new(
            0.0,
            f64::from(zone) * 6.0 - 183.0,
            0.9996,
            500_000.0,
            false_northing_m,
        )
    }

    /// Projected easting/northing (metres) → WGS84.
    pub fn to_geo(&self, easting_m: f64, northing_m: f64) -> GeoPoint {
        // A few products; the meridian arc to lat_0, the costly part, was taken once.
        let k = Kruger::wgs84();
        let north = northing_m - self.equator_northing_m;
        let xi = north / (self.k0 * k.big_a);
        let eta = (easting_m - self.false_easting_m) / (self.k0 * k.big_a);
        let mut xi_p = xi;
        let mut eta_p = eta;
        for (j, b) in k.beta.iter().enumerate() {
            let m = 2.0 * (j + 1) as f64;
            xi_p -= b * (m * xi).sin() * (m * eta).cosh();
            eta_p -= b * (m * xi).cos() * (m * eta).sinh();
        }
        let chi = (xi_p.sin() / eta_p.cosh()).asin();
        let mut phi = chi;
        for (j, d) in k.delta.iter().enumerate() {
            phi += d * (2.0 * (j + 1) as f64 * chi).sin();
        }
        let lambda = self.lon0_rad + eta_p.sinh().atan2(xi_p.cos());
        GeoPoint::new(phi.to_degrees(), lambda.to_degrees(), None)
    }
}

/// The coefficients of Krüger's transverse Mercator series for WGS84.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Kruger {
    /// The rectifying radius.
    big_a: f64,
    alpha: [f64; 3],
    beta: [f64; 3],
    delta: [f64; 3],
    n: f64,
}

impl Kruger {
    fn wgs84() -> Self {
        let n = WGS84_F / (2.0 - WGS84_F);
        let n2 = n * n;
        let n3 = n2 * n;
        Self {
            big_a: WGS84_A / (1.0 + n) * (1.0 + n2 / 4.0 + n2 * n2 / 64.0),
            alpha: [
                n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0,
                13.0 * n2 / 48.0 - 3.0 * n3 / 5.0,
                61.0 * n3 / 240.0,
            ],
            beta: [
                n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0,
                n2 / 48.0 + n3 / 15.0,
                17.0 * n3 / 480.0,
            ],
            delta: [
                2.0 * n - 2.0 * n2 / 3.0 - 2.0 * n3,
                7.0 * n2 / 3.0 - 8.0 * n3 / 5.0,
                56.0 * n3 / 15.0,
            ],
            n,
        }
    }

    /// The length of the meridian from the equator to latitude `phi`, metres.
    fn meridian_arc(&self, phi: f64) -> f64 {
        let c = 2.0 * self.n.sqrt() / (1.0 + self.n);
        // The conformal latitude; on the central meridian ξ' is it.
        let xi_p = (phi.sin().atanh() - c * (c * phi.sin()).atanh())
            .sinh()
            .atan();
        let mut xi = xi_p;
        for (j, a) in self.alpha.iter().enumerate() {
            xi += a * (2.0 * (j + 1) as f64 * xi_p).sin();
        }
        self.big_a * xi
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
    fn transverse_mercator_inverse_matches_proj() {
        // Reference values from PROJ (pyproj 3.7); 1e-8° is about a millimetre.
        let check = |tm: TransverseMercator, e: f64, n: f64, lat: f64, lon: f64| {
            let g = tm.to_geo(e, n);
            assert!(
                close(g.lat_deg, lat, 1e-8),
                "{e} {n}: lat {} vs {lat}",
                g.lat_deg
            );
            assert!(
                close(g.lon_deg, lon, 1e-8),
                "{e} {n}: lon {} vs {lon}",
                g.lon_deg
            );
        };
        for (zone, south, e, n, lat, lon) in [
            (
                33,
                false,
                400768.81,
                5810441.11,
                52.4351539297,
                13.5403103614,
            ),
            (33, false, 500000.0, 0.0, 0.0, 15.0),
            (33, false, 300000.0, 5000000.0, 45.1251538476, 12.4568765102),
            (33, false, 700000.0, 7500000.0, 67.5475282087, 19.6963794771),
            (
                56,
                true,
                334786.0,
                6252080.0,
                -33.8586639165,
                151.2140228609,
            ),
        ] {
            check(TransverseMercator::utm(zone, south), e, n, lat, lon);
        }
        // A local grid at a site (SUMO's netconvert writes these): origin at lat_0, lon_0.
        let local = TransverseMercator::new(52.27732947001164, 10.53906321682368, 1.0, 0.0, 0.0);
        for (e, n, lat, lon) in [
            (0.0, 0.0, 52.2773294700, 10.5390632168),
            (-502.65, -421.95, 52.2735372011, 10.5316993131),
            (250.5, -30.25, 52.2770575581, 10.5427333731),
            (-3000.0, 4000.0, 52.3132689178, 10.4950733886),
        ] {
            check(local, e, n, lat, lon);
        }
        let southern = TransverseMercator::new(-33.5, 151.0, 0.9999, 200_000.0, 100_000.0);
        check(southern, 200_000.0, 100_000.0, -33.5, 151.0);
        check(
            southern,
            215_000.0,
            62_000.0,
            -33.8425279006,
            151.1620820785,
        );
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
