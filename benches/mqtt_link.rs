//! Messages per second through the TCC MQTT link to a local Mosquitto (started by the bench
//! on a free loopback port, as the tests do): durable events (on-disk queue, QoS 1, counted
//! when the broker acknowledges them) and periodic tracks (QoS 0, counted when written).
//!
//! `cargo bench --bench mqtt_link`; figures in BENCHMARKS.md.

#[path = "../tests/common/broker.rs"]
mod broker;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use roadsight::link::mqtt::MqttLink;
use roadsight::link::stats::LinkRegistry;
use roadsight::tcc::{Publish, TccConfig, Topic};
use roadsight::time::Timestamp;
use std::time::{Duration, Instant};

/// A hazard event as the feed sends it (about 600 bytes).
const EVENT: &str = r#"{"schema":"roadsight.tcc/1","type":"event","site":"bench","run":"2026-11-23T08:00:00.000000Z","seq":0,"time":"2026-11-23T08:00:01.000000Z","category":"hazard","phase":"start","id":17,"kind":"intersection_collision","road_users":[3,8],"classes":["car","car"],"sensors":["cam-north","radar-east"],"priority":6,"point":[4.2,-3.1],"rule":"ttc below threshold","values":{"ttc_s":2.4,"time_to_conflict_s":2.9,"distance_m":31.0,"speed_mps":12.5,"beyond_line_of_sight":true},"started":"2026-11-23T08:00:01.000000Z","lat_deg":31.23036,"lon_deg":121.47374}"#;

fn bench(c: &mut Criterion) {
    let b = broker::Broker::start("bench");
    let qdir = std::env::temp_dir().join(format!("roadsight-bench-q-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&qdir);
    let cfg: TccConfig = toml::from_str(&format!(
        "broker = {:?}\nsite_id = \"bench\"\nqueue_dir = {:?}\nperiodic_queue = 1024",
        b.url(),
        qdir.display().to_string()
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let registry = LinkRegistry::default();
    let link = rt.block_on(async {
        let link = MqttLink::spawn(&cfg, &registry).unwrap_or_else(|e| panic!("{e}"));
        // Wait for the connection.
        let t0 = Instant::now();
        while !registry.snapshot()[0].up && t0.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        link
    });
    const N: u64 = 1000;
    let mut g = c.benchmark_group("mqtt_link");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    for (name, topic) in [
        ("events_qos1_disk", Topic::Events),
        ("tracks_qos0", Topic::Tracks),
    ] {
        let key = topic.suffix();
        g.bench_function(name, |bch| {
            bch.iter_custom(|iters| {
                rt.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let before = registry.snapshot()[0]
                            .messages
                            .get(key)
                            .map_or(0, |m| m.sent + m.dropped);
                        let t0 = Instant::now();
                        for _ in 0..N {
                            link.offer(Publish {
                                topic,
                                payload: EVENT.as_bytes().to_vec(),
                                time: Timestamp::from_micros(0),
                            });
                            // The channel holds 1024: let the link drain it as a live feed would.
                            tokio::task::yield_now().await;
                        }
                        loop {
                            let done = registry.snapshot()[0]
                                .messages
                                .get(key)
                                .map_or(0, |m| m.sent + m.dropped);
                            if done >= before + N {
                                break;
                            }
                            tokio::task::yield_now().await;
                        }
                        total += t0.elapsed();
                    }
                    total
                })
            })
        });
    }
    g.finish();
    let snap = registry.snapshot()[0].clone();
    for (k, m) in &snap.messages {
        eprintln!(
            "{k}: sent {} dropped {} errors {}",
            m.sent, m.dropped, m.errors
        );
    }
    rt.block_on(link.close());
    let _ = std::fs::remove_dir_all(&qdir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
