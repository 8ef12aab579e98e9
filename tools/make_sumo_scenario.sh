#!/usr/bin/env bash
# Makes scenarios/sumo/grid.toml: the centre junction (B1) of a 3×3 grid of signalised
# junctions, with cars, bicycles and pedestrians, simulated by SUMO (PyPI eclipse-sumo, pinned
# in tools/requirements.txt) and imported by `roadsight import-sumo`.
#
#   tools/make_sumo_scenario.sh            # regenerate everything (network, routes, scenario)
#   ROADSIGHT=target/release/roadsight tools/make_sumo_scenario.sh
#
# Every random choice has a fixed seed, so the same SUMO version gives the same scenario.
set -euo pipefail
cd "$(dirname "$0")/../scenarios/sumo"
SUMO_HOME=${SUMO_HOME:-$(python3 -c "import sumo; print(sumo.SUMO_HOME)")}
export SUMO_HOME
BIN="$SUMO_HOME/bin"
ROADSIGHT=${ROADSIGHT:-"cargo run --quiet --release --"}

# The network: 150 m blocks, two lanes each way, sidewalks and signalised crossings.
"$BIN/netgenerate" --grid --grid.number 3 --grid.length 150 -L 2 \
  --default-junction-type traffic_light --sidewalks.guess --crossings.guess \
  --no-turnarounds true --seed 1 -o grid.net.xml >/dev/null

# Traffic for 150 s: a car every 1.5 s, a bicycle every 6 s, a pedestrian every 3 s, each
# between random edges (randomTrips with fixed seeds).
trips() { python3 "$SUMO_HOME/tools/randomTrips.py" -n grid.net.xml -e 150 "$@" >/dev/null; }
trips -r cars.rou.xml -o /tmp/roadsight-cars.trips.xml --seed 7 -p 1.5 --prefix car --validate
trips -r bikes.rou.xml -o /tmp/roadsight-bikes.trips.xml --seed 8 -p 6 --vehicle-class bicycle --prefix bike --validate
trips -r peds.rou.xml -o /tmp/roadsight-peds.trips.xml --seed 9 -p 3 --pedestrians --prefix ped
rm -f /tmp/roadsight-{cars,bikes,peds}.trips.xml
# The tools' headers carry the date; drop them so a rerun changes nothing.
for f in grid.net.xml cars.rou.xml bikes.rou.xml peds.rou.xml; do
  python3 - "$f" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
open(p, "w").write(re.sub(r"<!--.*?-->\s*", "", s, flags=re.S))
PY
done

cat > grid.sumocfg <<'CFG'
<configuration>
    <input>
        <net-file value="grid.net.xml"/>
        <route-files value="cars.rou.xml,bikes.rou.xml,peds.rou.xml"/>
    </input>
    <time>
        <begin value="0"/>
        <end value="150"/>
    </time>
    <random_number>
        <seed value="42"/>
    </random_number>
</configuration>
CFG

# The scenario: 30 s of warm-up, then two minutes around the centre junction.
$ROADSIGHT import-sumo grid.sumocfg --junction B1 --begin 30 --end 150 \
  --anchor 31.2304,121.4737 --seed 7 --out grid.toml
