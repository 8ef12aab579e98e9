//! The metrics and health endpoint: `GET /metrics` in the Prometheus text exposition format
//! (0.0.4), `GET /healthz` as JSON with 200 when healthy and 503 when degraded.
//!
//! A small HTTP/1.1 responder on a tokio `TcpListener` (one request per connection, a size
//! cap and a read timeout), as a scraper needs nothing more; [`render`] is a plain function.

use super::health::{HealthStatus, ServiceStatus, SharedStatus};
use crate::clock::{Clock, SystemClock};
use crate::link::stats::{LinkRegistry, LinkSnapshot, LATENCY_BUCKETS_S};
use std::fmt::Write as _;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Requests longer than this are refused (a scrape is one short line and a few headers).
const MAX_REQUEST: usize = 8 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(2);

/// Escapes a Prometheus label value.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

struct Out(String);

impl Out {
    fn head(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }
    fn line(&mut self, name: &str, labels: &[(&str, &str)], v: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (k, val)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{k}=\"{}\"", label(val));
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {v}");
    }
}

/// Every stage's counters at `now`, in the Prometheus text format.
pub fn render(
    status: &ServiceStatus,
    links: &[LinkSnapshot],
    now: crate::time::Timestamp,
) -> String {
    let mut o = Out(String::with_capacity(8 * 1024));
    let st = &status.stats;
    o.head(
        "roadsight_uptime_seconds",
        "gauge",
        "Seconds since the service started.",
    );
    o.line(
        "roadsight_uptime_seconds",
        &[],
        now.secs_since(status.started),
    );

    o.head(
        "roadsight_input_datagrams_total",
        "counter",
        "Datagrams received, per sensor.",
    );
    for s in &status.sensors {
        o.line(
            "roadsight_input_datagrams_total",
            &[("sensor", &s.id)],
            s.datagrams as f64,
        );
    }
    o.head(
        "roadsight_input_malformed_total",
        "counter",
        "Datagrams that could not be read, per sensor.",
    );
    o.head(
        "roadsight_detections_rejected_total",
        "counter",
        "Detections refused at ingest, per sensor.",
    );
    o.head(
        "roadsight_sensor_silent_seconds",
        "gauge",
        "Seconds since the sensor's last datagram (or the start).",
    );
    for (i, s) in status.sensors.iter().enumerate() {
        let i = i as u16;
        let id = [("sensor", s.id.as_str())];
        let malformed = st.malformed_datagrams.get(&i).copied().unwrap_or(0);
        o.line("roadsight_input_malformed_total", &id, malformed as f64);
        let rejected = st.rejected_detections.get(&i).copied().unwrap_or(0);
        o.line("roadsight_detections_rejected_total", &id, rejected as f64);
        let since = s.last_input.unwrap_or(status.started);
        o.line(
            "roadsight_sensor_silent_seconds",
            &id,
            now.secs_since(since).max(0.0),
        );
    }
    o.head(
        "roadsight_input_dropped_total",
        "counter",
        "Datagrams dropped because the pipeline fell behind.",
    );
    o.line(
        "roadsight_input_dropped_total",
        &[],
        status.datagrams_dropped as f64,
    );
    for (name, help, v) in [
        (
            "roadsight_frames_total",
            "Sensor frames accepted.",
            st.frames,
        ),
        (
            "roadsight_detections_total",
            "Detections accepted.",
            st.detections,
        ),
        (
            "roadsight_frames_late_total",
            "Frames put in capture order after later ones.",
            st.late_frames,
        ),
        (
            "roadsight_frames_rejected_total",
            "Frames refused whole.",
            st.rejected_frames,
        ),
        (
            "roadsight_signal_feed_rejected_total",
            "Signal controller updates refused.",
            st.signal_feed_rejected,
        ),
        (
            "roadsight_tracks_confirmed_total",
            "Tracks confirmed.",
            st.tracks_confirmed,
        ),
        (
            "roadsight_message_bytes_total",
            "UPER bytes of the messages made.",
            st.message_bytes,
        ),
        (
            "roadsight_messages_failed_total",
            "Messages that could not be built or encoded.",
            st.failed_messages,
        ),
    ] {
        o.head(name, "counter", help);
        o.line(name, &[], v as f64);
    }
    o.head(
        "roadsight_tracks",
        "gauge",
        "Confirmed tracks in the world model.",
    );
    o.line("roadsight_tracks", &[], status.tracks as f64);
    o.head(
        "roadsight_hazards_total",
        "counter",
        "Hazards started, per kind.",
    );
    for (k, n) in &st.hazards {
        let kind = serde_json::to_value(k)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        o.line("roadsight_hazards_total", &[("kind", &kind)], *n as f64);
    }
    o.head(
        "roadsight_messages_total",
        "counter",
        "Messages made, per type.",
    );
    for k in crate::pipeline::MessageKind::ALL {
        let n = st.messages.get(&k).copied().unwrap_or(0);
        o.line("roadsight_messages_total", &[("type", k.name())], n as f64);
    }
    if let Some(alive) = status.signal_feed_alive {
        o.head(
            "roadsight_signal_feed_up",
            "gauge",
            "1 while the controller feed is alive.",
        );
        o.line("roadsight_signal_feed_up", &[], f64::from(u8::from(alive)));
    }
    render_links(&mut o, links);
    o.0
}

fn render_links(o: &mut Out, links: &[LinkSnapshot]) {
    o.head(
        "roadsight_link_up",
        "gauge",
        "1 while the link's last attempt succeeded.",
    );
    o.head(
        "roadsight_link_queue_depth",
        "gauge",
        "Messages waiting in the link's queue.",
    );
    o.head(
        "roadsight_link_queue_capacity",
        "gauge",
        "The most the link's queue holds.",
    );
    o.head(
        "roadsight_link_failures_total",
        "counter",
        "Failures of the link itself (no socket).",
    );
    for l in links {
        let id = [("link", l.name.as_str()), ("transport", l.kind.as_str())];
        o.line("roadsight_link_up", &id, f64::from(u8::from(l.up)));
        o.line("roadsight_link_queue_depth", &id, l.queue_depth as f64);
        o.line(
            "roadsight_link_queue_capacity",
            &id,
            l.queue_capacity as f64,
        );
        o.line("roadsight_link_failures_total", &id, l.link_errors as f64);
    }
    for (name, help) in [
        (
            "roadsight_link_enqueued_total",
            "Messages queued, per link and type.",
        ),
        (
            "roadsight_link_sent_total",
            "Messages sent, per link and type.",
        ),
        (
            "roadsight_link_dropped_total",
            "Messages dropped by the queue policy, per link and type.",
        ),
        (
            "roadsight_link_errors_total",
            "Failed sends, per link and type.",
        ),
    ] {
        o.head(name, "counter", help);
        for l in links {
            for (t, c) in &l.messages {
                let v = match name {
                    "roadsight_link_enqueued_total" => c.enqueued,
                    "roadsight_link_sent_total" => c.sent,
                    "roadsight_link_dropped_total" => c.dropped,
                    _ => c.errors,
                };
                o.line(name, &[("link", &l.name), ("type", t)], v as f64);
            }
        }
    }
    let h = "roadsight_link_latency_seconds";
    o.head(
        h,
        "histogram",
        "From message creation to send, per link and type.",
    );
    for l in links {
        for (t, c) in &l.messages {
            for (i, b) in LATENCY_BUCKETS_S.iter().enumerate() {
                let le = b.to_string();
                let v = c.latency_buckets[i] as f64;
                o.line(
                    &format!("{h}_bucket"),
                    &[("link", &l.name), ("type", t), ("le", &le)],
                    v,
                );
            }
            let total = c.latency_buckets[LATENCY_BUCKETS_S.len()] as f64;
            o.line(
                &format!("{h}_bucket"),
                &[("link", &l.name), ("type", t), ("le", "+Inf")],
                total,
            );
            o.line(
                &format!("{h}_sum"),
                &[("link", &l.name), ("type", t)],
                c.latency_sum_s,
            );
            o.line(
                &format!("{h}_count"),
                &[("link", &l.name), ("type", t)],
                total,
            );
        }
    }
}

/// Answers scrapes and health checks until the task is dropped.
pub async fn serve_http(
    listener: tokio::net::TcpListener,
    status: SharedStatus,
    links: LinkRegistry,
) {
    loop {
        let Ok((mut conn, _)) = listener.accept().await else {
            // Out of file descriptors and the like: wait, do not spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (status, links) = (status.clone(), links.clone());
        tokio::spawn(async move {
            let mut buf = Vec::with_capacity(1024);
            let read = tokio::time::timeout(READ_TIMEOUT, async {
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_REQUEST {
                    match conn.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
            })
            .await;
            if read.is_err() {
                return;
            }
            let response = respond(&buf, &status, &links);
            let _ = conn.write_all(&response).await;
            let _ = conn.shutdown().await;
        });
    }
}

fn respond(request: &[u8], status: &SharedStatus, links: &LinkRegistry) -> Vec<u8> {
    let line = request
        .split(|&b| b == b'\n')
        .next()
        .map(|l| String::from_utf8_lossy(l).trim().to_string())
        .unwrap_or_default();
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = path.split('?').next().unwrap_or("");
    let reply = |code: &str, ctype: &str, body: String| {
        format!(
            "HTTP/1.1 {code}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    if method != "GET" {
        return reply("405 Method Not Allowed", "text/plain", "GET only\n".into());
    }
    let now = SystemClock.now();
    let snapshot = status.lock().unwrap_or_else(|p| p.into_inner()).clone();
    match path {
        "/metrics" => reply(
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            render(&snapshot, &links.snapshot(), now),
        ),
        "/healthz" => {
            let h = snapshot.health(now, &links.snapshot());
            let code = match h.status {
                HealthStatus::Ok => "200 OK",
                HealthStatus::Degraded => "503 Service Unavailable",
            };
            let body = serde_json::to_string_pretty(&h).unwrap_or_default() + "\n";
            reply(code, "application/json", body)
        }
        _ => reply(
            "404 Not Found",
            "text/plain",
            "try /metrics or /healthz\n".into(),
        ),
    }
}
