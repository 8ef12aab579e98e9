//! GOSPA (Rahmathullah, García-Fernández & Svensson 2017) for one frame, with p = 2 and
//! α = 2, decomposed the way Stone Soup's `GOSPAMetric` reports it.
//!
//! With α = 2 the metric splits into localisation (Σ d² over assigned pairs closer than c),
//! missed (c²/2 per unassigned truth) and false (c²/2 per unassigned track) terms, and
//! GOSPA = √(localisation + missed + false). A pair at distance ≥ c costs the same as leaving
//! both unassigned, so it is counted as one miss and one false track, as Stone Soup does.

use crate::eval::assign::Assignment;

/// GOSPA exponent p; the squared decomposition below holds only for p = 2.
pub const GOSPA_P: f64 = 2.0;
/// GOSPA α; 2 is the value that makes the metric decompose into localisation, missed and false.
pub const GOSPA_ALPHA: f64 = 2.0;

/// One frame's GOSPA and its squared components (m²; the distance is in m).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct GospaTerms {
    pub(crate) distance: f64,
    pub(crate) localisation: f64,
    pub(crate) missed: f64,
    pub(crate) false_: f64,
}

/// GOSPA of one frame from its truth × track squared-distance matrix `d2` (row-major).
/// `cost` is a scratch buffer, kept by the caller so frames reuse it.
pub(crate) fn frame_terms(
    solver: &mut Assignment,
    cost: &mut Vec<f64>,
    d2: &[f64],
    truths: usize,
    tracks: usize,
    c: f64,
) -> GospaTerms {
    let c2 = c * c;
    cost.clear();
    // Cut-off distance: min(d, c)^p.
    cost.extend(d2.iter().map(|&d| if d.sqrt() < c { d } else { c2 }));
    let mut localisation = 0.0;
    let mut assigned = 0usize;
    for (row, col) in solver.solve(truths, tracks, cost).iter().enumerate() {
        if let Some(col) = *col {
            let d = d2[row * tracks + col];
            if d.sqrt() < c {
                localisation += d;
                assigned += 1;
            }
        }
    }
    let dummy = c.powf(GOSPA_P) / GOSPA_ALPHA;
    let missed = dummy * (truths - assigned) as f64;
    let false_ = dummy * (tracks - assigned) as f64;
    GospaTerms {
        distance: (localisation + missed + false_).sqrt(),
        localisation,
        missed,
        false_,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(truth: &[(f64, f64)], tracks: &[(f64, f64)]) -> GospaTerms {
        let d2: Vec<f64> = truth
            .iter()
            .flat_map(|a| {
                tracks
                    .iter()
                    .map(move |b| (a.0 - b.0).powi(2) + (a.1 - b.1).powi(2))
            })
            .collect();
        frame_terms(
            &mut Assignment::default(),
            &mut Vec::new(),
            &d2,
            truth.len(),
            tracks.len(),
            3.0,
        )
    }

    #[test]
    fn both_empty_is_zero() {
        assert_eq!(terms(&[], &[]), GospaTerms::default());
    }

    #[test]
    fn only_truth_is_all_missed() {
        let t = terms(&[(0.0, 0.0), (10.0, 0.0)], &[]);
        assert_eq!(t.missed, 9.0); // 2 × 3²/2
        assert_eq!(t.false_, 0.0);
        assert_eq!(t.distance, 3.0);
    }

    #[test]
    fn only_tracks_is_all_false() {
        let t = terms(&[], &[(1.0, 1.0)]);
        assert_eq!(t.false_, 4.5);
        assert_eq!(t.distance, 4.5f64.sqrt());
    }

    #[test]
    fn hand_computed_mixed_frame() {
        // Truth A with a track 1 m away; truth B whose nearest track is 5 m away (beyond c, so
        // a miss plus a false track); one more track far from everything.
        let t = terms(
            &[(0.0, 0.0), (100.0, 0.0)],
            &[(1.0, 0.0), (103.0, 4.0), (-50.0, -50.0)],
        );
        assert_eq!(t.localisation, 1.0);
        assert_eq!(t.missed, 4.5);
        assert_eq!(t.false_, 9.0);
        assert_eq!(t.distance, 14.5f64.sqrt());
    }

    #[test]
    fn assignment_is_optimal_not_greedy() {
        // Greedy nearest-first would pair A with the track at 1 m and leave B at 2.9 m from its
        // only option beyond reach; the optimum pairs each truth within c.
        let t = terms(&[(0.0, 0.0), (2.0, 0.0)], &[(1.0, 0.0), (-1.5, 0.0)]);
        // A–(-1.5): 2.25 plus B–(1): 1 is 3.25; A–(1): 1 plus B–(-1.5), cut at 3 m: 1 + 9.
        assert_eq!(t.localisation, 3.25);
        assert_eq!(t.missed + t.false_, 0.0);
    }
}
