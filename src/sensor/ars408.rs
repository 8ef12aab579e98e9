//! Continental ARS408-21 object-list output (CAN 0x60A–0x60D, RadarState 0x201) as
//! carried over UDP by CAN-to-Ethernet gateways: framing, signal codecs, a per-cycle
//! assembler, and the inverse encoders for the simulator and tests.
//!
//! # Signal layout
//!
//! Taken from the Continental ARS408-21 DBC (`ARS408_can_database_ch0.dbc`, copy read
//! at github.com/ts247791/ARS408_RadarTools @5eb2e1c9), cross-checked against the bit
//! masks in tier4/ars408_driver `src/ars408_can_parser.cpp`. Every signal is
//! Motorola/big-endian unsigned (`@0+`); `start` is the DBC start bit (the MSB,
//! numbered `byte * 8 + bit`), and physical = raw * factor + offset.
//!
//! ```text
//! ID    DLC signal               start|len factor offset  physical range
//! 0x60A  4  Obj_NofObjects 7|8, Obj_MeasCounter 15|16, Obj_InterfaceVersion 31|4
//! 0x60B  8  Obj_ID                 7|8     (also byte 0 of 0x60C and 0x60D)
//!           Obj_DistLong          15|13    0.2    -500    -500..1138.2 m
//!           Obj_DistLat           18|11    0.2    -204.6  -204.6..204.8 m
//!           Obj_VrelLong          39|10    0.25   -128    -128..127.75 m/s
//!           Obj_VrelLat           45|9     0.25   -64     -64..63.75 m/s
//!           Obj_DynProp           50|3     enum
//!           Obj_RCS               63|8     0.5    -64     -64..63.5 dBm²
//! 0x60C  7  Obj_DistLong_rms 15|5, Obj_DistLat_rms 10|5, Obj_VrelLong_rms 21|5,
//!           Obj_VrelLat_rms 16|5 (value table RMS_BANDS, 31 = invalid);
//!           Obj_ArelLong_rms 27|5, Obj_ArelLat_rms 38|5, Obj_Orientation_rms 33|5,
//!           Obj_MeasState 52|3 (not modelled); Obj_ProbOfExist 55|3 (0 = invalid,
//!           1..7 = <25 / <50 / <75 / <90 / <99 / <99.9 / <=100 %)
//! 0x60D  8  Obj_ArelLong          15|11    0.01   -10     -10..10.47 m/s²
//!           Obj_ArelLat           20|9     0.01   -2.5    -2.5..2.61 m/s²
//!           Obj_Class             26|3     enum
//!           Obj_OrientationAngle  39|10    0.4    -180    -180..229.2 deg
//!           Obj_Length 55|8, Obj_Width 63|8   0.2 0       0..51 m
//! 0x201  8  MaxDistanceCfg 15|10 (x2 m), error bits 21..17 (Persistent, Interference,
//!           Temperature, Temporary, Voltage), SensorID 34|3, MotionRxState 47|2,
//!           SendExtInfoCfg 45|1, SendQualityCfg 44|1, OutputTypeCfg 43|2
//! ```
//!
//! A radar with SensorID n offsets every ID by `0x10 * n`. Where public decoders
//! disagree with the DBC, the DBC wins: tier4 reads Obj_MeasCounter little-endian
//! from bytes 2–3, takes Obj_ProbOfExist from the Obj_MeasState bits, and has no class
//! 3 (pedestrian).
//!
//! # Gateway framing
//!
//! This is the transparent UDP mode of ZLG CANET, USR-CANET200, ECAN-E01 and Ebyte
//! E810-DTU (E810-DTU manual §4.2.2). Each CAN frame is a fixed 13-byte record, and a
//! datagram may hold several: byte 0 = FF (bit 7, extended) | RTR (bit 6) | reserved
//! (bits 5–4, must be 0; CAN FD flags on FD gateways) | DLC (bits 3–0); bytes 1–4 = CAN
//! ID, big-endian; bytes 5–12 = data, zero-padded past the DLC.
//!
//! # Units and saturation
//!
//! Outputs are SI (m, m/s, m/s², rad, dBm²). Decoding computes `(raw * num + off) / den`
//! with integers and one final division, so every DBC limit (for example 1138.2)
//! decodes to exactly the f64 that the literal gives. Encoding rounds to the nearest
//! raw step and saturates to the signal's range; NaN encodes as the signal's minimum.

use std::collections::VecDeque;

use thiserror::Error;

/// Errors name the gateway byte offset, or the CAN ID and message, at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Ars408Error {
    #[error("datagram byte {offset}: {remaining} trailing byte(s), not a 13-byte record")]
    Truncated { offset: usize, remaining: usize },
    #[error("datagram byte {offset}: DLC {dlc} exceeds 8")]
    BadDlc { offset: usize, dlc: u8 },
    #[error("datagram byte {offset}: reserved/CAN FD bits set in frame info {info:#04x}")]
    ReservedFlags { offset: usize, info: u8 },
    #[error("datagram byte {offset}: ID {id:#x} does not fit {bits} bits")]
    BadId { offset: usize, id: u32, bits: u8 },
    #[error("CAN {id:#05x} ({message}): DLC {dlc}, needs {need}")]
    ShortFrame {
        id: u32,
        message: &'static str,
        dlc: u8,
        need: u8,
    },
}

/// One classic CAN frame as the gateway carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CanFrame {
    pub id: u32,
    pub extended: bool,
    /// Remote frame. The ARS408 never sends these, so the assembler skips them.
    pub rtr: bool,
    /// Payload. Bytes past `len` are padding.
    pub data: [u8; 8],
    /// DLC, 0..=8.
    pub len: u8,
}

/// Bytes per CAN record in a gateway datagram.
pub const GATEWAY_RECORD_LEN: usize = 13;

/// Splits a gateway datagram into CAN frames. The length is checked first, so a cut-off
/// datagram is reported as truncated rather than as garbage in its last record.
pub fn parse_gateway_datagram(d: &[u8]) -> Result<Vec<CanFrame>, Ars408Error> {
    let remaining = d.len() % GATEWAY_RECORD_LEN;
    if remaining != 0 {
        let offset = d.len() - remaining;
        return Err(Ars408Error::Truncated { offset, remaining });
    }
    let mut frames = Vec::with_capacity(d.len() / GATEWAY_RECORD_LEN);
    for (i, rec) in d.chunks_exact(GATEWAY_RECORD_LEN).enumerate() {
        frames.push(parse_record(rec, i * GATEWAY_RECORD_LEN)?);
    }
    Ok(frames)
}

fn parse_record(rec: &[u8], offset: usize) -> Result<CanFrame, Ars408Error> {
    let Ok(&[info, i0, i1, i2, i3, d0, d1, d2, d3, d4, d5, d6, d7]) = <&[u8; 13]>::try_from(rec)
    else {
        return Err(Ars408Error::Truncated {
            offset,
            remaining: rec.len(),
        });
    };
    let extended = info & 0x80 != 0;
    let dlc = info & 0x0F;
    let id = u32::from_be_bytes([i0, i1, i2, i3]);
    let bits = if extended { 29 } else { 11 };
    if info & 0x30 != 0 {
        Err(Ars408Error::ReservedFlags { offset, info })
    } else if dlc > 8 {
        Err(Ars408Error::BadDlc { offset, dlc })
    } else if id >> bits != 0 {
        Err(Ars408Error::BadId { offset, id, bits })
    } else {
        let data = [d0, d1, d2, d3, d4, d5, d6, d7];
        Ok(CanFrame {
            id,
            extended,
            rtr: info & 0x40 != 0,
            data,
            len: dlc,
        })
    }
}

/// Encodes one 13-byte gateway record. The ID is masked to 11 or 29 bits and the DLC is
/// capped at 8, so every record this produces parses back.
pub fn encode_gateway_record(f: &CanFrame) -> [u8; GATEWAY_RECORD_LEN] {
    let id = f.id & if f.extended { 0x1FFF_FFFF } else { 0x7FF };
    let info = (u8::from(f.extended) << 7) | (u8::from(f.rtr) << 6) | f.len.min(8);
    let [i0, i1, i2, i3] = id.to_be_bytes();
    let [d0, d1, d2, d3, d4, d5, d6, d7] = f.data;
    [info, i0, i1, i2, i3, d0, d1, d2, d3, d4, d5, d6, d7]
}

/// Packs frames into datagrams of at most `max_frames_per_datagram` records (0 is
/// treated as 1). Keep it within the gateway's own limit, often 50.
pub fn gateway_datagrams(frames: &[CanFrame], max_frames_per_datagram: usize) -> Vec<Vec<u8>> {
    let chunks = frames.chunks(max_frames_per_datagram.max(1));
    chunks
        .map(|c| c.iter().flat_map(encode_gateway_record).collect())
        .collect()
}

/// A Motorola signal as a shift and mask over the payload read as a big-endian u64. In
/// that view the signal is contiguous, with its MSB at `(7 - start/8)*8 + start%8`.
#[derive(Clone, Copy)]
struct Sig {
    shift: u32,
    mask: u64,
}

/// Only used in `const` items, so a layout that does not fit fails to compile (overflow).
const fn sig(start: u32, len: u32) -> Sig {
    let msb = (7 - start / 8) * 8 + start % 8;
    Sig {
        shift: msb + 1 - len,
        mask: (1 << len) - 1,
    }
}

impl Sig {
    fn get(self, w: u64) -> u64 {
        (w >> self.shift) & self.mask
    }
    /// Saturates rather than wraps, so an oversized code becomes the field maximum.
    fn put(self, w: &mut u64, raw: u64) {
        *w |= raw.min(self.mask) << self.shift;
    }
}

/// Linear signal: physical = (raw * num + off) / den, every term an exact integer.
#[derive(Clone, Copy)]
struct Lin(Sig, i64, i64, i64);

const fn lin(start: u32, len: u32, num: i64, den: i64, off: i64) -> Lin {
    Lin(sig(start, len), num, den, off)
}

impl Lin {
    fn get(self, w: u64) -> f64 {
        let Lin(s, num, den, off) = self;
        (s.get(w) as i64 * num + off) as f64 / den as f64
    }
    fn put(self, w: &mut u64, v: f64) {
        let Lin(s, num, den, off) = self;
        let raw = ((v * den as f64 - off as f64) / num as f64).round();
        let raw = if raw.is_nan() {
            0.0
        } else {
            raw.clamp(0.0, s.mask as f64)
        };
        s.put(w, raw as u64);
    }
}

const ID_RADAR_STATE: u32 = 0x201;
const ID_STATUS: u32 = 0x60A;
const ID_GENERAL: u32 = 0x60B;
const ID_QUALITY: u32 = 0x60C;
const ID_EXTENDED: u32 = 0x60D;
const NOF_OBJECTS: Sig = sig(7, 8);
const MEAS_COUNTER: Sig = sig(15, 16);
const IFACE_VERSION: Sig = sig(31, 4);
const OBJ_ID: Sig = sig(7, 8);
const DIST_LONG: Lin = lin(15, 13, 1, 5, -2500);
const DIST_LAT: Lin = lin(18, 11, 1, 5, -1023);
const VREL_LONG: Lin = lin(39, 10, 1, 4, -512);
const VREL_LAT: Lin = lin(45, 9, 1, 4, -256);
const DYN_PROP: Sig = sig(50, 3);
const RCS: Lin = lin(63, 8, 1, 2, -128);
const DIST_LONG_RMS: Sig = sig(15, 5);
const DIST_LAT_RMS: Sig = sig(10, 5);
const VREL_LONG_RMS: Sig = sig(21, 5);
const VREL_LAT_RMS: Sig = sig(16, 5);
/// Obj_ArelLong_rms, Obj_ArelLat_rms, Obj_Orientation_rms: not modelled, sent invalid.
const OTHER_RMS: [Sig; 3] = [sig(27, 5), sig(38, 5), sig(33, 5)];
const MEAS_STATE: Sig = sig(52, 3);
const PROB_OF_EXIST: Sig = sig(55, 3);
const AREL_LONG: Lin = lin(15, 11, 1, 100, -1000);
const AREL_LAT: Lin = lin(20, 9, 1, 100, -250);
const CLASS: Sig = sig(26, 3);
const ORIENTATION_DEG: Lin = lin(39, 10, 2, 5, -900);
const LENGTH: Lin = lin(55, 8, 1, 5, 0);
const WIDTH: Lin = lin(63, 8, 1, 5, 0);
const RS_MAX_DISTANCE: Sig = sig(15, 10);
const RS_ERRORS: Sig = sig(21, 5);
const RS_SENSOR_ID: Sig = sig(34, 3);
const RS_MOTION_RX: Sig = sig(47, 2);
const RS_EXT_INFO: Sig = sig(45, 1);
const RS_QUALITY: Sig = sig(44, 1);
const RS_OUTPUT: Sig = sig(43, 2);

/// Upper band edges for *_rms codes 0..=30 (DBC value table; 31 = invalid), the same
/// numbers for m and m/s. Reporting the upper edge never understates the error.
const RMS_BANDS: [f64; 31] = [
    0.005, 0.006, 0.008, 0.011, 0.014, 0.018, 0.023, 0.029, 0.038, 0.049, 0.063, 0.081, 0.105,
    0.135, 0.174, 0.224, 0.288, 0.371, 0.478, 0.616, 0.794, 1.023, 1.317, 1.697, 2.187, 2.817,
    3.630, 4.676, 6.025, 7.762, 10.000,
];
/// Lower band edges for Obj_ProbOfExist codes 1..=7 (0 = invalid). Reporting the lower
/// edge never overstates confidence.
const PROB_FLOORS: [f64; 7] = [0.0, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999];

fn rms_code(v: Option<f64>) -> u64 {
    match v {
        Some(v) if !v.is_nan() => RMS_BANDS.iter().position(|&b| v <= b).unwrap_or(30) as u64,
        _ => 31,
    }
}

fn prob_code(v: Option<f64>) -> u64 {
    match v {
        Some(v) if !v.is_nan() => PROB_FLOORS.iter().filter(|&&f| f <= v).count().max(1) as u64,
        _ => 0,
    }
}

/// Declares a 3-bit code enum numbered in DBC value-table order; `else` names the
/// variant for codes the table lacks, so decoding never fails.
macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident else $fallback:ident {
        $($(#[$vm:meta])* $v:ident = $n:literal),*
    }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $v = $n),* }
        impl $name {
            fn from_raw(raw: u64) -> Self {
                match raw { $($n => Self::$v,)* _ => Self::$fallback }
            }
        }
    };
}

code_enum! {
    /// Obj_DynProp: the tracker's motion class.
    #[derive(Default)]
    DynProp else Unknown {
        Moving = 0, Stationary = 1, Oncoming = 2, StationaryCandidate = 3, #[default] Unknown = 4,
        CrossingStationary = 5, CrossingMoving = 6, Stopped = 7
    }
}
code_enum! {
    /// Obj_Class. Code 7 has no name in the DBC.
    ObjClass else Reserved {
        Point = 0, Car = 1, Truck = 2, Pedestrian = 3, Motorcycle = 4, Bicycle = 5, Wide = 6,
        Reserved = 7
    }
}

/// One object of a cycle in the radar frame (x forward, y left), in SI units.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RadarObject {
    pub id: u8,
    pub dist_long_m: f64,
    pub dist_lat_m: f64,
    pub vrel_long_mps: f64,
    pub vrel_lat_mps: f64,
    pub dyn_prop: DynProp,
    pub rcs_dbsm: f64,
    /// From 0x60C. `None` means the frame did not arrive or the field was "invalid".
    pub dist_long_rms_m: Option<f64>,
    pub dist_lat_rms_m: Option<f64>,
    pub vrel_long_rms_mps: Option<f64>,
    pub vrel_lat_rms_mps: Option<f64>,
    pub prob_of_exist: Option<f64>,
    /// From 0x60D, which has no invalid codes: `None` only when the frame did not arrive.
    pub arel_long_mps2: Option<f64>,
    pub arel_lat_mps2: Option<f64>,
    pub class: Option<ObjClass>,
    pub orientation_rad: Option<f64>,
    pub length_m: Option<f64>,
    pub width_m: Option<f64>,
}

impl RadarObject {
    fn has_quality(&self) -> bool {
        self.dist_long_rms_m.is_some()
            || self.dist_lat_rms_m.is_some()
            || self.vrel_long_rms_mps.is_some()
            || self.vrel_lat_rms_mps.is_some()
            || self.prob_of_exist.is_some()
    }
    fn has_extended(&self) -> bool {
        self.arel_long_mps2.is_some()
            || self.arel_lat_mps2.is_some()
            || self.class.is_some()
            || self.orientation_rad.is_some()
            || self.length_m.is_some()
            || self.width_m.is_some()
    }
}

fn decode_general(w: u64) -> RadarObject {
    RadarObject {
        id: OBJ_ID.get(w) as u8,
        dist_long_m: DIST_LONG.get(w),
        dist_lat_m: DIST_LAT.get(w),
        vrel_long_mps: VREL_LONG.get(w),
        vrel_lat_mps: VREL_LAT.get(w),
        dyn_prop: DynProp::from_raw(DYN_PROP.get(w)),
        rcs_dbsm: RCS.get(w),
        ..RadarObject::default()
    }
}

fn apply_quality(o: &mut RadarObject, w: u64) {
    let rms = |s: Sig| RMS_BANDS.get(s.get(w) as usize).copied();
    o.dist_long_rms_m = rms(DIST_LONG_RMS);
    o.dist_lat_rms_m = rms(DIST_LAT_RMS);
    o.vrel_long_rms_mps = rms(VREL_LONG_RMS);
    o.vrel_lat_rms_mps = rms(VREL_LAT_RMS);
    let prob = (PROB_OF_EXIST.get(w) as usize).checked_sub(1);
    o.prob_of_exist = prob.and_then(|i| PROB_FLOORS.get(i)).copied();
}

fn apply_extended(o: &mut RadarObject, w: u64) {
    o.arel_long_mps2 = Some(AREL_LONG.get(w));
    o.arel_lat_mps2 = Some(AREL_LAT.get(w));
    o.class = Some(ObjClass::from_raw(CLASS.get(w)));
    o.orientation_rad = Some(ORIENTATION_DEG.get(w).to_radians());
    o.length_m = Some(LENGTH.get(w));
    o.width_m = Some(WIDTH.get(w));
}

fn encode_general(o: &RadarObject) -> u64 {
    let mut w = 0;
    OBJ_ID.put(&mut w, o.id.into());
    DIST_LONG.put(&mut w, o.dist_long_m);
    DIST_LAT.put(&mut w, o.dist_lat_m);
    VREL_LONG.put(&mut w, o.vrel_long_mps);
    VREL_LAT.put(&mut w, o.vrel_lat_mps);
    DYN_PROP.put(&mut w, o.dyn_prop as u64);
    RCS.put(&mut w, o.rcs_dbsm);
    w
}

/// Obj_MeasState has no invalid code, so it is always sent as 2 (measured).
fn encode_quality(o: &RadarObject) -> u64 {
    let mut w = 0;
    OBJ_ID.put(&mut w, o.id.into());
    DIST_LONG_RMS.put(&mut w, rms_code(o.dist_long_rms_m));
    DIST_LAT_RMS.put(&mut w, rms_code(o.dist_lat_rms_m));
    VREL_LONG_RMS.put(&mut w, rms_code(o.vrel_long_rms_mps));
    VREL_LAT_RMS.put(&mut w, rms_code(o.vrel_lat_rms_mps));
    OTHER_RMS.iter().for_each(|s| s.put(&mut w, 31));
    MEAS_STATE.put(&mut w, 2);
    PROB_OF_EXIST.put(&mut w, prob_code(o.prob_of_exist));
    w
}

/// Absent fields are sent as 0 (class Point). Orientations outside the signal range
/// (with half a step of slack for degree/radian rounding at the limits) wrap into
/// [-180°, 180°) instead of clamping, because angles are periodic.
fn encode_extended(o: &RadarObject) -> u64 {
    let mut w = 0;
    OBJ_ID.put(&mut w, o.id.into());
    AREL_LONG.put(&mut w, o.arel_long_mps2.unwrap_or(0.0));
    AREL_LAT.put(&mut w, o.arel_lat_mps2.unwrap_or(0.0));
    CLASS.put(&mut w, o.class.map_or(0, |c| c as u64));
    let mut deg = o.orientation_rad.unwrap_or(0.0).to_degrees();
    if !(-180.2..=229.4).contains(&deg) {
        deg = (deg + 180.0).rem_euclid(360.0) - 180.0;
    }
    ORIENTATION_DEG.put(&mut w, deg);
    LENGTH.put(&mut w, o.length_m.unwrap_or(0.0));
    WIDTH.put(&mut w, o.width_m.unwrap_or(0.0));
    w
}

fn frame(id: u32, w: u64, len: u8) -> CanFrame {
    CanFrame {
        id,
        extended: false,
        rtr: false,
        data: w.to_be_bytes(),
        len,
    }
}

fn id_offset(sensor_id: u8) -> u32 {
    0x10 * u32::from(sensor_id & 7)
}

/// One radar cycle: the 0x60A header plus the objects that arrived.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectList {
    /// Radar SensorID, 0..=7, which selects the CAN ID offset.
    pub sensor_id: u8,
    /// Obj_MeasCounter.
    pub cycle: u16,
    pub interface_version: u8,
    pub objects: Vec<RadarObject>,
    /// Announced objects whose 0x60B never arrived. They are absent from `objects`.
    pub missing_objects: u16,
    /// Expected 0x60B/0x60C/0x60D frames that never arrived.
    pub missing_frames: u16,
}

impl ObjectList {
    pub fn is_complete(&self) -> bool {
        self.missing_frames == 0
    }
}

/// Encodes a cycle in the radar's own order: 0x60A, every 0x60B, then 0x60C and 0x60D
/// for every object if any object has such fields. Obj_NofObjects is 8 bits, so at most
/// the first 255 objects are sent. The missing-frame counts are ignored.
pub fn encode_object_list(list: &ObjectList) -> Vec<CanFrame> {
    let off = id_offset(list.sensor_id);
    let objects = list.objects.get(..255).unwrap_or(&list.objects);
    let mut w = 0;
    NOF_OBJECTS.put(&mut w, objects.len() as u64);
    MEAS_COUNTER.put(&mut w, list.cycle.into());
    IFACE_VERSION.put(&mut w, list.interface_version.into());
    let mut frames = vec![frame(ID_STATUS + off, w, 4)];
    let mut emit = |id: u32, encode: fn(&RadarObject) -> u64, len: u8| {
        frames.extend(objects.iter().map(|o| frame(id + off, encode(o), len)));
    };
    emit(ID_GENERAL, encode_general, 8);
    if objects.iter().any(RadarObject::has_quality) {
        emit(ID_QUALITY, encode_quality, 7);
    }
    if objects.iter().any(RadarObject::has_extended) {
        emit(ID_EXTENDED, encode_extended, 8);
    }
    frames
}

/// RadarState (0x201), sent about once a second. It tells the assembler whether
/// 0x60C/0x60D are enabled and reports sensor health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RadarState {
    pub sensor_id: u8,
    pub send_quality: bool,
    pub send_ext_info: bool,
    /// 0 none, 1 objects, 2 clusters.
    pub output_type: u8,
    /// Far-scan range in 2 m steps.
    pub max_distance_m: u16,
    /// 0 ok, 1 speed missing, 2 yaw rate missing, 3 both (usual for a static mount).
    pub motion_rx_state: u8,
    /// Bit 4 persistent, 3 interference, 2 temperature, 1 temporary, 0 voltage error.
    pub error_flags: u8,
}

impl RadarState {
    fn decode(w: u64) -> Self {
        Self {
            sensor_id: RS_SENSOR_ID.get(w) as u8,
            send_quality: RS_QUALITY.get(w) != 0,
            send_ext_info: RS_EXT_INFO.get(w) != 0,
            output_type: RS_OUTPUT.get(w) as u8,
            max_distance_m: RS_MAX_DISTANCE.get(w) as u16 * 2,
            motion_rx_state: RS_MOTION_RX.get(w) as u8,
            error_flags: RS_ERRORS.get(w) as u8,
        }
    }

    /// Encodes for the simulator; `sensor_id` also picks the CAN ID. Fields the struct
    /// does not model go out as 0, and codes wider than their field saturate.
    pub fn to_frame(&self) -> CanFrame {
        let mut w = 0;
        RS_SENSOR_ID.put(&mut w, self.sensor_id.into());
        RS_QUALITY.put(&mut w, self.send_quality.into());
        RS_EXT_INFO.put(&mut w, self.send_ext_info.into());
        RS_OUTPUT.put(&mut w, self.output_type.into());
        RS_MAX_DISTANCE.put(&mut w, (self.max_distance_m / 2).into());
        RS_MOTION_RX.put(&mut w, self.motion_rx_state.into());
        RS_ERRORS.put(&mut w, self.error_flags.into());
        frame(ID_RADAR_STATE + id_offset(self.sensor_id), w, 8)
    }
}

/// Frames that added nothing to a list, kept for health monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AssemblerCounters {
    /// Other IDs or sensors, extended IDs, and RTR frames: skipped, not errors.
    pub unknown_frames: u64,
    /// Object frames with no open cycle, a duplicate or unknown object ID, or more
    /// objects than Obj_NofObjects announced.
    pub stray_frames: u64,
    /// Lists emitted with `missing_frames > 0`.
    pub incomplete_lists: u64,
}

#[derive(Debug)]
struct Slot {
    obj: RadarObject,
    quality: bool,
    extended: bool,
}

#[derive(Debug)]
struct Cycle {
    announced: u8,
    counter: u16,
    version: u8,
    slots: Vec<Slot>,
}

/// Rebuilds object lists from one radar's frames, fed in arrival order.
///
/// 0x60A opens a cycle. The list is returned as soon as every announced 0x60B, and
/// every expected 0x60C/0x60D, has arrived. If the next 0x60A comes first, the
/// unfinished list is returned with its missing counts: a lost datagram must not
/// stall the stream.
#[derive(Debug)]
pub struct ObjectListAssembler {
    sensor_id: u8,
    expect_quality: bool,
    expect_extended: bool,
    current: Option<Cycle>,
    done: VecDeque<ObjectList>,
    radar_state: Option<RadarState>,
    counters: AssemblerCounters,
}

impl ObjectListAssembler {
    /// Listens to SensorID `sensor_id & 7`. It expects 0x60C and 0x60D until a RadarState
    /// reports the radar's actual SendQuality/SendExtInfo settings.
    pub fn new(sensor_id: u8) -> Self {
        Self {
            sensor_id: sensor_id & 7,
            expect_quality: true,
            expect_extended: true,
            current: None,
            done: VecDeque::new(),
            radar_state: None,
            counters: AssemblerCounters::default(),
        }
    }

    /// Sets which optional messages a cycle must contain before it counts as complete.
    pub fn expecting(mut self, quality: bool, extended: bool) -> Self {
        (self.expect_quality, self.expect_extended) = (quality, extended);
        self
    }

    pub fn radar_state(&self) -> Option<&RadarState> {
        self.radar_state.as_ref()
    }

    pub fn counters(&self) -> AssemblerCounters {
        self.counters
    }

    /// Feeds one frame and returns at most one finished list. If a frame finishes two
    /// lists (an interrupted cycle, then an empty one), the second is returned by the
    /// next `push` or `flush`. A frame that errors leaves the state unchanged.
    pub fn push(&mut self, f: &CanFrame) -> Result<Option<ObjectList>, Ars408Error> {
        self.handle(f)?;
        Ok(self.done.pop_front())
    }

    /// Returns a queued list, or else the open cycle as it stands. Call this on a
    /// receive timeout so the last cycle before a silence is not held back forever.
    pub fn flush(&mut self) -> Option<ObjectList> {
        let list = self.done.pop_front();
        list.or_else(|| self.current.take().map(|c| self.finish(c)))
    }

    fn handle(&mut self, f: &CanFrame) -> Result<(), Ars408Error> {
        let rel = f.id.wrapping_sub(id_offset(self.sensor_id));
        let spec = match rel {
            ID_RADAR_STATE => Some(("RadarState", 8)),
            ID_STATUS => Some(("Obj_0_Status", 4)),
            ID_GENERAL => Some(("Obj_1_General", 8)),
            ID_QUALITY => Some(("Obj_2_Quality", 7)),
            ID_EXTENDED => Some(("Obj_3_Extended", 8)),
            _ => None,
        };
        let Some((message, need)) = spec.filter(|_| !f.extended && !f.rtr) else {
            self.counters.unknown_frames += 1;
            return Ok(());
        };
        if f.len < need {
            return Err(Ars408Error::ShortFrame {
                id: f.id,
                message,
                dlc: f.len,
                need,
            });
        }
        let w = u64::from_be_bytes(f.data);
        match rel {
            ID_RADAR_STATE => {
                let state = RadarState::decode(w);
                (self.expect_quality, self.expect_extended) =
                    (state.send_quality, state.send_ext_info);
                self.radar_state = Some(state);
            }
            ID_STATUS => {
                if let Some(prev) = self.current.take() {
                    let list = self.finish(prev);
                    self.done.push_back(list);
                }
                self.current = Some(Cycle {
                    announced: NOF_OBJECTS.get(w) as u8,
                    counter: MEAS_COUNTER.get(w) as u16,
                    version: IFACE_VERSION.get(w) as u8,
                    slots: Vec::new(),
                });
            }
            _ if !self.apply(rel, w) => self.counters.stray_frames += 1,
            _ => {}
        }
        if self
            .current
            .as_ref()
            .is_some_and(|c| self.missing(c).1 == 0)
        {
            let list = self.current.take().map(|c| self.finish(c));
            self.done.extend(list);
        }
        Ok(())
    }

    /// Merges an object frame into the open cycle; false if it fits nowhere.
    fn apply(&mut self, rel: u32, w: u64) -> bool {
        let Some(c) = self.current.as_mut() else {
            return false;
        };
        let id = OBJ_ID.get(w) as u8;
        let room = c.slots.len() < usize::from(c.announced);
        let pos = c.slots.iter().position(|s| s.obj.id == id);
        match (rel, pos.and_then(|i| c.slots.get_mut(i))) {
            (ID_GENERAL, None) if room => {
                let obj = decode_general(w);
                c.slots.push(Slot {
                    obj,
                    quality: false,
                    extended: false,
                });
            }
            (ID_QUALITY, Some(s)) if !s.quality => {
                apply_quality(&mut s.obj, w);
                s.quality = true;
            }
            (ID_EXTENDED, Some(s)) if !s.extended => {
                apply_extended(&mut s.obj, w);
                s.extended = true;
            }
            _ => return false,
        }
        true
    }

    /// (missing objects, missing frames) of a cycle under the current expectations.
    fn missing(&self, c: &Cycle) -> (u16, u16) {
        let n = usize::from(c.announced);
        let lacking =
            |has: fn(&Slot) -> bool| n.saturating_sub(c.slots.iter().filter(|s| has(s)).count());
        let objects = lacking(|_| true);
        let quality = if self.expect_quality {
            lacking(|s| s.quality)
        } else {
            0
        };
        let extended = if self.expect_extended {
            lacking(|s| s.extended)
        } else {
            0
        };
        (objects as u16, (objects + quality + extended) as u16)
    }

    fn finish(&mut self, c: Cycle) -> ObjectList {
        let (missing_objects, missing_frames) = self.missing(&c);
        self.counters.incomplete_lists += u64::from(missing_frames > 0);
        ObjectList {
            sensor_id: self.sensor_id,
            cycle: c.counter,
            interface_version: c.version,
            objects: c.slots.into_iter().map(|s| s.obj).collect(),
            missing_objects,
            missing_frames,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ars408Error::*;

    /// SplitMix64: deterministic and dependency-free.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let z = (self.0 ^ (self.0 >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn f(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn can(id: u32, bytes: &[u8]) -> CanFrame {
        let mut data = [0; 8];
        data[..bytes.len()].copy_from_slice(bytes);
        CanFrame {
            id,
            data,
            len: bytes.len() as u8,
            ..CanFrame::default()
        }
    }

    fn feed(asm: &mut ObjectListAssembler, frames: &[CanFrame]) -> Vec<ObjectList> {
        frames.iter().filter_map(|f| asm.push(f).unwrap()).collect()
    }

    #[test]
    fn hand_checked_frames_decode_and_encode() {
        // 0x60A: NofObjects 1 -> byte0 0x01; MeasCounter 0x1234 (15|16, big-endian) -> bytes
        //   1-2 = 12 34; InterfaceVersion 1 (31|4 = byte3 bits 7..4) -> byte3 0x10.
        // 0x60B: Obj_ID 5 -> byte0 0x05.
        //   DistLong 25.4 m -> raw (25.4+500)/0.2 = 2627, 13 bits from byte1 bit7:
        //     byte1 = 2627>>5 = 0x52; byte2 bits 7..3 = 2627&31 = 3 -> 0x18.
        //   DistLat -3.2 m -> raw (-3.2+204.6)/0.2 = 1007 = 0x3EF, 11 bits from byte2 bit2:
        //     byte2 bits 2..0 = 0b011 -> byte2 0x1B; byte3 = 0xEF.
        //   VrelLong -5.5 m/s -> raw (-5.5+128)/0.25 = 490, 10 bits from byte4 bit7:
        //     byte4 = 490>>2 = 0x7A; byte5 bits 7..6 = 490&3 = 0b10 -> 0x80.
        //   VrelLat 0.75 m/s -> raw (0.75+64)/0.25 = 259, 9 bits from byte5 bit5:
        //     byte5 bits 5..0 = 259>>3 = 0b100000 -> 0xA0; byte6 bits 7..5 = 0b011 -> 0x60.
        //   DynProp 2 (oncoming), byte6 bits 2..0 -> byte6 0x62. RCS 7.5 -> (7.5+64)/0.5 = 0x8F.
        // 0x60C (DLC 7): DistLong_rms code 12 (<0.105 m), byte1 bits 7..3 -> 0x60.
        //   DistLat_rms code 9 = 0b01001 from byte1 bit2: byte1 0x62, byte2 bits 7..6 0b01.
        //   VrelLong_rms code 20 = 0b10100, byte2 bits 5..1; VrelLat_rms code 17 = 0b10001
        //     from byte2 bit0: byte2 = 0x40|0x28|0x01 = 0x69, byte3 bits 7..4 = 0b0001.
        //   ArelLong_rms 31 from byte3 bit3 -> byte3 0x1F, byte4 bit7; ArelLat_rms 31 in byte4
        //     bits 6..2; Orientation_rms 31 from byte4 bit1 -> byte4 0xFF, byte5 0xE0.
        //   ProbOfExist code 6 (99..99.9 %, floor 0.99), byte6 bits 7..5; MeasState 2
        //     (measured), bits 4..2 -> byte6 0b110_010_00 = 0xC8.
        // 0x60D: ArelLong -1.5 -> raw (-1.5+10)/0.01 = 850, 11 bits from byte1 bit7:
        //     byte1 = 850>>3 = 0x6A; byte2 bits 7..5 = 0b010 -> 0x40.
        //   ArelLat 0.3 -> raw (0.3+2.5)/0.01 = 280, 9 bits from byte2 bit4:
        //     byte2 bits 4..0 = 280>>4 = 0b10001 -> 0x51; byte3 bits 7..4 = 0b1000 -> 0x80.
        //   Class 1 (car), byte3 bits 2..0 -> 0x81. Orientation 90 deg -> (90+180)/0.4 = 675:
        //     byte4 = 675>>2 = 0xA8, byte5 bits 7..6 = 0b11 -> 0xC0.
        //   Length 4.6 m -> 23 = 0x17; Width 1.8 m -> 9 = 0x09.
        let frames = [
            can(0x60A, &[0x01, 0x12, 0x34, 0x10]),
            can(0x60B, &[0x05, 0x52, 0x1B, 0xEF, 0x7A, 0xA0, 0x62, 0x8F]),
            can(0x60C, &[0x05, 0x62, 0x69, 0x1F, 0xFF, 0xE0, 0xC8]),
            can(0x60D, &[0x05, 0x6A, 0x51, 0x81, 0xA8, 0xC0, 0x17, 0x09]),
        ];
        let obj = RadarObject {
            id: 5,
            dist_long_m: 25.4,
            dist_lat_m: -3.2,
            vrel_long_mps: -5.5,
            vrel_lat_mps: 0.75,
            dyn_prop: DynProp::Oncoming,
            rcs_dbsm: 7.5,
            dist_long_rms_m: Some(0.105),
            dist_lat_rms_m: Some(0.049),
            vrel_long_rms_mps: Some(0.794),
            vrel_lat_rms_mps: Some(0.371),
            prob_of_exist: Some(0.99),
            arel_long_mps2: Some(-1.5),
            arel_lat_mps2: Some(0.3),
            class: Some(ObjClass::Car),
            orientation_rad: Some(90f64.to_radians()),
            length_m: Some(4.6),
            width_m: Some(1.8),
        };
        let list = ObjectList {
            cycle: 0x1234,
            interface_version: 1,
            objects: vec![obj],
            ..Default::default()
        };
        assert_eq!(
            feed(&mut ObjectListAssembler::new(0), &frames),
            vec![list.clone()]
        );
        assert_eq!(encode_object_list(&list), frames);
    }

    #[test]
    fn radar_state_hand_checked_and_sets_expectations() {
        // MaxDistanceCfg 200 m -> raw 100, 10 bits from byte1 bit7: byte1 = 100>>2 = 0x19.
        // Interference is error bit 20 = byte2 bit4 -> byte2 0x10 (error_flags 0b01000).
        // MotionRxState 3 (47|2, byte5 bits 7..6), SendExtInfo 0 (45|1), SendQuality 1 (44|1),
        // OutputType 1 (43|2, bits 3..2) -> byte5 0b11_0_1_01_00 = 0xD4.
        let f = can(0x201, &[0x00, 0x19, 0x10, 0x00, 0x00, 0xD4, 0x00, 0x00]);
        let state = RadarState {
            send_quality: true,
            output_type: 1,
            max_distance_m: 200,
            motion_rx_state: 3,
            error_flags: 0b01000,
            ..Default::default()
        };
        assert_eq!(state.to_frame(), f);
        let mut asm = ObjectListAssembler::new(0);
        assert_eq!(asm.push(&f), Ok(None));
        assert_eq!(asm.radar_state(), Some(&state));
        // Quality on, extended off: the cycle completes on its last 0x60C.
        let obj = RadarObject {
            prob_of_exist: Some(0.5),
            ..Default::default()
        };
        let list = ObjectList {
            objects: vec![obj],
            ..Default::default()
        };
        assert_eq!(feed(&mut asm, &encode_object_list(&list)), vec![list]);
    }

    fn random_object(rng: &mut Rng, id: u8, quality: bool, extended: bool) -> RadarObject {
        let mut o = RadarObject {
            id,
            dist_long_m: rng.f(-500.0, 1138.2),
            dist_lat_m: rng.f(-204.6, 204.8),
            vrel_long_mps: rng.f(-128.0, 127.75),
            vrel_lat_mps: rng.f(-64.0, 63.75),
            dyn_prop: DynProp::from_raw(rng.below(8)),
            rcs_dbsm: rng.f(-64.0, 63.5),
            ..Default::default()
        };
        let rms = |rng: &mut Rng| (rng.below(4) != 0).then(|| rng.f(0.0, 10.0));
        if quality {
            o.dist_long_rms_m = rms(rng);
            o.dist_lat_rms_m = rms(rng);
            o.vrel_long_rms_mps = rms(rng);
            o.vrel_lat_rms_mps = rms(rng);
            o.prob_of_exist = Some(rng.f(0.0, 1.0));
        }
        if extended {
            o.arel_long_mps2 = Some(rng.f(-10.0, 10.47));
            o.arel_lat_mps2 = Some(rng.f(-2.5, 2.61));
            o.class = Some(ObjClass::from_raw(rng.below(8)));
            o.orientation_rad = Some(rng.f(-180.0, 229.2).to_radians());
            o.length_m = Some(rng.f(0.0, 51.0));
            o.width_m = Some(rng.f(0.0, 51.0));
        }
        o
    }

    /// Linear fields within half a step; banded fields in the band that holds the input.
    fn assert_within_resolution(got: &RadarObject, want: &RadarObject) {
        let near = |g: f64, w: f64, step: f64| assert!((g - w).abs() <= step / 2.0 + 1e-9);
        assert_eq!(
            (got.id, got.dyn_prop, got.class),
            (want.id, want.dyn_prop, want.class)
        );
        near(got.dist_long_m, want.dist_long_m, 0.2);
        near(got.dist_lat_m, want.dist_lat_m, 0.2);
        near(got.vrel_long_mps, want.vrel_long_mps, 0.25);
        near(got.vrel_lat_mps, want.vrel_lat_mps, 0.25);
        near(got.rcs_dbsm, want.rcs_dbsm, 0.5);
        let (g, w) = (got, want);
        for pair in [
            (g.dist_long_rms_m, w.dist_long_rms_m),
            (g.dist_lat_rms_m, w.dist_lat_rms_m),
            (g.vrel_long_rms_mps, w.vrel_long_rms_mps),
            (g.vrel_lat_rms_mps, w.vrel_lat_rms_mps),
        ] {
            match pair {
                (Some(g), Some(w)) => {
                    assert!(g >= w && !RMS_BANDS.iter().any(|&b| b >= w && b < g))
                }
                (g, w) => assert_eq!(g, w),
            }
        }
        match (g.prob_of_exist, w.prob_of_exist) {
            (Some(g), Some(w)) => assert!(g <= w && !PROB_FLOORS.iter().any(|&f| f > g && f <= w)),
            (g, w) => assert_eq!(g, w),
        }
        for (g, w, step) in [
            (g.arel_long_mps2, w.arel_long_mps2, 0.01),
            (g.arel_lat_mps2, w.arel_lat_mps2, 0.01),
            (g.orientation_rad, w.orientation_rad, 0.4f64.to_radians()),
            (g.length_m, w.length_m, 0.2),
            (g.width_m, w.width_m, 0.2),
        ] {
            match (g, w) {
                (Some(g), Some(w)) => near(g, w, step),
                (g, w) => assert_eq!(g, w),
            }
        }
    }

    #[test]
    fn random_lists_round_trip_through_gateway() {
        let mut rng = Rng(0x5EED);
        let mut asm = ObjectListAssembler::new(3);
        for cycle in 0..300u16 {
            let (quality, extended) = (rng.below(2) == 0, rng.below(2) == 0);
            let (n, first) = (rng.below(40) as u8, rng.below(256) as u8);
            let objects: Vec<_> = (0..n)
                .map(|i| random_object(&mut rng, first.wrapping_add(i), quality, extended))
                .collect();
            let list = ObjectList {
                sensor_id: 3,
                cycle: cycle.wrapping_mul(331),
                interface_version: rng.below(16) as u8,
                objects,
                ..Default::default()
            };
            let state = RadarState {
                sensor_id: 3,
                send_quality: quality,
                send_ext_info: extended,
                ..Default::default()
            };
            let mut frames = vec![state.to_frame()];
            frames.extend(encode_object_list(&list));
            let mut out = Vec::new();
            for d in gateway_datagrams(&frames, 1 + rng.below(12) as usize) {
                out.extend(feed(&mut asm, &parse_gateway_datagram(&d).unwrap()));
            }
            assert_eq!(out.len(), 1, "cycle {cycle} completes exactly once");
            let got = &out[0];
            assert!(got.is_complete());
            assert_eq!(
                (got.cycle, got.interface_version),
                (list.cycle, list.interface_version)
            );
            assert_eq!(got.objects.len(), list.objects.len());
            got.objects
                .iter()
                .zip(&list.objects)
                .for_each(|(g, w)| assert_within_resolution(g, w));
            // Decoded values sit exactly on raw steps, so re-encoding reproduces every bit.
            assert_eq!(encode_object_list(got), frames[1..]);
        }
        assert_eq!(asm.counters(), AssemblerCounters::default());
    }

    #[test]
    fn limits_round_trip_exactly_and_out_of_range_saturates() {
        let round_trip = |l: Lin, v: f64| {
            let mut w = 0;
            l.put(&mut w, v);
            l.get(w)
        };
        for (l, lo, hi) in [
            (DIST_LONG, -500.0, 1138.2),
            (DIST_LAT, -204.6, 204.8),
            (VREL_LONG, -128.0, 127.75),
            (VREL_LAT, -64.0, 63.75),
            (RCS, -64.0, 63.5),
            (AREL_LONG, -10.0, 10.47),
            (AREL_LAT, -2.5, 2.61),
            (ORIENTATION_DEG, -180.0, 229.2),
            (LENGTH, 0.0, 51.0),
            (WIDTH, 0.0, 51.0),
        ] {
            assert_eq!([lo, hi].map(|v| round_trip(l, v)), [lo, hi]);
            assert_eq!(
                [lo - 1e6, hi + 1e6, f64::NAN].map(|v| round_trip(l, v)),
                [lo, hi, lo]
            );
        }
        // Banded fields through the real 0x60C/0x60D layouts.
        let quality = |rms: Option<f64>, prob: Option<f64>| {
            let mut o = RadarObject {
                dist_long_rms_m: rms,
                prob_of_exist: prob,
                ..Default::default()
            };
            let w = encode_quality(&o);
            apply_quality(&mut o, w);
            (o.dist_long_rms_m, o.prob_of_exist)
        };
        assert_eq!(quality(Some(0.005), Some(0.0)), (Some(0.005), Some(0.0)));
        assert_eq!(quality(Some(10.0), Some(0.999)), (Some(10.0), Some(0.999)));
        assert_eq!(quality(Some(50.0), Some(2.0)), (Some(10.0), Some(0.999)));
        assert_eq!(quality(Some(-1.0), Some(-1.0)), (Some(0.005), Some(0.0)));
        assert_eq!(quality(Some(f64::NAN), Some(f64::NAN)), (None, None));
        // Radians at the orientation limits survive the degree conversion; 270 deg wraps.
        let orientation = |deg: f64| {
            let mut o = RadarObject {
                orientation_rad: Some(deg.to_radians()),
                ..Default::default()
            };
            let w = encode_extended(&o);
            apply_extended(&mut o, w);
            o.orientation_rad
        };
        let want = [-180.0, 229.2, -90.0].map(|d: f64| Some(d.to_radians()));
        assert_eq!([-180.0, 229.2, 270.0].map(orientation), want);
    }

    #[test]
    fn malformed_datagrams_name_the_offset() {
        let f = CanFrame {
            id: 0x1ABC_DEF0,
            extended: true,
            rtr: true,
            data: [7; 8],
            len: 3,
        };
        let datagrams = gateway_datagrams(&[f, f], 0);
        assert_eq!(datagrams.len(), 2);
        assert_eq!(parse_gateway_datagram(&datagrams[0]), Ok(vec![f]));
        assert_eq!(parse_gateway_datagram(&[]), Ok(vec![]));
        let err = |d: &[u8]| {
            parse_gateway_datagram(d)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        let mut two = [encode_gateway_record(&can(0x60B, &[1; 8])); 2].concat();
        let truncated = "datagram byte 13: 7 trailing byte(s), not a 13-byte record";
        assert_eq!(err(&two[..20]), Err(truncated.into()));
        assert_eq!(
            parse_gateway_datagram(&two[..5]),
            Err(Truncated {
                offset: 0,
                remaining: 5
            })
        );
        two[13] = 0x09;
        assert_eq!(err(&two), Err("datagram byte 13: DLC 9 exceeds 8".into()));
        two[13] = 0x28;
        let reserved = "datagram byte 13: reserved/CAN FD bits set in frame info 0x28";
        assert_eq!(err(&two), Err(reserved.into()));
        (two[13], two[16]) = (0x08, 0x0E);
        assert_eq!(
            err(&two),
            Err("datagram byte 13: ID 0xe0b does not fit 11 bits".into())
        );
        two[13] = 0x88;
        assert_eq!(parse_gateway_datagram(&two).map(|v| v[1].id), Ok(0xE0B));
    }

    #[test]
    fn random_input_never_panics() {
        let mut rng = Rng(7);
        let mut asm = ObjectListAssembler::new(0);
        for _ in 0..20_000 {
            let len = if rng.below(2) == 0 {
                13 * rng.below(5)
            } else {
                rng.below(70)
            };
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            for f in parse_gateway_datagram(&bytes).unwrap_or_default() {
                let _ = asm.push(&f);
            }
            let f = CanFrame {
                id: [0x201, 0x60A, 0x60B, 0x60C, 0x60D, rng.next() as u32][rng.below(6) as usize],
                extended: rng.below(9) == 0,
                rtr: rng.below(9) == 0,
                data: rng.next().to_be_bytes(),
                len: rng.below(16) as u8,
            };
            if let Ok(Some(list)) = asm.push(&f) {
                assert!(list.objects.len() <= 255);
            }
        }
        while asm.flush().is_some() {}
    }

    #[test]
    fn interrupted_cycle_is_reported() {
        let obj = |id| RadarObject {
            id,
            prob_of_exist: Some(0.9),
            length_m: Some(4.0),
            ..Default::default()
        };
        let list = ObjectList {
            cycle: 7,
            objects: (0..5).map(obj).collect(),
            ..Default::default()
        };
        // 0x60A, 5 x 0x60B, 5 x 0x60C, 5 x 0x60D. Drop object 2's 0x60B (its 0x60C/0x60D
        // turn stray) and object 4's 0x60D.
        let mut frames = encode_object_list(&list);
        frames.remove(3);
        frames.remove(14);
        let mut asm = ObjectListAssembler::new(0);
        assert!(feed(&mut asm, &frames).is_empty());
        // The next 0x60A announces an empty cycle: it flushes cycle 7 and completes at once.
        let next = encode_object_list(&ObjectList {
            cycle: 8,
            ..Default::default()
        });
        let got = asm.push(&next[0]).unwrap().unwrap();
        let ids: Vec<u8> = got.objects.iter().map(|o| o.id).collect();
        assert_eq!(
            (got.cycle, ids, got.missing_objects),
            (7, vec![0, 1, 3, 4], 1)
        );
        assert_eq!(got.missing_frames, 1 + 1 + 2); // 0x60B + 0x60C + two 0x60D
        assert!(!got.is_complete());
        assert_eq!(
            asm.flush().map(|l| (l.cycle, l.is_complete())),
            Some((8, true))
        );
        let counters = AssemblerCounters {
            unknown_frames: 0,
            stray_frames: 2,
            incomplete_lists: 1,
        };
        assert_eq!(asm.counters(), counters);
    }

    #[test]
    fn short_dlc_is_an_error_and_foreign_frames_are_counted() {
        let mut asm = ObjectListAssembler::new(1).expecting(false, false);
        let err = asm.push(&can(0x61B, &[0; 6])).unwrap_err();
        assert_eq!(
            err,
            ShortFrame {
                id: 0x61B,
                message: "Obj_1_General",
                dlc: 6,
                need: 8
            }
        );
        assert_eq!(err.to_string(), "CAN 0x61b (Obj_1_General): DLC 6, needs 8");
        let extended = CanFrame {
            extended: true,
            ..can(0x61A, &[1, 0, 0, 0])
        };
        for f in [can(0x60A, &[1, 0, 0, 0]), extended, can(0x123, &[])] {
            assert_eq!(asm.push(&f), Ok(None));
        }
        assert_eq!(asm.push(&can(0x61B, &[0; 8])), Ok(None)); // no open cycle: stray
        let counters = AssemblerCounters {
            unknown_frames: 3,
            stray_frames: 1,
            incomplete_lists: 0,
        };
        assert_eq!(asm.counters(), counters);
        assert_eq!(
            asm.push(&can(0x61A, &[0; 4]))
                .map(|l| l.map(|l| l.sensor_id)),
            Ok(Some(1))
        );
    }
}
