/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_IKE_CERT_PRIV_H
#define ESPGATE_IKE_CERT_PRIV_H

/* What ike_cert.c lends the EAP-TLS server (ikev2_eap_tls.c): the
 * OpenSSL objects behind a credential and a trust store, and the rule
 * that binds an identity to a certificate; not for other files. */

#include <openssl/x509.h>

#include "ike_cert.h"

/* The credential's private key (NULL once cleared); still owned by it. */
EVP_PKEY *ike_cred_pkey(const struct ike_credential *c);
/* The trust store of the CAs; still owned by t. */
X509_STORE *ike_trust_store(const struct ike_trust *t);
/* ike_verify_peer's step 3: 0 when the ID (type and data) names ee:
 * DER_ASN1_DN the subject, FQDN/RFC822_ADDR/IPV*_ADDR a subjectAltName;
 * -EACCES otherwise. */
int ike_cert_id_check(X509 *ee, uint8_t type, const uint8_t *id, size_t len);

#endif
