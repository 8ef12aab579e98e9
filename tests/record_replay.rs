//! Recording and replay: a recorded run replays to the same outputs, two replays of a log are
//! byte-identical, a cut-off log replays up to its last whole chunk, files rotate and the
//! oldest go beyond the retention limit, and a log recorded live replays to the live outputs.

use roadsight::record::read::Log;
use roadsight::record::{RecordConfig, RecordRequest, RecordTarget, Topic};
use roadsight::replay::diff::{diff, DiffOptions};
use roadsight::replay::log::{replay, ReplayOptions};
use roadsight::replay::{run, RunOptions};
use roadsight::scenario::Scenario;
use std::path::PathBuf;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roadsight-rec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// The default scenario, cut to `secs`.
fn scenario(secs: f64) -> Scenario {
    let mut s = Scenario::default_scenario().expect("default scenario");
    s.run.duration_s = secs;
    s
}

fn record_run(s: &Scenario, path: &std::path::Path) {
    let opts = RunOptions {
        record: Some(RecordRequest {
            target: RecordTarget::File(path.to_path_buf()),
            config_toml: roadsight::scenario::DEFAULT.to_string(),
        }),
        ..Default::default()
    };
    run(s, "default", &opts).expect("recorded run");
}

fn count(log: &Log, pred: impl Fn(Topic) -> bool) -> usize {
    log.entries.iter().filter(|e| pred(e.topic)).count()
}

fn outputs(log: &Log) -> Vec<(Topic, i64, Vec<u8>)> {
    log.entries
        .iter()
        .filter(|e| !e.topic.is_input())
        .map(|e| (e.topic, e.time.micros(), e.data.clone()))
        .collect()
}

#[test]
fn a_recorded_run_replays_to_the_same_outputs_byte_for_byte() {
    let s = scenario(40.0);
    let recorded = temp("run.mcap");
    record_run(&s, &recorded);
    let log = Log::open(std::slice::from_ref(&recorded)).expect("read the log");
    assert!(log.truncated.is_none(), "{:?}", log.truncated);
    assert_eq!(log.info.source, "run");
    assert_eq!(log.info.config_toml, roadsight::scenario::DEFAULT);
    // Every kind of input and output is there.
    assert!(count(&log, |t| matches!(t, Topic::Sensor(_))) > 1000);
    assert!(count(&log, |t| t == Topic::Timeout) > 300);
    let rsm = count(&log, |t| {
        t == Topic::V2x(roadsight::pipeline::MessageKind::Rsm)
    });
    let spat = count(&log, |t| {
        t == Topic::V2x(roadsight::pipeline::MessageKind::Spat)
    });
    let tracks = count(&log, |t| t == Topic::Tracks);
    // SPAT and track snapshots at 10 Hz for 40 s; RSM while there are road users.
    assert!((399..=401).contains(&spat), "{spat} SPAT");
    assert!((399..=401).contains(&tracks), "{tracks} track snapshots");
    assert!(rsm > 100, "{rsm} RSM");

    let (a, b) = (temp("replay-a.mcap"), temp("replay-b.mcap"));
    for out in [&a, &b] {
        let opts = ReplayOptions {
            out: Some(out.clone()),
            ..Default::default()
        };
        let summary = replay(&log, &opts, &mut |_, _| {}).expect("replay");
        assert!(summary.messages.values().sum::<u64>() > 400, "{summary}");
    }
    // Two replays of one log: the same file, byte for byte.
    let (fa, fb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(fa == fb, "two replays of one log differ");
    // And the same outputs as the recorded run itself.
    let replayed = Log::open(&[a]).expect("read the replay");
    assert_eq!(outputs(&replayed), outputs(&log));
    let report = diff(&log, &replayed, &DiffOptions::default());
    assert!(report.equal, "{report}");

    // Recording is a tap: the same run unrecorded sends the same messages at the same times.
    let mut sent = Sent(Vec::new());
    roadsight::replay::run_tapped(&s, "default", &RunOptions::default(), Some(&mut sent))
        .expect("unrecorded run");
    let logged: Vec<(i64, Vec<u8>)> = log
        .entries
        .iter()
        .filter(|e| matches!(e.topic, Topic::V2x(_)))
        .map(|e| (e.time.micros(), e.data.clone()))
        .collect();
    assert!(logged.len() > 800, "{} messages logged", logged.len());
    assert!(
        sent.0 == logged,
        "an unrecorded run sent other messages than the recorded one"
    );
}

/// Every message a run sends, with its time.
struct Sent(Vec<(i64, Vec<u8>)>);

impl roadsight::pipeline::driver::Sink for Sent {
    fn transmit(&mut self, tx: &roadsight::pipeline::Transmit) {
        self.0.push((tx.time.micros(), tx.bytes.clone()));
    }
}

impl roadsight::pipeline::driver::Tap for Sent {
    fn after_step(
        &mut self,
        _: roadsight::time::Timestamp,
        _: &roadsight::pipeline::driver::ScenarioDriver,
    ) {
    }
}

#[test]
fn a_changed_threshold_shows_in_the_diff() {
    let s = scenario(120.0);
    let recorded = temp("threshold.mcap");
    record_run(&s, &recorded);
    let log = Log::open(std::slice::from_ref(&recorded)).expect("read the log");
    // The same log with the collision and VRU detectors switched off.
    let text = format!(
        "{}\n[hazards.collision]\nenabled = false\n[hazards.vru]\nenabled = false\n",
        roadsight::scenario::DEFAULT
    );
    let changed = temp("threshold-replay.mcap");
    let opts = ReplayOptions {
        out: Some(changed.clone()),
        config: Some((text, PathBuf::from("changed.toml"))),
        ..Default::default()
    };
    replay(&log, &opts, &mut |_, _| {}).expect("replay with another configuration");
    let other = Log::open(std::slice::from_ref(&changed)).expect("read");
    let report = diff(&log, &other, &DiffOptions::default());
    assert!(!report.equal, "{report}");
    assert!(
        report.hazards.started_a > report.hazards.started_b,
        "{report}"
    );
    assert!(!report.hazards.started_differ.is_empty(), "{report}");
    // Tracks do not depend on the hazard detectors.
    assert_eq!(report.tracks.positions_over_threshold, 0, "{report}");

    // The command line says the same, with its exit code: 1 when the runs differ, 0 when not.
    let cli = |a: &PathBuf, b: &PathBuf| {
        std::process::Command::new(env!("CARGO_BIN_EXE_roadsight"))
            .arg("diff")
            .args([a, b])
            .arg("--json")
            .output()
            .expect("roadsight diff")
    };
    let out = cli(&recorded, &changed);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["equal"], false);
    assert_eq!(v["hazards"]["started_a"], report.hazards.started_a);
    let out = cli(&recorded, &recorded);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn a_cut_off_log_replays_up_to_its_last_whole_chunk() {
    let s = scenario(20.0);
    let path = temp("cut.mcap");
    record_run(&s, &path);
    let bytes = std::fs::read(&path).expect("log");
    let full = Log::parse(&bytes, &path).expect("whole log");
    let full_replay = replay(&full, &ReplayOptions::default(), &mut |_, _| {}).expect("replay");
    // Where each chunk ends, and how many messages the file holds up to there (from the
    // file's own index, read by the mcap crate).
    let summary = mcap::Summary::read(&bytes)
        .expect("summary")
        .expect("a closed file has one");
    let mut ends = Vec::new();
    let mut messages = 0;
    for ci in &summary.chunk_indexes {
        messages += summary.stream_chunk(&bytes, ci).expect("chunk").count();
        ends.push((ci.chunk_start_offset + ci.chunk_length, messages));
        // A chunk spans about a second of site time: what a crash can lose.
        let span_s = (ci.message_end_time - ci.message_start_time) as f64 / 1e9;
        assert!(span_s <= 1.1, "a chunk spans {span_s} s");
    }
    assert_eq!(messages, full.entries.len());
    assert!(ends.len() >= 19, "{} chunks in 20 s", ends.len());
    let data_end = ends.last().expect("chunks").0 as usize;
    for cut in [
        data_end / 10,
        data_end / 3,
        data_end / 2,
        data_end * 4 / 5,
        data_end - 1,
    ] {
        let part = Log::parse(&bytes[..cut], &path).expect("a cut-off log still reads");
        let n = part.entries.len();
        assert!(part.truncated.is_some(), "cut at {cut}");
        // Every whole chunk before the cut is kept (and the whole messages of the cut one,
        // as chunks are not compressed), nothing after it.
        let whole = ends
            .iter()
            .filter(|(end, _)| *end as usize <= cut)
            .map(|(_, n)| *n)
            .next_back()
            .unwrap_or(0);
        let next = ends
            .iter()
            .find(|(end, _)| *end as usize > cut)
            .map_or(full.entries.len(), |(_, n)| *n);
        assert!(
            whole <= n && n < next,
            "cut at {cut}: {whole} <= {n} < {next}"
        );
        assert!(n > 0, "cut at {cut}");
        assert!(part.entries[..] == full.entries[..n], "cut at {cut}");
        // And they replay: the outputs so far.
        let r = replay(&part, &ReplayOptions::default(), &mut |_, _| {}).expect("replay");
        let (got, all) = (
            r.messages.values().sum::<u64>(),
            full_replay.messages.values().sum::<u64>(),
        );
        assert!(got > 0 && got <= all, "cut at {cut}: {got} of {all}");
    }
    // Not a log at all.
    assert!(Log::parse(b"not an mcap file", &path).is_err());
}

#[test]
fn files_rotate_and_the_oldest_go_beyond_the_retention_limit() {
    let s = scenario(30.0);
    let dir = temp("rotating");
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = RecordConfig {
        dir: dir.clone(),
        max_file_bytes: 1 << 30,
        max_file_s: 5.0,
        retention_bytes: 1 << 30,
        sync: false,
        ..RecordConfig::default()
    };
    let opts = RunOptions {
        record: Some(RecordRequest {
            target: RecordTarget::Dir(cfg.clone()),
            config_toml: roadsight::scenario::DEFAULT.to_string(),
        }),
        ..Default::default()
    };
    run(&s, "default", &opts).expect("run");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    // 30 s in files of 5 s.
    assert!((6..=7).contains(&files.len()), "{files:?}");
    // Each file stands alone (header, configuration), and together they are the whole run.
    let mut total = 0;
    for f in &files {
        let l = Log::open(std::slice::from_ref(f)).expect("each file reads");
        assert!(l.truncated.is_none());
        let (first, last) = l.span().expect("entries");
        assert!(last.secs_since(first) <= 5.0 + 1e-6);
        total += l.entries.len();
    }
    let all = Log::open(std::slice::from_ref(&dir)).expect("the directory reads as one log");
    assert_eq!(all.entries.len(), total);

    // Again with a retention limit of about two files: the oldest are deleted.
    let size = files
        .iter()
        .map(|f| std::fs::metadata(f).expect("size").len())
        .max()
        .expect("files");
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = RecordConfig {
        retention_bytes: size * 5 / 2,
        ..cfg
    };
    let opts = RunOptions {
        record: Some(RecordRequest {
            target: RecordTarget::Dir(cfg),
            config_toml: roadsight::scenario::DEFAULT.to_string(),
        }),
        ..Default::default()
    };
    run(&s, "default", &opts).expect("run");
    let mut kept: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    kept.sort();
    assert!(kept.len() < files.len(), "{kept:?}");
    let bytes: u64 = kept
        .iter()
        .map(|f| std::fs::metadata(f).expect("size").len())
        .sum();
    // Retention runs at each rotation: at most the limit plus the file being written.
    assert!(
        bytes <= size * 5 / 2 + size,
        "{bytes} bytes kept, files up to {size}"
    );
    // The newest are kept.
    let names = |v: &[PathBuf]| -> Vec<String> {
        v.iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(
        names(&kept).last(),
        names(&files).last(),
        "the last file is kept"
    );
}

/// A traffic-control centre's command is a pipeline input like any other: recorded with its
/// time, and replayed to the same RSI and the same outputs, byte for byte.
#[test]
fn a_tcc_command_is_recorded_and_replayed() {
    use roadsight::pipeline::driver::Sink;
    use roadsight::pipeline::{Input, Pipeline, PipelineConfig};
    use roadsight::record::{LogInfo, Recorder};
    use roadsight::time::Timestamp;
    let s = scenario(4.0);
    let epoch = Timestamp::from_secs_f64(1_763_900_000.0).expect("epoch");
    let mut pipeline =
        Pipeline::new(PipelineConfig::from_scenario(&s, epoch), epoch).expect("pipeline");
    let path = temp("tcc-command.mcap");
    let info = LogInfo::new(&s, roadsight::scenario::DEFAULT, epoch, false, "serve");
    let mut rec = Recorder::to_file(&path, info).expect("recorder");
    let end = Timestamp::from_secs_f64(epoch.secs_f64() + 60.0).expect("end");
    let command = format!(
        r#"{{"version":1,"request_id":"rw-1","command":"publish_rsi","event":{{"id":"rw-7","type":"road_works","event_type":401,"end":"{end}","area":{{"centre":{{"lat_deg":{},"lon_deg":{}}},"radius_m":80}},"priority":5}}}}"#,
        s.site.anchor.lat_deg, s.site.anchor.lon_deg
    );
    let mut commanded = false;
    let mut tcc_events = 0;
    // As the service does: every input, then what it produced.
    let drain = |pipeline: &mut Pipeline, rec: &mut Recorder, tcc_events: &mut usize| {
        while let Some(tx) = pipeline.poll_transmit() {
            rec.transmit(&tx);
        }
        while let Some(ev) = pipeline.poll_event() {
            if matches!(ev, roadsight::pipeline::Event::TccEvent { .. }) {
                *tcc_events += 1;
            }
            rec.event(&ev);
        }
        rec.world(pipeline.world());
    };
    while let Some(now) = pipeline.poll_timeout() {
        if now.secs_since(epoch) > 3.0 {
            break;
        }
        if !commanded && now.secs_since(epoch) >= 1.0 {
            rec.input(now, &Input::TccCommand(command.as_bytes()));
            let (id, outcome) = pipeline.handle_tcc_command(now, command.as_bytes());
            assert_eq!(id.as_deref(), Some("rw-1"));
            assert!(outcome.is_ok(), "{outcome:?}");
            commanded = true;
            drain(&mut pipeline, &mut rec, &mut tcc_events);
        }
        rec.input(now, &Input::Timeout);
        Input::Timeout.apply(&mut pipeline, now);
        drain(&mut pipeline, &mut rec, &mut tcc_events);
    }
    assert!(commanded);
    assert_eq!(tcc_events, 1, "the command is applied once");
    rec.finish().expect("finish");

    let log = Log::open(std::slice::from_ref(&path)).expect("read the log");
    let recorded: Vec<_> = log
        .entries
        .iter()
        .filter(|e| e.topic == Topic::TccCommand)
        .collect();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].data, command.as_bytes());
    assert!(matches!(recorded[0].input(), Some(Input::TccCommand(b)) if b == command.as_bytes()));
    assert!(
        count(&log, |t| t
            == Topic::V2x(roadsight::pipeline::MessageKind::Rsi))
            > 0,
        "the TCC's event goes out in RSI"
    );

    let out = temp("tcc-command-replay.mcap");
    let opts = ReplayOptions {
        out: Some(out.clone()),
        ..Default::default()
    };
    replay(&log, &opts, &mut |_, _| {}).expect("replay");
    let replayed = Log::open(&[out]).expect("read the replay");
    let (a, b) = (outputs(&log), outputs(&replayed));
    let first = a.iter().zip(&b).position(|(x, y)| x != y);
    assert!(
        first.is_none() && a.len() == b.len(),
        "recorded {} outputs, replayed {}; first difference at {first:?}: {:?} / {:?}",
        a.len(),
        b.len(),
        first.map(|i| (
            a[i].0,
            a[i].1,
            String::from_utf8_lossy(&a[i].2).into_owned()
        )),
        first.map(|i| (
            b[i].0,
            b[i].1,
            String::from_utf8_lossy(&b[i].2).into_owned()
        )),
    );
}
