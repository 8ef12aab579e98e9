#!/usr/bin/env python3
"""Reads a roadsight rerun recording (.rrd) with rerun's own Python reader and checks it
against what the run should have logged (JSON on stdin, computed by the caller from the
scenario and the run, see tests/viz_rerun.rs):

  {"lanes": 12, "stop_lines": 6, "connections": 9, "crosswalks": 4, "buildings": 4,
   "sensors": ["cam_ne", ...], "sensor_frames": {"cam_ne": 1200, ...}, "detections": 53555,
   "tracks": [1, 2, ...], "truth": ["car_1", ...], "hazards": [1, ...],
   "signal_groups": [1, 2], "world_updates": 1200, "events": 150, "duration_s": 120.0}

Prints what it found as JSON on stdout; exits 1 with one line per mismatch on stderr.
Usage: check_rrd.py FILE < expected.json
"""

import json
import re
import sys
from collections import defaultdict

try:
    import pyarrow as pa
    from rerun.experimental import RrdReader
except ImportError as e:  # a broken set-up, not a reason to pass
    sys.exit(
        f"check_rrd.py: the Python rerun-sdk is missing ({e}); "
        "install it with `python3 -m pip install -r tools/requirements.txt` (pins rerun-sdk)"
    )


def read(path):
    """Per entity: static?, rows, and the instance counts of each component column."""
    ents = defaultdict(lambda: {"static": False, "rows": 0, "instances": defaultdict(int),
                                "max_time_s": None, "timelines": set()})
    for c in RrdReader(path).stream().to_chunks():
        e = ents[c.entity_path]
        e["static"] |= c.is_static
        e["rows"] += c.num_rows
        e["timelines"].update(c.timeline_names)
        rb = c.to_record_batch()
        for name in rb.schema.names:
            if ":" not in name:
                continue
            for v in rb.column(name).to_pylist():
                if v is not None:
                    e["instances"][name] += len(v)
        if "time" in rb.schema.names:
            # A duration timeline: nanoseconds.
            ns = [t for t in rb.column("time").cast(pa.int64()).to_pylist() if t is not None]
            if ns:
                m = max(ns) / 1e9
                e["max_time_s"] = m if e["max_time_s"] is None else max(e["max_time_s"], m)
    return ents


def children(ents, prefix):
    """The direct children of `prefix` (entity path parts), by name."""
    pat = re.compile("^" + re.escape(prefix) + r"/([^/]+)$")
    return {m.group(1): ents[p] for p in ents if (m := pat.match(p))}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    want = json.load(sys.stdin)
    ents = read(sys.argv[1])
    errors = []

    def check(what, got, expected):
        if got != expected:
            errors.append(f"{what}: found {got!r}, expected {expected!r}")

    found = {}
    # The map and the sensors: static, one entity each.
    for kind in ["lanes", "stop_lines", "connections", "crosswalks", "buildings"]:
        c = children(ents, "/world/map/" + kind)
        found[kind] = len(c)
        check(f"/world/map/{kind} entities", len(c), want[kind])
        check(f"/world/map/{kind} all static", all(e["static"] for e in c.values()), True)
    sensors = children(ents, "/world/sensors")
    found["sensors"] = sorted(sensors)
    check("/world/sensors", sorted(sensors), sorted(want["sensors"]))
    for s in want["sensors"]:
        check(f"/world/sensors/{s}/fov exists", f"/world/sensors/{s}/fov" in ents, True)

    # Detections: one row per frame, one point per detection.
    det = children(ents, "/world/detections")
    found["sensor_frames"] = {k: e["rows"] for k, e in det.items()}
    check("detection frames per sensor", found["sensor_frames"],
          {k: v for k, v in want["sensor_frames"].items() if v > 0})
    found["detections"] = sum(e["instances"].get("Points3D:positions", 0) for e in det.values())
    check("detections (points)", found["detections"], want["detections"])

    # Tracks, ground truth, hazards, signals: one entity per ID.
    tracks = children(ents, "/world/tracks")
    found["tracks"] = len(tracks)
    check("track IDs", sorted(int(k) for k in tracks), sorted(want["tracks"]))
    for k, e in tracks.items():
        for part in ["velocity", "covariance"]:
            check(f"/world/tracks/{k}/{part} exists", f"/world/tracks/{k}/{part}" in ents, True)
        if e["instances"].get("Boxes3D:half_sizes", 0) == 0:
            errors.append(f"/world/tracks/{k}: no box logged")
    truth = children(ents, "/world/truth")
    found["truth"] = len(truth)
    check("ground-truth road users", sorted(truth), sorted(want["truth"]))
    hazards = children(ents, "/world/hazards")
    found["hazards"] = len(hazards)
    check("hazard IDs", sorted(int(k) for k in hazards), sorted(want["hazards"]))
    for k in hazards:
        p = f"/world/hazards/{k}/conflict_point"
        check(f"{p} has a point", ents[p]["instances"].get("Points3D:positions", 0) > 0
              if p in ents else False, True)
    signals = children(ents, "/world/signals")
    found["signal_groups"] = len(signals)
    check("signal groups", sorted(int(k) for k in signals), sorted(want["signal_groups"]))

    # Time series and the event log.
    found["world_updates"] = ents["/stats/tracks"]["rows"] if "/stats/tracks" in ents else 0
    check("/stats/tracks rows (world updates)", found["world_updates"], want["world_updates"])
    found["events"] = ents["/log/events"]["rows"] if "/log/events" in ents else 0
    check("/log/events rows", found["events"], want["events"])

    # Everything that changes is on the pipeline's timeline, within the run.
    temporal = [p for p, e in ents.items() if not e["static"] and p.startswith("/world/")]
    off = [p for p in temporal if "time" not in ents[p]["timelines"]]
    check("temporal /world entities off the `time` timeline", off, [])
    last = max((ents[p]["max_time_s"] or 0.0) for p in temporal) if temporal else None
    found["last_time_s"] = last
    if last is None or not 0.0 < last <= want["duration_s"]:
        errors.append(f"last time {last} s not within the run's (0, {want['duration_s']}] s")
    found["entities"] = len(ents)

    print(json.dumps(found, indent=1, sort_keys=True))
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
