//! Our captures as Wireshark reads them: tshark (Debian's package, installed by `.ci/run`)
//! parses every packet as IPv4/UDP with valid checksums and the payload we wrote.

use roadsight::link::pcap::PcapWriter;
use roadsight::time::Timestamp;
use std::process::Command;

#[test]
fn tshark_reads_our_pcap() {
    let path = std::env::temp_dir().join(format!("roadsight-tshark-{}.pcap", std::process::id()));
    let mut w = PcapWriter::new(std::fs::File::create(&path).expect("create")).expect("header");
    let t0 = Timestamp::from_micros(1_763_870_000_000_000);
    for i in 0..10u8 {
        let payload: Vec<u8> = (0..(i as usize * 37 + 1))
            .map(|k| (k as u8).wrapping_mul(i))
            .collect();
        let src = format!("10.0.0.{}:4000{i}", i + 1).parse().expect("src");
        w.write(
            t0.add_secs(f64::from(i) * 0.1),
            src,
            "192.168.1.20:30299".parse().expect("dst"),
            &payload,
        )
        .expect("write");
    }
    w.flush().expect("flush");
    drop(w);
    let out = Command::new("tshark")
        .args([
            "-r",
            path.to_str().expect("path"),
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
        ])
        .args([
            "-T",
            "fields",
            "-E",
            "separator=,",
            "-e",
            "frame.time_epoch",
            "-e",
            "ip.src",
            "-e",
            "udp.srcport",
        ])
        .args([
            "-e",
            "udp.dstport",
            "-e",
            "udp.length",
            "-e",
            "ip.checksum.status",
            "-e",
            "udp.checksum.status",
        ])
        .output()
        .expect("tshark must be installed (Debian package tshark; .ci/run installs it)");
    std::fs::remove_file(&path).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 10);
    for (i, r) in rows.iter().enumerate() {
        let t: f64 = r[0].parse().expect("time");
        assert!(
            (t - (1_763_870_000.0 + i as f64 * 0.1)).abs() < 1e-5,
            "time {t}"
        );
        assert_eq!(r[1], format!("10.0.0.{}", i + 1));
        assert_eq!(r[2], format!("4000{i}"));
        assert_eq!(r[3], "30299");
        assert_eq!(r[4], (8 + i * 37 + 1).to_string());
        // Wireshark's checksum status: 0 bad, 1 good, 2 unverified.
        assert_eq!((r[5], r[6]), ("1", "1"), "checksums of packet {}", i + 1);
    }
}
