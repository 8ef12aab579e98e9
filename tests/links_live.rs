//! The links of the live service, on loopback with real sockets: `serve` sends to two RSUs
//! (raw UPER and RSU 4.1 immediate-forward) and to a third whose port is closed, takes
//! vehicles' BSMs on a receive port, and answers `/metrics` and `/healthz`.
//!
//! - Every datagram each RSU gets decodes in an independent codec (Python asn1tools),
//!   field by field equal to ours; the IFM envelope's fields are the configured ones.
//! - RSM, SPAT and MAP arrive at the configured 10, 10 and 1 Hz.
//! - The dead RSU counts send errors and is reported down, while the others lose nothing.
//! - A BSM becomes a confirmed track at its position; a garbage datagram is counted and
//!   named as malformed for the BSM sensor.
//! - `/metrics` is valid Prometheus text (Prometheus' own Python parser) with those
//!   counters; `/healthz` is 503 naming the silent sensors and the dead link.

mod common;

use common::{hex, run_tool};
use roadsight::geo::{Enu, SiteFrame};
use roadsight::scenario::Scenario;
use roadsight::service::{serve, Inputs, LiveInputs, ServeOptions};
use roadsight::v2x::cn::bsm::{Bsm, ErrorEllipse};
use roadsight::v2x::cn::{decode_frame, frame_kind, CnMessage};
use roadsight::v2x::ifm;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long the service runs.
const RUN: Duration = Duration::from_millis(3400);

/// Where the test vehicle reports itself, in the site frame.
const VEHICLE: (f64, f64) = (25.0, -1.75);

fn site_text(uper: SocketAddr, ifm: SocketAddr, dead: SocketAddr) -> String {
    let mut text = roadsight::scenario::DEFAULT.to_string();
    for n in 1..=4 {
        text = text.replace(&format!("\"127.0.0.1:4760{n}\""), "\"127.0.0.1:0\"");
    }
    text.push_str(&format!(
        r#"
[[sensors]]
id = "obu"
kind = "bsm"
position = {{ east_m = 16.0, north_m = 16.0, up_m = 6.0 }}
yaw_deg = 0.0
fov_deg = 360.0
range_m = 300.0
rate_hz = 10.0
latency_s = 0.05
detection_probability = 1.0
listen = "127.0.0.1:0"

[[links.rsu]]
name = "rsu-uper"
address = "{uper}"

[[links.rsu]]
name = "rsu-ifm"
address = "{ifm}"
format = "ifm"
tx_channel = 172
psid = {{ rsm = 0x8010, spat = 0x8002, map = 0xE0000017, rsi = 0x8003 }}
priority = {{ spat = 5 }}
type = {{ rsm = "TEST00" }}

[[links.rsu]]
name = "rsu-dead"
address = "{dead}"
messages = ["rsm", "spat"]

[metrics]
listen = "127.0.0.1:0"
"#
    ));
    text
}

/// What one RSU received: arrival time and bytes of each datagram.
type Received = Vec<(Instant, Vec<u8>)>;

async fn receive(sock: tokio::net::UdpSocket, until: Instant) -> Received {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 65_536];
    while let Ok(Ok(n)) = tokio::time::timeout_at(until.into(), sock.recv(&mut buf)).await {
        out.push((Instant::now(), buf[..n].to_vec()));
    }
    out
}

async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).await.unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("HTTP response");
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status code");
    (code, body.to_string())
}

/// The BSM of the test vehicle now, as UPER.
fn bsm_now(site: &SiteFrame, n: u32) -> Vec<u8> {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let p = site.to_geo(Enu::new(VEHICLE.0, VEHICLE.1, 0.0));
    let mut bsm = Bsm::minimal(*b"VEHICLE1", p, unix % 60.0);
    bsm.msg_cnt = n % 128;
    bsm.error_ellipse = Some(ErrorEllipse {
        semi_major_m: Some(1.0),
        semi_minor_m: Some(0.5),
        orientation_rad: Some(0.0),
    });
    CnMessage::Bsm(Box::new(bsm)).encode().expect("BSM encodes")
}

/// Checks every payload in asn1tools, field by field against our own decoding.
fn asn1tools_agrees(what: &str, payloads: &[Vec<u8>]) {
    let mut input = String::new();
    for (i, p) in payloads.iter().enumerate() {
        let (jer, _) = roadsight::v2x::cn::decode_named("MessageFrame", p)
            .unwrap_or_else(|e| panic!("{what} datagram {i} does not decode here: {e}"));
        input.push_str(
            &json!({"id": i, "type": "MessageFrame", "uper": hex(p), "jer": jer}).to_string(),
        );
        input.push('\n');
    }
    let (code, out, err) = run_tool(
        "asn1_interop.py",
        &["check", "--require-bytes-equal"],
        &input,
    );
    let bad: Vec<&str> = out
        .lines()
        .filter(|l| serde_json::from_str::<Value>(l).map_or(true, |v| v["ok"] != true))
        .collect();
    assert!(
        code == 0 && bad.is_empty() && out.lines().count() == payloads.len(),
        "{what}: asn1tools disagrees (exit {code}) on {} of {}:\n{}\n{err}",
        bad.len(),
        payloads.len(),
        bad.iter().take(3).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// Datagrams per message type, with their arrival times.
fn by_type(payloads: &[(Instant, Vec<u8>)]) -> BTreeMap<&'static str, Vec<Instant>> {
    let mut m: BTreeMap<&'static str, Vec<Instant>> = BTreeMap::new();
    for (t, p) in payloads {
        let f = decode_frame(p).expect("decodes");
        m.entry(frame_kind(&f)).or_default().push(*t);
    }
    m
}

/// Messages per second between the first and the last arrival.
fn rate_hz(times: &[Instant]) -> f64 {
    let span = times.last().unwrap().duration_since(times[0]).as_secs_f64();
    (times.len() - 1) as f64 / span
}

#[test]
fn serve_sends_to_rsus_reads_bsms_and_reports_health() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let std_bind = || std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let (rsu_uper, rsu_ifm) = (std_bind(), std_bind());
    // A port nobody listens on: bound, noted, closed.
    let dead = std_bind().local_addr().unwrap();
    let text = site_text(
        rsu_uper.local_addr().unwrap(),
        rsu_ifm.local_addr().unwrap(),
        dead,
    );
    let s = Scenario::parse(&text, std::path::Path::new("links-site.toml")).expect("site loads");
    let site = SiteFrame::new(s.site.anchor);
    let obu_index = s.sensors.iter().position(|x| x.id == "obu").unwrap();
    let inputs = LiveInputs::bind(&s).expect("bind inputs");
    let obu = inputs
        .addrs()
        .into_iter()
        .find(|(i, _)| usize::from(*i) == obu_index)
        .map(|(_, a)| a)
        .unwrap();
    let metrics = inputs.metrics_addr().expect("metrics endpoint bound");

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (served, (got_uper, got_ifm), (metrics_text, health)) = rt.block_on(async {
        let until = Instant::now() + RUN + Duration::from_millis(800);
        let rx_uper = tokio::net::UdpSocket::from_std({
            rsu_uper.set_nonblocking(true).unwrap();
            rsu_uper
        })
        .unwrap();
        let rx_ifm = tokio::net::UdpSocket::from_std({
            rsu_ifm.set_nonblocking(true).unwrap();
            rsu_ifm
        })
        .unwrap();
        let opts = ServeOptions::default();
        let service = serve(&s, &opts, Inputs::Live(inputs), None, async {
            stop_rx.await.ok();
        });
        let receivers = async { tokio::join!(receive(rx_uper, until), receive(rx_ifm, until)) };
        let vehicle = async {
            let tx = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut replies = None;
            // 2.8 s of BSMs at 10 Hz, every other one in the immediate-forward envelope.
            for n in 0..28u32 {
                let uper = bsm_now(&site, n);
                let datagram = if n % 2 == 0 {
                    uper
                } else {
                    let mut out = Vec::new();
                    let env = ifm::Envelope {
                        msg_type: "BSM",
                        psid: 0x20,
                        priority: 2,
                        continuous: true,
                        channel: 183,
                        sign: false,
                    };
                    ifm::encode(&env, &uper, &mut out);
                    out
                };
                tx.send_to(&datagram, obu).await.unwrap();
                if n == 10 {
                    tx.send_to(b"\x00\x01 not a BSM", obu).await.unwrap();
                }
                // 2.5 s in: past the cameras' and radars' 2 s of silence.
                if n == 22 {
                    let m = http_get(metrics, "/metrics").await;
                    let h = http_get(metrics, "/healthz").await;
                    replies = Some((m, h));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            stop_tx.send(()).ok();
            replies.expect("asked")
        };
        tokio::join!(service, receivers, vehicle)
    });
    let served = served.expect("serve");
    let link = |name: &str| {
        served
            .links
            .iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("link {name}"))
            .clone()
    };

    // Raw UPER: every datagram is a MessageFrame asn1tools reads as we do.
    let uper: Vec<Vec<u8>> = got_uper.iter().map(|(_, p)| p.clone()).collect();
    asn1tools_agrees("rsu-uper", &uper);
    // IFM: the envelope carries the configured fields, and its payload decodes.
    let mut ifm_payloads = Vec::new();
    let mut ifm_timed = Vec::new();
    for (i, (_, d)) in got_ifm.iter().enumerate() {
        let r = ifm::decode(d).unwrap_or_else(|e| panic!("rsu-ifm datagram {i}: {e}"));
        assert_eq!(r.version, "0.7");
        let kind = frame_kind(&decode_frame(&r.payload).expect("payload decodes"));
        let (ty, psid, prio) = match kind {
            "rsmFrame" => ("TEST00", "0x8010", 6),
            "spatFrame" => ("SPAT", "0x8002", 5),
            "mapFrame" => ("MAP", "0xE0000017", 6),
            _ => ("RSI", "0x8003", 7),
        };
        assert_eq!(r.msg_type.as_deref(), Some(ty), "datagram {i}");
        assert_eq!(r.psid.as_deref(), Some(psid), "datagram {i}");
        let text = String::from_utf8(d.clone()).unwrap();
        assert!(text.contains(&format!("\nPriority={prio}\n")), "{text}");
        assert!(text.contains("\nTxMode=CONT\nTxChannel=172\n"), "{text}");
        ifm_payloads.push(r.payload);
        ifm_timed.push((got_ifm[i].0, ifm_payloads[i].clone()));
    }
    asn1tools_agrees("rsu-ifm", &ifm_payloads);

    // Rates as configured: 10 Hz RSM and SPAT, 1 Hz MAP. Timers are exact; a loopback
    // datagram's delay varies by well under a millisecond, so 3 % is generous.
    for got in [&got_uper, &ifm_timed] {
        let t = by_type(got);
        // RSMs go out while there is a track (the vehicle's, from its first BSMs on).
        for (kind, hz, least) in [("rsmFrame", 10.0, 15), ("spatFrame", 10.0, 30)] {
            let times = &t[kind];
            assert!(times.len() >= least, "{kind}: {} in 3.4 s", times.len());
            let r = rate_hz(times);
            assert!(
                (r - hz).abs() / hz < 0.03,
                "{kind} at {r:.3} Hz, configured {hz}"
            );
        }
        let maps = &t["mapFrame"];
        assert_eq!(maps.len(), 4, "MAP at 0, 1, 2 and 3 s");
        let r = rate_hz(maps);
        assert!((r - 1.0).abs() < 0.03, "MAP at {r:.3} Hz");
    }

    // Nothing lost on the good links; the dead one failed and was counted, not retried
    // forever in place of the others.
    for name in ["rsu-uper", "rsu-ifm"] {
        let l = link(name);
        let sent: u64 = l.messages.values().map(|c| c.sent).sum();
        let errors: u64 = l.messages.values().map(|c| c.errors).sum();
        let dropped: u64 = l.messages.values().map(|c| c.dropped).sum();
        assert_eq!((errors, dropped), (0, 0), "{name}: {l:?}");
        let got = if name == "rsu-uper" {
            &got_uper
        } else {
            &got_ifm
        };
        assert_eq!(
            sent,
            got.len() as u64,
            "{name}: every datagram sent arrived"
        );
    }
    let d = link("rsu-dead");
    let errors: u64 = d.messages.values().map(|c| c.errors).sum();
    assert!(
        errors >= 10,
        "sends to a closed port fail and are counted: {d:?}"
    );
    assert!(
        d.messages.keys().all(|k| k == "RSM" || k == "SPAT"),
        "{d:?}"
    );
    assert!(
        d.last_error
            .as_deref()
            .is_some_and(|e| e.contains("refused")),
        "{d:?}"
    );

    // The vehicle's BSMs made a track where it said it was; the garbage was named.
    let st = &served.stats;
    assert!(st.tracks_confirmed >= 1, "{st:?}");
    let obu_i = obu_index as u16;
    assert_eq!(st.malformed_datagrams.get(&obu_i), Some(&1), "{st:?}");
    let mut nearest = f64::INFINITY;
    for (_, p) in &got_uper {
        if let Some(CnMessage::Rsm(r)) = CnMessage::from_frame(&decode_frame(p).unwrap()) {
            for part in &r.participants {
                let e = site.to_enu(part.position);
                nearest = nearest.min((e.east_m - VEHICLE.0).hypot(e.north_m - VEHICLE.1));
            }
        }
    }
    assert!(
        nearest < 1.0,
        "nearest RSM participant {nearest:.2} m from the BSM position"
    );

    // Metrics: valid exposition text, read by Prometheus' own parser.
    let (code, body) = metrics_text;
    assert_eq!(code, 200);
    let (pc, out, err) = run_tool("prom_parse.py", &[], &body);
    assert_eq!(pc, 0, "{err}\n{body}");
    let samples: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let value = |name: &str, labels: &[(&str, &str)]| -> Option<f64> {
        samples
            .iter()
            .find(|s| s["name"] == name && labels.iter().all(|(k, v)| s["labels"][*k] == *v))
            .and_then(|s| s["value"].as_f64())
    };
    assert_eq!(
        value("roadsight_input_malformed_total", &[("sensor", "obu")]),
        Some(1.0)
    );
    assert!(value("roadsight_input_datagrams_total", &[("sensor", "obu")]) >= Some(20.0));
    assert!(value("roadsight_messages_total", &[("type", "RSM")]) >= Some(10.0));
    assert!(value("roadsight_messages_total", &[("type", "SPAT")]) >= Some(20.0));
    assert!(value("roadsight_tracks", &[]) >= Some(1.0));
    // ICMP "port unreachable" fails whichever send follows it: count over the types.
    let dead_errors: f64 = samples
        .iter()
        .filter(|x| x["name"] == "roadsight_link_errors_total" && x["labels"]["link"] == "rsu-dead")
        .filter_map(|x| x["value"].as_f64())
        .sum();
    assert!(dead_errors >= 5.0, "{body}");
    assert!(
        value(
            "roadsight_link_sent_total",
            &[("link", "rsu-uper"), ("type", "SPAT")]
        ) >= Some(20.0)
    );
    assert_eq!(
        value("roadsight_link_queue_capacity", &[("link", "rsu-ifm")]),
        Some(272.0)
    );
    let within_10ms = value(
        "roadsight_link_latency_seconds_bucket",
        &[("link", "rsu-uper"), ("type", "SPAT"), ("le", "0.01")],
    );
    let count = value(
        "roadsight_link_latency_seconds_count",
        &[("link", "rsu-uper"), ("type", "SPAT")],
    );
    assert!(count >= Some(20.0) && within_10ms.is_some(), "{body}");

    // Health: the cameras and radars never sent; the dead link is down; the BSM receiver's
    // quiet is not a fault.
    let (code, body) = health;
    assert_eq!(code, 503, "{body}");
    let h: Value = serde_json::from_str(&body).expect("health JSON");
    assert_eq!(h["status"], "degraded");
    let what: Vec<&str> = h["degraded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["component"].as_str().unwrap())
        .collect();
    for sensor in ["cam-ne", "cam-sw", "radar-se", "radar-nw"] {
        assert!(
            what.contains(&format!("sensor {sensor}").as_str()),
            "{what:?}"
        );
    }
    assert!(!what.contains(&"sensor obu"), "{what:?}");
}

/// An RSU that is away (its port closed) and comes back: the link counts the failed sends,
/// says it is down, and sends again once the RSU listens, without a restart.
#[test]
fn a_link_comes_back_without_a_restart() {
    use roadsight::link::queue::LinkQueue;
    use roadsight::link::{rsu, LinkInput};
    use roadsight::pipeline::{MessageKind, Transmit};
    use roadsight::time::Timestamp;

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let addr = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let text = format!(
        "{}\n[[links.rsu]]\nname = \"rsu-away\"\naddress = \"{addr}\"\n",
        roadsight::scenario::DEFAULT
    );
    let s = Scenario::parse(&text, std::path::Path::new("site.toml")).unwrap();
    let spec = s.links.rsu[0].clone();
    let input = LinkInput::new(
        &spec.name,
        "rsu",
        spec.messages.clone(),
        LinkQueue::new(spec.queue, spec.event_queue),
    );
    let spat = |n: i64| Transmit {
        time: Timestamp::from_micros(n),
        kind: MessageKind::Spat,
        bytes: vec![n as u8; 20],
        positions: Vec::new(),
    };
    let (while_away, received, after) = rt.block_on(async {
        let _task = rsu::spawn(spec.clone(), input.clone());
        for n in 0..20 {
            input.offer(&spat(n));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let while_away = input.stats.snapshot();
        let rsu = tokio::net::UdpSocket::bind(addr)
            .await
            .expect("the RSU's port again");
        let mut received = 0;
        let mut buf = [0u8; 64];
        for n in 20..40 {
            input.offer(&spat(n));
            if let Ok(Ok(_)) =
                tokio::time::timeout(Duration::from_millis(100), rsu.recv(&mut buf)).await
            {
                received += 1;
            }
        }
        (while_away, received, input.stats.snapshot())
    });
    let away = &while_away.messages["SPAT"];
    assert!(away.errors >= 5, "{while_away:?}");
    assert!(
        while_away
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("refused")),
        "{while_away:?}"
    );
    assert_eq!(
        received, 20,
        "every message after the RSU came back: {after:?}"
    );
    assert!(after.up, "{after:?}");
    assert_eq!(after.messages["SPAT"].sent, away.sent + 20, "{after:?}");
}
