//! The detectors: each reads the world, the map and the signal state and reports findings.
//! They share the lane geometry below and the conflict geometry of [`super::conflict`].

use super::conflict::{self, Mover, Path};
use super::{Finding, HazardConfig, HazardKind, Values};
use crate::fusion::Class;
use crate::geo::Enu;
use crate::map::geometry::{self, Footprint};
use crate::map::matching::{MapMatcher, MatchParams, MatchedPath, TrackInput};
use crate::map::{Lane, SiteMap};
use crate::scenario::LaneDirection;
use crate::signal::GroupState;
use crate::time::Timestamp;
use crate::v2x::cn::spat::Light;
use crate::world::{WorldObject, WorldSnapshot};
use std::collections::BTreeMap;

/// What the detectors look at.
pub struct Inputs<'a> {
    pub now: Timestamp,
    pub world: &'a WorldSnapshot,
    pub map: &'a SiteMap,
    /// The signal groups' states now (empty when unknown).
    pub signals: &'a [GroupState],
    /// Sensor names by index, for the provenance of each hazard.
    pub sensor_names: &'a [String],
}

/// Memory that spans evaluations: where each vehicle was relative to its stop line.
#[derive(Debug, Default)]
pub struct Detectors {
    /// Lane and connection of each track, with hysteresis; built from the map on first use.
    matcher: Option<MapMatcher>,
    /// Each road user's predicted path this evaluation, by index in the world.
    paths: Vec<Path>,
    /// Each track's speed at the last evaluation and its smoothed acceleration.
    motion: BTreeMap<u32, (Timestamp, f64, f64)>,
    /// (track, lane) → distance to the stop line at the last evaluation.
    before_line: BTreeMap<(u32, u8), f64>,
    /// Vehicles that crossed on red: when, where, how fast. Reported for
    /// [`RUNNING_REPORT_S`] so that the lifecycle's confirmation sees it.
    ran_red: BTreeMap<u32, (Timestamp, u8, [f64; 2], f64)>,
}

/// How long a red-light crossing stays a finding after it happened.
const RUNNING_REPORT_S: f64 = 3.0;

/// Height of a driver's or pedestrian's eyes above the road.
const EYE_HEIGHT_M: f64 = 1.2;

fn is_vru(c: Class) -> bool {
    matches!(c, Class::Pedestrian | Class::Bicycle)
}

fn is_large(c: Class) -> bool {
    matches!(c, Class::Truck | Class::Bus)
}

fn mover(o: &WorldObject) -> Mover {
    Mover {
        speed_mps: o.speed_mps(),
        length_m: o.length_m,
        width_m: o.width_m,
    }
}

/// Time step of a path predicted along the map.
const PATH_STEP_S: f64 = 0.25;
/// Weight of the newest acceleration sample in each track's smoothed acceleration.
const ACCEL_SMOOTHING: f64 = 0.3;

/// Distance to the stop line if the vehicle will stop there: its light is red on arrival and
/// a comfortable deceleration stops it in time.
fn stops_for_red(cfg: &HazardConfig, inputs: &Inputs, o: &WorldObject) -> Option<f64> {
    if is_vru(o.class) {
        return None;
    }
    let (lane, remaining) = ingress_lane(inputs.map, o)?;
    let v = o.speed_mps();
    if remaining <= 0.0 || v < 0.5 {
        return None;
    }
    let arrival = inputs.now.add_secs(remaining / v);
    let red = light_at(inputs.signals, lane.signal_group?, arrival) == Some(Light::Red);
    let comfortable = v * v / (2.0 * remaining) <= cfg.red_light.comfortable_decel_mps2;
    (red && comfortable).then_some(remaining)
}

/// Stops a predicted path `stop_m` along it, braking evenly from `speed_mps`.
fn hold_at(path: &mut Path, stop_m: f64, speed_mps: f64) {
    let t_stop = 2.0 * stop_m / speed_mps.max(0.1);
    let Some(&(_, x0, y0)) = path.points.first() else {
        return;
    };
    let Some(&(horizon, ..)) = path.points.last() else {
        return;
    };
    // Where the undelayed path would be after `s` metres: walk its points.
    let at_distance = |s: f64| -> (f64, f64) {
        let mut walked = 0.0;
        for w in path.points.windows(2) {
            let (dx, dy) = (w[1].1 - w[0].1, w[1].2 - w[0].2);
            let len = dx.hypot(dy);
            if walked + len >= s && len > 1e-9 {
                let f = (s - walked) / len;
                return (w[0].1 + f * dx, w[0].2 + f * dy);
            }
            walked += len;
        }
        path.points.last().map_or((x0, y0), |p| (p.1, p.2))
    };
    let steps = (horizon / PATH_STEP_S).ceil() as usize;
    let points = (0..=steps)
        .map(|k| {
            let t = (k as f64 * PATH_STEP_S).min(horizon);
            let tc = t.min(t_stop);
            let s = speed_mps * tc - 0.5 * (speed_mps / t_stop) * tc * tc;
            let (x, y) = at_distance(s.min(stop_m));
            (t, x, y)
        })
        .collect();
    path.points = points;
}

/// The polyline a road user will follow, if the map says: the connection it is on, or the
/// only connection from the ingress lane it is on, or the lane itself.
fn map_path(map: &SiteMap, path: MatchedPath) -> Option<geometry::Polyline> {
    match path {
        MatchedPath::Connection { from, to } => {
            let c = map
                .connections
                .iter()
                .find(|c| c.from == from && c.to == to)?;
            map.connection_path(c)
        }
        MatchedPath::Lane(id) => {
            let mut from = map.connections_from(id);
            match (from.next(), from.next()) {
                (Some(c), None) => map.connection_path(c),
                (None, None) => map.lane(id)?.path(),
                // Several ways on: the driver's choice is unknown; straight ahead it is.
                _ => None,
            }
        }
    }
}

/// The road user's predicted path over `horizon_s`: along its map path at its speed (then
/// straight on past the path's end), or at constant velocity.
fn predict(o: &WorldObject, along: Option<&geometry::Polyline>, horizon_s: f64) -> Path {
    let (p, v) = ([o.east_m, o.north_m], [o.vel_east_mps, o.vel_north_mps]);
    let Some(line) = along else {
        return Path::constant_velocity(p, v, horizon_s);
    };
    let speed = o.speed_mps();
    let start = line.project(p).station_m;
    let end = line.length_m();
    let steps = (horizon_s / PATH_STEP_S).ceil() as usize;
    let points = (0..=steps)
        .map(|k| {
            let t = (k as f64 * PATH_STEP_S).min(horizon_s);
            let s = start + speed * t;
            let at = line.at(s);
            let over = (s - end).max(0.0);
            let (sy, cy) = at.yaw_rad.sin_cos();
            (t, at.position[0] + over * cy, at.position[1] + over * sy)
        })
        .collect();
    Path { points }
}

/// Where a point is on an ingress lane: its distance from the centreline, how far it is
/// from the stop line along the lane (negative once past it), and the lane's direction there.
/// `None` if the lane has no length.
pub fn lane_position(lane: &Lane, p: [f64; 2]) -> Option<(f64, f64, [f64; 2])> {
    let path = lane.path()?;
    let pr = path.project(p);
    // Past the stop line counts (it is the lane's end); before the lane's start does not.
    let (lateral, remaining) = if pr.beyond_m > 0.0 {
        (pr.lateral_m.abs(), -pr.beyond_m)
    } else {
        (pr.distance_m, path.length_m() - pr.station_m)
    };
    Some((lateral, remaining, [pr.yaw_rad.cos(), pr.yaw_rad.sin()]))
}

/// The signalised ingress lane a vehicle drives along, and its distance to the stop line.
fn ingress_lane<'m>(map: &'m SiteMap, o: &WorldObject) -> Option<(&'m Lane, f64)> {
    let v = o.speed_mps();
    let p = [o.east_m, o.north_m];
    map.lanes
        .iter()
        .filter(|l| l.direction == LaneDirection::Ingress && l.signal_group.is_some())
        .filter_map(|l| lane_position(l, p).map(|pos| (l, pos)))
        .filter(|(l, (lat, _, dir))| {
            *lat <= 0.5 * l.width_m + 0.5
                && (v < 1.0 || (o.vel_east_mps * dir[0] + o.vel_north_mps * dir[1]) / v > 0.7)
        })
        .min_by(|a, b| a.1 .0.total_cmp(&b.1 .0))
        .map(|(l, (_, remaining, _))| (l, remaining))
}

/// The light of `group` at `t` from its known intervals, if they reach that far.
fn light_at(signals: &[GroupState], group: u8, t: Timestamp) -> Option<Light> {
    let g = signals.iter().find(|g| g.id == group)?;
    g.intervals()
        .iter()
        .find(|iv| iv.start <= t && t < iv.likely_end)
        .map(|iv| iv.light)
        .or_else(|| (t < g.intervals()[0].likely_end).then(|| g.current()))
}

fn is_green(l: Light) -> bool {
    matches!(l, Light::PermissiveGreen | Light::ProtectedGreen)
}

impl Detectors {
    pub fn run(&mut self, cfg: &HazardConfig, inputs: &Inputs, out: &mut Vec<Finding>) {
        let horizon = cfg
            .collision
            .time_to_conflict_s
            .max(cfg.vru.time_to_conflict_s)
            + 2.0;
        let matcher = self
            .matcher
            .get_or_insert_with(|| MapMatcher::new(inputs.map, MatchParams::default()));
        self.paths.clear();
        for o in &inputs.world.objects {
            // Pedestrians walk where they like: straight on.
            let matched = (o.class != Class::Pedestrian)
                .then(|| {
                    let t = TrackInput {
                        id: u64::from(o.id),
                        position: [o.east_m, o.north_m],
                        yaw_rad: o.yaw_rad,
                        speed_mps: o.speed_mps(),
                    };
                    matcher.match_track(inputs.now, &t)
                })
                .flatten();
            let line = matched.and_then(|m| map_path(inputs.map, m.path));
            let mut path = predict(o, line.as_ref(), horizon);
            // A vehicle that can stop comfortably for a light that will be red on its
            // arrival is expected to stop at the line, not to drive on into the cross traffic.
            if let Some(stop_m) = stops_for_red(cfg, inputs, o) {
                hold_at(&mut path, stop_m, o.speed_mps());
            }
            self.paths.push(path);
        }
        matcher.prune(inputs.now);
        let now = inputs.now;
        let mut motion = std::mem::take(&mut self.motion);
        motion.retain(|id, (t, ..)| {
            now.secs_since(*t) < 2.0 && inputs.world.objects.iter().any(|o| o.id == *id)
        });
        for o in &inputs.world.objects {
            let v = o.speed_mps();
            let e = motion.entry(o.id).or_insert((now, v, 0.0));
            let dt = now.secs_since(e.0);
            if dt > 1e-3 {
                let a = (v - e.1) / dt;
                *e = (now, v, e.2 + ACCEL_SMOOTHING * (a - e.2));
            }
        }
        self.motion = motion;
        if cfg.collision.enabled || cfg.vru.enabled {
            self.conflicts(cfg, inputs, out);
        }
        self.signal_rules(cfg, inputs, out);
        out.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.kind.cmp(&b.kind)));
    }

    fn conflicts(&self, cfg: &HazardConfig, inputs: &Inputs, out: &mut Vec<Finding>) {
        let objects = &inputs.world.objects;
        for (i, a) in objects.iter().enumerate() {
            for (j, b) in objects.iter().enumerate().skip(i + 1) {
                let vru = is_vru(a.class) != is_vru(b.class);
                let (enabled, horizon, pet_max, speeds_ok) = if vru {
                    let (v, p) = if is_vru(a.class) { (a, b) } else { (b, a) };
                    let c = &cfg.vru;
                    let ok = v.speed_mps() >= c.min_vru_speed_mps
                        && p.speed_mps() >= c.min_vehicle_speed_mps;
                    (c.enabled, c.time_to_conflict_s, c.pet_s, ok)
                } else if !is_vru(a.class) {
                    let c = &cfg.collision;
                    let ok = a.speed_mps() >= c.min_speed_mps && b.speed_mps() >= c.min_speed_mps;
                    (c.enabled, c.time_to_conflict_s, c.pet_s, ok)
                } else {
                    continue; // two pedestrians or cyclists
                };
                if !enabled || !speeds_ok {
                    continue;
                }
                // Same direction: following, not crossing (rear-end risk is another rule).
                // Opposite directions cross only if one turns (a left turn across the path).
                let cos = (a.vel_east_mps * b.vel_east_mps + a.vel_north_mps * b.vel_north_mps)
                    / (a.speed_mps() * b.speed_mps());
                let straight = |k: usize| self.paths[k].points.len() == 2;
                if cos > 0.94 || (cos < -0.94 && straight(i) && straight(j)) {
                    continue;
                }
                let Some(c) =
                    conflict::conflict(&self.paths[i], &mover(a), &self.paths[j], &mover(b))
                else {
                    continue;
                };
                let first = c.t_a_s.min(c.t_b_s);
                if first > horizon || c.pet_s >= pet_max {
                    continue;
                }
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

    /// Red-light violation and running, and GLOSA: vehicles on signalised ingress lanes.
    fn signal_rules(&mut self, cfg: &HazardConfig, inputs: &Inputs, out: &mut Vec<Finding>) {
        let now = inputs.now;
        let mut still_before: BTreeMap<(u32, u8), f64> = BTreeMap::new();
        for o in inputs.world.objects.iter().filter(|o| !is_vru(o.class)) {
            let v = o.speed_mps();
            let p = [o.east_m, o.north_m];
            let Some((lane, remaining)) = ingress_lane(inputs.map, o) else {
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
                // A driver already braking hard enough to stop has reacted: judge the stop
                // from now; otherwise after the reaction time.
                let decel = self.motion.get(&o.id).map_or(0.0, |m| -m.2);
                let stopping = decel > 0.5 && decel >= v * v / (2.0 * remaining) - 0.5;
                let braking_room = remaining - if stopping { 0.0 } else { v * rl.reaction_s };
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
                if let Some(f) = glosa(gl, inputs, lane, group, o, remaining, stop) {
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

/// The speed range that reaches the stop line during a green (the first one that any legal
/// speed reaches), or stop.
fn glosa(
    cfg: &super::GlosaConfig,
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
