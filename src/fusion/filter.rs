//! Kalman predictor and updater (Stone Soup: predictor, updater).

use crate::fusion::measurement::{position_model, Position, PositionCov};
use crate::fusion::model::{process_noise, transition, State, StateCov};

/// Predicts over `dt` seconds (callers pass `dt >= 0`).
pub fn predict(x: &State, p: &StateCov, dt: f64, accel_psd: f64) -> (State, StateCov) {
    let f = transition(dt);
    let p = f * p * f.transpose() + process_noise(dt, accel_psd);
    (f * x, symmetrize(p))
}

/// Innovation of a position measurement against a state: what gating and updating share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Innovation {
    /// Measured minus predicted position.
    pub y: Position,
    /// Innovation covariance S = H P Hᵀ + R.
    pub s: PositionCov,
    pub s_inv: PositionCov,
}

impl Innovation {
    /// Squared Mahalanobis distance yᵀ S⁻¹ y: χ²-distributed with 2 dof for a true match.
    pub fn mahalanobis_sq(&self) -> f64 {
        self.y.dot(&(self.s_inv * self.y))
    }

    pub fn ln_det_s(&self) -> f64 {
        self.s.determinant().ln()
    }
}

/// `None` unless S is symmetric positive definite (a zero or broken covariance somewhere).
pub fn innovation(x: &State, p: &StateCov, z: &Position, r: &PositionCov) -> Option<Innovation> {
    let h = position_model();
    let s = symmetrize(h * p * h.transpose() + r);
    let det = s.determinant();
    if !(s[(0, 0)] > 0.0 && det > 0.0 && det.is_finite()) {
        return None;
    }
    let s_inv = PositionCov::new(s[(1, 1)], -s[(0, 1)], -s[(1, 0)], s[(0, 0)]) / det;
    Some(Innovation {
        y: z - h * x,
        s,
        s_inv,
    })
}

/// Updates with position `z` of covariance `r`. The Joseph form keeps the covariance positive
/// semi-definite under rounding, which the short form `(I − KH)P` does not guarantee over
/// thousands of updates; `None` when the innovation covariance is singular.
pub fn update(x: &State, p: &StateCov, z: &Position, r: &PositionCov) -> Option<(State, StateCov)> {
    let inn = innovation(x, p, z, r)?;
    let h = position_model();
    let k = p * h.transpose() * inn.s_inv;
    let i_kh = StateCov::identity() - k * h;
    let p = i_kh * p * i_kh.transpose() + k * r * k.transpose();
    Some((x + k * inn.y, symmetrize(p)))
}

/// Rounding drifts a covariance off symmetry; averaging with its transpose resets it.
fn symmetrize<const N: usize>(m: nalgebra::SMatrix<f64, N, N>) -> nalgebra::SMatrix<f64, N, N> {
    (m + m.transpose()) * 0.5
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusion::model::per_axis;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-12)
    }

    #[test]
    fn predict_matches_hand_computation() {
        let (x, p) = predict(
            &State::new(0.0, 0.0, 1.0, 2.0),
            &StateCov::identity(),
            2.0,
            3.0,
        );
        assert!(close(x.as_slice(), &[2.0, 4.0, 1.0, 2.0]));
        // F P Fᵀ per axis: [[1+4, 2], [2, 1]]; Q per axis with q=3, dt=2: [[8, 6], [6, 6]].
        let want = per_axis(13.0, 8.0, 7.0);
        assert!(close(p.as_slice(), want.as_slice()), "{p}");
    }

    #[test]
    fn update_matches_hand_computation() {
        let p = per_axis(2.0, 1.0, 1.0);
        let x = State::new(1.0, 2.0, 1.0, 2.0);
        let (z, r) = (Position::new(4.0, 2.0), PositionCov::identity());
        let inn = innovation(&x, &p, &z, &r).expect("regular");
        assert!(close(inn.y.as_slice(), &[3.0, 0.0]));
        assert!((inn.mahalanobis_sq() - 3.0).abs() < 1e-12); // S = 3 I
        let (x, p) = update(&x, &p, &z, &r).expect("regular");
        // K = [2/3, 1/3] per axis; P' = P − P Hᵀ S⁻¹ H P.
        assert!(close(x.as_slice(), &[3.0, 2.0, 2.0, 2.0]));
        let want = per_axis(2.0 / 3.0, 1.0 / 3.0, 2.0 / 3.0);
        assert!(close(p.as_slice(), want.as_slice()), "{p}");
    }

    #[test]
    fn singular_innovation_is_refused() {
        let zero = StateCov::zeros();
        let z = Position::new(1.0, 1.0);
        assert!(update(&State::zeros(), &zero, &z, &PositionCov::zeros()).is_none());
    }
}
