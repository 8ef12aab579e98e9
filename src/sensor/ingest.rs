//! Ingest: sensor frames as the sensors send them (wire bytes, or [`RawFrame`]s from the
//! simulator) into site-frame [`Detection`]s with the covariance their geometry implies.
//! Sans-IO: the caller gives the bytes, the arrival time and the epoch.
//!
//! - A camera box is back-projected onto the road plane ([`Camera::box_to_ground`]); its
//!   covariance grows with distance, its class comes with the detector's confidence.
//! - A radar object's position is its polar measurement (range, azimuth) with a polar
//!   covariance, and its radial speed (the Doppler part of its relative velocity) becomes a
//!   [`RadialSpeed`] measurement. The ARS408 sends no timestamp: a list is stamped at its
//!   arrival minus the configured latency.
//!
//! Every refusal names the sensor, the object and the field; the caller counts them.

use crate::fusion::{Class, Detection, Position, PositionCov, RadialSpeed};
use crate::scenario::{RoadUserClass, SensorKind, SensorSpec};
use crate::sensor::ars408::{self, Ars408Error, ObjClass, ObjectListAssembler, RadarObject};
use crate::sensor::camera::{Camera, CameraError, ObjectSize, TypicalSize};
use crate::sensor::camera_json::{self, CameraJsonError};
use crate::sensor::{road_user_class, CameraBox, Payload, RawFrame, SensorFrame};
use nalgebra::Matrix2;
use thiserror::Error;

/// A datagram that could not be read at all.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum InputError {
    #[error("no sensor {0}")]
    UnknownSensor(u16),
    #[error(transparent)]
    Camera(#[from] CameraJsonError),
    #[error("ARS408: {0}")]
    Radar(#[from] Ars408Error),
    #[error("BSM: {0}")]
    Bsm(#[from] crate::sensor::bsm::BsmInputError),
    #[error("BSM from a vehicle: the site frame is not set")]
    NoSite,
    #[error("frame names sensor {got:?}, but arrived on the port of {expected:?}")]
    WrongSensor { expected: String, got: String },
}

/// One object of a frame refused at ingest.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// Index of the object in its frame.
    pub index: usize,
    /// The field at fault, e.g. `box.x_max` or `dist_long_m`.
    pub field: String,
    pub reason: String,
}

/// How one sensor's reports become detections.
#[derive(Debug)]
pub struct SensorModel {
    pub name: String,
    pub kind: SensorKind,
    pub latency_s: f64,
    pub clock_offset_s: f64,
    camera: Option<Camera>,
    pixel_noise_px: f64,
    origin: Position,
    yaw_rad: f64,
    range_sd_m: f64,
    azimuth_sd_rad: f64,
    doppler_sd_mps: f64,
    class_accuracy: f64,
    assembler: Option<ObjectListAssembler>,
}

impl SensorModel {
    pub fn new(spec: &SensorSpec) -> Result<Self, CameraError> {
        let camera = match spec.kind {
            SensorKind::Camera => Some(spec.camera_model()?),
            SensorKind::Radar | SensorKind::Bsm => None,
        };
        Ok(Self {
            name: spec.id.clone(),
            kind: spec.kind,
            latency_s: spec.latency_s,
            clock_offset_s: spec.clock_offset_s,
            camera,
            pixel_noise_px: spec.pixel_noise_px(),
            origin: Position::new(spec.position.east_m, spec.position.north_m),
            yaw_rad: spec.yaw_deg.to_radians(),
            range_sd_m: spec.range_noise_m(),
            azimuth_sd_rad: spec.azimuth_noise_rad(),
            doppler_sd_mps: spec.doppler_noise_mps(),
            class_accuracy: spec.class_accuracy(),
            assembler: (spec.kind == SensorKind::Radar)
                .then(|| ObjectListAssembler::new(spec.radar_sensor_id)),
        })
    }
}

/// Every sensor's model, by sensor index.
#[derive(Debug, Default)]
pub struct Ingest {
    sensors: Vec<SensorModel>,
    /// The site frame, for sensors that report WGS84 (vehicles' BSMs).
    site: Option<crate::geo::SiteFrame>,
}

/// Spread of each dimension over a class (length, width, height), metres: what a box of a
/// class cannot tell about the road user's size.
fn size_spread(c: RoadUserClass) -> ObjectSize {
    match c {
        RoadUserClass::Car => ObjectSize::new(0.4, 0.1, 0.1),
        RoadUserClass::Truck => ObjectSize::new(2.5, 0.15, 0.4),
        RoadUserClass::Bus => ObjectSize::new(1.5, 0.1, 0.2),
        RoadUserClass::Motorcycle => ObjectSize::new(0.2, 0.1, 0.1),
        RoadUserClass::Bicycle => ObjectSize::new(0.15, 0.1, 0.1),
        RoadUserClass::Pedestrian => ObjectSize::new(0.1, 0.1, 0.1),
    }
}

fn typical_size(c: Class) -> TypicalSize {
    let ruc = road_user_class(c);
    let (l, w, h) = ruc.default_size();
    TypicalSize {
        mean: ObjectSize::new(l, w, h),
        sd: size_spread(ruc),
    }
}

fn class_of_radar(c: ObjClass) -> Class {
    match c {
        ObjClass::Car => Class::Car,
        ObjClass::Truck => Class::Truck,
        ObjClass::Pedestrian => Class::Pedestrian,
        ObjClass::Motorcycle => Class::Motorcycle,
        ObjClass::Bicycle => Class::Bicycle,
        ObjClass::Point | ObjClass::Wide | ObjClass::Reserved => Class::Unknown,
    }
}

impl Ingest {
    pub fn new(specs: &[SensorSpec]) -> Result<Self, CameraError> {
        let sensors = specs
            .iter()
            .map(SensorModel::new)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            sensors,
            site: None,
        })
    }

    /// The site frame that WGS84 reports (BSMs) are converted into.
    pub fn set_site(&mut self, site: crate::geo::SiteFrame) {
        self.site = Some(site);
    }

    /// Adds the next sensor (index = the number before it).
    pub fn push(&mut self, spec: &SensorSpec) -> Result<(), CameraError> {
        self.sensors.push(SensorModel::new(spec)?);
        Ok(())
    }

    pub fn sensors(&self) -> &[SensorModel] {
        &self.sensors
    }

    /// A raw frame's objects as site-frame detections into `out` (whose detections are
    /// replaced); objects that cannot be used go to `faults` instead. Times stay in the
    /// sensor's clock: the pipeline corrects them.
    pub fn convert(
        &self,
        raw: &RawFrame,
        out: &mut SensorFrame,
        faults: &mut Vec<Fault>,
    ) -> Result<(), InputError> {
        let model = self
            .sensors
            .get(usize::from(raw.sensor))
            .ok_or(InputError::UnknownSensor(raw.sensor))?;
        out.sensor = raw.sensor;
        out.capture_s = raw.capture_s;
        out.deliver_s = raw.deliver_s;
        out.detections.clear();
        let t = raw.capture_s;
        match &raw.payload {
            Payload::Detections(d) => out.detections.extend_from_slice(d),
            Payload::Boxes(boxes) => {
                for (i, b) in boxes.iter().enumerate() {
                    match model.box_detection(raw.sensor, t, b) {
                        Ok(d) => out.detections.push(d),
                        Err((field, reason)) => faults.push(Fault {
                            index: i,
                            field: field.to_string(),
                            reason,
                        }),
                    }
                }
            }
            Payload::RadarObjects(objects) => {
                for (i, o) in objects.iter().enumerate() {
                    match model.radar_detection(raw.sensor, t, o) {
                        Ok(d) => out.detections.push(d),
                        Err((field, reason)) => faults.push(Fault {
                            index: i,
                            field: field.to_string(),
                            reason,
                        }),
                    }
                }
            }
        }
        Ok(())
    }

    /// Reads one datagram of sensor `sensor` that arrived at `arrival_s` (site clock, seconds
    /// after the epoch, which is `epoch_unix_s` seconds after 1970). Appends the frames it
    /// completes to `out`: one for a camera datagram; for a radar, a list once all its CAN
    /// frames are in. A faulty datagram leaves the sensor's other frames unharmed.
    pub fn decode_datagram(
        &mut self,
        sensor: u16,
        arrival_s: f64,
        epoch_unix_s: f64,
        bytes: &[u8],
        out: &mut Vec<RawFrame>,
    ) -> Result<(), InputError> {
        let model = self
            .sensors
            .get_mut(usize::from(sensor))
            .ok_or(InputError::UnknownSensor(sensor))?;
        match model.kind {
            SensorKind::Camera => {
                let msg = camera_json::decode(bytes)?;
                if msg.sensor != model.name {
                    return Err(InputError::WrongSensor {
                        expected: model.name.clone(),
                        got: msg.sensor,
                    });
                }
                let mut boxes = Vec::with_capacity(msg.objects.len());
                camera_json::boxes(&msg, &mut boxes);
                out.push(RawFrame {
                    sensor,
                    capture_s: msg.timestamp_ms / 1000.0 - epoch_unix_s,
                    deliver_s: arrival_s,
                    payload: Payload::Boxes(boxes),
                });
            }
            SensorKind::Bsm => {
                let site = self.site.as_ref().ok_or(InputError::NoSite)?;
                let bsm = crate::sensor::bsm::decode(bytes)?;
                let capture_s = crate::sensor::bsm::capture_time(&bsm, arrival_s, epoch_unix_s)
                    .map_or(arrival_s - model.latency_s, |t| t + model.clock_offset_s);
                let d = crate::sensor::bsm::detection(&bsm, site, sensor, capture_s).map_err(
                    |(field, reason)| crate::sensor::bsm::BsmInputError::Field { field, reason },
                )?;
                out.push(RawFrame {
                    sensor,
                    capture_s,
                    deliver_s: arrival_s,
                    payload: Payload::Detections(vec![d]),
                });
            }
            SensorKind::Radar => {
                let frames = ars408::parse_gateway_datagram(bytes)?;
                // No timestamp on the bus: captured one latency before arrival, in the
                // sensor's clock as the pipeline expects.
                let capture_s = arrival_s - model.latency_s + model.clock_offset_s;
                let Some(assembler) = model.assembler.as_mut() else {
                    return Ok(());
                };
                for f in &frames {
                    if let Some(list) = assembler.push(f)? {
                        out.push(RawFrame {
                            sensor,
                            capture_s,
                            deliver_s: arrival_s,
                            payload: Payload::RadarObjects(list.objects),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

type Refusal = (&'static str, String);

impl SensorModel {
    fn box_detection(&self, sensor: u16, t: f64, b: &CameraBox) -> Result<Detection, Refusal> {
        let Some(cam) = &self.camera else {
            return Err(("box", "the sensor is not a camera".into()));
        };
        if !(0.0..=1.0).contains(&b.confidence) {
            let reason = format!("{} is not within [0, 1]", b.confidence);
            return Err(("confidence", reason));
        }
        if let Err(e) = b.bbox.validate(cam.intrinsics()) {
            let i = cam.intrinsics();
            let reason = format!("{} ({}×{} image)", e.reason, i.width_px, i.height_px);
            return Err((box_field(e.field), reason));
        }
        let g = cam
            .box_to_ground(&b.bbox, &typical_size(b.class), self.pixel_noise_px, 0.0)
            .ok_or((
                "box.y_max",
                "the box's bottom does not meet the road".to_string(),
            ))?;
        Ok(Detection {
            t,
            sensor,
            pos: Position::new(g.east_m, g.north_m),
            cov: g.cov,
            class: b.class,
            length_m: None,
            width_m: None,
            class_confidence: Some(b.confidence.max(1e-3)),
            yaw_rad: None,
            radial: None,
        })
    }

    fn radar_detection(&self, sensor: u16, t: f64, o: &RadarObject) -> Result<Detection, Refusal> {
        let fields = [
            ("dist_long_m", o.dist_long_m),
            ("dist_lat_m", o.dist_lat_m),
            ("vrel_long_mps", o.vrel_long_mps),
            ("vrel_lat_mps", o.vrel_lat_mps),
        ];
        if let Some((f, v)) = fields.iter().find(|(_, v)| !v.is_finite()) {
            return Err((f, format!("{v} is not finite")));
        }
        if o.dist_long_m < 0.0 {
            let reason = format!("{} m: negative range (behind the radar)", o.dist_long_m);
            return Err(("dist_long_m", reason));
        }
        let r = o.dist_long_m.hypot(o.dist_lat_m);
        if r < 0.1 {
            return Err(("dist_long_m", format!("range {r} m is at the radar itself")));
        }
        let az = o.dist_lat_m.atan2(o.dist_long_m);
        let bearing = self.yaw_rad + az;
        let (s, c) = bearing.sin_cos();
        let pos = self.origin + Position::new(c, s) * r;
        let rot = Matrix2::new(c, -s, s, c);
        let polar = Matrix2::new(
            self.range_sd_m.powi(2).max(1e-4),
            0.0,
            0.0,
            (r * self.azimuth_sd_rad).powi(2).max(1e-4),
        );
        let cov: PositionCov = rot * polar * rot.transpose();
        // The Doppler part of the relative velocity: along the line of sight.
        let radial = (o.vrel_long_mps * o.dist_long_m + o.vrel_lat_mps * o.dist_lat_m) / r;
        let class = o.class.map_or(Class::Unknown, class_of_radar);
        let size = |v: Option<f64>| v.filter(|v| v.is_finite() && *v > 0.0);
        Ok(Detection {
            t,
            sensor,
            pos,
            cov: (cov + cov.transpose()) * 0.5,
            class,
            length_m: size(o.length_m),
            width_m: size(o.width_m),
            class_confidence: (class != Class::Unknown).then_some(self.class_accuracy.max(1e-3)),
            yaw_rad: o
                .orientation_rad
                .filter(|v| v.is_finite())
                .map(|v| crate::geo::wrap_pi(v + self.yaw_rad)),
            radial: Some(RadialSpeed {
                origin: self.origin,
                speed_mps: radial,
                var: self.doppler_sd_mps.powi(2).max(1e-4),
            }),
        })
    }
}

fn box_field(f: &str) -> &'static str {
    match f {
        "x_min" => "box.x_min",
        "y_min" => "box.y_min",
        "x_max" => "box.x_max",
        _ => "box.y_max",
    }
}
