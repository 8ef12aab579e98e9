//! Constant-velocity motion in the site plane (Stone Soup: transition model).
//!
//! Over a 100 ms scan road users mostly hold speed and heading; manoeuvres are absorbed by the
//! process noise instead of being modelled, which keeps the filter linear and cheap.

use nalgebra::{SMatrix, SVector};

/// `[x, y, vx, vy]`: site-frame east/north in metres and metres per second.
pub type State = SVector<f64, 4>;
/// Covariance of a [`State`].
pub type StateCov = SMatrix<f64, 4, 4>;

/// State transition over `dt` seconds.
pub fn transition(dt: f64) -> StateCov {
    let mut f = StateCov::identity();
    f[(0, 2)] = dt;
    f[(1, 3)] = dt;
    f
}

/// Process noise over `dt` for white-noise acceleration of power spectral density `accel_psd`
/// (m²/s³) on each axis. The continuous form integrates the noise over the interval, so one
/// prediction over `dt` equals two over `dt / 2`: uneven scan spacing does not change the result.
pub fn process_noise(dt: f64, accel_psd: f64) -> StateCov {
    per_axis(dt.powi(3) / 3.0, dt.powi(2) / 2.0, dt) * accel_psd
}

/// The same `[[pos, cross], [cross, vel]]` block on both axes, none between them.
#[rustfmt::skip]
pub(crate) fn per_axis(pos: f64, cross: f64, vel: f64) -> StateCov {
    StateCov::new(
        pos, 0.0, cross, 0.0,
        0.0, pos, 0.0, cross,
        cross, 0.0, vel, 0.0,
        0.0, cross, 0.0, vel,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prediction_does_not_depend_on_how_the_interval_is_split() {
        let p = StateCov::from_diagonal(&State::new(1.0, 2.0, 3.0, 4.0));
        let step = |p: StateCov, dt: f64| {
            transition(dt) * p * transition(dt).transpose() + process_noise(dt, 0.7)
        };
        let diff = step(step(p, 0.04), 0.06) - step(p, 0.1);
        assert!(diff.abs().max() < 1e-12, "{diff}");
    }
}
