/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_IKE_CRYPTO_H
#define ESPGATE_IKE_CRYPTO_H

/*
 * IKEv2 cryptography on OpenSSL 3: the PRF and prf+ (RFC 7296 §2.13),
 * Diffie-Hellman (§3.4), key derivation for IKE and Child SAs (§2.14,
 * §2.17, §2.18), the SK payload (§3.14, RFC 5282, RFC 7634), AUTH with a
 * shared key (§2.15) and random nonces and SPIs.
 *
 * Algorithms are named by their IANA transform IDs (ike_types.h), so a
 * value parsed from a Transform substructure can be passed as is. This
 * file implements ENCR_AES_CBC, ENCR_AES_GCM_16 (128/192/256),
 * ENCR_CHACHA20_POLY1305; PRF_HMAC_SHA1 and _SHA2_256/384/512;
 * AUTH_HMAC_SHA1_96 and _SHA2_256_128/384_192/512_256; DH groups 14-18
 * (RFC 3526 MODP), 19, 20, 21, 31, 32. Any other ID is refused with
 * -ENOTSUP.
 *
 * Errors: 0 or a negative errno. -EINVAL for bad arguments or malformed
 * input, -ENOTSUP for an unsupported algorithm, -ENOSPC when an output
 * buffer is too small, -EBADMSG when an ICV does not verify, -EACCES when
 * AUTH does not verify, -EIO when OpenSSL fails for no reason of ours.
 *
 * Secrets: every structure that holds key material here has a wipe
 * function (OPENSSL_cleanse); nothing in this file logs.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_types.h" /* transform IDs (IKE_ENCR_*, IKE_PRF_*, ...) */

#define IKE_PRF_MAX 64        /* longest PRF output (SHA-512) */
#define IKE_ENCR_KEY_MAX 36   /* longest encryption key + salt */
#define IKE_INTEG_KEY_MAX 64  /* longest integrity key */
#define IKE_ICV_MAX 32        /* longest ICV */
#define IKE_IV_MAX 16         /* longest SK IV (AES-CBC) */
#define IKE_DH_KE_MAX 1024    /* longest KE data (MODP 8192) */
#define IKE_DH_SECRET_MAX 1024 /* longest g^ir (MODP 8192) */
#define IKE_SPI_LEN 8         /* IKE SA SPI */

/* ---- PRF (RFC 7296 §2.13) ---- */

/* One piece of a concatenated PRF input: prf(K, a | b | c). */
struct ike_iov {
	const void *iov_base;
	size_t iov_len;
};

/* Output (and preferred key) length of prf in bytes; 0 if unsupported. */
size_t ike_prf_len(uint16_t prf);

/* out[ike_prf_len(prf)] = prf(key, data). */
int ike_prf(uint16_t prf, const uint8_t *key, size_t key_len,
	    const uint8_t *data, size_t data_len, uint8_t *out);
/* out = prf(Ni | Nr, secret): IKEv2's SKEYSEED (RFC 7296 §2.14) and
 * IKEv1's SKEYID for signatures (RFC 2409 §5). -EINVAL when a nonce is
 * longer than IKE_NONCE_MAX. */
int ike_prf_nonce_keyed(uint16_t prf, const uint8_t *ni, size_t ni_len,
			const uint8_t *nr, size_t nr_len,
			const uint8_t *secret, size_t secret_len, uint8_t *out);
/* out = prf(key, iov[0] | ... | iov[n - 1]). */
int ike_prf_iov(uint16_t prf, const uint8_t *key, size_t key_len,
		const struct ike_iov *iov, size_t n, uint8_t *out);
/*
 * out[0 .. out_len) = the first out_len bytes of prf+(key, S) with
 * S = seed[0] | ... | seed[n - 1]: T1 | T2 | ... where
 * Tk = prf(key, T(k-1) | S | k). -EINVAL beyond 255 iterations.
 */
int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len,
		 const struct ike_iov *seed, size_t n,
		 uint8_t *out, size_t out_len);

/* ---- Transform lengths ---- */

/*
 * Encryption keying material in bytes for encr with a Key Length
 * attribute of bits (ignored for ChaCha20-Poly1305): the key, plus the
 * 4-byte salt of the AEAD ciphers (RFC 5282 §7.1, RFC 7634 §2). 0 if
 * unsupported. The same lengths serve ESP (RFC 4106 §8.1).
 */
size_t ike_encr_keymat_len(uint16_t encr, uint16_t bits);
bool ike_encr_is_aead(uint16_t encr);
size_t ike_integ_key_len(uint16_t integ); /* 0 if unsupported or NONE */
size_t ike_integ_icv_len(uint16_t integ); /* 0 if unsupported or NONE */

/* ---- Diffie-Hellman (RFC 7296 §3.4) ---- */

struct ike_dh;

bool ike_dh_supported(uint16_t group);
/* KE payload data length: MODP the prime's length, ECP x | y, 32/56. */
size_t ike_dh_ke_len(uint16_t group);
/* g^ir length: MODP the prime's length, ECP the x coordinate, 32/56. */
size_t ike_dh_secret_len(uint16_t group);

/* A fresh private key in group. -ENOTSUP: answer INVALID_KE_PAYLOAD. */
int ike_dh_new(uint16_t group, struct ike_dh **out);
/*
 * For known-answer tests only: the private key is given, big-endian
 * for MODP/ECP (any length up to the group's), the RFC 7748 scalar
 * for X25519/X448.
 */
int ike_dh_new_with_private(uint16_t group, const uint8_t *priv,
			    size_t priv_len, struct ike_dh **out);
uint16_t ike_dh_group(const struct ike_dh *dh);
/* Our public value as KE payload data (after the group and RESERVED):
 * MODP zero-padded to the prime's length, ECP x | y (RFC 5903 §7). */
int ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap,
		  size_t *len);
/*
 * g^ir from the peer's KE data. The peer's value is validated first:
 * exact length, MODP 1 < y < p-1, ECP a point on the curve, X25519/X448
 * a non-zero result. -EINVAL if it is not valid (answer
 * INVALID_SYNTAX), -ENOSPC if cap < ike_dh_secret_len().
 */
int ike_dh_shared(const struct ike_dh *dh, const uint8_t *peer,
		  size_t peer_len, uint8_t *secret, size_t cap,
		  size_t *secret_len);
/* Frees dh; OpenSSL clears the private key (BN_clear_free / cleanse). */
void ike_dh_free(struct ike_dh *dh);

/* ---- Keys (RFC 7296 §2.14) ---- */

/* What IKE_SA_INIT (or a rekey) negotiated for an IKE SA. */
struct ike_suite {
	uint16_t encr;      /* IKE_ENCR_* */
	uint16_t encr_bits; /* Key Length attribute; 0 for ChaCha20 */
	uint16_t integ;     /* IKE_AUTH_*; IKE_AUTH_NONE with AEAD */
	uint16_t prf;       /* IKE_PRF_* */
};

/* 0 if the combination is usable, -ENOTSUP/-EINVAL otherwise. */
int ike_suite_check(const struct ike_suite *s);

/* The keys protecting one direction of IKE SA traffic (SK payloads). */
struct ike_sk_keys {
	uint16_t sk_encr;
	uint16_t sk_integ;
	uint8_t sk_ekey_len; /* key + salt for AEAD */
	uint8_t sk_ikey_len; /* 0 for AEAD */
	uint8_t sk_ekey[IKE_ENCR_KEY_MAX];
	uint8_t sk_ikey[IKE_INTEG_KEY_MAX];
};

/* Everything §2.14 derives. sk_i protects what the original initiator
 * sends (SK_ei, SK_ai), sk_r the other direction (SK_er, SK_ar). */
struct ike_sa_keys {
	uint16_t sa_prf;
	uint8_t sa_prf_len;
	uint8_t sk_d[IKE_PRF_MAX];
	uint8_t sk_pi[IKE_PRF_MAX];
	uint8_t sk_pr[IKE_PRF_MAX];
	struct ike_sk_keys sk_i;
	struct ike_sk_keys sk_r;
};

/* SKEYSEED = prf(Ni | Nr, g^ir); out[ike_prf_len(prf)]. */
int ike_skeyseed(uint16_t prf, const uint8_t *ni, size_t ni_len,
		 const uint8_t *nr, size_t nr_len,
		 const uint8_t *gir, size_t gir_len, uint8_t *out);
/*
 * Rekeying the IKE SA (§2.18): SKEYSEED = prf(SK_d (old), g^ir (new) |
 * Ni | Nr), with the old IKE SA's PRF; out[ike_prf_len(old_prf)].
 */
int ike_skeyseed_rekey(uint16_t old_prf, const uint8_t *sk_d_old,
		       size_t sk_d_len, const uint8_t *gir, size_t gir_len,
		       const uint8_t *ni, size_t ni_len,
		       const uint8_t *nr, size_t nr_len, uint8_t *out);
/*
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} =
 * prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) with s's lengths.
 */
int ike_sa_keys_derive(const struct ike_suite *s, const uint8_t *skeyseed,
		       size_t skeyseed_len, const uint8_t *ni, size_t ni_len,
		       const uint8_t *nr, size_t nr_len,
		       const uint8_t spi_i[IKE_SPI_LEN],
		       const uint8_t spi_r[IKE_SPI_LEN],
		       struct ike_sa_keys *k);
void ike_sa_keys_wipe(struct ike_sa_keys *k);
void ike_sk_keys_wipe(struct ike_sk_keys *k);

/* Keys of one direction of a Child SA. */
struct ike_child_dir {
	uint8_t cd_encr[IKE_ENCR_KEY_MAX];   /* key, then salt for AEAD */
	uint8_t cd_integ[IKE_INTEG_KEY_MAX];
};

struct ike_child_keys {
	uint8_t ck_encr_len;
	uint8_t ck_integ_len;
	struct ike_child_dir ck_i2r; /* initiator to responder */
	struct ike_child_dir ck_r2i;
};

/*
 * Child SA KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) (§2.17); gir NULL
 * without PFS. Taken in order: i2r encryption key (+ salt), i2r
 * integrity key, then the same for r2i. encr_len (from
 * ike_encr_keymat_len) and integ_len may be 0 (ENCR_NULL, AEAD).
 */
int ike_child_keymat(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len,
		     const uint8_t *gir, size_t gir_len,
		     const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len,
		     size_t encr_len, size_t integ_len,
		     struct ike_child_keys *k);
void ike_child_keys_wipe(struct ike_child_keys *k);

/* ---- The SK payload (RFC 7296 §3.14) ---- */

size_t ike_sk_iv_len(const struct ike_sk_keys *k);  /* 16 CBC, 8 AEAD */
size_t ike_sk_icv_len(const struct ike_sk_keys *k); /* 16 AEAD */
/*
 * Bytes the SK payload takes after its generic header for plain_len
 * bytes of inner payloads: IV | ciphertext(plain | padding | pad length)
 * | ICV. AES-CBC pads to its 16-byte block with the fewest bytes; the
 * AEAD ciphers add no padding (block size 1).
 */
size_t ike_sk_body_len(const struct ike_sk_keys *k, size_t plain_len);

/*
 * Encrypts an IKE message whose SK payload is the last one.
 *
 * msg[0 .. aad_len) holds the IKE header, any payloads before SK and
 * the SK generic payload header (whose Next Payload names the first
 * inner payload); aad_len >= 28 + 4. The function writes IV | ciphertext
 * | ICV at msg + aad_len, and before computing the ICV (both fields are
 * authenticated) it sets the IKE header's Length (octets 24-27) and the
 * SK Payload Length (the two octets before msg + aad_len) to their final
 * values. *msg_len = aad_len + ike_sk_body_len(k, plain_len) <= cap.
 * plain is the unpadded inner payloads; it may be a separate buffer or
 * already sit in msg at aad_len + ike_sk_iv_len(k) (nowhere before).
 * The IV is random. k is the sender's: keys.sk_i when the original
 * initiator sends, keys.sk_r when the original responder does.
 * Integrity (CBC + HMAC) covers msg from the IKE header to the end of
 * the ciphertext; AEAD uses msg[0 .. aad_len) as AAD and salt | IV as
 * nonce (RFC 5282 §4, RFC 7634 §4).
 * Not for SKF (RFC 7383), whose header is 8 bytes.
 */
int ike_sk_encrypt(const struct ike_sk_keys *k, uint8_t *msg, size_t aad_len,
		   const uint8_t *plain, size_t plain_len, size_t cap,
		   size_t *msg_len);
/* The same for an SKF payload (RFC 7383 §2.5), whose header is 8 bytes:
 * msg[0 .. aad_len) ends with Fragment Number and Total Fragments. */
int ike_skf_encrypt(const struct ike_sk_keys *k, uint8_t *msg, size_t aad_len,
		    const uint8_t *plain, size_t plain_len, size_t cap, size_t *msg_len);
/* ike_sk_encrypt with the IV given (ike_sk_iv_len bytes): tests only. */
int ike_sk_encrypt_iv(const struct ike_sk_keys *k, const uint8_t *iv,
		      uint8_t *msg, size_t aad_len, const uint8_t *plain,
		      size_t plain_len, size_t cap, size_t *msg_len);
/*
 * Verifies and decrypts, in place, the SK (or SKF) payload body at
 * msg[aad_len .. msg_len) (aad_len: ike_msg_sk_split's sk_aad_len). The ICV is checked first (CBC: HMAC over
 * msg[0 .. msg_len - icv) compared with CRYPTO_memcmp; AEAD: the tag),
 * and nothing is decrypted, or the decrypted bytes are wiped, when it
 * does not match: -EBADMSG. -EINVAL if the body is too short, not a
 * whole number of blocks, or its Pad Length exceeds the plaintext. On
 * success *plain points into msg at the inner payloads and *plain_len
 * excludes padding and the Pad Length byte.
 */
int ike_sk_decrypt(const struct ike_sk_keys *k, uint8_t *msg, size_t msg_len,
		   size_t aad_len, uint8_t **plain, size_t *plain_len);

/* ---- AUTH with a shared key (RFC 7296 §2.15) ---- */

/* Length of the signed octets that ike_auth_octets builds. */
size_t ike_auth_octets_len(uint16_t prf, size_t msg_len, size_t nonce_len);
/*
 * InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI with
 * MACedIDForI = prf(SK_pi, IDi'), or the responder's: RealMessage2 |
 * NonceIData | prf(SK_pr, IDr'). real_msg is the whole first message
 * the signer sent, nonce the peer's Nonce Data, id the ID payload body
 * after its generic header (ID Type | RESERVED | Identification Data),
 * sk_p our SK_pi (initiator) or SK_pr (responder) of ike_prf_len(prf).
 */
int ike_auth_octets(uint16_t prf, const uint8_t *sk_p,
		    const uint8_t *real_msg, size_t msg_len,
		    const uint8_t *nonce, size_t nonce_len,
		    const uint8_t *id, size_t id_len,
		    uint8_t *out, size_t cap, size_t *out_len);
/* AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), octets);
 * auth[ike_prf_len(prf)]. */
int ike_auth_psk(uint16_t prf, const uint8_t *psk, size_t psk_len,
		 const uint8_t *octets, size_t octets_len, uint8_t *auth);
/* 0 if auth (auth_len bytes, from the peer) is right, -EACCES if not;
 * the comparison is constant time. */
int ike_auth_psk_verify(uint16_t prf, const uint8_t *psk, size_t psk_len,
			const uint8_t *octets, size_t octets_len,
			const uint8_t *auth, size_t auth_len);

/* ---- Hash ---- */

#define IKE_SHA1_LEN 20
/* out = SHA-1(data[0 .. len)), as NAT detection (§2.23) wants it. */
int ike_sha1(const uint8_t *data, size_t len, uint8_t out[IKE_SHA1_LEN]);

/* ---- Random (RAND_bytes) ---- */

int ike_random(uint8_t *buf, size_t len);
/* A nonce of len bytes, IKE_NONCE_MIN..IKE_NONCE_MAX (§2.10). */
int ike_nonce(uint8_t *buf, size_t len);
/* An IKE SA SPI: 8 random bytes, never all zero (§3.1). */
int ike_spi_new(uint8_t spi[IKE_SPI_LEN]);
/* An ESP/AH SPI: random, never 0-255 (reserved, RFC 4303 §2.1). */
int ike_child_spi_new(uint32_t *spi);

#endif
