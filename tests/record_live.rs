//! A log recorded by the live service replays to what the service sent: `simulate` plays the
//! default scenario's sensors to `serve` over loopback UDP in real time, `serve` records, and
//! the replay of that log gives the same V2X messages (bytes and times), the same hazard
//! events and the same tracks.

use roadsight::pipeline::MessageKind;
use roadsight::record::read::Log;
use roadsight::record::{RecordConfig, RecordRequest, RecordTarget, Topic};
use roadsight::replay::diff::{diff, DiffOptions};
use roadsight::replay::log::{replay, ReplayOptions};
use roadsight::scenario::Scenario;
use roadsight::service::{serve, simulate, Inputs, LiveInputs, ServeOptions};
use std::net::UdpSocket;
use std::time::Duration;

#[test]
fn a_live_log_replays_to_the_live_outputs() {
    let mut s = Scenario::default_scenario().expect("default scenario");
    for spec in &mut s.sensors {
        spec.listen = Some("127.0.0.1:0".parse().unwrap());
    }
    let inputs = LiveInputs::bind(&s).expect("bind sensor inputs");
    let addrs = inputs.addrs();
    let targets: Vec<_> = (0..s.sensors.len() as u16)
        .map(|i| addrs.iter().find(|(j, _)| *j == i).map(|(_, a)| *a))
        .collect();
    let rsu = UdpSocket::bind("127.0.0.1:0").expect("rsu socket");
    let dir = std::env::temp_dir().join(format!("roadsight-reclive-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let opts = ServeOptions {
        udp: vec![rsu.local_addr().unwrap()],
        record: Some(RecordRequest {
            target: RecordTarget::Dir(RecordConfig {
                dir: dir.clone(),
                ..RecordConfig::default()
            }),
            config_toml: roadsight::scenario::DEFAULT.to_string(),
        }),
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let served = rt.block_on(async {
        let service = serve(&s, &opts, Inputs::Live(inputs), None, async {
            stop_rx.await.ok();
        });
        let player = async {
            // 40 s into the scenario the intersection is busy.
            let played = simulate(
                &s,
                &targets,
                40.0,
                tokio::time::sleep(Duration::from_secs(5)),
            )
            .await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            stop_tx.send(()).ok();
            played
        };
        let (served, played) = tokio::join!(service, player);
        played.expect("simulate");
        served.expect("serve")
    });
    assert!(served.datagrams_in > 100, "{served:?}");

    let live = Log::open(&[dir]).expect("read the live log");
    assert!(live.truncated.is_none(), "{:?}", live.truncated);
    assert_eq!(live.info.source, "serve");
    let n = |log: &Log, t: Topic| log.entries.iter().filter(|e| e.topic == t).count();
    let datagrams = live
        .entries
        .iter()
        .filter(|e| matches!(e.topic, Topic::Sensor(_)))
        .count() as u64;
    // Every datagram the service took in is in the log.
    assert_eq!(
        datagrams,
        served.datagrams_in - served.datagrams_dropped,
        "{served:?}"
    );
    let rsm = n(&live, Topic::V2x(MessageKind::Rsm));
    assert_eq!(
        rsm as u64,
        served.stats.messages[&MessageKind::Rsm],
        "every RSM sent is in the log"
    );
    assert!(rsm > 30, "{rsm} RSMs in about 5 s");
    // Tracks were made from the live datagrams.
    assert!(served.stats.tracks_confirmed > 0, "{served:?}");

    let out = std::env::temp_dir().join(format!(
        "roadsight-reclive-{}-replay.mcap",
        std::process::id()
    ));
    let opts = ReplayOptions {
        out: Some(out.clone()),
        ..Default::default()
    };
    let summary = replay(&live, &opts, &mut |_, _| {}).expect("replay");
    assert_eq!(summary.messages, served.stats.messages, "{summary}");
    let replayed = Log::open(&[out]).expect("read the replay");
    let report = diff(&live, &replayed, &DiffOptions::default());
    assert!(report.equal, "{report}");
    assert_eq!(
        report.messages["RSM"].count_a, rsm as u64,
        "the diff compared every RSM"
    );
}
