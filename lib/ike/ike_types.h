/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_IKE_TYPES_H
#define ESPGATE_IKE_TYPES_H

/*
 * The IKE engine's own names for what both protocol versions negotiate,
 * shared by the core, the version layers and the public API (ike.h):
 * protocols, transforms (by their IANA IKEv2 numbers, which the IKEv1
 * layer maps its attributes to), identity types, authentication methods,
 * decoded proposals, certificates and traffic selectors. Nothing here is
 * a wire layout: each version's codec decodes into these and encodes
 * from them.
 */

#include <stddef.h>
#include <stdint.h>

/* Protocol IDs, §3.3.1. */
enum ike_proto {
	IKE_PROTO_NONE = 0,
	IKE_PROTO_IKE = 1,
	IKE_PROTO_AH = 2,
	IKE_PROTO_ESP = 3,
};

/* Transform types, §3.3.2. */
enum ike_xform_type {
	IKE_XF_ENCR = 1,
	IKE_XF_PRF = 2,
	IKE_XF_INTEG = 3,
	IKE_XF_DH = 4,
	IKE_XF_ESN = 5,
};

/* Transform IDs, §3.3.2 and the IANA registry. */
enum {
	IKE_ENCR_3DES = 3,
	IKE_ENCR_NULL = 11,
	IKE_ENCR_AES_CBC = 12,
	IKE_ENCR_AES_CTR = 13,
	IKE_ENCR_AES_GCM_8 = 18,
	IKE_ENCR_AES_GCM_12 = 19,
	IKE_ENCR_AES_GCM_16 = 20,
	IKE_ENCR_CHACHA20_POLY1305 = 28,

	IKE_PRF_HMAC_SHA1 = 2,
	IKE_PRF_AES128_XCBC = 4,
	IKE_PRF_HMAC_SHA2_256 = 5,
	IKE_PRF_HMAC_SHA2_384 = 6,
	IKE_PRF_HMAC_SHA2_512 = 7,

	IKE_AUTH_NONE = 0,
	IKE_AUTH_HMAC_SHA1_96 = 2,
	IKE_AUTH_AES_XCBC_96 = 5,
	IKE_AUTH_HMAC_SHA2_256_128 = 12,
	IKE_AUTH_HMAC_SHA2_384_192 = 13,
	IKE_AUTH_HMAC_SHA2_512_256 = 14,

	IKE_DH_NONE = 0,
	IKE_DH_MODP1024 = 2,
	IKE_DH_MODP2048 = 14,
	IKE_DH_MODP3072 = 15,
	IKE_DH_MODP4096 = 16,
	IKE_DH_MODP6144 = 17,
	IKE_DH_MODP8192 = 18,
	IKE_DH_ECP256 = 19,
	IKE_DH_ECP384 = 20,
	IKE_DH_ECP521 = 21,
	IKE_DH_CURVE25519 = 31,
	IKE_DH_CURVE448 = 32,

	IKE_ESN_NO = 0,
	IKE_ESN_YES = 1,
};

/* ID types, §3.5. */
enum ike_id_type {
	IKE_ID_IPV4_ADDR = 1,
	IKE_ID_FQDN = 2,
	IKE_ID_RFC822_ADDR = 3,
	IKE_ID_IPV6_ADDR = 5,
	IKE_ID_DER_ASN1_DN = 9,
	IKE_ID_DER_ASN1_GN = 10,
	IKE_ID_KEY_ID = 11,
};

/* Certificate encodings, §3.6. */
enum ike_cert_enc {
	IKE_CERT_PKCS7 = 1,
	IKE_CERT_X509_SIG = 4,
	IKE_CERT_CRL = 7,
	IKE_CERT_RAW_RSA = 11,
	IKE_CERT_HASH_URL_X509 = 12,
	IKE_CERT_HASH_URL_BUNDLE = 13,
};

/* Authentication methods, §3.8; 14 is RFC 7427. */
enum ike_auth_method {
	IKE_AUTH_METHOD_RSA_SIG = 1,
	IKE_AUTH_METHOD_PSK = 2,
	IKE_AUTH_METHOD_DSS_SIG = 3,
	IKE_AUTH_METHOD_ECDSA_256 = 9,
	IKE_AUTH_METHOD_ECDSA_384 = 10,
	IKE_AUTH_METHOD_ECDSA_521 = 11,
	IKE_AUTH_METHOD_NULL = 13,
	IKE_AUTH_METHOD_DIGITAL_SIG = 14,
};

/* A selector's address family; the numbers are IKEv2's TS types
 * (RFC 7296 §3.13.1), so that layer writes them through. */
enum ike_sel_type {
	IKE_SEL_IPV4 = 7,
	IKE_SEL_IPV6 = 8,
};

#define IKE_SA_MAX_PROPOSALS 16
#define IKE_PROP_MAX_TRANSFORMS 64
#define IKE_TS_MAX 8 /* selectors per TS payload we take (one SA is kept per set) */
#define IKE_NONCE_MIN 16     /* §3.9 */
#define IKE_NONCE_MAX 256

/* §3.3.2; an attribute other than Key Length sets IKE_XF_F_UNKNOWN_ATTR:
 * the transform, and so its proposal, is unacceptable (§3.3.6). */
#define IKE_XF_F_UNKNOWN_ATTR 0x01

struct ike_transform {
	uint8_t t_type;      /* IKE_XF_*; other types kept, for §3.3.6 */
	uint8_t t_flags;
	uint16_t t_id;
	uint16_t t_keylen;   /* bits; 0: no Key Length attribute */
};

struct ike_proposal {
	uint8_t p_num;
	uint8_t p_proto;     /* IKE_PROTO_* */
	uint8_t p_spi_size;  /* 0 or 8 for IKE, 4 for AH/ESP */
	uint8_t p_spi[8];
	uint8_t p_nxf;
	struct ike_transform p_xf[IKE_PROP_MAX_TRANSFORMS];
};

/* The proposals of one SA offer (an SA payload of either version). */
struct ike_offer {
	unsigned sa_n;
	struct ike_proposal sa_prop[IKE_SA_MAX_PROPOSALS];
};

/* A certificate as it came (CERT payload, §3.6): encoding and bytes. */
struct ike_cert_data {
	uint8_t cert_enc;
	const uint8_t *cert_data;
	size_t cert_len;
};

/* A traffic selector: a range of addresses (network order; IPv4 in
 * the first 4 bytes), an IP protocol and a port range. */
struct ike_selector {
	uint8_t ts_type;     /* IKE_SEL_* */
	uint8_t ts_proto;    /* IP protocol, 0: any */
	uint16_t ts_sport;
	uint16_t ts_eport;   /* 65535/0: OPAQUE, RFC 7296 §3.13.1 */
	uint8_t ts_start[16];
	uint8_t ts_end[16];
};

/* A set of selectors (one side of a Child SA). */
struct ike_selectors {
	unsigned ts_n;
	struct ike_selector ts[IKE_TS_MAX];
};

#endif
