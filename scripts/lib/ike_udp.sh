# shellcheck shell=bash
# ike-udp (lib/ike over UDP sockets, tests/ike/ike_udp.c) as strongSwan's
# peer in the IKE interop suites. Source after scripts/lib/netns.sh; the
# suite sets NS_EG (ike-udp's namespace), IKE_UDP (the binary) and W.
#
#   iu_start TAG CONFIG [NAME...]  ike-udp with --initiate NAME for each
#                                  (and $IU_ARGS);
#                                  IU_OUT (events), IU_ERR (log), IU_PID
#   iu_stop [SIG]                  SIGTERM (no deletes sent) or SIGKILL; bounded
#   ev EXPR                        EXPR over ike-udp's events and charon's SAs as
#                                  of the last snapshot (tests/e2e/ike_strongswan.py)
#   snap                           snapshot charon "sw"'s SAs into SWJ
#   until_true EXPR TIMEOUT        snap + ev until EXPR holds (bounded)
# The suite also sets SWJ (the snapshot file).

iu_start() {
	local tag=$1 cfg=$2 name
	shift 2
	local -a init=()
	for name in "$@"; do init+=(--initiate "$name"); done
	IU_TAG=$tag IU_OUT=$W/iu-$tag.out IU_ERR=$W/iu-$tag.err
	# a sanitizer build's reports (a leak at its exit too): one file per
	# start, checked by netns_cleanup with espgate's
	local san=$NETNS_WORKDIR/sanitizer-ike-udp-$tag
	# shellcheck disable=SC2086 # IU_ARGS: extra options, word-split
	env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$san" \
		UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$san" \
		ip netns exec "$NS_EG" "$IKE_UDP" --config "$cfg" "${init[@]}" ${IU_ARGS:-} \
		</dev/null >"$IU_OUT" 2>"$IU_ERR" &
	IU_PID=$!
	NETNS_PIDS+=("$IU_PID")
	# bounded: until its port-4500 socket is bound, or it died
	wait_for "[ -n \"\$(ip netns exec $NS_EG ss -Hlun 'sport = :4500')\" ] || ! kill -0 $IU_PID" 5
	kill -0 "$IU_PID" 2>/dev/null || { echo "ike-udp exited: $(cat "$IU_ERR")"; return 1; }
}

iu_stop() {
	local pid=${IU_PID:-} sig=${1:-TERM}
	[ -n "$pid" ] || return 0
	{
		kill -"$sig" "$pid"
		wait_for "! kill -0 $pid" 5 || kill -KILL "$pid"
		wait "$pid"
	} 2>/dev/null
	netns_forget_pid "$pid"
	IU_PID=""
}

ev() { /usr/bin/python3 "$ROOT/tests/e2e/ike_strongswan.py" eval "$IU_OUT" "$SWJ" "$1"; }
snap() { sw_list_sas_json sw >"$SWJ.tmp" 2>/dev/null && mv "$SWJ.tmp" "$SWJ"; }

# until_true EXPR TIMEOUT: poll (charon snapshot + events) until EXPR holds.
until_true() {
	local expr=$1 t=$2 end
	end=$(($(date +%s%N) / 1000000 + ${t%.*} * 1000))
	while :; do
		snap
		[ "$(ev "$expr" 2>/dev/null)" = True ] && return 0
		[ $(($(date +%s%N) / 1000000)) -lt "$end" ] || break
		sleep 0.1
	done
	echo "timed out after ${t}s waiting for: $expr"
	echo "charon: $(ev "[(a['name'], a['state'], a['local-host'], a['local-port'], a['remote-host'], a['remote-port'], [(c['spi-in'], c['spi-out'], c['state']) for c in a['children']]) for a in s]")"
	echo "ike-udp: IKE $(ev "[(x['conn'], x['ike_id'], x['spi_i'], x['spi_r']) for x in ikes()]") child $(ev "[(x['conn'], x['spi_in'], x['spi_out']) for x in kids()]")"
	return 1
}
