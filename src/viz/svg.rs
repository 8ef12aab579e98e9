//! A top-down SVG of one [`Scene`], hand-written (no dependency): the map as the pipeline
//! resolves it (lanes at their widths with their edges and direction, the paved box from the
//! connections, stop lines, zebra crosswalks, buildings), signal lights at the stop lines,
//! sensors with their fields of view, each sensor's latest detections, ground truth (dashed
//! outlines), tracks (filled boxes with ID, a one-second velocity arrow and the 2σ position
//! ellipse) and hazards (each road user joined to the conflict point, ringed and named). A
//! side panel has the time, the signal states, the hazards in force and the legend; the map
//! has a north arrow and a scale bar.
//!
//! Each track is one `<g class="track" data-id="…">`, each true road user one
//! `<g class="truth">`, each hazard one `<g class="hazard">`, each lane one element of class
//! `lane`, so tests and scripts can count them.

use super::{class_rgb, ellipse_2sigma, light_rgb, sensor_rgb, snake_name as snake, Scene};
use crate::hazard::{Hazard, HazardKind};
use crate::map::SiteMap;
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

fn hex(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Warnings in red, red-light ones in orange, speed advice (GLOSA) in teal: advice is not
/// an alarm.
fn hazard_colour(k: HazardKind) -> &'static str {
    match k {
        HazardKind::IntersectionCollision | HazardKind::VulnerableRoadUser => "#e00000",
        HazardKind::RedLightViolation => "#e06000",
        HazardKind::Glosa => "#00897b",
    }
}

/// A hazard's one-line description: kind, ID and road users.
fn hazard_text(h: &Hazard) -> String {
    let users: Vec<String> = h.road_users.iter().map(|u| u.to_string()).collect();
    let noun = if users.len() == 1 { "track" } else { "tracks" };
    format!("#{} {}: {noun} {}", h.id, snake(&h.kind), users.join(" × "))
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
    let legend_w = 270.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{size:.0}\" \
         viewBox=\"0 0 {w:.0} {size:.0}\" font-family=\"sans-serif\">",
        w = size + legend_w
    );
    let _ = writeln!(
        s,
        "<defs><clipPath id=\"view\"><rect width=\"{size:.0}\" height=\"{size:.0}\"/></clipPath>\
         <marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"5\" \
         markerHeight=\"5\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" \
         fill=\"context-stroke\"/></marker>\
         <marker id=\"lane-arrow\" viewBox=\"0 0 10 10\" refX=\"5\" refY=\"5\" markerWidth=\"4\" \
         markerHeight=\"4\" orient=\"auto\"><path d=\"M0,1 L10,5 L0,9 z\" fill=\"#ffffff\"/></marker>\
         </defs>\n\
         <rect width=\"{size:.0}\" height=\"{size:.0}\" fill=\"#e9ede4\"/>\n\
         <g clip-path=\"url(#view)\">"
    );
    let m = SiteMap::from_spec(&scenario.map);
    draw_map(&mut s, &m, &v);
    draw_signals(&mut s, &m, scene, &v);
    draw_sensors(&mut s, scenario, scene, &v, h);
    draw_truth(&mut s, scene, &v);
    draw_tracks(&mut s, scene, &v);
    draw_hazards(&mut s, scene, &v);
    s.push_str("</g>\n");
    draw_north_and_scale(&mut s, &v, size);
    draw_panel(&mut s, scenario, scene, name, size, legend_w);
    s.push_str("</svg>\n");
    s
}

fn draw_map(s: &mut String, m: &SiteMap, v: &View) {
    s.push_str("<g id=\"map\">\n");
    for b in &m.buildings {
        let _ = writeln!(
            s,
            "<polygon class=\"building\" points=\"{}\" fill=\"#cdbda9\" stroke=\"#8a7a66\" \
             stroke-width=\"1.5\"/>",
            v.points(&b.footprint)
        );
        if let Some(label) = b
            .name
            .clone()
            .or_else(|| b.height_m.map(|_| "building".into()))
        {
            let n = b.footprint.len().max(1) as f64;
            let cx = b.footprint.iter().map(|p| p[0]).sum::<f64>() / n;
            let cy = b.footprint.iter().map(|p| p[1]).sum::<f64>() / n;
            let (x, y) = v.p(cx, cy);
            let height = b
                .height_m
                .map_or(String::new(), |hm| format!(", {hm:.0} m"));
            let _ = writeln!(
                s,
                "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"12\" fill=\"#5a4a36\" \
                 text-anchor=\"middle\">{}{height}</text>",
                esc(&label)
            );
        }
    }
    // The box: the hull of the lanes' ends at the junction, then each connection paved at
    // its lane's width (round joins fill the corners).
    let mut ends = Vec::new();
    for l in &m.lanes {
        let Some(path) = l.path() else { continue };
        let end = match l.direction {
            LaneDirection::Ingress => path.at(path.length_m()),
            LaneDirection::Egress => path.at(0.0),
        };
        let (sn, cs) = end.yaw_rad.sin_cos();
        let h = l.width_m / 2.0;
        let [x, y] = end.position;
        ends.push([x - sn * h, y + cs * h]);
        ends.push([x + sn * h, y - cs * h]);
    }
    let hull = convex_hull(ends);
    if hull.len() >= 3 {
        let _ = writeln!(
            s,
            "<polygon class=\"junction\" points=\"{}\" fill=\"#9a9a9a\"/>",
            v.points(&hull)
        );
    }
    let lane_w = |id: u8| m.lane(id).map_or(3.0, |l| l.width_m);
    // Connections: each connection paved at its lane's width (round joins fill the corners).
    for c in &m.connections {
        let _ = writeln!(
            s,
            "<polyline class=\"connection\" points=\"{}\" fill=\"none\" stroke=\"#9a9a9a\" \
             stroke-width=\"{:.1}\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>",
            v.points(&c.connector),
            lane_w(c.from) * v.k
        );
    }
    // Lanes: white at full width under grey slightly narrower, so lane edges show.
    for l in &m.lanes {
        let pts = v.points(&l.centreline);
        let _ = writeln!(
            s,
            "<polyline points=\"{pts}\" fill=\"none\" stroke=\"#f4f4f4\" stroke-width=\"{:.1}\"/>\n\
             <polyline class=\"lane\" data-id=\"{}\" points=\"{pts}\" fill=\"none\" \
             stroke=\"#9a9a9a\" stroke-width=\"{:.1}\"/>",
            l.width_m * v.k,
            l.id,
            (l.width_m - 0.3).max(0.5) * v.k,
        );
    }
    // Each movement's path across the box, faint.
    for c in &m.connections {
        let _ = writeln!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#ffffff\" stroke-opacity=\"0.45\" \
             stroke-width=\"1\" stroke-dasharray=\"3 4\"/>",
            v.points(&c.connector)
        );
    }
    // Direction of travel: an arrow near the box on each lane, and the lane ID.
    for l in &m.lanes {
        let Some(path) = l.path() else { continue };
        let len = path.length_m();
        let (a, b) = match l.direction {
            LaneDirection::Ingress => (len - 9.0, len - 5.0),
            LaneDirection::Egress => (5.0, 9.0),
        };
        if len < 10.0 {
            continue;
        }
        let (p, q) = (path.at(a).position, path.at(b).position);
        let (x1, y1) = v.p(p[0], p[1]);
        let (x2, y2) = v.p(q[0], q[1]);
        let _ = writeln!(
            s,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"#ffffff\" \
             stroke-width=\"2\" marker-end=\"url(#lane-arrow)\"/>"
        );
        let far = path.at(if l.direction == LaneDirection::Ingress {
            len - 16.0
        } else {
            16.0
        });
        let (tx, ty) = v.p(far.position[0], far.position[1]);
        let _ = writeln!(
            s,
            "<text x=\"{tx:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#ffffff\" \
             text-anchor=\"middle\">{}</text>",
            ty + 3.5,
            l.id
        );
    }
    for l in &m.lanes {
        if let Some([a, b]) = l.stop_line() {
            let (x1, y1) = v.p(a[0], a[1]);
            let (x2, y2) = v.p(b[0], b[1]);
            let _ = writeln!(
                s,
                "<line class=\"stop-line\" x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" \
                 y2=\"{y2:.1}\" stroke=\"#ffffff\" stroke-width=\"{:.1}\"/>",
                0.5 * v.k
            );
        }
    }
    // Zebra crossings: bars along the road, across the walking line.
    for c in &m.crosswalks {
        let _ = writeln!(
            s,
            "<polyline class=\"crosswalk\" points=\"{}\" fill=\"none\" stroke=\"#ffffff\" \
             stroke-width=\"{:.1}\" stroke-dasharray=\"{:.1} {:.1}\"/>",
            v.points(&c.centreline),
            c.width_m * v.k,
            0.6 * v.k,
            0.6 * v.k
        );
    }
    s.push_str("</g>\n");
}

fn draw_signals(s: &mut String, m: &SiteMap, scene: &Scene, v: &View) {
    s.push_str("<g id=\"signals\">\n");
    let colour = |g: u8| {
        scene
            .lights
            .get(&g)
            .map_or("#555555".to_string(), |x| hex(light_rgb(*x)))
    };
    // One light per ingress lane and group, just behind the stop line.
    for l in &m.lanes {
        let Some(path) = l.path() else { continue };
        if l.direction != LaneDirection::Ingress {
            continue;
        }
        let mut groups: Vec<u8> = l
            .signal_group
            .into_iter()
            .chain(m.connections_from(l.id).filter_map(|c| c.signal_group))
            .collect();
        groups.sort_unstable();
        groups.dedup();
        let end = path.at(path.length_m() - 1.6);
        let (sn, cs) = end.yaw_rad.sin_cos();
        let n = groups.len() as f64;
        for (i, g) in groups.iter().enumerate() {
            // Several groups on one lane sit side by side across it.
            let off = (i as f64 - (n - 1.0) / 2.0) * 1.6;
            let (cx, cy) = v.p(end.position[0] - sn * off, end.position[1] + cs * off);
            let _ = writeln!(
                s,
                "<circle class=\"signal\" data-group=\"{g}\" cx=\"{cx:.1}\" cy=\"{cy:.1}\" \
                 r=\"{:.1}\" fill=\"{}\" stroke=\"#222\" stroke-width=\"1\"/>",
                0.75 * v.k,
                colour(*g)
            );
        }
    }
    for c in &m.crosswalks {
        let (Some(g), Some(p)) = (c.signal_group, c.centreline.first()) else {
            continue;
        };
        let (cx, cy) = v.p(p[0], p[1]);
        let _ = writeln!(
            s,
            "<rect class=\"signal\" data-group=\"{g}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" \
             height=\"{w:.1}\" fill=\"{}\" stroke=\"#222\" stroke-width=\"1\"/>",
            cx - 0.6 * v.k,
            cy - 0.6 * v.k,
            colour(g),
            w = 1.2 * v.k,
        );
    }
    s.push_str("</g>\n");
}

fn draw_sensors(s: &mut String, scenario: &Scenario, scene: &Scene, v: &View, h: f64) {
    s.push_str("<g id=\"sensors\">\n");
    for x in &scenario.sensors {
        let colour = hex(sensor_rgb(x.kind));
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
        // Outlines only: filled, the overlapping fields of view hide the map.
        // Counter-clockwise in the site frame is clockwise on screen (y down): sweep 0.
        let _ = writeln!(
            s,
            "<g class=\"sensor\" data-id=\"{id}\"><path d=\"M{px:.1},{py:.1} L{ex0:.1},{ey0:.1} \
             A{rr:.1},{rr:.1} 0 {large} 0 {ex1:.1},{ey1:.1} Z\" fill=\"{colour}\" \
             fill-opacity=\"0.025\" stroke=\"{colour}\" stroke-opacity=\"0.5\" \
             stroke-dasharray=\"8 5\"/><path d=\"M{:.1},{py:.1} l6,-6 l6,6 l-6,6 z\" \
             fill=\"{colour}\" stroke=\"#fff\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" \
             fill=\"{colour}\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{id}</text></g>",
            px - 6.0,
            px + 8.0,
            py - 7.0,
            id = esc(&x.id),
            rr = r * v.k,
        );
    }
    for (sensor, dets) in &scene.detections {
        let colour = hex(scenario
            .sensors
            .get(usize::from(*sensor))
            .map_or([127, 127, 127], |x| sensor_rgb(x.kind)));
        for d in dets {
            let (x, y) = v.p(d[0], d[1]);
            let _ = writeln!(
                s,
                "<path class=\"detection\" d=\"M{:.1},{:.1} l7,7 m0,-7 l-7,7\" stroke=\"{colour}\" \
                 stroke-width=\"1.6\"/>",
                x - 3.5,
                y - 3.5
            );
        }
    }
    s.push_str("</g>\n");
}

fn draw_truth(s: &mut String, scene: &Scene, v: &View) {
    s.push_str("<g id=\"truth\">\n");
    for t in &scene.truth {
        let (cx, cy) = v.p(t.east_m, t.north_m);
        let (l, wd) = (t.length_m * v.k, t.width_m * v.k);
        let _ = writeln!(
            s,
            "<g class=\"truth\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{l:.1}\" height=\"{wd:.1}\" \
             transform=\"rotate({:.1} {cx:.1} {cy:.1})\" fill=\"none\" stroke=\"#111\" \
             stroke-width=\"1.2\" stroke-dasharray=\"3 2\"/></g>",
            cx - l / 2.0,
            cy - wd / 2.0,
            -t.yaw_rad.to_degrees()
        );
    }
    s.push_str("</g>\n");
}

fn draw_tracks(s: &mut String, scene: &Scene, v: &View) {
    s.push_str("<g id=\"tracks\">\n");
    for o in &scene.tracks {
        let (cx, cy) = v.p(o.east_m, o.north_m);
        let colour = hex(class_rgb(o.class));
        let c = &o.state_cov;
        let (rx, ry, ang) = ellipse_2sigma(c[0][0], c[0][1], c[1][1]);
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
        let _ = writeln!(
            s,
            "<g class=\"track\" data-id=\"{id}\"><ellipse cx=\"{cx:.1}\" cy=\"{cy:.1}\" rx=\"{:.1}\" \
             ry=\"{:.1}\" transform=\"rotate({:.1} {cx:.1} {cy:.1})\" fill=\"{colour}\" \
             fill-opacity=\"0.15\" stroke=\"{colour}\" stroke-width=\"0.8\"/><rect x=\"{:.1}\" \
             y=\"{:.1}\" width=\"{l:.1}\" height=\"{wd:.1}\" transform=\"rotate({:.1} {cx:.1} {cy:.1})\" \
             fill=\"{colour}\" fill-opacity=\"0.8\" stroke=\"#000\" stroke-width=\"0.6\"/>{arrow}\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" font-weight=\"bold\" fill=\"#000\" \
             stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{id}</text></g>",
            (rx * v.k).max(1.0),
            (ry * v.k).max(1.0),
            -ang.to_degrees(),
            cx - l / 2.0,
            cy - wd / 2.0,
            -o.yaw_rad.to_degrees(),
            cx + 0.5 * l.max(wd) + 2.0,
            cy - 0.5 * l.max(wd) - 2.0,
            id = o.id
        );
    }
    s.push_str("</g>\n");
}

fn draw_hazards(s: &mut String, scene: &Scene, v: &View) {
    s.push_str("<g id=\"hazards\">\n");
    for hz in &scene.hazards {
        let colour = hazard_colour(hz.kind);
        let (px, py) = v.p(hz.point[0], hz.point[1]);
        let mut g = format!("<g class=\"hazard\" data-id=\"{}\">", hz.id);
        for o in hz
            .road_users
            .iter()
            .filter_map(|id| scene.tracks.iter().find(|o| o.id == *id))
        {
            let (x, y) = v.p(o.east_m, o.north_m);
            let _ = write!(
                g,
                "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{px:.1}\" y2=\"{py:.1}\" stroke=\"{colour}\" \
                 stroke-width=\"2.5\" stroke-dasharray=\"6 3\" marker-end=\"url(#arrow)\"/>\
                 <circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{colour}\"/>"
            );
        }
        let _ = writeln!(
            g,
            "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"10\" fill=\"#fff\" fill-opacity=\"0.4\" \
             stroke=\"{colour}\" stroke-width=\"3\"/><circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"2.5\" \
             fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" font-weight=\"bold\" \
             fill=\"{colour}\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">#{}</text></g>",
            px + 13.0,
            py + 4.0,
            hz.id
        );
        s.push_str(&g);
    }
    s.push_str("</g>\n");
}

/// A north arrow in the map's top-left corner and a scale bar in its bottom-left.
fn draw_north_and_scale(s: &mut String, v: &View, size: f64) {
    let _ = writeln!(
        s,
        "<g id=\"north\" transform=\"translate(34,40)\"><circle r=\"22\" fill=\"#fff\" \
         fill-opacity=\"0.85\" stroke=\"#444\"/><path d=\"M0,-17 L7,6 L0,1 L-7,6 z\" \
         fill=\"#222\"/><text y=\"17\" font-size=\"11\" font-weight=\"bold\" \
         text-anchor=\"middle\">N</text></g>"
    );
    // The longest round length that fits in a quarter of the picture.
    let metres = [10.0, 20.0, 50.0, 100.0, 200.0]
        .into_iter()
        .filter(|m| m * v.k <= size / 4.0)
        .fold(10.0, f64::max);
    let bar = metres * v.k;
    let (x, y) = (16.0, size - 22.0);
    let _ = writeln!(
        s,
        "<g id=\"scale\" transform=\"translate({x:.0},{y:.0})\"><rect x=\"-8\" y=\"-22\" \
         width=\"{:.1}\" height=\"34\" fill=\"#fff\" fill-opacity=\"0.85\"/>\
         <rect x=\"0\" y=\"-3\" width=\"{:.1}\" height=\"6\" fill=\"#222\"/>\
         <rect x=\"{:.1}\" y=\"-3\" width=\"{:.1}\" height=\"6\" fill=\"#fff\" stroke=\"#222\"/>\
         <text x=\"0\" y=\"-8\" font-size=\"11\" text-anchor=\"middle\">0</text>\
         <text x=\"{:.1}\" y=\"-8\" font-size=\"11\" text-anchor=\"middle\">{:.0}</text>\
         <text x=\"{bar:.1}\" y=\"-8\" font-size=\"11\" text-anchor=\"middle\">{metres:.0} m</text></g>",
        bar + 30.0,
        bar / 2.0,
        bar / 2.0,
        bar / 2.0,
        bar / 2.0,
        metres / 2.0,
    );
}

/// The side panel: what, when, the signal states, the hazards in force, the legend.
fn draw_panel(
    s: &mut String,
    scenario: &Scenario,
    scene: &Scene,
    name: &str,
    size: f64,
    legend_w: f64,
) {
    let lx = size + 12.0;
    let _ = writeln!(
        s,
        "<rect x=\"{size:.0}\" width=\"{legend_w:.0}\" height=\"{size:.0}\" fill=\"#ffffff\"/>\n\
         <line x1=\"{size:.0}\" x2=\"{size:.0}\" y1=\"0\" y2=\"{size:.0}\" stroke=\"#888\"/>\n\
         <text x=\"{lx:.0}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{}</text>\n\
         <text x=\"{lx:.0}\" y=\"41\" font-size=\"11\" fill=\"#555\">{}</text>\n\
         <text x=\"{lx:.0}\" y=\"64\" font-size=\"14\">t = {:.1} s</text>\n\
         <text x=\"{lx:.0}\" y=\"82\" font-size=\"12\">{} tracks, {} true road users</text>",
        esc(&truncate_left(name, 26)),
        esc(&truncate(&scenario.site.name, 40)),
        scene.time_s,
        scene.tracks.len(),
        scene.truth.len(),
    );
    let mut y = 106.0;
    let mut line = |s: &mut String, text: &str, colour: &str, bold: bool| {
        let _ = writeln!(
            s,
            "<text x=\"{lx:.0}\" y=\"{y:.0}\" font-size=\"12\" fill=\"{colour}\"{}>{}</text>",
            if bold { " font-weight=\"bold\"" } else { "" },
            esc(text)
        );
        y += 16.0;
    };
    if !scene.lights.is_empty() {
        line(s, "signals", "#000", true);
        let states: Vec<String> = scene
            .lights
            .iter()
            .map(|(g, l)| format!("{g} {}", light_word(*l)))
            .collect();
        for chunk in states.chunks(3) {
            line(s, &chunk.join(" · "), "#333", false);
        }
    }
    line(
        s,
        &format!("hazards in force: {}", scene.hazards.len()),
        "#000",
        true,
    );
    const SHOWN: usize = 8;
    for hz in scene.hazards.iter().take(SHOWN) {
        line(s, &hazard_text(hz), hazard_colour(hz.kind), false);
    }
    if scene.hazards.len() > SHOWN {
        line(
            s,
            &format!("… and {} more", scene.hazards.len() - SHOWN),
            "#333",
            false,
        );
    }
    let mut y = y + 10.0;
    let mut item = |s: &mut String, swatch: String, label: &str| {
        let _ = writeln!(
            s,
            "<g transform=\"translate({lx:.0},{y:.0})\">{swatch}<text x=\"26\" y=\"4\" \
             font-size=\"12\">{label}</text></g>"
        );
        y += 18.0;
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
            s,
            format!(
                "<rect x=\"0\" y=\"-5\" width=\"18\" height=\"10\" fill=\"{}\" fill-opacity=\"0.8\" stroke=\"#000\"/>",
                hex(class_rgb(crate::sensor::class_of(c)))
            ),
            &format!("track: {label} (with ID)"),
        );
    }
    item(
        s,
        "<rect x=\"0\" y=\"-5\" width=\"18\" height=\"10\" fill=\"none\" stroke=\"#111\" stroke-dasharray=\"3 2\"/>".into(),
        "ground truth",
    );
    item(
        s,
        "<ellipse cx=\"9\" cy=\"0\" rx=\"9\" ry=\"5\" fill=\"#1f77b4\" fill-opacity=\"0.15\" stroke=\"#1f77b4\"/>".into(),
        "2σ position",
    );
    item(
        s,
        "<line x1=\"0\" y1=\"0\" x2=\"18\" y2=\"0\" stroke=\"#000\" stroke-width=\"2\" marker-end=\"url(#arrow)\"/>".into(),
        "velocity (1 s ahead)",
    );
    for (kind, label) in [(SensorKind::Camera, "camera"), (SensorKind::Radar, "radar")] {
        let c = hex(sensor_rgb(kind));
        item(
            s,
            format!("<path d=\"M3,0 l6,-6 l6,6 l-6,6 z\" fill=\"{c}\"/>"),
            &format!("{label}; field of view dashed"),
        );
        item(
            s,
            format!("<path d=\"M5,-4 l8,8 m0,-8 l-8,8\" stroke=\"{c}\" stroke-width=\"1.6\"/>"),
            &format!("{label} detection (latest frame)"),
        );
    }
    item(
        s,
        format!(
            "<circle cx=\"3\" cy=\"0\" r=\"3.5\" fill=\"{}\" stroke=\"#222\"/>\
             <circle cx=\"10\" cy=\"0\" r=\"3.5\" fill=\"{}\" stroke=\"#222\"/>\
             <rect x=\"14.5\" y=\"-3.5\" width=\"7\" height=\"7\" fill=\"{}\" stroke=\"#222\"/>",
            hex(light_rgb(Light::ProtectedGreen)),
            hex(light_rgb(Light::Yellow)),
            hex(light_rgb(Light::Red))
        ),
        "signal per lane (■ crosswalk)",
    );
    item(
        s,
        "<rect x=\"0\" y=\"-5\" width=\"18\" height=\"10\" fill=\"#9a9a9a\"/><line x1=\"14\" y1=\"-5\" x2=\"14\" y2=\"5\" stroke=\"#fff\" stroke-width=\"3\"/>".into(),
        "lane, stop line, arrow: direction",
    );
    item(
        s,
        "<line x1=\"0\" y1=\"0\" x2=\"18\" y2=\"0\" stroke=\"#9a9a9a\" stroke-width=\"10\"/><line x1=\"0\" y1=\"0\" x2=\"18\" y2=\"0\" stroke=\"#fff\" stroke-width=\"10\" stroke-dasharray=\"3 3\"/>".into(),
        "crosswalk",
    );
    item(
        s,
        "<rect x=\"0\" y=\"-6\" width=\"18\" height=\"12\" fill=\"#cdbda9\" stroke=\"#8a7a66\"/>"
            .into(),
        "building",
    );
    for (kind, label) in [
        (HazardKind::IntersectionCollision, "collision / VRU hazard"),
        (HazardKind::RedLightViolation, "red-light hazard"),
        (HazardKind::Glosa, "speed advice (GLOSA)"),
    ] {
        let c = hazard_colour(kind);
        item(
            s,
            format!(
                "<circle cx=\"2\" cy=\"0\" r=\"3\" fill=\"{c}\"/><line x1=\"2\" y1=\"0\" x2=\"13\" y2=\"0\" stroke=\"{c}\" stroke-width=\"2\" stroke-dasharray=\"3 2\"/><circle cx=\"17\" cy=\"0\" r=\"5\" fill=\"none\" stroke=\"{c}\" stroke-width=\"2\"/>"
            ),
            &format!("{label}: user → point"),
        );
    }
}

fn light_word(l: Light) -> &'static str {
    match l {
        Light::ProtectedGreen | Light::PermissiveGreen => "green",
        Light::FlashingGreen => "green (flashing)",
        Light::Yellow => "yellow",
        Light::FlashingYellow => "yellow (flashing)",
        Light::Red => "red",
        Light::FlashingRed => "red (flashing)",
        Light::Dark => "dark",
        Light::Unavailable => "unknown",
    }
}

/// The convex hull of `pts`, counter-clockwise (Andrew's monotone chain).
fn convex_hull(mut pts: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    pts.retain(|p| p[0].is_finite() && p[1].is_finite());
    pts.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let mut hull: Vec<[f64; 2]> = Vec::with_capacity(2 * pts.len());
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &[f64; 2]>> = if pass == 0 {
            Box::new(pts.iter())
        } else {
            Box::new(pts.iter().rev())
        };
        for &p in iter {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

/// `s` cut to `n` characters from the left: the end of a path is what tells files apart.
fn truncate_left(s: &str, n: usize) -> String {
    let len = s.chars().count();
    if len <= n {
        s.to_string()
    } else {
        let t: String = s.chars().skip(len - (n - 1)).collect();
        format!("…{t}")
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let t: String = s.chars().take(n - 1).collect();
        format!("{t}…")
    }
}
