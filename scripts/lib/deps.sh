# shellcheck shell=bash
# What espgate's build, demo, tests and benchmarks need from Debian, in one
# place: scripts/setup.sh installs DEPS_PKGS; deps_need stops a script at
# once, with one line naming the missing piece and its package, when
# something is missing anyway; tests/setup/deps.sh proves on any machine
# that everything the scripts load comes from a package named here.
#
#   source scripts/lib/deps.sh
#   deps_need prog ip ping iperf3        # programs on PATH (or absolute paths)
#   deps_need plugin openssl gcm         # strongSwan charon plugins
#   deps_need py scapy cryptography      # modules of /usr/bin/python3
#   deps_need pmd net_pcap net_null      # DPDK drivers (EAL plugin directory)
#
# Every package here is installed with --no-install-recommends: a package
# that only a Recommends of another would bring must be named itself
# (libstrongswan-standard-plugins, for one: charon's openssl, gcm, aesni
# and agent plugins).

DEPS_BUILD_PKGS=(apt dpdk dpdk-dev libdpdk-dev libipsec-mb-dev libssl-dev libjansson-dev
	libcriterion-dev libsystemd-dev libmicrohttpd-dev libradcli-dev meson ninja-build pkg-config pkgconf gcc clang libclang-rt-14-dev
	binutils)
# The shared objects espgate, its tests and benchmarks load, and the DPDK
# drivers they use: each in a package of its own.
DEPS_RUNTIME_PKGS=(libc6 libssl3 libjansson4 libipsec-mb1 libcriterion3 libsystemd0 libmicrohttpd12 libradcli4
	librte-eal23 librte-ethdev23 librte-mbuf23 librte-mempool23 librte-ring23
	librte-hash23 librte-rcu23 librte-fib23 librte-rib23 librte-ip-frag23
	librte-cryptodev23 librte-telemetry23 librte-pdump23 librte-net23 librte-kvargs23
	librte-bus-vdev23 librte-mempool-ring23 librte-net-pcap23 librte-net-null23
	librte-net-af-packet23 librte-net-tap23 librte-net-ring23 librte-net-memif23
	librte-crypto-ipsec-mb23 librte-crypto-openssl23)
DEPS_TEST_PKGS=(strongswan-charon strongswan-swanctl strongswan-libcharon libstrongswan
	libstrongswan-standard-plugins libcharon-extra-plugins libstrongswan-extra-plugins
	libcharon-extauth-plugins
	python3 python3-minimal python3.11-minimal libpython3.11-minimal libpython3.11-stdlib
	python3-scapy python3-cryptography openssl
	iproute2 iputils-ping iperf3 nftables ethtool procps tcpdump mawk mount
	linux-perf tcpreplay systemd prometheus
	freeradius freeradius-common freeradius-config libfreeradius3)
DEPS_PKGS=("${DEPS_BUILD_PKGS[@]}" "${DEPS_RUNTIME_PKGS[@]}" "${DEPS_TEST_PKGS[@]}")

# Where the pieces are looked for; tests/setup/deps.py points them at a
# copy with one piece taken out to see a script stop.
DEPS_SW_PLUGIN_DIR=${DEPS_SW_PLUGIN_DIR:-/usr/lib/ipsec/plugins}
DEPS_PMD_DIR=${DEPS_PMD_DIR:-/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0}
DEPS_PATH=${DEPS_PATH:-/usr/sbin:/usr/bin:/sbin:/bin}

# Where each piece comes from, for deps_need's message (tests/setup/deps.sh
# checks these names against dpkg on the machine it runs on).
declare -gA DEPS_FROM=(
	[prog:ip]=iproute2 [prog:ping]=iputils-ping [prog:iperf3]=iperf3
	[prog:nft]=nftables [prog:tcpdump]=tcpdump [prog:ethtool]=ethtool
	[prog:swanctl]=strongswan-swanctl [prog:/usr/lib/ipsec/charon]=strongswan-charon
	[prog:/usr/bin/python3]=python3-minimal [prog:pkill]=procps [prog:sysctl]=procps
	[prog:meson]=meson [prog:ninja]=ninja-build [prog:readelf]=binutils
	[prog:/usr/bin/openssl]=openssl [prog:perf]=linux-perf [prog:mount]=mount
	[prog:tcpreplay]=tcpreplay [prog:systemd-analyze]=systemd [prog:systemd-cat]=systemd [prog:journalctl]=systemd [prog:/lib/systemd/systemd-journald]=systemd [prog:prometheus]=prometheus [prog:dpdk-dumpcap]=dpdk-dev [prog:promtool]=prometheus
	[prog:freeradius]=freeradius
	[py:scapy]=python3-scapy [py:cryptography]=python3-cryptography
)

# The plugins charon loads (SW_PLUGINS in scripts/lib/strongswan.sh and
# the suites' additions) and the DPDK drivers the scripts name.
for _p in kdf random nonce aes sha1 sha2 hmac pem pkcs1 pkcs8 x509 pubkey \
	kernel-netlink constraints; do
	DEPS_FROM[plugin:$_p]=libstrongswan
done
for _p in gcm openssl aesni agent; do DEPS_FROM[plugin:$_p]=libstrongswan-standard-plugins; done
for _p in chapoly curve25519; do DEPS_FROM[plugin:$_p]=libstrongswan-extra-plugins; done
for _p in socket-default updown; do DEPS_FROM[plugin:$_p]=strongswan-libcharon; done
DEPS_FROM[plugin:kernel-libipsec]=libcharon-extra-plugins
DEPS_FROM[plugin:eap-identity]=libcharon-extra-plugins
DEPS_FROM[plugin:eap-tls]=libcharon-extra-plugins
DEPS_FROM[plugin:eap-mschapv2]=libcharon-extauth-plugins
DEPS_FROM[plugin:xauth-generic]=libcharon-extauth-plugins
DEPS_FROM[plugin:unity]=libcharon-extra-plugins
DEPS_FROM[plugin:vici]=strongswan-swanctl
unset _p

# deps_from KIND NAME: the package that provides it.
deps_from() {
	local key="$1:$2"
	if [ -n "${DEPS_FROM[$key]:-}" ]; then
		printf '%s\n' "${DEPS_FROM[$key]}"
		return
	fi
	case $1 in
	pmd) # librte_net_pcap.so.23 is in librte-net-pcap23
		local f
		f=$(_deps_pmd_file "$2")
		f=${f#librte_}
		f=${f%.so}
		echo "librte-${f//_/-}23" ;;
	*) echo "(unknown: dpkg -S on a machine that has it tells)" ;;
	esac
}

# _deps_pmd_file NAME: the driver file of a vdev or driver name
# (net_pcap, crypto_aesni_mb, bus_vdev, mempool_ring).
_deps_pmd_file() {
	case $1 in
	crypto_aesni_mb | crypto_aesni_gcm) echo librte_crypto_ipsec_mb.so ;;
	*) echo "librte_$1.so" ;;
	esac
}

# deps_path KIND NAME: where the piece is on this machine; 1 when absent.
deps_path() {
	case $1 in
	prog)
		if [ "${2#/}" != "$2" ]; then
			[ -x "$2" ] && printf '%s\n' "$2"
		else
			PATH=$DEPS_PATH type -P "$2"
		fi ;;
	plugin) [ -f "$DEPS_SW_PLUGIN_DIR/libstrongswan-$2.so" ] &&
		printf '%s\n' "$DEPS_SW_PLUGIN_DIR/libstrongswan-$2.so" ;;
	pmd) # the versioned file, which the runtime package ships
		local f=$DEPS_PMD_DIR/$(_deps_pmd_file "$2")
		[ -e "$f" ] && readlink -f "$f" ;;
	py) /usr/bin/python3 -c "import $2, sys; print($2.__file__)" 2>/dev/null ;;
	*) return 1 ;;
	esac
}

# deps_need KIND NAME...: each must be on this machine; otherwise one line
# naming the first missing piece and its package (on stdout as a TAP
# "Bail out!" when DEPS_TAP=1, else on stderr), and the script exits 1.
# DEPS_CHECK=0 turns it off (tests/setup/deps.py, to read the lists).
deps_need() {
	local kind=$1 name what
	shift
	[ "${DEPS_CHECK:-1}" = 0 ] && return 0
	for name in "$@"; do
		deps_path "$kind" "$name" >/dev/null 2>&1 && continue
		case $kind in
		prog) what="program $name" ;;
		plugin) what="strongSwan plugin '$name' ($DEPS_SW_PLUGIN_DIR/libstrongswan-$name.so)" ;;
		pmd) what="DPDK driver $name" ;;
		py) what="Python module $name (of /usr/bin/python3)" ;;
		esac
		local line="missing $what, from Debian package $(deps_from "$kind" "$name"): run scripts/setup.sh"
		if [ "${DEPS_TAP:-0}" = 1 ]; then
			printf 'Bail out! %s\n' "$line"
		else
			printf '%s\n' "$line" >&2
		fi
		exit 1
	done
}
