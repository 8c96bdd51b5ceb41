#!/bin/bash
# Build and run every test suite; end with one line "N passed, N failed".
#
#   scripts/test.sh
#
# Runs scripts/setup.sh, then `meson test` (Criterion unit suites and the
# namespace end-to-end scripts; all speak TAP), prints per-suite results and
# sums the individual TAP test points of every suite. A suite that printed no
# TAP, crashed or timed out counts as (at least) one failure. Exit status is
# non-zero if anything failed. BUILD_DIR=DIR uses another build directory;
# extra arguments go to `meson test` (e.g. a suite name: `scripts/test.sh e2e_route`).

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
export BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) BUILD=$BUILD_DIR ;; *) BUILD=$ROOT/$BUILD_DIR ;; esac

if ! scripts/setup.sh; then
	echo "setup or build failed"
	echo "0 passed, 1 failed"
	exit 1
fi

LOG=$BUILD/meson-logs/testlog.json
rm -f "$LOG"
echo "== meson test -C $BUILD_DIR --print-errorlogs $*"
meson test -C "$BUILD" --print-errorlogs "$@" </dev/null
MESON_RC=$?

# Under AddressSanitizer, UBSan and LeakSanitizer, in a second build
# directory: the unit suites (the fuzz corpora's replay among them), then
# the e2e suites of SAN_E2E with that build's espgate. Every report stops
# the process (-fno-sanitize-recover=all, halt_on_error); a leak at exit
# fails it (detect_leaks=1); each espgate's reports go to a file of its
# own that its suite checks (scripts/lib/netns.sh). SKIP_ASAN=1 leaves
# all of it out; SAN_E2E="" only the e2e part. README: why these suites.
ASAN_BUILD=$ROOT/build-asan
ASAN_LOGS=("$ASAN_BUILD/meson-logs/testlog-unit.json" "$ASAN_BUILD/meson-logs/testlog-e2e.json")
SAN_E2E=${SAN_E2E-tunnel tunnel_v1 tunnel100 tunnel100_v1 reload trap route esp_scapy ike_strongswan ikev1_strongswan ike_interop2 secrets remote_access eap eap_tls radius xauth service metrics mobike refusals ra_dual}
# shellcheck disable=SC2054 # a comma inside one option
SAN_OPTS=(-Db_sanitize=address,undefined -Db_lundef=false
	-Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all)
rm -f "${ASAN_LOGS[@]}"
if [ "${SKIP_ASAN:-0}" != 1 ] && [ $# -eq 0 ]; then
	echo "== unit suites under AddressSanitizer, UBSan and LeakSanitizer ($ASAN_BUILD)"
	if [ ! -f "$ASAN_BUILD/build.ninja" ]; then
		meson setup "$ASAN_BUILD" "${SAN_OPTS[@]}" >/dev/null
	else
		meson configure "$ASAN_BUILD" "${SAN_OPTS[@]}" >/dev/null
	fi
	if ninja -C "$ASAN_BUILD" >"$ROOT/build-asan.log" 2>&1; then
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
			meson test -C "$ASAN_BUILD" --suite unit --print-errorlogs \
			--logbase testlog-unit </dev/null
		read -ra san_e2e <<<"$SAN_E2E"
		if [ ${#san_e2e[@]} -gt 0 ]; then
			echo "== e2e suites with espgate under the sanitizers: $SAN_E2E"
			ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
				meson test -C "$ASAN_BUILD" --print-errorlogs --logbase testlog-e2e \
				"${san_e2e[@]/#/e2e_}" </dev/null
		fi
	else
		tail -20 "$ROOT/build-asan.log"
		export ASAN_BUILD_FAILED=1
	fi
fi

/usr/bin/python3 - "$MESON_RC" "$LOG" "${ASAN_LOGS[@]}" <<'PY'
import json, os, re, sys

meson_rc = int(sys.argv[1])
entries = []
for log, label in [(sys.argv[2], "")] + [(a, "asan:") for a in sys.argv[3:]]:
    if not os.path.exists(log):
        continue
    with open(log) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                e["name"] = label + e.get("name", "?")
                entries.append(e)

OK = {"OK", "SKIP", "EXPECTEDFAIL"}
point = re.compile(r"^(not ok|ok)\b(.*)$")
directive = re.compile(r"#\s*(SKIP|TODO)\b", re.I)
plan_re = re.compile(r"^1\.\.(\d+)")

tp = tf = ts = 0
print()
print("== results per suite")
for e in entries:
    name = e.get("name", "?")
    result = e.get("result", "?")
    out = e.get("stdout") or ""
    p = f = s = 0
    plan = None
    bailed = False
    for line in out.splitlines():
        line = line.rstrip()
        m = plan_re.match(line)
        if m and plan is None:
            plan = int(m.group(1))
            continue
        if line.startswith("Bail out!"):
            bailed = True
            continue
        m = point.match(line)
        if not m:
            continue
        d = directive.search(m.group(2))
        if d and d.group(1).upper() == "SKIP":
            s += 1
        elif d and d.group(1).upper() == "TODO":
            s += 1          # a TODO point neither passes nor fails the suite
        elif m.group(1) == "ok":
            p += 1
        else:
            f += 1
    note = ""
    seen = p + f + s
    if plan == 0 and seen == 0 and result in OK:
        s, note = 1, "skipped as a whole"
    elif plan is None and seen == 0:
        f += 1
        note = "no TAP output"
    else:
        if plan is not None and seen < plan:
            f += plan - seen
            note = f"{plan - seen} planned test(s) not run"
        if bailed:
            f += 1
            note = "bailed out"
    if result not in OK and f == 0:
        f += 1
        note = note or f"suite {result.lower()} (exit status {e.get('returncode')})"
    tp, tf, ts = tp + p, tf + f, ts + s
    line = f"  {name:<28} {result:<8} {p} passed, {f} failed"
    if s:
        line += f", {s} skipped"
    if note:
        line += f"  ({note})"
    print(line)

if os.environ.get("ASAN_BUILD_FAILED"):
    print("  asan build                   FAIL     0 passed, 1 failed  (see build-asan.log)")
    tf += 1
if not entries:
    print("  (no test results: meson test did not run; see above)")
    tf += 1
elif meson_rc != 0 and tf == 0:
    print(f"  meson test exited {meson_rc}")
    tf += 1

summary = f"{tp} passed, {tf} failed"
if ts:
    summary += f", {ts} skipped"
print()
print(summary)
sys.exit(1 if tf else 0)
PY
