#!/usr/bin/env python3
"""Writes scenarios/default.toml: a four-approach signalised intersection with 30 vehicles,
2 pedestrians and 1 cyclist, 2 cameras and 2 radars, 120 s.

Vehicles follow the signal plan: one that reaches its stop line on red or yellow brakes at
2.5 m/s² behind the queue of its lane, waits for green (plus 1.5 s per car ahead of it; for
the next green if it would not clear the line before red), and accelerates at 2 m/s² back to
its cruise speed. Right-hand traffic. Re-run after changing
anything here: `python3 tools/make_default_scenario.py > scenarios/default.toml`.
"""
import math
import random

SEED = 20261123
DURATION = 120.0
STOP = 15.0          # stop line distance from the centre, m
FAR = 150.0          # approach length, m
LANE_W = 3.5
BRAKE = 2.5          # m/s²
ACCEL = 2.0          # m/s²
GAP = 7.5            # queue spacing, m

# Signal groups: (id, name, green start, green, yellow) in a 72 s cycle.
CYCLE = 72.0
GROUPS = [
    (1, "north-south through", 0.0, 20.0, 3.0),
    (2, "north-south left", 25.0, 6.0, 3.0),
    (3, "east-west through", 36.0, 20.0, 3.0),
    (4, "east-west left", 61.0, 6.0, 3.0),
]
# Approach name, rotation (quarter turns counter-clockwise from the north approach).
APPROACHES = [("north", 0), ("west", 1), ("south", 2), ("east", 3)]


def rot(p, k):
    x, y = p
    for _ in range(k % 4):
        x, y = -y, x
    return (round(x, 3), round(y, 3))


def group_of(approach_k, lane):
    through, left = (1, 2) if approach_k % 2 == 0 else (3, 4)
    return left if lane == "inner" else through


def light_at(group, t):
    gid, _, gs, g, y = next(x for x in GROUPS if x[0] == group)
    c = (t % CYCLE)
    if gs <= c < gs + g:
        return "green", gs + g - c
    if gs + g <= c < gs + g + y:
        return "yellow", 0.0
    # time until the next green start
    return "red", (gs - c) % CYCLE


def next_green(group, t):
    gid, _, gs, g, y = next(x for x in GROUPS if x[0] == group)
    c = t % CYCLE
    return t + ((gs - c) % CYCLE)


def lane_geometry(k):
    """Ingress (inner, outer) and egress (inner, outer) centrelines of approach k."""
    inner_in = [rot((-LANE_W / 2, FAR), k), rot((-LANE_W / 2, STOP), k)]
    outer_in = [rot((-1.5 * LANE_W, FAR), k), rot((-1.5 * LANE_W, STOP), k)]
    inner_out = [rot((LANE_W / 2, STOP), k), rot((LANE_W / 2, FAR), k)]
    outer_out = [rot((1.5 * LANE_W, STOP), k), rot((1.5 * LANE_W, FAR), k)]
    return inner_in, outer_in, inner_out, outer_out


def curve(a, b, corner, n=6):
    """Quadratic Bézier from a to b bending at corner (a turn through the junction)."""
    pts = []
    for i in range(1, n):
        t = i / n
        x = (1 - t) ** 2 * a[0] + 2 * (1 - t) * t * corner[0] + t * t * b[0]
        y = (1 - t) ** 2 * a[1] + 2 * (1 - t) * t * corner[1] + t * t * b[1]
        pts.append((round(x, 3), round(y, 3)))
    return pts


def vehicle_path(k, lane, move):
    """Waypoints for a vehicle from approach k: straight, left or right."""
    inner_in, outer_in, _, _ = lane_geometry(k)
    entry = inner_in if lane == "inner" else outer_in
    if move == "straight":
        # Continue to the far side: the egress lane of the opposite approach.
        _, _, i_out, o_out = lane_geometry(k + 2)
        out = i_out if lane == "inner" else o_out
        return entry + out
    if move == "left":
        # Left for a southbound vehicle is east: the egress of the east approach (k + 3).
        _, _, i_out, _ = lane_geometry(k + 3)
        corner = (entry[1][0], i_out[0][1])
        return entry + curve(entry[1], i_out[0], corner) + i_out
    _, _, _, o_out = lane_geometry(k + 1)
    corner = (entry[1][0], o_out[0][1])
    return entry + curve(entry[1], o_out[0], corner) + o_out


def path_length(pts):
    return sum(math.dist(pts[i], pts[i + 1]) for i in range(len(pts) - 1))


def time_to_cover(v, d):
    """Seconds from standstill to cover d metres accelerating at ACCEL up to v."""
    d_accel = v * v / (2 * ACCEL)
    if d <= d_accel:
        return math.sqrt(2 * d / ACCEL)
    return v / ACCEL + (d - d_accel) / v


def speed_profile(v, t0, d_stop, group, queue, lane=None):
    """Breakpoints [t, v] (t since appearing) and where the vehicle stopped (None: it did not).
    `queue` counts the vehicles of each lane (any hashable `lane`) waiting for each green.
    Without `lane`, one queue per signal group and no waiting for the next green: the model
    rush_hour (tools/make_hazard_scenarios.py) was made with; it leaves out the vehicles that
    would cross on red instead.

    The n-th vehicle of a queue moves off 1.5 s after the one ahead; one that would not reach
    its stop line before the red (0.5 s to spare) waits for the next green, moving up behind
    those already waiting for it: vehicles here obey the signals."""
    t_arrive = t0 + d_stop / v
    light, remaining = light_at(group, t_arrive)
    if light == "green" and remaining > 2.0:
        return [[0.0, v]], None
    # Stop behind the queue of this lane for this red.
    green = next_green(group, t_arrive)
    key = (group, green) if lane is None else (lane, green)
    n = queue.setdefault(key, 0)
    queue[key] = n + 1
    stop_at = max(d_stop - n * GAP, 5.0)
    d_brake = v * v / (2 * BRAKE)
    t_brake = max((stop_at - d_brake) / v, 0.0)
    t_stopped = t_brake + v / BRAKE
    go = green + 1.5 * n
    creep = []
    for _ in range(4):
        if lane is None or light_at(group, go + time_to_cover(v, d_stop - stop_at) + 0.5)[0] != "red":
            break
        # Too late for this green: away at the next one, behind those already waiting for
        # it. It moves up when this green's queue has gone (at 1 m/s², from and to a stop),
        # and the vehicles that come for that green queue behind it.
        _, _, _, g, y = next(x for x in GROUPS if x[0] == group)
        cleared = green + g + y
        green = next_green(group, green + 1.0)
        ahead = queue.setdefault((lane, green), 0)
        queue[(lane, green)] = ahead + 1
        go = green + 1.5 * ahead
        new_stop = max(d_stop - ahead * GAP, 5.0)
        if new_stop > stop_at:
            half = math.sqrt(new_stop - stop_at)
            t_c = max(cleared - t0, t_stopped + 0.5, creep[-1][0] + 0.5 if creep else 0.0)
            assert t_c + 2 * half < go - t0, "no time to move up before the next green"
            creep += [[round(t_c, 3), 0.0], [round(t_c + half, 3), round(half, 3)],
                      [round(t_c + 2 * half, 3), 0.0]]
            stop_at = new_stop
    else:
        raise AssertionError(f"a vehicle of lane {lane} waits more than four cycles")
    t_go = max(go - t0, (creep[-1][0] if creep else t_stopped) + 0.5)
    points = [[0.0, v], [round(t_brake, 3), v], [round(t_stopped, 3), 0.0], *creep, [round(t_go, 3), 0.0],
              [round(t_go + v / ACCEL, 3), v]]
    # A vehicle that appears already braking has no cruise segment.
    profile = [p for i, p in enumerate(points) if i == 0 or p[0] > points[i - 1][0]]
    return profile, stop_at


def time_at_distance(profile, d):
    """When a vehicle with this piecewise-linear speed profile has covered d metres."""
    covered = 0.0
    pts = profile + [[profile[-1][0] + 1e6, profile[-1][1]]]
    for (t1, v1), (t2, v2) in zip(pts, pts[1:]):
        seg = (v1 + v2) / 2 * (t2 - t1)
        if covered + seg >= d:
            # Solve covered + v1 τ + a τ²/2 = d within this segment.
            a = (v2 - v1) / (t2 - t1)
            rest = d - covered
            if abs(a) < 1e-9:
                return t1 + rest / v1
            return t1 + (-v1 + math.sqrt(max(v1 * v1 + 2 * a * rest, 0.0))) / a
        covered += seg
    return math.inf


def fmt_pts(pts):
    return "[" + ", ".join(f"[{x}, {y}]" for x, y in pts) + "]"


def main(vehicles=30, seed=SEED, crowd=0, title="The bundled default scenario: a signalised four-approach intersection."):
    rng = random.Random(seed)
    out = []
    w = out.append
    w(f"# {title}")
    w("# Generated by tools/make_default_scenario.py; the format is documented in scenarios/README.md.")
    w("version = 1\n")
    w("[site]")
    w('name = "Roadsight demo intersection"')
    w("anchor = { lat_deg = 31.2304, lon_deg = 121.4737, height_m = 12.0 }")
    w("region = 1")
    w("intersection_id = 42")
    w('rsu_id = "RSU00042"')
    w("rsu_position = { east_m = 16.0, north_m = 16.0, up_m = 6.0 }\n")
    w("[run]")
    w(f"duration_s = {DURATION}")
    w('start_time = "2026-11-23T08:00:00Z"')
    w("seed = 7\n")
    w("[messages]")
    w("rsm_hz = 10.0\nspat_hz = 10.0\nmap_hz = 1.0\n")
    w("[output]")
    w("udp = []\n")
    # Map: per approach two ingress and two egress lanes.
    lane_ids = {}
    for name, k in APPROACHES:
        base = 10 * (k + 1)
        lane_ids[k] = {"inner_in": base + 1, "outer_in": base + 2, "inner_out": base + 3, "outer_out": base + 4}
    for name, k in APPROACHES:
        inner_in, outer_in, inner_out, outer_out = lane_geometry(k)
        ids = lane_ids[k]
        opposite, leftward, rightward = lane_ids[(k + 2) % 4], lane_ids[(k + 3) % 4], lane_ids[(k + 1) % 4]
        for key, pts, direction, man, conn, grp in [
            ("inner_in", inner_in, "ingress", '["left", "straight"]', [leftward["inner_out"], opposite["inner_out"]], group_of(k, "inner")),
            ("outer_in", outer_in, "ingress", '["straight", "right"]', [opposite["outer_out"], rightward["outer_out"]], group_of(k, "outer")),
            ("inner_out", inner_out, "egress", None, [], None),
            ("outer_out", outer_out, "egress", None, [], None),
        ]:
            w("[[map.lanes]]")
            w(f"id = {ids[key]}")
            w(f'approach = "{name}"')
            w(f"width_m = {LANE_W}")
            w(f"centreline = {fmt_pts(pts)}")
            w(f'direction = "{direction}"')
            if grp:
                w(f"signal_group = {grp}")
            if man:
                w(f"maneuvers = {man}")
            if conn:
                w(f"connects_to = {conn}")
            w("speed_limit_mps = 16.67\n")
    w("[signal]")
    w(f"cycle_s = {CYCLE}")
    w("offset_s = 0.0\n")
    for gid, name, gs, g, y in GROUPS:
        w("[[signal.groups]]")
        w(f"id = {gid}")
        w(f'name = "{name}"')
        w(f"green_start_s = {gs}\ngreen_s = {g}\nyellow_s = {y}\n")
    # Sensors on the four corner poles.
    sensors = [
        ("cam-ne", "camera", (18.0, 18.0, 6.0), 225.0, 100.0, 130.0, 10.0, 0.10, 1.0, None, 0.95),
        ("cam-sw", "camera", (-18.0, -18.0, 6.0), 45.0, 100.0, 130.0, 10.0, 0.10, 1.0, None, 0.95),
        ("radar-se", "radar", (18.0, -18.0, 5.0), 135.0, 120.0, 200.0, 20.0, 0.05, 0.25, 0.5, 0.9),
        ("radar-nw", "radar", (-18.0, 18.0, 5.0), -45.0, 120.0, 200.0, 20.0, 0.05, 0.25, 0.5, 0.9),
    ]
    listen_ports = []
    for sid, kind, pos, yaw, fov, rng_m, rate, lat, noise, az, pd in sensors:
        w("[[sensors]]")
        w(f'id = "{sid}"\nkind = "{kind}"')
        w(f"position = {{ east_m = {pos[0]}, north_m = {pos[1]}, up_m = {pos[2]} }}")
        w(f"yaw_deg = {yaw}\nfov_deg = {fov}\nrange_m = {rng_m}\nrate_hz = {rate}\nlatency_s = {lat}")
        if kind == "camera":
            # Detector box edges carry `noise` pixels of noise (1 σ).
            w(f"camera = {{ pixel_noise_px = {noise} }}")
        else:
            w(f"noise_m = {noise}")
            w(f"azimuth_noise_deg = {az}")
            w("doppler_noise_mps = 0.1")
        w(f"detection_probability = {pd}")
        # Live inputs: where `roadsight serve` listens and `roadsight simulate` sends.
        w(f'listen = "127.0.0.1:{47601 + len(listen_ports)}"\n')
        listen_ports.append(sid)
    # Vehicles: arrivals spread over the first 100 s, at least 4 s apart in a lane.
    queue = {}
    last_in_lane = {}
    classes = ["car"] * (vehicles - 2) + ["truck", "bus"]
    rng.shuffle(classes)
    t = 0.0
    for i, cls in enumerate(classes):
        t += rng.uniform(1.5, 4.5) * 30.0 / vehicles
        k = rng.randrange(4)
        lane = rng.choice(["inner", "outer"])
        move = rng.choice(["left", "straight"]) if lane == "inner" else rng.choice(["straight", "straight", "right"])
        start = max(t, last_in_lane.get((k, lane), -10.0) + (4.0 if vehicles <= 40 else 2.5))
        last_in_lane[(k, lane)] = start
        v = round(rng.uniform(10.0, 14.0) if cls == "car" else rng.uniform(9.0, 11.0), 2)
        path = vehicle_path(k, lane, move)
        d_stop = FAR - STOP
        profile, _ = speed_profile(v, start, d_stop, group_of(k, lane), queue, (k, lane))
        crossing = start + time_at_distance(profile, d_stop + 0.5)
        assert light_at(group_of(k, lane), crossing)[0] != "red", f"vehicle {i + 1} crosses on red"
        w("[[road_users]]")
        w(f'id = "{cls}-{i + 1}"\nclass = "{cls}"\nstart_s = {round(start, 3)}')
        w(f"path = {fmt_pts(path)}")
        w("speed = [" + ", ".join(f"[{a}, {b}]" for a, b in profile) + "]\n")
    # Two pedestrians on crosswalks and one cyclist along the east-west road.
    for pid, start, pts in [("pedestrian-1", 12.0, [(-11.0, 18.0), (11.0, 18.0)]),
                            ("pedestrian-2", 45.0, [(-18.0, 11.0), (-18.0, -11.0)])]:
        w("[[road_users]]")
        w(f'id = "{pid}"\nclass = "pedestrian"\nstart_s = {start}')
        w(f"path = {fmt_pts(pts)}")
        w("speed = [[0.0, 1.3]]\n")
    w("[[road_users]]")
    w('id = "cyclist-1"\nclass = "bicycle"\nstart_s = 36.0')
    w(f"path = {fmt_pts([(-140.0, -8.0), (140.0, -8.0)])}")
    w("speed = [[0.0, 5.0]]")
    # A crowd crossing the north arm's crosswalk in both directions when the east-west
    # through phase is green (the north-south traffic stopped).
    for j in range(crowd):
        y = round(17.0 + (j % 4) * 0.8 + rng.uniform(-0.2, 0.2), 2)
        xs = (-12.0, 12.0) if j % 2 == 0 else (12.0, -12.0)
        w("")
        w("[[road_users]]")
        w(f'id = "crowd-{j + 1}"\nclass = "pedestrian"\nstart_s = {round(37.0 + (j // 4) * 1.2 + rng.uniform(0, 0.6), 2)}')
        w(f"path = {fmt_pts([(xs[0], y), (xs[1], y)])}")
        w(f"speed = [[0.0, {round(rng.uniform(1.0, 1.6), 2)}]]")
    return "\n".join(out)


if __name__ == "__main__":
    print(main())
