/* SPDX-License-Identifier: BSD-3-Clause */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto_vectors.h"
#include "esp_crypto.h"

/* Known answers for the ESP crypto engine: vectors in crypto_vectors.h. */

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_TEXT 128

static struct esp_engine *eng;

static void setup(void)
{
	eng = esp_engine_create();
	cr_assert_not_null(eng, "esp_engine_create");
}

static void teardown(void)
{
	esp_engine_free(eng);
	eng = NULL;
}

TestSuite(crypto, .init = setup, .fini = teardown);

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

/* ---- A vector, loaded, and one packet built from it ---- */

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

/* One ESP packet: [hdr][iv][text][icv] for CBC/NULL, text alone for AEAD. */
struct pkt {
	uint8_t buf[8 + 16 + MAX_TEXT + ESP_MAX_ICV];
	uint8_t icv[ESP_MAX_ICV];
	uint8_t iv[16];
	struct esp_crypto_op op;
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

static void kat_load(struct kat *k, const struct kat_src *s)
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
	cr_assert_eq(esp_keys_init(eng, &k->keys, &k->a), 0, "%s: esp_keys_init", s->name);
	if (s->icv != NULL)
		k->icv_len = unhex(s->icv, k->icv, ESP_MAX_ICV);
	else
		kat_openssl_icv(k);
	cr_assert_eq(k->icv_len, esp_algo_icv_len(&k->a), "%s: icv length", s->name);
}

static struct kat *kats_load(const struct kat_src *src, size_t n)
{
	struct kat *k = calloc(n, sizeof(*k));

	cr_assert_not_null(k);
	for (size_t i = 0; i < n; i++)
		kat_load(&k[i], &src[i]);
	return k;
}

static void kats_free(struct kat *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		esp_keys_wipe(&k[i].keys);
	free(k);
}

/* Sets up p for k: plaintext to encrypt, or ciphertext and ICV to check. */
static void pkt_prepare(struct pkt *p, const struct kat *k, bool encrypt)
{
	struct esp_crypto_op *op = &p->op;
	uint8_t *text;

	memset(p, 0, sizeof(*p));
	op->keys = &k->keys;
	op->encrypt = encrypt;
	op->status = 1; /* must be overwritten */
	op->icv = p->icv;
	if (!encrypt)
		memcpy(p->icv, k->icv, k->icv_len);
	if (esp_algo_is_aead(&k->a)) {
		memcpy(p->iv, k->iv, k->iv_len);
		op->iv = p->iv;
		op->aad = k->aad_len ? k->aad : NULL;
		op->aad_len = (uint8_t)k->aad_len;
		text = p->buf;
	} else {
		memcpy(p->buf, k->hdr, k->hdr_len);
		memcpy(p->buf + k->hdr_len, k->iv, k->iv_len);
		op->iv = k->iv_len ? p->buf + k->hdr_len : NULL;
		text = p->buf + k->hdr_len + k->iv_len;
		op->auth = p->buf;
		op->auth_len = (uint32_t)(k->hdr_len + k->iv_len + k->len);
	}
	memcpy(text, encrypt ? k->pt : k->ct, k->len);
	op->text = text;
	op->text_len = (uint32_t)k->len;
}

/* Status 0 and the expected text and ICV. */
static void pkt_expect_ok(const struct pkt *p, const struct kat *k)
{
	const struct esp_crypto_op *op = &p->op;
	const char *dir = op->encrypt ? "encrypt" : "decrypt";

	cr_expect_eq(op->status, 0, "%s %s: status %d", k->name, dir, op->status);
	cr_expect_arr_eq(op->text, op->encrypt ? k->ct : k->pt, k->len,
			 "%s %s: text", k->name, dir);
	if (op->encrypt)
		cr_expect_arr_eq(p->icv, k->icv, k->icv_len, "%s: icv", k->name);
	if (!esp_algo_is_aead(&k->a))
		cr_expect_arr_eq(p->buf, k->hdr, k->hdr_len, "%s: hdr", k->name);
}

static void run_kats(const struct kat_src *src, size_t n, bool encrypt)
{
	struct kat *k = kats_load(src, n);
	struct pkt p;

	for (size_t i = 0; i < n; i++) {
		pkt_prepare(&p, &k[i], encrypt);
		esp_crypto_run(eng, &p.op, 1);
		pkt_expect_ok(&p, &k[i]);
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
		p.icv[k->icv_len - 1] ^= 0x01;
	else if (t == T_TEXT)
		p.op.text[k->len / 2] ^= 0x80;
	else if (t == T_AAD) {
		memcpy(aad, k->aad, k->aad_len);
		aad[0] ^= 0x01;
		p.op.aad = aad;
	} else
		p.buf[0] ^= 0x01;
	esp_crypto_run(eng, &p.op, 1);
	cr_expect_eq(p.op.status, -EBADMSG, "%s, flipped %s: status %d", k->name,
		     what[t], p.op.status);
}

/* ---- Engine ---- */

Test(crypto, engine_arch)
{
	const char *arch = esp_engine_arch(eng);

	cr_assert_not_null(arch);
	cr_expect_str_neq(arch, "none");
	cr_log_info("IPsec-MB arch: %s", arch);
}

/* ---- AEAD ---- */

Test(crypto, aead_encrypt)
{
	run_kats(aead_src, N(aead_src), true);
}

Test(crypto, aead_decrypt)
{
	run_kats(aead_src, N(aead_src), false);
}

Test(crypto, aead_tamper)
{
	struct kat *k = kats_load(aead_src, N(aead_src));

	for (size_t i = 0; i < N(aead_src); i++) {
		expect_badmsg(&k[i], T_ICV);
		expect_badmsg(&k[i], T_TEXT);
		if (k[i].aad_len != 0)
			expect_badmsg(&k[i], T_AAD);
	}
	kats_free(k, N(aead_src));
}

/* ---- AES-CBC with HMAC ---- */

Test(crypto, cbc_encrypt)
{
	run_kats(cbc_src, N(cbc_src), true);
}

Test(crypto, cbc_decrypt)
{
	run_kats(cbc_src, N(cbc_src), false);
}

Test(crypto, cbc_tamper)
{
	struct kat *k = kats_load(cbc_src, N(cbc_src));

	for (size_t i = 0; i < N(cbc_src); i++) {
		expect_badmsg(&k[i], T_ICV);
		expect_badmsg(&k[i], T_TEXT);
		expect_badmsg(&k[i], T_HDR);
	}
	kats_free(k, N(cbc_src));
}

/* ---- NULL with HMAC ---- */

Test(crypto, hmac_encrypt)
{
	run_kats(hmac_src, N(hmac_src), true);
}

Test(crypto, hmac_verify)
{
	struct kat *k = kats_load(hmac_src, N(hmac_src));

	run_kats(hmac_src, N(hmac_src), false);
	for (size_t i = 0; i < N(hmac_src); i++) {
		expect_badmsg(&k[i], T_ICV);
		expect_badmsg(&k[i], T_TEXT);
	}
	kats_free(k, N(hmac_src));
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
	esp_crypto_run(eng, &p.op, 1);
	cr_expect_eq(p.op.status, 0, "esn %zu encrypt", c);
	cr_expect_arr_eq(p.op.text, k->ct, k->len, "esn %zu ciphertext", c);
	cr_expect_arr_eq(p.buf + end, want, icv_len, "esn %zu icv", c);
	cr_expect_eq(p.buf[end + icv_len], 0, "esn %zu wrote past the icv", c);

	/* Receiver: save the ICV, put seq-hi where it was, verify, decrypt. */
	memcpy(rx_icv, p.buf + end, icv_len);
	memcpy(p.buf + end, seq_hi, sizeof(seq_hi));
	p.op.encrypt = false;
	p.op.icv = rx_icv;
	p.op.status = 1;
	esp_crypto_run(eng, &p.op, 1);
	cr_expect_eq(p.op.status, 0, "esn %zu decrypt", c);
	cr_expect_arr_eq(p.op.text, k->pt, k->len, "esn %zu plaintext", c);

	/* The wrong seq-hi must fail. */
	memcpy(p.op.text, k->ct, k->len);
	p.buf[end + 3] = 2;
	esp_crypto_run(eng, &p.op, 1);
	cr_expect_eq(p.op.status, -EBADMSG, "esn %zu wrong seq-hi", c);
}

Test(crypto, esn_layout)
{
	for (size_t c = 0; c < N(esn_cases); c++) {
		struct kat_src s = cbc_src[1]; /* RFC 3602 case 2 */
		struct kat k;

		s.integ = esn_cases[c].integ;
		s.ikey = esn_cases[c].ikey;
		kat_load(&k, &s);
		esn_case(&k, c);
		esp_keys_wipe(&k.keys);
	}
}

/* ---- Bursts ---- */

struct burst {
	struct kat *k;
	size_t nk;
	struct pkt p[160];
	bool tampered[160];
};

static struct burst *burst_build(unsigned n)
{
	struct burst *b = calloc(1, sizeof(*b));
	size_t na = N(aead_src), nc = N(cbc_src), nh = N(hmac_src);

	cr_assert_not_null(b);
	cr_assert(n <= N(b->p));
	b->nk = na + nc + nh;
	b->k = calloc(b->nk, sizeof(*b->k));
	cr_assert_not_null(b->k);
	for (size_t i = 0; i < b->nk; i++)
		kat_load(&b->k[i], i < na ? &aead_src[i] : i < na + nc ?
			 &cbc_src[i - na] : &hmac_src[i - na - nc]);
	/* Every SA, both directions, one bad ICV in seven. */
	for (unsigned i = 0; i < n; i++) {
		const struct kat *k = &b->k[i % b->nk];

		pkt_prepare(&b->p[i], k, (i / b->nk) % 2 == 0);
		b->tampered[i] = !b->p[i].op.encrypt && i % 7 == 3;
		if (b->tampered[i])
			b->p[i].icv[0] ^= 0x40;
	}
	return b;
}

static void burst_run_check(struct burst *b, unsigned n)
{
	struct esp_crypto_op ops[160];

	for (unsigned i = 0; i < n; i++)
		ops[i] = b->p[i].op;
	esp_crypto_run(eng, ops, n);
	for (unsigned i = 0; i < n; i++) {
		b->p[i].op.status = ops[i].status;
		if (b->tampered[i])
			cr_expect_eq(ops[i].status, -EBADMSG, "op %u: status %d", i,
				     ops[i].status);
		else
			pkt_expect_ok(&b->p[i], &b->k[i % b->nk]);
	}
	kats_free(b->k, b->nk);
	free(b);
}

Test(crypto, mixed_burst_64)
{
	burst_run_check(burst_build(64), 64);
}

Test(crypto, long_burst_chunked)
{
	burst_run_check(burst_build(150), 150);
}

Test(crypto, bad_ops_in_burst)
{
	struct kat *k = kats_load(cbc_src, 2);
	struct esp_crypto_op ops[5];
	struct esp_keys wiped;
	struct pkt p[5];

	for (unsigned i = 0; i < N(p); i++)
		pkt_prepare(&p[i], &k[i % 2], true);
	p[1].op.keys = NULL;
	cr_assert_eq(esp_keys_init(eng, &wiped, &k[0].a), 0);
	esp_keys_wipe(&wiped);
	p[2].op.keys = &wiped;
	p[3].op.text_len -= 1; /* not a multiple of the AES block */
	for (unsigned i = 0; i < N(p); i++)
		ops[i] = p[i].op;
	esp_crypto_run(eng, ops, N(ops));
	cr_expect_eq(ops[1].status, -EINVAL);
	cr_expect_eq(ops[2].status, -EINVAL);
	cr_expect_eq(ops[3].status, -EINVAL);
	p[0].op.status = ops[0].status;
	p[4].op.status = ops[4].status;
	pkt_expect_ok(&p[0], &k[0]);
	pkt_expect_ok(&p[4], &k[0]);
	kats_free(k, 2);
}

/* ---- Algorithm checks ---- */

static struct esp_algo algo(enum esp_enc enc, uint8_t ekl, enum esp_integ integ,
			    uint8_t ikl)
{
	struct esp_algo a = { .enc = enc, .enc_key_len = ekl, .integ = integ,
			      .integ_key_len = ikl };

	memset(a.enc_key, 0x11, sizeof(a.enc_key));
	memset(a.integ_key, 0x22, sizeof(a.integ_key));
	return a;
}

static const struct {
	const char *why;
	enum esp_enc enc;
	uint8_t ekl;
	enum esp_integ integ;
	uint8_t ikl;
} algo_bad[] = {
	{ "GCM + HMAC", ESP_ENC_AES_GCM16, 16, ESP_INTEG_HMAC_SHA256_128, 32 },
	{ "ChaCha + HMAC", ESP_ENC_CHACHA20_POLY1305, 32, ESP_INTEG_HMAC_SHA1_96, 20 },
	{ "GCM with an integ key", ESP_ENC_AES_GCM16, 16, ESP_INTEG_NONE, 20 },
	{ "NULL + NONE", ESP_ENC_NULL, 0, ESP_INTEG_NONE, 0 },
	{ "CBC + NONE", ESP_ENC_AES_CBC, 16, ESP_INTEG_NONE, 0 },
	{ "CBC AES-192 (unsupported)", ESP_ENC_AES_CBC, 24, ESP_INTEG_HMAC_SHA256_128, 32 },
	{ "GCM AES-192 (unsupported)", ESP_ENC_AES_GCM16, 24, ESP_INTEG_NONE, 0 },
	{ "CBC key 0", ESP_ENC_AES_CBC, 0, ESP_INTEG_HMAC_SHA256_128, 32 },
	{ "ChaCha key 16", ESP_ENC_CHACHA20_POLY1305, 16, ESP_INTEG_NONE, 0 },
	{ "NULL with a key", ESP_ENC_NULL, 16, ESP_INTEG_HMAC_SHA256_128, 32 },
	{ "SHA1 key 16", ESP_ENC_AES_CBC, 16, ESP_INTEG_HMAC_SHA1_96, 16 },
	{ "SHA256 key 20", ESP_ENC_AES_CBC, 16, ESP_INTEG_HMAC_SHA256_128, 20 },
	{ "SHA384 key 32", ESP_ENC_AES_CBC, 32, ESP_INTEG_HMAC_SHA384_192, 32 },
	{ "SHA512 key 48", ESP_ENC_NULL, 0, ESP_INTEG_HMAC_SHA512_256, 48 },
	{ "enc out of range", (enum esp_enc)9, 16, ESP_INTEG_HMAC_SHA1_96, 20 },
	{ "integ out of range", ESP_ENC_AES_CBC, 16, (enum esp_integ)9, 20 },
};

Test(crypto, algo_check_rejects)
{
	for (size_t i = 0; i < N(algo_bad); i++) {
		struct esp_algo a = algo(algo_bad[i].enc, algo_bad[i].ekl,
					 algo_bad[i].integ, algo_bad[i].ikl);
		struct esp_keys k;

		memset(&k, 0x5a, sizeof(k));
		cr_expect_eq(esp_algo_check(&a), -EINVAL, "%s", algo_bad[i].why);
		cr_expect_eq(esp_keys_init(eng, &k, &a), -EINVAL, "%s: keys", algo_bad[i].why);
		for (size_t j = 0; j < ESP_KEYS_SIZE; j++)
			cr_assert_eq(k.k_opaque[j], 0, "%s: keys left unwiped", algo_bad[i].why);
		cr_expect_str_eq(esp_algo_name(&a), "invalid", "%s: name", algo_bad[i].why);
	}
	cr_expect_eq(esp_algo_check(NULL), -EINVAL);
}

static const struct {
	enum esp_enc enc;
	uint8_t ekl;
	enum esp_integ integ;
	uint8_t ikl;
	const char *name;
	uint8_t iv, icv, block;
} algo_good[] = {
	{ ESP_ENC_AES_GCM16, 16, ESP_INTEG_NONE, 0, "aes128gcm16", 8, 16, 4 },
	{ ESP_ENC_AES_GCM16, 32, ESP_INTEG_NONE, 0, "aes256gcm16", 8, 16, 4 },
	{ ESP_ENC_CHACHA20_POLY1305, 32, ESP_INTEG_NONE, 0, "chacha20poly1305", 8, 16, 4 },
	{ ESP_ENC_AES_CBC, 16, ESP_INTEG_HMAC_SHA1_96, 20, "aes128-sha1", 16, 12, 16 },
	{ ESP_ENC_AES_CBC, 32, ESP_INTEG_HMAC_SHA256_128, 32, "aes256-sha256", 16, 16, 16 },
	{ ESP_ENC_AES_CBC, 16, ESP_INTEG_HMAC_SHA384_192, 48, "aes128-sha384", 16, 24, 16 },
	{ ESP_ENC_AES_CBC, 32, ESP_INTEG_HMAC_SHA512_256, 64, "aes256-sha512", 16, 32, 16 },
	{ ESP_ENC_NULL, 0, ESP_INTEG_HMAC_SHA256_128, 32, "null-sha256", 0, 16, 4 },
	{ ESP_ENC_NULL, 0, ESP_INTEG_HMAC_SHA1_96, 20, "null-sha1", 0, 12, 4 },
};

Test(crypto, algo_check_accepts)
{
	for (size_t i = 0; i < N(algo_good); i++) {
		struct esp_algo a = algo(algo_good[i].enc, algo_good[i].ekl,
					 algo_good[i].integ, algo_good[i].ikl);
		const char *nm = algo_good[i].name;
		struct esp_keys k;

		cr_expect_eq(esp_algo_check(&a), 0, "%s", nm);
		cr_expect_str_eq(esp_algo_name(&a), nm);
		cr_expect_eq(esp_algo_iv_len(&a), algo_good[i].iv, "%s iv", nm);
		cr_expect_eq(esp_algo_icv_len(&a), algo_good[i].icv, "%s icv", nm);
		cr_expect_eq(esp_algo_block_len(&a), algo_good[i].block, "%s block", nm);
		cr_expect_eq(esp_algo_is_aead(&a), algo_good[i].integ == ESP_INTEG_NONE);
		cr_expect_eq(esp_keys_init(eng, &k, &a), 0, "%s keys", nm);
		esp_keys_wipe(&k);
	}
}

/* An SA allocates only esp_keys_size bytes: keying and wiping stay
 * inside them, and fewer are refused. */
Test(crypto, keys_sized)
{
	for (size_t i = 0; i < N(algo_good); i++) {
		struct esp_algo a = algo(algo_good[i].enc, algo_good[i].ekl,
					 algo_good[i].integ, algo_good[i].ikl);
		const char *nm = algo_good[i].name;
		size_t size = esp_keys_size(eng, &a);
		struct esp_keys k;

		cr_assert(size > 0 && size % 64 == 0 && size <= ESP_KEYS_SIZE, "%s: %zu", nm, size);
		memset(k.k_opaque, 0xee, sizeof(k.k_opaque));
		cr_expect_eq(esp_keys_init_sized(eng, &k, size - 64, &a), -EINVAL, "%s", nm);
		for (size_t j = 0; j < size - 64; j++)
			cr_assert_eq(k.k_opaque[j], 0, "%s: byte %zu left", nm, j);
		cr_assert_eq(esp_keys_init_sized(eng, &k, size, &a), 0, "%s", nm);
		esp_keys_wipe_sized(&k, size);
		for (size_t j = 0; j < sizeof(k.k_opaque); j++)
			cr_assert_eq(k.k_opaque[j], j < size ? 0 : 0xee, "%s: byte %zu", nm, j);
	}
	cr_expect_eq(esp_keys_size(eng, &(struct esp_algo){ .enc = ESP_ENC_AES_GCM16 }), 0);
}

/* ---- Key wiping ---- */

Test(crypto, keys_wiped)
{
	struct kat *k = kats_load(cbc_src, 1);
	bool nonzero = false;
	struct pkt p;

	for (size_t j = 0; j < ESP_KEYS_SIZE; j++)
		nonzero |= k->keys.k_opaque[j] != 0;
	cr_expect(nonzero, "expanded keys are all zero");
	esp_keys_wipe(&k->keys);
	for (size_t j = 0; j < ESP_KEYS_SIZE; j++)
		cr_assert_eq(k->keys.k_opaque[j], 0, "byte %zu not wiped", j);
	/* A wiped key is refused, not used as an all-zero key. */
	pkt_prepare(&p, k, true);
	esp_crypto_run(eng, &p.op, 1);
	cr_expect_eq(p.op.status, -EINVAL);
	free(k);
}
