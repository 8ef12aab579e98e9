//! The traffic-control-centre feed: what the site tells the TCC over MQTT (tracks, events,
//! signal state, health; [`feed`]), what the TCC may ask of the site ([`command`]: publish or
//! withdraw an RSI event, reload the hazard settings), the events it asked for ([`external`])
//! and the `[tcc]` site settings ([`config`]). All sans-IO; the MQTT link itself is
//! `crate::link::mqtt`. Topics, schema and the outage queue are in `docs/tcc-feed.md`.

pub mod command;
pub mod config;
pub mod external;
pub mod feed;

pub use command::{Command, CommandError};
pub use config::TccConfig;
pub use feed::{Feed, FeedConfig, Publish, Topic};
