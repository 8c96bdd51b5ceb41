#!/bin/bash
# espgate's ESP cross-checked against scapy's (scapy.layers.ipsec, under
# /usr/bin/python3). Prints TAP.
#
#   bash tests/e2e/esp_scapy.sh BUILD_DIR        (meson runs it this way; root)
#
# No namespaces: espgate runs once per case with net_pcap ports, reading
# scapy-made frames and writing what it sends to pcap files:
#
#   lan (protected)   rx IN_PLAIN.pcap  tx OUT_PLAIN.pcap
#   wan (unprotected) rx IN_ESP.pcap    tx OUT_ESP.pcap
#
# tests/e2e/esp_scapy.py writes the configuration and the input frames
# (plaintext for the SA out, ESP for the SA in) and checks the output: scapy
# decrypts espgate's ESP, espgate must forward exactly the inner packets of
# scapy's ESP, the headers and counters must be right. One run per
# algorithm/mode/family/encapsulation/ESN case, one with bad packets, one
# with packets at the wan MTU.
#
# ESP_SCAPY_ONLY=REGEX runs only the matching cases (the plan shrinks);
# NETNS_KEEP_WORKDIR=1 keeps the configurations, pcaps and logs.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" 2>/dev/null && pwd) || BUILD=${1:-$ROOT/build}
ESPGATE=$BUILD/app/espgate
CTL=$BUILD/app/espgatectl
PY=/usr/bin/python3 # Debian's, with python3-scapy and python3-cryptography
HELPER=$HERE/esp_scapy.py

DEPS_TAP=1 # a missing package: one "Bail out!" line naming it
# shellcheck source=scripts/lib/netns.sh
source "$ROOT/scripts/lib/netns.sh"
deps_need py scapy cryptography
deps_need pmd net_pcap bus_vdev mempool_ring

N=0
FAILED=0
PLAN=0
ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }
diag() { sed 's/^/# /'; }

# Which runs, and how many points each: "NAME POINTS" lines.
if ! RUNS=$("$PY" "$HELPER" list 2>&1); then
	echo "1..1"
	not_ok "scapy helper runs under $PY"
	printf '%s\n' "$RUNS" | tail -n 5 | diag
	echo "# needs python3-scapy and python3-cryptography (scripts/setup.sh)"
	exit 1
fi
if [ -n "${ESP_SCAPY_ONLY:-}" ]; then
	RUNS=$(awk -v re="$ESP_SCAPY_ONLY" '$1 ~ re' <<<"$RUNS")
fi
PLAN=$(awk '{ s += $2 } END { print s + 0 }' <<<"$RUNS")
echo "1..$PLAN"

finish() {
	while [ "$N" -lt "$PLAN" ]; do
		not_ok "not reached"
	done
}

if ! netns_init egs; then
	finish
	exit 1
fi
trap 'finish; netns_cleanup || exit 1' EXIT
W=$NETNS_WORKDIR

# rx_done LAN WAN: both ports have read their whole pcap (frame counts).
rx_done() {
	"$CTL" --socket "$SOCK" --json stats >"$D/stats.poll" 2>/dev/null || return 1
	json_get "$D/stats.poll" \
		"[p['rx_packets'] for p in d['ports']] == [$1, $2]" | grep -qx True
}

# quiet: the workers' totals no longer change (the last burst is out).
settled() {
	local a b
	a=$("$CTL" --socket "$SOCK" --json stats 2>/dev/null | json_get - \
		'[w for w in d["workers"]], d["control"]') || return 1
	sleep 0.3
	b=$("$CTL" --socket "$SOCK" --json stats 2>/dev/null | json_get - \
		'[w for w in d["workers"]], d["control"]') || return 1
	[ "$a" = "$b" ]
}

# run_espgate: start espgate in $D, let it consume its pcaps, save sas and
# stats, stop it. Problems go to $D/run_note (the checks show them).
run_espgate() {
	local pid lan wan
	read -r lan wan <"$D/rx_counts"
	: >"$D/run_note"
	if ! "$ESPGATE" --check --config "$D/espgate.json" >"$D/check.log" 2>&1; then
		{ echo "espgate --check refused the configuration:"; tail -n 5 "$D/check.log"; } >>"$D/run_note"
		return 1
	fi
	cd "$D" || return 1
	# a sanitizer build's reports: a file per run, checked by netns_cleanup
	# (and a report means exit status 1, which exit_point fails on)
	local san=$NETNS_WORKDIR/sanitizer-espgate-${D##*/}
	bg_run pid "$D/espgate.log" env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$san" \
		UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$san" \
		"$ESPGATE" --config "$D/espgate.json"
	cd "$ROOT" || return 1
	if ! wait_for "! kill -0 $pid || '$CTL' --socket '$SOCK' status" 30 ||
		! kill -0 "$pid" 2>/dev/null; then
		{ echo "espgate did not start:"; tail -n 8 "$D/espgate.log"; } >>"$D/run_note"
		stop_pid "$pid" 5
		echo "did not start" >"$D/exit_status"
		return 1
	fi
	if ! wait_for "rx_done $lan $wan" 15; then
		{
			echo "the ports did not read all of their pcap within 15 s (want lan $lan wan $wan):"
			json_get "$D/stats.poll" '[(p["name"], p["rx_packets"]) for p in d["ports"]]'
		} >>"$D/run_note" 2>&1
	fi
	wait_for settled 10
	"$CTL" --socket "$SOCK" --json sas >"$D/sas.json" 2>>"$D/run_note"
	"$CTL" --socket "$SOCK" --json stats >"$D/stats.json" 2>>"$D/run_note"
	kill -TERM "$pid" 2>/dev/null
	if wait_pid_exit "$pid" 15; then
		echo "$WAIT_STATUS" >"$D/exit_status"
	else
		echo "still running 15 s after SIGTERM" >"$D/exit_status"
		stop_pid "$pid" 2
	fi
	[ -s "$D/run_note" ] || rm -f "$D/run_note"
	return 0
}

# emit RUN POINTS: the helper's ok/not ok lines as numbered TAP points.
emit() {
	local run=$1 want=$2 got=0 line
	while IFS= read -r line; do
		case $line in
		"ok "*)
			ok "${line#ok }"
			got=$((got + 1))
			;;
		"not ok "*)
			not_ok "${line#not ok }"
			got=$((got + 1))
			;;
		*) printf '%s\n' "$line" ;;
		esac
	done < <("$PY" "$HELPER" check "$run" "$D" 2>"$D/check.err")
	if [ -s "$D/check.err" ]; then
		tail -n 8 "$D/check.err" | diag
	fi
	while [ "$got" -lt "$want" ]; do
		not_ok "$run: check did not report this point"
		got=$((got + 1))
	done
}

idx=0
while read -r run points; do
	[ -n "$run" ] || continue
	idx=$((idx + 1))
	D=$W/$run
	SOCK=$D/espgate.sock
	PREFIX="eg-scapy-$$-$idx"
	mkdir -p "$D"
	dpdk_prefix_register "$PREFIX"
	netns_log "esp_scapy: $run"
	if ! "$PY" "$HELPER" prepare "$run" "$D" "$SOCK" "$PREFIX" >"$D/prepare.log" 2>&1; then
		for _ in $(seq "$points"); do
			not_ok "$run: scapy could not prepare the case"
		done
		tail -n 8 "$D/prepare.log" | diag
		continue
	fi
	run_espgate
	emit "$run" "$points"
done <<<"$RUNS"

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
