//! The bundled scenarios are what their scripts make: the scripts' own checks (no vehicle
//! enters on red, none drives into the one ahead, rush hour has no conflict in its ground
//! truth) hold for what is bundled, and a change to a generator cannot drift from its output.

mod common;

use std::path::Path;

fn same_dir(fresh: &Path, bundled: &Path) {
    let mut names: Vec<_> = std::fs::read_dir(fresh)
        .expect("fresh dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "the script wrote nothing");
    for name in names {
        let made = std::fs::read_to_string(fresh.join(&name)).expect("made");
        let kept = std::fs::read_to_string(bundled.join(&name)).expect("bundled");
        assert!(
            made == kept,
            "{} differs from what its script makes now: rerun the script",
            bundled.join(&name).display()
        );
    }
}

#[test]
fn the_default_scenario_is_what_its_script_makes() {
    let (code, out, err) = common::run_tool("make_default_scenario.py", &[], "");
    assert_eq!(code, 0, "{err}");
    let kept = std::fs::read_to_string(common::repo().join("scenarios/default.toml"))
        .expect("default.toml");
    assert!(
        out == kept,
        "scenarios/default.toml differs from what the script makes"
    );
}

#[test]
fn the_fusion_and_hazard_scenarios_are_what_their_scripts_make() {
    let tmp = std::env::temp_dir().join(format!("roadsight-gen-{}", std::process::id()));
    for (script, dir) in [
        ("make_fusion_scenarios.py", "fusion"),
        ("make_hazard_scenarios.py", "hazards"),
    ] {
        let out = tmp.join(dir);
        let out_arg = out.to_string_lossy().to_string();
        let (code, _, err) = common::run_tool(script, &["--out", &out_arg], "");
        assert_eq!(code, 0, "{script}: {err}");
        same_dir(&out, &common::repo().join("scenarios").join(dir));
    }
    std::fs::remove_dir_all(&tmp).ok();
}
