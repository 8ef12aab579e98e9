//! The bounded queue in front of every link, with the policy each message kind needs:
//!
//! - Periodic messages (RSM, SPAT, MAP): the next copy supersedes the last, so when the
//!   link falls behind the oldest waiting copy (of the same kind first) is dropped. A slow
//!   link then sends fresh state late rather than stale state in order.
//! - Events (RSI): kept, however slow the link, up to a separate bound; past it the new
//!   one is refused and counted, so memory stays bounded.
//!
//! Plain data, no I/O and no locking: the link wraps it in its own mutex.

use crate::pipeline::{MessageKind, Transmit};
use std::collections::VecDeque;

#[derive(Debug)]
pub struct LinkQueue {
    items: VecDeque<Transmit>,
    periodic_capacity: usize,
    event_capacity: usize,
    events: usize,
}

/// What [`LinkQueue::push`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    Queued,
    /// Queued, and an older periodic message of this kind was dropped for it.
    Superseded(MessageKind),
    /// Refused: the event bound is reached.
    Refused,
}

impl LinkQueue {
    /// Capacities are at least 1.
    pub fn new(periodic_capacity: usize, event_capacity: usize) -> Self {
        Self {
            items: VecDeque::with_capacity(periodic_capacity.max(1)),
            periodic_capacity: periodic_capacity.max(1),
            event_capacity: event_capacity.max(1),
            events: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The most this queue holds.
    pub fn capacity(&self) -> usize {
        self.periodic_capacity + self.event_capacity
    }

    fn is_event(k: MessageKind) -> bool {
        !MessageKind::PERIODIC.contains(&k)
    }

    pub fn push(&mut self, tx: Transmit) -> Pushed {
        if Self::is_event(tx.kind) {
            if self.events >= self.event_capacity {
                return Pushed::Refused;
            }
            self.events += 1;
            self.items.push_back(tx);
            return Pushed::Queued;
        }
        let mut outcome = Pushed::Queued;
        if self.items.len() - self.events >= self.periodic_capacity {
            let victim = self
                .items
                .iter()
                .position(|t| t.kind == tx.kind)
                .or_else(|| self.items.iter().position(|t| !Self::is_event(t.kind)));
            if let Some(dropped) = victim.and_then(|i| self.items.remove(i)) {
                outcome = Pushed::Superseded(dropped.kind);
            }
        }
        self.items.push_back(tx);
        outcome
    }

    pub fn pop(&mut self) -> Option<Transmit> {
        let tx = self.items.pop_front()?;
        if Self::is_event(tx.kind) {
            self.events -= 1;
        }
        Some(tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn tx(kind: MessageKind, t: i64) -> Transmit {
        Transmit {
            time: Timestamp::from_micros(t),
            kind,
            bytes: vec![t as u8],
            positions: Vec::new(),
        }
    }

    #[test]
    fn periodic_drops_its_own_oldest_copy_and_events_are_kept() {
        let mut q = LinkQueue::new(2, 2);
        assert_eq!(q.push(tx(MessageKind::Map, 1)), Pushed::Queued);
        assert_eq!(q.push(tx(MessageKind::Rsm, 2)), Pushed::Queued);
        assert_eq!(q.push(tx(MessageKind::Rsi, 3)), Pushed::Queued);
        // Full of periodic: the new RSM supersedes the old RSM, not the MAP.
        assert_eq!(
            q.push(tx(MessageKind::Rsm, 4)),
            Pushed::Superseded(MessageKind::Rsm)
        );
        // A SPAT has no older copy: the oldest periodic message (MAP) goes.
        assert_eq!(
            q.push(tx(MessageKind::Spat, 5)),
            Pushed::Superseded(MessageKind::Map)
        );
        assert_eq!(q.push(tx(MessageKind::Rsi, 6)), Pushed::Queued);
        assert_eq!(q.push(tx(MessageKind::Rsi, 7)), Pushed::Refused);
        let order: Vec<i64> = std::iter::from_fn(|| q.pop())
            .map(|t| t.time.micros())
            .collect();
        assert_eq!(order, vec![3, 4, 5, 6]);
        assert!(q.is_empty());
        // Popped events free their room.
        assert_eq!(q.push(tx(MessageKind::Rsi, 8)), Pushed::Queued);
    }
}
