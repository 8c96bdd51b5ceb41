#!/bin/bash
# Where the ESP path's cycles go: TSC cycles a packet per stage of one
# burst (classify, SPD/SA lookup, header build or parse, crypto, replay,
# inner policy, counters, route/neighbour, TX), encrypt and decrypt,
# 64 B and 1420 B, 1 SA, as a table (bench/README.md, "esp_stages.sh").
#
# The stages are rdtsc laps compiled in only with -Dstage_cycles=true
# (lib/dataplane/stage_cycles.h): this script sets up that build in its
# own directory (STAGES_BUILD_DIR, default build-stages), builds
# esp_bench there and runs `esp_bench --stages`. The normal build has no
# laps; its esp_bench is run beside for the uninstrumented ns a packet
# (skip with BENCH_SKIP_PLAIN=1).
#
#   bench/esp_stages.sh
#   BENCH_SIZES=64,512,1420 BENCH_SAS=100000 bench/esp_stages.sh
#
# Environment: BUILD_DIR (build: the plain one), STAGES_BUILD_DIR
# (build-stages), BENCH_SECONDS (1: per column), BENCH_SIZES (64,1420),
# BENCH_SAS (1), BENCH_SKIP_PLAIN=1. Run as root, from the repository root.
# Ends with a STAGES line: <dir>_<size>B_<stage>=cycles for every column.

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }
PLAIN=$(abs "${BUILD_DIR:-build}")
STAGES=$(abs "${STAGES_BUILD_DIR:-build-stages}")
SECS=${BENCH_SECONDS:-1}
SIZES=${BENCH_SIZES:-64,1420}
SAS=${BENCH_SAS:-1}

die() { echo "esp_stages: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (DPDK EAL)"
if [ ! -f "$STAGES/build.ninja" ]; then
	meson setup "$STAGES" "$ROOT" -Dstage_cycles=true >/dev/null || die "meson setup $STAGES"
fi
ninja -C "$STAGES" bench/esp_bench >/dev/null || die "building $STAGES/bench/esp_bench"

lscpu | sed -n 's/^Model name: *//p' | sed 's/^/esp_stages: CPU /'
echo "esp_stages: $STAGES/bench/esp_bench --stages (sizes $SIZES, $SAS SA, ${SECS}s a column)"
"$STAGES/bench/esp_bench" --file-prefix "esp_stages_$$" --stages --seconds "$SECS" \
	--sizes "$SIZES" --sas "$SAS" || die "esp_bench --stages"

if [ "${BENCH_SKIP_PLAIN:-0}" != 1 ] && [ -x "$PLAIN/bench/esp_bench" ]; then
	echo
	echo "esp_stages: the build without laps ($PLAIN), for comparison (ns/pkt x TSC GHz = cycles):"
	"$PLAIN/bench/esp_bench" --file-prefix "esp_stages_plain_$$" --seconds "$SECS" \
		--sizes "$SIZES" --sas "$SAS" --algos 128 --mem-sas 0 --no-raw |
		grep -E '^  (enc|dec) ' || die "esp_bench (plain)"
fi
