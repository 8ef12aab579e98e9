//! A fixed-time controller: each group's times are known exactly, a cycle ahead.

use super::{GroupState, Interval};
use crate::scenario::{SignalGroupSpec, SignalPlan};
use crate::time::Timestamp;
use crate::v2x::cn::spat::Light;

/// A fixed-time controller: each group is green, yellow, then red, once or more per cycle.
#[derive(Debug, Clone)]
pub struct FixedTimeController {
    plan: SignalPlan,
    /// Start of the first cycle.
    origin: Timestamp,
    /// Per group (in plan order), its cycle as spans (light, start, end) in seconds from
    /// its first green's start, covering one cycle: built once, so that `states_at` does
    /// not allocate.
    cycles: Vec<Vec<(Light, f64, f64)>>,
}

impl FixedTimeController {
    pub fn new(plan: SignalPlan, scenario_start: Timestamp) -> Self {
        let cycles = plan
            .groups
            .iter()
            .map(|g| group_cycle(g, plan.cycle_s))
            .collect();
        Self {
            origin: scenario_start.add_secs(plan.offset_s),
            plan,
            cycles,
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
        for (g, spans) in self.plan.groups.iter().zip(&self.cycles) {
            if let [(light, _, _)] = spans[..] {
                // One light all cycle, on since the plan began (or since `t`, before that).
                let since = self.origin.min(t);
                out.push(GroupState::new(
                    g.id,
                    Interval::steady(light, since, t),
                    &[],
                ));
                continue;
            }
            // Spans are relative to the group's first green; find the cycle `t` is in.
            let first = g.green_start_s;
            let base = first + ((since_origin - first) / cycle).floor() * cycle;
            let rel = since_origin - base;
            let n = spans.len();
            let i = spans
                .iter()
                .position(|&(_, s, e)| s <= rel && rel < e)
                .unwrap_or(n - 1);
            let pick = |k: usize| {
                let (light, s, e) = spans[(i + k) % n];
                let shift = base + ((i + k) / n) as f64 * cycle;
                Interval::exact(
                    light,
                    self.origin.add_secs(shift + s),
                    self.origin.add_secs(shift + e),
                )
            };
            out.push(GroupState::new(g.id, pick(0), &[pick(1), pick(2)]));
        }
    }
}

/// One cycle of a group, from its first green: each green, its yellow (if any) and the red
/// until the next green; a single span for a group red, or green, all cycle. The plan was
/// checked at load: greens do not overlap.
fn group_cycle(g: &SignalGroupSpec, cycle_s: f64) -> Vec<(Light, f64, f64)> {
    if let Some(light) = g.steady_light(cycle_s) {
        return vec![(light, 0.0, cycle_s)];
    }
    let first = g.green_start_s;
    let mut windows: Vec<(f64, f64, f64)> = g
        .greens()
        .map(|w| {
            (
                (w.start_s - first).rem_euclid(cycle_s),
                w.green_s,
                w.yellow_s,
            )
        })
        .collect();
    windows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut spans = Vec::with_capacity(3 * windows.len());
    for (j, &(start, green, yellow)) in windows.iter().enumerate() {
        let next = windows.get(j + 1).map_or(cycle_s, |w| w.0);
        spans.push((g.green_light(), start, start + green));
        if yellow > 0.0 {
            spans.push((Light::Yellow, start + green, start + green + yellow));
        }
        if next > start + green + yellow {
            spans.push((Light::Red, start + green + yellow, next));
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::GreenWindow;

    /// Group 2 in a 60 s cycle: green from 30 s for 20 s, yellow 3 s, and `more_greens`.
    fn one_group(more_greens: Vec<GreenWindow>) -> SignalPlan {
        SignalPlan {
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
                more_greens,
            }],
            kind: Default::default(),
            listen: None,
            feed_timeout_s: None,
        }
    }

    #[test]
    fn cycle_of_one_group() {
        let plan = one_group(vec![]);
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

    #[test]
    fn a_group_green_twice_per_cycle() {
        // Green 30-50 (yellow to 53) and 5-15 (yellow to 17, then red until 30).
        let plan = one_group(vec![GreenWindow {
            start_s: 5.0,
            green_s: 10.0,
            yellow_s: 2.0,
        }]);
        let t0 = Timestamp::from_micros(1_000_000_000_000);
        let c = FixedTimeController::new(plan, t0);
        let mut out = Vec::new();
        let at = |s: f64| t0.add_secs(s);
        let spans = |out: &[GroupState]| -> Vec<(Light, Timestamp, Timestamp)> {
            out[0]
                .intervals()
                .iter()
                .map(|i| (i.light, i.start, i.likely_end))
                .collect()
        };
        c.states_at(at(1.0), &mut out);
        assert_eq!(
            spans(&out),
            [
                (Light::Red, at(-7.0), at(5.0)),
                (Light::ProtectedGreen, at(5.0), at(15.0)),
                (Light::Yellow, at(15.0), at(17.0)),
            ]
        );
        c.states_at(at(16.0), &mut out);
        assert_eq!(
            spans(&out),
            [
                (Light::Yellow, at(15.0), at(17.0)),
                (Light::Red, at(17.0), at(30.0)),
                (Light::ProtectedGreen, at(30.0), at(50.0)),
            ]
        );
        // Two cycles on, the same.
        c.states_at(at(136.0), &mut out);
        assert_eq!(out[0].intervals()[2].start, at(150.0));
        c.states_at(at(52.0), &mut out);
        assert_eq!(
            spans(&out),
            [
                (Light::Yellow, at(50.0), at(53.0)),
                (Light::Red, at(53.0), at(65.0)),
                (Light::ProtectedGreen, at(65.0), at(75.0)),
            ]
        );
    }

    #[test]
    fn groups_red_green_or_never_red_all_cycle() {
        let t0 = Timestamp::from_micros(1_000_000_000_000);
        let at = |s: f64| t0.add_secs(s);
        let mut out = Vec::new();
        let lights = |out: &[GroupState]| -> Vec<(Light, Timestamp, Timestamp)> {
            out[0]
                .intervals()
                .iter()
                .map(|i| (i.light, i.start, i.likely_end))
                .collect()
        };
        // Never green: red since the plan began, with no end in sight.
        let mut plan = one_group(vec![]);
        (plan.groups[0].green_s, plan.groups[0].yellow_s) = (0.0, 0.0);
        let c = FixedTimeController::new(plan.clone(), t0);
        c.states_at(at(100.0), &mut out);
        assert_eq!(lights(&out), [(Light::Red, t0, at(100.0 + 7200.0))]);
        // Green all cycle: the same, green.
        (plan.groups[0].green_s, plan.groups[0].green_start_s) = (60.0, 0.0);
        let c = FixedTimeController::new(plan.clone(), t0);
        c.states_at(at(100.0), &mut out);
        assert_eq!(
            lights(&out),
            [(Light::ProtectedGreen, t0, at(100.0 + 7200.0))]
        );
        // Before the plan's start the light has been on since the time asked.
        c.states_at(at(-5.0), &mut out);
        assert_eq!(out[0].intervals()[0].start, at(-5.0));
        // Green 30-50, yellow to 53, green again to 87 (27 s into the next cycle), yellow to
        // 90 (SUMO's `GyGy`): never red.
        plan.groups[0] = one_group(vec![GreenWindow {
            start_s: 53.0,
            green_s: 34.0,
            yellow_s: 3.0,
        }])
        .groups[0]
            .clone();
        let c = FixedTimeController::new(plan, t0);
        c.states_at(at(51.0), &mut out);
        assert_eq!(
            lights(&out),
            [
                (Light::Yellow, at(50.0), at(53.0)),
                (Light::ProtectedGreen, at(53.0), at(87.0)),
                (Light::Yellow, at(87.0), at(90.0)),
            ]
        );
        c.states_at(at(88.0), &mut out);
        assert_eq!(
            lights(&out),
            [
                (Light::Yellow, at(87.0), at(90.0)),
                (Light::ProtectedGreen, at(90.0), at(110.0)),
                (Light::Yellow, at(110.0), at(113.0)),
            ]
        );
    }
}
