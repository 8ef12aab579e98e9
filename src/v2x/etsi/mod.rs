//! ETSI C-ITS messages (release 1): MAPEM from the site map (TS 103 301 v2.1.1, carrying the
//! ISO TS 19091 `MapData`).
//!
//! ISO TS 19091 (module DSRC) and the CN set share their origin in SAE J2735: latitude,
//! longitude, elevation, `Velocity`, `LaneWidth`, `MsgCount` and `AllowedManeuvers` have the
//! same units, ranges and "unavailable" values in both, so the conversions of
//! [`crate::v2x::cn::units`] serve here too.

pub mod mapem;

use super::{decode_uper, BuildError, DecodeFailure};
use roadsight_asn1::etsi;
use roadsight_asn1::rasn;

/// `ItsPduHeader.protocolVersion` of TS 103 301 v2.1.1 messages ("It shall be set to 2").
pub const PROTOCOL_VERSION: u8 = 2;

/// `ItsPduHeader.messageID` values (TS 102 894-2).
pub mod message_id {
    pub const SPATEM: u8 = 4;
    pub const MAPEM: u8 = 5;
}

/// BTP-B destination ports of ETSI TS 103 248, which an RSU's GeoNetworking stack needs to
/// know which facility a payload is for.
pub mod btp_port {
    pub const SPATEM: u16 = 2004;
    pub const MAPEM: u16 = 2003;
}

/// UPER-encodes a MAPEM.
pub fn encode_mapem(m: &etsi::MAPEM) -> Result<Vec<u8>, BuildError> {
    rasn::uper::encode(m).map_err(|e| BuildError::Encode(e.to_string()))
}

/// UPER-decodes a MAPEM; a failure says where.
pub fn decode_mapem(bytes: &[u8]) -> Result<etsi::MAPEM, DecodeFailure> {
    decode_uper::<etsi::MAPEM>("MAPEM", bytes)
}
