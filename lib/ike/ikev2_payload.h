/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_IKE_PAYLOAD_H
#define ESPGATE_IKE_PAYLOAD_H

/*
 * Typed IKEv2 payloads, RFC 7296 §3.3-3.15: decode from a parsed
 * struct ike_payload (results point into the message buffer) and encode
 * through a struct ike_writer (a whole payload, generic header included).
 * Decoders return 0 or -EINVAL; encoders record failures in the writer.
 */

#include "ike_types.h"
#include "ikev2_msg.h"

#define IKE_CP_MAX 32


/* Transform attribute types, §3.3.5. */
#define IKE_ATTR_KEY_LENGTH 14
#define IKE_ATTR_F_TV 0x8000



/* Configuration payload, §3.15. */
enum ike_cfg_type {
	IKE_CFG_REQUEST = 1,
	IKE_CFG_REPLY = 2,
	IKE_CFG_SET = 3,
	IKE_CFG_ACK = 4,
};

enum ike_cfg_attr {
	IKE_CA_INTERNAL_IP4_ADDRESS = 1,
	IKE_CA_INTERNAL_IP4_NETMASK = 2,
	IKE_CA_INTERNAL_IP4_DNS = 3,
	IKE_CA_INTERNAL_IP4_NBNS = 4,
	IKE_CA_INTERNAL_IP4_DHCP = 6,
	IKE_CA_APPLICATION_VERSION = 7,
	IKE_CA_INTERNAL_IP6_ADDRESS = 8,
	IKE_CA_INTERNAL_IP6_DNS = 10,
	IKE_CA_INTERNAL_IP6_DHCP = 12,
	IKE_CA_INTERNAL_IP4_SUBNET = 13,
	IKE_CA_SUPPORTED_ATTRIBUTES = 14,
	IKE_CA_INTERNAL_IP6_SUBNET = 15,
};


struct ike_pl_ke {
	uint16_t ke_group;
	const uint8_t *ke_data;
	size_t ke_len;
};

/* IDi, IDr (§3.5). The AUTH computation signs the whole body
 * (RestOfIDPayload): struct ike_payload's pl_body/pl_len. */
struct ike_pl_id {
	uint8_t id_type;
	const uint8_t *id_data;
	size_t id_len;
};


struct ike_pl_auth {
	uint8_t auth_method;
	const uint8_t *auth_data;
	size_t auth_len;
};

struct ike_pl_nonce {
	const uint8_t *nonce_data;
	size_t nonce_len;
};

struct ike_pl_notify {
	uint8_t n_proto;
	uint8_t n_spi_size;  /* 0, 4 or 8 */
	uint16_t n_type;
	uint8_t n_spi[8];
	const uint8_t *n_data;
	size_t n_len;
};

struct ike_pl_delete {
	uint8_t d_proto;
	uint8_t d_spi_size;  /* 0 for IKE, 4 for AH/ESP */
	uint16_t d_count;
	const uint8_t *d_spis; /* d_count SPIs on the wire; ike_pl_delete_spi() */
};


struct ike_cp_attr {
	uint16_t ca_type;
	const uint8_t *ca_val;
	uint16_t ca_len;
};

struct ike_pl_cp {
	uint8_t cp_type;     /* IKE_CFG_* */
	unsigned cp_n;
	struct ike_cp_attr cp_attr[IKE_CP_MAX];
};

int ike_pl_sa_decode(const struct ike_payload *pl, struct ike_offer *sa);
void ike_pl_sa_encode(struct ike_writer *w, const struct ike_offer *sa);

int ike_pl_ke_decode(const struct ike_payload *pl, struct ike_pl_ke *ke);
void ike_pl_ke_encode(struct ike_writer *w, const struct ike_pl_ke *ke);

/* type: IKE_PL_IDI or IKE_PL_IDR. */
int ike_pl_id_decode(const struct ike_payload *pl, struct ike_pl_id *id);
void ike_pl_id_encode(struct ike_writer *w, uint8_t type,
		      const struct ike_pl_id *id);

/* type: IKE_PL_CERT or IKE_PL_CERTREQ (whose data may be empty). */
int ike_pl_cert_decode(const struct ike_payload *pl, struct ike_cert_data *c);
void ike_pl_cert_encode(struct ike_writer *w, uint8_t type,
			const struct ike_cert_data *c);

int ike_pl_auth_decode(const struct ike_payload *pl, struct ike_pl_auth *a);
void ike_pl_auth_encode(struct ike_writer *w, const struct ike_pl_auth *a);

int ike_pl_nonce_decode(const struct ike_payload *pl,
			struct ike_pl_nonce *n);
void ike_pl_nonce_encode(struct ike_writer *w, const struct ike_pl_nonce *n);

int ike_pl_notify_decode(const struct ike_payload *pl,
			 struct ike_pl_notify *n);
void ike_pl_notify_encode(struct ike_writer *w,
			  const struct ike_pl_notify *n);

int ike_pl_delete_decode(const struct ike_payload *pl,
			 struct ike_pl_delete *d);
/* The i-th SPI (host order); false when i >= d_count. */
bool ike_pl_delete_spi(const struct ike_pl_delete *d, unsigned i,
		       uint32_t *spi);
/* proto IKE: no SPIs (n must be 0); AH/ESP: n 4-byte SPIs. */
void ike_pl_delete_encode(struct ike_writer *w, uint8_t proto,
			  const uint32_t *spis, uint16_t n);

void ike_pl_vendor_encode(struct ike_writer *w, const void *id, size_t len);

/* type: IKE_PL_TSI or IKE_PL_TSR. */
int ike_pl_ts_decode(const struct ike_payload *pl, struct ike_selectors *ts);
void ike_pl_ts_encode(struct ike_writer *w, uint8_t type,
		      const struct ike_selectors *ts);

int ike_pl_cp_decode(const struct ike_payload *pl, struct ike_pl_cp *cp);
void ike_pl_cp_encode(struct ike_writer *w, const struct ike_pl_cp *cp);

/*
 * SK (§3.14) and SKF (RFC 7383 §2.5) framing only; the caller knows the
 * cipher's IV, ICV and block lengths (block 1 for AEAD). The
 * ciphertext holds the inner payloads, the padding and the Pad Length.
 */
struct ike_sk {
	uint8_t sk_first;        /* type of the first inner payload */
	uint16_t sk_frag;        /* SKF: Fragment Number, SK: 0 */
	uint16_t sk_total;       /* SKF: Total Fragments, SK: 0 */
	const uint8_t *sk_iv;
	const uint8_t *sk_ct;
	size_t sk_ct_len;
	const uint8_t *sk_icv;
	/* From the message start: the ICV covers [0, sk_auth_len) (§3.14),
	 * an AEAD's associated data is [0, sk_aad_len) (RFC 5282 §5.1). */
	size_t sk_auth_len;
	size_t sk_aad_len;
};

/* Splits the message's SK or SKF payload: -EINVAL when there is none,
 * when it is too short for iv_len + icv_len, when the ciphertext is
 * empty or not a multiple of block, or when SKF numbers are wrong. */
int ike_msg_sk_split(const struct ike_msg *m, size_t iv_len, size_t icv_len,
		     size_t block, struct ike_sk *sk);

/* Decrypted SK content: the length of the inner payloads before the
 * padding and Pad Length (§3.14), or -EINVAL. */
int ike_sk_unpad(const uint8_t *plain, size_t len, size_t *inner_len);

/* Appends zero padding and the Pad Length so that w, a writer holding
 * only the inner payloads, becomes a multiple of block (block 1: just a
 * zero Pad Length). */
void ike_w_sk_pad(struct ike_writer *w, size_t block);

/* Where the caller writes the IV, the ciphertext and, after
 * ike_w_finish(), the ICV. */
struct ike_sk_out {
	uint8_t *so_iv;
	uint8_t *so_ct;
	uint8_t *so_icv;
};

/* Reserves an SK payload (must be the last one) of zeroed IV, ciphertext
 * and ICV; first is the inner chain's first type (writer w_first). */
void ike_pl_sk_encode(struct ike_writer *w, uint8_t first, size_t iv_len,
		      size_t ct_len, size_t icv_len, struct ike_sk_out *out);
/* The same for one fragment, RFC 7383 §2.5: first only in fragment 1. */
void ike_pl_skf_encode(struct ike_writer *w, uint8_t first, uint16_t frag,
		       uint16_t total, size_t iv_len, size_t ct_len,
		       size_t icv_len, struct ike_sk_out *out);

#endif
