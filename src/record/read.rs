//! Reading logs back: the header ([`LogInfo`]) and every message in file order (the order the
//! tap wrote them, which is the order of the pipeline calls). A file cut off by a crash reads
//! up to its last whole chunk; where it stopped is reported, not treated as an error.

use super::{LogInfo, Topic, CONFIG_ATTACHMENT, FORMAT_VERSION, METADATA_NAME};
use crate::hazard::HazardConfig;
use crate::pipeline::Input;
use crate::time::Timestamp;
use mcap::records::Record as McapRecord;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A log that cannot be read at all (a cut-off tail is not an error: see [`Log::truncated`]).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not an MCAP log: {reason}")]
    NotMcap { path: PathBuf, reason: String },
    #[error("{path}: not a roadsight log: {reason}")]
    NotOurs { path: PathBuf, reason: String },
    #[error("{path}: message {index} on {topic}: {reason}")]
    BadMessage {
        path: PathBuf,
        index: u64,
        topic: String,
        reason: String,
    },
    #[error("no log files given")]
    Empty,
}

/// One recorded message.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub topic: Topic,
    /// The time the pipeline was given (log time).
    pub time: Timestamp,
    /// For messages, the time they were made (publish time).
    pub publish: Timestamp,
    pub data: Vec<u8>,
    /// A decoded reload (inputs on `/input/reload` only).
    reload: Option<Result<HazardConfig, String>>,
}

impl Entry {
    /// The pipeline input this entry recorded, if it is one.
    pub fn input(&self) -> Option<Input<'_>> {
        Some(match self.topic {
            Topic::Sensor(sensor) => Input::Datagram {
                sensor,
                bytes: &self.data,
            },
            Topic::SignalFeed => Input::SignalFeed(&self.data),
            Topic::Timeout => Input::Timeout,
            Topic::Reload => Input::Reload(self.reload.as_ref()?),
            Topic::TccCommand => Input::TccCommand(&self.data),
            _ => return None,
        })
    }
}

/// A log: one file or several consecutive ones.
#[derive(Debug, Clone)]
pub struct Log {
    /// The header of the first file.
    pub info: LogInfo,
    pub files: Vec<PathBuf>,
    /// Every message of every file, in order.
    pub entries: Vec<Entry>,
    /// Where and why reading stopped early (a cut-off file keeps what came before).
    pub truncated: Option<String>,
    /// Messages on channels that are not ours (skipped).
    pub foreign: u64,
}

impl Log {
    /// Reads `paths` in order; a directory stands for its `*.mcap` files by name.
    pub fn open(paths: &[PathBuf]) -> Result<Self, ReadError> {
        let mut files = Vec::new();
        for p in paths {
            if p.is_dir() {
                let rd = std::fs::read_dir(p).map_err(|source| ReadError::Io {
                    path: p.clone(),
                    source,
                })?;
                let mut v: Vec<PathBuf> = rd
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "mcap"))
                    .collect();
                v.sort();
                files.extend(v);
            } else {
                files.push(p.clone());
            }
        }
        let mut log: Option<Log> = None;
        for f in &files {
            let bytes = std::fs::read(f).map_err(|source| ReadError::Io {
                path: f.clone(),
                source,
            })?;
            let part = Self::parse(&bytes, f)?;
            match &mut log {
                None => log = Some(part),
                Some(l) => {
                    l.files.extend(part.files);
                    l.entries.extend(part.entries);
                    l.foreign += part.foreign;
                    if l.truncated.is_none() {
                        l.truncated = part.truncated;
                    }
                }
            }
        }
        log.ok_or(ReadError::Empty)
    }

    /// Reads one log file from memory; `path` names it in errors.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self, ReadError> {
        let not_mcap = |reason: String| ReadError::NotMcap {
            path: path.to_path_buf(),
            reason,
        };
        let records = mcap::read::ChunkFlattener::new_with_options(
            bytes,
            mcap::read::Options::IgnoreEndMagic.into(),
        )
        .map_err(|e| not_mcap(e.to_string()))?;
        let mut meta: Option<BTreeMap<String, String>> = None;
        let mut config: Option<String> = None;
        let mut channels: BTreeMap<u16, Option<Topic>> = BTreeMap::new();
        let mut entries = Vec::new();
        let mut truncated = None;
        let mut foreign = 0;
        for (i, rec) in records.enumerate() {
            let rec = match rec {
                Ok(r) => r,
                // The first record (the magic and header) must be there; later, a record
                // that does not parse is where a crash cut the file.
                Err(e) if i == 0 => return Err(not_mcap(e.to_string())),
                Err(e) => {
                    truncated = Some(format!(
                        "{}: read up to message {} ({e})",
                        path.display(),
                        entries.len()
                    ));
                    break;
                }
            };
            match rec {
                McapRecord::Metadata(m) if m.name == METADATA_NAME => meta = Some(m.metadata),
                McapRecord::Attachment { header, data, .. } if header.name == CONFIG_ATTACHMENT => {
                    config = Some(String::from_utf8_lossy(&data).into_owned());
                }
                McapRecord::Channel(c) => {
                    channels.insert(c.id, Topic::parse(&c.topic));
                }
                McapRecord::Message { header, data } => {
                    let Some(Some(topic)) = channels.get(&header.channel_id).copied() else {
                        foreign += 1;
                        continue;
                    };
                    let reload = if topic == Topic::Reload {
                        Some(parse_reload(&data).map_err(|reason| ReadError::BadMessage {
                            path: path.to_path_buf(),
                            index: entries.len() as u64,
                            topic: topic.name(),
                            reason,
                        })?)
                    } else {
                        None
                    };
                    entries.push(Entry {
                        topic,
                        time: from_ns(header.log_time),
                        publish: from_ns(header.publish_time),
                        data: data.into_owned(),
                        reload,
                    });
                }
                _ => {}
            }
        }
        let not_ours = |reason: &str| ReadError::NotOurs {
            path: path.to_path_buf(),
            reason: reason.into(),
        };
        let meta = meta.ok_or_else(|| not_ours("no `roadsight` metadata record"))?;
        let get = |k: &str| meta.get(k).map(String::as_str);
        if get("format_version") != Some(FORMAT_VERSION) {
            return Err(not_ours("unknown format_version"));
        }
        let epoch = get("epoch_us")
            .and_then(|v| v.parse::<i64>().ok())
            .map(Timestamp::from_micros)
            .ok_or_else(|| not_ours("epoch_us missing or not an integer"))?;
        let sensors = get("sensors")
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| {
                let (id, kind) = s.rsplit_once(':').unwrap_or((s, ""));
                (id.to_string(), kind.to_string())
            })
            .collect();
        let info = LogInfo {
            epoch,
            signal_feed: get("signal_feed") == Some("true"),
            source: get("source").unwrap_or("").to_string(),
            config_toml: config.ok_or_else(|| not_ours("no site.toml attachment"))?,
            sensors,
        };
        Ok(Self {
            info,
            files: vec![path.to_path_buf()],
            entries,
            truncated,
            foreign,
        })
    }

    /// Log time of the first and last entries.
    pub fn span(&self) -> Option<(Timestamp, Timestamp)> {
        Some((self.entries.first()?.time, self.entries.last()?.time))
    }
}

fn parse_reload(data: &[u8]) -> Result<Result<HazardConfig, String>, String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Outcome {
        Ok(Box<HazardConfig>),
        Err(String),
    }
    match serde_json::from_slice::<Outcome>(data) {
        Ok(Outcome::Ok(c)) => Ok(Ok(*c)),
        Ok(Outcome::Err(r)) => Ok(Err(r)),
        Err(e) => Err(e.to_string()),
    }
}

fn from_ns(ns: u64) -> Timestamp {
    Timestamp::from_micros(i64::try_from(ns / 1000).unwrap_or(i64::MAX))
}
