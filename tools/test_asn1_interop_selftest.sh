#!/usr/bin/env bash
# Self-test of tools/asn1_interop.py (no Rust needed): generated values must
# pass `check`, rasn-style JER shapes must be accepted, and broken JER/UPER
# must be reported with a precise path.  Prints 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/.."
TOOL="python3 tools/asn1_interop.py"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# 1. generated values round-trip through check, every MessageFrame alternative present
for seed in 1 2; do
  $TOOL gen --count 250 --seed "$seed" > "$TMP/gen$seed.jsonl" || bad "gen seed $seed"
  if $TOOL check < "$TMP/gen$seed.jsonl" > "$TMP/chk$seed.jsonl" 2> "$TMP/err"; then
    ok "gen|check seed $seed ($(tail -1 "$TMP/err"))"
  else bad "gen|check seed $seed: $(grep -m3 '"ok":false' "$TMP/chk$seed.jsonl")"; fi
done
alts=$(python3 -c 'import json,sys; print(len({next(iter(json.loads(l)["jer"])) for l in open(sys.argv[1])}))' "$TMP/gen1.jsonl")
[ "$alts" = 5 ] && ok "all 5 MessageFrame alternatives generated" || bad "only $alts alternatives"
$TOOL gen --count 100 --seed 9 --edge > "$TMP/edge.jsonl" \
  && $TOOL check --require-bytes-equal < "$TMP/edge.jsonl" > /dev/null 2>&1 \
  && ok "gen --edge | check --require-bytes-equal" || bad "edge"
cmp -s <($TOOL gen --count 50 --seed 4) <($TOOL gen --count 50 --seed 4) \
  && ok "gen is deterministic" || bad "gen not deterministic"

# 2. rasn-style shapes and deliberate faults
python3 - "$TMP/edge.jsonl" "$TMP" <<'EOF'
import json, sys
sys.path.insert(0, "tools")
import asn1_interop as ai
spec = ai.Spec(ai.DEFAULT_ASN)
recs = [json.loads(l) for l in open(sys.argv[1])]

def reshape(desc, v):
    """BIT STRING -> {"value", "length"} object, all hex lower case."""
    res, _ = spec.resolve(desc)
    k = res["type"]
    if k == "SEQUENCE":
        ms = {m["name"]: m for m in ai.flat_items(res["members"])}
        return {n: reshape(ms[n], x) for n, x in v.items()}
    if k == "CHOICE":
        (n, x), = v.items()
        return {n: reshape({m["name"]: m for m in ai.flat_items(res["members"])}[n], x)}
    if k == "SEQUENCE OF":
        return [reshape(res["element"], x) for x in v]
    if k == "BIT STRING":
        return {"length": spec.fixed_size(res), "value": v.lower()}
    if k == "OCTET STRING":
        return v.lower()
    return v

out = open(sys.argv[2] + "/rasn_shapes.jsonl", "w")
for r in recs:
    r["jer"] = reshape(spec.types["MessageFrame"], r["jer"])
    r["uper"] = r["uper"].upper()
    out.write(json.dumps(r) + "\n")
bsm = next(r for r in recs if "bsmFrame" in r["jer"] and "safetyExt" in r["jer"]["bsmFrame"]
           and "events" in r["jer"]["bsmFrame"]["safetyExt"])
rsm = next(r for r in recs if "rsmFrame" in r["jer"])

def mutate(name, rec, fn, expect):
    r = json.loads(json.dumps(rec))
    r["id"] = name
    fn(r)
    with open(f"{sys.argv[2]}/neg_{name}.json", "w") as f:
        f.write(json.dumps(r) + "\n" + expect + "\n")

b = lambda r: r["jer"]["bsmFrame"]
p0 = lambda r: r["jer"]["rsmFrame"]["participants"][0]
mutate("value", bsm, lambda r: b(r).update(msgCnt=(b(r)["msgCnt"] + 1) % 128),
       "bsmFrame.msgCnt: uper=")
mutate("nested", rsm, lambda r: p0(r).update(speed=(p0(r)["speed"] + 1) % 8191),
       "rsmFrame.participants[0].speed: uper=")
mutate("choice", rsm, lambda r: p0(r)["pos"].update(offsetLL={"position-LatLon": {"lon": 1, "lat": 2}}),
       "rsmFrame.participants[0].pos.offsetLL: uper=alternative")
mutate("unknown_member", bsm, lambda r: b(r)["brakes"].update(brakePedal="on"),
       "bsmFrame.brakes.brakePedal: unexpected member")
mutate("missing", bsm, lambda r: b(r).pop("speed"), "bsmFrame.speed: mandatory member missing")
mutate("enum", bsm, lambda r: b(r).update(transmission="Neutral"), "bsmFrame.transmission: expected an enumeration")
mutate("bits_len", bsm, lambda r: b(r)["safetyExt"].update(events={"value": "FFF8", "length": 12}),
       "bsmFrame.safetyExt.events: length 12 differs from the fixed size 13")
mutate("bits_pad", bsm, lambda r: b(r)["safetyExt"].update(events="FFFF"),
       "bsmFrame.safetyExt.events: padding bits")
mutate("bits_val", bsm, lambda r: b(r)["safetyExt"].update(
           events="0000" if b(r)["safetyExt"]["events"] != "0000" else "8000"),
       "bsmFrame.safetyExt.events: uper='")
mutate("octets", bsm, lambda r: b(r).update(id="00"), "bsmFrame.id: uper='")
mutate("null_optional", bsm, lambda r: b(r).update(angle=None), "bsmFrame.angle: null is not")
mutate("int_type", bsm, lambda r: b(r).update(speed=str(b(r)["speed"])), "bsmFrame.speed: expected a JSON integer")
mutate("uper_garbage", bsm, lambda r: r.update(uper="ff"), "asn1tools UPER decode failed")
mutate("uper_trailing", bsm, lambda r: r.update(uper=r["uper"] + "00"), "--require-bytes-equal")
EOF
if $TOOL check --require-bytes-equal < "$TMP/rasn_shapes.jsonl" > /dev/null 2> "$TMP/err"; then
  ok "rasn shapes (bit strings as {value,length}, lower-case hex) accepted"
else bad "rasn shapes: $(cat "$TMP/err")"; fi
for f in "$TMP"/neg_*.json; do
  name=$(basename "$f" .json)
  expect=$(sed -n 2p "$f")
  out=$(head -1 "$f" | $TOOL check --require-bytes-equal 2>/dev/null); rc=$?
  if [ $rc = 1 ] && grep -qF -- "$expect" <<< "$out" && grep -q '"ok":false' <<< "$out"; then
    ok "$name is reported: $(grep -oF -- "$expect" <<< "$out" | head -1)"
  else bad "$name (rc=$rc, expected '$expect'): $out"; fi
done
head -1 "$TMP/neg_uper_trailing.json" | $TOOL check > /dev/null 2>&1 \
  && ok "non-canonical bytes pass without --require-bytes-equal" || bad "bytes_equal lenient mode"

# 3. decode and bench print only JSON on stdout
hex=$(head -1 "$TMP/gen1.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["uper"])')
$TOOL decode --type MessageFrame "$hex" | python3 -c 'import json,sys; json.load(sys.stdin)' \
  && ok "decode prints JSON" || bad "decode"
python3 -c 'import json,sys
for i, l in enumerate(open(sys.argv[1])):
    if i < 3: print(json.dumps({"name": "m%d" % i, "type": "MessageFrame", "uper": json.loads(l)["uper"]}))' \
  "$TMP/gen1.jsonl" > "$TMP/bench.jsonl"
$TOOL bench --input "$TMP/bench.jsonl" --iterations 5 2>/dev/null \
  | python3 -c 'import json,sys; rows=[json.loads(l) for l in sys.stdin]; assert len(rows)==3 and all("encode_us" in r for r in rows)' \
  && ok "bench prints one JSON line per input" || bad "bench"
$TOOL decode --type NoSuchType 00 > /dev/null 2>&1; [ $? = 2 ] && ok "unknown type exits 2" || bad "unknown type exit code"

echo "selftest: $pass passed, $fail failed"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
