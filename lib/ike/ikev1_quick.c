/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1 quick mode, RFC 2409 §5.5: IPsec SAs on an ISAKMP SA, in both
 * roles, several at once, with PFS (a KE in quick mode); proxy IDs to
 * and from the connection's selectors (a responder takes them when its
 * selectors hold them, RFC 2409 §5.5, and answers INVALID-ID-INFORMATION
 * otherwise); KEYMAT per direction (§5.5); the lifetime is the shorter
 * of the two sides', a responder's shorter one sent as RESPONDER-LIFETIME
 * and one received honoured (RFC 2407 §4.6.3.1).
 *
 *   initiator                                 responder
 *   HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr] -->
 *                          <-- HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr]
 *   HDR*, HASH(3)                               -->
 *
 * The commit bit (RFC 2408 §3.1) of a peer is not waited on and espgate
 * never sets it. Installation is ordered so a rekey loses nothing:
 * the responder installs when it sends message 2, so its inbound SA is
 * there before the initiator's first packet on it (message 2
 * authenticates the exchange to the initiator, which installs on
 * receiving it); the initiator installs on message 2. In a rekey the
 * side that learns last (the initiator's peer through message 3, the
 * responder's through message 2) needs a moment: the new outbound SA
 * starts after QM_OUT_DEFER_MS, and the initiator deletes the old pair
 * QM_OLD_DELETE_MS after the new one is in, so packets in flight on
 * either still find their SA. A responder whose message 3 never comes
 * removes what it installed when the quick mode times out.
 */
#include "ikev1.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "byteorder.h"

#define MSG_CAP 4096
#define QM_KEEP_MS 10000 /* a finished quick mode answers repeats this long */
#define QM_OUT_DEFER_MS 500   /* a rekey's new outbound SA waits this long */
#define QM_OLD_DELETE_MS 1500 /* and the old pair goes after this long */

struct ikev1_qm *ikev1_qm_find(const struct ike_sa *sa, uint32_t msgid)
{
	for (unsigned i = 0; i < IKEV1_QM_MAX; i++)
		if (sa->sa_v1->v1_qm[i] && sa->sa_v1->v1_qm[i]->q_x.x_msgid == msgid)
			return sa->sa_v1->v1_qm[i];
	return NULL;
}

static struct ikev1_qm *qm_new(struct ike_sa *sa, uint32_t msgid)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;

	for (unsigned i = 0; i < IKEV1_QM_MAX; i++) {
		struct ikev1_qm *q;

		if (v1->v1_qm[i])
			continue;
		q = calloc(1, sizeof(*q));
		if (q)
			q->q_n = calloc(1, sizeof(*q->q_n));
		if (!q || !q->q_n) {
			free(q);
			return NULL;
		}
		q->q_x.x_msgid = msgid;
		q->q_started_ms = sa->sa_engine->e_now;
		v1->v1_qm[i] = q;
		return q;
	}
	return NULL;
}

/* The negotiation's state goes once the quick mode is done: its nonces
 * and PFS secret are key material. */
static void neg_free(struct ikev1_qm *q)
{
	if (!q->q_n)
		return;
	ike_dh_free(q->q_n->n_dh);
	OPENSSL_cleanse(q->q_n, sizeof(*q->q_n));
	free(q->q_n);
	q->q_n = NULL;
}

/* Done: kept only to recognise repeats and retire a rekeyed pair. */
static void qm_done(struct ike_sa *sa, struct ikev1_qm *q)
{
	q->q_step = 3;
	q->q_done_ms = sa->sa_engine->e_now;
	neg_free(q);
}

void ikev1_qm_free(struct ike_sa *sa, struct ikev1_qm *q)
{
	for (unsigned i = 0; i < IKEV1_QM_MAX; i++)
		if (sa->sa_v1->v1_qm[i] == q)
			sa->sa_v1->v1_qm[i] = NULL;
	ikev1_xchg_clear(&q->q_x);
	neg_free(q);
	OPENSSL_cleanse(q, sizeof(*q));
	free(q);
}

/* ---- proxy IDs (RFC 2407 §4.6.2) and selectors ---- */

static size_t sel_alen(const struct ike_selector *s)
{
	return s->ts_type == IKE_SEL_IPV4 ? 4 : 16;
}

/* The prefix length when start..end is one prefix, else -1. */
static int prefix_of(const struct ike_selector *s)
{
	const size_t n = sel_alen(s);
	size_t i = 0;
	int bits;
	uint8_t x;

	while (i < n && s->ts_start[i] == s->ts_end[i])
		i++;
	bits = (int)(8 * i);
	if (i == n)
		return bits;
	/* the first byte that differs: host bits 0 in start, 1 in end */
	x = (uint8_t)(s->ts_start[i] ^ s->ts_end[i]);
	if ((x & (x + 1)) || (s->ts_start[i] & x) || (s->ts_end[i] & x) != x)
		return -1;
	while (x) {
		x >>= 1;
		bits--;
	}
	for (bits += 8, i++; i < n; i++)
		if (s->ts_start[i] != 0 || s->ts_end[i] != 0xff)
			return -1;
	return bits;
}

/* A selector as an ID: ADDR for one address, ADDR_SUBNET for a prefix,
 * ADDR_RANGE otherwise; data[32] holds the bytes id points at. */
static void id_from_sel(const struct ike_selector *s, struct ikev1_id *id,
			uint8_t data[32])
{
	const size_t n = sel_alen(s);
	bool v4 = s->ts_type == IKE_SEL_IPV4;
	int bits = prefix_of(s);

	memset(id, 0, sizeof(*id));
	id->id_proto = s->ts_proto;
	id->id_port = s->ts_sport == s->ts_eport ? s->ts_sport : 0;
	id->id_data = data;
	memcpy(data, s->ts_start, n);
	if (memcmp(s->ts_start, s->ts_end, n) == 0) {
		id->id_type = v4 ? IKEV1_ID_IPV4_ADDR : IKEV1_ID_IPV6_ADDR;
		id->id_len = n;
	} else if (bits >= 0) {
		id->id_type = v4 ? IKEV1_ID_IPV4_ADDR_SUBNET : IKEV1_ID_IPV6_ADDR_SUBNET;
		for (size_t i = 0; i < n; i++) {
			int b = bits - (int)(8 * i);

			data[n + i] = b >= 8 ? 0xff : b <= 0 ? 0 : (uint8_t)(0xff << (8 - b));
		}
		id->id_len = 2 * n;
	} else {
		id->id_type = v4 ? IKEV1_ID_IPV4_ADDR_RANGE : IKEV1_ID_IPV6_ADDR_RANGE;
		memcpy(data + n, s->ts_end, n);
		id->id_len = 2 * n;
	}
}

/* An ID as a selector; -EINVAL for an ID that names no addresses. */
static int sel_from_id(const struct ikev1_id *id, struct ike_selectors *ts)
{
	struct ike_selector *s = &ts->ts[0];
	size_t n;

	memset(ts, 0, sizeof(*ts));
	switch (id->id_type) {
	case IKEV1_ID_IPV4_ADDR:
	case IKEV1_ID_IPV4_ADDR_SUBNET:
	case IKEV1_ID_IPV4_ADDR_RANGE:
		s->ts_type = IKE_SEL_IPV4;
		n = 4;
		break;
	case IKEV1_ID_IPV6_ADDR:
	case IKEV1_ID_IPV6_ADDR_SUBNET:
	case IKEV1_ID_IPV6_ADDR_RANGE:
		s->ts_type = IKE_SEL_IPV6;
		n = 16;
		break;
	default:
		return -EINVAL;
	}
	s->ts_proto = id->id_proto;
	s->ts_sport = id->id_port;
	s->ts_eport = id->id_port ? id->id_port : 65535;
	memcpy(s->ts_start, id->id_data, n);
	if (id->id_type == IKEV1_ID_IPV4_ADDR || id->id_type == IKEV1_ID_IPV6_ADDR) {
		memcpy(s->ts_end, id->id_data, n);
	} else if (id->id_type == IKEV1_ID_IPV4_ADDR_SUBNET ||
		   id->id_type == IKEV1_ID_IPV6_ADDR_SUBNET) {
		for (size_t i = 0; i < n; i++) {
			s->ts_start[i] &= id->id_data[n + i];
			s->ts_end[i] = (uint8_t)(s->ts_start[i] | ~id->id_data[n + i]);
		}
	} else {
		memcpy(s->ts_end, id->id_data + n, n);
		if (memcmp(s->ts_start, s->ts_end, n) > 0)
			return -EINVAL;
	}
	ts->ts_n = 1;
	return 0;
}

/* Without IDs, the proxies are the ISAKMP SA's own addresses (§5.5). */
static void sel_of_addr(const struct ip_addr *a, struct ike_selectors *ts)
{
	struct ike_selector *s = &ts->ts[0];
	size_t n = ip_addr_len(a);

	memset(ts, 0, sizeof(*ts));
	s->ts_type = a->family == AF_INET ? IKE_SEL_IPV4 : IKE_SEL_IPV6;
	s->ts_eport = 65535;
	memcpy(s->ts_start, a->bytes, n);
	memcpy(s->ts_end, a->bytes, n);
	ts->ts_n = 1;
}

/* ---- installing ---- */

static uint16_t encap_mode(const struct ike_sa *sa, bool transport)
{
	bool udp = sa->sa_nat_local || sa->sa_nat_remote;

	if (transport)
		return udp ? IKEV1_ENCAP_UDP_TRANSPORT : IKEV1_ENCAP_TRANSPORT;
	return udp ? IKEV1_ENCAP_UDP_TUNNEL : IKEV1_ENCAP_TUNNEL;
}

/* Whether an encapsulation mode is one we take for the child's mode. */
static bool encap_ok(uint16_t encap, bool transport)
{
	switch (encap) {
	case IKEV1_ENCAP_TUNNEL:
	case IKEV1_ENCAP_UDP_TUNNEL:
	case IKEV1_ENCAP_UDP_TUNNEL_DRAFT:
		return !transport;
	case IKEV1_ENCAP_TRANSPORT:
	case IKEV1_ENCAP_UDP_TRANSPORT:
	case IKEV1_ENCAP_UDP_TRANSPORT_DRAFT:
		return transport;
	}
	return false;
}

/* KEYMAT of one direction, split into its encryption key (and salt)
 * and integrity key. */
static int dir_keys(const struct ike_sa *sa, const struct ikev1_qm *q,
		    uint32_t spi, size_t elen, size_t ilen, struct ike_child_dir *d)
{
	const struct ikev1_keys *k = &sa->sa_v1->v1_keys;
	uint8_t km[IKE_ENCR_KEY_MAX + IKE_INTEG_KEY_MAX];
	int rc;

	if (elen > sizeof(d->cd_encr) || ilen > sizeof(d->cd_integ))
		return -EINVAL;
	rc = ikev1_keymat(sa->sa_alg.ch_prf, k->k_skeyid_d, k->k_len,
			  q->q_n->n_gxy_len ? q->q_n->n_gxy : NULL, q->q_n->n_gxy_len,
			  IKEV1_PROTO_ESP, spi, q->q_n->n_ni, q->q_n->n_ni_len, q->q_n->n_nr,
			  q->q_n->n_nr_len, km, elen + ilen);
	if (rc == 0) {
		memcpy(d->cd_encr, km, elen);
		memcpy(d->cd_integ, km + elen, ilen);
	}
	OPENSSL_cleanse(km, sizeof(km));
	return rc;
}

/* When to rekey: as configured, or earlier when the lifetime agreed is
 * shorter (nine tenths of it). */
static uint32_t rekey_s(const struct ikev1_qm *q)
{
	uint32_t cfg = q->q_cfg->cc_rekey_s;

	if (q->q_n->n_life_s && (!cfg || cfg >= q->q_n->n_life_s))
		return q->q_n->n_life_s - q->q_n->n_life_s / 10;
	return cfg;
}

/* An IPsec SA of this ISAKMP SA by its inbound SPI. */
static struct ike_child_sa *child_by_spi(struct ike_sa *sa, uint32_t spi_in)
{
	for (unsigned i = 0; spi_in && i < IKE_MAX_CHILDREN; i++)
		if (sa->sa_child[i] && sa->sa_child[i]->cs_spi_in == spi_in)
			return sa->sa_child[i];
	return NULL;
}

static bool same_sel(const struct ike_selectors *a, const struct ike_selectors *b)
{
	return a->ts_n == b->ts_n && !memcmp(&a->ts[0], &b->ts[0], sizeof(a->ts[0]));
}

/* The IPsec SA a peer's quick mode replaces: one of the same child
 * configuration and the same proxy IDs not already being replaced
 * (IKEv1 has no REKEY_SA; another pair of proxy IDs narrowed into the
 * same configuration is another SA, not a rekey). */
/* Whether a quick mode of ours rekeys the pair with inbound SPI spi. */
static struct ikev1_qm *our_rekey_of(const struct ike_sa *sa, uint32_t spi)
{
	for (unsigned i = 0; i < IKEV1_QM_MAX; i++) {
		struct ikev1_qm *r = sa->sa_v1->v1_qm[i];

		if (r && r->q_initiator && spi && r->q_old_spi == spi)
			return r;
	}
	return NULL;
}

static struct ike_child_sa *replaced_by(struct ike_sa *sa, const struct ikev1_qm *q,
				       const struct ike_child_sa *new_one)
{
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++) {
		const struct ike_child_sa *o = sa->sa_child[i];

		/* one we rekey ourselves too is the same old pair: both
		 * sides rekeyed it at once (see rekeys_collide) */
		if (o && o != new_one && o->cs_cfg == q->q_cfg &&
		    (!o->cs_rekeyed || our_rekey_of(sa, o->cs_spi_in)) &&
		    same_sel(&o->cs_ts_local, &q->q_n->n_ts_r) && same_sel(&o->cs_ts_remote, &q->q_n->n_ts_i))
			return sa->sa_child[i];
	}
	return NULL;
}

/* Both sides rekeyed one pair at once: two new pairs for one old. One
 * must go, and both sides must agree which without a word: the pair
 * the ISAKMP SA's responder initiated, deleted by that responder once
 * both are in (the same choice each way, whichever quick mode ends
 * last). The old pair still goes as after any rekey. */
static void rekeys_collide(struct ike_sa *sa, const struct ikev1_qm *q)
{
	struct ikev1_qm *ours = q->q_initiator ? (struct ikev1_qm *)q : our_rekey_of(sa, q->q_old_spi);
	struct ike_child_sa *dup;
	bool both = false;

	if (!q->q_old_spi || !ours || sa->sa_initiator)
		return;
	for (unsigned i = 0; i < IKEV1_QM_MAX; i++) {
		const struct ikev1_qm *r = sa->sa_v1->v1_qm[i];

		if (r && !r->q_initiator && r->q_old_spi == q->q_old_spi && r->q_step >= 2)
			both = true;
	}
	dup = both ? child_by_spi(sa, ours->q_spi_in) : NULL;
	if (!dup)
		return;
	ike_log(sa->sa_engine, "IKE SA %u: both sides rekeyed IPsec SA 0x%08x at once: "
		"ours (0x%08x) deleted", sa->sa_id, q->q_old_spi, dup->cs_spi_in);
	ikev1_delete_child(sa, dup);
}

/* The IPsec SA pair the quick mode agreed, into the data plane; the pair
 * a rekey replaces goes later (make-before-break, see the top). */
static int install(struct ike_sa *sa, struct ikev1_qm *q)
{
	struct ike_child_sa *cs = ike_child_alloc(sa), *old;
	const struct ike_chosen *a = &q->q_n->n_alg;
	size_t elen = ike_encr_keymat_len(a->ch_encr, a->ch_encr_bits);
	size_t ilen = ike_integ_key_len(a->ch_integ);
	/* i2r is received by the responder: its SPI; r2i the initiator's */
	uint32_t spi_r = q->q_initiator ? q->q_spi_out : q->q_spi_in;
	uint32_t spi_i = q->q_initiator ? q->q_spi_in : q->q_spi_out;
	int rc;

	if (!cs)
		return -ENOSPC;
	cs->cs_cfg = q->q_cfg;
	cs->cs_spi_in = q->q_spi_in;
	cs->cs_spi_out = q->q_spi_out;
	cs->cs_alg = *a;
	cs->cs_transport = q->q_n->n_transport;
	cs->cs_peer_oa = q->q_n->n_peer_oa;
	cs->cs_local_oa = q->q_n->n_local_oa;
	cs->cs_initiator = q->q_initiator;
	if (!q->q_initiator && (old = replaced_by(sa, q, cs)) != NULL) {
		old->cs_rekeyed = true; /* the peer's rekey: not ours too */
		q->q_old_spi = old->cs_spi_in;
	}
	if (child_by_spi(sa, q->q_old_spi))
		cs->cs_out_defer_ms = QM_OUT_DEFER_MS;
	cs->cs_ts_local = q->q_initiator ? q->q_n->n_ts_i : q->q_n->n_ts_r;
	cs->cs_ts_remote = q->q_initiator ? q->q_n->n_ts_r : q->q_n->n_ts_i;
	cs->cs_keys.ck_encr_len = (uint8_t)elen;
	cs->cs_keys.ck_integ_len = (uint8_t)ilen;
	rc = dir_keys(sa, q, spi_r, elen, ilen, &cs->cs_keys.ck_i2r);
	if (rc == 0)
		rc = dir_keys(sa, q, spi_i, elen, ilen, &cs->cs_keys.ck_r2i);
	if (rc) {
		ike_child_release(cs);
		return rc;
	}
	cs->cs_created_ms = sa->sa_engine->e_now;
	cs->cs_life_s = q->q_n->n_life_s;
	cs->cs_rekey_at_ms = ike_rekey_time(sa->sa_engine->e_now, rekey_s(q));
	ike_child_event(sa, cs, true);
	if (q->q_old_spi && q->q_initiator)
		q->q_old_delete_ms = sa->sa_engine->e_now + QM_OLD_DELETE_MS;
	rekeys_collide(sa, q);
	ike_sa_schedule(sa);
	return 0;
}

/* A rekeyed pair goes once its successor has taken over (see the top). */
void ikev1_qm_tick(struct ike_sa *sa, struct ikev1_qm *q, uint64_t now)
{
	struct ike_child_sa *old;

	if (!q->q_old_delete_ms || now < q->q_old_delete_ms)
		return;
	old = child_by_spi(sa, q->q_old_spi);
	if (old)
		ikev1_delete_child(sa, old);
	q->q_old_spi = 0;
	q->q_old_delete_ms = 0;
}

uint64_t ikev1_qm_due(const struct ikev1_qm *q)
{
	return q->q_old_delete_ms ? q->q_old_delete_ms : q->q_done_ms + QM_KEEP_MS;
}

/* A responder's quick mode that never saw message 3: what it installed
 * at message 2 goes with it. */
void ikev1_qm_abandon(struct ike_sa *sa, struct ikev1_qm *q)
{
	struct ike_child_sa *cs, *old;

	if (q->q_initiator || q->q_step != 2)
		return;
	cs = child_by_spi(sa, q->q_spi_in);
	if (cs)
		ikev1_delete_child(sa, cs);
	old = child_by_spi(sa, q->q_old_spi);
	if (old)
		old->cs_rekeyed = false; /* still ours to rekey */
}

bool ikev1_qm_refused(struct ike_sa *sa, uint32_t spi, uint16_t type)
{
	for (unsigned i = 0; i < IKEV1_QM_MAX; i++) {
		struct ikev1_qm *q = sa->sa_v1->v1_qm[i];

		if (!q || !q->q_initiator || q->q_step != 1 || q->q_spi_in != spi)
			continue;
		ike_log(sa->sa_engine, "IKE SA %u: quick mode 0x%08x refused by the peer "
			"(error %u)", sa->sa_id, q->q_x.x_msgid, type);
		ikev1_qm_free(sa, q);
		return true;
	}
	return false;
}

/* ---- the messages ---- */

static const struct ikev1_payload *find(const struct ikev1_chain *ch,
					uint8_t type)
{
	return ikev1_chain_find(ch, type, 0);
}

/* The peer's nonce, KE (PFS: g(qm)^xy) and IDs. */
static int take_nonce(const struct ikev1_payload *p, uint8_t *n, size_t *len)
{
	if (!p || p->pl_len > IKE_NONCE_MAX)
		return -EINVAL;
	memcpy(n, p->pl_body, p->pl_len);
	*len = p->pl_len;
	return 0;
}

static int take_ke(struct ikev1_qm *q, const struct ikev1_chain *ch)
{
	const struct ikev1_payload *ke = find(ch, IKEV1_PL_KE);

	if (!q->q_n->n_alg.ch_dh)
		return ke ? -EINVAL : 0;
	if (!ke)
		return -EINVAL;
	if (!q->q_n->n_dh && ike_dh_new(q->q_n->n_alg.ch_dh, &q->q_n->n_dh) != 0)
		return -ENOTSUP;
	return ike_dh_shared(q->q_n->n_dh, ke->pl_body, ke->pl_len, q->q_n->n_gxy,
			     sizeof(q->q_n->n_gxy), &q->q_n->n_gxy_len);
}

/* IDci and IDcr: the first two ID payloads, in that order (§5.5). */
static int take_ids(struct ike_sa *sa, struct ikev1_qm *q,
		    const struct ikev1_chain *ch)
{
	const struct ikev1_payload *ii = find(ch, IKEV1_PL_ID);
	const struct ikev1_payload *ir;
	struct ikev1_id a, b;

	if (!ii) {
		const struct ike_endpoint *i = q->q_initiator ? &sa->sa_local : &sa->sa_remote;
		const struct ike_endpoint *r = q->q_initiator ? &sa->sa_remote : &sa->sa_local;

		sel_of_addr(&i->ep_addr, &q->q_n->n_ts_i);
		sel_of_addr(&r->ep_addr, &q->q_n->n_ts_r);
		return 0;
	}
	ir = ikev1_chain_find(ch, IKEV1_PL_ID, (unsigned)(ii - ch->c_pl) + 1);
	if (!ir || ikev1_id_decode(ii->pl_body, ii->pl_len, &a) ||
	    ikev1_id_decode(ir->pl_body, ir->pl_len, &b) ||
	    sel_from_id(&a, &q->q_n->n_ts_i) || sel_from_id(&b, &q->q_n->n_ts_r))
		return -EINVAL;
	q->q_n->n_ids = true;
	return 0;
}

static void w_ke(struct ike_writer *w, const struct ikev1_qm *q)
{
	uint8_t ke[IKE_DH_KE_MAX];
	size_t n = 0;

	if (!q->q_n->n_dh)
		return;
	if (ike_dh_public(q->q_n->n_dh, ke, sizeof(ke), &n) != 0)
		ike_w_fail(w, -EIO);
	ikev1_w_data(w, IKEV1_PL_KE, ke, n);
}

static void w_ids(struct ike_writer *w, const struct ikev1_qm *q)
{
	uint8_t di[32], dr[32];
	struct ikev1_id ii, ir;

	if (!q->q_n->n_ids)
		return;
	id_from_sel(&q->q_n->n_ts_i.ts[0], &ii, di);
	id_from_sel(&q->q_n->n_ts_r.ts[0], &ir, dr);
	ikev1_w_id(w, &ii);
	ikev1_w_id(w, &ir);
}

/* RFC 3947 §5.2: UDP-encapsulated transport mode carries the original
 * addresses, NAT-OAi of the initiator and NAT-OAr of the responder, as
 * the sender knows them (the peer behind a NAT fixes TCP and UDP
 * checksums with them). */
static bool nat_oa_wanted(const struct ike_sa *sa, const struct ikev1_qm *q)
{
	return q->q_n->n_transport && (sa->sa_nat_local || sa->sa_nat_remote);
}

static void w_nat_oa(struct ike_writer *w, const struct ike_sa *sa,
		     const struct ikev1_qm *q)
{
	const struct ip_addr *oa[2] = {
		q->q_initiator ? &sa->sa_local.ep_addr : &sa->sa_remote.ep_addr,
		q->q_initiator ? &sa->sa_remote.ep_addr : &sa->sa_local.ep_addr,
	};

	if (!nat_oa_wanted(sa, q))
		return;
	for (unsigned i = 0; i < 2; i++)
		ikev1_w_nat_oa(w, &(struct ikev1_nat_oa){
			.oa_type = oa[i]->family == AF_INET ? IKEV1_ID_IPV4_ADDR
							    : IKEV1_ID_IPV6_ADDR,
			.oa_addr = oa[i]->bytes, .oa_len = ip_addr_len(oa[i]) });
}

/* The peer's NAT-OA payloads, NAT-OAi then NAT-OAr: each well formed,
 * and the first two kept, the peer's own address (NAT-OAi from an
 * initiator, NAT-OAr from a responder) and ours as the peer knows it.
 * -EINVAL when one is malformed. */
static int take_nat_oa(struct ikev1_qm *q, const struct ikev1_chain *ch)
{
	struct ip_addr *oa_i = q->q_initiator ? &q->q_n->n_local_oa : &q->q_n->n_peer_oa;
	struct ip_addr *oa_r = q->q_initiator ? &q->q_n->n_peer_oa : &q->q_n->n_local_oa;
	unsigned k = 0;
	struct ikev1_nat_oa oa;

	for (unsigned i = 0; i < ch->c_n; i++) {
		struct ip_addr *a = k == 0 ? oa_i : oa_r;

		if (ch->c_pl[i].pl_type != IKEV1_PL_NAT_OA)
			continue;
		if (ikev1_nat_oa_decode(ch->c_pl[i].pl_body, ch->c_pl[i].pl_len, &oa) != 0)
			return -EINVAL;
		if (k++ > 1)
			continue;
		memset(a, 0, sizeof(*a));
		a->family = oa.oa_type == IKEV1_ID_IPV4_ADDR ? AF_INET : AF_INET6;
		memcpy(a->bytes, oa.oa_addr, oa.oa_len);
	}
	return 0;
}

/* ---- responder ---- */

/* The SPI message 1's first proposal offers (0: none readable). */
static uint32_t offered_spi(const struct ikev1_chain *ch)
{
	const struct ikev1_payload *sap = find(ch, IKEV1_PL_SA);
	struct ikev1_offer *o = &(struct ikev1_offer){ 0 };

	if (!sap || ikev1_offer_decode(sap->pl_body, sap->pl_len, IKE_PROTO_ESP, o) ||
	    !o->o_offer.sa_n)
		return 0;
	return o->o_choice[0].c_spi;
}

/* Refuses a quick mode with an error notify (§5.5 and RFC 2408 §5)
 * about the SPI it offered, so that its initiator stops at once. */
static int refuse(struct ike_sa *sa, const struct ikev1_chain *ch,
		  const char *why, uint16_t notify)
{
	uint32_t spi = offered_spi(ch);

	ike_log_sa_info(sa, "quick mode refused: %s", why);
	ikev1_notify_error(sa, notify, spi ? &spi : NULL);
	return 0; /* the message was authentic: answered */
}

/* The child and the transform a verified message 1 asks for. */
static int choose(struct ike_sa *sa, struct ikev1_qm *q,
		  const struct ikev1_chain *ch, struct ikev1_choice *choice)
{
	const struct ikev1_payload *sap = find(ch, IKEV1_PL_SA);
	struct ikev1_offer *o = &(struct ikev1_offer){ 0 };
	const struct ike_child_cfg *cc;
	const struct ikev1_choice *c;

	q->q_cfg = cc = ike_child_cfg_covering(sa->sa_conn, &q->q_n->n_ts_r, &q->q_n->n_ts_i);
	if (!cc)
		return -ENOENT;
	if (!sap || ikev1_offer_decode(sap->pl_body, sap->pl_len, IKE_PROTO_ESP, o))
		return -EINVAL;
	for (unsigned i = 0; i < o->o_offer.sa_n; i++)
		if (!encap_ok(o->o_choice[i].c_encap, cc->cc_transport))
			o->o_offer.sa_prop[i].p_xf[0].t_flags |= IKE_XF_F_UNKNOWN_ATTR;
	if (ike_prop_choose(cc->cc_esp, cc->cc_n_esp, IKE_PROTO_ESP, &o->o_offer,
			    &q->q_n->n_alg) != 0)
		return -ENOPROTOOPT;
	c = &o->o_choice[q->q_n->n_alg.ch_num - 1];
	*choice = *c;
	q->q_spi_out = c->c_spi;
	q->q_n->n_transport = cc->cc_transport;
	q->q_n->n_life_s = c->c_life_s && (!cc->cc_life_s || c->c_life_s < cc->cc_life_s)
			      ? c->c_life_s : cc->cc_life_s;
	q->q_n->n_tell_life = q->q_n->n_life_s != c->c_life_s;
	return 0;
}

/* RESPONDER-LIFETIME for our inbound SA when ours is the shorter. */
static void w_responder_life(struct ike_writer *w, const struct ikev1_qm *q)
{
	uint8_t attrs[16], spi[4];
	size_t n;

	if (!q->q_n->n_tell_life)
		return;
	n = ikev1_life_attrs(q->q_n->n_life_s, attrs, sizeof(attrs));
	be32_put(spi, q->q_spi_in);
	ikev1_w_notify(w, &(struct ikev1_notify){
		.n_doi = IKEV1_DOI_IPSEC, .n_proto = IKEV1_PROTO_ESP, .n_spi_len = 4,
		.n_type = IKEV1_N_RESPONDER_LIFETIME, .n_spi = spi,
		.n_data = attrs, .n_data_len = n });
}

/* The responder's RESPONDER-LIFETIME, when shorter than ours. */
static void take_responder_life(struct ikev1_qm *q, const struct ikev1_chain *ch)
{
	struct ikev1_notify n;
	uint32_t s;

	for (unsigned i = 0; i < ch->c_n; i++) {
		if (ch->c_pl[i].pl_type != IKEV1_PL_N ||
		    ikev1_notify_decode(ch->c_pl[i].pl_body, ch->c_pl[i].pl_len, &n) != 0 ||
		    n.n_type != IKEV1_N_RESPONDER_LIFETIME || n.n_proto != IKEV1_PROTO_ESP)
			continue;
		s = ikev1_life_attrs_s(n.n_data, n.n_data_len);
		if (s && (!q->q_n->n_life_s || s < q->q_n->n_life_s))
			q->q_n->n_life_s = s;
	}
}

static int answer(struct ike_sa *sa, struct ikev1_qm *q,
		  const struct ikev1_choice *choice)
{
	uint8_t *buf = sa->sa_engine->e_bundle;
	struct ike_writer w;
	size_t at;

	ikev1_msg_begin(sa, &w, buf, MSG_CAP, IKEV1_EXCH_QUICK, q->q_x.x_msgid,
			IKEV1_F_ENCRYPTION);
	at = ikev1_hash_reserve(sa, &w);
	ikev1_w_answer(&w, choice, IKE_PROTO_ESP, &q->q_spi_in);
	ikev1_w_data(&w, IKEV1_PL_NONCE, q->q_n->n_nr, q->q_n->n_nr_len);
	w_ke(&w, q);
	w_ids(&w, q);
	w_nat_oa(&w, sa, q);
	w_responder_life(&w, q);
	ikev1_hash_fill(sa, &w, at, q->q_x.x_msgid, q->q_n->n_ni, q->q_n->n_ni_len);
	return ikev1_msg_send(sa, &w, &q->q_x, true);
}

static int respond(struct ike_sa *sa, uint32_t msgid, const uint8_t *plain,
		   size_t plain_len, const struct ikev1_chain *ch,
		   const uint8_t *iv_next)
{
	struct ikev1_choice choice;
	struct ikev1_qm *q;
	const char *why;
	int rc;

	if (!ikev1_hash_ok(sa, msgid, NULL, 0, plain, plain_len, ch))
		return -EACCES;
	q = qm_new(sa, msgid);
	if (!q)
		return refuse(sa, ch, "too many at once", IKEV1_N_NO_PROPOSAL_CHOSEN);
	memcpy(q->q_x.x_iv, iv_next, sa->sa_v1->v1_block);
	if (take_nonce(find(ch, IKEV1_PL_NONCE), q->q_n->n_ni, &q->q_n->n_ni_len) ||
	    take_ids(sa, q, ch) || take_nat_oa(q, ch)) {
		ikev1_qm_free(sa, q);
		return refuse(sa, ch, "malformed", IKEV1_N_PAYLOAD_MALFORMED);
	}
	if ((why = ikev1_cfg_qm_refusal(sa, &q->q_n->n_ts_i, &q->q_n->n_ts_r)) != NULL) {
		ikev1_qm_free(sa, q);
		return refuse(sa, ch, why, IKEV1_N_INVALID_ID_INFORMATION);
	}
	rc = choose(sa, q, ch, &choice);
	if (rc == 0)
		rc = take_ke(q, ch);
	if (rc == 0)
		rc = ike_child_spi_new(&q->q_spi_in);
	if (rc == 0)
		rc = ike_nonce(q->q_n->n_nr, IKEV1_NONCE_LEN);
	q->q_n->n_nr_len = IKEV1_NONCE_LEN;
	if (rc == 0)
		rc = answer(sa, q, &choice);
	if (rc == 0) {
		q->q_step = 2;
		rc = install(sa, q);
	}
	if (rc) {
		ikev1_qm_free(sa, q);
		return refuse(sa, ch, rc == -ENOENT ? "proxy IDs outside every child"
				  : rc == -ENOPROTOOPT ? "no proposal chosen" : "failed",
			      rc == -ENOENT ? IKEV1_N_INVALID_ID_INFORMATION
					    : IKEV1_N_NO_PROPOSAL_CHOSEN);
	}
	return 0;
}

/* HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b). */
static int hash3(const struct ike_sa *sa, const struct ikev1_qm *q, uint8_t *out)
{
	uint8_t nn[2 * IKE_NONCE_MAX];
	const uint8_t zero = 0;

	memcpy(nn, q->q_n->n_ni, q->q_n->n_ni_len);
	memcpy(nn + q->q_n->n_ni_len, q->q_n->n_nr, q->q_n->n_nr_len);
	return ikev1_hash_msg(sa, q->q_x.x_msgid, &zero, 1, NULL, 0, nn,
			      q->q_n->n_ni_len + q->q_n->n_nr_len, out);
}

static int respond_done(struct ike_sa *sa, struct ikev1_qm *q,
			const struct ikev1_chain *ch)
{
	const struct ikev1_payload *h = ch->c_n ? &ch->c_pl[0] : NULL;
	uint8_t want[IKE_PRF_MAX];
	bool ok;

	if (!h || h->pl_type != IKEV1_PL_HASH || h->pl_len != sa->sa_v1->v1_keys.k_len ||
	    hash3(sa, q, want) != 0)
		return -EACCES;
	ok = CRYPTO_memcmp(want, h->pl_body, h->pl_len) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	if (!ok)
		return -EACCES;
	/* installed at message 2; kept, silent, until the old pair goes */
	qm_done(sa, q);
	if (q->q_old_spi)
		q->q_old_delete_ms = q->q_done_ms + QM_OLD_DELETE_MS;
	ikev1_xchg_clear(&q->q_x);
	ike_sa_schedule(sa);
	return 0;
}

/* ---- initiator ---- */

int ikev1_qm_start(struct ike_sa *sa, const struct ike_child_cfg *cc,
		   struct ike_child_sa *old)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;
	uint16_t group = cc->cc_n_esp && cc->cc_esp[0].pc_n_dh ? cc->cc_esp[0].pc_dh[0] : 0;
	uint32_t msgid = ikev1_new_msgid(sa);
	struct ikev1_qm *q = msgid ? qm_new(sa, msgid) : NULL;
	struct ike_writer w;
	struct ike_selectors l, r;
	size_t at;
	int rc;

	if (!q)
		return -ENOSPC;
	q->q_initiator = true;
	q->q_cfg = cc;
	q->q_old_spi = old ? old->cs_spi_in : 0;
	q->q_n->n_transport = cc->cc_transport;
	q->q_n->n_ids = true;
	ike_ts_from_cfg(cc->cc_local, cc->cc_n_local, &l);
	ike_ts_from_cfg(cc->cc_remote, cc->cc_n_remote, &r);
	/* one pair of proxy IDs per quick mode: the first selectors */
	q->q_n->n_ts_i = (struct ike_selectors){ .ts_n = 1, .ts = { l.ts[0] } };
	q->q_n->n_ts_r = (struct ike_selectors){ .ts_n = 1, .ts = { r.ts[0] } };
	q->q_n->n_ni_len = IKEV1_NONCE_LEN;
	rc = ikev1_iv_phase2(sa->sa_alg.ch_prf, v1->v1_p1_last, v1->v1_block,
			     msgid, q->q_x.x_iv);
	if (rc == 0 && (!l.ts_n || !r.ts_n))
		rc = -EINVAL;
	if (rc == 0)
		rc = ike_child_spi_new(&q->q_spi_in);
	if (rc == 0)
		rc = ike_nonce(q->q_n->n_ni, q->q_n->n_ni_len);
	if (rc == 0 && group)
		rc = ike_dh_new(group, &q->q_n->n_dh);
	if (rc) {
		ikev1_qm_free(sa, q);
		return rc;
	}
	ikev1_msg_begin(sa, &w, sa->sa_engine->e_bundle, MSG_CAP, IKEV1_EXCH_QUICK,
			msgid, IKEV1_F_ENCRYPTION);
	at = ikev1_hash_reserve(sa, &w);
	ikev1_w_offer_p2(&w, cc->cc_esp, cc->cc_n_esp, q->q_spi_in,
			 encap_mode(sa, cc->cc_transport), cc->cc_life_s, group);
	ikev1_w_data(&w, IKEV1_PL_NONCE, q->q_n->n_ni, q->q_n->n_ni_len);
	w_ke(&w, q);
	w_ids(&w, q);
	w_nat_oa(&w, sa, q);
	ikev1_hash_fill(sa, &w, at, msgid, NULL, 0);
	rc = ikev1_msg_send(sa, &w, &q->q_x, true);
	if (rc) {
		ikev1_qm_free(sa, q);
		return rc;
	}
	q->q_step = 1;
	return 0;
}

/* Message 2 in, message 3 out, the SAs installed. */
static int initiate_done(struct ike_sa *sa, struct ikev1_qm *q,
			 const uint8_t *plain, size_t plain_len,
			 const struct ikev1_chain *ch, const uint8_t *iv_next)
{
	const struct ikev1_payload *sap = find(ch, IKEV1_PL_SA);
	struct ikev1_offer *o = &(struct ikev1_offer){ 0 };
	const struct ike_child_cfg *cc = q->q_cfg;
	struct ike_selectors want_i = q->q_n->n_ts_i, want_r = q->q_n->n_ts_r;
	uint8_t h[IKE_PRF_MAX];
	struct ike_writer w;
	int rc;

	if (!ikev1_hash_ok(sa, q->q_x.x_msgid, q->q_n->n_ni, q->q_n->n_ni_len, plain,
			   plain_len, ch))
		return -EACCES;
	memcpy(q->q_x.x_iv, iv_next, sa->sa_v1->v1_block);
	if (!sap || ikev1_offer_decode(sap->pl_body, sap->pl_len, IKE_PROTO_ESP, o) ||
	    ike_prop_accept(cc->cc_esp, cc->cc_n_esp, IKE_PROTO_ESP, &o->o_offer,
			    &q->q_n->n_alg) ||
	    take_nonce(find(ch, IKEV1_PL_NONCE), q->q_n->n_nr, &q->q_n->n_nr_len) ||
	    take_ke(q, ch) != 0 || take_nat_oa(q, ch) != 0 ||
	    /* the responder's proxy IDs must be ours, when it sent any */
	    (find(ch, IKEV1_PL_ID) && (take_ids(sa, q, ch) || !same_sel(&q->q_n->n_ts_i, &want_i) ||
				       !same_sel(&q->q_n->n_ts_r, &want_r)))) {
		ike_log(sa->sa_engine, "IKE SA %u: quick mode answer unacceptable", sa->sa_id);
		ikev1_qm_free(sa, q);
		return 0;
	}
	q->q_spi_out = o->o_choice[0].c_spi;
	q->q_n->n_life_s = o->o_choice[0].c_life_s;
	take_responder_life(q, ch);
	/* installed before message 3 goes: the peer may send on the new SA
	 * as soon as it has it */
	rc = install(sa, q);
	if (rc) {
		ike_log(sa->sa_engine, "IKE SA %u: IPsec SA not installed (%d)", sa->sa_id, rc);
		ikev1_qm_free(sa, q);
		return 0;
	}
	ikev1_msg_begin(sa, &w, sa->sa_engine->e_bundle, MSG_CAP, IKEV1_EXCH_QUICK,
			q->q_x.x_msgid, IKEV1_F_ENCRYPTION);
	rc = hash3(sa, q, h);
	ikev1_w_data(&w, IKEV1_PL_HASH, h, sa->sa_v1->v1_keys.k_len);
	OPENSSL_cleanse(h, sizeof(h));
	if (rc == 0)
		rc = ikev1_msg_send(sa, &w, &q->q_x, false);
	if (rc)
		ike_log(sa->sa_engine, "IKE SA %u: quick mode message 3 not sent (%d)", sa->sa_id, rc);
	qm_done(sa, q);
	return 0;
}

int ikev1_qm_input(struct ike_sa *sa, struct ikev1_qm *q, uint32_t msgid,
		   const uint8_t *plain, size_t plain_len,
		   const struct ikev1_chain *ch, const uint8_t *iv_next)
{
	if (!q)
		return respond(sa, msgid, plain, plain_len, ch, iv_next);
	if (!q->q_initiator && q->q_step == 2)
		return respond_done(sa, q, ch);
	if (q->q_initiator && q->q_step == 1)
		return initiate_done(sa, q, plain, plain_len, ch, iv_next);
	return -EINVAL;
}

int ikev1_rekey_child(struct ike_sa *sa, struct ike_child_sa *cs)
{
	if (!cs->cs_cfg)
		return -EINVAL;
	cs->cs_rekeyed = true;
	return ikev1_qm_start(sa, cs->cs_cfg, cs);
}

/* Finished quick modes are kept QM_KEEP_MS to answer a repeated
 * message 2 with our message 3 again. */
bool ikev1_qm_expired(const struct ikev1_qm *q, uint64_t now)
{
	return q->q_step == 3 && !q->q_old_delete_ms && now - q->q_done_ms >= QM_KEEP_MS;
}
