#!/usr/bin/env python3
"""Parse Prometheus text exposition (stdin) with prometheus_client's own parser.

Prints one JSON line per sample: {"name", "labels", "value", "type"}.  Exits 1
(with the parser's message on stderr) if the text is not valid exposition
format, 2 if prometheus_client is missing.
"""

import json
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # pragma: no cover - depends on the environment
    sys.stderr.write("prom_parse: error: Python package 'prometheus_client' is missing; "
                     "run: pip install -r tools/requirements.txt\n")
    sys.exit(2)


def main():
    text = sys.stdin.read()
    try:
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                print(json.dumps({"name": s.name, "labels": s.labels,
                                  "value": s.value, "type": family.type}))
    except Exception as e:  # the parser raises ValueError and friends
        sys.stderr.write(f"prom_parse: not valid exposition text: {e}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
