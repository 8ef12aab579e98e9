//! MAPEM: the site map as one ISO TS 19091 `IntersectionGeometry`.
//!
//! Following SAE J2735 / ISO TS 19091 lane description:
//! - every lane is a `GenericLane` with the site's lane ID, its approach (the approach's index
//!   plus one, as `ingressApproach` or `egressApproach`) and its node list;
//! - node lists start where the lane meets the intersection: an ingress lane's first node is
//!   its stop line and the list runs upstream, an egress lane's runs away from the box;
//! - nodes are offsets in centimetres east and north of the previous node (the first one of
//!   the reference point), each in the smallest `node-XY` form that holds it, or as an
//!   absolute `node-LatLon` beyond ±327.67 m. Offsets come from positions rounded to the
//!   centimetre, so rounding does not accumulate along a lane;
//! - `laneWidth` and `speedLimits` of the intersection are the commonest among the vehicle
//!   lanes; a lane that differs says so on its first node (`dWidth`, `data.speedLimits`);
//! - each ingress lane lists its connections: the egress lane, the manoeuvre and the signal
//!   group. A signalised crosswalk connects to itself with its pedestrian signal group, the
//!   usual way to give a crosswalk its signal group, since a `Connection` must name a lane.

use crate::map::SiteMap;
use crate::scenario::LaneDirection;
use crate::time::Timestamp;
use crate::v2x::cn::common::{fixed_bits, var_bits};
use crate::v2x::cn::compose::{
    connection_bits, crosswalk_bits, descriptive_text, maneuver_bits, SiteIdentity,
};
use crate::v2x::cn::spat::{count_check, ia5};
use crate::v2x::cn::units as u;
use crate::v2x::BuildError;
use roadsight_asn1::etsi::{cdd, dsrc, MAPEM};

/// `LaneDirection` bits.
const INGRESS_PATH: u32 = 1 << 0;
const EGRESS_PATH: u32 = 1 << 1;

/// The MAPEM of the site. `revision` is the map's `msgIssueRevision` (and the intersection's
/// `revision`): receivers keep a map until its revision changes, so it must change with the
/// content and only then; [`revision_of`] derives one from the content.
pub fn mapem(
    site: &SiteIdentity,
    station_id: u32,
    m: &SiteMap,
    now: Timestamp,
    revision: u8,
) -> Result<MAPEM, BuildError> {
    let geometry = intersection(site, m, revision)?;
    Ok(MAPEM::new(
        cdd::ItsPduHeader::new(
            super::PROTOCOL_VERSION,
            super::message_id::MAPEM,
            cdd::StationID(station_id),
        ),
        dsrc::MapData::new(
            Some(dsrc::MinuteOfTheYear(now.minute_of_year())),
            dsrc::MsgCount(revision % 128),
            Some(dsrc::LayerType::intersectionData),
            None,
            Some(dsrc::IntersectionGeometryList(vec![geometry])),
            None,
            None,
            None,
            None,
        ),
    ))
}

/// A `MsgCount` revision (0..=127) that changes with the map's content: FNV-1a of the UPER
/// intersection geometry. Two different maps share a revision with probability 1/128, the
/// size of the field.
pub fn revision_of(site: &SiteIdentity, m: &SiteMap) -> Result<u8, BuildError> {
    let g = intersection(site, m, 0)?;
    let bytes =
        roadsight_asn1::rasn::uper::encode(&g).map_err(|e| BuildError::Encode(e.to_string()))?;
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    Ok((h % 128) as u8)
}

fn intersection(
    site: &SiteIdentity,
    m: &SiteMap,
    revision: u8,
) -> Result<dsrc::IntersectionGeometry, BuildError> {
    let anchor = site.frame.anchor();
    let approaches = m.approaches();
    let approach_id = |a: &str| {
        approaches
            .iter()
            .position(|x| *x == a)
            .and_then(|i| u8::try_from(i + 1).ok())
            .filter(|&i| i <= 15)
            .map(dsrc::ApproachID)
    };
    let vehicle = || m.lanes.iter();
    let width_cm = commonest(vehicle().map(|l| i64::from(u::lane_width_to_cn(l.width_m))));
    let limit = commonest(
        vehicle()
            .filter_map(|l| l.speed_limit_mps)
            .map(|v| i64::from(u::speed_to_cn(Some(v)))),
    );
    let speed_limits = |v: i64| {
        dsrc::SpeedLimitList(vec![dsrc::RegulatorySpeedLimit::new(
            dsrc::SpeedLimitType::vehicleMaxSpeed,
            dsrc::Velocity(v as u16),
        )])
    };
    let mut lanes = Vec::with_capacity(m.lanes.len() + m.crosswalks.len());
    for l in &m.lanes {
        let ingress = l.direction == LaneDirection::Ingress;
        let own_width = i64::from(u::lane_width_to_cn(l.width_m));
        let own_limit = l
            .speed_limit_mps
            .map(|v| i64::from(u::speed_to_cn(Some(v))));
        let first = first_node_attributes(
            width_cm.map(|w| own_width - w),
            own_limit.filter(|&v| Some(v) != limit).map(speed_limits),
        );
        let points: Vec<[f64; 2]> = if ingress {
            l.centreline.iter().rev().copied().collect()
        } else {
            l.centreline.clone()
        };
        let connections: Vec<_> = m.connections_from(l.id).collect();
        let mut maneuvers = maneuver_bits(&l.maneuvers);
        for c in &connections {
            maneuvers |= connection_bits(c);
        }
        count_check("MAPEM lane connections", connections.len(), 0, 16)?;
        let connects_to = connections
            .iter()
            .map(|c| {
                dsrc::Connection::new(
                    dsrc::ConnectingLane::new(
                        dsrc::LaneID(c.to),
                        Some(dsrc::AllowedManeuvers(fixed_bits(u32::from(
                            connection_bits(c),
                        )))),
                    ),
                    None,
                    c.signal_group.map(dsrc::SignalGroupID),
                    None,
                    None,
                )
            })
            .collect::<Vec<_>>();
        lanes.push(dsrc::GenericLane::new(
            dsrc::LaneID(l.id),
            None,
            approach_id(&l.approach).filter(|_| ingress),
            approach_id(&l.approach).filter(|_| !ingress),
            dsrc::LaneAttributes::new(
                dsrc::LaneDirection(fixed_bits(if ingress { INGRESS_PATH } else { EGRESS_PATH })),
                dsrc::LaneSharing(fixed_bits(0)),
                dsrc::LaneTypeAttributes::vehicle(dsrc::LaneAttributesVehicle(var_bits(0, 8))),
                None,
            ),
            (ingress && maneuvers != 0)
                .then(|| dsrc::AllowedManeuvers(fixed_bits(u32::from(maneuvers)))),
            nodes(site, &points, first)?,
            (!connects_to.is_empty()).then_some(dsrc::ConnectsToList(connects_to)),
            None,
            None,
        ));
    }
    for c in &m.crosswalks {
        let first = first_node_attributes(
            width_cm.map(|w| i64::from(u::lane_width_to_cn(c.width_m)) - w),
            None,
        );
        let bits = u32::from(crosswalk_bits(m, c));
        lanes.push(dsrc::GenericLane::new(
            dsrc::LaneID(c.id),
            None,
            approach_id(&c.approach),
            approach_id(&c.approach),
            dsrc::LaneAttributes::new(
                dsrc::LaneDirection(fixed_bits(INGRESS_PATH | EGRESS_PATH)),
                dsrc::LaneSharing(fixed_bits(0)),
                dsrc::LaneTypeAttributes::crosswalk(dsrc::LaneAttributesCrosswalk(fixed_bits(
                    bits,
                ))),
                None,
            ),
            None,
            nodes(site, &c.centreline, first)?,
            c.signal_group.map(|g| {
                dsrc::ConnectsToList(vec![dsrc::Connection::new(
                    dsrc::ConnectingLane::new(dsrc::LaneID(c.id), None),
                    None,
                    Some(dsrc::SignalGroupID(g)),
                    None,
                    None,
                )])
            }),
            None,
            None,
        ));
    }
    count_check("MAPEM lanes", lanes.len(), 1, 255)?;
    Ok(dsrc::IntersectionGeometry::new(
        descriptive_text(&site.name)
            .map(|n| ia5("MAPEM intersection name", &n, 1, 63).map(dsrc::DescriptiveName))
            .transpose()?,
        dsrc::IntersectionReferenceID::new(
            Some(dsrc::RoadRegulatorID(site.region)),
            dsrc::IntersectionID(site.intersection_id),
        ),
        dsrc::MsgCount(revision % 128),
        dsrc::Position3D::new(
            cdd::Latitude(u::lat_to_cn(anchor.lat_deg)),
            cdd::Longitude(u::lon_to_cn(anchor.lon_deg)),
            anchor
                .height_m
                .map(|h| dsrc::Elevation(u::elevation_to_cn(Some(h)))),
            None,
        ),
        width_cm.map(|w| dsrc::LaneWidth(w as u16)),
        limit.map(speed_limits),
        dsrc::LaneList(lanes),
        None,
        None,
    ))
}

/// The value most lanes have (the smallest among equals), if any lane has one.
fn commonest(values: impl Iterator<Item = i64>) -> Option<i64> {
    let mut v: Vec<i64> = values.collect();
    v.sort_unstable();
    v.chunk_by(|a, b| a == b)
        .max_by(|a, b| a.len().cmp(&b.len()).then(b[0].cmp(&a[0])))
        .map(|run| run[0])
}

/// The first node's attributes: a width that differs from the intersection's `laneWidth`
/// (`dWidth`, cm, saturating at ±5.11 m) and a speed limit that differs from its
/// `speedLimits`.
fn first_node_attributes(
    d_width_cm: Option<i64>,
    speed_limits: Option<dsrc::SpeedLimitList>,
) -> Option<dsrc::NodeAttributeSetXY> {
    let d_width = d_width_cm
        .filter(|&d| d != 0)
        .map(|d| dsrc::OffsetB10(d.clamp(-512, 511) as i16));
    (d_width.is_some() || speed_limits.is_some()).then(|| {
        dsrc::NodeAttributeSetXY::new(
            None,
            None,
            None,
            speed_limits.map(|s| {
                dsrc::LaneDataAttributeList(vec![dsrc::LaneDataAttribute::speedLimits(s)])
            }),
            d_width,
            None,
            None,
        )
    })
}

/// The longest segment sent as one `node-XY` offset; longer ones are split.
const MAX_XY_SEGMENT_M: f64 = 300.0;

/// A node list from site-frame points (east, north in m from the reference point). A segment
/// longer than the largest `node-XY` form is split into equal parts while the list stays
/// within 63 nodes, since `node-LatLon` is the form receivers support least; past that, the
/// far node goes as `node-LatLon`.
fn nodes(
    site: &SiteIdentity,
    points: &[[f64; 2]],
    first: Option<dsrc::NodeAttributeSetXY>,
) -> Result<dsrc::NodeListXY, BuildError> {
    count_check("MAPEM lane nodes", points.len(), 2, 63)?;
    let parts = |w: &[[f64; 2]]| {
        let len = (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]);
        if len.is_finite() {
            (len / MAX_XY_SEGMENT_M).ceil().max(1.0) as usize
        } else {
            1
        }
    };
    let total: usize = 1 + points.windows(2).map(parts).sum::<usize>();
    let split: Vec<[f64; 2]>;
    let points = if total > points.len() && total <= 63 {
        split = std::iter::once(points[0])
            .chain(points.windows(2).flat_map(|w| {
                let n = parts(w);
                (1..=n).map(move |i| {
                    let f = i as f64 / n as f64;
                    [
                        w[0][0] + (w[1][0] - w[0][0]) * f,
                        w[0][1] + (w[1][1] - w[0][1]) * f,
                    ]
                })
            }))
            .collect();
        &split[..]
    } else {
        points
    };
    let mut prev = [0_i64; 2];
    let mut first = first;
    let mut out = Vec::with_capacity(points.len());
    for p in points {
        let at = [cm(p[0]), cm(p[1])];
        // Saturating: a site map's points are finite but not bounded.
        let (dx, dy) = (at[0].saturating_sub(prev[0]), at[1].saturating_sub(prev[1]));
        prev = at;
        out.push(dsrc::NodeXY::new(offset(site, p, dx, dy), first.take()));
    }
    Ok(dsrc::NodeListXY::nodes(dsrc::NodeSetXY(out)))
}

fn cm(m: f64) -> i64 {
    if m.is_finite() {
        (m * 100.0).round() as i64
    } else {
        0
    }
}

/// The smallest `node-XY` form that holds the offset, or the point's own position.
fn offset(site: &SiteIdentity, p: &[f64; 2], dx: i64, dy: i64) -> dsrc::NodeOffsetPointXY {
    use dsrc::NodeOffsetPointXY as N;
    let r = dx.unsigned_abs().max(dy.unsigned_abs());
    // The upper bound of each form (2^(bits-1) - 1 cm).
    let (x, y) = (dx as i16, dy as i16);
    match r {
        0..=511 => N::node_XY1(dsrc::NodeXY20b::new(dsrc::OffsetB10(x), dsrc::OffsetB10(y))),
        512..=1023 => N::node_XY2(dsrc::NodeXY22b::new(dsrc::OffsetB11(x), dsrc::OffsetB11(y))),
        1024..=2047 => N::node_XY3(dsrc::NodeXY24b::new(dsrc::OffsetB12(x), dsrc::OffsetB12(y))),
        2048..=4095 => N::node_XY4(dsrc::NodeXY26b::new(dsrc::OffsetB13(x), dsrc::OffsetB13(y))),
        4096..=8191 => N::node_XY5(dsrc::NodeXY28b::new(dsrc::OffsetB14(x), dsrc::OffsetB14(y))),
        8192..=32767 => N::node_XY6(dsrc::NodeXY32b::new(dsrc::OffsetB16(x), dsrc::OffsetB16(y))),
        _ => {
            let g = site.frame.to_geo(crate::geo::Enu::new(p[0], p[1], 0.0));
            N::node_LatLon(dsrc::NodeLLmD64b::new(
                cdd::Longitude(u::lon_to_cn(g.lon_deg)),
                cdd::Latitude(u::lat_to_cn(g.lat_deg)),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::{GeoPoint, SiteFrame};
    use dsrc::NodeOffsetPointXY as N;

    fn site() -> SiteIdentity {
        SiteIdentity {
            name: "t".into(),
            region: 1,
            intersection_id: 2,
            rsu_id: *b"RSU00001",
            frame: SiteFrame::new(GeoPoint::new(31.2304, 121.4737, Some(12.0))),
        }
    }

    fn form(n: &N) -> &'static str {
        match n {
            N::node_XY1(_) => "XY1",
            N::node_XY2(_) => "XY2",
            N::node_XY3(_) => "XY3",
            N::node_XY4(_) => "XY4",
            N::node_XY5(_) => "XY5",
            N::node_XY6(_) => "XY6",
            N::node_LatLon(_) => "LatLon",
            _ => "other",
        }
    }

    #[test]
    fn each_offset_takes_the_smallest_form_that_holds_it() {
        let s = site();
        let cases = [
            (511, "XY1"),
            (-512, "XY2"),
            (1023, "XY2"),
            (2047, "XY3"),
            (4095, "XY4"),
            (8191, "XY5"),
            (8192, "XY6"),
            (32_767, "XY6"),
            (32_768, "LatLon"),
        ];
        for (d, want) in cases {
            assert_eq!(form(&offset(&s, &[0.0, 0.0], d, 0)), want, "{d} cm");
            assert_eq!(form(&offset(&s, &[0.0, 0.0], 0, d)), want, "{d} cm");
        }
    }

    #[test]
    fn offsets_add_up_to_each_point_without_drift() {
        // 60 points 0.333 m apart: per-point rounding would drift by up to 60 × 0.5 cm.
        let pts: Vec<[f64; 2]> = (0..60)
            .map(|i| [f64::from(i) * 0.333, f64::from(i % 7) * 0.217])
            .collect();
        let dsrc::NodeListXY::nodes(set) = nodes(&site(), &pts, None).expect("nodes") else {
            panic!("computed lane")
        };
        let mut at = [0_i64; 2];
        for (n, p) in set.0.iter().zip(&pts) {
            let N::node_XY1(d) = &n.delta else {
                panic!("form {}", form(&n.delta))
            };
            at = [at[0] + i64::from(d.x.0), at[1] + i64::from(d.y.0)];
            assert_eq!(at, [cm(p[0]), cm(p[1])]);
        }
        assert!(
            nodes(&site(), &pts[..1], None).is_err(),
            "one point is no lane"
        );
        let many: Vec<[f64; 2]> = (0..64).map(|i| [f64::from(i), 0.0]).collect();
        assert!(
            nodes(&site(), &many, None).is_err(),
            "NodeSetXY holds 2..=63"
        );
    }

    #[test]
    fn a_long_segment_is_split_and_past_63_nodes_goes_as_latlon() {
        let s = site();
        let forms = |pts: &[[f64; 2]]| -> Vec<&'static str> {
            let dsrc::NodeListXY::nodes(set) = nodes(&s, pts, None).expect("nodes") else {
                panic!("computed lane")
            };
            set.0.iter().map(|n| form(&n.delta)).collect()
        };
        assert_eq!(
            forms(&[[0.0, 0.0], [0.0, 700.0]]),
            ["XY1", "XY6", "XY6", "XY6"]
        );
        // 30 segments of 1 km would need 120 nodes: each far node goes as node-LatLon.
        let far: Vec<[f64; 2]> = (0..31).map(|i| [f64::from(i) * 1000.0, 0.0]).collect();
        let f = forms(&far);
        assert_eq!(f.len(), 31);
        assert!(f[1..].iter().all(|f| *f == "LatLon"), "{f:?}");
    }

    #[test]
    fn the_commonest_value_ties_to_the_smallest() {
        assert_eq!(commonest([5, 3, 5, 3, 1].into_iter()), Some(3));
        assert_eq!(commonest([7, 5, 7].into_iter()), Some(7));
        assert_eq!(commonest(std::iter::empty()), None);
    }

    #[test]
    fn a_width_difference_beyond_the_field_saturates() {
        let a = first_node_attributes(Some(900), None).expect("attributes");
        assert_eq!(a.d_width, Some(dsrc::OffsetB10(511)));
        assert!(first_node_attributes(Some(0), None).is_none());
    }
}
