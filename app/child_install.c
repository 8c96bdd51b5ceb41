/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Child SAs into the data plane: every negotiated Child SA becomes an
 * inbound and an outbound data-plane SA, installed before the old one of
 * a rekey is removed (make-before-break); a replaced Child SA's inbound
 * SA lingers a moment for the peer's packets in flight; an outbound SA
 * the engine asks to defer (an IKEv1 rekey, until the peer surely has
 * its inbound SA) waits here with its keys; a volume lifetime the data
 * plane reports rekeys the Child SA.
 */
#include "ike_ctl.h"
#include "radius.h"
#include "journal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "sa.h"
#include "settings.h"

/* A rekeyed Child SA's inbound SA stays this long after the delete: the
 * peer may still have packets on it in flight (strongSwan waits 5 s). */
#define IKE_CTL_LINGER_MS 1000

/* A free slot, indexed by the Child SA's inbound SPI. */
static struct ctl_child *child_free_slot(struct ike_ctl *ic, uint32_t spi_in)
{
	uint32_t s = slot_take(&ic->ic_child_slots, spi_in);

	return s == SLOT_NONE ? NULL : &ic->ic_child[s];
}

static void child_slot_free(struct ike_ctl *ic, struct ctl_child *cc)
{
	cc->cc_used = false;
	slot_give_back(&ic->ic_child_slots, (uint32_t)(cc - ic->ic_child));
}

static void out_pending_free(struct ike_ctl *ic, struct ctl_child *cc)
{
	if (!cc->cc_out_pending)
		return;
	ic->ic_n_out_pending--;
	explicit_bzero(cc->cc_out_pending, sizeof(*cc->cc_out_pending));
	free(cc->cc_out_pending);
	cc->cc_out_pending = NULL;
}

/* The outbound SA now, or kept for later when the engine defers it. */
static int install_out(struct ike_ctl *ic, const struct ike_child_info *ci,
		       struct ctl_child *cc, const struct esp_sa_conf *out)
{
	struct app *app = ic->ic_app;

	cc->cc_sa_out = -1;
	if (!ci->ci_out_defer_ms) {
		cc->cc_sa_out = esp_sa_add(app->dp.sadb, app->engine, out);
		return cc->cc_sa_out < 0 ? -EINVAL : 0;
	}
	cc->cc_out_pending = malloc(sizeof(*out));
	if (!cc->cc_out_pending)
		return -ENOMEM;
	*cc->cc_out_pending = *out;
	cc->cc_out_at_ms = eg_now_ms() + ci->ci_out_defer_ms;
	if (!ic->ic_n_out_pending++ || cc->cc_out_at_ms < ic->ic_out_next_ms)
		ic->ic_out_next_ms = cc->cc_out_at_ms;
	return 0;
}

/* Both directions into the data plane (the outbound one perhaps
 * deferred), or neither. */
static int install_pair(struct ike_ctl *ic, const struct ike_child_info *ci,
			struct ctl_child *cc)
{
	struct app *app = ic->ic_app;
	int owner = (int)(ic->ic_owner_rr % app->dp.n_workers);
	struct esp_sa_conf in, out;
	int rc = settings_child_sa(ci, true, owner, &in);

	cc->cc_out_pending = NULL;
	if (rc == 0)
		rc = settings_child_sa(ci, false, owner, &out);
	if (rc == 0) {
		ic->ic_owner_rr++;
		cc->cc_sa_in = esp_sa_add(app->dp.sadb, app->engine, &in);
		rc = cc->cc_sa_in < 0 ? -EINVAL : install_out(ic, ci, cc, &out);
		if (rc && cc->cc_sa_in >= 0)
			esp_sa_del(app->dp.sadb, (uint32_t)cc->cc_sa_in);
	}
	explicit_bzero(&in.algo, sizeof(in.algo));
	explicit_bzero(&out.algo, sizeof(out.algo));
	return rc;
}

const double ike_ctl_latency_le_s[IKE_CTL_LAT_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
};

static void latency_add(struct ctl_latency *l, uint64_t since_tsc)
{
	double s = (double)(rte_rdtsc() - since_tsc) / (double)rte_get_tsc_hz();
	unsigned b = 0;

	while (b < IKE_CTL_LAT_BUCKETS && s > ike_ctl_latency_le_s[b])
		b++;
	l->l_bucket[b]++;
	l->l_count++;
	l->l_sum_s += s;
	if (s > l->l_max_s)
		l->l_max_s = s;
}

/* A setup timed from its IKE SA's first datagram (ci_setup_stamp, the
 * TSC then) to now, its first Child SA installed. */
static void setup_latency_add(struct ike_ctl *ic, uint64_t stamp_tsc)
{
	struct ctl_setup_samples *ss = &ic->ic_setup_samples;

	latency_add(&ic->ic_setup_latency, stamp_tsc);
	ss->ss_ms[ss->ss_next] = (float)((double)(rte_rdtsc() - stamp_tsc) * 1000 /
					 (double)rte_get_tsc_hz());
	ss->ss_next = (ss->ss_next + 1) % IKE_CTL_SETUP_SAMPLES;
	if (ss->ss_n < IKE_CTL_SETUP_SAMPLES)
		ss->ss_n++;
}

void child_install_up(void *ctx, const struct ike_child_info *ci)
{
	struct ike_ctl *ic = ctx;
	uint64_t since = ic->ic_input_tsc ? ic->ic_input_tsc : rte_rdtsc();
	struct ctl_child *cc = child_free_slot(ic, ci->ci_spi_in);
	int rc = cc ? install_pair(ic, ci, cc) : -ENOSPC;
	struct eg_log_fields f;

	eg_fields_of_child(&f, ci);
	if (rc) {
		if (cc)
			child_slot_free(ic, cc);
		EG_LOGF(ERR, &f, "Child SA %s of %s (SPI 0x%08x): not installed: %s", ci->ci_child,
			ci->ci_conn, ci->ci_spi_in, strerror(-rc));
		return;
	}
	latency_add(&ic->ic_install_latency, since);
	if (ci->ci_setup_stamp)
		setup_latency_add(ic, ci->ci_setup_stamp);
	*cc = (struct ctl_child){ .cc_used = true, .cc_ike_id = ci->ci_ike_id,
				  .cc_spi_in = ci->ci_spi_in, .cc_spi_out = ci->ci_spi_out,
				  .cc_sa_in = cc->cc_sa_in, .cc_sa_out = cc->cc_sa_out,
				  .cc_out_pending = cc->cc_out_pending,
				  .cc_out_at_ms = cc->cc_out_at_ms,
				  .cc_created_ms = eg_now_ms() };
	snprintf(cc->cc_conn, sizeof(cc->cc_conn), "%s", ci->ci_conn);
	snprintf(cc->cc_name, sizeof(cc->cc_name), "%s", ci->ci_child);
	EG_LOGF(INFO, &f, "Child SA %s of %s installed: SPIs in 0x%08x out 0x%08x%s%s",
		ci->ci_child, ci->ci_conn, ci->ci_spi_in, ci->ci_spi_out,
		ci->ci_encap ? ", UDP-encapsulated" : "",
		cc->cc_out_pending ? "; outbound after the peer's" : "");
	traps_child_up(ic->ic_app, ci->ci_conn);
	radius_child_up(ic->ic_app, ci);
}

/* By its IKE SA and inbound SPI; after an IKE SA rekey moved it, by SPI
 * alone. */
static struct ctl_child *child_find(struct ike_ctl *ic, uint32_t ike_id, uint32_t spi_in)
{
	const struct slot_index *x = &ic->ic_child_slots;
	struct ctl_child *any = NULL;

	for (uint32_t s = slot_first(x, spi_in); s != SLOT_NONE; s = slot_next(x, s)) {
		struct ctl_child *cc = &ic->ic_child[s];

		if (!cc->cc_used)
			continue;
		if (cc->cc_ike_id == ike_id)
			return cc;
		any = any ? any : cc;
	}
	return any;
}

void child_install_down(void *ctx, const struct ike_child_info *ci)
{
	struct ike_ctl *ic = ctx;
	struct ctl_child *cc = child_find(ic, ci->ci_ike_id, ci->ci_spi_in);
	struct eg_log_fields f;

	if (!cc)
		return;
	out_pending_free(ic, cc);
	radius_child_gone(ic->ic_app, cc->cc_ike_id, cc->cc_sa_in, cc->cc_sa_out);
	if (cc->cc_sa_out >= 0)
		esp_sa_del(ic->ic_app->dp.sadb, (uint32_t)cc->cc_sa_out);
	if (ci->ci_replaced && ic->ic_linger_head - ic->ic_linger_tail < IKE_CTL_LINGER) {
		unsigned k = ic->ic_linger_head++ % IKE_CTL_LINGER;
		ic->ic_linger[k].sa = (uint32_t)cc->cc_sa_in;
		ic->ic_linger[k].at_ms = eg_now_ms() + IKE_CTL_LINGER_MS;
	} else {
		esp_sa_del(ic->ic_app->dp.sadb, (uint32_t)cc->cc_sa_in);
	}
	eg_fields_of_child(&f, ci);
	EG_LOGF(INFO, &f, "Child SA %s of %s removed (SPIs in 0x%08x out 0x%08x)%s", cc->cc_name,
		cc->cc_conn, cc->cc_spi_in, cc->cc_spi_out,
		ci->ci_replaced ? "; its inbound SA goes in 1 s" : "");
	child_slot_free(ic, cc);
}

/* The outbound SA of a Child SA whose IKE SA moved, rebuilt for its new
 * outer addresses and encapsulation: a deferred one in place, an
 * installed one replaced (esp_sa_replace: its owner, SPI and sequence
 * numbers carried on); its new id, or -errno. */
static int move_out(struct ike_ctl *ic, struct ctl_child *cc, const struct ike_child_info *ci)
{
	struct app *app = ic->ic_app;
	const struct esp_sa *old = cc->cc_sa_out >= 0 ?
		esp_sa_by_id(app->dp.sadb, (uint32_t)cc->cc_sa_out) : NULL;
	int owner = cc->cc_out_pending ? cc->cc_out_pending->owner : old ? old->sa_owner : -1;
	struct esp_sa_conf out;
	int rc = owner < 0 ? -ENOENT : settings_child_sa(ci, false, owner, &out);

	if (rc == 0 && cc->cc_out_pending)
		*cc->cc_out_pending = out;
	else if (rc == 0)
		rc = esp_sa_replace(app->dp.sadb, app->engine, (uint32_t)cc->cc_sa_out, &out);
	explicit_bzero(&out.algo, sizeof(out.algo));
	return rc;
}

/* MOBIKE (RFC 4555 §3.5): the IKE SA moved and this Child SA with it,
 * without a new exchange. Only the outbound SA holds the peer's address
 * (its outer destination, NAT-T ports); the inbound one is found by SPI
 * and our own address and checks nothing of the peer's: it stays. */
void child_install_moved(void *ctx, const struct ike_child_info *ci)
{
	struct ike_ctl *ic = ctx;
	struct ctl_child *cc = child_find(ic, ci->ci_ike_id, ci->ci_spi_in);
	uint64_t *cnt = ic->ic_app->ctl.c_cnt;
	char a[64];
	int rc = cc ? move_out(ic, cc, ci) : -ENOENT;

	if (rc < 0) {
		cnt[DP_C_sa_move_failed]++;
		EG_LOG(ERR, "Child SA %s of %s (SPI 0x%08x): not moved: %s", ci->ci_child,
		       ci->ci_conn, ci->ci_spi_out, strerror(-rc));
		return;
	}
	if (!cc->cc_out_pending)
		cc->cc_sa_out = rc;
	cnt[DP_C_sa_moved]++;
	ip_addr_format(&ci->ci_remote.ep_addr, a, sizeof(a));
	EG_LOG(INFO, "Child SA %s of %s moved to %s:%u%s: SPIs in 0x%08x out 0x%08x kept",
	       ci->ci_child, ci->ci_conn, a, ci->ci_remote.ep_port,
	       ci->ci_encap ? ", UDP-encapsulated" : "", ci->ci_spi_in, ci->ci_spi_out);
}

/* Deferred outbound SAs whose time has come; the slots are scanned only
 * once the earliest is due (ic_out_next_ms, never later than it). */
static void out_pending_install(struct ike_ctl *ic, uint64_t now_ms)
{
	struct app *app = ic->ic_app;
	uint64_t next = UINT64_MAX;

	if (!ic->ic_n_out_pending || now_ms < ic->ic_out_next_ms)
		return;
	for (unsigned i = 0; ic->ic_n_out_pending && i < IKE_CTL_CHILDREN; i++) {
		struct ctl_child *cc = &ic->ic_child[i];

		if (!cc->cc_used || !cc->cc_out_pending)
			continue;
		if (cc->cc_out_at_ms > now_ms) {
			next = cc->cc_out_at_ms < next ? cc->cc_out_at_ms : next;
			continue;
		}
		cc->cc_sa_out = esp_sa_add(app->dp.sadb, app->engine, cc->cc_out_pending);
		if (cc->cc_sa_out < 0)
			EG_LOG(ERR, "Child SA %s of %s (SPI 0x%08x): outbound SA not installed",
			       cc->cc_name, cc->cc_conn, cc->cc_spi_out);
		out_pending_free(ic, cc);
	}
	ic->ic_out_next_ms = next;
}

void child_install_linger_expire(struct ike_ctl *ic, uint64_t now_ms)
{
	out_pending_install(ic, now_ms);
	while (ic->ic_linger_tail != ic->ic_linger_head &&
	       ic->ic_linger[ic->ic_linger_tail % IKE_CTL_LINGER].at_ms <= now_ms)
		esp_sa_del(ic->ic_app->dp.sadb,
			   ic->ic_linger[ic->ic_linger_tail++ % IKE_CTL_LINGER].sa);
}

void ike_ctl_sa_lifetime(struct app *app, uint32_t sa_id, bool hard)
{
	struct ike_ctl *ic = app->ike;
	int rc;

	for (unsigned i = 0; ic && i < IKE_CTL_CHILDREN; i++) {
		struct ctl_child *cc = &ic->ic_child[i];

		if (!cc->cc_used || (cc->cc_sa_in != (int)sa_id && cc->cc_sa_out != (int)sa_id))
			continue;
		/* Make-before-break: the new Child SA is installed before this
		 * one goes; past the hard limit its traffic waits for it. */
		rc = ike_engine_rekey_child(ic->ic_engine, cc->cc_ike_id, cc->cc_spi_in, eg_now_ms());
		if (rc == 0)
			EG_LOG(INFO, "Child SA %s of %s (SPI 0x%08x): %s volume lifetime, rekeying",
			       cc->cc_name, cc->cc_conn, cc->cc_spi_in, hard ? "hard" : "soft");
		else if (rc != -EALREADY)
			EG_LOG(WARNING, "Child SA %s of %s (SPI 0x%08x): cannot rekey: %s",
			       cc->cc_name, cc->cc_conn, cc->cc_spi_in, strerror(-rc));
		return;
	}
}

void child_install_fini(struct ike_ctl *ic)
{
	for (unsigned i = 0; ic->ic_n_out_pending && i < IKE_CTL_CHILDREN; i++)
		out_pending_free(ic, &ic->ic_child[i]);
}
