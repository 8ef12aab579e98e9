//! Roadside camera model. A real roadside camera does not report positions: its detector reports
//! pixel boxes with a class and a confidence. This module holds the geometry both ways: the box a
//! road user appears as (simulation) and the ground position, with a covariance, that a box
//! implies (ingest).
//!
//! Frames: the site frame is east-north-up in metres with the road plane at `z = ground_up_m`;
//! yaw is counter-clockwise from east. The camera frame is OpenCV's (x right, y down, z
//! forward). Pixel coordinates are continuous: the image spans `[0, width] × [0, height]`.

use nalgebra::{Matrix2, Matrix3, Vector2, Vector3};
use std::f64::consts::FRAC_PI_2;
use thiserror::Error;

/// Closest a point may be to the camera plane and still be projected, in metres.
const NEAR_M: f64 = 1e-3;
/// Segments per box edge when the lens bends straight edges, as the box extremes may lie
/// mid-edge (2 is within 0.2 px of 32 for a car at 8 m with k1 = −0.25).
const EDGE_SAMPLES: usize = 2;
/// Detector boxes shorter than this are unreliable; see [`Camera::sees`].
pub const MIN_BOX_HEIGHT_PX: f64 = 8.0;

#[derive(Debug, Clone, PartialEq, Error)]
#[error("camera: `{field}` {reason}")]
pub struct CameraError {
    pub field: &'static str,
    pub reason: &'static str,
}

fn fail<T>(field: &'static str, reason: &'static str) -> Result<T, CameraError> {
    Err(CameraError { field, reason })
}

fn check_finite<const N: usize>(names: [&'static str; N], v: [f64; N]) -> Result<(), CameraError> {
    match (0..N).find(|i| !v[*i].is_finite()) {
        Some(i) => fail(names[i], "must be finite"),
        None => Ok(()),
    }
}

/// Pinhole intrinsics with two-term radial (Brown–Conrady) distortion; `k1 = k2 = 0` is none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Intrinsics {
    pub fx: f64,
    pub fy: f64,
    pub cx: f64,
    pub cy: f64,
    pub width_px: u32,
    pub height_px: u32,
    pub k1: f64,
    pub k2: f64,
}

impl Intrinsics {
    pub fn validate(&self) -> Result<(), CameraError> {
        let (fx, fy, cx, cy, k1, k2) = (self.fx, self.fy, self.cx, self.cy, self.k1, self.k2);
        check_finite(
            ["fx", "fy", "cx", "cy", "k1", "k2"],
            [fx, fy, cx, cy, k1, k2],
        )?;
        let (w, h) = self.size();
        for (field, v) in [("width_px", w), ("height_px", h), ("fx", fx), ("fy", fy)] {
            if v <= 0.0 {
                return fail(field, "must be positive");
            }
        }
        for (field, c, size) in [("cx", cx, w), ("cy", cy, h)] {
            if !(0.0..=size).contains(&c) {
                return fail(field, "must be within the image");
            }
        }
        // Undistortion must be unique over the image: the farthest image corner must lie
        // before the radius where the distortion polynomial turns back.
        let rd_corner = (cx.max(w - cx) / fx).hypot(cy.max(h - cy) / fy);
        let r_fold = fold_radius(k1, k2);
        if r_fold.is_finite() && distort_radius(r_fold, k1, k2) <= rd_corner {
            let field = if k2 == 0.0 { "k1" } else { "k2" };
            return fail(field, "folds the image back on itself");
        }
        Ok(())
    }

    fn size(&self) -> (f64, f64) {
        (f64::from(self.width_px), f64::from(self.height_px))
    }

    fn has_distortion(&self) -> bool {
        self.k1 != 0.0 || self.k2 != 0.0
    }
}

/// Distorted radius of an undistorted normalised radius: `r (1 + k1 r² + k2 r⁴)`.
fn distort_radius(r: f64, k1: f64, k2: f64) -> f64 {
    r * (1.0 + r * r * (k1 + k2 * r * r))
}

/// Undistorted radius where the distortion polynomial stops increasing (∞ if it never does).
/// Beyond it a real lens sees nothing; the polynomial would fold those points into the image.
fn fold_radius(k1: f64, k2: f64) -> f64 {
    // d/dr [r (1 + k1 r² + k2 r⁴)] = 1 + 3 k1 s + 5 k2 s², s = r²: its smallest positive root.
    let roots = if k2 == 0.0 {
        [-1.0 / (3.0 * k1), f64::INFINITY]
    } else {
        let q = (9.0 * k1 * k1 - 20.0 * k2).sqrt(); // NaN (no root) if negative
        [(-3.0 * k1 - q) / (10.0 * k2), (-3.0 * k1 + q) / (10.0 * k2)]
    };
    let s = roots.into_iter().filter(|s| *s > 0.0);
    s.fold(f64::INFINITY, f64::min).sqrt()
}

/// Where the camera is and where it looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    pub east_m: f64,
    pub north_m: f64,
    pub up_m: f64,
    /// Boresight azimuth, counter-clockwise from east.
    pub yaw_rad: f64,
    /// Down-tilt of the boresight; positive looks down.
    pub pitch_rad: f64,
    /// Rotation about the boresight; positive dips the image's right side (clockwise seen
    /// from behind the camera).
    pub roll_rad: f64,
}

impl Pose {
    pub fn validate(&self) -> Result<(), CameraError> {
        let p = self;
        check_finite(
            [
                "east_m",
                "north_m",
                "up_m",
                "yaw_rad",
                "pitch_rad",
                "roll_rad",
            ],
            [
                p.east_m,
                p.north_m,
                p.up_m,
                p.yaw_rad,
                p.pitch_rad,
                p.roll_rad,
            ],
        )?;
        if !(p.pitch_rad > 0.0 && p.pitch_rad < FRAC_PI_2) {
            return fail("pitch_rad", "must be within (0, π/2), looking down");
        }
        if self.roll_rad.abs() >= FRAC_PI_2 {
            return fail("roll_rad", "must be within (−π/2, π/2)");
        }
        Ok(())
    }
}

/// A detector's box, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelBox {
    pub x_min: f64,
    pub y_min: f64,
    pub x_max: f64,
    pub y_max: f64,
}

impl PixelBox {
    pub fn validate(&self, intr: &Intrinsics) -> Result<(), CameraError> {
        let names = ["x_min", "y_min", "x_max", "y_max"];
        let (x0, y0, x1, y1) = (self.x_min, self.y_min, self.x_max, self.y_max);
        check_finite(names, [x0, y0, x1, y1])?;
        let (w, h) = intr.size();
        let inside = |i: usize, v: f64| (0.0..=[w, h][i % 2]).contains(&v);
        if let Some(i) = (0..4).find(|&i| !inside(i, [x0, y0, x1, y1][i])) {
            return fail(names[i], "must be within the image");
        }
        if x0 >= x1 {
            return fail("x_min", "must be less than x_max");
        }
        if y0 >= y1 {
            return fail("y_min", "must be less than y_max");
        }
        Ok(())
    }
}

/// What a roadside camera reports per object; the class type is the caller's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxDetection<C> {
    pub class: C,
    /// Detector score in [0, 1].
    pub confidence: f64,
    pub bbox: PixelBox,
}

impl<C> BoxDetection<C> {
    pub fn validate(&self, intr: &Intrinsics) -> Result<(), CameraError> {
        if !(0.0..=1.0).contains(&self.confidence) {
            return fail("confidence", "must be within [0, 1]");
        }
        self.bbox.validate(intr)
    }
}

/// Size of a road user's 3-D box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObjectSize {
    pub length_m: f64,
    pub width_m: f64,
    pub height_m: f64,
}

impl ObjectSize {
    pub const fn new(length_m: f64, width_m: f64, height_m: f64) -> Self {
        Self {
            length_m,
            width_m,
            height_m,
        }
    }

    fn dims(&self) -> [f64; 3] {
        [self.length_m, self.width_m, self.height_m]
    }
}

/// A class-typical size: the class mean and the standard deviation of each dimension over the
/// class (zero where known exactly), so that ingest can weigh how far a box may mislead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TypicalSize {
    pub mean: ObjectSize,
    pub sd: ObjectSize,
}

/// A box turned into a ground position; `cov` is in m², east then north.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroundMeasurement {
    pub east_m: f64,
    pub north_m: f64,
    pub cov: Matrix2<f64>,
}

/// Detection probability against distance: `pd0` up to `full_m`, then a smoothstep to 0 at
/// `max_range_m`, as boxes shrink toward what the detector can find. 0 for a NaN distance or
/// parameters out of order.
pub fn detection_probability(distance_m: f64, pd0: f64, full_m: f64, max_range_m: f64) -> f64 {
    let t = ((distance_m - full_m) / (max_range_m - full_m)).clamp(0.0, 1.0);
    let ordered = (0.0..max_range_m).contains(&full_m) && (0.0..=1.0).contains(&pd0);
    match ordered && t.is_finite() {
        true => pd0 * (1.0 - t * t * (3.0 - 2.0 * t)),
        false => 0.0,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Camera {
    intr: Intrinsics,
    pose: Pose,
    centre: Vector3<f64>,
    /// Rows are the camera's x (right), y (down) and z (forward) axes in ENU.
    enu_to_cam: Matrix3<f64>,
    r_fold: f64,
}

impl Camera {
    pub fn new(intr: Intrinsics, pose: Pose) -> Result<Self, CameraError> {
        intr.validate()?;
        pose.validate()?;
        let (sy, cy) = pose.yaw_rad.sin_cos();
        let (sp, cp) = pose.pitch_rad.sin_cos();
        let (sr, cr) = pose.roll_rad.sin_cos();
        let forward = Vector3::new(cp * cy, cp * sy, -sp);
        let right = Vector3::new(sy, -cy, 0.0);
        let down = Vector3::new(-sp * cy, -sp * sy, -cp);
        let rows = [right * cr + down * sr, down * cr - right * sr, forward];
        Ok(Self {
            intr,
            pose,
            centre: Vector3::new(pose.east_m, pose.north_m, pose.up_m),
            enu_to_cam: Matrix3::from_rows(&rows.map(|r| r.transpose())),
            r_fold: fold_radius(intr.k1, intr.k2),
        })
    }

    pub fn intrinsics(&self) -> &Intrinsics {
        &self.intr
    }

    pub fn pose(&self) -> &Pose {
        &self.pose
    }

    /// Pixel of an ENU point, distortion applied; it may fall outside the image. `None` behind
    /// the camera or beyond the lens model's fold.
    pub fn project(&self, p_enu: [f64; 3]) -> Option<[f64; 2]> {
        let pc = self.enu_to_cam * (Vector3::from(p_enu) - self.centre);
        (pc.z >= NEAR_M).then(|| self.project_cam(pc, false))?
    }

    /// Projection of a camera-frame point. With `extend`, beyond the fold the distorted radius
    /// keeps growing linearly, so such points land outside the image instead of folding back.
    fn project_cam(&self, pc: Vector3<f64>, extend: bool) -> Option<[f64; 2]> {
        let (x, y) = (pc.x / pc.z, pc.y / pc.z);
        let (r, k1, k2, fold) = (x.hypot(y), self.intr.k1, self.intr.k2, self.r_fold);
        let scale = if r <= fold {
            1.0 + r * r * (k1 + k2 * r * r)
        } else if extend {
            (distort_radius(fold, k1, k2) + (r - fold)) / r
        } else {
            return None;
        };
        let (i, px) = (&self.intr, [x * scale, y * scale]);
        let px = [i.fx * px[0] + i.cx, i.fy * px[1] + i.cy];
        px.iter().all(|v| v.is_finite()).then_some(px)
    }

    /// Undistorted radius of a distorted one: Newton's method kept inside a bisection bracket.
    fn undistort_radius(&self, rd: f64) -> Option<f64> {
        let (k1, k2) = (self.intr.k1, self.intr.k2);
        let g = |r: f64| distort_radius(r, k1, k2) - rd;
        let mut hi = self.r_fold.min(rd.max(1.0));
        while g(hi) < 0.0 && hi < self.r_fold.min(1e6) {
            hi = (hi * 2.0).min(self.r_fold);
        }
        if g(hi).is_nan() || g(hi) < 0.0 {
            return None; // beyond the fold: no ray of the lens lands there
        }
        let (mut lo, mut r) = (0.0, rd.min(hi));
        for _ in 0..100 {
            let f = g(r);
            if f.abs() <= 1e-15 * rd {
                break;
            }
            *(if f > 0.0 { &mut hi } else { &mut lo }) = r;
            let next = r - f / (1.0 + r * r * (3.0 * k1 + 5.0 * k2 * r * r));
            let mid = 0.5 * (lo + hi);
            r = if next > lo && next < hi { next } else { mid };
        }
        Some(r)
    }

    /// Unit ray in ENU through a pixel (distortion removed).
    pub fn pixel_ray(&self, px: [f64; 2]) -> Option<[f64; 3]> {
        let xd = (px[0] - self.intr.cx) / self.intr.fx;
        let yd = (px[1] - self.intr.cy) / self.intr.fy;
        let rd = xd.hypot(yd);
        let s = match rd {
            _ if !rd.is_finite() => return None,
            _ if rd > 0.0 && self.intr.has_distortion() => self.undistort_radius(rd)? / rd,
            _ => 1.0,
        };
        let ray = self.enu_to_cam.transpose() * Vector3::new(xd * s, yd * s, 1.0).normalize();
        Some(ray.into())
    }

    /// Where a pixel's ray meets the ground plane. `None` at or above the horizon, or when the
    /// camera is not above the plane.
    pub fn ground_point(&self, px: [f64; 2], ground_up_m: f64) -> Option<[f64; 2]> {
        let d = self.pixel_ray(px)?;
        let t = (ground_up_m - self.centre.z) / d[2];
        let p = [self.centre.x + t * d[0], self.centre.y + t * d[1]];
        (d[2] < -1e-9 && t > 0.0 && p.iter().all(|v| v.is_finite())).then_some(p)
    }

    /// The box a road user appears as: the image extent of its 3-D box (edges clipped at the
    /// camera plane; sampled when the lens bends them), clipped to the image. `None` if
    /// nothing of it is in the image.
    pub fn bounding_box(
        &self,
        centre: [f64; 2],
        yaw_rad: f64,
        size: &ObjectSize,
        ground_up_m: f64,
    ) -> Option<PixelBox> {
        let dims = size.dims();
        let inputs = [centre[0], centre[1], yaw_rad, ground_up_m];
        if !(dims.iter().all(|v| *v > 0.0) && dims.iter().chain(&inputs).all(|v| v.is_finite())) {
            return None;
        }
        let (s, c) = yaw_rad.sin_cos();
        let corners: [Vector3<f64>; 8] = std::array::from_fn(|i| {
            let half = |bit: usize, dim: f64| if i & bit == 0 { -0.5 * dim } else { 0.5 * dim };
            let (a, b) = (half(1, size.length_m), half(2, size.width_m));
            let z = ground_up_m + if i & 4 == 0 { 0.0 } else { size.height_m };
            let p = Vector3::new(centre[0] + a * c - b * s, centre[1] + a * s + b * c, z);
            self.enu_to_cam * (p - self.centre)
        });
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        let mut extend = |px: Option<[f64; 2]>| {
            for (j, v) in px.into_iter().flat_map(|p| p.into_iter().enumerate()) {
                (lo[j], hi[j]) = (lo[j].min(v), hi[j].max(v));
            }
        };
        let front = corners.iter().filter(|p| p.z >= NEAR_M);
        front.for_each(|p| extend(self.project_cam(*p, true)));
        // Straight edges wholly in front of the camera: the corners' extent is the box.
        // Otherwise add where edges cross the near plane, and points along bent edges.
        let straight = !self.intr.has_distortion();
        let samples = if straight { 1 } else { EDGE_SAMPLES };
        if !(straight && corners.iter().all(|p| p.z >= NEAR_M)) {
            for i in 0..8 {
                for bit in [1, 2, 4].into_iter().filter(|bit| i & bit == 0) {
                    let (mut p, mut q) = (corners[i], corners[i | bit]);
                    let (p_cut, q_cut) = (p.z < NEAR_M, q.z < NEAR_M);
                    if p_cut && q_cut {
                        continue;
                    } else if p_cut {
                        p += (q - p) * ((NEAR_M - p.z) / (q.z - p.z));
                    } else if q_cut {
                        q += (p - q) * ((NEAR_M - q.z) / (p.z - q.z));
                    }
                    for k in usize::from(!p_cut)..=samples - usize::from(!q_cut) {
                        extend(self.project_cam(p + (q - p) * (k as f64 / samples as f64), true));
                    }
                }
            }
        }
        let (w, h) = self.intr.size();
        let (x_min, y_min) = (lo[0].max(0.0), lo[1].max(0.0));
        let (x_max, y_max) = (hi[0].min(w), hi[1].min(h));
        (x_min < x_max && y_min < y_max).then_some(PixelBox {
            x_min,
            y_min,
            x_max,
            y_max,
        })
    }

    /// Whether a ground point is in the image and an object `height_m` tall standing there would
    /// appear at least `min_px` tall (e.g. [`MIN_BOX_HEIGHT_PX`]): beyond that range detectors
    /// miss it, whatever the geometry says.
    pub fn sees(&self, ground_en: [f64; 2], ground_up_m: f64, height_m: f64, min_px: f64) -> bool {
        let ([e, n], (w, h)) = (ground_en, self.intr.size());
        let foot = self.project([e, n, ground_up_m]);
        match (foot, self.project([e, n, ground_up_m + height_m])) {
            (Some(f), Some(t)) => {
                (0.0..=w).contains(&f[0])
                    && (0.0..=h).contains(&f[1])
                    && (f[0] - t[0]).hypot(f[1] - t[1]) >= min_px
                    && self.centre.z > ground_up_m
            }
            _ => false,
        }
    }

    /// Ingest: the ground position of a road user from its box, given its class-typical size.
    ///
    /// The bottom-centre of the box is the ground contact of the road user's nearest side; its
    /// ray meets the road plane at the contact point, whose covariance is the pixel noise
    /// carried through that back-projection (it grows roughly with the square of the distance
    /// over the mounting height). The centre lies beyond the contact by half the footprint's
    /// depth along the ray, `(L |cos φ| + W |sin φ|) / 2` for the unknown heading φ relative to
    /// the ray. The box's width, back-projected at the contact's depth, measures the
    /// footprint's extent across the ray, `L |sin φ| + W |cos φ|`; weighing a grid of φ by how
    /// well each explains that width gives the expected half-depth and its variance, which is
    /// added along the ray (with the class's size spread). Closed form and a handful of ray
    /// casts, so a camera's whole frame costs microseconds. Returns `None` for an invalid box
    /// or inputs, or a box whose bottom is at or above the horizon.
    pub fn box_to_ground(
        &self,
        b: &PixelBox,
        size: &TypicalSize,
        sigma_px: f64,
        ground_up_m: f64,
    ) -> Option<GroundMeasurement> {
        b.validate(&self.intr).ok()?;
        let (mean, sd) = (size.mean, size.sd);
        let dims_ok = mean.dims().iter().all(|v| v.is_finite() && *v > 0.0)
            && sd.dims().iter().all(|v| v.is_finite() && *v >= 0.0);
        if !(dims_ok && sigma_px.is_finite() && sigma_px > 0.0 && ground_up_m.is_finite()) {
            return None;
        }
        let (u, v) = (0.5 * (b.x_min + b.x_max), b.y_max);
        let ground = |px: [f64; 2]| self.ground_point(px, ground_up_m).map(Vector2::from);
        let contact = ground([u, v])?;
        let ray = contact - self.centre.xy();
        let along = match ray.norm() > 1e-6 {
            true => ray / ray.norm(),
            false => Vector2::new(self.pose.yaw_rad.cos(), self.pose.yaw_rad.sin()),
        };
        let across = Vector2::new(-along.y, along.x);
        // Pixel noise through the back-projection: central differences of the ground point.
        let step = sigma_px.max(0.5);
        let d_du = (ground([u + step, v])? - ground([u - step, v])?) / (2.0 * step);
        let d_dv = (ground([u, v + step])? - ground([u, v - step])?) / (2.0 * step);
        // The centre column is the mean of two edges, so its noise is σ/√2.
        let mut cov = d_du * d_du.transpose() * (0.5 * sigma_px * sigma_px)
            + d_dv * d_dv.transpose() * (sigma_px * sigma_px);
        // Width across the ray at the contact's depth; its noise from both edges' noise.
        let metres_per_px = d_du.dot(&across).abs();
        let width_obs = (b.x_max - b.x_min) * metres_per_px;
        let width_var = 2.0 * (sigma_px * metres_per_px).powi(2)
            + (WIDTH_MODEL_ERROR * mean.width_m).powi(2)
            + sd.length_m.powi(2) * 0.5
            + sd.width_m.powi(2);
        let (mut w_sum, mut h_sum, mut h2_sum) = (0.0, 0.0, 0.0);
        for k in 0..=HEADING_GRID {
            let phi = FRAC_PI_2 * k as f64 / HEADING_GRID as f64;
            let (s, c) = phi.sin_cos();
            let across_m = mean.length_m * s + mean.width_m * c;
            let half_depth = 0.5 * (mean.length_m * c + mean.width_m * s);
            // Trapezoid weights on the uniform prior over φ.
            let end = if k == 0 || k == HEADING_GRID {
                0.5
            } else {
                1.0
            };
            let w = end * (-0.5 * (width_obs - across_m).powi(2) / width_var).exp();
            w_sum += w;
            h_sum += w * half_depth;
            h2_sum += w * half_depth * half_depth;
        }
        if w_sum.is_nan() || w_sum <= 0.0 {
            return None;
        }
        let half_depth = h_sum / w_sum;
        // Spread over headings, plus what the class's size spread does to a half-depth.
        let depth_var = (h2_sum / w_sum - half_depth * half_depth).max(0.0)
            + 0.25 * (sd.length_m.powi(2) + sd.width_m.powi(2)) * 0.5;
        cov += along * along.transpose() * depth_var;
        // The box centre is the silhouette's, not the footprint's: perspective shifts it, more
        // for a long, tall object seen close.
        let lateral_sd = PERSPECTIVE_SHIFT * mean.length_m.max(mean.width_m) * mean.height_m
            / ray.norm().max(1.0);
        let lateral_var = lateral_sd.powi(2) + (LATERAL_FLOOR * mean.width_m).powi(2);
        cov += across * across.transpose() * lateral_var;
        let centre = contact + along * half_depth;
        let cov = (cov + cov.transpose()) * 0.5;
        let finite = centre.iter().chain(cov.iter()).all(|v| v.is_finite());
        (finite && cov[(0, 0)] > 0.0 && cov.determinant() > 0.0).then_some(GroundMeasurement {
            east_m: centre.x,
            north_m: centre.y,
            cov,
        })
    }
}

/// Steps of the heading grid over a quarter turn (the half-depth and the width across the ray
/// are symmetric in φ → −φ and φ → π − φ).
const HEADING_GRID: usize = 16;
/// How far the box's width may differ from the footprint's extent across the ray (the top of
/// a tall object widens the silhouette), as a fraction of the class width.
const WIDTH_MODEL_ERROR: f64 = 0.3;
/// Standard deviation of the shift between the box's centre column and the footprint's centre,
/// times distance over length × height (m⁻¹ · m): measured over random headings, 10–90 m.
const PERSPECTIVE_SHIFT: f64 = 0.38;
/// The part of that shift that does not fade with distance, as a fraction of the width.
const LATERAL_FLOOR: f64 = 0.03;

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    const CAR: ObjectSize = ObjectSize::new(4.6, 1.8, 1.5);
    const EXACT: ObjectSize = ObjectSize::new(0.0, 0.0, 0.0);
    const CAR_EXACT: TypicalSize = TypicalSize {
        mean: CAR,
        sd: EXACT,
    };

    /// 1920×1080, f = 1400 px; 6 m up at the origin, looking north, 20° down.
    fn cam_with(k1: f64, k2: f64, f: f64, roll_rad: f64) -> Result<Camera, CameraError> {
        let (fx, fy, cx, cy, width_px, height_px) = (f, f, 960.0, 540.0, 1920, 1080);
        let intr = Intrinsics {
            fx,
            fy,
            cx,
            cy,
            width_px,
            height_px,
            k1,
            k2,
        };
        let (east_m, north_m, up_m, yaw_rad, pitch_rad) =
            (0.0, 0.0, 6.0, FRAC_PI_2, 20f64.to_radians());
        Camera::new(
            intr,
            Pose {
                east_m,
                north_m,
                up_m,
                yaw_rad,
                pitch_rad,
                roll_rad,
            },
        )
    }

    fn cam(k1: f64, k2: f64) -> Camera {
        cam_with(k1, k2, 1400.0, 0.0).unwrap()
    }

    /// SplitMix64 with Box–Muller, so the tests need nothing beyond this module.
    struct Rng(u64);
    impl Rng {
        fn uniform(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        }
        fn normal(&mut self) -> f64 {
            let u = 1.0 - self.uniform();
            (-2.0 * u.ln()).sqrt() * (2.0 * PI * self.uniform()).cos()
        }
        /// Mostly uniform in [lo, hi), sometimes NaN, ±∞ or huge.
        fn any(&mut self, lo: f64, hi: f64) -> f64 {
            let specials = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1e300, 1e300];
            let pick = (self.uniform() * 80.0) as usize;
            let v = lo + (hi - lo) * self.uniform();
            specials.get(pick).copied().unwrap_or(v)
        }
    }

    /// Ground point at a range and bearing (from the boresight, positive left) of the camera.
    fn at(range_m: f64, bearing_deg: f64) -> [f64; 2] {
        let a = FRAC_PI_2 + bearing_deg.to_radians();
        [range_m * a.cos(), range_m * a.sin()]
    }

    fn dist(p: [f64; 2], q: [f64; 2]) -> f64 {
        (p[0] - q[0]).hypot(p[1] - q[1])
    }

    #[test]
    fn hand_computed_projection() {
        let c = cam_with(0.0, 0.0, 1000.0, 0.0).unwrap();
        // Point 20 m north on the ground, seen from 6 m up: depression
        // atan(6/20) = 16.699°, 3.301° above the boresight: v = 540 − 1000·tan(3.301°) = 482.32.
        // In the camera frame: Z = 20·cos20° + 6·sin20° = 18.7939 + 2.0521 = 20.8460,
        // Y = −20·sin20° + 6·cos20° = −6.8404 + 5.6382 = −1.2022, v = 540 + 1000·Y/Z = 482.33.
        // 5 m east of it: X = 5, u = 960 + 1000·5/20.8460 = 1199.85.
        assert!(dist(c.project([0.0, 20.0, 0.0]).unwrap(), [960.0, 482.33]) < 0.01);
        assert!(dist(c.project([5.0, 20.0, 0.0]).unwrap(), [1199.85, 482.33]) < 0.01);
        assert!(dist(c.ground_point([960.0, 482.33], 0.0).unwrap(), [0.0, 20.0]) < 0.01);
        assert_eq!(c.project([0.0, -20.0, 0.0]), None, "behind the camera");
        assert_eq!(c.ground_point([960.0, 100.0], 0.0), None, "sky");
    }

    #[test]
    fn ground_round_trips() {
        let rolled = cam_with(-0.1, 0.02, 1400.0, 0.05).unwrap();
        let plain = [(0.0, 0.0), (-0.1, 0.02), (-0.2, 0.0), (0.1, 0.0)].map(|(k1, k2)| cam(k1, k2));
        for c in plain.into_iter().chain([rolled]) {
            let (mut n, mut worst_px, mut worst_m) = (0, 0.0f64, 0.0f64);
            for (i, j) in (0..=48).flat_map(|i| (0..=27).map(move |j| (i, j))) {
                let px = [i as f64 * 40.0, j as f64 * 40.0];
                let Some(g) = c.ground_point(px, 0.0) else {
                    continue;
                };
                let back = c.project([g[0], g[1], 0.0]).unwrap();
                worst_px = worst_px.max(dist(back, px));
                if g[0].hypot(g[1]) < 1000.0 {
                    worst_m = worst_m.max(dist(c.ground_point(back, 0.0).unwrap(), g));
                    n += 1;
                }
            }
            let (k1, k2) = (c.intr.k1, c.intr.k2);
            println!("k1 {k1} k2 {k2}: {n} points, {worst_px:.1e} px, {worst_m:.1e} m");
            assert!(n > 400 && worst_px < 1e-6 && worst_m < 1e-3);
        }
    }

    #[test]
    fn noise_free_boxes_contain_and_give_the_centre() {
        for c in [cam(0.0, 0.0), cam(-0.1, 0.02)] {
            for range in (10..=80).step_by(10) {
                let (mut sq, mut n, mut worst) = (0.0, 0, 0.0f64);
                for k in 0..72 {
                    let (bearing, yaw) = (k / 24 * 15 - 15, (k % 24) as f64 * PI / 12.0);
                    let g = at(range as f64, bearing as f64);
                    let b = c.bounding_box(g, yaw, &CAR, 0.0).unwrap();
                    let p = c.project([g[0], g[1], 0.0]).unwrap();
                    assert!(b.x_min < p[0] && p[0] < b.x_max && b.y_min < p[1] && p[1] < b.y_max);
                    let m = c.box_to_ground(&b, &CAR_EXACT, 0.5, 0.0).unwrap();
                    let err = dist([m.east_m, m.north_m], g);
                    (sq, n, worst) = (sq + err * err, n + 1, worst.max(err));
                }
                let rms = (sq / n as f64).sqrt();
                println!("{range} m: noise-free error rms {rms:.3} m, worst {worst:.3} m");
                // What is left is the heading a box cannot pin down; it never exceeds the
                // half-length of the car.
                assert!(rms < 0.5 && worst < 0.5 * CAR.length_m, "{range} m");
            }
            assert_eq!(c.bounding_box([0.0, -30.0], 0.0, &CAR, 0.0), None, "behind");
            assert_eq!(c.bounding_box([200.0, 30.0], 0.0, &CAR, 0.0), None, "aside");
        }
    }

    /// Two-sided 99 % band of the mean of `n` χ²(2) draws (Wilson–Hilferty).
    fn nees_band(n: usize) -> (f64, f64) {
        let k = 2.0 * n as f64;
        let q = |z: f64| k * (1.0 - 2.0 / (9.0 * k) + z * (2.0 / (9.0 * k)).sqrt()).powi(3);
        (q(-2.576) / n as f64, q(2.576) / n as f64)
    }

    /// Mean NEES over 1000 noisy boxes (1 px) of road users at a range, each with a heading
    /// and bearing (±15°) drawn at random, and a size drawn from the class; and the mean
    /// covariance.
    fn nees_at(range: f64, typ: &TypicalSize, seed: u64) -> (f64, Matrix2<f64>) {
        let (c, mut rng, mut nees, mut mean_cov) =
            (cam(0.0, 0.0), Rng(seed), 0.0, Matrix2::zeros());
        const N: usize = 1000;
        for _ in 0..N {
            let g = at(range, 30.0 * (rng.uniform() - 0.5));
            let yaw = 2.0 * PI * rng.uniform();
            let mut t = typ.mean.dims();
            (0..3).for_each(|i| t[i] += typ.sd.dims()[i] * rng.normal());
            let truth = ObjectSize::new(t[0], t[1], t[2]);
            let mut b = c.bounding_box(g, yaw, &truth, 0.0).unwrap();
            for v in [&mut b.x_min, &mut b.x_max, &mut b.y_min, &mut b.y_max] {
                *v += rng.normal();
            }
            let m = c.box_to_ground(&b, typ, 1.0, 0.0).unwrap();
            let e = Vector2::new(m.east_m - g[0], m.north_m - g[1]);
            nees += (e.transpose() * m.cov.try_inverse().unwrap() * e)[0] / N as f64;
            mean_cov += m.cov / N as f64;
        }
        (nees, mean_cov)
    }

    #[test]
    fn covariance_matches_monte_carlo_scatter() {
        // The estimator averages over the heading a box cannot pin down, so it is calibrated
        // over headings, not for each one: NEES is taken over random headings. Up close the
        // perspective terms are conservative (NEES ~1.6 at 10–20 m), so the band's lower end
        // is relaxed there. The band is widened by 15 % either way for the linearisation and
        // the model-error terms.
        let (lo, hi) = nees_band(1000);
        let (lo, hi) = (0.85 * lo, 1.15 * hi);
        let spread = ObjectSize::new(0.4, 0.1, 0.15);
        for sd in [EXACT, spread] {
            let typ = TypicalSize { mean: CAR, sd };
            let mut last = Matrix2::zeros();
            for (i, range) in [20.0, 50.0, 90.0].into_iter().enumerate() {
                let (nees, cov) = nees_at(range, &typ, 7 + i as u64);
                let sd_m = cov.symmetric_eigenvalues().map(f64::sqrt);
                println!("{range} m, {:?}: NEES {nees:.2}, sd {sd_m:.3?}", typ.sd);
                let floor = if range < 50.0 { 0.8 * lo } else { lo };
                assert!(nees > floor && nees < hi, "{nees} not in [{floor}, {hi}]");
                let grew = cov.symmetric_eigenvalues().max() > last.symmetric_eigenvalues().max();
                assert!(grew, "covariance grows with distance");
                last = cov;
            }
        }
    }

    #[test]
    fn visibility_and_detection_probability() {
        let c = cam(0.0, 0.0);
        let sees = |e: f64, n: f64, ground: f64| c.sees([e, n], ground, 1.5, MIN_BOX_HEIGHT_PX);
        // A 1.5 m object is ~1400·1.5/100 = 21 px tall at 100 m, ~7 px at 300 m.
        assert!(sees(0.0, 100.0, 0.0) && !sees(0.0, 300.0, 0.0));
        // Below the image, behind, aside, camera below the road.
        assert!(!sees(0.0, 3.0, 0.0) && !sees(0.0, -20.0, 0.0) && !sees(60.0, 20.0, 0.0));
        assert!(!sees(0.0, 20.0, 7.0));
        let pd = |d: f64| detection_probability(d, 0.95, 60.0, 160.0);
        let pds = [pd(-1.0), pd(60.0), pd(160.0), pd(1e9), pd(f64::NAN)];
        assert_eq!(pds, [0.95, 0.95, 0.0, 0.0, 0.0]);
        assert!((pd(110.0) - 0.475).abs() < 1e-12);
        assert_eq!(
            detection_probability(1.0, 0.9, 50.0, 40.0),
            0.0,
            "out of order"
        );
        assert!((0..200).all(|d| pd(d as f64 + 1.0) <= pd(d as f64)));
    }

    type Spoil<T> = (&'static str, fn(&mut T));

    /// Copies of `good`, each spoiled by one case, with the field the error should name.
    fn spoiled<T: Copy>(good: T, cases: &[Spoil<T>]) -> impl Iterator<Item = (&str, T)> + '_ {
        cases.iter().map(move |(name, spoil)| {
            let mut v = good;
            spoil(&mut v);
            (*name, v)
        })
    }

    #[test]
    fn invalid_inputs_name_the_field() {
        let field = |r: Result<Camera, CameraError>| r.map_err(|e| e.field).err();
        let bad = |k1, k2, f, roll| field(cam_with(k1, k2, f, roll));
        assert_eq!(bad(0.0, 0.0, f64::NAN, 0.0), Some("fx"));
        assert_eq!(bad(0.0, 0.0, -1400.0, 0.0), Some("fx"));
        assert_eq!(
            bad(-0.3, 0.0, 1400.0, 0.0),
            Some("k1"),
            "folds in the image"
        );
        assert_eq!(bad(0.0, -0.5, 1400.0, 0.0), Some("k2"));
        assert_eq!(bad(0.0, f64::INFINITY, 1400.0, 0.0), Some("k2"));
        assert_eq!(bad(0.0, 0.0, 1400.0, 2.0), Some("roll_rad"));
        let good = cam(0.0, 0.0);
        let intr: [Spoil<Intrinsics>; 4] = [
            ("fy", |i| i.fy = 0.0),
            ("cx", |i| i.cx = -5.0),
            ("width_px", |i| i.width_px = 0),
            ("height_px", |i| i.height_px = 0),
        ];
        for (name, i) in spoiled(good.intr, &intr) {
            assert_eq!(field(Camera::new(i, good.pose)), Some(name));
        }
        let pose: [Spoil<Pose>; 5] = [
            ("east_m", |p| p.east_m = f64::NAN),
            ("up_m", |p| p.up_m = f64::INFINITY),
            ("pitch_rad", |p| p.pitch_rad = 0.0),
            ("pitch_rad", |p| p.pitch_rad = -0.1),
            ("pitch_rad", |p| p.pitch_rad = FRAC_PI_2),
        ];
        for (name, p) in spoiled(good.pose, &pose) {
            assert_eq!(field(Camera::new(good.intr, p)), Some(name));
        }
        let b = good.bounding_box([0.0, 30.0], 0.0, &CAR, 0.0).unwrap();
        let boxes: [Spoil<PixelBox>; 6] = [
            ("x_min", |b| b.x_min = f64::NAN),
            ("x_min", |b| b.x_min = -1.0),
            ("y_max", |b| b.y_max = 1081.0),
            ("x_min", |b| (b.x_min, b.x_max) = (b.x_max, b.x_min)),
            ("y_min", |b| b.y_min = b.y_max),
            ("x_max", |b| b.x_max = f64::INFINITY),
        ];
        for (name, bad) in spoiled(b, &boxes) {
            assert_eq!(bad.validate(&good.intr).map_err(|e| e.field), Err(name));
            assert!(good.box_to_ground(&bad, &CAR_EXACT, 1.0, 0.0).is_none());
        }
        let (class, confidence, bbox) = ("car", 1.5, b);
        let det = BoxDetection {
            class,
            confidence,
            bbox,
        }
        .validate(&good.intr);
        assert_eq!(det.map_err(|e| e.field), Err("confidence"));
        let e = cam_with(0.0, 0.0, -1.0, 0.0).unwrap_err().to_string();
        assert_eq!(e, "camera: `fx` must be positive");
        let mean = ObjectSize::new(4.6, f64::NAN, 1.5);
        let bad_size = TypicalSize { mean, sd: EXACT };
        assert!(good.box_to_ground(&b, &bad_size, 1.0, 0.0).is_none());
        assert!(
            good.box_to_ground(&b, &CAR_EXACT, -1.0, 0.0).is_none(),
            "sigma"
        );
        assert!(
            good.box_to_ground(&b, &CAR_EXACT, 1.0, 6.0).is_none(),
            "ground"
        );
    }

    #[test]
    fn never_panics_on_random_input() {
        let (mut r, mut built, mut measured) = (Rng(99), 0, 0);
        for _ in 0..3000 {
            let (k1, k2, f) = (r.any(-0.5, 0.5), r.any(-0.3, 0.3), r.any(-10.0, 3e3));
            let Ok(c) = cam_with(k1, k2, f, r.any(-1.0, 1.0)) else {
                continue;
            };
            let (mut intr, mut pose) = (c.intr, c.pose);
            (intr.cx, intr.width_px) = (r.any(-10.0, 2e3), (r.uniform() * 2e3) as u32);
            (pose.up_m, pose.yaw_rad) = (r.any(-5.0, 30.0), r.any(-7.0, 7.0));
            pose.pitch_rad = r.any(-0.5, 2.0);
            let Ok(c) = Camera::new(intr, pose) else {
                continue;
            };
            built += 1;
            let (ground, px) = (r.any(-5.0, 5.0), [r.any(-1e3, 3e3), r.any(-1e3, 3e3)]);
            let _ = (c.project([px[0], px[1], 0.0]), c.ground_point(px, ground));
            // Mostly somewhere the camera sees, to reach the deeper paths.
            let seen = c.ground_point([r.any(0.0, 2e3), r.any(0.0, 1e3)], ground);
            let centre = seen.unwrap_or(px);
            let _ = c.sees(centre, ground, r.any(-1.0, 4.0), r.any(-1.0, 20.0));
            let size = ObjectSize::new(r.any(-1.0, 12.0), r.any(-1.0, 3.0), r.any(-1.0, 4.0));
            let sd = ObjectSize::new(r.any(-0.1, 1.0), 0.1, 0.1);
            let (typ, sigma) = (TypicalSize { mean: size, sd }, r.any(-1.0, 3.0));
            let Some(mut b) = c.bounding_box(centre, r.any(-7.0, 7.0), &size, ground) else {
                continue;
            };
            assert!(b.validate(&c.intr).is_ok());
            measured += usize::from(c.box_to_ground(&b, &typ, sigma, ground).is_some());
            let edges = [&mut b.x_min, &mut b.y_min, &mut b.x_max, &mut b.y_max];
            if let Some(edge) = edges.into_iter().nth((r.uniform() * 6.0) as usize) {
                *edge = r.any(-1e3, 3e3);
            }
            let _ = c.box_to_ground(&b, &typ, sigma, ground);
        }
        println!("{built} cameras built, {measured} boxes measured");
        assert!(built > 300 && measured > 30);
    }
}
