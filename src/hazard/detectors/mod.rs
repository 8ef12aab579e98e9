//! The detectors, one module each (`collision`: intersection collision, beyond line of sight
//! and vulnerable road users; `red_light`: violation and running; `glosa`: speed advice).
//! Each reads the world, the map and the signal state and reports findings; they share the
//! path prediction and lane geometry here and the conflict geometry of [`super::conflict`].

use super::conflict::{Mover, Path};
use super::{Finding, HazardConfig};

mod collision;
mod glosa;
mod red_light;
use crate::fusion::Class;
use crate::map::geometry;
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
}
