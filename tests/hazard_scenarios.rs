//! The hazard scenarios (scenarios/hazards/, made by tools/make_hazard_scenarios.py): each is
//! replayed through the whole pipeline (simulated sensors, tracker, hazard detectors) and the
//! detectors held to what they honestly reach today against the labelled conflicts. Measured
//! values (`roadsight eval scenarios/hazards/NAME.toml`) are in the comments.

use roadsight::eval::hazards::KindReport;
use roadsight::hazard::HazardKind;
use roadsight::pipeline::MessageKind;
use roadsight::replay::{run, RunOptions, RunSummary};
use roadsight::scenario::Scenario;
use std::path::Path;

fn replay(name: &str) -> RunSummary {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/hazards")
        .join(format!("{name}.toml"));
    let s = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let r = run(&s, name, &RunOptions::default()).expect("run");
    assert_eq!(r.failed_messages, 0);
    r
}

fn kind(r: &RunSummary, k: HazardKind) -> KindReport {
    r.hazards.get(&k).cloned().unwrap_or_default()
}

/// Every labelled conflict of `k` warned of before the conflict point, at least `lead_s`
/// ahead, and nothing else of that kind.
fn detected(r: &RunSummary, k: HazardKind, labelled: usize, lead_s: f64) {
    let h = kind(r, k);
    assert_eq!(h.labelled, labelled, "{k:?}: {h:?}");
    assert_eq!(h.detected, labelled, "{k:?}: {h:?}");
    let lead = h.lead_time_min_s.expect("a lead time");
    assert!(lead > 0.0 && lead >= lead_s, "{k:?}: lead {lead} s");
}

#[test]
fn beyond_line_of_sight_crossing() {
    let r = replay("blos_crossing");
    // Measured: collision warned 2.9 s before the crossing point, flagged beyond line of
    // sight (the building hides the two). Violation 2.65 s before its stop line: at 13 m/s
    // the rule (stopping distance v·1 s + v²/(2·3 m/s²) beyond the line, not braking) holds
    // from 3.17 s before the line, and a violation a comfortable stop could still avoid must
    // hold red_light.confirm_s = 0.5 s: 3.17 − 0.5 − 0.02 (tracking) ≈ 2.65 s. The same
    // hazard is updated as seen done once a detection shows the car past the line (0.25 s
    // after it): one warning. No false warnings.
    detected(&r, HazardKind::IntersectionCollision, 1, 2.5);
    detected(&r, HazardKind::RedLightViolation, 1, 2.5);
    for k in [
        HazardKind::IntersectionCollision,
        HazardKind::RedLightViolation,
    ] {
        assert_eq!(kind(&r, k).false_warnings, 0, "{k:?}");
    }
}

#[test]
fn beyond_line_of_sight_at_an_unsignalised_junction() {
    let log = std::env::temp_dir().join(format!("roadsight-unsig-{}.jsonl", std::process::id()));
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/hazards/unsignalised_crossing.toml");
    let s = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.signal.is_none(), "the scenario has no [signal]");
    let opts = RunOptions {
        event_log: Some(log.clone()),
        ..RunOptions::default()
    };
    let r = run(&s, "unsignalised_crossing", &opts).expect("run");
    assert_eq!(r.failed_messages, 0);
    // Measured: warned 2.8 s before the crossing point, flagged beyond line of sight. No
    // signal: no SPAT, no red-light or speed-advice hazards, but MAP, RSM and RSI go out.
    detected(&r, HazardKind::IntersectionCollision, 1, 2.5);
    assert_eq!(
        kind(&r, HazardKind::IntersectionCollision).false_warnings,
        0
    );
    for k in [HazardKind::RedLightViolation, HazardKind::Glosa] {
        assert_eq!(kind(&r, k).warnings, 0, "{k:?}");
    }
    assert_eq!(r.messages.get(&MessageKind::Spat), None, "{:?}", r.messages);
    for k in [MessageKind::Map, MessageKind::Rsm, MessageKind::Rsi] {
        assert!(
            r.messages.get(&k).is_some_and(|n| *n > 0),
            "{k:?}: {:?}",
            r.messages
        );
    }
    let text = std::fs::read_to_string(&log).expect("event log");
    let _ = std::fs::remove_file(&log);
    let first = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["event"] == "hazard" && v["kind"] == "intersection_collision")
        .expect("a collision hazard");
    assert_eq!(first["values"]["beyond_line_of_sight"], true, "{first}");
    // Nothing about a signal: no controller, so no phase change or feed event.
    assert!(!text.contains("\"event\":\"signal\""), "{text}");
}

#[test]
fn permissive_left_turn() {
    let r = replay("left_turn");
    // Measured: warned 3.0 s before the conflict point (3.3 s before the 0.3 s confirm_s
    // hysteresis on start). The shared lane allows straight and
    // left; the car slows on a free road with a green ahead, which makes the left turn the
    // likelier way (detectors::intent), and left × oncoming straight passes min_probability.
    detected(&r, HazardKind::IntersectionCollision, 1, 2.5);
    assert_eq!(
        kind(&r, HazardKind::IntersectionCollision).false_warnings,
        0
    );
}

#[test]
fn right_turn_across_a_pedestrian() {
    let r = replay("right_turn_pedestrian");
    // Measured: warned 4.7 s before the car reaches the pedestrian's path (5.1 s before the
    // 0.3 s confirm_s hysteresis on start): the right-turn hypothesis of its straight-or-right lane, slowed
    // to the turn's speed, crosses the crosswalk she is on. No false warnings.
    detected(&r, HazardKind::VulnerableRoadUser, 1, 2.5);
    assert_eq!(kind(&r, HazardKind::VulnerableRoadUser).false_warnings, 0);
}

#[test]
fn truck_turning_across_a_cyclist() {
    let r = replay("truck_blind_spot");
    // Measured: warned 4.1 s before the conflict point (4.3 s before the 0.3 s confirm_s
    // hysteresis on start): the truck's right-turn hypothesis
    // crosses the cyclist riding alongside (a same-direction pair is checked when one turns).
    detected(&r, HazardKind::VulnerableRoadUser, 1, 2.5);
    assert_eq!(kind(&r, HazardKind::VulnerableRoadUser).false_warnings, 0);
}

#[test]
fn red_light_runner() {
    let log = std::env::temp_dir().join(format!("roadsight-rlr-{}.jsonl", std::process::id()));
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/hazards/red_light_runner.toml");
    let s = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let opts = RunOptions {
        event_log: Some(log.clone()),
        ..RunOptions::default()
    };
    let r = run(&s, "red_light_runner", &opts).expect("run");
    // Measured: violation 3.0 s before the stop line (the reaction time applied under any
    // red: 1 s + 15/(2·3) s = 3.5 s, less red_light.confirm_s = 0.5 s), seen done (the
    // same hazard updated) 0.2 s after the line. The car stopping beside it at 1.8 m/s² is
    // not flagged: one warning.
    detected(&r, HazardKind::RedLightViolation, 1, 2.5);
    assert_eq!(kind(&r, HazardKind::RedLightViolation).false_warnings, 0);
    assert_eq!(kind(&r, HazardKind::RedLightViolation).warnings, 1);
    // In the event log: started as predicted, then the same hazard updated as seen done.
    let text = std::fs::read_to_string(&log).expect("event log");
    let _ = std::fs::remove_file(&log);
    let red: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "hazard" && v["kind"] == "red_light_violation")
        .collect();
    let first = red.first().expect("a red-light hazard");
    assert_eq!(first["phase"], "start");
    assert!(first["values"].get("ran_red").is_none(), "{first}");
    let seen = red
        .iter()
        .find(|v| v["values"]["ran_red"] == true)
        .expect("the run seen done");
    assert_eq!(seen["phase"], "update");
    assert_eq!(seen["id"], first["id"]);
    assert_eq!(seen["priority"], 7);
}

#[test]
fn green_light_speed_advice() {
    let r = replay("glosa");
    // Measured: 3 of 3 advised 12.0 s before their stop line, 0.1 s after their track began.
    detected(&r, HazardKind::Glosa, 3, 10.0);
    for k in [
        HazardKind::IntersectionCollision,
        HazardKind::RedLightViolation,
    ] {
        assert_eq!(kind(&r, k).warnings, 0, "{k:?}");
    }
}

#[test]
fn near_miss_does_not_warn() {
    let r = replay("near_miss");
    // Measured: no warning (only GLOSA advice): PET 3.5 s is well above collision.pet_s.
    assert_eq!(kind(&r, HazardKind::IntersectionCollision).labelled, 0);
    for k in [
        HazardKind::IntersectionCollision,
        HazardKind::VulnerableRoadUser,
        HazardKind::RedLightViolation,
    ] {
        assert_eq!(kind(&r, k).warnings, 0, "{k:?}");
    }
}

#[test]
fn rush_hour_false_warnings() {
    let r = replay("rush_hour");
    // Measured on 60 s of vehicles with no conflict in the ground truth (the generator
    // checks that any two pass a crossing of their paths > 5 s apart, and leaves out a
    // vehicle its queue model would release too late for its green): no warning at all, only
    // GLOSA advice. Before track-quality gating, the reaction time for drivers not braking
    // and persistence on start: 8 false collision warnings, 2 false violations and 1 false
    // running (on the file before the generator's fix: 4 and 2, one of them a real runner
    // of the ground truth, car-18, released from a queue 75 m back 5 s before the yellow).
    // The collision warnings were all on tracks whose velocity was off (a ghost at 27 m/s,
    // tracks coasting through stopped queues: velocity standard deviation > 1.5 m/s, or
    // faster than 1.4 × the lane's limit without positions that show it); the violations
    // were late brakers judged before their braking showed.
    for k in [
        HazardKind::IntersectionCollision,
        HazardKind::VulnerableRoadUser,
        HazardKind::RedLightViolation,
    ] {
        assert_eq!(kind(&r, k).warnings, 0, "{k:?}: {:?}", kind(&r, k));
    }
}
