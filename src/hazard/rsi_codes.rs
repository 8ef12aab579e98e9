//! Which RSI codes a hazard goes out with: a road traffic event (RTE, `eventType`) and a
//! road traffic sign (RTS, `signType`), per hazard kind, from the code tables the CN set
//! names (YD/T 3709-2020 / T/CSAE 53-2020, module V2X2020: `EventType` "according to China
//! GB/T 29100-2012", `SignType` "according to China GB 5768.2"). Sources per code are in
//! `docs/hazards.md`.
//!
//! Signs: `SignType` numbers the signs of GB 5768.2-2009 in the order the standard lists
//! them, warning signs first (警1 … 警47). The ASN.1 module's own examples fix that scheme
//! (`SharpTurn = 2` is 警2 急弯路, `Rockfall = 15` is 警15 注意落石, `Slippy = 17` is 警17
//! 易滑, `Tunnel = 21` is 警21 隧道, `Danger = 37` is 警37 注意危险, `UnderConstruction = 38`
//! is 警38 施工), and in it 警10 is 注意行人 (watch for pedestrians), 警14 注意信号灯 (watch
//! for traffic signals) and 警32 注意非机动车 (watch for non-motor vehicles).
//!
//! Events: GB/T 29100-2012 codes traffic *incidents* (accidents, breakdowns, road surface,
//! weather, control, congestion: e.g. 100 traffic accident, 101 vehicle breakdown, 407
//! water on the road, 408 slippery road, 707 congestion). No code of it that we could find
//! names a predicted collision, a pedestrian or cyclist at risk, or a vehicle about to run
//! a red light, and a predicted conflict is not an accident. So no RTE is sent by default:
//! the warning goes out as its sign (plus the description naming the road users and
//! values); a deployment whose receivers' profile assigns event codes sets them here.

use super::{Hazard, HazardKind};
use serde::{Deserialize, Serialize};

/// GB 5768.2-2009 警10 注意行人: watch for pedestrians.
pub const SIGN_WATCH_FOR_PEDESTRIANS: u16 = 10;
/// GB 5768.2-2009 警14 注意信号灯: watch for traffic signals.
pub const SIGN_WATCH_FOR_SIGNALS: u16 = 14;
/// GB 5768.2-2009 警32 注意非机动车: watch for non-motor vehicles (cyclists).
pub const SIGN_WATCH_FOR_CYCLISTS: u16 = 32;
/// GB 5768.2-2009 警37 注意危险: danger (`Danger = 37` in the V2X2020 module's comment).
pub const SIGN_DANGER: u16 = 37;

/// RSI codes per hazard kind, as the site's deployment profile assigns them. `None` sends
/// no RTE (or no RTS) for that kind.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RsiEventTypes {
    /// RTE `eventType` (GB/T 29100-2012) per kind: none by default, see the module docs.
    pub intersection_collision: Option<u16>,
    pub vulnerable_road_user: Option<u16>,
    pub red_light_violation: Option<u16>,
    /// A red-light violation once seen done ([`super::Values::ran_red`]).
    pub red_light_running: Option<u16>,
    /// RTS `signType` (GB 5768.2-2009 numbering) per kind.
    pub signs: RsiSignTypes,
}

/// RTS sign codes per kind; a VRU hazard gets the pedestrian or the cyclist sign by the
/// class of the road user at risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RsiSignTypes {
    pub intersection_collision: Option<u16>,
    pub vru_pedestrian: Option<u16>,
    pub vru_cyclist: Option<u16>,
    pub red_light_violation: Option<u16>,
    pub red_light_running: Option<u16>,
}

impl Default for RsiSignTypes {
    fn default() -> Self {
        Self {
            intersection_collision: Some(SIGN_DANGER),
            vru_pedestrian: Some(SIGN_WATCH_FOR_PEDESTRIANS),
            vru_cyclist: Some(SIGN_WATCH_FOR_CYCLISTS),
            red_light_violation: Some(SIGN_WATCH_FOR_SIGNALS),
            red_light_running: Some(SIGN_WATCH_FOR_SIGNALS),
        }
    }
}

impl RsiEventTypes {
    /// The RTE code of a hazard; GLOSA is advice, not an event, and has none.
    pub fn of(&self, h: &Hazard) -> Option<u16> {
        match h.kind {
            HazardKind::IntersectionCollision => self.intersection_collision,
            HazardKind::VulnerableRoadUser => self.vulnerable_road_user,
            HazardKind::RedLightViolation if h.values.ran_red => self.red_light_running,
            HazardKind::RedLightViolation => self.red_light_violation,
            HazardKind::Glosa => None,
        }
    }

    /// The RTS code of a hazard: for a VRU hazard a cyclist gets the non-motor-vehicle sign
    /// unless a pedestrian is also involved.
    pub fn sign_of(&self, h: &Hazard) -> Option<u16> {
        let s = &self.signs;
        match h.kind {
            HazardKind::IntersectionCollision => s.intersection_collision,
            HazardKind::VulnerableRoadUser => {
                let has = |c: &str| h.classes.iter().any(|x| x == c);
                if has("bicycle") && !has("pedestrian") {
                    s.vru_cyclist
                } else {
                    s.vru_pedestrian
                }
            }
            HazardKind::RedLightViolation if h.values.ran_red => s.red_light_running,
            HazardKind::RedLightViolation => s.red_light_violation,
            HazardKind::Glosa => None,
        }
    }

    /// Whether a hazard goes out in RSI at all.
    pub fn publishes(&self, h: &Hazard) -> bool {
        self.of(h).is_some() || self.sign_of(h).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_send_signs_not_unverified_events() {
        let h = |kind: HazardKind, classes: &[&str], ran_red: bool| Hazard {
            id: 1,
            kind,
            road_users: vec![1, 2],
            classes: classes.iter().map(|s| s.to_string()).collect(),
            sensors: vec![],
            priority: 6,
            point: [0.0, 0.0],
            rule: "test",
            values: crate::hazard::Values {
                ran_red,
                ..Default::default()
            },
            lane: None,
            started: String::new(),
        };
        let c = RsiEventTypes::default();
        for k in HazardKind::ALL {
            assert_eq!(c.of(&h(k, &[], false)), None, "{k:?}");
            assert_eq!(c.of(&h(k, &[], true)), None, "{k:?}");
        }
        let vru = HazardKind::VulnerableRoadUser;
        assert_eq!(c.sign_of(&h(vru, &["car", "pedestrian"], false)), Some(10));
        assert_eq!(c.sign_of(&h(vru, &["bicycle", "truck"], false)), Some(32));
        let collision = h(HazardKind::IntersectionCollision, &[], false);
        assert_eq!(c.sign_of(&collision), Some(37));
        let red = HazardKind::RedLightViolation;
        assert_eq!(c.sign_of(&h(red, &["car"], false)), Some(14));
        assert_eq!(c.sign_of(&h(red, &["car"], true)), Some(14));
        assert_eq!(c.sign_of(&h(HazardKind::Glosa, &[], false)), None);
        assert!(!c.publishes(&h(HazardKind::Glosa, &[], false)));
        // A site config may set event codes; a bare integer reads as the code; a red-light
        // violation seen done may have its own.
        let t: RsiEventTypes = toml::from_str(
            "intersection_collision = 100\nred_light_running = 7\n[signs]\nvru_cyclist = 10\n",
        )
        .expect("toml");
        assert_eq!(t.of(&collision), Some(100));
        assert_eq!(t.of(&h(red, &["car"], false)), None);
        assert_eq!(t.of(&h(red, &["car"], true)), Some(7));
        assert_eq!(t.sign_of(&h(vru, &["bicycle"], false)), Some(10));
        assert_eq!(t.signs.vru_pedestrian, Some(10));
    }
}
