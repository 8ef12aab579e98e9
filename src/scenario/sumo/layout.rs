//! A default sensor layout for an imported junction, to edit: a camera and a radar on each
//! corner (between two neighbouring arms), looking across the junction at the far
//! approaches, so that every approach is watched by a camera and a radar from the other
//! side, where queues are seen head-on rather than hidden behind the first vehicle.

use crate::geo::Enu;
use crate::scenario::{CameraSpec, MapSpec, SensorKind, SensorSpec};
use std::f64::consts::TAU;

/// The bearings (counter-clockwise from east, radians) of the map's arms and the radius of
/// the junction box (the farthest stop line or lane start from the origin).
pub fn arms(map: &MapSpec) -> (Vec<f64>, f64) {
    let mut by_approach: std::collections::BTreeMap<&str, [f64; 2]> = Default::default();
    let mut box_r: f64 = 0.0;
    for l in &map.lanes {
        let (near, far) = match l.direction {
            crate::scenario::LaneDirection::Ingress => (l.centreline.last(), l.centreline.first()),
            crate::scenario::LaneDirection::Egress => (l.centreline.first(), l.centreline.last()),
        };
        if let Some(p) = near {
            box_r = box_r.max(p[0].hypot(p[1]));
        }
        if let Some(p) = far {
            let n = p[0].hypot(p[1]).max(1e-9);
            let e = by_approach.entry(l.approach.as_str()).or_default();
            e[0] += p[0] / n;
            e[1] += p[1] / n;
        }
    }
    let mut a: Vec<f64> = by_approach
        .values()
        .map(|v| v[1].atan2(v[0]).rem_euclid(TAU))
        .collect();
    a.sort_by(f64::total_cmp);
    // Arms within 20° of each other (an in and an out edge) are one.
    a.dedup_by(|x, y| (*x - *y).abs() < 20f64.to_radians());
    if a.len() > 1 && (a[0] + TAU - a[a.len() - 1]) < 20f64.to_radians() {
        a.pop();
    }
    (a, box_r.max(5.0))
}

fn compass(bearing: f64) -> &'static str {
    // Counter-clockwise from east, in eighths.
    const N: [&str; 8] = ["e", "ne", "n", "nw", "w", "sw", "s", "se"];
    N[((bearing.rem_euclid(TAU) / (TAU / 8.0)).round() as usize) % 8]
}

/// The corners' positions and the sensors on them.
pub fn default_sensors(map: &MapSpec) -> Vec<SensorSpec> {
    let (arms, box_r) = arms(map);
    let arms = if arms.len() < 2 {
        // A single arm: corners either side of it.
        let a = arms.first().copied().unwrap_or(0.0);
        vec![a, a + TAU / 2.0]
    } else {
        arms
    };
    let n = arms.len();
    let corner_r = box_r + 4.0;
    let mut out = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for i in 0..n {
        let (a, b) = (arms[i], arms[(i + 1) % n]);
        let gap = (b - a).rem_euclid(TAU);
        let bearing = a + gap / 2.0;
        // Along the bisector far enough to clear the box at a sharp corner too.
        let r = corner_r / (gap / 2.0).sin().max(0.5);
        let pos = [r * bearing.cos(), r * bearing.sin()];
        let mut name = compass(bearing).to_string();
        if !names.insert(name.clone()) {
            name = format!("{name}{i}");
            names.insert(name.clone());
        }
        // The camera looks at the arm after the next, the radar at the one before: the
        // two far arms of a four-way junction.
        let cam_arm = arms[(i + 2) % n];
        let radar_arm = arms[(i + n - 1) % n];
        let look = |arm: f64| {
            let t = [(box_r + 35.0) * arm.cos(), (box_r + 35.0) * arm.sin()];
            (t[1] - pos[1])
                .atan2(t[0] - pos[0])
                .to_degrees()
                .rem_euclid(360.0)
        };
        let round = |v: f64| (v * 100.0).round() / 100.0;
        out.push(SensorSpec {
            id: format!("cam-{name}"),
            kind: SensorKind::Camera,
            position: Enu::new(round(pos[0]), round(pos[1]), 6.0),
            yaw_deg: round(look(cam_arm)),
            fov_deg: 100.0,
            range_m: 130.0,
            rate_hz: 10.0,
            latency_s: 0.1,
            camera: Some(CameraSpec {
                pixel_noise_px: Some(1.0),
                ..Default::default()
            }),
            detection_probability: 0.95,
            noise_m: None,
            azimuth_noise_deg: None,
            doppler_noise_mps: None,
            ..radar_defaults()
        });
        out.push(SensorSpec {
            id: format!("radar-{name}"),
            kind: SensorKind::Radar,
            // Beside the camera on the same pole.
            position: Enu::new(
                round(pos[0] + 0.5 * bearing.cos()),
                round(pos[1] + 0.5 * bearing.sin()),
                5.0,
            ),
            yaw_deg: round(look(radar_arm)),
            ..radar_defaults()
        });
    }
    out
}

fn radar_defaults() -> SensorSpec {
    SensorSpec {
        id: String::new(),
        kind: SensorKind::Radar,
        position: Enu::default(),
        yaw_deg: 0.0,
        fov_deg: 120.0,
        range_m: 200.0,
        rate_hz: 20.0,
        latency_s: 0.05,
        noise_m: Some(0.25),
        azimuth_noise_deg: Some(0.5),
        doppler_noise_mps: Some(0.1),
        rcs_noise_db: None,
        detection_probability: 0.9,
        full_detection_range_m: None,
        class_accuracy: None,
        camera: None,
        listen: None,
        radar_sensor_id: 0,
        latency_jitter_s: 0.0,
        clock_offset_s: 0.0,
        false_alarms_per_frame: 0.0,
        ghost_probability: 0.0,
        occlusion: true,
        outages: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn four_arms_give_four_corners_each_arm_seen_by_a_camera_and_a_radar() {
        let s = Scenario::default_scenario().expect("default");
        let sensors = default_sensors(&s.map);
        assert_eq!(sensors.len(), 8);
        let (arms, _) = arms(&s.map);
        assert_eq!(arms.len(), 4);
        for kind in [SensorKind::Camera, SensorKind::Radar] {
            for &arm in &arms {
                let p = [60.0 * arm.cos(), 60.0 * arm.sin()];
                let seen = sensors.iter().filter(|x| x.kind == kind).any(|x| {
                    let b = (p[1] - x.position.north_m).atan2(p[0] - x.position.east_m);
                    let d = (b - x.yaw_deg.to_radians()).rem_euclid(TAU);
                    d.min(TAU - d) < (x.fov_deg / 2.0).to_radians()
                });
                assert!(seen, "{kind:?} misses the arm at {:.0}°", arm.to_degrees());
            }
        }
    }
}
