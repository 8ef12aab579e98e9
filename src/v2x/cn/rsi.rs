//! Road Side Information: traffic events (RTE, GB/T 29100 event codes) and traffic signs
//! (RTS, GB 5768.2 sign codes), each with where and when it applies.

use super::common::{fixed_bits, mask_of_fixed, msg_count, NodeRef};
use super::spat::{count_check, ia5};
use super::units as u;
use crate::geo::GeoPoint;
use crate::v2x::BuildError;
use roadsight_asn1::cn;
use roadsight_asn1::rasn::prelude::{FixedOctetString, OctetString};
use serde::{Deserialize, Serialize};

/// `EventSource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    Unknown,
    Police,
    Government,
    Meteorological,
    Internet,
    Detection,
}

impl EventSource {
    fn to_cn(self) -> cn::EventSource {
        use cn::EventSource as E;
        match self {
            Self::Unknown => E::unknown,
            Self::Police => E::police,
            Self::Government => E::government,
            Self::Meteorological => E::meteorological,
            Self::Internet => E::internet,
            Self::Detection => E::detection,
        }
    }

    fn from_cn(e: cn::EventSource) -> Self {
        use cn::EventSource as E;
        match e {
            E::police => Self::Police,
            E::government => Self::Government,
            E::meteorological => Self::Meteorological,
            E::internet => Self::Internet,
            E::detection => Self::Detection,
            _ => Self::Unknown,
        }
    }
}

/// `Description`: ASCII text or GB2312-encoded bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Description {
    Text(String),
    Gb2312(Vec<u8>),
}

impl Description {
    fn to_cn(&self) -> Result<cn::Description, BuildError> {
        Ok(match self {
            Self::Text(s) => cn::Description::textString(ia5("RSI description", s, 1, 512)?),
            Self::Gb2312(b) => {
                count_check("RSI GB2312 description bytes", b.len(), 2, 512)?;
                cn::Description::textGB2312(OctetString::from_slice(b))
            }
        })
    }

    fn from_cn(d: &cn::Description) -> Self {
        match d {
            cn::Description::textString(s) => Self::Text(s.to_string()),
            cn::Description::textGB2312(b) => Self::Gb2312(b.to_vec()),
        }
    }
}

/// When an event or sign applies, in minutes of the UTC year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ActiveTime {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_minute_of_year: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_minute_of_year: Option<u32>,
    /// `TimeConfidence` code of the end time (0 unavailable … 39).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_confidence_code: Option<u8>,
}

impl ActiveTime {
    fn to_cn(self) -> cn::RSITimeDetails {
        cn::RSITimeDetails::new(
            self.start_minute_of_year
                .map(|m| cn::MinuteOfTheYear(m.min(527_040))),
            self.end_minute_of_year
                .map(|m| cn::MinuteOfTheYear(m.min(527_040))),
            self.end_confidence_code.map(time_confidence),
        )
    }

    fn from_cn(t: &cn::RSITimeDetails) -> Self {
        Self {
            start_minute_of_year: t.start_time.as_ref().map(|m| m.0),
            end_minute_of_year: t.end_time.as_ref().map(|m| m.0),
            end_confidence_code: t.end_time_confidence.map(|c| c as u8),
        }
    }
}

/// `TimeConfidence` by code; codes beyond 39 are "unavailable".
fn time_confidence(code: u8) -> cn::TimeConfidence {
    use cn::TimeConfidence as T;
    const ALL: [T; 40] = [
        T::unavailable,
        T::time_100_000,
        T::time_050_000,
        T::time_020_000,
        T::time_010_000,
        T::time_002_000,
        T::time_001_000,
        T::time_000_500,
        T::time_000_200,
        T::time_000_100,
        T::time_000_050,
        T::time_000_020,
        T::time_000_010,
        T::time_000_005,
        T::time_000_002,
        T::time_000_001,
        T::time_000_000_5,
        T::time_000_000_2,
        T::time_000_000_1,
        T::time_000_000_05,
        T::time_000_000_02,
        T::time_000_000_01,
        T::time_000_000_005,
        T::time_000_000_002,
        T::time_000_000_001,
        T::time_000_000_000_5,
        T::time_000_000_000_2,
        T::time_000_000_000_1,
        T::time_000_000_000_05,
        T::time_000_000_000_02,
        T::time_000_000_000_01,
        T::time_000_000_000_005,
        T::time_000_000_000_002,
        T::time_000_000_000_001,
        T::time_000_000_000_000_5,
        T::time_000_000_000_000_2,
        T::time_000_000_000_000_1,
        T::time_000_000_000_000_05,
        T::time_000_000_000_000_02,
        T::time_000_000_000_000_01,
    ];
    ALL.get(usize::from(code))
        .copied()
        .unwrap_or(T::unavailable)
}

/// A path along which an event or sign applies, and how far from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferencePath {
    pub points: Vec<GeoPoint>,
    pub radius_m: f64,
}

/// A link (and optionally some of its lanes) to which an event or sign applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceLink {
    pub upstream_node: NodeRef,
    pub downstream_node: NodeRef,
    /// `ReferenceLanes` bits (bit n is lane n).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lanes: Option<u16>,
}

/// Where, when and how urgently an RTE or RTS applies.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Scope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<GeoPoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Description>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<ActiveTime>,
    /// 0 (lowest) … 7 (highest): the top three bits of `RSIPriority`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<ReferencePath>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<ReferenceLink>,
}

/// A road traffic event (RTE).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoadEvent {
    pub id: u8,
    /// GB/T 29100-2012 event code.
    pub event_type: u16,
    pub source: EventSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub radius_m: Option<f64>,
    /// Probability, 0..=1, that the event is real.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    #[serde(flatten)]
    pub scope: Scope,
}

/// A road traffic sign (RTS).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoadSign {
    pub id: u8,
    /// GB 5768.2 sign code.
    pub sign_type: u16,
    #[serde(flatten)]
    pub scope: Scope,
}

/// A Road Side Information message in SI units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rsi {
    pub msg_cnt: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minute_of_year: Option<u32>,
    pub rsu_id: [u8; 8],
    pub ref_pos: GeoPoint,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<RoadEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signs: Vec<RoadSign>,
}

type ScopeCn = (
    Option<cn::PositionOffsetLLV>,
    Option<cn::Description>,
    Option<cn::RSITimeDetails>,
    Option<cn::RSIPriority>,
    Option<cn::ReferencePathList>,
    Option<cn::ReferenceLinkList>,
);

impl Scope {
    fn to_cn(&self, reference: &GeoPoint) -> Result<ScopeCn, BuildError> {
        let paths = if self.paths.is_empty() {
            None
        } else {
            count_check("RSI reference paths", self.paths.len(), 1, 8)?;
            let mut v = Vec::with_capacity(self.paths.len());
            for p in &self.paths {
                count_check("RSI path points", p.points.len(), 2, 32)?;
                v.push(cn::ReferencePath::new(
                    cn::PathPointList(
                        p.points
                            .iter()
                            .map(|q| u::offset_llv(reference, q))
                            .collect(),
                    ),
                    cn::Radius(u::radius_to_cn(p.radius_m)),
                ));
            }
            Some(cn::ReferencePathList(v))
        };
        let links = if self.links.is_empty() {
            None
        } else {
            count_check("RSI reference links", self.links.len(), 1, 16)?;
            Some(cn::ReferenceLinkList(
                self.links
                    .iter()
                    .map(|l| {
                        cn::ReferenceLink::new(
                            l.upstream_node.to_cn(),
                            l.downstream_node.to_cn(),
                            l.lanes
                                .map(|m| cn::ReferenceLanes(fixed_bits::<16>(u32::from(m)))),
                        )
                    })
                    .collect(),
            ))
        };
        Ok((
            self.position.map(|p| u::offset_llv(reference, &p)),
            self.description
                .as_ref()
                .map(Description::to_cn)
                .transpose()?,
            self.time.map(ActiveTime::to_cn),
            self.priority
                .map(|p| cn::RSIPriority(FixedOctetString::from([p.min(7) << 5]))),
            paths,
            links,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn from_cn(
        reference: &GeoPoint,
        pos: &Option<cn::PositionOffsetLLV>,
        description: &Option<cn::Description>,
        time: &Option<cn::RSITimeDetails>,
        priority: &Option<cn::RSIPriority>,
        paths: &Option<cn::ReferencePathList>,
        links: &Option<cn::ReferenceLinkList>,
    ) -> Self {
        Self {
            position: pos.as_ref().map(|p| u::geo_from_offset_llv(reference, p)),
            description: description.as_ref().map(Description::from_cn),
            time: time.as_ref().map(ActiveTime::from_cn),
            priority: priority.as_ref().map(|p| p.0[0] >> 5),
            paths: paths.as_ref().map_or_else(Vec::new, |l| {
                l.0.iter()
                    .map(|p| ReferencePath {
                        points: p
                            .active_path
                            .0
                            .iter()
                            .map(|q| u::geo_from_offset_llv(reference, q))
                            .collect(),
                        radius_m: f64::from(p.path_radius.0) * 0.1,
                    })
                    .collect()
            }),
            links: links.as_ref().map_or_else(Vec::new, |l| {
                l.0.iter()
                    .map(|l| ReferenceLink {
                        upstream_node: NodeRef::from_cn(&l.upstream_node_id),
                        downstream_node: NodeRef::from_cn(&l.downstream_node_id),
                        lanes: l
                            .reference_lanes
                            .as_ref()
                            .map(|b| mask_of_fixed(&b.0) as u16),
                    })
                    .collect()
            }),
        }
    }
}

impl Rsi {
    pub fn to_cn(&self) -> Result<cn::RoadSideInformation, BuildError> {
        let r = &self.ref_pos;
        let rtes = if self.events.is_empty() {
            None
        } else {
            count_check("RSI events", self.events.len(), 1, 8)?;
            let mut v = Vec::with_capacity(self.events.len());
            for e in &self.events {
                let (pos, desc, time, prio, paths, links) = e.scope.to_cn(r)?;
                v.push(cn::RTEData::new(
                    e.id,
                    cn::EventType(e.event_type),
                    e.source.to_cn(),
                    pos,
                    e.radius_m.map(|m| cn::Radius(u::radius_to_cn(m))),
                    desc,
                    time,
                    prio,
                    paths,
                    links,
                    e.confidence
                        .filter(|c| c.is_finite())
                        .map(|c| cn::Confidence((c.clamp(0.0, 1.0) * 200.0).round() as u8)),
                ));
            }
            Some(cn::RTEList(v))
        };
        let rtss = if self.signs.is_empty() {
            None
        } else {
            count_check("RSI signs", self.signs.len(), 1, 16)?;
            let mut v = Vec::with_capacity(self.signs.len());
            for s in &self.signs {
                let (pos, desc, time, prio, paths, links) = s.scope.to_cn(r)?;
                v.push(cn::RTSData::new(
                    s.id,
                    cn::SignType(s.sign_type),
                    pos,
                    desc,
                    time,
                    prio,
                    paths,
                    links,
                ));
            }
            Some(cn::RTSList(v))
        };
        Ok(cn::RoadSideInformation::new(
            msg_count(self.msg_cnt),
            self.minute_of_year
                .map(|m| cn::MinuteOfTheYear(m.min(527_040))),
            OctetString::from_slice(&self.rsu_id),
            u::position3d(r),
            rtes,
            rtss,
        ))
    }

    pub fn from_cn(m: &cn::RoadSideInformation) -> Self {
        let r = u::geo_from_position3d(&m.ref_pos);
        Self {
            msg_cnt: u32::from(m.msg_cnt.0),
            minute_of_year: m.moy.as_ref().map(|t| t.0),
            rsu_id: <[u8; 8]>::try_from(m.id.as_ref()).unwrap_or_default(),
            ref_pos: r,
            events: m.rtes.as_ref().map_or_else(Vec::new, |l| {
                l.0.iter()
                    .map(|e| RoadEvent {
                        id: e.rte_id,
                        event_type: e.event_type.0,
                        source: EventSource::from_cn(e.event_source),
                        radius_m: e.event_radius.as_ref().map(|x| f64::from(x.0) * 0.1),
                        confidence: e.event_confidence.as_ref().map(|c| f64::from(c.0) / 200.0),
                        scope: Scope::from_cn(
                            &r,
                            &e.event_pos,
                            &e.description,
                            &e.time_details,
                            &e.priority,
                            &e.reference_paths,
                            &e.reference_links,
                        ),
                    })
                    .collect()
            }),
            signs: m.rtss.as_ref().map_or_else(Vec::new, |l| {
                l.0.iter()
                    .map(|s| RoadSign {
                        id: s.rts_id,
                        sign_type: s.sign_type.0,
                        scope: Scope::from_cn(
                            &r,
                            &s.sign_pos,
                            &s.description,
                            &s.time_details,
                            &s.priority,
                            &s.reference_paths,
                            &s.reference_links,
                        ),
                    })
                    .collect()
            }),
        }
    }
}
