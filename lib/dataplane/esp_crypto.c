/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The public side of the ESP crypto engines, dispatching on the engine's
 * kind once per call, and the 'ipsecmb' engine: Intel IPsec-MB's job API,
 * a burst at a time ('cryptodev' is esp_crypto_cdev.c). One engine (one
 * IMB_MGR) per lcore, no locking. Ops of any mix of
 * SAs and directions are submitted back to back so the library's
 * out-of-order managers fill their lanes; completed jobs come back in
 * submission order and are matched to their op by user_data.
 *
 * Key material is never logged; expanded keys live in struct esp_keys and
 * are wiped by esp_keys_wipe, temporary copies at the end of each function.
 */

#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>

#include "esp_crypto.h"
#include "esp_crypto_priv.h"

#define AEAD_IV_LEN 8        /* RFC 4106 §3.1, RFC 7634 §2 */
#define AEAD_NONCE_LEN 12    /* salt(4) || IV(8): RFC 4106 §4, RFC 7634 §2 */
#define AEAD_ICV_LEN 16
#define CBC_IV_LEN 16        /* RFC 3602 §3 */
#define CBC_BLOCK 16
#define AES_SCHED_LEN 240    /* 15 round keys of 16 bytes (AES-256) */
#define CHACHA_KEY_LEN 32
#define HMAC_MAX_BLOCK 128   /* SHA-384/512 */
#define HMAC_STATE_LEN 64    /* what IMB_SHA*_ONE_BLOCK writes, at most */
#define EK_READY ESP_KEYS_READY /* set last by esp_keys_init, zero after wipe */

/* RFC 2104 §2 hashes keys longer than the hash block first. Our keys are
 * exactly the PRF output length (RFC 4868 §2.1.1, RFC 2404 §3), and no
 * key can exceed the smallest block (64), so that step never applies. */
_Static_assert(ESP_MAX_INTEG_KEY <= 64, "HMAC key would need hashing");

struct hmac_desc {
	IMB_HASH_ALG hd_alg;
	uint8_t hd_block;
	uint8_t hd_icv;     /* truncated ICV: RFC 2404 §2, RFC 4868 §2 */
	uint8_t hd_key_len; /* RFC 2404 §3, RFC 4868 §2.1.1 */
};

static const struct hmac_desc hmac_descs[] = {
	[ESP_INTEG_HMAC_SHA1_96] = { IMB_AUTH_HMAC_SHA_1, 64, 12, 20 },
	[ESP_INTEG_HMAC_SHA256_128] = { IMB_AUTH_HMAC_SHA_256, 64, 16, 32 },
	[ESP_INTEG_HMAC_SHA384_192] = { IMB_AUTH_HMAC_SHA_384, 128, 24, 48 },
	[ESP_INTEG_HMAC_SHA512_256] = { IMB_AUTH_HMAC_SHA_512, 128, 32, 64 },
};

/* The private layout of struct esp_keys: what the fast path reads first
 * sits in the first cache line, the expanded keys after it. */
struct esp_ek {
	uint8_t ek_ready;
	uint8_t ek_kind;     /* ESP_KIND_IPSECMB (esp_crypto_priv.h) */
	uint8_t ek_enc;      /* enum esp_enc */
	uint8_t ek_integ;    /* enum esp_integ */
	uint8_t ek_key_len;  /* cipher key bytes */
	uint8_t ek_icv_len;
	uint8_t ek_salt[ESP_SALT_LEN];
	union {
		struct gcm_key_data ek_gcm; /* 64-byte aligned */
		struct {
			alignas(16) uint8_t enc[AES_SCHED_LEN];
			alignas(16) uint8_t dec[AES_SCHED_LEN];
			alignas(16) uint8_t ipad[HMAC_STATE_LEN];
			alignas(16) uint8_t opad[HMAC_STATE_LEN];
		} ek_cbc; /* AES-CBC and/or HMAC (NULL uses only the pads) */
		uint8_t ek_chacha[CHACHA_KEY_LEN];
	} ek_u;
};

_Static_assert(sizeof(struct esp_ek) <= ESP_KEYS_SIZE, "ESP_KEYS_SIZE too small");
_Static_assert(alignof(struct esp_ek) <= alignof(struct esp_keys), "esp_keys alignment");
_Static_assert(ESP_KEYS_SIZE % 64 == 0, "ESP_KEYS_SIZE not a multiple of 64");
_Static_assert(offsetof(struct esp_ek, ek_ready) == 0 &&
	       offsetof(struct esp_ek, ek_kind) == 1, "esp_keys_kind() layout");

/* Per-op scratch, valid until the op's job completes. */
struct esp_slot {
	alignas(16) uint8_t s_nonce[16];
	alignas(16) uint8_t s_tag[ESP_MAX_ICV];
};

struct esp_engine {
	alignas(64) IMB_MGR *e_mgr; /* ipsecmb */
	IMB_ARCH e_arch;
	uint8_t e_kind;             /* enum esp_engine_kind */
	struct esp_cdev *e_cdev;    /* cryptodev */
	struct gcm_context_data e_gcm_ctx; /* ipsecmb, direct GCM calls */
	struct esp_slot e_slot[ESP_CRYPTO_BURST];
};

static struct esp_ek *ek_of(struct esp_keys *k)
{
	return (struct esp_ek *)(void *)k->k_opaque;
}

static const struct esp_ek *ek_of_const(const struct esp_keys *k)
{
	return (const struct esp_ek *)(const void *)k->k_opaque;
}

/* ---- Algorithm descriptions ---- */

static bool integ_valid(enum esp_integ i)
{
	return i >= ESP_INTEG_HMAC_SHA1_96 && i <= ESP_INTEG_HMAC_SHA512_256;
}

bool esp_algo_is_aead(const struct esp_algo *a)
{
	return a->enc == ESP_ENC_AES_GCM16 || a->enc == ESP_ENC_CHACHA20_POLY1305;
}

/* AES-192 is refused: the interface promises 128/256-bit keys only. */
static bool enc_key_len_ok(const struct esp_algo *a)
{
	switch (a->enc) {
	case ESP_ENC_NULL:
		return a->enc_key_len == 0;
	case ESP_ENC_AES_CBC:
	case ESP_ENC_AES_GCM16:
		return a->enc_key_len == 16 || a->enc_key_len == 32;
	case ESP_ENC_CHACHA20_POLY1305:
		return a->enc_key_len == CHACHA_KEY_LEN; /* RFC 7634 §2 */
	}
	return false;
}

int esp_algo_check(const struct esp_algo *a)
{
	if (a == NULL || !enc_key_len_ok(a))
		return -EINVAL;
	/* AEAD carries its own integrity: no separate algorithm with it. */
	if (esp_algo_is_aead(a))
		return a->integ == ESP_INTEG_NONE && a->integ_key_len == 0 ?
			0 : -EINVAL;
	/* NULL needs integrity (RFC 4303 §3.2: not both NULL); and we
	 * refuse confidentiality-only CBC, which RFC 8221 advises against. */
	if (!integ_valid(a->integ))
		return -EINVAL;
	if (a->integ_key_len != hmac_descs[a->integ].hd_key_len)
		return -EINVAL;
	return 0;
}

uint8_t esp_algo_iv_len(const struct esp_algo *a)
{
	if (esp_algo_is_aead(a))
		return AEAD_IV_LEN;
	return a->enc == ESP_ENC_AES_CBC ? CBC_IV_LEN : 0;
}

uint8_t esp_algo_icv_len(const struct esp_algo *a)
{
	if (esp_algo_is_aead(a))
		return AEAD_ICV_LEN;
	return integ_valid(a->integ) ? hmac_descs[a->integ].hd_icv : 0;
}

uint8_t esp_algo_block_len(const struct esp_algo *a)
{
	return a->enc == ESP_ENC_AES_CBC ? CBC_BLOCK : 4;
}

/* strongSwan proposal spelling. */
const char *esp_algo_name(const struct esp_algo *a)
{
	static const char *const hmac_names[3][4] = {
		{ "aes128-sha1", "aes128-sha256", "aes128-sha384", "aes128-sha512" },
		{ "aes256-sha1", "aes256-sha256", "aes256-sha384", "aes256-sha512" },
		{ "null-sha1", "null-sha256", "null-sha384", "null-sha512" },
	};
	int row;

	if (a == NULL || esp_algo_check(a) != 0)
		return "invalid";
	if (a->enc == ESP_ENC_CHACHA20_POLY1305)
		return "chacha20poly1305";
	if (a->enc == ESP_ENC_AES_GCM16)
		return a->enc_key_len == 16 ? "aes128gcm16" : "aes256gcm16";
	row = a->enc == ESP_ENC_NULL ? 2 : a->enc_key_len == 16 ? 0 : 1;
	return hmac_names[row][a->integ - ESP_INTEG_HMAC_SHA1_96];
}

/* ---- Engine ---- */

struct esp_engine *esp_engine_create(void)
{
	struct esp_engine *e = NULL;
	IMB_ARCH arch = IMB_ARCH_NONE;

	if (posix_memalign((void **)&e, 64, sizeof(*e)) != 0)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->e_kind = ESP_KIND_IPSECMB;
	e->e_mgr = alloc_mb_mgr(0);
	if (e->e_mgr == NULL)
		goto fail;
	init_mb_mgr_auto(e->e_mgr, &arch);
	if (imb_get_errno(e->e_mgr) != 0 || arch == IMB_ARCH_NONE)
		goto fail;
	e->e_arch = arch;
	return e;
fail:
	if (e->e_mgr != NULL)
		free_mb_mgr(e->e_mgr);
	free(e);
	return NULL;
}

struct esp_engine *esp_engine_create_cryptodev(uint8_t dev_id, uint16_t qp_id,
					       struct rte_mempool *op_pool,
					       struct rte_mempool *sess_pool)
{
	struct esp_engine *e = NULL;

	if (posix_memalign((void **)&e, 64, sizeof(*e)) != 0)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->e_kind = ESP_KIND_CRYPTODEV;
	e->e_cdev = esp_cdev_create(dev_id, qp_id, op_pool, sess_pool);
	if (e->e_cdev == NULL) {
		free(e);
		return NULL;
	}
	return e;
}

void esp_engine_free(struct esp_engine *e)
{
	if (e == NULL)
		return;
	if (e->e_kind == ESP_KIND_CRYPTODEV)
		esp_cdev_free(e->e_cdev);
	else {
		/* The lanes may hold copies of HMAC states and round keys. */
		OPENSSL_cleanse(e->e_mgr, imb_get_mb_mgr_size());
		free_mb_mgr(e->e_mgr);
	}
	OPENSSL_cleanse(e, sizeof(*e));
	free(e);
}

int esp_engine_aad_lens(struct esp_engine *e, const uint8_t *lens, unsigned n)
{
	if (n == 0 || n > ESP_CRYPTODEV_AAD_LENS)
		return -EINVAL;
	return e->e_kind == ESP_KIND_CRYPTODEV ? esp_cdev_aad_lens(e->e_cdev, lens, n) : 0;
}

const char *esp_engine_kind(const struct esp_engine *e)
{
	return e->e_kind == ESP_KIND_CRYPTODEV ? "cryptodev" : "ipsecmb";
}

const char *esp_engine_arch(const struct esp_engine *e)
{
	if (e->e_kind == ESP_KIND_CRYPTODEV)
		return esp_cdev_name(e->e_cdev);
	switch (e->e_arch) {
	case IMB_ARCH_NOAESNI:
		return "noaesni";
	case IMB_ARCH_SSE:
		return "sse";
	case IMB_ARCH_AVX:
		return "avx";
	case IMB_ARCH_AVX2:
		return "avx2";
	case IMB_ARCH_AVX512:
		return "avx512";
	default:
		return "none";
	}
}

/* ---- Key expansion ---- */

static void hash_one_block(IMB_MGR *m, enum esp_integ i, const uint8_t *blk,
			   uint8_t *state)
{
	switch (i) {
	case ESP_INTEG_HMAC_SHA1_96:
		IMB_SHA1_ONE_BLOCK(m, blk, state);
		break;
	case ESP_INTEG_HMAC_SHA256_128:
		IMB_SHA256_ONE_BLOCK(m, blk, state);
		break;
	case ESP_INTEG_HMAC_SHA384_192:
		IMB_SHA384_ONE_BLOCK(m, blk, state);
		break;
	default:
		IMB_SHA512_ONE_BLOCK(m, blk, state);
		break;
	}
}

/* HMAC's inner and outer partial hashes (RFC 2104 §2): the job API takes
 * H-state after (K ^ ipad) and after (K ^ opad). */
static void hmac_precompute(IMB_MGR *m, struct esp_ek *ek, const struct esp_algo *a)
{
	const struct hmac_desc *d = &hmac_descs[a->integ];
	alignas(16) uint8_t pad[HMAC_MAX_BLOCK];
	unsigned i;

	memset(pad, 0x36, d->hd_block);
	for (i = 0; i < a->integ_key_len; i++)
		pad[i] ^= a->integ_key[i];
	hash_one_block(m, a->integ, pad, ek->ek_u.ek_cbc.ipad);

	memset(pad, 0x5c, d->hd_block);
	for (i = 0; i < a->integ_key_len; i++)
		pad[i] ^= a->integ_key[i];
	hash_one_block(m, a->integ, pad, ek->ek_u.ek_cbc.opad);

	OPENSSL_cleanse(pad, sizeof(pad));
}

static void cipher_expand(IMB_MGR *m, struct esp_ek *ek, const struct esp_algo *a)
{
	switch (a->enc) {
	case ESP_ENC_AES_GCM16:
		if (a->enc_key_len == 16)
			IMB_AES128_GCM_PRE(m, a->enc_key, &ek->ek_u.ek_gcm);
		else
			IMB_AES256_GCM_PRE(m, a->enc_key, &ek->ek_u.ek_gcm);
		break;
	case ESP_ENC_AES_CBC:
		if (a->enc_key_len == 16)
			IMB_AES_KEYEXP_128(m, a->enc_key, ek->ek_u.ek_cbc.enc,
					   ek->ek_u.ek_cbc.dec);
		else
			IMB_AES_KEYEXP_256(m, a->enc_key, ek->ek_u.ek_cbc.enc,
					   ek->ek_u.ek_cbc.dec);
		break;
	case ESP_ENC_CHACHA20_POLY1305:
		memcpy(ek->ek_u.ek_chacha, a->enc_key, CHACHA_KEY_LEN);
		break;
	case ESP_ENC_NULL:
		break;
	}
}

static size_t round64(size_t n)
{
	return (n + 63) / 64 * 64;
}

/* What of the union an algorithm's keys use. */
static size_t ek_size(const struct esp_algo *a)
{
	size_t head = offsetof(struct esp_ek, ek_u);

	switch (a->enc) {
	case ESP_ENC_AES_GCM16:
		return round64(head + sizeof(struct gcm_key_data));
	case ESP_ENC_CHACHA20_POLY1305:
		return round64(head + CHACHA_KEY_LEN);
	default: /* CBC and NULL with HMAC: the pads sit after the schedules */
		return round64(head + sizeof(((struct esp_ek *)NULL)->ek_u.ek_cbc));
	}
}

size_t esp_keys_size(const struct esp_engine *e, const struct esp_algo *a)
{
	if (e == NULL || esp_algo_check(a) != 0)
		return 0;
	return e->e_kind == ESP_KIND_CRYPTODEV ? esp_cdev_keys_size() : ek_size(a);
}

int esp_keys_init(struct esp_engine *e, struct esp_keys *k,
		  const struct esp_algo *a)
{
	return esp_keys_init_sized(e, k, sizeof(*k), a);
}

int esp_keys_init_sized(struct esp_engine *e, struct esp_keys *k, size_t size,
			const struct esp_algo *a)
{
	struct esp_ek *ek = ek_of(k);
	size_t need = esp_keys_size(e, a);

	/* Not esp_keys_wipe: k may be uninitialised memory, whose bytes
	 * must not be taken for sessions to free. */
	OPENSSL_cleanse(k->k_opaque, size);
	if (need == 0 || size < need)
		return -EINVAL;
	if (e->e_kind == ESP_KIND_CRYPTODEV)
		return esp_cdev_keys_init(e->e_cdev, k, a);
	ek->ek_kind = ESP_KIND_IPSECMB;
	ek->ek_enc = (uint8_t)a->enc;
	ek->ek_integ = (uint8_t)a->integ;
	ek->ek_key_len = a->enc_key_len;
	ek->ek_icv_len = esp_algo_icv_len(a);
	if (esp_algo_is_aead(a))
		memcpy(ek->ek_salt, a->salt, ESP_SALT_LEN);
	cipher_expand(e->e_mgr, ek, a);
	if (!esp_algo_is_aead(a))
		hmac_precompute(e->e_mgr, ek, a);
	if (imb_get_errno(e->e_mgr) != 0) {
		esp_keys_wipe_sized(k, size);
		return -EINVAL;
	}
	ek->ek_ready = EK_READY;
	return 0;
}

void esp_keys_wipe(struct esp_keys *k)
{
	esp_keys_wipe_sized(k, sizeof(*k));
}

void esp_keys_wipe_sized(struct esp_keys *k, size_t size)
{
	if (esp_keys_kind(k) == ESP_KIND_CRYPTODEV)
		esp_cdev_keys_release(k);
	OPENSSL_cleanse(k->k_opaque, size);
}

/* ---- The burst ---- */

static bool op_valid(const struct esp_crypto_op *op)
{
	const struct esp_ek *ek;

	if (op->keys == NULL || op->icv == NULL)
		return false;
	ek = ek_of_const(op->keys);
	if (ek->ek_ready != EK_READY || ek->ek_kind != ESP_KIND_IPSECMB)
		return false;
	if ((op->text == NULL && op->text_len != 0) || (op->aad == NULL && op->aad_len != 0))
		return false;
	if (ek->ek_enc == ESP_ENC_NULL)
		return op->auth != NULL && op->auth_len != 0;
	if (op->iv == NULL)
		return false;
	if (ek->ek_enc == ESP_ENC_AES_CBC)
		return op->auth != NULL && op->auth_len != 0 &&
			op->text_len != 0 && op->text_len % CBC_BLOCK == 0;
	return true;
}

/* AEAD: text in place, AAD from the op, nonce = salt || IV. */
static void job_aead(IMB_JOB *job, const struct esp_crypto_op *op,
		     const struct esp_ek *ek, struct esp_slot *s)
{
	memcpy(s->s_nonce, ek->ek_salt, ESP_SALT_LEN);
	memcpy(s->s_nonce + ESP_SALT_LEN, op->iv, AEAD_IV_LEN);
	job->src = op->text;
	job->dst = op->text;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = op->text_len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = op->text_len;
	job->iv = s->s_nonce;
	job->iv_len_in_bytes = AEAD_NONCE_LEN;
	if (ek->ek_enc == ESP_ENC_AES_GCM16) {
		job->cipher_mode = IMB_CIPHER_GCM;
		job->hash_alg = IMB_AUTH_AES_GMAC;
		job->enc_keys = &ek->ek_u.ek_gcm;
		job->dec_keys = &ek->ek_u.ek_gcm;
		job->key_len_in_bytes = ek->ek_key_len;
		job->u.GCM.aad = op->aad;
		job->u.GCM.aad_len_in_bytes = op->aad_len;
		job->u.GCM.ctx = NULL;
	} else {
		job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
		job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
		job->enc_keys = ek->ek_u.ek_chacha;
		job->dec_keys = ek->ek_u.ek_chacha;
		job->key_len_in_bytes = CHACHA_KEY_LEN;
		job->u.CHACHA20_POLY1305.aad = op->aad;
		job->u.CHACHA20_POLY1305.aad_len_in_bytes = op->aad_len;
		job->u.CHACHA20_POLY1305.ctx = NULL;
	}
}

/* CBC or NULL with HMAC over auth. The job has one src for both the
 * cipher and the hash, so both are expressed as offsets from the lower
 * of the two pointers (text normally lies inside auth: RFC 4303 §2). */
static void job_hmac(IMB_JOB *job, const struct esp_crypto_op *op,
		     const struct esp_ek *ek)
{
	uintptr_t a = (uintptr_t)op->auth, t = (uintptr_t)op->text;
	uintptr_t base = (op->text != NULL && t < a) ? t : a;

	job->src = (const uint8_t *)base;
	job->hash_start_src_offset_in_bytes = a - base;
	job->msg_len_to_hash_in_bytes = op->auth_len;
	job->hash_alg = hmac_descs[ek->ek_integ].hd_alg;
	job->u.HMAC._hashed_auth_key_xor_ipad = ek->ek_u.ek_cbc.ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = ek->ek_u.ek_cbc.opad;
	if (ek->ek_enc == ESP_ENC_AES_CBC) {
		job->cipher_mode = IMB_CIPHER_CBC;
		job->enc_keys = ek->ek_u.ek_cbc.enc;
		job->dec_keys = ek->ek_u.ek_cbc.dec;
		job->key_len_in_bytes = ek->ek_key_len;
		job->iv = op->iv;
		job->iv_len_in_bytes = CBC_IV_LEN;
		job->dst = op->text;
		job->cipher_start_src_offset_in_bytes = t - base;
		job->msg_len_to_cipher_in_bytes = op->text_len;
	} else {
		job->cipher_mode = IMB_CIPHER_NULL; /* copies nothing */
		job->enc_keys = NULL;
		job->dec_keys = NULL;
		job->key_len_in_bytes = 0;
		job->iv = NULL;
		job->iv_len_in_bytes = 0;
		job->dst = op->text;
		job->cipher_start_src_offset_in_bytes = 0;
		job->msg_len_to_cipher_in_bytes = 0;
	}
}

/* Encrypt: cipher then ICV over the ciphertext; decrypt: ICV over the
 * ciphertext, then decipher (RFC 4303 §3.3.4 / §3.4.4). The tag always
 * goes to the slot: icv may overlap auth. */
static void job_fill(IMB_JOB *job, struct esp_crypto_op *op, struct esp_slot *s)
{
	const struct esp_ek *ek = ek_of_const(op->keys);

	job->user_data = op;
	job->user_data2 = s;
	job->cipher_direction = op->encrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order = op->encrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->auth_tag_output = s->s_tag;
	job->auth_tag_output_len_in_bytes = ek->ek_icv_len;
	job->sgl_state = IMB_SGL_ALL;
	if (ek->ek_enc == ESP_ENC_AES_GCM16 || ek->ek_enc == ESP_ENC_CHACHA20_POLY1305)
		job_aead(job, op, ek, s);
	else
		job_hmac(job, op, ek);
}

static void job_done(const IMB_JOB *job)
{
	struct esp_crypto_op *op = job->user_data;
	const struct esp_slot *s = job->user_data2;
	size_t icv_len = job->auth_tag_output_len_in_bytes;

	if (job->status != IMB_STATUS_COMPLETED)
		op->status = -EINVAL;
	else if (op->encrypt) {
		memcpy(op->icv, s->s_tag, icv_len);
		op->status = 0;
	} else
		op->status = CRYPTO_memcmp(s->s_tag, op->icv, icv_len) == 0 ?
			0 : -EBADMSG;
}

/* AES-GCM through IPsec-MB's direct API: GCM jobs run synchronously in
 * the job manager anyway, and the direct call skips the job's fill,
 * dispatch and completion. The context (which holds hash state) stays
 * in the engine and is wiped with it. The encrypt tag goes straight to the ICV
 * (with AEAD it never overlaps the text); a received one is compared
 * in constant time after the call. */
static void run_gcm(struct esp_engine *e, struct esp_crypto_op *op,
		    const struct esp_ek *ek, struct esp_slot *s)
{
	IMB_MGR *m = e->e_mgr;
	struct gcm_context_data *ctx = &e->e_gcm_ctx;
	const struct gcm_key_data *key = &ek->ek_u.ek_gcm;
	bool k128 = ek->ek_key_len == 16;

	memcpy(s->s_nonce, ek->ek_salt, ESP_SALT_LEN);
	memcpy(s->s_nonce + ESP_SALT_LEN, op->iv, AEAD_IV_LEN);
	if (op->encrypt) {
		if (k128)
			IMB_AES128_GCM_ENC(m, key, ctx, op->text, op->text, op->text_len,
					   s->s_nonce, op->aad, op->aad_len, op->icv,
					   AEAD_ICV_LEN);
		else
			IMB_AES256_GCM_ENC(m, key, ctx, op->text, op->text, op->text_len,
					   s->s_nonce, op->aad, op->aad_len, op->icv,
					   AEAD_ICV_LEN);
		op->status = 0;
		return;
	}
	if (k128)
		IMB_AES128_GCM_DEC(m, key, ctx, op->text, op->text, op->text_len,
				   s->s_nonce, op->aad, op->aad_len, s->s_tag, AEAD_ICV_LEN);
	else
		IMB_AES256_GCM_DEC(m, key, ctx, op->text, op->text, op->text_len,
				   s->s_nonce, op->aad, op->aad_len, s->s_tag, AEAD_ICV_LEN);
	op->status = CRYPTO_memcmp(s->s_tag, op->icv, AEAD_ICV_LEN) == 0 ? 0 : -EBADMSG;
}

/* With many SAs the next op's keys are likely not in cache: the GCM
 * key data (round keys and hash key powers) is read whole. Smaller key
 * layouts are prefetched past their end, which is harmless. */
static void keys_prefetch(const struct esp_keys *k)
{
	if (k == NULL)
		return;
	for (size_t off = 0; off < offsetof(struct esp_ek, ek_u) + sizeof(struct gcm_key_data);
	     off += 64)
		__builtin_prefetch(k->k_opaque + off);
}

/* How many ops ahead keys are prefetched: a small packet's GCM takes
 * less time than a miss to memory. With 100 000 SAs 8 takes about 10 ns
 * off a 1420-byte packet against 3 (bench/README.md). */
#define KEYS_AHEAD 8

static void run_chunk(struct esp_engine *e, struct esp_crypto_op *ops, unsigned n)
{
	IMB_MGR *m = e->e_mgr;
	IMB_JOB *job;
	unsigned i;

	for (i = 0; i < KEYS_AHEAD && i < n; i++)
		if (i == 0 || ops[i].keys != ops[i - 1].keys)
			keys_prefetch(ops[i].keys);

	for (i = 0; i < n; i++) {
		const struct esp_ek *ek;

		if (!op_valid(&ops[i])) {
			ops[i].status = -EINVAL;
			continue;
		}
		ek = ek_of_const(ops[i].keys);
		/* a run of one SA's packets is prefetched once */
		if (i + KEYS_AHEAD < n &&
		    ops[i + KEYS_AHEAD].keys != ops[i + KEYS_AHEAD - 1].keys)
			keys_prefetch(ops[i + KEYS_AHEAD].keys);
		if (ek->ek_enc == ESP_ENC_AES_GCM16) {
			run_gcm(e, &ops[i], ek, &e->e_slot[i]);
			continue;
		}
		job = IMB_GET_NEXT_JOB(m);
		job_fill(job, &ops[i], &e->e_slot[i]);
		for (job = IMB_SUBMIT_JOB(m); job != NULL; job = IMB_GET_COMPLETED_JOB(m))
			job_done(job);
	}
	while ((job = IMB_FLUSH_JOB(m)) != NULL)
		job_done(job);
}

void esp_crypto_run(struct esp_engine *e, struct esp_crypto_op *ops, unsigned n)
{
	unsigned done, chunk;

	if (e->e_kind == ESP_KIND_CRYPTODEV) {
		esp_cdev_run(e->e_cdev, ops, n);
		return;
	}
	for (done = 0; done < n; done += chunk) {
		chunk = n - done < ESP_CRYPTO_BURST ? n - done : ESP_CRYPTO_BURST;
		run_chunk(e, ops + done, chunk);
	}
}
