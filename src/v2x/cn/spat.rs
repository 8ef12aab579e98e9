//! Signal Phase and Timing: the state of each signal phase and when it will change.
//!
//! The CN set gives phase timing either as a countdown from the message time (`counting`)
//! or as tenths of a second within the UTC hour (`utcTiming`, `TimeMark`). The SI view keeps
//! that choice; [`PhaseTiming::countdown_at`] and [`PhaseTiming::utc_at`] build either form
//! from absolute times, handling the roll-over into the next hour.

use super::common::{fixed_bits, mask_of_fixed, msg_count, NodeRef};
use super::units as u;
use crate::time::Timestamp;
use crate::v2x::BuildError;
use roadsight_asn1::cn;
use roadsight_asn1::rasn::prelude::Ia5String;
use serde::{Deserialize, Serialize};

/// `LightState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    Unavailable,
    Dark,
    FlashingRed,
    Red,
    FlashingGreen,
    PermissiveGreen,
    ProtectedGreen,
    Yellow,
    FlashingYellow,
}

impl Light {
    pub fn to_cn(self) -> cn::LightState {
        use cn::LightState as L;
        match self {
            Self::Unavailable => L::unavailable,
            Self::Dark => L::dark,
            Self::FlashingRed => L::flashing_red,
            Self::Red => L::red,
            Self::FlashingGreen => L::flashing_green,
            Self::PermissiveGreen => L::permissive_green,
            Self::ProtectedGreen => L::protected_green,
            Self::Yellow => L::yellow,
            Self::FlashingYellow => L::flashing_yellow,
        }
    }

    pub fn from_cn(l: cn::LightState) -> Self {
        use cn::LightState as L;
        match l {
            L::dark => Self::Dark,
            L::flashing_red => Self::FlashingRed,
            L::red => Self::Red,
            L::flashing_green => Self::FlashingGreen,
            L::permissive_green => Self::PermissiveGreen,
            L::protected_green => Self::ProtectedGreen,
            L::yellow => Self::Yellow,
            L::flashing_yellow => Self::FlashingYellow,
            _ => Self::Unavailable,
        }
    }
}

/// When a phase state started and will end. Times are seconds: from the message time for
/// `Countdown`, of the UTC hour for `Utc` (a time in the next hour is below the current
/// second of the hour; 3600 means "more than an hour").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PhaseTiming {
    Countdown {
        start_s: Option<f64>,
        min_end_s: Option<f64>,
        max_end_s: Option<f64>,
        likely_end_s: Option<f64>,
        /// Probability, 0..=1, that `likely_end_s` holds.
        confidence: Option<f64>,
        next_start_s: Option<f64>,
        next_duration_s: Option<f64>,
    },
    Utc {
        start_s: Option<f64>,
        min_end_s: Option<f64>,
        max_end_s: Option<f64>,
        likely_end_s: Option<f64>,
        confidence: Option<f64>,
        next_start_s: Option<f64>,
        next_end_s: Option<f64>,
    },
}

/// Seconds of the UTC hour of `t` as `TimeMark` counts them: `None` when unknown, 3600 when
/// more than an hour after `now` (the element only reaches into the next hour).
fn utc_mark(now: Timestamp, t: Option<Timestamp>) -> Option<f64> {
    let t = t?;
    if t.secs_since(now) >= 3600.0 {
        return Some(3600.0);
    }
    Some(f64::from(t.tenths_of_hour()) / 10.0)
}

fn confidence_to_cn(p: Option<f64>) -> Option<cn::Confidence> {
    // `Confidence ::= INTEGER (0..200)`, in steps of 0.5 %.
    p.filter(|p| p.is_finite())
        .map(|p| cn::Confidence((p.clamp(0.0, 1.0) * 200.0).round() as u8))
}

fn mark(s: Option<f64>) -> cn::TimeMark {
    cn::TimeMark(u::time_mark_to_cn(s))
}

fn opt_mark(s: Option<f64>) -> Option<cn::TimeMark> {
    s.map(|s| mark(Some(s)))
}

impl PhaseTiming {
    /// Countdown form, relative to `now`. Times already past count as 0.
    #[allow(clippy::too_many_arguments)]
    pub fn countdown_at(
        now: Timestamp,
        start: Option<Timestamp>,
        min_end: Option<Timestamp>,
        max_end: Option<Timestamp>,
        likely_end: Option<Timestamp>,
        confidence: Option<f64>,
        next_start: Option<Timestamp>,
        next_duration_s: Option<f64>,
    ) -> Self {
        let rel = |t: Option<Timestamp>| t.map(|t| t.secs_since(now).max(0.0));
        Self::Countdown {
            start_s: rel(start),
            min_end_s: rel(min_end),
            max_end_s: rel(max_end),
            likely_end_s: rel(likely_end),
            confidence,
            next_start_s: rel(next_start),
            next_duration_s,
        }
    }

    /// UTC form (`TimeMark`s), valid at `now`.
    #[allow(clippy::too_many_arguments)]
    pub fn utc_at(
        now: Timestamp,
        start: Option<Timestamp>,
        min_end: Option<Timestamp>,
        max_end: Option<Timestamp>,
        likely_end: Option<Timestamp>,
        confidence: Option<f64>,
        next_start: Option<Timestamp>,
        next_end: Option<Timestamp>,
    ) -> Self {
        Self::Utc {
            start_s: utc_mark(now, start),
            min_end_s: utc_mark(now, min_end),
            max_end_s: utc_mark(now, max_end),
            likely_end_s: utc_mark(now, likely_end),
            confidence,
            next_start_s: utc_mark(now, next_start),
            next_end_s: utc_mark(now, next_end),
        }
    }

    /// The absolute time of a `TimeMark` second-of-hour seen at `now`: the nearest such
    /// instant, so that a mark just past the hour boundary lands in the next hour.
    pub fn resolve_utc(now: Timestamp, second_of_hour: f64) -> Timestamp {
        let hour = now.hour_start();
        let candidates = [-3600.0, 0.0, 3600.0].map(|h| hour.add_secs(h + second_of_hour));
        candidates
            .into_iter()
            .min_by_key(|t| (t.micros() - now.micros()).abs())
            .unwrap_or(hour)
    }

    pub fn to_cn(&self) -> cn::TimeChangeDetails {
        match *self {
            Self::Countdown {
                start_s,
                min_end_s,
                max_end_s,
                likely_end_s,
                confidence,
                next_start_s,
                next_duration_s,
            } => cn::TimeChangeDetails::counting(cn::TimeCountingDown::new(
                mark(start_s),
                opt_mark(min_end_s),
                opt_mark(max_end_s),
                mark(likely_end_s),
                confidence_to_cn(confidence),
                opt_mark(next_start_s),
                opt_mark(next_duration_s),
            )),
            Self::Utc {
                start_s,
                min_end_s,
                max_end_s,
                likely_end_s,
                confidence,
                next_start_s,
                next_end_s,
            } => cn::TimeChangeDetails::utcTiming(cn::UTCTiming::new(
                mark(start_s),
                opt_mark(min_end_s),
                opt_mark(max_end_s),
                mark(likely_end_s),
                confidence_to_cn(confidence),
                opt_mark(next_start_s),
                opt_mark(next_end_s),
            )),
        }
    }

    /// `None` for a timing form from a newer edition of the standard.
    pub fn from_cn(t: &cn::TimeChangeDetails) -> Option<Self> {
        let m = |m: &cn::TimeMark| u::time_mark_from_cn(m.0);
        let om = |o: &Option<cn::TimeMark>| o.as_ref().and_then(m);
        let conf = |c: &Option<cn::Confidence>| c.as_ref().map(|c| f64::from(c.0) / 200.0);
        match t {
            cn::TimeChangeDetails::counting(c) => Some(Self::Countdown {
                start_s: m(&c.start_time),
                min_end_s: om(&c.min_end_time),
                max_end_s: om(&c.max_end_time),
                likely_end_s: m(&c.likely_end_time),
                confidence: conf(&c.time_confidence),
                next_start_s: om(&c.next_start_time),
                next_duration_s: om(&c.next_duration),
            }),
            cn::TimeChangeDetails::utcTiming(c) => Some(Self::Utc {
                start_s: m(&c.start_utctime),
                min_end_s: om(&c.min_end_utctime),
                max_end_s: om(&c.max_end_utctime),
                likely_end_s: m(&c.likely_end_utctime),
                confidence: conf(&c.time_confidence),
                next_start_s: om(&c.next_start_utctime),
                next_end_s: om(&c.next_end_utctime),
            }),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
}

/// One state of a phase: its light and, optionally, its timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseStateSi {
    pub light: Light,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<PhaseTiming>,
}

/// A signal phase (signal group) and its current and coming states.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalPhase {
    pub id: u8,
    pub states: Vec<PhaseStateSi>,
}

/// `IntersectionStatusObject` bits.
pub mod status {
    pub const MANUAL_CONTROL: u16 = 1 << 0;
    pub const STOP_TIME_ACTIVATED: u16 = 1 << 1;
    pub const FAILURE_FLASH: u16 = 1 << 2;
    pub const PREEMPT: u16 = 1 << 3;
    pub const SIGNAL_PRIORITY: u16 = 1 << 4;
    pub const FIXED_TIME: u16 = 1 << 5;
    pub const TRAFFIC_DEPENDENT: u16 = 1 << 6;
    pub const STANDBY: u16 = 1 << 7;
    pub const FAILURE_MODE: u16 = 1 << 8;
    pub const OFF: u16 = 1 << 9;
    pub const RECENT_MAP_UPDATE: u16 = 1 << 10;
    pub const RECENT_LANE_ID_CHANGE: u16 = 1 << 11;
    pub const NO_VALID_MAP: u16 = 1 << 12;
    pub const NO_VALID_SPAT: u16 = 1 << 13;
}

/// The signal state of one intersection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntersectionSignal {
    pub id: NodeRef,
    /// [`status`] bits.
    pub status: u16,
    /// When this state was valid (sent as `moy` and `timeStamp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<CnTime>,
    pub phases: Vec<SignalPhase>,
}

/// A UTC time as the CN set sends it: minute of the year and millisecond of the minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CnTime {
    pub minute_of_year: u32,
    pub millis_of_minute: u16,
}

impl CnTime {
    pub fn at(t: Timestamp) -> Self {
        Self {
            minute_of_year: t.minute_of_year(),
            millis_of_minute: t.millis_of_minute(),
        }
    }
}

/// A SPAT message in SI units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spat {
    pub msg_cnt: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<CnTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub intersections: Vec<IntersectionSignal>,
}

pub(crate) fn count_check(
    what: &'static str,
    n: usize,
    min: usize,
    max: usize,
) -> Result<(), BuildError> {
    if (min..=max).contains(&n) {
        Ok(())
    } else {
        Err(BuildError::Count {
            what,
            min,
            max,
            got: n,
        })
    }
}

pub(crate) fn descriptive_name(
    what: &'static str,
    s: &str,
) -> Result<cn::DescriptiveName, BuildError> {
    ia5(what, s, 1, 63).map(cn::DescriptiveName)
}

pub(crate) fn ia5(
    what: &'static str,
    s: &str,
    min: usize,
    max: usize,
) -> Result<Ia5String, BuildError> {
    if !(min..=max).contains(&s.len()) {
        return Err(BuildError::Count {
            what,
            min,
            max,
            got: s.len(),
        });
    }
    Ia5String::try_from(s.to_string()).map_err(|_| BuildError::Text {
        what,
        text: s.to_string(),
    })
}

impl Spat {
    pub fn to_cn(&self) -> Result<cn::SPAT, BuildError> {
        count_check("SPAT intersections", self.intersections.len(), 1, 32)?;
        let mut intersections = Vec::with_capacity(self.intersections.len());
        for i in &self.intersections {
            count_check("SPAT phases", i.phases.len(), 1, 16)?;
            let mut phases = Vec::with_capacity(i.phases.len());
            for p in &i.phases {
                count_check("SPAT phase states", p.states.len(), 1, 16)?;
                phases.push(cn::Phase::new(
                    cn::PhaseID(p.id),
                    cn::PhaseStateList(
                        p.states
                            .iter()
                            .map(|s| {
                                cn::PhaseState::new(
                                    s.light.to_cn(),
                                    s.timing.as_ref().map(PhaseTiming::to_cn),
                                )
                            })
                            .collect(),
                    ),
                ));
            }
            intersections.push(cn::IntersectionState::new(
                i.id.to_cn(),
                cn::IntersectionStatusObject(fixed_bits::<16>(u32::from(i.status))),
                i.time
                    .map(|t| cn::MinuteOfTheYear(t.minute_of_year.min(527_040))),
                i.time.map(|t| cn::DSecond(t.millis_of_minute)),
                None,
                cn::PhaseList(phases),
            ));
        }
        Ok(cn::SPAT::new(
            msg_count(self.msg_cnt),
            self.time
                .map(|t| cn::MinuteOfTheYear(t.minute_of_year.min(527_040))),
            self.time.map(|t| cn::DSecond(t.millis_of_minute)),
            self.name
                .as_deref()
                .map(|n| descriptive_name("SPAT name", n))
                .transpose()?,
            cn::IntersectionStateList(intersections),
        ))
    }

    pub fn from_cn(m: &cn::SPAT) -> Self {
        let time = |moy: &Option<cn::MinuteOfTheYear>, ts: &Option<cn::DSecond>| match (moy, ts) {
            (None, None) => None,
            _ => Some(CnTime {
                minute_of_year: moy.as_ref().map_or(527_040, |m| m.0),
                millis_of_minute: ts.as_ref().map_or(0, |t| t.0),
            }),
        };
        Self {
            msg_cnt: u32::from(m.msg_cnt.0),
            time: time(&m.moy, &m.time_stamp),
            name: m.name.as_ref().map(|n| n.0.to_string()),
            intersections: m
                .intersections
                .0
                .iter()
                .map(|i| IntersectionSignal {
                    id: NodeRef::from_cn(&i.intersection_id),
                    status: mask_of_fixed(&i.status.0) as u16,
                    time: time(&i.moy, &i.time_stamp),
                    phases: i
                        .phases
                        .0
                        .iter()
                        .map(|p| SignalPhase {
                            id: p.id.0,
                            states: p
                                .phase_states
                                .0
                                .iter()
                                .map(|s| PhaseStateSi {
                                    light: Light::from_cn(s.light),
                                    timing: s.timing.as_ref().and_then(PhaseTiming::from_cn),
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_marks_roll_over_the_hour() {
        // 10:59:55 UTC; a phase ending at 11:00:07 is 7 s into the next hour.
        let now = Timestamp::from_micros((10 * 3600 + 59 * 60 + 55) * 1_000_000);
        let end = now.add_secs(12.0);
        let PhaseTiming::Utc {
            likely_end_s,
            start_s,
            ..
        } = PhaseTiming::utc_at(
            now,
            Some(now.add_secs(-20.0)),
            None,
            None,
            Some(end),
            None,
            None,
            None,
        )
        else {
            panic!("wrong form")
        };
        assert_eq!(likely_end_s, Some(7.0));
        assert_eq!(start_s, Some(3575.0));
        assert_eq!(PhaseTiming::resolve_utc(now, 7.0), end);
        assert_eq!(PhaseTiming::resolve_utc(now, 3575.0), now.add_secs(-20.0));
        // Beyond an hour: 36000.
        let far = PhaseTiming::utc_at(
            now,
            None,
            None,
            None,
            Some(now.add_secs(4000.0)),
            None,
            None,
            None,
        );
        let cn::TimeChangeDetails::utcTiming(t) = far.to_cn() else {
            panic!("wrong form")
        };
        assert_eq!(t.likely_end_utctime.0, 36_000);
        assert_eq!(t.start_utctime.0, 36_001);
    }
}
