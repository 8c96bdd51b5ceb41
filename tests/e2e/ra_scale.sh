#!/bin/bash
# 1 000 remote-access clients at once on the espgate daemon (issue 17
# item 6): ike_load (bench/ike_load.c, lib/ike as initiator) in br plays
# 1 000 road warriors user0..user999 over espgate's DPDK port, each with
# EAP-MSCHAPv2 against the secrets file and a CFG_REQUEST; espgate proves
# itself with its certificate (p256 of tests/unit/certs/make.sh's PKI).
# The protocol against a client we did not write is eap.sh's and
# remote_access.sh's (charon); this suite is about numbers: every client
# up, 1 000 different addresses from the pool, 1 000 Child SAs in the
# data plane with each outbound SA's selector the client's own address,
# and everything given back when the clients go. Prints TAP. Needs root.
#
#   bash tests/e2e/ra_scale.sh [BUILD_DIR]      (default: build)
#   RA_SCALE_CLIENTS=10000 bash tests/e2e/ra_scale.sh   (the issue's 10 000: about 70 s)

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"

PLAN=5
echo "1..$PLAN"

tap_start egras "namespaces, espgate with an EAP-MSCHAPv2 connection and 1000 users, ike_load as 1000 clients"
EG_LOG=$W/espgate.log
TUN_PKI=$W/pki
CLIENTS=${RA_SCALE_CLIENTS:-1000}
POOL_NET=198.18.64.0/18 # 16 382 addresses
PASSWORD='one password for all 1000'
LOAD=$BUILD/bench/ike_load
: >"$NOTES"

# ra_config FILE SECRETS: espgate with only the connection "rw" (any
# peer, certificate p256, EAP-MSCHAPv2 clients) and the pool rw4; SECRETS
# holds the CLIENTS users.
ra_config() {
	tunnel_espgate_config "$1.in" info || return 1
	"$PY" - "$1.in" "$1" "$2" "$GW_WAN_V4" "$TUN_PKI" "$TUN_IKE_PROPOSAL" "$TUN_ESP_PROPOSAL" \
		"$HQ_NET" "$POOL_NET" "$CLIENTS" "$PASSWORD" <<'PY' || return 1
import json, sys
src, dst, secrets, local, pki, ike, esp, hq, pool, n, pw = sys.argv[1:]
json.dump({"eap": {"user%d" % k: pw for k in range(int(n))}}, open(secrets, "w"))
d = json.load(open(src))
d.setdefault("ike", {}).update({"secrets": secrets, "cookie_threshold": 100000,
                                "half_open_per_peer": 100000, "max_child_sas": int(n) + 64})
d["pools"] = [{"name": "rw4", "prefix": pool, "lease": 3600}]
d["connections"] = [{
    "name": "rw", "local": local, "remote": "any", "local_id": "p256.example.org",
    "auth": "pubkey", "remote_auth": "eap-mschapv2",
    "cert": pki + "/p256-chain.pem", "key": pki + "/p256.key", "cacerts": [pki + "/ca.pem"],
    "proposals": [ike], "pools": ["rw4"], "dpd": 0,
    "children": [{"name": "net", "local_ts": [hq], "remote_ts": [pool],
                  "esp_proposals": [esp]}]}]
json.dump(d, open(dst, "w"), indent=1)
PY
	chmod 600 "$2"
}

setup() {
	local p
	for p in "$BUILD/app/espgate" "$BUILD/app/espgatectl" "$LOAD" openssl; do
		command -v "$p" >/dev/null || { echo "missing: $p"; return 1; }
	done
	tunnel_pki || return 1
	tunnel_topo_create || return 1
	ra_config "$W/espgate.json" "$W/secrets.json" || return 1
	eg_start "$W/espgate.json" "$EG_LOG" || return 1
	grep -q "IKE: $CLIENTS EAP-MSCHAPv2 users" "$EG_LOG" || { echo "the users were not loaded"; return 1; }
}
check "namespaces host, br, gw, srv; espgate with connection rw (certificate p256, EAP-MSCHAPv2) and $CLIENTS users in its secrets file, pool rw4 $POOL_NET" setup ||
	FATAL="setup failed"

# 2: all clients at once
LOAD_PID=""
clients_up() {
	bg_run LOAD_PID "$W/load.out" ip netns exec "$NS_BR" "$LOAD" --local "$BR_WAN_V4" \
		--remote "$GW_WAN_V4" --eap-clients "$CLIENTS" --eap-password "$PASSWORD" \
		--cacert "$TUN_PKI/ca.pem" --vip --ike "$TUN_IKE_PROPOSAL" --esp "$TUN_ESP_PROPOSAL" \
		--local-ts "$POOL_NET" --remote-ts "$HQ_NET" --window 64 --count "$CLIENTS" --keep \
		--timeout 60 --hold 300 --quiet
	# its result line once every client is up (or failed); the clients
	# then stay, answering espgate, until point 5
	wait_for "grep -q '^ike_load: setups=' '$W/load.out' || ! kill -0 $LOAD_PID" $((60 + CLIENTS / 20))
	local line
	line=$(grep '^ike_load: setups=' "$W/load.out")
	note "$(grep 'vips=' "$W/load.out") ${line#ike_load: }"
	grep -q "vips=$CLIENTS vip_duplicates=0" "$W/load.out" &&
		grep -q "setups=$CLIENTS .*failures=0 " <<<"$line" ||
		{ tail -n 3 "$W/load.out"; return 1; }
}
check "$CLIENTS clients at once (64 in flight): all authenticate with EAP-MSCHAPv2, each gets a virtual address, none twice" clients_up

# 3: what espgate holds
espgate_holds() {
	eg_ctl --json pools >"$W/pools.json" || return 1
	"$PY" - "$W/pools.json" "$CLIENTS" "$POOL_NET" <<'PY' || return 1
import ipaddress, json, sys
d = json.load(open(sys.argv[1]))
n, net = int(sys.argv[2]), ipaddress.ip_network(sys.argv[3])
p = d["pools"][0]
leases = p["leases"]
addrs = {l["address"] for l in leases}
ids = {l["identity"] for l in leases}
bad = [l for l in leases if l["sas"] != 1 or ipaddress.ip_address(l["address"]) not in net]
print("# pool %s: size %s, in use %s, %d leases, %d addresses, %d identities"
      % (p["name"], p["size"], p["in_use"], len(leases), len(addrs), len(ids)))
sys.exit(0 if p["in_use"] == n and len(addrs) == n and len(ids) == n and not bad else 1)
PY
	[ "$(eg_json "len([s for s in d['ike_sas'] if s['conn'] == 'rw'])")" = "$CLIENTS" ] ||
		{ echo "not $CLIENTS IKE SAs"; return 1; }
	note "$(eg_json "'%d IKE SAs, %d Child SAs, %d data-plane SAs' % (len(d['ike_sas']), len(d['child_sas']), len(d['sas']))")"
}
check "espgatectl: $CLIENTS IKE SAs of rw, pool rw4 with $CLIENTS leases in use, each address and identity once, each held by one SA" espgate_holds

# 4: each client's address routed to its own SA
routed_to_own_sa() {
	eg_ctl --json pools >"$W/pools.json" && eg_sas_json >"$W/sas.json" || return 1
	"$PY" - "$W/pools.json" "$W/sas.json" "$CLIENTS" <<'PY'
import json, sys
pools, sas = (json.load(open(f)) for f in sys.argv[1:3])
n = int(sys.argv[3])
leased = sorted(l["address"] for l in pools["pools"][0]["leases"])
out = [s for s in sas["sas"] if s["direction"] == "out" and s["name"].startswith("rw/")]
dsts = sorted(s["selector"]["dst"].split("/")[0] for s in out
              if s["selector"]["dst"].endswith("/32"))
print("# %d outbound SAs of rw, %d with a /32 destination selector" % (len(out), len(dsts)))
if len(out) != n or dsts != leased:
    print("# the outbound selectors are not the leased addresses, one each")
    sys.exit(1)
PY
}
check "the data plane: $CLIENTS outbound SAs of rw, their destination selectors exactly the $CLIENTS leased addresses (/32 each)" routed_to_own_sa

# 5: the clients go: everything given back
all_back() {
	eg_ctl terminate rw >/dev/null || return 1
	wait_for "[ \"\$(eg_json 'len(d[\"child_sas\"]) + len(d[\"ike_sas\"])')\" = 0 ]" 60 ||
		{ echo "still: $(eg_json "(len(d['ike_sas']), len(d['child_sas']))")"; return 1; }
	[ "$(eg_ctl --json pools | json_get - "d['pools'][0]['in_use']")" = 0 ] ||
		{ echo "leases still held"; return 1; }
	kill -TERM "$LOAD_PID" 2>/dev/null
	eg_sigterm_clean >/dev/null
}
check "espgatectl terminate rw: every IKE SA deleted (the clients answer): no IKE or Child SA left, no lease held (kept by identity), espgate exits 0 with 0 mbufs in use" all_back

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
