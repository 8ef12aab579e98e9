//! Links: where messages leave the box (and captures of what left).
//!
//! Every live link is a tokio task behind its own bounded [`queue::LinkQueue`]. The service
//! offers each [`Transmit`] to every link ([`Links`] is a [`Sink`]); offering only locks a
//! queue for a push, so a slow or dead link never stalls the pipeline. Each link counts
//! per message type in its [`stats::LinkStats`], registered in one [`stats::LinkRegistry`].

pub mod diskq;
pub mod mqtt;
pub mod pcap;
pub mod queue;
pub mod quic;
pub mod rsu;
pub mod sinks;
pub mod stats;

use crate::pipeline::driver::Sink;
use crate::pipeline::{MessageKind, Transmit};
use queue::{LinkQueue, Pushed};
use stats::{LinkRegistry, LinkStats};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// A link's running task.
pub type LinkTask = tokio::task::JoinHandle<()>;

/// The pipeline side of one link: its queue, its wake-up and its counters.
#[derive(Debug)]
pub struct LinkInput {
    queue: Mutex<LinkQueue>,
    wake: Notify,
    closed: AtomicBool,
    kinds: Vec<MessageKind>,
    pub stats: Arc<LinkStats>,
}

impl LinkInput {
    pub fn new(
        name: &str,
        transport: &str,
        kinds: Vec<MessageKind>,
        queue: LinkQueue,
    ) -> Arc<Self> {
        let stats = LinkStats::new(name, transport, queue.capacity());
        Arc::new(Self {
            queue: Mutex::new(queue),
            wake: Notify::new(),
            closed: AtomicBool::new(false),
            kinds,
            stats,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LinkQueue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a message for this link if it carries its kind, by the queue's policy.
    pub fn offer(&self, tx: &Transmit) {
        if !self.kinds.contains(&tx.kind) {
            return;
        }
        let (pushed, depth) = {
            let mut q = self.lock();
            let p = q.push(tx.clone());
            (p, q.len())
        };
        let name = tx.kind.name();
        match pushed {
            Pushed::Queued => self.stats.enqueued(name, depth),
            Pushed::Superseded(old) => {
                self.stats.enqueued(name, depth);
                self.stats.dropped(old.name(), 1);
            }
            Pushed::Refused => self.stats.dropped(name, 1),
        }
        self.wake.notify_one();
    }

    /// The next message to send, if any.
    pub fn pop(&self) -> Option<Transmit> {
        let mut q = self.lock();
        let tx = q.pop();
        self.stats.set_depth(q.len());
        tx
    }

    /// Waits until a message is offered or the input is closed.
    pub async fn wait(&self) {
        self.wake.notified().await;
    }

    /// No more messages will come; the task sends what is queued and ends.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

/// Every link of a service, as one sink.
pub struct Links {
    inputs: Vec<Arc<LinkInput>>,
    tasks: Vec<LinkTask>,
    registry: LinkRegistry,
}

impl Links {
    /// Starts a task per declared link (inside a tokio runtime) and registers its counters.
    pub fn start(spec: &crate::scenario::links::LinksSpec, registry: &LinkRegistry) -> Self {
        let mut links = Self {
            inputs: Vec::new(),
            tasks: Vec::new(),
            registry: registry.clone(),
        };
        for r in &spec.rsu {
            let input = LinkInput::new(
                &r.name,
                "rsu",
                r.messages.clone(),
                LinkQueue::new(r.queue, r.event_queue),
            );
            links.registry.register(input.stats.clone());
            links.tasks.push(rsu::spawn(r.clone(), input.clone()));
            links.inputs.push(input);
        }
        links
    }

    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    pub fn registry(&self) -> &LinkRegistry {
        &self.registry
    }

    /// Gives every link `grace` to send what it holds, then stops it.
    pub async fn shutdown(self, grace: std::time::Duration) {
        for i in &self.inputs {
            i.close();
        }
        let deadline = tokio::time::Instant::now() + grace;
        for t in self.tasks {
            let abort = t.abort_handle();
            if tokio::time::timeout_at(deadline, t).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Sink for Links {
    fn transmit(&mut self, tx: &Transmit) {
        for i in &self.inputs {
            i.offer(tx);
        }
    }
}
