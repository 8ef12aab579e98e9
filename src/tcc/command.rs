//! Commands from the traffic-control centre (`roadsight/{site}/cmd`), checked once here so
//! that what reaches the pipeline is always well formed: every fault names the JSON field
//! and the reason, and goes back to the TCC on `cmd/reply`.
//!
//! Sans-IO: [`parse`] takes the bytes, the time and the site; nothing here reads a clock.

use super::external::{Area, ExternalEvent};
use crate::geo::{GeoPoint, SiteFrame};
use crate::time::Timestamp;
use crate::v2x::cn::rsi::EventSource;
use serde_json::{Map, Value};

/// The command format this service reads (`"version"` in a command).
pub const COMMAND_VERSION: u64 = 1;
/// A command longer than this is refused unread.
pub const MAX_COMMAND_BYTES: usize = 64 * 1024;
/// How far from the site an event may be: beyond it no vehicle in radio range is concerned.
pub const MAX_EVENT_DISTANCE_M: f64 = 10_000.0;
/// The longest window a TCC event may have; a longer one is a typo more often than a plan.
pub const MAX_WINDOW_S: f64 = 31.0 * 86_400.0;
/// `Radius` in RSI is 0.1 m units up to 65535.
pub const MAX_RADIUS_M: f64 = 6_553.5;
/// A polygon is sent as a closed reference path, whose list holds at most 32 points.
pub const MAX_POLYGON_VERTICES: usize = 31;

/// The named kinds of TCC event; the RSI carries the numeric `event_type` code the TCC gives
/// (GB/T 29100 numbering), the name is for people and for the feed.
pub const EVENT_KINDS: [&str; 8] = [
    "road_works",
    "accident",
    "weather",
    "congestion",
    "obstacle",
    "closure",
    "special_event",
    "other",
];

/// A checked command.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Broadcast this event in RSI while its window is open (replaces one with the same id).
    PublishRsi(ExternalEvent),
    /// Stop broadcasting the event with this id.
    WithdrawRsi { event_id: String },
    /// Read the site file again and apply its `[hazards]` settings (as SIGHUP does).
    Reload,
}

/// A command with the TCC's request id, echoed in the reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub request_id: Option<String>,
    pub command: Command,
}

/// A refused command: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct CommandError {
    /// JSON path of the field at fault (`event.area.radius_m`), or `(command)` for the whole.
    pub field: String,
    pub reason: String,
}

impl CommandError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A refused command and the request id, when it could be read, for the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub request_id: Option<String>,
    pub error: CommandError,
}

type R<T> = Result<T, CommandError>;

/// Reads and checks one command received at `now` for the site whose frame is `site`.
pub fn parse(bytes: &[u8], now: Timestamp, site: &SiteFrame) -> Result<Request, Refused> {
    let refuse = |request_id: Option<String>, error| Refused { request_id, error };
    if bytes.len() > MAX_COMMAND_BYTES {
        return Err(refuse(
            None,
            CommandError::new(
                "(command)",
                format!("{} bytes; at most {MAX_COMMAND_BYTES}", bytes.len()),
            ),
        ));
    }
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        refuse(
            None,
            CommandError::new("(command)", format!("not JSON: {e}")),
        )
    })?;
    let Some(obj) = v.as_object() else {
        return Err(refuse(
            None,
            CommandError::new("(command)", "not a JSON object"),
        ));
    };
    let request_id = obj
        .get("request_id")
        .and_then(Value::as_str)
        .map(|s| s.chars().take(128).collect::<String>());
    parse_object(obj, now, site)
        .map(|command| Request {
            request_id: request_id.clone(),
            command,
        })
        .map_err(|e| refuse(request_id, e))
}

fn parse_object(obj: &Map<String, Value>, now: Timestamp, site: &SiteFrame) -> R<Command> {
    match obj.get("version") {
        Some(v) if v.as_u64() == Some(COMMAND_VERSION) => {}
        Some(v) => {
            return Err(CommandError::new(
                "version",
                format!("{v} is not a known version (this service reads {COMMAND_VERSION})"),
            ))
        }
        None => {
            return Err(CommandError::new(
                "version",
                format!("missing (this service reads {COMMAND_VERSION})"),
            ))
        }
    }
    if let Some(v) = obj.get("request_id") {
        if !v.is_string() {
            return Err(CommandError::new("request_id", "must be a string"));
        }
    }
    let name = str_field(obj, "command", "command")?;
    let allowed: &[&str] = match name {
        "publish_rsi" => &["event"],
        "withdraw_rsi" => &["event_id"],
        "reload" => &[],
        other => {
            return Err(CommandError::new(
                "command",
                format!("unknown command {other:?}; one of publish_rsi, withdraw_rsi, reload"),
            ))
        }
    };
    only_keys(obj, "", &[&["version", "request_id", "command"], allowed])?;
    Ok(match name {
        "publish_rsi" => {
            let ev = obj
                .get("event")
                .ok_or_else(|| CommandError::new("event", "missing"))?
                .as_object()
                .ok_or_else(|| CommandError::new("event", "must be an object"))?;
            Command::PublishRsi(parse_event(ev, now, site)?)
        }
        "withdraw_rsi" => Command::WithdrawRsi {
            event_id: event_id(obj, "event_id")?,
        },
        _ => Command::Reload,
    })
}

fn parse_event(ev: &Map<String, Value>, now: Timestamp, site: &SiteFrame) -> R<ExternalEvent> {
    only_keys(
        ev,
        "event.",
        &[&[
            "id",
            "type",
            "event_type",
            "source",
            "start",
            "end",
            "area",
            "priority",
            "description",
        ]],
    )?;
    let id = event_id(ev, "event.id")?;
    let kind = str_field(ev, "type", "event.type")?;
    let Some(kind) = EVENT_KINDS.iter().find(|k| **k == kind) else {
        return Err(CommandError::new(
            "event.type",
            format!("unknown type {kind:?}; one of {}", EVENT_KINDS.join(", ")),
        ));
    };
    let event_type = match ev.get("event_type").map(Value::as_u64) {
        Some(Some(c @ 1..=65_535)) => c as u16,
        Some(_) => {
            return Err(CommandError::new(
                "event.event_type",
                "must be an integer event code (GB/T 29100) from 1 to 65535",
            ))
        }
        None => return Err(CommandError::new("event.event_type", "missing")),
    };
    let source = match ev.get("source") {
        None => EventSource::Government,
        Some(v) => serde_json::from_value::<EventSource>(v.clone()).map_err(|_| {
            CommandError::new(
                "event.source",
                "one of unknown, police, government, meteorological, internet, detection",
            )
        })?,
    };
    let start = match ev.get("start") {
        None => now,
        Some(_) => time_field(ev, "start", "event.start")?,
    };
    let end = time_field(ev, "end", "event.end")?;
    if end <= now {
        return Err(CommandError::new(
            "event.end",
            format!("{end} is in the past (now {now})"),
        ));
    }
    if end <= start {
        return Err(CommandError::new(
            "event.end",
            format!("{end} is not after the start {start}"),
        ));
    }
    if end.secs_since(start) > MAX_WINDOW_S {
        return Err(CommandError::new(
            "event.end",
            format!("the window is longer than {} days", MAX_WINDOW_S / 86_400.0),
        ));
    }
    let priority = match ev.get("priority").map(Value::as_u64) {
        None => 3,
        Some(Some(p @ 0..=7)) => p as u8,
        Some(_) => {
            return Err(CommandError::new(
                "event.priority",
                "must be an integer from 0 (lowest) to 7 (highest)",
            ))
        }
    };
    let description = match ev.get("description") {
        None => None,
        Some(Value::String(s))
            if (1..=512).contains(&s.len())
                && s.chars().all(|c| c == ' ' || c.is_ascii_graphic()) =>
        {
            Some(s.clone())
        }
        Some(_) => {
            return Err(CommandError::new(
                "event.description",
                "must be 1 to 512 printable ASCII characters (RSI textString)",
            ))
        }
    };
    let area = parse_area(ev.get("area"), site)?;
    Ok(ExternalEvent {
        id,
        kind: (*kind).to_string(),
        event_type,
        source,
        start,
        end,
        area,
        priority,
        description,
    })
}

fn parse_area(v: Option<&Value>, site: &SiteFrame) -> R<Area> {
    let a = v
        .ok_or_else(|| CommandError::new("event.area", "missing"))?
        .as_object()
        .ok_or_else(|| CommandError::new("event.area", "must be an object"))?;
    match (a.get("centre"), a.get("polygon")) {
        (Some(c), None) => {
            only_keys(a, "event.area.", &[&["centre", "radius_m"]])?;
            let centre = point(c, "event.area.centre", site)?;
            let radius_m = match a.get("radius_m").map(Value::as_f64) {
                Some(Some(r)) if r.is_finite() && r > 0.0 && r <= MAX_RADIUS_M => r,
                Some(_) => {
                    return Err(CommandError::new(
                        "event.area.radius_m",
                        format!(
                            "must be a finite number of metres above 0 and at most {MAX_RADIUS_M}"
                        ),
                    ))
                }
                None => return Err(CommandError::new("event.area.radius_m", "missing")),
            };
            Ok(Area::Circle { centre, radius_m })
        }
        (None, Some(p)) => {
            only_keys(a, "event.area.", &[&["polygon"]])?;
            let list = p.as_array().ok_or_else(|| {
                CommandError::new("event.area.polygon", "must be an array of points")
            })?;
            if !(3..=MAX_POLYGON_VERTICES).contains(&list.len()) {
                return Err(CommandError::new(
                    "event.area.polygon",
                    format!("{} vertices; from 3 to {MAX_POLYGON_VERTICES}", list.len()),
                ));
            }
            let vertices = list
                .iter()
                .enumerate()
                .map(|(i, q)| point(q, &format!("event.area.polygon[{i}]"), site))
                .collect::<R<Vec<_>>>()?;
            Ok(Area::Polygon(vertices))
        }
        (Some(_), Some(_)) => Err(CommandError::new(
            "event.area",
            "either centre + radius_m or polygon, not both",
        )),
        (None, None) => Err(CommandError::new(
            "event.area",
            "needs centre + radius_m or polygon",
        )),
    }
}

/// A WGS84 point `{"lat_deg": .., "lon_deg": ..}` within reach of the site.
fn point(v: &Value, field: &str, site: &SiteFrame) -> R<GeoPoint> {
    let o = v
        .as_object()
        .ok_or_else(|| CommandError::new(field, "must be an object with lat_deg and lon_deg"))?;
    only_keys(o, &format!("{field}."), &[&["lat_deg", "lon_deg"]])?;
    let coord = |k: &str, lim: f64| -> R<f64> {
        match o.get(k).map(Value::as_f64) {
            Some(Some(x)) if x.is_finite() && x.abs() <= lim => Ok(x),
            Some(_) => Err(CommandError::new(
                format!("{field}.{k}"),
                format!("must be a finite number of degrees within ±{lim}"),
            )),
            None => Err(CommandError::new(format!("{field}.{k}"), "missing")),
        }
    };
    let p = GeoPoint::new(coord("lat_deg", 90.0)?, coord("lon_deg", 180.0)?, None);
    let e = site.to_enu(p);
    let d = e.east_m.hypot(e.north_m);
    if !d.is_finite() || d > MAX_EVENT_DISTANCE_M {
        return Err(CommandError::new(
            field,
            format!(
                "{:.1} km from the site; at most {} km",
                d / 1000.0,
                MAX_EVENT_DISTANCE_M / 1000.0
            ),
        ));
    }
    Ok(p)
}

fn str_field<'a>(o: &'a Map<String, Value>, key: &str, field: &str) -> R<&'a str> {
    match o.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(CommandError::new(field, "must be a string")),
        None => Err(CommandError::new(field, "missing")),
    }
}

/// An event id: 1 to 64 characters of `A-Z a-z 0-9 _ - . :`.
fn event_id(o: &Map<String, Value>, field: &str) -> R<String> {
    let key = field.rsplit('.').next().unwrap_or(field);
    let s = str_field(o, key, field)?;
    let ok = (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c));
    if !ok {
        return Err(CommandError::new(
            field,
            "must be 1 to 64 characters of A-Z a-z 0-9 _ - . :",
        ));
    }
    Ok(s.to_string())
}

fn time_field(o: &Map<String, Value>, key: &str, field: &str) -> R<Timestamp> {
    let s = str_field(o, key, field)?;
    crate::scenario::parse_utc(s).ok_or_else(|| {
        CommandError::new(
            field,
            format!("{s:?} is not an RFC 3339 UTC time such as 2026-11-23T08:00:00Z"),
        )
    })
}

/// Refuses keys this version does not know: a misspelt optional field would otherwise be
/// silently ignored.
fn only_keys(o: &Map<String, Value>, prefix: &str, known: &[&[&str]]) -> R<()> {
    match o
        .keys()
        .find(|k| !known.iter().any(|set| set.contains(&k.as_str())))
    {
        Some(k) => Err(CommandError::new(format!("{prefix}{k}"), "unknown field")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> SiteFrame {
        SiteFrame::new(GeoPoint::new(34.2, 108.9, Some(400.0)))
    }

    fn now() -> Timestamp {
        crate::scenario::parse_utc("2026-11-23T09:00:00Z").unwrap_or_default()
    }

    fn publish(event: &str) -> String {
        format!(r#"{{"version":1,"request_id":"r1","command":"publish_rsi","event":{event}}}"#)
    }

    const GOOD: &str = r#"{"id":"rw-1","type":"road_works","event_type":401,
        "start":"2026-11-23T08:00:00Z","end":"2026-11-23T17:00:00Z",
        "area":{"centre":{"lat_deg":34.2005,"lon_deg":108.9},"radius_m":50},
        "priority":4,"description":"lane 2 closed"}"#;

    fn refused(text: &str) -> CommandError {
        match parse(text.as_bytes(), now(), &site()) {
            Ok(r) => panic!("accepted {r:?}"),
            Err(r) => r.error,
        }
    }

    #[test]
    fn good_publish_is_read() {
        let r = parse(publish(GOOD).as_bytes(), now(), &site()).map_err(|r| r.error);
        let Ok(Request {
            request_id,
            command: Command::PublishRsi(ev),
        }) = r
        else {
            panic!("{r:?}");
        };
        assert_eq!(request_id.as_deref(), Some("r1"));
        assert_eq!(ev.id, "rw-1");
        assert_eq!(ev.event_type, 401);
        assert_eq!(ev.priority, 4);
        assert!(matches!(ev.area, Area::Circle { radius_m, .. } if radius_m == 50.0));
    }

    #[test]
    fn faults_name_their_field() {
        let cases = [
            ("{not json".to_string(), "(command)"),
            (r#"{"version":2,"command":"reload"}"#.to_string(), "version"),
            (
                r#"{"version":1,"command":"explode"}"#.to_string(),
                "command",
            ),
            (
                publish(&GOOD.replace("road_works", "volcano")),
                "event.type",
            ),
            (
                publish(&GOOD.replace("2026-11-23T17:00:00Z", "2026-11-23T08:30:00Z")),
                "event.end",
            ),
            (
                publish(&GOOD.replace(r#""lat_deg":34.2005"#, r#""lat_deg":"NaN""#)),
                "event.area.centre.lat_deg",
            ),
            (
                publish(&GOOD.replace(r#""lat_deg":34.2005"#, r#""lat_deg":35.2"#)),
                "event.area.centre",
            ),
            (
                publish(&GOOD.replace(r#""radius_m":50"#, r#""radius_m":-1"#)),
                "event.area.radius_m",
            ),
            (
                publish(&GOOD.replace("\"priority\":4", "\"priority\":9")),
                "event.priority",
            ),
            (
                publish(&GOOD.replace("\"event_type\":401", "\"event_type\":0")),
                "event.event_type",
            ),
            (
                publish(&GOOD.replace("\"priority\"", "\"prio\"")),
                "event.prio",
            ),
            (
                r#"{"version":1,"command":"withdraw_rsi","event_id":"a b"}"#.to_string(),
                "event_id",
            ),
        ];
        for (text, field) in cases {
            assert_eq!(refused(&text).field, field, "{text}");
        }
    }

    #[test]
    fn polygon_is_checked() {
        let poly = GOOD.replace(
            r#"{"centre":{"lat_deg":34.2005,"lon_deg":108.9},"radius_m":50}"#,
            r#"{"polygon":[{"lat_deg":34.2,"lon_deg":108.9},{"lat_deg":34.201,"lon_deg":108.9},{"lat_deg":34.201,"lon_deg":108.901}]}"#,
        );
        let r = parse(publish(&poly).as_bytes(), now(), &site()).map_err(|r| r.error);
        assert!(
            matches!(&r, Ok(Request { command: Command::PublishRsi(e), .. }) if matches!(&e.area, Area::Polygon(v) if v.len() == 3)),
            "{r:?}"
        );
        let two = poly.replace(r#",{"lat_deg":34.201,"lon_deg":108.901}"#, "");
        assert_eq!(refused(&publish(&two)).field, "event.area.polygon");
        let bad = poly.replace(r#""lon_deg":108.901"#, r#""lon_deg":1e999"#);
        // 1e999 is not representable: serde_json refuses the document itself.
        assert_eq!(refused(&publish(&bad)).field, "(command)");
    }
}
