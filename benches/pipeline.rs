//! One pipeline cycle with 200 road users: 100 ms of site time, in which two cameras (10 Hz)
//! and two radars (20 Hz) deliver their frames, the tracker processes them, and the RSM (13
//! messages), SPAT and, once a second, MAP are built and encoded. The simulated sensors'
//! own work (truth, noise) is inside the measurement; their occlusion test is switched off.

use criterion::{criterion_group, criterion_main, Criterion};
use roadsight::pipeline::driver::{ScenarioDriver, Sink};
use roadsight::pipeline::Transmit;
use roadsight::scenario::{RoadUserClass, RoadUserSpec, Scenario};

struct Count(usize);

impl Sink for Count {
    fn transmit(&mut self, _tx: &Transmit) {
        self.0 += 1;
    }
}

/// The default site with 200 road users on long straight paths through it, and sensors
/// that between them see the whole area (each looking at the centre from its corner pole,
/// 170° wide: a radar or camera sees nothing behind it).
fn busy_scenario() -> Scenario {
    let mut s = Scenario::default_scenario().expect("default scenario");
    s.run.duration_s = 10_000.0;
    if std::env::var_os("BENCH_NO_HAZARDS").is_some() {
        s.hazards.collision.enabled = false;
        s.hazards.vru.enabled = false;
        s.hazards.red_light.enabled = false;
        s.hazards.glosa.enabled = false;
    }
    for sensor in &mut s.sensors {
        sensor.fov_deg = 170.0;
        sensor.range_m = 600.0;
        // The line-of-sight test is the simulator's cost, not the pipeline's.
        sensor.occlusion = false;
    }
    s.road_users = (0..200)
        .map(|i| {
            let lane = f64::from(i % 20) * 4.0 - 40.0;
            let offset = f64::from(i / 20) * 40.0;
            let eastbound = i % 2 == 0;
            let (a, b) = if eastbound {
                ([-400.0 + offset, lane], [30_000.0, lane])
            } else {
                ([lane, 400.0 - offset], [lane, -30_000.0])
            };
            RoadUserSpec {
                id: format!("u{i}"),
                class: if i % 10 == 0 {
                    RoadUserClass::Pedestrian
                } else {
                    RoadUserClass::Car
                },
                length_m: None,
                width_m: None,
                start_s: 0.0,
                path: vec![a, b],
                speed: vec![[0.0, if i % 10 == 0 { 1.4 } else { 3.0 }]],
            }
        })
        .collect();
    s
}

fn bench(c: &mut Criterion) {
    let s = busy_scenario();
    let start = s.start();
    let mut driver = ScenarioDriver::new(&s, start)
        .expect("driver")
        .without_evaluation();
    let mut sink = Count(0);
    // Ten seconds in, every road user has a confirmed track.
    let mut now = start.add_secs(10.0);
    driver.step(now, &mut sink);
    let tracked = driver.pipeline().world().objects.len();
    assert!(tracked >= 190, "only {tracked} tracks");
    c.bench_function("pipeline_100ms_200_road_users", |b| {
        b.iter(|| {
            now = now.add_secs(0.1);
            driver.step(now, &mut sink);
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
