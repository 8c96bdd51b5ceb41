/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2's message handling over the core (RFC 7296 §2.1-2.3): framing
 * and the SK payload, fragments (RFC 7383), window size 1 with
 * retransmission and cached responses, the dispatch of each message to
 * its exchange, and the SA's timers (retransmission, rekeys, liveness).
 */
#include "ike_sa.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static void due_min(uint64_t *due, uint64_t t)
{
	if (t && (!*due || t < *due))
		*due = t;
}

/* IKEv2's part of an SA that is freed: its exchange in flight, fragments,
 * keys and kept messages. */
void ikev2_sa_release(struct ike_sa *sa)
{
	struct ikev2_sa *v2 = &sa->sa_v2;

	ike_pending_clear(sa);
	ike_reassembly_free(&v2->v2_frag);
	ike_sa_keys_wipe(&v2->v2_keys);
	ikev2_sa_trim(sa);
	free(v2->v2_req_buf);
	free(v2->v2_resp_buf);
	v2->v2_req_buf = v2->v2_resp_buf = NULL;
}

/* After IKE_AUTH: the IKE_SA_INIT copies AUTH signed are not needed. */
void ikev2_sa_trim(struct ike_sa *sa)
{
	struct ikev2_sa *v2 = &sa->sa_v2;

	free(v2->v2_init_mine);
	free(v2->v2_init_peer);
	v2->v2_init_mine = v2->v2_init_peer = NULL;
	ike_eap_free(v2->v2_eap); /* its MSK and the first request, wiped */
	v2->v2_eap = NULL;
	v2->v2_init_mine_len = v2->v2_init_peer_len = 0;
}

/* When the SA's earliest IKEv2 timer is due (0: none): its request's
 * retransmission, half-open expiry, rekeys, reauthentication, the next
 * child to create, liveness checks and NAT keepalives. */
uint64_t ikev2_next_due(const struct ike_sa *sa)
{
	const struct ike_conn_cfg *c = sa->sa_conn;
	uint64_t due = 0;

	if (sa->sa_v2.v2_req != IKE_REQ_NONE)
		due_min(&due, sa->sa_v2.v2_req_next_ms);
	if (sa->sa_state == IKE_S_INIT_DONE)
		due_min(&due, sa->sa_created_ms + IKE_HALF_OPEN_MS + 1);
	if (ike_radius_waiting(sa))
		due_min(&due, sa->sa_v2.v2_radius_until_ms);
	if (sa->sa_state == IKE_S_ESTABLISHED && !sa->sa_rekeyed) {
		due_min(&due, sa->sa_rekey_at_ms);
		due_min(&due, sa->sa_reauth_at_ms);
		if ((sa->sa_initiator && sa->sa_next_child && c && sa->sa_next_child < c->c_n_child) ||
		    sa->sa_replaces || sa->sa_v2.v2_check_due)
			due_min(&due, sa->sa_engine->e_now + 1);
		for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
			if (sa->sa_child[i] && !sa->sa_child[i]->cs_rekeyed)
				due_min(&due, sa->sa_child[i]->cs_rekey_at_ms);
		if (c && c->c_dpd_s)
			due_min(&due, sa->sa_last_rx_ms + (uint64_t)c->c_dpd_s * 1000);
		if (sa->sa_nat_local && sa->sa_engine->e_ev.ev_keepalive)
			due_min(&due, sa->sa_last_tx_ms + IKE_KEEPALIVE_MS);
	}
	return due;
}



void ike_w_notify(struct ike_writer *w, uint16_t type, const void *data, size_t len)
{
	struct ike_pl_notify n = { .n_type = type, .n_data = data, .n_len = len };

	ike_pl_notify_encode(w, &n);
}

const struct ike_payload *ike_find_notify(const struct ike_chain *c, uint16_t type,
					  struct ike_pl_notify *n)
{
	for (unsigned i = 0; i < c->c_n; i++) {
		const struct ike_payload *pl = &c->c_pl[i];
		if (pl->pl_type == IKE_PL_NOTIFY && ike_pl_notify_decode(pl, n) == 0 &&
		    n->n_type == type)
			return pl;
	}
	return NULL;
}

uint16_t ike_error_notify(const struct ike_chain *c)
{
	struct ike_pl_notify n;

	for (unsigned i = 0; i < c->c_n; i++)
		if (c->c_pl[i].pl_type == IKE_PL_NOTIFY &&
		    ike_pl_notify_decode(&c->c_pl[i], &n) == 0 && n.n_type < 16384)
			return n.n_type;
	return 0;
}

/* What is kept for retransmission is a bundle (ike_frag.c): the
 * datagrams of one message, several when fragmented. */
static void keep_request(struct ike_sa *sa, enum ike_req what, const uint8_t *b, size_t len)
{
	free(sa->sa_v2.v2_req_buf);
	sa->sa_v2.v2_req_buf = ike_dup(b, len);
	sa->sa_v2.v2_req_len = sa->sa_v2.v2_req_buf ? len : 0;
	sa->sa_v2.v2_req = what;
	sa->sa_v2.v2_req_tries = 1;
	sa->sa_v2.v2_req_first_ms = sa->sa_engine->e_now;
	sa->sa_v2.v2_req_next_ms = sa->sa_engine->e_now + IKE_RETX_BASE_MS;
	ike_sa_schedule(sa);
	ike_bundle_send(sa, b, len);
}

/* §2.1: the answer is kept to be sent again for a retransmitted request. */
static void keep_response(struct ike_sa *sa, const uint8_t *b, size_t len)
{
	free(sa->sa_v2.v2_resp_buf);
	sa->sa_v2.v2_resp_buf = ike_dup(b, len);
	sa->sa_v2.v2_resp_len = sa->sa_v2.v2_resp_buf ? len : 0;
	sa->sa_v2.v2_resp_valid = sa->sa_v2.v2_resp_buf != NULL;
	sa->sa_v2.v2_msgid_in++;
	if (sa->sa_v2.v2_rq_remote.ep_addr.family)
		ike_bundle_send_to(sa, &sa->sa_v2.v2_rq_local, &sa->sa_v2.v2_rq_remote, b, len);
	else
		ike_bundle_send(sa, b, len);
}

void ike_send_request(struct ike_sa *sa, enum ike_req what, const uint8_t *buf,
		      size_t len)
{
	uint8_t b[IKE_MSG_MAX + 2];
	size_t n = 0;

	if (ike_bundle_add(b, &n, sizeof(b), buf, len))
		keep_request(sa, what, b, n);
}

void ike_send_response(struct ike_sa *sa, const uint8_t *buf, size_t len)
{
	uint8_t b[IKE_MSG_MAX + 2];
	size_t n = 0;

	if (ike_bundle_add(b, &n, sizeof(b), buf, len))
		keep_response(sa, b, n);
}

/* RFC 7383 §2.5: each fragment an SKF payload encrypted on its own. */
static int fragment(struct ike_sa *sa, uint8_t exchange, bool response, uint8_t first,
		    const uint8_t *plain, size_t plain_len, uint8_t *b, size_t *blen, size_t cap)
{
	const struct ike_sk_keys *k = sa->sa_initiator ? &sa->sa_v2.v2_keys.sk_i : &sa->sa_v2.v2_keys.sk_r;
	size_t iv = ike_sk_iv_len(k), icv = ike_sk_icv_len(k);
	size_t over = IKE_HDR_LEN + IKE_GEN_HDR_LEN + 4 + iv + icv + 16;
	size_t chunk = ike_frag_room(sa) > over + 64 ? ike_frag_room(sa) - over : 64;
	unsigned total = (unsigned)((plain_len + chunk - 1) / chunk);
	uint8_t msg[IKE_MSG_MAX];

	if (total > IKE_FRAG_MAX)
		return -EMSGSIZE;
	for (unsigned i = 0; i < total; i++) {
		size_t off = i * chunk, n = plain_len - off < chunk ? plain_len - off : chunk;
		size_t body = ike_sk_body_len(k, n), tmp, len;
		struct ike_sk_out so;
		struct ike_writer w;
		struct ike_hdr h;

		ike_w_init(&w, msg, sizeof(msg));
		ike_hdr_for(sa, exchange, response, response ? sa->sa_v2.v2_msgid_in : sa->sa_v2.v2_msgid_out, &h);
		ike_w_hdr(&w, &h);
		ike_pl_skf_encode(&w, i == 0 ? first : 0, (uint16_t)(i + 1), (uint16_t)total, iv,
				  body - iv - icv, icv, &so);
		if (ike_w_finish(&w, &tmp) != 0 ||
		    ike_skf_encrypt(k, msg, (size_t)(so.so_iv - msg), plain + off, n, sizeof(msg),
				    &len) != 0 ||
		    !ike_bundle_add(b, blen, cap, msg, len))
			return -EMSGSIZE;
	}
	return 0;
}

int ike_send_protected(struct ike_sa *sa, uint8_t exchange, bool response,
		       enum ike_req what, uint8_t first, const uint8_t *plain,
		       size_t plain_len)
{
	uint8_t *b = sa->sa_engine->e_bundle;
	uint8_t msg[IKE_MSG_MAX];
	size_t len, blen = 0;
	int rc = ike_encrypt_msg(sa, exchange, response,
				 response ? sa->sa_v2.v2_msgid_in : sa->sa_v2.v2_msgid_out, first,
				 plain, plain_len, msg, sizeof(msg), &len);

	if (rc == 0 && sa->sa_v2.v2_frag_peer && len > ike_frag_room(sa))
		rc = fragment(sa, exchange, response, first, plain, plain_len, b, &blen, IKE_BUNDLE_MAX);
	else if (rc == 0 && !ike_bundle_add(b, &blen, IKE_BUNDLE_MAX, msg, len))
		rc = -EMSGSIZE;
	if (rc != 0)
		return rc;
	if (response)
		keep_response(sa, b, blen);
	else
		keep_request(sa, what, b, blen);
	return 0;
}

void ike_hdr_for(const struct ike_sa *sa, uint8_t exchange, bool response,
		 uint32_t msgid, struct ike_hdr *h)
{
	*h = (struct ike_hdr){
		.h_spi_i = sa->sa_spi_i, .h_spi_r = sa->sa_spi_r,
		.h_exchange = exchange, .h_msgid = msgid,
		.h_flags = (uint8_t)((sa->sa_initiator ? IKE_HDR_F_INITIATOR : 0) |
				     (response ? IKE_HDR_F_RESPONSE : 0)),
	};
}

int ike_encrypt_msg(struct ike_sa *sa, uint8_t exchange, bool response,
		    uint32_t msgid, uint8_t first, const uint8_t *plain,
		    size_t plain_len, uint8_t *out, size_t cap, size_t *len)
{
	const struct ike_sk_keys *k = sa->sa_initiator ? &sa->sa_v2.v2_keys.sk_i
						       : &sa->sa_v2.v2_keys.sk_r;
	size_t iv = ike_sk_iv_len(k), icv = ike_sk_icv_len(k);
	size_t body = ike_sk_body_len(k, plain_len), tmp;
	struct ike_sk_out so;
	struct ike_writer w;
	struct ike_hdr h;
	int rc;

	ike_w_init(&w, out, cap);
	ike_hdr_for(sa, exchange, response, msgid, &h);
	ike_w_hdr(&w, &h);
	ike_pl_sk_encode(&w, first, iv, body - iv - icv, icv, &so);
	rc = ike_w_finish(&w, &tmp);
	if (rc < 0)
		return rc;
	return ike_sk_encrypt(k, out, (size_t)(so.so_iv - out), plain, plain_len, cap, len);
}

/* ---- receiving ---- */

static const struct ike_sk_keys *peer_keys(const struct ike_sa *sa)
{
	return sa->sa_initiator ? &sa->sa_v2.v2_keys.sk_r : &sa->sa_v2.v2_keys.sk_i;
}


/* RFC 7383 §2.6: a verified fragment, each verified on its own: 0 with
 * the whole chain once all are in, 1 while some are missing, -errno
 * when it does not fit. */
static int add_fragment(struct ike_sa *sa, uint32_t msgid, const struct ike_sk *sk,
			const uint8_t *plain, size_t len, struct ike_chain *c)
{
	struct ike_engine *e = sa->sa_engine;
	const struct ike_frag_piece fp = {
		.fp_id = msgid, .fp_num = sk->sk_frag, .fp_total = sk->sk_total,
		.fp_first = sk->sk_first, .fp_restart = true, .fp_data = plain, .fp_len = len,
	};
	bool dropped;
	uint8_t first = 0;
	int rc = ike_reassembly_add(&sa->sa_v2.v2_frag, &fp, sizeof(e->e_assembled), e->e_now,
				    &dropped);

	if (rc == -EEXIST)
		return 1;
	if (rc)
		return rc;
	len = ike_reassembly_join(&sa->sa_v2.v2_frag, e->e_assembled, sizeof(e->e_assembled),
				  &first);
	return ike_chain_parse(first, e->e_assembled, len, c);
}

/* An authenticated request of an exchange we do not take: one we do not
 * implement (IKE_INTERMEDIATE, RFC 9242, is never negotiated by us), so
 * INVALID_SYNTAX; or one out of its state (IKE_AUTH again once
 * established), NO_ADDITIONAL_SAS. Said at info, counted. */
static void refuse_exchange(struct ike_sa *sa, uint8_t exchange, uint16_t notify)
{
	sa->sa_engine->e_stats.st_unsupported_exchanges++;
	ike_log_sa_info(sa, "%s request (exchange type %u) in state %s: not taken, %s",
			ike_exchange_name(exchange), exchange, ike_state_name(sa->sa_state),
			ike_notify_name(notify));
	ike_info_error(sa, exchange, notify);
}

/* Verifies and decrypts a message (copied to the engine's scratch): 0
 * with its inner
 * chain, 1 for a fragment of one still incomplete, -errno. */
static int open_sk(struct ike_sa *sa, const uint8_t *buf, size_t len,
		   struct ike_chain *c)
{
	uint8_t *scratch = sa->sa_engine->e_scratch;
	const struct ike_sk_keys *k = peer_keys(sa);
	bool aead = ike_encr_is_aead(k->sk_encr);
	struct ike_msg m;
	struct ike_sk sk;
	uint8_t *plain;
	size_t plain_len;
	int rc;

	memcpy(scratch, buf, len);
	rc = ike_msg_parse(scratch, len, &m);
	if (rc == 0)
		rc = ike_msg_sk_split(&m, ike_sk_iv_len(k), ike_sk_icv_len(k),
				      aead ? 1 : 16, &sk);
	if (rc == 0)
		rc = ike_sk_decrypt(k, scratch, len, sk.sk_aad_len, &plain, &plain_len);
	if (rc != 0)
		return rc;
	if (sk.sk_total) /* SKF */
		return add_fragment(sa, m.m_hdr.h_msgid, &sk, plain, plain_len, c);
	return ike_chain_parse(sk.sk_first, plain, plain_len, c);
}

static void resend_response(struct ike_sa *sa)
{
	if (!sa->sa_v2.v2_resp_valid)
		return;
	sa->sa_engine->e_stats.st_responses_resent++;
	ike_bundle_send(sa, sa->sa_v2.v2_resp_buf, sa->sa_v2.v2_resp_len);
}

/* The exchange type of the request outstanding: its answer must be of
 * the same exchange (RFC 7296 §3.1, "the response MUST contain the same
 * exchange type"); 0 for none. */
static uint8_t request_exchange(enum ike_req what)
{
	switch (what) {
	case IKE_REQ_INIT:
		return IKE_EXCH_SA_INIT;
	case IKE_REQ_AUTH:
		return IKE_EXCH_AUTH;
	case IKE_REQ_CREATE_CHILD:
		return IKE_EXCH_CREATE_CHILD_SA;
	case IKE_REQ_DPD:
	case IKE_REQ_DELETE_IKE:
	case IKE_REQ_DELETE_CHILD:
	case IKE_REQ_MOBIKE:
	case IKE_REQ_MOBIKE_CHECK:
		return IKE_EXCH_INFORMATIONAL;
	case IKE_REQ_NONE:
		break;
	}
	return 0;
}

/* A response of another exchange than our request's would run that
 * exchange's handler on state it never set up (a CREATE_CHILD_SA answer
 * to a liveness check has no pending Child SA): dropped and counted, the
 * request stays outstanding and is retransmitted. */
static bool response_matches_request(struct ike_sa *sa, const struct ike_hdr *h)
{
	uint8_t want = request_exchange(sa->sa_v2.v2_req);

	if (h->h_exchange == want)
		return true;
	sa->sa_engine->e_stats.st_bad_messages++;
	ike_log_sa_info(sa, "%s response %u to our %s request: not its exchange, dropped",
			ike_exchange_name(h->h_exchange), h->h_msgid, ike_exchange_name(want));
	return false;
}

static void dispatch(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c)
{
	bool response = h->h_flags & IKE_HDR_F_RESPONSE;

	if (response) {
		/* The window opens before the handler runs: it may send the
		 * next request (a rekey's delete, say). */
		sa->sa_v2.v2_msgid_out++;
		sa->sa_v2.v2_req_done = sa->sa_v2.v2_req;
		sa->sa_v2.v2_req = IKE_REQ_NONE;
		free(sa->sa_v2.v2_req_buf); /* answered: nothing to retransmit */
		sa->sa_v2.v2_req_buf = NULL;
		sa->sa_v2.v2_req_len = 0;
		if (h->h_exchange == IKE_EXCH_AUTH)
			ike_auth_response(sa, c);
		else if (h->h_exchange == IKE_EXCH_INFORMATIONAL)
			ike_info_response(sa, c);
		else if (h->h_exchange == IKE_EXCH_CREATE_CHILD_SA)
			ike_create_child_response(sa, c);
		return;
	}
	if (h->h_exchange == IKE_EXCH_AUTH && sa->sa_state == IKE_S_INIT_DONE)
		ike_auth_request(sa, c);
	else if (h->h_exchange == IKE_EXCH_INFORMATIONAL &&
		 (sa->sa_state == IKE_S_ESTABLISHED || sa->sa_state == IKE_S_DELETING))
		ike_info_request(sa, c);
	else if (h->h_exchange == IKE_EXCH_CREATE_CHILD_SA && sa->sa_state == IKE_S_ESTABLISHED)
		ike_create_child_request(sa, c);
	else
		refuse_exchange(sa, h->h_exchange, IKE_N_NO_ADDITIONAL_SAS);
}

/* §2.23: after NAT detection the peer may move (port 4500, a new NAT
 * mapping); an authenticated message tells where it is now. With MOBIKE
 * only UPDATE_SA_ADDRESSES moves the SA (RFC 4555 §3.5, as strongSwan:
 * no implicit updates). A request is answered where it came from
 * (§2.11). */
static void follow_peer(struct ike_sa *sa, const struct ike_endpoint *local,
			const struct ike_endpoint *remote, bool response)
{
	if (!response) {
		sa->sa_v2.v2_rq_local = *local;
		sa->sa_v2.v2_rq_remote = *remote;
	}
	if (sa->sa_v2.v2_mobike)
		return;
	sa->sa_local = *local;
	sa->sa_remote = *remote;
}

static void input_encrypted(struct ike_sa *sa, const struct ike_msg *m,
			    const uint8_t *buf, size_t len,
			    const struct ike_endpoint *local,
			    const struct ike_endpoint *remote)
{
	const struct ike_hdr *h = &m->m_hdr;
	bool response = h->h_flags & IKE_HDR_F_RESPONSE;
	struct ike_chain c;
	uint8_t bad = 0;
	int rc;

	if (!sa->sa_v2.v2_keyed)
		return;
	if (response && (sa->sa_v2.v2_req == IKE_REQ_NONE || h->h_msgid != sa->sa_v2.v2_msgid_out))
		return;
	if (!response && h->h_msgid + 1 == sa->sa_v2.v2_msgid_in) {
		resend_response(sa);
		return;
	}
	if (!response && h->h_msgid != sa->sa_v2.v2_msgid_in)
		return;
	rc = open_sk(sa, buf, len, &c);
	if (rc == 1)
		return; /* more fragments to come */
	if (rc != 0) {
		sa->sa_engine->e_stats.st_bad_messages++;
		ike_log(sa->sa_engine, "IKE SA %u: message %u does not verify: dropped",
			sa->sa_id, h->h_msgid);
		return;
	}
	if (response && !response_matches_request(sa, h))
		return;
	sa->sa_last_rx_ms = sa->sa_engine->e_now;
	follow_peer(sa, local, remote, response);
	if (!ike_exchange_known(h->h_exchange)) { /* a request: responses matched ours */
		refuse_exchange(sa, h->h_exchange, IKE_N_INVALID_SYNTAX);
		return;
	}
	if (ike_msg_check_payloads(h->h_exchange, response, true, &c, &bad) != 0) {
		sa->sa_engine->e_stats.st_bad_messages++;
		ike_log_sa_info(sa, "%s %s %u: payload type %u missing or not allowed there: %s",
				ike_exchange_name(h->h_exchange), response ? "response" : "request",
				h->h_msgid, bad, response ? "dropped" : "INVALID_SYNTAX");
		if (!response)
			ike_info_error(sa, h->h_exchange, IKE_N_INVALID_SYNTAX);
		return;
	}
	dispatch(sa, h, &c);
}

/* RFC 7296 §3.1: the initiator's SPI is never zero. The responder's is
 * zero in an IKE_SA_INIT request and nowhere else but an IKE_SA_INIT
 * response that refuses (COOKIE, INVALID_KE_PAYLOAD, §2.6, §1.3); that
 * response is checked where it is handled. */
static bool spis_possible(const struct ike_hdr *h)
{
	bool response = h->h_flags & IKE_HDR_F_RESPONSE;

	if (!h->h_spi_i)
		return false;
	if (h->h_exchange == IKE_EXCH_SA_INIT)
		return response || !h->h_spi_r;
	return h->h_spi_r != 0;
}

/* A datagram of major version 2 (the core dispatched it here). */
void ikev2_input(struct ike_engine *e, const struct ike_endpoint *local,
		 const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	struct ike_msg m;
	struct ike_sa *sa;
	bool response, from_i;

	if (ike_msg_parse(buf, len, &m) != 0) {
		e->e_stats.st_bad_messages++;
		return; /* §2.21: unauthenticated garbage is dropped */
	}
	response = m.m_hdr.h_flags & IKE_HDR_F_RESPONSE;
	from_i = m.m_hdr.h_flags & IKE_HDR_F_INITIATOR;
	if (!spis_possible(&m.m_hdr)) {
		e->e_stats.st_bad_spis++;
		return;
	}
	if (m.m_hdr.h_exchange == IKE_EXCH_SA_INIT && !response) {
		if (!from_i) {
			e->e_stats.st_bad_messages++;
			return; /* §2.2: only the original initiator starts one */
		}
		sa = ike_sa_find_half_open(e, m.m_hdr.h_spi_i, remote);
		if (sa)
			resend_response(sa);
		else
			ike_init_respond(e, local, remote, &m);
		return;
	}
	sa = ike_sa_find_by_spi(e, from_i ? m.m_hdr.h_spi_r : m.m_hdr.h_spi_i);
	if (!sa || (response && from_i == sa->sa_initiator))
		return;
	if (m.m_hdr.h_exchange == IKE_EXCH_SA_INIT)
		ike_init_response(sa, &m);
	else
		input_encrypted(sa, &m, buf, len, local, remote);
}

/* RFC 7296 §1.5, §2.5: a request of a major version we do not speak is
 * answered, unauthenticated, with INVALID_MAJOR_VERSION in a version 2.0
 * header (the closest we support) that copies its SPIs, exchange and
 * message ID; a response is dropped. Answers are rate-limited to
 * IKE_REFUSE_PER_S a second, the rest counted. */
void ikev2_refuse_version(struct ike_engine *e, const struct ike_endpoint *local,
			  const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	struct ike_hdr req, h;
	struct ike_writer w;
	uint8_t out[64];
	size_t n;

	if (ike_hdr_parse(buf, len, &req) != -EPROTONOSUPPORT || (req.h_flags & IKE_HDR_F_RESPONSE))
		return;
	if (!ike_refusal_allowed(e))
		return;
	h = (struct ike_hdr){ .h_spi_i = req.h_spi_i, .h_spi_r = req.h_spi_r,
			      .h_exchange = req.h_exchange, .h_msgid = req.h_msgid,
			      .h_flags = IKE_HDR_F_RESPONSE };
	ike_w_init(&w, out, sizeof(out));
	ike_w_hdr(&w, &h);
	ike_w_notify(&w, IKE_N_INVALID_MAJOR_VERSION, NULL, 0);
	if (ike_w_finish(&w, &n) == 0)
		ike_send_raw(e, local, remote, out, n);
}

/* ---- timers ---- */

static const char *req_name(enum ike_req r)
{
	static const char *const names[] = {
		[IKE_REQ_NONE] = "no request", [IKE_REQ_INIT] = "IKE_SA_INIT",
		[IKE_REQ_AUTH] = "IKE_AUTH", [IKE_REQ_DPD] = "the liveness check",
		[IKE_REQ_DELETE_IKE] = "the IKE SA's DELETE",
		[IKE_REQ_DELETE_CHILD] = "a Child SA's DELETE",
		[IKE_REQ_CREATE_CHILD] = "CREATE_CHILD_SA",
	};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "a request";
}

/* §2.4: retransmission given up; the SA goes, said at info. */
static void give_up(struct ike_sa *sa, uint64_t now, const char *why)
{
	sa->sa_engine->e_stats.st_retransmit_give_up++;
	ike_log_sa_info(sa, "no answer to %s after %u transmissions in %llu ms: %s",
			req_name(sa->sa_v2.v2_req), sa->sa_v2.v2_req_tries,
			(unsigned long long)(now - sa->sa_v2.v2_req_first_ms), why);
	ike_sa_kill(sa, why);
}

static void retransmit(struct ike_sa *sa, uint64_t now)
{
	const struct ike_conn_cfg *c = sa->sa_conn;
	uint64_t deadline = 0;

	/* A liveness check gives up exactly at the configured timeout. */
	if (sa->sa_v2.v2_req == IKE_REQ_DPD && c && c->c_dpd_timeout_s)
		deadline = sa->sa_v2.v2_req_first_ms + (uint64_t)c->c_dpd_timeout_s * 1000;
	if (deadline && now >= deadline) {
		give_up(sa, now, "peer did not answer the liveness check");
		return;
	}
	if (!deadline && sa->sa_v2.v2_req_tries >= IKE_RETX_TRIES) {
		give_up(sa, now, "peer did not answer");
		return;
	}
	/* §2.1: exponential back-off. */
	sa->sa_engine->e_stats.st_retransmits++;
	ike_bundle_send(sa, sa->sa_v2.v2_req_buf, sa->sa_v2.v2_req_len);
	sa->sa_v2.v2_req_next_ms = now + ((uint64_t)IKE_RETX_BASE_MS << sa->sa_v2.v2_req_tries);
	if (deadline && sa->sa_v2.v2_req_next_ms > deadline)
		sa->sa_v2.v2_req_next_ms = deadline;
	sa->sa_v2.v2_req_tries++;
}


/* §2.8.3: a new IKE SA from scratch, with its children; the old one is
 * deleted once the new one stands (make-before-break). */
static int reauthenticate(struct ike_sa *old, uint64_t now)
{
	struct ike_sa *sa = ike_sa_new(old->sa_engine, old->sa_conn, true, now);
	int rc;

	if (!sa)
		return -ENOMEM;
	sa->sa_setup_stamp = 0; /* timer-driven, not a setup to time */
	sa->sa_local = old->sa_conn->c_local;
	sa->sa_remote = old->sa_remote;
	sa->sa_remote.ep_port = old->sa_conn->c_remote.ep_port;
	sa->sa_replaces = old->sa_id;
	ike_log(old->sa_engine, "IKE SA %u: reauthenticating as IKE SA %u", old->sa_id, sa->sa_id);
	rc = ike_init_start(sa, old->sa_dh_group);
	if (rc < 0)
		ike_sa_kill(sa, "could not start");
	return rc;
}

void ikev2_tick_sa(struct ike_sa *sa, uint64_t now)
{
	const struct ike_conn_cfg *c = sa->sa_conn;

	if (ike_radius_waiting(sa) && now >= sa->sa_v2.v2_radius_until_ms) {
		ike_radius_tick(sa, now);
		return;
	}
	if (sa->sa_v2.v2_req != IKE_REQ_NONE && now >= sa->sa_v2.v2_req_next_ms) {
		retransmit(sa, now);
		return;
	}
	if (sa->sa_state == IKE_S_INIT_DONE && now - sa->sa_created_ms > IKE_HALF_OPEN_MS) {
		ike_sa_kill(sa, "half-open SA expired");
		return;
	}
	if (sa->sa_state != IKE_S_ESTABLISHED || sa->sa_v2.v2_req != IKE_REQ_NONE || sa->sa_rekeyed)
		return;
	if (sa->sa_v2.v2_check_due && ike_mobike_check_start(sa) == 0)
		return;
	if (sa->sa_initiator && sa->sa_next_child && c && sa->sa_next_child < c->c_n_child) {
		if (ike_child_create_start(sa, &c->c_child[sa->sa_next_child++]) == 0)
			return;
	}
	if (sa->sa_replaces) {
		/* Reauthenticated, every child made anew: the old IKE SA goes. */
		struct ike_sa *old = ike_sa_find_by_id(sa->sa_engine, sa->sa_replaces);
		sa->sa_replaces = 0;
		if (old) {
			old->sa_rekeyed = true;
			ike_delete_start(old);
		}
	}
	if (sa->sa_reauth_at_ms && now >= sa->sa_reauth_at_ms) {
		sa->sa_reauth_at_ms = 0;
		if (reauthenticate(sa, now) == 0)
			return;
	}
	if (sa->sa_rekey_at_ms && now >= sa->sa_rekey_at_ms) {
		sa->sa_rekey_at_ms = 0;
		if (ike_ike_rekey_start(sa) == 0)
			return;
	}
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++) {
		struct ike_child_sa *cs = sa->sa_child[i];
		if (cs && !cs->cs_rekeyed && cs->cs_rekey_at_ms && now >= cs->cs_rekey_at_ms) {
			cs->cs_rekey_at_ms = 0;
			if (ike_child_rekey_start(sa, cs) == 0)
				return;
		}
	}
	if (c && c->c_dpd_s && now - sa->sa_last_rx_ms >= (uint64_t)c->c_dpd_s * 1000) {
		ike_dpd_start(sa);
		return;
	}
	/* Behind a NAT: keep its mapping alive (RFC 3948 §2.3). */
	if (sa->sa_nat_local && sa->sa_engine->e_ev.ev_keepalive &&
	    now - sa->sa_last_tx_ms >= IKE_KEEPALIVE_MS) {
		sa->sa_last_tx_ms = now;
		sa->sa_engine->e_ev.ev_keepalive(sa->sa_engine->e_ev.ev_ctx, &sa->sa_local,
						 &sa->sa_remote);
	}
}