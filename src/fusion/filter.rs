//! Kalman updater (Stone Soup: updater): the extended Kalman update, Joseph form, for a
//! position measurement or a position plus Doppler one, and the innovation that gating and
//! updating share. Prediction is the motion model's ([`crate::fusion::model::Motion`]).

use crate::fusion::measurement::{doppler_model, position_model, Detection};
use crate::fusion::model::{State, StateCov};
use nalgebra::{SMatrix, SVector};

/// Innovation of an `M`-dimensional measurement against a state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Innovation<const M: usize> {
    /// Measured minus predicted.
    pub y: SVector<f64, M>,
    /// Innovation covariance S = H P Hᵀ + R.
    pub s: SMatrix<f64, M, M>,
    pub s_inv: SMatrix<f64, M, M>,
    pub ln_det_s: f64,
    pub h: SMatrix<f64, M, 5>,
    pub r: SMatrix<f64, M, M>,
}

impl<const M: usize> Innovation<M> {
    /// `None` unless S is symmetric positive definite (a zero or broken covariance somewhere).
    pub fn new(
        p: &StateCov,
        y: SVector<f64, M>,
        h: SMatrix<f64, M, 5>,
        r: SMatrix<f64, M, M>,
    ) -> Option<Self> {
        let s = h * p * h.transpose() + r;
        let s = (s + s.transpose()) * 0.5;
        let chol = s.cholesky()?;
        let ln_det_s = 2.0
            * chol
                .l_dirty()
                .diagonal()
                .iter()
                .map(|d| d.ln())
                .sum::<f64>();
        if !ln_det_s.is_finite() {
            return None;
        }
        Some(Self {
            y,
            s,
            s_inv: chol.inverse(),
            ln_det_s,
            h,
            r,
        })
    }

    /// Squared Mahalanobis distance yᵀ S⁻¹ y: χ²-distributed with M dof for a true match.
    pub fn mahalanobis_sq(&self) -> f64 {
        self.y.dot(&(self.s_inv * self.y))
    }

    /// Updates `(x, p)`. The Joseph form keeps the covariance positive semi-definite under
    /// rounding, which the short form `(I − KH)P` does not guarantee over thousands of updates.
    pub fn update(&self, x: &State, p: &StateCov) -> (State, StateCov) {
        let k = p * self.h.transpose() * self.s_inv;
        let i_kh = StateCov::identity() - k * self.h;
        let p = i_kh * p * i_kh.transpose() + k * self.r * k.transpose();
        (x + k * self.y, (p + p.transpose()) * 0.5)
    }
}

/// A detection's innovation: position only, or position plus Doppler when the detection has
/// a radial speed (and is not on top of its sensor).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measured {
    Position(Innovation<2>),
    Doppler(Innovation<3>),
}

/// χ² gates on the squared Mahalanobis distance, by measurement dimension.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gate {
    /// Position (2 dof).
    pub position: f64,
    /// Position and radial speed (3 dof).
    pub doppler: f64,
}

/// Added to the cost of a Doppler detection used for its position only, so that a detection
/// whose radial speed agrees is preferred.
const DOPPLER_OUTLIER_COST: f64 = 4.0;

/// Gates `det` against `(x, p)`: the innovation to update with and the assignment cost
/// d² + ln|S|. A Doppler detection is gated on all three dimensions; if its radial speed
/// alone is out of line (an extended object's scatterer, wheels, a manoeuvre the models do
/// not know) but its position gates, it is used for its position only, at a higher cost.
pub fn gated(det: &Detection, x: &State, p: &StateCov, gate: Gate) -> Option<(Measured, f64)> {
    let cost = |m: &Measured| m.mahalanobis_sq() + m.ln_det_s();
    let m = Measured::of(det, x, p)?;
    match m {
        Measured::Doppler(_) if m.mahalanobis_sq() <= gate.doppler => Some((m, cost(&m))),
        Measured::Position(_) if m.mahalanobis_sq() <= gate.position => Some((m, cost(&m))),
        Measured::Position(_) => None,
        Measured::Doppler(_) => {
            let m = Measured::with(det, x, p, false)?;
            (m.mahalanobis_sq() <= gate.position).then(|| (m, cost(&m) + DOPPLER_OUTLIER_COST))
        }
    }
}

impl Measured {
    /// The innovation of `det` against `(x, p)`; `None` when S is singular.
    pub fn of(det: &Detection, x: &State, p: &StateCov) -> Option<Self> {
        Self::with(det, x, p, true)
    }

    /// As [`Measured::of`], with the radial speed left out unless `doppler`.
    pub fn with(det: &Detection, x: &State, p: &StateCov, doppler: bool) -> Option<Self> {
        let radial = det
            .radial
            .filter(|r| doppler && r.var > 0.0 && r.speed_mps.is_finite());
        if let Some(rad) = radial {
            if let Some((zhat, h)) = doppler_model(x, &rad.origin) {
                let z = SVector::<f64, 3>::new(det.pos.x, det.pos.y, rad.speed_mps);
                let mut r = SMatrix::<f64, 3, 3>::zeros();
                r.fixed_view_mut::<2, 2>(0, 0).copy_from(&det.cov);
                r[(2, 2)] = rad.var;
                return Innovation::new(p, z - zhat, h, r).map(Measured::Doppler);
            }
        }
        let h = position_model();
        Innovation::new(p, det.pos - h * x, h, det.cov).map(Measured::Position)
    }

    pub fn dof(&self) -> usize {
        match self {
            Measured::Position(_) => 2,
            Measured::Doppler(_) => 3,
        }
    }

    pub fn mahalanobis_sq(&self) -> f64 {
        match self {
            Measured::Position(i) => i.mahalanobis_sq(),
            Measured::Doppler(i) => i.mahalanobis_sq(),
        }
    }

    pub fn ln_det_s(&self) -> f64 {
        match self {
            Measured::Position(i) => i.ln_det_s,
            Measured::Doppler(i) => i.ln_det_s,
        }
    }

    /// ln N(y; 0, S): the measurement's log-likelihood, what weighs the IMM's models.
    pub fn log_likelihood(&self) -> f64 {
        let two_pi_ln = (2.0 * std::f64::consts::PI).ln();
        -0.5 * (self.mahalanobis_sq() + self.ln_det_s() + self.dof() as f64 * two_pi_ln)
    }

    pub fn update(&self, x: &State, p: &StateCov) -> (State, StateCov) {
        match self {
            Measured::Position(i) => i.update(x, p),
            Measured::Doppler(i) => i.update(x, p),
        }
    }
}

/// Updates `(x, p)` with `det`: the updated estimate and the measurement's log-likelihood;
/// `None` when the innovation covariance is singular.
pub fn update(x: &State, p: &StateCov, det: &Detection) -> Option<(State, StateCov, f64)> {
    let m = Measured::of(det, x, p)?;
    let (x, p) = m.update(x, p);
    Some((x, p, m.log_likelihood()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusion::measurement::{Class, Position, PositionCov, RadialSpeed};
    use crate::fusion::model::per_axis;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-12)
    }

    fn det(pos: Position, cov: PositionCov, radial: Option<RadialSpeed>) -> Detection {
        Detection {
            t: 0.0,
            sensor: 0,
            pos,
            cov,
            class: Class::Unknown,
            length_m: None,
            width_m: None,
            class_confidence: None,
            yaw_rad: None,
            radial,
        }
    }

    #[test]
    fn position_update_matches_hand_computation() {
        let mut p = per_axis(2.0, 1.0, 1.0);
        p[(4, 4)] = 1.0;
        let x = State::new(1.0, 2.0, 1.0, 2.0, 0.0);
        let d = det(Position::new(4.0, 2.0), PositionCov::identity(), None);
        let m = Measured::of(&d, &x, &p).expect("regular");
        assert_eq!(m.dof(), 2);
        assert!((m.mahalanobis_sq() - 3.0).abs() < 1e-12); // S = 3 I, y = (3, 0)
        let (x, p, _) = update(&x, &p, &d).expect("regular");
        // K = [2/3, 1/3] per axis; P' = P − P Hᵀ S⁻¹ H P.
        assert!(close(x.as_slice(), &[3.0, 2.0, 2.0, 2.0, 0.0]));
        let mut want = per_axis(2.0 / 3.0, 1.0 / 3.0, 2.0 / 3.0);
        want[(4, 4)] = 1.0;
        assert!(close(p.as_slice(), want.as_slice()), "{p}");
    }

    #[test]
    fn doppler_update_matches_hand_computation() {
        // Sensor at the origin, target at (10, 0) moving (3, 4): radial speed 3 along east.
        // P = I, R = diag(1, 1, 1); H rows: x, y, and [vy·0 … ]: d rr/d p = (v − rr u)/r =
        // (0, 0.4), d rr/d v = (1, 0).
        let x = State::new(10.0, 0.0, 3.0, 4.0, 0.0);
        let p = StateCov::identity();
        let rad = RadialSpeed {
            origin: Position::zeros(),
            speed_mps: 5.0,
            var: 1.0,
        };
        let d = det(Position::new(10.0, 0.0), PositionCov::identity(), Some(rad));
        let Some(Measured::Doppler(inn)) = Measured::of(&d, &x, &p) else {
            panic!("Doppler expected");
        };
        assert!(close(inn.y.as_slice(), &[0.0, 0.0, 2.0]));
        assert!(close(
            inn.h.row(2).iter().copied().collect::<Vec<_>>().as_slice(),
            &[0.0, 0.4, 1.0, 0.0, 0.0]
        ));
        // S = H Hᵀ + I: S[2][2] = 0.16 + 1 + 1, S[1][2] = 0.4, S[1][1] = 2.
        let want_s = [2.0, 0.0, 0.0, 0.0, 2.0, 0.4, 0.0, 0.4, 2.16];
        assert!(close(inn.s.as_slice(), &want_s), "{}", inn.s);
        // The radial speed pulls vx towards 5: K column 2 for vx is S⁻¹-weighted.
        let (x1, _, _) = update(&x, &p, &d).unwrap();
        let det_s = 2.0 * (2.0 * 2.16 - 0.16);
        let k_vx = (2.0 * 2.0) / det_s; // P Hᵀ row vx = (0, 0, 1); S⁻¹ column 2 = (0, −0.8, 4)/det
        assert!((x1[2] - (3.0 + k_vx * 2.0)).abs() < 1e-12, "{x1}");
    }

    #[test]
    fn singular_innovation_is_refused() {
        let d = det(Position::new(1.0, 1.0), PositionCov::zeros(), None);
        assert!(update(&State::zeros(), &StateCov::zeros(), &d).is_none());
    }
}
