#!/bin/bash
# espgate as a systemd service (issue 18 item 4): what `meson install`
# puts where, the unit checked by systemd-analyze, and the notify
# protocol spoken to a NOTIFY_SOCKET this test listens on (the datagrams
# libsystemd's sd_notify sends, as systemd would get them). Prints TAP.
# Needs root.
#
#   bash tests/e2e/service.sh [BUILD_DIR]      (default: build)

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"
deps_need prog systemd-analyze

PLAN=6
echo "1..$PLAN"

tap_start egsvc "meson install into a directory; espgate under a NOTIFY_SOCKET"
EG_LOG=$W/espgate.log
DEST=$W/root
NOTES_LOG=$W/notify.log
: >"$NOTES"

# 1: meson install
installed() {
	local prefix f
	meson install -C "$BUILD" --destdir "$DEST" --no-rebuild >"$W/install.log" 2>&1 ||
		{ tail -n 5 "$W/install.log"; return 1; }
	prefix=$(meson introspect "$BUILD" --buildoptions | json_get - "[o['value'] for o in d if o['name'] == 'prefix'][0]")
	UNIT=$(find "$DEST" -name espgate.service | head -n 1)
	for f in "$prefix/bin/espgate" "$prefix/bin/espgatectl"; do
		[ -x "$DEST$f" ] || { echo "no $f"; return 1; }
	done
	[ -n "$UNIT" ] && [ -n "$(find "$DEST" -path '*/etc/espgate/examples/example-ike.json')" ] &&
		[ -n "$(find "$DEST" -path '*/share/doc/espgate/README.md')" ] ||
		{ find "$DEST" -type f; return 1; }
	note "installed: $(cd "$DEST" && find . -type f | sort | tr '\n' ' ')"
}
check "meson install: espgate and espgatectl in bindir, the unit in systemd's unit directory, /etc/espgate/examples, the documentation" installed ||
	FATAL="install failed"

# unit_verify FILE: systemd-analyze verify says nothing about FILE, its
# commands taken from under DEST.
unit_verify() {
	local copy=$W/check/espgate.service out
	mkdir -p "$W/check"
	sed -E "s#^(Exec[A-Za-z]*=)(/[^ ]*)#\\1$DEST\\2#" "$1" >"$copy"
	out=$(systemd-analyze verify "$copy" 2>&1)
	local rc=$?
	# what it says of other units it loads (the host's enabled services,
	# through multi-user.target) is the host's, not ours
	out=$(grep -v -E '^/(etc|lib|usr/lib|run)/systemd/system/[^:]+:([0-9]+:)? ' <<<"$out")
	[ -z "$out" ] || echo "$out"
	[ $rc -eq 0 ] && [ -z "$out" ]
}

# 2: the unit
unit_ok() {
	grep -qx 'Type=notify' "$UNIT" && grep -q '^WatchdogSec=' "$UNIT" &&
		grep -q '^ExecReload=.*espgatectl reload$' "$UNIT" && grep -qx 'RuntimeDirectory=espgate' "$UNIT" ||
		{ cat "$UNIT"; return 1; }
	unit_verify "$UNIT" || return 1
	# the check can fail: a misspelt key is reported
	sed 's/^WatchdogSec=/WatchdgSec=/' "$UNIT" >"$W/bad.service"
	! unit_verify "$W/bad.service" >/dev/null
}
check "the unit: Type=notify, WatchdogSec, ExecReload=espgatectl reload, RuntimeDirectory=espgate; systemd-analyze verify finds nothing (and does find a misspelt key)" unit_ok

# 3: READY=1 and the watchdog
notify_listen() {
	"$PY" - "$W/notify.sock" "$NOTES_LOG" <<'PY'
import os, socket, sys, time
path, log = sys.argv[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.5)
end = time.time() + 120
with open(log, "a", buffering=1) as f:
    while time.time() < end and not os.path.exists(path + ".stop"):
        try:
            msg = s.recv(4096)
        except socket.timeout:
            continue
        f.write("%.3f %s\n" % (time.time(), msg.decode(errors="replace").replace("\n", "|")))
PY
}
ready() {
	tunnel_topo_create || return 1
	tunnel_espgate_config "$W/espgate.json" info || return 1
	bg_run LISTEN_PID "$W/listen.err" notify_listen
	wait_for "[ -S '$W/notify.sock' ]" 5 || return 1
	NOTIFY_SOCKET=$W/notify.sock WATCHDOG_USEC=1000000 eg_start "$W/espgate.json" "$EG_LOG" || return 1
	wait_for "grep -q 'READY=1' '$NOTES_LOG'" 10 || { echo "no READY=1"; cat "$NOTES_LOG"; return 1; }
	note "$(grep -m1 'READY=1' "$NOTES_LOG" | cut -d' ' -f2-)"
	grep -m1 'READY=1' "$NOTES_LOG" | grep -q 'STATUS=running: 1 workers, 2 ports, 1 connections' ||
		{ echo "no STATUS with READY=1"; return 1; }
	sleep 2
	local n
	n=$(grep -c 'WATCHDOG=1' "$NOTES_LOG")
	note "WATCHDOG=1 $n times in the first ~2 s (WATCHDOG_USEC 1 s: every 0.5 s)"
	[ "$n" -ge 3 ] || { echo "WATCHDOG=1 only $n times"; return 1; }
}
check "espgate under NOTIFY_SOCKET with WATCHDOG_USEC=1 s: READY=1 with STATUS once ports and IKE run, WATCHDOG=1 every half second" ready

# 4: reload
reload_notified() {
	local from
	from=$(wc -l <"$NOTES_LOG")
	eg_ctl reload >/dev/null || return 1
	sleep 0.3
	tail -n +"$((from + 1))" "$NOTES_LOG" | grep -v 'WATCHDOG=1' >"$W/reload.log"
	note "$(tr '\n' ' ' <"$W/reload.log" | cut -c1-200)"
	grep -q 'RELOADING=1' "$W/reload.log" && grep 'RELOADING=1' -A9 "$W/reload.log" | grep -q 'READY=1' ||
		{ cat "$W/reload.log"; return 1; }
}
check "espgatectl reload: RELOADING=1, then READY=1 with STATUS" reload_notified

# 5: a stuck control lcore stops the watchdog
watchdog_stops() {
	local before after
	kill -STOP "$ESPGATE_PID" || return 1
	sleep 0.3
	before=$(grep -c 'WATCHDOG=1' "$NOTES_LOG")
	sleep 1.5
	after=$(grep -c 'WATCHDOG=1' "$NOTES_LOG")
	kill -CONT "$ESPGATE_PID" || return 1
	[ "$after" -eq "$before" ] || { echo "WATCHDOG=1 went on while stopped ($before -> $after)"; return 1; }
	wait_for "[ \$(grep -c 'WATCHDOG=1' '$NOTES_LOG') -gt $after ]" 3
}
check "espgate stopped (SIGSTOP) 1.5 s: no WATCHDOG=1 meanwhile (systemd would restart it); resumed: WATCHDOG=1 again" watchdog_stops

# 6: stopping
stopping() {
	eg_sigterm >/dev/null || return 1
	grep -q 'STOPPING=1' "$NOTES_LOG" || { tail -n 3 "$NOTES_LOG"; return 1; }
	touch "$W/notify.sock.stop"
}
check "SIGTERM: STOPPING=1, and espgate exits 0" stopping

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
