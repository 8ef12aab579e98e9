//! SUMO's floating-car data (`--fcd-output`) and vehicle types, turned into road users
//! with ground-truth paths.
//!
//! A road user's truth in a scenario is a path walked with a piecewise-linear speed profile
//! ([`crate::scenario::truth`]). From FCD samples (positions every simulation step) the
//! path is the polyline of the sampled centres, and the profile is built so that the
//! distance covered at every sample time is exactly the sampled one: speed `v_k` at each
//! sample (the lesser of the mean speeds of the steps either side) and one breakpoint in
//! the middle of each step whose value makes the step's area its distance. It is never
//! negative, so the scenario reproduces the simulation's positions at its steps.
//!
//! Except where SUMO moves a road user in one step farther than it drives: a lane change
//! (instantaneous unless the sublane model is on), the offset between a lane's end and the
//! junction's internal lane, a pedestrian stepping between walking areas, the centre where
//! `angle` jumps. A real road user takes seconds for that; at SUMO's step it would be tens
//! of m/s (at a 0.1 s step, 3.2 m is 32 m/s), which no sensor sees and no tracker should
//! follow. Such a jump is spread over the time it takes at 1 m/s (`JUMP_SPREAD_MPS`),
//! centred on the step: the samples around it move by at most half the jump, the others
//! not at all.

use super::xml::{Tag, Tags, XmlFault};
use crate::scenario::{RoadUserClass, RoadUserSpec};
use std::collections::BTreeMap;
use std::io::BufRead;

/// What one vehicle type says about its road users.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VehicleType {
    pub class: Option<RoadUserClass>,
    pub length_m: f64,
    pub width_m: f64,
}

/// SUMO's vehicle class → ours (`None`: not a road user here: rail, ships, aircraft) and
/// SUMO's default length and width of that class.
pub fn class_of_vclass(vclass: &str) -> (Option<RoadUserClass>, f64, f64) {
    use RoadUserClass as C;
    match vclass {
        "pedestrian" => (Some(C::Pedestrian), 0.215, 0.478),
        "bicycle" => (Some(C::Bicycle), 1.6, 0.65),
        "scooter" => (Some(C::Bicycle), 1.2, 0.5),
        "moped" => (Some(C::Motorcycle), 2.1, 0.8),
        "motorcycle" => (Some(C::Motorcycle), 2.2, 0.9),
        "truck" => (Some(C::Truck), 7.1, 2.4),
        "trailer" => (Some(C::Truck), 16.5, 2.55),
        "delivery" | "emergency" => (Some(C::Truck), 6.5, 2.16),
        "bus" => (Some(C::Bus), 12.0, 2.5),
        "coach" => (Some(C::Bus), 14.0, 2.6),
        "tram" => (Some(C::Bus), 22.0, 2.4),
        "rail" | "rail_urban" | "rail_electric" | "rail_fast" | "cable_car" | "subway" | "ship"
        | "aircraft" | "wheelchair" | "container" | "drone" => (None, 5.0, 1.8),
        // passenger, private, taxi, hov, evehicle, authority, army, vip, custom1/2, …
        _ => (Some(C::Car), 5.0, 1.8),
    }
}

/// SUMO's built-in vehicle types.
pub fn builtin_types() -> BTreeMap<String, VehicleType> {
    [
        ("DEFAULT_VEHTYPE", "passenger"),
        ("DEFAULT_PEDTYPE", "pedestrian"),
        ("DEFAULT_BIKETYPE", "bicycle"),
        ("DEFAULT_TAXITYPE", "taxi"),
        ("DEFAULT_CONTAINERTYPE", "container"),
        ("DEFAULT_RAILTYPE", "rail"),
    ]
    .into_iter()
    .map(|(id, vc)| {
        let (class, length_m, width_m) = class_of_vclass(vc);
        (
            id.to_string(),
            VehicleType {
                class,
                length_m,
                width_m,
            },
        )
    })
    .collect()
}

/// Adds the `<vType>`s of a route or additional file to `types`.
pub fn read_types<R: BufRead>(
    r: R,
    types: &mut BTreeMap<String, VehicleType>,
) -> Result<(), XmlFault> {
    let mut tags = Tags::new(r);
    while let Some(t) = tags.next_tag()? {
        if t.closing || t.name != "vType" {
            continue;
        }
        let Some(id) = t.attr("id") else {
            return Err(XmlFault {
                line: t.line,
                reason: "<vType> without id".into(),
            });
        };
        let vclass = t.attr("vClass").unwrap_or("passenger");
        let (class, l, w) = class_of_vclass(vclass);
        let dim = |k: &str, d: f64| -> Result<f64, XmlFault> {
            t.attr(k).map_or(Ok(d), |v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x > 0.0)
                    .ok_or_else(|| XmlFault {
                        line: t.line,
                        reason: format!("<vType id={id:?}>: {k}={v:?} is not a positive number"),
                    })
            })
        };
        types.insert(
            id.to_string(),
            VehicleType {
                class,
                length_m: dim("length", l)?,
                width_m: dim("width", w)?,
            },
        );
    }
    Ok(())
}

/// One FCD sample of a road user, in the site frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Since the scenario start.
    pub t_s: f64,
    /// [east_m, north_m] of the centre.
    pub centre: [f64; 2],
    pub yaw_rad: f64,
    /// SUMO's `speed`, where the file has it.
    pub speed_mps: Option<f64>,
}

/// One road user's samples.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    pub type_id: String,
    pub points: Vec<Sample>,
}

/// What to keep from an FCD file.
pub struct FcdWindow<'a> {
    /// Simulation time of the scenario start and end.
    pub begin_s: f64,
    pub end_s: f64,
    /// Keep samples within this distance of the site origin.
    pub radius_m: f64,
    /// Network coordinates → site frame.
    pub to_site: &'a dyn Fn([f64; 2]) -> [f64; 2],
    pub types: &'a BTreeMap<String, VehicleType>,
}

/// What the FCD held: each road user's samples (keyed `vehicle:ID` or `person:ID`), and
/// the last simulation time seen.
#[derive(Debug, Default)]
pub struct Fcd {
    pub users: BTreeMap<(String, String), Samples>,
    pub last_time_s: Option<f64>,
    pub step_s: Option<f64>,
}

/// Reads an FCD file, keeping the samples in the window. Positions in FCD are the front of
/// a vehicle (and of a person) with `angle` its compass heading; the centre is half a
/// length behind.
pub fn read_fcd<R: BufRead>(r: R, w: &FcdWindow) -> Result<Fcd, XmlFault> {
    let mut tags = Tags::new(r);
    let mut out = Fcd::default();
    let mut time: Option<f64> = None;
    let mut root_seen = false;
    let mut closed = false;
    let num = |t: &Tag, k: &str| -> Result<f64, XmlFault> {
        let v = t.attr(k).ok_or_else(|| XmlFault {
            line: t.line,
            reason: format!("<{}> has no {k}", t.name),
        })?;
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| XmlFault {
                line: t.line,
                reason: format!("<{}>: {k}={v:?} is not a finite number", t.name),
            })
    };
    while let Some(t) = tags.next_tag()? {
        match (t.name.as_str(), t.closing) {
            ("fcd-export", false) => root_seen = true,
            ("fcd-export", true) => closed = true,
            _ if !root_seen => {
                return Err(XmlFault {
                    line: t.line,
                    reason: format!("<{}> before <fcd-export>: not an FCD file", t.name),
                })
            }
            ("timestep", false) => {
                let ts = num(&t, "time")?;
                if let Some(prev) = out.last_time_s {
                    if ts <= prev {
                        return Err(XmlFault {
                            line: t.line,
                            reason: format!("time {ts} does not follow {prev}"),
                        });
                    }
                    if out.step_s.is_none() {
                        out.step_s = Some(ts - prev);
                    }
                }
                out.last_time_s = Some(ts);
                time = (!t.empty).then_some(ts);
            }
            ("timestep", true) => time = None,
            (kind @ ("vehicle" | "person"), false) => {
                let Some(ts) = time else {
                    return Err(XmlFault {
                        line: t.line,
                        reason: format!("<{kind}> outside a <timestep>"),
                    });
                };
                if ts < w.begin_s || ts > w.end_s {
                    continue;
                }
                // A person riding a vehicle is inside it.
                if t.attr("vehicle").is_some_and(|v| !v.is_empty()) {
                    continue;
                }
                let id = t.attr("id").ok_or_else(|| XmlFault {
                    line: t.line,
                    reason: format!("<{kind}> has no id"),
                })?;
                let type_id = t.attr("type").unwrap_or(if kind == "person" {
                    "DEFAULT_PEDTYPE"
                } else {
                    "DEFAULT_VEHTYPE"
                });
                let vt = match w.types.get(type_id) {
                    Some(vt) => *vt,
                    None if kind == "person" => w.types["DEFAULT_PEDTYPE"],
                    None => {
                        return Err(XmlFault {
                            line: t.line,
                            reason: format!(
                                "<{kind} id={id:?}>: type {type_id:?} is in none of the \
                                 configuration's route or additional files"
                            ),
                        })
                    }
                };
                if vt.class.is_none() {
                    continue;
                }
                let (x, y, angle) = (num(&t, "x")?, num(&t, "y")?, num(&t, "angle")?);
                let a = angle.to_radians();
                let half = vt.length_m / 2.0;
                let centre = [x - half * a.sin(), y - half * a.cos()];
                let front = (w.to_site)([x, y]);
                let c = (w.to_site)(centre);
                if c[0].hypot(c[1]) > w.radius_m {
                    continue;
                }
                let yaw = (front[1] - c[1]).atan2(front[0] - c[0]);
                let s = out
                    .users
                    .entry((kind.to_string(), id.to_string()))
                    .or_default();
                s.type_id = type_id.to_string();
                s.points.push(Sample {
                    t_s: ts - w.begin_s,
                    centre: c,
                    yaw_rad: yaw,
                    speed_mps: t
                        .attr("speed")
                        .is_some()
                        .then(|| num(&t, "speed"))
                        .transpose()?,
                });
            }
            _ => {}
        }
    }
    if !root_seen {
        return Err(XmlFault {
            line: 1,
            reason: "no <fcd-export>: not an FCD file".into(),
        });
    }
    if !closed {
        return Err(XmlFault {
            line: 0,
            reason: "ends before </fcd-export> (SUMO stopped early, or the file is truncated)"
                .into(),
        });
    }
    Ok(out)
}

/// Speed across the heading, or beyond what SUMO's speed covers along it, above which a
/// step's move is a jump of SUMO's, not driving: lane changes are driven at about 1 m/s
/// sideways (3–4 s for a lane).
const JUMP_MPS: f64 = 1.5;
/// A jump smaller than this is left alone whatever the step.
const JUMP_MIN_M: f64 = 0.1;
/// The speed a jump is spread to.
const JUMP_SPREAD_MPS: f64 = 1.0;

/// The samples with SUMO's jumps spread over the time a road user takes for them (see the
/// module docs). A step's jump is its move across the mean of the headings at its ends
/// (nothing on a circular arc, whatever the step) plus, where SUMO gives speeds, its move
/// along that heading beyond what the speeds at its ends cover in the step (either way of
/// integrating them: SUMO's Euler or ballistic update).
fn spread_jumps(r: &[Sample]) -> Vec<Sample> {
    // (time of the jump, the jump, time to spread it over)
    let mut jumps: Vec<(f64, [f64; 2], f64)> = Vec::new();
    for w in r.windows(2) {
        let (a, b) = (w[0], w[1]);
        let h = [
            a.yaw_rad.cos() + b.yaw_rad.cos(),
            a.yaw_rad.sin() + b.yaw_rad.sin(),
        ];
        let n = h[0].hypot(h[1]);
        let dt = b.t_s - a.t_s;
        if n < 1e-6 || dt <= 0.0 {
            continue; // a turn on the spot: no heading to measure across
        }
        let h = [h[0] / n, h[1] / n];
        let d = [b.centre[0] - a.centre[0], b.centre[1] - a.centre[1]];
        let along = d[0] * h[0] + d[1] * h[1];
        let covered = match (a.speed_mps, b.speed_mps) {
            (Some(va), Some(vb)) => along.clamp(va.min(vb) * dt, va.max(vb) * dt),
            _ => along,
        };
        let j = [d[0] - covered * h[0], d[1] - covered * h[1]];
        let size = j[0].hypot(j[1]);
        if size > JUMP_MIN_M && size / dt > JUMP_MPS {
            jumps.push((0.5 * (a.t_s + b.t_s), j, size / JUMP_SPREAD_MPS));
        }
    }
    r.iter()
        .map(|&x| {
            let mut q = x.centre;
            for &(tj, j, span) in &jumps {
                let ramp = ((x.t_s - tj) / span + 0.5).clamp(0.0, 1.0);
                let step = if x.t_s > tj { 1.0 } else { 0.0 };
                q[0] += j[0] * (ramp - step);
                q[1] += j[1] * (ramp - step);
            }
            Sample { centre: q, ..x }
        })
        .collect()
}

/// Rounds to `q` (a power of ten).
fn round(v: f64, q: f64) -> f64 {
    (v / q).round() * q
}

/// The road users of one simulated user's samples: one per stretch of consecutive steps
/// (a user who leaves the area and comes back becomes `ID#2`).
pub fn road_users(
    kind: &str,
    id: &str,
    s: &Samples,
    vt: VehicleType,
    step_s: f64,
) -> Vec<RoadUserSpec> {
    let Some(class) = vt.class else {
        return vec![];
    };
    let mut runs: Vec<&[Sample]> = Vec::new();
    let mut start = 0;
    for i in 1..=s.points.len() {
        if i == s.points.len() || s.points[i].t_s - s.points[i - 1].t_s > 1.5 * step_s {
            runs.push(&s.points[start..i]);
            start = i;
        }
    }
    let base = if kind == "person" {
        format!("person:{id}")
    } else {
        id.to_string()
    };
    runs.into_iter()
        .filter(|r| r.len() >= 2)
        .enumerate()
        .map(|(k, r)| {
            let name = if k == 0 {
                base.clone()
            } else {
                format!("{base}#{}", k + 1)
            };
            let (path, speed) = path_and_speed(&spread_jumps(r));
            RoadUserSpec {
                id: name,
                class,
                length_m: Some(round(vt.length_m, 0.001)),
                width_m: Some(round(vt.width_m, 0.001)),
                start_s: round(r[0].t_s, 0.001),
                path,
                speed,
            }
        })
        .collect()
}

/// The path and speed profile through samples (see the module docs). The user leaves at
/// its last sample: the path ends there and the speed jumps up just after it.
fn path_and_speed(r: &[Sample]) -> (Vec<[f64; 2]>, Vec<[f64; 2]>) {
    let t0 = r[0].t_s;
    // Path points (a point repeated while standing is kept once) and the distance along
    // the path at each sample.
    let mut path: Vec<[f64; 2]> = vec![r[0].centre];
    let mut s_at = vec![0.0];
    let mut s = 0.0;
    for p in r[1..].iter().map(|x| x.centre) {
        let q = *path.last().unwrap_or(&p);
        let d = (p[0] - q[0]).hypot(p[1] - q[1]);
        if d > 0.005 {
            path.push(p);
            s += d;
        }
        s_at.push(s);
    }
    if s < 0.01 {
        // Never moved: a stub along its heading (2 cm: still one after rounding to cm), so the path has a direction.
        let yaw = r[0].yaw_rad;
        let p = path[0];
        path.push([p[0] + 0.02 * yaw.cos(), p[1] + 0.02 * yaw.sin()]);
    }
    let n = r.len();
    let avg: Vec<f64> = (0..n - 1)
        .map(|k| (s_at[k + 1] - s_at[k]) / (r[k + 1].t_s - r[k].t_s))
        .collect();
    let v: Vec<f64> = (0..n)
        .map(|k| match k {
            0 => avg[0],
            k if k == n - 1 => avg[n - 2],
            k => avg[k - 1].min(avg[k]),
        })
        .collect();
    let mut speed: Vec<[f64; 2]> = Vec::with_capacity(2 * n + 1);
    for k in 0..n - 1 {
        let (ta, tb) = (r[k].t_s - t0, r[k + 1].t_s - t0);
        speed.push([ta, v[k]]);
        let mid = 2.0 * avg[k] - (v[k] + v[k + 1]) / 2.0;
        speed.push([(ta + tb) / 2.0, mid]);
    }
    let t_end = r[n - 1].t_s - t0;
    speed.push([t_end, v[n - 1]]);
    // Leave: past the end of the path within a few milliseconds.
    speed.push([t_end + 0.01, 50.0]);
    (simplify_path(path), simplify_speed(speed))
}

/// Drops path points on the straight line between their neighbours (within 1 cm) and
/// rounds to centimetres.
fn simplify_path(p: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(p.len());
    for (i, &q) in p.iter().enumerate() {
        if i > 0 && i + 1 < p.len() {
            let (a, b) = (*out.last().unwrap_or(&q), p[i + 1]);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let len = dx.hypot(dy);
            if len > 0.0 {
                let along = ((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / len;
                let off = ((q[0] - a[0]) * dy - (q[1] - a[1]) * dx).abs() / len;
                if off < 0.01 && along > 0.0 && along < len {
                    continue;
                }
            }
        }
        out.push(q);
    }
    out.into_iter()
        .map(|q| [round(q[0], 0.01), round(q[1], 0.01)])
        .collect()
}

/// Drops speed breakpoints on the line between their neighbours (the profile is the same
/// function) and rounds times to milliseconds, speeds to mm/s.
fn simplify_speed(sp: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    let sp: Vec<[f64; 2]> = sp
        .into_iter()
        .map(|[t, v]| [round(t, 0.001), round(v.max(0.0), 0.001)])
        .collect();
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(sp.len());
    for (i, &q) in sp.iter().enumerate() {
        if let Some(&last) = out.last() {
            if q[0] <= last[0] {
                continue;
            }
            if i + 1 < sp.len() {
                let b = sp[i + 1];
                let f = (q[0] - last[0]) / (b[0] - last[0]);
                if (last[1] + f * (b[1] - last[1]) - q[1]).abs() < 1e-3 {
                    continue;
                }
            }
        }
        out.push(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::truth::Trajectory;
    use std::f64::consts::FRAC_PI_2;

    fn at(t_s: f64, centre: [f64; 2], yaw_rad: f64) -> Sample {
        Sample {
            t_s,
            centre,
            yaw_rad,
            speed_mps: None,
        }
    }

    #[test]
    fn the_profile_reproduces_every_sample_including_stops() {
        // Accelerate, stop for 3 s, turn, leave.
        let pts: Vec<Sample> = vec![
            at(2.0, [0.0, 0.0], 0.0),
            at(3.0, [5.0, 0.0], 0.0),
            at(4.0, [12.0, 0.0], 0.0),
            at(5.0, [14.0, 0.0], 0.0),
            at(6.0, [14.0, 0.0], 0.0),
            at(7.0, [14.0, 0.0], 0.0),
            at(8.0, [15.0, 1.0], FRAC_PI_2),
            at(9.0, [15.0, 9.0], FRAC_PI_2),
        ];
        let vt = VehicleType {
            class: Some(RoadUserClass::Car),
            length_m: 5.0,
            width_m: 1.8,
        };
        let s = Samples {
            type_id: "t".into(),
            points: pts.clone(),
        };
        let users = road_users("vehicle", "v", &s, vt, 1.0);
        assert_eq!(users.len(), 1);
        let tr = Trajectory::new(0, &users[0]);
        for x in &pts {
            let (t, p) = (x.t_s, x.centre);
            let st = tr.state_at(t).unwrap_or_else(|| panic!("present at {t}"));
            assert!(
                (st.east_m - p[0]).abs() < 0.02 && (st.north_m - p[1]).abs() < 0.02,
                "t={t}: {:?} vs {p:?}",
                (st.east_m, st.north_m)
            );
        }
        assert!(tr.state_at(6.5).is_some_and(|s| s.speed_mps() < 1e-6));
        assert!(tr.state_at(9.05).is_none(), "leaves after its last sample");
        assert!(tr.state_at(1.9).is_none());
        assert!(users[0].speed.iter().all(|[_, v]| *v >= 0.0));
    }

    #[test]
    fn a_gap_splits_a_user_and_a_standing_one_gets_a_stub() {
        let s = Samples {
            type_id: "t".into(),
            points: vec![
                at(0.0, [1.0, 1.0], 0.5),
                at(1.0, [1.0, 1.0], 0.5),
                at(5.0, [3.0, 1.0], 0.0),
                at(6.0, [4.0, 1.0], 0.0),
            ],
        };
        let vt = VehicleType {
            class: Some(RoadUserClass::Pedestrian),
            length_m: 0.2,
            width_m: 0.5,
        };
        let u = road_users("person", "p", &s, vt, 1.0);
        let ids: Vec<_> = u.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["person:p", "person:p#2"]);
        let tr = Trajectory::new(0, &u[0]);
        let st = tr.state_at(0.5).expect("standing");
        assert!((st.east_m - 1.0).abs() < 0.02 && st.speed_mps() < 1e-6);
        assert!(tr.state_at(1.1).is_none());
    }

    #[test]
    fn a_jump_in_one_step_is_spread_and_a_turn_is_left_alone() {
        let vt = VehicleType {
            class: Some(RoadUserClass::Car),
            length_m: 5.0,
            width_m: 1.8,
        };
        // East at 10 m/s, 0.1 s steps; SUMO moves it 3.2 m north (a lane) between 5.0 and
        // 5.1 s.
        let pts: Vec<Sample> = (0..100)
            .map(|k| {
                let t = 0.1 * f64::from(k);
                at(t, [10.0 * t, if k > 50 { 3.2 } else { 0.0 }], 0.0)
            })
            .collect();
        let s = Samples {
            type_id: "t".into(),
            points: pts.clone(),
        };
        let users = road_users("vehicle", "v", &s, vt, 0.1);
        let tr = Trajectory::new(0, &users[0]);
        // Never faster than its speed with the sideways speed added (it was 32 m/s), until
        // it leaves after its last sample.
        let sp = &users[0].speed;
        let v_max = sp[..sp.len() - 1]
            .iter()
            .map(|[_, v]| *v)
            .fold(0.0, f64::max);
        assert!(v_max < 10.0f64.hypot(JUMP_SPREAD_MPS) + 0.1, "{v_max}");
        // Over 3.2 s centred on the jump, at 1 m/s sideways: samples beyond unchanged,
        // halfway at the jump.
        for x in &pts[..pts.len() - 1] {
            let (t, p) = (x.t_s, x.centre);
            let st = tr.state_at(t).unwrap_or_else(|| panic!("present at {t}"));
            let north = ((t - 5.05) / 3.2 + 0.5).clamp(0.0, 1.0) * 3.2;
            assert!((st.east_m - p[0]).abs() < 0.05, "t={t}");
            assert!((st.north_m - north).abs() < 0.05, "t={t}: {}", st.north_m);
            if (t - 5.05).abs() > 1.6 {
                assert!((st.north_m - p[1]).abs() < 0.02, "t={t}");
            }
        }
        // 2 m forward in one step at 5 m/s (0.5 m a step): beyond what SUMO's speeds
        // cover, so spread (over 1.5 s); without speeds it cannot be told from driving.
        let forward = |speed_mps| -> Vec<Sample> {
            (0..40)
                .map(|k| {
                    let t = 0.1 * f64::from(k);
                    let x = 5.0 * t + if k > 20 { 1.5 } else { 0.0 };
                    Sample {
                        speed_mps,
                        ..at(t, [x, 0.0], 0.0)
                    }
                })
                .collect()
        };
        let spread = spread_jumps(&forward(Some(5.0)));
        let step_max = spread
            .windows(2)
            .map(|w| w[1].centre[0] - w[0].centre[0])
            .fold(0.0, f64::max);
        assert!(step_max < 0.5 + 0.1 * JUMP_SPREAD_MPS + 1e-9, "{step_max}");
        assert_eq!(spread[0], forward(Some(5.0))[0]);
        assert_eq!(spread_jumps(&forward(None)), forward(None));
        // A quarter circle of radius 6 m at 5 m/s in 0.1 s steps, headings along it: no
        // jump, every sample kept.
        let pts: Vec<Sample> = (0..20)
            .map(|k| {
                let t = 0.1 * f64::from(k);
                let a = 5.0 * t / 6.0;
                Sample {
                    speed_mps: Some(5.0),
                    ..at(t, [6.0 * a.sin(), 6.0 - 6.0 * a.cos()], a)
                }
            })
            .collect();
        assert_eq!(spread_jumps(&pts), pts);
        // At a 1 s step too: the chord of each step lies along its mean heading.
        let coarse: Vec<_> = pts.iter().step_by(10).copied().collect();
        assert_eq!(spread_jumps(&coarse), coarse);
    }
}
