/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the data plane's inbound path, one worker fed
 * mbufs directly (tests/unit/dp_fixture.c: EAL without hugepages,
 * net_ring ports that are never polled): classify and punt, ESP and
 * ESP-in-UDP (port 4500, the non-ESP marker, keepalives, UDP lengths),
 * the SPI lookup, the replay window, decryption and its checks, and
 * the inner packet's policy check, with six inbound SAs of different
 * kinds (fuzz_sas below). Each input starts from fresh replay windows
 * and must leave every mbuf back in its pool: what was sent or punted
 * is taken from the port and punt rings and freed; one missing is a
 * leak, and the target aborts.
 *
 * An input is a series of records: a control byte, a 2-byte length,
 * that many bytes. The control byte's low 2 bits say what the bytes are:
 *   0  a whole Ethernet frame received on the unprotected port;
 *   1  a whole Ethernet frame received on the protected port;
 *   2  8 bytes of sequence number (64 bits, the high half only in the
 *      ICV, as ESN has it), a next header byte, an inner packet: the
 *      harness pads it (RFC 4303 §2.4), encrypts it with the SA's keys,
 *      computes a valid ICV and frames it as the SA's peer would send it,
 *      so that the replay window, the padding, decapsulation and the
 *      inner policy check are reached;
 *   3  the same with the plaintext's trailer (padding, pad length, next
 *      header) the fuzzer's own, zero-filled to the cipher's block.
 * Bits 2-4 pick the SA for 2 and 3 (modulo the number of SAs); bit 5
 * ends the burst before the record (records otherwise gather into
 * bursts of up to 32 frames of one port, as rte_eth_rx_burst gives them).
 *
 * Built with -Dfuzz=true (clang, -fsanitize=fuzzer); the normal build
 * links it with tests/fuzz/replay.c, which feeds it the corpus.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rte_mempool.h>

#include "byteorder.h"
#include "cksum.h"
#include "cursor.h"
#include "dp_fixture.h"
#include "esp.h"

#define LAN 0
#define WAN 1
#define SEAL_BODY_MAX 1400 /* inner packets that fit the frame */

struct fuzz_sa {
	const char *name;
	enum esp_enc enc;
	uint8_t key;
	enum esp_integ integ;
	uint8_t ikey;
	enum esp_mode mode;
	bool v6, esn, encap;
	uint32_t window;
};

/* Inbound, from the peer 203.0.113.2 / 2001:db8:f::2 to the box. */
static const struct fuzz_sa fuzz_sas[] = {
	{ "gcm-tunnel", ESP_ENC_AES_GCM16, 16, ESP_INTEG_NONE, 0, ESP_MODE_TUNNEL,
	  false, false, false, 64 },
	{ "cbc-sha256-tunnel6-esn", ESP_ENC_AES_CBC, 16, ESP_INTEG_HMAC_SHA256_128, 32,
	  ESP_MODE_TUNNEL, true, true, false, 1024 },
	{ "cbc-sha1-transport", ESP_ENC_AES_CBC, 32, ESP_INTEG_HMAC_SHA1_96, 20,
	  ESP_MODE_TRANSPORT, false, false, false, 64 },
	{ "gcm256-natt-tunnel", ESP_ENC_AES_GCM16, 32, ESP_INTEG_NONE, 0, ESP_MODE_TUNNEL,
	  false, false, true, 128 },
	{ "chacha-natt-transport", ESP_ENC_CHACHA20_POLY1305, 32, ESP_INTEG_NONE, 0,
	  ESP_MODE_TRANSPORT, false, false, true, 0 },
	{ "null-sha512-tunnel6", ESP_ENC_NULL, 0, ESP_INTEG_HMAC_SHA512_256, 64,
	  ESP_MODE_TUNNEL, true, false, false, 64 },
};
#define N_SAS (sizeof(fuzz_sas) / sizeof(fuzz_sas[0]))

static struct esp_sa_conf confs[N_SAS];
static struct esp_sa *sas[N_SAS];
static bool verbose;
/* The engines, where LeakSanitizer sees them (it does not scan DPDK's
 * memory, where the fixture keeps the worker's). */
static struct esp_engine *ctl_engine, *worker_engine;

static struct esp_sa_conf conf_of(const struct fuzz_sa *f, uint32_t spi)
{
	struct esp_sa_conf c = {
		.spi = spi, .dir = ESP_DIR_IN, .mode = f->mode,
		.src = fx_addr(f->v6 ? "2001:db8:f::2" : "203.0.113.2"),
		.dst = fx_addr(f->v6 ? "2001:db8:f::1" : "203.0.113.1"),
		.algo = { .enc = f->enc, .enc_key_len = f->key, .integ = f->integ,
			  .integ_key_len = f->ikey },
		.ts = { .sport_hi = 65535, .dport_hi = 65535 },
		.replay_window = f->window, .esn = f->esn, .udp_encap = f->encap,
		.encap_sport = 4500, .encap_dport = 4500, .owner = 0,
	};

	snprintf(c.name, sizeof(c.name), "%s", f->name);
	if (f->mode == ESP_MODE_TRANSPORT) {
		c.ts.src = fx_prefix("203.0.113.2/32");
		c.ts.dst = fx_prefix("203.0.113.1/32");
	} else {
		c.ts.src = fx_prefix(f->v6 ? "2001:db8:3::/64" : "198.18.3.0/24");
		c.ts.dst = fx_prefix(f->v6 ? "2001:db8:1::/64" : "198.18.1.0/24");
	}
	for (unsigned i = 0; i < sizeof(c.algo.enc_key); i++)
		c.algo.enc_key[i] = (uint8_t)(spi + 3 * i);
	for (unsigned i = 0; i < sizeof(c.algo.integ_key); i++)
		c.algo.integ_key[i] = (uint8_t)(0x80 + spi + i);
	memcpy(c.algo.salt, "\xca\xfe\xba\xbe", 4);
	return c;
}

/* At exit the SAs and engines go back: they are pointed to only from
 * DPDK's memory, which LeakSanitizer does not scan. */
static void fuzz_down(void)
{
	fx_dp_down();
	esp_engine_free(ctl_engine);
	ctl_engine = NULL;
}

static void fuzz_up(void)
{
	fx_eal_up("fuzz_esp_inbound", "0");
	fx_dp_up(1, true);
	atexit(fuzz_down);
	worker_engine = fx_dp.workers[0].w_engine;
	ctl_engine = esp_engine_create();
	if (!ctl_engine)
		abort();
	for (unsigned i = 0; i < N_SAS; i++) {
		int id;

		confs[i] = conf_of(&fuzz_sas[i], 0x1000 + i);
		id = esp_sa_add(fx_dp.sadb, ctl_engine, &confs[i]);
		if (id < 0)
			abort();
		sas[i] = esp_sa_by_id(fx_dp.sadb, (uint32_t)id);
	}
}

/* ---- sealing: ESP as the SA's peer would send it ---- */

struct seal {
	const struct esp_sa_conf *c;
	uint64_t seq;
	uint8_t esp[2048]; /* header, IV, ciphertext, ICV */
	size_t len;
};

static void aead_seal(struct seal *s, const uint8_t *iv, uint8_t *text, size_t n)
{
	const struct esp_algo *a = &s->c->algo;
	const EVP_CIPHER *cipher = a->enc == ESP_ENC_CHACHA20_POLY1305 ? EVP_chacha20_poly1305()
			: a->enc_key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	uint8_t nonce[12], aad[12];
	size_t aad_len = 8;
	int out;

	memcpy(nonce, a->salt, 4);
	memcpy(nonce + 4, iv, 8);
	/* RFC 4106 §5, RFC 7634 §2.1: SPI, then the 64-bit number with ESN */
	memcpy(aad, s->esp, 4);
	if (s->c->esn) {
		be32_put(aad + 4, (uint32_t)(s->seq >> 32));
		aad_len = 12;
	}
	be32_put(aad + aad_len - 4, (uint32_t)s->seq);
	if (!x || !EVP_EncryptInit_ex(x, cipher, NULL, a->enc_key, nonce) ||
	    !EVP_EncryptUpdate(x, NULL, &out, aad, (int)aad_len) ||
	    !EVP_EncryptUpdate(x, text, &out, text, (int)n) ||
	    !EVP_EncryptFinal_ex(x, text + n, &out) ||
	    !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, text + n))
		abort();
	EVP_CIPHER_CTX_free(x);
	s->len += n + 16;
}

static const EVP_MD *integ_md(enum esp_integ i)
{
	return i == ESP_INTEG_HMAC_SHA1_96 ? EVP_sha1()
	     : i == ESP_INTEG_HMAC_SHA256_128 ? EVP_sha256()
	     : i == ESP_INTEG_HMAC_SHA384_192 ? EVP_sha384() : EVP_sha512();
}

/* RFC 3602 (CBC) or RFC 2410 (NULL), then the HMAC over header, IV and
 * ciphertext, and the high half of the number with ESN (RFC 4303 §2.2.1). */
static void cbc_hmac_seal(struct seal *s, const uint8_t *iv, uint8_t *text, size_t n)
{
	const struct esp_algo *a = &s->c->algo;
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0;
	size_t icv = esp_algo_icv_len(a);
	int out;

	if (a->enc == ESP_ENC_AES_CBC) {
		EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();

		if (!x || !EVP_EncryptInit_ex(x, a->enc_key_len == 16 ? EVP_aes_128_cbc()
					      : EVP_aes_256_cbc(), NULL, a->enc_key, iv) ||
		    !EVP_CIPHER_CTX_set_padding(x, 0) ||
		    !EVP_EncryptUpdate(x, text, &out, text, (int)n))
			abort();
		EVP_CIPHER_CTX_free(x);
	}
	s->len += n;
	if (s->c->esn) /* appended for the ICV only, then overwritten by it */
		be32_put(s->esp + s->len, (uint32_t)(s->seq >> 32));
	if (!HMAC(integ_md(a->integ), a->integ_key, a->integ_key_len, s->esp,
		  s->len + (s->c->esn ? 4 : 0), mac, &mac_len))
		abort();
	memcpy(s->esp + s->len, mac, icv);
	s->len += icv;
}

/* The ESP packet of plaintext p (n bytes), padded to the block with
 * the RFC 4303 §2.4 pattern and given its trailer when nh >= 0, else
 * zero-filled to the block. */
static void seal(struct seal *s, const uint8_t *p, size_t n, int nh)
{
	const struct esp_algo *a = &s->c->algo;
	size_t block = esp_algo_block_len(a), iv_len = esp_algo_iv_len(a);
	size_t total = nh >= 0 ? (n + 2 + block - 1) / block * block
			       : (n + block - 1) / block * block;
	uint8_t *iv = s->esp + 8, *text = iv + iv_len;

	be32_put(s->esp, s->c->spi);
	be32_put(s->esp + 4, (uint32_t)s->seq);
	be64_put(iv, s->seq); /* a counter IV (RFC 4106 §3.1) */
	if (iv_len == 16)
		be64_put(iv + 8, ~s->seq);
	memcpy(text, p, n);
	memset(text + n, 0, total - n);
	if (nh >= 0) {
		uint8_t pad = (uint8_t)(total - n - 2);

		for (uint8_t i = 0; i < pad; i++)
			text[n + i] = (uint8_t)(i + 1);
		text[total - 2] = pad;
		text[total - 1] = (uint8_t)nh;
	}
	s->len = 8 + iv_len;
	if (esp_algo_is_aead(a))
		aead_seal(s, iv, text, total);
	else
		cbc_hmac_seal(s, iv, text, total);
}

/* Ethernet, outer IP (and UDP for NAT-T) around the sealed packet. */
static size_t frame_sealed(const struct seal *s, uint8_t *f)
{
	const struct esp_sa_conf *c = s->c;
	bool v6 = c->dst.family == AF_INET6;
	size_t hl = v6 ? 40 : 20, udp = c->udp_encap ? 8 : 0;
	size_t l4 = udp + s->len;
	uint8_t *l3 = f + 14;

	memcpy(f, FX_MAC_WAN, 6);
	memcpy(f + 6, FX_MAC_PEER, 6);
	be16_put(f + 12, v6 ? 0x86dd : 0x0800);
	memset(l3, 0, hl + udp);
	if (v6) {
		l3[0] = 0x60;
		be16_put(l3 + 4, (uint16_t)l4);
		l3[6] = udp ? 17 : 50;
		l3[7] = 64;
		memcpy(l3 + 8, c->src.bytes, 16);
		memcpy(l3 + 24, c->dst.bytes, 16);
	} else {
		l3[0] = 0x45;
		be16_put(l3 + 2, (uint16_t)(20 + l4));
		l3[8] = 64;
		l3[9] = udp ? 17 : 50;
		memcpy(l3 + 12, c->src.bytes, 4);
		memcpy(l3 + 16, c->dst.bytes, 4);
		dp_ipv4_hdr_cksum_set(l3);
	}
	if (udp) {
		be16_put(l3 + hl, c->encap_sport);
		be16_put(l3 + hl + 2, c->encap_dport);
		be16_put(l3 + hl + 4, (uint16_t)l4);
	}
	memcpy(l3 + hl + udp, s->esp, s->len);
	return 14 + hl + l4;
}

/* The frame a record of kind 2 or 3 stands for; 0: none. */
static size_t sealed_frame(uint8_t ctl, struct cursor body, uint8_t *f)
{
	static struct seal s;
	uint8_t nh = 0;

	s.c = &confs[(ctl >> 2 & 7) % N_SAS];
	if (!cursor_be64(&body, &s.seq) || ((ctl & 3) == 2 && !cursor_u8(&body, &nh)) ||
	    body.left > SEAL_BODY_MAX)
		return 0;
	seal(&s, body.p, body.left, (ctl & 3) == 2 ? nh : -1);
	return frame_sealed(&s, f);
}

/* ---- bursts, and where every mbuf ends ---- */

struct burst {
	struct rte_mbuf *mb[DP_BURST];
	uint16_t n;
	unsigned port;
};

static void burst_run(struct burst *b)
{
	if (b->n)
		dp_worker_input(&fx_dp, &fx_dp.workers[0], b->port, b->mb, b->n);
	dp_worker_flush(&fx_dp, &fx_dp.workers[0]);
	b->n = 0;
}

static void burst_add(struct burst *b, unsigned port, bool cut, const uint8_t *f,
		      size_t len)
{
	struct rte_mbuf *m;

	if (b->n && (cut || b->port != port || b->n == DP_BURST))
		burst_run(b);
	m = rte_pktmbuf_alloc(fx_dp.pool);
	if (!m || !rte_pktmbuf_append(m, (uint16_t)len))
		abort();
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), f, len);
	m->port = fx_dp.ports[port].pt_if.port;
	b->mb[b->n++] = m;
	b->port = port;
}

static void ring_free(struct rte_ring *r, bool mbufs)
{
	void *p;

	while (rte_ring_dequeue(r, &p) == 0)
		if (mbufs)
			rte_pktmbuf_free(p);
}

/* Everything the worker sent or handed on, freed; then nothing may be
 * left out of the pools. */
static void drain_and_count(unsigned base, unsigned base_indirect)
{
	for (unsigned p = 0; p < 2; p++)
		for (unsigned q = 0; q < FX_QUEUES; q++)
			ring_free(fx_ports[p].tx[q], true);
	ring_free(fx_dp.punt, true);
	ring_free(fx_dp.workers[0].w_handoff, true);
	ring_free(fx_dp.events, false);
	if (rte_mempool_in_use_count(fx_dp.pool) != base ||
	    rte_mempool_in_use_count(fx_dp.pool_indirect) != base_indirect) {
		fprintf(stderr, "mbuf leak: %u in use, %u before; indirect %u, %u before\n",
			rte_mempool_in_use_count(fx_dp.pool), base,
			rte_mempool_in_use_count(fx_dp.pool_indirect), base_indirect);
		abort();
	}
}

/* FUZZ_ESP_VERBOSE=1: what each input did, to see which seeds reach
 * what (the worker's counters are cumulative). */
static void report(void)
{
	const uint64_t *cnt = fx_dp.workers[0].w_cnt;

	fprintf(stderr, "esp_in %lu unknown_spi %lu punted %lu bad_udp_len %lu natt_keepalive %lu\n",
		cnt[DP_W_esp_in], cnt[DP_W_unknown_spi], cnt[DP_W_punted],
		cnt[DP_W_bad_udp_len], cnt[DP_W_natt_keepalive]);
	for (unsigned i = 0; i < N_SAS; i++) {
		fprintf(stderr, "  %-24s packets %lu", confs[i].name, sas[i]->sa_st.st_packets);
		for (unsigned d = 0; d < ESP_DROP_MAX; d++)
			if (sas[i]->sa_st.st_drops[d])
				fprintf(stderr, " %s %lu", esp_sa_drop_names[d],
					sas[i]->sa_st.st_drops[d]);
		fputc('\n', stderr);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[2048];
	struct cursor c = cursor_make(data, size), rec;
	struct burst b = { .n = 0 };
	unsigned base, base_indirect;
	uint16_t len;
	uint8_t ctl;

	if (!fx_dp.pool) {
		fuzz_up();
		verbose = getenv("FUZZ_ESP_VERBOSE") != NULL;
	}
	for (unsigned i = 0; i < N_SAS; i++)
		if (esp_sa_replay(sas[i]))
			esp_replay_init(esp_sa_replay(sas[i]), esp_sa_replay(sas[i])->rp_size,
					esp_sa_replay(sas[i])->rp_esn);
	base = rte_mempool_in_use_count(fx_dp.pool);
	base_indirect = rte_mempool_in_use_count(fx_dp.pool_indirect);
	while (cursor_u8(&c, &ctl) && cursor_be16(&c, &len) && cursor_sub(&c, len, &rec)) {
		size_t n;

		if ((ctl & 3) >= 2) {
			n = sealed_frame(ctl, rec, frame);
			if (n)
				burst_add(&b, WAN, ctl & 0x20, frame, n);
		} else if (rec.left <= sizeof(frame)) {
			burst_add(&b, (ctl & 3) == 0 ? WAN : LAN, ctl & 0x20, rec.p, rec.left);
		}
	}
	burst_run(&b);
	drain_and_count(base, base_indirect);
	if (verbose)
		report();
	return 0;
}
