//! Red-light violation: red on arrival and no comfortable stop, and then (the same hazard)
//! crossed the stop line on red; hands vehicles on signalised lanes to GLOSA.

use super::{
    is_vru, light_at, movement_lights, Crossing, Detectors, Inputs, Violation, CROSSING_SEEN_S,
    RUNNING_REPORT_S,
};
use crate::hazard::{Finding, HazardConfig, HazardKind, Values};
use crate::map::matching::MatchedPath;
use crate::v2x::cn::spat::Light;
use std::collections::BTreeMap;

/// A leader this much slower than the follower makes it brake whatever the light.
const LEADER_SLOWER_MPS: f64 = 1.0;

impl Detectors {
    /// Red-light violation and running, and GLOSA: vehicles on signalised ingress lanes.
    pub(super) fn signal_rules(
        &mut self,
        cfg: &HazardConfig,
        inputs: &Inputs,
        out: &mut Vec<Finding>,
    ) {
        let now = inputs.now;
        let mut still_before: BTreeMap<(u32, u8), f64> = BTreeMap::new();
        let mut violations: BTreeMap<u32, Violation> = BTreeMap::new();
        let objects = inputs
            .world
            .objects
            .iter()
            .zip(&self.matches)
            .zip(&self.spans)
            .zip(&self.stop_lines);
        for (((o, matched), span), stop_line) in
            objects.filter(|(((o, ..), _), _)| !is_vru(o.class))
        {
            let v = o.speed_mps();
            let p = [o.east_m, o.north_m];
            // Running once a detection has placed it past the line: where the track was at
            // its last update (its prediction since taken back), on the lane's way at the line.
            if let Some(&c) = self.crossed_on_red.get(&o.id) {
                let seen = [
                    p[0] - o.vel_east_mps * o.since_update_s - c.stop[0],
                    p[1] - o.vel_north_mps * o.since_update_s - c.stop[1],
                ];
                if seen[0] * c.dir[0] + seen[1] * c.dir[1] >= 0.0 {
                    self.crossed_on_red.remove(&o.id);
                    self.ran_red.insert(o.id, Crossing { at: now, ..c });
                }
            }
            let Some((lane, remaining)) =
                stop_line.and_then(|(id, d)| Some((inputs.map.lane(id)?, d)))
            else {
                continue;
            };
            // The lights of the ways it may go (one group for a lane signalled as a whole).
            let movements = &self.hypotheses[span.clone()];
            let Some(lights_now) = movement_lights(movements, inputs.signals, now) else {
                continue;
            };
            let key = (o.id, lane.id);
            let was_before = self.before_line.get(&key).copied();
            if remaining > 0.0 {
                still_before.insert(key, remaining);
            }
            let red_now = lights_now.red_share >= 0.5;
            let stop = lane.stop_point().unwrap_or(p);
            // Crossed the stop line since the last evaluation, on red.
            if let (Some(d0), true) = (was_before, remaining <= 0.0) {
                // A vehicle creeping over the line in a queue (or a track's noise around a
                // stopped one) is not running the light; nor is a track in doubt as it
                // crosses (the finding outlives the crossing, and by then a glitch, such as
                // a new track's wild first velocity, may have settled).
                if red_now
                    && d0 < 30.0
                    && v >= cfg.red_light.min_speed_mps
                    && self.history.doubt(&cfg.quality, inputs.map, o).is_none()
                {
                    let dir = super::lane_position(lane, stop).map_or([0.0, 0.0], |x| x.2);
                    let c = Crossing {
                        at: now,
                        lane: lane.id,
                        stop,
                        speed_mps: v,
                        dir,
                    };
                    self.crossed_on_red.insert(o.id, c);
                }
            }
            if remaining <= 0.0 {
                continue;
            }
            let rl = &cfg.red_light;
            // Judged on the speed along the lane: the lateral part of a track's velocity (a
            // lane change, the noise of a slow track) does not bring it to the line.
            let dir = super::lane_position(lane, p).map_or([0.0, 0.0], |x| x.2);
            let v_long = (o.vel_east_mps * dir[0] + o.vel_north_mps * dir[1]).max(0.0);
            // A vehicle behind a slower one before the line stops for that one first.
            let behind_slower = (*matched).is_some_and(|(m, s)| {
                inputs
                    .world
                    .objects
                    .iter()
                    .zip(&self.matches)
                    .any(|(l, lm)| {
                        matches!(lm, Some((lp, ls)) if *lp == m && *ls > s
                            && *ls - s < super::LEADER_GAP_M)
                            && l.id != o.id
                            && l.speed_mps() < v_long - LEADER_SLOWER_MPS
                    })
            }) && matches!(matched, Some((MatchedPath::Lane(_), _)));
            // Judged whether or not the warning is enabled: the prediction of where the
            // vehicle goes follows this judgement.
            if v_long >= rl.min_speed_mps && remaining <= rl.max_distance_m && !behind_slower {
                let v = v_long;
                let arrival = now.add_secs(remaining / v);
                let lights = movement_lights(movements, inputs.signals, arrival);
                let red_on_arrival = lights.is_some_and(|l| l.red_share >= 0.5);
                let group = lights.map_or(lights_now.likeliest, |l| {
                    l.likeliest_red.unwrap_or(l.likeliest)
                });
                let on_arrival = light_at(inputs.signals, group, arrival);
                // The braking trend: the slope of the speed along the lane over the last
                // braking_window_s (quicker to show a driver's braking than the smoothed
                // acceleration, which stands in while the history is short).
                let decel = self
                    .history
                    .decel_along(o.id, dir, rl.braking_window_s)
                    .or_else(|| self.motion.get(&o.id).map(|m| -m.2))
                    .unwrap_or(0.0);
                // A driver braking hard enough to stop before the line is not warned at all;
                // one braking has reacted, and the stop is judged from now; one not braking
                // yet still needs the reaction time, whatever the light shows now (under a
                // long red as much as at the change: not braking, they have not reacted).
                let stopping = super::braking_to_stop(decel, v, remaining);
                let reacted = decel > rl.braking_decel_mps2;
                let reaction = if reacted { 0.0 } else { rl.reaction_time_s };
                let braking_room = remaining - v * reaction;
                let required = if braking_room > 0.0 {
                    v * v / (2.0 * braking_room)
                } else {
                    f64::INFINITY
                };
                if red_on_arrival && required > rl.comfortable_decel_mps2 && !stopping {
                    let f = Finding {
                        kind: HazardKind::RedLightViolation,
                        road_users: vec![o.id],
                        priority: 6,
                        point: stop,
                        rule: "red_light: red on arrival and no comfortable stop",
                        values: Values {
                            distance_m: Some(remaining),
                            speed_mps: Some(v),
                            required_decel_mps2: required.is_finite().then_some(required),
                            signal_now: light_at(inputs.signals, group, now),
                            signal_on_arrival: on_arrival,
                            ..Values::default()
                        },
                        lane: Some(lane.id),
                    };
                    // Held for `confirm_s`: not braking all that time. (A critical one
                    // starts as a warning at once, but a driver braking late and firmly
                    // still stops: `firm_decel_mps2` decides that in the prediction.)
                    let since = self.violations.get(&o.id).map_or(now, |v| v.since);
                    let confirmed = now.secs_since(since) >= cfg.confirm_time_s(f.kind) - 1e-6;
                    violations.insert(o.id, Violation { since, confirmed });
                    // Once seen past a line on red it is reported as that (below).
                    if rl.enabled && !self.ran_red.contains_key(&o.id) {
                        out.push(f);
                    }
                }
            }
            let gl = &cfg.glosa;
            if gl.enabled && remaining <= gl.max_distance_m && v >= 1.0 {
                let group = lights_now.likeliest;
                if let Some(f) = super::glosa::glosa(gl, inputs, lane, group, o, remaining, stop) {
                    out.push(f);
                }
            }
        }
        self.before_line = still_before;
        self.violations = violations;
        self.crossed_on_red
            .retain(|_, c| now.secs_since(c.at) <= CROSSING_SEEN_S);
        self.ran_red
            .retain(|_, c| now.secs_since(c.at) <= RUNNING_REPORT_S);
        if cfg.red_light.enabled {
            for (id, c) in &self.ran_red {
                out.push(Finding {
                    kind: HazardKind::RedLightViolation,
                    road_users: vec![*id],
                    priority: 7,
                    point: c.stop,
                    rule: "red_light: crossed the stop line on red",
                    values: Values {
                        speed_mps: Some(c.speed_mps),
                        signal_now: Some(Light::Red),
                        ran_red: true,
                        ..Values::default()
                    },
                    lane: Some(c.lane),
                });
            }
        }
    }
}
