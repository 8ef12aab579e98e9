//! Drives the pipeline with a scenario's simulated sensors: captures at each sensor's rate,
//! delivers each frame after its latency, fires the pipeline's timers, and measures the
//! world model against the ground truth. Synchronous and clock-free: replay calls
//! [`ScenarioDriver::step`] at [`ScenarioDriver::next_time`] as fast as it can, the live
//! service calls it when the real clock gets there.

use super::{Event, Input, Pipeline, PipelineConfig, Transmit};
use crate::scenario::truth::TruthState;
use crate::scenario::Scenario;
use crate::sensor::sim::{SimSensors, SimStep};
use crate::sensor::{RawFrame, SensorFrame};
use crate::time::Timestamp;
use std::collections::BTreeSet;

/// Where outputs go: captures, sockets, logs. A sink counts its own errors; it never stops
/// the pipeline.
pub trait Sink {
    fn transmit(&mut self, tx: &Transmit);
    fn event(&mut self, _ev: &Event) {}
    /// A sensor frame as it reaches the pipeline (in the sensor's clock).
    fn sensor_frame(&mut self, _frame: &SensorFrame) {}
    /// A sensor's frame as it arrived, before ingest.
    fn raw_frame(&mut self, _frame: &RawFrame) {}
    /// The ground truth in view and the confirmed tracks at an evaluation instant.
    fn evaluation_frame(&mut self, _frame: &crate::eval::Frame) {}
    /// An input just before the pipeline gets it, with the time it is given (recording).
    fn input(&mut self, _now: Timestamp, _input: &super::Input<'_>) {}
    /// The world model after each step (track snapshots); the same snapshot comes again
    /// until the next message cycle refreshes it.
    fn world(&mut self, _world: &crate::world::WorldSnapshot) {}
}

/// A tap on a run (a picture, a visualiser): it sees every output as a [`Sink`] does, and
/// after each step the driver's state (world model, ground truth, signal states). It only
/// reads; the run is the same with or without it.
pub trait Tap: Sink {
    /// Whether it wants each frame's site-frame detections (`Sink::sensor_frame`).
    fn wants_detections(&self) -> bool {
        false
    }
    /// Called after every [`ScenarioDriver::step`] at `now`.
    fn after_step(&mut self, now: Timestamp, driver: &ScenarioDriver);
}

/// No tap.
pub struct NoTap;

impl Sink for NoTap {
    fn transmit(&mut self, _tx: &Transmit) {}
}

impl Tap for NoTap {
    fn after_step(&mut self, _now: Timestamp, _driver: &ScenarioDriver) {}
}

/// A run (replay or live) could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("pipeline configuration: {0}")]
    Pipeline(#[from] crate::pipeline::PipelineError),
    #[error(transparent)]
    Output(#[from] crate::link::sinks::OutputError),
    #[error(transparent)]
    Quic(#[from] crate::link::quic::QuicError),
    #[error(transparent)]
    Record(#[from] crate::record::RecordError),
}

/// Gate for matching a track to a true road user when measuring accuracy.
pub const EVAL_GATE_M: f64 = 3.0;

/// Accuracy of the world model against the ground truth, sampled at every RSM.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub samples: u64,
    sq_error_sum: f64,
    pub matched: u64,
    /// True road users some sensor could detect (in range and view, not occluded) at the
    /// sample times.
    pub visible: u64,
    ever_visible: BTreeSet<usize>,
    ever_matched: BTreeSet<usize>,
    /// Worst error of any matched pair.
    pub max_error_m: f64,
}

impl Evaluation {
    /// Root-mean-square position error of matched tracks, metres.
    pub fn position_rmse_m(&self) -> f64 {
        if self.matched == 0 {
            f64::NAN
        } else {
            (self.sq_error_sum / self.matched as f64).sqrt()
        }
    }

    /// Share of (road user, sample) pairs in view that had a track.
    pub fn tracked_share(&self) -> f64 {
        if self.visible == 0 {
            f64::NAN
        } else {
            self.matched as f64 / self.visible as f64
        }
    }

    /// Road users ever in view, and those of them ever tracked.
    pub fn road_users(&self) -> (usize, usize) {
        (
            self.ever_visible.len(),
            self.ever_visible.intersection(&self.ever_matched).count(),
        )
    }
}

/// Runs a scenario's simulated sensors into the pipeline. Their frames reach it in the
/// sensors' wire form (what `roadsight simulate` sends), through the ingest a live site's
/// datagrams take, so a run, its recording and a replay of that recording give the same
/// outputs: a tap never changes them. The wire formats round (millisecond stamps, CAN
/// resolutions) as real sensors do.
pub struct ScenarioDriver {
    sims: SimSensors,
    pipeline: Pipeline,
    epoch: Timestamp,
    truth_buf: Vec<TruthState>,
    eval: Evaluation,
    last_eval: Option<Timestamp>,
    metrics: crate::eval::Evaluator,
    metric_errors: u64,
    frame_buf: crate::eval::Frame,
    evaluate: bool,
    hazard_scorer: crate::eval::hazards::HazardScorer,
    duration_s: f64,
    wire: Wire,
}

/// What encoding the simulated frames into their wire form needs.
struct Wire {
    scenario: Scenario,
    /// Frame counter per sensor (the radar sends its state every tenth cycle).
    cycles: Vec<u64>,
    epoch_unix_s: f64,
}

impl ScenarioDriver {
    /// A driver whose scenario time zero is `epoch` (the scenario's start in replay, the
    /// service's start live).
    pub fn new(s: &Scenario, epoch: Timestamp) -> Result<Self, crate::pipeline::PipelineError> {
        let sims = SimSensors::new(s, epoch).map_err(|(sensor, source)| {
            crate::pipeline::PipelineError::Camera { sensor, source }
        })?;
        Ok(Self {
            sims,
            pipeline: Pipeline::new(PipelineConfig::from_scenario(s, epoch), epoch)?,
            epoch,
            truth_buf: Vec::new(),
            eval: Evaluation::default(),
            last_eval: None,
            metrics: crate::eval::Evaluator::new(crate::eval::Params::default()).map_err(|_| {
                crate::fusion::ConfigError {
                    field: "eval params",
                    reason: "invalid defaults",
                }
            })?,
            metric_errors: 0,
            frame_buf: crate::eval::Frame {
                time_s: 0.0,
                truth: Vec::new(),
                tracks: Vec::new(),
            },
            evaluate: true,
            hazard_scorer: crate::eval::hazards::HazardScorer::new(labels(s)),
            duration_s: s.run.duration_s,
            wire: Wire {
                scenario: s.clone(),
                cycles: vec![0; s.sensors.len()],
                epoch_unix_s: epoch.micros() as f64 / 1e6,
            },
        })
    }

    /// Stops measuring against the ground truth (for timing the pipeline alone).
    pub fn without_evaluation(mut self) -> Self {
        self.evaluate = false;
        self
    }

    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// For inputs beside the sensors (TCC commands, reloads).
    pub fn pipeline_mut(&mut self) -> &mut Pipeline {
        &mut self.pipeline
    }

    /// The scenario's ground truth.
    pub fn truth(&self) -> &crate::scenario::truth::GroundTruth {
        self.sims.truth()
    }

    /// Seconds since the scenario's time zero.
    pub fn scenario_time_s(&self, t: Timestamp) -> f64 {
        t.secs_since(self.epoch)
    }

    pub fn evaluation(&self) -> &Evaluation {
        &self.eval
    }

    /// The multi-object tracking metrics (GOSPA, CLEAR MOT, IDF1 …) of the run so far,
    /// sampled at every RSM cycle over the road users some sensor could detect.
    pub fn metrics(&self) -> crate::eval::Report {
        self.metrics.report()
    }

    /// The next moment something happens.
    pub fn next_time(&self) -> Timestamp {
        [self.sims.next_time(), self.pipeline.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(Timestamp::from_micros(i64::MAX))
    }

    /// Sends every accepted frame's site-frame detections to the sink's `sensor_frame`.
    pub fn tap_detections(&mut self) {
        self.pipeline.tap_ingested();
    }

    /// Does everything due at or before `now`, in time order, sending outputs to `sink`.
    pub fn step(&mut self, now: Timestamp, sink: &mut dyn Sink) {
        loop {
            let next = self.next_time();
            if next > now {
                break;
            }
            // Captures first, then deliveries, then timers: the order is fixed so that a
            // replay is deterministic.
            match self.sims.step(next) {
                SimStep::Captured => continue,
                SimStep::Delivered(frame) => {
                    sink.raw_frame(&frame);
                    let w = &mut self.wire;
                    let i = usize::from(frame.sensor);
                    let cycle = w.cycles.get(i).copied().unwrap_or(0);
                    for d in
                        crate::sensor::sim::datagrams(&w.scenario, &frame, w.epoch_unix_s, cycle)
                    {
                        let input = Input::Datagram {
                            sensor: frame.sensor,
                            bytes: &d,
                        };
                        sink.input(next, &input);
                        input.apply(&mut self.pipeline, next);
                    }
                    if let Some(c) = w.cycles.get_mut(i) {
                        *c += 1;
                    }
                }
                SimStep::Idle => {
                    sink.input(next, &Input::Timeout);
                    self.pipeline.handle_timeout(next);
                }
            }
            self.drain(next, sink);
        }
    }

    fn drain(&mut self, now: Timestamp, sink: &mut dyn Sink) {
        while let Some(f) = self.pipeline.poll_ingested() {
            sink.sensor_frame(&f);
        }
        while let Some(tx) = self.pipeline.poll_transmit() {
            sink.transmit(&tx);
        }
        while let Some(ev) = self.pipeline.poll_event() {
            if let (true, Event::Hazard { hazard, .. }) = (self.evaluate, &ev) {
                if hazard.phase == crate::hazard::Phase::Start {
                    self.score_warning(now, &hazard.hazard);
                }
            }
            sink.event(&ev);
        }
        sink.world(self.pipeline.world());
        // The world model is refreshed at every RSM cycle (with or without participants).
        if self.evaluate && self.pipeline.world().time == now && self.last_eval != Some(now) {
            self.last_eval = Some(now);
            self.evaluate(now);
            sink.evaluation_frame(&self.frame_buf);
        }
    }

    /// The hazard detectors against the scenario's labelled conflicts, by kind.
    pub fn hazard_report(
        &self,
    ) -> std::collections::BTreeMap<crate::hazard::HazardKind, crate::eval::hazards::KindReport>
    {
        self.hazard_scorer.report(self.duration_s)
    }

    /// A hazard started: which road users its tracks were on then (nearest within the
    /// evaluation gate).
    fn score_warning(&mut self, now: Timestamp, h: &crate::hazard::Hazard) {
        let t = now.secs_since(self.epoch);
        self.sims.truth().states_at(t, &mut self.truth_buf);
        let objects = &self.pipeline.world().objects;
        let road_users = h
            .road_users
            .iter()
            .filter_map(|id| objects.iter().find(|o| o.id == *id))
            .filter_map(|o| {
                self.truth_buf
                    .iter()
                    .map(|s| ((s.east_m - o.east_m).hypot(s.north_m - o.north_m), s.index))
                    .filter(|(d, _)| *d <= EVAL_GATE_M)
                    .min_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, i)| i)
            })
            .collect();
        self.hazard_scorer.warning(crate::eval::hazards::Warning {
            kind: h.kind,
            road_users,
            time_s: t,
        });
    }

    /// Matches tracks to the true road users in view (greedy by distance within the gate)
    /// and accumulates the errors.
    fn evaluate(&mut self, now: Timestamp) {
        let t = now.secs_since(self.epoch);
        self.sims.truth().states_at(t, &mut self.truth_buf);
        // In view: some sensor could detect it (in range and field of view, not hidden).
        let sensors = self.sims.sensors();
        let visible: Vec<&TruthState> = self
            .truth_buf
            .iter()
            .filter(|s| sensors.iter().any(|x| x.can_see(s, &self.truth_buf)))
            .collect();
        let objects = &self.pipeline.world().objects;
        let f = &mut self.frame_buf;
        f.time_s = t;
        f.truth.clear();
        f.truth.extend(visible.iter().map(|s| crate::eval::Object {
            id: s.index as u64,
            class: format!("{:?}", s.class).to_lowercase(),
            east_m: s.east_m,
            north_m: s.north_m,
            vel_east_mps: s.vel_east_mps,
            vel_north_mps: s.vel_north_mps,
        }));
        f.tracks.clear();
        f.tracks.extend(objects.iter().map(|o| crate::eval::Object {
            id: u64::from(o.id),
            class: format!("{:?}", o.class).to_lowercase(),
            east_m: o.east_m,
            north_m: o.north_m,
            vel_east_mps: o.vel_east_mps,
            vel_north_mps: o.vel_north_mps,
        }));
        if self.metrics.push(&self.frame_buf).is_err() {
            self.metric_errors += 1;
        }
        let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
        for (i, s) in visible.iter().enumerate() {
            for (j, o) in objects.iter().enumerate() {
                let d = (s.east_m - o.east_m).hypot(s.north_m - o.north_m);
                if d <= EVAL_GATE_M {
                    pairs.push((d, i, j));
                }
            }
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let (mut used_t, mut used_o) = (vec![false; visible.len()], vec![false; objects.len()]);
        self.eval.samples += 1;
        self.eval.visible += visible.len() as u64;
        for s in &visible {
            self.eval.ever_visible.insert(s.index);
        }
        for (d, i, j) in pairs {
            if used_t[i] || used_o[j] {
                continue;
            }
            used_t[i] = true;
            used_o[j] = true;
            self.eval.matched += 1;
            self.eval.sq_error_sum += d * d;
            self.eval.max_error_m = self.eval.max_error_m.max(d);
            self.eval.ever_matched.insert(visible[i].index);
            self.hazard_scorer.tracked(visible[i].index, t);
        }
    }
}

/// The scenario's labelled conflicts, with road users by index.
fn labels(s: &Scenario) -> Vec<crate::eval::hazards::Label> {
    s.conflicts
        .iter()
        .map(|c| crate::eval::hazards::Label {
            kind: c.kind,
            road_users: c
                .road_users
                .iter()
                .filter_map(|id| s.road_users.iter().position(|u| &u.id == id))
                .collect(),
            time_s: c.time_s,
            warn: c.warn,
        })
        .collect()
}
