/* SPDX-License-Identifier: BSD-3-Clause */
/* Two engines and the datagrams between them (ike_pair.h). */
#include <string.h>

#include "ike_conn.h"
#include "ike_pair.h"

static void pair_send(void *ctx, const struct ike_endpoint *local,
		      const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	struct pair_side *side = ctx;
	struct ike_pair *p = side->ps_pair;
	struct pair_dgram *d;

	if (p->p_n == PAIR_QMAX || len > PAIR_DGRAM_MAX)
		return; /* a full queue or a datagram beyond any seed: lost */
	d = &p->p_q[p->p_n++];
	d->pd_to = 1 - side->ps_side;
	d->pd_local = *remote;
	d->pd_remote = *local;
	memcpy(d->pd_buf, buf, len);
	d->pd_len = len;
}

static bool pair_engines(struct ike_pair *p, enum ike_version version, bool aggressive,
			 const char *ike, const char *esp, bool pools)
{
	for (int i = 0; i < 2; i++) {
		struct ike_events ev = { .ev_ctx = &p->p_side[i], .ev_send = pair_send };
		struct ike_conn_cfg c;

		p->p_side[i] = (struct pair_side){ .ps_pair = p, .ps_side = i };
		p->p_e[i] = ike_engine_new(&ev);
		if (!p->p_e[i] || fuzz_conn(i == 0, ike, esp, &c) != 0)
			return false;
		c.c_version = version;
		c.c_aggressive = aggressive;
		if ((i == 1 && pools && fuzz_pools(p->p_e[i], &c) != 0) ||
		    ike_engine_add_conn(p->p_e[i], &c) != 0)
			return false;
	}
	return true;
}

bool pair_again(struct ike_pair *p)
{
	int id;

	for (int i = 0; i < 2; i++)
		p->p_first_id[i] = p->p_e[i]->e_next_id;
	id = ike_engine_initiate(p->p_e[0], "branch", p->p_now);
	if (id <= 0)
		return false;
	p->p_sa_id = (uint32_t)id;
	return true;
}

bool pair_start_pools(struct ike_pair *p, enum ike_version version, bool aggressive,
		      const char *ike, const char *esp, bool pools)
{
	memset(p, 0, sizeof(*p));
	p->p_now = 1000;
	return pair_engines(p, version, aggressive, ike, esp, pools) && pair_again(p);
}

bool pair_start(struct ike_pair *p, enum ike_version version, bool aggressive,
		const char *ike, const char *esp)
{
	/* an IKEv1 responder with pools wants Mode Config before any quick
	 * mode: the quick mode inputs would all be refused for it */
	return pair_start_pools(p, version, aggressive, ike, esp, version != IKE_VERSION_1);
}

void pair_end(struct ike_pair *p)
{
	for (int i = 0; i < 2; i++) {
		struct ike_engine *e = p->p_e[i];

		for (uint32_t id = p->p_first_id[i] + 1; id <= e->e_next_id; id++) {
			struct ike_sa *sa = ike_sa_find_by_id(e, id);

			if (sa)
				ike_sa_kill(sa, "end of input");
		}
		ike_engine_reap(e);
		ike_engine_flush_log(e);
	}
	p->p_n = 0;
	p->p_now += 2000; /* a new second: refusal rate limits start over */
}

void pair_free(struct ike_pair *p)
{
	for (int i = 0; i < 2; i++)
		if (p->p_e[i])
			ike_engine_free(p->p_e[i]);
	memset(p, 0, sizeof(*p));
}

bool pair_take(struct ike_pair *p, struct pair_dgram *d)
{
	if (!p->p_n)
		return false;
	*d = p->p_q[0];
	memmove(p->p_q, p->p_q + 1, --p->p_n * sizeof(p->p_q[0]));
	return true;
}

bool pair_step(struct ike_pair *p)
{
	static struct pair_dgram d;

	if (!pair_take(p, &d))
		return false;
	ike_engine_input(p->p_e[d.pd_to], &d.pd_local, &d.pd_remote, d.pd_buf, d.pd_len,
			 p->p_now);
	return true;
}

void pair_settle(struct ike_pair *p, unsigned limit)
{
	while (limit-- && pair_step(p))
		;
}

void pair_to_responder(struct ike_pair *p, const uint8_t *buf, size_t len)
{
	struct ike_endpoint local = fuzz_ep("192.0.2.2", IKE_PORT);
	struct ike_endpoint remote = fuzz_ep("192.0.2.1", IKE_PORT);

	ike_engine_input(p->p_e[1], &local, &remote, buf, len, p->p_now);
}

struct ike_sa *pair_sa(const struct ike_pair *p, int s)
{
	struct ike_sa *sa = ike_sa_find_by_id(p->p_e[0], p->p_sa_id);

	if (!sa || s == 0)
		return sa;
	return ike_sa_find_by_spi(p->p_e[1], sa->sa_spi_r);
}

void pair_tick(struct ike_pair *p, uint64_t ms)
{
	p->p_now += ms;
	for (int i = 0; i < 2; i++)
		ike_engine_tick(p->p_e[i], p->p_now);
}
