//! The cellular (QUIC) link on loopback: mutual TLS, subscriptions by type and area, slow
//! clients cut off without slowing the others, bad requests refused, and the live service
//! feeding subscribers. Certificates are made fresh by rcgen; ports are picked by the OS.
#![cfg(feature = "quic")]

#[path = "common/pki.rs"]
mod pki;

use roadsight::clock::{Clock, SystemClock};
use roadsight::geo::GeoPoint;
use roadsight::link::quic::{
    wire::close, ClientOptions, QuicError, QuicServer, QuicSpec, SubscribeRequest, Subscriber,
    Subscription,
};
use roadsight::link::stats::LinkRegistry;
use roadsight::pipeline::driver::Sink;
use roadsight::pipeline::{MessageKind, Transmit};
use std::sync::atomic::Ordering;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

fn spec(p: &pki::Pki) -> QuicSpec {
    QuicSpec::new("127.0.0.1:0", &p.server_cert, &p.server_key, &p.ca)
}

fn client(p: &pki::Pki, server: &QuicServer) -> ClientOptions {
    let mut o = ClientOptions::new(server.local_addr(), p.ca.clone());
    o.server_name = "localhost".into();
    o.identity = Some((p.client_cert.clone(), p.client_key.clone()));
    o
}

fn sub(types: &[MessageKind], near: Option<(GeoPoint, f64)>) -> Subscription {
    let req = SubscribeRequest {
        types: types.iter().map(|k| k.name().to_string()).collect(),
        near: near.map(|n| n.0),
        radius_m: near.map(|n| n.1),
    };
    req.check().expect("valid subscription")
}

/// A message whose payload starts with `id`, about `positions`, made now.
fn msg(kind: MessageKind, id: u16, len: usize, positions: &[GeoPoint]) -> Transmit {
    let mut bytes = vec![0u8; len.max(2)];
    bytes[..2].copy_from_slice(&id.to_be_bytes());
    Transmit {
        time: SystemClock.now(),
        kind,
        bytes,
        positions: positions.to_vec(),
    }
}

fn id(bytes: &[u8]) -> u16 {
    u16::from_be_bytes([bytes[0], bytes[1]])
}

async fn next(s: &mut Subscriber) -> roadsight::link::quic::Received {
    tokio::time::timeout(WAIT, s.next())
        .await
        .expect("a message within 10 s")
        .expect("no link error")
        .expect("stream open")
}

const SITE: GeoPoint = GeoPoint {
    lat_deg: 31.2304,
    lon_deg: 121.4737,
    height_m: None,
};

/// `dn_m` metres north of the site (1° of latitude is about 111 km).
fn north(dn_m: f64) -> GeoPoint {
    GeoPoint::new(SITE.lat_deg + dn_m / 111_000.0, SITE.lon_deg, None)
}

#[tokio::test]
async fn clients_get_their_types_in_their_area_only() {
    let p = pki::make();
    let server = QuicServer::bind(&spec(&p), &LinkRegistry::default()).expect("bind");
    let opts = client(&p, &server);
    let mut near_client = Subscriber::connect(
        &opts,
        &sub(&[MessageKind::Rsm, MessageKind::Spat], Some((SITE, 200.0))),
    )
    .await
    .expect("subscribe");
    let mut everywhere =
        Subscriber::connect(&opts, &sub(&[MessageKind::Map, MessageKind::Rsi], None))
            .await
            .expect("subscribe");
    let mut sink = server.sink();
    let (near, far) = (north(150.0), north(900.0));
    // An RSM with one participant inside the area, one wholly outside, a SPAT and a MAP at
    // the site, an RSI far away, then one marker for each client.
    let sent = [
        msg(MessageKind::Rsm, 1, 300, &[far, near]),
        msg(MessageKind::Rsm, 2, 300, &[far]),
        msg(MessageKind::Spat, 3, 100, &[SITE]),
        msg(MessageKind::Map, 4, 2000, &[SITE]),
        msg(MessageKind::Rsi, 5, 80, &[far]),
        msg(MessageKind::Rsm, 6, 300, &[near]),
        msg(MessageKind::Rsi, 7, 80, &[near]),
    ];
    for m in &sent {
        sink.transmit(m);
    }
    let mut got = Vec::new();
    while got.last() != Some(&6) {
        let r = next(&mut near_client).await;
        let i = id(&r.bytes);
        let original = &sent[usize::from(i) - 1];
        assert_eq!(
            (r.kind, r.time, &r.bytes),
            (original.kind, original.time, &original.bytes)
        );
        got.push(i);
    }
    assert_eq!(got, vec![1, 3, 6]);
    let mut got = Vec::new();
    while got.last() != Some(&7) {
        got.push(id(&next(&mut everywhere).await.bytes));
    }
    assert_eq!(got, vec![4, 5, 7]);
    let clients = server.clients();
    assert_eq!(clients.len(), 2);
    let sent: u64 = clients
        .iter()
        .flat_map(|c| c.stats.messages.values())
        .map(|m| m.sent)
        .sum();
    assert_eq!(sent, 6);
    assert_eq!(server.stats().messages["RSM"].enqueued, 3);
}

#[tokio::test]
async fn clients_without_a_certificate_of_the_site_ca_are_refused() {
    let p = pki::make();
    let server = QuicServer::bind(&spec(&p), &LinkRegistry::default()).expect("bind");
    let good = client(&p, &server);
    let all = sub(&MessageKind::ALL, None);

    let mut anonymous = good.clone();
    anonymous.identity = None;
    let e = Subscriber::connect(&anonymous, &all)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| panic!("a client without a certificate got in"));
    // The server's TLS says why, in the close frame.
    assert!(
        e.contains("handshake failed") && e.contains("peer sent no certificates"),
        "{e}"
    );

    let mut stranger = good.clone();
    stranger.identity = Some((p.stranger_cert.clone(), p.stranger_key.clone()));
    let e = Subscriber::connect(&stranger, &all)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| panic!("a client with another CA's certificate got in"));
    assert!(
        e.contains("handshake failed") && e.contains("UnknownIssuer"),
        "{e}"
    );

    let refused = &server.counters().refused_handshake;
    let deadline = tokio::time::Instant::now() + WAIT;
    while refused.load(Ordering::Relaxed) < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(refused.load(Ordering::Relaxed), 2);
    assert_eq!(server.counters().accepted.load(Ordering::Relaxed), 0);
    assert!(server.clients().is_empty());

    // The one with the site's certificate gets in and is served.
    let mut ok = Subscriber::connect(&good, &all).await.expect("subscribe");
    server
        .sink()
        .transmit(&msg(MessageKind::Spat, 9, 50, &[SITE]));
    assert_eq!(id(&next(&mut ok).await.bytes), 9);
}

#[tokio::test]
async fn a_bad_subscription_gets_an_error_naming_the_field() {
    let p = pki::make();
    let server = QuicServer::bind(&spec(&p), &LinkRegistry::default()).expect("bind");
    let opts = client(&p, &server);
    let refused = |r: Result<Subscriber, QuicError>| match r {
        Err(QuicError::Refused(reason)) => reason,
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a bad subscription was accepted"),
    };
    let reason = refused(
        Subscriber::connect_with_request(
            &opts,
            &SubscribeRequest {
                types: vec!["RSM".into(), "CAM".into()],
                near: None,
                radius_m: None,
            },
        )
        .await,
    );
    assert!(
        reason.starts_with("types[1]: unknown message type \"CAM\""),
        "{reason}"
    );
    let reason = refused(
        Subscriber::connect_with_request(
            &opts,
            &SubscribeRequest {
                types: vec!["RSM".into()],
                near: Some(SITE),
                radius_m: Some(f64::from(-5i8)),
            },
        )
        .await,
    );
    assert!(reason.starts_with("radius_m: must be in"), "{reason}");
    assert_eq!(server.counters().bad_requests.load(Ordering::Relaxed), 2);
    assert!(server.clients().is_empty());
}

#[tokio::test]
async fn a_slow_client_is_cut_off_and_does_not_slow_the_others() {
    let p = pki::make();
    let mut s = spec(&p);
    s.client_queue = 8;
    s.max_drops = 16;
    s.max_lag_s = 600.0;
    let server = QuicServer::bind(&s, &LinkRegistry::default()).expect("bind");
    let all = sub(&MessageKind::ALL, None);
    let mut slow_opts = client(&p, &server);
    // It lets the server send only a few messages ahead, and never reads them.
    slow_opts.receive_window_bytes = Some(8 * 1024);
    let slow = Subscriber::connect(&slow_opts, &all)
        .await
        .expect("subscribe");
    let mut fast = Subscriber::connect(&client(&p, &server), &all)
        .await
        .expect("subscribe");
    let mut sink = server.sink();
    const N: u16 = 300;
    // Lockstep with the fast client: were it held up by the slow one, a `next` would time
    // out. Every message reaches it, in order.
    for i in 0..N {
        let kind = if i % 10 == 9 {
            MessageKind::Rsi
        } else {
            MessageKind::Rsm
        };
        sink.transmit(&msg(kind, i, 1000, &[SITE]));
        let r = next(&mut fast).await;
        assert_eq!(id(&r.bytes), i);
    }
    let reason = tokio::time::timeout(WAIT, slow.closed())
        .await
        .expect("the slow client is cut off")
        .to_string();
    assert!(
        reason.contains(&format!("(code {})", close::SLOW))
            && reason.contains("slow consumer: 16 messages dropped"),
        "{reason}"
    );
    assert_eq!(server.counters().cut_off.load(Ordering::Relaxed), 1);
    let clients = server.clients();
    assert_eq!(clients.len(), 1, "only the fast client is left");
    let fast_stats = &clients[0].stats;
    let sent: u64 = fast_stats.messages.values().map(|m| m.sent).sum();
    let dropped: u64 = fast_stats.messages.values().map(|m| m.dropped).sum();
    assert_eq!((sent, dropped), (u64::from(N), 0));
    assert!(fast_stats.queue_depth <= 8);
    // The link counted exactly the slow client's drops.
    let link_dropped: u64 = server.stats().messages.values().map(|m| m.dropped).sum();
    assert_eq!(link_dropped, 16);
}

#[tokio::test]
async fn the_service_feeds_subscribers_with_decodable_messages() {
    use roadsight::service::{serve_with_endpoints, Endpoints, Inputs, ServeOptions};
    let p = pki::make();
    let mut s = roadsight::scenario::Scenario::default_scenario().expect("default scenario");
    s.quic = Some(spec(&p));
    let endpoints = Endpoints::bind(&s).expect("endpoints");
    let addr = endpoints.quic_addr().expect("a QUIC endpoint");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let opts = ServeOptions::default();
    let service = serve_with_endpoints(&s, &opts, Inputs::Simulated, endpoints, None, async {
        let _ = stop_rx.await;
    });
    let subscriber = async {
        let mut o = ClientOptions::new(addr, p.ca.clone());
        o.server_name = "localhost".into();
        o.identity = Some((p.client_cert.clone(), p.client_key.clone()));
        let anchor = s.site.anchor;
        let mut sub = Subscriber::connect(
            &o,
            &sub(&[MessageKind::Rsm, MessageKind::Map], Some((anchor, 300.0))),
        )
        .await
        .expect("subscribe");
        let mut kinds = Vec::new();
        while !(kinds.contains(&MessageKind::Rsm) && kinds.contains(&MessageKind::Map)) {
            let r = next(&mut sub).await;
            let frame = roadsight::v2x::cn::decode_frame(&r.bytes).expect("UPER decodes");
            let expected = match r.kind {
                MessageKind::Rsm => "rsmFrame",
                MessageKind::Map => "mapFrame",
                other => panic!("got a {other:?} it did not subscribe to"),
            };
            assert_eq!(roadsight::v2x::cn::frame_kind(&frame), expected);
            kinds.push(r.kind);
        }
        let _ = stop_tx.send(());
        kinds.len() as u64
    };
    let (summary, received) = tokio::join!(service, subscriber);
    let summary = summary.expect("service ran");
    let quic = summary
        .links
        .iter()
        .find(|l| l.kind == "quic")
        .expect("the QUIC link's counters");
    let sent: u64 = quic.messages.values().map(|m| m.sent).sum();
    assert!(
        sent >= received,
        "link counted {sent} sent, client got {received}"
    );
    assert!(quic
        .messages
        .get("SPAT")
        .is_some_and(|m| m.sent == 0 && m.enqueued > 0));
}

#[test]
fn quic_config_mistakes_name_the_field() {
    let error = |extra: &str| {
        let text = format!("{}\n[quic]\n{extra}\n", roadsight::scenario::DEFAULT);
        roadsight::scenario::Scenario::parse(&text, std::path::Path::new("site.toml"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let files = "cert = \"s.pem\"\nkey = \"s.key\"\nclient_ca = \"ca.pem\"";
    let e = error(&format!("listen = \"nowhere\"\n{files}"));
    assert!(
        e.starts_with("site.toml: quic.listen: \"nowhere\" is not an address"),
        "{e}"
    );
    let e = error(&format!(
        "listen = \"0.0.0.0:4433\"\n{files}\nclient_queue = 0"
    ));
    assert!(
        e.starts_with("site.toml: quic.client_queue: must be 1..="),
        "{e}"
    );
    let e = error(&format!(
        "listen = \"0.0.0.0:4433\"\n{files}\nmax_lag_s = nan"
    ));
    assert!(
        e.starts_with("site.toml: quic.max_lag_s: must be positive"),
        "{e}"
    );
    let e = error(&format!("listen = \"0.0.0.0:4433\"\n{files}\nqueue = 3"));
    assert!(
        e.starts_with("site.toml: quic") && e.contains("unknown field `queue`"),
        "{e}"
    );
    let e = error("listen = \"0.0.0.0:4433\"\ncert = \"s.pem\"\nkey = \"s.key\"");
    assert!(e.contains("missing field `client_ca`"), "{e}");
    let ok = roadsight::scenario::Scenario::parse(
        &format!(
            "{}\n[quic]\nlisten = \"0.0.0.0:4433\"\n{files}\n",
            roadsight::scenario::DEFAULT
        ),
        std::path::Path::new("site.toml"),
    );
    assert_eq!(
        ok.ok().and_then(|s| s.quic).map(|q| q.client_queue),
        Some(64)
    );
}

#[tokio::test]
async fn unusable_tls_files_are_named() {
    let p = pki::make();
    let mut s = spec(&p);
    s.cert = p.dir.join("missing.pem");
    let e = QuicServer::bind(&s, &LinkRegistry::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.starts_with("quic.cert: ") && e.contains("missing.pem"),
        "{e}"
    );
    let mut s = spec(&p);
    s.key = p.ca.clone();
    let e = QuicServer::bind(&s, &LinkRegistry::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.starts_with("quic.key: "), "{e}");
    let mut s = spec(&p);
    s.client_ca = p.server_key.clone();
    let e = QuicServer::bind(&s, &LinkRegistry::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.starts_with("quic.client_ca: "), "{e}");
}
