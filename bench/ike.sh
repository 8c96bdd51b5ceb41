#!/bin/bash
# IKEv2 setup rate and memory of lib/ike as responder (build/tests/ike-udp),
# and the same load against strongSwan's charon:
#
#   netns gen: 198.18.0.1/24 [veth] ---- [veth] 198.18.0.2/24 :netns resp
#              198.18.1.1 (lo)                    198.18.2.1 (lo)
#   build/bench/ike_load (CPU 0)             ike-udp or charon (CPU 1)
#   Child SA traffic selectors 198.18.1.0/24 <=> 198.18.2.0/24 (the same
#   for every SA)
#
# Run from the repository root after the build, as root:
#
#   bench/ike.sh                                   # about 1 minute
#   BENCH_SECONDS=30 BENCH_MEM_SAS=50000 bench/ike.sh
#
# ike_load keeps BENCH_WINDOW (64) IKE SA setups in flight: IKE_SA_INIT +
# IKE_AUTH with one Child SA, PSK, aes128gcm16-prfsha256-x25519 / ESP
# aes128gcm16; each SA is deleted once its Child SA is up, so a "setup"
# here is a setup and its deletion. Runs:
#   1. ike-udp (limits off: no COOKIE, no per-address cap), BENCH_SECONDS;
#      the responder is profiled (perf record -e cpu-clock) meanwhile.
#   2. the same with ECDSA P-256 certificates (a CA and two end-entity
#      certificates made with openssl; identities are the subject DNs),
#      when ike-udp has them.
#   3. memory: a fresh ike-udp, BENCH_MEM_SAS SAs established and kept;
#      VmRSS after minus before, over the SAs the responder reports up.
#   4. charon (kernel-libipsec, default threads) as responder, then again
#      with `policies = no` on its child.
#   5. IKEv1 (BENCH_SKIP_V1=1 skips): main mode with the PSK and
#      BENCH_V1_PROPOSAL (aes128-sha256-x25519) plus one quick mode (ESP as
#      above), each ISAKMP SA deleted once its IPsec SA is up: ike-udp, its
#      memory per ISAKMP SA with one IPsec SA pair, and charon `version = 1`.
# Prints figures, never fails on them; fails only if something cannot run.
# The last two lines are
#   RESULT ikev1_setups_per_s=X charon_v1_setups_per_s=Y bytes_per_ikev1_sa=Z
#   RESULT ike_setups_per_s=X charon_setups_per_s=Y bytes_per_ike_sa=Z
# where X and Y are setups per CPU-second of the responder process (utime
# + stime from /proc; the responder is pinned to one core): on a 2-core
# machine the generator needs about as much CPU as ike-udp, so the wall
# rate, printed beside, is bounded by the machine, not by the responder.
#
# Environment: BUILD_DIR (build), BENCH_SECONDS (10), BENCH_WARMUP (1),
# BENCH_WINDOW (64), BENCH_MEM_SAS (20000; 0 skips), BENCH_RESP_CPU (1),
# BENCH_GEN_CPU (0), BENCH_PROFILE (1), BENCH_SKIP_CHARON (0),
# BENCH_CHARON_SECONDS (BENCH_SECONDS), BENCH_SKIP_V1 (0), BENCH_V1_PROPOSAL, BENCH_LOGS (0: responder output to
# /dev/null during the rate runs; 1: into the work dir, which
# NETNS_KEEP_WORKDIR=1 keeps).

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) BUILD=$BUILD_DIR ;; *) BUILD=$ROOT/$BUILD_DIR ;; esac
IKE_UDP=$BUILD/tests/ike-udp
LOAD=$BUILD/bench/ike_load
SECS=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-1}
WINDOW=${BENCH_WINDOW:-64}
MEM_SAS=${BENCH_MEM_SAS:-20000}
RESP_CPU=${BENCH_RESP_CPU:-1}
GEN_CPU=${BENCH_GEN_CPU:-0}
PROFILE=${BENCH_PROFILE:-1}
SKIP_CHARON=${BENCH_SKIP_CHARON:-0}
SW_SECS=${BENCH_CHARON_SECONDS:-$SECS}
LOGS=${BENCH_LOGS:-0}
PSK=bench-ike-psk-0123456789abcdef
IKE_PROP=aes128gcm16-prfsha256-x25519
ESP_PROP=aes128gcm16
V1_PROP=${BENCH_V1_PROPOSAL:-aes128-sha256-x25519} # IKEv1 has no AEAD for ISAKMP
RESP_VERSION=2 # ike-udp's and charon's connection, and ike_load's --version
GEN_IP=198.18.0.1
RESP_IP=198.18.0.2
GEN_TS=198.18.1.0/24
RESP_TS=198.18.2.0/24
HZ=$(getconf CLK_TCK)

# shellcheck source=scripts/lib/netns.sh
source "$ROOT/scripts/lib/netns.sh"
deps_need prog ping
# shellcheck source=scripts/lib/strongswan.sh
source "$ROOT/scripts/lib/strongswan.sh"
# charon: the helper's plugins, openssl first, so that charon takes AES-GCM,
# HMAC-SHA-256 and X25519 from the same OpenSSL as lib/ike (with the
# helper's order its own aes/gcm/sha2/hmac plugins would come first).
SW_PLUGINS="openssl $(tr ' ' '\n' <<<"$SW_PLUGINS" | grep -vx openssl | tr '\n' ' ')"

die() { echo "bench: FAILED: $*" >&2; exit 1; }

[ -x "$IKE_UDP" ] || die "no $IKE_UDP: build first (ninja -C $BUILD_DIR)"
if [ ! -x "$LOAD" ]; then
	ninja -C "$BUILD" bench/ike_load >/dev/null || die "cannot build $LOAD"
fi
for p in taskset ss awk; do
	command -v "$p" >/dev/null || die "missing: $p"
done

netns_init ikb || die "netns_init (root needed)"
trap "" PIPE
W=$NETNS_WORKDIR
NS_G="$NETNS_ID-gen"
NS_R="$NETNS_ID-resp"
IF_G="${NETNS_ID}g"
IF_R="${NETNS_ID}r"

ns_create "$NS_G" && ns_create "$NS_R" || die "namespaces"
veth_create "$IF_G" "$NS_G" "$IF_R" "$NS_R" || die "veth"
link_up "$NS_G" "$IF_G" && link_up "$NS_R" "$IF_R" || die "links"
ip -n "$NS_G" addr add "$GEN_IP/24" dev "$IF_G" || die "address"
ip -n "$NS_R" addr add "$RESP_IP/24" dev "$IF_R" || die "address"
# One address inside each side's traffic selector: charon (kernel-libipsec)
# installs a route with a source address from its local_ts with each policy.
ip -n "$NS_G" addr add "${GEN_TS%.0/24}.1/32" dev lo || die "address"
ip -n "$NS_R" addr add "${RESP_TS%.0/24}.1/32" dev lo || die "address"
nsx "$NS_G" ping -n -q -c 1 -w 5 "$RESP_IP" >/dev/null || die "no ping $GEN_IP -> $RESP_IP"

# cpu_ticks PID: utime + stime of the whole process (all threads).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# rss_kb PID
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
now() { date +%s.%N; }
# udp_drops NS: UDP datagrams dropped for a full receive buffer in NS.
udp_drops() {
	ip netns exec "$1" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
		else print $c["RcvbufErrors"] }' /proc/net/snmp
}
# fmt EXPR: awk arithmetic, one decimal.
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
# kv LINE KEY: the value of KEY=value in an ike_load result line.
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# resp_config FILE [psk|ecdsa|ra]
resp_config() {
	local auth='"psk": "'$PSK'"'
	[ "${2:-psk}" = ecdsa ] &&
		auth='"cert": "'$W/pki/resp.pem'", "key": "'$W/pki/resp.key'", "cacert": "'$W/pki/ca.pem'"'
	[ "${2:-psk}" = ra ] && { ra_config "$1"; return; }
	cat >"$1" <<EOF
{
  "limits": {"cookie_threshold": 0, "half_open_per_src": 0},
  "connections": [{
    "name": "bench", "local": "$RESP_IP", $auth, "version": $RESP_VERSION,
    "proposals": ["$IKE_PROP"],
    "children": [{"name": "bench", "local_ts": ["$RESP_TS"], "remote_ts": ["$GEN_TS"],
                  "esp_proposals": ["$ESP_PROP"]}]
  }]
}
EOF
}

# ra_config FILE: remote access: the responder by its certificate, RA_CLIENTS
# EAP-MSCHAPv2 users user0.. (one password), pool rw4 of RA_POOL; the
# clients' selectors narrowed to their address.
ra_config() {
	/usr/bin/python3 - "$1" "$RA_CLIENTS" "$RA_PASSWORD" "$RA_POOL" "$RESP_IP" "$W/pki" \
		"$IKE_PROP" "$ESP_PROP" "$RESP_TS" <<'PY'
import json, sys
out, n, pw, pool, ip, pki, ike, esp, resp_ts = sys.argv[1:]
json.dump({
    "limits": {"cookie_threshold": 0, "half_open_per_src": 0},
    "pools": [{"name": "rw4", "prefix": pool, "lease_s": 3600}],
    "eap_users": [{"name": "user%d" % k, "password": pw} for k in range(int(n))],
    "connections": [{
        "name": "rw", "local": ip, "cert": pki + "/resp.pem", "key": pki + "/resp.key",
        "cacert": pki + "/ca.pem", "remote_auth": "eap-mschapv2", "pools": ["rw4"],
        "proposals": [ike],
        "children": [{"name": "rw", "local_ts": [resp_ts], "remote_ts": [pool],
                      "esp_proposals": [esp]}]}],
}, open(out, "w"))
PY
}

# make_pki DIR: ECDSA P-256 CA, and responder and generator certificates
# signed by it (subject DN = identity; SANs for completeness).
make_pki() {
	local d=$1 o=/usr/bin/openssl n
	mkdir -p "$d" && (
		cd "$d" || exit 1
		printf '[req]\ndistinguished_name = dn\n[dn]\n[ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n[resp]\nbasicConstraints = CA:FALSE\nsubjectAltName = DNS:resp.bench.example, IP:%s\n[gen]\nbasicConstraints = CA:FALSE\nsubjectAltName = DNS:gen.bench.example, IP:%s\n' \
			"$RESP_IP" "$GEN_IP" >pki.cnf
		$o genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key &&
			$o req -x509 -new -config pki.cnf -key ca.key -subj "/O=espgate bench/CN=Bench CA" \
				-days 2 -extensions ca -out ca.pem || exit 1
		for n in resp gen; do
			$o genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $n.key &&
				$o req -new -config pki.cnf -key $n.key -subj "/O=espgate bench/CN=$n.bench.example" -out $n.csr &&
				$o x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -set_serial "0x$($o rand -hex 8)" \
					-days 2 -extfile pki.cnf -extensions $n -out $n.pem || exit 1
		done
	) >"$d/make.log" 2>&1
}

# resp_start OUT ERR [psk|ecdsa]: ike-udp in resp on RESP_CPU (RESP_PID).
resp_start() {
	local out=$1 err=$2
	resp_config "$W/ike-udp.json" "${3:-psk}"
	ip netns exec "$NS_R" taskset -c "$RESP_CPU" "$IKE_UDP" --config "$W/ike-udp.json" \
		</dev/null >"$out" 2>"$err" &
	RESP_PID=$!
	NETNS_PIDS+=("$RESP_PID")
	wait_for "! kill -0 $RESP_PID || nsx $NS_R ss -Hlun | grep -q '$RESP_IP:4500'" 10
	kill -0 "$RESP_PID" 2>/dev/null || die "ike-udp did not start: $(tail -n 5 "$err" 2>/dev/null)"
	[ "$(cat "/proc/$RESP_PID/comm")" = ike-udp ] || die "pid $RESP_PID is not ike-udp"
}

resp_stop() { stop_pid "$RESP_PID" 5; }

# gen LOG ARGS...: ike_load in gen on GEN_CPU; its result line in GEN_OUT.
# GEN_AUTH: its authentication options (PSK unless set).
gen() {
	local log=$1
	shift
	[ -n "${GEN_AUTH+x}" ] || GEN_AUTH=(--psk "$PSK")
	GEN_OUT=$(ip netns exec "$NS_G" taskset -c "$GEN_CPU" "$LOAD" --local "$GEN_IP" \
		--remote "$RESP_IP" "${GEN_AUTH[@]}" --ike "$IKE_PROP" --esp "$ESP_PROP" \
		--local-ts "$GEN_TS" --remote-ts "$RESP_TS" --window "$WINDOW" \
		--version "$RESP_VERSION" "$@" 2>"$log" |
		tail -n 1)
	case $GEN_OUT in ike_load:*) ;; *)
		tail -n 5 "$log" >&2
		die "ike_load failed"
		;;
	esac
}

# rate_run NAME PID SECONDS: warm-up, then the measured run; prints the
# figures and sets RATE (wall setups/s) and RATE_CPU (per CPU-second of
# the responder process PID).
rate_run() {
	local name=$1 pid=$2 secs=$3 c0 c1 t0 t1 cpu wall dr0 dr1 dg0 dg1
	gen "$W/gen-$name-warmup.log" --duration "$WARMUP" --quiet
	dr0=$(udp_drops "$NS_R") dg0=$(udp_drops "$NS_G")
	c0=$(cpu_ticks "$pid") t0=$(now)
	gen "$W/gen-$name.log" --duration "$secs" --quiet
	c1=$(cpu_ticks "$pid") t1=$(now)
	dr1=$(udp_drops "$NS_R") dg1=$(udp_drops "$NS_G")
	cpu=$(calc "($c1 - $c0) / $HZ" 2)
	wall=$(calc "$t1 - $t0" 2)
	RATE=$(kv "$GEN_OUT" setups_per_s)
	RATE_CPU=$(calc "$(kv "$GEN_OUT" setups) / ($cpu > 0 ? $cpu : 1)" 0)
	printf '%-8s %8.0f setups/s  p50 %s ms  p99 %s ms  failures %s (timeouts %s)  %s setups in %s s\n' \
		"$name" "$RATE" "$(kv "$GEN_OUT" p50_ms)" "$(kv "$GEN_OUT" p99_ms)" \
		"$(kv "$GEN_OUT" failures)" "$(kv "$GEN_OUT" timeouts)" \
		"$(kv "$GEN_OUT" setups)" "$(kv "$GEN_OUT" seconds)"
	printf '%-8s responder %s CPU-s in %s s (%s %% of a core): %s setups per responder CPU-second; generator %s CPU-s\n' \
		"" "$cpu" "$wall" "$(calc "100 * $cpu / $wall" 0)" "$RATE_CPU" "$(kv "$GEN_OUT" cpu_s)"
	printf '%-8s UDP receive-buffer drops: responder %s, generator %s\n' "" $((dr1 - dr0)) $((dg1 - dg0))
}

# profile_start NAME PID SECONDS: perf record (cpu-clock, frame-pointer
# call chains, 999 Hz) of PID from 1 s after the warm-up, for at most 5 s
# of the measured run, in the background (PERF_PID).
PERF_PID=""
profile_start() {
	local name=$1 pid=$2 secs=$3
	PERF_PID=""
	[ "$PROFILE" = 1 ] && command -v perf >/dev/null || return 0
	PSECS=$((secs > 7 ? 5 : (secs > 2 ? secs - 2 : 1)))
	(sleep "$(calc "$WARMUP + 1.2" 1)" &&
		exec perf record -q -F 999 -e cpu-clock -g -p "$pid" -o "$W/perf-$name.data" -- sleep "$PSECS") \
		>"$W/perf-$name.log" 2>&1 &
	PERF_PID=$!
	NETNS_PIDS+=("$PERF_PID")
}

# profile_report NAME WHAT N: share of each library and the N functions
# with the most self time (libcrypto's internal functions have no symbols).
profile_report() {
	local name=$1 what=$2 n=$3 data=$W/perf-$1.data
	[ -n "$PERF_PID" ] || return 0
	wait "$PERF_PID" 2>/dev/null
	PERF_PID=""
	if [ ! -s "$data" ]; then
		echo "profile: perf recorded nothing ($(tail -n 1 "$W/perf-$name.log" 2>/dev/null))"
		return 0
	fi
	echo "profile of $what (perf cpu-clock, ${PSECS}s of the run), self time by library:"
	perf report -i "$data" --no-children --sort dso --stdio 2>/dev/null |
		awk '/%/ && !/^#/ && !/\|/ && !/--/ && k++ < 8 { printf "  %7s %s\n", $1, $2 }'
	echo "top $n functions by self time:"
	perf report -i "$data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
		awk -v n="$n" '/%/ && !/^#/ && k++ < n { sub(/ +- +- *$/, ""); print "  " $0 }'
}

echo "bench: lib/ike responder ($BUILD_DIR/tests/ike-udp, CPU $RESP_CPU) <- ike_load (CPU $GEN_CPU), window $WINDOW, ${SECS}s"
echo "bench: PSK, $IKE_PROP, ESP $ESP_PROP, one Child SA, each SA deleted once up"

# --- 1: ike-udp, PSK --------------------------------------------------------
if [ "$LOGS" = 1 ]; then
	resp_start "$W/ike-udp-rate.out" "$W/ike-udp-rate.err"
else
	resp_start /dev/null /dev/null
fi
profile_start ike "$RESP_PID" "$SECS"
rate_run ike "$RESP_PID" "$SECS"
IKE_RATE=$RATE
IKE_RATE_CPU=$RATE_CPU
profile_report ike ike-udp 20
resp_stop

# --- 2: ECDSA P-256 certificates -------------------------------------------
ECDSA_RATE="n/a"
if ! grep -q '"cacert"' "$ROOT/tests/ike/ike_udp.c"; then
	echo "ecdsa: not available (certificate authentication not integrated)"
elif ! make_pki "$W/pki"; then
	echo "ecdsa: not measured: openssl could not make the certificates ($(tail -n 1 "$W/pki/make.log"))"
else
	resp_start /dev/null "$W/ike-udp-ecdsa.err" ecdsa
	GEN_AUTH=(--cert "$W/pki/gen.pem" --key "$W/pki/gen.key" --cacert "$W/pki/ca.pem")
	rate_run ecdsa "$RESP_PID" "$SECS"
	ECDSA_RATE=$RATE
	ECDSA_RATE_CPU=$RATE_CPU
	unset GEN_AUTH
	resp_stop
fi

# mem_run WHAT: a fresh ike-udp, MEM_SAS SAs established and kept: VmRSS
# after minus before over the SAs kept; MEM_BYTES (n/a without any).
mem_run() {
	local ups0 downs0 rss0 rss1 ups downs kept
	MEM_BYTES="n/a"
	resp_start "$W/ike-udp-mem.out" /dev/null
	gen "$W/gen-mem-warmup.log" --count "$WINDOW" --quiet
	sleep 0.5
	ups0=$(grep -c '"event":"ike_up"' "$W/ike-udp-mem.out")
	downs0=$(grep -c '"event":"ike_down"' "$W/ike-udp-mem.out")
	rss0=$(rss_kb "$RESP_PID")
	gen "$W/gen-mem.log" --count "$MEM_SAS" --keep --timeout 30 --quiet
	sleep 0.5
	rss1=$(rss_kb "$RESP_PID")
	ups=$(($(grep -c '"event":"ike_up"' "$W/ike-udp-mem.out") - ups0))
	downs=$(($(grep -c '"event":"ike_down"' "$W/ike-udp-mem.out") - downs0))
	kept=$((ups - downs))
	if [ "$kept" -gt 0 ]; then
		MEM_BYTES=$(calc "($rss1 - $rss0) * 1024 / $kept" 0)
	fi
	echo "memory: $kept $1 (+1 Child SA each) kept on the responder ($(kv "$GEN_OUT" established) up at the generator, failures $(kv "$GEN_OUT" failures), $(kv "$GEN_OUT" setups_per_s) setups/s): VmRSS $rss0 -> $rss1 kB: $MEM_BYTES bytes per SA"
	resp_stop
}

# --- 3: memory per IKE SA ---------------------------------------------------
BYTES="n/a"
if [ "$MEM_SAS" -gt 0 ]; then
	mem_run "IKE SAs"
	BYTES=$MEM_BYTES
fi

# charon_start: charon as responder on RESP_CPU (SW) with the connection
# "bench" of RESP_VERSION.
charon_start() {
	SW_LOG_LEVELS="default=0" SW_CHARON_EXTRA="  dos_protection = no
  ikesa_table_size = 1024
  ikesa_table_segments = 16" sw_setup resp "$NS_R" || die "sw_setup"
	sw_start resp 15 || die "charon did not start"
	SW=${SW_PID[resp]}
	[ "$(cat "/proc/$SW/comm")" = charon ] || die "pid $SW is not charon"
	taskset -a -p -c "$RESP_CPU" "$SW" >/dev/null || die "taskset charon"
	sw_conn resp bench local_addrs="$RESP_IP" remote_addrs=%any psk="$PSK" \
		proposals="$IKE_PROP" esp_proposals="$ESP_PROP" local_ts="$RESP_TS" remote_ts="$GEN_TS" \
		mode=tunnel start_action=none dpd_delay=0 mobike=no version="$RESP_VERSION" >/dev/null ||
		die "sw_conn"
	sw_load resp >"$W/swanctl-load.log" 2>&1 || die "swanctl --load-all: $(tail -n 3 "$W/swanctl-load.log")"
}

# --- 4: strongSwan's charon -------------------------------------------------
SW_RATE="n/a" SW_RATE_CPU="n/a"
if [ "$SKIP_CHARON" != 1 ]; then
	charon_start
	echo "bench: charon $(/usr/lib/ipsec/charon --version 2>/dev/null | head -n 1) (kernel-libipsec, default threads, openssl plugin first, dos_protection = no, ikesa_table_size 1024/16), CPU $RESP_CPU, ${SW_SECS}s"
	profile_start charon "$SW" "$SW_SECS"
	rate_run charon "$SW" "$SW_SECS"
	SW_RATE=$RATE
	SW_RATE_CPU=$RATE_CPU
	profile_report charon charon 10
	# The Child SAs still go to kernel-libipsec; only its policies are off.
	sw_child resp bench bench local_ts="$RESP_TS" remote_ts="$GEN_TS" mode=tunnel \
		start_action=none esp_proposals="$ESP_PROP" policies=no
	sw_load resp >>"$W/swanctl-load.log" 2>&1 || die "swanctl --load-all (policies=no)"
	rate_run charon-np "$SW" "$SW_SECS"
	echo "charon threads: $(find "/proc/$SW/task" -mindepth 1 -maxdepth 1 | wc -l)"
	sw_stop resp
	echo "ratio: lib/ike / charon $(calc "$IKE_RATE_CPU / ($SW_RATE_CPU > 0 ? $SW_RATE_CPU : 1)" 2) per responder CPU-second, $(calc "$IKE_RATE / ($SW_RATE > 0 ? $SW_RATE : 1)" 2) wall"
fi

# --- 5: IKEv1 ---------------------------------------------------------------
V1_RATE_CPU="n/a" V1_RATE="n/a" V1_BYTES="n/a" SW_V1_RATE_CPU="n/a" SW_V1_RATE="n/a"
if [ "${BENCH_SKIP_V1:-0}" != 1 ]; then
	IKE_PROP=$V1_PROP RESP_VERSION=1
	echo "bench: IKEv1: main mode (PSK, $IKE_PROP) + one quick mode (ESP $ESP_PROP), each ISAKMP SA deleted once up"
	resp_start /dev/null /dev/null
	rate_run ikev1 "$RESP_PID" "$SECS"
	V1_RATE=$RATE V1_RATE_CPU=$RATE_CPU
	resp_stop
	if [ "$MEM_SAS" -gt 0 ]; then
		mem_run "ISAKMP SAs"
		V1_BYTES=$MEM_BYTES
	fi
	if [ "$SKIP_CHARON" != 1 ]; then
		charon_start
		rate_run charon-v1 "$SW" "$SW_SECS"
		SW_V1_RATE=$RATE SW_V1_RATE_CPU=$RATE_CPU
		sw_stop resp
		echo "ratio IKEv1: lib/ike / charon $(calc "$V1_RATE_CPU / ($SW_V1_RATE_CPU > 0 ? $SW_V1_RATE_CPU : 1)" 2) per responder CPU-second"
	fi
fi

# --- 6: remote access: EAP-MSCHAPv2 and a virtual address per client -----
RA_RATE_CPU="n/a" RA_RATE="n/a" RA_BYTES="n/a"
RA_CLIENTS=${BENCH_RA_CLIENTS:-10000}
RA_PASSWORD=bench-ra-password-0123
RA_POOL=198.18.64.0/18
if [ "$RA_CLIENTS" -gt 0 ] && { [ -s "$W/pki/ca.pem" ] || make_pki "$W/pki"; }; then
	IKE_PROP=aes128gcm16-prfsha256-x25519 RESP_VERSION=2
	echo "bench: remote access: $RA_CLIENTS clients user0.. with EAP-MSCHAPv2 (secrets: ike-udp's eap_users), the responder by ECDSA P-256, each asking for an address of $RA_POOL (CFG_REQUEST)"
	GEN_AUTH=(--eap-clients "$RA_CLIENTS" --eap-password "$RA_PASSWORD" --cacert "$W/pki/ca.pem" --vip)
	GEN_TS=$RA_POOL
	resp_start /dev/null "$W/ike-udp-ra.err" ra
	rate_run ra "$RESP_PID" "$SECS"
	RA_RATE=$RATE RA_RATE_CPU=$RATE_CPU
	resp_stop
	# every client at once, each keeping its address: memory per client
	resp_start "$W/ike-udp-ra-mem.out" "$W/ike-udp-ra-mem.err" ra
	rss0=$(rss_kb "$RESP_PID")
	GEN_OUT=$(ip netns exec "$NS_G" taskset -c "$GEN_CPU" "$LOAD" --local "$GEN_IP" \
		--remote "$RESP_IP" "${GEN_AUTH[@]}" --ike "$IKE_PROP" --esp "$ESP_PROP" \
		--local-ts "$GEN_TS" --remote-ts "$RESP_TS" --window "$WINDOW" --count "$RA_CLIENTS" \
		--keep --timeout 30 --quiet 2>"$W/gen-ra-mem.log")
	sleep 0.5
	rss1=$(rss_kb "$RESP_PID")
	kept=$(($(grep -c '"event":"ike_up"' "$W/ike-udp-ra-mem.out") - $(grep -c '"event":"ike_down"' "$W/ike-udp-ra-mem.out")))
	vline=$(grep 'vips=' <<<"$GEN_OUT")
	[ "$kept" -gt 0 ] && RA_BYTES=$(calc "($rss1 - $rss0) * 1024 / $kept" 0)
	echo "memory: $kept remote-access clients kept (IKE SA, Child SA, lease), ${vline#ike_load: } at the generator; VmRSS $rss0 -> $rss1 kB: $RA_BYTES bytes per client"
	resp_stop
	unset GEN_AUTH
fi

# Rates in RESULT are setups per CPU-second of the responder process (on
# one core), as esp.sh counts CPU time: on a 2-core machine the generator
# needs about as much CPU as ike-udp, so the wall rate is the machine's.
r0() { if [ "$1" = n/a ]; then echo n/a; else calc "$1" 0; fi; }
echo "summary: setups per responder CPU-second (wall setups/s): lib/ike PSK $IKE_RATE_CPU ($(r0 "$IKE_RATE")), lib/ike ECDSA ${ECDSA_RATE_CPU:-n/a} ($(r0 "$ECDSA_RATE")), charon PSK $SW_RATE_CPU ($(r0 "$SW_RATE")); $BYTES bytes per IKE SA"
echo "summary IKEv1: setups per responder CPU-second (wall setups/s): lib/ike $V1_RATE_CPU ($(r0 "$V1_RATE")), charon $SW_V1_RATE_CPU ($(r0 "$SW_V1_RATE")); $V1_BYTES bytes per ISAKMP SA with one IPsec SA pair"
echo "RESULT ra_setups_per_s=$RA_RATE_CPU bytes_per_ra_client=$RA_BYTES"
echo "RESULT ikev1_setups_per_s=$V1_RATE_CPU charon_v1_setups_per_s=$SW_V1_RATE_CPU bytes_per_ikev1_sa=$V1_BYTES"
echo "RESULT ike_setups_per_s=$IKE_RATE_CPU charon_setups_per_s=$SW_RATE_CPU bytes_per_ike_sa=$BYTES"
