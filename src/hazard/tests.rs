use super::*;
use crate::map::{Lane, SiteMap};
use crate::scenario::LaneDirection;
use crate::signal::{GroupState, Interval};
use crate::world::{WorldObject, WorldSnapshot};

fn t0() -> Timestamp {
    Timestamp::from_micros(1_800_000_000_000_000)
}

fn obj(id: u32, class: Class, p: [f64; 2], v: [f64; 2]) -> WorldObject {
    WorldObject {
        vel_east_mps: v[0],
        vel_north_mps: v[1],
        seen_by: 0b101,
        ..WorldObject::well_tracked(id, class, p, v[1].atan2(v[0]), 0.0)
    }
}

/// One northbound ingress lane ending at a stop line at (0, −10), signal group 1.
fn map() -> SiteMap {
    SiteMap {
        lanes: vec![Lane {
            id: 1,
            approach: "south".into(),
            width_m: 3.5,
            centreline: vec![[0.0, -200.0], [0.0, -10.0]],
            direction: LaneDirection::Ingress,
            signal_group: Some(1),
            maneuvers: vec![],
            connects_to: vec![],
            speed_limit_mps: Some(14.0),
            path_cache: Default::default(),
        }],
        ..SiteMap::default()
    }
}

/// Group 1: `first` until `switch_s` from now, then `then` for 30 s.
fn signal(first: Light, switch_s: f64, then: Light) -> Vec<GroupState> {
    let a = Interval::exact(first, t0().add_secs(-10.0), t0().add_secs(switch_s));
    let b = Interval::exact(
        then,
        t0().add_secs(switch_s),
        t0().add_secs(switch_s + 30.0),
    );
    vec![GroupState::new(1, a, &[b])]
}

fn run(
    engine: &mut HazardEngine,
    at: f64,
    objects: Vec<WorldObject>,
    signals: &[GroupState],
    buildings: &[Vec<[f64; 2]>],
) -> Vec<HazardEvent> {
    let mut m = map();
    m.buildings = buildings
        .iter()
        .map(|b| crate::map::Building {
            name: None,
            footprint: b.clone(),
            height_m: Some(8.0),
        })
        .collect();
    run_on(engine, at, objects, signals, &m)
}

fn run_on(
    engine: &mut HazardEngine,
    at: f64,
    objects: Vec<WorldObject>,
    signals: &[GroupState],
    m: &SiteMap,
) -> Vec<HazardEvent> {
    let world = WorldSnapshot {
        time: t0().add_secs(at),
        objects,
    };
    let names = vec![
        "cam-a".to_string(),
        "cam-b".to_string(),
        "radar-c".to_string(),
    ];
    let inputs = Inputs {
        now: t0().add_secs(at),
        world: &world,
        map: m,
        signals,
        sensor_names: &names,
    };
    let mut out = Vec::new();
    engine.evaluate(t0().add_secs(at), &inputs, &mut out);
    out
}

#[test]
fn crossing_cars_warn_once_with_a_stable_id_and_end_when_clear() {
    let mut e = HazardEngine::new(HazardConfig::default());
    let house = vec![vec![
        [-30.0, -30.0],
        [-8.0, -30.0],
        [-8.0, -8.0],
        [-30.0, -8.0],
    ]];
    let pair = |t: f64| {
        vec![
            obj(1, Class::Car, [-40.0 + 10.0 * t, 0.0], [10.0, 0.0]),
            obj(2, Class::Car, [0.0, -42.0 + 10.0 * t], [0.0, 10.0]),
        ]
    };
    // 3.8 s from the conflict point (not yet critical): it must hold confirm_s (0.3 s).
    for k in 0..3 {
        let t = 0.1 * f64::from(k);
        let early = run(&mut e, t, pair(t), &[], &house);
        assert!(early.is_empty(), "not held long enough: {early:?}");
    }
    let second = run(&mut e, 0.3, pair(0.3), &[], &house);
    assert_eq!(second.len(), 1);
    let h = &second[0].hazard;
    assert_eq!(
        (second[0].phase, h.kind, h.road_users.clone()),
        (Phase::Start, HazardKind::IntersectionCollision, vec![1, 2])
    );
    assert!(
        h.values.beyond_line_of_sight,
        "the house hides them from each other"
    );
    assert_eq!(h.priority, 7, "collision course and hidden");
    assert!(h.values.ttc_s.is_some() && h.values.pet_s.unwrap() <= 0.0);
    let id = h.id;
    // Updates at most once a second, same ID.
    let mut updates = 0;
    for k in 4..=20 {
        for ev in run(
            &mut e,
            0.1 * f64::from(k),
            pair(0.1 * f64::from(k)),
            &[],
            &house,
        ) {
            assert_eq!((ev.phase, ev.hazard.id), (Phase::Update, id));
            updates += 1;
        }
    }
    assert_eq!(updates, 1);
    // They stop (or pass): the hazard ends after clear_after_s without it.
    let parked = vec![
        obj(1, Class::Car, [-5.0, 0.0], [0.0, 0.0]),
        obj(2, Class::Car, [0.0, -5.0], [0.0, 0.0]),
    ];
    assert!(run(&mut e, 2.1, parked.clone(), &[], &house).is_empty());
    let end = run(&mut e, 3.2, parked, &[], &house);
    assert_eq!(end.len(), 1);
    assert_eq!((end[0].phase, end[0].hazard.id), (Phase::End, id));
}

#[test]
fn a_near_miss_with_ample_gap_and_flicker_do_not_warn() {
    let mut e = HazardEngine::new(HazardConfig::default());
    // B passes the crossing 3.5 s before A: PET > 3 s.
    let near_miss = vec![
        obj(1, Class::Car, [-45.0, 0.0], [10.0, 0.0]),
        obj(2, Class::Car, [0.0, -10.0], [0.0, 10.0]),
    ];
    for k in 0..10 {
        assert!(run(&mut e, 0.1 * f64::from(k), near_miss.clone(), &[], &[]).is_empty());
    }
    // A finding that comes and goes every other evaluation never starts a hazard.
    let conflict = vec![
        obj(1, Class::Car, [-40.0, 0.0], [10.0, 0.0]),
        obj(2, Class::Car, [0.0, -42.0], [0.0, 10.0]),
    ];
    for k in 0..10 {
        let objs = if k % 2 == 0 {
            conflict.clone()
        } else {
            near_miss.clone()
        };
        assert!(
            run(&mut e, 1.0 + 0.1 * f64::from(k), objs, &[], &[]).is_empty(),
            "flicker at {k}"
        );
    }
}

#[test]
fn pedestrian_in_the_path_of_a_turning_car_is_a_vru_hazard() {
    let mut e = HazardEngine::new(HazardConfig::default());
    let objs = vec![
        obj(1, Class::Car, [-20.0, 5.0], [8.0, 0.0]),
        obj(2, Class::Pedestrian, [0.0, 1.0], [0.0, 1.4]),
    ];
    run(&mut e, 0.0, objs.clone(), &[], &[]);
    let ev = run(&mut e, 0.1, objs, &[], &[]);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0].hazard.kind, HazardKind::VulnerableRoadUser);
    assert_eq!(
        ev[0].hazard.classes,
        vec!["car".to_string(), "pedestrian".to_string()]
    );
}

#[test]
fn red_light_violation_uses_the_comfortable_deceleration() {
    let with_reaction = |reaction_s: f64| {
        let mut cfg = HazardConfig::default();
        cfg.red_light.reaction_time_s = reaction_s;
        cfg
    };
    let rlv = |e: &mut HazardEngine, car: WorldObject, sig: &[GroupState]| {
        run(e, 0.0, vec![car], sig, &[]);
        run(e, 0.0, vec![car], sig, &[])
            .into_iter()
            .filter(|e| e.hazard.kind == HazardKind::RedLightViolation)
            .collect::<Vec<_>>()
    };
    // Green for 1 s more, then red: at 14 m/s, 40 m from the line, arrival in 2.9 s on red.
    let sig = signal(Light::ProtectedGreen, 1.0, Light::Red);
    let at = |y: f64| obj(7, Class::Car, [0.0, y], [0.0, 14.0]);
    // Without a reaction time it can still stop: 14² / (2 · 40) = 2.45 m/s² ≤ 3.
    let mut e = HazardEngine::new(with_reaction(0.0));
    assert!(rlv(&mut e, at(-50.0), &sig).is_empty());
    // 30 m out it cannot: 196 / 60 = 3.27 m/s².
    let mut e = HazardEngine::new(with_reaction(0.0));
    let rl = rlv(&mut e, at(-40.0), &sig);
    assert_eq!(rl.len(), 1);
    assert!((rl[0].hazard.values.required_decel_mps2.unwrap() - 196.0 / 60.0).abs() < 1e-9);
    // With the default 1 s reaction time, 45 m out: 14² / (2 (45 − 14)) = 3.16 m/s² > 3;
    // braking now would still stop it comfortably (2.2 m/s²), so it must hold
    // red_light.confirm_s.
    assert_eq!(HazardConfig::default().red_light.reaction_time_s, 1.0);
    let confirm_s = HazardConfig::default().red_light.confirm_s;
    let mut e = HazardEngine::new(HazardConfig::default());
    let rl = approach(&mut e, -55.0, 14.0, 0.0, &sig, 1.0);
    assert_eq!(rl.len(), 1, "{rl:?}");
    assert!((rl[0].0 - confirm_s).abs() < 1e-6, "{rl:?}");
    let v = rl[0].1;
    let d = v.distance_m.unwrap();
    assert!((v.required_decel_mps2.unwrap() - 196.0 / (2.0 * (d - 14.0))).abs() < 1e-6);
    assert_eq!(
        (v.signal_now, v.signal_on_arrival),
        (Some(Light::ProtectedGreen), Some(Light::Red))
    );
    // Under a light long red the same: a driver not braking has not reacted, whatever the
    // light has shown. A comfortable stop braking now is still possible (2.45 m/s²), so the
    // finding must hold red_light.confirm_s before it starts.
    let red = signal(Light::Red, 20.0, Light::ProtectedGreen);
    let mut e = HazardEngine::new(HazardConfig::default());
    let starts = approach(&mut e, -55.0, 14.0, 0.0, &red, 1.0);
    assert_eq!(starts.len(), 1, "{starts:?}");
    assert!((starts[0].0 - confirm_s).abs() < 1e-6, "{starts:?}");
    // Braking at 2.5 m/s² from there: it has reacted and stops before the line.
    let mut e = HazardEngine::new(HazardConfig::default());
    assert!(approach(&mut e, -55.0, 14.0, 2.5, &red, 2.0).is_empty());
    // Cannot stop comfortably even braking now (196 / (2 · 28) = 3.5 m/s²): at once.
    let mut e = HazardEngine::new(HazardConfig::default());
    let starts = approach(&mut e, -38.0, 14.0, 0.0, &red, 0.5);
    assert!(starts.first().is_some_and(|s| s.0 < 0.15), "{starts:?}");
    // 80 m away it can stop comfortably (196 / (2 · 66) = 1.5 m/s²): no warning.
    let mut e = HazardEngine::new(with_reaction(1.0));
    assert!(rlv(&mut e, obj(8, Class::Car, [0.0, -90.0], [0.0, 14.0]), &sig).is_empty());
    // Disabling the detector stops exactly its hazards (GLOSA goes on).
    let mut cfg = HazardConfig::default();
    cfg.red_light.enabled = false;
    let mut e = HazardEngine::new(cfg);
    run(&mut e, 0.0, vec![at(-40.0)], &sig, &[]);
    let ev = run(&mut e, 0.0, vec![at(-40.0)], &sig, &[]);
    assert!(ev.iter().all(|e| e.hazard.kind == HazardKind::Glosa) && !ev.is_empty());
}

/// A car on lane 1 from `y0` at `v` braking at `decel` (the track moving as the car does),
/// evaluated every 0.1 s until `until_s`: when red-light violations started.
fn approach(
    e: &mut HazardEngine,
    y0: f64,
    v: f64,
    decel: f64,
    sig: &[GroupState],
    until_s: f64,
) -> Vec<(f64, Values)> {
    approach_braking_from(e, y0, v, (0.0, decel), sig, until_s)
}

/// As `approach`, the braking starting `brake.0` seconds in.
fn approach_braking_from(
    e: &mut HazardEngine,
    y0: f64,
    v: f64,
    brake: (f64, f64),
    sig: &[GroupState],
    until_s: f64,
) -> Vec<(f64, Values)> {
    let mut starts = Vec::new();
    for k in 0..=(until_s / 0.1).round() as u32 {
        let t = 0.1 * f64::from(k);
        let (onset, decel) = brake;
        let tb = (t - onset).max(0.0);
        let y = y0 + v * t - 0.5 * decel * tb * tb;
        let speed = (v - decel * tb).max(0.0);
        let car = obj(7, Class::Car, [0.0, y], [0.0, speed]);
        for ev in run(e, t, vec![car], sig, &[]) {
            if ev.phase == Phase::Start && ev.hazard.kind == HazardKind::RedLightViolation {
                starts.push((t, ev.hazard.values));
            }
        }
    }
    starts
}

#[test]
fn a_driver_braking_soon_after_the_rule_holds_is_not_warned_one_braking_later_is() {
    // 14 m/s, 45 m before the line of a long red: not braking, the rule (v·1 s + v²/(2·3))
    // holds at once, yet braking now would stop it at 2.2 m/s². The trade-off of
    // red_light.confirm_s, measured on clean tracks: a driver who starts braking (2.5 m/s²,
    // enough to stop) 0.2 s later shows it within confirm_s; one who waits 0.6 s is warned
    // at confirm_s, before its braking shows, as a runner is.
    let red = signal(Light::Red, 20.0, Light::ProtectedGreen);
    let confirm_s = HazardConfig::default().red_light.confirm_s;
    let starts = |onset_s: f64| {
        let mut e = HazardEngine::new(HazardConfig::default());
        approach_braking_from(&mut e, -55.0, 14.0, (onset_s, 2.5), &red, 2.0)
    };
    assert!(starts(0.2).is_empty(), "{:?}", starts(0.2));
    let late = starts(0.6);
    assert_eq!(late.len(), 1, "{late:?}");
    assert!((late[0].0 - confirm_s).abs() < 1e-6, "{late:?}");
}

#[test]
fn a_follower_behind_a_slower_vehicle_is_not_judged_against_the_line() {
    // Lane 1 under a long red: a car at 14 m/s 40 m out would need 3.77 m/s² after its
    // reaction time, but a car 20 m ahead of it is stopping: it brakes for that one first.
    let red = signal(Light::Red, 20.0, Light::ProtectedGreen);
    let mut e = HazardEngine::new(HazardConfig::default());
    let mut seen = Vec::new();
    for k in 0..6 {
        let t = 0.1 * f64::from(k);
        let cars = vec![
            obj(1, Class::Car, [0.0, -50.0 + 14.0 * t], [0.0, 14.0]),
            obj(2, Class::Car, [0.0, -30.0 + 3.0 * t], [0.0, 3.0]),
        ];
        seen.extend(run(&mut e, t, cars, &red, &[]));
    }
    assert!(
        !seen
            .iter()
            .any(|e| e.hazard.kind == HazardKind::RedLightViolation),
        "{seen:?}"
    );
}

#[test]
fn tracks_not_good_enough_are_not_warned_about() {
    // The pair of `crossing_cars_…` (a collision course), with one of them doubted.
    let pair = |t: f64, b: WorldObject| {
        let mut b = b;
        b.north_m += 10.0 * t;
        vec![obj(1, Class::Car, [-40.0 + 10.0 * t, 0.0], [10.0, 0.0]), b]
    };
    let warned = |b: &dyn Fn(f64) -> WorldObject| {
        let mut e = HazardEngine::new(HazardConfig::default());
        (0..10).any(|k| {
            let t = 0.1 * f64::from(k);
            run(&mut e, t, pair(t, b(t)), &[], &[])
                .iter()
                .any(|e| e.hazard.kind == HazardKind::IntersectionCollision)
        })
    };
    let good = |_: f64| obj(2, Class::Car, [0.0, -42.0], [0.0, 10.0]);
    assert!(warned(&good));
    // Just confirmed: too young.
    let young = |t: f64| WorldObject {
        age_s: 0.2,
        ..good(t)
    };
    assert!(!warned(&young));
    // Its velocity uncertain (3 m/s standard deviation).
    let uncertain = |t: f64| {
        let mut o = good(t);
        o.state_cov[2][2] = 9.0;
        o.state_cov[3][3] = 9.0;
        o
    };
    assert!(!warned(&uncertain));
    // No detection for 1.5 s: where it is now is only predicted.
    let coasting = |t: f64| WorldObject {
        since_update_s: 1.5,
        ..good(t)
    };
    assert!(!warned(&coasting));
    // Its velocity says 10 m/s north, its positions stand still (a track whose velocity
    // ran off): once its history shows it.
    let mut e = HazardEngine::new(HazardConfig::default());
    let mut events = Vec::new();
    for k in 0..10 {
        let t = 0.1 * f64::from(k);
        let objs = vec![
            obj(1, Class::Car, [-40.0 + 10.0 * t, 0.0], [10.0, 0.0]),
            obj(2, Class::Car, [0.0, -42.0], [0.0, 10.0]),
        ];
        events.extend(run(&mut e, t, objs, &[], &[]).into_iter().map(|ev| (t, ev)));
    }
    assert!(
        events.iter().all(|(t, _)| *t < 0.5),
        "nothing once the history shows it: {events:?}"
    );
    // Twice the lane's limit (14 m/s) with positions that do not show it.
    let cfg = HazardConfig::default();
    let h = detectors::quality::History::default();
    let fast = obj(3, Class::Car, [0.0, -60.0], [0.0, 30.0]);
    assert_eq!(
        h.doubt(&cfg.quality, &map(), &fast),
        Some(detectors::quality::Doubt::TooFast)
    );
}

/// A red-light violation seen done (the vehicle past its line on red).
fn seen_running(e: &HazardEvent) -> bool {
    e.hazard.kind == HazardKind::RedLightViolation && e.hazard.values.ran_red
}

#[test]
fn a_predicted_red_light_run_seen_done_is_the_same_hazard_updated_at_once() {
    let mut e = HazardEngine::new(HazardConfig::default());
    let sig = signal(Light::Red, 20.0, Light::ProtectedGreen);
    let mut seen = Vec::new();
    for k in 0..10 {
        let t = 0.1 * f64::from(k);
        let y = -14.0 + 1.0 * f64::from(k);
        let objs = vec![obj(3, Class::Car, [0.0, y], [0.0, 10.0])];
        seen.extend(
            run(&mut e, t, objs, &sig, &[])
                .into_iter()
                .map(|ev| (t, ev)),
        );
    }
    // 4 m before the line at 10 m/s: no stop even braking at once, a violation from the
    // first evaluation.
    let (t_start, start) = seen
        .iter()
        .find(|(_, ev)| ev.phase == Phase::Start)
        .expect("a start");
    assert_eq!(start.hazard.kind, HazardKind::RedLightViolation, "{seen:?}");
    assert!(!start.hazard.values.ran_red && *t_start < 0.15, "{seen:?}");
    // Then seen past the line (y = −10 at 0.4 s): the same hazard, updated at once (well
    // within update_interval_s), priority raised, the other rule named.
    let (t_run, run_ev) = seen
        .iter()
        .find(|(_, ev)| seen_running(ev))
        .expect("running seen");
    assert_eq!(run_ev.phase, Phase::Update, "{seen:?}");
    assert_eq!(run_ev.hazard.id, start.hazard.id);
    assert!(*t_run < 0.75, "{t_run}");
    assert!(run_ev.hazard.priority > start.hazard.priority);
    assert_eq!(
        run_ev.hazard.rule,
        "red_light: crossed the stop line on red"
    );
    assert_eq!(
        seen.iter()
            .filter(|(_, ev)| ev.phase == Phase::Start
                && ev.hazard.kind == HazardKind::RedLightViolation)
            .count(),
        1,
        "{seen:?}"
    );
}

#[test]
fn a_track_coasting_over_the_line_on_red_has_not_been_seen_to_run_it() {
    // 10 m/s over the line (y = −10) under a long red, evaluated every 0.1 s; the last
    // detection at `last_seen` (None: detections all along), then one again at `again`.
    let sig = signal(Light::Red, 20.0, Light::ProtectedGreen);
    let running = |last_seen: Option<u32>, again: Option<u32>| {
        let mut e = HazardEngine::new(HazardConfig::default());
        let mut at = None;
        for k in 0..30 {
            let t = 0.1 * f64::from(k);
            let mut car = obj(3, Class::Car, [0.0, -14.0 + 10.0 * t], [0.0, 10.0]);
            let updated = match (last_seen, again) {
                (Some(_), Some(a)) if k >= a => a,
                (Some(l), _) => l.min(k),
                (None, _) => k,
            };
            car.since_update_s = 0.05 + 0.1 * f64::from(k - updated);
            for ev in run(&mut e, t, vec![car], &sig, &[]) {
                if ev.phase != Phase::End && seen_running(&ev) {
                    at.get_or_insert(t);
                }
            }
        }
        at
    };
    // Seen all along: running as soon as a detection shows it past the line (0.4 s in).
    assert!(
        running(None, None).is_some_and(|t| t < 0.75),
        "{:?}",
        running(None, None)
    );
    // Last seen 1 m before the line, its track coasting on: not seen to run the light.
    assert_eq!(running(Some(3), None), None);
    // Hidden at the line and seen again 2 m past it: running.
    assert!(running(Some(3), Some(6)).is_some_and(|t| t < 0.85));
}

#[test]
fn glosa_gives_the_speed_range_that_arrives_on_green() {
    let mut e = HazardEngine::new(HazardConfig::default());
    // Red for 10 s, then green for 30 s; 150 m from the line: arrive in [10, 40] s →
    // speeds 3.75..15 m/s, within 4 m/s (minimum advised) and the 14 m/s limit.
    let sig = signal(Light::Red, 10.0, Light::ProtectedGreen);
    let car = vec![obj(5, Class::Car, [0.0, -160.0], [0.0, 12.0])];
    run(&mut e, 0.0, car.clone(), &sig, &[]);
    let ev = run(&mut e, 0.0, car, &sig, &[]);
    let g = ev
        .iter()
        .find(|e| e.hazard.kind == HazardKind::Glosa)
        .expect("advice");
    let v = g.hazard.values;
    assert_eq!(
        (v.advice_min_mps, v.advice_max_mps, v.advice_stop),
        (Some(4.0), Some(14.0), false)
    );
    // 20 m from the line with 2 s of green left at a 14 m/s limit: 20/2 = 10 m/s works.
    let sig = signal(Light::ProtectedGreen, 2.0, Light::Red);
    let mut e = HazardEngine::new(HazardConfig::default());
    let near = vec![obj(6, Class::Car, [0.0, -30.0], [0.0, 12.0])];
    run(&mut e, 0.0, near.clone(), &sig, &[]);
    let ev = run(&mut e, 0.0, near, &sig, &[]);
    let v = ev
        .iter()
        .find(|e| e.hazard.kind == HazardKind::Glosa)
        .unwrap()
        .hazard
        .values;
    assert_eq!(
        (v.advice_min_mps, v.advice_max_mps),
        (Some(10.0), Some(14.0))
    );
    // 60 m with 2 s of green left and the next green beyond what is known: stop.
    let mut e = HazardEngine::new(HazardConfig::default());
    let far = vec![obj(9, Class::Car, [0.0, -70.0], [0.0, 12.0])];
    run(&mut e, 0.0, far.clone(), &sig, &[]);
    let ev = run(&mut e, 0.0, far, &sig, &[]);
    assert!(
        ev.iter()
            .find(|e| e.hazard.kind == HazardKind::Glosa)
            .unwrap()
            .hazard
            .values
            .advice_stop
    );
}

#[test]
fn suppression_zones_and_config_validation() {
    let mut cfg = HazardConfig {
        suppression_zones: vec![vec![[-5.0, -5.0], [5.0, -5.0], [5.0, 5.0], [-5.0, 5.0]]],
        ..HazardConfig::default()
    };
    let mut e = HazardEngine::new(cfg.clone());
    let objs = vec![
        obj(1, Class::Car, [-40.0, 0.0], [10.0, 0.0]),
        obj(2, Class::Car, [0.0, -42.0], [0.0, 10.0]),
    ];
    run(&mut e, 0.0, objs.clone(), &[], &[]);
    assert!(
        run(&mut e, 0.1, objs, &[], &[]).is_empty(),
        "the conflict point is in the zone"
    );
    assert!(cfg.validate().is_ok());
    cfg.collision.pet_s = -1.0;
    assert_eq!(cfg.validate().unwrap_err().0, "hazards.collision.pet_s");
    // A firm stop softer than a comfortable one is a mistake.
    let mut cfg = HazardConfig::default();
    cfg.red_light.firm_decel_mps2 = 2.0;
    let (field, why) = cfg.validate().unwrap_err();
    assert_eq!(field, "hazards.red_light.firm_decel_mps2");
    assert!(why.contains("comfortable_decel_mps2"), "{why}");
}

#[test]
fn a_truck_between_them_hides_two_cars_but_a_low_car_does_not() {
    let mut e = HazardEngine::new(HazardConfig::default());
    let pair = vec![
        obj(1, Class::Car, [-40.0, 0.0], [10.0, 0.0]),
        obj(2, Class::Car, [0.0, -42.0], [0.0, 10.0]),
    ];
    let mut with_truck = pair.clone();
    with_truck.push(obj(3, Class::Truck, [-20.0, -21.0], [0.0, 0.0]));
    for k in 0..3 {
        run(&mut e, 0.1 * f64::from(k), with_truck.clone(), &[], &[]);
    }
    let ev = run(&mut e, 0.3, with_truck, &[], &[]);
    let h = ev
        .iter()
        .find(|e| e.hazard.kind == HazardKind::IntersectionCollision)
        .expect("warned");
    assert!(h.hazard.values.beyond_line_of_sight);
    let mut e = HazardEngine::new(HazardConfig::default());
    let mut with_car = pair;
    with_car.push(obj(3, Class::Car, [-20.0, -21.0], [0.0, 0.0]));
    for k in 0..3 {
        run(&mut e, 0.1 * f64::from(k), with_car.clone(), &[], &[]);
    }
    let ev = run(&mut e, 0.3, with_car, &[], &[]);
    let h = ev
        .iter()
        .find(|e| e.hazard.kind == HazardKind::IntersectionCollision)
        .expect("warned");
    // A car is as tall as the eyes: only trucks and buses are counted as hiding.
    assert!(!h.hazard.values.beyond_line_of_sight);
}

/// `map()` with a crosswalk (MAP lane 60) across the box just past lane 1's stop line.
fn map_with_crosswalk() -> SiteMap {
    let mut m = map();
    m.crosswalks = vec![crate::map::Crosswalk {
        id: 60,
        approach: "south".into(),
        polygon: vec![[-8.0, -9.0], [8.0, -9.0], [8.0, -6.0], [-8.0, -6.0]],
        centreline: vec![[-8.0, -7.5], [8.0, -7.5]],
        width_m: 3.0,
        signal_group: None,
    }];
    m
}

#[test]
fn a_pedestrian_on_or_entering_a_crosswalk_a_vehicle_crosses_is_a_vru_hazard() {
    let m = map_with_crosswalk();
    // The car on lane 1 at 10 m/s reaches the crosswalk in about 3 s.
    let car = obj(1, Class::Car, [0.0, -40.0], [0.0, 10.0]);
    // Four evaluations (0.3 s: confirm_s) of the same scene.
    let vru = |e: &mut HazardEngine, ped: WorldObject, car: WorldObject| {
        (0..4)
            .flat_map(|k| run_on(e, 0.1 * f64::from(k), vec![car, ped], &[], &m))
            .filter(|e| e.hazard.kind == HazardKind::VulnerableRoadUser)
            .collect::<Vec<_>>()
    };
    // Standing on the crosswalk 5 m off the car's line: the paths never cross (and she is
    // too slow for the point rule), but she is on the crosswalk the car drives over.
    let mut e = HazardEngine::new(HazardConfig::default());
    let standing = obj(2, Class::Pedestrian, [5.0, -7.5], [0.0, 0.0]);
    let ev = vru(&mut e, standing, car);
    assert_eq!(ev.len(), 1, "{ev:?}");
    let h = &ev[0].hazard;
    assert_eq!(h.road_users, vec![1, 2]);
    assert_eq!(h.values.crosswalk, Some(60));
    assert!(h.values.pet_s.unwrap() <= 0.0, "{:?}", h.values);
    assert!(h.rule.contains("crosswalk"), "{}", h.rule);
    let t = h.values.time_to_conflict_s.unwrap();
    assert!((2.5..3.2).contains(&t), "{t}");
    // About to enter: walking towards it from the kerb 2 m off, 1.4 m/s.
    let mut e = HazardEngine::new(HazardConfig::default());
    let coming = obj(2, Class::Pedestrian, [10.0, -7.5], [-1.4, 0.0]);
    assert_eq!(vru(&mut e, coming, car).len(), 1);
    // Beside it, or walking away from it: nothing.
    let mut e = HazardEngine::new(HazardConfig::default());
    let beside = obj(2, Class::Pedestrian, [5.0, -3.0], [0.0, 0.0]);
    assert!(vru(&mut e, beside, car).is_empty());
    let mut e = HazardEngine::new(HazardConfig::default());
    let leaving = obj(2, Class::Pedestrian, [9.0, -7.5], [1.4, 0.0]);
    assert!(vru(&mut e, leaving, car).is_empty());
    // A vehicle whose path does not cross the crosswalk, or crosses it long after she
    // has left: nothing.
    let mut e = HazardEngine::new(HazardConfig::default());
    let elsewhere = obj(1, Class::Car, [-40.0, 20.0], [10.0, 0.0]);
    assert!(vru(&mut e, standing, elsewhere).is_empty());
    let mut e = HazardEngine::new(HazardConfig::default());
    let crossing = obj(2, Class::Pedestrian, [7.5, -7.5], [-1.4, 0.0]);
    let far = obj(1, Class::Car, [0.0, -150.0], [0.0, 10.0]);
    assert!(vru(&mut e, crossing, far).is_empty());
    // A cyclist riding along the crosswalk (across the road) is on it; one riding up the
    // lane ahead of the car passes over it with the traffic and is not (the paths' rule
    // judges that pair, and a follower does not cross its leader).
    let mut e = HazardEngine::new(HazardConfig::default());
    let across = obj(3, Class::Bicycle, [6.0, -7.5], [-4.0, 0.0]);
    assert_eq!(vru(&mut e, across, car).len(), 1);
    let mut e = HazardEngine::new(HazardConfig::default());
    let ahead = obj(3, Class::Bicycle, [0.5, -14.0], [0.0, 5.0]);
    assert!(vru(&mut e, ahead, car).is_empty());
    // Disabled with the VRU detector.
    let mut cfg = HazardConfig::default();
    cfg.vru.enabled = false;
    let mut e = HazardEngine::new(cfg);
    assert!(vru(&mut e, standing, car).is_empty());
}

#[test]
fn glosa_per_lane_without_any_vehicle() {
    // Lane 1: 190 m to its stop line, limit 14 m/s (250 m advice range covers it).
    let m = map();
    let mut e = HazardEngine::new(HazardConfig::default());
    // Red for 10 s, then green for 30 s: arrive between 10 s and 40 s: 190/40 = 4.75 to
    // min(190/10, 14) = 14 m/s.
    let sig = signal(Light::Red, 10.0, Light::ProtectedGreen);
    assert!(run_on(&mut e, 0.0, vec![], &sig, &m).is_empty());
    let a = e.lane_advice();
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!((a[0].lane, a[0].signal_group), (1, 1));
    assert!((a[0].distance_m - 190.0).abs() < 1e-9);
    assert_eq!(a[0].signal_now, Some(Light::Red));
    match a[0].advice {
        Advice::Speed { min_mps, max_mps } => {
            assert!((min_mps - 190.0 / 40.0).abs() < 1e-9, "{min_mps}");
            assert!((max_mps - 14.0).abs() < 1e-9, "{max_mps}");
        }
        Advice::Stop => panic!("{a:?}"),
    }
    // Green for 5 s more, then red for 30 s: 190 m in 5 s needs 38 m/s, and the next green
    // is not known: stop.
    let sig = signal(Light::ProtectedGreen, 5.0, Light::Red);
    run_on(&mut e, 0.0, vec![], &sig, &m);
    assert_eq!(e.lane_advice()[0].advice, Advice::Stop);
    let json = serde_json::to_value(&e.lane_advice()[0]).expect("json");
    assert_eq!(json["advice"], "stop");
    // Without signal timing, or with GLOSA disabled: no advice.
    run_on(&mut e, 0.0, vec![], &[], &m);
    assert!(e.lane_advice().is_empty());
    let mut cfg = HazardConfig::default();
    cfg.glosa.enabled = false;
    let mut e = HazardEngine::new(cfg);
    run_on(&mut e, 0.0, vec![], &sig, &m);
    assert!(e.lane_advice().is_empty());
}

/// Lane 1 of `map()` without a group of its own, as a SUMO network's or a real MAP's lanes
/// are: straight on to lane 2 on signal group 2, right to lane 3 on group 3.
fn map_with_movement_groups() -> SiteMap {
    let mut m = map();
    m.lanes[0].signal_group = None;
    let egress = |id: u8, centreline: Vec<[f64; 2]>| Lane {
        id,
        approach: "exit".into(),
        width_m: 3.5,
        centreline,
        direction: LaneDirection::Egress,
        signal_group: None,
        maneuvers: vec![],
        connects_to: vec![],
        speed_limit_mps: Some(14.0),
        path_cache: Default::default(),
    };
    m.lanes.push(egress(2, vec![[0.0, 10.0], [0.0, 200.0]]));
    m.lanes.push(egress(3, vec![[10.0, -3.0], [200.0, -3.0]]));
    let connection =
        |to: u8, maneuver, group: u8, connector: Vec<[f64; 2]>| crate::map::Connection {
            from: 1,
            to,
            maneuver,
            signal_group: Some(group),
            right_of_way: Default::default(),
            connector,
        };
    m.connections = vec![
        connection(
            2,
            crate::scenario::Maneuver::Straight,
            2,
            vec![[0.0, -10.0], [0.0, 10.0]],
        ),
        connection(
            3,
            crate::scenario::Maneuver::Right,
            3,
            vec![[0.0, -10.0], [3.0, -5.0], [10.0, -3.0]],
        ),
    ];
    m
}

/// Groups 2 and 3: `straight` and `right` for 40 s (since 10 s ago).
fn movement_signals(straight: Light, right: Light) -> Vec<GroupState> {
    let group = |id: u8, light: Light| {
        let iv = Interval::exact(light, t0().add_secs(-10.0), t0().add_secs(40.0));
        GroupState::new(id, iv, &[])
    };
    vec![group(2, straight), group(3, right)]
}

#[test]
fn movements_with_their_own_signal_groups_are_judged_by_them() {
    let m = map_with_movement_groups();
    // GLOSA: one advice per group of the lane's movements.
    let mut e = HazardEngine::new(HazardConfig::default());
    let sig = movement_signals(Light::Red, Light::ProtectedGreen);
    run_on(&mut e, 0.0, vec![], &sig, &m);
    let groups: Vec<(u8, u8)> = e
        .lane_advice()
        .iter()
        .map(|a| (a.lane, a.signal_group))
        .collect();
    assert_eq!(groups, vec![(1, 2), (1, 3)]);
    // A car at 14 m/s not slowing 55 m out: it goes straight on, and straight on is red: a
    // violation once it has held red_light.confirm_s, named by group 2's light.
    let violations = |sig: &[GroupState]| {
        let mut e = HazardEngine::new(HazardConfig::default());
        let mut starts = Vec::new();
        for k in 0..=10 {
            let t = 0.1 * f64::from(k);
            let car = obj(7, Class::Car, [0.0, -55.0 + 14.0 * t], [0.0, 14.0]);
            for ev in run_on(&mut e, t, vec![car], sig, &m) {
                if ev.phase == Phase::Start && ev.hazard.kind == HazardKind::RedLightViolation {
                    starts.push((t, ev.hazard.values));
                }
            }
        }
        starts
    };
    let starts = violations(&sig);
    let confirm_s = HazardConfig::default().red_light.confirm_s;
    assert_eq!(starts.len(), 1, "{starts:?}");
    assert!((starts[0].0 - confirm_s).abs() < 1e-6, "{starts:?}");
    assert_eq!(starts[0].1.signal_now, Some(Light::Red));
    // Straight on green and only the right turn red: it is not running anything.
    let other_way = movement_signals(Light::ProtectedGreen, Light::Red);
    assert!(violations(&other_way).is_empty());
    // Before, with no group on the lane, none of this was judged at all.
    let mut without = m.clone();
    without
        .connections
        .iter_mut()
        .for_each(|c| c.signal_group = None);
    let mut e = HazardEngine::new(HazardConfig::default());
    run_on(&mut e, 0.0, vec![], &sig, &without);
    assert!(e.lane_advice().is_empty());
}

#[test]
fn a_car_that_can_stop_firmly_for_its_red_is_predicted_to_until_its_violation_holds() {
    // Lane 1 under a long red; a car at 14 m/s 32 m before the line needs 3.06 m/s²: more
    // than a comfortable stop (so the violation starts at once), less than a firm one (6
    // m/s² here, so that it stays so for over a second). A car crossing the box on green
    // meets it there if it does not stop.
    let red = signal(Light::Red, 20.0, Light::ProtectedGreen);
    let starts_with = |firm: f64, red_light: bool| {
        let mut cfg = HazardConfig::default();
        cfg.red_light.firm_decel_mps2 = firm;
        cfg.red_light.enabled = red_light;
        let mut e = HazardEngine::new(cfg);
        let mut first = std::collections::BTreeMap::new();
        for k in 0..=15 {
            let t = 0.1 * f64::from(k);
            let car = obj(1, Class::Car, [0.0, -42.0 + 14.0 * t], [0.0, 14.0]);
            // Eastbound along y = −8, at x = 0 some 0.2 s after the car would be.
            let cross = obj(2, Class::Car, [-36.4 + 14.0 * t, -8.0], [14.0, 0.0]);
            for ev in run_on(&mut e, t, vec![car, cross], &red, &map()) {
                if ev.phase == Phase::Start {
                    first.entry(ev.hazard.kind).or_insert(t);
                }
            }
        }
        first
    };
    let starts = |firm: f64| starts_with(firm, true);
    let first = starts(6.0);
    assert!(first[&HazardKind::RedLightViolation] < 0.15, "{first:?}");
    // The collision comes only once the violation has held red_light.confirm_s not
    // braking: until then the car is taken to stop.
    let confirm_s = HazardConfig::default().red_light.confirm_s;
    let collision = first.get(&HazardKind::IntersectionCollision).copied();
    assert!(
        collision.is_some_and(|t| (confirm_s - 1e-6..confirm_s + 0.5).contains(&t)),
        "{first:?}"
    );
    // Its warnings disabled, the red-light rule still judges who runs: the collision comes
    // at the same moment, and only the red-light warnings are gone.
    let without = starts_with(6.0, false);
    assert_eq!(
        without.get(&HazardKind::IntersectionCollision).copied(),
        collision
    );
    assert!(
        !without.contains_key(&HazardKind::RedLightViolation),
        "{without:?}"
    );
    // Taken to run as soon as a comfortable stop is out of reach, it would be warned of at
    // once.
    let comfortable = HazardConfig::default().red_light.comfortable_decel_mps2;
    let first = starts(comfortable);
    let collision = first.get(&HazardKind::IntersectionCollision).copied();
    assert!(collision.is_some_and(|t| t < 0.5), "{first:?}");
}

#[test]
fn a_pedestrian_at_the_kerb_waits_for_the_crosswalk_light() {
    // The crosswalk of `map_with_crosswalk` on pedestrian group 2; the car's lane on group 1,
    // green throughout.
    let mut m = map_with_crosswalk();
    m.crosswalks[0].signal_group = Some(2);
    let lights = |walk: Light| {
        let iv = |l| Interval::exact(l, t0().add_secs(-10.0), t0().add_secs(40.0));
        vec![
            GroupState::new(1, iv(Light::ProtectedGreen), &[]),
            GroupState::new(2, iv(walk), &[]),
        ]
    };
    let car = obj(1, Class::Car, [0.0, -40.0], [0.0, 10.0]);
    let vru = |ped: WorldObject, sig: &[GroupState]| {
        let mut e = HazardEngine::new(HazardConfig::default());
        (0..4)
            .flat_map(|k| run_on(&mut e, 0.1 * f64::from(k), vec![car, ped], sig, &m))
            .filter(|e| e.hazard.kind == HazardKind::VulnerableRoadUser)
            .count()
    };
    // Walking up to it from the kerb: warned on a walk light, not on a red (she waits).
    let coming = obj(2, Class::Pedestrian, [10.0, -7.5], [-1.4, 0.0]);
    assert_eq!(vru(coming, &lights(Light::ProtectedGreen)), 1);
    assert_eq!(vru(coming, &lights(Light::Red)), 0);
    // Already on it when it is red: still in the car's way.
    let on_it = obj(2, Class::Pedestrian, [5.0, -7.5], [-1.4, 0.0]);
    assert_eq!(vru(on_it, &lights(Light::Red)), 1);
}

#[test]
fn the_former_running_kind_reads_as_a_red_light_violation() {
    let k: HazardKind = serde_json::from_str("\"red_light_running\"").expect("alias");
    assert_eq!(k, HazardKind::RedLightViolation);
    assert_eq!(k.name(), "red_light_violation");
    assert!(serde_json::from_str::<HazardKind>("\"red_light_runner\"").is_err());
}
