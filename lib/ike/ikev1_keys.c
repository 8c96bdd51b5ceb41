/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1's key schedule (RFC 2409 §5, App. B): SKEYID for pre-shared keys
 * and signatures, SKEYID_d/a/e, the lengthened encryption key and the
 * phase 1 and phase 2 IVs. Every intermediate secret is wiped at out:.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "byteorder.h"
#include "ikev1_keys.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

int ikev1_skeyid_psk(uint16_t prf, const uint8_t *psk, size_t psk_len,
		     const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len, uint8_t *out)
{
	const struct ike_iov iov[] = { { ni, ni_len }, { nr, nr_len } };

	return ike_prf_iov(prf, psk, psk_len, iov, N_ELEM(iov), out);
}

int ikev1_skeyid_sig(uint16_t prf, const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len,
		     const uint8_t *gxy, size_t gxy_len, uint8_t *out)
{
	/* RFC 2409 §5: nonces of 8..256 bytes */
	return ike_prf_nonce_keyed(prf, ni, ni_len, nr, nr_len, gxy, gxy_len,
				   out);
}

/* out = prf(SKEYID, [prev |] g^xy | CKY-I | CKY-R | n). */
static int skeyid_child(uint16_t prf, const uint8_t *skeyid, size_t len,
			const uint8_t *prev, const uint8_t *gxy,
			size_t gxy_len, const uint8_t *cky_i,
			const uint8_t *cky_r, uint8_t n, uint8_t *out)
{
	const struct ike_iov iov[] = {
		{ prev, prev ? len : 0 },
		{ gxy, gxy_len },
		{ cky_i, IKEV1_COOKIE_LEN },
		{ cky_r, IKEV1_COOKIE_LEN },
		{ &n, 1 },
	};

	return ike_prf_iov(prf, skeyid, len, iov, N_ELEM(iov), out);
}

int ikev1_keys_derive(uint16_t prf, const uint8_t *skeyid,
		      const uint8_t *gxy, size_t gxy_len,
		      const uint8_t cky_i[IKEV1_COOKIE_LEN],
		      const uint8_t cky_r[IKEV1_COOKIE_LEN],
		      struct ikev1_keys *k)
{
	const size_t len = ike_prf_len(prf);
	int rc;

	memset(k, 0, sizeof(*k));
	if (len == 0)
		return -ENOTSUP;
	k->k_len = len;
	memcpy(k->k_skeyid, skeyid, len);
	rc = skeyid_child(prf, skeyid, len, NULL, gxy, gxy_len, cky_i, cky_r,
			  0, k->k_skeyid_d);
	if (rc == 0)
		rc = skeyid_child(prf, skeyid, len, k->k_skeyid_d, gxy,
				  gxy_len, cky_i, cky_r, 1, k->k_skeyid_a);
	if (rc == 0)
		rc = skeyid_child(prf, skeyid, len, k->k_skeyid_a, gxy,
				  gxy_len, cky_i, cky_r, 2, k->k_skeyid_e);
	if (rc)
		ikev1_keys_wipe(k);
	return rc;
}

void ikev1_keys_wipe(struct ikev1_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

int ikev1_enc_key(uint16_t prf, const uint8_t *skeyid_e, size_t e_len,
		  uint8_t *key, size_t key_len)
{
	const size_t plen = ike_prf_len(prf);
	uint8_t kn[IKE_PRF_MAX];
	size_t done = 0;
	int rc = 0;

	if (plen == 0)
		return -ENOTSUP;
	if (e_len != plen)
		return -EINVAL;
	if (key_len <= e_len) {
		memcpy(key, skeyid_e, key_len);
		return 0;
	}
	/* App. B: K1 = prf(SKEYID_e, 0), K2 = prf(SKEYID_e, K1), ... */
	kn[0] = 0;
	rc = ike_prf(prf, skeyid_e, e_len, kn, 1, kn);
	while (rc == 0) {
		size_t take = key_len - done < plen ? key_len - done : plen;

		memcpy(key + done, kn, take);
		done += take;
		if (done == key_len)
			break;
		rc = ike_prf(prf, skeyid_e, e_len, kn, plen, kn);
	}
	OPENSSL_cleanse(kn, sizeof(kn));
	if (rc)
		OPENSSL_cleanse(key, key_len);
	return rc;
}

/* The hash whose HMAC prf is (App. B hashes with the negotiated hash). */
static const EVP_MD *prf_hash(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA1:
		return EVP_sha1();
	case IKE_PRF_HMAC_SHA2_256:
		return EVP_sha256();
	case IKE_PRF_HMAC_SHA2_384:
		return EVP_sha384();
	case IKE_PRF_HMAC_SHA2_512:
		return EVP_sha512();
	}
	return NULL;
}

/* iv[block_len] = the first block_len bytes of hash(a | b). */
static int hash2(uint16_t prf, const void *a, size_t a_len, const void *b,
		 size_t b_len, uint8_t *iv, size_t block_len)
{
	const EVP_MD *md = prf_hash(prf);
	uint8_t d[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx;
	int rc = -EIO;

	if (md == NULL)
		return -ENOTSUP;
	if (block_len == 0 || block_len > (size_t)EVP_MD_get_size(md))
		return -EINVAL;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return -ENOMEM;
	if (EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, a, a_len) == 1 &&
	    EVP_DigestUpdate(ctx, b, b_len) == 1 &&
	    EVP_DigestFinal_ex(ctx, d, NULL) == 1) {
		memcpy(iv, d, block_len);
		rc = 0;
	}
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(d, sizeof(d));
	return rc;
}

int ikev1_nat_hash(uint16_t prf, const uint8_t cky_i[IKEV1_COOKIE_LEN],
		   const uint8_t cky_r[IKEV1_COOKIE_LEN], const uint8_t *addr,
		   size_t addr_len, uint16_t port, uint8_t *out, size_t *out_len)
{
	const EVP_MD *md = prf_hash(prf);
	uint8_t buf[2 * IKEV1_COOKIE_LEN + 16 + 2];
	unsigned n = 0;

	if (md == NULL)
		return -ENOTSUP;
	if (addr_len > 16)
		return -EINVAL;
	memcpy(buf, cky_i, IKEV1_COOKIE_LEN);
	memcpy(buf + IKEV1_COOKIE_LEN, cky_r, IKEV1_COOKIE_LEN);
	memcpy(buf + 2 * IKEV1_COOKIE_LEN, addr, addr_len);
	be16_put(buf + 2 * IKEV1_COOKIE_LEN + addr_len, port);
	if (EVP_Digest(buf, 2 * IKEV1_COOKIE_LEN + addr_len + 2, out, &n, md,
		       NULL) != 1)
		return -EIO;
	*out_len = n;
	return 0;
}

int ikev1_iv_phase1(uint16_t prf, const uint8_t *gxi, size_t gxi_len,
		    const uint8_t *gxr, size_t gxr_len,
		    uint8_t *iv, size_t block_len)
{
	return hash2(prf, gxi, gxi_len, gxr, gxr_len, iv, block_len);
}

int ikev1_iv_phase2(uint16_t prf, const uint8_t *last_block,
		    size_t block_len, uint32_t msgid, uint8_t *iv)
{
	uint8_t mid[4];

	be32_put(mid, msgid);
	return hash2(prf, last_block, block_len, mid, sizeof(mid), iv,
		     block_len);
}

int ikev1_keymat(uint16_t prf, const uint8_t *skeyid_d, size_t d_len,
		 const uint8_t *gxy, size_t gxy_len, uint8_t proto,
		 uint32_t spi, const uint8_t *ni, size_t ni_len,
		 const uint8_t *nr, size_t nr_len, uint8_t *out, size_t len)
{
	const size_t plen = ike_prf_len(prf);
	uint8_t kn[IKE_PRF_MAX], spi_b[4];
	struct ike_iov iov[] = {
		{ kn, 0 }, /* K(n-1), none for K1 */
		{ gxy, gxy ? gxy_len : 0 },
		{ &proto, 1 },
		{ spi_b, sizeof(spi_b) },
		{ ni, ni_len },
		{ nr, nr_len },
	};
	size_t done = 0;
	int rc = 0;

	if (plen == 0 || d_len != plen)
		return -ENOTSUP;
	be32_put(spi_b, spi);
	while (done < len) {
		size_t take = len - done < plen ? len - done : plen;

		rc = ike_prf_iov(prf, skeyid_d, d_len, iov, N_ELEM(iov), kn);
		if (rc)
			break;
		memcpy(out + done, kn, take);
		done += take;
		iov[0].iov_len = plen;
	}
	OPENSSL_cleanse(kn, sizeof(kn));
	if (rc)
		OPENSSL_cleanse(out, len);
	return rc;
}

size_t ikev1_block_len(uint16_t encr)
{
	switch (encr) {
	case IKE_ENCR_AES_CBC:
		return 16;
	case IKE_ENCR_3DES:
		return 8;
	}
	return 0;
}

static const EVP_CIPHER *cbc_cipher(uint16_t encr, size_t key_len)
{
	if (encr == IKE_ENCR_3DES && key_len == 24)
		return EVP_des_ede3_cbc();
	if (encr != IKE_ENCR_AES_CBC)
		return NULL;
	switch (key_len) {
	case 16:
		return EVP_aes_128_cbc();
	case 24:
		return EVP_aes_192_cbc();
	case 32:
		return EVP_aes_256_cbc();
	}
	return NULL;
}

int ikev1_cbc(uint16_t encr, const uint8_t *key, size_t key_len,
	      uint8_t *iv, uint8_t *buf, size_t len, bool encrypt)
{
	const EVP_CIPHER *c = cbc_cipher(encr, key_len);
	const size_t bl = ikev1_block_len(encr);
	uint8_t next_iv[IKEV1_CBC_BLOCK_MAX];
	EVP_CIPHER_CTX *ctx;
	int out_len, rc = -EIO;

	if (c == NULL)
		return -ENOTSUP;
	if (len == 0 || len % bl || len > INT_MAX)
		return -EINVAL;
	if (!encrypt) /* the last ciphertext block, before it is overwritten */
		memcpy(next_iv, buf + len - bl, bl);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return -ENOMEM;
	if (EVP_CipherInit_ex(ctx, c, NULL, key, iv, encrypt ? 1 : 0) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_CipherUpdate(ctx, buf, &out_len, buf, (int)len) == 1 &&
	    (size_t)out_len == len)
		rc = 0;
	EVP_CIPHER_CTX_free(ctx);
	if (rc == 0)
		memcpy(iv, encrypt ? buf + len - bl : next_iv, bl);
	return rc;
}
