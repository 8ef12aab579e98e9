//! `roadsight decode`: UPER from hex, a binary file or a capture, printed as JSON with the
//! standard's field names and raw values (X.697 JER), optionally with the SI view beside it.

use crate::link::pcap;
use serde_json::{json, Value};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Where the bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// UPER as hex text (spaces, colons and a `0x` prefix allowed).
    Hex(String),
    /// A file: a pcap/pcapng capture (one message per UDP datagram), a hex text file, or
    /// the raw bytes of one message.
    File(PathBuf),
}

impl Input {
    /// A command-line argument: an existing file, else hex.
    pub fn from_arg(arg: &str) -> Self {
        if Path::new(arg).is_file() {
            Self::File(arg.into())
        } else {
            Self::Hex(arg.to_string())
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    /// The ASN.1 type of the bytes (`MessageFrame` unless told).
    pub type_name: String,
    /// Add the SI view beside the raw values.
    pub si: bool,
    /// One JSON object per line instead of pretty-printed JSON.
    pub compact: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub decoded: usize,
    pub failed: usize,
    /// Packets in a capture that were not UDP datagrams.
    pub skipped: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("{input}: not hex: {reason}")]
    Hex { input: String, reason: String },
    #[error("{path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path}: {source}")]
    Capture {
        path: PathBuf,
        source: pcap::PcapError,
    },
    #[error("unknown type {0:?}; known: {known}", known = super::TYPE_NAMES.join(", "))]
    UnknownType(String),
    #[error("writing output: {0}")]
    Output(#[from] io::Error),
}

/// Parses hex text; names the first offending character.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, InspectError> {
    let err = |reason: String| InspectError::Hex {
        input: if text.len() > 40 {
            format!(
                "{}…",
                &text[..text.char_indices().nth(40).map_or(text.len(), |(i, _)| i)]
            )
        } else {
            text.to_string()
        },
        reason,
    };
    let t = text.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    let mut digits = Vec::with_capacity(t.len());
    for (i, c) in t.char_indices() {
        match c {
            c if c.is_ascii_hexdigit() => digits.push(c as u8),
            ' ' | '\t' | '\n' | '\r' | ':' | '-' => {}
            other => return Err(err(format!("character {other:?} at position {i}"))),
        }
    }
    if digits.is_empty() {
        return Err(err("no hex digits".into()));
    }
    if digits.len() % 2 != 0 {
        return Err(err(format!("odd number of hex digits ({})", digits.len())));
    }
    let nibble = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
    Ok(digits
        .chunks(2)
        .map(|p| nibble(p[0]) << 4 | nibble(p[1]))
        .collect())
}

struct Printer<'a> {
    opts: &'a Options,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    summary: Summary,
}

impl Printer<'_> {
    /// Decodes one message; `meta` describes where it came from.
    fn message(
        &mut self,
        mut meta: serde_json::Map<String, Value>,
        label: &str,
        bytes: &[u8],
    ) -> io::Result<()> {
        let mut type_name = self.opts.type_name.as_str();
        let mut decoded = super::decode_named(type_name, bytes);
        // A capture of the pipeline's outputs holds MAPEMs beside the CN frames when the site
        // sends them: what is no MessageFrame but is a MAPEM by its ITS PDU header is one.
        if decoded.is_err() && type_name == "MessageFrame" {
            if let Ok(m) = super::etsi::decode_mapem(bytes) {
                if m.header.protocol_version == super::etsi::PROTOCOL_VERSION
                    && m.header.message_id == super::etsi::message_id::MAPEM
                {
                    type_name = "MAPEM";
                    decoded = super::decode_named(type_name, bytes);
                }
            }
        }
        match decoded {
            Ok((jer, si)) => {
                self.summary.decoded += 1;
                meta.insert("bytes".into(), json!(bytes.len()));
                meta.insert("type".into(), json!(type_name));
                if let (Some(kind), true) = (
                    jer.as_object().and_then(|o| o.keys().next()),
                    type_name == "MessageFrame",
                ) {
                    meta.insert("message".into(), json!(kind));
                }
                meta.insert("value".into(), jer);
                if self.opts.si {
                    let si = si.map_or(Value::Null, |m| {
                        serde_json::to_value(m).unwrap_or(Value::Null)
                    });
                    meta.insert("si".into(), tidy_floats(si));
                }
                let v = Value::Object(meta);
                if self.opts.compact {
                    writeln!(self.out, "{v}")
                } else {
                    let text = serde_json::to_string_pretty(&v).map_err(io::Error::other)?;
                    writeln!(self.out, "{text}")
                }
            }
            Err(e) => {
                self.summary.failed += 1;
                writeln!(self.err, "error: {label}: {e}")
            }
        }
    }
}

/// Decodes and prints one message as [`decode`] does, with `meta` (where it came from) in
/// front; a message that does not decode is reported on `err` under `label`. Whether it
/// decoded.
pub fn print_message(
    opts: &Options,
    meta: serde_json::Map<String, Value>,
    label: &str,
    bytes: &[u8],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<bool> {
    let mut p = Printer {
        opts,
        out,
        err,
        summary: Summary::default(),
    };
    p.message(meta, label, bytes)?;
    Ok(p.summary.decoded == 1)
}

/// Rounds floats to 10 decimals so that, say, 1e-7° steps print as `31.2304001` rather than
/// `31.230400099999998`; finer than any element's resolution.
fn tidy_floats(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            serde_json::Number::from_f64((x * 1e10).round() / 1e10)
                .map_or(Value::Null, Value::Number)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(tidy_floats).collect()),
        Value::Object(o) => {
            Value::Object(o.into_iter().map(|(k, v)| (k, tidy_floats(v))).collect())
        }
        other => other,
    }
}

/// Decodes every input, writing JSON to `out` and one line per failed message to `err`.
/// A failed message does not stop the others.
pub fn decode(
    inputs: &[Input],
    opts: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Summary, InspectError> {
    if !super::TYPE_NAMES.contains(&opts.type_name.as_str()) {
        return Err(InspectError::UnknownType(opts.type_name.clone()));
    }
    let mut p = Printer {
        opts,
        out,
        err,
        summary: Summary::default(),
    };
    for input in inputs {
        match input {
            Input::Hex(h) => {
                let bytes = parse_hex(h)?;
                p.message(serde_json::Map::new(), "hex input", &bytes)?;
            }
            Input::File(path) => {
                let data = std::fs::read(path).map_err(|source| InspectError::Read {
                    path: path.clone(),
                    source,
                })?;
                let name = path.display().to_string();
                if pcap::looks_like_capture(&data) {
                    let cap = pcap::read(&data).map_err(|source| InspectError::Capture {
                        path: path.clone(),
                        source,
                    })?;
                    p.summary.skipped += cap.skipped;
                    for d in &cap.datagrams {
                        let mut meta = serde_json::Map::new();
                        meta.insert("file".into(), json!(name));
                        meta.insert("packet".into(), json!(d.packet));
                        meta.insert("time".into(), json!(d.time.to_string()));
                        meta.insert("src".into(), json!(d.src.to_string()));
                        meta.insert("dst".into(), json!(d.dst.to_string()));
                        let label = format!("{name} packet {} ({} → {})", d.packet, d.src, d.dst);
                        p.message(meta, &label, &d.payload)?;
                    }
                    if let Some(e) = cap.error {
                        p.summary.failed += 1;
                        writeln!(
                            p.err,
                            "error: {name}: {e} (the {} datagrams before it were read)",
                            cap.datagrams.len()
                        )?;
                    }
                } else if let Some(bytes) = std::str::from_utf8(&data)
                    .ok()
                    .and_then(|t| parse_hex(t).ok())
                {
                    let mut meta = serde_json::Map::new();
                    meta.insert("file".into(), json!(name));
                    p.message(meta, &name, &bytes)?;
                } else {
                    let mut meta = serde_json::Map::new();
                    meta.insert("file".into(), json!(name));
                    p.message(meta, &name, &data)?;
                }
            }
        }
    }
    Ok(p.summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_forms() {
        assert_eq!(parse_hex("0x0A:bc 12").ok(), Some(vec![0x0a, 0xbc, 0x12]));
        assert!(matches!(parse_hex("abc"), Err(InspectError::Hex { .. })));
        let e = parse_hex("12zz")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("'z' at position 2"), "{e}");
        assert!(parse_hex("  ").is_err());
    }
}
