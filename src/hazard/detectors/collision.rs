//! Intersection collision (with beyond-line-of-sight) and vulnerable road users: two road
//! users' predicted paths meet with too little time between them.

use super::{
    braking_to_stop, is_large, is_vru, light_at, mover, Detectors, Hypothesis, Inputs, EYE_HEIGHT_M,
};
use crate::geo::Enu;
use crate::hazard::conflict;
use crate::hazard::{Finding, HazardConfig, HazardKind, Values};
use crate::map::geometry::{self, Footprint};
use crate::v2x::cn::spat::Light;
use crate::world::WorldObject;

impl Detectors {
    /// The pairs of road users whose paths' boxes meet, in the order of the all-pairs loop
    /// (by first index, then second), into `self.pairs`: a sort and sweep along east.
    /// Every other pair's paths cannot cross (see [`conflict::Aabb`]).
    fn broad_phase(&mut self, n: usize) {
        self.pairs.clear();
        if self.brute_force {
            self.pairs
                .extend((0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))));
            return;
        }
        let boxes = &self.boxes;
        self.sweep.clear();
        self.sweep.extend(0..n);
        self.sweep
            .sort_unstable_by(|&a, &b| boxes[a].min[0].total_cmp(&boxes[b].min[0]).then(a.cmp(&b)));
        for (k, &i) in self.sweep.iter().enumerate() {
            for &j in &self.sweep[k + 1..] {
                if boxes[j].min[0] > boxes[i].max[0] {
                    break; // this and every later box start east of box i's end
                }
                if boxes[i].overlaps(&boxes[j]) {
                    self.pairs.push((i.min(j), i.max(j)));
                }
            }
        }
        self.pairs.sort_unstable();
    }

    pub(super) fn conflicts(
        &mut self,
        cfg: &HazardConfig,
        inputs: &Inputs,
        out: &mut Vec<Finding>,
    ) {
        let objects = &inputs.world.objects;
        self.broad_phase(objects.len());
        let pairs = std::mem::take(&mut self.pairs);
        for &(i, j) in &pairs {
            let (a, b) = (&objects[i], &objects[j]);
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
                    let found = if self.brute_force {
                        conflict::conflict(&ha.path, &mover(a), &hb.path, &mover(b))
                    } else {
                        conflict::conflict_in_boxes(
                            &ha.path,
                            &ha.bbox,
                            &mover(a),
                            &hb.path,
                            &hb.bbox,
                            &mover(b),
                        )
                    };
                    let Some(c) = found else {
                        continue;
                    };
                    // Both must get there within the horizon: a PET against a road user
                    // still far off is a guess.
                    if c.t_a_s.max(c.t_b_s) > horizon || c.pet_s >= pet_max {
                        continue;
                    }
                    if self.yields(inputs, (a, ha), (b, hb), c.point)
                        || self.yields(inputs, (b, hb), (a, ha), c.point)
                    {
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
                    (false, true) => "collision: hidden from each other, PET below collision.pet_s",
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
        self.pairs = pairs;
    }

    /// Whether road user `o`, going `mine` on a movement that must give way (a permissive
    /// green; unsignalised, a minor road or a stop sign), is braking to stop short of
    /// `point` for `other`, who has the way: on a protected green, unsignalised on a movement
    /// with priority, or a pedestrian or cyclist. Predicted along its path at its speed, it
    /// would meet them there; braking, it is yielding, as the rules of the road ask.
    fn yields(
        &self,
        inputs: &Inputs,
        (o, mine): (&WorldObject, &Hypothesis),
        (other, theirs): (&WorldObject, &Hypothesis),
        point: [f64; 2],
    ) -> bool {
        let light = |h: &Hypothesis| {
            h.group
                .and_then(|g| light_at(inputs.signals, g, inputs.now))
        };
        let unsignalised = |h: &Hypothesis| h.group.is_none();
        let must_yield = light(mine) == Some(Light::PermissiveGreen)
            || (unsignalised(mine) && !mine.right_of_way.is_priority());
        let has_way = is_vru(other.class)
            || light(theirs) == Some(Light::ProtectedGreen)
            || (unsignalised(theirs) && theirs.right_of_way.is_priority() && theirs.from.is_some());
        // Straight-line distance: never more than along the path, so never too lenient.
        let to_point = (point[0] - o.east_m).hypot(point[1] - o.north_m);
        must_yield && has_way && braking_to_stop(self.decel_mps2(o.id), o.speed_mps(), to_point)
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
                let outline = conflict::footprint_corners(
                    [o.east_m, o.north_m],
                    o.yaw_rad,
                    o.length_m,
                    o.width_m,
                );
                let (_, _, height) = crate::sensor::road_user_class(o.class).default_size();
                let f = Footprint {
                    outline: &outline,
                    height_m: Some(height),
                };
                geometry::line_of_sight_blocked(ea, eb, [f])
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusion::Class;
    use crate::map::SiteMap;
    use crate::rng::Rng;
    use crate::scenario::{RightOfWay, Scenario};
    use crate::signal::{GroupState, SignalController};
    use crate::world::WorldSnapshot;

    fn object(id: u32, class: Class, p: [f64; 2], yaw: f64, speed: f64) -> WorldObject {
        WorldObject::well_tracked(id, class, p, yaw, speed)
    }

    /// A dense random world on the bundled intersection: vehicles on the lanes (on and
    /// off their heading, some slow), vehicles and pedestrians anywhere in the box, a truck
    /// or bus now and then; each moving on from frame to frame.
    fn world(map: &SiteMap, seed: u64, t: f64) -> Vec<WorldObject> {
        let mut rng = Rng::new(seed);
        let lanes: Vec<_> = map.lanes.iter().filter_map(|l| l.path()).collect();
        let mut out = Vec::new();
        for i in 0..300u32 {
            let class = match rng.next_u64() % 12 {
                0 => Class::Truck,
                1 => Class::Bus,
                2 | 3 => Class::Pedestrian,
                4 => Class::Bicycle,
                _ => Class::Car,
            };
            let speed = if is_vru(class) {
                rng.range(0.0, 6.0)
            } else {
                rng.range(0.0, 16.0)
            };
            let (p, yaw) = if i % 2 == 0 {
                let line = &lanes[rng.next_u64() as usize % lanes.len()];
                let at = line.at(rng.range(0.0, line.length_m()) + speed * t);
                (at.position, at.yaw_rad + rng.range(-0.2, 0.2))
            } else {
                let yaw = rng.range(-std::f64::consts::PI, std::f64::consts::PI);
                let p = [rng.range(-60.0, 60.0), rng.range(-60.0, 60.0)];
                let (s, c) = yaw.sin_cos();
                ([p[0] + speed * t * c, p[1] + speed * t * s], yaw)
            };
            out.push(object(i + 1, class, p, yaw, speed));
        }
        out
    }

    /// A driver on a permissive green braking to stop short of the conflict point yields to
    /// one on a protected green, or on foot; not braking enough to stop there, or on a
    /// protected green itself, it does not.
    #[test]
    fn a_permissive_driver_braking_short_of_the_conflict_yields() {
        use crate::signal::Interval;
        use crate::time::Timestamp;
        let now = Timestamp::from_micros(1_800_000_000_000_000);
        let group = |id: u8, light: Light| {
            let iv = Interval::exact(light, now.add_secs(-10.0), now.add_secs(30.0));
            GroupState::new(id, iv, &[])
        };
        let signals = vec![
            group(1, Light::PermissiveGreen),
            group(2, Light::ProtectedGreen),
        ];
        let rule = |group: Option<u8>, right_of_way| Hypothesis {
            path: conflict::Path { points: vec![] },
            bbox: conflict::Aabb::EMPTY,
            probability: 1.0,
            turns: true,
            from: Some(1),
            group,
            right_of_way,
        };
        let way = |group: u8| rule(Some(group), RightOfWay::Priority);
        let map = SiteMap::default();
        let world = WorldSnapshot {
            time: now,
            objects: vec![],
        };
        let inputs = Inputs {
            now,
            world: &world,
            map: &map,
            signals: &signals,
            sensor_names: &[],
        };
        // A left-turner at 8 m/s, 16 m before the conflict point: stopping there takes 2 m/s².
        let turner = object(
            1,
            Class::Car,
            [0.0, -16.0],
            std::f64::consts::FRAC_PI_2,
            8.0,
        );
        let oncoming = object(
            2,
            Class::Car,
            [0.0, 30.0],
            -std::f64::consts::FRAC_PI_2,
            12.0,
        );
        let walker = object(3, Class::Pedestrian, [3.0, 0.0], std::f64::consts::PI, 1.4);
        let point = [0.0, 0.0];
        let yields_to = |decel: f64, mine: u8, other: &WorldObject, theirs: u8| {
            // The turner's smoothed acceleration, as the evaluations before left it.
            let d = Detectors {
                motion: [(turner.id, (now, turner.speed_mps(), -decel))].into(),
                ..Detectors::default()
            };
            d.yields(&inputs, (&turner, &way(mine)), (other, &way(theirs)), point)
        };
        assert!(yields_to(2.0, 1, &oncoming, 2));
        assert!(yields_to(2.0, 1, &walker, 1));
        // Slowing, but not enough to stop short of the point (a turn's slowing).
        assert!(!yields_to(1.0, 1, &oncoming, 2));
        // On a protected green it has the way: braking is not yielding to a permissive one.
        assert!(!yields_to(2.0, 2, &oncoming, 1));
        // Both permissive: neither has the way over the other.
        assert!(!yields_to(2.0, 1, &oncoming, 1));
        // Unsignalised: a minor road (or a stop sign) braking short yields to the major road.
        let unsignalised = |decel: f64, mine: RightOfWay, theirs: RightOfWay| {
            let d = Detectors {
                motion: [(turner.id, (now, turner.speed_mps(), -decel))].into(),
                ..Detectors::default()
            };
            let (a, b) = (rule(None, mine), rule(None, theirs));
            d.yields(&inputs, (&turner, &a), (&oncoming, &b), point)
        };
        use RightOfWay::{GiveWay, Priority, Stop};
        assert!(unsignalised(2.0, GiveWay, Priority));
        assert!(unsignalised(2.0, Stop, Priority));
        assert!(!unsignalised(1.0, GiveWay, Priority));
        assert!(!unsignalised(2.0, Priority, GiveWay));
        assert!(!unsignalised(2.0, GiveWay, Stop));
    }

    /// The broad phase (boxes per path, sort and sweep, segment boxes) finds exactly what
    /// testing every pair of road users, ways and segments finds.
    #[test]
    fn broad_phase_finds_what_brute_force_finds() {
        let s = Scenario::default_scenario().expect("the bundled scenario");
        let map = SiteMap::from_spec(&s.map);
        let signal = SignalController::from_plan(s.signal.as_ref(), s.start());
        let cfg = HazardConfig::default();
        let names = vec!["cam".to_string()];
        let mut signals: Vec<GroupState> = Vec::new();
        let mut found = 0;
        for seed in 1..=4u64 {
            let mut fast = Detectors::default();
            let mut brute = Detectors {
                brute_force: true,
                ..Detectors::default()
            };
            for k in 0..5 {
                let t = f64::from(k) * 0.1;
                let now = s.start().add_secs(t + 7.0 * seed as f64);
                let world = WorldSnapshot {
                    time: now,
                    objects: world(&map, seed, t),
                };
                signal.states_at(now, &mut signals);
                let inputs = Inputs {
                    now,
                    world: &world,
                    map: &map,
                    signals: &signals,
                    sensor_names: &names,
                };
                let (mut a, mut b) = (Vec::new(), Vec::new());
                fast.run(&cfg, &inputs, &mut a);
                brute.run(&cfg, &inputs, &mut b);
                assert_eq!(a, b, "seed {seed}, frame {k}");
                found += a
                    .iter()
                    .filter(|f| {
                        matches!(
                            f.kind,
                            HazardKind::IntersectionCollision | HazardKind::VulnerableRoadUser
                        )
                    })
                    .count();
                // The broad phase skipped most pairs.
                assert!(fast.pairs.len() < brute.pairs.len() / 2);
            }
        }
        assert!(found > 100, "a dense world has conflicts: {found}");
    }
}
