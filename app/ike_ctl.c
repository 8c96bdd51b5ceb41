/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ike on the control lcore: the engine's life and clock, and its IKE
 * SA events. Datagrams are ike_io.c's, Child SAs child_install.c's,
 * connections ike_conns.c's, espgatectl's commands ike_cmds.c's.
 */
#include "ike_ctl.h"
#include "journal.h"
#include "radius.h"
#include "settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IKE_TICK_MS 50

uint64_t eg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- IKE SA events ---- */

static void ev_ike_up(void *ctx, const struct ike_sa_info *sa)
{
	struct ike_ctl *ic = ctx;
	uint32_t s = slot_take(&ic->ic_sa_slots, sa->si_id);
	struct eg_log_fields f;

	if (s != SLOT_NONE) {
		ic->ic_sa[s] = (struct ctl_ike_sa){ .is_used = true, .is_info = *sa,
						    .is_created_ms = eg_now_ms() };
		snprintf(ic->ic_sa[s].is_conn, sizeof(ic->ic_sa[s].is_conn), "%s", sa->si_conn);
	}
	/* After an IKE SA rekey its children belong to the new one. */
	eg_fields_of_sa(&f, sa);
	EG_LOGF(INFO, &f, "IKE SA %u (%s) established", sa->si_id, sa->si_conn);
}

static void ev_ike_down(void *ctx, const struct ike_sa_info *sa)
{
	struct ike_ctl *ic = ctx;
	uint32_t s = slot_first(&ic->ic_sa_slots, sa->si_id);
	struct eg_log_fields f;

	if (s != SLOT_NONE) {
		ic->ic_sa[s].is_used = false;
		slot_give_back(&ic->ic_sa_slots, s);
	}

	radius_ike_down(ic->ic_app, sa);
	eg_fields_of_sa(&f, sa);
	EG_LOGF(INFO, &f, "IKE SA %u (%s) down: %s", sa->si_id, sa->si_conn,
		sa->si_reason ? sa->si_reason : "");
}

/* MOBIKE (RFC 4555 §3.5): the peer's new address, for the listings. */
static void ev_ike_moved(void *ctx, const struct ike_sa_info *sa)
{
	struct ike_ctl *ic = ctx;
	char a[64];

	for (unsigned i = 0; i < IKE_CTL_SAS; i++)
		if (ic->ic_sa[i].is_used && ic->ic_sa[i].is_info.si_id == sa->si_id) {
			ic->ic_sa[i].is_info.si_local = sa->si_local;
			ic->ic_sa[i].is_info.si_remote = sa->si_remote;
		}
	ip_addr_format(&sa->si_remote.ep_addr, a, sizeof(a));
	EG_LOG(INFO, "IKE SA %u (%s) moved by the peer to %s:%u", sa->si_id, sa->si_conn, a,
	       sa->si_remote.ep_port);
}

static void ev_ike_failed(void *ctx, const struct ike_sa_info *sa)
{
	struct ike_ctl *ic = ctx;

	struct eg_log_fields f;

	eg_fields_of_sa(&f, sa);
	EG_LOGF(WARNING, &f, "IKE SA %u (%s) did not come up: %s", sa->si_id, sa->si_conn,
		sa->si_reason ? sa->si_reason : "");
	traps_failed(ic->ic_app, sa->si_conn);
}

static void ev_log(void *ctx, enum ike_log_level level, const struct ike_log_fields *f,
		   const char *line)
{
	struct eg_log_fields lf = { .lf_ike = *f };

	(void)ctx;
	if (level == IKE_LOG_INFO)
		EG_LOGF(INFO, &lf, "ike: %s", line);
	else
		EG_LOGF(DEBUG, &lf, "ike: %s", line);
}

/* ---- the engine ---- */

/* Every server's every try and a margin, within the half-open SA's 30 s. */
static uint32_t radius_wait_ms(const struct cfg_radius *rc)
{
	uint32_t ms = rc->n_servers * (rc->retries + 1) * rc->timeout_s * 1000 + 2000;

	return ms < 25000 ? ms : 25000;
}

void ike_ctl_pools(struct ike_ctl *ic, const struct cfg *cfg)
{
	ike_engine_pools_begin(ic->ic_engine);
	for (unsigned i = 0; i < cfg->n_pools; i++) {
		struct ike_pool_cfg pc;

		settings_pool(&cfg->pools[i], &pc);
		if (ike_engine_add_pool(ic->ic_engine, &pc) != 0)
			EG_LOG(ERR, "IKE: pool %s not loaded", pc.pc_name);
	}
	ike_engine_pools_commit(ic->ic_engine);
}

void ike_ctl_eap_users(struct ike_ctl *ic, const struct cfg *cfg)
{
	struct ike_eap_user *u = cfg->n_eap_users ? calloc(cfg->n_eap_users, sizeof(*u)) : NULL;
	int rc = cfg->n_eap_users && !u ? -ENOMEM : 0;

	for (unsigned i = 0; u && i < cfg->n_eap_users; i++) {
		memcpy(u[i].eu_name, cfg->eap_users[i].name, sizeof(u[i].eu_name));
		u[i].eu_password = cfg->eap_users[i].password;
		u[i].eu_password_len = cfg->eap_users[i].password_len;
	}
	if (rc == 0)
		rc = ike_engine_set_eap_users(ic->ic_engine, u, u ? cfg->n_eap_users : 0);
	free(u); /* pointers only: the passwords stay in cfg, and the engine's copy */
	if (rc == -ENOTSUP)
		EG_LOG(ERR, "IKE: EAP-MSCHAPv2 needs MD4 and DES from OpenSSL's legacy provider (ossl-modules/legacy.so), which did not load: its clients will be refused");
	else if (rc != 0)
		EG_LOG(ERR, "IKE: EAP users not loaded: %s", strerror(-rc));
	else if (cfg->n_eap_users)
		EG_LOG(INFO, "IKE: %u EAP-MSCHAPv2 users", cfg->n_eap_users);
}

void ike_ctl_limits(struct ike_ctl *ic, const struct cfg *cfg)
{
	struct ike_limits l = { .li_cookie_threshold = cfg->ike_cookie_threshold,
				.li_half_open_per_src = cfg->ike_half_open_per_peer };

	if (ic->ic_limits_set && l.li_cookie_threshold == ic->ic_limits.li_cookie_threshold &&
	    l.li_half_open_per_src == ic->ic_limits.li_half_open_per_src)
		return;
	ike_engine_set_limits(ic->ic_engine, &l);
	ic->ic_limits = l;
	ic->ic_limits_set = true;
	EG_LOG(INFO, "IKE: COOKIE from %u half-open SAs%s, at most %u half-open per peer address%s",
	       l.li_cookie_threshold, l.li_cookie_threshold ? "" : " (never)",
	       l.li_half_open_per_src, l.li_half_open_per_src ? "" : " (no cap)");
}

int ike_ctl_start(struct app *app, json_t *failed)
{
	struct ike_events ev = {
		.ev_send = ike_io_send, .ev_ike_up = ev_ike_up, .ev_ike_down = ev_ike_down,
		.ev_child_up = child_install_up, .ev_child_down = child_install_down,
		.ev_log = ev_log, .ev_keepalive = ike_io_keepalive, .ev_ike_failed = ev_ike_failed,
		.ev_ike_moved = ev_ike_moved, .ev_child_moved = child_install_moved,
		.ev_eap_radius = radius_eap_request,
	};
	struct ike_ctl *ic;

	if (!app->cfg.n_conns)
		return 0;
	ic = calloc(1, sizeof(*ic));
	if (!ic)
		return -ENOMEM;
	ic->ic_app = app;
	ev.ev_ctx = ic;
	ic->ic_engine = ike_engine_new(&ev);
	if (!ic->ic_engine || slot_index_init(&ic->ic_child_slots, IKE_CTL_CHILDREN) != 0 ||
	    slot_index_init(&ic->ic_sa_slots, IKE_CTL_SAS) != 0) {
		ike_engine_free(ic->ic_engine);
		slot_index_fini(&ic->ic_child_slots);
		free(ic);
		return -ENOMEM;
	}
	app->ike = ic;
	ike_engine_set_radius_wait(ic->ic_engine, radius_wait_ms(&app->cfg.radius));
	ike_ctl_limits(ic, &app->cfg);
	ike_ctl_pools(ic, &app->cfg);
	ike_ctl_eap_users(ic, &app->cfg);
	ike_conns_load(ic, &app->cfg, failed);
	if (traps_sync(app) != 0)
		EG_LOG(ERR, "trap policies not installed: out of memory");
	EG_LOG(INFO, "IKE: %u connections, ports %u and %u", app->cfg.n_conns,
	       app->cfg.ike_port, app->cfg.ike_natt_port);
	return 0;
}

int ike_ctl_init(struct app *app)
{
	json_t *failed = json_array();
	int rc = ike_ctl_start(app, failed);

	json_decref(failed);
	return rc;
}

void ike_ctl_fini(struct app *app)
{
	traps_fini(app);
	if (!app->ike)
		return;
	ike_engine_free(app->ike->ic_engine);
	child_install_fini(app->ike);
	for (unsigned i = 0; i < CFG_MAX_CONNS_CRED; i++) {
		ike_cred_free(app->ike->ic_cred[i]);
		ike_trust_free(app->ike->ic_trust[i]);
	}
	slot_index_fini(&app->ike->ic_child_slots);
	slot_index_fini(&app->ike->ic_sa_slots);
	free(app->ike);
	app->ike = NULL;
}

unsigned ike_ctl_poll(struct app *app)
{
	struct ike_ctl *ic = app->ike;
	uint64_t now;

	if (!ic)
		return 0;
	now = eg_now_ms();
	radius_poll(app, now);
	if (now < ic->ic_next_tick)
		return 0;
	ic->ic_next_tick = now + IKE_TICK_MS;
	ike_engine_tick(ic->ic_engine, now);
	child_install_linger_expire(ic, now);
	traps_tick(app, now);
	return 0;
}

/* An initiate timed as a setup from now (ike_ctl.h, ic_setup_latency). */
int ike_ctl_engine_initiate(struct ike_ctl *ic, const char *conn)
{
	int rc;

	ike_engine_set_input_stamp(ic->ic_engine, rte_rdtsc());
	rc = ike_engine_initiate(ic->ic_engine, conn, eg_now_ms());
	ike_engine_set_input_stamp(ic->ic_engine, 0);
	return rc;
}

int ike_ctl_initiate(struct app *app, const char *conn)
{
	if (!app->ike)
		return -ENOENT;
	return ike_ctl_engine_initiate(app->ike, conn);
}
