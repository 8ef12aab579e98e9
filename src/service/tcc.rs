//! The service's end of the traffic-control-centre feed: the sans-IO [`Feed`] tapping the
//! pipeline, the MQTT link task it hands messages to, and the commands coming back. Absent
//! (every call a no-op) when the site has no `[tcc]` section.

use crate::clock::{Clock, SystemClock};
use crate::link::mqtt::{MqttError, MqttLink};
use crate::link::stats::LinkRegistry;
use crate::pipeline::driver::Sink;
use crate::pipeline::{Event, Input, Pipeline, Transmit};
use crate::scenario::Scenario;
use crate::tcc::command::{self, Command, CommandError};
use crate::tcc::{Feed, FeedConfig};
use crate::time::Timestamp;
use std::path::Path;

struct Active {
    feed: Feed,
    link: MqttLink,
    frame: crate::geo::SiteFrame,
}

/// The TCC feed of a running service, or nothing.
pub struct TccTap {
    active: Option<Active>,
    registry: LinkRegistry,
}

impl TccTap {
    /// Starts the link when the site has a `[tcc]` section (inside a tokio runtime).
    pub fn start(s: &Scenario, registry: &LinkRegistry, now: Timestamp) -> Result<Self, MqttError> {
        let active = match &s.tcc {
            Some(cfg) => Some(Active {
                feed: Feed::new(FeedConfig::from(cfg), now),
                link: MqttLink::spawn(cfg, registry)?,
                frame: crate::geo::SiteFrame::new(s.site.anchor),
            }),
            None => None,
        };
        Ok(Self {
            active,
            registry: registry.clone(),
        })
    }

    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.active.as_ref().and_then(|a| a.feed.poll_timeout())
    }

    /// Publishes the periodic messages due at `now`.
    pub fn handle_timeout(&mut self, now: Timestamp, pipeline: &Pipeline) {
        if let Some(a) = &mut self.active {
            let links = self.registry.snapshot();
            a.feed.handle_timeout(now, pipeline, &links);
            a.flush();
        }
    }

    /// The next raw command from the TCC; never resolves without a feed.
    pub async fn next_command(&mut self) -> Vec<u8> {
        match &mut self.active {
            Some(a) => match a.link.commands.recv().await {
                Some(c) => c,
                None => std::future::pending().await,
            },
            None => std::future::pending().await,
        }
    }

    /// Checks and applies a command and replies on `cmd/reply`. `reload` reads
    /// `reload_from` again (as SIGHUP does). What changes the pipeline is shown to
    /// `record` first as an [`Input`], so a recording holds it and its replay repeats it.
    pub fn handle_command(
        &mut self,
        now: Timestamp,
        bytes: &[u8],
        pipeline: &mut Pipeline,
        reload_from: Option<&Path>,
        record: &mut dyn Sink,
    ) {
        let Some(a) = &mut self.active else {
            return;
        };
        let (request_id, outcome) = match command::parse(bytes, now, &a.frame) {
            Err(r) => (r.request_id, Err(r.error)),
            Ok(req) if req.command == Command::Reload => {
                let outcome = match reload_from {
                    Some(path) => {
                        let loaded = Scenario::load(path)
                            .map(|s| s.hazards)
                            .map_err(|e| e.to_string());
                        let reply = loaded
                            .as_ref()
                            .map(|_| ())
                            .map_err(|e| CommandError::new("command", e.clone()));
                        record.input(now, &Input::Reload(&loaded));
                        pipeline.apply_reload(now, loaded);
                        reply
                    }
                    None => Err(CommandError::new(
                        "command",
                        "this service was not started from a site file it can read again",
                    )),
                };
                (req.request_id, outcome)
            }
            Ok(_) => {
                record.input(now, &Input::TccCommand(bytes));
                pipeline.handle_tcc_command(now, bytes)
            }
        };
        a.feed
            .reply(now, request_id.as_deref(), outcome.as_ref().map(|_| ()));
        a.flush();
    }

    /// Stops the link, letting it deliver what it holds for a moment.
    pub async fn close(self) {
        if let Some(a) = self.active {
            a.link.close().await;
        }
    }
}

impl Active {
    fn flush(&mut self) {
        while let Some(p) = self.feed.poll_publish() {
            self.link.offer(p);
        }
    }
}

impl Sink for TccTap {
    fn transmit(&mut self, _tx: &Transmit) {}

    fn event(&mut self, ev: &Event) {
        if let Some(a) = &mut self.active {
            a.feed.handle_event(SystemClock.now(), ev, &a.frame);
            a.flush();
        }
    }
}
