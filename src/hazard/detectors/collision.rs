//! Intersection collision (with beyond-line-of-sight) and vulnerable road users: two road
//! users' predicted paths meet with too little time between them.

use super::{is_large, is_vru, mover, Detectors, Inputs, EYE_HEIGHT_M};
use crate::geo::Enu;
use crate::hazard::conflict;
use crate::hazard::{Finding, HazardConfig, HazardKind, Values};
use crate::map::geometry::{self, Footprint};
use crate::world::WorldObject;

impl Detectors {
    pub(super) fn conflicts(&self, cfg: &HazardConfig, inputs: &Inputs, out: &mut Vec<Finding>) {
        let objects = &inputs.world.objects;
        for (i, a) in objects.iter().enumerate() {
            for (j, b) in objects.iter().enumerate().skip(i + 1) {
                let vru = is_vru(a.class) != is_vru(b.class);
                let (enabled, horizon, pet_max, speeds_ok, min_p) = if vru {
                    let (v, p) = if is_vru(a.class) { (a, b) } else { (b, a) };
                    let c = &cfg.vru;
                    let ok = v.speed_mps() >= c.min_vru_speed_mps
                        && p.speed_mps() >= c.min_vehicle_speed_mps;
                    (
                        c.enabled,
                        c.time_to_conflict_s,
                        c.pet_s,
                        ok,
                        c.min_probability,
                    )
                } else if !is_vru(a.class) {
                    let c = &cfg.collision;
                    let ok = a.speed_mps() >= c.min_speed_mps && b.speed_mps() >= c.min_speed_mps;
                    (
                        c.enabled,
                        c.time_to_conflict_s,
                        c.pet_s,
                        ok,
                        c.min_probability,
                    )
                } else {
                    continue; // two pedestrians or cyclists
                };
                if !enabled || !speeds_ok {
                    continue;
                }
                let cos = (a.vel_east_mps * b.vel_east_mps + a.vel_north_mps * b.vel_north_mps)
                    / (a.speed_mps() * b.speed_mps());
                // The worst conflict among the ways the two may go that are jointly likely
                // enough: the smallest PET.
                let mut worst: Option<(conflict::Conflict, f64)> = None;
                for ha in &self.hypotheses[self.spans[i].clone()] {
                    for hb in &self.hypotheses[self.spans[j].clone()] {
                        let p = ha.probability * hb.probability;
                        if p < min_p {
                            continue;
                        }
                        // Same direction: following, not crossing, unless one turns across
                        // the other. Opposite directions at constant velocity do not cross.
                        let turning = ha.turns || hb.turns;
                        let cv = ha.path.points.len() == 2 && hb.path.points.len() == 2;
                        // Two from one lane go in single file: the follower never crosses
                        // the leader's path ahead of it.
                        let same_lane = ha.from.is_some() && ha.from == hb.from;
                        if same_lane || (cos > 0.94 && !turning) || (cos < -0.94 && cv) {
                            continue;
                        }
                        let Some(c) = conflict::conflict(&ha.path, &mover(a), &hb.path, &mover(b))
                        else {
                            continue;
                        };
                        // Both must get there within the horizon: a PET against a road user
                        // still far off is a guess.
                        if c.t_a_s.max(c.t_b_s) > horizon || c.pet_s >= pet_max {
                            continue;
                        }
                        if worst.is_none_or(|(w, _)| c.pet_s < w.pet_s) {
                            worst = Some((c, p));
                        }
                    }
                }
                let Some((c, probability)) = worst else {
                    continue;
                };
                let first = c.t_a_s.min(c.t_b_s);
                let blos = self.hidden(inputs, a, b);
                let collision_course = c.pet_s <= 0.0;
                let priority = 5 + u8::from(collision_course) + u8::from(blos || vru);
                let mut ids = vec![a.id, b.id];
                ids.sort_unstable();
                out.push(Finding {
                    kind: if vru {
                        HazardKind::VulnerableRoadUser
                    } else {
                        HazardKind::IntersectionCollision
                    },
                    road_users: ids,
                    priority: priority.min(7),
                    point: c.point,
                    rule: match (vru, blos) {
                        (true, _) => "vru: paths cross with PET below vru.pet_s",
                        (false, true) => {
                            "collision: hidden from each other, PET below collision.pet_s"
                        }
                        (false, false) => "collision: paths cross with PET below collision.pet_s",
                    },
                    values: Values {
                        ttc_s: c.ttc_s,
                        pet_s: Some(c.pet_s),
                        time_to_conflict_s: Some(first),
                        probability: Some(probability),
                        beyond_line_of_sight: blos,
                        ..Values::default()
                    },
                    lane: None,
                });
            }
        }
    }

    /// Whether a building or a large vehicle (other than the two) stands between them, at a
    /// driver's (or pedestrian's) eye height.
    fn hidden(&self, inputs: &Inputs, a: &WorldObject, b: &WorldObject) -> bool {
        let eye = |o: &WorldObject| Enu::new(o.east_m, o.north_m, EYE_HEIGHT_M);
        let (ea, eb) = (eye(a), eye(b));
        if inputs.map.line_of_sight_blocked(ea, eb) {
            return true;
        }
        inputs
            .world
            .objects
            .iter()
            .filter(|o| is_large(o.class) && o.id != a.id && o.id != b.id)
            .any(|o| {
                let outline =
                    conflict::footprint([o.east_m, o.north_m], o.yaw_rad, o.length_m, o.width_m);
                let (_, _, height) = crate::sensor::road_user_class(o.class).default_size();
                let f = Footprint {
                    outline: &outline,
                    height_m: Some(height),
                };
                geometry::line_of_sight_blocked(ea, eb, [f])
            })
    }
}
