//! Minimum-cost rectangular assignment: the Hungarian method with row/column potentials and
//! shortest augmenting paths (the Jonker–Volgenant formulation), O(n²·m) for n ≤ m.
//!
//! Written here rather than taken from a crate so that GOSPA, CLEAR MOT and IDF1 all solve
//! their assignments the same way the reference tools do (a full min-cost assignment of
//! min(rows, cols) pairs), and so that one solver's buffers serve every frame of a run.

/// Reusable solver: its buffers grow to the largest problem seen and are then kept.
#[derive(Debug, Default, Clone)]
pub(crate) struct Assignment {
    u: Vec<f64>,
    v: Vec<f64>,
    /// `p[j]`: 1-based row assigned to 1-based column `j` (0: none); `p[0]` is the row being
    /// inserted.
    p: Vec<usize>,
    way: Vec<usize>,
    minv: Vec<f64>,
    used: Vec<bool>,
    row_to_col: Vec<Option<usize>>,
}

impl Assignment {
    /// Pairs rows with distinct columns, minimising the summed cost, and returns each row's
    /// column. Exactly min(rows, cols) pairs are made, so costs must encode "do not pair" as a
    /// large finite penalty that the caller filters out afterwards. `cost` is row-major
    /// `rows × cols` and must hold finite values.
    pub(crate) fn solve(&mut self, rows: usize, cols: usize, cost: &[f64]) -> &[Option<usize>] {
        debug_assert_eq!(cost.len(), rows * cols);
        debug_assert!(cost.iter().all(|c| c.is_finite()));
        self.row_to_col.clear();
        self.row_to_col.resize(rows, None);
        if rows == 0 || cols == 0 {
            return &self.row_to_col;
        }
        if rows <= cols {
            self.run(rows, cols, |i, j| cost[i * cols + j]);
            for j in 1..=cols {
                if self.p[j] != 0 {
                    self.row_to_col[self.p[j] - 1] = Some(j - 1);
                }
            }
        } else {
            // The method needs n ≤ m: solve the transpose, whose "rows" are our columns.
            self.run(cols, rows, |i, j| cost[j * cols + i]);
            for j in 1..=rows {
                if self.p[j] != 0 {
                    self.row_to_col[j - 1] = Some(self.p[j] - 1);
                }
            }
        }
        &self.row_to_col
    }

    /// Core loop on an n × m problem (n ≤ m), 0-based `a(i, j)`; leaves the result in `p`.
    fn run(&mut self, n: usize, m: usize, a: impl Fn(usize, usize) -> f64) {
        reset(&mut self.u, n + 1, 0.0);
        reset(&mut self.v, m + 1, 0.0);
        reset(&mut self.p, m + 1, 0);
        reset(&mut self.way, m + 1, 0);
        for i in 1..=n {
            self.p[0] = i;
            let mut j0 = 0;
            reset(&mut self.minv, m + 1, f64::INFINITY);
            reset(&mut self.used, m + 1, false);
            loop {
                self.used[j0] = true;
                let i0 = self.p[j0];
                let mut delta = f64::INFINITY;
                let mut j1 = 0;
                for j in 1..=m {
                    if !self.used[j] {
                        let cur = a(i0 - 1, j - 1) - self.u[i0] - self.v[j];
                        if cur < self.minv[j] {
                            self.minv[j] = cur;
                            self.way[j] = j0;
                        }
                        if self.minv[j] < delta {
                            delta = self.minv[j];
                            j1 = j;
                        }
                    }
                }
                if j1 == 0 {
                    // Only reachable with non-finite costs; stop rather than spin.
                    return;
                }
                for j in 0..=m {
                    if self.used[j] {
                        self.u[self.p[j]] += delta;
                        self.v[j] -= delta;
                    } else {
                        self.minv[j] -= delta;
                    }
                }
                j0 = j1;
                if self.p[j0] == 0 {
                    break;
                }
            }
            // Flip the augmenting path back to the root.
            loop {
                let j1 = self.way[j0];
                self.p[j0] = self.p[j1];
                j0 = j1;
                if j0 == 0 {
                    break;
                }
            }
        }
    }
}

fn reset<T: Copy>(buf: &mut Vec<T>, len: usize, value: T) {
    buf.clear();
    buf.resize(len, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exhaustive minimum over all injective row → column maps (rows ≤ cols).
    fn brute(rows: usize, cols: usize, cost: &[f64]) -> f64 {
        fn go(r: usize, rows: usize, cols: usize, cost: &[f64], used: &mut Vec<bool>) -> f64 {
            if r == rows {
                return 0.0;
            }
            let mut best = f64::INFINITY;
            for c in 0..cols {
                if !used[c] {
                    used[c] = true;
                    best = best.min(cost[r * cols + c] + go(r + 1, rows, cols, cost, used));
                    used[c] = false;
                }
            }
            best
        }
        go(0, rows, cols, cost, &mut vec![false; cols])
    }

    fn total(rows: usize, cols: usize, cost: &[f64], a: &[Option<usize>]) -> f64 {
        assert_eq!(a.iter().flatten().count(), rows.min(cols));
        let mut seen = vec![false; cols];
        let mut sum = 0.0;
        for (r, c) in a.iter().enumerate() {
            if let Some(c) = *c {
                assert!(!seen[c], "column used twice");
                seen[c] = true;
                sum += cost[r * cols + c];
            }
        }
        sum
    }

    #[test]
    fn square_textbook_case() {
        let cost = [4.0, 1.0, 3.0, 2.0, 0.0, 5.0, 3.0, 2.0, 2.0];
        let mut s = Assignment::default();
        let a = s.solve(3, 3, &cost).to_vec();
        assert_eq!(a, vec![Some(1), Some(0), Some(2)]);
        assert_eq!(total(3, 3, &cost, &a), 5.0);
    }

    #[test]
    fn rectangular_both_ways_match_brute_force() {
        let mut s = Assignment::default();
        let mut x: u64 = 0x1234_5678;
        for round in 0..300 {
            let rows = 1 + round % 5;
            let cols = 1 + (round / 5) % 5;
            let cost: Vec<f64> = (0..rows * cols)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % 1000) as f64 / 7.0 - 40.0
                })
                .collect();
            let a = s.solve(rows, cols, &cost).to_vec();
            let got = total(rows, cols, &cost, &a);
            let want = if rows <= cols {
                brute(rows, cols, &cost)
            } else {
                let t: Vec<f64> = (0..cols * rows)
                    .map(|k| cost[(k % rows) * cols + k / rows])
                    .collect();
                brute(cols, rows, &t)
            };
            assert!((got - want).abs() < 1e-9, "{rows}x{cols}: {got} vs {want}");
        }
    }

    #[test]
    fn empty_problems_assign_nothing() {
        let mut s = Assignment::default();
        assert_eq!(s.solve(0, 3, &[]), &[] as &[Option<usize>]);
        assert_eq!(s.solve(2, 0, &[]), &[None, None]);
    }
}
