#!/bin/bash
# ESP throughput of one worker, and the data plane's memory per SA.
#
# 1. In process (build/bench/esp_bench): the data plane built as the unit
#    tests build it, net_null ports, dp_worker_input()/dp_worker_flush()
#    called directly with bursts of 32; encrypt and decrypt, AES-128/256-GCM,
#    frames of 64, 512, 1420 B and IMIX, 1 / 1000 / 100000 SAs; beside it
#    the raw IPsec-MB AES-GCM rate on the same core, and memory per SA
#    measured from the heaps (rte_malloc + glibc) around 100000 SA adds.
#    Then (--workers 2) one SA on two workers, lcores 0 and 1, against one
#    worker: 1420 B, AES-128-GCM, encrypt and decrypt, in turns.
# 2. End to end, espgate itself, one worker, static outbound SAs:
#
#      net_pcap0 (rx_pcap=FILE, infinite_rx=1) -> espgate -> net_null0 (no-rx)
#      "lan", protected, 192.0.2.1/24             "wan", unprotected, 203.0.113.1/24
#      SA k: 192.0.2.0/24 -> 198.18.0.0+k+1/32, 203.0.113.1 -> 203.0.113.2
#
#    The rate is espgate's own: two `espgatectl --json stats` reads apart,
#    delta of the worker's esp_out.
# 4. SA install rate (issue 19 item 4; esp_bench --install, lcores 0 and 1):
#    SAs installed and deleted per CPU-second of the control thread while
#    a worker encrypts, with 0, 10 000 and 100 000 SAs installed, and the
#    worker's rate during storms of 10 000 installs over its rate without.
# 3. The same case (BENCH_SCRAPE_CASE, "1420 1": size and SAs) again with
#    "metrics" on 127.0.0.1 and /metrics fetched every second through the
#    run (issue 18): the rate beside the unscraped one, and what was lost
#    (packets received and not sent, drops).
#
# Run from the repository root after the build (scripts/setup.sh), as root:
#
#   bench/esp.sh
#   BENCH_SECONDS=5 BENCH_E2E_SECONDS=10 bench/esp.sh
#
# Environment: BUILD_DIR (build), BENCH_SECONDS (1: CPU seconds per
# in-process figure), BENCH_SIZES (64,512,1420,imix), BENCH_SAS
# (1,1000,100000), BENCH_ALGOS (128,256), BENCH_MEM_SAS (100000),
# BENCH_E2E_SECONDS (2), BENCH_E2E_SIZES ("64 1420"), BENCH_E2E_SAS
# ("1 1000"), BENCH_FRAMES (512: at least, per pcap), BENCH_WORKER_LCORE (1),
# BENCH_WORKERS (2: the in-process one-SA-on-two-workers figures; 1: none),
# BENCH_SCRAPE_CASE ("1420 1"; empty: no scraped run), BENCH_METRICS_PORT
# (19420), BENCH_SKIP_INPROC=1 / BENCH_SKIP_E2E=1 / BENCH_SKIP_INSTALL=1.
#
# Ends with
#   SCRAPED enc_e2e_1420B_1sa_mpps=X unscraped_mpps=Y lost=N drops=N scrapes=N
#   RESULT enc_e2e_64B_1sa_mpps=X ...
#   RESULT enc_1420B_ratio=R enc_64B_ratio=R dec_1420B_ratio=R sa100k_vs_sa1=R bytes_per_sa=N sa_bytes_beyond_keysched=N
#          enc_1420B_2w_vs_1w=R dec_1420B_2w_vs_1w=R
#   RESULT sa_install_per_s_100k=X storm_ratio=Y
# (sa_bytes_beyond_keysched: bytes_per_sa less IPsec-MB's gcm_key_data.)
# Per-stage cycles of the path: bench/esp_stages.sh.
# It never fails on a figure; it fails only if a program cannot be run.

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) BUILD=$BUILD_DIR ;; *) BUILD=$ROOT/$BUILD_DIR ;; esac
BENCH=$BUILD/bench/esp_bench
ESPGATE=$BUILD/app/espgate
CTL=$BUILD/app/espgatectl
SECONDS_INPROC=${BENCH_SECONDS:-1}
SIZES=${BENCH_SIZES:-64,512,1420,imix}
SAS=${BENCH_SAS:-1,1000,100000}
ALGOS=${BENCH_ALGOS:-128,256}
MEM_SAS=${BENCH_MEM_SAS:-100000}
E2E_SECONDS=${BENCH_E2E_SECONDS:-2}
E2E_SIZES=${BENCH_E2E_SIZES:-64 1420}
E2E_SAS=${BENCH_E2E_SAS:-1 1000}
FRAMES=${BENCH_FRAMES:-512}
WORKER_LCORE=${BENCH_WORKER_LCORE:-1}
INPROC_WORKERS=${BENCH_WORKERS:-2}

# shellcheck source=scripts/lib/netns.sh
source "$ROOT/scripts/lib/netns.sh"

die() { echo "bench: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (DPDK EAL)"
if [ ! -x "$BENCH" ]; then
	ninja -C "$BUILD" bench/esp_bench >/dev/null || die "building $BENCH"
fi
{ [ -x "$ESPGATE" ] && [ -x "$CTL" ]; } || die "no $ESPGATE / $CTL: build first (scripts/setup.sh)"
deps_need py scapy
deps_need pmd net_pcap net_null bus_vdev mempool_ring

# No namespaces here: only the work dir, processes and EAL runtime dirs.
NETNS_ID="egesp$$"
NETNS_WORKDIR=$(mktemp -d "/tmp/${NETNS_ID}.XXXXXX") || die "mktemp"
trap 'netns_cleanup' EXIT
trap 'exit 130' INT TERM
W=$NETNS_WORKDIR

INSTALL="RESULT sa_install_per_s_100k=n/a storm_ratio=n/a"
INPROC="RESULT enc_1420B_ratio=n/a enc_64B_ratio=n/a dec_1420B_ratio=n/a sa100k_vs_sa1=n/a bytes_per_sa=n/a sa_bytes_beyond_keysched=n/a enc_1420B_2w_vs_1w=n/a dec_1420B_2w_vs_1w=n/a"

# ---- 1. in process ----
if [ "${BENCH_SKIP_INPROC:-0}" != 1 ]; then
	prefix="${NETNS_ID}-inproc"
	dpdk_prefix_register "$prefix"
	echo "bench: in process, $BENCH (lcore 0; 0 and 1 with $INPROC_WORKERS workers), ${SECONDS_INPROC}s of CPU per figure"
	"$BENCH" --file-prefix "$prefix" --seconds "$SECONDS_INPROC" --sizes "$SIZES" \
		--sas "$SAS" --algos "$ALGOS" --mem-sas "$MEM_SAS" --workers "$INPROC_WORKERS" |
		tee "$W/inproc.txt"
	[ "${PIPESTATUS[0]}" -eq 0 ] || die "esp_bench"
	line=$(grep '^INPROC ' "$W/inproc.txt" | tail -n 1)
	[ -n "$line" ] && INPROC="RESULT ${line#INPROC }"
fi

# ---- 4. SA install rate (run here, printed last) ----
if [ "${BENCH_SKIP_INSTALL:-0}" != 1 ]; then
	prefix="${NETNS_ID}-install"
	dpdk_prefix_register "$prefix"
	echo "bench: SA install rate, $BENCH --install (control lcore 0, worker lcore 1), ${SECONDS_INPROC}s of CPU per figure"
	"$BENCH" --install --file-prefix "$prefix" --seconds "$SECONDS_INPROC" | tee "$W/install.txt"
	[ "${PIPESTATUS[0]}" -eq 0 ] || die "esp_bench --install"
	line=$(grep '^INSTALL ' "$W/install.txt" | tail -n 1)
	if [ -n "$line" ]; then
		i100k=$(sed -n 's/.*sa_install_per_s_100k=\([^ ]*\).*/\1/p' <<<"$line")
		ratio=$(sed -n 's/.*storm_ratio=\([^ ]*\).*/\1/p' <<<"$line")
		INSTALL="RESULT sa_install_per_s_100k=$i100k storm_ratio=$ratio"
	fi
fi

# ---- 2. end to end ----

# gen_case NSA SIZE PCAP CONF PREFIX SOCK: frames spread over NSA selectors
# and the configuration with NSA static outbound SAs.
gen_case() {
	/usr/bin/python3 - "$@" "$FRAMES" "$WORKER_LCORE" <<'PY'
import json, sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
nsa, size, pcap, conf, prefix, sock, frames, lcore = sys.argv[1:9]
nsa, size, frames = int(nsa), int(size), int(frames)
n = -(-max(frames, nsa) // nsa) * nsa        # a multiple of the SA count
payload = size - 4 - 14 - 20 - 8
if payload < 0:
    sys.exit("frame size %d is below 46" % size)
def sa_dst(k):
    a = 0xc6120000 + k + 1                   # 198.18.0.0/15
    return "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)
wrpcap(pcap, [Ether(src="02:00:00:00:01:02", dst="02:00:00:00:00:01") /
              IP(src="192.0.2.%d" % (10 + i % 200), dst=sa_dst(i % nsa), ttl=64) /
              UDP(sport=1024 + (i * 7) % 60000, dport=9) /
              Raw(bytes((i + j) & 0xff for j in range(payload)))
              for i in range(n)])
sas = [{"name": "out%d" % k, "spi": 0x1000 + k, "direction": "out",
        "src": "203.0.113.1", "dst": "203.0.113.2", "enc": "aes128gcm16",
        "enc_key": "%032x%08x" % ((k * 0x9e3779b97f4a7c15 + 1) % (1 << 128), k + 1),
        "selector": {"src": "192.0.2.0/24", "dst": sa_dst(k) + "/32"}}
       for k in range(nsa)]
cfg = {
  "eal": ["--no-huge", "-m", "2048", "--no-pci", "--file-prefix", prefix],
  "lcores": {"control": 0, "workers": [int(lcore)]},
  "control": {"socket": sock},
  "log": {"level": "warning"},
  "ports": [
    {"name": "lan", "device": "net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap,
     "role": "protected", "addresses": ["192.0.2.1/24"], "mac": "02:00:00:00:00:01"},
    {"name": "wan", "device": "net_null0,no-rx=1", "role": "unprotected",
     "addresses": ["203.0.113.1/24"], "mac": "02:00:00:00:00:02"}],
  "routes": [{"prefix": "198.18.0.0/15", "via": "203.0.113.2"}],
  "neighbors": [{"address": "203.0.113.2", "mac": "02:00:00:00:02:02", "port": "wan"}],
  "ipsec": {"unmatched": "discard"},
  "sas": sas,
}
json.dump(cfg, open(conf, "w"), indent=1)
PY
}

# stats_read FILE: one `stats --json` snapshot; prints the time it was taken.
stats_read() {
	local t
	t=$(date +%s.%N)
	"$CTL" --socket "$SOCK" --json stats >"$1" || return 1
	echo "$t"
}

METRICS_PORT=${BENCH_METRICS_PORT:-19420}

# scrape_every_second SECONDS OUT: GET /metrics once a second, the count
# of good answers into OUT.
scrape_every_second() {
	/usr/bin/python3 - "$METRICS_PORT" "$1" "$2" <<'PY'
import sys, time, urllib.request
port, secs, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
ok, end = 0, time.time() + secs
while time.time() < end:
    t = time.time()
    try:
        body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=2).read()
        ok += b"espgate_worker_esp_out_total" in body
    except OSError:
        pass
    time.sleep(max(0, 1 - (time.time() - t)))
open(out, "w").write("%d\n" % ok)
PY
}

# run_e2e NSA SIZE [scrape]: sets MPPS (and LOST, DROPS, SCRAPES).
run_e2e() {
	local nsa=$1 size=$2 scrape=${3:-} tag="$1sa-$2${3:+-scraped}"
	local pcap=$W/esp-$tag.pcap conf=$W/esp-$tag.json log=$W/espgate-$tag.log
	local prefix="${NETNS_ID}-$tag" t0 t1 pid line spid=""
	SOCK=$W/espgate-$tag.sock
	MPPS="n/a" SCRAPES=0
	gen_case "$nsa" "$size" "$pcap" "$conf" "$prefix" "$SOCK" || die "generating $pcap"
	if [ -n "$scrape" ]; then
		/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
d["metrics"] = {"address": "127.0.0.1", "port": int(sys.argv[2])}
json.dump(d, open(sys.argv[1], "w"), indent=1)' "$conf" "$METRICS_PORT" || die "metrics in $conf"
	fi
	dpdk_prefix_register "$prefix"
	bg_run pid "$log" "$ESPGATE" --config "$conf"
	if ! wait_for "! kill -0 $pid || '$CTL' --socket '$SOCK' status" 60 ||
		! kill -0 "$pid" 2>/dev/null; then
		tail -n 20 "$log" >&2
		die "espgate did not start ($tag)"
	fi
	sleep 1 # warm up
	[ -z "$scrape" ] || bg_run spid "$W/scrape-$tag.log" scrape_every_second "$((E2E_SECONDS + 1))" "$W/scrapes-$tag"
	t0=$(stats_read "$W/s0-$tag.json") || die "espgatectl stats"
	sleep "$E2E_SECONDS"
	t1=$(stats_read "$W/s1-$tag.json") || die "espgatectl stats"
	if [ -n "$spid" ]; then
		wait_pid_exit "$spid" 10 >/dev/null
		SCRAPES=$(cat "$W/scrapes-$tag" 2>/dev/null || echo 0)
	fi
	stop_pid "$pid" 10
	line=$(/usr/bin/python3 - "$W/s0-$tag.json" "$W/s1-$tag.json" "$t0" "$t1" "$size" "$nsa" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
dt = float(sys.argv[4]) - float(sys.argv[3])
size, nsa = int(sys.argv[5]), int(sys.argv[6])
def d(key):
    return sum(w[key] for w in b["workers"]) - sum(w[key] for w in a["workers"])
out, rx = d("esp_out"), d("rx_packets")
drops = b["totals"]["drops"] - a["totals"]["drops"]
mpps = out / dt / 1e6
gbps = mpps * 1e6 * (size - 18) * 8 / 1e9   # inner IP bytes
print("%.3f %d %d enc e2e %5dB %5d SA%s: %7.3f Mpps esp_out (%.2f Gbit/s inner IP), rx %.3f Mpps, drops %.3f Mpps, lost %d, %.1f s"
      % (mpps, rx - out, drops, size, nsa, "s" if nsa > 1 else " ", mpps, gbps, rx / dt / 1e6,
         drops / dt / 1e6, rx - out, dt))
PY
	) || die "reading counters"
	read -r MPPS LOST DROPS line <<<"$line"
	echo "  $line${scrape:+, /metrics scraped $SCRAPES times}"
}

E2E="RESULT"
if [ "${BENCH_SKIP_E2E:-0}" != 1 ]; then
	echo "bench: end to end, espgate $BUILD_DIR, 1 worker (lcore $WORKER_LCORE), net_pcap -> net_null, aes128gcm16, ${E2E_SECONDS}s per case"
	for n in $E2E_SAS; do
		for s in $E2E_SIZES; do
			run_e2e "$n" "$s"
			E2E="$E2E enc_e2e_${s}B_${n}sa_mpps=$MPPS"
		done
	done
	if [ -n "${BENCH_SCRAPE_CASE-1420 1}" ]; then
		read -r s n <<<"${BENCH_SCRAPE_CASE-1420 1}"
		echo "bench: the $s B, $n SA case without and with /metrics scraped every second"
		run_e2e "$n" "$s"
		unscraped=$MPPS
		run_e2e "$n" "$s" scrape
		echo "SCRAPED enc_e2e_${s}B_${n}sa_mpps=$MPPS unscraped_mpps=$unscraped lost=$LOST drops=$DROPS scrapes=$SCRAPES"
	fi
	echo "$E2E"
fi
echo "$INPROC"
echo "$INSTALL"
