//! Recording: a tap on the one pipeline that writes every input it is fed (sensor datagrams
//! in their wire form, signal-feed datagrams, timer expiries, configuration reloads, each with
//! the time the pipeline was given) and every output (each V2X message, events, hazard
//! events, track snapshots) to MCAP files, readable by Foxglove and the Python `mcap`
//! package. The site configuration travels in each file, so a log replays on its own.
//!
//! The [`Recorder`] is a [`Sink`]: the drivers (the live service, the scenario driver, replay)
//! call `input` before handing an input to the pipeline and the usual output methods after.
//! It never stops the pipeline: write errors are counted and the first is kept.
//!
//! Files are chunked: a chunk is closed (and the file flushed, and synced when asked) every
//! `chunk_s` of site time or `chunk_bytes`, so a crash loses at most the open chunk, and a
//! cut-off file reads up to its last whole chunk ([`read`]). In a directory, files rotate by
//! size and age, and the oldest are deleted beyond the retention limit.

pub mod read;

use crate::pipeline::driver::Sink;
use crate::pipeline::{Event, Input, MessageKind, Transmit};
use crate::time::Timestamp;
use crate::world::WorldSnapshot;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

/// The recording switch of a site (`[record]`), or of `serve --record DIR`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecordConfig {
    /// Directory of the log files (created if missing).
    pub dir: PathBuf,
    /// A file is closed and a new one started past this size.
    pub max_file_bytes: u64,
    /// … or when it spans this much site time.
    pub max_file_s: f64,
    /// The oldest files are deleted while the directory holds more than this.
    pub retention_bytes: u64,
    /// A chunk is closed and written out at least this often (site time): what a crash can
    /// lose.
    pub chunk_s: f64,
    /// … and at this size.
    pub chunk_bytes: u64,
    /// Track snapshots per second (0: none).
    pub tracks_hz: f64,
    /// Sync each closed chunk to the disk (a power cut then loses at most the open chunk).
    pub sync: bool,
}

impl Default for RecordConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("recordings"),
            max_file_bytes: 256 << 20,
            max_file_s: 3600.0,
            retention_bytes: 20 << 30,
            chunk_s: 1.0,
            chunk_bytes: 1 << 20,
            tracks_hz: 10.0,
            sync: true,
        }
    }
}

impl RecordConfig {
    /// One file, no rotation, no retention, no syncing: a run's or a replay's log.
    pub fn single_file() -> Self {
        Self {
            dir: PathBuf::new(),
            max_file_bytes: u64::MAX,
            max_file_s: f64::INFINITY,
            retention_bytes: u64::MAX,
            sync: false,
            ..Self::default()
        }
    }

    /// The first setting that cannot work, as (key, reason).
    pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
        let positive = |v: f64| v.is_finite() && v > 0.0 || v == f64::INFINITY;
        if self.max_file_bytes == 0 {
            return Err(("record.max_file_bytes", "must be above 0"));
        }
        if !positive(self.max_file_s) {
            return Err(("record.max_file_s", "must be a positive number of seconds"));
        }
        if !(self.chunk_s.is_finite() && self.chunk_s > 0.0) {
            return Err(("record.chunk_s", "must be a positive number of seconds"));
        }
        if !(self.tracks_hz.is_finite() && self.tracks_hz >= 0.0) {
            return Err(("record.tracks_hz", "must be 0 or more"));
        }
        Ok(())
    }
}

/// What a log needs to be replayed on its own: written at the start of every file.
#[derive(Debug, Clone, PartialEq)]
pub struct LogInfo {
    /// The pipeline's time zero (its first message cycle).
    pub epoch: Timestamp,
    /// The signal state came from the controller's live feed, not the plan.
    pub signal_feed: bool,
    /// Who wrote it: `serve`, `run`, `replay`.
    pub source: String,
    /// The site configuration (scenario TOML) the pipeline was built from.
    pub config_toml: String,
    /// Sensor IDs and wire formats by index, to name the input channels.
    pub sensors: Vec<(String, String)>,
}

impl LogInfo {
    /// The log header of a pipeline built from scenario `s` (parsed from `config_toml`).
    pub fn new(
        s: &crate::scenario::Scenario,
        config_toml: &str,
        epoch: Timestamp,
        signal_feed: bool,
        source: &str,
    ) -> Self {
        Self {
            epoch,
            signal_feed,
            source: source.into(),
            config_toml: config_toml.into(),
            sensors: s
                .sensors
                .iter()
                .map(|x| (x.id.clone(), format!("{:?}", x.kind).to_lowercase()))
                .collect(),
        }
    }
}

/// Version of the channel layout below; a reader refuses others.
pub const FORMAT_VERSION: &str = "1";
/// Name of the metadata record with [`LogInfo`].
pub const METADATA_NAME: &str = "roadsight";
/// Name of the attachment with the site configuration.
pub const CONFIG_ATTACHMENT: &str = "site.toml";

/// The channels of a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Topic {
    Sensor(u16),
    SignalFeed,
    Timeout,
    Reload,
    TccCommand,
    V2x(MessageKind),
    Events,
    Hazards,
    Tracks,
}

impl Topic {
    /// The MCAP topic name.
    pub fn name(self) -> String {
        match self {
            Topic::Sensor(i) => format!("/input/sensor/{i}"),
            Topic::SignalFeed => "/input/signal_feed".into(),
            Topic::Timeout => "/input/timeout".into(),
            Topic::Reload => "/input/reload".into(),
            Topic::TccCommand => "/input/tcc_command".into(),
            Topic::V2x(k) => format!("/v2x/{}", k.name().to_lowercase()),
            Topic::Events => "/events".into(),
            Topic::Hazards => "/hazards".into(),
            Topic::Tracks => "/tracks".into(),
        }
    }

    /// The topic of a name, if it is one of ours.
    pub fn parse(name: &str) -> Option<Topic> {
        if let Some(i) = name.strip_prefix("/input/sensor/") {
            return i.parse().ok().map(Topic::Sensor);
        }
        if let Some(k) = name.strip_prefix("/v2x/") {
            return MessageKind::ALL
                .into_iter()
                .find(|m| m.name().eq_ignore_ascii_case(k))
                .map(Topic::V2x);
        }
        Some(match name {
            "/input/signal_feed" => Topic::SignalFeed,
            "/input/timeout" => Topic::Timeout,
            "/input/reload" => Topic::Reload,
            "/input/tcc_command" => Topic::TccCommand,
            "/events" => Topic::Events,
            "/hazards" => Topic::Hazards,
            "/tracks" => Topic::Tracks,
            _ => return None,
        })
    }

    pub fn is_input(self) -> bool {
        matches!(
            self,
            Topic::Sensor(_)
                | Topic::SignalFeed
                | Topic::Timeout
                | Topic::Reload
                | Topic::TccCommand
        )
    }

    /// (schema name, schema encoding, schema data, message encoding).
    fn schema(self) -> (&'static str, &'static str, &'static str, &'static str) {
        const EVENT: &str = r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"roadsight pipeline event","type":"object","properties":{"event":{"type":"string"},"time":{"type":"string","description":"UTC, RFC 3339"}},"required":["event","time"]}"#;
        const HAZARD: &str = r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"roadsight hazard event","type":"object","properties":{"event":{"const":"hazard"},"time":{"type":"string"},"phase":{"enum":["start","update","end"]},"id":{"type":"integer"},"kind":{"type":"string"},"road_users":{"type":"array","items":{"type":"integer"}},"point":{"type":"array","items":{"type":"number"}}},"required":["event","time","phase","kind","road_users"]}"#;
        const TRACKS: &str = r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"roadsight confirmed tracks","type":"object","properties":{"time":{"type":"string"},"objects":{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},"class":{"type":"string"},"east_m":{"type":"number"},"north_m":{"type":"number"},"vel_east_mps":{"type":"number"},"vel_north_mps":{"type":"number"},"yaw_rad":{"type":"number"},"length_m":{"type":"number"},"width_m":{"type":"number"},"pos_std_m":{"type":"number"}}}}},"required":["time","objects"]}"#;
        const TIMEOUT: &str = r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"roadsight timer expiry (the log time is the time given to the pipeline)","type":"object"}"#;
        const RELOAD: &str = r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"roadsight configuration reload: the hazard settings applied, or why they were refused","type":"object","properties":{"ok":{"type":"object"},"err":{"type":"string"}}}"#;
        const TCC_COMMAND: &str = r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"roadsight TCC command as received on roadsight/{site}/cmd (in full: $defs/command of docs/schema/tcc-feed-v1.json)","type":"object"}"#;
        match self {
            Topic::Sensor(_) => (
                "roadsight.SensorDatagram",
                "roadsight-wire",
                "A UDP payload from one sensor as received: a camera's JSON object list, or ARS408 CAN frames in gateway records (see src/sensor/).",
                "roadsight-wire",
            ),
            Topic::SignalFeed => (
                "roadsight.SignalFeedDatagram",
                "roadsight-wire",
                "A UDP payload from the signal controller's feed as received (JSON, see src/signal/feed.rs).",
                "roadsight-wire",
            ),
            Topic::TccCommand => (
                "roadsight.TccCommand",
                "jsonschema",
                TCC_COMMAND,
                "json",
            ),
            Topic::V2x(MessageKind::Mapem) => (
                "ETSI-TS103301.MAPEM",
                "asn1-uper",
                "MAPEM of ETSI TS 103 301 v2.1.1 (ISO TS 19091 MapData), ASN.1 UPER; modules in assets/asn1.",
                "asn1-uper",
            ),
            Topic::V2x(_) => (
                "YDT3709.MessageFrame",
                "asn1-uper",
                "MessageFrame of YD/T 3709-2020 (CN V2X), ASN.1 UPER; modules in crates/roadsight-asn1.",
                "asn1-uper",
            ),
            Topic::Timeout => ("roadsight.Timeout", "jsonschema", TIMEOUT, "json"),
            Topic::Reload => ("roadsight.Reload", "jsonschema", RELOAD, "json"),
            Topic::Events => ("roadsight.Event", "jsonschema", EVENT, "json"),
            Topic::Hazards => ("roadsight.HazardEvent", "jsonschema", HAZARD, "json"),
            Topic::Tracks => ("roadsight.Tracks", "jsonschema", TRACKS, "json"),
        }
    }
}

/// A log file could not be created, written or closed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("recording {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("recording {path}: {source}")]
    Mcap {
        path: PathBuf,
        source: mcap::McapError,
    },
    #[error("recording: {key} {reason}")]
    Config {
        key: &'static str,
        reason: &'static str,
    },
}

type McapWriter = mcap::Writer<BufWriter<fs::File>>;

/// One open log file.
struct OpenFile {
    w: McapWriter,
    /// For syncing: the same file as the writer's.
    file: fs::File,
    path: PathBuf,
    channels: BTreeMap<Topic, u16>,
    opened_at: Timestamp,
    last_chunk: Timestamp,
    /// Bytes of messages written (a close estimate of the file's size).
    bytes: u64,
    chunk_bytes: u64,
}

/// Where the files go.
enum Target {
    /// Rotating files in a directory.
    Dir,
    /// One file.
    File(PathBuf),
}

/// The recording tap. See the module docs.
pub struct Recorder {
    cfg: RecordConfig,
    info: LogInfo,
    target: Target,
    file: Option<OpenFile>,
    /// The time of the input being processed: the log time of what it produces.
    now: Timestamp,
    seq: BTreeMap<Topic, u32>,
    last_tracks: Option<Timestamp>,
    files_written: Vec<PathBuf>,
    /// Writes that failed; the recording goes on with the next.
    pub errors: u64,
    pub last_error: Option<String>,
    pub messages: u64,
    buf: Vec<u8>,
}

impl Recorder {
    /// Records into rotating files in `cfg.dir`.
    pub fn to_dir(cfg: RecordConfig, info: LogInfo) -> Result<Self, RecordError> {
        cfg.check()
            .map_err(|(key, reason)| RecordError::Config { key, reason })?;
        fs::create_dir_all(&cfg.dir).map_err(|source| RecordError::Io {
            path: cfg.dir.clone(),
            source,
        })?;
        Self::new(cfg, info, Target::Dir)
    }

    /// Records into one file at `path`, with no rotation.
    pub fn to_file(path: &Path, info: LogInfo) -> Result<Self, RecordError> {
        Self::new(
            RecordConfig::single_file(),
            info,
            Target::File(path.to_path_buf()),
        )
    }

    fn new(cfg: RecordConfig, info: LogInfo, target: Target) -> Result<Self, RecordError> {
        let now = info.epoch;
        let mut r = Self {
            cfg,
            info,
            target,
            file: None,
            now,
            seq: BTreeMap::new(),
            last_tracks: None,
            files_written: Vec::new(),
            errors: 0,
            last_error: None,
            messages: 0,
            buf: Vec::new(),
        };
        // Open at once, so a bad path fails at start rather than at the first input.
        r.open(now)?;
        Ok(r)
    }

    /// The files written so far, oldest first.
    pub fn files(&self) -> &[PathBuf] {
        &self.files_written
    }

    fn open(&mut self, now: Timestamp) -> Result<(), RecordError> {
        let path = match &self.target {
            Target::File(p) => p.clone(),
            Target::Dir => self.cfg.dir.join(file_name(now, self.files_written.len())),
        };
        let io_err = |source| RecordError::Io {
            path: path.clone(),
            source,
        };
        let mcap_err = |source| RecordError::Mcap {
            path: path.clone(),
            source,
        };
        let file = fs::File::create(&path).map_err(io_err)?;
        let sync_handle = file.try_clone().map_err(io_err)?;
        let opts = mcap::WriteOptions::new()
            .compression(None)
            .chunk_size(None)
            .profile("roadsight")
            // No library version string: two replays of a log must be byte-identical.
            .library("roadsight");
        let mut w = opts
            .create(BufWriter::with_capacity(1 << 16, file))
            .map_err(mcap_err)?;
        let t = ns(self.info.epoch);
        w.attach(&mcap::Attachment {
            log_time: t,
            create_time: t,
            name: CONFIG_ATTACHMENT.into(),
            media_type: "application/toml".into(),
            data: self.info.config_toml.as_bytes().into(),
        })
        .map_err(mcap_err)?;
        let mut meta = BTreeMap::new();
        meta.insert("format_version".into(), FORMAT_VERSION.into());
        meta.insert("epoch_us".into(), self.info.epoch.micros().to_string());
        meta.insert("signal_feed".into(), self.info.signal_feed.to_string());
        meta.insert("source".into(), self.info.source.clone());
        meta.insert("part".into(), self.files_written.len().to_string());
        meta.insert("sensors".into(), {
            let v: Vec<String> = self
                .info
                .sensors
                .iter()
                .map(|(id, kind)| format!("{id}:{kind}"))
                .collect();
            v.join(",")
        });
        w.write_metadata(&mcap::records::Metadata {
            name: METADATA_NAME.into(),
            metadata: meta,
        })
        .map_err(mcap_err)?;
        w.flush().map_err(mcap_err)?;
        self.files_written.push(path.clone());
        self.file = Some(OpenFile {
            w,
            file: sync_handle,
            path,
            channels: BTreeMap::new(),
            opened_at: now,
            last_chunk: now,
            bytes: 0,
            chunk_bytes: 0,
        });
        Ok(())
    }

    fn fail(&mut self, e: impl std::fmt::Display) {
        self.errors += 1;
        if self.last_error.is_none() {
            self.last_error = Some(e.to_string());
        }
    }

    /// Starts a new file when the open one is too big or too old; applies the retention.
    fn rotate_if_due(&mut self, now: Timestamp) {
        let Some(f) = &self.file else { return };
        let due = matches!(self.target, Target::Dir)
            && (f.bytes >= self.cfg.max_file_bytes
                || now.secs_since(f.opened_at) >= self.cfg.max_file_s);
        if !due {
            return;
        }
        if let Err(e) = self.close() {
            self.fail(e);
        }
        if let Err(e) = self.open(now) {
            self.fail(e);
        }
        if let Err(e) = self.apply_retention() {
            self.fail(e);
        }
    }

    /// Deletes the oldest log files of the directory while it holds more than the limit.
    fn apply_retention(&mut self) -> Result<(), RecordError> {
        let dir = &self.cfg.dir;
        let io_err = |source| RecordError::Io {
            path: dir.clone(),
            source,
        };
        let mut logs: Vec<(PathBuf, u64)> = Vec::new();
        for entry in fs::read_dir(dir).map_err(io_err)? {
            let entry = entry.map_err(io_err)?;
            let p = entry.path();
            let ours = p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("roadsight-") && n.ends_with(".mcap"));
            if ours {
                logs.push((p, entry.metadata().map_err(io_err)?.len()));
            }
        }
        logs.sort();
        let mut total: u64 = logs.iter().map(|(_, n)| n).sum();
        let open = self.file.as_ref().map(|f| f.path.clone());
        for (p, n) in logs {
            if total <= self.cfg.retention_bytes {
                break;
            }
            if Some(&p) == open.as_ref() {
                continue;
            }
            fs::remove_file(&p).map_err(|source| RecordError::Io {
                path: p.clone(),
                source,
            })?;
            total -= n;
        }
        Ok(())
    }

    /// Closes the open file (chunk, summary and footer).
    fn close(&mut self) -> Result<(), RecordError> {
        let Some(mut f) = self.file.take() else {
            return Ok(());
        };
        let path = f.path.clone();
        f.w.finish().map_err(|source| RecordError::Mcap {
            path: path.clone(),
            source,
        })?;
        let mut inner = f.w.into_inner();
        io::Write::flush(&mut inner).map_err(|source| RecordError::Io {
            path: path.clone(),
            source,
        })?;
        if self.cfg.sync {
            f.file
                .sync_data()
                .map_err(|source| RecordError::Io { path, source })?;
        }
        Ok(())
    }

    /// Closes the last file; what the recording could not write is reported here.
    pub fn finish(mut self) -> Result<Vec<PathBuf>, RecordError> {
        self.close()?;
        Ok(self.files_written)
    }

    fn write(&mut self, topic: Topic, log_time: Timestamp, publish_time: Timestamp, data: &[u8]) {
        let Some(f) = self.file.as_mut() else {
            return;
        };
        let channel = match f.channels.get(&topic) {
            Some(c) => *c,
            None => match add_channel(&mut f.w, topic, &self.info) {
                Ok(c) => {
                    f.channels.insert(topic, c);
                    c
                }
                Err(e) => return self.fail(e),
            },
        };
        let seq = self.seq.entry(topic).or_insert(0);
        *seq = seq.wrapping_add(1);
        let header = mcap::records::MessageHeader {
            channel_id: channel,
            sequence: *seq,
            log_time: ns(log_time),
            publish_time: ns(publish_time),
        };
        if let Err(e) = f.w.write_to_known_channel(&header, data) {
            return self.fail(e);
        }
        self.messages += 1;
        // Record header and message header: 9 + 22 bytes.
        let n = data.len() as u64 + 31;
        f.bytes += n;
        f.chunk_bytes += n;
        if f.chunk_bytes >= self.cfg.chunk_bytes
            || log_time.secs_since(f.last_chunk) >= self.cfg.chunk_s
        {
            f.chunk_bytes = 0;
            f.last_chunk = log_time;
            let res = f.w.flush().map_err(|e| e.to_string()).and_then(|()| {
                if self.cfg.sync {
                    f.file.sync_data().map_err(|e| e.to_string())
                } else {
                    Ok(())
                }
            });
            if let Err(e) = res {
                self.fail(e);
            }
        }
    }

    fn write_json(&mut self, topic: Topic, publish_time: Timestamp, v: &impl Serialize) {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        match serde_json::to_writer(&mut buf, v) {
            Ok(()) => self.write(topic, self.now, publish_time, &buf),
            Err(e) => self.fail(e),
        }
        self.buf = buf;
    }
}

impl Sink for Recorder {
    fn input(&mut self, now: Timestamp, input: &Input<'_>) {
        self.rotate_if_due(now);
        self.now = now;
        match *input {
            Input::Datagram { sensor, bytes } => self.write(Topic::Sensor(sensor), now, now, bytes),
            Input::SignalFeed(bytes) => self.write(Topic::SignalFeed, now, now, bytes),
            Input::Timeout => self.write(Topic::Timeout, now, now, b"{}"),
            Input::Reload(outcome) => {
                let v = match outcome {
                    Ok(cfg) => serde_json::json!({ "ok": cfg }),
                    Err(reason) => serde_json::json!({ "err": reason }),
                };
                self.write_json(Topic::Reload, now, &v);
            }
            Input::TccCommand(bytes) => self.write(Topic::TccCommand, now, now, bytes),
        }
    }

    fn transmit(&mut self, tx: &Transmit) {
        self.write(Topic::V2x(tx.kind), self.now, tx.time, &tx.bytes);
    }

    fn event(&mut self, ev: &Event) {
        let topic = match ev {
            Event::Hazard { .. } => Topic::Hazards,
            _ => Topic::Events,
        };
        self.write_json(topic, self.now, ev);
    }

    fn world(&mut self, w: &WorldSnapshot) {
        if self.cfg.tracks_hz <= 0.0 || self.last_tracks == Some(w.time) {
            return;
        }
        if let Some(last) = self.last_tracks {
            // A little slack so 10 Hz snapshots of a 10 Hz RSM cycle are all taken.
            if w.time.secs_since(last) < 0.999 / self.cfg.tracks_hz {
                return;
            }
        }
        self.last_tracks = Some(w.time);
        let objects: Vec<TrackRecord> = w.objects.iter().map(TrackRecord::from).collect();
        let snapshot = TracksRecord {
            time: w.time.to_string(),
            objects,
        };
        self.write_json(Topic::Tracks, w.time, &snapshot);
    }
}

/// One confirmed track in a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackRecord {
    pub id: u32,
    pub class: String,
    pub east_m: f64,
    pub north_m: f64,
    pub vel_east_mps: f64,
    pub vel_north_mps: f64,
    pub yaw_rad: f64,
    pub length_m: f64,
    pub width_m: f64,
    pub pos_std_m: f64,
}

impl From<&crate::world::WorldObject> for TrackRecord {
    fn from(o: &crate::world::WorldObject) -> Self {
        Self {
            id: o.id,
            class: format!("{:?}", o.class).to_lowercase(),
            east_m: o.east_m,
            north_m: o.north_m,
            vel_east_mps: o.vel_east_mps,
            vel_north_mps: o.vel_north_mps,
            yaw_rad: o.yaw_rad,
            length_m: o.length_m,
            width_m: o.width_m,
            pos_std_m: o.pos_std_m,
        }
    }
}

/// The confirmed tracks at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TracksRecord {
    pub time: String,
    pub objects: Vec<TrackRecord>,
}

fn add_channel(w: &mut McapWriter, topic: Topic, info: &LogInfo) -> Result<u16, mcap::McapError> {
    let (name, encoding, data, message_encoding) = topic.schema();
    let schema = w.add_schema(name, encoding, data.as_bytes())?;
    let mut meta = BTreeMap::new();
    if let Topic::Sensor(i) = topic {
        meta.insert("sensor_index".to_string(), i.to_string());
        if let Some((id, kind)) = info.sensors.get(usize::from(i)) {
            meta.insert("sensor_id".to_string(), id.clone());
            meta.insert("wire_format".to_string(), kind.clone());
        }
    }
    w.add_channel(schema, &topic.name(), message_encoding, &meta)
}

/// Site time as MCAP nanoseconds (times before 1970 are clamped to 0).
fn ns(t: Timestamp) -> u64 {
    u64::try_from(t.micros()).unwrap_or(0).saturating_mul(1000)
}

/// `roadsight-20261123T085100.123456Z-0003.mcap`: sorts by time, then by part.
fn file_name(t: Timestamp, part: usize) -> String {
    let (y, mo, d, h, mi, s, us) = t.civil();
    format!("roadsight-{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}.{us:06}Z-{part:04}.mcap")
}

/// Where a run or the service records, with the site configuration to store in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRequest {
    pub target: RecordTarget,
    /// The scenario TOML the pipeline is built from.
    pub config_toml: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RecordTarget {
    /// One file (a run, a replay).
    File(PathBuf),
    /// Rotating files (the service).
    Dir(RecordConfig),
}

impl RecordRequest {
    /// The service's recording: `dir` (from `--record`) with the site's `[record]` limits, or
    /// the site's `[record]` section alone, or none.
    pub fn for_service(
        s: &crate::scenario::Scenario,
        config_toml: &str,
        dir: Option<PathBuf>,
    ) -> Option<Self> {
        let cfg = match (dir, &s.record) {
            (Some(dir), site) => RecordConfig {
                dir,
                ..site.clone().unwrap_or_default()
            },
            (None, Some(site)) => site.clone(),
            (None, None) => return None,
        };
        Some(Self {
            target: RecordTarget::Dir(cfg),
            config_toml: config_toml.into(),
        })
    }

    /// Opens the recording of a pipeline built from `s` with time zero `epoch`.
    pub fn open(
        &self,
        s: &crate::scenario::Scenario,
        epoch: Timestamp,
        signal_feed: bool,
        source: &str,
    ) -> Result<Recorder, RecordError> {
        let info = LogInfo::new(s, &self.config_toml, epoch, signal_feed, source);
        match &self.target {
            RecordTarget::File(p) => Recorder::to_file(p, info),
            RecordTarget::Dir(cfg) => Recorder::to_dir(cfg.clone(), info),
        }
    }
}
