/* SPDX-License-Identifier: BSD-3-Clause */
#include "ike_prop.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct keyword {
	const char *kw;
	uint8_t type;   /* IKE_XF_*, or 0 for an integrity-and-PRF keyword */
	uint16_t id;
	uint16_t bits;
	uint16_t prf;   /* the PRF an integrity keyword implies for IKE */
};

/* strongSwan's names, so configurations read alike. */
static const struct keyword KEYWORDS[] = {
	{ "aes128", IKE_XF_ENCR, IKE_ENCR_AES_CBC, 128, 0 },
	{ "aes192", IKE_XF_ENCR, IKE_ENCR_AES_CBC, 192, 0 },
	{ "aes256", IKE_XF_ENCR, IKE_ENCR_AES_CBC, 256, 0 },
	{ "aes128gcm16", IKE_XF_ENCR, IKE_ENCR_AES_GCM_16, 128, 0 },
	{ "aes128gcm128", IKE_XF_ENCR, IKE_ENCR_AES_GCM_16, 128, 0 },
	{ "aes256gcm16", IKE_XF_ENCR, IKE_ENCR_AES_GCM_16, 256, 0 },
	{ "aes256gcm128", IKE_XF_ENCR, IKE_ENCR_AES_GCM_16, 256, 0 },
	{ "chacha20poly1305", IKE_XF_ENCR, IKE_ENCR_CHACHA20_POLY1305, 0, 0 },
	{ "null", IKE_XF_ENCR, IKE_ENCR_NULL, 0, 0 },
	{ "sha1", IKE_XF_INTEG, IKE_AUTH_HMAC_SHA1_96, 0, IKE_PRF_HMAC_SHA1 },
	{ "sha256", IKE_XF_INTEG, IKE_AUTH_HMAC_SHA2_256_128, 0, IKE_PRF_HMAC_SHA2_256 },
	{ "sha384", IKE_XF_INTEG, IKE_AUTH_HMAC_SHA2_384_192, 0, IKE_PRF_HMAC_SHA2_384 },
	{ "sha512", IKE_XF_INTEG, IKE_AUTH_HMAC_SHA2_512_256, 0, IKE_PRF_HMAC_SHA2_512 },
	{ "prfsha1", IKE_XF_PRF, IKE_PRF_HMAC_SHA1, 0, 0 },
	{ "prfsha256", IKE_XF_PRF, IKE_PRF_HMAC_SHA2_256, 0, 0 },
	{ "prfsha384", IKE_XF_PRF, IKE_PRF_HMAC_SHA2_384, 0, 0 },
	{ "prfsha512", IKE_XF_PRF, IKE_PRF_HMAC_SHA2_512, 0, 0 },
	{ "modp2048", IKE_XF_DH, IKE_DH_MODP2048, 0, 0 },
	{ "modp3072", IKE_XF_DH, IKE_DH_MODP3072, 0, 0 },
	{ "ecp256", IKE_XF_DH, IKE_DH_ECP256, 0, 0 },
	{ "ecp384", IKE_XF_DH, IKE_DH_ECP384, 0, 0 },
	{ "ecp521", IKE_XF_DH, IKE_DH_ECP521, 0, 0 },
	{ "x25519", IKE_XF_DH, IKE_DH_CURVE25519, 0, 0 },
	{ "curve25519", IKE_XF_DH, IKE_DH_CURVE25519, 0, 0 },
	{ "x448", IKE_XF_DH, IKE_DH_CURVE448, 0, 0 },
	{ "curve448", IKE_XF_DH, IKE_DH_CURVE448, 0, 0 },
	{ "esn", IKE_XF_ESN, IKE_ESN_YES, 0, 0 },
	{ "noesn", IKE_XF_ESN, IKE_ESN_NO, 0, 0 },
};

static bool is_aead(uint16_t encr)
{
	return encr == IKE_ENCR_AES_GCM_16 || encr == IKE_ENCR_CHACHA20_POLY1305;
}

static void add_alg(struct ike_prop_cfg *p, const struct keyword *k)
{
	switch (k->type) {
	case IKE_XF_ENCR:
		if (p->pc_n_encr < IKE_PROP_MAX) {
			p->pc_encr_bits[p->pc_n_encr] = k->bits;
			p->pc_encr[p->pc_n_encr++] = k->id;
		}
		break;
	case IKE_XF_INTEG:
		if (p->pc_n_integ < IKE_PROP_MAX)
			p->pc_integ[p->pc_n_integ++] = k->id;
		break;
	case IKE_XF_PRF:
		if (p->pc_n_prf < IKE_PROP_MAX)
			p->pc_prf[p->pc_n_prf++] = k->id;
		break;
	case IKE_XF_DH:
		if (p->pc_n_dh < IKE_PROP_MAX)
			p->pc_dh[p->pc_n_dh++] = k->id;
		break;
	case IKE_XF_ESN:
		if (p->pc_n_esn < 2)
			p->pc_esn[p->pc_n_esn++] = k->id;
		break;
	}
}

static const struct keyword *find_kw(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof(KEYWORDS) / sizeof(KEYWORDS[0]); i++)
		if (strlen(KEYWORDS[i].kw) == n && strncmp(KEYWORDS[i].kw, w, n) == 0)
			return &KEYWORDS[i];
	return NULL;
}

/* What a proposal must hold (RFC 7296 §3.3.3). */
static int prop_complete(struct ike_prop_cfg *p, uint8_t proto, char *err, size_t errlen)
{
	bool aead = p->pc_n_encr && is_aead(p->pc_encr[0]);

	if (!p->pc_n_encr) {
		snprintf(err, errlen, "no encryption algorithm");
		return -EINVAL;
	}
	for (unsigned i = 1; i < p->pc_n_encr; i++)
		if (is_aead(p->pc_encr[i]) != aead) {
			snprintf(err, errlen, "AEAD and classic ciphers in one proposal");
			return -EINVAL;
		}
	if (!aead && !p->pc_n_integ) {
		snprintf(err, errlen, "no integrity algorithm for a non-AEAD cipher");
		return -EINVAL;
	}
	if (aead && p->pc_n_integ && proto == IKE_PROTO_ESP) {
		snprintf(err, errlen, "integrity algorithm with an AEAD cipher");
		return -EINVAL;
	}
	if (proto == IKE_PROTO_IKE && (!p->pc_n_prf || !p->pc_n_dh)) {
		snprintf(err, errlen, "an IKE proposal needs a PRF and a DH group");
		return -EINVAL;
	}
	if (proto == IKE_PROTO_ESP && !p->pc_n_esn)
		p->pc_esn[p->pc_n_esn++] = IKE_ESN_NO;
	return 0;
}

int ike_prop_parse(const char *text, uint8_t proto, struct ike_prop_cfg *p,
		   char *err, size_t errlen)
{
	const char *w = text;

	memset(p, 0, sizeof(*p));
	while (*w) {
		size_t n = strcspn(w, "-");
		const struct keyword *k = find_kw(w, n);

		if (!k) {
			snprintf(err, errlen, "unknown algorithm \"%.*s\"", (int)n, w);
			return -EINVAL;
		}
		add_alg(p, k);
		/* strongSwan: an IKE integrity algorithm names the PRF too,
		 * unless a prf... keyword is given. */
		if (proto == IKE_PROTO_IKE && k->prf && !strstr(text, "prf")) {
			struct keyword prf = { .type = IKE_XF_PRF, .id = k->prf };
			add_alg(p, &prf);
		}
		w += n + (w[n] == '-');
	}
	/* AEAD IKE proposals carry no integrity transform (RFC 5282 §8). */
	if (proto == IKE_PROTO_IKE && p->pc_n_encr && is_aead(p->pc_encr[0]))
		p->pc_n_integ = 0;
	return prop_complete(p, proto, err, errlen);
}

static void xf(struct ike_proposal *pr, uint8_t type, uint16_t id, uint16_t bits)
{
	if (pr->p_nxf < IKE_PROP_MAX_TRANSFORMS)
		pr->p_xf[pr->p_nxf++] = (struct ike_transform){
			.t_type = type, .t_id = id, .t_keylen = bits };
}

void ike_prop_offer(const struct ike_prop_cfg *cfg, unsigned n, uint8_t proto,
		    const uint8_t *spi, uint8_t spi_size, uint16_t only_dh,
		    struct ike_pl_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	for (unsigned i = 0; i < n && sa->sa_n < IKE_SA_MAX_PROPOSALS; i++) {
		const struct ike_prop_cfg *c = &cfg[i];
		struct ike_proposal *pr = &sa->sa_prop[sa->sa_n];

		pr->p_num = (uint8_t)(sa->sa_n + 1);
		pr->p_proto = proto;
		pr->p_spi_size = spi_size;
		memcpy(pr->p_spi, spi, spi_size);
		for (unsigned k = 0; k < c->pc_n_encr; k++)
			xf(pr, IKE_XF_ENCR, c->pc_encr[k], c->pc_encr_bits[k]);
		for (unsigned k = 0; k < c->pc_n_prf && proto == IKE_PROTO_IKE; k++)
			xf(pr, IKE_XF_PRF, c->pc_prf[k], 0);
		for (unsigned k = 0; k < c->pc_n_integ; k++)
			xf(pr, IKE_XF_INTEG, c->pc_integ[k], 0);
		/* The group we send a KE for goes first (§1.2). */
		if (only_dh)
			xf(pr, IKE_XF_DH, only_dh, 0);
		for (unsigned k = 0; k < c->pc_n_dh; k++)
			if (c->pc_dh[k] != only_dh)
				xf(pr, IKE_XF_DH, c->pc_dh[k], 0);
		for (unsigned k = 0; k < c->pc_n_esn && proto == IKE_PROTO_ESP; k++)
			xf(pr, IKE_XF_ESN, c->pc_esn[k], 0);
		sa->sa_n++;
	}
}

void ike_prop_without_dh(const struct ike_prop_cfg *cfg, unsigned n,
			 struct ike_prop_cfg *out)
{
	for (unsigned i = 0; i < n; i++) {
		out[i] = cfg[i];
		out[i].pc_n_dh = 0;
	}
}

bool ike_prop_has_dh(const struct ike_prop_cfg *cfg, unsigned n, uint16_t group)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < cfg[i].pc_n_dh; k++)
			if (cfg[i].pc_dh[k] == group)
				return true;
	return false;
}

/* Whether our proposal c allows transform t. */
static bool allowed(const struct ike_prop_cfg *c, const struct ike_transform *t)
{
	switch (t->t_type) {
	case IKE_XF_ENCR:
		for (unsigned k = 0; k < c->pc_n_encr; k++)
			if (c->pc_encr[k] == t->t_id && c->pc_encr_bits[k] == t->t_keylen)
				return true;
		return false;
	case IKE_XF_PRF:
		for (unsigned k = 0; k < c->pc_n_prf; k++)
			if (c->pc_prf[k] == t->t_id)
				return true;
		return false;
	case IKE_XF_INTEG:
		for (unsigned k = 0; k < c->pc_n_integ; k++)
			if (c->pc_integ[k] == t->t_id)
				return true;
		return t->t_id == IKE_AUTH_NONE && !c->pc_n_integ;
	case IKE_XF_DH:
		for (unsigned k = 0; k < c->pc_n_dh; k++)
			if (c->pc_dh[k] == t->t_id)
				return true;
		return t->t_id == IKE_DH_NONE && !c->pc_n_dh;
	case IKE_XF_ESN:
		for (unsigned k = 0; k < c->pc_n_esn; k++)
			if (c->pc_esn[k] == t->t_id)
				return true;
		return false;
	}
	return false;
}

/* Picks, per type, the first of the peer's transforms we allow. */
static bool match(const struct ike_prop_cfg *c, uint8_t proto,
		  const struct ike_proposal *pr, struct ike_chosen *out)
{
	bool have[6] = { false };

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < pr->p_nxf; i++) {
		const struct ike_transform *t = &pr->p_xf[i];

		if (t->t_type < 1 || t->t_type > 5 || have[t->t_type] ||
		    (t->t_flags & IKE_XF_F_UNKNOWN_ATTR) || !allowed(c, t))
			continue;
		have[t->t_type] = true;
		switch (t->t_type) {
		case IKE_XF_ENCR: out->ch_encr = t->t_id; out->ch_encr_bits = t->t_keylen; break;
		case IKE_XF_PRF: out->ch_prf = t->t_id; break;
		case IKE_XF_INTEG: out->ch_integ = t->t_id; break;
		case IKE_XF_DH: out->ch_dh = t->t_id; break;
		case IKE_XF_ESN: out->ch_esn = t->t_id; break;
		}
	}
	if (!have[IKE_XF_ENCR] || (!is_aead(out->ch_encr) && !have[IKE_XF_INTEG]))
		return false;
	if (proto == IKE_PROTO_IKE)
		return have[IKE_XF_PRF] && have[IKE_XF_DH];
	/* ESP: ESN is mandatory in the proposal (§3.3.2); PFS when we want it. */
	return have[IKE_XF_ESN] && (have[IKE_XF_DH] || !c->pc_n_dh);
}

int ike_prop_choose(const struct ike_prop_cfg *cfg, unsigned n, uint8_t proto,
		    const struct ike_pl_sa *peer, struct ike_chosen *out)
{
	for (unsigned p = 0; p < peer->sa_n; p++) {
		const struct ike_proposal *pr = &peer->sa_prop[p];

		if (pr->p_proto != proto)
			continue;
		for (unsigned i = 0; i < n; i++) {
			if (!match(&cfg[i], proto, pr, out))
				continue;
			out->ch_num = pr->p_num;
			out->ch_spi_size = pr->p_spi_size;
			memcpy(out->ch_spi, pr->p_spi, sizeof(out->ch_spi));
			return 0;
		}
	}
	return -ENOENT;
}

int ike_prop_accept(const struct ike_prop_cfg *cfg, unsigned n, uint8_t proto,
		    const struct ike_pl_sa *resp, struct ike_chosen *out)
{
	const struct ike_proposal *pr;
	unsigned count[6] = { 0 };

	if (resp->sa_n != 1 || resp->sa_prop[0].p_proto != proto)
		return -EINVAL;
	pr = &resp->sa_prop[0];
	for (unsigned i = 0; i < pr->p_nxf; i++)
		if (pr->p_xf[i].t_type >= 1 && pr->p_xf[i].t_type <= 5)
			count[pr->p_xf[i].t_type]++;
	for (unsigned t = 1; t <= 5; t++)
		if (count[t] > 1)
			return -EINVAL; /* §2.7: one transform of each type */
	for (unsigned i = 0; i < n; i++)
		if (match(&cfg[i], proto, pr, out)) {
			out->ch_num = pr->p_num;
			out->ch_spi_size = pr->p_spi_size;
			memcpy(out->ch_spi, pr->p_spi, sizeof(out->ch_spi));
			return 0;
		}
	return -EINVAL;
}

void ike_prop_answer(const struct ike_chosen *c, uint8_t proto,
		     const uint8_t *spi, uint8_t spi_size, struct ike_pl_sa *sa)
{
	struct ike_proposal *pr = &sa->sa_prop[0];

	memset(sa, 0, sizeof(*sa));
	sa->sa_n = 1;
	pr->p_num = c->ch_num;
	pr->p_proto = proto;
	pr->p_spi_size = spi_size;
	memcpy(pr->p_spi, spi, spi_size);
	xf(pr, IKE_XF_ENCR, c->ch_encr, c->ch_encr_bits);
	if (proto == IKE_PROTO_IKE)
		xf(pr, IKE_XF_PRF, c->ch_prf, 0);
	if (c->ch_integ)
		xf(pr, IKE_XF_INTEG, c->ch_integ, 0);
	if (c->ch_dh)
		xf(pr, IKE_XF_DH, c->ch_dh, 0);
	if (proto == IKE_PROTO_ESP)
		xf(pr, IKE_XF_ESN, c->ch_esn, 0);
}
