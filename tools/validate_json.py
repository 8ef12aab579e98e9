#!/usr/bin/env python3
"""Validates JSON documents (one per line on stdin) against a JSON Schema (draft 2020-12).

Usage: validate_json.py SCHEMA [--def NAME]
  --def NAME  validate against SCHEMA's $defs/NAME instead of its root.
Prints one line per invalid document (its line number and every error) and exits 1 if any
is invalid, 2 on a broken schema or unreadable input; prints "N valid" and exits 0 otherwise.
Used by tests/tcc_feed.rs to check the TCC feed against docs/schema/tcc-feed-v1.json.
"""
import json
import sys

import jsonschema


def main() -> int:
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    schema_path = args[0]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    if len(args) == 3 and args[1] == "--def":
        schema = {"$ref": f"#/$defs/{args[2]}", "$defs": schema["$defs"]}
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    n = 0
    for i, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        n += 1
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as e:
            print(f"line {i}: not JSON: {e}")
            bad += 1
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        if errors:
            bad += 1
            for e in errors:
                print(f"line {i}: {'/'.join(map(str, e.path)) or '(root)'}: {e.message[:300]}")
    if bad:
        print(f"{bad} of {n} invalid")
        return 1
    print(f"{n} valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
