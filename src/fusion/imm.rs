//! Interacting multiple models (Stone Soup: IMM predictor and updater): a constant-velocity
//! and a coordinated-turn filter run side by side over the shared state `[x, y, vx, vy, ω]`,
//! each weighed by how well it has explained the measurements. Vehicles go straight most of
//! the time and turn at junctions; the IMM follows both without the lag of one compromise
//! filter. Pedestrians, who turn anywhere at walking pace, use the CV model alone.
//!
//! One cycle (Blom and Bar-Shalom): mix the models' estimates by the mode transition
//! probabilities over `dt`, predict each with its model, update each with the detection
//! (EKF), reweigh the modes by the measurement likelihoods, and combine by moment matching.
//! Plain values, no allocation.

use crate::fusion::filter::Measured;
use crate::fusion::measurement::Detection;
use crate::fusion::model::{Motion, State, StateCov};

/// Index of the constant-velocity and the coordinated-turn mode.
pub const CV: usize = 0;
pub const CT: usize = 1;

/// The two models and how often a target switches between them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Models {
    pub cv: Motion,
    pub ct: Motion,
    /// Rate of switching from one mode to the other, per second: over `dt` a target switches
    /// with probability 1 − e^(−rate·dt), so the transition matrix does not depend on the scan
    /// rate.
    pub switch_per_s: f64,
}

/// The IMM's estimate: each model's mean and covariance and the mode probabilities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Imm {
    pub x: [State; 2],
    pub p: [StateCov; 2],
    /// Mode probabilities, CV then CT; they sum to one.
    pub mu: [f64; 2],
    /// Only the CV model runs (a pedestrian): `mu` is `[1, 0]`.
    pub cv_only: bool,
}

/// Initial turn-rate variance of the CT mode, (rad/s)²: anything from straight to a tight
/// junction turn (about 0.6 rad/s).
const INIT_TURN_VAR: f64 = 0.1;
/// A mode's probability never drops below this, so it can always come back.
const MIN_MODE_PROB: f64 = 1e-6;

impl Imm {
    /// Both models at `(x, p)` (with a turn-rate variance added for the CT model).
    pub fn new(x: State, p: StateCov, cv_only: bool) -> Self {
        let mut p_ct = p;
        p_ct[(4, 4)] = p_ct[(4, 4)].max(INIT_TURN_VAR);
        let mut imm = Self {
            x: [x, x],
            p: [p, p_ct],
            mu: [0.9, 0.1],
            cv_only: false,
        };
        imm.set_cv_only(cv_only);
        imm
    }

    /// Switches between the CV model alone and the full IMM (when the track's class changes).
    pub fn set_cv_only(&mut self, cv_only: bool) {
        if cv_only == self.cv_only {
            return;
        }
        if cv_only {
            let (mut x, mut p) = self.estimate();
            x[4] = 0.0;
            for k in 0..5 {
                p[(4, k)] = 0.0;
                p[(k, 4)] = 0.0;
            }
            self.x[CV] = x;
            self.p[CV] = p;
            self.mu = [1.0, 0.0];
        } else {
            self.x[CT] = self.x[CV];
            self.p[CT] = self.p[CV];
            self.p[CT][(4, 4)] = INIT_TURN_VAR;
            self.mu = [0.9, 0.1];
        }
        self.cv_only = cv_only;
    }

    /// Mixes and predicts over `dt >= 0`; the mode probabilities become the predicted ones.
    pub fn predict(&mut self, models: &Models, dt: f64) {
        if self.cv_only {
            (self.x[CV], self.p[CV]) = models.cv.predict(&self.x[CV], &self.p[CV], dt);
            return;
        }
        let switch = 1.0 - (-models.switch_per_s * dt).exp();
        let pi = [[1.0 - switch, switch], [switch, 1.0 - switch]];
        // c_j = Σ_i π_ij μ_i; μ_i|j = π_ij μ_i / c_j.
        let c = [
            pi[0][0] * self.mu[0] + pi[1][0] * self.mu[1],
            pi[0][1] * self.mu[0] + pi[1][1] * self.mu[1],
        ];
        let mut mixed_x = [State::zeros(); 2];
        let mut mixed_p = [StateCov::zeros(); 2];
        for j in 0..2 {
            let w = [pi[0][j] * self.mu[0] / c[j], pi[1][j] * self.mu[1] / c[j]];
            let x0 = self.x[0] * w[0] + self.x[1] * w[1];
            let mut p0 = StateCov::zeros();
            for ((x, p), w) in self.x.iter().zip(&self.p).zip(w) {
                let d = x - x0;
                p0 += (p + d * d.transpose()) * w;
            }
            mixed_x[j] = x0;
            mixed_p[j] = p0;
        }
        (self.x[CV], self.p[CV]) = models.cv.predict(&mixed_x[CV], &mixed_p[CV], dt);
        (self.x[CT], self.p[CT]) = models.ct.predict(&mixed_x[CT], &mixed_p[CT], dt);
        self.mu = c;
    }

    /// Updates every model with `det` (its radial speed too if `doppler`) and reweighs the
    /// modes by their likelihoods; `None` (and nothing changed) when an innovation covariance
    /// is singular.
    pub fn update(&mut self, det: &Detection, doppler: bool) -> Option<()> {
        if self.cv_only {
            let m = Measured::with(det, &self.x[CV], &self.p[CV], doppler)?;
            (self.x[CV], self.p[CV]) = m.update(&self.x[CV], &self.p[CV]);
            return Some(());
        }
        let m = [
            Measured::with(det, &self.x[CV], &self.p[CV], doppler)?,
            Measured::with(det, &self.x[CT], &self.p[CT], doppler)?,
        ];
        let ll = [m[0].log_likelihood(), m[1].log_likelihood()];
        let top = ll[0].max(ll[1]);
        let w = [
            self.mu[0] * (ll[0] - top).exp(),
            self.mu[1] * (ll[1] - top).exp(),
        ];
        let sum = w[0] + w[1];
        if !(sum > 0.0 && sum.is_finite()) {
            return None;
        }
        for ((x, p), m) in self.x.iter_mut().zip(&mut self.p).zip(&m) {
            (*x, *p) = m.update(x, p);
        }
        let ct = (w[1] / sum).clamp(MIN_MODE_PROB, 1.0 - MIN_MODE_PROB);
        self.mu = [1.0 - ct, ct];
        Some(())
    }

    /// The combined estimate: the moment-matched mixture of the modes.
    pub fn estimate(&self) -> (State, StateCov) {
        if self.cv_only {
            return (self.x[CV], self.p[CV]);
        }
        let x = self.x[0] * self.mu[0] + self.x[1] * self.mu[1];
        let mut p = StateCov::zeros();
        for i in 0..2 {
            let d = self.x[i] - x;
            p += (self.p[i] + d * d.transpose()) * self.mu[i];
        }
        (x, (p + p.transpose()) * 0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusion::measurement::{Class, Position, PositionCov};
    use crate::fusion::model::per_axis;
    use crate::fusion::test_rng::TestRng;

    /// The tracker's models.
    fn models() -> Models {
        crate::fusion::TrackerConfig::default().models()
    }

    fn det(pos: Position, sigma: f64) -> Detection {
        Detection {
            t: 0.0,
            sensor: 0,
            pos,
            cov: PositionCov::identity() * sigma * sigma,
            class: Class::Car,
            length_m: None,
            width_m: None,
            class_confidence: None,
            yaw_rad: None,
            radial: None,
        }
    }

    #[test]
    fn mixing_and_reweighing_match_hand_computation() {
        // Two modes at different means, no motion (dt = 0 mixes nothing: π = I).
        let mut imm = Imm::new(State::zeros(), StateCov::identity(), false);
        imm.x[CT] = State::new(2.0, 0.0, 0.0, 0.0, 0.0);
        imm.mu = [0.5, 0.5];
        let (x, p) = imm.estimate();
        // Mean 1; variance in x: 1 (within) + 1 (spread, (±1)² · ½ each).
        assert!((x[0] - 1.0).abs() < 1e-12 && (p[(0, 0)] - 2.0).abs() < 1e-12);
        imm.predict(&models(), 0.0);
        assert_eq!(imm.mu, [0.5, 0.5]);
        // A detection at 0: CV's likelihood N(0; 0, 2) against CT's N(2; 0, 2) per x axis,
        // their ratio e^(4/4) = e; so μ_CV = e / (1 + e).
        imm.update(&det(Position::zeros(), 1.0), true).unwrap();
        let e = std::f64::consts::E;
        assert!((imm.mu[CV] - e / (1.0 + e)).abs() < 1e-12, "{:?}", imm.mu);
        // Each model was updated on its own: CV's K = 1/2 at y = 0, CT's pulled halfway to 0.
        assert!((imm.x[CT][0] - 1.0).abs() < 1e-12 && imm.x[CV][0].abs() < 1e-12);
    }

    #[test]
    fn mode_switching_follows_the_rate() {
        let mut imm = Imm::new(State::zeros(), per_axis(1.0, 0.0, 1.0), false);
        imm.mu = [1.0, 0.0];
        let models = models();
        imm.predict(&models, 2.0);
        let switch = 1.0 - (-2.0 * models.switch_per_s).exp();
        assert!((imm.mu[CT] - switch).abs() < 1e-12);
    }

    /// RMSE of position over `seeds` runs of 20 s at 10 Hz, σ = 0.5 m, after a 3 s warm-up,
    /// of a target going straight for 5 s, then turning at `turn` rad/s for 5 s, then
    /// straight.
    fn rmse(turn: f64, cv_only: bool, seeds: u64) -> f64 {
        let models = if cv_only {
            // The single model the tracker used before the IMM.
            Models {
                cv: Motion::ConstantVelocity { accel_psd: 1.0 },
                ..models()
            }
        } else {
            models()
        };
        let (mut sum, mut n) = (0.0, 0);
        for seed in 0..seeds {
            let mut rng = TestRng::new(seed);
            let mut truth = State::new(0.0, 0.0, 10.0, 0.0, 0.0);
            let p0 = StateCov::from_diagonal(&State::new(0.25, 0.25, 100.0, 100.0, 0.0));
            let mut imm: Option<Imm> = None;
            for k in 0..200 {
                let t = k as f64 * 0.1;
                if k > 0 {
                    truth[4] = if (5.0..10.0).contains(&t) { turn } else { 0.0 };
                    truth = crate::fusion::model::ct_transition(&truth, 0.1).0;
                }
                let z = Position::new(truth[0], truth[1])
                    + Position::new(rng.normal(), rng.normal()) * 0.5;
                let d = det(z, 0.5);
                let f = imm.get_or_insert_with(|| {
                    Imm::new(State::new(z.x, z.y, 0.0, 0.0, 0.0), p0, cv_only)
                });
                if k > 0 {
                    f.predict(&models, 0.1);
                    f.update(&d, true).unwrap();
                }
                if t >= 3.0 {
                    let (x, _) = f.estimate();
                    sum += (x[0] - truth[0]).powi(2) + (x[1] - truth[1]).powi(2);
                    n += 1;
                }
            }
        }
        (sum / n as f64).sqrt()
    }

    #[test]
    fn imm_beats_cv_on_a_turn_and_is_no_worse_straight() {
        let (imm_turn, cv_turn) = (rmse(0.4, false, 20), rmse(0.4, true, 20));
        let (imm_straight, cv_straight) = (rmse(0.0, false, 20), rmse(0.0, true, 20));
        println!("turn: IMM {imm_turn:.3} m, CV {cv_turn:.3} m; straight: IMM {imm_straight:.3} m, CV {cv_straight:.3} m");
        assert!(imm_turn < 0.9 * cv_turn, "{imm_turn} vs {cv_turn}");
        assert!(
            imm_straight < 1.05 * cv_straight,
            "{imm_straight} vs {cv_straight}"
        );
    }
}
