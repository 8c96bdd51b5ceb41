/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_IKE_CERT_H
#define ESPGATE_IKE_CERT_H

/*
 * X.509 certificate authentication for IKE_AUTH on OpenSSL 3: our
 * credential (certificate chain and private key) signs AUTH, the peer's
 * CERT payloads are validated against a trust store, its ID checked
 * against the certificate and its AUTH verified (RFC 7296 §2.15, §3.6,
 * §3.8; RFC 7427 Digital Signature; RFC 4754 ECDSA; RFC 8420 EdDSA).
 *
 * Keys: RSA, ECDSA on P-256/P-384/P-521, Ed25519 and Ed448.
 *
 * Errors: 0 or a negative errno. -EINVAL for bad arguments or malformed
 * input, -ENOENT for a file that cannot be opened, -ENOTSUP when no
 * method fits the key (Ed25519 without the peer's Identity hash),
 * -ENOSPC when an output buffer is too small, -ENOKEY for a cleared
 * credential, -EACCES when the peer is not authenticated, -EIO when
 * OpenSSL fails for no reason of ours.
 *
 * Secrets: the private key lives only in OpenSSL's EVP_PKEY, which
 * clears it when freed; nothing in this file logs.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_types.h" /* struct ike_cert_data, IKE_ID_*, IKE_AUTH_METHOD_* */

/* Hash algorithm IDs of SIGNATURE_HASH_ALGORITHMS (notify type 16431),
 * RFC 7427 §4 and the IANA "IKEv2 Hash Algorithms" registry. */
enum ike_sig_hash {
	IKE_SIG_HASH_SHA1 = 1,
	IKE_SIG_HASH_SHA2_256 = 2,
	IKE_SIG_HASH_SHA2_384 = 3,
	IKE_SIG_HASH_SHA2_512 = 4,
	IKE_SIG_HASH_IDENTITY = 5,
};

#define IKE_CERT_CHAIN_MAX 8    /* our certificate and intermediates */
#define IKE_PEER_CERTS_MAX 16   /* X.509 CERT payloads we look at */
#define IKE_SIG_HASH_NOTIFY_LEN 8

struct ike_credential; /* our certificate (+ chain) and private key */
struct ike_trust;      /* CA certificates */

/* ---- Our credential ---- */

/*
 * cert_pem holds our certificate, optionally followed by intermediates
 * (end entity first, at most IKE_CERT_CHAIN_MAX); key_pem the matching
 * private key (unencrypted PEM). -EINVAL if the key does not match the
 * certificate, -ENOTSUP for another key type or curve.
 */
int ike_cred_load(const char *cert_pem, const char *key_pem,
		  struct ike_credential **out);
/* Drops the key (OpenSSL clears it) and the certificates: the
 * credential then signs nothing (-ENOKEY). ike_cred_free does this. */
void ike_cred_clear(struct ike_credential *c);
void ike_cred_free(struct ike_credential *c);

/* DER of the end-entity certificate (i = 0) and of each intermediate,
 * for CERT payloads of encoding IKE_CERT_X509_SIG. NULL if i >= count. */
unsigned ike_cred_cert_count(const struct ike_credential *c);
const uint8_t *ike_cred_cert_der(const struct ike_credential *c, unsigned i,
				 size_t *len);
/* Our ID as IKE_ID_DER_ASN1_DN: the DER of the certificate's subject. */
int ike_cred_id_dn(const struct ike_credential *c, uint8_t *out, size_t cap,
		   size_t *len);

/* The SIGNATURE_HASH_ALGORITHMS notify data we send (RFC 7427 §4):
 * SHA2-256, SHA2-384, SHA2-512, Identity as 2-byte IDs. Returns its
 * length (IKE_SIG_HASH_NOTIFY_LEN), 0 if cap is too small. */
size_t ike_sig_hash_notify(uint8_t *out, size_t cap);

/*
 * AUTH data over octets (the signed octets of RFC 7296 §2.15) and its
 * method.
 *
 * With the peer's hashes (from its SIGNATURE_HASH_ALGORITHMS, host
 * order; the caller passes n_hashes 0 when it sent none): method 14
 * (RFC 7427 §3: a 1-byte length, the AlgorithmIdentifier DER, the
 * signature) with the strongest hash both support. RSA: RSASSA-PSS
 * (MGF1 with the same hash, salt the hash's length) if prefer_pss, else
 * sha*WithRSAEncryption (PKCS#1 v1.5); ECDSA: the curve's hash (P-256
 * SHA-256, P-384 SHA-384, P-521 SHA-512) if the peer has it, DER
 * signature; Ed25519/Ed448: needs Identity (5).
 *
 * Without them, or with no hash in common: RSA method 1 (PKCS#1 v1.5
 * with SHA-1, RFC 7296 §3.8), ECDSA method 9/10/11 (RFC 4754: r | s,
 * fixed length). EdDSA has no such method: -ENOTSUP.
 *
 * -ENOSPC if cap cannot hold it (1 + 67 + EVP_PKEY_get_size() is
 * always enough).
 */
int ike_cred_sign(const struct ike_credential *c, const uint16_t *peer_hashes,
		  unsigned n_hashes, bool prefer_pss, const uint8_t *octets,
		  size_t octets_len, uint8_t *method, uint8_t *auth,
		  size_t cap, size_t *auth_len);

/*
 * IKEv1's SIG_I/SIG_R (RFC 2409 §5.1) over hash (HASH_I or HASH_R), as
 * IKEv1 peers make them: RSA PKCS#1 v1.5 block type 1 over the hash
 * itself with no DigestInfo (verify with IKE_AUTH_METHOD_V1_RSA); ECDSA
 * over the hash itself as the digest, r | s as RFC 4754 §7 writes them
 * (verify with IKE_AUTH_METHOD_V1_ECDSA). -ENOSPC as ike_cred_sign.
 */
int ike_cred_sign_hash(const struct ike_credential *c, const uint8_t *hash,
		       size_t hash_len, uint8_t *sig, size_t cap, size_t *sig_len);
/* 9/10/11 (RFC 4754 §3, the same numbers in IKEv1's authentication
 * method attribute) for an ECDSA credential, 0 for RSA or EdDSA. */
uint8_t ike_cred_ecdsa_method(const struct ike_credential *c);
/* Not IKEv2 methods: ike_verify_peer's names for IKEv1's signatures. */
#define IKE_AUTH_METHOD_V1_RSA 240
#define IKE_AUTH_METHOD_V1_ECDSA 241

/* ---- The peer ---- */

/* The CA certificates of n PEM files (each may hold several). */
/* A DN written as text ("C=CH, O=Example, CN=hq", RFC 4514-like with
 * ", " or "/" separators) as DER for an ID payload; 0 or -EINVAL. */
int ike_dn_from_text(const char *text, uint8_t *der, size_t cap, size_t *len);
/* Whether two DER DNs name the same entity (X509_NAME_cmp: string types
 * may differ). */
bool ike_dn_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

int ike_trust_load(const char *const *ca_pem_paths, unsigned n,
		   struct ike_trust **out);
void ike_trust_free(struct ike_trust *t);

/*
 * Authenticates the peer, in this order:
 *  1. certs: its CERT payloads as received; those of encoding
 *     IKE_CERT_X509_SIG are taken, the first as the end entity
 *     (§3.6), the others as untrusted intermediates; other encodings
 *     are ignored. -EINVAL if one is not exactly one DER certificate or
 *     there are more than IKE_PEER_CERTS_MAX, -EACCES if there is none.
 *  2. The chain is validated against t with X509_verify_cert (validity
 *     now, signatures, basic constraints; purpose any).
 *  3. id (the ID payload's type and Identification Data) is bound to
 *     the certificate: DER_ASN1_DN equals the subject DER exactly;
 *     FQDN, RFC822_ADDR, IPV4_ADDR, IPV6_ADDR match a subjectAltName
 *     (never the subject's CN; no wildcards). Other types: -EACCES.
 *  4. auth (AUTH Data of method) verifies over octets with the
 *     certificate's key: 1 RSA PKCS#1 v1.5 SHA-1; 9/10/11 ECDSA r | s
 *     on P-256/P-384/P-521 with SHA-256/384/512; 14 (RFC 7427) whose
 *     AlgorithmIdentifier must fit the key: sha{256,384,512}With-
 *     RSAEncryption, RSASSA-PSS with SHA-2 hash, MGF1 and salt length as
 *     its parameters say, ecdsa-with-SHA{256,384,512} (DER signature),
 *     Ed25519, Ed448. Other methods or algorithms: -EACCES.
 * 0 when all hold; -EACCES when one does not; -EINVAL for malformed
 * certificates or AUTH data.
 */
int ike_verify_peer(const struct ike_trust *t, const struct ike_cert_data *certs,
		    unsigned n_certs, uint8_t id_type, const uint8_t *id,
		    size_t id_len, uint8_t method, const uint8_t *auth,
		    size_t auth_len, const uint8_t *octets,
		    size_t octets_len);

#endif
