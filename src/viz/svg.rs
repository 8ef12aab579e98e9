//! A top-down SVG of one [`Scene`], hand-written (no dependency): the map (lanes at their
//! widths, stop lines, connections, crosswalks, buildings), signal lights at the stop
//! lines, sensors with their fields of view, each sensor's latest detections, ground truth
//! (dashed outlines), tracks (filled boxes with ID, a one-second velocity arrow and the 2σ
//! position ellipse) and hazards (the pair joined, the conflict point ringed).
//!
//! Each track is one `<g class="track" data-id="…">`, each true road user one
//! `<g class="truth">`, each hazard one `<g class="hazard">`, so tests and scripts can
//! count them.

use super::Scene;
use crate::fusion::Class;
use crate::scenario::{LaneDirection, RoadUserClass, Scenario, SensorKind};
use crate::v2x::cn::spat::Light;
use std::fmt::Write;

/// The picture's frame.
#[derive(Debug, Clone, Copy)]
pub struct SvgOptions {
    /// Half the width and height of the area shown, metres around the site origin.
    pub half_extent_m: f64,
    pub px_per_m: f64,
}

impl Default for SvgOptions {
    fn default() -> Self {
        Self {
            half_extent_m: 75.0,
            px_per_m: 6.0,
        }
    }
}

fn class_colour(c: Class) -> &'static str {
    match c {
        Class::Car => "#1f77b4",
        Class::Truck => "#8c564b",
        Class::Bus => "#9467bd",
        Class::Motorcycle => "#e377c2",
        Class::Bicycle => "#2ca02c",
        Class::Pedestrian => "#ff7f0e",
        Class::Unknown => "#7f7f7f",
    }
}

fn light_colour(l: Light) -> &'static str {
    match l {
        Light::ProtectedGreen | Light::PermissiveGreen | Light::FlashingGreen => "#1db325",
        Light::Yellow | Light::FlashingYellow => "#f2c200",
        Light::Red | Light::FlashingRed => "#d62728",
        Light::Dark | Light::Unavailable => "#555555",
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Site frame → picture.
struct View {
    x0: f64,
    y1: f64,
    k: f64,
}

impl View {
    fn p(&self, e: f64, n: f64) -> (f64, f64) {
        ((e - self.x0) * self.k, (self.y1 - n) * self.k)
    }
    fn points(&self, pts: &[[f64; 2]]) -> String {
        pts.iter()
            .map(|q| {
                let (x, y) = self.p(q[0], q[1]);
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The picture of `scene` in `scenario` (`name` in the title).
pub fn render(scenario: &Scenario, scene: &Scene, name: &str, opts: &SvgOptions) -> String {
    let h = opts.half_extent_m;
    let v = View {
        x0: -h,
        y1: h,
        k: opts.px_per_m,
    };
    let size = 2.0 * h * v.k;
    let legend_w = 230.0;
    let mut s = String::new();
    let w = |s: &mut String, text: String| s.push_str(&text);
    w(
        &mut s,
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0}\" height=\"{size:.0}\" \
             viewBox=\"0 0 {:.0} {size:.0}\" font-family=\"sans-serif\">\n",
            size + legend_w,
            size + legend_w
        ),
    );
    w(
        &mut s,
        format!(
            "<defs><clipPath id=\"view\"><rect width=\"{size:.0}\" height=\"{size:.0}\"/></clipPath>\
             <marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"5\" \
             markerHeight=\"5\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" \
             fill=\"context-stroke\"/></marker></defs>\n\
             <rect width=\"{size:.0}\" height=\"{size:.0}\" fill=\"#eef0ea\"/>\n\
             <g clip-path=\"url(#view)\">\n"
        ),
    );
    let m = &scenario.map;
    // Map.
    s.push_str("<g id=\"map\">\n");
    for b in &m.buildings {
        w(
            &mut s,
            format!(
                "<polygon class=\"building\" points=\"{}\" fill=\"#c9b9a6\" stroke=\"#8a7a66\"/>\n",
                v.points(&b.footprint)
            ),
        );
    }
    let lane_w = |id: u8| {
        m.lanes
            .iter()
            .find(|l| l.id == id)
            .map_or(3.0, |l| l.width_m)
    };
    for c in &m.connections {
        if c.path.len() >= 2 {
            w(
                &mut s,
                format!(
                    "<polyline class=\"connection\" points=\"{}\" fill=\"none\" stroke=\"#b4b4b4\" \
                     stroke-width=\"{:.1}\" stroke-opacity=\"0.55\"/>\n",
                    v.points(&c.path),
                    lane_w(c.from) * v.k * 0.9
                ),
            );
        }
    }
    for l in &m.lanes {
        w(
            &mut s,
            format!(
                "<polyline class=\"lane\" points=\"{}\" fill=\"none\" stroke=\"#9c9c9c\" \
                 stroke-width=\"{:.1}\"/>\n<polyline points=\"{}\" fill=\"none\" stroke=\"#ffffff\" \
                 stroke-width=\"1\" stroke-dasharray=\"6 8\" stroke-opacity=\"0.7\"/>\n",
                v.points(&l.centreline),
                l.width_m * v.k,
                v.points(&l.centreline),
            ),
        );
    }
    for c in &m.crosswalks {
        let (pts, width) = match (&c.polygon, &c.centreline, c.width_m) {
            (_, Some(cl), Some(wd)) => (cl.clone(), wd),
            (Some(p), _, _) => (p.clone(), 0.0),
            _ => continue,
        };
        if width > 0.0 {
            w(
                &mut s,
                format!(
                    "<polyline class=\"crosswalk\" points=\"{}\" fill=\"none\" stroke=\"#ffffff\" \
                     stroke-width=\"{:.1}\" stroke-dasharray=\"{:.1} {:.1}\"/>\n",
                    v.points(&pts),
                    width * v.k,
                    0.5 * v.k,
                    0.5 * v.k
                ),
            );
        } else {
            w(
                &mut s,
                format!(
                    "<polygon class=\"crosswalk\" points=\"{}\" fill=\"#ffffff\" fill-opacity=\"0.8\"/>\n",
                    v.points(&pts)
                ),
            );
        }
    }
    // Stop lines and the lights.
    for l in m
        .lanes
        .iter()
        .filter(|l| l.direction == LaneDirection::Ingress)
    {
        let n = l.centreline.len();
        if n < 2 {
            continue;
        }
        let (a, b) = (l.centreline[n - 2], l.centreline[n - 1]);
        let d = (b[0] - a[0]).hypot(b[1] - a[1]).max(1e-9);
        let (ux, uy) = ((b[0] - a[0]) / d, (b[1] - a[1]) / d);
        let half = l.width_m / 2.0;
        let (x1, y1) = v.p(b[0] - uy * half, b[1] + ux * half);
        let (x2, y2) = v.p(b[0] + uy * half, b[1] - ux * half);
        w(
            &mut s,
            format!(
                "<line class=\"stop-line\" x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" \
                 stroke=\"#ffffff\" stroke-width=\"{:.1}\"/>\n",
                0.4 * v.k
            ),
        );
        if let Some(g) = l.signal_group.or_else(|| {
            m.connections
                .iter()
                .find(|c| c.from == l.id)
                .and_then(|c| c.signal_group)
        }) {
            let colour = scene.lights.get(&g).map_or("#555555", |x| light_colour(*x));
            let (cx, cy) = v.p(b[0] - ux * 1.5, b[1] - uy * 1.5);
            w(
                &mut s,
                format!(
                    "<circle class=\"signal\" data-group=\"{g}\" cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{:.1}\" \
                     fill=\"{colour}\" stroke=\"#222\" stroke-width=\"1\"/>\n",
                    0.9 * v.k
                ),
            );
        }
    }
    for c in &m.crosswalks {
        let (Some(g), Some(p)) = (
            c.signal_group,
            c.centreline
                .as_ref()
                .or(c.polygon.as_ref())
                .and_then(|p| p.first()),
        ) else {
            continue;
        };
        let colour = scene.lights.get(&g).map_or("#555555", |x| light_colour(*x));
        let (cx, cy) = v.p(p[0], p[1]);
        w(
            &mut s,
            format!(
                "<rect class=\"signal\" data-group=\"{g}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
                 fill=\"{colour}\" stroke=\"#222\" stroke-width=\"1\"/>\n",
                cx - 0.6 * v.k,
                cy - 0.6 * v.k,
                1.2 * v.k,
                1.2 * v.k
            ),
        );
    }
    s.push_str("</g>\n");

    // Sensors and their fields of view.
    s.push_str("<g id=\"sensors\">\n");
    for x in &scenario.sensors {
        let colour = match x.kind {
            SensorKind::Camera => "#3b6fd6",
            SensorKind::Radar => "#a04bd0",
            SensorKind::Bsm => "#2a9d5c",
        };
        let (px, py) = v.p(x.position.east_m, x.position.north_m);
        let r = x.range_m.min(4.0 * h);
        let a0 = (x.yaw_deg - x.fov_deg / 2.0).to_radians();
        let a1 = (x.yaw_deg + x.fov_deg / 2.0).to_radians();
        let (ex0, ey0) = v.p(
            x.position.east_m + r * a0.cos(),
            x.position.north_m + r * a0.sin(),
        );
        let (ex1, ey1) = v.p(
            x.position.east_m + r * a1.cos(),
            x.position.north_m + r * a1.sin(),
        );
        let large = u8::from(x.fov_deg > 180.0);
        // Counter-clockwise in the site frame is clockwise on screen (y down): sweep 0.
        w(
            &mut s,
            format!(
                "<g class=\"sensor\" data-id=\"{id}\"><path d=\"M{px:.1},{py:.1} L{ex0:.1},{ey0:.1} \
                 A{rr:.1},{rr:.1} 0 {large} 0 {ex1:.1},{ey1:.1} Z\" fill=\"{colour}\" fill-opacity=\"0.06\" \
                 stroke=\"{colour}\" stroke-opacity=\"0.35\"/><rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" \
                 height=\"8\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" \
                 fill=\"{colour}\">{id}</text></g>\n",
                px - 4.0,
                py - 4.0,
                px + 6.0,
                py - 6.0,
                id = esc(&x.id),
                rr = r * v.k,
            ),
        );
    }
    for (sensor, dets) in &scene.detections {
        let colour = match scenario.sensors.get(usize::from(*sensor)).map(|x| x.kind) {
            Some(SensorKind::Radar) => "#a04bd0",
            _ => "#3b6fd6",
        };
        for d in dets {
            let (x, y) = v.p(d[0], d[1]);
            w(
                &mut s,
                format!(
                    "<path class=\"detection\" d=\"M{:.1},{:.1} l6,6 m0,-6 l-6,6\" stroke=\"{colour}\" \
                     stroke-width=\"1.2\"/>\n",
                    x - 3.0,
                    y - 3.0
                ),
            );
        }
    }
    s.push_str("</g>\n");

    // Ground truth.
    s.push_str("<g id=\"truth\">\n");
    for t in &scene.truth {
        let (cx, cy) = v.p(t.east_m, t.north_m);
        let (l, wd) = (t.length_m * v.k, t.width_m * v.k);
        w(
            &mut s,
            format!(
                "<g class=\"truth\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{l:.1}\" height=\"{wd:.1}\" \
                 transform=\"rotate({:.1} {cx:.1} {cy:.1})\" fill=\"none\" stroke=\"#111\" \
                 stroke-width=\"1\" stroke-dasharray=\"3 2\"/></g>\n",
                cx - l / 2.0,
                cy - wd / 2.0,
                -t.yaw_rad.to_degrees()
            ),
        );
    }
    s.push_str("</g>\n");

    // Tracks.
    s.push_str("<g id=\"tracks\">\n");
    for o in &scene.tracks {
        let (cx, cy) = v.p(o.east_m, o.north_m);
        let colour = class_colour(o.class);
        let (a, b, c) = (o.state_cov[0][0], o.state_cov[0][1], o.state_cov[1][1]);
        let mid = (a + c) / 2.0;
        let rad = (((a - c) / 2.0).powi(2) + b * b).sqrt();
        let (l1, l2) = ((mid + rad).max(0.0), (mid - rad).max(0.0));
        let ang = 0.5 * (2.0 * b).atan2(a - c);
        let (l, wd) = (o.length_m * v.k, o.width_m * v.k);
        let (vx, vy) = v.p(o.east_m + o.vel_east_mps, o.north_m + o.vel_north_mps);
        let arrow = if o.speed_mps() > 0.3 {
            format!(
                "<line x1=\"{cx:.1}\" y1=\"{cy:.1}\" x2=\"{vx:.1}\" y2=\"{vy:.1}\" stroke=\"{colour}\" \
                 stroke-width=\"2\" marker-end=\"url(#arrow)\"/>"
            )
        } else {
            String::new()
        };
        w(
            &mut s,
            format!(
                "<g class=\"track\" data-id=\"{id}\"><ellipse cx=\"{cx:.1}\" cy=\"{cy:.1}\" rx=\"{:.1}\" \
                 ry=\"{:.1}\" transform=\"rotate({:.1} {cx:.1} {cy:.1})\" fill=\"{colour}\" \
                 fill-opacity=\"0.15\" stroke=\"{colour}\" stroke-width=\"0.8\"/><rect x=\"{:.1}\" \
                 y=\"{:.1}\" width=\"{l:.1}\" height=\"{wd:.1}\" transform=\"rotate({:.1} {cx:.1} {cy:.1})\" \
                 fill=\"{colour}\" fill-opacity=\"0.75\" stroke=\"#000\" stroke-width=\"0.6\"/>{arrow}\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" font-weight=\"bold\" fill=\"#000\" \
                 stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{id}</text></g>\n",
                (2.0 * l1.sqrt() * v.k).max(1.0),
                (2.0 * l2.sqrt() * v.k).max(1.0),
                -ang.to_degrees(),
                cx - l / 2.0,
                cy - wd / 2.0,
                -o.yaw_rad.to_degrees(),
                cx + 0.5 * l.max(wd) + 2.0,
                cy - 0.5 * l.max(wd) - 2.0,
                id = o.id
            ),
        );
    }
    s.push_str("</g>\n");

    // Hazards.
    s.push_str("<g id=\"hazards\">\n");
    for hz in &scene.hazards {
        let ends: Vec<(f64, f64)> = hz
            .road_users
            .iter()
            .filter_map(|id| scene.tracks.iter().find(|o| o.id == *id))
            .map(|o| v.p(o.east_m, o.north_m))
            .collect();
        let (px, py) = v.p(hz.point[0], hz.point[1]);
        let mut g = format!("<g class=\"hazard\" data-id=\"{}\">", hz.id);
        for &(x, y) in &ends {
            let _ = write!(
                g,
                "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{px:.1}\" y2=\"{py:.1}\" stroke=\"#e00000\" \
                 stroke-width=\"2.5\" stroke-dasharray=\"6 3\"/>"
            );
        }
        let kind = serde_json::to_value(hz.kind)
            .ok()
            .and_then(|x| x.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(
            g,
            "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"9\" fill=\"none\" stroke=\"#e00000\" \
             stroke-width=\"3\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" font-weight=\"bold\" \
             fill=\"#e00000\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text></g>",
            px + 11.0,
            py + 4.0,
            esc(&kind)
        );
        s.push_str(&g);
    }
    s.push_str("</g>\n</g>\n");

    // Frame, scale bar, legend.
    let lx = size + 12.0;
    w(
        &mut s,
        format!(
            "<rect x=\"{size:.0}\" width=\"{legend_w:.0}\" height=\"{size:.0}\" fill=\"#ffffff\"/>\n\
             <line x1=\"{size:.0}\" x2=\"{size:.0}\" y1=\"0\" y2=\"{size:.0}\" stroke=\"#888\"/>\n\
             <text x=\"{lx:.0}\" y=\"24\" font-size=\"14\" font-weight=\"bold\">{}</text>\n\
             <text x=\"{lx:.0}\" y=\"44\" font-size=\"13\">t = {:.1} s</text>\n\
             <text x=\"{lx:.0}\" y=\"62\" font-size=\"12\">{} tracks, {} true, {} hazards</text>\n",
            esc(&truncate(name, 28)),
            scene.time_s,
            scene.tracks.len(),
            scene.truth.len(),
            scene.hazards.len()
        ),
    );
    let mut y = 90.0;
    let mut item = |s: &mut String, swatch: String, label: &str| {
        let _ = writeln!(
            s,
            "<g transform=\"translate({lx:.0},{y:.0})\">{swatch}<text x=\"26\" y=\"5\" \
             font-size=\"12\">{label}</text></g>"
        );
        y += 20.0;
    };
    for (c, label) in [
        (RoadUserClass::Car, "car"),
        (RoadUserClass::Truck, "truck"),
        (RoadUserClass::Bus, "bus"),
        (RoadUserClass::Motorcycle, "motorcycle"),
        (RoadUserClass::Bicycle, "bicycle"),
        (RoadUserClass::Pedestrian, "pedestrian"),
    ] {
        item(
            &mut s,
            format!(
                "<rect x=\"0\" y=\"-5\" width=\"18\" height=\"10\" fill=\"{}\" fill-opacity=\"0.75\" stroke=\"#000\"/>",
                class_colour(crate::sensor::class_of(c))
            ),
            &format!("track: {label}"),
        );
    }
    item(
        &mut s,
        "<rect x=\"0\" y=\"-5\" width=\"18\" height=\"10\" fill=\"none\" stroke=\"#111\" stroke-dasharray=\"3 2\"/>".into(),
        "ground truth",
    );
    item(
        &mut s,
        "<ellipse cx=\"9\" cy=\"0\" rx=\"9\" ry=\"5\" fill=\"#1f77b4\" fill-opacity=\"0.15\" stroke=\"#1f77b4\"/>".into(),
        "2σ position",
    );
    item(
        &mut s,
        "<line x1=\"0\" y1=\"0\" x2=\"18\" y2=\"0\" stroke=\"#000\" stroke-width=\"2\" marker-end=\"url(#arrow)\"/>".into(),
        "velocity (1 s ahead)",
    );
    item(
        &mut s,
        "<path d=\"M6,-3 l6,6 m0,-6 l-6,6\" stroke=\"#3b6fd6\" stroke-width=\"1.2\"/>".into(),
        "detection (camera)",
    );
    item(
        &mut s,
        "<path d=\"M6,-3 l6,6 m0,-6 l-6,6\" stroke=\"#a04bd0\" stroke-width=\"1.2\"/>".into(),
        "detection (radar)",
    );
    for (colour, label) in [
        ("#1db325", "green"),
        ("#f2c200", "yellow"),
        ("#d62728", "red"),
    ] {
        item(
            &mut s,
            format!("<circle cx=\"9\" cy=\"0\" r=\"5\" fill=\"{colour}\" stroke=\"#222\"/>"),
            &format!("signal {label}"),
        );
    }
    item(
        &mut s,
        "<circle cx=\"9\" cy=\"0\" r=\"6\" fill=\"none\" stroke=\"#e00000\" stroke-width=\"2.5\"/>"
            .into(),
        "hazard: conflict point",
    );
    // A 20 m scale bar.
    let bar = 20.0 * v.k;
    let _ = writeln!(
        s,
        "<g transform=\"translate({lx:.0},{:.0})\"><line x1=\"0\" y1=\"0\" x2=\"{bar:.1}\" y2=\"0\" \
         stroke=\"#000\" stroke-width=\"3\"/><text x=\"0\" y=\"-6\" font-size=\"12\">20 m</text></g>",
        size - 24.0
    );
    s.push_str("</svg>\n");
    s
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let t: String = s.chars().take(n - 1).collect();
        format!("{t}…")
    }
}
