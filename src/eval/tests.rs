//! Whole-report checks on sequences small enough to compute by hand.

use super::*;

fn obj(id: u64, class: &str, pos: (f64, f64), vel: (f64, f64)) -> Object {
    Object {
        id,
        class: class.into(),
        east_m: pos.0,
        north_m: pos.1,
        vel_east_mps: vel.0,
        vel_north_mps: vel.1,
    }
}

fn frame(time_s: f64, truth: Vec<Object>, tracks: Vec<Object>) -> Frame {
    Frame {
        time_s,
        truth,
        tracks,
    }
}

fn run(frames: &[Frame]) -> Report {
    evaluate(frames, Params::default()).unwrap()
}

fn close(a: Option<f64>, b: f64) {
    let a = a.unwrap();
    assert!((a - b).abs() < 1e-12, "{a} vs {b}");
}

#[test]
fn no_frames_at_all() {
    let r = run(&[]);
    assert_eq!((r.frames, r.truth_objects, r.matches), (0, 0, 0));
    assert_eq!(
        (r.gospa, r.mota, r.motp_m, r.idf1),
        (None, None, None, None)
    );
    assert_eq!(r.tracked_fraction, None);
    assert!(r.by_class.is_empty());
}

#[test]
fn frames_with_neither_truth_nor_tracks() {
    let r = run(&[frame(0.0, vec![], vec![]), frame(0.1, vec![], vec![])]);
    assert_eq!(r.frames, 2);
    assert_eq!(r.gospa, Some(0.0));
    assert_eq!(r.gospa_missed, Some(0.0));
    // Nothing to count against: undefined, not perfect.
    assert_eq!((r.mota, r.idf1, r.position_rmse_m), (None, None, None));
}

#[test]
fn truth_without_tracks() {
    let car = |t| obj(1, "car", (t, 0.0), (10.0, 0.0));
    let r = run(&[
        frame(0.0, vec![car(0.0)], vec![]),
        frame(0.1, vec![car(1.0)], vec![]),
    ]);
    close(r.gospa, 4.5f64.sqrt());
    close(r.gospa_missed, 4.5);
    assert_eq!(r.gospa_false, Some(0.0));
    assert_eq!((r.misses, r.matches, r.false_positives), (2, 0, 0));
    assert_eq!(
        (r.mota, r.idf1, r.tracked_fraction),
        (Some(0.0), Some(0.0), Some(0.0))
    );
    assert_eq!(r.motp_m, None);
    let car = &r.by_class["car"];
    assert_eq!(
        (car.truth_objects, car.truth_instances, car.misses),
        (1, 2, 2)
    );
    assert_eq!(car.position_rmse_m, None);
}

#[test]
fn tracks_without_truth() {
    let t = obj(7, "car", (5.0, 5.0), (0.0, 0.0));
    let r = run(&[
        frame(0.0, vec![], vec![t.clone()]),
        frame(0.1, vec![], vec![t]),
    ]);
    close(r.gospa_false, 4.5);
    assert_eq!(r.false_positives, 2);
    // No truth: MOTA is undefined (motmetrics would say −∞); IDF1 is 0 of 2 track instances.
    assert_eq!(
        (r.mota, r.idf1, r.tracked_fraction),
        (None, Some(0.0), None)
    );
}

/// Car A and pedestrian B. Frame 0: both matched (B exactly at the 2 m gate). Frame 1: A's
/// track changes id (a switch), B is missed, a false track appears. Frame 2: A alone, matched
/// by the carried-forward track. Frame 3: empty.
fn hand_sequence() -> Vec<Frame> {
    vec![
        frame(
            0.0,
            vec![
                obj(100, "car", (0.0, 0.0), (10.0, 0.0)),
                obj(200, "pedestrian", (10.0, 0.0), (0.0, 1.0)),
            ],
            vec![
                obj(1, "car", (1.0, 0.0), (9.0, 0.0)),
                obj(2, "pedestrian", (10.0, 2.0), (1.0, 0.0)),
            ],
        ),
        frame(
            0.1,
            vec![
                obj(100, "car", (1.0, 0.0), (10.0, 0.0)),
                obj(200, "pedestrian", (10.0, 0.1), (0.0, 1.0)),
            ],
            vec![
                obj(3, "car", (1.0, 0.0), (10.0, 0.0)),
                obj(4, "unknown", (50.0, 50.0), (0.0, 0.0)),
            ],
        ),
        frame(
            0.2,
            vec![obj(100, "car", (2.0, 0.0), (10.0, 0.0))],
            vec![obj(3, "car", (2.0, 0.0), (10.0, 0.0))],
        ),
        frame(0.3, vec![], vec![]),
    ]
}

#[test]
fn clear_mot_by_hand() {
    let r = run(&hand_sequence());
    assert_eq!(
        (
            r.frames,
            r.truth_objects,
            r.truth_instances,
            r.track_instances
        ),
        (4, 2, 5, 5)
    );
    assert_eq!(
        (r.matches, r.misses, r.false_positives, r.id_switches),
        (4, 1, 1, 1)
    );
    close(r.mota, 1.0 - 3.0 / 5.0);
    close(r.motp_m, (1.0 + 2.0 + 0.0 + 0.0) / 4.0);
    close(r.motp_squared_m2, (1.0 + 4.0) / 4.0);
    close(r.position_rmse_m, 1.25f64.sqrt());
    // Speed: only A–1 in frame 0 is off (9 vs 10 m/s). Velocity: that, plus B–2 pointing east
    // instead of north at the same speed (|(1, −1)|² = 2).
    close(r.speed_rmse_mps, 0.5);
    close(r.velocity_rmse_mps, 0.75f64.sqrt());
    // A matched 3/3 frames, B 1/2.
    close(r.tracked_fraction, 0.5);
}

#[test]
fn idf1_by_hand() {
    // Within-gate frames: (A,1) 1, (B,2) 1, (A,3) 2. Best bijection: A–3 + B–2 = 3.
    let r = run(&hand_sequence());
    close(r.idf1, 2.0 * 3.0 / (5.0 + 5.0));
}

#[test]
fn gospa_by_hand() {
    // Per frame: √(1 + 4); √(0 + 4.5 + 4.5) = 3; 0; 0 (empty frame).
    let r = run(&hand_sequence());
    close(r.gospa, (5f64.sqrt() + 3.0) / 4.0);
    close(r.gospa_localisation, 5.0 / 4.0);
    close(r.gospa_missed, 4.5 / 4.0);
    close(r.gospa_false, 4.5 / 4.0);
}

#[test]
fn by_class_by_hand() {
    let r = run(&hand_sequence());
    assert_eq!(r.by_class.keys().collect::<Vec<_>>(), ["car", "pedestrian"]);
    let car = &r.by_class["car"];
    assert_eq!(
        (
            car.truth_objects,
            car.truth_instances,
            car.matches,
            car.misses
        ),
        (1, 3, 3, 0)
    );
    close(car.position_rmse_m, (1.0f64 / 3.0).sqrt());
    close(car.speed_rmse_mps, (1.0f64 / 3.0).sqrt());
    close(car.tracked_fraction, 1.0);
    let ped = &r.by_class["pedestrian"];
    assert_eq!(
        (
            ped.truth_objects,
            ped.truth_instances,
            ped.matches,
            ped.misses
        ),
        (1, 2, 1, 1)
    );
    close(ped.position_rmse_m, 2.0);
    close(ped.speed_rmse_mps, 0.0);
    close(ped.velocity_rmse_mps, 2f64.sqrt());
    close(ped.tracked_fraction, 0.0);
}

#[test]
fn class_is_the_one_first_seen() {
    let r = run(&[
        frame(0.0, vec![obj(1, "unknown", (0.0, 0.0), (0.0, 0.0))], vec![]),
        frame(0.1, vec![obj(1, "car", (0.0, 0.0), (0.0, 0.0))], vec![]),
    ]);
    assert_eq!(r.by_class.keys().collect::<Vec<_>>(), ["unknown"]);
    assert_eq!(r.by_class["unknown"].truth_instances, 2);
}

#[test]
fn streaming_equals_batch() {
    let frames = hand_sequence();
    let mut e = Evaluator::new(Params::default()).unwrap();
    for f in &frames {
        e.push(f).unwrap();
    }
    assert_eq!(e.report(), run(&frames));
}

#[test]
fn bad_frames_are_rejected_and_leave_no_trace() {
    let mut e = Evaluator::new(Params::default()).unwrap();
    e.push(&frame(1.0, vec![], vec![])).unwrap();
    let before = e.report();
    let car = |id, x: f64| obj(id, "car", (x, 0.0), (0.0, 0.0));
    assert!(matches!(
        e.push(&frame(1.0, vec![], vec![])),
        Err(EvalError::TimeOrder { frame: 1, .. })
    ));
    assert!(matches!(
        e.push(&frame(f64::NAN, vec![], vec![])),
        Err(EvalError::TimeOrder { .. })
    ));
    assert_eq!(
        e.push(&frame(2.0, vec![car(1, 0.0)], vec![car(5, f64::INFINITY)])),
        Err(EvalError::NonFinite {
            frame: 1,
            side: "track",
            id: 5
        })
    );
    assert_eq!(
        e.push(&frame(2.0, vec![car(1, 0.0), car(1, 9.0)], vec![])),
        Err(EvalError::DuplicateId {
            frame: 1,
            side: "truth",
            id: 1
        })
    );
    assert_eq!(e.report(), before);
}

#[test]
fn invalid_params_are_rejected() {
    let p = Params::default();
    for bad in [
        Params {
            match_threshold_m: 0.0,
            ..p
        },
        Params {
            gospa_c_m: f64::NAN,
            ..p
        },
        Params {
            tracked_min_fraction: 1.5,
            ..p
        },
    ] {
        assert!(matches!(
            Evaluator::new(bad),
            Err(EvalError::InvalidParams(_))
        ));
    }
}

#[test]
fn json_shape() {
    let v = serde_json::to_value(run(&hand_sequence())).unwrap();
    let keys: std::collections::BTreeSet<&str> =
        v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        std::collections::BTreeSet::from([
            "frames",
            "truth_objects",
            "truth_instances",
            "track_instances",
            "match_threshold_m",
            "tracked_min_fraction",
            "gospa_c_m",
            "gospa_p",
            "gospa_alpha",
            "gospa",
            "gospa_localisation",
            "gospa_missed",
            "gospa_false",
            "mota",
            "motp_m",
            "motp_squared_m2",
            "idf1",
            "id_switches",
            "id_switches_in_view",
            "matches",
            "misses",
            "false_positives",
            "position_rmse_m",
            "speed_rmse_mps",
            "velocity_rmse_mps",
            "tracked_fraction",
            "by_class",
        ])
    );
    assert_eq!(v["match_threshold_m"], 2.0);
    assert_eq!(v["tracked_min_fraction"], 0.8);
    assert_eq!(v["by_class"]["pedestrian"]["misses"], 1);
    let empty = serde_json::to_value(run(&[])).unwrap();
    assert!(empty["mota"].is_null() && empty["gospa"].is_null());
    // Frames read back from the documented input shape.
    let f: Frame = serde_json::from_str(
        r#"{"time_s":0.5,"truth":[{"id":1,"class":"bus","east_m":1.0,"north_m":2.0,
            "vel_east_mps":0.0,"vel_north_mps":-1.5}],"tracks":[]}"#,
    )
    .unwrap();
    assert_eq!(f.truth[0].class, "bus");
}

#[test]
fn switches_in_view_excuse_only_road_users_that_were_out_of_view() {
    let car = |id, x| obj(id, "car", (x, 0.0), (0.0, 0.0));
    let trk = |id, x| obj(id, "car", (x, 0.1), (0.0, 0.0));
    let r = run(&[
        frame(
            0.0,
            vec![car(1, 0.0), car(2, 50.0)],
            vec![trk(10, 0.0), trk(20, 50.0)],
        ),
        // Road user 1 in view but missed; road user 2 out of view.
        frame(0.1, vec![car(1, 0.0)], vec![]),
        frame(
            0.2,
            vec![car(1, 0.0), car(2, 50.0)],
            vec![trk(11, 0.0), trk(21, 50.0)],
        ),
    ]);
    assert_eq!(r.id_switches, 2);
    assert_eq!(r.id_switches_in_view, 1, "only road user 1 stayed in view");
}
