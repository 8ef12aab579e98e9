//! `run --rerun FILE` (feature `viz`): the default scenario logged to an .rrd, read back by
//! rerun's own Python reader (`tools/check_rrd.py`, rerun-sdk pinned to the crate's version).
//! The expected entities and counts come from the scenario's map and sensors, the run's
//! summary (the pipeline's own frame and detection counts) and a second tap on the same run
//! that notes the world model's track IDs, the road users present, the hazards and events.
//! A missing rerun-sdk fails the test: CI installs it (tools/requirements.txt).
#![cfg(feature = "viz")]

mod common;

use roadsight::hazard::Phase;
use roadsight::map::SiteMap;
use roadsight::pipeline::driver::{ScenarioDriver, Sink, Tap};
use roadsight::pipeline::{Event, Transmit};
use roadsight::replay::{run_tapped, RunOptions};
use roadsight::scenario::{LaneDirection, Scenario};
use roadsight::sensor::SensorFrame;
use roadsight::time::Timestamp;
use roadsight::viz::rerun::{Destination, RerunTap};
use std::collections::{BTreeMap, BTreeSet};

/// Forwards everything to the rerun tap and notes, from the driver itself, what should be
/// in the recording.
struct Witness<'a> {
    inner: &'a mut RerunTap,
    tracks: BTreeSet<u32>,
    truth: BTreeSet<usize>,
    hazards: BTreeSet<u32>,
    frames: BTreeMap<u16, u64>,
    world_updates: u64,
    events: u64,
    hazard_starts: u64,
}

impl Sink for Witness<'_> {
    fn transmit(&mut self, tx: &Transmit) {
        self.inner.transmit(tx);
    }
    fn event(&mut self, ev: &Event) {
        match ev {
            Event::Message { .. } => {}
            Event::Hazard { hazard, .. } => {
                self.events += 1;
                self.hazards.insert(hazard.hazard.id);
                self.hazard_starts += u64::from(hazard.phase == Phase::Start);
            }
            _ => self.events += 1,
        }
        self.inner.event(ev);
    }
    fn sensor_frame(&mut self, f: &SensorFrame) {
        *self.frames.entry(f.sensor).or_default() += 1;
        self.inner.sensor_frame(f);
    }
}

impl Tap for Witness<'_> {
    fn wants_detections(&self) -> bool {
        self.inner.wants_detections()
    }
    fn after_step(&mut self, now: Timestamp, driver: &ScenarioDriver) {
        if driver.pipeline().world().time == now {
            self.world_updates += 1;
            self.tracks
                .extend(driver.pipeline().world().objects.iter().map(|o| o.id));
            let mut states = Vec::new();
            driver
                .truth()
                .states_at(driver.scenario_time_s(now), &mut states);
            self.truth.extend(states.iter().map(|s| s.index));
        }
        self.inner.after_step(now, driver);
    }
}

#[test]
fn the_default_scenario_logged_to_rrd_reads_back_with_every_entity() {
    let s = Scenario::default_scenario().expect("default scenario");
    let dir = std::env::temp_dir().join(format!("roadsight-viz-rerun-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let rrd = dir.join("default.rrd");

    let mut tap = RerunTap::new(&s, "default", &Destination::File(rrd.clone())).expect("open");
    let mut w = Witness {
        inner: &mut tap,
        tracks: BTreeSet::new(),
        truth: BTreeSet::new(),
        hazards: BTreeSet::new(),
        frames: BTreeMap::new(),
        world_updates: 0,
        events: 0,
        hazard_starts: 0,
    };
    let summary = run_tapped(&s, "default", &RunOptions::default(), Some(&mut w)).expect("run");
    let Witness {
        tracks,
        truth,
        hazards,
        frames,
        world_updates,
        events,
        hazard_starts,
        ..
    } = w;
    assert_eq!(tap.errors().0, 0, "log calls failed: {:?}", tap.errors().1);
    let counts = tap.finish().expect("flush the recording");
    // The tap's own tally agrees with the witness.
    assert_eq!(counts.tracks, tracks);
    assert_eq!(counts.hazards, hazards);

    // The default scenario exercises every kind of entity.
    assert!(!tracks.is_empty() && !truth.is_empty() && hazard_starts > 0);
    assert_eq!(frames.values().sum::<u64>(), summary.sensor_frames);

    let map = SiteMap::from_spec(&s.map);
    let names = |i: &usize| s.road_users[*i].id.clone();
    let expected = serde_json::json!({
        "lanes": map.lanes.len(),
        "stop_lines": map.lanes.iter().filter(|l| l.direction == LaneDirection::Ingress).count(),
        "connections": map.connections.len(),
        "crosswalks": map.crosswalks.len(),
        "buildings": map.buildings.len(),
        "sensors": s.sensors.iter().map(|x| x.id.clone()).collect::<Vec<_>>(),
        "sensor_frames": frames
            .iter()
            .map(|(i, n)| (s.sensors[usize::from(*i)].id.clone(), *n))
            .collect::<BTreeMap<_, _>>(),
        "detections": summary.detections,
        "tracks": tracks,
        "truth": truth.iter().map(names).collect::<Vec<_>>(),
        "hazards": hazards,
        "signal_groups": s.signal.groups.iter().map(|g| g.id).collect::<Vec<_>>(),
        "world_updates": world_updates,
        "events": events,
        "duration_s": s.run.duration_s,
    });
    let file = rrd.to_str().expect("utf-8 path");
    let (code, out, err) = common::run_tool("check_rrd.py", &[file], &expected.to_string());
    assert!(
        !err.contains("rerun-sdk is missing"),
        "the Python rerun-sdk is not installed (CI={}): {err}",
        std::env::var("CI").unwrap_or_default()
    );
    assert_eq!(
        code, 0,
        "check_rrd.py found the recording wrong:\n{err}\nfound: {out}"
    );
    eprintln!("{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_rrd_path_is_a_clear_error() {
    let s = Scenario::default_scenario().expect("default scenario");
    let bad = std::path::PathBuf::from("/nonexistent-dir-roadsight/x.rrd");
    let err = RerunTap::new(&s, "default", &Destination::File(bad))
        .err()
        .expect("cannot open a file in a missing directory");
    let text = err.to_string();
    assert!(text.contains("/nonexistent-dir-roadsight/x.rrd"), "{text}");
}
