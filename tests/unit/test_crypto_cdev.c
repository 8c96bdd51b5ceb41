/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The 'cryptodev' ESP crypto engine against the published vectors of
 * crypto_vectors.h (the ones test_crypto.c runs through 'ipsecmb'), on
 * each software crypto PMD of DPDK 22.11: crypto_aesni_gcm,
 * crypto_aesni_mb, crypto_openssl. One suite per device, the same tests
 * in each. Where the device does not offer a test's algorithms (asked
 * with rte_cryptodev_sym_capability_get, independently of the engine),
 * the test checks instead that keying an SA with them is refused
 * (-ENOTSUP, keys wiped), as an operator's SA add would be. Packets live
 * in mbufs, as on the wire path.
 */
#define ALLOW_EXPERIMENTAL_API /* rte_cryptodev_add_deq_callback */

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "crypto_vectors.h"
#include "esp_crypto.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_TEXT 128
#define PAD 14 /* an Ethernet header's worth: no data offset is zero */
#define ROOM (PAD + 8 + 16 + MAX_TEXT + ESP_MAX_ICV + 8)

struct dev {
	const char *name;
	int id;
	struct rte_mempool *sess_pool;
	struct esp_engine *eng;
};

static struct dev devs[] = {
	{ .name = "crypto_aesni_gcm0" },
	{ .name = "crypto_aesni_mb0" },
	{ .name = "crypto_openssl0" },
};

static struct rte_mempool *op_pool, *mb_pool;
static struct dev *cur; /* the device the running test uses */

/* The vectors' AAD lengths: none and 20 (GCM), and ESP's 8 and 12. */
static const uint8_t kat_aad_lens[] = { 0, 8, 12, 20 };

/* Criterion runs each test in its own process: EAL comes up per test. */
static void setup(void)
{
	char prefix[64];
	char *argv[] = { "test_crypto_cdev", "--no-huge", "-m", "512", "--no-pci",
			 "--no-shconf", "--file-prefix", prefix, "--no-telemetry",
			 "-l", "0", "--log-level", "error",
			 "--vdev", "crypto_aesni_gcm0", "--vdev", "crypto_aesni_mb0",
			 "--vdev", "crypto_openssl0", NULL };

	snprintf(prefix, sizeof(prefix), "crypto_cdev_%d", (int)getpid());
	cr_assert(rte_eal_init(N(argv) - 1, argv) >= 0, "rte_eal_init");
	op_pool = rte_crypto_op_pool_create("cops", RTE_CRYPTO_OP_TYPE_SYMMETRIC, 1023, 32,
					    ESP_CRYPTODEV_OP_PRIV, (int)rte_socket_id());
	mb_pool = rte_pktmbuf_pool_create("mbufs", 1023, 32, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  (int)rte_socket_id());
	cr_assert(op_pool != NULL && mb_pool != NULL, "pools");
}

static void teardown(void)
{
	if (cur != NULL) {
		esp_engine_free(cur->eng);
		rte_cryptodev_stop((uint8_t)cur->id);
		rte_cryptodev_close((uint8_t)cur->id);
		cur = NULL;
	}
	rte_eal_cleanup();
}

/* What sas.c does for the daemon, with one queue pair. */
static struct dev *dev_up(unsigned idx)
{
	struct dev *d = &devs[idx];
	struct rte_cryptodev_config conf = { .socket_id = (int)rte_socket_id(),
					     .nb_queue_pairs = 1 };
	struct rte_cryptodev_qp_conf qp = { .nb_descriptors = 256 };
	uint8_t id;

	d->id = rte_cryptodev_get_dev_id(d->name);
	cr_assert(d->id >= 0, "%s not probed (is its PMD in EAL's plugin directory?)", d->name);
	id = (uint8_t)d->id;
	d->sess_pool = esp_cryptodev_sess_pool_create("sess", id, 512, (int)rte_socket_id());
	cr_assert_not_null(d->sess_pool, "%s: session pool", d->name);
	cr_assert_eq(rte_cryptodev_configure(id, &conf), 0, "%s: configure", d->name);
	cr_assert_eq(rte_cryptodev_queue_pair_setup(id, 0, &qp, (int)rte_socket_id()), 0,
		     "%s: queue pair", d->name);
	cr_assert_eq(rte_cryptodev_start(id), 0, "%s: start", d->name);
	d->eng = esp_engine_create_cryptodev(id, 0, op_pool, d->sess_pool);
	cr_assert_not_null(d->eng, "%s: esp_engine_create_cryptodev", d->name);
	cr_assert_eq(esp_engine_aad_lens(d->eng, kat_aad_lens, N(kat_aad_lens)), 0);
	cur = d;
	return d;
}

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	if (s == NULL)
		return 0;
	while (*s != '\0') {
		if (*s == ' ') {
			s++;
			continue;
		}
		cr_assert(n < max, "hex string too long: %s", s);
		cr_assert(sscanf(s, "%2x", &v) == 1, "bad hex: %s", s);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* ---- What a device offers, asked without the engine ---- */

static const char *hmac_name(enum esp_integ i)
{
	static const char *const names[] = { "?", "HMAC-SHA1", "HMAC-SHA256",
					     "HMAC-SHA384", "HMAC-SHA512" };
	return names[i];
}

static enum rte_crypto_auth_algorithm hmac_algo(enum esp_integ i)
{
	static const enum rte_crypto_auth_algorithm algos[] = {
		RTE_CRYPTO_AUTH_NULL, RTE_CRYPTO_AUTH_SHA1_HMAC, RTE_CRYPTO_AUTH_SHA256_HMAC,
		RTE_CRYPTO_AUTH_SHA384_HMAC, RTE_CRYPTO_AUTH_SHA512_HMAC,
	};
	return algos[i];
}

static const struct rte_cryptodev_symmetric_capability *
cap_get(const struct dev *d, enum rte_crypto_sym_xform_type type, int algo)
{
	struct rte_cryptodev_sym_capability_idx idx = { .type = type };

	if (type == RTE_CRYPTO_SYM_XFORM_AEAD)
		idx.algo.aead = (enum rte_crypto_aead_algorithm)algo;
	else if (type == RTE_CRYPTO_SYM_XFORM_CIPHER)
		idx.algo.cipher = (enum rte_crypto_cipher_algorithm)algo;
	else
		idx.algo.auth = (enum rte_crypto_auth_algorithm)algo;
	return rte_cryptodev_sym_capability_get((uint8_t)d->id, &idx);
}

/* NULL when d offers what a needs (AEAD: with each of kat_aad_lens),
 * else the name of what it lacks. */
static const char *dev_lacks(const struct dev *d, const struct esp_algo *a)
{
	const struct rte_cryptodev_symmetric_capability *cap;
	struct rte_cryptodev_info info;

	rte_cryptodev_info_get((uint8_t)d->id, &info);
	if (esp_algo_is_aead(a)) {
		bool gcm = a->enc == ESP_ENC_AES_GCM16;
		const char *what = gcm ? "AES-GCM" : "ChaCha20-Poly1305";

		cap = cap_get(d, RTE_CRYPTO_SYM_XFORM_AEAD, gcm ? RTE_CRYPTO_AEAD_AES_GCM :
			      RTE_CRYPTO_AEAD_CHACHA20_POLY1305);
		if (cap == NULL)
			return what;
		for (size_t i = 0; i < N(kat_aad_lens); i++)
			if (rte_cryptodev_sym_capability_check_aead(cap, a->enc_key_len, 16,
								    kat_aad_lens[i], 12) != 0)
				return what;
		return NULL;
	}
	if (a->enc == ESP_ENC_AES_CBC) {
		cap = cap_get(d, RTE_CRYPTO_SYM_XFORM_CIPHER, RTE_CRYPTO_CIPHER_AES_CBC);
		if (cap == NULL ||
		    rte_cryptodev_sym_capability_check_cipher(cap, a->enc_key_len, 16) != 0)
			return "AES-CBC";
		if (!(info.feature_flags & RTE_CRYPTODEV_FF_SYM_OPERATION_CHAINING))
			return "cipher+auth chaining";
	}
	cap = cap_get(d, RTE_CRYPTO_SYM_XFORM_AUTH, hmac_algo(a->integ));
	if (cap == NULL || rte_cryptodev_sym_capability_check_auth(cap, a->integ_key_len,
			esp_algo_icv_len(a), 0) != 0)
		return hmac_name(a->integ);
	return NULL;
}

/* ---- Vectors, loaded and keyed on the device ---- */

struct kat {
	const char *name;
	struct esp_algo a;
	struct esp_keys keys;
	uint8_t iv[16];
	size_t iv_len;
	uint8_t aad[32];
	size_t aad_len;
	uint8_t hdr[8];
	size_t hdr_len;
	uint8_t pt[MAX_TEXT], ct[MAX_TEXT];
	size_t len;
	uint8_t icv[ESP_MAX_ICV];
	size_t icv_len;
};

static const EVP_MD *integ_md(enum esp_integ i)
{
	switch (i) {
	case ESP_INTEG_HMAC_SHA1_96:
		return EVP_sha1();
	case ESP_INTEG_HMAC_SHA256_128:
		return EVP_sha256();
	case ESP_INTEG_HMAC_SHA384_192:
		return EVP_sha384();
	default:
		return EVP_sha512();
	}
}

/* The ICV of a CBC vector (no published one exists): OpenSSL's HMAC over
 * hdr || iv || ciphertext, truncated. */
static void kat_openssl_icv(struct kat *k)
{
	uint8_t msg[8 + 16 + MAX_TEXT], md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;
	size_t n = 0;

	memcpy(msg, k->hdr, k->hdr_len);
	n += k->hdr_len;
	memcpy(msg + n, k->iv, k->iv_len);
	n += k->iv_len;
	memcpy(msg + n, k->ct, k->len);
	n += k->len;
	cr_assert_not_null(HMAC(integ_md(k->a.integ), k->a.integ_key, k->a.integ_key_len,
				msg, n, md, &md_len));
	k->icv_len = esp_algo_icv_len(&k->a);
	memcpy(k->icv, md, k->icv_len);
}

/* Everything but the keys. */
static void kat_parse(struct kat *k, const struct kat_src *s)
{
	memset(k, 0, sizeof(*k));
	k->name = s->name;
	k->a.enc = s->enc;
	k->a.integ = s->integ;
	k->a.enc_key_len = (uint8_t)unhex(s->ekey, k->a.enc_key, ESP_MAX_ENC_KEY);
	unhex(s->salt, k->a.salt, ESP_SALT_LEN);
	k->a.integ_key_len = (uint8_t)unhex(s->ikey, k->a.integ_key, ESP_MAX_INTEG_KEY);
	k->iv_len = unhex(s->iv, k->iv, sizeof(k->iv));
	k->aad_len = unhex(s->aad, k->aad, sizeof(k->aad));
	k->hdr_len = unhex(s->hdr, k->hdr, sizeof(k->hdr));
	k->len = unhex(s->pt, k->pt, MAX_TEXT);
	cr_assert_eq(unhex(s->ct, k->ct, MAX_TEXT), k->len, "%s: ct length", s->name);
	cr_assert_eq(esp_algo_check(&k->a), 0, "%s: esp_algo_check", s->name);
	if (s->icv != NULL)
		k->icv_len = unhex(s->icv, k->icv, ESP_MAX_ICV);
	else
		kat_openssl_icv(k);
	cr_assert_eq(k->icv_len, esp_algo_icv_len(&k->a), "%s: icv length", s->name);
}

static void kat_load(struct kat *k, const struct kat_src *s)
{
	kat_parse(k, s);
	cr_assert_eq(esp_keys_init(cur->eng, &k->keys, &k->a), 0, "%s on %s: esp_keys_init",
		     s->name, cur->name);
}

/* ---- Families of vectors, one test each, all or none on a device ---- */

enum family { F_GCM, F_CHACHA, F_CBC, F_HMAC, F_MAX };

static size_t family_srcs(enum family f, const struct kat_src *out[32])
{
	size_t n = 0;

	for (size_t i = 0; i < N(aead_src); i++)
		if ((f == F_GCM && aead_src[i].enc == ESP_ENC_AES_GCM16) ||
		    (f == F_CHACHA && aead_src[i].enc == ESP_ENC_CHACHA20_POLY1305))
			out[n++] = &aead_src[i];
	for (size_t i = 0; f == F_CBC && i < N(cbc_src); i++)
		out[n++] = &cbc_src[i];
	for (size_t i = 0; f == F_HMAC && i < N(hmac_src); i++)
		out[n++] = &hmac_src[i];
	return n;
}

/* An algorithm the device lacks is refused when an SA is keyed with it
 * (-ENOTSUP), the keys left wiped: what an operator's SA add meets. */
static void expect_refused(struct kat *k)
{
	memset(&k->keys, 0x5a, sizeof(k->keys));
	cr_expect_eq(esp_keys_init(cur->eng, &k->keys, &k->a), -ENOTSUP, "%s on %s",
		     k->name, cur->name);
	for (size_t j = 0; j < ESP_KEYS_SIZE; j++)
		cr_assert_eq(k->keys.k_opaque[j], 0, "%s: keys left unwiped", k->name);
}

/* The vectors of f that cur offers, once each one it lacks was checked
 * to be refused: on a device that lacks the whole family the test runs
 * no text, only that refusal. */
static size_t family_require(enum family f, const struct kat_src *out[32])
{
	const struct kat_src *all[32];
	size_t n = family_srcs(f, all), m = 0;

	for (size_t i = 0; i < n; i++) {
		struct kat k;

		kat_parse(&k, all[i]);
		if (dev_lacks(cur, &k.a) != NULL)
			expect_refused(&k);
		else
			out[m++] = all[i];
	}
	return m;
}

/* The engine tests below run on AES-GCM, which every device here offers. */
static size_t gcm_require(const struct kat_src *out[32])
{
	size_t n = family_require(F_GCM, out);

	cr_assert_geq(n, 2, "%s: these tests need its AES-GCM", cur->name);
	return n;
}

static struct kat *kats_load(const struct kat_src *const *src, size_t n)
{
	struct kat *k = calloc(n, sizeof(*k));

	cr_assert_not_null(k);
	for (size_t i = 0; i < n; i++)
		kat_load(&k[i], src[i]);
	return k;
}

static void kats_free(struct kat *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		esp_keys_wipe(&k[i].keys);
	free(k);
}

/* ---- One packet in an mbuf: [PAD][hdr][iv][text][icv], AEAD without hdr ---- */

struct pkt {
	struct rte_mbuf *mb;
	uint8_t *buf; /* where hdr (or the AEAD IV) starts */
	struct esp_crypto_op op;
};

/* Plaintext to encrypt, or ciphertext and ICV to check; the ICV sits
 * after the text in the mbuf, the AAD outside it (as esp.c has them). */
static void pkt_prepare(struct pkt *p, const struct kat *k, bool encrypt)
{
	struct esp_crypto_op *op = &p->op;
	uint8_t *text;

	memset(p, 0, sizeof(*p));
	p->mb = rte_pktmbuf_alloc(mb_pool);
	cr_assert_not_null(p->mb, "mbuf");
	cr_assert_not_null(rte_pktmbuf_append(p->mb, ROOM));
	memset(rte_pktmbuf_mtod(p->mb, uint8_t *), 0, ROOM);
	p->buf = rte_pktmbuf_mtod_offset(p->mb, uint8_t *, PAD);
	op->mb = p->mb;
	op->keys = &k->keys;
	op->encrypt = encrypt;
	op->status = 1; /* must be overwritten */
	memcpy(p->buf, k->hdr, k->hdr_len);
	memcpy(p->buf + k->hdr_len, k->iv, k->iv_len);
	op->iv = k->iv_len ? p->buf + k->hdr_len : NULL;
	text = p->buf + k->hdr_len + k->iv_len;
	if (esp_algo_is_aead(&k->a)) {
		op->aad = k->aad_len ? k->aad : NULL;
		op->aad_len = (uint8_t)k->aad_len;
	} else {
		op->auth = p->buf;
		op->auth_len = (uint32_t)(k->hdr_len + k->iv_len + k->len);
	}
	memcpy(text, encrypt ? k->pt : k->ct, k->len);
	op->text = text;
	op->text_len = (uint32_t)k->len;
	op->icv = text + k->len;
	if (!encrypt)
		memcpy(op->icv, k->icv, k->icv_len);
}

static void pkt_free(struct pkt *p)
{
	rte_pktmbuf_free(p->mb);
	p->mb = NULL;
}

/* Status 0, the expected text and ICV, nothing else touched. */
static void pkt_expect_ok(const struct pkt *p, const struct kat *k)
{
	const struct esp_crypto_op *op = &p->op;
	const char *dir = op->encrypt ? "encrypt" : "decrypt";

	cr_expect_eq(op->status, 0, "%s %s on %s: status %d", k->name, dir, cur->name,
		     op->status);
	cr_expect_arr_eq(op->text, op->encrypt ? k->ct : k->pt, k->len,
			 "%s %s on %s: text", k->name, dir, cur->name);
	if (op->encrypt)
		cr_expect_arr_eq(op->icv, k->icv, k->icv_len, "%s on %s: icv", k->name,
				 cur->name);
	cr_expect_arr_eq(p->buf, k->hdr, k->hdr_len, "%s: hdr", k->name);
	cr_expect_arr_eq(p->buf + k->hdr_len, k->iv, k->iv_len, "%s: iv", k->name);
	cr_expect_eq(op->icv[k->icv_len], 0, "%s %s: wrote past the icv", k->name, dir);
}

static void run_family(enum family f, bool encrypt)
{
	const struct kat_src *src[32];
	size_t n = family_require(f, src);
	struct kat *k;
	struct pkt p;

	if (n == 0)
		return;
	k = kats_load(src, n);

	for (size_t i = 0; i < n; i++) {
		pkt_prepare(&p, &k[i], encrypt);
		esp_crypto_run(cur->eng, &p.op, 1);
		pkt_expect_ok(&p, &k[i]);
		pkt_free(&p);
	}
	kats_free(k, n);
}

enum tamper { T_ICV, T_TEXT, T_AAD, T_HDR };

/* A decrypt of k with one bit flipped where t says: must be -EBADMSG. */
static void expect_badmsg(const struct kat *k, enum tamper t)
{
	static const char *const what[] = { "icv", "text", "aad", "hdr" };
	struct pkt p;
	uint8_t aad[32];

	pkt_prepare(&p, k, false);
	if (t == T_ICV)
		p.op.icv[k->icv_len - 1] ^= 0x01;
	else if (t == T_TEXT)
		p.op.text[k->len / 2] ^= 0x80;
	else if (t == T_AAD) {
		memcpy(aad, k->aad, k->aad_len);
		aad[0] ^= 0x01;
		p.op.aad = aad;
	} else
		p.buf[0] ^= 0x01;
	esp_crypto_run(cur->eng, &p.op, 1);
	cr_expect_eq(p.op.status, -EBADMSG, "%s on %s, flipped %s: status %d", k->name,
		     cur->name, what[t], p.op.status);
	pkt_free(&p);
}

static void tamper_family(enum family f)
{
	const struct kat_src *src[32];
	size_t n = family_require(f, src);
	bool aead = f == F_GCM || f == F_CHACHA;
	struct kat *k;

	if (n == 0)
		return;
	k = kats_load(src, n);

	for (size_t i = 0; i < n; i++) {
		expect_badmsg(&k[i], T_ICV);
		expect_badmsg(&k[i], T_TEXT);
		if (aead && k[i].aad_len != 0)
			expect_badmsg(&k[i], T_AAD);
		if (!aead && k[i].hdr_len != 0)
			expect_badmsg(&k[i], T_HDR);
	}
	kats_free(k, n);
}

/* ---- ESN: RFC 4303 §2.2.1, the high 32 bits follow the payload for the
 * ICV only, where the ICV then goes ---- */

static void esn_case(struct kat *k, size_t c)
{
	static const uint8_t seq_hi[4] = { 0, 0, 0, 1 };
	uint8_t want[ESP_MAX_ICV], rx_icv[ESP_MAX_ICV];
	size_t icv_len = unhex(esn_cases[c].icv, want, sizeof(want));
	size_t end = k->hdr_len + k->iv_len + k->len;
	struct pkt p;

	/* Sender: seq-hi after the ciphertext, the ICV written over it. */
	pkt_prepare(&p, k, true);
	memcpy(p.buf + end, seq_hi, sizeof(seq_hi));
	p.op.auth_len = (uint32_t)(end + sizeof(seq_hi));
	p.op.icv = p.buf + end;
	esp_crypto_run(cur->eng, &p.op, 1);
	cr_expect_eq(p.op.status, 0, "esn %zu encrypt on %s", c, cur->name);
	cr_expect_arr_eq(p.op.text, k->ct, k->len, "esn %zu ciphertext", c);
	cr_expect_arr_eq(p.buf + end, want, icv_len, "esn %zu icv on %s", c, cur->name);
	cr_expect_eq(p.buf[end + icv_len], 0, "esn %zu wrote past the icv", c);

	/* Receiver: save the ICV, put seq-hi where it was, verify, decrypt. */
	memcpy(rx_icv, p.buf + end, icv_len);
	memcpy(p.buf + end, seq_hi, sizeof(seq_hi));
	p.op.encrypt = false;
	p.op.icv = rx_icv;
	p.op.status = 1;
	esp_crypto_run(cur->eng, &p.op, 1);
	cr_expect_eq(p.op.status, 0, "esn %zu decrypt on %s", c, cur->name);
	cr_expect_arr_eq(p.op.text, k->pt, k->len, "esn %zu plaintext", c);

	/* The wrong seq-hi must fail. */
	memcpy(p.op.text, k->ct, k->len);
	p.buf[end + 3] = 2;
	esp_crypto_run(cur->eng, &p.op, 1);
	cr_expect_eq(p.op.status, -EBADMSG, "esn %zu wrong seq-hi on %s", c, cur->name);
	pkt_free(&p);
}

static void t_esn(void)
{
	for (size_t c = 0; c < N(esn_cases); c++) {
		struct kat_src s = cbc_src[1]; /* RFC 3602 case 2 */
		struct kat k;

		s.integ = esn_cases[c].integ;
		s.ikey = esn_cases[c].ikey;
		kat_parse(&k, &s);
		if (dev_lacks(cur, &k.a) != NULL) {
			expect_refused(&k);
			continue;
		}
		kat_load(&k, &s);
		esn_case(&k, c);
		esp_keys_wipe(&k.keys);
	}
}

/* ---- Bursts: every family the device offers, both directions ---- */

struct burst {
	struct kat *k;
	size_t nk;
	struct pkt p[160];
	bool tampered[160];
};

static struct burst *burst_build(unsigned n)
{
	struct burst *b = calloc(1, sizeof(*b));
	const struct kat_src *all[64], *src[32];

	cr_assert_not_null(b);
	cr_assert(n <= N(b->p));
	for (unsigned f = 0; f < F_MAX; f++) {
		size_t m = family_require((enum family)f, src);

		for (size_t i = 0; i < m; i++)
			all[b->nk++] = src[i];
	}
	cr_assert(b->nk > 0, "%s offers nothing", cur->name);
	b->k = kats_load(all, b->nk);
	/* Every SA, both directions, one bad ICV in seven. */
	for (unsigned i = 0; i < n; i++) {
		const struct kat *k = &b->k[i % b->nk];

		pkt_prepare(&b->p[i], k, (i / b->nk) % 2 == 0);
		b->tampered[i] = !b->p[i].op.encrypt && i % 7 == 3;
		if (b->tampered[i])
			b->p[i].op.icv[0] ^= 0x40;
	}
	return b;
}

static void burst_run_check(struct burst *b, unsigned n)
{
	struct esp_crypto_op ops[160];

	for (unsigned i = 0; i < n; i++)
		ops[i] = b->p[i].op;
	esp_crypto_run(cur->eng, ops, n);
	for (unsigned i = 0; i < n; i++) {
		b->p[i].op.status = ops[i].status;
		if (b->tampered[i])
			cr_expect_eq(ops[i].status, -EBADMSG, "op %u on %s: status %d", i,
				     cur->name, ops[i].status);
		else
			pkt_expect_ok(&b->p[i], &b->k[i % b->nk]);
		pkt_free(&b->p[i]);
	}
	kats_free(b->k, b->nk);
	free(b);
}

/* ---- Ops the engine must refuse, next to good ones ---- */

static void t_bad_ops(void)
{
	const struct kat_src *src[32];
	size_t n = gcm_require(src);
	struct kat *k = kats_load(src, n);
	struct esp_engine *mb_eng = esp_engine_create();
	struct esp_keys wiped, other;
	struct esp_crypto_op ops[7];
	uint8_t outside[MAX_TEXT], aad16[16] = { 0 };
	struct pkt p[7];

	cr_assert_not_null(mb_eng);
	for (unsigned i = 0; i < N(p); i++)
		pkt_prepare(&p[i], &k[1], true);
	p[1].op.mb = NULL;
	cr_assert_eq(esp_keys_init(cur->eng, &wiped, &k[1].a), 0);
	esp_keys_wipe(&wiped);
	p[2].op.keys = &wiped;
	memcpy(outside, p[3].op.text, k[1].len);
	p[3].op.text = outside; /* not in the mbuf */
	cr_assert_eq(esp_keys_init(mb_eng, &other, &k[1].a), 0);
	p[4].op.keys = &other;  /* keyed by the other engine */
	p[5].op.aad = aad16;    /* an AAD length without a session */
	p[5].op.aad_len = sizeof(aad16);
	for (unsigned i = 0; i < N(p); i++)
		ops[i] = p[i].op;
	esp_crypto_run(cur->eng, ops, N(ops));
	for (unsigned i = 1; i <= 5; i++)
		cr_expect_eq(ops[i].status, -EINVAL, "bad op %u on %s: status %d", i,
			     cur->name, ops[i].status);
	p[0].op.status = ops[0].status;
	p[6].op.status = ops[6].status;
	pkt_expect_ok(&p[0], &k[1]);
	pkt_expect_ok(&p[6], &k[1]);
	/* And the ipsecmb engine refuses cryptodev keys. */
	ops[0].status = 1;
	esp_crypto_run(mb_eng, &ops[0], 1);
	cr_expect_eq(ops[0].status, -EINVAL);
	for (unsigned i = 0; i < N(p); i++)
		pkt_free(&p[i]);
	esp_keys_wipe(&other);
	esp_engine_free(mb_eng);
	kats_free(k, n);
}

/* ---- Sessions: made per key, all freed by the wipe ---- */

static void t_sessions_freed(void)
{
	const struct kat_src *src[32];
	size_t n = gcm_require(src);
	unsigned before = rte_mempool_avail_count(cur->sess_pool);
	struct kat *k = kats_load(src, n);

	/* Two directions times the AAD lengths. */
	cr_expect_eq(rte_mempool_avail_count(cur->sess_pool),
		     before - 2 * N(kat_aad_lens) * n, "%s: sessions per AEAD key", cur->name);
	kats_free(k, n);
	cr_expect_eq(rte_mempool_avail_count(cur->sess_pool), before, "%s: sessions leaked",
		     cur->name);
}

/* ---- Keying follows the device's capabilities: what it offers keys,
 * what it lacks is refused ---- */

static void t_keying_follows_offer(void)
{
	const struct kat_src *src[32];

	for (unsigned f = 0; f < F_MAX; f++) {
		size_t n = family_srcs((enum family)f, src);

		for (size_t i = 0; i < n; i++) {
			struct kat k;

			kat_parse(&k, src[i]);
			if (dev_lacks(cur, &k.a) != NULL) {
				expect_refused(&k);
				continue;
			}
			cr_expect_eq(esp_keys_init(cur->eng, &k.keys, &k.a), 0, "%s on %s",
				     k.name, cur->name);
			esp_keys_wipe(&k.keys);
		}
	}
}

/* ---- A device that keeps ops: -EIO after the timeout, never a hang ---- */

static struct rte_crypto_op *kept[ESP_CRYPTO_BURST];
static unsigned n_kept;
static bool keep_ops, give_back;

/* Dequeue callback: hides what the device returns while keep_ops; with
 * give_back, hands the hidden ops back behind the next real ones (the
 * engine dequeues into an array of ESP_CRYPTO_BURST). */
static uint16_t deq_cb(uint16_t dev_id, uint16_t qp_id, struct rte_crypto_op **ops,
		       uint16_t nb_ops, void *arg)
{
	(void)dev_id, (void)qp_id, (void)arg;
	if (keep_ops) {
		for (uint16_t i = 0; i < nb_ops && n_kept < N(kept); i++)
			kept[n_kept++] = ops[i];
		return 0;
	}
	if (give_back && nb_ops > 0) {
		for (unsigned i = 0; i < n_kept; i++)
			ops[nb_ops + i] = kept[i];
		nb_ops = (uint16_t)(nb_ops + n_kept);
		n_kept = 0;
		give_back = false;
	}
	return nb_ops;
}

static void t_timeout(void)
{
	const struct kat_src *src[32];
	size_t n = gcm_require(src);
	struct kat *k = kats_load(src, n);
	unsigned ops_free = rte_mempool_avail_count(op_pool);
	struct rte_cryptodev_cb *cb;
	struct pkt p[2];

	cb = rte_cryptodev_add_deq_callback((uint8_t)cur->id, 0, deq_cb, NULL);
	cr_assert_not_null(cb, "rte_cryptodev_add_deq_callback");
	keep_ops = true;
	pkt_prepare(&p[0], &k[1], true);
	esp_crypto_run(cur->eng, &p[0].op, 1);
	cr_expect_eq(p[0].op.status, -EIO, "%s: kept op: status %d", cur->name, p[0].op.status);
	cr_expect_eq(n_kept, 1u);

	/* The late op comes back during the next burst: ignored there. */
	keep_ops = false;
	give_back = true;
	pkt_prepare(&p[1], &k[1], true);
	esp_crypto_run(cur->eng, &p[1].op, 1);
	pkt_expect_ok(&p[1], &k[1]);
	cr_expect_eq(n_kept, 0u);
	cr_expect_eq(rte_mempool_avail_count(op_pool), ops_free, "%s: ops leaked", cur->name);
	rte_cryptodev_remove_deq_callback((uint8_t)cur->id, 0, cb);
	pkt_free(&p[0]);
	pkt_free(&p[1]);
	kats_free(k, n);
}

static void t_engine(void)
{
	struct rte_mempool *bare;

	cr_expect_str_eq(esp_engine_kind(cur->eng), "cryptodev");
	cr_expect_str_eq(esp_engine_arch(cur->eng), cur->name);
	cr_expect_null(esp_engine_create_cryptodev((uint8_t)cur->id, 1, op_pool, cur->sess_pool),
		       "queue pair 1 was not set up");
	cr_expect_null(esp_engine_create_cryptodev((uint8_t)cur->id, 0, op_pool, NULL));
	bare = rte_crypto_op_pool_create("bare", RTE_CRYPTO_OP_TYPE_SYMMETRIC, 64, 0, 0,
					 (int)rte_socket_id());
	cr_assert_not_null(bare);
	cr_expect_null(esp_engine_create_cryptodev((uint8_t)cur->id, 0, bare, cur->sess_pool),
		       "an op pool without private space");
	rte_mempool_free(bare);
}

/* ---- The same tests on each device ---- */

#define DEVICE_TESTS(dev, idx)                                                          \
	TestSuite(dev, .init = setup, .fini = teardown);                                \
	Test(dev, engine) { dev_up(idx); t_engine(); }                                  \
	Test(dev, gcm_encrypt) { dev_up(idx); run_family(F_GCM, true); }                \
	Test(dev, gcm_decrypt) { dev_up(idx); run_family(F_GCM, false); }               \
	Test(dev, gcm_tamper) { dev_up(idx); tamper_family(F_GCM); }                    \
	Test(dev, chacha_encrypt) { dev_up(idx); run_family(F_CHACHA, true); }          \
	Test(dev, chacha_decrypt) { dev_up(idx); run_family(F_CHACHA, false); }         \
	Test(dev, chacha_tamper) { dev_up(idx); tamper_family(F_CHACHA); }              \
	Test(dev, cbc_encrypt) { dev_up(idx); run_family(F_CBC, true); }                \
	Test(dev, cbc_decrypt) { dev_up(idx); run_family(F_CBC, false); }               \
	Test(dev, cbc_tamper) { dev_up(idx); tamper_family(F_CBC); }                    \
	Test(dev, hmac_encrypt) { dev_up(idx); run_family(F_HMAC, true); }              \
	Test(dev, hmac_verify) { dev_up(idx); run_family(F_HMAC, false); }              \
	Test(dev, hmac_tamper) { dev_up(idx); tamper_family(F_HMAC); }                  \
	Test(dev, esn_layout) { dev_up(idx); t_esn(); }                                 \
	Test(dev, mixed_burst_64) { dev_up(idx); burst_run_check(burst_build(64), 64); } \
	Test(dev, long_burst_chunked) { dev_up(idx); burst_run_check(burst_build(150), 150); } \
	Test(dev, bad_ops_in_burst) { dev_up(idx); t_bad_ops(); }                       \
	Test(dev, sessions_freed) { dev_up(idx); t_sessions_freed(); }                  \
	Test(dev, keying_follows_offer) { dev_up(idx); t_keying_follows_offer(); }      \
	Test(dev, timeout_no_hang) { dev_up(idx); t_timeout(); }

DEVICE_TESTS(aesni_gcm, 0)
DEVICE_TESTS(aesni_mb, 1)
DEVICE_TESTS(openssl, 2)
