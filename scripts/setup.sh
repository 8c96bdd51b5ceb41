#!/bin/bash
# Prepare a fresh Debian 12 machine and build espgate. Idempotent.
#
#   scripts/setup.sh
#
# Installs what the build, the demo, the tests and the benchmarks need
# (scripts/lib/deps.sh; apt-get update only when a package is missing),
# then `meson setup` (or reconfigure) and `ninja`.
# BUILD_DIR=DIR builds elsewhere (default: build). Output goes to logs in
# /tmp/espgate-setup.*; on failure the log's tail is printed.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) BUILD=$BUILD_DIR ;; *) BUILD=$ROOT/$BUILD_DIR ;; esac
export DEBIAN_FRONTEND=noninteractive

# shellcheck source=scripts/lib/deps.sh
source "$ROOT/scripts/lib/deps.sh" # DEPS_PKGS: everything, named one by one

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: FAILED: %s\n' "$*" >&2; exit 1; }

# run LOG CMD...: run quietly; on failure show the log's tail and stop.
run() {
	local log=$1
	shift
	if ! "$@" >"$log" 2>&1; then
		printf 'setup: FAILED: %s\n' "$*" >&2
		tail -n 60 "$log" >&2
		printf 'setup: full log: %s\n' "$log" >&2
		exit 1
	fi
}

LOGDIR=$(mktemp -d /tmp/espgate-setup.XXXXXX)

# 1. Packages.
missing=()
for p in "${DEPS_PKGS[@]}"; do
	if ! dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}): run as root"
	say "installing ${missing[*]}"
	run "$LOGDIR/apt-update.log" apt-get update -q
	run "$LOGDIR/apt-install.log" apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"${missing[@]}"
else
	say "packages present"
fi

# 2. Configure.
cd "$ROOT"
if [ -f "$BUILD/build.ninja" ] && [ -d "$BUILD/meson-private" ]; then
	say "meson setup --reconfigure $BUILD_DIR"
	if ! meson setup --reconfigure "$BUILD" >"$LOGDIR/meson.log" 2>&1; then
		say "reconfigure failed; wiping $BUILD_DIR"
		run "$LOGDIR/meson.log" meson setup --wipe "$BUILD"
	fi
else
	say "meson setup $BUILD_DIR"
	run "$LOGDIR/meson.log" meson setup "$BUILD"
fi

# 3. Build.
say "ninja -C $BUILD_DIR"
run "$LOGDIR/ninja.log" ninja -C "$BUILD"
rm -rf "$LOGDIR"
say "done: $BUILD_DIR/app/espgate, $BUILD_DIR/app/espgatectl"
