//! `roadsight serve` reloads its site file on SIGHUP: good hazard settings are applied, a
//! broken file is refused (logged) and the settings in force stay; the service runs on.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill {sig}");
}

fn wait_for(path: &std::path::Path, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "no {needle:?} in the event log:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sighup_reloads_good_settings_and_refuses_bad_ones() {
    let dir = std::env::temp_dir().join(format!("roadsight-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (site, events) = (dir.join("site.toml"), dir.join("events.jsonl"));
    let default = roadsight::scenario::DEFAULT.replace(":4760", ":0");
    std::fs::write(&site, &default).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_roadsight"))
        .arg("serve")
        .arg("--config")
        .arg(&site)
        .arg("--events")
        .arg(&events)
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    // Serving once the first MAP is logged.
    wait_for(&events, r#""kind":"map""#);
    std::fs::write(
        &site,
        format!("{default}\n[hazards]\ncollision = {{ enabled = false }}\n"),
    )
    .unwrap();
    signal(child.id(), "-HUP");
    wait_for(&events, r#""event":"config_reloaded""#);
    std::fs::write(
        &site,
        format!("{default}\n[hazards]\ncollision = {{ pet_s = -1.0 }}\n"),
    )
    .unwrap();
    signal(child.id(), "-HUP");
    let log = wait_for(&events, r#""event":"config_rejected""#);
    assert!(log.contains("hazards.collision.pet_s"), "{log}");
    signal(child.id(), "-TERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "serve did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
    std::fs::remove_dir_all(&dir).ok();
}
