/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MOBIKE (RFC 4555): agreed with MOBIKE_SUPPORTED in IKE_AUTH (§3.3);
 * then the initiator moves the IKE SA and its tunnel-mode Child SAs to a
 * new address with an INFORMATIONAL exchange, no new keys (§3.5):
 *   HDR, SK { N(UPDATE_SA_ADDRESSES), [N(NAT_DETECTION_*)],
 *             [N(COOKIE2)], [N(ADDITIONAL_*_ADDRESS) | N(NO_ADDITIONAL_ADDRESSES)] }  -->
 *                  <--  HDR, SK { [N(NAT_DETECTION_*)], [N(COOKIE2)] }
 * As responder we take the request's source as the peer's address (only
 * an authenticated request in the window reaches here: a replayed one
 * gets the kept answer, ikev2_io.c) and redo NAT detection, which turns
 * UDP encapsulation on or off (RFC 7296 §2.23). IKE messages go to the
 * new address at once; the data plane follows only once our return
 * routability check has passed (§3.5: "the responder SHOULD" verify a new
 * address before sending traffic there; an authenticated peer could
 * otherwise point its ESP at a third party, §5.2.1):
 *                  <--  HDR, SK { N(COOKIE2) }
 *   HDR, SK { N(COOKIE2) }  -->
 * The peer's own COOKIE2 is echoed for its check. The peer's list of
 * other addresses is accepted and not used: a responder does not move on
 * its own.
 */
#include "ike_sa.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#define COOKIE2_MIN 8  /* §3.9: 8 to 64 octets */
#define COOKIE2_MAX 64
#define INNER_MAX 512

void ike_mobike_offer(struct ike_sa *sa, struct ike_writer *w)
{
	if (!sa->sa_conn->c_no_mobike)
		ike_w_notify(w, IKE_N_MOBIKE_SUPPORTED, NULL, 0);
}

static bool has_notify(const struct ike_chain *c, uint16_t type)
{
	struct ike_pl_notify n;

	return ike_find_notify(c, type, &n) != NULL;
}

void ike_mobike_agreed(struct ike_sa *sa, const struct ike_chain *c)
{
	sa->sa_v2.v2_mobike = !sa->sa_conn->c_no_mobike && has_notify(c, IKE_N_MOBIKE_SUPPORTED);
}

void ike_mobike_answer(struct ike_sa *sa, const struct ike_chain *c, struct ike_writer *w)
{
	if (sa->sa_conn->c_no_mobike || !has_notify(c, IKE_N_MOBIKE_SUPPORTED))
		return;
	sa->sa_v2.v2_mobike = true;
	ike_w_notify(w, IKE_N_MOBIKE_SUPPORTED, NULL, 0);
}

/* The SA is where it is now: the data plane follows, tunnel-mode Child
 * SAs only (§1: MOBIKE moves tunnel-mode SAs). */
static void announce_move(struct ike_sa *sa)
{
	struct ike_engine *e = sa->sa_engine;
	struct ike_sa_info info;

	if (e->e_ev.ev_ike_moved) {
		ike_sa_info(sa, &info);
		e->e_ev.ev_ike_moved(e->e_ev.ev_ctx, &info);
	}
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
		if (sa->sa_child[i] && !sa->sa_child[i]->cs_transport)
			ike_child_moved(sa, sa->sa_child[i]);
}

static void endpoint_text(const struct ike_endpoint *ep, char *out, size_t len)
{
	char a[64];

	ip_addr_format(&ep->ep_addr, a, sizeof(a));
	snprintf(out, len, "%s:%u", a, ep->ep_port);
}

/* §3.5: the responder's half of UPDATE_SA_ADDRESSES. */
static void take_update(struct ike_sa *sa, const struct ike_chain *c, struct ike_writer *w)
{
	struct ike_engine *e = sa->sa_engine;
	char from[80], to[80];
	bool nat_was = sa->sa_nat_local || sa->sa_nat_remote;

	if (!sa->sa_v2.v2_mobike) {
		e->e_stats.st_mobike_refused++;
		ike_log_sa_info(sa, "UPDATE_SA_ADDRESSES refused: MOBIKE not agreed");
		return;
	}
	endpoint_text(&sa->sa_remote, from, sizeof(from));
	sa->sa_local = sa->sa_v2.v2_rq_local;
	sa->sa_remote = sa->sa_v2.v2_rq_remote;
	endpoint_text(&sa->sa_remote, to, sizeof(to));
	/* §3.5: NAT detection over the IKE SA's SPIs, in both directions */
	ike_nat_check(sa, c, sa->sa_spi_r);
	ike_nat_write(w, sa);
	e->e_stats.st_mobike_updates++;
	ike_log_sa_info(sa, "moved by the peer (MOBIKE) from %s to %s%s; traffic follows once the new address answers our return routability check",
			from, to,
			nat_was == (sa->sa_nat_local || sa->sa_nat_remote) ? ""
		     : nat_was ? ", no NAT now: plain ESP" : ", behind a NAT now: ESP in UDP");
	sa->sa_v2.v2_check_due = true;
}

int ike_mobike_check_start(struct ike_sa *sa)
{
	uint8_t inner[64];
	struct ike_writer w;
	size_t len;
	int rc;

	if (sa->sa_v2.v2_req != IKE_REQ_NONE)
		return -EBUSY;
	sa->sa_v2.v2_check_due = false;
	rc = ike_random(sa->sa_v2.v2_cookie2, sizeof(sa->sa_v2.v2_cookie2));
	if (rc != 0)
		return rc;
	sa->sa_v2.v2_check_remote = sa->sa_remote;
	ike_w_init(&w, inner, sizeof(inner));
	ike_w_notify(&w, IKE_N_COOKIE2, sa->sa_v2.v2_cookie2, sizeof(sa->sa_v2.v2_cookie2));
	rc = ike_w_finish(&w, &len);
	if (rc == 0)
		rc = ike_send_protected(sa, IKE_EXCH_INFORMATIONAL, false, IKE_REQ_MOBIKE_CHECK,
					w.w_first, inner, len);
	return rc;
}

static bool cookie2_echoed(const struct ike_sa *sa, const struct ike_chain *c)
{
	struct ike_pl_notify n;

	return ike_find_notify(c, IKE_N_COOKIE2, &n) && n.n_len == sizeof(sa->sa_v2.v2_cookie2) &&
	       CRYPTO_memcmp(n.n_data, sa->sa_v2.v2_cookie2, n.n_len) == 0;
}

void ike_mobike_check_response(struct ike_sa *sa, const struct ike_chain *c)
{
	char at[80];

	endpoint_text(&sa->sa_v2.v2_check_remote, at, sizeof(at));
	if (!cookie2_echoed(sa, c)) {
		sa->sa_engine->e_stats.st_mobike_cookie2_bad++;
		ike_log_sa_info(sa, "MOBIKE: the return routability check of %s answered without our COOKIE2: traffic not moved",
				at);
		return;
	}
	/* moved again meanwhile: the check of the newest address decides */
	if (!ip_addr_equal(&sa->sa_v2.v2_check_remote.ep_addr, &sa->sa_remote.ep_addr) ||
	    sa->sa_v2.v2_check_remote.ep_port != sa->sa_remote.ep_port)
		return;
	sa->sa_engine->e_stats.st_mobike_checks++;
	ike_log(sa->sa_engine, "IKE SA %u: MOBIKE: %s answered our return routability check: traffic moves",
		sa->sa_id, at);
	announce_move(sa);
}

void ike_mobike_request(struct ike_sa *sa, const struct ike_chain *c, struct ike_writer *w)
{
	struct ike_pl_notify n;

	if (has_notify(c, IKE_N_UPDATE_SA_ADDRESSES))
		take_update(sa, c, w);
	/* §3.5: COOKIE2 goes back as it came, for the peer's return
	 * routability check (§3.9 bounds its length) */
	if (ike_find_notify(c, IKE_N_COOKIE2, &n) && n.n_len >= COOKIE2_MIN &&
	    n.n_len <= COOKIE2_MAX)
		ike_w_notify(w, IKE_N_COOKIE2, n.n_data, n.n_len);
}

int ike_mobike_update_start(struct ike_sa *sa, const struct ike_endpoint *local)
{
	uint8_t inner[INNER_MAX];
	struct ike_writer w;
	size_t len;
	int rc;

	if (!sa->sa_v2.v2_mobike || sa->sa_state != IKE_S_ESTABLISHED)
		return -ENOTSUP;
	if (sa->sa_v2.v2_req != IKE_REQ_NONE)
		return -EBUSY;
	rc = ike_random(sa->sa_v2.v2_cookie2, sizeof(sa->sa_v2.v2_cookie2));
	if (rc != 0)
		return rc;
	sa->sa_v2.v2_move_local = sa->sa_local;
	sa->sa_local = *local;
	ike_w_init(&w, inner, sizeof(inner));
	ike_w_notify(&w, IKE_N_UPDATE_SA_ADDRESSES, NULL, 0);
	ike_nat_write(&w, sa);
	ike_w_notify(&w, IKE_N_COOKIE2, sa->sa_v2.v2_cookie2, sizeof(sa->sa_v2.v2_cookie2));
	ike_w_notify(&w, IKE_N_NO_ADDITIONAL_ADDRESSES, NULL, 0);
	rc = ike_w_finish(&w, &len);
	if (rc == 0)
		rc = ike_send_protected(sa, IKE_EXCH_INFORMATIONAL, false, IKE_REQ_MOBIKE, w.w_first,
					inner, len);
	if (rc != 0)
		sa->sa_local = sa->sa_v2.v2_move_local;
	return rc;
}

void ike_mobike_response(struct ike_sa *sa, const struct ike_chain *c)
{
	/* §3.5: the answer must carry our COOKIE2, else we stay */
	if (!cookie2_echoed(sa, c)) {
		sa->sa_engine->e_stats.st_mobike_cookie2_bad++;
		ike_log(sa->sa_engine, "IKE SA %u: UPDATE_SA_ADDRESSES answered without our COOKIE2: not moved",
			sa->sa_id);
		sa->sa_local = sa->sa_v2.v2_move_local;
		return;
	}
	ike_nat_check(sa, c, sa->sa_spi_r);
	announce_move(sa);
}
