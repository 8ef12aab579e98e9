//! Global ID measures (Ristani et al. 2016): one truth id ↔ track id bijection for the whole
//! sequence, chosen to maximise IDTP, the number of frames in which a paired truth and track
//! are within the match threshold of each other.
//!
//! Equivalent to py-motmetrics' `id_global_assignment` (its min-cost formulation on the
//! (truths + tracks)² matrix reduces to this maximum-weight matching), but solved per connected
//! component of the "ever within threshold" graph: ids that never came close cannot be paired
//! usefully, and long runs have thousands of ids but only small components.

use std::collections::HashMap;

use crate::eval::assign::Assignment;
use crate::eval::Object;

/// Per (truth id, track id) pair: the number of frames in which they were within threshold.
#[derive(Debug, Default, Clone)]
pub(crate) struct IdHits {
    hits: HashMap<(u64, u64), u64>,
}

impl IdHits {
    /// Counts the frame's pairs within threshold (`d2` row-major truth × track).
    pub(crate) fn add_frame(
        &mut self,
        truth: &[Object],
        tracks: &[Object],
        d2: &[f64],
        max_d2: f64,
    ) {
        let m = tracks.len();
        for (i, t) in truth.iter().enumerate() {
            for (j, h) in tracks.iter().enumerate() {
                if d2[i * m + j] <= max_d2 {
                    *self.hits.entry((t.id, h.id)).or_insert(0) += 1;
                }
            }
        }
    }

    /// The largest IDTP over all one-to-one truth-id ↔ track-id maps.
    pub(crate) fn idtp(&self) -> u64 {
        // Union-find over ids that share at least one hit; truths and tracks in one index space.
        let mut index: HashMap<(bool, u64), usize> = HashMap::new();
        let mut parent: Vec<usize> = Vec::new();
        let mut edges: Vec<(usize, usize, u64)> = Vec::with_capacity(self.hits.len());
        for (&(oid, hid), &n) in &self.hits {
            let mut node = |key| {
                *index.entry(key).or_insert_with(|| {
                    parent.push(parent.len());
                    parent.len() - 1
                })
            };
            let (a, b) = (node((true, oid)), node((false, hid)));
            edges.push((a, b, n));
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            parent[ra] = rb;
        }
        // Group edges by component; number each side's nodes locally.
        let mut components: HashMap<usize, Vec<(usize, usize, u64)>> = HashMap::new();
        for &(a, b, n) in &edges {
            let root = find(&mut parent, a);
            components.entry(root).or_default().push((a, b, n));
        }
        let mut solver = Assignment::default();
        let mut cost = Vec::new();
        let mut local: HashMap<usize, usize> = HashMap::new();
        let mut total = 0;
        for edges in components.values() {
            local.clear();
            let (mut rows, mut cols) = (0, 0);
            for &(a, b, _) in edges {
                local.entry(a).or_insert_with(|| {
                    rows += 1;
                    rows - 1
                });
                local.entry(b).or_insert_with(|| {
                    cols += 1;
                    cols - 1
                });
            }
            cost.clear();
            cost.resize(rows * cols, 0.0);
            for &(a, b, n) in edges {
                cost[local[&a] * cols + local[&b]] = -(n as f64);
            }
            for (r, c) in solver.solve(rows, cols, &cost).iter().enumerate() {
                if let Some(c) = *c {
                    // Hit counts are exact in f64 far beyond any run length.
                    total += (-cost[r * cols + c]) as u64;
                }
            }
        }
        total
    }
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(id: u64, east_m: f64) -> Object {
        Object {
            id,
            class: "car".into(),
            east_m,
            north_m: 0.0,
            vel_east_mps: 0.0,
            vel_north_mps: 0.0,
        }
    }

    fn add(h: &mut IdHits, truth: &[Object], tracks: &[Object]) {
        let d2: Vec<f64> = truth
            .iter()
            .flat_map(|a| tracks.iter().map(move |b| (a.east_m - b.east_m).powi(2)))
            .collect();
        h.add_frame(truth, tracks, &d2, 4.0);
    }

    #[test]
    fn empty_has_no_true_positives() {
        assert_eq!(IdHits::default().idtp(), 0);
    }

    #[test]
    fn one_id_per_side_for_the_whole_run() {
        // Truth 1 is followed by track 10 for 3 frames, then by track 11 for 2 frames: only one
        // of them can count, and the longer one wins.
        let mut h = IdHits::default();
        for _ in 0..3 {
            add(&mut h, &[at(1, 0.0)], &[at(10, 0.5)]);
        }
        for _ in 0..2 {
            add(&mut h, &[at(1, 0.0)], &[at(11, 0.5)]);
        }
        assert_eq!(h.idtp(), 3);
    }

    #[test]
    fn global_optimum_beats_greedy() {
        // Pairs (hits): 1–10 (3), 1–11 (2), 2–10 (2). Greedy takes 1–10 for 3; the
        // optimum is 1–11 plus 2–10 for 4.
        let mut h = IdHits::default();
        add(&mut h, &[at(1, 0.0)], &[at(10, 0.0)]);
        add(&mut h, &[at(1, 0.0)], &[at(10, 0.5), at(11, 1.0)]);
        add(&mut h, &[at(1, 0.0)], &[at(10, 0.5)]);
        add(
            &mut h,
            &[at(1, 0.0), at(2, 50.0)],
            &[at(10, 50.0), at(11, 0.0)],
        );
        add(&mut h, &[at(2, 50.0)], &[at(10, 50.0)]);
        assert_eq!(h.idtp(), 4);
    }
}
