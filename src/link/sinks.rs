//! Output sinks of the pipeline: UDP datagrams, a pcap capture, a JSON-lines event log.
//! Each counts its own failures and never stops the pipeline.

use super::pcap::PcapWriter;
use crate::pipeline::driver::Sink;
use crate::pipeline::{Event, Transmit};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;

/// Where captured datagrams claim to come from when no source is configured (TEST-NET-1).
pub const DEFAULT_SOURCE: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::new(192, 0, 2, 1),
    30300,
));
/// Where captured datagrams go when no UDP destination is configured (TEST-NET-1).
pub const DEFAULT_DESTINATION: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::new(192, 0, 2, 2),
    30299,
));

/// Writes every message, as a UDP datagram to each destination, into a pcap file.
pub struct PcapSink {
    writer: PcapWriter<BufWriter<File>>,
    source: SocketAddr,
    destinations: Vec<SocketAddr>,
    pub errors: u64,
    last_error: Option<String>,
}

impl PcapSink {
    pub fn create(
        path: &Path,
        source: SocketAddr,
        destinations: Vec<SocketAddr>,
    ) -> io::Result<Self> {
        Ok(Self {
            writer: PcapWriter::new(BufWriter::new(File::create(path)?))?,
            source,
            destinations,
            errors: 0,
            last_error: None,
        })
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.writer.flush()?;
        match self.last_error {
            Some(e) => Err(io::Error::other(format!(
                "{} datagrams not captured; last error: {e}",
                self.errors
            ))),
            None => Ok(()),
        }
    }
}

impl Sink for PcapSink {
    fn transmit(&mut self, tx: &Transmit) {
        for d in &self.destinations {
            if let Err(e) = self.writer.write(tx.time, self.source, *d, &tx.bytes) {
                self.errors += 1;
                self.last_error = Some(e.to_string());
            }
        }
    }
}

/// Sends every message to each destination. A failed send is counted; the next goes on.
pub struct UdpSink {
    socket: UdpSocket,
    destinations: Vec<SocketAddr>,
    pub sent: u64,
    pub errors: u64,
}

impl UdpSink {
    pub fn new(destinations: Vec<SocketAddr>) -> io::Result<Self> {
        let any_v6 = destinations.iter().any(SocketAddr::is_ipv6);
        let socket = UdpSocket::bind(if any_v6 { "[::]:0" } else { "0.0.0.0:0" })?;
        Ok(Self {
            socket,
            destinations,
            sent: 0,
            errors: 0,
        })
    }
}

impl Sink for UdpSink {
    fn transmit(&mut self, tx: &Transmit) {
        for d in &self.destinations {
            match self.socket.send_to(&tx.bytes, d) {
                Ok(_) => self.sent += 1,
                Err(_) => self.errors += 1,
            }
        }
    }
}

/// One JSON object per line for each pipeline event.
pub struct EventLog {
    out: BufWriter<File>,
    pub errors: u64,
}

impl EventLog {
    pub fn create(path: &Path) -> io::Result<Self> {
        Ok(Self {
            out: BufWriter::new(File::create(path)?),
            errors: 0,
        })
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Sink for EventLog {
    fn transmit(&mut self, _tx: &Transmit) {}

    fn event(&mut self, ev: &Event) {
        let ok =
            serde_json::to_writer(&mut self.out, ev).is_ok() && self.out.write_all(b"\n").is_ok();
        if !ok {
            self.errors += 1;
        }
    }
}

/// Several sinks as one.
#[derive(Default)]
pub struct Tee<'a>(pub Vec<&'a mut dyn Sink>);

impl Sink for Tee<'_> {
    fn transmit(&mut self, tx: &Transmit) {
        for s in &mut self.0 {
            s.transmit(tx);
        }
    }

    fn event(&mut self, ev: &Event) {
        for s in &mut self.0 {
            s.event(ev);
        }
    }

    fn sensor_frame(&mut self, f: &crate::sensor::SensorFrame) {
        for s in &mut self.0 {
            s.sensor_frame(f);
        }
    }

    fn evaluation_frame(&mut self, f: &crate::eval::Frame) {
        for s in &mut self.0 {
            s.evaluation_frame(f);
        }
    }

    fn input(&mut self, now: crate::time::Timestamp, input: &crate::pipeline::Input<'_>) {
        for s in &mut self.0 {
            s.input(now, input);
        }
    }

    fn world(&mut self, w: &crate::world::WorldSnapshot) {
        for s in &mut self.0 {
            s.world(w);
        }
    }
}

/// Exports what the tracker saw and what it made, for reference trackers and metrics: one
/// JSON object per line, `{"frame": …}` for each sensor frame as delivered (detections in
/// the site frame, stamped in the sensor's clock, with the sensor's clock offset) and
/// `{"eval": …}` for each evaluation instant (truth in view and confirmed tracks).
pub struct DetectionExport {
    out: BufWriter<File>,
    clock_offsets_s: Vec<f64>,
    pub errors: u64,
}

impl DetectionExport {
    pub fn create(path: &Path, clock_offsets_s: Vec<f64>) -> io::Result<Self> {
        Ok(Self {
            out: BufWriter::new(File::create(path)?),
            clock_offsets_s,
            errors: 0,
        })
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn line(&mut self, v: &serde_json::Value) {
        if serde_json::to_writer(&mut self.out, v).is_err() || self.out.write_all(b"\n").is_err() {
            self.errors += 1;
        }
    }
}

impl Sink for DetectionExport {
    fn transmit(&mut self, _tx: &Transmit) {}

    fn sensor_frame(&mut self, f: &crate::sensor::SensorFrame) {
        let offset = self
            .clock_offsets_s
            .get(usize::from(f.sensor))
            .copied()
            .unwrap_or(0.0);
        let dets: Vec<serde_json::Value> = f
            .detections
            .iter()
            .map(|d| {
                serde_json::json!({
                    "x": d.pos[0], "y": d.pos[1],
                    "cov": [[d.cov[(0, 0)], d.cov[(0, 1)]], [d.cov[(1, 0)], d.cov[(1, 1)]]],
                    "class": format!("{:?}", d.class).to_lowercase(),
                })
            })
            .collect();
        // The site-clock capture time, as the pipeline will use it.
        let v = serde_json::json!({"frame": {"sensor": f.sensor, "t": f.capture_s - offset, "delivered": f.deliver_s, "detections": dets}});
        self.line(&v);
    }

    fn evaluation_frame(&mut self, f: &crate::eval::Frame) {
        match serde_json::to_value(f) {
            Ok(v) => self.line(&serde_json::json!({ "eval": v })),
            Err(_) => self.errors += 1,
        }
    }
}

/// Where a run or the service sends its outputs, besides the scenario's `output.udp`.
#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// Export every sensor frame and evaluation instant (JSON lines) here.
    pub export: Option<std::path::PathBuf>,
    /// Also send every message to these addresses.
    pub udp: Vec<SocketAddr>,
    /// Write every message into this capture.
    pub pcap: Option<std::path::PathBuf>,
    /// Write the event log (JSON lines) here.
    pub event_log: Option<std::path::PathBuf>,
    /// Record every input and output of the pipeline (MCAP).
    pub record: Option<crate::record::RecordRequest>,
}

/// The outputs of a run or of the service: UDP to each destination, and optionally a
/// capture and an event log. Opened together, flushed together.
pub struct Outputs {
    pub export: Option<DetectionExport>,
    export_path: Option<std::path::PathBuf>,
    pub udp: Option<UdpSink>,
    pub pcap: Option<PcapSink>,
    pub log: Option<EventLog>,
    pcap_path: Option<std::path::PathBuf>,
    log_path: Option<std::path::PathBuf>,
}

/// An output could not be opened or flushed: which, where, why.
#[derive(Debug, thiserror::Error)]
#[error("{what} {target}: {source}")]
pub struct OutputError {
    pub what: &'static str,
    pub target: String,
    pub source: io::Error,
}

impl Outputs {
    /// `destinations` get every message; `source` is the address captures claim it came
    /// from. A UDP socket is opened only when there is somewhere to send.
    pub fn open(
        destinations: Vec<SocketAddr>,
        source: SocketAddr,
        pcap: Option<&Path>,
        log: Option<&Path>,
    ) -> Result<Self, OutputError> {
        let err = |what, target: String| {
            move |source| OutputError {
                what,
                target,
                source,
            }
        };
        let udp = if destinations.is_empty() {
            None
        } else {
            Some(
                UdpSink::new(destinations.clone())
                    .map_err(err("UDP socket for", format!("{destinations:?}")))?,
            )
        };
        let pcap_sink = match pcap {
            Some(p) => {
                let dst = if destinations.is_empty() {
                    vec![DEFAULT_DESTINATION]
                } else {
                    destinations
                };
                Some(
                    PcapSink::create(p, source, dst)
                        .map_err(err("capture", p.display().to_string()))?,
                )
            }
            None => None,
        };
        let log_sink = match log {
            Some(p) => {
                Some(EventLog::create(p).map_err(err("event log", p.display().to_string()))?)
            }
            None => None,
        };
        Ok(Self {
            export: None,
            export_path: None,
            udp,
            pcap: pcap_sink,
            log: log_sink,
            pcap_path: pcap.map(Path::to_path_buf),
            log_path: log.map(Path::to_path_buf),
        })
    }

    /// The outputs of a scenario (its `output` section) and of the command line.
    pub fn for_scenario(
        s: &crate::scenario::Scenario,
        opts: &OutputOptions,
    ) -> Result<Self, OutputError> {
        let mut out = Self::open(
            destinations(&s.output, &opts.udp),
            source(&s.output),
            opts.pcap.as_deref(),
            opts.event_log.as_deref(),
        )?;
        if let Some(p) = &opts.export {
            let offsets = s.sensors.iter().map(|x| x.clock_offset_s).collect();
            out.export =
                Some(
                    DetectionExport::create(p, offsets).map_err(|source| OutputError {
                        what: "detection export",
                        target: p.display().to_string(),
                        source,
                    })?,
                );
            out.export_path = Some(p.clone());
        }
        Ok(out)
    }

    /// All open outputs as one sink.
    pub fn sink(&mut self) -> Tee<'_> {
        let mut sinks: Vec<&mut dyn Sink> = Vec::new();
        if let Some(u) = self.udp.as_mut() {
            sinks.push(u);
        }
        if let Some(p) = self.pcap.as_mut() {
            sinks.push(p);
        }
        if let Some(l) = self.log.as_mut() {
            sinks.push(l);
        }
        if let Some(x) = self.export.as_mut() {
            sinks.push(x);
        }
        Tee(sinks)
    }

    /// Datagrams sent and failed sends over UDP.
    pub fn udp_counts(&self) -> (u64, u64) {
        self.udp.as_ref().map_or((0, 0), |u| (u.sent, u.errors))
    }

    /// Flushes the capture and the event log.
    pub fn finish(self) -> Result<(), OutputError> {
        let name = |p: &Option<std::path::PathBuf>| {
            p.as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        };
        if let Some(p) = self.pcap {
            p.finish().map_err(|source| OutputError {
                what: "capture",
                target: name(&self.pcap_path),
                source,
            })?;
        }
        if let Some(l) = self.log {
            l.finish().map_err(|source| OutputError {
                what: "event log",
                target: name(&self.log_path),
                source,
            })?;
        }
        Ok(())
    }
}

/// Every destination of a scenario's `output.udp` (checked at load) and `extra`.
pub fn destinations(output: &crate::scenario::Output, extra: &[SocketAddr]) -> Vec<SocketAddr> {
    let mut v: Vec<SocketAddr> = output.udp.iter().filter_map(|a| a.parse().ok()).collect();
    v.extend_from_slice(extra);
    v
}

/// The capture source address of a scenario (checked at load), or the default.
pub fn source(output: &crate::scenario::Output) -> SocketAddr {
    output
        .source
        .as_deref()
        .and_then(|a| a.parse().ok())
        .unwrap_or(DEFAULT_SOURCE)
}
