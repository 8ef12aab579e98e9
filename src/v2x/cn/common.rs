//! Data frames shared by several CN messages, in SI units, with their conversions.

use super::units as u;
use roadsight_asn1::cn;
use roadsight_asn1::rasn::prelude::{BitString, FixedBitString};
use serde::{Deserialize, Serialize};

/// `MsgCount` wraps at 128.
pub fn msg_count(n: u32) -> cn::MsgCount {
    cn::MsgCount((n % 128) as u8)
}

/// Named bits of a fixed-size BIT STRING as a mask: bit `i` of the mask is ASN.1 bit `i`.
pub fn fixed_bits<const N: usize>(mask: u32) -> FixedBitString<N> {
    let mut bits = FixedBitString::<N>::ZERO;
    for i in 0..N.min(32) {
        bits.set(i, mask >> i & 1 == 1);
    }
    bits
}

pub fn mask_of_fixed<const N: usize>(bits: &FixedBitString<N>) -> u32 {
    (0..N.min(32))
        .filter(|&i| bits[i])
        .fold(0, |m, i| m | 1 << i)
}

/// A variable-size BIT STRING of `len` bits from a mask.
pub fn var_bits(mask: u32, len: usize) -> BitString {
    let mut bits = BitString::repeat(false, len);
    for i in 0..len.min(32) {
        bits.set(i, mask >> i & 1 == 1);
    }
    bits
}

pub fn mask_of_var(bits: &BitString) -> u32 {
    bits.iter()
        .take(32)
        .enumerate()
        .filter(|(_, b)| **b)
        .fold(0, |m, (i, _)| m | 1 << i)
}

/// Vehicle or road-user outline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Size {
    pub width_m: f64,
    pub length_m: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_m: Option<f64>,
}

impl Size {
    pub fn to_cn(&self) -> cn::VehicleSize {
        cn::VehicleSize::new(
            cn::VehicleWidth(u::width_to_cn(self.width_m)),
            cn::VehicleLength(u::length_to_cn(self.length_m)),
            self.height_m.map(|h| cn::VehicleHeight(u::height_to_cn(h))),
        )
    }

    pub fn from_cn(s: &cn::VehicleSize) -> Self {
        Self {
            width_m: f64::from(s.width.0) * 0.01,
            length_m: f64::from(s.length.0) * 0.01,
            height_m: s.height.as_ref().map(|h| f64::from(h.0) * 0.05),
        }
    }
}

/// Accelerations along the vehicle's axes and its yaw rate (counter-clockwise positive).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Accel4Way {
    pub long_mps2: Option<f64>,
    pub lat_mps2: Option<f64>,
    pub vert_mps2: Option<f64>,
    pub yaw_rate_radps: f64,
}

impl Accel4Way {
    pub fn to_cn(&self) -> cn::AccelerationSet4Way {
        cn::AccelerationSet4Way::new(
            cn::Acceleration(u::accel_to_cn(self.long_mps2)),
            cn::Acceleration(u::accel_to_cn(self.lat_mps2)),
            cn::VerticalAcceleration(u::vert_accel_to_cn(self.vert_mps2)),
            cn::YawRate(u::yaw_rate_to_cn(Some(self.yaw_rate_radps))),
        )
    }

    pub fn from_cn(a: &cn::AccelerationSet4Way) -> Self {
        Self {
            long_mps2: u::accel_from_cn(a.long.0),
            lat_mps2: u::accel_from_cn(a.lat.0),
            vert_mps2: u::vert_accel_from_cn(a.vert.0),
            yaw_rate_radps: u::yaw_rate_from_cn(a.yaw.0),
        }
    }
}

/// Accuracy of position and elevation (m); `None` is "unavailable".
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PositionAccuracy {
    pub horizontal_m: Option<f64>,
    /// `None` leaves the optional elevation confidence out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertical_m: Option<f64>,
}

impl PositionAccuracy {
    pub fn to_cn(&self) -> cn::PositionConfidenceSet {
        cn::PositionConfidenceSet::new(
            u::position_confidence(self.horizontal_m),
            // An optional element is left out rather than sent as "unavailable".
            Some(u::elevation_confidence(self.vertical_m))
                .filter(|c| *c != cn::ElevationConfidence::unavailable),
        )
    }

    pub fn from_cn(c: &cn::PositionConfidenceSet) -> Self {
        Self {
            horizontal_m: u::position_confidence_m(c.pos),
            vertical_m: c.elevation.and_then(u::elevation_confidence_m),
        }
    }
}

/// Accuracy of speed, heading and steering angle.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct MotionAccuracy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_mps: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading_rad: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steering_rad: Option<f64>,
}

impl MotionAccuracy {
    pub fn to_cn(&self) -> cn::MotionConfidenceSet {
        use cn::SteeringWheelAngleConfidence as S;
        // Optional elements are left out rather than sent as "unavailable".
        cn::MotionConfidenceSet::new(
            Some(u::speed_confidence(self.speed_mps))
                .filter(|c| *c != cn::SpeedConfidence::unavailable),
            Some(u::heading_confidence(self.heading_rad))
                .filter(|c| *c != cn::HeadingConfidence::unavailable),
            self.steering_rad.and_then(|r| match r.abs().to_degrees() {
                d if !d.is_finite() || d > 2.0 => None,
                d if d > 1.0 => Some(S::prec2deg),
                d if d > 0.02 => Some(S::prec1deg),
                _ => Some(S::prec0_02deg),
            }),
        )
    }

    pub fn from_cn(c: &cn::MotionConfidenceSet) -> Self {
        use cn::SteeringWheelAngleConfidence as S;
        Self {
            speed_mps: c.speed_cfd.and_then(u::speed_confidence_mps),
            heading_rad: c.heading_cfd.and_then(u::heading_confidence_rad),
            steering_rad: c.steer_cfd.and_then(|s| match s {
                S::unavailable => None,
                S::prec2deg => Some(2f64.to_radians()),
                S::prec1deg => Some(1f64.to_radians()),
                S::prec0_02deg => Some(0.02f64.to_radians()),
            }),
        }
    }
}

/// `TransmissionState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transmission {
    Neutral,
    Park,
    Forward,
    Reverse,
    Unavailable,
}

impl Transmission {
    pub fn to_cn(self) -> cn::TransmissionState {
        use cn::TransmissionState as T;
        match self {
            Self::Neutral => T::neutral,
            Self::Park => T::park,
            Self::Forward => T::forwardGears,
            Self::Reverse => T::reverseGears,
            Self::Unavailable => T::unavailable,
        }
    }

    pub fn from_cn(t: cn::TransmissionState) -> Self {
        use cn::TransmissionState as T;
        match t {
            T::neutral => Self::Neutral,
            T::park => Self::Park,
            T::forwardGears => Self::Forward,
            T::reverseGears => Self::Reverse,
            T::reserved1 | T::reserved2 | T::reserved3 | T::unavailable => Self::Unavailable,
        }
    }
}

/// `VehicleClassification`: the `BasicVehicleClass` code and optional `FuelType` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VehicleClass {
    pub basic: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u8>,
}

impl VehicleClass {
    pub const PASSENGER_CAR: u8 = 10;
    pub const TRUCK: u8 = 25;
    pub const BUS: u8 = 50;
    pub const MOTORCYCLE: u8 = 40;
    pub const PEDESTRIAN: u8 = 82;
    pub const BICYCLE: u8 = 85;

    pub fn to_cn(&self) -> cn::VehicleClassification {
        cn::VehicleClassification::new(
            cn::BasicVehicleClass(self.basic),
            self.fuel.map(|f| cn::FuelType(f.min(15))),
        )
    }

    pub fn from_cn(c: &cn::VehicleClassification) -> Self {
        Self {
            basic: c.classification.0,
            fuel: c.fuel_type.as_ref().map(|f| f.0),
        }
    }
}

/// `NodeReferenceID`: an intersection or road node, unique within its region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NodeRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<u16>,
    pub id: u16,
}

impl NodeRef {
    pub fn to_cn(&self) -> cn::NodeReferenceID {
        cn::NodeReferenceID::new(self.region.map(cn::RoadRegulatorID), cn::NodeID(self.id))
    }

    pub fn from_cn(n: &cn::NodeReferenceID) -> Self {
        Self {
            region: n.region.as_ref().map(|r| r.0),
            id: n.id.0,
        }
    }
}
