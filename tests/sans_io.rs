//! The core is sans-IO (as quinn-proto promises): fusion, world, map, signal, sensor
//! simulation, pipeline and message code never read a clock, never touch tokio, sockets or
//! files. Time comes in as an argument; outputs go out as values.

use std::path::Path;

const CORE: [&str; 9] = [
    "fusion",
    "world",
    "map",
    "signal",
    "sensor",
    "pipeline",
    "v2x/cn",
    "scenario/truth.rs",
    "geo.rs",
];
const FORBIDDEN: [&str; 8] = [
    "SystemTime",
    "Instant::now",
    "tokio",
    "std::net",
    "UdpSocket",
    "std::fs",
    "File::",
    "thread::sleep",
];

fn rust_files(p: &Path, out: &mut Vec<std::path::PathBuf>) {
    if p.is_file() {
        out.push(p.to_path_buf());
    } else if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            rust_files(&e.path(), out);
        }
    }
}

#[test]
fn the_core_reads_no_clock_and_does_no_io() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for c in CORE {
        rust_files(&src.join(c), &mut files);
    }
    assert!(files.len() > 15, "found only {} core files", files.len());
    let mut bad = Vec::new();
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "rs"))
    {
        let text = std::fs::read_to_string(f).expect("read");
        // Tests may do what they like.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for word in FORBIDDEN {
            if code.contains(word) {
                bad.push(format!("{}: {word}", f.display()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "I/O or clocks in the core:\n{}",
        bad.join("\n")
    );
}
