//! Scenario files (format v1, TOML): a site, its map and signal plan, road users with their
//! ground-truth paths, simulated sensors, message rates and outputs. The same file drives a
//! replay and (with the real clock) the live service, and gives the ground truth for
//! evaluation. Every field and unit is documented in `scenarios/README.md`.
//!
//! Loading checks everything once (as ripgrep turns low-level flags into a checked config):
//! an error names the file, the key path and the reason.

pub mod links;
pub mod sumo;
pub mod truth;

use crate::geo::{Enu, GeoPoint};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A scenario could not be loaded: which file, which key, why.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{file}: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}: {key}: {reason}")]
    Invalid {
        file: PathBuf,
        key: String,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Format version; must be 1.
    pub version: u32,
    pub site: Site,
    pub run: Run,
    #[serde(default)]
    pub messages: Rates,
    #[serde(default)]
    pub output: Output,
    pub map: MapSpec,
    /// The signal plan; none at an unsignalised site (a priority junction or a road
    /// segment), which then sends no SPAT and has no red-light or GLOSA hazards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<SignalPlan>,
    #[serde(default)]
    pub sensors: Vec<SensorSpec>,
    #[serde(default)]
    pub road_users: Vec<RoadUserSpec>,
    /// The hazard detectors' switches and thresholds (every key has a default).
    #[serde(default)]
    pub hazards: crate::hazard::HazardConfig,
    /// Ground-truth conflicts, labelled for evaluating the hazard detectors.
    #[serde(default)]
    pub conflicts: Vec<ConflictLabel>,
    /// Live: where messages go (RSUs over UDP), see [`links`].
    #[serde(default)]
    pub links: links::LinksSpec,
    /// Live: the metrics and health endpoint.
    #[serde(default)]
    pub metrics: links::MetricsSpec,
    /// The traffic-control-centre feed (MQTT); none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcc: Option<crate::tcc::config::TccConfig>,
    /// Recording of the service's inputs and outputs (off when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<crate::record::RecordConfig>,
    /// The cellular (QUIC) endpoint, when the site has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quic: Option<crate::link::quic::QuicSpec>,
}

/// A labelled situation: what a detector must (or must not) warn of, about whom, and when
/// the conflict point is reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConflictLabel {
    pub kind: crate::hazard::HazardKind,
    /// Road-user ids (one for a red-light or GLOSA label, two for a conflict).
    pub road_users: Vec<String>,
    /// When the (first) road user reaches the conflict point or stop line, seconds since
    /// the scenario start.
    pub time_s: f64,
    /// False for a situation that must not warn (a near miss with ample gap).
    #[serde(default = "yes")]
    pub warn: bool,
    /// For people: what happens.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub name: String,
    /// The WGS84 origin of the site frame.
    pub anchor: GeoPoint,
    /// Region and ID of the intersection node in MAP and SPAT.
    #[serde(default)]
    pub region: u16,
    pub intersection_id: u16,
    /// Eight ASCII characters: the RSU's ID in RSM and RSI.
    pub rsu_id: String,
    /// Where the RSU is, in the site frame.
    pub rsu_position: Enu,
    /// The ETSI ITS station ID (`ItsPduHeader.stationID`) of ETSI messages (MAPEM); needed
    /// only when one is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station_id: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    pub duration_s: f64,
    /// UTC start of the scenario (RFC 3339, e.g. `2026-11-23T08:00:00Z`).
    pub start_time: String,
    /// Seed of every random draw (sensor noise, detection misses).
    #[serde(default)]
    pub seed: u64,
}

/// Message rates in Hz; 0 disables a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rates {
    #[serde(default = "ten")]
    pub rsm_hz: f64,
    #[serde(default = "ten")]
    pub spat_hz: f64,
    #[serde(default = "one")]
    pub map_hz: f64,
    /// The same map as ETSI MAPEM (TS 103 301), for ETSI receivers; off by default. Needs
    /// `site.station_id`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub mapem_hz: f64,
    /// When an RSM is built: on the `rsm_hz` clock, or as soon as each sensor frame is fused.
    #[serde(default)]
    pub rsm_trigger: RsmTrigger,
    /// With `rsm_trigger = "frame"`: at most this many RSMs per second; a frame fused sooner
    /// waits for the next allowed instant. Absent: one RSM per fused frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsm_max_hz: Option<f64>,
}

/// What starts an RSM (and the hazard evaluation and RSI that go with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RsmTrigger {
    /// Every 1/`rsm_hz`: a steady rate, but a detection waits up to one period to leave.
    #[default]
    Timer,
    /// After each fused sensor frame, so a detection leaves as soon as it is fused; `rsm_hz`
    /// becomes the floor (an RSM still goes out after 1/`rsm_hz` without frames).
    Frame,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

fn ten() -> f64 {
    10.0
}
fn one() -> f64 {
    1.0
}

impl Default for Rates {
    fn default() -> Self {
        Self {
            rsm_hz: 10.0,
            spat_hz: 10.0,
            map_hz: 1.0,
            mapem_hz: 0.0,
            rsm_trigger: RsmTrigger::Timer,
            rsm_max_hz: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// UDP destinations (`host:port`) of every message.
    #[serde(default)]
    pub udp: Vec<String>,
    /// Source address written into captures (the RSU's address); default 192.0.2.1:30300.
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapSpec {
    pub lanes: Vec<LaneSpec>,
    /// Lane connections across the intersection (ingress lane → egress lane). A lane's
    /// `connects_to` is a shorthand for connections with the lane's signal group and the
    /// manoeuvre its geometry shows; a pair may be given only one way.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connections: Vec<ConnectionSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crosswalks: Vec<CrosswalkSpec>,
    /// Building footprints, for line of sight.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buildings: Vec<BuildingSpec>,
}

/// One allowed movement from an ingress lane to an egress lane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSpec {
    /// The ingress lane.
    pub from: u8,
    /// The egress lane.
    pub to: u8,
    pub maneuver: Maneuver,
    /// The signal group (SPAT phase) controlling this movement; none when unsignalised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal_group: Option<u8>,
    /// Where no signal controls it: whether the movement has the way or gives it.
    #[serde(default, skip_serializing_if = "RightOfWay::is_priority")]
    pub right_of_way: RightOfWay,
    /// The path across the intersection box, [east_m, north_m] from the ingress lane's stop
    /// line to the egress lane's start. When empty, a smooth curve joins the two lanes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<[f64; 2]>,
}

/// A pedestrian crossing: either a polygon, or a centreline with a width.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrosswalkSpec {
    /// Its lane ID in MAP: 1..=254, unique among lanes and crosswalks.
    pub id: u8,
    /// The approach whose MAP link carries the crosswalk lane.
    pub approach: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polygon: Option<Vec<[f64; 2]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centreline: Option<Vec<[f64; 2]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width_m: Option<f64>,
    /// The pedestrian signal group, if signalised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal_group: Option<u8>,
}

/// A building footprint that blocks the line of sight up to its height.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildingSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Outline, [east_m, north_m], at least 3 points, not closed (the last joins the first).
    pub footprint: Vec<[f64; 2]>,
    /// Height above the ground; unknown means it blocks every line of sight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_m: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaneSpec {
    /// 1..=254, unique.
    pub id: u8,
    /// The approach (link) this lane belongs to, e.g. "north".
    pub approach: String,
    pub width_m: f64,
    /// Centreline in the site frame, [east_m, north_m] points from upstream to downstream.
    /// For an ingress lane the last point is on the stop line.
    pub centreline: Vec<[f64; 2]>,
    /// Ingress (towards the stop line) or egress (leaving the intersection).
    #[serde(default = "ingress")]
    pub direction: LaneDirection,
    /// The signal group controlling this lane, for ingress lanes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal_group: Option<u8>,
    /// Allowed manoeuvres: any of straight, left, right, u_turn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maneuvers: Vec<Maneuver>,
    /// Egress lanes this lane connects to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connects_to: Vec<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_limit_mps: Option<f64>,
}

fn ingress() -> LaneDirection {
    LaneDirection::Ingress
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaneDirection {
    Ingress,
    Egress,
}

/// The rule of an unsignalised movement (a signal group's light overrides it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RightOfWay {
    /// It has the way (a major road), or nothing says otherwise.
    #[default]
    Priority,
    /// It gives way to the others (a minor road, a yield sign): MAP's `yieldAllwaysRequired`.
    GiveWay,
    /// It stops, then gives way (a stop sign, an all-way stop): MAP's `goWithHalt` too.
    Stop,
}

impl RightOfWay {
    pub fn is_priority(&self) -> bool {
        *self == Self::Priority
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Maneuver {
    Straight,
    Left,
    Right,
    UTurn,
}

/// The signal plan. Fixed-time: every group is green, then yellow, then red, once or more
/// per cycle (or red, or green, all cycle long). Actuated: each group's recorded `timeline`
/// is what the controller did (from a simulation or a log); the plan's times are the nominal
/// ones, and SPAT predicts each end from the group's minimum and maximum green and the
/// durations seen so far, never from the future.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalPlan {
    #[serde(default)]
    pub kind: SignalKind,
    pub cycle_s: f64,
    /// Cycle start relative to the scenario start.
    #[serde(default)]
    pub offset_s: f64,
    pub groups: Vec<SignalGroupSpec>,
    /// Live: the UDP address of the controller's JSON feed (`docs/signal-feed.md`); with it,
    /// the service takes the signal state from the feed instead of the plan.
    #[serde(default)]
    pub listen: Option<std::net::SocketAddr>,
    /// Live: a feed silent for this long is lost, and SPAT stops. Default 2 s.
    #[serde(default)]
    pub feed_timeout_s: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    #[default]
    FixedTime,
    Actuated,
}

/// One change of a group's light in an actuated plan's recorded timeline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LightChange {
    /// Since the scenario start.
    pub t_s: f64,
    pub light: crate::v2x::cn::spat::Light,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalGroupSpec {
    /// Signal group (SPAT phase) ID, 1..=254.
    pub id: u8,
    #[serde(default)]
    pub name: Option<String>,
    /// When green starts within the cycle.
    pub green_start_s: f64,
    /// 0 for a group never green (red all cycle, as a movement a program does not serve),
    /// the cycle for one green all cycle (a slip lane): a light that never changes.
    pub green_s: f64,
    pub yellow_s: f64,
    /// Actuated: the shortest and longest green the controller may give. Default: `green_s`.
    #[serde(default)]
    pub min_green_s: Option<f64>,
    #[serde(default)]
    pub max_green_s: Option<f64>,
    /// Actuated: the recorded light changes, in time order.
    #[serde(default)]
    pub timeline: Vec<LightChange>,
    /// The green is permissive (SPAT `permissive-green`): the movement must give way to
    /// conflicting traffic, as a left turn filtering through oncoming traffic or SUMO's `g`.
    /// Default: protected (`protected-green`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub permissive: bool,
    /// Fixed time: the group's further greens in the cycle, for a movement served in more
    /// than one stage (a crossing that is green with two vehicle stages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_greens: Vec<GreenWindow>,
}

/// A green, and the yellow after it, within a fixed-time cycle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GreenWindow {
    /// When green starts within the cycle.
    pub start_s: f64,
    pub green_s: f64,
    pub yellow_s: f64,
}

impl SignalGroupSpec {
    /// Every green of the group in the cycle: the first, then `more_greens`.
    pub fn greens(&self) -> impl Iterator<Item = GreenWindow> + '_ {
        std::iter::once(GreenWindow {
            start_s: self.green_start_s,
            green_s: self.green_s,
            yellow_s: self.yellow_s,
        })
        .chain(self.more_greens.iter().copied())
    }

    /// The light of a group that never changes (never green: red; green all cycle: its
    /// green), in a cycle of `cycle_s`; `None` for one that does.
    pub fn steady_light(&self, cycle_s: f64) -> Option<crate::v2x::cn::spat::Light> {
        if self.green_s <= 0.0 {
            Some(crate::v2x::cn::spat::Light::Red)
        } else if self.green_s >= cycle_s && self.more_greens.is_empty() {
            Some(self.green_light())
        } else {
            None
        }
    }

    /// The light this group shows on green.
    pub fn green_light(&self) -> crate::v2x::cn::spat::Light {
        if self.permissive {
            crate::v2x::cn::spat::Light::PermissiveGreen
        } else {
            crate::v2x::cn::spat::Light::ProtectedGreen
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoadUserClass {
    Car,
    Truck,
    Bus,
    Motorcycle,
    Bicycle,
    Pedestrian,
}

impl RoadUserClass {
    /// Typical (length, width, height) in metres.
    pub fn default_size(self) -> (f64, f64, f64) {
        match self {
            Self::Car => (4.6, 1.8, 1.5),
            Self::Truck => (10.0, 2.5, 3.5),
            Self::Bus => (12.0, 2.5, 3.2),
            Self::Motorcycle => (2.2, 0.8, 1.4),
            Self::Bicycle => (1.8, 0.6, 1.7),
            Self::Pedestrian => (0.5, 0.5, 1.7),
        }
    }

    pub fn is_vehicle(self) -> bool {
        !matches!(self, Self::Bicycle | Self::Pedestrian)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoadUserSpec {
    pub id: String,
    pub class: RoadUserClass,
    #[serde(default)]
    pub length_m: Option<f64>,
    #[serde(default)]
    pub width_m: Option<f64>,
    /// When the road user appears, seconds after the scenario start.
    #[serde(default)]
    pub start_s: f64,
    /// Waypoints in the site frame, [east_m, north_m]; at least two.
    pub path: Vec<[f64; 2]>,
    /// Speed profile: [t_s, speed_mps] breakpoints, t relative to `start_s`, linear between
    /// them and constant after the last. The road user leaves at the end of its path.
    pub speed: Vec<[f64; 2]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorKind {
    Camera,
    Radar,
    /// Vehicles reporting themselves (CN BSM) as the RSU forwards them: raw UPER
    /// `MessageFrame`s, or IFM-style text with a `Payload=` hex line. `position`, `fov_deg` and
    /// `range_m` describe the radio coverage; `rate_hz` the vehicles' BSM rate.
    Bsm,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorSpec {
    pub id: String,
    pub kind: SensorKind,
    /// Mounting position in the site frame.
    pub position: Enu,
    /// Boresight direction, degrees counter-clockwise from east.
    pub yaw_deg: f64,
    /// Full horizontal field of view, degrees.
    pub fov_deg: f64,
    pub range_m: f64,
    pub rate_hz: f64,
    /// Mean delay from capture to delivery.
    pub latency_s: f64,
    /// Radar range noise (one standard deviation), metres. A camera's noise is in pixels, in
    /// `camera.pixel_noise_px`.
    #[serde(default)]
    pub noise_m: Option<f64>,
    /// Radar azimuth noise (one standard deviation), degrees.
    #[serde(default)]
    pub azimuth_noise_deg: Option<f64>,
    /// Radar Doppler (radial speed) noise (one standard deviation), m/s.
    #[serde(default)]
    pub doppler_noise_mps: Option<f64>,
    /// Radar cross-section noise (one standard deviation), dB.
    #[serde(default)]
    pub rcs_noise_db: Option<f64>,
    /// Detection probability near the sensor; see `full_detection_range_m`.
    pub detection_probability: f64,
    /// Up to this distance the detection probability is `detection_probability`; beyond it
    /// falls smoothly to 0 at `range_m`. Default 70 % of `range_m`.
    #[serde(default)]
    pub full_detection_range_m: Option<f64>,
    /// The share of objects whose class the sensor gets right (a camera detector's accuracy;
    /// a radar's object classification). Default 0.9 for a camera, 0.6 for a radar.
    #[serde(default)]
    pub class_accuracy: Option<f64>,
    /// A camera's intrinsics, tilt and pixel noise; defaults derived from `fov_deg`.
    #[serde(default)]
    pub camera: Option<CameraSpec>,
    /// Live: the UDP address this sensor's frames arrive on (camera JSON object lists, or an
    /// ARS408 radar's CAN frames through a CAN-to-UDP gateway).
    #[serde(default)]
    pub listen: Option<std::net::SocketAddr>,
    /// An ARS408 radar's SensorID (0..=7), which offsets its CAN IDs.
    #[serde(default)]
    pub radar_sensor_id: u8,
    /// Latency varies uniformly within ± this around `latency_s`.
    #[serde(default)]
    pub latency_jitter_s: f64,
    /// The sensor's clock minus the site clock: it stamps its frames in its own time, and
    /// ingest corrects by this (known, configured) offset.
    #[serde(default)]
    pub clock_offset_s: f64,
    /// Mean number of false detections per frame, spread over the field of view.
    #[serde(default)]
    pub false_alarms_per_frame: f64,
    /// Radar multipath: the chance per detected object of a ghost at a longer range along the
    /// same bearing.
    #[serde(default)]
    pub ghost_probability: f64,
    /// Whether objects hidden behind nearer objects along the line of sight are missed.
    #[serde(default = "yes")]
    pub occlusion: bool,
    /// Intervals `[start_s, end_s]` (since the scenario start) in which the sensor delivers
    /// nothing.
    #[serde(default)]
    pub outages: Vec<[f64; 2]>,
}

fn yes() -> bool {
    true
}

/// A camera's optics and mounting tilt. Every field has a default: a 1920×1080 image whose
/// horizontal field of view is the sensor's `fov_deg`, centred, without distortion, tilted
/// down to look at the middle of its range.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraSpec {
    pub width_px: Option<u32>,
    pub height_px: Option<u32>,
    pub fx: Option<f64>,
    pub fy: Option<f64>,
    pub cx: Option<f64>,
    pub cy: Option<f64>,
    #[serde(default)]
    pub k1: f64,
    #[serde(default)]
    pub k2: f64,
    /// Down-tilt of the optical axis, degrees.
    pub pitch_deg: Option<f64>,
    #[serde(default)]
    pub roll_deg: f64,
    /// Box-edge noise of the detector (one standard deviation), pixels. Default 1.
    pub pixel_noise_px: Option<f64>,
}

impl SensorSpec {
    /// The camera model of a camera sensor, every default filled in.
    pub fn camera_model(
        &self,
    ) -> Result<crate::sensor::camera::Camera, crate::sensor::camera::CameraError> {
        use crate::sensor::camera::{Camera, Intrinsics, Pose};
        let c = self.camera.clone().unwrap_or_default();
        let width_px = c.width_px.unwrap_or(1920);
        let height_px = c.height_px.unwrap_or(1080);
        let half_fov = (self.fov_deg.min(170.0) / 2.0).to_radians();
        let fx = c.fx.unwrap_or(f64::from(width_px) / 2.0 / half_fov.tan());
        let pitch = c.pitch_deg.map(f64::to_radians).unwrap_or(
            (self.position.up_m / (0.4 * self.range_m))
                .atan()
                .clamp(0.03, 1.2),
        );
        Camera::new(
            Intrinsics {
                fx,
                fy: c.fy.unwrap_or(fx),
                cx: c.cx.unwrap_or(f64::from(width_px) / 2.0),
                cy: c.cy.unwrap_or(f64::from(height_px) / 2.0),
                width_px,
                height_px,
                k1: c.k1,
                k2: c.k2,
            },
            Pose {
                east_m: self.position.east_m,
                north_m: self.position.north_m,
                up_m: self.position.up_m,
                yaw_rad: self.yaw_deg.to_radians(),
                pitch_rad: pitch,
                roll_rad: c.roll_deg.to_radians(),
            },
        )
    }

    pub fn pixel_noise_px(&self) -> f64 {
        self.camera
            .as_ref()
            .and_then(|c| c.pixel_noise_px)
            .unwrap_or(1.0)
    }

    pub fn range_noise_m(&self) -> f64 {
        self.noise_m.unwrap_or(0.25)
    }

    pub fn azimuth_noise_rad(&self) -> f64 {
        self.azimuth_noise_deg.unwrap_or(1.0).to_radians()
    }

    pub fn doppler_noise_mps(&self) -> f64 {
        self.doppler_noise_mps.unwrap_or(0.1)
    }

    pub fn rcs_noise_db(&self) -> f64 {
        self.rcs_noise_db.unwrap_or(2.0)
    }

    pub fn full_detection_range_m(&self) -> f64 {
        self.full_detection_range_m.unwrap_or(0.7 * self.range_m)
    }

    pub fn class_accuracy(&self) -> f64 {
        self.class_accuracy.unwrap_or(match self.kind {
            SensorKind::Camera => 0.9,
            SensorKind::Radar => 0.6,
            // A vehicle states its own class.
            SensorKind::Bsm => 0.95,
        })
    }
}

/// Parses an RFC 3339 UTC time (`YYYY-MM-DDTHH:MM:SS[.fff]Z` or with `+00:00`).
pub fn parse_utc(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    let body = s.strip_suffix('Z').or_else(|| s.strip_suffix("+00:00"))?;
    let (date, time) = body.split_once(['T', ' '])?;
    let mut d = date.splitn(3, '-');
    let (y, mo, da): (i64, u32, u32) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let mut t = time.splitn(3, ':');
    let (h, mi): (i64, i64) = (t.next()?.parse().ok()?, t.next()?.parse().ok()?);
    let sec: f64 = t.next()?.parse().ok()?;
    if !(1..=12).contains(&mo)
        || !(1..=31).contains(&da)
        || !(0..24).contains(&h)
        || !(0..60).contains(&mi)
        || !(0.0..61.0).contains(&sec)
    {
        return None;
    }
    let days = crate::time::days_from_civil(y, mo, da);
    Some(Timestamp::from_micros(
        (days * 86_400 + h * 3600 + mi * 60) * 1_000_000 + (sec * 1e6).round() as i64,
    ))
}

/// Reads a SUMO network (`.net.xml`) and imports its traffic-light junction `junction_id`
/// as a map (see [`crate::map::sumo`]).
pub fn import_sumo_junction(
    path: &Path,
    junction_id: &str,
    opts: &crate::map::sumo::ImportOptions,
) -> Result<crate::map::sumo::ImportedMap, crate::map::sumo::SumoError> {
    let text =
        sumo::xml::read_to_string(path).map_err(|source| crate::map::sumo::SumoError::Read {
            file: path.to_path_buf(),
            source,
        })?;
    crate::map::sumo::import_junction(&text, path, junction_id, opts)
}

/// The bundled default scenario (`scenarios/default.toml`), so that `roadsight run` works
/// from any directory.
pub const DEFAULT: &str = include_str!("../../scenarios/default.toml");

impl Scenario {
    /// The bundled default scenario.
    pub fn default_scenario() -> Result<Self, ScenarioError> {
        Self::parse(DEFAULT, Path::new("scenarios/default.toml (built in)"))
    }

    /// Reads, parses and checks a scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            file: path.to_path_buf(),
            source,
        })?;
        let mut s = Self::parse(&text, path)?;
        if let (Some(q), Some(dir)) = (s.quic.as_mut(), path.parent()) {
            q.resolve_paths(dir);
        }
        Ok(s)
    }

    /// Parses and checks scenario text; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Self, ScenarioError> {
        let invalid = |key: String, reason: String| ScenarioError::Invalid {
            file: file.to_path_buf(),
            key,
            reason,
        };
        let de = toml::Deserializer::new(text);
        let s: Scenario = serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            let inner = e.into_inner();
            let reason = inner.message().to_string();
            // TOML's own position helps find the spot in a large file.
            let at = inner
                .span()
                .map(|sp| {
                    let line = text[..sp.start.min(text.len())].matches('\n').count() + 1;
                    format!(" (line {line})")
                })
                .unwrap_or_default();
            invalid(
                if key == "." {
                    "(top level)".into()
                } else {
                    key
                },
                format!("{reason}{at}"),
            )
        })?;
        s.check().map_err(|(key, reason)| invalid(key, reason))?;
        Ok(s)
    }

    /// The scenario start as a timestamp (checked at load).
    pub fn start(&self) -> Timestamp {
        parse_utc(&self.run.start_time).unwrap_or_default()
    }

    /// Every semantic rule, as (key path, reason).
    fn check(&self) -> Result<(), (String, String)> {
        let fail = |k: &str, r: &str| Err((k.to_string(), r.to_string()));
        if self.version != 1 {
            return fail("version", "only format version 1 is known");
        }
        if !self.site.anchor.is_valid() {
            return fail(
                "site.anchor",
                "latitude/longitude must be finite and within ±90°/±180°",
            );
        }
        if self.site.rsu_id.len() != 8 || !self.site.rsu_id.is_ascii() {
            return fail("site.rsu_id", "must be exactly 8 ASCII characters");
        }
        finite_enu("site.rsu_position", &self.site.rsu_position)?;
        if let Some(Err((k, r))) = self.record.as_ref().map(|r| r.check()) {
            return fail(k, r);
        }
        positive("run.duration_s", self.run.duration_s)?;
        if parse_utc(&self.run.start_time).is_none() {
            return fail(
                "run.start_time",
                "not an RFC 3339 UTC time such as 2026-11-23T08:00:00Z",
            );
        }
        for (k, v) in [
            ("messages.rsm_hz", self.messages.rsm_hz),
            ("messages.spat_hz", self.messages.spat_hz),
            ("messages.map_hz", self.messages.map_hz),
            ("messages.mapem_hz", self.messages.mapem_hz),
        ] {
            non_negative(k, v)?;
            if v > 100.0 {
                return fail(k, "more than 100 Hz");
            }
        }
        if self.messages.mapem_hz > 0.0 && self.site.station_id.is_none() {
            return fail(
                "messages.mapem_hz",
                "MAPEM needs the ETSI station ID of its sender: set site.station_id",
            );
        }
        if let Some(v) = self.messages.rsm_max_hz {
            positive("messages.rsm_max_hz", v)?;
            if v > 100.0 {
                return fail("messages.rsm_max_hz", "more than 100 Hz");
            }
            if self.messages.rsm_trigger == RsmTrigger::Timer {
                return fail(
                    "messages.rsm_max_hz",
                    "only applies with rsm_trigger = \"frame\" (the timer already sets the rate)",
                );
            }
        }
        for (i, a) in self.output.udp.iter().enumerate() {
            if a.parse::<std::net::SocketAddr>().is_err() {
                return Err((
                    format!("output.udp[{i}]"),
                    format!("{a:?} is not an address such as 127.0.0.1:30299"),
                ));
            }
        }
        if let Some(a) = &self.output.source {
            if a.parse::<std::net::SocketAddrV4>().is_err() {
                return fail("output.source", "not an IPv4 address with port");
            }
        }
        if let Some(q) = &self.quic {
            q.check()?;
        }
        self.check_map()?;
        self.check_signal()?;
        links::check(&self.links, &self.metrics)?;
        self.hazards.validate()?;
        if let Some(t) = &self.tcc {
            t.validate()?;
        }
        for (i, c) in self.conflicts.iter().enumerate() {
            let k = |f: &str| format!("conflicts[{i}].{f}");
            finite(&k("time_s"), c.time_s)?;
            if c.road_users.is_empty() || c.road_users.len() > 2 {
                return Err((k("road_users"), "one or two road users".into()));
            }
            for (j, id) in c.road_users.iter().enumerate() {
                if !self.road_users.iter().any(|u| &u.id == id) {
                    return Err((
                        format!("conflicts[{i}].road_users[{j}]"),
                        format!("no road user {id:?}"),
                    ));
                }
            }
        }
        let mut ids = std::collections::BTreeSet::new();
        for (i, s) in self.sensors.iter().enumerate() {
            let k = |f: &str| format!("sensors[{i}].{f}");
            if !ids.insert(&s.id) {
                return Err((k("id"), format!("duplicate sensor id {:?}", s.id)));
            }
            finite_enu(&k("position"), &s.position)?;
            finite(&k("yaw_deg"), s.yaw_deg)?;
            positive(&k("fov_deg"), s.fov_deg)?;
            if s.fov_deg > 360.0 {
                return Err((k("fov_deg"), "more than 360°".into()));
            }
            positive(&k("range_m"), s.range_m)?;
            positive(&k("rate_hz"), s.rate_hz)?;
            non_negative(&k("latency_s"), s.latency_s)?;
            if s.latency_s > 5.0 {
                return Err((k("latency_s"), "more than 5 s".into()));
            }
            let radar_only = [
                ("noise_m", s.noise_m),
                ("azimuth_noise_deg", s.azimuth_noise_deg),
                ("doppler_noise_mps", s.doppler_noise_mps),
                ("rcs_noise_db", s.rcs_noise_db),
            ];
            for (f, v) in radar_only {
                match (s.kind, v) {
                    (SensorKind::Radar, Some(v)) => non_negative(&k(f), v)?,
                    (SensorKind::Bsm, Some(_)) => {
                        return Err((
                            k(f),
                            "is a radar setting; a BSM carries its own accuracy".into(),
                        ))
                    }
                    (SensorKind::Camera, Some(_)) => {
                        return Err((
                            k(f),
                            "is a radar setting; a camera's noise is camera.pixel_noise_px".into(),
                        ))
                    }
                    _ => {}
                }
            }
            if s.kind != SensorKind::Camera && s.camera.is_some() {
                return Err((k("camera"), "is only for a camera".into()));
            }
            if s.radar_sensor_id > 7 {
                return Err((k("radar_sensor_id"), "must be within 0..=7".into()));
            }
            if !(0.0..=1.0).contains(&s.detection_probability) {
                return Err((k("detection_probability"), "must be within 0..=1".into()));
            }
            if let Some(f) = s.full_detection_range_m {
                if !(f.is_finite() && f >= 0.0 && f < s.range_m) {
                    return Err((
                        k("full_detection_range_m"),
                        "must be within 0..range_m".into(),
                    ));
                }
            }
            if let Some(a) = s.class_accuracy {
                if !(0.0..=1.0).contains(&a) {
                    return Err((k("class_accuracy"), "must be within 0..=1".into()));
                }
            }
            if s.kind == SensorKind::Camera {
                if let Some(px) = s.camera.as_ref().and_then(|c| c.pixel_noise_px) {
                    positive(&k("camera.pixel_noise_px"), px)?;
                }
                if let Err(e) = s.camera_model() {
                    let key = match e.field {
                        "east_m" | "north_m" | "up_m" => k("position"),
                        "yaw_rad" => k("yaw_deg"),
                        "pitch_rad" => k("camera.pitch_deg"),
                        "roll_rad" => k("camera.roll_deg"),
                        f => k(&format!("camera.{f}")),
                    };
                    return Err((key, e.reason.to_string()));
                }
            }
            non_negative(&k("latency_jitter_s"), s.latency_jitter_s)?;
            if s.latency_jitter_s > s.latency_s {
                return Err((
                    k("latency_jitter_s"),
                    "cannot exceed latency_s (no delivery before capture)".into(),
                ));
            }
            finite(&k("clock_offset_s"), s.clock_offset_s)?;
            if s.clock_offset_s.abs() > 3600.0 {
                return Err((k("clock_offset_s"), "more than an hour".into()));
            }
            non_negative(&k("false_alarms_per_frame"), s.false_alarms_per_frame)?;
            if s.false_alarms_per_frame > 1000.0 {
                return Err((k("false_alarms_per_frame"), "more than 1000".into()));
            }
            if !(0.0..=1.0).contains(&s.ghost_probability) {
                return Err((k("ghost_probability"), "must be within 0..=1".into()));
            }
            for (j, [a, b]) in s.outages.iter().enumerate() {
                let kj = format!("sensors[{i}].outages[{j}]");
                non_negative(&kj, *a)?;
                non_negative(&kj, *b)?;
                if b <= a {
                    return Err((kj, "end must be after start".into()));
                }
            }
        }
        let mut ids = std::collections::BTreeSet::new();
        for (i, u) in self.road_users.iter().enumerate() {
            let k = |f: &str| format!("road_users[{i}].{f}");
            if !ids.insert(&u.id) {
                return Err((k("id"), format!("duplicate road user id {:?}", u.id)));
            }
            non_negative(&k("start_s"), u.start_s)?;
            for (f, v) in [("length_m", u.length_m), ("width_m", u.width_m)] {
                if let Some(v) = v {
                    positive(&k(f), v)?;
                }
            }
            polyline(&k("path"), &u.path)?;
            if u.speed.is_empty() {
                return Err((
                    k("speed"),
                    "needs at least one [t_s, speed_mps] point".into(),
                ));
            }
            let mut last_t = f64::NEG_INFINITY;
            for (j, [t, v]) in u.speed.iter().enumerate() {
                let kj = format!("road_users[{i}].speed[{j}]");
                non_negative(&kj, *t)?;
                non_negative(&kj, *v)?;
                if *t <= last_t {
                    return Err((kj, "times must increase".into()));
                }
                last_t = *t;
            }
        }
        Ok(())
    }

    fn check_map(&self) -> Result<(), (String, String)> {
        let mut ids = std::collections::BTreeSet::new();
        if self.map.lanes.is_empty() {
            return Err(("map.lanes".into(), "a map needs at least one lane".into()));
        }
        let group_exists = |key: String, g: Option<u8>| match (g, &self.signal) {
            (Some(g), None) => Err((key, format!("signal group {g}, but there is no [signal]"))),
            (Some(g), Some(p)) if !p.groups.iter().any(|sg| sg.id == g) => {
                Err((key, format!("no signal group {g} in signal.groups")))
            }
            _ => Ok(()),
        };
        for (i, l) in self.map.lanes.iter().enumerate() {
            let k = |f: &str| format!("map.lanes[{i}].{f}");
            if l.id == 0 || l.id == 255 || !ids.insert(l.id) {
                return Err((
                    k("id"),
                    format!("lane id {} is reserved or used twice", l.id),
                ));
            }
            positive(&k("width_m"), l.width_m)?;
            lane_polyline(&k("centreline"), &l.centreline)?;
            if l.centreline.len() > 31 {
                return Err((
                    k("centreline"),
                    "at most 31 points fit in a MAP lane".into(),
                ));
            }
            group_exists(k("signal_group"), l.signal_group)?;
            if let Some(v) = l.speed_limit_mps {
                positive(&k("speed_limit_mps"), v)?;
            }
            if l.connects_to.len() > 8 {
                return Err((k("connects_to"), "at most 8 connections".into()));
            }
        }
        let lane = |id: u8| self.map.lanes.iter().find(|l| l.id == id);
        let mut pairs = std::collections::BTreeMap::new();
        for (i, l) in self.map.lanes.iter().enumerate() {
            for (j, c) in l.connects_to.iter().enumerate() {
                let key = format!("map.lanes[{i}].connects_to[{j}]");
                if !ids.contains(c) {
                    return Err((key, format!("no lane {c} in the map")));
                }
                if pairs.insert((l.id, *c), key.clone()).is_some() {
                    return Err((key, format!("lane {c} is listed twice")));
                }
            }
        }
        for (i, c) in self.map.connections.iter().enumerate() {
            let k = |f: &str| format!("map.connections[{i}].{f}");
            for (f, id, dir) in [
                ("from", c.from, LaneDirection::Ingress),
                ("to", c.to, LaneDirection::Egress),
            ] {
                match lane(id) {
                    None => return Err((k(f), format!("no lane {id} in the map"))),
                    Some(l) if l.direction != dir => {
                        let want = if dir == LaneDirection::Ingress {
                            "an ingress"
                        } else {
                            "an egress"
                        };
                        return Err((k(f), format!("lane {id} is not {want} lane")));
                    }
                    Some(_) => {}
                }
            }
            if let Some(other) = pairs.insert((c.from, c.to), k("from")) {
                return Err((
                    k("to"),
                    format!(
                        "lane {} → lane {} is already connected by {other}",
                        c.from, c.to
                    ),
                ));
            }
            group_exists(k("signal_group"), c.signal_group)?;
            if !c.path.is_empty() {
                lane_polyline(&k("path"), &c.path)?;
                if c.path.len() > 31 {
                    return Err((k("path"), "at most 31 points".into()));
                }
            }
        }
        for l in &self.map.lanes {
            let n = pairs.keys().filter(|(from, _)| *from == l.id).count();
            if n > 8 {
                return Err((
                    "map.connections".into(),
                    format!(
                        "lane {} has {n} connections; a MAP lane takes at most 8",
                        l.id
                    ),
                ));
            }
        }
        for (i, c) in self.map.crosswalks.iter().enumerate() {
            let k = |f: &str| format!("map.crosswalks[{i}].{f}");
            if c.id == 0 || c.id == 255 || !ids.insert(c.id) {
                return Err((
                    k("id"),
                    format!(
                        "lane id {} is reserved or used twice (lanes and crosswalks share IDs)",
                        c.id
                    ),
                ));
            }
            match (&c.polygon, &c.centreline, c.width_m) {
                (Some(p), None, None) => polygon(&k("polygon"), p)?,
                (None, Some(cl), Some(w)) => {
                    lane_polyline(&k("centreline"), cl)?;
                    positive(&k("width_m"), w)?;
                }
                (None, Some(_), None) => {
                    return Err((k("width_m"), "a crosswalk centreline needs a width".into()))
                }
                (None, None, _) => {
                    return Err((
                        k("polygon"),
                        "give either a polygon or a centreline with width_m".into(),
                    ))
                }
                (Some(_), _, _) => {
                    return Err((
                        k("polygon"),
                        "give either a polygon or a centreline with width_m, not both".into(),
                    ))
                }
            }
            group_exists(k("signal_group"), c.signal_group)?;
        }
        for (i, b) in self.map.buildings.iter().enumerate() {
            let k = |f: &str| format!("map.buildings[{i}].{f}");
            polygon(&k("footprint"), &b.footprint)?;
            if let Some(h) = b.height_m {
                positive(&k("height_m"), h)?;
            }
        }
        Ok(())
    }

    fn check_signal(&self) -> Result<(), (String, String)> {
        let Some(p) = &self.signal else {
            return Ok(());
        };
        positive("signal.cycle_s", p.cycle_s)?;
        finite("signal.offset_s", p.offset_s)?;
        if p.groups.is_empty() || p.groups.len() > 16 {
            return Err((
                "signal.groups".into(),
                format!(
                    "{} signal groups: a plan has 1 to 16, the phases one CN SPAT carries \
                     per intersection (a site without signals leaves [signal] out)",
                    p.groups.len()
                ),
            ));
        }
        let mut ids = std::collections::BTreeSet::new();
        for (i, g) in p.groups.iter().enumerate() {
            let k = |f: &str| format!("signal.groups[{i}].{f}");
            if g.id == 0 || g.id == 255 || !ids.insert(g.id) {
                return Err((
                    k("id"),
                    format!("signal group id {} is reserved or used twice", g.id),
                ));
            }
            non_negative(&k("green_start_s"), g.green_start_s)?;
            non_negative(&k("green_s"), g.green_s)?;
            non_negative(&k("yellow_s"), g.yellow_s)?;
            let never_green = g.green_s == 0.0;
            if never_green && (g.yellow_s > 0.0 || !g.more_greens.is_empty()) {
                return Err((
                    k("green_s"),
                    "a green of 0 s (never green: red all cycle) has no yellow_s or more_greens"
                        .into(),
                ));
            }
            let always_green = (g.green_s - p.cycle_s).abs() < 1e-9 && g.yellow_s == 0.0;
            if g.green_start_s >= p.cycle_s {
                return Err((k("green_start_s"), "must be within the cycle".into()));
            }
            for (j, w) in g.more_greens.iter().enumerate() {
                let kj = |f: &str| k(&format!("more_greens[{j}].{f}"));
                non_negative(&kj("start_s"), w.start_s)?;
                positive(&kj("green_s"), w.green_s)?;
                non_negative(&kj("yellow_s"), w.yellow_s)?;
                if w.start_s >= p.cycle_s {
                    return Err((kj("start_s"), "must be within the cycle".into()));
                }
            }
            if p.kind == SignalKind::Actuated && !g.more_greens.is_empty() {
                return Err((
                    k("more_greens"),
                    "only a fixed-time plan has more than one green per cycle".into(),
                ));
            }
            // Fixed time: a group may be green (and yellow) all cycle, never red; actuated,
            // the controller needs a red to predict from, unless the light never changes.
            let lit_s = g.greens().map(|w| w.green_s + w.yellow_s).sum::<f64>();
            match p.kind {
                SignalKind::Actuated if lit_s >= p.cycle_s && !always_green => {
                    return Err((
                        k("green_s"),
                        "an actuated plan's green and yellow must leave some red in the cycle, \
                         unless the group is green all cycle (green_s = cycle_s, no yellow)"
                            .into(),
                    ));
                }
                SignalKind::FixedTime if lit_s > p.cycle_s + 1e-9 => {
                    return Err((
                        k("green_s"),
                        format!(
                            "green and yellow ({lit_s} s) are longer than the cycle ({} s)",
                            p.cycle_s
                        ),
                    ));
                }
                _ => {}
            }
            let mut windows: Vec<GreenWindow> = g.greens().collect();
            windows.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
            for (j, a) in windows.iter().enumerate().filter(|_| windows.len() > 1) {
                // The next green, the first one's in the next cycle after the last.
                let (b, next) = match windows.get(j + 1) {
                    Some(b) => (b, b.start_s),
                    None => (&windows[0], windows[0].start_s + p.cycle_s),
                };
                if a.start_s + a.green_s + a.yellow_s > next + 1e-9 {
                    return Err((
                        k("more_greens"),
                        format!(
                            "the green from {} s (with its yellow) overlaps the green from {} s",
                            a.start_s, b.start_s
                        ),
                    ));
                }
            }
            let m = &self.map;
            if !m.lanes.iter().any(|l| l.signal_group == Some(g.id))
                && !m.connections.iter().any(|c| c.signal_group == Some(g.id))
                && !m.crosswalks.iter().any(|c| c.signal_group == Some(g.id))
            {
                return Err((k("id"), format!("signal group {} controls no lane", g.id)));
            }
            let (min_g, max_g) = (
                g.min_green_s.unwrap_or(g.green_s),
                g.max_green_s.unwrap_or(g.green_s),
            );
            if !never_green {
                positive(&k("min_green_s"), min_g)?;
                positive(&k("max_green_s"), max_g)?;
            }
            if max_g < min_g {
                return Err((k("max_green_s"), "must not be less than min_green_s".into()));
            }
            match p.kind {
                SignalKind::Actuated if g.timeline.is_empty() => {
                    return Err((
                        k("timeline"),
                        "an actuated plan needs each group's recorded light changes".into(),
                    ));
                }
                SignalKind::FixedTime if !g.timeline.is_empty() => {
                    return Err((k("timeline"), "only an actuated plan has a timeline".into()));
                }
                _ => {}
            }
            let mut last = f64::NEG_INFINITY;
            for (j, c) in g.timeline.iter().enumerate() {
                let kj = format!("signal.groups[{i}].timeline[{j}].t_s");
                finite(&kj, c.t_s)?;
                if c.t_s <= last {
                    return Err((kj, "light changes must be in time order".into()));
                }
                last = c.t_s;
            }
        }
        if let Some(t) = p.feed_timeout_s {
            positive("signal.feed_timeout_s", t)?;
        }
        Ok(())
    }
}

fn finite(key: &str, v: f64) -> Result<(), (String, String)> {
    if v.is_finite() {
        Ok(())
    } else {
        Err((key.to_string(), format!("{v} is not a finite number")))
    }
}

fn positive(key: &str, v: f64) -> Result<(), (String, String)> {
    finite(key, v)?;
    if v > 0.0 {
        Ok(())
    } else {
        Err((key.to_string(), format!("must be positive, got {v}")))
    }
}

fn non_negative(key: &str, v: f64) -> Result<(), (String, String)> {
    finite(key, v)?;
    if v >= 0.0 {
        Ok(())
    } else {
        Err((key.to_string(), format!("must not be negative, got {v}")))
    }
}

fn finite_enu(key: &str, p: &Enu) -> Result<(), (String, String)> {
    for (f, v) in [
        ("east_m", p.east_m),
        ("north_m", p.north_m),
        ("up_m", p.up_m),
    ] {
        finite(&format!("{key}.{f}"), v)?;
    }
    Ok(())
}

fn polyline(key: &str, pts: &[[f64; 2]]) -> Result<(), (String, String)> {
    if pts.len() < 2 {
        return Err((
            key.to_string(),
            format!("needs at least 2 points, got {}", pts.len()),
        ));
    }
    for (j, [e, n]) in pts.iter().enumerate() {
        finite(&format!("{key}[{j}]"), *e)?;
        finite(&format!("{key}[{j}]"), *n)?;
    }
    let length: f64 = pts
        .windows(2)
        .map(|w| (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]))
        .sum();
    if length <= 0.0 {
        return Err((key.to_string(), "has zero length".into()));
    }
    Ok(())
}

/// A lane or path centreline: a polyline whose consecutive points differ.
fn lane_polyline(key: &str, pts: &[[f64; 2]]) -> Result<(), (String, String)> {
    polyline(key, pts)?;
    for (j, w) in pts.windows(2).enumerate() {
        if (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]) < 1e-3 {
            return Err((
                format!("{key}[{}]", j + 1),
                "repeats the point before it (segments need length)".into(),
            ));
        }
    }
    Ok(())
}

/// A polygon outline: at least 3 finite points enclosing some area.
fn polygon(key: &str, pts: &[[f64; 2]]) -> Result<(), (String, String)> {
    if pts.len() < 3 {
        return Err((
            key.to_string(),
            format!("a polygon needs at least 3 points, got {}", pts.len()),
        ));
    }
    for (j, [e, n]) in pts.iter().enumerate() {
        finite(&format!("{key}[{j}]"), *e)?;
        finite(&format!("{key}[{j}]"), *n)?;
    }
    if crate::map::geometry::polygon_area_m2(pts).abs() < 1e-3 {
        return Err((
            key.to_string(),
            "encloses no area (its points are on one line)".into(),
        ));
    }
    Ok(())
}
