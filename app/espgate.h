/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_APP_H
#define ESPGATE_APP_H

#include <stdint.h>

#include <jansson.h>
#include <rte_log.h>

#include "cfg.h"
#include "dp.h"

extern int eg_logtype;

#define EG_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, eg_logtype, "espgate: %s: " fmt "\n", \
		__func__, ##__VA_ARGS__)

#define CTL_HOLD_MAX 8

/* Packets waiting for one next hop to resolve (control lcore only). */
struct ctl_hold {
	struct rte_mbuf *h_mb[CTL_HOLD_MAX];
	unsigned h_n;
	unsigned h_tries;
	uint64_t h_next_tsc;
	bool h_pending;
};

struct ctl_state {
	uint64_t c_cnt[DP_C_MAX];
	struct ctl_hold *c_hold; /* DP_MAX_NEIGH, indexed like the neighbour table */
	double c_icmp_tokens;    /* RFC 1812 §4.3.2.8 / RFC 4443 §2.4(f) */
	uint64_t c_icmp_tsc;
};

struct app {
	struct cfg cfg;
	struct dp dp;
	struct ctl_state ctl;
	struct dp_worker_arg *wargs;
	struct esp_engine *engine; /* the control lcore's, for key expansion */
	struct ike_ctl *ike;       /* NULL without connections */
	struct traps *traps;       /* trap connections' held packets (trap.c) */
	const char *config_path;
	uint64_t start_tsc;
	int ctl_fd;
};

/* ports.c */
int ports_setup(struct app *app);
void ports_close(struct app *app);
int port_index_by_name(const struct app *app, const char *name);

/* control.c */
int control_init(struct app *app);
void control_fini(struct app *app);
void control_neigh_host_route(struct app *app, uint32_t idx);
/* Routes an IP packet the box made; bypass: not through the SPD (IKE). */
void control_send_ip(struct app *app, const uint8_t *pkt, size_t len, int family,
		     bool bypass);
/* Handles what the workers punted and runs timers; returns frames handled. */
unsigned control_poll(struct app *app);

/* ctl_server.c */
int ctl_server_open(struct app *app);
void ctl_server_poll(struct app *app, int timeout_ms);
void ctl_server_close(struct app *app);
json_t *ctl_status_json(const struct app *app);
json_t *ctl_ports_json(const struct app *app);
json_t *ctl_stats_json(const struct app *app);

/* sas.c */
int sas_init(struct app *app);
void sas_fini(struct app *app);
unsigned sas_poll_events(struct app *app);
json_t *ctl_sas_json(const struct app *app);

/* lib/ike on the control lcore (its files: ike_ctl.h) */
/* ike_ctl.c */
int ike_ctl_init(struct app *app);
void ike_ctl_fini(struct app *app);
unsigned ike_ctl_poll(struct app *app);
/* CLOCK_MONOTONIC in milliseconds: lib/ike's and the traps' clock. */
uint64_t eg_now_ms(void);
/* Starts an IKE SA for the connection: its id (> 0) or -errno. */
int ike_ctl_initiate(struct app *app, const char *conn);
/* ike_io.c: a frame for the box: true when it was IKE (and is taken). */
bool ike_ctl_input(struct app *app, const uint8_t *frame, size_t len);
/* ike_cmds.c */
json_t *ike_ctl_json(const struct app *app);
/* Adds to obj what lib/ike and the glue hold: the engine's IKE SAs (half-
 * open ones among them), Child SAs, lingering inbound and deferred
 * outbound SAs (espgatectl stats' "resources"). */
void ike_ctl_usage_json(const struct app *app, json_t *obj);
json_t *ike_ctl_stats_json(const struct app *app);
json_t *ike_ctl_latency_json(const struct app *app);
json_t *ike_ctl_setup_json(const struct app *app);
/* Prometheus /metrics (metrics.c), when the configuration has
 * "metrics"; polled by the control loop. */
int metrics_open(struct app *app);
void metrics_poll(void);
void metrics_close(void);

/* systemd's notify protocol (service.c); no-ops without NOTIFY_SOCKET. */
void service_ready(const struct app *app);
void service_watchdog(void);
void service_reloading(void);
void service_reloaded(const struct app *app);
void service_stopping(void);

/* espgatectl pools: each address pool, its counts and its leases. */
json_t *ike_ctl_pools_json(const struct app *app);
json_t *ike_ctl_command(struct app *app, const char *cmd, const char *arg, bool children);
/* ike_conns.c: reads the configuration again and applies its connections:
 * added, removed and changed ones; unchanged tunnels are not touched. */
json_t *ike_ctl_reload(struct app *app);
/* child_install.c: a data-plane SA (by id) reached its soft or hard
 * volume lifetime: the Child SA it belongs to, if IKE made it, is rekeyed. */
void ike_ctl_sa_lifetime(struct app *app, uint32_t sa_id, bool hard);

/* trap.c: on-demand tunnels (start "trap") */
/* Puts the trap connections of app->cfg into the data plane (at start
 * and after a reload); held packets of connections that stay are kept. */
int traps_sync(struct app *app);
void traps_fini(struct app *app);
/* A packet a worker punted as DP_PUNT_TRAP (taken). */
void traps_packet(struct app *app, struct rte_mbuf *m);
/* A Child SA of conn was installed: its held packets go out. */
void traps_child_up(struct app *app, const char *conn);
/* An initiation of conn failed: its held packets are dropped. */
void traps_failed(struct app *app, const char *conn);
void traps_tick(struct app *app, uint64_t now_ms);
json_t *traps_json(const struct app *app);
/* Packets held over all trap connections. */
unsigned traps_held(const struct app *app);

/* telemetry.c */
int telemetry_register(struct app *app);

#endif
