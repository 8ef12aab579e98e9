#!/usr/bin/env python3
"""Writes scenarios/default.toml: a four-approach signalised intersection with 30 vehicles,
2 pedestrians and 1 cyclist, 2 cameras and 2 radars, 120 s.

Vehicles drive by the Intelligent Driver Model (simulate_traffic): each follows the one ahead
in its lane, slows for its turn, and stops for red and for a yellow it can stop at; the
generator checks that none enters on red, none comes within 0.5 m of the one ahead and none
brakes harder than 6 m/s². Right-hand traffic. Re-run after changing anything here:
`python3 tools/make_default_scenario.py > scenarios/default.toml`.
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


def curve(a, b, corner, n=12):
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
        _, _, out, _ = lane_geometry(k + 3)
    else:
        _, _, _, out = lane_geometry(k + 1)
    return entry + curve(entry[1], out[0], corner_of(entry, out)) + out


def corner_of(entry, out):
    """Where the ingress lane's line meets the egress lane's: the Bézier's control point, so
    that the turn leaves the one and joins the other tangentially."""
    if entry[0][0] == entry[1][0]:  # north-south ingress: x is constant
        return (entry[1][0], out[0][1])
    return (out[0][0], entry[1][1])


def path_length(pts):
    return sum(math.dist(pts[i], pts[i + 1]) for i in range(len(pts) - 1))


# ---- traffic: the Intelligent Driver Model, with signals -----------------------------------
# Treiber, Hennecke & Helbing (2000). Each vehicle follows the one ahead in its approach lane
# (while their paths coincide) and stops for red and yellow as for a standing vehicle at its
# stop line; so the ground truth has neither overlapping vehicles nor red-light runners.
IDM_T = 1.2        # s, desired time headway
IDM_S0 = 2.0       # m, bumper-to-bumper gap at a standstill
IDM_DELTA = 4.0
YELLOW_STOP = 3.0  # m/s²: at the yellow, a driver who can stop at this stops; else goes on
START_DELAY = 1.0  # s: the first of a queue moves off this long after the green starts
TURN_LAT = 3.0     # m/s², lateral acceleration of a comfortable turn
TURN_DECEL = 1.5   # m/s², slowing ahead of a turn
DT = 0.1           # s, the simulation step
SIZES = {"car": 4.6, "truck": 10.0, "bus": 12.0, "motorcycle": 2.2, "bicycle": 1.8}


class Vehicle:
    """One vehicle of the traffic simulation: `lane` is its approach lane (any hashable; it
    follows the vehicles before it there), `d_stop` the distance along `path` of its stop
    line, `turn` (from, to, speed) the stretch of its path it takes at most at that speed."""

    def __init__(self, uid, cls, start, v0, path, lane, move, group, d_stop, turn=None):
        self.id, self.cls, self.start, self.v0 = uid, cls, start, v0
        self.path, self.lane, self.move, self.group, self.d_stop = path, lane, move, group, d_stop
        self.turn = turn
        self.length = SIZES[cls]
        self.end = path_length(path)
        self.s, self.v, self.t = 0.0, v0, None
        self.samples = []          # (t since appearing, speed)
        self.stopping = None       # the yellow this driver decided to stop for
        self.front_crossed = None  # when its front crossed the stop line
        self.done = False
        self.min_gap = math.inf    # the closest it came to the vehicle ahead, bumper to bumper

    def desired_speed(self):
        v = self.v0
        if self.turn:
            a, b, vt = self.turn
            if self.s < b:
                v = min(v, math.sqrt(vt * vt + 2 * TURN_DECEL * max(a - self.s, 0.0)))
        return v


def idm_accel(v, v0, gap, dv):
    """IDM acceleration at speed v (desired v0) behind something `gap` m ahead closing at dv."""
    free = 1.0 - (v / v0) ** IDM_DELTA if v0 > 0 else -1.0
    if gap is None:
        return ACCEL * free
    s_star = IDM_S0 + max(0.0, v * IDM_T + v * dv / (2 * math.sqrt(ACCEL * BRAKE)))
    return ACCEL * (free - (s_star / max(gap, 0.1)) ** 2)


def paths_shared(leader, follower):
    """Whether the follower still has the leader ahead on its path."""
    if leader.move == follower.move:
        return True
    return leader.s - leader.length / 2 < leader.d_stop + 4.0


def simulate_traffic(vehicles, horizon):
    """Runs the vehicles until `horizon` and until each has left its path, filling their speed
    samples. Vehicles of one lane enter in the order given; one whose entry is blocked waits."""
    by_lane = {}
    for v in vehicles:
        by_lane.setdefault(v.lane, []).append(v)
    n = 0
    # Past `horizon`, only until the last vehicle has left its path: a vehicle whose speeds
    # ended while it waited would stand at its stop line for ever.
    while n * DT <= horizon or not all(v.done for v in vehicles):
        assert n * DT < horizon + 900.0, "vehicles still queued 15 min after the horizon"
        t = n * DT
        n += 1
        updates = []
        for lane_vs in by_lane.values():
            for i, v in enumerate(lane_vs):
                if v.done:
                    continue
                ahead = next((u for u in reversed(lane_vs[:i]) if u.t is not None and not u.done
                              and paths_shared(u, v)), None)
                if v.t is None:
                    blocked = ahead and ahead.s - ahead.length / 2 - v.length / 2 < IDM_S0 + 3.0
                    if t + 1e-9 < v.start or blocked or any(u.t is None for u in lane_vs[:i]):
                        continue
                    v.t = t
                    if ahead:
                        gap = ahead.s - ahead.length / 2 - v.length / 2
                        v.v = min(v.v0, max(ahead.v, (gap - IDM_S0) / IDM_T, 0.0))
                    v.samples.append((0.0, v.v))
                    continue
                gap = dv = None
                if ahead:
                    gap = (ahead.s - ahead.length / 2) - (v.s + v.length / 2)
                    dv = v.v - ahead.v
                    v.min_gap = min(v.min_gap, gap)
                stop = stop_line_gap(v, t)
                if stop is not None and (gap is None or stop < gap):
                    gap, dv = stop, v.v
                a = idm_accel(v.v, v.desired_speed(), gap, dv)
                updates.append((v, a))
        for v, a in updates:
            v_new = max(v.v + a * DT, 0.0)
            front = v.s + v.length / 2
            v.s += (v.v + v_new) / 2 * DT
            v.v = v_new
            if v.front_crossed is None and v.s + v.length / 2 >= v.d_stop > front:
                v.front_crossed = t + DT
            v.samples.append((round(t + DT - v.t, 3), v_new))
            if v.s >= v.end:
                v.done = True
    for v in vehicles:
        assert v.t is not None, f"{v.id} could not enter before {horizon} s"


def stop_line_gap(v, t):
    """The gap to the stop line when this vehicle must stop there, else None."""
    front = v.s + v.length / 2
    if front >= v.d_stop:
        return None
    light, _ = light_at(v.group, t)
    # A standing obstacle at the line plus IDM_S0 - 1 m: the front stops 1 m before the line.
    gap = v.d_stop - front + IDM_S0 - 1.0
    if light == "green":
        # The first of a queue moves off a moment after the green.
        since = (t % CYCLE) - next(x for x in GROUPS if x[0] == v.group)[2]
        return gap if v.v < 1.0 and 0.0 <= since % CYCLE < START_DELAY else None
    # Yellow: stop if the model brakes for the line at no more than YELLOW_STOP, and stick to
    # that; else go on. Red: stop.
    cycle = t - (t % CYCLE)
    if light == "yellow" and v.stopping != cycle:
        if idm_accel(v.v, v.desired_speed(), gap, v.v) < -YELLOW_STOP:
            return None
        v.stopping = cycle
    return gap


def simplify(samples, tol=0.02):
    """Ramer-Douglas-Peucker on (t, v): the breakpoints that keep every sample within `tol`."""
    if len(samples) <= 2:
        return list(samples)
    keep = [0, len(samples) - 1]
    stack = [(0, len(samples) - 1)]
    while stack:
        i, j = stack.pop()
        (t1, v1), (t2, v2) = samples[i], samples[j]
        worst, at = 0.0, None
        for k in range(i + 1, j):
            t, v = samples[k]
            err = abs(v - (v1 + (v2 - v1) * (t - t1) / (t2 - t1)))
            if err > worst:
                worst, at = err, k
        if at is not None and worst > tol:
            keep.append(at)
            stack += [(i, at), (at, j)]
    return [[round(samples[k][0], 3), round(samples[k][1], 3)] for k in sorted(keep)]


def check_traffic(vehicles):
    """The guarantees the tests rely on: nobody enters on red, and vehicles of one lane keep
    apart while their paths coincide (checked on the simulated positions)."""
    for v in vehicles:
        if v.front_crossed is not None:
            assert light_at(v.group, v.front_crossed - 1e-6)[0] != "red", f"{v.id} enters on red"
        assert v.min_gap > 0.5, f"{v.id} comes within {v.min_gap:.2f} m of the vehicle ahead"
        brake = min((b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(v.samples, v.samples[1:]))
        assert brake > -6.0, f"{v.id} brakes at {brake:.1f} m/s²"


def turn_of(path, d_stop, move):
    """The (from, to, speed) of a turning path's curve: from its stop line to where the curve
    meets the egress lane, at the speed of TURN_LAT on its radius."""
    if move == "straight":
        return None
    # The curve's ends: the ingress lane's last point and the egress lane's first.
    a, b = path[1], path[-2]
    radius = math.dist(a, b) / math.sqrt(2.0)
    return (d_stop, path_length(path[:-1]), math.sqrt(TURN_LAT * radius))


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
    # Vehicles: arrivals spread over the first 100 s, at least 4 s apart in a lane; then the
    # traffic simulation gives each its speeds.
    last_in_lane = {}
    classes = ["car"] * (vehicles - 2) + ["truck", "bus"]
    rng.shuffle(classes)
    t = 0.0
    fleet = []
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
        fleet.append(Vehicle(f"{cls}-{i + 1}", cls, start, v, path, (k, lane), move,
                             group_of(k, lane), d_stop, turn_of(path, d_stop, move)))
    simulate_traffic(fleet, DURATION + 60.0)
    check_traffic(fleet)
    for v in fleet:
        w("[[road_users]]")
        w(f'id = "{v.id}"\nclass = "{v.cls}"\nstart_s = {round(v.t, 3)}')
        w(f"path = {fmt_pts(v.path)}")
        w("speed = [" + ", ".join(f"[{a}, {b}]" for a, b in simplify(v.samples)) + "]\n")
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
