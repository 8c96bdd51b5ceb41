/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_IKE_MSG_H
#define ESPGATE_IKE_MSG_H

/*
 * IKEv2 message framing, RFC 7296 §3.1-3.2: the fixed header, the chain
 * of generic payloads and the table of payloads each exchange allows
 * (checked before any exchange code runs); the writer and the generic
 * header reader are in ike_wire.h, shared with IKEv1.
 *
 * Parsing never copies: a parsed message points into the caller's buffer,
 * which must outlive it. Errors: 0, -EINVAL (malformed: answer
 * INVALID_SYNTAX or drop), -EPROTO (unsupported critical payload, its type
 * in c_unsupported), -EPROTONOSUPPORT (major version != 2, header filled
 * so that INVALID_MAJOR_VERSION can be answered), -EMSGSIZE (writer).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_wire.h"

#define IKE_HDR_LEN 28       /* §3.1 */
#define IKE_GEN_HDR_LEN 4    /* §3.2 */
#define IKE_VERSION 0x20     /* major 2, minor 0 */
#define IKE_MAJOR 2

/* Header flags, §3.1. */
#define IKE_HDR_F_INITIATOR 0x08
#define IKE_HDR_F_VERSION 0x10
#define IKE_HDR_F_RESPONSE 0x20

/* Generic payload header flags, §3.2. */
#define IKE_PL_F_CRITICAL 0x80

/* Most payloads a chain (cleartext, or the content of SK) may hold. */
#define IKE_CHAIN_MAX 64

/* Exchange types, §3.1. */
enum ike_exchange {
	IKE_EXCH_SA_INIT = 34,
	IKE_EXCH_AUTH = 35,
	IKE_EXCH_CREATE_CHILD_SA = 36,
	IKE_EXCH_INFORMATIONAL = 37,
};

/* Payload types, §3.2; SKF is RFC 7383. */
enum ike_pl_type {
	IKE_PL_NONE = 0,
	IKE_PL_SA = 33,
	IKE_PL_KE = 34,
	IKE_PL_IDI = 35,
	IKE_PL_IDR = 36,
	IKE_PL_CERT = 37,
	IKE_PL_CERTREQ = 38,
	IKE_PL_AUTH = 39,
	IKE_PL_NONCE = 40,
	IKE_PL_NOTIFY = 41,
	IKE_PL_DELETE = 42,
	IKE_PL_VENDOR = 43,
	IKE_PL_TSI = 44,
	IKE_PL_TSR = 45,
	IKE_PL_SK = 46,
	IKE_PL_CP = 47,
	IKE_PL_EAP = 48,
	IKE_PL_SKF = 53,
};

/* Notify message types, §3.10.1; error types are below 16384. */
enum ike_notify_type {
	IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKE_N_INVALID_IKE_SPI = 4,
	IKE_N_INVALID_MAJOR_VERSION = 5,
	IKE_N_INVALID_SYNTAX = 7,
	IKE_N_INVALID_MESSAGE_ID = 9,
	IKE_N_INVALID_SPI = 11,
	IKE_N_NO_PROPOSAL_CHOSEN = 14,
	IKE_N_INVALID_KE_PAYLOAD = 17,
	IKE_N_AUTHENTICATION_FAILED = 24,
	IKE_N_SINGLE_PAIR_REQUIRED = 34,
	IKE_N_NO_ADDITIONAL_SAS = 35,
	IKE_N_INTERNAL_ADDRESS_FAILURE = 36,
	IKE_N_FAILED_CP_REQUIRED = 37,
	IKE_N_TS_UNACCEPTABLE = 38,
	IKE_N_INVALID_SELECTORS = 39,
	IKE_N_TEMPORARY_FAILURE = 43,
	IKE_N_UNACCEPTABLE_ADDRESSES = 40,   /* RFC 4555 §4.2 */
	IKE_N_UNEXPECTED_NAT_DETECTED = 41,  /* RFC 4555 §4.2 */
	IKE_N_CHILD_SA_NOT_FOUND = 44,
	IKE_N_ERROR_MAX = 16383,

	IKE_N_INITIAL_CONTACT = 16384,
	IKE_N_SET_WINDOW_SIZE = 16385,
	IKE_N_ADDITIONAL_TS_POSSIBLE = 16386,
	IKE_N_IPCOMP_SUPPORTED = 16387,
	IKE_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKE_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKE_N_COOKIE = 16390,
	IKE_N_USE_TRANSPORT_MODE = 16391,
	IKE_N_HTTP_CERT_LOOKUP_SUPPORTED = 16392,
	IKE_N_REKEY_SA = 16393,
	IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	IKE_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	IKE_N_MOBIKE_SUPPORTED = 16396,               /* RFC 4555 §4.2 */
	IKE_N_ADDITIONAL_IP4_ADDRESS = 16397,
	IKE_N_ADDITIONAL_IP6_ADDRESS = 16398,
	IKE_N_NO_ADDITIONAL_ADDRESSES = 16399,
	IKE_N_UPDATE_SA_ADDRESSES = 16400,
	IKE_N_COOKIE2 = 16401,
	IKE_N_NO_NATS_ALLOWED = 16402,
	IKE_N_MULTIPLE_AUTH_SUPPORTED = 16404,
	IKE_N_REDIRECT_SUPPORTED = 16406,
	IKE_N_EAP_ONLY_AUTHENTICATION = 16417,        /* RFC 5998 §3 */
	IKE_N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,  /* RFC 7383 */
	IKE_N_SIGNATURE_HASH_ALGORITHMS = 16431,      /* RFC 7427 */
};

/* The fixed header, §3.1. SPIs are the 8 wire bytes read big-endian. */
struct ike_hdr {
	uint64_t h_spi_i;
	uint64_t h_spi_r;
	uint8_t h_next;      /* first payload */
	uint8_t h_major;
	uint8_t h_minor;
	uint8_t h_exchange;
	uint8_t h_flags;     /* IKE_HDR_F_* */
	uint32_t h_msgid;
	uint32_t h_length;
};

/* One payload of a chain; the body points into the parsed buffer. */
struct ike_payload {
	uint8_t pl_type;
	uint8_t pl_next;       /* next payload field; for SK/SKF the inner first */
	bool pl_critical;
	uint32_t pl_off;       /* offset of the generic header in the buffer */
	const uint8_t *pl_body;
	uint16_t pl_len;       /* body length, generic header excluded */
};

struct ike_chain {
	struct ike_payload c_pl[IKE_CHAIN_MAX];
	unsigned c_n;
	unsigned c_skipped;    /* unknown non-critical payloads, §2.5 */
	uint8_t c_unsupported; /* -EPROTO: the unknown critical payload */
};

struct ike_msg {
	struct ike_hdr m_hdr;
	const uint8_t *m_buf;  /* the whole message, header included */
	size_t m_len;
	struct ike_chain m_chain;
	size_t m_sk_off;       /* SK/SKF generic header offset, 0: none */
};

/* Reads the fixed header and checks its length equals len (the UDP
 * payload, non-ESP marker removed). -EPROTONOSUPPORT for major != 2
 * with *h filled. */
int ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *h);

/* Parses a payload chain starting with type first over buf (the
 * decrypted SK content, padding removed). Offsets are from buf. */
int ike_chain_parse(uint8_t first, const uint8_t *buf, size_t len,
		    struct ike_chain *c);

/* Header and chain of a whole datagram. SK or SKF, when present, is
 * last and stays opaque; m_sk_off says where it starts. */
int ike_msg_parse(const uint8_t *buf, size_t len, struct ike_msg *m);

/* The first payload of type at index >= from, or NULL. */
const struct ike_payload *ike_chain_find(const struct ike_chain *c,
					 uint8_t type, unsigned from);
unsigned ike_chain_count(const struct ike_chain *c, uint8_t type);

/*
 * Checks a chain against the allowed-payload table of the exchange
 * (RFC 7296 §1.2-1.5): in_sk false for the cleartext chain of the
 * message, true for the decrypted SK content. 0 or -EINVAL with the
 * offending payload type in *bad (0: unknown exchange); a missing
 * mandatory payload is reported by its type too.
 */
/* An error notify's name (RFC 7296 §3.10.1), or "notify N" for another
 * (a static buffer). */
const char *ike_notify_name(uint16_t type);

int ike_msg_check_payloads(uint8_t exchange, bool is_response, bool in_sk,
			   const struct ike_chain *c, uint8_t *bad);

/* The fixed header with version 2.0; h_next and h_length are ignored:
 * the first ike_w_pl_begin() and ike_w_finish() fill them. */
void ike_w_hdr(struct ike_writer *w, const struct ike_hdr *h);
#endif
