/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The 'cryptodev' ESP crypto engine: DPDK cryptodev enqueue/dequeue on
 * one queue pair per engine (QAT in production; the software PMDs
 * crypto_aesni_mb, crypto_aesni_gcm, crypto_openssl in tests).
 *
 * esp_crypto_run is synchronous: it enqueues the burst and spins on
 * dequeue until every op is back (or a timeout passes), so the worker
 * waits for its own burst. That costs nothing with the software PMDs,
 * which do the work inside the enqueue/dequeue calls; with QAT it leaves
 * the core idle for the device's latency. A pipelined variant (enqueue
 * this burst, finish the previous one) is future work.
 *
 * An SA's keys are cryptodev sessions, made on the control lcore by
 * esp_keys_init: one per direction (the cryptodev API fixes encrypt or
 * decrypt, generate or verify, in the session), and for AEAD one per
 * AAD length the engine was told of (the session fixes that too): ESP's
 * 8, and 12 with ESN (RFC 4106 §5, RFC 7634 §2.1), unless
 * esp_engine_aad_lens said otherwise. Sessionless ops would avoid that,
 * but QAT has none and 22.11's IPsec-MB PMDs fail them on a fresh pool.
 *
 * Each op's private area (struct cdev_priv) holds the IV, a copy of the
 * AAD and the digest: so iv, aad and icv may lie anywhere, and with ESN
 * the ICV is only written after the device has read the high sequence
 * bits that sit where it goes.
 */
#define ALLOW_EXPERIMENTAL_API /* rte_cryptodev_sym_session_pool_create (22.11) */

#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <rte_common.h>
#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "esp_crypto.h"
#include "esp_crypto_priv.h"

#define AEAD_IV_LEN 8      /* RFC 4106 §3.1, RFC 7634 §2 */
#define AEAD_NONCE_LEN 12  /* salt(4) || IV(8): RFC 4106 §4, RFC 7634 §2 */
#define AEAD_ICV_LEN 16
#define CBC_IV_LEN 16      /* RFC 3602 §3 */
#define CBC_BLOCK 16
#define CDEV_AAD_MAX 32
#define CDEV_TIMEOUT_MS 100 /* a device this late is broken, not busy */

/* The op's private area, right after the symmetric op. Sessions point
 * their IV offset at p_iv: the cryptodev API reads the IV from the op
 * (DPDK Cryptography Device Library guide, "Crypto Operations"). */
struct cdev_priv {
	uint8_t p_iv[16];
	uint8_t p_aad[CDEV_AAD_MAX];
	uint8_t p_digest[ESP_MAX_ICV];
	uint32_t p_gen; /* which burst the op belongs to */
	uint16_t p_idx; /* its esp_crypto_op in that burst */
};

#define CDEV_PRIV_OFF (sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
#define CDEV_IV_OFF (CDEV_PRIV_OFF + offsetof(struct cdev_priv, p_iv))

_Static_assert(sizeof(struct cdev_priv) <= ESP_CRYPTODEV_OP_PRIV, "ESP_CRYPTODEV_OP_PRIV too small");
_Static_assert(CDEV_PRIV_OFF % alignof(struct cdev_priv) == 0, "op private area alignment");

/* The private layout of struct esp_keys for this engine. */
struct cdev_keys {
	uint8_t ck_ready;   /* ESP_KEYS_READY, set last */
	uint8_t ck_kind;    /* ESP_KIND_CRYPTODEV */
	uint8_t ck_enc;     /* enum esp_enc */
	uint8_t ck_icv_len;
	uint8_t ck_dev;
	uint8_t ck_n_aad; /* AEAD: AAD lengths with a session; else 1 */
	uint8_t ck_aad_len[ESP_CRYPTODEV_AAD_LENS];
	uint8_t ck_salt[ESP_SALT_LEN];
	void *ck_sess[2][ESP_CRYPTODEV_AAD_LENS]; /* [encrypt][AAD length index] */
};

_Static_assert(sizeof(struct cdev_keys) <= ESP_KEYS_SIZE, "ESP_KEYS_SIZE too small");
_Static_assert(offsetof(struct cdev_keys, ck_ready) == 0 &&
	       offsetof(struct cdev_keys, ck_kind) == 1, "esp_keys_kind() layout");

struct esp_cdev {
	alignas(64) uint8_t cd_dev;
	uint16_t cd_qp;
	uint8_t cd_n_aad;
	uint8_t cd_aad_len[ESP_CRYPTODEV_AAD_LENS]; /* for the sessions of new keys */
	uint32_t cd_gen;
	uint64_t cd_timeout; /* timer cycles */
	struct rte_mempool *cd_op_pool;
	struct rte_mempool *cd_sess_pool;
	char cd_name[RTE_CRYPTODEV_NAME_MAX_LEN];
};

static struct cdev_keys *ck_of(struct esp_keys *k)
{
	return (struct cdev_keys *)(void *)k->k_opaque;
}

static const struct cdev_keys *ck_of_const(const struct esp_keys *k)
{
	return (const struct cdev_keys *)(const void *)k->k_opaque;
}

static struct cdev_priv *priv_of(struct rte_crypto_op *cop)
{
	return rte_crypto_op_ctod_offset(cop, struct cdev_priv *, CDEV_PRIV_OFF);
}

static rte_iova_t priv_iova(struct rte_crypto_op *cop, size_t field)
{
	return rte_crypto_op_ctophys_offset(cop, (uint32_t)(CDEV_PRIV_OFF + field));
}

static bool enc_is_aead(unsigned enc)
{
	return enc == ESP_ENC_AES_GCM16 || enc == ESP_ENC_CHACHA20_POLY1305;
}

/* ---- Engine ---- */

static bool op_pool_fits(struct rte_mempool *mp)
{
	const struct rte_crypto_op_pool_private *pp = rte_mempool_get_priv(mp);

	return mp->private_data_size >= sizeof(*pp) &&
		pp->type == RTE_CRYPTO_OP_TYPE_SYMMETRIC &&
		pp->priv_size >= sizeof(struct cdev_priv);
}

struct esp_cdev *esp_cdev_create(uint8_t dev_id, uint16_t qp_id,
				 struct rte_mempool *op_pool,
				 struct rte_mempool *sess_pool)
{
	struct esp_cdev *c = NULL;

	if (!rte_cryptodev_is_valid_dev(dev_id) || op_pool == NULL ||
	    sess_pool == NULL || !op_pool_fits(op_pool) ||
	    qp_id >= rte_cryptodev_queue_pair_count(dev_id))
		return NULL;
	if (posix_memalign((void **)&c, 64, sizeof(*c)) != 0)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->cd_dev = dev_id;
	c->cd_qp = qp_id;
	/* RFC 4106 §5, RFC 7634 §2.1: SPI || SEQ, or SPI || ESN-high || SEQ. */
	c->cd_n_aad = 2;
	c->cd_aad_len[0] = 8;
	c->cd_aad_len[1] = 12;
	c->cd_timeout = rte_get_timer_hz() * CDEV_TIMEOUT_MS / 1000;
	c->cd_op_pool = op_pool;
	c->cd_sess_pool = sess_pool;
	snprintf(c->cd_name, sizeof(c->cd_name), "%s", rte_cryptodev_name_get(dev_id));
	return c;
}

void esp_cdev_free(struct esp_cdev *c)
{
	free(c);
}

const char *esp_cdev_name(const struct esp_cdev *c)
{
	return c->cd_name;
}

int esp_cdev_aad_lens(struct esp_cdev *c, const uint8_t *lens, unsigned n)
{
	if (n == 0 || n > ESP_CRYPTODEV_AAD_LENS)
		return -EINVAL;
	memcpy(c->cd_aad_len, lens, n);
	c->cd_n_aad = (uint8_t)n;
	return 0;
}

struct rte_mempool *esp_cryptodev_sess_pool_create(const char *name, uint8_t dev_id,
						   uint32_t n, int socket)
{
	unsigned sz = rte_cryptodev_sym_get_private_session_size(dev_id);

	if (sz == 0)
		return NULL;
	/* No lcore cache: sessions are made and freed on the control lcore. */
	return rte_cryptodev_sym_session_pool_create(name, n, sz, 0, 0, socket);
}

/* ---- Sessions ---- */

static enum rte_crypto_auth_algorithm auth_algo(enum esp_integ i)
{
	switch (i) {
	case ESP_INTEG_HMAC_SHA1_96:
		return RTE_CRYPTO_AUTH_SHA1_HMAC;
	case ESP_INTEG_HMAC_SHA256_128:
		return RTE_CRYPTO_AUTH_SHA256_HMAC;
	case ESP_INTEG_HMAC_SHA384_192:
		return RTE_CRYPTO_AUTH_SHA384_HMAC;
	default:
		return RTE_CRYPTO_AUTH_SHA512_HMAC;
	}
}

static void aead_xform(struct rte_crypto_sym_xform *x, const struct esp_algo *a,
		       bool encrypt, uint16_t aad_len)
{
	memset(x, 0, sizeof(*x));
	x->type = RTE_CRYPTO_SYM_XFORM_AEAD;
	x->aead.op = encrypt ? RTE_CRYPTO_AEAD_OP_ENCRYPT : RTE_CRYPTO_AEAD_OP_DECRYPT;
	x->aead.algo = a->enc == ESP_ENC_AES_GCM16 ? RTE_CRYPTO_AEAD_AES_GCM :
		RTE_CRYPTO_AEAD_CHACHA20_POLY1305;
	x->aead.key.data = a->enc_key;
	x->aead.key.length = a->enc_key_len;
	x->aead.iv.offset = CDEV_IV_OFF;
	x->aead.iv.length = AEAD_NONCE_LEN;
	x->aead.digest_length = AEAD_ICV_LEN;
	x->aead.aad_length = aad_len;
}

/* CBC or NULL with HMAC. RFC 4303 §3.3.2, §3.4.4: encrypt then MAC;
 * verify then decrypt. NULL is authentication alone (RFC 2410: the
 * cipher is the identity), so devices without a NULL cipher serve it. */
static struct rte_crypto_sym_xform *chain_xforms(struct rte_crypto_sym_xform x[2],
						 const struct esp_algo *a, bool encrypt)
{
	struct rte_crypto_sym_xform *c = &x[0], *h = &x[1];

	memset(x, 0, 2 * sizeof(*x));
	h->type = RTE_CRYPTO_SYM_XFORM_AUTH;
	h->auth.op = encrypt ? RTE_CRYPTO_AUTH_OP_GENERATE : RTE_CRYPTO_AUTH_OP_VERIFY;
	h->auth.algo = auth_algo(a->integ);
	h->auth.key.data = a->integ_key;
	h->auth.key.length = a->integ_key_len;
	h->auth.digest_length = esp_algo_icv_len(a); /* truncated: RFC 2404 §2, RFC 4868 §2 */
	if (a->enc == ESP_ENC_NULL)
		return h;
	c->type = RTE_CRYPTO_SYM_XFORM_CIPHER;
	c->cipher.op = encrypt ? RTE_CRYPTO_CIPHER_OP_ENCRYPT : RTE_CRYPTO_CIPHER_OP_DECRYPT;
	c->cipher.algo = RTE_CRYPTO_CIPHER_AES_CBC;
	c->cipher.key.data = a->enc_key;
	c->cipher.key.length = a->enc_key_len;
	c->cipher.iv.offset = CDEV_IV_OFF;
	c->cipher.iv.length = CBC_IV_LEN;
	if (encrypt) {
		c->next = h;
		return c;
	}
	h->next = c;
	return h;
}

static bool xform_offered(uint8_t dev, const struct rte_crypto_sym_xform *x)
{
	struct rte_cryptodev_sym_capability_idx idx = { .type = x->type };
	const struct rte_cryptodev_symmetric_capability *cap;

	if (x->type == RTE_CRYPTO_SYM_XFORM_AEAD)
		idx.algo.aead = x->aead.algo;
	else if (x->type == RTE_CRYPTO_SYM_XFORM_AUTH)
		idx.algo.auth = x->auth.algo;
	else
		idx.algo.cipher = x->cipher.algo;
	cap = rte_cryptodev_sym_capability_get(dev, &idx);
	if (cap == NULL)
		return false;
	if (x->type == RTE_CRYPTO_SYM_XFORM_AEAD)
		return rte_cryptodev_sym_capability_check_aead(cap, x->aead.key.length,
			x->aead.digest_length, x->aead.aad_length, x->aead.iv.length) == 0;
	if (x->type == RTE_CRYPTO_SYM_XFORM_AUTH)
		return rte_cryptodev_sym_capability_check_auth(cap, x->auth.key.length,
			x->auth.digest_length, 0) == 0;
	return rte_cryptodev_sym_capability_check_cipher(cap, x->cipher.key.length,
							 x->cipher.iv.length) == 0;
}

static int sess_make(struct esp_cdev *c, const struct esp_algo *a, bool encrypt,
		     uint16_t aad_len, void **out)
{
	struct rte_crypto_sym_xform x[2], *first = &x[0];

	if (esp_algo_is_aead(a))
		aead_xform(first, a, encrypt, aad_len);
	else
		first = chain_xforms(x, a, encrypt);
	for (const struct rte_crypto_sym_xform *t = first; t != NULL; t = t->next)
		if (!xform_offered(c->cd_dev, t))
			return -ENOTSUP;
	*out = rte_cryptodev_sym_session_create(c->cd_dev, first, c->cd_sess_pool);
	if (*out == NULL)
		return rte_errno == ENOMEM ? -ENOMEM : -ENOTSUP;
	return 0;
}

static void sessions_free(struct cdev_keys *ck)
{
	for (unsigned d = 0; d < 2; d++)
		for (unsigned l = 0; l < ESP_CRYPTODEV_AAD_LENS; l++)
			if (ck->ck_sess[d][l] != NULL)
				rte_cryptodev_sym_session_free(ck->ck_dev, ck->ck_sess[d][l]);
}

size_t esp_cdev_keys_size(void)
{
	return (sizeof(struct cdev_keys) + 63) / 64 * 64;
}

int esp_cdev_keys_init(struct esp_cdev *c, struct esp_keys *k, const struct esp_algo *a)
{
	struct cdev_keys *ck = ck_of(k);
	int rc = 0;

	ck->ck_dev = c->cd_dev;
	ck->ck_n_aad = esp_algo_is_aead(a) ? c->cd_n_aad : 1;
	memcpy(ck->ck_aad_len, c->cd_aad_len, sizeof(ck->ck_aad_len));
	for (unsigned d = 0; d < 2 && rc == 0; d++)
		for (unsigned l = 0; l < ck->ck_n_aad && rc == 0; l++)
			rc = sess_make(c, a, d == 1, ck->ck_aad_len[l], &ck->ck_sess[d][l]);
	if (rc != 0) {
		sessions_free(ck);
		OPENSSL_cleanse(ck, sizeof(*ck));
		return rc;
	}
	ck->ck_enc = (uint8_t)a->enc;
	ck->ck_icv_len = esp_algo_icv_len(a);
	if (esp_algo_is_aead(a))
		memcpy(ck->ck_salt, a->salt, ESP_SALT_LEN);
	ck->ck_kind = ESP_KIND_CRYPTODEV;
	ck->ck_ready = ESP_KEYS_READY;
	return 0;
}

void esp_cdev_keys_release(struct esp_keys *k)
{
	sessions_free(ck_of(k));
}

/* ---- The burst ---- */

static bool in_seg(const struct rte_mbuf *mb, const uint8_t *p, uint32_t len)
{
	const uint8_t *base = rte_pktmbuf_mtod(mb, const uint8_t *);

	return p != NULL && p >= base && (size_t)(p - base) + len <= mb->data_len;
}

/* NULL for an AEAD op whose AAD length no session was made for. */
static void *op_session(const struct cdev_keys *ck, const struct esp_crypto_op *op)
{
	if (!enc_is_aead(ck->ck_enc))
		return ck->ck_sess[op->encrypt][0];
	for (unsigned l = 0; l < ck->ck_n_aad; l++)
		if (ck->ck_aad_len[l] == op->aad_len)
			return ck->ck_sess[op->encrypt][l];
	return NULL;
}

static bool op_valid(const struct esp_cdev *c, const struct esp_crypto_op *op)
{
	const struct cdev_keys *ck;

	if (op->keys == NULL || op->icv == NULL || op->mb == NULL || op->mb->nb_segs != 1)
		return false;
	if (esp_keys_kind(op->keys) != ESP_KIND_CRYPTODEV)
		return false;
	ck = ck_of_const(op->keys);
	if (ck->ck_dev != c->cd_dev || (op->aad == NULL && op->aad_len != 0))
		return false;
	if (ck->ck_enc == ESP_ENC_NULL)
		return op->auth_len != 0 && in_seg(op->mb, op->auth, op->auth_len);
	if (op->iv == NULL || !in_seg(op->mb, op->text, op->text_len))
		return false;
	if (ck->ck_enc == ESP_ENC_AES_CBC)
		return op->text_len != 0 && op->text_len % CBC_BLOCK == 0 &&
			op->auth_len != 0 && in_seg(op->mb, op->auth, op->auth_len);
	return op->aad_len <= CDEV_AAD_MAX && op_session(ck, op) != NULL;
}

static void fill_aead(struct rte_crypto_op *cop, struct cdev_priv *p,
		      const struct cdev_keys *ck, const struct esp_crypto_op *op)
{
	struct rte_crypto_sym_op *sym = cop->sym;

	memcpy(p->p_iv, ck->ck_salt, ESP_SALT_LEN);
	memcpy(p->p_iv + ESP_SALT_LEN, op->iv, AEAD_IV_LEN);
	if (op->aad_len != 0)
		memcpy(p->p_aad, op->aad, op->aad_len);
	sym->aead.data.offset = (uint32_t)(op->text - rte_pktmbuf_mtod(op->mb, uint8_t *));
	sym->aead.data.length = op->text_len;
	sym->aead.aad.data = p->p_aad;
	sym->aead.aad.phys_addr = priv_iova(cop, offsetof(struct cdev_priv, p_aad));
	sym->aead.digest.data = p->p_digest;
	sym->aead.digest.phys_addr = priv_iova(cop, offsetof(struct cdev_priv, p_digest));
	rte_crypto_op_attach_sym_session(cop, op_session(ck, op));
}

/* Offsets count from the start of the mbuf's data (rte_crypto_sym.h). */
static void fill_chain(struct rte_crypto_op *cop, struct cdev_priv *p,
		       const struct cdev_keys *ck, const struct esp_crypto_op *op)
{
	struct rte_crypto_sym_op *sym = cop->sym;
	const uint8_t *base = rte_pktmbuf_mtod(op->mb, const uint8_t *);

	if (ck->ck_enc == ESP_ENC_AES_CBC) {
		memcpy(p->p_iv, op->iv, CBC_IV_LEN);
		sym->cipher.data.offset = (uint32_t)(op->text - base);
		sym->cipher.data.length = op->text_len;
	}
	sym->auth.data.offset = (uint32_t)(op->auth - base);
	sym->auth.data.length = op->auth_len;
	sym->auth.digest.data = p->p_digest;
	sym->auth.digest.phys_addr = priv_iova(cop, offsetof(struct cdev_priv, p_digest));
	rte_crypto_op_attach_sym_session(cop, op_session(ck, op));
}

static void cop_fill(const struct esp_cdev *c, struct rte_crypto_op *cop,
		     const struct esp_crypto_op *op, uint16_t idx)
{
	const struct cdev_keys *ck = ck_of_const(op->keys);
	struct cdev_priv *p = priv_of(cop);

	p->p_gen = c->cd_gen;
	p->p_idx = idx;
	cop->sym->m_src = op->mb;
	/* The device compares its digest with this copy, so icv may sit
	 * anywhere, and an ESN's high bits where it was stay readable. */
	if (!op->encrypt)
		memcpy(p->p_digest, op->icv, ck->ck_icv_len);
	if (enc_is_aead(ck->ck_enc))
		fill_aead(cop, p, ck, op);
	else
		fill_chain(cop, p, ck, op);
}

static int status_of(const struct rte_crypto_op *cop, struct esp_crypto_op *op,
		     const struct cdev_priv *p)
{
	switch (cop->status) {
	case RTE_CRYPTO_OP_STATUS_SUCCESS:
		/* Only now: with ESN, icv overlapped the authenticated bytes. */
		if (op->encrypt)
			memcpy(op->icv, p->p_digest, ck_of_const(op->keys)->ck_icv_len);
		return 0;
	case RTE_CRYPTO_OP_STATUS_AUTH_FAILED:
		return -EBADMSG;
	case RTE_CRYPTO_OP_STATUS_INVALID_SESSION:
	case RTE_CRYPTO_OP_STATUS_INVALID_ARGS:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* 1 when cop belongs to the current burst (its op gets its status); 0
 * for one that came back after its own burst had given up on it. */
static unsigned cop_done(struct esp_cdev *c, struct esp_crypto_op *ops,
			 struct rte_crypto_op *cop)
{
	const struct cdev_priv *p = priv_of(cop);

	if (p->p_gen != c->cd_gen)
		return 0;
	ops[p->p_idx].status = status_of(cop, &ops[p->p_idx], p);
	return 1;
}

static unsigned drain(struct esp_cdev *c, struct esp_crypto_op *ops)
{
	struct rte_crypto_op *out[ESP_CRYPTO_BURST];
	uint16_t m = rte_cryptodev_dequeue_burst(c->cd_dev, c->cd_qp, out, RTE_DIM(out));
	unsigned done = 0;

	for (uint16_t i = 0; i < m; i++)
		done += cop_done(c, ops, out[i]);
	if (m != 0)
		rte_mempool_put_bulk(c->cd_op_pool, (void **)out, m);
	return done;
}

/* Enqueues cops[0..k) and dequeues until all are back, or until the
 * timeout: then what was not sent goes back to the pool, and what the
 * device holds is left to it (its ops keep status -EIO). */
static void exchange(struct esp_cdev *c, struct esp_crypto_op *ops,
		     struct rte_crypto_op **cops, unsigned k)
{
	uint64_t deadline = rte_get_timer_cycles() + c->cd_timeout;
	unsigned sent = 0, done = 0;

	while (done < k) {
		if (sent < k)
			sent += rte_cryptodev_enqueue_burst(c->cd_dev, c->cd_qp, cops + sent,
							    (uint16_t)(k - sent));
		/* PMDs that work inside enqueue (openssl) refuse an op they
		 * failed, its status set: it is finished, not waiting. */
		if (sent < k && cops[sent]->status != RTE_CRYPTO_OP_STATUS_NOT_PROCESSED) {
			done += cop_done(c, ops, cops[sent]);
			rte_mempool_put(c->cd_op_pool, cops[sent]);
			sent++;
		}
		done += drain(c, ops);
		if (done < k && rte_get_timer_cycles() > deadline) {
			if (sent < k)
				rte_mempool_put_bulk(c->cd_op_pool, (void **)(cops + sent), k - sent);
			return;
		}
	}
}

static void run_chunk(struct esp_cdev *c, struct esp_crypto_op *ops, unsigned n)
{
	struct rte_crypto_op *cops[ESP_CRYPTO_BURST];
	uint16_t idx[ESP_CRYPTO_BURST];
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!op_valid(c, &ops[i])) {
			ops[i].status = -EINVAL;
			continue;
		}
		ops[i].status = -EIO; /* until the device returns it */
		idx[k++] = (uint16_t)i;
	}
	if (k == 0)
		return;
	if (rte_crypto_op_bulk_alloc(c->cd_op_pool, RTE_CRYPTO_OP_TYPE_SYMMETRIC, cops,
				     (uint16_t)k) != k) {
		for (unsigned j = 0; j < k; j++)
			ops[idx[j]].status = -ENOBUFS;
		return;
	}
	c->cd_gen++;
	for (unsigned j = 0; j < k; j++)
		cop_fill(c, cops[j], &ops[idx[j]], idx[j]);
	exchange(c, ops, cops, k);
}

void esp_cdev_run(struct esp_cdev *c, struct esp_crypto_op *ops, unsigned n)
{
	unsigned done, chunk;

	for (done = 0; done < n; done += chunk) {
		chunk = n - done < ESP_CRYPTO_BURST ? n - done : ESP_CRYPTO_BURST;
		run_chunk(c, ops + done, chunk);
	}
}
