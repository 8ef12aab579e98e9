//! Links on loopback.
//!
//! - `rsu_link/{uper,ifm}`: messages per second through one RSU link (queue → task →
//!   UDP socket → a receiver on loopback), a 455-byte RSM-sized payload, batches of 64.
//! - `serve_latency` (printed, one 10 s run): the live service fed the default scenario's
//!   simulated cameras and radars over UDP in real time, sending to an RSU on loopback. For
//!   every RSM datagram: from the instant its world model was made (its participants'
//!   `secMark`, ms resolution) to its arrival at the RSU, p50/p99. And for every sensor
//!   datagram (relayed through a socket that notes when it passed): from then to the
//!   arrival of the first RSM built after it, which is the wait for the next 10 Hz cycle
//!   (0–100 ms, by design of the periodic RSM) plus the cycle → wire time.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use roadsight::link::queue::LinkQueue;
use roadsight::link::{rsu, LinkInput};
use roadsight::pipeline::{MessageKind, Transmit};
use roadsight::scenario::links::{PerKind, RsuFormat, RsuLinkSpec, TxMode};
use roadsight::time::Timestamp;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

// Small enough that a batch of IFM text (~1.1 KB each) fits a default socket receive buffer.
const BATCH: usize = 64;

fn spec(format: RsuFormat, to: std::net::SocketAddr) -> RsuLinkSpec {
    RsuLinkSpec {
        name: "bench".into(),
        address: to,
        format,
        messages: MessageKind::CN.to_vec(),
        queue: 16,
        event_queue: 4 * BATCH,
        psid: PerKind {
            rsm: Some(0x8010),
            spat: Some(0x8002),
            map: Some(0xE000_0017),
            rsi: Some(0x8003),
            mapem: None,
        },
        priority: PerKind::default(),
        ifm_type: PerKind::default(),
        tx_mode: TxMode::Cont,
        tx_channel: 183,
        signature: false,
        retry_s: 1.0,
    }
}

fn rsu_link(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("rsu_link");
    g.throughput(Throughput::Elements(BATCH as u64));
    for (name, format) in [("uper", RsuFormat::Uper), ("ifm", RsuFormat::Ifm)] {
        let rx = rt
            .block_on(tokio::net::UdpSocket::bind("127.0.0.1:0"))
            .unwrap();
        let spec = spec(format, rx.local_addr().unwrap());
        let input = LinkInput::new(
            "bench",
            "rsu",
            spec.messages.clone(),
            LinkQueue::new(spec.queue, spec.event_queue),
        );
        let _task = {
            let _guard = rt.enter();
            rsu::spawn(spec.clone(), input.clone())
        };
        // RSI is kept, never superseded: every message of a batch must arrive.
        let tx = Transmit {
            time: Timestamp::from_micros(0),
            kind: MessageKind::Rsi,
            bytes: vec![0x5a; 455],
            positions: Vec::new(),
        };
        let mut buf = vec![0u8; 65_536];
        g.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    for _ in 0..BATCH {
                        input.offer(&tx);
                    }
                    for _ in 0..BATCH {
                        rx.recv(&mut buf).await.unwrap();
                    }
                })
            })
        });
        input.close();
    }
    g.finish();
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn serve_latency(_c: &mut Criterion) {
    use roadsight::scenario::RsmTrigger;
    serve_latency_with(RsmTrigger::Timer);
    serve_latency_with(RsmTrigger::Frame);
}

/// The live service on loopback with RSMs started by `trigger`.
fn serve_latency_with(trigger: roadsight::scenario::RsmTrigger) {
    use roadsight::scenario::Scenario;
    use roadsight::service::{serve, simulate, Inputs, LiveInputs, ServeOptions};
    use roadsight::v2x::cn::{decode_frame, CnMessage};

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut s = Scenario::default_scenario().unwrap();
    s.messages.rsm_trigger = trigger;
    for x in &mut s.sensors {
        x.listen = Some("127.0.0.1:0".parse().unwrap());
    }
    let rsu = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    rsu.set_nonblocking(true).unwrap();
    s.links
        .rsu
        .push(spec(RsuFormat::Uper, rsu.local_addr().unwrap()));
    let inputs = LiveInputs::bind(&s).unwrap();
    let service_addrs: Vec<_> = (0..s.sensors.len() as u16)
        .map(|i| {
            inputs
                .addrs()
                .iter()
                .find(|(j, _)| *j == i)
                .map(|(_, a)| *a)
        })
        .collect();
    // One relay per sensor: the player sends to it, it notes the time and forwards.
    let relays: Vec<std::net::UdpSocket> = service_addrs
        .iter()
        .map(|_| std::net::UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    let targets: Vec<_> = relays
        .iter()
        .map(|r| Some(r.local_addr().unwrap()))
        .collect();
    let run = Duration::from_secs(10);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let got = rt.block_on(async {
        let rsu = tokio::net::UdpSocket::from_std(rsu).unwrap();
        let opts = ServeOptions::default();
        let service = serve(&s, &opts, Inputs::Live(inputs), None, async {
            stop_rx.await.ok();
        });
        let player = async {
            simulate(&s, &targets, 40.0, tokio::time::sleep(run))
                .await
                .ok();
            stop_tx.send(()).ok();
        };
        let receiver = async {
            let mut out = Vec::new();
            let mut buf = vec![0u8; 65_536];
            let until = tokio::time::Instant::now() + run + Duration::from_millis(300);
            while let Ok(Ok(n)) = tokio::time::timeout_at(until, rsu.recv(&mut buf)).await {
                let unix = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_secs_f64();
                out.push((unix, buf[..n].to_vec()));
            }
            out
        };
        let relay = async {
            let mut sent_in = Vec::new();
            let socks: Vec<_> = relays
                .into_iter()
                .map(|r| {
                    r.set_nonblocking(true).unwrap();
                    tokio::net::UdpSocket::from_std(r).unwrap()
                })
                .collect();
            let until = tokio::time::Instant::now() + run;
            let mut buf = vec![0u8; 65_536];
            loop {
                let recv = next_datagram(&socks, &mut buf);
                match tokio::time::timeout_at(until, recv).await {
                    Ok((i, n)) => {
                        let unix = SystemTime::now()
                            .duration_since(UNIX_EPOCH)
                            .unwrap()
                            .as_secs_f64();
                        if let Some(to) = service_addrs[i] {
                            let _ = socks[i].send_to(&buf[..n], to).await;
                        }
                        sent_in.push(unix);
                    }
                    Err(_) => break,
                }
            }
            sent_in
        };
        let (_, _, got, sent_in) = tokio::join!(service, player, receiver, relay);
        (got, sent_in)
    });
    let (got, sent_in) = got;
    // Cycle → wire: the RSM's secMark is the instant its world model was made.
    let mut cycle_ms = Vec::new();
    let mut rsm_made_out = Vec::new();
    for (unix, p) in &got {
        let Ok(f) = decode_frame(p) else { continue };
        if let Some(CnMessage::Rsm(r)) = CnMessage::from_frame(&f) {
            let Some(part) = r.participants.first() else {
                continue;
            };
            let minute = (unix / 60.0).floor() * 60.0;
            let mut made = minute + part.time_of_minute_s;
            if made > *unix + 30.0 {
                made -= 60.0;
            }
            cycle_ms.push((unix - made) * 1e3);
            rsm_made_out.push((made, *unix));
        }
    }
    // Detection in → the first RSM built after it, on the wire. secMark is whole
    // milliseconds, cut down: an RSM built within the millisecond of the datagram counts.
    let waits: Vec<(f64, f64)> = sent_in
        .iter()
        .filter_map(|&t_in| {
            rsm_made_out
                .iter()
                .find(|(made, _)| *made + 1e-3 > t_in)
                .map(|(_, out)| (t_in, (out - t_in) * 1e3))
        })
        .collect();
    let mut detection_ms: Vec<f64> = waits.iter().map(|w| w.1).collect();
    if cycle_ms.is_empty() {
        println!("serve_latency ({trigger:?}): no RSM received");
        return;
    }
    let n = cycle_ms.len();
    println!(
        "serve_latency ({trigger:?}): {n} RSM datagrams; cycle → RSU p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (secMark resolution 1 ms)",
        percentile(&mut cycle_ms, 0.5),
        percentile(&mut cycle_ms, 0.99),
        percentile(&mut cycle_ms, 1.0)
    );
    if let Some((t_in, worst)) = waits.iter().max_by(|a, b| a.1.total_cmp(&b.1)) {
        let since = t_in - sent_in.first().copied().unwrap_or(*t_in);
        println!("serve_latency ({trigger:?}): the slowest detection ({worst:.1} ms) came {since:.2} s after the first");
    }
    if !detection_ms.is_empty() {
        println!(
            "serve_latency ({trigger:?}): {} sensor datagrams; detection in → first RSM built after it at the RSU p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            detection_ms.len(),
            percentile(&mut detection_ms, 0.5),
            percentile(&mut detection_ms, 0.99),
            percentile(&mut detection_ms, 1.0)
        );
    }
}

/// The next datagram on any of `socks`: its socket's index and length.
async fn next_datagram(socks: &[tokio::net::UdpSocket], buf: &mut [u8]) -> (usize, usize) {
    std::future::poll_fn(|cx| {
        for (i, s) in socks.iter().enumerate() {
            let mut rb = tokio::io::ReadBuf::new(buf);
            if let std::task::Poll::Ready(Ok(_)) = s.poll_recv(cx, &mut rb) {
                return std::task::Poll::Ready((i, rb.filled().len()));
            }
        }
        std::task::Poll::Pending
    })
    .await
}

criterion_group!(benches, rsu_link, serve_latency);
criterion_main!(benches);
