#!/usr/bin/python3
"""Cross-check espgate's ESP against scapy's (scapy.layers.ipsec).

Helper of tests/e2e/esp_scapy.sh; needs /usr/bin/python3 with python3-scapy
and python3-cryptography (Debian). espgate runs with net_pcap ports:

  lan (protected)   rx IN_PLAIN.pcap  tx OUT_PLAIN.pcap
  wan (unprotected) rx IN_ESP.pcap    tx OUT_ESP.pcap

  esp_scapy.py list                        RUN POINTS, one line per run
  esp_scapy.py prepare RUN DIR SOCK PREFIX configuration, input pcaps and
                                           DIR/state.json (the expectations)
  esp_scapy.py check RUN DIR               one "ok DESC" / "not ok DESC" line
                                           per test point, "# ..." reasons

check reads DIR/OUT_*.pcap, DIR/sas.json and DIR/stats.json (espgatectl
--json), DIR/espgate.log and DIR/exit_status, written by the shell script.

Scapy does everything ESP: padding, encryption, ICVs, decryption. Two gaps
are filled here, by the RFC: scapy's ESP HMAC leaves out the ESN high half
(RFC 4303 §2.2.1; scapy only does that for AH), so with ESN and an HMAC the
ICV is computed over ESP || seq-high with python3-cryptography; and scapy's
encrypt() treats sequence number 0 as "not given", so the low half is set
on the SecurityAssociation instead.

Runs: one per case of CASES (an outbound and an inbound SA), "negative"
(bad inbound packets, each counted), "mtu" (packets at the wan MTU).
Transport mode: the configuration accepts only selectors that contain the
SA's own endpoints (espgate's unprotected address and the peer's), so the
outbound packets come from 203.0.113.1 on the protected side, and inbound
transport ESP is for espgate itself: echo requests, whose replies show
that they decrypted.
"""

import hashlib
import hmac
import json
import os
import random
import struct
import sys
import warnings

warnings.filterwarnings("ignore")
from scapy.all import (ICMP, IP, UDP, Ether, ICMPv6EchoReply,  # noqa: E402
                       ICMPv6EchoRequest, IPerror, IPv6, Raw, conf, defragment,
                       rdpcap, wrpcap)
from scapy.layers.inet6 import in6_chksum  # noqa: E402
from scapy.layers.ipsec import (ESP, IPSecIntegrityError,  # noqa: E402
                                SecurityAssociation, _ESPPlain)

conf.verb = 0

MAC_LAN = "02:00:00:00:00:01"    # espgate, protected port
MAC_WAN = "02:00:00:00:00:02"    # espgate, unprotected port
MAC_HOST = "02:00:00:00:01:02"   # 198.18.1.2 / 2001:db8:1::2 on lan
MAC_PEER = "02:00:00:00:02:02"   # 203.0.113.2 / 2001:db8:f::2 on wan

ADDR = {
    # outer (and transport) endpoints: espgate, peer
    4: ("203.0.113.1", "203.0.113.2"),
    6: ("2001:db8:f::1", "2001:db8:f::2"),
}
HOST = {4: "198.18.1.2", 6: "2001:db8:1::2"}          # protected side
BRANCH = {4: "198.18.3.%d", 6: "2001:db8:3::%d"}     # behind the peer
NET_LOCAL = {4: "198.18.1.0/24", 6: "2001:db8:1::/64"}
NET_BRANCH = {4: "198.18.3.0/24", 6: "2001:db8:3::/64"}

# enc: (scapy name, key bytes incl. salt); integ: (scapy name, key, icv)
ENC = {
    "aes128gcm16": ("AES-GCM", 20),
    "aes256gcm16": ("AES-GCM", 36),
    "aes128": ("AES-CBC", 16),
    "aes256": ("AES-CBC", 32),
    "chacha20poly1305": ("CHACHA20-POLY1305", 36),
    "null": ("NULL", 0),
}
INTEG = {
    None: (None, 0, 0),
    "sha1_96": ("HMAC-SHA1-96", 20, 12),
    "sha256_128": ("SHA2-256-128", 32, 16),
    "sha384_192": ("SHA2-384-192", 48, 24),
    "sha512_256": ("SHA2-512-256", 64, 32),
}
HASH = {"sha1_96": hashlib.sha1, "sha256_128": hashlib.sha256,
        "sha384_192": hashlib.sha384, "sha512_256": hashlib.sha512}
IV_LEN = {"AES-GCM": 8, "CHACHA20-POLY1305": 8, "AES-CBC": 16, "NULL": 0}

# DSCP/ECN values the inner packets cycle through (ECN: all four).
TOS = [0x00, 0xb8, 0x01, 0x02, 0x03, 0x28, 0x49, 0xfe]

N_OUT = 20
N_IN = 20

# The matrix. mode tunnel: inner/outer families; transport: fam.
# encap: None, 4500 (udp_encap true) or (out sport, out dport, in dport).
CASES = [
    dict(name="tun44-aes128gcm16", mode="tunnel", inner=4, outer=4,
         enc="aes128gcm16", integ=None, encap=None, esn=False),
    dict(name="tun64-aes256gcm16-natt4500-esn", mode="tunnel", inner=6,
         outer=4, enc="aes256gcm16", integ=None, encap=4500, esn=True),
    dict(name="tun46-aes128-sha1-esn", mode="tunnel", inner=4, outer=6,
         enc="aes128", integ="sha1_96", encap=None, esn=True, df=None),
    dict(name="tun66-aes128-sha256-natt4501", mode="tunnel", inner=6,
         outer=6, enc="aes128", integ="sha256_128",
         encap=(4501, 4500, 4501), esn=False),
    dict(name="tun44-aes256-sha384-natt4500-esn-dfset", mode="tunnel",
         inner=4, outer=4, enc="aes256", integ="sha384_192", encap=4500,
         esn=True, df="set"),
    dict(name="tun66-aes256-sha512-esn", mode="tunnel", inner=6, outer=6,
         enc="aes256", integ="sha512_256", encap=None, esn=True),
    dict(name="tun64-chacha20poly1305-natt4501-dfclear", mode="tunnel",
         inner=6, outer=4, enc="chacha20poly1305", integ=None,
         encap=(4501, 4500, 4501), esn=False, df="clear"),
    dict(name="tun46-null-sha256-natt4500", mode="tunnel", inner=4, outer=6,
         enc="null", integ="sha256_128", encap=4500, esn=False),
    # IPv4 outer, AEAD, no UDP: espgate frames these on its own path
    # (esp.c out_prepare_tunnel4_aead); ESN, DF set/clear, IPv6 inner
    dict(name="tun44-gcm256-esn-dfset", mode="tunnel", inner=4, outer=4,
         enc="aes256gcm16", integ=None, encap=None, esn=True, df="set"),
    dict(name="tun44-chacha20poly1305-dfclear", mode="tunnel", inner=4,
         outer=4, enc="chacha20poly1305", integ=None, encap=None, esn=False,
         df="clear"),
    dict(name="tun64-gcm128-esn", mode="tunnel", inner=6, outer=4,
         enc="aes128gcm16", integ=None, encap=None, esn=True),
    dict(name="trn4-aes128gcm16-esn", mode="transport", fam=4,
         enc="aes128gcm16", integ=None, encap=None, esn=True),
    dict(name="trn4-aes256-sha256-natt4500", mode="transport", fam=4,
         enc="aes256", integ="sha256_128", encap=4500, esn=False),
    dict(name="trn6-chacha20poly1305", mode="transport", fam=6,
         enc="chacha20poly1305", integ=None, encap=None, esn=False),
    dict(name="trn6-aes128-sha512-natt4501-esn", mode="transport", fam=6,
         enc="aes128", integ="sha512_256", encap=(4501, 4500, 4501),
         esn=True),
]
CASE_POINTS = 5
NEG_POINTS = 12
MTU_POINTS = 4


def runs():
    return [(c["name"], CASE_POINTS) for c in CASES] + \
        [("negative", NEG_POINTS), ("mtu", MTU_POINTS)]


# ---------------------------------------------------------------------------
# keys, SAs, configuration

def key_bytes(tag, n):
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(("%s/%d" % (tag, i)).encode()).digest()
        i += 1
    return out[:n]


class Sa:
    """One SA: its espgate configuration and a scapy view of it."""

    def __init__(self, name, spi, direction, mode, fam, enc, integ, esn,
                 encap=None, selector=None, df=None, inner=None):
        self.name, self.spi, self.dir, self.mode = name, spi, direction, mode
        self.fam, self.enc, self.integ, self.esn = fam, enc, integ, esn
        self.inner = inner if inner is not None else fam
        self.encap = encap      # None or (sport, dport) as espgate uses them
        self.selector = selector
        self.df = df
        self.enc_key = key_bytes(name + "/enc", ENC[enc][1])
        self.integ_key = key_bytes(name + "/integ", INTEG[integ][1])
        me, peer = ADDR[fam]
        self.src, self.dst = (me, peer) if direction == "out" else (peer, me)

    def config(self):
        d = {"name": self.name, "spi": "0x%x" % self.spi,
             "direction": self.dir, "mode": self.mode,
             "src": self.src, "dst": self.dst, "enc": self.enc}
        if self.enc_key:
            d["enc_key"] = self.enc_key.hex()
        if self.integ:
            d["integ"] = self.integ
            d["integ_key"] = self.integ_key.hex()
        d["selector"] = self.selector
        d["esn"] = self.esn
        if self.dir == "in":
            d["replay_window"] = 64
        if self.encap:
            d["udp_encap"] = {"sport": self.encap[0], "dport": self.encap[1]}
        if self.df:
            d["df"] = self.df
        return d

    def icv_len(self):
        return 16 if self.enc in ("aes128gcm16", "aes256gcm16",
                                  "chacha20poly1305") else INTEG[self.integ][2]

    def manual_icv(self):
        """scapy's ESP HMAC has no ESN: the ICV is ours then."""
        return self.esn and self.integ is not None

    def scapy_sa(self, seq_lo=1, seq_hi=0, auth=True):
        crypt = ENC[self.enc][0]
        tunnel = None
        if self.mode == "tunnel":
            src, dst = self.src, self.dst
            tunnel = IP(src=src, dst=dst) if self.fam == 4 else IPv6(src=src, dst=dst)
        nat_t = None
        if self.encap:
            nat_t = UDP(sport=self.encap[0], dport=self.encap[1])
        integ = INTEG[self.integ][0] if auth and not self.manual_icv() else None
        sa = SecurityAssociation(
            ESP, spi=self.spi, seq_num=seq_lo,
            crypt_algo=None if crypt == "NULL" else crypt,
            crypt_key=self.enc_key or None,
            auth_algo=integ, auth_key=self.integ_key if integ else None,
            tunnel_header=tunnel, nat_t_header=nat_t,
            esn_en=self.esn, esn=seq_hi)
        if self.integ and integ is None:
            # the ICV is checked (or appended) here; scapy still has to
            # know how long it is to find the ciphertext's end
            sa.crypt_icv_size = INTEG[self.integ][2]
        return sa

    def esn_icv(self, esp_wo_icv, seq_hi):
        mac = hmac.new(self.integ_key, esp_wo_icv + struct.pack("!L", seq_hi),
                       HASH[self.integ]).digest()
        return mac[:INTEG[self.integ][2]]

    # -- scapy encrypts (inbound traffic for espgate) --
    def encrypt(self, inner, seq, iv, outer_tos=None):
        lo, hi = seq & 0xffffffff, seq >> 32
        sa = self.scapy_sa(auth=True)
        sa.seq_num = lo          # encrypt(seq_num=0) would mean "default"
        sa.esn = hi
        if sa.tunnel_header is not None:
            # decapsulation keeps the inner DSCP (RFC 4301 §5.1.2.1): the
            # outer one differs; the same ECN leaves the inner ECN alone
            tos = outer_tos if outer_tos is not None else \
                ((tos_of(inner) ^ 0xa0) & 0xfc) | (tos_of(inner) & 3)
            if self.fam == 4:
                sa.tunnel_header.tos = tos
            else:
                sa.tunnel_header.tc = tos
        pkt = sa.encrypt(inner, iv=iv)
        if self.manual_icv():
            pkt[ESP].data += self.esn_icv(raw_esp(pkt), hi)
        return fix_outer(pkt)

    # -- scapy decrypts (espgate's outbound traffic) --
    def open(self, ip_hdr, esp_bytes, seq_hi):
        """Returns (inner bytes or transport packet bytes, padlen, nh);
        raises IPSecIntegrityError or ValueError."""
        sa = self.scapy_sa(seq_hi=seq_hi)
        esp = ESP(esp_bytes)
        if self.manual_icv():
            icv = self.esn_icv(esp_bytes[:-self.icv_len()], seq_hi)
            if icv != esp_bytes[-self.icv_len():]:
                raise IPSecIntegrityError("ICV (with ESN high %#x) does not verify" % seq_hi)
        elif self.integ:
            sa.auth_algo.verify(esp, sa.auth_key)
        full = self.scapy_sa(seq_hi=seq_hi, auth=not self.manual_icv())
        plain = full.crypt_algo.decrypt(full, esp, full.crypt_key,
                                        full.crypt_algo.icv_size or INTEG[self.integ][2],
                                        esn_en=self.esn, esn=seq_hi)
        if self.mode == "tunnel":
            return bytes(plain.data), plain.padlen, plain.nh
        # transport: scapy rebuilds the packet from the header it was
        # given, as plain ESP (a UDP encapsulation is left out)
        hdr = bytearray(bytes(ip_hdr)[:ip_hdr.ihl * 4 if self.fam == 4 else 40])
        if self.fam == 4:
            hdr[9] = 50
            hdr[2:4] = struct.pack("!H", len(hdr) + len(esp_bytes))
            pkt = IP(bytes(hdr) + esp_bytes)
        else:
            hdr[6] = 50
            hdr[4:6] = struct.pack("!H", len(esp_bytes))
            pkt = IPv6(bytes(hdr) + esp_bytes)
        out = full.decrypt(pkt, verify=False)
        return bytes(out), plain.padlen, plain.nh


def raw_esp(pkt):
    return bytes(pkt[ESP])


def fix_outer(pkt):
    """Lengths and checksums after an ICV was appended; IPv6 ESP-in-UDP
    gets a real checksum (RFC 8200 §8.1), IPv4's stays 0 (RFC 3948)."""
    if IP in pkt and pkt.version == 4:
        del pkt[IP].len
        del pkt[IP].chksum
    else:
        del pkt[IPv6].plen
    if UDP in pkt:
        del pkt[UDP].len
        if pkt.version == 6:
            del pkt[UDP].chksum
        else:
            pkt[UDP].chksum = 0
    return pkt.__class__(bytes(pkt))


def tos_of(p):
    return p.tos if p.version == 4 else p.tc


def dec_ttl(b):
    """The packet as espgate forwards it: TTL / hop limit minus one."""
    if b[0] >> 4 == 4:
        p = IP(b)
        p.ttl -= 1
        del p.chksum
        return bytes(IP(bytes(p)))
    return b[:7] + bytes([b[7] - 1]) + b[8:]


def inner_packet(fam, src, dst, i, tag, icmp_every=4):
    """A test packet: UDP (or an echo request every icmp_every), varying
    DSCP/ECN, DF, TTL, flow label and payload length (so every pad length
    occurs). The payload names the packet."""
    marker = ("%s#%d|" % (tag, i)).encode()
    payload = marker + bytes((i * 7 + k) & 0xff for k in range((i * 5) % 37))
    echo = icmp_every and i % icmp_every == icmp_every - 1
    tos = TOS[i % len(TOS)]
    if fam == 4:
        l4 = ICMP(id=0x4567, seq=i) / Raw(payload) if echo else \
            UDP(sport=1024 + i, dport=5000 + i % 3) / Raw(payload)
        p = IP(src=src, dst=dst, tos=tos, ttl=64 - i % 3, id=1000 + i,
               flags="DF" if i % 2 == 0 else 0) / l4
    else:
        l4 = ICMPv6EchoRequest(id=0x4567, seq=i, data=payload) if echo else \
            UDP(sport=1024 + i, dport=5000 + i % 3) / Raw(payload)
        p = IPv6(src=src, dst=dst, tc=tos, fl=i, hlim=64 - i % 3) / l4
    return p.__class__(bytes(p))


def base_config(sock, prefix, sas, natt=(4500, 4501)):
    return {
        "eal": ["--no-huge", "-m", "1024", "--no-pci", "--file-prefix", prefix],
        "lcores": {"control": 0, "workers": [1]},
        "control": {"socket": sock},
        "log": {"level": "info"},
        "ports": [
            {"name": "lan", "role": "protected", "mac": MAC_LAN,
             "device": "net_pcap0,rx_pcap=IN_PLAIN.pcap,tx_pcap=OUT_PLAIN.pcap",
             "addresses": ["198.18.1.1/24", "2001:db8:1::1/64"]},
            {"name": "wan", "role": "unprotected", "mac": MAC_WAN,
             "device": "net_pcap1,rx_pcap=IN_ESP.pcap,tx_pcap=OUT_ESP.pcap",
             "addresses": ["203.0.113.1/24", "2001:db8:f::1/64"]},
        ],
        "routes": [
            {"prefix": "198.18.3.0/24", "via": "203.0.113.2"},
            {"prefix": "2001:db8:3::/64", "via": "2001:db8:f::2"},
        ],
        "neighbors": [
            {"address": "198.18.1.2", "mac": MAC_HOST, "port": "lan"},
            {"address": "2001:db8:1::2", "mac": MAC_HOST, "port": "lan"},
            {"address": "203.0.113.2", "mac": MAC_PEER, "port": "wan"},
            {"address": "2001:db8:f::2", "mac": MAC_PEER, "port": "wan"},
        ],
        "ipsec": {"natt_ports": list(natt)},
        "sas": [s.config() for s in sas],
    }


def case_sas(c):
    """The outbound and the inbound SA of a matrix case."""
    if c["encap"] is None:
        oe = ie = None
    elif c["encap"] == 4500:
        oe = ie = (4500, 4500)
    else:
        osport, odport, idport = c["encap"]
        oe, ie = (osport, odport), (odport, idport)
    if c["mode"] == "tunnel":
        fam, inner = c["outer"], c["inner"]
        osel = {"src": NET_LOCAL[inner], "dst": NET_BRANCH[inner]}
        isel = {"src": NET_BRANCH[inner], "dst": NET_LOCAL[inner]}
    else:
        fam = inner = c["fam"]
        me, peer = ADDR[fam]
        plen = 32 if fam == 4 else 128
        osel = {"src": "%s/%d" % (me, plen), "dst": "%s/%d" % (peer, plen)}
        isel = {"src": "%s/%d" % (peer, plen), "dst": "%s/%d" % (me, plen)}
    out = Sa("o-" + c["name"][:29], 0x1001, "out", c["mode"], fam, c["enc"],
             c["integ"], c["esn"], encap=oe, selector=osel, df=c.get("df"),
             inner=inner)
    inn = Sa("i-" + c["name"][:29], 0x2001, "in", c["mode"], fam, c["enc"],
             c["integ"], c["esn"], encap=ie, selector=isel, inner=inner)
    return out, inn


def in_seqs(esn):
    """Inbound sequence numbers. With ESN: the window moves to just below
    2^32 in the first burst (net_pcap hands the worker 32 frames at a time
    and the window is checked against its state before the burst), then
    the second burst crosses into the high half, with a late low-half
    packet after the crossing."""
    if not esn:
        return list(range(1, N_IN + 1))
    s = list(range(1, 32)) + [0xFFFFFF00]
    s += list(range(0xFFFFFFF0, 0xFFFFFFFC))
    s += [0x100000000, 0x100000001, 0x100000002]
    s += list(range(0xFFFFFFFC, 0x100000000))
    s += [0x100000003, 0x100000004, 0x100000005]
    return s


def iv_for(sa, rng):
    return bytes(rng.getrandbits(8) for _ in range(IV_LEN[ENC[sa.enc][0]]))


def eth_in_esp(pkt):
    return bytes(Ether(src=MAC_PEER, dst=MAC_WAN) / pkt)


def eth_in_plain(pkt):
    return bytes(Ether(src=MAC_HOST, dst=MAC_LAN) / pkt)


def eth_out_plain(b):
    return bytes(Ether(src=MAC_LAN, dst=MAC_HOST,
                       type=0x0800 if b[0] >> 4 == 4 else 0x86dd)) + b


# ---------------------------------------------------------------------------
# prepare

def prepare_case(c, d, sock, prefix):
    out, inn = case_sas(c)
    rng = random.Random(c["name"])
    tag = c["name"][:12]
    plain_in, esp_in = [], []
    st = {"kind": "case", "case": c, "out_inner": [], "in_expect": [],
          "in_bytes": 0, "out_bytes": 0}
    # outbound traffic from the protected side
    for i in range(N_OUT):
        if c["mode"] == "tunnel":
            src = HOST[c["inner"]]
            dst = BRANCH[c["inner"]] % (10 + i % 4)
            p = inner_packet(c["inner"], src, dst, i, "o" + tag)
        else:
            me, peer = ADDR[c["fam"]]
            p = inner_packet(c["fam"], me, peer, i, "o" + tag)
        plain_in.append(eth_in_plain(p))
        st["out_inner"].append(bytes(p).hex())
        st["out_bytes"] += len(p)
    # inbound traffic from the peer
    seqs = in_seqs(c["esn"])
    for i, seq in enumerate(seqs):
        if c["mode"] == "tunnel":
            src = BRANCH[c["inner"]] % (20 + i % 4)
            p = inner_packet(c["inner"], src, HOST[c["inner"]], i, "i" + tag)
        else:
            # transport delivers to espgate itself: echo requests, which
            # espgate answers, prove the decrypted bytes
            me, peer = ADDR[c["fam"]]
            p = inner_packet(c["fam"], peer, me, i, "i" + tag, icmp_every=1)
        esp_in.append(eth_in_esp(inn.encrypt(p, seq, iv_for(inn, rng))))
        st["in_bytes"] += len(p)
        if c["mode"] == "tunnel":
            st["in_expect"].append(eth_out_plain(dec_ttl(bytes(p))).hex())
        else:
            st["in_expect"].append(bytes(p).hex())
    st["n_in"] = len(seqs)
    st["in_seqs"] = seqs
    write_run(d, sock, prefix, [out, inn], plain_in, esp_in, st)


def write_run(d, sock, prefix, sas, plain_in, esp_in, st):
    with open(os.path.join(d, "espgate.json"), "w") as f:
        json.dump(base_config(sock, prefix, sas), f, indent=1)
    wrpcap(os.path.join(d, "IN_PLAIN.pcap"), [Ether(b) for b in plain_in])
    wrpcap(os.path.join(d, "IN_ESP.pcap"), [Ether(b) for b in esp_in])
    st["rx_lan"], st["rx_wan"] = len(plain_in), len(esp_in)
    with open(os.path.join(d, "state.json"), "w") as f:
        json.dump(st, f)
    with open(os.path.join(d, "rx_counts"), "w") as f:
        f.write("%d %d\n" % (len(plain_in), len(esp_in)))


# The negative run: inbound only. Every packet's inner payload names it.
NEG_SAS = [
    # name, spi, enc, integ, encap
    ("nA-gcm", 0x3001, "aes128gcm16", None, None),
    ("nB-cbc", 0x3002, "aes128", "sha256_128", None),
    ("nC-chacha", 0x3003, "chacha20poly1305", None, (4500, 4500)),
    ("nE-ecn", 0x3004, "aes128gcm16", None, None),
    ("nF-ecn6", 0x3005, "aes128gcm16", None, None),
]


def neg_sas():
    out = {}
    for name, spi, enc, integ, encap in NEG_SAS:
        inner = 6 if name == "nF-ecn6" else 4
        out[name] = Sa(name, spi, "in", "tunnel", 4, enc, integ, False,
                       encap=encap, inner=inner,
                       selector={"src": NET_BRANCH[inner], "dst": NET_LOCAL[inner]})
    return out


def flip(b, off):
    b = bytearray(b)
    b[off] ^= 0x01
    return bytes(b)


def esp_range(frame):
    """(offset of ESP in the frame, its length)."""
    e = Ether(frame)
    ip = e.payload
    off = 14 + (ip.ihl * 4 if ip.version == 4 else 40)
    if (ip.proto if ip.version == 4 else ip.nh) == 17:
        off += 8
    return off, len(frame) - off


def set_ip_len(frame):
    """Re-derive lengths and checksums after bytes were cut out."""
    e = Ether(frame)
    del e[IP].len
    del e[IP].chksum
    if UDP in e:
        del e[UDP].len
    return bytes(Ether(bytes(e)))


def custom_esp(sa, seq, data, nh, iv, padding=None):
    """ESP built from scapy's parts with a payload of our choosing: TFC
    padding after the inner packet, a dummy (next header 59), padding
    bytes changed by 'padding' (RFC 4303 §2.4 wants 1, 2, 3, ...)."""
    s = sa.scapy_sa()
    plain = s.crypt_algo.pad(_ESPPlain(spi=sa.spi, seq=seq, iv=iv, data=data, nh=nh))
    if padding:
        if plain.padlen == 0:
            data += b"\x00" * 3
            plain = s.crypt_algo.pad(_ESPPlain(spi=sa.spi, seq=seq, iv=iv, data=data, nh=nh))
        plain.padding = padding(plain.padding)
    enc = s.crypt_algo.encrypt(s, plain, s.crypt_key)
    s.auth_algo.sign(enc, s.auth_key)
    outer = IP(src=sa.src, dst=sa.dst)
    if sa.encap:
        outer = outer / UDP(sport=sa.encap[0], dport=sa.encap[1])
    return eth_in_esp(fix_outer(outer / enc))


def prepare_negative(d, sock, prefix):
    sas = neg_sas()
    A, B, C, E = sas["nA-gcm"], sas["nB-cbc"], sas["nC-chacha"], sas["nE-ecn"]
    F = sas["nF-ecn6"]
    rng = random.Random("negative")
    frames, fwd = [], []
    n = [0]
    in_bytes = {k: 0 for k in sas}
    fwd_count = {k: 0 for k in sas}

    def inner(src=None, fam=4, tos=None):
        n[0] += 1
        p = inner_packet(fam, src or BRANCH[fam] % 20, HOST[fam], n[0], "neg")
        if tos is not None and fam == 4:
            p.tos = tos
            del p.chksum
            p = IP(bytes(p))
        elif tos is not None:
            p.tc = tos
            p = IPv6(bytes(p))
        return p

    def esp(sa, seq, p=None, outer_tos=None):
        p = p if p is not None else inner()
        return p, eth_in_esp(sa.encrypt(p, seq, iv_for(sa, rng), outer_tos=outer_tos))

    def good(sa, seq):
        p, f = esp(sa, seq)
        frames.append(f)
        fwd.append(eth_out_plain(dec_ttl(bytes(p))).hex())
        in_bytes[sa.name] += len(p)
        fwd_count[sa.name] += 1

    def bad(f):
        frames.append(f)

    # burst 1 (the first 32 frames): checks run against the window as it
    # was before the burst; duplicates are caught when the window updates
    good(A, 1)
    bad(flip(esp(A, 2)[1], -1))                       # A auth_failed: ICV bit
    good(A, 3)
    bad(esp(A, 3)[1])                                 # A replay: duplicate
    bad(esp(A, 1)[1])                                 # A replay: duplicate
    good(A, 2)                                        # the forged 2 took nothing
    good(B, 1)
    f = esp(B, 2)[1]
    off, ln = esp_range(f)
    bad(flip(f, off + 8 + 16 + 3))                    # B auth_failed: ciphertext
    bad(flip(esp(B, 3)[1], -1))                       # B auth_failed: ICV bit
    f = esp(A, 9)[1]                                  # unknown SPI, plain ESP
    off, _ = esp_range(f)
    bad(f[:off] + struct.pack("!L", 0x9999) + f[off + 4:])
    f = esp(C, 9)[1]                                  # unknown SPI, ESP in UDP 4500
    off, _ = esp_range(f)
    bad(set_ip_len(f[:off] + struct.pack("!L", 0x9998) + f[off + 4:]))
    f = esp(A, 4)[1]                                  # A malformed: truncated
    off, _ = esp_range(f)
    bad(set_ip_len(f[:off + 8 + 8 + 10]))
    f = esp(B, 4)[1]                                  # B malformed: not a block multiple
    bad(set_ip_len(f[:-20] + f[-16:]))
    bad(esp(A, 5, inner(src="198.18.9.9"))[1])       # A policy_mismatch: address
    bad(esp(A, 6, inner(fam=6))[1])                  # A policy_mismatch: family
    bad(custom_esp(B, 5, bytes(inner()), 4, iv_for(B, rng),   # B bad_padding
                   padding=lambda pad: bytes(x ^ 0x80 for x in pad)))
    bad(custom_esp(A, 7, b"\x00" * 12, 59, iv_for(A, rng)))    # A dummy (RFC 4303 §2.6)
    p = inner()                                       # TFC padding (RFC 4303 §2.4):
    frames.append(custom_esp(A, 8, bytes(p) + bytes(23), 4, iv_for(A, rng)))
    fwd.append(eth_out_plain(dec_ttl(bytes(p))).hex())  # forwarded without it
    tfc = fwd[-1]
    in_bytes[A.name] += len(p)
    fwd_count[A.name] += 1
    bad(eth_in_esp(IP(src=A.src, dst=A.dst) / UDP(sport=4500, dport=4500) /
                   Raw(b"\xff")))                     # NAT-T keepalive
    good(C, 1)
    bad(flip(esp(C, 2)[1], -2))                       # C auth_failed
    # RFC 6040 §4.2: outer CE marks an ECT inner packet CE ...
    p = inner(tos=0x02 | 0x28)
    frames.append(eth_in_esp(E.encrypt(p, 1, iv_for(E, rng), outer_tos=0x28 | 0x03)))
    ce = IP(bytes(p))
    ce.tos = 0x28 | 0x03
    del ce.chksum
    fwd.append(eth_out_plain(dec_ttl(bytes(IP(bytes(ce))))).hex())
    ecn = [fwd[-1]]
    in_bytes[E.name] += len(p)
    fwd_count[E.name] += 1
    p = inner(fam=6, tos=0x28 | 0x01)                 # the same for IPv6, ECT(1)
    frames.append(eth_in_esp(F.encrypt(p, 1, iv_for(F, rng), outer_tos=0x48 | 0x03)))
    ce = IPv6(bytes(p))
    ce.tc = 0x28 | 0x03
    fwd.append(eth_out_plain(dec_ttl(bytes(ce))).hex())
    ecn.append(fwd[-1])
    in_bytes[F.name] += len(p)
    fwd_count[F.name] += 1
    # ... and a not-ECT inner packet under an outer CE is dropped
    p = inner(tos=0x28)
    bad(eth_in_esp(E.encrypt(p, 2, iv_for(E, rng), outer_tos=0x28 | 0x03)))
    good(A, 200)
    bad(esp(A, 100)[1])                               # A replay: left of the window
    while len(frames) < 32:
        good(B, 10 + len(frames))
    # burst 2: checked against the updated window, before decryption
    bad(esp(A, 3)[1])                                 # A replay: duplicate
    bad(esp(A, 120)[1])                               # A replay: left of the window
    good(A, 201)
    st = {"kind": "negative", "fwd": fwd, "in_bytes": in_bytes, "tfc": tfc, "ecn": ecn,
          "fwd_count": fwd_count,
          "drops": {
              A.name: {"auth_failed": 1, "replay": 5, "malformed": 1,
                       "policy_mismatch": 2, "dummy": 1},
              B.name: {"auth_failed": 2, "malformed": 1, "bad_padding": 1},
              C.name: {"auth_failed": 1},
              E.name: {"*": 1},
              F.name: {},
          },
          "worker": {"unknown_spi": 2, "natt_keepalive": 1}}
    write_run(d, sock, prefix, list(sas.values()), [], frames, st)


# ---------------------------------------------------------------------------
# check

class Points:
    def __init__(self):
        self.lines = []

    def point(self, ok, desc, reasons=()):
        assert "#" not in desc
        self.lines.append(("ok " if ok else "not ok ") + desc)
        for r in list(reasons)[:12]:
            for line in str(r).splitlines():
                self.lines.append("# " + line)

    def emit(self):
        print("\n".join(self.lines))


def load(d, name, default=None):
    try:
        with open(os.path.join(d, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def read_pcap(d, name):
    try:
        return [bytes(p) for p in rdpcap(os.path.join(d, name))]
    except Exception:           # missing or empty
        return []


def sa_by_name(sas, name):
    for s in (sas or {}).get("sas", []):
        if s["name"] == name:
            return s
    return None


def worker_drops(stats):
    tot = {}
    for w in (stats or {}).get("workers", []):
        for k, v in w.get("drops", {}).items():
            tot[k] = tot.get(k, 0) + v
        for k, v in w.items():
            if isinstance(v, int) and k != "lcore":
                tot[k] = tot.get(k, 0) + v
    return tot


def control_counters(stats):
    c = (stats or {}).get("control", {})
    out = dict(c.get("drops", {}))
    out.update({k: v for k, v in c.items() if isinstance(v, int)})
    return out


def first_diff(a, b):
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return i
    return min(len(a), len(b))


def describe_diff(got, want):
    i = first_diff(got, want)
    return ("first difference at byte %d (of %d got / %d expected): got %s... "
            "expected %s..." % (i, len(got), len(want), got[i:i + 8].hex(),
                                want[i:i + 8].hex()))


def split_esp_frame(frame, sa):
    """(Ether, outer IP, UDP or None, ESP bytes) of an outbound frame."""
    e = Ether(frame)
    ip = e.payload
    if not isinstance(ip, (IP, IPv6)):
        return None
    if isinstance(ip, IP):
        hl, proto, end = ip.ihl * 4, ip.proto, 14 + ip.len
    else:
        hl, proto, end = 40, ip.nh, 14 + 40 + ip.plen
    off = 14 + hl
    udp = None
    if proto == 17:
        udp = UDP(frame[off:off + 8])
        off += 8
    elif proto != 50:
        return None
    return e, ip, udp, frame[off:end]


def exit_point(pts, d, desc_prefix):
    status = ""
    try:
        with open(os.path.join(d, "exit_status")) as f:
            status = f.read().strip()
    except OSError:
        pass
    log = ""
    try:
        with open(os.path.join(d, "espgate.log"), errors="replace") as f:
            log = f.read()
    except OSError:
        pass
    reasons = []
    if status != "0":
        reasons.append("exit status after SIGTERM: %s" % (status or "unknown"))
    if "mbufs in use at exit: 0" not in log:
        lines = [ln for ln in log.splitlines() if "mbufs in use" in ln]
        reasons.append("log: %s" % (lines[0] if lines else "no 'mbufs in use at exit' line"))
    if reasons:
        reasons += ["espgate log (tail):"] + log.splitlines()[-8:]
    pts.point(not reasons, desc_prefix + "espgate exits 0 on SIGTERM, mbufs in use at exit: 0",
              reasons)


def check_case(c, d, st, pts):
    out, inn = case_sas(c)
    name = c["name"]
    note = ""
    try:
        with open(os.path.join(d, "run_note")) as f:
            note = f.read().strip()
    except OSError:
        pass
    sas = load(d, "sas.json")
    stats = load(d, "stats.json")
    out_esp = read_pcap(d, "OUT_ESP.pcap")
    out_plain = read_pcap(d, "OUT_PLAIN.pcap")
    fam = out.fam
    me, peer = ADDR[fam]
    tunnel = c["mode"] == "tunnel"

    # espgate's ESP toward the peer; anything else aside. In transport
    # mode espgate's own echo replies to the peer go under the outbound SA
    # too (RFC 4301 §5.1): decrypted, they are set apart from the test
    # packets as (seq, decrypted packet).
    esp_frames, others, esp_replies = [], [], []
    for f in out_esp:
        parts = split_esp_frame(f, out)
        if parts and (parts[2] is None or parts[2].dport in (4500, 4501, out.encap and out.encap[1])) \
                and len(parts[3]) >= 8 and struct.unpack("!L", parts[3][:4])[0] == out.spi:
            if not tunnel and is_echo_reply(out, parts):
                esp_replies.append((struct.unpack("!L", parts[3][4:8])[0],
                                    out.open(parts[1], parts[3], 0)[0]))
            else:
                esp_frames.append((f, parts))
        else:
            others.append(f)

    # 1. outbound: decrypts to the original packets
    r = []
    if note:
        r.append(note)
    if len(esp_frames) != N_OUT:
        r.append("OUT_ESP.pcap holds %d ESP packets with SPI %#x, expected %d "
                 "(%d other frames)" % (len(esp_frames), out.spi, N_OUT, len(others)))
    seqs = []
    details = []
    for i, (f, (e, ip, udp, espb)) in enumerate(esp_frames[:N_OUT]):
        spi, seq = struct.unpack("!LL", espb[:8])
        seqs.append(seq)
        want = bytes.fromhex(st["out_inner"][i])
        want = dec_ttl(want)
        try:
            got, padlen, nh = out.open(ip, espb, 0)
        except (IPSecIntegrityError, Exception) as ex:
            r.append("packet %d (seq %d): scapy cannot decrypt/verify: %s: %s" %
                     (i, seq, type(ex).__name__, ex))
            continue
        if got != want:
            r.append("packet %d (seq %d): decrypted packet differs from the original "
                     "with TTL-1: %s" % (i, seq, describe_diff(got, want)))
        details.append((i, f, e, ip, udp, espb, padlen, nh, want))
    all_seqs = sorted(seqs + [q for q, _ in esp_replies])
    if seqs and (seqs != sorted(seqs) or all_seqs != list(range(1, len(all_seqs) + 1))):
        r.append("sequence numbers %s (with %d replies), expected increasing, all of 1..%d used once"
                 % (seqs, len(esp_replies), len(all_seqs)))
    pts.point(not r, "%s: outbound: %d packets -> ESP SPI %#x seq 1..%d, scapy decrypts "
              "each to the original with TTL/hop limit - 1" % (name, N_OUT, out.spi, N_OUT), r)

    # 2. outbound: outer headers, encapsulation, trailer
    r = []
    if not details:
        r.append("no decryptable outbound ESP packet to look at")
    block = 16 if out.enc in ("aes128", "aes256") else 4
    for (i, f, e, ip, udp, espb, padlen, nh, want) in details:
        inner = bytes.fromhex(st["out_inner"][i])
        ip_in = IP(inner) if inner[0] >> 4 == 4 else IPv6(inner)
        if e.dst != MAC_PEER or e.src != MAC_WAN:
            r.append("packet %d: Ethernet %s -> %s, expected %s -> %s" %
                     (i, e.src, e.dst, MAC_WAN, MAC_PEER))
        want_proto = 17 if out.encap else 50
        if fam == 4:
            chk = IP(bytes(ip)[:20])
            del chk.chksum
            chk = IP(bytes(chk))
            if ip.chksum != chk.chksum:
                r.append("packet %d: IPv4 header checksum %#x, expected %#x" % (i, ip.chksum, chk.chksum))
            if ip.len != len(f) - 14:
                r.append("packet %d: IPv4 total length %d, frame carries %d" % (i, ip.len, len(f) - 14))
            if ip.proto != want_proto:
                r.append("packet %d: protocol %d, expected %d" % (i, ip.proto, want_proto))
            if ip.frag != 0 or ip.flags.MF:
                r.append("packet %d: fragmented (flags %s offset %d)" % (i, ip.flags, ip.frag))
        else:
            if ip.plen != len(f) - 54:
                r.append("packet %d: IPv6 payload length %d, frame carries %d" % (i, ip.plen, len(f) - 54))
            if ip.nh != want_proto:
                r.append("packet %d: next header %d, expected %d" % (i, ip.nh, want_proto))
        if ip.src != me or ip.dst != peer:
            r.append("packet %d: %s -> %s, expected %s -> %s" % (i, ip.src, ip.dst, me, peer))
        otos = ip.tos if fam == 4 else ip.tc
        if tunnel:
            if otos != tos_of(ip_in):
                r.append("packet %d: outer DSCP/ECN %#04x, inner %#04x: not copied "
                         "(RFC 4301 §5.1.2.1, RFC 6040 §4.1)" % (i, otos, tos_of(ip_in)))
            ttl = ip.ttl if fam == 4 else ip.hlim
            if ttl != 64:
                r.append("packet %d: outer TTL/hop limit %d, expected 64" % (i, ttl))
            if fam == 4:
                if out.df == "set":
                    want_df = True
                elif out.df == "clear":
                    want_df = False
                else:
                    want_df = bool(ip_in.flags.DF) if ip_in.version == 4 else True
                if bool(ip.flags.DF) != want_df:
                    r.append("packet %d: outer DF %d, expected %d (df %s, inner %s)" %
                             (i, ip.flags.DF, want_df, out.df or "copy",
                              ("DF=%d" % ip_in.flags.DF) if ip_in.version == 4 else "IPv6"))
        else:
            # transport: the packet's own header, TTL - 1, otherwise kept
            ttl = ip.ttl if fam == 4 else ip.hlim
            want_ttl = (ip_in.ttl if fam == 4 else ip_in.hlim) - 1
            if ttl != want_ttl:
                r.append("packet %d: transport header TTL %d, expected %d" % (i, ttl, want_ttl))
            if otos != tos_of(ip_in):
                r.append("packet %d: transport header DSCP/ECN %#04x, expected %#04x" % (i, otos, tos_of(ip_in)))
            if fam == 4 and (ip.id != ip_in.id or ip.flags != ip_in.flags):
                r.append("packet %d: transport header id/flags %d/%s, expected %d/%s" %
                         (i, ip.id, ip.flags, ip_in.id, ip_in.flags))
            if fam == 6 and ip.fl != ip_in.fl:
                r.append("packet %d: flow label %d, expected %d" % (i, ip.fl, ip_in.fl))
        if out.encap:
            sp, dp = out.encap
            if udp is None:
                r.append("packet %d: not UDP-encapsulated" % i)
            else:
                if (udp.sport, udp.dport) != (sp, dp):
                    r.append("packet %d: UDP %d -> %d, expected %d -> %d" % (i, udp.sport, udp.dport, sp, dp))
                if udp.len != 8 + len(espb):
                    r.append("packet %d: UDP length %d, expected %d" % (i, udp.len, 8 + len(espb)))
                if fam == 4 and udp.chksum != 0:
                    r.append("packet %d: IPv4 UDP checksum %#x, expected 0 (RFC 3948 §2.1)" % (i, udp.chksum))
                if fam == 6:
                    off = 14 + 40
                    seg = f[off:off + 8 + len(espb)]
                    seg0 = seg[:6] + b"\x00\x00" + seg[8:]
                    want_ck = in6_chksum(17, IPv6(bytes(ip)[:40]), seg0)
                    if want_ck == 0:
                        want_ck = 0xffff
                    if udp.chksum != want_ck:
                        r.append("packet %d: IPv6 UDP checksum %#x, expected %#x" % (i, udp.chksum, want_ck))
        # ESP trailer: minimal padding to the block, the right next header
        text_len = len(espb) - 8 - IV_LEN[ENC[out.enc][0]] - out.icv_len()
        if text_len % block:
            r.append("packet %d: ciphertext %d bytes, not a multiple of %d" % (i, text_len, block))
        payload_len = text_len - padlen - 2
        if padlen >= block or (payload_len + padlen + 2) % block:
            r.append("packet %d: pad length %d for %d payload bytes (block %d)" % (i, padlen, payload_len, block))
        want_nh = (4 if ip_in.version == 4 else 41) if tunnel else \
            (ip_in.proto if fam == 4 else ip_in.nh)
        if nh != want_nh:
            r.append("packet %d: ESP next header %d, expected %d" % (i, nh, want_nh))
    ivs = [espb[8:8 + IV_LEN[ENC[out.enc][0]]] for (_, _, _, _, _, espb, _, _, _) in details]
    if IV_LEN[ENC[out.enc][0]] and len(set(ivs)) != len(ivs):
        r.append("IVs repeat: %d distinct of %d" % (len(set(ivs)), len(ivs)))
    what = ("tunnel: TTL 64, DSCP/ECN copied, DF %s" % (out.df or "copied")) if tunnel \
        else "transport: own header kept, TTL-1"
    if out.encap:
        what += ", UDP %d->%d%s" % (out.encap[0], out.encap[1],
                                    " checksum 0" if fam == 4 else " checksum valid")
    pts.point(not r, "%s: outbound headers (%s; padding, next header, unique IVs)" % (name, what), r)

    # 3. inbound: scapy's ESP forwarded exactly
    r = []
    if note:
        r.append(note)
    n_in = st["n_in"]
    seq_note = "seq 1..%d" % n_in if not c["esn"] else \
        "ESN seq 1..31, 0xffffff00, 0xfffffff0.. crossing 2^32 to 0x1_00000005, one late"
    if tunnel:
        want = [bytes.fromhex(h) for h in st["in_expect"]]
        if out_plain != want:
            r.append("OUT_PLAIN.pcap has %d frames, expected %d" % (len(out_plain), len(want)))
            for k in range(min(len(out_plain), len(want))):
                if out_plain[k] != want[k]:
                    r.append("frame %d: %s" % (k, describe_diff(out_plain[k], want[k])))
                    break
            got_set = set(out_plain)
            missing = [k for k, w in enumerate(want) if w not in got_set]
            if missing:
                r.append("missing (index: seq): %s" % ", ".join(
                    "%d: %#x" % (k, st["in_seqs"][k]) for k in missing[:12]))
        desc = "%s: inbound: %d scapy-encrypted packets (%s) -> exactly their inner packets, " \
               "TTL-1, to %s" % (name, n_in, seq_note, MAC_HOST)
    else:
        # delivered to espgate itself: it answers each echo request
        if out_plain:
            r.append("OUT_PLAIN.pcap has %d frames, expected none" % len(out_plain))
        reqs = [IP(bytes.fromhex(h)) if fam == 4 else IPv6(bytes.fromhex(h)) for h in st["in_expect"]]
        replies = {}
        clear = 0
        for _, pkt in esp_replies:
            p = IP(pkt) if fam == 4 else IPv6(pkt)
            if fam == 4:
                replies[p[ICMP].seq] = bytes(p[ICMP].payload)
            else:
                replies[p[ICMPv6EchoReply].seq] = bytes(p[ICMPv6EchoReply].data)
        for f in others:
            e = Ether(f)
            p = e.payload
            if fam == 4 and ICMP in p and p[ICMP].type == 0:
                replies[p[ICMP].seq] = bytes(p[ICMP].payload)
                clear += 1
            if fam == 6 and ICMPv6EchoReply in p:
                replies[p[ICMPv6EchoReply].seq] = bytes(p[ICMPv6EchoReply].data)
                clear += 1
        bad = []
        for q in reqs:
            if fam == 4:
                k, data = q[ICMP].seq, bytes(q[ICMP].payload)
            else:
                k, data = q[ICMPv6EchoRequest].seq, bytes(q[ICMPv6EchoRequest].data)
            if replies.get(k) != data:
                bad.append(k)
        ctl = control_counters(stats)
        if ctl.get("icmp_echo_replies") != n_in:
            r.append("control icmp_echo_replies %s, expected %d" % (ctl.get("icmp_echo_replies"), n_in))
        if bad:
            r.append("no echo reply with the request's data for %d of %d requests (seq %s)" %
                     (len(bad), n_in, bad[:10]))
        if clear:
            r.append("%d replies left in clear, not under the transport SA" % clear)
        desc = "%s: inbound: %d scapy-encrypted echo requests (%s) to espgate's %s decrypt " \
               "and are answered with their data, encrypted under the outbound SA" \
               % (name, n_in, seq_note, me)
    pts.point(not r, desc, r)

    # 4. counters
    r = []
    so, si = sa_by_name(sas, out.name), sa_by_name(sas, inn.name)
    if not so or not si:
        r.append("espgatectl sas lists %s" % [s.get("name") for s in (sas or {}).get("sas", [])])
    else:
        n_rep, b_rep = len(esp_replies), sum(len(pkt) for _, pkt in esp_replies)
        for sa_j, n, b, label in ((so, N_OUT + n_rep, st["out_bytes"] + b_rep, "out"),
                                  (si, n_in, st["in_bytes"], "in")):
            if sa_j["packets"] != n or sa_j["bytes"] != b:
                r.append("%s SA: packets %d bytes %d, expected %d / %d" %
                         (label, sa_j["packets"], sa_j["bytes"], n, b))
            nz = {k: v for k, v in sa_j["drops"].items() if v}
            if nz:
                r.append("%s SA drops: %s" % (label, nz))
        if so.get("seq") != N_OUT + n_rep:
            r.append("out SA seq %s, expected %d" % (so.get("seq"), N_OUT + n_rep))
    w = worker_drops(stats)
    for k, want in (("esp_out", N_OUT + len(esp_replies)), ("esp_in", n_in), ("esp_sa_drop", 0),
                    ("unknown_spi", 0)):
        if w.get(k) != want:
            r.append("worker %s %s, expected %d" % (k, w.get(k), want))
    pts.point(not r, "%s: espgatectl sas/stats: packets, bytes, seq, esp_in/esp_out counted, "
              "no drops" % name, r)

    # 5. exit
    exit_point(pts, d, "%s: " % name)


def is_echo_reply(sa, parts):
    """Whether an ESP frame of the outbound transport SA carries one of
    espgate's echo replies (decrypted with scapy to find out)."""
    try:
        pkt = sa.open(parts[1], parts[3], 0)[0]
    except Exception:
        return False
    if (pkt[0] >> 4) == 4:
        p = IP(pkt)
        return ICMP in p and p[ICMP].type == 0
    return ICMPv6EchoReply in IPv6(pkt)


def check_negative(d, st, pts):
    sas_j = load(d, "sas.json")
    stats = load(d, "stats.json")
    out_plain = read_pcap(d, "OUT_PLAIN.pcap")
    note = ""
    try:
        with open(os.path.join(d, "run_note")) as f:
            note = f.read().strip()
    except OSError:
        pass
    pre = "negative: "
    want = [bytes.fromhex(h) for h in st["fwd"]]

    r = [note] if note else []
    if out_plain != want:
        r.append("OUT_PLAIN.pcap has %d frames, expected the %d valid ones" % (len(out_plain), len(want)))
        wset = set(want)
        for k, f in enumerate(out_plain):
            if f not in wset:
                r.append("frame %d was not expected: %s" % (k, Raw(f[14:]).load[:60]))
                break
        got = set(out_plain)
        miss = [k for k, w in enumerate(want) if w not in got]
        if miss:
            r.append("valid packets missing: %s" % miss)
    if bytes.fromhex(st["tfc"]) not in out_plain:
        r.append("the packet with TFC padding was not forwarded (without the padding)")
    pts.point(not r, pre + "exactly the %d valid packets are forwarded (in order), none of "
              "the bad ones; TFC padding is removed" % len(want), r)

    def drops(name):
        s = sa_by_name(sas_j, name)
        return s["drops"] if s else None

    def sa_point(desc, items):
        r = []
        for name, reason, n in items:
            dd = drops(name)
            if dd is None:
                r.append("SA %s not listed" % name)
            elif dd.get(reason) != n:
                r.append("SA %s drops.%s = %s, expected %d" % (name, reason, dd.get(reason), n))
        pts.point(not r, pre + desc, r)

    sa_point("flipped ICV bit (GCM, HMAC, ChaCha20-Poly1305) or ciphertext bit (CBC): "
             "auth_failed counted, nothing forwarded",
             [("nA-gcm", "auth_failed", 1), ("nB-cbc", "auth_failed", 2),
              ("nC-chacha", "auth_failed", 1)])
    sa_point("duplicates in one burst and across bursts, numbers left of the window: "
             "replay = 5; a forged packet does not consume its number",
             [("nA-gcm", "replay", 5)])
    w = worker_drops(stats)
    r = []
    if w.get("unknown_spi") != 2:
        r.append("worker drops.unknown_spi = %s, expected 2" % w.get("unknown_spi"))
    pts.point(not r, pre + "unknown SPI to 203.0.113.1 (ESP and ESP-in-UDP 4500): "
              "stats unknown_spi = 2", r)
    sa_point("truncated ESP (GCM) and CBC ciphertext not a block multiple: malformed",
             [("nA-gcm", "malformed", 1), ("nB-cbc", "malformed", 1)])
    sa_point("inner source outside the selector, inner family not the selector's: "
             "policy_mismatch = 2", [("nA-gcm", "policy_mismatch", 2)])
    sa_point("padding bytes not 1, 2, 3, ...: bad_padding", [("nB-cbc", "bad_padding", 1)])
    sa_point("next header 59 (dummy packet): dummy", [("nA-gcm", "dummy", 1)])
    r = []
    if w.get("natt_keepalive") != 1:
        r.append("worker drops.natt_keepalive = %s, expected 1" % w.get("natt_keepalive"))
    pts.point(not r, pre + "NAT-T keepalive (0xff) to port 4500: natt_keepalive = 1", r)
    r = []
    dd = drops("nE-ecn")
    if dd is None or sum(dd.values()) != 1:
        r.append("SA nE-ecn drops %s, expected exactly one" % dd)
    for k, h in enumerate(st["ecn"]):
        if bytes.fromhex(h) not in out_plain:
            r.append("the %s packet under an outer CE was not forwarded marked CE (expected %s)"
                     % ("IPv4 ECT(0)" if k == 0 else "IPv6 ECT(1)", h[28:60]))
    pts.point(not r, pre + "RFC 6040 decapsulation: outer CE marks an ECT inner packet CE "
              "(IPv4 and IPv6, checksum fixed), drops a not-ECT one", r)
    # every counter exactly
    r = []
    for name, exp in st["drops"].items():
        s = sa_by_name(sas_j, name)
        if s is None:
            r.append("SA %s not listed" % name)
            continue
        got = {k: v for k, v in s["drops"].items() if v}
        if "*" not in exp and got != exp:
            r.append("SA %s drops %s, expected %s" % (name, got, exp))
        if s["packets"] != st["fwd_count"][name] or s["bytes"] != st["in_bytes"][name]:
            r.append("SA %s packets %d bytes %d, expected %d / %d" %
                     (name, s["packets"], s["bytes"], st["fwd_count"][name], st["in_bytes"][name]))
    total_sa = sum(sum(s["drops"].values()) for s in (sas_j or {}).get("sas", []))
    if w.get("esp_sa_drop") != total_sa:
        r.append("worker esp_sa_drop %s, per-SA drops sum to %d" % (w.get("esp_sa_drop"), total_sa))
    if w.get("esp_in") != len(want):
        r.append("worker esp_in %s, expected %d" % (w.get("esp_in"), len(want)))
    pts.point(not r, pre + "every SA's drops and packet/byte counters exactly as expected; "
              "esp_sa_drop = their sum", r)
    exit_point(pts, d, pre)


# ---------------------------------------------------------------------------
# the MTU run: encapsulated size against the wan MTU (1500)

def mtu_sas():
    tun = Sa("m-tun", 0x1001, "out", "tunnel", 4, "aes128gcm16", None, False,
             selector={"src": NET_LOCAL[4], "dst": NET_BRANCH[4]})
    trn = Sa("m-trn", 0x1002, "out", "transport", 4, "aes128", "sha256_128", False,
             selector={"src": "203.0.113.1/32", "dst": "203.0.113.2/32"})
    return tun, trn


def sized(src, dst, total, df, i):
    p = IP(src=src, dst=dst, flags="DF" if df else 0, ttl=64, id=0x700 + i) / \
        UDP(sport=4000 + i, dport=4000) / Raw(bytes((i + k) & 0xff for k in range(total - 28)))
    return IP(bytes(p))


# AES-GCM tunnel, IPv4 outer: 20 + 8 (ESP) + 8 (IV) + 16 (ICV), payload + 2
# rounded up to 4: 1446 bytes fill 1500 exactly. AES-CBC/SHA-256 transport:
# 20-byte header kept, 8 + 16 (IV) + 16 (ICV), payload + 2 rounded up to 16:
# 1458 bytes fill 1500 exactly.
MTU_PKTS = [("tun", 1446, True), ("tun", 1447, True), ("tun", 1447, False),
            ("trn", 1458, True), ("trn", 1459, True)]


def mtu_packets():
    out = []
    for i, (kind, total, df) in enumerate(MTU_PKTS):
        if kind == "tun":
            out.append(sized(HOST[4], BRANCH[4] % 5, total, df, i))
        else:
            out.append(sized(ADDR[4][0], ADDR[4][1], total, df, i))
    return out


def prepare_mtu(d, sock, prefix):
    tun, trn = mtu_sas()
    pk = mtu_packets()
    write_run(d, sock, prefix, [tun, trn], [eth_in_plain(p) for p in pk], [],
              {"kind": "mtu"})


def check_mtu(d, st, pts):
    tun, trn = mtu_sas()
    pk = mtu_packets()
    sas_j = load(d, "sas.json")
    out_esp = read_pcap(d, "OUT_ESP.pcap")
    out_plain = read_pcap(d, "OUT_PLAIN.pcap")
    note = ""
    try:
        with open(os.path.join(d, "run_note")) as f:
            note = f.read().strip()
    except OSError:
        pass
    whole, frags, big = {}, [], []
    for f in out_esp:
        e = Ether(f)
        if IP not in e:
            continue
        if len(f) - 14 > 1500:
            big.append(len(f) - 14)
        if e[IP].flags.MF or e[IP].frag:
            frags.append(e[IP])
            continue
        parts = split_esp_frame(f, tun)
        if parts:
            spi = struct.unpack("!L", parts[3][:4])[0]
            whole.setdefault(spi, []).append(parts)

    def opens(sa, parts, want, what):
        e, ip, udp, espb = parts
        try:
            got = sa.open(ip, espb, 0)[0]
        except Exception as ex:
            return ["%s: scapy cannot decrypt: %s" % (what, ex)]
        want = dec_ttl(bytes(want))
        return [] if got == want else ["%s: %s" % (what, describe_diff(got, want))]

    # 1. tunnel, DF: the packet that fills the MTU goes, one byte more gets
    #    "fragmentation needed" with the largest size that fits
    r = [note] if note else []
    t = whole.get(tun.spi, [])
    if len(t) != 1:
        r.append("%d whole ESP packets with SPI %#x, expected 1 (the 1446-byte one)" % (len(t), tun.spi))
    else:
        if t[0][1].len != 1500:
            r.append("its IPv4 length is %d, expected 1500" % t[0][1].len)
        r += opens(tun, t[0], pk[0], "1446-byte packet")
    icmp = [Ether(f) for f in out_plain if ICMP in Ether(f) and Ether(f)[ICMP].type == 3]
    if len(icmp) != 1:
        r.append("%d ICMP unreachables on lan, expected 1: %s" %
                 (len(icmp), [Ether(f).summary() for f in out_plain]))
    else:
        ic = icmp[0]
        if (ic[ICMP].code, ic[IP].dst, ic[ICMP].nexthopmtu) != (4, HOST[4], 1446):
            r.append("ICMP code %d to %s, next-hop MTU %d; expected code 4 to %s, MTU 1446 "
                     "(the largest packet that fits)" % (ic[ICMP].code, ic[IP].dst,
                                                         ic[ICMP].nexthopmtu, HOST[4]))
        if IPerror not in ic or ic[IPerror].id != pk[1].id:
            r.append("the ICMP error does not quote the 1447-byte packet")
    pts.point(not r, "mtu: tunnel, DF: a 1446-byte packet fills the 1500-byte MTU exactly and "
              "decrypts; 1447 bytes get ICMP fragmentation needed, MTU 1446", r)

    # 2. tunnel, DF clear: outer fragments that reassemble into the ESP
    r = []
    if big:
        r.append("frames above the MTU on the wire (IP lengths %s)" % big)
    if len(frags) < 2:
        r.append("%d outer fragments, expected the 1447-byte DF-clear packet in 2 or more" % len(frags))
    else:
        whole_pkts = [p for p in defragment([f.copy() for f in frags]) if not (p.flags.MF or p.frag)]
        if len(whole_pkts) != 1:
            r.append("fragments reassemble into %d packets, expected 1" % len(whole_pkts))
        else:
            ip = IP(bytes(whole_pkts[0]))
            r += opens(tun, (None, ip, None, bytes(ip.payload)), pk[2],
                       "reassembled 1447-byte packet")
    pts.point(not r, "mtu: tunnel, DF clear: a 1447-byte packet leaves as outer IPv4 fragments "
              "that scapy reassembles and decrypts to it", r)

    # 3. transport: the padding follows the payload after the kept header
    r = []
    t = whole.get(trn.spi, [])
    if len(t) != 1:
        r.append("%d ESP packets with SPI %#x, expected 1 (the 1458-byte one)" % (len(t), trn.spi))
    else:
        if t[0][1].len != 1500:
            r.append("its IPv4 length is %d, expected 1500" % t[0][1].len)
        r += opens(trn, t[0], pk[3], "1458-byte packet")
    s = sa_by_name(sas_j, trn.name)
    if not s or s["packets"] != 1 or s["drops"]["too_big"] != 1:
        r.append("SA %s: %s, expected packets 1 and drops.too_big 1" %
                 (trn.name, s and (s["packets"], {k: v for k, v in s["drops"].items() if v})))
    s = sa_by_name(sas_j, tun.name)
    if not s or s["packets"] != 2 or s["drops"]["too_big"] != 1:
        r.append("SA %s: %s, expected packets 2 and drops.too_big 1" %
                 (tun.name, s and (s["packets"], {k: v for k, v in s["drops"].items() if v})))
    pts.point(not r, "mtu: transport (AES-CBC/SHA-256): a 1458-byte packet fills 1500 exactly "
              "and decrypts; 1459 bytes are refused before encryption (too_big)", r)
    exit_point(pts, d, "mtu: ")


def main(argv):
    if len(argv) >= 2 and argv[1] == "list":
        for name, n in runs():
            print(name, n)
        return 0
    if len(argv) == 6 and argv[1] == "prepare":
        run, d, sock, prefix = argv[2:6]
        if run == "negative":
            prepare_negative(d, sock, prefix)
        elif run == "mtu":
            prepare_mtu(d, sock, prefix)
        else:
            prepare_case([c for c in CASES if c["name"] == run][0], d, sock, prefix)
        return 0
    if len(argv) == 4 and argv[1] == "check":
        run, d = argv[2:4]
        pts = Points()
        st = load(d, "state.json", {})
        if run == "negative":
            check_negative(d, st, pts)
        elif run == "mtu":
            check_mtu(d, st, pts)
        else:
            check_case([c for c in CASES if c["name"] == run][0], d, st, pts)
        pts.emit()
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
