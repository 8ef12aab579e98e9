//! V2X messages: SI models of each standard's messages, their ASN.1 UPER encoding (through
//! the generated types of `roadsight-asn1`), and decoding with errors that say where.

pub mod cn;
pub mod etsi;
pub mod ifm;
pub mod inspect;
pub mod locate;

use roadsight_asn1::rasn;

/// A message could not be built from the SI model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BuildError {
    #[error("{what}: {got} given, the standard allows {min}..={max}")]
    Count {
        what: &'static str,
        min: usize,
        max: usize,
        got: usize,
    },
    #[error("{what}: {text:?} is not IA5 (ASCII) text")]
    Text { what: &'static str, text: String },
    #[error("UPER encoding failed: {0}")]
    Encode(String),
}

pub use locate::{decode_uper, DecodeFailure};

/// The message types `roadsight decode --type` accepts: a CN `MessageFrame`, a CN message
/// outside a frame, or an ETSI MAPEM.
pub const TYPE_NAMES: [&str; 7] = [
    "MessageFrame",
    "BasicSafetyMessage",
    "MapData",
    "RoadsideSafetyMessage",
    "SPAT",
    "RoadSideInformation",
    "MAPEM",
];

/// Decodes UPER of the named type into its JER (X.697) JSON and, for the CN set when asked,
/// the SI view.
pub fn decode_named(
    type_name: &str,
    bytes: &[u8],
) -> Result<(serde_json::Value, Option<cn::CnMessage>), DecodeFailure> {
    if type_name == "MAPEM" {
        let m = etsi::decode_mapem(bytes)?;
        return Ok((to_jer("MAPEM", &m, bytes.len())?, None));
    }
    cn::decode_named(type_name, bytes)
}

pub(crate) fn unknown_type(name: &str) -> DecodeFailure {
    DecodeFailure {
        type_name: "?",
        path: String::new(),
        bit_offset: 0,
        message_bits: 0,
        reason: format!("unknown type {name:?}; known: {}", TYPE_NAMES.join(", ")),
    }
}

/// A value as X.697 JER JSON: the standard's field names and raw values.
pub fn to_jer<T: rasn::Encode>(
    type_name: &'static str,
    v: &T,
    len: usize,
) -> Result<serde_json::Value, DecodeFailure> {
    let fail = |reason: String| DecodeFailure {
        type_name,
        path: String::new(),
        bit_offset: 0,
        message_bits: len * 8,
        reason,
    };
    let s = rasn::jer::encode(v).map_err(|e| fail(format!("JER encoding failed: {e}")))?;
    serde_json::from_str(&s).map_err(|e| fail(format!("JER output is not JSON: {e}")))
}
