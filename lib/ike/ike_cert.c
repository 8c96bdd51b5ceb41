/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * X.509 certificate authentication for IKEv2 on OpenSSL 3 (see
 * ike_cert.h). Control-plane code: clarity first. The private key never
 * leaves its EVP_PKEY; OpenSSL's error queue is emptied on every return.
 */
#include "ike_cert.h"
#include "ike_cert_priv.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

#define ECDSA_DER_MAX 160  /* DER Ecdsa-Sig-Value on P-521: 139 */
#define PSS_SALT_MAX 1024

/* Logs nothing, leaves nothing in OpenSSL's error queue. */
static int ossl_fail(int rc)
{
	ERR_clear_error();
	return rc;
}

/* ======================= Keys and schemes ======================= */

enum key_kind {
	KEY_NONE,
	KEY_RSA,
	KEY_EC,
	KEY_ED25519,
	KEY_ED448,
};

/* What a key can do; for ECDSA also its RFC 4754 method (§3). */
struct key_info {
	uint8_t ki_kind;
	uint8_t ki_ec_method;  /* IKE_AUTH_METHOD_ECDSA_* */
	uint8_t ki_ec_hash;    /* the curve's hash, IKE_SIG_HASH_* */
	size_t ki_ec_len;      /* length of r and of s */
};

static const struct {
	int c_nid;
	uint8_t c_method;
	uint8_t c_hash;
	size_t c_len;
} ec_curves[] = {
	{ NID_X9_62_prime256v1, IKE_AUTH_METHOD_ECDSA_256,
	  IKE_SIG_HASH_SHA2_256, 32 },
	{ NID_secp384r1, IKE_AUTH_METHOD_ECDSA_384, IKE_SIG_HASH_SHA2_384, 48 },
	{ NID_secp521r1, IKE_AUTH_METHOD_ECDSA_521, IKE_SIG_HASH_SHA2_512, 66 },
};

static int ec_info(const EVP_PKEY *k, struct key_info *ki)
{
	char name[64];
	int nid;

	if (EVP_PKEY_get_group_name(k, name, sizeof(name), NULL) != 1)
		return -ENOTSUP;
	nid = OBJ_txt2nid(name);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(name);
	for (size_t i = 0; i < N_ELEM(ec_curves); i++) {
		if (ec_curves[i].c_nid != nid)
			continue;
		ki->ki_kind = KEY_EC;
		ki->ki_ec_method = ec_curves[i].c_method;
		ki->ki_ec_hash = ec_curves[i].c_hash;
		ki->ki_ec_len = ec_curves[i].c_len;
		return 0;
	}
	return -ENOTSUP;
}

/* -ENOTSUP for key types and curves we do not sign or verify with. */
static int key_info(const EVP_PKEY *k, struct key_info *ki)
{
	memset(ki, 0, sizeof(*ki));
	if (EVP_PKEY_is_a(k, "RSA"))
		ki->ki_kind = KEY_RSA;
	else if (EVP_PKEY_is_a(k, "ED25519"))
		ki->ki_kind = KEY_ED25519;
	else if (EVP_PKEY_is_a(k, "ED448"))
		ki->ki_kind = KEY_ED448;
	else if (EVP_PKEY_is_a(k, "EC"))
		return ec_info(k, ki);
	else
		return -ENOTSUP;
	return 0;
}

static const char *hash_md(uint8_t hash)
{
	switch (hash) {
	case IKE_SIG_HASH_SHA1: return "SHA1";
	case IKE_SIG_HASH_SHA2_256: return "SHA256";
	case IKE_SIG_HASH_SHA2_384: return "SHA384";
	case IKE_SIG_HASH_SHA2_512: return "SHA512";
	default: return NULL; /* Identity: EdDSA hashes itself */
	}
}

/*
 * AlgorithmIdentifiers we send, byte for byte as RFC 7427 Appendix A
 * lists them (A.1.2-A.1.4, A.3.2-A.3.4, A.4.3; the SHA-384/512 PSS ones
 * follow A.4.3 with the hash OID and salt length changed) and RFC 8420
 * §2 for EdDSA.
 */
#define OID_RSA(x) \
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, x
#define OID_SHA2(x) \
	0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, x
#define OID_ECDSA(x) 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, x
#define ALGID_RSA(x) { 0x30, 0x0d, OID_RSA(x), 0x05, 0x00 }
#define ALGID_ECDSA(x) { 0x30, 0x0a, OID_ECDSA(x) }
#define ALGID_EDDSA(x) { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, x }
/* RSASSA-PSS-params: hash, MGF1 with the same hash, salt the hash length */
#define ALGID_PSS(h, salt) { 0x30, 0x41, OID_RSA(0x0a), 0x30, 0x34,	\
	0xa0, 0x0f, 0x30, 0x0d, OID_SHA2(h), 0x05, 0x00,		\
	0xa1, 0x1c, 0x30, 0x1a, OID_RSA(0x08),				\
	0x30, 0x0d, OID_SHA2(h), 0x05, 0x00,				\
	0xa2, 0x03, 0x02, 0x01, salt }

static const uint8_t algid_rsa256[] = ALGID_RSA(0x0b);
static const uint8_t algid_rsa384[] = ALGID_RSA(0x0c);
static const uint8_t algid_rsa512[] = ALGID_RSA(0x0d);
static const uint8_t algid_pss256[] = ALGID_PSS(0x01, 0x20);
static const uint8_t algid_pss384[] = ALGID_PSS(0x02, 0x30);
static const uint8_t algid_pss512[] = ALGID_PSS(0x03, 0x40);
static const uint8_t algid_ecdsa256[] = ALGID_ECDSA(0x02);
static const uint8_t algid_ecdsa384[] = ALGID_ECDSA(0x03);
static const uint8_t algid_ecdsa512[] = ALGID_ECDSA(0x04);
static const uint8_t algid_ed25519[] = ALGID_EDDSA(0x70);
static const uint8_t algid_ed448[] = ALGID_EDDSA(0x71);

/* A signature scheme of method 14 (RFC 7427 §3). */
struct scheme {
	uint8_t s_kind;  /* enum key_kind */
	uint8_t s_hash;  /* IKE_SIG_HASH_* */
	bool s_pss;
	const uint8_t *s_algid;
	uint8_t s_algid_len;
};

#define SCHEME(k, h, pss, a) { k, h, pss, a, sizeof(a) }
static const struct scheme schemes[] = {
	SCHEME(KEY_RSA, IKE_SIG_HASH_SHA2_256, false, algid_rsa256),
	SCHEME(KEY_RSA, IKE_SIG_HASH_SHA2_384, false, algid_rsa384),
	SCHEME(KEY_RSA, IKE_SIG_HASH_SHA2_512, false, algid_rsa512),
	SCHEME(KEY_RSA, IKE_SIG_HASH_SHA2_256, true, algid_pss256),
	SCHEME(KEY_RSA, IKE_SIG_HASH_SHA2_384, true, algid_pss384),
	SCHEME(KEY_RSA, IKE_SIG_HASH_SHA2_512, true, algid_pss512),
	SCHEME(KEY_EC, IKE_SIG_HASH_SHA2_256, false, algid_ecdsa256),
	SCHEME(KEY_EC, IKE_SIG_HASH_SHA2_384, false, algid_ecdsa384),
	SCHEME(KEY_EC, IKE_SIG_HASH_SHA2_512, false, algid_ecdsa512),
	SCHEME(KEY_ED25519, IKE_SIG_HASH_IDENTITY, false, algid_ed25519),
	SCHEME(KEY_ED448, IKE_SIG_HASH_IDENTITY, false, algid_ed448),
};

static const struct scheme *scheme_find(uint8_t kind, uint8_t hash, bool pss)
{
	for (size_t i = 0; i < N_ELEM(schemes); i++)
		if (schemes[i].s_kind == kind && schemes[i].s_hash == hash &&
		    schemes[i].s_pss == pss)
			return &schemes[i];
	return NULL;
}

static bool peer_has(const uint16_t *hashes, unsigned n, uint8_t hash)
{
	for (unsigned i = 0; i < n; i++)
		if (hashes[i] == hash)
			return true;
	return false;
}

/* The strongest scheme both sides support; ECDSA prefers its curve's
 * hash. NULL: none, use the RFC 7296 methods. */
static const struct scheme *scheme_pick(const struct key_info *ki,
					const uint16_t *hashes, unsigned n,
					bool prefer_pss)
{
	static const uint8_t order[] = { IKE_SIG_HASH_SHA2_512,
		IKE_SIG_HASH_SHA2_384, IKE_SIG_HASH_SHA2_256,
		IKE_SIG_HASH_IDENTITY };
	bool pss = prefer_pss && ki->ki_kind == KEY_RSA;
	const struct scheme *s;

	if (ki->ki_kind == KEY_EC && peer_has(hashes, n, ki->ki_ec_hash))
		return scheme_find(KEY_EC, ki->ki_ec_hash, false);
	for (size_t i = 0; i < N_ELEM(order); i++) {
		s = scheme_find(ki->ki_kind, order[i], pss);
		if (s != NULL && peer_has(hashes, n, order[i]))
			return s;
	}
	return NULL;
}

/* ======================= Signatures ======================= */

static int pss_setup(EVP_PKEY_CTX *pctx, const char *mgf_md, int salt)
{
	if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, mgf_md, NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt) != 1)
		return -EIO;
	return 0;
}

/* One-shot signature; md NULL for EdDSA; pss: RSASSA-PSS, MGF1 with md,
 * salt of md's length. *sig_len: in the capacity, out the length. */
static int pkey_sign(EVP_PKEY *key, const char *md, bool pss,
		     const uint8_t *msg, size_t msg_len, uint8_t *sig,
		     size_t *sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int rc = -EIO;

	if (ctx == NULL)
		return ossl_fail(-ENOMEM);
	if (EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, key, NULL) != 1)
		goto out;
	if (pss && pss_setup(pctx, md, RSA_PSS_SALTLEN_DIGEST) != 0)
		goto out;
	if (EVP_DigestSign(ctx, sig, sig_len, msg, msg_len) != 1)
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc ? ossl_fail(rc) : 0;
}

/* The PSS parameters of a received AlgorithmIdentifier. */
struct sig_alg {
	uint8_t sa_kind;        /* enum key_kind */
	const char *sa_md;      /* NULL: EdDSA */
	bool sa_pss;
	const char *sa_mgf_md;
	int sa_salt;
};

/* 0, -EACCES if sig does not verify, -EIO. */
static int pkey_verify(EVP_PKEY *key, const char *md,
		       const struct sig_alg *pss, const uint8_t *sig,
		       size_t sig_len, const uint8_t *msg, size_t msg_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int rc = -EIO;

	if (ctx == NULL)
		return ossl_fail(-ENOMEM);
	if (EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, key,
				    NULL) != 1)
		goto out;
	if (pss && pss_setup(pctx, pss->sa_mgf_md, pss->sa_salt) != 0)
		goto out;
	rc = EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len) == 1 ? 0
								     : -EACCES;
out:
	EVP_MD_CTX_free(ctx);
	return rc ? ossl_fail(rc) : 0;
}

/* RFC 4754 §7: r | s, each zero-padded to n bytes, from DER. */
static int ecdsa_der_to_rs(const uint8_t *der, size_t der_len, size_t n,
			   uint8_t *rs)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	const BIGNUM *r, *s;
	int rc = -EIO;

	if (sig == NULL)
		return ossl_fail(-EIO);
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, rs, (int)n) == (int)n &&
	    BN_bn2binpad(s, rs + n, (int)n) == (int)n)
		rc = 0;
	ECDSA_SIG_free(sig);
	return rc;
}

/* DER of r | s (2 n bytes); *der is OPENSSL_free'd by the caller. */
static int ecdsa_rs_to_der(const uint8_t *rs, size_t n, uint8_t **der,
			   size_t *der_len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, (int)n, NULL);
	BIGNUM *s = BN_bin2bn(rs + n, (int)n, NULL);
	int len, rc = -ENOMEM;

	*der = NULL;
	if (sig == NULL || r == NULL || s == NULL)
		goto out;
	ECDSA_SIG_set0(sig, r, s); /* sig owns r and s now */
	r = s = NULL;
	len = i2d_ECDSA_SIG(sig, der);
	if (len <= 0)
		goto out;
	*der_len = (size_t)len;
	rc = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return rc;
}

/* ======================= Our credential ======================= */

struct cred_der {
	uint8_t *d_der;
	size_t d_len;
};

struct ike_credential {
	EVP_PKEY *cr_key;
	struct key_info cr_ki;
	unsigned cr_ncerts;
	struct cred_der cr_cert[IKE_CERT_CHAIN_MAX];
	uint8_t *cr_dn;      /* subject DER */
	size_t cr_dn_len;
};

/* Never prompt for a passphrase: encrypted keys are refused. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/* Every certificate of a PEM file, in order; -EINVAL if there is none
 * or one is malformed. */
static int read_certs(const char *path, STACK_OF(X509) **out)
{
	BIO *bio = BIO_new_file(path, "r");
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *x;
	int rc = -ENOMEM;

	if (bio == NULL) {
		rc = -ENOENT;
		goto out;
	}
	if (sk == NULL)
		goto out;
	while ((x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL))) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			goto out;
		}
	}
	/* The loop ends at EOF (no further PEM start line) or at an error. */
	rc = ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE &&
	     sk_X509_num(sk) > 0 ? 0 : -EINVAL;
out:
	BIO_free(bio);
	if (rc == 0)
		*out = sk;
	else
		sk_X509_pop_free(sk, X509_free);
	ERR_clear_error();
	return rc;
}

static int read_key(const char *path, EVP_PKEY **key)
{
	BIO *bio = BIO_new_file(path, "r");

	if (bio == NULL)
		return ossl_fail(-ENOENT);
	*key = PEM_read_bio_PrivateKey_ex(bio, NULL, no_passphrase, NULL,
					  NULL, NULL);
	BIO_free(bio);
	return *key ? 0 : ossl_fail(-EINVAL);
}

static int cred_take_certs(struct ike_credential *c, STACK_OF(X509) *sk)
{
	X509 *ee = sk_X509_value(sk, 0);
	int len;

	for (int i = 0; i < sk_X509_num(sk); i++) {
		struct cred_der *d = &c->cr_cert[i];

		len = i2d_X509(sk_X509_value(sk, i), &d->d_der);
		if (len <= 0)
			return -ENOMEM;
		d->d_len = (size_t)len;
		c->cr_ncerts++;
	}
	len = i2d_X509_NAME(X509_get_subject_name(ee), &c->cr_dn);
	if (len <= 0)
		return -ENOMEM;
	c->cr_dn_len = (size_t)len;
	return 0;
}

int ike_cred_load(const char *cert_pem, const char *key_pem,
		  struct ike_credential **out)
{
	STACK_OF(X509) *sk = NULL;
	struct ike_credential *c = NULL;
	int rc;

	if (cert_pem == NULL || key_pem == NULL || out == NULL)
		return -EINVAL;
	*out = NULL;
	rc = read_certs(cert_pem, &sk);
	if (rc)
		goto out;
	rc = -EINVAL;
	if (sk_X509_num(sk) > IKE_CERT_CHAIN_MAX)
		goto out;
	rc = -ENOMEM;
	c = OPENSSL_zalloc(sizeof(*c));
	if (c == NULL)
		goto out;
	rc = read_key(key_pem, &c->cr_key);
	if (rc)
		goto out;
	rc = -EINVAL;
	if (X509_check_private_key(sk_X509_value(sk, 0), c->cr_key) != 1)
		goto out;
	rc = key_info(c->cr_key, &c->cr_ki);
	if (rc == 0)
		rc = cred_take_certs(c, sk);
out:
	sk_X509_pop_free(sk, X509_free);
	if (rc)
		ike_cred_free(c);
	else
		*out = c;
	return ossl_fail(rc);
}

void ike_cred_clear(struct ike_credential *c)
{
	if (c == NULL)
		return;
	EVP_PKEY_free(c->cr_key); /* BN_clear_free / secure_clear_free */
	for (unsigned i = 0; i < c->cr_ncerts; i++)
		OPENSSL_free(c->cr_cert[i].d_der);
	OPENSSL_free(c->cr_dn);
	OPENSSL_cleanse(c, sizeof(*c));
}

void ike_cred_free(struct ike_credential *c)
{
	ike_cred_clear(c);
	OPENSSL_free(c);
}

EVP_PKEY *ike_cred_pkey(const struct ike_credential *c)
{
	return c->cr_key;
}

unsigned ike_cred_cert_count(const struct ike_credential *c)
{
	return c ? c->cr_ncerts : 0;
}

const uint8_t *ike_cred_cert_der(const struct ike_credential *c, unsigned i,
				 size_t *len)
{
	if (c == NULL || len == NULL || i >= c->cr_ncerts)
		return NULL;
	*len = c->cr_cert[i].d_len;
	return c->cr_cert[i].d_der;
}

int ike_cred_id_dn(const struct ike_credential *c, uint8_t *out, size_t cap,
		   size_t *len)
{
	if (c == NULL || out == NULL || len == NULL)
		return -EINVAL;
	if (c->cr_dn == NULL)
		return -ENOKEY;
	if (cap < c->cr_dn_len)
		return -ENOSPC;
	memcpy(out, c->cr_dn, c->cr_dn_len);
	*len = c->cr_dn_len;
	return 0;
}

size_t ike_sig_hash_notify(uint8_t *out, size_t cap)
{
	static const uint8_t ours[IKE_SIG_HASH_NOTIFY_LEN] = {
		0, IKE_SIG_HASH_SHA2_256, 0, IKE_SIG_HASH_SHA2_384,
		0, IKE_SIG_HASH_SHA2_512, 0, IKE_SIG_HASH_IDENTITY,
	};

	if (out == NULL || cap < sizeof(ours))
		return 0;
	memcpy(out, ours, sizeof(ours));
	return sizeof(ours);
}

/* Method 14, RFC 7427 §3: length | AlgorithmIdentifier | signature. */
static int sign_digital(const struct ike_credential *c,
			const struct scheme *s, const uint8_t *octets,
			size_t octets_len, uint8_t *auth, size_t cap,
			size_t *auth_len)
{
	size_t off = 1 + (size_t)s->s_algid_len, sig_len;
	int rc;

	if (cap < off || cap - off < (size_t)EVP_PKEY_get_size(c->cr_key))
		return -ENOSPC;
	auth[0] = s->s_algid_len;
	memcpy(auth + 1, s->s_algid, s->s_algid_len);
	sig_len = cap - off;
	rc = pkey_sign(c->cr_key, hash_md(s->s_hash), s->s_pss, octets,
		       octets_len, auth + off, &sig_len);
	if (rc == 0)
		*auth_len = off + sig_len;
	return rc;
}

/* Methods 1 (RFC 7296 §3.8, PKCS#1 v1.5 with SHA-1) and 9/10/11
 * (RFC 4754 §7, r | s). */
static int sign_classic(const struct ike_credential *c,
			const uint8_t *octets, size_t octets_len,
			uint8_t *method, uint8_t *auth, size_t cap,
			size_t *auth_len)
{
	const struct key_info *ki = &c->cr_ki;
	uint8_t der[ECDSA_DER_MAX];
	size_t len;
	int rc;

	if (ki->ki_kind == KEY_RSA) {
		if (cap < (size_t)EVP_PKEY_get_size(c->cr_key))
			return -ENOSPC;
		*auth_len = cap;
		rc = pkey_sign(c->cr_key, "SHA1", false, octets, octets_len,
			       auth, auth_len);
		if (rc == 0)
			*method = IKE_AUTH_METHOD_RSA_SIG;
		return rc;
	}
	if (ki->ki_kind != KEY_EC)
		return -ENOTSUP; /* EdDSA: only method 14 (RFC 8420 §2) */
	if (cap < 2 * ki->ki_ec_len)
		return -ENOSPC;
	len = sizeof(der);
	rc = pkey_sign(c->cr_key, hash_md(ki->ki_ec_hash), false, octets,
		       octets_len, der, &len);
	if (rc == 0)
		rc = ecdsa_der_to_rs(der, len, ki->ki_ec_len, auth);
	if (rc == 0) {
		*auth_len = 2 * ki->ki_ec_len;
		*method = ki->ki_ec_method;
	}
	return rc;
}

int ike_cred_sign(const struct ike_credential *c, const uint16_t *peer_hashes,
		  unsigned n_hashes, bool prefer_pss, const uint8_t *octets,
		  size_t octets_len, uint8_t *method, uint8_t *auth,
		  size_t cap, size_t *auth_len)
{
	const struct scheme *s = NULL;
	int rc;

	if (c == NULL || octets == NULL || method == NULL || auth == NULL ||
	    auth_len == NULL || (n_hashes && peer_hashes == NULL))
		return -EINVAL;
	if (c->cr_key == NULL)
		return -ENOKEY;
	if (n_hashes)
		s = scheme_pick(&c->cr_ki, peer_hashes, n_hashes, prefer_pss);
	if (s == NULL)
		return sign_classic(c, octets, octets_len, method, auth, cap,
				    auth_len);
	rc = sign_digital(c, s, octets, octets_len, auth, cap, auth_len);
	if (rc == 0)
		*method = IKE_AUTH_METHOD_DIGITAL_SIG;
	return rc;
}

/* A signature over msg taken as the digest itself: RSA PKCS#1 v1.5
 * block type 1 with no DigestInfo (OpenSSL pads the input as it is when
 * no digest is set), ECDSA over msg as the hash (DER out). */
static int sign_raw(EVP_PKEY *key, bool rsa, const uint8_t *msg, size_t msg_len,
		    uint8_t *sig, size_t *sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	int rc = -EIO;

	if (ctx == NULL)
		return ossl_fail(-ENOMEM);
	if (EVP_PKEY_sign_init(ctx) == 1 &&
	    (!rsa || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1) &&
	    EVP_PKEY_sign(ctx, sig, sig_len, msg, msg_len) == 1)
		rc = 0;
	EVP_PKEY_CTX_free(ctx);
	return rc ? ossl_fail(rc) : 0;
}

static int verify_raw(EVP_PKEY *key, bool rsa, const uint8_t *sig, size_t sig_len,
		      const uint8_t *msg, size_t msg_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	int rc = -EIO;

	if (ctx == NULL)
		return ossl_fail(-ENOMEM);
	if (EVP_PKEY_verify_init(ctx) == 1 &&
	    (!rsa || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1))
		rc = EVP_PKEY_verify(ctx, sig, sig_len, msg, msg_len) == 1 ? 0 : -EACCES;
	EVP_PKEY_CTX_free(ctx);
	return rc ? ossl_fail(rc) : 0;
}

/* IKEv1's ECDSA: r | s of a signature over the hash itself. */
static int verify_v1_ecdsa(EVP_PKEY *key, const struct key_info *ki, const uint8_t *auth,
			   size_t len, const uint8_t *hash, size_t hash_len)
{
	uint8_t *der = NULL;
	size_t der_len = 0;
	int rc;

	if (ki->ki_kind != KEY_EC)
		return -EACCES;
	if (len != 2 * ki->ki_ec_len)
		return -EINVAL;
	rc = ecdsa_rs_to_der(auth, ki->ki_ec_len, &der, &der_len);
	if (rc == 0)
		rc = verify_raw(key, false, der, der_len, hash, hash_len);
	OPENSSL_free(der);
	return rc;
}

int ike_cred_sign_hash(const struct ike_credential *c, const uint8_t *hash,
		       size_t hash_len, uint8_t *sig, size_t cap, size_t *sig_len)
{
	const struct key_info *ki;
	uint8_t der[ECDSA_DER_MAX];
	size_t len = sizeof(der);
	int rc;

	if (c == NULL || hash == NULL || sig == NULL || sig_len == NULL)
		return -EINVAL;
	if (c->cr_key == NULL)
		return -ENOKEY;
	ki = &c->cr_ki;
	if (ki->ki_kind == KEY_RSA) {
		if (cap < (size_t)EVP_PKEY_get_size(c->cr_key))
			return -ENOSPC;
		*sig_len = cap;
		return sign_raw(c->cr_key, true, hash, hash_len, sig, sig_len);
	}
	if (ki->ki_kind != KEY_EC)
		return -ENOTSUP;
	if (cap < 2 * ki->ki_ec_len)
		return -ENOSPC;
	rc = sign_raw(c->cr_key, false, hash, hash_len, der, &len);
	if (rc == 0)
		rc = ecdsa_der_to_rs(der, len, ki->ki_ec_len, sig);
	if (rc == 0)
		*sig_len = 2 * ki->ki_ec_len;
	return rc;
}

uint8_t ike_cred_ecdsa_method(const struct ike_credential *c)
{
	return c && c->cr_ki.ki_kind == KEY_EC ? c->cr_ki.ki_ec_method : 0;
}

/* ======================= Trust store ======================= */

struct ike_trust {
	X509_STORE *tr_store;
};

static int trust_add_file(X509_STORE *store, const char *path)
{
	STACK_OF(X509) *sk = NULL;
	int rc = read_certs(path, &sk);

	for (int i = 0; rc == 0 && i < sk_X509_num(sk); i++)
		if (X509_STORE_add_cert(store, sk_X509_value(sk, i)) != 1)
			rc = -ENOMEM;
	sk_X509_pop_free(sk, X509_free);
	return ossl_fail(rc);
}

int ike_trust_load(const char *const *ca_pem_paths, unsigned n,
		   struct ike_trust **out)
{
	struct ike_trust *t;
	int rc = 0;

	if (ca_pem_paths == NULL || n == 0 || out == NULL)
		return -EINVAL;
	*out = NULL;
	t = OPENSSL_zalloc(sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->tr_store = X509_STORE_new();
	if (t->tr_store == NULL)
		rc = -ENOMEM;
	for (unsigned i = 0; rc == 0 && i < n; i++)
		rc = ca_pem_paths[i] ? trust_add_file(t->tr_store,
						      ca_pem_paths[i])
				     : -EINVAL;
	if (rc)
		ike_trust_free(t);
	else
		*out = t;
	return ossl_fail(rc);
}

X509_STORE *ike_trust_store(const struct ike_trust *t)
{
	return t->tr_store;
}

void ike_trust_free(struct ike_trust *t)
{
	if (t == NULL)
		return;
	X509_STORE_free(t->tr_store);
	OPENSSL_free(t);
}

/* ======================= The peer ======================= */

/* Exactly one DER certificate, nothing after it. */
static X509 *cert_from_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	if (der == NULL || len == 0 || len > LONG_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x != NULL && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/* §3.6: the first X.509 certificate holds the key; the rest may help
 * build the chain. */
static int peer_certs(const struct ike_cert_data *certs, unsigned n,
		      X509 **ee, STACK_OF(X509) **chain)
{
	unsigned taken = 0;
	X509 *x;

	*chain = sk_X509_new_null();
	if (*chain == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		if (certs[i].cert_enc != IKE_CERT_X509_SIG)
			continue;
		if (++taken > IKE_PEER_CERTS_MAX)
			return -EINVAL;
		x = cert_from_der(certs[i].cert_data, certs[i].cert_len);
		if (x == NULL)
			return -EINVAL;
		if (*ee == NULL)
			*ee = x;
		else if (!sk_X509_push(*chain, x)) {
			X509_free(x);
			return -ENOMEM;
		}
	}
	return *ee ? 0 : -EACCES;
}

static int chain_verify(const struct ike_trust *t, X509 *ee,
			STACK_OF(X509) *chain)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -EIO;

	if (ctx == NULL)
		return -ENOMEM;
	if (X509_STORE_CTX_init(ctx, t->tr_store, ee, chain) != 1 ||
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY) != 1)
		goto out;
	rc = X509_verify_cert(ctx) == 1 ? 0 : -EACCES;
out:
	X509_STORE_CTX_free(ctx);
	return rc;
}

static int id_dn(X509 *ee, const uint8_t *id, size_t id_len)
{
	uint8_t *der = NULL;
	int len = i2d_X509_NAME(X509_get_subject_name(ee), &der);
	int rc;

	if (len <= 0)
		return -ENOMEM;
	rc = (size_t)len == id_len && memcmp(der, id, id_len) == 0 ? 0
								  : -EACCES;
	OPENSSL_free(der);
	return rc;
}

/* The ID must name the certificate (RFC 7296 §3.5: the peer's ID is
 * what its certificate is checked against, RFC 4945 §3.1). */
int ike_cert_id_check(X509 *ee, uint8_t type, const uint8_t *id,
		      size_t len)
{
	const unsigned flags = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
			       X509_CHECK_FLAG_NO_WILDCARDS;

	if (len == 0) /* X509_check_host/_email would take strlen() */
		return -EACCES;
	switch (type) {
	case IKE_ID_DER_ASN1_DN:
		return id_dn(ee, id, len);
	case IKE_ID_FQDN:
		return X509_check_host(ee, (const char *)id, len, flags,
				       NULL) == 1 ? 0 : -EACCES;
	case IKE_ID_RFC822_ADDR:
		return X509_check_email(ee, (const char *)id, len, flags) == 1
			       ? 0 : -EACCES;
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV6_ADDR:
		if (len != (type == IKE_ID_IPV4_ADDR ? 4u : 16u))
			return -EINVAL;
		return X509_check_ip(ee, id, len, 0) == 1 ? 0 : -EACCES;
	default:
		return -EACCES;
	}
}

/* A SHA-2 hash AlgorithmIdentifier (parameters NULL or absent). */
static int sha2_md(const X509_ALGOR *a, const char **md)
{
	int ptype;

	if (a == NULL) /* RSASSA-PSS-params default: SHA-1 */
		return -EACCES;
	X509_ALGOR_get0(NULL, &ptype, NULL, a);
	if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL)
		return -EINVAL;
	switch (OBJ_obj2nid(a->algorithm)) {
	case NID_sha256: *md = "SHA256"; return 0;
	case NID_sha384: *md = "SHA384"; return 0;
	case NID_sha512: *md = "SHA512"; return 0;
	default: return -EACCES;
	}
}

static int pss_mgf(const X509_ALGOR *mgf, const char **md)
{
	X509_ALGOR *h;
	int rc;

	if (mgf == NULL || OBJ_obj2nid(mgf->algorithm) != NID_mgf1)
		return -EACCES; /* default (MGF1 with SHA-1) or unknown */
	if (mgf->parameter == NULL ||
	    mgf->parameter->type != V_ASN1_SEQUENCE)
		return -EINVAL;
	h = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR),
				      mgf->parameter);
	if (h == NULL)
		return -EINVAL;
	rc = sha2_md(h, md);
	X509_ALGOR_free(h);
	return rc;
}

/* RSASSA-PSS-params (RFC 4055 §3.1) into sa. */
static int pss_params(const ASN1_TYPE *param, struct sig_alg *sa)
{
	RSA_PSS_PARAMS *pss;
	int64_t salt = 20, trailer = 1;
	int rc = -EINVAL;

	if (param == NULL) /* all defaults: SHA-1 */
		return -EACCES;
	if (param->type != V_ASN1_SEQUENCE)
		return -EINVAL;
	pss = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS),
					param);
	if (pss == NULL)
		return -EINVAL;
	if ((pss->saltLength &&
	     !ASN1_INTEGER_get_int64(&salt, pss->saltLength)) ||
	    (pss->trailerField &&
	     !ASN1_INTEGER_get_int64(&trailer, pss->trailerField)) ||
	    salt < 0 || salt > PSS_SALT_MAX || trailer != 1)
		goto out;
	rc = sha2_md(pss->hashAlgorithm, &sa->sa_md);
	if (rc == 0)
		rc = pss_mgf(pss->maskGenAlgorithm, &sa->sa_mgf_md);
	sa->sa_kind = KEY_RSA;
	sa->sa_pss = true;
	sa->sa_salt = (int)salt;
out:
	RSA_PSS_PARAMS_free(pss);
	return rc;
}

/* AlgorithmIdentifiers without (variable) parameters. */
static const struct {
	int a_nid;
	uint8_t a_kind;
	const char *a_md;
	bool a_null; /* NULL parameters allowed (RFC 4055 §5) */
} plain_algs[] = {
	{ NID_sha256WithRSAEncryption, KEY_RSA, "SHA256", true },
	{ NID_sha384WithRSAEncryption, KEY_RSA, "SHA384", true },
	{ NID_sha512WithRSAEncryption, KEY_RSA, "SHA512", true },
	{ NID_ecdsa_with_SHA256, KEY_EC, "SHA256", false },
	{ NID_ecdsa_with_SHA384, KEY_EC, "SHA384", false },
	{ NID_ecdsa_with_SHA512, KEY_EC, "SHA512", false },
	{ NID_ED25519, KEY_ED25519, NULL, false },
	{ NID_ED448, KEY_ED448, NULL, false },
};

static int algid_plain(int nid, int ptype, struct sig_alg *sa)
{
	for (size_t i = 0; i < N_ELEM(plain_algs); i++) {
		if (plain_algs[i].a_nid != nid)
			continue;
		if (ptype != V_ASN1_UNDEF &&
		    !(ptype == V_ASN1_NULL && plain_algs[i].a_null))
			return -EINVAL;
		sa->sa_kind = plain_algs[i].a_kind;
		sa->sa_md = plain_algs[i].a_md;
		return 0;
	}
	return -EACCES; /* an algorithm we do not accept */
}

/* The AlgorithmIdentifier of method 14: exactly len bytes of DER. */
static int algid_parse(const uint8_t *p, size_t len, struct sig_alg *sa)
{
	const unsigned char *q = p;
	X509_ALGOR *a = d2i_X509_ALGOR(NULL, &q, (long)len);
	int nid, ptype, rc = -EINVAL;

	memset(sa, 0, sizeof(*sa));
	if (a == NULL || q != p + len)
		goto out;
	X509_ALGOR_get0(NULL, &ptype, NULL, a);
	nid = OBJ_obj2nid(a->algorithm);
	if (nid == NID_rsassaPss)
		rc = pss_params(a->parameter, sa);
	else
		rc = algid_plain(nid, ptype, sa);
out:
	X509_ALGOR_free(a);
	return rc;
}

/* RFC 7427 §3: the AlgorithmIdentifier must fit the key. */
static int verify_digital(EVP_PKEY *key, const struct key_info *ki,
			  const uint8_t *auth, size_t len,
			  const uint8_t *octets, size_t octets_len)
{
	struct sig_alg sa;
	size_t alen;
	int rc;

	if (len < 1)
		return -EINVAL;
	alen = auth[0];
	if (alen == 0 || 1 + alen >= len) /* the signature is not empty */
		return -EINVAL;
	rc = algid_parse(auth + 1, alen, &sa);
	if (rc)
		return rc;
	if (sa.sa_kind != ki->ki_kind)
		return -EACCES;
	return pkey_verify(key, sa.sa_md, sa.sa_pss ? &sa : NULL,
			   auth + 1 + alen, len - 1 - alen, octets,
			   octets_len);
}

/* RFC 4754 §7: the method fixes curve and hash; r | s of fixed size. */
static int verify_rs(EVP_PKEY *key, const struct key_info *ki,
		     uint8_t method, const uint8_t *auth, size_t len,
		     const uint8_t *octets, size_t octets_len)
{
	uint8_t *der = NULL;
	size_t der_len = 0;
	int rc;

	if (ki->ki_kind != KEY_EC || ki->ki_ec_method != method)
		return -EACCES;
	if (len != 2 * ki->ki_ec_len)
		return -EINVAL;
	rc = ecdsa_rs_to_der(auth, ki->ki_ec_len, &der, &der_len);
	if (rc == 0)
		rc = pkey_verify(key, hash_md(ki->ki_ec_hash), NULL, der,
				 der_len, octets, octets_len);
	OPENSSL_free(der);
	return rc;
}

static int auth_verify(EVP_PKEY *key, uint8_t method, const uint8_t *auth,
		       size_t len, const uint8_t *octets, size_t octets_len)
{
	struct key_info ki;

	if (key == NULL || key_info(key, &ki) != 0)
		return -EACCES;
	switch (method) {
	case IKE_AUTH_METHOD_RSA_SIG:
		if (ki.ki_kind != KEY_RSA)
			return -EACCES;
		if (len == 0)
			return -EINVAL;
		return pkey_verify(key, "SHA1", NULL, auth, len, octets,
				   octets_len);
	case IKE_AUTH_METHOD_V1_RSA:
		if (ki.ki_kind != KEY_RSA)
			return -EACCES;
		return len ? verify_raw(key, true, auth, len, octets, octets_len) : -EINVAL;
	case IKE_AUTH_METHOD_V1_ECDSA:
		return verify_v1_ecdsa(key, &ki, auth, len, octets, octets_len);
	case IKE_AUTH_METHOD_ECDSA_256:
	case IKE_AUTH_METHOD_ECDSA_384:
	case IKE_AUTH_METHOD_ECDSA_521:
		return verify_rs(key, &ki, method, auth, len, octets,
				 octets_len);
	case IKE_AUTH_METHOD_DIGITAL_SIG:
		return verify_digital(key, &ki, auth, len, octets,
				      octets_len);
	default:
		return -EACCES;
	}
}

int ike_verify_peer(const struct ike_trust *t, const struct ike_cert_data *certs,
		    unsigned n_certs, uint8_t id_type, const uint8_t *id,
		    size_t id_len, uint8_t method, const uint8_t *auth,
		    size_t auth_len, const uint8_t *octets,
		    size_t octets_len)
{
	STACK_OF(X509) *chain = NULL;
	X509 *ee = NULL;
	int rc;

	if (t == NULL || (certs == NULL && n_certs) ||
	    (id == NULL && id_len) || (auth == NULL && auth_len) ||
	    octets == NULL)
		return -EINVAL;
	rc = peer_certs(certs, n_certs, &ee, &chain);
	if (rc == 0)
		rc = chain_verify(t, ee, chain);
	if (rc == 0)
		rc = ike_cert_id_check(ee, id_type, id, id_len);
	if (rc == 0)
		rc = auth_verify(X509_get0_pubkey(ee), method, auth, auth_len,
				 octets, octets_len);
	X509_free(ee);
	sk_X509_pop_free(chain, X509_free);
	return ossl_fail(rc);
}

/* ---- DN identities ---- */

static int dn_add(X509_NAME *name, char *rdn)
{
	char *eq = strchr(rdn, '=');

	while (*rdn == ' ')
		rdn++;
	if (!eq || eq == rdn)
		return -EINVAL;
	*eq = '\0';
	for (char *t = eq - 1; t > rdn && *t == ' '; t--)
		*t = '\0';
	return X509_NAME_add_entry_by_txt(name, rdn, MBSTRING_UTF8,
					  (const unsigned char *)eq + 1, -1, -1, 0) == 1 ? 0 : -EINVAL;
}

int ike_dn_from_text(const char *text, uint8_t *der, size_t cap, size_t *len)
{
	X509_NAME *name = X509_NAME_new();
	char buf[512], *save = NULL, *rdn;
	unsigned char *p = der;
	int rc = -EINVAL, n;

	if (!name || strlen(text) >= sizeof(buf))
		goto out;
	snprintf(buf, sizeof(buf), "%s", text[0] == '/' ? text + 1 : text);
	for (rdn = strtok_r(buf, strchr(text, ',') ? "," : "/", &save); rdn;
	     rdn = strtok_r(NULL, strchr(text, ',') ? "," : "/", &save))
		if (dn_add(name, rdn) != 0)
			goto out;
	n = i2d_X509_NAME(name, NULL);
	if (n <= 0 || (size_t)n > cap)
		goto out;
	i2d_X509_NAME(name, &p);
	*len = (size_t)n;
	rc = 0;
out:
	X509_NAME_free(name);
	ERR_clear_error();
	return rc;
}

bool ike_dn_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	const unsigned char *pa = a, *pb = b;
	X509_NAME *na = d2i_X509_NAME(NULL, &pa, (long)alen);
	X509_NAME *nb = d2i_X509_NAME(NULL, &pb, (long)blen);
	bool eq = na && nb && pa == a + alen && pb == b + blen && X509_NAME_cmp(na, nb) == 0;

	X509_NAME_free(na);
	X509_NAME_free(nb);
	ERR_clear_error();
	return eq;
}
