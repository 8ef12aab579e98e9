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
