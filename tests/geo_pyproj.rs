//! The site frame against PROJ (pyproj): WGS84 ↔ local ENU within 5 km of the anchor.

mod common;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRng, TestRunner};
use roadsight::geo::{Enu, GeoPoint, SiteFrame};
use serde_json::{json, Value};

/// Straight-line metres between two WGS84 points, measured in the site frame.
fn metres_apart(frame: &SiteFrame, a: GeoPoint, b: GeoPoint) -> f64 {
    let (p, q) = (frame.to_enu(a), frame.to_enu(b));
    ((p.east_m - q.east_m).powi(2) + (p.north_m - q.north_m).powi(2) + (p.up_m - q.up_m).powi(2))
        .sqrt()
}

#[test]
fn site_frame_matches_proj_within_a_centimetre() {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(Default::default(), &[3; 32]),
    );
    let anchors = (-85.0..85.0f64, -180.0..180.0f64, -50.0..2500.0f64);
    let offsets = proptest::collection::vec((-1.0..1.0f64, -1.0..1.0f64, -30.0..100.0f64), 50);
    let mut input = String::new();
    let mut cases = Vec::new();
    for _ in 0..40 {
        let (lat, lon, h) = anchors.new_tree(&mut runner).expect("anchor").current();
        let pts: Vec<Enu> = offsets
            .new_tree(&mut runner)
            .expect("points")
            .current()
            .into_iter()
            // Within 5 km of the anchor.
            .map(|(a, b, u)| {
                let r = 5000.0 * a.abs().sqrt();
                let t = b * std::f64::consts::PI;
                Enu::new(r * t.cos(), r * t.sin(), u)
            })
            .collect();
        let frame = SiteFrame::new(GeoPoint::new(lat, lon, Some(h)));
        let geos: Vec<GeoPoint> = pts.iter().map(|p| frame.to_geo(*p)).collect();
        input.push_str(
            &json!({
                "anchor": [lat, lon, h],
                "enu": pts.iter().map(|p| [p.east_m, p.north_m, p.up_m]).collect::<Vec<_>>(),
                "geo": geos.iter().map(|g| [g.lat_deg, g.lon_deg, g.height_m.unwrap_or(0.0)]).collect::<Vec<_>>(),
            })
            .to_string(),
        );
        input.push('\n');
        cases.push((frame, pts, geos));
    }
    let (code, out, err) = common::run_tool("geo_check.py", &[], &input);
    assert_eq!(code, 0, "{err}");
    let mut worst: f64 = 0.0;
    let mut n = 0;
    for ((frame, pts, geos), line) in cases.iter().zip(out.lines()) {
        let v: Value = serde_json::from_str(line).expect("json");
        for ((p, g), (proj_geo, proj_enu)) in pts.iter().zip(geos).zip(
            v["enu_to_geo"]
                .as_array()
                .expect("enu_to_geo")
                .iter()
                .zip(v["geo_to_enu"].as_array().expect("geo_to_enu")),
        ) {
            let pg = GeoPoint::new(
                proj_geo[0].as_f64().expect("lat"),
                proj_geo[1].as_f64().expect("lon"),
                proj_geo[2].as_f64(),
            );
            // ENU → WGS84: ours against PROJ's.
            let d1 = metres_apart(frame, *g, pg);
            // WGS84 → ENU: ours (of our WGS84 point) against PROJ's.
            let pe = Enu::new(
                proj_enu[0].as_f64().expect("e"),
                proj_enu[1].as_f64().expect("n"),
                proj_enu[2].as_f64().expect("u"),
            );
            let ours = frame.to_enu(*g);
            let d2 = ((ours.east_m - pe.east_m).powi(2)
                + (ours.north_m - pe.north_m).powi(2)
                + (ours.up_m - pe.up_m).powi(2))
            .sqrt();
            // And the round trip lands where it started.
            let d3 = ((ours.east_m - p.east_m).powi(2)
                + (ours.north_m - p.north_m).powi(2)
                + (ours.up_m - p.up_m).powi(2))
            .sqrt();
            worst = worst.max(d1).max(d2).max(d3);
            n += 1;
        }
    }
    assert_eq!(n, 2000);
    assert!(worst < 0.01, "worst disagreement with PROJ: {worst} m");
    eprintln!("site frame vs PROJ: {n} points, worst {:.2e} m", worst);
}
