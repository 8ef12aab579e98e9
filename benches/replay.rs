//! Replay of recorded logs: speed-up over real time for the default scenario (120 s) and for
//! a one-hour busy intersection (the default's 33 road users again each time the last copy
//! has left, a whole number of signal cycles later), and the recording tap's cost (the same
//! replay writing its own log).
//!
//! The logs are recorded first (`roadsight run --record`), in a temporary directory.

use criterion::{criterion_group, criterion_main, Criterion};
use roadsight::record::read::Log;
use roadsight::record::{RecordRequest, RecordTarget};
use roadsight::replay::log::{replay, ReplayOptions};
use roadsight::replay::{run, RunOptions};
use roadsight::scenario::Scenario;
use std::path::{Path, PathBuf};

fn record(s: &Scenario, path: &Path) -> Log {
    let opts = RunOptions {
        record: Some(RecordRequest {
            target: RecordTarget::File(path.to_path_buf()),
            config_toml: roadsight::scenario::DEFAULT.to_string(),
        }),
        ..Default::default()
    };
    run(s, "bench", &opts).expect("record");
    Log::open(&[path.to_path_buf()]).expect("read")
}

/// An hour of the default intersection's traffic: its road users again and again, each copy
/// starting once the one before has left (a whole number of signal cycles later, so that the
/// copies meet the signals as the original does) so that no copy drives through another.
pub fn busy_hour() -> Scenario {
    use roadsight::scenario::truth::Trajectory;
    let mut s = Scenario::default_scenario().expect("default scenario");
    let base = std::mem::take(&mut s.road_users);
    let left = base
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let t = Trajectory::new(i, u);
            (0..3600)
                .map(f64::from)
                .find(|&k| k > u.start_s && t.state_at(k).is_none())
                .expect("every road user leaves within the hour")
        })
        .fold(0.0, f64::max);
    let cycle = s
        .signal
        .as_ref()
        .expect("the default site is signalised")
        .cycle_s;
    let period = (left / cycle).ceil() * cycle;
    s.run.duration_s = 3600.0;
    s.conflicts.clear();
    let copies = (3600.0 / period) as u32;
    for k in 0..copies {
        for u in &base {
            let mut u = u.clone();
            u.id = format!("{}-{k}", u.id);
            u.start_s += period * f64::from(k);
            s.road_users.push(u);
        }
    }
    eprintln!(
        "busy hour: the default's {} road users every {period} s (the last leaves at {left} s), {} in all",
        base.len(),
        s.road_users.len()
    );
    s
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("roadsight-bench-{}-{name}", std::process::id()))
}

fn bench(c: &mut Criterion) {
    let default = Scenario::default_scenario().expect("default scenario");
    let log = record(&default, &temp("default.mcap"));
    let (first, last) = log.span().expect("entries");
    eprintln!(
        "default log: {} entries, {:.1} s",
        log.entries.len(),
        last.secs_since(first)
    );
    let mut g = c.benchmark_group("replay");
    g.sample_size(10);
    g.bench_function("default_120s", |b| {
        b.iter(|| replay(&log, &ReplayOptions::default(), &mut |_, _| {}).expect("replay"))
    });
    let out = temp("out.mcap");
    g.bench_function("default_120s_recording", |b| {
        b.iter(|| {
            let opts = ReplayOptions {
                out: Some(out.clone()),
                ..Default::default()
            };
            replay(&log, &opts, &mut |_, _| {}).expect("replay")
        })
    });
    if std::env::var_os("BENCH_BUSY_HOUR").is_some() {
        let busy = record(&busy_hour(), &temp("busy.mcap"));
        let (first, last) = busy.span().expect("entries");
        eprintln!(
            "busy hour log: {} entries, {:.1} s",
            busy.entries.len(),
            last.secs_since(first)
        );
        g.bench_function("busy_hour_3600s", |b| {
            b.iter(|| replay(&busy, &ReplayOptions::default(), &mut |_, _| {}).expect("replay"))
        });
    }
    g.finish();
    let _ = std::fs::remove_file(temp("default.mcap"));
    let _ = std::fs::remove_file(temp("busy.mcap"));
    let _ = std::fs::remove_file(out);
}

criterion_group!(benches, bench);
criterion_main!(benches);
