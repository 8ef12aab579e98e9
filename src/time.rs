//! Time as the pipeline sees it: UTC microseconds, never read from the OS inside the core.
//!
//! The V2X standards count time in pieces of the UTC calendar (millisecond of the minute,
//! minute of the year, tenth of a second of the hour); the helpers here derive those pieces
//! from one timestamp so that every message built at one instant agrees with itself.

use serde::{Deserialize, Serialize};
use std::fmt;

/// UTC time in microseconds since 1970-01-01T00:00:00Z (leap seconds not counted, as in Unix
/// time). Our own type rather than `std::time::Instant`, so a recording can restore it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Timestamp(pub i64);

const US_PER_S: i64 = 1_000_000;

impl Timestamp {
    pub const fn from_micros(us: i64) -> Self {
        Self(us)
    }

    /// From seconds since the epoch; `None` if not finite or out of range.
    pub fn from_secs_f64(s: f64) -> Option<Self> {
        let us = (s * 1e6).round();
        (us.is_finite() && us.abs() < 9.0e18).then_some(Self(us as i64))
    }

    pub const fn micros(self) -> i64 {
        self.0
    }

    pub fn secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// Seconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn secs_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / 1e6
    }

    pub fn add_secs(self, s: f64) -> Self {
        Self(self.0 + (s * 1e6).round() as i64)
    }

    /// Milliseconds within the current UTC minute, 0..=59999 (the CN `DSecond`).
    pub fn millis_of_minute(self) -> u16 {
        (self.0.rem_euclid(60 * US_PER_S) / 1000) as u16
    }

    /// Tenths of a second within the current UTC hour, 0..=35999 (the CN `TimeMark`).
    pub fn tenths_of_hour(self) -> u16 {
        (self.0.rem_euclid(3600 * US_PER_S) / 100_000) as u16
    }

    /// The start of the UTC hour that contains `self`.
    pub fn hour_start(self) -> Timestamp {
        Timestamp(self.0 - self.0.rem_euclid(3600 * US_PER_S))
    }

    /// Whole minutes since the start of the UTC year, 0..=527039 (the CN `MinuteOfTheYear`).
    pub fn minute_of_year(self) -> u32 {
        let days = self.0.div_euclid(86_400 * US_PER_S);
        let (year, _, _) = civil_from_days(days);
        let year_start = days_from_civil(year, 1, 1);
        let minutes_of_day = self.0.rem_euclid(86_400 * US_PER_S) / (60 * US_PER_S);
        ((days - year_start) * 1440 + minutes_of_day) as u32
    }

    /// The UTC calendar date and time: (year, month, day, hour, minute, second, microsecond).
    pub fn civil(self) -> (i64, u32, u32, u32, u32, u32, u32) {
        let days = self.0.div_euclid(86_400 * US_PER_S);
        let (y, m, d) = civil_from_days(days);
        let rem = self.0.rem_euclid(86_400 * US_PER_S);
        let s = rem / US_PER_S;
        (
            y,
            m,
            d,
            (s / 3600) as u32,
            (s / 60 % 60) as u32,
            (s % 60) as u32,
            (rem % US_PER_S) as u32,
        )
    }

    /// The start of the UTC year `year`.
    pub fn year_start(year: i64) -> Timestamp {
        Timestamp(days_from_civil(year, 1, 1) * 86_400 * US_PER_S)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, us) = self.civil();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}Z")
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-1_000_000, -1, 0, 1, 10_957, 19_723, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn calendar_pieces() {
        // 2026-11-23T03:32:14.250Z
        let t = Timestamp(
            (days_from_civil(2026, 11, 23) * 86_400 + 3 * 3600 + 32 * 60 + 14) * US_PER_S + 250_000,
        );
        assert_eq!(t.to_string(), "2026-11-23T03:32:14.250000Z");
        assert_eq!(t.millis_of_minute(), 14_250);
        assert_eq!(t.tenths_of_hour(), (32 * 60 + 14) * 10 + 2);
        // day-of-year of 23 Nov 2026 (not leap) is 327 → 326 whole days before it.
        assert_eq!(t.minute_of_year(), 326 * 1440 + 3 * 60 + 32);
        // The last minute of a leap year.
        let t = Timestamp(days_from_civil(2024, 12, 31) * 86_400 * US_PER_S + 86_399 * US_PER_S);
        assert_eq!(t.minute_of_year(), 527_039);
        assert_eq!(Timestamp::year_start(2025).minute_of_year(), 0);
    }
}
