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
