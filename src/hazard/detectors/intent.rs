//! Which way a vehicle will go where its lane allows several: one hypothesis per connection,
//! weighed by whether the vehicle can still make that turn.
//!
//! A roadside unit sees no indicator. What it does see is speed: a turn of radius R is
//! driven at no more than √(a_lat·R), so a vehicle that would have to brake harder than
//! drivers do for a turn can no longer be turning. Every manoeuvre it still can make keeps
//! its share of the prior (uniform over the lane's connections); a warning is raised for a
//! pair of hypotheses whose joint probability reaches the detector's `min_probability`.
//! So a vehicle in a shared straight-and-left lane is warned about the oncoming traffic it
//! would turn across while it can still turn (seconds before it does), and stops being so
//! once its speed rules the turn out.

use crate::map::geometry::Polyline;
use crate::map::{Connection, SiteMap};
use serde::{Deserialize, Serialize};

/// How drivers take turns; the defaults are comfortable values from the literature on
/// turning speeds (lateral acceleration ≈ 3 m/s²) and approach braking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntentConfig {
    /// The lateral acceleration drivers turn with: a turn of radius R is driven at up to
    /// √(this·R).
    pub lateral_accel_mps2: f64,
    /// The braking a driver adds to slow for a turn; a turn that needs more than this on top
    /// of what the vehicle is braking with grows unlikely.
    pub turn_decel_mps2: f64,
}

impl Default for IntentConfig {
    fn default() -> Self {
        Self {
            lateral_accel_mps2: 3.0,
            turn_decel_mps2: 2.0,
        }
    }
}

/// Heading change below which a connection counts as straight on.
const STRAIGHT_RAD: f64 = 0.35;

/// A connection's whole path and the fastest it can be driven.
#[derive(Debug, Clone)]
pub struct Route {
    pub from: u8,
    pub to: u8,
    pub signal_group: Option<u8>,
    pub right_of_way: crate::scenario::RightOfWay,
    pub line: Polyline,
    /// Station of the stop line on `line` (the ingress lane's length).
    pub entry_m: f64,
    /// Radius of the turn across the box (`INFINITY` straight on).
    pub radius_m: f64,
}

impl Route {
    pub fn turns(&self) -> bool {
        self.radius_m.is_finite()
    }
}

/// The routes of every connection of the map, built once.
pub fn routes(map: &SiteMap) -> Vec<Route> {
    map.connections
        .iter()
        .filter_map(|c| {
            let line = map.connection_path(c)?;
            let from = map.lane(c.from)?;
            let entry_m = from.path()?.length_m();
            Some(Route {
                entry_m,
                from: c.from,
                to: c.to,
                // The connection's own group (real networks signal each movement), else
                // its lane's.
                signal_group: c.signal_group.or(from.signal_group),
                right_of_way: c.right_of_way,
                radius_m: turn_radius(map, c),
                line,
            })
        })
        .collect()
}

/// The mean radius of the turn from the ingress lane's end to the egress lane's start.
fn turn_radius(map: &SiteMap, c: &Connection) -> f64 {
    let dir = |pts: &[[f64; 2]], at_end: bool| -> Option<f64> {
        let (a, b) = if at_end {
            (pts.get(pts.len().checked_sub(2)?)?, pts.last()?)
        } else {
            (pts.first()?, pts.get(1)?)
        };
        Some((b[1] - a[1]).atan2(b[0] - a[0]))
    };
    let (Some(from), Some(to)) = (map.lane(c.from), map.lane(c.to)) else {
        return f64::INFINITY;
    };
    let (Some(h0), Some(h1)) = (dir(&from.centreline, true), dir(&to.centreline, false)) else {
        return f64::INFINITY;
    };
    let turn = crate::geo::wrap_pi(h1 - h0).abs();
    if turn < STRAIGHT_RAD {
        return f64::INFINITY;
    }
    let (Some(a), Some(b)) = (from.centreline.last(), to.centreline.first()) else {
        return f64::INFINITY;
    };
    // The chord between the two lane ends subtends the turn: R = chord / (2 sin(θ/2)).
    let chord = (b[0] - a[0]).hypot(b[1] - a[1]);
    (chord / (2.0 * (0.5 * turn).sin())).max(1.0)
}

/// What the vehicle is doing, as evidence of where it goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    pub speed_mps: f64,
    /// Distance to the stop line (the start of the turn).
    pub to_line_m: f64,
    /// Its smoothed deceleration (negative when speeding up).
    pub decel_mps2: f64,
    /// Nothing makes it brake but a turn: its light is green on arrival and no vehicle is
    /// close ahead in its lane.
    pub free_road: bool,
}

/// How plausible it is that a vehicle doing `e` takes `route`.
///
/// A turn stays fully plausible while the extra braking it still needs to slow to the
/// turn's speed is no more than `turn_decel_mps2`, and falls off (Gaussian, 1 m/s² wide)
/// beyond. Straight on is fully plausible unless the vehicle brakes on a free road, which
/// a driver going straight has no reason to do (Gaussian in the braking, 1 m/s² wide).
pub fn likelihood(cfg: &IntentConfig, route: &Route, e: &Evidence) -> f64 {
    let gauss = |x: f64| (-0.5 * x * x).exp();
    if !route.turns() {
        return if e.free_road {
            gauss(e.decel_mps2.max(0.0))
        } else {
            1.0
        };
    }
    let v_turn = (cfg.lateral_accel_mps2 * route.radius_m).sqrt();
    if e.speed_mps <= v_turn {
        return 1.0;
    }
    let needed = (e.speed_mps.powi(2) - v_turn * v_turn) / (2.0 * e.to_line_m.max(0.5));
    let extra = needed - e.decel_mps2.max(0.0);
    gauss((extra - cfg.turn_decel_mps2).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(radius_m: f64) -> Route {
        Route {
            from: 1,
            to: 2,
            signal_group: None,
            right_of_way: Default::default(),
            line: Polyline::new(&[[0.0, 0.0], [1.0, 0.0]]).unwrap(),
            entry_m: 1.0,
            radius_m,
        }
    }

    #[test]
    fn a_turn_grows_unlikely_once_it_needs_hard_braking() {
        let cfg = IntentConfig::default();
        let left = route(10.0); // √30 ≈ 5.5 m/s
        let e = |speed_mps, to_line_m, decel_mps2, free_road| Evidence {
            speed_mps,
            to_line_m,
            decel_mps2,
            free_road,
        };
        // 12 m/s, 40 m out: (144 − 30) / 80 = 1.4 m/s² suffices: still plausible.
        assert_eq!(likelihood(&cfg, &left, &e(12.0, 40.0, 0.0, true)), 1.0);
        // 12 m/s, 10 m out, not braking: 5.7 m/s² needed, 3.7 over the limit.
        let l = likelihood(&cfg, &left, &e(12.0, 10.0, 0.0, true));
        assert!(l < 0.01 && l > 0.0, "{l}");
        // … but braking at 4 m/s² already, it can still turn.
        assert_eq!(likelihood(&cfg, &left, &e(12.0, 10.0, 4.0, true)), 1.0);
        // Already slow enough: a turn is as likely as anything.
        assert_eq!(likelihood(&cfg, &left, &e(5.0, 2.0, 0.0, true)), 1.0);
        // Straight on: never ruled out by speed; braking on a free road speaks against it,
        // braking behind a queue or for a red does not.
        let straight = route(f64::INFINITY);
        assert_eq!(likelihood(&cfg, &straight, &e(30.0, 1.0, 0.0, true)), 1.0);
        let l = likelihood(&cfg, &straight, &e(8.0, 10.0, 1.5, true));
        assert!((l - (-0.5f64 * 1.5 * 1.5).exp()).abs() < 1e-12, "{l}");
        assert_eq!(likelihood(&cfg, &straight, &e(8.0, 10.0, 1.5, false)), 1.0);
    }
}
