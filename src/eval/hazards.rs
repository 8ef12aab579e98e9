//! Scoring the hazard detectors against labelled conflicts: per hazard kind, the share of
//! labelled conflicts warned of in time, false warnings per hour, the warning's lead time
//! before the conflict point, and its latency from the first detection of the road users.

use crate::hazard::HazardKind;
use serde::Serialize;
use std::collections::BTreeMap;

/// A warning may come at most this long before its labelled conflict and still count.
const MATCH_WINDOW_S: f64 = 15.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub kind: HazardKind,
    /// Indices of the road users in the scenario.
    pub road_users: Vec<usize>,
    pub time_s: f64,
    pub warn: bool,
}

/// A hazard start, its tracks mapped to the road users they were on at the time.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub kind: HazardKind,
    pub road_users: Vec<usize>,
    pub time_s: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KindReport {
    /// Labelled conflicts that must warn.
    pub labelled: usize,
    pub detected: usize,
    pub detection_rate: Option<f64>,
    /// Warnings that match no labelled conflict (or match one that must not warn).
    pub false_warnings: usize,
    pub false_warnings_per_hour: f64,
    pub lead_time_min_s: Option<f64>,
    pub lead_time_median_s: Option<f64>,
    /// From the later of the road users' first tracking to the warning.
    pub latency_median_s: Option<f64>,
    pub warnings: usize,
}

#[derive(Debug, Clone, Default)]
pub struct HazardScorer {
    labels: Vec<Label>,
    warnings: Vec<Warning>,
    first_tracked_s: BTreeMap<usize, f64>,
}

fn median(v: &mut [f64]) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    (n > 0).then(|| {
        if n % 2 == 1 {
            v[n / 2]
        } else {
            0.5 * (v[n / 2 - 1] + v[n / 2])
        }
    })
}

impl HazardScorer {
    pub fn new(labels: Vec<Label>) -> Self {
        Self {
            labels,
            ..Self::default()
        }
    }

    /// A road user was matched to a track at `t_s` (only the first time counts).
    pub fn tracked(&mut self, road_user: usize, t_s: f64) {
        self.first_tracked_s.entry(road_user).or_insert(t_s);
    }

    pub fn warning(&mut self, w: Warning) {
        self.warnings.push(w);
    }

    fn matches(l: &Label, w: &Warning) -> bool {
        l.kind == w.kind
            && l.road_users.iter().all(|r| w.road_users.contains(r))
            && w.time_s <= l.time_s
            && w.time_s >= l.time_s - MATCH_WINDOW_S
    }

    /// Per kind (GLOSA is advice: counted, not scored), over `duration_s` of scenario.
    pub fn report(&self, duration_s: f64) -> BTreeMap<HazardKind, KindReport> {
        let mut out: BTreeMap<HazardKind, KindReport> = BTreeMap::new();
        for k in HazardKind::ALL {
            let mut r = KindReport {
                warnings: self.warnings.iter().filter(|w| w.kind == k).count(),
                ..KindReport::default()
            };
            let (mut leads, mut latencies) = (Vec::new(), Vec::new());
            for l in self.labels.iter().filter(|l| l.kind == k && l.warn) {
                r.labelled += 1;
                let first = self
                    .warnings
                    .iter()
                    .filter(|w| Self::matches(l, w))
                    .map(|w| w.time_s)
                    .fold(f64::INFINITY, f64::min);
                if first.is_finite() {
                    r.detected += 1;
                    leads.push(l.time_s - first);
                    let seen = l
                        .road_users
                        .iter()
                        .filter_map(|u| self.first_tracked_s.get(u))
                        .fold(f64::NEG_INFINITY, |a, b| a.max(*b));
                    if seen.is_finite() {
                        latencies.push(first - seen);
                    }
                }
            }
            if k != HazardKind::Glosa {
                r.false_warnings = self
                    .warnings
                    .iter()
                    .filter(|w| w.kind == k)
                    .filter(|w| !self.labels.iter().any(|l| l.warn && Self::matches(l, w)))
                    .count();
                r.false_warnings_per_hour = r.false_warnings as f64 * 3600.0 / duration_s.max(1e-9);
            }
            r.detection_rate = (r.labelled > 0).then(|| r.detected as f64 / r.labelled as f64);
            r.lead_time_min_s = leads.iter().copied().reduce(f64::min);
            r.lead_time_median_s = median(&mut leads);
            r.latency_median_s = median(&mut latencies);
            if r.labelled > 0 || r.warnings > 0 {
                out.insert(k, r);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_lead_time_latency_and_false_warnings() {
        let k = HazardKind::IntersectionCollision;
        let mut s = HazardScorer::new(vec![
            Label {
                kind: k,
                road_users: vec![0, 1],
                time_s: 20.0,
                warn: true,
            },
            Label {
                kind: k,
                road_users: vec![2, 3],
                time_s: 40.0,
                warn: true,
            },
            Label {
                kind: k,
                road_users: vec![4, 5],
                time_s: 60.0,
                warn: false,
            },
        ]);
        s.tracked(0, 10.0);
        s.tracked(1, 12.0);
        s.tracked(1, 13.0);
        s.warning(Warning {
            kind: k,
            road_users: vec![0, 1],
            time_s: 16.5,
        });
        s.warning(Warning {
            kind: k,
            road_users: vec![0, 1],
            time_s: 17.0,
        });
        // Too late for the second; a warning on the near miss; one about nobody labelled.
        s.warning(Warning {
            kind: k,
            road_users: vec![2, 3],
            time_s: 40.5,
        });
        s.warning(Warning {
            kind: k,
            road_users: vec![4, 5],
            time_s: 58.0,
        });
        s.warning(Warning {
            kind: k,
            road_users: vec![6, 7],
            time_s: 70.0,
        });
        let r = &s.report(360.0)[&k];
        assert_eq!((r.labelled, r.detected, r.warnings), (2, 1, 5));
        assert_eq!(r.detection_rate, Some(0.5));
        assert_eq!(
            (r.lead_time_min_s, r.lead_time_median_s),
            (Some(3.5), Some(3.5))
        );
        assert_eq!(r.latency_median_s, Some(4.5));
        assert_eq!(r.false_warnings, 3);
        assert!((r.false_warnings_per_hour - 30.0).abs() < 1e-9);
    }
}
