/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writes the seeds of the exchange fuzz targets from real exchanges of
 * the pair (ike_pair.h): each request the initiator sends after the
 * prefix its target plays, decrypted, as one input (control byte, first
 * payload type, payloads; fuzz_ikev2_exchange.c, fuzz_ikev1_exchange.c).
 * IKEv2: IKE_AUTH, a Child SA rekey, an IKE SA rekey, a delete and an
 * empty INFORMATIONAL (liveness); IKEv1: main mode message 5,
 * aggressive mode message 3, quick mode message 1 and an informational
 * R-U-THERE (RFC 3706), HASH(1) taken off (the harness computes it);
 * a Mode Config CFG_REQUEST and an XAUTH REPLY written as such.
 *
 *   build/tests/fuzz/exchange-seeds tests/fuzz/corpus/ikev2_exchange \
 *                                   tests/fuzz/corpus/ikev1_exchange
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike_pair.h"
#include "ikev1.h"
#include "ikev2_payload.h"

static void write_seed(const char *dir, const char *name, uint8_t mode, uint8_t first,
		       const uint8_t *pl, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputc(mode, f);
	fputc(first, f);
	fwrite(pl, 1, len, f);
	fclose(f);
	printf("%s: %zu bytes\n", path, len + 2);
}

static void need(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "exchange-seeds: %s\n", what);
		exit(1);
	}
}

/* The initiator's next request, decrypted with its own keys. */
static void v2_seed(struct ike_pair *p, const char *dir, const char *name, uint8_t mode)
{
	struct pair_dgram *d = &(struct pair_dgram){ 0 };
	static uint8_t copy[PAIR_DGRAM_MAX];
	struct ike_sa *sa = pair_sa(p, 0);
	const struct ike_sk_keys *k;
	struct ike_msg m;
	struct ike_sk sk;
	uint8_t *plain;
	size_t len;

	need(sa && pair_take(p, d), name);
	k = &sa->sa_v2.v2_keys.sk_i;
	memcpy(copy, d->pd_buf, d->pd_len); /* decrypted in place */
	need(ike_msg_parse(copy, d->pd_len, &m) == 0 &&
	     ike_msg_sk_split(&m, ike_sk_iv_len(k), ike_sk_icv_len(k),
			      ike_encr_is_aead(k->sk_encr) ? 1 : 16, &sk) == 0 &&
	     ike_sk_decrypt(k, copy, d->pd_len, sk.sk_aad_len, &plain, &len) == 0,
	     name);
	write_seed(dir, name, mode, sk.sk_first, plain, len);
	pair_to_responder(p, d->pd_buf, d->pd_len); /* and on with the exchange */
	pair_settle(p, 16);
}

static void v2_seeds(const char *dir)
{
	struct ike_pair *p = &(struct ike_pair){ 0 };

	need(pair_start(p, IKE_VERSION_2, false, "aes128-sha256-x25519", "aes128gcm16"),
	     "IKEv2 pair");
	pair_settle(p, 2);
	v2_seed(p, dir, "auth", 0);
	need(ike_engine_rekey(p->p_e[0], p->p_sa_id, true, p->p_now) == 0, "child rekey");
	pair_tick(p, 500);
	v2_seed(p, dir, "rekey-child", 1);
	pair_settle(p, 16); /* the old Child SA's delete */
	need(ike_engine_rekey(p->p_e[0], p->p_sa_id, false, p->p_now) == 0, "IKE rekey");
	pair_tick(p, 500);
	v2_seed(p, dir, "rekey-ike", 1);
	write_seed(dir, "liveness", 2, 0, NULL, 0);
	pair_free(p);
	need(pair_start(p, IKE_VERSION_2, false, "aes128-sha256-x25519", "aes128gcm16"),
	     "IKEv2 pair");
	pair_settle(p, 16);
	need(ike_engine_terminate(p->p_e[0], p->p_sa_id, p->p_now) == 0, "delete");
	v2_seed(p, dir, "delete", 2);
	pair_free(p);
}

/* The initiator's next message, decrypted (phase 2: HASH(1) off). */
static void v1_seed(struct ike_pair *p, const char *dir, const char *name, uint8_t mode)
{
	struct pair_dgram *d = &(struct pair_dgram){ 0 };
	struct ike_sa *sa = pair_sa(p, 0);
	const struct ikev1_sa_state *v1;
	uint8_t iv[IKEV1_BLOCK_MAX], *body = d->pd_buf + IKEV1_HDR_LEN;
	size_t len, skip = 0;
	struct ikev1_hdr h;

	need(sa && sa->sa_v1 && pair_take(p, d) &&
	     ikev1_hdr_parse(d->pd_buf, d->pd_len, &h) == 0, name);
	v1 = sa->sa_v1;
	len = d->pd_len - IKEV1_HDR_LEN;
	if (h.h_flags & IKEV1_F_ENCRYPTION) {
		int rc = h.h_msgid
			? ikev1_iv_phase2(sa->sa_alg.ch_prf, v1->v1_p1_last, v1->v1_block,
					  h.h_msgid, iv)
			: ikev1_iv_phase1(sa->sa_alg.ch_prf, v1->v1_gxi, v1->v1_gxi_len,
					  v1->v1_gxr, v1->v1_gxr_len, iv, v1->v1_block);
		need(rc == 0 && ikev1_cbc(sa->sa_alg.ch_encr, v1->v1_enc_key, v1->v1_enc_len,
					  iv, body, len, false) == 0, name);
	}
	if (h.h_msgid) { /* HASH(1) first: the harness makes it */
		need(h.h_next == IKEV1_PL_HASH && len > IKEV1_GEN_HDR_LEN, name);
		h.h_next = body[0];
		skip = IKEV1_GEN_HDR_LEN + v1->v1_keys.k_len;
	}
	write_seed(dir, name, mode, h.h_next, body + skip, len - skip);
}

/* Mode Config's transaction exchange (mode 3 with bit 3): a client's
 * CFG_REQUEST as strongSwan's unity plugin sends it, and an XAUTH
 * REPLY (no request of the responder's: it is refused), written by
 * ikev1_w_cfg (the initiator has no Mode Config to take them from). */
static void v1_cfg_seeds(const char *dir)
{
	static const uint8_t pw[] = "wonderland", user[] = "alice";
	const struct ikev1_cfg_pl req = {
		.cp_type = IKEV1_CFG_REQUEST, .cp_id = 1, .cp_n = 6,
		.cp_attr = {
			{ .a_type = IKEV1_CA_INTERNAL_IP4_ADDRESS },
			{ .a_type = IKEV1_CA_INTERNAL_IP4_NETMASK },
			{ .a_type = IKEV1_CA_INTERNAL_IP4_DNS },
			{ .a_type = IKEV1_CA_INTERNAL_IP6_ADDRESS },
			{ .a_type = IKEV1_CA_UNITY_SPLIT_INCLUDE },
			{ .a_type = IKEV1_CA_SUPPORTED_ATTRIBUTES },
		},
	};
	const struct ikev1_cfg_pl reply = {
		.cp_type = IKEV1_CFG_REPLY, .cp_n = 2,
		.cp_attr = {
			{ .a_type = IKEV1_CA_XAUTH_USER_NAME, .a_data = user, .a_len = 5 },
			{ .a_type = IKEV1_CA_XAUTH_USER_PASSWORD, .a_data = pw, .a_len = 10 },
		},
	};
	uint8_t buf[256];
	struct ike_writer w;
	size_t n;

	ike_w_init(&w, buf, sizeof(buf));
	ikev1_w_cfg(&w, &req);
	need(ike_w_finish(&w, &n) == 0, "modecfg-request");
	write_seed(dir, "modecfg-request", 3 | 8, IKEV1_PL_ATTR, buf, n);
	ike_w_init(&w, buf, sizeof(buf));
	ikev1_w_cfg(&w, &reply);
	need(ike_w_finish(&w, &n) == 0, "xauth-reply");
	write_seed(dir, "xauth-reply", 3 | 8, IKEV1_PL_ATTR, buf, n);
}

static void v1_seeds(const char *dir)
{
	struct ike_pair *p = &(struct ike_pair){ 0 };

	need(pair_start(p, IKE_VERSION_1, false, "aes128-sha256-x25519", "aes128gcm16"),
	     "IKEv1 pair");
	for (int i = 0; i < 4; i++)
		pair_step(p);
	v1_seed(p, dir, "main-5", 0);
	pair_free(p);
	need(pair_start(p, IKE_VERSION_1, true, "aes128-sha256-x25519", "aes128gcm16"),
	     "IKEv1 pair");
	pair_settle(p, 2);
	v1_seed(p, dir, "aggressive-3", 1);
	pair_free(p);
	need(pair_start(p, IKE_VERSION_1, false, "aes128-sha256-x25519", "aes128gcm16"),
	     "IKEv1 pair");
	pair_settle(p, 6);
	v1_seed(p, dir, "quick-1", 2);
	pair_free(p);
	need(pair_start(p, IKE_VERSION_1, false, "aes128-sha256-x25519", "aes128gcm16"),
	     "IKEv1 pair");
	pair_settle(p, 16);
	for (int i = 0; i < 24 && !p->p_n; i++)
		pair_tick(p, 500); /* idle past c_dpd_s: R-U-THERE */
	v1_seed(p, dir, "dpd", 3);
	pair_free(p);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s V2_DIR V1_DIR\n", argv[0]);
		return 2;
	}
	v2_seeds(argv[1]);
	v1_seeds(argv[2]);
	v1_cfg_seeds(argv[2]);
	return 0;
}
