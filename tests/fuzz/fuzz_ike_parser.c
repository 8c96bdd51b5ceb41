/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: one whole datagram through both versions' message
 * codecs, no engine. IKEv2 (RFC 7296 §3): the header, the cleartext
 * chain against the exchange's payload table, every payload's decoder,
 * and the SK content taken as if it had decrypted to those bytes
 * (chain, padding, the in-SK table). ISAKMP (RFC 2408 §3): the header,
 * the chain, every payload's decoder (SA down to TV/TLV attributes and
 * both phases' offers, ID, CERT/CR, N, D, NAT-OA, the data payloads),
 * fragments; an encrypted body goes the IV chain's way (RFC 2409
 * App. B): encrypted under a fixed key and IV, decrypted as
 * ikev1_io.c's open_msg() does, the chain parsed with padding after it
 * and decoded, and the IV after it checked to be the last cipher block.
 *
 * An input is the datagram itself: byte 0 is the first byte of an IKE
 * header either way, so the engine targets' datagrams are seeds as
 * they are (less their control byte).
 *
 * Built with -Dfuzz=true (clang, -fsanitize=fuzzer); the normal build
 * links it with tests/fuzz/replay.c, which feeds it the corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ikev1.h"
#include "ikev1_msg.h"
#include "ikev2_msg.h"
#include "ikev2_payload.h"

static void v2_payload(const struct ike_payload *pl)
{
	union {
		struct ike_offer sa;
		struct ike_pl_ke ke;
		struct ike_pl_id id;
		struct ike_cert_data cert;
		struct ike_pl_auth auth;
		struct ike_pl_nonce nonce;
		struct ike_pl_notify n;
		struct ike_pl_delete d;
		struct ike_selectors ts;
		struct ike_pl_cp cp;
	} u;
	uint32_t spi;

	switch (pl->pl_type) {
	case IKE_PL_SA: ike_pl_sa_decode(pl, &u.sa); break;
	case IKE_PL_KE: ike_pl_ke_decode(pl, &u.ke); break;
	case IKE_PL_IDI:
	case IKE_PL_IDR: ike_pl_id_decode(pl, &u.id); break;
	case IKE_PL_CERT:
	case IKE_PL_CERTREQ: ike_pl_cert_decode(pl, &u.cert); break;
	case IKE_PL_AUTH: ike_pl_auth_decode(pl, &u.auth); break;
	case IKE_PL_NONCE: ike_pl_nonce_decode(pl, &u.nonce); break;
	case IKE_PL_NOTIFY: ike_pl_notify_decode(pl, &u.n); break;
	case IKE_PL_DELETE:
		if (ike_pl_delete_decode(pl, &u.d) == 0)
			for (unsigned i = 0; ike_pl_delete_spi(&u.d, i, &spi); i++)
				;
		break;
	case IKE_PL_TSI:
	case IKE_PL_TSR: ike_pl_ts_decode(pl, &u.ts); break;
	case IKE_PL_CP: ike_pl_cp_decode(pl, &u.cp); break;
	default: break;
	}
}

static void v2_chain(const struct ike_hdr *h, bool in_sk, const struct ike_chain *c)
{
	uint8_t bad;

	ike_msg_check_payloads(h->h_exchange, h->h_flags & IKE_HDR_F_RESPONSE, in_sk, c, &bad);
	for (unsigned i = 0; i < c->c_n; i++)
		v2_payload(&c->c_pl[i]);
}

/* The SK payload's body after an 8-byte IV, as if it had decrypted to
 * itself: what ikev2_io.c parses once the ICV verified. */
static void v2_inner(const struct ike_msg *m)
{
	static struct ike_chain inner;
	const struct ike_payload *sk = &m->m_chain.c_pl[m->m_chain.c_n - 1];
	struct ike_sk split;
	size_t len;

	ike_msg_sk_split(m, 16, 16, 16, &split);
	if (sk->pl_len < 8 || ike_sk_unpad(sk->pl_body + 8, sk->pl_len - 8, &len) != 0)
		return;
	if (ike_chain_parse(sk->pl_next, sk->pl_body + 8, len, &inner) == 0)
		v2_chain(&m->m_hdr, true, &inner);
}

static void v2(const uint8_t *data, size_t size)
{
	static struct ike_msg m;

	if (ike_msg_parse(data, size, &m) != 0)
		return;
	v2_chain(&m.m_hdr, false, &m.m_chain);
	if (m.m_sk_off && m.m_chain.c_n)
		v2_inner(&m);
}

static void v1_sa(const struct ikev1_payload *pl)
{
	static struct ikev1_offer o;
	struct ikev1_iter ip, it, ia;
	struct ikev1_prop p;
	struct ikev1_xform t;
	struct ikev1_attr a;
	struct ikev1_sa sa;
	uint64_t v;

	if (ikev1_sa_decode(pl->pl_body, pl->pl_len, &sa) != 0)
		return;
	ikev1_iter_init(&ip, sa.sa_props, sa.sa_props_len, IKEV1_PL_P);
	while (ikev1_prop_next(&ip, &p) == 1) {
		ikev1_iter_init(&it, p.p_xforms, p.p_xforms_len, IKEV1_PL_T);
		while (ikev1_xform_next(&it, &t) == 1) {
			ikev1_iter_init(&ia, t.t_attrs, t.t_attrs_len, 0);
			while (ikev1_attr_next(&ia, &a) == 1)
				ikev1_attr_uint(&a, &v);
		}
	}
	ikev1_offer_decode(pl->pl_body, pl->pl_len, IKE_PROTO_IKE, &o);
	ikev1_offer_decode(pl->pl_body, pl->pl_len, IKE_PROTO_ESP, &o);
}

static void v1_payload(const struct ikev1_payload *pl)
{
	union {
		struct ikev1_id id;
		struct ikev1_cert cert;
		struct ikev1_notify n;
		struct ikev1_delete d;
		struct ikev1_nat_oa oa;
	} u;

	switch (pl->pl_type) {
	case IKEV1_PL_SA: v1_sa(pl); break;
	case IKEV1_PL_ID: ikev1_id_decode(pl->pl_body, pl->pl_len, &u.id); break;
	case IKEV1_PL_CERT:
	case IKEV1_PL_CR: ikev1_cert_decode(pl->pl_body, pl->pl_len, &u.cert); break;
	case IKEV1_PL_N:
		if (ikev1_notify_decode(pl->pl_body, pl->pl_len, &u.n) == 0)
			ikev1_notify_name(u.n.n_type);
		break;
	case IKEV1_PL_D: ikev1_delete_decode(pl->pl_body, pl->pl_len, &u.d); break;
	case IKEV1_PL_NAT_OA: ikev1_nat_oa_decode(pl->pl_body, pl->pl_len, &u.oa); break;
	default: ikev1_data_check(pl->pl_type, pl->pl_len); break;
	}
}

static void v1_chain(const struct ikev1_chain *c)
{
	for (unsigned i = 0; i < c->c_n; i++)
		v1_payload(&c->c_pl[i]);
}

/* App. B: the body encrypted and decrypted under a fixed key and IV
 * (AES-CBC, or 3DES when the message ID is odd), parsed with padding. */
static void v1_decrypt(const struct ikev1_msg *m)
{
	static const uint8_t key[24] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
					 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24 };
	static uint8_t buf[65536];
	static struct ikev1_chain ch;
	uint16_t encr = (m->m_hdr.h_msgid & 1) ? IKE_ENCR_3DES : IKE_ENCR_AES_CBC;
	size_t block = ikev1_block_len(encr), klen = encr == IKE_ENCR_3DES ? 24 : 16;
	size_t len = m->m_enc_len - m->m_enc_len % block;
	uint8_t iv[IKEV1_BLOCK_MAX] = { 0 }, iv2[IKEV1_BLOCK_MAX] = { 0 };

	if (len == 0 || len > sizeof(buf))
		return;
	memcpy(buf, m->m_enc, len);
	if (ikev1_cbc(encr, key, klen, iv, buf, len, true) != 0)
		abort();
	if (memcmp(iv, buf + len - block, block) != 0)
		abort(); /* the next IV is the last cipher block */
	if (ikev1_cbc(encr, key, klen, iv2, buf, len, false) != 0)
		abort();
	if (memcmp(iv2, iv, block) != 0 || memcmp(buf, m->m_enc, len) != 0)
		abort(); /* decrypting gives the body back and the same IV */
	if (ikev1_chain_parse(m->m_hdr.h_next, buf, len, true, &ch) == 0)
		v1_chain(&ch);
}

static void v1(const uint8_t *data, size_t size)
{
	static struct ikev1_msg m;
	struct ikev1_frag f;
	struct ikev1_hdr h;

	ikev1_frag_parse(data, size, &h, &f);
	if (ikev1_msg_parse(data, size, &m) != 0)
		return;
	ikev1_exchange_known(m.m_hdr.h_exchange);
	if (m.m_hdr.h_flags & IKEV1_F_ENCRYPTION)
		v1_decrypt(&m);
	else
		v1_chain(&m.m_chain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	v2(data, size);
	v1(data, size);
	return 0;
}
