//! Helpers shared by the integration tests: running the project's Python tools.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python interpreter that has the pinned packages of `tools/requirements.txt`.
pub fn python() -> String {
    std::env::var("ROADSIGHT_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Runs `tools/<script> args…` with `input` on stdin; returns (exit code, stdout, stderr).
/// Panics (failing the test) if Python cannot be started: CI installs it, so a missing
/// interpreter is a broken set-up, not a reason to skip.
pub fn run_tool(script: &str, args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(python())
        .arg(repo().join("tools").join(script))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {} for tools/{script}: {e}", python()));
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("python output");
    writer
        .join()
        .expect("writer thread")
        .expect("write to python");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Has asn1tools check MAPEMs `(id, message)` field for field against our JER, re-encode the
/// same bytes, and read them itself; returns its reading (`asn1tools_jer`) of each, in order.
pub fn mapems_through_asn1tools(
    cases: &[(String, roadsight_asn1::etsi::MAPEM)],
) -> Vec<serde_json::Value> {
    let input: String = cases
        .iter()
        .map(|(id, m)| {
            let bytes = roadsight::v2x::etsi::encode_mapem(m).expect("UPER");
            let jer: serde_json::Value =
                serde_json::from_str(&roadsight_asn1::rasn::jer::encode(m).expect("JER"))
                    .expect("JSON");
            serde_json::json!({"id": id, "type": "MAPEM", "uper": hex(&bytes), "jer": jer})
                .to_string()
                + "\n"
        })
        .collect();
    let args = [
        "--asn",
        "etsi",
        "check",
        "--require-bytes-equal",
        "--jer-out",
    ];
    let (code, out, err) = run_tool("asn1_interop.py", &args, &input);
    assert_eq!(code, 0, "asn1tools MAPEM check failed: {out}\n{err}");
    let results: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("result line"))
        .collect();
    assert_eq!(results.len(), cases.len());
    results
        .into_iter()
        .zip(cases)
        .map(|(mut r, (id, _))| {
            assert_eq!(r["id"], *id);
            assert_eq!(r["ok"], true, "{id}: {r}");
            r["asn1tools_jer"].take()
        })
        .collect()
}
