//! A fixed-time controller: each group's times are known exactly, a cycle ahead.

use super::{GroupState, Interval};
use crate::scenario::SignalPlan;
use crate::time::Timestamp;
use crate::v2x::cn::spat::Light;

/// A fixed-time controller: each group is green, yellow, then red once per cycle.
#[derive(Debug, Clone)]
pub struct FixedTimeController {
    plan: SignalPlan,
    /// Start of the first cycle.
    origin: Timestamp,
}

impl FixedTimeController {
    pub fn new(plan: SignalPlan, scenario_start: Timestamp) -> Self {
        Self {
            origin: scenario_start.add_secs(plan.offset_s),
            plan,
        }
    }

    pub fn group_ids(&self) -> impl Iterator<Item = u8> + '_ {
        self.plan.groups.iter().map(|g| g.id)
    }

    /// The state of every group at `t`, into `out` (cleared first).
    pub fn states_at(&self, t: Timestamp, out: &mut Vec<GroupState>) {
        out.clear();
        let cycle = self.plan.cycle_s;
        let since_origin = t.secs_since(self.origin);
        let cycle_index = (since_origin / cycle).floor();
        for g in &self.plan.groups {
            // The three intervals of this group's cycle, as offsets from the cycle start; the
            // one containing `t` may start in the previous cycle.
            let green = g.green_start_s;
            let yellow = green + g.green_s;
            let red = yellow + g.yellow_s;
            let mut buf = [(Light::Red, 0.0, 0.0); 9];
            let mut n = 0;
            for c in [cycle_index - 1.0, cycle_index, cycle_index + 1.0] {
                let base = c * cycle;
                buf[n] = (g.green_light(), base + green, base + yellow);
                n += 1;
                if g.yellow_s > 0.0 {
                    buf[n] = (Light::Yellow, base + yellow, base + red);
                    n += 1;
                }
                buf[n] = (Light::Red, base + red, base + green + cycle);
                n += 1;
            }
            let seq = &buf[..n];
            let at = |(light, s, e): (Light, f64, f64)| {
                Interval::exact(light, self.origin.add_secs(s), self.origin.add_secs(e))
            };
            let i = seq
                .iter()
                .position(|&(_, s, e)| s <= since_origin && since_origin < e)
                .unwrap_or(0);
            let pick = |k: usize| at(seq[(i + k).min(seq.len() - 1)]);
            out.push(GroupState::new(g.id, pick(0), &[pick(1), pick(2)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::SignalGroupSpec;

    #[test]
    fn cycle_of_one_group() {
        let plan = SignalPlan {
            cycle_s: 60.0,
            offset_s: 0.0,
            groups: vec![SignalGroupSpec {
                id: 2,
                name: None,
                green_start_s: 30.0,
                green_s: 20.0,
                yellow_s: 3.0,
                min_green_s: None,
                max_green_s: None,
                timeline: vec![],
                permissive: false,
            }],
            kind: Default::default(),
            listen: None,
            feed_timeout_s: None,
        };
        let t0 = Timestamp::from_micros(1_000_000_000_000);
        let c = FixedTimeController::new(plan, t0);
        let mut out = Vec::new();
        c.states_at(t0.add_secs(10.0), &mut out);
        let g = &out[0];
        assert_eq!(g.current(), Light::Red);
        // Red since 53 s of the previous cycle (-7 s), until 30 s.
        assert_eq!(g.intervals()[0].start, t0.add_secs(-7.0));
        assert_eq!(g.intervals()[0].likely_end, t0.add_secs(30.0));
        assert_eq!(g.intervals()[1].light, Light::ProtectedGreen);
        assert_eq!(g.intervals()[2].light, Light::Yellow);
        c.states_at(t0.add_secs(51.0), &mut out);
        assert_eq!(out[0].current(), Light::Yellow);
        assert_eq!(out[0].intervals()[0].likely_end, t0.add_secs(53.0));
        c.states_at(t0.add_secs(125.0), &mut out);
        assert_eq!(out[0].current(), Light::Red);
        assert_eq!(out[0].intervals()[0].likely_end, t0.add_secs(150.0));
        // A permissive group shows permissive green, and only on green.
        let mut plan = c.plan.clone();
        plan.groups[0].permissive = true;
        let c = FixedTimeController::new(plan, t0);
        c.states_at(t0.add_secs(10.0), &mut out);
        let lights: Vec<Light> = out[0].intervals().iter().map(|i| i.light).collect();
        assert_eq!(lights, [Light::Red, Light::PermissiveGreen, Light::Yellow]);
        c.states_at(t0.add_secs(35.0), &mut out);
        assert_eq!(out[0].current(), Light::PermissiveGreen);
    }
}
