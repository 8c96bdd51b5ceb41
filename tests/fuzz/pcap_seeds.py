#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seeds from real exchanges: the IKE datagrams of captures.

  pcap_seeds.py PARSER_DIR RESPONDER_DIR PCAP...

Every UDP datagram to or from port 500 or 4500 in the captures (both
directions, each once) becomes a file of PARSER_DIR (the datagram, as
fuzz_ike_parser takes it) and of RESPONDER_DIR (behind the control byte
0: no clock advance, sender 192.0.2.1, as fuzz_ike_responder takes it).
On 4500 the non-ESP marker (RFC 3948 §2.2) is taken off and ESP, whose
first four bytes are a non-zero SPI, and keepalives are left out. The
captures come from the strongSwan interop suites run with
NETNS_KEEP_WORKDIR=1 (tests/fuzz/README.md, "Seeds").
"""
import hashlib
import os
import sys

from scapy.all import UDP, rdpcap  # noqa: E402

IKE_PORTS = (500, 4500)


def ike_datagram(pkt):
    """The IKE message a datagram carries, or None."""
    if UDP not in pkt:
        return None
    udp = pkt[UDP]
    if udp.sport not in IKE_PORTS and udp.dport not in IKE_PORTS:
        return None
    data = bytes(udp.payload)
    if 4500 in (udp.sport, udp.dport):
        if len(data) < 4 or data[:4] != b"\0\0\0\0":
            return None  # ESP in UDP, or a keepalive
        data = data[4:]
    return data if len(data) >= 28 else None  # an IKE header at least


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    parser_dir, responder_dir = sys.argv[1], sys.argv[2]
    os.makedirs(parser_dir, exist_ok=True)
    os.makedirs(responder_dir, exist_ok=True)
    seen = set()
    for path in sys.argv[3:]:
        for pkt in rdpcap(path):
            data = ike_datagram(pkt)
            if data is None or data in seen:
                continue
            seen.add(data)
            name = "sw-" + hashlib.sha1(data).hexdigest()
            with open(os.path.join(parser_dir, name), "wb") as f:
                f.write(data)
            with open(os.path.join(responder_dir, name), "wb") as f:
                f.write(b"\0" + data)
    print(f"{len(seen)} datagrams from {len(sys.argv) - 3} captures")


if __name__ == "__main__":
    main()
