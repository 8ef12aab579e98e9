//! Vehicles as sensors of themselves: the CN BSMs an RSU forwards, each a detection of its
//! sender with the accuracy the sender states.
//!
//! A datagram is either the UPER `MessageFrame` itself or the RSU 4.1 immediate-forward
//! text envelope with the frame in its `Payload=` line (some RSUs forward what they hear
//! that way). Anything else, or a frame that is not a BSM, is refused with a reason.
//!
//! - Position: WGS84 into the site frame ([`SiteFrame::to_enu`]).
//! - Covariance: the GNSS error ellipse (one standard deviation, orientation clockwise from
//!   north) when sent; else the position confidence class, read as a 95 % bound
//!   (σ = bound / 2); else [`DEFAULT_SD_M`].
//! - Time: the BSM's `secMark` (milliseconds within the minute) placed in the minute nearest
//!   the arrival; when unavailable, the arrival minus the sensor's latency.

use crate::fusion::{Class, Detection, Position, PositionCov};
use crate::geo::{yaw_from_heading, SiteFrame};
use crate::v2x::cn::bsm::Bsm;
use crate::v2x::cn::common::VehicleClass;
use crate::v2x::cn::{decode_frame, MessageFrame};
use crate::v2x::ifm;

/// A GNSS receiver's typical standard deviation when the BSM states no accuracy, metres.
pub const DEFAULT_SD_M: f64 = 3.0;

/// A datagram that is not a readable BSM.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BsmInputError {
    #[error("immediate-forward envelope: {0}")]
    Envelope(#[from] ifm::IfmError),
    #[error("UPER MessageFrame: {0}")]
    Uper(String),
    #[error("a {0} frame, not a BSM")]
    NotBsm(&'static str),
    #[error("{field}: {reason}")]
    Field { field: &'static str, reason: String },
}

/// Reads one forwarded datagram as a BSM.
pub fn decode(bytes: &[u8]) -> Result<Bsm, BsmInputError> {
    let payload;
    let uper = if ifm::looks_like(bytes) {
        payload = ifm::decode(bytes)?.payload;
        &payload[..]
    } else {
        bytes
    };
    let frame = decode_frame(uper).map_err(|e| BsmInputError::Uper(e.to_string()))?;
    match &frame {
        MessageFrame::bsmFrame(m) => Ok(Bsm::from_cn(m)),
        other => Err(BsmInputError::NotBsm(crate::v2x::cn::frame_kind(other))),
    }
}

/// The capture time (seconds after the epoch) of a BSM that arrived at `arrival_s`: its
/// `secMark` in the minute nearest the arrival, or `None` when it states no time.
pub fn capture_time(bsm: &Bsm, arrival_s: f64, epoch_unix_s: f64) -> Option<f64> {
    let mark = bsm.time_of_minute_s;
    // 60.000 s and above: leap second or unavailable (65.535).
    if !(0.0..60.0).contains(&mark) {
        return None;
    }
    let arrival_unix = epoch_unix_s + arrival_s;
    let minute = (arrival_unix / 60.0).floor() * 60.0;
    let mut t = minute + mark;
    if t - arrival_unix > 30.0 {
        t -= 60.0;
    } else if arrival_unix - t > 30.0 {
        t += 60.0;
    }
    Some(t - epoch_unix_s)
}

/// The class a BSM's `BasicVehicleClass` (SAE J2735 / CN codes) stands for.
pub fn class_of(basic: u8) -> Class {
    match basic {
        20..=39 => Class::Truck,
        40..=49 => Class::Motorcycle,
        50..=59 => Class::Bus,
        VehicleClass::PEDESTRIAN => Class::Pedestrian,
        VehicleClass::BICYCLE => Class::Bicycle,
        _ => Class::Car,
    }
}

/// The position covariance a BSM states, in the site frame (east, north), m².
pub fn covariance(bsm: &Bsm) -> PositionCov {
    if let Some(e) = bsm.error_ellipse {
        if let (Some(a), Some(b)) = (e.semi_major_m, e.semi_minor_m) {
            // Zero means "better than the unit": keep the matrix positive-definite.
            let (a, b) = (a.max(0.05), b.max(0.05));
            let th = e.orientation_rad.unwrap_or(0.0);
            // Semi-major axis direction, clockwise from north, as (east, north).
            let (ue, un) = (th.sin(), th.cos());
            let (ve, vn) = (un, -ue);
            let (a2, b2) = (a * a, b * b);
            return PositionCov::new(
                a2 * ue * ue + b2 * ve * ve,
                a2 * ue * un + b2 * ve * vn,
                a2 * ue * un + b2 * ve * vn,
                a2 * un * un + b2 * vn * vn,
            );
        }
    }
    let sd = bsm
        .position_accuracy
        .and_then(|p| p.horizontal_m)
        .map_or(DEFAULT_SD_M, |bound| (bound / 2.0).max(0.05));
    PositionCov::new(sd * sd, 0.0, 0.0, sd * sd)
}

/// The detection of a BSM's sender at `t` (site clock), or the field at fault.
pub fn detection(
    bsm: &Bsm,
    site: &SiteFrame,
    sensor: u16,
    t: f64,
) -> Result<Detection, (&'static str, String)> {
    let p = bsm.position;
    if !p.is_valid() {
        let reason = format!("({}, {}) is not a WGS84 position", p.lat_deg, p.lon_deg);
        return Err(("pos", reason));
    }
    let enu = site.to_enu(p);
    let size = |v: f64| (v.is_finite() && v > 0.0).then_some(v);
    Ok(Detection {
        t,
        sensor,
        pos: Position::new(enu.east_m, enu.north_m),
        cov: covariance(bsm),
        class: class_of(bsm.vehicle_class.basic),
        length_m: size(bsm.size.length_m),
        width_m: size(bsm.size.width_m),
        class_confidence: None,
        yaw_rad: bsm.yaw_rad.filter(|h| h.is_finite()).map(yaw_from_heading),
        radial: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v2x::cn::bsm::ErrorEllipse;

    #[test]
    fn ellipse_along_east_is_wide_in_east() {
        let mut bsm = Bsm::minimal(
            *b"TESTCAR1",
            crate::geo::GeoPoint::new(30.0, 120.0, None),
            0.0,
        );
        bsm.error_ellipse = Some(ErrorEllipse {
            semi_major_m: Some(2.0),
            semi_minor_m: Some(0.5),
            orientation_rad: Some(std::f64::consts::FRAC_PI_2),
        });
        let c = covariance(&bsm);
        assert!((c[(0, 0)] - 4.0).abs() < 1e-9, "{c}");
        assert!((c[(1, 1)] - 0.25).abs() < 1e-9, "{c}");
        assert!(c[(0, 1)].abs() < 1e-9, "{c}");
    }

    #[test]
    fn sec_mark_lands_in_the_nearest_minute() {
        let mut bsm = Bsm::minimal(
            *b"TESTCAR1",
            crate::geo::GeoPoint::new(30.0, 120.0, None),
            0.0,
        );
        // Arrival at 12:00:00.200 (epoch 0 = 12:00:00); sent at second 59.9 of the minute
        // before.
        let epoch = 1_800_000_000.0 - 1_800_000_000.0 % 60.0;
        bsm.time_of_minute_s = 59.9;
        let t = capture_time(&bsm, 0.2, epoch).unwrap();
        assert!((t + 0.1).abs() < 1e-6, "{t}");
        bsm.time_of_minute_s = 65.535;
        assert_eq!(capture_time(&bsm, 0.2, epoch), None);
    }
}
