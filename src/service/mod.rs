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
//! - Messages leave through the site's links ([`crate::link::Links`], `[[links.rsu]]`), each
//!   behind its own queue; [`metrics`] serves counters and [`health`] at `[metrics] listen`.

pub mod health;
pub mod metrics;

pub mod tcc;

use crate::clock::{Clock, SystemClock};
use crate::link::sinks::{Outputs, Tee};
use crate::pipeline::driver::{ScenarioDriver, Sink};
use crate::pipeline::{Input, Pipeline, PipelineConfig, PipelineStats};
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

/// The site's listening endpoints (the QUIC link), bound before the service starts so that
/// their addresses are known (a `listen` port of 0 takes any free port), and the registry of
/// every link's counters, which they share with the RSU links and the TCC feed.
#[derive(Default)]
pub struct Endpoints {
    pub registry: crate::link::stats::LinkRegistry,
    #[cfg(feature = "quic")]
    pub quic: Option<crate::link::quic::QuicServer>,
}

impl Endpoints {
    /// Binds the endpoints the site declares; inside a tokio runtime.
    pub fn bind(s: &Scenario) -> Result<Self, RunError> {
        #[allow(unused_mut)]
        let mut e = Self::default();
        if let Some(spec) = &s.quic {
            #[cfg(feature = "quic")]
            {
                e.quic = Some(crate::link::quic::QuicServer::bind(spec, &e.registry)?);
            }
            #[cfg(not(feature = "quic"))]
            {
                let _ = spec;
                return Err(crate::link::quic::QuicError::NotBuilt.into());
            }
        }
        Ok(e)
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
    metrics: Option<std::net::TcpListener>,
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
        if let Some(addr) = s.signal.as_ref().and_then(|p| p.listen) {
            sockets.push((
                Source::SignalController,
                bind(addr, "signal feed", "controller")?,
            ));
        }
        Ok(Self {
            sockets,
            metrics: bind_metrics(s)?,
        })
    }

    /// The metrics endpoint's local address, if the site has one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
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

/// Binds the metrics endpoint of `[metrics] listen`, if any.
fn bind_metrics(
    s: &Scenario,
) -> Result<Option<std::net::TcpListener>, crate::link::sinks::OutputError> {
    let Some(addr) = s.metrics.listen else {
        return Ok(None);
    };
    std::net::TcpListener::bind(addr)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map(Some)
        .map_err(|source| crate::link::sinks::OutputError {
            what: "metrics endpoint",
            target: addr.to_string(),
            source,
        })
}

/// Starts the metrics endpoint on a bound listener.
fn start_metrics(
    listener: Option<std::net::TcpListener>,
    status: &health::SharedStatus,
    links: &crate::link::stats::LinkRegistry,
) -> Result<Option<tokio::task::JoinHandle<()>>, crate::link::sinks::OutputError> {
    let Some(l) = listener else {
        return Ok(None);
    };
    let target = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let l =
        tokio::net::TcpListener::from_std(l).map_err(|source| crate::link::sinks::OutputError {
            what: "metrics endpoint",
            target,
            source,
        })?;
    Ok(Some(tokio::spawn(metrics::serve_http(
        l,
        status.clone(),
        links.clone(),
    ))))
}

/// How often the loop refreshes the status the metrics endpoint reads.
const STATUS_EVERY_US: i64 = 100_000;

/// Links get this long at shutdown to send what they hold.
const LINK_GRACE: std::time::Duration = std::time::Duration::from_millis(200);

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
    let endpoints = Endpoints::bind(s)?;
    serve_with_endpoints(s, opts, inputs, endpoints, reload_from, shutdown).await
}

/// [`serve`] with the site's endpoints already bound ([`Endpoints::bind`]).
pub async fn serve_with_endpoints(
    s: &Scenario,
    opts: &ServeOptions,
    inputs: Inputs,
    endpoints: Endpoints,
    reload_from: Option<&std::path::Path>,
    shutdown: impl Future<Output = ()>,
) -> Result<ServeSummary, RunError> {
    let mut out = Outputs::for_scenario(s, opts)?;
    #[cfg(feature = "quic")]
    let mut quic_sink = endpoints.quic.as_ref().map(|q| q.sink());
    let clock = SystemClock;
    let epoch = clock.now();
    // Every link's counters, for the metrics endpoint and the TCC health feed.
    let registry = endpoints.registry.clone();
    let mut links = crate::link::Links::start(&s.links, &registry);
    let status: health::SharedStatus =
        std::sync::Arc::new(std::sync::Mutex::new(health::ServiceStatus::new(s, epoch)));
    let mut tcc =
        tcc::TccTap::start(s, &registry, epoch).map_err(|e| crate::link::sinks::OutputError {
            what: "TCC feed",
            target: s.tcc.as_ref().map_or(String::new(), |t| t.broker.clone()),
            source: std::io::Error::other(e.to_string()),
        })?;
    let never = Timestamp::from_micros(i64::MAX);
    let (stats, datagrams_in, datagrams_dropped, metrics_task) = match inputs {
        Inputs::Simulated => {
            let metrics_task = start_metrics(bind_metrics(s)?, &status, &registry)?;
            let mut driver = ScenarioDriver::new(s, epoch)?.without_evaluation();
            let mut rec = match &opts.record {
                Some(r) => Some(r.open(s, epoch, false, "serve")?),
                None => None,
            };
            let mut sink = out.sink();
            sink.0.push(&mut links);
            if let Some(r) = rec.as_mut() {
                sink.0.push(r);
            }
            #[cfg(feature = "quic")]
            if let Some(q) = quic_sink.as_mut() {
                sink.0.push(q);
            }
            tokio::pin!(shutdown);
            let mut published = Timestamp::from_micros(i64::MIN);
            loop {
                let wake = driver.next_time().min(tcc.poll_timeout().unwrap_or(never));
                tokio::select! {
                    _ = sleep_until(&clock, wake) => {}
                    cmd = tcc.next_command() => {
                        tcc.handle_command(clock.now(), &cmd, driver.pipeline_mut(), reload_from, &mut sink);
                    }
                    _ = &mut shutdown => break,
                }
                let now = clock.now();
                driver.step(now, &mut Tee(vec![&mut sink, &mut tcc]));
                if tcc.poll_timeout().is_some_and(|t| t <= now) {
                    tcc.handle_timeout(now, driver.pipeline());
                }
                if now.micros().saturating_sub(published.micros()) >= STATUS_EVERY_US {
                    published = now;
                    publish(&status, driver.pipeline(), now, None);
                }
            }
            drop(sink);
            if let Some(r) = rec {
                r.finish()?;
            }
            (driver.pipeline().stats().clone(), 0, 0, metrics_task)
        }
        Inputs::Live(mut live) => {
            let metrics_task = start_metrics(live.metrics.take(), &status, &registry)?;
            let mut cfg = PipelineConfig::from_scenario(s, epoch);
            let signal_feed = live.signal_addr().is_some();
            if signal_feed {
                cfg = cfg.with_signal_feed(s);
            }
            let mut pipeline = Pipeline::new(cfg, epoch)?;
            let mut rec = match &opts.record {
                Some(r) => Some(r.open(s, epoch, signal_feed, "serve")?),
                None => None,
            };
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
            sink.0.push(&mut links);
            if let Some(r) = rec.as_mut() {
                sink.0.push(r);
            }
            #[cfg(feature = "quic")]
            if let Some(q) = quic_sink.as_mut() {
                sink.0.push(q);
            }
            tokio::pin!(shutdown);
            let mut hangups = hangup_stream();
            let mut seen = vec![(0u64, None::<Timestamp>); s.sensors.len()];
            let mut published = Timestamp::from_micros(i64::MIN);
            loop {
                let wake = pipeline
                    .poll_timeout()
                    .unwrap_or(never)
                    .min(tcc.poll_timeout().unwrap_or(never));
                let step = |input: Input<'_>, pipeline: &mut Pipeline, sink: &mut Tee<'_>| {
                    feed(clock.now(), input, pipeline, sink)
                };
                tokio::select! {
                    Some((source, bytes)) = rx.recv() => match source {
                        Source::Sensor(sensor) => {
                            if let Some(s) = seen.get_mut(usize::from(sensor)) {
                                *s = (s.0 + 1, Some(clock.now()));
                            }
                            step(Input::Datagram { sensor, bytes: &bytes }, &mut pipeline, &mut sink)
                        }
                        Source::SignalController => step(Input::SignalFeed(&bytes), &mut pipeline, &mut sink),
                    },
                    _ = sleep_until(&clock, wake) => step(Input::Timeout, &mut pipeline, &mut sink),
                    cmd = tcc.next_command() => {
                        tcc.handle_command(clock.now(), &cmd, &mut pipeline, reload_from, &mut sink);
                    }
                    true = next_hangup(&mut hangups) => {
                        if let Some(path) = reload_from {
                            let outcome = Scenario::load(path)
                                .map(|s| s.hazards)
                                .map_err(|e| e.to_string());
                            step(Input::Reload(&outcome), &mut pipeline, &mut sink);
                        }
                    }
                    _ = &mut shutdown => break,
                }
                drain(&mut pipeline, &mut Tee(vec![&mut sink, &mut tcc]));
                let now = clock.now();
                if tcc.poll_timeout().is_some_and(|t| t <= now) {
                    tcc.handle_timeout(now, &pipeline);
                }
                if now.micros().saturating_sub(published.micros()) >= STATUS_EVERY_US {
                    published = now;
                    let inputs = (
                        &seen[..],
                        received.load(Ordering::Relaxed),
                        dropped.load(Ordering::Relaxed),
                    );
                    publish(&status, &pipeline, now, Some(inputs));
                }
            }
            drop(sink);
            if let Some(r) = rec {
                r.finish()?;
            }
            tasks.iter().for_each(|t| t.abort());
            (
                pipeline.stats().clone(),
                received.load(Ordering::Relaxed),
                dropped.load(Ordering::Relaxed),
                metrics_task,
            )
        }
    };
    if let Some(t) = metrics_task {
        t.abort();
    }
    links.shutdown(LINK_GRACE).await;
    tcc.close().await;
    let (udp_sent, udp_errors) = out.udp_counts();
    let link_stats = registry.snapshot();
    #[cfg(feature = "quic")]
    if let Some(q) = endpoints.quic {
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

/// Per sensor (datagrams, last arrival), datagrams in, datagrams dropped.
type InputCounts<'a> = (&'a [(u64, Option<Timestamp>)], u64, u64);

/// Refreshes the status the metrics endpoint and the health check read.
fn publish(
    status: &health::SharedStatus,
    pipeline: &Pipeline,
    now: Timestamp,
    inputs: Option<InputCounts<'_>>,
) {
    let feed_alive = match &pipeline.config().signal {
        crate::signal::SignalController::Feed(f) => {
            Some(f.states_at(now, &mut Vec::new()) != crate::signal::ControllerMode::Unknown)
        }
        _ => None,
    };
    let mut st = status.lock().unwrap_or_else(|p| p.into_inner());
    st.stats.clone_from(pipeline.stats());
    st.tracks = pipeline.world().objects.len();
    st.signal_feed_alive = feed_alive;
    if let Some((seen, received, dropped)) = inputs {
        for (s, (n, last)) in st.sensors.iter_mut().zip(seen) {
            s.datagrams = *n;
            s.last_input = *last;
        }
        st.datagrams_in = received;
        st.datagrams_dropped = dropped;
    }
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

/// Every call into the pipeline goes through one [`Input`], which the recording tap sees
/// first: a log of them is the whole run.
fn feed(now: Timestamp, input: Input<'_>, pipeline: &mut Pipeline, sink: &mut Tee<'_>) {
    sink.input(now, &input);
    input.apply(pipeline, now);
}

fn drain(pipeline: &mut Pipeline, sink: &mut dyn Sink) {
    while let Some(tx) = pipeline.poll_transmit() {
        sink.transmit(&tx);
    }
    while let Some(ev) = pipeline.poll_event() {
        sink.event(&ev);
    }
    sink.world(pipeline.world());
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
