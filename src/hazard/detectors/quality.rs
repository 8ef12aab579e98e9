//! Track-quality gating: a warning is only as good as the tracks it is about. A warning
//! (collision, VRU, red-light violation or running) is raised only when every road user in it
//! is on a track that has been confirmed long enough, whose velocity is known precisely enough,
//! is plausible for the lane it is on, and agrees with where the track has actually been (a
//! track that swapped onto a neighbour in a dense queue, or whose velocity ran off, moves
//! otherwise than its velocity says; a track coasting through a queue crosses stop lines it
//! never reached). GLOSA advice is not gated.

use crate::map::SiteMap;
use crate::time::Timestamp;
use crate::world::WorldObject;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// When a track is good enough to warn about (`hazards.quality`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QualityConfig {
    pub enabled: bool,
    /// A track younger than this (seconds since it was created) is not warned about.
    pub min_age_s: f64,
    /// Largest standard deviation of the velocity (m/s, the larger eigenvalue of the
    /// velocity covariance) a track may have.
    pub max_velocity_std_mps: f64,
    /// A vehicle on a lane faster than this multiple of the lane's speed limit is taken for
    /// a track whose velocity is off, unless its position history confirms the speed.
    pub max_speed_ratio: f64,
    /// The position history the velocity is checked against (seconds).
    pub history_s: f64,
    /// Largest difference (m/s) between the track's mean velocity over `history_s` and the
    /// velocity its positions show over the same time.
    pub max_velocity_mismatch_mps: f64,
    /// A track no detection has updated for longer than this (seconds) is not warned about:
    /// where it is now is a prediction only, and its road user may be gone (a SUMO route
    /// that ends on the approach) or stopped out of sight.
    pub max_coast_s: f64,
}

impl Default for QualityConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            min_age_s: 0.5,
            max_velocity_std_mps: 1.5,
            max_speed_ratio: 1.4,
            history_s: 1.0,
            max_velocity_mismatch_mps: 2.0,
            max_coast_s: 1.0,
        }
    }
}

/// One sample of a track: time, position and velocity.
type Sample = (Timestamp, [f64; 2], [f64; 2]);

/// Each track's recent positions and velocities, across evaluations.
#[derive(Debug, Default)]
pub struct History {
    tracks: BTreeMap<u32, VecDeque<Sample>>,
}

/// Why a track is not trusted (for the tests and the log).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Doubt {
    Young,
    Coasting,
    Uncertain,
    TooFast,
    Inconsistent,
}

impl History {
    /// Records this evaluation's world; forgets tracks gone and samples older than `keep_s`.
    pub fn record(&mut self, now: Timestamp, objects: &[WorldObject], keep_s: f64) {
        self.tracks
            .retain(|id, _| objects.iter().any(|o| o.id == *id));
        for o in objects {
            let h = self.tracks.entry(o.id).or_default();
            if h.back().is_some_and(|s| now.secs_since(s.0) <= 1e-6) {
                h.pop_back(); // the same instant evaluated again: keep the newest
            }
            h.push_back((
                now,
                [o.east_m, o.north_m],
                [o.vel_east_mps, o.vel_north_mps],
            ));
            while h
                .front()
                .is_some_and(|s| now.secs_since(s.0) > keep_s + 1e-6)
            {
                h.pop_front();
            }
        }
    }

    /// The velocity the positions show over the history and the mean of the track's
    /// velocities over it, when the history spans at least half of `history_s`.
    fn velocities(&self, id: u32, history_s: f64) -> Option<([f64; 2], [f64; 2])> {
        let h = self.tracks.get(&id)?;
        let (first, last) = (h.front()?, h.back()?);
        let dt = last.0.secs_since(first.0);
        if dt < 0.5 * history_s || dt <= 1e-6 {
            return None;
        }
        let shown = [(last.1[0] - first.1[0]) / dt, (last.1[1] - first.1[1]) / dt];
        // Trapezoidal mean of the velocities: what the positions should show.
        let mut sum = [0.0; 2];
        for (a, b) in h.iter().zip(h.iter().skip(1)) {
            let d = b.0.secs_since(a.0);
            for (k, s) in sum.iter_mut().enumerate() {
                *s += 0.5 * (a.2[k] + b.2[k]) * d;
            }
        }
        Some((shown, [sum[0] / dt, sum[1] / dt]))
    }

    /// Whether `o` may be warned about; `None` when it may.
    pub fn doubt(&self, cfg: &QualityConfig, map: &SiteMap, o: &WorldObject) -> Option<Doubt> {
        if !cfg.enabled {
            return None;
        }
        if o.age_s < cfg.min_age_s {
            return Some(Doubt::Young);
        }
        if o.since_update_s > cfg.max_coast_s {
            return Some(Doubt::Coasting);
        }
        let c = &o.state_cov;
        let (a, b, d) = (c[2][2], c[2][3], c[3][3]);
        let var = 0.5 * (a + d) + (0.25 * (a - d).powi(2) + b * b).sqrt();
        if var.max(0.0).sqrt() > cfg.max_velocity_std_mps {
            return Some(Doubt::Uncertain);
        }
        let consistent = self.velocities(o.id, cfg.history_s);
        if let Some((shown, mean)) = consistent {
            let miss = (shown[0] - mean[0]).hypot(shown[1] - mean[1]);
            if miss > cfg.max_velocity_mismatch_mps {
                return Some(Doubt::Inconsistent);
            }
        }
        // Faster than the lane allows by far: believed only when the positions show it.
        let limit = map
            .lanes
            .iter()
            .filter(|l| l.speed_limit_mps.is_some())
            .filter_map(|l| {
                let (lat, _, _) = super::lane_position(l, [o.east_m, o.north_m])?;
                (lat <= 0.5 * l.width_m).then_some(l.speed_limit_mps?)
            })
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
        if let Some(limit) = limit {
            let v = o.speed_mps();
            let shown = consistent.map(|(s, _)| s[0].hypot(s[1]));
            if v > cfg.max_speed_ratio * limit
                && shown.is_none_or(|s| s < cfg.max_speed_ratio * limit)
            {
                return Some(Doubt::TooFast);
            }
        }
        None
    }
}

impl History {
    /// The deceleration (m/s², positive when slowing) of the track's speed along `dir` over
    /// the last `window_s`: the least-squares slope of its samples, when there are at least
    /// three spanning half the window.
    pub fn decel_along(&self, id: u32, dir: [f64; 2], window_s: f64) -> Option<f64> {
        let h = self.tracks.get(&id)?;
        let now = h.back()?.0;
        // Walked twice (means, then sums) rather than collected: no allocation per call.
        let pts = || {
            h.iter()
                .filter(move |s| now.secs_since(s.0) <= window_s + 1e-6)
                .map(move |s| (-now.secs_since(s.0), s.2[0] * dir[0] + s.2[1] * dir[1]))
        };
        let count = pts().count();
        let n = count as f64;
        if count < 3 || pts().next().is_none_or(|p| -p.0 < 0.5 * window_s) {
            return None;
        }
        let (mt, mv) = pts().fold((0.0, 0.0), |(a, b), p| (a + p.0 / n, b + p.1 / n));
        let (sxy, sxx) = pts().fold((0.0, 0.0), |(a, b), p| {
            (a + (p.0 - mt) * (p.1 - mv), b + (p.0 - mt).powi(2))
        });
        (sxx > 1e-9).then(|| -sxy / sxx)
    }
}
