/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * INFORMATIONAL (RFC 7296 §1.4): deleting IKE and Child SAs, liveness
 * checks (an empty request, §2.4), and error notifies.
 */
#include "ike_sa.h"

#include <string.h>

#define INNER_MAX 2048

static void send_info(struct ike_sa *sa, bool response, uint8_t exchange,
		      struct ike_writer *w, enum ike_req what)
{
	size_t plain_len;

	if (ike_w_finish(w, &plain_len) == 0)
		ike_send_protected(sa, exchange, response, what,
				   plain_len ? w->w_first : IKE_PL_NONE, w->w_buf, plain_len);
}

/* One error notify, protected; nothing before the SA is keyed. */
static void send_error(struct ike_sa *sa, bool response, uint8_t exchange,
		       uint16_t notify)
{
	uint8_t inner[64];
	struct ike_writer w;

	if (!sa->sa_v2.v2_keyed)
		return;
	ike_w_init(&w, inner, sizeof(inner));
	ike_w_notify(&w, notify, NULL, 0);
	send_info(sa, response, exchange, &w, IKE_REQ_NONE);
}

void ike_info_error(struct ike_sa *sa, uint8_t exchange, uint16_t notify)
{
	send_error(sa, true, exchange, notify);
}

/* §2.21.2: an error the initiator finds in the IKE_AUTH response goes back
 * in an INFORMATIONAL request of its own. Sent once; the caller kills the
 * SA right after, so nothing is kept for retransmission. */
void ike_info_error_request(struct ike_sa *sa, uint16_t notify)
{
	send_error(sa, false, IKE_EXCH_INFORMATIONAL, notify);
}

static struct ike_child_sa *child_by_out_spi(struct ike_sa *sa, uint32_t spi)
{
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
		if (sa->sa_child[i] && sa->sa_child[i]->cs_spi_out == spi)
			return sa->sa_child[i];
	return NULL;
}

/* §1.4.1: a Delete names the SPIs its sender receives on (our outbound);
 * the answer names ours for the same Child SAs. */
static void delete_children(struct ike_sa *sa, const struct ike_pl_delete *d,
			    uint32_t *ours, uint16_t *n)
{
	uint32_t spi;

	for (unsigned i = 0; ike_pl_delete_spi(d, i, &spi); i++) {
		struct ike_child_sa *cs = child_by_out_spi(sa, spi);
		if (!cs)
			continue;
		ours[(*n)++] = cs->cs_spi_in;
		ike_child_event(sa, cs, false);
	}
}

void ike_info_request(struct ike_sa *sa, const struct ike_chain *c)
{
	uint32_t ours[IKE_MAX_CHILDREN * 4];
	uint8_t inner[INNER_MAX];
	struct ike_writer w;
	bool ike_deleted = false;
	uint16_t n = 0;

	/* §2.21.2: the initiator could not authenticate us; the SA goes
	 * without a Delete payload. */
	if (ike_error_notify(c) == IKE_N_AUTHENTICATION_FAILED)
		ike_deleted = true;
	for (unsigned i = 0; i < c->c_n; i++) {
		struct ike_pl_delete d;

		if (c->c_pl[i].pl_type != IKE_PL_DELETE ||
		    ike_pl_delete_decode(&c->c_pl[i], &d) != 0)
			continue;
		if (d.d_proto == IKE_PROTO_IKE)
			ike_deleted = true;
		else if (d.d_proto == IKE_PROTO_ESP && n < IKE_MAX_CHILDREN * 3)
			delete_children(sa, &d, ours, &n);
	}
	ike_w_init(&w, inner, sizeof(inner));
	if (n && !ike_deleted)
		ike_pl_delete_encode(&w, IKE_PROTO_ESP, ours, n);
	if (!ike_deleted)
		ike_mobike_request(sa, c, &w); /* RFC 4555 §3.5 */
	send_info(sa, true, IKE_EXCH_INFORMATIONAL, &w, IKE_REQ_NONE);
	if (!ike_deleted && sa->sa_v2.v2_check_due && sa->sa_v2.v2_req == IKE_REQ_NONE)
		ike_mobike_check_start(sa); /* else from the next tick */
	if (ike_deleted)
		ike_sa_kill(sa, sa->sa_rekeyed ? "rekeyed"
				: ike_error_notify(c) == IKE_N_AUTHENTICATION_FAILED
				? "AUTHENTICATION_FAILED by the peer" : "deleted by the peer");
}

void ike_info_response(struct ike_sa *sa, const struct ike_chain *c)
{
	(void)c;
	switch (sa->sa_v2.v2_req_done) {
	case IKE_REQ_DELETE_IKE:
		ike_sa_kill(sa, sa->sa_rekeyed ? "rekeyed" : "deleted");
		break;
	case IKE_REQ_DELETE_CHILD:
		for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
			if (sa->sa_child[i] && sa->sa_child[i]->cs_spi_in == sa->sa_v2.v2_delete_child)
				ike_child_event(sa, sa->sa_child[i], false);
		break;
	case IKE_REQ_MOBIKE:
		ike_mobike_response(sa, c);
		break;
	case IKE_REQ_MOBIKE_CHECK:
		ike_mobike_check_response(sa, c);
		break;
	default:
		break; /* a liveness check answered: sa_last_rx_ms moved */
	}
}

void ike_dpd_start(struct ike_sa *sa)
{
	uint8_t inner[8];
	struct ike_writer w;

	ike_w_init(&w, inner, sizeof(inner));
	send_info(sa, false, IKE_EXCH_INFORMATIONAL, &w, IKE_REQ_DPD);
}

void ike_delete_start(struct ike_sa *sa)
{
	uint8_t inner[64];
	struct ike_writer w;

	if (sa->sa_state != IKE_S_ESTABLISHED) {
		ike_sa_kill(sa, "terminated before it was up");
		return;
	}
	/* Window size 1: a request in flight is abandoned for the delete. */
	ike_w_init(&w, inner, sizeof(inner));
	ike_pl_delete_encode(&w, IKE_PROTO_IKE, NULL, 0);
	ike_sa_set_state(sa, IKE_S_DELETING);
	send_info(sa, false, IKE_EXCH_INFORMATIONAL, &w, IKE_REQ_DELETE_IKE);
}
