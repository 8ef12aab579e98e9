#!/usr/bin/env python3
"""Reference figures for `roadsight eval` (src/eval), computed by the standard libraries.

Usage: python3 tools/eval_reference.py FRAMES.json

FRAMES.json is the serde form of `Vec<eval::Frame>`:
  [{"time_s": 0.0, "truth": [{"id": 1, "class": "car", "east_m": .., "north_m": ..,
    "vel_east_mps": .., "vel_north_mps": ..}, ..], "tracks": [..]}, ..]
Prints one JSON object with the keys of `eval::Report` (tests/reference.rs compares them).

- GOSPA: Stone Soup's GOSPAMetric(c=3, p=2) (its alpha is fixed at 2) on Stone Soup states
  holding (east, north). Stone Soup scores only instants where something exists; frames with
  neither truth nor tracks score 0 here, as in the Rust report, and every mean is over all
  frames. Each frame gets its own timestamp (frame index, in seconds) so that frames are never
  merged, whatever their time_s.
- CLEAR MOT and IDF1: py-motmetrics' MOTAccumulator fed squared Euclidean distances
  (distances.norm2squared_matrix, max_d2 = 2 m squared), so its `motp` is a mean squared
  distance: reported here as motp_squared_m2, while motp_m is the mean of the square roots of
  the same matched-pair distances. RMSEs, per-class figures and tracked fractions are derived
  from motmetrics' MATCH/SWITCH/MISS events, so its matching decides them too.
- A ratio with a zero denominator is null (motmetrics would give NaN or -inf).
Ids are handled as floats inside motmetrics' data frames: keep them below 2**53.
"""

import datetime
import json
import math
import sys
from importlib.metadata import version

import motmetrics as mm
import numpy as np
from stonesoup.metricgenerator.ospametric import GOSPAMetric
from stonesoup.types.groundtruth import GroundTruthPath, GroundTruthState
from stonesoup.types.state import State
from stonesoup.types.track import Track

MATCH_THRESHOLD_M = 2.0
TRACKED_MIN_FRACTION = 0.8
GOSPA_C_M = 3.0
GOSPA_P = 2.0
EPOCH = datetime.datetime(2000, 1, 1)


def ratio(num, den):
    return None if den == 0 else num / den


def finite(x):
    x = float(x)
    return x if math.isfinite(x) else None


def root_mean(squares):
    return None if not squares else math.sqrt(sum(squares) / len(squares))


def gospa_per_frame(frames):
    """Per-frame (distance, localisation, missed, false) from Stone Soup."""
    out = [(0.0, 0.0, 0.0, 0.0)] * len(frames)
    truths, tracks = {}, {}
    for k, f in enumerate(frames):
        ts = EPOCH + datetime.timedelta(seconds=k)
        for o in f["truth"]:
            state = GroundTruthState([[o["east_m"]], [o["north_m"]]], timestamp=ts)
            truths.setdefault(o["id"], GroundTruthPath()).append(state)
        for o in f["tracks"]:
            tracks.setdefault(o["id"], Track()).append(
                State([[o["east_m"]], [o["north_m"]]], timestamp=ts)
            )
    if not truths and not tracks:
        return out
    gen = GOSPAMetric(c=GOSPA_C_M, p=GOSPA_P)
    assert gen.alpha == 2
    metric = gen.compute_over_time(
        *gen.extract_states(list(tracks.values()), True),
        *gen.extract_states(list(truths.values()), True),
    )
    per_time = metric.value if isinstance(metric.value, list) else [metric]
    for m in per_time:
        k = round((m.timestamp - EPOCH).total_seconds())
        v = m.value
        out[k] = (v["distance"], v["localisation"], v["missed"], v["false"])
    return out


def clear_mot(frames):
    acc = mm.MOTAccumulator(auto_id=False)
    for k, f in enumerate(frames):
        objs = np.array([[o["east_m"], o["north_m"]] for o in f["truth"]], float).reshape(-1, 2)
        hyps = np.array([[o["east_m"], o["north_m"]] for o in f["tracks"]], float).reshape(-1, 2)
        d2 = mm.distances.norm2squared_matrix(objs, hyps, max_d2=MATCH_THRESHOLD_M**2)
        acc.update([o["id"] for o in f["truth"]], [o["id"] for o in f["tracks"]], d2, frameid=k)
    names = [
        "num_frames",
        "mota",
        "motp",
        "idf1",
        "num_switches",
        "num_detections",
        "num_misses",
        "num_false_positives",
        "num_objects",
        "num_predictions",
        "num_unique_objects",
        "mostly_tracked",
    ]
    summary = mm.metrics.create().compute(acc, metrics=names, name="seq")
    return {n: summary[n].iloc[0] for n in names}, acc.mot_events


def main(path):
    with open(path, encoding="utf-8") as fh:
        frames = json.load(fh)
    n = len(frames)

    # A truth id's class is its class when first seen, as in the Rust report.
    first_class, appear = {}, {}
    for f in frames:
        for o in f["truth"]:
            first_class.setdefault(o["id"], o["class"])
            appear[o["id"]] = appear.get(o["id"], 0) + 1
    truth_instances = sum(len(f["truth"]) for f in frames)
    track_instances = sum(len(f["tracks"]) for f in frames)

    gospa = gospa_per_frame(frames)
    mean = [ratio(sum(g[i] for g in gospa), n) for i in range(4)]

    if n:
        s, events = clear_mot(frames)
        assert int(s["num_frames"]) == n
        assert int(s["num_objects"]) == truth_instances
        assert int(s["num_predictions"]) == track_instances
        assert int(s["num_unique_objects"]) == len(first_class)
    else:  # motmetrics cannot summarise an empty accumulator
        s, events = {"num_switches": 0, "num_misses": 0, "num_false_positives": 0}, None

    # Matched pairs (MATCH and SWITCH events) as (squared distance, speed error, squared
    # velocity error), overall and per truth class; misses per class; matched frames per truth.
    truth_at = [{o["id"]: o for o in f["truth"]} for f in frames]
    track_at = [{o["id"]: o for o in f["tracks"]} for f in frames]
    classes, matched_frames, all_pairs = {}, {}, []
    for (frame_id, _), ev in [] if events is None else events.iterrows():
        if ev.Type not in ("MATCH", "SWITCH", "MISS"):
            continue
        oid = int(ev.OId)
        c = classes.setdefault(first_class[oid], {"instances": 0, "pairs": [], "misses": 0})
        c["instances"] += 1
        if ev.Type == "MISS":
            c["misses"] += 1
            continue
        t, h = truth_at[frame_id][oid], track_at[frame_id][int(ev.HId)]
        speed_err = math.hypot(h["vel_east_mps"], h["vel_north_mps"]) - math.hypot(
            t["vel_east_mps"], t["vel_north_mps"]
        )
        vel_err2 = (h["vel_east_mps"] - t["vel_east_mps"]) ** 2 + (
            h["vel_north_mps"] - t["vel_north_mps"]
        ) ** 2
        pair = (float(ev.D), speed_err * speed_err, vel_err2)
        c["pairs"].append(pair)
        all_pairs.append(pair)
        matched_frames[oid] = matched_frames.get(oid, 0) + 1

    def tracked(oids):
        oids = list(oids)
        hits = sum(1 for o in oids if matched_frames.get(o, 0) / appear[o] >= TRACKED_MIN_FRACTION)
        return ratio(hits, len(oids))

    def pair_stats(pairs):
        return {
            "position_rmse_m": root_mean([p[0] for p in pairs]),
            "speed_rmse_mps": root_mean([p[1] for p in pairs]),
            "velocity_rmse_mps": root_mean([p[2] for p in pairs]),
        }

    matches = len(all_pairs)
    if n:
        assert matches == int(s["num_detections"])
        # motmetrics' own "mostly tracked" count must agree with the event-derived one.
        assert tracked(appear) == ratio(int(s["mostly_tracked"]), len(first_class))
    report = {
        "frames": n,
        "truth_objects": len(first_class),
        "truth_instances": truth_instances,
        "track_instances": track_instances,
        "match_threshold_m": MATCH_THRESHOLD_M,
        "tracked_min_fraction": TRACKED_MIN_FRACTION,
        "gospa_c_m": GOSPA_C_M,
        "gospa_p": GOSPA_P,
        "gospa_alpha": 2.0,
        "gospa": mean[0],
        "gospa_localisation": mean[1],
        "gospa_missed": mean[2],
        "gospa_false": mean[3],
        "mota": finite(s["mota"]) if truth_instances else None,
        "motp_m": ratio(sum(math.sqrt(p[0]) for p in all_pairs), matches),
        "motp_squared_m2": finite(s["motp"]) if matches else None,
        "idf1": finite(s["idf1"]) if truth_instances + track_instances else None,
        "id_switches": int(s["num_switches"]),
        "matches": matches,
        "misses": int(s["num_misses"]),
        "false_positives": int(s["num_false_positives"]),
        **pair_stats(all_pairs),
        "tracked_fraction": tracked(appear),
        "by_class": {},
    }
    for name in sorted(classes):
        c = classes[name]
        oids = [o for o in first_class if first_class[o] == name]
        report["by_class"][name] = {
            "truth_objects": len(oids),
            "truth_instances": c["instances"],
            "matches": len(c["pairs"]),
            "misses": c["misses"],
            **pair_stats(c["pairs"]),
            "tracked_fraction": tracked(oids),
        }
    print_report(report)


def print_report(report):
    report["reference_versions"] = {
        p: version(p) for p in ("stonesoup", "motmetrics", "numpy", "scipy", "pandas")
    }
    json.dump(report, sys.stdout, indent=1, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
