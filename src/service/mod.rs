//! The live service: the same pipeline and driver as replay, on the real clock, with tokio
//! at the edges (timers, signals). Its inputs here are the scenario's simulated sensors paced
//! in real time; its outputs UDP (plus an optional capture and event log).

use crate::clock::{Clock, SystemClock};
use crate::link::sinks::Outputs;
use crate::pipeline::driver::ScenarioDriver;
use crate::pipeline::PipelineStats;
use crate::scenario::Scenario;
use std::future::Future;

pub use crate::link::sinks::OutputOptions as ServeOptions;
pub use crate::pipeline::driver::RunError;

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
) -> Result<ServeSummary, RunError> {
    let mut out = Outputs::for_scenario(s, opts)?;
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
