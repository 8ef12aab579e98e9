//! Links: where messages leave the box (and captures of what left).

pub mod pcap;
pub mod quic;
pub mod sinks;
pub mod stats;
