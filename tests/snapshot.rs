//! `roadsight run --snapshot`: the SVG is well-formed and draws exactly the tracks the
//! world model held at that moment (counted by an independent run of the driver).

use roadsight::pipeline::driver::{NoTap, ScenarioDriver};
use roadsight::replay::{run_tapped, RunOptions};
use roadsight::scenario::Scenario;
use roadsight::viz::{svg, SnapshotTap};

#[test]
fn the_snapshot_is_well_formed_and_has_one_element_per_track() {
    let s = Scenario::default_scenario().expect("default");
    let at = 60.0;
    let mut tap = SnapshotTap::new(at);
    run_tapped(&s, "default", &RunOptions::default(), Some(&mut tap)).expect("runs");
    let scene = tap.scene().expect("a scene at 60 s");
    let text = svg::render(&s, scene, "default", &svg::SvgOptions::default());
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let count = |class: &str| {
        doc.descendants()
            .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some(class))
            .count()
    };

    // The same run, driven by hand to the first world update at or after 60 s.
    let start = s.start();
    let mut d = ScenarioDriver::new(&s, start).expect("driver");
    let tracks = loop {
        let next = d.next_time();
        d.step(next, &mut NoTap);
        if d.scenario_time_s(next) >= at && d.pipeline().world().time == next {
            break d.pipeline().world().objects.len();
        }
    };
    assert!(tracks > 0, "the default scenario has tracks at 60 s");
    assert_eq!(count("track"), tracks);
    assert_eq!(count("truth"), scene.truth.len());
    assert_eq!(count("sensor"), s.sensors.len());
    assert_eq!(count("hazard"), scene.hazards.len());
    let lanes = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("lane"))
        .count();
    assert_eq!(lanes, s.map.lanes.len());
}

/// In the left-turn scenario the collision warning is in force at 15 s: its group joins each
/// of the pair's tracks to the conflict point, which is drawn where the hazard puts it, and
/// the side panel names the pair.
#[test]
fn a_hazard_is_drawn_as_its_pair_joined_to_the_conflict_point() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/hazards/left_turn.toml");
    let s = Scenario::load(&path).expect("left_turn scenario");
    let mut tap = SnapshotTap::new(15.0);
    run_tapped(&s, "left_turn", &RunOptions::default(), Some(&mut tap)).expect("runs");
    let scene = tap.scene().expect("a scene at 15 s");
    let pair = scene
        .hazards
        .iter()
        .find(|h| h.road_users.len() == 2)
        .expect("a two-party hazard in force at 15 s");
    let text = svg::render(&s, scene, "left_turn", &svg::SvgOptions::default());
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let g = doc
        .descendants()
        .find(|n| {
            n.attribute("class") == Some("hazard")
                && n.attribute("data-id") == Some(pair.id.to_string().as_str())
        })
        .expect("the hazard's group");
    let lines: Vec<_> = g.children().filter(|n| n.has_tag_name("line")).collect();
    let tracked = pair
        .road_users
        .iter()
        .filter(|id| scene.tracks.iter().any(|o| o.id == **id))
        .count();
    assert_eq!(tracked, 2, "both road users are tracks at 15 s");
    assert_eq!(lines.len(), 2, "one line per road user");
    // Every line ends at the conflict point (default view: 6 px/m, origin at 75 m, 75 m).
    let opts = svg::SvgOptions::default();
    let px = (pair.point[0] + opts.half_extent_m) * opts.px_per_m;
    let py = (opts.half_extent_m - pair.point[1]) * opts.px_per_m;
    for l in &lines {
        let x2: f64 = l.attribute("x2").and_then(|v| v.parse().ok()).expect("x2");
        let y2: f64 = l.attribute("y2").and_then(|v| v.parse().ok()).expect("y2");
        assert!(
            (x2 - px).abs() < 0.1 && (y2 - py).abs() < 0.1,
            "({x2}, {y2}) vs ({px}, {py})"
        );
    }
    let panel = format!("tracks {} × {}", pair.road_users[0], pair.road_users[1]);
    assert!(
        text.contains(&panel),
        "the side panel names the pair: {panel}"
    );
}
