//! What travels on a QUIC link connection, sans-IO (documented in `docs/quic.md`):
//!
//! - the subscription: the client opens a bidirectional stream, writes one JSON
//!   [`SubscribeRequest`] and finishes its side; the server answers with one JSON
//!   [`SubscribeReply`] and finishes. A later request on a new stream replaces the
//!   subscription (a vehicle moves its area along).
//! - the messages: the server opens one unidirectional stream and writes, for each message,
//!   a 13-byte header — kind (1 byte), creation time (i64 µs since the Unix epoch, big
//!   endian), payload length (u32, big endian) — then the UPER `MessageFrame`.

use crate::geo::GeoPoint;
use crate::pipeline::MessageKind;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// ALPN protocol name of the link; both sides insist on it.
pub const ALPN: &[u8] = b"roadsight-v2x/1";
/// Largest subscription request or reply read.
pub const MAX_REQUEST_BYTES: usize = 4096;
/// Bytes before each message's payload.
pub const HEADER_BYTES: usize = 13;
/// Largest payload a reader accepts (a MAP of a large junction is a few KiB).
pub const MAX_PAYLOAD_BYTES: usize = 65_536;
/// Largest radius a subscription may ask for: more is "everything", asked by leaving `near`
/// out.
pub const MAX_RADIUS_M: f64 = 1_000_000.0;

/// Application close codes, with the reason text beside them on the wire.
pub mod close {
    /// The server is stopping.
    pub const SHUTDOWN: u32 = 0;
    /// The subscription request was refused (reason: what was wrong).
    pub const BAD_REQUEST: u32 = 1;
    /// Too many of the client's messages were dropped: it reads too slowly.
    pub const SLOW: u32 = 2;
    /// The client's oldest queued message waited past the lag limit.
    pub const LAGGING: u32 = 3;
    /// `max_clients` are connected.
    pub const FULL: u32 = 4;
    /// The client is done (sent by the client).
    pub const DONE: u32 = 5;
}

/// The kind byte of a message frame.
pub fn kind_code(kind: MessageKind) -> u8 {
    match kind {
        MessageKind::Rsm => 1,
        MessageKind::Spat => 2,
        MessageKind::Map => 3,
        MessageKind::Rsi => 4,
        MessageKind::Mapem => 5,
    }
}

pub fn kind_from_code(code: u8) -> Option<MessageKind> {
    MessageKind::ALL.into_iter().find(|k| kind_code(*k) == code)
}

fn known_names() -> String {
    MessageKind::ALL.map(MessageKind::name).join(", ")
}

pub fn kind_from_name(name: &str) -> Option<MessageKind> {
    MessageKind::ALL
        .into_iter()
        .find(|k| k.name().eq_ignore_ascii_case(name))
}

/// What a client asks for, as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeRequest {
    /// Message type names: "RSM", "SPAT", "MAP", "RSI", "MAPEM".
    pub types: Vec<String>,
    /// Centre of the area; without it, messages from anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near: Option<GeoPoint>,
    /// Radius of the area around `near`, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radius_m: Option<f64>,
}

/// The server's answer: `{"ok":true}` or `{"error":"types[1]: ..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscribeReply {
    Ok(bool),
    Error(String),
}

/// A circle on the ground.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub centre: GeoPoint,
    pub radius_m: f64,
}

impl Area {
    /// Whether any of `positions` is within the radius.
    pub fn contains_any(&self, positions: &[GeoPoint]) -> bool {
        positions
            .iter()
            .any(|p| self.centre.ground_distance_m(p) <= self.radius_m)
    }
}

/// A checked subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub types: BTreeSet<MessageKind>,
    pub area: Option<Area>,
}

impl Subscription {
    /// Whether a message of `kind` about `positions` goes to this subscriber. A message
    /// without positions goes only to subscribers without an area.
    pub fn wants(&self, kind: MessageKind, positions: &[GeoPoint]) -> bool {
        self.types.contains(&kind) && self.area.is_none_or(|a| a.contains_any(positions))
    }

    /// The request as the client library sends it.
    pub fn to_request(&self) -> SubscribeRequest {
        SubscribeRequest {
            types: self.types.iter().map(|k| k.name().to_string()).collect(),
            near: self.area.map(|a| a.centre),
            radius_m: self.area.map(|a| a.radius_m),
        }
    }
}

/// A subscription request that cannot be served: which field, why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct RequestError {
    pub field: String,
    pub reason: String,
}

fn bad(field: &str, reason: String) -> RequestError {
    RequestError {
        field: field.into(),
        reason,
    }
}

impl SubscribeRequest {
    /// Parses and checks request bytes.
    pub fn parse(bytes: &[u8]) -> Result<Subscription, RequestError> {
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        let req: SubscribeRequest = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            bad(
                if path == "." { "(request)" } else { &path },
                e.into_inner().to_string(),
            )
        })?;
        req.check()
    }

    /// The subscription this request asks for, or what is wrong with it.
    pub fn check(&self) -> Result<Subscription, RequestError> {
        if self.types.is_empty() {
            return Err(bad(
                "types",
                format!("name at least one of {}", known_names()),
            ));
        }
        let mut types = BTreeSet::new();
        for (i, t) in self.types.iter().enumerate() {
            let k = kind_from_name(t).ok_or_else(|| {
                bad(
                    &format!("types[{i}]"),
                    format!("unknown message type {t:?} (known: {})", known_names()),
                )
            })?;
            types.insert(k);
        }
        let area = match (self.near, self.radius_m) {
            (None, None) => None,
            (Some(_), None) => return Err(bad("radius_m", "required with `near`".into())),
            (None, Some(_)) => return Err(bad("near", "required with `radius_m`".into())),
            (Some(centre), Some(radius_m)) => {
                if !centre.is_valid() {
                    return Err(bad(
                        "near",
                        "latitude/longitude must be finite and within ±90°/±180°".into(),
                    ));
                }
                if !(radius_m.is_finite() && radius_m > 0.0 && radius_m <= MAX_RADIUS_M) {
                    return Err(bad(
                        "radius_m",
                        format!("must be in (0, {MAX_RADIUS_M}] m, got {radius_m}"),
                    ));
                }
                Some(Area { centre, radius_m })
            }
        };
        Ok(Subscription { types, area })
    }
}

/// `LAT,LON` in WGS84 degrees (the command line's `--near`).
pub fn parse_lat_lon(text: &str) -> Result<GeoPoint, RequestError> {
    let p = text
        .split_once(',')
        .and_then(|(a, b)| {
            Some(GeoPoint::new(
                a.trim().parse().ok()?,
                b.trim().parse().ok()?,
                None,
            ))
        })
        .ok_or_else(|| {
            bad(
                "near",
                format!("{text:?} is not LAT,LON such as 31.2304,121.4737"),
            )
        })?;
    if !p.is_valid() {
        return Err(bad("near", format!("{text:?} is not within ±90°/±180°")));
    }
    Ok(p)
}

/// The 13-byte header of a message frame.
pub fn encode_header(kind: MessageKind, time: Timestamp, len: usize) -> [u8; HEADER_BYTES] {
    let mut h = [0u8; HEADER_BYTES];
    h[0] = kind_code(kind);
    h[1..9].copy_from_slice(&time.micros().to_be_bytes());
    h[9..13].copy_from_slice(&(len.min(u32::MAX as usize) as u32).to_be_bytes());
    h
}

/// A frame header that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("unknown message kind byte {0}")]
    Kind(u8),
    #[error("payload of {0} bytes is over the {MAX_PAYLOAD_BYTES}-byte limit")]
    TooLong(usize),
}

/// Kind, creation time and payload length from a header.
pub fn decode_header(
    h: &[u8; HEADER_BYTES],
) -> Result<(MessageKind, Timestamp, usize), FrameError> {
    let kind = kind_from_code(h[0]).ok_or(FrameError::Kind(h[0]))?;
    let mut t = [0u8; 8];
    t.copy_from_slice(&h[1..9]);
    let mut n = [0u8; 4];
    n.copy_from_slice(&h[9..13]);
    let len = u32::from_be_bytes(n) as usize;
    if len > MAX_PAYLOAD_BYTES {
        return Err(FrameError::TooLong(len));
    }
    Ok((kind, Timestamp::from_micros(i64::from_be_bytes(t)), len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_limits() {
        let t = Timestamp::from_micros(1_795_000_000_123_456);
        let h = encode_header(MessageKind::Spat, t, 321);
        assert_eq!(decode_header(&h), Ok((MessageKind::Spat, t, 321)));
        let mut bad_kind = h;
        bad_kind[0] = 9;
        assert_eq!(decode_header(&bad_kind), Err(FrameError::Kind(9)));
        let long = encode_header(MessageKind::Map, t, MAX_PAYLOAD_BYTES + 1);
        assert!(matches!(decode_header(&long), Err(FrameError::TooLong(_))));
    }

    #[test]
    fn requests_are_checked_field_by_field() {
        let ok = SubscribeRequest::parse(
            br#"{"types":["rsm","SPAT"],"near":{"lat_deg":31.23,"lon_deg":121.47},"radius_m":500}"#,
        );
        let sub = ok.as_ref().map_err(|e| e.to_string());
        assert_eq!(
            sub.map(|s| s.types.iter().copied().collect::<Vec<_>>()),
            Ok(vec![MessageKind::Rsm, MessageKind::Spat])
        );
        let err = |b: &[u8]| {
            SubscribeRequest::parse(b)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(err(br#"{"types":["RSM","BSM"]}"#)
            .starts_with("types[1]: unknown message type \"BSM\""));
        assert!(err(br#"{"types":[]}"#).starts_with("types:"));
        assert!(
            err(br#"{"types":["RSM"],"near":{"lat_deg":91,"lon_deg":0},"radius_m":5}"#)
                .starts_with("near:")
        );
        assert!(
            err(br#"{"types":["RSM"],"near":{"lat_deg":1,"lon_deg":0},"radius_m":-5}"#)
                .starts_with("radius_m:")
        );
        assert!(
            err(br#"{"types":["RSM"],"near":{"lat_deg":1,"lon_deg":0}}"#).starts_with("radius_m:")
        );
        assert!(err(br#"{"types":["RSM"],"radius":5}"#).contains("unknown field `radius`"));
        assert!(err(b"not json").starts_with("(request):"));
    }

    #[test]
    fn area_takes_a_message_if_any_position_is_inside() {
        let centre = GeoPoint::new(31.2304, 121.4737, None);
        let sub = Subscription {
            types: [MessageKind::Rsm].into(),
            area: Some(Area {
                centre,
                radius_m: 100.0,
            }),
        };
        // 0.001° of latitude is about 111 m.
        let near = GeoPoint::new(31.2304 + 0.0005, 121.4737, None);
        let far = GeoPoint::new(31.2304 + 0.0020, 121.4737, None);
        assert!(sub.wants(MessageKind::Rsm, &[far, near]));
        assert!(!sub.wants(MessageKind::Rsm, &[far]));
        assert!(!sub.wants(MessageKind::Rsm, &[]));
        assert!(!sub.wants(MessageKind::Spat, &[near]));
    }
}
