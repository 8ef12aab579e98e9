//! A track: one object's estimate plus the bookkeeping that decides its life (Stone Soup: track).

use crate::fusion::filter;
use crate::fusion::measurement::{Class, Detection};
use crate::fusion::model::{State, StateCov};
use crate::fusion::Seconds;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Not yet seen often enough to publish; may be clutter.
    Tentative,
    Confirmed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// Stable for the track's life and never given to another track.
    pub id: u32,
    pub state: State,
    pub cov: StateCov,
    /// The time `state` refers to.
    pub state_t: Seconds,
    /// Majority of the classes of its detections, known classes before `Unknown`.
    pub class: Class,
    /// Running means of the detections' size hints.
    pub length_m: Option<f64>,
    pub width_m: Option<f64>,
    pub created_t: Seconds,
    pub last_update_t: Seconds,
    /// Detections assigned over the track's life.
    pub hits: u32,
    /// Scans since the last assigned detection.
    pub misses: u32,
    pub status: Status,
    /// One bit per scan, newest lowest: 1 = detection assigned.
    history: u32,
    class_counts: [u32; Class::Unknown as usize + 1],
    size_samples: [u32; 2],
}

impl Track {
    /// A tentative track at the detection, at rest but with velocity variance `velocity_var`:
    /// one point says nothing about motion, and the next scan's gate must reach a moving object.
    pub(crate) fn initiate(id: u32, det: &Detection, state_t: Seconds, velocity_var: f64) -> Self {
        let mut cov = StateCov::from_diagonal_element(velocity_var);
        cov.fixed_view_mut::<2, 2>(0, 0).copy_from(&det.cov);
        let mut track = Track {
            id,
            state: State::new(det.pos.x, det.pos.y, 0.0, 0.0),
            cov,
            state_t,
            class: Class::Unknown,
            length_m: None,
            width_m: None,
            created_t: det.t,
            last_update_t: det.t,
            hits: 1,
            misses: 0,
            status: Status::Tentative,
            history: 1,
            class_counts: [0; Class::Unknown as usize + 1],
            size_samples: [0; 2],
        };
        track.record_attributes(det);
        track
    }

    /// State and covariance extrapolated to `t`, leaving the track as it is. Never extrapolates
    /// backwards: before `state_t` the current estimate is returned.
    pub fn predicted(&self, t: Seconds, accel_psd: f64) -> (State, StateCov) {
        filter::predict(
            &self.state,
            &self.cov,
            (t - self.state_t).max(0.0),
            accel_psd,
        )
    }

    pub fn speed_mps(&self) -> f64 {
        self.state.fixed_rows::<2>(2).norm()
    }

    /// Assigned detections among the last `n` scans (`n <= 32`).
    pub fn recent_hits(&self, n: u32) -> u32 {
        let mask = u32::MAX.checked_shr(32 - n.min(32)).unwrap_or(0);
        (self.history & mask).count_ones()
    }

    pub(crate) fn predict_to(&mut self, t: Seconds, accel_psd: f64) {
        (self.state, self.cov) = self.predicted(t, accel_psd);
        self.state_t = self.state_t.max(t);
    }

    pub(crate) fn record_hit(&mut self, det: &Detection, state: State, cov: StateCov) {
        (self.state, self.cov) = (state, cov);
        self.last_update_t = self.last_update_t.max(det.t);
        self.hits = self.hits.saturating_add(1);
        self.misses = 0;
        self.history = (self.history << 1) | 1;
        self.record_attributes(det);
    }

    pub(crate) fn record_miss(&mut self) {
        self.misses = self.misses.saturating_add(1);
        self.history <<= 1;
    }

    fn record_attributes(&mut self, det: &Detection) {
        let counts = &mut self.class_counts;
        counts[det.class as usize] = counts[det.class as usize].saturating_add(1);
        // Only the class just counted can overtake, and only strictly: ties keep the current one.
        if det.class != Class::Unknown
            && (self.class == Class::Unknown
                || counts[det.class as usize] > counts[self.class as usize])
        {
            self.class = det.class;
        }
        let [lengths, widths] = &mut self.size_samples;
        running_mean(&mut self.length_m, lengths, det.length_m);
        running_mean(&mut self.width_m, widths, det.width_m);
    }
}

fn running_mean(mean: &mut Option<f64>, n: &mut u32, sample: Option<f64>) {
    if let Some(s) = sample.filter(|s| s.is_finite() && *s > 0.0) {
        *n = n.saturating_add(1);
        let m = mean.unwrap_or(s);
        *mean = Some(m + (s - m) / f64::from(*n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusion::measurement::{Position, PositionCov};

    #[test]
    fn class_is_the_majority_of_known_classes_and_size_the_mean() {
        let det = |class, length_m| Detection {
            t: 0.0,
            sensor: 0,
            pos: Position::zeros(),
            cov: PositionCov::identity(),
            class,
            length_m,
            width_m: None,
            class_confidence: None,
            yaw_rad: None,
            radial: None,
        };
        let mut track = Track::initiate(1, &det(Class::Unknown, Some(4.0)), 0.0, 1.0);
        let (x, p) = (track.state, track.cov);
        for (class, len) in [
            (Class::Bus, None),
            (Class::Truck, Some(8.0)),
            (Class::Unknown, None),
        ] {
            track.record_hit(&det(class, len), x, p);
        }
        assert_eq!(
            (track.class, track.length_m, track.width_m),
            (Class::Bus, Some(6.0), None)
        );
        track.record_hit(&det(Class::Truck, Some(12.0)), x, p);
        assert_eq!((track.class, track.length_m), (Class::Truck, Some(8.0)));
    }
}
