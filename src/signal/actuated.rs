//! An actuated controller in replay: what the controller did is its recorded timeline (from
//! a simulation such as SUMO, or a log), but SPAT at time `t` may only say what a controller
//! knows at `t`. So the current interval's start is known; its end is bounded by the group's
//! minimum and maximum green (yellow is fixed), and predicted from the durations of the same
//! light seen so far (the plan's nominal time until one has been seen), with a confidence
//! that falls as those durations spread. The future of the timeline is never read.

use super::{GroupState, Interval};
use crate::scenario::{LightChange, SignalPlan};
use crate::time::Timestamp;
use crate::v2x::cn::spat::Light;

#[derive(Debug, Clone)]
struct Group {
    id: u8,
    green_s: f64,
    yellow_s: f64,
    red_s: f64,
    min_green_s: f64,
    max_green_s: f64,
    timeline: Vec<LightChange>,
    /// The light of this group's green, for predicted greens.
    green: Light,
    /// The light of a group that never changes (see `SignalGroupSpec::steady_light`).
    steady: Option<Light>,
}

#[derive(Debug, Clone)]
pub struct ActuatedController {
    epoch: Timestamp,
    groups: Vec<Group>,
}

fn is_green(l: Light) -> bool {
    matches!(
        l,
        Light::PermissiveGreen | Light::ProtectedGreen | Light::FlashingGreen
    )
}

fn is_yellow(l: Light) -> bool {
    matches!(l, Light::Yellow | Light::FlashingYellow)
}

/// Mean and standard deviation of the completed intervals of a kind of light before `t_s`.
/// An entry at the scenario start (`t_s` ≤ 0) is the light the recording began with, not a
/// change: when its interval started is unknown, so its length is no observation (a SUMO
/// run's first red would otherwise predict every later red to be as short as the part of it
/// that was recorded).
fn observed(
    timeline: &[LightChange],
    t_s: f64,
    kind: fn(Light) -> bool,
) -> Option<(f64, f64, f64, f64)> {
    let (mut n, mut sum, mut sq, mut lo, mut hi) = (0.0, 0.0, 0.0, f64::INFINITY, 0.0f64);
    let began_with = usize::from(timeline.first().is_some_and(|c| c.t_s <= 0.0));
    for w in timeline.windows(2).skip(began_with) {
        if w[1].t_s > t_s {
            break;
        }
        if kind(w[0].light) {
            let d = w[1].t_s - w[0].t_s;
            (n, sum, sq) = (n + 1.0, sum + d, sq + d * d);
            (lo, hi) = (lo.min(d), hi.max(d));
        }
    }
    (n > 0.0).then(|| {
        let mean = sum / n;
        (mean, (sq / n - mean * mean).max(0.0).sqrt(), lo, hi)
    })
}

impl ActuatedController {
    pub fn new(plan: &SignalPlan, epoch: Timestamp) -> Self {
        let groups = plan
            .groups
            .iter()
            .map(|g| Group {
                id: g.id,
                green_s: g.green_s,
                yellow_s: g.yellow_s,
                red_s: (plan.cycle_s - g.green_s - g.yellow_s).max(0.0),
                min_green_s: g.min_green_s.unwrap_or(g.green_s),
                max_green_s: g.max_green_s.unwrap_or(g.green_s),
                timeline: g.timeline.clone(),
                green: g.green_light(),
                steady: g.steady_light(plan.cycle_s),
            })
            .collect();
        Self { epoch, groups }
    }

    /// Every group's state at `t` into `out` (cleared first).
    pub fn states_at(&self, t: Timestamp, out: &mut Vec<GroupState>) {
        out.clear();
        let t_s = t.secs_since(self.epoch);
        for g in &self.groups {
            let i = g.timeline.partition_point(|c| c.t_s <= t_s);
            // Before the first recorded change the controller's state is unknown: red, with
            // its start unknown (taken as now).
            let (light, start_s) = match i.checked_sub(1).map(|k| g.timeline[k]) {
                Some(c) => (c.light, c.t_s),
                None => (g.steady.unwrap_or(Light::Red), t_s),
            };
            if g.steady.is_some() {
                // A light that never changes: no end to predict, nothing after it.
                let current = Interval::steady(light, self.epoch.add_secs(start_s), t);
                out.push(GroupState::new(g.id, current, &[]));
                continue;
            }
            let current = self.interval(g, light, start_s, t_s);
            let next_light = |l: Light| {
                if is_green(l) {
                    Light::Yellow
                } else if is_yellow(l) {
                    Light::Red
                } else {
                    g.green
                }
            };
            let l1 = next_light(light);
            let s1 = current.likely_end.secs_since(self.epoch);
            let second = self.interval(g, l1, s1, s1);
            let l2 = next_light(l1);
            let s2 = second.likely_end.secs_since(self.epoch);
            let third = self.interval(g, l2, s2, s2);
            out.push(GroupState::new(g.id, current, &[second, third]));
        }
    }

    /// An interval of `light` that started at `start_s`, as known at `now_s`.
    fn interval(&self, g: &Group, light: Light, start_s: f64, now_s: f64) -> Interval {
        let seen = observed(
            &g.timeline,
            now_s,
            match light {
                l if is_green(l) => is_green,
                l if is_yellow(l) => is_yellow,
                _ => |l| !is_green(l) && !is_yellow(l),
            },
        );
        let (min_d, max_d, nominal) = if is_green(light) {
            (g.min_green_s, g.max_green_s, g.green_s)
        } else if is_yellow(light) {
            (g.yellow_s, g.yellow_s, g.yellow_s)
        } else {
            // Red lasts while the other stages are served: around what was seen, give or
            // take the play this group's own green has (a proxy for the others').
            let span = g.max_green_s - g.min_green_s;
            let (lo, hi) = seen.map_or((g.red_s, g.red_s), |s| (s.2, s.3));
            ((lo - span).max(0.0), hi + span, g.red_s)
        };
        let (mean, sd) = seen.map_or((nominal, 0.0), |s| (s.0, s.1));
        let min_end = (start_s + min_d).max(now_s);
        let max_end = (start_s + max_d).max(min_end);
        let likely_end = (start_s + mean).clamp(min_end, max_end);
        // P(|end − likely| ≤ 1 s) for a normal spread of `sd`; certain when min = max.
        let confidence = if max_end - min_end < 1e-6 {
            1.0
        } else if sd < 1e-6 {
            0.9
        } else {
            erf(1.0 / (sd * std::f64::consts::SQRT_2)).clamp(0.05, 0.95)
        };
        let at = |s: f64| self.epoch.add_secs(s);
        Interval {
            light,
            start: at(start_s),
            min_end: at(min_end),
            max_end: at(max_end),
            likely_end: at(likely_end),
            confidence,
        }
    }
}

/// Error function (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7).
fn erf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-x * x).exp();
    y.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{SignalGroupSpec, SignalKind};

    fn plan(timeline: Vec<LightChange>) -> SignalPlan {
        SignalPlan {
            kind: SignalKind::Actuated,
            cycle_s: 60.0,
            offset_s: 0.0,
            groups: vec![SignalGroupSpec {
                id: 3,
                name: None,
                green_start_s: 0.0,
                green_s: 20.0,
                yellow_s: 3.0,
                min_green_s: Some(10.0),
                max_green_s: Some(40.0),
                timeline,
                permissive: false,
                more_greens: vec![],
            }],
            listen: None,
            feed_timeout_s: None,
        }
    }

    fn change(t_s: f64, light: Light) -> LightChange {
        LightChange { t_s, light }
    }

    #[test]
    fn bounds_and_prediction_use_only_the_past() {
        let tl = vec![
            change(0.0, Light::Red), // as the recording began: no observation
            change(5.0, Light::ProtectedGreen),
            change(30.0, Light::Yellow),
            change(33.0, Light::Red),
            change(65.0, Light::ProtectedGreen),
            change(80.0, Light::Yellow), // a short green: the controller gapped out
            change(83.0, Light::Red),
        ];
        let t0 = Timestamp::from_micros(1_800_000_000_000_000);
        let c = ActuatedController::new(&plan(tl.clone()), t0);
        let mut out = Vec::new();
        // 5 s into the second green: the first green lasted 25 s.
        c.states_at(t0.add_secs(70.0), &mut out);
        let iv = out[0].intervals()[0];
        assert_eq!(iv.light, Light::ProtectedGreen);
        assert_eq!(iv.start, t0.add_secs(65.0));
        assert_eq!(iv.min_end, t0.add_secs(75.0));
        assert_eq!(iv.max_end, t0.add_secs(105.0));
        assert_eq!(
            iv.likely_end,
            t0.add_secs(90.0),
            "mean of what was seen: 25 s"
        );
        // The recorded future (a 15 s green) is not read: the same answer with it cut off.
        let mut past_only = tl.clone();
        past_only.truncate(5);
        let mut cut = Vec::new();
        ActuatedController::new(&plan(past_only), t0).states_at(t0.add_secs(70.0), &mut cut);
        assert_eq!(cut, out);
        // Yellow is fixed; the next green starts when the predicted red ends.
        let [_, yellow, red] = out[0].intervals() else {
            panic!("three intervals")
        };
        let (yellow, red) = (*yellow, *red);
        assert_eq!(
            (yellow.light, yellow.start, yellow.likely_end),
            (Light::Yellow, t0.add_secs(90.0), t0.add_secs(93.0))
        );
        assert_eq!(yellow.confidence, 1.0);
        assert_eq!(
            (red.light, red.likely_end),
            (Light::Red, t0.add_secs(125.0)),
            "the one whole red seen: 32 s"
        );
        // Past the likely end, but still green: the end is never in the past.
        c.states_at(t0.add_secs(79.0), &mut out);
        c.states_at(t0.add_secs(95.0), &mut out);
        assert_eq!(out[0].current(), Light::Red);
        let iv = out[0].intervals()[0];
        assert!(iv.likely_end >= t0.add_secs(95.0) && iv.min_end >= t0.add_secs(95.0));
        assert!(iv.confidence < 1.0);
    }

    #[test]
    fn the_light_the_recording_began_with_is_no_observation() {
        // A SUMO run recorded from the middle of a red: 15 s of it were seen.
        let tl = vec![
            change(0.0, Light::Red),
            change(15.0, Light::ProtectedGreen),
            change(35.0, Light::Yellow),
            change(38.0, Light::Red),
        ];
        let t0 = Timestamp::from_micros(1_800_000_000_000_000);
        let mut out = Vec::new();
        ActuatedController::new(&plan(tl), t0).states_at(t0.add_secs(45.0), &mut out);
        let iv = out[0].intervals()[0];
        assert_eq!(iv.light, Light::Red);
        // The plan's nominal red (60 − 20 − 3 = 37 s) until a whole red has been seen; the
        // 15 s would have predicted green at 53 s.
        assert_eq!(iv.likely_end, t0.add_secs(75.0));
    }

    #[test]
    fn erf_matches_known_values() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-2.0, -0.995_322_3),
        ] {
            assert!((erf(x) - want).abs() < 2e-7, "erf({x})");
        }
    }

    /// A slip lane green all cycle and a movement never served: the recorded light, with no
    /// end predicted (SPAT: "more than an hour") and nothing after it.
    #[test]
    fn a_light_that_never_changes_does_not_end() {
        let t0 = Timestamp::from_micros(1_800_000_000_000_000);
        let mut out = Vec::new();
        for (green_s, light) in [(60.0, Light::ProtectedGreen), (0.0, Light::Red)] {
            let mut p = plan(vec![change(2.0, light)]);
            let g = &mut p.groups[0];
            (g.green_s, g.yellow_s, g.min_green_s, g.max_green_s) = (green_s, 0.0, None, None);
            let c = ActuatedController::new(&p, t0);
            c.states_at(t0.add_secs(500.0), &mut out);
            assert_eq!(
                out[0].intervals(),
                [Interval::steady(
                    light,
                    t0.add_secs(2.0),
                    t0.add_secs(500.0)
                )]
            );
            assert_eq!(out[0].intervals()[0].likely_end, t0.add_secs(7700.0));
            // Before the first recorded change: the light the plan says, since now.
            c.states_at(t0.add_secs(1.0), &mut out);
            assert_eq!(out[0].current(), light);
        }
    }
}
