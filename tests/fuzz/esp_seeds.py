#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seeds for fuzz_esp_inbound (its header comment says the format):
frames like the unit tests' (tests/unit/test_esp.c, dp_fixture.c) and
sealed records for each of the target's SAs, written to DIR. NAT-T
frames with real ESP for the target's "gcm256-natt-tunnel" SA are
sealed here with the cryptography package, so that raw frames with
wrong UDP lengths start from ones that decrypt.

    esp_seeds.py DIR
"""
import ipaddress
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAC_LAN = bytes([2, 0, 0, 0, 0, 1])
MAC_WAN = bytes([2, 0, 0, 0, 0, 2])
MAC_H1 = bytes([2, 0, 0, 0, 1, 2])
MAC_PEER = bytes([2, 0, 0, 0, 2, 2])
RAW_WAN, RAW_LAN, SEALED, SEALED_RAW = 0, 1, 2, 3
# the target's SAs, in its order
GCM_TUN, CBC_TUN6_ESN, CBC_TRANSPORT, GCM_NATT, CHACHA_NATT, NULL_TUN6 = range(6)


def a(s):
    return ipaddress.ip_address(s).packed


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, payload, ttl=64, frag=0, tot=None):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot or 20 + len(payload), 1, frag, ttl,
                    proto, 0, a(src), a(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ipv6(src, dst, nh, payload, hops=64):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, hops, a(src), a(dst)) + payload


def udp(sport, dport, payload, ulen=None):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload) if ulen is None else ulen, 0) + payload


def eth(payload, v6=False, dst=MAC_WAN, src=MAC_PEER, etype=None):
    return dst + src + struct.pack("!H", etype or (0x86dd if v6 else 0x0800)) + payload


def rec(ctl, body):
    return bytes([ctl]) + struct.pack("!H", len(body)) + body


def sealed(sa, seq, nh, inner, raw=False, cut=False):
    ctl = (sa << 2) | (SEALED_RAW if raw else SEALED) | (0x20 if cut else 0)
    return rec(ctl, struct.pack("!Q", seq) + (b"" if raw else bytes([nh])) + inner)


DATA = bytes((i * 7 + 1) & 0xff for i in range(40))
IN4 = ipv4("198.18.3.5", "198.18.1.2", 17, udp(12345, 53, DATA))
IN6 = ipv6("2001:db8:3::5", "2001:db8:1::2", 17, udp(12345, 53, DATA))
L4 = udp(1234, 5678, DATA)  # transport mode's payload


def inner_of(sa):
    return {GCM_TUN: (4, IN4), GCM_NATT: (4, IN4), CBC_TUN6_ESN: (41, IN6),
            NULL_TUN6: (41, IN6), CBC_TRANSPORT: (17, L4), CHACHA_NATT: (17, L4)}[sa]


def natt_esp(seq, inner, nh=4):
    """ESP for gcm256-natt-tunnel (SPI 0x1003, key bytes 3 + 3i, salt cafebabe)."""
    spi = 0x1003
    key = bytes((spi + 3 * i) & 0xff for i in range(32))
    pad = (-(len(inner) + 2)) % 4
    text = inner + bytes(range(1, pad + 1)) + bytes([pad, nh])
    iv = struct.pack("!Q", seq)
    hdr = struct.pack("!II", spi, seq)
    return hdr + iv + AESGCM(key).encrypt(b"\xca\xfe\xba\xbe" + iv, text, hdr)


def natt_frame(payload, ulen=None, trailing=b""):
    u = udp(4500, 4500, payload, ulen)
    return eth(ipv4("203.0.113.2", "203.0.113.1", 17, u + trailing))


def seeds():
    s = {}
    for sa in range(6):
        nh, inner = inner_of(sa)
        s["sealed_%d" % sa] = sealed(sa, 1, nh, inner)
        # the window: new, newer, older within, duplicate, far ahead, left of it
        s["replay_%d" % sa] = b"".join(sealed(sa, q, nh, inner, cut=True)
                                       for q in (1, 3, 2, 2, 5000, 1))
        pad = (-(len(inner) + 2)) % 16
        s["trailer_%d" % sa] = sealed(sa, 7, 0, inner + bytes(range(1, pad + 1)) +
                                      bytes([pad, nh]), raw=True)
        s["dummy_%d" % sa] = sealed(sa, 2, 59, inner)
        s["wrong_nh_%d" % sa] = sealed(sa, 2, 6 if nh == 17 else 17, inner)
    s["policy_mismatch"] = sealed(GCM_TUN, 1, 4, ipv4("198.19.3.5", "198.18.1.2", 17,
                                                      udp(1, 2, DATA)))
    s["inner_to_unresolved"] = sealed(GCM_TUN, 1, 4, ipv4("198.18.3.5", "198.18.1.9", 17,
                                                          udp(1, 2, DATA)))
    s["esn_high_half"] = sealed(CBC_TUN6_ESN, 1 << 32 | 5, 41, IN6)
    good = natt_esp(1, IN4)
    s["natt_raw"] = rec(RAW_WAN, natt_frame(good))
    s["natt_udp_long"] = rec(RAW_WAN, natt_frame(good, ulen=8 + len(good) + 1))
    s["natt_udp_short"] = rec(RAW_WAN, natt_frame(good, ulen=7))
    s["natt_trailing"] = rec(RAW_WAN, natt_frame(good, trailing=b"\xee" * 7))
    s["natt_ike"] = rec(RAW_WAN, natt_frame(b"\0\0\0\0" + DATA))
    s["natt_keepalive"] = rec(RAW_WAN, natt_frame(b"\xff"))
    s["ike_500"] = rec(RAW_WAN, eth(ipv4("203.0.113.2", "203.0.113.1", 17, udp(500, 500, DATA))))
    esp = struct.pack("!II", 0x9999, 1) + DATA
    s["esp_unknown_spi"] = rec(RAW_WAN, eth(ipv4("203.0.113.2", "203.0.113.1", 50, esp)))
    s["esp_transit"] = rec(RAW_WAN, eth(ipv4("203.0.113.2", "198.18.3.7", 50, esp)))
    s["esp6_unknown_spi"] = rec(RAW_WAN, eth(ipv6("2001:db8:f::2", "2001:db8:f::1", 50, esp), True))
    s["esp_fragment"] = rec(RAW_WAN, eth(ipv4("203.0.113.2", "203.0.113.1", 50, esp, frag=0x2000)))
    s["plaintext_protected"] = rec(RAW_WAN, eth(ipv4("198.18.3.9", "198.18.1.2", 17,
                                                     udp(1, 2, DATA))))
    s["plaintext_other"] = rec(RAW_WAN, eth(ipv4("198.18.4.9", "198.18.1.2", 17, udp(1, 2, DATA))))
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC_PEER, a("203.0.113.2"),
                      bytes(6), a("203.0.113.1"))
    s["arp"] = rec(RAW_WAN, eth(arp, dst=b"\xff" * 6, etype=0x0806))
    icmp = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + DATA
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    s["echo"] = rec(RAW_WAN, eth(ipv4("203.0.113.2", "203.0.113.1", 1, icmp)))
    s["ttl_1"] = rec(RAW_WAN, eth(ipv4("203.0.113.2", "198.18.1.2", 1, icmp, ttl=1)))
    s["lan_out"] = rec(RAW_LAN, eth(ipv4("198.18.1.2", "198.18.3.5", 17, udp(1, 2, DATA)),
                                    dst=MAC_LAN, src=MAC_H1))
    s["lan_big_df"] = rec(RAW_LAN, eth(ipv4("198.18.1.2", "198.18.3.5", 17,
                                            udp(1, 2, bytes(1600)), frag=0x4000),
                                       dst=MAC_LAN, src=MAC_H1))
    s["lan_big_fragmented"] = rec(RAW_LAN, eth(ipv4("198.18.1.2", "198.18.3.5", 17,
                                                    udp(1, 2, bytes(1600))),
                                               dst=MAC_LAN, src=MAC_H1))
    s["not_for_us"] = rec(RAW_WAN, eth(IN4, dst=MAC_H1))
    s["runt"] = rec(RAW_WAN, MAC_WAN + MAC_PEER)
    s["burst"] = b"".join([s["sealed_0"], s["natt_raw"], s["esp_unknown_spi"],
                           sealed(CBC_TRANSPORT, 1, 17, L4), s["arp"], s["echo"],
                           sealed(GCM_TUN, 2, 4, IN4)])
    return s


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
