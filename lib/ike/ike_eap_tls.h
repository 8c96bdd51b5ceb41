/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_IKE_EAP_TLS_H
#define ESPGATE_IKE_EAP_TLS_H

/*
 * EAP-TLS (RFC 5216; with TLS 1.3, RFC 9190) as the authenticator: the
 * TLS server is OpenSSL's, over two memory BIOs; this module frames its
 * records as EAP-TLS Type-Data (Flags L/M/S, TLS Message Length, data),
 * in fragments both ways, and derives the MSK. The EAP header (Code,
 * Identifier, Length, Type) is ikev2_eap.c's. Private to lib/ike.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_cert.h"

#define IKE_EAP_TYPE_TLS 13
#define IKE_EAP_TLS_FRAG 1024    /* TLS bytes in one EAP-Request we send */
#define IKE_EAP_TLS_MAX 65536    /* TLS bytes a peer may send in one handshake */
#define IKE_EAP_TLS_MSK_LEN 64   /* RFC 5216 §2.3: MSK = Key_Material[0..63] */
#define IKE_EAP_TLS_OUT_MAX (IKE_EAP_TLS_FRAG + 5) /* Flags, Length, a fragment */

struct ike_eap_tls_cfg {
	const struct ike_credential *cred; /* our certificate: the TLS server's */
	const struct ike_trust *trust;     /* the CAs a client certificate chains to */
	bool tls13;                        /* TLS 1.3 (RFC 9190) too; else 1.2 only */
	uint16_t frag;                     /* 0: IKE_EAP_TLS_FRAG; at most that */
};

enum ike_eap_tls_step {
	IKE_EAP_TLS_SEND,      /* the next Request's Type-Data is in out */
	IKE_EAP_TLS_DONE,      /* handshake over, our last flight acknowledged: EAP-Success */
	IKE_EAP_TLS_FAIL,      /* *why says why: EAP-Failure */
	IKE_EAP_TLS_TOO_LARGE, /* the peer's handshake passed IKE_EAP_TLS_MAX: EAP-Failure */
};

struct ike_eap_tls;

/* A TLS server for one conversation; NULL with *why on failure. */
struct ike_eap_tls *ike_eap_tls_new(const struct ike_eap_tls_cfg *cfg, const char **why);
/* Frees it; the MSK and OpenSSL's secrets are wiped. */
void ike_eap_tls_free(struct ike_eap_tls *t);
/* The Type-Data of EAP-TLS/Start (RFC 5216 §3.1: the S flag only). */
size_t ike_eap_tls_start(struct ike_eap_tls *t, uint8_t *out, size_t cap);
/* The Type-Data of the peer's EAP-Response/EAP-TLS (after the Type
 * octet): the next Request's Type-Data in out (cap at least
 * IKE_EAP_TLS_OUT_MAX), or the end of the conversation. */
enum ike_eap_tls_step ike_eap_tls_input(struct ike_eap_tls *t, const uint8_t *in, size_t len,
					uint8_t *out, size_t cap, size_t *out_len,
					const char **why);
/* The MSK once IKE_EAP_TLS_DONE (RFC 5216 §2.3, RFC 9190 §2.3); -EAGAIN before. */
int ike_eap_tls_msk(const struct ike_eap_tls *t, uint8_t msk[IKE_EAP_TLS_MSK_LEN]);
/* 0 when an identity (ID payload type and data) names the client's
 * certificate (ike_verify_peer's rules), -EACCES otherwise. */
int ike_eap_tls_peer_id(const struct ike_eap_tls *t, uint8_t type, const uint8_t *id,
			size_t len);
/* 0 when an EAP identity (RFC 3748 §5.1: a NAI or a name) is one of the
 * certificate's subjectAltNames: an e-mail address with '@', else a DNS name. */
int ike_eap_tls_peer_name(const struct ike_eap_tls *t, const char *name);
/* The client certificate's subject (RFC 2253) for a log line. */
void ike_eap_tls_peer_subject(const struct ike_eap_tls *t, char *buf, size_t cap);
/* "TLS 1.2", "TLS 1.3", for a log line. */
const char *ike_eap_tls_version(const struct ike_eap_tls *t);

#endif
