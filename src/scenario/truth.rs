//! Ground truth: where each road user of a scenario is at any time.

use super::{RoadUserClass, RoadUserSpec};

/// A road user's true state at one instant, in the site frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruthState {
    /// Index of the road user in the scenario.
    pub index: usize,
    pub class: RoadUserClass,
    pub east_m: f64,
    pub north_m: f64,
    pub vel_east_mps: f64,
    pub vel_north_mps: f64,
    /// Direction of the path, counter-clockwise from east.
    pub yaw_rad: f64,
    pub length_m: f64,
    pub width_m: f64,
    pub height_m: f64,
}

impl TruthState {
    pub fn speed_mps(&self) -> f64 {
        self.vel_east_mps.hypot(self.vel_north_mps)
    }
}

/// A road user's motion: a polyline walked with a piecewise-linear speed profile.
#[derive(Debug, Clone)]
pub struct Trajectory {
    index: usize,
    class: RoadUserClass,
    length_m: f64,
    width_m: f64,
    height_m: f64,
    start_s: f64,
    points: Vec<[f64; 2]>,
    /// Distance along the path at each point.
    cum: Vec<f64>,
    /// Speed breakpoints (t since start, speed) and the distance covered at each.
    speed: Vec<[f64; 2]>,
    dist_at: Vec<f64>,
}

impl Trajectory {
    pub fn new(index: usize, spec: &RoadUserSpec) -> Self {
        let (l, w, h) = spec.class.default_size();
        let mut cum = Vec::with_capacity(spec.path.len());
        let mut acc = 0.0;
        for (i, p) in spec.path.iter().enumerate() {
            if i > 0 {
                let q = spec.path[i - 1];
                acc += (p[0] - q[0]).hypot(p[1] - q[1]);
            }
            cum.push(acc);
        }
        let mut dist_at = Vec::with_capacity(spec.speed.len());
        let mut d = 0.0;
        for (i, s) in spec.speed.iter().enumerate() {
            if i > 0 {
                let q = spec.speed[i - 1];
                d += 0.5 * (s[1] + q[1]) * (s[0] - q[0]);
            } else {
                // Constant speed before the first breakpoint.
                d = s[1] * s[0];
            }
            dist_at.push(d);
        }
        Self {
            index,
            class: spec.class,
            length_m: spec.length_m.unwrap_or(l),
            width_m: spec.width_m.unwrap_or(w),
            height_m: h,
            start_s: spec.start_s,
            points: spec.path.clone(),
            cum,
            speed: spec.speed.clone(),
            dist_at,
        }
    }

    /// Distance travelled and speed, `tau` seconds after appearing.
    fn progress(&self, tau: f64) -> (f64, f64) {
        let sp = &self.speed;
        if tau <= sp[0][0] {
            return (sp[0][1] * tau, sp[0][1]);
        }
        for i in 1..sp.len() {
            let ([t0, v0], [t1, v1]) = (sp[i - 1], sp[i]);
            if tau <= t1 {
                let a = (v1 - v0) / (t1 - t0);
                let dt = tau - t0;
                return (
                    self.dist_at[i - 1] + v0 * dt + 0.5 * a * dt * dt,
                    v0 + a * dt,
                );
            }
        }
        let [t_last, v_last] = sp[sp.len() - 1];
        (self.dist_at[sp.len() - 1] + v_last * (tau - t_last), v_last)
    }

    /// The state at `t` seconds after the scenario start; `None` before the road user
    /// appears or after it reaches the end of its path.
    pub fn state_at(&self, t: f64) -> Option<TruthState> {
        let tau = t - self.start_s;
        if tau < 0.0 {
            return None;
        }
        let (s, v) = self.progress(tau);
        let total = *self.cum.last()?;
        if s > total {
            return None;
        }
        let i = self
            .cum
            .partition_point(|&c| c <= s)
            .clamp(1, self.points.len() - 1);
        // Skip zero-length segments so the direction is defined.
        let (mut a, mut b) = (self.points[i - 1], self.points[i]);
        let mut seg = (b[0] - a[0]).hypot(b[1] - a[1]);
        let mut j = i;
        while seg <= 0.0 && j + 1 < self.points.len() {
            j += 1;
            a = self.points[j - 1];
            b = self.points[j];
            seg = (b[0] - a[0]).hypot(b[1] - a[1]);
        }
        let f = if seg > 0.0 {
            ((s - self.cum[j - 1]) / seg).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (ux, uy) = if seg > 0.0 {
            ((b[0] - a[0]) / seg, (b[1] - a[1]) / seg)
        } else {
            (1.0, 0.0)
        };
        Some(TruthState {
            index: self.index,
            class: self.class,
            east_m: a[0] + f * (b[0] - a[0]),
            north_m: a[1] + f * (b[1] - a[1]),
            vel_east_mps: v * ux,
            vel_north_mps: v * uy,
            yaw_rad: uy.atan2(ux),
            length_m: self.length_m,
            width_m: self.width_m,
            height_m: self.height_m,
        })
    }
}

/// All road users of a scenario.
#[derive(Debug, Clone)]
pub struct GroundTruth {
    pub trajectories: Vec<Trajectory>,
}

impl GroundTruth {
    pub fn new(users: &[RoadUserSpec]) -> Self {
        Self {
            trajectories: users
                .iter()
                .enumerate()
                .map(|(i, u)| Trajectory::new(i, u))
                .collect(),
        }
    }

    /// Everybody present at `t`, into `out` (cleared first).
    pub fn states_at(&self, t: f64, out: &mut Vec<TruthState>) {
        out.clear();
        out.extend(self.trajectories.iter().filter_map(|tr| tr.state_at(t)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_the_path_with_the_speed_profile() {
        let spec = RoadUserSpec {
            id: "a".into(),
            class: RoadUserClass::Car,
            length_m: None,
            width_m: None,
            start_s: 10.0,
            path: vec![[0.0, 0.0], [100.0, 0.0], [100.0, 100.0]],
            // 10 m/s, brake to 0 over 4 s (20 m), wait 6 s, accelerate to 10 m/s over 5 s.
            speed: vec![
                [0.0, 10.0],
                [5.0, 10.0],
                [9.0, 0.0],
                [15.0, 0.0],
                [20.0, 10.0],
            ],
        };
        let tr = Trajectory::new(0, &spec);
        assert!(tr.state_at(9.9).is_none());
        let s = tr.state_at(15.0).expect("present");
        assert!((s.east_m - 50.0).abs() < 1e-9 && s.north_m.abs() < 1e-9);
        assert!((s.speed_mps() - 10.0).abs() < 1e-9);
        let s = tr.state_at(22.0).expect("stopped");
        assert!((s.east_m - 70.0).abs() < 1e-9 && s.speed_mps().abs() < 1e-9);
        // 70 m + 25 m accelerating = 95 m at t = 30; then 10 m/s: 105 m at t = 31, round the corner.
        let s = tr.state_at(31.0).expect("after the corner");
        assert!((s.east_m - 100.0).abs() < 1e-9 && (s.north_m - 5.0).abs() < 1e-9);
        assert!((s.yaw_rad - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
        assert!(tr.state_at(40.4).is_some());
        assert!(
            tr.state_at(40.6).is_none(),
            "left at the end of the path (200 m)"
        );
    }
}
