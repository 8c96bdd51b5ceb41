#!/bin/bash
# Packet capture of a running espgate (issue 18 item 5): espgate
# initialises rte_pdump, and Debian's dpdk-dumpcap (package dpdk-dev),
# attached as a DPDK secondary process, captures its unprotected port
# while srv pings through a static-SA tunnel; scapy then decrypts the
# captured ESP with the SA's key and finds srv's pings. DPDK's
# multi-process needs shared (huge page) memory, so this suite gives the
# host 600 huge pages and puts the old count back at the end. Prints TAP.
# Needs root.
#
#   bash tests/e2e/capture.sh [BUILD_DIR]      (default: build)
#
# The command it shows (docs: README.md, "Operating"):
#   dpdk-dumpcap --file-prefix PREFIX -i PORT -w FILE.pcapng -a duration:S

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"
deps_need prog dpdk-dumpcap
deps_need py scapy

PLAN=4
echo "1..$PLAN"

tap_start egcap "static-SA tunnel on huge pages; dpdk-dumpcap on espgate's wan port"
EG_LOG=$W/espgate.log
KEY_OUT=00112233445566778899aabbccddeeff01020304 # aes128gcm16: key and salt
SPI_OUT=0x00001000
PAGES=600
: >"$NOTES"

# cap_config FILE: espgate on huge pages with one static SA pair to br:
# 198.18.2.0/24 (srv) <=> 198.18.1.0/24, ESP in UDP to br's 203.0.113.2.
cap_config() {
	tunnel_espgate_config "$1.in" info || return 1
	"$PY" - "$1.in" "$1" "$GW_WAN_V4" "$BR_WAN_V4" "$KEY_OUT" "$SPI_OUT" "$W/huge" <<'PY'
import json, sys
src, dst, gw, br, key, spi, huge = sys.argv[1:]
d = json.load(open(src))
d["eal"] = [a for a in d["eal"] if a != "--no-huge"] + ["--huge-dir", huge]
d["connections"] = []
d["ipsec"] = {"natt_ports": [4500]}
d["sas"] = [
    {"name": "to-branch", "spi": spi, "direction": "out", "src": gw, "dst": br,
     "enc": "aes128gcm16", "enc_key": key,
     "selector": {"src": "198.18.2.0/24", "dst": "198.18.1.0/24"}, "udp_encap": True},
    {"name": "from-branch", "spi": "0x00001001", "direction": "in", "src": br, "dst": gw,
     "enc": "aes128gcm16", "enc_key": "ffeeddccbbaa9988776655443322110005060708",
     "selector": {"src": "198.18.1.0/24", "dst": "198.18.2.0/24"}, "udp_encap": True}]
json.dump(d, open(dst, "w"), indent=1)
PY
}

setup() {
	local old free
	suite_programs dpdk-dumpcap || return 1
	old=$(cat /proc/sys/vm/nr_hugepages)
	NETNS_ON_CLEANUP+=("echo $old >/proc/sys/vm/nr_hugepages")
	[ "$old" -ge "$PAGES" ] || echo "$PAGES" >/proc/sys/vm/nr_hugepages
	free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	[ "$free" -ge 512 ] || { echo "only $free huge pages free"; return 1; }
	note "huge pages: $old -> $(cat /proc/sys/vm/nr_hugepages) (put back at the end), $free free"
	# a hugetlbfs of this test's own (EAL --huge-dir), unmounted at the end
	mkdir -p "$W/huge" && mount -t hugetlbfs -o pagesize=2M nodev "$W/huge" || return 1
	NETNS_ON_CLEANUP+=("umount '$W/huge' 2>/dev/null")
	tunnel_topo_create || return 1
	cap_config "$W/espgate.json" || return 1
	eg_start "$W/espgate.json" "$EG_LOG" || return 1
	! grep -q 'packet capture (rte_pdump) not available' "$EG_LOG" ||
		{ grep 'rte_pdump' "$EG_LOG"; return 1; }
}
check "espgate on huge pages with a static SA pair (aes128gcm16, ESP in UDP) to br; rte_pdump initialised" setup ||
	FATAL="setup failed"

# 2: capture while srv pings through the SA
captured() {
	bg_run CAP_PID "$W/dumpcap.log" dpdk-dumpcap --file-prefix "$ESPGATE_PREFIX" -i 1 \
		-w "$W/wan.pcapng" -a duration:6 -q
	sleep 2
	nsx "$NS_SRV" ping -n -q -c 10 -i 0.2 -W 1 -p 5ca1ab1e "$HOST_V4" >/dev/null # no answer: br has no SA
	wait_pid_exit "$CAP_PID" 15 || { echo "dpdk-dumpcap did not stop"; return 1; }
	[ -s "$W/wan.pcapng" ] || { cat "$W/dumpcap.log"; return 1; }
	note "dpdk-dumpcap --file-prefix $ESPGATE_PREFIX -i 1 -w wan.pcapng -a duration:6: $(stat -c %s "$W/wan.pcapng") bytes"
}
check "dpdk-dumpcap attached to the running espgate captures its wan port (DPDK port 1) for 6 s while srv pings 198.18.1.2 ten times" captured

# 3: decrypt the capture
decrypted() {
	"$PY" - "$W/wan.pcapng" "$KEY_OUT" "$SPI_OUT" "$SRV_V4" "$HOST_V4" <<'PY'
import sys
from scapy.all import ESP, ICMP, IP, UDP, rdpcap
from scapy.layers.ipsec import SecurityAssociation
path, key, spi, srv, host = sys.argv[1:]
spi = int(spi, 16)
sa = SecurityAssociation(ESP, spi=spi, crypt_algo="AES-GCM", crypt_key=bytes.fromhex(key),
                         tunnel_header=None)
esp = found = 0
for p in rdpcap(path):
    if UDP not in p or p[UDP].dport != 4500 or len(bytes(p[UDP].payload)) < 8:
        continue
    payload = bytes(p[UDP].payload)
    if int.from_bytes(payload[:4], "big") != spi:
        continue
    esp += 1
    # tunnel mode: the outer header back, then the packet it carried
    inner = sa.decrypt(IP(src=p[IP].src, dst=p[IP].dst, proto=50) / ESP(payload)).getlayer(IP, 2)
    if (inner is not None and ICMP in inner and inner.src == srv and inner.dst == host and
            bytes(inner[ICMP].payload).find(bytes.fromhex("5ca1ab1e")) >= 0):
        found += 1
print(f"{esp} ESP packets of SPI {spi:#x} captured; {found} decrypt to srv's pings")
sys.exit(0 if found >= 8 else 1)
PY
}
check "scapy decrypts the captured ESP with the SA's key: srv's pings (pattern 5ca1ab1e) inside" decrypted

# 4: espgate went on
after_capture() {
	kill -0 "$ESPGATE_PID" || return 1
	eg_ctl status >/dev/null && eg_sigterm_clean >/dev/null
}
check "espgate still runs after the capture, and exits 0 with every mbuf back" after_capture

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
