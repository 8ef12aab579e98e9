//! MapData: nodes (intersections), the links that enter them, their lanes, connections and
//! points. Lane and link points are offsets from their node's reference position.

use super::common::{fixed_bits, mask_of_fixed, mask_of_var, msg_count, var_bits, NodeRef};
use super::spat::{count_check, descriptive_name};
use super::units as u;
use crate::geo::GeoPoint;
use crate::v2x::BuildError;
use roadsight_asn1::cn;
use serde::{Deserialize, Serialize};

/// `AllowedManeuvers` bits.
pub mod maneuver {
    pub const STRAIGHT: u16 = 1 << 0;
    pub const LEFT: u16 = 1 << 1;
    pub const RIGHT: u16 = 1 << 2;
    pub const U_TURN: u16 = 1 << 3;
    pub const LEFT_ON_RED: u16 = 1 << 4;
    pub const RIGHT_ON_RED: u16 = 1 << 5;
    pub const LANE_CHANGE: u16 = 1 << 6;
    pub const NO_STOPPING: u16 = 1 << 7;
    pub const YIELD_ALWAYS: u16 = 1 << 8;
    pub const GO_WITH_HALT: u16 = 1 << 9;
    pub const CAUTION: u16 = 1 << 10;
}

/// `SpeedLimitType` by its position in the enumeration (0 unknown … 12), and the limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpeedLimit {
    /// 5 is `vehicleMaxSpeed`, the general limit.
    pub kind: u8,
    pub speed_mps: f64,
}

impl SpeedLimit {
    pub const VEHICLE_MAX: u8 = 5;

    fn to_cn(self) -> cn::RegulatorySpeedLimit {
        use cn::SpeedLimitType as T;
        let kind = match self.kind {
            1 => T::maxSpeedInSchoolZone,
            2 => T::maxSpeedInSchoolZoneWhenChildrenArePresent,
            3 => T::maxSpeedInConstructionZone,
            4 => T::vehicleMinSpeed,
            5 => T::vehicleMaxSpeed,
            6 => T::vehicleNightMaxSpeed,
            7 => T::truckMinSpeed,
            8 => T::truckMaxSpeed,
            9 => T::truckNightMaxSpeed,
            10 => T::vehiclesWithTrailersMinSpeed,
            11 => T::vehiclesWithTrailersMaxSpeed,
            12 => T::vehiclesWithTrailersNightMaxSpeed,
            _ => T::unknown,
        };
        cn::RegulatorySpeedLimit::new(kind, cn::Speed(u::speed_to_cn(Some(self.speed_mps))))
    }

    fn from_cn(s: &cn::RegulatorySpeedLimit) -> Self {
        Self {
            kind: s.r_type as u8,
            speed_mps: u::speed_from_cn(s.speed.0).unwrap_or(f64::NAN),
        }
    }
}

/// `LaneTypeAttributes`: the lane's kind and that kind's attribute bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "bits", rename_all = "snake_case")]
pub enum LaneKind {
    Vehicle(u16),
    Crosswalk(u16),
    Bike(u16),
    Sidewalk(u16),
    Median(u16),
    Striping(u16),
    TrackedVehicle(u16),
    Parking(u16),
    /// A lane type from a newer edition of the standard.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaneAttributes {
    /// `LaneSharing` bits, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_with: Option<u16>,
    pub kind: LaneKind,
}

/// Where a lane leads: the downstream node, the lane there, the manoeuvre and its phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaneConnection {
    pub remote_node: NodeRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lane: Option<u8>,
    /// [`maneuver`] bits of the connection, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maneuver: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase_id: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapLane {
    pub id: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width_m: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<LaneAttributes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maneuvers: Option<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connects_to: Vec<LaneConnection>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub speed_limits: Vec<SpeedLimit>,
    /// Centreline from upstream to downstream (the stop line is the last point).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub points: Vec<GeoPoint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    pub remote_node: NodeRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase_id: Option<u8>,
}

/// A link (road section) entering a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapLink {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub upstream_node: NodeRef,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub speed_limits: Vec<SpeedLimit>,
    pub width_m: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub points: Vec<GeoPoint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub movements: Vec<Movement>,
    pub lanes: Vec<MapLane>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapNode {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub id: NodeRef,
    pub ref_pos: GeoPoint,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub in_links: Vec<MapLink>,
}

/// A MapData message in SI units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Map {
    pub msg_cnt: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minute_of_year: Option<u32>,
    pub nodes: Vec<MapNode>,
}

fn opt_list<T, L>(
    what: &'static str,
    v: &[T],
    max: usize,
    f: impl Fn(&T) -> Result<L, BuildError>,
) -> Result<Option<Vec<L>>, BuildError> {
    if v.is_empty() {
        return Ok(None);
    }
    count_check(what, v.len(), 1, max)?;
    v.iter().map(f).collect::<Result<Vec<_>, _>>().map(Some)
}

fn points_to_cn(
    what: &'static str,
    reference: &GeoPoint,
    points: &[GeoPoint],
) -> Result<Option<cn::PointList>, BuildError> {
    if points.is_empty() {
        return Ok(None);
    }
    count_check(what, points.len(), 2, 31)?;
    Ok(Some(cn::PointList(
        points
            .iter()
            .map(|p| cn::RoadPoint::new(u::offset_llv(reference, p)))
            .collect(),
    )))
}

fn points_from_cn(reference: &GeoPoint, points: &Option<cn::PointList>) -> Vec<GeoPoint> {
    points.as_ref().map_or_else(Vec::new, |l| {
        l.0.iter()
            .map(|p| u::geo_from_offset_llv(reference, &p.pos_offset))
            .collect()
    })
}

fn speed_limits_to_cn(
    what: &'static str,
    v: &[SpeedLimit],
) -> Result<Option<cn::SpeedLimitList>, BuildError> {
    Ok(opt_list(what, v, 9, |s| Ok(s.to_cn()))?.map(cn::SpeedLimitList))
}

fn speed_limits_from_cn(v: &Option<cn::SpeedLimitList>) -> Vec<SpeedLimit> {
    v.as_ref()
        .map_or_else(Vec::new, |l| l.0.iter().map(SpeedLimit::from_cn).collect())
}

impl LaneAttributes {
    fn to_cn(self) -> cn::LaneAttributes {
        use cn::LaneTypeAttributes as T;
        let f = |m: u16| fixed_bits::<16>(u32::from(m));
        let kind = match self.kind {
            LaneKind::Vehicle(m) => {
                T::vehicle(cn::LaneAttributesVehicle(var_bits(u32::from(m), 8)))
            }
            LaneKind::Crosswalk(m) => T::crosswalk(cn::LaneAttributesCrosswalk(f(m))),
            LaneKind::Bike(m) => T::bikeLane(cn::LaneAttributesBike(f(m))),
            LaneKind::Sidewalk(m) => T::sidewalk(cn::LaneAttributesSidewalk(f(m))),
            LaneKind::Median(m) => T::median(cn::LaneAttributesBarrier(f(m))),
            LaneKind::Striping(m) => T::striping(cn::LaneAttributesStriping(f(m))),
            LaneKind::TrackedVehicle(m) => {
                T::trackedVehicle(cn::LaneAttributesTrackedVehicle(f(m)))
            }
            LaneKind::Parking(m) => T::parking(cn::LaneAttributesParking(f(m))),
            // Nothing newer can be sent in this edition: describe it as a plain vehicle lane.
            LaneKind::Other => T::vehicle(cn::LaneAttributesVehicle(var_bits(0, 8))),
        };
        cn::LaneAttributes::new(
            self.share_with
                .map(|m| cn::LaneSharing(fixed_bits::<10>(u32::from(m)))),
            kind,
        )
    }

    fn from_cn(a: &cn::LaneAttributes) -> Self {
        use cn::LaneTypeAttributes as T;
        let f = |b: &roadsight_asn1::rasn::prelude::FixedBitString<16>| mask_of_fixed(b) as u16;
        let kind = match &a.lane_type {
            T::vehicle(b) => LaneKind::Vehicle(mask_of_var(&b.0) as u16),
            T::crosswalk(b) => LaneKind::Crosswalk(f(&b.0)),
            T::bikeLane(b) => LaneKind::Bike(f(&b.0)),
            T::sidewalk(b) => LaneKind::Sidewalk(f(&b.0)),
            T::median(b) => LaneKind::Median(f(&b.0)),
            T::striping(b) => LaneKind::Striping(f(&b.0)),
            T::trackedVehicle(b) => LaneKind::TrackedVehicle(f(&b.0)),
            T::parking(b) => LaneKind::Parking(f(&b.0)),
            _ => LaneKind::Other,
        };
        Self {
            share_with: a.share_with.as_ref().map(|s| mask_of_fixed(&s.0) as u16),
            kind,
        }
    }
}

impl MapLane {
    fn to_cn(&self, reference: &GeoPoint) -> Result<cn::Lane, BuildError> {
        Ok(cn::Lane::new(
            cn::LaneID(self.id),
            self.width_m.map(|w| cn::LaneWidth(u::lane_width_to_cn(w))),
            self.attributes.map(LaneAttributes::to_cn),
            self.maneuvers
                .map(|m| cn::AllowedManeuvers(fixed_bits::<12>(u32::from(m)))),
            opt_list("lane connections", &self.connects_to, 8, |c| {
                Ok(cn::Connection::new(
                    c.remote_node.to_cn(),
                    c.lane.map(|l| {
                        cn::ConnectingLane::new(
                            cn::LaneID(l),
                            c.maneuver
                                .map(|m| cn::AllowedManeuvers(fixed_bits::<12>(u32::from(m)))),
                        )
                    }),
                    c.phase_id.map(cn::PhaseID),
                ))
            })?
            .map(cn::ConnectsToList),
            speed_limits_to_cn("lane speed limits", &self.speed_limits)?,
            points_to_cn("lane points", reference, &self.points)?,
        ))
    }

    fn from_cn(l: &cn::Lane, reference: &GeoPoint) -> Self {
        Self {
            id: l.lane_id.0,
            width_m: l.lane_width.as_ref().map(|w| f64::from(w.0) * 0.01),
            attributes: l.lane_attributes.as_ref().map(LaneAttributes::from_cn),
            maneuvers: l.maneuvers.as_ref().map(|m| mask_of_fixed(&m.0) as u16),
            connects_to: l.connects_to.as_ref().map_or_else(Vec::new, |c| {
                c.0.iter()
                    .map(|c| LaneConnection {
                        remote_node: NodeRef::from_cn(&c.remote_intersection),
                        lane: c.connecting_lane.as_ref().map(|l| l.lane.0),
                        maneuver: c
                            .connecting_lane
                            .as_ref()
                            .and_then(|l| l.maneuver.as_ref())
                            .map(|m| mask_of_fixed(&m.0) as u16),
                        phase_id: c.phase_id.as_ref().map(|p| p.0),
                    })
                    .collect()
            }),
            speed_limits: speed_limits_from_cn(&l.speed_limits),
            points: points_from_cn(reference, &l.points),
        }
    }
}

impl Map {
    pub fn to_cn(&self) -> Result<cn::MapData, BuildError> {
        count_check("MAP nodes", self.nodes.len(), 1, 32)?;
        let mut nodes = Vec::with_capacity(self.nodes.len());
        for n in &self.nodes {
            let r = &n.ref_pos;
            let links = opt_list("node links", &n.in_links, 32, |l| {
                count_check("link lanes", l.lanes.len(), 1, 32)?;
                Ok(cn::Link::new(
                    l.name
                        .as_deref()
                        .map(|s| descriptive_name("link name", s))
                        .transpose()?,
                    l.upstream_node.to_cn(),
                    speed_limits_to_cn("link speed limits", &l.speed_limits)?,
                    cn::LaneWidth(u::lane_width_to_cn(l.width_m)),
                    points_to_cn("link points", r, &l.points)?,
                    opt_list("link movements", &l.movements, 32, |m| {
                        Ok(cn::Movement::new(
                            m.remote_node.to_cn(),
                            m.phase_id.map(cn::PhaseID),
                        ))
                    })?
                    .map(cn::MovementList),
                    cn::LaneList(
                        l.lanes
                            .iter()
                            .map(|lane| lane.to_cn(r))
                            .collect::<Result<_, _>>()?,
                    ),
                ))
            })?;
            nodes.push(cn::Node::new(
                n.name
                    .as_deref()
                    .map(|s| descriptive_name("node name", s))
                    .transpose()?,
                n.id.to_cn(),
                u::position3d(r),
                links.map(cn::LinkList),
            ));
        }
        Ok(cn::MapData::new(
            msg_count(self.msg_cnt),
            self.minute_of_year
                .map(|m| cn::MinuteOfTheYear(m.min(527_040))),
            cn::NodeList(nodes),
        ))
    }

    pub fn from_cn(m: &cn::MapData) -> Self {
        Self {
            msg_cnt: u32::from(m.msg_cnt.0),
            minute_of_year: m.time_stamp.as_ref().map(|t| t.0),
            nodes: m
                .nodes
                .0
                .iter()
                .map(|n| {
                    let r = u::geo_from_position3d(&n.ref_pos);
                    MapNode {
                        name: n.name.as_ref().map(|s| s.0.to_string()),
                        id: NodeRef::from_cn(&n.id),
                        ref_pos: r,
                        in_links: n.in_links.as_ref().map_or_else(Vec::new, |ls| {
                            ls.0.iter()
                                .map(|l| MapLink {
                                    name: l.name.as_ref().map(|s| s.0.to_string()),
                                    upstream_node: NodeRef::from_cn(&l.upstream_node_id),
                                    speed_limits: speed_limits_from_cn(&l.speed_limits),
                                    width_m: f64::from(l.link_width.0) * 0.01,
                                    points: points_from_cn(&r, &l.points),
                                    movements: l.movements.as_ref().map_or_else(Vec::new, |ms| {
                                        ms.0.iter()
                                            .map(|m| Movement {
                                                remote_node: NodeRef::from_cn(
                                                    &m.remote_intersection,
                                                ),
                                                phase_id: m.phase_id.as_ref().map(|p| p.0),
                                            })
                                            .collect()
                                    }),
                                    lanes: l
                                        .lanes
                                        .0
                                        .iter()
                                        .map(|lane| MapLane::from_cn(lane, &r))
                                        .collect(),
                                })
                                .collect()
                        }),
                    }
                })
                .collect(),
        }
    }
}
