//! Bad sensor input is refused at ingest, named (sensor and field) and counted per sensor,
//! and leaves the tracker exactly as it would have been without it.

use nalgebra::{Matrix2, Vector2};
use roadsight::fusion::{Class, Detection};
use roadsight::pipeline::{Event, Pipeline, PipelineConfig};
use roadsight::scenario::Scenario;
use roadsight::sensor::SensorFrame;

fn det(t: f64, x: f64, y: f64) -> Detection {
    Detection {
        t,
        sensor: 0,
        pos: Vector2::new(x, y),
        cov: Matrix2::identity() * 0.25,
        class: Class::Car,
        length_m: None,
        width_m: None,
        class_confidence: None,
        yaw_rad: None,
        radial: None,
    }
}

fn frame(sensor: u16, t: f64, detections: Vec<Detection>) -> SensorFrame {
    SensorFrame {
        sensor,
        capture_s: t,
        deliver_s: t,
        detections,
    }
}

/// Ten seconds of a car at 10 m/s seen by sensor 0, with `bad` frames slipped in.
fn run(bad: bool) -> (Pipeline, Vec<Event>) {
    let s = Scenario::default_scenario().expect("default");
    let epoch = s.start();
    let mut p = Pipeline::new(PipelineConfig::from_scenario(&s, epoch), epoch).expect("pipeline");
    let mut events = Vec::new();
    for k in 0..100 {
        let t = f64::from(k) * 0.1;
        let now = epoch.add_secs(t + 0.2);
        p.handle_frame(now, frame(0, t, vec![det(t, -100.0 + 10.0 * t, -1.75)]));
        if bad && k % 10 == 5 {
            let mut nan = det(t, f64::NAN, 0.0);
            nan.sensor = 1;
            let mut broken_cov = det(t, 5.0, 5.0);
            broken_cov.cov = Matrix2::new(1.0, 0.0, 0.0, f64::INFINITY);
            p.handle_frame(
                now,
                frame(1, t, vec![nan, broken_cov, det(t + 30.0, 1.0, 1.0)]),
            );
            p.handle_frame(now, frame(2, t + 3600.0, vec![det(t, 0.0, 0.0)]));
            p.handle_frame(now, frame(9, t, vec![det(t, 0.0, 0.0)]));
            p.handle_frame(now, frame(3, f64::NAN, vec![]));
        }
        p.handle_timeout(now);
        while let Some(e) = p.poll_event() {
            events.push(e);
        }
        while p.poll_transmit().is_some() {}
    }
    (p, events)
}

#[test]
fn bad_frames_and_detections_are_refused_named_and_counted() {
    let (clean, _) = run(false);
    let (dirty, events) = run(true);
    // The tracker's state is the same as without the bad input.
    assert_eq!(clean.world(), dirty.world());
    assert!(!clean.world().objects.is_empty(), "the car is tracked");
    let st = dirty.stats();
    assert_eq!(
        st.rejected_detections.get(&1),
        Some(&30),
        "3 bad detections × 10 frames from sensor 1"
    );
    assert_eq!(
        st.rejected_frames, 30,
        "far-future, unknown-sensor and NaN-time frames"
    );
    let texts: Vec<String> = events
        .iter()
        .map(|e| serde_json::to_string(e).expect("json"))
        .collect();
    let has = |s: &str| texts.iter().any(|t| t.contains(s));
    assert!(has(r#""field":"detections[0].pos""#), "{texts:?}");
    assert!(has("unknown sensor 9"));
    assert!(has("is more than 60 s from now"));
    assert!(has("capture time NaN is not finite"));
}

/// Sensors' own reports: a box outside the image, a NaN confidence, a negative radar range (in
/// process and as ARS408 CAN frames), each refused with its object and field named, counted
/// for its sensor; the frame's good objects still reach the tracker.
#[test]
fn raw_reports_name_the_object_and_field() {
    use roadsight::sensor::ars408::{
        encode_object_list, gateway_datagrams, ObjectList, RadarObject,
    };
    use roadsight::sensor::camera::PixelBox;
    use roadsight::sensor::{CameraBox, Payload, RawFrame};
    let s = Scenario::default_scenario().expect("default");
    let epoch = s.start();
    let mut p = Pipeline::new(PipelineConfig::from_scenario(&s, epoch), epoch).expect("pipeline");
    let good_box = PixelBox {
        x_min: 900.0,
        y_min: 600.0,
        x_max: 1000.0,
        y_max: 680.0,
    };
    let boxes = vec![
        CameraBox {
            class: Class::Car,
            confidence: 0.9,
            bbox: good_box,
        },
        CameraBox {
            class: Class::Car,
            confidence: 0.9,
            bbox: PixelBox {
                x_max: 1950.0,
                ..good_box
            },
        },
        CameraBox {
            class: Class::Car,
            confidence: f64::NAN,
            bbox: good_box,
        },
    ];
    let now = epoch.add_secs(1.0);
    let raw = |sensor, payload| RawFrame {
        sensor,
        capture_s: 0.9,
        deliver_s: 1.0,
        payload,
    };
    p.handle_raw(now, &raw(0, Payload::Boxes(boxes)));
    let radar = |dist_long_m| RadarObject {
        dist_long_m,
        dist_lat_m: 3.0,
        ..RadarObject::default()
    };
    p.handle_raw(
        now,
        &raw(2, Payload::RadarObjects(vec![radar(-4.0), radar(30.0)])),
    );
    // The same through the wire: sensor 3's gateway.
    let mut behind = radar(-12.0);
    behind.id = 1;
    let list = ObjectList {
        objects: vec![radar(40.0), behind],
        ..ObjectList::default()
    };
    for d in gateway_datagrams(&encode_object_list(&list), 50) {
        p.handle_datagram(now, 3, &d);
    }
    // The next 0x60A closes the cycle.
    let next = ObjectList {
        cycle: 1,
        ..ObjectList::default()
    };
    for d in gateway_datagrams(&encode_object_list(&next), 50) {
        p.handle_datagram(now, 3, &d);
    }
    let mut rejected = Vec::new();
    while let Some(e) = p.poll_event() {
        if let Event::DetectionsRejected {
            sensor,
            count,
            field,
            reason,
            ..
        } = e
        {
            rejected.push((sensor, count, field, reason));
        }
    }
    assert_eq!(
        rejected,
        vec![
            (
                0,
                2,
                "objects[1].box.x_max".to_string(),
                "must be within the image (1920×1080 image)".to_string()
            ),
            (
                2,
                1,
                "objects[0].dist_long_m".to_string(),
                "-4 m: negative range (behind the radar)".to_string()
            ),
            (
                3,
                1,
                "objects[1].dist_long_m".to_string(),
                "-12 m: negative range (behind the radar)".to_string()
            ),
        ]
    );
    let st = p.stats();
    assert_eq!(st.rejected_detections.get(&0), Some(&2));
    assert_eq!(st.rejected_detections.get(&2), Some(&1));
    assert_eq!(st.rejected_detections.get(&3), Some(&1));
    // One good box, one good radar object each: three detections went on.
    assert_eq!(st.detections, 3);
}
