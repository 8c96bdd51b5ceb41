# TAP output for the end-to-end suites (sourced). The suite sets PLAN and
# T0 (date +%s.%N), prints "1..$PLAN", may set FATAL to skip what follows a
# setup failure, and may define show_logs to print its daemons' logs when a
# point fails.

N=0
FAILED=0
FATAL=""
LOG_T=/dev/null
NOTES=/dev/null

diag() { sed 's/^/# /'; }
ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }
note() { echo "$*" >>"$NOTES"; }
declare -F show_logs >/dev/null || show_logs() { :; }

# check DESC CMD...: one test point. CMD's output goes to $LOG_T and is shown
# with the logs when it fails (all of it with TAP_VERBOSE=1); note() lines
# are shown either way.
check() {
	local desc=$1 rc
	shift
	if [ -n "$FATAL" ]; then
		not_ok "$desc"
		echo "# not run: $FATAL"
		return 1
	fi
	: >"$NOTES"
	"$@" >"$LOG_T" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "$desc"
		[ "${TAP_VERBOSE:-0}" = 1 ] && diag <"$LOG_T"
		diag <"$NOTES"
		return 0
	fi
	not_ok "$desc"
	diag <"$NOTES"
	tail -n 30 "$LOG_T" | diag
	show_logs
	return 1
}

# Points never reached are failures: the plan always adds up.
finish() {
	while [ "$N" -lt "$PLAN" ]; do
		not_ok "not reached"
	done
	echo "# wall time: $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }')"
}

# tap_start PREFIX DESC: the suite's namespaces and work directory
# (netns_init PREFIX, scripts/lib/netns.sh); W, LOG_T and NOTES are set and
# everything is cleaned up on exit. When that fails, DESC is the one
# failure reported and the suite ends.
tap_start() {
	if ! netns_init "$1"; then
		not_ok "$2"
		echo "# must run as root"
		finish
		exit 1
	fi
	# a sanitizer's report the points did not see fails the suite
	trap 'finish; netns_cleanup || exit 1' EXIT
	# A reader that goes away (`... | head`) must not kill us before cleanup.
	trap "" PIPE
	W=$NETNS_WORKDIR
	LOG_T=$W/step.log
	NOTES=$W/notes.log
}
