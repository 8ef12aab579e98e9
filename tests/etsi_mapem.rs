//! MAPEM (ETSI TS 103 301 / ISO TS 19091) from the bundled scenarios' maps, read back by two
//! decoders that share no code with ours: Python asn1tools and Wireshark's ITS dissector
//! (tshark, Debian's package). What each one reads is compared with the site map itself:
//! lanes, approaches, directions, node positions to the centimetre, widths, connections and
//! signal groups.

mod common;

use common::repo;
use roadsight::map::SiteMap;
use roadsight::pipeline::PipelineConfig;
use roadsight::scenario::{LaneDirection, Maneuver, Scenario};
use roadsight::v2x::cn::compose::SiteIdentity;
use roadsight::v2x::etsi::mapem::{mapem, revision_of};
use roadsight::v2x::etsi::{decode_mapem, encode_mapem};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

const STATION: u32 = 3_000_000_123;

/// One lane as a decoder read it (or as the site map says it must be).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct LaneView {
    id: u64,
    ingress_approach: Option<u64>,
    egress_approach: Option<u64>,
    /// `directionalUse` as (ingress, egress).
    direction: (bool, bool),
    crosswalk: bool,
    /// Node positions in cm east and north of the reference point, first node first.
    nodes_cm: Vec<[i64; 2]>,
    width_cm: i64,
    /// The vehicle speed limit in force, in 0.02 m/s (a crosswalk has none).
    speed_limit: Option<i64>,
    /// (connecting lane, signal group), sorted.
    connections: Vec<(u64, Option<u64>)>,
}

fn scenarios() -> Vec<(String, Scenario)> {
    let mut v = vec![(
        "default".to_string(),
        Scenario::default_scenario().expect("default scenario"),
    )];
    let mut paths: Vec<_> = std::fs::read_dir(repo().join("scenarios/hazards"))
        .expect("scenarios/hazards")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.push(repo().join("scenarios/sumo/grid.toml"));
    paths.sort();
    for p in paths {
        let s = Scenario::load(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        v.push((p.display().to_string(), s));
    }
    v
}

/// What the site map says each lane of the MAPEM must be.
fn expected(site: &SiteIdentity, m: &SiteMap) -> Vec<LaneView> {
    let approaches = m.approaches();
    let approach = |a: &str| {
        approaches
            .iter()
            .position(|x| *x == a)
            .map(|i| i as u64 + 1)
    };
    let cm = |p: &[f64; 2]| [(p[0] * 100.0).round() as i64, (p[1] * 100.0).round() as i64];
    let _ = site;
    let limit = |v: f64| (v / 0.02).round() as i64;
    // A lane without a limit of its own has the intersection's, the commonest one.
    let mut limits: Vec<i64> = m
        .lanes
        .iter()
        .filter_map(|l| l.speed_limit_mps)
        .map(limit)
        .collect();
    limits.sort();
    let commonest = limits
        .chunk_by(|a, b| a == b)
        .max_by(|a, b| a.len().cmp(&b.len()).then(b[0].cmp(&a[0])))
        .map(|r| r[0]);
    let mut v: Vec<LaneView> = m
        .lanes
        .iter()
        .map(|l| {
            let ingress = l.direction == LaneDirection::Ingress;
            let mut nodes: Vec<[i64; 2]> = l.centreline.iter().map(cm).collect();
            if ingress {
                nodes.reverse();
            }
            let mut connections: Vec<(u64, Option<u64>)> = m
                .connections_from(l.id)
                .map(|c| (u64::from(c.to), c.signal_group.map(u64::from)))
                .collect();
            connections.sort();
            LaneView {
                id: u64::from(l.id),
                ingress_approach: approach(&l.approach).filter(|_| ingress),
                egress_approach: approach(&l.approach).filter(|_| !ingress),
                direction: (ingress, !ingress),
                crosswalk: false,
                nodes_cm: nodes,
                width_cm: (l.width_m * 100.0).round() as i64,
                speed_limit: l.speed_limit_mps.map(limit).or(commonest),
                connections,
            }
        })
        .collect();
    v.extend(m.crosswalks.iter().map(|c| {
        LaneView {
            id: u64::from(c.id),
            ingress_approach: approach(&c.approach),
            egress_approach: approach(&c.approach),
            direction: (true, true),
            crosswalk: true,
            nodes_cm: c.centreline.iter().map(cm).collect(),
            width_cm: (c.width_m * 100.0).round() as i64,
            speed_limit: None,
            connections: c
                .signal_group
                .map(|g| (u64::from(c.id), Some(u64::from(g))))
                .into_iter()
                .collect(),
        }
    }));
    v.sort();
    v
}

fn num(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// The lanes as asn1tools decoded them (its JER view of the UPER).
fn lanes_from_asn1tools(v: &Value) -> Vec<LaneView> {
    let g = &v["map"]["intersections"][0];
    let default_width = num(&g["laneWidth"]).expect("laneWidth");
    let default_limit = num(&g["speedLimits"][0]["speed"]);
    let mut out: Vec<LaneView> = g["laneSet"]
        .as_array()
        .expect("laneSet")
        .iter()
        .map(|l| {
            let mut at = [0_i64; 2];
            let mut width = default_width;
            let crosswalk = l["laneAttributes"]["laneType"].get("crosswalk").is_some();
            let own_limit =
                num(&l["nodeList"]["nodes"][0]["attributes"]["data"][0]["speedLimits"][0]["speed"]);
            let nodes = l["nodeList"]["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let delta = n["delta"].as_object().expect("delta");
                    let (form, xy) = delta.iter().next().expect("a node form");
                    assert!(form.starts_with("node-XY"), "node form {form}");
                    at = [
                        at[0] + num(&xy["x"]).expect("x"),
                        at[1] + num(&xy["y"]).expect("y"),
                    ];
                    if i == 0 {
                        width += num(&n["attributes"]["dWidth"]).unwrap_or(0);
                    }
                    at
                })
                .collect();
            let dir = l["laneAttributes"]["directionalUse"]
                .as_str()
                .expect("directionalUse");
            let dir = u8::from_str_radix(dir, 16).expect("hex bits");
            let mut connections: Vec<(u64, Option<u64>)> = l["connectsTo"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|c| {
                            (
                                c["connectingLane"]["lane"].as_u64().expect("lane"),
                                c["signalGroup"].as_u64(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            connections.sort();
            LaneView {
                id: l["laneID"].as_u64().expect("laneID"),
                ingress_approach: l["ingressApproach"].as_u64(),
                egress_approach: l["egressApproach"].as_u64(),
                direction: (dir & 0x80 != 0, dir & 0x40 != 0),
                crosswalk,
                nodes_cm: nodes,
                width_cm: width,
                speed_limit: own_limit.or(default_limit).filter(|_| !crosswalk),
                connections,
            }
        })
        .collect();
    out.sort();
    out
}

/// Every value under `key` in `v`, depth first, in document order (tshark's JSON nests a
/// field under the tree of the element that holds it; `--no-duplicate-keys` makes repeated
/// fields arrays).
fn all<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                if k == key {
                    match x {
                        Value::Array(a) => out.extend(a.iter()),
                        x => out.push(x),
                    }
                } else {
                    all(x, key, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| all(x, key, out)),
        _ => {}
    }
}

fn values(v: &Value, key: &str) -> Vec<i64> {
    let mut out = Vec::new();
    all(v, key, &mut out);
    out.into_iter().filter_map(num).collect()
}

/// The lanes as Wireshark's DSRC dissector read them.
fn lanes_from_tshark(its: &Value) -> Vec<LaneView> {
    let g = &its["dsrc.MapData_element"]["dsrc.intersections_tree"]["Item 0"]
        ["dsrc.IntersectionGeometry_element"];
    let default_width = num(&g["dsrc.laneWidth"]).expect("laneWidth");
    let default_limit = values(&g["dsrc.speedLimits_tree"], "dsrc.speed")
        .first()
        .copied();
    let set = g["dsrc.laneSet_tree"].as_object().expect("laneSet");
    let mut out: Vec<LaneView> = set
        .values()
        .map(|item| {
            let l = &item["dsrc.GenericLane_element"];
            let nodes = &l["dsrc.nodeList_tree"];
            let (xs, ys) = (values(nodes, "dsrc.x"), values(nodes, "dsrc.y"));
            assert_eq!(xs.len(), ys.len());
            let mut at = [0_i64; 2];
            let nodes_cm = xs
                .iter()
                .zip(&ys)
                .map(|(x, y)| {
                    at = [at[0] + x, at[1] + y];
                    at
                })
                .collect();
            let attrs = &l["dsrc.laneAttributes_element"];
            let conn = &l["dsrc.connectsTo_tree"];
            let mut connections: Vec<(u64, Option<u64>)> = conn
                .as_object()
                .map(|o| {
                    o.values()
                        .map(|c| {
                            let lane = values(c, "dsrc.lane");
                            let sg = values(c, "dsrc.signalGroup");
                            (lane[0] as u64, sg.first().map(|&g| g as u64))
                        })
                        .collect()
                })
                .unwrap_or_default();
            connections.sort();
            let flag = |k: &str| num(&attrs["dsrc.directionalUse_tree"][k]) == Some(1);
            LaneView {
                id: num(&l["dsrc.laneID"]).expect("laneID") as u64,
                ingress_approach: num(&l["dsrc.ingressApproach"]).map(|x| x as u64),
                egress_approach: num(&l["dsrc.egressApproach"]).map(|x| x as u64),
                direction: (
                    flag("dsrc.LaneDirection.ingressPath"),
                    flag("dsrc.LaneDirection.egressPath"),
                ),
                crosswalk: values(attrs, "dsrc.laneType") == [1],
                nodes_cm,
                width_cm: default_width + values(nodes, "dsrc.dWidth").first().unwrap_or(&0),
                speed_limit: values(nodes, "dsrc.speed")
                    .first()
                    .copied()
                    .or(default_limit)
                    .filter(|_| values(attrs, "dsrc.laneType") != [1]),
                connections,
            }
        })
        .collect();
    out.sort();
    out
}

fn build(s: &Scenario) -> (PipelineConfig, Vec<u8>) {
    let cfg = PipelineConfig::from_scenario(s, s.start());
    let rev = revision_of(&cfg.site, &cfg.map).expect("revision");
    let m = mapem(&cfg.site, STATION, &cfg.map, s.start(), rev).expect("MAPEM");
    let bytes = encode_mapem(&m).expect("UPER");
    assert_eq!(decode_mapem(&bytes).expect("our decoder"), m);
    (cfg, bytes)
}

#[test]
fn asn1tools_reads_every_bundled_map_as_the_site_map_says() {
    let built: Vec<_> = scenarios()
        .into_iter()
        .map(|(name, s)| {
            let (cfg, bytes) = build(&s);
            (name, cfg, bytes)
        })
        .collect();
    // Field for field against our JER, asn1tools re-encoding the same bytes, and its reading.
    let cases: Vec<_> = built
        .iter()
        .map(|(name, _, bytes)| (name.clone(), decode_mapem(bytes).expect("decode")))
        .collect();
    let results = common::mapems_through_asn1tools(&cases);
    let (mut crosswalks, mut widths, mut limits) = (0, 0, 0);
    for ((name, cfg, _), v) in built.iter().zip(&results) {
        assert_eq!(v["header"]["protocolVersion"], 2, "{name}");
        assert_eq!(v["header"]["messageID"], 5, "{name}");
        assert_eq!(v["header"]["stationID"], STATION, "{name}");
        let g = &v["map"]["intersections"][0];
        assert_eq!(g["id"]["id"], cfg.site.intersection_id, "{name}");
        assert_eq!(g["id"]["region"], cfg.site.region, "{name}");
        assert_eq!(g["revision"], v["map"]["msgIssueRevision"], "{name}");
        let a = cfg.site.frame.anchor();
        assert_eq!(
            g["refPoint"]["lat"],
            (a.lat_deg * 1e7).round() as i64,
            "{name}"
        );
        assert_eq!(
            g["refPoint"]["long"],
            (a.lon_deg * 1e7).round() as i64,
            "{name}"
        );
        let want = expected(&cfg.site, &cfg.map);
        assert!(!want.is_empty());
        assert_eq!(lanes_from_asn1tools(v), want, "{name}");
        // Each connection's manoeuvre, as AllowedManeuvers named bits (bit 0 straight, 1 left,
        // 2 right, 3 U-turn: JER hex of the 12 bits).
        let bits = |m: Maneuver| match m {
            Maneuver::Straight => "8000",
            Maneuver::Left => "4000",
            Maneuver::Right => "2000",
            Maneuver::UTurn => "1000",
        };
        let mut want_conn: Vec<(u64, u64, String)> = cfg
            .map
            .connections
            .iter()
            .map(|c| {
                (
                    u64::from(c.from),
                    u64::from(c.to),
                    bits(c.maneuver).to_string(),
                )
            })
            .collect();
        want_conn.sort();
        let mut got: Vec<(u64, u64, String)> = g["laneSet"]
            .as_array()
            .expect("laneSet")
            .iter()
            .filter(|l| l["laneAttributes"]["laneType"].get("vehicle").is_some())
            .flat_map(|l| {
                let from = l["laneID"].as_u64().expect("laneID");
                l["connectsTo"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |c| {
                        (
                            from,
                            c["connectingLane"]["lane"].as_u64().expect("lane"),
                            c["connectingLane"]["maneuver"]
                                .as_str()
                                .expect("maneuver")
                                .to_string(),
                        )
                    })
            })
            .collect();
        got.sort();
        assert_eq!(got, want_conn, "{name}: connection manoeuvres");
        let text = g.to_string();
        crosswalks += want
            .iter()
            .filter(|l| l.crosswalk && !l.connections.is_empty())
            .count();
        widths += text.matches("dWidth").count();
        limits += text.matches("\"data\"").count();
    }
    // What the bundled maps exercise: signalised crosswalks, lanes narrower or wider than
    // the intersection's laneWidth, lanes with a speed limit of their own.
    assert!(
        crosswalks > 0 && widths > 0,
        "crosswalks {crosswalks}, dWidth {widths}"
    );
    assert_eq!(
        limits, 0,
        "no bundled lane has a limit of its own; see the next test"
    );
}

/// A lane with a speed limit of its own and a node 400 m out (beyond the ±327.67 m of the
/// largest `node-XY`, so the segment is split): asn1tools reads the same values as our JER,
/// re-encodes the bytes, and the offsets add up to the far point.
#[test]
fn asn1tools_reads_a_lane_limit_and_a_far_node() {
    let s = Scenario::default_scenario().expect("default scenario");
    let mut cfg = PipelineConfig::from_scenario(&s, s.start());
    let lane = cfg
        .map
        .lanes
        .iter_mut()
        .find(|l| l.direction == LaneDirection::Ingress)
        .expect("an ingress lane");
    lane.speed_limit_mps = Some(8.34);
    let far = lane.centreline[0];
    let norm = far[0].hypot(far[1]);
    lane.centreline[0] = [far[0] / norm * 400.0, far[1] / norm * 400.0];
    let m = mapem(&cfg.site, STATION, &cfg.map, s.start(), 0).expect("MAPEM");
    let r = common::mapems_through_asn1tools(&[("edited".into(), m)]).remove(0);
    let nodes = &r["map"]["intersections"][0]["laneSet"][0]["nodeList"]["nodes"];
    assert_eq!(
        nodes[0]["attributes"]["data"][0]["speedLimits"][0]["speed"],
        417
    );
    let nodes = nodes.as_array().expect("nodes");
    assert_eq!(
        nodes.len(),
        3,
        "the 2-point lane's long segment in two parts: {nodes:?}"
    );
    let mut at = [0_i64; 2];
    for n in nodes {
        let (form, xy) = n["delta"]
            .as_object()
            .and_then(|o| o.iter().next())
            .expect("a node form");
        assert!(form.starts_with("node-XY"), "{form}");
        at = [
            at[0] + xy["x"].as_i64().expect("x"),
            at[1] + xy["y"].as_i64().expect("y"),
        ];
    }
    let want = [
        (far[0] / norm * 40_000.0).round() as i64,
        (far[1] / norm * 40_000.0).round() as i64,
    ];
    assert!(
        (at[0] - want[0]).abs() <= 1 && (at[1] - want[1]).abs() <= 1,
        "{at:?} {want:?}"
    );
}

#[test]
fn wireshark_reads_every_bundled_map_as_the_site_map_says() {
    let all_scenarios = scenarios();
    let dir = std::env::temp_dir().join(format!("roadsight-mapem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let pcap = dir.join("mapem.pcap");
    // Link type USER0 (147), mapped to Wireshark's "its" dissector: the facilities PDU as an
    // RSU's BTP-B port 2003 would deliver it, without the GeoNetworking headers around it.
    let mut file = Vec::new();
    for v in [
        0xa1b2_c3d4_u32.to_le_bytes().as_slice(),
        &2u16.to_le_bytes(),
        &4u16.to_le_bytes(),
    ] {
        file.extend_from_slice(v);
    }
    for v in [0u32, 0, 65_535, 147] {
        file.extend_from_slice(&v.to_le_bytes());
    }
    let mut wanted = Vec::new();
    for (i, (name, s)) in all_scenarios.iter().enumerate() {
        let (cfg, bytes) = build(s);
        for v in [i as u32 + 1, 0, bytes.len() as u32, bytes.len() as u32] {
            file.extend_from_slice(&v.to_le_bytes());
        }
        file.extend_from_slice(&bytes);
        wanted.push((name.clone(), cfg));
    }
    std::fs::write(&pcap, &file).expect("write pcap");
    let out = Command::new("tshark")
        .args(["-r", pcap.to_str().expect("path")])
        .args([
            "-o",
            r#"uat:user_dlts:"User 0 (DLT=147)","its","0","","0","""#,
        ])
        .args(["-T", "json", "--no-duplicate-keys"])
        .output()
        .expect("tshark must be installed (Debian package tshark; .ci/run installs it)");
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("_ws.malformed"),
        "tshark found a malformed packet"
    );
    let packets: Vec<Value> = serde_json::from_str(&text).expect("tshark JSON");
    assert_eq!(packets.len(), wanted.len());
    let mut lanes_seen = BTreeMap::new();
    for (p, (name, cfg)) in packets.iter().zip(&wanted) {
        let its = &p["_source"]["layers"]["its"];
        let header = &its["its.ItsPduHeader_element"];
        assert_eq!(num(&header["its.protocolVersion"]), Some(2), "{name}");
        assert_eq!(num(&header["its.messageID"]), Some(5), "{name}");
        assert_eq!(
            num(&header["its.stationID"]),
            Some(i64::from(STATION)),
            "{name}"
        );
        let lanes = lanes_from_tshark(its);
        assert_eq!(lanes, expected(&cfg.site, &cfg.map), "{name}");
        lanes_seen.insert(name.clone(), lanes.len());
    }
    assert!(
        lanes_seen.values().all(|&n| n >= 8),
        "every bundled map has at least 8 lanes: {lanes_seen:?}"
    );
}

#[test]
fn the_revision_follows_the_content_and_not_the_time() {
    let s = Scenario::default_scenario().expect("default scenario");
    let cfg = PipelineConfig::from_scenario(&s, s.start());
    let rev = revision_of(&cfg.site, &cfg.map).expect("revision");
    let later = s.start().add_secs(3600.0);
    let a = mapem(&cfg.site, STATION, &cfg.map, s.start(), rev).expect("MAPEM");
    let b = mapem(&cfg.site, STATION, &cfg.map, later, rev).expect("MAPEM");
    assert_eq!(a.map.intersections, b.map.intersections);
    assert_ne!(a.map.time_stamp, b.map.time_stamp);
    // Widening one lane changes the content and so, here, the revision.
    let mut wider = cfg.map.clone();
    wider.lanes[0].width_m += 0.25;
    assert_ne!(revision_of(&cfg.site, &wider).expect("revision"), rev);
}

/// The pipeline sends MAPEM at `messages.mapem_hz`, beside the CN MAP, with the site's
/// station ID and a revision that stays put while the map does; links send it only when
/// they list it.
#[test]
fn the_pipeline_sends_mapem_when_asked() {
    use roadsight::pipeline::{MessageKind, Pipeline};
    let text = roadsight::scenario::DEFAULT
        .replacen("map_hz = 1.0\n", "map_hz = 1.0\nmapem_hz = 2.0\n", 1)
        .replacen(
            "rsu_id = \"RSU00042\"\n",
            &format!("rsu_id = \"RSU00042\"\nstation_id = {STATION}\n"),
            1,
        );
    let s = Scenario::parse(&text, std::path::Path::new("mapem.toml")).expect("loads");
    let epoch = s.start();
    let mut p = Pipeline::new(PipelineConfig::from_scenario(&s, epoch), epoch).expect("pipeline");
    let mut mapem_times = Vec::new();
    let mut maps = 0;
    let mut revisions = Vec::new();
    for k in 0..=50 {
        p.handle_timeout(epoch.add_secs(f64::from(k) * 0.1));
        while let Some(tx) = p.poll_transmit() {
            match tx.kind {
                MessageKind::Mapem => {
                    let m = decode_mapem(&tx.bytes).expect("a MAPEM");
                    assert_eq!(m.header.station_id.0, STATION);
                    assert_eq!(m.header.message_id, 5);
                    revisions.push(m.map.msg_issue_revision.0);
                    mapem_times.push(tx.time);
                }
                MessageKind::Map => maps += 1,
                _ => {}
            }
        }
    }
    // 0 to 5 s at 2 Hz, and the CN MAP still at 1 Hz.
    assert_eq!(mapem_times.len(), 11, "{mapem_times:?}");
    assert_eq!(maps, 6);
    assert!(revisions.windows(2).all(|w| w[0] == w[1]), "{revisions:?}");
    let cfg = PipelineConfig::from_scenario(&s, epoch);
    assert_eq!(
        revisions[0],
        revision_of(&cfg.site, &cfg.map).expect("revision")
    );

    // Without a station ID the scenario does not load, and says why.
    let e = Scenario::parse(
        &text.replacen(&format!("station_id = {STATION}\n"), "", 1),
        std::path::Path::new("mapem.toml"),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(
        e.starts_with("mapem.toml: messages.mapem_hz: MAPEM needs the ETSI station ID"),
        "{e}"
    );
}

/// `roadsight decode` on a capture of the pipeline's outputs with MAPEM on: the CN frames
/// decode as MessageFrame and the MAPEMs, recognised by their ITS PDU header, as MAPEM.
#[test]
fn decode_tells_mapem_from_cn_frames_in_one_capture() {
    use roadsight::link::pcap::PcapWriter;
    use roadsight::v2x::cn::{compose, encode_frame, CnMessage};
    let s = Scenario::default_scenario().expect("default scenario");
    let (cfg, mapem_bytes) = build(&s);
    let map = compose::map(&cfg.site, &cfg.map, s.start(), 1);
    let frame = encode_frame(&CnMessage::Map(map).to_frame().expect("frame")).expect("UPER");
    let path = std::env::temp_dir().join(format!("roadsight-mixed-{}.pcap", std::process::id()));
    let mut w = PcapWriter::new(std::fs::File::create(&path).expect("create")).expect("header");
    let (src, dst) = (
        "192.0.2.1:30300".parse().expect("src"),
        "192.0.2.2:30299".parse().expect("dst"),
    );
    w.write(s.start(), src, dst, &frame).expect("write");
    w.write(s.start().add_secs(0.5), src, dst, &mapem_bytes)
        .expect("write");
    w.flush().expect("flush");
    drop(w);
    let out = Command::new(env!("CARGO_BIN_EXE_roadsight"))
        .args(["decode", "--compact", path.to_str().expect("path")])
        .output()
        .expect("run roadsight");
    std::fs::remove_file(&path).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["type"], "MessageFrame");
    assert_eq!(rows[0]["message"], "mapFrame");
    assert_eq!(rows[1]["type"], "MAPEM");
    assert_eq!(rows[1]["value"]["header"]["stationID"], STATION);
}
