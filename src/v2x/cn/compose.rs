//! From the site's state to CN messages: RSM from the world model, SPAT from the signal
//! state, MAP from the site map. Pure functions of their inputs and the time.

use super::common::{NodeRef, PositionAccuracy, Size, VehicleClass};
use super::map::{
    maneuver, LaneAttributes, LaneConnection, LaneKind, Map, MapLane, MapLink, MapNode, SpeedLimit,
};
use super::rsm::{Participant, ParticipantKind, Rsm, Source};
use super::spat::{
    status, CnTime, IntersectionSignal, PhaseStateSi, PhaseTiming, SignalPhase, Spat,
};
use crate::fusion::Class;
use crate::geo::{Enu, GeoPoint, SiteFrame};
use crate::map::SiteMap;
use crate::scenario::{LaneDirection, Maneuver, RightOfWay};
use crate::signal::{ControllerMode, GroupState};
use crate::time::Timestamp;
use crate::world::{WorldObject, WorldSnapshot};

/// Who is sending: the intersection and RSU identities and the site frame.
#[derive(Debug, Clone)]
pub struct SiteIdentity {
    pub name: String,
    pub region: u16,
    pub intersection_id: u16,
    pub rsu_id: [u8; 8],
    pub frame: SiteFrame,
}

impl SiteIdentity {
    fn node(&self) -> NodeRef {
        NodeRef {
            region: Some(self.region),
            id: self.intersection_id,
        }
    }

    fn geo(&self, e: f64, n: f64) -> GeoPoint {
        let g = self.frame.to_geo(Enu::new(e, n, 0.0));
        GeoPoint::new(g.lat_deg, g.lon_deg, None)
    }
}

/// 2-D 95 % radius from a one-sigma position error: √χ²₂(0.95) ≈ 2.45 σ.
const SIGMA_TO_95_2D: f64 = 2.447_7;

fn participant(site: &SiteIdentity, now: Timestamp, o: &WorldObject) -> Participant {
    let (kind, basic) = match o.class {
        Class::Car => (ParticipantKind::Motor, VehicleClass::PASSENGER_CAR),
        Class::Truck => (ParticipantKind::Motor, VehicleClass::TRUCK),
        Class::Bus => (ParticipantKind::Motor, VehicleClass::BUS),
        Class::Motorcycle => (ParticipantKind::Motor, VehicleClass::MOTORCYCLE),
        Class::Bicycle => (ParticipantKind::NonMotor, VehicleClass::BICYCLE),
        Class::Pedestrian => (ParticipantKind::Pedestrian, VehicleClass::PEDESTRIAN),
        Class::Unknown => (ParticipantKind::Unknown, 0),
    };
    Participant {
        kind,
        // 0 is the RSU itself.
        ptc_id: (o.id % 65_535 + 1) as u16,
        source: Source::Fused,
        vehicle_id: None,
        time_of_minute_s: f64::from(now.millis_of_minute()) / 1000.0,
        position: o.geo(&site.frame),
        position_accuracy: PositionAccuracy {
            horizontal_m: Some(o.pos_std_m * SIGMA_TO_95_2D),
            vertical_m: None,
        },
        transmission: None,
        speed_mps: Some(o.speed_mps()),
        yaw_rad: Some(o.yaw_rad),
        steering_rad: None,
        motion_accuracy: Some(super::common::MotionAccuracy {
            speed_mps: Some(o.speed_std_mps * 1.96),
            heading_rad: None,
            steering_rad: None,
        }),
        accel: None,
        size: Size {
            width_m: o.width_m,
            length_m: o.length_m,
            height_m: None,
        },
        vehicle_class: Some(VehicleClass { basic, fuel: None }),
    }
}

/// The RSM content for a snapshot (split into messages of 16 by `Rsm::to_frames`), its
/// reference point the site anchor.
pub fn rsm(site: &SiteIdentity, world: &WorldSnapshot, msg_cnt: u32) -> Rsm {
    let anchor = site.frame.anchor();
    Rsm {
        msg_cnt,
        rsu_id: site.rsu_id,
        ref_pos: GeoPoint::new(anchor.lat_deg, anchor.lon_deg, anchor.height_m),
        participants: world
            .objects
            .iter()
            .map(|o| participant(site, world.time, o))
            .collect(),
    }
}

/// SPAT with each group's current and next states, as countdowns from `now`, with the
/// controller's earliest, latest and likely ends and their confidence (a fixed-time plan
/// knows its times exactly: min = max = likely end, confidence 100 %), and the controller's
/// mode in the intersection status.
pub fn spat(
    site: &SiteIdentity,
    groups: &[GroupState],
    mode: ControllerMode,
    now: Timestamp,
    msg_cnt: u32,
) -> Spat {
    let phases = groups
        .iter()
        .map(|g| SignalPhase {
            id: g.id,
            states: g
                .intervals()
                .iter()
                .map(|iv| PhaseStateSi {
                    light: iv.light,
                    timing: Some(PhaseTiming::countdown_at(
                        now,
                        Some(iv.start),
                        Some(iv.min_end),
                        Some(iv.max_end),
                        Some(iv.likely_end),
                        Some(iv.confidence),
                        None,
                        None,
                    )),
                })
                .collect(),
        })
        .collect();
    Spat {
        msg_cnt,
        time: Some(CnTime::at(now)),
        name: None,
        intersections: vec![IntersectionSignal {
            id: site.node(),
            status: match mode {
                ControllerMode::FixedTime => status::FIXED_TIME,
                ControllerMode::Actuated => status::TRAFFIC_DEPENDENT,
                ControllerMode::Flashing => status::FAILURE_FLASH,
                ControllerMode::Failure => status::FAILURE_MODE,
                ControllerMode::Off => status::OFF,
                ControllerMode::Unknown | ControllerMode::Unsignalised => status::NO_VALID_SPAT,
            },
            time: Some(CnTime::at(now)),
            phases,
        }],
    }
}

/// A connection's `AllowedManeuvers` (CN MAP and ISO 19091 alike): its manoeuvre, and where
/// it gives way without a signal, `yieldAllwaysRequired` (and `goWithHalt` at a stop sign).
pub(crate) fn connection_bits(c: &crate::map::Connection) -> u16 {
    maneuver_bits(&[c.maneuver])
        | match c.right_of_way {
            RightOfWay::Priority => 0,
            RightOfWay::GiveWay => maneuver::YIELD_ALWAYS,
            RightOfWay::Stop => maneuver::YIELD_ALWAYS | maneuver::GO_WITH_HALT,
        }
}

pub(crate) fn maneuver_bits(m: &[Maneuver]) -> u16 {
    m.iter().fold(0, |b, m| {
        b | match m {
            Maneuver::Straight => maneuver::STRAIGHT,
            Maneuver::Left => maneuver::LEFT,
            Maneuver::Right => maneuver::RIGHT,
            Maneuver::UTurn => maneuver::U_TURN,
        }
    })
}

/// Crosswalk lane bits (`LaneAttributes-Crosswalk`): bit 3 `fixedCycleTime` (walk phases
/// follow the fixed-time plan; there is no push button).
const CROSSWALK_FIXED_CYCLE: u16 = 1 << 3;

/// The `LaneAttributes-Crosswalk` bits of a crosswalk: `fixedCycleTime` when it is
/// signalised and the walk phases are a fixed-time plan's, none otherwise.
pub(crate) fn crosswalk_bits(m: &SiteMap, c: &crate::map::Crosswalk) -> u16 {
    if c.signal_group.is_some() && m.walk_phases_fixed {
        CROSSWALK_FIXED_CYCLE
    } else {
        0
    }
}

/// The printable ASCII of `s`, at most 63 characters (a `DescriptiveName`), if any is left.
pub(crate) fn descriptive_text(s: &str) -> Option<String> {
    let t: String = s
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .take(63)
        .collect();
    (!t.is_empty()).then_some(t)
}

/// MAP of the intersection: one node, one link per approach with its ingress lanes and its
/// crosswalks. Each ingress lane lists its connections (egress lane, manoeuvre and signal
/// group as `phaseId`); egress lanes are only the targets of connections. A signalised
/// crosswalk carries its pedestrian signal group in one connection to this node without a
/// connecting lane (as `LaneAttributes-Crosswalk` describes). Upstream and downstream nodes
/// are numbered after the approach (intersection ID × 10 + approach index + 1) since the site
/// map does not know them.
pub fn map(site: &SiteIdentity, m: &SiteMap, now: Timestamp, msg_cnt: u32) -> Map {
    let approaches = m.approaches();
    let upstream = |approach: &str| NodeRef {
        region: Some(site.region),
        id: site
            .intersection_id
            .wrapping_mul(10)
            .wrapping_add(approaches.iter().position(|a| *a == approach).unwrap_or(0) as u16 + 1),
    };
    let links = approaches
        .iter()
        .filter_map(|a| {
            let vehicle_lanes = m
                .lanes
                .iter()
                .filter(|l| l.approach == *a && l.direction == LaneDirection::Ingress)
                .map(|l| {
                    let connections: Vec<_> = m.connections_from(l.id).collect();
                    let mut maneuvers = maneuver_bits(&l.maneuvers);
                    for c in &connections {
                        maneuvers |= connection_bits(c);
                    }
                    MapLane {
                        id: l.id,
                        width_m: Some(l.width_m),
                        attributes: Some(LaneAttributes {
                            share_with: None,
                            kind: LaneKind::Vehicle(0),
                        }),
                        maneuvers: Some(maneuvers),
                        connects_to: connections
                            .iter()
                            .filter_map(|c| Some((c, m.lane(c.to)?)))
                            .map(|(c, to)| LaneConnection {
                                remote_node: upstream(&to.approach),
                                lane: Some(to.id),
                                maneuver: Some(connection_bits(c)),
                                phase_id: c.signal_group,
                            })
                            .collect(),
                        speed_limits: l
                            .speed_limit_mps
                            .map(|v| SpeedLimit {
                                kind: SpeedLimit::VEHICLE_MAX,
                                speed_mps: v,
                            })
                            .into_iter()
                            .collect(),
                        points: l.centreline.iter().map(|p| site.geo(p[0], p[1])).collect(),
                    }
                });
            let crosswalks = m
                .crosswalks
                .iter()
                .filter(|c| c.approach == *a)
                .map(|c| MapLane {
                    id: c.id,
                    width_m: Some(c.width_m),
                    attributes: Some(LaneAttributes {
                        share_with: None,
                        kind: LaneKind::Crosswalk(crosswalk_bits(m, c)),
                    }),
                    maneuvers: None,
                    connects_to: c
                        .signal_group
                        .map(|g| LaneConnection {
                            remote_node: site.node(),
                            lane: None,
                            maneuver: None,
                            phase_id: Some(g),
                        })
                        .into_iter()
                        .collect(),
                    speed_limits: vec![],
                    points: c.centreline.iter().map(|p| site.geo(p[0], p[1])).collect(),
                });
            let lanes: Vec<MapLane> = vehicle_lanes.chain(crosswalks).collect();
            (!lanes.is_empty()).then(|| MapLink {
                name: descriptive_text(a),
                upstream_node: upstream(a),
                speed_limits: vec![],
                // The road's width: its vehicle lanes (a crosswalk's width runs along it).
                width_m: lanes
                    .iter()
                    .filter(|l| {
                        l.attributes
                            .is_some_and(|a| matches!(a.kind, LaneKind::Vehicle(_)))
                    })
                    .filter_map(|l| l.width_m)
                    .sum(),
                points: vec![],
                movements: vec![],
                lanes,
            })
        })
        .collect();
    let anchor = site.frame.anchor();
    Map {
        msg_cnt,
        minute_of_year: Some(now.minute_of_year()),
        nodes: vec![MapNode {
            name: descriptive_text(&site.name),
            id: site.node(),
            ref_pos: GeoPoint::new(anchor.lat_deg, anchor.lon_deg, anchor.height_m),
            in_links: links,
        }],
    }
}

/// RSI for the hazards in force (most urgent first, at most 8: the RTE list's limit), each
/// at its conflict point with its priority and a description naming the road users and
/// the values that fired it: a road traffic event where the site assigns its kind an event
/// code, and a road traffic sign where its kind has a sign code (see
/// [`crate::hazard::rsi_codes`]). `None` when there is nothing to send.
pub fn rsi(
    site: &SiteIdentity,
    hazards: &[&crate::hazard::Hazard],
    codes: &crate::hazard::RsiEventTypes,
    now: Timestamp,
    msg_cnt: u32,
) -> Option<crate::v2x::cn::rsi::Rsi> {
    rsi_with_external(site, hazards, codes, Vec::new(), now, msg_cnt)
}

/// [`rsi`] with the traffic-control centre's events in force (`external`, already RSI road
/// events) beside the hazards: all ranked by priority, a hazard first on a tie, at most 8.
/// An external event whose RSI id a hazard uses takes the next free one for this message.
pub fn rsi_with_external(
    site: &SiteIdentity,
    hazards: &[&crate::hazard::Hazard],
    codes: &crate::hazard::RsiEventTypes,
    external: Vec<crate::v2x::cn::rsi::RoadEvent>,
    now: Timestamp,
    msg_cnt: u32,
) -> Option<crate::v2x::cn::rsi::Rsi> {
    use crate::v2x::cn::rsi::{Description, EventSource, RoadEvent, RoadSign, Rsi, Scope};
    let anchor = site.frame.anchor();
    let mut ranked: Vec<&&crate::hazard::Hazard> =
        hazards.iter().filter(|h| codes.publishes(h)).collect();
    ranked.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.id.cmp(&b.id)));
    let scope = |h: &crate::hazard::Hazard| {
        let p = site
            .frame
            .to_geo(crate::geo::Enu::new(h.point[0], h.point[1], 0.0));
        let mut text = format!("{} {:?}", h.kind.name(), h.road_users);
        if h.values.ran_red {
            text.push_str(" crossed on red");
        }
        if let Some(t) = h.values.ttc_s.or(h.values.time_to_conflict_s) {
            text.push_str(&format!(" t={t:.1}s"));
        }
        Scope {
            position: Some(GeoPoint::new(p.lat_deg, p.lon_deg, anchor.height_m)),
            description: Some(Description::Text(text)),
            priority: Some(h.priority.min(7)),
            ..Scope::default()
        }
    };
    let top = || ranked.iter().take(8);
    let events: Vec<RoadEvent> = top()
        .filter_map(|h| {
            Some(RoadEvent {
                id: (h.id % 256) as u8,
                event_type: codes.of(h)?,
                source: EventSource::Detection,
                radius_m: Some(20.0),
                confidence: None,
                scope: scope(h),
            })
        })
        .collect();
    let signs: Vec<RoadSign> = top()
        .filter_map(|h| {
            Some(RoadSign {
                id: (h.id % 256) as u8,
                sign_type: codes.sign_of(h)?,
                scope: scope(h),
            })
        })
        .collect();
    let events = merge_external(events, external);
    (!events.is_empty() || !signs.is_empty()).then(|| Rsi {
        msg_cnt,
        minute_of_year: Some(now.minute_of_year()),
        rsu_id: site.rsu_id,
        ref_pos: GeoPoint::new(anchor.lat_deg, anchor.lon_deg, anchor.height_m),
        events,
        signs,
    })
}

/// Hazard events (ranked already) and external ones, by priority (hazards first on a tie),
/// at most 8, with distinct RSI ids.
fn merge_external(
    hazards: Vec<crate::v2x::cn::rsi::RoadEvent>,
    external: Vec<crate::v2x::cn::rsi::RoadEvent>,
) -> Vec<crate::v2x::cn::rsi::RoadEvent> {
    if external.is_empty() {
        return hazards;
    }
    let prio = |e: &crate::v2x::cn::rsi::RoadEvent| e.scope.priority.unwrap_or(0);
    let mut all: Vec<(bool, crate::v2x::cn::rsi::RoadEvent)> = hazards
        .into_iter()
        .map(|e| (false, e))
        .chain(external.into_iter().map(|e| (true, e)))
        .collect();
    // Stable: hazards keep their order and come before external events of equal priority.
    all.sort_by(|(xa, a), (xb, b)| prio(b).cmp(&prio(a)).then(xa.cmp(xb)));
    all.truncate(8);
    let mut used: Vec<u8> = all.iter().filter(|(x, _)| !x).map(|(_, e)| e.id).collect();
    all.into_iter()
        .map(|(ext, mut e)| {
            if ext {
                if used.contains(&e.id) {
                    if let Some(free) = (0..=255u8).rev().find(|i| !used.contains(i)) {
                        e.id = free;
                    }
                }
                used.push(e.id);
            }
            e
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::merge_external;
    use crate::v2x::cn::rsi::{EventSource, RoadEvent, Scope};

    fn ev(id: u8, code: u16, priority: u8) -> RoadEvent {
        RoadEvent {
            id,
            event_type: code,
            source: EventSource::Detection,
            radius_m: None,
            confidence: None,
            scope: Scope {
                priority: Some(priority),
                ..Scope::default()
            },
        }
    }

    #[test]
    fn external_events_share_the_eight_slots_by_priority_with_distinct_ids() {
        let hazards = vec![ev(255, 901, 6), ev(3, 902, 2)];
        let external: Vec<RoadEvent> = (0..8)
            .map(|i| ev(255 - i, 401 + u16::from(i), 2 + i % 5))
            .collect();
        let merged = merge_external(hazards, external);
        assert_eq!(merged.len(), 8);
        let prio: Vec<u8> = merged.iter().filter_map(|e| e.scope.priority).collect();
        assert!(prio.windows(2).all(|w| w[0] >= w[1]), "{prio:?}");
        // The priority-6 hazard is first, before the priority-6 external event.
        assert_eq!(merged[0].event_type, 901);
        // The ids are distinct even though an external one had the hazard's id.
        let mut ids: Vec<u8> = merged.iter().map(|e| e.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 8);
    }

    /// `fixedCycleTime` on a signalised crosswalk only under a fixed-time plan: an actuated
    /// controller or a live feed may serve pedestrians on demand.
    #[test]
    fn a_crosswalk_has_a_fixed_cycle_only_under_a_fixed_time_plan() {
        use crate::pipeline::PipelineConfig;
        use crate::scenario::{Scenario, SignalKind};
        use crate::time::Timestamp;
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/hazards/right_turn_pedestrian.toml"
        );
        let mut s = Scenario::load(std::path::Path::new(path)).expect("a scenario");
        let epoch = Timestamp::from_secs_f64(1.8e9).expect("time");
        let bits = |s: &Scenario| -> Vec<u16> {
            let cfg = PipelineConfig::from_scenario(s, epoch);
            let m = &cfg.map;
            m.crosswalks
                .iter()
                .map(|c| super::crosswalk_bits(m, c))
                .collect()
        };
        let fixed = bits(&s);
        assert!(!fixed.is_empty() && fixed.iter().all(|b| *b == super::CROSSWALK_FIXED_CYCLE));
        fn plan(s: &mut Scenario) -> &mut crate::scenario::SignalPlan {
            s.signal.as_mut().expect("a signalised site")
        }
        plan(&mut s).kind = SignalKind::Actuated;
        assert!(bits(&s).iter().all(|b| *b == 0));
        plan(&mut s).kind = SignalKind::FixedTime;
        plan(&mut s).listen = Some("127.0.0.1:9".parse().expect("address"));
        assert!(bits(&s).iter().all(|b| *b == 0));
    }
}
