//! `rsm_trigger = "frame"`: an RSM leaves as soon as a sensor frame is fused (so a detection
//! does not wait for the 10 Hz cycle), `rsm_max_hz` caps the rate, `rsm_hz` fills silences, and
//! a recorded run with it replays byte for byte.

use roadsight::record::read::Log;
use roadsight::record::{RecordRequest, RecordTarget, Topic};
use roadsight::replay::diff::{diff, DiffOptions};
use roadsight::replay::log::{replay, ReplayOptions};
use roadsight::replay::{run, RunOptions};
use roadsight::scenario::{RsmTrigger, Scenario};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roadsight-trigger-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn frame_triggered(secs: f64) -> Scenario {
    let mut s = Scenario::default_scenario().expect("default scenario");
    s.run.duration_s = secs;
    s.messages.rsm_trigger = RsmTrigger::Frame;
    s
}

/// Records a run of `s` and returns its log.
fn record(s: &Scenario, path: &Path) -> Log {
    let config_toml = toml::to_string(s).expect("scenario as TOML");
    let opts = RunOptions {
        record: Some(RecordRequest {
            target: RecordTarget::File(path.to_path_buf()),
            config_toml,
        }),
        ..Default::default()
    };
    run(s, "trigger", &opts).expect("recorded run");
    Log::open(&[path.to_path_buf()]).expect("read the log")
}

/// Instants (µs) of the sensor datagrams and of the RSMs in a log.
fn instants(log: &Log) -> (BTreeSet<i64>, BTreeSet<i64>) {
    let of = |want: fn(Topic) -> bool| -> BTreeSet<i64> {
        log.entries
            .iter()
            .filter(|e| want(e.topic))
            .map(|e| e.time.micros())
            .collect()
    };
    (
        of(|t| matches!(t, Topic::Sensor(_))),
        of(|t| t == Topic::V2x(roadsight::pipeline::MessageKind::Rsm)),
    )
}

#[test]
fn every_fused_frame_sends_its_rsm_at_once_and_the_log_replays_byte_for_byte() {
    let s = frame_triggered(20.0);
    let path = temp("frame.mcap");
    let log = record(&s, &path);
    let (frames, rsms) = instants(&log);
    let first = *rsms.first().expect("some RSM");
    let after: Vec<i64> = frames.iter().copied().filter(|t| *t >= first).collect();
    assert!(after.len() > 1000, "only {} frames", after.len());
    let missed: Vec<&i64> = after.iter().filter(|t| !rsms.contains(t)).collect();
    assert!(
        missed.is_empty(),
        "{} of {} frames had no RSM at their arrival, first at {} µs",
        missed.len(),
        after.len(),
        missed[0]
    );
    // Four sensors (2 × 10 Hz, 2 × 20 Hz) never leave 100 ms silent: no timer RSM.
    assert!(rsms.iter().all(|t| frames.contains(t)));
    // Replayed, the log gives the same bytes: the trigger travels in the recorded config.
    let replayed = temp("frame-replay.mcap");
    let opts = ReplayOptions {
        out: Some(replayed.clone()),
        ..Default::default()
    };
    replay(&log, &opts, &mut |_, _| {}).expect("replay");
    let again = Log::open(std::slice::from_ref(&replayed)).expect("read the replay");
    let report = diff(&log, &again, &DiffOptions::default());
    assert!(report.equal, "replay differs: {report:?}");
    for p in [path, replayed] {
        std::fs::remove_file(p).ok();
    }
}

#[test]
fn rsm_max_hz_caps_the_rate_and_rsm_hz_fills_the_silences() {
    // Capped at 20 Hz: never two RSM cycles within 50 ms, and each frame leaves within 50 ms.
    let mut s = frame_triggered(15.0);
    s.messages.rsm_max_hz = Some(20.0);
    let log = record(&s, &temp("capped.mcap"));
    let (frames, rsms) = instants(&log);
    let cycles: Vec<i64> = rsms.iter().copied().collect();
    let min_gap = cycles
        .windows(2)
        .map(|w| w[1] - w[0])
        .min()
        .expect("cycles");
    assert!(min_gap >= 50_000, "RSMs {min_gap} µs apart");
    let (first, last) = (cycles[0], cycles[cycles.len() - 1]);
    for t in frames.iter().filter(|t| (first..=last).contains(*t)) {
        let next = rsms.range(*t..).next().expect("an RSM after each frame");
        assert!(next - t <= 50_000, "frame at {t} µs waited {} µs", next - t);
    }
    // Slow sensors (4 Hz each): the 10 Hz timer fills the gaps between frames.
    let mut s = frame_triggered(15.0);
    for x in &mut s.sensors {
        x.rate_hz = 4.0;
    }
    let log = record(&s, &temp("slow.mcap"));
    let (frames, rsms) = instants(&log);
    let cycles: Vec<i64> = rsms.iter().copied().collect();
    let max_gap = cycles
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .expect("cycles");
    assert!(max_gap <= 100_000, "RSMs {max_gap} µs apart");
    let by_timer = cycles.iter().filter(|t| !frames.contains(t)).count();
    assert!(by_timer > 10, "only {by_timer} RSMs filled silences");
    let first = cycles[0];
    assert!(frames
        .iter()
        .filter(|t| **t >= first)
        .all(|t| rsms.contains(t)));
}

#[test]
fn rsm_max_hz_without_the_frame_trigger_is_refused_by_name() {
    let text =
        roadsight::scenario::DEFAULT.replace("rsm_hz = 10.0", "rsm_hz = 10.0\nrsm_max_hz = 20.0");
    let e = Scenario::parse(&text, Path::new("site.toml")).expect_err("refused");
    let msg = e.to_string();
    assert!(msg.contains("messages.rsm_max_hz"), "{msg}");
    let text = roadsight::scenario::DEFAULT.replace(
        "rsm_hz = 10.0",
        "rsm_hz = 10.0\nrsm_trigger = \"frame\"\nrsm_max_hz = 0",
    );
    let msg = Scenario::parse(&text, Path::new("site.toml"))
        .expect_err("refused")
        .to_string();
    assert!(
        msg.contains("messages.rsm_max_hz") && msg.contains("positive"),
        "{msg}"
    );
    let text = roadsight::scenario::DEFAULT
        .replace("rsm_hz = 10.0", "rsm_hz = 10.0\nrsm_trigger = \"fused\"");
    let msg = Scenario::parse(&text, Path::new("site.toml"))
        .expect_err("refused")
        .to_string();
    assert!(msg.contains("rsm_trigger"), "{msg}");
}
