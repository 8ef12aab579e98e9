//! Transition models in the site plane (Stone Soup: transition model).
//!
//! Every model shares one state, `[x, y, vx, vy, ω]` (the Cartesian coordinated-turn form), so
//! an interacting-multiple-model filter can mix their estimates without converting between
//! state spaces:
//! - [`Motion::ConstantVelocity`]: straight at constant speed, with white-noise acceleration.
//!   Its turn rate is pinned to zero, so mixing pulls a straight-driving track's ω to zero.
//! - [`Motion::CoordinatedTurn`]: constant speed on a circle of turn rate ω, which is itself
//!   a random walk. Non-linear in ω, hence predicted with its Jacobian (EKF).
//!
//! Both take `dt` per call, and their noise is the continuous form integrated over the
//! interval, so uneven scan spacing does not change the result.

use nalgebra::{SMatrix, SVector};

/// `[x, y, vx, vy, ω]`: site-frame east/north in metres, metres per second, and the turn rate
/// in radians per second (counter-clockwise positive).
pub type State = SVector<f64, 5>;
/// Covariance of a [`State`].
pub type StateCov = SMatrix<f64, 5, 5>;

/// A motion model and its noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Motion {
    /// White-noise acceleration of spectral density `accel_psd` (m²/s³) on each axis.
    ConstantVelocity { accel_psd: f64 },
    /// White-noise acceleration `accel_psd` plus a turn-rate random walk of spectral density
    /// `turn_psd` (rad²/s³).
    CoordinatedTurn { accel_psd: f64, turn_psd: f64 },
}

impl Motion {
    /// The state after `dt` seconds and the Jacobian of that map at `x` (F itself for CV).
    pub fn transition(&self, x: &State, dt: f64) -> (State, StateCov) {
        match self {
            Motion::ConstantVelocity { .. } => {
                let f = cv_transition(dt);
                (f * x, f)
            }
            Motion::CoordinatedTurn { .. } => ct_transition(x, dt),
        }
    }

    /// Process noise over `dt`.
    pub fn noise(&self, dt: f64) -> StateCov {
        match *self {
            Motion::ConstantVelocity { accel_psd } => process_noise(dt, accel_psd),
            Motion::CoordinatedTurn {
                accel_psd,
                turn_psd,
            } => {
                let mut q = process_noise(dt, accel_psd);
                q[(4, 4)] = turn_psd * dt;
                q
            }
        }
    }

    /// Predicts mean and covariance over `dt >= 0` (EKF: the covariance through the Jacobian).
    pub fn predict(&self, x: &State, p: &StateCov, dt: f64) -> (State, StateCov) {
        let (x, f) = self.transition(x, dt);
        let p = f * p * f.transpose() + self.noise(dt);
        (x, (p + p.transpose()) * 0.5)
    }
}

/// Constant velocity over `dt`; the turn rate goes to zero.
pub fn cv_transition(dt: f64) -> StateCov {
    let mut f = StateCov::identity();
    f[(0, 2)] = dt;
    f[(1, 3)] = dt;
    f[(4, 4)] = 0.0;
    f
}

/// Coordinated turn over `dt`: the velocity rotates by ω·dt, the position follows the arc.
/// Returns the new state and the Jacobian at `x`. Near ω = 0 the closed form divides by a
/// vanishing ω, so series expansions take over below 1e-4 rad/s.
pub fn ct_transition(x: &State, dt: f64) -> (State, StateCov) {
    let (vx, vy, w) = (x[2], x[3], x[4]);
    let (s, c) = (w * dt).sin_cos();
    // a = sin(ωT)/ω, b = (1 − cos ωT)/ω, and their derivatives in ω.
    let (a, b, da, db) = if w.abs() < 1e-4 {
        let (t2, t3, t4) = (dt * dt, dt.powi(3), dt.powi(4));
        (
            dt - w * w * t3 / 6.0,
            w * t2 / 2.0 - w.powi(3) * t4 / 24.0,
            -w * t3 / 3.0,
            t2 / 2.0 - w * w * t4 / 8.0,
        )
    } else {
        (
            s / w,
            (1.0 - c) / w,
            (dt * c * w - s) / (w * w),
            (dt * s * w - (1.0 - c)) / (w * w),
        )
    };
    let next = State::new(
        x[0] + a * vx - b * vy,
        x[1] + b * vx + a * vy,
        c * vx - s * vy,
        s * vx + c * vy,
        w,
    );
    #[rustfmt::skip]
    let f = StateCov::new(
        1.0, 0.0, a, -b, da * vx - db * vy,
        0.0, 1.0, b, a, db * vx + da * vy,
        0.0, 0.0, c, -s, -dt * (s * vx + c * vy),
        0.0, 0.0, s, c, dt * (c * vx - s * vy),
        0.0, 0.0, 0.0, 0.0, 1.0,
    );
    (next, f)
}

/// Process noise over `dt` for white-noise acceleration of power spectral density `accel_psd`
/// (m²/s³) on each axis, none on the turn rate.
pub fn process_noise(dt: f64, accel_psd: f64) -> StateCov {
    per_axis(dt.powi(3) / 3.0, dt.powi(2) / 2.0, dt) * accel_psd
}

/// The same `[[pos, cross], [cross, vel]]` block on both axes, none between them or on ω.
#[rustfmt::skip]
pub(crate) fn per_axis(pos: f64, cross: f64, vel: f64) -> StateCov {
    StateCov::new(
        pos, 0.0, cross, 0.0, 0.0,
        0.0, pos, 0.0, cross, 0.0,
        cross, 0.0, vel, 0.0, 0.0,
        0.0, cross, 0.0, vel, 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(a, b)| (a - b).abs() < tol)
    }

    #[test]
    fn cv_prediction_does_not_depend_on_how_the_interval_is_split() {
        let m = Motion::ConstantVelocity { accel_psd: 0.7 };
        let p = StateCov::from_diagonal(&State::new(1.0, 2.0, 3.0, 4.0, 0.0));
        let x = State::new(1.0, 2.0, 3.0, 4.0, 0.0);
        let (x1, p1) = m.predict(&x, &p, 0.04);
        let (x2, p2) = m.predict(&x1, &p1, 0.06);
        let (x3, p3) = m.predict(&x, &p, 0.1);
        assert!((x2 - x3).abs().max() < 1e-12 && (p2 - p3).abs().max() < 1e-12);
    }

    #[test]
    fn cv_matches_hand_computation() {
        let m = Motion::ConstantVelocity { accel_psd: 3.0 };
        let (x, p) = m.predict(
            &State::new(0.0, 0.0, 1.0, 2.0, 0.3),
            &StateCov::identity(),
            2.0,
        );
        assert!(close(x.as_slice(), &[2.0, 4.0, 1.0, 2.0, 0.0], 1e-12));
        // F P Fᵀ per axis: [[1+4, 2], [2, 1]]; Q per axis with q=3, dt=2: [[8, 6], [6, 6]].
        let want = per_axis(13.0, 8.0, 7.0);
        assert!(close(p.as_slice(), want.as_slice(), 1e-12), "{p}");
    }

    #[test]
    fn ct_matches_hand_computation() {
        // A quarter circle: 10 m/s east turning left at π/2 rad/s for 1 s, radius 20/π m.
        let w = std::f64::consts::FRAC_PI_2;
        let (x, _) = ct_transition(&State::new(0.0, 0.0, 10.0, 0.0, w), 1.0);
        let r = 10.0 / w;
        assert!(close(x.as_slice(), &[r, r, 0.0, 10.0, w], 1e-12), "{x}");
        // Turn rate zero: a straight line, the series branch.
        let (x, _) = ct_transition(&State::new(1.0, 1.0, 3.0, 4.0, 0.0), 2.0);
        assert!(
            close(x.as_slice(), &[7.0, 9.0, 3.0, 4.0, 0.0], 1e-12),
            "{x}"
        );
        // Noise: the CV block plus the turn-rate random walk.
        let m = Motion::CoordinatedTurn {
            accel_psd: 3.0,
            turn_psd: 0.5,
        };
        let q = m.noise(2.0);
        assert!((q[(0, 0)] - 8.0).abs() < 1e-12 && (q[(4, 4)] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn ct_jacobian_matches_finite_differences() {
        for x in [
            State::new(1.0, -2.0, 8.0, 3.0, 0.4),
            State::new(0.0, 0.0, -5.0, 6.0, -1e-6),
            State::new(0.0, 0.0, 5.0, 1.0, 2e-3),
        ] {
            let (_, f) = ct_transition(&x, 0.3);
            for j in 0..5 {
                let h = 1e-6;
                let mut up = x;
                up[j] += h;
                let mut down = x;
                down[j] -= h;
                let d = (ct_transition(&up, 0.3).0 - ct_transition(&down, 0.3).0) / (2.0 * h);
                let col = f.column(j);
                assert!(
                    (d - col).abs().max() < 1e-6,
                    "column {j} at {x}: {d} vs {col}"
                );
            }
        }
    }
}
