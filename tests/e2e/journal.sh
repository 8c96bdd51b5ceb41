#!/bin/bash
# Log lines with structured fields under journald (issue 18 item 1):
# Debian's systemd-journald runs for this test alone, in a private mount
# namespace over tmpfs (/run/systemd/journal, /run/log: the host's
# journal is never touched); espgate runs with its stderr on the
# journal's stream (systemd-cat) and $JOURNAL_STREAM naming it, as
# systemd starts a service. espgate carries a tunnel to strongSwan; a
# peer sends an IKE header of major version 3. journalctl finds the
# lines by their fields: the Child SA's by ESPGATE_SPI_IN, the refusal by
# ESPGATE_PEER. Prints TAP. Needs root.
#
#   bash tests/e2e/journal.sh [BUILD_DIR]      (default: build)

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# The whole suite in a mount namespace of its own: journald's sockets and
# files are mounted over, the host keeps its own.
if [ -z "${EG_JOURNAL_NS:-}" ]; then
	EG_JOURNAL_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"
deps_need prog systemd-cat journalctl /lib/systemd/systemd-journald

PLAN=4
echo "1..$PLAN"

tap_start egjrn "a journald of its own, espgate on its stream, a tunnel to charon"
EG_LOG=$W/espgate.log
: >"$NOTES"
JOURNALD_PID=""
journal_stop() { [ -z "$JOURNALD_PID" ] || kill "$JOURNALD_PID" 2>/dev/null; }
NETNS_ON_CLEANUP="${NETNS_ON_CLEANUP:+$NETNS_ON_CLEANUP; }journal_stop"

# journal_json FIELD=VALUE...: the journal's entries matching, as JSON lines.
journal_json() {
	journalctl --no-pager -o json "$@" 2>/dev/null
}

# journal_find MATCH TEXT OUT: the first entry matching MATCH (FIELD=VALUE)
# whose line holds TEXT, into OUT (waits up to 5 s); its fields noted.
journal_find() {
	wait_for "journal_json '$1' | grep -q '$2'" 5 || {
		echo "no entry with $1 and '$2'"
		journal_json SYSLOG_IDENTIFIER=espgate | tail -n 3
		return 1
	}
	journal_json "$1" | grep "$2" | head -n 1 >"$3"
	note "$(json_get "$3" "' '.join('%s=%s' % (k, d[k]) for k in sorted(d) if k.startswith('ESPGATE_') or k in ('MESSAGE', 'PRIORITY'))")"
}

# 1: journald
journald_up() {
	local d
	for d in /run/systemd/journal /run/log /var/log/journal; do
		[ "$d" != /var/log/journal ] || [ -d "$d" ] || continue
		mkdir -p "$d" && mount -t tmpfs -o mode=0755 tmpfs "$d" || return 1
	done
	bg_run JOURNALD_PID "$W/journald.log" /lib/systemd/systemd-journald
	wait_for "[ -S /run/systemd/journal/stdout ] && [ -S /run/systemd/journal/socket ]" 10 ||
		{ tail -n 5 "$W/journald.log"; return 1; }
	note "$(journalctl --no-pager -o cat -n 1 2>&1)"
}
check "systemd-journald of its own on tmpfs (its sockets in /run/systemd/journal)" journald_up ||
	FATAL="no journald"

# espgate_on_journal CONFIG: espgate in gw, stdout and stderr on the
# journal's stream, JOURNAL_STREAM as systemd sets it (st_dev:st_ino of
# fd 2, systemd.exec(5)).
espgate_on_journal() {
	local inner
	inner="export JOURNAL_STREAM=\$(stat -L -c %d:%i /proc/self/fd/2); exec ip netns exec '$NS_GW' '$BUILD/app/espgate' --config '$1'"
	bg_run ESPGATE_PID "$EG_LOG" systemd-cat -t espgate bash -c "$inner"
	wait_for "'$BUILD/app/espgatectl' --socket '$ESPGATE_SOCK' status" 30 >/dev/null 2>&1
}

# 2: the tunnel, its lines with fields
tunnel_fields() {
	suite_programs || return 1
	tunnel_topo_create || return 1
	tunnel_espgate_config "$W/espgate.json" debug || return 1
	"$BUILD/app/espgate" --check --config "$W/espgate.json" >/dev/null || return 1
	espgate_on_journal "$W/espgate.json" || { echo "espgate did not start"; return 1; }
	tunnel_sw_prepare && tunnel_sw_start || return 1
	tunnel_up 20 >"$W/up.log" 2>&1 || { tail -n 5 "$W/up.log"; return 1; }
	ping5 "$NS_HOST" "$SRV_V4" >/dev/null || return 1
	local spi
	spi=$(eg_json "d['child_sas'][0]['spi_in']") || return 1
	journal_find "ESPGATE_SPI_IN=$spi" installed "$W/child.json" || return 1
	"$PY" - "$W/child.json" "$TUN_CONN" "$BR_WAN_V4" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
want = {"ESPGATE_CONNECTION": sys.argv[2], "ESPGATE_PEER": sys.argv[3], "PRIORITY": "6"}
bad = {k: d.get(k) for k, v in want.items() if d.get(k) != v}
for k in ("ESPGATE_IKE_SA", "ESPGATE_IKE_SPI_I", "ESPGATE_IKE_SPI_R", "ESPGATE_SPI_OUT"):
    if not d.get(k) or d[k].strip("0") == "":
        bad[k] = d.get(k)
if bad:
    print("fields not as expected:", bad)
    sys.exit(1)
PY
}
check "the tunnel up: journalctl ESPGATE_SPI_IN=<its inbound SPI> finds 'Child SA ... installed' with ESPGATE_CONNECTION, ESPGATE_PEER, ESPGATE_IKE_SA, both IKE SPIs, ESPGATE_SPI_OUT, PRIORITY 6 (info)" tunnel_fields

# 3: a refusal, found by the peer's address
refusal_fields() {
	nsx "$NS_BR" "$PY" -c 'import socket, struct, sys
hdr = bytes(range(1, 9)) + bytes(8) + bytes([0, 0x30, 34, 8]) + struct.pack("!II", 0, 28)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[2], 5000))
s.sendto(hdr, (sys.argv[1], 500))' "$GW_WAN_V4" "$BR_WAN_V4" || return 1
	journal_find "ESPGATE_PEER=$BR_WAN_V4" INVALID_MAJOR_VERSION "$W/refusal.json" || return 1
	# no SA yet: no SA fields on that line
	json_get "$W/refusal.json" "'ESPGATE_IKE_SA' not in d and d['PRIORITY'] == '6'" | grep -qx True
}
check "an IKE header of major version 3 from br: journalctl ESPGATE_PEER=$BR_WAN_V4 finds the INVALID_MAJOR_VERSION refusal at info, without SA fields" refusal_fields

# 4: no key material in the journal; espgate stops cleanly
no_keys() {
	journal_json SYSLOG_IDENTIFIER=espgate >"$W/all.json"
	note "$(wc -l <"$W/all.json") espgate entries in the journal (log level debug)"
	# a key of 16 bytes or more would be 32 hex digits in a row (an IKE
	# SPI is 16); the journal's own fields (cursor, boot and machine ids)
	# are left out
	"$PY" - "$W/all.json" <<'PY' || return 1
import json, re, sys
long_hex = re.compile(r"[0-9a-fA-F]{32,}")
for line in open(sys.argv[1]):
    d = json.loads(line)
    for k, v in d.items():
        if (k == "MESSAGE" or k.startswith("ESPGATE_")) and isinstance(v, str) and long_hex.search(v):
            print("hex run in", k, ":", v[:200])
            sys.exit(1)
PY
	kill -TERM "$ESPGATE_PID" && wait_pid_exit "$ESPGATE_PID" 30 || return 1
	wait_for "journal_json SYSLOG_IDENTIFIER=espgate | grep -q 'mbufs in use at exit: 0'" 5
}
check "espgate's entries carry no Child SA key; SIGTERM: espgate exits, 'mbufs in use at exit: 0' in the journal" no_keys

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
