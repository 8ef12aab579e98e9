//! The live service and the live sensor simulator: the same pipeline as replay, on the real
//! clock, with tokio at the edges (sockets, timers, signals).
//!
//! - [`serve`] takes its sensor inputs live: each sensor with a `listen` address gets a UDP
//!   socket, and every datagram goes to the sans-IO pipeline with its arrival time (camera
//!   JSON object lists, ARS408 CAN frames from a gateway). Or, for a demo without sensors,
//!   the scenario's simulated sensors in-process ([`Inputs::Simulated`]).
//! - [`simulate`] plays a scenario's simulated sensors to such a service as live UDP streams
//!   in their wire formats, paced in real time, so a site (and a test) exercises the live
//!   path without a road.

use crate::clock::{Clock, SystemClock};
use crate::link::sinks::Outputs;
use crate::pipeline::driver::{ScenarioDriver, Sink};
use crate::pipeline::{Pipeline, PipelineConfig, PipelineStats};
use crate::scenario::Scenario;
use crate::sensor::sim::{self, SimSensors, SimStep};
use crate::time::Timestamp;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use crate::link::sinks::OutputOptions as ServeOptions;
pub use crate::pipeline::driver::RunError;

/// What the service did before it stopped.
#[derive(Debug, Clone)]
pub struct ServeSummary {
    pub ran_s: f64,
    pub stats: PipelineStats,
    pub udp_sent: u64,
    pub udp_errors: u64,
    /// Datagrams received on the sensor inputs.
    pub datagrams_in: u64,
    /// Datagrams dropped because the pipeline fell behind (the input queue was full).
    pub datagrams_dropped: u64,
    /// Every link's counters as the service stopped.
    pub links: Vec<crate::link::stats::LinkSnapshot>,
}

/// The site's links beyond the UDP outputs, bound before the service starts so that their
/// addresses are known (a `listen` port of 0 takes any free port).
#[derive(Default)]
pub struct Links {
    pub registry: crate::link::stats::LinkRegistry,
    #[cfg(feature = "quic")]
    pub quic: Option<crate::link::quic::QuicServer>,
}

impl Links {
    /// Binds the links the site declares; inside a tokio runtime.
    pub fn bind(s: &Scenario) -> Result<Self, RunError> {
        #[allow(unused_mut)]
        let mut links = Self::default();
        if let Some(spec) = &s.quic {
            #[cfg(feature = "quic")]
            {
                links.quic = Some(crate::link::quic::QuicServer::bind(spec, &links.registry)?);
            }
            #[cfg(not(feature = "quic"))]
            {
                let _ = spec;
                return Err(crate::link::quic::QuicError::NotBuilt.into());
            }
        }
        Ok(links)
    }

    /// Where the QUIC endpoint listens, if there is one.
    pub fn quic_addr(&self) -> Option<SocketAddr> {
        #[cfg(feature = "quic")]
        return self.quic.as_ref().map(|q| q.local_addr());
        #[cfg(not(feature = "quic"))]
        None
    }
}

/// Sensor sockets, bound before the service starts so that their addresses are known (a
/// `listen` port of 0 takes any free port).
pub struct LiveInputs {
    sockets: Vec<(Source, std::net::UdpSocket)>,
}

/// Who a live input socket listens to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Sensor(u16),
    SignalController,
}

impl LiveInputs {
    /// Binds every sensor's `listen` address, and the signal feed's.
    pub fn bind(s: &Scenario) -> Result<Self, crate::link::sinks::OutputError> {
        let bind = |addr: SocketAddr, what: &'static str, name: &str| {
            std::net::UdpSocket::bind(addr)
                .and_then(|s| s.set_nonblocking(true).map(|()| s))
                .map_err(|source| crate::link::sinks::OutputError {
                    what,
                    target: format!("{name} ({addr})"),
                    source,
                })
        };
        let mut sockets = Vec::new();
        for (i, spec) in s.sensors.iter().enumerate() {
            if let Some(addr) = spec.listen {
                sockets.push((
                    Source::Sensor(i as u16),
                    bind(addr, "sensor input", &spec.id)?,
                ));
            }
        }
        if let Some(addr) = s.signal.listen {
            sockets.push((
                Source::SignalController,
                bind(addr, "signal feed", "controller")?,
            ));
        }
        Ok(Self { sockets })
    }

    /// Each bound sensor's index and local address.
    pub fn addrs(&self) -> Vec<(u16, SocketAddr)> {
        self.sockets
            .iter()
            .filter_map(|(src, s)| match src {
                Source::Sensor(i) => s.local_addr().ok().map(|a| (*i, a)),
                Source::SignalController => None,
            })
            .collect()
    }

    /// The signal feed's local address, if the site takes one.
    pub fn signal_addr(&self) -> Option<SocketAddr> {
        self.sockets
            .iter()
            .find(|(src, _)| *src == Source::SignalController)
            .and_then(|(_, s)| s.local_addr().ok())
    }

    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }
}

/// Where the service's sensor frames come from.
pub enum Inputs {
    /// Live UDP from the sensors (or from `roadsight simulate`).
    Live(LiveInputs),
    /// The scenario's simulated sensors, in-process.
    Simulated,
}

/// Datagrams waiting for the pipeline; past this the newest are dropped and counted.
const INPUT_QUEUE: usize = 4096;

/// Runs until `shutdown` completes, then flushes every sink. On SIGHUP the site file
/// `reload_from` (when given) is read again and its `[hazards]` settings applied; a file
/// that fails to load is refused (logged and counted) and the settings in force stay.
pub async fn serve(
    s: &Scenario,
    opts: &ServeOptions,
    inputs: Inputs,
    reload_from: Option<&std::path::Path>,
    shutdown: impl Future<Output = ()>,
) -> Result<ServeSummary, RunError> {
    let links = Links::bind(s)?;
    serve_with_links(s, opts, inputs, links, reload_from, shutdown).await
}

/// [`serve`] with the site's links already bound ([`Links::bind`]).
pub async fn serve_with_links(
    s: &Scenario,
    opts: &ServeOptions,
    inputs: Inputs,
    links: Links,
    reload_from: Option<&std::path::Path>,
    shutdown: impl Future<Output = ()>,
) -> Result<ServeSummary, RunError> {
    let mut out = Outputs::for_scenario(s, opts)?;
    #[cfg(feature = "quic")]
    let mut quic_sink = links.quic.as_ref().map(|q| q.sink());
    let clock = SystemClock;
    let epoch = clock.now();
    let (stats, datagrams_in, datagrams_dropped) = match inputs {
        Inputs::Simulated => {
            let mut driver = ScenarioDriver::new(s, epoch)?.without_evaluation();
            let mut sink = out.sink();
            #[cfg(feature = "quic")]
            if let Some(q) = quic_sink.as_mut() {
                sink.0.push(q);
            }
            tokio::pin!(shutdown);
            loop {
                tokio::select! {
                    _ = sleep_until(&clock, driver.next_time()) => {}
                    _ = &mut shutdown => break,
                }
                driver.step(clock.now(), &mut sink);
            }
            (driver.pipeline().stats().clone(), 0, 0)
        }
        Inputs::Live(live) => {
            let mut cfg = PipelineConfig::from_scenario(s, epoch);
            if live.signal_addr().is_some() {
                cfg = cfg.with_signal_feed(s);
            }
            let mut pipeline = Pipeline::new(cfg, epoch)?;
            let (tx, mut rx) = tokio::sync::mpsc::channel::<(Source, Vec<u8>)>(INPUT_QUEUE);
            let (received, dropped) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
            let mut tasks = Vec::new();
            for (sensor, std_sock) in live.sockets {
                let sock = tokio::net::UdpSocket::from_std(std_sock).map_err(|source| {
                    crate::link::sinks::OutputError {
                        what: "live input",
                        target: format!("{sensor:?}"),
                        source,
                    }
                })?;
                let (tx, received, dropped) = (tx.clone(), received.clone(), dropped.clone());
                tasks.push(tokio::spawn(async move {
                    let mut buf = vec![0u8; 65_536];
                    loop {
                        // A receive error (e.g. ICMP port unreachable echoed back) is not
                        // the end of the input: keep listening.
                        let Ok(n) = sock.recv(&mut buf).await else {
                            continue;
                        };
                        received.fetch_add(1, Ordering::Relaxed);
                        if tx.try_send((sensor, buf[..n].to_vec())).is_err() {
                            dropped.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }));
            }
            drop(tx);
            let mut sink = out.sink();
            #[cfg(feature = "quic")]
            if let Some(q) = quic_sink.as_mut() {
                sink.0.push(q);
            }
            tokio::pin!(shutdown);
            let mut hangups = hangup_stream();
            loop {
                let wake = pipeline
                    .poll_timeout()
                    .unwrap_or(Timestamp::from_micros(i64::MAX));
                tokio::select! {
                    Some((source, bytes)) = rx.recv() => match source {
                        Source::Sensor(i) => pipeline.handle_datagram(clock.now(), i, &bytes),
                        Source::SignalController => pipeline.handle_signal_feed(clock.now(), &bytes),
                    },
                    _ = sleep_until(&clock, wake) => pipeline.handle_timeout(clock.now()),
                    true = next_hangup(&mut hangups) => {
                        if let Some(path) = reload_from {
                            let outcome = Scenario::load(path)
                                .map(|s| s.hazards)
                                .map_err(|e| e.to_string());
                            pipeline.apply_reload(clock.now(), outcome);
                        }
                    }
                    _ = &mut shutdown => break,
                }
                drain(&mut pipeline, &mut sink);
            }
            tasks.iter().for_each(|t| t.abort());
            (
                pipeline.stats().clone(),
                received.load(Ordering::Relaxed),
                dropped.load(Ordering::Relaxed),
            )
        }
    };
    let (udp_sent, udp_errors) = out.udp_counts();
    let link_stats = links.registry.snapshot();
    #[cfg(feature = "quic")]
    if let Some(q) = links.quic {
        q.shutdown().await;
    }
    out.finish()?;
    Ok(ServeSummary {
        ran_s: clock.now().secs_since(epoch),
        stats,
        udp_sent,
        udp_errors,
        datagrams_in,
        datagrams_dropped,
        links: link_stats,
    })
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = ();

#[cfg(unix)]
fn hangup_stream() -> Hangups {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
}

#[cfg(not(unix))]
fn hangup_stream() -> Hangups {}

/// Resolves `true` at each SIGHUP; never where there are none.
#[cfg(unix)]
async fn next_hangup(h: &mut Hangups) -> bool {
    match h {
        Some(s) => s.recv().await.is_some(),
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn next_hangup(_: &mut Hangups) -> bool {
    std::future::pending().await
}

fn drain(pipeline: &mut Pipeline, sink: &mut dyn Sink) {
    while let Some(tx) = pipeline.poll_transmit() {
        sink.transmit(&tx);
    }
    while let Some(ev) = pipeline.poll_event() {
        sink.event(&ev);
    }
}

async fn sleep_until(clock: &SystemClock, at: Timestamp) {
    let wait_us = at.micros().saturating_sub(clock.now().micros()).max(0);
    tokio::time::sleep(std::time::Duration::from_micros(wait_us as u64)).await;
}

/// What the simulator sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimulateSummary {
    pub frames: u64,
    pub datagrams: u64,
    pub send_errors: u64,
    pub ran_s: f64,
}

/// Plays the scenario's simulated sensors as live UDP in their wire formats, each sensor to
/// `targets[sensor]` (sensors without a target are simulated but not sent), paced in real
/// time from `from_s` seconds into the scenario (what comes before is simulated at once and
/// not sent), until the scenario's end or `shutdown`.
pub async fn simulate(
    s: &Scenario,
    targets: &[Option<SocketAddr>],
    from_s: f64,
    shutdown: impl Future<Output = ()>,
) -> Result<SimulateSummary, RunError> {
    let clock = SystemClock;
    let from_s = if from_s.is_finite() {
        from_s.clamp(0.0, s.run.duration_s)
    } else {
        0.0
    };
    let epoch = clock.now().add_secs(-from_s);
    let end = epoch.add_secs(s.run.duration_s);
    let mut sims = SimSensors::new(s, epoch)
        .map_err(|(sensor, source)| crate::pipeline::PipelineError::Camera { sensor, source })?;
    let mut cycles = vec![0u64; s.sensors.len()];
    let start = epoch.add_secs(from_s);
    loop {
        match sims.step(start) {
            SimStep::Idle => break,
            SimStep::Captured => {}
            SimStep::Delivered(f) => {
                if let Some(c) = cycles.get_mut(usize::from(f.sensor)) {
                    *c += 1;
                }
            }
        }
    }
    let sock = tokio::net::UdpSocket::bind("0.0.0.0:0")
        .await
        .map_err(|source| crate::link::sinks::OutputError {
            what: "simulator socket",
            target: "0.0.0.0:0".into(),
            source,
        })?;
    let epoch_unix_s = epoch.micros() as f64 / 1e6;
    let mut summary = SimulateSummary::default();
    tokio::pin!(shutdown);
    while let Some(next) = sims.next_time().filter(|t| *t < end) {
        tokio::select! {
            _ = sleep_until(&clock, next) => {}
            _ = &mut shutdown => break,
        }
        loop {
            let frame = match sims.step(clock.now()) {
                SimStep::Idle => break,
                SimStep::Captured => continue,
                SimStep::Delivered(frame) => frame,
            };
            let i = usize::from(frame.sensor);
            let Some(cycle) = cycles.get_mut(i) else {
                continue;
            };
            summary.frames += 1;
            if let Some(Some(to)) = targets.get(i) {
                for d in sim::datagrams(s, &frame, epoch_unix_s, *cycle) {
                    match sock.send_to(&d, to).await {
                        Ok(_) => summary.datagrams += 1,
                        Err(_) => summary.send_errors += 1,
                    }
                }
            }
            *cycle += 1;
        }
    }
    summary.ran_s = clock.now().secs_since(epoch);
    Ok(summary)
}
