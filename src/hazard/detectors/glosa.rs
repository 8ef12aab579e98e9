//! Green-light optimal speed advice: the speed range that reaches the stop line on green.

use super::{is_green, light_at, Inputs};
use crate::hazard::{Finding, GlosaConfig, HazardKind, Values};
use crate::map::Lane;
use crate::world::WorldObject;

/// The speed range that reaches the stop line during a green (the first one that any legal
/// speed reaches), or stop.
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
    let now = inputs.now;
    let mut advice = None;
    for iv in g.intervals().iter().filter(|iv| is_green(iv.light)) {
        let (ts, te) = (
            iv.start.secs_since(now).max(0.0),
            iv.likely_end.secs_since(now),
        );
        if te <= 0.0 {
            continue;
        }
        let lo = (remaining / te).max(cfg.min_speed_mps);
        let hi = if ts > 1e-6 {
            (remaining / ts).min(limit)
        } else {
            limit
        };
        if lo <= hi {
            advice = Some((lo, hi));
            break;
        }
    }
    let light_now = light_at(inputs.signals, group, now);
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
