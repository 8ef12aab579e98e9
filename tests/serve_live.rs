//! `roadsight serve`: the live service on the real clock sends decodable messages at their
//! rates over UDP and stops cleanly on SIGTERM, flushing its capture and event log.

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn receive_for(sock: &UdpSocket, secs: f64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 65_536];
    let end = Instant::now() + Duration::from_secs_f64(secs);
    while Instant::now() < end {
        if let Ok(n) = sock.recv(&mut buf) {
            out.push(buf[..n].to_vec());
        }
    }
    out
}

#[test]
fn serves_udp_and_stops_on_sigterm() {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    let addr = sock.local_addr().expect("addr").to_string();
    let dir = std::env::temp_dir().join(format!("roadsight-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (pcap, events) = (dir.join("live.pcap"), dir.join("events.jsonl"));
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/default.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_roadsight"))
        .args(["serve", "--simulate", "--config", config, "--udp", &addr])
        .arg("--pcap")
        .arg(&pcap)
        .arg("--events")
        .arg(&events)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start roadsight serve");
    let got = receive_for(&sock, 3.0);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr =
        std::io::read_to_string(child.stderr.take().expect("stderr")).expect("stderr text");
    assert!(exit.success(), "exit {exit:?}: {stderr}");
    assert!(stderr.contains("stopped after"), "{stderr}");

    // About 3 s of SPAT at 10 Hz and MAP at 1 Hz (timing on a shared machine is loose).
    let mut kinds = std::collections::BTreeMap::new();
    for d in &got {
        let f = roadsight::v2x::cn::decode_frame(d).expect("every datagram decodes");
        *kinds.entry(roadsight::v2x::cn::frame_kind(&f)).or_insert(0) += 1;
    }
    let spat = kinds.get("spatFrame").copied().unwrap_or(0);
    let map = kinds.get("mapFrame").copied().unwrap_or(0);
    assert!(
        (20..=40).contains(&spat),
        "SPAT datagrams in 3 s: {spat} ({kinds:?})"
    );
    assert!((2..=5).contains(&map), "MAP datagrams in 3 s: {map}");

    // Sinks were flushed on the way out: the capture is whole and holds what was sent.
    let cap = roadsight::link::pcap::read(&std::fs::read(&pcap).expect("pcap")).expect("capture");
    assert!(cap.error.is_none(), "{:?}", cap.error);
    assert!(
        cap.datagrams.len() >= got.len(),
        "{} captured, {} received",
        cap.datagrams.len(),
        got.len()
    );
    let log = std::fs::read_to_string(&events).expect("events");
    assert!(
        log.ends_with('\n')
            && log
                .lines()
                .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
    );
    std::fs::remove_dir_all(&dir).ok();
}
