//! Import of one junction from a SUMO network (`.net.xml`) as a map spec: the ingress and
//! egress lanes around it, the connections between them with manoeuvre and signal group (a
//! junction that is not a `traffic_light*` one, or none of whose links has a light, is
//! unsignalised: no groups, no plan), the crosswalks, speed limits and the site anchor.
//! Like the rest of the map it does no I/O: [`import_junction`] takes the text,
//! `scenario::import_sumo_junction` reads the file.
//!
//! Conventions:
//! - **Site frame.** The junction's `x`, `y` is the site origin. If the network is
//!   geo-referenced with a transverse Mercator `projParameter` on WGS84 (UTM, `+proj=utm
//!   +zone=N [+south]`, as netconvert writes for OpenStreetMap, or a local `+proj=tmerc`),
//!   every point goes network → projected (minus `netOffset`) → WGS84
//!   ([`TransverseMercator`]) → east/north in the site frame tangent at the junction, which
//!   removes the grid's convergence and scale; the anchor is the junction's WGS84 position.
//!   Without a geo-reference (`projParameter="!"`) network metres are taken as east/north and
//!   the anchor is [`ImportOptions::anchor`] (or `None`). Any other projection is an error
//!   unless an anchor is given, then it is treated as without geo-reference.
//! - **Lanes.** Ingress lanes are the lanes with a connection through the junction (not
//!   pedestrian-only, not into a walking area or crossing), clipped to their last
//!   `clip_length_m`; egress lanes are the lanes those connections reach, clipped to their
//!   first `clip_length_m`. Lane IDs are 1, 2, … in this order: ingress lanes by approach
//!   (clockwise from north), edge and lane index, then egress lanes the same way, then
//!   crosswalks. [`ImportedMap::lane_ids`] maps SUMO lane IDs to ours.
//! - **Approaches.** Each incoming edge is an approach named after it; an outgoing edge
//!   joins the approach whose direction from the junction is within 30° of its own, or is
//!   an approach of its own.
//! - **Manoeuvres** from `dir`: `s` straight, `l`/`L` left, `r`/`R` right, `t` U-turn
//!   (anything else straight).
//! - **Signal groups.** The link indices of the junction's `tlLogic` whose state sequences
//!   over all phases are identical form one signal group (they always show the same light),
//!   numbered 1, 2, … by their lowest link index. [`ImportedMap::signal_groups`] maps link
//!   indices to groups, and [`ImportedMap::signal`] is the fixed-time plan of these groups
//!   from the first program (each green run of a group, with the yellow after it, is one of
//!   its greens; a group never green is red all cycle, one green in every phase green all
//!   cycle), so that SPAT and MAP agree. Links off all cycle (`O`, or `o`: blinking, give
//!   way as without a signal) are not signalled.
//! - **Crosswalks** are the junction's crossing lanes (centreline and width) in the
//!   approach of the first crossed edge, with the group of the link into the crossing.
//!   Walking areas are not imported.

use super::geometry::{simplify, Polyline};
use crate::geo::{GeoPoint, SiteFrame, TransverseMercator};
use crate::scenario::{
    ConnectionSpec, CrosswalkSpec, GreenWindow, LaneDirection, LaneSpec, Maneuver, MapSpec,
    RightOfWay, SignalGroupSpec, SignalPlan,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A SUMO network could not be imported: which file, which element, why.
#[derive(Debug, thiserror::Error)]
pub enum SumoError {
    #[error("{file}: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: not a readable XML document: {source}")]
    Xml {
        file: PathBuf,
        source: roxmltree::Error,
    },
    #[error("{file}: {element}: {reason}")]
    Invalid {
        file: PathBuf,
        element: String,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImportOptions {
    /// Ingress lanes keep their last, egress lanes their first, this many metres.
    pub clip_length_m: f64,
    /// The junction's WGS84 position for a network without a geo-reference.
    pub anchor: Option<GeoPoint>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            clip_length_m: 150.0,
            anchor: None,
        }
    }
}

/// The imported junction.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedMap {
    pub junction_id: String,
    pub map: MapSpec,
    /// The fixed-time plan of the signal groups, when the program can be written as one.
    pub signal: Option<SignalPlan>,
    /// Why there is no `signal`, for the person who will write the plan.
    pub signal_missing: Option<String>,
    /// The junction's WGS84 position (the site anchor), if known.
    pub anchor: Option<GeoPoint>,
    /// SUMO lane ID (crossing lanes too) → our lane ID.
    pub lane_ids: BTreeMap<String, u8>,
    /// `tlLogic` link index → signal group.
    pub signal_groups: BTreeMap<u32, u8>,
    /// The ID of the traffic light (`tlLogic`) controlling the junction; it may differ from
    /// the junction's ID when junctions were joined. None at an unsignalised junction.
    pub tls_id: Option<String>,
    /// The program's `type`: `static`, or a traffic-dependent one (`actuated`,
    /// `delay_based`, `NEMA`, …) whose `signal` is the nominal plan of its phase durations.
    pub program_type: Option<String>,
    /// Network coordinates → site frame, for anything else placed in the network (vehicle
    /// positions of a simulation).
    pub net_to_site: NetToSite,
}

/// The conversion from a network's `x`, `y` to the site frame of one of its junctions (see
/// the module docs): through WGS84 for a geo-referenced network, a shift otherwise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NetToSite {
    Projected {
        projection: TransverseMercator,
        net_offset: [f64; 2],
        frame: SiteFrame,
    },
    Shift {
        origin: [f64; 2],
    },
}

impl NetToSite {
    /// A network point in the site frame, [east_m, north_m].
    pub fn to_site(&self, p: [f64; 2]) -> [f64; 2] {
        match self {
            Self::Projected {
                projection,
                net_offset,
                frame,
            } => {
                let e = frame.to_enu(projection.to_geo(p[0] - net_offset[0], p[1] - net_offset[1]));
                [e.east_m, e.north_m]
            }
            Self::Shift { origin } => [p[0] - origin[0], p[1] - origin[1]],
        }
    }
}

impl ImportedMap {
    /// The `[map]` (and `[signal]`) sections of a scenario, with the anchor and lane table
    /// as comments.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        #[derive(serde::Serialize)]
        struct Doc<'a> {
            map: &'a MapSpec,
            #[serde(skip_serializing_if = "Option::is_none")]
            signal: Option<&'a SignalPlan>,
        }
        let mut out = format!("# Imported from SUMO junction {:?}.\n", self.junction_id);
        match self.anchor {
            Some(a) => out.push_str(&format!(
                "# site.anchor = {{ lat_deg = {:.8}, lon_deg = {:.8} }}\n",
                a.lat_deg, a.lon_deg
            )),
            None => out.push_str("# The network has no geo-reference: set site.anchor.\n"),
        }
        match (&self.tls_id, &self.program_type, &self.signal_missing) {
            (None, ..) => out.push_str("# An unsignalised junction: no [signal], no SPAT.\n"),
            (Some(_), _, Some(why)) => {
                out.push_str(&format!("# No [signal]: {why}; write the plan by hand.\n"))
            }
            (Some(tl), Some(program), None) if program != "static" => out.push_str(&format!(
                "# tlLogic {tl:?} is {program:?}: [signal] is its nominal fixed-time plan (each \
                 phase its `duration`); `roadsight import-sumo` replays what the controller \
                 did.\n"
            )),
            _ => {}
        }
        out.push_str("# SUMO lane → lane ID:");
        for (k, v) in &self.lane_ids {
            out.push_str(&format!(" {k}={v}"));
        }
        out.push_str("\n\n");
        out.push_str(&toml::to_string(&Doc {
            map: &self.map,
            signal: self.signal.as_ref(),
        })?);
        Ok(out)
    }
}

#[derive(Debug, Clone)]
struct SumoLane {
    id: String,
    index: u32,
    speed_mps: Option<f64>,
    width_m: f64,
    shape: Vec<[f64; 2]>,
    pedestrian_only: bool,
}

#[derive(Debug, Clone)]
struct Edge {
    function: String,
    to: String,
    crossing_edges: Vec<String>,
    lanes: Vec<SumoLane>,
}

#[derive(Debug, Clone)]
struct Link {
    from: String,
    to: String,
    from_lane: u32,
    to_lane: u32,
    via: Option<String>,
    tl: Option<String>,
    link_index: Option<u32>,
    dir: String,
    /// The link's right of way without a signal: `M` major, `m` minor, `s` stop, `=` all-way
    /// stop, …
    state: Option<char>,
}

/// SUMO's default lane width.
const DEFAULT_WIDTH_M: f64 = 3.2;

/// Imports the junction `junction_id` from the text of a `.net.xml`; `file` names it in
/// errors. (`scenario::import_sumo_junction` reads the file.)
pub fn import_junction(
    text: &str,
    file: &Path,
    junction_id: &str,
    opts: &ImportOptions,
) -> Result<ImportedMap, SumoError> {
    let invalid = |element: String, reason: String| SumoError::Invalid {
        file: file.to_path_buf(),
        element,
        reason,
    };
    let doc = roxmltree::Document::parse(text).map_err(|source| SumoError::Xml {
        file: file.to_path_buf(),
        source,
    })?;
    let net = doc.root_element();
    if net.tag_name().name() != "net" {
        return Err(invalid(
            format!("<{}>", net.tag_name().name()),
            "not a SUMO network (the root element must be <net>)".into(),
        ));
    }
    let num = |el: &str, attr: &str, v: &str| -> Result<f64, SumoError> {
        finite(attr, v).map_err(|reason| invalid(el.to_string(), reason))
    };
    let shape = |el: &str, v: &str| -> Result<Vec<[f64; 2]>, SumoError> {
        v.split_whitespace()
            .map(|p| {
                let mut c = p.split(',');
                match (c.next(), c.next()) {
                    (Some(x), Some(y)) => Ok([num(el, "shape", x)?, num(el, "shape", y)?]),
                    _ => Err(invalid(
                        el.to_string(),
                        format!("shape point {p:?} is not x,y"),
                    )),
                }
            })
            .collect()
    };

    // The geo-reference.
    let location = net.children().find(|n| n.has_tag_name("location"));
    let (offset, proj) = match location {
        Some(l) => {
            let off = l.attribute("netOffset").unwrap_or("0,0");
            let mut it = off.split(',');
            let offset = match (it.next(), it.next()) {
                (Some(x), Some(y)) => [
                    num("location", "netOffset", x)?,
                    num("location", "netOffset", y)?,
                ],
                _ => {
                    return Err(invalid(
                        "location".into(),
                        format!("netOffset={off:?} is not x,y"),
                    ))
                }
            };
            (
                offset,
                l.attribute("projParameter").unwrap_or("!").to_string(),
            )
        }
        None => ([0.0, 0.0], "!".to_string()),
    };
    let projection = match parse_proj(&proj) {
        Ok(p) => p,
        // Without a projection we know, the anchor the user gives places the network.
        Err(_) if opts.anchor.is_some() => None,
        Err(reason) => {
            return Err(invalid(
                "location".into(),
                format!("projParameter {proj:?}: {reason}; give the anchor instead"),
            ))
        }
    };

    // Edges and their lanes.
    let mut edges: BTreeMap<String, Edge> = BTreeMap::new();
    let mut lanes_by_id: BTreeMap<String, (String, SumoLane)> = BTreeMap::new();
    for e in net.children().filter(|n| n.has_tag_name("edge")) {
        let id = e.attribute("id").unwrap_or_default().to_string();
        let mut lanes = Vec::new();
        for l in e.children().filter(|n| n.has_tag_name("lane")) {
            let lid = l.attribute("id").unwrap_or_default().to_string();
            let lel = format!("lane {lid:?}");
            let allow = l.attribute("allow").unwrap_or_default();
            let lane = SumoLane {
                id: lid.clone(),
                index: l
                    .attribute("index")
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| invalid(lel.clone(), "no lane index".into()))?,
                speed_mps: l
                    .attribute("speed")
                    .map(|v| num(&lel, "speed", v))
                    .transpose()?,
                width_m: l
                    .attribute("width")
                    .map(|v| num(&lel, "width", v))
                    .transpose()?
                    .unwrap_or(DEFAULT_WIDTH_M),
                shape: shape(&lel, l.attribute("shape").unwrap_or_default())?,
                pedestrian_only: allow.split_whitespace().eq(["pedestrian"]),
            };
            lanes_by_id.insert(lid, (id.clone(), lane.clone()));
            lanes.push(lane);
        }
        edges.insert(
            id,
            Edge {
                function: e.attribute("function").unwrap_or("normal").to_string(),
                to: e.attribute("to").unwrap_or_default().to_string(),
                crossing_edges: e
                    .attribute("crossingEdges")
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_string)
                    .collect(),
                lanes,
            },
        );
    }

    // The junction.
    let jel = format!("junction {junction_id:?}");
    let junction = net
        .children()
        .filter(|n| n.has_tag_name("junction"))
        .find(|n| n.attribute("id") == Some(junction_id))
        .ok_or_else(|| invalid(jel.clone(), "no such junction".into()))?;
    let signalised = junction
        .attribute("type")
        .unwrap_or_default()
        .starts_with("traffic_light");
    let jx = num(&jel, "x", junction.attribute("x").unwrap_or_default())?;
    let jy = num(&jel, "y", junction.attribute("y").unwrap_or_default())?;
    let int_lanes: Vec<&str> = junction
        .attribute("intLanes")
        .unwrap_or_default()
        .split_whitespace()
        .collect();

    // Network coordinates → site frame (to the millimetre: SUMO writes centimetres).
    let (anchor, net_to_site) = match projection {
        Some(projection) => {
            let anchor = projection.to_geo(jx - offset[0], jy - offset[1]);
            (
                Some(anchor),
                NetToSite::Projected {
                    projection,
                    net_offset: offset,
                    frame: SiteFrame::new(anchor),
                },
            )
        }
        None => (opts.anchor, NetToSite::Shift { origin: [jx, jy] }),
    };
    let to_site_exact = |p: [f64; 2]| net_to_site.to_site(p);
    let to_site = |p: [f64; 2]| {
        let q = to_site_exact(p);
        [
            (q[0] * 1000.0).round() / 1000.0,
            (q[1] * 1000.0).round() / 1000.0,
        ]
    };

    // Connections through the junction.
    let links: Vec<Link> = net
        .children()
        .filter(|n| n.has_tag_name("connection"))
        .map(|c| Link {
            from: c.attribute("from").unwrap_or_default().to_string(),
            to: c.attribute("to").unwrap_or_default().to_string(),
            from_lane: c
                .attribute("fromLane")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            to_lane: c
                .attribute("toLane")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            via: c.attribute("via").map(str::to_string),
            tl: c.attribute("tl").map(str::to_string),
            link_index: c.attribute("linkIndex").and_then(|v| v.parse().ok()),
            dir: c.attribute("dir").unwrap_or("s").to_string(),
            state: c.attribute("state").and_then(|s| s.chars().next()),
        })
        .collect();
    let lane_of = |edge: &str, index: u32| {
        edges
            .get(edge)
            .and_then(|e| e.lanes.iter().find(|l| l.index == index))
    };
    let is_normal = |edge: &str| edges.get(edge).is_some_and(|e| e.function == "normal");
    let vehicle_links: Vec<&Link> = links
        .iter()
        .filter(|c| {
            edges.get(&c.from).is_some_and(|e| e.to == junction_id)
                && is_normal(&c.from)
                && is_normal(&c.to)
                && lane_of(&c.from, c.from_lane).is_some_and(|l| !l.pedestrian_only)
                && lane_of(&c.to, c.to_lane).is_some()
        })
        .collect();
    if vehicle_links.is_empty() {
        return Err(invalid(
            jel,
            "no vehicle connections lead through it".into(),
        ));
    }
    // A traffic-light junction none of whose links has a light (netconvert's
    // `--tls.unset` keeps the type) is unsignalised too.
    let tl = signalised
        .then(|| vehicle_links.iter().find_map(|c| c.tl.clone()))
        .flatten();
    let controlled = |c: &Link| c.tl.is_some() && c.tl == tl;
    let crossing_lanes: Vec<&str> = int_lanes
        .iter()
        .copied()
        .filter(|l| {
            lanes_by_id
                .get(*l)
                .and_then(|(e, _)| edges.get(e))
                .is_some_and(|e| e.function == "crossing")
        })
        .collect();
    let crossing_link = |crossing_edge: &str| {
        links
            .iter()
            .find(|c| c.to == crossing_edge && controlled(c))
            .and_then(|c| c.link_index)
    };
    let signals = match &tl {
        None => Signals::default(),
        Some(tl) => {
            let used = vehicle_links
                .iter()
                .filter(|c| controlled(c))
                .filter_map(|c| c.link_index)
                .chain(crossing_lanes.iter().filter_map(|l| {
                    let (e, _) = lanes_by_id.get(*l)?;
                    crossing_link(e)
                }));
            signals_of(net, tl, used).map_err(|(element, reason)| invalid(element, reason))?
        }
    };
    let group_of = |c: &Link| {
        controlled(c)
            .then_some(c.link_index)
            .flatten()
            .and_then(|k| signals.groups.get(&k).copied())
    };

    // Approaches.
    let clip = opts.clip_length_m.max(1.0);
    let site_shape =
        |l: &SumoLane| -> Vec<[f64; 2]> { l.shape.iter().map(|p| to_site(*p)).collect() };
    let mut ingress_edges: Vec<&str> = vehicle_links.iter().map(|c| c.from.as_str()).collect();
    ingress_edges.sort_unstable();
    ingress_edges.dedup();
    let mut egress_edges: Vec<&str> = vehicle_links.iter().map(|c| c.to.as_str()).collect();
    egress_edges.sort_unstable();
    egress_edges.dedup();
    // Compass bearing (clockwise from north) of an edge's arm, seen from the junction.
    let arm_bearing = |edge: &str, ingress: bool| -> f64 {
        let Some(l) = edges.get(edge).and_then(|e| e.lanes.first()) else {
            return 0.0;
        };
        let pts = site_shape(l);
        let line = Polyline::new(&pts);
        let p = match (line, ingress) {
            (Some(line), true) => line.at(line.length_m() - 20.0).position,
            (Some(line), false) => line.at(20.0).position,
            (None, _) => pts.first().copied().unwrap_or([0.0, 1.0]),
        };
        p[0].atan2(p[1]).rem_euclid(std::f64::consts::TAU)
    };
    let mut arms: Vec<(f64, String)> = ingress_edges
        .iter()
        .map(|e| (arm_bearing(e, true), (*e).to_string()))
        .collect();
    let mut approach_of: BTreeMap<&str, String> = ingress_edges
        .iter()
        .map(|e| (*e, (*e).to_string()))
        .collect();
    for e in &egress_edges {
        let b = arm_bearing(e, false);
        let near = arms
            .iter()
            .filter(|(ab, _)| {
                let d = (ab - b).rem_euclid(std::f64::consts::TAU);
                d.min(std::f64::consts::TAU - d) < 30f64.to_radians()
            })
            .min_by(|x, y| {
                let dx = (x.0 - b).abs();
                let dy = (y.0 - b).abs();
                dx.total_cmp(&dy)
            })
            .map(|(_, n)| n.clone());
        let name = match near {
            Some(n) => n,
            None => {
                arms.push((b, (*e).to_string()));
                (*e).to_string()
            }
        };
        approach_of.insert(e, name);
    }
    arms.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let arm_rank = |name: &str| arms.iter().position(|a| a.1 == name).unwrap_or(usize::MAX);

    // Lanes, numbered in order.
    let mut lane_keys: Vec<(LaneDirection, usize, String, u32)> = Vec::new();
    for c in &vehicle_links {
        for (dir, edge, idx) in [
            (LaneDirection::Ingress, &c.from, c.from_lane),
            (LaneDirection::Egress, &c.to, c.to_lane),
        ] {
            let k = (
                dir,
                arm_rank(&approach_of[edge.as_str()]),
                edge.clone(),
                idx,
            );
            if !lane_keys.contains(&k) {
                lane_keys.push(k);
            }
        }
    }
    lane_keys.sort_by(|a, b| {
        let d = |x: LaneDirection| u8::from(x == LaneDirection::Egress);
        (d(a.0), a.1, &a.2, a.3).cmp(&(d(b.0), b.1, &b.2, b.3))
    });
    if lane_keys.len() + crossing_lanes.len() > 254 {
        return Err(invalid(
            jel,
            format!(
                "{} lanes and crossings: a MAP node numbers at most 254",
                lane_keys.len() + crossing_lanes.len()
            ),
        ));
    }
    let mut lane_ids: BTreeMap<String, u8> = BTreeMap::new();
    let mut lanes = Vec::new();
    for (i, (dir, _, edge, idx)) in lane_keys.iter().enumerate() {
        let id = i as u8 + 1;
        let Some(l) = lane_of(edge, *idx) else {
            continue;
        };
        let lel = format!("lane {:?}", l.id);
        let full = Polyline::new(&site_shape(l))
            .ok_or_else(|| invalid(lel.clone(), "its shape has no length".into()))?;
        let centreline = clip_polyline(&full, *dir, clip);
        let maneuvers = if *dir == LaneDirection::Ingress {
            let mut m: Vec<Maneuver> = vehicle_links
                .iter()
                .filter(|c| c.from == *edge && c.from_lane == *idx)
                .map(|c| maneuver_of_dir(&c.dir))
                .collect();
            m.sort_by_key(|x| *x as u8);
            m.dedup();
            m
        } else {
            vec![]
        };
        lane_ids.insert(l.id.clone(), id);
        lanes.push(LaneSpec {
            id,
            approach: approach_of[edge.as_str()].clone(),
            width_m: l.width_m,
            centreline,
            direction: *dir,
            signal_group: None,
            maneuvers,
            connects_to: vec![],
            speed_limit_mps: l.speed_mps.filter(|v| *v > 0.0),
        });
    }

    // Connections, with their path across the box through the internal lanes.
    let mut connections = Vec::new();
    for c in &vehicle_links {
        let (Some(from), Some(to)) = (
            lane_of(&c.from, c.from_lane).and_then(|l| lane_ids.get(&l.id)),
            lane_of(&c.to, c.to_lane).and_then(|l| lane_ids.get(&l.id)),
        ) else {
            continue;
        };
        let mut path: Vec<[f64; 2]> = Vec::new();
        let mut via = c.via.clone();
        let mut hops = 0;
        while let Some(v) = via.take() {
            let Some((vedge, vlane)) = lanes_by_id.get(&v) else {
                break;
            };
            path.extend(vlane.shape.iter().map(|p| to_site(*p)));
            // An internal lane may continue through an internal junction (a left turn
            // waiting in the box).
            via = links
                .iter()
                .find(|n| n.from == *vedge && n.from_lane == vlane.index)
                .and_then(|n| n.via.clone());
            hops += 1;
            if hops > 8 {
                break;
            }
        }
        let path = Polyline::new(&path)
            .map(|p| simplify(p.points(), 31))
            .unwrap_or_default();
        connections.push(ConnectionSpec {
            from: *from,
            to: *to,
            maneuver: maneuver_of_dir(&c.dir),
            signal_group: group_of(c),
            right_of_way: if tl.is_some() {
                RightOfWay::Priority
            } else {
                right_of_way(c.state)
            },
            path,
        });
    }

    // Crosswalks.
    let mut crosswalks = Vec::new();
    for (k, cl) in crossing_lanes.iter().enumerate() {
        let Some((edge_id, l)) = lanes_by_id.get(*cl) else {
            continue;
        };
        let Some(edge) = edges.get(edge_id) else {
            continue;
        };
        let id = (lane_keys.len() + k + 1) as u8;
        let Some(line) = Polyline::new(&site_shape(l)) else {
            continue;
        };
        let approach = edge
            .crossing_edges
            .iter()
            .find_map(|e| approach_of.get(e.as_str()).cloned())
            .or_else(|| edge.crossing_edges.first().cloned())
            .unwrap_or_else(|| edge_id.clone());
        lane_ids.insert(l.id.clone(), id);
        crosswalks.push(CrosswalkSpec {
            id,
            approach,
            polygon: None,
            centreline: Some(simplify(line.points(), 31)),
            width_m: Some(l.width_m),
            signal_group: crossing_link(edge_id).and_then(|k| signals.groups.get(&k).copied()),
        });
    }

    Ok(ImportedMap {
        junction_id: junction_id.to_string(),
        map: MapSpec {
            lanes,
            connections,
            crosswalks,
            buildings: vec![],
        },
        signal: signals.plan,
        signal_missing: signals.missing,
        anchor,
        lane_ids,
        signal_groups: signals.groups,
        tls_id: tl,
        program_type: signals.program_type,
        net_to_site,
    })
}

/// Attribute `attr`'s value `v` as a finite number, or why not.
fn finite(attr: &str, v: &str) -> Result<f64, String> {
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("{attr}={v:?} is not a finite number"))
}

/// What a junction's traffic light gives the map: signal groups and, when the program can
/// be written as one, their fixed-time plan. Empty at an unsignalised junction.
#[derive(Debug, Default)]
struct Signals {
    /// `tlLogic` link index → signal group.
    groups: BTreeMap<u32, u8>,
    plan: Option<SignalPlan>,
    missing: Option<String>,
    program_type: Option<String>,
}

/// The signal groups of traffic light `tl` over the link indices `used` (link indices with
/// identical state sequences are one group) and their plan. Errors are (element, reason).
fn signals_of<'a>(
    net: roxmltree::Node<'a, 'a>,
    tl: &str,
    used: impl Iterator<Item = u32>,
) -> Result<Signals, (String, String)> {
    let tel = format!("tlLogic {tl:?}");
    let invalid = |reason: String| (tel.clone(), reason);
    let num = |attr: &str, v: &str| finite(attr, v).map_err(invalid);
    let logic = net
        .children()
        .filter(|n| n.has_tag_name("tlLogic"))
        .find(|n| n.attribute("id") == Some(tl))
        .ok_or_else(|| invalid("no such traffic light program".into()))?;
    let program_type = logic.attribute("type").unwrap_or("static").to_string();
    let mut phases: Vec<(f64, Vec<char>)> = Vec::new();
    for p in logic.children().filter(|n| n.has_tag_name("phase")) {
        let d = num("duration", p.attribute("duration").unwrap_or_default())?;
        phases.push((
            d,
            p.attribute("state").unwrap_or_default().chars().collect(),
        ));
    }
    if phases.is_empty() {
        return Err(invalid("has no phases".into()));
    }
    let mut used: Vec<u32> = used.collect();
    used.sort_unstable();
    used.dedup();
    let mut groups = BTreeMap::new();
    let mut columns: Vec<Vec<char>> = Vec::new();
    for &k in &used {
        let col: Vec<char> = phases
            .iter()
            .map(|(_, s)| s.get(k as usize).copied())
            .collect::<Option<_>>()
            .ok_or_else(|| invalid(format!("link index {k} is beyond its state strings")))?;
        // Off all cycle (`O`, or `o` blinking: give way as without a signal): not signalled.
        if col.iter().all(|c| matches!(c, 'o' | 'O')) {
            continue;
        }
        let g = match columns.iter().position(|c| *c == col) {
            Some(i) => i,
            None => {
                columns.push(col);
                columns.len() - 1
            }
        };
        if g >= 254 {
            return Err(invalid("more than 254 signal groups".into()));
        }
        groups.insert(k, g as u8 + 1);
    }
    let offset_s = logic
        .attribute("offset")
        .map(|v| num("offset", v))
        .transpose()?
        .unwrap_or(0.0);
    let (plan, missing) = match fixed_time_plan(&phases, &columns, offset_s) {
        Ok(plan) => (Some(plan), None),
        Err((None, why)) => (None, Some(format!("{tel} {why}"))),
        Err((Some(group), why)) => {
            let links: Vec<String> = groups
                .iter()
                .filter(|(_, g)| **g == group)
                .map(|(k, _)| k.to_string())
                .collect();
            let why = format!(
                "signal group {group} (link indices {}) of {tel} {why}",
                links.join(", ")
            );
            (None, Some(why))
        }
    };
    Ok(Signals {
        groups,
        plan,
        missing,
        program_type: Some(program_type),
    })
}

/// The rule of an unsignalised link from its SUMO `state`: `m` minor (gives way), `s` stop
/// sign, `=` all-way stop; anything else (`M` major, `w` zipper, `o`/`O`) has the way.
fn right_of_way(state: Option<char>) -> RightOfWay {
    match state {
        Some('m') => RightOfWay::GiveWay,
        Some('s' | '=') => RightOfWay::Stop,
        _ => RightOfWay::Priority,
    }
}

fn maneuver_of_dir(dir: &str) -> Maneuver {
    match dir {
        "l" | "L" => Maneuver::Left,
        "r" | "R" => Maneuver::Right,
        "t" => Maneuver::UTurn,
        _ => Maneuver::Straight,
    }
}

/// The last (ingress) or first (egress) `clip_m` of a lane, at most 31 points.
fn clip_polyline(line: &Polyline, dir: LaneDirection, clip_m: f64) -> Vec<[f64; 2]> {
    let len = line.length_m();
    let (s0, s1) = match dir {
        LaneDirection::Ingress => ((len - clip_m).max(0.0), len),
        LaneDirection::Egress => (0.0, clip_m.min(len)),
    };
    let mut pts = vec![line.at(s0).position];
    let mut s = 0.0;
    for w in line.points().windows(2) {
        s += (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]);
        if s > s0 + 1e-6 && s < s1 - 1e-6 {
            pts.push(w[1]);
        }
    }
    pts.push(line.at(s1).position);
    simplify(&pts, 31)
}

/// A fixed-time plan of the groups (one column of light characters per group): each
/// group's greens, each with the yellow after it. A group never green (`r`, `u`, `s`, a
/// yellow after no green) is red all cycle; one green all cycle is green all cycle; one that
/// goes from yellow straight back to green is never red. The error names the first group
/// the plan cannot hold (`None`: the program as a whole), and why.
fn fixed_time_plan(
    phases: &[(f64, Vec<char>)],
    columns: &[Vec<char>],
    offset_s: f64,
) -> Result<SignalPlan, (Option<u8>, &'static str)> {
    let cycle_s: f64 = phases.iter().map(|p| p.0).sum();
    if cycle_s <= 0.0 {
        return Err((None, "has a cycle of zero seconds"));
    }
    if columns.len() > 16 {
        return Err((
            None,
            "has more than 16 signal groups, the phases one CN SPAT carries per intersection",
        ));
    }
    let starts: Vec<f64> = phases
        .iter()
        .scan(0.0, |t, p| {
            let s = *t;
            *t += p.0;
            Some(s)
        })
        .collect();
    let n = phases.len();
    let mut groups = Vec::new();
    for (g, col) in columns.iter().enumerate() {
        let green = |i: usize| matches!(col[i % n], 'G' | 'g');
        let yellow = |i: usize| matches!(col[i % n], 'y' | 'Y');
        let group = g as u8 + 1;
        // Each green run and the yellow after it.
        let mut windows = Vec::new();
        if (0..n).all(green) {
            windows.push(GreenWindow {
                start_s: 0.0,
                green_s: cycle_s,
                yellow_s: 0.0,
            });
        }
        for start in (0..n).filter(|&i| green(i) && !green(i + n - 1)) {
            let mut green_s = 0.0;
            let mut i = start;
            while green(i) && i < start + n {
                green_s += phases[i % n].0;
                i += 1;
            }
            let mut yellow_s = 0.0;
            while yellow(i) && i < start + n {
                yellow_s += phases[i % n].0;
                i += 1;
            }
            windows.push(GreenWindow {
                start_s: starts[start],
                green_s,
                yellow_s,
            });
        }
        if windows.iter().any(|w| w.green_s <= 0.0) {
            return Err((Some(group), "has a green of zero seconds"));
        }
        if windows.is_empty() {
            // Never green: red all cycle (a green of 0 s, the plan's way of saying so).
            windows.push(GreenWindow {
                start_s: 0.0,
                green_s: 0.0,
                yellow_s: 0.0,
            });
        }
        let first = windows.remove(0);
        groups.push(SignalGroupSpec {
            id: group,
            name: None,
            green_start_s: first.start_s,
            green_s: first.green_s,
            yellow_s: first.yellow_s,
            min_green_s: None,
            max_green_s: None,
            timeline: Vec::new(),
            // SUMO's `g` (a green that gives way) in any of its green phases: the plan has one
            // light per green, and it must never promise a protection the movement lacks.
            permissive: col.contains(&'g'),
            more_greens: windows,
        });
    }
    if groups.is_empty() {
        return Err((None, "controls none of the junction's links"));
    }
    Ok(SignalPlan {
        kind: Default::default(),
        cycle_s,
        offset_s,
        groups,
        listen: None,
        feed_timeout_s: None,
    })
}

/// The projection of a PROJ string SUMO wrote: `None` for `!` (no geo-reference), a
/// transverse Mercator for `+proj=utm +zone=N [+south]` or `+proj=tmerc [+lat_0 +lon_0 +k
/// +x_0 +y_0]` on WGS84 (or GRS80, the same to 0.1 mm) in metres; why not otherwise.
fn parse_proj(proj: &str) -> Result<Option<TransverseMercator>, String> {
    let proj = proj.trim();
    if proj == "!" {
        return Ok(None);
    }
    let mut kind = None;
    let mut zone = None;
    let mut south = false;
    // PROJ's defaults for tmerc.
    let (mut lat0_deg, mut lon0_deg, mut k0) = (0.0, 0.0, 1.0);
    let (mut false_easting_m, mut false_northing_m) = (0.0, 0.0);
    for p in proj.split_whitespace() {
        let (key, value) = p.split_once('=').unwrap_or((p, ""));
        let number = || {
            value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{p} is not a number"))
        };
        match key {
            "+proj" => kind = Some(value),
            "+zone" => {
                zone = Some(
                    value
                        .parse::<u8>()
                        .ok()
                        .filter(|z| (1..=60).contains(z))
                        .ok_or_else(|| format!("{p} is not a UTM zone (1-60)"))?,
                )
            }
            "+south" => south = true,
            "+lat_0" => lat0_deg = number()?,
            "+lon_0" => lon0_deg = number()?,
            "+k" | "+k_0" => k0 = number()?,
            "+x_0" => false_easting_m = number()?,
            "+y_0" => false_northing_m = number()?,
            "+ellps" | "+datum" if !matches!(value, "WGS84" | "GRS80") => {
                return Err(format!("{p}: only the WGS84 ellipsoid is known"))
            }
            "+units" | "+vunits" if value != "m" => return Err(format!("{p}: not metres")),
            "+towgs84" if value.split(',').any(|v| v.parse::<f64>() != Ok(0.0)) => {
                return Err(format!("{p}: a datum shift is not supported"))
            }
            "+axis" if value != "enu" => return Err(format!("{p}: axes must be east, north")),
            _ => {}
        }
    }
    match kind {
        Some("utm") => {
            let zone = zone.ok_or("a UTM projection without +zone")?;
            Ok(Some(TransverseMercator::utm(zone, south)))
        }
        Some("tmerc") if k0 > 0.0 => Ok(Some(TransverseMercator::new(
            lat0_deg,
            lon0_deg,
            k0,
            false_easting_m,
            false_northing_m,
        ))),
        Some("tmerc") => Err("+k must be positive".into()),
        _ => Err("only UTM and transverse Mercator (tmerc) projections are known".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proj_strings_sumo_writes() {
        assert_eq!(
            parse_proj("+proj=utm +zone=33 +ellps=WGS84 +datum=WGS84 +units=m +no_defs"),
            Ok(Some(TransverseMercator::utm(33, false)))
        );
        assert_eq!(
            parse_proj("+proj=utm +zone=56 +south +datum=WGS84"),
            Ok(Some(TransverseMercator::utm(56, true)))
        );
        assert_eq!(parse_proj("!"), Ok(None));
        let local = parse_proj(
            "+proj=tmerc +lat_0=52.27732947001164 +lon_0=10.53906321682368 +k=1 +x_0=0 +y_0=0 \
             +datum=WGS84 +units=m  +vunits=m +no_defs ",
        );
        assert_eq!(
            local,
            Ok(Some(TransverseMercator::new(
                52.27732947001164,
                10.53906321682368,
                1.0,
                0.0,
                0.0
            )))
        );
        for (proj, reason) in [
            (
                "+proj=lcc +lat_1=49 +lat_2=44",
                "only UTM and transverse Mercator",
            ),
            ("+proj=utm +zone=61", "+zone=61 is not a UTM zone"),
            ("+proj=utm", "a UTM projection without +zone"),
            ("+proj=tmerc +ellps=bessel", "+ellps=bessel: only the WGS84"),
            ("+proj=tmerc +units=ft", "+units=ft: not metres"),
            ("+proj=tmerc +lat_0=north", "+lat_0=north is not a number"),
            ("+proj=tmerc +towgs84=598.1,73.7,418.2", "a datum shift"),
        ] {
            let e = parse_proj(proj).unwrap_err();
            assert!(e.contains(reason), "{proj}: {e}");
        }
    }

    #[test]
    fn no_plan_for_more_groups_than_a_spat_carries() {
        // 17 groups, each green in a phase of its own.
        let phases: Vec<(f64, Vec<char>)> = (0..17)
            .map(|k| {
                (
                    5.0,
                    (0..17).map(|g| if g == k { 'G' } else { 'r' }).collect(),
                )
            })
            .collect();
        let cols: Vec<Vec<char>> = (0..17)
            .map(|g| phases.iter().map(|p| p.1[g]).collect())
            .collect();
        let e = fixed_time_plan(&phases, &cols, 0.0).unwrap_err();
        assert_eq!(e.0, None);
        assert!(e.1.contains("more than 16 signal groups"), "{}", e.1);
        assert!(fixed_time_plan(
            &phases[..16],
            &cols[..16]
                .iter()
                .map(|c| c[..16].to_vec())
                .collect::<Vec<_>>(),
            0.0
        )
        .is_ok());
    }

    #[test]
    fn a_plan_from_state_columns() {
        let phases = vec![
            (30.0, "Gr".chars().collect()),
            (3.0, "yr".chars().collect()),
            (27.0, "rG".chars().collect()),
            (3.0, "ry".chars().collect()),
        ];
        let cols = vec![vec!['G', 'y', 'r', 'r'], vec!['r', 'r', 'G', 'y']];
        let p = fixed_time_plan(&phases, &cols, 5.0).unwrap();
        assert_eq!(p.cycle_s, 63.0);
        assert_eq!(p.offset_s, 5.0);
        assert_eq!(
            (
                p.groups[0].green_start_s,
                p.groups[0].green_s,
                p.groups[0].yellow_s
            ),
            (0.0, 30.0, 3.0)
        );
        assert_eq!(
            (
                p.groups[1].green_start_s,
                p.groups[1].green_s,
                p.groups[1].yellow_s
            ),
            (33.0, 27.0, 3.0)
        );
        assert!(!p.groups[0].permissive && !p.groups[1].permissive);
        // SUMO's `g` gives way: a permissive green, even where part of the green is `G`.
        let cols = vec![vec!['g', 'y', 'r', 'r'], vec!['r', 'r', 'G', 'y']];
        let p = fixed_time_plan(&phases, &cols, 5.0).unwrap();
        assert!(p.groups[0].permissive && !p.groups[1].permissive);
        let mixed = vec![vec!['G', 'g', 'y', 'r'], vec!['r', 'r', 'G', 'y']];
        assert!(fixed_time_plan(&phases, &mixed, 5.0).unwrap().groups[0].permissive);
        // Green twice per cycle: two windows, each with its yellow.
        let twice = vec![vec!['G', 'y', 'G', 'r']];
        let p = fixed_time_plan(&phases, &twice, 0.0).unwrap();
        let g = &p.groups[0];
        assert_eq!((g.green_start_s, g.green_s, g.yellow_s), (0.0, 30.0, 3.0));
        assert_eq!(
            g.more_greens,
            [GreenWindow {
                start_s: 33.0,
                green_s: 27.0,
                yellow_s: 0.0
            }]
        );
        // Never red (green, yellow, green, yellow): two greens that fill the cycle.
        let never_red = vec![vec!['G', 'y', 'G', 'y']];
        let g = &fixed_time_plan(&phases, &never_red, 0.0).unwrap().groups[0];
        assert_eq!((g.green_start_s, g.green_s, g.yellow_s), (0.0, 30.0, 3.0));
        assert_eq!(
            g.more_greens,
            [GreenWindow {
                start_s: 33.0,
                green_s: 27.0,
                yellow_s: 3.0
            }]
        );
        // Never green (a yellow after no green, red-yellow and stop count as red): red all
        // cycle; green in every phase: green all cycle.
        let p = fixed_time_plan(
            &phases,
            &[vec!['r', 'y', 'u', 's'], vec!['G', 'g', 'G', 'G']],
            0.0,
        )
        .unwrap();
        let (red, green) = (&p.groups[0], &p.groups[1]);
        assert_eq!(
            (red.green_s, red.yellow_s, red.more_greens.len()),
            (0.0, 0.0, 0)
        );
        assert_eq!(
            (green.green_start_s, green.green_s, green.yellow_s),
            (0.0, 63.0, 0.0)
        );
        assert!(green.permissive && green.more_greens.is_empty());
        // A phase of 0 s is no green.
        let zero = vec![(0.0, vec!['G']), (10.0, vec!['r'])];
        assert_eq!(
            fixed_time_plan(&zero, &[vec!['G', 'r']], 0.0).unwrap_err(),
            (Some(1), "has a green of zero seconds")
        );
    }
}
