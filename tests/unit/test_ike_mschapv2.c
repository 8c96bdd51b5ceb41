/* SPDX-License-Identifier: BSD-3-Clause */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ike_mschapv2.h"

/*
 * Known answers for lib/ike/ike_mschapv2.c, none computed with this code:
 *  - RFC 2759 §9.2 (UserName "User", Password "clientPass"): the
 *    challenge hash, PasswordHash, NT-Response, PasswordHashHash and
 *    the authenticator response;
 *  - RFC 3079 §3.5.3 (the same exchange, 128-bit keys): MasterKey and
 *    SendStartKey128, the server's send key (Magic3; the client's
 *    receive key), the MSK's second 16 octets. The first 16, the
 *    server's receive key (Magic2), from python3:
 *      hashlib.sha1(MasterKey + bytes(40) + b"On the client side, this
 *      is the send key; on the server side, it is the receive key." +
 *      b"\xf2" * 40).digest()[:16]
 *  - A password past U+FFFF: MD4 of its UTF-16LE form as python3's
 *    str.encode('utf-16-le') and `openssl dgst -md4 -provider legacy`
 *    make it.
 */

static const uint8_t auth_chal[16] = { 0x5B, 0x5D, 0x7C, 0x7D, 0x7B, 0x3F, 0x2F, 0x3E,
				       0x3C, 0x2C, 0x60, 0x21, 0x32, 0x26, 0x26, 0x28 };
static const uint8_t peer_chal[16] = { 0x21, 0x40, 0x23, 0x24, 0x25, 0x5E, 0x26, 0x2A,
				       0x28, 0x29, 0x5F, 0x2B, 0x3A, 0x33, 0x7C, 0x7E };
static const uint8_t chal_hash[8] = { 0xD0, 0x2E, 0x43, 0x86, 0xBC, 0xE9, 0x12, 0x26 };
static const uint8_t pw_hash[16] = { 0x44, 0xEB, 0xBA, 0x8D, 0x53, 0x12, 0xB8, 0xD6,
				     0x11, 0x47, 0x44, 0x11, 0xF5, 0x69, 0x89, 0xAE };
static const uint8_t nt_resp[24] = { 0x82, 0x30, 0x9E, 0xCD, 0x8D, 0x70, 0x8B, 0x5E,
				     0xA0, 0x8F, 0xAA, 0x39, 0x81, 0xCD, 0x83, 0x54,
				     0x42, 0x33, 0x11, 0x4A, 0x3D, 0x85, 0xD6, 0xDF };
static const uint8_t pw_hash_hash[16] = { 0x41, 0xC0, 0x0C, 0x58, 0x4B, 0xD2, 0xD9, 0x1C,
					  0x40, 0x17, 0xA2, 0xA1, 0x2F, 0xA5, 0x9F, 0x3F };
static const char auth_resp[] = "S=407A5589115FD0D6209F510FE9C04566932CDA56";
static const uint8_t master_key[16] = { 0xFD, 0xEC, 0xE3, 0x71, 0x7A, 0x8C, 0x83, 0x8C,
					0xB3, 0x88, 0xE5, 0x27, 0xAE, 0x3C, 0xDD, 0x31 };
static const uint8_t server_recv_128[16] = { 0xD5, 0xF0, 0xE9, 0x52, 0x1E, 0x3E, 0xA9, 0x58,
					     0x96, 0x45, 0xE8, 0x60, 0x51, 0xC8, 0x22, 0x26 };
static const uint8_t send_start_128[16] = { 0x8B, 0x7C, 0xDC, 0x14, 0x9B, 0x99, 0x3A, 0x1B,
					    0xA1, 0x18, 0xCB, 0x15, 0x3F, 0x56, 0xDC, 0xCB };

Test(mschapv2, legacy_provider_loads)
{
	cr_assert_eq(ike_mschap_available(), 0, "OpenSSL's legacy provider (MD4, DES) must load");
}

Test(mschapv2, rfc2759_nt_password_hash)
{
	uint8_t h[16];

	cr_assert_eq(ike_mschap_nt_hash("clientPass", 10, h), 0);
	cr_assert_arr_eq(h, pw_hash, 16);
}

Test(mschapv2, rfc2759_challenge_hash)
{
	uint8_t h[8];

	cr_assert_eq(ike_mschap_challenge_hash(peer_chal, auth_chal, "User", 4, h), 0);
	cr_assert_arr_eq(h, chal_hash, 8);
	/* §8.2: a domain before a backslash is not hashed */
	memset(h, 0, sizeof(h));
	cr_assert_eq(ike_mschap_challenge_hash(peer_chal, auth_chal, "CORP\\User", 9, h), 0);
	cr_assert_arr_eq(h, chal_hash, 8);
	/* the order of the challenges matters */
	cr_assert_eq(ike_mschap_challenge_hash(auth_chal, peer_chal, "User", 4, h), 0);
	cr_assert_arr_neq(h, chal_hash, 8);
}

Test(mschapv2, rfc2759_nt_response)
{
	uint8_t r[24];

	cr_assert_eq(ike_mschap_nt_response(chal_hash, pw_hash, r), 0);
	cr_assert_arr_eq(r, nt_resp, 24);
}

Test(mschapv2, rfc2759_authenticator_response)
{
	char s[IKE_MSCHAP_AUTH_RESPONSE_LEN + 1];

	cr_assert_eq(ike_mschap_auth_response(pw_hash, nt_resp, chal_hash, s), 0);
	cr_assert_str_eq(s, auth_resp);
}

Test(mschapv2, rfc3079_master_and_start_keys)
{
	uint8_t k[16];

	cr_assert_eq(ike_mschap_master_key(pw_hash_hash, nt_resp, k), 0);
	cr_assert_arr_eq(k, master_key, 16);
	/* the server's send key is the client's receive key */
	cr_assert_eq(ike_mschap_start_key(master_key, true, true, k), 0);
	cr_assert_arr_eq(k, send_start_128, 16);
	cr_assert_eq(ike_mschap_start_key(master_key, false, false, k), 0);
	cr_assert_arr_eq(k, send_start_128, 16);
	/* and the other direction */
	cr_assert_eq(ike_mschap_start_key(master_key, false, true, k), 0);
	cr_assert_arr_eq(k, server_recv_128, 16);
	cr_assert_eq(ike_mschap_start_key(master_key, true, false, k), 0);
	cr_assert_arr_eq(k, server_recv_128, 16);
}

/* As strongSwan's eap-mschapv2 makes it: receive key, send key, zeros. */
Test(mschapv2, msk_is_receive_send_and_zeros)
{
	uint8_t msk[64], zero[32] = { 0 };

	cr_assert_eq(ike_mschap_msk(pw_hash, nt_resp, msk), 0);
	cr_assert_arr_eq(msk, server_recv_128, 16);
	cr_assert_arr_eq(msk + 16, send_start_128, 16);
	cr_assert_arr_eq(msk + 32, zero, 32);
}

static struct ike_mschap_check rfc_check(const char *password)
{
	return (struct ike_mschap_check){
		.password = password, .password_len = strlen(password),
		.user = "User", .user_len = 4,
		.auth_challenge = auth_chal, .peer_challenge = peer_chal,
		.nt_response = nt_resp,
	};
}

Test(mschapv2, verify_right_password)
{
	struct ike_mschap_check c = rfc_check("clientPass");
	char s[IKE_MSCHAP_AUTH_RESPONSE_LEN + 1] = "";
	uint8_t msk[64];

	cr_assert_eq(ike_mschap_verify(&c, s, msk), 0);
	cr_assert_str_eq(s, auth_resp);
	cr_assert_arr_eq(msk, server_recv_128, 16);
	cr_assert_arr_eq(msk + 16, send_start_128, 16);
}

Test(mschapv2, verify_refuses_wrong_password_user_or_response)
{
	struct ike_mschap_check c = rfc_check("clientPasS");
	char s[IKE_MSCHAP_AUTH_RESPONSE_LEN + 1] = "";
	uint8_t msk[64], bad[24];

	cr_assert_eq(ike_mschap_verify(&c, s, msk), -EACCES);
	cr_assert_str_eq(s, "", "no authenticator response for a wrong password");
	c = rfc_check("clientPass");
	c.user = "Usr";
	c.user_len = 3;
	cr_assert_eq(ike_mschap_verify(&c, s, msk), -EACCES);
	for (unsigned i = 0; i < sizeof(bad); i++) {
		c = rfc_check("clientPass");
		memcpy(bad, nt_resp, sizeof(bad));
		bad[i] ^= 0x01;
		c.nt_response = bad;
		cr_assert_eq(ike_mschap_verify(&c, s, msk), -EACCES, "octet %u flipped", i);
	}
}

Test(mschapv2, password_utf16le)
{
	static const uint8_t want[16] = { 0x5b, 0x70, 0x60, 0xda, 0xae, 0x59, 0x22, 0x2b,
					  0x1a, 0x5f, 0x50, 0x6f, 0x0d, 0xcd, 0xde, 0x10 };
	const char *pw = "\xc3\xa9\xf0\x9f\x98\x80"; /* U+00E9 U+1F600 */
	uint8_t h[16];

	cr_assert_eq(ike_mschap_nt_hash(pw, strlen(pw), h), 0);
	cr_assert_arr_eq(h, want, 16);
}

Test(mschapv2, password_not_utf8_or_too_long)
{
	static const char *bad[] = { "\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80" };
	char longpw[258];
	uint8_t h[16];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(ike_mschap_nt_hash(bad[i], strlen(bad[i]), h), -EINVAL, "case %u", i);
	memset(longpw, 'a', sizeof(longpw));
	cr_assert_eq(ike_mschap_nt_hash(longpw, 256, h), 0);
	cr_assert_eq(ike_mschap_nt_hash(longpw, 257, h), -EINVAL);
}
