//! The camera object-list wire format: one UDP datagram per frame, a JSON object. It is what
//! roadside camera detectors (and their edge boxes) send: pixel boxes with a class and a
//! confidence, stamped in the camera's clock. Documented in `docs/sensor-formats.md`.
//!
//! ```json
//! {"version": 1, "sensor": "cam-ne", "frame": 1234, "timestamp_ms": 1795420800123.0,
//!  "objects": [{"class": "car", "confidence": 0.93, "box": [812.0, 402.5, 955.0, 488.0]}]}
//! ```
//!
//! `box` is `[x_min, y_min, x_max, y_max]` in pixels (the image spans `[0, width] ×
//! [0, height]`). Class names beyond the six road-user classes (as detectors trained on
//! other label sets send) are mapped where the meaning is clear (`person` → pedestrian, `van`
//! → car, …) and otherwise read as unknown: the box still places an object.

use crate::fusion::Class;
use crate::sensor::camera::PixelBox;
use crate::sensor::CameraBox;
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraFrameMsg {
    pub version: u32,
    /// The sensor's id in the site config; checked against the port it arrived on.
    pub sensor: String,
    /// The camera's frame counter.
    #[serde(default)]
    pub frame: u64,
    /// Capture time in the camera's clock: milliseconds since 1970-01-01T00:00:00Z.
    pub timestamp_ms: f64,
    pub objects: Vec<CameraObjectMsg>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraObjectMsg {
    pub class: String,
    pub confidence: f64,
    #[serde(rename = "box")]
    pub bbox: [f64; 4],
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum CameraJsonError {
    #[error("camera JSON: {0}")]
    Syntax(String),
    #[error("camera JSON: version {0} is not supported (expected {VERSION})")]
    Version(u32),
    #[error("camera JSON: `timestamp_ms` {0} is not a finite time")]
    Timestamp(f64),
}

/// The class of a detector's label.
pub fn class_of_label(label: &str) -> Class {
    match label.trim().to_ascii_lowercase().as_str() {
        "car" | "van" | "suv" | "sedan" | "pickup" | "taxi" => Class::Car,
        "truck" | "lorry" | "trailer" => Class::Truck,
        "bus" | "coach" => Class::Bus,
        "motorcycle" | "motorbike" | "motorcyclist" | "scooter" | "tricycle" => Class::Motorcycle,
        "bicycle" | "bike" | "cyclist" => Class::Bicycle,
        "pedestrian" | "person" | "people" => Class::Pedestrian,
        _ => Class::Unknown,
    }
}

pub fn label_of_class(c: Class) -> &'static str {
    match c {
        Class::Car => "car",
        Class::Truck => "truck",
        Class::Bus => "bus",
        Class::Motorcycle => "motorcycle",
        Class::Bicycle => "bicycle",
        Class::Pedestrian => "pedestrian",
        Class::Unknown => "unknown",
    }
}

/// Parses a datagram. Values are not range-checked here: ingest checks each box against the
/// camera's image and names the object and field at fault.
pub fn decode(bytes: &[u8]) -> Result<CameraFrameMsg, CameraJsonError> {
    let msg: CameraFrameMsg =
        serde_json::from_slice(bytes).map_err(|e| CameraJsonError::Syntax(e.to_string()))?;
    if msg.version != VERSION {
        return Err(CameraJsonError::Version(msg.version));
    }
    if !msg.timestamp_ms.is_finite() {
        return Err(CameraJsonError::Timestamp(msg.timestamp_ms));
    }
    Ok(msg)
}

/// The boxes of a message, in the detector's terms.
pub fn boxes(msg: &CameraFrameMsg, out: &mut Vec<CameraBox>) {
    out.extend(msg.objects.iter().map(|o| CameraBox {
        class: class_of_label(&o.class),
        confidence: o.confidence,
        bbox: PixelBox {
            x_min: o.bbox[0],
            y_min: o.bbox[1],
            x_max: o.bbox[2],
            y_max: o.bbox[3],
        },
    }));
}

pub fn encode(sensor: &str, frame: u64, timestamp_ms: f64, boxes: &[CameraBox]) -> Vec<u8> {
    let msg = CameraFrameMsg {
        version: VERSION,
        sensor: sensor.to_string(),
        frame,
        timestamp_ms,
        objects: boxes
            .iter()
            .map(|b| CameraObjectMsg {
                class: label_of_class(b.class).to_string(),
                confidence: b.confidence,
                bbox: [b.bbox.x_min, b.bbox.y_min, b.bbox.x_max, b.bbox.y_max],
            })
            .collect(),
    };
    // A struct of strings and finite numbers always serialises; an infinite number (which
    // JSON cannot hold) is written as null and refused on the way in.
    serde_json::to_vec(&msg).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_faults() {
        let b = CameraBox {
            class: Class::Bicycle,
            confidence: 0.75,
            bbox: PixelBox {
                x_min: 1.5,
                y_min: 2.0,
                x_max: 30.25,
                y_max: 40.0,
            },
        };
        let bytes = encode("cam-1", 7, 1795420800123.5, &[b]);
        let msg = decode(&bytes).unwrap();
        assert_eq!((msg.sensor.as_str(), msg.frame), ("cam-1", 7));
        let mut out = Vec::new();
        boxes(&msg, &mut out);
        assert_eq!(out, vec![b]);
        assert_eq!(class_of_label("Person"), Class::Pedestrian);
        assert_eq!(class_of_label("dog"), Class::Unknown);
        let bad = br#"{"version":2,"sensor":"c","timestamp_ms":1,"objects":[]}"#;
        assert_eq!(decode(bad), Err(CameraJsonError::Version(2)));
        let e =
            decode(br#"{"version":1,"sensor":"c","timestamp_ms":1,"objects":[{"class":"car"}]}"#);
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("missing field `confidence`"));
        assert!(matches!(
            decode(b"\xff\x00garbage"),
            Err(CameraJsonError::Syntax(_))
        ));
    }
}
