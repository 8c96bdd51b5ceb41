/* SPDX-License-Identifier: BSD-3-Clause */
#include "ike_prop.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool is_aead(uint16_t encr)
{
	return encr == IKE_ENCR_AES_GCM_16 || encr == IKE_ENCR_CHACHA20_POLY1305;
}

/* The parser lives in lib/common (proposal.c): the configuration checks
 * proposals too. */
int ike_prop_parse(const char *text, uint8_t proto, struct cfg_proposal *p,
		   char *err, size_t errlen)
{
	return cfg_proposal_parse(text, proto == IKE_PROTO_IKE, p, err, errlen);
}

static void xf(struct ike_proposal *pr, uint8_t type, uint16_t id, uint16_t bits)
{
	if (pr->p_nxf < IKE_PROP_MAX_TRANSFORMS)
		pr->p_xf[pr->p_nxf++] = (struct ike_transform){
			.t_type = type, .t_id = id, .t_keylen = bits };
}

void ike_prop_offer(const struct cfg_proposal *cfg, unsigned n, uint8_t proto,
		    const uint8_t *spi, uint8_t spi_size, uint16_t only_dh,
		    struct ike_offer *sa)
{
	memset(sa, 0, sizeof(*sa));
	for (unsigned i = 0; i < n && sa->sa_n < IKE_SA_MAX_PROPOSALS; i++) {
		const struct cfg_proposal *c = &cfg[i];
		struct ike_proposal *pr = &sa->sa_prop[sa->sa_n];

		pr->p_num = (uint8_t)(sa->sa_n + 1);
		pr->p_proto = proto;
		pr->p_spi_size = spi_size;
		if (spi_size) /* IKE_SA_INIT's has none (§3.3.1): spi NULL */
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

void ike_prop_without_dh(const struct cfg_proposal *cfg, unsigned n,
			 struct cfg_proposal *out)
{
	for (unsigned i = 0; i < n; i++) {
		out[i] = cfg[i];
		out[i].pc_n_dh = 0;
	}
}

bool ike_prop_has_dh(const struct cfg_proposal *cfg, unsigned n, uint16_t group)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < cfg[i].pc_n_dh; k++)
			if (cfg[i].pc_dh[k] == group)
				return true;
	return false;
}

/* Whether our proposal c allows transform t. */
static bool allowed(const struct cfg_proposal *c, const struct ike_transform *t)
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

bool ike_prop_allows(const struct cfg_proposal *cfg, unsigned n, const struct ike_chosen *ch)
{
	const struct ike_transform t[] = {
		{ .t_type = IKE_XF_ENCR, .t_id = ch->ch_encr, .t_keylen = ch->ch_encr_bits },
		{ .t_type = IKE_XF_PRF, .t_id = ch->ch_prf },
		{ .t_type = IKE_XF_INTEG, .t_id = ch->ch_integ },
		{ .t_type = IKE_XF_DH, .t_id = ch->ch_dh },
	};

	for (unsigned i = 0; i < n; i++) {
		unsigned k = 0;

		while (k < sizeof(t) / sizeof(t[0]) && allowed(&cfg[i], &t[k]))
			k++;
		if (k == sizeof(t) / sizeof(t[0]))
			return true;
	}
	return false;
}

/* Picks, per type, the first of the peer's transforms we allow. */
static bool match(const struct cfg_proposal *c, uint8_t proto,
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

int ike_prop_choose(const struct cfg_proposal *cfg, unsigned n, uint8_t proto,
		    const struct ike_offer *peer, struct ike_chosen *out)
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

int ike_prop_accept(const struct cfg_proposal *cfg, unsigned n, uint8_t proto,
		    const struct ike_offer *resp, struct ike_chosen *out)
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
		     const uint8_t *spi, uint8_t spi_size, struct ike_offer *sa)
{
	struct ike_proposal *pr = &sa->sa_prop[0];

	memset(sa, 0, sizeof(*sa));
	sa->sa_n = 1;
	pr->p_num = c->ch_num;
	pr->p_proto = proto;
	pr->p_spi_size = spi_size;
	if (spi_size) /* IKE_SA_INIT's proposal has no SPI (§3.3.1): spi NULL */
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

void ike_offer_format(const struct ike_offer *o, char *out, size_t cap)
{
	size_t used = 0;

	if (!cap)
		return;
	out[0] = '\0';
	for (unsigned i = 0; i < o->sa_n && used < cap; i++) {
		const struct ike_proposal *p = &o->sa_prop[i];

		used += (size_t)snprintf(out + used, cap - used, "%s", i ? ", " : "");
		for (unsigned k = 0; k < p->p_nxf && used < cap; k++) {
			const struct ike_transform *t = &p->p_xf[k];

			if (t->t_type == IKE_XF_ESN)
				continue;
			used += (size_t)snprintf(out + used, cap - used, "%s", k ? "-" : "");
			if (used < cap)
				used += cfg_transform_name(t->t_type, t->t_id, t->t_keylen, out + used,
							   cap - used);
		}
	}
	if (!o->sa_n)
		snprintf(out, cap, "none");
}

void ike_props_format(const struct cfg_proposal *cfg, unsigned n, char *out, size_t cap)
{
	size_t used = 0;

	if (!cap)
		return;
	out[0] = '\0';
	for (unsigned i = 0; i < n && used + 3 < cap; i++) {
		used += (size_t)snprintf(out + used, cap - used, "%s", i ? ", " : "");
		cfg_proposal_format(&cfg[i], out + used, cap - used);
		used += strlen(out + used);
	}
}
