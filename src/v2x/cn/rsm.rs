//! Roadside Safety Message: the road users the roadside sees, relative to a reference point.

use super::common::{
    msg_count, Accel4Way, MotionAccuracy, PositionAccuracy, Size, Transmission, VehicleClass,
};
use super::units as u;
use crate::geo::GeoPoint;
use crate::v2x::BuildError;
use roadsight_asn1::cn;
use roadsight_asn1::rasn::prelude::OctetString;
use serde::{Deserialize, Serialize};

/// At most this many participants fit in one RSM (`ParticipantList SIZE(1..16)`).
pub const MAX_PARTICIPANTS: usize = 16;

/// `ParticipantType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantKind {
    Unknown,
    Motor,
    NonMotor,
    Pedestrian,
    Rsu,
}

/// `SourceType`: how the roadside knows of the participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Unknown,
    SelfInfo,
    V2x,
    Video,
    Radar,
    Loop,
    Lidar,
    Fused,
}

impl Source {
    fn to_cn(self) -> cn::SourceType {
        use cn::SourceType as S;
        match self {
            Self::Unknown => S::unknown,
            Self::SelfInfo => S::selfinfo,
            Self::V2x => S::v2x,
            Self::Video => S::video,
            Self::Radar => S::microwaveRadar,
            Self::Loop => S::R_loop,
            Self::Lidar => S::lidar,
            Self::Fused => S::integrated,
        }
    }

    fn from_cn(s: cn::SourceType) -> Self {
        use cn::SourceType as S;
        match s {
            S::selfinfo => Self::SelfInfo,
            S::v2x => Self::V2x,
            S::video => Self::Video,
            S::microwaveRadar => Self::Radar,
            S::R_loop => Self::Loop,
            S::lidar => Self::Lidar,
            S::integrated => Self::Fused,
            _ => Self::Unknown,
        }
    }
}

impl ParticipantKind {
    fn to_cn(self) -> cn::ParticipantType {
        use cn::ParticipantType as P;
        match self {
            Self::Unknown => P::unknown,
            Self::Motor => P::motor,
            Self::NonMotor => P::non_motor,
            Self::Pedestrian => P::pedestrian,
            Self::Rsu => P::rsu,
        }
    }

    fn from_cn(p: cn::ParticipantType) -> Self {
        use cn::ParticipantType as P;
        match p {
            P::motor => Self::Motor,
            P::non_motor => Self::NonMotor,
            P::pedestrian => Self::Pedestrian,
            P::rsu => Self::Rsu,
            _ => Self::Unknown,
        }
    }
}

/// One road user in an RSM, in SI units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Participant {
    pub kind: ParticipantKind,
    /// Temporary ID given by the roadside (0 is the RSU itself).
    pub ptc_id: u16,
    pub source: Source,
    /// The vehicle's own temporary ID, when known from its BSM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle_id: Option<[u8; 8]>,
    /// Seconds within the UTC minute at which the state was measured (`secMark`).
    pub time_of_minute_s: f64,
    pub position: GeoPoint,
    pub position_accuracy: PositionAccuracy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transmission: Option<Transmission>,
    pub speed_mps: Option<f64>,
    /// Direction of travel, counter-clockwise from east.
    pub yaw_rad: Option<f64>,
    /// `None` leaves the optional `angle` out; `Some(None)` sends "unavailable".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steering_rad: Option<Option<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motion_accuracy: Option<MotionAccuracy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accel: Option<Accel4Way>,
    pub size: Size,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle_class: Option<VehicleClass>,
}

impl Participant {
    fn to_cn(&self, reference: &GeoPoint) -> cn::ParticipantData {
        cn::ParticipantData::new(
            self.kind.to_cn(),
            self.ptc_id,
            self.source.to_cn(),
            self.vehicle_id.map(|id| OctetString::from_slice(&id)),
            cn::DSecond(u::dsecond_from_secs(self.time_of_minute_s)),
            u::offset_llv(reference, &self.position),
            self.position_accuracy.to_cn(),
            self.transmission.map(Transmission::to_cn),
            cn::Speed(u::speed_to_cn(self.speed_mps)),
            cn::Heading(u::heading_to_cn(self.yaw_rad)),
            self.steering_rad
                .map(|s| cn::SteeringWheelAngle(u::steering_to_cn(s))),
            self.motion_accuracy.as_ref().map(MotionAccuracy::to_cn),
            self.accel.as_ref().map(Accel4Way::to_cn),
            self.size.to_cn(),
            self.vehicle_class.as_ref().map(VehicleClass::to_cn),
        )
    }

    fn from_cn(p: &cn::ParticipantData, reference: &GeoPoint) -> Self {
        Self {
            kind: ParticipantKind::from_cn(p.ptc_type),
            ptc_id: p.ptc_id,
            source: Source::from_cn(p.source),
            vehicle_id: p
                .id
                .as_ref()
                .and_then(|id| <[u8; 8]>::try_from(id.as_ref()).ok()),
            time_of_minute_s: f64::from(p.sec_mark.0) * 1e-3,
            position: u::geo_from_offset_llv(reference, &p.pos),
            position_accuracy: PositionAccuracy::from_cn(&p.pos_confidence),
            transmission: p.transmission.map(Transmission::from_cn),
            speed_mps: u::speed_from_cn(p.speed.0),
            yaw_rad: u::heading_from_cn(p.heading.0),
            steering_rad: p.angle.as_ref().map(|a| u::steering_from_cn(a.0)),
            motion_accuracy: p.motion_cfd.as_ref().map(MotionAccuracy::from_cn),
            accel: p.accel_set.as_ref().map(Accel4Way::from_cn),
            size: Size::from_cn(&p.size),
            vehicle_class: p.vehicle_class.as_ref().map(VehicleClass::from_cn),
        }
    }
}

/// A Roadside Safety Message in SI units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rsm {
    pub msg_cnt: u32,
    pub rsu_id: [u8; 8],
    pub ref_pos: GeoPoint,
    pub participants: Vec<Participant>,
}

impl Rsm {
    /// One RSM; fails if there are no participants or more than 16.
    pub fn to_cn(&self) -> Result<cn::RoadsideSafetyMessage, BuildError> {
        let n = self.participants.len();
        if n == 0 || n > MAX_PARTICIPANTS {
            return Err(BuildError::Count {
                what: "RSM participants",
                min: 1,
                max: MAX_PARTICIPANTS,
                got: n,
            });
        }
        Ok(cn::RoadsideSafetyMessage::new(
            msg_count(self.msg_cnt),
            OctetString::from_slice(&self.rsu_id),
            u::position3d(&self.ref_pos),
            cn::ParticipantList(
                self.participants
                    .iter()
                    .map(|p| p.to_cn(&self.ref_pos))
                    .collect(),
            ),
        ))
    }

    /// The participants split into RSMs of at most 16, with consecutive message counts
    /// starting at `msg_cnt`; none when there is nobody to report.
    pub fn split(&self) -> Vec<Rsm> {
        self.participants
            .chunks(MAX_PARTICIPANTS)
            .enumerate()
            .map(|(i, chunk)| Rsm {
                msg_cnt: self.msg_cnt.wrapping_add(i as u32),
                rsu_id: self.rsu_id,
                ref_pos: self.ref_pos,
                participants: chunk.to_vec(),
            })
            .collect()
    }

    /// [`Rsm::split`], built into frames.
    pub fn to_frames(&self) -> Result<Vec<cn::MessageFrame>, BuildError> {
        self.split()
            .iter()
            .map(|m| m.to_cn().map(cn::MessageFrame::rsmFrame))
            .collect()
    }

    pub fn from_cn(m: &cn::RoadsideSafetyMessage) -> Self {
        let ref_pos = u::geo_from_position3d(&m.ref_pos);
        Self {
            msg_cnt: u32::from(m.msg_cnt.0),
            rsu_id: <[u8; 8]>::try_from(m.id.as_ref()).unwrap_or_default(),
            ref_pos,
            participants: m
                .participants
                .0
                .iter()
                .map(|p| Participant::from_cn(p, &ref_pos))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_sixteen_participants_make_several_messages() {
        let r = GeoPoint::new(31.0, 121.0, None);
        let p = |i: u16| Participant {
            kind: ParticipantKind::Motor,
            ptc_id: i,
            source: Source::Fused,
            vehicle_id: None,
            time_of_minute_s: 1.0,
            position: r,
            position_accuracy: PositionAccuracy::default(),
            transmission: None,
            speed_mps: Some(1.0),
            yaw_rad: Some(0.0),
            steering_rad: None,
            motion_accuracy: None,
            accel: None,
            size: Size {
                width_m: 1.8,
                length_m: 4.6,
                height_m: None,
            },
            vehicle_class: None,
        };
        let rsm = |n: u16| Rsm {
            msg_cnt: 126,
            rsu_id: [1; 8],
            ref_pos: r,
            participants: (0..n).map(p).collect(),
        };
        assert!(rsm(0).to_frames().is_ok_and(|f| f.is_empty()));
        assert_eq!(rsm(16).split().len(), 1);
        let parts = rsm(33).split();
        assert_eq!(
            parts
                .iter()
                .map(|m| m.participants.len())
                .collect::<Vec<_>>(),
            [16, 16, 1]
        );
        assert_eq!(
            parts
                .iter()
                .map(|m| m.to_cn().map(|c| c.msg_cnt.0).ok())
                .collect::<Vec<_>>(),
            [Some(126), Some(127), Some(0)]
        );
        assert_eq!(parts[2].participants[0].ptc_id, 32);
        assert!(matches!(
            rsm(17).to_cn(),
            Err(BuildError::Count { got: 17, .. })
        ));
        assert_eq!(rsm(33).to_frames().map(|f| f.len()).ok(), Some(3));
    }
}
