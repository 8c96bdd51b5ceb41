#!/usr/bin/python3
"""Checks for tests/e2e/ike_strongswan.sh: ike-udp's events (JSON lines)
against strongSwan's SAs (sw_list_sas_json output).

  ike_strongswan.py eval EVENTS SWJSON|- EXPR
      prints EXPR, evaluated with: e (all events), s (charon's IKE SAs, or
      []), ikes(conn) / kids(conn) (ike-udp's live IKE / Child SAs: an up
      event without a later down for the same ike_id / spi_in), evs(kind,
      conn=None), sw(conn) (charon's IKE SAs of conn), inst(conn)
      (charon's INSTALLED Child SAs of conn).
  ike_strongswan.py ivchain PCAP CHARON_LOG OUR_ADDR LEAST CONN:ADDR:CIPHER...
      every encrypted ISAKMP message OUR_ADDR sent to each connection's
      address (at least LEAST of phase 1 and LEAST later) decrypts under
      charon's key and IV for its message ID.
  ike_strongswan.py secrets CHARON_LOG PSK FILE...
      no key charon logged (level 4) and not the PSK in any FILE.
  ike_strongswan.py match EVENTS SWJSON CONN ENCR BITS INTEG [IKE_DH [CHILD_DH]]
      exactly one live IKE SA and one live Child SA for CONN on each side,
      IKE SPIs equal, Child SA SPIs crossed, algorithms as expected on both
      sides (ENCR/INTEG: charon's names; BITS: key size or '*'; INTEG '-'
      for AEAD; IKE_DH/CHILD_DH: charon's names, '-' none, '*' any).
"""
import json
import re
import sys

ENCR = {12: "AES_CBC", 20: "AES_GCM_16", 28: "CHACHA20_POLY1305"}
INTEG = {0: "-", 2: "HMAC_SHA1_96", 12: "HMAC_SHA2_256_128",
         13: "HMAC_SHA2_384_192", 14: "HMAC_SHA2_512_256"}


def load_events(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass  # a line still being written
    except OSError:
        pass
    return out


def load_sw(path):
    if path == "-":
        return []
    with open(path) as f:
        return json.load(f)


class Ctx:
    def __init__(self, e, s):
        self.e, self.s = e, s

    def evs(self, kind, conn=None):
        return [x for x in self.e if x["event"] == kind and (conn is None or x["conn"] == conn)]

    def ikes(self, conn=None):
        live = {}
        for x in self.e:
            if conn is not None and x["conn"] != conn:
                continue
            if x["event"] == "ike_up":
                live[x["ike_id"]] = x
            elif x["event"] == "ike_down":
                live.pop(x["ike_id"], None)
        return list(live.values())

    def kids(self, conn=None):
        live = {}
        for x in self.e:
            if conn is not None and x["conn"] != conn:
                continue
            if x["event"] == "child_up":
                live[x["spi_in"]] = x
            elif x["event"] == "child_down":
                live.pop(x["spi_in"], None)
        return list(live.values())

    def sw(self, conn=None):
        return [a for a in self.s if conn is None or a["name"] == conn]

    def inst(self, conn=None):
        return [c for a in self.sw(conn) for c in a["children"] if c["state"] == "INSTALLED"]

    def env(self):
        return {"e": self.e, "s": self.s, "evs": self.evs, "ikes": self.ikes,
                "kids": self.kids, "sw": self.sw, "inst": self.inst}


def match(ctx, conn, encr, bits, integ, ike_dh="*", child_dh="*"):
    sas = ctx.sw(conn)
    if len(sas) != 1:
        return "charon: %d IKE SAs for %s (%s)" % (
            len(sas), conn, [(a["state"], a["initiator-spi"]) for a in sas])
    a = sas[0]
    if a["state"] != "ESTABLISHED":
        return "charon: IKE SA %s is %s" % (conn, a["state"])
    inst = ctx.inst(conn)
    if len(inst) != 1:
        return "charon: %d INSTALLED Child SAs for %s" % (len(inst), conn)
    c = inst[0]
    iu, ik = ctx.ikes(conn), ctx.kids(conn)
    if len(iu) != 1 or len(ik) != 1:
        return "ike-udp: %d live IKE SAs, %d live Child SAs for %s" % (len(iu), len(ik), conn)
    i, k = iu[0], ik[0]
    print("%s: charon IKE %s/%s %s/%s/%s/%s/%s, child %s in %s out %s %s/%s/%s dh %s" % (
        conn, a["initiator-spi"], a["responder-spi"], a.get("encr-alg"), a.get("encr-keysize"),
        a.get("integ-alg", "-"), a.get("prf-alg"), a.get("dh-group"), c["name"], c["spi-in"],
        c["spi-out"], c.get("encr-alg"), c.get("encr-keysize"), c.get("integ-alg", "-"),
        c.get("dh-group", "-")))
    print("%s: ike-udp IKE %s/%s, child %s in %s out %s encr %d/%d integ %d encap %s" % (
        conn, i["spi_i"], i["spi_r"], k["child"], k["spi_in"], k["spi_out"], k["encr"],
        k["encr_bits"], k["integ"], k["encap"]))
    if (a["initiator-spi"], a["responder-spi"]) != (i["spi_i"], i["spi_r"]):
        return "IKE SPIs differ: charon %s/%s, ike-udp %s/%s" % (
            a["initiator-spi"], a["responder-spi"], i["spi_i"], i["spi_r"])
    if c["spi-in"] != k["spi_out"] or c["spi-out"] != k["spi_in"]:
        return "Child SPIs do not cross: charon in/out %s/%s, ike-udp in/out %s/%s" % (
            c["spi-in"], c["spi-out"], k["spi_in"], k["spi_out"])
    if ENCR.get(k["encr"]) != encr or c.get("encr-alg") != encr:
        return "ESP encryption: expected %s, charon %s, ike-udp %d" % (
            encr, c.get("encr-alg"), k["encr"])
    if bits != "*" and (str(k["encr_bits"]) != bits or c.get("encr-keysize") != bits):
        return "ESP key size: expected %s, charon %s, ike-udp %d" % (
            bits, c.get("encr-keysize"), k["encr_bits"])
    if INTEG.get(k["integ"]) != integ or c.get("integ-alg", "-") != integ:
        return "ESP integrity: expected %s, charon %s, ike-udp %d" % (
            integ, c.get("integ-alg", "-"), k["integ"])
    if not k["encap"] or not c["encap"]:
        return "Child SA not UDP-encapsulated (charon %s, ike-udp %s)" % (c["encap"], k["encap"])
    if ike_dh != "*" and a.get("dh-group", "-") != ike_dh:
        return "IKE DH group: expected %s, charon %s" % (ike_dh, a.get("dh-group"))
    if child_dh != "*" and c.get("dh-group", "-") != child_dh:
        return "Child SA DH group: expected %s, charon %s" % (child_dh, c.get("dh-group", "-"))
    return None


def keymat(ctx, log_path, *conns):
    """RFC 2409 §5.5 KEYMAT: ike-udp's keys of each connection's first
    IPsec SA (its child_up with --print-keys, ike-udp the quick mode's
    responder) equal the keys charon derived as its initiator."""
    sw_keys = charon_keys(log_path)
    for conn in conns:
        ups = ctx.evs("child_up", conn)
        if not ups or "encr_in" not in ups[0]:
            return "%s: no child_up with keys from ike-udp" % conn
        k, c = ups[0], sw_keys.get(conn, {})
        pairs = (("encr_in", "encryption initiator"), ("encr_out", "encryption responder"),
                 ("integ_in", "integrity initiator"), ("integ_out", "integrity responder"))
        for ours, theirs in pairs:
            if not k[ours] and theirs not in c:
                continue  # AEAD: no integrity key on either side
            if c.get(theirs) != k[ours]:
                return "%s: %s %s, charon's %s key %s" % (conn, ours, k[ours], theirs,
                                                          c.get(theirs, "not logged"))
        print("%s: KEYMAT of both directions as charon's (%d + %d key bytes)"
              % (conn, len(k["encr_in"]) // 2, len(k["integ_in"]) // 2))
    return None


DUMP_HDR = re.compile(r"(\d+)\[\w+\] <(?:([^|>]+)\|)?(\d+)> (.+?) => (\d+) bytes @")
DUMP_ROW = re.compile(r"(\d+)\[\w+\] <[^>]*>\s+\d+: ((?:[0-9A-F]{2} )*[0-9A-F]{2})")
SA_NAME = re.compile(r"\[\w+\] <([^|>]+)\|(\d+)>")
IV_LABEL = re.compile(r"^(initial IV|next IV for MID (\d+))$")


def charon_dumps(log_path, labels):
    """charon's %B dumps whose label matches the regex labels, in order:
    [(conn, match, hex)]. A responder's IKEv1 SA has no connection until
    main mode's ID arrives: its unique ID names it (<7>, later <m1|7>),
    unique within one run of charon (the log may hold several)."""
    out, dumps, want, names = [], [], {}, {}  # want: thread -> [uid, match, left, hex]

    def run_ends():
        out.extend((names.get(uid, "<%s>" % uid), lm, hx) for uid, lm, hx in dumps)
        dumps.clear(), want.clear(), names.clear()

    with open(log_path, errors="replace") as f:
        for line in f:
            if "Starting IKE charon daemon" in line:
                run_ends()
            for name, uid in SA_NAME.findall(line):
                names[uid] = name
            m = DUMP_HDR.search(line)
            if m:
                lm = labels.match(m.group(4))
                if lm:
                    want[m.group(1)] = [m.group(3), lm, int(m.group(5)), ""]
                continue
            m = DUMP_ROW.search(line)
            if not m or m.group(1) not in want:
                continue
            w = want[m.group(1)]
            w[3] += m.group(2).replace(" ", "").lower()
            if len(w[3]) >= 2 * w[2]:
                dumps.append((w[0], w[1], w[3][:2 * w[2]]))
                del want[m.group(1)]
    run_ends()
    return out


def charon_keys(log_path):
    """The first Child SA keys charon (at chd level 4) logged per
    connection: {conn: {"encryption initiator": hex, ...}}."""
    out = {}
    labels = re.compile(r"^(encryption|integrity) (initiator|responder) key$")
    for conn, m, hx in charon_dumps(log_path, labels):
        out.setdefault(conn, {}).setdefault(m.group(1) + " " + m.group(2), hx)
    return out


def isakmp_messages(pcap, src, dst):
    """The ISAKMP messages src sent to dst (port 500, or 4500 behind the
    non-ESP marker) in the capture, as bytes."""
    from scapy.all import IP, UDP, rdpcap
    out = []
    for p in rdpcap(pcap):
        if IP not in p or UDP not in p or p[IP].src != src or p[IP].dst != dst:
            continue
        d = bytes(p[UDP].payload)
        if p[UDP].dport == 4500:
            if len(d) < 4 or d[:4] != b"\0\0\0\0":
                continue  # ESP or a keepalive
            d = d[4:]
        if len(d) >= 28:
            out.append(d)
    return out


# RFC 2408 §3.1 payload types, RFC 3947's NAT-D and NAT-OA (20, 21) and
# the drafts' (130, 131)
ISAKMP_PAYLOADS = set(range(1, 14)) | {20, 21, 130, 131}


def payload_chain_ok(first, plain, block):
    """Our plaintext as lib/ike writes it (RFC 2408 §3.2, RFC 2409 App.
    B): known payload types chained from the header's next payload to a
    0, reserved bytes 0, then zero padding to the block and no more."""
    np, off = first, 0
    while np != 0:
        if np not in ISAKMP_PAYLOADS or off + 4 > len(plain) or plain[off + 1] != 0:
            return False
        plen = int.from_bytes(plain[off + 2:off + 4], "big")
        if plen < 4:
            return False
        np, off = plain[off], off + plen
    return off <= len(plain) and len(plain) - off < block and not any(plain[off:])


def cbc_decrypt(key, iv, data, des3):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    alg = algorithms.TripleDES(key) if des3 else algorithms.AES(key)
    d = Cipher(alg, modes.CBC(iv)).decryptor()
    return d.update(data) + d.finalize()


def ivchain(pcap, log_path, ours, least, *conns):
    """RFC 2409 App. B: every encrypted ISAKMP message ours (an address)
    sent to each connection's charon, at least `least` of phase 1 and as
    many later ones, (CONN:ADDR:CIPHER, CIPHER aes or
    3des) decrypts, under an encryption key Ka charon derived for that
    connection, with the IV charon computed for its message ID (ike level
    4: "initial IV", "next IV for MID n"): CBC gives a first block that
    chains the payloads only under the very IV we used."""
    kas, ivs = {}, {}
    for conn, _, hx in charon_dumps(log_path, re.compile(r"^encryption key Ka$")):
        kas.setdefault(conn, []).append(bytes.fromhex(hx))
    for conn, m, hx in charon_dumps(log_path, IV_LABEL):
        mid = int(m.group(2)) if m.group(2) else 0
        ivs.setdefault((conn, mid), []).append(bytes.fromhex(hx))
    for spec in conns:
        conn, addr, cipher = spec.split(":")
        des3, block = cipher == "3des", 8 if cipher == "3des" else 16
        seen = {"phase 1": 0, "later": 0}
        if conn not in kas:
            return "%s: charon logged no encryption key Ka" % conn
        for msg in isakmp_messages(pcap, ours, addr):
            if not msg[19] & 1:
                continue  # not encrypted
            mid = int.from_bytes(msg[20:24], "big")
            body = msg[28:int.from_bytes(msg[24:28], "big")]
            if not body or len(body) % block:
                return "%s: MID %d: %d encrypted bytes" % (conn, mid, len(body))
            if msg[18] == 5 and (conn, mid) not in ivs:
                # an informational charon never looked at (its SA gone
                # already: a delete after the ISAKMP SA's): charon logs a
                # MID's IV when it looks it up, before decrypting
                seen["unread"] = seen.get("unread", 0) + 1
                continue
            ok = any(payload_chain_ok(msg[16], cbc_decrypt(ka, iv[:block], body, des3), block)
                     for ka in kas[conn] for iv in ivs.get((conn, mid), []))
            if not ok:
                return "%s: our message (exchange %d, MID %d) decrypts under no IV charon " \
                       "logged for that MID (%d of them)" % (conn, msg[18], mid,
                                                             len(ivs.get((conn, mid), [])))
            seen["phase 1" if mid == 0 else "later"] += 1
        if min(seen["phase 1"], seen["later"]) < int(least):
            return "%s: encrypted messages verified: %s (want %s of each)" % (conn, seen, least)
        print("%s: %d phase 1 and %d later encrypted messages of ours decrypt under "
              "charon's IVs (%d informational ones charon did not read)"
              % (conn, seen["phase 1"], seen["later"], seen.get("unread", 0)))
    return None


# What charon (ike and chd level 4) logs that must stay secret: IKEv2's
# SKEYSEED, SK_* and DH secret, the PSK and its padded prf, IKEv1's
# SKEYIDs and Ka, both versions' Child SA keys.
SECRET_LABEL = re.compile(r"^(SK_\w+ secret|SK_p|shared Diffie Hellman secret|SKEYSEED|secret"
                          r"|prf\(secret, keypad\)|SKEYID(_[dae])?( secret)?|encryption key Ka"
                          r"|(encryption|integrity) (initiator|responder) key)$", re.I)


def forms(key):
    """Ways a key could be written out: its hex in either case, plain or
    in bytes split by a space or a colon, and each 8-byte stretch of it
    (a key cut across lines or fields)."""
    hx = key.hex()
    out = {hx, hx.upper()}
    for sep in (" ", ":"):
        b = [hx[i:i + 2] for i in range(0, len(hx), 2)]
        out |= {sep.join(b), sep.join(b).upper()}
    stretches = {hx[i:i + 16] for i in range(0, len(hx) - 15, 2)}
    return out | stretches | {x.upper() for x in stretches}


def secrets(log_path, psk, *files):
    """No key charon derived (SECRET_LABEL) and not the PSK, in any of
    files (logs, espgatectl outputs, telemetry); charon's own log shows
    the search finds what it looks for."""
    keys = {bytes.fromhex(hx) for _, _, hx in charon_dumps(log_path, SECRET_LABEL)}
    keys = {k for k in keys if len(k) >= 8}
    if len(keys) < 10:
        return "only %d keys in charon's log (levels ike 4, chd 4 wanted)" % len(keys)
    needles = {psk} | {f for k in keys for f in forms(k)}
    with open(log_path, errors="replace") as f:
        own = f.read()
    control = sum(1 for k in keys if any(n in own.replace(" ", "") for n in forms(k)))
    if control < len(keys) // 2:
        return "the search finds only %d of %d keys in charon's own log" % (control, len(keys))
    size = 0
    for path in files:
        with open(path, errors="replace") as f:
            text = f.read()
        size += len(text)
        for n in needles:
            if n in text:
                what = "the PSK" if n == psk else "key material (%s)" % n[:16]
                return "%s: %s" % (path, what)
    print("%d keys and the PSK searched in %d files (%d bytes): none found; "
          "charon's own log shows %d of them" % (len(keys), len(files), size, control))
    return None


def main():
    if sys.argv[1] == "secrets":
        err = secrets(*sys.argv[2:])
        if err:
            print(err)
        return 1 if err else 0
    if sys.argv[1] == "ivchain":
        err = ivchain(*sys.argv[2:])
        if err:
            print(err)
        return 1 if err else 0
    cmd, events, swp = sys.argv[1:4]
    ctx = Ctx(load_events(events), load_sw(swp))
    if cmd == "eval":
        print(eval(sys.argv[4], ctx.env()))
        return 0
    if cmd in ("match", "keymat"):
        err = (match if cmd == "match" else keymat)(ctx, *sys.argv[4:])
        if err:
            print(err)
            return 1
        return 0
    sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    sys.exit(main())
