//! SI ↔ CN-2020 units, with the standard's saturation and "unavailable" values.
//!
//! Each function converts one data element. Values beyond the element's range saturate at the
//! value the standard reserves for "this or more"; `None` and non-finite inputs give the
//! element's "unavailable" value where it has one. The readers invert them, returning `None`
//! for "unavailable".

use crate::geo::GeoPoint;
use roadsight_asn1::cn;

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Rounds `x / lsb` into `lo..=hi`, saturating.
fn quantise(x: f64, lsb: f64, lo: i64, hi: i64) -> i64 {
    let q = (x / lsb).round();
    if q < lo as f64 {
        lo
    } else if q > hi as f64 {
        hi
    } else {
        q as i64
    }
}

// --- position ---------------------------------------------------------------------------

pub const LAT_UNAVAILABLE: i32 = 900_000_001;
pub const LON_UNAVAILABLE: i32 = 1_800_000_001;
pub const ELEVATION_UNKNOWN: i32 = -4096;

/// Degrees → 1e-7 degree latitude.
pub fn lat_to_cn(deg: f64) -> i32 {
    finite(deg).map_or(LAT_UNAVAILABLE, |d| {
        quantise(d, 1e-7, -900_000_000, 900_000_000) as i32
    })
}

/// Degrees → 1e-7 degree longitude. The element's range is -179.9999999°..=180°, so -180°
/// is sent as 180°, the same meridian.
pub fn lon_to_cn(deg: f64) -> i32 {
    finite(deg).map_or(LON_UNAVAILABLE, |d| {
        let v = quantise(d, 1e-7, -1_800_000_000, 1_800_000_000);
        if v == -1_800_000_000 {
            1_800_000_000
        } else {
            v as i32
        }
    })
}

pub fn lat_from_cn(v: i32) -> Option<f64> {
    (v != LAT_UNAVAILABLE).then(|| f64::from(v) * 1e-7)
}

pub fn lon_from_cn(v: i32) -> Option<f64> {
    (v != LON_UNAVAILABLE).then(|| f64::from(v) * 1e-7)
}

/// Metres above the ellipsoid → `Elevation` (0.1 m; -4096 unknown, saturating at -409.5 m
/// and 6143.9 m).
pub fn elevation_to_cn(m: Option<f64>) -> i32 {
    m.and_then(finite).map_or(ELEVATION_UNKNOWN, |m| {
        quantise(m, 0.1, -4095, 61_439) as i32
    })
}

pub fn elevation_from_cn(v: i32) -> Option<f64> {
    (v != ELEVATION_UNKNOWN).then(|| f64::from(v) * 0.1)
}

pub fn position3d(p: &GeoPoint) -> cn::Position3D {
    cn::Position3D::new(
        cn::Latitude(lat_to_cn(p.lat_deg)),
        cn::Longitude(lon_to_cn(p.lon_deg)),
        p.height_m
            .filter(|h| h.is_finite())
            .map(|h| cn::Elevation(elevation_to_cn(Some(h)))),
    )
}

/// `Position3D` → WGS84; unavailable latitude or longitude read as NaN (kept visible rather
/// than replaced by a plausible number).
pub fn geo_from_position3d(p: &cn::Position3D) -> GeoPoint {
    GeoPoint {
        lat_deg: lat_from_cn(p.lat.0).unwrap_or(f64::NAN),
        lon_deg: lon_from_cn(p.long.0).unwrap_or(f64::NAN),
        height_m: p.elevation.as_ref().and_then(|e| elevation_from_cn(e.0)),
    }
}

/// The horizontal offset of `p` from `reference` in the smallest `PositionOffsetLL` variant
/// that holds it (Position-LL-24B … -48B), or the absolute `Position-LLmD-64b` beyond
/// ±0.8388607°.
pub fn offset_ll(reference: &GeoPoint, p: &GeoPoint) -> cn::PositionOffsetLL {
    use cn::PositionOffsetLL as O;
    let (lat, lon) = (lat_to_cn(p.lat_deg), lon_to_cn(p.lon_deg));
    let (rlat, rlon) = (lat_to_cn(reference.lat_deg), lon_to_cn(reference.lon_deg));
    let unavailable =
        [lat, rlat].contains(&LAT_UNAVAILABLE) || [lon, rlon].contains(&LON_UNAVAILABLE);
    let dlat = i64::from(lat) - i64::from(rlat);
    // Across the antimeridian the short way round is the offset.
    let dlon = (i64::from(lon) - i64::from(rlon) + 1_800_000_000).rem_euclid(3_600_000_000)
        - 1_800_000_000;
    let m = dlat.abs().max(dlon.abs());
    if unavailable || m > 8_388_607 {
        return O::position_LatLon(cn::PositionLLmD64b::new(
            cn::Longitude(lon),
            cn::Latitude(lat),
        ));
    }
    // The ranges were checked just above, so the narrowing casts are exact.
    let (x, y) = (dlon as i32, dlat as i32);
    if m <= 2047 {
        O::position_LL1(cn::PositionLL24B::new(
            cn::OffsetLLB12(x as i16),
            cn::OffsetLLB12(y as i16),
        ))
    } else if m <= 8191 {
        O::position_LL2(cn::PositionLL28B::new(
            cn::OffsetLLB14(x as i16),
            cn::OffsetLLB14(y as i16),
        ))
    } else if m <= 32_767 {
        O::position_LL3(cn::PositionLL32B::new(
            cn::OffsetLLB16(x as i16),
            cn::OffsetLLB16(y as i16),
        ))
    } else if m <= 131_071 {
        O::position_LL4(cn::PositionLL36B::new(
            cn::OffsetLLB18(x),
            cn::OffsetLLB18(y),
        ))
    } else if m <= 2_097_151 {
        O::position_LL5(cn::PositionLL44B::new(
            cn::OffsetLLB22(x),
            cn::OffsetLLB22(y),
        ))
    } else {
        O::position_LL6(cn::PositionLL48B::new(
            cn::OffsetLLB24(x),
            cn::OffsetLLB24(y),
        ))
    }
}

/// The vertical offset of `height_m` from the reference height, in the smallest variant, or
/// the absolute elevation when the reference height is unknown or the offset too large.
pub fn offset_v(
    reference_height_m: Option<f64>,
    height_m: Option<f64>,
) -> Option<cn::VerticalOffset> {
    use cn::VerticalOffset as V;
    let h = height_m.filter(|h| h.is_finite())?;
    let Some(r) = reference_height_m.filter(|r| r.is_finite()) else {
        return Some(V::elevation(cn::Elevation(elevation_to_cn(Some(h)))));
    };
    let d = ((h - r) / 0.1).round();
    // The most negative value of each variant means "unavailable", so it is never used.
    Some(if d.abs() <= 63.0 {
        V::offset1(cn::VertOffsetB07(d as i8))
    } else if d.abs() <= 127.0 {
        V::offset2(cn::VertOffsetB08(d as i8))
    } else if d.abs() <= 255.0 {
        V::offset3(cn::VertOffsetB09(d as i16))
    } else if d.abs() <= 511.0 {
        V::offset4(cn::VertOffsetB10(d as i16))
    } else if d.abs() <= 1023.0 {
        V::offset5(cn::VertOffsetB11(d as i16))
    } else if d.abs() <= 2047.0 {
        V::offset6(cn::VertOffsetB12(d as i16))
    } else {
        V::elevation(cn::Elevation(elevation_to_cn(Some(h))))
    })
}

pub fn offset_llv(reference: &GeoPoint, p: &GeoPoint) -> cn::PositionOffsetLLV {
    cn::PositionOffsetLLV::new(
        offset_ll(reference, p),
        offset_v(reference.height_m, p.height_m),
    )
}

/// Applies a `PositionOffsetLLV` to its reference point.
pub fn geo_from_offset_llv(reference: &GeoPoint, o: &cn::PositionOffsetLLV) -> GeoPoint {
    use cn::PositionOffsetLL as O;
    let (rlat, rlon) = (lat_to_cn(reference.lat_deg), lon_to_cn(reference.lon_deg));
    let (dlon, dlat): (i64, i64) = match &o.offset_ll {
        O::position_LL1(p) => (p.lon.0.into(), p.lat.0.into()),
        O::position_LL2(p) => (p.lon.0.into(), p.lat.0.into()),
        O::position_LL3(p) => (p.lon.0.into(), p.lat.0.into()),
        O::position_LL4(p) => (p.lon.0.into(), p.lat.0.into()),
        O::position_LL5(p) => (p.lon.0.into(), p.lat.0.into()),
        O::position_LL6(p) => (p.lon.0.into(), p.lat.0.into()),
        O::position_LatLon(p) => {
            return GeoPoint {
                lat_deg: lat_from_cn(p.lat.0).unwrap_or(f64::NAN),
                lon_deg: lon_from_cn(p.lon.0).unwrap_or(f64::NAN),
                height_m: height_from_offset_v(reference.height_m, o.offset_v.as_ref()),
            }
        }
    };
    let lon = (i64::from(rlon) + dlon + 1_800_000_000).rem_euclid(3_600_000_000) - 1_800_000_000;
    GeoPoint {
        lat_deg: (i64::from(rlat) + dlat) as f64 * 1e-7,
        lon_deg: lon as f64 * 1e-7,
        height_m: height_from_offset_v(reference.height_m, o.offset_v.as_ref()),
    }
}

fn height_from_offset_v(
    reference_height_m: Option<f64>,
    v: Option<&cn::VerticalOffset>,
) -> Option<f64> {
    use cn::VerticalOffset as V;
    let (d, unavailable) = match v? {
        V::elevation(e) => return elevation_from_cn(e.0),
        V::offset1(x) => (i32::from(x.0), -64),
        V::offset2(x) => (i32::from(x.0), -128),
        V::offset3(x) => (i32::from(x.0), -256),
        V::offset4(x) => (i32::from(x.0), -512),
        V::offset5(x) => (i32::from(x.0), -1024),
        V::offset6(x) => (i32::from(x.0), -2048),
    };
    if d == unavailable {
        return None;
    }
    reference_height_m.map(|r| r + f64::from(d) * 0.1)
}

// --- motion -----------------------------------------------------------------------------

pub const SPEED_UNAVAILABLE: u16 = 8191;
pub const HEADING_UNAVAILABLE: u16 = 28_800;
pub const ACCEL_UNAVAILABLE: i16 = 2001;
pub const VERT_ACCEL_UNAVAILABLE: i8 = -127;
pub const STEERING_UNAVAILABLE: i8 = 127;
const G: f64 = 9.806_65;

/// m/s → `Speed` (0.02 m/s, 8191 unavailable, saturating at 8190 = 163.8 m/s).
pub fn speed_to_cn(mps: Option<f64>) -> u16 {
    mps.and_then(finite).map_or(SPEED_UNAVAILABLE, |v| {
        quantise(v.max(0.0), 0.02, 0, 8190) as u16
    })
}

pub fn speed_from_cn(v: u16) -> Option<f64> {
    (v != SPEED_UNAVAILABLE).then(|| f64::from(v) * 0.02)
}

/// Internal yaw (rad, counter-clockwise from east) → `Heading` (0.0125°, clockwise from north).
pub fn heading_to_cn(yaw_rad: Option<f64>) -> u16 {
    yaw_rad.and_then(finite).map_or(HEADING_UNAVAILABLE, |y| {
        let deg = crate::geo::heading_from_yaw(y).to_degrees();
        // 359.99375° and up round to 28800, which is 0°.
        (quantise(deg, 0.0125, 0, 28_800) % 28_800) as u16
    })
}

/// `Heading` → internal yaw (rad, counter-clockwise from east, in (-π, π]).
pub fn heading_from_cn(v: u16) -> Option<f64> {
    (v < HEADING_UNAVAILABLE)
        .then(|| crate::geo::yaw_from_heading((f64::from(v) * 0.0125).to_radians()))
}

/// m/s² → `Acceleration` (0.01 m/s², saturating at ±20 m/s², 2001 unavailable).
pub fn accel_to_cn(mps2: Option<f64>) -> i16 {
    mps2.and_then(finite)
        .map_or(ACCEL_UNAVAILABLE, |a| quantise(a, 0.01, -2000, 2000) as i16)
}

pub fn accel_from_cn(v: i16) -> Option<f64> {
    (v != ACCEL_UNAVAILABLE).then(|| f64::from(v) * 0.01)
}

/// m/s² → `VerticalAcceleration` (0.02 g; -126 is ≤ -2.52 g, 127 ≥ 2.54 g, -127 unavailable).
pub fn vert_accel_to_cn(mps2: Option<f64>) -> i8 {
    mps2.and_then(finite).map_or(VERT_ACCEL_UNAVAILABLE, |a| {
        quantise(a / G, 0.02, -126, 127) as i8
    })
}

pub fn vert_accel_from_cn(v: i8) -> Option<f64> {
    (v != VERT_ACCEL_UNAVAILABLE).then(|| f64::from(v) * 0.02 * G)
}

/// rad/s (counter-clockwise positive) → `YawRate` (0.01°/s, positive clockwise as in
/// SAE J2735, from which the CN set takes the element), saturating at ±327.67°/s.
pub fn yaw_rate_to_cn(radps: Option<f64>) -> i16 {
    // The element has no "unavailable" value: an unknown yaw rate is sent as 0.
    let r = radps.and_then(finite).unwrap_or(0.0);
    quantise(-r.to_degrees(), 0.01, -32_767, 32_767) as i16
}

pub fn yaw_rate_from_cn(v: i16) -> f64 {
    -(f64::from(v) * 0.01).to_radians()
}

/// rad (positive to the left, counter-clockwise) → `SteeringWheelAngle` (1.5°, positive
/// clockwise as in J2735; ±126 is ±189° or beyond, 127 unavailable).
pub fn steering_to_cn(rad: Option<f64>) -> i8 {
    rad.and_then(finite).map_or(STEERING_UNAVAILABLE, |r| {
        quantise(-r.to_degrees(), 1.5, -126, 126) as i8
    })
}

pub fn steering_from_cn(v: i8) -> Option<f64> {
    (v != STEERING_UNAVAILABLE).then(|| -(f64::from(v) * 1.5).to_radians())
}

// --- size, distance, time ---------------------------------------------------------------

/// m → `VehicleWidth` (cm, 0..=1023).
pub fn width_to_cn(m: f64) -> u16 {
    finite(m).map_or(0, |m| quantise(m, 0.01, 0, 1023) as u16)
}

/// m → `VehicleLength` (cm, 0..=4095).
pub fn length_to_cn(m: f64) -> u16 {
    finite(m).map_or(0, |m| quantise(m, 0.01, 0, 4095) as u16)
}

/// m → `VehicleHeight` (5 cm, 0..=127).
pub fn height_to_cn(m: f64) -> u8 {
    finite(m).map_or(0, |m| quantise(m, 0.05, 0, 127) as u8)
}

/// m → `LaneWidth` (cm, 0..=32767).
pub fn lane_width_to_cn(m: f64) -> u16 {
    finite(m).map_or(0, |m| quantise(m, 0.01, 0, 32_767) as u16)
}

/// m → `Radius` (0.1 m, 0..=65535).
pub fn radius_to_cn(m: f64) -> u16 {
    finite(m).map_or(0, |m| quantise(m, 0.1, 0, 65_535) as u16)
}

/// s → `TimeMark` (0.1 s; 36000 means "more than an hour", 36001 unknown).
pub fn time_mark_to_cn(s: Option<f64>) -> u16 {
    s.and_then(finite)
        .map_or(36_001, |s| quantise(s, 0.1, 0, 36_000) as u16)
}

pub fn time_mark_from_cn(v: u16) -> Option<f64> {
    (v != 36_001).then(|| f64::from(v) * 0.1)
}

/// ms of the minute → `DSecond`.
pub fn dsecond_from_secs(s: f64) -> u16 {
    finite(s).map_or(0, |s| quantise(s, 0.001, 0, 65_535) as u16)
}

/// `SemiMajorAxisAccuracy` and the minor one: 0.05 m, 254 is ≥ 12.7 m, 255 unavailable.
pub fn axis_accuracy_to_cn(m: Option<f64>) -> u8 {
    m.and_then(finite)
        .map_or(255, |m| quantise(m.max(0.0), 0.05, 0, 254) as u8)
}

pub fn axis_accuracy_from_cn(v: u8) -> Option<f64> {
    (v != 255).then(|| f64::from(v) * 0.05)
}

/// Orientation of the semi-major axis, rad clockwise from north → 360/65535° units, 65535
/// unavailable.
pub fn axis_orientation_to_cn(rad: Option<f64>) -> u16 {
    rad.and_then(finite).map_or(65_535, |r| {
        let deg = crate::geo::wrap_two_pi(r).to_degrees();
        (quantise(deg, 360.0 / 65_535.0, 0, 65_535) % 65_535) as u16
    })
}

pub fn axis_orientation_from_cn(v: u16) -> Option<f64> {
    (v != 65_535).then(|| (f64::from(v) * 360.0 / 65_535.0).to_radians())
}

// --- confidence classes -----------------------------------------------------------------

/// The smallest class bound that is at least `x`, as an index into `bounds` (sorted
/// descending) plus one; 0 ("unavailable") when `x` is unknown or beyond the first bound.
fn confidence_class(x: Option<f64>, bounds: &[f64]) -> usize {
    let Some(x) = x.and_then(finite).map(f64::abs) else {
        return 0;
    };
    match bounds.iter().rposition(|&b| b >= x) {
        Some(i) => i + 1,
        None => 0,
    }
}

const POSITION_BOUNDS_M: [f64; 15] = [
    500.0, 200.0, 100.0, 50.0, 20.0, 10.0, 5.0, 2.0, 1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01,
];
const ELEVATION_BOUNDS_M: [f64; 15] = POSITION_BOUNDS_M;
const SPEED_BOUNDS_MPS: [f64; 7] = [100.0, 10.0, 5.0, 1.0, 0.1, 0.05, 0.01];
const HEADING_BOUNDS_DEG: [f64; 7] = [10.0, 5.0, 1.0, 0.1, 0.05, 0.01, 0.0125];

/// Horizontal position accuracy (m) → `PositionConfidence`.
pub fn position_confidence(m: Option<f64>) -> cn::PositionConfidence {
    use cn::PositionConfidence as P;
    const ALL: [P; 16] = [
        P::unavailable,
        P::a500m,
        P::a200m,
        P::a100m,
        P::a50m,
        P::a20m,
        P::a10m,
        P::a5m,
        P::a2m,
        P::a1m,
        P::a50cm,
        P::a20cm,
        P::a10cm,
        P::a5cm,
        P::a2cm,
        P::a1cm,
    ];
    ALL[confidence_class(m, &POSITION_BOUNDS_M)]
}

pub fn position_confidence_m(c: cn::PositionConfidence) -> Option<f64> {
    (c as usize).checked_sub(1).map(|i| POSITION_BOUNDS_M[i])
}

/// Vertical accuracy (m) → `ElevationConfidence`.
pub fn elevation_confidence(m: Option<f64>) -> cn::ElevationConfidence {
    use cn::ElevationConfidence as E;
    const ALL: [E; 16] = [
        E::unavailable,
        E::elev_500_00,
        E::elev_200_00,
        E::elev_100_00,
        E::elev_050_00,
        E::elev_020_00,
        E::elev_010_00,
        E::elev_005_00,
        E::elev_002_00,
        E::elev_001_00,
        E::elev_000_50,
        E::elev_000_20,
        E::elev_000_10,
        E::elev_000_05,
        E::elev_000_02,
        E::elev_000_01,
    ];
    ALL[confidence_class(m, &ELEVATION_BOUNDS_M)]
}

pub fn elevation_confidence_m(c: cn::ElevationConfidence) -> Option<f64> {
    (c as usize).checked_sub(1).map(|i| ELEVATION_BOUNDS_M[i])
}

/// Speed accuracy (m/s) → `SpeedConfidence`.
pub fn speed_confidence(mps: Option<f64>) -> cn::SpeedConfidence {
    use cn::SpeedConfidence as S;
    const ALL: [S; 8] = [
        S::unavailable,
        S::prec100ms,
        S::prec10ms,
        S::prec5ms,
        S::prec1ms,
        S::prec0_1ms,
        S::prec0_05ms,
        S::prec0_01ms,
    ];
    ALL[confidence_class(mps, &SPEED_BOUNDS_MPS)]
}

pub fn speed_confidence_mps(c: cn::SpeedConfidence) -> Option<f64> {
    (c as usize).checked_sub(1).map(|i| SPEED_BOUNDS_MPS[i])
}

/// Heading accuracy (rad) → `HeadingConfidence`.
pub fn heading_confidence(rad: Option<f64>) -> cn::HeadingConfidence {
    use cn::HeadingConfidence as H;
    const ALL: [H; 8] = [
        H::unavailable,
        H::prec10deg,
        H::prec05deg,
        H::prec01deg,
        H::prec0_1deg,
        H::prec0_05deg,
        H::prec0_01deg,
        H::prec0_0125deg,
    ];
    ALL[confidence_class(rad.map(f64::to_degrees), &HEADING_BOUNDS_DEG)]
}

pub fn heading_confidence_rad(c: cn::HeadingConfidence) -> Option<f64> {
    (c as usize)
        .checked_sub(1)
        .map(|i| HEADING_BOUNDS_DEG[i].to_radians())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturation_and_unavailable() {
        assert_eq!(speed_to_cn(None), 8191);
        assert_eq!(speed_to_cn(Some(f64::NAN)), 8191);
        assert_eq!(speed_to_cn(Some(1000.0)), 8190);
        assert_eq!(speed_to_cn(Some(-1.0)), 0);
        assert_eq!(speed_to_cn(Some(13.89)), 695);
        assert_eq!(heading_to_cn(None), 28_800);
        assert_eq!(accel_to_cn(Some(-50.0)), -2000);
        assert_eq!(accel_to_cn(None), 2001);
        assert_eq!(vert_accel_to_cn(Some(-100.0)), -126);
        assert_eq!(vert_accel_to_cn(Some(100.0)), 127);
        assert_eq!(elevation_to_cn(Some(-1000.0)), -4095);
        assert_eq!(elevation_to_cn(None), -4096);
        assert_eq!(elevation_to_cn(Some(1e6)), 61_439);
        assert_eq!(lat_to_cn(f64::NAN), LAT_UNAVAILABLE);
        assert_eq!(lon_to_cn(-180.0), 1_800_000_000);
        assert_eq!(lon_to_cn(180.0), 1_800_000_000);
        assert_eq!(width_to_cn(20.0), 1023);
        assert_eq!(length_to_cn(4.5), 450);
        assert_eq!(height_to_cn(1.5), 30);
        assert_eq!(time_mark_to_cn(Some(5000.0)), 36_000);
        assert_eq!(time_mark_to_cn(None), 36_001);
        assert_eq!(axis_accuracy_to_cn(Some(100.0)), 254);
        assert_eq!(axis_accuracy_to_cn(None), 255);
        assert_eq!(steering_to_cn(Some(-10.0)), 126);
    }

    #[test]
    fn heading_element_quadrants() {
        use std::f64::consts::{FRAC_PI_2, PI};
        assert_eq!(heading_to_cn(Some(FRAC_PI_2)), 0); // north
        assert_eq!(heading_to_cn(Some(0.0)), 7200); // east
        assert_eq!(heading_to_cn(Some(PI)), 21_600); // west
        assert_eq!(heading_to_cn(Some(-FRAC_PI_2)), 14_400); // south
                                                             // Just west of north rounds up to 360°, which is sent as 0.
        assert_eq!(heading_to_cn(Some(FRAC_PI_2 + 1e-7)), 0);
        let y = heading_from_cn(21_600).unwrap_or(f64::NAN);
        assert!((y - PI).abs() < 1e-12);
        assert_eq!(heading_from_cn(28_800), None);
    }

    #[test]
    fn confidence_classes() {
        use cn::PositionConfidence as P;
        assert_eq!(position_confidence(Some(0.3)), P::a50cm);
        assert_eq!(position_confidence(Some(0.5)), P::a50cm);
        assert_eq!(position_confidence(Some(0.001)), P::a1cm);
        assert_eq!(position_confidence(Some(600.0)), P::unavailable);
        assert_eq!(position_confidence(None), P::unavailable);
        assert_eq!(position_confidence_m(P::a2m), Some(2.0));
        assert_eq!(speed_confidence(Some(0.3)), cn::SpeedConfidence::prec1ms);
        assert_eq!(
            heading_confidence(Some(2f64.to_radians())),
            cn::HeadingConfidence::prec05deg
        );
    }

    #[test]
    fn every_offset_variant_round_trips() {
        let r = GeoPoint::new(31.0, 121.0, Some(10.0));
        // One point per variant: offsets just inside each variant's range.
        let cases: [(f64, &str); 7] = [
            (0.000_204_7, "position-LL1"),
            (0.000_819_1, "position-LL2"),
            (0.003_276_7, "position-LL3"),
            (0.013_107_1, "position-LL4"),
            (0.209_715_1, "position-LL5"),
            (0.838_860_7, "position-LL6"),
            (0.9, "position-LatLon"),
        ];
        for (d, name) in cases {
            for (dlat, dlon) in [(d, 0.0), (0.0, -d), (-d, d)] {
                let p = GeoPoint::new(r.lat_deg + dlat, r.lon_deg + dlon, Some(12.3));
                let o = offset_llv(&r, &p);
                let got = match &o.offset_ll {
                    cn::PositionOffsetLL::position_LL1(_) => "position-LL1",
                    cn::PositionOffsetLL::position_LL2(_) => "position-LL2",
                    cn::PositionOffsetLL::position_LL3(_) => "position-LL3",
                    cn::PositionOffsetLL::position_LL4(_) => "position-LL4",
                    cn::PositionOffsetLL::position_LL5(_) => "position-LL5",
                    cn::PositionOffsetLL::position_LL6(_) => "position-LL6",
                    cn::PositionOffsetLL::position_LatLon(_) => "position-LatLon",
                };
                assert_eq!(got, name, "offset {dlat} {dlon}");
                let back = geo_from_offset_llv(&r, &o);
                assert!((back.lat_deg - p.lat_deg).abs() < 0.6e-7);
                assert!((back.lon_deg - p.lon_deg).abs() < 0.6e-7);
                assert!((back.height_m.unwrap_or(f64::NAN) - 12.3).abs() < 0.051);
            }
        }
    }

    #[test]
    fn vertical_offset_variants() {
        use cn::VerticalOffset as V;
        let pick = |d: f64| offset_v(Some(100.0), Some(100.0 + d));
        assert!(matches!(pick(6.3), Some(V::offset1(_))));
        assert!(matches!(pick(-6.4), Some(V::offset2(_))));
        assert!(matches!(pick(25.5), Some(V::offset3(_))));
        assert!(matches!(pick(51.1), Some(V::offset4(_))));
        assert!(matches!(pick(-102.3), Some(V::offset5(_))));
        assert!(matches!(pick(204.7), Some(V::offset6(_))));
        assert!(matches!(pick(300.0), Some(V::elevation(_))));
        assert!(matches!(offset_v(None, Some(3.0)), Some(V::elevation(_))));
        assert_eq!(offset_v(Some(1.0), None), None);
        // -64 in offset1 is "unavailable".
        assert_eq!(
            height_from_offset_v(Some(1.0), Some(&V::offset1(cn::VertOffsetB07(-64)))),
            None
        );
    }

    #[test]
    fn antimeridian_offset_is_short() {
        let r = GeoPoint::new(0.0, 179.9999, None);
        let p = GeoPoint::new(0.0, -179.9999, None);
        let o = offset_llv(&r, &p);
        assert!(matches!(o.offset_ll, cn::PositionOffsetLL::position_LL1(_)));
        let back = geo_from_offset_llv(&r, &o);
        assert!((back.lon_deg + 179.9999).abs() < 1e-7);
    }
}
