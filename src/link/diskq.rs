//! A bounded, append-only queue on disk for what must survive a broker outage and a restart
//! (the TCC feed's events and health): records are kept, in order, until the link reports
//! them delivered.
//!
//! Layout: a directory of segment files `NNNNNNNNNNNNNNNN.seg`, each a run of records
//! `[len u32 LE][crc32 u32 LE][payload]`, and a file `ack` holding where delivery has got to
//! (`[segment u64 LE][offset u64 LE][crc32 u32 LE]`, replaced atomically). At open, the
//! records after the ack point are read back; a torn or corrupt record ends its segment (a
//! crash mid-write leaves one at the tail), is counted, and the last segment is cut there so
//! that new records follow whole ones.
//!
//! Writes go to the OS on each push (they survive a crash of the service, not of the
//! machine: no fsync per record). The ack point is written when [`DiskQueue::sync_ack`] is
//! called, so a restart can deliver a few records twice, never lose one: at-least-once.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// A record larger than this is refused (and a length field above it marks corruption).
pub const MAX_RECORD_BYTES: usize = 4 * 1024 * 1024;
const HEADER: u64 = 8;

/// What the queue has done since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounters {
    pub accepted: u64,
    /// Refused because the queue was full (or the record too large).
    pub dropped_full: u64,
    /// Torn or corrupt records found at open (each ends the rest of its segment).
    pub corrupt_records: u64,
    /// Records recovered from disk at open.
    pub recovered: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue {dir}: {source}")]
    Io { dir: PathBuf, source: io::Error },
    #[error("queue full ({bytes} of {max} bytes); record of {len} bytes dropped")]
    Full { bytes: u64, max: u64, len: usize },
}

struct Entry {
    segment: u64,
    /// Offset just past this record in its segment.
    end: u64,
    record: Vec<u8>,
}

pub struct DiskQueue {
    dir: PathBuf,
    max_bytes: u64,
    segment_bytes: u64,
    /// Segment ids on disk, oldest first; the last is the one written.
    segments: VecDeque<u64>,
    writer: File,
    writer_len: u64,
    pending: VecDeque<Entry>,
    bytes: u64,
    ack_dirty: bool,
    counters: QueueCounters,
}

fn crc32(data: &[u8]) -> u32 {
    // IEEE 802.3 polynomial, reflected; a table is not worth it at these rates.
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

fn seg_name(id: u64) -> String {
    format!("{id:016}.seg")
}

impl DiskQueue {
    /// Opens (or creates) the queue in `dir`, reading back what was not delivered.
    pub fn open(dir: &Path, max_bytes: u64) -> Result<Self, QueueError> {
        let io_err = |source| QueueError::Io {
            dir: dir.to_path_buf(),
            source,
        };
        fs::create_dir_all(dir).map_err(io_err)?;
        let mut ids: Vec<u64> = fs::read_dir(dir)
            .map_err(io_err)?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                name.strip_suffix(".seg")?.parse::<u64>().ok()
            })
            .collect();
        ids.sort_unstable();
        let (ack_seg, ack_off) = read_ack(&dir.join("ack")).unwrap_or((0, 0));
        let mut q_counters = QueueCounters::default();
        let mut pending = VecDeque::new();
        let mut bytes = 0u64;
        let mut kept = VecDeque::new();
        let last = ids.last().copied();
        let mut last_good_len = 0u64;
        for &id in &ids {
            let path = dir.join(seg_name(id));
            if id < ack_seg {
                let _ = fs::remove_file(&path);
                continue;
            }
            let data = fs::read(&path).map_err(io_err)?;
            let mut off = if id == ack_seg { ack_off } else { 0 } as usize;
            let mut good_end = data.len().min(off);
            if off > data.len() {
                // The ack point is past the file's end: the tail was lost; nothing to redo.
                off = data.len();
            }
            while off < data.len() {
                let rec = parse_record(&data[off..]);
                match rec {
                    Some(payload) => {
                        let end = off + HEADER as usize + payload.len();
                        bytes += HEADER + payload.len() as u64;
                        pending.push_back(Entry {
                            segment: id,
                            end: end as u64,
                            record: payload.to_vec(),
                        });
                        q_counters.recovered += 1;
                        off = end;
                        good_end = end;
                    }
                    None => {
                        q_counters.corrupt_records += 1;
                        break;
                    }
                }
            }
            if Some(id) == last {
                if good_end < data.len() {
                    // Cut the torn tail so that new records follow whole ones.
                    let f = OpenOptions::new().write(true).open(&path).map_err(io_err)?;
                    f.set_len(good_end as u64).map_err(io_err)?;
                }
                last_good_len = good_end as u64;
            }
            kept.push_back(id);
        }
        let write_id = match last {
            Some(id) if kept.back() == Some(&id) => id,
            Some(id) => {
                kept.push_back(id + 1);
                last_good_len = 0;
                id + 1
            }
            None => {
                kept.push_back(ack_seg.max(1));
                ack_seg.max(1)
            }
        };
        let writer = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(seg_name(write_id)))
            .map_err(io_err)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            max_bytes,
            segment_bytes: (max_bytes / 8).clamp(64 * 1024, 4 * 1024 * 1024),
            segments: kept,
            writer,
            writer_len: last_good_len,
            pending,
            bytes,
            ack_dirty: false,
            counters: q_counters,
        })
    }

    fn io(&self, source: io::Error) -> QueueError {
        QueueError::Io {
            dir: self.dir.clone(),
            source,
        }
    }

    /// Appends a record, or refuses it (counted) when the queue is full.
    pub fn push(&mut self, record: &[u8]) -> Result<(), QueueError> {
        let len = HEADER + record.len() as u64;
        if record.len() > MAX_RECORD_BYTES || self.bytes + len > self.max_bytes {
            self.counters.dropped_full += 1;
            return Err(QueueError::Full {
                bytes: self.bytes,
                max: self.max_bytes,
                len: record.len(),
            });
        }
        if self.writer_len > 0 && self.writer_len + len > self.segment_bytes {
            let id = self.segments.back().copied().unwrap_or(0) + 1;
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join(seg_name(id)))
                .map_err(|e| self.io(e))?;
            self.writer = f;
            self.writer_len = 0;
            self.segments.push_back(id);
        }
        let mut buf = Vec::with_capacity(len as usize);
        buf.extend_from_slice(&(record.len() as u32).to_le_bytes());
        buf.extend_from_slice(&crc32(record).to_le_bytes());
        buf.extend_from_slice(record);
        if let Err(e) = self.writer.write_all(&buf) {
            // A partial write is a torn record: the next open cuts it. Count as dropped.
            self.counters.dropped_full += 1;
            return Err(self.io(e));
        }
        self.writer_len += len;
        self.bytes += len;
        self.counters.accepted += 1;
        self.pending.push_back(Entry {
            segment: self.segments.back().copied().unwrap_or(0),
            end: self.writer_len,
            record: record.to_vec(),
        });
        Ok(())
    }

    /// The `i`-th record not yet delivered (0 is the oldest).
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.pending.get(i).map(|e| e.record.as_slice())
    }

    /// Records not yet delivered.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Bytes of the records not yet delivered (headers included).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn counters(&self) -> QueueCounters {
        self.counters
    }

    /// The `n` oldest records were delivered: forget them, and remove the segments that
    /// hold nothing undelivered. The ack point reaches the disk at [`Self::sync_ack`].
    pub fn ack(&mut self, n: usize) {
        for _ in 0..n.min(self.pending.len()) {
            if let Some(e) = self.pending.pop_front() {
                self.bytes -= HEADER + e.record.len() as u64;
                self.ack_dirty = true;
            }
        }
        let keep_from = self
            .pending
            .front()
            .map(|e| e.segment)
            .or_else(|| self.segments.back().copied())
            .unwrap_or(0);
        while self.segments.len() > 1 && self.segments.front().is_some_and(|&s| s < keep_from) {
            if let Some(s) = self.segments.pop_front() {
                let _ = fs::remove_file(self.dir.join(seg_name(s)));
            }
        }
    }

    /// Writes the ack point if it moved.
    pub fn sync_ack(&mut self) -> Result<(), QueueError> {
        if !self.ack_dirty {
            return Ok(());
        }
        // Just before the oldest undelivered record; or the end of what was written.
        let (seg, off) = match self.pending.front() {
            Some(e) => (e.segment, e.end - HEADER - e.record.len() as u64),
            None => (self.segments.back().copied().unwrap_or(0), self.writer_len),
        };
        let mut buf = Vec::with_capacity(20);
        buf.extend_from_slice(&seg.to_le_bytes());
        buf.extend_from_slice(&off.to_le_bytes());
        let crc = crc32(&buf);
        buf.extend_from_slice(&crc.to_le_bytes());
        let tmp = self.dir.join("ack.tmp");
        fs::write(&tmp, &buf)
            .and_then(|()| fs::rename(&tmp, self.dir.join("ack")))
            .map_err(|e| self.io(e))?;
        self.ack_dirty = false;
        Ok(())
    }
}

fn parse_record(data: &[u8]) -> Option<&[u8]> {
    let len = u32::from_le_bytes(data.get(0..4)?.try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(data.get(4..8)?.try_into().ok()?);
    if len > MAX_RECORD_BYTES {
        return None;
    }
    let payload = data.get(8..8 + len)?;
    (crc32(payload) == crc).then_some(payload)
}

fn read_ack(path: &Path) -> Option<(u64, u64)> {
    let mut buf = Vec::new();
    File::open(path).ok()?.read_to_end(&mut buf).ok()?;
    if buf.len() != 20 {
        return None;
    }
    let crc = u32::from_le_bytes(buf[16..20].try_into().ok()?);
    if crc32(&buf[..16]) != crc {
        return None;
    }
    Some((
        u64::from_le_bytes(buf[0..8].try_into().ok()?),
        u64::from_le_bytes(buf[8..16].try_into().ok()?),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("roadsight-diskq-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn open(d: &Path, max: u64) -> DiskQueue {
        match DiskQueue::open(d, max) {
            Ok(q) => q,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn survives_reopen_in_order_and_forgets_acked() {
        let d = dir("reopen");
        let mut q = open(&d, 1 << 20);
        for i in 0..100u32 {
            assert!(q.push(format!("rec {i}").as_bytes()).is_ok());
        }
        q.ack(40);
        assert!(q.sync_ack().is_ok());
        drop(q);
        let q = open(&d, 1 << 20);
        assert_eq!(q.len(), 60);
        assert_eq!(q.get(0), Some(&b"rec 40"[..]));
        assert_eq!(q.get(59), Some(&b"rec 99"[..]));
        assert_eq!(q.counters().corrupt_records, 0);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn full_queue_drops_and_counts_new_records() {
        let d = dir("full");
        let mut q = open(&d, 64 * 1024);
        let rec = vec![7u8; 1000];
        let mut ok = 0;
        for _ in 0..100 {
            if q.push(&rec).is_ok() {
                ok += 1;
            }
        }
        assert_eq!(ok, 64 * 1024 / 1008);
        assert_eq!(q.counters().dropped_full, 100 - ok);
        // Delivery makes room again.
        q.ack(10);
        assert!(q.push(&rec).is_ok());
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn torn_tail_is_cut_counted_and_appending_goes_on() {
        let d = dir("torn");
        let mut q = open(&d, 1 << 20);
        for i in 0..10u32 {
            assert!(q.push(format!("rec {i}").as_bytes()).is_ok());
        }
        drop(q);
        let seg = d.join(seg_name(1));
        let mut data = fs::read(&seg).unwrap_or_default();
        // Tear the last record and flip a byte in the 9th's payload.
        data.truncate(data.len() - 3);
        let ninth = 8 * (8 + 5) + 8;
        data[ninth] ^= 0xFF;
        assert!(fs::write(&seg, &data).is_ok());
        let mut q = open(&d, 1 << 20);
        assert_eq!(q.len(), 8);
        assert_eq!(q.counters().corrupt_records, 1);
        assert!(q.push(b"after").is_ok());
        drop(q);
        let q = open(&d, 1 << 20);
        assert_eq!(q.len(), 9);
        assert_eq!(q.get(8), Some(&b"after"[..]));
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn segments_rotate_and_delivered_ones_are_removed() {
        let d = dir("rotate");
        let mut q = open(&d, 64 * 1024 * 8);
        let rec = vec![1u8; 10_000];
        for _ in 0..30 {
            assert!(q.push(&rec).is_ok());
        }
        let count = || fs::read_dir(&d).map(|r| r.count()).unwrap_or(0);
        assert!(count() >= 4, "{} files", count());
        q.ack(30);
        assert!(q.sync_ack().is_ok());
        // The segment being written and the ack file remain.
        assert_eq!(count(), 2);
        drop(q);
        assert!(open(&d, 64 * 1024 * 8).is_empty());
        let _ = fs::remove_dir_all(&d);
    }
}
