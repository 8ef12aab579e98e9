//! Green-light optimal speed advice: the speed range that reaches the stop line on green,
//! per signalised ingress lane (from where the lane starts, whether or not a vehicle is on
//! it: what a sign at the lane's start, or a vehicle entering it, is told) and per vehicle
//! on such a lane (from where it is).

use super::{is_green, light_at, Inputs};
use crate::hazard::{Finding, GlosaConfig, HazardKind, Values};
use crate::map::Lane;
use crate::scenario::LaneDirection;
use crate::signal::GroupState;
use crate::time::Timestamp;
use crate::v2x::cn::spat::Light;
use crate::world::WorldObject;
use serde::Serialize;

/// What a driver `distance_m` before the stop line is advised.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "advice")]
pub enum Advice {
    /// Any speed in this range arrives during a green (the first green that a speed within
    /// the limit and above `glosa.min_speed_mps` reaches).
    Speed { min_mps: f64, max_mps: f64 },
    /// No such speed: plan to stop at the line.
    Stop,
}

/// The per-lane advice: a typed record for the TCC feed and the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaneAdvice {
    pub lane: u8,
    pub signal_group: u8,
    /// From the lane's start (or `glosa.max_distance_m` out, if the lane is longer) to its
    /// stop line: where the advice applies.
    pub distance_m: f64,
    pub speed_limit_mps: f64,
    /// The light now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal_now: Option<Light>,
    #[serde(flatten)]
    pub advice: Advice,
}

/// The speed range that reaches a stop line `distance_m` ahead during a green of `group`
/// (the first green any speed in `[min_speed, limit]` reaches), or stop.
pub fn advise(
    cfg: &GlosaConfig,
    group: &GroupState,
    now: Timestamp,
    distance_m: f64,
    limit_mps: f64,
) -> Advice {
    for iv in group.intervals().iter().filter(|iv| is_green(iv.light)) {
        let (ts, te) = (
            iv.start.secs_since(now).max(0.0),
            iv.likely_end.secs_since(now),
        );
        if te <= 0.0 {
            continue;
        }
        let lo = (distance_m / te).max(cfg.min_speed_mps);
        let hi = if ts > 1e-6 {
            (distance_m / ts).min(limit_mps)
        } else {
            limit_mps
        };
        if lo <= hi {
            return Advice::Speed {
                min_mps: lo,
                max_mps: hi,
            };
        }
    }
    Advice::Stop
}

/// The advice for every signalised ingress lane whose group's timing is known, in map order:
/// one per group of the lane's movements when they have their own (a SUMO network's, a real
/// MAP's), in the order of its connections.
pub fn lane_advice(cfg: &GlosaConfig, inputs: &Inputs, out: &mut Vec<LaneAdvice>) {
    out.clear();
    if !cfg.enabled {
        return;
    }
    for lane in &inputs.map.lanes {
        let length = lane.length_m();
        if lane.direction != LaneDirection::Ingress || length <= 0.0 {
            continue;
        }
        let distance_m = length.min(cfg.max_distance_m);
        let limit = lane.speed_limit_mps.unwrap_or(cfg.default_speed_limit_mps);
        let mut advise_for = |group: u8| {
            let Some(g) = inputs.signals.iter().find(|g| g.id == group) else {
                return;
            };
            out.push(LaneAdvice {
                lane: lane.id,
                signal_group: group,
                distance_m,
                speed_limit_mps: limit,
                signal_now: light_at(inputs.signals, group, inputs.now),
                advice: advise(cfg, g, inputs.now, distance_m, limit),
            });
        };
        if let Some(group) = lane.signal_group {
            advise_for(group);
            continue;
        }
        // Each group once: a bit per group seen.
        let mut seen = [0u64; 4];
        let groups = inputs
            .map
            .connections_from(lane.id)
            .filter_map(|c| c.signal_group);
        for group in groups {
            let (word, bit) = (usize::from(group / 64), 1u64 << (group % 64));
            if seen[word] & bit == 0 {
                seen[word] |= bit;
                advise_for(group);
            }
        }
    }
}

/// The advice for a vehicle `remaining` metres before the stop line of `lane`.
pub(super) fn glosa(
    cfg: &GlosaConfig,
    inputs: &Inputs,
    lane: &Lane,
    group: u8,
    o: &WorldObject,
    remaining: f64,
    stop: [f64; 2],
) -> Option<Finding> {
    let g = inputs.signals.iter().find(|g| g.id == group)?;
    let limit = lane.speed_limit_mps.unwrap_or(cfg.default_speed_limit_mps);
    let advice = match advise(cfg, g, inputs.now, remaining, limit) {
        Advice::Speed { min_mps, max_mps } => Some((min_mps, max_mps)),
        Advice::Stop => None,
    };
    let light_now = light_at(inputs.signals, group, inputs.now);
    Some(Finding {
        kind: HazardKind::Glosa,
        road_users: vec![o.id],
        priority: 1,
        point: stop,
        rule: if advice.is_some() {
            "glosa: speed range that arrives on green"
        } else {
            "glosa: no legal speed arrives on green: stop"
        },
        values: Values {
            distance_m: Some(remaining),
            speed_mps: Some(o.speed_mps()),
            signal_now: light_now,
            advice_min_mps: advice.map(|a| a.0),
            advice_max_mps: advice.map(|a| a.1),
            advice_stop: advice.is_none(),
            ..Values::default()
        },
        lane: Some(lane.id),
    })
}
