//! Signals: SPAT from a live controller feed (with its timing and confidence), stopped — never
//! stale — when the feed falls silent, resumed when it returns; a bad update refused with
//! the field named while the last good state stays; phase-change and all-red events from
//! the plan; an actuated plan reported as traffic-dependent with uncertain ends.

use roadsight::pipeline::{Event, MessageKind, Pipeline, PipelineConfig};
use roadsight::scenario::{LightChange, Scenario, SignalKind};
use roadsight::signal::SignalEvent;
use roadsight::time::Timestamp;
use roadsight::v2x::cn::spat::{status, Light, PhaseTiming};
use roadsight::v2x::cn::{decode_frame, CnMessage};

fn spats(p: &mut Pipeline) -> Vec<roadsight::v2x::cn::spat::Spat> {
    let mut out = Vec::new();
    while let Some(tx) = p.poll_transmit() {
        if tx.kind == MessageKind::Spat {
            let f = decode_frame(&tx.bytes).expect("SPAT decodes");
            if let Some(CnMessage::Spat(s)) = CnMessage::from_frame(&f) {
                out.push(s);
            }
        }
    }
    out
}

fn events(p: &mut Pipeline) -> Vec<Event> {
    std::iter::from_fn(|| p.poll_event()).collect()
}

fn update(now: Timestamp, light: &str, likely_end_s: f64) -> String {
    let t = now.micros() as f64 / 1000.0;
    let groups: Vec<String> = [1, 2, 3, 4]
        .iter()
        .map(|id| {
            format!(
                r#"{{"id":{id},"light":"{light}","start_ms":{},"min_end_ms":{},"max_end_ms":{},"likely_end_ms":{},"confidence":0.8}}"#,
                t - 4000.0,
                t + 1000.0,
                t + 40000.0,
                t + likely_end_s * 1000.0
            )
        })
        .collect();
    format!(
        r#"{{"version":1,"controller":"tsc-42","timestamp_ms":{t},"mode":"actuated","groups":[{}]}}"#,
        groups.join(",")
    )
}

#[test]
fn spat_follows_the_feed_and_stops_when_it_is_lost() {
    let s = Scenario::default_scenario().expect("default");
    let epoch = s.start();
    let cfg = PipelineConfig::from_scenario(&s, epoch).with_signal_feed(&s);
    let mut p = Pipeline::new(cfg, epoch).expect("pipeline");
    let at = |secs: f64| epoch.add_secs(secs);
    // No feed yet: no SPAT (MAP still goes out).
    p.handle_timeout(at(0.5));
    assert!(spats(&mut p).is_empty());
    p.handle_signal_feed(
        at(0.55),
        update(at(0.55), "protected_green", 12.0).as_bytes(),
    );
    p.handle_timeout(at(1.0));
    let got = spats(&mut p);
    assert_eq!(got.len(), 5, "10 Hz from 0.6 s to 1.0 s");
    let i = &got[4].intersections[0];
    assert_eq!(i.status, status::TRAFFIC_DEPENDENT);
    let st = &i.phases[0].states[0];
    assert_eq!(st.light, Light::ProtectedGreen);
    let Some(PhaseTiming::Countdown {
        likely_end_s,
        min_end_s,
        max_end_s,
        confidence,
        ..
    }) = st.timing
    else {
        panic!("countdown timing: {:?}", st.timing)
    };
    // At 1.0 s the likely end (0.55 + 12 s) is 11.55 s away, in tenths of a second.
    assert!(
        (likely_end_s.unwrap() - 11.55).abs() < 0.051,
        "{likely_end_s:?}"
    );
    assert!(
        (min_end_s.unwrap() - 0.55).abs() < 0.051 && (max_end_s.unwrap() - 39.55).abs() < 0.051
    );
    assert!(
        confidence.is_some_and(|c| (0.75..=0.85).contains(&c)),
        "{confidence:?}"
    );
    // A state whose end is already past is refused, named; the last good state stays.
    p.handle_signal_feed(at(1.05), update(at(1.05), "yellow", -20.0).as_bytes());
    p.handle_timeout(at(1.2));
    assert!(spats(&mut p)
        .iter()
        .all(|s| s.intersections[0].phases[0].states[0].light == Light::ProtectedGreen));
    let ev = events(&mut p);
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::SignalFeedRejected { reason, .. }
        if reason.contains("groups[0].likely_end_ms"))),
        "{ev:?}"
    );
    assert_eq!(p.stats().signal_feed_rejected, 1);
    // Silent for more than the 2 s timeout: SPAT stops and the loss is an event.
    p.handle_timeout(at(4.0));
    let late = spats(&mut p);
    assert!(
        !late.is_empty() && late.len() < 25,
        "SPAT until 2.55 s only: {}",
        late.len()
    );
    assert!(events(&mut p).iter().any(|e| matches!(
        e,
        Event::Signal {
            change: SignalEvent::FeedLost,
            ..
        }
    )));
    // Back: SPAT resumes with the new state, and the return is an event.
    p.handle_signal_feed(at(4.05), update(at(4.05), "red", 20.0).as_bytes());
    p.handle_timeout(at(4.5));
    let back = spats(&mut p);
    assert!(!back.is_empty());
    assert_eq!(
        back[0].intersections[0].phases[0].states[0].light,
        Light::Red
    );
    let ev = events(&mut p);
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::Signal {
            change: SignalEvent::FeedRestored,
            ..
        }
    )));
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::Signal {
            change: SignalEvent::PhaseChange {
                from: Light::ProtectedGreen,
                to: Light::Red,
                ..
            },
            ..
        }
    )));
}

#[test]
fn the_plan_gives_phase_changes_and_all_red() {
    let s = Scenario::default_scenario().expect("default");
    let epoch = s.start();
    let mut p = Pipeline::new(PipelineConfig::from_scenario(&s, epoch), epoch).expect("pipeline");
    let mut changes = Vec::new();
    for k in 0..=800 {
        p.handle_timeout(epoch.add_secs(f64::from(k) * 0.1));
        for e in events(&mut p) {
            if let Event::Signal { change, .. } = e {
                changes.push(change);
            }
        }
    }
    // 80 s of a 72 s cycle: each of 4 groups goes green, yellow, red at least once.
    let phase_changes = changes
        .iter()
        .filter(|c| matches!(c, SignalEvent::PhaseChange { .. }))
        .count();
    assert!(
        (12..=16).contains(&phase_changes),
        "{phase_changes}: {changes:?}"
    );
    assert!(changes.iter().any(|c| matches!(c, SignalEvent::AllRed)));
    assert!(!changes.iter().any(|c| matches!(c, SignalEvent::FeedLost)));
}

#[test]
fn an_actuated_plan_is_traffic_dependent_with_uncertain_ends() {
    let mut s = Scenario::default_scenario().expect("default");
    let plan = s.signal.as_mut().expect("the default site is signalised");
    plan.kind = SignalKind::Actuated;
    let cycle = plan.cycle_s;
    for g in &mut plan.groups {
        (g.min_green_s, g.max_green_s) = (Some(g.green_s * 0.5), Some(g.green_s * 1.5));
        // The recorded plan: the fixed cycle, each green a little longer every cycle.
        for c in 0..3 {
            let base = f64::from(c) * cycle + g.green_start_s;
            let green = g.green_s * (0.8 + 0.1 * f64::from(c));
            g.timeline.push(LightChange {
                t_s: base,
                light: Light::ProtectedGreen,
            });
            g.timeline.push(LightChange {
                t_s: base + green,
                light: Light::Yellow,
            });
            g.timeline.push(LightChange {
                t_s: base + green + g.yellow_s,
                light: Light::Red,
            });
        }
    }
    let text = toml::to_string(&s).expect("serialise");
    let s =
        Scenario::parse(&text, std::path::Path::new("actuated.toml")).expect("valid actuated plan");
    let epoch = s.start();
    let mut p = Pipeline::new(PipelineConfig::from_scenario(&s, epoch), epoch).expect("pipeline");
    p.handle_timeout(epoch.add_secs(cycle + 30.0));
    let last = spats(&mut p).pop().expect("SPAT");
    let i = &last.intersections[0];
    assert_eq!(i.status, status::TRAFFIC_DEPENDENT);
    let greens: Vec<_> = i
        .phases
        .iter()
        .flat_map(|ph| ph.states.first())
        .filter(|st| st.light == Light::ProtectedGreen)
        .collect();
    assert!(!greens.is_empty());
    for st in greens {
        let Some(PhaseTiming::Countdown {
            min_end_s,
            max_end_s,
            likely_end_s,
            confidence,
            ..
        }) = st.timing
        else {
            panic!("timing")
        };
        let (lo, hi, likely) = (
            min_end_s.unwrap(),
            max_end_s.unwrap(),
            likely_end_s.unwrap(),
        );
        assert!(
            lo <= likely && likely <= hi && lo < hi,
            "{lo} {likely} {hi}"
        );
        assert!(confidence.is_some_and(|c| c < 1.0));
    }
}
