//! Messages per second through the QUIC link on loopback: the service hands a burst of
//! 1,000 RSM-sized messages (300 bytes) to the link, which fans them out to N subscribed
//! clients; the time runs until every client has read every message. Server, clients and
//! fan-out share one tokio thread, so the figure is the link's whole CPU cost per message.
//! The client queue is set large enough for a burst, so nothing is dropped.

#[path = "../tests/common/pki.rs"]
mod pki;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use roadsight::clock::{Clock, SystemClock};
use roadsight::geo::GeoPoint;
use roadsight::link::quic::{ClientOptions, QuicServer, QuicSpec, SubscribeRequest, Subscriber};
use roadsight::link::stats::LinkRegistry;
use roadsight::pipeline::driver::Sink;
use roadsight::pipeline::{MessageKind, Transmit};
use std::time::{Duration, Instant};

const BURST: usize = 1000;

fn bench_fan_out(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let p = pki::make();
    let mut group = c.benchmark_group("quic_fan_out");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for clients in [1usize, 4, 16] {
        group.throughput(Throughput::Elements((clients * BURST) as u64));
        let mut spec = QuicSpec::new("127.0.0.1:0", &p.server_cert, &p.server_key, &p.ca);
        spec.client_queue = BURST;
        let (server, done_rx) = rt.block_on(async {
            let server = QuicServer::bind(&spec, &LinkRegistry::default()).expect("bind");
            let mut o = ClientOptions::new(server.local_addr(), p.ca.clone());
            o.server_name = "localhost".into();
            o.identity = Some((p.client_cert.clone(), p.client_key.clone()));
            let req = SubscribeRequest {
                types: vec!["RSM".into()],
                near: Some(GeoPoint::new(31.2304, 121.4737, None)),
                radius_m: Some(500.0),
            };
            let sub = req.check().expect("subscription");
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            for _ in 0..clients {
                let mut s = Subscriber::connect(&o, &sub).await.expect("subscribe");
                let tx = tx.clone();
                tokio::spawn(async move {
                    let mut n = 0;
                    while let Ok(Some(_)) = s.next().await {
                        n += 1;
                        if n % BURST == 0 && tx.send(()).is_err() {
                            break;
                        }
                    }
                });
            }
            (server, rx)
        });
        let mut done_rx = done_rx;
        let mut sink = server.sink();
        let positions = vec![GeoPoint::new(31.2305, 121.4738, None)];
        group.bench_function(BenchmarkId::from_parameter(clients), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    for i in 0..BURST {
                        let mut bytes = vec![0u8; 300];
                        bytes[0] = i as u8;
                        sink.transmit(&Transmit {
                            time: SystemClock.now(),
                            kind: MessageKind::Rsm,
                            bytes,
                            positions: positions.clone(),
                        });
                    }
                    rt.block_on(async {
                        for _ in 0..clients {
                            done_rx.recv().await.expect("a reader finished");
                        }
                    });
                    total += start.elapsed();
                }
                total
            })
        });
        let dropped: u64 = server.stats().messages.values().map(|m| m.dropped).sum();
        assert_eq!(dropped, 0, "the benchmark must not drop");
        rt.block_on(server.shutdown());
    }
    group.finish();
}

criterion_group!(benches, bench_fan_out);
criterion_main!(benches);
