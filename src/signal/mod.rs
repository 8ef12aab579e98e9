//! Signal state: what each signal group shows, when that started, and when it will end (the
//! earliest, the latest and the likely end, with a confidence). Three sources behind one
//! output: a fixed-time plan, an actuated controller's recorded timeline (replay), and a
//! live controller feed ([`feed`], JSON over UDP; NTCIP 1202 or GB/T 20999 adapters would be
//! further [`feed::FeedDecoder`]s). [`SignalMonitor`] turns successive states into events:
//! phase changes, all-red, flashing or failure, and loss of the feed.
//!
//! Sans-IO: every call takes the time; nothing here reads a clock or a socket.

pub mod actuated;
pub mod feed;
pub mod fixed;

use crate::scenario::{SignalKind, SignalPlan};
use crate::time::Timestamp;
use crate::v2x::cn::spat::Light;
use serde::Serialize;

pub use actuated::ActuatedController;
pub use feed::{FeedError, SignalFeed};
pub use fixed::FixedTimeController;

/// One interval of a signal group: a light from `start` until it ends, between `min_end` and
/// `max_end`, most likely at `likely_end`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub light: Light,
    pub start: Timestamp,
    pub min_end: Timestamp,
    pub max_end: Timestamp,
    pub likely_end: Timestamp,
    /// Probability that the interval ends at `likely_end` (±1 s), in [0, 1].
    pub confidence: f64,
}

/// How far ahead the end of a light that never changes is put: beyond the hour that SPAT's
/// `TimeMark` reaches, so that it goes out as 36000, "more than an hour".
const STEADY_HORIZON_S: f64 = 7200.0;

impl Interval {
    /// A light that never changes, on since `start`, as seen at `now`: it does not end.
    pub fn steady(light: Light, start: Timestamp, now: Timestamp) -> Self {
        Self::exact(light, start, now.add_secs(STEADY_HORIZON_S))
    }

    /// An interval whose end is known exactly.
    pub fn exact(light: Light, start: Timestamp, end: Timestamp) -> Self {
        Self {
            light,
            start,
            min_end: end,
            max_end: end,
            likely_end: end,
            confidence: 1.0,
        }
    }
}

/// A signal group's current interval and up to two after it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupState {
    pub id: u8,
    slots: [Interval; 3],
    len: u8,
}

impl GroupState {
    /// A group with its current interval and those after it known (at most two are kept).
    pub fn new(id: u8, current: Interval, next: &[Interval]) -> Self {
        let mut slots = [current; 3];
        let n = next.len().min(2);
        slots[1..=n].copy_from_slice(&next[..n]);
        Self {
            id,
            slots,
            len: 1 + n as u8,
        }
    }

    /// The current interval first, then the next ones.
    pub fn intervals(&self) -> &[Interval] {
        &self.slots[..usize::from(self.len)]
    }

    pub fn current(&self) -> Light {
        self.slots[0].light
    }
}

/// How the controller runs, as SPAT's intersection status reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControllerMode {
    FixedTime,
    /// Traffic-dependent (actuated).
    Actuated,
    /// Flashing (yellow or red) by plan or by failure.
    Flashing,
    /// Failed: the feed reports a fault.
    Failure,
    Off,
    /// No valid state: the feed is silent or has not started. SPAT stops.
    Unknown,
    /// No signal at this site (a priority junction or a road segment): there is no SPAT.
    Unsignalised,
}

/// Where the signal state comes from.
#[derive(Debug, Clone)]
pub enum SignalController {
    Fixed(FixedTimeController),
    Actuated(ActuatedController),
    Feed(SignalFeed),
    /// An unsignalised site: no groups, no SPAT.
    None,
}

impl SignalController {
    /// The controller a plan describes, its time zero at `epoch`; none without a plan.
    pub fn from_plan(plan: Option<&SignalPlan>, epoch: Timestamp) -> Self {
        match plan {
            None => Self::None,
            Some(p) if p.kind == SignalKind::FixedTime => {
                Self::Fixed(FixedTimeController::new(p.clone(), epoch))
            }
            Some(p) => Self::Actuated(ActuatedController::new(p, epoch)),
        }
    }

    /// Every group's state at `t` into `out` (cleared first), and the controller's mode.
    /// With [`ControllerMode::Unknown`] `out` is empty: there is nothing valid to send.
    pub fn states_at(&self, t: Timestamp, out: &mut Vec<GroupState>) -> ControllerMode {
        match self {
            Self::Fixed(c) => {
                c.states_at(t, out);
                ControllerMode::FixedTime
            }
            Self::Actuated(c) => {
                c.states_at(t, out);
                ControllerMode::Actuated
            }
            Self::Feed(f) => f.states_at(t, out),
            Self::None => {
                out.clear();
                ControllerMode::Unsignalised
            }
        }
    }
}

/// A change worth telling the traffic-control centre about.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "signal_event", rename_all = "snake_case")]
pub enum SignalEvent {
    PhaseChange {
        group: u8,
        from: Light,
        to: Light,
    },
    /// Every group shows red (or flashing red): the all-red clearance between stages.
    AllRed,
    ModeChange {
        from: ControllerMode,
        to: ControllerMode,
    },
    /// The live feed fell silent; SPAT stops until it returns.
    FeedLost,
    FeedRestored,
}

/// Watches successive signal states and reports what changed.
#[derive(Debug, Default)]
pub struct SignalMonitor {
    last_mode: Option<ControllerMode>,
    last_lights: Vec<(u8, Light)>,
    all_red: bool,
}

impl SignalMonitor {
    /// Compares `groups` (in mode `mode`) with the last call's, appending events to `out`.
    pub fn observe(
        &mut self,
        mode: ControllerMode,
        groups: &[GroupState],
        out: &mut Vec<SignalEvent>,
    ) {
        if let Some(from) = self.last_mode.filter(|m| *m != mode) {
            out.push(match (from, mode) {
                (_, ControllerMode::Unknown) => SignalEvent::FeedLost,
                (ControllerMode::Unknown, _) => SignalEvent::FeedRestored,
                _ => SignalEvent::ModeChange { from, to: mode },
            });
        }
        self.last_mode = Some(mode);
        if mode == ControllerMode::Unknown {
            return;
        }
        for g in groups {
            let now = g.current();
            match self.last_lights.iter_mut().find(|(id, _)| *id == g.id) {
                Some((_, last)) if *last != now => {
                    out.push(SignalEvent::PhaseChange {
                        group: g.id,
                        from: *last,
                        to: now,
                    });
                    *last = now;
                }
                Some(_) => {}
                None => self.last_lights.push((g.id, now)),
            }
        }
        let all_red = !groups.is_empty()
            && groups
                .iter()
                .all(|g| matches!(g.current(), Light::Red | Light::FlashingRed));
        if all_red && !self.all_red {
            out.push(SignalEvent::AllRed);
        }
        self.all_red = all_red;
    }
}
