/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_ESP_CRYPTO_H
#define ESPGATE_ESP_CRYPTO_H

/*
 * The ESP crypto engine: one small interface, engines behind it.
 * 'ipsecmb' calls Intel IPsec-MB's job API directly, a burst at a time;
 * 'cryptodev' enqueues to a DPDK cryptodev (QAT, or the software PMDs)
 * and waits for the burst to come back. ESP framing (headers,
 * padding, sequence numbers) is esp.c's business; the engine only
 * encrypts/decrypts a region in place and computes or checks an ICV.
 */

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum esp_enc {
	ESP_ENC_NULL,              /* RFC 2410; only when configured */
	ESP_ENC_AES_CBC,           /* RFC 3602, 128/256-bit key */
	ESP_ENC_AES_GCM16,         /* RFC 4106, 16-byte ICV, 128/256-bit key */
	ESP_ENC_CHACHA20_POLY1305, /* RFC 7634 */
};

enum esp_integ {
	ESP_INTEG_NONE,            /* with AEAD ciphers */
	ESP_INTEG_HMAC_SHA1_96,    /* RFC 2404 */
	ESP_INTEG_HMAC_SHA256_128, /* RFC 4868 */
	ESP_INTEG_HMAC_SHA384_192,
	ESP_INTEG_HMAC_SHA512_256,
};

#define ESP_MAX_ENC_KEY 32
#define ESP_MAX_INTEG_KEY 64
#define ESP_MAX_ICV 32
#define ESP_SALT_LEN 4

/* What an SA is keyed with, as configuration or IKE hands it over. */
struct esp_algo {
	enum esp_enc enc;
	uint8_t enc_key_len; /* 16/32 AES, 32 ChaCha20, 0 NULL */
	uint8_t enc_key[ESP_MAX_ENC_KEY];
	uint8_t salt[ESP_SALT_LEN]; /* AEAD: the KEYMAT bytes after the key */
	enum esp_integ integ;
	uint8_t integ_key_len; /* 20 SHA1, 32/48/64 SHA2 (RFC 4868 §2.1.1) */
	uint8_t integ_key[ESP_MAX_INTEG_KEY];
};

/* -EINVAL for impossible combinations: AEAD with an integrity
 * algorithm, NULL with no integrity, wrong key lengths. */
int esp_algo_check(const struct esp_algo *a);
bool esp_algo_is_aead(const struct esp_algo *a);
uint8_t esp_algo_iv_len(const struct esp_algo *a);    /* 8 AEAD, 16 CBC, 0 NULL */
uint8_t esp_algo_icv_len(const struct esp_algo *a);   /* 16 AEAD, 12/16/24/32 HMAC */
uint8_t esp_algo_block_len(const struct esp_algo *a); /* 16 CBC, else 4 (RFC 4303 §2.4) */
const char *esp_algo_name(const struct esp_algo *a);  /* "aes128gcm16", "aes256-sha256", ... */

/*
 * Expanded keys, ready for the engine; lives in the runtime SA. Opaque
 * to everyone but the engine. Wiped by esp_keys_wipe.
 */
#define ESP_KEYS_SIZE 1152
struct esp_keys {
	alignas(64) uint8_t k_opaque[ESP_KEYS_SIZE];
};

struct esp_engine;
struct rte_mbuf;
struct rte_mempool;

/* One engine per lcore that runs crypto (workers, and the control lcore
 * for key expansion). */
struct esp_engine *esp_engine_create(void);
void esp_engine_free(struct esp_engine *e);
/* ipsecmb: the IPsec-MB code path ("avx512", ...); cryptodev: the device
 * name ("crypto_aesni_mb0", "0000:3d:01.0_qat_sym", ...). */
const char *esp_engine_arch(const struct esp_engine *e);
const char *esp_engine_kind(const struct esp_engine *e); /* "ipsecmb", "cryptodev" */

/*
 * A cryptodev engine: queue pair qp_id of device dev_id, which the caller
 * has configured (rte_cryptodev_configure, rte_cryptodev_queue_pair_setup)
 * and starts before the first esp_crypto_run; it stops and closes it
 * after every engine and key of it is gone. One engine per lcore and
 * queue pair. op_pool: from
 * rte_crypto_op_pool_create(RTE_CRYPTO_OP_TYPE_SYMMETRIC) with
 * ESP_CRYPTODEV_OP_PRIV private bytes, at least ESP_CRYPTO_BURST ops per
 * engine beyond the pool's lcore caches. sess_pool: from
 * esp_cryptodev_sess_pool_create, ESP_CRYPTODEV_SESS_PER_SA per keyed
 * SA. Keys made with one engine of a device run on every engine of it.
 * Ops on a cryptodev engine must set mb (see struct esp_crypto_op).
 */
struct esp_engine *esp_engine_create_cryptodev(uint8_t dev_id, uint16_t qp_id,
					       struct rte_mempool *op_pool,
					       struct rte_mempool *sess_pool);
#define ESP_CRYPTODEV_OP_PRIV 256
/* One session per direction, and for AEAD per AAD length (8, 12). */
#define ESP_CRYPTODEV_SESS_PER_SA 4
/* A session pool for dev_id. */
struct rte_mempool *esp_cryptodev_sess_pool_create(const char *name, uint8_t dev_id,
						   uint32_t n, int socket);
/*
 * A cryptodev session fixes the AEAD AAD length, so keys get a session
 * per length: by default ESP's, 8 and 12 (RFC 4106 §5, RFC 7634 §2.1);
 * callers with other needs (known-answer tests) name theirs here, for
 * keys e makes from then on. An op with a length its keys have no
 * session for fails with -EINVAL. ipsecmb takes any length and ignores
 * this. -EINVAL for n of 0 or beyond ESP_CRYPTODEV_AAD_LENS.
 */
#define ESP_CRYPTODEV_AAD_LENS 4
int esp_engine_aad_lens(struct esp_engine *e, const uint8_t *lens, unsigned n);

/*
 * Keys k for algorithm a with engine e. k's previous content is
 * overwritten, not released: wipe a keyed k first. -EINVAL for a bad
 * algorithm; cryptodev: -ENOTSUP when the device does not offer it,
 * -ENOMEM when the session pool is empty.
 */
int esp_keys_init(struct esp_engine *e, struct esp_keys *k,
		  const struct esp_algo *a);
/* Wipes k; cryptodev: frees its sessions, so no op with k may be in
 * flight (callers wipe after an RCU grace period). */
void esp_keys_wipe(struct esp_keys *k);

/*
 * The bytes at the start of struct esp_keys that keys for algorithm a
 * use with engine e: a multiple of 64, at most sizeof(struct esp_keys);
 * 0 for a bad algorithm. AES-GCM with IPsec-MB needs its gcm_key_data
 * (round keys and the hash key powers), CBC/HMAC far less: an SA
 * allocates just what its algorithm needs. A k of that size is keyed
 * and wiped with the _sized calls, which touch no byte beyond it.
 */
size_t esp_keys_size(const struct esp_engine *e, const struct esp_algo *a);
int esp_keys_init_sized(struct esp_engine *e, struct esp_keys *k, size_t size,
			const struct esp_algo *a);
void esp_keys_wipe_sized(struct esp_keys *k, size_t size);

/*
 * One packet's crypto work, in place.
 *  AEAD (GCM, ChaCha20-Poly1305): nonce = salt || iv (RFC 4106 §4,
 *   RFC 7634 §2); aad is SPI || SEQ (8 bytes) or SPI || ESN-high || SEQ
 *   (12 bytes), RFC 4106 §5 / RFC 7634 §2.1; text is encrypted/decrypted
 *   and authenticated; the ICV is at icv.
 *  CBC / NULL with HMAC: text (a multiple of the block for CBC) is
 *   encrypted with iv (16 bytes); the ICV is an HMAC over auth/auth_len
 *   (from the ESP header to the end of the ciphertext, and, with ESN,
 *   the 4 high sequence bytes the caller put right after it: RFC 4303
 *   §2.2.1) and goes to / is compared with icv.
 * icv may overlap the last bytes of auth (the ESN-high bytes sit where
 * the ICV goes): the engine writes the ICV only after reading auth.
 * Encrypt: computes the ciphertext, then the ICV, and writes it to icv.
 * Decrypt: checks the ICV (in constant time) before anything is trusted;
 * status -EBADMSG when it does not match, and the text is then garbage.
 * cryptodev: mb is the packet; text and auth must lie in its first (and
 * only) segment, while iv, aad and icv may be anywhere (they are copied).
 * It compares ICVs in the device (QAT in hardware; the software PMDs
 * with memcmp). Status -EIO when the device failed or did not return the
 * op in time, -ENOBUFS when the op pool was empty.
 */
struct esp_crypto_op {
	const struct esp_keys *keys;
	uint8_t *iv;
	const uint8_t *aad;
	uint8_t aad_len;
	bool encrypt;
	uint8_t *text;
	uint32_t text_len;
	const uint8_t *auth;
	uint32_t auth_len;
	uint8_t *icv;
	struct rte_mbuf *mb; /* cryptodev only; ipsecmb ignores it */
	int status; /* out: 0 or -EBADMSG (or -EINVAL for a bad op) */
};

/* Runs n ops (any mix of SAs and directions) through the engine in one
 * burst; every op gets its status. Bursts longer than ESP_CRYPTO_BURST
 * are processed in chunks of that size. */
#define ESP_CRYPTO_BURST 64
void esp_crypto_run(struct esp_engine *e, struct esp_crypto_op *ops, unsigned n);

#endif
