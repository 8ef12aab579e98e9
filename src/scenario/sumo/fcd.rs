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

/// One road user's samples in the site frame.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    pub type_id: String,
    /// (time since the scenario start, [east_m, north_m] of the centre, yaw).
    pub points: Vec<(f64, [f64; 2], f64)>,
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
                s.points.push((ts - w.begin_s, c, yaw));
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
    let mut runs: Vec<&[(f64, [f64; 2], f64)]> = Vec::new();
    let mut start = 0;
    for i in 1..=s.points.len() {
        if i == s.points.len() || s.points[i].0 - s.points[i - 1].0 > 1.5 * step_s {
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
            let (path, speed) = path_and_speed(r);
            RoadUserSpec {
                id: name,
                class,
                length_m: Some(round(vt.length_m, 0.001)),
                width_m: Some(round(vt.width_m, 0.001)),
                start_s: round(r[0].0, 0.001),
                path,
                speed,
            }
        })
        .collect()
}

/// The path and speed profile through samples (see the module docs). The user leaves at
/// its last sample: the path ends there and the speed jumps up just after it.
fn path_and_speed(r: &[(f64, [f64; 2], f64)]) -> (Vec<[f64; 2]>, Vec<[f64; 2]>) {
    let t0 = r[0].0;
    // Path points (a point repeated while standing is kept once) and the distance along
    // the path at each sample.
    let mut path: Vec<[f64; 2]> = vec![r[0].1];
    let mut s_at = vec![0.0];
    let mut s = 0.0;
    for &(_, p, _) in &r[1..] {
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
        let yaw = r[0].2;
        let p = path[0];
        path.push([p[0] + 0.02 * yaw.cos(), p[1] + 0.02 * yaw.sin()]);
    }
    let n = r.len();
    let avg: Vec<f64> = (0..n - 1)
        .map(|k| (s_at[k + 1] - s_at[k]) / (r[k + 1].0 - r[k].0))
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
        let (ta, tb) = (r[k].0 - t0, r[k + 1].0 - t0);
        speed.push([ta, v[k]]);
        let mid = 2.0 * avg[k] - (v[k] + v[k + 1]) / 2.0;
        speed.push([(ta + tb) / 2.0, mid]);
    }
    let t_end = r[n - 1].0 - t0;
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

    #[test]
    fn the_profile_reproduces_every_sample_including_stops() {
        // Accelerate, stop for 3 s, turn, leave.
        let pts: Vec<(f64, [f64; 2], f64)> = vec![
            (2.0, [0.0, 0.0], 0.0),
            (3.0, [5.0, 0.0], 0.0),
            (4.0, [12.0, 0.0], 0.0),
            (5.0, [14.0, 0.0], 0.0),
            (6.0, [14.0, 0.0], 0.0),
            (7.0, [14.0, 0.0], 0.0),
            (8.0, [15.0, 1.0], 0.0),
            (9.0, [15.0, 9.0], 0.0),
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
        for (t, p, _) in &pts {
            let st = tr.state_at(*t).unwrap_or_else(|| panic!("present at {t}"));
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
                (0.0, [1.0, 1.0], 0.5),
                (1.0, [1.0, 1.0], 0.5),
                (5.0, [3.0, 1.0], 0.0),
                (6.0, [4.0, 1.0], 0.0),
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
}
