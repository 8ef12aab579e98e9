#!/usr/bin/env python3
"""Stone Soup reference tracker for a `roadsight run --export FILE` JSON-lines export.

Runs a standard Stone Soup GNN tracker (same motion/measurement model and gating
as Roadsight) over the exported sensor frames, and scores both Stone Soup and
Roadsight's confirmed tracks with the same GOSPA (p=2, c=3 m, alpha=2) at every
eval instant in the export.

Usage: python3 tools/stonesoup_reference.py EXPORT.jsonl [--limit-seconds S]
Prints one JSON object on stdout; diagnostics go to stderr.
"""
import argparse
import datetime
import json
import sys
import time

import numpy as np
from scipy.optimize import linear_sum_assignment

import stonesoup
from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
from stonesoup.deleter.time import UpdateTimeDeleter
from stonesoup.hypothesiser.distance import DistanceHypothesiser
from stonesoup.initiator.simple import MultiMeasurementInitiator
from stonesoup.measures import Mahalanobis
from stonesoup.metricgenerator.ospametric import GOSPAMetric
from stonesoup.models.measurement.linear import LinearGaussian
from stonesoup.models.transition.linear import (
    CombinedLinearGaussianTransitionModel, ConstantVelocity)
from stonesoup.predictor.kalman import KalmanPredictor
from stonesoup.tracker.simple import MultiTargetTracker
from stonesoup.types.detection import Detection
from stonesoup.types.state import GaussianState, State
from stonesoup.updater.kalman import KalmanUpdater

# ---- settings (mirroring Roadsight's tracker) ----
NOISE_DIFF_COEFF = 1.0
MISSED_DISTANCE = 3.035          # sqrt(9.21): chi^2 99 % gate, 2 dof
MIN_POINTS = 6                   # ~ Roadsight 6-of-8 confirmation
PRIOR_VEL_VAR = 100.0
DELETE_AFTER_S = 2.0             # confirmed tracks: no update for 2 s -> deleted
HOLDING_DELETE_AFTER_S = 0.5     # tentative tracks (initiator): no update for 0.5 s -> dropped
GOSPA_C = 3.0
GOSPA_P = 2
GOSPA_ALPHA = 2

EPOCH = datetime.datetime(2000, 1, 1)


def ts(t):
    return EPOCH + datetime.timedelta(seconds=float(t))


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def gospa(est, truth, c=GOSPA_C, p=GOSPA_P):
    """GOSPA with alpha=2 on 2-D positions. est, truth: arrays (n,2), (m,2)."""
    est = np.asarray(est, float).reshape(-1, 2)
    truth = np.asarray(truth, float).reshape(-1, 2)
    n, m = len(est), len(truth)
    dummy = c ** p / 2.0
    if n == 0 or m == 0:
        return float((dummy * (n + m)) ** (1.0 / p))
    d = np.linalg.norm(est[:, None, :] - truth[None, :, :], axis=2)
    cost = np.minimum(d, c) ** p
    r, k = linear_sum_assignment(cost)
    total = 0.0
    assigned = 0
    for i, j in zip(r, k):
        if d[i, j] < c:
            total += cost[i, j]
            assigned += 1
    total += dummy * ((n - assigned) + (m - assigned))
    return float(total ** (1.0 / p))


def load(path, limit):
    frames, evals = [], []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            obj = json.loads(line)
            if "frame" in obj:
                fr = obj["frame"]
                if limit is None or fr["t"] <= limit:
                    frames.append(fr)
            elif "eval" in obj:
                ev = obj["eval"]
                if limit is None or ev["time_s"] <= limit:
                    evals.append(ev)
    frames.sort(key=lambda fr: fr["t"])          # stable
    evals.sort(key=lambda ev: ev["time_s"])
    return frames, evals


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("export")
    ap.add_argument("--limit-seconds", type=float, default=None)
    args = ap.parse_args()

    frames, evals = load(args.export, args.limit_seconds)
    log(f"loaded {len(frames)} frames, {len(evals)} eval instants")

    transition_model = CombinedLinearGaussianTransitionModel(
        [ConstantVelocity(NOISE_DIFF_COEFF), ConstantVelocity(NOISE_DIFF_COEFF)])
    default_mm = LinearGaussian(ndim_state=4, mapping=(0, 2), noise_covar=np.eye(2))
    predictor = KalmanPredictor(transition_model)
    updater = KalmanUpdater(default_mm)
    hypothesiser = DistanceHypothesiser(predictor, updater, measure=Mahalanobis(),
                                        missed_distance=MISSED_DISTANCE)
    associator = GNNWith2DAssignment(hypothesiser)
    deleter = UpdateTimeDeleter(datetime.timedelta(seconds=DELETE_AFTER_S))
    prior = GaussianState([[0], [0], [0], [0]],
                          np.diag([0.0, PRIOR_VEL_VAR, 0.0, PRIOR_VEL_VAR]))
    initiator = MultiMeasurementInitiator(
        prior_state=prior,
        deleter=UpdateTimeDeleter(datetime.timedelta(seconds=HOLDING_DELETE_AFTER_S)),
        data_associator=GNNWith2DAssignment(hypothesiser),
        updater=updater,
        measurement_model=default_mm,
        min_points=MIN_POINTS)

    def scans():
        for fr in frames:
            t = ts(fr["t"])
            dets = set()
            for d in fr["detections"]:
                mm = LinearGaussian(ndim_state=4, mapping=(0, 2),
                                    noise_covar=np.array(d["cov"], float))
                dets.add(Detection(np.array([[d["x"]], [d["y"]]], float),
                                   timestamp=t, measurement_model=mm,
                                   metadata={"class": d.get("class"),
                                             "sensor": fr["sensor"]}))
            yield t, dets

    tracker = MultiTargetTracker(initiator=initiator, deleter=deleter,
                                 detector=scans(), data_associator=associator,
                                 updater=updater)
    tracker_iter = iter(tracker)

    step_ms = []
    ss_gospa, rs_gospa = [], []
    fi = 0
    wall0 = time.time()
    checked_against_stonesoup_metric = 0
    metric = GOSPAMetric(c=GOSPA_C, p=GOSPA_P)
    for ei, ev in enumerate(evals):
        te = ev["time_s"]
        while fi < len(frames) and frames[fi]["t"] <= te:
            c0 = time.process_time()
            next(tracker_iter)
            step_ms.append((time.process_time() - c0) * 1000.0)
            fi += 1
        tstamp = ts(te)
        est = []
        for track in tracker.tracks:
            st = track.state
            if st.timestamp != tstamp:
                st = predictor.predict(st, timestamp=tstamp)
            sv = np.asarray(st.state_vector, float).ravel()
            est.append((sv[0], sv[2]))
        truth = [(o["east_m"], o["north_m"]) for o in ev["truth"]]
        rs = [(o["east_m"], o["north_m"]) for o in ev["tracks"]]
        g_ss = gospa(est, truth)
        ss_gospa.append(g_ss)
        rs_gospa.append(gospa(rs, truth))
        # cross-check the vectorised GOSPA against Stone Soup's own GOSPAMetric
        if checked_against_stonesoup_metric < 20 and est and truth:
            ms = [State(np.array([[x], [y]]), timestamp=tstamp) for x, y in est]
            tr = [State(np.array([[x], [y]]), timestamp=tstamp) for x, y in truth]
            ref = float(metric.compute_gospa_metric(ms, tr)[0].value["distance"])
            if abs(ref - g_ss) > 1e-6:
                log(f"warning: GOSPA mismatch at t={te}: ours {g_ss} vs stonesoup {ref}")
            checked_against_stonesoup_metric += 1
        if ei % 100 == 0:
            log(f"t={te:.1f}s frames={fi} ss_tracks={len(tracker.tracks)} "
                f"rs_tracks={len(rs)} truth={len(truth)} gospa ss={g_ss:.2f} "
                f"rs={rs_gospa[-1]:.2f} wall={time.time() - wall0:.1f}s")
    # remaining frames after the last eval instant (still counted as scans)
    while fi < len(frames):
        c0 = time.process_time()
        next(tracker_iter)
        step_ms.append((time.process_time() - c0) * 1000.0)
        fi += 1

    log(f"done in {time.time() - wall0:.1f}s wall; GOSPA cross-checked on "
        f"{checked_against_stonesoup_metric} instants")
    out = {
        "frames": len(frames),
        "eval_instants": len(evals),
        "stonesoup": {
            "gospa_mean": float(np.mean(ss_gospa)) if ss_gospa else None,
            "time_per_scan_ms_mean": float(np.mean(step_ms)) if step_ms else None,
            "time_per_scan_ms_p99": float(np.percentile(step_ms, 99)) if step_ms else None,
            "version": stonesoup.__version__,
        },
        "roadsight": {
            "gospa_mean": float(np.mean(rs_gospa)) if rs_gospa else None,
        },
        "settings": {
            "limit_seconds": args.limit_seconds,
            "transition": f"2x ConstantVelocity(noise_diff_coeff={NOISE_DIFF_COEFF})",
            "measurement": "LinearGaussian(mapping=(0,2)) with per-detection covariance",
            "predictor_updater": "KalmanPredictor/KalmanUpdater",
            "hypothesiser": f"DistanceHypothesiser(Mahalanobis, missed_distance={MISSED_DISTANCE})",
            "associator": "GNNWith2DAssignment",
            "initiator": f"MultiMeasurementInitiator(min_points={MIN_POINTS}, "
                         f"prior vel var={PRIOR_VEL_VAR}, holding deleter "
                         f"UpdateTimeDeleter({HOLDING_DELETE_AFTER_S}s))",
            "deleter": f"UpdateTimeDeleter({DELETE_AFTER_S}s)",
            "gospa": {"c": GOSPA_C, "p": GOSPA_P, "alpha": GOSPA_ALPHA,
                      "distance": "euclidean on east/north position"},
            "cpu_timer": "time.process_time around each tracker step",
        },
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
