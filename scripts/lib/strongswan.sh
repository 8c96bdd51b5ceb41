# shellcheck shell=bash
# strongSwan's charon as an IKEv2 interop peer inside a network namespace.
# Source it after scripts/lib/netns.sh (uses netns_init's work dir, bg_run,
# wait_for, stop_pid and its cleanup trap). Needs root and the packages
# strongswan-charon strongswan-swanctl libcharon-extra-plugins
# libstrongswan-extra-plugins (scripts/setup.sh installs them).
#
#   source scripts/lib/netns.sh; source scripts/lib/strongswan.sh
#   netns_init sw; ns_create "$NS"                       # your topology
#   sw_setup peer "$NS"                                  # config dir
#   sw_start peer                                        # charon running
#   sw_conn peer c1 local_addrs=192.0.2.1 remote_addrs=192.0.2.2 \
#       local_id=a.example remote_id=b.example psk=secret \
#       proposals=aes256gcm16-prfsha384-ecp384 esp_proposals=aes256gcm16 \
#       local_ts=198.18.1.0/24 remote_ts=198.18.2.0/24
#   sw_load peer && sw_initiate peer c1 10
#   sw_list_sas_json peer                                # JSON on stdout
#
# Facts this relies on (see shared notes strongswan-netns.md): the kernel
# here has no XFRM, so charon uses kernel-libipsec: userspace ESP through a
# TUN device `ipsec0` in charon's namespace, always UDP-encapsulated on
# port 4500: charon fakes its NAT-D payloads in both roles, so both ends
# report "nat-remote": true (and "nat-fake": false) and float to 4500. A peer
# that talks to it must do NAT-T (RFC 3948). Each charon gets its own
# strongswan.conf, its own tmpfs /run (pid file) and a vici socket at a
# private path; swanctl runs from the root namespace against that socket.
#
# Instance NAME (a short word: a, b, peer) keys everything; several
# instances may live in one test. Files, in SW_DIR[NAME]
# ($NETNS_WORKDIR/sw-NAME):
#   strongswan.conf  charon.vici (socket)  charon.log (filelog)
#   charon.out (stdout/stderr)  swanctl/swanctl.conf (written by sw_load)
#   conns/ (what sw_conn/sw_child recorded)
#
# Settings read by sw_setup from the environment (defaults in brackets):
#   SW_INSTALL_ROUTES [no]     charon installs routes to remote_ts via ipsec0
#                              (table 220); "no": add them yourself, e.g.
#                              ip -n NS route add 198.18.2.0/24 dev ipsec0 src 198.18.1.1
#   SW_RETRANSMIT_TRIES [5]    charon.retransmit_tries
#   SW_RETRANSMIT_TIMEOUT [4.0] charon.retransmit_timeout (s)
#   SW_RETRANSMIT_BASE [1.8]   charon.retransmit_base
#                              (quick failure: TRIES=1 TIMEOUT=1 BASE=1 -> ~2 s)
#   SW_PORT / SW_PORT_NAT_T    charon.port / port_nat_t; unset = 500 / 4500
#   SW_CHARON_EXTRA            raw lines inserted into `charon { }`
#   SW_LOG_LEVELS [default=1 ike=2 cfg=1 knl=1 net=1] filelog levels
#   SW_START_TIMEOUT [10]      sw_start's bound (s)
#   SW_CMD_TIMEOUT [15]        bound on swanctl calls that do not block (s)

SW_CHARON=${SW_CHARON:-/usr/lib/ipsec/charon}
SW_SWANCTL=${SW_SWANCTL:-swanctl}
SW_PLUGINS="kdf random nonce aes sha1 sha2 hmac gcm chapoly pem pkcs1 pkcs8 x509 pubkey openssl curve25519 kernel-libipsec kernel-netlink socket-default vici updown"
# Before anything is made: charon, swanctl and every plugin, or one line
# naming what is missing (a suite's additions are checked by sw_setup).
deps_need prog "$SW_CHARON" "$SW_SWANCTL"
# shellcheck disable=SC2086 # one plugin a word
deps_need plugin $SW_PLUGINS
declare -gA SW_NS=()   # NAME -> namespace
declare -gA SW_DIR=()  # NAME -> private directory
declare -gA SW_PID=()  # NAME -> charon pid (while running)

_sw_err() { printf 'strongswan.sh: %s\n' "$*" >&2; }

_sw_known() {
	if [ -z "${SW_DIR[$1]:-}" ]; then
		_sw_err "unknown instance '$1' (sw_setup first)"
		return 1
	fi
}

# sw_uri NAME: the vici URI (unix://DIR/charon.vici).
sw_uri() { printf 'unix://%s/charon.vici\n' "${SW_DIR[$1]}"; }

# sw_log NAME: path of charon's log file.
sw_log() { printf '%s/charon.log\n' "${SW_DIR[$1]}"; }

# sw_dir NAME: the instance's private directory.
sw_dir() { printf '%s\n' "${SW_DIR[$1]}"; }

# sw_swanctl NAME ARGS...: run swanctl against NAME's charon (command first,
# e.g. sw_swanctl a --list-conns). Bounded by SW_CMD_TIMEOUT unless the
# caller wraps it in its own `timeout`.
sw_swanctl() {
	local name=$1
	shift
	_sw_known "$name" || return 1
	local cmd=$1
	shift
	SWANCTL_DIR="${SW_DIR[$name]}/swanctl" timeout "${SW_CMD_TIMEOUT:-15}" \
		"$SW_SWANCTL" "$cmd" "$@" --uri "$(sw_uri "$name")"
}

# sw_setup NAME NS: make the private directory, strongswan.conf and an empty
# swanctl dir for an instance that will run in namespace NS.
sw_setup() {
	local name=$1 ns=$2
	if [ -z "${NETNS_WORKDIR:-}" ] || [ ! -d "$NETNS_WORKDIR" ]; then
		_sw_err "netns_init first"
		return 1
	fi
	deps_need prog "$SW_CHARON" "$SW_SWANCTL"
	# shellcheck disable=SC2086 # one plugin a word
	deps_need plugin $SW_PLUGINS
	local dir="$NETNS_WORKDIR/sw-$name"
	mkdir -p "$dir/swanctl" "$dir/conns" || return 1
	local sub
	for sub in x509 x509ca x509aa x509ac x509crl x509ocsp pubkey private rsa ecdsa pkcs8 pkcs12 bliss conf.d; do
		mkdir -p "$dir/swanctl/$sub" || return 1
	done
	: >"$dir/conns/.order"
	SW_NS[$name]=$ns
	SW_DIR[$name]=$dir
	local ports=""
	[ -n "${SW_PORT:-}" ] && ports+="  port = $SW_PORT"$'\n'
	[ -n "${SW_PORT_NAT_T:-}" ] && ports+="  port_nat_t = $SW_PORT_NAT_T"$'\n'
	cat >"$dir/strongswan.conf" <<EOF
# generated by scripts/lib/strongswan.sh for instance '$name' (netns $ns)
charon {
  load = $SW_PLUGINS
  install_routes = ${SW_INSTALL_ROUTES:-no}
  retransmit_tries = ${SW_RETRANSMIT_TRIES:-5}
  retransmit_timeout = ${SW_RETRANSMIT_TIMEOUT:-4.0}
  retransmit_base = ${SW_RETRANSMIT_BASE:-1.8}
${ports}  plugins {
    vici {
      socket = unix://$dir/charon.vici
    }
  }
  filelog {
    sw {
      path = $dir/charon.log
      append = yes
      flush_line = yes
      time_format = %H:%M:%S
      ike_name = yes
$(for lv in ${SW_LOG_LEVELS:-default=1 ike=2 cfg=1 knl=1 net=1}; do echo "      ${lv%%=*} = ${lv#*=}"; done)
    }
  }
${SW_CHARON_EXTRA:-}
}
EOF
}

# sw_start NAME [TIMEOUT]: start charon in its namespace with its own /run;
# the pid is registered for netns_cleanup. Waits (bounded) until the vici
# socket answers `swanctl --stats`. Returns 1 (log tail on stderr) if not.
sw_start() {
	local name=$1 timeout=${2:-${SW_START_TIMEOUT:-10}}
	_sw_known "$name" || return 1
	local dir=${SW_DIR[$name]} ns=${SW_NS[$name]} pid
	rm -f "$dir/charon.vici"
	# shellcheck disable=SC2016 # expanded by the inner sh
	bg_run pid "$dir/charon.out" ip netns exec "$ns" unshare -m sh -c \
		'mount -t tmpfs none /run && STRONGSWAN_CONF="$1" exec "$2"' \
		sh "$dir/strongswan.conf" "$SW_CHARON"
	SW_PID[$name]=$pid
	if ! wait_for "! kill -0 $pid || SW_CMD_TIMEOUT=2 sw_swanctl '$name' --stats" "$timeout" ||
		! kill -0 "$pid" 2>/dev/null ||
		! SW_CMD_TIMEOUT=5 sw_swanctl "$name" --stats >/dev/null 2>&1; then
		_sw_err "charon '$name' did not start (pid $pid) in ${timeout}s"
		{ tail -n 20 "$dir/charon.out"; tail -n 20 "$dir/charon.log"; } 2>/dev/null | sed 's/^/  /' >&2
		return 1
	fi
}

_sw_forget_pid() {
	local pid=$1 i
	for i in "${!NETNS_PIDS[@]}"; do
		[ "${NETNS_PIDS[$i]}" = "$pid" ] && unset 'NETNS_PIDS[i]'
	done
	NETNS_PIDS=("${NETNS_PIDS[@]}")
}

# sw_stop NAME: SIGTERM: charon sends a DELETE for each IKE SA (it does not
# wait for the answers) and exits; SIGKILL after 5 s.
sw_stop() {
	local name=$1 pid=${SW_PID[$1]:-}
	[ -n "$pid" ] || return 0
	stop_pid "$pid" 5
	_sw_forget_pid "$pid"
	unset 'SW_PID[$name]'
}

# sw_kill NAME: SIGKILL (the peer sees it vanish: DPD, retransmits).
sw_kill() {
	local name=$1 pid=${SW_PID[$1]:-}
	[ -n "$pid" ] || return 0
	# (waiting in a group with stderr closed keeps bash's "Killed" notice out)
	{
		kill -KILL "$pid"
		wait_for "! kill -0 $pid" 5
		wait "$pid"
	} 2>/dev/null
	_sw_forget_pid "$pid"
	unset 'SW_PID[$name]'
}

# sw_running NAME: true if charon's process is alive.
sw_running() { [ -n "${SW_PID[$1]:-}" ] && kill -0 "${SW_PID[$1]}" 2>/dev/null; }

# --- connections -----------------------------------------------------------
# sw_conn NAME CONN key=value...: record connection CONN (replacing one of
# the same name) with one child; sw_load sends it to charon. Keys:
#   IKE level   version [2] local_addrs remote_addrs local_port remote_port
#               proposals encap fragmentation dpd_delay dpd_timeout mobike
#               keyingtries unique reauth_time over_time send_cert
#               send_certreq childless ... ; ike_rekey_time -> rekey_time
#   auth        psk|pubkey for both sides (local_auth / remote_auth to differ)
#   local_X     local { X } (local_id, local_certs, local_pubkeys, ...)
#   remote_X    remote { X } (remote_id, remote_certs, remote_pubkeys, ...)
#   local2.K=V  a second round of local authentication, local-2 { K = V }
#               (IKEv1 XAUTH: local2.auth=xauth local2.xauth_id=alice)
#   child       child name [CONN]
#   child level local_ts remote_ts mode start_action close_action dpd_action
#               esp_proposals rekey_time life_time rand_time rekey_bytes
#               life_bytes rekey_packets life_packets updown hostaccess
#               policies replay_window inactivity reqid priority copy_df
#   psk         -> secrets { ike-CONN { id-1 = local_id id-2 = remote_id
#               secret = ... } } (no ids given: matches any peer)
#   private_key PATH: copied into the instance's swanctl/private/ (loaded by
#               sw_load); local_certs / remote_certs / *_pubkeys take
#               absolute paths as they are
#   ike.K=V local.K=V remote.K=V child.K=V   any other swanctl.conf setting
# Values are written quoted, one setting per line. Lists are comma
# separated (local_ts=198.18.1.0/24,198.18.3.0/24).
_sw_q() {
	local v=${1//\\/\\\\}
	v=${v//\"/\\\"}
	printf '"%s"' "$v"
}

sw_conn() {
	local name=$1 conn=$2
	shift 2
	_sw_known "$name" || return 1
	case $conn in
	'' | *[!A-Za-z0-9_-]*)
		_sw_err "bad connection name '$conn'"
		return 1
		;;
	esac
	local cdir="${SW_DIR[$name]}/conns/$conn"
	rm -rf "$cdir"
	mkdir -p "$cdir" || return 1
	: >"$cdir/ike" && : >"$cdir/local" && : >"$cdir/local2" && : >"$cdir/remote" && : >"$cdir/secrets" || return 1
	grep -qx "$conn" "${SW_DIR[$name]}/conns/.order" ||
		echo "$conn" >>"${SW_DIR[$name]}/conns/.order"
	local -a child_args=()
	local kv k v auth="" lauth="" rauth="" lid="" rid="" psk="" pkey="" version=2 child=$conn
	for kv in "$@"; do
		case $kv in
		*=*) ;;
		*)
			_sw_err "sw_conn: '$kv' is not key=value"
			return 1
			;;
		esac
		k=${kv%%=*}
		v=${kv#*=}
		case $k in
		version) version=$v ;;
		auth) auth=$v ;;
		local_auth) lauth=$v ;;
		remote_auth) rauth=$v ;;
		local_id) lid=$v ;;
		remote_id) rid=$v ;;
		psk) psk=$v ;;
		private_key) pkey=$v ;;
		child) child=$v ;;
		ike_rekey_time) echo "rekey_time = $(_sw_q "$v")" >>"$cdir/ike" ;;
		ike.*) echo "${k#ike.} = $(_sw_q "$v")" >>"$cdir/ike" ;;
		local.*) echo "${k#local.} = $(_sw_q "$v")" >>"$cdir/local" ;;
		local2.*) echo "${k#local2.} = $(_sw_q "$v")" >>"$cdir/local2" ;;
		remote.*) echo "${k#remote.} = $(_sw_q "$v")" >>"$cdir/remote" ;;
		child.* | local_ts | remote_ts | mode | start_action | close_action | dpd_action | \
			esp_proposals | ah_proposals | rekey_time | life_time | rand_time | rekey_bytes | \
			life_bytes | rekey_packets | life_packets | updown | hostaccess | policies | \
			replay_window | inactivity | reqid | priority | copy_df | ipcomp | \
			mark_in | mark_out | if_id_in | if_id_out | set_mark_in | set_mark_out | \
			interface | sha256_96 | hw_offload)
			child_args+=("$kv")
			;;
		local_addrs | local_port | remote_addrs | remote_port) echo "$k = $(_sw_q "$v")" >>"$cdir/ike" ;;
		local_*) echo "${k#local_} = $(_sw_q "$v")" >>"$cdir/local" ;;
		remote_*) echo "${k#remote_} = $(_sw_q "$v")" >>"$cdir/remote" ;;
		*) echo "$k = $(_sw_q "$v")" >>"$cdir/ike" ;;
		esac
	done
	[ -n "$auth" ] || { [ -n "$psk" ] && auth=psk; } || auth=pubkey
	[ -n "$lauth" ] || lauth=$auth
	[ -n "$rauth" ] || rauth=$auth
	echo "version = $(_sw_q "$version")" >>"$cdir/ike"
	echo "auth = $(_sw_q "$lauth")" >>"$cdir/local"
	echo "auth = $(_sw_q "$rauth")" >>"$cdir/remote"
	[ -n "$lid" ] && echo "id = $(_sw_q "$lid")" >>"$cdir/local"
	[ -n "$rid" ] && echo "id = $(_sw_q "$rid")" >>"$cdir/remote"
	if [ -n "$psk" ]; then
		{
			echo "ike-$conn {"
			[ -n "$lid" ] && echo "  id-1 = $(_sw_q "$lid")"
			[ -n "$rid" ] && echo "  id-2 = $(_sw_q "$rid")"
			echo "  secret = $(_sw_q "$psk")"
			echo "}"
		} >>"$cdir/secrets"
	fi
	if [ -n "$pkey" ]; then
		# swanctl loads private keys (any type, PEM or DER) from its private/
		# dir; secrets { private-* } only holds passphrases.
		cp "$pkey" "${SW_DIR[$name]}/swanctl/private/$conn-${pkey##*/}" || return 1
	fi
	sw_child "$name" "$conn" "$child" "${child_args[@]}"
}

# sw_child NAME CONN CHILD key=value...: add (or replace) child CHILD of a
# connection recorded by sw_conn; keys as sw_conn's child level (plain
# swanctl child settings; child.K=V accepted too).
sw_child() {
	local name=$1 conn=$2 child=$3
	shift 3
	local cdir="${SW_DIR[$name]}/conns/$conn"
	[ -d "$cdir" ] || {
		_sw_err "sw_child: no connection '$conn' on '$name'"
		return 1
	}
	case $child in
	'' | *[!A-Za-z0-9_-]*)
		_sw_err "bad child name '$child'"
		return 1
		;;
	esac
	local f="$cdir/child-$child" kv k
	: >"$f"
	grep -qx "$child" "$cdir/.children" 2>/dev/null || echo "$child" >>"$cdir/.children"
	for kv in "$@"; do
		k=${kv%%=*}
		echo "${k#child.} = $(_sw_q "${kv#*=}")" >>"$f"
	done
}

# sw_render NAME: write swanctl.conf from what sw_conn/sw_child recorded;
# prints its path.
sw_render() {
	local name=$1
	_sw_known "$name" || return 1
	local dir=${SW_DIR[$name]} conn child file
	file="$dir/swanctl/swanctl.conf"
	{
		echo "# generated by scripts/lib/strongswan.sh"
		echo "connections {"
		while read -r conn; do
			[ -n "$conn" ] || continue
			echo "  $conn {"
			sed 's/^/    /' "$dir/conns/$conn/ike"
			echo "    local {"
			sed 's/^/      /' "$dir/conns/$conn/local"
			echo "    }"
			if [ -s "$dir/conns/$conn/local2" ]; then
				echo "    local-2 {"
				sed 's/^/      /' "$dir/conns/$conn/local2"
				echo "    }"
			fi
			echo "    remote {"
			sed 's/^/      /' "$dir/conns/$conn/remote"
			echo "    }"
			echo "    children {"
			while read -r child; do
				[ -n "$child" ] || continue
				echo "      $child {"
				sed 's/^/        /' "$dir/conns/$conn/child-$child"
				echo "      }"
			done <"$dir/conns/$conn/.children"
			echo "    }"
			echo "  }"
		done <"$dir/conns/.order"
		echo "}"
		echo "secrets {"
		while read -r conn; do
			[ -n "$conn" ] && sed 's/^/  /' "$dir/conns/$conn/secrets"
		done <"$dir/conns/.order"
		echo "}"
	} >"$file" || return 1
	printf '%s\n' "$file"
}

# sw_load NAME: render swanctl.conf and `swanctl --load-all` it (connections
# no longer recorded are unloaded, as swanctl does). Output on stdout;
# non-zero if swanctl reports a failure.
sw_load() {
	local name=$1 file
	file=$(sw_render "$name") || return 1
	sw_swanctl "$name" --load-all --noprompt --file "$file"
}

# --- actions (output of swanctl on stdout) ----------------------------------
# sw_initiate NAME CHILD [TIMEOUT=10]: initiate CHILD (and its IKE SA);
# returns when established (0) or failed/timed out (non-zero).
sw_initiate() {
	local name=$1 child=$2 t=${3:-10}
	SW_CMD_TIMEOUT=$((t + 5)) sw_swanctl "$name" --initiate --child "$child" --timeout "$t"
}

# sw_initiate_ike NAME CONN [TIMEOUT=10]: the IKE SA of CONN only (no child).
sw_initiate_ike() {
	local name=$1 conn=$2 t=${3:-10}
	SW_CMD_TIMEOUT=$((t + 5)) sw_swanctl "$name" --initiate --ike "$conn" --timeout "$t"
}

# sw_terminate_ike NAME CONN [TIMEOUT=10]: delete the IKE SA(s) of CONN (and
# their children), waiting for the peer's answer up to TIMEOUT, then force.
sw_terminate_ike() {
	local name=$1 conn=$2 t=${3:-10}
	SW_CMD_TIMEOUT=$((t + 5)) sw_swanctl "$name" --terminate --ike "$conn" --timeout "$t" --force
}

# sw_terminate_child NAME CHILD [TIMEOUT=10]
sw_terminate_child() {
	local name=$1 child=$2 t=${3:-10}
	SW_CMD_TIMEOUT=$((t + 5)) sw_swanctl "$name" --terminate --child "$child" --timeout "$t"
}

# sw_rekey_child NAME CHILD / sw_rekey_ike NAME CONN [--reauth]: start a
# rekey and return at once (asynchronous in charon): wait for the result,
# e.g. with sw_wait_json.
sw_rekey_child() { sw_swanctl "$1" --rekey --child "$2"; }
sw_rekey_ike() {
	local name=$1 conn=$2
	shift 2
	sw_swanctl "$name" --rekey --ike "$conn" "$@"
}

# --- state as JSON ----------------------------------------------------------
# sw_list_sas_json NAME [swanctl filters: --ike CONN, --child CHILD]: prints
# a JSON array, one object per IKE SA, built from `swanctl --list-sas
# --pretty`. Every key/value vici sends is kept under vici's own name (all
# values strings, lists as arrays of strings), plus:
#   IKE SA: "name" (connection), "uniqueid", "version", "state"
#     (ESTABLISHED, CONNECTING, REKEYING, DELETING, ...), "local-host",
#     "local-port", "local-id", "remote-host", "remote-port", "remote-id",
#     "initiator-spi", "responder-spi" (hex), "encr-alg" (AES_GCM_16,
#     AES_CBC, CHACHA20_POLY1305), "encr-keysize", "integ-alg"
#     (HMAC_SHA2_256_128; absent for AEAD), "prf-alg" (PRF_HMAC_SHA2_384),
#     "dh-group" (ECP_384, MODP_2048, CURVE_25519), "established",
#     "rekey-time", "reauth-time" (s, strings as vici sends them);
#     booleans (always present, false when vici omits them): "initiator",
#     "nat-local", "nat-remote", "nat-fake", "nat-any";
#     "children": array of the child SAs (vici's "child-sas" section).
#   Child SA: "name", "uniqueid", "reqid", "state" (INSTALLED, REKEYING,
#     REKEYED, DELETING, ...), "mode" (TUNNEL), "protocol" (ESP), "spi-in",
#     "spi-out" (8 hex digits, as swanctl prints them, e.g. "c2a5b0e1"),
#     "encr-alg", "encr-keysize", "integ-alg", "dh-group" (when PFS was
#     used), "local-ts", "remote-ts" (arrays of "198.18.1.0/24"),
#     "rekey-time", "life-time", "install-time"; integers "bytes-in",
#     "packets-in", "bytes-out", "packets-out" (0 when absent); boolean
#     "encap" (UDP encapsulation).
sw_list_sas_json() {
	local name=$1
	shift
	sw_swanctl "$name" --list-sas --pretty "$@" | /usr/bin/python3 -c '
import json, re, sys

BOOLS = ("initiator", "nat-local", "nat-remote", "nat-fake", "nat-any")
INTS = ("bytes-in", "packets-in", "bytes-out", "packets-out")

def fix_child(c):
    for k in INTS:
        c[k] = int(c.get(k, "0") or 0)
    c["encap"] = c.get("encap") == "yes"
    return c

def fix_ike(name, s):
    s.setdefault("name", name)
    for k in BOOLS:
        s[k] = s.get(k) == "yes"
    kids = s.pop("child-sas", {})
    s["children"] = [fix_child(dict(v, **{"name": v.get("name", k)}))
                     for k, v in (kids.items() if isinstance(kids, dict) else [])]
    return s

out = []
stack = []          # open containers: dicts (sections) or lists
for raw in sys.stdin:
    line = raw.rstrip("\n").lstrip(" ")
    if not stack:
        m = re.match(r"^(.*) \{$", line)
        if m:
            stack.append({"__label__": m.group(1)})
        continue
    top = stack[-1]
    if isinstance(top, list):
        if line == "]":
            stack.pop()
        else:
            top.append(line)
        continue
    if line == "}":
        done = stack.pop()
        if not stack and done.get("__label__") == "list-sa event":
            for k, v in done.items():
                if k != "__label__" and isinstance(v, dict):
                    out.append(fix_ike(k, v))
        continue
    m = re.match(r"^(\S+) = (.*)$", line)
    if m:
        if m.group(2) == "[":
            top[m.group(1)] = []
            stack.append(top[m.group(1)])
        else:
            top[m.group(1)] = m.group(2)
        continue
    m = re.match(r"^(.*) \{$", line)
    if m:
        top[m.group(1)] = {}
        stack.append(top[m.group(1)])
        continue
    sys.exit("sw_list_sas_json: cannot parse: %r" % raw)
json.dump(out, sys.stdout, indent=1, sort_keys=True)
print()
'
	return "${PIPESTATUS[0]}"
}

# sw_json NAME EXPR [swanctl filters]: evaluate a Python expression over the
# list `d` printed by sw_list_sas_json (json_get from netns.sh); prints it.
sw_json() {
	local name=$1 expr=$2 json
	shift 2
	json=$(sw_list_sas_json "$name" "$@") || return 1
	printf '%s' "$json" | json_get - "$expr"
}

# sw_wait_json NAME EXPR [TIMEOUT=10]: wait (bounded) until EXPR over `d`
# (as sw_json) is true, e.g.
#   sw_wait_json a '[s for s in d if s["state"] == "ESTABLISHED"]' 10
sw_wait_json() {
	local name=$1 expr=$2 t=${3:-10} now end
	now=${EPOCHREALTIME/./}
	end=$((now + $(awk -v t="$t" 'BEGIN { printf "%d", t * 1000000 }')))
	while :; do
		[ "$(sw_json "$name" "bool($expr)" 2>/dev/null)" = True ] && return 0
		now=${EPOCHREALTIME/./}
		[ "$now" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# sw_child_spis NAME CHILD: "SPI_IN SPI_OUT" of the newest INSTALLED child
# SA named CHILD (non-zero if none).
sw_child_spis() {
	local out
	out=$(sw_json "$1" "' '.join((lambda c: [c[-1]['spi-in'], c[-1]['spi-out']] if c else [])(sorted([c for s in d for c in s['children'] if c['name'] == '$2' and c['state'] == 'INSTALLED'], key=lambda c: int(c['uniqueid']))))") || return 1
	[ -n "$out" ] || return 1
	printf '%s\n' "$out"
}
