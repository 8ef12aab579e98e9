//! The MQTT 5 link to the traffic-control centre's broker (rumqttc): a tokio task behind a
//! bounded channel that the service feeds with [`Publish`]es from the TCC feed and never
//! waits on.
//!
//! - Events, health and command replies ([`Topic::durable`]) go through a [`DiskQueue`]
//!   first and are published at QoS 1, oldest first, with a window of [`WINDOW`] unacknowledged;
//!   a record leaves the queue only when the broker acknowledges it. A broker outage (or a
//!   restart of the service) delays them, in order; the queue's size bounds what is kept, and
//!   what arrives past it is dropped and counted.
//! - Tracks and SPAT are periodic: QoS 0 from a small in-memory queue that drops its oldest
//!   when full (the next copy supersedes the last).
//! - Commands from `roadsight/{site}/cmd` come out of [`MqttLink::commands`] as raw bytes,
//!   for the service to check and apply.
//!
//! The queue's appends are small writes to the page cache (no fsync per message), so the
//! task can share the service's thread without holding the pipeline up.
//!
//! Each connection is a fresh rumqttc client and event loop with a clean session: after a
//! failure nothing stale can be sent or acknowledged on the new one, and everything not
//! acknowledged is sent again from the queue (at-least-once; consumers deduplicate by
//! `run` + `seq`). A publish the broker refuses (a reason code such as "not authorised") is
//! counted as an error and not retried, so one refused message cannot block the queue.

use super::diskq::{DiskQueue, QueueError};
use super::stats::{LinkRegistry, LinkStats};
use crate::clock::{Clock, SystemClock};
use crate::tcc::config::TccConfig;
use crate::tcc::{Publish, Topic};
use crate::time::Timestamp;
use rumqttc::v5::mqttbytes::v5::{Packet, PubAckReason};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use rumqttc::Outgoing;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Durable messages sent and not yet acknowledged, at most.
pub const WINDOW: usize = 32;
/// Messages waiting between the service and the link task; past this they are dropped.
pub const CHANNEL: usize = 1024;
/// Commands waiting for the service.
const COMMANDS: usize = 64;
/// How long, at shutdown, the link goes on delivering what it holds.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The link could not start.
#[derive(Debug, thiserror::Error)]
pub enum MqttError {
    #[error("tcc.broker: {0}")]
    Broker(String),
    #[error("tcc.password_file {file}: {source}")]
    Password {
        file: String,
        source: std::io::Error,
    },
    #[error("tcc.tls_ca {file}: {reason}")]
    TlsCa { file: String, reason: String },
    #[error("tcc.queue_dir: {0}")]
    Queue(#[from] QueueError),
}

/// The service's side of the link.
pub struct MqttLink {
    tx: mpsc::Sender<Publish>,
    /// Raw commands from `roadsight/{site}/cmd`, oldest first.
    pub commands: mpsc::Receiver<Vec<u8>>,
    stats: Arc<LinkStats>,
    task: JoinHandle<()>,
}

impl MqttLink {
    /// Opens the outage queue and starts the link task (inside a tokio runtime); it
    /// connects, and reconnects after any failure, on its own. Registers its counters.
    pub fn spawn(cfg: &TccConfig, registry: &LinkRegistry) -> Result<Self, MqttError> {
        let options = options(cfg)?;
        let queue = DiskQueue::open(&cfg.queue_dir, cfg.queue_max_bytes)?;
        // The disk queue is bounded in bytes; in messages it holds at most its size over the
        // smallest record the feed writes (a command reply, about 250 bytes with its header).
        let stats = LinkStats::new(
            &format!("tcc {}", cfg.broker),
            "mqtt",
            cfg.periodic_queue + (cfg.queue_max_bytes as usize / 256),
        );
        registry.register(stats.clone());
        let recovered = queue.counters();
        if recovered.corrupt_records > 0 {
            stats.error(
                "disk_queue",
                format!(
                    "{} corrupt or torn record(s) in {} skipped at open",
                    recovered.corrupt_records,
                    cfg.queue_dir.display()
                ),
            );
        }
        let (tx, rx) = mpsc::channel(CHANNEL);
        let (cmd_tx, commands) = mpsc::channel(COMMANDS);
        let task = Task {
            options,
            topics: Topic::ALL.map(|t| cfg.topic(t.suffix())),
            cmd_topic: cfg.topic("cmd"),
            reconnect_max: Duration::from_secs_f64(cfg.reconnect_max_s),
            queue,
            periodic: VecDeque::new(),
            periodic_cap: cfg.periodic_queue,
            stats: stats.clone(),
            cmd_tx,
            conn: None,
            backoff: Duration::from_millis(100),
            retry_at: tokio::time::Instant::now(),
            awaiting: VecDeque::new(),
            inflight: BTreeMap::new(),
            acked_out_of_order: BTreeSet::new(),
            head: 0,
            next_send: 0,
        };
        let task = tokio::spawn(task.run(rx));
        Ok(Self {
            tx,
            commands,
            stats,
            task,
        })
    }

    /// Hands a message to the link without waiting; when the channel is full it is dropped
    /// and counted (the service loop must never stall on the broker).
    pub fn offer(&self, p: Publish) {
        let topic = p.topic.suffix();
        if self.tx.try_send(p).is_err() {
            self.stats.dropped(topic, 1);
        }
    }

    pub fn stats(&self) -> &Arc<LinkStats> {
        &self.stats
    }

    /// Stops taking messages, lets the task deliver what it holds for up to
    /// [`SHUTDOWN_GRACE`], and waits for it.
    pub async fn close(self) {
        let Self { tx, task, .. } = self;
        drop(tx);
        let abort = task.abort_handle();
        if tokio::time::timeout(SHUTDOWN_GRACE + Duration::from_secs(1), task)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
}

fn options(cfg: &TccConfig) -> Result<MqttOptions, MqttError> {
    let addr = cfg.broker_addr().map_err(MqttError::Broker)?;
    let mut o = MqttOptions::new(cfg.client_id(), addr.host.clone(), addr.port);
    o.set_keep_alive(Duration::from_secs_f64(cfg.keep_alive_s.max(1.0)));
    o.set_clean_start(true);
    o.set_connection_timeout(5);
    o.set_max_packet_size(Some(4 * 1024 * 1024));
    if let Some(user) = &cfg.username {
        let password = cfg.password().map_err(|source| MqttError::Password {
            file: cfg
                .password_file
                .as_ref()
                .map_or_else(String::new, |p| p.display().to_string()),
            source,
        })?;
        o.set_credentials(user.clone(), password.unwrap_or_default());
    }
    if addr.tls {
        tls(cfg, &mut o)?;
    }
    Ok(o)
}

#[cfg(feature = "tcc-tls")]
fn tls(cfg: &TccConfig, o: &mut MqttOptions) -> Result<(), MqttError> {
    use rumqttc::{TlsConfiguration, Transport};
    let transport = match &cfg.tls_ca {
        Some(path) => {
            let ca = std::fs::read(path).map_err(|e| MqttError::TlsCa {
                file: path.display().to_string(),
                reason: e.to_string(),
            })?;
            Transport::tls_with_config(TlsConfiguration::Simple {
                ca,
                alpn: None,
                client_auth: None,
            })
        }
        None => Transport::tls_with_config(TlsConfiguration::default()),
    };
    o.set_transport(transport);
    Ok(())
}

#[cfg(not(feature = "tcc-tls"))]
fn tls(_cfg: &TccConfig, _o: &mut MqttOptions) -> Result<(), MqttError> {
    Err(MqttError::Broker(
        "mqtts:// needs TLS, and this build has no TLS (build with --features tcc-tls)".into(),
    ))
}

/// What was handed to rumqttc and not yet seen going out.
enum Sent {
    /// The durable record with this absolute index.
    Durable(u64),
    Periodic(Topic, Timestamp),
}

struct Conn {
    client: AsyncClient,
    events: mpsc::Receiver<Result<Event, String>>,
    task: JoinHandle<()>,
    up: bool,
}

struct Task {
    options: MqttOptions,
    topics: [String; Topic::ALL.len()],
    cmd_topic: String,
    reconnect_max: Duration,
    queue: DiskQueue,
    periodic: VecDeque<Publish>,
    periodic_cap: usize,
    stats: Arc<LinkStats>,
    cmd_tx: mpsc::Sender<Vec<u8>>,
    conn: Option<Conn>,
    backoff: Duration,
    retry_at: tokio::time::Instant,
    awaiting: VecDeque<Sent>,
    /// Packet id → absolute index of a durable record sent on this connection.
    inflight: BTreeMap<u16, u64>,
    acked_out_of_order: BTreeSet<u64>,
    /// Absolute index of the queue's oldest record (records acknowledged so far).
    head: u64,
    /// Absolute index of the next durable record to send.
    next_send: u64,
}

/// A durable record: topic, creation time, payload.
fn encode_record(p: &Publish) -> Vec<u8> {
    let mut r = Vec::with_capacity(9 + p.payload.len());
    r.push(p.topic as u8);
    r.extend_from_slice(&p.time.micros().to_le_bytes());
    r.extend_from_slice(&p.payload);
    r
}

fn decode_record(r: &[u8]) -> Option<(Topic, Timestamp, &[u8])> {
    let topic = *Topic::ALL.get(usize::from(*r.first()?))?;
    let t = i64::from_le_bytes(r.get(1..9)?.try_into().ok()?);
    Some((topic, Timestamp::from_micros(t), r.get(9..)?))
}

impl Task {
    async fn run(mut self, mut rx: mpsc::Receiver<Publish>) {
        let mut sync = tokio::time::interval(Duration::from_millis(200));
        sync.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut closing: Option<tokio::time::Instant> = None;
        loop {
            let retry_at = self.retry_at;
            let connected = self.conn.is_some();
            tokio::select! {
                m = rx.recv(), if closing.is_none() => match m {
                    Some(p) => {
                        self.accept(p);
                        // Take what else is waiting before publishing, in one go.
                        while let Ok(p) = rx.try_recv() {
                            self.accept(p);
                        }
                    }
                    None => closing = Some(tokio::time::Instant::now() + SHUTDOWN_GRACE),
                },
                ev = recv_event(&mut self.conn), if connected => self.handle(ev),
                _ = tokio::time::sleep_until(retry_at), if !connected => self.connect(),
                _ = sync.tick() => self.sync_ack(),
                _ = tokio::time::sleep_until(closing.unwrap_or_else(tokio::time::Instant::now)), if closing.is_some() => break,
            }
            self.pump();
            if closing.is_some() && self.queue.is_empty() && self.periodic.is_empty() {
                break;
            }
        }
        self.sync_ack();
        if let Some(c) = self.conn.take() {
            let _ = c.client.try_disconnect();
            c.task.abort();
        }
        self.stats.set_up(false);
    }

    fn sync_ack(&mut self) {
        if let Err(e) = self.queue.sync_ack() {
            self.stats.error("disk_queue", e);
        }
    }

    fn depth(&self) -> usize {
        self.queue.len() + self.periodic.len()
    }

    fn accept(&mut self, p: Publish) {
        let topic = p.topic.suffix();
        if p.topic.durable() {
            match self.queue.push(&encode_record(&p)) {
                Ok(()) => self.stats.enqueued(topic, self.depth()),
                Err(QueueError::Full { .. }) => self.stats.dropped(topic, 1),
                Err(e) => self.stats.error(topic, e),
            }
        } else {
            if self.periodic.len() >= self.periodic_cap {
                if let Some(old) = self.periodic.pop_front() {
                    self.stats.dropped(old.topic.suffix(), 1);
                }
            }
            self.periodic.push_back(p);
            self.stats.enqueued(topic, self.depth());
        }
    }

    fn connect(&mut self) {
        let (client, mut el) = AsyncClient::new(self.options.clone(), WINDOW + 64);
        let (tx, events) = mpsc::channel(256);
        let task = tokio::spawn(async move {
            loop {
                let ev = el.poll().await;
                let failed = ev.is_err();
                if tx.send(ev.map_err(|e| e.to_string())).await.is_err() || failed {
                    break;
                }
            }
        });
        self.conn = Some(Conn {
            client,
            events,
            task,
            up: false,
        });
    }

    /// The connection failed: forget what was in flight on it and try again later.
    fn disconnected(&mut self, reason: String) {
        if let Some(c) = self.conn.take() {
            c.task.abort();
        }
        for s in self.awaiting.drain(..) {
            if let Sent::Periodic(t, _) = s {
                self.stats.dropped(t.suffix(), 1);
            }
        }
        self.inflight.clear();
        self.acked_out_of_order.clear();
        self.next_send = self.head;
        self.stats.set_up(false);
        self.stats.error("connection", reason);
        self.retry_at = tokio::time::Instant::now() + self.backoff;
        self.backoff = (self.backoff * 2).min(self.reconnect_max);
    }

    fn handle(&mut self, ev: Option<Result<Event, String>>) {
        let ev = match ev {
            Some(Ok(ev)) => ev,
            Some(Err(e)) => return self.disconnected(e),
            None => return self.disconnected("event loop ended".into()),
        };
        match ev {
            Event::Incoming(Packet::ConnAck(_)) => {
                self.backoff = Duration::from_millis(100);
                if let Some(c) = &mut self.conn {
                    c.up = true;
                    // Commands at QoS 1: the broker keeps them until read.
                    if let Err(e) = c
                        .client
                        .try_subscribe(self.cmd_topic.clone(), QoS::AtLeastOnce)
                    {
                        self.stats.error("connection", e);
                    }
                }
                self.stats.set_up(true);
            }
            Event::Outgoing(Outgoing::Publish(pkid)) => match self.awaiting.pop_front() {
                Some(Sent::Durable(i)) => {
                    self.inflight.insert(pkid, i);
                }
                Some(Sent::Periodic(t, time)) => {
                    self.stats
                        .sent(t.suffix(), SystemClock.now().secs_since(time));
                }
                None => {}
            },
            Event::Incoming(Packet::PubAck(ack)) => {
                let Some(i) = self.inflight.remove(&ack.pkid) else {
                    return;
                };
                let topic = self
                    .queue
                    .get((i - self.head) as usize)
                    .and_then(decode_record)
                    .map(|(t, time, _)| (t, time));
                if let Some((t, time)) = topic {
                    if matches!(
                        ack.reason,
                        PubAckReason::Success | PubAckReason::NoMatchingSubscribers
                    ) {
                        self.stats
                            .sent(t.suffix(), SystemClock.now().secs_since(time));
                    } else {
                        self.stats.error(
                            t.suffix(),
                            format!("broker refused the message: {:?}", ack.reason),
                        );
                    }
                }
                self.acked_out_of_order.insert(i);
                let mut n = 0;
                while self.acked_out_of_order.remove(&(self.head + n as u64)) {
                    n += 1;
                }
                self.queue.ack(n);
                self.head += n as u64;
                self.stats.set_depth(self.depth());
            }
            Event::Incoming(Packet::Publish(p))
                if p.topic.as_ref() == self.cmd_topic.as_bytes()
                    && self.cmd_tx.try_send(p.payload.to_vec()).is_err() =>
            {
                self.stats.dropped("cmd", 1);
            }
            Event::Incoming(Packet::Disconnect(d)) => {
                self.disconnected(format!("broker disconnected: {:?}", d.reason_code));
            }
            _ => {}
        }
    }

    /// Hands rumqttc what the window and the connection allow: durable records first (in
    /// order), then the periodic messages.
    fn pump(&mut self) {
        let Some(c) = self.conn.as_ref().filter(|c| c.up) else {
            return;
        };
        while self.inflight.len() + self.awaiting.len() < WINDOW {
            let idx = (self.next_send - self.head) as usize;
            let Some(rec) = self.queue.get(idx) else {
                break;
            };
            let Some((topic, _, payload)) = decode_record(rec) else {
                // Cannot happen for records this link wrote; drop it rather than stall.
                self.stats.error("disk_queue", "undecodable record dropped");
                self.next_send += 1;
                self.acked_out_of_order.insert(self.next_send - 1);
                continue;
            };
            let t = self.topics[topic as usize].clone();
            match c
                .client
                .try_publish(t, QoS::AtLeastOnce, false, payload.to_vec())
            {
                Ok(()) => {
                    self.awaiting.push_back(Sent::Durable(self.next_send));
                    self.next_send += 1;
                }
                Err(_) => return,
            }
        }
        while self.awaiting.len() < WINDOW + 32 {
            let Some(p) = self.periodic.pop_front() else {
                break;
            };
            let t = self.topics[p.topic as usize].clone();
            match c.client.try_publish(t, QoS::AtMostOnce, false, p.payload) {
                Ok(()) => self.awaiting.push_back(Sent::Periodic(p.topic, p.time)),
                Err(_) => {
                    self.stats
                        .error(p.topic.suffix(), "client request queue full");
                    break;
                }
            }
        }
        self.stats.set_depth(self.depth());
    }
}

async fn recv_event(conn: &mut Option<Conn>) -> Option<Result<Event, String>> {
    match conn {
        Some(c) => c.events.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let p = Publish {
            topic: Topic::Health,
            payload: b"{}".to_vec(),
            time: Timestamp::from_micros(1_234_567),
        };
        let r = encode_record(&p);
        assert_eq!(decode_record(&r), Some((Topic::Health, p.time, &b"{}"[..])));
        assert_eq!(decode_record(&[9, 0]), None);
    }
}
