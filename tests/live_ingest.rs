//! The live path: `simulate` plays the default scenario's cameras (JSON pixel boxes) and
//! radars (ARS408 CAN frames over a UDP gateway) to `serve` on loopback, in real time. The
//! service tracks the road users from those datagrams and sends RSMs; malformed datagrams
//! and impossible boxes are counted and named per sensor while the sensor's other frames go
//! on.

use roadsight::scenario::Scenario;
use roadsight::service::{serve, simulate, Inputs, LiveInputs, ServeOptions};
use roadsight::v2x::cn::CnMessage;
use std::net::UdpSocket;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[test]
fn simulated_sensors_feed_the_live_service_over_udp() {
    let mut s = Scenario::default_scenario().expect("default scenario");
    for spec in &mut s.sensors {
        spec.listen = Some("127.0.0.1:0".parse().unwrap());
    }
    let inputs = LiveInputs::bind(&s).expect("bind sensor inputs");
    let addrs = inputs.addrs();
    assert_eq!(addrs.len(), 4);
    let targets: Vec<_> = (0..4u16)
        .map(|i| addrs.iter().find(|(j, _)| *j == i).map(|(_, a)| *a))
        .collect();
    let rsu = UdpSocket::bind("127.0.0.1:0").expect("rsu socket");
    rsu.set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let dir = std::env::temp_dir().join(format!("roadsight-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let events = dir.join("events.jsonl");
    let opts = ServeOptions {
        udp: vec![rsu.local_addr().unwrap()],
        event_log: Some(events.clone()),
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (served, simulated) = rt.block_on(async {
        let service = serve(&s, &opts, Inputs::Live(inputs), None, async {
            stop_rx.await.ok();
        });
        let player = async {
            // 40 s into the scenario the intersection is busy.
            let played = simulate(&s, &targets, 40.0, tokio::time::sleep(Duration::from_secs(5))).await;
            // Faults, each on one sensor: bytes that are not JSON, a frame naming another
            // camera, a box beyond the image, a cut-off CAN record.
            let bad = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64() * 1e3;
            let outside = format!(
                r#"{{"version":1,"sensor":"cam-sw","frame":1,"timestamp_ms":{now_ms},"objects":[{{"class":"car","confidence":0.9,"box":[100,500,2500,700]}}]}}"#
            );
            let sends: [(usize, &[u8]); 4] = [
                (0, b"{not json"),
                (0, outside.as_bytes()),
                (1, outside.as_bytes()),
                (2, &[0x08, 0, 0, 6, 0x0A, 1, 2]),
            ];
            for (i, bytes) in sends {
                bad.send_to(bytes, targets[i].unwrap()).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            stop_tx.send(()).ok();
            played
        };
        tokio::join!(service, player)
    });
    let served = served.expect("serve");
    let simulated = simulated.expect("simulate");
    let st = &served.stats;
    println!("simulated {simulated:?}\nserved {st:?}");

    // Every frame sent arrived and was accepted, and the faults were named and counted.
    assert!(simulated.frames > 250, "about 5 s × 60 frames/s");
    assert_eq!(served.datagrams_dropped, 0);
    assert_eq!(served.datagrams_in, simulated.datagrams + 4);
    assert_eq!(st.rejected_frames, 0);
    assert_eq!(
        st.frames,
        simulated.frames + 1,
        "the frame with the bad box is still a frame"
    );
    assert_eq!(st.malformed_datagrams.get(&0), Some(&2));
    assert_eq!(st.malformed_datagrams.get(&2), Some(&1));
    assert_eq!(st.rejected_detections.get(&1), Some(&1));
    let log = std::fs::read_to_string(&events).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(log.contains(r#""event":"input_malformed","#), "{log}");
    assert!(log.contains(r#"arrived on the port of \"cam-ne\""#));
    assert!(log.contains(
        r#""field":"objects[0].box.x_max","reason":"must be within the image (1920×1080 image)""#
    ));
    assert!(log.contains("ARS408: datagram byte 0: 7 trailing byte(s)"));

    // The live pipeline tracks what the sensors see and tells the road about it.
    assert!(st.detections > 1000, "{}", st.detections);
    assert!(st.tracks_confirmed >= 10, "{}", st.tracks_confirmed);
    let mut rsm_participants = 0;
    let mut buf = [0u8; 65_536];
    while let Ok(n) = rsu.recv(&mut buf) {
        let frame = roadsight::v2x::cn::decode_frame(&buf[..n]).expect("every datagram decodes");
        if let Some(CnMessage::Rsm(r)) = CnMessage::from_frame(&frame) {
            rsm_participants = rsm_participants.max(r.participants.len());
        }
    }
    assert!(
        rsm_participants >= 10,
        "RSMs carried at most {rsm_participants} road users"
    );
}
