//! One client's queue and the policy that keeps it bounded, sans-IO (time is an argument):
//! the link pushes, the client's writer pops. When the queue is full the oldest periodic
//! message (RSM, SPAT, MAP: its next copy supersedes it) makes room; RSI events are kept
//! while there is a periodic message to drop instead. A client is cut off after `max_drops`
//! drops, or when its oldest queued message has waited `max_lag`.

use super::wire::close;
use crate::pipeline::MessageKind;
use crate::time::Timestamp;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One message on its way to one client; the payload is shared by every client's queue.
#[derive(Debug, Clone)]
pub struct Queued {
    pub kind: MessageKind,
    /// When the pipeline made it.
    pub time: Timestamp,
    pub payload: Arc<[u8]>,
    pub enqueued_at: Instant,
}

/// Why a client was cut off; the reason goes to the client with the close code.
#[derive(Debug, Clone, PartialEq)]
pub enum CutOff {
    Slow { dropped: u64 },
    Lagging { lag_s: f64 },
}

impl CutOff {
    pub fn code(&self) -> u32 {
        match self {
            Self::Slow { .. } => close::SLOW,
            Self::Lagging { .. } => close::LAGGING,
        }
    }
}

impl std::fmt::Display for CutOff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Slow { dropped } => {
                write!(f, "slow consumer: {dropped} messages dropped")
            }
            Self::Lagging { lag_s } => {
                write!(f, "lagging: oldest queued message waited {lag_s:.1} s")
            }
        }
    }
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pushed {
    /// The kind of the message dropped to keep the bound, if one was.
    pub dropped: Option<MessageKind>,
    /// Set when the client must be cut off.
    pub cut_off: Option<CutOff>,
}

#[derive(Debug)]
pub struct ClientQueue {
    items: VecDeque<Queued>,
    capacity: usize,
    max_drops: u64,
    max_lag: Duration,
    dropped: u64,
}

impl ClientQueue {
    pub fn new(capacity: usize, max_drops: u64, max_lag: Duration) -> Self {
        Self {
            items: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
            max_drops,
            max_lag,
            dropped: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn pop(&mut self) -> Option<Queued> {
        self.items.pop_front()
    }

    /// Queues `item` at `now` under the policy; never holds more than the capacity.
    pub fn push(&mut self, item: Queued, now: Instant) -> Pushed {
        let mut out = Pushed::default();
        if let Some(front) = self.items.front() {
            let lag = now.saturating_duration_since(front.enqueued_at);
            if lag > self.max_lag {
                out.cut_off = Some(CutOff::Lagging {
                    lag_s: lag.as_secs_f64(),
                });
                return out;
            }
        }
        if self.items.len() < self.capacity {
            self.items.push_back(item);
            return out;
        }
        let oldest_periodic = self.items.iter().position(|q| q.kind != MessageKind::Rsi);
        match oldest_periodic {
            Some(i) => {
                out.dropped = self.items.remove(i).map(|q| q.kind);
                self.items.push_back(item);
            }
            // Only events queued: they stay, and the newcomer is the one dropped.
            None => out.dropped = Some(item.kind),
        }
        self.dropped += 1;
        if self.dropped >= self.max_drops {
            out.cut_off = Some(CutOff::Slow {
                dropped: self.dropped,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(kind: MessageKind, n: u8, at: Instant) -> Queued {
        Queued {
            kind,
            time: Timestamp::from_micros(i64::from(n)),
            payload: Arc::from(vec![n]),
            enqueued_at: at,
        }
    }

    #[test]
    fn full_queue_drops_oldest_periodic_keeps_events_then_cuts_off() {
        let t0 = Instant::now();
        let mut cq = ClientQueue::new(3, 3, Duration::from_secs(10));
        assert_eq!(cq.push(q(MessageKind::Rsi, 0, t0), t0), Pushed::default());
        cq.push(q(MessageKind::Rsm, 1, t0), t0);
        cq.push(q(MessageKind::Spat, 2, t0), t0);
        // Full: the RSM (oldest periodic) goes, not the older RSI.
        let p = cq.push(q(MessageKind::Rsm, 3, t0), t0);
        assert_eq!(p.dropped, Some(MessageKind::Rsm));
        assert_eq!(cq.len(), 3);
        let order: Vec<u8> = cq.items.iter().map(|x| x.payload[0]).collect();
        assert_eq!(order, vec![0, 2, 3]);
        let p = cq.push(q(MessageKind::Rsi, 4, t0), t0);
        assert_eq!((p.dropped, p.cut_off), (Some(MessageKind::Spat), None));
        let p = cq.push(q(MessageKind::Rsi, 5, t0), t0);
        assert_eq!(p.dropped, Some(MessageKind::Rsm));
        assert_eq!(p.cut_off, Some(CutOff::Slow { dropped: 3 }));
        assert_eq!(cq.len(), 3);
    }

    #[test]
    fn only_events_queued_drops_the_newcomer() {
        let t0 = Instant::now();
        let mut cq = ClientQueue::new(2, 10, Duration::from_secs(10));
        cq.push(q(MessageKind::Rsi, 0, t0), t0);
        cq.push(q(MessageKind::Rsi, 1, t0), t0);
        let p = cq.push(q(MessageKind::Rsm, 2, t0), t0);
        assert_eq!(p.dropped, Some(MessageKind::Rsm));
        let order: Vec<u8> = cq.items.iter().map(|x| x.payload[0]).collect();
        assert_eq!(order, vec![0, 1]);
    }

    #[test]
    fn a_stale_head_cuts_off() {
        let t0 = Instant::now();
        let mut cq = ClientQueue::new(8, 10, Duration::from_millis(500));
        cq.push(q(MessageKind::Rsm, 0, t0), t0);
        let ok = cq.push(q(MessageKind::Rsm, 1, t0), t0 + Duration::from_millis(400));
        assert_eq!(ok.cut_off, None);
        let p = cq.push(q(MessageKind::Rsm, 2, t0), t0 + Duration::from_millis(600));
        assert!(matches!(p.cut_off, Some(CutOff::Lagging { lag_s }) if lag_s > 0.5));
        let msg = p.cut_off.map(|c| c.to_string()).unwrap_or_default();
        assert!(msg.starts_with("lagging"), "{msg}");
    }
}
