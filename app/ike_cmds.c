/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * espgatectl's IKE commands: initiate, terminate and rekey, and the IKE
 * and Child SAs in the "sas" listing.
 */
#include "ike_ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* espgatectl initiate NAME | terminate NAME|ID | rekey ID [child] */
json_t *ike_ctl_command(struct app *app, const char *cmd, const char *arg, bool children)
{
	struct ike_ctl *ic = app->ike;
	char *end;
	unsigned long id = arg ? strtoul(arg, &end, 10) : 0;
	bool numeric = arg && *arg && !*end;
	int rc = -ENOENT, n = 0;

	if (!ic)
		return json_pack("{s:s}", "error", "no IKE connections are configured");
	if (!arg || !*arg)
		return json_pack("{s:s}", "error", "which connection or IKE SA?");
	if (strcmp(cmd, "initiate") == 0) {
		rc = ike_ctl_initiate(app, arg);
		return rc > 0 ? json_pack("{s:s, s:i}", "result", "initiating", "ike_id", rc)
			      : json_pack("{s:s, s:s}", "error", "unknown connection, or no remote address", "conn", arg);
	}
	for (unsigned i = 0; i < IKE_CTL_SAS; i++) {
		const struct ctl_ike_sa *s = &ic->ic_sa[i];

		if (!s->is_used || (numeric ? s->is_info.si_id != id : strcmp(s->is_conn, arg) != 0))
			continue;
		if (strcmp(cmd, "terminate") == 0)
			rc = ike_engine_terminate(ic->ic_engine, s->is_info.si_id, eg_now_ms());
		else
			rc = ike_engine_rekey(ic->ic_engine, s->is_info.si_id, children, eg_now_ms());
		n += rc == 0;
	}
	if (!n)
		return json_pack("{s:s, s:s}", "error", "no such IKE SA", "target", arg);
	return json_pack("{s:s, s:i}", "result", strcmp(cmd, "terminate") == 0 ? "deleting" : "rekeying",
			 "ike_sas", n);
}

static json_t *ike_sa_json(const struct ctl_ike_sa *s, uint64_t now)
{
	char spi_i[17], spi_r[17], local[IP_ADDR_STRLEN], remote[IP_ADDR_STRLEN];

	snprintf(spi_i, sizeof(spi_i), "%016llx", (unsigned long long)s->is_info.si_spi_i);
	snprintf(spi_r, sizeof(spi_r), "%016llx", (unsigned long long)s->is_info.si_spi_r);
	ip_addr_format(&s->is_info.si_local.ep_addr, local, sizeof(local));
	ip_addr_format(&s->is_info.si_remote.ep_addr, remote, sizeof(remote));
	/* "mode" is IKEv1's phase 1 exchange; IKEv2 has one way in. */
	return json_pack("{s:i, s:s, s:s, s:i, s:s?, s:s, s:s, s:b, s:s, s:i, s:s, s:i, s:I}",
			 "id", s->is_info.si_id, "conn", s->is_conn, "state", "ESTABLISHED",
			 "version", s->is_info.si_version,
			 "mode", s->is_info.si_version != 1 ? NULL : s->is_info.si_aggressive ? "aggressive" : "main",
			 "spi_i", spi_i, "spi_r", spi_r, "initiator", s->is_info.si_initiator,
			 "local", local, "local_port", s->is_info.si_local.ep_port,
			 "remote", remote, "remote_port", s->is_info.si_remote.ep_port,
			 "age_s", (json_int_t)((now - s->is_created_ms) / 1000));
}

static json_t *child_json(const struct ctl_child *c, uint64_t now)
{
	char in[9], out[9];

	snprintf(in, sizeof(in), "%08x", c->cc_spi_in);
	snprintf(out, sizeof(out), "%08x", c->cc_spi_out);
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:I}", "ike_id", c->cc_ike_id,
			 "conn", c->cc_conn, "child", c->cc_name, "state", "INSTALLED",
			 "spi_in", in, "spi_out", out, "sa_in", c->cc_sa_in, "sa_out", c->cc_sa_out,
			 "age_s", (json_int_t)((now - c->cc_created_ms) / 1000));
}

void ike_ctl_usage_json(const struct app *app, json_t *obj)
{
	const struct ike_ctl *ic = app->ike;
	struct ike_stats st = { 0 };
	unsigned children = 0;

	if (ic)
		ike_engine_stats(ic->ic_engine, &st);
	for (unsigned i = 0; ic && i < IKE_CTL_CHILDREN; i++)
		children += ic->ic_child[i].cc_used;
	json_object_update_new(obj, json_pack("{s:I, s:I, s:i, s:i, s:i}",
		"ike_sas", (json_int_t)st.st_sas, "ike_half_open", (json_int_t)st.st_half_open,
		"child_sas", children,
		"lingering_sas", ic ? ic->ic_linger_head - ic->ic_linger_tail : 0,
		"outbound_pending", ic ? ic->ic_n_out_pending : 0));
}

/* stats' "sa_install": how many Child SAs were installed and how long
 * that took (ike_ctl.h's ctl_latency). */
json_t *ike_ctl_latency_json(const struct app *app)
{
	static const struct ctl_latency none;
	const struct ctl_latency *l = app->ike ? &app->ike->ic_install_latency : &none;

	return json_pack("{s:I, s:f, s:f}", "count", (json_int_t)l->l_count,
			 "mean_ms", l->l_count ? l->l_sum_s * 1000 / (double)l->l_count : 0.0,
			 "max_ms", l->l_max_s * 1000);
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* The q-quantile (0..1) of n sorted values, nearest rank. */
static double quantile(const float *v, unsigned n, double q)
{
	unsigned rank = (unsigned)(q * n + 0.999999);

	if (rank > n)
		rank = n;
	return n ? v[rank ? rank - 1 : 0] : 0.0;
}

/* ike_setup: IKE setups timed from their first datagram (or initiate)
 * to their first Child SA in the data plane, over all of them (count,
 * mean, max) and the last IKE_CTL_SETUP_SAMPLES (median, p99). */
json_t *ike_ctl_setup_json(const struct app *app)
{
	static const struct ctl_latency none;
	const struct ctl_latency *l = app->ike ? &app->ike->ic_setup_latency : &none;
	unsigned n = app->ike ? app->ike->ic_setup_samples.ss_n : 0;
	float *v = n ? malloc(n * sizeof(*v)) : NULL;
	json_t *r;

	if (v) {
		memcpy(v, app->ike->ic_setup_samples.ss_ms, n * sizeof(*v));
		qsort(v, n, sizeof(*v), cmp_float);
	} else {
		n = 0;
	}
	r = json_pack("{s:I, s:I, s:f, s:f, s:f, s:f}", "count", (json_int_t)l->l_count,
		      "samples", (json_int_t)n, "median_ms", quantile(v, n, 0.5),
		      "p99_ms", quantile(v, n, 0.99),
		      "mean_ms", l->l_count ? l->l_sum_s * 1000 / (double)l->l_count : 0.0,
		      "max_ms", l->l_max_s * 1000);
	free(v);
	return r;
}

/* Every engine counter (IKE_STATS), stats' "ike" block: the IKE flood
 * bench reads them. */
json_t *ike_ctl_stats_json(const struct app *app)
{
	struct ike_stats st = { 0 };
	json_t *o = json_object();

	if (app->ike)
		ike_engine_stats(app->ike->ic_engine, &st);
	for (unsigned i = 0; i < ike_stats_count; i++) {
		uint64_t v;

		memcpy(&v, (const uint8_t *)&st + ike_stats_info[i].offset, sizeof(v));
		json_object_set_new(o, ike_stats_info[i].name, json_integer((json_int_t)v));
	}
	return o;
}

struct progress_walk {
	json_t *list;
	uint64_t now;
};

/* An IKE SA on its way up: who, in which state, since when, and how
 * often our request was sent again. */
static void progress_json(void *ctx, const struct ike_sa_progress *sp)
{
	struct progress_walk *w = ctx;
	char spi_i[17], remote[IP_ADDR_STRLEN];

	snprintf(spi_i, sizeof(spi_i), "%016llx", (unsigned long long)sp->sp_info.si_spi_i);
	ip_addr_format(&sp->sp_info.si_remote.ep_addr, remote, sizeof(remote));
	json_array_append_new(w->list,
		json_pack("{s:i, s:s, s:s, s:i, s:b, s:s, s:s, s:i, s:I, s:i}",
			  "id", sp->sp_info.si_id, "conn", sp->sp_info.si_conn,
			  "state", sp->sp_state, "version", sp->sp_info.si_version,
			  "initiator", sp->sp_info.si_initiator, "spi_i", spi_i, "remote", remote,
			  "remote_port", sp->sp_info.si_remote.ep_port,
			  "age_s", (json_int_t)((w->now - sp->sp_created_ms) / 1000),
			  "retransmits", sp->sp_retransmits));
}

json_t *ike_ctl_json(const struct app *app)
{
	const struct ike_ctl *ic = app->ike;
	json_t *sas = json_array(), *children = json_array();
	uint64_t now = eg_now_ms();
	struct progress_walk pw = { .list = json_array(), .now = now };

	for (unsigned i = 0; ic && i < IKE_CTL_SAS; i++)
		if (ic->ic_sa[i].is_used)
			json_array_append_new(sas, ike_sa_json(&ic->ic_sa[i], now));
	for (unsigned i = 0; ic && i < IKE_CTL_CHILDREN; i++)
		if (ic->ic_child[i].cc_used)
			json_array_append_new(children, child_json(&ic->ic_child[i], now));
	if (ic)
		ike_engine_progress(ic->ic_engine, IKE_CTL_CONNECTING_LISTED, progress_json, &pw);
	return json_pack("{s:o, s:o, s:o, s:o}", "ike_sas", sas, "ike_sas_connecting", pw.list,
			 "child_sas", children, "traps", traps_json(app));
}

/* ---- espgatectl pools ---- */

/* An identity as text (lib/ike's, as its log lines print it). */
static void identity_text(const struct ike_identity *id, char *out, size_t cap)
{
	ike_id_text(id->id_type, id->id_data, id->id_len, out, cap);
}

struct pools_walk {
	json_t *pools, *leases;
	uint64_t now;
};

static void pool_json(void *ctx, const struct ike_pool_info *pi)
{
	struct pools_walk *w = ctx;
	char pfx[IP_PREFIX_STRLEN];

	ip_prefix_format(&pi->pi_cfg->pc_prefix, pfx, sizeof(pfx));
	w->leases = json_array();
	json_array_append_new(w->pools,
		json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "name", pi->pi_cfg->pc_name,
			  "prefix", pfx, "size", (json_int_t)pi->pi_size,
			  "leased", (json_int_t)pi->pi_leases, "in_use", (json_int_t)pi->pi_held,
			  "exhausted", (json_int_t)pi->pi_exhausted,
			  "lease_s", (json_int_t)pi->pi_cfg->pc_lease_s, "leases", w->leases));
}

static void lease_json(void *ctx, const struct ike_lease_info *li)
{
	struct pools_walk *w = ctx;
	char addr[IP_ADDR_STRLEN], id[2 * IKE_ID_MAX + 8];
	json_t *o;

	ip_addr_format(&li->li_addr, addr, sizeof(addr));
	identity_text(li->li_id, id, sizeof(id));
	o = json_pack("{s:s, s:s, s:I}", "address", addr, "identity", id, "sas",
		      (json_int_t)li->li_holders);
	if (!li->li_holders)
		json_object_set_new(o, "released_s_ago",
				    json_integer((json_int_t)((w->now - li->li_released_ms) / 1000)));
	json_array_append_new(w->leases, o);
}

json_t *ike_ctl_pools_json(const struct app *app)
{
	struct pools_walk w = { .pools = json_array(), .now = eg_now_ms() };

	if (app->ike)
		ike_engine_pools(app->ike->ic_engine, pool_json, lease_json, &w);
	return json_pack("{s:o}", "pools", w.pools);
}
