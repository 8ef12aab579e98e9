#!/usr/bin/env bash
# Times CN UPER encode/decode in Rust (criterion) and the same messages in asn1tools, in one
# run, and prints the Markdown table that BENCHMARKS.md carries.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo bench --bench cn_codec -- --warm-up-time 2 --measurement-time 5 >&2
python3 tools/asn1_interop.py bench --input target/bench-cn-messages.jsonl --iterations 500 >target/bench-cn-asn1tools.jsonl
python3 tools/asn1_interop.py --asn etsi bench --input target/bench-etsi-messages.jsonl --iterations 500 >target/bench-etsi-asn1tools.jsonl
python3 - <<'PY'
import json
from pathlib import Path
def median_us(group, op, name):
    est = json.loads((Path("target/criterion") / group / op / name / "new" / "estimates.json").read_text())
    return est["median"]["point_estimate"] / 1000.0
print("| message | bytes | Rust encode µs | asn1tools encode µs | ratio | Rust decode µs | asn1tools decode µs | ratio |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
rows = [("cn_uper", line) for line in Path("target/bench-cn-asn1tools.jsonl").read_text().splitlines()]
rows += [("etsi_uper", line) for line in Path("target/bench-etsi-asn1tools.jsonl").read_text().splitlines()]
for group, line in rows:
    p = json.loads(line)
    re_, rd = median_us(group, "encode", p["name"]), median_us(group, "decode", p["name"])
    print(f"| {p['name']} | {p['bytes']} | {re_:.2f} | {p['encode_us']:.1f} | {p['encode_us']/re_:.0f}× "
          f"| {rd:.2f} | {p['decode_us']:.1f} | {p['decode_us']/rd:.0f}× |")
PY
