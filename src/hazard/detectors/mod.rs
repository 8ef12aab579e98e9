//! The detectors, one module each (`collision`: intersection collision, beyond line of sight
//! and vulnerable road users; `red_light`: violation and running; `glosa`: speed advice).
//! Each reads the world, the map and the signal state and reports findings; they share the
//! path prediction and lane geometry here and the conflict geometry of [`super::conflict`].

use super::conflict::{Aabb, Mover, Path};
use super::{Finding, HazardConfig, HazardKind};

mod collision;
mod crosswalk;
pub mod glosa;
pub mod intent;
pub mod quality;
mod red_light;
use crate::fusion::Class;
use crate::map::geometry;
use crate::map::matching::{MapMatcher, MatchParams, MatchedPath, TrackInput};
use crate::map::{Lane, SiteMap};
use crate::scenario::{LaneDirection, RightOfWay};
use crate::signal::GroupState;
use crate::time::Timestamp;
use crate::v2x::cn::spat::Light;
use crate::world::{WorldObject, WorldSnapshot};
use std::cmp::Ordering;
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
    /// The map's connections as routes with their turn radii; built from the map on first use.
    routes: Option<Vec<intent::Route>>,
    /// Every road user's predicted paths this evaluation, one per way it may go …
    hypotheses: Vec<Hypothesis>,
    /// Each road user's lane or connection and station this evaluation, by index.
    matches: Vec<Option<(MatchedPath, f64)>>,
    /// Each road user's signalised ingress lane and its distance to that lane's stop line,
    /// by index (see [`signal_lane`]): for the prediction and the signal rules alike.
    stop_lines: Vec<Option<(u8, f64)>>,
    /// … and which of them are whose, by index in the world …
    spans: Vec<std::ops::Range<usize>>,
    /// … and the box around all of each road user's paths, by index in the world (the
    /// broad phase of the conflict search).
    boxes: Vec<Aabb>,
    /// Scratch of the broad phase, kept to reuse its memory: road users by box, and the
    /// pairs whose boxes meet.
    sweep: Vec<usize>,
    pairs: Vec<(usize, usize)>,
    /// Test every pair of road users and of segments (no broad phase): the reference the
    /// broad phase is checked against.
    brute_force: bool,
    /// Each track's speed at the last evaluation and its smoothed acceleration.
    motion: BTreeMap<u32, (Timestamp, f64, f64)>,
    /// (track, lane) → distance to the stop line at the last evaluation.
    before_line: BTreeMap<(u32, u8), f64>,
    /// Tracks that crossed a stop line on red, not yet seen past it by a detection: when,
    /// which lane's line, where, how fast, and the lane's direction there. A track coasting
    /// over the line (its road user hidden at the line, or gone, as at the end of a SUMO
    /// route) has not been seen to run the light.
    crossed_on_red: BTreeMap<u32, Crossing>,
    /// Vehicles seen to have crossed on red (`at`: when that was seen). Reported for
    /// [`RUNNING_REPORT_S`] so that the lifecycle's confirmation sees it.
    ran_red: BTreeMap<u32, Crossing>,
    /// Each track's recent positions and velocities: its quality and its braking trend.
    history: quality::History,
    /// The ingress lane each track last drove on, and when: after the stop line it still
    /// goes in single file with those from that lane.
    came_from: BTreeMap<u32, (u8, Timestamp)>,
    /// Vehicles the red-light rule finds in violation, since when (whether or not that
    /// detector is enabled: the prediction uses its judgement).
    violations: BTreeMap<u32, Violation>,
}

/// A stop line crossed on red by a track.
#[derive(Debug, Clone, Copy)]
struct Crossing {
    at: Timestamp,
    lane: u8,
    stop: [f64; 2],
    speed_mps: f64,
    /// The lane's direction at the line.
    dir: [f64; 2],
}

/// A red-light violation held over consecutive evaluations.
#[derive(Debug, Clone, Copy)]
struct Violation {
    since: Timestamp,
    /// Held for `red_light.confirm_s`: the vehicle is then predicted to run its red.
    confirmed: bool,
}

/// How long a track that left its ingress lane is still taken to have come from it.
const CAME_FROM_KEEP_S: f64 = 10.0;

/// One way a road user may go, and how likely it is.
#[derive(Debug, Clone)]
struct Hypothesis {
    path: Path,
    /// The box around `path` (see [`Aabb::of_path`]).
    bbox: Aabb,
    probability: f64,
    /// Along a turning connection (a same-direction pair may then cross).
    turns: bool,
    /// The ingress lane it starts from (or, past the stop line, last drove on): two road
    /// users from one lane follow each other, they do not cross.
    from: Option<u8>,
    /// The signal group of its movement: the connection's, else the lane's.
    group: Option<u8>,
    /// Its movement's rule where no signal group controls it.
    right_of_way: RightOfWay,
}

/// How the lights stand for a road user's predicted movements at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
struct MovementLights {
    /// The group of its likeliest signalised movement.
    likeliest: u8,
    /// The group of its likeliest movement that is red then.
    likeliest_red: Option<u8>,
    /// The share, by likelihood, of its movements that are red then (an unsignalised
    /// movement counts as not red).
    red_share: f64,
}

/// The lights of `hypotheses`' movements at `t`; `None` if none of them is signalised. On a
/// lane whose movements share one group this is just that group's light; on one whose
/// movements have their own (a SUMO network's, a real MAP's), it weighs them by intent.
fn movement_lights(
    hypotheses: &[Hypothesis],
    signals: &[GroupState],
    t: Timestamp,
) -> Option<MovementLights> {
    let (mut red, mut total) = (0.0, 0.0);
    let mut likeliest: Option<(u8, f64)> = None;
    let mut likeliest_red: Option<(u8, f64)> = None;
    let more_likely = |best: Option<(u8, f64)>, p: f64| best.is_none_or(|(_, q)| p > q);
    for h in hypotheses {
        total += h.probability;
        let Some(g) = h.group else { continue };
        if more_likely(likeliest, h.probability) {
            likeliest = Some((g, h.probability));
        }
        if light_at(signals, g, t) == Some(Light::Red) {
            red += h.probability;
            if more_likely(likeliest_red, h.probability) {
                likeliest_red = Some((g, h.probability));
            }
        }
    }
    Some(MovementLights {
        likeliest: likeliest?.0,
        likeliest_red: likeliest_red.map(|l| l.0),
        red_share: if total > 0.0 { red / total } else { 0.0 },
    })
}

/// A vehicle slower than this and speeding up faster than that is a queue moving off.
const QUEUE_SPEED_MPS: f64 = 8.0;
const QUEUE_ACCEL_MPS2: f64 = 0.5;
/// A vehicle this close ahead in the same lane explains braking.
const LEADER_GAP_M: f64 = 40.0;
/// Below this speed a track's heading is too noisy to choose a lane by.
const HEADING_SPEED_MPS: f64 = 3.0;

/// Hypotheses less likely than this are not predicted at all.
const MIN_HYPOTHESIS: f64 = 0.05;

/// How long a red-light crossing stays a finding after it was seen.
const RUNNING_REPORT_S: f64 = 3.0;
/// A crossing on red that no detection shows past the line within this is dropped.
const CROSSING_SEEN_S: f64 = 1.0;

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

/// Whether a vehicle at `speed_mps`, `remaining_m` before its stop line, will stop there
/// for `group`: its light is red on arrival and firm braking (or the braking the vehicle
/// shows) stops it in time.
fn stops_for_red(
    cfg: &HazardConfig,
    inputs: &Inputs,
    speed_mps: f64,
    remaining_m: f64,
    group: u8,
    decel_mps2: f64,
) -> bool {
    let (v, remaining) = (speed_mps, remaining_m);
    if remaining <= 0.0 || v < 0.5 {
        return false;
    }
    let arrival = inputs.now.add_secs(remaining / v);
    let red = light_at(inputs.signals, group, arrival) == Some(Light::Red);
    let can_stop = v * v / (2.0 * remaining) <= cfg.red_light.firm_decel_mps2;
    red && (can_stop || braking_to_stop(decel_mps2, v, remaining))
}

/// The signalised ingress lane a road user is associated with by the map matcher (the lane
/// it is on, or the one it left by the connection it is on) and its distance to that lane's
/// stop line (negative past it). One association for the prediction and the signal rules.
/// A lane is signalised by its own group or by those of its connections.
fn signal_lane<'m>(
    map: &'m SiteMap,
    matched: Option<(MatchedPath, f64)>,
    o: &WorldObject,
) -> Option<(&'m Lane, f64)> {
    let id = match matched?.0 {
        MatchedPath::Lane(id) => id,
        MatchedPath::Connection { from, .. } => from,
    };
    let lane = map.lane(id).filter(|l| {
        l.direction == LaneDirection::Ingress
            && (l.signal_group.is_some()
                || map.connections_from(l.id).any(|c| c.signal_group.is_some()))
    })?;
    let (_, remaining, _) = lane_position(lane, [o.east_m, o.north_m])?;
    Some((lane, remaining))
}

/// A smoothed deceleration above this is braking (rather than the noise of a track's speed,
/// or engine drag).
const BRAKING_MPS2: f64 = 0.5;

/// Whether a vehicle braking at `decel_mps2` is stopping before a line `remaining_m` ahead:
/// it brakes with at least 3/4 of the deceleration the stop needs (speed and position are
/// noisy close to the line, and drivers brake harder as they close in).
fn braking_to_stop(decel_mps2: f64, speed_mps: f64, remaining_m: f64) -> bool {
    decel_mps2 > BRAKING_MPS2
        && decel_mps2 >= 0.75 * speed_mps * speed_mps / (2.0 * remaining_m.max(0.1))
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
    let end = path.points.last().map_or((x0, y0), |p| (p.1, p.2));
    // Where the undelayed path would be after `s` metres. The samples' distances mostly
    // grow, so the walk goes on from the last sample's segment (and the distance walked to
    // its start) when it may: the segments before it end short of that sample's distance,
    // hence of this one's too. No segment is measured twice on the way, and nothing is kept
    // but the cursor.
    let (mut segment, mut walked, mut last_s) = (0, 0.0, f64::NEG_INFINITY);
    let mut at_distance = |s: f64| -> (f64, f64) {
        // Also after a NaN: only a distance not below the last one keeps the cursor.
        if s.partial_cmp(&last_s).is_none_or(Ordering::is_lt) {
            (segment, walked) = (0, 0.0);
        }
        last_s = s;
        while let Some(w) = path.points.get(segment..segment + 2) {
            let (dx, dy) = (w[1].1 - w[0].1, w[1].2 - w[0].2);
            let len = dx.hypot(dy);
            if walked + len >= s && len > 1e-9 {
                let f = (s - walked) / len;
                return (w[0].1 + f * dx, w[0].2 + f * dy);
            }
            walked += len;
            segment += 1;
        }
        end
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

/// How a road user's speed is predicted to change along its path.
#[derive(Debug, Clone, Copy)]
struct SpeedPlan {
    speed_mps: f64,
    /// Speeding up (a queue moving off on green) at this rate, up to `cap_mps`.
    accel_mps2: f64,
    cap_mps: f64,
    /// A turn ahead: slow evenly to `.1` m/s by station `.0` of the path, then keep it.
    turn: Option<(f64, f64)>,
}

/// The road user's predicted path over `horizon_s`: along its map path with `plan` (then
/// straight on past the path's end), or at constant velocity.
fn predict(
    o: &WorldObject,
    along: Option<&geometry::Polyline>,
    plan: SpeedPlan,
    horizon_s: f64,
) -> Path {
    let (p, v) = ([o.east_m, o.north_m], [o.vel_east_mps, o.vel_north_mps]);
    let Some(line) = along else {
        return Path::constant_velocity(p, v, horizon_s);
    };
    let start = line.project(p).station_m;
    let end = line.length_m();
    let steps = (horizon_s / PATH_STEP_S).ceil() as usize;
    // Slowing for a turn: the deceleration that reaches the turn's speed at its start.
    let turn_decel = plan.turn.and_then(|(at, v_turn)| {
        let d = at - start;
        (d > 0.5 && plan.speed_mps > v_turn)
            .then(|| (plan.speed_mps.powi(2) - v_turn * v_turn) / (2.0 * d))
    });
    const SUBSTEPS: usize = 5;
    let dt = PATH_STEP_S / SUBSTEPS as f64;
    let (mut s, mut speed) = (start, plan.speed_mps);
    let mut points = Vec::with_capacity(steps + 1);
    let mut cursor = 0;
    for k in 0..=steps {
        let t = (k as f64 * PATH_STEP_S).min(horizon_s);
        let at = line.at_from(s, &mut cursor);
        let over = (s - end).max(0.0);
        let (sy, cy) = at.yaw_sin_cos;
        points.push((t, at.position[0] + over * cy, at.position[1] + over * sy));
        for _ in 0..SUBSTEPS {
            let next = match (plan.turn, turn_decel) {
                (Some((_, v_turn)), Some(d)) => (speed - d * dt).max(v_turn),
                (Some((_, v_turn)), None) => (speed + plan.accel_mps2 * dt).min(v_turn.max(speed)),
                _ => (speed + plan.accel_mps2 * dt).min(plan.cap_mps.max(speed)),
            };
            s += 0.5 * (speed + next) * dt;
            speed = next;
        }
    }
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
    /// A track's smoothed deceleration (negative when speeding up; 0 before it is known).
    fn decel_mps2(&self, id: u32) -> f64 {
        self.motion.get(&id).map_or(0.0, |m| -m.2)
    }

    pub fn run(&mut self, cfg: &HazardConfig, inputs: &Inputs, out: &mut Vec<Finding>) {
        let horizon = cfg
            .collision
            .time_to_conflict_s
            .max(cfg.vru.time_to_conflict_s)
            + 2.0;
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
        let keep = cfg.quality.history_s.max(cfg.red_light.braking_window_s);
        self.history.record(now, &inputs.world.objects, keep);
        let matcher = self.matcher.get_or_insert_with(|| {
            let params = MatchParams {
                heading_speed_mps: HEADING_SPEED_MPS,
                ..MatchParams::default()
            };
            MapMatcher::new(inputs.map, params)
        });
        let routes = self
            .routes
            .get_or_insert_with(|| intent::routes(inputs.map));
        self.hypotheses.clear();
        self.spans.clear();
        self.boxes.clear();
        self.matches.clear();
        self.stop_lines.clear();
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
            self.matches.push(matched.map(|m| (m.path, m.station_m)));
        }
        // Each way out of a lane with its likelihood (reused across road users).
        let mut weighed: Vec<(&intent::Route, f64)> = Vec::new();
        for (index, o) in inputs.world.objects.iter().enumerate() {
            let first = self.hypotheses.len();
            let matched = self.matches[index];
            let ingress = match matched {
                Some((MatchedPath::Connection { from, .. }, _)) => Some(from),
                Some((MatchedPath::Lane(id), _)) if routes.iter().any(|r| r.from == id) => Some(id),
                _ => None,
            };
            if let Some(lane) = ingress {
                self.came_from.insert(o.id, (lane, now));
            }
            let came_from = self.came_from.get(&o.id).map(|e| e.0);
            let signal = signal_lane(inputs.map, matched, o);
            self.stop_lines.push(signal.map(|(l, d)| (l.id, d)));
            let lane_group = signal.and_then(|(l, _)| l.signal_group);
            let v = o.speed_mps();
            let accel = self.motion.get(&o.id).map_or(0.0, |m| m.2);
            // A queue moving off: predicted to speed up (to the lane's limit) rather than
            // to crawl across the box at its speed of now.
            let moving_off = accel > QUEUE_ACCEL_MPS2 && v < QUEUE_SPEED_MPS;
            let base = SpeedPlan {
                speed_mps: v,
                accel_mps2: if moving_off { accel } else { 0.0 },
                cap_mps: cfg.glosa.default_speed_limit_mps,
                turn: None,
            };
            let intent_cfg = &cfg.intent;
            let mut push = |route: Option<&intent::Route>,
                            line: Option<&geometry::Polyline>,
                            probability: f64| {
                let turn = route.filter(|r| r.turns()).map(|r| {
                    (
                        r.entry_m,
                        (intent_cfg.lateral_accel_mps2 * r.radius_m).sqrt(),
                    )
                });
                self.hypotheses.push(Hypothesis {
                    path: predict(o, line, SpeedPlan { turn, ..base }, horizon),
                    bbox: Aabb::EMPTY,
                    probability,
                    turns: turn.is_some(),
                    from: route.map(|r| r.from).or(came_from),
                    group: route.map_or(lane_group, |r| r.signal_group),
                    right_of_way: route.map_or(RightOfWay::Priority, |r| r.right_of_way),
                });
            };
            match matched {
                Some((MatchedPath::Connection { from, to }, _)) => {
                    match routes.iter().find(|r| r.from == from && r.to == to) {
                        Some(r) => push(Some(r), Some(&r.line), 1.0),
                        None => push(None, None, 1.0),
                    }
                }
                Some((MatchedPath::Lane(id), station_m)) => {
                    let ways = routes.iter().filter(|r| r.from == id);
                    let to_line = routes
                        .iter()
                        .find(|r| r.from == id)
                        .map_or(0.0, |r| r.entry_m - station_m);
                    let leader = self.matches.iter().any(|m| {
                        matches!(m, Some((MatchedPath::Lane(l), s))
                            if *l == id && *s > station_m && *s - station_m < LEADER_GAP_M)
                    });
                    // Its light: the lane's, else that of its way straight on (slowing
                    // with that one green is what points to a turn).
                    let group = inputs
                        .map
                        .lane(id)
                        .and_then(|l| l.signal_group)
                        .or_else(|| {
                            routes
                                .iter()
                                .find(|r| r.from == id && !r.turns())
                                .and_then(|r| r.signal_group)
                        });
                    let green_on_arrival = group.is_none_or(|g| {
                        let arrival = inputs.now.add_secs(to_line / v.max(0.5));
                        light_at(inputs.signals, g, arrival).is_none_or(is_green)
                    });
                    let evidence = intent::Evidence {
                        speed_mps: v,
                        to_line_m: to_line,
                        decel_mps2: -accel,
                        free_road: green_on_arrival && !leader,
                    };
                    weighed.clear();
                    weighed
                        .extend(ways.map(|r| (r, intent::likelihood(&cfg.intent, r, &evidence))));
                    let total: f64 = weighed.iter().map(|w| w.1).sum();
                    if total <= 0.0 {
                        // An egress lane, or a lane that leads nowhere: along the lane.
                        let line = inputs.map.lane(id).and_then(|l| l.path());
                        push(None, line, 1.0);
                    } else {
                        for &(r, w) in &weighed {
                            if w / total >= MIN_HYPOTHESIS {
                                push(Some(r), Some(&r.line), w / total);
                            }
                        }
                    }
                }
                // A vehicle on a lane that the matcher refused (its heading disagrees: a
                // queue creeping, or a track whose velocity is off) goes along the lane; a
                // road user off the lanes, at its velocity.
                None => {
                    let on_lane = (!is_vru(o.class))
                        .then(|| {
                            inputs.map.lanes.iter().find(|l| {
                                lane_position(l, [o.east_m, o.north_m]).is_some_and(
                                    |(lat, rem, _)| lat <= 0.5 * l.width_m && rem >= 0.0,
                                )
                            })
                        })
                        .flatten()
                        .and_then(|l| l.path());
                    push(None, on_lane, 1.0)
                }
            }
            self.spans.push(first..self.hypotheses.len());
        }
        matcher.prune(inputs.now);
        self.came_from
            .retain(|_, (_, t)| now.secs_since(*t) < CAME_FROM_KEEP_S);
        // The signal rules first: whether a vehicle is running its red is theirs to judge,
        // and the prediction below follows that judgement.
        self.signal_rules(cfg, inputs, out);
        for (index, o) in inputs.world.objects.iter().enumerate() {
            let span = self.spans[index].clone();
            // A vehicle facing a red on arrival is expected to stop at the line, not to drive
            // on into the cross traffic, if it can (braking firmly, or braking already) and
            // its violation has not been confirmed: each of its movements by its own light.
            if let (Some((_, stop_m)), false) = (self.stop_lines[index], is_vru(o.class)) {
                let running = self.violations.get(&o.id).is_some_and(|v| v.confirmed);
                let decel = self.decel_mps2(o.id);
                let v = o.speed_mps();
                for h in &mut self.hypotheses[span.clone()] {
                    let stops = |g| stops_for_red(cfg, inputs, v, stop_m, g, decel);
                    if !running && h.group.is_some_and(stops) {
                        hold_at(&mut h.path, stop_m, v);
                    }
                }
            }
            let mut around = Aabb::EMPTY;
            for h in &mut self.hypotheses[span] {
                h.bbox = Aabb::of_path(&h.path);
                around = around.union(h.bbox);
            }
            self.boxes.push(around);
        }
        if cfg.collision.enabled || cfg.vru.enabled {
            self.conflicts(cfg, inputs, out);
            self.crosswalk_conflicts(cfg, inputs, out);
        }
        // Only warnings about tracks good enough to warn about. Judged only for the road users
        // of a warning (most evaluations have none, and judging projects on every lane), each
        // once however many warnings name it.
        let mut named: Vec<u32> = out
            .iter()
            .filter(|f| f.kind != HazardKind::Glosa)
            .flat_map(|f| f.road_users.iter().copied())
            .collect();
        named.sort_unstable();
        named.dedup();
        named.retain(|id| {
            let mut theirs = inputs.world.objects.iter().filter(|o| o.id == *id);
            theirs.any(|o| self.history.doubt(&cfg.quality, inputs.map, o).is_some())
        });
        let doubted = &named;
        out.retain(|f| {
            f.kind == HazardKind::Glosa
                || !f
                    .road_users
                    .iter()
                    .any(|id| doubted.binary_search(id).is_ok())
        });
        out.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.kind.cmp(&b.kind)));
    }
}
