/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 message framing: the header and the payload chain (RFC 7296
 * §3.1-3.2), the writer, and the allowed-payload table per exchange
 * (§1.2-1.5) checked before any exchange code runs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "byteorder.h"
#include "cursor.h"
#include "ikev2_msg.h"

int ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *h)
{
	struct cursor c = cursor_make(buf, len);
	uint8_t ver;

	memset(h, 0, sizeof(*h));
	if (!cursor_be64(&c, &h->h_spi_i) || !cursor_be64(&c, &h->h_spi_r) ||
	    !cursor_u8(&c, &h->h_next) || !cursor_u8(&c, &ver) ||
	    !cursor_u8(&c, &h->h_exchange) || !cursor_u8(&c, &h->h_flags) ||
	    !cursor_be32(&c, &h->h_msgid) || !cursor_be32(&c, &h->h_length))
		return -EINVAL;
	h->h_major = ver >> 4;
	h->h_minor = ver & 0x0f; /* §2.5: the minor version is ignored */
	/* §2.5: answered with INVALID_MAJOR_VERSION, nothing else is read */
	if (h->h_major != IKE_MAJOR)
		return -EPROTONOSUPPORT;
	if (h->h_length < IKE_HDR_LEN || h->h_length != len)
		return -EINVAL;
	return 0;
}

/* The payload types this codec knows; the critical bit of any other
 * decides between skipping it and rejecting the message (§2.5). */
static bool pl_known(uint8_t type)
{
	return (type >= IKE_PL_SA && type <= IKE_PL_EAP) ||
	       type == IKE_PL_SKF;
}

/* One generic header (§3.2) and the body it announces. */
static int read_payload(struct cursor *c, struct ike_payload *pl)
{
	struct cursor body;
	uint8_t flags;

	if (!ike_wire_read_payload(c, &pl->pl_next, &flags, &body))
		return -EINVAL;
	pl->pl_critical = flags & IKE_PL_F_CRITICAL;
	pl->pl_body = body.p;
	pl->pl_len = (uint16_t)body.left;
	return 0;
}

static void chain_reset(struct ike_chain *ch)
{
	ch->c_n = 0;
	ch->c_skipped = 0;
	ch->c_unsupported = IKE_PL_NONE;
}

/* base: offset of c's first byte in the buffer offsets refer to. */
static int chain_parse(struct cursor *c, size_t base, uint8_t first,
		       struct ike_chain *ch)
{
	const size_t total = c->left;
	uint8_t type = first;

	chain_reset(ch);
	while (type != IKE_PL_NONE) {
		struct ike_payload pl = {
			.pl_type = type,
			.pl_off = (uint32_t)(base + total - c->left),
		};
		int rc = read_payload(c, &pl);

		if (rc)
			return rc;
		if (!pl_known(type)) {
			if (pl.pl_critical) {
				ch->c_unsupported = type;
				return -EPROTO;
			}
			ch->c_skipped++;
			type = pl.pl_next;
			continue;
		}
		if (ch->c_n == IKE_CHAIN_MAX)
			return -EINVAL;
		ch->c_pl[ch->c_n++] = pl;
		/* §3.14: SK is last and its next payload is the inner first */
		if (type == IKE_PL_SK || type == IKE_PL_SKF)
			break;
		type = pl.pl_next;
	}
	return c->left == 0 ? 0 : -EINVAL;
}

int ike_chain_parse(uint8_t first, const uint8_t *buf, size_t len,
		    struct ike_chain *ch)
{
	struct cursor c = cursor_make(buf, len);

	return chain_parse(&c, 0, first, ch);
}

int ike_msg_parse(const uint8_t *buf, size_t len, struct ike_msg *m)
{
	struct cursor c = cursor_make(buf, len);
	const struct ike_payload *last;
	int rc;

	m->m_buf = buf;
	m->m_len = len;
	m->m_sk_off = 0;
	chain_reset(&m->m_chain);
	rc = ike_hdr_parse(buf, len, &m->m_hdr);
	if (rc)
		return rc;
	cursor_skip(&c, IKE_HDR_LEN);
	rc = chain_parse(&c, IKE_HDR_LEN, m->m_hdr.h_next, &m->m_chain);
	if (rc || m->m_chain.c_n == 0)
		return rc;
	last = &m->m_chain.c_pl[m->m_chain.c_n - 1];
	if (last->pl_type == IKE_PL_SK || last->pl_type == IKE_PL_SKF)
		m->m_sk_off = last->pl_off;
	return 0;
}

const struct ike_payload *ike_chain_find(const struct ike_chain *c,
					 uint8_t type, unsigned from)
{
	for (unsigned i = from; i < c->c_n; i++)
		if (c->c_pl[i].pl_type == type)
			return &c->c_pl[i];
	return NULL;
}

unsigned ike_chain_count(const struct ike_chain *c, uint8_t type)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->c_n; i++)
		n += c->c_pl[i].pl_type == type;
	return n;
}

/* ---- writer ---- */

void ike_w_hdr(struct ike_writer *w, const struct ike_hdr *h)
{
	uint8_t spi_i[8], spi_r[8];

	be64_put(spi_i, h->h_spi_i);
	be64_put(spi_r, h->h_spi_r);
	ike_w_fixed_hdr(w, spi_i, spi_r, IKE_VERSION, h->h_exchange, h->h_flags,
			h->h_msgid);
}

/* ---- allowed payloads per exchange ---- */

#define ANY 255

struct pl_rule {
	uint8_t r_type;
	uint8_t r_min;
	uint8_t r_max;
	bool r_enc; /* only inside SK; otherwise only in clear */
};

struct exch_rules {
	uint8_t x_exchange;
	bool x_response;
	bool x_protected; /* in clear only one SK or SKF */
	const struct pl_rule *x_rules;
	size_t x_n;
};

#define CLEAR(t, mn, mx) { (t), (mn), (mx), false }
#define ENC(t, mn, mx) { (t), (mn), (mx), true }
/* §3.14, RFC 7383 §2.5: a protected message carries SK or one SKF */
#define SK_RULES CLEAR(IKE_PL_SK, 0, 1), CLEAR(IKE_PL_SKF, 0, 1)
#define NV_RULES(enc) \
	{ IKE_PL_NOTIFY, 0, ANY, (enc) }, { IKE_PL_VENDOR, 0, ANY, (enc) }

/* §1.2: HDR, SAi1, KEi, Ni (§2.6: N(COOKIE) first on a retry) */
static const struct pl_rule sa_init_req[] = {
	CLEAR(IKE_PL_SA, 1, 1), CLEAR(IKE_PL_KE, 1, 1),
	CLEAR(IKE_PL_NONCE, 1, 1), NV_RULES(false),
};

/* §1.2: HDR, SAr1, KEr, Nr, [CERTREQ] */
static const struct pl_rule sa_init_resp[] = {
	CLEAR(IKE_PL_SA, 1, 1), CLEAR(IKE_PL_KE, 1, 1),
	CLEAR(IKE_PL_NONCE, 1, 1), CLEAR(IKE_PL_CERTREQ, 0, ANY),
	NV_RULES(false),
};

/* §1.2: SK {IDi, [CERT+], [CERTREQ+], [IDr], AUTH, [CP], SAi2, TSi, TSr};
 * AUTH is absent from EAP rounds (§2.16), SA/TS from childless ones. */
static const struct pl_rule auth_req[] = {
	SK_RULES, ENC(IKE_PL_IDI, 0, 1), ENC(IKE_PL_CERT, 0, ANY),
	ENC(IKE_PL_CERTREQ, 0, ANY), ENC(IKE_PL_IDR, 0, 1),
	ENC(IKE_PL_AUTH, 0, 1), ENC(IKE_PL_EAP, 0, 1), ENC(IKE_PL_CP, 0, 1),
	ENC(IKE_PL_SA, 0, 1), ENC(IKE_PL_TSI, 0, 1), ENC(IKE_PL_TSR, 0, 1),
	NV_RULES(true),
};

/* §1.2: SK {IDr, [CERT+], AUTH, [CP], SAr2, TSi, TSr} */
static const struct pl_rule auth_resp[] = {
	SK_RULES, ENC(IKE_PL_IDR, 0, 1), ENC(IKE_PL_CERT, 0, ANY),
	ENC(IKE_PL_AUTH, 0, 1), ENC(IKE_PL_EAP, 0, 1), ENC(IKE_PL_CP, 0, 1),
	ENC(IKE_PL_SA, 0, 1), ENC(IKE_PL_TSI, 0, 1), ENC(IKE_PL_TSR, 0, 1),
	NV_RULES(true),
};

/* §1.3: SK {[N(REKEY_SA)], SA, Ni, [KEi], [TSi, TSr]} and the answer */
static const struct pl_rule child_sa[] = {
	SK_RULES, ENC(IKE_PL_SA, 1, 1), ENC(IKE_PL_NONCE, 1, 1),
	ENC(IKE_PL_KE, 0, 1), ENC(IKE_PL_TSI, 0, 1), ENC(IKE_PL_TSR, 0, 1),
	NV_RULES(true),
};

/* §1.4: SK {[N+], [D+], [CP]}, empty for liveness checks */
static const struct pl_rule informational[] = {
	SK_RULES, ENC(IKE_PL_DELETE, 0, ANY), ENC(IKE_PL_CP, 0, 1),
	NV_RULES(true),
};

#define RULES(r) (r), sizeof(r) / sizeof((r)[0])

static const struct exch_rules exch_table[] = {
	{ IKE_EXCH_SA_INIT, false, false, RULES(sa_init_req) },
	{ IKE_EXCH_SA_INIT, true, false, RULES(sa_init_resp) },
	{ IKE_EXCH_AUTH, false, true, RULES(auth_req) },
	{ IKE_EXCH_AUTH, true, true, RULES(auth_resp) },
	{ IKE_EXCH_CREATE_CHILD_SA, false, true, RULES(child_sa) },
	{ IKE_EXCH_CREATE_CHILD_SA, true, true, RULES(child_sa) },
	{ IKE_EXCH_INFORMATIONAL, false, true, RULES(informational) },
	{ IKE_EXCH_INFORMATIONAL, true, true, RULES(informational) },
};

static const struct exch_rules *find_exch(uint8_t exchange, bool response)
{
	for (size_t i = 0; i < sizeof(exch_table) / sizeof(exch_table[0]); i++)
		if (exch_table[i].x_exchange == exchange &&
		    exch_table[i].x_response == response)
			return &exch_table[i];
	return NULL;
}

static const struct pl_rule *find_rule(const struct exch_rules *x,
				       uint8_t type)
{
	for (size_t i = 0; i < x->x_n; i++)
		if (x->x_rules[i].r_type == type)
			return &x->x_rules[i];
	return NULL;
}

/* §2.21: a response carrying an error notify (or, in IKE_SA_INIT, a
 * COOKIE, §2.6) need not carry the exchange's mandatory payloads. */
static bool error_answer(const struct exch_rules *x, const struct ike_chain *c)
{
	if (!x->x_response)
		return false;
	for (unsigned i = 0; i < c->c_n; i++) {
		struct cursor cur = cursor_make(c->c_pl[i].pl_body,
						c->c_pl[i].pl_len);
		uint16_t type;

		if (c->c_pl[i].pl_type != IKE_PL_NOTIFY ||
		    !cursor_skip(&cur, 2) || !cursor_be16(&cur, &type))
			continue;
		if (type <= IKE_N_ERROR_MAX ||
		    (type == IKE_N_COOKIE && x->x_exchange == IKE_EXCH_SA_INIT))
			return true;
	}
	return false;
}

/* All of types present or none: the first missing one in *bad. */
static int together(const uint8_t *count, const uint8_t *types, size_t n,
		    uint8_t *bad)
{
	bool any = false;

	for (size_t i = 0; i < n; i++)
		any |= count[types[i]] != 0;
	for (size_t i = 0; any && i < n; i++) {
		if (!count[types[i]]) {
			*bad = types[i];
			return -EINVAL;
		}
	}
	return 0;
}

/* §2.9: TSi and TSr go together; in IKE_AUTH with the SA they
 * describe (§1.2). A CREATE_CHILD_SA without them rekeys the IKE SA. */
static int check_groups(uint8_t exchange, const uint8_t *count,
			uint8_t *bad)
{
	static const uint8_t child[] = { IKE_PL_SA, IKE_PL_TSI, IKE_PL_TSR };

	if (exchange == IKE_EXCH_AUTH)
		return together(count, child, 3, bad);
	return together(count, child + 1, 2, bad);
}

static int check_min(const struct exch_rules *x, bool in_sk,
		     const uint8_t *count, uint8_t *bad)
{
	for (size_t i = 0; i < x->x_n; i++) {
		const struct pl_rule *r = &x->x_rules[i];

		if (r->r_enc == in_sk && count[r->r_type] < r->r_min) {
			*bad = r->r_type;
			return -EINVAL;
		}
	}
	return 0;
}

int ike_msg_check_payloads(uint8_t exchange, bool is_response, bool in_sk,
			   const struct ike_chain *c, uint8_t *bad)
{
	const struct exch_rules *x = find_exch(exchange, is_response);
	uint8_t count[256] = { 0 };
	uint8_t scratch;

	if (!bad)
		bad = &scratch;
	*bad = IKE_PL_NONE;
	if (!x)
		return -EINVAL;
	if (in_sk && !x->x_protected) {
		*bad = IKE_PL_SK; /* IKE_SA_INIT has nothing encrypted */
		return -EINVAL;
	}
	for (unsigned i = 0; i < c->c_n; i++) {
		const uint8_t t = c->c_pl[i].pl_type;
		const struct pl_rule *r = find_rule(x, t);

		/* not in this exchange, on the wrong side of SK, too many */
		if (!r || r->r_enc != in_sk || ++count[t] > r->r_max) {
			*bad = t;
			return -EINVAL;
		}
	}
	if (x->x_protected && !in_sk &&
	    count[IKE_PL_SK] + count[IKE_PL_SKF] != 1) {
		*bad = IKE_PL_SK;
		return -EINVAL;
	}
	if (!error_answer(x, c) && check_min(x, in_sk, count, bad))
		return -EINVAL;
	return in_sk ? check_groups(exchange, count, bad) : 0;
}

const char *ike_notify_name(uint16_t type)
{
	static char other[24];

	switch (type) {
	case IKE_N_INVALID_SYNTAX: return "INVALID_SYNTAX";
	case IKE_N_NO_PROPOSAL_CHOSEN: return "NO_PROPOSAL_CHOSEN";
	case IKE_N_INVALID_KE_PAYLOAD: return "INVALID_KE_PAYLOAD";
	case IKE_N_AUTHENTICATION_FAILED: return "AUTHENTICATION_FAILED";
	case IKE_N_SINGLE_PAIR_REQUIRED: return "SINGLE_PAIR_REQUIRED";
	case IKE_N_NO_ADDITIONAL_SAS: return "NO_ADDITIONAL_SAS";
	case IKE_N_INTERNAL_ADDRESS_FAILURE: return "INTERNAL_ADDRESS_FAILURE";
	case IKE_N_FAILED_CP_REQUIRED: return "FAILED_CP_REQUIRED";
	case IKE_N_TS_UNACCEPTABLE: return "TS_UNACCEPTABLE";
	case IKE_N_INVALID_SELECTORS: return "INVALID_SELECTORS";
	case IKE_N_TEMPORARY_FAILURE: return "TEMPORARY_FAILURE";
	case IKE_N_CHILD_SA_NOT_FOUND: return "CHILD_SA_NOT_FOUND";
	case IKE_N_UNACCEPTABLE_ADDRESSES: return "UNACCEPTABLE_ADDRESSES";
	case IKE_N_UNEXPECTED_NAT_DETECTED: return "UNEXPECTED_NAT_DETECTED";
	}
	snprintf(other, sizeof(other), "notify %u", type);
	return other;
}
