//! The traffic-control-centre feed against a real Mosquitto broker on loopback (started by
//! the test on a free port): messages match the published JSON Schema, events survive a
//! broker restart and a service restart in order, commands are checked and answered, a TCC
//! event goes out on air in RSI, and a broker with passwords and ACLs is used as configured.

#[path = "common/broker.rs"]
mod broker;
mod common;
#[path = "common/pki.rs"]
mod pki;

use broker::Broker;
use roadsight::link::mqtt::MqttLink;
use roadsight::link::stats::LinkRegistry;
use roadsight::pipeline::driver::{ScenarioDriver, Sink};
use roadsight::pipeline::{Event, Transmit};
use roadsight::scenario::Scenario;
use roadsight::tcc::{Feed, FeedConfig, Publish, TccConfig, Topic};
use roadsight::time::Timestamp;
use rumqttc::v5::mqttbytes::v5::Packet;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::{AsyncClient, Event as MqttEvent, MqttOptions};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc;

const SCHEMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/schema/tcc-feed-v1.json");

fn validate(lines: &[Vec<u8>], def: Option<&str>) {
    let input: String = lines
        .iter()
        .map(|l| format!("{}\n", String::from_utf8_lossy(l)))
        .collect();
    let mut args = vec![SCHEMA];
    if let Some(d) = def {
        args.extend(["--def", d]);
    }
    let (code, out, err) = common::run_tool("validate_json.py", &args, &input);
    assert_eq!(code, 0, "schema check failed:\n{out}\n{err}");
    assert!(out.contains(&format!("{} valid", lines.len())), "{out}");
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("roadsight-tcc-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn tcc_config(broker: &str, queue_dir: &Path, extra: &str) -> TccConfig {
    let text = format!(
        "broker = {broker:?}\nsite_id = \"test-site\"\nqueue_dir = {:?}\nreconnect_max_s = 0.5\n{extra}",
        queue_dir.display().to_string()
    );
    toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"))
}

fn scenario(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// A subscriber with a persistent session (it gets what was published while it or the
/// broker was away), collecting (topic, payload).
struct Subscriber {
    client: AsyncClient,
    rx: mpsc::UnboundedReceiver<(String, Vec<u8>)>,
}

impl Subscriber {
    async fn connect(port: u16, id: &str, filter: &str, creds: Option<(&str, &str)>) -> Self {
        let mut o = MqttOptions::new(id, "127.0.0.1", port);
        o.set_clean_start(false);
        o.set_session_expiry_interval(Some(600));
        o.set_keep_alive(Duration::from_secs(5));
        if let Some((u, p)) = creds {
            o.set_credentials(u, p);
        }
        let (client, mut el) = AsyncClient::new(o, 64);
        let id2 = id.to_string();
        let (tx, rx) = mpsc::unbounded_channel();
        let (sub_tx, mut sub_rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                match el.poll().await {
                    Ok(MqttEvent::Incoming(Packet::Publish(p))) => {
                        let topic = String::from_utf8_lossy(&p.topic).into_owned();
                        let _ = tx.send((topic, p.payload.to_vec()));
                    }
                    Ok(MqttEvent::Incoming(Packet::SubAck(_))) => {
                        let _ = sub_tx.send(());
                    }
                    Ok(MqttEvent::Incoming(Packet::ConnAck(c))) if !c.session_present => {
                        eprintln!("subscriber {id2}: new session");
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        client
            .subscribe(filter, QoS::AtLeastOnce)
            .await
            .expect("subscribe");
        tokio::time::timeout(Duration::from_secs(10), sub_rx.recv())
            .await
            .expect("subscription acknowledged");
        Self { client, rx }
    }

    /// Everything received until `done` says so, or `secs` pass.
    async fn collect(
        &mut self,
        secs: f64,
        out: &mut Vec<(String, Vec<u8>)>,
        done: impl Fn(&[(String, Vec<u8>)]) -> bool,
    ) {
        let end = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
        while !done(out) {
            match tokio::time::timeout_at(end, self.rx.recv()).await {
                Ok(Some(m)) => out.push(m),
                _ => break,
            }
        }
    }
}

fn seq_of(payload: &[u8]) -> u64 {
    let v: serde_json::Value = serde_json::from_slice(payload).expect("JSON");
    v["seq"].as_u64().expect("seq")
}

/// Received sequence numbers, deduplicated (at-least-once allows repeats): each new one must
/// be the next expected, so nothing was lost and the order was kept.
fn assert_in_order_without_loss(seqs: &[u64], n: u64) {
    let mut next = 0;
    for &s in seqs {
        if s < next {
            continue; // a redelivery
        }
        assert_eq!(
            s, next,
            "out of order or lost: got {s}, expected {next} ({seqs:?})"
        );
        next += 1;
    }
    assert_eq!(next, n, "{} of {n} arrived", next);
}

fn event(i: u64) -> Publish {
    Publish {
        topic: Topic::Events,
        payload: format!(r#"{{"seq":{i}}}"#).into_bytes(),
        time: Timestamp::from_micros(0),
    }
}

type ByTopic = std::collections::BTreeMap<Topic, Vec<Vec<u8>>>;

/// The feed of a replay of `name` on the virtual clock (no broker), at the default rates.
fn feed_of(name: &str) -> (ByTopic, f64) {
    struct Events(Vec<Event>);
    impl Sink for Events {
        fn transmit(&mut self, _tx: &Transmit) {}
        fn event(&mut self, ev: &Event) {
            self.0.push(ev.clone());
        }
    }
    let s = scenario(name);
    let start = s.start();
    let mut driver = ScenarioDriver::new(&s, start).expect("driver");
    let cfg = FeedConfig {
        site_id: "replay".into(),
        tracks_hz: 2.0,
        spat_hz: 1.0,
        health_period_s: 5.0,
    };
    let mut feed = Feed::new(cfg, start);
    let registry = LinkRegistry::default();
    let link = roadsight::link::stats::LinkStats::new("rsu-1", "rsu", 8);
    link.sent("RSM", 0.002);
    registry.register(link);
    let frame = roadsight::geo::SiteFrame::new(s.site.anchor);
    let mut sink = Events(Vec::new());
    let mut now = start;
    let end = start.add_secs(s.run.duration_s);
    while now < end {
        now = now.add_secs(0.05);
        driver.step(now, &mut sink);
        for ev in sink.0.drain(..) {
            feed.handle_event(now, &ev, &frame);
        }
        if feed.poll_timeout().is_some_and(|t| t <= now) {
            feed.handle_timeout(now, driver.pipeline(), &registry.snapshot());
        }
    }
    let bad = roadsight::tcc::command::CommandError::new("event.area.radius_m", "must be > 0");
    feed.reply(now, Some("r-1"), Ok(()));
    feed.reply(now, None, Err(&bad));
    let mut by_topic = ByTopic::default();
    while let Some(p) = feed.poll_publish() {
        by_topic.entry(p.topic).or_default().push(p.payload);
    }
    (by_topic, s.run.duration_s)
}

/// Every kind of message the feed makes, from replays of hazard scenarios, matches the
/// schema; and each kind is really there. Prints the message sizes (docs/tcc-feed.md uses
/// them for the broker sizing): `cargo test --test tcc_feed feed_messages -- --nocapture`.
#[test]
fn feed_messages_match_the_schema() {
    for name in [
        "scenarios/hazards/blos_crossing.toml",
        "scenarios/hazards/rush_hour.toml",
    ] {
        let (by_topic, duration_s) = feed_of(name);
        let text = |t: Topic| -> String {
            by_topic
                .get(&t)
                .map(|v| {
                    v.iter()
                        .map(|p| String::from_utf8_lossy(p).into_owned())
                        .collect()
                })
                .unwrap_or_default()
        };
        assert!(
            text(Topic::Tracks).contains("\"lat_deg\""),
            "{name}: tracks with positions"
        );
        assert!(
            text(Topic::Events).contains("\"phase\":\"start\""),
            "{name}: a hazard start"
        );
        assert!(
            text(Topic::Spat).contains("\"likely_end\""),
            "{name}: signal timing"
        );
        assert!(
            text(Topic::Health).contains("\"rsu-1\""),
            "{name}: link status in health"
        );
        assert_eq!(by_topic.get(&Topic::CmdReply).map(Vec::len), Some(2));
        for (t, v) in &by_topic {
            let total: usize = v.iter().map(Vec::len).sum();
            let max = v.iter().map(Vec::len).max().unwrap_or(0);
            eprintln!(
                "{name}: {}: {} messages in {duration_s} s, mean {} B, max {max} B",
                t.suffix(),
                v.len(),
                total / v.len().max(1)
            );
        }
        let all: Vec<Vec<u8>> = by_topic.into_values().flatten().collect();
        validate(&all, None);
        // The schema refuses what it should: a track without its covariance.
        let with_track = all
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .find(|p| p.contains("\"covariance\""))
            .expect("a track");
        let broken = with_track.replace("\"covariance\"", "\"cov\"");
        let (code, _, _) = common::run_tool("validate_json.py", &[SCHEMA], &format!("{broken}\n"));
        assert_ne!(code, 0, "a broken message passed the schema");
    }
}

/// The command examples in docs/tcc-feed.md are valid against the command schema, and
/// the service accepts them.
#[test]
fn documented_commands_match_the_schema() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/tcc-feed.md"))
        .expect("docs/tcc-feed.md");
    let cmds: Vec<Vec<u8>> = doc
        .lines()
        .filter(|l| l.starts_with("{\"version\":1"))
        .map(|l| l.as_bytes().to_vec())
        .collect();
    assert!(cmds.len() >= 3, "examples of each command in the doc");
    validate(&cmds, Some("command"));
    let frame =
        roadsight::geo::SiteFrame::new(roadsight::geo::GeoPoint::new(31.2304, 121.4737, None));
    let now = roadsight::scenario::parse_utc("2026-11-23T08:00:00Z").expect("time");
    for c in &cmds {
        let r = roadsight::tcc::command::parse(c, now, &frame);
        assert!(r.is_ok(), "{}: {:?}", String::from_utf8_lossy(c), r.err());
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Events offered while the broker is down (killed mid-run) arrive after it returns: none
/// lost, in order; and the link says it was down.
#[test]
fn broker_restart_loses_no_event_and_keeps_order() {
    let mut broker = Broker::start("restart");
    let qdir = temp_dir("restart-q");
    let cfg = tcc_config(&broker.url(), &qdir, "");
    runtime().block_on(async {
        let mut sub = Subscriber::connect(
            broker.port,
            "tcc-restart",
            "roadsight/test-site/events",
            None,
        )
        .await;
        let registry = LinkRegistry::default();
        let link = MqttLink::spawn(&cfg, &registry).expect("link");
        let mut got = Vec::new();
        for i in 0..100 {
            link.offer(event(i));
        }
        sub.collect(10.0, &mut got, |g| g.len() >= 100).await;
        assert!(got.len() >= 100, "before the outage: {}", got.len());

        broker.stop();
        for i in 100..300 {
            link.offer(event(i));
            if i % 50 == 0 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let snap = &registry.snapshot()[0];
        assert!(!snap.up, "link up during the outage");
        assert!(snap.queue_depth >= 200, "{} queued", snap.queue_depth);
        broker.restart();
        sub.collect(20.0, &mut got, |g| {
            g.iter()
                .map(|(_, p)| seq_of(p))
                .filter(|s| *s == 299)
                .count()
                > 0
        })
        .await;
        let seqs: Vec<u64> = got.iter().map(|(_, p)| seq_of(p)).collect();
        if seqs.len() < 300 {
            eprintln!("link: {:?}", registry.snapshot());
            eprintln!(
                "broker log: {}",
                std::fs::read_to_string(broker.path("mosquitto.log")).unwrap_or_default()
            );
        }
        assert_in_order_without_loss(&seqs, 300);
        let snap = &registry.snapshot()[0];
        assert!(snap.up);
        assert_eq!(snap.messages["events"].enqueued, 300);
        assert_eq!(snap.messages["events"].dropped, 0);
        link.close().await;
        let _ = sub.client.disconnect().await;
    });
    let _ = std::fs::remove_dir_all(&qdir);
}

/// What the service accepted while the broker was away is still delivered after the
/// service itself restarts (the queue is on disk); past the queue's size, messages are
/// dropped and counted.
#[test]
fn queue_survives_a_service_restart_and_counts_overflow() {
    let mut broker = Broker::start("svc-restart");
    let port = broker.port;
    broker.stop();
    let qdir = temp_dir("svc-restart-q");
    // 64 KiB holds about 2000 of these small records.
    let cfg = tcc_config(&broker.url(), &qdir, "queue_max_bytes = 65536");
    runtime().block_on(async {
        let registry = LinkRegistry::default();
        let link = MqttLink::spawn(&cfg, &registry).expect("link");
        for i in 0..3000 {
            link.offer(event(i));
            if i % 500 == 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let snap = registry.snapshot()[0].clone();
        let accepted = snap.messages["events"].enqueued;
        let dropped = snap.messages["events"].dropped;
        assert_eq!(accepted + dropped, 3000);
        assert!(
            dropped > 0 && accepted > 1000,
            "{accepted} accepted, {dropped} dropped"
        );
        link.close().await;

        broker.restart();
        assert_eq!(broker.port, port);
        let mut sub =
            Subscriber::connect(broker.port, "tcc-svc", "roadsight/test-site/events", None).await;
        let registry = LinkRegistry::default();
        let link = MqttLink::spawn(&cfg, &registry).expect("link after restart");
        let mut got = Vec::new();
        let last = accepted - 1;
        sub.collect(30.0, &mut got, |g| {
            g.last().is_some_and(|(_, p)| seq_of(p) == last)
        })
        .await;
        let seqs: Vec<u64> = got.iter().map(|(_, p)| seq_of(p)).collect();
        // The accepted ones are the first `accepted` offered: the queue refuses the newest.
        assert_in_order_without_loss(&seqs, accepted);
        link.close().await;
        let _ = sub.client.disconnect().await;
    });
    let _ = std::fs::remove_dir_all(&qdir);
}

/// The live service, with the TCC feed: tracks, SPAT and health arrive; a bad command gets an
/// error reply naming its field; a good RSI command is acknowledged and its event goes out
/// on air in an RSI message (decoded with the project's codec); withdrawing it stops it.
#[test]
fn service_answers_commands_and_sends_tcc_events_in_rsi() {
    let broker = Broker::start("service");
    let qdir = temp_dir("service-q");
    let mut s = scenario("scenarios/default.toml");
    let anchor = s.site.anchor;
    s.tcc = Some(tcc_config(
        &broker.url(),
        &qdir,
        "tracks_hz = 5\nspat_hz = 2\nhealth_period_s = 1",
    ));
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
    udp.set_nonblocking(true).expect("nonblocking");
    let opts = roadsight::service::ServeOptions {
        udp: vec![udp.local_addr().expect("addr")],
        ..Default::default()
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    // The service on its own thread and runtime, as in production.
    let service = std::thread::spawn(move || {
        runtime().block_on(async {
            roadsight::service::serve(
                &s,
                &opts,
                roadsight::service::Inputs::Simulated,
                None,
                async {
                    let _ = stop_rx.await;
                },
            )
            .await
            .map(|sum| sum.stats)
            .map_err(|e| e.to_string())
        })
    });
    runtime().block_on(async {
        let udp = tokio::net::UdpSocket::from_std(udp).expect("tokio udp");
        let mut sub = Subscriber::connect(broker.port, "tcc-service", "roadsight/test-site/#", None).await;
        let mut got = Vec::new();
        sub.collect(10.0, &mut got, |g| {
            ["tracks", "spat", "health"]
                .iter()
                .all(|t| g.iter().any(|(topic, _)| topic.ends_with(t)))
        })
        .await;
        for t in ["tracks", "spat", "health"] {
            assert!(
                got.iter().any(|(topic, _)| topic == &format!("roadsight/test-site/{t}")),
                "no {t} in {:?}",
                got.iter().map(|(t, _)| t).collect::<Vec<_>>()
            );
        }
        let health: Vec<&(String, Vec<u8>)> = got.iter().filter(|(t, _)| t.ends_with("health")).collect();
        let h = String::from_utf8_lossy(&health[health.len() - 1].1).into_owned();
        assert!(h.contains("\"kind\":\"mqtt\""), "the MQTT link reports itself: {h}");

        let cmd = "roadsight/test-site/cmd";
        let end = roadsight::clock::Clock::now(&roadsight::clock::SystemClock).add_secs(600.0);
        let bad = format!(
            r#"{{"version":1,"request_id":"bad-1","command":"publish_rsi","event":{{"id":"x","type":"road_works","event_type":401,"end":"{end}","area":{{"centre":{{"lat_deg":"NaN","lon_deg":121.4737}},"radius_m":50}}}}}}"#
        );
        sub.client.publish(cmd, QoS::AtLeastOnce, false, bad).await.expect("publish");
        let reply = wait_reply(&mut sub, &mut got, "bad-1").await;
        assert_eq!(reply["ok"], false, "{reply}");
        assert_eq!(reply["error"]["field"], "event.area.centre.lat_deg", "{reply}");

        let good = format!(
            r#"{{"version":1,"request_id":"good-1","command":"publish_rsi","event":{{"id":"rw-7","type":"road_works","event_type":401,"end":"{}","area":{{"centre":{{"lat_deg":{},"lon_deg":{}}},"radius_m":80}},"priority":5,"description":"lane 2 closed"}}}}"#,
            end, anchor.lat_deg, anchor.lon_deg
        );
        sub.client.publish(cmd, QoS::AtLeastOnce, false, good).await.expect("publish");
        let reply = wait_reply(&mut sub, &mut got, "good-1").await;
        assert_eq!(reply["ok"], true, "{reply}");
        let ev = find_rsi_event(&udp, 401, 5.0).await.expect("the TCC event in an RSI on air");
        assert_eq!(ev.radius_m.map(|r| r.round()), Some(80.0));
        assert_eq!(ev.scope.priority, Some(5));
        let p = ev.scope.position.expect("position");
        assert!((p.lat_deg - anchor.lat_deg).abs() < 1e-6 && (p.lon_deg - anchor.lon_deg).abs() < 1e-6);

        let withdraw = r#"{"version":1,"request_id":"w-1","command":"withdraw_rsi","event_id":"rw-7"}"#;
        sub.client.publish(cmd, QoS::AtLeastOnce, false, withdraw).await.expect("publish");
        let reply = wait_reply(&mut sub, &mut got, "w-1").await;
        assert_eq!(reply["ok"], true, "{reply}");
        // Drain what was in flight, then no RSI with the event for a second.
        let _ = find_rsi_event(&udp, 401, 0.3).await;
        assert!(find_rsi_event(&udp, 401, 1.0).await.is_none(), "withdrawn event still sent");
        // Withdrawing it again names the field.
        let again = withdraw.replace("w-1", "w-2");
        sub.client.publish(cmd, QoS::AtLeastOnce, false, again).await.expect("publish");
        let reply = wait_reply(&mut sub, &mut got, "w-2").await;
        assert_eq!(reply["error"]["field"], "event_id", "{reply}");

        // The events topic told of the publish and the withdrawal.
        sub.collect(3.0, &mut got, |g| {
            g.iter().filter(|(t, p)| t.ends_with("/events") && String::from_utf8_lossy(p).contains("withdrawn")).count() > 0
        })
        .await;
        let events: String = got
            .iter()
            .filter(|(t, _)| t.ends_with("/events"))
            .map(|(_, p)| String::from_utf8_lossy(p).into_owned())
            .collect();
        assert!(events.contains(r#""category":"tcc","action":"published","id":"rw-7""#), "{events}");
        assert!(events.contains(r#""action":"withdrawn""#), "{events}");
        // What the site published (the subscription also sees the TCC's own commands).
        let all: Vec<Vec<u8>> = got
            .iter()
            .filter(|(t, _)| !t.ends_with("/cmd"))
            .map(|(_, p)| p.clone())
            .collect();
        validate(&all, None);
        let _ = stop_tx.send(());
    });
    let stats = service.join().expect("join").expect("serve");
    assert!(
        stats
            .messages
            .get(&roadsight::pipeline::MessageKind::Rsi)
            .copied()
            .unwrap_or(0)
            > 0
    );
    let _ = std::fs::remove_dir_all(&qdir);
}

async fn wait_reply(
    sub: &mut Subscriber,
    got: &mut Vec<(String, Vec<u8>)>,
    request_id: &str,
) -> serde_json::Value {
    let is_reply = |(t, p): &(String, Vec<u8>)| {
        t.ends_with("/cmd/reply")
            && serde_json::from_slice::<serde_json::Value>(p)
                .is_ok_and(|v| v["request_id"] == request_id)
    };
    sub.collect(10.0, got, |g| g.iter().any(is_reply)).await;
    let (_, p) = got
        .iter()
        .find(|m| is_reply(m))
        .unwrap_or_else(|| panic!("no reply to {request_id}"));
    serde_json::from_slice(p).expect("reply JSON")
}

/// The first RSI road event with `event_type` received within `secs`.
async fn find_rsi_event(
    udp: &tokio::net::UdpSocket,
    event_type: u16,
    secs: f64,
) -> Option<roadsight::v2x::cn::rsi::RoadEvent> {
    let end = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
    let mut buf = vec![0u8; 65_536];
    loop {
        let n = match tokio::time::timeout_at(end, udp.recv(&mut buf)).await {
            Ok(Ok(n)) => n,
            Ok(Err(_)) => continue,
            Err(_) => return None,
        };
        let f = roadsight::v2x::cn::decode_frame(&buf[..n]).expect("every datagram decodes");
        if let Some(roadsight::v2x::cn::CnMessage::Rsi(r)) =
            roadsight::v2x::cn::CnMessage::from_frame(&f)
        {
            if let Some(e) = r.events.into_iter().find(|e| e.event_type == event_type) {
                return Some(e);
            }
        }
    }
}

/// A broker with passwords and an ACL (the example in docs/examples/): the site's user may
/// publish its feed and read its commands; with a wrong password the link stays down, says
/// why, and keeps the events for later.
/// Debian's `mosquitto_passwd`, beside the broker or on the path.
fn passwd_bin() -> PathBuf {
    let beside = broker::mosquitto_bin().with_file_name("mosquitto_passwd");
    if beside.is_file() {
        beside
    } else {
        PathBuf::from("mosquitto_passwd")
    }
}

#[test]
fn password_and_acl_are_honoured() {
    let dir = temp_dir("acl");
    std::fs::create_dir_all(&dir).expect("dir");
    let passwd = dir.join("passwd");
    let passwd_bin = passwd_bin();
    for (user, pw) in [("test-site", "s3cret"), ("tcc", "tcc-pw")] {
        let mut c = std::process::Command::new(&passwd_bin);
        if !passwd.exists() {
            c.arg("-c");
        }
        let st = c
            .args(["-b"])
            .arg(&passwd)
            .args([user, pw])
            .status()
            .expect("mosquitto_passwd");
        assert!(st.success());
    }
    let acl = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/mosquitto.acl");
    let broker = Broker::start_with(
        "acl",
        &format!(
            "allow_anonymous false\npassword_file {}\nacl_file {}\n",
            passwd.display(),
            acl.display()
        ),
    );
    let qdir = temp_dir("acl-q");
    runtime().block_on(async {
        // The TCC reads the feed.
        let mut sub = Subscriber::connect(
            broker.port,
            "tcc-acl",
            "roadsight/+/events",
            Some(("tcc", "tcc-pw")),
        )
        .await;
        // Wrong password: down, named, nothing lost.
        let wrong = tcc_config(
            &broker.url(),
            &qdir,
            "username = \"test-site\"\npassword = \"nope\"",
        );
        // Right password (from a file): the queued events go through.
        let pw = dir.join("site.pw");
        std::fs::write(&pw, "s3cret\n").expect("pw");
        let right = tcc_config(
            &broker.url(),
            &qdir,
            &format!(
                "username = \"test-site\"\npassword_file = {:?}",
                pw.display().to_string()
            ),
        );
        refused_then_delivered(&mut sub, &wrong, &right).await;
        // The site may not publish commands to itself (only the TCC may): the broker refuses
        // the subscription-side effect silently, so check with the site's own credentials.
        let mut site_sub = Subscriber::connect(
            broker.port,
            "site-peek",
            "roadsight/test-site/cmd",
            Some(("test-site", "s3cret")),
        )
        .await;
        site_sub
            .client
            .publish("roadsight/test-site/cmd", QoS::AtLeastOnce, false, "{}")
            .await
            .expect("publish");
        let mut peek = Vec::new();
        site_sub.collect(1.0, &mut peek, |g| !g.is_empty()).await;
        assert!(peek.is_empty(), "the ACL let the site command itself");
    });
    let _ = std::fs::remove_dir_all(&qdir);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sans-IO, on the virtual clock: a TCC event is in RSI exactly while its window is open,
/// then its expiry is an event; a withdrawn one stops at once.
#[test]
fn tcc_event_is_on_air_exactly_in_its_window() {
    struct Rsi(Vec<(Timestamp, Vec<u16>)>, Vec<Event>);
    impl Sink for Rsi {
        fn transmit(&mut self, tx: &Transmit) {
            if tx.kind != roadsight::pipeline::MessageKind::Rsi {
                return;
            }
            let f = roadsight::v2x::cn::decode_frame(&tx.bytes).expect("RSI decodes");
            if let Some(roadsight::v2x::cn::CnMessage::Rsi(r)) =
                roadsight::v2x::cn::CnMessage::from_frame(&f)
            {
                self.0
                    .push((tx.time, r.events.iter().map(|e| e.event_type).collect()));
            }
        }
        fn event(&mut self, ev: &Event) {
            self.1.push(ev.clone());
        }
    }
    let s = scenario("scenarios/default.toml");
    let start = s.start();
    let frame = roadsight::geo::SiteFrame::new(s.site.anchor);
    let mut driver = ScenarioDriver::new(&s, start)
        .expect("driver")
        .without_evaluation();
    let cmd = |text: String, now| {
        roadsight::tcc::command::parse(text.as_bytes(), now, &frame)
            .map(|r| r.command)
            .unwrap_or_else(|e| panic!("{:?}", e.error))
    };
    let (lat, lon) = (s.site.anchor.lat_deg, s.site.anchor.lon_deg);
    let event = |id: &str, code: u16, from: f64, to: f64| {
        format!(
            r#"{{"version":1,"command":"publish_rsi","event":{{"id":"{id}","type":"accident","event_type":{code},"start":"{}","end":"{}","area":{{"centre":{{"lat_deg":{lat},"lon_deg":{lon}}},"radius_m":40}}}}}}"#,
            start.add_secs(from),
            start.add_secs(to)
        )
    };
    let mut sink = Rsi(Vec::new(), Vec::new());
    driver.step(start, &mut sink);
    let p = driver.pipeline_mut();
    assert_eq!(
        p.handle_command(start, cmd(event("acc-1", 101, 2.0, 5.0), start)),
        Ok(())
    );
    assert_eq!(
        p.handle_command(start, cmd(event("acc-2", 102, 0.0, 60.0), start)),
        Ok(())
    );
    let mut now = start;
    while now < start.add_secs(8.0) {
        now = now.add_secs(0.05);
        driver.step(now, &mut sink);
        if now == start.add_secs(6.0) {
            let w = r#"{"version":1,"command":"withdraw_rsi","event_id":"acc-2"}"#.to_string();
            assert_eq!(
                driver.pipeline_mut().handle_command(now, cmd(w, now)),
                Ok(())
            );
        }
    }
    let with = |code: u16| -> Vec<f64> {
        sink.0
            .iter()
            .filter(|(_, codes)| codes.contains(&code))
            .map(|(t, _)| t.secs_since(start))
            .collect()
    };
    let acc1 = with(101);
    let acc2 = with(102);
    assert!(!acc1.is_empty() && !acc2.is_empty(), "{:?}", sink.0);
    // RSI goes with the RSM cycle (10 Hz): inside [2, 5) and [0, 6).
    assert!(acc1.iter().all(|t| (2.0..5.0).contains(t)), "{acc1:?}");
    assert!(acc1[0] < 2.2 && acc1[acc1.len() - 1] > 4.8, "{acc1:?}");
    assert!(acc2.iter().all(|t| *t < 6.05), "{acc2:?}");
    assert!(acc2[acc2.len() - 1] > 5.8, "{acc2:?}");
    let tcc: Vec<String> = sink
        .1
        .iter()
        .filter_map(|e| match e {
            Event::TccEvent { action, id, .. } => Some(format!("{action:?} {id}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        tcc,
        [
            "Published acc-1",
            "Published acc-2",
            "Expired acc-1",
            "Withdrawn acc-2"
        ]
    );
}

/// With `wrong` settings the link stays down, says why and keeps the five events it was
/// given; with `right` ones (the same queue directory) those and five more reach `sub`, in
/// order, and the link is up.
async fn refused_then_delivered(sub: &mut Subscriber, wrong: &TccConfig, right: &TccConfig) {
    let registry = LinkRegistry::default();
    let link = MqttLink::spawn(wrong, &registry).expect("link");
    for i in 0..5 {
        link.offer(event(i));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let snap = registry.snapshot()[0].clone();
    assert!(!snap.up, "connected with the wrong settings");
    assert!(snap.last_error.is_some_and(|e| !e.is_empty()));
    link.close().await;
    let registry = LinkRegistry::default();
    let link = MqttLink::spawn(right, &registry).expect("link");
    for i in 5..10 {
        link.offer(event(i));
    }
    let mut got = Vec::new();
    sub.collect(10.0, &mut got, |g| g.len() >= 10).await;
    let seqs: Vec<u64> = got.iter().map(|(_, p)| seq_of(p)).collect();
    assert_in_order_without_loss(&seqs, 10);
    assert!(registry.snapshot()[0].up);
    link.close().await;
}

/// `mqtts://` with the broker's CA and a password: the feed goes through TLS; with a CA that
/// did not sign the broker's certificate the link stays down, says why, and loses nothing.
#[cfg(feature = "tcc-tls")]
#[test]
fn tls_with_password_to_the_broker() {
    let p = pki::make();
    let dir = temp_dir("tls");
    std::fs::create_dir_all(&dir).expect("dir");
    let passwd = dir.join("passwd");
    let st = std::process::Command::new(passwd_bin())
        .args(["-c", "-b"])
        .arg(&passwd)
        .args(["test-site", "s3cret"])
        .status()
        .expect("mosquitto_passwd");
    assert!(st.success());
    let tls_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    // Mosquitto drops to its own user, which must read the certificates.
    for f in [&p.ca, &p.server_cert, &p.server_key, &passwd] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    {
        use std::os::unix::fs::PermissionsExt;
        for d in [&p.dir, &dir] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
    }
    // The plain listener (for the test's subscriber) and a TLS one (for the site).
    let broker = Broker::start_with(
        "tls",
        &format!(
            "allow_anonymous false\npassword_file {}\nlistener {tls_port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n",
            passwd.display(),
            p.ca.display(),
            p.server_cert.display(),
            p.server_key.display()
        ),
    );
    let qdir = temp_dir("tls-q");
    let url = format!("mqtts://localhost:{tls_port}");
    runtime().block_on(async {
        let mut sub = Subscriber::connect(
            broker.port,
            "tcc-tls",
            "roadsight/+/events",
            Some(("test-site", "s3cret")),
        )
        .await;
        let with_ca = |ca: &Path| {
            let extra = format!(
                "username = \"test-site\"\npassword = \"s3cret\"\ntls_ca = {:?}",
                ca.display().to_string()
            );
            tcc_config(&url, &qdir, &extra)
        };
        // A CA that did not sign the broker's certificate: refused, named, kept; then the
        // right CA.
        let (wrong, right) = (with_ca(&p.stranger_cert), with_ca(&p.ca));
        refused_then_delivered(&mut sub, &wrong, &right).await;
    });
    let _ = std::fs::remove_dir_all(&qdir);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&p.dir);
}
