/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_IKEV1_KEYS_H
#define ESPGATE_IKEV1_KEYS_H

/*
 * IKEv1's key schedule, RFC 2409 §5 and App. B, on the core's PRF
 * (ike_crypto.h). prf is an IKEv2 PRF number (IKE_PRF_HMAC_SHA1, ...):
 * the IKEv1 layer maps the negotiated HASH attribute to the HMAC of
 * that hash, and the phase 1/2 IVs use the hash itself. Errors: 0,
 * -ENOTSUP (prf unsupported, or without a hash for the IVs), -EINVAL
 * (lengths), -ENOMEM/-EIO (OpenSSL).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_crypto.h"
#include "ikev1_msg.h"

#define IKEV1_CBC_BLOCK_MAX 16

/* SKEYID and its three children, each ike_prf_len(prf) bytes. */
struct ikev1_keys {
	uint8_t k_skeyid[IKE_PRF_MAX];
	uint8_t k_skeyid_d[IKE_PRF_MAX];
	uint8_t k_skeyid_a[IKE_PRF_MAX];
	uint8_t k_skeyid_e[IKE_PRF_MAX];
	size_t k_len;
};

/* Pre-shared keys: SKEYID = prf(pre-shared-key, Ni_b | Nr_b);
 * out[ike_prf_len(prf)]. */
int ikev1_skeyid_psk(uint16_t prf, const uint8_t *psk, size_t psk_len,
		     const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len, uint8_t *out);
/* Signatures: SKEYID = prf(Ni_b | Nr_b, g^xy). */
int ikev1_skeyid_sig(uint16_t prf, const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len,
		     const uint8_t *gxy, size_t gxy_len, uint8_t *out);

/*
 * From SKEYID (ike_prf_len(prf) bytes):
 *   SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
 *   SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
 *   SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
 * into *k (SKEYID copied too). *k is wiped on failure.
 */
int ikev1_keys_derive(uint16_t prf, const uint8_t *skeyid,
		      const uint8_t *gxy, size_t gxy_len,
		      const uint8_t cky_i[IKEV1_COOKIE_LEN],
		      const uint8_t cky_r[IKEV1_COOKIE_LEN],
		      struct ikev1_keys *k);
void ikev1_keys_wipe(struct ikev1_keys *k);

/*
 * The encryption key, App. B: the first key_len bytes of SKEYID_e, or
 * when the cipher needs more than the PRF gives, of K1 | K2 | ... with
 * K1 = prf(SKEYID_e, 0) (one zero octet), Kn = prf(SKEYID_e, K(n-1)).
 */
int ikev1_enc_key(uint16_t prf, const uint8_t *skeyid_e, size_t e_len,
		  uint8_t *key, size_t key_len);

/* Phase 1 IV, App. B: hash(g^xi | g^xr) truncated to block_len. */
int ikev1_iv_phase1(uint16_t prf, const uint8_t *gxi, size_t gxi_len,
		    const uint8_t *gxr, size_t gxr_len,
		    uint8_t *iv, size_t block_len);
/* Phase 2 (and Informational) IV, App. B: hash(last phase 1 CBC
 * block | M-ID), M-ID in network order, truncated to block_len. */
int ikev1_iv_phase2(uint16_t prf, const uint8_t *last_block,
		    size_t block_len, uint32_t msgid, uint8_t *iv);

/* RFC 3947 §3.2 NAT-D: hash(CKY-I | CKY-R | IP | Port) with the hash of
 * prf; out[hash length], *out_len set. */
int ikev1_nat_hash(uint16_t prf, const uint8_t cky_i[IKEV1_COOKIE_LEN],
		   const uint8_t cky_r[IKEV1_COOKIE_LEN], const uint8_t *addr,
		   size_t addr_len, uint16_t port, uint8_t *out, size_t *out_len);

/*
 * Quick mode KEYMAT, RFC 2409 §5.5, for the direction whose receiver
 * chose spi: the first len bytes of K1 | K2 | ... with
 *   K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
 *   Kn = prf(SKEYID_d, K(n-1) | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
 * gxy NULL without PFS.
 */
int ikev1_keymat(uint16_t prf, const uint8_t *skeyid_d, size_t d_len,
		 const uint8_t *gxy, size_t gxy_len, uint8_t proto,
		 uint32_t spi, const uint8_t *ni, size_t ni_len,
		 const uint8_t *nr, size_t nr_len, uint8_t *out, size_t len);

/* The CBC block of an IKEv1 cipher (IKE_ENCR_AES_CBC 16, IKE_ENCR_3DES
 * 8), 0 for others. */
size_t ikev1_block_len(uint16_t encr);
/*
 * Encrypts or decrypts len bytes (a multiple of the block, no padding
 * added or removed: RFC 2409 App. B pads before) in place with CBC
 * under key and iv; iv becomes the last ciphertext block, the next
 * message's IV.
 */
int ikev1_cbc(uint16_t encr, const uint8_t *key, size_t key_len,
	      uint8_t *iv, uint8_t *buf, size_t len, bool encrypt);

#endif
