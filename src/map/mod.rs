//! The site map in the site frame: lanes with centrelines, their approach, signal group,
//! manoeuvres and connections. Checked once at load (`scenario`); MAP messages are
//! generated from it (`v2x::cn::compose`), never written by hand.

use crate::scenario::{LaneDirection, LaneSpec, Maneuver, MapSpec};

#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub id: u8,
    pub approach: String,
    pub width_m: f64,
    /// Upstream to downstream; for an ingress lane the last point is on the stop line.
    pub centreline: Vec<[f64; 2]>,
    pub direction: LaneDirection,
    pub signal_group: Option<u8>,
    pub maneuvers: Vec<Maneuver>,
    pub connects_to: Vec<u8>,
    pub speed_limit_mps: Option<f64>,
}

impl Lane {
    pub fn length_m(&self) -> f64 {
        self.centreline
            .windows(2)
            .map(|w| (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]))
            .sum()
    }

    /// The stop-line point of an ingress lane.
    pub fn stop_point(&self) -> Option<[f64; 2]> {
        (self.direction == LaneDirection::Ingress)
            .then(|| self.centreline.last().copied())
            .flatten()
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SiteMap {
    pub lanes: Vec<Lane>,
}

impl SiteMap {
    pub fn from_spec(spec: &MapSpec) -> Self {
        Self {
            lanes: spec.lanes.iter().map(Lane::from).collect(),
        }
    }

    pub fn lane(&self, id: u8) -> Option<&Lane> {
        self.lanes.iter().find(|l| l.id == id)
    }

    /// Approach names in the order they first appear.
    pub fn approaches(&self) -> Vec<&str> {
        let mut v: Vec<&str> = Vec::new();
        for l in &self.lanes {
            if !v.contains(&l.approach.as_str()) {
                v.push(&l.approach);
            }
        }
        v
    }
}

impl From<&LaneSpec> for Lane {
    fn from(s: &LaneSpec) -> Self {
        Self {
            id: s.id,
            approach: s.approach.clone(),
            width_m: s.width_m,
            centreline: s.centreline.clone(),
            direction: s.direction,
            signal_group: s.signal_group,
            maneuvers: s.maneuvers.clone(),
            connects_to: s.connects_to.clone(),
            speed_limit_mps: s.speed_limit_mps,
        }
    }
}
