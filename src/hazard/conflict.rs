//! Where and when two road users' predicted paths meet: the conflict point, each one's time
//! to reach it, time-to-collision and post-encroachment time (PET).
//!
//! Each road user moves on a straight line at its current velocity over the horizon (a lane
//! path, where the map gives one, replaces the line by its polyline; see [`Path`]). The
//! conflict zone is where the two swept footprints overlap: the first user occupies it from
//! when its front reaches the crossing point until its rear has left it, the second likewise.
//! PET is the gap between the first leaving and the second arriving (negative when both are
//! in it at once: a collision course); TTC is when the second arrives in that case.

/// A predicted path: points from the road user's position, with the time at each.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// `(t_s, east_m, north_m)` from now, increasing in time.
    pub points: Vec<(f64, f64, f64)>,
}

impl Path {
    /// A straight line at constant velocity, sampled at its ends.
    pub fn constant_velocity(p: [f64; 2], v: [f64; 2], horizon_s: f64) -> Self {
        Self {
            points: vec![
                (0.0, p[0], p[1]),
                (horizon_s, p[0] + v[0] * horizon_s, p[1] + v[1] * horizon_s),
            ],
        }
    }
}

use crate::map::geometry::segment_intersection;

/// One road user as the conflict geometry sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mover {
    pub speed_mps: f64,
    pub length_m: f64,
    pub width_m: f64,
}

/// Where two paths cross and what that means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conflict {
    pub point: [f64; 2],
    /// When each reaches the crossing point (its centre).
    pub t_a_s: f64,
    pub t_b_s: f64,
    /// Post-encroachment time: the second's arrival in the conflict zone minus the first's
    /// departure. ≤ 0: both in it at once.
    pub pet_s: f64,
    /// Time to collision when `pet_s ≤ 0` (when the second enters the zone).
    pub ttc_s: Option<f64>,
}

/// The first crossing of two paths within their horizons, if any.
pub fn conflict(a: &Path, ma: &Mover, b: &Path, mb: &Mover) -> Option<Conflict> {
    for sa in a.points.windows(2) {
        for sb in b.points.windows(2) {
            let Some((ua, ub, x)) = segment_crossing(sa, sb) else {
                continue;
            };
            let t_a = sa[0].0 + ua * (sa[1].0 - sa[0].0);
            let t_b = sb[0].0 + ub * (sb[1].0 - sb[0].0);
            return Some(timing(x, t_a, ma, t_b, mb));
        }
    }
    None
}

/// An axis-aligned box in the site frame: the broad phase of the conflict search.
///
/// [`conflict`] finds where two paths' centrelines cross (widths and lengths only enter
/// the timing), so two paths whose boxes are apart cannot conflict. The boxes are compared
/// with [`BOX_MARGIN_M`] of slack so that the rounding of `segment_intersection` (a crossing
/// computed a hair outside a segment's end) cannot make the broad phase skip a pair the
/// brute-force search would report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aabb {
    pub min: [f64; 2],
    pub max: [f64; 2],
}

/// Slack of every box comparison (see [`Aabb`]).
pub const BOX_MARGIN_M: f64 = 0.01;

impl Aabb {
    /// Contains nothing; the identity of [`Aabb::union`].
    pub const EMPTY: Aabb = Aabb {
        min: [f64::INFINITY; 2],
        max: [f64::NEG_INFINITY; 2],
    };

    /// The box of a path's points (so of all its segments), grown by [`BOX_MARGIN_M`].
    pub fn of_path(path: &Path) -> Self {
        let mut b = Self::EMPTY;
        for &(_, x, y) in &path.points {
            b.min = [b.min[0].min(x), b.min[1].min(y)];
            b.max = [b.max[0].max(x), b.max[1].max(y)];
        }
        b.grown(BOX_MARGIN_M)
    }

    fn segment(a: &(f64, f64, f64), b: &(f64, f64, f64)) -> Self {
        Self {
            min: [a.1.min(b.1), a.2.min(b.2)],
            max: [a.1.max(b.1), a.2.max(b.2)],
        }
    }

    pub fn grown(self, m: f64) -> Self {
        Self {
            min: [self.min[0] - m, self.min[1] - m],
            max: [self.max[0] + m, self.max[1] + m],
        }
    }

    pub fn union(self, o: Self) -> Self {
        Self {
            min: [self.min[0].min(o.min[0]), self.min[1].min(o.min[1])],
            max: [self.max[0].max(o.max[0]), self.max[1].max(o.max[1])],
        }
    }

    /// Whether the two boxes share a point (touching counts). A box with a NaN corner
    /// overlaps everything, so that nothing is skipped on it.
    pub fn overlaps(&self, o: &Self) -> bool {
        !(self.max[0] < o.min[0]
            || o.max[0] < self.min[0]
            || self.max[1] < o.min[1]
            || o.max[1] < self.min[1])
    }
}

/// [`conflict`] with a prefilter: `box_a` and `box_b` are the paths' [`Aabb::of_path`]. A
/// segment of one path is tested against the other path only where its box (grown by
/// [`BOX_MARGIN_M`]) meets the other path's box, and against a segment of the other only
/// where their boxes meet. The same result as [`conflict`]: the segments are visited in the
/// same order, and only pairs whose boxes are apart (which cannot cross) are skipped.
pub fn conflict_in_boxes(
    a: &Path,
    box_a: &Aabb,
    ma: &Mover,
    b: &Path,
    box_b: &Aabb,
    mb: &Mover,
) -> Option<Conflict> {
    if !box_a.overlaps(box_b) {
        return None;
    }
    for sa in a.points.windows(2) {
        let seg_a = Aabb::segment(&sa[0], &sa[1]).grown(BOX_MARGIN_M);
        if !seg_a.overlaps(box_b) {
            continue;
        }
        for sb in b.points.windows(2) {
            if !seg_a.overlaps(&Aabb::segment(&sb[0], &sb[1])) {
                continue;
            }
            let Some((ua, ub, x)) = segment_crossing(sa, sb) else {
                continue;
            };
            let t_a = sa[0].0 + ua * (sa[1].0 - sa[0].0);
            let t_b = sb[0].0 + ub * (sb[1].0 - sb[0].0);
            return Some(timing(x, t_a, ma, t_b, mb));
        }
    }
    None
}

/// How long a road user takes to pass through the zone the other's path makes: its centre
/// is within half its length plus half the other's width of the crossing point.
fn half_occupancy_s(m: &Mover, other: &Mover) -> f64 {
    (0.5 * m.length_m + 0.5 * other.width_m) / m.speed_mps.max(0.1)
}

fn timing(point: [f64; 2], t_a: f64, ma: &Mover, t_b: f64, mb: &Mover) -> Conflict {
    let (oa, ob) = (half_occupancy_s(ma, mb), half_occupancy_s(mb, ma));
    let (enter_a, leave_a) = (t_a - oa, t_a + oa);
    let (enter_b, leave_b) = (t_b - ob, t_b + ob);
    let pet_s = if t_a <= t_b {
        enter_b - leave_a
    } else {
        enter_a - leave_b
    };
    let ttc_s = (pet_s <= 0.0).then(|| enter_a.max(enter_b).max(0.0));
    Conflict {
        point,
        t_a_s: t_a,
        t_b_s: t_b,
        pet_s,
        ttc_s,
    }
}

/// Parameters along both segments and the point where they cross, if they do.
fn segment_crossing(a: &[(f64, f64, f64)], b: &[(f64, f64, f64)]) -> Option<(f64, f64, [f64; 2])> {
    let (p0, p1) = ([a[0].1, a[0].2], [a[1].1, a[1].2]);
    let (q0, q1) = ([b[0].1, b[0].2], [b[1].1, b[1].2]);
    let u = segment_intersection(p0, p1, q0, q1)?;
    let w = segment_intersection(q0, q1, p0, p1)?;
    Some((
        u,
        w,
        [p0[0] + u * (p1[0] - p0[0]), p0[1] + u * (p1[1] - p0[1])],
    ))
}

/// The four corners of a road user's box.
pub fn footprint(centre: [f64; 2], yaw_rad: f64, length_m: f64, width_m: f64) -> Vec<[f64; 2]> {
    footprint_corners(centre, yaw_rad, length_m, width_m).to_vec()
}

/// [`footprint`] without allocating.
pub fn footprint_corners(
    centre: [f64; 2],
    yaw_rad: f64,
    length_m: f64,
    width_m: f64,
) -> [[f64; 2]; 4] {
    let (s, c) = yaw_rad.sin_cos();
    [(1.0, 1.0), (1.0, -1.0), (-1.0, -1.0), (-1.0, 1.0)].map(|(fl, fw)| {
        let (dl, dw) = (fl * 0.5 * length_m, fw * 0.5 * width_m);
        [centre[0] + dl * c - dw * s, centre[1] + dl * s + dw * c]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAR: Mover = Mover {
        speed_mps: 10.0,
        length_m: 4.6,
        width_m: 1.8,
    };

    #[test]
    fn crossing_paths_hand_computed() {
        // A eastbound from (-50, 0), B northbound from (0, -40), both 10 m/s: A at the
        // crossing at 5 s, B at 4 s. B occupies the zone ±(2.3 + 0.9)/10 = ±0.32 s around 4 s,
        // A from 4.68 s: PET 4.68 − 4.32 = 0.36 s.
        let a = Path::constant_velocity([-50.0, 0.0], [10.0, 0.0], 8.0);
        let b = Path::constant_velocity([0.0, -40.0], [0.0, 10.0], 8.0);
        let c = conflict(&a, &CAR, &b, &CAR).expect("they cross");
        assert!((c.point[0]).abs() < 1e-9 && (c.point[1]).abs() < 1e-9);
        assert!((c.t_a_s - 5.0).abs() < 1e-9 && (c.t_b_s - 4.0).abs() < 1e-9);
        assert!((c.pet_s - 0.36).abs() < 1e-9, "{}", c.pet_s);
        assert_eq!(c.ttc_s, None);
        // Same arrival: a collision course, TTC when the first enters the zone.
        let b = Path::constant_velocity([0.0, -50.0], [0.0, 10.0], 8.0);
        let c = conflict(&a, &CAR, &b, &CAR).unwrap();
        assert!(c.pet_s < 0.0 && (c.ttc_s.unwrap() - 4.68).abs() < 1e-9);
        // Parallel, or crossing beyond the horizon: nothing.
        let side = Path::constant_velocity([-50.0, 3.5], [10.0, 0.0], 8.0);
        assert!(conflict(&a, &CAR, &side, &CAR).is_none());
        let far = Path::constant_velocity([0.0, -200.0], [0.0, 10.0], 8.0);
        assert!(conflict(&a, &CAR, &far, &CAR).is_none());
    }
}
