/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_APP_IKE_CTL_H
#define ESPGATE_APP_IKE_CTL_H

/*
 * lib/ike on the control lcore, private to the files that glue it in:
 * ike_ctl.c   the engine's life, its clock and its IKE SA events
 * ike_io.c    IKE datagrams in from the punt path and out through the ports
 * child_install.c  Child SAs into the data plane, and their inbound linger
 * ike_conns.c connections into the engine, at start and on reload
 * ike_cmds.c  espgatectl's initiate, terminate, rekey and listing
 */

#include "espgate.h"

#include "ike.h"
#include "ike_cert.h"
#include "slot_index.h"

/* What the control lcore tracks; the data plane's own tables are sized
 * apart (sas_max). 10 000s of road warriors: lookups by slot_index. */
#define IKE_CTL_CHILDREN 65536
#define IKE_CTL_SAS 65536
/* espgatectl sas lists at most this many IKE SAs not yet established. */
#define IKE_CTL_CONNECTING_LISTED 256
#define CFG_MAX_CONNS_CRED 64 /* connections with certificates */
#define IKE_CTL_LINGER 1024

struct ctl_child {
	bool cc_used;
	uint32_t cc_ike_id;
	uint32_t cc_spi_in, cc_spi_out;
	int cc_sa_in, cc_sa_out; /* cc_sa_out -1 while cc_out_pending */
	struct esp_sa_conf *cc_out_pending; /* the outbound SA, keys and all, */
	uint64_t cc_out_at_ms;              /* waiting for this time */
	char cc_conn[CFG_NAME_MAX], cc_name[CFG_NAME_MAX];
	uint64_t cc_created_ms;
};

struct ctl_ike_sa {
	bool is_used;
	struct ike_sa_info is_info;
	char is_conn[CFG_NAME_MAX];
	uint64_t is_created_ms;
};

/* SA install latency: from the control lcore taking the datagram that
 * completed a Child SA (or from ev_child_up, for one that no datagram
 * completed) to its SAs in the data plane's tables; a histogram with
 * Prometheus's cumulative buckets (ike_ctl_latency_le_s, then +Inf). */
#define IKE_CTL_LAT_BUCKETS 12
extern const double ike_ctl_latency_le_s[IKE_CTL_LAT_BUCKETS];
struct ctl_latency {
	uint64_t l_bucket[IKE_CTL_LAT_BUCKETS + 1]; /* not cumulative; the last: over all */
	uint64_t l_count;
	double l_sum_s, l_max_s;
};

/* IKE setup latency, for its quantiles: the last IKE_CTL_SETUP_SAMPLES
 * setups' times in ms, from the IKE SA's first datagram (or initiate)
 * to its first Child SA's SAs in the data plane (ci_setup_stamp). */
#define IKE_CTL_SETUP_SAMPLES 16384
struct ctl_setup_samples {
	float ss_ms[IKE_CTL_SETUP_SAMPLES];
	unsigned ss_n, ss_next;
};

struct ike_ctl {
	struct app *ic_app;
	struct ike_engine *ic_engine;
	struct ctl_child ic_child[IKE_CTL_CHILDREN];
	struct ctl_ike_sa ic_sa[IKE_CTL_SAS];
	struct slot_index ic_child_slots; /* ic_child by inbound SPI */
	struct slot_index ic_sa_slots;    /* ic_sa by IKE SA id */
	struct ike_credential *ic_cred[CFG_MAX_CONNS_CRED];
	struct ike_trust *ic_trust[CFG_MAX_CONNS_CRED];
	uint64_t ic_next_tick;
	/* Inbound SAs of replaced Child SAs, oldest first, due in order. */
	struct { uint32_t sa; uint64_t at_ms; } ic_linger[IKE_CTL_LINGER];
	unsigned ic_linger_head, ic_linger_tail;
	unsigned ic_ncert;    /* certificate slots used */
	unsigned ic_owner_rr; /* Child SAs spread over the workers */
	unsigned ic_n_out_pending; /* children with cc_out_pending */
	uint64_t ic_out_next_ms;   /* the earliest cc_out_at_ms of those */
	struct ike_limits ic_limits; /* what the engine was last given */
	uint64_t ic_input_tsc;       /* the datagram being processed came then (0: none) */
	struct ctl_latency ic_install_latency;
	struct ctl_latency ic_setup_latency; /* ike_setup: the same, by ci_setup_stamp */
	struct ctl_setup_samples ic_setup_samples;
	bool ic_limits_set;
};

/* ike_ctl.c: lib/ike with the connections of app->cfg (none: app->ike
 * stays NULL); those it does not take are dropped from app->cfg and
 * listed in failed. */
int ike_ctl_start(struct app *app, json_t *failed);
/* The engine's denial-of-service limits from cfg's ike section (RFC 7296
 * §2.6), logged when they change. */
void ike_ctl_limits(struct ike_ctl *ic, const struct cfg *cfg);
/* The configuration's pools into the engine: unchanged ones keep their
 * leases, changed or removed ones are detached (ike_engine_add_pool). */
void ike_ctl_pools(struct ike_ctl *ic, const struct cfg *cfg);
/* The secrets file's EAP users to the engine (at start and reload). */
void ike_ctl_eap_users(struct ike_ctl *ic, const struct cfg *cfg);

/* ike_engine_initiate, its setup timed (ic_setup_latency). */
int ike_ctl_engine_initiate(struct ike_ctl *ic, const char *conn);

/* ike_io.c: lib/ike's ev_send and ev_keepalive (ctx: the ike_ctl). */
void ike_io_send(void *ctx, const struct ike_endpoint *local,
		 const struct ike_endpoint *remote, const uint8_t *buf, size_t len);
void ike_io_keepalive(void *ctx, const struct ike_endpoint *local,
		      const struct ike_endpoint *remote);

/* child_install.c: lib/ike's ev_child_up and ev_child_down. */
void child_install_up(void *ctx, const struct ike_child_info *ci);
void child_install_down(void *ctx, const struct ike_child_info *ci);
/* lib/ike's ev_child_moved (MOBIKE): the outbound SA re-pointed. */
void child_install_moved(void *ctx, const struct ike_child_info *ci);
/* Removes the lingering inbound SAs whose time has come. */
void child_install_linger_expire(struct ike_ctl *ic, uint64_t now_ms);
/* Deferred outbound SAs dropped, their keys wiped (at exit). */
void child_install_fini(struct ike_ctl *ic);

/* ike_conns.c: every connection of cfg into the engine; those it does not
 * take are dropped from cfg and listed in failed. */
void ike_conns_load(struct ike_ctl *ic, struct cfg *cfg, json_t *failed);

#endif
