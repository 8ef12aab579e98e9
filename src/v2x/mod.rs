//! V2X messages: SI models of each standard's messages, their ASN.1 UPER encoding (through
//! the generated types of `roadsight-asn1`), and decoding with errors that say where.

pub mod cn;
pub mod inspect;

use roadsight_asn1::rasn;
use std::fmt;

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

/// Where and why a UPER message failed to decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeFailure {
    /// The ASN.1 type decoded, e.g. `MessageFrame`.
    pub type_name: &'static str,
    /// The field path inside it, e.g. `rsmFrame.participants.pos`; empty at the top.
    pub path: String,
    /// The bit at which the failing element starts, or where the data ran out, when known.
    pub bit_offset: Option<usize>,
    pub message_bits: usize,
    pub reason: String,
}

impl DecodeFailure {
    fn unknown_type(name: &str) -> Self {
        Self {
            type_name: "?",
            path: String::new(),
            bit_offset: None,
            message_bits: 0,
            reason: format!(
                "unknown type {name:?}; known: {}",
                cn::TYPE_NAMES.join(", ")
            ),
        }
    }
}

impl fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.type_name)?;
        if !self.path.is_empty() {
            write!(f, ".{}", self.path)?;
        }
        write!(f, ": {}", self.reason)?;
        match self.bit_offset {
            Some(b) => write!(f, " at bit {b} of {}", self.message_bits),
            None => write!(f, " ({} bits)", self.message_bits),
        }
    }
}

impl std::error::Error for DecodeFailure {}

/// Decodes UPER, reporting the type, field path and (where rasn tells it) bit offset of a
/// failure. Never panics, whatever the bytes.
pub fn decode_uper<T: rasn::Decode>(
    type_name: &'static str,
    bytes: &[u8],
) -> Result<T, DecodeFailure> {
    rasn::uper::decode::<T>(bytes).map_err(|e| failure_from_rasn(type_name, bytes.len() * 8, &e))
}

fn failure_from_rasn(
    type_name: &'static str,
    message_bits: usize,
    e: &rasn::error::DecodeError,
) -> DecodeFailure {
    use rasn::error::DecodeErrorKind as K;
    let mut path = Vec::new();
    let mut cur = e;
    while let K::FieldError { name, nested } = &*cur.kind {
        path.push(*name);
        cur = nested;
    }
    let (reason, bit_offset) = match &*cur.kind {
        K::Incomplete { needed } => {
            let more = match needed {
                nom::Needed::Size(n) => format!("{n} more bits"),
                nom::Needed::Unknown => "more bits".to_string(),
            };
            (format!("truncated: needed {more}"), Some(message_bits))
        }
        K::Eof => (
            "truncated: unexpected end of data".to_string(),
            Some(message_bits),
        ),
        other => (other.to_string(), None),
    };
    DecodeFailure {
        type_name,
        path: path.join("."),
        bit_offset,
        message_bits,
        reason,
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
        bit_offset: None,
        message_bits: len * 8,
        reason,
    };
    let s = rasn::jer::encode(v).map_err(|e| fail(format!("JER encoding failed: {e}")))?;
    serde_json::from_str(&s).map_err(|e| fail(format!("JER output is not JSON: {e}")))
}
