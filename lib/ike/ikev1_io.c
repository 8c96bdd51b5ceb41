/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1 messages over the core: finding the ISAKMP SA a datagram is for
 * (by cookie, RFC 2408 §2.5.3), encryption with the IV chain of RFC 2409
 * App. B (phase 1's, and one per quick mode message ID), the HASH(n)
 * that authenticates every message after phase 1 (§5.5, §5.7),
 * retransmission with back-off and repeated messages answered from the
 * cache, fragments of the vendor-ID scheme strongSwan and Cisco use
 * (phase 1's messages out when the peer sent FRAGMENTATION and they
 * pass the fragment size; any reassembled in), and the timers of an
 * ISAKMP SA.
 */
#include "ikev1.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "byteorder.h"
#include "ike_cert.h"

#define QM_TIMEOUT_MS 60000 /* a quick mode that does not finish */

uint16_t ikev1_auth_method(const struct ike_conn_cfg *c)
{
	uint8_t ecdsa = ike_cred_ecdsa_method(c->c_cred);

	if (!c->c_cred)
		return IKEV1_AUTH_PSK;
	return ecdsa ? ecdsa : IKEV1_AUTH_RSA_SIG; /* RFC 4754 §3: 9/10/11 */
}

uint16_t ikev1_peer_auth_method(const struct ike_conn_cfg *c)
{
	uint16_t a = ikev1_auth_method(c);

	if (c->c_remote_auth != IKE_REMOTE_AUTH_XAUTH)
		return a;
	return a == IKEV1_AUTH_PSK ? IKEV1_AUTH_XAUTH_INIT_PSK
	       : a == IKEV1_AUTH_RSA_SIG ? IKEV1_AUTH_XAUTH_INIT_RSA : a;
}

uint16_t ikev1_auth_base(uint16_t auth)
{
	return auth == IKEV1_AUTH_XAUTH_INIT_PSK ? IKEV1_AUTH_PSK
	       : auth == IKEV1_AUTH_XAUTH_INIT_RSA ? IKEV1_AUTH_RSA_SIG : auth;
}

void ikev1_cookies(const struct ike_sa *sa, uint8_t cky_i[IKEV1_COOKIE_LEN],
		   uint8_t cky_r[IKEV1_COOKIE_LEN])
{
	be64_put(cky_i, sa->sa_spi_i);
	be64_put(cky_r, sa->sa_spi_r);
}

uint32_t ikev1_p1_life(const struct ike_conn_cfg *c)
{
	/* RFC 2409 has no rekey of an ISAKMP SA: its lifetime is when a new
	 * one replaces it; the peer learns it from our proposal. */
	return c->c_rekey_s ? c->c_rekey_s + c->c_rekey_s / 10 : 0;
}

struct ikev1_sa_state *ikev1_state_new(struct ike_sa *sa)
{
	sa->sa_version = IKEV1_MAJOR;
	sa->sa_v1 = calloc(1, sizeof(*sa->sa_v1));
	return sa->sa_v1;
}

void ikev1_xchg_clear(struct ikev1_xchg *x)
{
	free(x->x_out);
	x->x_out = NULL;
	x->x_out_len = 0;
	x->x_waiting = false;
}

void ikev1_sa_release(struct ike_sa *sa)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;

	if (!v1)
		return;
	for (unsigned i = 0; i < IKEV1_QM_MAX; i++)
		if (v1->v1_qm[i])
			ikev1_qm_free(sa, v1->v1_qm[i]);
	ikev1_xchg_clear(&v1->v1_p1);
	ikev1_xchg_clear(&v1->v1_info);
	ike_reassembly_free(&v1->v1_frag);
	ikev1_cfg_free(v1->v1_cfg);
	free(v1->v1_sai_b);
	free(v1->v1_id_b);
	free(v1->v1_gxi);
	free(v1->v1_gxr);
	OPENSSL_cleanse(v1, sizeof(*v1));
	free(v1);
	sa->sa_v1 = NULL;
}

/* ---- building and sending ---- */

void ikev1_msg_begin(struct ike_sa *sa, struct ike_writer *w, uint8_t *buf,
		     size_t cap, uint8_t exchange, uint32_t msgid, uint8_t flags)
{
	struct ikev1_hdr h = { .h_exchange = exchange, .h_flags = flags,
			       .h_msgid = msgid };

	ikev1_cookies(sa, h.h_cky_i, h.h_cky_r);
	ike_w_init(w, buf, cap);
	ikev1_w_hdr(w, &h);
}

/* x_out is a bundle (ike_frag.c): the message, or all its fragments. */
static void send_kept(struct ike_sa *sa, const struct ikev1_xchg *x)
{
	if (x->x_out)
		ike_bundle_send(sa, x->x_out, x->x_out_len);
}

/* Phase 1's messages (where certificates make them big) are cut when
 * the peer takes fragments and they would not fit in one datagram. */
static bool to_fragment(const struct ike_sa *sa, const struct ikev1_xchg *x, size_t len)
{
	return x == &sa->sa_v1->v1_p1 && sa->sa_v1->v1_frag_peer &&
	       !sa->sa_conn->c_no_fragmentation && len > ike_frag_room(sa);
}

/* One fragment's datagram onto bundle b: the message's header with E
 * cleared (the fragment itself is not encrypted, the slice it carries
 * may be) and next payload FRAGMENT (ikev1_msg.h). */
static int w_fragment(uint8_t *b, size_t *blen, size_t cap, const struct ikev1_hdr *h,
		      const struct ikev1_frag *f)
{
	struct ikev1_hdr fh = *h;
	struct ike_writer w;
	size_t n;

	if (*blen + 2 > cap)
		return -EMSGSIZE;
	fh.h_flags &= (uint8_t)~IKEV1_F_ENCRYPTION;
	ike_w_init(&w, b + *blen + 2, cap - *blen - 2);
	ikev1_w_hdr(&w, &fh);
	ikev1_w_frag(&w, f);
	if (ike_w_finish(&w, &n) != 0)
		return w.w_err;
	b[*blen] = (uint8_t)(n >> 8);
	b[*blen + 1] = (uint8_t)n;
	*blen += 2 + n;
	return 0;
}

/* The message as the bundle to keep: its fragments, numbered from 1
 * under a fragment ID of their own, or the message alone. */
static uint8_t *bundle_of(struct ike_sa *sa, const struct ikev1_xchg *x, const uint8_t *msg,
			  size_t len, size_t *blen)
{
	const size_t over = IKEV1_HDR_LEN + IKEV1_GEN_HDR_LEN + IKEV1_FRAG_HDR_LEN;
	size_t room = ike_frag_room(sa), chunk, total, cap;
	struct ikev1_hdr h;
	uint8_t *b;

	*blen = 0;
	if (!to_fragment(sa, x, len) || ikev1_hdr_parse(msg, len, &h) != 0) {
		b = malloc(len + 2);
		if (b && !ike_bundle_add(b, blen, len + 2, msg, len)) {
			free(b);
			return NULL;
		}
		return b;
	}
	chunk = room > over + 64 ? room - over : 64;
	if ((len + chunk - 1) / chunk > IKE_FRAG_MAX) /* no more than the peer takes */
		chunk = (len + IKE_FRAG_MAX - 1) / IKE_FRAG_MAX;
	total = (len + chunk - 1) / chunk;
	cap = len + total * (2 + over);
	b = malloc(cap);
	if (!b)
		return NULL;
	sa->sa_v1->v1_frag_id++;
	for (size_t i = 0, off = 0; i < total; i++, off += chunk) {
		struct ikev1_frag f = {
			.f_id = sa->sa_v1->v1_frag_id, .f_num = (uint8_t)(i + 1),
			.f_last = i + 1 == total, .f_data = msg + off,
			.f_len = len - off < chunk ? len - off : chunk,
		};

		if (w_fragment(b, blen, cap, &h, &f) != 0) {
			free(b);
			return NULL;
		}
	}
	ike_log(sa->sa_engine, "IKE SA %u: phase 1 message of %zu bytes in %zu fragments",
		sa->sa_id, len, total);
	return b;
}

/* App. B: the body is padded to the cipher's block (zero bytes after
 * the last payload, outside every payload length) and encrypted. */
static int protect(struct ike_sa *sa, struct ike_writer *w, uint8_t *iv)
{
	const struct ikev1_sa_state *v1 = sa->sa_v1;
	size_t body = w->w_len - IKEV1_HDR_LEN, pad;

	if (!v1->v1_keyed)
		return -EINVAL;
	pad = (v1->v1_block - body % v1->v1_block) % v1->v1_block;
	if (pad && !ike_w_reserve(w, pad))
		return w->w_err;
	if (ike_w_finish(w, NULL) != 0)
		return w->w_err;
	return ikev1_cbc(sa->sa_alg.ch_encr, v1->v1_enc_key, v1->v1_enc_len, iv,
			 w->w_buf + IKEV1_HDR_LEN, w->w_len - IKEV1_HDR_LEN, true);
}

int ikev1_msg_send(struct ike_sa *sa, struct ike_writer *w,
		   struct ikev1_xchg *x, bool request)
{
	bool encrypted = w->w_len >= IKEV1_HDR_LEN &&
			 (w->w_buf[19] & IKEV1_F_ENCRYPTION);
	uint8_t *copy;
	size_t len;
	int rc;

	rc = encrypted ? protect(sa, w, x->x_iv) : ike_w_finish(w, NULL);
	if (rc)
		return rc;
	copy = bundle_of(sa, x, w->w_buf, w->w_len, &len);
	if (!copy)
		return -ENOMEM;
	ikev1_xchg_clear(x);
	x->x_out = copy;
	x->x_out_len = len;
	x->x_waiting = request;
	x->x_tries = 0;
	x->x_next_ms = sa->sa_engine->e_now + IKE_RETX_BASE_MS;
	send_kept(sa, x);
	ike_sa_schedule(sa);
	return 0;
}

uint32_t ikev1_new_msgid(const struct ike_sa *sa)
{
	uint32_t id;

	do {
		if (ike_random((uint8_t *)&id, sizeof(id)) != 0)
			return 0;
	} while (id == 0 || ikev1_qm_find(sa, id));
	return id;
}

/* The last CBC block an informational exchange's IV is made from: phase
 * 1's final one once it is done, during phase 1 the one so far (an
 * error such as AUTHENTICATION-FAILED is sent, and read, before the
 * exchange ends). */
static const uint8_t *info_iv_base(const struct ike_sa *sa)
{
	const struct ikev1_sa_state *v1 = sa->sa_v1;

	return sa->sa_state == IKE_S_ESTABLISHED || sa->sa_state == IKE_S_DELETING
		       ? v1->v1_p1_last : v1->v1_p1.x_iv;
}

int ikev1_send_info(struct ike_sa *sa, struct ike_writer *w)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;
	uint32_t msgid = be32_get(w->w_buf + 20);

	/* §5.7 and App. B: an informational exchange's IV comes from phase
	 * 1's last block and its own message ID; nothing is chained on. */
	if (ikev1_iv_phase2(sa->sa_alg.ch_prf, info_iv_base(sa), v1->v1_block,
			    msgid, v1->v1_info.x_iv) != 0)
		return -EIO;
	return ikev1_msg_send(sa, w, &v1->v1_info, false);
}

int ikev1_hash_msg(const struct ike_sa *sa, uint32_t msgid,
		   const uint8_t *pre, size_t pre_len,
		   const uint8_t *mid, size_t mid_len,
		   const uint8_t *rest, size_t rest_len, uint8_t *out)
{
	const struct ikev1_keys *k = &sa->sa_v1->v1_keys;
	uint8_t id[4];
	const struct ike_iov iov[] = {
		{ pre, pre ? pre_len : 0 },
		{ id, sizeof(id) },
		{ mid, mid ? mid_len : 0 },
		{ rest, rest_len },
	};

	be32_put(id, msgid);
	return ike_prf_iov(sa->sa_alg.ch_prf, k->k_skeyid_a, k->k_len, iov, 4,
			   out);
}

size_t ikev1_hash_reserve(const struct ike_sa *sa, struct ike_writer *w)
{
	size_t at = w->w_len;

	ike_w_pl_begin(w, IKEV1_PL_HASH, false);
	ike_w_reserve(w, sa->sa_v1->v1_keys.k_len);
	ike_w_pl_end(w);
	return at;
}

void ikev1_hash_fill(const struct ike_sa *sa, struct ike_writer *w,
		     size_t at, uint32_t msgid, const uint8_t *mid,
		     size_t mid_len)
{
	const size_t hl = sa->sa_v1->v1_keys.k_len;
	const size_t after = at + IKEV1_GEN_HDR_LEN + hl;

	if (w->w_err)
		return;
	if (ikev1_hash_msg(sa, msgid, NULL, 0, mid, mid_len, w->w_buf + after,
			   w->w_len - after, w->w_buf + at + IKEV1_GEN_HDR_LEN))
		ike_w_fail(w, -EIO);
}

bool ikev1_hash_ok(const struct ike_sa *sa, uint32_t msgid,
		   const uint8_t *pre, size_t pre_len,
		   const uint8_t *plain, size_t plain_len,
		   const struct ikev1_chain *ch)
{
	const size_t hl = sa->sa_v1->v1_keys.k_len;
	const struct ikev1_payload *h = ch->c_n ? &ch->c_pl[0] : NULL;
	uint8_t want[IKE_PRF_MAX];
	size_t after, end;
	bool ok;

	if (!h || h->pl_type != IKEV1_PL_HASH || h->pl_len != hl)
		return false;
	/* the payloads after HASH, without the padding after the last */
	after = h->pl_off + IKEV1_GEN_HDR_LEN + hl;
	end = plain_len - ch->c_trailing;
	if (after > end || ikev1_hash_msg(sa, msgid, NULL, 0, pre, pre_len,
					  plain + after, end - after, want) != 0)
		return false;
	ok = CRYPTO_memcmp(want, h->pl_body, hl) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

void ikev1_w_notify_isakmp(struct ike_writer *w, const struct ike_sa *sa,
			   uint16_t type, const void *data, size_t len)
{
	uint8_t spi[2 * IKEV1_COOKIE_LEN];

	ikev1_cookies(sa, spi, spi + IKEV1_COOKIE_LEN);
	ikev1_w_notify(w, &(struct ikev1_notify){
		.n_doi = IKEV1_DOI_IPSEC, .n_proto = IKEV1_PROTO_ISAKMP,
		.n_spi_len = sizeof(spi), .n_type = type, .n_spi = spi,
		.n_data = data, .n_data_len = len });
}

/* ---- input ---- */

/* The SA a message is for: by our cookie, and the peer's must agree (an
 * initiator learns the responder's from its first answer). */
static struct ike_sa *find_sa(struct ike_engine *e, uint64_t spi_i,
			      uint64_t spi_r)
{
	struct ike_sa *sa = spi_r ? ike_sa_find_by_spi(e, spi_r) : NULL;

	if (sa && !sa->sa_initiator && sa->sa_spi_i == spi_i)
		return sa;
	sa = ike_sa_find_by_spi(e, spi_i);
	if (sa && sa->sa_initiator && (sa->sa_spi_r == spi_r || !sa->sa_spi_r))
		return sa;
	return NULL;
}

static void digest(const uint8_t *buf, size_t len, uint8_t out[IKE_SHA1_LEN])
{
	if (ike_sha1(buf, len, out) != 0)
		memset(out, 0, IKE_SHA1_LEN);
}

/* A message seen before gets our answer to it again (RFC 2408 §5:
 * retransmissions are not processed twice). */
static bool repeated(struct ike_sa *sa, struct ikev1_xchg *x,
		     const uint8_t d[IKE_SHA1_LEN])
{
	if (memcmp(x->x_in_digest, d, IKE_SHA1_LEN) != 0)
		return false;
	if (!x->x_waiting)
		send_kept(sa, x);
	return true;
}

/* The plaintext of an encrypted message in the engine's scratch buffer,
 * its chain parsed; iv is the IV to use, updated to the next one. */
static int open_msg(struct ike_sa *sa, const struct ikev1_msg *m, uint8_t *iv,
		    uint8_t **plain, size_t *plain_len, struct ikev1_chain *ch)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;
	uint8_t *buf = sa->sa_engine->e_scratch;
	int rc;

	if (!v1->v1_keyed || m->m_enc_len == 0 || m->m_enc_len % v1->v1_block ||
	    m->m_enc_len > sizeof(sa->sa_engine->e_scratch))
		return -EINVAL;
	memcpy(buf, m->m_enc, m->m_enc_len);
	rc = ikev1_cbc(sa->sa_alg.ch_encr, v1->v1_enc_key, v1->v1_enc_len, iv,
		       buf, m->m_enc_len, false);
	if (rc)
		return rc;
	*plain = buf;
	*plain_len = m->m_enc_len;
	return ikev1_chain_parse(m->m_hdr.h_next, buf, m->m_enc_len, true, ch);
}

/* RFC 3947 §4 (and RFC 3948 for the IPsec SAs made later): once NAT-T
 * moved the exchange to port 4500, or a NAT's mapping changed, answers go
 * where the peer's protected message came from. Taken before the handler
 * runs, since it sends its answer, and undone if the message does not
 * verify: a message nobody authenticated moves nothing. */
struct peer_move {
	struct ike_endpoint pm_local, pm_remote;
};

static void peer_move_try(struct ike_sa *sa, const struct ike_endpoint *local,
			  const struct ike_endpoint *remote, struct peer_move *was)
{
	was->pm_local = sa->sa_local;
	was->pm_remote = sa->sa_remote;
	sa->sa_local = *local;
	sa->sa_remote = *remote;
}

static void peer_move_undo(struct ike_sa *sa, const struct peer_move *was)
{
	sa->sa_local = was->pm_local;
	sa->sa_remote = was->pm_remote;
}

static void input_phase1(struct ike_sa *sa, const struct ikev1_msg *m,
			 const uint8_t d[IKE_SHA1_LEN], const struct ike_endpoint *local,
			 const struct ike_endpoint *remote)
{
	struct peer_move was;
	struct ikev1_sa_state *v1 = sa->sa_v1;
	struct ike_engine *e = sa->sa_engine;
	struct ikev1_chain *ch = &(struct ikev1_chain){ 0 };
	uint8_t iv[IKEV1_BLOCK_MAX], *plain;
	size_t plain_len;

	int rc;

	if (repeated(sa, &v1->v1_p1, d))
		return;
	if (!(m->m_hdr.h_flags & IKEV1_F_ENCRYPTION)) {
		/* aggressive mode's message 3 is in clear and authenticates
		 * (HASH_I): it may move the SA to port 4500 (RFC 3947 §4) */
		bool moves = v1->v1_exchange == IKEV1_EXCH_AGGRESSIVE && !sa->sa_initiator;

		if (moves)
			peer_move_try(sa, local, remote, &was);
		rc = ikev1_p1_input(sa, m, &m->m_chain, m->m_buf + IKEV1_HDR_LEN,
				    m->m_len - IKEV1_HDR_LEN, NULL);
		if (moves && rc)
			peer_move_undo(sa, &was);
	} else {
		memcpy(iv, v1->v1_p1.x_iv, sizeof(iv));
		rc = open_msg(sa, m, iv, &plain, &plain_len, ch);
		/* the handler takes the next IV only when the message
		 * verifies: a forged one must not move the chain */
		if (rc == 0) {
			peer_move_try(sa, local, remote, &was);
			rc = ikev1_p1_input(sa, m, ch, plain, plain_len, iv);
			if (rc)
				peer_move_undo(sa, &was);
		}
	}
	if (rc) {
		e->e_stats.st_bad_messages++;
		if (m->m_hdr.h_flags & IKEV1_F_ENCRYPTION)
			ike_log(e, "IKE SA %u: phase 1 message does not decrypt or verify (another pre-shared key?): dropped",
				sa->sa_id);
		return;
	}
	sa->sa_last_rx_ms = e->e_now;
	if (sa->sa_v1)
		memcpy(sa->sa_v1->v1_p1.x_in_digest, d, IKE_SHA1_LEN);
}

/* Quick mode and informational messages: encrypted, with a message ID
 * of their own (RFC 2409 §5.5, §5.7). */
static void input_phase2(struct ike_sa *sa, const struct ikev1_msg *m,
			 const uint8_t d[IKE_SHA1_LEN], const struct ike_endpoint *local,
			 const struct ike_endpoint *remote)
{
	struct peer_move was;
	struct ikev1_sa_state *v1 = sa->sa_v1;
	struct ike_engine *e = sa->sa_engine;
	uint32_t msgid = m->m_hdr.h_msgid;
	struct ikev1_qm *q = ikev1_qm_find(sa, msgid);
	struct ikev1_xchg *x = q ? &q->q_x : ikev1_cfg_xchg(sa, msgid);
	struct ikev1_chain *ch = &(struct ikev1_chain){ 0 };
	uint8_t iv[IKEV1_BLOCK_MAX], *plain;
	size_t plain_len;
	int rc;

	if (!(m->m_hdr.h_flags & IKEV1_F_ENCRYPTION)) {
		e->e_stats.st_bad_messages++; /* §5.5: always protected */
		return;
	}
	if (x && repeated(sa, x, d))
		return;
	if (x)
		memcpy(iv, x->x_iv, sizeof(iv));
	else if (ikev1_iv_phase2(sa->sa_alg.ch_prf, v1->v1_p1_last,
				 v1->v1_block, msgid, iv) != 0)
		return;
	rc = open_msg(sa, m, iv, &plain, &plain_len, ch);
	peer_move_try(sa, local, remote, &was);
	if (rc == 0 && m->m_hdr.h_exchange == IKEV1_EXCH_QUICK)
		rc = ikev1_qm_input(sa, q, msgid, plain, plain_len, ch, iv);
	else if (rc == 0 && m->m_hdr.h_exchange == IKEV1_EXCH_INFO && !q)
		rc = ikev1_info_input(sa, msgid, plain, plain_len, ch);
	else if (rc == 0 && m->m_hdr.h_exchange == IKEV1_EXCH_TRANSACTION && !q)
		rc = ikev1_cfg_input(sa, msgid, plain, plain_len, ch, iv);
	else if (rc == 0)
		rc = -EINVAL;
	if (rc) {
		peer_move_undo(sa, &was);
		e->e_stats.st_bad_messages++;
		ike_log(e, "IKE SA %u: message 0x%08x refused: dropped",
			sa->sa_id, msgid);
		return;
	}
	sa->sa_last_rx_ms = e->e_now;
	if (sa->sa_v1 && (q = ikev1_qm_find(sa, msgid)) != NULL)
		memcpy(q->q_x.x_in_digest, d, IKE_SHA1_LEN);
	else if (sa->sa_v1 && (x = ikev1_cfg_xchg(sa, msgid)) != NULL)
		memcpy(x->x_in_digest, d, IKE_SHA1_LEN);
}

/* The first error notify of a chain (RFC 2408 §3.14.1: types below
 * 16384), 0 when none. */
static uint16_t error_in(const struct ikev1_chain *ch)
{
	struct ikev1_notify n;

	for (unsigned i = 0; i < ch->c_n; i++)
		if (ch->c_pl[i].pl_type == IKEV1_PL_N &&
		    ikev1_notify_decode(ch->c_pl[i].pl_body, ch->c_pl[i].pl_len, &n) == 0 &&
		    n.n_type && n.n_type < 16384)
			return n.n_type;
	return 0;
}

/* §5.7: an informational exchange before phase 1 is done carries the
 * peer's refusal of it: in clear before there are keys (NO-PROPOSAL-
 * CHOSEN to an initiator's message 1), protected by HASH(1) after
 * (AUTHENTICATION-FAILED). Either ends the attempt at once instead of
 * at the retransmission timeout; a responder's SA is not ended by one
 * in clear, which anyone who saw the cookies could send. */
static void input_p1_info(struct ike_sa *sa, const struct ikev1_msg *m)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;
	struct ike_engine *e = sa->sa_engine;
	struct ikev1_chain *ch = &(struct ikev1_chain){ 0 };
	const struct ikev1_chain *said = &m->m_chain;
	uint8_t iv[IKEV1_BLOCK_MAX], *plain;
	size_t plain_len;
	uint16_t err;

	if (m->m_hdr.h_exchange != IKEV1_EXCH_INFO) {
		e->e_stats.st_bad_messages++;
		return;
	}
	if (m->m_hdr.h_flags & IKEV1_F_ENCRYPTION) {
		if (ikev1_iv_phase2(sa->sa_alg.ch_prf, info_iv_base(sa), v1->v1_block,
				    m->m_hdr.h_msgid, iv) != 0 ||
		    open_msg(sa, m, iv, &plain, &plain_len, ch) != 0 ||
		    !ikev1_hash_ok(sa, m->m_hdr.h_msgid, NULL, 0, plain, plain_len, ch)) {
			e->e_stats.st_bad_messages++;
			return;
		}
		said = ch;
	} else if (v1->v1_keyed || !sa->sa_initiator) {
		e->e_stats.st_bad_messages++;
		return;
	}
	err = error_in(said);
	if (!err) {
		e->e_stats.st_bad_messages++;
		return;
	}
	ike_log(e, "IKE SA %u: the peer refused phase 1: %s", sa->sa_id,
		ikev1_notify_name(err) ? ikev1_notify_name(err) : "an error");
	ike_sa_kill(sa, "refused by the peer");
}

/* §5.7: a phase 1 request no connection takes is answered in clear with
 * NO-PROPOSAL-CHOSEN under a fresh responder cookie (an initiator knows
 * at once instead of at its timeout), at most IKE_REFUSE_PER_S a second. */
void ikev1_refuse_p1(struct ike_engine *e, const struct ike_endpoint *local,
		     const struct ike_endpoint *remote, const struct ikev1_msg *m)
{
	struct ikev1_hdr h = { .h_exchange = IKEV1_EXCH_INFO };
	uint8_t out[128], spi[2 * IKEV1_COOKIE_LEN];
	struct ike_writer w;
	size_t n;

	if (!ike_refusal_allowed(e))
		return;
	memcpy(h.h_cky_i, m->m_hdr.h_cky_i, IKEV1_COOKIE_LEN);
	if (ike_random(h.h_cky_r, IKEV1_COOKIE_LEN) != 0 ||
	    ike_random((uint8_t *)&h.h_msgid, sizeof(h.h_msgid)) != 0)
		return;
	h.h_cky_r[0] |= 1; /* never zero */
	h.h_msgid |= 1;
	memcpy(spi, h.h_cky_i, IKEV1_COOKIE_LEN);
	memcpy(spi + IKEV1_COOKIE_LEN, h.h_cky_r, IKEV1_COOKIE_LEN);
	ike_w_init(&w, out, sizeof(out));
	ikev1_w_hdr(&w, &h);
	ikev1_w_notify(&w, &(struct ikev1_notify){
		.n_doi = IKEV1_DOI_IPSEC, .n_proto = IKEV1_PROTO_ISAKMP,
		.n_spi_len = sizeof(spi), .n_type = IKEV1_N_NO_PROPOSAL_CHOSEN,
		.n_spi = spi });
	if (ike_w_finish(&w, &n) == 0)
		ike_send_raw(e, local, remote, out, n);
}

/* RFC 2408 §2.5.3: a message with no responder cookie can only start
 * phase 1. */
static void input_new(struct ike_engine *e, const struct ike_endpoint *local,
		      const struct ike_endpoint *remote, const struct ikev1_msg *m)
{
	uint64_t spi_i = be64_get(m->m_hdr.h_cky_i);
	struct ike_sa *sa;
	uint8_t d[IKE_SHA1_LEN];

	if ((m->m_hdr.h_exchange != IKEV1_EXCH_IDPROT &&
	     m->m_hdr.h_exchange != IKEV1_EXCH_AGGRESSIVE) ||
	    m->m_hdr.h_msgid != 0 || (m->m_hdr.h_flags & IKEV1_F_ENCRYPTION)) {
		e->e_stats.st_ikev1_unknown_sa++;
		return;
	}
	digest(m->m_buf, m->m_len, d);
	sa = ike_sa_find_half_open(e, spi_i, remote);
	if (sa && sa->sa_version == IKEV1_MAJOR && sa->sa_v1) {
		repeated(sa, &sa->sa_v1->v1_p1, d);
		return;
	}
	ikev1_p1_respond(e, local, remote, m);
	/* the SA it made, if any, knows message 1 again (main mode's
	 * message 2 is sent again only for it) */
	sa = ike_sa_find_half_open(e, spi_i, remote);
	if (sa && sa->sa_version == IKEV1_MAJOR && sa->sa_v1)
		memcpy(sa->sa_v1->v1_p1.x_in_digest, d, IKE_SHA1_LEN);
}

/* A whole message, as it came or reassembled. */
static void input_msg(struct ike_engine *e, const struct ike_endpoint *local,
		      const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	struct ikev1_msg *m = &(struct ikev1_msg){ 0 };
	uint8_t d[IKE_SHA1_LEN];
	struct ike_sa *sa;
	int rc;

	rc = ikev1_msg_parse(buf, len, m);
	if (rc) {
		e->e_stats.st_bad_messages++; /* unauthenticated: dropped */
		return;
	}
	if (be64_get(m->m_hdr.h_cky_i) == 0) {
		e->e_stats.st_bad_spis++;
		return;
	}
	if (be64_get(m->m_hdr.h_cky_r) == 0) {
		input_new(e, local, remote, m);
		return;
	}
	sa = find_sa(e, be64_get(m->m_hdr.h_cky_i), be64_get(m->m_hdr.h_cky_r));
	if (!sa || sa->sa_version != IKEV1_MAJOR || !sa->sa_v1 ||
	    sa->sa_state == IKE_S_DEAD) {
		e->e_stats.st_ikev1_unknown_sa++;
		return;
	}
	digest(buf, len, d);
	if (m->m_hdr.h_msgid == 0)
		input_phase1(sa, m, d, local, remote);
	else if (sa->sa_state != IKE_S_ESTABLISHED && sa->sa_state != IKE_S_DELETING)
		input_p1_info(sa, m);
	else
		input_phase2(sa, m, d, local, remote);
}

/* The slot for fragments of a first message from peer under cky_i:
 * the one that peer's message has (a new cookie from it replaces it),
 * else a free one, else the oldest's (*lost when it had fragments). */
static struct ike_reassembly **first_frag_slot(struct ike_engine *e, uint64_t cky_i,
					       const struct ip_addr *peer, bool *lost)
{
	struct ikev1_first_frag *ff = NULL;

	*lost = false;
	for (unsigned i = 0; i < IKEV1_FIRST_FRAG_SLOTS; i++) {
		struct ikev1_first_frag *x = &e->e_v1_first[i];

		if (x->ff_ra && ip_addr_equal(&x->ff_peer, peer)) {
			ff = x;
			break;
		}
		if (!ff || (ff->ff_ra && (!x->ff_ra ||
					  x->ff_ra->ra_started_ms < ff->ff_ra->ra_started_ms)))
			ff = x;
	}
	if (ff->ff_ra && (ff->ff_cky_i != cky_i || !ip_addr_equal(&ff->ff_peer, peer))) {
		*lost = ff->ff_ra->ra_count != 0;
		ike_reassembly_free(&ff->ff_ra);
	}
	ff->ff_cky_i = cky_i;
	ff->ff_peer = *peer;
	return &ff->ff_ra;
}

void ikev1_engine_release(struct ike_engine *e)
{
	for (unsigned i = 0; i < IKEV1_FIRST_FRAG_SLOTS; i++)
		ike_reassembly_free(&e->e_v1_first[i].ff_ra);
}

/* Where a fragment's message is put together: with the SA its cookies
 * name, or, without a responder cookie, apart (first_frag_slot). NULL
 * when neither. */
static struct ike_reassembly **fragment_slot(struct ike_engine *e, const struct ikev1_hdr *h,
					     const struct ike_endpoint *remote, uint32_t *sa_id)
{
	uint64_t cky_i = be64_get(h->h_cky_i), cky_r = be64_get(h->h_cky_r);
	struct ike_sa *sa;
	bool lost;

	*sa_id = 0;
	if (!cky_i)
		return NULL;
	if (!cky_r) {
		struct ike_reassembly **slot = first_frag_slot(e, cky_i, &remote->ep_addr, &lost);
		e->e_stats.st_ikev1_frags_lost += lost;
		return slot;
	}
	sa = find_sa(e, cky_i, cky_r);
	if (!sa || sa->sa_version != IKEV1_MAJOR || !sa->sa_v1 || sa->sa_state == IKE_S_DEAD)
		return NULL;
	*sa_id = sa->sa_id;
	return &sa->sa_v1->v1_frag;
}

/* A fragment: kept with the SA its cookies name until its message is
 * whole (a first message's apart, fragment_slot), which then goes in as
 * if it had come so; taken whatever was negotiated, as strongSwan does.
 * Nothing of it is authenticated before the whole message is: a forged
 * one can at worst spoil a message in progress, which the peer's
 * retransmission brings again. */
static void input_fragment(struct ike_engine *e, const struct ike_endpoint *local,
			   const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	struct ike_stats *st = &e->e_stats;
	struct ike_reassembly **slot = NULL;
	struct ike_frag_piece fp;
	struct ikev1_frag f;
	struct ikev1_hdr h;
	uint32_t sa_id;
	bool dropped;
	int rc;

	st->st_ikev1_frags++;
	if (ikev1_frag_parse(buf, len, &h, &f) == 0)
		slot = fragment_slot(e, &h, remote, &sa_id);
	if (!slot) {
		st->st_ikev1_frags_bad++;
		return;
	}
	fp = (struct ike_frag_piece){ .fp_id = f.f_id, .fp_num = f.f_num,
				      .fp_total = f.f_last ? f.f_num : 0,
				      .fp_data = f.f_data, .fp_len = f.f_len };
	rc = ike_reassembly_add(slot, &fp, IKE_MSG_MAX, e->e_now, &dropped);
	st->st_ikev1_frags_lost += dropped;
	if (rc == -EEXIST) {
		st->st_ikev1_frags_dup++; /* a retransmission's, most likely */
		return;
	}
	if (rc < 0) {
		st->st_ikev1_frags_bad++;
		char who[32];

		if (sa_id)
			snprintf(who, sizeof(who), "IKE SA %u", sa_id);
		else
			ip_addr_format(&remote->ep_addr, who, sizeof(who));
		ike_log(e, "%s: fragment %u of ID %u dropped: %s", who, f.f_num,
			f.f_id, rc == -EMSGSIZE ? "the message would be too large"
						: "number out of range or at odds with the last");
		return;
	}
	if (rc == 1)
		return;
	len = ike_reassembly_join(slot, e->e_assembled, IKE_MSG_MAX, NULL);
	st->st_ikev1_reassembled++;
	input_msg(e, local, remote, e->e_assembled, len);
}

void ikev1_input(struct ike_engine *e, const struct ike_endpoint *local,
		 const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	struct ikev1_hdr h;

	e->e_stats.st_ikev1_messages++;
	if (ikev1_hdr_parse(buf, len, &h) == 0 && h.h_next == IKEV1_PL_FRAG)
		input_fragment(e, local, remote, buf, len);
	else
		input_msg(e, local, remote, buf, len);
}

/* ---- timers ---- */

static void due_min(uint64_t *due, uint64_t t)
{
	if (t && (!*due || t < *due))
		*due = t;
}

uint64_t ikev1_next_due(const struct ike_sa *sa)
{
	const struct ikev1_sa_state *v1 = sa->sa_v1;
	const struct ike_conn_cfg *c = sa->sa_conn;
	uint64_t due = 0;

	if (!v1)
		return 0;
	if (v1->v1_p1.x_waiting)
		due_min(&due, v1->v1_p1.x_next_ms);
	if (sa->sa_state != IKE_S_ESTABLISHED)
		due_min(&due, sa->sa_created_ms + IKE_HALF_OPEN_MS);
	for (unsigned i = 0; i < IKEV1_QM_MAX; i++) {
		const struct ikev1_qm *q = v1->v1_qm[i];

		if (!q)
			continue;
		due_min(&due, q->q_started_ms + QM_TIMEOUT_MS);
		if (q->q_step == 3)
			due_min(&due, ikev1_qm_due(q));
		if (q->q_x.x_waiting)
			due_min(&due, q->q_x.x_next_ms);
	}
	if (sa->sa_state != IKE_S_ESTABLISHED)
		return due;
	due_min(&due, ikev1_cfg_due(sa));
	due_min(&due, sa->sa_rekey_at_ms);
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
		if (sa->sa_child[i] && !sa->sa_child[i]->cs_rekeyed)
			due_min(&due, sa->sa_child[i]->cs_rekey_at_ms);
	if (c && c->c_dpd_s && v1->v1_dpd)
		due_min(&due, v1->v1_dpd_sent_ms
				      ? v1->v1_dpd_sent_ms + (uint64_t)c->c_dpd_timeout_s * 1000
				      : sa->sa_last_rx_ms + (uint64_t)c->c_dpd_s * 1000);
	if (sa->sa_nat_local && sa->sa_engine->e_ev.ev_keepalive)
		due_min(&due, sa->sa_last_tx_ms + IKE_KEEPALIVE_MS);
	return due;
}

/* Our request again, the wait doubled each time (RFC 2408 §5 leaves the
 * schedule to us: the same as IKEv2's). false when we gave up. */
static bool retransmit(struct ike_sa *sa, struct ikev1_xchg *x, uint64_t now)
{
	if (!x->x_waiting || now < x->x_next_ms)
		return true;
	if (x->x_tries >= IKE_RETX_TRIES) {
		sa->sa_engine->e_stats.st_retransmit_give_up++;
		return false;
	}
	sa->sa_engine->e_stats.st_retransmits++;
	send_kept(sa, x);
	x->x_tries++;
	x->x_next_ms = now + ((uint64_t)IKE_RETX_BASE_MS << x->x_tries);
	return true;
}

static void tick_quick_modes(struct ike_sa *sa, uint64_t now)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;

	for (unsigned i = 0; i < IKEV1_QM_MAX; i++) {
		struct ikev1_qm *q = v1->v1_qm[i];

		if (!q)
			continue;
		ikev1_qm_tick(sa, q, now);
		if (ikev1_qm_expired(q, now)) {
			ikev1_qm_free(sa, q);
			continue;
		}
		if (now >= q->q_started_ms + QM_TIMEOUT_MS ||
		    !retransmit(sa, &q->q_x, now)) {
			if (q->q_step < 3)
				ike_log_sa_info(sa, "quick mode 0x%08x got no answer after %u "
						"transmissions", q->q_x.x_msgid, q->q_x.x_tries + 1);
			ikev1_qm_abandon(sa, q);
			ikev1_qm_free(sa, q);
		}
	}
}

static void tick_established(struct ike_sa *sa, uint64_t now)
{
	struct ike_engine *e = sa->sa_engine;
	struct ikev1_cfg *cf = sa->sa_v1->v1_cfg;

	if (cf && (!retransmit(sa, &cf->cf_x, now) || ikev1_cfg_expired(sa, now))) {
		ike_log_sa_info(sa, "XAUTH / Mode Config did not finish: the SA goes");
		ike_sa_kill(sa, "XAUTH / Mode Config did not finish");
		return;
	}
	if (sa->sa_rekey_at_ms && now >= sa->sa_rekey_at_ms) {
		sa->sa_rekey_at_ms = 0;
		ikev1_reestablish(sa);
	}
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++) {
		struct ike_child_sa *cs = sa->sa_child[i];

		if (cs && !cs->cs_rekeyed && cs->cs_rekey_at_ms &&
		    now >= cs->cs_rekey_at_ms) {
			cs->cs_rekey_at_ms = 0;
			ikev1_rekey_child(sa, cs);
		}
	}
	ikev1_dpd_tick(sa, now);
	if (sa->sa_state == IKE_S_ESTABLISHED && sa->sa_nat_local &&
	    e->e_ev.ev_keepalive && now - sa->sa_last_tx_ms >= IKE_KEEPALIVE_MS) {
		sa->sa_last_tx_ms = now;
		e->e_ev.ev_keepalive(e->e_ev.ev_ctx, &sa->sa_local, &sa->sa_remote);
	}
}

void ikev1_tick_sa(struct ike_sa *sa, uint64_t now)
{
	if (!sa->sa_v1)
		return;
	if (!retransmit(sa, &sa->sa_v1->v1_p1, now)) {
		ike_log_sa_info(sa, "no answer to phase 1 message after %u transmissions: "
				"peer did not answer", sa->sa_v1->v1_p1.x_tries + 1);
		ike_sa_kill(sa, "peer did not answer");
		return;
	}
	if (sa->sa_state != IKE_S_ESTABLISHED && sa->sa_state != IKE_S_DELETING &&
	    now - sa->sa_created_ms >= IKE_HALF_OPEN_MS) {
		ike_sa_kill(sa, "phase 1 did not complete");
		return;
	}
	tick_quick_modes(sa, now);
	if (sa->sa_state == IKE_S_ESTABLISHED)
		tick_established(sa, now);
}
