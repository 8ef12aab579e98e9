#!/usr/bin/env python3
"""Independent geodesy for Roadsight's site frame: PROJ (via pyproj) converts between
WGS84 and the local east-north-up frame at an anchor, so the Rust conversions can be
checked against it.

stdin: JSON lines {"anchor": [lat, lon, h], "enu": [[e, n, u], ...], "geo": [[lat, lon, h], ...]}
stdout: JSON lines {"enu_to_geo": [[lat, lon, h], ...], "geo_to_enu": [[e, n, u], ...]}
"""
import json
import sys

try:
    from pyproj import Transformer
except ImportError:
    sys.stderr.write("geo_check: error: Python package 'pyproj' is missing; "
                     "run: pip install -r tools/requirements.txt\n")
    sys.exit(2)


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        rec = json.loads(line)
        lat0, lon0, h0 = rec["anchor"]
        t = Transformer.from_pipeline(
            "+proj=pipeline +step +proj=cart +ellps=WGS84 "
            f"+step +proj=topocentric +ellps=WGS84 +lat_0={lat0!r} +lon_0={lon0!r} +h_0={h0!r}")
        enu_to_geo = []
        for e, n, u in rec.get("enu", []):
            lon, lat, h = t.transform(e, n, u, direction="INVERSE")
            enu_to_geo.append([lat, lon, h])
        geo_to_enu = []
        for lat, lon, h in rec.get("geo", []):
            geo_to_enu.append(list(t.transform(lon, lat, h)))
        print(json.dumps({"enu_to_geo": enu_to_geo, "geo_to_enu": geo_to_enu}))


if __name__ == "__main__":
    main()
