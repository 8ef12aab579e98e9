//! The live signal-controller feed: one JSON object per UDP datagram, each a complete state
//! of the controller (documented in `docs/signal-feed.md`). A feed silent for longer than its
//! timeout is lost: its state is no longer valid and SPAT stops rather than go stale. An
//! update that fails a check is refused whole, naming the field, and the last good state
//! stays.
//!
//! Other controller protocols (NTCIP 1202 over SNMP, GB/T 20999) fit in as further
//! [`FeedDecoder`]s producing the same [`FeedUpdate`].

use super::{ControllerMode, GroupState, Interval};
use crate::time::Timestamp;
use crate::v2x::cn::spat::Light;
use serde::Deserialize;
use thiserror::Error;

pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum FeedError {
    #[error("signal feed: {0}")]
    Syntax(String),
    #[error("signal feed: {field}: {reason}")]
    Invalid { field: String, reason: String },
}

fn invalid<T>(field: impl Into<String>, reason: impl Into<String>) -> Result<T, FeedError> {
    Err(FeedError::Invalid {
        field: field.into(),
        reason: reason.into(),
    })
}

/// A checked controller state.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedUpdate {
    pub time: Timestamp,
    pub mode: ControllerMode,
    pub groups: Vec<GroupState>,
}

/// Turns a controller's datagram into a [`FeedUpdate`], checked against the site's groups.
pub trait FeedDecoder {
    fn decode(&self, bytes: &[u8], now: Timestamp, groups: &[u8]) -> Result<FeedUpdate, FeedError>;
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Msg {
    version: u32,
    #[serde(default)]
    #[allow(dead_code)]
    controller: String,
    timestamp_ms: f64,
    mode: MsgMode,
    groups: Vec<MsgGroup>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum MsgMode {
    FixedTime,
    Actuated,
    Flashing,
    Failure,
    Off,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MsgGroup {
    id: u8,
    #[serde(flatten)]
    current: MsgInterval,
    #[serde(default)]
    next: Vec<MsgInterval>,
}

#[derive(Debug, Deserialize)]
struct MsgInterval {
    light: Light,
    start_ms: f64,
    min_end_ms: f64,
    max_end_ms: f64,
    likely_end_ms: f64,
    #[serde(default = "certain")]
    confidence: f64,
}

fn certain() -> f64 {
    1.0
}

/// How far a controller's clock may be from ours before its updates are refused.
const MAX_SKEW_S: f64 = 10.0;

/// The JSON feed of `docs/signal-feed.md`.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonFeed;

fn stamp(ms: f64) -> Timestamp {
    Timestamp::from_micros((ms * 1000.0).round() as i64)
}

impl MsgInterval {
    fn check(&self, field: &str, now: Timestamp, current: bool) -> Result<Interval, FeedError> {
        let times = [
            ("start_ms", self.start_ms),
            ("min_end_ms", self.min_end_ms),
            ("max_end_ms", self.max_end_ms),
            ("likely_end_ms", self.likely_end_ms),
        ];
        for (f, v) in times {
            if !v.is_finite() || v.abs() > 1e15 {
                return invalid(format!("{field}.{f}"), format!("{v} is not a time"));
            }
        }
        if !(self.min_end_ms <= self.likely_end_ms && self.likely_end_ms <= self.max_end_ms) {
            return invalid(
                format!("{field}.likely_end_ms"),
                "must lie within min_end_ms..=max_end_ms",
            );
        }
        if self.start_ms > self.min_end_ms {
            return invalid(format!("{field}.start_ms"), "after the interval's end");
        }
        if current && self.start_ms > now.micros() as f64 / 1000.0 + MAX_SKEW_S * 1000.0 {
            return invalid(
                format!("{field}.start_ms"),
                "the current interval starts in the future",
            );
        }
        if stamp(self.max_end_ms).secs_since(now) < -MAX_SKEW_S {
            return invalid(
                format!("{field}.max_end_ms"),
                "in the past: the state is stale",
            );
        }
        if !(0.0..=1.0).contains(&self.confidence) {
            return invalid(format!("{field}.confidence"), "must be within [0, 1]");
        }
        Ok(Interval {
            light: self.light,
            start: stamp(self.start_ms),
            min_end: stamp(self.min_end_ms),
            max_end: stamp(self.max_end_ms),
            likely_end: stamp(self.likely_end_ms),
            confidence: self.confidence,
        })
    }
}

impl FeedDecoder for JsonFeed {
    fn decode(&self, bytes: &[u8], now: Timestamp, known: &[u8]) -> Result<FeedUpdate, FeedError> {
        let m: Msg = serde_json::from_slice(bytes).map_err(|e| FeedError::Syntax(e.to_string()))?;
        if m.version != VERSION {
            return invalid(
                "version",
                format!("{} is not supported (expected {VERSION})", m.version),
            );
        }
        if !m.timestamp_ms.is_finite() || (stamp(m.timestamp_ms).secs_since(now)).abs() > MAX_SKEW_S
        {
            return invalid(
                "timestamp_ms",
                format!(
                    "{} is more than {MAX_SKEW_S} s from our clock",
                    m.timestamp_ms
                ),
            );
        }
        let mode = match m.mode {
            MsgMode::FixedTime => ControllerMode::FixedTime,
            MsgMode::Actuated => ControllerMode::Actuated,
            MsgMode::Flashing => ControllerMode::Flashing,
            MsgMode::Failure => ControllerMode::Failure,
            MsgMode::Off => ControllerMode::Off,
        };
        let mut groups = Vec::with_capacity(m.groups.len());
        for (i, g) in m.groups.iter().enumerate() {
            let field = format!("groups[{i}]");
            if !known.contains(&g.id) {
                return invalid(
                    format!("{field}.id"),
                    format!("no signal group {} at this site", g.id),
                );
            }
            if groups.iter().any(|s: &GroupState| s.id == g.id) {
                return invalid(format!("{field}.id"), format!("group {} twice", g.id));
            }
            let current = g.current.check(&field, now, true)?;
            let mut next = Vec::with_capacity(g.next.len());
            for (j, n) in g.next.iter().enumerate() {
                next.push(n.check(&format!("{field}.next[{j}]"), now, false)?);
            }
            groups.push(GroupState::new(g.id, current, &next));
        }
        Ok(FeedUpdate {
            time: stamp(m.timestamp_ms),
            mode,
            groups,
        })
    }
}

/// The feed's last good state and when it came.
#[derive(Debug, Clone)]
pub struct SignalFeed {
    known_groups: Vec<u8>,
    timeout_s: f64,
    last: Option<(Timestamp, FeedUpdate)>,
    /// Updates refused, for health.
    pub rejected: u64,
}

impl SignalFeed {
    pub fn new(known_groups: Vec<u8>, timeout_s: f64) -> Self {
        Self {
            known_groups,
            timeout_s,
            last: None,
            rejected: 0,
        }
    }

    /// A datagram from the controller, received at `now`. A refused one leaves the last good
    /// state in place.
    pub fn handle(
        &mut self,
        now: Timestamp,
        bytes: &[u8],
        decoder: &dyn FeedDecoder,
    ) -> Result<(), FeedError> {
        match decoder.decode(bytes, now, &self.known_groups) {
            Ok(u) => {
                self.last = Some((now, u));
                Ok(())
            }
            Err(e) => {
                self.rejected += 1;
                Err(e)
            }
        }
    }

    /// The state at `t`: the last update's, if it is recent enough; otherwise none
    /// ([`ControllerMode::Unknown`]).
    pub fn states_at(&self, t: Timestamp, out: &mut Vec<GroupState>) -> ControllerMode {
        out.clear();
        match &self.last {
            Some((rx, u)) if t.secs_since(*rx) <= self.timeout_s => {
                out.extend(u.groups.iter().cloned());
                u.mode
            }
            _ => ControllerMode::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::from_micros(1_800_000_000_000_000)
    }

    fn msg(likely_end_offset_ms: f64) -> String {
        let t = now().micros() as f64 / 1000.0;
        format!(
            r#"{{"version":1,"controller":"tsc","timestamp_ms":{t},"mode":"actuated","groups":[
              {{"id":2,"light":"protected_green","start_ms":{},"min_end_ms":{},"max_end_ms":{},"likely_end_ms":{},"confidence":0.7,
                "next":[{{"light":"yellow","start_ms":{},"min_end_ms":{},"max_end_ms":{},"likely_end_ms":{}}}]}}]}}"#,
            t - 5000.0,
            t + 2000.0,
            t + 30000.0,
            t + likely_end_offset_ms,
            t + likely_end_offset_ms,
            t + likely_end_offset_ms + 3000.0,
            t + likely_end_offset_ms + 3000.0,
            t + likely_end_offset_ms + 3000.0,
        )
    }

    #[test]
    fn accepts_a_good_state_and_keeps_it_through_bad_ones_until_the_timeout() {
        let mut feed = SignalFeed::new(vec![2, 4], 2.0);
        let mut out = Vec::new();
        assert_eq!(feed.states_at(now(), &mut out), ControllerMode::Unknown);
        feed.handle(now(), msg(10_000.0).as_bytes(), &JsonFeed)
            .unwrap();
        assert_eq!(
            feed.states_at(now().add_secs(1.0), &mut out),
            ControllerMode::Actuated
        );
        let g = &out[0];
        assert_eq!(
            (g.id, g.current(), g.intervals().len()),
            (2, Light::ProtectedGreen, 2)
        );
        assert_eq!(g.intervals()[0].likely_end, now().add_secs(10.0));
        assert_eq!(g.intervals()[0].confidence, 0.7);
        // Likely end beyond max end; an unknown group; a stale state; not JSON.
        let bad = [
            (msg(40_000.0), "groups[0].likely_end_ms"),
            (
                msg(10_000.0).replace(r#""id":2"#, r#""id":9"#),
                "groups[0].id",
            ),
        ];
        for (text, field) in bad {
            let e = feed
                .handle(now().add_secs(1.5), text.as_bytes(), &JsonFeed)
                .unwrap_err();
            assert!(
                matches!(&e, FeedError::Invalid { field: f, .. } if f == field),
                "{e}"
            );
        }
        let stale = feed.handle(now().add_secs(60.0), msg(10_000.0).as_bytes(), &JsonFeed);
        assert!(stale.unwrap_err().to_string().contains("timestamp_ms"));
        assert!(matches!(
            feed.handle(now(), b"{", &JsonFeed),
            Err(FeedError::Syntax(_))
        ));
        assert_eq!(feed.rejected, 4);
        // The last good state stays until the feed times out, then there is none.
        assert_eq!(
            feed.states_at(now().add_secs(2.0), &mut out),
            ControllerMode::Actuated
        );
        assert_eq!(out[0].intervals()[0].likely_end, now().add_secs(10.0));
        assert_eq!(
            feed.states_at(now().add_secs(2.5), &mut out),
            ControllerMode::Unknown
        );
        assert!(out.is_empty());
    }
}
