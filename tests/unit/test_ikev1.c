/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ikev1_msg / ikev1_keys: the ISAKMP codec (RFC 2408 §3, RFC 2407, RFC
 * 3947) and the RFC 2409 key schedule.
 *
 * Cross-checked against scapy's ISAKMP layer (scapy 2.5,
 * scapy.layers.isakmp), an implementation we did not write: the arrays
 * below are its output (printed by this script, run once by
 * /usr/bin/python3):
 *
 *   import struct
 *   from scapy.layers.isakmp import *
 *   ci = bytes.fromhex('0123456789abcdef')
 *   cr = bytes.fromhex('fedcba9876543210')
 *   t1 = ISAKMP_payload_Transform(next_payload=3, num=1, id=1, transforms=[
 *       ('Encryption', 'AES-CBC'), ('KeyLength', 256), ('Hash', 'SHA2-256'),
 *       ('Authentication', 'PSK'), ('GroupDesc', '2048MODPgr'),
 *       ('LifeType', 'Seconds'), ('LifeDuration', 86400)])
 *   t2 = ISAKMP_payload_Transform(next_payload=0, num=2, id=1, transforms=[
 *       ('Encryption', '3DES-CBC'), ('Hash', 'SHA'),
 *       ('Authentication', 'PSK'), ('GroupDesc', '1024MODPgr'),
 *       ('LifeType', 'Seconds'), ('LifeDuration', 0x12345678)])
 *   sa = (ISAKMP(init_cookie=ci, resp_cookie=bytes(8), exch_type=2) /
 *         ISAKMP_payload_SA(next_payload=0, DOI=1, situation=1, prop=ISAKMP_payload_Proposal(
 *             next_payload=0, proposal=1, proto=1, trans_nb=2, trans=t1 / t2)))
 *   ke = (ISAKMP(init_cookie=ci, resp_cookie=cr, exch_type=2) /
 *         ISAKMP_payload_KE(next_payload=10, load=bytes(range(128))) /
 *         ISAKMP_payload_Nonce(next_payload=13, load=bytes(range(0x80, 0xa0))) /
 *         ISAKMP_payload_VendorID(next_payload=0, load=bytes.fromhex(
 *             '4a131c81070358455c5728f20e95452f')))
 *   idm = (ISAKMP(init_cookie=ci, resp_cookie=cr, exch_type=5, id=0x01020304) /
 *          ISAKMP_payload_ID(next_payload=8, IDtype=1, ProtoID=17, Port=500,
 *                            load=bytes([192, 0, 2, 1])) /
 *          ISAKMP_payload_Hash(next_payload=11, load=bytes(range(0x30, 0x44))) /
 *          ISAKMP_payload(next_payload=12, load=struct.pack('>IBBH', 1, 1, 16,
 *                         24578) + ci + cr + b'espgate') /
 *          ISAKMP_payload(next_payload=0, load=struct.pack('>IBBH', 1, 3, 4, 2) +
 *                         bytes.fromhex('c0ffee01c0ffee02')))
 *   for name, m in (('idprot_sa', sa), ('ke_nonce_vid', ke), ('info', idm)):
 *       b = bytes(m)
 *       print('static const uint8_t scapy_%s[%d] = {' % (name, len(b)))
 *       for i in range(0, len(b), 12):
 *           print('\t' + ', '.join('0x%02x' % x for x in b[i:i + 12]) + ',')
 *       print('};\n')
 *
 *   fr = (ISAKMP(init_cookie=ci, resp_cookie=cr, next_payload=132, exch_type=2) /
 *         ISAKMP_payload(next_payload=0, load=struct.pack('>HBB', 0x0102, 3, 1) +
 *                        bytes(range(0xa0, 0xb4))))
 *   (printed as scapy_frag in the same way)
 *
 * scapy 2.5 has no Notification, Delete or fragment layer: those bodies
 * are packed by hand (struct.pack) into its generic ISAKMP_payload; the
 * fragment's as strongSwan's fragment_payload.c encodes it (fragment ID,
 * number, flags with 0x01 on the last, the data). It fills
 * no next-payload field of a payload or a transform, so the script sets
 * them. Its LifeDuration is a TLV whatever the value (3 bytes for 86400).
 *
 * The key schedule (SKEYID for PSK and signatures, SKEYID_d/a/e), the
 * App. B key lengthening and the IVs are checked against HMAC() and
 * EVP_Digest() called directly here. SKEYID (both methods) and its three
 * children are also checked against NIST ACVP's kdf-components-IKEv1-1.0
 * vectors (ikev1_acvp_vectors.h, source and choice there): 12 cases, PSK
 * and signatures with SHA2-256, SHA2-384 and SHA2-512; the set has no
 * SHA-1 group of whole-byte lengths.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ikev1.h"
#include "ikev1_keys.h"
#include "ikev1_msg.h"

#include "ikev1_acvp_vectors.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t scapy_idprot_sa[123] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x10, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x7b, 0x00, 0x00, 0x00, 0x5f, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x53, 0x01, 0x01, 0x00, 0x02,
	0x03, 0x00, 0x00, 0x27, 0x01, 0x01, 0x00, 0x00, 0x80, 0x01, 0x00, 0x07,
	0x80, 0x0e, 0x01, 0x00, 0x80, 0x02, 0x00, 0x04, 0x80, 0x03, 0x00, 0x01,
	0x80, 0x04, 0x00, 0x0e, 0x80, 0x0b, 0x00, 0x01, 0x00, 0x0c, 0x00, 0x03,
	0x01, 0x51, 0x80, 0x00, 0x00, 0x00, 0x24, 0x02, 0x01, 0x00, 0x00, 0x80,
	0x01, 0x00, 0x05, 0x80, 0x02, 0x00, 0x02, 0x80, 0x03, 0x00, 0x01, 0x80,
	0x04, 0x00, 0x02, 0x80, 0x0b, 0x00, 0x01, 0x00, 0x0c, 0x00, 0x04, 0x12,
	0x34, 0x56, 0x78,
};

static const uint8_t scapy_ke_nonce_vid[216] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98,
	0x76, 0x54, 0x32, 0x10, 0x04, 0x10, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0xd8, 0x0a, 0x00, 0x00, 0x84, 0x00, 0x01, 0x02, 0x03,
	0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
	0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33,
	0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
	0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b,
	0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57,
	0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, 0x63,
	0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
	0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b,
	0x7c, 0x7d, 0x7e, 0x7f, 0x0d, 0x00, 0x00, 0x24, 0x80, 0x81, 0x82, 0x83,
	0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
	0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b,
	0x9c, 0x9d, 0x9e, 0x9f, 0x00, 0x00, 0x00, 0x14, 0x4a, 0x13, 0x1c, 0x81,
	0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f,
};

static const uint8_t scapy_frag[56] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98,
	0x76, 0x54, 0x32, 0x10, 0x84, 0x10, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, 0x1c, 0x01, 0x02, 0x03, 0x01,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
	0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3,
};

static const uint8_t scapy_info[119] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98,
	0x76, 0x54, 0x32, 0x10, 0x05, 0x10, 0x05, 0x00, 0x01, 0x02, 0x03, 0x04,
	0x00, 0x00, 0x00, 0x77, 0x08, 0x00, 0x00, 0x0c, 0x01, 0x11, 0x01, 0xf4,
	0xc0, 0x00, 0x02, 0x01, 0x0b, 0x00, 0x00, 0x18, 0x30, 0x31, 0x32, 0x33,
	0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
	0x40, 0x41, 0x42, 0x43, 0x0c, 0x00, 0x00, 0x23, 0x00, 0x00, 0x00, 0x01,
	0x01, 0x10, 0x60, 0x02, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10, 0x65, 0x73, 0x70, 0x67,
	0x61, 0x74, 0x65, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x01, 0x03,
	0x04, 0x00, 0x02, 0xc0, 0xff, 0xee, 0x01, 0xc0, 0xff, 0xee, 0x02,
};

static const uint8_t cky_i[8] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
static const uint8_t cky_r[8] = { 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 };

static struct ikev1_hdr hdr(const uint8_t *ci, const uint8_t *cr,
			    uint8_t exch, uint32_t msgid)
{
	struct ikev1_hdr h = { .h_exchange = exch, .h_msgid = msgid };

	memcpy(h.h_cky_i, ci, 8);
	memcpy(h.h_cky_r, cr, 8);
	return h;
}

/* Parses a copy in a buffer of exactly len bytes. */
static int parse_exact(const uint8_t *msg, size_t len, struct ikev1_msg *m,
		       uint8_t **copy)
{
	*copy = malloc(len ? len : 1);
	cr_assert_not_null(*copy);
	memcpy(*copy, msg, len);
	return ikev1_msg_parse(*copy, len, m);
}

/* ---- scapy: Identity Protection first message ---- */

static const struct ikev1_attr xf1_attrs[] = {
	{ .a_type = IKEV1_A_ENCR, .a_tv = true, .a_val = 7 },
	{ .a_type = IKEV1_A_KEY_LENGTH, .a_tv = true, .a_val = 256 },
	{ .a_type = IKEV1_A_HASH, .a_tv = true, .a_val = 4 },
	{ .a_type = IKEV1_A_AUTH, .a_tv = true, .a_val = 1 },
	{ .a_type = IKEV1_A_GROUP_DESC, .a_tv = true, .a_val = 14 },
	{ .a_type = IKEV1_A_LIFE_TYPE, .a_tv = true, .a_val = 1 },
	{ .a_type = IKEV1_A_LIFE_DURATION, .a_data = (const uint8_t *)"\x01\x51\x80", .a_len = 3 },
};
static const struct ikev1_attr xf2_attrs[] = {
	{ .a_type = IKEV1_A_ENCR, .a_tv = true, .a_val = 5 },
	{ .a_type = IKEV1_A_HASH, .a_tv = true, .a_val = 2 },
	{ .a_type = IKEV1_A_AUTH, .a_tv = true, .a_val = 1 },
	{ .a_type = IKEV1_A_GROUP_DESC, .a_tv = true, .a_val = 2 },
	{ .a_type = IKEV1_A_LIFE_TYPE, .a_tv = true, .a_val = 1 },
	{ .a_type = IKEV1_A_LIFE_DURATION, .a_data = (const uint8_t *)"\x12\x34\x56\x78", .a_len = 4 },
};
static const struct ikev1_xform_spec sa_xf[] = {
	{ .xs_num = 1, .xs_id = 1, .xs_attrs = xf1_attrs, .xs_nattrs = N(xf1_attrs) },
	{ .xs_num = 2, .xs_id = 1, .xs_attrs = xf2_attrs, .xs_nattrs = N(xf2_attrs) },
};
static const struct ikev1_prop_spec sa_prop = {
	.ps_num = 1, .ps_proto = IKEV1_PROTO_ISAKMP, .ps_xf = sa_xf, .ps_nxf = 2,
};

static void check_attrs(const struct ikev1_xform *t, const struct ikev1_attr *want,
			size_t n)
{
	struct ikev1_iter it;
	struct ikev1_attr a;
	size_t i = 0;

	ikev1_iter_init(&it, t->t_attrs, t->t_attrs_len, IKEV1_PL_NONE);
	while (ikev1_attr_next(&it, &a) > 0) {
		cr_assert_lt(i, n);
		cr_assert_eq(a.a_type, want[i].a_type);
		cr_assert_eq(a.a_tv, want[i].a_tv);
		if (a.a_tv) {
			cr_assert_eq(a.a_val, want[i].a_val);
		} else {
			cr_assert_eq(a.a_len, want[i].a_len);
			cr_assert_arr_eq(a.a_data, want[i].a_data, a.a_len);
		}
		i++;
	}
	cr_assert_eq(i, n);
}

Test(ikev1_scapy, idprot_sa_decode)
{
	struct ikev1_msg m;
	struct ikev1_sa sa;
	struct ikev1_iter pit, tit;
	struct ikev1_prop p;
	struct ikev1_xform t;
	struct ikev1_attr a;
	uint64_t v;

	cr_assert_eq(ikev1_msg_parse(scapy_idprot_sa, sizeof(scapy_idprot_sa), &m), 0);
	cr_assert_arr_eq(m.m_hdr.h_cky_i, cky_i, 8);
	cr_assert_eq(m.m_hdr.h_major, 1);
	cr_assert_eq(m.m_hdr.h_minor, 0);
	cr_assert_eq(m.m_hdr.h_exchange, IKEV1_EXCH_IDPROT);
	cr_assert_eq(m.m_hdr.h_length, sizeof(scapy_idprot_sa));
	cr_assert_eq(m.m_chain.c_n, 1);
	cr_assert_eq(m.m_chain.c_pl[0].pl_type, IKEV1_PL_SA);
	cr_assert_eq(m.m_chain.c_pl[0].pl_off, IKEV1_HDR_LEN);
	cr_assert_eq(ikev1_sa_decode(m.m_chain.c_pl[0].pl_body,
				     m.m_chain.c_pl[0].pl_len, &sa), 0);
	cr_assert_eq(sa.sa_doi, IKEV1_DOI_IPSEC);
	cr_assert_eq(sa.sa_sit, IKEV1_SIT_IDENTITY_ONLY);
	cr_assert_eq(sa.sa_nprops, 1);
	ikev1_iter_init(&pit, sa.sa_props, sa.sa_props_len, IKEV1_PL_P);
	cr_assert_eq(ikev1_prop_next(&pit, &p), 1);
	cr_assert_eq(p.p_num, 1);
	cr_assert_eq(p.p_proto, IKEV1_PROTO_ISAKMP);
	cr_assert_eq(p.p_spi_len, 0);
	cr_assert_eq(p.p_ntrans, 2);
	cr_assert_eq(ikev1_prop_next(&pit, &p), 0);
	ikev1_iter_init(&tit, p.p_xforms, p.p_xforms_len, IKEV1_PL_T);
	cr_assert_eq(ikev1_xform_next(&tit, &t), 1);
	cr_assert_eq(t.t_num, 1);
	cr_assert_eq(t.t_id, 1);
	cr_assert_eq(t.t_next, IKEV1_PL_T);
	check_attrs(&t, xf1_attrs, N(xf1_attrs));
	cr_assert_eq(ikev1_xform_next(&tit, &t), 1);
	cr_assert_eq(t.t_num, 2);
	cr_assert_eq(t.t_next, IKEV1_PL_NONE);
	check_attrs(&t, xf2_attrs, N(xf2_attrs));
	cr_assert_eq(ikev1_xform_next(&tit, &t), 0);
	/* values of TV and TLV alike */
	a = xf1_attrs[6];
	cr_assert_eq(ikev1_attr_uint(&a, &v), 0);
	cr_assert_eq(v, 86400);
	a = xf2_attrs[5];
	cr_assert_eq(ikev1_attr_uint(&a, &v), 0);
	cr_assert_eq(v, 0x12345678);
	a = xf1_attrs[1];
	cr_assert_eq(ikev1_attr_uint(&a, &v), 0);
	cr_assert_eq(v, 256);
}

Test(ikev1_scapy, idprot_sa_encode)
{
	struct ikev1_hdr h = hdr(cky_i, (const uint8_t[8]){ 0 }, IKEV1_EXCH_IDPROT, 0);
	struct ike_writer w;
	uint8_t buf[512];
	size_t len;

	ike_w_init(&w, buf, sizeof(buf));
	ikev1_w_hdr(&w, &h);
	ikev1_w_sa(&w, IKEV1_DOI_IPSEC, IKEV1_SIT_IDENTITY_ONLY, &sa_prop, 1);
	cr_assert_eq(ike_w_finish(&w, &len), 0);
	cr_assert_eq(len, sizeof(scapy_idprot_sa));
	cr_assert_arr_eq(buf, scapy_idprot_sa, len);
}

/* ---- scapy: KE, NONCE, VID ---- */

Test(ikev1_scapy, ke_nonce_vid)
{
	struct ikev1_hdr h = hdr(cky_i, cky_r, IKEV1_EXCH_IDPROT, 0);
	const uint8_t *b = scapy_ke_nonce_vid;
	const struct ikev1_payload *pl;
	uint8_t ke[128], ni[32], buf[512];
	struct ike_writer w;
	struct ikev1_msg m;
	size_t len;

	for (unsigned i = 0; i < 128; i++)
		ke[i] = (uint8_t)i;
	for (unsigned i = 0; i < 32; i++)
		ni[i] = (uint8_t)(0x80 + i);
	cr_assert_eq(ikev1_msg_parse(b, sizeof(scapy_ke_nonce_vid), &m), 0);
	cr_assert_arr_eq(m.m_hdr.h_cky_r, cky_r, 8);
	cr_assert_eq(m.m_chain.c_n, 3);
	pl = ikev1_chain_find(&m.m_chain, IKEV1_PL_KE, 0);
	cr_assert(pl && pl->pl_len == 128 && !memcmp(pl->pl_body, ke, 128));
	cr_assert_eq(ikev1_data_check(IKEV1_PL_KE, pl->pl_len), 0);
	pl = ikev1_chain_find(&m.m_chain, IKEV1_PL_NONCE, 0);
	cr_assert(pl && pl->pl_len == 32 && !memcmp(pl->pl_body, ni, 32));
	cr_assert_eq(ikev1_data_check(IKEV1_PL_NONCE, pl->pl_len), 0);
	pl = ikev1_chain_find(&m.m_chain, IKEV1_PL_VID, 0);
	cr_assert(pl && pl->pl_len == 16 && pl->pl_off == sizeof(scapy_ke_nonce_vid) - 20);
	ike_w_init(&w, buf, sizeof(buf));
	ikev1_w_hdr(&w, &h);
	ikev1_w_data(&w, IKEV1_PL_KE, ke, sizeof(ke));
	ikev1_w_data(&w, IKEV1_PL_NONCE, ni, sizeof(ni));
	ikev1_w_data(&w, IKEV1_PL_VID, pl->pl_body, pl->pl_len);
	cr_assert_eq(ike_w_finish(&w, &len), 0);
	cr_assert_eq(len, sizeof(scapy_ke_nonce_vid));
	cr_assert_arr_eq(buf, b, len);
}

/* ---- scapy: ID, HASH, N, D ---- */

Test(ikev1_scapy, id_hash_n_d)
{
	struct ikev1_hdr h = hdr(cky_i, cky_r, IKEV1_EXCH_INFO, 0x01020304);
	const uint8_t spis[8] = { 0xc0, 0xff, 0xee, 0x01, 0xc0, 0xff, 0xee, 0x02 };
	const uint8_t addr[4] = { 192, 0, 2, 1 };
	uint8_t spi16[16], hash[20], buf[512];
	const struct ikev1_payload *pl;
	struct ikev1_id id;
	struct ikev1_notify n;
	struct ikev1_delete d;
	struct ike_writer w;
	struct ikev1_msg m;
	size_t len;

	memcpy(spi16, cky_i, 8);
	memcpy(spi16 + 8, cky_r, 8);
	for (unsigned i = 0; i < 20; i++)
		hash[i] = (uint8_t)(0x30 + i);
	cr_assert_eq(ikev1_msg_parse(scapy_info, sizeof(scapy_info), &m), 0);
	cr_assert_eq(m.m_hdr.h_msgid, 0x01020304);
	cr_assert_eq(m.m_chain.c_n, 4);
	pl = ikev1_chain_find(&m.m_chain, IKEV1_PL_ID, 0);
	cr_assert_eq(ikev1_id_decode(pl->pl_body, pl->pl_len, &id), 0);
	cr_assert_eq(id.id_type, IKEV1_ID_IPV4_ADDR);
	cr_assert_eq(id.id_proto, 17);
	cr_assert_eq(id.id_port, 500);
	cr_assert(id.id_len == 4 && !memcmp(id.id_data, addr, 4));
	pl = ikev1_chain_find(&m.m_chain, IKEV1_PL_HASH, 0);
	cr_assert(pl->pl_len == 20 && !memcmp(pl->pl_body, hash, 20));
	pl = ikev1_chain_find(&m.m_chain, IKEV1_PL_N, 0);
	cr_assert_eq(ikev1_notify_decode(pl->pl_body, pl->pl_len, &n), 0);
	cr_assert_eq(n.n_doi, IKEV1_DOI_IPSEC);
	cr_assert_eq(n.n_proto, IKEV1_PROTO_ISAKMP);
	cr_assert_eq(n.n_type, IKEV1_N_INITIAL_CONTACT);
	cr_assert(n.n_spi_len == 16 && !memcmp(n.n_spi, spi16, 16));
	cr_assert(n.n_data_len == 7 && !memcmp(n.n_data, "espgate", 7));
	pl = ikev1_chain_find(&m.m_chain, IKEV1_PL_D, 0);
	cr_assert_eq(ikev1_delete_decode(pl->pl_body, pl->pl_len, &d), 0);
	cr_assert_eq(d.d_proto, IKEV1_PROTO_ESP);
	cr_assert_eq(d.d_spi_len, 4);
	cr_assert_eq(d.d_nspis, 2);
	cr_assert_arr_eq(d.d_spis, spis, 8);

	ike_w_init(&w, buf, sizeof(buf));
	ikev1_w_hdr(&w, &h);
	ikev1_w_id(&w, &id);
	ikev1_w_data(&w, IKEV1_PL_HASH, hash, sizeof(hash));
	ikev1_w_notify(&w, &n);
	ikev1_w_delete(&w, &d);
	cr_assert_eq(ike_w_finish(&w, &len), 0);
	cr_assert_eq(len, sizeof(scapy_info));
	cr_assert_arr_eq(buf, scapy_info, len);
}

/* ---- round trips of what scapy does not cover ---- */

Test(ikev1_codec, other_payloads_round_trip)
{
	static const uint8_t v6[32] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1,
					[16] = 0xff, [17] = 0xff, [31] = 0xff };
	static const uint8_t natd[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	static const uint8_t sig[64] = { 0xaa, [63] = 0xbb };
	static const uint8_t der[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	struct ikev1_hdr h = hdr(cky_i, cky_r, IKEV1_EXCH_QUICK, 7);
	const struct ikev1_id ids[] = {
		{ IKEV1_ID_FQDN, 0, 0, (const uint8_t *)"gw.example.org", 14 },
		{ IKEV1_ID_USER_FQDN, 0, 0, (const uint8_t *)"a@example.org", 13 },
		{ IKEV1_ID_IPV4_ADDR_SUBNET, 6, 443, v6, 8 },
		{ IKEV1_ID_IPV6_ADDR, 0, 0, v6, 16 },
		{ IKEV1_ID_IPV6_ADDR_SUBNET, 17, 0, v6, 32 },
		{ IKEV1_ID_IPV4_ADDR_RANGE, 0, 0, v6, 8 },
		{ IKEV1_ID_IPV6_ADDR_RANGE, 0, 0, v6, 32 },
		{ IKEV1_ID_DER_ASN1_DN, 0, 0, der, sizeof(der) },
		{ IKEV1_ID_KEY_ID, 0, 0, (const uint8_t *)"key", 3 },
	};
	const struct ikev1_cert cert = { 4, der, sizeof(der) };
	const struct ikev1_cert cr = { 4, NULL, 0 };
	const struct ikev1_nat_oa oa4 = { IKEV1_ID_IPV4_ADDR, v6, 4 };
	const struct ikev1_nat_oa oa6 = { IKEV1_ID_IPV6_ADDR, v6, 16 };
	const uint8_t esp_spi[4] = { 0xc0, 0xff, 0xee, 0x05 };
	const struct ikev1_attr p2a[] = {
		{ .a_type = IKEV1_A_ENCAP_MODE, .a_tv = true, .a_val = 1 },
		{ .a_type = IKEV1_A_AUTH_ALG, .a_tv = true, .a_val = 5 },
	};
	const struct ikev1_xform_spec p2x = { 1, 12, p2a, N(p2a) };
	const struct ikev1_prop_spec p2 = { 1, IKEV1_PROTO_ESP, esp_spi, 4, &p2x, 1 };
	uint8_t buf[2048];
	struct ike_writer w;
	struct ikev1_msg m;
	unsigned i = 0;
	size_t len;

	ike_w_init(&w, buf, sizeof(buf));
	ikev1_w_hdr(&w, &h);
	ikev1_w_sa(&w, IKEV1_DOI_IPSEC, IKEV1_SIT_IDENTITY_ONLY, &p2, 1);
	for (size_t k = 0; k < N(ids); k++)
		ikev1_w_id(&w, &ids[k]);
	ikev1_w_cert(&w, IKEV1_PL_CERT, &cert);
	ikev1_w_cert(&w, IKEV1_PL_CR, &cr);
	ikev1_w_data(&w, IKEV1_PL_SIG, sig, sizeof(sig));
	ikev1_w_data(&w, IKEV1_PL_NAT_D, natd, sizeof(natd));
	ikev1_w_nat_oa(&w, &oa4);
	ikev1_w_nat_oa(&w, &oa6);
	cr_assert_eq(ike_w_finish(&w, &len), 0);
	cr_assert_eq(ikev1_msg_parse(buf, len, &m), 0);
	cr_assert_eq(m.m_hdr.h_exchange, IKEV1_EXCH_QUICK);
	cr_assert_eq(m.m_chain.c_n, 1 + N(ids) + 6);

	struct ikev1_sa sa;
	struct ikev1_iter it;
	struct ikev1_prop p;
	const struct ikev1_payload *pl = &m.m_chain.c_pl[i++];
	cr_assert_eq(ikev1_sa_decode(pl->pl_body, pl->pl_len, &sa), 0);
	ikev1_iter_init(&it, sa.sa_props, sa.sa_props_len, IKEV1_PL_P);
	cr_assert_eq(ikev1_prop_next(&it, &p), 1);
	cr_assert(p.p_proto == IKEV1_PROTO_ESP && p.p_spi_len == 4 &&
		  !memcmp(p.p_spi, esp_spi, 4));
	for (size_t k = 0; k < N(ids); k++) {
		struct ikev1_id id;

		pl = &m.m_chain.c_pl[i++];
		cr_assert_eq(pl->pl_type, IKEV1_PL_ID);
		cr_assert_eq(ikev1_id_decode(pl->pl_body, pl->pl_len, &id), 0);
		cr_assert_eq(id.id_type, ids[k].id_type);
		cr_assert_eq(id.id_proto, ids[k].id_proto);
		cr_assert_eq(id.id_port, ids[k].id_port);
		cr_assert(id.id_len == ids[k].id_len &&
			  !memcmp(id.id_data, ids[k].id_data, id.id_len));
	}
	struct ikev1_cert c;
	pl = &m.m_chain.c_pl[i++];
	cr_assert_eq(ikev1_cert_decode(pl->pl_body, pl->pl_len, &c), 0);
	cr_assert(c.c_enc == 4 && c.c_len == sizeof(der) && !memcmp(c.c_data, der, c.c_len));
	pl = &m.m_chain.c_pl[i++];
	cr_assert_eq(pl->pl_type, IKEV1_PL_CR);
	cr_assert_eq(ikev1_cert_decode(pl->pl_body, pl->pl_len, &c), 0);
	cr_assert(c.c_enc == 4 && c.c_len == 0);
	pl = &m.m_chain.c_pl[i++];
	cr_assert(pl->pl_type == IKEV1_PL_SIG && pl->pl_len == 64 && !memcmp(pl->pl_body, sig, 64));
	pl = &m.m_chain.c_pl[i++];
	cr_assert(pl->pl_type == IKEV1_PL_NAT_D && pl->pl_len == 20 && !memcmp(pl->pl_body, natd, 20));
	for (int k = 0; k < 2; k++) {
		const struct ikev1_nat_oa *want = k ? &oa6 : &oa4;
		struct ikev1_nat_oa oa;

		pl = &m.m_chain.c_pl[i++];
		cr_assert_eq(pl->pl_type, IKEV1_PL_NAT_OA);
		cr_assert_eq(ikev1_nat_oa_decode(pl->pl_body, pl->pl_len, &oa), 0);
		cr_assert(oa.oa_type == want->oa_type && oa.oa_len == want->oa_len &&
			  !memcmp(oa.oa_addr, want->oa_addr, oa.oa_len));
	}
}

/* ---- errors ---- */

Test(ikev1_codec, header_errors)
{
	uint8_t b[sizeof(scapy_ke_nonce_vid)], *copy;
	struct ikev1_msg m;
	struct ikev1_hdr h;

	memcpy(b, scapy_ke_nonce_vid, sizeof(b));
	/* every truncation, each in a buffer of exactly that size */
	for (size_t n = 0; n < sizeof(b); n++) {
		cr_assert_eq(parse_exact(b, n, &m, &copy), -EINVAL, "len %zu", n);
		free(copy);
	}
	cr_assert_eq(ikev1_hdr_parse(b, IKEV1_HDR_LEN - 1, &h), -EINVAL);
	b[27]--; /* length field disagrees with the datagram */
	cr_assert_eq(ikev1_hdr_parse(b, sizeof(b), &h), -EINVAL);
	b[27]++;
	b[17] = 0x20; /* major 2 */
	cr_assert_eq(ikev1_hdr_parse(b, sizeof(b), &h), -EPROTONOSUPPORT);
	cr_assert_eq(h.h_major, 2);
	b[17] = 0x11; /* minor 1 is not an error */
	cr_assert_eq(ikev1_hdr_parse(b, sizeof(b), &h), 0);
	b[18] = 33; /* unknown exchange type */
	cr_assert_eq(ikev1_hdr_parse(b, sizeof(b), &h), -EOPNOTSUPP);
	cr_assert_eq(h.h_exchange, 33);
	b[18] = IKEV1_EXCH_AGGRESSIVE;
	cr_assert_eq(ikev1_hdr_parse(b, sizeof(b), &h), 0);
	b[19] = IKEV1_F_ENCRYPTION; /* the body stays opaque */
	cr_assert_eq(ikev1_msg_parse(b, sizeof(b), &m), 0);
	cr_assert_eq(m.m_chain.c_n, 0);
	cr_assert(m.m_enc == b + IKEV1_HDR_LEN && m.m_enc_len == sizeof(b) - IKEV1_HDR_LEN);
}

/* ---- fragments (strongSwan's and Cisco's scheme) ---- */

Test(ikev1_scapy, fragment_decode_and_encode)
{
	static const uint8_t ci[8] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	static const uint8_t cr[8] = { 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 };
	struct ikev1_hdr h = { .h_exchange = IKEV1_EXCH_IDPROT };
	uint8_t data[20], out[128];
	struct ikev1_frag f;
	struct ike_writer w;
	size_t n;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0xa0 + i);
	cr_assert_eq(ikev1_frag_parse(scapy_frag, sizeof(scapy_frag), &h, &f), 0);
	cr_expect_eq(h.h_next, IKEV1_PL_FRAG);
	cr_expect_eq(h.h_exchange, IKEV1_EXCH_IDPROT);
	cr_expect_eq(f.f_id, 0x0102);
	cr_expect_eq(f.f_num, 3);
	cr_expect(f.f_last);
	cr_assert_eq(f.f_len, sizeof(data));
	cr_expect_arr_eq(f.f_data, data, sizeof(data));

	memcpy(h.h_cky_i, ci, 8);
	memcpy(h.h_cky_r, cr, 8);
	ike_w_init(&w, out, sizeof(out));
	ikev1_w_hdr(&w, &h);
	ikev1_w_frag(&w, &(struct ikev1_frag){ .f_id = 0x0102, .f_num = 3, .f_last = true,
					       .f_data = data, .f_len = sizeof(data) });
	cr_assert_eq(ike_w_finish(&w, &n), 0);
	cr_assert_eq(n, sizeof(scapy_frag));
	cr_expect_arr_eq(out, scapy_frag, n, "our fragment is scapy's bytes");
}

/* scapy_frag with byte at set to v (the header's length kept). */
static int frag_with(size_t at, uint8_t v, size_t len)
{
	uint8_t b[sizeof(scapy_frag)];
	struct ikev1_frag f;
	struct ikev1_hdr h;

	memcpy(b, scapy_frag, sizeof(b));
	b[at] = v;
	return ikev1_frag_parse(b, len, &h, &f);
}

Test(ikev1_codec, fragment_errors)
{
	uint8_t b[sizeof(scapy_frag) + 4];
	struct ikev1_frag f;
	struct ikev1_hdr h;

	cr_assert_eq(frag_with(0, 0x01, sizeof(scapy_frag)), 0);
	for (size_t n = 0; n < sizeof(scapy_frag); n++)
		cr_expect_eq(frag_with(0, 0x01, n), -EINVAL, "truncated to %zu", n);
	cr_expect_eq(frag_with(16, IKEV1_PL_HASH, sizeof(scapy_frag)), -EINVAL,
		     "not a fragment");
	cr_expect_eq(frag_with(34, 0, sizeof(scapy_frag)), -EINVAL, "fragment number 0");
	cr_expect_eq(frag_with(28, IKEV1_PL_VID, sizeof(scapy_frag)), -EINVAL,
		     "a payload after it");
	cr_expect_eq(frag_with(31, 0x1b, sizeof(scapy_frag)), -EINVAL, "bytes after it");
	cr_expect_eq(frag_with(31, 0x1d, sizeof(scapy_frag)), -EINVAL, "past the datagram");
	cr_expect_eq(frag_with(31, 0x07, sizeof(scapy_frag)), -EINVAL, "shorter than its header");
	cr_expect_eq(frag_with(35, 0xfe, sizeof(scapy_frag)), 0, "other flags are ignored");
	cr_expect_eq(frag_with(19, IKEV1_F_ENCRYPTION, sizeof(scapy_frag)), 0,
		     "E is ignored (racoon sets it)");

	/* no data: header, 4-byte payload header and the 4 bytes of ID,
	 * number and flags only */
	memcpy(b, scapy_frag, 36);
	b[27] = 36;
	b[31] = 8;
	cr_expect_eq(ikev1_frag_parse(b, 36, &h, &f), -EINVAL, "zero length");
}

/* The KE message with byte at set to v and the header length kept. */
static int chain_with(size_t at, uint8_t v, struct ikev1_msg *m)
{
	uint8_t *copy;
	int rc;

	copy = malloc(sizeof(scapy_ke_nonce_vid));
	memcpy(copy, scapy_ke_nonce_vid, sizeof(scapy_ke_nonce_vid));
	copy[at] = v;
	rc = ikev1_msg_parse(copy, sizeof(scapy_ke_nonce_vid), m);
	free(copy);
	return rc;
}

Test(ikev1_codec, chain_errors)
{
	const size_t vid = sizeof(scapy_ke_nonce_vid) - 20; /* last payload */
	struct ikev1_msg m;
	struct ikev1_chain c;
	uint8_t pad[sizeof(scapy_ke_nonce_vid) + 3];

	/* the VID payload's length past the datagram */
	cr_assert_eq(chain_with(vid + 3, 21, &m), -EINVAL);
	/* zero-length and too short for a generic header */
	cr_assert_eq(chain_with(vid + 3, 0, &m), -EINVAL);
	cr_assert_eq(chain_with(vid + 3, 3, &m), -EINVAL);
	/* shorter than its bytes: trailing bytes in a cleartext message */
	cr_assert_eq(chain_with(vid + 3, 19, &m), -EINVAL);
	/* unknown next payload: INVALID-PAYLOAD-TYPE with the type */
	cr_assert_eq(chain_with(vid, 99, &m), -EPROTO);
	cr_assert_eq(m.m_chain.c_unknown, 99);
	cr_assert_eq(chain_with(16, 15, &m), -EPROTO);
	cr_assert_eq(m.m_chain.c_unknown, 15);
	/* a proposal payload outside an SA */
	cr_assert_eq(chain_with(vid, IKEV1_PL_P, &m), -EPROTO);
	cr_assert_eq(m.m_chain.c_unknown, IKEV1_PL_P);
	/* a next payload announced after the last one */
	cr_assert_eq(chain_with(vid, IKEV1_PL_NONCE, &m), -EINVAL);
	/* padding allowed only where asked for (a decrypted body) */
	memcpy(pad, scapy_ke_nonce_vid, sizeof(scapy_ke_nonce_vid));
	memset(pad + sizeof(scapy_ke_nonce_vid), 0, 3);
	cr_assert_eq(ikev1_chain_parse(IKEV1_PL_KE, pad + IKEV1_HDR_LEN,
				       sizeof(pad) - IKEV1_HDR_LEN, false, &c), -EINVAL);
	cr_assert_eq(ikev1_chain_parse(IKEV1_PL_KE, pad + IKEV1_HDR_LEN,
				       sizeof(pad) - IKEV1_HDR_LEN, true, &c), 0);
	cr_assert_eq(c.c_n, 3);
	cr_assert_eq(c.c_trailing, 3);
}

/* The SA body of scapy_idprot_sa, byte at (from the body) set to v. */
static int sa_with(size_t at, uint8_t v, size_t len_cut)
{
	const size_t body = IKEV1_HDR_LEN + 4;
	size_t len = sizeof(scapy_idprot_sa) - body - len_cut;
	uint8_t *copy = malloc(len);
	struct ikev1_sa sa;
	int rc;

	memcpy(copy, scapy_idprot_sa + body, len);
	if (at < len)
		copy[at] = v;
	rc = ikev1_sa_decode(copy, len, &sa);
	free(copy);
	return rc;
}

Test(ikev1_codec, sa_errors)
{
	/* body: DOI(4) SIT(4) | P: next res len(2) num proto spisz ntrans |
	 * T1 at 16: next res len(2) num id res(2) | attrs at 24 */
	cr_assert_eq(sa_with(SIZE_MAX, 0, 0), 0);
	for (size_t cut = 1; cut < sizeof(scapy_idprot_sa) - IKEV1_HDR_LEN - 4; cut++)
		cr_assert_eq(sa_with(SIZE_MAX, 0, cut), -EINVAL, "cut %zu", cut);
	cr_assert_eq(sa_with(7, 0x02, 0), -EOPNOTSUPP);  /* SIT_SECRECY */
	cr_assert_eq(sa_with(15, 3, 0), -EINVAL);  /* ntrans 3 for 2 */
	cr_assert_eq(sa_with(15, 0, 0), -EINVAL);  /* ntrans 0 */
	cr_assert_eq(sa_with(8, IKEV1_PL_P, 0), -EINVAL); /* another P promised */
	cr_assert_eq(sa_with(8, IKEV1_PL_T, 0), -EINVAL); /* wrong type */
	cr_assert_eq(sa_with(11, 0x54, 0), -EINVAL); /* P longer than SA */
	cr_assert_eq(sa_with(11, 0x52, 0), -EINVAL); /* P shorter: bytes after */
	cr_assert_eq(sa_with(16, IKEV1_PL_NONE, 0), -EINVAL); /* T1 claims last */
	cr_assert_eq(sa_with(19, 0x28, 0), -EINVAL); /* T1 into T2, attr split */
	cr_assert_eq(sa_with(19, 0x03, 0), -EINVAL); /* T1 shorter than its header */
	cr_assert_eq(sa_with(24 + 24 + 3, 0x04, 0), -EINVAL); /* TLV past T1 */
}

Test(ikev1_codec, body_errors)
{
	struct ikev1_id id;
	struct ikev1_notify n;
	struct ikev1_delete d;
	struct ikev1_nat_oa oa;
	const uint8_t id5[] = { IKEV1_ID_IPV4_ADDR, 0, 0, 0, 1, 2, 3, 4, 5 };
	const uint8_t idf[] = { IKEV1_ID_FQDN, 0, 0, 0 };
	const uint8_t id99[] = { 99, 0, 0, 0, 1 };
	const uint8_t nshort[] = { 0, 0, 0, 1, 1, 16, 0, 24, 1, 2 };
	const uint8_t dbad[] = { 0, 0, 0, 1, 3, 4, 0, 2, 1, 2, 3, 4, 5, 6, 7 };
	const uint8_t dzero[] = { 0, 0, 0, 1, 3, 4, 0, 0 };
	const uint8_t oa_bad[] = { IKEV1_ID_FQDN, 0, 0, 0, 1, 2, 3, 4 };
	const uint8_t oa_len[] = { IKEV1_ID_IPV4_ADDR, 0, 0, 0, 1, 2, 3 };

	cr_assert_eq(ikev1_id_decode(id5, sizeof(id5), &id), -EINVAL);
	cr_assert_eq(ikev1_id_decode(id5, 3, &id), -EINVAL);
	cr_assert_eq(ikev1_id_decode(idf, sizeof(idf), &id), -EINVAL);
	cr_assert_eq(ikev1_id_decode(id99, sizeof(id99), &id), -EOPNOTSUPP);
	cr_assert_eq(ikev1_notify_decode(nshort, sizeof(nshort), &n), -EINVAL);
	cr_assert_eq(ikev1_notify_decode(nshort, 7, &n), -EINVAL);
	cr_assert_eq(ikev1_delete_decode(dbad, sizeof(dbad), &d), -EINVAL);
	cr_assert_eq(ikev1_delete_decode(dzero, sizeof(dzero), &d), -EINVAL);
	cr_assert_eq(ikev1_nat_oa_decode(oa_bad, sizeof(oa_bad), &oa), -EINVAL);
	cr_assert_eq(ikev1_nat_oa_decode(oa_len, sizeof(oa_len), &oa), -EINVAL);
	cr_assert_eq(ikev1_data_check(IKEV1_PL_KE, 0), -EINVAL);
	cr_assert_eq(ikev1_data_check(IKEV1_PL_NONCE, 7), -EINVAL);
	cr_assert_eq(ikev1_data_check(IKEV1_PL_NONCE, 257), -EINVAL);
	cr_assert_eq(ikev1_data_check(IKEV1_PL_NONCE, 256), 0);
}

Test(ikev1_codec, writer_errors)
{
	struct ikev1_hdr h = hdr(cky_i, cky_r, IKEV1_EXCH_IDPROT, 0);
	const struct ikev1_attr bad = { .a_type = 0x8001, .a_tv = true };
	const struct ikev1_xform_spec x = { 1, 1, &bad, 1 };
	const struct ikev1_prop_spec p = { 1, 1, NULL, 0, &x, 1 };
	const struct ikev1_prop_spec p0 = { 1, 1, NULL, 0, &x, 0 };
	uint8_t buf[64];
	struct ike_writer w;
	size_t len;

	ike_w_init(&w, buf, sizeof(buf));
	ikev1_w_hdr(&w, &h);
	ikev1_w_sa(&w, 1, 1, &p, 1);
	cr_assert_eq(ike_w_finish(&w, &len), -EINVAL);
	ike_w_init(&w, buf, sizeof(buf));
	ikev1_w_sa(&w, 1, 1, &p0, 1);
	cr_assert_eq(ike_w_finish(&w, &len), -EINVAL);
	ike_w_init(&w, buf, 40);
	ikev1_w_hdr(&w, &h);
	ikev1_w_data(&w, IKEV1_PL_NONCE, buf, 32);
	cr_assert_eq(ike_w_finish(&w, &len), -EMSGSIZE);
}

/* ---- key schedule ---- */

/* RFC 2409 §5 by hand with HMAC(): the PSK and signature SKEYIDs and
 * the three children, for SHA-256. */
Test(ikev1_keys, against_hmac_sha256)
{
	const uint8_t psk[] = "a pre-shared key";
	uint8_t ni[16], nr[24], gxy[96], nn[40], buf[256];
	uint8_t mine[32], ref[32], prev[32];
	unsigned rl;
	struct ikev1_keys k;

	for (unsigned i = 0; i < sizeof(gxy); i++)
		gxy[i] = (uint8_t)(i * 7 + 1);
	memset(ni, 0x11, sizeof(ni));
	memset(nr, 0x22, sizeof(nr));
	memcpy(nn, ni, sizeof(ni));
	memcpy(nn + sizeof(ni), nr, sizeof(nr));
	cr_assert_eq(ikev1_skeyid_psk(IKE_PRF_HMAC_SHA2_256, psk, sizeof(psk) - 1,
				      ni, sizeof(ni), nr, sizeof(nr), mine), 0);
	HMAC(EVP_sha256(), psk, sizeof(psk) - 1, nn, sizeof(nn), ref, &rl);
	cr_assert_arr_eq(mine, ref, 32);
	cr_assert_eq(ikev1_skeyid_sig(IKE_PRF_HMAC_SHA2_256, ni, sizeof(ni),
				      nr, sizeof(nr), gxy, sizeof(gxy), mine), 0);
	HMAC(EVP_sha256(), nn, sizeof(nn), gxy, sizeof(gxy), ref, &rl);
	cr_assert_arr_eq(mine, ref, 32);
	cr_assert_eq(ikev1_keys_derive(IKE_PRF_HMAC_SHA2_256, mine, gxy, sizeof(gxy),
				       cky_i, cky_r, &k), 0);
	for (uint8_t n = 0; n < 3; n++) {
		size_t at = 0;

		if (n) {
			memcpy(buf, prev, 32);
			at = 32;
		}
		memcpy(buf + at, gxy, sizeof(gxy));
		memcpy(buf + at + sizeof(gxy), cky_i, 8);
		memcpy(buf + at + sizeof(gxy) + 8, cky_r, 8);
		buf[at + sizeof(gxy) + 16] = n;
		HMAC(EVP_sha256(), mine, 32, buf, at + sizeof(gxy) + 17, prev, &rl);
		cr_assert_arr_eq(n == 0 ? k.k_skeyid_d : n == 1 ? k.k_skeyid_a : k.k_skeyid_e,
				 prev, 32, "child %u", n);
	}
	cr_assert_eq(ikev1_keys_derive(IKE_PRF_AES128_XCBC, mine, gxy, 1, cky_i, cky_r, &k),
		     -ENOTSUP);
}

/* NIST ACVP kdf-components-IKEv1 (ikev1_acvp_vectors.h): SKEYID from
 * the nonces and g^xy (signatures) or the pre-shared key, then
 * SKEYID_d/a/e from it, each equal to the published value. */
static size_t acvp_unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	for (; s[0] != '\0'; s += 2) {
		cr_assert(n < max, "hex string too long");
		cr_assert(s[1] != '\0' && sscanf(s, "%2x", &v) == 1, "bad hex: %.8s", s);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void acvp_expect(const uint8_t *got, size_t len, const char *hex,
			const struct ikev1_acvp_case *c, const char *what)
{
	uint8_t want[IKE_PRF_MAX];

	cr_assert_eq(acvp_unhex(hex, want, sizeof(want)), len, "tcId %u %s: length",
		     c->ac_tc, what);
	cr_expect_arr_eq(got, want, len, "tcId %u: %s", c->ac_tc, what);
}

static void acvp_run(bool psk)
{
	static uint8_t ni[256], nr[256], gxy[1024], key[256];
	uint8_t ci[IKEV1_COOKIE_LEN], cr[IKEV1_COOKIE_LEN], skeyid[IKE_PRF_MAX];
	struct ikev1_keys k;
	unsigned ran = 0;

	for (size_t i = 0; i < N(ikev1_acvp_cases); i++) {
		const struct ikev1_acvp_case *c = &ikev1_acvp_cases[i];
		size_t nil, nrl, gl, hl = ike_prf_len(c->ac_prf);

		if (c->ac_psk != psk)
			continue;
		nil = acvp_unhex(c->ac_ni, ni, sizeof(ni));
		nrl = acvp_unhex(c->ac_nr, nr, sizeof(nr));
		gl = acvp_unhex(c->ac_gxy, gxy, sizeof(gxy));
		cr_assert_eq(acvp_unhex(c->ac_cky_i, ci, sizeof(ci)), IKEV1_COOKIE_LEN);
		cr_assert_eq(acvp_unhex(c->ac_cky_r, cr, sizeof(cr)), IKEV1_COOKIE_LEN);
		if (psk) {
			size_t kl = acvp_unhex(c->ac_key, key, sizeof(key));

			cr_assert_eq(ikev1_skeyid_psk(c->ac_prf, key, kl, ni, nil, nr, nrl,
						      skeyid), 0, "tcId %u", c->ac_tc);
		} else {
			cr_assert_eq(ikev1_skeyid_sig(c->ac_prf, ni, nil, nr, nrl, gxy, gl,
						      skeyid), 0, "tcId %u", c->ac_tc);
		}
		acvp_expect(skeyid, hl, c->ac_skeyid, c, "SKEYID");
		cr_assert_eq(ikev1_keys_derive(c->ac_prf, skeyid, gxy, gl, ci, cr, &k),
			     0, "tcId %u", c->ac_tc);
		cr_assert_eq(k.k_len, hl, "tcId %u", c->ac_tc);
		acvp_expect(k.k_skeyid, hl, c->ac_skeyid, c, "k_skeyid");
		acvp_expect(k.k_skeyid_d, hl, c->ac_skeyid_d, c, "SKEYID_d");
		acvp_expect(k.k_skeyid_a, hl, c->ac_skeyid_a, c, "SKEYID_a");
		acvp_expect(k.k_skeyid_e, hl, c->ac_skeyid_e, c, "SKEYID_e");
		ran++;
	}
	cr_assert_eq(ran, 6, "cases run");
}

Test(ikev1_acvp, psk)
{
	acvp_run(true);
}

Test(ikev1_acvp, signatures)
{
	acvp_run(false);
}

/* App. B: K = K1 | K2 | ..., K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, K(n-1)). */
Test(ikev1_keys, key_lengthening)
{
	uint8_t e[20], key[64], k1[20], k2[20], k3[20], k4[20], ref[64];
	const uint8_t zero = 0;
	unsigned rl;

	for (unsigned i = 0; i < sizeof(e); i++)
		e[i] = (uint8_t)(0xe0 + i);
	HMAC(EVP_sha1(), e, sizeof(e), &zero, 1, k1, &rl);
	HMAC(EVP_sha1(), e, sizeof(e), k1, 20, k2, &rl);
	HMAC(EVP_sha1(), e, sizeof(e), k2, 20, k3, &rl);
	HMAC(EVP_sha1(), e, sizeof(e), k3, 20, k4, &rl);
	memcpy(ref, k1, 20);
	memcpy(ref + 20, k2, 20);
	memcpy(ref + 40, k3, 20);
	memcpy(ref + 60, k4, 4);
	/* AES-256 from SHA-1: 32 of 40 bytes */
	cr_assert_eq(ikev1_enc_key(IKE_PRF_HMAC_SHA1, e, sizeof(e), key, 32), 0);
	cr_assert_arr_eq(key, ref, 32);
	cr_assert_eq(ikev1_enc_key(IKE_PRF_HMAC_SHA1, e, sizeof(e), key, 64), 0);
	cr_assert_arr_eq(key, ref, 64);
	/* enough as it is: the first bytes of SKEYID_e, unlengthened */
	cr_assert_eq(ikev1_enc_key(IKE_PRF_HMAC_SHA1, e, sizeof(e), key, 16), 0);
	cr_assert_arr_eq(key, e, 16);
	cr_assert_eq(ikev1_enc_key(IKE_PRF_HMAC_SHA1, e, sizeof(e), key, 20), 0);
	cr_assert_arr_eq(key, e, 20);
	cr_assert_eq(ikev1_enc_key(IKE_PRF_HMAC_SHA1, e, 19, key, 32), -EINVAL);
}

/* App. B: IV = hash(g^xi | g^xr) and hash(last block | M-ID), truncated. */
Test(ikev1_keys, ivs)
{
	uint8_t gxi[64], gxr[64], both[128], d[64], iv[16];
	const uint8_t last[16] = { 0xde, 0xad, [15] = 0xef };
	uint8_t lm[20];
	unsigned dl;

	memset(gxi, 0x5a, sizeof(gxi));
	memset(gxr, 0xa5, sizeof(gxr));
	memcpy(both, gxi, 64);
	memcpy(both + 64, gxr, 64);
	EVP_Digest(both, sizeof(both), d, &dl, EVP_sha256(), NULL);
	cr_assert_eq(ikev1_iv_phase1(IKE_PRF_HMAC_SHA2_256, gxi, 64, gxr, 64, iv, 16), 0);
	cr_assert_arr_eq(iv, d, 16);
	EVP_Digest(both, sizeof(both), d, &dl, EVP_sha1(), NULL);
	cr_assert_eq(ikev1_iv_phase1(IKE_PRF_HMAC_SHA1, gxi, 64, gxr, 64, iv, 8), 0);
	cr_assert_arr_eq(iv, d, 8);
	memcpy(lm, last, 16);
	lm[16] = 0x89;
	lm[17] = 0xab;
	lm[18] = 0xcd;
	lm[19] = 0xef;
	EVP_Digest(lm, sizeof(lm), d, &dl, EVP_sha1(), NULL);
	cr_assert_eq(ikev1_iv_phase2(IKE_PRF_HMAC_SHA1, last, 16, 0x89abcdef, iv), 0);
	cr_assert_arr_eq(iv, d, 16);
	cr_assert_eq(ikev1_iv_phase1(IKE_PRF_HMAC_SHA1, gxi, 64, gxr, 64, iv, 21), -EINVAL);
	cr_assert_eq(ikev1_iv_phase1(IKE_PRF_AES128_XCBC, gxi, 64, gxr, 64, iv, 16), -ENOTSUP);
}

/* RESPONDER-LIFETIME's data (RFC 2407 §4.6.3.1): SA Life Type seconds,
 * then SA Life Duration, TV when it fits 16 bits, else a 4-byte TLV
 * (RFC 2408 §3.3; RFC 2407 §4.5: classes 1 and 2). */
Test(ikev1_attrs, responder_lifetime)
{
	static const uint8_t tv[] = { 0x80, 0x01, 0x00, 0x01, 0x80, 0x02, 0x00, 0x0c };
	static const uint8_t tlv[] = { 0x80, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x04,
				       0x00, 0x01, 0x51, 0x80 };
	static const uint8_t kb_only[] = { 0x80, 0x01, 0x00, 0x02, 0x80, 0x02, 0x10, 0x00 };
	uint8_t out[16];

	cr_assert_eq(ikev1_life_attrs(12, out, sizeof(out)), sizeof(tv));
	cr_expect_arr_eq(out, tv, sizeof(tv));
	cr_assert_eq(ikev1_life_attrs(86400, out, sizeof(out)), sizeof(tlv));
	cr_expect_arr_eq(out, tlv, sizeof(tlv));
	cr_expect_eq(ikev1_life_attrs(86400, out, 8), 0, "too small: nothing");
	cr_expect_eq(ikev1_life_attrs_s(tv, sizeof(tv)), 12);
	cr_expect_eq(ikev1_life_attrs_s(tlv, sizeof(tlv)), 86400);
	cr_expect_eq(ikev1_life_attrs_s(kb_only, sizeof(kb_only)), 0, "kilobytes are not seconds");
	cr_expect_eq(ikev1_life_attrs_s(tlv, 7), 0, "truncated");
}

/* ---- the Attribute payload (draft-dukes-ike-mode-cfg-02 §3.2) ---- */

/* An Attribute payload's body as bytes: type, reserved, identifier,
 * then the attributes given. */
static size_t attr_body(uint8_t *out, uint8_t type, const uint8_t *attrs, size_t len)
{
	out[0] = type;
	out[1] = 0;
	out[2] = 0xbe;
	out[3] = 0xef;
	if (len)
		memcpy(out + 4, attrs, len);
	return 4 + len;
}

/* A REQUEST as an XAUTH server sends it and a REPLY with an address,
 * written by ikev1_w_cfg and read back, byte for byte as the draft has
 * them: TV for XAUTH_TYPE (AF bit), empty TLVs, a 4-byte address. */
Test(ikev1_cfg, encode_and_decode_round_trip)
{
	static const uint8_t want[] = {
		0x00, 0x00, 0x00, 0x1c,             /* generic header: last, 28 bytes */
		0x01, 0x00, 0x12, 0x34,             /* REQUEST, reserved, identifier */
		0xc0, 0x88, 0x00, 0x00,             /* XAUTH_TYPE (16520 | AF) = generic */
		0x40, 0x89, 0x00, 0x00,             /* XAUTH_USER_NAME, empty */
		0x40, 0x8a, 0x00, 0x00,             /* XAUTH_USER_PASSWORD, empty */
		0x00, 0x01, 0x00, 0x04, 198, 18, 3, 7, /* INTERNAL_IP4_ADDRESS */
	};
	static const uint8_t addr[4] = { 198, 18, 3, 7 };
	struct ikev1_cfg_pl cp = {
		.cp_type = IKEV1_CFG_REQUEST, .cp_id = 0x1234, .cp_n = 4,
		.cp_attr = {
			{ .a_type = IKEV1_CA_XAUTH_TYPE, .a_tv = true, .a_val = 0 },
			{ .a_type = IKEV1_CA_XAUTH_USER_NAME },
			{ .a_type = IKEV1_CA_XAUTH_USER_PASSWORD },
			{ .a_type = IKEV1_CA_INTERNAL_IP4_ADDRESS, .a_data = addr, .a_len = 4 },
		},
	};
	struct ikev1_cfg_pl back;
	struct ike_writer w;
	uint8_t buf[64];
	size_t n;

	ike_w_init(&w, buf, sizeof(buf));
	ikev1_w_cfg(&w, &cp);
	cr_assert_eq(ike_w_finish(&w, &n), 0);
	cr_assert_eq(n, sizeof(want));
	cr_assert_arr_eq(buf, want, sizeof(want));
	cr_assert_eq(ikev1_cfg_decode(buf + 4, n - 4, &back), 0);
	cr_expect_eq(back.cp_type, IKEV1_CFG_REQUEST);
	cr_expect_eq(back.cp_id, 0x1234);
	cr_assert_eq(back.cp_n, 4);
	cr_expect(back.cp_attr[0].a_tv && back.cp_attr[0].a_type == IKEV1_CA_XAUTH_TYPE);
	cr_expect(!back.cp_attr[1].a_tv && back.cp_attr[1].a_len == 0);
	cr_expect_eq(back.cp_attr[3].a_len, 4);
	cr_expect_arr_eq(back.cp_attr[3].a_data, addr, 4);
	cr_expect_eq(ikev1_cfg_find(&back, IKEV1_CA_XAUTH_USER_PASSWORD), &back.cp_attr[2]);
	cr_expect_null(ikev1_cfg_find(&back, IKEV1_CA_UNITY_BANNER));
}

/* Everything short or past its container is -EINVAL, never read. */
Test(ikev1_cfg, malformed_bodies_are_refused)
{
	static const uint8_t tlv_past[] = { 0x00, 0x01, 0x00, 0x05, 1, 2, 3, 4 };
	static const uint8_t half_hdr[] = { 0x80, 0x01 };
	static const uint8_t ok_tv[] = { 0x80, 0x01, 0x00, 0x01 };
	struct ikev1_cfg_pl cp;
	uint8_t b[4 + 4 * (IKEV1_CFG_ATTRS_MAX + 1)] = { 0 };
	size_t n;

	cr_expect_eq(ikev1_cfg_decode(b, 0, &cp), -EINVAL);
	n = attr_body(b, IKEV1_CFG_REPLY, NULL, 0);
	cr_expect_eq(ikev1_cfg_decode(b, 3, &cp), -EINVAL, "fixed part cut");
	cr_expect_eq(ikev1_cfg_decode(b, n, &cp), 0, "no attributes is a valid ACK");
	cr_expect_eq(cp.cp_n, 0);
	cr_expect_eq(cp.cp_id, 0xbeef);
	n = attr_body(b, IKEV1_CFG_REPLY, tlv_past, sizeof(tlv_past));
	cr_expect_eq(ikev1_cfg_decode(b, n, &cp), -EINVAL, "TLV past the body");
	n = attr_body(b, IKEV1_CFG_REPLY, half_hdr, sizeof(half_hdr));
	cr_expect_eq(ikev1_cfg_decode(b, n, &cp), -EINVAL, "half an attribute header");
	for (uint8_t t = 0; t < 8; t += 5) {
		n = attr_body(b, t, ok_tv, sizeof(ok_tv));
		cr_expect_eq(ikev1_cfg_decode(b, n, &cp), -EINVAL, "type %u", t);
	}
	attr_body(b, IKEV1_CFG_REPLY, NULL, 0);
	for (unsigned i = 0; i <= IKEV1_CFG_ATTRS_MAX; i++)
		memcpy(b + 4 + 4 * i, ok_tv, 4);
	cr_expect_eq(ikev1_cfg_decode(b, 4 + 4 * IKEV1_CFG_ATTRS_MAX, &cp), 0);
	cr_expect_eq(cp.cp_n, IKEV1_CFG_ATTRS_MAX);
	cr_expect_eq(ikev1_cfg_decode(b, sizeof(b), &cp), -EINVAL, "one attribute too many");
}
