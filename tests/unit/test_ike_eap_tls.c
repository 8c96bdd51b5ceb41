/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAP-TLS as the authenticator (lib/ike/ikev2_eap_tls.c, RFC 5216, RFC
 * 9190): a whole handshake against an OpenSSL client that this file
 * frames as an EAP-TLS peer would (fragments both ways, acknowledgments),
 * the MSK the same on both sides with TLS 1.2 and 1.3, a client of an
 * untrusted CA refused, and Type-Data with hostile lengths refused.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "byteorder.h"
#include "ike_cert.h"
#include "ike_eap_tls.h"
#include "pki_fixture.h"

#define FL 0x80
#define FM 0x40
#define FS 0x20
#define CLIENT_FRAG 300 /* the client's fragments: smaller than ours */

/* The server side: our credential (p256) and trust (the test CA). */
static struct ike_credential *cred;
static struct ike_trust *trust;

static void pki_up(void)
{
	const char *ca[] = { pki_path("ca.pem") };

	cr_assert(pki_ready());
	cr_assert_eq(ike_cred_load(pki_path("p256-chain.pem"), pki_path("p256.key"), &cred), 0);
	cr_assert_eq(ike_trust_load(ca, 1, &trust), 0);
}

static void pki_down(void)
{
	ike_cred_free(cred);
	ike_trust_free(trust);
}

static struct ike_eap_tls *server(bool tls13)
{
	struct ike_eap_tls_cfg cfg = { .cred = cred, .trust = trust, .tls13 = tls13 };
	const char *why = NULL;
	struct ike_eap_tls *t = ike_eap_tls_new(&cfg, &why);

	cr_assert_not_null(t, "%s", why);
	return t;
}

/* ---- the EAP-TLS peer: an OpenSSL client and its framing ---- */

struct peer {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *in, *out;
	uint8_t rx[IKE_EAP_TLS_MAX];
	size_t rx_len;
	uint8_t tx[IKE_EAP_TLS_MAX];
	size_t tx_len, tx_off;
	int commit;      /* TLS 1.3: the 0x00 commitment read (RFC 9190 §2.5); -1 none */
	unsigned server_frags;
};

static void peer_new(struct peer *p, const char *chain, const char *key, int max_version)
{
	memset(p, 0, sizeof(*p));
	p->commit = -1;
	p->ctx = SSL_CTX_new(TLS_client_method());
	cr_assert_not_null(p->ctx);
	cr_assert_eq(SSL_CTX_set_max_proto_version(p->ctx, max_version), 1);
	cr_assert_eq(SSL_CTX_use_certificate_chain_file(p->ctx, pki_path(chain)), 1);
	cr_assert_eq(SSL_CTX_use_PrivateKey_file(p->ctx, pki_path(key), SSL_FILETYPE_PEM), 1);
	cr_assert_eq(SSL_CTX_load_verify_locations(p->ctx, pki_path("ca.pem"), NULL), 1);
	SSL_CTX_set_verify(p->ctx, SSL_VERIFY_PEER, NULL); /* the server's certificate too */
	p->ssl = SSL_new(p->ctx);
	p->in = BIO_new(BIO_s_mem());
	p->out = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(p->in, -1);
	SSL_set_bio(p->ssl, p->in, p->out);
	SSL_set_connect_state(p->ssl);
}

static void peer_free(struct peer *p)
{
	SSL_free(p->ssl);
	SSL_CTX_free(p->ctx);
}

/* The next fragment of the client's flight: L and length first, M on
 * all but the last. */
static size_t peer_fragment(struct peer *p, uint8_t *resp)
{
	size_t left = p->tx_len - p->tx_off, n = left < CLIENT_FRAG ? left : CLIENT_FRAG, at = 1;

	resp[0] = n < left ? FM : 0;
	if (p->tx_off == 0) {
		resp[0] |= FL;
		be32_put(resp + 1, (uint32_t)p->tx_len);
		at = 5;
	}
	memcpy(resp + at, p->tx + p->tx_off, n);
	p->tx_off += n;
	if (p->tx_off == p->tx_len)
		p->tx_len = p->tx_off = 0;
	return at + n;
}

/* The client's TLS after it read what the server sent: its flight in
 * fragments, or an acknowledgment (an empty Response). */
static size_t peer_run(struct peer *p, uint8_t *resp)
{
	uint8_t b;
	int r = SSL_do_handshake(p->ssl);

	if (r == 1 && SSL_read(p->ssl, &b, 1) == 1)
		p->commit = b;
	ERR_clear_error();
	p->tx_len = BIO_ctrl_pending(p->out);
	cr_assert_leq(p->tx_len, sizeof(p->tx));
	if (p->tx_len) {
		cr_assert_eq(BIO_read(p->out, p->tx, (int)p->tx_len), (int)p->tx_len);
		p->tx_off = 0;
		return peer_fragment(p, resp);
	}
	resp[0] = 0;
	return 1;
}

/* The client's Response to the server's Request (its Type-Data). */
static size_t peer_answer(struct peer *p, const uint8_t *req, size_t n, uint8_t *resp)
{
	size_t at = 1;

	cr_assert_geq(n, 1);
	if (req[0] & FS)
		return peer_run(p, resp);
	if (p->tx_len) { /* our fragment acknowledged (RFC 5216 §3.2) */
		cr_assert_eq(n, 1, "an acknowledgment has no data");
		cr_assert_eq(req[0], 0);
		return peer_fragment(p, resp);
	}
	if (req[0] & FL)
		at += 4;
	cr_assert_leq(at, n);
	cr_assert_leq(n - at, IKE_EAP_TLS_FRAG, "the server keeps to its fragment size");
	memcpy(p->rx + p->rx_len, req + at, n - at);
	p->rx_len += n - at;
	p->server_frags++;
	if (req[0] & FM) {
		resp[0] = 0;
		return 1;
	}
	cr_assert_eq(BIO_write(p->in, p->rx, (int)p->rx_len), (int)p->rx_len);
	p->rx_len = 0;
	return peer_run(p, resp);
}

/* Runs the conversation from the server's Start to its end. */
static enum ike_eap_tls_step converse(struct ike_eap_tls *t, struct peer *p, const char **why,
				      unsigned *rounds)
{
	uint8_t req[IKE_EAP_TLS_OUT_MAX], resp[IKE_EAP_TLS_MAX + 5];
	size_t n = ike_eap_tls_start(t, req, sizeof(req)), m;
	enum ike_eap_tls_step st;

	cr_assert_eq(n, 1);
	cr_assert_eq(req[0], FS, "EAP-TLS/Start: the S flag, no data (RFC 5216 §3.1)");
	for (*rounds = 0; *rounds < 200; (*rounds)++) {
		m = peer_answer(p, req, n, resp);
		st = ike_eap_tls_input(t, resp, m, req, sizeof(req), &n, why);
		if (st != IKE_EAP_TLS_SEND)
			return st;
	}
	cr_assert_fail("no end after 200 rounds");
	return IKE_EAP_TLS_FAIL;
}

/* The client's MSK, as RFC 5216 §2.3 / RFC 9190 §2.3 say, computed
 * by OpenSSL on its side. */
static void peer_msk(struct peer *p, uint8_t msk[IKE_EAP_TLS_MSK_LEN])
{
	static const uint8_t type = 13;
	uint8_t km[128];
	bool v13 = SSL_version(p->ssl) == TLS1_3_VERSION;
	const char *label = v13 ? "EXPORTER_EAP_TLS_Key_Material" : "client EAP encryption";

	cr_assert_eq(SSL_export_keying_material(p->ssl, km, sizeof(km), label, strlen(label),
						v13 ? &type : NULL, v13 ? 1 : 0, v13), 1);
	memcpy(msk, km, IKE_EAP_TLS_MSK_LEN);
}

static void handshake_ok(bool tls13, int client_max, const char *want_version)
{
	uint8_t a[IKE_EAP_TLS_MSK_LEN], b[IKE_EAP_TLS_MSK_LEN];
	static const uint8_t fqdn[] = "alice.example.org", wrong[] = "bob.example.org";
	struct ike_eap_tls *t;
	struct peer p;
	const char *why = "";
	unsigned rounds;
	char subject[128];

	pki_up();
	t = server(tls13);
	peer_new(&p, "alice-chain.pem", "alice.key", client_max);
	cr_assert_eq(ike_eap_tls_msk(t, a), -EAGAIN, "no MSK before the end");
	cr_assert_eq(converse(t, &p, &why, &rounds), IKE_EAP_TLS_DONE, "%s", why);
	cr_expect_str_eq(ike_eap_tls_version(t), want_version);
	cr_expect_gt(p.server_frags, 2, "our flight (certificate chain) went in fragments");
	cr_expect_eq(p.commit, tls13 && client_max == TLS1_3_VERSION ? 0 : -1,
		     "TLS 1.3: the 0x00 commitment message (RFC 9190 §2.5)");
	cr_assert_eq(ike_eap_tls_msk(t, a), 0);
	peer_msk(&p, b);
	cr_expect(memcmp(a, b, sizeof(a)) == 0, "the MSK is the same on both sides");
	cr_expect_eq(ike_eap_tls_peer_id(t, 2 /* FQDN */, fqdn, sizeof(fqdn) - 1), 0);
	cr_expect_eq(ike_eap_tls_peer_id(t, 2, wrong, sizeof(wrong) - 1), -EACCES);
	cr_expect_eq(ike_eap_tls_peer_name(t, "alice@example.org"), 0);
	cr_expect_eq(ike_eap_tls_peer_name(t, "alice.example.org"), 0);
	cr_expect_eq(ike_eap_tls_peer_name(t, "mallory"), -EACCES);
	ike_eap_tls_peer_subject(t, subject, sizeof(subject));
	cr_expect_str_eq(subject, "CN=alice.example.org,O=espgate test,C=CH");
	peer_free(&p);
	ike_eap_tls_free(t);
	pki_down();
}

Test(eap_tls, tls12_handshake_with_fragments_both_ways_and_the_same_msk)
{
	handshake_ok(false, TLS1_3_VERSION, "TLSv1.2");
}

Test(eap_tls, tls13_handshake_with_the_commitment_message_and_the_same_msk)
{
	handshake_ok(true, TLS1_3_VERSION, "TLSv1.3");
}

Test(eap_tls, a_tls12_client_of_a_tls13_server)
{
	handshake_ok(true, TLS1_2_VERSION, "TLSv1.2");
}

Test(eap_tls, a_client_certificate_of_an_untrusted_ca_is_refused)
{
	struct ike_eap_tls *t;
	struct peer p;
	const char *why = "";
	unsigned rounds;
	uint8_t msk[IKE_EAP_TLS_MSK_LEN];

	pki_up();
	t = server(false);
	peer_new(&p, "eve-chain.pem", "eve.key", TLS1_3_VERSION);
	cr_assert_eq(converse(t, &p, &why, &rounds), IKE_EAP_TLS_FAIL);
	cr_expect(strstr(why, "the client certificate does not verify") != NULL, "%s", why);
	cr_expect_eq(ike_eap_tls_msk(t, msk), -EAGAIN);
	peer_free(&p);
	ike_eap_tls_free(t);
	pki_down();
}

/* ---- Type-Data with hostile lengths and flags ---- */

static enum ike_eap_tls_step feed(struct ike_eap_tls *t, const uint8_t *in, size_t len,
				  const char **why)
{
	uint8_t out[IKE_EAP_TLS_OUT_MAX];
	size_t n;

	return ike_eap_tls_input(t, in, len, out, sizeof(out), &n, why);
}

static struct ike_eap_tls *started(void)
{
	uint8_t s[1];
	struct ike_eap_tls *t = server(false);

	cr_assert_eq(ike_eap_tls_start(t, s, sizeof(s)), 1);
	return t;
}

static void expect_refused(const uint8_t *in, size_t len, enum ike_eap_tls_step want,
			   const char *why_part)
{
	struct ike_eap_tls *t = started();
	const char *why = "";

	cr_expect_eq(feed(t, in, len, &why), want, "%s", why);
	cr_expect(strstr(why, why_part) != NULL, "\"%s\" lacks \"%s\"", why, why_part);
	ike_eap_tls_free(t);
}

Test(eap_tls, hostile_lengths_and_flags_are_refused)
{
	static const uint8_t huge[] = { FL | FM, 0x00, 0x01, 0x00, 0x01, 0x16 };  /* 65537 */
	static const uint8_t max_u32[] = { FL, 0xff, 0xff, 0xff, 0xff, 0x16 };
	static const uint8_t short_len[] = { FL, 0x00, 0x10 };
	static const uint8_t over[] = { FL, 0, 0, 0, 2, 0x16, 0x03, 0x01 };      /* 3 for 2 */
	static const uint8_t under[] = { FL, 0, 0, 0, 9, 0x16, 0x03, 0x01 };     /* 3 for 9 */
	static const uint8_t m_no_l[] = { FM, 0x16, 0x03 };
	static const uint8_t zero_len[] = { FL | FM, 0, 0, 0, 0, 0x16 };
	static const uint8_t start[] = { FS };
	static const uint8_t empty[] = { 0 };
	static const uint8_t garbage[] = { 0, 'G', 'E', 'T', ' ', '/' };

	pki_up();
	expect_refused(huge, sizeof(huge), IKE_EAP_TLS_TOO_LARGE, "over 65536 bytes");
	expect_refused(max_u32, sizeof(max_u32), IKE_EAP_TLS_TOO_LARGE, "over 65536 bytes");
	expect_refused(short_len, sizeof(short_len), IKE_EAP_TLS_FAIL, "malformed");
	expect_refused(NULL, 0, IKE_EAP_TLS_FAIL, "malformed");
	expect_refused(over, sizeof(over), IKE_EAP_TLS_FAIL, "more TLS data than");
	expect_refused(under, sizeof(under), IKE_EAP_TLS_FAIL, "less TLS data than");
	expect_refused(m_no_l, sizeof(m_no_l), IKE_EAP_TLS_FAIL, "without its TLS Message Length");
	expect_refused(zero_len, sizeof(zero_len), IKE_EAP_TLS_FAIL, "TLS Message Length of 0");
	expect_refused(start, sizeof(start), IKE_EAP_TLS_FAIL, "malformed");
	expect_refused(empty, sizeof(empty), IKE_EAP_TLS_FAIL, "empty EAP-TLS Response");
	expect_refused(garbage, sizeof(garbage), IKE_EAP_TLS_FAIL, "the TLS handshake failed");
	pki_down();
}

/* A Response before our Start, and a later fragment whose length is
 * not its first's. */
Test(eap_tls, out_of_order_and_inconsistent_fragments_are_refused)
{
	static const uint8_t first[] = { FL | FM, 0, 0, 0, 8, 0x16, 0x03 };
	static const uint8_t second[] = { FL | FM, 0, 0, 0, 9, 0x01, 0x00 };
	struct ike_eap_tls *t;
	const char *why = "";

	pki_up();
	t = server(false);
	cr_expect_eq(feed(t, first, sizeof(first), &why), IKE_EAP_TLS_FAIL);
	cr_expect(strstr(why, "before our Start") != NULL, "%s", why);
	ike_eap_tls_free(t);
	t = started();
	cr_assert_eq(feed(t, first, sizeof(first), &why), IKE_EAP_TLS_SEND, "%s", why);
	cr_expect_eq(feed(t, second, sizeof(second), &why), IKE_EAP_TLS_FAIL);
	cr_expect(strstr(why, "other than its first fragment's") != NULL, "%s", why);
	ike_eap_tls_free(t);
	pki_down();
}

/* Fragments of one byte, each acknowledged: the conversation stops at
 * 256 messages, before the 65536 bytes its length allows. */
Test(eap_tls, a_trickle_of_tiny_fragments_is_cut_off)
{
	static const uint8_t first[] = { FL | FM, 0, 1, 0, 0, 0x16 }, later[] = { FM, 0x16 };
	uint8_t out[IKE_EAP_TLS_OUT_MAX];
	struct ike_eap_tls *t;
	enum ike_eap_tls_step st = IKE_EAP_TLS_SEND;
	const char *why = "";
	unsigned i;
	size_t n;

	pki_up();
	t = started();
	for (i = 0; i < 1000 && st == IKE_EAP_TLS_SEND; i++) {
		st = i == 0 ? ike_eap_tls_input(t, first, sizeof(first), out, sizeof(out), &n, &why) :
			      ike_eap_tls_input(t, later, sizeof(later), out, sizeof(out), &n, &why);
		if (st == IKE_EAP_TLS_SEND) {
			cr_assert_eq(n, 1, "an acknowledgment");
			cr_assert_eq(out[0], 0);
		}
	}
	cr_expect_eq(st, IKE_EAP_TLS_TOO_LARGE, "%s", why);
	cr_expect_eq(i, 257, "cut at the 257th message");
	ike_eap_tls_free(t);
	pki_down();
}
