/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1 SA payloads (RFC 2408 §3.4-3.6, RFC 2409 App. A, RFC 2407 §4.5)
 * in and out of the neutral proposals of ike_types.h, so that one
 * chooser (ike_prop.c) serves both versions.
 */
#include "ikev1.h"

#include <errno.h>
#include <string.h>

static uint16_t p1_encr(uint16_t v)
{
	switch (v) {
	case IKEV1_ENCR_AES_CBC:
		return IKE_ENCR_AES_CBC;
	case IKEV1_ENCR_3DES:
		return IKE_ENCR_3DES;
	}
	return 0;
}

/* An IKEv1 hash is our PRF (its HMAC) and, for matching the same
 * configured proposal as IKEv2, that integrity algorithm. */
static const struct {
	uint16_t hash, prf, integ, aalg;
} HASHES[] = {
	{ IKEV1_HASH_SHA1, IKE_PRF_HMAC_SHA1, IKE_AUTH_HMAC_SHA1_96,
	  IKEV1_AALG_HMAC_SHA1 },
	{ IKEV1_HASH_SHA2_256, IKE_PRF_HMAC_SHA2_256,
	  IKE_AUTH_HMAC_SHA2_256_128, IKEV1_AALG_HMAC_SHA2_256 },
	{ IKEV1_HASH_SHA2_384, IKE_PRF_HMAC_SHA2_384,
	  IKE_AUTH_HMAC_SHA2_384_192, IKEV1_AALG_HMAC_SHA2_384 },
	{ IKEV1_HASH_SHA2_512, IKE_PRF_HMAC_SHA2_512,
	  IKE_AUTH_HMAC_SHA2_512_256, IKEV1_AALG_HMAC_SHA2_512 },
};
#define N_HASHES (sizeof(HASHES) / sizeof(HASHES[0]))

static int hash_by_v1(uint16_t hash)
{
	for (unsigned i = 0; i < N_HASHES; i++)
		if (HASHES[i].hash == hash)
			return (int)i;
	return -1;
}

static int hash_by_integ(uint16_t integ)
{
	for (unsigned i = 0; i < N_HASHES; i++)
		if (HASHES[i].integ == integ)
			return (int)i;
	return -1;
}

static int hash_by_aalg(uint16_t aalg)
{
	for (unsigned i = 0; i < N_HASHES; i++)
		if (HASHES[i].aalg == aalg)
			return (int)i;
	return -1;
}

static void add_xf(struct ike_proposal *p, uint8_t type, uint16_t id,
		   uint16_t keylen)
{
	struct ike_transform *t = &p->p_xf[p->p_nxf++];

	*t = (struct ike_transform){ .t_type = type, .t_id = id,
				     .t_keylen = keylen };
}

/* What one transform's attributes say. */
struct xf_attrs {
	uint16_t encr, hash, auth, group, keylen, encap, aalg;
	uint32_t life_s;
	uint64_t life_kb;
	bool unknown;
};

/* A life duration applies to the life type before it (RFC 2407 §4.5). */
static void take_life(struct xf_attrs *x, uint16_t life_type,
		      const struct ikev1_attr *a)
{
	uint64_t v;

	if (ikev1_attr_uint(a, &v) != 0) {
		x->unknown = true;
		return;
	}
	if (life_type == IKEV1_LIFE_SECONDS)
		x->life_s = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	else if (life_type == IKEV1_LIFE_KILOBYTES)
		x->life_kb = v;
	else
		x->unknown = true;
}

static void take_p1_attr(struct xf_attrs *x, uint16_t *life_type,
			 const struct ikev1_attr *a)
{
	switch (a->a_type) {
	case IKEV1_A_ENCR: x->encr = a->a_val; break;
	case IKEV1_A_HASH: x->hash = a->a_val; break;
	case IKEV1_A_AUTH: x->auth = a->a_val; break;
	case IKEV1_A_GROUP_DESC: x->group = a->a_val; break;
	case IKEV1_A_KEY_LENGTH: x->keylen = a->a_val; break;
	case IKEV1_A_LIFE_TYPE: *life_type = a->a_val; break;
	case IKEV1_A_LIFE_DURATION: take_life(x, *life_type, a); return;
	case IKEV1_A_GROUP_TYPE:
		x->unknown |= a->a_val != 1; /* MODP; ECP groups by number */
		return;
	default: x->unknown = true; return;
	}
	x->unknown |= !a->a_tv;
}

static void take_p2_attr(struct xf_attrs *x, uint16_t *life_type,
			 const struct ikev1_attr *a)
{
	switch (a->a_type) {
	case IKEV1_A_SA_LIFE_TYPE: *life_type = a->a_val; break;
	case IKEV1_A_SA_LIFE_DURATION: take_life(x, *life_type, a); return;
	case IKEV1_A_SA_GROUP_DESC: x->group = a->a_val; break;
	case IKEV1_A_ENCAP_MODE: x->encap = a->a_val; break;
	case IKEV1_A_AUTH_ALG: x->aalg = a->a_val; break;
	case IKEV1_A_SA_KEY_LENGTH: x->keylen = a->a_val; break;
	default: x->unknown = true; return;
	}
	x->unknown |= !a->a_tv;
}

static int read_attrs(const struct ikev1_xform *t, uint8_t proto,
		      struct xf_attrs *x)
{
	struct ikev1_iter it;
	struct ikev1_attr a;
	uint16_t life_type = 0;
	int rc;

	memset(x, 0, sizeof(*x));
	ikev1_iter_init(&it, t->t_attrs, t->t_attrs_len, 0);
	while ((rc = ikev1_attr_next(&it, &a)) > 0) {
		if (proto == IKE_PROTO_IKE)
			take_p1_attr(x, &life_type, &a);
		else
			take_p2_attr(x, &life_type, &a);
	}
	return rc;
}

/* A phase 1 transform as a neutral proposal: ENCR, PRF, INTEG, DH. */
static void p1_proposal(const struct ikev1_xform *t, const struct xf_attrs *x,
			struct ike_proposal *p)
{
	uint16_t encr = p1_encr(x->encr);
	int h = hash_by_v1(x->hash);
	uint16_t keylen = x->keylen;

	if (encr == IKE_ENCR_AES_CBC && !keylen)
		keylen = 128; /* RFC 3602 §5.3: the default */
	add_xf(p, IKE_XF_ENCR, encr, encr == IKE_ENCR_3DES ? 0 : keylen);
	add_xf(p, IKE_XF_PRF, h < 0 ? 0 : HASHES[h].prf, 0);
	add_xf(p, IKE_XF_INTEG, h < 0 ? 0 : HASHES[h].integ, 0);
	add_xf(p, IKE_XF_DH, x->group, 0);
	if (x->unknown || !encr || h < 0 || !x->group ||
	    t->t_id != IKEV1_KEY_IKE)
		p->p_xf[0].t_flags |= IKE_XF_F_UNKNOWN_ATTR;
}

/* A phase 2 ESP transform: ENCR (the IPsec DOI's ESP transform IDs are
 * IKEv2's ENCR numbers), INTEG, DH (PFS), ESN off. */
static void p2_proposal(const struct ikev1_xform *t, const struct xf_attrs *x,
			struct ike_proposal *p)
{
	int h = x->aalg ? hash_by_aalg(x->aalg) : -1;

	add_xf(p, IKE_XF_ENCR, t->t_id, x->keylen);
	add_xf(p, IKE_XF_INTEG, h < 0 ? IKE_AUTH_NONE : HASHES[h].integ, 0);
	add_xf(p, IKE_XF_DH, x->group, 0);
	add_xf(p, IKE_XF_ESN, IKE_ESN_NO, 0);
	if (x->unknown || (x->aalg && h < 0))
		p->p_xf[0].t_flags |= IKE_XF_F_UNKNOWN_ATTR;
}

static int add_xform(struct ikev1_offer *o, const struct ikev1_prop *pr,
		     const struct ikev1_xform *t, uint8_t proto)
{
	struct ike_offer *off = &o->o_offer;
	struct ikev1_choice *c;
	struct ike_proposal *p;
	struct xf_attrs x;
	int rc = read_attrs(t, proto, &x);

	if (rc)
		return rc;
	if (off->sa_n == IKE_SA_MAX_PROPOSALS)
		return 0; /* more than we look at: the rest is not chosen */
	c = &o->o_choice[off->sa_n];
	p = &off->sa_prop[off->sa_n];
	memset(p, 0, sizeof(*p));
	p->p_num = (uint8_t)(off->sa_n + 1);
	p->p_proto = proto;
	*c = (struct ikev1_choice){
		.c_prop_num = pr->p_num, .c_xform_num = t->t_num,
		.c_xform_id = t->t_id, .c_auth = x.auth, .c_encap = x.encap,
		.c_life_s = x.life_s, .c_life_kb = x.life_kb,
		.c_attrs = t->t_attrs, .c_attrs_len = t->t_attrs_len,
	};
	if (proto == IKE_PROTO_IKE) {
		p1_proposal(t, &x, p);
	} else {
		p->p_spi_size = 4;
		memcpy(p->p_spi, pr->p_spi, 4);
		c->c_spi = (uint32_t)pr->p_spi[0] << 24 | (uint32_t)pr->p_spi[1] << 16 |
			   (uint32_t)pr->p_spi[2] << 8 | pr->p_spi[3];
		p2_proposal(t, &x, p);
	}
	off->sa_n++;
	return 0;
}

/* Proposals of the wrong protocol, and AH or IPComp bundled with ESP
 * (several proposals with one number, RFC 2408 §4.2), are skipped: we
 * only ever choose a lone proposal of our protocol. */
static bool prop_wanted(const struct ikev1_prop *pr, uint8_t proto,
			const struct ikev1_sa *sa)
{
	struct ikev1_iter it;
	struct ikev1_prop other;
	unsigned same = 0;

	if (proto == IKE_PROTO_IKE)
		return pr->p_proto == IKEV1_PROTO_ISAKMP;
	if (pr->p_proto != IKEV1_PROTO_ESP || pr->p_spi_len != 4)
		return false;
	ikev1_iter_init(&it, sa->sa_props, sa->sa_props_len, IKEV1_PL_P);
	while (ikev1_prop_next(&it, &other) > 0)
		same += other.p_num == pr->p_num;
	return same == 1;
}

int ikev1_offer_decode(const uint8_t *body, size_t len, uint8_t proto,
		       struct ikev1_offer *o)
{
	struct ikev1_iter pit, tit;
	struct ikev1_prop pr;
	struct ikev1_xform t;
	struct ikev1_sa sa;
	int rc = ikev1_sa_decode(body, len, &sa);

	memset(&o->o_offer, 0, sizeof(o->o_offer));
	if (rc)
		return rc;
	if (sa.sa_doi != IKEV1_DOI_IPSEC || sa.sa_sit != IKEV1_SIT_IDENTITY_ONLY)
		return -EOPNOTSUPP;
	ikev1_iter_init(&pit, sa.sa_props, sa.sa_props_len, IKEV1_PL_P);
	while ((rc = ikev1_prop_next(&pit, &pr)) > 0) {
		if (!prop_wanted(&pr, proto, &sa))
			continue;
		ikev1_iter_init(&tit, pr.p_xforms, pr.p_xforms_len, IKEV1_PL_T);
		while ((rc = ikev1_xform_next(&tit, &t)) > 0)
			if ((rc = add_xform(o, &pr, &t, proto)) != 0)
				return rc;
		if (rc)
			return rc;
	}
	return rc;
}

/* ---- writing ---- */

/* A value as TV when it fits 16 bits, else as a 4-byte TLV in buf. */
static struct ikev1_attr attr_num(uint16_t type, uint32_t v, uint8_t buf[4])
{
	if (v <= UINT16_MAX)
		return (struct ikev1_attr){ .a_type = type, .a_tv = true,
					    .a_val = (uint16_t)v };
	buf[0] = (uint8_t)(v >> 24);
	buf[1] = (uint8_t)(v >> 16);
	buf[2] = (uint8_t)(v >> 8);
	buf[3] = (uint8_t)v;
	return (struct ikev1_attr){ .a_type = type, .a_data = buf, .a_len = 4 };
}

static struct ikev1_attr attr_tv(uint16_t type, uint16_t v)
{
	return (struct ikev1_attr){ .a_type = type, .a_tv = true, .a_val = v };
}

size_t ikev1_life_attrs(uint32_t life_s, uint8_t *out, size_t cap)
{
	struct ikev1_attr type = attr_tv(IKEV1_A_SA_LIFE_TYPE, IKEV1_LIFE_SECONDS), dur;
	struct ike_writer w;
	uint8_t num[4];

	ike_w_init(&w, out, cap);
	dur = attr_num(IKEV1_A_SA_LIFE_DURATION, life_s, num);
	ikev1_w_attr(&w, &type);
	ikev1_w_attr(&w, &dur);
	return w.w_err ? 0 : w.w_len;
}

uint32_t ikev1_life_attrs_s(const uint8_t *attrs, size_t len)
{
	const struct ikev1_xform t = { .t_attrs = attrs, .t_attrs_len = len };
	struct xf_attrs x;

	return read_attrs(&t, IKE_PROTO_ESP, &x) == 0 ? x.life_s : 0;
}

void ikev1_w_answer(struct ike_writer *w, const struct ikev1_choice *c,
		    uint8_t proto, const uint32_t *spi)
{
	struct ikev1_attr attrs[IKEV1_ATTRS_MAX];
	struct ikev1_iter it;
	uint8_t spi_b[4];
	size_t n = 0;

	ikev1_iter_init(&it, c->c_attrs, c->c_attrs_len, 0);
	while (n < IKEV1_ATTRS_MAX && ikev1_attr_next(&it, &attrs[n]) > 0)
		n++;
	if (spi) {
		spi_b[0] = (uint8_t)(*spi >> 24);
		spi_b[1] = (uint8_t)(*spi >> 16);
		spi_b[2] = (uint8_t)(*spi >> 8);
		spi_b[3] = (uint8_t)*spi;
	}
	ikev1_w_sa(w, IKEV1_DOI_IPSEC, IKEV1_SIT_IDENTITY_ONLY,
		   &(struct ikev1_prop_spec){
			   .ps_num = c->c_prop_num,
			   .ps_proto = proto == IKE_PROTO_IKE ? IKEV1_PROTO_ISAKMP
							      : IKEV1_PROTO_ESP,
			   .ps_spi = spi ? spi_b : NULL,
			   .ps_spi_len = spi ? 4 : 0,
			   .ps_xf = &(struct ikev1_xform_spec){
				   .xs_num = c->c_xform_num,
				   .xs_id = c->c_xform_id,
				   .xs_attrs = attrs, .xs_nattrs = n },
			   .ps_nxf = 1 },
		   1);
}

#define OFFER_MAX 32 /* transforms in one offer */

struct offer_build {
	struct ikev1_xform_spec xf[OFFER_MAX];
	struct ikev1_attr attrs[OFFER_MAX][8];
	uint8_t life[OFFER_MAX][4];
	size_t n;
};

static struct ikev1_attr *next_xf(struct offer_build *b, uint8_t id)
{
	if (b->n == OFFER_MAX)
		return NULL;
	b->xf[b->n] = (struct ikev1_xform_spec){ .xs_num = (uint8_t)(b->n + 1),
						 .xs_id = id,
						 .xs_attrs = b->attrs[b->n] };
	return b->attrs[b->n];
}

static void p1_xform(struct offer_build *b, uint16_t encr, uint16_t bits,
		     int h, uint16_t group, uint16_t auth, uint32_t life_s)
{
	struct ikev1_attr *a = next_xf(b, IKEV1_KEY_IKE);
	size_t k = 0;

	if (!a)
		return;
	a[k++] = attr_tv(IKEV1_A_ENCR, encr == IKE_ENCR_3DES ? IKEV1_ENCR_3DES
							     : IKEV1_ENCR_AES_CBC);
	if (encr == IKE_ENCR_AES_CBC)
		a[k++] = attr_tv(IKEV1_A_KEY_LENGTH, bits);
	a[k++] = attr_tv(IKEV1_A_HASH, HASHES[h].hash);
	a[k++] = attr_tv(IKEV1_A_AUTH, auth);
	a[k++] = attr_tv(IKEV1_A_GROUP_DESC, group);
	if (life_s) {
		a[k++] = attr_tv(IKEV1_A_LIFE_TYPE, IKEV1_LIFE_SECONDS);
		a[k++] = attr_num(IKEV1_A_LIFE_DURATION, life_s, b->life[b->n]);
	}
	b->xf[b->n++].xs_nattrs = k;
}

void ikev1_w_offer_p1(struct ike_writer *w, const struct cfg_proposal *cfg,
		      unsigned n, uint16_t auth, uint32_t life_s, uint16_t only_group)
{
	struct offer_build b;

	b.n = 0;
	for (unsigned i = 0; i < n; i++)
		for (unsigned e = 0; e < cfg[i].pc_n_encr; e++)
			for (unsigned g = 0; g < cfg[i].pc_n_integ; g++)
				for (unsigned d = 0; d < cfg[i].pc_n_dh; d++) {
					int h = hash_by_integ(cfg[i].pc_integ[g]);

					if (h >= 0 && ikev1_block_len(cfg[i].pc_encr[e]) &&
					    (!only_group || cfg[i].pc_dh[d] == only_group))
						p1_xform(&b, cfg[i].pc_encr[e],
							 cfg[i].pc_encr_bits[e], h,
							 cfg[i].pc_dh[d], auth, life_s);
				}
	if (b.n == 0)
		ike_w_fail(w, -EINVAL);
	ikev1_w_sa(w, IKEV1_DOI_IPSEC, IKEV1_SIT_IDENTITY_ONLY,
		   &(struct ikev1_prop_spec){ .ps_num = 1,
					      .ps_proto = IKEV1_PROTO_ISAKMP,
					      .ps_xf = b.xf, .ps_nxf = b.n },
		   1);
}

static void p2_xform(struct offer_build *b, uint16_t encr, uint16_t bits,
		     uint16_t integ, uint16_t encap, uint32_t life_s,
		     uint16_t group)
{
	struct ikev1_attr *a = next_xf(b, (uint8_t)encr);
	int h = hash_by_integ(integ);
	size_t k = 0;

	if (!a)
		return;
	if (life_s) {
		a[k++] = attr_tv(IKEV1_A_SA_LIFE_TYPE, IKEV1_LIFE_SECONDS);
		a[k++] = attr_num(IKEV1_A_SA_LIFE_DURATION, life_s, b->life[b->n]);
	}
	if (group)
		a[k++] = attr_tv(IKEV1_A_SA_GROUP_DESC, group);
	a[k++] = attr_tv(IKEV1_A_ENCAP_MODE, encap);
	if (h >= 0)
		a[k++] = attr_tv(IKEV1_A_AUTH_ALG, HASHES[h].aalg);
	if (bits)
		a[k++] = attr_tv(IKEV1_A_SA_KEY_LENGTH, bits);
	b->xf[b->n++].xs_nattrs = k;
}

void ikev1_w_offer_p2(struct ike_writer *w, const struct cfg_proposal *cfg,
		      unsigned n, uint32_t spi, uint16_t encap, uint32_t life_s,
		      uint16_t group)
{
	struct offer_build b;
	uint8_t spi_b[4] = { (uint8_t)(spi >> 24), (uint8_t)(spi >> 16),
			     (uint8_t)(spi >> 8), (uint8_t)spi };

	b.n = 0;
	for (unsigned i = 0; i < n; i++)
		for (unsigned e = 0; e < cfg[i].pc_n_encr; e++) {
			unsigned ni = cfg[i].pc_n_integ ? cfg[i].pc_n_integ : 1;

			for (unsigned g = 0; g < ni; g++)
				p2_xform(&b, cfg[i].pc_encr[e], cfg[i].pc_encr_bits[e],
					 cfg[i].pc_n_integ ? cfg[i].pc_integ[g] : 0,
					 encap, life_s, group);
		}
	if (b.n == 0)
		ike_w_fail(w, -EINVAL);
	ikev1_w_sa(w, IKEV1_DOI_IPSEC, IKEV1_SIT_IDENTITY_ONLY,
		   &(struct ikev1_prop_spec){ .ps_num = 1,
					      .ps_proto = IKEV1_PROTO_ESP,
					      .ps_spi = spi_b, .ps_spi_len = 4,
					      .ps_xf = b.xf, .ps_nxf = b.n },
		   1);
}
