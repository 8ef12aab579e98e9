//! Compares the outputs of two logs (a live log and its replay, a run before and after a
//! threshold change): V2X messages per type, hazards started and ended, track positions.

use crate::record::read::{Entry, Log};
use crate::record::{Topic, TracksRecord};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy)]
pub struct DiffOptions {
    /// Track positions further apart than this differ.
    pub position_threshold_m: f64,
}

impl Default for DiffOptions {
    fn default() -> Self {
        Self {
            position_threshold_m: 0.01,
        }
    }
}

/// One message type in both logs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TopicDiff {
    pub count_a: u64,
    pub count_b: u64,
    /// The first message that differs (bytes or time), or that only one log has.
    pub first_difference: Option<FirstDifference>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FirstDifference {
    /// Index among the messages of its type.
    pub index: u64,
    pub time_a: Option<String>,
    pub time_b: Option<String>,
}

/// A hazard as a diff sees it: what and about whom.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct HazardKey {
    pub kind: String,
    pub road_users: Vec<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HazardDiff {
    pub started_a: u64,
    pub started_b: u64,
    pub ended_a: u64,
    pub ended_b: u64,
    /// Started (or ended) more often in one log than in the other: (hazard, times in A,
    /// times in B).
    pub started_differ: Vec<(HazardKey, u64, u64)>,
    pub ended_differ: Vec<(HazardKey, u64, u64)>,
    /// The first hazard event (any phase) that differs, in order.
    pub first_difference: Option<FirstDifference>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrackDiff {
    pub snapshots_a: u64,
    pub snapshots_b: u64,
    /// Snapshot times only one log has.
    pub unpaired_snapshots: u64,
    /// Track IDs in a paired snapshot of one log and not the other.
    pub unpaired_tracks: u64,
    /// Same track, same time, further apart than the threshold.
    pub positions_over_threshold: u64,
    pub max_position_difference_m: f64,
    /// The first such track: (time, track ID, metres).
    pub first_over_threshold: Option<(String, u32, f64)>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DiffReport {
    pub equal: bool,
    pub position_threshold_m: f64,
    pub messages: BTreeMap<String, TopicDiff>,
    pub hazards: HazardDiff,
    pub tracks: TrackDiff,
    /// Snapshots that could not be read.
    pub unreadable: u64,
}

/// Compares the outputs of `a` and `b`.
pub fn diff(a: &Log, b: &Log, opts: &DiffOptions) -> DiffReport {
    let mut r = DiffReport {
        position_threshold_m: opts.position_threshold_m,
        ..Default::default()
    };
    let (ta, tb) = (by_topic(a), by_topic(b));
    let empty = Vec::new();
    for kind in crate::pipeline::MessageKind::ALL {
        let t = Topic::V2x(kind);
        let (ea, eb) = (ta.get(&t).unwrap_or(&empty), tb.get(&t).unwrap_or(&empty));
        if ea.is_empty() && eb.is_empty() {
            continue;
        }
        let same = |x: &&Entry, y: &&Entry| x.data == y.data && x.publish == y.publish;
        r.messages.insert(
            kind.name().to_string(),
            TopicDiff {
                count_a: ea.len() as u64,
                count_b: eb.len() as u64,
                first_difference: first_difference(ea, eb, same),
            },
        );
    }
    let (ha, hb) = (
        ta.get(&Topic::Hazards).unwrap_or(&empty),
        tb.get(&Topic::Hazards).unwrap_or(&empty),
    );
    r.hazards = hazards(ha, hb, &mut r.unreadable);
    let (sa, sb) = (
        ta.get(&Topic::Tracks).unwrap_or(&empty),
        tb.get(&Topic::Tracks).unwrap_or(&empty),
    );
    r.tracks = tracks(sa, sb, opts.position_threshold_m, &mut r.unreadable);
    r.equal = r
        .messages
        .values()
        .all(|m| m.first_difference.is_none() && m.count_a == m.count_b)
        && r.hazards.first_difference.is_none()
        && r.tracks.unpaired_snapshots == 0
        && r.tracks.unpaired_tracks == 0
        && r.tracks.positions_over_threshold == 0
        && r.unreadable == 0;
    r
}

fn by_topic(log: &Log) -> BTreeMap<Topic, Vec<&Entry>> {
    let mut m: BTreeMap<Topic, Vec<&Entry>> = BTreeMap::new();
    for e in &log.entries {
        if !e.topic.is_input() {
            m.entry(e.topic).or_default().push(e);
        }
    }
    m
}

fn first_difference(
    a: &[&Entry],
    b: &[&Entry],
    same: impl Fn(&&Entry, &&Entry) -> bool,
) -> Option<FirstDifference> {
    let t = |e: Option<&&Entry>| e.map(|e| e.time.to_string());
    let n = a.len().max(b.len());
    (0..n)
        .find(|&i| match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) => !same(x, y),
            _ => true,
        })
        .map(|i| FirstDifference {
            index: i as u64,
            time_a: t(a.get(i)),
            time_b: t(b.get(i)),
        })
}

fn hazards(a: &[&Entry], b: &[&Entry], unreadable: &mut u64) -> HazardDiff {
    let mut d = HazardDiff {
        first_difference: first_difference(a, b, |x, y| x.data == y.data),
        ..Default::default()
    };
    let mut started: BTreeMap<HazardKey, (u64, u64)> = BTreeMap::new();
    let mut ended: BTreeMap<HazardKey, (u64, u64)> = BTreeMap::new();
    for (side, entries) in [(0, a), (1, b)] {
        for e in entries {
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&e.data) else {
                *unreadable += 1;
                continue;
            };
            let key = HazardKey {
                kind: v["kind"].as_str().unwrap_or("").to_string(),
                road_users: v["road_users"]
                    .as_array()
                    .map(|u| u.iter().filter_map(|x| x.as_u64()).collect())
                    .unwrap_or_default(),
            };
            let (map, count) = match v["phase"].as_str() {
                Some("start") => (&mut started, [&mut d.started_a, &mut d.started_b]),
                Some("end") => (&mut ended, [&mut d.ended_a, &mut d.ended_b]),
                _ => continue,
            };
            let [ca, cb] = count;
            let slot = map.entry(key).or_default();
            if side == 0 {
                slot.0 += 1;
                *ca += 1;
            } else {
                slot.1 += 1;
                *cb += 1;
            }
        }
    }
    let differ = |m: BTreeMap<HazardKey, (u64, u64)>| {
        m.into_iter()
            .filter(|(_, (x, y))| x != y)
            .map(|(k, (x, y))| (k, x, y))
            .collect()
    };
    d.started_differ = differ(started);
    d.ended_differ = differ(ended);
    d
}

fn tracks(a: &[&Entry], b: &[&Entry], threshold_m: f64, unreadable: &mut u64) -> TrackDiff {
    let mut d = TrackDiff {
        snapshots_a: a.len() as u64,
        snapshots_b: b.len() as u64,
        ..Default::default()
    };
    let mut parse = |entries: &[&Entry]| {
        let mut m: BTreeMap<Timestamp, TracksRecord> = BTreeMap::new();
        for e in entries {
            match serde_json::from_slice::<TracksRecord>(&e.data) {
                Ok(r) => {
                    m.insert(e.publish, r);
                }
                Err(_) => *unreadable += 1,
            }
        }
        m
    };
    let (ma, mb) = (parse(a), parse(b));
    for (t, ra) in &ma {
        let Some(rb) = mb.get(t) else {
            d.unpaired_snapshots += 1;
            continue;
        };
        for oa in &ra.objects {
            let Some(ob) = rb.objects.iter().find(|o| o.id == oa.id) else {
                d.unpaired_tracks += 1;
                continue;
            };
            let dist = (oa.east_m - ob.east_m).hypot(oa.north_m - ob.north_m);
            d.max_position_difference_m = d.max_position_difference_m.max(dist);
            if dist > threshold_m || !dist.is_finite() {
                d.positions_over_threshold += 1;
                if d.first_over_threshold.is_none() {
                    d.first_over_threshold = Some((t.to_string(), oa.id, dist));
                }
            }
        }
        d.unpaired_tracks += rb
            .objects
            .iter()
            .filter(|ob| !ra.objects.iter().any(|oa| oa.id == ob.id))
            .count() as u64;
    }
    d.unpaired_snapshots += mb.keys().filter(|t| !ma.contains_key(t)).count() as u64;
    d
}

impl fmt::Display for DiffReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}",
            if self.equal {
                "the outputs are the same"
            } else {
                "the outputs differ"
            }
        )?;
        for (kind, m) in &self.messages {
            write!(f, "{kind:<5} {} vs {}", m.count_a, m.count_b)?;
            match &m.first_difference {
                None => writeln!(f, ", identical")?,
                Some(x) => writeln!(
                    f,
                    ", first difference at #{} ({} vs {})",
                    x.index,
                    x.time_a.as_deref().unwrap_or("-"),
                    x.time_b.as_deref().unwrap_or("-")
                )?,
            }
        }
        let h = &self.hazards;
        writeln!(
            f,
            "hazards started {} vs {}, ended {} vs {}",
            h.started_a, h.started_b, h.ended_a, h.ended_b
        )?;
        if let Some(x) = &h.first_difference {
            writeln!(
                f,
                "  first differing hazard event #{} ({} vs {})",
                x.index,
                x.time_a.as_deref().unwrap_or("-"),
                x.time_b.as_deref().unwrap_or("-")
            )?;
        }
        for (what, list) in [("started", &h.started_differ), ("ended", &h.ended_differ)] {
            for (k, x, y) in list {
                writeln!(
                    f,
                    "  {what} {} {:?}: {x} vs {y} times",
                    k.kind, k.road_users
                )?;
            }
        }
        let t = &self.tracks;
        writeln!(
            f,
            "tracks  {} vs {} snapshots ({} unpaired), {} tracks in one only, {} positions over {} m (largest {:.3} m)",
            t.snapshots_a,
            t.snapshots_b,
            t.unpaired_snapshots,
            t.unpaired_tracks,
            t.positions_over_threshold,
            self.position_threshold_m,
            t.max_position_difference_m
        )?;
        if let Some((time, id, m)) = &t.first_over_threshold {
            writeln!(f, "  first: track {id} at {time}, {m:.3} m apart")?;
        }
        if self.unreadable > 0 {
            writeln!(f, "{} output records could not be read", self.unreadable)?;
        }
        Ok(())
    }
}
