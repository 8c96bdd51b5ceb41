/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * espgate: reads the deployment, starts EAL from it, sets up ports and
 * tables, launches one worker per worker lcore and runs the control
 * lcore until SIGINT or SIGTERM.
 */
#include "espgate.h"
#include "radius.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_pdump.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#define EXIT_CONFIG 2
#define EAL_ARGV_MAX (CFG_MAX_EAL_ARGS + 2 * CFG_MAX_PORTS + 10)
#define MBUFS_MIN 16383

int eg_logtype;
static volatile sig_atomic_t g_signal;

static void on_signal(int sig)
{
	g_signal = sig;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: espgate --config FILE [--check]\n"
		"  -c, --config FILE  the deployment (config/README.md)\n"
		"  -n, --check        validate the configuration and exit\n"
		"  -h, --help         this text\n"
		"exit status: 0 after a clean stop, 1 on a runtime failure,\n"
		"2 when the configuration or the command line is invalid\n");
}

struct eal_argv {
	char *argv[EAL_ARGV_MAX];
	int argc;
	char lcores[CFG_MAX_WORKERS * 5 + 8];
	char main_lcore[8];
};

static void eal_add(struct eal_argv *e, char *arg)
{
	if (e->argc < EAL_ARGV_MAX - 1)
		e->argv[e->argc++] = arg;
}

/* The EAL command line: the configured options, then what espgate
 * derives from lcores and ports. */
static void build_eal_argv(struct cfg *cfg, struct eal_argv *e, char *prog)
{
	int off;

	eal_add(e, prog);
	for (unsigned i = 0; i < cfg->n_eal_args; i++)
		eal_add(e, cfg->eal_args[i]);
	off = snprintf(e->lcores, sizeof(e->lcores), "%u", cfg->control_lcore);
	for (unsigned i = 0; i < cfg->n_workers && off < (int)sizeof(e->lcores); i++)
		off += snprintf(e->lcores + off, sizeof(e->lcores) - (size_t)off, ",%u",
				cfg->workers[i]);
	snprintf(e->main_lcore, sizeof(e->main_lcore), "%u", cfg->control_lcore);
	eal_add(e, "-l");
	eal_add(e, e->lcores);
	eal_add(e, "--main-lcore");
	eal_add(e, e->main_lcore);
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		eal_add(e, cfg->ports[i].is_vdev ? "--vdev" : "-a");
		eal_add(e, cfg->ports[i].device);
	}
	/* A software crypto PMD (crypto_aesni_mb0, ...) is a vdev to create;
	 * a QAT VF is found by the PCI probe. */
	if (cfg->engine == CFG_ENGINE_CRYPTODEV &&
	    strncmp(cfg->crypto_device, "crypto_", 7) == 0) {
		eal_add(e, "--vdev");
		eal_add(e, cfg->crypto_device);
	}
	e->argv[e->argc] = NULL;
}

static uint32_t log_level(const char *name)
{
	static const struct { const char *name; uint32_t level; } levels[] = {
		{ "error", RTE_LOG_ERR }, { "warning", RTE_LOG_WARNING },
		{ "notice", RTE_LOG_NOTICE }, { "info", RTE_LOG_INFO },
		{ "debug", RTE_LOG_DEBUG },
	};

	for (size_t i = 0; i < RTE_DIM(levels); i++)
		if (strcmp(levels[i].name, name) == 0)
			return levels[i].level;
	return RTE_LOG_INFO;
}

static unsigned mbuf_count(const struct app *app)
{
	unsigned n = DP_PUNT_RING_SIZE + DP_MAX_NEIGH / 4 +
		     app->cfg.n_ports * (DP_CTL_TX_RING_SIZE +
					 app->cfg.n_workers * (2048 + 2 * DP_BURST)) +
		     (app->cfg.n_workers + 1) * 512 + DP_TRAP_HOLD_TOTAL;

	return RTE_MAX(n, (unsigned)MBUFS_MIN);
}

static int add_local_and_connected(struct app *app)
{
	for (unsigned p = 0; p < app->dp.n_ports; p++) {
		const struct dp_if *ifp = &app->dp.ports[p].pt_if;

		for (unsigned i = 0; i < ifp->n_addrs; i++) {
			struct ip_prefix host = { .addr = ifp->addrs[i].addr };
			int rc;

			host.len = (uint8_t)(ip_addr_len(&host.addr) * 8);
			rc = dp_route_add(app->dp.route, &ifp->addrs[i],
					  dp_nh_make(DP_NH_CONNECTED, p));
			if (rc == 0)
				rc = dp_route_add(app->dp.route, &host,
						  dp_nh_make(DP_NH_LOCAL, p));
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int add_static(struct app *app)
{
	for (unsigned i = 0; i < app->cfg.n_routes; i++) {
		const struct cfg_route *r = &app->cfg.routes[i];
		uint32_t nh = dp_nh_make(DP_NH_CONNECTED, r->port);
		int rc;

		if (r->has_via) {
			int idx = dp_neigh_get(app->dp.neigh, &r->via, (uint16_t)r->port);
			if (idx < 0)
				return idx;
			nh = dp_nh_make(DP_NH_GATEWAY, (uint32_t)idx);
		}
		rc = dp_route_add(app->dp.route, &r->prefix, nh);
		if (rc < 0)
			return rc;
	}
	/* After the routes: a neighbour's host route only where its
	 * connected prefix is what routes it. */
	for (unsigned i = 0; i < app->cfg.n_neighbors; i++) {
		const struct cfg_neighbor *n = &app->cfg.neighbors[i];
		int idx = dp_neigh_get(app->dp.neigh, &n->addr, (uint16_t)n->port);

		if (idx < 0)
			return idx;
		dp_neigh_set_mac(app->dp.neigh, (uint32_t)idx, n->mac, true);
		control_neigh_host_route(app, (uint32_t)idx);
	}
	return 0;
}

static int create_tables(struct app *app)
{
	struct dp *dp = &app->dp;
	int socket = (int)rte_socket_id();

	dp->pool = rte_pktmbuf_pool_create("mbufs", mbuf_count(app), 256, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	dp->pool_indirect = rte_pktmbuf_pool_create("mbufs_indirect", 8191, 256, 0, 0,
						    socket);
	dp->route = dp_route_create("routes", socket, 65536);
	dp->neigh = dp_neigh_create("neighbours", socket, DP_MAX_NEIGH);
	dp->punt = rte_ring_create("punt", DP_PUNT_RING_SIZE, socket,
				   RING_F_SC_DEQ);
	dp->n_workers = app->cfg.n_workers;
	dp->workers = rte_zmalloc("workers", sizeof(*dp->workers) * dp->n_workers,
				  RTE_CACHE_LINE_SIZE);
	app->wargs = calloc(dp->n_workers, sizeof(*app->wargs));
	if (!dp->pool || !dp->pool_indirect || !dp->route || !dp->neigh || !dp->punt ||
	    !dp->workers || !app->wargs) {
		EG_LOG(ERR, "out of memory for tables: %s (is -m large enough? the "
		       "IPv4 table alone takes 64 MB)", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

static int app_start(struct app *app)
{
	int rc = create_tables(app);

	if (rc == 0)
		rc = ports_setup(app);
	if (rc == 0 && (rc = add_local_and_connected(app)) == 0)
		rc = add_static(app);
	if (rc < 0) {
		EG_LOG(ERR, "tables: %s", strerror(-rc));
		return rc;
	}
	if (rc == 0)
		rc = sas_init(app);
	if (rc == 0)
		rc = control_init(app);
	if (rc == 0)
		rc = radius_start(app);
	if (rc == 0)
		rc = ike_ctl_init(app);
	if (rc == 0)
		rc = ctl_server_open(app);
	if (rc == 0)
		rc = metrics_open(app);
	if (rc == 0 && telemetry_register(app) != 0)
		EG_LOG(WARNING, "telemetry commands not registered");
	return rc;
}

static int launch_workers(struct app *app)
{
	for (unsigned i = 0; i < app->dp.n_workers; i++) {
		struct dp_worker *w = &app->dp.workers[i];
		int rc;

		w->w_idx = i;
		w->w_lcore = app->cfg.workers[i];
		app->wargs[i] = (struct dp_worker_arg){ .dp = &app->dp, .w = w };
		rc = rte_eal_remote_launch(dp_worker_main, &app->wargs[i], w->w_lcore);
		if (rc != 0) {
			EG_LOG(ERR, "worker on lcore %u: %s", w->w_lcore, rte_strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void run_control(struct app *app)
{
	EG_LOG(INFO, "running: %u workers, %u ports", app->dp.n_workers,
	       app->dp.n_ports);
	service_ready(app);
	while (!g_signal) {
		/* Idle: sleep in poll() on the control socket rather than spin. */
		unsigned busy = control_poll(app) + sas_poll_events(app) + ike_ctl_poll(app);
		ctl_server_poll(app, busy ? 0 : 1);
		metrics_poll();
		service_watchdog();
	}
	service_stopping();
	EG_LOG(INFO, "signal %d: stopping", (int)g_signal);
}

static void app_stop(struct app *app)
{
	unsigned in_use;

	__atomic_store_n(&app->dp.stop, 1, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	metrics_close();
	ctl_server_close(app);
	ike_ctl_fini(app);
	radius_stop(app);
	control_fini(app);
	sas_fini(app);
	ports_close(app);
	if (app->dp.pool) {
		in_use = rte_mempool_in_use_count(app->dp.pool);
		EG_LOG(INFO, "mbufs in use at exit: %u", in_use);
		rte_mempool_free(app->dp.pool);
		rte_mempool_free(app->dp.pool_indirect);
	}
	rte_ring_free(app->dp.punt);
	dp_route_free(app->dp.route);
	dp_neigh_free(app->dp.neigh);
	rte_free(app->dp.workers);
	free(app->wargs);
}

static int parse_args(int argc, char **argv, const char **config, bool *check)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		case 'n':
			*check = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (!*config || optind != argc)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	static struct app app = { .ctl_fd = -1 };
	static struct eal_argv eal;
	const char *config = NULL;
	bool check = false;
	char err[512];
	int rc;

	if (parse_args(argc, argv, &config, &check) != 0) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	if (cfg_load_file(config, &app.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_CONFIG;
	}
	app.config_path = config;
	if (check) {
		printf("%s: configuration is valid\n", config);
		cfg_free(&app.cfg);
		return 0;
	}
	build_eal_argv(&app.cfg, &eal, argv[0]);
	if (rte_eal_init(eal.argc, eal.argv) < 0) {
		fprintf(stderr, "espgate: EAL: %s\n", rte_strerror(rte_errno));
		cfg_free(&app.cfg);
		return 1;
	}
	eg_logtype = rte_log_register_type_and_pick_level("espgate", RTE_LOG_INFO);
	rte_log_set_level(eg_logtype, log_level(app.cfg.log_level));
	/* dpdk-dumpcap attaches as a secondary process (hugepages needed:
	 * --no-huge memory cannot be shared) and asks for a port's packets */
	if (rte_pdump_init() != 0)
		EG_LOG(WARNING, "packet capture (rte_pdump) not available: %s",
		       rte_strerror(rte_errno));
	app.start_tsc = rte_rdtsc();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = app_start(&app);
	if (rc == 0)
		rc = launch_workers(&app);
	if (rc == 0)
		run_control(&app);
	app_stop(&app);
	rte_pdump_uninit();
	cfg_free(&app.cfg);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
