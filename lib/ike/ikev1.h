/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_IKEV1_H
#define ESPGATE_IKEV1_H

/*
 * The IKEv1 layer's private interface (RFC 2409 over the core of
 * ike_sa.h): its SA payloads in the neutral types (ikev1_prop.c),
 * message protection and retransmission (ikev1_io.c), phase 1
 * (ikev1_main.c), quick mode (ikev1_quick.c) and informational
 * exchanges (ikev1_info.c).
 */

#include "ike_sa.h"
#include "ikev1_keys.h"
#include "ikev1_msg.h"

#define IKEV1_NONCE_LEN 32
#define IKEV1_ATTRS_MAX 16

/* Phase 1 attribute values, RFC 2409 App. A. */
enum {
	IKEV1_ENCR_3DES = 5,
	IKEV1_ENCR_AES_CBC = 7,
	IKEV1_HASH_SHA1 = 2,
	IKEV1_HASH_SHA2_256 = 4,
	IKEV1_HASH_SHA2_384 = 5,
	IKEV1_HASH_SHA2_512 = 6,
	IKEV1_AUTH_PSK = 1,
	IKEV1_AUTH_RSA_SIG = 3,
	IKEV1_AUTH_ECDSA_256 = 9,  /* RFC 4754 §3 */
	IKEV1_AUTH_ECDSA_384 = 10,
	IKEV1_AUTH_ECDSA_521 = 11,
	/* draft-ietf-ipsec-isakmp-xauth-06 §5 (strongSwan's values): a
	 * client that XAUTH authenticates after phase 1, phase 1 itself by
	 * PSK or RSA signatures as without */
	IKEV1_AUTH_XAUTH_INIT_PSK = 65001,
	IKEV1_AUTH_XAUTH_INIT_RSA = 65005,
	IKEV1_LIFE_SECONDS = 1,
	IKEV1_LIFE_KILOBYTES = 2,
	IKEV1_KEY_IKE = 1,         /* the phase 1 transform ID */
};

/* IPsec DOI values, RFC 2407 §4.4.4, §4.5; UDP encapsulation RFC 3947
 * §5.1 and the draft values older peers send. */
enum {
	IKEV1_ENCAP_TUNNEL = 1,
	IKEV1_ENCAP_TRANSPORT = 2,
	IKEV1_ENCAP_UDP_TUNNEL = 3,
	IKEV1_ENCAP_UDP_TRANSPORT = 4,
	IKEV1_ENCAP_UDP_TUNNEL_DRAFT = 61443,
	IKEV1_ENCAP_UDP_TRANSPORT_DRAFT = 61444,
	IKEV1_AALG_HMAC_SHA1 = 2,
	IKEV1_AALG_HMAC_SHA2_256 = 5,
	IKEV1_AALG_HMAC_SHA2_384 = 6,
	IKEV1_AALG_HMAC_SHA2_512 = 7,
};

/* Notify types beyond RFC 2408's: RFC 3706 DPD. */
#define IKEV1_N_DPD_R_U_THERE 36136
#define IKEV1_N_DPD_R_U_THERE_ACK 36137

/*
 * An SA payload in the neutral types: every IKEv1 transform becomes a
 * proposal of its own (a phase 1 transform is a whole suite; a phase 2
 * transform is one ESP cipher with its attributes), numbered by its
 * index + 1, so that ike_prop_choose() picks among them; what the
 * neutral types do not carry is kept beside it per index.
 */
struct ikev1_choice {
	uint8_t c_prop_num, c_xform_num, c_xform_id;
	uint32_t c_spi;              /* phase 2: the proposer's SPI */
	uint16_t c_auth;             /* phase 1: authentication method */
	uint16_t c_encap;            /* phase 2: encapsulation mode */
	uint32_t c_life_s;           /* 0: none given */
	uint64_t c_life_kb;
	const uint8_t *c_attrs;      /* the transform's attributes, raw */
	size_t c_attrs_len;
};

struct ikev1_offer {
	struct ike_offer o_offer;
	struct ikev1_choice o_choice[IKE_SA_MAX_PROPOSALS];
};

/* Decodes an SA payload body of phase 1 (proto IKE_PROTO_IKE) or phase
 * 2 (IKE_PROTO_ESP); -EINVAL malformed, -EOPNOTSUPP DOI or situation. */
int ikev1_offer_decode(const uint8_t *body, size_t len, uint8_t proto,
		       struct ikev1_offer *o);
/* The responder's answer: the chosen transform as it came, in a
 * proposal with spi (phase 2, NULL in phase 1). */
void ikev1_w_answer(struct ike_writer *w, const struct ikev1_choice *c,
		    uint8_t proto, const uint32_t *spi);
/* The initiator's offer from our proposals: phase 1 one transform per
 * combination, with auth and life_s (only_group: the combinations with
 * that DH group, aggressive mode's KE fixes it); phase 2 one per combination with
 * spi, encap and life_s, the DH group of PFS when group is set. */
void ikev1_w_offer_p1(struct ike_writer *w, const struct cfg_proposal *cfg,
		      unsigned n, uint16_t auth, uint32_t life_s, uint16_t only_group);
/* RESPONDER-LIFETIME's data (RFC 2407 §4.6.3.1): the attributes of a
 * lifetime in seconds; its length, 0 when cap is too small. And the
 * seconds such attributes give (0: none). */
size_t ikev1_life_attrs(uint32_t life_s, uint8_t *out, size_t cap);
uint32_t ikev1_life_attrs_s(const uint8_t *attrs, size_t len);
void ikev1_w_offer_p2(struct ike_writer *w, const struct cfg_proposal *cfg,
		      unsigned n, uint32_t spi, uint16_t encap, uint32_t life_s,
		      uint16_t group);

/* ---- ikev1_io.c ---- */

/* The connection's IKEv1 authentication method. */
uint16_t ikev1_auth_method(const struct ike_conn_cfg *c);
/* The one phase 1 negotiates: that, or its XAUTH variant when the
 * connection's SAs do XAUTH (IKE_REMOTE_AUTH_XAUTH: a responder is the
 * server; an initiator offers it and leaves the client's part to its
 * caller, as the unit tests' scripted client does). */
uint16_t ikev1_peer_auth_method(const struct ike_conn_cfg *c);
/* The phase 1 method an XAUTH variant stands on (others as they are). */
uint16_t ikev1_auth_base(uint16_t auth);
/* Cookies of the SA as bytes. */
void ikev1_cookies(const struct ike_sa *sa, uint8_t cky_i[IKEV1_COOKIE_LEN],
		   uint8_t cky_r[IKEV1_COOKIE_LEN]);
struct ikev1_sa_state *ikev1_state_new(struct ike_sa *sa);
/* Starts a message: header and the writer; payloads follow. */
void ikev1_msg_begin(struct ike_sa *sa, struct ike_writer *w, uint8_t *buf,
		     size_t cap, uint8_t exchange, uint32_t msgid, uint8_t flags);
/* Finishes, encrypts (flags E: with x's IV chain) and sends the
 * message; keeps it in x for retransmission (request: until answered).
 * 0 or -errno. */
int ikev1_msg_send(struct ike_sa *sa, struct ike_writer *w,
		   struct ikev1_xchg *x, bool request);
/* An informational exchange's message: new message ID, IV from phase 1,
 * not kept. */
int ikev1_send_info(struct ike_sa *sa, struct ike_writer *w);
void ikev1_xchg_clear(struct ikev1_xchg *x);
/* prf(SKEYID_a, [pre |] M-ID | [mid |] rest): the HASH(n) of RFC 2409
 * §5.5 (HASH(3) has 0 before M-ID, HASH(2) Ni_b after it). */
int ikev1_hash_msg(const struct ike_sa *sa, uint32_t msgid,
		   const uint8_t *pre, size_t pre_len,
		   const uint8_t *mid, size_t mid_len,
		   const uint8_t *rest, size_t rest_len, uint8_t *out);
/* Whether a decrypted message's first payload is HASH and equals
 * prf(SKEYID_a, M-ID | [pre |] the payloads after it): HASH(1) of quick
 * mode and informational exchanges, HASH(2) with pre Ni_b. */
bool ikev1_hash_ok(const struct ike_sa *sa, uint32_t msgid,
		   const uint8_t *pre, size_t pre_len,
		   const uint8_t *plain, size_t plain_len,
		   const struct ikev1_chain *ch);
/* Reserves HASH(n)'s payload as the first; ikev1_hash_fill() writes
 * prf(SKEYID_a, M-ID | [mid |] the payloads after it) once they are. */
size_t ikev1_hash_reserve(const struct ike_sa *sa, struct ike_writer *w);
void ikev1_hash_fill(const struct ike_sa *sa, struct ike_writer *w,
		     size_t at, uint32_t msgid, const uint8_t *mid,
		     size_t mid_len);
uint32_t ikev1_new_msgid(const struct ike_sa *sa);
/* A notify (RFC 2408 §3.14) with the cookies as SPI for ISAKMP. */
void ikev1_w_notify_isakmp(struct ike_writer *w, const struct ike_sa *sa,
			   uint16_t type, const void *data, size_t len);
/* The phase 1 lifetime of the connection (seconds, 0: none). */
uint32_t ikev1_p1_life(const struct ike_conn_cfg *c);

void ikev1_refuse_p1(struct ike_engine *e, const struct ike_endpoint *local,
		     const struct ike_endpoint *remote, const struct ikev1_msg *m);

/* ---- ikev1_main.c ---- */

void ikev1_p1_respond(struct ike_engine *e, const struct ike_endpoint *local,
		      const struct ike_endpoint *remote,
		      const struct ikev1_msg *m);
/* A phase 1 message of an SA; iv_next (encrypted messages) is the IV
 * after it, taken when it verifies. 0, or -errno: not taken (counted). */
int ikev1_p1_input(struct ike_sa *sa, const struct ikev1_msg *m,
		   const struct ikev1_chain *ch, const uint8_t *plain,
		   size_t plain_len, const uint8_t *iv_next);
/* HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b),
 * HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
 * (RFC 2409 §5), of_initiator picking which, over id_b, the ID
 * payload's body; out[v1_keys.k_len]. Phase 1 only: the KE values and
 * SAi_b are let go once the SA is established. */
int ikev1_auth_hash(const struct ike_sa *sa, bool of_initiator,
		    const uint8_t *id_b, size_t id_len, uint8_t *out);
/* A new ISAKMP SA for an established one before it expires; the old
 * is deleted once the new stands. */
void ikev1_reestablish(struct ike_sa *sa);
/* What the vendor IDs of a message say about the peer (NAT-T, DPD,
 * fragmentation). */
void ikev1_read_vids(struct ike_sa *sa, const struct ikev1_chain *ch);
/* Ours: NAT-T and DPD, and FRAGMENTATION unless the connection has it
 * off (a responder only when the peer sent it). */
void ikev1_w_vids(struct ike_writer *w, const struct ike_sa *sa);

/* ---- ikev1_quick.c ---- */

/* A quick mode message (q NULL: a new one from the peer); as
 * ikev1_p1_input. */
int ikev1_qm_input(struct ike_sa *sa, struct ikev1_qm *q, uint32_t msgid,
		   const uint8_t *plain, size_t plain_len,
		   const struct ikev1_chain *ch, const uint8_t *iv_next);
int ikev1_qm_start(struct ike_sa *sa, const struct ike_child_cfg *cc,
		   struct ike_child_sa *old);
struct ikev1_qm *ikev1_qm_find(const struct ike_sa *sa, uint32_t msgid);
bool ikev1_qm_expired(const struct ikev1_qm *q, uint64_t now);
void ikev1_qm_tick(struct ike_sa *sa, struct ikev1_qm *q, uint64_t now);
uint64_t ikev1_qm_due(const struct ikev1_qm *q);
void ikev1_qm_abandon(struct ike_sa *sa, struct ikev1_qm *q);
/* A protected error notify about the SPI we offered in a quick mode of
 * ours still waiting for message 2: that quick mode ends. Whether
 * there was one. */
bool ikev1_qm_refused(struct ike_sa *sa, uint32_t spi, uint16_t type);
void ikev1_qm_free(struct ike_sa *sa, struct ikev1_qm *q);

/* ---- ikev1_cfg.c: XAUTH and Mode Config, gateway side ---- */

/* Once phase 1 stands (responder): XAUTH's REQUEST, or Mode Config's
 * push, when the connection has "remote_auth": "xauth" or pools. */
void ikev1_cfg_start(struct ike_sa *sa);
void ikev1_cfg_free(struct ikev1_cfg *cf);
/* The transaction exchange of that message ID in flight or last
 * answered, or NULL. */
struct ikev1_xchg *ikev1_cfg_xchg(const struct ike_sa *sa, uint32_t msgid);
/* A transaction exchange message (decrypted, iv_next the IV after it);
 * as ikev1_qm_input. */
int ikev1_cfg_input(struct ike_sa *sa, uint32_t msgid, const uint8_t *plain, size_t plain_len,
		    const struct ikev1_chain *ch, const uint8_t *iv_next);
/* XAUTH / Mode Config not finished in time; when the next timer is. */
bool ikev1_cfg_expired(const struct ike_sa *sa, uint64_t now);
uint64_t ikev1_cfg_due(const struct ike_sa *sa);
/* Why a quick mode from the client may not go on (NULL: it may): XAUTH
 * not done, or (pools) its proxy ID, narrowed here to its Mode Config
 * address, holds none; our side (local) narrowed to a child's when the
 * client proposed more (ike_child_cfg_narrow_local). */
const char *ikev1_cfg_qm_refusal(struct ike_sa *sa, struct ike_selectors *peer,
				 struct ike_selectors *local);

/* ---- ikev1_info.c ---- */

int ikev1_info_input(struct ike_sa *sa, uint32_t msgid, const uint8_t *plain,
		     size_t plain_len, const struct ikev1_chain *ch);
/* An error notify in an informational exchange; esp_spi: about the
 * IPsec SA with that SPI, else about the ISAKMP SA. */
void ikev1_notify_error(struct ike_sa *sa, uint16_t type, const uint32_t *esp_spi);
void ikev1_delete_child(struct ike_sa *sa, struct ike_child_sa *cs);
void ikev1_dpd_tick(struct ike_sa *sa, uint64_t now);
void ikev1_initial_contact(struct ike_sa *sa);

#endif
