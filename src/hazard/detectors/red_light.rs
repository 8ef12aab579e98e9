//! Red-light violation (red on arrival and no comfortable stop) and red-light running
//! (crossed the stop line on red); hands vehicles on signalised lanes to GLOSA.

use super::{is_vru, light_at, signal_lane, Detectors, Inputs, RUNNING_REPORT_S};
use crate::hazard::{Finding, HazardConfig, HazardKind, Values};
use crate::v2x::cn::spat::Light;
use std::collections::BTreeMap;

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
        let objects = inputs.world.objects.iter().zip(&self.matches);
        for (o, matched) in objects.filter(|(o, _)| !is_vru(o.class)) {
            let v = o.speed_mps();
            let p = [o.east_m, o.north_m];
            let Some((lane, remaining)) = signal_lane(inputs.map, *matched, o) else {
                continue;
            };
            let Some(group) = lane.signal_group else {
                continue;
            };
            let key = (o.id, lane.id);
            let was_before = self.before_line.get(&key).copied();
            if remaining > 0.0 {
                still_before.insert(key, remaining);
            }
            let light_now = light_at(inputs.signals, group, now);
            let stop = lane.stop_point().unwrap_or(p);
            // Crossed the stop line since the last evaluation, on red.
            if let (Some(d0), true) = (was_before, remaining <= 0.0) {
                // A vehicle creeping over the line in a queue (or a track's noise around a
                // stopped one) is not running the light.
                if light_now == Some(Light::Red) && d0 < 30.0 && v >= cfg.red_light.min_speed_mps {
                    self.ran_red.insert(o.id, (now, lane.id, stop, v));
                }
            }
            if remaining <= 0.0 {
                continue;
            }
            let rl = &cfg.red_light;
            if rl.enabled && v >= rl.min_speed_mps && remaining <= rl.max_distance_m {
                let arrival = now.add_secs(remaining / v);
                let on_arrival = light_at(inputs.signals, group, arrival);
                // A driver already braking has reacted: judge the stop from now (and one
                // braking hard enough to stop is not warned at all); otherwise after the
                // reaction time.
                let decel = self.motion.get(&o.id).map_or(0.0, |m| -m.2);
                let stopping = super::braking_to_stop(decel, v, remaining);
                let reacted = decel > super::BRAKING_MPS2;
                let reaction = if reacted {
                    0.0
                } else {
                    reaction_left(rl.reaction_time_s, inputs, group)
                };
                let braking_room = remaining - v * reaction;
                let required = if braking_room > 0.0 {
                    v * v / (2.0 * braking_room)
                } else {
                    f64::INFINITY
                };
                if on_arrival == Some(Light::Red)
                    && required > rl.comfortable_decel_mps2
                    && !stopping
                {
                    out.push(Finding {
                        kind: HazardKind::RedLightViolation,
                        road_users: vec![o.id],
                        priority: 6,
                        point: stop,
                        rule: "red_light: red on arrival and no comfortable stop",
                        values: Values {
                            distance_m: Some(remaining),
                            speed_mps: Some(v),
                            required_decel_mps2: required.is_finite().then_some(required),
                            signal_now: light_now,
                            signal_on_arrival: on_arrival,
                            ..Values::default()
                        },
                        lane: Some(lane.id),
                    });
                }
            }
            let gl = &cfg.glosa;
            if gl.enabled && remaining <= gl.max_distance_m && v >= 1.0 {
                if let Some(f) = super::glosa::glosa(gl, inputs, lane, group, o, remaining, stop) {
                    out.push(f);
                }
            }
        }
        self.before_line = still_before;
        self.ran_red
            .retain(|_, (t, ..)| now.secs_since(*t) <= RUNNING_REPORT_S);
        if cfg.red_light.enabled {
            for (id, (_, lane, stop, v)) in &self.ran_red {
                out.push(Finding {
                    kind: HazardKind::RedLightRunning,
                    road_users: vec![*id],
                    priority: 7,
                    point: *stop,
                    rule: "red_light: crossed the stop line on red",
                    values: Values {
                        speed_mps: Some(*v),
                        signal_now: Some(Light::Red),
                        ..Values::default()
                    },
                    lane: Some(*lane),
                });
            }
        }
    }
}

/// How much of the perception-reaction time a driver of `group` still needs before braking:
/// it starts when the light leaves green (the dilemma zone is defined at the onset of
/// yellow), so all of it while the light is green, what is left of it during the yellow,
/// and none once red (the driver has had the whole yellow to see it coming).
fn reaction_left(reaction_time_s: f64, inputs: &Inputs, group: u8) -> f64 {
    let Some(g) = inputs.signals.iter().find(|g| g.id == group) else {
        return reaction_time_s;
    };
    let current = g.intervals()[0];
    match light_at(inputs.signals, group, inputs.now) {
        Some(l) if super::is_green(l) => reaction_time_s,
        Some(Light::Yellow) => {
            (reaction_time_s - inputs.now.secs_since(current.start)).clamp(0.0, reaction_time_s)
        }
        Some(_) => 0.0,
        None => reaction_time_s,
    }
}
