//! Packet captures of UDP datagrams: a writer of classic pcap files (link type IPv4, so
//! Wireshark shows the UDP ports and `roadsight decode` reads them back) and a reader of
//! pcap and pcapng files as tcpdump and Wireshark write them.
//!
//! The reader returns the UDP payloads with their addresses and capture times; packets that
//! are not UDP (or are IP fragments) are counted, not returned. A malformed file gives an
//! error naming the byte offset, and the datagrams read before it are kept.

use crate::time::Timestamp;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// `LINKTYPE_IPV4`: each packet is a raw IPv4 datagram.
pub const LINKTYPE_IPV4: u32 = 228;
const SNAPLEN: u32 = 65_535;
/// The largest capture we accept as one packet, against corrupt length fields.
const MAX_PACKET: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    #[error("not a pcap or pcapng file (magic {0:02x?})")]
    NotPcap([u8; 4]),
    #[error("truncated at byte {offset}: {what}")]
    Truncated { offset: usize, what: &'static str },
    #[error("corrupt at byte {offset}: {what}")]
    Corrupt { offset: usize, what: String },
    #[error("link type {0} is not supported (Ethernet, raw IP, Linux cooked and loopback are)")]
    LinkType(u32),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// One UDP datagram from a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// 1-based packet number in the file, as Wireshark numbers them.
    pub packet: usize,
    pub time: Timestamp,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub payload: Vec<u8>,
}

/// What a capture held.
#[derive(Debug, Default)]
pub struct Capture {
    pub datagrams: Vec<Datagram>,
    /// Packets that were not UDP, or were IP fragments.
    pub skipped: usize,
    /// The error that ended reading early, if any; `datagrams` holds what came before it.
    pub error: Option<PcapError>,
}

/// Reads every UDP datagram of a pcap or pcapng file image.
pub fn read(data: &[u8]) -> Result<Capture, PcapError> {
    let magic: [u8; 4] =
        data.get(..4)
            .and_then(|m| m.try_into().ok())
            .ok_or(PcapError::Truncated {
                offset: 0,
                what: "file header",
            })?;
    match magic {
        [0x0a, 0x0d, 0x0d, 0x0a] => read_pcapng(data),
        [0xd4, 0xc3, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0xc3, 0xd4]
        | [0x4d, 0x3c, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0x3c, 0x4d] => read_pcap(data),
        other => Err(PcapError::NotPcap(other)),
    }
}

/// Whether a file image starts like a capture.
pub fn looks_like_capture(data: &[u8]) -> bool {
    matches!(
        data.get(..4),
        Some(
            [0x0a, 0x0d, 0x0d, 0x0a]
                | [0xd4, 0xc3, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0xc3, 0xd4]
                | [0x4d, 0x3c, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0x3c, 0x4d]
        )
    )
}

#[derive(Clone, Copy)]
struct Endian(bool);

impl Endian {
    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if self.0 {
            u16::from_le_bytes(s)
        } else {
            u16::from_be_bytes(s)
        })
    }
    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if self.0 {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }
}

fn read_pcap(data: &[u8]) -> Result<Capture, PcapError> {
    let le = matches!(
        data[..4],
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1]
    );
    let nanos = matches!(
        data[..4],
        [0x4d, 0x3c, 0xb2, 0xa1] | [0xa1, 0xb2, 0x3c, 0x4d]
    );
    let e = Endian(le);
    let link = e.u32(data, 20).ok_or(PcapError::Truncated {
        offset: 0,
        what: "file header",
    })? & 0x0fff_ffff;
    check_link(link)?;
    let mut cap = Capture::default();
    let mut at = 24;
    let mut packet = 0;
    while at < data.len() {
        packet += 1;
        let (Some(sec), Some(frac), Some(incl)) =
            (e.u32(data, at), e.u32(data, at + 4), e.u32(data, at + 8))
        else {
            cap.error = Some(PcapError::Truncated {
                offset: at,
                what: "packet header",
            });
            break;
        };
        let incl = incl as usize;
        if incl > MAX_PACKET {
            cap.error = Some(PcapError::Corrupt {
                offset: at + 8,
                what: format!("packet {packet} claims {incl} bytes"),
            });
            break;
        }
        let Some(bytes) = data.get(at + 16..at + 16 + incl) else {
            cap.error = Some(PcapError::Truncated {
                offset: at,
                what: "packet data",
            });
            break;
        };
        let us = i64::from(sec) * 1_000_000
            + if nanos {
                i64::from(frac) / 1000
            } else {
                i64::from(frac)
            };
        push_packet(&mut cap, link, packet, Timestamp::from_micros(us), bytes);
        at += 16 + incl;
    }
    Ok(cap)
}

fn read_pcapng(data: &[u8]) -> Result<Capture, PcapError> {
    let mut cap = Capture::default();
    let mut e = Endian(true);
    // Per interface: link type and timestamp units per second.
    let mut interfaces: Vec<(u32, u64)> = Vec::new();
    let mut at = 0;
    let mut packet = 0;
    while at + 12 <= data.len() {
        let Some(kind) = e.u32(data, at) else { break };
        if kind == 0x0a0d_0d0a {
            // Section header: its byte-order magic sets the endianness of the section.
            e = match data.get(at + 8..at + 12) {
                Some([0x4d, 0x3c, 0x2b, 0x1a]) => Endian(true),
                Some([0x1a, 0x2b, 0x3c, 0x4d]) => Endian(false),
                _ => {
                    return Err(PcapError::Corrupt {
                        offset: at + 8,
                        what: "section byte-order magic".into(),
                    })
                }
            };
            interfaces.clear();
        }
        let Some(len) = e.u32(data, at + 4).map(|l| l as usize) else {
            break;
        };
        if len < 12 || len % 4 != 0 || len > MAX_PACKET + 64 {
            cap.error = Some(PcapError::Corrupt {
                offset: at + 4,
                what: format!("block length {len}"),
            });
            break;
        }
        let Some(block) = data.get(at..at + len) else {
            cap.error = Some(PcapError::Truncated {
                offset: at,
                what: "block",
            });
            break;
        };
        match kind {
            // Interface description: link type, then options (if_tsresol).
            1 => {
                let link = u32::from(e.u16(block, 8).unwrap_or(0));
                let mut per_sec = 1_000_000u64;
                let mut o = 16;
                while o + 4 <= len - 4 {
                    let (code, olen) = (
                        e.u16(block, o).unwrap_or(0),
                        usize::from(e.u16(block, o + 2).unwrap_or(0)),
                    );
                    if code == 0 {
                        break;
                    }
                    if code == 9 && olen >= 1 {
                        let r = block[o + 4];
                        per_sec = if r & 0x80 == 0 {
                            10u64.saturating_pow(u32::from(r))
                        } else {
                            1u64 << (r & 0x7f).min(63)
                        };
                    }
                    o += 4 + olen.div_ceil(4) * 4;
                }
                interfaces.push((link, per_sec.max(1)));
            }
            // Enhanced packet.
            6 => {
                packet += 1;
                let iface = e.u32(block, 8).unwrap_or(u32::MAX) as usize;
                let Some(&(link, per_sec)) = interfaces.get(iface) else {
                    cap.error = Some(PcapError::Corrupt {
                        offset: at + 8,
                        what: format!(
                            "packet {packet} names interface {iface}, which is not described"
                        ),
                    });
                    break;
                };
                let ts = (u64::from(e.u32(block, 12).unwrap_or(0)) << 32)
                    | u64::from(e.u32(block, 16).unwrap_or(0));
                let incl = e.u32(block, 20).unwrap_or(0) as usize;
                let Some(bytes) = block.get(28..28 + incl) else {
                    cap.error = Some(PcapError::Truncated {
                        offset: at + 28,
                        what: "packet data",
                    });
                    break;
                };
                if check_link(link).is_ok() {
                    let us = (u128::from(ts) * 1_000_000 / u128::from(per_sec)) as i64;
                    push_packet(&mut cap, link, packet, Timestamp::from_micros(us), bytes);
                } else {
                    cap.skipped += 1;
                }
            }
            // Simple packet: on interface 0, no timestamp.
            3 => {
                packet += 1;
                let incl = (e.u32(block, 8).unwrap_or(0) as usize).min(len.saturating_sub(16));
                match (interfaces.first(), block.get(12..12 + incl)) {
                    (Some(&(link, _)), Some(bytes)) if check_link(link).is_ok() => {
                        push_packet(&mut cap, link, packet, Timestamp::default(), bytes)
                    }
                    _ => cap.skipped += 1,
                }
            }
            _ => {}
        }
        at += len;
    }
    if cap.error.is_none() && at < data.len() {
        cap.error = Some(PcapError::Truncated {
            offset: at,
            what: "block header",
        });
    }
    Ok(cap)
}

fn check_link(link: u32) -> Result<(), PcapError> {
    match link {
        0 | 1 | 12 | 14 | 101 | 108 | 113 | 228 | 229 | 276 => Ok(()),
        other => Err(PcapError::LinkType(other)),
    }
}

fn push_packet(cap: &mut Capture, link: u32, packet: usize, time: Timestamp, frame: &[u8]) {
    match udp_of_frame(link, frame) {
        Some((src, dst, payload)) => cap.datagrams.push(Datagram {
            packet,
            time,
            src,
            dst,
            payload: payload.to_vec(),
        }),
        None => cap.skipped += 1,
    }
}

/// The IP packet inside a link-layer frame.
fn ip_of_frame(link: u32, f: &[u8]) -> Option<&[u8]> {
    match link {
        12 | 14 | 101 | 228 | 229 => Some(f),
        // BSD loopback: a 4-byte address family in host order.
        0 | 108 => f.get(4..),
        1 => {
            let mut at = 12;
            let mut ethertype = u16::from_be_bytes([*f.get(at)?, *f.get(at + 1)?]);
            // 802.1Q / 802.1ad VLAN tags.
            while ethertype == 0x8100 || ethertype == 0x88a8 {
                at += 4;
                ethertype = u16::from_be_bytes([*f.get(at)?, *f.get(at + 1)?]);
            }
            matches!(ethertype, 0x0800 | 0x86dd)
                .then(|| f.get(at + 2..))
                .flatten()
        }
        113 => f.get(16..),
        276 => f.get(20..),
        _ => None,
    }
}

fn udp_of_frame(link: u32, frame: &[u8]) -> Option<(SocketAddr, SocketAddr, &[u8])> {
    let ip = ip_of_frame(link, frame)?;
    let (src, dst, udp) = match ip.first()? >> 4 {
        4 => {
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
            let frag = u16::from_be_bytes([*ip.get(6)?, *ip.get(7)?]);
            // More fragments, or a non-zero offset: not a whole datagram.
            if *ip.get(9)? != 17 || frag & 0x3fff != 0 || ihl < 20 {
                return None;
            }
            let src = Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]);
            let dst = Ipv4Addr::new(*ip.get(16)?, ip[17], ip[18], ip[19]);
            (
                IpAddr::V4(src),
                IpAddr::V4(dst),
                ip.get(ihl..total.min(ip.len()))?,
            )
        }
        6 => {
            if *ip.get(6)? != 17 {
                return None;
            }
            let a: [u8; 16] = ip.get(8..24)?.try_into().ok()?;
            let b: [u8; 16] = ip.get(24..40)?.try_into().ok()?;
            (
                IpAddr::V6(Ipv6Addr::from(a)),
                IpAddr::V6(Ipv6Addr::from(b)),
                ip.get(40..)?,
            )
        }
        _ => return None,
    };
    let sport = u16::from_be_bytes([*udp.first()?, *udp.get(1)?]);
    let dport = u16::from_be_bytes([*udp.get(2)?, *udp.get(3)?]);
    let len = usize::from(u16::from_be_bytes([*udp.get(4)?, *udp.get(5)?]));
    let payload = udp.get(8..len.max(8).min(udp.len()))?;
    Some((
        SocketAddr::new(src, sport),
        SocketAddr::new(dst, dport),
        payload,
    ))
}

/// Writes UDP datagrams as a classic pcap file (microsecond timestamps, link type IPv4).
pub struct PcapWriter<W: Write> {
    out: W,
    ip_id: u16,
}

impl<W: Write> PcapWriter<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&SNAPLEN.to_le_bytes());
        h.extend_from_slice(&LINKTYPE_IPV4.to_le_bytes());
        out.write_all(&h)?;
        Ok(Self { out, ip_id: 0 })
    }

    /// Appends one IPv4/UDP datagram. IPv6 addresses are refused: the file's link type is IPv4.
    pub fn write(
        &mut self,
        time: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
    ) -> io::Result<()> {
        let (IpAddr::V4(s), IpAddr::V4(d)) = (src.ip(), dst.ip()) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "pcap link type is IPv4",
            ));
        };
        let udp_len = 8 + payload.len();
        let total = 20 + udp_len;
        if total > usize::from(u16::MAX) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "datagram larger than 65535 bytes",
            ));
        }
        let mut p = Vec::with_capacity(16 + total);
        let us = time.micros();
        p.extend_from_slice(&(us.div_euclid(1_000_000) as u32).to_le_bytes());
        p.extend_from_slice(&(us.rem_euclid(1_000_000) as u32).to_le_bytes());
        p.extend_from_slice(&(total as u32).to_le_bytes());
        p.extend_from_slice(&(total as u32).to_le_bytes());
        let mut ip = [0u8; 20];
        ip[0] = 0x45;
        ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        ip[4..6].copy_from_slice(&self.ip_id.to_be_bytes());
        ip[6] = 0x40; // don't fragment
        ip[8] = 64;
        ip[9] = 17;
        ip[12..16].copy_from_slice(&s.octets());
        ip[16..20].copy_from_slice(&d.octets());
        let sum = !fold(ones_sum(&ip, 0));
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        self.ip_id = self.ip_id.wrapping_add(1);
        let mut udp = Vec::with_capacity(udp_len);
        udp.extend_from_slice(&src.port().to_be_bytes());
        udp.extend_from_slice(&dst.port().to_be_bytes());
        udp.extend_from_slice(&(udp_len as u16).to_be_bytes());
        udp.extend_from_slice(&[0, 0]);
        udp.extend_from_slice(payload);
        // UDP checksum over the IPv4 pseudo-header.
        let mut pseudo = Vec::with_capacity(12);
        pseudo.extend_from_slice(&s.octets());
        pseudo.extend_from_slice(&d.octets());
        pseudo.extend_from_slice(&[0, 17]);
        pseudo.extend_from_slice(&(udp_len as u16).to_be_bytes());
        let c = !fold(ones_sum(&udp, ones_sum(&pseudo, 0)));
        udp[6..8].copy_from_slice(&(if c == 0 { 0xffff } else { c }).to_be_bytes());
        p.extend_from_slice(&ip);
        p.extend_from_slice(&udp);
        self.out.write_all(&p)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

fn ones_sum(b: &[u8], mut acc: u32) -> u32 {
    for c in b.chunks(2) {
        acc += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    acc
}

fn fold(mut s: u32) -> u16 {
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("address")
    }

    #[test]
    fn write_then_read() {
        let mut w = PcapWriter::new(Vec::new()).expect("header");
        let t = Timestamp::from_micros(1_763_870_000_123_456);
        w.write(
            t,
            addr("10.0.0.1:5000"),
            addr("192.168.1.20:30299"),
            b"\x01\x02\x03",
        )
        .expect("write");
        w.write(
            t.add_secs(0.1),
            addr("10.0.0.1:5000"),
            addr("192.168.1.20:30299"),
            &[0xaa; 300],
        )
        .expect("write");
        let bytes = w.into_inner();
        let cap = read(&bytes).expect("read");
        assert!(cap.error.is_none());
        assert_eq!(cap.datagrams.len(), 2);
        assert_eq!(cap.datagrams[0].payload, b"\x01\x02\x03");
        assert_eq!(cap.datagrams[0].time, t);
        assert_eq!(cap.datagrams[1].packet, 2);
        assert_eq!(cap.datagrams[1].dst, addr("192.168.1.20:30299"));
        // The IPv4 header checksum verifies: the one's-complement sum over it is all ones.
        assert_eq!(fold(ones_sum(&bytes[24 + 16..24 + 16 + 20], 0)), 0xffff);
    }

    #[test]
    fn truncated_file_keeps_what_came_before() {
        let mut w = PcapWriter::new(Vec::new()).expect("header");
        for i in 0..3u8 {
            w.write(
                Timestamp::default(),
                addr("1.2.3.4:1"),
                addr("5.6.7.8:2"),
                &[i; 10],
            )
            .expect("write");
        }
        let mut bytes = w.into_inner();
        bytes.truncate(bytes.len() - 5);
        let cap = read(&bytes).expect("read");
        assert_eq!(cap.datagrams.len(), 2);
        assert!(
            matches!(cap.error, Some(PcapError::Truncated { .. })),
            "{:?}",
            cap.error
        );
        assert!(matches!(read(b"hello world"), Err(PcapError::NotPcap(_))));
        assert!(read(b"").is_err());
    }

    #[test]
    fn pcapng_with_ethernet_and_vlan() {
        // A section header, an Ethernet interface with nanosecond resolution, one enhanced
        // packet carrying a VLAN-tagged IPv4/UDP datagram.
        let payload = [0x10u8, 0x20, 0x30];
        let mut ip = vec![
            0x45,
            0,
            0,
            (20 + 8 + payload.len()) as u8,
            0,
            0,
            0x40,
            0,
            64,
            17,
            0,
            0,
            10,
            0,
            0,
            1,
            10,
            0,
            0,
            2,
        ];
        ip.extend_from_slice(&[0x13, 0x88, 0x76, 0x5b, 0, 11, 0, 0]);
        ip.extend_from_slice(&payload);
        let mut eth = vec![0xff; 12];
        eth.extend_from_slice(&[0x81, 0x00, 0x00, 0x05, 0x08, 0x00]);
        eth.extend_from_slice(&ip);
        let pad = |v: &mut Vec<u8>| {
            while v.len() % 4 != 0 {
                v.push(0)
            }
        };
        let mut f = Vec::new();
        let shb = [
            0x0a0d0d0au32,
            28,
            0x1a2b3c4d,
            1,
            0xffff_ffff,
            0xffff_ffff,
            28,
        ];
        for (i, w) in shb.iter().enumerate() {
            if i == 3 {
                f.extend_from_slice(&1u16.to_le_bytes());
                f.extend_from_slice(&0u16.to_le_bytes());
            } else {
                f.extend_from_slice(&w.to_le_bytes());
            }
        }
        // IDB: type, len, linktype 1, reserved, snaplen, option if_tsresol=9, end, len.
        let mut idb = Vec::new();
        idb.extend_from_slice(&1u32.to_le_bytes());
        idb.extend_from_slice(&32u32.to_le_bytes());
        idb.extend_from_slice(&1u16.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&0u32.to_le_bytes());
        idb.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0]);
        idb.extend_from_slice(&[0, 0, 0, 0]);
        idb.extend_from_slice(&32u32.to_le_bytes());
        f.extend_from_slice(&idb);
        let mut data = eth.clone();
        pad(&mut data);
        let ts: u64 = 1_700_000_000_123_456_789;
        let blen = 32 + data.len() as u32;
        let mut epb = Vec::new();
        for w in [
            6u32,
            blen,
            0,
            (ts >> 32) as u32,
            ts as u32,
            eth.len() as u32,
            eth.len() as u32,
        ] {
            epb.extend_from_slice(&w.to_le_bytes());
        }
        epb.extend_from_slice(&data);
        epb.extend_from_slice(&blen.to_le_bytes());
        f.extend_from_slice(&epb);
        let cap = read(&f).expect("pcapng");
        assert!(cap.error.is_none(), "{:?}", cap.error);
        assert_eq!(cap.datagrams.len(), 1);
        let d = &cap.datagrams[0];
        assert_eq!(d.payload, payload);
        assert_eq!(d.dst, addr("10.0.0.2:30299"));
        assert_eq!(d.time, Timestamp::from_micros(1_700_000_000_123_456));
    }
}
