//! Plane geometry in the site frame for the map and the hazard detectors: polygons, line of
//! sight past building footprints, stations along polylines and smooth connectors.
//!
//! Points are `[east_m, north_m]`; angles are yaw (radians, counter-clockwise from east).

use crate::geo::{wrap_pi, Enu};

/// Signed area of a polygon (counter-clockwise positive); the last point joins the first.
pub fn polygon_area_m2(poly: &[[f64; 2]]) -> f64 {
    let n = poly.len();
    if n < 3 {
        return 0.0;
    }
    (0..n)
        .map(|i| {
            let [x0, y0] = poly[i];
            let [x1, y1] = poly[(i + 1) % n];
            x0 * y1 - x1 * y0
        })
        .sum::<f64>()
        / 2.0
}

/// Whether `p` is inside the polygon (even-odd rule; points on an edge may go either way).
pub fn point_in_polygon(p: [f64; 2], poly: &[[f64; 2]]) -> bool {
    let n = poly.len();
    if n < 3 {
        return false;
    }
    let mut inside = false;
    let mut j = n - 1;
    for i in 0..n {
        let [xi, yi] = poly[i];
        let [xj, yj] = poly[j];
        if (yi > p[1]) != (yj > p[1]) {
            let x = xi + (p[1] - yi) * (xj - xi) / (yj - yi);
            if p[0] < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

/// Where segment a→b crosses segment c→d: the parameter along a→b in [0, 1], if they cross.
pub fn segment_intersection(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> Option<f64> {
    let r = [b[0] - a[0], b[1] - a[1]];
    let s = [d[0] - c[0], d[1] - c[1]];
    let denom = r[0] * s[1] - r[1] * s[0];
    if denom.abs() < 1e-12 {
        return None; // parallel (collinear overlaps touch the polygon edge only)
    }
    let q = [c[0] - a[0], c[1] - a[1]];
    let t = (q[0] * s[1] - q[1] * s[0]) / denom;
    let u = (q[0] * r[1] - q[1] * r[0]) / denom;
    ((0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&u)).then_some(t)
}

/// A footprint that blocks sight up to `height_m` (`None`: any height).
#[derive(Debug, Clone, PartialEq)]
pub struct Footprint<'a> {
    pub outline: &'a [[f64; 2]],
    pub height_m: Option<f64>,
}

/// Whether the straight line of sight from `from` to `to` passes through a footprint below
/// its height. The sight line's height varies linearly between the two points' `up_m`; a
/// footprint without a height blocks every line that crosses it.
pub fn line_of_sight_blocked<'a>(
    from: Enu,
    to: Enu,
    footprints: impl IntoIterator<Item = Footprint<'a>>,
) -> bool {
    let a = [from.east_m, from.north_m];
    let b = [to.east_m, to.north_m];
    let height_at = |t: f64| from.up_m + t * (to.up_m - from.up_m);
    footprints.into_iter().any(|f| {
        let poly = f.outline;
        let n = poly.len();
        if n < 3 {
            return false;
        }
        // Parameters where the line enters or leaves the footprint, plus its ends if inside.
        let mut ts: Vec<f64> = (0..n)
            .filter_map(|i| segment_intersection(a, b, poly[i], poly[(i + 1) % n]))
            .collect();
        if point_in_polygon(a, poly) {
            ts.push(0.0);
        }
        if point_in_polygon(b, poly) {
            ts.push(1.0);
        }
        if ts.is_empty() {
            return false;
        }
        match f.height_m {
            None => true,
            // The line is straight, so its lowest point over the footprint is where it
            // enters or leaves it.
            Some(h) => ts.iter().any(|&t| height_at(t) < h),
        }
    })
}

/// A point on a path and the direction of travel there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathPoint {
    pub position: [f64; 2],
    pub yaw_rad: f64,
    /// `yaw_rad.sin_cos()`, kept with the path.
    pub yaw_sin_cos: (f64, f64),
}

/// Where a point lies relative to a path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    /// Distance along the path from its start to the nearest point (clamped to the path).
    pub station_m: f64,
    /// Signed offset from the path, positive to the left of the direction of travel.
    pub lateral_m: f64,
    /// Distance to the nearest point of the path (|lateral| unless beyond an end).
    pub distance_m: f64,
    /// How far the projection falls before the start (< 0) or after the end (> 0).
    pub beyond_m: f64,
    /// The path's direction at the nearest point.
    pub yaw_rad: f64,
}

/// A polyline with its cumulative stations: distance along it, points and headings there.
#[derive(Debug, Clone, PartialEq)]
pub struct Polyline {
    points: Vec<[f64; 2]>,
    stations_m: Vec<f64>,
    /// Per segment: its yaw and that yaw's sine and cosine, computed once: the hazard
    /// detectors sample paths many thousand times a second.
    yaws: Vec<(f64, (f64, f64))>,
}

impl Polyline {
    /// `None` with fewer than 2 points or no length. Repeated consecutive points are dropped.
    pub fn new(points: &[[f64; 2]]) -> Option<Self> {
        let mut pts: Vec<[f64; 2]> = Vec::with_capacity(points.len());
        let mut stations = Vec::with_capacity(points.len());
        for &p in points {
            if !(p[0].is_finite() && p[1].is_finite()) {
                return None;
            }
            match pts.last() {
                None => stations.push(0.0),
                Some(q) => {
                    let d = (p[0] - q[0]).hypot(p[1] - q[1]);
                    if d < 1e-9 {
                        continue;
                    }
                    stations.push(stations.last().copied().unwrap_or(0.0) + d);
                }
            }
            pts.push(p);
        }
        let yaws = pts
            .windows(2)
            .map(|w| {
                let yaw = (w[1][1] - w[0][1]).atan2(w[1][0] - w[0][0]);
                (yaw, yaw.sin_cos())
            })
            .collect();
        (pts.len() >= 2).then_some(Self {
            points: pts,
            stations_m: stations,
            yaws,
        })
    }

    pub fn points(&self) -> &[[f64; 2]] {
        &self.points
    }

    pub fn length_m(&self) -> f64 {
        self.stations_m.last().copied().unwrap_or(0.0)
    }

    fn segment_yaw(&self, i: usize) -> f64 {
        self.yaws[i].0
    }

    /// The point and direction at `station_m` (clamped to the path).
    pub fn at(&self, station_m: f64) -> PathPoint {
        self.at_from(station_m, &mut 0)
    }

    /// [`Polyline::at`] for stations that grow from call to call (a path sampled along its
    /// length): `cursor` keeps how many of the path's points lay at or before the last
    /// station, and the search goes on from there rather than over the whole path. The
    /// same point as `at` for any station; a smaller one than the last restarts the search.
    pub fn at_from(&self, station_m: f64, cursor: &mut usize) -> PathPoint {
        let s = station_m.clamp(0.0, self.length_m());
        // Points at or before `s`: the stations grow, so they are a prefix. From the cursor
        // it is usually a step or two on; from the start, a binary search.
        let at_or_before = match self.stations_m.get(cursor.wrapping_sub(1)) {
            Some(&x) if x <= s => {
                let rest = &self.stations_m[*cursor..];
                *cursor + rest.iter().take_while(|&&x| x <= s).count()
            }
            _ => self.stations_m.partition_point(|&x| x <= s),
        };
        *cursor = at_or_before;
        let i = match at_or_before.checked_sub(1) {
            Some(i) => i.min(self.points.len() - 2),
            None => 0,
        };
        let (a, b) = (self.points[i], self.points[i + 1]);
        let seg = self.stations_m[i + 1] - self.stations_m[i];
        let t = ((s - self.stations_m[i]) / seg).clamp(0.0, 1.0);
        PathPoint {
            position: [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])],
            yaw_rad: self.yaws[i].0,
            yaw_sin_cos: self.yaws[i].1,
        }
    }

    /// The nearest point of the path to `p`.
    pub fn project(&self, p: [f64; 2]) -> Projection {
        let mut best: Option<(f64, f64, usize)> = None; // (distance², t, segment)
        for i in 0..self.points.len() - 1 {
            let (a, b) = (self.points[i], self.points[i + 1]);
            let d = [b[0] - a[0], b[1] - a[1]];
            let len2 = d[0] * d[0] + d[1] * d[1];
            let t = (((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1]) / len2).clamp(0.0, 1.0);
            let q = [a[0] + t * d[0], a[1] + t * d[1]];
            let dist2 = (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2);
            if best.is_none_or(|(bd, _, _)| dist2 < bd) {
                best = Some((dist2, t, i));
            }
        }
        let (dist2, t, i) = best.unwrap_or((0.0, 0.0, 0));
        let (a, b) = (self.points[i], self.points[i + 1]);
        let seg = self.stations_m[i + 1] - self.stations_m[i];
        let d = [(b[0] - a[0]) / seg, (b[1] - a[1]) / seg];
        let rel = [p[0] - a[0], p[1] - a[1]];
        let along = rel[0] * d[0] + rel[1] * d[1];
        let lateral = d[0] * rel[1] - d[1] * rel[0];
        let last = self.points.len() - 2;
        let beyond = if i == 0 && along < 0.0 {
            along
        } else if i == last && along > seg {
            along - seg
        } else {
            0.0
        };
        Projection {
            station_m: self.stations_m[i] + t * seg,
            lateral_m: lateral,
            distance_m: dist2.sqrt(),
            beyond_m: beyond,
            yaw_rad: self.segment_yaw(i),
        }
    }

    /// This path followed by `next` (a shared joining point is kept once).
    pub fn join(&self, next: &Polyline) -> Polyline {
        let mut pts = self.points.clone();
        pts.extend_from_slice(&next.points);
        // Both parts have length, so the joined one does too.
        Polyline::new(&pts).unwrap_or_else(|| self.clone())
    }
}

/// A smooth curve (cubic Bézier, `n` segments) from `a` leaving with yaw `a_yaw` to `b`
/// arriving with yaw `b_yaw`, for the path across an intersection box. A straight-through
/// movement gives a straight line.
pub fn smooth_connector(
    a: [f64; 2],
    a_yaw: f64,
    b: [f64; 2],
    b_yaw: f64,
    n: usize,
) -> Vec<[f64; 2]> {
    let chord = (b[0] - a[0]).hypot(b[1] - a[1]);
    // A third of the chord is the usual handle; a U-turn needs a longer one to bulge out.
    let turn = wrap_pi(b_yaw - a_yaw).abs();
    let h = chord * (1.0 / 3.0 + 0.25 * (turn / std::f64::consts::PI).powi(2)).max(0.5);
    let p1 = [a[0] + h * a_yaw.cos(), a[1] + h * a_yaw.sin()];
    let p2 = [b[0] - h * b_yaw.cos(), b[1] - h * b_yaw.sin()];
    let n = n.max(1);
    (0..=n)
        .map(|k| {
            let t = k as f64 / n as f64;
            let u = 1.0 - t;
            let w = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
            [
                w[0] * a[0] + w[1] * p1[0] + w[2] * p2[0] + w[3] * b[0],
                w[0] * a[1] + w[1] * p1[1] + w[2] * p2[1] + w[3] * b[1],
            ]
        })
        .collect()
}

/// The outline of a band of `width_m` around a centreline, counter-clockwise (right side
/// forward, left side back), e.g. a crosswalk's polygon.
pub fn buffer_outline(centreline: &[[f64; 2]], width_m: f64) -> Vec<[f64; 2]> {
    let n = centreline.len();
    if n < 2 {
        return vec![];
    }
    let half = width_m / 2.0;
    let normal = |i: usize| {
        let (a, b) = if i + 1 < n {
            (centreline[i], centreline[i + 1])
        } else {
            (centreline[i - 1], centreline[i])
        };
        let l = (b[0] - a[0]).hypot(b[1] - a[1]).max(1e-12);
        [-(b[1] - a[1]) / l, (b[0] - a[0]) / l]
    };
    let right = (0..n).map(|i| {
        let m = normal(i);
        [
            centreline[i][0] - half * m[0],
            centreline[i][1] - half * m[1],
        ]
    });
    let left = (0..n).rev().map(|i| {
        let m = normal(i);
        [
            centreline[i][0] + half * m[0],
            centreline[i][1] + half * m[1],
        ]
    });
    right.chain(left).collect()
}

/// The long axis of a polygon as a two-point centreline and the extent across it (its
/// width): for a crosswalk given as a polygon.
pub fn principal_axis(poly: &[[f64; 2]]) -> ([[f64; 2]; 2], f64) {
    let n = poly.len().max(1) as f64;
    let c = [
        poly.iter().map(|p| p[0]).sum::<f64>() / n,
        poly.iter().map(|p| p[1]).sum::<f64>() / n,
    ];
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for p in poly {
        let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    let th = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let u = [th.cos(), th.sin()];
    let v = [-u[1], u[0]];
    let proj = |d: [f64; 2], p: &[f64; 2]| (p[0] - c[0]) * d[0] + (p[1] - c[1]) * d[1];
    let (smin, smax) = poly
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |acc, p| {
            let s = proj(u, p);
            (acc.0.min(s), acc.1.max(s))
        });
    let (tmin, tmax) = poly
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |acc, p| {
            let t = proj(v, p);
            (acc.0.min(t), acc.1.max(t))
        });
    let tm = (tmin + tmax) / 2.0;
    let at = |s: f64| [c[0] + s * u[0] + tm * v[0], c[1] + s * u[1] + tm * v[1]];
    ([at(smin), at(smax)], tmax - tmin)
}

/// Douglas–Peucker simplification to at most `max_points` points (tolerance grows until it
/// fits); the ends are kept.
pub fn simplify(points: &[[f64; 2]], max_points: usize) -> Vec<[f64; 2]> {
    fn dp(pts: &[[f64; 2]], tol: f64, keep: &mut [bool], lo: usize, hi: usize) {
        if hi <= lo + 1 {
            return;
        }
        let (a, b) = (pts[lo], pts[hi]);
        let d = [b[0] - a[0], b[1] - a[1]];
        let len = d[0].hypot(d[1]);
        let mut worst = (0.0, lo);
        for (i, p) in pts.iter().enumerate().take(hi).skip(lo + 1) {
            let e = if len < 1e-12 {
                (p[0] - a[0]).hypot(p[1] - a[1])
            } else {
                ((p[0] - a[0]) * d[1] - (p[1] - a[1]) * d[0]).abs() / len
            };
            if e > worst.0 {
                worst = (e, i);
            }
        }
        if worst.0 > tol {
            keep[worst.1] = true;
            dp(pts, tol, keep, lo, worst.1);
            dp(pts, tol, keep, worst.1, hi);
        }
    }
    let max_points = max_points.max(2);
    let mut tol = 0.05;
    loop {
        if points.len() <= 2 {
            return points.to_vec();
        }
        let mut keep = vec![false; points.len()];
        keep[0] = true;
        let last = points.len() - 1;
        keep[last] = true;
        dp(points, tol, &mut keep, 0, last);
        let out: Vec<[f64; 2]> = points
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(p, _)| *p)
            .collect();
        if out.len() <= max_points {
            return out;
        }
        tol *= 2.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: [[f64; 2]; 4] = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];

    #[test]
    fn area_and_inside() {
        assert_eq!(polygon_area_m2(&SQUARE), 100.0);
        let cw: Vec<_> = SQUARE.iter().rev().copied().collect();
        assert_eq!(polygon_area_m2(&cw), -100.0);
        assert!(point_in_polygon([5.0, 5.0], &SQUARE));
        assert!(!point_in_polygon([15.0, 5.0], &SQUARE));
        assert!(!point_in_polygon([5.0, -0.1], &SQUARE));
        // A concave L shape: the notch is outside.
        let l = [
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 4.0],
            [4.0, 4.0],
            [4.0, 10.0],
            [0.0, 10.0],
        ];
        assert!(point_in_polygon([2.0, 8.0], &l));
        assert!(!point_in_polygon([8.0, 8.0], &l));
        assert_eq!(polygon_area_m2(&[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]), 0.0);
    }

    #[test]
    fn line_of_sight_past_a_building() {
        let b = |h| Footprint {
            outline: &SQUARE,
            height_m: h,
        };
        let e = |x, y, z| Enu::new(x, y, z);
        // Straight through the building.
        assert!(line_of_sight_blocked(
            e(-5.0, 5.0, 1.0),
            e(15.0, 5.0, 1.0),
            [b(None)]
        ));
        // Passing beside it.
        assert!(!line_of_sight_blocked(
            e(-5.0, 12.0, 1.0),
            e(15.0, 12.0, 1.0),
            [b(None)]
        ));
        // Over a 5 m building from a 10 m pole to a 6 m target: clear.
        assert!(!line_of_sight_blocked(
            e(-5.0, 5.0, 10.0),
            e(15.0, 5.0, 6.0),
            [b(Some(5.0))]
        ));
        // Down to a car behind it: the line enters the roof height too low.
        assert!(line_of_sight_blocked(
            e(-5.0, 5.0, 6.0),
            e(15.0, 5.0, 1.5),
            [b(Some(5.0))]
        ));
        // Seen from inside (a sensor on the building) with no height: blocked.
        assert!(line_of_sight_blocked(
            e(5.0, 5.0, 1.0),
            e(5.0, 20.0, 1.0),
            [b(None)]
        ));
    }

    #[test]
    fn stations_points_and_headings() {
        let p = Polyline::new(&[[0.0, 0.0], [10.0, 0.0], [10.0, 0.0], [10.0, 20.0]]).unwrap();
        assert_eq!(p.length_m(), 30.0);
        assert_eq!(p.points().len(), 3, "repeated point dropped");
        let q = p.at(15.0);
        assert!((q.position[0] - 10.0).abs() < 1e-12 && (q.position[1] - 5.0).abs() < 1e-12);
        assert!((q.yaw_rad - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
        assert_eq!(p.at(-3.0).position, [0.0, 0.0]);
        assert_eq!(p.at(99.0).position, [10.0, 20.0]);
        let pr = p.project([4.0, 1.5]);
        assert!((pr.station_m - 4.0).abs() < 1e-12);
        assert!((pr.lateral_m - 1.5).abs() < 1e-12, "left is positive");
        assert_eq!(pr.beyond_m, 0.0);
        let pr = p.project([11.0, 12.0]);
        assert!((pr.station_m - 22.0).abs() < 1e-12);
        assert!((pr.lateral_m + 1.0).abs() < 1e-12, "right is negative");
        let pr = p.project([-2.0, 0.0]);
        assert_eq!(pr.station_m, 0.0);
        assert_eq!(pr.beyond_m, -2.0);
        assert!(Polyline::new(&[[1.0, 1.0], [1.0, 1.0]]).is_none());
    }

    #[test]
    fn connector_is_smooth_and_meets_both_ends() {
        use std::f64::consts::FRAC_PI_2;
        // A left turn: heading north at (0,0), leaving west at (-10, 10).
        let c = smooth_connector(
            [0.0, 0.0],
            FRAC_PI_2,
            [-10.0, 10.0],
            std::f64::consts::PI,
            16,
        );
        assert_eq!(c.first(), Some(&[0.0, 0.0]));
        let last = c.last().unwrap();
        assert!((last[0] + 10.0).abs() < 1e-9 && (last[1] - 10.0).abs() < 1e-9);
        let path = Polyline::new(&c).unwrap();
        // Starts north, ends west, and turns monotonically (no kinks).
        assert!((path.at(0.0).yaw_rad - FRAC_PI_2).abs() < 0.1);
        assert!((wrap_pi(path.at(path.length_m()).yaw_rad - std::f64::consts::PI)).abs() < 0.1);
        let yaws: Vec<f64> = (0..c.len() - 1)
            .map(|i| (c[i + 1][1] - c[i][1]).atan2(c[i + 1][0] - c[i][0]))
            .collect();
        for w in yaws.windows(2) {
            let d = wrap_pi(w[1] - w[0]);
            assert!((0.0..0.3).contains(&d), "turn step {d}");
        }
        // Straight through: a straight line.
        let s = smooth_connector([0.0, 0.0], 0.0, [20.0, 0.0], 0.0, 8);
        assert!(s.iter().all(|p| p[1].abs() < 1e-12));
    }

    #[test]
    fn crosswalk_shapes() {
        let outline = buffer_outline(&[[0.0, 0.0], [10.0, 0.0]], 4.0);
        assert_eq!(outline.len(), 4);
        assert!((polygon_area_m2(&outline) - 40.0).abs() < 1e-9);
        let (axis, w) = principal_axis(&outline);
        assert!((w - 4.0).abs() < 1e-9);
        let len = (axis[1][0] - axis[0][0]).hypot(axis[1][1] - axis[0][1]);
        assert!((len - 10.0).abs() < 1e-9);
        assert!(axis.iter().all(|p| p[1].abs() < 1e-9));
    }

    #[test]
    fn simplify_keeps_shape_within_budget() {
        let arc: Vec<[f64; 2]> = (0..=100)
            .map(|i| {
                let a = i as f64 / 100.0 * std::f64::consts::FRAC_PI_2;
                [50.0 * a.cos(), 50.0 * a.sin()]
            })
            .collect();
        let s = simplify(&arc, 31);
        assert!(s.len() <= 31 && s.len() >= 3);
        assert_eq!(s.first(), arc.first());
        assert_eq!(s.last(), arc.last());
        let line = simplify(&[[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]], 31);
        assert_eq!(line, vec![[0.0, 0.0], [2.0, 0.0]]);
    }
}
