//! Basic Safety Message: a vehicle's own state. The roadside mostly receives these (and fuses
//! them as a self-reporting sensor); building them serves simulation and tests.
//!
//! The SI view covers the vehicle state and the event and light flags; path history and path
//! prediction stay in the raw message (`roadsight decode` prints them).

use super::common::{
    fixed_bits, mask_of_fixed, mask_of_var, msg_count, var_bits, Accel4Way, MotionAccuracy,
    PositionAccuracy, Size, Transmission, VehicleClass,
};
use super::units as u;
use crate::geo::GeoPoint;
use roadsight_asn1::cn;
use roadsight_asn1::rasn::prelude::OctetString;
use serde::{Deserialize, Serialize};

/// GNSS error ellipse at one standard deviation (`PositionalAccuracy`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ErrorEllipse {
    pub semi_major_m: Option<f64>,
    pub semi_minor_m: Option<f64>,
    /// Orientation of the semi-major axis, clockwise from true north.
    pub orientation_rad: Option<f64>,
}

/// Brake state; `None` fields are left out of the message.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Brakes {
    /// Brake pedal pressed (`brakePadel`, as the standard spells it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pedal_on: Option<bool>,
    /// `BrakeAppliedStatus` bits: 0 unavailable, 1 left front, 2 left rear, 3 right front,
    /// 4 right rear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wheel_brakes: Option<u8>,
}

/// A Basic Safety Message in SI units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bsm {
    pub msg_cnt: u32,
    pub vehicle_id: [u8; 8],
    pub time_of_minute_s: f64,
    pub position: GeoPoint,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_ellipse: Option<ErrorEllipse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_accuracy: Option<PositionAccuracy>,
    pub transmission: Transmission,
    pub speed_mps: Option<f64>,
    pub yaw_rad: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steering_rad: Option<Option<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motion_accuracy: Option<MotionAccuracy>,
    pub accel: Accel4Way,
    pub brakes: Brakes,
    pub size: Size,
    pub vehicle_class: VehicleClass,
    /// `VehicleEventFlags` bits (hazard lights, hard braking, …), when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_flags: Option<u16>,
    /// `ExteriorLights` bits, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exterior_lights: Option<u16>,
}

impl Bsm {
    /// A passenger car's BSM with only the mandatory fields known: where and when, nothing
    /// about its motion or accuracy. For simulation and tests to fill in.
    pub fn minimal(vehicle_id: [u8; 8], position: GeoPoint, time_of_minute_s: f64) -> Self {
        Self {
            msg_cnt: 0,
            vehicle_id,
            time_of_minute_s,
            position,
            error_ellipse: None,
            position_accuracy: None,
            transmission: Transmission::Unavailable,
            speed_mps: None,
            yaw_rad: None,
            steering_rad: None,
            motion_accuracy: None,
            accel: Accel4Way::default(),
            brakes: Brakes::default(),
            size: Size {
                width_m: 1.8,
                length_m: 4.6,
                height_m: None,
            },
            vehicle_class: VehicleClass {
                basic: VehicleClass::PASSENGER_CAR,
                fuel: None,
            },
            event_flags: None,
            exterior_lights: None,
        }
    }

    pub fn to_cn(&self) -> cn::BasicSafetyMessage {
        let brakes = cn::BrakeSystemStatus::new(
            self.brakes.pedal_on.map(|on| {
                if on {
                    cn::BrakePedalStatus::on
                } else {
                    cn::BrakePedalStatus::off
                }
            }),
            self.brakes
                .wheel_brakes
                .map(|m| cn::BrakeAppliedStatus(fixed_bits::<5>(u32::from(m)))),
            None,
            None,
            None,
            None,
            None,
        );
        let safety = (self.event_flags.is_some() || self.exterior_lights.is_some()).then(|| {
            cn::VehicleSafetyExtensions::new(
                self.event_flags
                    .map(|m| cn::VehicleEventFlags(var_bits(u32::from(m), 13))),
                None,
                None,
                self.exterior_lights
                    .map(|m| cn::ExteriorLights(var_bits(u32::from(m), 9))),
            )
        });
        cn::BasicSafetyMessage::new(
            msg_count(self.msg_cnt),
            OctetString::from_slice(&self.vehicle_id),
            cn::DSecond(u::dsecond_from_secs(self.time_of_minute_s)),
            None,
            u::position3d(&self.position),
            self.error_ellipse.map(|e| {
                cn::PositionalAccuracy::new(
                    cn::SemiMajorAxisAccuracy(u::axis_accuracy_to_cn(e.semi_major_m)),
                    cn::SemiMinorAxisAccuracy(u::axis_accuracy_to_cn(e.semi_minor_m)),
                    cn::SemiMajorAxisOrientation(u::axis_orientation_to_cn(e.orientation_rad)),
                )
            }),
            self.position_accuracy.as_ref().map(PositionAccuracy::to_cn),
            self.transmission.to_cn(),
            cn::Speed(u::speed_to_cn(self.speed_mps)),
            cn::Heading(u::heading_to_cn(self.yaw_rad)),
            self.steering_rad
                .map(|s| cn::SteeringWheelAngle(u::steering_to_cn(s))),
            self.motion_accuracy.as_ref().map(MotionAccuracy::to_cn),
            self.accel.to_cn(),
            brakes,
            self.size.to_cn(),
            self.vehicle_class.to_cn(),
            safety,
            None,
        )
    }

    pub fn from_cn(m: &cn::BasicSafetyMessage) -> Self {
        let safety = m.safety_ext.as_ref();
        Self {
            msg_cnt: u32::from(m.msg_cnt.0),
            vehicle_id: <[u8; 8]>::try_from(m.id.as_ref()).unwrap_or_default(),
            time_of_minute_s: f64::from(m.sec_mark.0) * 1e-3,
            position: u::geo_from_position3d(&m.pos),
            error_ellipse: m.pos_accuracy.as_ref().map(|a| ErrorEllipse {
                semi_major_m: u::axis_accuracy_from_cn(a.semi_major.0),
                semi_minor_m: u::axis_accuracy_from_cn(a.semi_minor.0),
                orientation_rad: u::axis_orientation_from_cn(a.orientation.0),
            }),
            position_accuracy: m.pos_confidence.as_ref().map(PositionAccuracy::from_cn),
            transmission: Transmission::from_cn(m.transmission),
            speed_mps: u::speed_from_cn(m.speed.0),
            yaw_rad: u::heading_from_cn(m.heading.0),
            steering_rad: m.angle.as_ref().map(|a| u::steering_from_cn(a.0)),
            motion_accuracy: m.motion_cfd.as_ref().map(MotionAccuracy::from_cn),
            accel: Accel4Way::from_cn(&m.accel_set),
            brakes: Brakes {
                pedal_on: m.brakes.brake_padel.and_then(|p| match p {
                    cn::BrakePedalStatus::on => Some(true),
                    cn::BrakePedalStatus::off => Some(false),
                    cn::BrakePedalStatus::unavailable => None,
                }),
                wheel_brakes: m
                    .brakes
                    .wheel_brakes
                    .as_ref()
                    .map(|w| mask_of_fixed(&w.0) as u8),
            },
            size: Size::from_cn(&m.size),
            vehicle_class: VehicleClass::from_cn(&m.vehicle_class),
            event_flags: safety
                .and_then(|s| s.events.as_ref())
                .map(|e| mask_of_var(&e.0) as u16),
            exterior_lights: safety
                .and_then(|s| s.lights.as_ref())
                .map(|l| mask_of_var(&l.0) as u16),
        }
    }
}
