/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CREATE_CHILD_SA (RFC 7296 §1.3): new Child SAs, Child SA rekeys with
 * or without PFS (§1.3.3), and IKE SA rekeys (§1.3.2, §2.18). Rekeys are
 * make-before-break: the new SA is announced before the old one goes.
 *   HDR, SK {[N(REKEY_SA)], SA, Ni, [KEi], [TSi, TSr]}  -->
 *                          <--  HDR, SK {SA, Nr, [KEr], [TSi, TSr]}
 * Simultaneous rekeys of one Child SA (§2.8.1): the new SA made with the
 * lowest of the four nonces is redundant and its creator deletes it; the
 * other side deletes the old one.
 */
#include "ike_sa.h"

#include "byteorder.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#define INNER_MAX 4096

void ike_pending_clear(struct ike_sa *sa)
{
	ike_dh_free(sa->sa_v2.v2_pending.pd_dh);
	OPENSSL_cleanse(&sa->sa_v2.v2_pending, sizeof(sa->sa_v2.v2_pending));
}

static int send_create(struct ike_sa *sa, struct ike_writer *w, bool response)
{
	size_t plain_len;
	int rc = ike_w_finish(w, &plain_len);

	if (rc == 0)
		rc = ike_send_protected(sa, IKE_EXCH_CREATE_CHILD_SA, response,
					IKE_REQ_CREATE_CHILD, w->w_first, w->w_buf, plain_len);
	return rc;
}

static int write_nonce_ke(struct ike_writer *w, const uint8_t *nonce, size_t nonce_len,
			  const struct ike_dh *dh)
{
	struct ike_pl_nonce n = { .nonce_data = nonce, .nonce_len = nonce_len };
	uint8_t pub[IKE_DH_KE_MAX];
	struct ike_pl_ke ke = { .ke_data = pub };
	int rc = 0;

	ike_pl_nonce_encode(w, &n);
	if (dh) {
		ke.ke_group = ike_dh_group(dh);
		rc = ike_dh_public(dh, pub, sizeof(pub), &ke.ke_len);
		ike_pl_ke_encode(w, &ke);
	}
	return rc;
}

/* The PFS group a child configuration asks for, or 0. */
static uint16_t pfs_group(const struct ike_child_cfg *cc)
{
	return cc->cc_n_esp && cc->cc_esp[0].pc_n_dh ? cc->cc_esp[0].pc_dh[0] : 0;
}

/* ---- initiator ---- */

static int child_start(struct ike_sa *sa, const struct ike_child_cfg *cc,
		       struct ike_child_sa *old)
{
	struct ike_pending *pd = &sa->sa_v2.v2_pending;
	uint8_t inner[INNER_MAX], spi[4];
	struct ike_selectors l, r;
	struct ike_offer offer;
	struct ike_writer w;
	uint16_t group = pfs_group(cc);
	int rc;

	ike_pending_clear(sa);
	pd->pd_old = old;
	pd->pd_cfg = cc;
	pd->pd_nonce_len = IKE_NONCE_LEN;
	if ((rc = ike_child_spi_new(&pd->pd_spi_in)) || (rc = ike_nonce(pd->pd_nonce, IKE_NONCE_LEN)) ||
	    (group && (rc = ike_dh_new(group, &pd->pd_dh))))
		return rc;
	ike_w_init(&w, inner, sizeof(inner));
	if (old) {
		struct ike_pl_notify n = { .n_proto = IKE_PROTO_ESP, .n_spi_size = 4,
					   .n_type = IKE_N_REKEY_SA };
		be32_put(n.n_spi, old->cs_spi_in);
		ike_pl_notify_encode(&w, &n);
	}
	be32_put(spi, pd->pd_spi_in);
	ike_prop_offer(cc->cc_esp, cc->cc_n_esp, IKE_PROTO_ESP, spi, 4, group, &offer);
	ike_pl_sa_encode(&w, &offer);
	if ((rc = write_nonce_ke(&w, pd->pd_nonce, pd->pd_nonce_len, pd->pd_dh)) != 0)
		return rc;
	if (old) {
		l = old->cs_ts_local;
		r = old->cs_ts_remote;
	} else {
		ike_ts_from_cfg(cc->cc_local, cc->cc_n_local, &l);
		ike_ts_from_cfg(cc->cc_remote, cc->cc_n_remote, &r);
	}
	ike_pl_ts_encode(&w, IKE_PL_TSI, &l);
	ike_pl_ts_encode(&w, IKE_PL_TSR, &r);
	if (cc->cc_transport)
		ike_w_notify(&w, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	return send_create(sa, &w, false);
}

int ike_child_create_start(struct ike_sa *sa, const struct ike_child_cfg *cc)
{
	ike_log(sa->sa_engine, "IKE SA %u: creating Child SA %s", sa->sa_id, cc->cc_name);
	return child_start(sa, cc, NULL);
}

int ike_child_rekey_start(struct ike_sa *sa, struct ike_child_sa *cs)
{
	ike_log(sa->sa_engine, "IKE SA %u: rekeying Child SA 0x%08x", sa->sa_id, cs->cs_spi_in);
	return child_start(sa, cs->cs_cfg, cs);
}

int ike_ike_rekey_start(struct ike_sa *sa)
{
	const struct ike_conn_cfg *c = sa->sa_conn;
	struct ike_pending *pd = &sa->sa_v2.v2_pending;
	uint8_t inner[INNER_MAX], spi[IKE_SPI_LEN];
	struct ike_offer offer;
	struct ike_writer w;
	int rc;

	ike_pending_clear(sa);
	pd->pd_ike = true;
	pd->pd_nonce_len = IKE_NONCE_LEN;
	if ((rc = ike_spi_new(spi)) || (rc = ike_nonce(pd->pd_nonce, IKE_NONCE_LEN)) ||
	    (rc = ike_dh_new(sa->sa_dh_group, &pd->pd_dh)))
		return rc;
	pd->pd_ike_spi = be64_get(spi);
	ike_w_init(&w, inner, sizeof(inner));
	ike_prop_offer(c->c_ike, c->c_n_ike, IKE_PROTO_IKE, spi, IKE_SPI_LEN,
		       sa->sa_dh_group, &offer);
	ike_pl_sa_encode(&w, &offer);
	if ((rc = write_nonce_ke(&w, pd->pd_nonce, pd->pd_nonce_len, pd->pd_dh)) != 0)
		return rc;
	ike_log(sa->sa_engine, "IKE SA %u: rekeying the IKE SA", sa->sa_id);
	return send_create(sa, &w, false);
}

struct create_msg {
	struct ike_offer sa;
	struct ike_pl_nonce nonce;
	struct ike_pl_ke ke;
	bool has_ke;
	struct ike_selectors tsi, tsr;
	bool has_ts;
	bool transport;
};

static int decode_create(const struct ike_chain *c, struct create_msg *m)
{
	const struct ike_payload *sa = ike_chain_find(c, IKE_PL_SA, 0);
	const struct ike_payload *no = ike_chain_find(c, IKE_PL_NONCE, 0);
	const struct ike_payload *ke = ike_chain_find(c, IKE_PL_KE, 0);
	const struct ike_payload *tsi = ike_chain_find(c, IKE_PL_TSI, 0);
	const struct ike_payload *tsr = ike_chain_find(c, IKE_PL_TSR, 0);
	struct ike_pl_notify n;

	memset(m, 0, sizeof(*m));
	if (!sa || !no || ike_pl_sa_decode(sa, &m->sa) || ike_pl_nonce_decode(no, &m->nonce))
		return -EINVAL;
	m->has_ke = ke && ike_pl_ke_decode(ke, &m->ke) == 0;
	m->has_ts = tsi && tsr && ike_pl_ts_decode(tsi, &m->tsi) == 0 &&
		    ike_pl_ts_decode(tsr, &m->tsr) == 0;
	m->transport = ike_find_notify(c, IKE_N_USE_TRANSPORT_MODE, &n) != NULL;
	return 0;
}

/* g^ir of a PFS exchange; gir_len 0 without one. */
static int shared(const struct ike_dh *dh, const struct create_msg *m, uint8_t *gir,
		  size_t *gir_len)
{
	*gir_len = 0;
	if (!dh)
		return 0;
	if (!m->has_ke || m->ke.ke_group != ike_dh_group(dh))
		return -EINVAL;
	return ike_dh_shared(dh, m->ke.ke_data, m->ke.ke_len, gir, IKE_DH_SECRET_MAX, gir_len);
}

/* A new IKE SA inherits the Child SAs, the connection and the peer. */
static struct ike_sa *ike_successor(struct ike_sa *old, bool initiator, uint64_t my_spi,
				    uint64_t peer_spi, const struct ike_chosen *ch)
{
	struct ike_sa *sa = ike_sa_new(old->sa_engine, old->sa_conn, initiator,
				       old->sa_engine->e_now);

	if (!sa)
		return NULL;
	sa->sa_setup_stamp = 0; /* a rekey, not a setup to time */
	(void)my_spi;
	if (initiator)
		sa->sa_spi_r = peer_spi;
	else
		sa->sa_spi_i = peer_spi;
	sa->sa_local = old->sa_local;
	sa->sa_remote = old->sa_remote;
	sa->sa_nat_local = old->sa_nat_local;
	sa->sa_nat_remote = old->sa_nat_remote;
	sa->sa_v2.v2_mobike = old->sa_v2.v2_mobike; /* RFC 4555 §3.3: kept by a rekey */
	sa->sa_alg = *ch;
	sa->sa_dh_group = ch->ch_dh;
	sa->sa_suite = (struct ike_suite){ .encr = ch->ch_encr, .encr_bits = ch->ch_encr_bits,
					   .integ = ch->ch_integ, .prf = ch->ch_prf };
	return sa;
}

/* §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr); the
 * children move over; the new SA is up before the old one goes. */
static int ike_rekey_finish(struct ike_sa *old, struct ike_sa *sa, const uint8_t *gir,
			    size_t gir_len)
{
	uint8_t seed[IKE_PRF_MAX], spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
	struct ike_engine *e = old->sa_engine;
	struct ike_sa_info info;
	int rc;

	be64_put(spi_i, sa->sa_spi_i);
	be64_put(spi_r, sa->sa_spi_r);
	rc = ike_skeyseed_rekey(old->sa_suite.prf, old->sa_v2.v2_keys.sk_d,
				ike_prf_len(old->sa_suite.prf), gir, gir_len, sa->sa_ni,
				sa->sa_ni_len, sa->sa_nr, sa->sa_nr_len, seed);
	if (rc == 0)
		rc = ike_sa_keys_derive(&sa->sa_suite, seed, ike_prf_len(sa->sa_suite.prf),
					sa->sa_ni, sa->sa_ni_len, sa->sa_nr, sa->sa_nr_len,
					spi_i, spi_r, &sa->sa_v2.v2_keys);
	OPENSSL_cleanse(seed, sizeof(seed));
	if (rc != 0)
		return rc;
	sa->sa_v2.v2_keyed = true;
	memcpy(sa->sa_vip, old->sa_vip, sizeof(sa->sa_vip)); /* the leases move too */
	sa->sa_framed_ip = old->sa_framed_ip;
	sa->sa_n_vip = old->sa_n_vip;
	memset(old->sa_vip, 0, sizeof(old->sa_vip));
	old->sa_n_vip = 0;
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++) {
		sa->sa_child[i] = old->sa_child[i];
		old->sa_child[i] = NULL;
		if (sa->sa_child[i])
			sa->sa_child[i]->cs_sa = sa;
	}
	ike_sa_trim(sa);
	old->sa_rekeyed = true;
	ike_sa_set_state(sa, IKE_S_ESTABLISHED);
	sa->sa_rekey_at_ms = ike_rekey_time(e->e_now, sa->sa_conn->c_rekey_s);
	ike_sa_schedule(sa);
	e->e_stats.st_ike_rekeyed++;
	ike_log(e, "IKE SA %u rekeyed into IKE SA %u", old->sa_id, sa->sa_id);
	if (e->e_ev.ev_ike_up) {
		ike_sa_info(sa, &info);
		e->e_ev.ev_ike_up(e->e_ev.ev_ctx, &info);
	}
	return 0;
}

static void finish_ike_initiator(struct ike_sa *old, const struct create_msg *m)
{
	const struct ike_conn_cfg *c = old->sa_conn;
	struct ike_pending *pd = &old->sa_v2.v2_pending;
	uint8_t gir[IKE_DH_SECRET_MAX];
	struct ike_chosen ch;
	struct ike_sa *sa;
	size_t gir_len;

	if (ike_prop_accept(c->c_ike, c->c_n_ike, IKE_PROTO_IKE, &m->sa, &ch) != 0 ||
	    ch.ch_spi_size != IKE_SPI_LEN || shared(pd->pd_dh, m, gir, &gir_len) != 0)
		return;
	sa = ike_successor(old, true, pd->pd_ike_spi, be64_get(ch.ch_spi), &ch);
	if (!sa)
		return;
	/* Our proposal named our new SPI: the table must know it by that. */
	ike_sa_rekey_spi(sa, pd->pd_ike_spi);
	if (ike_nonce_set(&sa->sa_ni, &sa->sa_ni_len, pd->pd_nonce, pd->pd_nonce_len) ||
	    ike_nonce_set(&sa->sa_nr, &sa->sa_nr_len, m->nonce.nonce_data, m->nonce.nonce_len) ||
	    ike_rekey_finish(old, sa, gir, gir_len) != 0) {
		ike_sa_kill(sa, "IKE SA rekey failed");
		return;
	}
	ike_delete_start(old);
}

static const uint8_t *lower_nonce(const uint8_t *a, size_t al, const uint8_t *b, size_t bl,
				  size_t *len)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	bool a_low = c < 0 || (c == 0 && al <= bl);

	*len = a_low ? al : bl;
	return a_low ? a : b;
}

/* §2.8.1: whether the Child SA our exchange made is the redundant one. */
static bool ours_redundant(const struct ike_child_sa *old, const uint8_t *ni, size_t ni_len,
			   const uint8_t *nr, size_t nr_len)
{
	size_t ours_len, low_len;
	const uint8_t *ours = lower_nonce(ni, ni_len, nr, nr_len, &ours_len);
	const uint8_t *low = lower_nonce(ours, ours_len, old->cs_coll_nonce,
					 old->cs_coll_nonce_len, &low_len);

	return low == ours;
}

static void finish_child_initiator(struct ike_sa *sa, const struct create_msg *m)
{
	struct ike_pending *pd = &sa->sa_v2.v2_pending;
	const struct ike_child_cfg *cc = pd->pd_cfg;
	uint8_t gir[IKE_DH_SECRET_MAX];
	struct ike_child_sa *cs;
	size_t gir_len;

	if (!m->has_ts || !(cs = ike_child_alloc(sa)))
		return;
	if (ike_prop_accept(cc->cc_esp, cc->cc_n_esp, IKE_PROTO_ESP, &m->sa, &cs->cs_alg) ||
	    cs->cs_alg.ch_spi_size != 4 || shared(pd->pd_dh, m, gir, &gir_len) ||
	    ike_child_narrow(cc, &m->tsi, &m->tsr, false, &cs->cs_ts_local, &cs->cs_ts_remote)) {
		ike_child_release(cs);
		return;
	}
	cs->cs_cfg = cc;
	cs->cs_initiator = true;
	cs->cs_transport = m->transport;
	cs->cs_spi_in = pd->pd_spi_in;
	cs->cs_spi_out = be32_get(cs->cs_alg.ch_spi);
	if (ike_child_install_with(sa, cs, gir_len ? gir : NULL, gir_len, pd->pd_nonce,
				   pd->pd_nonce_len, m->nonce.nonce_data,
				   m->nonce.nonce_len) != 0) {
		ike_child_release(cs);
		return;
	}
	OPENSSL_cleanse(gir, sizeof(gir));
	if (!pd->pd_old)
		return;
	pd->pd_old->cs_rekeyed = true;
	if (pd->pd_old->cs_coll_spi_in &&
	    ours_redundant(pd->pd_old, pd->pd_nonce, pd->pd_nonce_len, m->nonce.nonce_data,
			   m->nonce.nonce_len)) {
		ike_log(sa->sa_engine, "IKE SA %u: simultaneous rekey: ours is redundant", sa->sa_id);
		cs->cs_rekeyed = true;
		ike_child_delete_start(sa, cs); /* the peer deletes the old one */
		return;
	}
	ike_child_delete_start(sa, pd->pd_old);
}

void ike_create_child_response(struct ike_sa *sa, const struct ike_chain *c)
{
	struct create_msg m;
	uint16_t err = ike_error_notify(c);

	if (err || decode_create(c, &m) != 0)
		ike_log(sa->sa_engine, "IKE SA %u: CREATE_CHILD_SA refused (%s)", sa->sa_id,
			ike_notify_name(err));
	else if (sa->sa_v2.v2_pending.pd_ike)
		finish_ike_initiator(sa, &m);
	else
		finish_child_initiator(sa, &m);
	ike_pending_clear(sa);
}

/* ---- responder ---- */

static void refuse(struct ike_sa *sa, uint16_t type, const void *data, size_t len)
{
	uint8_t inner[64];
	struct ike_writer w;

	ike_w_init(&w, inner, sizeof(inner));
	ike_w_notify(&w, type, data, len);
	send_create(sa, &w, true);
}

static struct ike_child_sa *child_by_out(struct ike_sa *sa, uint32_t spi)
{
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
		if (sa->sa_child[i] && sa->sa_child[i]->cs_spi_out == spi)
			return sa->sa_child[i];
	return NULL;
}

struct answer {
	uint8_t nonce[IKE_NONCE_LEN];
	struct ike_dh *dh;
	uint8_t gir[IKE_DH_SECRET_MAX];
	size_t gir_len;
};

/* Our nonce, and with KE our half of Diffie-Hellman; the notify to
 * refuse with otherwise (INVALID_KE_PAYLOAD carries the group). */
static uint16_t answer_keys(const struct create_msg *m, uint16_t group, struct answer *a)
{
	if (ike_nonce(a->nonce, sizeof(a->nonce)) != 0)
		return IKE_N_TEMPORARY_FAILURE;
	if (!group)
		return 0;
	if (!m->has_ke || m->ke.ke_group != group)
		return IKE_N_INVALID_KE_PAYLOAD;
	if (ike_dh_new(group, &a->dh) != 0 ||
	    ike_dh_shared(a->dh, m->ke.ke_data, m->ke.ke_len, a->gir, sizeof(a->gir),
			  &a->gir_len) != 0)
		return IKE_N_INVALID_SYNTAX;
	return 0;
}

static void respond_refused(struct ike_sa *sa, uint16_t err, uint16_t group)
{
	uint8_t g[2] = { (uint8_t)(group >> 8), (uint8_t)group };

	/* INVALID_KE_PAYLOAD is a negotiation step; TS_UNACCEPTABLE was said
	 * with the selectors (child_cfg) */
	if (err != IKE_N_INVALID_KE_PAYLOAD && err != IKE_N_TS_UNACCEPTABLE)
		ike_log_sa_info(sa, "CREATE_CHILD_SA refused: %s", ike_notify_name(err));
	if (err == IKE_N_INVALID_KE_PAYLOAD)
		refuse(sa, err, g, 2);
	else
		refuse(sa, err, NULL, 0);
}

static const struct ike_child_cfg *child_cfg(struct ike_sa *sa, const struct ike_chain *c,
					     const struct create_msg *m,
					     struct ike_child_sa **old, uint16_t *err)
{
	struct ike_pl_notify n;

	*old = NULL;
	*err = 0;
	if (ike_find_notify(c, IKE_N_REKEY_SA, &n)) {
		*old = n.n_spi_size == 4 ? child_by_out(sa, be32_get(n.n_spi)) : NULL;
		if (!*old)
			*err = IKE_N_CHILD_SA_NOT_FOUND;
		return *old ? (*old)->cs_cfg : NULL;
	}
	if (!m->has_ts || !ike_child_cfg_for(sa->sa_conn, &m->tsi, &m->tsr))
		*err = IKE_N_TS_UNACCEPTABLE;
	if (*err && m->has_ts)
		ike_log_ts_refused(sa, "CREATE_CHILD_SA", &m->tsi, &m->tsr);
	else if (*err)
		ike_log_sa_info(sa, "CREATE_CHILD_SA refused: TS_UNACCEPTABLE: no readable TSi and TSr");
	return *err ? NULL : ike_child_cfg_for(sa->sa_conn, &m->tsi, &m->tsr);
}

/* The peer rekeyed old into cs: its initiator deletes old, unless we
 * are rekeying it too (§2.8.1), which is decided when ours completes. */
static void note_rekeyed(struct ike_sa *sa, struct ike_child_sa *old,
			 const struct ike_child_sa *cs, const struct create_msg *m,
			 const uint8_t *nonce, size_t nonce_len)
{
	const uint8_t *low;
	size_t len;

	if (sa->sa_v2.v2_req != IKE_REQ_CREATE_CHILD || sa->sa_v2.v2_pending.pd_old != old) {
		old->cs_rekeyed = true;
		return;
	}
	low = lower_nonce(m->nonce.nonce_data, m->nonce.nonce_len, nonce, nonce_len, &len);
	old->cs_coll_spi_in = cs->cs_spi_in;
	memcpy(old->cs_coll_nonce, low, len);
	old->cs_coll_nonce_len = len;
}

static void respond_child(struct ike_sa *sa, const struct ike_chain *c,
			  const struct create_msg *m)
{
	uint8_t inner[INNER_MAX], spi[4];
	struct answer a = { 0 };
	struct ike_child_sa *old, *cs;
	const struct ike_child_cfg *cc = child_cfg(sa, c, m, &old, &(uint16_t){ 0 });
	struct ike_offer answer;
	struct ike_writer w;
	uint16_t err = 0;

	if (!cc) {
		child_cfg(sa, c, m, &old, &err);
		respond_refused(sa, err, 0);
		return;
	}
	cs = ike_child_alloc(sa);
	if (!cs) {
		respond_refused(sa, IKE_N_NO_ADDITIONAL_SAS, 0);
		return;
	}
	if (ike_prop_choose(cc->cc_esp, cc->cc_n_esp, IKE_PROTO_ESP, &m->sa, &cs->cs_alg) ||
	    cs->cs_alg.ch_spi_size != 4 || ike_child_spi_new(&cs->cs_spi_in))
		err = IKE_N_NO_PROPOSAL_CHOSEN;
	if (!err)
		err = answer_keys(m, cs->cs_alg.ch_dh, &a);
	if (!err && ike_child_narrow(cc, &m->tsi, &m->tsr, true, &cs->cs_ts_local,
				     &cs->cs_ts_remote))
		err = IKE_N_TS_UNACCEPTABLE;
	if (err) {
		uint16_t dh = cs->cs_alg.ch_dh; /* the release frees cs */

		ike_child_release(cs);
		respond_refused(sa, err, dh);
		goto out;
	}
	cs->cs_cfg = cc;
	cs->cs_initiator = false;
	cs->cs_transport = cc->cc_transport;
	cs->cs_spi_out = be32_get(cs->cs_alg.ch_spi);
	ike_w_init(&w, inner, sizeof(inner));
	be32_put(spi, cs->cs_spi_in);
	ike_prop_answer(&cs->cs_alg, IKE_PROTO_ESP, spi, 4, &answer);
	ike_pl_sa_encode(&w, &answer);
	write_nonce_ke(&w, a.nonce, sizeof(a.nonce), a.dh);
	ike_pl_ts_encode(&w, IKE_PL_TSI, &cs->cs_ts_remote);
	ike_pl_ts_encode(&w, IKE_PL_TSR, &cs->cs_ts_local);
	if (cs->cs_transport)
		ike_w_notify(&w, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	if (send_create(sa, &w, true) != 0 ||
	    ike_child_install_with(sa, cs, a.gir_len ? a.gir : NULL, a.gir_len,
				   m->nonce.nonce_data, m->nonce.nonce_len, a.nonce,
				   sizeof(a.nonce)) != 0) {
		ike_child_release(cs);
		goto out;
	}
	if (old)
		note_rekeyed(sa, old, cs, m, a.nonce, sizeof(a.nonce));
out:
	ike_dh_free(a.dh);
	OPENSSL_cleanse(a.gir, sizeof(a.gir));
}

static void respond_ike(struct ike_sa *old, const struct create_msg *m)
{
	const struct ike_conn_cfg *c = old->sa_conn;
	uint8_t inner[INNER_MAX], spi[IKE_SPI_LEN];
	struct answer a = { 0 };
	struct ike_offer answer;
	struct ike_writer w;
	struct ike_chosen ch;
	struct ike_sa *sa;
	uint16_t err;

	if (ike_prop_choose(c->c_ike, c->c_n_ike, IKE_PROTO_IKE, &m->sa, &ch) ||
	    ch.ch_spi_size != IKE_SPI_LEN) {
		respond_refused(old, IKE_N_NO_PROPOSAL_CHOSEN, 0);
		return;
	}
	err = answer_keys(m, ch.ch_dh, &a);
	sa = err ? NULL : ike_successor(old, false, 0, be64_get(ch.ch_spi), &ch);
	if (!sa) {
		respond_refused(old, err ? err : IKE_N_TEMPORARY_FAILURE, ch.ch_dh);
		goto out;
	}
	if (ike_nonce_set(&sa->sa_ni, &sa->sa_ni_len, m->nonce.nonce_data, m->nonce.nonce_len) ||
	    ike_nonce_set(&sa->sa_nr, &sa->sa_nr_len, a.nonce, sizeof(a.nonce))) {
		ike_sa_kill(sa, "out of memory");
		goto out;
	}
	ike_w_init(&w, inner, sizeof(inner));
	be64_put(spi, sa->sa_spi_r);
	ike_prop_answer(&ch, IKE_PROTO_IKE, spi, IKE_SPI_LEN, &answer);
	ike_pl_sa_encode(&w, &answer);
	write_nonce_ke(&w, a.nonce, sizeof(a.nonce), a.dh);
	if (send_create(old, &w, true) != 0 || ike_rekey_finish(old, sa, a.gir, a.gir_len) != 0)
		ike_sa_kill(sa, "IKE SA rekey failed");
out:
	ike_dh_free(a.dh);
	OPENSSL_cleanse(a.gir, sizeof(a.gir));
}

void ike_create_child_request(struct ike_sa *sa, const struct ike_chain *c)
{
	struct create_msg m;

	if (decode_create(c, &m) != 0) {
		respond_refused(sa, IKE_N_INVALID_SYNTAX, 0);
		return;
	}
	if (m.sa.sa_n && m.sa.sa_prop[0].p_proto == IKE_PROTO_IKE) {
		respond_ike(sa, &m);
		return;
	}
	if (m.has_ts)
		ike_cp_narrow(sa, &m.tsi); /* a client keeps to its virtual address */
	respond_child(sa, c, &m);
}

void ike_child_delete_start(struct ike_sa *sa, struct ike_child_sa *cs)
{
	uint8_t inner[64];
	struct ike_writer w;
	size_t plain_len;

	ike_w_init(&w, inner, sizeof(inner));
	ike_pl_delete_encode(&w, IKE_PROTO_ESP, &cs->cs_spi_in, 1);
	if (ike_w_finish(&w, &plain_len) != 0)
		return;
	sa->sa_v2.v2_delete_child = cs->cs_spi_in;
	ike_send_protected(sa, IKE_EXCH_INFORMATIONAL, false, IKE_REQ_DELETE_CHILD, w.w_first,
			   inner, plain_len);
}
