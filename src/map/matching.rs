//! Map matching, sans-IO: each track gets the lane (or the connection across the box) it is
//! on and its station along it, or none off the lanes.
//!
//! Candidates are the lanes and the connectors of the connections. A candidate *contains* a
//! track when the track is within half the lane width (plus a tolerance, larger for its
//! current candidate) of its centreline, not beyond its ends, and, once the track moves faster than a walking pace, not heading
//! against it. Among the candidates that contain it a track keeps its current one
//! (hysteresis) until another is better by a margin (smoothed over updates) for several
//! updates in a row, or the
//! current one no longer contains it; then the best one wins at once, the successors of the
//! current one (its connections, or a connection's egress lane) first. Tracks not seen for
//! a while are forgotten. Time is an argument; nothing here reads a clock.

use super::geometry::Polyline;
use super::SiteMap;
use crate::geo::wrap_pi;
use crate::time::Timestamp;
use std::collections::BTreeMap;
use std::f64::consts::FRAC_PI_2;

/// What the matcher needs of a track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackInput {
    pub id: u64,
    /// Site frame, [east_m, north_m].
    pub position: [f64; 2],
    /// Direction of motion, counter-clockwise from east.
    pub yaw_rad: f64,
    pub speed_mps: f64,
}

/// A lane, or the path across the box of the connection from one lane to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchedPath {
    Lane(u8),
    Connection { from: u8, to: u8 },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapMatch {
    pub path: MatchedPath,
    /// Distance along the lane's centreline (or the connection's connector) from its start.
    pub station_m: f64,
    /// Offset from the centreline, positive to the left.
    pub lateral_m: f64,
}

/// Tuning of the matcher; the defaults suit vehicles on 3–4 m lanes at 10 Hz.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchParams {
    /// How far beyond the lane edge (and beyond its ends) a track still counts as on it.
    pub tolerance_m: f64,
    /// How far beyond its edge a track stays on its current lane (hysteresis: noise on a
    /// lane boundary must not bounce it between lanes).
    pub keep_tolerance_m: f64,
    /// Above this speed a lane whose direction differs by more than `max_heading_error_rad`
    /// is rejected; below it the heading (noisy when standing) is ignored.
    pub heading_speed_mps: f64,
    pub max_heading_error_rad: f64,
    /// How much better (in the score: lateral offset in half-widths, plus heading error,
    /// smoothed over updates) a rival must be to take over.
    pub margin: f64,
    /// Weight of the newest update in that smoothing (exponential moving average).
    pub smoothing: f64,
    /// The least number of updates in a row a rival must be the best other candidate.
    pub switch_after: u32,
    /// Tracks not seen for this long are forgotten.
    pub forget_after_s: f64,
}

impl Default for MatchParams {
    fn default() -> Self {
        Self {
            tolerance_m: 0.5,
            keep_tolerance_m: 1.25,
            heading_speed_mps: 1.0,
            max_heading_error_rad: 75f64.to_radians(),
            margin: 0.3,
            smoothing: 0.3,
            switch_after: 3,
            forget_after_s: 2.0,
        }
    }
}

#[derive(Debug, Clone)]
struct Candidate {
    path: MatchedPath,
    line: Polyline,
    half_width_m: f64,
    /// `[min east, min north, max east, max north]` of the points it can contain: its
    /// line's bounding box grown by the half-width and both tolerances. Most candidates are
    /// ruled out by this box before any projection.
    reach: [f64; 4],
}

#[derive(Debug, Clone, Default)]
struct TrackState {
    current: Option<usize>,
    /// The best other candidate, for how many updates in a row it has been the best other,
    /// and the smoothed amount by which it beats the current one.
    rival: Option<(usize, u32, f64)>,
    last_seen: Timestamp,
}

/// Per-track map matching with hysteresis.
#[derive(Debug, Clone)]
pub struct MapMatcher {
    params: MatchParams,
    candidates: Vec<Candidate>,
    tracks: BTreeMap<u64, TrackState>,
    /// Scratch of `match_track`: the candidates that contain the track.
    fits: Vec<(usize, f64, MapMatch)>,
}

impl MapMatcher {
    pub fn new(map: &SiteMap, params: MatchParams) -> Self {
        let mut candidates: Vec<Candidate> = map
            .lanes
            .iter()
            .filter_map(|l| {
                Some(Candidate {
                    reach: [0.0; 4],
                    path: MatchedPath::Lane(l.id),
                    line: l.path()?.clone(),
                    half_width_m: l.width_m / 2.0,
                })
            })
            .collect();
        candidates.extend(map.connections.iter().filter_map(|c| {
            Some(Candidate {
                reach: [0.0; 4],
                path: MatchedPath::Connection {
                    from: c.from,
                    to: c.to,
                },
                line: Polyline::new(&c.connector)?,
                half_width_m: map.lane(c.from)?.width_m / 2.0,
            })
        }));
        for c in &mut candidates {
            let grow = c.half_width_m
                + params.keep_tolerance_m.max(params.tolerance_m)
                + params.tolerance_m;
            let mut r = [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ];
            for p in c.line.points() {
                r = [
                    r[0].min(p[0]),
                    r[1].min(p[1]),
                    r[2].max(p[0]),
                    r[3].max(p[1]),
                ];
            }
            c.reach = [r[0] - grow, r[1] - grow, r[2] + grow, r[3] + grow];
        }
        Self {
            params,
            candidates,
            tracks: BTreeMap::new(),
            fits: Vec::new(),
        }
    }

    /// How many tracks have state.
    pub fn tracked(&self) -> usize {
        self.tracks.len()
    }

    /// Whether `next` continues `current` (a connection of the lane, or the lane a
    /// connection leads to).
    fn continues(&self, current: Option<usize>, next: usize) -> bool {
        let Some(cur) = current else { return false };
        match (self.candidates[cur].path, self.candidates[next].path) {
            (MatchedPath::Lane(l), MatchedPath::Connection { from, .. }) => l == from,
            (MatchedPath::Connection { to, .. }, MatchedPath::Lane(l)) => l == to,
            _ => false,
        }
    }

    /// Score (lower is better) and projection of a track on a candidate, if it contains it.
    fn fit(&self, c: &Candidate, t: &TrackInput, current: bool) -> Option<(f64, MapMatch)> {
        let p = &self.params;
        let [x, y] = t.position;
        if x < c.reach[0] || y < c.reach[1] || x > c.reach[2] || y > c.reach[3] {
            return None;
        }
        let pr = c.line.project(t.position);
        let side = if current {
            p.keep_tolerance_m
        } else {
            p.tolerance_m
        };
        if pr.lateral_m.abs() > c.half_width_m + side || pr.beyond_m.abs() > p.tolerance_m {
            return None;
        }
        let mut score = pr.lateral_m.abs() / c.half_width_m;
        if t.speed_mps > p.heading_speed_mps {
            let err = wrap_pi(t.yaw_rad - pr.yaw_rad).abs();
            if err > p.max_heading_error_rad {
                return None;
            }
            score += 0.5 * err / FRAC_PI_2;
        }
        Some((
            score,
            MapMatch {
                path: c.path,
                station_m: pr.station_m,
                lateral_m: pr.lateral_m,
            },
        ))
    }

    /// Matches one track at `now`, updating its state.
    pub fn match_track(&mut self, now: Timestamp, t: &TrackInput) -> Option<MapMatch> {
        let mut st = self.tracks.remove(&t.id).unwrap_or_default();
        let mut fits = std::mem::take(&mut self.fits);
        fits.clear();
        fits.extend(self.candidates.iter().enumerate().filter_map(|(i, c)| {
            self.fit(c, t, st.current == Some(i))
                .map(|(s, m)| (i, s, m))
        }));
        st.last_seen = now;
        let current = st.current.and_then(|c| fits.iter().find(|f| f.0 == c));
        let chosen = match current {
            Some(&(cur, cur_score, _)) => {
                let rival = fits
                    .iter()
                    .filter(|f| f.0 != cur)
                    .min_by(|a, b| a.1.total_cmp(&b.1));
                match rival {
                    Some(&(r, r_score, _)) => {
                        let advantage = cur_score - r_score;
                        let a = self.params.smoothing;
                        let (n, mean) = match st.rival {
                            Some((prev, n, mean)) if prev == r => {
                                (n + 1, mean + a * (advantage - mean))
                            }
                            _ => (1, a * advantage),
                        };
                        if n >= self.params.switch_after && mean > self.params.margin {
                            st.rival = None;
                            Some(r)
                        } else {
                            st.rival = Some((r, n, mean));
                            Some(cur)
                        }
                    }
                    None => {
                        st.rival = None;
                        Some(cur)
                    }
                }
            }
            None => {
                st.rival = None;
                // Successors of where the track was get a head start.
                fits.iter()
                    .map(|f| {
                        let bonus = if self.continues(st.current, f.0) {
                            self.params.margin
                        } else {
                            0.0
                        };
                        (f.0, f.1 - bonus)
                    })
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|f| f.0)
            }
        };
        st.current = chosen;
        let out = chosen.and_then(|c| fits.iter().find(|f| f.0 == c).map(|f| f.2));
        self.tracks.insert(t.id, st);
        self.fits = fits;
        out
    }

    /// Matches a batch of tracks seen at `now` and forgets those not seen for
    /// `forget_after_s`.
    pub fn update(
        &mut self,
        now: Timestamp,
        tracks: &[TrackInput],
    ) -> Vec<(u64, Option<MapMatch>)> {
        let out = tracks
            .iter()
            .map(|t| (t.id, self.match_track(now, t)))
            .collect();
        self.prune(now);
        out
    }

    /// Forgets tracks not seen for `forget_after_s` before `now`.
    pub fn prune(&mut self, now: Timestamp) {
        let keep = self.params.forget_after_s;
        self.tracks
            .retain(|_, s| now.secs_since(s.last_seen) <= keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::scenario::Scenario;

    fn default_map() -> SiteMap {
        SiteMap::from_spec(&Scenario::default_scenario().unwrap().map)
    }

    fn at(i: usize) -> Timestamp {
        Timestamp::from_secs_f64(i as f64 * 0.1).unwrap()
    }

    const SOUTH: f64 = -FRAC_PI_2;

    #[test]
    fn a_car_driving_along_a_lane() {
        let m = default_map();
        let mut mm = MapMatcher::new(&m, MatchParams::default());
        // Lane 11 runs south at x = -1.75 from y = 150 to the stop line at y = 15.
        for i in 0..100 {
            let y = 140.0 - i as f64;
            let t = TrackInput {
                id: 1,
                position: [-1.6, y],
                yaw_rad: SOUTH,
                speed_mps: 10.0,
            };
            let r = mm.match_track(at(i), &t).expect("on a lane");
            assert_eq!(r.path, MatchedPath::Lane(11));
            assert!((r.station_m - (150.0 - y)).abs() < 1e-9);
            assert!(
                (r.lateral_m - 0.15).abs() < 1e-9,
                "east of a southbound lane is left"
            );
        }
        // The same place driving north is against the lane: no match.
        let mut fresh = MapMatcher::new(&m, MatchParams::default());
        let wrong_way = TrackInput {
            id: 2,
            position: [-1.75, 100.0],
            yaw_rad: -SOUTH,
            speed_mps: 10.0,
        };
        assert_eq!(fresh.match_track(at(0), &wrong_way), None);
    }

    #[test]
    fn a_lane_change_switches_once_and_the_boundary_does_not_flicker() {
        let m = default_map();
        let mut mm = MapMatcher::new(&m, MatchParams::default());
        let mut rng = Rng::new(7);
        let mut seen = Vec::new();
        // Lane 11 at x = -1.75, lane 12 at x = -5.25. Drive 3 s in 11, drift over 3 s
        // into 12, then drive 3 s there.
        for i in 0..90 {
            let x = if i < 30 {
                -1.75
            } else if i < 60 {
                -1.75 - 3.5 * (i - 30) as f64 / 30.0
            } else {
                -5.25
            };
            let t = TrackInput {
                id: 1,
                position: [x + 0.05 * rng.normal(), 140.0 - i as f64],
                yaw_rad: SOUTH,
                speed_mps: 10.0,
            };
            let p = mm.match_track(at(i), &t).expect("on a lane").path;
            if seen.last() != Some(&p) {
                seen.push(p);
            }
        }
        assert_eq!(seen, vec![MatchedPath::Lane(11), MatchedPath::Lane(12)]);

        // Driving on the line between the two lanes with noise: no switching back and forth.
        let mut mm = MapMatcher::new(&m, MatchParams::default());
        let mut switches = 0;
        let mut last = None;
        for i in 0..120 {
            let t = TrackInput {
                id: 9,
                position: [-3.5 + 0.15 * rng.normal(), 140.0 - i as f64 * 0.8],
                yaw_rad: SOUTH,
                speed_mps: 8.0,
            };
            let p = mm.match_track(at(i), &t).expect("on a lane").path;
            if last.is_some_and(|l| l != p) {
                switches += 1;
            }
            last = Some(p);
        }
        assert_eq!(switches, 0);
    }

    #[test]
    fn a_car_in_the_box_follows_its_connection() {
        let m = default_map();
        let c = m
            .connections
            .iter()
            .find(|c| c.from == 11 && c.to == 43)
            .unwrap();
        let path = m.connection_path(c).unwrap();
        let ingress = m.lane(11).unwrap().length_m();
        let connector = Polyline::new(&c.connector).unwrap().length_m();
        let mut mm = MapMatcher::new(&m, MatchParams::default());
        let mut seen = Vec::new();
        let mut s = 100.0;
        let mut i = 0;
        while s < path.length_m() - 1.0 {
            let p = path.at(s);
            let t = TrackInput {
                id: 3,
                position: p.position,
                yaw_rad: p.yaw_rad,
                speed_mps: 8.0,
            };
            let r = mm.match_track(at(i), &t).expect("on the map");
            // In the second half of the box it must be on its own connection.
            if s > ingress + connector * 0.5 && s < ingress + connector {
                assert_eq!(
                    r.path,
                    MatchedPath::Connection { from: 11, to: 43 },
                    "at {s}"
                );
            }
            if seen.last() != Some(&r.path) {
                seen.push(r.path);
            }
            s += 0.8;
            i += 1;
        }
        assert_eq!(seen.first(), Some(&MatchedPath::Lane(11)));
        assert_eq!(seen.last(), Some(&MatchedPath::Lane(43)));
        assert!(seen.contains(&MatchedPath::Connection { from: 11, to: 43 }));
        assert!(seen.len() <= 4, "{seen:?}");
    }

    #[test]
    fn a_pedestrian_off_the_lanes_is_on_none_and_old_tracks_are_forgotten() {
        let m = default_map();
        let mut mm = MapMatcher::new(&m, MatchParams::default());
        let ped = TrackInput {
            id: 5,
            position: [20.0, 20.0],
            yaw_rad: 0.3,
            speed_mps: 1.4,
        };
        let out = mm.update(at(0), &[ped]);
        assert_eq!(out, vec![(5, None)]);
        assert_eq!(mm.tracked(), 1);
        mm.update(at(30), &[]);
        assert_eq!(mm.tracked(), 0);
    }
}
