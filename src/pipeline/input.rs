//! Everything that can go into the pipeline, as one value: what the live service feeds it,
//! what a recording stores, and what replay feeds it again. Applying an input is the only
//! way a driver changes the pipeline, so a log of inputs and their times is the whole run.

use super::Pipeline;
use crate::hazard::HazardConfig;
use crate::time::Timestamp;

/// One call into the pipeline, borrowed from wherever it came from (a socket buffer, a log).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Input<'a> {
    /// A sensor's datagram in its wire form ([`Pipeline::handle_datagram`]).
    Datagram { sensor: u16, bytes: &'a [u8] },
    /// A datagram of the signal controller's feed ([`Pipeline::handle_signal_feed`]).
    SignalFeed(&'a [u8]),
    /// The driver's timer fired ([`Pipeline::handle_timeout`]).
    Timeout,
    /// A configuration reload, good or refused ([`Pipeline::apply_reload`]).
    Reload(&'a Result<HazardConfig, String>),
    /// A traffic-control centre's command as received ([`Pipeline::handle_tcc_command`]);
    /// a reload command is recorded as the [`Input::Reload`] it caused instead.
    TccCommand(&'a [u8]),
}

impl Input<'_> {
    /// Feeds this input to `pipeline` at `now`.
    pub fn apply(&self, pipeline: &mut Pipeline, now: Timestamp) {
        match *self {
            Input::Datagram { sensor, bytes } => pipeline.handle_datagram(now, sensor, bytes),
            Input::SignalFeed(bytes) => pipeline.handle_signal_feed(now, bytes),
            Input::Timeout => pipeline.handle_timeout(now),
            Input::Reload(outcome) => pipeline.apply_reload(now, outcome.clone()),
            // The reply went out when it was first applied; a replay only needs the effect.
            Input::TccCommand(bytes) => {
                let _ = pipeline.handle_tcc_command(now, bytes);
            }
        }
    }

    /// A short name for summaries.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Input::Datagram { .. } => "sensor datagrams",
            Input::SignalFeed(_) => "signal feed datagrams",
            Input::Timeout => "timer expiries",
            Input::Reload(_) => "configuration reloads",
            Input::TccCommand(_) => "TCC commands",
        }
    }
}
