#!/usr/bin/python3
"""Checks for tests/e2e/tunnel.sh (branch office: strongSwan charon <->
espgate).

  tunnel.py counters EG_SAS_JSON SW_SAS_JSON CONN CHILD [SOCKET_DROPS]
      espgate's data-plane counters of its INSTALLED Child SA CONN/CHILD
      (`espgatectl --json sas`: the "sas" entries sa_in and sa_out) against
      charon's (sw_list_sas_json) for the same SPIs: espgate in == charon
      out and espgate out == charon in, packets and bytes. SOCKET_DROPS
      (default 0): datagrams charon's kernel dropped at its UDP socket
      (RcvbufErrors in its namespace) before charon could count them; up to
      that many of espgate's outbound packets may be missing from charon's
      count (bytes are then not compared). Prints one line per direction;
      exit 1 if they differ otherwise or the SA is missing.
  tunnel.py rekeys POLL_LOG CLIENT_JSON SERVER_JSON T0 [MIN_REKEYS [IKE_LOG]]
      the rekey-under-load run: POLL_LOG has lines "EPOCH SPI_IN SPI_OUT"
      (espgate's INSTALLED Child SAs of the connection, polled; "EPOCH -"
      when none); CLIENT_JSON / SERVER_JSON are iperf3 -J output of a
      --bidir UDP run (client in the branch, server behind espgate, both
      with -i 0.5) started at epoch T0; IKE_LOG (optional) is `tcpdump -tt
      -n` of the IKE messages on the wire, whose CREATE_CHILD_SA requests
      give the exact rekey times (otherwise the polled times, up to about
      0.5 s late). Prints the rekeys and every interval with lost packets,
      with the time from the nearest rekey; exit 2 if fewer than MIN_REKEYS
      [5] new Child SAs were seen, exit 1 if any packet was lost.
  tunnel.py v1agree EG_SAS_JSON SW_SAS_JSON CONN MODE
      an IKEv1 tunnel as both ends report it: espgate lists one ISAKMP SA
      of CONN with version 1 and MODE ("main" or "aggressive"), charon one
      ESTABLISHED IKEv1 SA with the same cookies (swanctl's initiator and
      responder SPIs); every INSTALLED IPsec SA of espgate's has charon's
      SPIs reversed, and its data-plane SAs' algorithm (esp_algo_name:
      "aes128-sha256", "aes128gcm16") is charon's encr-alg, encr-keysize
      and integ-alg. Prints what it compared; exit 1 on any difference.
  tunnel.py drops STATS_BEFORE STATS_AFTER
      what espgate dropped between two `espgatectl --json stats`: the
      non-zero increases of worker and control drop counters and of the
      ports' rx_missed / rx_errors / tx_errors / rx_nombuf, on one line.
"""
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def eg_child(eg, conn, child=None):
    kids = [c for c in eg.get("child_sas", [])
            if c["conn"] == conn and (child is None or c["child"] == child)
            and c["state"] == "INSTALLED"]
    return kids[-1] if kids else None


def eg_sa(eg, sa_id):
    for s in eg.get("sas", []):
        if s["id"] == sa_id:
            return s
    return None


def port_drops(stats_path, role):
    """What espgate's ports of that role dropped before any SA saw it."""
    if not stats_path:
        return 0
    return sum(p.get("rx_missed", 0) + p.get("rx_errors", 0) + p.get("rx_nombuf", 0)
               for p in load(stats_path).get("ports", []) if p.get("role") == role)


def cmd_counters(eg_path, sw_path, conn, child, socket_drops=0, stats_path=None):
    socket_drops = int(socket_drops)
    eg, sw = load(eg_path), load(sw_path)
    wan_missed = port_drops(stats_path, "unprotected")
    c = eg_child(eg, conn, child)
    if not c:
        print("espgate has no INSTALLED Child SA %s/%s" % (conn, child))
        return 1
    sin, sout = eg_sa(eg, c["sa_in"]), eg_sa(eg, c["sa_out"])
    if not sin or not sout:
        print("espgate's data-plane SAs %s/%s not listed" % (c["sa_in"], c["sa_out"]))
        return 1
    # charon's spi-in is espgate's spi_out and the reverse
    mine = [k for s in sw for k in s["children"]
            if k["spi-in"] == c["spi_out"] and k["spi-out"] == c["spi_in"]]
    if not mine:
        print("charon has no Child SA with SPIs in %s out %s" % (c["spi_out"], c["spi_in"]))
        return 1
    k = mine[0]
    rc = 0
    for what, e, spi, skey in (("espgate in  (charon out)", sin, c["spi_in"], "out"),
                               ("espgate out (charon in) ", sout, c["spi_out"], "in")):
        ep, eb = e["packets"], e["bytes"]
        sp, sb = k["packets-" + skey], k["bytes-" + skey]
        same = ep == sp and eb == sb
        note = ""
        if not same and skey == "in" and 0 < ep - sp <= socket_drops:
            same = True
            note = ("  (%d sent by espgate, dropped by charon's kernel at its full socket: "
                    "%d receive-buffer overflows in its namespace)" % (ep - sp, socket_drops))
        # Sent by charon, never seen by espgate's SA: each one must be a
        # counted drop at espgate's unprotected port (its RX ring was full).
        if not same and skey == "out" and 0 < sp - ep <= wan_missed:
            same = True
            note = ("  (%d sent by charon, missed at espgate's full RX ring: "
                    "%d counted in the unprotected port's rx_missed/rx_errors/rx_nombuf)"
                    % (sp - ep, wan_missed))
        print("%s SPI %s: espgate %d packets %d bytes, charon %d packets %d bytes%s"
              % (what, spi, ep, eb, sp, sb, note if same else "  <-- DIFFER"))
        if not same:
            rc = 1
    return rc


# charon's algorithm names -> the parts of espgate's esp_algo_name
SW_ENCR = {"AES_CBC": "aes%s", "AES_GCM_16": "aes%sgcm16"}
SW_INTEG = {"HMAC_SHA1_96": "-sha1", "HMAC_SHA2_256_128": "-sha256",
            "HMAC_SHA2_384_192": "-sha384", "HMAC_SHA2_512_256": "-sha512", None: ""}


def sw_algo(k):
    encr = SW_ENCR.get(k.get("encr-alg"))
    integ = SW_INTEG.get(k.get("integ-alg"))
    if encr is None or integ is None:
        return "?%s/%s/%s" % (k.get("encr-alg"), k.get("encr-keysize"), k.get("integ-alg"))
    return encr % k.get("encr-keysize", "") + integ


def cmd_v1agree(eg_path, sw_path, conn, mode):
    eg, sw = load(eg_path), load(sw_path)
    mine = [s for s in eg.get("ike_sas", []) if s["conn"] == conn]
    theirs = [s for s in sw if s.get("state") == "ESTABLISHED"]
    if len(mine) != 1 or len(theirs) != 1:
        print("ISAKMP SAs: espgate %d, charon %d ESTABLISHED (want one each)"
              % (len(mine), len(theirs)))
        return 1
    m, t = mine[0], theirs[0]
    rc = 0
    for what, a, b in (("version", str(m.get("version")), t.get("version")),
                       ("mode", m.get("mode"), mode),
                       ("initiator cookie", m["spi_i"], t.get("initiator-spi")),
                       ("responder cookie", m["spi_r"], t.get("responder-spi"))):
        print("%s: espgate %s, charon/expected %s%s" % (what, a, b, "" if a == b else "  <-- DIFFER"))
        rc |= a != b
    kids = [c for c in eg.get("child_sas", []) if c["conn"] == conn and c["state"] == "INSTALLED"]
    if not kids:
        print("espgate has no INSTALLED IPsec SA of %s" % conn)
        return 1
    for c in kids:
        k = [k for k in t["children"] if k.get("spi-in") == c["spi_out"] and k.get("spi-out") == c["spi_in"]]
        if not k:
            print("IPsec SA in %s out %s: charon has no such SA" % (c["spi_in"], c["spi_out"]))
            rc = 1
            continue
        algos = {sa["algorithm"] for sa in eg.get("sas", []) if sa["id"] in (c["sa_in"], c["sa_out"])}
        want = sw_algo(k[0])
        print("IPsec SA in %s out %s: espgate %s, charon %s (%s)%s"
              % (c["spi_in"], c["spi_out"], "/".join(sorted(algos)), want,
                 "UDP-encapsulated" if k[0].get("encap") else "ESP",
                 "" if algos == {want} else "  <-- DIFFER"))
        rc |= algos != {want}
    return 1 if rc else 0


def intervals(doc, key):
    """(start offset, end offset, lost, packets) per interval of key."""
    out = []
    for iv in doc.get("intervals", []):
        s = iv.get(key)
        if s and "lost_packets" in s:
            out.append((s["start"], s["end"], s["lost_packets"], s["packets"]))
    return out


def wire_rekeys(ike_path, t0):
    """CREATE_CHILD_SA requests (IKEv1: quick-mode messages) in tcpdump's
    text: (time, sender)."""
    out = []
    with open(ike_path) as f:
        for line in f:
            p = line.split()
            # 1795459164.708759 IP 203.0.113.1.4500 > 203.0.113.2.4500: NONESP-encap: isakmp: child_sa  child_sa
            # ... NONESP-encap: isakmp: phase 2/others ? oakley-quick[E]: [encrypted hash]
            quick = any(w.startswith("oakley-quick") for w in p)
            if len(p) > 3 and p[1] == "IP" and (p[-1] == "child_sa" or quick):
                try:
                    out.append((float(p[0]) - t0, p[2].rsplit(".", 1)[0]))
                except ValueError:
                    pass
    return out


def cmd_rekeys(poll_path, client_path, server_path, t0, min_rekeys=5, ike_path=None):
    t0 = float(t0)
    seen, order = set(), []
    with open(poll_path) as f:
        for line in f:
            p = line.split()
            if len(p) < 3:
                continue
            t, pairs = float(p[0]), p[1:]
            for i in range(0, len(pairs) - 1, 2):
                key = (pairs[i], pairs[i + 1])
                if key not in seen:
                    seen.add(key)
                    order.append((t - t0, key))
    # the first pair was there before the run: not a rekey
    rekeys = order[1:]
    print("Child SAs seen: %d (%d rekeys)" % (len(order), len(rekeys)))
    for t, (i, o) in rekeys:
        print("  rekey at %+6.1f s: new SPIs in %s out %s" % (t, i, o))
    times = [t for t, _ in rekeys]
    if ike_path:
        wire = wire_rekeys(ike_path, t0)
        print("rekey messages on the wire (CREATE_CHILD_SA or quick mode): %s" % (
            ", ".join("%+.3f s (from %s)" % w for w in wire) or "none"))
        if wire:
            times = [t for t, _ in wire]
    cl, sv = load(client_path), load(server_path)
    # host -> server: lost counted by the server ("sum"); server -> host:
    # by the client ("sum_bidir_reverse")
    streams = (("branch host -> server", sv, "sum", cl["end"].get("sum")),
               ("server -> branch host", cl, "sum_bidir_reverse",
                cl["end"].get("sum_bidir_reverse")))
    lost_total = 0
    for name, doc, key, end in streams:
        if not end:
            print("%s: no result" % name)
            lost_total += 1
            continue
        print("%s: %d of %d packets lost (%.4f%%), %.1f Mbit/s, %d out of order"
              % (name, end["lost_packets"], end["packets"], end["lost_percent"],
                 end["bits_per_second"] / 1e6, end.get("out_of_order", 0)))
        lost_total += end["lost_packets"]
        for s, e, lost, pk in intervals(doc, key):
            if lost:
                near = min(times, key=lambda r: min(abs(r - s), abs(r - e)), default=None)
                rel = ("nearest rekey at %+.2f s (interval starts %+.2f s from it)"
                       % (near, s - near) if near is not None else "no rekey")
                print("  lost %d of %d in %.1f-%.1f s (iperf3's clock); %s" % (lost, pk, s, e, rel))
    if len(rekeys) < int(min_rekeys):
        return 2
    return 1 if lost_total else 0


def drop_counts(st):
    out = {}
    for i, w in enumerate(st.get("workers", [])):
        for k, v in w.get("drops", {}).items():
            out["worker%d.%s" % (i, k)] = v
    for k, v in st.get("control", {}).get("drops", {}).items():
        out["control." + k] = v
    for p in st.get("ports", []):
        for k in ("rx_missed", "rx_errors", "tx_errors", "rx_nombuf"):
            out["%s.%s" % (p["name"], k)] = p.get(k, 0)
    return out


def cmd_drops(before, after):
    b, a = drop_counts(load(before)), drop_counts(load(after))
    inc = {k: v - b.get(k, 0) for k, v in a.items() if v - b.get(k, 0)}
    print("espgate drops in between: %s" % (", ".join("%s %d" % kv for kv in sorted(inc.items()))
                                           or "none"))
    return 0


def main(argv):
    cmds = {"counters": (cmd_counters, 4), "rekeys": (cmd_rekeys, 4),
            "drops": (cmd_drops, 2), "v1agree": (cmd_v1agree, 4)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 < cmds[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 64
    fn, _ = cmds[argv[1]]
    return fn(*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
