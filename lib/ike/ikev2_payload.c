/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Typed IKEv2 payloads, RFC 7296 §3.3-3.15: decoders over a payload's
 * body through the cursor, encoders through the writer, and the framing
 * of the SK/SKF payloads (§3.14, RFC 7383).
 */
#include <errno.h>
#include <string.h>

#include "cursor.h"
#include "ikev2_payload.h"

#define LAST_SUBSTRUCT 0
#define MORE_PROPOSALS 2  /* §3.3.1 */
#define MORE_TRANSFORMS 3 /* §3.3.2 */
#define TS_IPV4_LEN 16    /* §3.13.1 */
#define TS_IPV6_LEN 40
#define OPAQUE_SPORT 65535
#define OPAQUE_EPORT 0

static struct cursor body_of(const struct ike_payload *pl)
{
	return cursor_make(pl->pl_body, pl->pl_len);
}

/* Takes what is left of c as a (pointer, length) pair. */
static void take_rest(struct cursor *c, const uint8_t **p, size_t *len)
{
	*p = c->p;
	*len = c->left;
	cursor_skip(c, c->left);
}

/* ---- SA, §3.3 ---- */

static bool spi_size_ok(uint8_t proto, uint8_t size)
{
	switch (proto) {
	case IKE_PROTO_IKE:
		return size == 0 || size == 8; /* 8 when rekeying, §3.3.1 */
	case IKE_PROTO_AH:
	case IKE_PROTO_ESP:
		return size == 4;
	default:
		return false;
	}
}

/* §3.3.5: Key Length is TV only, present at most once, never 0; other
 * attributes make the transform unacceptable (§3.3.6), not malformed. */
static int decode_attrs(struct cursor *c, struct ike_transform *t)
{
	while (c->left) {
		uint16_t type, val;

		if (!cursor_be16(c, &type) || !cursor_be16(c, &val))
			return -EINVAL;
		if (!(type & IKE_ATTR_F_TV)) {
			/* TLV: val is the length of the value */
			if (type == IKE_ATTR_KEY_LENGTH || !cursor_skip(c, val))
				return -EINVAL;
			t->t_flags |= IKE_XF_F_UNKNOWN_ATTR;
		} else if ((type & ~IKE_ATTR_F_TV) != IKE_ATTR_KEY_LENGTH) {
			t->t_flags |= IKE_XF_F_UNKNOWN_ATTR;
		} else if (t->t_keylen || !val) {
			return -EINVAL;
		} else {
			t->t_keylen = val;
		}
	}
	return 0;
}

/* §3.3.2; *last: the Last Substructure field says no transform follows. */
static int decode_transform(struct cursor *c, struct ike_transform *t,
			    bool *last)
{
	struct cursor b;
	uint8_t more;
	uint16_t len;

	if (!cursor_u8(c, &more) || !cursor_skip(c, 1) ||
	    !cursor_be16(c, &len) || len < 8 || !cursor_sub(c, len - 4, &b))
		return -EINVAL;
	if (more != LAST_SUBSTRUCT && more != MORE_TRANSFORMS)
		return -EINVAL;
	*last = more == LAST_SUBSTRUCT;
	memset(t, 0, sizeof(*t));
	if (!cursor_u8(&b, &t->t_type) || !cursor_skip(&b, 1) ||
	    !cursor_be16(&b, &t->t_id))
		return -EINVAL;
	return decode_attrs(&b, t);
}

/* The transforms fill the proposal exactly, as many as it announces,
 * and only the final one says it is last. */
static int decode_transforms(struct cursor *b, struct ike_proposal *p,
			     uint8_t want)
{
	bool last = false;
	unsigned n = 0;

	while (b->left) {
		if (last || n == IKE_PROP_MAX_TRANSFORMS)
			return -EINVAL;
		if (decode_transform(b, &p->p_xf[n], &last))
			return -EINVAL;
		n++;
	}
	if (!last || n != want)
		return -EINVAL;
	p->p_nxf = (uint8_t)n;
	return 0;
}

/* §3.3.1 */
static int decode_proposal(struct cursor *c, struct ike_proposal *p,
			   bool *last)
{
	struct cursor b;
	uint8_t more, nxf;
	uint16_t len;

	if (!cursor_u8(c, &more) || !cursor_skip(c, 1) ||
	    !cursor_be16(c, &len) || len < 8 || !cursor_sub(c, len - 4, &b))
		return -EINVAL;
	if (more != LAST_SUBSTRUCT && more != MORE_PROPOSALS)
		return -EINVAL;
	*last = more == LAST_SUBSTRUCT;
	memset(p->p_spi, 0, sizeof(p->p_spi));
	if (!cursor_u8(&b, &p->p_num) || !cursor_u8(&b, &p->p_proto) ||
	    !cursor_u8(&b, &p->p_spi_size) || !cursor_u8(&b, &nxf))
		return -EINVAL;
	if (!spi_size_ok(p->p_proto, p->p_spi_size) ||
	    !cursor_bytes(&b, p->p_spi, p->p_spi_size))
		return -EINVAL;
	return decode_transforms(&b, p, nxf);
}

int ike_pl_sa_decode(const struct ike_payload *pl, struct ike_offer *sa)
{
	struct cursor c = body_of(pl);
	bool last = false;

	sa->sa_n = 0;
	if (pl->pl_type != IKE_PL_SA)
		return -EINVAL;
	while (c.left) {
		if (last || sa->sa_n == IKE_SA_MAX_PROPOSALS)
			return -EINVAL;
		if (decode_proposal(&c, &sa->sa_prop[sa->sa_n], &last))
			return -EINVAL;
		sa->sa_n++;
	}
	return last ? 0 : -EINVAL;
}

static void encode_transform(struct ike_writer *w,
			     const struct ike_transform *t, bool last)
{
	ike_w_u8(w, last ? LAST_SUBSTRUCT : MORE_TRANSFORMS);
	ike_w_u8(w, 0);
	ike_w_be16(w, t->t_keylen ? 12 : 8);
	ike_w_u8(w, t->t_type);
	ike_w_u8(w, 0);
	ike_w_be16(w, t->t_id);
	if (t->t_keylen) {
		ike_w_be16(w, IKE_ATTR_F_TV | IKE_ATTR_KEY_LENGTH);
		ike_w_be16(w, t->t_keylen);
	}
}

static void encode_proposal(struct ike_writer *w,
			    const struct ike_proposal *p, bool last)
{
	const size_t at = w->w_len;

	if (!spi_size_ok(p->p_proto, p->p_spi_size) || !p->p_nxf ||
	    p->p_nxf > IKE_PROP_MAX_TRANSFORMS) {
		ike_w_fail(w, -EINVAL);
		return;
	}
	ike_w_u8(w, last ? LAST_SUBSTRUCT : MORE_PROPOSALS);
	ike_w_u8(w, 0);
	ike_w_be16(w, 0); /* length, below */
	ike_w_u8(w, p->p_num);
	ike_w_u8(w, p->p_proto);
	ike_w_u8(w, p->p_spi_size);
	ike_w_u8(w, p->p_nxf);
	ike_w_bytes(w, p->p_spi, p->p_spi_size);
	for (unsigned i = 0; i < p->p_nxf; i++)
		encode_transform(w, &p->p_xf[i], i + 1 == p->p_nxf);
	ike_w_patch16(w, at + 2, (uint16_t)(w->w_len - at));
}

void ike_pl_sa_encode(struct ike_writer *w, const struct ike_offer *sa)
{
	if (!sa->sa_n || sa->sa_n > IKE_SA_MAX_PROPOSALS)
		ike_w_fail(w, -EINVAL);
	ike_w_pl_begin(w, IKE_PL_SA, false);
	for (unsigned i = 0; i < sa->sa_n && !w->w_err; i++)
		encode_proposal(w, &sa->sa_prop[i], i + 1 == sa->sa_n);
	ike_w_pl_end(w);
}

/* ---- KE §3.4, ID §3.5, CERT/CERTREQ §3.6-3.7, AUTH §3.8, Ni §3.9 ---- */

int ike_pl_ke_decode(const struct ike_payload *pl, struct ike_pl_ke *ke)
{
	struct cursor c = body_of(pl);

	if (pl->pl_type != IKE_PL_KE || !cursor_be16(&c, &ke->ke_group) ||
	    !cursor_skip(&c, 2) || !c.left)
		return -EINVAL;
	take_rest(&c, &ke->ke_data, &ke->ke_len);
	return 0;
}

void ike_pl_ke_encode(struct ike_writer *w, const struct ike_pl_ke *ke)
{
	if (!ke->ke_len)
		ike_w_fail(w, -EINVAL);
	ike_w_pl_begin(w, IKE_PL_KE, false);
	ike_w_be16(w, ke->ke_group);
	ike_w_be16(w, 0);
	ike_w_bytes(w, ke->ke_data, ke->ke_len);
	ike_w_pl_end(w);
}

static bool id_len_ok(uint8_t type, size_t len)
{
	switch (type) {
	case IKE_ID_IPV4_ADDR:
		return len == 4;
	case IKE_ID_IPV6_ADDR:
		return len == 16;
	default:
		return len > 0;
	}
}

int ike_pl_id_decode(const struct ike_payload *pl, struct ike_pl_id *id)
{
	struct cursor c = body_of(pl);

	if ((pl->pl_type != IKE_PL_IDI && pl->pl_type != IKE_PL_IDR) ||
	    !cursor_u8(&c, &id->id_type) || !cursor_skip(&c, 3))
		return -EINVAL;
	take_rest(&c, &id->id_data, &id->id_len);
	return id_len_ok(id->id_type, id->id_len) ? 0 : -EINVAL;
}

void ike_pl_id_encode(struct ike_writer *w, uint8_t type,
		      const struct ike_pl_id *id)
{
	if ((type != IKE_PL_IDI && type != IKE_PL_IDR) ||
	    !id_len_ok(id->id_type, id->id_len))
		ike_w_fail(w, -EINVAL);
	ike_w_pl_begin(w, type, false);
	ike_w_u8(w, id->id_type);
	ike_w_reserve(w, 3);
	ike_w_bytes(w, id->id_data, id->id_len);
	ike_w_pl_end(w);
}

/* A CERTREQ may name no CA (§3.7); a CERT always carries one. */
int ike_pl_cert_decode(const struct ike_payload *pl, struct ike_cert_data *ct)
{
	struct cursor c = body_of(pl);

	if ((pl->pl_type != IKE_PL_CERT && pl->pl_type != IKE_PL_CERTREQ) ||
	    !cursor_u8(&c, &ct->cert_enc))
		return -EINVAL;
	take_rest(&c, &ct->cert_data, &ct->cert_len);
	return pl->pl_type == IKE_PL_CERT && !ct->cert_len ? -EINVAL : 0;
}

void ike_pl_cert_encode(struct ike_writer *w, uint8_t type,
			const struct ike_cert_data *ct)
{
	if ((type != IKE_PL_CERT && type != IKE_PL_CERTREQ) ||
	    (type == IKE_PL_CERT && !ct->cert_len))
		ike_w_fail(w, -EINVAL);
	ike_w_pl_begin(w, type, false);
	ike_w_u8(w, ct->cert_enc);
	ike_w_bytes(w, ct->cert_data, ct->cert_len);
	ike_w_pl_end(w);
}

int ike_pl_auth_decode(const struct ike_payload *pl, struct ike_pl_auth *a)
{
	struct cursor c = body_of(pl);

	if (pl->pl_type != IKE_PL_AUTH || !cursor_u8(&c, &a->auth_method) ||
	    !cursor_skip(&c, 3) || !c.left)
		return -EINVAL;
	take_rest(&c, &a->auth_data, &a->auth_len);
	return 0;
}

void ike_pl_auth_encode(struct ike_writer *w, const struct ike_pl_auth *a)
{
	if (!a->auth_len)
		ike_w_fail(w, -EINVAL);
	ike_w_pl_begin(w, IKE_PL_AUTH, false);
	ike_w_u8(w, a->auth_method);
	ike_w_reserve(w, 3);
	ike_w_bytes(w, a->auth_data, a->auth_len);
	ike_w_pl_end(w);
}

static bool nonce_len_ok(size_t len)
{
	return len >= IKE_NONCE_MIN && len <= IKE_NONCE_MAX;
}

int ike_pl_nonce_decode(const struct ike_payload *pl, struct ike_pl_nonce *n)
{
	if (pl->pl_type != IKE_PL_NONCE || !nonce_len_ok(pl->pl_len))
		return -EINVAL;
	n->nonce_data = pl->pl_body;
	n->nonce_len = pl->pl_len;
	return 0;
}

void ike_pl_nonce_encode(struct ike_writer *w, const struct ike_pl_nonce *n)
{
	if (!nonce_len_ok(n->nonce_len))
		ike_w_fail(w, -EINVAL);
	ike_w_pl_raw(w, IKE_PL_NONCE, false, n->nonce_data, n->nonce_len);
}

/* ---- Notify §3.10, Delete §3.11, Vendor ID §3.12 ---- */

static bool notify_spi_size_ok(uint8_t size)
{
	return size == 0 || size == 4 || size == 8;
}

int ike_pl_notify_decode(const struct ike_payload *pl,
			 struct ike_pl_notify *n)
{
	struct cursor c = body_of(pl);

	memset(n->n_spi, 0, sizeof(n->n_spi));
	if (pl->pl_type != IKE_PL_NOTIFY || !cursor_u8(&c, &n->n_proto) ||
	    !cursor_u8(&c, &n->n_spi_size) || !cursor_be16(&c, &n->n_type))
		return -EINVAL;
	if (!notify_spi_size_ok(n->n_spi_size) ||
	    !cursor_bytes(&c, n->n_spi, n->n_spi_size))
		return -EINVAL;
	take_rest(&c, &n->n_data, &n->n_len);
	return 0;
}

void ike_pl_notify_encode(struct ike_writer *w,
			  const struct ike_pl_notify *n)
{
	if (!notify_spi_size_ok(n->n_spi_size))
		ike_w_fail(w, -EINVAL);
	ike_w_pl_begin(w, IKE_PL_NOTIFY, false);
	ike_w_u8(w, n->n_proto);
	ike_w_u8(w, n->n_spi_size);
	ike_w_be16(w, n->n_type);
	ike_w_bytes(w, n->n_spi, n->n_spi_size);
	ike_w_bytes(w, n->n_data, n->n_len);
	ike_w_pl_end(w);
}

/* §3.11: the IKE SA is deleted with no SPI (it is in the header); AH
 * and ESP SAs by their 4-byte SPIs. */
static bool delete_shape_ok(uint8_t proto, uint8_t spi_size, uint16_t n)
{
	if (proto == IKE_PROTO_IKE)
		return spi_size == 0 && n == 0;
	return (proto == IKE_PROTO_AH || proto == IKE_PROTO_ESP) &&
	       spi_size == 4;
}

int ike_pl_delete_decode(const struct ike_payload *pl,
			 struct ike_pl_delete *d)
{
	struct cursor c = body_of(pl);

	if (pl->pl_type != IKE_PL_DELETE || !cursor_u8(&c, &d->d_proto) ||
	    !cursor_u8(&c, &d->d_spi_size) || !cursor_be16(&c, &d->d_count))
		return -EINVAL;
	if (!delete_shape_ok(d->d_proto, d->d_spi_size, d->d_count) ||
	    c.left != (size_t)d->d_count * d->d_spi_size)
		return -EINVAL;
	d->d_spis = c.p;
	return 0;
}

bool ike_pl_delete_spi(const struct ike_pl_delete *d, unsigned i,
		       uint32_t *spi)
{
	struct cursor c = cursor_make(d->d_spis,
				      (size_t)d->d_count * d->d_spi_size);

	return d->d_spi_size == 4 && i < d->d_count &&
	       cursor_skip(&c, (size_t)i * 4) && cursor_be32(&c, spi);
}

void ike_pl_delete_encode(struct ike_writer *w, uint8_t proto,
			  const uint32_t *spis, uint16_t n)
{
	const uint8_t spi_size = proto == IKE_PROTO_IKE ? 0 : 4;

	if (!delete_shape_ok(proto, spi_size, n))
		ike_w_fail(w, -EINVAL);
	ike_w_pl_begin(w, IKE_PL_DELETE, false);
	ike_w_u8(w, proto);
	ike_w_u8(w, spi_size);
	ike_w_be16(w, n);
	for (unsigned i = 0; i < n; i++)
		ike_w_be32(w, spis[i]);
	ike_w_pl_end(w);
}

void ike_pl_vendor_encode(struct ike_writer *w, const void *id, size_t len)
{
	ike_w_pl_raw(w, IKE_PL_VENDOR, false, id, len);
}

/* ---- Traffic selectors, §3.13 ---- */

/* Selector length by type, 0 for types this codec does not know. */
static uint16_t ts_len(uint8_t type)
{
	switch (type) {
	case IKE_SEL_IPV4:
		return TS_IPV4_LEN;
	case IKE_SEL_IPV6:
		return TS_IPV6_LEN;
	default:
		return 0;
	}
}

static size_t ts_addr_len(uint8_t type)
{
	return type == IKE_SEL_IPV4 ? 4 : 16;
}

/* A range that is empty is malformed, except the OPAQUE ports of
 * §3.13.1 (start 65535, end 0). */
static bool ts_range_ok(const struct ike_selector *ts)
{
	if (ts->ts_sport > ts->ts_eport &&
	    !(ts->ts_sport == OPAQUE_SPORT && ts->ts_eport == OPAQUE_EPORT))
		return false;
	return memcmp(ts->ts_start, ts->ts_end, ts_addr_len(ts->ts_type)) <= 0;
}

static int decode_ts(struct cursor *c, struct ike_selector *ts)
{
	struct cursor b;
	uint16_t len;
	size_t alen;

	memset(ts, 0, sizeof(*ts));
	if (!cursor_u8(c, &ts->ts_type) || !cursor_u8(c, &ts->ts_proto) ||
	    !cursor_be16(c, &len) || len < 4 || !cursor_sub(c, len - 4, &b))
		return -EINVAL;
	if (len != ts_len(ts->ts_type))
		return -EINVAL; /* an unknown type, or the wrong length */
	alen = ts_addr_len(ts->ts_type);
	if (!cursor_be16(&b, &ts->ts_sport) || !cursor_be16(&b, &ts->ts_eport) ||
	    !cursor_bytes(&b, ts->ts_start, alen) ||
	    !cursor_bytes(&b, ts->ts_end, alen))
		return -EINVAL;
	return ts_range_ok(ts) ? 0 : -EINVAL;
}

int ike_pl_ts_decode(const struct ike_payload *pl, struct ike_selectors *ts)
{
	struct cursor c = body_of(pl);
	uint8_t n;

	ts->ts_n = 0;
	if ((pl->pl_type != IKE_PL_TSI && pl->pl_type != IKE_PL_TSR) ||
	    !cursor_u8(&c, &n) || !cursor_skip(&c, 3) || !n || n > IKE_TS_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (decode_ts(&c, &ts->ts[i]))
			return -EINVAL;
	if (c.left)
		return -EINVAL;
	ts->ts_n = n;
	return 0;
}

static void encode_ts(struct ike_writer *w, const struct ike_selector *ts)
{
	if (!ts_len(ts->ts_type) || !ts_range_ok(ts)) {
		ike_w_fail(w, -EINVAL);
		return;
	}
	ike_w_u8(w, ts->ts_type);
	ike_w_u8(w, ts->ts_proto);
	ike_w_be16(w, ts_len(ts->ts_type));
	ike_w_be16(w, ts->ts_sport);
	ike_w_be16(w, ts->ts_eport);
	ike_w_bytes(w, ts->ts_start, ts_addr_len(ts->ts_type));
	ike_w_bytes(w, ts->ts_end, ts_addr_len(ts->ts_type));
}

void ike_pl_ts_encode(struct ike_writer *w, uint8_t type,
		      const struct ike_selectors *ts)
{
	if ((type != IKE_PL_TSI && type != IKE_PL_TSR) || !ts->ts_n ||
	    ts->ts_n > IKE_TS_MAX)
		ike_w_fail(w, -EINVAL);
	ike_w_pl_begin(w, type, false);
	ike_w_u8(w, (uint8_t)ts->ts_n);
	ike_w_reserve(w, 3);
	for (unsigned i = 0; i < ts->ts_n && !w->w_err; i++)
		encode_ts(w, &ts->ts[i]);
	ike_w_pl_end(w);
}

/* ---- Configuration, §3.15 ---- */

/* §3.15.1: empty in requests, else the value's fixed size. */
static bool cp_len_ok(uint16_t type, uint16_t len)
{
	switch (type) {
	case IKE_CA_INTERNAL_IP4_ADDRESS:
	case IKE_CA_INTERNAL_IP4_NETMASK:
	case IKE_CA_INTERNAL_IP4_DNS:
	case IKE_CA_INTERNAL_IP4_NBNS:
	case IKE_CA_INTERNAL_IP4_DHCP:
		return len == 0 || len == 4;
	case IKE_CA_INTERNAL_IP4_SUBNET:
		return len == 0 || len == 8;
	case IKE_CA_INTERNAL_IP6_ADDRESS:
	case IKE_CA_INTERNAL_IP6_SUBNET:
		return len == 0 || len == 17;
	case IKE_CA_INTERNAL_IP6_DNS:
	case IKE_CA_INTERNAL_IP6_DHCP:
		return len == 0 || len == 16;
	case IKE_CA_SUPPORTED_ATTRIBUTES:
		return len % 2 == 0;
	default:
		return true;
	}
}

static bool cfg_type_ok(uint8_t type)
{
	return type >= IKE_CFG_REQUEST && type <= IKE_CFG_ACK;
}

int ike_pl_cp_decode(const struct ike_payload *pl, struct ike_pl_cp *cp)
{
	struct cursor c = body_of(pl);

	cp->cp_n = 0;
	if (pl->pl_type != IKE_PL_CP || !cursor_u8(&c, &cp->cp_type) ||
	    !cursor_skip(&c, 3) || !cfg_type_ok(cp->cp_type))
		return -EINVAL;
	while (c.left) {
		struct ike_cp_attr *a = &cp->cp_attr[cp->cp_n];
		struct cursor v;

		if (cp->cp_n == IKE_CP_MAX || !cursor_be16(&c, &a->ca_type) ||
		    !cursor_be16(&c, &a->ca_len) ||
		    !cursor_sub(&c, a->ca_len, &v))
			return -EINVAL;
		a->ca_type &= 0x7fff; /* the reserved bit is ignored */
		a->ca_val = v.p;
		if (!cp_len_ok(a->ca_type, a->ca_len))
			return -EINVAL;
		cp->cp_n++;
	}
	return 0;
}

void ike_pl_cp_encode(struct ike_writer *w, const struct ike_pl_cp *cp)
{
	if (!cfg_type_ok(cp->cp_type) || cp->cp_n > IKE_CP_MAX)
		ike_w_fail(w, -EINVAL);
	ike_w_pl_begin(w, IKE_PL_CP, false);
	ike_w_u8(w, cp->cp_type);
	ike_w_reserve(w, 3);
	for (unsigned i = 0; i < cp->cp_n && !w->w_err; i++) {
		const struct ike_cp_attr *a = &cp->cp_attr[i];

		if (a->ca_type > 0x7fff || !cp_len_ok(a->ca_type, a->ca_len))
			ike_w_fail(w, -EINVAL);
		ike_w_be16(w, a->ca_type);
		ike_w_be16(w, a->ca_len);
		ike_w_bytes(w, a->ca_val, a->ca_len);
	}
	ike_w_pl_end(w);
}

/* ---- SK §3.14 and SKF (RFC 7383 §2.5) framing ---- */

/* RFC 7383 §2.5: fragments are numbered from 1 up to Total Fragments. */
static bool skf_numbers(struct cursor *c, struct ike_sk *sk)
{
	return cursor_be16(c, &sk->sk_frag) && cursor_be16(c, &sk->sk_total) &&
	       sk->sk_frag >= 1 && sk->sk_frag <= sk->sk_total;
}

int ike_msg_sk_split(const struct ike_msg *m, size_t iv_len, size_t icv_len,
		     size_t block, struct ike_sk *sk)
{
	const struct ike_payload *pl;
	struct cursor c;
	size_t ct_len;

	memset(sk, 0, sizeof(*sk));
	if (!m->m_sk_off || !m->m_chain.c_n || !block)
		return -EINVAL;
	pl = &m->m_chain.c_pl[m->m_chain.c_n - 1];
	c = body_of(pl);
	sk->sk_first = pl->pl_next;
	if (pl->pl_type == IKE_PL_SKF && !skf_numbers(&c, sk))
		return -EINVAL;
	/* SK is last: what is left of its body ends the message */
	sk->sk_aad_len = m->m_len - c.left;
	if (c.left < iv_len || c.left - iv_len < icv_len)
		return -EINVAL;
	ct_len = c.left - iv_len - icv_len;
	if (!ct_len || ct_len % block)
		return -EINVAL;
	sk->sk_iv = c.p;
	cursor_skip(&c, iv_len);
	sk->sk_ct = c.p;
	sk->sk_ct_len = ct_len;
	cursor_skip(&c, ct_len);
	sk->sk_icv = c.p;
	sk->sk_auth_len = m->m_len - icv_len;
	return 0;
}

int ike_sk_unpad(const uint8_t *plain, size_t len, size_t *inner_len)
{
	struct cursor c = cursor_make(plain, len);
	uint8_t pad;

	if (!len || !cursor_skip(&c, len - 1) || !cursor_u8(&c, &pad) ||
	    (size_t)pad + 1 > len)
		return -EINVAL;
	*inner_len = len - 1 - pad;
	return 0;
}

void ike_w_sk_pad(struct ike_writer *w, size_t block)
{
	size_t pad;

	if (!block || block > 256) {
		ike_w_fail(w, -EINVAL);
		return;
	}
	pad = (block - (w->w_len + 1) % block) % block;
	ike_w_reserve(w, pad);
	ike_w_u8(w, (uint8_t)pad);
}

static void sk_reserve(struct ike_writer *w, size_t iv_len, size_t ct_len,
		       size_t icv_len, struct ike_sk_out *out)
{
	out->so_iv = ike_w_reserve(w, iv_len);
	out->so_ct = ike_w_reserve(w, ct_len);
	out->so_icv = ike_w_reserve(w, icv_len);
}

void ike_pl_sk_encode(struct ike_writer *w, uint8_t first, size_t iv_len,
		      size_t ct_len, size_t icv_len, struct ike_sk_out *out)
{
	memset(out, 0, sizeof(*out));
	if (!ct_len)
		ike_w_fail(w, -EINVAL); /* the Pad Length at least */
	ike_w_pl_begin(w, IKE_PL_SK, false);
	sk_reserve(w, iv_len, ct_len, icv_len, out);
	ike_w_pl_end(w);
	ike_w_pl_seal(w, first);
}

void ike_pl_skf_encode(struct ike_writer *w, uint8_t first, uint16_t frag,
		       uint16_t total, size_t iv_len, size_t ct_len,
		       size_t icv_len, struct ike_sk_out *out)
{
	memset(out, 0, sizeof(*out));
	if (!ct_len || !frag || frag > total)
		ike_w_fail(w, -EINVAL);
	ike_w_pl_begin(w, IKE_PL_SKF, false);
	ike_w_be16(w, frag);
	ike_w_be16(w, total);
	sk_reserve(w, iv_len, ct_len, icv_len, out);
	ike_w_pl_end(w);
	ike_w_pl_seal(w, frag == 1 ? first : IKE_PL_NONE);
}
