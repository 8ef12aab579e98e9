//! Replay: a scenario through the pipeline on the virtual clock, as fast as the CPU allows.
//! Same input, same bytes out. [`log`] replays a recorded log the same way, and [`diff`]
//! compares two logs' outputs.

pub mod diff;
pub mod log;

use crate::clock::{Clock, VirtualClock};
use crate::link::sinks::Outputs;
use crate::link::sinks::Tee;
use crate::pipeline::driver::{ScenarioDriver, Tap};
use crate::pipeline::{MessageKind, PipelineStats};
use crate::scenario::Scenario;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

pub use crate::link::sinks::OutputOptions as RunOptions;
pub use crate::pipeline::driver::RunError;

/// What a run did, for people and for scripts.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub scenario: String,
    pub simulated_s: f64,
    pub wall_s: f64,
    pub speedup: f64,
    pub messages: BTreeMap<MessageKind, u64>,
    pub message_bytes: u64,
    pub failed_messages: u64,
    pub sensor_frames: u64,
    pub detections: u64,
    pub tracks_confirmed: u64,
    pub position_rmse_m: f64,
    pub max_position_error_m: f64,
    pub tracked_share: f64,
    pub road_users_seen: usize,
    pub road_users_tracked: usize,
    pub udp_sent: u64,
    pub udp_errors: u64,
    /// Multi-object tracking metrics against the ground truth.
    pub metrics: crate::eval::Report,
    /// The hazard detectors against the labelled conflicts, by kind.
    pub hazards:
        std::collections::BTreeMap<crate::hazard::HazardKind, crate::eval::hazards::KindReport>,
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "scenario      {}", self.scenario)?;
        writeln!(
            f,
            "time          {:.1} s simulated in {:.3} s wall ({:.0}× real time)",
            self.simulated_s, self.wall_s, self.speedup
        )?;
        let by_type: Vec<String> = self
            .messages
            .iter()
            .map(|(k, n)| format!("{} {n}", k.name()))
            .collect();
        writeln!(
            f,
            "messages      {} ({} bytes; {} failed)",
            by_type.join(", "),
            self.message_bytes,
            self.failed_messages
        )?;
        writeln!(
            f,
            "sensors       {} frames, {} detections",
            self.sensor_frames, self.detections
        )?;
        writeln!(
            f,
            "tracking      {} tracks confirmed; {} of {} road users in view tracked; {:.1} % of in-view samples",
            self.tracks_confirmed,
            self.road_users_tracked,
            self.road_users_seen,
            self.tracked_share * 100.0
        )?;
        writeln!(
            f,
            "accuracy      position RMSE {:.3} m (worst {:.2} m) against ground truth",
            self.position_rmse_m, self.max_position_error_m
        )?;
        if self.udp_sent + self.udp_errors > 0 {
            writeln!(
                f,
                "udp           {} datagrams sent, {} errors",
                self.udp_sent, self.udp_errors
            )?;
        }
        Ok(())
    }
}

/// Runs a scenario from start to end on the virtual clock.
pub fn run(s: &Scenario, name: &str, opts: &RunOptions) -> Result<RunSummary, RunError> {
    run_tapped(s, name, opts, None::<&mut crate::pipeline::driver::NoTap>)
}

/// [`run`] with a tap (a snapshot, a visualiser) on the pipeline.
pub fn run_tapped<T: Tap>(
    s: &Scenario,
    name: &str,
    opts: &RunOptions,
    mut tap: Option<&mut T>,
) -> Result<RunSummary, RunError> {
    let mut out = Outputs::for_scenario(s, opts)?;
    let start = s.start();
    let end = start.add_secs(s.run.duration_s);
    let clock = VirtualClock::new(start);
    let mut driver = ScenarioDriver::new(s, start)?;
    if opts.export.is_some() || tap.as_ref().is_some_and(|t| t.wants_detections()) {
        driver.tap_detections();
    }
    let mut rec = match &opts.record {
        Some(r) => Some(r.open(s, start, false, "run")?),
        None => None,
    };
    let wall = std::time::Instant::now();
    {
        let mut sink = out.sink();
        if let Some(r) = rec.as_mut() {
            sink.0.push(r);
        }
        loop {
            let next = driver.next_time();
            if next >= end {
                break;
            }
            clock.advance_to(next);
            match tap.as_deref_mut() {
                Some(t) => {
                    // With a tap, every output also goes to it.
                    driver.step(clock.now(), &mut Tee(vec![&mut sink, &mut *t]));
                    t.after_step(clock.now(), &driver);
                }
                None => driver.step(clock.now(), &mut sink),
            }
        }
    }
    let wall_s = wall.elapsed().as_secs_f64();
    let (udp_sent, udp_errors) = out.udp_counts();
    out.finish()?;
    if let Some(r) = rec {
        r.finish()?;
    }
    let stats: &PipelineStats = driver.pipeline().stats();
    let eval = driver.evaluation();
    let (seen, tracked) = eval.road_users();
    Ok(RunSummary {
        scenario: name.to_string(),
        simulated_s: s.run.duration_s,
        wall_s,
        speedup: s.run.duration_s / wall_s.max(1e-9),
        messages: stats.messages.clone(),
        message_bytes: stats.message_bytes,
        failed_messages: stats.failed_messages,
        sensor_frames: stats.frames,
        detections: stats.detections,
        tracks_confirmed: stats.tracks_confirmed,
        position_rmse_m: eval.position_rmse_m(),
        max_position_error_m: eval.max_error_m,
        tracked_share: eval.tracked_share(),
        road_users_seen: seen,
        road_users_tracked: tracked,
        udp_sent,
        udp_errors,
        metrics: driver.metrics(),
        hazards: driver.hazard_report(),
    })
}
