/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAP-RADIUS, the engine's side: each EAP-Response of the client goes to
 * the caller (ev_eap_radius), which asks a RADIUS server (RFC 3579) off
 * the engine's thread and answers with ike_engine_eap_radius_answer.
 * The IKE SA waits, bounded (e_radius_wait_ms): the client's
 * retransmissions meanwhile are dropped, the wait's end refuses it. A
 * handle is the IKE SA's id and the round's number, neither ever given
 * again: an answer for an SA or a round that is gone is dropped.
 */
#include "ike_sa.h"

#include <errno.h>
#include <string.h>

#define RADIUS_WAIT_DEFAULT_MS 10000

void ike_engine_set_radius_wait(struct ike_engine *e, uint32_t ms)
{
	e->e_radius_wait_ms = ms ? ms : RADIUS_WAIT_DEFAULT_MS;
}

bool ike_radius_waiting(const struct ike_sa *sa)
{
	return sa->sa_v2.v2_radius_round != 0;
}

int ike_radius_ask(struct ike_sa *sa, struct ike_eap_round *er)
{
	struct ike_engine *e = sa->sa_engine;
	struct ikev2_sa *v2 = &sa->sa_v2;
	struct ike_radius_request rr = {
		.rr_ike_id = sa->sa_id, .rr_conn = sa->sa_conn->c_name,
		.rr_user = ike_eap_user(er), .rr_state = v2->v2_radius_state,
		.rr_state_len = v2->v2_radius_state_len, .rr_peer = sa->sa_remote,
		.rr_local = sa->sa_local,
	};

	if (!e->e_ev.ev_eap_radius || v2->v2_radius_rounds == UINT32_MAX)
		return -ENOTSUP;
	rr.rr_eap = ike_eap_relayed(er, &rr.rr_eap_len);
	v2->v2_radius_round = ++v2->v2_radius_rounds;
	v2->v2_radius_until_ms = e->e_now + (e->e_radius_wait_ms ? e->e_radius_wait_ms :
						       RADIUS_WAIT_DEFAULT_MS);
	rr.rr_handle = (uint64_t)sa->sa_id << 32 | v2->v2_radius_round;
	e->e_stats.st_radius_requests++;
	e->e_ev.ev_eap_radius(e->e_ev.ev_ctx, &rr);
	return 0;
}

/* The round's answer taken: the State kept for the next Access-Request
 * (RFC 2865 §5.24), then the exchange goes on. */
static void take_answer(struct ike_sa *sa, const struct ike_radius_answer *ra)
{
	struct ikev2_sa *v2 = &sa->sa_v2;

	v2->v2_radius_round = 0;
	v2->v2_radius_state_len = 0;
	if (ra && ra->ra_verdict == IKE_RADIUS_CHALLENGE && ra->ra_state_len <= IKE_RADIUS_STATE_MAX) {
		memcpy(v2->v2_radius_state, ra->ra_state, ra->ra_state_len);
		v2->v2_radius_state_len = (uint8_t)ra->ra_state_len;
	}
	ike_auth_radius_answer(sa, ra);
}

int ike_engine_eap_radius_answer(struct ike_engine *e, uint64_t handle,
				 const struct ike_radius_answer *ra, uint64_t now_ms)
{
	struct ike_sa *sa = ike_sa_find_by_id(e, (uint32_t)(handle >> 32));

	e->e_now = now_ms;
	if (!sa || sa->sa_version != IKE_MAJOR || !sa->sa_v2.v2_eap ||
	    sa->sa_v2.v2_radius_round == 0 || sa->sa_v2.v2_radius_round != (uint32_t)handle) {
		e->e_stats.st_radius_stale++;
		return -ESTALE;
	}
	take_answer(sa, ra);
	ike_sa_schedule(sa);
	ike_engine_reap(e);
	return 0;
}

/* From the SA's tick: the wait is over. */
void ike_radius_tick(struct ike_sa *sa, uint64_t now)
{
	if (ike_radius_waiting(sa) && now >= sa->sa_v2.v2_radius_until_ms) {
		sa->sa_engine->e_stats.st_radius_timeouts++;
		take_answer(sa, NULL);
	}
}
