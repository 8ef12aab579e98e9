//! No input makes a decoder panic: random bytes, and valid messages truncated or with bits
//! flipped, through every message type `roadsight decode` accepts.

mod common;

use proptest::prelude::*;
use roadsight::v2x::{decode_named, TYPE_NAMES};

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), which in 0..TYPE_NAMES.len()) {
        let name = TYPE_NAMES[which];
        if let Err(e) = decode_named(name, &bytes) {
            let text = e.to_string();
            prop_assert!(text.starts_with(name), "{text}");
            prop_assert_eq!(e.message_bits, bytes.len() * 8);
            prop_assert!(e.bit_offset <= bytes.len() * 8, "{}", text);
        }
    }
}

#[test]
fn damaged_valid_messages_never_panic() {
    let (code, out, err) = common::run_tool(
        "asn1_interop.py",
        &[
            "gen",
            "--type",
            "MessageFrame",
            "--count",
            "150",
            "--seed",
            "21",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let mut failures = 0;
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    for line in out.lines() {
        let rec: serde_json::Value = serde_json::from_str(line).expect("json");
        let bytes = common::unhex(rec["uper"].as_str().expect("uper"));
        assert!(decode_named("MessageFrame", &bytes).is_ok());
        for cut in 0..bytes.len() {
            if decode_named("MessageFrame", &bytes[..cut]).is_err() {
                failures += 1;
            }
        }
        for _ in 0..50 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let mut b = bytes.clone();
            let bit = (rng as usize) % (b.len() * 8);
            b[bit / 8] ^= 0x80 >> (bit % 8);
            let _ = decode_named("MessageFrame", &b);
        }
    }
    // Nearly every truncation must be noticed (a few can still parse when the cut only
    // removes padding).
    assert!(failures > 1000, "only {failures} truncations were reported");
}
