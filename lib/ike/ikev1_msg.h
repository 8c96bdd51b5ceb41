/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_IKEV1_MSG_H
#define ESPGATE_IKEV1_MSG_H

/*
 * The ISAKMP codec of IKEv1 (RFC 2408 §3, the IPsec DOI of RFC 2407,
 * RFC 2409 App. A, NAT-T payloads of RFC 3947): the fixed header, the
 * generic payload chain, and a decoder and an encoder per payload.
 *
 * Decoding never copies: every decoded form points into the caller's
 * buffer, which must outlive it. Errors:
 *   -EINVAL           malformed: short, a length that disagrees with
 *                     its container, zero-length payload, bad counts
 *                     (answer PAYLOAD-MALFORMED, or drop);
 *   -EPROTO           unknown payload type in a chain, its type in
 *                     c_unknown (RFC 2408 §5.x: INVALID-PAYLOAD-TYPE);
 *   -EPROTONOSUPPORT  major version != 1, the header filled so that
 *                     INVALID-MAJOR-VERSION can be answered;
 *   -EOPNOTSUPP       unknown exchange type, the header filled
 *                     (INVALID-EXCHANGE-TYPE);
 *   -EMSGSIZE         writer: buffer full or a payload past 65535 bytes.
 * Encoders append to the IKEv2 writer (ikev2_msg.h: the generic payload
 * header is the same bytes, its flags byte being ISAKMP's RESERVED).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_wire.h"

#define IKEV1_HDR_LEN 28     /* RFC 2408 §3.1 */
#define IKEV1_GEN_HDR_LEN 4  /* §3.2 */
#define IKEV1_COOKIE_LEN 8
#define IKEV1_MAJOR 1
#define IKEV1_VERSION 0x10   /* major 1, minor 0 */
#define IKEV1_CHAIN_MAX 64

/* Header flags, §3.1. */
#define IKEV1_F_ENCRYPTION 0x01
#define IKEV1_F_COMMIT 0x02
#define IKEV1_F_AUTH_ONLY 0x04

/* Exchange types, RFC 2408 §3.1, RFC 2409 §5-5.5, §9.1. */
enum ikev1_exchange {
	IKEV1_EXCH_IDPROT = 2,      /* main mode */
	IKEV1_EXCH_AGGRESSIVE = 4,
	IKEV1_EXCH_INFO = 5,
	IKEV1_EXCH_TRANSACTION = 6, /* draft-dukes-ike-mode-cfg-02 §3.1 */
	IKEV1_EXCH_QUICK = 32,
};

/* Payload types, RFC 2408 §3.1; NAT-D and NAT-OA RFC 3947 §3.2, §5.2.
 * P and T only occur inside an SA payload. */
enum ikev1_pl_type {
	IKEV1_PL_NONE = 0,
	IKEV1_PL_SA = 1,
	IKEV1_PL_P = 2,
	IKEV1_PL_T = 3,
	IKEV1_PL_KE = 4,
	IKEV1_PL_ID = 5,
	IKEV1_PL_CERT = 6,
	IKEV1_PL_CR = 7,
	IKEV1_PL_HASH = 8,
	IKEV1_PL_SIG = 9,
	IKEV1_PL_NONCE = 10,
	IKEV1_PL_N = 11,
	IKEV1_PL_D = 12,
	IKEV1_PL_VID = 13,
	IKEV1_PL_ATTR = 14,  /* draft-dukes-ike-mode-cfg-02 §3.2 */
	IKEV1_PL_NAT_D = 20,
	IKEV1_PL_NAT_OA = 21,
	/* the vendor-ID-negotiated fragmentation of strongSwan and Cisco:
	 * only ever the one payload of a datagram of its own */
	IKEV1_PL_FRAG = 132,
};

/* DOI and situation, RFC 2407 §4.2, §4.2.1. */
#define IKEV1_DOI_IPSEC 1
#define IKEV1_SIT_IDENTITY_ONLY 0x01

/* Protocol IDs, RFC 2407 §4.4.1. */
enum ikev1_proto {
	IKEV1_PROTO_ISAKMP = 1,
	IKEV1_PROTO_AH = 2,
	IKEV1_PROTO_ESP = 3,
	IKEV1_PROTO_IPCOMP = 4,
};

/* Phase 1 attribute classes, RFC 2409 App. A. */
enum ikev1_p1_attr {
	IKEV1_A_ENCR = 1,
	IKEV1_A_HASH = 2,
	IKEV1_A_AUTH = 3,
	IKEV1_A_GROUP_DESC = 4,
	IKEV1_A_GROUP_TYPE = 5,
	IKEV1_A_LIFE_TYPE = 11,
	IKEV1_A_LIFE_DURATION = 12,
	IKEV1_A_PRF = 13,
	IKEV1_A_KEY_LENGTH = 14,
};

/* IPsec SA attribute classes, RFC 2407 §4.5. */
enum ikev1_p2_attr {
	IKEV1_A_SA_LIFE_TYPE = 1,
	IKEV1_A_SA_LIFE_DURATION = 2,
	IKEV1_A_SA_GROUP_DESC = 3,
	IKEV1_A_ENCAP_MODE = 4,
	IKEV1_A_AUTH_ALG = 5,
	IKEV1_A_SA_KEY_LENGTH = 6,
};

/* Identification types, RFC 2407 §4.6.2.1. */
enum ikev1_id_type {
	IKEV1_ID_IPV4_ADDR = 1,
	IKEV1_ID_FQDN = 2,
	IKEV1_ID_USER_FQDN = 3,
	IKEV1_ID_IPV4_ADDR_SUBNET = 4,
	IKEV1_ID_IPV6_ADDR = 5,
	IKEV1_ID_IPV6_ADDR_SUBNET = 6,
	IKEV1_ID_IPV4_ADDR_RANGE = 7,
	IKEV1_ID_IPV6_ADDR_RANGE = 8,
	IKEV1_ID_DER_ASN1_DN = 9,
	IKEV1_ID_DER_ASN1_GN = 10,
	IKEV1_ID_KEY_ID = 11,
};

/* Notify message types, RFC 2408 §3.14.1, RFC 2407 §4.6.3. */
enum ikev1_notify_type {
	IKEV1_N_INVALID_PAYLOAD_TYPE = 1,
	IKEV1_N_DOI_NOT_SUPPORTED = 2,
	IKEV1_N_SITUATION_NOT_SUPPORTED = 3,
	IKEV1_N_INVALID_COOKIE = 4,
	IKEV1_N_INVALID_MAJOR_VERSION = 5,
	IKEV1_N_INVALID_MINOR_VERSION = 6,
	IKEV1_N_INVALID_EXCHANGE_TYPE = 7,
	IKEV1_N_INVALID_FLAGS = 8,
	IKEV1_N_INVALID_MESSAGE_ID = 9,
	IKEV1_N_INVALID_PROTOCOL_ID = 10,
	IKEV1_N_INVALID_SPI = 11,
	IKEV1_N_INVALID_TRANSFORM_ID = 12,
	IKEV1_N_ATTRIBUTES_NOT_SUPPORTED = 13,
	IKEV1_N_NO_PROPOSAL_CHOSEN = 14,
	IKEV1_N_BAD_PROPOSAL_SYNTAX = 15,
	IKEV1_N_PAYLOAD_MALFORMED = 16,
	IKEV1_N_INVALID_KEY_INFORMATION = 17,
	IKEV1_N_INVALID_ID_INFORMATION = 18,
	IKEV1_N_INVALID_HASH_INFORMATION = 23,
	IKEV1_N_AUTHENTICATION_FAILED = 24,
	IKEV1_N_INVALID_SIGNATURE = 25,
	IKEV1_N_RESPONDER_LIFETIME = 24576,
	IKEV1_N_REPLAY_STATUS = 24577,
	IKEV1_N_INITIAL_CONTACT = 24578,
};

/* The fixed header, RFC 2408 §3.1. */
struct ikev1_hdr {
	uint8_t h_cky_i[IKEV1_COOKIE_LEN];
	uint8_t h_cky_r[IKEV1_COOKIE_LEN];
	uint8_t h_next;      /* first payload */
	uint8_t h_major;
	uint8_t h_minor;
	uint8_t h_exchange;
	uint8_t h_flags;     /* IKEV1_F_* */
	uint32_t h_msgid;
	uint32_t h_length;
};

/* One payload of a chain; the body points into the parsed buffer. */
struct ikev1_payload {
	uint8_t pl_type;
	uint8_t pl_next;
	uint32_t pl_off;      /* generic header's offset in the buffer */
	const uint8_t *pl_body;
	uint16_t pl_len;      /* body length, generic header excluded */
};

struct ikev1_chain {
	struct ikev1_payload c_pl[IKEV1_CHAIN_MAX];
	unsigned c_n;
	uint8_t c_unknown;    /* -EPROTO: the unknown payload type */
	size_t c_trailing;    /* bytes after the last payload (padding) */
};

struct ikev1_msg {
	struct ikev1_hdr m_hdr;
	const uint8_t *m_buf; /* the whole message, header included */
	size_t m_len;
	struct ikev1_chain m_chain; /* empty when m_hdr has E set */
	const uint8_t *m_enc; /* E set: the ciphertext after the header */
	size_t m_enc_len;
};

/* Known exchange types (the five above). */
bool ikev1_exchange_known(uint8_t exchange);
/* Known top-level payload types (P and T are not). */
bool ikev1_pl_known(uint8_t type);

/* Reads the fixed header; its length must equal len (the datagram, any
 * non-ESP marker removed). */
int ikev1_hdr_parse(const uint8_t *buf, size_t len, struct ikev1_hdr *h);

/*
 * Parses a chain starting with type first over buf. Offsets are from
 * buf. With padded false the last payload must end the buffer; with
 * padded true (a decrypted body, RFC 2409 App. B) bytes may follow it,
 * counted in c_trailing.
 */
int ikev1_chain_parse(uint8_t first, const uint8_t *buf, size_t len,
		      bool padded, struct ikev1_chain *c);

/* Header and, unless E is set, chain of a whole datagram. */
int ikev1_msg_parse(const uint8_t *buf, size_t len, struct ikev1_msg *m);

/* The first payload of type at index >= from, or NULL. */
const struct ikev1_payload *ikev1_chain_find(const struct ikev1_chain *c,
					     uint8_t type, unsigned from);

/* ---- payload bodies ---- */

/* A data attribute, RFC 2408 §3.3: TV (AF set, a 2-byte value in a_val)
 * or TLV (a_data, a_len). a_type is without the AF bit. */
struct ikev1_attr {
	uint16_t a_type;
	bool a_tv;
	uint16_t a_val;
	const uint8_t *a_data;
	uint16_t a_len;
};

/* A transform, §3.6: its attributes undecoded (ikev1_attr_next). */
struct ikev1_xform {
	uint8_t t_next;       /* IKEV1_PL_T or NONE */
	uint8_t t_num;
	uint8_t t_id;
	const uint8_t *t_attrs;
	size_t t_attrs_len;
};

/* A proposal, §3.5: its transforms undecoded (ikev1_xform_next). */
struct ikev1_prop {
	uint8_t p_next;       /* IKEV1_PL_P or NONE */
	uint8_t p_num;
	uint8_t p_proto;
	uint8_t p_spi_len;
	uint8_t p_ntrans;
	const uint8_t *p_spi;
	const uint8_t *p_xforms;
	size_t p_xforms_len;
};

/* The SA payload, §3.4, IPsec DOI situation (RFC 2407 §4.6.1). */
struct ikev1_sa {
	uint32_t sa_doi;
	uint32_t sa_sit;
	const uint8_t *sa_props;
	size_t sa_props_len;
	unsigned sa_nprops;
};

/*
 * Walking an SA: *it starts at the bytes of the container (sa_props,
 * p_xforms, t_attrs) and each call decodes the next element: 1 and the
 * element, 0 at the end, -EINVAL when malformed. ikev1_sa_decode()
 * already walked everything once, so after it these only fail on
 * buffers it did not check.
 */
struct ikev1_iter {
	const uint8_t *it_p;
	size_t it_left;
	uint8_t it_next;      /* the type the previous element announced */
};
void ikev1_iter_init(struct ikev1_iter *it, const uint8_t *p, size_t len,
		     uint8_t first);
int ikev1_prop_next(struct ikev1_iter *it, struct ikev1_prop *p);
int ikev1_xform_next(struct ikev1_iter *it, struct ikev1_xform *t);
int ikev1_attr_next(struct ikev1_iter *it, struct ikev1_attr *a);
/* The value of a TV, or of a TLV of 1..8 bytes. */
int ikev1_attr_uint(const struct ikev1_attr *a, uint64_t *v);

int ikev1_sa_decode(const uint8_t *body, size_t len, struct ikev1_sa *sa);

/* The Identification payload, RFC 2407 §4.6.2; id_data checked against
 * its type's length (4, 8, 16, 32 for addresses, subnets, ranges). */
struct ikev1_id {
	uint8_t id_type;
	uint8_t id_proto;
	uint16_t id_port;
	const uint8_t *id_data;
	size_t id_len;
};
int ikev1_id_decode(const uint8_t *body, size_t len, struct ikev1_id *id);

/* CERT (§3.9: encoding, data) and CR (§3.10: type, authority). */
struct ikev1_cert {
	uint8_t c_enc;
	const uint8_t *c_data;
	size_t c_len;
};
int ikev1_cert_decode(const uint8_t *body, size_t len, struct ikev1_cert *c);

/* Notification, §3.14. */
struct ikev1_notify {
	uint32_t n_doi;
	uint8_t n_proto;
	uint8_t n_spi_len;
	uint16_t n_type;
	const uint8_t *n_spi;
	const uint8_t *n_data;
	size_t n_data_len;
};
int ikev1_notify_decode(const uint8_t *body, size_t len,
			struct ikev1_notify *n);
/* The RFC's name of a notify type, for logs; NULL when we have none. */
const char *ikev1_notify_name(uint16_t type);

/* Delete, §3.15: d_nspis SPIs of d_spi_len bytes each, back to back. */
struct ikev1_delete {
	uint32_t d_doi;
	uint8_t d_proto;
	uint8_t d_spi_len;
	uint16_t d_nspis;
	const uint8_t *d_spis;
};
int ikev1_delete_decode(const uint8_t *body, size_t len,
			struct ikev1_delete *d);

/* NAT-OA, RFC 3947 §5.2: ID type IPV4_ADDR or IPV6_ADDR, 3 reserved
 * bytes, the address. */
struct ikev1_nat_oa {
	uint8_t oa_type;
	const uint8_t *oa_addr;
	size_t oa_len;
};
int ikev1_nat_oa_decode(const uint8_t *body, size_t len,
			struct ikev1_nat_oa *oa);

/*
 * A fragment (strongSwan's and Cisco's scheme, negotiated by the
 * FRAGMENTATION vendor ID): an ISAKMP header whose next payload is
 * IKEV1_PL_FRAG and that one payload, its body the fragment ID (2
 * bytes), number (1 byte, from 1), flags (1 byte: IKEV1_FRAG_LAST) and
 * a slice of the whole message (encrypted or not) as it would have been
 * sent. The E flag is ignored in a fragment's header (racoon sets it).
 */
#define IKEV1_FRAG_HDR_LEN 4
#define IKEV1_FRAG_LAST 0x01
struct ikev1_frag {
	uint16_t f_id;
	uint8_t f_num;
	bool f_last;
	const uint8_t *f_data;
	size_t f_len;
};
/* A whole datagram that is one fragment: header and fragment; -EINVAL
 * when it is not one, or number or data are zero. */
int ikev1_frag_parse(const uint8_t *buf, size_t len, struct ikev1_hdr *h,
		     struct ikev1_frag *f);
void ikev1_w_frag(struct ike_writer *w, const struct ikev1_frag *f);

/*
 * The Attribute payload of the transaction exchange (draft-dukes-ike-
 * mode-cfg-02 §3.2): a type, 1 reserved byte, an identifier and data
 * attributes as RFC 2408 §3.3's (TV or TLV, ikev1_attr). XAUTH's
 * attributes (draft-beaulieu-ike-xauth-02 §6) and Cisco Unity's ride in
 * it too.
 */
enum ikev1_cfg_type {
	IKEV1_CFG_REQUEST = 1,
	IKEV1_CFG_REPLY = 2,
	IKEV1_CFG_SET = 3,
	IKEV1_CFG_ACK = 4,
};

enum ikev1_cfg_attr_type {
	IKEV1_CA_INTERNAL_IP4_ADDRESS = 1,  /* mode-cfg §3.3 */
	IKEV1_CA_INTERNAL_IP4_NETMASK = 2,
	IKEV1_CA_INTERNAL_IP4_DNS = 3,
	IKEV1_CA_INTERNAL_IP4_NBNS = 4,
	IKEV1_CA_INTERNAL_ADDRESS_EXPIRY = 5,
	IKEV1_CA_INTERNAL_IP4_DHCP = 6,
	IKEV1_CA_APPLICATION_VERSION = 7,
	IKEV1_CA_INTERNAL_IP6_ADDRESS = 8,
	IKEV1_CA_INTERNAL_IP6_NETMASK = 9,
	IKEV1_CA_INTERNAL_IP6_DNS = 10,
	IKEV1_CA_INTERNAL_IP6_NBNS = 11,
	IKEV1_CA_INTERNAL_IP6_DHCP = 12,
	IKEV1_CA_INTERNAL_IP4_SUBNET = 13,
	IKEV1_CA_SUPPORTED_ATTRIBUTES = 14,
	IKEV1_CA_INTERNAL_IP6_SUBNET = 15,
	IKEV1_CA_XAUTH_TYPE = 16520,        /* xauth §6.1 */
	IKEV1_CA_XAUTH_USER_NAME = 16521,
	IKEV1_CA_XAUTH_USER_PASSWORD = 16522,
	IKEV1_CA_XAUTH_PASSCODE = 16523,
	IKEV1_CA_XAUTH_MESSAGE = 16524,
	IKEV1_CA_XAUTH_CHALLENGE = 16525,
	IKEV1_CA_XAUTH_DOMAIN = 16526,
	IKEV1_CA_XAUTH_STATUS = 16527,
	IKEV1_CA_XAUTH_NEXT_PIN = 16528,
	IKEV1_CA_XAUTH_ANSWER = 16529,
	IKEV1_CA_UNITY_BANNER = 28672,      /* Cisco Unity, as strongSwan has them */
	IKEV1_CA_UNITY_SAVE_PASSWD = 28673,
	IKEV1_CA_UNITY_DEF_DOMAIN = 28674,
	IKEV1_CA_UNITY_SPLITDNS_NAME = 28675,
	IKEV1_CA_UNITY_SPLIT_INCLUDE = 28676,
	IKEV1_CA_UNITY_NATT_PORT = 28677,
	IKEV1_CA_UNITY_LOCAL_LAN = 28678,
	IKEV1_CA_UNITY_PFS = 28679,
	IKEV1_CA_UNITY_FW_TYPE = 28680,
	IKEV1_CA_UNITY_BACKUP_SERVERS = 28681,
	IKEV1_CA_UNITY_DDNS_HOSTNAME = 28682,
};

#define IKEV1_XAUTH_TYPE_GENERIC 0 /* xauth §6.2 */
#define IKEV1_XAUTH_STATUS_FAIL 0
#define IKEV1_XAUTH_STATUS_OK 1
#define IKEV1_UNITY_SPLIT_LEN 14   /* address, mask, 6 bytes protocol and ports */
#define IKEV1_CFG_ATTRS_MAX 48

struct ikev1_cfg_pl {
	uint8_t cp_type;      /* IKEV1_CFG_* */
	uint16_t cp_id;       /* the identifier a reply or ack repeats */
	struct ikev1_attr cp_attr[IKEV1_CFG_ATTRS_MAX];
	unsigned cp_n;
};
/* -EINVAL: short, an attribute past the body, more than
 * IKEV1_CFG_ATTRS_MAX, or a type outside REQUEST..ACK. */
int ikev1_cfg_decode(const uint8_t *body, size_t len, struct ikev1_cfg_pl *cp);
/* The first attribute of type, or NULL. */
const struct ikev1_attr *ikev1_cfg_find(const struct ikev1_cfg_pl *cp, uint16_t type);
void ikev1_w_cfg(struct ike_writer *w, const struct ikev1_cfg_pl *cp);

/* KE, HASH, SIG, NONCE, VID, NAT-D carry data only: the payload body.
 * This checks it is not empty, and NONCE's 8..256 bytes (RFC 2409 §5). */
int ikev1_data_check(uint8_t type, size_t len);

/* ---- encoders ---- */

/* The fixed header, version 1.0; h_next and h_length are ignored: the
 * first payload and ike_w_finish() fill them. */
void ikev1_w_hdr(struct ike_writer *w, const struct ikev1_hdr *h);

/* What ikev1_w_sa() writes: proposals of transforms of attributes. */
struct ikev1_xform_spec {
	uint8_t xs_num;
	uint8_t xs_id;
	const struct ikev1_attr *xs_attrs;
	size_t xs_nattrs;
};
struct ikev1_prop_spec {
	uint8_t ps_num;
	uint8_t ps_proto;
	const uint8_t *ps_spi;
	uint8_t ps_spi_len;
	const struct ikev1_xform_spec *ps_xf;
	size_t ps_nxf;
};
void ikev1_w_attr(struct ike_writer *w, const struct ikev1_attr *a);
void ikev1_w_sa(struct ike_writer *w, uint32_t doi, uint32_t sit,
		const struct ikev1_prop_spec *props, size_t nprops);
/* KE, HASH, SIG, NONCE, VID, NAT-D. */
void ikev1_w_data(struct ike_writer *w, uint8_t type, const void *p,
		  size_t len);
void ikev1_w_id(struct ike_writer *w, const struct ikev1_id *id);
/* type IKEV1_PL_CERT or IKEV1_PL_CR. */
void ikev1_w_cert(struct ike_writer *w, uint8_t type,
		  const struct ikev1_cert *c);
void ikev1_w_notify(struct ike_writer *w, const struct ikev1_notify *n);
void ikev1_w_delete(struct ike_writer *w, const struct ikev1_delete *d);
void ikev1_w_nat_oa(struct ike_writer *w, const struct ikev1_nat_oa *oa);

#endif
