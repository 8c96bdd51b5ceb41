/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IKE core's cryptographic primitives on OpenSSL 3 (ike_crypto.h):
 * PRF and prf+, transform lengths, Diffie-Hellman, hashes and random;
 * IKEv2's key schedule and SK protection are in ikev2_keys.c. Control-plane
 * code: clarity first, no per-packet concerns. Every buffer that held a
 * secret is wiped at out:.
 */
#include "ike_crypto_priv.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#define PRF_PLUS_SEED_MAX 8

/* Logs nothing, leaves nothing in OpenSSL's error queue. */
int ike_ossl_fail(int rc)
{
	ERR_clear_error();
	return rc;
}

/* ======================= algorithm fetches ======================= */

/* An OpenSSL 3 fetch searches the provider store: a tenth of an IKE setup
 * when done per message. Each algorithm is fetched once and kept for the
 * process (a handful of immutable objects, shared by every engine). */
static pthread_mutex_t fetch_lock = PTHREAD_MUTEX_INITIALIZER;
static EVP_MAC *fetched_hmac;
static EVP_MD *fetched_sha1;
static struct {
	const char *name; /* a string literal of sk_cipher_name */
	EVP_CIPHER *cipher;
} fetched_ciphers[8];

static EVP_MAC *hmac_fetch(void)
{
	pthread_mutex_lock(&fetch_lock);
	if (!fetched_hmac)
		fetched_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	pthread_mutex_unlock(&fetch_lock);
	return fetched_hmac;
}

static const EVP_MD *sha1_fetch(void)
{
	pthread_mutex_lock(&fetch_lock);
	if (!fetched_sha1)
		fetched_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	pthread_mutex_unlock(&fetch_lock);
	return fetched_sha1;
}

const EVP_CIPHER *ike_cipher_fetch(const char *name)
{
	EVP_CIPHER *c = NULL;
	size_t i;

	pthread_mutex_lock(&fetch_lock);
	for (i = 0; i < sizeof(fetched_ciphers) / sizeof(fetched_ciphers[0]); i++) {
		if (!fetched_ciphers[i].name) {
			fetched_ciphers[i].cipher = EVP_CIPHER_fetch(NULL, name, NULL);
			if (fetched_ciphers[i].cipher)
				fetched_ciphers[i].name = name;
		}
		if (fetched_ciphers[i].name && strcmp(fetched_ciphers[i].name, name) == 0) {
			c = fetched_ciphers[i].cipher;
			break;
		}
	}
	pthread_mutex_unlock(&fetch_lock);
	return c;
}

/* ======================= per-thread contexts ======================= */

/*
 * Contexts that cost a fetch and allocations to make and hold no secret,
 * kept per thread (an EVP_PKEY_CTX is not to be shared between threads):
 * for each DH group a key generation and a fromdata context (and for
 * X25519/X448 the last peer's public key), for each HMAC digest a context
 * with the digest set and no key, which every HMAC duplicates; and the
 * pool of public random bytes (public_random). A thread's are freed when
 * it exits; the main thread's last as long as the process, like the
 * fetches above.
 */
#define N_DH_GROUPS 11 /* N_ELEM(dh_groups), checked there */
#define PUBLIC_POOL 256 /* bytes of public randomness drawn at a time */

static const char *const hmac_mds[] = { "SHA1", "SHA256", "SHA384", "SHA512" };

struct crypto_tls {
	EVP_PKEY_CTX *t_keygen[N_DH_GROUPS];
	EVP_PKEY_CTX *t_fromdata[N_DH_GROUPS];
	EVP_PKEY *t_peer[N_DH_GROUPS]; /* X25519/X448: the last peer's key */
	EVP_MAC_CTX *t_hmac[N_ELEM(hmac_mds)];
	uint8_t t_pool[PUBLIC_POOL]; /* see ike_public_random() */
	size_t t_pool_left;          /* the last t_pool_left bytes are unused */
};

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static bool tls_key_ok;

static void tls_free(void *p)
{
	struct crypto_tls *t = p;

	for (size_t i = 0; i < N_DH_GROUPS; i++) {
		EVP_PKEY_CTX_free(t->t_keygen[i]);
		EVP_PKEY_CTX_free(t->t_fromdata[i]);
		EVP_PKEY_free(t->t_peer[i]);
	}
	for (size_t i = 0; i < N_ELEM(hmac_mds); i++)
		EVP_MAC_CTX_free(t->t_hmac[i]);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}

/* A child process must not hand out the values its parent will. */
static void tls_forget_pool(void)
{
	struct crypto_tls *t = pthread_getspecific(tls_key);

	if (t != NULL) {
		OPENSSL_cleanse(t->t_pool, sizeof(t->t_pool));
		t->t_pool_left = 0;
	}
}

static void tls_init(void)
{
	tls_key_ok = pthread_key_create(&tls_key, tls_free) == 0 &&
		     pthread_atfork(NULL, NULL, tls_forget_pool) == 0;
}

static struct crypto_tls *tls_get(void)
{
	struct crypto_tls *t;

	if (pthread_once(&tls_once, tls_init) != 0 || !tls_key_ok)
		return NULL;
	t = pthread_getspecific(tls_key);
	if (t == NULL) {
		t = calloc(1, sizeof(*t));
		if (t != NULL && pthread_setspecific(tls_key, t) != 0) {
			free(t);
			t = NULL;
		}
	}
	return t;
}

/* This thread's HMAC context for digest md, unkeyed: to duplicate. */
static const EVP_MAC_CTX *hmac_template(const char *md)
{
	struct crypto_tls *t = tls_get();
	EVP_MAC *mac = hmac_fetch();
	OSSL_PARAM params[2];
	EVP_MAC_CTX *c;
	size_t i = 0;

	while (i < N_ELEM(hmac_mds) && strcmp(hmac_mds[i], md) != 0)
		i++;
	if (t == NULL || mac == NULL || i == N_ELEM(hmac_mds))
		return NULL;
	if (t->t_hmac[i] != NULL)
		return t->t_hmac[i];
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)hmac_mds[i], 0);
	params[1] = OSSL_PARAM_construct_end();
	c = EVP_MAC_CTX_new(mac);
	if (c == NULL || !EVP_MAC_CTX_set_params(c, params)) {
		EVP_MAC_CTX_free(c);
		return NULL;
	}
	t->t_hmac[i] = c;
	return c;
}

/* ======================= HMAC, PRF, prf+ ======================= */

struct hmac {
	EVP_MAC_CTX *h_ctx;
	size_t h_len;
};

static int hmac_open(struct hmac *h, const char *md)
{
	const EVP_MAC_CTX *tpl = hmac_template(md);

	memset(h, 0, sizeof(*h));
	if (tpl == NULL)
		return ike_ossl_fail(-EIO);
	h->h_ctx = EVP_MAC_CTX_dup(tpl);
	if (h->h_ctx == NULL)
		return ike_ossl_fail(-ENOMEM);
	return 0;
}

static void hmac_close(struct hmac *h)
{
	EVP_MAC_CTX_free(h->h_ctx); /* HMAC_CTX_free cleanses the key */
	memset(h, 0, sizeof(*h));
}

/* out[h->h_len] = HMAC(key, iov[0] | ... | iov[n - 1]). */
static int hmac_iov(struct hmac *h, const uint8_t *key, size_t key_len,
		    const struct ike_iov *iov, size_t n, uint8_t *out)
{
	static const uint8_t empty;
	size_t len;

	/* A NULL key would mean "keep the previous one". No parameters: the
	 * digest is the template's (naming it again would fetch it again). */
	if (!EVP_MAC_init(h->h_ctx, key_len ? key : &empty, key_len, NULL))
		return ike_ossl_fail(-EIO);
	h->h_len = EVP_MAC_CTX_get_mac_size(h->h_ctx);
	for (size_t i = 0; i < n; i++)
		if (iov[i].iov_len &&
		    !EVP_MAC_update(h->h_ctx, iov[i].iov_base, iov[i].iov_len))
			return ike_ossl_fail(-EIO);
	if (!EVP_MAC_final(h->h_ctx, out, &len, h->h_len) || len != h->h_len)
		return ike_ossl_fail(-EIO);
	return 0;
}

static const char *prf_md(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA1:
		return "SHA1";
	case IKE_PRF_HMAC_SHA2_256:
		return "SHA256";
	case IKE_PRF_HMAC_SHA2_384:
		return "SHA384";
	case IKE_PRF_HMAC_SHA2_512:
		return "SHA512";
	}
	return NULL;
}

size_t ike_prf_len(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA1:
		return 20;
	case IKE_PRF_HMAC_SHA2_256:
		return 32;
	case IKE_PRF_HMAC_SHA2_384:
		return 48;
	case IKE_PRF_HMAC_SHA2_512:
		return 64;
	}
	return 0;
}

int ike_prf_iov(uint16_t prf, const uint8_t *key, size_t key_len,
		const struct ike_iov *iov, size_t n, uint8_t *out)
{
	struct hmac h;
	int rc;

	if (prf_md(prf) == NULL)
		return -ENOTSUP;
	rc = hmac_open(&h, prf_md(prf));
	if (rc == 0)
		rc = hmac_iov(&h, key, key_len, iov, n, out);
	hmac_close(&h);
	return rc;
}

int ike_prf(uint16_t prf, const uint8_t *key, size_t key_len,
	    const uint8_t *data, size_t data_len, uint8_t *out)
{
	struct ike_iov iov = { data, data_len };

	return ike_prf_iov(prf, key, key_len, &iov, 1, out);
}

int ike_prf_nonce_keyed(uint16_t prf, const uint8_t *ni, size_t ni_len,
			const uint8_t *nr, size_t nr_len,
			const uint8_t *secret, size_t secret_len, uint8_t *out)
{
	uint8_t key[2 * IKE_NONCE_MAX];
	int rc;

	if (ni_len > IKE_NONCE_MAX || nr_len > IKE_NONCE_MAX)
		return -EINVAL;
	memcpy(key, ni, ni_len);
	memcpy(key + ni_len, nr, nr_len);
	rc = ike_prf(prf, key, ni_len + nr_len, secret, secret_len, out);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

/* RFC 7296 §2.13: prf+(K, S) = T1 | T2 | ..., Tn = prf(K, T(n-1) | S | n). */
int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len,
		 const struct ike_iov *seed, size_t n,
		 uint8_t *out, size_t out_len)
{
	struct ike_iov iov[PRF_PLUS_SEED_MAX + 2];
	uint8_t t[IKE_PRF_MAX];
	size_t plen = ike_prf_len(prf), done = 0;
	uint8_t ctr = 1;
	struct hmac h;
	int rc;

	if (plen == 0)
		return -ENOTSUP;
	if (n > PRF_PLUS_SEED_MAX || out_len > 255 * plen)
		return -EINVAL;
	rc = hmac_open(&h, prf_md(prf));
	if (rc)
		goto out;
	iov[0] = (struct ike_iov){ t, 0 }; /* T0 is empty */
	memcpy(&iov[1], seed, n * sizeof(*seed));
	iov[n + 1] = (struct ike_iov){ &ctr, 1 };
	while (done < out_len) {
		size_t take = out_len - done < plen ? out_len - done : plen;

		rc = hmac_iov(&h, key, key_len, iov, n + 2, t);
		if (rc)
			goto out;
		memcpy(out + done, t, take);
		done += take;
		iov[0].iov_len = plen;
		ctr++;
	}
out:
	OPENSSL_cleanse(t, sizeof(t));
	hmac_close(&h);
	if (rc)
		OPENSSL_cleanse(out, out_len);
	return rc;
}

/* ======================= Transform lengths ======================= */

size_t ike_encr_keymat_len(uint16_t encr, uint16_t bits)
{
	bool aes_bits = bits == 128 || bits == 192 || bits == 256;

	switch (encr) {
	case IKE_ENCR_AES_CBC:
		return aes_bits ? bits / 8u : 0;
	case IKE_ENCR_AES_GCM_16:
		return aes_bits ? bits / 8u + AEAD_SALT_LEN : 0;
	case IKE_ENCR_CHACHA20_POLY1305:
		return 32 + AEAD_SALT_LEN;
	}
	return 0;
}

bool ike_encr_is_aead(uint16_t encr)
{
	return encr == IKE_ENCR_AES_GCM_16 || encr == IKE_ENCR_CHACHA20_POLY1305;
}

static const char *integ_md(uint16_t integ)
{
	switch (integ) {
	case IKE_AUTH_HMAC_SHA1_96:
		return "SHA1";
	case IKE_AUTH_HMAC_SHA2_256_128:
		return "SHA256";
	case IKE_AUTH_HMAC_SHA2_384_192:
		return "SHA384";
	case IKE_AUTH_HMAC_SHA2_512_256:
		return "SHA512";
	}
	return NULL;
}

int ike_integ_hmac(uint16_t integ, const uint8_t *key, size_t key_len,
		   const struct ike_iov *iov, size_t n, uint8_t *out)
{
	struct hmac h;
	int rc = hmac_open(&h, integ_md(integ));

	if (rc == 0)
		rc = hmac_iov(&h, key, key_len, iov, n, out);
	hmac_close(&h);
	return rc;
}

/* RFC 2404 §2, RFC 4868 §2.1.1: the key is the hash's output length. */
size_t ike_integ_key_len(uint16_t integ)
{
	switch (integ) {
	case IKE_AUTH_HMAC_SHA1_96:
		return 20;
	case IKE_AUTH_HMAC_SHA2_256_128:
		return 32;
	case IKE_AUTH_HMAC_SHA2_384_192:
		return 48;
	case IKE_AUTH_HMAC_SHA2_512_256:
		return 64;
	}
	return 0;
}

size_t ike_integ_icv_len(uint16_t integ)
{
	switch (integ) {
	case IKE_AUTH_HMAC_SHA1_96:
		return 12;
	case IKE_AUTH_HMAC_SHA2_256_128:
		return 16;
	case IKE_AUTH_HMAC_SHA2_384_192:
		return 24;
	case IKE_AUTH_HMAC_SHA2_512_256:
		return 32;
	}
	return 0;
}

int ike_suite_check(const struct ike_suite *s)
{
	if (ike_prf_len(s->prf) == 0)
		return -ENOTSUP;
	if (ike_encr_keymat_len(s->encr, s->encr_bits) == 0)
		return -ENOTSUP;
	if (ike_encr_is_aead(s->encr))
		return s->integ == IKE_AUTH_NONE ? 0 : -EINVAL;
	if (s->integ == IKE_AUTH_NONE)
		return -EINVAL;
	return ike_integ_key_len(s->integ) ? 0 : -ENOTSUP;
}

/* ======================= Diffie-Hellman ======================= */

enum dh_kind { DH_MODP, DH_ECP, DH_ECX };

struct dh_group {
	uint16_t g_id;
	enum dh_kind g_kind;
	const char *g_name; /* OpenSSL group name (MODP, ECP) or key type;
			     * NULL: a MODP group OpenSSL has no name for */
	int g_nid;          /* ECP curve */
	size_t g_len;       /* prime / field element / key length */
	BIGNUM *(*g_prime)(BIGNUM *); /* MODP */
};

static const struct dh_group dh_groups[] = {
	/* RFC 2409 §6.2, for IKEv1 connections that name it (RFC 8247 §2.4) */
	{ IKE_DH_MODP1024, DH_MODP, NULL, NID_undef, 128,
	  BN_get_rfc2409_prime_1024 },
	{ IKE_DH_MODP2048, DH_MODP, "modp_2048", NID_undef, 256,
	  BN_get_rfc3526_prime_2048 },
	{ IKE_DH_MODP3072, DH_MODP, "modp_3072", NID_undef, 384,
	  BN_get_rfc3526_prime_3072 },
	{ IKE_DH_MODP4096, DH_MODP, "modp_4096", NID_undef, 512,
	  BN_get_rfc3526_prime_4096 },
	{ IKE_DH_MODP6144, DH_MODP, "modp_6144", NID_undef, 768,
	  BN_get_rfc3526_prime_6144 },
	{ IKE_DH_MODP8192, DH_MODP, "modp_8192", NID_undef, 1024,
	  BN_get_rfc3526_prime_8192 },
	{ IKE_DH_ECP256, DH_ECP, "P-256", NID_X9_62_prime256v1, 32, NULL },
	{ IKE_DH_ECP384, DH_ECP, "P-384", NID_secp384r1, 48, NULL },
	{ IKE_DH_ECP521, DH_ECP, "P-521", NID_secp521r1, 66, NULL },
	{ IKE_DH_CURVE25519, DH_ECX, "X25519", NID_undef, 32, NULL },
	{ IKE_DH_CURVE448, DH_ECX, "X448", NID_undef, 56, NULL },
};
_Static_assert(N_ELEM(dh_groups) == N_DH_GROUPS, "N_DH_GROUPS");

struct ike_dh {
	const struct dh_group *dh_g;
	EVP_PKEY *dh_key;
	size_t dh_pub_len;
	uint8_t dh_pub[IKE_DH_KE_MAX];
};

static const struct dh_group *dh_group_find(uint16_t id)
{
	for (size_t i = 0; i < N_ELEM(dh_groups); i++)
		if (dh_groups[i].g_id == id)
			return &dh_groups[i];
	return NULL;
}

static const char *dh_key_type(const struct dh_group *g)
{
	switch (g->g_kind) {
	case DH_MODP:
		return "DH";
	case DH_ECP:
		return "EC";
	case DH_ECX:
		break;
	}
	return g->g_name;
}

bool ike_dh_supported(uint16_t group)
{
	return dh_group_find(group) != NULL;
}

size_t ike_dh_ke_len(uint16_t group)
{
	const struct dh_group *g = dh_group_find(group);

	if (g == NULL)
		return 0;
	return g->g_kind == DH_ECP ? 2 * g->g_len : g->g_len;
}

size_t ike_dh_secret_len(uint16_t group)
{
	const struct dh_group *g = dh_group_find(group);

	return g ? g->g_len : 0;
}

uint16_t ike_dh_group(const struct ike_dh *dh)
{
	return dh->dh_g->g_id;
}

/* This thread's context of kind op (EVP_PKEY_OP_KEYGEN or
 * EVP_PKEY_OP_FROMDATA) for group g, initialised once. */
static EVP_PKEY_CTX *dh_ctx(const struct dh_group *g, int op)
{
	struct crypto_tls *t = tls_get();
	EVP_PKEY_CTX **slot, *ctx;
	OSSL_PARAM params[2];

	if (t == NULL)
		return NULL;
	slot = op == EVP_PKEY_OP_KEYGEN ? &t->t_keygen[g - dh_groups] :
					  &t->t_fromdata[g - dh_groups];
	if (*slot != NULL)
		return *slot;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, dh_key_type(g), NULL);
	if (ctx == NULL)
		return NULL;
	if (op == EVP_PKEY_OP_FROMDATA) {
		if (EVP_PKEY_fromdata_init(ctx) <= 0)
			goto fail;
	} else {
		if (EVP_PKEY_keygen_init(ctx) <= 0)
			goto fail;
		params[0] = OSSL_PARAM_construct_utf8_string(
			OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->g_name, 0);
		params[1] = OSSL_PARAM_construct_end();
		if (g->g_kind != DH_ECX && EVP_PKEY_CTX_set_params(ctx, params) <= 0)
			goto fail;
	}
	*slot = ctx;
	return ctx;
fail:
	EVP_PKEY_CTX_free(ctx);
	return NULL;
}

/* The context is kept for the next key: making one per key was an eighth
 * of an X25519 key generation. */
static int dh_modp_with_private(const struct dh_group *g, const uint8_t *priv,
				size_t priv_len, EVP_PKEY **key);

/* A group without an OpenSSL name has no key generation context: a
 * random 256-bit exponent (RFC 3526 §8: twice the group's ~80-bit
 * strength, and more) and 2^x mod p. */
static int dh_generate_unnamed(const struct dh_group *g, EVP_PKEY **key)
{
	uint8_t x[32];
	int rc;

	if (RAND_priv_bytes(x, sizeof(x)) != 1)
		return ike_ossl_fail(-EIO);
	x[0] |= 0x80; /* never 0 or 1 */
	rc = dh_modp_with_private(g, x, sizeof(x), key);
	OPENSSL_cleanse(x, sizeof(x));
	return rc;
}

static int dh_generate(const struct dh_group *g, EVP_PKEY **key)
{
	EVP_PKEY_CTX *ctx;

	if (g->g_name == NULL)
		return dh_generate_unnamed(g, key);
	ctx = dh_ctx(g, EVP_PKEY_OP_KEYGEN);

	if (ctx == NULL || EVP_PKEY_generate(ctx, key) <= 0)
		return ike_ossl_fail(-EIO);
	return 0;
}

/* A key of type g from params (selection: EVP_PKEY_KEYPAIR or PUBLIC_KEY). */
static int dh_fromdata(const struct dh_group *g, OSSL_PARAM_BLD *bld,
		       int selection, EVP_PKEY **key)
{
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *p = NULL, *two = NULL; /* the builder points at them */
	int rc = -EIO;

	if (g->g_name) {
		if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
						     g->g_name, 0))
			goto out;
	} else { /* a group OpenSSL has no name for: p, and g = 2 */
		p = g->g_prime(NULL);
		two = BN_new();
		if (!p || !two || !BN_set_word(two, 2) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, two))
			goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	rc = -ENOMEM;
	if (params == NULL)
		goto out;
	rc = -EINVAL;
	ctx = dh_ctx(g, EVP_PKEY_OP_FROMDATA);
	if (ctx == NULL || EVP_PKEY_fromdata(ctx, key, selection, params) <= 0)
		goto out;
	rc = 0;
out:
	OSSL_PARAM_free(params); /* BLD_to_param uses secure memory for BNs */
	BN_free(p);
	BN_free(two);
	return rc ? ike_ossl_fail(rc) : 0;
}

/* MODP with a given private key x: the public value is 2^x mod p. */
static int dh_modp_with_private(const struct dh_group *g, const uint8_t *priv,
				size_t priv_len, EVP_PKEY **key)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *x = BN_secure_new(), *p = NULL, *y = BN_new(), *two = BN_new();
	BN_CTX *bn = BN_CTX_new();
	int rc = -EIO;

	if (bld == NULL || x == NULL || y == NULL || two == NULL || bn == NULL)
		goto out;
	p = g->g_prime(NULL);
	if (p == NULL || BN_bin2bn(priv, (int)priv_len, x) == NULL ||
	    !BN_set_word(two, 2))
		goto out;
	BN_set_flags(x, BN_FLG_CONSTTIME);
	if (!BN_mod_exp(y, two, x, p, bn))
		goto out;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
		goto out;
	rc = dh_fromdata(g, bld, EVP_PKEY_KEYPAIR, key);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(x);
	BN_free(p);
	BN_free(y);
	BN_free(two);
	BN_CTX_free(bn);
	return rc ? ike_ossl_fail(rc) : 0;
}

/* ECP with a given private key d: the public value is d * G. */
static int dh_ecp_with_private(const struct dh_group *g, const uint8_t *priv,
			       size_t priv_len, EVP_PKEY **key)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(g->g_nid);
	EC_POINT *pt = NULL;
	BIGNUM *d = BN_secure_new();
	BN_CTX *bn = BN_CTX_new();
	uint8_t pub[1 + 2 * 66];
	size_t pub_len = 1 + 2 * g->g_len;
	int rc = -EIO;

	if (bld == NULL || grp == NULL || d == NULL || bn == NULL)
		goto out;
	pt = EC_POINT_new(grp);
	if (pt == NULL || BN_bin2bn(priv, (int)priv_len, d) == NULL)
		goto out;
	BN_set_flags(d, BN_FLG_CONSTTIME);
	if (!EC_POINT_mul(grp, pt, d, NULL, NULL, bn) ||
	    EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, pub,
			       sizeof(pub), bn) != pub_len)
		goto out;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
					      pub_len))
		goto out;
	rc = dh_fromdata(g, bld, EVP_PKEY_KEYPAIR, key);
out:
	OSSL_PARAM_BLD_free(bld);
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	BN_clear_free(d);
	BN_CTX_free(bn);
	return rc ? ike_ossl_fail(rc) : 0;
}

/* X25519/X448: OpenSSL computes the public value from the scalar. */
static int dh_ecx_with_private(const struct dh_group *g, const uint8_t *priv,
			       size_t priv_len, EVP_PKEY **key)
{
	*key = EVP_PKEY_new_raw_private_key_ex(NULL, g->g_name, NULL, priv,
					       priv_len);
	return *key ? 0 : ike_ossl_fail(-EIO);
}

/* Our public value in KE payload format (RFC 7296 §3.4, RFC 5903 §7). */
static int dh_export(struct ike_dh *dh)
{
	const struct dh_group *g = dh->dh_g;
	uint8_t pt[1 + 2 * 66];
	BIGNUM *y = NULL;
	size_t len;
	int rc = -EIO;

	switch (g->g_kind) {
	case DH_MODP:
		if (!EVP_PKEY_get_bn_param(dh->dh_key, OSSL_PKEY_PARAM_PUB_KEY, &y) ||
		    BN_bn2binpad(y, dh->dh_pub, (int)g->g_len) != (int)g->g_len)
			goto out;
		dh->dh_pub_len = g->g_len;
		break;
	case DH_ECP:
		if (!EVP_PKEY_get_octet_string_param(dh->dh_key,
						     OSSL_PKEY_PARAM_PUB_KEY, pt,
						     sizeof(pt), &len) ||
		    len != 1 + 2 * g->g_len || pt[0] != POINT_CONVERSION_UNCOMPRESSED)
			goto out;
		memcpy(dh->dh_pub, pt + 1, 2 * g->g_len); /* no 0x04 prefix */
		dh->dh_pub_len = 2 * g->g_len;
		break;
	case DH_ECX:
		len = sizeof(dh->dh_pub);
		if (!EVP_PKEY_get_raw_public_key(dh->dh_key, dh->dh_pub, &len) ||
		    len != g->g_len)
			goto out;
		dh->dh_pub_len = len;
		break;
	}
	rc = 0;
out:
	BN_free(y);
	return rc ? ike_ossl_fail(rc) : 0;
}

static int dh_new(uint16_t group, const uint8_t *priv, size_t priv_len,
		  struct ike_dh **out)
{
	const struct dh_group *g = dh_group_find(group);
	struct ike_dh *dh;
	int rc;

	*out = NULL;
	if (g == NULL)
		return -ENOTSUP;
	if (priv != NULL && (priv_len == 0 || priv_len > g->g_len ||
			     (g->g_kind == DH_ECX && priv_len != g->g_len)))
		return -EINVAL;
	dh = calloc(1, sizeof(*dh));
	if (dh == NULL)
		return -ENOMEM;
	dh->dh_g = g;
	if (priv == NULL)
		rc = dh_generate(g, &dh->dh_key);
	else if (g->g_kind == DH_MODP)
		rc = dh_modp_with_private(g, priv, priv_len, &dh->dh_key);
	else if (g->g_kind == DH_ECP)
		rc = dh_ecp_with_private(g, priv, priv_len, &dh->dh_key);
	else
		rc = dh_ecx_with_private(g, priv, priv_len, &dh->dh_key);
	if (rc == 0)
		rc = dh_export(dh);
	if (rc) {
		ike_dh_free(dh);
		return ike_ossl_fail(rc);
	}
	*out = dh;
	return 0;
}

int ike_dh_new(uint16_t group, struct ike_dh **out)
{
	return dh_new(group, NULL, 0, out);
}

int ike_dh_new_with_private(uint16_t group, const uint8_t *priv,
			    size_t priv_len, struct ike_dh **out)
{
	if (priv == NULL)
		return -EINVAL;
	return dh_new(group, priv, priv_len, out);
}

int ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap,
		  size_t *len)
{
	if (cap < dh->dh_pub_len)
		return -ENOSPC;
	memcpy(out, dh->dh_pub, dh->dh_pub_len);
	*len = dh->dh_pub_len;
	return 0;
}

/* RFC 7296 §3.4 / NIST SP 800-56A §5.6.2.3.1: 1 < y < p-1. */
static int dh_modp_peer(const struct dh_group *g, const uint8_t *ke,
			EVP_PKEY **peer)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *y = BN_bin2bn(ke, (int)g->g_len, NULL), *pm1 = g->g_prime(NULL);
	int rc = -EIO;

	if (bld == NULL || y == NULL || pm1 == NULL || !BN_sub_word(pm1, 1))
		goto out;
	rc = -EINVAL;
	if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, pm1) >= 0)
		goto out;
	rc = -EIO;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
		goto out;
	rc = dh_fromdata(g, bld, EVP_PKEY_PUBLIC_KEY, peer);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(y);
	BN_free(pm1);
	return rc ? ike_ossl_fail(rc) : 0;
}

/* RFC 5903 §7: KE data is x | y; OpenSSL refuses points off the curve. */
static int dh_ecp_peer(const struct dh_group *g, const uint8_t *ke,
		       EVP_PKEY **peer)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	uint8_t pt[1 + 2 * 66];
	int rc = -EIO;

	if (bld == NULL)
		goto out;
	pt[0] = POINT_CONVERSION_UNCOMPRESSED;
	memcpy(pt + 1, ke, 2 * g->g_len);
	if (!OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
					      1 + 2 * g->g_len))
		goto out;
	rc = dh_fromdata(g, bld, EVP_PKEY_PUBLIC_KEY, peer);
out:
	OSSL_PARAM_BLD_free(bld);
	return rc;
}

/*
 * X25519/X448: the u-coordinate as it is (RFC 8031 §2). The thread's
 * last peer key gets the new value (EVP_PKEY_set1_encoded_public_key): a
 * new EVP_PKEY per exchange cost a type lookup that walks OpenSSL's
 * whole name map. The caller's reference is freed as any other.
 */
static int dh_ecx_peer(const struct dh_group *g, const uint8_t *ke, size_t len,
		       EVP_PKEY **peer)
{
	struct crypto_tls *t = tls_get();
	EVP_PKEY_CTX *ctx = dh_ctx(g, EVP_PKEY_OP_FROMDATA);
	OSSL_PARAM params[2];
	EVP_PKEY **slot;

	if (t == NULL || ctx == NULL)
		return ike_ossl_fail(-ENOMEM);
	slot = &t->t_peer[g - dh_groups];
	if (*slot != NULL && !EVP_PKEY_set1_encoded_public_key(*slot, ke, len)) {
		EVP_PKEY_free(*slot);
		*slot = NULL;
		return ike_ossl_fail(-EINVAL);
	}
	if (*slot == NULL) {
		params[0] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
							      (void *)ke, len);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_fromdata(ctx, slot, EVP_PKEY_PUBLIC_KEY, params) <= 0)
			return ike_ossl_fail(-EINVAL);
	}
	if (!EVP_PKEY_up_ref(*slot))
		return ike_ossl_fail(-EIO);
	*peer = *slot;
	return 0;
}

static int dh_peer(const struct dh_group *g, const uint8_t *ke, size_t len,
		   EVP_PKEY **peer)
{
	if (len != (g->g_kind == DH_ECP ? 2 * g->g_len : g->g_len))
		return -EINVAL;
	switch (g->g_kind) {
	case DH_MODP:
		return dh_modp_peer(g, ke, peer);
	case DH_ECP:
		return dh_ecp_peer(g, ke, peer);
	case DH_ECX:
		break;
	}
	return dh_ecx_peer(g, ke, len, peer);
}

int ike_dh_shared(const struct ike_dh *dh, const uint8_t *peer_ke,
		  size_t peer_len, uint8_t *secret, size_t cap,
		  size_t *secret_len)
{
	const struct dh_group *g = dh->dh_g;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *peer = NULL;
	size_t len = cap;
	int rc;

	if (cap < g->g_len)
		return -ENOSPC;
	rc = dh_peer(g, peer_ke, peer_len, &peer);
	if (rc)
		goto out;
	rc = -EIO;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->dh_key, NULL);
	if (ctx == NULL || EVP_PKEY_derive_init(ctx) <= 0)
		goto out;
	/* §2.14: g^ir is padded with zeros to the length of the modulus. */
	if (g->g_kind == DH_MODP && EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0)
		goto out;
	/* The peer's public key check; OpenSSL's for X25519/X448 only looks
	 * for a public key, so it is skipped there: the derivation itself
	 * refuses the all-zero result of a small-order point (RFC 7748 §6). */
	rc = -EINVAL;
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer, g->g_kind != DH_ECX) <= 0 ||
	    EVP_PKEY_derive(ctx, secret, &len) <= 0)
		goto out;
	rc = len == g->g_len ? 0 : -EIO;
	*secret_len = len;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	if (rc) {
		OPENSSL_cleanse(secret, cap);
		return ike_ossl_fail(rc);
	}
	return 0;
}

void ike_dh_free(struct ike_dh *dh)
{
	if (dh == NULL)
		return;
	EVP_PKEY_free(dh->dh_key);
	OPENSSL_cleanse(dh, sizeof(*dh));
	free(dh);
}

/* ======================= Hash ======================= */

int ike_sha1(const uint8_t *data, size_t len, uint8_t out[IKE_SHA1_LEN])
{
	const EVP_MD *md = sha1_fetch();

	if (md == NULL || !EVP_Digest(data, len, out, NULL, md, NULL))
		return ike_ossl_fail(-EIO);
	return 0;
}

/* ======================= Random ======================= */

int ike_random(uint8_t *buf, size_t len)
{
	if (len > INT_MAX)
		return -EINVAL;
	if (len && RAND_bytes(buf, (int)len) != 1)
		return ike_ossl_fail(-EIO);
	return 0;
}

/*
 * Values that go on the wire (nonces, SPIs, IVs) come from a per-thread
 * pool that one RAND_bytes call fills: a call costs about the same for 8
 * bytes as for 256 (locks and parameter lookups), and an IKE SA setup
 * made six. Bytes are wiped as they are handed out and the pool is
 * forgotten in a forked child. Secrets (the COOKIE secret) do not come
 * from here.
 */
int ike_public_random(uint8_t *buf, size_t len)
{
	struct crypto_tls *t = tls_get();
	uint8_t *p;

	if (t == NULL || len > PUBLIC_POOL)
		return ike_random(buf, len);
	if (len > t->t_pool_left) {
		if (RAND_bytes(t->t_pool, PUBLIC_POOL) != 1) {
			t->t_pool_left = 0;
			return ike_ossl_fail(-EIO);
		}
		t->t_pool_left = PUBLIC_POOL;
	}
	p = t->t_pool + PUBLIC_POOL - t->t_pool_left;
	memcpy(buf, p, len);
	OPENSSL_cleanse(p, len);
	t->t_pool_left -= len;
	return 0;
}

int ike_nonce(uint8_t *buf, size_t len)
{
	if (len < IKE_NONCE_MIN || len > IKE_NONCE_MAX)
		return -EINVAL;
	return ike_public_random(buf, len);
}

int ike_spi_new(uint8_t spi[IKE_SPI_LEN])
{
	static const uint8_t zero[IKE_SPI_LEN];
	int rc;

	do {
		rc = ike_public_random(spi, IKE_SPI_LEN);
	} while (rc == 0 && memcmp(spi, zero, IKE_SPI_LEN) == 0);
	return rc;
}

int ike_child_spi_new(uint32_t *spi)
{
	uint8_t b[4];
	int rc;

	do {
		rc = ike_public_random(b, sizeof(b));
		*spi = be32_get(b);
	} while (rc == 0 && *spi < 256);
	return rc;
}
