//! The fusion stress scenarios (scenarios/fusion/, made by tools/make_fusion_scenarios.py):
//! each is replayed and its tracking quality held to what the tracker honestly reaches today
//! (measured values in the comments; the thresholds leave a margin for a change of noise).

use roadsight::replay::{run, RunOptions, RunSummary};
use roadsight::scenario::Scenario;
use std::path::Path;

fn replay(name: &str) -> RunSummary {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/fusion")
        .join(format!("{name}.toml"));
    let s = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let r = run(&s, name, &RunOptions::default()).expect("run");
    assert_eq!(r.failed_messages, 0);
    assert_eq!(
        r.road_users_tracked, r.road_users_seen,
        "{name}: every road user in view gets a track"
    );
    r
}

#[test]
fn dense_traffic() {
    let r = replay("dense");
    assert!(r.road_users_seen >= 100);
    // Measured: RMSE 0.352 m, 98.8 % of in-view samples tracked.
    assert!(r.position_rmse_m < 0.45, "{}", r.position_rmse_m);
    assert!(r.tracked_share > 0.975, "{}", r.tracked_share);
}

#[test]
fn pedestrian_crowd() {
    let r = replay("crowd");
    // Measured: RMSE 0.262 m, 99.1 %.
    assert!(r.position_rmse_m < 0.35, "{}", r.position_rmse_m);
    assert!(r.tracked_share > 0.98, "{}", r.tracked_share);
}

#[test]
fn sensor_dropout() {
    let r = replay("dropout");
    // Measured: RMSE 0.331 m, 99.0 %: the other sensors carry the tracks for 5 s.
    assert!(r.position_rmse_m < 0.42, "{}", r.position_rmse_m);
    assert!(r.tracked_share > 0.98, "{}", r.tracked_share);
}

#[test]
fn late_sensor_with_clock_offset() {
    let r = replay("latency");
    // Measured: RMSE 0.442 m, 98.3 %. The reorder window holds every frame until the
    // latest sensor's frames of the same instant have arrived; the offset is corrected.
    assert!(r.position_rmse_m < 0.55, "{}", r.position_rmse_m);
    assert!(r.tracked_share > 0.97, "{}", r.tracked_share);
}

#[test]
fn radar_ghosts_and_clutter() {
    let r = replay("ghosts");
    // Measured: RMSE 0.325 m, 99.0 %.
    assert!(r.position_rmse_m < 0.42, "{}", r.position_rmse_m);
    assert!(r.tracked_share > 0.98, "{}", r.tracked_share);
}

#[test]
fn truck_hides_a_car() {
    let r = replay("occlusion");
    // Measured: RMSE 0.328 m, 94.8 % of the samples in which a sensor could see the car or
    // the truck. Whether the car keeps its ID through the occlusion is the next step (issue 5).
    assert!(r.position_rmse_m < 0.42, "{}", r.position_rmse_m);
    assert!(r.tracked_share > 0.93, "{}", r.tracked_share);
}
