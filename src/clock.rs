//! Where the pipeline's "now" comes from: virtual in replay (advanced by the driver, as fast
//! as the CPU allows), real in live mode. The core never asks; drivers read a clock and pass
//! the time in.

use crate::time::Timestamp;
use std::cell::Cell;

pub trait Clock {
    fn now(&self) -> Timestamp;
}

/// The system's UTC clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp::from_micros(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
    }
}

/// A clock that moves only when told to.
#[derive(Debug, Default)]
pub struct VirtualClock(Cell<Timestamp>);

impl VirtualClock {
    pub fn new(start: Timestamp) -> Self {
        Self(Cell::new(start))
    }

    /// Moves the clock to `t`; time never runs backwards, so an earlier `t` is ignored.
    pub fn advance_to(&self, t: Timestamp) {
        if t > self.0.get() {
            self.0.set(t);
        }
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Timestamp {
        self.0.get()
    }
}
