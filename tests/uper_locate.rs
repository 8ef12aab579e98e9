//! Tests of `roadsight::v2x::locate` on real CN 2020 messages built with the generated types.

use roadsight::v2x::locate::{decode_uper, locate_uper, DecodeFailure};
use roadsight_asn1::cn::*;
use roadsight_asn1::rasn::types::{
    BitString, FixedBitString, FixedOctetString, Ia5String, OctetString,
};

// ---------------------------------------------------------------- message builders

fn id8() -> OctetString {
    OctetString::from(vec![1, 2, 3, 4, 5, 6, 7, 8])
}

fn pos3d(elevation: Option<i32>) -> Position3D {
    Position3D::new(
        Latitude(399_000_000),
        Longitude(1_163_000_000),
        elevation.map(Elevation),
    )
}

fn llv(i: i16) -> PositionOffsetLLV {
    PositionOffsetLLV::new(
        PositionOffsetLL::position_LL1(PositionLL24B::new(OffsetLLB12(i), OffsetLLB12(-i))),
        None,
    )
}

fn node_ref(id: u16, region: Option<u16>) -> NodeReferenceID {
    NodeReferenceID::new(region.map(RoadRegulatorID), NodeID(id))
}

/// A participant with no OPTIONAL component: 131 bits (see `hand_made_*`).
fn participant_min(i: u16) -> ParticipantData {
    ParticipantData::new(
        ParticipantType::motor,
        i,
        SourceType::video,
        None,
        DSecond(1000 + i),
        llv(i as i16),
        PositionConfidenceSet::new(PositionConfidence::a1m, None),
        None,
        Speed(500),
        Heading(9000),
        None,
        None,
        None,
        VehicleSize::new(VehicleWidth(180), VehicleLength(450), None),
        None,
    )
}

/// A participant with every OPTIONAL component and varied CHOICE alternatives.
fn participant_full(i: u16) -> ParticipantData {
    let offset_ll = match i % 3 {
        0 => PositionOffsetLL::position_LL3(PositionLL32B::new(OffsetLLB16(-300), OffsetLLB16(7))),
        1 => PositionOffsetLL::position_LL6(PositionLL48B::new(
            OffsetLLB24(8_000_000),
            OffsetLLB24(-1),
        )),
        _ => PositionOffsetLL::position_LatLon(PositionLLmD64b::new(
            Longitude(1_163_000_001),
            Latitude(-5),
        )),
    };
    ParticipantData::new(
        ParticipantType::pedestrian,
        i,
        SourceType::lidar,
        Some(id8()),
        DSecond(60_000),
        PositionOffsetLLV::new(offset_ll, Some(VerticalOffset::elevation(Elevation(-4096)))),
        PositionConfidenceSet::new(
            PositionConfidence::a10cm,
            Some(ElevationConfidence::elev_000_50),
        ),
        Some(TransmissionState::reverseGears),
        Speed(8191),
        Heading(28800),
        Some(SteeringWheelAngle(-126)),
        Some(MotionConfidenceSet::new(
            Some(SpeedConfidence::prec0_01ms),
            Some(HeadingConfidence::prec0_0125deg),
            Some(SteeringWheelAngleConfidence::prec0_02deg),
        )),
        Some(AccelerationSet4Way::new(
            Acceleration(-2000),
            Acceleration(2001),
            VerticalAcceleration(-127),
            YawRate(32767),
        )),
        VehicleSize::new(
            VehicleWidth(1023),
            VehicleLength(4095),
            Some(VehicleHeight(127)),
        ),
        Some(VehicleClassification::new(
            BasicVehicleClass(82),
            Some(FuelType(4)),
        )),
    )
}

fn rsm(participants: Vec<ParticipantData>) -> MessageFrame {
    MessageFrame::rsmFrame(RoadsideSafetyMessage::new(
        MsgCount(5),
        id8(),
        pos3d(None),
        ParticipantList(participants),
    ))
}

fn bsm() -> MessageFrame {
    let point = PathHistoryPoint::new(
        llv(3),
        TimeOffset(10),
        Some(Speed(100)),
        None,
        Some(CoarseHeading(240)),
    );
    MessageFrame::bsmFrame(BasicSafetyMessage::new(
        MsgCount(127),
        id8(),
        DSecond(59_999),
        Some(TimeConfidence::time_000_000_000_000_01),
        pos3d(Some(61_439)),
        Some(PositionalAccuracy::new(
            SemiMajorAxisAccuracy(10),
            SemiMinorAxisAccuracy(5),
            SemiMajorAxisOrientation(65_535),
        )),
        Some(PositionConfidenceSet::new(
            PositionConfidence::a1cm,
            Some(ElevationConfidence::elev_000_01),
        )),
        TransmissionState::forwardGears,
        Speed(0),
        Heading(0),
        Some(SteeringWheelAngle(127)),
        Some(MotionConfidenceSet::new(
            None,
            Some(HeadingConfidence::prec01deg),
            None,
        )),
        AccelerationSet4Way::new(
            Acceleration(0),
            Acceleration(0),
            VerticalAcceleration(0),
            YawRate(-32767),
        ),
        BrakeSystemStatus::new(
            Some(BrakePedalStatus::on),
            Some(BrakeAppliedStatus(FixedBitString::<5>::new([
                0xA8, 0, 0, 0, 0,
            ]))),
            Some(TractionControlStatus::engaged),
            Some(AntiLockBrakeStatus::off),
            None,
            Some(BrakeBoostApplied::unavailable),
            Some(AuxiliaryBrakeStatus::reserved),
        ),
        VehicleSize::new(VehicleWidth(200), VehicleLength(500), None),
        VehicleClassification::new(BasicVehicleClass(10), None),
        Some(VehicleSafetyExtensions::new(
            Some(VehicleEventFlags(BitString::repeat(true, 13))),
            Some(PathHistory::new(
                Some(FullPositionVector::new(
                    Some(DDateTime::new(
                        Some(DYear(2024)),
                        Some(DMonth(5)),
                        None,
                        None,
                        None,
                        None,
                        Some(DTimeOffset(-480)),
                    )),
                    pos3d(None),
                    Some(Heading(1)),
                    None,
                    Some(Speed(2)),
                    None,
                    Some(TimeConfidence::time_100_000),
                    None,
                )),
                Some(GNSSstatus(FixedBitString::<8>::new([
                    0x55, 0, 0, 0, 0, 0, 0, 0,
                ]))),
                PathHistoryPointList(vec![point.clone(), point]),
            )),
            Some(PathPrediction::new(
                RadiusOfCurvature(-32767),
                Confidence(200),
            )),
            Some(ExteriorLights(BitString::repeat(false, 9))),
        )),
        Some(VehicleEmergencyExtensions::new(
            Some(ResponseType::emergency),
            Some(SirenInUse::inUse),
            Some(LightbarInUse::freqStops),
        )),
    ))
}

fn speed_limits(n: usize) -> SpeedLimitList {
    SpeedLimitList(vec![
        RegulatorySpeedLimit::new(
            SpeedLimitType::vehicleMaxSpeed,
            Speed(1000)
        );
        n
    ])
}

/// Only what `hand_made_size_constraint_sequence_of` needs, for a layout computed by hand.
fn map_min() -> MessageFrame {
    let link = Link::new(
        None,
        node_ref(11, None),
        Some(speed_limits(3)),
        LaneWidth(350),
        None,
        None,
        LaneList(vec![Lane::new(
            LaneID(1),
            None,
            None,
            None,
            None,
            None,
            None,
        )]),
    );
    let node = Node::new(
        None,
        node_ref(10, None),
        pos3d(None),
        Some(LinkList(vec![link])),
    );
    MessageFrame::mapFrame(MapData::new(MsgCount(1), None, NodeList(vec![node])))
}

fn map_full() -> MessageFrame {
    let lane = Lane::new(
        LaneID(1),
        Some(LaneWidth(350)),
        Some(LaneAttributes::new(
            Some(LaneSharing(FixedBitString::<10>::ZERO)),
            LaneTypeAttributes::vehicle(LaneAttributesVehicle(BitString::repeat(true, 8))),
        )),
        Some(AllowedManeuvers(FixedBitString::<12>::ZERO)),
        Some(ConnectsToList(vec![Connection::new(
            node_ref(12, Some(3)),
            Some(ConnectingLane::new(
                LaneID(2),
                Some(AllowedManeuvers(FixedBitString::<12>::ZERO)),
            )),
            Some(PhaseID(2)),
        )])),
        Some(speed_limits(9)),
        Some(PointList(vec![
            RoadPoint::new(llv(1)),
            RoadPoint::new(llv(2)),
            RoadPoint::new(llv(3)),
        ])),
    );
    let crosswalk = Lane::new(
        LaneID(9),
        None,
        Some(LaneAttributes::new(
            None,
            LaneTypeAttributes::crosswalk(LaneAttributesCrosswalk(FixedBitString::<16>::ZERO)),
        )),
        None,
        None,
        None,
        None,
    );
    let link = Link::new(
        Some(DescriptiveName(
            Ia5String::try_from("Main St").unwrap_or_default(),
        )),
        node_ref(11, None),
        Some(speed_limits(1)),
        LaneWidth(700),
        Some(PointList(vec![
            RoadPoint::new(llv(4)),
            RoadPoint::new(llv(5)),
        ])),
        Some(MovementList(vec![Movement::new(
            node_ref(12, None),
            Some(PhaseID(1)),
        )])),
        LaneList(vec![lane, crosswalk]),
    );
    let node = Node::new(
        Some(DescriptiveName(
            Ia5String::try_from("X").unwrap_or_default(),
        )),
        node_ref(10, Some(1)),
        pos3d(Some(-4096)),
        Some(LinkList(vec![link])),
    );
    let bare = Node::new(None, node_ref(13, None), pos3d(None), None);
    MessageFrame::mapFrame(MapData::new(
        MsgCount(1),
        Some(MinuteOfTheYear(527_040)),
        NodeList(vec![node, bare]),
    ))
}

fn name(len: usize) -> DescriptiveName {
    DescriptiveName(Ia5String::try_from("N".repeat(len)).unwrap_or_default())
}

fn spat(moy: Option<u32>, time_stamp: Option<u16>, spat_name: DescriptiveName) -> MessageFrame {
    let counting = TimeChangeDetails::counting(TimeCountingDown::new(
        TimeMark(0),
        Some(TimeMark(10)),
        None,
        TimeMark(300),
        Some(Confidence(100)),
        None,
        Some(TimeMark(36_001)),
    ));
    let utc = TimeChangeDetails::utcTiming(UTCTiming::new(
        TimeMark(5),
        None,
        Some(TimeMark(6)),
        TimeMark(7),
        None,
        Some(TimeMark(8)),
        None,
    ));
    let phase = Phase::new(
        PhaseID(1),
        PhaseStateList(vec![
            PhaseState::new(LightState::red, Some(counting)),
            PhaseState::new(LightState::protected_green, Some(utc)),
            PhaseState::new(LightState::flashing_yellow, None),
        ]),
    );
    let intersection = IntersectionState::new(
        node_ref(10, Some(1)),
        IntersectionStatusObject(FixedBitString::<16>::ZERO),
        Some(MinuteOfTheYear(1)),
        Some(DSecond(2)),
        Some(TimeConfidence::time_000_500),
        PhaseList(vec![phase.clone(), phase]),
    );
    MessageFrame::spatFrame(SPAT::new(
        MsgCount(3),
        moy.map(MinuteOfTheYear),
        time_stamp.map(DSecond),
        Some(spat_name),
        IntersectionStateList(vec![intersection]),
    ))
}

fn rsi() -> MessageFrame {
    let rte = RTEData::new(
        1,
        EventType(100),
        EventSource::detection,
        Some(llv(9)),
        Some(Radius(50)),
        Some(Description::textString(
            Ia5String::try_from("ice on road").unwrap_or_default(),
        )),
        Some(RSITimeDetails::new(
            Some(MinuteOfTheYear(10)),
            Some(MinuteOfTheYear(20)),
            Some(TimeConfidence::time_001_000),
        )),
        Some(RSIPriority(FixedOctetString::new([0xE0]))),
        Some(ReferencePathList(vec![ReferencePath::new(
            PathPointList(vec![llv(1), llv(2), llv(3)]),
            Radius(10),
        )])),
        Some(ReferenceLinkList(vec![ReferenceLink::new(
            node_ref(1, None),
            node_ref(2, Some(7)),
            Some(ReferenceLanes(FixedBitString::<16>::ZERO)),
        )])),
        Some(Confidence(100)),
    );
    let rts = RTSData::new(
        2,
        SignType(5),
        None,
        Some(Description::textGB2312(OctetString::from(vec![
            0xB5, 0xC0, 0xC2, 0xB7,
        ]))),
        None,
        None,
        None,
        None,
    );
    MessageFrame::rsiFrame(RoadSideInformation::new(
        MsgCount(9),
        Some(MinuteOfTheYear(100)),
        id8(),
        pos3d(Some(100)),
        Some(RTEList(vec![rte])),
        Some(RTSList(vec![rts])),
    ))
}

fn messages() -> Vec<(&'static str, MessageFrame)> {
    vec![
        ("rsm min 1", rsm(vec![participant_min(0)])),
        ("rsm min 3", rsm((0..3).map(participant_min).collect())),
        ("rsm full 16", rsm((0..16).map(participant_full).collect())),
        (
            "rsm mixed",
            rsm((0..6)
                .map(|i| {
                    if i % 2 == 0 {
                        participant_min(i)
                    } else {
                        participant_full(i)
                    }
                })
                .collect()),
        ),
        ("bsm", bsm()),
        ("map min", map_min()),
        ("map full", map_full()),
        ("spat", spat(Some(527_040), Some(65_535), name(5))),
        ("spat long name", spat(None, None, name(63))),
        ("rsi", rsi()),
    ]
}

fn encode(frame: &MessageFrame) -> Vec<u8> {
    rasn::uper::encode(frame).unwrap_or_else(|e| panic!("test message does not encode: {e}"))
}

// ---------------------------------------------------------------- helpers

/// Decodes with rasn, the locating decoder and `decode_uper`, checks they agree, and returns
/// the failure if any.
fn check_as<T: rasn::Decode + PartialEq + std::fmt::Debug>(
    name: &'static str,
    bytes: &[u8],
) -> Option<DecodeFailure> {
    let expected = rasn::uper::decode::<T>(bytes);
    let located = locate_uper::<T>(name, bytes);
    let fast = decode_uper::<T>(name, bytes);
    match (expected, located) {
        (Ok(expected), Ok(located)) => {
            assert_eq!(expected, located, "located value differs");
            assert_eq!(fast.ok(), Some(expected));
            None
        }
        (Err(error), Err(failure)) => {
            assert_names_agree(&error, &failure);
            assert!(failure.bit_offset <= failure.message_bits, "{failure}");
            assert_eq!(failure.message_bits, bytes.len() * 8);
            assert!(
                !failure.reason.contains("position unknown"),
                "{failure} for {bytes:02x?}"
            );
            assert_eq!(fast.err().as_ref(), Some(&failure));
            Some(failure)
        }
        (expected, located) => panic!(
            "rasn and locating decoder disagree on {} octets {:02x?}: {:?} vs {:?}",
            bytes.len(),
            &bytes[..bytes.len().min(32)],
            expected.err(),
            located.err()
        ),
    }
}

/// The fields in rasn's `FieldError` chain (Rust identifiers of the generated types) must
/// appear, in order, in the located path (ASN.1 identifiers, plus alternatives and indices).
fn assert_names_agree(error: &rasn::error::DecodeError, failure: &DecodeFailure) {
    let plain = |name: &str| {
        name.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase()
    };
    let ours: Vec<String> = failure.path.split(['.', '[']).map(plain).collect();
    let mut ours = ours.iter();
    let mut kind = &*error.kind;
    while let rasn::error::DecodeErrorKind::FieldError { name, nested } = kind {
        let theirs = plain(name.rsplit('.').next().unwrap_or(name));
        // `ends_with`: a field `type` is `r_type` in Rust.
        if !ours.any(|ours| !ours.is_empty() && theirs.ends_with(ours.as_str())) {
            // rasn checks a SEQUENCE OF size after its components, so it may fail deeper.
            assert!(
                failure.reason.starts_with("size "),
                "rasn names {name} but the located path is {}: {error}",
                failure.path
            );
            break;
        }
        kind = &nested.kind;
    }
}

fn check(bytes: &[u8]) -> Option<DecodeFailure> {
    check_as::<MessageFrame>("MessageFrame", bytes)
}

/// A bit string built MSB first.
#[derive(Default)]
struct Bits(Vec<bool>);

impl Bits {
    fn from_bytes(bytes: &[u8], bits: usize) -> Self {
        Self(
            (0..bits)
                .map(|i| bytes[i / 8] & (0x80 >> (i % 8)) != 0)
                .collect(),
        )
    }
    fn push(&mut self, width: usize, value: u64) -> &mut Self {
        self.0
            .extend((0..width).rev().map(|i| (value >> i) & 1 == 1));
        self
    }
    fn bytes(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.0.len().div_ceil(8)];
        for (i, _) in self.0.iter().enumerate().filter(|(_, bit)| **bit) {
            out[i / 8] |= 0x80 >> (i % 8);
        }
        out
    }
}

/// Writes `value` into `width` bits at bit `at`, most significant bit first.
fn put_bits(bytes: &mut [u8], at: usize, width: usize, value: u64) {
    for i in 0..width {
        let bit = (value >> (width - 1 - i)) & 1 == 1;
        let (byte, mask) = ((at + i) / 8, 0x80u8 >> ((at + i) % 8));
        if bit {
            bytes[byte] |= mask;
        } else {
            bytes[byte] &= !mask;
        }
    }
}

fn failure_of(bytes: &[u8]) -> DecodeFailure {
    check(bytes).unwrap_or_else(|| panic!("corrupted message decoded"))
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

// ---------------------------------------------------------------- valid messages

#[test]
fn valid_messages_decode_exactly_like_rasn() {
    for (label, frame) in messages() {
        let bytes = encode(&frame);
        assert_eq!(
            locate_uper::<MessageFrame>("MessageFrame", &bytes).ok(),
            Some(frame.clone()),
            "{label}"
        );
        assert_eq!(
            decode_uper::<MessageFrame>("MessageFrame", &bytes).ok(),
            Some(frame),
            "{label}"
        );
        assert!(check(&bytes).is_none());
    }
    // Other top types too.
    let point = PathHistoryPoint::new(llv(1), TimeOffset(1), None, None, None);
    let bytes = rasn::uper::encode(&point).unwrap_or_default();
    assert_eq!(
        locate_uper::<PathHistoryPoint>("PathHistoryPoint", &bytes).ok(),
        Some(point)
    );
}

// ---------------------------------------------------------------- hand-made corruptions

// Layout of `rsm(n × participant_min)` in UPER (X.691), bit offsets from 0:
//   MessageFrame: extension bit (1) + root index 0..4 in 3 bits                     = 4
//   RoadsideSafetyMessage at 4: extension bit 1, no OPTIONAL, msgCnt 0..127 (7),
//     id SIZE(8) octets (64, no length), refPos Position3D: presence bit of
//     elevation (1), lat -900000000..900000001 (31), long (32), participants
//     SIZE(1..16) length in 4 bits                                                → 4+1+7+64+64+4 = 144
//   ParticipantData (131 bits each): extension bit 1, presence bits of id,
//     transmission, angle, motionCfd, accelSet, vehicleClass (6), ptcType
//     (extensible ENUMERATED, 5 root values: 1 + 3), ptcId (16), source (1 + 3),
//     secMark (16), pos: presence of offsetV (1) + offsetLL CHOICE of 7 (3) +
//     position-LL1 (12 + 12), posConfidence: presence (1) + pos (4 bits, 16
//     values), speed 0..8191 (13), heading 0..28800 (15), size: presence (1) +
//     width (10) + length (12)                                                     = 131
//   so participant k starts at 144 + 131 k; within it ptcType is at +7, pos at +47
//   (offsetLL index at +48) and heading at +93.

#[test]
fn hand_made_value_out_of_range() {
    let mut bytes = encode(&rsm((0..3).map(participant_min).collect()));
    assert_eq!(bytes.len(), 68); // 144 + 3 × 131 = 537 bits
                                 // participants[2].heading at 144 + 262 + 93 = 499: 15 one bits = 32767 > 28800.
    put_bits(&mut bytes, 499, 15, 0x7FFF);
    let failure = failure_of(&bytes);
    assert_eq!(failure.path, "rsmFrame.participants[2].heading");
    assert_eq!(failure.bit_offset, 499);
    assert_eq!(failure.reason, "value 32767 outside 0..=28800");
    assert_eq!(
        failure.to_string(),
        "MessageFrame.rsmFrame.participants[2].heading: value 32767 outside 0..=28800 at bit 499 of 544"
    );

    // refPos.lat at 4 + 1 + 7 + 64 + 1 = 77: 31 one bits = 2^31 - 1 - 900000000.
    let mut bytes = encode(&rsm(vec![participant_min(0)]));
    put_bits(&mut bytes, 77, 31, 0x7FFF_FFFF);
    let failure = failure_of(&bytes);
    assert_eq!(
        (failure.path.as_str(), failure.bit_offset),
        ("rsmFrame.refPos.lat", 77)
    );
    assert_eq!(
        failure.reason,
        "value 1247483647 outside -900000000..=900000001"
    );
}

#[test]
fn hand_made_enumerated_and_choice_index() {
    let clean = encode(&rsm((0..3).map(participant_min).collect()));
    // participants[1].ptcType at 144 + 131 + 7 = 282: extension bit 0, root index 7 (of 5).
    let mut bytes = clean.clone();
    put_bits(&mut bytes, 282, 4, 0b0111);
    let failure = failure_of(&bytes);
    assert_eq!(
        (failure.path.as_str(), failure.bit_offset),
        ("rsmFrame.participants[1].ptcType", 282)
    );
    assert_eq!(failure.reason, "ENUMERATED index 7 not defined (5 values)");

    // participants[0].pos.offsetLL index at 144 + 48 = 192: 3 bits = 7, only 0..6 exist.
    let mut bytes = clean.clone();
    put_bits(&mut bytes, 192, 3, 7);
    let failure = failure_of(&bytes);
    assert_eq!(
        (failure.path.as_str(), failure.bit_offset),
        ("rsmFrame.participants[0].pos.offsetLL", 192)
    );
    assert_eq!(
        failure.reason,
        "CHOICE index 7 not defined (7 alternatives)"
    );

    // MessageFrame root index (bits 1..4) = 7, only 0..4 exist.
    let mut bytes = clean;
    put_bits(&mut bytes, 0, 4, 0b0111);
    let failure = failure_of(&bytes);
    assert_eq!((failure.path.as_str(), failure.bit_offset), ("", 0));
    assert_eq!(
        failure.reason,
        "CHOICE index 7 not defined (5 alternatives)"
    );
}

#[test]
fn hand_made_unsupported_message() {
    // Extension bit 1, normally small index 0 + 000101 (5), then an open type of 2 octets:
    // a MessageFrame alternative added after 2020.
    let bytes = [0b1000_0101, 0x02, 0xAB, 0xCD];
    let failure = failure_of(&bytes);
    assert_eq!((failure.path.as_str(), failure.bit_offset), ("", 0));
    assert_eq!(
        failure.reason,
        "unsupported CHOICE alternative (extension) 5"
    );
    assert_eq!(
        failure.to_string(),
        "MessageFrame: unsupported CHOICE alternative (extension) 5 at bit 0 of 32"
    );
    // Same with the large index form and an index beyond usize: an error, never a panic.
    for bytes in [
        &[0xC0, 0x01, 0x07][..],
        &[0xC0, 0x7F, 0xFF, 0xFF][..],
        &[0x80][..],
        &[0xFF; 40][..],
    ] {
        failure_of(bytes);
    }
}

#[test]
fn hand_made_size_constraint() {
    // SPAT without moy and timeStamp: MessageFrame (4), extension bit (1), presence of moy,
    // timeStamp, name (3), msgCnt (7) → name at 15: length SIZE(1..63) as n - 1 in 6 bits.
    // 63 characters are 111110; 111111 means 64, which needs 7 bits that the following
    // intersections provide, so the size check (after the characters) is what fails.
    let mut bytes = encode(&spat(None, None, name(63)));
    put_bits(&mut bytes, 15, 6, 0b11_1111);
    let failure = failure_of(&bytes);
    assert_eq!(
        (failure.path.as_str(), failure.bit_offset),
        ("spatFrame.name", 15)
    );
    assert_eq!(failure.reason, "size 64 outside 1..=63");
}

#[test]
fn hand_made_size_constraint_sequence_of() {
    // map_min: MessageFrame (4); MapData extension bit, presence of timeStamp, msgCnt (7)
    // → nodes length (5 bits) at 13; Node at 18: extension bit, presence of name and
    // inLinks (2), id: presence of region (1) + id (16), refPos (64) → inLinks length
    // (5) at 102; Link at 107: extension bit, presence of name, speedLimits, points,
    // movements (4), upstreamNodeId (17) → speedLimits SIZE(1..9) as n - 1 in 4 bits at 129.
    let mut bytes = encode(&map_min());
    put_bits(&mut bytes, 129, 4, 0b1111);
    let failure = failure_of(&bytes);
    assert_eq!(failure.path, "mapFrame.nodes[0].inLinks[0].speedLimits");
    assert_eq!(
        (failure.bit_offset, failure.reason.as_str()),
        (129, "size 16 outside 1..=9")
    );
}

#[test]
fn trailing_garbage() {
    for (label, frame) in messages() {
        let clean = encode(&frame);
        for tail in [&[0x00][..], &[0xFF, 0x01][..]] {
            let bytes = [clean.as_slice(), tail].concat();
            let failure = failure_of(&bytes);
            assert_eq!(
                (failure.path.as_str(), failure.bit_offset),
                ("", clean.len() * 8),
                "{label}"
            );
            let expected = match tail.len() {
                1 => "trailing data: 1 octet after the value",
                _ => "trailing data: 2 octets after the value",
            };
            assert_eq!(failure.reason, expected);
        }
    }
}

#[test]
fn unknown_extension_additions_are_skipped_and_located() {
    let frame = rsm((0..3).map(participant_min).collect());
    let clean = encode(&frame);
    // RoadsideSafetyMessage (537 bits) with its extension bit (bit 4) set, then what a newer
    // peer would append: bitmap length 1 as a normally small number (0 000000), bitmap "1",
    // and the addition as an open type of 2 octets.
    let mut bits = Bits::from_bytes(&clean, 537);
    bits.0[4] = true;
    bits.push(7, 0).push(1, 1).push(8, 2).push(16, 0xABCD);
    let bytes = bits.bytes();
    assert_eq!(bytes.len(), 72);
    assert!(check(&bytes).is_none());
    assert_eq!(
        decode_uper::<MessageFrame>("MessageFrame", &bytes).ok(),
        Some(frame)
    );
    // Cut inside the additions: 68 octets end at 544, where the bitmap bit is.
    let failure = failure_of(&bytes[..68]);
    assert_eq!(failure.path, "rsmFrame.(extension additions)");
    assert_eq!(
        failure.reason,
        "truncated: needed 1 more bit (element starts at bit 537)"
    );
    for len in 68..72 {
        assert_eq!(failure_of(&bytes[..len]).bit_offset, len * 8);
    }
}

#[allow(non_camel_case_types)]
mod local {
    use rasn::prelude::*;

    /// A CHOICE with an extension alternative, which UPER wraps in an open type.
    #[derive(AsnType, Decode, Encode, Debug, PartialEq, Clone)]
    #[rasn(choice, automatic_tags)]
    #[non_exhaustive]
    pub enum Frame {
        old(bool),
        #[rasn(extension_addition)]
        new(Inner),
    }

    #[derive(AsnType, Decode, Encode, Debug, PartialEq, Clone)]
    #[rasn(automatic_tags)]
    pub struct Inner {
        #[rasn(value("0..=100"))]
        pub x: u8,
        pub items: Vec<Frame>,
    }

    /// A recursive type, to check hostile nesting fails instead of overflowing the stack.
    #[derive(AsnType, Decode, Encode, Debug, PartialEq, Clone)]
    #[rasn(choice, automatic_tags)]
    pub enum Tree {
        leaf(bool),
        node(Vec<Tree>),
    }
}

#[test]
fn extension_alternative_open_type() {
    use local::{Frame, Inner};
    let check = |bytes: &[u8]| check_as::<Frame>("Frame", bytes);
    let value = Frame::new(Inner {
        x: 50,
        items: vec![Frame::old(true)],
    });
    let clean = rasn::uper::encode(&value).unwrap_or_default();
    assert!(check(&clean).is_none());
    // Extension bit 1, normally small index 0 000000, open type length (8) → contents at
    // 16: x 0..=100 in 7 bits, then items.
    let mut bytes = clean.clone();
    put_bits(&mut bytes, 16, 7, 127);
    let failure = check(&bytes).unwrap_or_else(|| panic!("decoded"));
    assert_eq!((failure.path.as_str(), failure.bit_offset), ("new.x", 16));
    assert_eq!(failure.reason, "value 127 outside 0..=100");
    // Back to x = 50; items' length octet is at 23..31.
    put_bits(&mut bytes, 16, 7, 50);
    let mut nested = bytes.clone();
    // items[0] (Frame::old(true)) is extension bit 0 and the BOOLEAN: make it extension
    // bit 1 and a normally small index 0 111111 (63), within the 3-octet open type.
    put_bits(&mut nested, 31, 8, 0b1011_1111);
    let failure = check(&nested).unwrap_or_else(|| panic!("decoded"));
    assert_eq!(
        (failure.path.as_str(), failure.bit_offset),
        ("new.items[0]", 31)
    );
    assert_eq!(
        failure.reason,
        "unsupported CHOICE alternative (extension) 63"
    );
    // One more octet in the open type than its contents need.
    let mut longer = clean.clone();
    longer[1] += 1;
    longer.insert(2 + usize::from(clean[1]), 0);
    let failure = check(&longer).unwrap_or_else(|| panic!("decoded"));
    assert_eq!(failure.path, "new");
    assert_eq!(failure.reason, "trailing data: 1 octet after the value");
    assert_eq!(failure.bit_offset, 16 + 8 * usize::from(clean[1]));
    for len in 0..clean.len() {
        check(&clean[..len]);
    }
}

#[test]
fn hostile_nesting_fails_without_overflowing() {
    // Each level: CHOICE index 1 (node), then a length octet of 1.
    let mut bits = Bits::default();
    for _ in 0..2_000 {
        bits.push(1, 1).push(8, 1);
    }
    bits.push(2, 0b01);
    let failure =
        check_as::<local::Tree>("Tree", &bits.bytes()).unwrap_or_else(|| panic!("decoded"));
    assert_eq!(failure.reason, "Exceeded maximum parse depth");
}

// ---------------------------------------------------------------- systematic corruption

#[test]
fn truncation_at_every_length() {
    for (label, frame) in messages() {
        let bytes = encode(&frame);
        for len in 0..bytes.len() {
            let failure = failure_of(&bytes[..len]);
            // The prefix decodes like the whole message until the data runs out.
            assert!(
                failure.reason.starts_with("truncated"),
                "{label} at {len}: {failure}"
            );
            assert_eq!(failure.bit_offset, len * 8, "{label}: {failure}");
        }
    }
    // 63 octets end at bit 504, inside participants[2].heading (bits 499..514).
    let failure = failure_of(&encode(&rsm((0..3).map(participant_min).collect()))[..63]);
    assert_eq!(failure.path, "rsmFrame.participants[2].heading");
    assert_eq!(
        failure.reason,
        "truncated: needed 10 more bits (element starts at bit 499)"
    );
    assert_eq!(failure.bit_offset, 504);
}

#[test]
fn every_single_bit_flip() {
    let (mut flips, mut failures) = (0, 0);
    for (_, frame) in messages() {
        let bytes = encode(&frame);
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 0x80 >> (bit % 8);
            failures += usize::from(check(&flipped).is_some());
            flips += 1;
        }
    }
    println!("{flips} single-bit flips, {failures} rejected");
    assert!(failures > 0);
}

#[test]
fn random_mutations_of_valid_messages() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let corpus: Vec<Vec<u8>> = messages().iter().map(|(_, frame)| encode(frame)).collect();
    for _ in 0..20_000 {
        let mut bytes = corpus[rng.below(corpus.len())].clone();
        for _ in 0..=rng.below(4) {
            match rng.below(4) {
                0 => bytes.truncate(rng.below(bytes.len() + 1)),
                1 => bytes.push(rng.next() as u8),
                _ if !bytes.is_empty() => {
                    let at = rng.below(bytes.len());
                    bytes[at] ^= 1 << rng.below(8);
                }
                _ => {}
            }
        }
        check(&bytes);
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    for _ in 0..50_000 {
        let len = rng.below(160);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        check(&bytes);
        check_as::<local::Frame>("Frame", &bytes);
        check_as::<local::Tree>("Tree", &bytes);
        check_as::<Vec<bool>>("Items", &bytes);
    }
}

#[test]
fn fragmented_sequence_of() {
    // 16K components or more are sent in fragments, each with its own length (X.691 §11.9.3.8).
    let value: Vec<bool> = (0..40_000).map(|i| i % 3 == 0).collect();
    let bytes = rasn::uper::encode(&value).unwrap_or_default();
    assert!(check_as::<Vec<bool>>("Items", &bytes).is_none());
    let failure = check_as::<Vec<bool>>("Items", &bytes[..bytes.len() - 10]);
    assert!(failure.is_some_and(|failure| failure.reason.starts_with("truncated")));
}
