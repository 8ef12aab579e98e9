//! Multi-object tracking evaluation behind `roadsight eval`: the tracker's confirmed tracks
//! against ground truth, one [`Frame`] per evaluation instant.
//!
//! Metrics follow the reference implementations so that numbers can be cross-checked
//! (`tools/eval_reference.py`, `tests/reference.rs`):
//! - GOSPA (p = 2, α = 2, cut-off c): Stone Soup's `GOSPAMetric`, averaged over all frames.
//! - CLEAR MOT (MOTA, MOTP, ID switches) and IDF1: py-motmetrics' `MOTAccumulator` fed
//!   squared Euclidean distances with `max_d2` = threshold².
//!
//! Conventions, each chosen to agree with those tools or to keep figures comparable:
//! - Matching is on position (east/north) only and ignores class: a classification error is
//!   not a tracking error, and the reference tools are class-blind too.
//! - The match gate is inclusive (d ≤ threshold); the GOSPA cut-off is not (a pair at d ≥ c
//!   counts as a miss plus a false track, as in Stone Soup).
//! - An ID switch is a truth matched to a track other than the one it was last matched to,
//!   however many frames ago (motmetrics' default `max_switch_time` = ∞).
//! - `motp_m` is the mean distance (m); `motp_squared_m2` is what motmetrics calls `motp`
//!   when given squared distances.
//! - Every frame counts in the GOSPA mean, including frames with neither truth nor tracks
//!   (GOSPA 0), which Stone Soup does not score at all.
//! - A truth object's class is its class when first seen.

mod assign;
mod clear;
mod gospa;
pub mod hazards;
mod idf1;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::eval::gospa::GospaTerms;
pub use crate::eval::gospa::{GOSPA_ALPHA, GOSPA_P};

/// A road user, true or tracked, at one instant, in the site's local east/north frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Object {
    pub id: u64,
    /// "car", "truck", "bus", "motorcycle", "bicycle", "pedestrian" or "unknown".
    pub class: String,
    pub east_m: f64,
    pub north_m: f64,
    pub vel_east_mps: f64,
    pub vel_north_mps: f64,
}

/// One evaluation instant: the road users present and in view, and the confirmed tracks
/// predicted to that instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub time_s: f64,
    pub truth: Vec<Object>,
    pub tracks: Vec<Object>,
}

/// Evaluation settings; the defaults are the project's reporting conventions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// CLEAR MOT / IDF1 match gate: a truth and a track may pair at distance ≤ this.
    pub match_threshold_m: f64,
    /// GOSPA cut-off c: the most a single miss or false track can cost, in metres.
    pub gospa_c_m: f64,
    /// A truth object counts as tracked if matched in at least this share of its frames
    /// (the "mostly tracked" criterion of CLEAR MOT tooling).
    pub tracked_min_fraction: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            match_threshold_m: 2.0,
            gospa_c_m: 3.0,
            tracked_min_fraction: 0.8,
        }
    }
}

/// Why a sequence cannot be evaluated: each would silently corrupt the metrics otherwise.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    #[error("invalid parameters: {0}")]
    InvalidParams(&'static str),
    #[error("frame {frame}: time {time_s} s is not finite or not after {previous_s} s")]
    TimeOrder {
        frame: usize,
        time_s: f64,
        previous_s: f64,
    },
    #[error("frame {frame}: {side} id {id} has a non-finite position or velocity")]
    NonFinite {
        frame: usize,
        side: &'static str,
        id: u64,
    },
    #[error("frame {frame}: {side} id {id} appears more than once")]
    DuplicateId {
        frame: usize,
        side: &'static str,
        id: u64,
    },
}

/// Per-class figures, keyed by the truth object's class (its class when first seen, so that
/// the classes partition the totals).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassReport {
    /// Distinct truth ids of this class.
    pub truth_objects: usize,
    /// Truth (object, frame) appearances.
    pub truth_instances: usize,
    pub matches: usize,
    pub misses: usize,
    pub position_rmse_m: Option<f64>,
    pub speed_rmse_mps: Option<f64>,
    pub velocity_rmse_mps: Option<f64>,
    pub tracked_fraction: Option<f64>,
}

/// The evaluation of a sequence. A ratio whose denominator is zero is `None` (JSON `null`),
/// never NaN or infinity, which JSON cannot carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub frames: usize,
    /// Distinct truth ids.
    pub truth_objects: usize,
    /// Truth (object, frame) appearances: the MOTA denominator.
    pub truth_instances: usize,
    /// Track (track, frame) appearances.
    pub track_instances: usize,
    pub match_threshold_m: f64,
    pub tracked_min_fraction: f64,
    pub gospa_c_m: f64,
    pub gospa_p: f64,
    pub gospa_alpha: f64,
    /// Mean over all frames of the per-frame GOSPA (m); a frame with neither truth nor tracks
    /// scores 0 (Stone Soup skips such instants; the reference script adds them as 0).
    pub gospa: Option<f64>,
    /// Mean per-frame localisation term: Σ d² over assigned pairs closer than c (m²).
    pub gospa_localisation: Option<f64>,
    /// Mean per-frame missed term: c²/2 per unassigned truth (m²).
    pub gospa_missed: Option<f64>,
    /// Mean per-frame false term: c²/2 per unassigned track (m²).
    pub gospa_false: Option<f64>,
    /// 1 − (misses + false positives + ID switches) / truth instances.
    pub mota: Option<f64>,
    /// Mean Euclidean distance of matched pairs (m): CLEAR MOT's MOTP.
    pub motp_m: Option<f64>,
    /// Mean squared distance of matched pairs (m²): what py-motmetrics reports as `motp`
    /// when given squared distances, kept so the two compare directly.
    pub motp_squared_m2: Option<f64>,
    /// 2·IDTP / (truth instances + track instances).
    pub idf1: Option<f64>,
    pub id_switches: usize,
    /// ID switches of road users that were in view in every frame since their last match:
    /// the ones a tracker should never make (a road user hidden for a while, or one that left
    /// every sensor's view, may come back under a new ID).
    pub id_switches_in_view: usize,
    /// Matched (truth, track) pairs over all frames, switches included (motmetrics'
    /// `num_detections`; its `num_matches` excludes the switches).
    pub matches: usize,
    pub misses: usize,
    pub false_positives: usize,
    /// RMS position error over matched pairs.
    pub position_rmse_m: Option<f64>,
    /// RMS error of speed (the velocity's magnitude) over matched pairs.
    pub speed_rmse_mps: Option<f64>,
    /// RMS error of the velocity vector over matched pairs.
    pub velocity_rmse_mps: Option<f64>,
    /// Share of truth ids matched in at least `tracked_min_fraction` of the frames they are in.
    pub tracked_fraction: Option<f64>,
    pub by_class: BTreeMap<String, ClassReport>,
}

/// Sums over matched pairs and truth appearances, for all classes or one.
#[derive(Debug, Clone, Default)]
struct Totals {
    truth_instances: usize,
    matches: usize,
    sum_d: f64,
    sum_d2: f64,
    sum_speed2: f64,
    sum_vel2: f64,
}

impl Totals {
    fn rms(&self, sum: f64) -> Option<f64> {
        ratio(sum, self.matches).map(f64::sqrt)
    }
}

/// A truth id's history: its class when first seen and how often it was present and matched.
#[derive(Debug, Clone)]
struct TruthLife {
    class: String,
    frames: usize,
    matched: usize,
}

/// Accumulates frames one at a time, so long replays need not be held in memory; the
/// assignment solvers' buffers are reused from frame to frame.
#[derive(Debug, Clone)]
pub struct Evaluator {
    params: Params,
    frames: usize,
    last_time_s: Option<f64>,
    track_instances: usize,
    false_positives: usize,
    id_switches: usize,
    id_switches_in_view: usize,
    /// Per road user: the track it was last matched to, and whether it has been in view in
    /// every frame since.
    continuity: HashMap<u64, (u64, bool)>,
    present: Vec<u64>,
    gospa_sum: GospaTerms,
    all: Totals,
    by_class: BTreeMap<String, Totals>,
    truths: HashMap<u64, TruthLife>,
    clear: clear::ClearMatcher,
    id_hits: idf1::IdHits,
    gospa_solver: assign::Assignment,
    gospa_cost: Vec<f64>,
    d2: Vec<f64>,
    ids: Vec<u64>,
}

impl Evaluator {
    /// Fails on parameters under which no figure would mean anything.
    pub fn new(params: Params) -> Result<Self, EvalError> {
        if !(params.match_threshold_m.is_finite() && params.match_threshold_m > 0.0) {
            return Err(EvalError::InvalidParams(
                "match_threshold_m must be finite and > 0",
            ));
        }
        if !(params.gospa_c_m.is_finite() && params.gospa_c_m > 0.0) {
            return Err(EvalError::InvalidParams("gospa_c_m must be finite and > 0"));
        }
        if !(params.tracked_min_fraction > 0.0 && params.tracked_min_fraction <= 1.0) {
            return Err(EvalError::InvalidParams(
                "tracked_min_fraction must be in (0, 1]",
            ));
        }
        Ok(Self {
            params,
            frames: 0,
            last_time_s: None,
            track_instances: 0,
            false_positives: 0,
            id_switches: 0,
            id_switches_in_view: 0,
            continuity: HashMap::new(),
            present: Vec::new(),
            gospa_sum: GospaTerms::default(),
            all: Totals::default(),
            by_class: BTreeMap::new(),
            truths: HashMap::new(),
            clear: clear::ClearMatcher::default(),
            id_hits: idf1::IdHits::default(),
            gospa_solver: assign::Assignment::default(),
            gospa_cost: Vec::new(),
            d2: Vec::new(),
            ids: Vec::new(),
        })
    }

    /// Adds the next frame. A rejected frame leaves the evaluator unchanged.
    pub fn push(&mut self, frame: &Frame) -> Result<(), EvalError> {
        self.check(frame)?;
        self.frames += 1;
        self.last_time_s = Some(frame.time_s);
        let (truth, tracks) = (&frame.truth, &frame.tracks);
        let m = tracks.len();
        let max_d2 = self.params.match_threshold_m * self.params.match_threshold_m;

        // Squared distances computed as numpy does ((a − b)² summed), so that pairs exactly
        // at the threshold fall the same side in the reference tools.
        self.d2.clear();
        for t in truth {
            for h in tracks {
                let (de, dn) = (t.east_m - h.east_m, t.north_m - h.north_m);
                self.d2.push(de * de + dn * dn);
            }
        }

        let g = gospa::frame_terms(
            &mut self.gospa_solver,
            &mut self.gospa_cost,
            &self.d2,
            truth.len(),
            m,
            self.params.gospa_c_m,
        );
        self.gospa_sum.distance += g.distance;
        self.gospa_sum.localisation += g.localisation;
        self.gospa_sum.missed += g.missed;
        self.gospa_sum.false_ += g.false_;

        self.id_hits.add_frame(truth, tracks, &self.d2, max_d2);

        let (rows, switches) = self.clear.match_frame(truth, tracks, &self.d2, max_d2);
        self.id_switches += switches;
        // A road user absent from this frame was out of view: its next switch is excused.
        self.present.clear();
        self.present.extend(truth.iter().map(|t| t.id));
        self.present.sort_unstable();
        let present = &self.present;
        for (id, (_, continuous)) in self.continuity.iter_mut() {
            if present.binary_search(id).is_err() {
                *continuous = false;
            }
        }
        for (t, row) in truth.iter().zip(rows.iter()) {
            let Some(j) = *row else { continue };
            let h = tracks[j].id;
            let prev = self.continuity.insert(t.id, (h, true));
            if let Some((last, true)) = prev {
                if last != h {
                    self.id_switches_in_view += 1;
                }
            }
        }
        let mut matched = 0;
        for (i, (t, row)) in truth.iter().zip(rows).enumerate() {
            let life = self.truths.entry(t.id).or_insert_with(|| TruthLife {
                class: t.class.clone(),
                frames: 0,
                matched: 0,
            });
            life.frames += 1;
            if !self.by_class.contains_key(&life.class) {
                self.by_class.insert(life.class.clone(), Totals::default());
            }
            let mut sums = [Some(&mut self.all), self.by_class.get_mut(&life.class)];
            for s in sums.iter_mut().flatten() {
                s.truth_instances += 1;
            }
            let Some(j) = *row else { continue };
            matched += 1;
            life.matched += 1;
            let h = &tracks[j];
            let d2 = self.d2[i * m + j];
            let speed_err =
                h.vel_east_mps.hypot(h.vel_north_mps) - t.vel_east_mps.hypot(t.vel_north_mps);
            let (dve, dvn) = (
                h.vel_east_mps - t.vel_east_mps,
                h.vel_north_mps - t.vel_north_mps,
            );
            for s in sums.iter_mut().flatten() {
                s.matches += 1;
                s.sum_d += d2.sqrt();
                s.sum_d2 += d2;
                s.sum_speed2 += speed_err * speed_err;
                s.sum_vel2 += dve * dve + dvn * dvn;
            }
        }
        self.false_positives += m - matched;
        self.track_instances += m;
        Ok(())
    }

    /// Rejects a frame that would make the metrics meaningless, before anything is counted.
    fn check(&mut self, frame: &Frame) -> Result<(), EvalError> {
        let index = self.frames;
        let previous_s = self.last_time_s.unwrap_or(f64::NEG_INFINITY);
        if !(frame.time_s.is_finite() && frame.time_s > previous_s) {
            return Err(EvalError::TimeOrder {
                frame: index,
                time_s: frame.time_s,
                previous_s,
            });
        }
        for (side, objects) in [("truth", &frame.truth), ("track", &frame.tracks)] {
            for o in objects {
                let values = [o.east_m, o.north_m, o.vel_east_mps, o.vel_north_mps];
                if !values.iter().all(|v| v.is_finite()) {
                    return Err(EvalError::NonFinite {
                        frame: index,
                        side,
                        id: o.id,
                    });
                }
            }
            // Ids must be unique within a frame: matching state is keyed by id.
            self.ids.clear();
            self.ids.extend(objects.iter().map(|o| o.id));
            self.ids.sort_unstable();
            if let Some(w) = self.ids.windows(2).find(|w| w[0] == w[1]) {
                return Err(EvalError::DuplicateId {
                    frame: index,
                    side,
                    id: w[0],
                });
            }
        }
        Ok(())
    }

    /// The metrics over the frames pushed so far.
    pub fn report(&self) -> Report {
        let p = &self.params;
        let tracked = |class: Option<&str>| {
            let mut objects = 0;
            let mut tracked = 0;
            for life in self.truths.values() {
                if class.is_none_or(|c| c == life.class) {
                    objects += 1;
                    // Same float test as motmetrics' `track_ratios >= 0.8`.
                    if life.matched as f64 / life.frames as f64 >= p.tracked_min_fraction {
                        tracked += 1;
                    }
                }
            }
            (objects, ratio(tracked as f64, objects))
        };
        let by_class = self
            .by_class
            .iter()
            .map(|(class, t)| {
                let (truth_objects, tracked_fraction) = tracked(Some(class));
                let report = ClassReport {
                    truth_objects,
                    truth_instances: t.truth_instances,
                    matches: t.matches,
                    misses: t.truth_instances - t.matches,
                    position_rmse_m: t.rms(t.sum_d2),
                    speed_rmse_mps: t.rms(t.sum_speed2),
                    velocity_rmse_mps: t.rms(t.sum_vel2),
                    tracked_fraction,
                };
                (class.clone(), report)
            })
            .collect();
        let (truth_objects, tracked_fraction) = tracked(None);
        let a = &self.all;
        let misses = a.truth_instances - a.matches;
        let errors = (misses + self.false_positives + self.id_switches) as f64;
        let idtp = self.id_hits.idtp();
        Report {
            frames: self.frames,
            truth_objects,
            truth_instances: a.truth_instances,
            track_instances: self.track_instances,
            match_threshold_m: p.match_threshold_m,
            tracked_min_fraction: p.tracked_min_fraction,
            gospa_c_m: p.gospa_c_m,
            gospa_p: GOSPA_P,
            gospa_alpha: GOSPA_ALPHA,
            gospa: ratio(self.gospa_sum.distance, self.frames),
            gospa_localisation: ratio(self.gospa_sum.localisation, self.frames),
            gospa_missed: ratio(self.gospa_sum.missed, self.frames),
            gospa_false: ratio(self.gospa_sum.false_, self.frames),
            mota: ratio(errors, a.truth_instances).map(|e| 1.0 - e),
            motp_m: ratio(a.sum_d, a.matches),
            motp_squared_m2: ratio(a.sum_d2, a.matches),
            idf1: ratio(2.0 * idtp as f64, a.truth_instances + self.track_instances),
            id_switches: self.id_switches,
            id_switches_in_view: self.id_switches_in_view,
            matches: a.matches,
            misses,
            false_positives: self.false_positives,
            position_rmse_m: a.rms(a.sum_d2),
            speed_rmse_mps: a.rms(a.sum_speed2),
            velocity_rmse_mps: a.rms(a.sum_vel2),
            tracked_fraction,
            by_class,
        }
    }
}

/// Evaluates a whole sequence with the given parameters.
pub fn evaluate(frames: &[Frame], params: Params) -> Result<Report, EvalError> {
    let mut e = Evaluator::new(params)?;
    for f in frames {
        e.push(f)?;
    }
    Ok(e.report())
}

/// `num / den`, or `None` when `den` is 0: an undefined ratio, not a NaN.
fn ratio(num: f64, den: usize) -> Option<f64> {
    (den > 0).then(|| num / den as f64)
}

#[cfg(test)]
mod tests;
