//! The QUIC endpoint: accepts authenticated clients, reads their subscriptions, and fans the
//! pipeline's messages out to each client's bounded queue; one writer per client drains it
//! onto the client's message stream. Nothing here can make the service wait: the service
//! hands messages to [`QuicSink`] (a bounded channel, `try_send`), and a client that cannot
//! keep up loses its oldest periodic messages and then its connection (see [`super::queue`]).

use super::queue::{ClientQueue, Queued};
use super::spec::QuicSpec;
use super::wire::{self, close, SubscribeReply, SubscribeRequest, Subscription};
use super::{tls, QuicError};
use crate::clock::{Clock, SystemClock};
use crate::geo::GeoPoint;
use crate::link::stats::{LinkRegistry, LinkSnapshot, LinkStats};
use crate::pipeline::driver::Sink;
use crate::pipeline::{MessageKind, Transmit};
use crate::time::Timestamp;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};

/// Messages waiting between the service and the fan-out; past this the newest are dropped
/// and counted (the fan-out only copies pointers, so it keeps up unless starved of CPU).
pub const INTAKE_QUEUE: usize = 1024;
/// Unacknowledged bytes quinn may hold per client: with `client_queue` messages this bounds
/// what a client can cost, whatever the network does.
pub const SEND_WINDOW_BYTES: u64 = 512 * 1024;
/// A client that has not subscribed this long after its handshake is closed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Keep-alives keep cellular NAT mappings open while no message matches.
pub const KEEP_ALIVE: Duration = Duration::from_secs(10);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section here leaves consistent state, even if a panic cut it short.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One message on its way out, shared by every client that wants it.
#[derive(Debug)]
struct Outgoing {
    kind: MessageKind,
    time: Timestamp,
    payload: Arc<[u8]>,
    positions: Vec<GeoPoint>,
}

/// Connection-level counts (message counts are in each client's [`LinkStats`]).
#[derive(Debug, Default)]
pub struct ConnectionCounters {
    pub accepted: AtomicU64,
    /// Handshakes that failed: no client certificate, one from another CA, wrong ALPN.
    pub refused_handshake: AtomicU64,
    /// Closed because `max_clients` were connected.
    pub refused_full: AtomicU64,
    pub bad_requests: AtomicU64,
    /// Cut off by the queue policy (slow or lagging).
    pub cut_off: AtomicU64,
}

impl ConnectionCounters {
    fn add(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

struct Limits {
    name: String,
    max_clients: usize,
    client_queue: usize,
    max_drops: u64,
    max_lag: Duration,
}

struct Client {
    id: u64,
    peer: SocketAddr,
    label: String,
    conn: quinn::Connection,
    stats: Arc<LinkStats>,
    sub: Mutex<Option<Subscription>>,
    queue: Mutex<ClientQueue>,
    ready: Notify,
}

/// What one connected client asked for and has received.
#[derive(Debug, Clone)]
pub struct ClientSnapshot {
    pub id: u64,
    pub peer: SocketAddr,
    /// A short label of the client's certificate.
    pub label: String,
    pub subscription: Option<Subscription>,
    pub stats: LinkSnapshot,
}

struct Shared {
    limits: Limits,
    link: Arc<LinkStats>,
    clients: Mutex<Vec<Arc<Client>>>,
    counters: ConnectionCounters,
    next_id: AtomicU64,
}

impl Shared {
    fn remove(&self, id: u64) {
        lock(&self.clients).retain(|c| c.id != id);
    }

    fn fan_out(&self, m: &Outgoing) {
        let now = Instant::now();
        let clients: Vec<Arc<Client>> = lock(&self.clients).clone();
        let name = m.kind.name();
        for c in clients {
            let wants = lock(&c.sub)
                .as_ref()
                .is_some_and(|s| s.wants(m.kind, &m.positions));
            if !wants {
                continue;
            }
            let item = Queued {
                kind: m.kind,
                time: m.time,
                payload: m.payload.clone(),
                enqueued_at: now,
            };
            let (pushed, depth) = {
                let mut q = lock(&c.queue);
                let p = q.push(item, now);
                (p, q.len())
            };
            c.stats.enqueued(name, depth);
            if let Some(k) = pushed.dropped {
                c.stats.dropped(k.name(), 1);
                self.link.dropped(k.name(), 1);
            }
            match pushed.cut_off {
                Some(cut) => {
                    let reason = cut.to_string();
                    c.conn.close(cut.code().into(), reason.as_bytes());
                    c.stats.error(name, &reason);
                    c.stats.set_up(false);
                    ConnectionCounters::add(&self.counters.cut_off);
                    self.remove(c.id);
                }
                None => c.ready.notify_one(),
            }
        }
    }
}

/// The running endpoint. Dropping it stops accepting; [`QuicServer::shutdown`] also tells
/// the clients.
pub struct QuicServer {
    endpoint: quinn::Endpoint,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    tx: mpsc::Sender<Arc<Outgoing>>,
    task: tokio::task::JoinHandle<()>,
}

impl QuicServer {
    /// Loads the TLS material, binds `spec.listen` and starts accepting. Must be called
    /// inside a tokio runtime. The link's counters are registered in `registry`.
    pub fn bind(spec: &QuicSpec, registry: &LinkRegistry) -> Result<Self, QuicError> {
        let crypto = tls::server_config(&spec.cert, &spec.key, &spec.client_ca)?;
        let addr = spec.listen_addr().ok_or_else(|| QuicError::Bind {
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{:?} is not an address", spec.listen),
            ),
        })?;
        let mut transport = quinn::TransportConfig::default();
        transport
            .max_concurrent_uni_streams(0u8.into())
            .max_concurrent_bidi_streams(4u8.into())
            .send_window(SEND_WINDOW_BYTES)
            .keep_alive_interval(Some(KEEP_ALIVE));
        let mut cfg = quinn::ServerConfig::with_crypto(Arc::new(crypto));
        cfg.transport_config(Arc::new(transport));
        let endpoint = quinn::Endpoint::server(cfg, addr)
            .map_err(|source| QuicError::Bind { addr, source })?;
        let local_addr = endpoint
            .local_addr()
            .map_err(|source| QuicError::Bind { addr, source })?;
        let link = LinkStats::new(&spec.name, "quic", INTAKE_QUEUE);
        link.set_up(true);
        registry.register(link.clone());
        let shared = Arc::new(Shared {
            limits: Limits {
                name: spec.name.clone(),
                max_clients: spec.max_clients,
                client_queue: spec.client_queue,
                max_drops: spec.max_drops,
                max_lag: Duration::from_secs_f64(spec.max_lag_s),
            },
            link,
            clients: Mutex::new(Vec::new()),
            counters: ConnectionCounters::default(),
            next_id: AtomicU64::new(1),
        });
        let (tx, rx) = mpsc::channel(INTAKE_QUEUE);
        let task = tokio::spawn(run(endpoint.clone(), shared.clone(), rx));
        Ok(Self {
            endpoint,
            local_addr,
            shared,
            tx,
            task,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle for the service loop: never waits.
    pub fn sink(&self) -> QuicSink {
        QuicSink {
            tx: self.tx.clone(),
            link: self.shared.link.clone(),
        }
    }

    /// The link's own counters (all clients together, plus intake drops).
    pub fn stats(&self) -> LinkSnapshot {
        self.shared.link.snapshot()
    }

    pub fn counters(&self) -> &ConnectionCounters {
        &self.shared.counters
    }

    /// The clients connected now.
    pub fn clients(&self) -> Vec<ClientSnapshot> {
        lock(&self.shared.clients)
            .iter()
            .map(|c| ClientSnapshot {
                id: c.id,
                peer: c.peer,
                label: c.label.clone(),
                subscription: lock(&c.sub).clone(),
                stats: c.stats.snapshot(),
            })
            .collect()
    }

    /// Closes every connection with the reason "shutdown" and waits (up to a second) for
    /// the clients to be told.
    pub async fn shutdown(self) {
        self.endpoint.close(close::SHUTDOWN.into(), b"shutdown");
        self.task.abort();
        self.shared.link.set_up(false);
        let _ = tokio::time::timeout(Duration::from_secs(1), self.endpoint.wait_idle()).await;
    }
}

impl Drop for QuicServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The service's side of the link: hands each message over without waiting; when the
/// intake is full the message is dropped and counted.
#[derive(Clone)]
pub struct QuicSink {
    tx: mpsc::Sender<Arc<Outgoing>>,
    link: Arc<LinkStats>,
}

impl Sink for QuicSink {
    fn transmit(&mut self, t: &Transmit) {
        let name = t.kind.name();
        let m = Arc::new(Outgoing {
            kind: t.kind,
            time: t.time,
            payload: Arc::from(t.bytes.as_slice()),
            positions: t.positions.clone(),
        });
        match self.tx.try_send(m) {
            Ok(()) => {
                let depth = self.tx.max_capacity() - self.tx.capacity();
                self.link.enqueued(name, depth);
            }
            Err(mpsc::error::TrySendError::Full(_)) => self.link.dropped(name, 1),
            Err(mpsc::error::TrySendError::Closed(_)) => self.link.error(name, "link stopped"),
        }
    }
}

async fn run(
    endpoint: quinn::Endpoint,
    shared: Arc<Shared>,
    mut rx: mpsc::Receiver<Arc<Outgoing>>,
) {
    loop {
        tokio::select! {
            Some(incoming) = endpoint.accept() => {
                tokio::spawn(connection(shared.clone(), incoming));
            }
            m = rx.recv() => match m {
                Some(m) => {
                    shared.link.set_depth(rx.len());
                    shared.fan_out(&m);
                }
                None => break,
            },
        }
    }
}

/// Reads one subscription request from a new bidirectional stream.
async fn read_request(
    conn: &quinn::Connection,
) -> Result<(quinn::SendStream, Result<Subscription, wire::RequestError>), quinn::ConnectionError> {
    let (send, mut recv) = conn.accept_bi().await?;
    let parsed = match recv.read_to_end(wire::MAX_REQUEST_BYTES).await {
        Ok(bytes) => SubscribeRequest::parse(&bytes),
        Err(e) => Err(wire::RequestError {
            field: "(request)".into(),
            reason: match e {
                quinn::ReadToEndError::TooLong => {
                    format!("longer than {} bytes", wire::MAX_REQUEST_BYTES)
                }
                quinn::ReadToEndError::Read(e) => e.to_string(),
            },
        }),
    };
    Ok((send, parsed))
}

async fn reply(send: &mut quinn::SendStream, r: &SubscribeReply) {
    let bytes = serde_json::to_vec(r).unwrap_or_default();
    if send.write_all(&bytes).await.is_ok() && send.finish().is_ok() {
        // The reply must arrive before any close that follows it.
        let _ = tokio::time::timeout(Duration::from_secs(2), send.stopped()).await;
    }
}

async fn refuse(
    shared: &Shared,
    conn: &quinn::Connection,
    mut send: quinn::SendStream,
    e: wire::RequestError,
) {
    ConnectionCounters::add(&shared.counters.bad_requests);
    let reason = e.to_string();
    reply(&mut send, &SubscribeReply::Error(reason.clone())).await;
    conn.close(
        close::BAD_REQUEST.into(),
        format!("bad subscription: {reason}").as_bytes(),
    );
}

/// One client's life: handshake, first subscription, then its writer until it goes.
async fn connection(shared: Arc<Shared>, incoming: quinn::Incoming) {
    let peer = incoming.remote_address();
    let conn = match incoming.await {
        Ok(c) => c,
        Err(_) => {
            ConnectionCounters::add(&shared.counters.refused_handshake);
            return;
        }
    };
    let label = conn
        .peer_identity()
        .and_then(|id| {
            id.downcast::<Vec<rustls::pki_types::CertificateDer<'static>>>()
                .ok()
        })
        .and_then(|certs| certs.first().map(tls::label))
        .unwrap_or_else(|| "unknown".into());
    if lock(&shared.clients).len() >= shared.limits.max_clients {
        ConnectionCounters::add(&shared.counters.refused_full);
        let reason = format!("server full: {} clients", shared.limits.max_clients);
        conn.close(close::FULL.into(), reason.as_bytes());
        return;
    }
    let first = match tokio::time::timeout(REQUEST_TIMEOUT, read_request(&conn)).await {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => return,
        Err(_) => {
            conn.close(
                close::BAD_REQUEST.into(),
                b"no subscription request in time",
            );
            return;
        }
    };
    let (mut send, sub) = first;
    let sub = match sub {
        Ok(s) => s,
        Err(e) => return refuse(&shared, &conn, send, e).await,
    };
    ConnectionCounters::add(&shared.counters.accepted);
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let l = &shared.limits;
    let client = Arc::new(Client {
        id,
        peer,
        label: label.clone(),
        conn: conn.clone(),
        stats: LinkStats::new(
            &format!("{}/{peer}/{label}", l.name),
            "quic-client",
            l.client_queue,
        ),
        sub: Mutex::new(Some(sub)),
        queue: Mutex::new(ClientQueue::new(l.client_queue, l.max_drops, l.max_lag)),
        ready: Notify::new(),
    });
    client.stats.set_up(true);
    let stream = conn.open_uni().await;
    lock(&shared.clients).push(client.clone());
    reply(&mut send, &SubscribeReply::Ok(true)).await;
    // Later requests replace the subscription; a bad one ends the connection.
    let control = tokio::spawn({
        let (shared, client) = (shared.clone(), client.clone());
        async move {
            while let Ok((send, parsed)) = read_request(&client.conn).await {
                let mut send = send;
                match parsed {
                    Ok(sub) => {
                        *lock(&client.sub) = Some(sub);
                        reply(&mut send, &SubscribeReply::Ok(true)).await;
                    }
                    Err(e) => {
                        refuse(&shared, &client.conn, send, e).await;
                        break;
                    }
                }
            }
        }
    });
    if let Ok(mut stream) = stream {
        write_loop(&shared, &client, &mut stream).await;
    }
    control.abort();
    client.stats.set_up(false);
    shared.remove(id);
}

/// Drains the client's queue onto its message stream until the connection ends.
async fn write_loop(shared: &Shared, c: &Client, stream: &mut quinn::SendStream) {
    let clock = SystemClock;
    loop {
        let next = lock(&c.queue).pop();
        let Some(item) = next else {
            tokio::select! {
                _ = c.ready.notified() => continue,
                _ = c.conn.closed() => return,
            }
        };
        c.stats.set_depth(lock(&c.queue).len());
        let name = item.kind.name();
        let header = wire::encode_header(item.kind, item.time, item.payload.len());
        let written = async {
            stream.write_all(&header).await?;
            stream.write_all(&item.payload).await
        };
        match written.await {
            Ok(()) => {
                let latency_s = clock.now().secs_since(item.time);
                c.stats.sent(name, latency_s);
                shared.link.sent(name, latency_s);
            }
            Err(e) => {
                c.stats.error(name, &e);
                return;
            }
        }
    }
}
