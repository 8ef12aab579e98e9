#!/usr/bin/env python3
"""Writes the hazard scenarios into scenarios/hazards/: each a variant of the default
intersection (tools/make_default_scenario.py: same map, 72 s signal plan and corner-pole
sensors, so the warnings come from realistic tracks) with ground truth built to produce one
labelled situation, and the situation labelled in `[[conflicts]]`:

  blos_crossing          an eastbound car runs the red and crosses a southbound car on green;
                         a 12 m building on the north-west corner hides them from each other
                         until ~30 m out; they reach the crossing point 0.3 s apart
  left_turn              permissive left (both inner lanes of group 2 are "left, straight"):
                         a car from the north turns left across an oncoming straight car
  right_turn_pedestrian  a car from the south turns right across the east-arm crosswalk while a
                         pedestrian (walking with the parallel group 1) is on it
  truck_blind_spot       a truck from the south turns right across a cyclist riding straight
                         alongside it on its right
  red_light_runner       a car at 15 m/s crosses the stop line on red without braking; beside it
                         a car stops for the red (the control)
  glosa                  three cars approaching on red slow down to the advised speed and arrive
                         just after the green starts, without stopping
  near_miss              a car going straight enters late in its yellow; a crossing car arrives
                         on its green; post-encroachment time ~3.5 s (must not warn)
  unsignalised_crossing  the same junction without signals (a priority junction): a car from the
                         west and one from the north, hidden from each other by the building on
                         the north-west corner, reach the crossing point 0.4 s apart
  rush_hour              dense traffic obeying the signals (protected lefts, straight and right
                         on the through lanes), no conflicts (the generator checks that any two
                         road users pass the crossing of their paths > 5 s apart; measured
                         7.6 s): measures false warnings per hour

Times: a road user's time at a point is computed from its path and speed profile (speed
breakpoints linear in time); each label's `time_s` is when the first road user reaches the
conflict point (the crossing of the two centre paths) or, for red-light violation, the stop
line. Red-light running is labelled at the conflict area, the box centre, 1 s after the line:
the warning comes after the line is crossed and is useful to the cross traffic until then.

Turning paths are circular arcs (12 points) tangent to the ingress and egress lanes.
Deterministic: no random draws except the default generator's for rush_hour (fixed seed).
Re-run after changing anything here: `python3 tools/make_hazard_scenarios.py`.
"""
import math
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_default_scenario as base  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "scenarios" / "hazards"
STOP = base.STOP
FAR = base.FAR
TO_STOP = FAR - STOP  # every ingress path starts this far before its stop line


# ---- geometry -------------------------------------------------------------------------

def arc(a, b, corner, n=12):
    """Interior points of the circular arc from a to b tangent to a→corner and corner→b (a
    right-angle turn with equal legs): the turn across the junction."""
    la, lb = math.dist(a, corner), math.dist(corner, b)
    assert abs(la - lb) < 1e-6, (a, b, corner)
    c = (a[0] + b[0] - corner[0], a[1] + b[1] - corner[1])
    t0 = math.atan2(a[1] - c[1], a[0] - c[0])
    t1 = math.atan2(b[1] - c[1], b[0] - c[0])
    d = (t1 - t0 + math.pi) % (2 * math.pi) - math.pi
    return [(round(c[0] + la * math.cos(t0 + d * i / n), 3), round(c[1] + la * math.sin(t0 + d * i / n), 3))
            for i in range(1, n)]


def lanes(k):
    return base.lane_geometry(k)


def straight(k, lane):
    """Approach k's ingress lane ("inner"/"outer") straight on to the opposite egress."""
    inner_in, outer_in, _, _ = lanes(k)
    _, _, i_out, o_out = lanes(k + 2)
    return (inner_in + i_out) if lane == "inner" else (outer_in + o_out)


def left(k):
    inner_in = lanes(k)[0]
    out = lanes(k + 3)[2]
    corner = (inner_in[1][0], out[0][1]) if k % 2 == 0 else (out[0][0], inner_in[1][1])
    return inner_in + arc(inner_in[1], out[0], corner) + out


def right(k):
    outer_in = lanes(k)[1]
    out = lanes(k + 1)[3]
    corner = (outer_in[1][0], out[0][1]) if k % 2 == 0 else (out[0][0], outer_in[1][1])
    return outer_in + arc(outer_in[1], out[0], corner) + out


def plen(pts):
    return sum(math.dist(pts[i], pts[i + 1]) for i in range(len(pts) - 1))


def crossing(p, q):
    """First crossing of polylines p and q: (distance along p, distance along q, point)."""
    sp = 0.0
    for i in range(len(p) - 1):
        a, b = p[i], p[i + 1]
        sq = 0.0
        for j in range(len(q) - 1):
            c, d = q[j], q[j + 1]
            r = (b[0] - a[0], b[1] - a[1])
            s = (d[0] - c[0], d[1] - c[1])
            den = r[0] * s[1] - r[1] * s[0]
            if abs(den) > 1e-12:
                u = ((c[0] - a[0]) * s[1] - (c[1] - a[1]) * s[0]) / den
                w = ((c[0] - a[0]) * r[1] - (c[1] - a[1]) * r[0]) / den
                if 0 <= u <= 1 and 0 <= w <= 1:
                    x = (a[0] + u * r[0], a[1] + u * r[1])
                    return sp + u * math.dist(a, b), sq + w * math.dist(c, d), x
            sq += math.dist(c, d)
        sp += math.dist(a, b)
    raise ValueError("paths do not cross")


# ---- speed profiles -------------------------------------------------------------------

def by_distance(sv):
    """Speed breakpoints given at distances [(s_m, v_mps), …] → [[t_s, v_mps], …]: between two
    breakpoints the speed changes linearly in time (constant acceleration)."""
    out = [[0.0, sv[0][1]]]
    t = 0.0
    for (s0, v0), (s1, v1) in zip(sv, sv[1:]):
        t += 2 * (s1 - s0) / (v0 + v1)
        out.append([round(t, 3), v1])
    return out


def dist_at(prof, t):
    """Distance walked by time t (since appearing) under speed breakpoints prof."""
    s, prev_t, prev_v = 0.0, 0.0, prof[0][1]
    for pt, pv in prof:
        if pt <= prev_t:
            prev_v = pv
            continue
        if t <= pt:
            v = prev_v + (pv - prev_v) * (t - prev_t) / (pt - prev_t)
            return s + 0.5 * (prev_v + v) * (t - prev_t)
        s += 0.5 * (prev_v + pv) * (pt - prev_t)
        prev_t, prev_v = pt, pv
    return s + prev_v * max(t - prev_t, 0.0)


def time_at(prof, s):
    """When (since appearing) the road user has walked s metres."""
    lo, hi = 0.0, 1000.0
    assert dist_at(prof, hi) >= s, "never gets there"
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if dist_at(prof, mid) < s else (lo, mid)
    return hi


# ---- assembling a scenario --------------------------------------------------------------

class User:
    def __init__(self, uid, cls, path, prof, start=None, arrive=None, at_s=None):
        """Either `start` (when it appears) or `arrive`: the time it reaches distance `at_s`."""
        self.id, self.cls, self.path, self.prof = uid, cls, path, prof
        self.start = start if start is not None else arrive - time_at(prof, at_s)
        assert self.start >= 0.0, (uid, self.start)

    def time_at(self, s):
        return self.start + time_at(self.prof, s)

    def toml(self):
        return "\n".join([
            "[[road_users]]",
            f'id = "{self.id}"',
            f'class = "{self.cls}"',
            f"start_s = {round(self.start, 3)}",
            f"path = {base.fmt_pts(self.path)}",
            "speed = [" + ", ".join(f"[{round(t, 3)}, {round(v, 3)}]" for t, v in self.prof) + "]",
        ])


def conflict(kind, users, t, note, warn=True):
    ids = ", ".join(f'"{u.id}"' for u in users)
    return "\n".join([
        "[[conflicts]]",
        f'kind = "{kind}"',
        f"road_users = [{ids}]",
        f"time_s = {round(t, 3)}",
        f"warn = {'true' if warn else 'false'}",
        f'note = "{note}"',
    ])


def conflict_time(a, b):
    """When the first of a and b reaches the crossing of their paths, and both times."""
    sa, sb, x = crossing(a.path, b.path)
    ta, tb = a.time_at(sa), b.time_at(sb)
    return min(ta, tb), ta, tb, x


def lane_plan(head, shared_left=()):
    """The default map lets the inner lanes go left or straight on the left-turn group: a
    straight movement on a protected-left phase, which no real intersection has. Here the inner
    lanes are left-only on their protected-left group, except on the approaches in
    `shared_left`, where they are shared straight-and-left lanes on the through group (a
    permissive left that yields to oncoming traffic). `None` keeps the default map (the
    near miss goes straight from the inner lane on the left group's yellow)."""
    def fix(block):
        if 'maneuvers = ["left", "straight"]' not in block:
            return block
        approach = re.search(r'approach = "(\w+)"', block).group(1)
        if approach in shared_left:
            through = 1 if approach in ("north", "south") else 3
            return re.sub(r"signal_group = \d+", f"signal_group = {through}", block)
        block = block.replace('maneuvers = ["left", "straight"]', 'maneuvers = ["left"]')
        return re.sub(r"connects_to = \[(\d+), \d+\]", r"connects_to = [\1]", block)
    if shared_left is None:
        return head  # the default map as it is
    parts = head.split("[[map.lanes]]")
    return "[[map.lanes]]".join([parts[0]] + [fix(b) for b in parts[1:]])


def scenario(title, duration, users=(), conflicts=(), buildings=(), crosswalks=(), seed=7, shared_left=()):
    text = base.main(vehicles=2, title=title)
    head = lane_plan(text[: text.index("[[road_users]]")], shared_left)
    head = re.sub(r"duration_s = [0-9.]+", f"duration_s = {duration}", head)
    head = re.sub(r"^seed = \d+", f"seed = {seed}", head, flags=re.M)
    head = head.replace("# Generated by tools/make_default_scenario.py",
                        "# Generated by tools/make_hazard_scenarios.py")
    extra = []
    for name, pts, h in buildings:
        extra += ["[[map.buildings]]", f'name = "{name}"', f"footprint = {base.fmt_pts(pts)}",
                  f"height_m = {h}", ""]
    for cid, approach, pts, width, group in crosswalks:
        extra += ["[[map.crosswalks]]", f"id = {cid}", f'approach = "{approach}"',
                  f"centreline = {base.fmt_pts(pts)}", f"width_m = {width}",
                  f"signal_group = {group}", ""]
    i = head.index("[signal]")
    head = head[:i] + "\n".join(extra) + ("\n" if extra else "") + head[i:]
    parts = [head.rstrip("\n") + "\n"]
    parts += [u.toml() + "\n" for u in users]
    parts += [c + "\n" for c in conflicts]
    return "\n".join(parts)


def cruise(v, length):
    return by_distance([(0.0, v), (length, v)])


# ---- the scenarios ----------------------------------------------------------------------

# North-west corner, clear of the radar pole at (-18, 18): hides a car on the west approach's
# outer lane and one on the north's from each other while 15.75/d_A + 14.25/d_B < 1 (d:
# distance to the crossing point), i.e. until ~30 m.
NW_BUILDING = ("corner block", [(-50.0, 9.0), (-21.0, 9.0), (-21.0, 50.0), (-50.0, 50.0)], 12.0)


def blos_crossing():
    # West approach (k=1) outer lane eastbound at y=-5.25 (group 3: red until 36 s); north
    # approach (k=0) outer lane southbound at x=-5.25 (group 1: green 0–20 s).
    a_path, b_path = straight(1, "outer"), straight(0, "outer")
    sa, sb, x = crossing(a_path, b_path)
    a = User("car-red-runner", "car", a_path, cruise(13.0, plen(a_path)), arrive=17.0, at_s=sa)
    b = User("car-on-green", "car", b_path, cruise(12.0, plen(b_path)), arrive=17.3, at_s=sb)
    t, ta, tb, _ = conflict_time(a, b)
    line = a.time_at(TO_STOP)
    return scenario(
        "Hazard: beyond line of sight, a red-light runner crossing a car on green behind a building.",
        30.0, [a, b],
        [conflict("intersection_collision", [a, b], t,
                  f"crossing paths at ({x[0]:.2f}, {x[1]:.2f}), {a.id} at {ta:.2f} s, {b.id} at {tb:.2f} s; "
                  "a 12 m building on the north-west corner hides them from each other until ~30 m out"),
         conflict("red_light_violation", [a], line,
                  "13 m/s on red (group 3), no braking: crosses the stop line on red")],
        buildings=[NW_BUILDING], seed=101)


def left_turn():
    # The north inner lane is a shared straight-and-left lane on the through group (1, green
    # 0–20 s): a car in it turns left (permissive, yielding to oncoming traffic) across a car
    # going straight from the south on the same green.
    a_path = left(0)
    b_path = straight(2, "outer")
    turn = plen(a_path) - TO_STOP - (FAR - STOP)
    a_prof = by_distance([(0.0, 10.0), (TO_STOP - 20.0, 10.0), (TO_STOP, 7.0), (TO_STOP + turn, 7.0),
                          (TO_STOP + turn + 20.0, 11.0)])
    sa, sb, x = crossing(a_path, b_path)
    a = User("car-left", "car", a_path, a_prof, arrive=17.0, at_s=sa)
    b = User("car-oncoming", "car", b_path, cruise(12.0, plen(b_path)), arrive=17.3, at_s=sb)
    t, ta, tb, _ = conflict_time(a, b)
    return scenario(
        "Hazard: a permissive left turn across an oncoming straight car.", 40.0, [a, b],
        [conflict("intersection_collision", [a, b], t,
                  f"left turn (7 m/s on a 16.75 m arc) meets the oncoming car at ({x[0]:.2f}, {x[1]:.2f}): "
                  f"{a.id} at {ta:.2f} s, {b.id} at {tb:.2f} s; both on the group 1 green")],
        seed=102, shared_left=("north",))


def right_turn_pedestrian():
    # South outer lane (k=2, group 1 green 0–20 s) turns right into the east arm; the east-arm
    # crosswalk (x = 18) runs with the parallel north-south phase (group 1).
    c_path = right(2)
    turn = plen(c_path) - TO_STOP - (FAR - STOP)
    c_prof = by_distance([(0.0, 11.0), (TO_STOP - 25.0, 11.0), (TO_STOP, 5.0), (TO_STOP + turn + 8.0, 5.0),
                          (TO_STOP + turn + 28.0, 10.0)])
    p_path = [(18.0, -13.0), (18.0, 13.0)]
    sc, sp, x = crossing(c_path, p_path)
    p = User("pedestrian-crossing", "pedestrian", p_path, cruise(1.4, plen(p_path)), arrive=18.0, at_s=sp)
    c = User("car-right", "car", c_path, c_prof, arrive=18.3, at_s=sc)
    t, tc, tp, _ = conflict_time(c, p)
    return scenario(
        "Hazard: a right-turning car and a pedestrian on the crosswalk it turns across.", 30.0, [c, p],
        [conflict("vulnerable_road_user", [c, p], t,
                  f"right turn (5 m/s on a 9.75 m arc) reaches the crosswalk at ({x[0]:.2f}, {x[1]:.2f}) at "
                  f"{tc:.2f} s, the pedestrian at {tp:.2f} s")],
        crosswalks=[(50, "east", [(18.0, -11.0), (18.0, 11.0)], 3.0, 1)], seed=103)


def truck_blind_spot():
    # South outer lane (k=2, group 1): a truck turns right; a cyclist rides straight north at
    # x = 7.8 (a bike lane right of the outer lane), level with the truck's rear half.
    t_path = right(2)
    turn = plen(t_path) - TO_STOP - (FAR - STOP)
    t_prof = by_distance([(0.0, 9.0), (TO_STOP - 25.0, 9.0), (TO_STOP, 5.0), (TO_STOP + turn + 8.0, 5.0),
                          (TO_STOP + turn + 28.0, 9.0)])
    b_path = [(7.8, -70.0), (7.8, FAR)]
    st, sb, x = crossing(t_path, b_path)
    truck = User("truck-right", "truck", t_path, t_prof, arrive=18.0, at_s=st)
    bike = User("cyclist-straight", "bicycle", b_path, cruise(5.0, plen(b_path)), arrive=18.4, at_s=sb)
    t, tt, tb, _ = conflict_time(truck, bike)
    return scenario(
        "Hazard: a right-turning truck and a cyclist riding straight alongside it.", 35.0, [truck, bike],
        [conflict("vulnerable_road_user", [truck, bike], t,
                  f"the truck's turn crosses the bike lane at ({x[0]:.2f}, {x[1]:.2f}): truck at {tt:.2f} s, "
                  f"cyclist at {tb:.2f} s; both at ~5 m/s side by side before")],
        seed=104)


def red_light_runner():
    # East approach (k=3): the outer lane (group 3, red until 36 s) at 15 m/s without
    # braking; the inner lane (group 4, red until 61 s) stops at 1.8 m/s² from 40 m out.
    r_path = straight(3, "outer")
    r = User("car-red-runner", "car", r_path, cruise(15.0, plen(r_path)), arrive=20.0, at_s=TO_STOP)
    s_path = straight(3, "inner")
    s = User("car-stopping", "car", s_path,
             by_distance([(0.0, 12.0), (TO_STOP - 40.0, 12.0), (TO_STOP - 0.5, 0.0)]), start=2.0)
    return scenario(
        "Hazard: a car running a red light at 15 m/s; beside it a car stops for the red.", 35.0, [r, s],
        [conflict("red_light_violation", [r], r.time_at(TO_STOP),
                  "15 m/s on red (group 3), no braking: crosses the stop line on red")],
        seed=105)


def glosa():
    # Group 3 (east-west through) is red until 36 s. Cars on the west and east outer lanes
    # appear at 13 m/s 135 m before the line, slow to the speed that reaches it at
    # `arrive` (just after the green starts) and speed up again past it.
    users, labels = [], []
    for uid, k, t0, arrive in [("car-glosa-1", 1, 24.0, 37.0), ("car-glosa-2", 1, 26.5, 39.0),
                               ("car-glosa-3", 3, 25.0, 37.5)]:
        lo, hi = 3.0, 13.0
        for _ in range(60):
            v = 0.5 * (lo + hi)
            prof = by_distance([(0.0, 13.0), (13.0, 13.0), (60.0, v), (TO_STOP, v), (TO_STOP + 30.0, 13.0)])
            if t0 + time_at(prof, TO_STOP) > arrive:
                lo = v
            else:
                hi = v
        prof = by_distance([(0.0, 13.0), (13.0, 13.0), (60.0, hi), (TO_STOP, hi), (TO_STOP + 30.0, 13.0)])
        u = User(uid, "car", straight(k, "outer"), prof, start=t0)
        users.append(u)
        labels.append(conflict("glosa", [u], u.time_at(TO_STOP),
                               f"on red 135 m out at 13 m/s; slows to {hi:.2f} m/s and reaches the line at "
                               f"{arrive:.1f} s, after the green starts (36 s), without stopping"))
    return scenario("Hazard: GLOSA, cars approaching on red slow down to arrive on green.", 45.0,
                    users, labels, seed=106)


def near_miss():
    # North inner lane (k=0, group 2: green 25–31, yellow 31–34) straight, crossing the line at
    # 33.5 s in its yellow (it could not stop comfortably at the yellow's start); the west
    # outer lane (k=1, group 3: green from 36) eastbound reaches its line at 38.1 s.
    a_path = straight(0, "inner")
    b_path = straight(1, "outer")
    a = User("car-late-yellow", "car", a_path, cruise(12.0, plen(a_path)), arrive=33.5, at_s=TO_STOP)
    b = User("car-on-green", "car", b_path, cruise(12.0, plen(b_path)), arrive=38.1, at_s=TO_STOP)
    t, ta, tb, x = conflict_time(a, b)
    occ = (0.5 * 4.6 + 0.5 * 1.8) / 12.0
    pet = abs(tb - ta) - 2 * occ
    return scenario("Hazard: a near miss, two crossing cars with ample post-encroachment time.", 45.0, [a, b],
                    [conflict("intersection_collision", [a, b], t,
                              f"{a.id} at ({x[0]:.2f}, {x[1]:.2f}) at {ta:.2f} s, {b.id} at {tb:.2f} s: "
                              f"PET {pet:.2f} s", warn=False)], seed=107, shared_left=None)


def unsignalised(text):
    """The scenario without its signal plan and its lanes' signal groups: the junction as a
    priority junction, which sends no SPAT."""
    head, _, rest = text.partition("[signal]\n")
    text = head + rest[rest.index("[[sensors]]"):]
    return re.sub(r"^signal_group = \d+\n", "", text, flags=re.M)


def unsignalised_crossing():
    # The west (k=1) and north (k=0) outer lanes straight across, as in blos_crossing, but
    # nothing tells either car to stop; the building hides them until ~30 m out.
    a_path, b_path = straight(1, "outer"), straight(0, "outer")
    sa, sb, x = crossing(a_path, b_path)
    a = User("car-from-west", "car", a_path, cruise(12.5, plen(a_path)), arrive=14.0, at_s=sa)
    b = User("car-from-north", "car", b_path, cruise(11.0, plen(b_path)), arrive=14.4, at_s=sb)
    t, ta, tb, _ = conflict_time(a, b)
    return unsignalised(scenario(
        "Hazard: beyond line of sight at an unsignalised junction, two cars crossing behind a building.",
        25.0, [a, b],
        [conflict("intersection_collision", [a, b], t,
                  f"crossing paths at ({x[0]:.2f}, {x[1]:.2f}), {a.id} at {ta:.2f} s, {b.id} at {tb:.2f} s; "
                  "no signal, and a 12 m building on the north-west corner hides them from each other")],
        buildings=[NW_BUILDING], seed=109))


def min_crossing_gap(users, duration):
    """The smallest time between two road users passing the crossing of their paths (road
    users from the same lane, which follow or diverge, are left out): the proof that a
    scenario's ground truth has no conflict."""
    gap = math.inf
    for i, a in enumerate(users):
        for b in users[i + 1:]:
            if a.path[0] == b.path[0]:
                continue
            try:
                sa, sb, _ = crossing(a.path, b.path)
            except ValueError:
                continue
            if dist_at(a.prof, 1000.0) < sa or dist_at(b.prof, 1000.0) < sb:
                continue  # one stops before it
            ta, tb = a.time_at(sa), b.time_at(sb)
            if min(ta, tb) <= duration:
                gap = min(gap, abs(ta - tb))
    return gap


TURN_LAT = 3.0    # m/s², lateral acceleration of a comfortable turn
TURN_DECEL = 1.5  # m/s², slowing for a turn
TURN_ACCEL = 1.5  # m/s², speeding up out of it


def turn_radius_of(k, move):
    """Radius of the arc of a left or right turn from approach k (its corner's leg)."""
    if move == "left":
        a, out = lanes(k)[0][1], lanes(k + 3)[2][0]
    else:
        a, out = lanes(k)[1][1], lanes(k + 1)[3][0]
    return math.dist(a, out) / math.sqrt(2.0)


def with_turn(prof, v_turn, turn_from, turn_to, dt=0.05, every=0.5):
    """Speed breakpoints `prof` (linear in time) capped for a turn between distances
    `turn_from` and `turn_to`: slowing to `v_turn` before it, at most `v_turn` through it,
    speeding up after; sampled back into breakpoints every `every` seconds."""
    def cap(s):
        if s < turn_from:
            return math.sqrt(v_turn ** 2 + 2 * TURN_DECEL * (turn_from - s))
        if s <= turn_to:
            return v_turn
        return math.sqrt(v_turn ** 2 + 2 * TURN_ACCEL * (s - turn_to))

    def wanted(t):
        for (t0, v0), (t1, v1) in zip(prof, prof[1:]):
            if t0 <= t <= t1:
                return v0 + (v1 - v0) * (t - t0) / (t1 - t0)
        return prof[-1][1] if t > prof[-1][0] else prof[0][1]

    out, t, s, v = [], 0.0, 0.0, min(prof[0][1], cap(0.0))
    end = max(prof[-1][0], 0.0) + 60.0
    while t <= end:
        if abs(t / every - round(t / every)) < 1e-6:
            out.append((round(t, 3), round(v, 3)))
        v_next = min(wanted(t + dt), cap(s))
        s += 0.5 * (v + v_next) * dt
        v, t = v_next, t + dt
    return out


def rush_hour(vehicles=70, seed=20261124, duration=60.0):
    """Like the default scenario's traffic, denser and without conflicting movements: the
    inner lanes only turn left (opposite lefts do not cross), the outer lanes go straight or
    right; vehicles follow each other and stop for red and yellow (tools/make_default_scenario.py)."""
    import random
    rng = random.Random(seed)
    fleet, last = [], {}
    t = 0.0
    for i in range(vehicles):
        t += rng.uniform(0.3, 1.1)
        if t > duration - 10.0:
            break
        k = rng.randrange(4)
        lane = rng.choice(["inner", "outer", "outer"])
        move = "left" if lane == "inner" else rng.choice(["straight", "straight", "right"])
        start = max(t, last.get((k, lane), -10.0) + 3.0)
        if start > duration - 10.0:
            continue
        last[(k, lane)] = start
        cls = "truck" if i % 17 == 5 else "bus" if i % 23 == 11 else "car"
        v = round(rng.uniform(10.0, 14.0) if cls == "car" else rng.uniform(9.0, 11.0), 2)
        path = straight(k, lane) if move == "straight" else left(k) if move == "left" else right(k)
        turn = None
        if move != "straight":
            # Turning vehicles slow to the speed the turn allows, as drivers (and SUMO) do.
            turn_len = plen(path) - 2 * TO_STOP
            turn = (TO_STOP, TO_STOP + turn_len, math.sqrt(TURN_LAT * turn_radius_of(k, move)))
        fleet.append(base.Vehicle(f"{cls}-{i + 1}", cls, start, v, path, (k, lane), move,
                                  base.group_of(k, lane), TO_STOP, turn))
    # The Intelligent Driver Model with the signals (tools/make_default_scenario.py): vehicles
    # follow each other and stop for red and yellow; none enters on red.
    base.simulate_traffic(fleet, duration + 60.0)
    base.check_traffic(fleet)
    users = [User(v.id, v.cls, v.path, [tuple(p) for p in base.simplify(v.samples)], start=round(v.t, 3))
             for v in fleet]
    gap = min_crossing_gap(users, duration)
    assert gap > 5.0, f"rush_hour has a conflict in its ground truth: {gap:.2f} s"
    return scenario(f"Hazard: rush hour, {len(users)} vehicles obeying the signals, no conflicts.",
                    duration, users, [], seed=108)


def main(out=OUT):
    """Writes the scenarios into `out` (`--out DIR` on the command line; tests compare a fresh
    set with the bundled one)."""
    out.mkdir(parents=True, exist_ok=True)
    for f in [blos_crossing, left_turn, right_turn_pedestrian, truck_blind_spot, red_light_runner,
              glosa, near_miss, unsignalised_crossing, rush_hour]:
        (out / f"{f.__name__}.toml").write_text(f())
        print(f"wrote {out / f.__name__}.toml")


if __name__ == "__main__":
    main(Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv else OUT)
