//! The cellular link (Uu / 5G): a QUIC endpoint that vehicles, phones and cloud services
//! connect to with a client certificate, subscribe by message type and area, and receive
//! the UPER messages as they are made. The wire format is in [`wire`] and `docs/quic.md`.
//!
//! Like quinn itself, the decisions are sans-IO and tested alone — the subscription and
//! framing ([`wire`]) and the per-client queue policy ([`queue`]) — and the async shell
//! ([`server`], [`client`]) only moves bytes. The service feeds the server through
//! [`server::QuicSink`], a bounded channel it never waits on.

pub mod queue;
pub mod spec;
pub mod wire;

#[cfg(feature = "quic")]
pub mod client;
#[cfg(feature = "quic")]
pub mod server;
#[cfg(feature = "quic")]
pub mod tls;

pub use spec::QuicSpec;
pub use wire::{Area, SubscribeRequest, Subscription};

#[cfg(feature = "quic")]
pub use client::{ClientOptions, Received, Subscriber};
#[cfg(feature = "quic")]
pub use server::{ClientSnapshot, ConnectionCounters, QuicServer, QuicSink};

/// What can go wrong on the QUIC link. `Tls` and `Bind` are permanent (fix the files or the
/// address); `Connection` and `Stream` are transient (the peer or the network), and a
/// client may reconnect.
#[derive(Debug, thiserror::Error)]
pub enum QuicError {
    /// A certificate, key or CA file that cannot be used; `key` is its config key.
    #[error("{key}: {path}: {reason}")]
    Tls {
        key: &'static str,
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot connect to {addr}: {reason}")]
    Connect {
        addr: std::net::SocketAddr,
        reason: String,
    },
    /// The server closed the connection or the network lost it; the reason is the server's
    /// when it gave one ("slow consumer: 100 messages dropped").
    #[error("connection: {0}")]
    Connection(String),
    /// The server refused the subscription.
    #[error("subscription refused: {0}")]
    Refused(String),
    #[error("stream: {0}")]
    Stream(String),
    #[error("the [quic] link needs roadsight built with the `quic` feature")]
    NotBuilt,
    #[error("bad frame from server: {0}")]
    Frame(#[from] wire::FrameError),
}
