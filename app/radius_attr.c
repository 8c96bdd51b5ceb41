/* SPDX-License-Identifier: BSD-3-Clause */
/* RADIUS attribute mapping for EAP-RADIUS (radius_attr.h). */
#include "radius_attr.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define MD5_LEN 16

int radius_eap_split(size_t len, unsigned max, unsigned *n)
{
	size_t chunks = (len + RADIUS_ATTR_MAX - 1) / RADIUS_ATTR_MAX;

	if (len == 0 || chunks > max)
		return -EINVAL;
	*n = (unsigned)chunks;
	return 0;
}

int radius_eap_join(uint8_t *out, size_t cap, size_t *len, const uint8_t *v, size_t vlen)
{
	if (vlen > cap - *len)
		return -EMSGSIZE;
	memcpy(out + *len, v, vlen);
	*len += vlen;
	return 0;
}

int radius_eap_check(const uint8_t *eap, size_t len)
{
	return len >= 4 && ((size_t)eap[2] << 8 | eap[3]) == len ? 0 : -EINVAL;
}

/* MD5(secret || a || b), RFC 2548 §2.4.2's b(i). */
static int md5_3(const char *secret, size_t slen, const uint8_t *a, size_t alen,
		 const uint8_t *b, size_t blen, uint8_t out[MD5_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned olen = 0;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) &&
		 EVP_DigestUpdate(ctx, secret, slen) && EVP_DigestUpdate(ctx, a, alen) &&
		 (blen == 0 || EVP_DigestUpdate(ctx, b, blen)) && EVP_DigestFinal_ex(ctx, out, &olen);

	EVP_MD_CTX_free(ctx);
	return ok && olen == MD5_LEN ? 0 : -EIO;
}

/* RFC 2548 §2.4.2: b(1) = MD5(S + R + A), c(i) = p(i) xor b(i),
 * b(i) = MD5(S + c(i-1)); here backwards, p(i) = c(i) xor b(i). */
int radius_mppe_decrypt(const uint8_t *val, size_t len, const char *secret, size_t secret_len,
			const uint8_t vector[RADIUS_VECTOR_LEN], uint8_t *key, size_t cap,
			size_t *key_len)
{
	uint8_t plain[RADIUS_ATTR_MAX], b[MD5_LEN];
	const uint8_t *c = val + 2, *prev = NULL;
	size_t n = len >= 2 ? len - 2 : 0;
	int rc = -EINVAL;

	/* Salt with its high bit set (§2.4.2), a String of 16-byte blocks */
	if (len < 2 + MD5_LEN || n % MD5_LEN || !(val[0] & 0x80))
		return -EINVAL;
	for (size_t at = 0; at < n; at += MD5_LEN) {
		rc = prev ? md5_3(secret, secret_len, prev, MD5_LEN, NULL, 0, b)
			  : md5_3(secret, secret_len, vector, RADIUS_VECTOR_LEN, val, 2, b);
		if (rc)
			goto out;
		for (size_t i = 0; i < MD5_LEN; i++)
			plain[at + i] = c[at + i] ^ b[i];
		prev = c + at;
	}
	rc = -EINVAL;
	/* P = Key-Length, Key, padding (§2.4.2) */
	if (plain[0] == 0 || plain[0] > n - 1 || plain[0] > cap)
		goto out;
	memcpy(key, plain + 1, plain[0]);
	*key_len = plain[0];
	rc = 0;
out:
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(b, sizeof(b));
	return rc;
}
