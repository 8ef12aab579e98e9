#!/usr/bin/env python3
"""Independent ASN.1 codec cross-check for Roadsight's Rust encoder.

The Rust side encodes CN V2X messages (YD/T 3709-2020, module V2X2020,
AUTOMATIC TAGS) with the `rasn` crate, as UPER bytes plus the same value in
JER (ITU-T X.697 JSON).  This tool checks those outputs against a second,
unrelated implementation, Python `asn1tools`, so that an encoder bug cannot
hide behind its own decoder.  Everything it reads or writes on stdout is JSON
lines; diagnostics go to stderr.

Subcommands:
  check   stdin lines {"id", "type", "uper": hex, "jer": value}: decode the
          UPER with asn1tools, read the JER (after schema-aware
          normalisation of X.697-valid shape variants), compare the two values
          field by field and check that asn1tools re-encodes the same bytes.
          Prints {"id", "ok", "diffs", "error", "bytes_equal"} per line and
          exits 1 if any case failed.
  gen     random valid values of a type, walking the schema:
          {"id", "type", "uper": hex, "jer": asn1tools JER}.
  bench   asn1tools UPER encode/decode timings per message, microseconds
          (median over 5 batches of the per-operation mean of K iterations).
  decode  decode one UPER hex value and print asn1tools' JER, pretty.

Exit codes: 0 success, 1 a case failed, 2 usage or setup error.
"""

import argparse
import copy
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

try:
    import asn1tools
except ImportError:  # pragma: no cover - depends on the environment
    sys.stderr.write("asn1_interop: error: Python package 'asn1tools' is missing; "
                     "run: pip install -r tools/requirements.txt\n")
    sys.exit(2)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ASN = REPO_ROOT / "assets" / "asn1" / "cn-2020" / "V2X-2020.asn"
MAX_MESSAGE_BYTES = 64 * 1024
STRING_TYPES = {"IA5String", "VisibleString", "PrintableString",
                "NumericString", "UTF8String"}
HEX_RE = re.compile(r"^(?:[0-9A-Fa-f]{2})*$")


# ETSI TS 103 301 MAPEM and SPATEM with the modules they import (as tools/gen-asn1.sh).
ETSI_ASN = [REPO_ROOT / "assets" / "asn1" / f for f in (
    "etsi-r1/TS102894-2v131-CDD.asn", "etsi-r1/TS103301v211-MAPEM.asn",
    "etsi-r1/TS103301v211-SPATEM.asn", "iso-19091/DSRC.asn", "iso-19091/REGION.asn",
    "iso-19091/AddGrpC.asn",
    "iso-19091/ElectronicRegistrationIdentificationVehicleDataModule.asn")]


def jer_compatible(node):
    """asn1tools has no JER for open types (ISO TS 19091's regional extensions, an
    information object class field): show them as OCTET STRING, so that the rest of a
    MAPEM or SPATEM has a JER view. Only the JER view changes; UPER is compiled as written."""
    if isinstance(node, dict):
        if node.get("type") == "OpenType":
            node["type"] = "OCTET STRING"
        for v in node.values():
            jer_compatible(v)
    elif isinstance(node, list):
        for v in node:
            jer_compatible(v)
    return node


def asn_arg(text):
    """One --asn value: a file, or 'etsi' for the whole ETSI set."""
    return ETSI_ASN if text == "etsi" else [Path(text)]


class ToolError(Exception):
    """A usage or setup problem: reported on stderr, exit code 2."""


def join(path, name):
    return name if not path else path + "." + name


def root_items(items):
    """Root part of a member/value list: before the first `...`, after a second."""
    markers, out = 0, []
    for item in items:
        if item is None:
            markers += 1
        elif markers != 1:
            out.append(item)
    return out


def flat_items(items):
    """All members/values, extension additions (and groups) included."""
    out = []
    for item in items:
        if isinstance(item, list):
            out.extend(flat_items(item))
        elif item is not None:
            out.append(item)
    return out


class Spec:
    """The module parsed once, compiled for UPER and JER, plus a type walker."""

    def __init__(self, paths):
        paths = [Path(p) for p in (paths if isinstance(paths, list) else [paths])]
        for path in paths:
            if not path.is_file():
                raise ToolError(f"ASN.1 file not found: {path}")
        try:
            parsed = asn1tools.parse_files([str(p) for p in paths])
            self.uper = asn1tools.compile_dict(copy.deepcopy(parsed), "uper")
            self.jer = asn1tools.compile_dict(jer_compatible(copy.deepcopy(parsed)), "jer")
        except Exception as exc:
            names = ", ".join(str(p) for p in paths)
            raise ToolError(f"cannot compile {names}: {exc}") from exc
        self.types, self.values, self.named = {}, {}, {}
        for module in parsed.values():
            self.types.update(module.get("types", {}))
            for vname, vdesc in module.get("values", {}).items():
                self.values[vname] = vdesc
                if isinstance(vdesc.get("value"), int):
                    self.named.setdefault(vdesc.get("type"), []).append(vdesc["value"])
        self._resolved = {}
        self._has_list = {}

    def check_type(self, name):
        if name not in self.types or name not in self.uper.types:
            raise ToolError(f"unknown type '{name}' (not defined in the ASN.1 module)")
        return self.types[name]

    def resolve(self, desc):
        """Follow type references to a builtin type; outer constraints win.

        Returns (builtin descriptor, names of the referenced types)."""
        key = id(desc)
        if key not in self._resolved:
            merged, names, cur, seen = {}, [], desc, set()
            while cur["type"] in self.types:
                for k in ("size", "restricted-to", "named-bits", "named-numbers"):
                    if k in cur and k not in merged:
                        merged[k] = cur[k]
                if cur["type"] in seen:
                    raise ToolError(f"recursive type reference '{cur['type']}'")
                seen.add(cur["type"])
                names.append(cur["type"])
                cur = self.types[cur["type"]]
            out = dict(cur)
            out.update(merged)
            self._resolved[key] = (out, names)
        return self._resolved[key]

    def bound(self, x):
        if x is None or x in ("MIN", "MAX"):
            return None
        if isinstance(x, int):
            return x
        if x in self.values and isinstance(self.values[x].get("value"), int):
            return self.values[x]["value"]
        raise ToolError(f"cannot resolve bound {x!r}")

    def ranges(self, desc, key):
        """Root ranges [(lo, hi)] of 'restricted-to' or 'size' (None = unbounded)."""
        out = []
        for r in root_items(desc.get(key) or []):
            if isinstance(r, (tuple, list)):
                out.append((self.bound(r[0]), self.bound(r[1])))
            else:
                out.append((self.bound(r), self.bound(r)))
        return out

    def fixed_size(self, desc):
        """Fixed size as asn1tools' JER codec sees it (first size entry, a == b)."""
        size = desc.get("size")
        if not size or size[0] is None:
            return None
        first = size[0]
        lo, hi = (first if isinstance(first, (tuple, list)) else (first, first))
        return self.bound(lo) if self.bound(lo) == self.bound(hi) else None

    def has_list(self, desc, seen=()):
        """Does the type contain (transitively) a SEQUENCE OF / SET OF?"""
        res, names = self.resolve(desc)
        key = names[0] if names else None
        if key in self._has_list:
            return self._has_list[key]
        if key in seen:
            return False
        seen = seen + (key,)
        kind = res["type"]
        if kind in ("SEQUENCE OF", "SET OF"):
            out = True
        elif kind in ("SEQUENCE", "SET", "CHOICE"):
            out = any(self.has_list(m, seen) for m in flat_items(res["members"]))
        else:
            out = False
        if key is not None:
            self._has_list[key] = out
        return out


# ---------------------------------------------------------------- comparison

def bits_text(value):
    data, length = value
    bits = "".join(f"{b:08b}" for b in data)[:length]
    return f"'{bits}'B({length} bits)"


def is_bits(v):
    return isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], (bytes, bytearray))


def to_jsonable(v):
    if isinstance(v, (bytes, bytearray)):
        return v.hex().upper()
    if is_bits(v):
        return bits_text(v)
    if isinstance(v, tuple):
        return {str(v[0]): to_jsonable(v[1])}
    if isinstance(v, dict):
        return {k: to_jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_jsonable(x) for x in v]
    return v


def fmt(v):
    if v is _ABSENT:
        return "<absent>"
    if isinstance(v, (bytes, bytearray)):
        return f"'{v.hex().upper()}'H"
    if is_bits(v):
        return bits_text(v)
    text = json.dumps(to_jsonable(v), separators=(",", ":"))
    return text if len(text) <= 160 else text[:157] + "..."


_ABSENT = object()


def compare(a, b, path, out):
    """Append 'path: uper=X jer=Y' for every difference between two values."""
    where = path or "<root>"
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            compare(a.get(k, _ABSENT), b.get(k, _ABSENT), join(path, k), out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{where}: uper=<{len(a)} elements> jer=<{len(b)} elements>")
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, f"{path}[{i}]", out)
    elif is_bits(a) and is_bits(b):
        if bits_text(a) != bits_text(b):
            out.append(f"{where}: uper={fmt(a)} jer={fmt(b)}")
    elif isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) == 2:
        if a[0] != b[0]:
            out.append(f"{where}: uper=alternative {a[0]} jer=alternative {b[0]}")
        else:
            compare(a[1], b[1], join(path, str(a[0])), out)
    elif a is _ABSENT or b is _ABSENT or type(a) is not type(b) or a != b:
        out.append(f"{where}: uper={fmt(a)} jer={fmt(b)}")


# ------------------------------------------------------- JER normalisation

def normalise(spec, desc, v, path, problems):
    """Rewrite an X.697 JER value into the shape asn1tools' JER decoder takes.

    Only representation is relaxed (hex case, BIT STRING plain-hex versus
    {"value", "length"} form).  Anything that is not a valid JER value of the
    type (unknown or missing members, wrong JSON kinds, bad hex, non-zero
    padding bits, unknown identifiers) is appended to `problems`."""
    res, names = spec.resolve(desc)
    kind, where = res["type"], path or "<root>"

    def bad(msg):
        problems.append(f"{where}: {msg} (got {fmt(v)})")
        return None

    if kind in ("SEQUENCE", "SET"):
        if not isinstance(v, dict):
            return bad(f"expected a JSON object for {kind} {names[0] if names else ''}".rstrip())
        members = {m["name"]: m for m in flat_items(res["members"])}
        out = {}
        for k in v:
            if k not in members:
                problems.append(f"{join(path, k)}: unexpected member '{k}' "
                                f"(not a component of this {kind})")
        for name, m in members.items():
            if name in v:
                if v[name] is None and spec.resolve(m)[0]["type"] != "NULL":
                    problems.append(f"{join(path, name)}: null is not a JER value "
                                    "(an absent OPTIONAL member must be omitted)")
                    continue
                out[name] = normalise(spec, m, v[name], join(path, name), problems)
            elif not m.get("optional") and "default" not in m:
                problems.append(f"{join(path, name)}: mandatory member missing")
        return out
    if kind == "CHOICE":
        if not isinstance(v, dict) or len(v) != 1:
            return bad("expected a JSON object with exactly one alternative")
        (name, inner), = v.items()
        members = {m["name"]: m for m in flat_items(res["members"])}
        if name not in members:
            return bad(f"unknown alternative '{name}'")
        return {name: normalise(spec, members[name], inner, join(path, name), problems)}
    if kind in ("SEQUENCE OF", "SET OF"):
        if not isinstance(v, list):
            return bad("expected a JSON array")
        return [normalise(spec, res["element"], x, f"{path}[{i}]", problems)
                for i, x in enumerate(v)]
    if kind == "INTEGER":
        if isinstance(v, bool) or not isinstance(v, int):
            return bad("expected a JSON integer number")
        return v
    if kind == "BOOLEAN":
        return v if isinstance(v, bool) else bad("expected true or false")
    if kind == "NULL":
        return None if v is None else bad("expected null")
    if kind == "ENUMERATED":
        idents = [name for name, _ in flat_items(res["values"])]
        if not isinstance(v, str) or v not in idents:
            return bad(f"expected an enumeration identifier of {names[0] if names else 'ENUMERATED'}")
        return v
    if kind in STRING_TYPES:
        if not isinstance(v, str):
            return bad("expected a JSON string")
        return v
    if kind == "OCTET STRING":
        if not isinstance(v, str) or not HEX_RE.match(v):
            return bad("expected a hex string with an even number of digits")
        return v.upper()
    if kind == "BIT STRING":
        fixed = spec.fixed_size(res)
        if isinstance(v, str):
            if fixed is None:
                return bad('variable-size BIT STRING must be {"value": hex, "length": n}')
            hexstr, length = v, fixed
        elif isinstance(v, dict) and set(v) == {"value", "length"}:
            hexstr, length = v["value"], v["length"]
            if isinstance(length, bool) or not isinstance(length, int) or length < 0:
                return bad('"length" must be a non-negative integer')
            if fixed is not None and length != fixed:
                return bad(f"length {length} differs from the fixed size {fixed}")
        else:
            return bad('expected a hex string or {"value": hex, "length": n}')
        if not isinstance(hexstr, str) or not HEX_RE.match(hexstr):
            return bad("bit string value is not an even-length hex string")
        data = bytes.fromhex(hexstr)
        if len(data) != (length + 7) // 8:
            return bad(f"{len(data)} bytes of hex do not hold exactly {length} bits")
        if length % 8 and data[-1] & ((1 << (8 - length % 8)) - 1):
            return bad("padding bits after the last bit are not zero")
        hexstr = hexstr.upper()
        return hexstr if fixed is not None else {"value": hexstr, "length": length}
    return bad(f"type {kind} is not supported by this tool")


# ------------------------------------------------------------------ check

def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")


def check_case(spec, case, args):
    """Check one input record; returns the output record (without id)."""
    res = {"ok": False, "diffs": [], "error": None, "bytes_equal": False}
    if args.jer_out:
        res["asn1tools_jer"] = None
    tname = case.get("type", args.type)
    missing = [f for f in ("uper", "jer") if f not in case]
    try:
        if not isinstance(tname, str) or tname not in spec.uper.types:
            raise ValueError(f"unknown type {tname!r} (not defined in the ASN.1 module)")
        if missing:
            raise ValueError(f"input record has no '{missing[0]}' field")
        try:
            data = bytes.fromhex(case["uper"])
        except (TypeError, ValueError):
            raise ValueError(f"'uper' is not a hex string: {str(case['uper'])[:80]!r}") from None
        try:
            a = spec.uper.decode(tname, data)
        except Exception as exc:
            raise ValueError(f"asn1tools UPER decode failed: {type(exc).__name__}: {exc}") from None
    except ValueError as exc:
        res["error"] = str(exc)
        return res
    if args.jer_out:
        res["asn1tools_jer"] = json.loads(spec.jer.encode(tname, a))
    diffs = []
    try:
        spec.uper.types[tname].check_constraints(a)
    except Exception as exc:
        diffs.append(f"<uper>: decoded value violates a constraint: {exc}")
    try:
        res["bytes_equal"] = spec.uper.encode(tname, a, check_constraints=False) == data
    except Exception as exc:
        diffs.append(f"<uper>: asn1tools cannot re-encode the decoded value: {exc}")
    problems = []
    norm = normalise(spec, spec.types[tname], case["jer"], "", problems)
    if problems:
        res["error"] = f"'jer' is not a valid JER value of {tname} ({len(problems)} problem(s), see diffs)"
        diffs.extend(problems)
    else:
        try:
            b = spec.jer.decode(tname, json.dumps(norm).encode())
        except Exception as exc:
            res["error"] = f"asn1tools JER decode failed: {type(exc).__name__}: {exc}"
            b = None
        if res["error"] is None:
            compare(a, b, "", diffs)
    if len(diffs) > args.max_diffs:
        diffs = diffs[:args.max_diffs] + [f"... {len(diffs) - args.max_diffs} more differences"]
    res["diffs"] = diffs
    res["ok"] = (res["error"] is None and not diffs
                 and (res["bytes_equal"] or not args.require_bytes_equal))
    if res["error"] is None and not diffs and not res["ok"]:
        res["error"] = ("asn1tools re-encodes different UPER bytes "
                        f"({spec.uper.encode(tname, a).hex()}) and --require-bytes-equal is set")
    return res


def cmd_check(spec, args):
    total = failed = errors = with_diffs = equal = 0
    started = time.perf_counter()
    for lineno, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        total += 1
        try:
            case = json.loads(line)
            if not isinstance(case, dict):
                raise ValueError("record is not a JSON object")
        except ValueError as exc:
            out = {"ok": False, "diffs": [], "error": f"line {lineno}: invalid JSON record: {exc}",
                   "bytes_equal": False}
            case = {}
        else:
            out = check_case(spec, case, args)
        emit({"id": case.get("id"), **out})
        equal += out["bytes_equal"]
        if not out["ok"]:
            failed += 1
            errors += out["error"] is not None
            with_diffs += bool(out["diffs"])
    sys.stdout.flush()
    sys.stderr.write(f"asn1_interop check: {total} case(s), {total - failed} ok, {failed} failed "
                     f"({with_diffs} with diffs, {errors} with errors); "
                     f"bytes_equal {equal}/{total}; {time.perf_counter() - started:.2f}s\n")
    if total == 0:
        sys.stderr.write("asn1_interop check: no input records on stdin\n")
        return 1
    return 1 if failed else 0


# -------------------------------------------------------------------- gen

class Generator:
    """Random valid values of a type, by walking the parsed schema."""

    def __init__(self, spec, rng, edge):
        self.spec, self.rng, self.edge = spec, rng, edge
        self.all_present = True

    def value(self, desc, path, depth=0):
        if depth > 64:
            raise ToolError(f"{path}: nesting too deep (recursive type?)")
        spec, rng = self.spec, self.rng
        res, names = spec.resolve(desc)
        kind = res["type"]
        if kind in ("SEQUENCE", "SET"):
            out = {}
            for m in root_items(res["members"]):
                if isinstance(m, list):
                    continue
                if m.get("optional"):
                    if not (self.all_present if self.edge else rng.random() < 0.5):
                        continue
                out[m["name"]] = self.value(m, join(path, m["name"]), depth + 1)
            return out
        if kind == "CHOICE":
            m = rng.choice(root_items(res["members"]))
            return (m["name"], self.value(m, join(path, m["name"]), depth + 1))
        if kind in ("SEQUENCE OF", "SET OF"):
            lo, hi = self.size(res, 4)
            innermost = not spec.has_list(res["element"])
            r = rng.random()
            if innermost and r < (0.3 if self.edge else 0.1):
                n = hi
            elif r < 0.35:
                n = lo
            else:
                n = rng.randint(lo, min(hi, max(lo, 4)))
            return [self.value(res["element"], f"{path}[{i}]", depth + 1) for i in range(n)]
        if kind == "INTEGER":
            return self.integer(res, names)
        if kind == "ENUMERATED":
            return rng.choice(root_items(res["values"]))[0]
        if kind == "BOOLEAN":
            return rng.random() < 0.5
        if kind == "NULL":
            return None
        if kind == "BIT STRING":
            return self.bit_string(res)
        if kind == "OCTET STRING":
            n = self.length(res, 16)
            return bytes(rng.getrandbits(8) for _ in range(n))
        if kind in STRING_TYPES:
            n = self.length(res, 16)
            alphabet = "0123456789 " if kind == "NumericString" else None
            return "".join(rng.choice(alphabet) if alphabet else chr(rng.randint(0x20, 0x7E))
                           for _ in range(n))
        raise ToolError(f"{path or '<root>'}: type {kind} is not supported by the generator")

    def size(self, res, span):
        ranges = self.spec.ranges(res, "size") or [(0, None)]
        lo, hi = self.rng.choice(ranges)
        lo = lo or 0
        return lo, (lo + span if hi is None else hi)

    def length(self, res, span):
        lo, hi = self.size(res, span)
        r = self.rng.random()
        return lo if r < 0.2 else hi if r < 0.35 else self.rng.randint(lo, hi)

    def integer(self, res, names):
        rng = self.rng
        ranges = []
        for lo, hi in self.spec.ranges(res, "restricted-to") or [(None, None)]:
            if lo is None:
                lo = -2**31 if hi is None else hi - 2**31
            ranges.append((lo, lo + 2**32 if hi is None else hi))
        inside = lambda x: any(lo <= x <= hi for lo, hi in ranges)
        special = [x for lo, hi in ranges for x in (lo, hi)]
        special += [0] if inside(0) else []
        named = [x for n in names for x in self.spec.named.get(n, [])]
        named += [x for x in dict(res.get("named-numbers") or {}).values() if isinstance(x, int)]
        special += [x for x in named if inside(x)]
        if rng.random() < (0.6 if self.edge else 0.3):
            return rng.choice(special)
        lo, hi = rng.choice(ranges)
        return rng.randint(lo, hi)

    def bit_string(self, res):
        rng = self.rng
        lo, hi = self.size(res, 16)
        n = rng.choice([lo, hi, rng.randint(lo, hi)])
        named = [int(b) for _, b in res.get("named-bits") or [] if int(b) < n]
        mode = rng.random()
        if mode < 0.15 or n == 0:
            bits = 0
        elif mode < 0.25:
            bits = (1 << n) - 1
        elif mode < 0.55 and named:
            bits = sum(1 << (n - 1 - b) for b in named if rng.random() < 0.5)
        else:
            bits = rng.getrandbits(n)
        if named and lo != hi and n > lo:
            bits |= 1  # UPER drops trailing zero bits of named-bit strings
        nbytes = (n + 7) // 8
        return ((bits << (nbytes * 8 - n)).to_bytes(nbytes, "big"), n)


def cmd_gen(spec, args):
    desc = spec.check_type(args.type)
    if args.count < 0:
        raise ToolError("--count must be >= 0")
    gen = Generator(spec, random.Random(args.seed), args.edge)
    top, _ = spec.resolve(desc)
    top_alts = root_items(top["members"]) if top["type"] == "CHOICE" else None
    for i in range(args.count):
        gen.all_present = i % 2 == 0
        for _attempt in range(50):
            if top_alts:  # round-robin so every root alternative appears
                alt = top_alts[i % len(top_alts)]
                value = (alt["name"], gen.value(alt, alt["name"], 1))
            else:
                value = gen.value(desc, "")
            try:
                data = spec.uper.encode(args.type, value, check_constraints=True)
            except Exception as exc:
                sys.stderr.write(f"asn1_interop gen: value #{i} does not encode with asn1tools "
                                 f"UPER: {type(exc).__name__}: {exc}\n")
                return 1
            if len(data) < MAX_MESSAGE_BYTES:
                break
        else:
            raise ToolError(f"could not generate value #{i} below {MAX_MESSAGE_BYTES} bytes")
        jer = spec.jer.encode(args.type, value)
        for codec, back in (("UPER", spec.uper.decode(args.type, data)),
                            ("JER", spec.jer.decode(args.type, jer))):
            diffs = []
            compare(value, back, "", diffs)
            if diffs:
                sys.stderr.write(f"asn1_interop gen: value #{i} does not round-trip through "
                                 f"asn1tools {codec}:\n  " + "\n  ".join(diffs[:20]) + "\n")
                return 1
        emit({"id": i, "type": args.type, "uper": data.hex(), "jer": json.loads(jer)})
    return 0


# ------------------------------------------------------------------ bench

def cmd_bench(spec, args):
    if args.iterations < 1:
        raise ToolError("--iterations must be >= 1")
    try:
        lines = Path(args.input).read_text().splitlines()
    except OSError as exc:
        raise ToolError(f"cannot read {args.input}: {exc}") from exc
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
            name, tname = case.get("name", f"line{lineno}"), case.get("type", "MessageFrame")
            spec.check_type(tname)
            data = bytes.fromhex(case["uper"])
            value = spec.uper.decode(tname, data)
        except ToolError:
            raise
        except Exception as exc:
            sys.stderr.write(f"asn1_interop bench: {args.input}:{lineno}: {type(exc).__name__}: {exc}\n")
            return 1
        results = {}
        for op, fn, arg in (("encode", spec.uper.encode, value), ("decode", spec.uper.decode, data)):
            batches = []
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(args.iterations):
                    fn(tname, arg)
                batches.append((time.perf_counter() - t0) / args.iterations * 1e6)
            results[op] = round(statistics.median(batches), 3)
        emit({"name": name, "bytes": len(data), "encode_us": results["encode"],
              "decode_us": results["decode"], "iterations": args.iterations})
        sys.stdout.flush()
    return 0


# ----------------------------------------------------------------- decode

def cmd_decode(spec, args):
    spec.check_type(args.type)
    text = args.hex if args.hex not in (None, "-") else sys.stdin.read()
    try:
        data = bytes.fromhex(text.strip())
    except ValueError:
        raise ToolError(f"not a hex string: {text.strip()[:80]!r}")
    try:
        value = spec.uper.decode(args.type, data)
    except Exception as exc:
        sys.stderr.write(f"asn1_interop decode: {type(exc).__name__}: {exc}\n")
        return 1
    sys.stdout.write(spec.jer.encode(args.type, value, indent=2).decode() + "\n")
    return 0


def build_parser():
    ap = argparse.ArgumentParser(
        prog="asn1_interop.py",
        description="Cross-check Roadsight's rasn UPER/JER output with asn1tools.")
    asn_help = ("an ASN.1 module file; repeat to compile several together; 'etsi' names the "
                "MAPEM/SPATEM set (default: "
                f"{DEFAULT_ASN.relative_to(REPO_ROOT)})")
    ap.add_argument("--asn", type=asn_arg, action="append", help=asn_help)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--asn", type=asn_arg, action="append", dest="asn_sub", default=[],
                        help=asn_help)
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("check", parents=[common], help="compare UPER and JER of each stdin record")
    p.add_argument("--type", default="MessageFrame", help="type for records without 'type'")
    p.add_argument("--require-bytes-equal", action="store_true",
                   help="fail a case when asn1tools re-encodes different UPER bytes")
    p.add_argument("--jer-out", action="store_true",
                   help="add asn1tools' own JER of the UPER value as 'asn1tools_jer'")
    p.add_argument("--max-diffs", type=int, default=100, help="differences listed per case")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("gen", parents=[common], help="random valid values as JSON lines")
    p.add_argument("--type", default="MessageFrame")
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--edge", action="store_true",
                   help="alternate all-present/all-absent OPTIONALs, favour bounds")
    p.set_defaults(func=cmd_gen)

    p = sub.add_parser("bench", parents=[common], help="time asn1tools UPER encode/decode")
    p.add_argument("--input", required=True, help='JSON lines {"name", "type", "uper"}')
    p.add_argument("--iterations", type=int, default=1000, help="iterations per batch (5 batches)")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("decode", parents=[common], help="print asn1tools' JER of a UPER hex value")
    p.add_argument("--type", default="MessageFrame")
    p.add_argument("hex", nargs="?", help="UPER bytes as hex ('-' or absent: read stdin)")
    p.set_defaults(func=cmd_decode)
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        # --asn before and after the subcommand add up.
        groups = (args.asn or []) + args.asn_sub or [[DEFAULT_ASN]]
        return args.func(Spec([p for group in groups for p in group]), args)
    except ToolError as exc:
        sys.stderr.write(f"asn1_interop {args.cmd}: error: {exc}\n")
        return 2
    except BrokenPipeError:  # reader went away (e.g. `| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
