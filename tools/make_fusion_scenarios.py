#!/usr/bin/env python3
"""Writes the fusion stress scenarios into scenarios/fusion/, each a variant of the default
intersection (tools/make_default_scenario.py) that stresses one thing:

  dense      110 vehicles in 120 s (with pedestrians and a cyclist: 113 road users)
  crowd      24 pedestrians crossing one crosswalk together, both ways
  occlusion  a truck overtaking a car between them and a low radar: the car is hidden ~2 s
  dropout    a camera delivers nothing for 5 s
  latency    a camera 250 ms late with its clock 100 ms ahead
  ghosts     radars with multipath ghosts and clutter

Re-run after changing anything here: `python3 tools/make_fusion_scenarios.py`.
"""
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_default_scenario as base  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "scenarios" / "fusion"


def set_sensor(text, sensor_id, **fields):
    """Adds or replaces keys in the [[sensors]] block with this id."""
    start = text.index(f'id = "{sensor_id}"')
    end = text.find("\n\n", start)
    block = text[start:end]
    for k, v in fields.items():
        line = f"{k} = {v}"
        if re.search(rf"^{k} = .*$", block, flags=re.M):
            block = re.sub(rf"^{k} = .*$", line, block, flags=re.M)
        else:
            block += "\n" + line
    return text[:start] + block + text[end:]


def main(out=OUT):
    """Writes the scenarios into `out` (`--out DIR` on the command line; tests compare a fresh
    set with the bundled one)."""
    out.mkdir(parents=True, exist_ok=True)
    default = base.main()
    variants = {}
    variants["dense"] = base.main(vehicles=110, seed=11, title="Fusion stress: dense traffic, 113 road users.")
    variants["crowd"] = base.main(vehicles=12, seed=12, crowd=24, title="Fusion stress: a pedestrian crowd on a crosswalk.")
    variants["dropout"] = set_sensor(default.replace(base_title(), "Fusion stress: camera cam-ne out for 5 s."),
                                     "cam-ne", outages="[[40.0, 45.0]]")
    variants["latency"] = set_sensor(default.replace(base_title(), "Fusion stress: a camera 250 ms late, its clock 100 ms ahead."),
                                     "cam-sw", latency_s="0.25", latency_jitter_s="0.02", clock_offset_s="0.1")
    g = default.replace(base_title(), "Fusion stress: radars with multipath ghosts and clutter.")
    for r in ("radar-se", "radar-nw"):
        g = set_sensor(g, r, ghost_probability="0.3", false_alarms_per_frame="2.0")
    variants["ghosts"] = g
    variants["occlusion"] = occlusion()
    for name, text in variants.items():
        (out / f"{name}.toml").write_text(text + "\n")
        print(f"wrote {out / name}.toml")


def base_title():
    return "The bundled default scenario: a signalised four-approach intersection."


def occlusion():
    """A straight road segment; a low radar at the roadside; a car on the far lane at
    10 m/s; a truck on the near lane at 12 m/s overtaking it: the car is hidden from the
    radar while the truck passes between them. A high camera farther down the road sees the
    car the whole time only from far away, so the radar carries the track."""
    text = base.main(vehicles=2, seed=13, title="Fusion stress: a truck hides a car for about 2 s.")
    # Keep the site, map and signals; replace sensors and road users.
    head = text[: text.index("[[sensors]]")]
    sensors = """[[sensors]]
id = "radar-low"
kind = "radar"
position = { east_m = -30.0, north_m = -20.0, up_m = 1.0 }
yaw_deg = 90.0
fov_deg = 150.0
range_m = 200.0
rate_hz = 20.0
latency_s = 0.05
noise_m = 0.25
azimuth_noise_deg = 0.5
doppler_noise_mps = 0.1
detection_probability = 0.95

[[sensors]]
id = "cam-far"
kind = "camera"
position = { east_m = 120.0, north_m = -12.0, up_m = 6.0 }
yaw_deg = 180.0
fov_deg = 40.0
range_m = 90.0
rate_hz = 10.0
latency_s = 0.1
camera = { pixel_noise_px = 1.0 }
detection_probability = 0.95
# A long-lens camera: full detection probability almost to its range.
full_detection_range_m = 85.0
"""
    users = """
[[road_users]]
id = "car-hidden"
class = "car"
start_s = 0.0
path = [[-140.0, -5.25], [140.0, -5.25]]
speed = [[0.0, 10.0]]

[[road_users]]
id = "truck-overtaking"
class = "truck"
start_s = 2.0
path = [[-140.0, -12.25], [140.0, -12.25]]
speed = [[0.0, 12.0]]
"""
    head = re.sub(r"duration_s = [0-9.]+", "duration_s = 26.0", head)
    return head + sensors + users


if __name__ == "__main__":
    main(Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv else OUT)
