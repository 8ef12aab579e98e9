//! `run --rerun FILE` (feature `viz`): the default scenario logged to an .rrd, read back by
//! rerun's own Python reader (`tools/check_rrd.py`, rerun-sdk pinned to the crate's version).
//! The expected entities and counts come from the scenario's map and sensors, the run's
//! summary (the pipeline's own frame and detection counts) and a second tap on the same run
//! that notes the world model's track IDs, the road users present, the hazards and events.
//! The same check runs on what a live viewer received: `--rerun-connect` to a `rerun` server
//! that saves its incoming stream, and `--rerun-spawn` of the `rerun` found on the PATH.
//! A missing rerun-sdk fails the test: CI installs it (tools/requirements.txt).
#![cfg(feature = "viz")]

mod common;
#[path = "common/process.rs"]
mod process;

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
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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

/// The first 30 s of the default scenario already hold every kind of entity (hazards start
/// within 3 s): enough for the tests of a live viewer's transport, a quarter of the work.
const LIVE_RUN_S: f64 = 30.0;

/// Runs the default scenario (its first `duration_s`, or all of it) into `dest`, then has
/// rerun's Python reader check `saved` (where that destination's data ends up once `done` has
/// run) against what the run logged.
fn log_default_scenario_and_check(
    duration_s: Option<f64>,
    dest: &Destination,
    saved: &Path,
    done: impl FnOnce(),
) {
    let mut s = Scenario::default_scenario().expect("default scenario");
    if let Some(d) = duration_s {
        assert!(d < s.run.duration_s, "a shorter run than the scenario's");
        s.run.duration_s = d;
    }
    let mut tap = RerunTap::new(&s, "default", dest).expect("open");
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
    done();
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
        "signal_groups": s.signal.iter().flat_map(|p| &p.groups).map(|g| g.id).collect::<Vec<_>>(),
        "world_updates": world_updates,
        "events": events,
        "duration_s": s.run.duration_s,
    });
    let file = saved.to_str().expect("utf-8 path");
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
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roadsight-viz-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn the_default_scenario_logged_to_rrd_reads_back_with_every_entity() {
    let dir = temp_dir("rrd");
    let rrd = dir.join("default.rrd");
    log_default_scenario_and_check(None, &Destination::File(rrd.clone()), &rrd, || {});
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `rerun` executable of the pinned Python rerun-sdk (its `rerun` script only wraps it).
fn rerun_bin() -> PathBuf {
    let out = Command::new(common::python())
        .args([
            "-c",
            "import os, rerun_cli; print(os.path.join(os.path.dirname(rerun_cli.__file__), 'rerun'))",
        ])
        .output()
        .expect("run python");
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(
        out.status.success() && path.is_file(),
        "the rerun viewer of the Python rerun-sdk is not installed (CI={}): {}",
        std::env::var("CI").unwrap_or_default(),
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// Waits until the file at `path` has not grown for 2 s (at most 60 s): the viewer writes
/// what it receives after the SDK's flush has returned.
fn settled(path: &Path) {
    let size = || std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let (mut last, mut since) = (size(), std::time::Instant::now());
    while since.elapsed() < Duration::from_secs(2) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        let now = size();
        if now != last {
            (last, since) = (now, std::time::Instant::now());
        }
    }
}

/// A rerun server without a window that saves what it receives; SIGINT makes it close the file.
fn saving_viewer(port: u16, rrd: &Path, log: &Path) -> Child {
    let mut child = Command::new(rerun_bin())
        .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save"])
        .arg(rrd)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("viewer log"))
        .spawn()
        .expect("start rerun");
    process::wait_listening(&mut child, port, "rerun", Duration::from_secs(30), || {
        std::fs::read_to_string(log).unwrap_or_default()
    });
    child
}

#[test]
fn a_connected_viewer_receives_every_entity() {
    let dir = temp_dir("connect");
    let (rrd, log) = (dir.join("received.rrd"), dir.join("rerun.log"));
    let port = process::free_port();
    let mut viewer = saving_viewer(port, &rrd, &log);
    let dest = Destination::Connect(format!("127.0.0.1:{port}"));
    log_default_scenario_and_check(Some(LIVE_RUN_S), &dest, &rrd, || {
        settled(&rrd);
        process::stop(&mut viewer, "INT")
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--rerun-spawn` starts the `rerun` on the PATH on rerun's default port (9876). A `rerun`
/// placed first on the PATH runs the real one saving what it receives, so that the test can
/// read it; the arguments the SDK passes are kept.
#[test]
fn a_spawned_viewer_receives_every_entity() {
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", 9876)).is_err(),
        "port 9876 (rerun's default) is taken: spawn would connect to that instead"
    );
    let dir = temp_dir("spawn");
    let (rrd, pid) = (dir.join("received.rrd"), dir.join("rerun.pid"));
    let wrapper = dir.join("rerun");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho $$ > '{}'\nexec '{}' --save '{}' \"$@\" 2> '{}'\n",
            pid.display(),
            rerun_bin().display(),
            rrd.display(),
            dir.join("rerun.log").display()
        ),
    )
    .expect("write the wrapper");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
            .expect("make the wrapper executable");
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![dir.clone()];
    dirs.extend(std::env::split_paths(&path));
    std::env::set_var("PATH", std::env::join_paths(dirs).expect("PATH"));
    log_default_scenario_and_check(Some(LIVE_RUN_S), &Destination::Spawn, &rrd, || {
        settled(&rrd);
        let pid = std::fs::read_to_string(&pid).expect("the spawned rerun wrote its pid");
        let _ = Command::new("kill").args(["-INT", pid.trim()]).status();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while Command::new("kill")
            .args(["-0", pid.trim()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    std::env::set_var("PATH", path);
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
