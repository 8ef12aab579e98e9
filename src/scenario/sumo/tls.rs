//! A junction's recorded traffic-light states (SUMO `SaveTLSStates` output) as an actuated
//! signal plan: each signal group's timeline of light changes, and nominal times (cycle,
//! green, yellow, shortest and longest green) measured from that timeline, so the plan
//! holds for fixed-time and actuated SUMO programs alike.

use super::xml::{Tags, XmlFault};
use crate::scenario::{LightChange, SignalGroupSpec, SignalKind, SignalPlan};
use crate::v2x::cn::spat::Light;
use std::collections::BTreeMap;
use std::io::BufRead;

/// SUMO's signal character → light. `u` (red-yellow) and `s` (stop, then go) show red;
/// `o` is off and blinking, `O` off.
pub fn light_of(c: char) -> Option<Light> {
    Some(match c {
        'G' => Light::ProtectedGreen,
        'g' => Light::PermissiveGreen,
        'y' | 'Y' => Light::Yellow,
        'r' | 'R' | 'u' | 's' => Light::Red,
        'o' => Light::FlashingYellow,
        'O' => Light::Dark,
        _ => return None,
    })
}

fn is_green(l: Light) -> bool {
    matches!(
        l,
        Light::PermissiveGreen | Light::ProtectedGreen | Light::FlashingGreen
    )
}

/// The recorded states of traffic light `tls_id`: (simulation time, state string).
pub fn read_states<R: BufRead>(r: R, tls_id: &str) -> Result<Vec<(f64, String)>, XmlFault> {
    let mut tags = Tags::new(r);
    let mut out: Vec<(f64, String)> = Vec::new();
    while let Some(t) = tags.next_tag()? {
        if t.closing || t.name != "tlsState" || t.attr("id") != Some(tls_id) {
            continue;
        }
        let fault = |reason: String| XmlFault {
            line: t.line,
            reason,
        };
        let time = t
            .attr("time")
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .ok_or_else(|| fault("<tlsState> without a valid time".into()))?;
        let state = t
            .attr("state")
            .ok_or_else(|| fault("<tlsState> without state".into()))?;
        if let Some(c) = state.chars().find(|c| light_of(*c).is_none()) {
            return Err(fault(format!("state {state:?}: unknown signal {c:?}")));
        }
        if out.last().is_some_and(|(p, _)| time <= *p) {
            return Err(fault(format!("time {time} is not after the state before")));
        }
        out.push((time, state.to_string()));
    }
    Ok(out)
}

/// The actuated plan of the signal groups (`link index → group`) from recorded states,
/// times relative to `begin_s`. `None` names a group whose link index is missing from the
/// states (a program of another junction's size).
pub fn actuated_plan(
    states: &[(f64, String)],
    groups: &BTreeMap<u32, u8>,
    begin_s: f64,
) -> Result<SignalPlan, String> {
    if states.is_empty() {
        return Err("no traffic-light states were recorded in the time window".into());
    }
    // Each group's first (lowest) link index.
    let mut first_link: BTreeMap<u8, u32> = BTreeMap::new();
    for (&k, &g) in groups {
        first_link.entry(g).or_insert(k);
    }
    let mut specs = Vec::new();
    let mut cycles = Vec::new();
    for (&g, &k) in &first_link {
        let mut timeline: Vec<LightChange> = Vec::new();
        for (t, s) in states {
            let c = s.chars().nth(k as usize).ok_or_else(|| {
                format!("state {s:?} at {t} s has no link index {k} (signal group {g})")
            })?;
            let light = light_of(c).unwrap_or(Light::Unavailable);
            if timeline.last().is_none_or(|l| l.light != light) {
                let t_s = (t - begin_s).max(0.0);
                if timeline.last().is_some_and(|l| l.t_s >= t_s) {
                    // Changes before the window collapse onto its start.
                    timeline.pop();
                }
                timeline.push(LightChange { t_s, light });
            }
        }
        // Whole green and yellow runs (G then g is one green), and green onsets.
        let mut greens = Vec::new();
        let mut yellows = Vec::new();
        let mut onsets = Vec::new();
        let mut i = 0;
        while i < timeline.len() {
            let kind = |l: Light| {
                if is_green(l) {
                    0
                } else if matches!(l, Light::Yellow | Light::FlashingYellow) {
                    1
                } else {
                    2
                }
            };
            let k0 = kind(timeline[i].light);
            let mut j = i + 1;
            while j < timeline.len() && kind(timeline[j].light) == k0 {
                j += 1;
            }
            // Only runs seen from their start (not the first) to their end count.
            if i > 0 && j < timeline.len() {
                let d = timeline[j].t_s - timeline[i].t_s;
                match k0 {
                    0 => greens.push(d),
                    1 => yellows.push(d),
                    _ => {}
                }
            }
            if k0 == 0 && i > 0 {
                onsets.push(timeline[i].t_s);
            }
            i = j;
        }
        cycles.extend(onsets.windows(2).map(|w| w[1] - w[0]));
        let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        specs.push((g, timeline, mean(&greens), mean(&yellows), greens, onsets));
    }
    cycles.sort_by(f64::total_cmp);
    let cycle_s = cycles
        .get(cycles.len() / 2)
        .copied()
        .unwrap_or(90.0)
        .max(10.0);
    let groups = specs
        .into_iter()
        .map(|(id, timeline, green, yellow, greens, onsets)| {
            let yellow_s = yellow.unwrap_or(3.0).min(cycle_s / 4.0);
            let green_s = green
                .unwrap_or(cycle_s / 3.0)
                .clamp(1.0, (cycle_s - yellow_s - 1.0).max(1.0));
            let lo = greens.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = greens.iter().copied().fold(0.0, f64::max);
            SignalGroupSpec {
                id,
                name: None,
                green_start_s: onsets.first().map_or(0.0, |t| t.rem_euclid(cycle_s)),
                green_s,
                yellow_s,
                min_green_s: lo.is_finite().then_some(lo.min(green_s)),
                max_green_s: (hi > 0.0).then_some(hi.max(green_s)),
                // Predicted greens are permissive if any green seen was (SUMO's `g`): never
                // promise a movement a protection it may not have.
                permissive: timeline.iter().any(|c| c.light == Light::PermissiveGreen),
                more_greens: Vec::new(),
                timeline,
            }
        })
        .collect();
    Ok(SignalPlan {
        kind: SignalKind::Actuated,
        cycle_s,
        offset_s: 0.0,
        groups,
        listen: None,
        feed_timeout_s: None,
    })
}

/// Groups the junction's program never changes (red or green in every phase, see
/// `map::sumo`) are steady in the actuated plan too: a recording cannot tell a light that
/// never changes from a long one, the program can, and SPAT must not predict an end for it.
pub fn hold_steady(plan: &mut SignalPlan, program: &SignalPlan) {
    let cycle_s = plan.cycle_s;
    for g in &mut plan.groups {
        let steady = program
            .groups
            .iter()
            .find(|p| p.id == g.id)
            .and_then(|p| p.steady_light(program.cycle_s));
        if let Some(light) = steady {
            g.green_start_s = 0.0;
            g.green_s = if is_green(light) { cycle_s } else { 0.0 };
            (g.yellow_s, g.min_green_s, g.max_green_s) = (0.0, None, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_program_gives_its_times_and_a_timeline_of_changes() {
        // Two groups over three 20 s cycles: link 0/1 green 0–12, yellow 12–15; link 2
        // green 15–17, yellow 17–20.
        let mut states = Vec::new();
        for t in 0..60 {
            let c = t % 20;
            let a = if c < 12 {
                'G'
            } else if c < 15 {
                'y'
            } else {
                'r'
            };
            let b = if c < 15 {
                'r'
            } else if c < 17 {
                'g'
            } else {
                'y'
            };
            states.push((f64::from(t), format!("{a}{a}{b}")));
        }
        let groups: BTreeMap<u32, u8> = [(0, 1), (1, 1), (2, 2)].into_iter().collect();
        let p = actuated_plan(&states, &groups, 5.0).expect("plan");
        assert_eq!(p.cycle_s, 20.0);
        let g1 = &p.groups[0];
        assert_eq!((g1.green_s, g1.yellow_s), (12.0, 3.0));
        assert_eq!(g1.timeline[0].t_s, 0.0, "state at the window's start");
        assert_eq!(g1.timeline[0].light, Light::ProtectedGreen);
        assert_eq!(g1.timeline[1].t_s, 7.0);
        let g2 = &p.groups[1];
        assert_eq!((g2.green_s, g2.yellow_s), (2.0, 3.0));
        assert_eq!(g2.timeline[1].light, Light::PermissiveGreen);
        assert_eq!(g2.green_start_s, 10.0);
        // Predicted greens follow what was seen: g2's were SUMO's `g`.
        assert!(!g1.permissive && g2.permissive);
        let short = vec![(0.0, "G".to_string())];
        assert!(actuated_plan(&short, &groups, 0.0)
            .expect_err("link 2 missing")
            .contains("no link index 2"));
    }

    #[test]
    fn groups_the_program_never_changes_stay_steady() {
        // Group 1 changes; group 2 is green in every phase of the program, group 3 never.
        let states = vec![
            (0.0, "GGr".to_string()),
            (20.0, "yGr".to_string()),
            (23.0, "rGr".to_string()),
            (60.0, "GGr".to_string()),
        ];
        let groups = BTreeMap::from([(0, 1), (1, 2), (2, 3)]);
        let mut p = actuated_plan(&states, &groups, 0.0).expect("plan");
        let mut program = p.clone();
        program.kind = SignalKind::FixedTime;
        program.groups[1].green_s = program.cycle_s;
        program.groups[2].green_s = 0.0;
        hold_steady(&mut p, &program);
        let cycle_s = p.cycle_s;
        let (g1, g2, g3) = (&p.groups[0], &p.groups[1], &p.groups[2]);
        assert_eq!(g1.steady_light(cycle_s), None);
        assert_eq!(g2.steady_light(cycle_s), Some(Light::ProtectedGreen));
        assert_eq!(g3.steady_light(cycle_s), Some(Light::Red));
        // And the plan loads: an actuated plan may hold lights that never change.
        let mut s = crate::scenario::Scenario::default_scenario().expect("default");
        let default = s.signal.take().expect("the default site is signalised");
        for (g, spec) in p.groups.iter().zip(&default.groups) {
            assert_eq!(g.id, spec.id);
        }
        p.groups.push(default.groups[3].clone());
        p.groups[3].timeline = vec![LightChange {
            t_s: 0.0,
            light: Light::Red,
        }];
        s.signal = Some(p);
        let text = toml::to_string(&s).expect("toml");
        crate::scenario::Scenario::parse(&text, std::path::Path::new("x.toml"))
            .expect("an actuated plan with steady groups");
    }
}
