/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ISAKMP codec of IKEv1: header and payload chain (RFC 2408 §3.1-3.2),
 * the SA payload's proposals, transforms and attributes (§3.3-3.6, RFC
 * 2409 App. A, RFC 2407 §4.5), and the other payload bodies (RFC 2408
 * §3.7-3.16, RFC 2407 §4.6.2, RFC 3947 §3.2, §5.2). All reading goes
 * through the cursor; all writing through the IKEv2 writer.
 */
#include <errno.h>
#include <string.h>

#include "cursor.h"
#include "ike_wire.h"
#include "ikev1_msg.h"

#define ATTR_AF 0x8000        /* RFC 2408 §3.3: Attribute Format bit */
#define PROP_HDR_LEN 8        /* §3.5, SPI excluded */
#define XFORM_HDR_LEN 8       /* §3.6 */
#define NAT_OA_RESERVED 3     /* RFC 3947 §5.2 */
#define NONCE_MIN 8           /* RFC 2409 §5 */
#define NONCE_MAX 256
#define SIT_SECRECY 0x02      /* RFC 2407 §4.2: labeled situations */
#define SIT_INTEGRITY 0x04

bool ikev1_exchange_known(uint8_t exchange)
{
	return exchange == IKEV1_EXCH_IDPROT ||
	       exchange == IKEV1_EXCH_AGGRESSIVE ||
	       exchange == IKEV1_EXCH_INFO || exchange == IKEV1_EXCH_QUICK ||
	       exchange == IKEV1_EXCH_TRANSACTION;
}

bool ikev1_pl_known(uint8_t type)
{
	return type == IKEV1_PL_SA ||
	       (type >= IKEV1_PL_KE && type <= IKEV1_PL_ATTR) ||
	       type == IKEV1_PL_NAT_D || type == IKEV1_PL_NAT_OA;
}

int ikev1_hdr_parse(const uint8_t *buf, size_t len, struct ikev1_hdr *h)
{
	struct cursor c = cursor_make(buf, len);
	uint8_t ver;

	memset(h, 0, sizeof(*h));
	if (!cursor_bytes(&c, h->h_cky_i, IKEV1_COOKIE_LEN) ||
	    !cursor_bytes(&c, h->h_cky_r, IKEV1_COOKIE_LEN) ||
	    !cursor_u8(&c, &h->h_next) || !cursor_u8(&c, &ver) ||
	    !cursor_u8(&c, &h->h_exchange) || !cursor_u8(&c, &h->h_flags) ||
	    !cursor_be32(&c, &h->h_msgid) || !cursor_be32(&c, &h->h_length))
		return -EINVAL;
	h->h_major = ver >> 4;
	h->h_minor = ver & 0x0f;
	/* RFC 2408 §5.2: INVALID-MAJOR-VERSION, nothing else is read */
	if (h->h_major != IKEV1_MAJOR)
		return -EPROTONOSUPPORT;
	if (h->h_length < IKEV1_HDR_LEN || h->h_length != len)
		return -EINVAL;
	if (!ikev1_exchange_known(h->h_exchange))
		return -EOPNOTSUPP; /* §5.2: INVALID-EXCHANGE-TYPE */
	return 0;
}

/* One generic header (§3.2) and the body it announces. */
static int read_payload(struct cursor *c, struct ikev1_payload *pl)
{
	struct cursor body;
	uint8_t reserved;

	if (!ike_wire_read_payload(c, &pl->pl_next, &reserved, &body))
		return -EINVAL;
	pl->pl_body = body.p;
	pl->pl_len = (uint16_t)body.left;
	return 0;
}

int ikev1_chain_parse(uint8_t first, const uint8_t *buf, size_t len,
		      bool padded, struct ikev1_chain *ch)
{
	struct cursor c = cursor_make(buf, len);
	uint8_t type = first;
	int rc;

	ch->c_n = 0;
	ch->c_unknown = IKEV1_PL_NONE;
	ch->c_trailing = 0;
	while (type != IKEV1_PL_NONE) {
		struct ikev1_payload *pl = &ch->c_pl[ch->c_n];

		/* RFC 2408 §5.2-5.3: INVALID-PAYLOAD-TYPE */
		if (!ikev1_pl_known(type)) {
			ch->c_unknown = type;
			return -EPROTO;
		}
		if (ch->c_n == IKEV1_CHAIN_MAX)
			return -EINVAL;
		pl->pl_type = type;
		pl->pl_off = (uint32_t)(len - c.left);
		rc = read_payload(&c, pl);
		if (rc)
			return rc;
		ch->c_n++;
		type = pl->pl_next;
	}
	if (c.left && !padded)
		return -EINVAL;
	ch->c_trailing = c.left;
	return 0;
}

int ikev1_msg_parse(const uint8_t *buf, size_t len, struct ikev1_msg *m)
{
	struct cursor c = cursor_make(buf, len);
	int rc;

	memset(m, 0, sizeof(*m));
	rc = ikev1_hdr_parse(buf, len, &m->m_hdr);
	if (rc)
		return rc;
	m->m_buf = buf;
	m->m_len = len;
	if (!cursor_skip(&c, IKEV1_HDR_LEN))
		return -EINVAL;
	if (m->m_hdr.h_flags & IKEV1_F_ENCRYPTION) {
		/* RFC 2408 §3.1: everything after the header is ciphertext */
		m->m_enc = c.p;
		m->m_enc_len = c.left;
		return 0;
	}
	rc = ikev1_chain_parse(m->m_hdr.h_next, c.p, c.left, false,
			       &m->m_chain);
	for (unsigned i = 0; i < m->m_chain.c_n; i++)
		m->m_chain.c_pl[i].pl_off += IKEV1_HDR_LEN;
	return rc;
}

const struct ikev1_payload *ikev1_chain_find(const struct ikev1_chain *c,
					     uint8_t type, unsigned from)
{
	for (unsigned i = from; i < c->c_n; i++)
		if (c->c_pl[i].pl_type == type)
			return &c->c_pl[i];
	return NULL;
}

/* ---- SA: proposals, transforms, attributes ---- */

void ikev1_iter_init(struct ikev1_iter *it, const uint8_t *p, size_t len,
		     uint8_t first)
{
	it->it_p = p;
	it->it_left = len;
	it->it_next = first;
}

/*
 * The substructure header shared by proposals and transforms (§3.5,
 * §3.6): next (type or 0), reserved, length. *body is what follows the
 * header within length. 1, 0 at the end, -EINVAL.
 */
static int sub_next(struct ikev1_iter *it, uint8_t type, size_t min,
		    struct cursor *body)
{
	struct cursor c = cursor_make(it->it_p, it->it_left);
	uint8_t next, reserved;
	uint16_t len;

	if (it->it_next == IKEV1_PL_NONE)
		return it->it_left ? -EINVAL : 0; /* bytes after the last */
	if (it->it_next != type)
		return -EINVAL;
	if (!cursor_u8(&c, &next) || !cursor_u8(&c, &reserved) ||
	    !cursor_be16(&c, &len))
		return -EINVAL;
	if (len < min || !cursor_sub(&c, len - 4u, body))
		return -EINVAL;
	if (next != IKEV1_PL_NONE && next != type)
		return -EINVAL;
	it->it_next = next;
	it->it_p = c.p;
	it->it_left = c.left;
	return 1;
}

int ikev1_prop_next(struct ikev1_iter *it, struct ikev1_prop *p)
{
	struct cursor b, spi;
	int rc = sub_next(it, IKEV1_PL_P, PROP_HDR_LEN, &b);

	if (rc <= 0)
		return rc;
	p->p_next = it->it_next;
	if (!cursor_u8(&b, &p->p_num) || !cursor_u8(&b, &p->p_proto) ||
	    !cursor_u8(&b, &p->p_spi_len) || !cursor_u8(&b, &p->p_ntrans) ||
	    !cursor_sub(&b, p->p_spi_len, &spi))
		return -EINVAL;
	p->p_spi = spi.p;
	p->p_xforms = b.p;
	p->p_xforms_len = b.left;
	return 1;
}

int ikev1_xform_next(struct ikev1_iter *it, struct ikev1_xform *t)
{
	struct cursor b;
	uint16_t reserved;
	int rc = sub_next(it, IKEV1_PL_T, XFORM_HDR_LEN, &b);

	if (rc <= 0)
		return rc;
	t->t_next = it->it_next;
	if (!cursor_u8(&b, &t->t_num) || !cursor_u8(&b, &t->t_id) ||
	    !cursor_be16(&b, &reserved))
		return -EINVAL;
	t->t_attrs = b.p;
	t->t_attrs_len = b.left;
	return 1;
}

int ikev1_attr_next(struct ikev1_iter *it, struct ikev1_attr *a)
{
	struct cursor c = cursor_make(it->it_p, it->it_left), data;
	uint16_t type, v;

	if (c.left == 0)
		return 0;
	if (!cursor_be16(&c, &type) || !cursor_be16(&c, &v))
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->a_type = type & (uint16_t)~ATTR_AF;
	a->a_tv = type & ATTR_AF;
	if (a->a_tv) {
		a->a_val = v;
	} else {
		if (!cursor_sub(&c, v, &data))
			return -EINVAL;
		a->a_data = data.p;
		a->a_len = v;
	}
	it->it_p = c.p;
	it->it_left = c.left;
	return 1;
}

int ikev1_attr_uint(const struct ikev1_attr *a, uint64_t *v)
{
	if (a->a_tv) {
		*v = a->a_val;
		return 0;
	}
	if (a->a_len == 0 || a->a_len > 8)
		return -EINVAL;
	*v = 0;
	for (uint16_t i = 0; i < a->a_len; i++)
		*v = *v << 8 | a->a_data[i];
	return 0;
}

/* Walks one transform's attributes to their end. */
static int check_attrs(const struct ikev1_xform *t)
{
	struct ikev1_iter it;
	struct ikev1_attr a;
	int rc;

	ikev1_iter_init(&it, t->t_attrs, t->t_attrs_len, IKEV1_PL_NONE);
	while ((rc = ikev1_attr_next(&it, &a)) > 0)
		;
	return rc;
}

/* Walks one proposal's transforms; their number must be p_ntrans. */
static int check_prop(const struct ikev1_prop *p)
{
	struct ikev1_iter it;
	struct ikev1_xform t;
	unsigned n = 0;
	int rc;

	ikev1_iter_init(&it, p->p_xforms, p->p_xforms_len, IKEV1_PL_T);
	while ((rc = ikev1_xform_next(&it, &t)) > 0) {
		rc = check_attrs(&t);
		if (rc)
			return rc;
		n++;
	}
	if (rc)
		return rc;
	return n && n == p->p_ntrans ? 0 : -EINVAL;
}

int ikev1_sa_decode(const uint8_t *body, size_t len, struct ikev1_sa *sa)
{
	struct cursor c = cursor_make(body, len);
	struct ikev1_iter it;
	struct ikev1_prop p;
	int rc;

	memset(sa, 0, sizeof(*sa));
	if (!cursor_be32(&c, &sa->sa_doi) || !cursor_be32(&c, &sa->sa_sit))
		return -EINVAL;
	/* RFC 2407 §4.6.1: labeled situations carry more fields, which we
	 * do not support (SITUATION-NOT-SUPPORTED) */
	if (sa->sa_doi == IKEV1_DOI_IPSEC &&
	    (sa->sa_sit & (SIT_SECRECY | SIT_INTEGRITY)))
		return -EOPNOTSUPP;
	sa->sa_props = c.p;
	sa->sa_props_len = c.left;
	ikev1_iter_init(&it, c.p, c.left, IKEV1_PL_P);
	while ((rc = ikev1_prop_next(&it, &p)) > 0) {
		rc = check_prop(&p);
		if (rc)
			return rc;
		sa->sa_nprops++;
	}
	if (rc)
		return rc;
	return sa->sa_nprops ? 0 : -EINVAL;
}

/* ---- the other bodies ---- */

/* RFC 2407 §4.6.2.2-4.6.2.12: the data length each address type has. */
static size_t id_addr_len(uint8_t type)
{
	switch (type) {
	case IKEV1_ID_IPV4_ADDR:
		return 4;
	case IKEV1_ID_IPV4_ADDR_SUBNET:
	case IKEV1_ID_IPV4_ADDR_RANGE:
		return 8;
	case IKEV1_ID_IPV6_ADDR:
		return 16;
	case IKEV1_ID_IPV6_ADDR_SUBNET:
	case IKEV1_ID_IPV6_ADDR_RANGE:
		return 32;
	default:
		return 0;
	}
}

int ikev1_id_decode(const uint8_t *body, size_t len, struct ikev1_id *id)
{
	struct cursor c = cursor_make(body, len);
	size_t want;

	memset(id, 0, sizeof(*id));
	if (!cursor_u8(&c, &id->id_type) || !cursor_u8(&c, &id->id_proto) ||
	    !cursor_be16(&c, &id->id_port))
		return -EINVAL;
	id->id_data = c.p;
	id->id_len = c.left;
	if (id->id_type == 0 || id->id_type > IKEV1_ID_KEY_ID)
		return -EOPNOTSUPP; /* INVALID-ID-INFORMATION */
	want = id_addr_len(id->id_type);
	if (want ? c.left != want : c.left == 0)
		return -EINVAL;
	return 0;
}

int ikev1_cert_decode(const uint8_t *body, size_t len, struct ikev1_cert *ce)
{
	struct cursor c = cursor_make(body, len);

	memset(ce, 0, sizeof(*ce));
	if (!cursor_u8(&c, &ce->c_enc))
		return -EINVAL;
	ce->c_data = c.p;
	ce->c_len = c.left;
	return 0;
}

const char *ikev1_notify_name(uint16_t type)
{
	switch (type) {
	case IKEV1_N_INVALID_PAYLOAD_TYPE: return "INVALID-PAYLOAD-TYPE";
	case IKEV1_N_INVALID_COOKIE: return "INVALID-COOKIE";
	case IKEV1_N_INVALID_EXCHANGE_TYPE: return "INVALID-EXCHANGE-TYPE";
	case IKEV1_N_INVALID_FLAGS: return "INVALID-FLAGS";
	case IKEV1_N_INVALID_MESSAGE_ID: return "INVALID-MESSAGE-ID";
	case IKEV1_N_INVALID_SPI: return "INVALID-SPI";
	case IKEV1_N_ATTRIBUTES_NOT_SUPPORTED: return "ATTRIBUTES-NOT-SUPPORTED";
	case IKEV1_N_NO_PROPOSAL_CHOSEN: return "NO-PROPOSAL-CHOSEN";
	case IKEV1_N_BAD_PROPOSAL_SYNTAX: return "BAD-PROPOSAL-SYNTAX";
	case IKEV1_N_PAYLOAD_MALFORMED: return "PAYLOAD-MALFORMED";
	case IKEV1_N_INVALID_KEY_INFORMATION: return "INVALID-KEY-INFORMATION";
	case IKEV1_N_INVALID_ID_INFORMATION: return "INVALID-ID-INFORMATION";
	case IKEV1_N_INVALID_HASH_INFORMATION: return "INVALID-HASH-INFORMATION";
	case IKEV1_N_AUTHENTICATION_FAILED: return "AUTHENTICATION-FAILED";
	case IKEV1_N_INVALID_SIGNATURE: return "INVALID-SIGNATURE";
	}
	return NULL;
}

int ikev1_notify_decode(const uint8_t *body, size_t len,
			struct ikev1_notify *n)
{
	struct cursor c = cursor_make(body, len), spi;

	memset(n, 0, sizeof(*n));
	if (!cursor_be32(&c, &n->n_doi) || !cursor_u8(&c, &n->n_proto) ||
	    !cursor_u8(&c, &n->n_spi_len) || !cursor_be16(&c, &n->n_type) ||
	    !cursor_sub(&c, n->n_spi_len, &spi))
		return -EINVAL;
	n->n_spi = spi.p;
	n->n_data = c.p;
	n->n_data_len = c.left;
	return 0;
}

int ikev1_delete_decode(const uint8_t *body, size_t len,
			struct ikev1_delete *d)
{
	struct cursor c = cursor_make(body, len);

	memset(d, 0, sizeof(*d));
	if (!cursor_be32(&c, &d->d_doi) || !cursor_u8(&c, &d->d_proto) ||
	    !cursor_u8(&c, &d->d_spi_len) || !cursor_be16(&c, &d->d_nspis))
		return -EINVAL;
	d->d_spis = c.p;
	/* §3.15: exactly # of SPIs of SPI Size each */
	if (d->d_spi_len == 0 || d->d_nspis == 0 ||
	    c.left != (size_t)d->d_spi_len * d->d_nspis)
		return -EINVAL;
	return 0;
}

int ikev1_nat_oa_decode(const uint8_t *body, size_t len,
			struct ikev1_nat_oa *oa)
{
	struct cursor c = cursor_make(body, len);

	memset(oa, 0, sizeof(*oa));
	if (!cursor_u8(&c, &oa->oa_type) ||
	    !cursor_skip(&c, NAT_OA_RESERVED))
		return -EINVAL;
	oa->oa_addr = c.p;
	oa->oa_len = c.left;
	if (oa->oa_type != IKEV1_ID_IPV4_ADDR &&
	    oa->oa_type != IKEV1_ID_IPV6_ADDR)
		return -EINVAL;
	return c.left == id_addr_len(oa->oa_type) ? 0 : -EINVAL;
}

int ikev1_data_check(uint8_t type, size_t len)
{
	if (len == 0)
		return -EINVAL;
	if (type == IKEV1_PL_NONCE && (len < NONCE_MIN || len > NONCE_MAX))
		return -EINVAL;
	return 0;
}

int ikev1_frag_parse(const uint8_t *buf, size_t len, struct ikev1_hdr *h,
		     struct ikev1_frag *f)
{
	struct cursor c = cursor_make(buf, len), body;
	uint8_t next, reserved, flags;
	int rc = ikev1_hdr_parse(buf, len, h);

	memset(f, 0, sizeof(*f));
	if (rc)
		return rc;
	if (h->h_next != IKEV1_PL_FRAG || !cursor_skip(&c, IKEV1_HDR_LEN) ||
	    !ike_wire_read_payload(&c, &next, &reserved, &body) ||
	    next != IKEV1_PL_NONE || c.left != 0)
		return -EINVAL;
	if (!cursor_be16(&body, &f->f_id) || !cursor_u8(&body, &f->f_num) ||
	    !cursor_u8(&body, &flags) || f->f_num == 0 || body.left == 0)
		return -EINVAL;
	f->f_last = flags & IKEV1_FRAG_LAST;
	f->f_data = body.p;
	f->f_len = body.left;
	return 0;
}

/* ---- encoders ---- */

void ikev1_w_hdr(struct ike_writer *w, const struct ikev1_hdr *h)
{
	ike_w_fixed_hdr(w, h->h_cky_i, h->h_cky_r, IKEV1_VERSION, h->h_exchange,
			h->h_flags, h->h_msgid);
}

void ikev1_w_attr(struct ike_writer *w, const struct ikev1_attr *a)
{
	if (a->a_type & ATTR_AF) {
		ike_w_fail(w, -EINVAL);
		return;
	}
	if (a->a_tv) {
		ike_w_be16(w, a->a_type | ATTR_AF);
		ike_w_be16(w, a->a_val);
		return;
	}
	ike_w_be16(w, a->a_type);
	ike_w_be16(w, a->a_len);
	ike_w_bytes(w, a->a_data, a->a_len);
}

/* Fills the length of the substructure whose header starts at at. */
static void sub_end(struct ike_writer *w, size_t at)
{
	if (w->w_err)
		return;
	if (w->w_len - at > UINT16_MAX) {
		ike_w_fail(w, -EMSGSIZE);
		return;
	}
	ike_w_patch16(w, at + 2, (uint16_t)(w->w_len - at));
}

static void w_xform(struct ike_writer *w, const struct ikev1_xform_spec *t,
		    bool last)
{
	const size_t at = w->w_len;

	ike_w_u8(w, last ? IKEV1_PL_NONE : IKEV1_PL_T);
	ike_w_u8(w, 0);
	ike_w_be16(w, 0); /* sub_end() */
	ike_w_u8(w, t->xs_num);
	ike_w_u8(w, t->xs_id);
	ike_w_be16(w, 0);
	for (size_t i = 0; i < t->xs_nattrs; i++)
		ikev1_w_attr(w, &t->xs_attrs[i]);
	sub_end(w, at);
}

static void w_prop(struct ike_writer *w, const struct ikev1_prop_spec *p,
		   bool last)
{
	const size_t at = w->w_len;

	if (p->ps_nxf == 0 || p->ps_nxf > UINT8_MAX) {
		ike_w_fail(w, -EINVAL);
		return;
	}
	ike_w_u8(w, last ? IKEV1_PL_NONE : IKEV1_PL_P);
	ike_w_u8(w, 0);
	ike_w_be16(w, 0); /* sub_end() */
	ike_w_u8(w, p->ps_num);
	ike_w_u8(w, p->ps_proto);
	ike_w_u8(w, p->ps_spi_len);
	ike_w_u8(w, (uint8_t)p->ps_nxf);
	ike_w_bytes(w, p->ps_spi, p->ps_spi_len);
	for (size_t i = 0; i < p->ps_nxf; i++)
		w_xform(w, &p->ps_xf[i], i + 1 == p->ps_nxf);
	sub_end(w, at);
}

void ikev1_w_sa(struct ike_writer *w, uint32_t doi, uint32_t sit,
		const struct ikev1_prop_spec *props, size_t nprops)
{
	if (nprops == 0)
		ike_w_fail(w, -EINVAL);
	ike_w_pl_begin(w, IKEV1_PL_SA, false);
	ike_w_be32(w, doi);
	ike_w_be32(w, sit);
	for (size_t i = 0; i < nprops; i++)
		w_prop(w, &props[i], i + 1 == nprops);
	ike_w_pl_end(w);
}

void ikev1_w_data(struct ike_writer *w, uint8_t type, const void *p,
		  size_t len)
{
	ike_w_pl_raw(w, type, false, p, len);
}

void ikev1_w_id(struct ike_writer *w, const struct ikev1_id *id)
{
	ike_w_pl_begin(w, IKEV1_PL_ID, false);
	ike_w_u8(w, id->id_type);
	ike_w_u8(w, id->id_proto);
	ike_w_be16(w, id->id_port);
	ike_w_bytes(w, id->id_data, id->id_len);
	ike_w_pl_end(w);
}

void ikev1_w_cert(struct ike_writer *w, uint8_t type,
		  const struct ikev1_cert *c)
{
	if (type != IKEV1_PL_CERT && type != IKEV1_PL_CR)
		ike_w_fail(w, -EINVAL);
	ike_w_pl_begin(w, type, false);
	ike_w_u8(w, c->c_enc);
	ike_w_bytes(w, c->c_data, c->c_len);
	ike_w_pl_end(w);
}

void ikev1_w_notify(struct ike_writer *w, const struct ikev1_notify *n)
{
	ike_w_pl_begin(w, IKEV1_PL_N, false);
	ike_w_be32(w, n->n_doi);
	ike_w_u8(w, n->n_proto);
	ike_w_u8(w, n->n_spi_len);
	ike_w_be16(w, n->n_type);
	ike_w_bytes(w, n->n_spi, n->n_spi_len);
	ike_w_bytes(w, n->n_data, n->n_data_len);
	ike_w_pl_end(w);
}

void ikev1_w_delete(struct ike_writer *w, const struct ikev1_delete *d)
{
	ike_w_pl_begin(w, IKEV1_PL_D, false);
	ike_w_be32(w, d->d_doi);
	ike_w_u8(w, d->d_proto);
	ike_w_u8(w, d->d_spi_len);
	ike_w_be16(w, d->d_nspis);
	ike_w_bytes(w, d->d_spis, (size_t)d->d_spi_len * d->d_nspis);
	ike_w_pl_end(w);
}

void ikev1_w_nat_oa(struct ike_writer *w, const struct ikev1_nat_oa *oa)
{
	ike_w_pl_begin(w, IKEV1_PL_NAT_OA, false);
	ike_w_u8(w, oa->oa_type);
	ike_w_reserve(w, NAT_OA_RESERVED);
	ike_w_bytes(w, oa->oa_addr, oa->oa_len);
	ike_w_pl_end(w);
}

void ikev1_w_frag(struct ike_writer *w, const struct ikev1_frag *f)
{
	if (f->f_num == 0 || f->f_len == 0)
		ike_w_fail(w, -EINVAL);
	ike_w_pl_begin(w, IKEV1_PL_FRAG, false);
	ike_w_be16(w, f->f_id);
	ike_w_u8(w, f->f_num);
	ike_w_u8(w, f->f_last ? IKEV1_FRAG_LAST : 0);
	ike_w_bytes(w, f->f_data, f->f_len);
	ike_w_pl_end(w);
}
