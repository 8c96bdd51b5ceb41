/* SPDX-License-Identifier: BSD-3-Clause */
#include "proposal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * Numbers from IANA's "Internet Key Exchange Version 2 (IKEv2) Parameters"
 * registry (https://www.iana.org/assignments/ikev2-parameters): Transform
 * Type Values, and the Transform IDs of types 1 (Encryption Algorithm),
 * 2 (Pseudorandom Function), 3 (Integrity Algorithm), 4 (Key Exchange
 * Method, formerly Diffie-Hellman Group) and 5 (Extended Sequence
 * Numbers). lib/ike names the same numbers IKE_* in lib/ike/ike_types.h.
 */
enum {
	XF_ENCR = 1,
	XF_PRF = 2,
	XF_INTEG = 3,
	XF_DH = 4,
	XF_ESN = 5,
};

enum {
	ENCR_3DES = 3,
	ENCR_NULL = 11,
	ENCR_AES_CBC = 12,
	ENCR_AES_GCM_16 = 20,
	ENCR_CHACHA20_POLY1305 = 28,
};

enum {
	PRF_HMAC_SHA1 = 2,
	PRF_HMAC_SHA2_256 = 5,
	PRF_HMAC_SHA2_384 = 6,
	PRF_HMAC_SHA2_512 = 7,
};

enum {
	AUTH_HMAC_SHA1_96 = 2,
	AUTH_HMAC_SHA2_256_128 = 12,
	AUTH_HMAC_SHA2_384_192 = 13,
	AUTH_HMAC_SHA2_512_256 = 14,
};

enum {
	DH_MODP1024 = 2,
	DH_MODP2048 = 14,
	DH_MODP3072 = 15,
	DH_MODP4096 = 16,
	DH_MODP6144 = 17,
	DH_MODP8192 = 18,
	DH_ECP256 = 19,
	DH_ECP384 = 20,
	DH_ECP521 = 21,
	DH_CURVE25519 = 31,
	DH_CURVE448 = 32,
};

enum {
	ESN_NO = 0,
	ESN_YES = 1,
};

struct keyword {
	const char *kw;
	uint8_t type;   /* XF_* */
	uint16_t id;
	uint16_t bits;
	uint16_t prf;   /* the PRF an integrity keyword implies for IKE */
};

/* strongSwan's names, so configurations read alike. */
static const struct keyword KEYWORDS[] = {
	{ "aes128", XF_ENCR, ENCR_AES_CBC, 128, 0 },
	{ "aes192", XF_ENCR, ENCR_AES_CBC, 192, 0 },
	{ "aes256", XF_ENCR, ENCR_AES_CBC, 256, 0 },
	{ "aes128gcm16", XF_ENCR, ENCR_AES_GCM_16, 128, 0 },
	{ "aes128gcm128", XF_ENCR, ENCR_AES_GCM_16, 128, 0 },
	{ "aes256gcm16", XF_ENCR, ENCR_AES_GCM_16, 256, 0 },
	{ "aes256gcm128", XF_ENCR, ENCR_AES_GCM_16, 256, 0 },
	{ "chacha20poly1305", XF_ENCR, ENCR_CHACHA20_POLY1305, 0, 0 },
	{ "null", XF_ENCR, ENCR_NULL, 0, 0 },
	{ "3des", XF_ENCR, ENCR_3DES, 0, 0 },
	{ "sha1", XF_INTEG, AUTH_HMAC_SHA1_96, 0, PRF_HMAC_SHA1 },
	{ "sha256", XF_INTEG, AUTH_HMAC_SHA2_256_128, 0, PRF_HMAC_SHA2_256 },
	{ "sha384", XF_INTEG, AUTH_HMAC_SHA2_384_192, 0, PRF_HMAC_SHA2_384 },
	{ "sha512", XF_INTEG, AUTH_HMAC_SHA2_512_256, 0, PRF_HMAC_SHA2_512 },
	{ "prfsha1", XF_PRF, PRF_HMAC_SHA1, 0, 0 },
	{ "prfsha256", XF_PRF, PRF_HMAC_SHA2_256, 0, 0 },
	{ "prfsha384", XF_PRF, PRF_HMAC_SHA2_384, 0, 0 },
	{ "prfsha512", XF_PRF, PRF_HMAC_SHA2_512, 0, 0 },
	{ "modp1024", XF_DH, DH_MODP1024, 0, 0 },
	{ "modp2048", XF_DH, DH_MODP2048, 0, 0 },
	{ "modp3072", XF_DH, DH_MODP3072, 0, 0 },
	{ "modp4096", XF_DH, DH_MODP4096, 0, 0 },
	{ "modp6144", XF_DH, DH_MODP6144, 0, 0 },
	{ "modp8192", XF_DH, DH_MODP8192, 0, 0 },
	{ "ecp256", XF_DH, DH_ECP256, 0, 0 },
	{ "ecp384", XF_DH, DH_ECP384, 0, 0 },
	{ "ecp521", XF_DH, DH_ECP521, 0, 0 },
	{ "x25519", XF_DH, DH_CURVE25519, 0, 0 },
	{ "curve25519", XF_DH, DH_CURVE25519, 0, 0 },
	{ "x448", XF_DH, DH_CURVE448, 0, 0 },
	{ "curve448", XF_DH, DH_CURVE448, 0, 0 },
	{ "esn", XF_ESN, ESN_YES, 0, 0 },
	{ "noesn", XF_ESN, ESN_NO, 0, 0 },
};

static bool is_aead(uint16_t encr)
{
	return encr == ENCR_AES_GCM_16 || encr == ENCR_CHACHA20_POLY1305;
}

bool cfg_proposal_is_aead(const struct cfg_proposal *p)
{
	return p->pc_n_encr && is_aead(p->pc_encr[0]);
}

/* 3DES and MODP-1024 (RFC 8247 §2.1, §2.4: MUST NOT / SHOULD NOT): only
 * for the IKEv1 peers that have nothing else, when named. */
bool cfg_proposal_is_legacy(const struct cfg_proposal *p)
{
	for (unsigned i = 0; i < p->pc_n_encr; i++)
		if (p->pc_encr[i] == ENCR_3DES)
			return true;
	for (unsigned i = 0; i < p->pc_n_dh; i++)
		if (p->pc_dh[i] == DH_MODP1024)
			return true;
	return false;
}

static void add_alg(struct cfg_proposal *p, const struct keyword *k)
{
	switch (k->type) {
	case XF_ENCR:
		if (p->pc_n_encr < CFG_PROP_MAX) {
			p->pc_encr_bits[p->pc_n_encr] = k->bits;
			p->pc_encr[p->pc_n_encr++] = k->id;
		}
		break;
	case XF_INTEG:
		if (p->pc_n_integ < CFG_PROP_MAX)
			p->pc_integ[p->pc_n_integ++] = k->id;
		break;
	case XF_PRF:
		if (p->pc_n_prf < CFG_PROP_MAX)
			p->pc_prf[p->pc_n_prf++] = k->id;
		break;
	case XF_DH:
		if (p->pc_n_dh < CFG_PROP_MAX)
			p->pc_dh[p->pc_n_dh++] = k->id;
		break;
	case XF_ESN:
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
static int prop_complete(struct cfg_proposal *p, bool ike, char *err,
			 size_t errlen)
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
	if (aead && p->pc_n_integ && !ike) {
		snprintf(err, errlen, "integrity algorithm with an AEAD cipher");
		return -EINVAL;
	}
	for (unsigned i = 0; !ike && i < p->pc_n_encr; i++)
		if (p->pc_encr[i] == ENCR_3DES) {
			snprintf(err, errlen, "3des is for an IKEv1 phase 1 only: the data plane has no 3DES");
			return -EINVAL;
		}
	if (ike && (!p->pc_n_prf || !p->pc_n_dh)) {
		snprintf(err, errlen, "an IKE proposal needs a PRF and a DH group");
		return -EINVAL;
	}
	if (!ike && !p->pc_n_esn)
		p->pc_esn[p->pc_n_esn++] = ESN_NO;
	return 0;
}

int cfg_proposal_parse(const char *text, bool ike, struct cfg_proposal *p,
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
		if (ike && k->prf && !strstr(text, "prf")) {
			struct keyword prf = { .type = XF_PRF, .id = k->prf };
			add_alg(p, &prf);
		}
		w += n + (w[n] == '-');
	}
	/* AEAD IKE proposals carry no integrity transform (RFC 5282 §8). */
	if (ike && p->pc_n_encr && is_aead(p->pc_encr[0]))
		p->pc_n_integ = 0;
	return prop_complete(p, ike, err, errlen);
}

size_t cfg_transform_name(uint8_t type, uint16_t id, uint16_t bits, char *out, size_t cap)
{
	for (size_t i = 0; i < sizeof(KEYWORDS) / sizeof(KEYWORDS[0]); i++) {
		const struct keyword *k = &KEYWORDS[i];

		if (k->type == type && k->id == id && (type != XF_ENCR || !k->bits || k->bits == bits))
			return (size_t)snprintf(out, cap, "%s", k->kw);
	}
	if (bits)
		return (size_t)snprintf(out, cap, "%u:%u/%u", type, id, bits);
	return (size_t)snprintf(out, cap, "%u:%u", type, id);
}

/* One kind of transform of a proposal, each name after a '-'. */
static size_t format_kind(uint8_t type, const uint16_t *ids, const uint16_t *bits, unsigned n,
			  char *out, size_t cap, size_t used)
{
	for (unsigned i = 0; i < n && used < cap; i++) {
		used += (size_t)snprintf(out + used, cap - used, "%s", used ? "-" : "");
		if (used < cap)
			used += cfg_transform_name(type, ids[i], bits ? bits[i] : 0, out + used,
						   cap - used);
	}
	return used;
}

void cfg_proposal_format(const struct cfg_proposal *p, char *out, size_t cap)
{
	size_t used = 0;

	if (!cap)
		return;
	out[0] = '\0';
	used = format_kind(XF_ENCR, p->pc_encr, p->pc_encr_bits, p->pc_n_encr, out, cap, used);
	used = format_kind(XF_INTEG, p->pc_integ, NULL, p->pc_n_integ, out, cap, used);
	used = format_kind(XF_PRF, p->pc_prf, NULL, p->pc_n_prf, out, cap, used);
	format_kind(XF_DH, p->pc_dh, NULL, p->pc_n_dh, out, cap, used);
}
