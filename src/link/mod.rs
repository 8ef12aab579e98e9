//! Links: where messages leave the box (and captures of what left).

pub mod diskq;
pub mod mqtt;
pub mod pcap;
pub mod sinks;
pub mod stats;
