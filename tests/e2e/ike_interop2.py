#!/usr/bin/python3
"""Helpers for tests/e2e/ike_interop2.sh.

  ike_interop2.py flood --dst ADDR --srcs A,B,... --log FILE --ready FILE
                        --stop FILE [--max S] [--burst N] [--rate PPS]
      IKE_SA_INIT requests (scapy's IKEv2 layer: SA with one proposal
      aes128gcm16-prfsha256-x25519, KE group 31 with 32 random bytes, a
      32-byte nonce, a random SPI; never continued) from plain UDP sockets
      bound to each source address. Phase 1: BURST from the first source
      only; phase 2: BURST from each of the others; then FILE --ready is
      written and phase 3 sends round-robin at RATE until --stop exists or
      --max seconds have passed. --log: JSON {spi: [src, phase]} of every
      request sent.
  ike_interop2.py pcap FILE EXPR
      prints EXPR over m, the IKE messages of a capture (UDP 500/4500, the
      non-ESP marker removed; ESP and keepalives left out), each a dict:
      t, src, sport, dst, dport, iplen, spi_i, spi_r (hex), exch (34 init,
      35 auth, 36 create, 37 info), resp (bool), msgid, pl (payload types
      of the unencrypted chain: 33 SA, 34 KE, 40 Nonce, 41 N, 46 SK,
      53 SKF), notify (notify types in it: 16390 COOKIE), frag ((n, total)
      of an SKF or None). Also: flood (the --log JSON, if FLOOD_LOG is set).
  ike_interop2.py bucket ADDR...
      lib/ike's half-open counter bucket of each IPv4 address (FNV-1a,
      4096 buckets, as ike_src_bucket()).
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

COOKIE = 16390


def build_init(spi):
    from scapy.contrib.ikev2 import (IKEv2, IKEv2_payload_KE, IKEv2_payload_Nonce,
                                     IKEv2_payload_Proposal, IKEv2_payload_SA,
                                     IKEv2_payload_Transform)
    T = IKEv2_payload_Transform
    trans = (T(transform_type="Encryption", transform_id=20, length=12, key_length=0x800E0080) /
             T(transform_type="PRF", transform_id=5) /
             T(transform_type="GroupDesc", transform_id=31))
    # scapy 2.5 leaves the chain's next_payload fields at 0: set them.
    p = (IKEv2(init_SPI=spi, exch_type=34, flags="Initiator", next_payload=33) /
         IKEv2_payload_SA(next_payload=34, prop=IKEv2_payload_Proposal(
             proposal=1, proto=1, trans_nb=3, trans=trans)) /
         IKEv2_payload_KE(next_payload=40, group=31, load=os.urandom(32)) /
         IKEv2_payload_Nonce(next_payload=0, load=os.urandom(32)))
    return bytes(p)


def flood(a):
    srcs = a.srcs.split(",")
    socks = {}
    for s in srcs:
        so = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        so.bind((s, 0))
        so.setblocking(False)
        socks[s] = so
    log = {}
    sent = [0]

    def send(src, phase):
        spi = os.urandom(8)
        msg = build_init(spi)
        try:
            socks[src].sendto(msg, (a.dst, 500))
        except OSError as e:
            print("sendto from %s: %s" % (src, e), file=sys.stderr)
            return
        log[spi.hex()] = [src, phase]
        sent[0] += 1

    def drain():
        for so in socks.values():
            while True:
                try:
                    so.recv(65535)
                except OSError:
                    break

    t0 = time.time()
    for _ in range(a.burst):
        send(srcs[0], 1)
        time.sleep(0.002)
    time.sleep(0.5)
    drain()
    for s in srcs[1:]:
        for _ in range(a.burst):
            send(s, 2)
            time.sleep(0.001)
    time.sleep(0.3)
    drain()
    with open(a.ready, "w") as f:
        f.write("%d\n" % sent[0])
    i = 0
    while not os.path.exists(a.stop) and time.time() - t0 < a.max:
        send(srcs[i % len(srcs)], 3)
        i += 1
        if i % 10 == 0:
            drain()
        time.sleep(1.0 / a.rate)
    with open(a.log, "w") as f:
        json.dump(log, f)
    print("flood: %d requests from %d addresses in %.1f s" % (sent[0], len(srcs), time.time() - t0))
    return 0


def parse_ike(b):
    if len(b) < 28:
        return None
    spi_i, spi_r, np, ver, exch, flags, msgid, length = struct.unpack("!8s8sBBBBII", b[:28])
    if ver != 0x20:
        return None
    m = {"spi_i": spi_i.hex(), "spi_r": spi_r.hex(), "exch": exch,
         "resp": bool(flags & 0x20), "init": bool(flags & 0x08), "msgid": msgid,
         "pl": [], "notify": [], "frag": None}
    off = 28
    while np and off + 4 <= len(b):
        m["pl"].append(np)
        nnp, _, plen = struct.unpack("!BBH", b[off:off + 4])
        if plen < 4:
            break
        if np == 41 and off + 8 <= len(b):
            m["notify"].append(struct.unpack("!H", b[off + 6:off + 8])[0])
        if np == 53 and off + 8 <= len(b):
            m["frag"] = struct.unpack("!HH", b[off + 4:off + 8])
        if np in (46, 53):
            break
        np, off = nnp, off + plen
    return m


def read_pcap(path):
    from scapy.all import IP, UDP, PcapReader
    out = []
    with PcapReader(path) as r:
        for p in r:
            if IP not in p or UDP not in p:
                continue
            ip, udp = p[IP], p[UDP]
            if 500 not in (udp.sport, udp.dport) and 4500 not in (udp.sport, udp.dport):
                continue
            b = bytes(udp.payload)
            if 4500 in (udp.sport, udp.dport):
                if len(b) < 4 or b[:4] != b"\0\0\0\0":
                    continue  # ESP or a keepalive
                b = b[4:]
            m = parse_ike(b)
            if not m:
                continue
            m.update(t=float(p.time), src=ip.src, dst=ip.dst, sport=udp.sport,
                     dport=udp.dport, iplen=ip.len)
            out.append(m)
    return out


def pcap(a):
    m = read_pcap(a.file)
    env = {"m": m, "COOKIE": COOKIE}
    if os.environ.get("FLOOD_LOG"):
        try:
            with open(os.environ["FLOOD_LOG"]) as f:
                env["flood"] = json.load(f)
        except (OSError, ValueError):
            env["flood"] = {}
    print(eval(a.expr, env))
    return 0


def bucket(a):
    for s in a.addrs:
        h = 2166136261
        for x in socket.inet_aton(s):
            h = ((h ^ x) * 16777619) & 0xffffffff
        print(s, h & 4095)
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("flood")
    f.add_argument("--dst", required=True)
    f.add_argument("--srcs", required=True)
    f.add_argument("--log", required=True)
    f.add_argument("--ready", required=True)
    f.add_argument("--stop", required=True)
    f.add_argument("--max", type=float, default=20)
    f.add_argument("--burst", type=int, default=30)
    f.add_argument("--rate", type=float, default=100)
    p = sub.add_parser("pcap")
    p.add_argument("file")
    p.add_argument("expr")
    b = sub.add_parser("bucket")
    b.add_argument("addrs", nargs="+")
    a = ap.parse_args()
    return {"flood": flood, "pcap": pcap, "bucket": bucket}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
