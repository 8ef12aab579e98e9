//! `roadsight decode` as a site engineer runs it: on a capture, on hex, on bad input.

mod common;

use roadsight::link::pcap::PcapWriter;
use roadsight::time::Timestamp;
use serde_json::Value;
use std::process::Command;

fn roadsight(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_roadsight"))
        .args(args)
        .output()
        .expect("run roadsight");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Messages encoded by asn1tools, so the capture holds another encoder's bytes.
fn foreign_messages(n: usize) -> Vec<(Vec<u8>, Value)> {
    let (code, out, err) = common::run_tool(
        "asn1_interop.py",
        &["gen", "--count", &n.to_string(), "--seed", "5"],
        "",
    );
    assert_eq!(code, 0, "{err}");
    out.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("json");
            (
                common::unhex(v["uper"].as_str().expect("uper")),
                v["jer"].clone(),
            )
        })
        .collect()
}

/// The printed JER is the value asn1tools decodes from the same bytes. (Not compared as
/// JSON text: for an extensible-size BIT STRING X.697 allows both the plain hex and the
/// `{value, length}` form, and the two codecs pick differently.)
fn assert_same_as_asn1tools(cases: &[(&[u8], &Value)]) {
    let lines: Vec<String> = cases
        .iter()
        .enumerate()
        .map(|(i, (bytes, jer))| {
            serde_json::json!({"id": i, "uper": common::hex(bytes), "jer": jer}).to_string()
        })
        .collect();
    let (code, out, err) = common::run_tool("asn1_interop.py", &["check"], &lines.join("\n"));
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(out.lines().count(), cases.len());
}

#[test]
fn capture_with_a_corrupt_datagram() {
    let msgs = foreign_messages(20);
    let dir = std::env::temp_dir().join(format!("roadsight-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("site.pcap");
    let mut w = PcapWriter::new(std::fs::File::create(&path).expect("create")).expect("header");
    let t0 = Timestamp::from_micros(1_763_870_000_000_000);
    let (src, dst) = (
        "10.1.1.1:40000".parse().expect("src"),
        "10.1.1.2:30299".parse().expect("dst"),
    );
    for (i, (bytes, _)) in msgs.iter().enumerate() {
        w.write(t0.add_secs(i as f64 * 0.1), src, dst, bytes)
            .expect("write");
        if i == 9 {
            // Packet 11: a datagram cut short.
            w.write(t0.add_secs(0.95), src, dst, &bytes[..bytes.len() / 3])
                .expect("write");
        }
    }
    w.flush().expect("flush");
    drop(w);

    let (code, out, err) =
        roadsight(&["decode", "--compact", "--si", path.to_str().expect("path")]);
    assert_eq!(code, 1, "a failed message makes the exit status 1\n{err}");
    let records: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(records.len(), 20, "every good datagram is decoded");
    let cases: Vec<(&[u8], &Value)> = records
        .iter()
        .zip(&msgs)
        .map(|(r, (b, _))| (b.as_slice(), &r["value"]))
        .collect();
    assert_same_as_asn1tools(&cases);
    for (r, (bytes, _)) in records.iter().zip(&msgs) {
        assert_eq!(r["bytes"].as_u64(), Some(bytes.len() as u64));
        assert_eq!(r["dst"], "10.1.1.2:30299");
        assert!(r["si"].is_object());
    }
    assert_eq!(
        records[10]["packet"], 12,
        "packet numbers as Wireshark counts them"
    );
    assert!(
        err.contains("packet 11") && err.contains("MessageFrame"),
        "{err}"
    );
    assert!(err.contains("20 decoded, 1 failed"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn hex_and_bad_arguments() {
    let msgs = foreign_messages(3);
    let hex = common::hex(&msgs[0].0);
    let (code, out, _) = roadsight(&["decode", &hex]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).expect("pretty JSON");
    assert_same_as_asn1tools(&[(&msgs[0].0, &v["value"])]);

    let (code, _, err) = roadsight(&["decode", "12 zz"]);
    assert_eq!(code, 2);
    assert!(err.contains("not hex") && err.contains("'z'"), "{err}");

    let (code, _, err) = roadsight(&["decode", "--type", "Nope", "00"]);
    assert_eq!(code, 2, "{err}");

    // A bare RSM (no MessageFrame around it) with --type.
    let frame = roadsight::v2x::cn::decode_frame(&msgs[0].0).expect("frame");
    if let roadsight::v2x::cn::MessageFrame::rsmFrame(rsm) = frame {
        let bare = roadsight_asn1::rasn::uper::encode(&rsm).expect("encode");
        let (code, out, err) = roadsight(&[
            "decode",
            "--type",
            "RoadsideSafetyMessage",
            "--compact",
            &common::hex(&bare),
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("\"participants\""));
    }
}
