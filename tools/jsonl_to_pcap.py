#!/usr/bin/env python3
"""Writes UPER messages given as JSON lines {"uper": hex, ...} into a pcap (link type IPv4),
one UDP datagram each, 100 ms apart, so that Wireshark and `roadsight decode` can open them.

usage: jsonl_to_pcap.py IN.jsonl OUT.pcap [--dst 192.168.1.20:30299]
"""
import argparse
import json
import struct
import time


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b)//2}H", b))
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--src", default="192.168.1.10:40000")
    ap.add_argument("--dst", default="192.168.1.20:30299")
    ap.add_argument("--start", type=float, default=1_763_870_000.0, help="first timestamp, Unix seconds")
    a = ap.parse_args()
    (sip, sport), (dip, dport) = [(h, int(p)) for h, p in (x.rsplit(":", 1) for x in (a.src, a.dst))]
    sip, dip = bytes(map(int, sip.split("."))), bytes(map(int, dip.split(".")))
    with open(a.input) as f, open(a.output, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 228))
        for i, line in enumerate(l for l in f if l.strip()):
            payload = bytes.fromhex(json.loads(line)["uper"])
            ulen = 8 + len(payload)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, i, 0x4000, 64, 17, 0, sip, dip)
            ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
            pseudo = sip + dip + struct.pack("!BBH", 0, 17, ulen)
            udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
            c = checksum(pseudo + udp) or 0xFFFF
            udp = udp[:6] + struct.pack("!H", c) + udp[8:]
            t = a.start + 0.1 * i
            pkt = ip + udp
            out.write(struct.pack("<IIII", int(t), int(round((t % 1) * 1e6)) % 1_000_000, len(pkt), len(pkt)))
            out.write(pkt)


if __name__ == "__main__":
    main()
