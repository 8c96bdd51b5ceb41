/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MS-CHAPv2's computations (RFC 2759 §8) and its MPPE keys (RFC 3079 §3)
 * on OpenSSL 3: MD4 and DES-ECB from the legacy provider, SHA-1 from the
 * default one, both loaded into a library context kept for the process.
 */
#include "ike_mschapv2.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

static pthread_once_t legacy_once = PTHREAD_ONCE_INIT;
static OSSL_LIB_CTX *legacy_ctx;
static EVP_MD *md4, *sha1;
static EVP_CIPHER *des_ecb;

static void legacy_load(void)
{
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();

	if (!ctx || !OSSL_PROVIDER_load(ctx, "legacy") || !OSSL_PROVIDER_load(ctx, "default"))
		goto fail;
	md4 = EVP_MD_fetch(ctx, "MD4", NULL);
	sha1 = EVP_MD_fetch(ctx, "SHA1", NULL);
	des_ecb = EVP_CIPHER_fetch(ctx, "DES-ECB", NULL);
	if (md4 && sha1 && des_ecb) {
		legacy_ctx = ctx;
		return;
	}
	EVP_MD_free(md4);
	EVP_MD_free(sha1);
	EVP_CIPHER_free(des_ecb);
	md4 = sha1 = NULL;
	des_ecb = NULL;
fail:
	OSSL_LIB_CTX_free(ctx); /* unloads what was loaded into it */
}

int ike_mschap_available(void)
{
	pthread_once(&legacy_once, legacy_load);
	return legacy_ctx ? 0 : -ENOTSUP;
}

/* One digest over the concatenation of n pieces. */
struct piece {
	const void *p;
	size_t len;
};

static int digest(const EVP_MD *md, const struct piece *in, unsigned n, uint8_t *out)
{
	EVP_MD_CTX *ctx;
	int ok;

	if (ike_mschap_available() != 0)
		return -ENOTSUP;
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestInit_ex2(ctx, md, NULL);
	for (unsigned i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, in[i].p, in[i].len);
	ok = ok && EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx); /* cleanses its state */
	return ok ? 0 : -EIO;
}

/* The next code point of UTF-8 text, or -1 when it is not UTF-8
 * (overlong forms, surrogates and values past U+10FFFF included). */
static long utf8_next(const uint8_t **s, const uint8_t *end)
{
	static const long min_of[] = { 0, 0x80, 0x800, 0x10000 };
	uint8_t b = *(*s)++;
	unsigned extra = b < 0x80 ? 0 : (b & 0xe0) == 0xc0 ? 1 : (b & 0xf0) == 0xe0 ? 2 :
			 (b & 0xf8) == 0xf0 ? 3 : 4;
	long cp = extra == 0 ? b : b & (0x3f >> extra);

	if (extra > 3 || (size_t)(end - *s) < extra)
		return -1;
	for (unsigned i = 0; i < extra; i++) {
		if ((**s & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (*(*s)++ & 0x3f);
	}
	if (cp < min_of[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	return cp;
}

static void put_unit(uint8_t *out, size_t *n, unsigned u)
{
	out[(*n)++] = u & 0xff;
	out[(*n)++] = u >> 8;
}

/* RFC 2759 §8.3's Unicode password: UTF-16LE, at most 256 characters
 * (a character past U+FFFF takes a surrogate pair). */
static int utf16le(const char *password, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	const uint8_t *s = (const uint8_t *)password, *end = s + len;
	unsigned chars = 0;
	size_t n = 0;

	while (s < end) {
		long cp = utf8_next(&s, end);

		if (cp < 0 || ++chars > IKE_MSCHAP_PASSWORD_MAX || n + 4 > cap)
			return -EINVAL;
		if (cp >= 0x10000) {
			put_unit(out, &n, 0xd800 | (unsigned)((cp - 0x10000) >> 10));
			put_unit(out, &n, 0xdc00 | (unsigned)(cp & 0x3ff));
		} else {
			put_unit(out, &n, (unsigned)cp);
		}
	}
	*out_len = n;
	return 0;
}

int ike_mschap_nt_hash(const char *password, size_t len, uint8_t out[IKE_MSCHAP_HASH_LEN])
{
	uint8_t unicode[IKE_MSCHAP_PASSWORD_MAX * 4];
	size_t ulen = 0;
	int rc = utf16le(password, len, unicode, sizeof(unicode), &ulen);

	if (rc == 0) {
		struct piece in[] = { { unicode, ulen } };

		if (ike_mschap_available() != 0)
			rc = -ENOTSUP;
		else
			rc = digest(md4, in, 1, out);
	}
	OPENSSL_cleanse(unicode, sizeof(unicode));
	return rc;
}

int ike_mschap_challenge_hash(const uint8_t peer[IKE_MSCHAP_CHALLENGE_LEN],
			      const uint8_t auth[IKE_MSCHAP_CHALLENGE_LEN],
			      const char *user, size_t user_len,
			      uint8_t out[IKE_MSCHAP_CHAL_HASH_LEN])
{
	const char *bs = memchr(user, '\\', user_len);
	uint8_t sha[20];
	int rc;

	/* §8.2: the user name without any domain the peer put before it */
	if (bs) {
		user_len -= (size_t)(bs + 1 - user);
		user = bs + 1;
	}
	if (ike_mschap_available() != 0)
		return -ENOTSUP;
	rc = digest(sha1, (struct piece[]){ { peer, IKE_MSCHAP_CHALLENGE_LEN },
					    { auth, IKE_MSCHAP_CHALLENGE_LEN },
					    { user, user_len } }, 3, sha);
	memcpy(out, sha, IKE_MSCHAP_CHAL_HASH_LEN);
	return rc;
}

/* 56 key bits into DES's 8 bytes, the low bit of each the odd parity
 * (RFC 2759 §8.6's DesEncrypt "Key" of 7 octets). */
static void des_key_expand(const uint8_t k7[7], uint8_t k8[8])
{
	uint64_t bits = 0;

	for (unsigned i = 0; i < 7; i++)
		bits = bits << 8 | k7[i];
	for (unsigned i = 0; i < 8; i++) {
		uint8_t b = (uint8_t)(((bits >> (49 - 7 * i)) & 0x7f) << 1);

		k8[i] = b | !(__builtin_popcount(b) & 1);
	}
}

static int des_encrypt(const uint8_t clear[8], const uint8_t k7[7], uint8_t out[8])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t key[8];
	int n = 0, ok;

	des_key_expand(k7, key);
	ok = ctx && EVP_EncryptInit_ex2(ctx, des_ecb, key, NULL, NULL) &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) && EVP_EncryptUpdate(ctx, out, &n, clear, 8) &&
	     n == 8;
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(key, sizeof(key));
	return ok ? 0 : -EIO;
}

int ike_mschap_nt_response(const uint8_t chal_hash[IKE_MSCHAP_CHAL_HASH_LEN],
			   const uint8_t pw_hash[IKE_MSCHAP_HASH_LEN],
			   uint8_t out[IKE_MSCHAP_NT_RESPONSE_LEN])
{
	uint8_t z[21] = { 0 }; /* §8.5: the hash zero-padded to 21 octets */
	int rc;

	if (ike_mschap_available() != 0)
		return -ENOTSUP;
	memcpy(z, pw_hash, IKE_MSCHAP_HASH_LEN);
	rc = des_encrypt(chal_hash, z, out);
	if (rc == 0)
		rc = des_encrypt(chal_hash, z + 7, out + 8);
	if (rc == 0)
		rc = des_encrypt(chal_hash, z + 14, out + 16);
	OPENSSL_cleanse(z, sizeof(z));
	return rc;
}

static int hash_hash(const uint8_t pw_hash[IKE_MSCHAP_HASH_LEN], uint8_t out[IKE_MSCHAP_HASH_LEN])
{
	if (ike_mschap_available() != 0)
		return -ENOTSUP;
	return digest(md4, (struct piece[]){ { pw_hash, IKE_MSCHAP_HASH_LEN } }, 1, out);
}

/* RFC 2759 §8.7's two constants. */
static const char magic_sign[] = "Magic server to client signing constant";
static const char magic_pad[] = "Pad to make it do more than one iteration";

int ike_mschap_auth_response(const uint8_t pw_hash[IKE_MSCHAP_HASH_LEN],
			     const uint8_t nt_response[IKE_MSCHAP_NT_RESPONSE_LEN],
			     const uint8_t chal_hash[IKE_MSCHAP_CHAL_HASH_LEN],
			     char out[IKE_MSCHAP_AUTH_RESPONSE_LEN + 1])
{
	static const char hex[] = "0123456789ABCDEF";
	uint8_t hh[IKE_MSCHAP_HASH_LEN], d[20];
	int rc = hash_hash(pw_hash, hh);

	if (rc == 0)
		rc = digest(sha1, (struct piece[]){ { hh, sizeof(hh) },
						    { nt_response, IKE_MSCHAP_NT_RESPONSE_LEN },
						    { magic_sign, sizeof(magic_sign) - 1 } }, 3, d);
	if (rc == 0)
		rc = digest(sha1, (struct piece[]){ { d, sizeof(d) },
						    { chal_hash, IKE_MSCHAP_CHAL_HASH_LEN },
						    { magic_pad, sizeof(magic_pad) - 1 } }, 3, d);
	if (rc == 0) {
		out[0] = 'S';
		out[1] = '=';
		for (unsigned i = 0; i < sizeof(d); i++) {
			out[2 + 2 * i] = hex[d[i] >> 4];
			out[3 + 2 * i] = hex[d[i] & 15];
		}
		out[IKE_MSCHAP_AUTH_RESPONSE_LEN] = '\0';
	}
	OPENSSL_cleanse(hh, sizeof(hh));
	OPENSSL_cleanse(d, sizeof(d));
	return rc;
}

/* RFC 3079 §3.4's constants. */
static const char magic_master[] = "This is the MPPE Master Key";
static const char magic_client_send[] =
	"On the client side, this is the send key; on the server side, it is the receive key.";
static const char magic_client_recv[] =
	"On the client side, this is the receive key; on the server side, it is the send key.";

int ike_mschap_master_key(const uint8_t pw_hash_hash[IKE_MSCHAP_HASH_LEN],
			  const uint8_t nt_response[IKE_MSCHAP_NT_RESPONSE_LEN],
			  uint8_t out[IKE_MSCHAP_KEY_LEN])
{
	uint8_t d[20];
	int rc;

	if (ike_mschap_available() != 0)
		return -ENOTSUP;
	rc = digest(sha1, (struct piece[]){ { pw_hash_hash, IKE_MSCHAP_HASH_LEN },
					    { nt_response, IKE_MSCHAP_NT_RESPONSE_LEN },
					    { magic_master, sizeof(magic_master) - 1 } }, 3, d);
	memcpy(out, d, IKE_MSCHAP_KEY_LEN);
	OPENSSL_cleanse(d, sizeof(d));
	return rc;
}

int ike_mschap_start_key(const uint8_t master[IKE_MSCHAP_KEY_LEN], bool send, bool server,
			 uint8_t out[IKE_MSCHAP_KEY_LEN])
{
	/* §3.4: SHSpad1 is 40 zero octets, SHSpad2 40 of 0xf2 */
	uint8_t pad1[40] = { 0 }, pad2[40], d[20];
	const char *s = send == server ? magic_client_recv : magic_client_send;
	int rc;

	if (ike_mschap_available() != 0)
		return -ENOTSUP;
	memset(pad2, 0xf2, sizeof(pad2));
	rc = digest(sha1, (struct piece[]){ { master, IKE_MSCHAP_KEY_LEN }, { pad1, sizeof(pad1) },
					    { s, sizeof(magic_client_send) - 1 },
					    { pad2, sizeof(pad2) } }, 4, d);
	memcpy(out, d, IKE_MSCHAP_KEY_LEN);
	OPENSSL_cleanse(d, sizeof(d));
	return rc;
}

int ike_mschap_msk(const uint8_t pw_hash[IKE_MSCHAP_HASH_LEN],
		   const uint8_t nt_response[IKE_MSCHAP_NT_RESPONSE_LEN],
		   uint8_t out[IKE_MSCHAP_MSK_LEN])
{
	uint8_t hh[IKE_MSCHAP_HASH_LEN], master[IKE_MSCHAP_KEY_LEN];
	int rc = hash_hash(pw_hash, hh);

	memset(out, 0, IKE_MSCHAP_MSK_LEN);
	if (rc == 0)
		rc = ike_mschap_master_key(hh, nt_response, master);
	if (rc == 0)
		rc = ike_mschap_start_key(master, false, true, out);
	if (rc == 0)
		rc = ike_mschap_start_key(master, true, true, out + IKE_MSCHAP_KEY_LEN);
	if (rc != 0)
		OPENSSL_cleanse(out, IKE_MSCHAP_MSK_LEN);
	OPENSSL_cleanse(hh, sizeof(hh));
	OPENSSL_cleanse(master, sizeof(master));
	return rc;
}

int ike_mschap_verify(const struct ike_mschap_check *c,
		      char auth_response[IKE_MSCHAP_AUTH_RESPONSE_LEN + 1],
		      uint8_t msk[IKE_MSCHAP_MSK_LEN])
{
	uint8_t pw_hash[IKE_MSCHAP_HASH_LEN], ch[IKE_MSCHAP_CHAL_HASH_LEN];
	uint8_t want[IKE_MSCHAP_NT_RESPONSE_LEN];
	int rc = ike_mschap_nt_hash(c->password, c->password_len, pw_hash);

	if (rc == 0)
		rc = ike_mschap_challenge_hash(c->peer_challenge, c->auth_challenge, c->user,
					       c->user_len, ch);
	if (rc == 0)
		rc = ike_mschap_nt_response(ch, pw_hash, want);
	if (rc == 0 && CRYPTO_memcmp(want, c->nt_response, sizeof(want)) != 0)
		rc = -EACCES;
	if (rc == 0)
		rc = ike_mschap_auth_response(pw_hash, c->nt_response, ch, auth_response);
	if (rc == 0)
		rc = ike_mschap_msk(pw_hash, c->nt_response, msk);
	OPENSSL_cleanse(pw_hash, sizeof(pw_hash));
	OPENSSL_cleanse(ch, sizeof(ch));
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}
