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

use super::HazardKind;
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
    /// The RTE code of a kind; GLOSA is advice, not an event, and has none.
    pub fn of(&self, k: HazardKind) -> Option<u16> {
        match k {
            HazardKind::IntersectionCollision => self.intersection_collision,
            HazardKind::VulnerableRoadUser => self.vulnerable_road_user,
            HazardKind::RedLightViolation => self.red_light_violation,
            HazardKind::RedLightRunning => self.red_light_running,
            HazardKind::Glosa => None,
        }
    }

    /// The RTS code of a hazard of kind `k` whose road users have `classes` (lower-case
    /// class names, as in [`super::Hazard::classes`]): a cyclist gets the non-motor-vehicle
    /// sign unless a pedestrian is also involved.
    pub fn sign_of(&self, k: HazardKind, classes: &[String]) -> Option<u16> {
        let s = &self.signs;
        match k {
            HazardKind::IntersectionCollision => s.intersection_collision,
            HazardKind::VulnerableRoadUser => {
                let has = |c: &str| classes.iter().any(|x| x == c);
                if has("bicycle") && !has("pedestrian") {
                    s.vru_cyclist
                } else {
                    s.vru_pedestrian
                }
            }
            HazardKind::RedLightViolation => s.red_light_violation,
            HazardKind::RedLightRunning => s.red_light_running,
            HazardKind::Glosa => None,
        }
    }

    /// Whether a hazard of kind `k` goes out in RSI at all.
    pub fn publishes(&self, k: HazardKind) -> bool {
        self.of(k).is_some() || self.sign_of(k, &[]).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_send_signs_not_unverified_events() {
        let c = RsiEventTypes::default();
        for k in HazardKind::ALL {
            assert_eq!(c.of(k), None, "{k:?}");
        }
        let cls = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let vru = HazardKind::VulnerableRoadUser;
        assert_eq!(c.sign_of(vru, &cls(&["car", "pedestrian"])), Some(10));
        assert_eq!(c.sign_of(vru, &cls(&["bicycle", "truck"])), Some(32));
        assert_eq!(c.sign_of(HazardKind::IntersectionCollision, &[]), Some(37));
        assert_eq!(c.sign_of(HazardKind::RedLightViolation, &[]), Some(14));
        assert_eq!(c.sign_of(HazardKind::Glosa, &[]), None);
        assert!(!c.publishes(HazardKind::Glosa));
        // A site config may set event codes; a bare integer reads as the code.
        let t: RsiEventTypes =
            toml::from_str("intersection_collision = 100\n[signs]\nvru_cyclist = 10\n")
                .expect("toml");
        assert_eq!(t.of(HazardKind::IntersectionCollision), Some(100));
        assert_eq!(t.sign_of(vru, &cls(&["bicycle"])), Some(10));
        assert_eq!(t.signs.vru_pedestrian, Some(10));
    }
}
