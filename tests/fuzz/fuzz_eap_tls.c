/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the EAP-TLS server's framing and OpenSSL behind it
 * (lib/ike/ikev2_eap_tls.c). One input: a control byte (bit 0: TLS 1.3
 * offered too), then records of a 2-byte big-endian length and that many
 * bytes of EAP-TLS Type-Data (Flags, TLS Message Length, TLS data), each
 * the client's next Response after the server's Start, until one ends
 * the conversation. The server's certificate (P-256, self-signed, also
 * the only CA) is made once, in memory.
 *
 * Built with -Dfuzz=true (clang, -fsanitize=fuzzer); the normal build
 * links it with tests/fuzz/replay.c, which feeds it the corpus.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ike_cert.h"
#include "ike_eap_tls.h"

static struct ike_credential *cred;
static struct ike_trust *trust;

/* A memory file holding what write() puts in it, by /proc/self/fd path. */
static FILE *memfile(const char *name, char *path, size_t cap)
{
	int fd = memfd_create(name, 0);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f)
		abort();
	snprintf(path, cap, "/proc/self/fd/%d", fd);
	return f;
}

static X509 *self_signed(EVP_PKEY *k)
{
	X509 *x = X509_new();

	if (!x || X509_set_version(x, 2) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365) || X509_set_pubkey(x, k) != 1 ||
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				       (const unsigned char *)"fuzz.example.org", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
	    X509_sign(x, k, EVP_sha256()) <= 0)
		abort();
	return x;
}

static void pki_once(void)
{
	char cert_path[64], key_path[64];
	const char *ca[] = { cert_path };
	EVP_PKEY *k;
	X509 *x;
	FILE *fc, *fk;

	if (cred)
		return;
	k = EVP_EC_gen("P-256");
	if (!k)
		abort();
	x = self_signed(k);
	fc = memfile("cert", cert_path, sizeof(cert_path));
	fk = memfile("key", key_path, sizeof(key_path));
	if (PEM_write_X509(fc, x) != 1 || PEM_write_PrivateKey(fk, k, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fflush(fc) != 0 || fflush(fk) != 0)
		abort();
	/* the harness's own PKI: nothing fuzzed yet */
	if (ike_cred_load(cert_path, key_path, &cred) != 0 || ike_trust_load(ca, 1, &trust) != 0)
		abort();
	fclose(fc);
	fclose(fk);
	X509_free(x);
	EVP_PKEY_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_eap_tls_cfg cfg = { 0 };
	uint8_t out[IKE_EAP_TLS_OUT_MAX];
	struct ike_eap_tls *t;
	enum ike_eap_tls_step st = IKE_EAP_TLS_SEND;
	const char *why;
	size_t n, at = 1;

	if (size < 1)
		return 0;
	pki_once();
	cfg.cred = cred;
	cfg.trust = trust;
	cfg.tls13 = data[0] & 1;
	t = ike_eap_tls_new(&cfg, &why);
	if (!t)
		abort();
	ike_eap_tls_start(t, out, sizeof(out));
	while (st == IKE_EAP_TLS_SEND && size - at >= 2) {
		size_t len = (size_t)data[at] << 8 | data[at + 1];

		at += 2;
		if (len > size - at)
			len = size - at;
		st = ike_eap_tls_input(t, data + at, len, out, sizeof(out), &n, &why);
		if (st == IKE_EAP_TLS_SEND && (n == 0 || n > sizeof(out)))
			abort(); /* a Request always has its Flags, never more than out */
		at += len;
	}
	ike_eap_tls_free(t);
	return 0;
}
