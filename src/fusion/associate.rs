//! Gating and global-nearest-neighbour assignment (Stone Soup: hypothesiser, data associator).
//!
//! A pair passes the gate when the squared Mahalanobis distance d² of the detection from the
//! track's prediction is within a χ² bound: 2 dof for a position, 3 dof for a position plus a
//! Doppler radial speed. Among gated pairs the assignment
//! first maximises the number of pairs, then minimises Σ(d² + ln|S|): ln|S| is the rest of the
//! negative log-likelihood, so a vague track does not win a detection just because its wide
//! covariance makes every distance look short.
//!
//! Work per scan stays near-linear: an exact Euclidean pre-gate over a sorted grid finds the
//! candidate pairs, and the optimal solver runs on each connected cluster of gated pairs
//! separately, which on a road are a few tracks each. Every buffer lives in [`Associator`] and
//! is reused, so a steady-state scan does not allocate.

pub use crate::fusion::filter::Gate;
use crate::fusion::filter::{gated, Measured};
use crate::fusion::measurement::{Detection, PositionCov};
use crate::fusion::model::StateCov;
use crate::fusion::track::{Status, Track};

#[derive(Debug, Clone, Copy)]
struct Pair {
    cluster: u32,
    track: u32,
    det: u32,
    cost: f64,
    /// The detection's radial speed passed the gate too (see [`gated`]).
    doppler: bool,
}

#[derive(Debug, Default)]
pub struct Associator {
    /// `(cell x, cell y, detection)`, sorted: a grid without hashing.
    cells: Vec<(i64, i64, u32)>,
    pairs: Vec<Pair>,
    deferred: Vec<Pair>,
    det_taken: Vec<bool>,
    parent: Vec<u32>,
    det_local: Vec<u32>,
    cluster_tracks: Vec<u32>,
    cluster_dets: Vec<u32>,
    costs: Vec<f64>,
    row_to_col: Vec<Option<usize>>,
    hungarian: Hungarian,
    track_to_det: Vec<Option<usize>>,
    /// Per track: whether its assigned pair passed the gate with its radial speed.
    doppler: Vec<bool>,
    manoeuvred: Vec<bool>,
    free_dets: Vec<u32>,
    /// `(cost, track, detection)` candidates of the manoeuvre gate.
    candidates: Vec<(f64, u32, u32)>,
}

impl Associator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Entry `i` of the result is the detection assigned to `tracks[i]`, whose states must
    /// already be predicted to the detections' time. Unusable detections are never assigned.
    ///
    /// Confirmed tracks choose first and tentative ones share what is left: a tentative track
    /// is often clutter, and letting it take an established track's detection breeds duplicates.
    /// In between, confirmed tracks left without a detection for which `manoeuvre` gives a
    /// widened covariance get a second chance with it (see [`Associator::manoeuvred`]).
    pub fn associate(
        &mut self,
        tracks: &[Track],
        detections: &[Detection],
        gate: Gate,
        manoeuvre: impl Fn(&Track) -> Option<StateCov>,
    ) -> &[Option<usize>] {
        let (n_tracks, n_dets) = (tracks.len(), detections.len());
        refill(&mut self.track_to_det, n_tracks, None);
        refill(&mut self.doppler, n_tracks, false);
        refill(&mut self.manoeuvred, n_tracks, false);
        refill(&mut self.det_taken, n_dets, false);
        refill(&mut self.det_local, n_dets, u32::MAX);
        self.gate(tracks, detections, gate);
        self.deferred.clear();
        let deferred = &mut self.deferred;
        self.pairs.retain(|p| {
            let confirmed = tracks[p.track as usize].status == Status::Confirmed;
            if !confirmed {
                deferred.push(*p);
            }
            confirmed
        });
        self.cluster(n_tracks, n_dets);
        self.solve_clusters();
        self.manoeuvre_stage(tracks, detections, gate, manoeuvre);
        std::mem::swap(&mut self.pairs, &mut self.deferred);
        let taken = &self.det_taken;
        self.pairs.retain(|p| !taken[p.det as usize]);
        self.cluster(n_tracks, n_dets);
        self.solve_clusters();
        &self.track_to_det
    }

    /// Which tracks of the last [`Associator::associate`] got their detection through the
    /// manoeuvre gate: their covariance must be widened the same way before the update.
    pub fn manoeuvred(&self) -> &[bool] {
        &self.manoeuvred
    }

    /// Per track of the last [`Associator::associate`]: whether the assigned detection passed
    /// the gate with its radial speed (so the update uses it), as [`gated`] decided against
    /// the track's state. Not meaningful for [`Associator::manoeuvred`] tracks, gated with a
    /// widened covariance. Kept so that the update need not gate the pair again.
    pub fn doppler(&self) -> &[bool] {
        &self.doppler
    }

    /// Greedy by cost over the confirmed tracks still without a detection and the detections
    /// nobody took: the candidates are few and far apart.
    fn manoeuvre_stage(
        &mut self,
        tracks: &[Track],
        detections: &[Detection],
        gate: Gate,
        manoeuvre: impl Fn(&Track) -> Option<StateCov>,
    ) {
        self.free_dets.clear();
        self.candidates.clear();
        let taken = &self.det_taken;
        let free = (0..detections.len()).filter(|&j| !taken[j] && detections[j].is_usable());
        self.free_dets.extend(free.map(|j| j as u32));
        if self.free_dets.is_empty() {
            return;
        }
        for (i, track) in tracks.iter().enumerate() {
            if track.status != Status::Confirmed || self.track_to_det[i].is_some() {
                continue;
            }
            let Some(p) = manoeuvre(track) else {
                continue;
            };
            let pos = p.fixed_view::<2, 2>(0, 0).into_owned();
            let reach_sq = gate.position.max(gate.doppler) * (max_eigen(&pos) + 10.0);
            for &j in &self.free_dets {
                let det = &detections[j as usize];
                if (det.pos - track.state.xy()).norm_squared() > reach_sq {
                    continue;
                }
                if let Some((_, cost)) = gated(det, &track.state, &p, gate) {
                    self.candidates.push((cost, i as u32, j));
                }
            }
        }
        self.candidates
            .sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        for &(_, i, j) in &self.candidates {
            let (i, j) = (i as usize, j as usize);
            if self.track_to_det[i].is_none() && !self.det_taken[j] {
                self.track_to_det[i] = Some(j);
                self.manoeuvred[i] = true;
                self.det_taken[j] = true;
            }
        }
    }

    fn gate(&mut self, tracks: &[Track], detections: &[Detection], gate: Gate) {
        self.pairs.clear();
        self.cells.clear();
        // d² ≤ g implies |y|² ≤ g·λmax(S) ≤ g·(λmax(P_pos) + λmax(R)): an exact Euclidean bound.
        // With Doppler the position part's d² is at most the full one's, so the larger gate
        // bounds both.
        let gate_chi2 = gate.position.max(gate.doppler);
        let usable = || detections.iter().enumerate().filter(|(_, d)| d.is_usable());
        let r_max = usable().map(|(_, d)| max_eigen(&d.cov)).fold(0.0, f64::max);
        let radius = |t: &Track| {
            let p = t.cov.fixed_view::<2, 2>(0, 0).into_owned();
            (gate_chi2 * (max_eigen(&p) + r_max)).sqrt()
        };
        if tracks.is_empty() || r_max == 0.0 {
            return;
        }
        let mean_radius = tracks.iter().map(radius).sum::<f64>() / tracks.len() as f64;
        let cell = mean_radius.clamp(0.5, 1e6);
        let key = |v: f64| floor_i64(v / cell);
        for (j, d) in usable() {
            self.cells.push((key(d.pos.x), key(d.pos.y), j as u32));
        }
        self.cells.sort_unstable();
        for (i, track) in tracks.iter().enumerate() {
            let r = radius(track);
            let (x, y) = (track.state.x, track.state.y);
            if !(r.is_finite() && x.is_finite() && y.is_finite()) {
                continue;
            }
            let (cx0, cx1, cy0, cy1) = (key(x - r), key(x + r), key(y - r), key(y + r));
            let area = (cx1 - cx0 + 1).saturating_mul(cy1 - cy0 + 1);
            let mut consider = |j: u32| {
                let (track_idx, det) = (i as u32, &detections[j as usize]);
                if (det.pos - track.state.xy()).norm_squared() > r * r {
                    return;
                }
                if let Some((m, cost)) = gated(det, &track.state, &track.cov, gate) {
                    self.pairs.push(Pair {
                        cluster: 0,
                        track: track_idx,
                        det: j,
                        cost,
                        doppler: matches!(m, Measured::Doppler(_)),
                    });
                }
            };
            if area > self.cells.len() as i64 {
                self.cells.iter().for_each(|c| consider(c.2));
                continue;
            }
            for cx in cx0..=cx1 {
                let start = self.cells.partition_point(|c| (c.0, c.1) < (cx, cy0));
                for c in self.cells[start..]
                    .iter()
                    .take_while(|c| c.0 == cx && c.1 <= cy1)
                {
                    consider(c.2);
                }
            }
        }
    }

    /// Connected components of the gated bipartite graph (union-find), then pairs sorted by
    /// cluster, track and detection, so that each cluster is one contiguous run.
    fn cluster(&mut self, n_tracks: usize, n_dets: usize) {
        self.parent.clear();
        self.parent.extend(0..(n_tracks + n_dets) as u32);
        for p in &self.pairs {
            let a = find(&mut self.parent, p.track);
            let b = find(&mut self.parent, n_tracks as u32 + p.det);
            self.parent[a.max(b) as usize] = a.min(b);
        }
        for p in &mut self.pairs {
            p.cluster = find(&mut self.parent, p.track);
        }
        self.pairs
            .sort_unstable_by_key(|p| (p.cluster, p.track, p.det));
    }

    fn solve_clusters(&mut self) {
        let mut rest = &self.pairs[..];
        while let Some(first) = rest.first() {
            let len = rest
                .iter()
                .take_while(|p| p.cluster == first.cluster)
                .count();
            let (group, tail) = rest.split_at(len);
            rest = tail;
            if let [only] = group {
                self.track_to_det[only.track as usize] = Some(only.det as usize);
                self.doppler[only.track as usize] = only.doppler;
                self.det_taken[only.det as usize] = true;
                continue;
            }
            self.cluster_tracks.clear();
            self.cluster_dets.clear();
            for p in group {
                if self.cluster_tracks.last() != Some(&p.track) {
                    self.cluster_tracks.push(p.track);
                }
                if self.det_local[p.det as usize] == u32::MAX {
                    self.det_local[p.det as usize] = self.cluster_dets.len() as u32;
                    self.cluster_dets.push(p.det);
                }
            }
            let cols = self.cluster_dets.len();
            refill(
                &mut self.costs,
                self.cluster_tracks.len() * cols,
                f64::INFINITY,
            );
            let mut row = 0;
            for (k, p) in group.iter().enumerate() {
                if k > 0 && group[k - 1].track != p.track {
                    row += 1;
                }
                self.costs[row * cols + self.det_local[p.det as usize] as usize] = p.cost;
            }
            let rows = self.cluster_tracks.len();
            self.hungarian
                .solve(rows, cols, &self.costs, &mut self.row_to_col);
            for (&track, col) in self.cluster_tracks.iter().zip(&self.row_to_col) {
                if let Some(det) = col.map(|c| self.cluster_dets[c] as usize) {
                    let pair = group
                        .iter()
                        .find(|p| p.track == track && p.det as usize == det);
                    self.track_to_det[track as usize] = Some(det);
                    self.doppler[track as usize] = pair.is_some_and(|p| p.doppler);
                    self.det_taken[det] = true;
                }
            }
            for &d in &self.cluster_dets {
                self.det_local[d as usize] = u32::MAX;
            }
        }
    }
}

fn find(parent: &mut [u32], mut i: u32) -> u32 {
    while parent[i as usize] != i {
        parent[i as usize] = parent[parent[i as usize] as usize];
        i = parent[i as usize];
    }
    i
}

/// Empties and refills in place, keeping the capacity: no allocation in steady state.
fn refill<T: Clone>(buf: &mut Vec<T>, len: usize, value: T) {
    buf.clear();
    buf.resize(len, value);
}

/// `v.floor() as i64` for every `v` (NaN and out-of-range ones saturate alike) without a
/// call to `floor`: x86-64's baseline SSE2 has no rounding instruction, and the grid keys
/// are computed about a million times in a replay of two minutes. Truncation is exact, and
/// one less when it rounded a negative fraction up.
fn floor_i64(v: f64) -> i64 {
    let t = v as i64;
    if t as f64 > v {
        t.saturating_sub(1)
    } else {
        t
    }
}

/// Largest eigenvalue of a symmetric 2×2 matrix.
fn max_eigen(m: &PositionCov) -> f64 {
    let (a, b, c) = (m[(0, 0)], m[(0, 1)], m[(1, 1)]);
    (a + c) / 2.0 + (((a - c) / 2.0).powi(2) + b * b).sqrt()
}

/// Optimal rectangular assignment, reusing its buffers across calls.
#[derive(Debug, Default)]
pub struct Hungarian {
    work: Vec<f64>,
    u: Vec<f64>,
    v: Vec<f64>,
    min_v: Vec<f64>,
    col_row: Vec<usize>,
    way: Vec<usize>,
    used: Vec<bool>,
}

impl Hungarian {
    /// Assigns rows to columns of the row-major `rows × cols` matrix `cost`, where a non-finite
    /// entry forbids the pair: maximises the number of allowed pairs, then minimises their total
    /// cost. Kuhn–Munkres with potentials in its shortest-augmenting-path form (the one
    /// Jonker–Volgenant refine), O(n²·m) for n = min(rows, cols).
    pub fn solve(
        &mut self,
        rows: usize,
        cols: usize,
        cost: &[f64],
        row_to_col: &mut Vec<Option<usize>>,
    ) {
        refill(row_to_col, rows, None);
        let (lo, hi) = cost
            .iter()
            .filter(|c| c.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &c| {
                (lo.min(c), hi.max(c))
            });
        if rows == 0 || cols == 0 || cost.len() != rows * cols || lo > hi {
            return;
        }
        // The solver runs with n ≤ m; forbidden pairs cost more than any trade of allowed ones.
        let transposed = rows > cols;
        let (n, m) = (rows.min(cols), rows.max(cols));
        let at = |i: usize, j: usize| {
            cost[if transposed {
                j * cols + i
            } else {
                i * cols + j
            }]
        };
        let forbidden = (n as f64 + 1.0) * (hi - lo + 1.0);
        self.work.clear();
        for i in 0..n {
            for j in 0..m {
                let c = at(i, j);
                self.work
                    .push(if c.is_finite() { c - lo } else { forbidden });
            }
        }
        refill(&mut self.u, m + 1, 0.0);
        refill(&mut self.v, m + 1, 0.0);
        refill(&mut self.col_row, m + 1, 0);
        refill(&mut self.way, m + 1, 0);
        // 1-based rows and columns; column 0 is the virtual start of each augmenting path.
        for i in 1..=n {
            self.col_row[0] = i;
            let mut j0 = 0;
            refill(&mut self.min_v, m + 1, f64::INFINITY);
            refill(&mut self.used, m + 1, false);
            loop {
                self.used[j0] = true;
                let i0 = self.col_row[j0];
                let (mut delta, mut j1) = (f64::INFINITY, 0);
                for j in 1..=m {
                    if self.used[j] {
                        continue;
                    }
                    let cur = self.work[(i0 - 1) * m + j - 1] - self.u[i0] - self.v[j];
                    if cur < self.min_v[j] {
                        self.min_v[j] = cur;
                        self.way[j] = j0;
                    }
                    if self.min_v[j] < delta {
                        delta = self.min_v[j];
                        j1 = j;
                    }
                }
                if j1 == 0 {
                    return; // only with non-finite arithmetic; leaves the rows unassigned
                }
                for j in 0..=m {
                    if self.used[j] {
                        self.u[self.col_row[j]] += delta;
                        self.v[j] -= delta;
                    } else {
                        self.min_v[j] -= delta;
                    }
                }
                j0 = j1;
                if self.col_row[j0] == 0 {
                    break;
                }
            }
            while j0 != 0 {
                let j1 = self.way[j0];
                self.col_row[j0] = self.col_row[j1];
                j0 = j1;
            }
        }
        for j in 1..=m {
            let i = self.col_row[j];
            if i != 0 && at(i - 1, j - 1).is_finite() {
                let (r, c) = if transposed {
                    (j - 1, i - 1)
                } else {
                    (i - 1, j - 1)
                };
                row_to_col[r] = Some(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusion::filter::Measured;
    use crate::fusion::test_rng::TestRng;

    #[test]
    fn floor_i64_is_floor_as_i64() {
        let edge = [2f64.powi(52), 2f64.powi(53), 2f64.powi(63), 1e300, f64::MAX];
        let mut values = vec![
            0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.5, -2.5, -1e-300, 3.999_999,
        ];
        values.extend(edge.iter().flat_map(|&e| [e, -e, e - 0.5, 0.5 - e]));
        values.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
        let mut rng = TestRng::new(7);
        values.extend((0..10_000).map(|_| rng.uniform(-1e4, 1e4)));
        for v in values {
            assert_eq!(floor_i64(v), v.floor() as i64, "{v}");
        }
    }

    /// (pairs, cost) of the best partial assignment by exhaustive search.
    fn brute(
        rows: usize,
        cols: usize,
        cost: &[f64],
        row: usize,
        used: &mut [bool],
    ) -> (usize, f64) {
        if row == rows {
            return (0, 0.0);
        }
        let mut best = brute(rows, cols, cost, row + 1, used);
        for c in 0..cols {
            let w = cost[row * cols + c];
            if used[c] || !w.is_finite() {
                continue;
            }
            used[c] = true;
            let (k, s) = brute(rows, cols, cost, row + 1, used);
            used[c] = false;
            if k + 1 > best.0 || (k + 1 == best.0 && s + w < best.1) {
                best = (k + 1, s + w);
            }
        }
        best
    }

    #[test]
    fn hungarian_matches_brute_force() {
        let mut rng = TestRng::new(7);
        let mut solver = Hungarian::default();
        let mut out = Vec::new();
        for _ in 0..3000 {
            let (rows, cols) = (
                1 + rng.next_u64() as usize % 6,
                1 + rng.next_u64() as usize % 6,
            );
            let p_forbid = rng.uniform(0.0, 0.8);
            let cost: Vec<f64> = (0..rows * cols)
                .map(|_| match rng.uniform(0.0, 1.0) < p_forbid {
                    true => f64::INFINITY,
                    false => rng.uniform(-5.0, 12.0),
                })
                .collect();
            solver.solve(rows, cols, &cost, &mut out);
            let mut cols_seen = vec![false; cols];
            let (mut k, mut s) = (0, 0.0);
            for (r, c) in out.iter().enumerate() {
                if let Some(c) = *c {
                    assert!(!cols_seen[c] && cost[r * cols + c].is_finite());
                    cols_seen[c] = true;
                    (k, s) = (k + 1, s + cost[r * cols + c]);
                }
            }
            let (bk, bs) = brute(rows, cols, &cost, 0, &mut vec![false; cols]);
            assert_eq!(k, bk, "{rows}x{cols} {cost:?}");
            assert!((s - bs).abs() < 1e-9, "{rows}x{cols} {cost:?}: {s} vs {bs}");
        }
    }

    /// Pre-gate, clustering and the two stages together must equal gating every pair and
    /// solving one matrix per stage.
    #[test]
    fn associator_matches_exhaustive_solution() {
        use crate::fusion::measurement::{Class, Position};
        let mut rng = TestRng::new(11);
        let random_cov = |rng: &mut TestRng, scale: f64| {
            let (a, b, c) = (
                rng.uniform(-1.0, 1.0),
                rng.uniform(-1.0, 1.0),
                rng.uniform(0.1, 1.0),
            );
            PositionCov::new(a, b, 0.0, c) * PositionCov::new(a, 0.0, b, c) * scale
                + PositionCov::identity() * 0.05
        };
        let (mut associator, mut solver, mut out) =
            (Associator::new(), Hungarian::default(), Vec::new());
        for _ in 0..50 {
            let det = |rng: &mut TestRng| Detection {
                t: 0.0,
                sensor: 0,
                pos: Position::new(rng.uniform(0.0, 60.0), rng.uniform(0.0, 60.0)),
                cov: random_cov(rng, 2.0),
                class: Class::Car,
                length_m: None,
                width_m: None,
                class_confidence: None,
                yaw_rad: None,
                radial: None,
            };
            let dets: Vec<Detection> = (0..50).map(|_| det(&mut rng)).collect();
            let tracks: Vec<Track> = (0..50)
                .map(|i| {
                    let mut track = Track::initiate(i, &det(&mut rng), 0.0, 1.0, 0.8);
                    let scale = rng.uniform(0.1, 20.0);
                    let p = random_cov(&mut rng, scale);
                    track.cov.fixed_view_mut::<2, 2>(0, 0).copy_from(&p);
                    if i % 3 != 0 {
                        track.status = Status::Confirmed;
                    }
                    track
                })
                .collect();
            let mut want = vec![None; tracks.len()];
            let mut taken = vec![false; dets.len()];
            for stage in [Status::Confirmed, Status::Tentative] {
                let rows: Vec<usize> = (0..tracks.len())
                    .filter(|&i| tracks[i].status == stage)
                    .collect();
                let mut cost = Vec::new();
                for &i in &rows {
                    for (j, d) in dets.iter().enumerate() {
                        let tr = &tracks[i];
                        let inn = Measured::of(d, &tr.state, &tr.cov).unwrap();
                        let ok = !taken[j] && inn.mahalanobis_sq() <= 9.21;
                        cost.push(if ok {
                            inn.mahalanobis_sq() + inn.ln_det_s()
                        } else {
                            f64::INFINITY
                        });
                    }
                }
                solver.solve(rows.len(), dets.len(), &cost, &mut out);
                for (&i, col) in rows.iter().zip(&out) {
                    want[i] = *col;
                    col.map(|j| taken[j] = true);
                }
            }
            let gate = Gate {
                position: 9.21,
                doppler: 11.34,
            };
            let got = associator.associate(&tracks, &dets, gate, |_| None);
            assert_eq!(got, &want[..]);
        }
    }
}
