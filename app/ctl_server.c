/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: a Unix stream socket (mode 0600) served by the
 * control lcore between packet bursts. One request per connection: a
 * JSON object {"cmd": NAME} and a newline; the answer is one JSON object
 * and a newline.
 */
#include "espgate.h"
#include "ike.h"
#include "radius.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "sa.h"

#define CTL_REQ_MAX 4096
#define CTL_IO_TIMEOUT_MS 200

static uint64_t read_counter(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* Outside the pool's ring and the lcores' caches: held by someone (read
 * while the workers run, so a moment's figure). */
static unsigned mbufs_in_use(const struct rte_mempool *mp)
{
	return mp ? rte_mempool_in_use_count(mp) : 0;
}

json_t *ctl_status_json(const struct app *app)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:s}",
			 "state", "running", "version", "0.1.0",
			 "uptime_s", (json_int_t)((rte_rdtsc() - app->start_tsc) /
						  rte_get_tsc_hz()),
			 "workers", (json_int_t)app->dp.n_workers,
			 "ports", (json_int_t)app->dp.n_ports,
			 "crypto_engine", cfg_engine_name(app->cfg.engine));
}

static json_t *addrs_json(const struct dp_if *ifp)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < ifp->n_addrs; i++) {
		char buf[IP_PREFIX_STRLEN];
		ip_prefix_format(&ifp->addrs[i], buf, sizeof(buf));
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

json_t *ctl_ports_json(const struct app *app)
{
	json_t *ports = json_array();

	for (unsigned i = 0; i < app->dp.n_ports; i++) {
		const struct dp_port *p = &app->dp.ports[i];
		struct rte_eth_link link = { 0 };
		char mac[MAC_STRLEN];

		rte_eth_link_get_nowait(p->pt_if.port, &link);
		mac_format(p->pt_if.mac, mac, sizeof(mac));
		json_array_append_new(ports, json_pack(
			"{s:s, s:i, s:s, s:s, s:s, s:i, s:o, s:s, s:I, s:i, s:i}",
			"name", p->pt_name, "port_id", p->pt_if.port,
			"device", app->cfg.ports[i].device,
			"role", dp_port_role_name(p->pt_role), "mac", mac,
			"mtu", p->pt_if.mtu, "addresses", addrs_json(&p->pt_if),
			"link", link.link_status ? "up" : "down",
			"speed_mbps", (json_int_t)link.link_speed,
			"rx_queues", p->pt_nb_rxq, "tx_queues", p->pt_nb_txq));
	}
	return json_pack("{s:o}", "ports", ports);
}

static json_t *port_stats_json(const struct dp_port *p)
{
	struct rte_eth_stats st = { 0 };

	rte_eth_stats_get(p->pt_if.port, &st);
	return json_pack("{s:s, s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "name", p->pt_name, "port_id", p->pt_if.port,
			 "role", dp_port_role_name(p->pt_role),
			 "rx_packets", (json_int_t)st.ipackets,
			 "tx_packets", (json_int_t)st.opackets,
			 "rx_bytes", (json_int_t)st.ibytes,
			 "tx_bytes", (json_int_t)st.obytes,
			 "rx_missed", (json_int_t)st.imissed,
			 "rx_errors", (json_int_t)st.ierrors,
			 "tx_errors", (json_int_t)st.oerrors,
			 "rx_nombuf", (json_int_t)st.rx_nombuf);
}

/* Adds counters to obj, the drops under obj.drops; returns their drop sum. */
static uint64_t counters_json(json_t *obj, const uint64_t *cnt,
			      const struct dp_counter_info *info, unsigned n)
{
	json_t *drops = json_object();
	uint64_t dropped = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t v = read_counter(&cnt[i]);
		if (info[i].is_drop) {
			json_object_set_new(drops, info[i].name, json_integer((json_int_t)v));
			dropped += v;
		} else {
			json_object_set_new(obj, info[i].name, json_integer((json_int_t)v));
		}
	}
	json_object_set_new(obj, "drops", drops);
	return dropped;
}

/* What the daemon holds that the end of a tunnel must give back: mbufs,
 * the data plane's SA tables, held packets, lib/ike's SAs and the glue's
 * Child SAs (tests/e2e/reload.sh: the same before the tunnels and after). */
static json_t *resources_json(const struct app *app)
{
	struct esp_sadb_usage u = { 0 };
	json_t *o;

	if (app->dp.sadb)
		esp_sadb_usage(app->dp.sadb, &u);
	o = json_pack("{s:I, s:I, s:I, s:i, s:i, s:i, s:i, s:i}",
		      "mbufs", (json_int_t)(app->dp.pool ? app->dp.pool->size : 0),
		      "mbufs_in_use", (json_int_t)mbufs_in_use(app->dp.pool),
		      "mbufs_indirect_in_use", (json_int_t)mbufs_in_use(app->dp.pool_indirect),
		      "dp_sas", u.u_sas, "dp_inbound_keys", u.u_in_keys,
		      "dp_policies_out", u.u_policies[ESP_DIR_OUT],
		      "dp_policies_in", u.u_policies[ESP_DIR_IN], "trap_held", traps_held(app));
	ike_ctl_usage_json(app, o);
	return o;
}

json_t *ctl_stats_json(const struct app *app)
{
	json_t *ports = json_array(), *workers = json_array(), *control = json_object();
	uint64_t sum[DP_W_MAX] = { 0 }, dropped = 0;

	for (unsigned i = 0; i < app->dp.n_ports; i++)
		json_array_append_new(ports, port_stats_json(&app->dp.ports[i]));
	for (unsigned i = 0; i < app->dp.n_workers; i++) {
		const struct dp_worker *w = &app->dp.workers[i];
		json_t *wj = json_pack("{s:i}", "lcore", w->w_lcore);

		dropped += counters_json(wj, w->w_cnt, dp_worker_counter_info, DP_W_MAX);
		for (unsigned c = 0; c < DP_W_MAX; c++)
			sum[c] += read_counter(&w->w_cnt[c]);
		json_array_append_new(workers, wj);
	}
	dropped += counters_json(control, app->ctl.c_cnt, dp_control_counter_info,
				 DP_C_MAX);
	json_t *radius = radius_stats_json(app);
	json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I}}",
			 "ports", ports, "workers", workers, "control", control,
			 "resources", resources_json(app), "ike", ike_ctl_stats_json(app),
			 "sa_install", ike_ctl_latency_json(app),
			 "totals", "rx_packets", (json_int_t)sum[DP_W_rx_packets],
			 "tx_packets", (json_int_t)sum[DP_W_tx_packets],
			 "forwarded", (json_int_t)sum[DP_W_forwarded],
			 "punted", (json_int_t)sum[DP_W_punted],
			 "drops", (json_int_t)dropped);

	if (o && radius)
		json_object_set_new(o, "radius", radius);
	else
		json_decref(radius);
	return o;
}

static json_t *ctl_counters_help_json(void)
{
	json_t *o = json_object();

	for (unsigned i = 0; i < DP_W_MAX; i++)
		json_object_set_new(o, dp_worker_counter_info[i].name,
				    json_string(dp_worker_counter_info[i].desc));
	for (unsigned i = 0; i < DP_C_MAX; i++)
		json_object_set_new(o, dp_control_counter_info[i].name,
				    json_string(dp_control_counter_info[i].desc));
	for (unsigned i = 0; i < ike_stats_count; i++) {
		char key[64];

		snprintf(key, sizeof(key), "ike.%s", ike_stats_info[i].name);
		json_object_set_new(o, key, json_string(ike_stats_info[i].desc));
	}
	radius_counters_help(o);
	return json_pack("{s:o}", "counters", o);
}

static json_t *dispatch(struct app *app, const char *req, size_t len)
{
	json_error_t jerr;
	json_t *msg = json_loadb(req, len, 0, &jerr), *reply;
	const char *cmd = NULL;

	const char *arg = NULL;
	int children = 0;

	if (msg)
		json_unpack(msg, "{s?s, s?b}", "arg", &arg, "child", &children);
	if (!msg || json_unpack(msg, "{s:s}", "cmd", &cmd) != 0)
		reply = json_pack("{s:s}", "error", "request must be {\"cmd\": NAME}");
	else if (strcmp(cmd, "status") == 0)
		reply = ctl_status_json(app);
	else if (strcmp(cmd, "ports") == 0)
		reply = ctl_ports_json(app);
	else if (strcmp(cmd, "stats") == 0)
		reply = ctl_stats_json(app);
	else if (strcmp(cmd, "sas") == 0) {
		reply = ctl_sas_json(app);
		json_object_update_missing_new(reply, ike_ctl_json(app));
	}
	else if (strcmp(cmd, "initiate") == 0 || strcmp(cmd, "terminate") == 0 ||
		 strcmp(cmd, "rekey") == 0)
		reply = ike_ctl_command(app, cmd, arg, children);
	else if (strcmp(cmd, "reload") == 0) {
		service_reloading();
		reply = ike_ctl_reload(app);
		service_reloaded(app);
	}
	else if (strcmp(cmd, "counters") == 0)
		reply = ctl_counters_help_json();
	else if (strcmp(cmd, "pools") == 0)
		reply = ike_ctl_pools_json(app);
	else if (strcmp(cmd, "ike_setup") == 0)
		reply = ike_ctl_setup_json(app);
	else
		reply = json_pack("{s:s, s:s}", "error", "unknown command", "cmd", cmd);
	json_decref(msg);
	return reply;
}

/* Reads one request line within the time limit; -1 when none came. */
static ssize_t read_request(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (got < cap) {
		ssize_t n;

		if (poll(&pfd, 1, CTL_IO_TIMEOUT_MS) <= 0)
			return -1;
		n = read(fd, buf + got, cap - got);
		if (n <= 0)
			return got ? (ssize_t)got : -1;
		got += (size_t)n;
		if (memchr(buf, '\n', got))
			return (ssize_t)got;
	}
	return -1;
}

static void write_all(int fd, const char *s, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	while (len > 0 && poll(&pfd, 1, CTL_IO_TIMEOUT_MS) > 0) {
		ssize_t n = write(fd, s, len);
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void serve_client(struct app *app, int fd)
{
	char req[CTL_REQ_MAX];
	ssize_t n = read_request(fd, req, sizeof(req));
	json_t *reply;
	char *text;

	if (n <= 0)
		return;
	reply = dispatch(app, req, (size_t)n);
	text = json_dumps(reply, JSON_COMPACT);
	if (text) {
		write_all(fd, text, strlen(text));
		write_all(fd, "\n", 1);
	}
	free(text);
	json_decref(reply);
}

void ctl_server_poll(struct app *app, int timeout_ms)
{
	struct pollfd pfd = { .fd = app->ctl_fd, .events = POLLIN };
	int fd;

	if (app->ctl_fd < 0 || poll(&pfd, 1, timeout_ms) <= 0)
		return;
	while ((fd = accept4(app->ctl_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		serve_client(app, fd);
		close(fd);
	}
}

static int make_parent_dir(const char *path)
{
	char dir[CFG_PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int ctl_server_open(struct app *app)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = app->cfg.ctl_socket;
	int fd, rc;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	rc = make_parent_dir(path);
	if (rc < 0)
		goto fail;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail_errno;
	unlink(path); /* a stale socket of an earlier run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(path, 0600) != 0 || listen(fd, 16) != 0) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	app->ctl_fd = fd;
	EG_LOG(INFO, "control socket %s", path);
	return 0;
fail_errno:
	rc = -errno;
fail:
	EG_LOG(ERR, "control socket %s: %s", path, strerror(-rc));
	return rc;
}

void ctl_server_close(struct app *app)
{
	if (app->ctl_fd < 0)
		return;
	close(app->ctl_fd);
	unlink(app->cfg.ctl_socket);
	app->ctl_fd = -1;
}
