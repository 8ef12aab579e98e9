//! The site map in the site frame: one intersection node (the site's `intersection_id`, its
//! reference point the site origin), lanes with centrelines grouped into approaches, stop
//! lines, lane connections with their manoeuvre and signal group, crosswalks and building
//! footprints. Checked once at load (`scenario`); MAP messages are generated from it
//! (`v2x::cn::compose`), never written by hand. Geometry for the hazard detectors is in
//! [`geometry`], map matching of tracks in [`matching`], import from SUMO in [`sumo`].

pub mod geometry;
pub mod matching;
pub mod sumo;

use crate::geo::{wrap_pi, Enu};
use crate::scenario::{
    BuildingSpec, ConnectionSpec, CrosswalkSpec, LaneDirection, LaneSpec, Maneuver, MapSpec,
};
use geometry::{Footprint, Polyline};

#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub id: u8,
    pub approach: String,
    pub width_m: f64,
    /// Upstream to downstream; for an ingress lane the last point is on the stop line.
    pub centreline: Vec<[f64; 2]>,
    pub direction: LaneDirection,
    /// The lane's own signal group (the shorthand); each connection has its own.
    pub signal_group: Option<u8>,
    pub maneuvers: Vec<Maneuver>,
    /// The shorthand list of egress lanes; [`SiteMap::connections`] holds every connection.
    pub connects_to: Vec<u8>,
    pub speed_limit_mps: Option<f64>,
    /// `centreline` as a path, made on first use: the hazard detectors ask for it for every
    /// road user at every cycle. `centreline` does not change once a lane is built.
    pub(crate) path_cache: std::sync::OnceLock<Option<Polyline>>,
}

impl Lane {
    pub fn length_m(&self) -> f64 {
        self.centreline
            .windows(2)
            .map(|w| (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]))
            .sum()
    }

    /// The stop-line point of an ingress lane.
    pub fn stop_point(&self) -> Option<[f64; 2]> {
        (self.direction == LaneDirection::Ingress)
            .then(|| self.centreline.last().copied())
            .flatten()
    }

    /// The stop line of an ingress lane: the segment across the lane at its downstream end,
    /// from its right edge to its left edge.
    pub fn stop_line(&self) -> Option<[[f64; 2]; 2]> {
        if self.direction != LaneDirection::Ingress {
            return None;
        }
        let end = self.path()?.at(f64::INFINITY);
        let h = self.width_m / 2.0;
        let (s, c) = end.yaw_rad.sin_cos();
        let [x, y] = end.position;
        Some([[x + h * s, y - h * c], [x - h * s, y + h * c]])
    }

    /// The centreline as a path with stations (`None` only for an unchecked, degenerate lane).
    pub fn path(&self) -> Option<&Polyline> {
        self.path_cache
            .get_or_init(|| Polyline::new(&self.centreline))
            .as_ref()
    }
}

/// A movement from an ingress lane to an egress lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub from: u8,
    pub to: u8,
    pub maneuver: Maneuver,
    pub signal_group: Option<u8>,
    pub right_of_way: crate::scenario::RightOfWay,
    /// The path across the box from the ingress stop line to the egress lane's start: as
    /// configured, or a smooth curve joining the two lanes.
    pub connector: Vec<[f64; 2]>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Crosswalk {
    pub id: u8,
    pub approach: String,
    /// Outline (as configured, or the band around the centreline).
    pub polygon: Vec<[f64; 2]>,
    /// Walking line across (as configured, or the polygon's long axis).
    pub centreline: Vec<[f64; 2]>,
    pub width_m: f64,
    pub signal_group: Option<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Building {
    pub name: Option<String>,
    pub footprint: Vec<[f64; 2]>,
    /// `None`: blocks every line of sight that crosses it.
    pub height_m: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SiteMap {
    pub lanes: Vec<Lane>,
    /// Every connection: the configured ones and those of the lanes' `connects_to`.
    pub connections: Vec<Connection>,
    pub crosswalks: Vec<Crosswalk>,
    pub buildings: Vec<Building>,
    /// The signalised crosswalks' walk phases come from a fixed-time plan (no push button, no
    /// actuation): MAP and MAPEM set their `fixedCycleTime` bit. Not known from the map
    /// alone, so false until the signal plan says so.
    pub walk_phases_fixed: bool,
}

/// The manoeuvre a turn from yaw `from` to yaw `to` makes (left is counter-clockwise).
pub fn maneuver_of_turn(from_yaw_rad: f64, to_yaw_rad: f64) -> Maneuver {
    let d = wrap_pi(to_yaw_rad - from_yaw_rad).to_degrees();
    if d.abs() < 30.0 {
        Maneuver::Straight
    } else if d.abs() > 150.0 {
        Maneuver::UTurn
    } else if d > 0.0 {
        Maneuver::Left
    } else {
        Maneuver::Right
    }
}

impl SiteMap {
    /// Builds the map from a checked spec (the scenario's `check_map` has run).
    pub fn from_spec(spec: &MapSpec) -> Self {
        let lanes: Vec<Lane> = spec.lanes.iter().map(Lane::from).collect();
        let mut m = Self {
            lanes,
            connections: vec![],
            crosswalks: spec.crosswalks.iter().map(Crosswalk::from).collect(),
            buildings: spec.buildings.iter().map(Building::from).collect(),
            walk_phases_fixed: false,
        };
        let mut connections = Vec::new();
        for l in &m.lanes {
            for &to in &l.connects_to {
                let Some(egress) = m.lane(to) else { continue };
                let maneuver = match l.maneuvers.as_slice() {
                    [only] => *only,
                    _ => m.turn(l, egress).unwrap_or(Maneuver::Straight),
                };
                connections.push(ConnectionSpec {
                    from: l.id,
                    to,
                    maneuver,
                    signal_group: l.signal_group,
                    right_of_way: Default::default(),
                    path: vec![],
                });
            }
        }
        connections.extend(spec.connections.iter().cloned());
        m.connections = connections
            .iter()
            .filter_map(|c| {
                let connector = if c.path.is_empty() {
                    m.smooth_connector(c.from, c.to)?
                } else {
                    c.path.clone()
                };
                Some(Connection {
                    from: c.from,
                    to: c.to,
                    maneuver: c.maneuver,
                    signal_group: c.signal_group,
                    right_of_way: c.right_of_way,
                    connector,
                })
            })
            .collect();
        m
    }

    fn turn(&self, from: &Lane, to: &Lane) -> Option<Maneuver> {
        let a = from.path()?;
        let b = to.path()?;
        Some(maneuver_of_turn(
            a.at(a.length_m()).yaw_rad,
            b.at(0.0).yaw_rad,
        ))
    }

    fn smooth_connector(&self, from: u8, to: u8) -> Option<Vec<[f64; 2]>> {
        let a = self.lane(from)?.path()?;
        let b = self.lane(to)?.path()?;
        let end = a.at(a.length_m());
        let start = b.at(0.0);
        Some(geometry::smooth_connector(
            end.position,
            end.yaw_rad,
            start.position,
            start.yaw_rad,
            12,
        ))
    }

    pub fn lane(&self, id: u8) -> Option<&Lane> {
        self.lanes.iter().find(|l| l.id == id)
    }

    /// The connections leaving an ingress lane.
    pub fn connections_from(&self, lane: u8) -> impl Iterator<Item = &Connection> {
        self.connections.iter().filter(move |c| c.from == lane)
    }

    /// The path of a road user through a connection: the ingress centreline, the connector
    /// across the box and the egress centreline, with stations from the ingress lane's start.
    pub fn connection_path(&self, c: &Connection) -> Option<Polyline> {
        let a = self.lane(c.from)?.path()?;
        let b = self.lane(c.to)?.path()?;
        let mid = Polyline::new(&c.connector);
        Some(match mid {
            Some(mid) => a.join(&mid).join(b),
            None => a.join(b),
        })
    }

    /// Whether a building blocks the straight line of sight from `from` to `to`.
    pub fn line_of_sight_blocked(&self, from: Enu, to: Enu) -> bool {
        geometry::line_of_sight_blocked(
            from,
            to,
            self.buildings.iter().map(|b| Footprint {
                outline: &b.footprint,
                height_m: b.height_m,
            }),
        )
    }

    /// Approach names in the order they first appear (lanes, then crosswalks).
    pub fn approaches(&self) -> Vec<&str> {
        let mut v: Vec<&str> = Vec::new();
        let names = self
            .lanes
            .iter()
            .map(|l| l.approach.as_str())
            .chain(self.crosswalks.iter().map(|c| c.approach.as_str()));
        for a in names {
            if !v.contains(&a) {
                v.push(a);
            }
        }
        v
    }
}

impl From<&LaneSpec> for Lane {
    fn from(s: &LaneSpec) -> Self {
        Self {
            id: s.id,
            approach: s.approach.clone(),
            width_m: s.width_m,
            centreline: s.centreline.clone(),
            direction: s.direction,
            signal_group: s.signal_group,
            maneuvers: s.maneuvers.clone(),
            connects_to: s.connects_to.clone(),
            speed_limit_mps: s.speed_limit_mps,
            path_cache: Default::default(),
        }
    }
}

impl From<&CrosswalkSpec> for Crosswalk {
    fn from(s: &CrosswalkSpec) -> Self {
        let (polygon, centreline, width_m) = match (&s.polygon, &s.centreline) {
            (Some(p), _) => {
                let (axis, w) = geometry::principal_axis(p);
                (p.clone(), axis.to_vec(), w)
            }
            (None, Some(c)) => {
                let w = s.width_m.unwrap_or(0.0);
                (geometry::buffer_outline(c, w), c.clone(), w)
            }
            (None, None) => (vec![], vec![], 0.0),
        };
        Self {
            id: s.id,
            approach: s.approach.clone(),
            polygon,
            centreline,
            width_m,
            signal_group: s.signal_group,
        }
    }
}

impl Crosswalk {
    pub fn contains(&self, p: [f64; 2]) -> bool {
        geometry::point_in_polygon(p, &self.polygon)
    }
}

impl From<&BuildingSpec> for Building {
    fn from(s: &BuildingSpec) -> Self {
        Self {
            name: s.name.clone(),
            footprint: s.footprint.clone(),
            height_m: s.height_m,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn the_default_map_has_connections_with_turns() {
        let s = Scenario::default_scenario().unwrap();
        let m = SiteMap::from_spec(&s.map);
        let n: usize = s.map.lanes.iter().map(|l| l.connects_to.len()).sum();
        assert_eq!(m.connections.len(), n);
        // Lane 11 (southbound on the north arm) turns left into 43 and goes straight to 33.
        let c = |from, to| {
            m.connections
                .iter()
                .find(|c| c.from == from && c.to == to)
                .unwrap()
        };
        assert_eq!(c(11, 43).maneuver, Maneuver::Left);
        assert_eq!(c(11, 33).maneuver, Maneuver::Straight);
        assert_eq!(c(11, 33).signal_group, Some(2));
        let stop = m.lane(11).unwrap().stop_line().unwrap();
        // Across the lane at y = 15, 3.5 m long, right edge first (west when heading south).
        assert!((stop[0][1] - 15.0).abs() < 1e-9 && (stop[1][1] - 15.0).abs() < 1e-9);
        assert!((stop[0][0] - (-3.5)).abs() < 1e-9 && stop[1][0].abs() < 1e-9);
        // The path through the left turn starts on 11 and ends on 43.
        let p = m.connection_path(c(11, 43)).unwrap();
        let l11 = m.lane(11).unwrap();
        let l43 = m.lane(43).unwrap();
        assert_eq!(p.points().first(), l11.centreline.first());
        assert_eq!(p.points().last(), l43.centreline.last());
        assert!(p.length_m() > l11.length_m() + l43.length_m());
    }
}
