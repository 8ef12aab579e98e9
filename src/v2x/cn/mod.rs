//! The Chinese message set, YD/T 3709-2020 (T/CSAE 53-2020): BSM, MAP, RSM, SPAT, RSI.
//!
//! One file per message holds its SI view and the conversions both ways; `units` holds the
//! per-element conversions with the standard's saturation and "unavailable" values.

pub mod bsm;
pub mod common;
pub mod compose;
pub mod map;
pub mod rsi;
pub mod rsm;
pub mod spat;
pub mod units;

pub use roadsight_asn1::cn::MessageFrame;

use super::{BuildError, DecodeFailure};
use roadsight_asn1::cn;
use serde::Serialize;

/// A CN message in SI units: what the pipeline builds and what readers return.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "message", rename_all = "lowercase")]
pub enum CnMessage {
    Bsm(Box<bsm::Bsm>),
    Map(map::Map),
    Rsm(rsm::Rsm),
    Spat(spat::Spat),
    Rsi(rsi::Rsi),
}

impl CnMessage {
    pub fn to_frame(&self) -> Result<MessageFrame, BuildError> {
        Ok(match self {
            Self::Bsm(m) => MessageFrame::bsmFrame(m.to_cn()),
            Self::Map(m) => MessageFrame::mapFrame(m.to_cn()?),
            Self::Rsm(m) => MessageFrame::rsmFrame(m.to_cn()?),
            Self::Spat(m) => MessageFrame::spatFrame(m.to_cn()?),
            Self::Rsi(m) => MessageFrame::rsiFrame(m.to_cn()?),
        })
    }

    /// The SI view of a frame; `None` for a message type from a newer edition.
    pub fn from_frame(f: &MessageFrame) -> Option<Self> {
        Some(match f {
            MessageFrame::bsmFrame(m) => Self::Bsm(Box::new(bsm::Bsm::from_cn(m))),
            MessageFrame::mapFrame(m) => Self::Map(map::Map::from_cn(m)),
            MessageFrame::rsmFrame(m) => Self::Rsm(rsm::Rsm::from_cn(m)),
            MessageFrame::spatFrame(m) => Self::Spat(spat::Spat::from_cn(m)),
            MessageFrame::rsiFrame(m) => Self::Rsi(rsi::Rsi::from_cn(m)),
            _ => return None,
        })
    }

    /// The places the message is about: an RSM's reference position and every participant,
    /// a MAP's intersections, an RSI's reference position and every event's and sign's, a
    /// BSM's vehicle. A SPAT names its intersection only by ID, so it has none. Links that
    /// serve an area (the QUIC link's subscriptions) filter by these.
    pub fn positions(&self) -> Vec<crate::geo::GeoPoint> {
        match self {
            Self::Bsm(m) => vec![m.position],
            Self::Map(m) => m.nodes.iter().map(|n| n.ref_pos).collect(),
            Self::Rsm(m) => std::iter::once(m.ref_pos)
                .chain(m.participants.iter().map(|p| p.position))
                .collect(),
            Self::Spat(_) => Vec::new(),
            Self::Rsi(m) => std::iter::once(m.ref_pos)
                .chain(m.events.iter().filter_map(|e| e.scope.position))
                .chain(m.signs.iter().filter_map(|s| s.scope.position))
                .collect(),
        }
    }

    /// Builds and encodes in one step.
    pub fn encode(&self) -> Result<Vec<u8>, BuildError> {
        encode_frame(&self.to_frame()?)
    }
}

/// The ASN.1 name of a frame's alternative.
pub fn frame_kind(f: &MessageFrame) -> &'static str {
    match f {
        MessageFrame::bsmFrame(_) => "bsmFrame",
        MessageFrame::mapFrame(_) => "mapFrame",
        MessageFrame::rsmFrame(_) => "rsmFrame",
        MessageFrame::spatFrame(_) => "spatFrame",
        MessageFrame::rsiFrame(_) => "rsiFrame",
        _ => "unknown",
    }
}

/// UPER-encodes a frame.
pub fn encode_frame(f: &MessageFrame) -> Result<Vec<u8>, BuildError> {
    roadsight_asn1::rasn::uper::encode(f).map_err(|e| BuildError::Encode(e.to_string()))
}

/// UPER-decodes a frame; a failure says where.
pub fn decode_frame(bytes: &[u8]) -> Result<MessageFrame, DecodeFailure> {
    super::decode_uper::<MessageFrame>("MessageFrame", bytes)
}

/// Decodes UPER of a CN type ([`crate::v2x::TYPE_NAMES`]) into its JER (X.697) JSON and the
/// SI view.
pub fn decode_named(
    type_name: &str,
    bytes: &[u8],
) -> Result<(serde_json::Value, Option<CnMessage>), DecodeFailure> {
    fn go<T: roadsight_asn1::rasn::Decode + roadsight_asn1::rasn::Encode>(
        name: &'static str,
        bytes: &[u8],
        si: impl Fn(&T) -> Option<CnMessage>,
    ) -> Result<(serde_json::Value, Option<CnMessage>), DecodeFailure> {
        let v: T = super::decode_uper(name, bytes)?;
        Ok((super::to_jer(name, &v, bytes.len())?, si(&v)))
    }
    match type_name {
        "MessageFrame" => go::<MessageFrame>("MessageFrame", bytes, CnMessage::from_frame),
        "BasicSafetyMessage" => go::<cn::BasicSafetyMessage>("BasicSafetyMessage", bytes, |m| {
            Some(CnMessage::Bsm(Box::new(bsm::Bsm::from_cn(m))))
        }),
        "MapData" => go::<cn::MapData>("MapData", bytes, |m| {
            Some(CnMessage::Map(map::Map::from_cn(m)))
        }),
        "RoadsideSafetyMessage" => {
            go::<cn::RoadsideSafetyMessage>("RoadsideSafetyMessage", bytes, |m| {
                Some(CnMessage::Rsm(rsm::Rsm::from_cn(m)))
            })
        }
        "SPAT" => go::<cn::SPAT>("SPAT", bytes, |m| {
            Some(CnMessage::Spat(spat::Spat::from_cn(m)))
        }),
        "RoadSideInformation" => go::<cn::RoadSideInformation>("RoadSideInformation", bytes, |m| {
            Some(CnMessage::Rsi(rsi::Rsi::from_cn(m)))
        }),
        other => Err(super::unknown_type(other)),
    }
}
