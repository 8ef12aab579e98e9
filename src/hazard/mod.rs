//! Hazards a car cannot see for itself, from the world model, the map and the signal state.
//! Each detector has its own config (SI thresholds, enable switch); every hazard has a
//! lifecycle (start, update, end) with a stable ID, hysteresis against flicker (it must hold
//! for `confirm_evaluations` evaluations to start and be absent `clear_after_s` to end), a
//! priority, the road users involved, and the values that fired it (provenance).
//!
//! Sans-IO: [`HazardEngine::evaluate`] takes the time and the state and returns events.

pub mod conflict;
pub mod detectors;
pub mod rsi_codes;

use crate::fusion::Class;
use crate::time::Timestamp;
use crate::v2x::cn::spat::Light;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use detectors::glosa::{Advice, LaneAdvice};
pub use detectors::Inputs;
pub use rsi_codes::RsiEventTypes;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HazardKind {
    /// Two road users' paths meet with too little time between them (intersection collision;
    /// beyond line of sight when they cannot see each other).
    IntersectionCollision,
    /// A pedestrian or cyclist in the path of a vehicle.
    VulnerableRoadUser,
    /// A vehicle that cannot stop comfortably before the stop line of a light that will be
    /// red, and one that crossed its stop line on red (`Values::ran_red`): one hazard per
    /// vehicle, warned as soon as the run is predicted and updated when it is seen.
    /// (`red_light_running`, the name of a separate kind before, is read as this one.)
    #[serde(alias = "red_light_running")]
    RedLightViolation,
    /// Green-light speed advice for a vehicle approaching a signal.
    Glosa,
}

impl HazardKind {
    pub const ALL: [HazardKind; 4] = [
        Self::IntersectionCollision,
        Self::VulnerableRoadUser,
        Self::RedLightViolation,
        Self::Glosa,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::IntersectionCollision => "intersection_collision",
            Self::VulnerableRoadUser => "vulnerable_road_user",
            Self::RedLightViolation => "red_light_violation",
            Self::Glosa => "glosa",
        }
    }
}

/// What fired a hazard: the numbers a site engineer checks.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Values {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttc_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pet_s: Option<f64>,
    /// Time until the first road user reaches the conflict point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_conflict_s: Option<f64>,
    /// Joint probability of the two ways the road users were predicted to go (1 where
    /// each has only one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed_mps: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_decel_mps2: Option<f64>,
    /// The light the road user's signal shows now, and will show on arrival.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal_now: Option<Light>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal_on_arrival: Option<Light>,
    /// GLOSA: the speed range that arrives on green (both `None` with `advice_stop`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice_min_mps: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice_max_mps: Option<f64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub advice_stop: bool,
    /// The crosswalk (its MAP lane ID) the road user at risk is on or about to enter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crosswalk: Option<u8>,
    /// The two road users cannot see each other (a building or a large vehicle between).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub beyond_line_of_sight: bool,
    /// A red-light violation seen done: a detection has placed the vehicle past its stop
    /// line, which it crossed on red.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ran_red: bool,
}

/// What a detector found in one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: HazardKind,
    /// Track IDs, sorted: with `kind`, they identify the hazard across evaluations.
    pub road_users: Vec<u32>,
    /// 0 (lowest) … 7 (highest), as RSI priority.
    pub priority: u8,
    /// Site frame: the conflict point, or the stop line.
    pub point: [f64; 2],
    /// The rule that fired, for the log.
    pub rule: &'static str,
    pub values: Values,
    /// For GLOSA: the lane the advice is for.
    pub lane: Option<u8>,
}

/// A hazard as published: a finding with its identity and life.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hazard {
    pub id: u32,
    pub kind: HazardKind,
    pub road_users: Vec<u32>,
    /// Classes of the road users, in the same order.
    pub classes: Vec<String>,
    /// The sensors that detected these road users.
    pub sensors: Vec<String>,
    pub priority: u8,
    pub point: [f64; 2],
    pub rule: &'static str,
    pub values: Values,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lane: Option<u8>,
    pub started: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Start,
    Update,
    End,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HazardEvent {
    pub phase: Phase,
    #[serde(flatten)]
    pub hazard: Hazard,
}

/// Per-detector switches and thresholds, and the lifecycle's hysteresis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HazardConfig {
    pub collision: CollisionConfig,
    pub vru: VruConfig,
    pub red_light: RedLightConfig,
    pub glosa: GlosaConfig,
    /// How vehicles in lanes with several ways on are predicted.
    pub intent: detectors::intent::IntentConfig,
    /// Which tracks are good enough to warn about.
    pub quality: detectors::quality::QualityConfig,
    /// A finding must hold for this many consecutive evaluations to start a hazard …
    pub confirm_evaluations: u32,
    /// … and, unless it is critical, for this long (seconds from its first evaluation): a
    /// condition that a noisy track or a driver's late reaction makes for a moment is not a
    /// warning. Critical: a collision or VRU conflict reached within
    /// `critical_time_to_conflict_s`, a red-light violator that can no longer stop even
    /// braking comfortably now, a red-light crossing, GLOSA advice.
    pub confirm_s: f64,
    /// A collision or VRU conflict this close (time until the first road user reaches the
    /// conflict point) starts after `confirm_evaluations` alone.
    pub critical_time_to_conflict_s: f64,
    /// A hazard absent this long ends.
    pub clear_after_s: f64,
    /// An active hazard is re-published (an update) at most this often.
    pub update_interval_s: f64,
    /// Areas where no hazard is raised (polygons in the site frame), e.g. a depot exit.
    pub suppression_zones: Vec<Vec<[f64; 2]>>,
    /// RSI codes per hazard kind: RTE `eventType` (GB/T 29100-2012) and RTS `signType`
    /// (GB 5768.2-2009), see [`rsi_codes`].
    pub rsi_event_types: RsiEventTypes,
}

impl Default for HazardConfig {
    fn default() -> Self {
        Self {
            collision: CollisionConfig::default(),
            vru: VruConfig::default(),
            red_light: RedLightConfig::default(),
            glosa: GlosaConfig::default(),
            intent: detectors::intent::IntentConfig::default(),
            quality: detectors::quality::QualityConfig::default(),
            confirm_evaluations: 2,
            confirm_s: 0.3,
            critical_time_to_conflict_s: 3.0,
            clear_after_s: 1.0,
            update_interval_s: 1.0,
            suppression_zones: Vec::new(),
            rsi_event_types: RsiEventTypes::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CollisionConfig {
    pub enabled: bool,
    /// Warn when the first road user reaches the conflict point within this time …
    pub time_to_conflict_s: f64,
    /// … and the predicted post-encroachment time is below this.
    pub pet_s: f64,
    /// Road users slower than this are not predicted to reach anything.
    pub min_speed_mps: f64,
    /// Where a vehicle may go several ways, warn when the ways that conflict are jointly at
    /// least this likely (see `intent`).
    pub min_probability: f64,
}

impl Default for CollisionConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            time_to_conflict_s: 5.0,
            pet_s: 1.5,
            min_speed_mps: 1.5,
            min_probability: 0.3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VruConfig {
    pub enabled: bool,
    pub time_to_conflict_s: f64,
    /// Pedestrians and cyclists get a wider margin than vehicles.
    pub pet_s: f64,
    pub min_vehicle_speed_mps: f64,
    pub min_vru_speed_mps: f64,
    /// As `collision.min_probability`.
    pub min_probability: f64,
}

impl Default for VruConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            time_to_conflict_s: 5.0,
            pet_s: 2.0,
            min_vehicle_speed_mps: 1.5,
            min_vru_speed_mps: 0.3,
            min_probability: 0.3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedLightConfig {
    pub enabled: bool,
    /// The deceleration a driver stops with comfortably.
    pub comfortable_decel_mps2: f64,
    /// The firmest braking a driver still uses to stop for a red (SUMO's default for a
    /// passenger car): the collision prediction takes a vehicle facing a red to stop at its
    /// line if this stops it, until the violation rule has found it running.
    pub firm_decel_mps2: f64,
    /// Perception-reaction time before braking starts: "cannot stop" means the stopping
    /// distance v·t_r + v²/(2a) exceeds the distance to the stop line, the kinematic
    /// definition of the (Type I) dilemma zone (Gazis, Herman & Maradudin 1960) that the ITE
    /// yellow-interval formula Y = t_r + v/(2a) also uses, with ITE's recommended
    /// t_r = 1.0 s and a = 10 ft/s² (3.05 m/s²) (ITE, "Guidelines for Determining Traffic
    /// Signal Change and Clearance Intervals", 2020). It applies under any light to a driver
    /// not braking (one who has not started braking has not reacted, whatever the light has
    /// shown); a driver already braking has reacted.
    #[serde(alias = "reaction_s")]
    pub reaction_time_s: f64,
    /// Vehicles farther than this from the stop line are not judged yet.
    pub max_distance_m: f64,
    pub min_speed_mps: f64,
    /// A driver braking harder than this (m/s², its longitudinal speed's trend over
    /// `braking_window_s`) has reacted: the stop is judged from now, without reaction time.
    pub braking_decel_mps2: f64,
    /// The time over which the braking trend is measured (least-squares slope of the
    /// longitudinal speed).
    pub braking_window_s: f64,
    /// A violation that a comfortable stop could still avoid (only the reaction time is
    /// missing) must hold this long to start: a driver who starts braking within about
    /// `confirm_s` − 0.2 s (the braking trend's lag on a clean track) shows it in time and is
    /// not warned. One that cannot stop comfortably even braking now starts at once.
    pub confirm_s: f64,
}

impl Default for RedLightConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            comfortable_decel_mps2: 3.0,
            firm_decel_mps2: 4.5,
            reaction_time_s: 1.0,
            max_distance_m: 120.0,
            min_speed_mps: 3.0,
            braking_decel_mps2: 0.5,
            braking_window_s: 0.5,
            confirm_s: 0.5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GlosaConfig {
    pub enabled: bool,
    /// Slowest speed worth advising; below it the advice is to stop.
    pub min_speed_mps: f64,
    /// Advice is given from this distance to the stop line.
    pub max_distance_m: f64,
    /// Used when a lane has no speed limit.
    pub default_speed_limit_mps: f64,
}

impl Default for GlosaConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            min_speed_mps: 4.0,
            max_distance_m: 250.0,
            default_speed_limit_mps: 13.9,
        }
    }
}

#[derive(Debug, Clone)]
struct Active {
    id: u32,
    hazard: Hazard,
    last_seen: Timestamp,
    last_published: Timestamp,
}

/// Runs the detectors and keeps each hazard's life.
#[derive(Debug)]
pub struct HazardEngine {
    cfg: HazardConfig,
    detectors: detectors::Detectors,
    /// Findings seen but not yet confirmed: consecutive evaluations, and the first one's time.
    pending: BTreeMap<(HazardKind, Vec<u32>), (u32, Timestamp)>,
    active: BTreeMap<(HazardKind, Vec<u32>), Active>,
    next_id: u32,
    findings: Vec<Finding>,
    /// GLOSA per signalised ingress lane at the last evaluation.
    lane_advice: Vec<LaneAdvice>,
}

impl HazardEngine {
    pub fn new(cfg: HazardConfig) -> Self {
        Self {
            cfg,
            detectors: detectors::Detectors::default(),
            pending: BTreeMap::new(),
            active: BTreeMap::new(),
            next_id: 1,
            findings: Vec::new(),
            lane_advice: Vec::new(),
        }
    }

    pub fn config(&self) -> &HazardConfig {
        &self.cfg
    }

    /// Replaces the configuration (a reload). Hazards of a detector now disabled end at the
    /// next evaluation; nothing else changes.
    pub fn set_config(&mut self, cfg: HazardConfig) {
        self.cfg = cfg;
    }

    /// The hazards in force.
    pub fn active(&self) -> impl Iterator<Item = &Hazard> {
        self.active.values().map(|a| &a.hazard)
    }

    /// GLOSA per signalised ingress lane as of the last evaluation: the speed range from the
    /// lane's start that arrives on green, or stop; whether or not a vehicle is on the lane.
    pub fn lane_advice(&self) -> &[LaneAdvice] {
        &self.lane_advice
    }

    /// One evaluation at `now`: appends starts, updates and ends to `out`.
    pub fn evaluate(&mut self, now: Timestamp, inputs: &Inputs, out: &mut Vec<HazardEvent>) {
        detectors::glosa::lane_advice(&self.cfg.glosa, inputs, &mut self.lane_advice);
        self.findings.clear();
        self.detectors.run(&self.cfg, inputs, &mut self.findings);
        let zones = &self.cfg.suppression_zones;
        self.findings.retain(|f| {
            !zones
                .iter()
                .any(|z| crate::map::geometry::point_in_polygon(f.point, z))
        });
        let classes = |ids: &[u32]| -> Vec<String> {
            ids.iter()
                .map(|id| {
                    let c = inputs
                        .world
                        .objects
                        .iter()
                        .find(|o| o.id == *id)
                        .map_or(Class::Unknown, |o| o.class);
                    format!("{c:?}").to_lowercase()
                })
                .collect()
        };
        let sensors = |ids: &[u32]| -> Vec<String> {
            let mask = inputs
                .world
                .objects
                .iter()
                .filter(|o| ids.contains(&o.id))
                .fold(0u64, |m, o| m | o.seen_by);
            (0..64)
                .filter(|i| mask & (1u64 << i) != 0)
                .map(|i| {
                    inputs
                        .sensor_names
                        .get(i)
                        .cloned()
                        .unwrap_or_else(|| format!("#{i}"))
                })
                .collect()
        };
        let mut seen: Vec<(HazardKind, Vec<u32>)> = Vec::with_capacity(self.findings.len());
        for f in self.findings.drain(..) {
            let key = (f.kind, f.road_users.clone());
            if seen.contains(&key) {
                continue; // one finding per hazard per evaluation: the first (most urgent)
            }
            seen.push(key.clone());
            let make = |id: u32, started: Timestamp| Hazard {
                id,
                kind: f.kind,
                classes: classes(&f.road_users),
                sensors: sensors(&f.road_users),
                road_users: f.road_users.clone(),
                priority: f.priority,
                point: f.point,
                rule: f.rule,
                values: f.values,
                lane: f.lane,
                started: started.to_string(),
            };
            if let Some(a) = self.active.get_mut(&key) {
                a.last_seen = now;
                // A predicted red-light run seen done is news at once.
                let news = a.hazard.values.ran_red != f.values.ran_red;
                let started = a.hazard.started.clone();
                a.hazard = make(a.id, now);
                a.hazard.started = started;
                if news || now.secs_since(a.last_published) >= self.cfg.update_interval_s {
                    a.last_published = now;
                    out.push(HazardEvent {
                        phase: Phase::Update,
                        hazard: a.hazard.clone(),
                    });
                }
                continue;
            }
            let critical = self.cfg.critical(&f);
            let (n, first) = self.pending.entry(key.clone()).or_insert((0, now));
            *n += 1;
            let held = now.secs_since(*first) >= self.cfg.confirm_time_s(f.kind) - 1e-6;
            if *n >= self.cfg.confirm_evaluations && (held || critical) {
                self.pending.remove(&key);
                let id = self.next_id;
                self.next_id = self.next_id.wrapping_add(1).max(1);
                let hazard = make(id, now);
                out.push(HazardEvent {
                    phase: Phase::Start,
                    hazard: hazard.clone(),
                });
                self.active.insert(
                    key,
                    Active {
                        id,
                        hazard,
                        last_seen: now,
                        last_published: now,
                    },
                );
            }
        }
        // A finding must hold in consecutive evaluations to start.
        self.pending.retain(|k, _| seen.contains(k));
        let enabled = |k: HazardKind| self.cfg.enabled(k);
        let clear = self.cfg.clear_after_s;
        let ended: Vec<_> = self
            .active
            .iter()
            .filter(|(k, a)| !enabled(k.0) || now.secs_since(a.last_seen) > clear)
            .map(|(k, _)| k.clone())
            .collect();
        for k in ended {
            if let Some(a) = self.active.remove(&k) {
                out.push(HazardEvent {
                    phase: Phase::End,
                    hazard: a.hazard,
                });
            }
        }
    }
}

impl HazardConfig {
    /// How long a finding of `kind` that is not critical must hold to start.
    pub fn confirm_time_s(&self, kind: HazardKind) -> f64 {
        match kind {
            HazardKind::RedLightViolation => self.red_light.confirm_s,
            _ => self.confirm_s,
        }
    }

    /// Whether a finding is urgent enough to start without `confirm_s` of persistence.
    pub fn critical(&self, f: &Finding) -> bool {
        let v = &f.values;
        match f.kind {
            HazardKind::IntersectionCollision | HazardKind::VulnerableRoadUser => v
                .time_to_conflict_s
                .is_some_and(|t| t <= self.critical_time_to_conflict_s),
            // Seen past its line on red: the danger is there now.
            HazardKind::RedLightViolation if v.ran_red => true,
            // No comfortable stop even braking now, without any reaction time.
            HazardKind::RedLightViolation => match (v.distance_m, v.speed_mps) {
                (Some(d), Some(s)) => {
                    s * s / (2.0 * d.max(1e-3)) > self.red_light.comfortable_decel_mps2
                }
                _ => true,
            },
            HazardKind::Glosa => true,
        }
    }

    pub fn enabled(&self, k: HazardKind) -> bool {
        match k {
            HazardKind::IntersectionCollision => self.collision.enabled,
            HazardKind::VulnerableRoadUser => self.vru.enabled,
            HazardKind::RedLightViolation => self.red_light.enabled,
            HazardKind::Glosa => self.glosa.enabled,
        }
    }

    /// Checks every threshold, naming the first bad one (`hazards.collision.pet_s`).
    pub fn validate(&self) -> Result<(), (String, String)> {
        let positive = [
            (
                "collision.time_to_conflict_s",
                self.collision.time_to_conflict_s,
            ),
            ("collision.pet_s", self.collision.pet_s),
            ("vru.time_to_conflict_s", self.vru.time_to_conflict_s),
            ("vru.pet_s", self.vru.pet_s),
            (
                "red_light.comfortable_decel_mps2",
                self.red_light.comfortable_decel_mps2,
            ),
            ("red_light.firm_decel_mps2", self.red_light.firm_decel_mps2),
            ("red_light.max_distance_m", self.red_light.max_distance_m),
            (
                "red_light.braking_window_s",
                self.red_light.braking_window_s,
            ),
            ("quality.history_s", self.quality.history_s),
            (
                "quality.max_velocity_std_mps",
                self.quality.max_velocity_std_mps,
            ),
            ("quality.max_speed_ratio", self.quality.max_speed_ratio),
            (
                "quality.max_velocity_mismatch_mps",
                self.quality.max_velocity_mismatch_mps,
            ),
            ("glosa.min_speed_mps", self.glosa.min_speed_mps),
            ("glosa.max_distance_m", self.glosa.max_distance_m),
            (
                "glosa.default_speed_limit_mps",
                self.glosa.default_speed_limit_mps,
            ),
            ("clear_after_s", self.clear_after_s),
            (
                "critical_time_to_conflict_s",
                self.critical_time_to_conflict_s,
            ),
            ("update_interval_s", self.update_interval_s),
            ("intent.lateral_accel_mps2", self.intent.lateral_accel_mps2),
            ("intent.turn_decel_mps2", self.intent.turn_decel_mps2),
        ];
        for (k, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err((format!("hazards.{k}"), format!("must be positive, got {v}")));
            }
        }
        if self.red_light.firm_decel_mps2 < self.red_light.comfortable_decel_mps2 {
            return Err((
                "hazards.red_light.firm_decel_mps2".into(),
                format!(
                    "must be at least red_light.comfortable_decel_mps2 ({}), got {}",
                    self.red_light.comfortable_decel_mps2, self.red_light.firm_decel_mps2
                ),
            ));
        }
        let non_negative = [
            ("confirm_s", self.confirm_s),
            ("collision.min_speed_mps", self.collision.min_speed_mps),
            ("vru.min_vehicle_speed_mps", self.vru.min_vehicle_speed_mps),
            ("vru.min_vru_speed_mps", self.vru.min_vru_speed_mps),
            ("red_light.reaction_time_s", self.red_light.reaction_time_s),
            ("red_light.min_speed_mps", self.red_light.min_speed_mps),
            (
                "red_light.braking_decel_mps2",
                self.red_light.braking_decel_mps2,
            ),
            ("red_light.confirm_s", self.red_light.confirm_s),
            ("quality.min_age_s", self.quality.min_age_s),
            ("quality.max_coast_s", self.quality.max_coast_s),
        ];
        for (k, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                return Err((
                    format!("hazards.{k}"),
                    format!("must not be negative, got {v}"),
                ));
            }
        }
        for (k, v) in [
            ("collision.min_probability", self.collision.min_probability),
            ("vru.min_probability", self.vru.min_probability),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                return Err((
                    format!("hazards.{k}"),
                    format!("must be in (0, 1], got {v}"),
                ));
            }
        }
        if self.confirm_evaluations == 0 {
            return Err((
                "hazards.confirm_evaluations".into(),
                "must be at least 1".into(),
            ));
        }
        for (i, z) in self.suppression_zones.iter().enumerate() {
            if z.len() < 3 || z.iter().flatten().any(|v| !v.is_finite()) {
                return Err((
                    format!("hazards.suppression_zones[{i}]"),
                    "a zone is a polygon of at least 3 finite points".into(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
