//! SUMO import: a hand-made network with exact expectations, networks shipped with SUMO
//! (PyPI `eclipse-sumo`, pinned in tools/requirements.txt) and one made by `netgenerate`.
//! Every imported junction must load as a scenario map and encode to a MAP that asn1tools
//! decodes with the expected numbers of lanes and connections.

mod common;

use common::{hex, python, run_tool};
use roadsight::geo::{GeoPoint, SiteFrame};
use roadsight::map::sumo::{ImportOptions, ImportedMap, SumoError};
use roadsight::map::SiteMap;
use roadsight::scenario::import_sumo_junction as import_junction;
use roadsight::scenario::{LaneDirection, Maneuver, Scenario};
use roadsight::time::Timestamp;
use roadsight::v2x::cn::compose::{self, SiteIdentity};
use roadsight::v2x::cn::spat::Light;
use roadsight::v2x::cn::{encode_frame, CnMessage};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture() -> PathBuf {
    common::repo().join("tests/data/tiny.net.xml")
}

fn import(path: &Path, junction: &str) -> ImportedMap {
    import_junction(path, junction, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("import of {junction}: {e}"))
}

/// SUMO_HOME of the installed `eclipse-sumo` package, or `None` (with a message) when the
/// package is absent. CI installs it from tools/requirements.txt.
fn sumo_home() -> Option<PathBuf> {
    let out = Command::new(python())
        .args(["-c", "import sumo; print(sumo.SUMO_HOME)"])
        .output()
        .expect("python3 runs");
    if !out.status.success() {
        eprintln!(
            "SKIPPED: Python package eclipse-sumo is not installed \
             (pip install -r tools/requirements.txt)"
        );
        return None;
    }
    Some(PathBuf::from(
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
    ))
}

/// The default scenario with this map (and its signal plan, none at an unsignalised junction)
/// written out as TOML and loaded back: the imported map passes every load check.
fn loads_as_scenario(m: &ImportedMap) -> Scenario {
    let mut s = Scenario::default_scenario().expect("default");
    s.map = m.map.clone();
    if let Some(a) = m.anchor {
        s.site.anchor = a;
    }
    s.signal = m.signal.clone();
    let text = toml::to_string(&s).expect("scenario as TOML");
    Scenario::parse(&text, Path::new("imported.toml"))
        .unwrap_or_else(|e| panic!("{}: {e}", m.junction_id))
}

/// The site of an imported junction: its anchor (or a default one), intersection 7.
fn site_of(m: &ImportedMap) -> SiteIdentity {
    SiteIdentity {
        name: format!("SUMO {}", m.junction_id),
        region: 0,
        intersection_id: 7,
        rsu_id: *b"RSU00001",
        frame: SiteFrame::new(m.anchor.unwrap_or(GeoPoint::new(31.2304, 121.4737, None))),
    }
}

/// A MAP connection as (from lane, to lane, marked `yieldAllwaysRequired`).
type Yields = (u8, u8, bool);

/// Encodes the MAP of an imported junction, has asn1tools decode it and returns its
/// (lane count, connection count) as asn1tools sees them, and whether each connection
/// (from lane, to lane) is marked `yieldAllwaysRequired`.
fn map_through_asn1tools(m: &ImportedMap) -> ((usize, usize), Vec<Yields>) {
    let site = site_of(m);
    let map = compose::map(
        &site,
        &SiteMap::from_spec(&m.map),
        Timestamp::from_secs_f64(1.8e9).expect("time"),
        1,
    );
    let frame = CnMessage::Map(map)
        .to_frame()
        .unwrap_or_else(|e| panic!("{}: MAP: {e}", m.junction_id));
    let bytes = encode_frame(&frame).expect("UPER");
    let jer: Value =
        serde_json::from_str(&roadsight_asn1::rasn::jer::encode(&frame).expect("jer")).unwrap();
    let line =
        json!({"id": m.junction_id, "type": "MessageFrame", "uper": hex(&bytes), "jer": jer})
            .to_string();
    let (code, out, err) = run_tool(
        "asn1_interop.py",
        &["check", "--require-bytes-equal"],
        &format!("{line}\n"),
    );
    assert_eq!(code, 0, "asn1tools check failed: {out}\n{err}");
    let (code, decoded, err) = run_tool("asn1_interop.py", &["decode", "-"], &hex(&bytes));
    assert_eq!(code, 0, "asn1tools decode failed: {err}");
    let v: Value = serde_json::from_str(&decoded).expect("decoded JER");
    let links = v["mapFrame"]["nodes"][0]["inLinks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let lanes: Vec<Value> = links
        .iter()
        .flat_map(|l| l["lanes"].as_array().cloned().unwrap_or_default())
        .collect();
    let mut yields = Vec::new();
    for l in &lanes {
        for c in l["connectsTo"].as_array().into_iter().flatten() {
            let Some(to) = c.get("connectingLane") else {
                continue;
            };
            // A 12-bit BIT STRING, bit 0 first: bit 8 is yieldAllwaysRequired.
            let bits = to["maneuver"]
                .as_str()
                .and_then(|h| u16::from_str_radix(h, 16).ok())
                .expect("a maneuver");
            let lane = |v: &Value| v.as_u64().and_then(|x| u8::try_from(x).ok()).expect("lane");
            yields.push((lane(&l["laneID"]), lane(&to["lane"]), bits & (1 << 7) != 0));
        }
    }
    ((lanes.len(), yields.len()), yields)
}

/// The numbers of lanes and connections the MAP must carry: ingress lanes and crosswalks,
/// and every connection.
fn expected_counts(m: &ImportedMap) -> (usize, usize) {
    let ingress = m
        .map
        .lanes
        .iter()
        .filter(|l| l.direction == LaneDirection::Ingress)
        .count();
    (ingress + m.map.crosswalks.len(), m.map.connections.len())
}

/// Encodes the MAPEM of an imported junction, has asn1tools check it field for field (and
/// re-encode the same bytes) and returns its (lane count, connection count) as asn1tools
/// reads them.
fn mapem_through_asn1tools(m: &ImportedMap) -> (usize, usize) {
    let t = Timestamp::from_secs_f64(1.8e9).expect("time");
    let msg = roadsight::v2x::etsi::mapem::mapem(&site_of(m), 1, &SiteMap::from_spec(&m.map), t, 3)
        .unwrap_or_else(|e| panic!("{}: MAPEM: {e}", m.junction_id));
    let r = common::mapems_through_asn1tools(&[(m.junction_id.clone(), msg)]).remove(0);
    let lanes = r["map"]["intersections"][0]["laneSet"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let connections = lanes
        .iter()
        .flat_map(|l| l["connectsTo"].as_array().cloned().unwrap_or_default())
        .count();
    (lanes.len(), connections)
}

fn check_imported(m: &ImportedMap) {
    assert!(!m.map.lanes.is_empty() && !m.map.connections.is_empty());
    loads_as_scenario(m);
    let (counts, yields) = map_through_asn1tools(m);
    assert_eq!(counts, expected_counts(m), "{}", m.junction_id);
    // Unsignalised, a movement that gives way (or stops) says so; one with the way does not.
    for c in &m.map.connections {
        let want = c.signal_group.is_none() && !c.right_of_way.is_priority();
        assert!(
            yields.contains(&(c.from, c.to, want)),
            "{}: connection {} → {} yields {want}: {yields:?}",
            m.junction_id,
            c.from,
            c.to
        );
    }
    // MAPEM has every lane (egress too) and crosswalk, every connection and each signalised
    // crosswalk's connection to itself.
    let signalised = m
        .map
        .crosswalks
        .iter()
        .filter(|c| c.signal_group.is_some())
        .count();
    assert_eq!(
        mapem_through_asn1tools(m),
        (
            m.map.lanes.len() + m.map.crosswalks.len(),
            m.map.connections.len() + signalised
        ),
        "{} MAPEM",
        m.junction_id
    );
    // Lane IDs are 1.. in order and the table covers every lane and crosswalk.
    let mut ids: Vec<u8> = m.lane_ids.values().copied().collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        (1..=(m.map.lanes.len() + m.map.crosswalks.len()) as u8).collect::<Vec<_>>()
    );
    // Ingress lanes end near the junction and egress lanes start near it.
    for l in &m.map.lanes {
        let p = match l.direction {
            LaneDirection::Ingress => l.centreline.last(),
            LaneDirection::Egress => l.centreline.first(),
        }
        .unwrap();
        assert!(p[0].hypot(p[1]) < 60.0, "lane {} at {p:?}", l.id);
    }
}

#[test]
fn the_hand_made_network_imports_exactly() {
    let m = import(&fixture(), "C");
    assert_eq!(m.anchor, None, "no geo-reference");
    let ingress: Vec<_> = m
        .map
        .lanes
        .iter()
        .filter(|l| l.direction == LaneDirection::Ingress)
        .collect();
    assert_eq!(ingress.len(), 3);
    assert_eq!(m.map.lanes.len(), 6, "out_s is reached by no connection");
    assert_eq!(m.map.connections.len(), 5);
    // Approaches clockwise from north: out_n, out_e, in_s, in_w; ingress lanes first.
    for (sumo, ours) in [
        ("in_s_0", 1),
        ("in_s_1", 2),
        ("in_w_0", 3),
        ("out_n_0", 4),
        ("out_n_1", 5),
        ("out_e_0", 6),
        (":C_c0_0", 7),
    ] {
        assert_eq!(m.lane_ids.get(sumo), Some(&ours), "{sumo}");
    }
    let l1 = &m.map.lanes[0];
    assert_eq!(l1.approach, "in_s");
    assert_eq!(l1.centreline, vec![[4.8, -100.0], [4.8, -10.0]]);
    assert_eq!(l1.width_m, 3.2, "SUMO's default width");
    assert_eq!(m.map.lanes[1].width_m, 3.5);
    assert_eq!(l1.speed_limit_mps, Some(13.89));
    assert_eq!(l1.maneuvers, vec![Maneuver::Straight, Maneuver::Right]);
    // Link indices 1 and 2 always show the same light: one group. 0 is permissive green.
    assert_eq!(
        m.signal_groups
            .iter()
            .map(|(k, g)| (*k, *g))
            .collect::<Vec<_>>(),
        vec![(0, 1), (1, 2), (2, 2), (3, 3), (4, 3), (5, 4)]
    );
    let c = |from, to| {
        m.map
            .connections
            .iter()
            .find(|c| c.from == from && c.to == to)
            .unwrap_or_else(|| panic!("no connection {from} → {to}"))
    };
    assert_eq!(c(1, 6).maneuver, Maneuver::Right);
    assert_eq!(c(1, 6).signal_group, Some(1));
    assert_eq!(c(2, 5).maneuver, Maneuver::Straight);
    assert_eq!(c(2, 5).signal_group, Some(2));
    let left = c(3, 5);
    assert_eq!(left.maneuver, Maneuver::Left);
    assert_eq!(left.signal_group, Some(3));
    // Its path runs through both internal lanes (via the internal junction).
    assert_eq!(left.path.first(), Some(&[-10.0, -1.6]));
    assert_eq!(left.path.last(), Some(&[1.6, 10.0]));
    assert!(left.path.len() >= 3);
    // The crossing over the south arm, with the pedestrian group.
    assert_eq!(m.map.crosswalks.len(), 1);
    let x = &m.map.crosswalks[0];
    assert_eq!((x.id, x.approach.as_str()), (7, "in_s"));
    assert_eq!(x.centreline, Some(vec![[7.0, -14.0], [-4.0, -14.0]]));
    assert_eq!(x.width_m, Some(4.0));
    assert_eq!(x.signal_group, Some(4));
    // The fixed-time plan of the four groups.
    let plan = m.signal.as_ref().expect("a plan");
    assert_eq!(plan.cycle_s, 53.0);
    let g: Vec<_> = plan
        .groups
        .iter()
        .map(|g| (g.id, g.green_start_s, g.green_s, g.yellow_s))
        .collect();
    assert_eq!(
        g,
        vec![
            (1, 0.0, 25.0, 4.0),
            (2, 0.0, 25.0, 4.0),
            (3, 29.0, 20.0, 4.0),
            (4, 29.0, 20.0, 0.0)
        ]
    );
    check_imported(&m);
    // The TOML for a scenario names the anchor as missing and carries the lane table.
    let toml = m.to_toml().unwrap();
    assert!(toml.contains("no geo-reference"), "{toml}");
    assert!(toml.contains("in_s_0=1"), "{toml}");
    assert!(toml.contains("[[map.connections]]"), "{toml}");
}

#[test]
fn clipping_keeps_the_end_at_the_stop_line() {
    let opts = ImportOptions {
        clip_length_m: 30.0,
        anchor: Some(GeoPoint::new(48.0, 11.0, None)),
    };
    let m = import_junction(&fixture(), "C", &opts).unwrap();
    assert_eq!(m.anchor, Some(GeoPoint::new(48.0, 11.0, None)));
    assert_eq!(m.map.lanes[0].centreline, vec![[4.8, -40.0], [4.8, -10.0]]);
    let egress = m.map.lanes.iter().find(|l| l.id == 6).unwrap();
    assert_eq!(egress.centreline, vec![[10.0, -1.6], [40.0, -1.6]]);
}

#[test]
fn errors_name_the_file_and_the_element() {
    let e = |junction: &str| {
        import_junction(&fixture(), junction, &ImportOptions::default())
            .unwrap_err()
            .to_string()
    };
    let f = fixture().display().to_string();
    assert_eq!(e("J3"), format!("{f}: junction \"J3\": no such junction"));
    // A dead end: an unsignalised junction imports, but only one that traffic goes through.
    assert_eq!(
        e("W"),
        format!("{f}: junction \"W\": no vehicle connections lead through it")
    );
    let missing =
        import_junction(Path::new("nope.net.xml"), "C", &ImportOptions::default()).unwrap_err();
    assert!(matches!(missing, SumoError::Read { .. }), "{missing}");
    assert!(
        missing.to_string().starts_with("nope.net.xml: "),
        "{missing}"
    );
    let bad = roadsight::map::sumo::import_junction(
        "<net><edge",
        Path::new("x.net.xml"),
        "C",
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(
        bad.to_string()
            .starts_with("x.net.xml: not a readable XML document"),
        "{bad}"
    );
    let text = std::fs::read_to_string(fixture()).unwrap();
    let broken = text.replace("x=\"100.00\" y=\"100.00\"", "x=\"1e999\" y=\"100.00\"");
    let bad = roadsight::map::sumo::import_junction(
        &broken,
        Path::new("net.xml"),
        "C",
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        bad.to_string(),
        "net.xml: junction \"C\": x=\"1e999\" is not a finite number"
    );
    let utm_unknown = text.replace(
        "projParameter=\"!\"",
        "projParameter=\"+proj=lcc +lat_1=49 +lat_2=44\"",
    );
    let bad = roadsight::map::sumo::import_junction(
        &utm_unknown,
        Path::new("net.xml"),
        "C",
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(
        bad.to_string()
            .starts_with("net.xml: location: projParameter"),
        "{bad}"
    );
}

#[test]
fn networks_shipped_with_sumo() {
    let Some(home) = sumo_home() else { return };
    // A plain 4-arm crossing (no geo-reference) and the RiLSA example with pedestrian
    // crossings.
    let cross = import(&home.join("tools/game/cross/cross.net.xml"), "0");
    assert_eq!(cross.anchor, None);
    check_imported(&cross);
    permissive_lefts_go_out_as_permissive_green(&cross);
    let rilsa = import(
        &home.join("tools/sumolib/scenario/scenarios/RiLSA1/rilsa1.net.xml"),
        "0",
    );
    assert_eq!(rilsa.map.crosswalks.len(), 4);
    assert!(rilsa
        .map
        .crosswalks
        .iter()
        .all(|c| c.signal_group.is_some()));
    // Three lanes per arm, two of them with connections (the outer one is a sidewalk).
    assert_eq!(
        rilsa
            .map
            .lanes
            .iter()
            .filter(|l| l.direction == LaneDirection::Ingress)
            .count(),
        8
    );
    assert_eq!(rilsa.map.connections.len(), 12);
    assert!(rilsa.signal.is_some(), "a static two-phase program");
    check_imported(&rilsa);
    // An OpenStreetMap import in UTM zone 33: the anchor is near Berlin, and the site frame
    // is metric around the junction.
    let osm = import(&home.join("tools/game/DRT/osm.net.xml"), "1525212345");
    let a = osm.anchor.expect("geo-referenced");
    assert!(
        (a.lat_deg - 52.44).abs() < 0.05 && (a.lon_deg - 13.51).abs() < 0.1,
        "{a:?}"
    );
    check_imported(&osm);
    // A crossing green with two vehicle stages: the group has two greens per cycle, and
    // the controller shows both.
    let two = import(
        &home.join("tools/game/DRT/osm.net.xml"),
        "cluster_1560223815_1560223847_301292612_56231397",
    );
    check_imported(&two);
    greens_per_cycle_follow_the_program(&two);
    // Programs with groups never red (green, then yellow, then green again), green all cycle,
    // or never green (red, red-yellow, a yellow after no green): the plan shows, phase by
    // phase, what the program shows.
    for (net, junction) in [
        (
            "tools/sumolib/scenario/scenarios/RiLSA1OutTLS/rilsa1.net.xml",
            "ea",
        ),
        // Two junctions of one traffic light ("0"; "joinedS_0", an actuated program).
        (
            "tools/sumolib/scenario/scenarios/RealWorld/RiLSA_example2/rilsa2.net.xml",
            "0s",
        ),
        ("tools/game/DRT/osm.net.xml", "1371616214"),
        (
            "tools/game/bs3d/bs.net.xml",
            "cluster_104171179_28142770_28298581_28298587",
        ),
    ] {
        let m = import(&home.join(net), junction);
        assert_eq!(m.signal_missing, None, "{net} {junction}");
        // (Their maps load as sites: every_traffic_light_shipped_with_sumo_imports_with_a_plan.)
        plan_shows_the_program(&m, &home.join(net));
        // A traffic-dependent program's plan is nominal, and the output says so.
        let (tl, program) = (
            m.tls_id.as_deref().expect("a traffic light"),
            m.program_type.as_deref().expect("a program"),
        );
        assert_eq!(program == "actuated", junction == "1371616214");
        let note =
            format!("# tlLogic {tl:?} is {program:?}: [signal] is its nominal fixed-time plan");
        let toml = m.to_toml().expect("toml");
        assert_eq!(toml.contains(&note), program != "static", "{toml}");
    }
    // A gzip-compressed network on a local transverse Mercator grid (netconvert's
    // `+proj=tmerc` at the site), as real networks often come. Reference: PROJ (pyproj 3.7)
    // on the junction's x, y minus netOffset.
    let bs = import(
        &home.join("tools/game/fokr_bs_demo/fokr_bs.net.xml.gz"),
        "38",
    );
    let a = bs.anchor.expect("geo-referenced");
    assert!(
        (a.lat_deg - 52.2755261911).abs() < 1e-8 && (a.lon_deg - 10.5356355116).abs() < 1e-8,
        "{a:?}"
    );
    check_imported(&bs);
}

/// The phases of the SPAT of `states`, as asn1tools decodes it (JER).
fn spat_phases_through_asn1tools(
    site: &SiteIdentity,
    states: &[roadsight::signal::GroupState],
    mode: roadsight::signal::ControllerMode,
    now: Timestamp,
) -> Vec<Value> {
    let frame = CnMessage::Spat(compose::spat(site, states, mode, now, 1))
        .to_frame()
        .expect("SPAT");
    let bytes = encode_frame(&frame).expect("UPER");
    let (code, decoded, err) = run_tool("asn1_interop.py", &["decode", "-"], &hex(&bytes));
    assert_eq!(code, 0, "asn1tools decode failed: {err}");
    let v: Value = serde_json::from_str(&decoded).expect("decoded JER");
    v["spatFrame"]["intersections"][0]["phases"]
        .as_array()
        .expect("phases")
        .clone()
}

/// Every `*.net.xml[.gz]` under `dir`, in name order.
fn networks_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read a directory").flatten() {
            let p = entry.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if p.is_dir() {
                todo.push(p);
            } else if name.ends_with(".net.xml") || name.ends_with(".net.xml.gz") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Each traffic-light junction of every network shipped with SUMO imports with a signal plan,
/// and its map and plan load as a site: real networks need no hand work.
#[test]
fn every_traffic_light_shipped_with_sumo_imports_with_a_plan() {
    let Some(home) = sumo_home() else { return };
    let (mut junctions, mut programs) = (0, std::collections::BTreeSet::new());
    for net in networks_under(&home) {
        let text = roadsight::scenario::sumo::xml::read_to_string(&net).expect("read");
        let Ok(doc) = roxmltree::Document::parse(&text) else {
            continue; // not a network SUMO can read either (a test fixture of a bad one)
        };
        let ids: Vec<&str> = doc
            .root_element()
            .children()
            .filter(|n| n.has_tag_name("junction"))
            .filter(|n| {
                n.attribute("type")
                    .is_some_and(|t| t.starts_with("traffic_light"))
            })
            .filter_map(|n| n.attribute("id"))
            .collect();
        for id in ids {
            let m =
                roadsight::map::sumo::import_junction(&text, &net, id, &ImportOptions::default())
                    .unwrap_or_else(|e| panic!("{}: {id}: {e}", net.display()));
            assert_eq!(m.signal_missing, None, "{} {id}", net.display());
            loads_as_scenario(&m);
            junctions += 1;
            programs.insert((net.clone(), m.tls_id));
        }
    }
    // eclipse-sumo 1.28: 95 junctions of 88 traffic lights.
    assert!(
        junctions >= 90 && programs.len() >= 80,
        "{junctions} {}",
        programs.len()
    );
}

/// cross.net.xml's program gives straight and right `G` and the left turns `g` (give way to
/// oncoming traffic) then `G` (a protected arrow): the left-turn groups are permissive in
/// the plan, and asn1tools reads `permissive-green` in the SPAT while they are green.
fn permissive_lefts_go_out_as_permissive_green(m: &ImportedMap) {
    let plan = m.signal.clone().expect("a fixed-time plan");
    let left_groups: std::collections::BTreeSet<u8> = m
        .map
        .connections
        .iter()
        .filter(|c| c.maneuver == Maneuver::Left)
        .filter_map(|c| c.signal_group)
        .collect();
    assert_eq!(left_groups.len(), 2, "{:?}", m.map.connections);
    for g in &plan.groups {
        assert_eq!(g.permissive, left_groups.contains(&g.id), "group {}", g.id);
    }
    let epoch = Timestamp::from_secs_f64(1.8e9).expect("time");
    let controller = roadsight::signal::SignalController::from_plan(Some(&plan), epoch);
    let now = epoch.add_secs(10.0);
    let mut states = Vec::new();
    let mode = controller.states_at(now, &mut states);
    let site = SiteIdentity {
        name: "cross".into(),
        region: 0,
        intersection_id: 7,
        rsu_id: *b"RSU00001",
        frame: SiteFrame::new(GeoPoint::new(31.2304, 121.4737, None)),
    };
    let phases = spat_phases_through_asn1tools(&site, &states, mode, now);
    let mut seen = 0;
    for p in &phases {
        let id = p["id"].as_u64().expect("id") as u8;
        // 10 s into the cycle the first stage is green: group of link 0 (straight) and the
        // left turns of that stage.
        let light = p["phaseStates"][0]["light"].as_str().expect("light");
        if light.ends_with("green") {
            let want = if left_groups.contains(&id) {
                "permissive-green"
            } else {
                "protected-green"
            };
            assert_eq!(light, want, "group {id}: {p}");
            seen += 1;
        }
    }
    assert!(seen >= 2, "{phases:?}");
}

/// At the middle of every phase of the junction's first program, each signal group's light
/// from the imported fixed-time plan is the one SUMO's state string gives its links: `G`, `g`
/// green (permissive if the group ever shows `g`), `y` yellow after a green, and red
/// otherwise (`r`, `u` red-yellow, `s` stop, a yellow of a group that is never green).
fn plan_shows_the_program(m: &ImportedMap, net: &Path) {
    let text = std::fs::read_to_string(net).expect("read the network");
    let doc = roxmltree::Document::parse(&text).expect("XML");
    let logic = doc
        .descendants()
        .find(|n| n.has_tag_name("tlLogic") && n.attribute("id") == m.tls_id.as_deref())
        .expect("the junction's program");
    let phases: Vec<(f64, Vec<char>)> = logic
        .children()
        .filter(|n| n.has_tag_name("phase"))
        .map(|p| {
            let d = p.attribute("duration").and_then(|d| d.parse().ok());
            (
                d.expect("duration"),
                p.attribute("state").expect("state").chars().collect(),
            )
        })
        .collect();
    let plan = m.signal.clone().expect("a fixed-time plan");
    let epoch = Timestamp::from_secs_f64(1.8e9).expect("time");
    let controller = roadsight::signal::SignalController::from_plan(Some(&plan), epoch);
    let mut states = Vec::new();
    let mut t = 0.0;
    let mut never_red = 0;
    for (d, state) in &phases {
        controller.states_at(epoch.add_secs(plan.offset_s + t + d / 2.0), &mut states);
        for (&k, &g) in &m.signal_groups {
            let column: Vec<char> = phases.iter().map(|p| p.1[k as usize]).collect();
            let ever_green = column.iter().any(|c| matches!(c, 'G' | 'g'));
            let expected = match state[k as usize] {
                'G' | 'g' if column.contains(&'g') => Light::PermissiveGreen,
                'G' | 'g' => Light::ProtectedGreen,
                'y' | 'Y' if ever_green => Light::Yellow,
                _ => Light::Red,
            };
            let shown = states
                .iter()
                .find(|s| s.id == g)
                .expect("every group")
                .current();
            assert_eq!(
                shown, expected,
                "{} link {k} (group {g}) {t} s into the cycle: {column:?}",
                m.junction_id
            );
        }
        t += d;
    }
    let mut steady_ids = Vec::new();
    for g in &plan.groups {
        let lit: f64 = g.greens().map(|w| w.green_s + w.yellow_s).sum();
        if g.green_s == 0.0 || g.green_s >= plan.cycle_s {
            steady_ids.push(g.id);
        }
        never_red += usize::from(lit >= plan.cycle_s - 1e-9);
    }
    assert!(
        !steady_ids.is_empty() || never_red > 0,
        "{}: a program with a group never red or never green",
        m.junction_id
    );
    // In the SPAT asn1tools reads, a light that never changes ends "in more than an hour".
    let now = epoch.add_secs(plan.offset_s + 1.0);
    let mode = controller.states_at(now, &mut states);
    let phases = spat_phases_through_asn1tools(&site_of(m), &states, mode, now);
    assert_eq!(phases.len(), plan.groups.len());
    for id in steady_ids {
        let p = phases
            .iter()
            .find(|p| p["id"].as_u64() == Some(u64::from(id)))
            .expect("the group's phase");
        let timing = &p["phaseStates"][0]["timing"];
        // minEnd, maxEnd and likelyEnd, in either form (countdown or UTC).
        let ends: Vec<&Value> = ["counting", "utcTiming"]
            .iter()
            .filter_map(|form| timing.get(form)?.as_object())
            .flat_map(|t| t.iter().filter(|(k, _)| k.contains("End")).map(|(_, v)| v))
            .collect();
        assert!(
            !ends.is_empty() && ends.iter().all(|e| e.as_u64() == Some(36000)),
            "{} group {id}: {timing}",
            m.junction_id
        );
    }
}

/// Over one cycle of the imported plan, each group turns green as many times as it has
/// greens, and at least one group has more than one.
fn greens_per_cycle_follow_the_program(m: &ImportedMap) {
    let plan = m.signal.clone().expect("a fixed-time plan");
    assert!(plan.groups.iter().any(|g| !g.more_greens.is_empty()));
    let epoch = Timestamp::from_secs_f64(1.8e9).expect("time");
    let controller = roadsight::signal::SignalController::from_plan(Some(&plan), epoch);
    let mut states = Vec::new();
    let mut onsets = std::collections::BTreeMap::<u8, usize>::new();
    let mut was_green = std::collections::BTreeMap::<u8, bool>::new();
    let steps = (plan.cycle_s * 10.0).round() as usize;
    for k in 0..=steps {
        controller.states_at(
            epoch.add_secs(plan.offset_s + 0.05 + k as f64 * 0.1),
            &mut states,
        );
        for g in &states {
            let green = matches!(g.current(), Light::ProtectedGreen | Light::PermissiveGreen);
            let before = was_green.insert(g.id, green);
            if green && before == Some(false) {
                *onsets.entry(g.id).or_default() += 1;
            }
        }
    }
    for g in &plan.groups {
        assert_eq!(
            onsets.get(&g.id).copied().unwrap_or(0),
            1 + g.more_greens.len(),
            "group {}: {g:?}",
            g.id
        );
    }
}

/// The unsignalised junctions (priority, right before left, all-way stop, …) of every network
/// shipped with SUMO import as sites without a signal: no groups, no plan, no phase in MAP,
/// and they load as a scenario without `[signal]`; a minor road's movements give way. The
/// first with one goes through asn1tools as MAP and MAPEM.
#[test]
fn unsignalised_junctions_shipped_with_sumo_import_without_signals() {
    let Some(home) = sumo_home() else { return };
    let (mut junctions, mut kinds, mut checked, mut give_way) =
        (0, std::collections::BTreeSet::new(), 0, 0);
    for net in networks_under(&home) {
        let text = roadsight::scenario::sumo::xml::read_to_string(&net).expect("read");
        let Ok(doc) = roxmltree::Document::parse(&text) else {
            continue;
        };
        let ids: Vec<(&str, &str)> = doc
            .root_element()
            .children()
            .filter(|n| n.has_tag_name("junction"))
            .filter_map(|n| Some((n.attribute("id")?, n.attribute("type")?)))
            .filter(|(_, t)| {
                !t.starts_with("traffic_light") && !["internal", "dead_end"].contains(t)
            })
            // Through traffic only (not a dead end nor a pedestrian-only node).
            .filter(|(id, _)| {
                doc.root_element().children().any(|n| {
                    n.has_tag_name("edge")
                        && n.attribute("to") == Some(id)
                        && n.attribute("function").is_none()
                })
            })
            .take(3)
            .collect();
        for (id, kind) in ids {
            let m = match roadsight::map::sumo::import_junction(
                &text,
                &net,
                id,
                &ImportOptions::default(),
            ) {
                Ok(m) => m,
                Err(e)
                    if e.to_string()
                        .ends_with("no vehicle connections lead through it") =>
                {
                    continue
                }
                Err(e) => panic!("{}: {id}: {e}", net.display()),
            };
            let at = format!("{} {id} ({kind})", net.display());
            assert_eq!(
                (&m.tls_id, &m.signal, &m.signal_missing),
                (&None, &None, &None),
                "{at}"
            );
            assert!(m.signal_groups.is_empty(), "{at}");
            assert!(m.map.lanes.iter().all(|l| l.signal_group.is_none()), "{at}");
            assert!(
                m.map.connections.iter().all(|c| c.signal_group.is_none()),
                "{at}"
            );
            assert!(
                m.map.crosswalks.iter().all(|c| c.signal_group.is_none()),
                "{at}"
            );
            assert!(
                m.to_toml()
                    .expect("toml")
                    .contains("An unsignalised junction"),
                "{at}"
            );
            let s = loads_as_scenario(&m);
            assert!(s.signal.is_none(), "{at}");
            // SUMO's minor links (`m`) give way, stop signs (`s`, `=`) stop.
            let yields = m
                .map
                .connections
                .iter()
                .any(|c| !c.right_of_way.is_priority());
            if yields && checked < 1 {
                check_imported(&m);
                checked += 1;
            }
            junctions += 1;
            give_way += usize::from(yields);
            kinds.insert(kind.to_string());
        }
    }
    // eclipse-sumo 1.28: 50 junctions (priority, right_before_left, rail_signal), 10 of
    // them with a movement that gives way.
    assert!(junctions >= 45 && kinds.len() >= 3, "{junctions} {kinds:?}");
    assert!(
        give_way >= 8 && checked == 1,
        "{give_way} of {junctions} junctions with a minor movement"
    );
}

#[test]
fn a_network_made_by_netgenerate() {
    let Some(home) = sumo_home() else { return };
    let dir = std::env::temp_dir().join(format!("roadsight-netgen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let net = dir.join("grid.net.xml");
    let exe = home.join("bin").join("netgenerate");
    let status = Command::new(&exe)
        // Two lanes at 20 m/s are enough traffic for SUMO to guess traffic lights.
        .args([
            "--grid",
            "--grid.number",
            "3",
            "--tls.guess",
            "true",
            "--default.lanenumber",
            "2",
            "--default.speed",
            "20",
            "-o",
        ])
        .arg(&net)
        .env("SUMO_HOME", &home)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let text = std::fs::read_to_string(&net).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let tls: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("junction") && n.attribute("type") == Some("traffic_light"))
        .filter_map(|n| n.attribute("id"))
        .collect();
    assert!(!tls.is_empty(), "netgenerate guessed no traffic lights");
    // The centre of a 3 × 3 grid has four arms.
    let centre = if tls.contains(&"B1") { "B1" } else { tls[0] };
    let m = import(&net, centre);
    check_imported(&m);
    let approaches: std::collections::BTreeSet<_> =
        m.map.lanes.iter().map(|l| l.approach.as_str()).collect();
    assert_eq!(approaches.len(), 4, "{approaches:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_cli_prints_the_map_as_toml() {
    let out = Command::new(env!("CARGO_BIN_EXE_roadsight"))
        .args(["map-from-sumo", "--junction", "C"])
        .arg(fixture())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let v: toml::Value = toml::from_str(&text).expect("TOML");
    assert_eq!(v["map"]["lanes"].as_array().map(Vec::len), Some(6));
    assert_eq!(v["signal"]["groups"].as_array().map(Vec::len), Some(4));
    let out = Command::new(env!("CARGO_BIN_EXE_roadsight"))
        .args(["map-from-sumo", "--junction", "W"])
        .arg(fixture())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("junction \"W\": no vehicle connections lead through it"));
}
