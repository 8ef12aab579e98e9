//! Events the traffic-control centre asks the site to broadcast (road works, an accident up
//! the road, fog), each for a time window and an area. The pipeline keeps them in an
//! [`ExternalEvents`] set and the RSI composer sends those whose window is open beside the
//! detected hazards.
//!
//! Sans-IO: every call takes the time.

use crate::geo::{GeoPoint, SiteFrame};
use crate::time::Timestamp;
use crate::v2x::cn::rsi::{ActiveTime, Description, EventSource, ReferencePath, RoadEvent, Scope};
use serde::Serialize;
use std::collections::BTreeMap;

/// RSI carries at most 8 road traffic events; the TCC may hold as many at once.
pub const MAX_EVENTS: usize = 8;

/// Where a TCC event applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Circle {
        centre: GeoPoint,
        radius_m: f64,
    },
    /// WGS84 vertices, not closed (the last is joined to the first).
    Polygon(Vec<GeoPoint>),
}

impl Area {
    /// The centre (a polygon's vertex mean) and the radius that covers the whole area.
    pub fn circle(&self, frame: &SiteFrame) -> (GeoPoint, f64) {
        match self {
            Self::Circle { centre, radius_m } => (*centre, *radius_m),
            Self::Polygon(v) => {
                let n = v.len().max(1) as f64;
                let lat = v.iter().map(|p| p.lat_deg).sum::<f64>() / n;
                let lon = v.iter().map(|p| p.lon_deg).sum::<f64>() / n;
                let c = GeoPoint::new(lat, lon, None);
                let ce = frame.to_enu(c);
                let r = v
                    .iter()
                    .map(|p| {
                        let e = frame.to_enu(*p);
                        (e.east_m - ce.east_m).hypot(e.north_m - ce.north_m)
                    })
                    .fold(0.0, f64::max);
                (c, r)
            }
        }
    }
}

/// One TCC event, checked (see [`super::command::parse`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExternalEvent {
    /// The TCC's id, used to replace or withdraw it.
    pub id: String,
    /// One of [`super::command::EVENT_KINDS`].
    pub kind: String,
    /// GB/T 29100 event code sent in RSI.
    pub event_type: u16,
    pub source: EventSource,
    #[serde(serialize_with = "crate::tcc::feed::ser_time")]
    pub start: Timestamp,
    #[serde(serialize_with = "crate::tcc::feed::ser_time")]
    pub end: Timestamp,
    pub area: Area,
    /// 0 (lowest) … 7 (highest).
    pub priority: u8,
    pub description: Option<String>,
}

/// Why a publish or withdraw could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExternalError {
    #[error("no TCC event with id {0:?} is in force")]
    Unknown(String),
    #[error("{MAX_EVENTS} TCC events are in force already (the RSI limit); withdraw one first")]
    Full,
}

/// The TCC events in force or waiting for their window, by id.
#[derive(Debug, Clone, Default)]
pub struct ExternalEvents {
    events: BTreeMap<String, (u8, ExternalEvent)>,
}

impl ExternalEvents {
    /// Adds an event, or replaces the one with its id (keeping its RSI id).
    pub fn publish(&mut self, ev: ExternalEvent) -> Result<(), ExternalError> {
        if let Some((_, old)) = self.events.get_mut(&ev.id) {
            *old = ev;
            return Ok(());
        }
        if self.events.len() >= MAX_EVENTS {
            return Err(ExternalError::Full);
        }
        // RSI ids from 255 down; hazards count up from their own ids.
        let rte_id = (0..=255u8)
            .rev()
            .find(|i| !self.events.values().any(|(r, _)| r == i))
            .unwrap_or(255);
        self.events.insert(ev.id.clone(), (rte_id, ev));
        Ok(())
    }

    pub fn withdraw(&mut self, id: &str) -> Result<ExternalEvent, ExternalError> {
        self.events
            .remove(id)
            .map(|(_, e)| e)
            .ok_or_else(|| ExternalError::Unknown(id.to_string()))
    }

    /// Forgets the events whose window has closed by `now`, returning them.
    pub fn expire(&mut self, now: Timestamp) -> Vec<ExternalEvent> {
        let ended: Vec<String> = self
            .events
            .iter()
            .filter(|(_, (_, e))| e.end <= now)
            .map(|(k, _)| k.clone())
            .collect();
        ended
            .into_iter()
            .filter_map(|k| self.events.remove(&k).map(|(_, e)| e))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The events whose window is open at `now` as RSI road traffic events.
    pub fn road_events(&self, frame: &SiteFrame, now: Timestamp) -> Vec<RoadEvent> {
        let height = frame.anchor().height_m;
        self.events
            .values()
            .filter(|(_, e)| e.start <= now && now < e.end)
            .map(|(rte_id, e)| {
                let (centre, radius_m) = e.area.circle(frame);
                let paths = match &e.area {
                    Area::Circle { .. } => Vec::new(),
                    // The outline, closed, for receivers that draw the area itself.
                    Area::Polygon(v) => vec![ReferencePath {
                        points: v
                            .iter()
                            .chain(v.first())
                            .map(|p| GeoPoint::new(p.lat_deg, p.lon_deg, height))
                            .collect(),
                        radius_m: 0.0,
                    }],
                };
                RoadEvent {
                    id: *rte_id,
                    event_type: e.event_type,
                    source: e.source,
                    radius_m: Some(radius_m),
                    confidence: None,
                    scope: Scope {
                        position: Some(GeoPoint::new(centre.lat_deg, centre.lon_deg, height)),
                        description: e.description.clone().map(Description::Text),
                        time: Some(ActiveTime {
                            start_minute_of_year: Some(e.start.minute_of_year()),
                            end_minute_of_year: Some(e.end.minute_of_year()),
                            end_confidence_code: None,
                        }),
                        priority: Some(e.priority.min(7)),
                        paths,
                        links: Vec::new(),
                    },
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str, start_s: f64, end_s: f64) -> ExternalEvent {
        ExternalEvent {
            id: id.into(),
            kind: "road_works".into(),
            event_type: 401,
            source: EventSource::Government,
            start: Timestamp::from_micros(0).add_secs(start_s),
            end: Timestamp::from_micros(0).add_secs(end_s),
            area: Area::Circle {
                centre: GeoPoint::new(34.2, 108.9, None),
                radius_m: 30.0,
            },
            priority: 2,
            description: None,
        }
    }

    #[test]
    fn only_open_windows_are_sent_and_ids_stay() {
        let frame = SiteFrame::new(GeoPoint::new(34.2, 108.9, Some(0.0)));
        let mut set = ExternalEvents::default();
        assert_eq!(set.publish(ev("a", 0.0, 100.0)), Ok(()));
        assert_eq!(set.publish(ev("b", 50.0, 100.0)), Ok(()));
        let at = |s: f64| Timestamp::from_micros(0).add_secs(s);
        let early = set.road_events(&frame, at(10.0));
        assert_eq!(early.len(), 1);
        assert_eq!(early[0].id, 255);
        let both = set.road_events(&frame, at(60.0));
        assert_eq!(both.iter().map(|e| e.id).collect::<Vec<_>>(), [255, 254]);
        assert!(set.withdraw("a").is_ok());
        assert_eq!(set.withdraw("a"), Err(ExternalError::Unknown("a".into())));
        assert_eq!(set.expire(at(100.0)).len(), 1);
        assert!(set.is_empty());
    }

    #[test]
    fn at_most_eight() {
        let mut set = ExternalEvents::default();
        for i in 0..MAX_EVENTS {
            assert_eq!(set.publish(ev(&format!("e{i}"), 0.0, 1.0)), Ok(()));
        }
        assert_eq!(
            set.publish(ev("one-more", 0.0, 1.0)),
            Err(ExternalError::Full)
        );
        // Replacing one in force is not adding one.
        assert_eq!(set.publish(ev("e3", 0.0, 2.0)), Ok(()));
    }
}
