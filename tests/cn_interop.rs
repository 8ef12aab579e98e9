//! The CN message set against an independent codec (Python `asn1tools`, compiled from the
//! same ASN.1): every message we build is decoded there and compared field by field, and
//! random values encoded there are decoded here and compared field by field.

mod common;

use common::{hex, run_tool, unhex};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRng, TestRunner};
use roadsight::geo::GeoPoint;
use roadsight::v2x::cn::bsm::{Brakes, Bsm, ErrorEllipse};
use roadsight::v2x::cn::common::{
    Accel4Way, MotionAccuracy, NodeRef, PositionAccuracy, Size, Transmission, VehicleClass,
};
use roadsight::v2x::cn::map::{
    LaneAttributes, LaneConnection, LaneKind, Map, MapLane, MapLink, MapNode, Movement, SpeedLimit,
};
use roadsight::v2x::cn::rsi::{
    ActiveTime, Description, EventSource, ReferenceLink, ReferencePath, RoadEvent, RoadSign, Rsi,
    Scope,
};
use roadsight::v2x::cn::rsm::{Participant, ParticipantKind, Rsm, Source};
use roadsight::v2x::cn::spat::{
    CnTime, IntersectionSignal, Light, PhaseStateSi, PhaseTiming, SignalPhase, Spat,
};
use roadsight::v2x::cn::{decode_frame, encode_frame, CnMessage, MessageFrame};
use serde_json::{json, Value};

// --- generators -------------------------------------------------------------------------

fn reference() -> impl Strategy<Value = GeoPoint> {
    (
        -80.0..80.0f64,
        -180.0..180.0f64,
        prop::option::of(-100.0..3000.0f64),
    )
        .prop_map(|(lat, lon, h)| GeoPoint::new(lat, lon, h))
}

/// A point near `r`, at a distance that picks each position-offset variant in turn.
fn near(r: GeoPoint) -> impl Strategy<Value = GeoPoint> {
    let scale = prop::sample::select(vec![1e-5, 2e-4, 8e-4, 3e-3, 1.3e-2, 0.2, 0.8, 5.0]);
    (
        scale,
        -1.0..1.0f64,
        -1.0..1.0f64,
        prop::option::of(-300.0..300.0f64),
    )
        .prop_map(move |(s, a, b, dh)| {
            GeoPoint::new(
                (r.lat_deg + s * a).clamp(-90.0, 90.0),
                ((r.lon_deg + s * b + 180.0).rem_euclid(360.0)) - 180.0,
                dh.map(|d| r.height_m.unwrap_or(50.0) + d),
            )
        })
}

fn opt_f(lo: f64, hi: f64) -> impl Strategy<Value = Option<f64>> {
    prop::option::of(lo..hi)
}

fn accel() -> impl Strategy<Value = Accel4Way> {
    (
        opt_f(-30.0, 30.0),
        opt_f(-30.0, 30.0),
        opt_f(-30.0, 30.0),
        -7.0..7.0f64,
    )
        .prop_map(|(a, b, c, y)| Accel4Way {
            long_mps2: a,
            lat_mps2: b,
            vert_mps2: c,
            yaw_rate_radps: y,
        })
}

fn size() -> impl Strategy<Value = Size> {
    (0.0..12.0f64, 0.0..45.0f64, opt_f(0.0, 7.0)).prop_map(|(w, l, h)| Size {
        width_m: w,
        length_m: l,
        height_m: h,
    })
}

fn motion_accuracy() -> impl Strategy<Value = MotionAccuracy> {
    (opt_f(0.0, 150.0), opt_f(0.0, 0.3), opt_f(0.0, 0.05)).prop_map(|(s, h, st)| MotionAccuracy {
        speed_mps: s,
        heading_rad: h,
        steering_rad: st,
    })
}

fn position_accuracy() -> impl Strategy<Value = PositionAccuracy> {
    (opt_f(0.0, 700.0), opt_f(0.0, 700.0)).prop_map(|(h, v)| PositionAccuracy {
        horizontal_m: h,
        vertical_m: v,
    })
}

fn transmission() -> impl Strategy<Value = Transmission> {
    prop::sample::select(vec![
        Transmission::Neutral,
        Transmission::Park,
        Transmission::Forward,
        Transmission::Reverse,
        Transmission::Unavailable,
    ])
}

fn vehicle_class() -> impl Strategy<Value = VehicleClass> {
    (any::<u8>(), prop::option::of(0u8..16)).prop_map(|(basic, fuel)| VehicleClass { basic, fuel })
}

fn participant(r: GeoPoint) -> impl Strategy<Value = Participant> {
    (
        (
            prop::sample::select(vec![
                ParticipantKind::Unknown,
                ParticipantKind::Motor,
                ParticipantKind::NonMotor,
                ParticipantKind::Pedestrian,
                ParticipantKind::Rsu,
            ]),
            any::<u16>(),
            prop::sample::select(vec![
                Source::Unknown,
                Source::SelfInfo,
                Source::V2x,
                Source::Video,
                Source::Radar,
                Source::Loop,
                Source::Lidar,
                Source::Fused,
            ]),
            prop::option::of(any::<[u8; 8]>()),
            0.0..65.535f64,
            near(r),
        ),
        (
            position_accuracy(),
            prop::option::of(transmission()),
            opt_f(0.0, 200.0),
            opt_f(-10.0, 10.0),
            prop::option::of(opt_f(-4.0, 4.0)),
            prop::option::of(motion_accuracy()),
            prop::option::of(accel()),
            size(),
            prop::option::of(vehicle_class()),
        ),
    )
        .prop_map(
            |(
                (kind, ptc_id, source, vehicle_id, t, position),
                (pa, tr, sp, yaw, st, ma, ac, sz, vc),
            )| Participant {
                kind,
                ptc_id,
                source,
                vehicle_id,
                time_of_minute_s: t,
                position,
                position_accuracy: pa,
                transmission: tr,
                speed_mps: sp,
                yaw_rad: yaw,
                steering_rad: st,
                motion_accuracy: ma,
                accel: ac,
                size: sz,
                vehicle_class: vc,
            },
        )
}

fn rsm() -> impl Strategy<Value = Rsm> {
    (reference(), 0u32..1000, any::<[u8; 8]>()).prop_flat_map(|(r, cnt, id)| {
        prop::collection::vec(participant(r), 1..=16).prop_map(move |participants| Rsm {
            msg_cnt: cnt,
            rsu_id: id,
            ref_pos: r,
            participants,
        })
    })
}

fn bsm() -> impl Strategy<Value = Bsm> {
    (
        (
            0u32..1000,
            any::<[u8; 8]>(),
            0.0..65.5f64,
            reference(),
            prop::option::of((opt_f(0.0, 20.0), opt_f(0.0, 20.0), opt_f(-7.0, 7.0))),
        ),
        (
            prop::option::of(position_accuracy()),
            transmission(),
            opt_f(0.0, 200.0),
            opt_f(-10.0, 10.0),
            prop::option::of(opt_f(-4.0, 4.0)),
        ),
        (
            prop::option::of(motion_accuracy()),
            accel(),
            prop::option::of(any::<bool>()),
            prop::option::of(0u8..32),
            size(),
            vehicle_class(),
        ),
        (
            prop::option::of(0u16..(1 << 13)),
            prop::option::of(0u16..(1 << 9)),
        ),
    )
        .prop_map(
            |(
                (cnt, id, t, pos, ell),
                (pa, tr, sp, yaw, st),
                (ma, ac, pedal, wheels, sz, vc),
                (ev, li),
            )| Bsm {
                msg_cnt: cnt,
                vehicle_id: id,
                time_of_minute_s: t,
                position: pos,
                error_ellipse: ell.map(|(a, b, o)| ErrorEllipse {
                    semi_major_m: a,
                    semi_minor_m: b,
                    orientation_rad: o,
                }),
                position_accuracy: pa,
                transmission: tr,
                speed_mps: sp,
                yaw_rad: yaw,
                steering_rad: st,
                motion_accuracy: ma,
                accel: ac,
                brakes: Brakes {
                    pedal_on: pedal,
                    wheel_brakes: wheels,
                },
                size: sz,
                vehicle_class: vc,
                event_flags: ev,
                exterior_lights: li,
            },
        )
}

fn light() -> impl Strategy<Value = Light> {
    prop::sample::select(vec![
        Light::Unavailable,
        Light::Dark,
        Light::FlashingRed,
        Light::Red,
        Light::FlashingGreen,
        Light::PermissiveGreen,
        Light::ProtectedGreen,
        Light::Yellow,
        Light::FlashingYellow,
    ])
}

fn timing() -> impl Strategy<Value = PhaseTiming> {
    let t = || opt_f(0.0, 4000.0);
    (any::<bool>(), t(), t(), t(), t(), opt_f(0.0, 1.0), t(), t()).prop_map(
        |(utc, a, b, c, d, e, f, g)| {
            if utc {
                PhaseTiming::Utc {
                    start_s: a,
                    min_end_s: b,
                    max_end_s: c,
                    likely_end_s: d,
                    confidence: e,
                    next_start_s: f,
                    next_end_s: g,
                }
            } else {
                PhaseTiming::Countdown {
                    start_s: a,
                    min_end_s: b,
                    max_end_s: c,
                    likely_end_s: d,
                    confidence: e,
                    next_start_s: f,
                    next_duration_s: g,
                }
            }
        },
    )
}

fn node_ref() -> impl Strategy<Value = NodeRef> {
    (prop::option::of(any::<u16>()), any::<u16>()).prop_map(|(region, id)| NodeRef { region, id })
}

fn cn_time() -> impl Strategy<Value = CnTime> {
    (0u32..=527_040, any::<u16>()).prop_map(|(m, ms)| CnTime {
        minute_of_year: m,
        millis_of_minute: ms,
    })
}

fn name() -> impl Strategy<Value = String> {
    "[ -~]{1,63}"
}

fn spat() -> impl Strategy<Value = Spat> {
    let state = (light(), prop::option::of(timing()))
        .prop_map(|(light, timing)| PhaseStateSi { light, timing });
    let phase = (any::<u8>(), prop::collection::vec(state, 1..=4))
        .prop_map(|(id, states)| SignalPhase { id, states });
    let inter = (
        node_ref(),
        any::<u16>(),
        prop::option::of(cn_time()),
        prop::collection::vec(phase, 1..=8),
    )
        .prop_map(|(id, status, time, phases)| IntersectionSignal {
            id,
            status: status & 0x3fff,
            time,
            phases,
        });
    (
        0u32..1000,
        prop::option::of(cn_time()),
        prop::option::of(name()),
        prop::collection::vec(inter, 1..=3),
    )
        .prop_map(|(msg_cnt, time, name, intersections)| Spat {
            msg_cnt,
            time,
            name,
            intersections,
        })
}

fn speed_limits() -> impl Strategy<Value = Vec<SpeedLimit>> {
    prop::collection::vec(
        (0u8..13, 0.0..170.0f64).prop_map(|(kind, speed_mps)| SpeedLimit { kind, speed_mps }),
        0..=3,
    )
}

fn points(r: GeoPoint) -> impl Strategy<Value = Vec<GeoPoint>> {
    prop_oneof![Just(vec![]), prop::collection::vec(near(r), 2..=6)]
}

fn lane(r: GeoPoint) -> impl Strategy<Value = MapLane> {
    let kind = (0u8..8, any::<u16>()).prop_map(|(k, m)| match k {
        0 => LaneKind::Vehicle(m & 0xff),
        1 => LaneKind::Crosswalk(m),
        2 => LaneKind::Bike(m),
        3 => LaneKind::Sidewalk(m),
        4 => LaneKind::Median(m),
        5 => LaneKind::Striping(m),
        6 => LaneKind::TrackedVehicle(m),
        _ => LaneKind::Parking(m),
    });
    let attrs = (prop::option::of(0u16..1024), kind)
        .prop_map(|(share_with, kind)| LaneAttributes { share_with, kind });
    let conn = (
        node_ref(),
        prop::option::of(any::<u8>()),
        prop::option::of(0u16..4096),
        prop::option::of(any::<u8>()),
    )
        .prop_map(|(remote_node, lane, maneuver, phase_id)| LaneConnection {
            remote_node,
            lane,
            // A manoeuvre is only carried with a connecting lane.
            maneuver: lane.and(maneuver),
            phase_id,
        });
    (
        any::<u8>(),
        opt_f(0.0, 400.0),
        prop::option::of(attrs),
        prop::option::of(0u16..4096),
        prop::collection::vec(conn, 0..=3),
        speed_limits(),
        points(r),
    )
        .prop_map(
            |(id, width_m, attributes, maneuvers, connects_to, speed_limits, points)| MapLane {
                id,
                width_m,
                attributes,
                maneuvers,
                connects_to,
                speed_limits,
                points,
            },
        )
}

fn map() -> impl Strategy<Value = Map> {
    let node = reference().prop_flat_map(|r| {
        let link = (
            prop::option::of(name()),
            node_ref(),
            speed_limits(),
            0.0..400.0f64,
            points(r),
            prop::collection::vec(
                (node_ref(), prop::option::of(any::<u8>())).prop_map(|(remote_node, phase_id)| {
                    Movement {
                        remote_node,
                        phase_id,
                    }
                }),
                0..=3,
            ),
            prop::collection::vec(lane(r), 1..=4),
        )
            .prop_map(
                |(name, upstream_node, speed_limits, width_m, points, movements, lanes)| MapLink {
                    name,
                    upstream_node,
                    speed_limits,
                    width_m,
                    points,
                    movements,
                    lanes,
                },
            );
        (
            prop::option::of(name()),
            node_ref(),
            prop::collection::vec(link, 0..=4),
        )
            .prop_map(move |(name, id, in_links)| MapNode {
                name,
                id,
                ref_pos: r,
                in_links,
            })
    });
    (
        0u32..1000,
        prop::option::of(0u32..=527_040),
        prop::collection::vec(node, 1..=2),
    )
        .prop_map(|(msg_cnt, minute_of_year, nodes)| Map {
            msg_cnt,
            minute_of_year,
            nodes,
        })
}

fn scope(r: GeoPoint) -> impl Strategy<Value = Scope> {
    let desc = prop_oneof![
        "[ -~]{1,80}".prop_map(Description::Text),
        prop::collection::vec(any::<u8>(), 2..=40).prop_map(Description::Gb2312),
    ];
    let time = (
        prop::option::of(0u32..=527_040),
        prop::option::of(0u32..=527_040),
        prop::option::of(0u8..40),
    )
        .prop_map(|(a, b, c)| ActiveTime {
            start_minute_of_year: a,
            end_minute_of_year: b,
            end_confidence_code: c,
        });
    let path = (prop::collection::vec(near(r), 2..=5), 0.0..6000.0f64)
        .prop_map(|(points, radius_m)| ReferencePath { points, radius_m });
    let link =
        (node_ref(), node_ref(), prop::option::of(any::<u16>())).prop_map(|(a, b, lanes)| {
            ReferenceLink {
                upstream_node: a,
                downstream_node: b,
                lanes,
            }
        });
    (
        prop::option::of(near(r)),
        prop::option::of(desc),
        prop::option::of(time),
        prop::option::of(0u8..8),
        prop::collection::vec(path, 0..=2),
        prop::collection::vec(link, 0..=2),
    )
        .prop_map(
            |(position, description, time, priority, paths, links)| Scope {
                position,
                description,
                time,
                priority,
                paths,
                links,
            },
        )
}

fn rsi() -> impl Strategy<Value = Rsi> {
    (
        reference(),
        0u32..1000,
        prop::option::of(0u32..=527_040),
        any::<[u8; 8]>(),
    )
        .prop_flat_map(|(r, msg_cnt, moy, id)| {
            let source = prop::sample::select(vec![
                EventSource::Unknown,
                EventSource::Police,
                EventSource::Government,
                EventSource::Meteorological,
                EventSource::Internet,
                EventSource::Detection,
            ]);
            let event = (
                any::<u8>(),
                any::<u16>(),
                source,
                opt_f(0.0, 7000.0),
                opt_f(0.0, 1.0),
                scope(r),
            )
                .prop_map(
                    |(id, event_type, source, radius_m, confidence, scope)| RoadEvent {
                        id,
                        event_type,
                        source,
                        radius_m,
                        confidence,
                        scope,
                    },
                );
            let sign =
                (any::<u8>(), any::<u16>(), scope(r)).prop_map(|(id, sign_type, scope)| RoadSign {
                    id,
                    sign_type,
                    scope,
                });
            (
                prop::collection::vec(event, 0..=3),
                prop::collection::vec(sign, 0..=3),
            )
                .prop_map(move |(events, signs)| Rsi {
                    msg_cnt,
                    minute_of_year: moy,
                    rsu_id: id,
                    ref_pos: r,
                    events,
                    signs,
                })
        })
}

fn sample<S: Strategy>(s: S, n: usize, seed: u8) -> Vec<S::Value> {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(Default::default(), &[seed; 32]),
    );
    (0..n)
        .map(|_| s.new_tree(&mut runner).expect("generator").current())
        .collect()
}

// --- edge cases -------------------------------------------------------------------------

fn full_participant(r: GeoPoint, i: u16, d_deg: f64) -> Participant {
    Participant {
        kind: ParticipantKind::Motor,
        ptc_id: i,
        source: Source::Fused,
        vehicle_id: Some([i as u8; 8]),
        time_of_minute_s: 59.999,
        position: GeoPoint::new(
            r.lat_deg + d_deg,
            r.lon_deg - d_deg,
            r.height_m.map(|h| h + 1.0),
        ),
        position_accuracy: PositionAccuracy {
            horizontal_m: Some(0.3),
            vertical_m: Some(0.5),
        },
        transmission: Some(Transmission::Forward),
        speed_mps: Some(13.89),
        yaw_rad: Some(1.0),
        steering_rad: Some(Some(0.1)),
        motion_accuracy: Some(MotionAccuracy {
            speed_mps: Some(0.3),
            heading_rad: Some(0.02),
            steering_rad: Some(0.01),
        }),
        accel: Some(Accel4Way {
            long_mps2: Some(-3.0),
            lat_mps2: Some(0.5),
            vert_mps2: Some(0.1),
            yaw_rate_radps: 0.2,
        }),
        size: Size {
            width_m: 1.8,
            length_m: 4.5,
            height_m: Some(1.5),
        },
        vehicle_class: Some(VehicleClass {
            basic: 10,
            fuel: Some(4),
        }),
    }
}

fn bare_participant(r: GeoPoint) -> Participant {
    Participant {
        kind: ParticipantKind::Pedestrian,
        ptc_id: 0,
        source: Source::Unknown,
        vehicle_id: None,
        time_of_minute_s: 0.0,
        position: r,
        position_accuracy: PositionAccuracy::default(),
        transmission: None,
        speed_mps: None,
        yaw_rad: None,
        steering_rad: None,
        motion_accuracy: None,
        accel: None,
        size: Size {
            width_m: 0.0,
            length_m: 0.0,
            height_m: None,
        },
        vehicle_class: None,
    }
}

fn edge_cases() -> Vec<(String, MessageFrame)> {
    let r = GeoPoint::new(31.2304, 121.4737, Some(12.0));
    let mut out = Vec::new();
    let mut push =
        |name: &str, m: CnMessage| out.push((name.to_string(), m.to_frame().expect(name)));
    // 16 participants, every optional field present, spread over every offset variant.
    let spreads = [1e-5, 5e-4, 2e-3, 1e-2, 0.1, 0.5, 2.0];
    push(
        "rsm-16-full",
        CnMessage::Rsm(Rsm {
            msg_cnt: 127,
            rsu_id: *b"RSU00001",
            ref_pos: r,
            participants: (0..16)
                .map(|i| full_participant(r, i, spreads[usize::from(i) % spreads.len()]))
                .collect(),
        }),
    );
    push(
        "rsm-1-bare",
        CnMessage::Rsm(Rsm {
            msg_cnt: 0,
            rsu_id: [0; 8],
            ref_pos: GeoPoint::new(r.lat_deg, r.lon_deg, None),
            participants: vec![bare_participant(r)],
        }),
    );
    // Saturation and unavailable values.
    let mut sat = full_participant(r, 9, 0.0);
    sat.speed_mps = Some(1000.0);
    sat.yaw_rad = Some(f64::NAN);
    sat.steering_rad = Some(None);
    sat.accel = Some(Accel4Way {
        long_mps2: Some(100.0),
        lat_mps2: Some(-100.0),
        vert_mps2: None,
        yaw_rate_radps: 100.0,
    });
    sat.size = Size {
        width_m: 100.0,
        length_m: 100.0,
        height_m: Some(100.0),
    };
    sat.position.height_m = Some(10_000.0);
    sat.position_accuracy = PositionAccuracy {
        horizontal_m: Some(1e6),
        vertical_m: None,
    };
    push(
        "rsm-saturated",
        CnMessage::Rsm(Rsm {
            msg_cnt: 5,
            rsu_id: [0xff; 8],
            ref_pos: GeoPoint::new(89.9, 179.99, Some(-1000.0)),
            participants: vec![sat],
        }),
    );
    push(
        "spat-8-phases",
        CnMessage::Spat(Spat {
            msg_cnt: 1,
            time: Some(CnTime {
                minute_of_year: 527_040,
                millis_of_minute: 60_999,
            }),
            name: Some("Main St & 1st Ave".into()),
            intersections: vec![IntersectionSignal {
                id: NodeRef {
                    region: Some(0),
                    id: 42,
                },
                status: roadsight::v2x::cn::spat::status::FIXED_TIME,
                time: None,
                phases: (1..=8)
                    .map(|id| SignalPhase {
                        id,
                        states: vec![
                            PhaseStateSi {
                                light: Light::ProtectedGreen,
                                timing: Some(PhaseTiming::Countdown {
                                    start_s: Some(0.0),
                                    min_end_s: Some(5.0),
                                    max_end_s: Some(30.0),
                                    likely_end_s: Some(12.3),
                                    confidence: Some(0.9),
                                    next_start_s: Some(95.0),
                                    next_duration_s: Some(25.0),
                                }),
                            },
                            PhaseStateSi {
                                light: Light::Yellow,
                                timing: None,
                            },
                        ],
                    })
                    .collect(),
            }],
        }),
    );
    let lane = |id: u8| MapLane {
        id,
        width_m: Some(3.5),
        attributes: Some(LaneAttributes {
            share_with: Some(0),
            kind: LaneKind::Vehicle(0),
        }),
        maneuvers: Some(0b101),
        connects_to: vec![LaneConnection {
            remote_node: NodeRef {
                region: None,
                id: 43,
            },
            lane: Some(id + 10),
            maneuver: Some(1),
            phase_id: Some(id),
        }],
        speed_limits: vec![SpeedLimit {
            kind: 5,
            speed_mps: 16.67,
        }],
        points: (0..31)
            .map(|k| {
                GeoPoint::new(
                    r.lat_deg + f64::from(k) * 1e-5,
                    r.lon_deg + f64::from(id) * 1e-4,
                    None,
                )
            })
            .collect(),
    };
    push(
        "map-4-approaches",
        CnMessage::Map(Map {
            msg_cnt: 3,
            minute_of_year: Some(12_345),
            nodes: vec![MapNode {
                name: Some("X".into()),
                id: NodeRef {
                    region: Some(1),
                    id: 42,
                },
                ref_pos: r,
                in_links: (0..4)
                    .map(|a| MapLink {
                        name: None,
                        upstream_node: NodeRef {
                            region: Some(1),
                            id: 100 + a,
                        },
                        speed_limits: vec![],
                        width_m: 10.5,
                        points: vec![],
                        movements: vec![Movement {
                            remote_node: NodeRef {
                                region: None,
                                id: 7,
                            },
                            phase_id: Some(2),
                        }],
                        lanes: (1..=3).map(|l| lane(l + 3 * a as u8)).collect(),
                    })
                    .collect(),
            }],
        }),
    );
    push(
        "rsi-full",
        CnMessage::Rsi(Rsi {
            msg_cnt: 9,
            minute_of_year: Some(0),
            rsu_id: *b"RSU00001",
            ref_pos: r,
            events: (0..8)
                .map(|i| RoadEvent {
                    id: i,
                    event_type: 401,
                    source: EventSource::Detection,
                    radius_m: Some(50.0),
                    confidence: Some(1.0),
                    scope: Scope {
                        position: Some(GeoPoint::new(r.lat_deg + 1e-4, r.lon_deg, None)),
                        description: Some(Description::Text("x".repeat(512))),
                        time: Some(ActiveTime {
                            start_minute_of_year: Some(1),
                            end_minute_of_year: Some(527_040),
                            end_confidence_code: Some(39),
                        }),
                        priority: Some(7),
                        paths: vec![ReferencePath {
                            points: (0..32)
                                .map(|k| {
                                    GeoPoint::new(r.lat_deg - f64::from(k) * 1e-5, r.lon_deg, None)
                                })
                                .collect(),
                            radius_m: 6553.5,
                        }],
                        links: vec![],
                    },
                })
                .collect(),
            signs: (0..16)
                .map(|i| RoadSign {
                    id: i,
                    sign_type: 38,
                    scope: Scope {
                        description: Some(Description::Gb2312(vec![0xb5, 0xc0, 0xc2, 0xb7])),
                        links: vec![ReferenceLink {
                            upstream_node: NodeRef {
                                region: None,
                                id: 1,
                            },
                            downstream_node: NodeRef {
                                region: Some(2),
                                id: 3,
                            },
                            lanes: Some(0b110),
                        }],
                        ..Scope::default()
                    },
                })
                .collect(),
        }),
    );
    push(
        "bsm-minimal",
        CnMessage::Bsm(Box::new(Bsm {
            msg_cnt: 0,
            vehicle_id: *b"ABCDEFGH",
            time_of_minute_s: 0.0,
            position: GeoPoint::new(-90.0, -180.0, None),
            error_ellipse: None,
            position_accuracy: None,
            transmission: Transmission::Unavailable,
            speed_mps: None,
            yaw_rad: None,
            steering_rad: None,
            motion_accuracy: None,
            accel: Accel4Way::default(),
            brakes: Brakes::default(),
            size: Size {
                width_m: 1.8,
                length_m: 4.6,
                height_m: None,
            },
            vehicle_class: VehicleClass {
                basic: 10,
                fuel: None,
            },
            event_flags: None,
            exterior_lights: None,
        })),
    );
    out
}

// --- the checks -------------------------------------------------------------------------

/// Encodes every frame here, has asn1tools decode it and compare it field by field with our
/// own JER of the same value, and asserts that none differs.
/// The output lines of `asn1_interop.py check` that are not `"ok": true`.
fn not_ok(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| serde_json::from_str::<Value>(l).map_or(true, |v| v["ok"] != json!(true)))
        .map(str::to_string)
        .collect()
}

fn check_with_asn1tools(frames: &[(String, MessageFrame)]) {
    let mut input = String::new();
    for (id, f) in frames {
        let bytes = encode_frame(f).unwrap_or_else(|e| panic!("{id}: {e}"));
        let jer: Value = serde_json::from_str(&roadsight_asn1::rasn::jer::encode(f).expect("jer"))
            .expect("json");
        input.push_str(
            &json!({"id": id, "type": "MessageFrame", "uper": hex(&bytes), "jer": jer}).to_string(),
        );
        input.push('\n');
    }
    let (code, out, err) = run_tool(
        "asn1_interop.py",
        &["check", "--require-bytes-equal"],
        &input,
    );
    let failures = not_ok(&out);
    assert!(
        code == 0 && failures.is_empty() && out.lines().count() == frames.len(),
        "asn1tools disagrees (exit {code}) on {} of {} messages:\n{}\n{err}",
        failures.len(),
        frames.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn frames<T>(
    name: &str,
    values: Vec<T>,
    f: impl Fn(T) -> CnMessage,
) -> Vec<(String, MessageFrame)> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let m = f(v);
            (
                format!("{name}-{i}"),
                m.to_frame().unwrap_or_else(|e| panic!("{name}-{i}: {e}")),
            )
        })
        .collect()
}

#[test]
fn rust_encodes_asn1tools_decodes_every_field() {
    let mut all = edge_cases();
    all.extend(frames("rsm", sample(rsm(), 220, 1), CnMessage::Rsm));
    all.extend(frames("bsm", sample(bsm(), 220, 2), |b| {
        CnMessage::Bsm(Box::new(b))
    }));
    all.extend(frames("spat", sample(spat(), 220, 3), CnMessage::Spat));
    all.extend(frames("map", sample(map(), 220, 4), CnMessage::Map));
    all.extend(frames("rsi", sample(rsi(), 220, 5), CnMessage::Rsi));
    check_with_asn1tools(&all);
}

#[test]
fn asn1tools_encodes_rust_decodes_every_field() {
    let (code, out, err) = run_tool(
        "asn1_interop.py",
        &[
            "gen",
            "--type",
            "MessageFrame",
            "--count",
            "1000",
            "--seed",
            "7",
        ],
        "",
    );
    assert_eq!(code, 0, "gen failed: {err}");
    let (code2, edge, err2) = run_tool(
        "asn1_interop.py",
        &[
            "gen",
            "--type",
            "MessageFrame",
            "--count",
            "200",
            "--seed",
            "8",
            "--edge",
        ],
        "",
    );
    assert_eq!(code2, 0, "gen --edge failed: {err2}");
    let mut back = String::new();
    let mut kinds = std::collections::BTreeMap::new();
    let mut n = 0;
    for line in out.lines().chain(edge.lines()) {
        let rec: Value = serde_json::from_str(line).expect("gen line");
        let bytes = unhex(rec["uper"].as_str().expect("uper"));
        let frame = decode_frame(&bytes).unwrap_or_else(|e| panic!("record {}: {e}", rec["id"]));
        *kinds
            .entry(roadsight::v2x::cn::frame_kind(&frame))
            .or_insert(0) += 1;
        // Our own encoding of what we decoded must give the same bytes back.
        assert_eq!(
            encode_frame(&frame).expect("re-encode"),
            bytes,
            "record {}",
            rec["id"]
        );
        // And the SI view must read every message without trouble.
        assert!(CnMessage::from_frame(&frame).is_some());
        let jer: Value =
            serde_json::from_str(&roadsight_asn1::rasn::jer::encode(&frame).expect("jer"))
                .expect("json");
        back.push_str(
            &json!({"id": n, "type": "MessageFrame", "uper": rec["uper"], "jer": jer}).to_string(),
        );
        back.push('\n');
        n += 1;
    }
    assert_eq!(n, 1200);
    assert_eq!(kinds.len(), 5, "every message type generated: {kinds:?}");
    let (code, out, err) = run_tool(
        "asn1_interop.py",
        &["check", "--require-bytes-equal"],
        &back,
    );
    let bad = not_ok(&out);
    assert!(
        code == 0 && bad.is_empty() && out.lines().count() == n,
        "field differences:\n{}\n{err}",
        bad.join("\n")
    );
}

/// Turns on the extension bit of the RSM in a frame and appends one unknown extension
/// addition, as a message from a later edition would carry.
fn with_unknown_rsm_extension(bytes: &[u8], root_bits: usize) -> Vec<u8> {
    let mut bits: Vec<bool> = bytes
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| b >> i & 1 == 1))
        .collect();
    bits.truncate(root_bits);
    // Frame: extension bit (1) + choice index (3 bits); then the RSM's own extension bit.
    bits[4] = true;
    // Extension bitmap length n-1 = 0 as a normally small number, one bit set, then the
    // addition as an open type: length 2, two bytes.
    bits.extend([false; 7]);
    bits.push(true);
    for byte in [2u8, 0xab, 0xcd] {
        bits.extend((0..8).rev().map(|i| byte >> i & 1 == 1));
    }
    bits.chunks(8)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(0u8, |a, (i, &b)| a | (u8::from(b) << (7 - i)))
        })
        .collect()
}

#[test]
fn extension_additions_from_a_newer_edition() {
    let (_, frame) = edge_cases()
        .into_iter()
        .find(|(n, _)| n == "rsm-1-bare")
        .expect("case");
    let bytes = encode_frame(&frame).expect("encode");
    // The root encoding's exact length in bits: decode reports trailing padding only.
    let root_bits = (bytes.len() - 1) * 8 + 1;
    let mut best = None;
    for bits in (root_bits..=bytes.len() * 8).rev() {
        let ext = with_unknown_rsm_extension(&bytes, bits);
        if let Ok(f) = decode_frame(&ext) {
            best = Some((ext, f));
            break;
        }
    }
    let (ext, decoded) = best.expect("an RSM with an unknown extension addition decodes");
    assert_eq!(decoded, frame, "the root fields are unchanged");
    // asn1tools agrees on the root fields.
    let jer: Value =
        serde_json::from_str(&roadsight_asn1::rasn::jer::encode(&decoded).expect("jer"))
            .expect("json");
    let line =
        json!({"id": "ext", "type": "MessageFrame", "uper": hex(&ext), "jer": jer}).to_string();
    let (code, out, err) = run_tool("asn1_interop.py", &["check"], &line);
    assert!(
        code == 0 && not_ok(&out).is_empty() && out.lines().count() == 1,
        "{out}\n{err}"
    );

    // A MessageFrame alternative from a newer edition: extension bit set, unknown index.
    let unknown = [0b1000_0010, 0x02, 0xab, 0xcd];
    let e = decode_frame(&unknown).expect_err("unknown alternative");
    assert!(e.to_string().starts_with("MessageFrame"), "{e}");
    assert!(roadsight::v2x::cn::decode_named("MessageFrame", &unknown).is_err());
}

#[test]
fn the_cross_check_sees_a_wrong_field() {
    // The comparison must be able to fail: a JER that differs in one deep field is reported
    // with that field's path.
    let (_, frame) = edge_cases()
        .into_iter()
        .find(|(n, _)| n == "rsm-16-full")
        .expect("case");
    let bytes = encode_frame(&frame).expect("encode");
    let mut jer: Value =
        serde_json::from_str(&roadsight_asn1::rasn::jer::encode(&frame).expect("jer"))
            .expect("json");
    let speed = &mut jer["rsmFrame"]["participants"][3]["speed"];
    *speed = json!(speed.as_i64().expect("speed") + 1);
    let line = json!({"id": "mutated", "type": "MessageFrame", "uper": hex(&bytes), "jer": jer})
        .to_string();
    let (code, out, _) = run_tool("asn1_interop.py", &["check"], &line);
    assert_ne!(code, 0);
    assert!(out.contains("rsmFrame.participants[3].speed"), "{out}");
}

/// SI → message → bytes → message → SI loses no more than the standard's resolution.
#[test]
fn si_round_trip_within_resolution() {
    for (i, m) in sample(rsm(), 300, 11).into_iter().enumerate() {
        let bytes = CnMessage::Rsm(m.clone()).encode().expect("encode");
        let frame = decode_frame(&bytes).expect("decode");
        let Some(CnMessage::Rsm(back)) = CnMessage::from_frame(&frame) else {
            panic!("case {i}: not an RSM")
        };
        assert_eq!(back.participants.len(), m.participants.len());
        for (p, q) in m.participants.iter().zip(&back.participants) {
            let ctx = format!("case {i}, participant {}", p.ptc_id);
            assert!(
                (p.position.lat_deg - q.position.lat_deg).abs() <= 0.51e-7,
                "{ctx}: lat"
            );
            let dlon = (p.position.lon_deg - q.position.lon_deg + 540.0).rem_euclid(360.0) - 180.0;
            assert!(
                dlon.abs() <= 0.51e-7,
                "{ctx}: lon {} {}",
                p.position.lon_deg,
                q.position.lon_deg
            );
            match (p.speed_mps, q.speed_mps) {
                (Some(a), Some(b)) => {
                    assert!((a.min(163.8) - b).abs() <= 0.0101, "{ctx}: speed {a} {b}")
                }
                (None, None) => {}
                other => panic!("{ctx}: speed {other:?}"),
            }
            match (p.yaw_rad, q.yaw_rad) {
                (Some(a), Some(b)) => {
                    let d = roadsight::geo::wrap_pi(a - b).abs().to_degrees();
                    assert!(d <= 0.00626, "{ctx}: yaw off by {d}°");
                }
                (None, None) => {}
                other => panic!("{ctx}: yaw {other:?}"),
            }
            assert!(
                (p.size.length_m.min(40.95) - q.size.length_m).abs() <= 0.0051,
                "{ctx}: length"
            );
            assert_eq!(p.kind, q.kind, "{ctx}");
            assert_eq!(p.source, q.source, "{ctx}");
            assert_eq!(p.vehicle_id, q.vehicle_id, "{ctx}");
            assert!(
                (p.time_of_minute_s - q.time_of_minute_s).abs() <= 0.0005 + 1e-9,
                "{ctx}: time"
            );
        }
        // The quantised SI values are a fixed point: building them again gives the same bytes.
        assert_eq!(
            CnMessage::Rsm(back).encode().expect("re-encode"),
            bytes,
            "case {i}"
        );
    }
}
