//! The RSI that hazards go out in, decoded by an independent codec (Python `asn1tools`,
//! `tools/asn1_interop.py decode`): the RTS `signType` and RTE `eventType` are the codes of
//! `hazard::rsi_codes` (GB 5768.2-2009 warning signs 10, 14, 32, 37; events only where the
//! site sets them).

mod common;

use common::{hex, run_tool};
use roadsight::geo::{GeoPoint, SiteFrame};
use roadsight::hazard::{Hazard, HazardKind, RsiEventTypes, Values};
use roadsight::time::Timestamp;
use roadsight::v2x::cn::compose::{rsi, SiteIdentity};
use roadsight::v2x::cn::{encode_frame, CnMessage};
use serde_json::Value;

fn hazard(id: u32, kind: HazardKind, classes: &[&str], priority: u8) -> Hazard {
    Hazard {
        id,
        kind,
        road_users: (1..=classes.len() as u32).collect(),
        classes: classes.iter().map(|c| c.to_string()).collect(),
        sensors: vec!["cam".into()],
        priority,
        point: [3.0 * f64::from(id), -2.0],
        rule: "test",
        values: Values {
            time_to_conflict_s: Some(3.0),
            ..Values::default()
        },
        lane: None,
        started: String::new(),
    }
}

/// Every value of `key` anywhere in `v`, as integers, in document order.
fn all(v: &Value, key: &str, out: &mut Vec<u64>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == key {
                    out.extend(x.as_u64());
                }
                all(x, key, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| all(x, key, out)),
        _ => {}
    }
}

/// The RSI of `hazards` under `codes`, as asn1tools decodes it: (eventTypes, signTypes).
fn decoded(hazards: &[Hazard], codes: &RsiEventTypes) -> (Vec<u64>, Vec<u64>) {
    let site = SiteIdentity {
        name: "test".into(),
        region: 1,
        intersection_id: 7,
        rsu_id: *b"RSU00001",
        frame: SiteFrame::new(GeoPoint::new(31.23, 121.47, Some(4.0))),
    };
    let refs: Vec<&Hazard> = hazards.iter().collect();
    let now = Timestamp::from_micros(1_700_000_000_000_000);
    let m = rsi(&site, &refs, codes, now, 3).expect("an RSI");
    let frame = CnMessage::Rsi(m).to_frame().expect("frame");
    let bytes = encode_frame(&frame).expect("UPER");
    let (code, out, err) = run_tool("asn1_interop.py", &["decode", &hex(&bytes)], "");
    assert_eq!(code, 0, "asn1tools cannot decode our RSI: {err}");
    let v: Value = serde_json::from_str(&out).expect("JER");
    let (mut events, mut signs) = (Vec::new(), Vec::new());
    all(&v, "eventType", &mut events);
    all(&v, "signType", &mut signs);
    (events, signs)
}

#[test]
fn hazard_rsi_carries_the_standard_sign_codes() {
    let hazards = [
        hazard(1, HazardKind::IntersectionCollision, &["car", "car"], 6),
        hazard(2, HazardKind::VulnerableRoadUser, &["car", "pedestrian"], 7),
        hazard(3, HazardKind::VulnerableRoadUser, &["bicycle", "truck"], 5),
        hazard(4, HazardKind::RedLightViolation, &["car"], 4),
        hazard(5, HazardKind::Glosa, &["car"], 1),
        Hazard {
            values: Values {
                ran_red: true,
                ..Values::default()
            },
            ..hazard(6, HazardKind::RedLightViolation, &["car"], 7)
        },
    ];
    let (events, signs) = decoded(&hazards, &RsiEventTypes::default());
    // No GB/T 29100 code names these hazards: no RTE unless the site assigns one.
    assert!(events.is_empty(), "{events:?}");
    // Ranked by priority: VRU pedestrian (10), red light run seen (watch for signals, 14),
    // collision (danger, 37), VRU cyclist (32), red light predicted (14); GLOSA is advice
    // and is not sent.
    assert_eq!(signs, vec![10, 14, 37, 32, 14]);

    let mut codes = RsiEventTypes {
        intersection_collision: Some(100),
        red_light_violation: Some(101),
        red_light_running: Some(102),
        ..RsiEventTypes::default()
    };
    codes.signs.intersection_collision = None;
    let (events, signs) = decoded(&hazards, &codes);
    assert_eq!(events, vec![102, 100, 101]);
    assert_eq!(signs, vec![10, 14, 32, 14]);
}
