#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seeds of the eap_tls fuzz target (tests/fuzz/fuzz_eap_tls.c): a real
TLS ClientHello (Python's ssl over memory BIOs, TLS 1.2 and 1.3 offered)
framed as EAP-TLS Responses: whole (L and the length), in fragments
(L|M first, M, then the last), and with hostile lengths.

    /usr/bin/python3 tests/fuzz/eap_tls_seeds.py tests/fuzz/corpus/eap_tls
"""
import os
import ssl
import struct
import sys

L, M = 0x80, 0x40


def client_hello(max_version):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = max_version
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    s = ctx.wrap_bio(inc, out, server_side=False)
    try:
        s.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def record(type_data):
    return struct.pack(">H", len(type_data)) + type_data


def whole(tls):
    return bytes([L]) + struct.pack(">I", len(tls)) + tls


def fragments(tls, size):
    parts = [tls[i:i + size] for i in range(0, len(tls), size)]
    recs = []
    for i, p in enumerate(parts):
        flags = (L if i == 0 else 0) | (M if i < len(parts) - 1 else 0)
        head = bytes([flags]) + (struct.pack(">I", len(tls)) if i == 0 else b"")
        recs.append(record(head + p))  # each acknowledged by the server
    return b"".join(recs)


def main(d):
    os.makedirs(d, exist_ok=True)
    seeds = {}
    for ctl, v in ((0, ssl.TLSVersion.TLSv1_2), (1, ssl.TLSVersion.TLSv1_3)):
        ch = client_hello(v)
        seeds[f"seed-whole-{ctl}"] = bytes([ctl]) + record(whole(ch))
        seeds[f"seed-nolen-{ctl}"] = bytes([ctl]) + record(bytes([0]) + ch)
        seeds[f"seed-frag-{ctl}"] = bytes([ctl]) + fragments(ch, 64)
    ch = client_hello(ssl.TLSVersion.TLSv1_3)
    seeds["seed-long-length"] = b"\x00" + record(bytes([L | M]) + struct.pack(">I", 70000) + ch[:50])
    seeds["seed-short-length"] = b"\x00" + record(bytes([L]) + struct.pack(">I", 10) + ch[:50])
    seeds["seed-acks"] = b"\x01" + record(whole(ch)) + record(b"\x00") * 4
    seeds["seed-start-flag"] = b"\x00" + record(b"\x20")
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
