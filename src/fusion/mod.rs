//! Multi-target tracking: per-sensor detections in, tracks with stable IDs out.
//!
//! Sans-IO, like `quinn-proto`: plain synchronous code that owns no socket, thread or clock.
//! Time is always an argument (seconds in the site clock), so a recording replays to the same
//! tracks bit for bit, tests run in microseconds, and the caller picks the runtime.
//! Outputs are ordered (`Vec`, sorted buffers), never by hash-map iteration.
//!
//! One role per file, named after Stone Soup's components so the design maps onto a mature
//! tool:
//! - [`model`]: transition models (constant velocity, coordinated turn) over one state;
//! - [`measurement`]: detections, sensor views, the position and the Doppler models;
//! - [`filter`]: the updater (extended Kalman, Joseph form) and the innovation;
//! - [`imm`]: the interacting-multiple-model predictor and updater (CV + CT);
//! - [`associate`]: hypothesiser (χ² gate) and data associator (global nearest neighbour);
//! - [`track`]: the track, its class, size and heading, and its life-cycle bookkeeping;
//! - [`tracker`]: initiator, deleter, the out-of-sequence window and the multi-target loop.

pub mod associate;
pub mod filter;
pub mod imm;
pub mod measurement;
pub mod model;
pub mod track;
pub mod tracker;

pub use associate::{Associator, Gate, Hungarian};
pub use imm::{Imm, Models};
pub use measurement::{Class, Detection, Position, PositionCov, RadialSpeed, Sector, View};
pub use model::{Motion, State, StateCov};
pub use track::{Status, Track};
pub use tracker::{ConfigError, ScanError, ScanStats, Tracker, TrackerConfig};

/// Seconds in the site clock; callers convert from their timestamps at the boundary.
pub type Seconds = f64;

#[cfg(test)]
pub(crate) mod test_rng {
    /// SplitMix64: seeded and tiny, so tests need no RNG crate.
    pub struct TestRng(u64);

    impl TestRng {
        pub fn new(seed: u64) -> Self {
            Self(seed)
        }

        pub fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        }

        /// Standard normal (Box–Muller).
        pub fn normal(&mut self) -> f64 {
            let u1 = self.uniform(f64::MIN_POSITIVE, 1.0);
            let u2 = self.uniform(0.0, 1.0);
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        }
    }
}
