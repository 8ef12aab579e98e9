//! The live service: the same pipeline and driver as replay, on the real clock, with tokio
//! at the edges (timers, signals). Its inputs here are the scenario's simulated sensors paced
//! in real time; its outputs UDP (plus an optional capture and event log).

use crate::clock::{Clock, SystemClock};
use crate::link::sinks::{EventLog, PcapSink, Tee, UdpSink, DEFAULT_DESTINATION, DEFAULT_SOURCE};
use crate::pipeline::driver::{ScenarioDriver, Sink};
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
    #[error("{what} {path}: {source}")]
    Output {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
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
    let err =
        |what: &'static str, path: String| move |source| ServeError::Output { what, path, source };
    let mut destinations: Vec<SocketAddr> =
        s.output.udp.iter().filter_map(|a| a.parse().ok()).collect();
    destinations.extend(opts.udp.iter().copied());
    let source = s
        .output
        .source
        .as_deref()
        .and_then(|a| a.parse().ok())
        .unwrap_or(DEFAULT_SOURCE);
    let mut udp =
        UdpSink::new(destinations.clone()).map_err(err("UDP socket", "0.0.0.0:0".into()))?;
    let mut pcap = match &opts.pcap {
        Some(p) => {
            let dst = if destinations.is_empty() {
                vec![DEFAULT_DESTINATION]
            } else {
                destinations.clone()
            };
            Some(
                PcapSink::create(p, source, dst)
                    .map_err(err("capture", p.display().to_string()))?,
            )
        }
        None => None,
    };
    let mut log = match &opts.event_log {
        Some(p) => Some(EventLog::create(p).map_err(err("event log", p.display().to_string()))?),
        None => None,
    };
    let clock = SystemClock;
    let epoch = clock.now();
    let mut driver = ScenarioDriver::new(s, epoch)?;
    tokio::pin!(shutdown);
    {
        let mut sinks: Vec<&mut dyn Sink> = vec![&mut udp];
        if let Some(p) = pcap.as_mut() {
            sinks.push(p);
        }
        if let Some(l) = log.as_mut() {
            sinks.push(l);
        }
        let mut sink = Tee(sinks);
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
    if let Some(p) = pcap {
        p.finish().map_err(err(
            "capture",
            opts.pcap
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        ))?;
    }
    if let Some(l) = log {
        l.finish().map_err(err(
            "event log",
            opts.event_log
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        ))?;
    }
    Ok(ServeSummary {
        ran_s: clock.now().secs_since(epoch),
        stats: driver.pipeline().stats().clone(),
        udp_sent: udp.sent,
        udp_errors: udp.errors,
    })
}
