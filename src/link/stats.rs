//! Counters every link keeps (RSU, QUIC, MQTT, ...), per message type: the one shape the
//! metrics endpoint and the TCC health feed read, whatever the link's transport.
//!
//! A link task owns an `Arc<LinkStats>` and reports as it goes; readers take a
//! [`LinkSnapshot`]. A mutex is enough: links count per message, not per detection, and the
//! sans-IO core never touches this.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Upper bounds (seconds) of the latency histogram buckets, from message creation to send.
pub const LATENCY_BUCKETS_S: [f64; 12] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// Counters of one message type on one link.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageCounters {
    pub enqueued: u64,
    pub sent: u64,
    /// Dropped by the queue policy (drop-oldest when full, or past a size limit).
    pub dropped: u64,
    pub errors: u64,
    /// Cumulative counts per [`LATENCY_BUCKETS_S`] bucket (Prometheus `le` semantics), plus
    /// the count above the last bound at the end.
    pub latency_buckets: [u64; LATENCY_BUCKETS_S.len() + 1],
    pub latency_sum_s: f64,
}

/// What one link has done, at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkSnapshot {
    pub name: String,
    /// Transport kind, e.g. "rsu", "quic", "mqtt".
    pub kind: String,
    pub up: bool,
    pub queue_depth: usize,
    pub queue_capacity: usize,
    pub last_error: Option<String>,
    /// Failures of the link itself, not of one message (its socket cannot be opened).
    pub link_errors: u64,
    /// Keyed by message type name ("RSM", "SPAT", "events", ...).
    pub messages: BTreeMap<String, MessageCounters>,
}

/// One link's live counters, shared between its task and the readers.
#[derive(Debug)]
pub struct LinkStats {
    inner: Mutex<LinkSnapshot>,
}

impl LinkStats {
    pub fn new(name: &str, kind: &str, queue_capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(LinkSnapshot {
                name: name.to_string(),
                kind: kind.to_string(),
                up: false,
                queue_depth: 0,
                queue_capacity,
                last_error: None,
                link_errors: 0,
                messages: BTreeMap::new(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, LinkSnapshot> {
        // A panic while holding the lock leaves counters that are still meaningful.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with(&self, msg: &str, f: impl FnOnce(&mut MessageCounters)) {
        let mut s = self.lock();
        match s.messages.get_mut(msg) {
            Some(c) => f(c),
            None => f(s.messages.entry(msg.to_string()).or_default()),
        }
    }

    pub fn enqueued(&self, msg: &str, depth: usize) {
        self.with(msg, |c| c.enqueued += 1);
        self.lock().queue_depth = depth;
    }

    pub fn set_depth(&self, depth: usize) {
        self.lock().queue_depth = depth;
    }

    /// A message left; `latency_s` is from its creation in the pipeline to now.
    pub fn sent(&self, msg: &str, latency_s: f64) {
        self.with(msg, |c| {
            c.sent += 1;
            let latency_s = if latency_s.is_finite() {
                latency_s.max(0.0)
            } else {
                0.0
            };
            c.latency_sum_s += latency_s;
            let i = LATENCY_BUCKETS_S
                .iter()
                .position(|&b| latency_s <= b)
                .unwrap_or(LATENCY_BUCKETS_S.len());
            for b in &mut c.latency_buckets[i..LATENCY_BUCKETS_S.len()] {
                *b += 1;
            }
            c.latency_buckets[LATENCY_BUCKETS_S.len()] += 1;
        });
    }

    pub fn dropped(&self, msg: &str, n: u64) {
        self.with(msg, |c| c.dropped += n);
    }

    pub fn error(&self, msg: &str, error: impl std::fmt::Display) {
        self.with(msg, |c| c.errors += 1);
        self.lock().last_error = Some(error.to_string());
    }

    /// The link itself failed (no socket); it is down until it comes back.
    pub fn link_error(&self, error: impl std::fmt::Display) {
        let mut s = self.lock();
        s.link_errors += 1;
        s.up = false;
        s.last_error = Some(error.to_string());
    }

    pub fn set_up(&self, up: bool) {
        self.lock().up = up;
    }

    pub fn snapshot(&self) -> LinkSnapshot {
        self.lock().clone()
    }
}

/// All the links of a service, for the metrics endpoint and the health feed.
#[derive(Debug, Default, Clone)]
pub struct LinkRegistry {
    links: Arc<Mutex<Vec<Arc<LinkStats>>>>,
}

impl LinkRegistry {
    pub fn register(&self, stats: Arc<LinkStats>) {
        self.links
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(stats);
    }

    pub fn snapshot(&self) -> Vec<LinkSnapshot> {
        self.links
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|l| l.snapshot())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_lands_in_cumulative_buckets() {
        let s = LinkStats::new("rsu-1", "rsu", 8);
        s.sent("RSM", 0.003);
        s.sent("RSM", 2.0);
        s.dropped("RSM", 2);
        let snap = s.snapshot();
        let c = &snap.messages["RSM"];
        assert_eq!(c.sent, 2);
        assert_eq!(c.dropped, 2);
        // 3 ms is in the 5 ms bucket and above, not in the 2.5 ms one.
        assert_eq!(c.latency_buckets[4], 0);
        assert_eq!(c.latency_buckets[5], 1);
        assert_eq!(c.latency_buckets[LATENCY_BUCKETS_S.len() - 1], 1);
        assert_eq!(c.latency_buckets[LATENCY_BUCKETS_S.len()], 2);
    }
}
