/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_IKE_SA_H
#define ESPGATE_IKE_SA_H

/* The engine's private state: the core's IKE SA and engine records,
 * IKEv2's part of them, Child SAs, and the functions the core and the
 * IKEv2 files share. */

#include <stdarg.h>

#include "ike.h"
#include "ike_crypto.h"
#include "ikev2_payload.h" /* the IKEv2 layer's wire types (its state uses them) */
#include "ikev1_keys.h"
#include "ike_prop.h"

#define IKE_MSG_MAX 8192
#define IKE_NONCE_LEN 32
#define IKE_MAX_CHILDREN 8
#define IKE_RETX_BASE_MS 1000  /* RFC 7296 §2.1: back-off from here */
#define IKE_RETX_TRIES 5
#define IKE_HALF_OPEN_MS 30000
#define IKE_SRC_BUCKETS 4096       /* half-open counters by source address */
#define IKE_COOKIE_SECRET_MS 300000 /* a cookie secret's life */
#define IKE_COOKIE_MAX 64
#define IKE_FRAG_MAX 32            /* fragments of one message we take */
#define IKE_FRAG_DEFAULT 1280      /* RFC 7383 §2.5.1 */
#define IKE_WHEEL_SLOTS 4096       /* timing wheel: slots of IKE_WHEEL_MS */
#define IKE_WHEEL_MS 100
#define IKE_KEEPALIVE_MS 20000     /* RFC 3948 §4: 20 s by default */
#define IKE_FRAG_CHUNK_MAX 2048    /* one fragment's content we take */
#define IKE_FRAG_TIMEOUT_MS 10000  /* a message's fragments all within this */
/* A message as it is kept for retransmission: its datagrams (one, or its
 * fragments), each after a 2-byte length. */
#define IKE_BUNDLE_MAX (IKE_FRAG_MAX * (IKE_FRAG_DEFAULT + 2) + IKE_MSG_MAX)
#define IKE_REFUSE_PER_S 20        /* unauthenticated refusals a second (§1.5) */
#define IKE_AUTH_OCTETS_MAX (IKE_MSG_MAX + IKE_NONCE_MAX + IKE_PRF_MAX)

/* Changed only by ike_sa_set_state (ike_sa.c), which refuses what its
 * table does not allow; code asks for states by name, never by order. */
enum ike_state {
	IKE_S_NEW,            /* made, nothing sent or answered yet */
	IKE_S_INIT_SENT,      /* initiator: IKE_SA_INIT request out */
	IKE_S_INIT_DONE,      /* responder: IKE_SA_INIT answered, waiting for AUTH */
	IKE_S_AUTH_SENT,      /* initiator: IKE_AUTH request out */
	IKE_S_ESTABLISHED,
	IKE_S_DELETING,       /* our delete is out */
	IKE_S_DEAD,           /* to be freed */
	IKE_S_COUNT
};

/* What our one outstanding request is (window size 1, §2.3). */
enum ike_req {
	IKE_REQ_NONE,
	IKE_REQ_INIT,
	IKE_REQ_AUTH,
	IKE_REQ_DPD,
	IKE_REQ_DELETE_IKE,
	IKE_REQ_DELETE_CHILD,
	IKE_REQ_CREATE_CHILD,
	IKE_REQ_MOBIKE,       /* UPDATE_SA_ADDRESSES (RFC 4555 §3.5) */
	IKE_REQ_MOBIKE_CHECK, /* return routability of the peer's new address */
};

struct ike_child_sa {
	struct ike_sa *cs_sa;
	unsigned cs_slot;
	const struct ike_child_cfg *cs_cfg;
	uint32_t cs_spi_in, cs_spi_out;
	uint32_t cs_out_defer_ms; /* ike_child_info's ci_out_defer_ms */
	uint32_t cs_life_s;       /* lifetime agreed (IKEv1), 0: the configuration's */
	struct ike_chosen cs_alg;
	struct ike_child_keys cs_keys;
	struct ike_selectors cs_ts_local, cs_ts_remote;
	bool cs_transport;
	struct ip_addr cs_peer_oa; /* IKEv1 NAT-OA: the peer's own address */
	struct ip_addr cs_local_oa; /* and ours as the peer knows it */
	/* We started the exchange that made it: KEYMAT's "initiator to
	 * responder" keys are then ours to send with (RFC 7296 §2.17). */
	bool cs_initiator;
	uint64_t cs_created_ms;
	uint64_t cs_rekey_at_ms;  /* 0: never */
	bool cs_rekeyed;          /* replaced; waiting for its delete */
	/* §2.8.1: the peer rekeyed it while our own rekey was in flight:
	 * the Child SA its exchange made and that exchange's lowest nonce. */
	uint32_t cs_coll_spi_in;
	uint8_t cs_coll_nonce[IKE_NONCE_MAX];
	size_t cs_coll_nonce_len;
};

/* A CREATE_CHILD_SA we started (§1.3): a new or rekeyed Child SA, or a
 * new IKE SA. */
struct ike_pending {
	bool pd_ike;                      /* IKE SA rekey */
	struct ike_child_sa *pd_old;      /* Child SA being rekeyed, or NULL */
	const struct ike_child_cfg *pd_cfg;
	uint32_t pd_spi_in;
	uint64_t pd_ike_spi;              /* IKE rekey: our new SPI */
	uint8_t pd_nonce[IKE_NONCE_MAX];
	size_t pd_nonce_len;
	struct ike_dh *pd_dh;             /* PFS / IKE rekey */
};

/* The engine's SA tables (ike_engine.c). Each chains its SAs through a
 * link of their own that also holds the key the SA was filed under and
 * whether it is filed at all: an SA leaves a table because it is in it,
 * never because of what one of its fields (an SPI that may be zero)
 * happens to hold now. */
enum ike_table {
	IKE_T_SPI,  /* by our SPI */
	IKE_T_PEER, /* IKE_SA_INIT responders, by the initiator's SPI (to
		     * answer a retransmitted request from its half-open SA) */
	IKE_T_ID,   /* by sa_id (espgatectl, rekeys) */
	IKE_T_COUNT
};

struct ike_sa_link {
	struct ike_sa *l_next;
	uint64_t l_key;
	bool l_in;
};

/* A message coming in as fragments (ike_frag.c): RFC 7383 §2.6's, or
 * IKEv1's of the vendor-ID scheme (strongSwan, Cisco). Pieces sit in
 * ra_data in the order they came, ra_cap bytes at most in all. */
struct ike_reassembly {
	uint32_t ra_id;          /* IKEv2 message ID, IKEv1 fragment ID */
	uint16_t ra_total;       /* fragments in all, 0: not known yet */
	uint16_t ra_count, ra_highest;
	uint8_t ra_first;        /* IKEv2: fragment 1's first inner payload */
	uint64_t ra_started_ms;
	bool ra_have[IKE_FRAG_MAX];
	uint32_t ra_off[IKE_FRAG_MAX];
	uint16_t ra_len[IKE_FRAG_MAX];
	size_t ra_used, ra_cap;
	uint8_t ra_data[];
};

/* IKEv1 fragments of a first message (no responder cookie, no SA yet:
 * what charon's fragmentation = force sends), reassembled apart from any
 * SA, one message per peer address and IKEV1_FIRST_FRAG_SLOTS at once:
 * a new one takes the slot of the oldest. */
#define IKEV1_FIRST_FRAG_SLOTS 8
struct ikev1_first_frag {
	uint64_t ff_cky_i;
	struct ip_addr ff_peer;
	struct ike_reassembly *ff_ra;
};

/* One fragment as either version's codec read it. */
struct ike_frag_piece {
	uint32_t fp_id;          /* the message it is of */
	uint16_t fp_num;         /* from 1 */
	uint16_t fp_total;       /* 0: not said (IKEv1, but in the last) */
	uint8_t fp_first;
	/* A total other than the one known so far starts the message over
	 * (RFC 7383 §2.5.2: smaller fragments on retransmission); else the
	 * fragment is refused. */
	bool fp_restart;
	const uint8_t *fp_data;
	size_t fp_len;
};

/* What an IKE SA speaking IKEv2 keeps beyond the common record: its key
 * set, the messages its AUTH signs, the request window (§2.1-2.3),
 * fragments (RFC 7383), and the exchange in flight. */
struct ikev2_sa {
	struct ike_sa_keys v2_keys;
	bool v2_keyed;
	/* Our IKE_SA_INIT message, which our AUTH signs (§2.15). */
	uint8_t *v2_init_mine;
	size_t v2_init_mine_len;
	/* The peer's IKE_SA_INIT message, which its AUTH signs. */
	uint8_t *v2_init_peer;
	size_t v2_init_peer_len;
	uint8_t v2_cookie[IKE_COOKIE_MAX]; /* initiator: the responder's cookie */
	uint8_t v2_cookie_len;
	bool v2_frag_peer;                /* the peer takes fragments (RFC 7383) */
	uint16_t v2_peer_hashes[8];       /* its SIGNATURE_HASH_ALGORITHMS */
	uint8_t v2_n_peer_hashes;
	struct ike_reassembly *v2_frag;   /* fragments of the message coming in */
	/* Window size 1: our outstanding request and the peer's last answer. */
	uint32_t v2_msgid_out, v2_msgid_in;
	enum ike_req v2_req;
	enum ike_req v2_req_done; /* the request whose answer is being handled */
	uint8_t *v2_req_buf;
	size_t v2_req_len;
	unsigned v2_req_tries;
	uint64_t v2_req_first_ms;
	uint64_t v2_req_next_ms;
	uint8_t *v2_resp_buf;  /* cached answer to the peer's last request */
	size_t v2_resp_len;
	bool v2_resp_valid;
	uint32_t v2_delete_child; /* REQ_DELETE_CHILD: its inbound SPI */
	/* The first Child SA's proposal, made before IKE_AUTH. */
	uint32_t v2_first_spi_in;
	const struct ike_child_cfg *v2_first_child;
	struct ike_pending v2_pending;
	struct ike_eap_round *v2_eap; /* EAP in IKE_AUTH (§2.16), either side */
	/* EAP-RADIUS: the round awaiting its answer (0: none; the low half
	 * of its handle), until when, and the last Access-Challenge's State. */
	uint32_t v2_radius_round;
	uint32_t v2_radius_rounds;
	uint64_t v2_radius_until_ms;
	uint8_t v2_radius_state[IKE_RADIUS_STATE_MAX];
	uint8_t v2_radius_state_len;
	/* MOBIKE (RFC 4555): agreed in IKE_AUTH; the endpoints the request
	 * being answered came from (responses go back there, RFC 7296
	 * §2.11); our UPDATE_SA_ADDRESSES' COOKIE2 and where it moves us.
	 * As responder: the peer's new address waits for our return
	 * routability check (due, then the address it checks) before the
	 * data plane follows (§3.5). */
	bool v2_mobike;
	struct ike_endpoint v2_rq_local, v2_rq_remote;
	uint8_t v2_cookie2[16];
	struct ike_endpoint v2_move_local;
	bool v2_check_due;
	struct ike_endpoint v2_check_remote;
};

#define IKEV1_BLOCK_MAX IKEV1_CBC_BLOCK_MAX
#define IKEV1_QM_MAX 4       /* quick modes in flight on one ISAKMP SA */
#define IKEV1_ENC_KEY_MAX 32

/* What an IKEv1 message exchange keeps while it runs: the IV chain of
 * its message ID (RFC 2409 App. B) and the last message we sent in it,
 * for retransmission (ours, or the answer to a repeated request). */
struct ikev1_xchg {
	uint32_t x_msgid;
	uint8_t x_iv[IKEV1_BLOCK_MAX];
	uint8_t *x_out;
	size_t x_out_len;
	bool x_waiting;          /* x_out is a request that wants an answer */
	unsigned x_tries;
	uint64_t x_next_ms;
	uint8_t x_in_digest[IKE_SHA1_LEN]; /* the last message taken */
};

/* A quick mode (RFC 2409 §5.5) in flight. */
/* What a quick mode needs only while it is negotiated: freed (and
 * cleansed) once it is done, so that a finished one kept to recognise
 * repeats costs little. */
struct ikev1_qm_neg {
	struct ike_chosen n_alg;
	bool n_transport;
	uint32_t n_life_s;
	bool n_tell_life;        /* n_life_s is shorter than the peer offered */
	uint8_t n_ni[IKE_NONCE_MAX], n_nr[IKE_NONCE_MAX];
	size_t n_ni_len, n_nr_len;
	struct ike_dh *n_dh;             /* PFS */
	uint8_t n_gxy[IKE_DH_SECRET_MAX]; /* PFS: g(qm)^xy */
	size_t n_gxy_len;
	struct ike_selectors n_ts_i, n_ts_r; /* proxy IDs: initiator's, responder's */
	bool n_ids;              /* IDci/IDcr were in the exchange */
	struct ip_addr n_peer_oa; /* the peer's NAT-OA of itself (RFC 3947 §5.2) */
	struct ip_addr n_local_oa; /* and its NAT-OA of us */
};

struct ikev1_qm {
	struct ikev1_xchg q_x;
	bool q_initiator;
	uint8_t q_step;          /* messages of the exchange done */
	const struct ike_child_cfg *q_cfg;
	uint32_t q_old_spi;      /* inbound SPI of the IPsec SA this one rekeys */
	uint64_t q_old_delete_ms; /* when that one goes (0: not yet known) */
	uint32_t q_spi_in, q_spi_out;
	struct ikev1_qm_neg *q_n; /* NULL once done */
	uint64_t q_done_ms;              /* kept a while to answer repeats */
	uint64_t q_started_ms;
};

/* The transaction exchanges of a remote-access ISAKMP SA (ikev1_cfg.c):
 * XAUTH's REQUEST/REPLY and SET/ACK, then Mode Config's SET/ACK (push)
 * or the client's REQUEST/REPLY (pull); one at a time. */
enum ikev1_cfg_step {
	IKEV1_CFG_S_XAUTH_REQ,  /* our XAUTH REQUEST out */
	IKEV1_CFG_S_XAUTH_SET,  /* our XAUTH STATUS out */
	IKEV1_CFG_S_PUSH,       /* our Mode Config SET out */
	IKEV1_CFG_S_OPEN,       /* authenticated: the client may pull */
	IKEV1_CFG_S_FAILED,     /* STATUS=fail out: the SA goes on its ACK */
};

struct ikev1_cfg {
	struct ikev1_xchg cf_x;  /* the exchange in flight or last answered */
	enum ikev1_cfg_step cf_step;
	uint16_t cf_id;          /* the identifier of our request */
	bool cf_xauth_ok;
	char cf_user[IKE_EAP_USER_MAX + 1]; /* XAUTH's user name */
	uint64_t cf_started_ms;
};

/* What an ISAKMP SA keeps beyond the common record: phase 1's keys and
 * IV chain, what HASH_I/HASH_R cover, the exchange in flight, quick
 * modes, and the peer's capabilities (NAT-T, DPD). */
struct ikev1_sa_state {
	struct ikev1_keys v1_keys;
	uint8_t v1_enc_key[IKEV1_ENC_KEY_MAX];
	size_t v1_enc_len;
	size_t v1_block;
	uint16_t v1_auth;        /* IKEv1 authentication method attribute */
	uint32_t v1_life_s;      /* phase 1 lifetime agreed */
	bool v1_keyed;
	uint8_t v1_exchange;     /* main mode or aggressive mode */
	uint8_t v1_step;         /* phase 1 messages done */
	struct ikev1_xchg v1_p1; /* phase 1 (message ID 0) */
	uint8_t v1_p1_last[IKEV1_BLOCK_MAX]; /* last CBC block of phase 1 */
	uint8_t *v1_sai_b;       /* the initiator's SA payload body */
	size_t v1_sai_len;
	uint8_t *v1_id_b;        /* aggressive mode: IDii's body, which HASH_I covers */
	size_t v1_id_len;
	uint8_t *v1_gxi, *v1_gxr; /* KE data, both sides */
	size_t v1_gxi_len, v1_gxr_len;
	bool v1_natt;            /* the peer sent RFC 3947's vendor ID */
	bool v1_dpd;             /* the peer sent RFC 3706's vendor ID */
	uint32_t v1_dpd_seq;     /* our last R-U-THERE */
	uint64_t v1_dpd_sent_ms; /* 0: none outstanding */
	bool v1_initial_contact;
	struct ikev1_qm *v1_qm[IKEV1_QM_MAX];
	struct ikev1_xchg v1_info; /* our last informational (not kept) */
	bool v1_frag_peer;       /* the peer sent the FRAGMENTATION vendor ID */
	uint16_t v1_frag_id;     /* the fragment ID of our last fragmented message */
	struct ike_reassembly *v1_frag; /* fragments of the message coming in */
	struct ikev1_cfg *v1_cfg;   /* XAUTH / Mode Config, NULL: none */
	struct ike_identity v1_peer_id; /* the peer's phase 1 identity */
};

/* The common IKE SA record: what every version has (peers, identities
 * and connection, the chosen algorithms and DH, nonces, NAT state,
 * children, timers, state); each version's own state hangs off it. */
struct ike_sa {
	struct ike_engine *sa_engine;
	uint32_t sa_id;
	uint8_t sa_version;           /* the IKE major version it speaks */
	uint64_t sa_spi_i, sa_spi_r;
	bool sa_initiator;
	enum ike_state sa_state;
	const struct ike_conn_cfg *sa_conn;
	struct ike_endpoint sa_local, sa_remote;
	struct ike_chosen sa_alg;
	struct ike_suite sa_suite;
	uint16_t sa_dh_group;
	struct ike_dh *sa_dh;
	/* Nonces: needed until IKE_AUTH has keyed the first Child SA. */
	uint8_t *sa_ni, *sa_nr;
	size_t sa_ni_len, sa_nr_len;
	/* Responder: the virtual addresses leased to the peer (CFG_REPLY),
	 * one per family; the Child SAs' remote selectors are narrowed to
	 * them. */
	struct ike_lease *sa_vip[IKE_CONN_POOLS];
	uint8_t sa_n_vip;
	struct ip_addr sa_my_vip;   /* initiator: the CFG_REPLY's address */
	/* Responder: the IPv4 address RADIUS gave (Framed-IP-Address),
	 * given in the CFG_REPLY instead of a lease; family 0: none. */
	struct ip_addr sa_framed_ip;
	bool sa_nat_local, sa_nat_remote; /* §2.23: a NAT in front of us / them */
	bool sa_half_open;                /* counted in e_half_open */
	/* Liveness (§2.4); NAT keepalives count from the last we sent. */
	uint64_t sa_last_rx_ms;
	uint64_t sa_last_tx_ms;
	uint64_t sa_created_ms;
	uint64_t sa_setup_stamp;      /* ike_engine_set_input_stamp; 0 once used */
	uint64_t sa_established_ms;   /* first ESTABLISHED, 0: not yet */
	struct ike_child_sa *sa_child[IKE_MAX_CHILDREN]; /* NULL: free slot */
	uint64_t sa_rekey_at_ms;      /* IKE SA rekey, 0: never */
	uint64_t sa_reauth_at_ms;     /* reauthentication, 0: never */
	uint8_t sa_next_child;        /* initiator: the next child cfg to create */
	uint32_t sa_replaces;         /* reauthentication: the old IKE SA's id */
	bool sa_rekeyed;              /* replaced by a new IKE SA */
	/* The timing wheel: the SA sits in the slot of its earliest due time. */
	struct ike_sa *sa_wnext, *sa_wprev;
	uint64_t sa_due_ms;
	unsigned sa_wslot;
	bool sa_in_wheel;
	struct ike_sa_link sa_link[IKE_T_COUNT];
	struct ikev2_sa sa_v2;        /* IKEv2's part (sa_version 2) */
	struct ikev1_sa_state *sa_v1;       /* IKEv1's part (sa_version 1) */
	/* Killed: on the engine's dead list until the current call ends. */
	struct ike_sa *sa_dead_next;
	bool sa_on_dead;
};

#define IKE_LOG_RING 256
#define IKE_LOG_INFO_PER_S 100 /* refusals logged a second, at most, all peers */
#define IKE_LOG_INFO_PER_PEER_S 5 /* refusals logged a second, at most, one peer */
#define IKE_LOG_PEER_BUCKETS 1024 /* peers' rate limits, by address hash */
#define IKE_LOG_LINE 512 /* a refusal lists the proposals received and configured */

struct ike_engine {
	struct ike_events e_ev;
	/* Connections, each allocated on its own so SAs may point at it
	 * while others come and go; removed ones stay until the engine goes
	 * (an SA may still name one). */
	struct ike_conn_cfg **e_conn;
	bool *e_conn_removed;
	unsigned e_n_conn;
	struct ike_sa **e_table[IKE_T_COUNT]; /* e_buckets chains each */
	unsigned e_buckets;            /* power of two */
	struct ike_sa *e_dead;         /* killed, freed after the current call */
	unsigned e_count;
	uint32_t e_next_id;
	uint64_t e_now;
	uint64_t e_input_stamp;         /* ike_engine_set_input_stamp */
	struct ike_limits e_limits;
	struct ike_pool *e_pools;       /* ike_pool.c */
	struct ike_pool *e_pools_gone;  /* detached by a reload, leases held */
	struct ike_stats e_stats;
	uint32_t e_half_open;
	uint16_t e_src_half_open[IKE_SRC_BUCKETS];
	/* §2.6: the current and the previous cookie secret. */
	uint8_t e_cookie_secret[2][32];
	uint8_t e_cookie_version;
	uint64_t e_cookie_rotated_ms;
	struct ike_sa *e_wheel[IKE_WHEEL_SLOTS];
	uint64_t e_wheel_ms;           /* the next slot time to process */
	/* Log lines wait here for ike_engine_flush_log: an exchange never
	 * blocks on the caller's logging. */
	char e_log[IKE_LOG_RING][IKE_LOG_LINE];
	uint8_t e_log_level[IKE_LOG_RING];
	struct ike_log_fields e_log_fields[IKE_LOG_RING];
	uint64_t e_info_second;         /* the rate limit's second (info_allowed) */
	unsigned e_info_lines, e_info_suppressed;
	/* Per peer: the lines logged in the bucket's second (a shared bucket
	 * shares the budget). */
	struct { uint32_t pl_second; uint16_t pl_lines; } e_info_peer[IKE_LOG_PEER_BUCKETS];
	bool e_cookies_on;              /* COOKIEs asked for (logged on the change) */
	uint32_t e_log_head, e_log_tail;
	struct ikev1_first_frag e_v1_first[IKEV1_FIRST_FRAG_SLOTS];
	uint64_t e_refuse_second;      /* rate of unauthenticated refusals */
	unsigned e_refused_this_second;
	/* Work space of one call into the engine (never shared between
	 * engines, so several run side by side): a message being decrypted,
	 * a reassembled one, one being sent, AUTH's signed octets. */
	uint8_t e_scratch[IKE_MSG_MAX];
	uint8_t e_assembled[IKE_FRAG_MAX * IKE_FRAG_CHUNK_MAX];
	uint8_t e_bundle[IKE_BUNDLE_MAX];
	uint8_t e_octets[IKE_AUTH_OCTETS_MAX];
	/* EAP-MSCHAPv2 users (ike_engine_set_eap_users), passwords wiped. */
	struct ike_eap_user *e_eap_users;
	unsigned e_n_eap_users;
	uint32_t e_radius_wait_ms;      /* ike_engine_set_radius_wait */
};

/* ike_engine.c */
void ike_log(struct ike_engine *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The peer's address as text, for a log line (a static buffer: one use
 * per line). */
const char *ike_sa_peer_text(const struct ike_sa *sa);
/* The same at IKE_LOG_INFO: an engine-wide line (a threshold crossed),
 * under the global rate limit only. */
void ike_log_info(struct ike_engine *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A refusal an operator must be able to read, at IKE_LOG_INFO, rate-
 * limited per peer: "IKE SA <id>, peer <addr>, connection <name>: " then
 * the reason, with the same as structured fields (and the SPIs). */
void ike_log_sa_info(const struct ike_sa *sa, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same before there is an SA: "peer <addr>[, connection <name>]: ".
 * conn may be NULL. */
void ike_log_peer_info(struct ike_engine *e, const struct ip_addr *peer, const char *conn,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void ike_send_raw(struct ike_engine *e, const struct ike_endpoint *local,
		  const struct ike_endpoint *remote, const uint8_t *buf, size_t len);
/* Whether one more unauthenticated refusal may go out this second
 * (IKE_REFUSE_PER_S; the rest are counted in st_refusals_limited). */
bool ike_refusal_allowed(struct ike_engine *e);
const struct ike_conn_cfg *ike_conn_find(struct ike_engine *e, const char *name);
/* The i-th connection, NULL when removed (or beyond the last). */
const struct ike_conn_cfg *ike_conn_at(const struct ike_engine *e, unsigned i);

/* The engine's copy of a connection and how many IKE SAs name it (in
 * the tables or killed and not yet freed): e_conn[i] is &cs_cfg. */
struct ike_conn_slot {
	struct ike_conn_cfg cs_cfg;
	unsigned cs_sas;
};

static inline struct ike_conn_slot *ike_conn_slot(const struct ike_conn_cfg *c)
{
	return (struct ike_conn_slot *)((char *)(uintptr_t)c - offsetof(struct ike_conn_slot, cs_cfg));
}

/* How many IKE SAs name c (0 for NULL). */
static inline unsigned ike_conn_sas(const struct ike_conn_cfg *c)
{
	return c ? ike_conn_slot(c)->cs_sas : 0;
}

/* ike_sa.c: the SA records and their tables */
/* Moves sa to connection c (NULL: none), keeping the counts. */
void ike_sa_set_conn(struct ike_sa *sa, const struct ike_conn_cfg *c);
struct ike_sa *ike_sa_new(struct ike_engine *e, const struct ike_conn_cfg *c,
			  bool initiator, uint64_t now);
/* Changes the SA's state if the transition table allows it; otherwise
 * counts (st_bad_transitions), logs and returns -EINVAL. */
int ike_sa_set_state(struct ike_sa *sa, enum ike_state next);
bool ike_sa_state_ok(const struct ike_sa *sa, enum ike_state next);
const char *ike_state_name(enum ike_state s);
void ike_sa_set_peer_spi(struct ike_sa *sa, uint64_t spi);
void ike_sa_rekey_spi(struct ike_sa *sa, uint64_t spi);
void ike_sa_kill(struct ike_sa *sa, const char *reason);
/* Kills every other SA of sa's connection with the same peer address
 * that was established before sa began (INITIAL-CONTACT: the peer
 * rebooted and forgot them; SAs it sets up beside sa stay); how many. */
unsigned ike_sa_kill_others(struct ike_sa *sa, const char *reason);
uint64_t ike_sa_my_spi(const struct ike_sa *sa);
struct ike_sa *ike_sa_find_by_spi(struct ike_engine *e, uint64_t spi);
struct ike_sa *ike_sa_find_half_open(struct ike_engine *e, uint64_t spi_i,
				     const struct ike_endpoint *remote);
struct ike_sa *ike_sa_find_by_id(struct ike_engine *e, uint32_t id);
/* The next SA in the same chain of table t. */
struct ike_sa *ike_sa_next(const struct ike_sa *sa, enum ike_table t);
void ike_sa_free(struct ike_sa *sa);
/* Frees the SAs killed during the current call. */
void ike_engine_reap(struct ike_engine *e);
/* Puts the SA where its earliest timer is due (call after any change
 * that brings a timer forward). */
void ike_sa_schedule(struct ike_sa *sa);
/* Runs the timers of the SAs due by now_ms. */
void ike_wheel_run(struct ike_engine *e, uint64_t now_ms);
void ike_sa_info(const struct ike_sa *sa, struct ike_sa_info *info);
/* Whether a configured endpoint (family 0: any) covers ep's address. */
bool ike_ep_matches(const struct ike_endpoint *cfg, const struct ike_endpoint *ep);
/* Stores a nonce in *slot (allocated); -ENOMEM. */
int ike_nonce_set(uint8_t **slot, size_t *slot_len, const uint8_t *n, size_t len);
/* After IKE_AUTH: nonces and IKE_SA_INIT copies are no longer needed. */
void ike_sa_trim(struct ike_sa *sa);
uint8_t *ike_dup(const uint8_t *buf, size_t len);

/* ikev1_io.c, ikev1_main.c, ikev1_quick.c, ikev1_info.c: IKEv1 over
 * the core (ikev1.h) */
void ikev1_input(struct ike_engine *e, const struct ike_endpoint *local,
		 const struct ike_endpoint *remote, const uint8_t *buf, size_t len);
void ikev1_engine_release(struct ike_engine *e);
void ikev1_tick_sa(struct ike_sa *sa, uint64_t now);
void ikev1_sa_release(struct ike_sa *sa);
uint64_t ikev1_next_due(const struct ike_sa *sa);
int ikev1_initiate(struct ike_sa *sa);
/* Our identity: as configured, else our certificate's subject, else our
 * address. */
struct ike_identity ike_sa_my_identity(const struct ike_sa *sa);
void ikev1_delete_start(struct ike_sa *sa);
int ikev1_rekey_child(struct ike_sa *sa, struct ike_child_sa *cs);

/* ikev2_io.c: IKEv2 messages over the core */
void ikev2_input(struct ike_engine *e, const struct ike_endpoint *local,
		 const struct ike_endpoint *remote, const uint8_t *buf, size_t len);
/* Answers a request of a major version above 2 (§1.5). */
void ikev2_refuse_version(struct ike_engine *e, const struct ike_endpoint *local,
			  const struct ike_endpoint *remote, const uint8_t *buf, size_t len);
void ikev2_tick_sa(struct ike_sa *sa, uint64_t now);
void ikev2_sa_release(struct ike_sa *sa);
void ikev2_sa_trim(struct ike_sa *sa);
uint64_t ikev2_next_due(const struct ike_sa *sa);
/* Sends (and keeps for retransmission) a request / a response. */
void ike_send_request(struct ike_sa *sa, enum ike_req what, const uint8_t *buf,
		      size_t len);
/* Sends inner payloads (first type first) protected: one SK message, or
 * SKF fragments when the peer takes them and the message would exceed
 * the connection's fragment size (RFC 7383). 0 or -errno. */
int ike_send_protected(struct ike_sa *sa, uint8_t exchange, bool response,
		       enum ike_req what, uint8_t first, const uint8_t *plain,
		       size_t plain_len);
void ike_send_response(struct ike_sa *sa, const uint8_t *buf, size_t len);
/* Frames inner payloads (plain, first type first) into an encrypted
 * message of exchange; 0 and *len, or -errno. */
int ike_encrypt_msg(struct ike_sa *sa, uint8_t exchange, bool response,
		    uint32_t msgid, uint8_t first, const uint8_t *plain,
		    size_t plain_len, uint8_t *out, size_t cap, size_t *len);
void ike_hdr_for(const struct ike_sa *sa, uint8_t exchange, bool response,
		 uint32_t msgid, struct ike_hdr *h);

/* ike_frag.c: what both versions' fragmentation share */
/* Appends one datagram to a bundle (each after a 2-byte length); false
 * when it does not fit. */
bool ike_bundle_add(uint8_t *b, size_t *len, size_t cap, const uint8_t *msg, size_t n);
/* Sends every datagram of a bundle to the SA's peer. */
void ike_bundle_send(struct ike_sa *sa, const uint8_t *b, size_t len);
/* The same to other endpoints (an answer to where its request came from). */
void ike_bundle_send_to(struct ike_sa *sa, const struct ike_endpoint *local,
			const struct ike_endpoint *remote, const uint8_t *b, size_t len);
/* The largest IKE message one fragment's datagram may carry: the
 * connection's fragment size less IP, UDP and a non-ESP marker. */
size_t ike_frag_room(const struct ike_sa *sa);
/* Takes a fragment into *slot's message (a new one of cap bytes at most
 * when fp is of another, or the one there is too old): 0 once it has
 * them all, 1 while some are missing, -EEXIST for one it has, -EINVAL
 * for a number or total out of range or at odds with the others,
 * -EMSGSIZE when the whole passes cap (the message is then given up),
 * -ENOMEM. *dropped: a message partly in was given up. */
int ike_reassembly_add(struct ike_reassembly **slot, const struct ike_frag_piece *fp,
		       size_t cap, uint64_t now, bool *dropped);
/* The whole message into out (its length, 0 when incomplete or over
 * cap) and fragment 1's first payload; *slot is freed. */
size_t ike_reassembly_join(struct ike_reassembly **slot, uint8_t *out, size_t cap,
			   uint8_t *first);
void ike_reassembly_free(struct ike_reassembly **slot);

/* Helpers for payloads (ikev2_io.c). */
void ike_w_notify(struct ike_writer *w, uint16_t type, const void *data, size_t len);
const struct ike_payload *ike_find_notify(const struct ike_chain *c, uint16_t type,
					  struct ike_pl_notify *n);
/* The first error notify (type < 16384, §3.10.1) of a chain, or 0. */
uint16_t ike_error_notify(const struct ike_chain *c);
uint8_t *ike_dup(const uint8_t *buf, size_t len);

/* Half-open accounting (responder SAs before IKE_AUTH; ike_sa.c). */
void ike_half_open_add(struct ike_sa *sa);
void ike_half_open_done(struct ike_sa *sa);
unsigned ike_src_bucket(const struct ip_addr *a);

/* ikev2_sa_init.c */
int ike_init_start(struct ike_sa *sa, uint16_t group);
void ike_init_respond(struct ike_engine *e, const struct ike_endpoint *local,
		      const struct ike_endpoint *remote, const struct ike_msg *m);
void ike_init_response(struct ike_sa *sa, const struct ike_msg *m);
int ike_sa_derive(struct ike_sa *sa, const uint8_t *peer_ke, size_t peer_ke_len);

/* ikev2_auth.c */
void ike_auth_start(struct ike_sa *sa);
void ike_auth_request(struct ike_sa *sa, const struct ike_chain *c);
void ike_auth_response(struct ike_sa *sa, const struct ike_chain *c);

/* ikev2_eap.c: EAP as the authenticator (§2.16): EAP-Identity, then
 * EAP-MSCHAPv2 or EAP-TLS (ikev2_eap_tls.c) */
struct ike_eap_round;
/* IKE_EAP_RELAY: the EAP-Response (ike_eap_relayed) goes to RADIUS. */
enum ike_eap_step { IKE_EAP_MORE, IKE_EAP_FAIL, IKE_EAP_RELAY };
/* A round of the connection's method for the first IKE_AUTH request
 * (its payloads kept; idi its IDi), whose first request (Identity, the
 * MSCHAPv2 Challenge or EAP-TLS/Start) is written in w; NULL and *why
 * when it cannot run (no memory, no MD4/DES, no certificate). */
struct ike_eap_round *ike_eap_start(struct ike_sa *sa, const struct ike_chain *first,
				    const struct ike_pl_id *idi, struct ike_writer *w,
				    const char **why);
/* "EAP-MSCHAPv2", "EAP-TLS": for log lines. */
const char *ike_eap_method_name(enum ike_remote_auth a);
void ike_eap_free(struct ike_eap_round *er);
/* The first IKE_AUTH request's payloads (IDi, SA, TS, CP, notifies). */
const struct ike_chain *ike_eap_first(const struct ike_eap_round *er);
const char *ike_eap_user(const struct ike_eap_round *er);
/* EAP-Success sent: the MSK (§2.16) is ready. */
bool ike_eap_done(const struct ike_eap_round *er);
const uint8_t *ike_eap_msk(const struct ike_eap_round *er, size_t *len);
/* The peer's next EAP-Response: our next EAP message written in w
 * (IKE_EAP_MORE), or why it fails (IKE_EAP_FAIL, *why for the log). */
enum ike_eap_step ike_eap_next(struct ike_sa *sa, struct ike_eap_round *er,
			       const struct ike_chain *c, struct ike_writer *w, const char **why);
void ike_eap_failure(struct ike_eap_round *er, struct ike_writer *w);
/* EAP-RADIUS: the EAP-Response IKE_EAP_RELAY stands for. */
const uint8_t *ike_eap_relayed(const struct ike_eap_round *er, size_t *len);
/* The server's EAP-Request (challenge) or EAP-Success with the MSK
 * (accept) into w: 0, or -EINVAL when it is not one (RFC 3579 §2.6.3). */
int ike_eap_relay_answer(struct ike_eap_round *er, const struct ike_radius_answer *ra,
			 struct ike_writer *w);

/* ikev2_eap_radius.c: the engine's side of EAP-RADIUS */
/* Hands er's EAP-Response to ev_eap_radius; the SA waits. 0 or -errno. */
int ike_radius_ask(struct ike_sa *sa, struct ike_eap_round *er);
bool ike_radius_waiting(const struct ike_sa *sa);
/* The wait given up (ikev2_tick_sa): the client refused. */
void ike_radius_tick(struct ike_sa *sa, uint64_t now);
/* ikev2_auth.c: the answer (or NULL: the wait is over) for the SA. */
void ike_auth_radius_answer(struct ike_sa *sa, const struct ike_radius_answer *ra);
/* The peer's side: a round kept with the first IKE_AUTH response (its
 * IDr, which the final AUTH signs), then each EAP request answered in w
 * with the password (IKE_EAP_MORE; after EAP-Success nothing is written
 * and ike_eap_done is true). */
struct ike_eap_round *ike_eap_peer_begin(const struct ike_chain *first, const char *user,
					 size_t len);
enum ike_eap_step ike_eap_peer_next(struct ike_eap_round *er, const struct ike_chain *c,
				    const char *pw, size_t pw_len, struct ike_writer *w,
				    const char **why);

/* ike_child.c (core) and ikev2_child.c */
struct ike_child_sa *ike_child_alloc(struct ike_sa *sa);
/* Wipes and frees a Child SA and frees its slot (no event). */
void ike_child_release(struct ike_child_sa *cs);
void ike_child_offer(struct ike_sa *sa, const struct ike_child_cfg *cc,
		     uint32_t spi_in, struct ike_writer *w);
/* ---- ike_pool.c ---- */

struct ike_lease;
/* The pool of that name (not a detached one), or NULL. */
const struct ike_pool_cfg *ike_pool_find(const struct ike_engine *e, const char *name);
/* The address of id in pool: the one it holds from the same peer
 * address or held (its lease), or a free one; NULL when none is left
 * (counted) or no such pool. */
struct ike_lease *ike_pool_acquire(struct ike_engine *e, const char *pool,
				   const struct ike_identity *id, const struct ip_addr *peer,
				   uint64_t now_ms);
/* An IKE SA lets its lease go; the identity keeps it pc_lease_s. */
void ike_pool_release(struct ike_lease *l, uint64_t now_ms);
void ike_lease_addr(const struct ike_lease *l, struct ip_addr *out);
const struct ike_pool_cfg *ike_lease_pool(const struct ike_lease *l);
void ike_engine_pools_free(struct ike_engine *e);

/* ---- ikev2_cp.c ---- */

/* Responder, IKE_AUTH: the peer's CFG_REQUEST (§2.19) answered in w with
 * a CFG_REPLY from the connection's pools, the leases kept in the SA.
 * 0, or INTERNAL_ADDRESS_FAILURE (§3.15.4): an address was asked for and
 * none given; the Child SA is then not made. No CP: 0, nothing written. */
uint16_t ike_cp_respond(struct ike_sa *sa, const struct ike_chain *c, struct ike_writer *w);
/* The peer's selectors (a responder's TSi) cut to its virtual addresses,
 * when it has any: a selector of a family without one is dropped. */
void ike_cp_narrow(const struct ike_sa *sa, struct ike_selectors *peer);
/* Lets the SA's leases go. */
void ike_cp_release(struct ike_sa *sa);
/* Initiator: a CFG_REQUEST for an IPv4 address (c_ask_vip4), and the
 * CFG_REPLY's address taken into sa_my_vip. */
void ike_cp_request(struct ike_writer *w);
void ike_cp_take_reply(struct ike_sa *sa, const struct ike_chain *c);
/* A lease for id from the connection's pool of family fam (0: IPv4, 1:
 * IPv6), kept in the SA; NULL when the connection has no such pool or
 * it is exhausted (both logged at info). */
struct ike_lease *ike_cp_lease(struct ike_sa *sa, int fam, const struct ike_identity *id);

int ike_child_narrow(const struct ike_child_cfg *cc, const struct ike_selectors *tsi,
		     const struct ike_selectors *tsr, bool responder,
		     struct ike_selectors *local, struct ike_selectors *remote);
const struct ike_child_cfg *ike_child_cfg_for(const struct ike_conn_cfg *c,
					      const struct ike_selectors *tsi,
					      const struct ike_selectors *tsr);
/* IKEv1 (RFC 2409 §5.5: a responder takes proxy IDs as they are or
 * refuses them): the first child whose selectors hold local and remote
 * wholly, or NULL. */
const struct ike_child_cfg *ike_child_cfg_covering(const struct ike_conn_cfg *c,
						   const struct ike_selectors *local,
						   const struct ike_selectors *remote);
/* IKEv1 responder of a remote-access client that proposes more than a
 * child's local side (a Cisco Unity client: 0.0.0.0/0, for the gateway
 * to narrow to its split include): the first child whose remote
 * selectors hold remote and whose first local selector lies within
 * local, local cut to that selector; NULL when none. */
const struct ike_child_cfg *ike_child_cfg_narrow_local(const struct ike_conn_cfg *c,
						      struct ike_selectors *local,
						      const struct ike_selectors *remote);
int ike_child_install(struct ike_sa *sa, struct ike_child_sa *cs);
int ike_child_install_with(struct ike_sa *sa, struct ike_child_sa *cs,
			   const uint8_t *gir, size_t gir_len,
			   const uint8_t *ni, size_t ni_len,
			   const uint8_t *nr, size_t nr_len);
/* now + seconds less up to 10 % (§2.8: thousands of tunnels must not
 * rekey in the same second); 0 when seconds is 0. */
uint64_t ike_rekey_time(uint64_t now, uint32_t seconds);
void ike_child_event(struct ike_sa *sa, struct ike_child_sa *cs, bool up);
/* ev_child_moved for a Child SA whose IKE SA moved (MOBIKE). */
void ike_child_moved(struct ike_sa *sa, struct ike_child_sa *cs);
void ike_ts_from_cfg(const struct ike_ts_cfg *t, unsigned n, struct ike_selectors *ts);

/* ike_text.c: selectors as text ("198.18.1.0/24 192.0.2.1..192.0.2.9[17/500]"),
 * and a responder's TS_UNACCEPTABLE reason: the peer's TSi and TSr, then
 * each child of c as "name: local === remote". Cut at len, terminated. */
void ike_selectors_format(const struct ike_selectors *ts, char *buf, size_t len);
void ike_ts_refusal_format(const struct ike_conn_cfg *c, const struct ike_selectors *tsi,
			   const struct ike_selectors *tsr, char *buf, size_t len);
/* An IKEv2 exchange type's name (RFC 7296 §3.1 and later RFCs'). */
const char *ike_exchange_name(uint8_t exchange);
/* One of RFC 7296's four exchanges, the ones this layer takes. */
bool ike_exchange_known(uint8_t exchange);
/* The info line of a Child SA refused for its selectors ("what" names
 * the exchange). */
void ike_log_ts_refused(const struct ike_sa *sa, const char *what,
			const struct ike_selectors *tsi, const struct ike_selectors *tsr);

/* ikev2_create_child.c */
void ike_create_child_request(struct ike_sa *sa, const struct ike_chain *c);
void ike_create_child_response(struct ike_sa *sa, const struct ike_chain *c);
int ike_child_rekey_start(struct ike_sa *sa, struct ike_child_sa *cs);
int ike_child_create_start(struct ike_sa *sa, const struct ike_child_cfg *cc);
int ike_ike_rekey_start(struct ike_sa *sa);
void ike_child_delete_start(struct ike_sa *sa, struct ike_child_sa *cs);
void ike_pending_clear(struct ike_sa *sa);

/* ikev2_sa_init.c: NAT detection (§2.23) over the SA's SPIs and
 * endpoints: our two notifies into w; the peer's read into sa_nat_*
 * (a notify missing leaves its flag as it was). */
void ike_nat_write(struct ike_writer *w, const struct ike_sa *sa);
void ike_nat_check(struct ike_sa *sa, const struct ike_chain *c, uint64_t spi_r);

/* ikev2_mobike.c: MOBIKE (RFC 4555) */
/* Initiator: MOBIKE_SUPPORTED in our IKE_AUTH request (§3.3). */
void ike_mobike_offer(struct ike_sa *sa, struct ike_writer *w);
/* Initiator: whether the IKE_AUTH response agreed. */
void ike_mobike_agreed(struct ike_sa *sa, const struct ike_chain *c);
/* Responder, IKE_AUTH: the peer's MOBIKE_SUPPORTED answered in w when
 * the connection allows it; the SA then takes UPDATE_SA_ADDRESSES. */
void ike_mobike_answer(struct ike_sa *sa, const struct ike_chain *c, struct ike_writer *w);
/* Responder, an INFORMATIONAL request: COOKIE2 echoed (§3.5), an
 * UPDATE_SA_ADDRESSES taken (the SA moved to where the request came
 * from, NAT detection redone and answered, its Child SAs to follow after
 * our return routability check: v2_check_due), all into w;
 * the ADDITIONAL_*_ADDRESS and NO_ADDITIONAL_ADDRESSES list is accepted
 * and not used (a responder never moves on its own). */
void ike_mobike_request(struct ike_sa *sa, const struct ike_chain *c, struct ike_writer *w);
/* Initiator: our UPDATE_SA_ADDRESSES answered. */
void ike_mobike_response(struct ike_sa *sa, const struct ike_chain *c);
/* Responder, after an UPDATE_SA_ADDRESSES: an INFORMATIONAL with our
 * COOKIE2 to the peer's new address (§3.5); 0, -EBUSY while another
 * request of ours is out (the tick retries), or -errno. */
int ike_mobike_check_start(struct ike_sa *sa);
/* Its answer: the data plane moves when our COOKIE2 came back from the
 * address checked, which is still the peer's. */
void ike_mobike_check_response(struct ike_sa *sa, const struct ike_chain *c);
/* Initiator: moves the SA to local (the peer's address unchanged) with
 * UPDATE_SA_ADDRESSES, NAT detection and a COOKIE2 (§3.5); -EBUSY while
 * a request is in flight, -ENOTSUP when MOBIKE is not agreed. */
int ike_mobike_update_start(struct ike_sa *sa, const struct ike_endpoint *local);

/* ikev2_info.c */
void ike_info_request(struct ike_sa *sa, const struct ike_chain *c);
void ike_info_response(struct ike_sa *sa, const struct ike_chain *c);
void ike_dpd_start(struct ike_sa *sa);
void ike_delete_start(struct ike_sa *sa);
/* Answers a request with one error notify (§2.21.2). */
void ike_info_error(struct ike_sa *sa, uint8_t exchange, uint16_t notify);
void ike_info_error_request(struct ike_sa *sa, uint16_t notify);

#endif
