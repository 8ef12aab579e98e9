//! The scenario's simulated sensors as one source of raw frames, in time order: each sensor
//! captures the ground truth on its own schedule and its frames arrive after its latency.
//! Replay feeds these frames to the pipeline directly; `roadsight simulate` encodes them
//! into the sensors' wire formats ([`datagrams`]) and sends them over UDP in real time.

use crate::scenario::truth::{GroundTruth, TruthState};
use crate::scenario::{Scenario, SensorKind};
use crate::sensor::ars408::{self, ObjectList, RadarState};
use crate::sensor::camera::CameraError;
use crate::sensor::{camera_json, Payload, RawFrame, SimSensor};
use crate::time::Timestamp;

/// What one [`SimSensors::step`] did.
#[derive(Debug)]
pub enum SimStep {
    /// A sensor captured a frame (now in flight).
    Captured,
    /// A frame reached its destination.
    Delivered(RawFrame),
    /// Nothing was due.
    Idle,
}

pub struct SimSensors {
    truth: GroundTruth,
    sensors: Vec<SimSensor>,
    /// Frames captured and not yet delivered.
    inflight: Vec<RawFrame>,
    epoch: Timestamp,
    truth_buf: Vec<TruthState>,
}

impl SimSensors {
    /// The scenario's sensors, time zero at `epoch`. Fails for a sensor whose camera model
    /// is invalid, naming it.
    pub fn new(s: &Scenario, epoch: Timestamp) -> Result<Self, (String, CameraError)> {
        let buildings = crate::map::SiteMap::from_spec(&s.map).buildings;
        let mut sensors = Vec::with_capacity(s.sensors.len());
        for (i, spec) in s.sensors.iter().enumerate() {
            let sim = SimSensor::new(i as u16, spec.clone(), s.run.seed)
                .map_err(|e| (spec.id.clone(), e))?
                .with_buildings(buildings.clone());
            sensors.push(sim);
        }
        Ok(Self {
            truth: GroundTruth::new(&s.road_users),
            sensors,
            inflight: Vec::new(),
            epoch,
            truth_buf: Vec::new(),
        })
    }

    pub fn sensors(&self) -> &[SimSensor] {
        &self.sensors
    }

    pub fn truth(&self) -> &GroundTruth {
        &self.truth
    }

    fn at(&self, s: f64) -> Timestamp {
        self.epoch.add_secs(s)
    }

    /// When the next capture or delivery happens.
    pub fn next_time(&self) -> Option<Timestamp> {
        let capture = self.sensors.iter().map(|s| self.at(s.next_capture_s()));
        let delivery = self.inflight.iter().map(|f| self.at(f.deliver_s));
        capture.chain(delivery).min()
    }

    /// Does the first thing due at or before `now`: a capture (lowest sensor index first),
    /// else a delivery (earliest, then lowest sensor index). The order is fixed so that a
    /// replay is deterministic.
    pub fn step(&mut self, now: Timestamp) -> SimStep {
        let due_capture = (0..self.sensors.len())
            .map(|i| (self.at(self.sensors[i].next_capture_s()), i))
            .filter(|(t, _)| *t <= now)
            .min();
        if let Some((_, i)) = due_capture {
            let t = self.sensors[i].next_capture_s();
            self.truth.states_at(t, &mut self.truth_buf);
            let mut frame = RawFrame::default();
            if self.sensors[i].capture(&self.truth_buf, &mut frame) {
                self.inflight.push(frame);
            }
            return SimStep::Captured;
        }
        let due_delivery = self
            .inflight
            .iter()
            .enumerate()
            .map(|(i, f)| (self.at(f.deliver_s), f.sensor, i))
            .filter(|(t, _, _)| *t <= now)
            .min();
        match due_delivery {
            Some((_, _, i)) => SimStep::Delivered(self.inflight.swap_remove(i)),
            None => SimStep::Idle,
        }
    }
}

/// A raw frame in its sensor's wire format, as UDP payloads: a camera's frame as one JSON
/// datagram stamped in Unix milliseconds (`epoch_unix_s` is time zero of the frame's
/// clock); a radar's object list as ARS408 CAN frames in gateway records, 50 per datagram,
/// with a RadarState (0x201) ahead of every tenth cycle as the radar sends about once a
/// second. `cycle` is the sensor's frame counter.
pub fn datagrams(s: &Scenario, raw: &RawFrame, epoch_unix_s: f64, cycle: u64) -> Vec<Vec<u8>> {
    let Some(spec) = s.sensors.get(usize::from(raw.sensor)) else {
        return Vec::new();
    };
    match (&raw.payload, spec.kind) {
        (Payload::Boxes(boxes), SensorKind::Camera) => {
            let stamp_ms = (epoch_unix_s + raw.capture_s) * 1000.0;
            vec![camera_json::encode(&spec.id, cycle, stamp_ms, boxes)]
        }
        (Payload::RadarObjects(objects), SensorKind::Radar) => {
            let list = ObjectList {
                sensor_id: spec.radar_sensor_id,
                cycle: cycle as u16,
                interface_version: 0,
                objects: objects.clone(),
                missing_objects: 0,
                missing_frames: 0,
            };
            let mut frames = Vec::new();
            if cycle % 10 == 0 {
                let state = RadarState {
                    sensor_id: spec.radar_sensor_id,
                    send_quality: true,
                    send_ext_info: true,
                    output_type: 1,
                    max_distance_m: (spec.range_m.round() as u16).min(2046),
                    motion_rx_state: 3,
                    error_flags: 0,
                };
                frames.push(state.to_frame());
            }
            frames.extend(ars408::encode_object_list(&list));
            ars408::gateway_datagrams(&frames, 50)
        }
        _ => Vec::new(),
    }
}
