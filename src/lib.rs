//! Roadsight: a roadside V2X cooperative-driving service.
//!
//! Data flows one way: ingest → fusion → world model → hazards → messages → links. This crate
//! is the library behind the `roadsight` binary; each module is one concept.

pub mod clock;
pub mod eval;
pub mod fusion;
pub mod geo;
pub mod hazard;
pub mod link;
pub mod map;
pub mod pipeline;
pub mod record;
pub mod replay;
pub mod rng;
pub mod scenario;
pub mod sensor;
pub mod service;
pub mod signal;
pub mod tcc;
pub mod time;
pub mod v2x;
pub mod viz;
pub mod world;
