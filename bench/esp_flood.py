#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The hostile ESP-in-UDP of bench/esp_flood.sh, as pcaps for tcpreplay.

  esp_flood.py DIR SRC_MAC DST_MAC SRC_IP DST_IP SPI N

writes DIR/KIND.pcap (N frames each) and DIR/mixed.pcap (all of them,
interleaved), KIND one of:
  bad_icv      the legitimate SA's SPI, sequence numbers far ahead of the
               window, random ciphertext: the ICV cannot verify
  unknown_spi  SPIs no SA has
  replay       the SA's SPI with sequence numbers 1..N (left of the window
               once the tunnel carried traffic)
  truncated    the SA's SPI, 8 bytes of ESP header and 4 of payload: shorter
               than IV + ICV
  oversized    an IPv4 total length beyond the frame (1400 claimed, 200 sent)
  udp_long     UDP length 64 bytes above the IP payload's
  udp_short    UDP length 16 bytes below it (cut there: the ICV fails)
All UDP 4500 -> 4500 (RFC 3948), from SRC_IP to DST_IP.
"""
import os
import random
import struct
import sys

from scapy.all import IP, UDP, Ether, Raw, wrpcap  # noqa: E402


def esp(spi, seq, body):
    return struct.pack("!II", spi, seq) + body


def frame(a, payload, udp_len=None, ip_len=None):
    u = UDP(sport=4500, dport=4500)
    if udp_len is not None:
        u.len = udp_len
    ip = IP(src=a.src_ip, dst=a.dst_ip, flags="DF")
    if ip_len is not None:
        ip.len = ip_len
    return Ether(src=a.src_mac, dst=a.dst_mac) / ip / u / Raw(payload)


class Args:
    def __init__(self, argv):
        (self.dir, self.src_mac, self.dst_mac, self.src_ip, self.dst_ip,
         spi, n) = argv
        self.spi = int(spi, 16)
        self.n = int(n)


def kinds(a):
    r = random.Random(os.urandom(8))
    rb = lambda k: bytes(r.getrandbits(8) for _ in range(k))  # noqa: E731
    far = 1 << 30
    bogus = [s for s in (r.getrandbits(32) for _ in range(a.n * 2)) if s not in (0, a.spi) and s > 255]
    body = 8 + 96 + 16  # IV, ciphertext, ICV of aes256gcm16
    return {
        "bad_icv": [frame(a, esp(a.spi, far + i, rb(body))) for i in range(a.n)],
        "unknown_spi": [frame(a, esp(bogus[i], i + 1, rb(body))) for i in range(a.n)],
        "replay": [frame(a, esp(a.spi, 1 + i % 16, rb(body))) for i in range(a.n)],
        "truncated": [frame(a, esp(a.spi, far + i, rb(4))) for i in range(a.n)],
        "oversized": [frame(a, esp(a.spi, far + i, rb(body + 44)), ip_len=1400) for i in range(a.n)],
        "udp_long": [frame(a, esp(a.spi, far + i, rb(body)), udp_len=8 + 8 + body + 64) for i in range(a.n)],
        "udp_short": [frame(a, esp(a.spi, far + i, rb(body)), udp_len=8 + 8 + body - 16) for i in range(a.n)],
    }


def main():
    if len(sys.argv) != 8:
        print(__doc__, file=sys.stderr)
        return 2
    a = Args(sys.argv[1:])
    ks = kinds(a)
    for name, pkts in ks.items():
        wrpcap(os.path.join(a.dir, name + ".pcap"), pkts)
    mixed = [p for group in zip(*ks.values()) for p in group]
    wrpcap(os.path.join(a.dir, "mixed.pcap"), mixed)
    print(" ".join(ks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
