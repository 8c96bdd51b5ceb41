/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_IKE_CRYPTO_PRIV_H
#define ESPGATE_IKE_CRYPTO_PRIV_H

/* What ike_crypto.c (the core's primitives) lends ikev2_keys.c (IKEv2's
 * key schedule and SK payload); not for other files. */

#include <openssl/evp.h>

#include "byteorder.h"
#include "ike_crypto.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

#define IKE_HDR_LEN_OFF 24 /* the header's Length field */
#define AEAD_SALT_LEN 4    /* RFC 5282 §7.1, RFC 7634 §2 */
#define AEAD_NONCE_LEN 12  /* salt | IV */
#define AEAD_IV_LEN 8
#define AEAD_ICV_LEN 16
#define CBC_BLOCK 16

/* Logs nothing, leaves nothing in OpenSSL's error queue: rc. */
int ike_ossl_fail(int rc);
/* The cipher by OpenSSL name, fetched once per thread (NULL: none). */
const EVP_CIPHER *ike_cipher_fetch(const char *name);
/* The untruncated HMAC of integrity algorithm integ over iov[0..n). */
int ike_integ_hmac(uint16_t integ, const uint8_t *key, size_t key_len,
		   const struct ike_iov *iov, size_t n, uint8_t *out);
/* Bytes for the wire (IVs, nonces, SPIs) from the per-thread pool. */
int ike_public_random(uint8_t *buf, size_t len);

#endif
