//! The USDOT RSU Specification 4.1 "Immediate Forward" message (IFM): the text envelope
//! RSUs take on their immediate-forward UDP port, one `Key=Value` line each, the UPER
//! payload as hex on the last line. Also read on the receive path: RSUs and bridges forward
//! what they hear in the same envelope. Layout and field meanings: `docs/links.md`.
//!
//! Sans-IO and allocation-light: [`encode`] writes one datagram, [`decode`] finds the fields
//! and the payload, refusing (with a reason) anything that is not such a message.

use std::fmt::Write as _;

/// The envelope version every known RSU (and the specification) uses.
pub const VERSION: &str = "0.7";

/// Datagrams larger than this are refused before parsing (a UPER frame is at most a few KiB;
/// its hex twice that).
pub const MAX_DATAGRAM: usize = 16 * 1024;

/// What an RSU needs to know to broadcast one payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The message name (`RSM`, `SPAT`, `MAP`, `RSI`, `BSM`, ...).
    pub msg_type: &'a str,
    /// PSID (the AID of the CN set), written in hex as `0x8002`.
    pub psid: u32,
    /// 0..=7, 7 the most urgent.
    pub priority: u8,
    /// `true`: `TxMode=CONT` (continuous); `false`: `TxMode=ALT` (alternating).
    pub continuous: bool,
    pub channel: u8,
    pub sign: bool,
}

/// Appends one IFM datagram carrying `payload` to `out`.
pub fn encode(env: &Envelope<'_>, payload: &[u8], out: &mut Vec<u8>) {
    let mut s = String::with_capacity(200 + 2 * payload.len());
    // Writing into a String cannot fail.
    let _ = write!(
        s,
        "Version={VERSION}\nType={}\nPSID=0x{:X}\nPriority={}\nTxMode={}\nTxChannel={}\nTxInterval=0\nDeliveryStart=\nDeliveryStop=\nSignature={}\nEncryption=False\nPayload=",
        env.msg_type,
        env.psid,
        env.priority,
        if env.continuous { "CONT" } else { "ALT" },
        env.channel,
        if env.sign { "True" } else { "False" },
    );
    for b in payload {
        let _ = write!(s, "{b:02X}");
    }
    s.push('\n');
    out.extend_from_slice(s.as_bytes());
}

/// A received IFM: its fields as text and the payload bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub version: String,
    pub msg_type: Option<String>,
    pub psid: Option<String>,
    pub payload: Vec<u8>,
}

/// Why a datagram is not an IFM.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IfmError {
    #[error("{0} bytes: more than an IFM can be ({MAX_DATAGRAM})")]
    TooLarge(usize),
    #[error("not text (UTF-8) at byte {0}")]
    NotText(usize),
    #[error("line {line}: {text:?} is not Key=Value")]
    Line { line: usize, text: String },
    #[error("no Version line first")]
    NoVersion,
    #[error("no Payload line")]
    NoPayload,
    #[error("Payload: {0}")]
    Hex(String),
}

/// Whether a datagram looks like an IFM (rather than raw UPER): it starts with `Version=`
/// after any blank space (senders that build it from an indented template leave some).
pub fn looks_like(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().starts_with(b"Version=")
}

/// Reads an IFM. Lines end in `\n` or `\r\n`; blank lines and the blank space around keys
/// and values are ignored; the first other line must be `Version`; keys are matched
/// exactly; unknown keys are skipped (vendors add their own); hex in either case.
pub fn decode(bytes: &[u8]) -> Result<Received, IfmError> {
    if bytes.len() > MAX_DATAGRAM {
        return Err(IfmError::TooLarge(bytes.len()));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| IfmError::NotText(e.valid_up_to()))?;
    let mut version = None;
    let (mut msg_type, mut psid, mut payload) = (None, None, None);
    let mut first = true;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(IfmError::Line {
                line: i + 1,
                text: line.chars().take(40).collect(),
            });
        };
        let value = value.trim();
        match key.trim() {
            "Version" if first => version = Some(value.to_string()),
            "Type" => msg_type = Some(value.to_string()),
            "PSID" => psid = Some(value.to_string()),
            "Payload" => payload = Some(unhex(value)?),
            _ => {}
        }
        first = false;
    }
    Ok(Received {
        version: version.ok_or(IfmError::NoVersion)?,
        msg_type,
        psid,
        payload: payload.ok_or(IfmError::NoPayload)?,
    })
}

fn unhex(s: &str) -> Result<Vec<u8>, IfmError> {
    if s.len() % 2 != 0 {
        return Err(IfmError::Hex(format!("odd length {}", s.len())));
    }
    let digit = |c: u8, at: usize| {
        (c as char)
            .to_digit(16)
            .map(|d| d as u8)
            .ok_or_else(|| IfmError::Hex(format!("{:?} at {at} is not a hex digit", c as char)))
    };
    let b = s.as_bytes();
    (0..b.len() / 2)
        .map(|i| Ok(digit(b[2 * i], 2 * i)? << 4 | digit(b[2 * i + 1], 2 * i + 1)?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Envelope<'static> {
        Envelope {
            msg_type: "SPAT",
            psid: 0x8002,
            priority: 7,
            continuous: true,
            channel: 183,
            sign: false,
        }
    }

    #[test]
    fn writes_the_rsu_4_1_layout() {
        let mut out = Vec::new();
        encode(&env(), &[0x00, 0xAB, 0x3c], &mut out);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "Version=0.7\nType=SPAT\nPSID=0x8002\nPriority=7\nTxMode=CONT\nTxChannel=183\n\
             TxInterval=0\nDeliveryStart=\nDeliveryStop=\nSignature=False\nEncryption=False\n\
             Payload=00AB3C\n"
        );
    }

    #[test]
    fn reads_back_what_it_writes_and_crlf_variants() {
        let mut out = Vec::new();
        encode(&env(), &[1, 2, 250], &mut out);
        let r = decode(&out).unwrap();
        assert_eq!(r.payload, vec![1, 2, 250]);
        assert_eq!(r.psid.as_deref(), Some("0x8002"));
        let crlf = String::from_utf8(out).unwrap().replace('\n', "\r\n");
        assert_eq!(decode(crlf.as_bytes()).unwrap().payload, vec![1, 2, 250]);
    }

    /// As V2X Hub's SpatPlugin test feeds it: a leading blank line, indented lines, the
    /// payload in lower case.
    #[test]
    fn reads_an_indented_envelope_with_lower_case_hex() {
        let text = "\n            Version=0.7\n            Type=SPAT\n            PSID=0x8002\n            \
                    Priority=7\n            TxMode=CONT\n            TxChannel=172\n            \
                    TxInterval=0\n            DeliveryStart=\n            DeliveryStop=\n            \
                    Signature=False\n            Encryption=False\n            Payload=00ab3c\n";
        assert!(looks_like(text.as_bytes()));
        let r = decode(text.as_bytes()).unwrap();
        assert_eq!(r.version, "0.7");
        assert_eq!(r.msg_type.as_deref(), Some("SPAT"));
        assert_eq!(r.payload, vec![0x00, 0xAB, 0x3C]);
    }

    #[test]
    fn refuses_what_is_not_an_ifm() {
        assert_eq!(decode(b"Type=BSM\nPayload=00\n"), Err(IfmError::NoVersion));
        assert_eq!(
            decode(b"Type=BSM\nVersion=0.7\nPayload=00\n"),
            Err(IfmError::NoVersion),
            "Version must come first"
        );
        assert_eq!(decode(b"Version=0.7\nType=BSM\n"), Err(IfmError::NoPayload));
        assert!(matches!(
            decode(b"Version=0.7\nPayload=0G\n"),
            Err(IfmError::Hex(_))
        ));
        assert!(matches!(
            decode(b"Version=0.7\ngarbage\n"),
            Err(IfmError::Line { line: 2, .. })
        ));
        assert!(matches!(decode(&[0xff, 0xfe]), Err(IfmError::NotText(0))));
    }
}
