/* SPDX-License-Identifier: BSD-3-Clause */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ike_cert.h"
#include "pki_fixture.h"

/*
 * lib/ike/ike_cert.c against a PKI made at test time by
 * tests/unit/certs/make.sh (see there for the certificates) and against
 * the openssl command line: our signatures are verified by
 * `openssl dgst -verify` / `pkeyutl -verify`, signatures made by
 * `openssl dgst -sign` / `pkeyutl -sign` are verified by us. ECDSA r | s
 * (RFC 4754) is converted to and from DER by this file's own code.
 */

#define OPENSSL PKI_OPENSSL

/* RFC 7427 Appendix A (A.1.2, A.4.3, A.3.2, A.3.3) and RFC 8420 §2
 * (id-Ed25519), as printed there. */
static const char RFC_SHA256_RSA[] = "300d 0609 2a86 4886 f70d 0101 0b05 00";
static const char RFC_PSS_SHA256[] =
	"3041 0609 2a86 4886 f70d 0101 0a30 34a0 0f30 0d06 0960 8648 0165"
	"0304 0201 0500 a11c 301a 0609 2a86 4886 f70d 0101 0830 0d06 0960"
	"8648 0165 0304 0201 0500 a203 0201 20";
static const char RFC_ECDSA_SHA256[] = "300a 0608 2a86 48ce 3d04 0302";
static const char RFC_ECDSA_SHA384[] = "300a 0608 2a86 48ce 3d04 0303";
static const char RFC_ED25519[] = "3005 0603 2b65 70";
/* A.1.3 / A.1.4, and A.4.3's pattern with SHA-384/512 and their salt. */
static const char SHA384_RSA[] = "300d 0609 2a86 4886 f70d 0101 0c05 00";
static const char SHA512_RSA[] = "300d 0609 2a86 4886 f70d 0101 0d05 00";
static const char PSS_SHA384[] =
	"3041 0609 2a86 4886 f70d 0101 0a30 34a0 0f30 0d06 0960 8648 0165"
	"0304 0202 0500 a11c 301a 0609 2a86 4886 f70d 0101 0830 0d06 0960"
	"8648 0165 0304 0202 0500 a203 0201 30";
static const char PSS_SHA512[] =
	"3041 0609 2a86 4886 f70d 0101 0a30 34a0 0f30 0d06 0960 8648 0165"
	"0304 0203 0500 a11c 301a 0609 2a86 4886 f70d 0101 0830 0d06 0960"
	"8648 0165 0304 0203 0500 a203 0201 40";
/* RSASSA-PSS, SHA-256, salt 20 (0x14). */
static const char PSS_SHA256_SALT20[] =
	"3041 0609 2a86 4886 f70d 0101 0a30 34a0 0f30 0d06 0960 8648 0165"
	"0304 0201 0500 a11c 301a 0609 2a86 4886 f70d 0101 0830 0d06 0960"
	"8648 0165 0304 0201 0500 a203 0201 14";
static const char ECDSA_SHA512[] = "300a 0608 2a86 48ce 3d04 0304";

static const uint16_t H_256[] = { IKE_SIG_HASH_SHA2_256 };
static const uint16_t H_384[] = { IKE_SIG_HASH_SHA2_384 };
static const uint16_t H_512[] = { IKE_SIG_HASH_SHA2_512 };
static const uint16_t H_ID[] = { IKE_SIG_HASH_IDENTITY };
static const uint16_t H_ALL[] = { IKE_SIG_HASH_SHA2_256,
	IKE_SIG_HASH_SHA2_384, IKE_SIG_HASH_SHA2_512, IKE_SIG_HASH_IDENTITY };
static const uint16_t H_SHA1[] = { IKE_SIG_HASH_SHA1 };

static uint8_t octets[333];

static void setup(void)
{
	cr_assert(pki_ready(), "make.sh failed, see %s/make.log", pki_dir());
	for (size_t i = 0; i < sizeof(octets); i++)
		octets[i] = (uint8_t)(i * 7 + 1);
}

TestSuite(ike_cert, .init = setup, .timeout = 60);

/* ---- Helpers ---- */

static const char *f(const char *name)
{
	return pki_path(name);
}

__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void put_file(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	cr_assert(fp != NULL, "%s", path);
	cr_assert_eq(fwrite(p, 1, n, fp), n);
	cr_assert_eq(fclose(fp), 0);
}

static size_t get_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	cr_assert(fp != NULL, "%s", path);
	n = fread(buf, 1, cap, fp);
	cr_assert(feof(fp), "%s larger than %zu", path, cap);
	fclose(fp);
	return n;
}

static size_t hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		cr_assert(n < cap && sscanf(s, "%2x", &v) == 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static struct ike_credential *cred(const char *name)
{
	struct ike_credential *c = NULL;
	char chain[64], key[64];

	snprintf(chain, sizeof(chain), "%s-chain.pem", name);
	snprintf(key, sizeof(key), "%s.key", name);
	cr_assert_eq(ike_cred_load(f(chain), f(key), &c), 0, "%s", name);
	return c;
}

static struct ike_trust *trust(void)
{
	const char *paths[] = { f("ca.pem") };
	struct ike_trust *t = NULL;

	cr_assert_eq(ike_trust_load(paths, 1, &t), 0);
	return t;
}

struct sig {
	uint8_t method;
	size_t len;
	uint8_t auth[1024];
};

static void sign(const struct ike_credential *c, const uint16_t *h,
		 unsigned n, bool pss, struct sig *s)
{
	memset(s, 0, sizeof(*s));
	cr_assert_eq(ike_cred_sign(c, h, n, pss, octets, sizeof(octets),
				   &s->method, s->auth, sizeof(s->auth),
				   &s->len), 0);
}

/* The peer sends c's first n certificates. */
struct peer {
	unsigned n;
	struct ike_cert_data pl[IKE_CERT_CHAIN_MAX + 2];
};

static void peer_of(const struct ike_credential *c, unsigned n,
		    struct peer *p)
{
	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; i < n; i++) {
		p->pl[i].cert_enc = IKE_CERT_X509_SIG;
		p->pl[i].cert_data = ike_cred_cert_der(c, i,
						       &p->pl[i].cert_len);
		cr_assert(p->pl[i].cert_data != NULL);
	}
	p->n = n;
}

static int verify_id(const struct ike_trust *t, const struct peer *p,
		     uint8_t id_type, const void *id, size_t id_len,
		     uint8_t method, const uint8_t *auth, size_t len)
{
	return ike_verify_peer(t, p->pl, p->n, id_type, id, id_len, method,
			       auth, len, octets, sizeof(octets));
}

/* c's whole chain, identified by its DN. */
static int verify_dn(const struct ike_trust *t,
		     const struct ike_credential *c, uint8_t method,
		     const uint8_t *auth, size_t len)
{
	uint8_t dn[512];
	size_t dn_len;
	struct peer p;

	peer_of(c, ike_cred_cert_count(c), &p);
	cr_assert_eq(ike_cred_id_dn(c, dn, sizeof(dn), &dn_len), 0);
	return verify_id(t, &p, IKE_ID_DER_ASN1_DN, dn, dn_len, method, auth,
			 len);
}

/* Ecdsa-Sig-Value (RFC 3279 §2.2.3) DER from r | s and back; not the
 * library's code, for the openssl command line. */
static size_t der_int(const uint8_t *v, size_t n, uint8_t *out)
{
	size_t pad;

	while (n > 1 && v[0] == 0)
		v++, n--;
	pad = v[0] & 0x80 ? 1 : 0;
	out[0] = 0x02;
	out[1] = (uint8_t)(n + pad);
	out[2] = 0;
	memcpy(out + 2 + pad, v, n);
	return 2 + pad + n;
}

static size_t rs_to_der(const uint8_t *rs, size_t n, uint8_t *out)
{
	uint8_t body[160];
	size_t len, h = 0;

	len = der_int(rs, n, body);
	len += der_int(rs + n, n, body + len);
	out[h++] = 0x30;
	if (len > 127)
		out[h++] = 0x81;
	out[h++] = (uint8_t)len;
	memcpy(out + h, body, len);
	return h + len;
}

static void der_to_rs(const uint8_t *der, size_t n, uint8_t *rs)
{
	size_t i = der[1] == 0x81 ? 3 : 2;

	cr_assert_eq(der[0], 0x30);
	for (int k = 0; k < 2; k++) {
		size_t l = der[i + 1];
		const uint8_t *v = der + i + 2;

		cr_assert_eq(der[i], 0x02);
		i += 2 + l;
		for (; l > n; l--, v++)
			cr_assert_eq(*v, 0);
		memset(rs + k * n, 0, n - l);
		memcpy(rs + k * n + n - l, v, l);
	}
}

/* The signature alone: method 14 without its AlgorithmIdentifier,
 * 9/10 as DER. */
static size_t bare_sig(const struct sig *s, uint8_t *out)
{
	size_t off;

	if (s->method == IKE_AUTH_METHOD_ECDSA_256 ||
	    s->method == IKE_AUTH_METHOD_ECDSA_384)
		return rs_to_der(s->auth, s->len / 2, out);
	off = s->method == IKE_AUTH_METHOD_DIGITAL_SIG ? 1u + s->auth[0] : 0;
	memcpy(out, s->auth + off, s->len - off);
	return s->len - off;
}

/* ---- Our credential ---- */

Test(ike_cert, cred_chain_der_and_dn)
{
	struct ike_credential *c = cred("rsa");
	uint8_t file[4096], dn[512];
	const uint8_t *der;
	const unsigned char *p;
	size_t len, n, dn_len;
	X509_NAME *name;
	char text[256];

	cr_assert_eq(ike_cred_cert_count(c), 2);
	der = ike_cred_cert_der(c, 0, &len);
	n = get_file(f("rsa.der"), file, sizeof(file));
	cr_assert(der != NULL && len == n && memcmp(der, file, n) == 0);
	der = ike_cred_cert_der(c, 1, &len);
	n = get_file(f("int.der"), file, sizeof(file));
	cr_assert(der != NULL && len == n && memcmp(der, file, n) == 0);
	cr_assert_null(ike_cred_cert_der(c, 2, &len));

	cr_assert_eq(ike_cred_id_dn(c, dn, sizeof(dn), &dn_len), 0);
	cr_assert(memmem(ike_cred_cert_der(c, 0, &len), len, dn, dn_len));
	p = dn;
	name = d2i_X509_NAME(NULL, &p, (long)dn_len);
	cr_assert(name != NULL && p == dn + dn_len);
	X509_NAME_oneline(name, text, sizeof(text));
	cr_assert_str_eq(text, "/C=CH/O=espgate test/CN=rsa.example.org");
	X509_NAME_free(name);
	cr_assert_eq(ike_cred_id_dn(c, dn, dn_len - 1, &n), -ENOSPC);
	ike_cred_free(c);
}

Test(ike_cert, cred_load_errors)
{
	struct ike_credential *c = (void *)1;

	cr_assert_eq(ike_cred_load(f("rsa-chain.pem"), f("p256.key"), &c),
		     -EINVAL);
	cr_assert_null(c);
	cr_assert_eq(ike_cred_load(f("nonexistent.pem"), f("rsa.key"), &c),
		     -ENOENT);
	cr_assert_eq(ike_cred_load(f("rsa.pem"), f("nonexistent.key"), &c),
		     -ENOENT);
	cr_assert_eq(ike_cred_load(f("rsa.key"), f("rsa.key"), &c), -EINVAL);
	cr_assert_eq(ike_cred_load(f("rsa.pem"), f("rsa.pem"), &c), -EINVAL);
	cr_assert_eq(ike_cred_load(NULL, f("rsa.key"), &c), -EINVAL);
	/* An encrypted key is refused, never prompted for. */
	cr_assert_eq(sh(OPENSSL " pkey -in %s -aes128 -passout pass:x -out %s",
			f("p256.key"), f("enc.key")), 0);
	cr_assert_eq(ike_cred_load(f("p256.pem"), f("enc.key"), &c), -EINVAL);
	/* The end entity alone is a credential too. */
	cr_assert_eq(ike_cred_load(f("p256.pem"), f("p256.key"), &c), 0);
	cr_assert_eq(ike_cred_cert_count(c), 1);
	ike_cred_free(c);
}

Test(ike_cert, cred_clear_and_free)
{
	struct ike_credential *c = cred("p256");
	uint8_t dn[512], m;
	struct sig s;
	size_t len;

	ike_cred_clear(c);
	cr_assert_eq(ike_cred_cert_count(c), 0);
	cr_assert_null(ike_cred_cert_der(c, 0, &len));
	cr_assert_eq(ike_cred_id_dn(c, dn, sizeof(dn), &len), -ENOKEY);
	cr_assert_eq(ike_cred_sign(c, NULL, 0, false, octets, sizeof(octets),
				   &m, s.auth, sizeof(s.auth), &len), -ENOKEY);
	ike_cred_free(c);
	ike_cred_free(NULL);
	ike_cred_clear(NULL);
	ike_trust_free(NULL);
}

Test(ike_cert, sig_hash_notify)
{
	uint8_t b[16];

	memset(b, 0xee, sizeof(b));
	cr_assert_eq(ike_sig_hash_notify(b, sizeof(b)), 8);
	cr_assert_arr_eq(b, ((uint8_t[]){ 0, 2, 0, 3, 0, 4, 0, 5 }), 8);
	cr_assert_eq(b[8], 0xee);
	cr_assert_eq(ike_sig_hash_notify(b, 7), 0);
}

/* ---- Sign with ours, verify with ours ---- */

/* Signs; checks method and AlgorithmIdentifier; verifies; a changed
 * octet or signature byte fails. */
static void roundtrip(const char *name, const uint16_t *h, unsigned n,
		      bool pss, uint8_t method, const char *algid)
{
	struct ike_credential *c = cred(name);
	struct ike_trust *t = trust();
	uint8_t want[128];
	struct sig s;
	size_t wn;

	sign(c, h, n, pss, &s);
	cr_assert_eq(s.method, method, "%s: method %u", name, s.method);
	if (algid) {
		wn = hex(algid, want, sizeof(want));
		cr_assert_eq(s.auth[0], wn, "%s", name);
		cr_assert_arr_eq(s.auth + 1, want, wn, "%s", name);
	}
	cr_assert_eq(verify_dn(t, c, s.method, s.auth, s.len), 0, "%s", name);
	octets[100] ^= 0x01;
	cr_assert_eq(verify_dn(t, c, s.method, s.auth, s.len), -EACCES);
	octets[100] ^= 0x01;
	s.auth[s.len - 1] ^= 0x40;
	cr_assert_eq(verify_dn(t, c, s.method, s.auth, s.len), -EACCES);
	ike_trust_free(t);
	ike_cred_free(c);
}

Test(ike_cert, rsa_method1)
{
	roundtrip("rsa", NULL, 0, true, IKE_AUTH_METHOD_RSA_SIG, NULL);
}

Test(ike_cert, rsa_pss_each_hash)
{
	roundtrip("rsa", H_256, 1, true, 14, RFC_PSS_SHA256);
	roundtrip("rsa", H_384, 1, true, 14, PSS_SHA384);
	roundtrip("rsa", H_512, 1, true, 14, PSS_SHA512);
}

Test(ike_cert, rsa_pkcs1_each_hash)
{
	roundtrip("rsa", H_256, 1, false, 14, RFC_SHA256_RSA);
	roundtrip("rsa", H_384, 1, false, 14, SHA384_RSA);
	roundtrip("rsa", H_512, 1, false, 14, SHA512_RSA);
}

Test(ike_cert, ecdsa_methods_9_10)
{
	struct ike_credential *c = cred("p256");
	struct sig s;

	roundtrip("p256", NULL, 0, false, IKE_AUTH_METHOD_ECDSA_256, NULL);
	roundtrip("p384", NULL, 0, false, IKE_AUTH_METHOD_ECDSA_384, NULL);
	sign(c, NULL, 0, false, &s);
	cr_assert_eq(s.len, 64); /* r | s, RFC 4754 §7 */
	ike_cred_free(c);
	c = cred("p384");
	sign(c, NULL, 0, false, &s);
	cr_assert_eq(s.len, 96);
	ike_cred_free(c);
}

Test(ike_cert, ecdsa_method14)
{
	roundtrip("p256", H_ALL, 4, false, 14, RFC_ECDSA_SHA256);
	roundtrip("p384", H_ALL, 4, false, 14, RFC_ECDSA_SHA384);
	/* The curve's hash missing: the strongest common one. */
	roundtrip("p256", H_512, 1, false, 14, ECDSA_SHA512);
}

Test(ike_cert, ed25519_method14)
{
	struct ike_credential *c = cred("ed25519");
	uint8_t m, auth[256];
	size_t len;

	roundtrip("ed25519", H_ALL, 4, false, 14, RFC_ED25519);
	roundtrip("ed25519", H_ID, 1, false, 14, RFC_ED25519);
	/* No classic method for EdDSA. */
	cr_assert_eq(ike_cred_sign(c, NULL, 0, false, octets, sizeof(octets),
				   &m, auth, sizeof(auth), &len), -ENOTSUP);
	cr_assert_eq(ike_cred_sign(c, H_512, 1, false, octets, sizeof(octets),
				   &m, auth, sizeof(auth), &len), -ENOTSUP);
	ike_cred_free(c);
}

Test(ike_cert, strongest_common_hash)
{
	struct ike_credential *c = cred("rsa");
	uint8_t want[128];
	struct sig s;

	sign(c, H_ALL, 4, true, &s);
	cr_assert_eq(s.method, 14);
	cr_assert_eq(s.auth[0], hex(PSS_SHA512, want, sizeof(want)));
	cr_assert_arr_eq(s.auth + 1, want, s.auth[0]);
	sign(c, H_ALL, 4, false, &s);
	cr_assert_arr_eq(s.auth + 1, want, hex(SHA512_RSA, want, sizeof(want)));
	/* Nothing in common: RFC 7296 method 1. */
	sign(c, H_SHA1, 1, true, &s);
	cr_assert_eq(s.method, IKE_AUTH_METHOD_RSA_SIG);
	sign(c, H_ID, 1, true, &s);
	cr_assert_eq(s.method, IKE_AUTH_METHOD_RSA_SIG);
	ike_cred_free(c);
	c = cred("p384");
	sign(c, H_SHA1, 1, false, &s);
	cr_assert_eq(s.method, IKE_AUTH_METHOD_ECDSA_384);
	ike_cred_free(c);
}

Test(ike_cert, sign_errors)
{
	struct ike_credential *c = cred("rsa");
	uint8_t m, auth[1024];
	size_t len;

	cr_assert_eq(ike_cred_sign(c, NULL, 0, false, octets, sizeof(octets),
				   &m, auth, 383, &len), -ENOSPC);
	cr_assert_eq(ike_cred_sign(c, H_256, 1, true, octets, sizeof(octets),
				   &m, auth, 1 + 67 + 383, &len), -ENOSPC);
	cr_assert_eq(ike_cred_sign(c, H_256, 1, true, octets, sizeof(octets),
				   &m, auth, 1 + 67 + 384, &len), 0);
	cr_assert_eq(len, 1 + 67 + 384);
	cr_assert_eq(ike_cred_sign(c, NULL, 1, false, octets, sizeof(octets),
				   &m, auth, sizeof(auth), &len), -EINVAL);
	cr_assert_eq(ike_cred_sign(NULL, NULL, 0, false, octets,
				   sizeof(octets), &m, auth, sizeof(auth),
				   &len), -EINVAL);
	ike_cred_free(c);
	c = cred("p256");
	cr_assert_eq(ike_cred_sign(c, NULL, 0, false, octets, sizeof(octets),
				   &m, auth, 63, &len), -ENOSPC);
	ike_cred_free(c);
}

/* ---- Cross-checks with the openssl command line ---- */

/* Our signature, verified by `openssl dgst <opts> -verify`; then with a
 * flipped bit it must not verify. */
static void cli_verifies_ours(const char *name, const uint16_t *h,
			      unsigned n, bool pss, const char *opts)
{
	struct ike_credential *c = cred(name);
	char pub[64];
	uint8_t bare[1024];
	struct sig s;
	size_t len;

	snprintf(pub, sizeof(pub), "%s.pub", name);
	sign(c, h, n, pss, &s);
	len = bare_sig(&s, bare);
	put_file(f("oct.bin"), octets, sizeof(octets));
	put_file(f("sig.bin"), bare, len);
	cr_assert_eq(sh(OPENSSL " dgst %s -verify %s -signature %s %s "
			">/dev/null 2>&1", opts, f(pub), f("sig.bin"),
			f("oct.bin")), 0, "%s %s", name, opts);
	bare[len / 2] ^= 0x10;
	put_file(f("sig.bin"), bare, len);
	cr_assert_neq(sh(OPENSSL " dgst %s -verify %s -signature %s %s "
			 ">/dev/null 2>&1", opts, f(pub), f("sig.bin"),
			 f("oct.bin")), 0);
	ike_cred_free(c);
}

#define PSS_OPTS(h, salt) "-" h " -sigopt rsa_padding_mode:pss " \
	"-sigopt rsa_pss_saltlen:" salt " -sigopt rsa_mgf1_md:" h

Test(ike_cert, cli_verifies_our_rsa)
{
	cli_verifies_ours("rsa", NULL, 0, false, "-sha1");
	cli_verifies_ours("rsa", H_256, 1, false, "-sha256");
	cli_verifies_ours("rsa", H_384, 1, false, "-sha384");
	cli_verifies_ours("rsa", H_512, 1, false, "-sha512");
	cli_verifies_ours("rsa", H_256, 1, true, PSS_OPTS("sha256", "32"));
	cli_verifies_ours("rsa", H_384, 1, true, PSS_OPTS("sha384", "48"));
	cli_verifies_ours("rsa", H_512, 1, true, PSS_OPTS("sha512", "64"));
}

Test(ike_cert, cli_verifies_our_ecdsa)
{
	cli_verifies_ours("p256", NULL, 0, false, "-sha256"); /* r | s */
	cli_verifies_ours("p384", NULL, 0, false, "-sha384");
	cli_verifies_ours("p256", H_256, 1, false, "-sha256"); /* DER */
	cli_verifies_ours("p384", H_384, 1, false, "-sha384");
}

Test(ike_cert, cli_verifies_our_ed25519)
{
	struct ike_credential *c = cred("ed25519");
	struct sig s;
	const char *cmd = OPENSSL " pkeyutl -verify -pubin -inkey %s -rawin "
			  "-in %s -sigfile %s >/dev/null 2>&1";

	sign(c, H_ID, 1, false, &s);
	cr_assert_eq(s.len, 1 + 7 + 64);
	put_file(f("oct.bin"), octets, sizeof(octets));
	put_file(f("sig.bin"), s.auth + 8, 64);
	cr_assert_eq(sh(cmd, f("ed25519.pub"), f("oct.bin"), f("sig.bin")), 0);
	s.auth[8] ^= 1;
	put_file(f("sig.bin"), s.auth + 8, 64);
	cr_assert_neq(sh(cmd, f("ed25519.pub"), f("oct.bin"), f("sig.bin")), 0);
	ike_cred_free(c);
}

/* `openssl <signcmd>` signs the octets into sig.bin; we verify it as
 * method (14: behind algid; 9/10: converted to r | s of n bytes). */
static int ours_verify_cli(const char *name, const char *signcmd,
			   uint8_t method, const char *algid, size_t n)
{
	struct ike_credential *c = cred(name);
	struct ike_trust *t = trust();
	uint8_t sig[1024], auth[1200];
	size_t len, off = 0;
	char key[64];
	int rc;

	snprintf(key, sizeof(key), "%s.key", name);
	put_file(f("oct.bin"), octets, sizeof(octets));
	cr_assert_eq(sh(OPENSSL " %s -inkey %s -in %s -out %s", signcmd,
			f(key), f("oct.bin"), f("sig.bin")), 0, "%s", signcmd);
	len = get_file(f("sig.bin"), sig, sizeof(sig));
	if (algid) {
		off = 1 + hex(algid, auth + 1, sizeof(auth) - 1);
		auth[0] = (uint8_t)(off - 1);
	}
	if (n) {
		der_to_rs(sig, n, auth);
		len = 2 * n;
	} else {
		memcpy(auth + off, sig, len);
	}
	rc = verify_dn(t, c, method, auth, off + len);
	ike_trust_free(t);
	ike_cred_free(c);
	return rc;
}

/* pkeyutl -rawin hashes like dgst -sign; both spelled via pkeyutl. */
#define DGST(md) "pkeyutl -sign -rawin -digest " md
#define DGST_PSS(md, salt) DGST(md) " -pkeyopt rsa_padding_mode:pss " \
	"-pkeyopt rsa_pss_saltlen:" salt " -pkeyopt rsa_mgf1_md:" md

Test(ike_cert, ours_verify_cli_rsa)
{
	cr_assert_eq(ours_verify_cli("rsa", DGST("sha1"), 1, NULL, 0), 0);
	cr_assert_eq(ours_verify_cli("rsa", DGST("sha256"), 14,
				     RFC_SHA256_RSA, 0), 0);
	cr_assert_eq(ours_verify_cli("rsa", DGST("sha512"), 14, SHA512_RSA,
				     0), 0);
	cr_assert_eq(ours_verify_cli("rsa", DGST_PSS("sha256", "32"), 14,
				     RFC_PSS_SHA256, 0), 0);
	cr_assert_eq(ours_verify_cli("rsa", DGST_PSS("sha384", "48"), 14,
				     PSS_SHA384, 0), 0);
	cr_assert_eq(ours_verify_cli("rsa", DGST_PSS("sha512", "64"), 14,
				     PSS_SHA512, 0), 0);
	/* PSS parameters are taken from the AlgorithmIdentifier: salt 20
	 * verifies as salt 20, not as the salt 32 of A.4.3. */
	cr_assert_eq(ours_verify_cli("rsa", DGST_PSS("sha256", "20"), 14,
				     PSS_SHA256_SALT20, 0), 0);
	cr_assert_eq(ours_verify_cli("rsa", DGST_PSS("sha256", "20"), 14,
				     RFC_PSS_SHA256, 0), -EACCES);
	/* PKCS#1 v1.5 presented as PSS and the other way round. */
	cr_assert_eq(ours_verify_cli("rsa", DGST("sha256"), 14,
				     RFC_PSS_SHA256, 0), -EACCES);
	cr_assert_eq(ours_verify_cli("rsa", DGST_PSS("sha256", "32"), 14,
				     RFC_SHA256_RSA, 0), -EACCES);
}

Test(ike_cert, ours_verify_cli_ecdsa_ed25519)
{
	cr_assert_eq(ours_verify_cli("p256", DGST("sha256"), 9, NULL, 32), 0);
	cr_assert_eq(ours_verify_cli("p384", DGST("sha384"), 10, NULL, 48), 0);
	cr_assert_eq(ours_verify_cli("p256", DGST("sha256"), 14,
				     RFC_ECDSA_SHA256, 0), 0);
	cr_assert_eq(ours_verify_cli("p384", DGST("sha384"), 14,
				     RFC_ECDSA_SHA384, 0), 0);
	cr_assert_eq(ours_verify_cli("p256", DGST("sha512"), 14,
				     ECDSA_SHA512, 0), 0);
	/* Hash other than the AlgorithmIdentifier's. */
	cr_assert_eq(ours_verify_cli("p256", DGST("sha384"), 14,
				     RFC_ECDSA_SHA256, 0), -EACCES);
	cr_assert_eq(ours_verify_cli("ed25519", "pkeyutl -sign -rawin", 14,
				     RFC_ED25519, 0), 0);
}

Test(ike_cert, cli_decodes_pss_algids)
{
	static const struct {
		const char *algid, *md, *salt;
	} t[] = {
		{ RFC_PSS_SHA256, "sha256", ":20\n" },
		{ PSS_SHA384, "sha384", ":30\n" },
		{ PSS_SHA512, "sha512", ":40\n" },
	};
	struct ike_credential *c = cred("rsa");
	static const uint16_t *hs[] = { H_256, H_384, H_512 };
	char out[4096], *p;
	uint8_t want[128];
	struct sig s;
	FILE *fp;
	size_t n;

	for (size_t i = 0; i < 3; i++) {
		sign(c, hs[i], 1, true, &s);
		cr_assert_arr_eq(s.auth + 1, want, hex(t[i].algid, want, 128));
		put_file(f("algid.der"), s.auth + 1, s.auth[0]);
		snprintf(out, sizeof(out), OPENSSL " asn1parse -inform DER "
			 "-in %s", f("algid.der"));
		fp = popen(out, "r");
		cr_assert(fp != NULL);
		n = fread(out, 1, sizeof(out) - 1, fp);
		out[n] = 0;
		cr_assert_eq(pclose(fp), 0);
		cr_assert(strstr(out, ":rsassaPss") && strstr(out, ":mgf1"));
		p = strstr(out, t[i].md);
		cr_assert(p && strstr(p + 1, t[i].md), "%s", out);
		cr_assert(strstr(out, t[i].salt), "%s", out);
	}
	ike_cred_free(c);
}

/* ---- The chain ---- */

static int chain_case(const char *name, unsigned ncerts, bool both_roots)
{
	const char *roots[] = { f("ca.pem"), f("other_ca.pem") };
	struct ike_credential *c = cred(name);
	struct ike_trust *t = NULL;
	uint8_t dn[512];
	struct peer p;
	struct sig s;
	size_t dn_len;
	int rc;

	cr_assert_eq(ike_trust_load(roots, both_roots ? 2 : 1, &t), 0);
	sign(c, H_ALL, 4, false, &s);
	peer_of(c, ncerts, &p);
	cr_assert_eq(ike_cred_id_dn(c, dn, sizeof(dn), &dn_len), 0);
	rc = verify_id(t, &p, IKE_ID_DER_ASN1_DN, dn, dn_len, s.method,
		       s.auth, s.len);
	ike_trust_free(t);
	ike_cred_free(c);
	return rc;
}

Test(ike_cert, chain_valid_with_intermediate)
{
	cr_assert_eq(chain_case("p256", 2, false), 0);
	cr_assert_eq(chain_case("ed25519", 2, false), 0);
}

Test(ike_cert, chain_missing_intermediate)
{
	cr_assert_eq(chain_case("p256", 1, false), -EACCES);
}

Test(ike_cert, chain_expired)
{
	cr_assert_eq(chain_case("expired", 2, false), -EACCES);
}

Test(ike_cert, chain_other_ca)
{
	cr_assert_eq(chain_case("other", 2, false), -EACCES);
	/* The same certificate is fine for whoever trusts its CA. */
	cr_assert_eq(chain_case("other", 2, true), 0);
}

Test(ike_cert, chain_order_and_other_encodings)
{
	struct ike_credential *c = cred("p384");
	struct ike_trust *t = trust();
	static const uint8_t junk[] = "http://example.org/cert";
	uint8_t dn[512];
	struct peer p, q;
	struct sig s;
	size_t dn_len;

	sign(c, H_ALL, 4, false, &s);
	cr_assert_eq(ike_cred_id_dn(c, dn, sizeof(dn), &dn_len), 0);
	peer_of(c, 2, &p);
	/* A Hash and URL payload first and last: ignored (§3.6). */
	memset(&q, 0, sizeof(q));
	q.pl[0] = (struct ike_cert_data){ IKE_CERT_HASH_URL_X509, junk,
					sizeof(junk) };
	q.pl[1] = p.pl[0];
	q.pl[2] = p.pl[1];
	q.pl[3] = (struct ike_cert_data){ IKE_CERT_PKCS7, junk, 3 };
	q.n = 4;
	cr_assert_eq(verify_id(t, &q, IKE_ID_DER_ASN1_DN, dn, dn_len,
			       s.method, s.auth, s.len), 0);
	/* The intermediate first: it is taken as the end entity. */
	q.pl[1] = p.pl[1];
	q.pl[2] = p.pl[0];
	cr_assert_eq(verify_id(t, &q, IKE_ID_DER_ASN1_DN, dn, dn_len,
			       s.method, s.auth, s.len), -EACCES);
	/* No X.509 certificate at all. */
	q.pl[1] = q.pl[3];
	q.n = 2;
	cr_assert_eq(verify_id(t, &q, IKE_ID_DER_ASN1_DN, dn, dn_len,
			       s.method, s.auth, s.len), -EACCES);
	cr_assert_eq(verify_id(t, &q, IKE_ID_DER_ASN1_DN, dn, dn_len,
			       s.method, s.auth, s.len), -EACCES);
	q.n = 0;
	cr_assert_eq(verify_id(t, &q, IKE_ID_DER_ASN1_DN, dn, dn_len,
			       s.method, s.auth, s.len), -EACCES);
	ike_trust_free(t);
	ike_cred_free(c);
}

Test(ike_cert, chain_malformed_der)
{
	struct ike_credential *c = cred("p256");
	struct ike_trust *t = trust();
	uint8_t der[4096], dn[512];
	struct peer p;
	struct sig s;
	size_t dn_len;

	sign(c, NULL, 0, false, &s);
	cr_assert_eq(ike_cred_id_dn(c, dn, sizeof(dn), &dn_len), 0);
	peer_of(c, 2, &p);
	memcpy(der, p.pl[0].cert_data, p.pl[0].cert_len);
	p.pl[0].cert_data = der;
	der[p.pl[0].cert_len] = 0; /* a byte after the certificate */
	p.pl[0].cert_len++;
	cr_assert_eq(verify_id(t, &p, IKE_ID_DER_ASN1_DN, dn, dn_len,
			       s.method, s.auth, s.len), -EINVAL);
	p.pl[0].cert_len -= 20; /* truncated */
	cr_assert_eq(verify_id(t, &p, IKE_ID_DER_ASN1_DN, dn, dn_len,
			       s.method, s.auth, s.len), -EINVAL);
	p.pl[0].cert_len = 0;
	cr_assert_eq(verify_id(t, &p, IKE_ID_DER_ASN1_DN, dn, dn_len,
			       s.method, s.auth, s.len), -EINVAL);
	/* An intermediate's signature changed: the chain breaks. */
	peer_of(c, 2, &p);
	memcpy(der, p.pl[0].cert_data, p.pl[0].cert_len);
	p.pl[0].cert_data = der;
	der[p.pl[0].cert_len - 5] ^= 0x01;
	cr_assert_eq(verify_id(t, &p, IKE_ID_DER_ASN1_DN, dn, dn_len,
			       s.method, s.auth, s.len), -EACCES);
	ike_trust_free(t);
	ike_cred_free(c);
}

Test(ike_cert, trust_load_errors)
{
	const char *missing[] = { f("ca.pem"), f("nonexistent.pem") };
	const char *nocert[] = { f("ca.key") };
	const char *two[] = { f("ca.pem"), f("other_ca.pem") };
	struct ike_trust *t = (void *)1;

	cr_assert_eq(ike_trust_load(missing, 2, &t), -ENOENT);
	cr_assert_null(t);
	cr_assert_eq(ike_trust_load(nocert, 1, &t), -EINVAL);
	cr_assert_eq(ike_trust_load(two, 0, &t), -EINVAL);
	cr_assert_eq(ike_trust_load(two, 2, &t), 0);
	ike_trust_free(t);
}

/* ---- Identity ---- */

/* name's signature, with its chain, presented under (type, id). */
static int id_case(const char *name, uint8_t type, const void *id,
		   size_t len)
{
	struct ike_credential *c = cred(name);
	struct ike_trust *t = trust();
	struct peer p;
	struct sig s;
	int rc;

	sign(c, H_ALL, 4, true, &s);
	peer_of(c, 2, &p);
	rc = verify_id(t, &p, type, id, len, s.method, s.auth, s.len);
	ike_trust_free(t);
	ike_cred_free(c);
	return rc;
}

#define FQDN(name, s) id_case(name, IKE_ID_FQDN, s, strlen(s))
#define EMAIL(name, s) id_case(name, IKE_ID_RFC822_ADDR, s, strlen(s))

Test(ike_cert, id_dn)
{
	struct ike_credential *other = cred("p256");
	uint8_t dn[512];
	size_t len;

	cr_assert_eq(ike_cred_id_dn(other, dn, sizeof(dn), &len), 0);
	cr_assert_eq(id_case("p256", IKE_ID_DER_ASN1_DN, dn, len), 0);
	cr_assert_eq(id_case("rsa", IKE_ID_DER_ASN1_DN, dn, len), -EACCES);
	/* Exact DER: same name with a different last byte, or longer. */
	dn[len - 1] ^= 0x20;
	cr_assert_eq(id_case("p256", IKE_ID_DER_ASN1_DN, dn, len), -EACCES);
	dn[len - 1] ^= 0x20;
	cr_assert_eq(id_case("p256", IKE_ID_DER_ASN1_DN, dn, len + 1),
		     -EACCES);
	cr_assert_eq(id_case("p256", IKE_ID_DER_ASN1_DN, dn, 0), -EACCES);
	ike_cred_free(other);
}

Test(ike_cert, id_fqdn)
{
	cr_assert_eq(FQDN("rsa", "rsa.example.org"), 0);
	cr_assert_eq(FQDN("rsa", "RSA.Example.ORG"), 0);
	cr_assert_eq(FQDN("p384", "p384.example.org"), 0);
	cr_assert_eq(FQDN("ed25519", "ed25519.example.org"), 0);
	cr_assert_eq(FQDN("rsa", "p256.example.org"), -EACCES);
	cr_assert_eq(FQDN("rsa", "example.org"), -EACCES);
	cr_assert_eq(FQDN("rsa", "x.rsa.example.org"), -EACCES);
	cr_assert_eq(id_case("rsa", IKE_ID_FQDN, "rsa.example.org\0x", 17),
		     -EACCES);
	/* The subject's CN does not count, only subjectAltName. */
	cr_assert_eq(FQDN("wrongsan", "p256.example.org"), -EACCES);
	cr_assert_eq(FQDN("wrongsan", "wrong.example.net"), 0);
}

Test(ike_cert, id_email)
{
	cr_assert_eq(EMAIL("rsa", "rsa@example.org"), 0);
	cr_assert_eq(EMAIL("p384", "p384@example.org"), 0);
	cr_assert_eq(EMAIL("rsa", "p384@example.org"), -EACCES);
	cr_assert_eq(EMAIL("p256", "p256@example.org"), -EACCES);
	/* An FQDN is not an e-mail address, nor the other way round. */
	cr_assert_eq(EMAIL("rsa", "rsa.example.org"), -EACCES);
	cr_assert_eq(FQDN("rsa", "rsa@example.org"), -EACCES);
}

Test(ike_cert, id_ip)
{
	static const uint8_t v4[] = { 192, 0, 2, 1 }, v4b[] = { 192, 0, 2, 2 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 3 };

	cr_assert_eq(id_case("rsa", IKE_ID_IPV4_ADDR, v4, 4), 0);
	cr_assert_eq(id_case("p256", IKE_ID_IPV4_ADDR, v4b, 4), 0);
	cr_assert_eq(id_case("rsa", IKE_ID_IPV4_ADDR, v4b, 4), -EACCES);
	cr_assert_eq(id_case("rsa", IKE_ID_IPV6_ADDR, v6, 16), 0);
	cr_assert_eq(id_case("ed25519", IKE_ID_IPV6_ADDR, v6b, 16), 0);
	cr_assert_eq(id_case("rsa", IKE_ID_IPV6_ADDR, v6b, 16), -EACCES);
	cr_assert_eq(id_case("p384", IKE_ID_IPV4_ADDR, v4, 4), -EACCES);
	cr_assert_eq(id_case("rsa", IKE_ID_IPV4_ADDR, v4, 3), -EINVAL);
	cr_assert_eq(id_case("rsa", IKE_ID_IPV6_ADDR, v4, 4), -EINVAL);
	/* A KEY_ID cannot be bound to a certificate. */
	cr_assert_eq(id_case("rsa", IKE_ID_KEY_ID, v4, 4), -EACCES);
}

/* ---- Malformed or mismatched AUTH ---- */

/* AUTH of method 14 made of an AlgorithmIdentifier (hex) and a
 * signature (sig_len bytes of s). */
static size_t auth14(uint8_t *auth, const char *algid, const uint8_t *sig,
		     size_t sig_len)
{
	size_t n = hex(algid, auth + 1, 200);

	auth[0] = (uint8_t)n;
	memcpy(auth + 1 + n, sig, sig_len);
	return 1 + n + sig_len;
}

Test(ike_cert, auth_malformed_14)
{
	struct ike_credential *c = cred("rsa");
	struct ike_trust *t = trust();
	uint8_t a[1200], bare[1024];
	struct sig s;
	size_t n, bl;

	sign(c, H_256, 1, true, &s);
	bl = bare_sig(&s, bare);
	cr_assert_eq(verify_dn(t, c, 14, s.auth, s.len), 0);
	cr_assert_eq(verify_dn(t, c, 14, s.auth, 0), -EINVAL);
	cr_assert_eq(verify_dn(t, c, 14, s.auth, 1), -EINVAL);
	cr_assert_eq(verify_dn(t, c, 14, s.auth, 1 + 67), -EINVAL);
	cr_assert_eq(verify_dn(t, c, 14, s.auth, 30), -EINVAL);
	/* The ASN.1 length byte beyond the data. */
	memcpy(a, s.auth, s.len);
	a[0] = 200;
	cr_assert_eq(verify_dn(t, c, 14, a, 150), -EINVAL);
	a[0] = 0;
	cr_assert_eq(verify_dn(t, c, 14, a, s.len), -EINVAL);
	/* The length byte one more than the AlgorithmIdentifier. */
	a[0] = 68;
	cr_assert_eq(verify_dn(t, c, 14, a, s.len), -EINVAL);
	/* The SEQUENCE's own length beyond the length byte. */
	a[0] = 67;
	a[2] = 0x50;
	cr_assert_eq(verify_dn(t, c, 14, a, s.len), -EINVAL);
	/* Unknown OID 1.2.3.4.5; sha1WithRSAEncryption (not offered). */
	n = auth14(a, "3006 0604 2a03 0405", bare, bl);
	cr_assert_eq(verify_dn(t, c, 14, a, n), -EACCES);
	n = auth14(a, "300d 0609 2a86 4886 f70d 0101 0505 00", bare, bl);
	cr_assert_eq(verify_dn(t, c, 14, a, n), -EACCES);
	/* Not an AlgorithmIdentifier at all. */
	n = auth14(a, "0403 0102 03", bare, bl);
	cr_assert_eq(verify_dn(t, c, 14, a, n), -EINVAL);
	/* RSASSA-PSS with absent parameters (SHA-1 defaults, A.4.1). */
	n = auth14(a, "300b 0609 2a86 4886 f70d 0101 0a", bare, bl);
	cr_assert_eq(verify_dn(t, c, 14, a, n), -EACCES);
	/* RSASSA-PSS with a trailer field of 2. */
	n = auth14(a, "3046 0609 2a86 4886 f70d 0101 0a30 39a0 0f30 0d06 0960"
		      "8648 0165 0304 0201 0500 a11c 301a 0609 2a86 4886 f70d"
		      "0101 0830 0d06 0960 8648 0165 0304 0201 0500 a203 0201"
		      "20a3 0302 0102", bare, bl);
	cr_assert_eq(verify_dn(t, c, 14, a, n), -EINVAL);
	/* ... and with the default trailer field spelled out: fine. */
	n = auth14(a, "3046 0609 2a86 4886 f70d 0101 0a30 39a0 0f30 0d06 0960"
		      "8648 0165 0304 0201 0500 a11c 301a 0609 2a86 4886 f70d"
		      "0101 0830 0d06 0960 8648 0165 0304 0201 0500 a203 0201"
		      "20a3 0302 0101", bare, bl);
	cr_assert_eq(verify_dn(t, c, 14, a, n), 0);
	/* Key and algorithm disagree. */
	n = auth14(a, RFC_ECDSA_SHA256, bare, bl);
	cr_assert_eq(verify_dn(t, c, 14, a, n), -EACCES);
	n = auth14(a, RFC_ED25519, bare, bl);
	cr_assert_eq(verify_dn(t, c, 14, a, n), -EACCES);
	ike_trust_free(t);
	ike_cred_free(c);
}

Test(ike_cert, auth_mismatched_methods)
{
	struct ike_credential *ec = cred("p256"), *rsa = cred("rsa");
	struct ike_trust *t = trust();
	uint8_t a[1200], bare[1024];
	struct sig s;
	size_t n, bl;

	sign(ec, NULL, 0, false, &s);
	cr_assert_eq(verify_dn(t, ec, 9, s.auth, s.len), 0);
	cr_assert_eq(verify_dn(t, ec, 10, s.auth, s.len), -EACCES);
	cr_assert_eq(verify_dn(t, ec, 11, s.auth, s.len), -EACCES);
	cr_assert_eq(verify_dn(t, ec, 9, s.auth, s.len - 1), -EINVAL);
	cr_assert_eq(verify_dn(t, ec, 1, s.auth, s.len), -EACCES);
	cr_assert_eq(verify_dn(t, ec, IKE_AUTH_METHOD_PSK, s.auth, s.len),
		     -EACCES);
	cr_assert_eq(verify_dn(t, ec, IKE_AUTH_METHOD_NULL, s.auth, 0),
		     -EACCES);
	memset(a, 0, 64); /* r = s = 0 */
	cr_assert_eq(verify_dn(t, ec, 9, a, 64), -EACCES);
	memset(a, 0xff, 64); /* r, s > n */
	cr_assert_eq(verify_dn(t, ec, 9, a, 64), -EACCES);
	/* ECDSA in method 14 is DER, never r | s; NULL parameters refused. */
	n = auth14(a, RFC_ECDSA_SHA256, s.auth, s.len);
	cr_assert_eq(verify_dn(t, ec, 14, a, n), -EACCES);
	bl = bare_sig(&s, bare);
	n = auth14(a, "300c 0608 2a86 48ce 3d04 0302 0500", bare, bl);
	cr_assert_eq(verify_dn(t, ec, 14, a, n), -EINVAL);
	n = auth14(a, RFC_ECDSA_SHA256, bare, bl);
	cr_assert_eq(verify_dn(t, ec, 14, a, n), 0);
	n = auth14(a, RFC_SHA256_RSA, bare, bl);
	cr_assert_eq(verify_dn(t, ec, 14, a, n), -EACCES);
	/* RSA: method 9 and an RSA signature with the PKCS#1 OID and
	 * absent parameters (RFC 4055 allows both). */
	sign(rsa, H_256, 1, false, &s);
	bl = bare_sig(&s, bare);
	cr_assert_eq(verify_dn(t, rsa, 9, bare, 64), -EACCES);
	n = auth14(a, "300b 0609 2a86 4886 f70d 0101 0b", bare, bl);
	cr_assert_eq(verify_dn(t, rsa, 14, a, n), 0);
	ike_trust_free(t);
	ike_cred_free(rsa);
	ike_cred_free(ec);
}

/* Every truncation and many random corruptions of valid AUTH data are
 * refused with -EINVAL or -EACCES (and, under ASan, without a fault). */
static void corrupt(const char *name, const uint16_t *h, unsigned n,
		    bool pss)
{
	struct ike_credential *c = cred(name);
	struct ike_trust *t = trust();
	uint32_t x = 2463534242u;
	uint8_t a[1024];
	struct sig s;
	int rc;

	sign(c, h, n, pss, &s);
	for (size_t len = 0; len < s.len; len++) {
		rc = verify_dn(t, c, s.method, s.auth, len);
		cr_assert(rc == -EINVAL || rc == -EACCES, "%s len %zu: %d",
			  name, len, rc);
	}
	for (int i = 0; i < 300; i++) {
		memcpy(a, s.auth, s.len);
		for (int k = 0; k <= i % 4; k++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			/* Mostly the header and AlgorithmIdentifier. */
			a[(x >> 8) % (k ? s.len : 80 % s.len)] ^=
				(uint8_t)(x | 1);
		}
		rc = verify_dn(t, c, s.method, a, s.len);
		cr_assert(rc == -EINVAL || rc == -EACCES, "%s #%d: %d", name,
			  i, rc);
	}
	ike_trust_free(t);
	ike_cred_free(c);
}

Test(ike_cert, auth_corrupted, .timeout = 120)
{
	corrupt("rsa", H_256, 1, true);
	corrupt("rsa", H_512, 1, false);
	corrupt("rsa", NULL, 0, false);
	corrupt("p256", H_ALL, 4, false);
	corrupt("p384", NULL, 0, false);
	corrupt("ed25519", H_ID, 1, false);
}

Test(ike_cert, verify_bad_args)
{
	struct ike_credential *c = cred("p256");
	struct ike_trust *t = trust();
	const uint8_t *id = (const uint8_t *)"a";
	struct peer p;
	struct sig s;

	sign(c, NULL, 0, false, &s);
	peer_of(c, 2, &p);
	cr_assert_eq(ike_verify_peer(NULL, p.pl, 2, IKE_ID_FQDN, id, 1, 9,
				     s.auth, s.len, octets, sizeof(octets)),
		     -EINVAL);
	cr_assert_eq(ike_verify_peer(t, NULL, 2, IKE_ID_FQDN, id, 1, 9,
				     s.auth, s.len, octets, sizeof(octets)),
		     -EINVAL);
	cr_assert_eq(ike_verify_peer(t, p.pl, 2, IKE_ID_FQDN, NULL, 1, 9,
				     s.auth, s.len, octets, sizeof(octets)),
		     -EINVAL);
	cr_assert_eq(ike_verify_peer(t, p.pl, 2, IKE_ID_FQDN, id, 1, 9,
				     NULL, s.len, octets, sizeof(octets)),
		     -EINVAL);
	cr_assert_eq(ike_verify_peer(t, p.pl, 2, IKE_ID_FQDN, id, 1, 9,
				     s.auth, s.len, NULL, 0), -EINVAL);
	ike_trust_free(t);
	ike_cred_free(c);
}

Test(dn, text_to_der_matches_the_certificate_subject_as_a_name)
{
	char path[] = "/tmp/ike_dn_XXXXXX", cmd[512];
	uint8_t der[512], subj[512], *p = subj;
	size_t len;
	int fd = mkstemp(path), slen;
	X509 *x;
	FILE *f;

	cr_assert_geq(fd, 0);
	close(fd);
	/* A certificate the openssl command line makes: its subject is
	 * encoded as OpenSSL chooses, which need not be our bytes. */
	snprintf(cmd, sizeof(cmd), "openssl req -new -x509 -nodes -newkey ec "
		 "-pkeyopt ec_paramgen_curve:P-256 -subj '/C=CH/O=espgate test/CN=dn.example' "
		 "-keyout /dev/null -days 1 -out %s 2>/dev/null", path);
	cr_assert_eq(system(cmd), 0);
	f = fopen(path, "r");
	x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	unlink(path);
	cr_assert_not_null(x);
	slen = i2d_X509_NAME(X509_get_subject_name(x), &p);
	X509_free(x);
	cr_assert_gt(slen, 0);
	cr_assert_eq(ike_dn_from_text("C=CH, O=espgate test, CN=dn.example", der, sizeof(der), &len), 0);
	cr_expect(ike_dn_equal(der, len, subj, (size_t)slen), "the same name");
	cr_assert_eq(ike_dn_from_text("/C=CH/O=espgate test/CN=dn.example", der, sizeof(der), &len), 0);
	cr_expect(ike_dn_equal(der, len, subj, (size_t)slen), "written with slashes");
	cr_assert_eq(ike_dn_from_text("C=CH, O=espgate test, CN=other.example", der, sizeof(der), &len), 0);
	cr_expect_not(ike_dn_equal(der, len, subj, (size_t)slen), "another name");
	cr_expect_neq(ike_dn_from_text("no equals sign", der, sizeof(der), &len), 0);
	cr_expect_not(ike_dn_equal(subj, (size_t)slen - 1, subj, (size_t)slen), "truncated DER");
}
