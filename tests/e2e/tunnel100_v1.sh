#!/bin/bash
# tests/e2e/tunnel100.sh with IKEv1: charon's connections t1..t100 and
# espgate's "branch" say version 1, so 100 ISAKMP SAs (main mode, PSK) with
# one quick mode each come up at once on one espgate. Prints TAP. Needs root.
#
#   bash tests/e2e/tunnel100_v1.sh [BUILD_DIR]      (default: build)
TUN_VERSION=1 exec bash "$(dirname "${BASH_SOURCE[0]}")/tunnel100.sh" "$@"
