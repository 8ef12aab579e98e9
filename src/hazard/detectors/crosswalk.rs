//! Vulnerable road users on crosswalks: a pedestrian or cyclist in a crosswalk, or
//! predicted to enter it within the horizon, against each vehicle whose predicted path
//! crosses that crosswalk while they are on it (the turning vehicle that must yield to
//! the pedestrian walking with its green is the case drivers miss).
//!
//! Unlike the point conflict of `collision`, this needs no crossing of the two predicted
//! paths: a pedestrian standing or dawdling on the crosswalk, or walking along it off the
//! vehicle's exact line, is still on the vehicle's way. The rule: the vehicle's occupancy
//! of the crosswalk (its front entering to its rear leaving) and the road user's presence
//! on it overlap, or miss each other by less than `vru.pet_s`.

use super::{is_vru, light_at, Detectors, Inputs};
use crate::fusion::Class;
use crate::hazard::conflict::Path;
use crate::hazard::{Finding, HazardConfig, HazardKind, Values};
use crate::map::geometry::point_in_polygon;
use crate::v2x::cn::spat::Light;
use crate::world::WorldObject;

/// Paths are tested against a crosswalk at least this finely in time.
const SAMPLE_S: f64 = 0.1;

/// When a path is first inside `polygon` and when it leaves it again, if it is inside within
/// `until_s`; the time it leaves is the path's horizon if it does not.
pub(super) fn span_in(path: &Path, polygon: &[[f64; 2]], until_s: f64) -> Option<(f64, f64)> {
    let mut entered: Option<f64> = None;
    for w in path.points.windows(2) {
        let ((t0, x0, y0), (t1, x1, y1)) = (w[0], w[1]);
        let n = ((t1 - t0) / SAMPLE_S).ceil().max(1.0) as usize;
        for k in 0..=n {
            let f = k as f64 / n as f64;
            let t = t0 + f * (t1 - t0);
            let inside = point_in_polygon([x0 + f * (x1 - x0), y0 + f * (y1 - y0)], polygon);
            match (entered, inside) {
                (None, true) if t <= until_s => entered = Some(t),
                (None, _) if t > until_s => return None,
                (Some(t_in), false) => return Some((t_in, t)),
                _ => {}
            }
        }
    }
    let horizon = path.points.last().map_or(0.0, |p| p.0);
    entered.map(|t_in| (t_in, horizon))
}

impl Detectors {
    pub(super) fn crosswalk_conflicts(
        &self,
        cfg: &HazardConfig,
        inputs: &Inputs,
        out: &mut Vec<Finding>,
    ) {
        let c = &cfg.vru;
        if !c.enabled {
            return;
        }
        let objects = &inputs.world.objects;
        for cw in inputs
            .map
            .crosswalks
            .iter()
            .filter(|w| w.polygon.len() >= 3)
        {
            let along = crosswalk_direction(&cw.centreline);
            // The road users on this crosswalk within the horizon, and when: (index, in, out).
            let on: Vec<(usize, f64, f64)> = objects
                .iter()
                .enumerate()
                .filter(|(_, o)| is_vru(o.class))
                .filter_map(|(i, o)| {
                    let inside = cw.contains([o.east_m, o.north_m]);
                    // A slow one counts only where it stands on the crosswalk already.
                    if !inside && o.speed_mps() < c.min_vru_speed_mps {
                        return None;
                    }
                    // A cyclist riding with the traffic passes through the crosswalk
                    // across it: a road user of the carriageway there (the paths' rule
                    // judges it), not one using the crosswalk.
                    if o.class == Class::Bicycle
                        && o.speed_mps() >= c.min_vru_speed_mps
                        && !crosses_along(o, along)
                    {
                        return None;
                    }
                    let (t_in, t_out) = self.hypotheses[self.spans[i].clone()]
                        .iter()
                        .filter_map(|h| span_in(&h.path, &cw.polygon, c.time_to_conflict_s))
                        .min_by(|a, b| a.0.total_cmp(&b.0))?;
                    // One not on it yet waits at the kerb while its light is red, as a
                    // vehicle waits at its line: not predicted to step onto it then.
                    let entry = inputs.now.add_secs(t_in);
                    let red = |g| light_at(inputs.signals, g, entry) == Some(Light::Red);
                    if !inside && cw.signal_group.is_some_and(red) {
                        return None;
                    }
                    Some((i, t_in, t_out))
                })
                .collect();
            if on.is_empty() {
                continue;
            }
            for (j, v) in objects.iter().enumerate() {
                if is_vru(v.class) || v.speed_mps() < c.min_vehicle_speed_mps {
                    continue;
                }
                // Front to rear: the centre's span widened by half the length each side.
                let half_s = 0.5 * v.length_m / v.speed_mps().max(0.1);
                let crossings: Vec<(f64, f64, f64, bool, [f64; 2])> = self.hypotheses
                    [self.spans[j].clone()]
                .iter()
                .filter(|h| h.probability >= c.min_probability)
                .filter_map(|h| {
                    let (t_in, t_out) = span_in(&h.path, &cw.polygon, c.time_to_conflict_s)?;
                    let at = position_at(&h.path, t_in);
                    Some((t_in - half_s, t_out + half_s, h.probability, h.turns, at))
                })
                .collect();
                for &(i, p_in, p_out) in &on {
                    // The gap between the two on the crosswalk (negative: both on it at once).
                    let worst = crossings
                        .iter()
                        .map(|&(v_in, v_out, p, turns, at)| {
                            ((p_in - v_out).max(v_in - p_out), v_in, p, turns, at)
                        })
                        .filter(|x| x.0 < c.pet_s)
                        .min_by(|a, b| a.0.total_cmp(&b.0));
                    let Some((gap, v_in, probability, turns, at)) = worst else {
                        continue;
                    };
                    let mut ids = vec![objects[i].id, v.id];
                    ids.sort_unstable();
                    out.push(Finding {
                        kind: HazardKind::VulnerableRoadUser,
                        road_users: ids,
                        priority: 6 + u8::from(turns || gap <= 0.0),
                        point: at,
                        rule: if turns {
                            "vru: on a crosswalk that a turning vehicle crosses"
                        } else {
                            "vru: on a crosswalk that a vehicle crosses"
                        },
                        values: Values {
                            pet_s: Some(gap),
                            time_to_conflict_s: Some(v_in.max(0.0)),
                            probability: Some(probability),
                            crosswalk: Some(cw.id),
                            ..Values::default()
                        },
                        lane: None,
                    });
                }
            }
        }
    }
}

/// The unit direction of a crosswalk's walking line (`None` if it has no length).
fn crosswalk_direction(centreline: &[[f64; 2]]) -> Option<[f64; 2]> {
    let (a, b) = (centreline.first()?, centreline.last()?);
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = dx.hypot(dy);
    (len > 0.0).then(|| [dx / len, dy / len])
}

/// Whether a moving road user goes along a crosswalk (either way, within 45° of its walking
/// line) rather than across it; any way counts on a crosswalk without a line.
fn crosses_along(o: &WorldObject, along: Option<[f64; 2]>) -> bool {
    let Some([ax, ay]) = along else {
        return true;
    };
    let cos = (o.vel_east_mps * ax + o.vel_north_mps * ay).abs() / o.speed_mps().max(1e-9);
    cos >= std::f64::consts::FRAC_1_SQRT_2
}

/// Where a path is at `t` (its last point past the end).
fn position_at(path: &Path, t: f64) -> [f64; 2] {
    for w in path.points.windows(2) {
        let ((t0, x0, y0), (t1, x1, y1)) = (w[0], w[1]);
        if t <= t1 {
            let f = if t1 > t0 {
                ((t - t0) / (t1 - t0)).clamp(0.0, 1.0)
            } else {
                0.0
            };
            return [x0 + f * (x1 - x0), y0 + f * (y1 - y0)];
        }
    }
    path.points.last().map_or([0.0, 0.0], |p| [p.1, p.2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_enters_and_leaves_a_polygon() {
        let square = [[-1.0, 5.0], [1.0, 5.0], [1.0, 7.0], [-1.0, 7.0]];
        // North at 2 m/s from y = 0: in at 2.5 s, out at 3.5 s (to the sample step).
        let p = Path::constant_velocity([0.0, 0.0], [0.0, 2.0], 8.0);
        let (a, b) = span_in(&p, &square, 5.0).expect("enters");
        assert!(
            (a - 2.5).abs() <= SAMPLE_S && (b - 3.5).abs() <= SAMPLE_S,
            "{a} {b}"
        );
        // Too late for the horizon, going away, or standing inside.
        assert!(span_in(&p, &square, 2.0).is_none());
        let away = Path::constant_velocity([0.0, 0.0], [0.0, -2.0], 8.0);
        assert!(span_in(&away, &square, 5.0).is_none());
        let still = Path::constant_velocity([0.0, 6.0], [0.0, 0.0], 8.0);
        assert_eq!(span_in(&still, &square, 5.0), Some((0.0, 8.0)));
    }
}
