//! The live service: the same pipeline and driver as replay, on the real clock, with tokio
//! at the edges (timers, signals). Its inputs here are the scenario's simulated sensors paced
//! in real time; its outputs UDP (plus an optional capture and event log).

use crate::clock::{Clock, SystemClock};
use crate::link::sinks::{self, OutputError, Outputs};
use crate::pipeline::driver::ScenarioDriver;
use crate::pipeline::PipelineStats;
use crate::scenario::Scenario;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// Extra UDP destinations besides the configuration's `output.udp`.
    pub udp: Vec<SocketAddr>,
    pub pcap: Option<PathBuf>,
    pub event_log: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("tracker configuration: {0}")]
    Tracker(#[from] crate::fusion::ConfigError),
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// What the service did before it stopped.
#[derive(Debug, Clone)]
pub struct ServeSummary {
    pub ran_s: f64,
    pub stats: PipelineStats,
    pub udp_sent: u64,
    pub udp_errors: u64,
}

/// Runs until `shutdown` completes, then flushes every sink.
pub async fn serve(
    s: &Scenario,
    opts: &ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<ServeSummary, ServeError> {
    let mut out = Outputs::open(
        sinks::destinations(&s.output, &opts.udp),
        sinks::source(&s.output),
        opts.pcap.as_deref(),
        opts.event_log.as_deref(),
    )?;
    let clock = SystemClock;
    let epoch = clock.now();
    let mut driver = ScenarioDriver::new(s, epoch)?;
    tokio::pin!(shutdown);
    {
        let mut sink = out.sink();
        loop {
            let wait_us = driver
                .next_time()
                .micros()
                .saturating_sub(clock.now().micros())
                .max(0);
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_micros(wait_us as u64)) => {}
                _ = &mut shutdown => break,
            }
            driver.step(clock.now(), &mut sink);
        }
    }
    let (udp_sent, udp_errors) = out.udp_counts();
    out.finish()?;
    Ok(ServeSummary {
        ran_s: clock.now().secs_since(epoch),
        stats: driver.pipeline().stats().clone(),
        udp_sent,
        udp_errors,
    })
}
