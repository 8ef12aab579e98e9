//! A scenario with a mistake is rejected with the file, the key path and the reason.

use roadsight::scenario::{Scenario, ScenarioError};
use std::path::Path;

/// The default scenario with `from` replaced by `to` (exactly once).
fn broken(from: &str, to: &str) -> String {
    let text = roadsight::scenario::DEFAULT;
    assert_eq!(
        text.matches(from).count(),
        1,
        "{from:?} must occur once in the default scenario"
    );
    text.replacen(from, to, 1)
}

fn error(text: &str) -> String {
    match Scenario::parse(text, Path::new("site.toml")) {
        Ok(_) => panic!("accepted a broken scenario"),
        Err(e @ ScenarioError::Invalid { .. }) => e.to_string(),
        Err(e) => panic!("wrong kind of error: {e}"),
    }
}

#[test]
fn the_default_scenario_loads() {
    let s = Scenario::default_scenario().expect("default");
    assert_eq!(s.sensors.len(), 4);
    assert!(
        s.road_users
            .iter()
            .filter(|u| u.class == roadsight::scenario::RoadUserClass::Car)
            .count()
            >= 20
    );
}

#[test]
fn unknown_field() {
    let e = error(&broken(
        "detection_probability = 0.95\nlisten = \"127.0.0.1:47601\"",
        "detection_probabilty = 0.95\nlisten = \"127.0.0.1:47601\"",
    ));
    assert!(e.starts_with("site.toml: sensors[0]"), "{e}");
    assert!(e.contains("unknown field `detection_probabilty`"), "{e}");
}

#[test]
fn missing_sensor_pose() {
    let e = error(&broken(
        "position = { east_m = 18.0, north_m = -18.0, up_m = 5.0 }\n",
        "",
    ));
    assert!(e.starts_with("site.toml: sensors[2]"), "{e}");
    assert!(e.contains("missing field `position`"), "{e}");
}

#[test]
fn negative_rate() {
    let e = error(&broken(
        "rate_hz = 20.0\nlatency_s = 0.05\nnoise_m = 0.25\nazimuth_noise_deg = 0.5\ndoppler_noise_mps = 0.1\ndetection_probability = 0.9\nlisten = \"127.0.0.1:47603\"",
        "rate_hz = -20.0\nlatency_s = 0.05\nnoise_m = 0.25\nazimuth_noise_deg = 0.5\ndoppler_noise_mps = 0.1\ndetection_probability = 0.9\nlisten = \"127.0.0.1:47603\"",
    ));
    assert_eq!(
        e,
        "site.toml: sensors[2].rate_hz: must be positive, got -20"
    );
}

#[test]
fn nan_coordinates() {
    let e = error(&broken(
        "anchor = { lat_deg = 31.2304,",
        "anchor = { lat_deg = nan,",
    ));
    assert!(e.starts_with("site.toml: site.anchor:"), "{e}");
    let e = error(&broken(
        "position = { east_m = 18.0, north_m = 18.0, up_m = 6.0 }",
        "position = { east_m = nan, north_m = 18.0, up_m = 6.0 }",
    ));
    assert_eq!(
        e,
        "site.toml: sensors[0].position.east_m: NaN is not a finite number"
    );
}

#[test]
fn path_of_one_point() {
    let text = roadsight::scenario::DEFAULT;
    let at = text.find("id = \"pedestrian-1\"").expect("pedestrian");
    let line_start = at + text[at..].find("path = ").expect("path");
    let line_end = line_start + text[line_start..].find('\n').expect("eol");
    let index = text[..at].matches("[[road_users]]").count() - 1;
    let edited = format!(
        "{}path = [[-11.0, 18.0]]{}",
        &text[..line_start],
        &text[line_end..]
    );
    let e = error(&edited);
    assert_eq!(
        e,
        format!("site.toml: road_users[{index}].path: needs at least 2 points, got 1")
    );
}

#[test]
fn other_rules() {
    let e = error(&broken(
        "signal_group = 1\nmaneuvers = [\"straight\", \"right\"]\nconnects_to = [34, 24]",
        "signal_group = 9\nmaneuvers = [\"straight\", \"right\"]\nconnects_to = [34, 24]",
    ));
    assert!(
        e.contains("map.lanes[1].signal_group: no signal group 9"),
        "{e}"
    );
    let e = error(&broken("connects_to = [34, 24]", "connects_to = [34, 99]"));
    assert!(e.contains("map.lanes[1].connects_to[1]: no lane 99"), "{e}");
    let e = error(&broken(
        "start_time = \"2026-11-23T08:00:00Z\"",
        "start_time = \"yesterday\"",
    ));
    assert!(e.contains("run.start_time"), "{e}");
    let e = error(&broken("rsu_id = \"RSU00042\"", "rsu_id = \"RSU42\""));
    assert!(
        e.contains("site.rsu_id: must be exactly 8 ASCII characters"),
        "{e}"
    );
    // Not TOML at all: the line is named.
    let e = error("version = 1\n[site\n");
    assert!(e.starts_with("site.toml:") && e.contains("line 2"), "{e}");
    // A missing file names the file.
    let e = Scenario::load(Path::new("/nonexistent/site.toml"))
        .expect_err("missing")
        .to_string();
    assert!(e.starts_with("/nonexistent/site.toml:"), "{e}");
}

#[test]
fn camera_settings_are_checked() {
    let first_camera = "camera = { pixel_noise_px = 1.0 }\ndetection_probability = 0.95\nlisten = \"127.0.0.1:47601\"";
    let e = error(&broken(
        first_camera,
        "camera = { pixel_noise_px = 1.0 }\nnoise_m = 0.5\ndetection_probability = 0.95\nlisten = \"127.0.0.1:47601\"",
    ));
    assert_eq!(
        e,
        "site.toml: sensors[0].noise_m: is a radar setting; a camera's noise is camera.pixel_noise_px"
    );
    let e = error(&broken(
        first_camera,
        "camera = { pixel_noise_px = 1.0, pitch_deg = -5.0 }\ndetection_probability = 0.95\nlisten = \"127.0.0.1:47601\"",
    ));
    assert!(
        e.starts_with("site.toml: sensors[0].camera.pitch_deg: must be within"),
        "{e}"
    );
    let e = error(&broken(
        first_camera,
        "camera = { pixel_noise_px = 1.0, k1 = -0.9 }\ndetection_probability = 0.95\nlisten = \"127.0.0.1:47601\"",
    ));
    assert_eq!(
        e,
        "site.toml: sensors[0].camera.k1: folds the image back on itself"
    );
    let e = error(&broken(
        "listen = \"127.0.0.1:47601\"",
        "listen = \"127.0.0.1:port\"",
    ));
    assert!(e.starts_with("site.toml: sensors[0].listen"), "{e}");
}

// --- the map: lanes, connections, crosswalks, buildings -----------------------------------

/// The default scenario with `extra` tables appended.
fn with(extra: &str) -> String {
    format!("{}\n{extra}\n", roadsight::scenario::DEFAULT)
}

#[test]
fn the_new_map_tables_load() {
    let s = Scenario::parse(
        &with(
            "[[map.connections]]\nfrom = 22\nto = 13\nmaneuver = \"u_turn\"\nsignal_group = 3\n\
             [[map.crosswalks]]\nid = 101\napproach = \"north\"\npolygon = [[-8.0, 14.0], [8.0, 14.0], [8.0, 18.0], [-8.0, 18.0]]\nsignal_group = 4\n\
             [[map.crosswalks]]\nid = 102\napproach = \"south\"\ncentreline = [[-8.0, -16.0], [8.0, -16.0]]\nwidth_m = 4.0\n\
             [[map.buildings]]\nname = \"corner shop\"\nfootprint = [[20.0, 20.0], [40.0, 20.0], [40.0, 40.0], [20.0, 40.0]]\nheight_m = 9.0\n",
        ),
        Path::new("site.toml"),
    )
    .expect("loads");
    let m = roadsight::map::SiteMap::from_spec(&s.map);
    assert_eq!(m.crosswalks.len(), 2);
    assert!((m.crosswalks[0].width_m - 4.0).abs() < 1e-9);
    assert_eq!(m.buildings[0].height_m, Some(9.0));
    let u = m
        .connections
        .iter()
        .find(|c| c.from == 22 && c.to == 13)
        .unwrap();
    assert_eq!(u.maneuver, roadsight::scenario::Maneuver::UTurn);
}

#[test]
fn a_lane_with_a_repeated_point() {
    let e = error(&broken(
        "centreline = [[-1.75, 150.0], [-1.75, 15.0]]",
        "centreline = [[-1.75, 150.0], [-1.75, 150.0], [-1.75, 15.0]]",
    ));
    assert_eq!(
        e,
        "site.toml: map.lanes[0].centreline[1]: repeats the point before it (segments need length)"
    );
    let e = error(&broken(
        "centreline = [[-1.75, 150.0], [-1.75, 15.0]]",
        "centreline = [[-1.75, 15.0], [-1.75, 15.0]]",
    ));
    assert_eq!(e, "site.toml: map.lanes[0].centreline: has zero length");
    let e = error(&broken(
        "centreline = [[-1.75, 150.0], [-1.75, 15.0]]",
        "centreline = [[-1.75, inf], [-1.75, 15.0]]",
    ));
    assert_eq!(
        e,
        "site.toml: map.lanes[0].centreline[0]: inf is not a finite number"
    );
}

#[test]
fn a_connection_to_a_lane_that_does_not_exist() {
    let e = error(&with(
        "[[map.connections]]\nfrom = 11\nto = 99\nmaneuver = \"straight\"\nsignal_group = 2",
    ));
    assert_eq!(e, "site.toml: map.connections[0].to: no lane 99 in the map");
    let e = error(&with(
        "[[map.connections]]\nfrom = 13\nto = 33\nmaneuver = \"straight\"",
    ));
    assert_eq!(
        e,
        "site.toml: map.connections[0].from: lane 13 is not an ingress lane"
    );
    // The shorthand already connects 11 → 43: one way to say it.
    let e = error(&with(
        "[[map.connections]]\nfrom = 11\nto = 43\nmaneuver = \"left\"\nsignal_group = 2",
    ));
    assert_eq!(
        e,
        "site.toml: map.connections[0].to: lane 11 → lane 43 is already connected by map.lanes[0].connects_to[0]"
    );
    let e = error(&with(
        "[[map.connections]]\nfrom = 22\nto = 13\nmaneuver = \"u_turn\"\nsignal_group = 9",
    ));
    assert_eq!(
        e,
        "site.toml: map.connections[0].signal_group: no signal group 9 in signal.groups"
    );
    let e = error(&with(
        "[[map.connections]]\nfrom = 22\nto = 13\nmaneuver = \"sideways\"",
    ));
    assert!(
        e.starts_with("site.toml: map.connections[0].maneuver: unknown variant `sideways`"),
        "{e}"
    );
}

#[test]
fn a_group_green_twice_per_cycle() {
    let at = |window: &str| {
        broken(
            "green_s = 20.0\nyellow_s = 3.0\n\n[[signal.groups]]\nid = 2",
            &format!(
                "green_s = 20.0\nyellow_s = 3.0\n\n[[signal.groups.more_greens]]\n{window}\n\n\
                 [[signal.groups]]\nid = 2"
            ),
        )
    };
    // Group 1 is green 0-20 s, yellow to 23 s, in a 72 s cycle.
    let ok = at("start_s = 60.0\ngreen_s = 6.0\nyellow_s = 3.0");
    let s = Scenario::parse(&ok, Path::new("site.toml")).expect("a second green");
    assert_eq!(
        s.signal.as_ref().expect("a plan").groups[0]
            .more_greens
            .len(),
        1
    );
    assert_eq!(
        error(&at("start_s = 10.0\ngreen_s = 6.0\nyellow_s = 3.0")),
        "site.toml: signal.groups[0].more_greens: the green from 0 s (with its yellow) \
         overlaps the green from 10 s"
    );
    assert_eq!(
        error(&at("start_s = 30.0\ngreen_s = 40.0\nyellow_s = 3.0")),
        "site.toml: signal.groups[0].more_greens: the green from 30 s (with its yellow) \
         overlaps the green from 0 s"
    );
    // Green and yellow all cycle long: never red, as SUMO programs have it; not longer.
    let never_red = at("start_s = 23.0\ngreen_s = 46.0\nyellow_s = 3.0");
    Scenario::parse(&never_red, Path::new("site.toml")).expect("a group never red");
    assert_eq!(
        error(&at("start_s = 23.0\ngreen_s = 47.0\nyellow_s = 3.0")),
        "site.toml: signal.groups[0].green_s: green and yellow (73 s) are longer than the \
         cycle (72 s)"
    );
    // An actuated controller predicts from the red: it needs one.
    let actuated = broken(
        "green_start_s = 0.0\ngreen_s = 20.0\nyellow_s = 3.0",
        "green_start_s = 0.0\ngreen_s = 69.0\nyellow_s = 3.0",
    )
    .replacen("[signal]\n", "[signal]\nkind = \"actuated\"\n", 1);
    // Green all cycle means green_s = cycle_s exactly, not longer.
    let longer = actuated.replacen(
        "green_s = 69.0\nyellow_s = 3.0",
        "green_s = 80.0\nyellow_s = 0.0",
        1,
    );
    assert_eq!(
        error(&longer),
        "site.toml: signal.groups[0].green_s: an actuated plan's green and yellow must leave \
         some red in the cycle, unless the group is green all cycle (green_s = cycle_s, no yellow)"
    );
    assert_eq!(
        error(&actuated),
        "site.toml: signal.groups[0].green_s: an actuated plan's green and yellow must leave \
         some red in the cycle, unless the group is green all cycle (green_s = cycle_s, no yellow)"
    );
    assert_eq!(
        error(&at("start_s = 72.0\ngreen_s = 6.0\nyellow_s = 3.0")),
        "site.toml: signal.groups[0].more_greens[0].start_s: must be within the cycle"
    );
}

#[test]
fn a_group_never_green() {
    let never = "green_start_s = 0.0\ngreen_s = 0.0\nyellow_s = 0.0";
    let ok = broken("green_start_s = 0.0\ngreen_s = 20.0\nyellow_s = 3.0", never);
    let s = Scenario::parse(&ok, Path::new("site.toml")).expect("red all cycle");
    assert_eq!(s.signal.as_ref().expect("a plan").groups[0].green_s, 0.0);
    let why = "site.toml: signal.groups[0].green_s: a green of 0 s (never green: red all cycle) \
               has no yellow_s or more_greens";
    assert_eq!(
        error(&broken(
            "green_start_s = 0.0\ngreen_s = 20.0\nyellow_s = 3.0",
            "green_start_s = 0.0\ngreen_s = 0.0\nyellow_s = 3.0"
        )),
        why
    );
    assert_eq!(
        error(&broken(
            "green_start_s = 0.0\ngreen_s = 20.0\nyellow_s = 3.0",
            "green_start_s = 0.0\ngreen_s = -1.0\nyellow_s = 3.0"
        )),
        "site.toml: signal.groups[0].green_s: must not be negative, got -1"
    );
}

#[test]
fn a_signal_group_without_lanes() {
    let group = "[[signal.groups]]\nid = 9\ngreen_start_s = 40.0\ngreen_s = 5.0\nyellow_s = 3.0\n";
    let e = error(&with(group));
    assert_eq!(
        e,
        "site.toml: signal.groups[4].id: signal group 9 controls no lane"
    );
    // A connection (or a crosswalk) it controls is enough.
    let ok = with(&format!(
        "{group}[[map.connections]]\nfrom = 22\nto = 13\nmaneuver = \"u_turn\"\nsignal_group = 9"
    ));
    Scenario::parse(&ok, Path::new("site.toml")).expect("a group with a connection");
}

/// A plan has at most the 16 phases a CN SPAT carries per intersection.
#[test]
fn more_signal_groups_than_a_spat_carries() {
    let groups: String = (10..23)
        .map(|id| format!("[[signal.groups]]\nid = {id}\ngreen_start_s = 40.0\ngreen_s = 5.0\nyellow_s = 3.0\n"))
        .collect();
    let e = error(&with(&groups));
    assert!(
        e.starts_with("site.toml: signal.groups: 17 signal groups: a plan has 1 to 16"),
        "{e}"
    );
}

/// Without `[signal]` the site is unsignalised and loads; but then nothing in the map may
/// name a signal group.
#[test]
fn a_site_without_a_signal_plan() {
    let unsignalised = scenario_without_signal();
    let s = Scenario::parse(&unsignalised, Path::new("site.toml")).expect("an unsignalised site");
    assert!(s.signal.is_none());
    let e = error(&scenario_without_signal_keeping_groups());
    assert!(
        e.starts_with(
            "site.toml: map.lanes[0].signal_group: signal group 2, but there is no [signal]"
        ),
        "{e}"
    );
}

/// The default scenario's text without its `[signal]` tables.
fn scenario_without_signal_keeping_groups() -> String {
    let text = roadsight::scenario::DEFAULT;
    let (head, rest) = text.split_at(text.find("[signal]").expect("[signal]"));
    format!(
        "{head}{}",
        &rest[rest.find("[[sensors]]").expect("sensors")..]
    )
}

/// ... and without any lane's signal group either.
fn scenario_without_signal() -> String {
    scenario_without_signal_keeping_groups()
        .lines()
        .filter(|l| !l.starts_with("signal_group = "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn degenerate_crosswalks_and_buildings() {
    let cw = |shape: &str| {
        error(&with(&format!(
            "[[map.crosswalks]]\nid = 101\napproach = \"north\"\n{shape}"
        )))
    };
    assert_eq!(
        cw("polygon = [[0.0, 14.0], [8.0, 14.0]]"),
        "site.toml: map.crosswalks[0].polygon: a polygon needs at least 3 points, got 2"
    );
    assert_eq!(
        cw("polygon = [[0.0, 14.0], [4.0, 14.0], [8.0, 14.0]]"),
        "site.toml: map.crosswalks[0].polygon: encloses no area (its points are on one line)"
    );
    assert_eq!(
        cw("polygon = [[0.0, 14.0], [4.0, nan], [8.0, 18.0]]"),
        "site.toml: map.crosswalks[0].polygon[1]: NaN is not a finite number"
    );
    assert_eq!(
        cw("centreline = [[0.0, 14.0], [8.0, 14.0]]"),
        "site.toml: map.crosswalks[0].width_m: a crosswalk centreline needs a width"
    );
    assert_eq!(
        cw(""),
        "site.toml: map.crosswalks[0].polygon: give either a polygon or a centreline with width_m"
    );
    let e = error(&with(
        "[[map.crosswalks]]\nid = 11\napproach = \"north\"\ncentreline = [[0.0, 14.0], [8.0, 14.0]]\nwidth_m = 3.0",
    ));
    assert!(
        e.starts_with("site.toml: map.crosswalks[0].id: lane id 11 is reserved or used twice"),
        "{e}"
    );
    assert_eq!(
        error(&with(
            "[[map.buildings]]\nfootprint = [[20.0, 20.0], [40.0, 40.0], [30.0, 30.0]]"
        )),
        "site.toml: map.buildings[0].footprint: encloses no area (its points are on one line)"
    );
    assert_eq!(
        error(&with(
            "[[map.buildings]]\nfootprint = [[20.0, 20.0], [40.0, 20.0], [30.0, 30.0]]\nheight_m = -3.0"
        )),
        "site.toml: map.buildings[0].height_m: must be positive, got -3"
    );
}

/// The default scenario with a `[[links.rsu]]` table (and whatever else `extra` adds) after it.
fn with_link(link: &str) -> String {
    format!(
        "{}\n[[links.rsu]]\nname = \"rsu-a\"\naddress = \"127.0.0.1:1516\"\n{link}\n",
        roadsight::scenario::DEFAULT
    )
}

#[test]
fn bad_links_are_named() {
    let ok = Scenario::parse(&with_link("format = \"uper\""), Path::new("site.toml"))
        .expect("a plain UPER link loads");
    assert_eq!(ok.links.rsu[0].queue, 16);
    assert_eq!(ok.links.rsu[0].messages.len(), 4);
    assert_eq!(
        error(&with_link("format = \"ifm\"\npsid = { rsm = 1, spat = 2, map = 3 }")),
        "site.toml: links.rsu[0].psid.rsi: format \"ifm\" needs the PSID of every message kind it sends, and RSI is sent"
    );
    // Only the kinds it sends need one.
    Scenario::parse(
        &with_link("format = \"ifm\"\nmessages = [\"spat\"]\npsid = { spat = 0x8002 }"),
        Path::new("site.toml"),
    )
    .expect("an IFM link for SPAT alone needs only its PSID");
    // MAPEM goes only where it is listed, and then needs its PSID (ETSI ITS-AID 138, RLT).
    assert!(!ok.links.rsu[0]
        .messages
        .contains(&roadsight::pipeline::MessageKind::Mapem));
    assert_eq!(
        error(&with_link("format = \"ifm\"\nmessages = [\"map\", \"mapem\"]\npsid = { map = 3 }")),
        "site.toml: links.rsu[0].psid.mapem: format \"ifm\" needs the PSID of every message kind it sends, and MAPEM is sent"
    );
    Scenario::parse(
        &with_link("format = \"ifm\"\nmessages = [\"mapem\"]\npsid = { mapem = 138 }"),
        Path::new("site.toml"),
    )
    .expect("an IFM link for MAPEM with its PSID");
    let e = error(&with_link("format = \"json\""));
    assert!(e.starts_with("site.toml: links.rsu[0].format"), "{e}");
    assert!(e.contains("unknown variant `json`"), "{e}");
    let e = error(&with_link("messages = [\"cam\"]"));
    assert!(e.starts_with("site.toml: links.rsu[0].messages[0]"), "{e}");
    assert_eq!(
        error(&with_link("priority = { spat = 9 }")),
        "site.toml: links.rsu[0].priority.spat: 9 is not 0..=7"
    );
    assert_eq!(
        error(&with_link("type = { rsm = \"RSM\\nPSID=1\" }")),
        "site.toml: links.rsu[0].type.rsm: \"RSM\\nPSID=1\" is not 1 to 16 letters, digits or '_'"
    );
    assert_eq!(
        error(&with_link("queue = 0")),
        "site.toml: links.rsu[0].queue: 0 is not within 1..=65536"
    );
    assert_eq!(
        error(&with_link("messages = []")),
        "site.toml: links.rsu[0].messages: names no message kind"
    );
    let e = error(&format!(
        "{}\n[[links.rsu]]\nname = \"rsu-a\"\naddress = \"rsu.local\"\n",
        roadsight::scenario::DEFAULT
    ));
    assert!(e.starts_with("site.toml: links.rsu[0]"), "{e}");
    assert_eq!(
        error(&format!(
            "{}[[links.rsu]]\nname = \"rsu-a\"\naddress = \"127.0.0.2:1516\"\n",
            with_link("")
        )),
        "site.toml: links.rsu[1].name: duplicate link name \"rsu-a\""
    );
    assert_eq!(
        error(&with_link("").replace("127.0.0.1:1516", "0.0.0.0:1516")),
        "site.toml: links.rsu[0].address: 0.0.0.0:1516 is not a destination (port 0 or unspecified host)"
    );
}
