//! UPER encode and decode of the CN messages a site sends most: an RSM with 16
//! participants, a SPAT with 8 phases, a MAP with 4 approaches, and a BSM; and the ETSI
//! MAPEM of the bundled default scenario's map.
//!
//! Also writes the encoded messages to `target/bench-cn-messages.jsonl`, so that
//! `tools/bench-codec.sh` can time the very same values with asn1tools.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use roadsight::geo::GeoPoint;
use roadsight::v2x::cn::bsm::{Brakes, Bsm};
use roadsight::v2x::cn::common::{
    Accel4Way, MotionAccuracy, NodeRef, PositionAccuracy, Size, Transmission, VehicleClass,
};
use roadsight::v2x::cn::map::{
    maneuver, LaneAttributes, LaneConnection, LaneKind, Map, MapLane, MapLink, MapNode, SpeedLimit,
};
use roadsight::v2x::cn::rsm::{Participant, ParticipantKind, Rsm, Source};
use roadsight::v2x::cn::spat::{
    status, CnTime, IntersectionSignal, Light, PhaseStateSi, PhaseTiming, SignalPhase, Spat,
};
use roadsight::v2x::cn::{decode_frame, encode_frame, CnMessage, MessageFrame};
use std::hint::black_box;

const SITE: GeoPoint = GeoPoint {
    lat_deg: 31.2304,
    lon_deg: 121.4737,
    height_m: Some(12.0),
};

fn rsm16() -> CnMessage {
    CnMessage::Rsm(Rsm {
        msg_cnt: 1,
        rsu_id: *b"RSU00001",
        ref_pos: SITE,
        participants: (0..16)
            .map(|i| Participant {
                kind: if i % 5 == 4 {
                    ParticipantKind::Pedestrian
                } else {
                    ParticipantKind::Motor
                },
                ptc_id: 100 + i,
                source: Source::Fused,
                vehicle_id: None,
                time_of_minute_s: 12.3,
                position: GeoPoint::new(
                    SITE.lat_deg + f64::from(i) * 2e-5,
                    SITE.lon_deg - f64::from(i) * 3e-5,
                    Some(12.5),
                ),
                position_accuracy: PositionAccuracy {
                    horizontal_m: Some(0.5),
                    vertical_m: None,
                },
                transmission: None,
                speed_mps: Some(8.0 + f64::from(i)),
                yaw_rad: Some(f64::from(i) * 0.3),
                steering_rad: None,
                motion_accuracy: Some(MotionAccuracy {
                    speed_mps: Some(0.5),
                    heading_rad: Some(0.05),
                    steering_rad: None,
                }),
                accel: Some(Accel4Way {
                    long_mps2: Some(0.5),
                    lat_mps2: Some(0.0),
                    vert_mps2: None,
                    yaw_rate_radps: 0.0,
                }),
                size: Size {
                    width_m: 1.8,
                    length_m: 4.6,
                    height_m: Some(1.5),
                },
                vehicle_class: Some(VehicleClass {
                    basic: 10,
                    fuel: None,
                }),
            })
            .collect(),
    })
}

fn spat8() -> CnMessage {
    CnMessage::Spat(Spat {
        msg_cnt: 1,
        time: Some(CnTime {
            minute_of_year: 470_000,
            millis_of_minute: 12_300,
        }),
        name: None,
        intersections: vec![IntersectionSignal {
            id: NodeRef {
                region: Some(1),
                id: 42,
            },
            status: status::FIXED_TIME,
            time: None,
            phases: (1..=8)
                .map(|id| SignalPhase {
                    id,
                    states: vec![
                        PhaseStateSi {
                            light: if id % 2 == 0 {
                                Light::ProtectedGreen
                            } else {
                                Light::Red
                            },
                            timing: Some(PhaseTiming::Countdown {
                                start_s: Some(0.0),
                                min_end_s: Some(5.0),
                                max_end_s: Some(40.0),
                                likely_end_s: Some(17.5),
                                confidence: Some(0.9),
                                next_start_s: None,
                                next_duration_s: None,
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
    })
}

fn map4() -> CnMessage {
    let approach = |a: u16| {
        let (dx, dy) = [(0.0, 1.0), (1.0, 0.0), (0.0, -1.0), (-1.0, 0.0)][usize::from(a)];
        let deg = |m: f64| m / 111_000.0;
        MapLink {
            name: None,
            upstream_node: NodeRef {
                region: Some(1),
                id: 100 + a,
            },
            speed_limits: vec![SpeedLimit {
                kind: SpeedLimit::VEHICLE_MAX,
                speed_mps: 16.67,
            }],
            width_m: 10.5,
            points: vec![],
            movements: vec![],
            lanes: (1..=3u8)
                .map(|l| MapLane {
                    id: l + 3 * a as u8,
                    width_m: Some(3.5),
                    attributes: Some(LaneAttributes {
                        share_with: None,
                        kind: LaneKind::Vehicle(0),
                    }),
                    maneuvers: Some(
                        [
                            maneuver::LEFT,
                            maneuver::STRAIGHT,
                            maneuver::STRAIGHT | maneuver::RIGHT,
                        ][usize::from(l - 1)],
                    ),
                    connects_to: vec![LaneConnection {
                        remote_node: NodeRef {
                            region: Some(1),
                            id: 100 + (a + 2) % 4,
                        },
                        lane: Some(l),
                        maneuver: None,
                        phase_id: Some(1 + a as u8),
                    }],
                    speed_limits: vec![],
                    points: (0..4)
                        .map(|k| {
                            let d = 80.0 - 20.0 * f64::from(k);
                            let off = 1.75 + 3.5 * f64::from(l - 1);
                            GeoPoint::new(
                                SITE.lat_deg + deg(dy * d - dx * off),
                                SITE.lon_deg + deg(dx * d + dy * off),
                                None,
                            )
                        })
                        .collect(),
                })
                .collect(),
        }
    };
    CnMessage::Map(Map {
        msg_cnt: 1,
        minute_of_year: Some(470_000),
        nodes: vec![MapNode {
            name: Some("Roadsight demo".into()),
            id: NodeRef {
                region: Some(1),
                id: 42,
            },
            ref_pos: SITE,
            in_links: (0..4).map(approach).collect(),
        }],
    })
}

fn bsm() -> CnMessage {
    CnMessage::Bsm(Box::new(Bsm {
        msg_cnt: 1,
        vehicle_id: *b"VEH00001",
        time_of_minute_s: 12.3,
        position: SITE,
        error_ellipse: None,
        position_accuracy: Some(PositionAccuracy {
            horizontal_m: Some(1.0),
            vertical_m: Some(2.0),
        }),
        transmission: Transmission::Forward,
        speed_mps: Some(13.9),
        yaw_rad: Some(0.3),
        steering_rad: Some(Some(0.02)),
        motion_accuracy: None,
        accel: Accel4Way {
            long_mps2: Some(0.3),
            lat_mps2: Some(0.1),
            vert_mps2: None,
            yaw_rate_radps: 0.01,
        },
        brakes: Brakes {
            pedal_on: Some(false),
            wheel_brakes: None,
        },
        size: Size {
            width_m: 1.8,
            length_m: 4.6,
            height_m: Some(1.5),
        },
        vehicle_class: VehicleClass {
            basic: 10,
            fuel: Some(1),
        },
        event_flags: None,
        exterior_lights: None,
    }))
}

fn bench(c: &mut Criterion) {
    let cases: Vec<(&str, MessageFrame)> = [
        ("rsm16", rsm16()),
        ("spat8", spat8()),
        ("map4", map4()),
        ("bsm", bsm()),
    ]
    .into_iter()
    .map(|(n, m)| (n, m.to_frame().expect("sample builds")))
    .collect();
    let mut listing = String::new();
    for (name, f) in &cases {
        let bytes = encode_frame(f).expect("encode");
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        listing.push_str(&format!(
            "{{\"name\":\"{name}\",\"type\":\"MessageFrame\",\"uper\":\"{hex}\"}}\n"
        ));
    }
    let out =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-cn-messages.jsonl");
    std::fs::write(&out, listing).expect("write message listing");

    let mut g = c.benchmark_group("cn_uper");
    for (name, f) in &cases {
        let bytes = encode_frame(f).expect("encode");
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_with_input(BenchmarkId::new("encode", name), f, |b, f| {
            b.iter(|| encode_frame(black_box(f)))
        });
        g.bench_with_input(BenchmarkId::new("decode", name), &bytes, |b, bytes| {
            b.iter(|| decode_frame(black_box(bytes)))
        });
    }
    g.finish();

    // A damaged message: rasn's decode fails, then the locating decoder says where.
    let mut g = c.benchmark_group("cn_uper_error");
    let rsm = encode_frame(&cases[0].1).expect("encode");
    let cut = &rsm[..rsm.len() - 4];
    g.bench_function("rasn_decode/rsm16_truncated", |b| {
        b.iter(|| roadsight_asn1::rasn::uper::decode::<MessageFrame>(black_box(cut)).is_err())
    });
    g.bench_function("located_decode/rsm16_truncated", |b| {
        b.iter(|| decode_frame(black_box(cut)).is_err())
    });
    g.finish();
}

/// MAPEM (ETSI TS 103 301) of the bundled default scenario's map: 16 lanes, 2 nodes each.
fn bench_mapem(c: &mut Criterion) {
    use roadsight::pipeline::PipelineConfig;
    use roadsight::scenario::Scenario;
    use roadsight::v2x::etsi::{decode_mapem, encode_mapem, mapem::mapem};
    let s = Scenario::default_scenario().expect("default scenario");
    let cfg = PipelineConfig::from_scenario(&s, s.start());
    let m = mapem(&cfg.site, 4242, &cfg.map, s.start(), 1).expect("MAPEM");
    let bytes = encode_mapem(&m).expect("encode");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let out =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-etsi-messages.jsonl");
    std::fs::write(
        &out,
        format!("{{\"name\":\"mapem16\",\"type\":\"MAPEM\",\"uper\":\"{hex}\"}}\n"),
    )
    .expect("write message listing");
    let mut g = c.benchmark_group("etsi_uper");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function(BenchmarkId::new("encode", "mapem16"), |b| {
        b.iter(|| encode_mapem(black_box(&m)))
    });
    g.bench_function(BenchmarkId::new("decode", "mapem16"), |b| {
        b.iter(|| decode_mapem(black_box(&bytes)))
    });
    // From the site map: the conversion to ISO TS 19091 values, without encoding.
    g.bench_function(BenchmarkId::new("build", "mapem16"), |b| {
        b.iter(|| mapem(&cfg.site, 4242, black_box(&cfg.map), s.start(), 1))
    });
    g.finish();
}

criterion_group!(benches, bench, bench_mapem);
criterion_main!(benches);
