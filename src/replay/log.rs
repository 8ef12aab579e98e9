//! Replay of a recorded log: its inputs, at their recorded times, through the same pipeline
//! on the virtual clock. The pipeline is driven only by the recorded inputs (timer expiries
//! included), so two replays of a log give the same bytes, and a replay of a live log gives
//! what the live service sent. With another site configuration (`--config`), the difference
//! is the configuration's.

use crate::clock::{Clock, VirtualClock};
use crate::hazard::{HazardKind, Phase};
use crate::pipeline::driver::Sink;
use crate::pipeline::{Event, MessageKind, Pipeline, PipelineConfig, Transmit};
use crate::record::read::Log;
use crate::record::{LogInfo, Recorder};
use crate::scenario::Scenario;
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// How fast to replay.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Pace {
    /// As fast as the machine allows.
    #[default]
    Fast,
    /// This many times real time (1: real time).
    Speed(f64),
}

#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    /// Record the replay (its inputs and outputs) into this file.
    pub out: Option<PathBuf>,
    pub pace: Pace,
    /// Seconds after the pipeline's time zero: outputs before `from_s` are not kept (the
    /// inputs before it are replayed silently, to build the state), inputs after `to_s` are
    /// not replayed.
    pub from_s: Option<f64>,
    pub to_s: Option<f64>,
    /// The site configuration to use instead of the log's, with a name for errors.
    pub config: Option<(String, PathBuf)>,
}

/// A replay that could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Read(#[from] crate::record::read::ReadError),
    #[error(transparent)]
    Config(#[from] crate::scenario::ScenarioError),
    #[error("pipeline configuration: {0}")]
    Pipeline(#[from] crate::pipeline::PipelineError),
    #[error(transparent)]
    Record(#[from] crate::record::RecordError),
}

/// What a replay did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReplaySummary {
    pub files: Vec<String>,
    /// Inputs replayed, by kind.
    pub inputs: BTreeMap<&'static str, u64>,
    /// Messages sent, by type.
    pub messages: BTreeMap<MessageKind, u64>,
    pub message_bytes: u64,
    /// Events other than hazards.
    pub events: u64,
    /// Hazards started, by kind.
    pub hazards: BTreeMap<HazardKind, u64>,
    pub replayed_s: f64,
    pub wall_s: f64,
    pub speedup: f64,
    /// Where reading the log stopped early, if it did.
    pub truncated: Option<String>,
    /// Writes of the output recording that failed.
    pub record_errors: u64,
}

impl fmt::Display for ReplaySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "log           {}", self.files.join(", "))?;
        if let Some(t) = &self.truncated {
            writeln!(f, "truncated     {t}")?;
        }
        let join = |v: Vec<String>| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        let inputs = self
            .inputs
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        writeln!(f, "inputs        {}", join(inputs))?;
        let msgs = self
            .messages
            .iter()
            .map(|(k, n)| format!("{} {n}", k.name()))
            .collect();
        writeln!(
            f,
            "messages      {} ({} bytes)",
            join(msgs),
            self.message_bytes
        )?;
        let hz = self
            .hazards
            .iter()
            .map(|(k, n)| format!("{} {n}", k.name()))
            .collect();
        writeln!(f, "hazards       {}", join(hz))?;
        writeln!(f, "events        {}", self.events)?;
        writeln!(
            f,
            "time          {:.1} s replayed in {:.3} s wall ({:.0}× real time)",
            self.replayed_s, self.wall_s, self.speedup
        )?;
        if self.record_errors > 0 {
            writeln!(f, "recording     {} writes failed", self.record_errors)?;
        }
        Ok(())
    }
}

/// Counts what comes out.
#[derive(Default)]
struct Tally {
    messages: BTreeMap<MessageKind, u64>,
    message_bytes: u64,
    events: u64,
    hazards: BTreeMap<HazardKind, u64>,
}

impl Sink for Tally {
    fn transmit(&mut self, tx: &Transmit) {
        *self.messages.entry(tx.kind).or_default() += 1;
        self.message_bytes += tx.bytes.len() as u64;
    }

    fn event(&mut self, ev: &Event) {
        match ev {
            Event::Hazard { hazard, .. } if hazard.phase == Phase::Start => {
                *self.hazards.entry(hazard.hazard.kind).or_default() += 1;
            }
            Event::Hazard { .. } => {}
            _ => self.events += 1,
        }
    }
}

/// Reads the logs at `paths` and replays them; see [`replay`].
pub fn replay_files(
    paths: &[PathBuf],
    opts: &ReplayOptions,
    progress: &mut dyn FnMut(f64, f64),
) -> Result<ReplaySummary, ReplayError> {
    let log = Log::open(paths)?;
    replay(&log, opts, progress)
}

/// Replays `log`; `progress(done_s, total_s)` is called now and then.
pub fn replay(
    log: &Log,
    opts: &ReplayOptions,
    progress: &mut dyn FnMut(f64, f64),
) -> Result<ReplaySummary, ReplayError> {
    let (text, name) = match &opts.config {
        Some((text, name)) => (text.as_str(), name.as_path()),
        None => (
            log.info.config_toml.as_str(),
            Path::new("site.toml (in the log)"),
        ),
    };
    let s = Scenario::parse(text, name)?;
    let epoch = log.info.epoch;
    let mut cfg = PipelineConfig::from_scenario(&s, epoch);
    if log.info.signal_feed {
        cfg = cfg.with_signal_feed(&s);
    }
    let mut pipeline = Pipeline::new(cfg, epoch)?;
    let mut rec = match &opts.out {
        Some(p) => {
            let info = LogInfo::new(&s, text, epoch, log.info.signal_feed, "replay");
            Some(Recorder::to_file(p, info)?)
        }
        None => None,
    };
    let at = |s: Option<f64>| s.and_then(|s| Timestamp::from_secs_f64(epoch.secs_f64() + s));
    let from = at(opts.from_s).unwrap_or(Timestamp::from_micros(i64::MIN));
    let to = at(opts.to_s).unwrap_or(Timestamp::from_micros(i64::MAX));
    let (first, last) = log.span().unwrap_or((epoch, epoch));
    let (start, end) = (first.max(from), last.min(to));
    let total_s = end.secs_since(start).max(0.0);
    let clock = VirtualClock::new(first);
    let mut tally = Tally::default();
    let mut summary = ReplaySummary {
        files: log.files.iter().map(|p| p.display().to_string()).collect(),
        truncated: log.truncated.clone(),
        ..Default::default()
    };
    let wall = std::time::Instant::now();
    progress(0.0, total_s);
    for (n, e) in log.entries.iter().enumerate() {
        let Some(input) = e.input() else { continue };
        if e.time > to {
            break;
        }
        clock.advance_to(e.time);
        let keep = e.time >= from;
        if keep {
            if let Pace::Speed(x) = opts.pace {
                pace(wall, clock.now().secs_since(start), x);
            }
            *summary.inputs.entry(input.kind_name()).or_default() += 1;
        }
        // The recorded time, not the clock's: a live clock may have stepped back.
        let now = e.time;
        let mut sinks: Vec<&mut dyn Sink> = vec![&mut tally];
        if let Some(r) = rec.as_mut() {
            sinks.push(r);
        }
        let mut sink = crate::link::sinks::Tee(if keep { sinks } else { Vec::new() });
        sink.input(now, &input);
        input.apply(&mut pipeline, now);
        while let Some(tx) = pipeline.poll_transmit() {
            sink.transmit(&tx);
        }
        while let Some(ev) = pipeline.poll_event() {
            sink.event(&ev);
        }
        sink.world(pipeline.world());
        if n % 4096 == 0 {
            progress(clock.now().secs_since(start).max(0.0), total_s);
        }
    }
    progress(total_s, total_s);
    summary.wall_s = wall.elapsed().as_secs_f64();
    summary.replayed_s = total_s;
    summary.speedup = total_s / summary.wall_s.max(1e-9);
    summary.messages = tally.messages;
    summary.message_bytes = tally.message_bytes;
    summary.events = tally.events;
    summary.hazards = tally.hazards;
    if let Some(r) = rec {
        summary.record_errors = r.errors;
        r.finish()?;
    }
    Ok(summary)
}

/// Sleeps until `done_s` of log time is due at `speed` times real time.
fn pace(wall: std::time::Instant, done_s: f64, speed: f64) {
    if !(speed.is_finite() && speed > 0.0) {
        return;
    }
    let due = done_s / speed;
    let ahead = due - wall.elapsed().as_secs_f64();
    if ahead > 0.0 {
        std::thread::sleep(std::time::Duration::from_secs_f64(ahead));
    }
}
