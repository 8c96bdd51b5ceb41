#!/bin/bash
# Prometheus metrics (issue 18 item 3): espgate carries a tunnel to
# strongSwan (scripts/lib/tunnel.sh) and serves /metrics on 127.0.0.1:9420
# in its namespace; promtool (Debian's prometheus) lints the exposition,
# a real Prometheus server scrapes it every second, and its HTTP API shows
# the tunnel's byte counter going up with traffic. The Grafana dashboard
# shipped in packaging/ reads only series espgate serves. Prints TAP.
# Needs root.
#
#   bash tests/e2e/metrics.sh [BUILD_DIR]      (default: build)

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"
deps_need prog prometheus promtool

PLAN=6
echo "1..$PLAN"

tap_start egmet "a tunnel, espgate's /metrics, Prometheus scraping it"
EG_LOG=$W/espgate.log
METRICS=http://127.0.0.1:9420/metrics
PROM=http://127.0.0.1:9090
DASHBOARD=$ROOT/packaging/grafana-espgate.json
: >"$NOTES"

# fetch URL [FILE]: the body (in gw's namespace, where espgate listens).
fetch() {
	nsx "$NS_GW" "$PY" -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"
}

# prom_value QUERY: the one value Prometheus gives for QUERY, or "".
prom_value() {
	fetch "$PROM/api/v1/query?query=$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1")" |
		json_get - "(d['data']['result'] or [{'value': [0, '']}])[0]['value'][1]"
}

setup() {
	suite_programs || return 1
	tunnel_topo_create || return 1
	tunnel_espgate_config "$W/espgate.json.in" info || return 1
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
d["metrics"] = {"address": "127.0.0.1", "port": 9420}
json.dump(d, open(sys.argv[2], "w"), indent=1)' "$W/espgate.json.in" "$W/espgate.json" || return 1
	eg_start "$W/espgate.json" "$EG_LOG" || return 1
	tunnel_sw_prepare && tunnel_sw_start || return 1
	sw_prio
	tunnel_up 20 >"$W/up.log" 2>&1 || { tail -n 5 "$W/up.log"; return 1; }
	ping5 "$NS_HOST" "$SRV_V4" >/dev/null
}
check "namespaces host, br, gw, srv; espgate with metrics on 127.0.0.1:9420; the tunnel up, pinged" setup ||
	FATAL="setup failed"

# 2: the exposition
exposition() {
	fetch "$METRICS" >"$W/metrics.txt" || return 1
	note "$(wc -l <"$W/metrics.txt") lines, $(grep -c '^# TYPE' "$W/metrics.txt") families"
	promtool check metrics <"$W/metrics.txt" >"$W/promtool.out" 2>&1 ||
		{ head -n 20 "$W/promtool.out"; return 1; }
	[ ! -s "$W/promtool.out" ] || { head -n 20 "$W/promtool.out"; return 1; }
	local m
	for m in 'espgate_port_rx_packets_total{port="wan"}' 'espgate_worker_drops_total{worker="0",reason="no_route"}' \
		'espgate_ike_init_requests_total' 'espgate_ike_sas_established 1' 'espgate_connections 1' \
		'espgate_sa_bytes_total{sa="branch/net' 'espgate_resources_mbufs_in_use' \
		'espgate_connection_up{connection="branch"} 1' 'espgate_connection_bytes_total{connection="branch",direction="in"}'; do
		grep -qF "$m" "$W/metrics.txt" || { echo "no $m"; return 1; }
	done
	grep 'espgate_sa_bytes_total' "$W/metrics.txt" | head -n 2 | while read -r l; do note "$l"; done
	# the Child SA's install latency, a histogram: one install at least
	local n
	n=$(awk '$1 == "espgate_sa_install_latency_seconds_count" { print $2 }' "$W/metrics.txt")
	grep -qx "espgate_sa_install_latency_seconds_bucket{le=\"+Inf\"} $n" "$W/metrics.txt" && [ "${n:-0}" -ge 1 ] ||
		{ echo "install latency: count '$n'"; grep install_latency "$W/metrics.txt"; return 1; }
	note "$(grep -E 'install_latency_seconds_(sum|count)' "$W/metrics.txt" | tr '\n' ' ')"
	# the IKE setup latency (first datagram to data-plane SA), the same
	# way, and espgatectl ike_setup's quantiles of it
	n=$(awk '$1 == "espgate_ike_setup_latency_seconds_count" { print $2 }' "$W/metrics.txt")
	grep -qx "espgate_ike_setup_latency_seconds_bucket{le=\"+Inf\"} $n" "$W/metrics.txt" && [ "${n:-0}" -ge 1 ] ||
		{ echo "setup latency: count '$n'"; grep setup_latency "$W/metrics.txt"; return 1; }
	eg_ctl --json ike_setup >"$W/ike_setup.json" || return 1
	/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
# samples are floats, max a double: 0.01 ms of rounding
sys.exit(not (d["count"] >= 1 and 0 < d["median_ms"] <= d["p99_ms"] <= d["max_ms"] + 0.01))' "$W/ike_setup.json" ||
		{ echo "ike_setup: $(cat "$W/ike_setup.json")"; return 1; }
	note "ike_setup: $(tr -d ' \n' <"$W/ike_setup.json")"
	# the check can fail: promtool refuses a counter without _total
	sed 's/espgate_port_rx_packets_total/espgate_port_rx_packets/' "$W/metrics.txt" | promtool check metrics >/dev/null 2>&1 &&
		{ echo "promtool took a counter named without _total"; return 1; }
	return 0
}
check "GET /metrics: promtool check metrics finds nothing; port, worker-drop, IKE, tunnel, SA, SA install and IKE setup latency (and espgatectl ike_setup) and resource series there (and promtool does catch a misnamed counter)" exposition

# 3: Prometheus scrapes it
scraped() {
	cat >"$W/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: espgate
    static_configs:
      - targets: ['127.0.0.1:9420']
EOF
	bg_run PROM_PID "$W/prometheus.log" ip netns exec "$NS_GW" prometheus \
		--config.file="$W/prometheus.yml" --storage.tsdb.path="$W/tsdb" \
		--web.listen-address=127.0.0.1:9090 --log.level=warn
	wait_for "fetch '$PROM/-/ready' >/dev/null 2>&1" 30 || { tail -n 5 "$W/prometheus.log"; return 1; }
	wait_for "[ \"\$(prom_value 'up{job=\"espgate\"}')\" = 1 ]" 15 ||
		{ echo "target not up: $(fetch "$PROM/api/v1/targets" | head -c 400)"; return 1; }
	note "$(prometheus --version 2>&1 | head -n 1); up{job=\"espgate\"} = 1"
}
check "Debian's Prometheus scrapes espgate every second: the target is up" scraped

# 4: the tunnel's bytes go up in Prometheus
bytes_rise() {
	local q='sum(espgate_sa_bytes_total{direction="in"})' before after
	wait_for "[ -n \"\$(prom_value '$q')\" ]" 10 || return 1
	before=$(prom_value "$q")
	nsx "$NS_HOST" ping -n -q -c 20 -i 0.05 -s 1000 -w 10 "$SRV_V4" >/dev/null || return 1
	# each ping's 1028-byte IP packet counted once it is scraped (1 s)
	wait_for "[ \"\$(prom_value '$q')\" -ge $((before + 20000)) ]" 10 ||
		{ echo "only $(($(prom_value "$q") - before)) bytes more"; return 1; }
	after=$(prom_value "$q")
	note "$q: $before -> $after after 20 pings of 1000 bytes"
}
check "20 pings of 1000 bytes through the tunnel: Prometheus's query of the inbound SA's bytes rises by at least 20000" bytes_rise

# 5: the dashboard reads what espgate serves
dashboard() {
	"$PY" - "$DASHBOARD" "$W/metrics.txt" <<'PY'
import json, re, sys
dash = json.load(open(sys.argv[1]))
served = {l.split()[2] for l in open(sys.argv[2]) if l.startswith("# TYPE ")}
exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
used = {m for e in exprs for m in re.findall(r"espgate_[a-z0-9_]+", e)}
missing = used - served
print(f"{len(dash['panels'])} panels, {len(exprs)} queries over {len(used)} series")
sys.exit(1 if missing or not used else 0)
PY
}
check "packaging/grafana-espgate.json: every series its queries name is one espgate serves" dashboard

# 6: what is not served, and an address espgate cannot listen on
refusals() {
	local code
	code=$(nsx "$NS_GW" "$PY" -c 'import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=5)
    print(200)
except urllib.error.HTTPError as e:
    print(e.code)' "http://127.0.0.1:9420/other")
	[ "$code" = 404 ] || { echo "GET /other: $code"; return 1; }
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
d["metrics"]["address"] = "192.0.2.77"
d["control"]["socket"] += ".2"
d["eal"][d["eal"].index("--file-prefix") + 1] += "-2"
json.dump(d, open(sys.argv[2], "w"))' "$W/espgate.json" "$W/espgate-bad.json" || return 1
	dpdk_prefix_register "${ESPGATE_PREFIX}-2"
	timeout 60 ip netns exec "$NS_GW" "$BUILD/app/espgate" --config "$W/espgate-bad.json" \
		>"$W/espgate-bad.log" 2>&1 && { echo "espgate started without its metrics address"; return 1; }
	grep -q 'metrics: cannot listen on 192.0.2.77 port 9420' "$W/espgate-bad.log" ||
		{ tail -n 5 "$W/espgate-bad.log"; return 1; }
	note "$(grep -m1 'metrics: cannot listen' "$W/espgate-bad.log")"
}
check "GET /other: 404; an espgate whose metrics address is not the host's (192.0.2.77) does not start, and says why" refusals

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
