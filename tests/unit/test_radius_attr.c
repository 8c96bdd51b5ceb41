/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RADIUS attribute mapping (app/radius_attr.c): EAP-Message split and
 * join (RFC 3579 §3.1) and MS-MPPE-Send/Recv-Key decryption (RFC 2548
 * §2.4.2), against a vector made apart from this code: Python's hashlib
 * following RFC 2548's encryption steps (the script is below).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include "radius_attr.h"

/*
 * import hashlib
 * secret = b"radius-shared-secret"; R = bytes(range(0x10, 0x20)); salt = bytes([0x81, 0x23])
 * key = bytes((i * 7 + 3) & 0xff for i in range(32))
 * P = bytes([len(key)]) + key; P += b"\0" * ((-len(P)) % 16)
 * out, prev = b"", R + salt
 * for i in range(0, len(P), 16):
 *     b = hashlib.md5(secret + prev).digest()
 *     c = bytes(x ^ y for x, y in zip(P[i:i + 16], b)); out += c; prev = c
 * value = salt + out
 */
static const char secret[] = "radius-shared-secret";
static const uint8_t vector[16] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
				    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };
static const uint8_t value[50] = {
	0x81, 0x23, 0x3e, 0x99, 0x3d, 0x90, 0xdd, 0x33, 0x96, 0xd2, 0x03, 0xe6, 0xc0, 0x18, 0xca,
	0x66, 0xa5, 0xa1, 0x13, 0x7e, 0x76, 0x2b, 0x67, 0x81, 0x09, 0x07, 0x7f, 0x83, 0x42, 0x6e,
	0xb9, 0x92, 0x69, 0x2b, 0x12, 0xe0, 0x4a, 0x23, 0x37, 0x66, 0xb3, 0x9b, 0x41, 0x6b, 0xdb,
	0x03, 0x5e, 0xdb, 0x59, 0xf1,
};
static const uint8_t key[32] = {
	0x03, 0x0a, 0x11, 0x18, 0x1f, 0x26, 0x2d, 0x34, 0x3b, 0x42, 0x49, 0x50, 0x57, 0x5e, 0x65, 0x6c,
	0x73, 0x7a, 0x81, 0x88, 0x8f, 0x96, 0x9d, 0xa4, 0xab, 0xb2, 0xb9, 0xc0, 0xc7, 0xce, 0xd5, 0xdc,
};

Test(radius_attr, mppe_key_decrypts_to_the_rfc2548_vector)
{
	uint8_t out[RADIUS_MPPE_KEY_MAX];
	size_t len = 0;

	cr_assert_eq(radius_mppe_decrypt(value, sizeof(value), secret, strlen(secret), vector, out,
					 sizeof(out), &len), 0);
	cr_assert_eq(len, sizeof(key));
	cr_expect_eq(memcmp(out, key, sizeof(key)), 0);
}

Test(radius_attr, mppe_key_with_another_secret_or_vector_is_refused)
{
	uint8_t out[RADIUS_MPPE_KEY_MAX], v2[16];
	size_t len;

	memcpy(v2, vector, sizeof(v2));
	v2[0] ^= 1;
	/* the Key-Length byte decrypts to garbage: over the string, refused */
	cr_expect_neq(radius_mppe_decrypt(value, sizeof(value), "another secret", 14, vector, out,
					  sizeof(out), &len) == 0 && len == sizeof(key) &&
		      memcmp(out, key, sizeof(key)) == 0, 1);
	cr_expect_neq(radius_mppe_decrypt(value, sizeof(value), secret, strlen(secret), v2, out,
					  sizeof(out), &len) == 0 && len == sizeof(key) &&
		      memcmp(out, key, sizeof(key)) == 0, 1);
}

Test(radius_attr, mppe_malformed_values_are_refused)
{
	uint8_t out[RADIUS_MPPE_KEY_MAX], v[50];
	size_t len;

	cr_expect_eq(radius_mppe_decrypt(value, 17, secret, strlen(secret), vector, out, sizeof(out),
					 &len), -EINVAL, "no whole block");
	cr_expect_eq(radius_mppe_decrypt(value, 49, secret, strlen(secret), vector, out, sizeof(out),
					 &len), -EINVAL, "a string not of 16-byte blocks");
	memcpy(v, value, sizeof(v));
	v[0] &= 0x7f;
	cr_expect_eq(radius_mppe_decrypt(v, sizeof(v), secret, strlen(secret), vector, out,
					 sizeof(out), &len), -EINVAL, "the salt's high bit clear (§2.4.2)");
	cr_expect_eq(radius_mppe_decrypt(value, sizeof(value), secret, strlen(secret), vector, out, 16,
					 &len), -EINVAL, "a key longer than the room for it");
}

/* RFC 3579 §3.1: EAP-Message values of 253 bytes, the last shorter. */
Test(radius_attr, eap_message_split_into_253_byte_attributes)
{
	unsigned n = 0;

	cr_expect_eq(radius_eap_split(0, 16, &n), -EINVAL);
	cr_expect_eq(radius_eap_split(5, 16, &n), 0);
	cr_expect_eq(n, 1);
	cr_expect_eq(radius_eap_split(253, 16, &n), 0);
	cr_expect_eq(n, 1);
	cr_expect_eq(radius_eap_split(254, 16, &n), 0);
	cr_expect_eq(n, 2);
	cr_expect_eq(radius_eap_split(1020, 16, &n), 0);
	cr_expect_eq(n, 5);
	cr_expect_eq(radius_eap_split(253 * 16 + 1, 16, &n), -EINVAL);
}

Test(radius_attr, eap_message_joined_back_is_one_eap_packet)
{
	uint8_t pkt[600], out[1024];
	size_t len = 0;
	unsigned n;

	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)i;
	pkt[0] = 1, pkt[1] = 9, pkt[2] = sizeof(pkt) >> 8, pkt[3] = sizeof(pkt) & 0xff;
	cr_assert_eq(radius_eap_split(sizeof(pkt), 16, &n), 0);
	for (unsigned i = 0; i < n; i++) {
		size_t at = (size_t)i * RADIUS_ATTR_MAX, l = sizeof(pkt) - at;

		cr_assert_eq(radius_eap_join(out, sizeof(out), &len, pkt + at,
					     l > RADIUS_ATTR_MAX ? RADIUS_ATTR_MAX : l), 0);
	}
	cr_assert_eq(len, sizeof(pkt));
	cr_expect_eq(memcmp(out, pkt, len), 0);
	cr_expect_eq(radius_eap_check(out, len), 0);
	cr_expect_eq(radius_eap_check(out, len - 1), -EINVAL, "Length is not the whole");
	cr_expect_eq(radius_eap_check(out, 3), -EINVAL);
	cr_expect_eq(radius_eap_join(out, sizeof(out), &len, pkt, sizeof(pkt)), -EMSGSIZE,
		     "more than the room");
}
