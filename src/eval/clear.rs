//! CLEAR MOT frame matching (Bernardin & Stiefelhagen 2008), step for step as py-motmetrics'
//! `MOTAccumulator.update` does it, so that MOTA, MOTP and ID switches agree with it exactly.
//!
//! 1. A truth keeps the track it was last matched to (in any earlier frame, not only the
//!    previous one) if that track is present, not yet taken, and within the threshold.
//! 2. The remaining truths and tracks are paired by a maximum-cardinality, minimum summed
//!    squared distance assignment over pairs within the threshold (motmetrics gets this from
//!    a large finite penalty on forbidden pairs; so do we, with the same penalty formula).
//!    A step-2 pair whose truth was last matched to another track is an ID switch.
//! 3. Truths left over are misses, tracks left over are false positives.

use std::collections::HashMap;

use crate::eval::assign::Assignment;
use crate::eval::Object;

/// Matching state carried from frame to frame, with scratch buffers reused across frames.
#[derive(Debug, Default, Clone)]
pub(crate) struct ClearMatcher {
    /// Truth id → the track id it was last matched to; never forgotten, as in motmetrics.
    last_match: HashMap<u64, u64>,
    solver: Assignment,
    cost: Vec<f64>,
    free_rows: Vec<usize>,
    free_cols: Vec<usize>,
    row_match: Vec<Option<usize>>,
    col_taken: Vec<bool>,
}

impl ClearMatcher {
    /// Matches one frame. `d2` is the row-major truth × track squared-distance matrix; pairs
    /// with `d2 <= max_d2` may match. Returns each truth's matched track index and the
    /// number of ID switches in this frame.
    pub(crate) fn match_frame(
        &mut self,
        truth: &[Object],
        tracks: &[Object],
        d2: &[f64],
        max_d2: f64,
    ) -> (&[Option<usize>], usize) {
        let (n, m) = (truth.len(), tracks.len());
        self.row_match.clear();
        self.row_match.resize(n, None);
        self.col_taken.clear();
        self.col_taken.resize(m, false);
        let mut switches = 0;
        if n == 0 || m == 0 {
            return (&self.row_match, switches);
        }

        // 1. Keep earlier correspondences, in truth order (first come, first served).
        for (i, t) in truth.iter().enumerate() {
            let Some(&h) = self.last_match.get(&t.id) else {
                continue;
            };
            let found = tracks
                .iter()
                .enumerate()
                .find(|(j, tr)| !self.col_taken[*j] && tr.id == h);
            if let Some((j, _)) = found {
                if d2[i * m + j] <= max_d2 {
                    self.row_match[i] = Some(j);
                    self.col_taken[j] = true;
                }
            }
        }

        // 2. Optimal assignment of the rest.
        self.free_rows.clear();
        self.free_rows
            .extend((0..n).filter(|&i| self.row_match[i].is_none()));
        self.free_cols.clear();
        self.free_cols
            .extend((0..m).filter(|&j| !self.col_taken[j]));
        let (fr, fc) = (self.free_rows.len(), self.free_cols.len());
        let mut max_abs: Option<f64> = None;
        for &i in &self.free_rows {
            for &j in &self.free_cols {
                let d = d2[i * m + j];
                if d <= max_d2 {
                    max_abs = Some(max_abs.map_or(d.abs(), |a: f64| a.max(d.abs())));
                }
            }
        }
        let Some(max_abs) = max_abs else {
            return (&self.row_match, switches);
        };
        // motmetrics' `add_expensive_edges`: one forbidden pair costs more than any set of
        // allowed ones, so the solver first maximises the number of allowed pairs.
        let forbidden = 2.0 * n.min(m) as f64 * (max_abs + 1.0) + 1.0;
        self.cost.clear();
        for &i in &self.free_rows {
            for &j in &self.free_cols {
                let d = d2[i * m + j];
                self.cost.push(if d <= max_d2 { d } else { forbidden });
            }
        }
        let assigned = self.solver.solve(fr, fc, &self.cost);
        for (r, c) in assigned.iter().enumerate() {
            let Some(c) = *c else { continue };
            let (i, j) = (self.free_rows[r], self.free_cols[c]);
            if d2[i * m + j] > max_d2 {
                continue;
            }
            let (oid, hid) = (truth[i].id, tracks[j].id);
            if self
                .last_match
                .insert(oid, hid)
                .is_some_and(|prev| prev != hid)
            {
                switches += 1;
            }
            self.row_match[i] = Some(j);
        }
        (&self.row_match, switches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(id: u64, east_m: f64) -> Object {
        Object {
            id,
            class: "car".into(),
            east_m,
            north_m: 0.0,
            vel_east_mps: 0.0,
            vel_north_mps: 0.0,
        }
    }

    fn d2(truth: &[Object], tracks: &[Object]) -> Vec<f64> {
        truth
            .iter()
            .flat_map(|a| {
                tracks
                    .iter()
                    .map(move |b| (a.east_m - b.east_m).powi(2) + (a.north_m - b.north_m).powi(2))
            })
            .collect()
    }

    fn step(
        m: &mut ClearMatcher,
        truth: &[Object],
        tracks: &[Object],
    ) -> (Vec<Option<usize>>, usize) {
        let d = d2(truth, tracks);
        let (rows, sw) = m.match_frame(truth, tracks, &d, 4.0);
        (rows.to_vec(), sw)
    }

    #[test]
    fn earlier_match_is_kept_over_a_closer_track() {
        let mut m = ClearMatcher::default();
        assert_eq!(
            step(&mut m, &[obj(1, 0.0)], &[obj(10, 0.5)]),
            (vec![Some(0)], 0)
        );
        // Track 11 is now closer, but 10 is still within 2 m: the correspondence holds.
        let (rows, sw) = step(&mut m, &[obj(1, 0.0)], &[obj(11, 0.1), obj(10, 1.9)]);
        assert_eq!((rows, sw), (vec![Some(1)], 0));
    }

    #[test]
    fn switch_when_the_old_track_is_out_of_reach() {
        let mut m = ClearMatcher::default();
        step(&mut m, &[obj(1, 0.0)], &[obj(10, 0.5)]);
        let (rows, sw) = step(&mut m, &[obj(1, 0.0)], &[obj(11, 0.1), obj(10, 2.5)]);
        assert_eq!((rows, sw), (vec![Some(0)], 1));
        // Back to 10 after a gap with no match at all: still a switch (11 was the last).
        step(&mut m, &[obj(1, 0.0)], &[]);
        let (_, sw) = step(&mut m, &[obj(1, 0.0)], &[obj(10, 0.0)]);
        assert_eq!(sw, 1);
    }

    #[test]
    fn threshold_is_inclusive() {
        let mut m = ClearMatcher::default();
        assert_eq!(
            step(&mut m, &[obj(1, 0.0)], &[obj(10, 2.0)]).0,
            vec![Some(0)]
        );
        let mut m = ClearMatcher::default();
        assert_eq!(
            step(&mut m, &[obj(1, 0.0)], &[obj(10, 2.0001)]).0,
            vec![None]
        );
    }

    #[test]
    fn cardinality_comes_before_distance() {
        // A–X is the single cheapest pair (1 m²), but A–Y plus B–X matches both truths.
        let mut m = ClearMatcher::default();
        let truth = [obj(1, 0.0), obj(2, 2.9)];
        let tracks = [obj(10, 1.0), obj(11, -1.9)];
        assert_eq!(step(&mut m, &truth, &tracks).0, vec![Some(1), Some(0)]);
    }

    #[test]
    fn empty_sides_match_nothing() {
        let mut m = ClearMatcher::default();
        assert_eq!(step(&mut m, &[], &[]), (vec![], 0));
        assert_eq!(step(&mut m, &[obj(1, 0.0)], &[]), (vec![None], 0));
        assert_eq!(step(&mut m, &[], &[obj(10, 0.0)]), (vec![], 0));
    }
}
