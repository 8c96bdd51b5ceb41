/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2's key schedule and message protection on OpenSSL 3 (see
 * ike_crypto.h): SKEYSEED and the SA keys (RFC 7296 §2.14, §2.18),
 * Child SA KEYMAT (§2.17), the SK payload (§3.14, RFC 5282, RFC 7634) and
 * the AUTH octets (§2.15). The primitives (PRF, DH, random) are the
 * core's, in ike_crypto.c. Every buffer that held a secret is wiped.
 */
#include "ike_crypto_priv.h"
#include "ikev2_msg.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* ======================= Key derivation ======================= */

/* §2.10: nonces are 16 to 256 bytes. */
static bool nonces_ok(size_t ni_len, size_t nr_len)
{
	return ni_len >= IKE_NONCE_MIN && ni_len <= IKE_NONCE_MAX &&
	       nr_len >= IKE_NONCE_MIN && nr_len <= IKE_NONCE_MAX;
}

int ike_skeyseed(uint16_t prf, const uint8_t *ni, size_t ni_len,
		 const uint8_t *nr, size_t nr_len,
		 const uint8_t *gir, size_t gir_len, uint8_t *out)
{
	if (!nonces_ok(ni_len, nr_len))
		return -EINVAL;
	/* SKEYSEED = prf(Ni | Nr, g^ir) */
	return ike_prf_nonce_keyed(prf, ni, ni_len, nr, nr_len, gir, gir_len,
				   out);
}

int ike_skeyseed_rekey(uint16_t old_prf, const uint8_t *sk_d_old,
		       size_t sk_d_len, const uint8_t *gir, size_t gir_len,
		       const uint8_t *ni, size_t ni_len,
		       const uint8_t *nr, size_t nr_len, uint8_t *out)
{
	struct ike_iov iov[] = { { gir, gir_len }, { ni, ni_len }, { nr, nr_len } };

	if (!nonces_ok(ni_len, nr_len) || gir_len == 0)
		return -EINVAL;
	/* SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) */
	return ike_prf_iov(old_prf, sk_d_old, sk_d_len, iov, N_ELEM(iov), out);
}

/* Takes the next len bytes of keying material. */
static void km_take(const uint8_t **km, uint8_t *dst, size_t len)
{
	memcpy(dst, *km, len);
	*km += len;
}

static void sk_keys_set(struct ike_sk_keys *k, const struct ike_suite *s)
{
	k->sk_encr = s->encr;
	k->sk_integ = s->integ;
	k->sk_ekey_len = (uint8_t)ike_encr_keymat_len(s->encr, s->encr_bits);
	k->sk_ikey_len = (uint8_t)ike_integ_key_len(s->integ);
}

int ike_sa_keys_derive(const struct ike_suite *s, const uint8_t *skeyseed,
		       size_t skeyseed_len, const uint8_t *ni, size_t ni_len,
		       const uint8_t *nr, size_t nr_len,
		       const uint8_t spi_i[IKE_SPI_LEN],
		       const uint8_t spi_r[IKE_SPI_LEN],
		       struct ike_sa_keys *k)
{
	uint8_t km[3 * IKE_PRF_MAX + 2 * IKE_ENCR_KEY_MAX + 2 * IKE_INTEG_KEY_MAX];
	struct ike_iov seed[] = { { ni, ni_len }, { nr, nr_len },
				  { spi_i, IKE_SPI_LEN }, { spi_r, IKE_SPI_LEN } };
	const uint8_t *p = km;
	size_t plen, elen, ilen;
	int rc;

	memset(k, 0, sizeof(*k));
	rc = ike_suite_check(s);
	if (rc)
		return rc;
	if (!nonces_ok(ni_len, nr_len))
		return -EINVAL;
	plen = ike_prf_len(s->prf);
	elen = ike_encr_keymat_len(s->encr, s->encr_bits);
	ilen = ike_integ_key_len(s->integ);
	rc = ike_prf_plus(s->prf, skeyseed, skeyseed_len, seed, N_ELEM(seed),
			  km, 3 * plen + 2 * elen + 2 * ilen);
	if (rc)
		goto out;
	k->sa_prf = s->prf;
	k->sa_prf_len = (uint8_t)plen;
	sk_keys_set(&k->sk_i, s);
	sk_keys_set(&k->sk_r, s);
	/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} */
	km_take(&p, k->sk_d, plen);
	km_take(&p, k->sk_i.sk_ikey, ilen);
	km_take(&p, k->sk_r.sk_ikey, ilen);
	km_take(&p, k->sk_i.sk_ekey, elen);
	km_take(&p, k->sk_r.sk_ekey, elen);
	km_take(&p, k->sk_pi, plen);
	km_take(&p, k->sk_pr, plen);
out:
	OPENSSL_cleanse(km, sizeof(km));
	if (rc)
		ike_sa_keys_wipe(k);
	return rc;
}

void ike_sk_keys_wipe(struct ike_sk_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

void ike_sa_keys_wipe(struct ike_sa_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

int ike_child_keymat(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len,
		     const uint8_t *gir, size_t gir_len,
		     const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len,
		     size_t encr_len, size_t integ_len,
		     struct ike_child_keys *k)
{
	uint8_t km[2 * (IKE_ENCR_KEY_MAX + IKE_INTEG_KEY_MAX)];
	struct ike_iov seed[] = { { gir, gir ? gir_len : 0 }, { ni, ni_len },
				  { nr, nr_len } };
	const uint8_t *p = km;
	int rc;

	memset(k, 0, sizeof(*k));
	if (!nonces_ok(ni_len, nr_len) || encr_len > IKE_ENCR_KEY_MAX ||
	    integ_len > IKE_INTEG_KEY_MAX || (gir != NULL && gir_len == 0))
		return -EINVAL;
	/* KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) */
	rc = ike_prf_plus(prf, sk_d, sk_d_len, seed, N_ELEM(seed), km,
			  2 * (encr_len + integ_len));
	if (rc)
		goto out;
	k->ck_encr_len = (uint8_t)encr_len;
	k->ck_integ_len = (uint8_t)integ_len;
	km_take(&p, k->ck_i2r.cd_encr, encr_len);
	km_take(&p, k->ck_i2r.cd_integ, integ_len);
	km_take(&p, k->ck_r2i.cd_encr, encr_len);
	km_take(&p, k->ck_r2i.cd_integ, integ_len);
out:
	OPENSSL_cleanse(km, sizeof(km));
	if (rc)
		ike_child_keys_wipe(k);
	return rc;
}

void ike_child_keys_wipe(struct ike_child_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

/* ======================= SK payload ======================= */

static bool sk_aead(const struct ike_sk_keys *k)
{
	return ike_encr_is_aead(k->sk_encr);
}

/* The keys are consistent: one supported algorithm, lengths that fit it. */
static int sk_keys_check(const struct ike_sk_keys *k)
{
	switch (k->sk_encr) {
	case IKE_ENCR_AES_CBC:
		if (k->sk_ekey_len != 16 && k->sk_ekey_len != 24 &&
		    k->sk_ekey_len != 32)
			return -EINVAL;
		if (ike_integ_key_len(k->sk_integ) == 0)
			return k->sk_integ == IKE_AUTH_NONE ? -EINVAL : -ENOTSUP;
		return k->sk_ikey_len == ike_integ_key_len(k->sk_integ) ? 0 : -EINVAL;
	case IKE_ENCR_AES_GCM_16:
		if (k->sk_ekey_len != 16 + AEAD_SALT_LEN &&
		    k->sk_ekey_len != 24 + AEAD_SALT_LEN &&
		    k->sk_ekey_len != 32 + AEAD_SALT_LEN)
			return -EINVAL;
		return k->sk_integ == IKE_AUTH_NONE ? 0 : -EINVAL;
	case IKE_ENCR_CHACHA20_POLY1305:
		if (k->sk_ekey_len != 32 + AEAD_SALT_LEN)
			return -EINVAL;
		return k->sk_integ == IKE_AUTH_NONE ? 0 : -EINVAL;
	}
	return -ENOTSUP;
}

static const char *sk_cipher_name(const struct ike_sk_keys *k)
{
	size_t klen = k->sk_ekey_len - (sk_aead(k) ? AEAD_SALT_LEN : 0);

	if (k->sk_encr == IKE_ENCR_CHACHA20_POLY1305)
		return "ChaCha20-Poly1305";
	if (k->sk_encr == IKE_ENCR_AES_GCM_16)
		return klen == 16 ? "AES-128-GCM" :
		       klen == 24 ? "AES-192-GCM" : "AES-256-GCM";
	return klen == 16 ? "AES-128-CBC" :
	       klen == 24 ? "AES-192-CBC" : "AES-256-CBC";
}

size_t ike_sk_iv_len(const struct ike_sk_keys *k)
{
	return sk_aead(k) ? AEAD_IV_LEN : CBC_BLOCK;
}

size_t ike_sk_icv_len(const struct ike_sk_keys *k)
{
	return sk_aead(k) ? AEAD_ICV_LEN : ike_integ_icv_len(k->sk_integ);
}

/* Plaintext + padding + Pad Length: whole CBC blocks, or no padding. */
static size_t sk_ct_len(const struct ike_sk_keys *k, size_t plain_len)
{
	size_t len = plain_len + 1;

	if (sk_aead(k))
		return len;
	return (len + CBC_BLOCK - 1) / CBC_BLOCK * CBC_BLOCK;
}

size_t ike_sk_body_len(const struct ike_sk_keys *k, size_t plain_len)
{
	return ike_sk_iv_len(k) + sk_ct_len(k, plain_len) + ike_sk_icv_len(k);
}

/* The truncated HMAC over msg[0 .. len) into icv (RFC 7296 §3.14). */
static int sk_icv(const struct ike_sk_keys *k, const uint8_t *msg, size_t len,
		  uint8_t *icv)
{
	struct ike_iov iov = { msg, len };
	uint8_t full[IKE_PRF_MAX];
	int rc = ike_integ_hmac(k->sk_integ, k->sk_ikey, k->sk_ikey_len, &iov, 1, full);

	if (rc == 0)
		memcpy(icv, full, ike_integ_icv_len(k->sk_integ));
	OPENSSL_cleanse(full, sizeof(full));
	return rc;
}

/* AES-CBC over buf[0 .. len) in place, no padding of OpenSSL's. */
static int sk_cbc(const struct ike_sk_keys *k, const uint8_t *iv, uint8_t *buf,
		  size_t len, int enc)
{
	const EVP_CIPHER *c = ike_cipher_fetch(sk_cipher_name(k));
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int outl, fin, rc = -EIO;

	if (c == NULL || ctx == NULL || len > INT_MAX)
		goto out;
	if (!EVP_CipherInit_ex2(ctx, c, k->sk_ekey, iv, enc, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
	    !EVP_CipherUpdate(ctx, buf, &outl, buf, (int)len) ||
	    !EVP_CipherFinal_ex(ctx, buf + outl, &fin) ||
	    (size_t)outl + (size_t)fin != len)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx); /* cleanses the key schedule */
	return rc ? ike_ossl_fail(rc) : 0;
}

/*
 * AES-GCM or ChaCha20-Poly1305 over buf[0 .. len) in place, nonce =
 * salt | IV, AAD = aad[0 .. aad_len) (RFC 5282 §4-5, RFC 7634 §4).
 * Encrypting writes the tag to tag; decrypting checks it (-EBADMSG).
 */
static int sk_aead_run(const struct ike_sk_keys *k, const uint8_t *iv,
		       const uint8_t *aad, size_t aad_len, uint8_t *buf,
		       size_t len, uint8_t *tag, int enc)
{
	const EVP_CIPHER *c = ike_cipher_fetch(sk_cipher_name(k));
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	size_t klen = k->sk_ekey_len - AEAD_SALT_LEN;
	uint8_t nonce[AEAD_NONCE_LEN];
	int outl, fin, rc = -EIO;

	memcpy(nonce, k->sk_ekey + klen, AEAD_SALT_LEN);
	memcpy(nonce + AEAD_SALT_LEN, iv, AEAD_IV_LEN);
	if (c == NULL || ctx == NULL || len > INT_MAX || aad_len > INT_MAX)
		goto out;
	if (!EVP_CipherInit_ex2(ctx, c, NULL, NULL, enc, NULL) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, AEAD_NONCE_LEN, NULL) ||
	    !EVP_CipherInit_ex2(ctx, NULL, k->sk_ekey, nonce, enc, NULL) ||
	    (!enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
					  AEAD_ICV_LEN, tag)) ||
	    !EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) ||
	    !EVP_CipherUpdate(ctx, buf, &outl, buf, (int)len))
		goto out;
	rc = enc ? -EIO : -EBADMSG;
	if (!EVP_CipherFinal_ex(ctx, buf + outl, &fin) ||
	    (size_t)outl + (size_t)fin != len)
		goto out;
	rc = -EIO;
	if (enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
					AEAD_ICV_LEN, tag))
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(nonce, sizeof(nonce));
	EVP_CIPHER_CTX_free(ctx);
	if (rc && !enc)
		OPENSSL_cleanse(buf, len); /* no unauthenticated plaintext */
	return rc ? ike_ossl_fail(rc) : 0;
}

/* pl_hdr: the payload's header length, 4 for SK, 8 for SKF (RFC 7383
 * §2.5: Fragment Number and Total Fragments follow the generic header);
 * the Payload Length field sits at its start. */
static int sk_encrypt(const struct ike_sk_keys *k, const uint8_t *iv, uint8_t *msg,
		      size_t aad_len, size_t pl_hdr, const uint8_t *plain,
		      size_t plain_len, size_t cap, size_t *msg_len);

int ike_sk_encrypt_iv(const struct ike_sk_keys *k, const uint8_t *iv,
		      uint8_t *msg, size_t aad_len, const uint8_t *plain,
		      size_t plain_len, size_t cap, size_t *msg_len)
{
	return sk_encrypt(k, iv, msg, aad_len, IKE_GEN_HDR_LEN, plain, plain_len, cap,
			  msg_len);
}

int ike_skf_encrypt(const struct ike_sk_keys *k, uint8_t *msg, size_t aad_len,
		    const uint8_t *plain, size_t plain_len, size_t cap, size_t *msg_len)
{
	uint8_t iv[IKE_IV_MAX];
	int rc = ike_public_random(iv, ike_sk_iv_len(k));

	if (rc == 0)
		rc = sk_encrypt(k, iv, msg, aad_len, IKE_GEN_HDR_LEN + 4, plain, plain_len,
				cap, msg_len);
	OPENSSL_cleanse(iv, sizeof(iv));
	return rc;
}

static int sk_encrypt(const struct ike_sk_keys *k, const uint8_t *iv, uint8_t *msg,
		      size_t aad_len, size_t pl_hdr, const uint8_t *plain,
		      size_t plain_len, size_t cap, size_t *msg_len)
{
	size_t iv_len, ct_len, body, pad;
	uint8_t *ct;
	int rc;

	rc = sk_keys_check(k);
	if (rc)
		return rc;
	if (aad_len < IKE_HDR_LEN + pl_hdr || plain_len > UINT16_MAX)
		return -EINVAL;
	iv_len = ike_sk_iv_len(k);
	ct_len = sk_ct_len(k, plain_len);
	body = ike_sk_body_len(k, plain_len);
	if (pl_hdr + body > UINT16_MAX)
		return -EMSGSIZE;
	if (aad_len + body > cap)
		return -ENOSPC;
	/* IV | inner payloads | Padding | Pad Length | ICV (§3.14) */
	ct = msg + aad_len + iv_len;
	pad = ct_len - plain_len - 1;
	memmove(ct, plain, plain_len);
	memset(ct + plain_len, 0, pad);
	ct[plain_len + pad] = (uint8_t)pad;
	memcpy(msg + aad_len, iv, iv_len);
	/* Both lengths are authenticated: final values before the ICV. */
	be32_put(msg + IKE_HDR_LEN_OFF, (uint32_t)(aad_len + body));
	be16_put(msg + aad_len - pl_hdr + 2, (uint16_t)(pl_hdr + body));
	if (sk_aead(k)) {
		rc = sk_aead_run(k, iv, msg, aad_len, ct, ct_len, ct + ct_len, 1);
	} else {
		rc = sk_cbc(k, iv, ct, ct_len, 1);
		if (rc == 0)
			rc = sk_icv(k, msg, aad_len + iv_len + ct_len, ct + ct_len);
	}
	if (rc) {
		OPENSSL_cleanse(ct, ct_len); /* no plaintext left in msg */
		return rc;
	}
	*msg_len = aad_len + body;
	return 0;
}

int ike_sk_encrypt(const struct ike_sk_keys *k, uint8_t *msg, size_t aad_len,
		   const uint8_t *plain, size_t plain_len, size_t cap,
		   size_t *msg_len)
{
	uint8_t iv[IKE_IV_MAX];
	int rc;

	rc = sk_keys_check(k);
	if (rc)
		return rc;
	/* Random IVs: CBC needs unpredictable ones (§3.14); for the AEADs
	 * 64 random bits repeat too rarely for IKE's message counts. */
	rc = ike_public_random(iv, ike_sk_iv_len(k));
	if (rc)
		return rc;
	return ike_sk_encrypt_iv(k, iv, msg, aad_len, plain, plain_len, cap,
				 msg_len);
}

int ike_sk_decrypt(const struct ike_sk_keys *k, uint8_t *msg, size_t msg_len,
		   size_t aad_len, uint8_t **plain, size_t *plain_len)
{
	uint8_t icv[IKE_ICV_MAX];
	size_t iv_len, icv_len, ct_len, pad;
	uint8_t *iv, *ct;
	int rc;

	rc = sk_keys_check(k);
	if (rc)
		return rc;
	iv_len = ike_sk_iv_len(k);
	icv_len = ike_sk_icv_len(k);
	if (aad_len < IKE_HDR_LEN + IKE_GEN_HDR_LEN ||
	    msg_len < aad_len + iv_len + icv_len + 1)
		return -EINVAL;
	iv = msg + aad_len;
	ct = iv + iv_len;
	ct_len = msg_len - aad_len - iv_len - icv_len;
	if (sk_aead(k)) {
		rc = sk_aead_run(k, iv, msg, aad_len, ct, ct_len, ct + ct_len, 0);
		if (rc)
			return rc;
	} else {
		if (ct_len % CBC_BLOCK != 0)
			return -EINVAL;
		/* Verify before decrypting, in constant time. */
		rc = sk_icv(k, msg, msg_len - icv_len, icv);
		if (rc)
			return rc;
		if (CRYPTO_memcmp(icv, msg + msg_len - icv_len, icv_len) != 0)
			return -EBADMSG;
		rc = sk_cbc(k, iv, ct, ct_len, 0);
		if (rc)
			return rc;
	}
	pad = ct[ct_len - 1];
	if (pad + 1 > ct_len) {
		OPENSSL_cleanse(ct, ct_len);
		return -EINVAL;
	}
	*plain = ct;
	*plain_len = ct_len - pad - 1;
	return 0;
}

/* ======================= AUTH (RFC 7296 §2.15) ======================= */

size_t ike_auth_octets_len(uint16_t prf, size_t msg_len, size_t nonce_len)
{
	return msg_len + nonce_len + ike_prf_len(prf);
}

int ike_auth_octets(uint16_t prf, const uint8_t *sk_p,
		    const uint8_t *real_msg, size_t msg_len,
		    const uint8_t *nonce, size_t nonce_len,
		    const uint8_t *id, size_t id_len,
		    uint8_t *out, size_t cap, size_t *out_len)
{
	size_t plen = ike_prf_len(prf);
	int rc;

	if (plen == 0)
		return -ENOTSUP;
	if (ike_auth_octets_len(prf, msg_len, nonce_len) > cap)
		return -ENOSPC;
	/* RealMessage | Nonce(peer) | prf(SK_p, ID') */
	memcpy(out, real_msg, msg_len);
	memcpy(out + msg_len, nonce, nonce_len);
	rc = ike_prf(prf, sk_p, plen, id, id_len, out + msg_len + nonce_len);
	if (rc)
		return rc;
	*out_len = msg_len + nonce_len + plen;
	return 0;
}

int ike_auth_psk(uint16_t prf, const uint8_t *psk, size_t psk_len,
		 const uint8_t *octets, size_t octets_len, uint8_t *auth)
{
	static const char pad[] = "Key Pad for IKEv2"; /* 17 bytes, no NUL */
	uint8_t key[IKE_PRF_MAX];
	int rc;

	rc = ike_prf(prf, psk, psk_len, (const uint8_t *)pad, sizeof(pad) - 1,
		     key);
	if (rc)
		goto out;
	rc = ike_prf(prf, key, ike_prf_len(prf), octets, octets_len, auth);
out:
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int ike_auth_psk_verify(uint16_t prf, const uint8_t *psk, size_t psk_len,
			const uint8_t *octets, size_t octets_len,
			const uint8_t *auth, size_t auth_len)
{
	uint8_t want[IKE_PRF_MAX];
	int rc;

	rc = ike_auth_psk(prf, psk, psk_len, octets, octets_len, want);
	if (rc)
		goto out;
	if (auth_len != ike_prf_len(prf) ||
	    CRYPTO_memcmp(want, auth, auth_len) != 0)
		rc = -EACCES;
out:
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}

