//! Roadsight: a roadside V2X cooperative-driving service.
//!
//! Data flows one way: ingest → fusion → world model → hazards → messages → links. This crate
//! is the library behind the `roadsight` binary; each module is one concept.

pub mod geo;
pub mod link;
pub mod time;
pub mod v2x;
