//! An RSU over UDP: each message one datagram, raw UPER or wrapped in the RSU 4.1 Immediate
//! Forward envelope ([`crate::v2x::ifm`]), with the PSID and priority configured per kind.
//!
//! The task sends what its queue holds and never holds up the pipeline. Failures are
//! transient: a failed send (an ICMP "port unreachable" surfaces as a refused send, a
//! route that vanished as an unreachable network) is counted against its message and
//! marks the link down until a send succeeds again; a socket that cannot be opened is
//! retried every `retry_s`. Nothing needs a restart.

use super::{LinkInput, LinkTask};
use crate::clock::{Clock, SystemClock};
use crate::pipeline::Transmit;
use crate::scenario::links::{RsuFormat, RsuLinkSpec, TxMode};
use crate::v2x::ifm;
use std::sync::Arc;
use std::time::Duration;

/// The datagram an RSU gets for one message.
pub fn datagram(spec: &RsuLinkSpec, tx: &Transmit, out: &mut Vec<u8>) {
    out.clear();
    match spec.format {
        RsuFormat::Uper => out.extend_from_slice(&tx.bytes),
        RsuFormat::Ifm => ifm::encode(
            &ifm::Envelope {
                msg_type: spec.type_of(tx.kind),
                // Checked at load: every kind an IFM link sends has its PSID.
                psid: spec.psid.get(tx.kind).unwrap_or(0),
                priority: spec.priority_of(tx.kind),
                continuous: spec.tx_mode == TxMode::Cont,
                channel: spec.tx_channel,
                sign: spec.signature,
            },
            &tx.bytes,
            out,
        ),
    }
}

async fn open(spec: &RsuLinkSpec) -> std::io::Result<tokio::net::UdpSocket> {
    let any = if spec.address.is_ipv6() {
        "[::]:0"
    } else {
        "0.0.0.0:0"
    };
    let sock = tokio::net::UdpSocket::bind(any).await?;
    // Connected, so that the kernel reports ICMP errors from the RSU on later sends.
    sock.connect(spec.address).await?;
    Ok(sock)
}

/// Runs one RSU link until its input is closed and drained.
pub fn spawn(spec: RsuLinkSpec, input: Arc<LinkInput>) -> LinkTask {
    tokio::spawn(async move {
        let stats = input.stats.clone();
        let retry = Duration::from_secs_f64(spec.retry_s);
        let clock = SystemClock;
        let mut buf = Vec::with_capacity(2048);
        loop {
            let sock = match open(&spec).await {
                Ok(s) => s,
                Err(e) => {
                    stats.link_error(format!("opening a socket to {}: {e}", spec.address));
                    if input.is_closed() {
                        return;
                    }
                    tokio::time::sleep(retry).await;
                    continue;
                }
            };
            stats.set_up(true);
            loop {
                while let Some(tx) = input.pop() {
                    datagram(&spec, &tx, &mut buf);
                    let name = tx.kind.name();
                    match sock.send(&buf).await {
                        Ok(_) => {
                            stats.sent(name, clock.now().secs_since(tx.time));
                            stats.set_up(true);
                        }
                        Err(e) => {
                            stats.error(name, format!("sending to {}: {e}", spec.address));
                            stats.set_up(false);
                        }
                    }
                }
                if input.is_closed() {
                    return;
                }
                input.wait().await;
            }
        }
    })
}
