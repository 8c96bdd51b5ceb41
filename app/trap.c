/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * On-demand tunnels: connections whose start action is "trap" have their
 * children's selectors in the data plane's trap table (lib/dataplane/
 * trap.h). The first packet a trap covers, while no SA does, reaches the
 * control lcore here: it is held, the connection is initiated, and the
 * held packets go out through the Child SA once it is installed
 * (RFC 4301 §4.4.1). The hold is bounded in packets and time, and every
 * packet that does not make it is counted.
 */
#include "espgate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "esp.h"
#include "frame.h"
#include "trap.h"

#define TRAP_HOLD_MAX 32      /* packets held per connection */
#define TRAP_HOLD_MS 10000    /* how long a held packet waits for its SA */
#define TRAP_RETRY_MS 5000    /* initiations of one connection at most this often */
#define TRAP_PENDING_MS 60000 /* an initiation no event answered is forgotten */

struct trap_conn {
	char tc_name[CFG_NAME_MAX];
	bool tc_pending;           /* initiated; no Child SA or failure yet */
	uint64_t tc_initiated_ms;  /* the last initiation that did not come up */
	uint64_t tc_initiations;
	unsigned tc_n;             /* held packets, oldest first */
	struct rte_mbuf *tc_mb[TRAP_HOLD_MAX];
	uint64_t tc_at_ms[TRAP_HOLD_MAX];
};

struct traps {
	unsigned t_n;
	unsigned t_held; /* over all connections, at most DP_TRAP_HOLD_TOTAL */
	struct trap_conn *t_conn;
};

static void count(struct app *app, enum dp_control_counter c, unsigned n)
{
	app->ctl.c_cnt[c] += n;
}

static void drop_held(struct app *app, struct traps *t, struct trap_conn *tc, unsigned n,
		      enum dp_control_counter why)
{
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(tc->tc_mb[i]);
	memmove(tc->tc_mb, tc->tc_mb + n, (tc->tc_n - n) * sizeof(tc->tc_mb[0]));
	memmove(tc->tc_at_ms, tc->tc_at_ms + n, (tc->tc_n - n) * sizeof(tc->tc_at_ms[0]));
	tc->tc_n -= n;
	t->t_held -= n;
	count(app, why, n);
}

static struct trap_conn *trap_conn_named(const struct app *app, const char *name)
{
	const struct traps *t = app->traps;

	for (unsigned i = 0; t && i < t->t_n; i++)
		if (strcmp(t->t_conn[i].tc_name, name) == 0)
			return &t->t_conn[i];
	return NULL;
}

/* One trap per pair of a child's local and remote selectors that can
 * meet in one packet; the configuration keeps their number in bounds. */
static unsigned child_traps(const struct cfg_child *ch, uint32_t tag, struct dp_trap *out)
{
	unsigned n = 0;

	for (unsigned l = 0; l < ch->n_local_ts; l++) {
		for (unsigned r = 0; r < ch->n_remote_ts; r++) {
			const struct cfg_child_ts *a = &ch->local_ts[l], *b = &ch->remote_ts[r];

			if (!cfg_ts_pair_meets(a, b))
				continue;
			out[n++] = (struct dp_trap){
				.t_ts = { .src = a->prefix, .dst = b->prefix,
					  .proto = a->proto ? a->proto : b->proto,
					  .sport_lo = a->port_lo, .sport_hi = a->port_hi,
					  .dport_lo = b->port_lo, .dport_hi = b->port_hi },
				.t_tag = tag };
		}
	}
	return n;
}

static unsigned trap_conn_count(const struct cfg *cfg)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cfg->n_conns; i++)
		n += cfg->conns[i].start == CFG_START_TRAP;
	return n;
}

/* A new set of trap connections: held packets of the ones that stay are
 * kept, those of removed ones dropped. */
static struct traps *traps_build(struct app *app, struct dp_trap *tt, unsigned *ntt)
{
	const struct cfg *cfg = &app->cfg;
	struct traps *t = calloc(1, sizeof(*t));
	unsigned n = trap_conn_count(cfg);

	*ntt = 0;
	if (!t || (n && !(t->t_conn = calloc(n, sizeof(*t->t_conn))))) {
		free(t);
		return NULL;
	}
	for (unsigned i = 0; i < cfg->n_conns; i++) {
		const struct cfg_conn *cc = &cfg->conns[i];
		struct trap_conn *tc, *old;

		if (cc->start != CFG_START_TRAP)
			continue;
		if (*ntt + cfg_conn_trap_pairs(cc) > DP_MAX_TRAPS)
			break; /* cfg_load refuses this: never past the table */
		tc = &t->t_conn[t->t_n];
		old = trap_conn_named(app, cc->name);
		if (old) {
			*tc = *old;
			t->t_held += old->tc_n;
			app->traps->t_held -= old->tc_n;
			old->tc_n = 0; /* moved */
		}
		snprintf(tc->tc_name, sizeof(tc->tc_name), "%s", cc->name);
		for (unsigned k = 0; k < cc->n_children; k++)
			*ntt += child_traps(&cc->children[k], t->t_n, tt + *ntt);
		t->t_n++;
	}
	return t;
}

static void traps_release_all(struct app *app, struct traps *t)
{
	for (unsigned i = 0; t && i < t->t_n; i++)
		drop_held(app, t, &t->t_conn[i], t->t_conn[i].tc_n, DP_C_trap_not_covered);
}

int traps_sync(struct app *app)
{
	static struct dp_trap tt[DP_MAX_TRAPS];
	struct traps *t, *old = app->traps;
	unsigned ntt;
	int rc;

	t = traps_build(app, tt, &ntt);
	if (!t)
		return -ENOMEM;
	rc = dp_traps_set(&app->dp, tt, ntt);
	if (rc != 0) {
		traps_release_all(app, t);
		free(t->t_conn);
		free(t);
		return rc;
	}
	app->traps = t;
	traps_release_all(app, old); /* connections no longer trapped */
	if (old)
		free(old->t_conn);
	free(old);
	if (t->t_n)
		EG_LOG(INFO, "%u trap connections, %u trap selectors in the data plane", t->t_n, ntt);
	return 0;
}

void traps_fini(struct app *app)
{
	traps_release_all(app, app->traps);
	if (app->traps)
		free(app->traps->t_conn);
	free(app->traps);
	app->traps = NULL;
	dp_traps_free(&app->dp);
}

/* The connection whose trap covers m, looked up again: the table may
 * have been replaced since the worker matched it. */
static struct trap_conn *trap_of(struct app *app, const struct rte_mbuf *m)
{
	const struct dp_trap *tr;
	struct frame_ip ip;
	uint16_t sport, dport;
	uint8_t proto;

	if (!app->traps ||
	    !frame_ip(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), &ip))
		return NULL;
	esp_l4_ports(ip.fi_l3.p, (uint32_t)ip.fi_l3.left, &proto, &sport, &dport);
	tr = dp_trap_match(&app->dp, ip.fi_src.family, ip.fi_src.bytes, ip.fi_dst.bytes, proto,
			   sport, dport);
	return tr && tr->t_tag < app->traps->t_n ? &app->traps->t_conn[tr->t_tag] : NULL;
}

static void trap_initiate(struct app *app, struct trap_conn *tc, uint64_t now)
{
	int rc;

	if (tc->tc_pending || (tc->tc_initiated_ms && now - tc->tc_initiated_ms < TRAP_RETRY_MS))
		return;
	rc = ike_ctl_initiate(app, tc->tc_name);
	tc->tc_initiated_ms = now;
	tc->tc_initiations++;
	if (rc < 0) {
		EG_LOG(ERR, "connection %s: traffic to trap, but cannot initiate: %s",
		       tc->tc_name, strerror(-rc));
		return;
	}
	tc->tc_pending = true;
	count(app, DP_C_trap_initiations, 1);
	EG_LOG(INFO, "connection %s: trapped traffic, initiating IKE SA %d", tc->tc_name, rc);
}

void traps_packet(struct app *app, struct rte_mbuf *m)
{
	struct trap_conn *tc = trap_of(app, m);
	uint64_t now = eg_now_ms();

	if (!tc) {
		count(app, DP_C_trap_not_covered, 1);
		rte_pktmbuf_free(m);
		return;
	}
	/* The Child SA may have been installed since the worker looked. */
	if (dp_esp_from_control(&app->dp, m) == DP_CTL_ESP_QUEUED) {
		count(app, DP_C_trap_released, 1);
		return;
	}
	if (tc->tc_n == TRAP_HOLD_MAX || app->traps->t_held >= DP_TRAP_HOLD_TOTAL) {
		count(app, DP_C_trap_hold_full, 1);
		rte_pktmbuf_free(m);
	} else {
		tc->tc_at_ms[tc->tc_n] = now;
		tc->tc_mb[tc->tc_n++] = m;
		app->traps->t_held++;
	}
	trap_initiate(app, tc, now);
}

void traps_child_up(struct app *app, const char *conn)
{
	struct trap_conn *tc = trap_conn_named(app, conn);
	unsigned sent = 0, kept = 0;

	if (!tc)
		return;
	tc->tc_pending = false;
	tc->tc_initiated_ms = 0; /* it came up: the next need may initiate at once */
	for (unsigned i = 0; i < tc->tc_n; i++) {
		if (dp_esp_from_control(&app->dp, tc->tc_mb[i]) == DP_CTL_ESP_QUEUED) {
			sent++;
			continue;
		}
		/* Another child of the connection may come next; or the peer
		 * narrowed this one (RFC 7296 §2.9) and it expires. */
		tc->tc_at_ms[kept] = tc->tc_at_ms[i];
		tc->tc_mb[kept++] = tc->tc_mb[i];
	}
	count(app, DP_C_trap_released, sent);
	app->traps->t_held -= sent;
	if (sent)
		EG_LOG(INFO, "connection %s: %u held packets sent, %u not covered yet", conn, sent,
		       kept);
	tc->tc_n = kept;
}

void traps_failed(struct app *app, const char *conn)
{
	struct trap_conn *tc = trap_conn_named(app, conn);

	if (!tc)
		return;
	tc->tc_pending = false;
	drop_held(app, app->traps, tc, tc->tc_n, DP_C_trap_failed);
}

void traps_tick(struct app *app, uint64_t now)
{
	for (unsigned i = 0; app->traps && i < app->traps->t_n; i++) {
		struct trap_conn *tc = &app->traps->t_conn[i];
		unsigned old = 0;

		while (old < tc->tc_n && now - tc->tc_at_ms[old] >= TRAP_HOLD_MS)
			old++;
		if (old)
			drop_held(app, app->traps, tc, old, DP_C_trap_expired);
		if (tc->tc_pending && now - tc->tc_initiated_ms >= TRAP_PENDING_MS)
			tc->tc_pending = false;
	}
}

unsigned traps_held(const struct app *app)
{
	return app->traps ? app->traps->t_held : 0;
}

json_t *traps_json(const struct app *app)
{
	json_t *a = json_array();

	for (unsigned i = 0; app->traps && i < app->traps->t_n; i++) {
		const struct trap_conn *tc = &app->traps->t_conn[i];

		json_array_append_new(a, json_pack("{s:s, s:i, s:b, s:I}", "conn", tc->tc_name,
						   "held", tc->tc_n, "initiating", tc->tc_pending,
						   "initiations", (json_int_t)tc->tc_initiations));
	}
	return a;
}
