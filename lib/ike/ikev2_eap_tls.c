/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAP-TLS as the authenticator (RFC 5216; TLS 1.3: RFC 9190). OpenSSL
 * does TLS, reading the peer's records from one memory BIO and writing
 * ours to another; this file only moves them in EAP-TLS Type-Data:
 *
 *   Flags (L 0x80: TLS Message Length follows, M 0x40: more fragments,
 *   S 0x20: Start) | [TLS Message Length, 4 octets] | TLS data
 *
 * The rounds (RFC 5216 §2.1.1 for TLS 1.2, RFC 9190 §2.1.1 for 1.3):
 *   <-- Request, S                      --> Response, ClientHello
 *   <-- Request, our flight (fragments, each acknowledged by an empty
 *       Response)                       --> Response, the client's flight
 *       (fragments, each acknowledged by an empty Request from us)
 *   <-- Request, Finished (1.2) / the 0x00 commitment (1.3, §2.5)
 *   --> Response, empty                 <-- EAP-Success (ikev2_eap.c)
 * What a peer may send is bounded: IKE_EAP_TLS_MAX bytes of TLS and
 * ROUNDS_MAX messages in one handshake.
 */
#include "ike_eap_tls.h"
#include "byteorder.h"
#include "cursor.h"
#include "ike_cert_priv.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define FLAG_L 0x80
#define FLAG_M 0x40
#define FLAG_S 0x20
#define ROUNDS_MAX 256 /* EAP-TLS responses in one conversation */
#define KEY_MATERIAL_LEN 128 /* MSK | EMSK (RFC 5216 §2.3) */

struct ike_eap_tls {
	SSL_CTX *t_ctx;
	SSL *t_ssl;
	BIO *t_in, *t_out;        /* the peer's records to OpenSSL; OpenSSL's to us */
	uint8_t *t_rx;            /* the peer's TLS message, reassembled */
	size_t t_rx_len, t_rx_want; /* want: its TLS Message Length, 0 if none given */
	uint8_t *t_tx;            /* our flight, sent t_frag bytes at a time */
	size_t t_tx_len, t_tx_off;
	size_t t_total;           /* the peer's TLS bytes so far */
	unsigned t_rounds;
	uint16_t t_frag;
	bool t_started, t_finished;
	uint8_t t_msk[IKE_EAP_TLS_MSK_LEN];
	char t_why[192];          /* a reason with OpenSSL's words in it */
};

static int ctx_credential(SSL_CTX *ctx, const struct ike_credential *cred)
{
	size_t len;
	const uint8_t *der = ike_cred_cert_der(cred, 0, &len);
	EVP_PKEY *key = ike_cred_pkey(cred);

	if (!der || !key || len > INT_MAX || SSL_CTX_use_certificate_ASN1(ctx, (int)len, der) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1)
		return -EINVAL;
	/* §3.6 of RFC 7296's habit, in TLS: the intermediates with ours */
	for (unsigned i = 1; i < ike_cred_cert_count(cred); i++) {
		const uint8_t *p = ike_cred_cert_der(cred, i, &len);
		X509 *x = d2i_X509(NULL, &p, (long)len);

		if (!x || SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			X509_free(x);
			return -EINVAL;
		}
	}
	return 0;
}

static SSL_CTX *server_ctx(const struct ike_eap_tls_cfg *cfg)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		return NULL;
	/* RFC 5216 needs TLS 1.0 at least; we take 1.2 and 1.3 only, and no
	 * resumption (RFC 9190 §2.1.2 allows it; we have no use for it). */
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, cfg->tls13 ? TLS1_3_VERSION : TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_num_tickets(ctx, 0) != 1 || ctx_credential(ctx, cfg->cred) != 0 ||
	    SSL_CTX_set1_verify_cert_store(ctx, ike_trust_store(cfg->trust)) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* RFC 5216 §5.3: the peer proves itself with its certificate */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	return ctx;
}

static int server_ssl(struct ike_eap_tls *t)
{
	t->t_ssl = SSL_new(t->t_ctx);
	t->t_in = BIO_new(BIO_s_mem());
	t->t_out = BIO_new(BIO_s_mem());
	if (!t->t_ssl || !t->t_in || !t->t_out) {
		BIO_free(t->t_in);
		BIO_free(t->t_out);
		t->t_in = t->t_out = NULL;
		return -ENOMEM;
	}
	/* an empty input BIO means "wait for the next EAP message", not EOF */
	BIO_set_mem_eof_return(t->t_in, -1);
	SSL_set_bio(t->t_ssl, t->t_in, t->t_out);
	SSL_set_accept_state(t->t_ssl);
	return 0;
}

struct ike_eap_tls *ike_eap_tls_new(const struct ike_eap_tls_cfg *cfg, const char **why)
{
	struct ike_eap_tls *t;

	*why = "EAP-TLS needs the connection's certificate and CAs";
	if (!cfg->cred || !cfg->trust)
		return NULL;
	*why = "EAP-TLS cannot run (no memory, or OpenSSL refused the certificate)";
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->t_frag = cfg->frag && cfg->frag < IKE_EAP_TLS_FRAG ? cfg->frag : IKE_EAP_TLS_FRAG;
	t->t_ctx = server_ctx(cfg);
	if (!t->t_ctx || server_ssl(t) != 0) {
		ike_eap_tls_free(t);
		ERR_clear_error();
		return NULL;
	}
	return t;
}

static void drop(uint8_t **buf, size_t len)
{
	if (*buf)
		OPENSSL_cleanse(*buf, len);
	free(*buf);
	*buf = NULL;
}

void ike_eap_tls_free(struct ike_eap_tls *t)
{
	if (!t)
		return;
	SSL_free(t->t_ssl); /* the BIOs with it; OpenSSL wipes its secrets */
	SSL_CTX_free(t->t_ctx);
	drop(&t->t_rx, t->t_rx_len);
	drop(&t->t_tx, t->t_tx_len);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}

size_t ike_eap_tls_start(struct ike_eap_tls *t, uint8_t *out, size_t cap)
{
	if (cap < 1)
		return 0;
	out[0] = FLAG_S;
	t->t_started = true;
	return 1;
}

/* The next fragment of our flight: L and the length on the first, M on
 * all but the last (RFC 5216 §3.1). */
static size_t next_fragment(struct ike_eap_tls *t, uint8_t *out)
{
	size_t left = t->t_tx_len - t->t_tx_off, n = left < t->t_frag ? left : t->t_frag, at = 1;

	out[0] = n < left ? FLAG_M : 0;
	if (t->t_tx_off == 0) {
		out[0] |= FLAG_L;
		be32_put(out + 1, (uint32_t)t->t_tx_len);
		at = 5;
	}
	memcpy(out + at, t->t_tx + t->t_tx_off, n);
	t->t_tx_off += n;
	if (t->t_tx_off == t->t_tx_len) {
		drop(&t->t_tx, t->t_tx_len);
		t->t_tx_len = t->t_tx_off = 0;
	}
	return at + n;
}

/* What OpenSSL wrote: our next flight, to send in fragments. */
static enum ike_eap_tls_step take_flight(struct ike_eap_tls *t, const char **why)
{
	size_t n = BIO_ctrl_pending(t->t_out);

	if (n == 0 || n > IKE_EAP_TLS_MAX) {
		*why = n ? "our TLS flight is too large" :
			   "the peer's TLS message ends short (RFC 5216 §3.1: fragments carry M)";
		return IKE_EAP_TLS_FAIL;
	}
	t->t_tx = malloc(n);
	if (!t->t_tx || BIO_read(t->t_out, t->t_tx, (int)n) != (int)n) {
		*why = "no memory for our TLS flight";
		return IKE_EAP_TLS_FAIL;
	}
	t->t_tx_len = n;
	t->t_tx_off = 0;
	return IKE_EAP_TLS_SEND;
}

/* The handshake is over: the 0x00 commitment of TLS 1.3 (RFC 9190
 * §2.5) and the MSK: TLS-PRF-128(master_secret, "client EAP
 * encryption", client.random | server.random) with TLS 1.2 (RFC 5216
 * §2.3, which is RFC 5705's exporter without context), TLS-Exporter(
 * "EXPORTER_EAP_TLS_Key_Material", Type-Code 0x0D, 128) with TLS 1.3
 * (RFC 9190 §2.3); MSK the first 64 octets. */
static int finish(struct ike_eap_tls *t)
{
	static const char l12[] = "client EAP encryption", l13[] = "EXPORTER_EAP_TLS_Key_Material";
	static const uint8_t type_code = IKE_EAP_TYPE_TLS;
	bool v13 = SSL_version(t->t_ssl) == TLS1_3_VERSION;
	uint8_t km[KEY_MATERIAL_LEN];
	int rc = -EIO;

	if (v13 && SSL_write(t->t_ssl, "", 1) != 1)
		goto out;
	if (SSL_export_keying_material(t->t_ssl, km, sizeof(km), v13 ? l13 : l12,
				       v13 ? sizeof(l13) - 1 : sizeof(l12) - 1, v13 ? &type_code : NULL,
				       v13 ? 1 : 0, v13 ? 1 : 0) != 1)
		goto out;
	memcpy(t->t_msk, km, sizeof(t->t_msk));
	t->t_finished = true;
	rc = 0;
out:
	OPENSSL_cleanse(km, sizeof(km));
	return rc;
}

/* Why OpenSSL gave up, in its words: the client certificate's
 * verification error first, else its last reason. */
static enum ike_eap_tls_step tls_failed(struct ike_eap_tls *t, const char **why)
{
	long v = SSL_get_verify_result(t->t_ssl);
	const char *r = ERR_reason_error_string(ERR_peek_last_error());

	if (v != X509_V_OK)
		snprintf(t->t_why, sizeof(t->t_why), "the client certificate does not verify: %s",
			 X509_verify_cert_error_string(v));
	else
		snprintf(t->t_why, sizeof(t->t_why), "the TLS handshake failed: %s",
			 r ? r : "no reason given");
	ERR_clear_error();
	*why = t->t_why;
	return IKE_EAP_TLS_FAIL;
}

/* The peer's whole TLS message to OpenSSL, and what it answers. */
static enum ike_eap_tls_step run_tls(struct ike_eap_tls *t, const char **why)
{
	int n = (int)t->t_rx_len, r;

	r = BIO_write(t->t_in, t->t_rx, n);
	drop(&t->t_rx, t->t_rx_len);
	t->t_rx_len = t->t_rx_want = 0;
	if (r != n) {
		*why = "no memory for the peer's TLS message";
		return IKE_EAP_TLS_FAIL;
	}
	r = SSL_do_handshake(t->t_ssl);
	if (r != 1 && SSL_get_error(t->t_ssl, r) != SSL_ERROR_WANT_READ)
		return tls_failed(t, why);
	if (r == 1 && finish(t) != 0) {
		*why = "the MSK could not be derived";
		ERR_clear_error();
		return IKE_EAP_TLS_FAIL;
	}
	return take_flight(t, why);
}

/* A length the peer gave, checked: the first of a message, and the
 * same on any later fragment that repeats it. */
static enum ike_eap_tls_step check_length(struct ike_eap_tls *t, uint8_t flags, uint32_t len,
					  const char **why)
{
	if (!(flags & FLAG_L)) {
		*why = "a first fragment without its TLS Message Length (RFC 5216 §3.1)";
		return (flags & FLAG_M) && t->t_rx_len == 0 ? IKE_EAP_TLS_FAIL : IKE_EAP_TLS_SEND;
	}
	if (len > IKE_EAP_TLS_MAX - t->t_total) {
		*why = "the peer's TLS handshake is over 65536 bytes";
		return IKE_EAP_TLS_TOO_LARGE;
	}
	*why = "a TLS Message Length of 0 or other than its first fragment's";
	if (len == 0 || (t->t_rx_len && len != t->t_rx_want))
		return IKE_EAP_TLS_FAIL;
	t->t_rx_want = len;
	return IKE_EAP_TLS_SEND;
}

static int append(struct ike_eap_tls *t, const struct cursor *d)
{
	uint8_t *n = malloc(t->t_rx_len + d->left);

	if (!n)
		return -ENOMEM;
	if (t->t_rx_len)
		memcpy(n, t->t_rx, t->t_rx_len);
	memcpy(n + t->t_rx_len, d->p, d->left);
	drop(&t->t_rx, t->t_rx_len);
	t->t_rx = n;
	t->t_rx_len += d->left;
	t->t_total += d->left;
	return 0;
}

/* A fragment of the peer's TLS message: kept, and acknowledged with an
 * empty Request while M says more come (RFC 5216 §3.1); the whole
 * message to OpenSSL. */
static enum ike_eap_tls_step take_fragment(struct ike_eap_tls *t, uint8_t flags, uint32_t len,
					   const struct cursor *d, uint8_t *out, size_t *out_len,
					   const char **why)
{
	enum ike_eap_tls_step st = check_length(t, flags, len, why);

	if (st != IKE_EAP_TLS_SEND)
		return st;
	if (d->left > IKE_EAP_TLS_MAX - t->t_total) {
		*why = "the peer's TLS handshake is over 65536 bytes";
		return IKE_EAP_TLS_TOO_LARGE;
	}
	*why = "an empty EAP-TLS Response where TLS data was due";
	if (d->left == 0)
		return IKE_EAP_TLS_FAIL;
	*why = "more TLS data than the TLS Message Length";
	if (t->t_rx_want && d->left > t->t_rx_want - t->t_rx_len)
		return IKE_EAP_TLS_FAIL;
	*why = "no memory for the peer's TLS message";
	if (append(t, d) != 0)
		return IKE_EAP_TLS_FAIL;
	if (flags & FLAG_M) {
		out[0] = 0;
		*out_len = 1;
		return IKE_EAP_TLS_SEND;
	}
	*why = "less TLS data than the TLS Message Length";
	if (t->t_rx_want && t->t_rx_len != t->t_rx_want)
		return IKE_EAP_TLS_FAIL;
	st = run_tls(t, why);
	if (st == IKE_EAP_TLS_SEND)
		*out_len = next_fragment(t, out);
	return st;
}

enum ike_eap_tls_step ike_eap_tls_input(struct ike_eap_tls *t, const uint8_t *in, size_t len,
					uint8_t *out, size_t cap, size_t *out_len,
					const char **why)
{
	struct cursor c = cursor_make(in, len);
	uint32_t tls_len = 0;
	uint8_t flags;
	bool ack;

	*out_len = 0;
	*why = "an EAP-TLS Response before our Start";
	if (!t->t_started || cap < IKE_EAP_TLS_OUT_MAX)
		return IKE_EAP_TLS_FAIL;
	*why = "too many EAP-TLS rounds";
	if (++t->t_rounds > ROUNDS_MAX)
		return IKE_EAP_TLS_TOO_LARGE;
	*why = "a malformed EAP-TLS Response (its Flags or TLS Message Length)";
	if (!cursor_u8(&c, &flags) || (flags & FLAG_S) ||
	    ((flags & FLAG_L) && !cursor_be32(&c, &tls_len)))
		return IKE_EAP_TLS_FAIL;
	ack = flags == 0 && c.left == 0; /* RFC 5216 §3.2: no data */
	if (t->t_tx_len) {
		*why = "no acknowledgment of our EAP-TLS fragment";
		if (!ack)
			return IKE_EAP_TLS_FAIL;
		*out_len = next_fragment(t, out);
		return IKE_EAP_TLS_SEND;
	}
	if (t->t_finished) {
		*why = "TLS data after the handshake (an alert?) where an acknowledgment was due";
		return ack ? IKE_EAP_TLS_DONE : IKE_EAP_TLS_FAIL;
	}
	return take_fragment(t, flags, tls_len, &c, out, out_len, why);
}

int ike_eap_tls_msk(const struct ike_eap_tls *t, uint8_t msk[IKE_EAP_TLS_MSK_LEN])
{
	if (!t->t_finished || t->t_tx_len)
		return -EAGAIN;
	memcpy(msk, t->t_msk, IKE_EAP_TLS_MSK_LEN);
	return 0;
}

int ike_eap_tls_peer_id(const struct ike_eap_tls *t, uint8_t type, const uint8_t *id,
			size_t len)
{
	X509 *ee = t->t_finished ? SSL_get0_peer_certificate(t->t_ssl) : NULL;

	return ee ? ike_cert_id_check(ee, type, id, len) : -EACCES;
}

int ike_eap_tls_peer_name(const struct ike_eap_tls *t, const char *name)
{
	X509 *ee = t->t_finished ? SSL_get0_peer_certificate(t->t_ssl) : NULL;
	size_t len = strlen(name);

	if (!ee || len == 0)
		return -EACCES;
	if (strchr(name, '@'))
		return X509_check_email(ee, name, len, 0) == 1 ? 0 : -EACCES;
	return X509_check_host(ee, name, len, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
			       X509_CHECK_FLAG_NO_WILDCARDS, NULL) == 1 ? 0 : -EACCES;
}

void ike_eap_tls_peer_subject(const struct ike_eap_tls *t, char *buf, size_t cap)
{
	X509 *ee = SSL_get0_peer_certificate(t->t_ssl);
	BIO *b = ee ? BIO_new(BIO_s_mem()) : NULL;
	int n = 0;

	if (cap == 0)
		return;
	if (b && X509_NAME_print_ex(b, X509_get_subject_name(ee), 0, XN_FLAG_RFC2253) >= 0)
		n = BIO_read(b, buf, (int)(cap - 1 > INT_MAX ? INT_MAX : cap - 1));
	buf[n > 0 ? n : 0] = '\0';
	if (n <= 0)
		snprintf(buf, cap, "%s", "(no certificate)");
	BIO_free(b);
}

const char *ike_eap_tls_version(const struct ike_eap_tls *t)
{
	return SSL_get_version(t->t_ssl);
}
