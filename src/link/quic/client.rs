//! The client side of the link (`roadsight subscribe`, and tests): connect with a client
//! certificate, subscribe, read messages off the server's message stream.

use super::wire::{self, close, SubscribeReply, SubscribeRequest, Subscription};
use super::{tls, QuicError};
use crate::clock::{Clock, SystemClock};
use crate::pipeline::MessageKind;
use crate::time::Timestamp;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long a handshake and subscription may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub server: SocketAddr,
    /// The name the server's certificate must carry (a DNS name or the IP address).
    pub server_name: String,
    /// CA (PEM) the server's certificate must chain to.
    pub ca: PathBuf,
    /// The client's certificate chain and key (PEM); without them the server refuses.
    pub identity: Option<(PathBuf, PathBuf)>,
    /// Bytes the server may send ahead of what is read (QUIC stream flow control);
    /// quinn's default (1.25 MB) when `None`.
    pub receive_window_bytes: Option<u32>,
}

impl ClientOptions {
    pub fn new(server: SocketAddr, ca: PathBuf) -> Self {
        Self {
            server,
            server_name: server.ip().to_string(),
            ca,
            identity: None,
            receive_window_bytes: None,
        }
    }
}

/// One message as received.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub kind: MessageKind,
    /// When the pipeline made it.
    pub time: Timestamp,
    /// The UPER `MessageFrame`.
    pub bytes: Vec<u8>,
}

/// A subscribed connection.
pub struct Subscriber {
    // Kept so the socket lives as long as the connection.
    _endpoint: quinn::Endpoint,
    conn: quinn::Connection,
    stream: Option<quinn::RecvStream>,
}

/// The connection error, with the server's reason when it closed on purpose.
fn conn_error(e: quinn::ConnectionError) -> QuicError {
    match e {
        quinn::ConnectionError::ApplicationClosed(a) => QuicError::Connection(format!(
            "closed by the server (code {}): {}",
            a.error_code,
            String::from_utf8_lossy(&a.reason)
        )),
        other => QuicError::Connection(other.to_string()),
    }
}

fn read_error(e: quinn::ReadError) -> QuicError {
    match e {
        quinn::ReadError::ConnectionLost(c) => conn_error(c),
        other => QuicError::Stream(other.to_string()),
    }
}

impl Subscriber {
    /// Connects and subscribes.
    pub async fn connect(opts: &ClientOptions, sub: &Subscription) -> Result<Self, QuicError> {
        Self::connect_with_request(opts, &sub.to_request()).await
    }

    /// Connects and sends `req` as it is (tests use it to send what a checked
    /// [`Subscription`] could not hold).
    pub async fn connect_with_request(
        opts: &ClientOptions,
        req: &SubscribeRequest,
    ) -> Result<Self, QuicError> {
        let identity = opts
            .identity
            .as_ref()
            .map(|(c, k)| (c.as_path(), k.as_path()));
        let crypto = tls::client_config(&opts.ca, identity)?;
        let mut cfg = quinn::ClientConfig::new(Arc::new(crypto));
        let mut transport = quinn::TransportConfig::default();
        if let Some(w) = opts.receive_window_bytes {
            transport.stream_receive_window(w.into());
        }
        cfg.transport_config(Arc::new(transport));
        let local: SocketAddr = if opts.server.is_ipv6() {
            "[::]:0".parse().unwrap_or(SocketAddr::from(([0u16; 8], 0)))
        } else {
            SocketAddr::from(([0, 0, 0, 0], 0))
        };
        let connect_err = |reason: String| QuicError::Connect {
            addr: opts.server,
            reason,
        };
        let endpoint = quinn::Endpoint::client(local).map_err(|e| connect_err(e.to_string()))?;
        let connecting = endpoint
            .connect_with(cfg, opts.server, &opts.server_name)
            .map_err(|e| connect_err(e.to_string()))?;
        let conn = tokio::time::timeout(CONNECT_TIMEOUT, connecting)
            .await
            .map_err(|_| connect_err("no answer".into()))?
            .map_err(|e| connect_err(conn_error(e).to_string()))?;
        let mut s = Self {
            _endpoint: endpoint,
            conn,
            stream: None,
        };
        tokio::time::timeout(CONNECT_TIMEOUT, s.request(req))
            .await
            .map_err(|_| connect_err("no answer to the subscription".into()))??;
        Ok(s)
    }

    async fn request(&mut self, req: &SubscribeRequest) -> Result<(), QuicError> {
        let (mut send, mut recv) = self.conn.open_bi().await.map_err(conn_error)?;
        let body = serde_json::to_vec(req).map_err(|e| QuicError::Stream(e.to_string()))?;
        let sent = async {
            send.write_all(&body).await?;
            send.finish().map_err(|_| quinn::WriteError::ClosedStream)?;
            Ok::<(), quinn::WriteError>(())
        };
        sent.await.map_err(|e| match e {
            quinn::WriteError::ConnectionLost(c) => conn_error(c),
            other => QuicError::Stream(other.to_string()),
        })?;
        let answer = recv
            .read_to_end(wire::MAX_REQUEST_BYTES)
            .await
            .map_err(|e| match e {
                quinn::ReadToEndError::Read(r) => read_error(r),
                other => QuicError::Stream(other.to_string()),
            })?;
        match serde_json::from_slice::<SubscribeReply>(&answer) {
            Ok(SubscribeReply::Ok(_)) => Ok(()),
            Ok(SubscribeReply::Error(reason)) => Err(QuicError::Refused(reason)),
            Err(e) => Err(QuicError::Stream(format!("unreadable reply: {e}"))),
        }
    }

    /// Replaces the subscription (a vehicle moving its area along).
    pub async fn update(&mut self, sub: &Subscription) -> Result<(), QuicError> {
        self.request(&sub.to_request()).await
    }

    /// The next message; `None` when the server ended the stream.
    pub async fn next(&mut self) -> Result<Option<Received>, QuicError> {
        if self.stream.is_none() {
            self.stream = Some(self.conn.accept_uni().await.map_err(conn_error)?);
        }
        let Some(stream) = self.stream.as_mut() else {
            return Ok(None);
        };
        let mut header = [0u8; wire::HEADER_BYTES];
        match stream.read_exact(&mut header).await {
            Ok(()) => {}
            Err(quinn::ReadExactError::FinishedEarly(0)) => return Ok(None),
            Err(quinn::ReadExactError::FinishedEarly(n)) => {
                return Err(QuicError::Stream(format!(
                    "stream ended {n} bytes into a header"
                )))
            }
            Err(quinn::ReadExactError::ReadError(e)) => return Err(read_error(e)),
        }
        let (kind, time, len) = wire::decode_header(&header)?;
        let mut bytes = vec![0u8; len];
        stream.read_exact(&mut bytes).await.map_err(|e| match e {
            quinn::ReadExactError::ReadError(e) => read_error(e),
            other => QuicError::Stream(other.to_string()),
        })?;
        Ok(Some(Received { kind, time, bytes }))
    }

    /// Why the connection ended, once it has.
    pub fn close_reason(&self) -> Option<QuicError> {
        self.conn.close_reason().map(conn_error)
    }

    /// Waits until the server closes the connection; its reason.
    pub async fn closed(&self) -> QuicError {
        conn_error(self.conn.closed().await)
    }

    /// Says goodbye.
    pub fn close(self) {
        self.conn.close(close::DONE.into(), b"done");
    }
}

/// What `roadsight subscribe` prints.
#[derive(Debug, Clone)]
pub struct PrintOptions {
    /// Stop after this many messages.
    pub count: Option<u64>,
    /// Decode each message as `roadsight decode` does.
    pub decode: bool,
}

/// Receives and prints, one JSON object per line (`kind`, `bytes`, `time`, `latency_s`,
/// and with `decode` the decoded message); returns how many were received. Messages that
/// do not decode are reported on `err` and the others go on.
pub async fn print_messages(
    sub: &mut Subscriber,
    opts: &PrintOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u64, QuicError> {
    let clock = SystemClock;
    let inspect = crate::v2x::inspect::Options {
        type_name: "MessageFrame".into(),
        si: false,
        compact: true,
    };
    let mut n = 0u64;
    while opts.count.is_none_or(|c| n < c) {
        let Some(m) = sub.next().await? else {
            break;
        };
        n += 1;
        let mut meta = serde_json::Map::new();
        meta.insert("kind".into(), m.kind.name().into());
        meta.insert("bytes".into(), m.bytes.len().into());
        meta.insert("time".into(), m.time.to_string().into());
        meta.insert(
            "latency_s".into(),
            serde_json::json!((clock.now().secs_since(m.time) * 1e6).round() / 1e6),
        );
        let io = |e: std::io::Error| QuicError::Stream(format!("writing output: {e}"));
        if opts.decode {
            let label = format!("message {n} ({})", m.kind.name());
            crate::v2x::inspect::print_message(&inspect, meta, &label, &m.bytes, out, err)
                .map_err(io)?;
        } else {
            writeln!(out, "{}", serde_json::Value::Object(meta)).map_err(io)?;
        }
        out.flush()
            .map_err(|e| QuicError::Stream(format!("writing output: {e}")))?;
    }
    Ok(n)
}
