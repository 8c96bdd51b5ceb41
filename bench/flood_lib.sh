# shellcheck shell=bash
# What bench/ike_flood.sh and bench/esp_flood.sh share: the libraries,
# die/calc, and espgate with charon on the tunnel topology
# (scripts/lib/tunnel.sh). Source it after setting ROOT and BUILD.
#
#   flood_start NAME [PROGRAM...]   namespaces (netns_init NAME), espgate
#                                   (log level warning) and charon; W and
#                                   EG_LOG set. A function flood_topo_extra,
#                                   when defined, runs between the topology
#                                   and espgate's configuration.

# shellcheck source=scripts/lib/netns.sh
source "$ROOT/scripts/lib/netns.sh"
deps_need prog ping
deps_need pmd net_af_packet bus_vdev mempool_ring
# shellcheck source=scripts/lib/strongswan.sh
source "$ROOT/scripts/lib/strongswan.sh"
# shellcheck source=scripts/lib/tunnel.sh
source "$ROOT/scripts/lib/tunnel.sh"

die() { echo "bench: FAILED: $*" >&2; exit 1; }
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }

flood_start() {
	local name=$1 p
	shift
	for p in "$@" "$BUILD/app/espgate" "$BUILD/app/espgatectl" "$SW_CHARON" swanctl; do
		command -v "$p" >/dev/null || die "missing: $p (build first)"
	done
	netns_init "$name" || die "netns_init (root needed)"
	W=$NETNS_WORKDIR
	tunnel_topo_create || die "topology"
	if declare -F flood_topo_extra >/dev/null; then
		flood_topo_extra || die "topology additions"
	fi
	tunnel_espgate_config "$W/espgate.json" warning || die "espgate config"
	EG_LOG=$W/espgate.log
	eg_start "$W/espgate.json" "$EG_LOG" || die "espgate did not start"
	tunnel_sw_prepare && tunnel_sw_start || die "charon"
	sw_prio
}
