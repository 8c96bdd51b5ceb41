/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Child SAs in the core, whatever the version that negotiates them:
 * traffic selectors from the configuration and their narrowing (RFC 7296
 * §2.9, the same for IKEv1's quick-mode IDs), the connection's child a
 * request's selectors name, Child SA slots, and the events the data plane
 * installs SAs from.
 */
#include "ike_sa.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static void fill_range(const struct ip_prefix *p, uint8_t *start, uint8_t *end)
{
	size_t len = ip_addr_len(&p->addr);
	struct ip_prefix net = ip_prefix_network(p);

	memcpy(start, net.addr.bytes, len);
	memcpy(end, net.addr.bytes, len);
	for (size_t i = 0; i < len; i++) {
		int keep = (int)p->len - (int)(i * 8);
		if (keep <= 0)
			end[i] = 0xff;
		else if (keep < 8)
			end[i] |= (uint8_t)(0xff >> keep);
	}
}

void ike_ts_from_cfg(const struct ike_ts_cfg *t, unsigned n, struct ike_selectors *ts)
{
	memset(ts, 0, sizeof(*ts));
	for (unsigned i = 0; i < n && ts->ts_n < IKE_TS_MAX; i++) {
		struct ike_selector *o = &ts->ts[ts->ts_n++];

		o->ts_type = t[i].tc_prefix.addr.family == AF_INET ? IKE_SEL_IPV4
								   : IKE_SEL_IPV6;
		o->ts_proto = t[i].tc_proto;
		o->ts_sport = t[i].tc_port_lo;
		o->ts_eport = t[i].tc_port_hi ? t[i].tc_port_hi : 65535;
		fill_range(&t[i].tc_prefix, o->ts_start, o->ts_end);
	}
}

static size_t ts_alen(const struct ike_selector *t)
{
	return t->ts_type == IKE_SEL_IPV4 ? 4 : 16;
}

/* The intersection of two selectors; false when empty. */
static bool ts_intersect(const struct ike_selector *a, const struct ike_selector *b, struct ike_selector *o)
{
	size_t n = ts_alen(a);

	if (a->ts_type != b->ts_type || (a->ts_proto && b->ts_proto && a->ts_proto != b->ts_proto))
		return false;
	*o = *a;
	o->ts_proto = a->ts_proto ? a->ts_proto : b->ts_proto;
	o->ts_sport = a->ts_sport > b->ts_sport ? a->ts_sport : b->ts_sport;
	o->ts_eport = a->ts_eport < b->ts_eport ? a->ts_eport : b->ts_eport;
	memcpy(o->ts_start, memcmp(a->ts_start, b->ts_start, n) > 0 ? a->ts_start : b->ts_start, n);
	memcpy(o->ts_end, memcmp(a->ts_end, b->ts_end, n) < 0 ? a->ts_end : b->ts_end, n);
	return o->ts_sport <= o->ts_eport && memcmp(o->ts_start, o->ts_end, n) <= 0;
}

static void narrow_list(const struct ike_selectors *mine, const struct ike_selectors *peer,
			struct ike_selectors *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < mine->ts_n; i++)
		for (unsigned k = 0; k < peer->ts_n && out->ts_n < IKE_TS_MAX; k++)
			if (ts_intersect(&mine->ts[i], &peer->ts[k], &out->ts[out->ts_n]))
				out->ts_n++;
}

/* §2.9: what both sides allow. The responder narrows the initiator's
 * TSi (its remote side) and TSr (its local side); the initiator checks
 * the answer stays within what it proposed. -ENOENT: TS_UNACCEPTABLE. */
int ike_child_narrow(const struct ike_child_cfg *cc, const struct ike_selectors *tsi,
		     const struct ike_selectors *tsr, bool responder,
		     struct ike_selectors *local, struct ike_selectors *remote)
{
	struct ike_selectors cfg_local, cfg_remote;

	ike_ts_from_cfg(cc->cc_local, cc->cc_n_local, &cfg_local);
	ike_ts_from_cfg(cc->cc_remote, cc->cc_n_remote, &cfg_remote);
	narrow_list(&cfg_local, responder ? tsr : tsi, local);
	narrow_list(&cfg_remote, responder ? tsi : tsr, remote);
	return local->ts_n && remote->ts_n ? 0 : -ENOENT;
}

/* Whether a lies wholly inside b. */
static bool ts_within(const struct ike_selector *a, const struct ike_selector *b)
{
	size_t n = ts_alen(a);

	return a->ts_type == b->ts_type && (!b->ts_proto || a->ts_proto == b->ts_proto) &&
	       a->ts_sport >= b->ts_sport && a->ts_eport <= b->ts_eport &&
	       memcmp(a->ts_start, b->ts_start, n) >= 0 && memcmp(a->ts_end, b->ts_end, n) <= 0;
}

static bool all_within(const struct ike_selectors *in, const struct ike_selectors *cfg)
{
	for (unsigned i = 0; i < in->ts_n; i++) {
		unsigned k = 0;

		while (k < cfg->ts_n && !ts_within(&in->ts[i], &cfg->ts[k]))
			k++;
		if (k == cfg->ts_n)
			return false;
	}
	return in->ts_n > 0;
}

const struct ike_child_cfg *ike_child_cfg_covering(const struct ike_conn_cfg *c,
						   const struct ike_selectors *local,
						   const struct ike_selectors *remote)
{
	struct ike_selectors l, r;

	for (unsigned i = 0; i < c->c_n_child; i++) {
		ike_ts_from_cfg(c->c_child[i].cc_local, c->c_child[i].cc_n_local, &l);
		ike_ts_from_cfg(c->c_child[i].cc_remote, c->c_child[i].cc_n_remote, &r);
		if (all_within(local, &l) && all_within(remote, &r))
			return &c->c_child[i];
	}
	return NULL;
}

const struct ike_child_cfg *ike_child_cfg_narrow_local(const struct ike_conn_cfg *c,
						      struct ike_selectors *local,
						      const struct ike_selectors *remote)
{
	struct ike_selectors l, r, first;

	for (unsigned i = 0; i < c->c_n_child; i++) {
		ike_ts_from_cfg(c->c_child[i].cc_local, c->c_child[i].cc_n_local, &l);
		ike_ts_from_cfg(c->c_child[i].cc_remote, c->c_child[i].cc_n_remote, &r);
		first = (struct ike_selectors){ .ts_n = 1, .ts = { l.ts[0] } };
		if (l.ts_n && all_within(remote, &r) && all_within(&first, local)) {
			*local = first;
			return &c->c_child[i];
		}
	}
	return NULL;
}

const struct ike_child_cfg *ike_child_cfg_for(const struct ike_conn_cfg *c,
					      const struct ike_selectors *tsi,
					      const struct ike_selectors *tsr)
{
	struct ike_selectors l, r;

	for (unsigned i = 0; i < c->c_n_child; i++)
		if (ike_child_narrow(&c->c_child[i], tsi, tsr, true, &l, &r) == 0)
			return &c->c_child[i];
	return NULL;
}

struct ike_child_sa *ike_child_alloc(struct ike_sa *sa)
{
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++) {
		struct ike_child_sa *cs;

		if (sa->sa_child[i])
			continue;
		cs = calloc(1, sizeof(*cs));
		if (!cs)
			return NULL;
		cs->cs_sa = sa;
		cs->cs_slot = i;
		sa->sa_child[i] = cs;
		return cs;
	}
	return NULL;
}

void ike_child_release(struct ike_child_sa *cs)
{
	if (!cs)
		return;
	cs->cs_sa->sa_child[cs->cs_slot] = NULL;
	ike_child_keys_wipe(&cs->cs_keys);
	OPENSSL_cleanse(cs, sizeof(*cs));
	free(cs);
}

/* What the data plane needs of a Child SA. */
static void child_info(struct ike_sa *sa, struct ike_child_sa *cs, bool up,
		       struct ike_child_info *info)
{
	const struct ike_child_dir *in = cs->cs_initiator ? &cs->cs_keys.ck_r2i
							  : &cs->cs_keys.ck_i2r;
	const struct ike_child_dir *out = cs->cs_initiator ? &cs->cs_keys.ck_i2r
							   : &cs->cs_keys.ck_r2i;

	*info = (struct ike_child_info){
		.ci_conn = sa->sa_conn->c_name,
		.ci_child = cs->cs_cfg ? cs->cs_cfg->cc_name : "",
		.ci_ike_id = sa->sa_id, .ci_ike_spi_i = sa->sa_spi_i,
		.ci_ike_spi_r = sa->sa_spi_r, .ci_spi_in = cs->cs_spi_in,
		.ci_spi_out = cs->cs_spi_out, .ci_transport = cs->cs_transport,
		.ci_replaced = !up && cs->cs_rekeyed,
		.ci_out_defer_ms = cs->cs_out_defer_ms,
		.ci_esn = cs->cs_alg.ch_esn == IKE_ESN_YES,
		.ci_encap = sa->sa_nat_local || sa->sa_nat_remote,
		.ci_peer_oa = cs->cs_peer_oa, .ci_local_oa = cs->cs_local_oa,
		.ci_local = sa->sa_local, .ci_remote = sa->sa_remote,
		.ci_encr = cs->cs_alg.ch_encr, .ci_encr_bits = cs->cs_alg.ch_encr_bits,
		.ci_integ = cs->cs_alg.ch_integ, .ci_encr_len = cs->cs_keys.ck_encr_len,
		.ci_integ_len = cs->cs_keys.ck_integ_len,
		.ci_encr_in = in->cd_encr, .ci_integ_in = in->cd_integ,
		.ci_encr_out = out->cd_encr, .ci_integ_out = out->cd_integ,
		.ci_ts_local = &cs->cs_ts_local, .ci_ts_remote = &cs->cs_ts_remote,
		.ci_life_s = cs->cs_life_s ? cs->cs_life_s : cs->cs_cfg ? cs->cs_cfg->cc_life_s : 0,
		.ci_rekey_bytes = cs->cs_cfg ? cs->cs_cfg->cc_rekey_bytes : 0,
		.ci_life_bytes = cs->cs_cfg ? cs->cs_cfg->cc_life_bytes : 0,
		.ci_rekey_packets = cs->cs_cfg ? cs->cs_cfg->cc_rekey_packets : 0,
		.ci_life_packets = cs->cs_cfg ? cs->cs_cfg->cc_life_packets : 0,
	};
}

void ike_child_moved(struct ike_sa *sa, struct ike_child_sa *cs)
{
	struct ike_engine *e = sa->sa_engine;
	struct ike_child_info ci;

	child_info(sa, cs, true, &ci);
	ike_log(e, "IKE SA %u: Child SA %s moved, SPIs in 0x%08x out 0x%08x%s", sa->sa_id,
		ci.ci_child, cs->cs_spi_in, cs->cs_spi_out, ci.ci_encap ? ", UDP-encapsulated" : "");
	if (e->e_ev.ev_child_moved)
		e->e_ev.ev_child_moved(e->e_ev.ev_ctx, &ci);
}

void ike_child_event(struct ike_sa *sa, struct ike_child_sa *cs, bool up)
{
	struct ike_engine *e = sa->sa_engine;
	struct ike_child_info ci;

	child_info(sa, cs, up, &ci);
	if (up) { /* the first Child SA only: what the IKE SA was set up for */
		ci.ci_setup_stamp = sa->sa_setup_stamp;
		sa->sa_setup_stamp = 0;
	}
	ike_log(e, "IKE SA %u: Child SA %s %s, SPIs in 0x%08x out 0x%08x", sa->sa_id,
		ci.ci_child, up ? "up" : "down", cs->cs_spi_in, cs->cs_spi_out);
	if (up)
		e->e_stats.st_child_established++;
	if (up && e->e_ev.ev_child_up)
		e->e_ev.ev_child_up(e->e_ev.ev_ctx, &ci);
	else if (!up && e->e_ev.ev_child_down)
		e->e_ev.ev_child_down(e->e_ev.ev_ctx, &ci);
	if (!up)
		ike_child_release(cs);
}

uint64_t ike_rekey_time(uint64_t now, uint32_t seconds)
{
	uint32_t r = 0;

	if (!seconds)
		return 0;
	ike_random((uint8_t *)&r, sizeof(r));
	return now + (uint64_t)seconds * 1000 - (uint64_t)seconds * 100 * (r % 1000) / 1000;
}
