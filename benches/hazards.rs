//! Hazard evaluation at site scale: 500 tracks on the bundled 4-approach intersection (8
//! ingress and 8 egress lanes, pedestrians walking across the lane ends, the fixed-time
//! signal plan). One frame is one
//! `HazardEngine::evaluate` (map matching, per-way path prediction, every pair's conflicts,
//! crosswalks, signal rules, GLOSA per lane and per vehicle, the lifecycle); the world
//! advances 0.1 s between frames so that the tracks move along their lanes.

use criterion::{criterion_group, criterion_main, Criterion};
use roadsight::fusion::Class;
use roadsight::hazard::{HazardConfig, HazardEngine, HazardEvent, Inputs};
use roadsight::map::SiteMap;
use roadsight::scenario::Scenario;
use roadsight::signal::{GroupState, SignalController};
use roadsight::time::Timestamp;
use roadsight::world::{WorldObject, WorldSnapshot};

const TRACKS: usize = 500;
/// Share of the tracks that are pedestrians walking across the crosswalks.
const PEDESTRIANS: usize = 60;
const FRAME_S: f64 = 0.1;

fn object(id: u32, class: Class, p: [f64; 2], yaw: f64, speed: f64) -> WorldObject {
    WorldObject::well_tracked(id, class, p, yaw, speed)
}

/// Vehicles spread evenly over every lane (a truck or bus now and then), pedestrians
/// spread over the crosswalks, all moving; at `t` seconds after the start.
fn world(map: &SiteMap, t: f64) -> Vec<WorldObject> {
    let mut out = Vec::with_capacity(TRACKS);
    let vehicles = TRACKS - PEDESTRIANS;
    let lanes: Vec<_> = map.lanes.iter().filter_map(|l| l.path()).collect();
    for i in 0..vehicles {
        let line = &lanes[i % lanes.len()];
        let k = i / lanes.len();
        let per_lane = vehicles.div_ceil(lanes.len());
        let speed = 8.0 + (i % 7) as f64;
        let s = (line.length_m() * k as f64 / per_lane as f64 + speed * t) % line.length_m();
        let at = line.at(s);
        let class = match i % 23 {
            5 => Class::Truck,
            11 => Class::Bus,
            _ => Class::Car,
        };
        out.push(object(i as u32 + 1, class, at.position, at.yaw_rad, speed));
    }
    // Crossings: the map's crosswalks, or (the bundled map has none) a 14 m walk across
    // each ingress lane's end, where a crosswalk would be.
    let mut walks: Vec<[[f64; 2]; 2]> = map
        .crosswalks
        .iter()
        .filter(|c| c.centreline.len() >= 2)
        .map(|c| [c.centreline[0], c.centreline[c.centreline.len() - 1]])
        .collect();
    if walks.is_empty() {
        walks = map
            .lanes
            .iter()
            .filter_map(|l| {
                let line = l.path()?;
                let end = line.at(line.length_m());
                let (s, c) = end.yaw_rad.sin_cos();
                let p = [end.position[0] + 2.0 * c, end.position[1] + 2.0 * s];
                Some([
                    [p[0] + 7.0 * s, p[1] - 7.0 * c],
                    [p[0] - 7.0 * s, p[1] + 7.0 * c],
                ])
            })
            .collect();
    }
    for j in 0..PEDESTRIANS {
        let [a, b] = walks[j % walks.len()];
        let len = (b[0] - a[0]).hypot(b[1] - a[1]);
        let f = ((j as f64 / PEDESTRIANS as f64) + 1.4 * t / len) % 1.0;
        let p = [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])];
        let yaw = (b[1] - a[1]).atan2(b[0] - a[0]);
        out.push(object(
            (vehicles + j) as u32 + 1,
            Class::Pedestrian,
            p,
            yaw,
            1.4,
        ));
    }
    out
}

fn bench(c: &mut Criterion) {
    let s = Scenario::default_scenario().expect("the bundled scenario");
    let map = SiteMap::from_spec(&s.map);
    let start: Timestamp = s.start();
    let signal = SignalController::from_plan(s.signal.as_ref(), start);
    let names = vec!["cam".to_string()];
    let mut engine = HazardEngine::new(HazardConfig::default());
    let mut signals: Vec<GroupState> = Vec::new();
    let mut events: Vec<HazardEvent> = Vec::new();
    // Frames precomputed so that only the evaluation is timed: 30 s of site time.
    let frames: Vec<WorldSnapshot> = (0..300)
        .map(|k| {
            let t = k as f64 * FRAME_S;
            WorldSnapshot {
                time: start.add_secs(t),
                objects: world(&map, t),
            }
        })
        .collect();
    assert_eq!(frames[0].objects.len(), TRACKS);
    let mut k = 0usize;
    let mut hazards = 0usize;
    c.bench_function("hazards/evaluate_500_tracks_4_approaches", |b| {
        b.iter(|| {
            let w = &frames[k % frames.len()];
            // Past the precomputed 30 s the same frames repeat on a clock that goes on.
            let now = start.add_secs(k as f64 * FRAME_S);
            k += 1;
            signal.states_at(now, &mut signals);
            let inputs = Inputs {
                now,
                world: w,
                map: &map,
                signals: &signals,
                sensor_names: &names,
            };
            events.clear();
            engine.evaluate(now, &inputs, &mut events);
            hazards += events.len();
            std::hint::black_box(&events);
        })
    });
    eprintln!(
        "hazards bench: {k} frames, {hazards} hazard events, {} in force at the end, {} lanes advised",
        engine.active().count(),
        engine.lane_advice().len()
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
