/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_IKE_H
#define ESPGATE_IKE_H

/*
 * The IKE engine (IKEv2, RFC 7296; IKEv1, RFC 2409), transport-agnostic:
 * datagrams and the clock go in (ike_engine_input, ike_engine_tick),
 * datagrams and events come out through callbacks. What reaches the
 * caller is the engine's own neutral types (ike_types.h), never a
 * protocol version's wire structures. No DPDK, no sockets, no threads: the
 * caller owns all of those (espgate's control lcore, or the UDP driver
 * of the tests and the load generator).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#include "ike_types.h"
#include "proposal.h"

struct ike_credential;
struct ike_trust;

#define IKE_NAME_MAX 32
#define IKE_ID_MAX 255
#define IKE_PSK_MAX 128
#define IKE_MAX_PROPOSALS 8
#define IKE_MAX_CHILD_CFG 8
#define IKE_MAX_TS_CFG 8
#define IKE_PROP_MAX CFG_PROP_MAX /* algorithms of one kind in one proposal */
#define IKE_PORT 500
#define IKE_NATT_PORT 4500 /* RFC 3948; datagrams carry the non-ESP marker */

struct ike_endpoint {
	struct ip_addr ep_addr;
	uint16_t ep_port;
};

struct ike_identity {
	uint8_t id_type; /* IKE_ID_*; 0 in a remote identity: anyone */
	uint8_t id_len;
	uint8_t id_data[IKE_ID_MAX];
};

/* An identity as text: addresses and names as they read (a name's
 * control bytes and backslashes as \xHH), a DN or key ID as "type:hex". */
void ike_id_text(uint8_t type, const uint8_t *data, size_t n, char *buf, size_t len);

/* Parses "aes128-sha256-modp2048" for proto IKE_PROTO_IKE or
 * IKE_PROTO_ESP: cfg_proposal_parse (proposal.h) with ike = proto is
 * IKE_PROTO_IKE; 0 or -EINVAL (with what is wrong in err). */
int ike_prop_parse(const char *text, uint8_t proto, struct cfg_proposal *p,
		   char *err, size_t errlen);

struct ike_ts_cfg {
	struct ip_prefix tc_prefix;
	uint8_t tc_proto;
	uint16_t tc_port_lo, tc_port_hi;
};

struct ike_child_cfg {
	char cc_name[IKE_NAME_MAX];
	struct ike_ts_cfg cc_local[IKE_MAX_TS_CFG], cc_remote[IKE_MAX_TS_CFG];
	uint8_t cc_n_local, cc_n_remote;
	bool cc_transport;
	struct cfg_proposal cc_esp[IKE_MAX_PROPOSALS];
	uint8_t cc_n_esp;
	uint32_t cc_rekey_s, cc_life_s; /* 0: none */
	/* Volume lifetimes the caller's data plane counts (0: none); handed
	 * back in ike_child_info. Its soft limit calls ike_engine_rekey_child. */
	uint64_t cc_rekey_bytes, cc_life_bytes, cc_rekey_packets, cc_life_packets;
};

enum ike_start { IKE_START_NONE, IKE_START_START, IKE_START_TRAP };

/* ---- Address pools (RFC 7296 §2.19, §3.15) ---- */

#define IKE_POOL_DNS_MAX 4
#define IKE_POOL_SPLIT_MAX 8
#define IKE_POOL_SIZE_MAX (1u << 20) /* addresses of one pool, at most */
#define IKE_CONN_POOLS 2             /* an IPv4 and an IPv6 pool */

/* Virtual addresses for clients that ask (CFG_REQUEST), and what the
 * CFG_REPLY tells them with one: DNS servers and the subnets to send
 * through the tunnel (INTERNAL_IP4/6_SUBNET, split include). */
struct ike_pool_cfg {
	char pc_name[IKE_NAME_MAX];
	struct ip_prefix pc_prefix; /* its addresses, bar the network's (and
				     * IPv4's broadcast up to /30) */
	struct ip_addr pc_dns[IKE_POOL_DNS_MAX];
	uint8_t pc_n_dns;
	struct ip_prefix pc_split[IKE_POOL_SPLIT_MAX];
	uint8_t pc_n_split;
	uint32_t pc_lease_s; /* an identity keeps its address this long after
			      * its last IKE SA; 0: given back at once */
};

struct ike_pool_info {
	const struct ike_pool_cfg *pi_cfg;
	uint32_t pi_size;      /* addresses */
	uint32_t pi_leases;    /* leased, held or within their lease time */
	uint32_t pi_held;      /* leased to an identity with an IKE SA */
	uint64_t pi_exhausted; /* requests refused: no address left */
};

struct ike_lease_info {
	const char *li_pool;
	struct ip_addr li_addr;
	const struct ike_identity *li_id;
	uint32_t li_holders;     /* IKE SAs holding it; 0: kept for li_id */
	uint64_t li_released_ms; /* when the last let it go (li_holders 0) */
};

/* The IKE version a connection speaks; a responder on IKE_VERSION_ANY
 * takes whichever the peer speaks, an initiator speaks IKEv2. */
enum ike_version { IKE_VERSION_2 = 0, IKE_VERSION_1 = 1, IKE_VERSION_ANY = 3 };

/* How the peer authenticates: as we do (PSK or certificate), or with
 * EAP (RFC 7296 §2.16): EAP-MSCHAPv2 against ike_engine_set_eap_users',
 * EAP-TLS (RFC 5216) with a certificate of c_trust's CAs; or (IKEv1) as
 * we do and then with XAUTH's generic user name and password
 * (draft-beaulieu-ike-xauth-02) against the same users (an IKEv1
 * initiator's phase 1 then offers the XAUTH methods; the client's part
 * of XAUTH is not built). */
enum ike_remote_auth {
	IKE_REMOTE_AUTH_SAME = 0,
	IKE_REMOTE_AUTH_EAP_MSCHAPV2 = 1,
	IKE_REMOTE_AUTH_EAP_TLS = 2,
	IKE_REMOTE_AUTH_XAUTH = 3,
	/* EAP relayed to a RADIUS server (RFC 3579): the engine asks for
	 * the identity, then hands each EAP-Response to ev_eap_radius and
	 * waits for ike_engine_eap_radius_answer. */
	IKE_REMOTE_AUTH_EAP_RADIUS = 4,
};

/* One EAP-MSCHAPv2 user: the identity (IDi) and its password (UTF-8). */
#define IKE_EAP_USER_MAX 64
struct ike_eap_user {
	char eu_name[IKE_EAP_USER_MAX + 1];
	const char *eu_password;
	uint16_t eu_password_len;
};

struct ike_conn_cfg {
	char c_name[IKE_NAME_MAX];
	struct ike_endpoint c_local;   /* family 0: any address */
	struct ike_endpoint c_remote;  /* family 0: any peer (responder only) */
	struct ike_identity c_local_id, c_remote_id;
	uint8_t c_psk[IKE_PSK_MAX];
	uint16_t c_psk_len;
	struct cfg_proposal c_ike[IKE_MAX_PROPOSALS];
	uint8_t c_n_ike;
	struct ike_child_cfg c_child[IKE_MAX_CHILD_CFG];
	uint8_t c_n_child;
	uint32_t c_rekey_s;     /* IKE SA rekey, 0: none */
	uint32_t c_reauth_s;    /* reauthentication (§2.8.3), 0: none */
	uint32_t c_dpd_s;       /* liveness check interval, 0: none */
	uint32_t c_dpd_timeout_s;
	enum ike_start c_start;
	bool c_no_fragmentation;  /* RFC 7383 off */
	/* Certificate authentication (RFC 7296 §2.15, RFC 7427): our
	 * credential and the CAs the peer's certificate must chain to; both
	 * loaded by the caller (ike_cert.h) and owned by it. NULL: PSK. */
	const struct ike_credential *c_cred;
	const struct ike_trust *c_trust;
	uint16_t c_frag_size;     /* largest IP datagram of a fragment; 0: 1280 */
	enum ike_version c_version;
	/* IKEv1 aggressive mode (RFC 2409 §5): an initiator uses it, a
	 * responder accepts it; with a PSK its hash can be attacked offline. */
	bool c_aggressive;
	/* Responder: pools (ike_engine_add_pool) whose addresses a client's
	 * CFG_REQUEST gets, one per family; the Child SAs' remote selectors
	 * are narrowed to the address given. */
	char c_pools[IKE_CONN_POOLS][IKE_NAME_MAX];
	uint8_t c_n_pools;
	/* Responder: the client authenticates with EAP, we with c_cred. */
	enum ike_remote_auth c_remote_auth;
	/* EAP-Identity (RFC 3748 §5.1) first, the user name its answer; also
	 * without this when the IDi is an address. EAP-TLS: TLS 1.3 (RFC
	 * 9190) as well as 1.2. */
	bool c_eap_identity;
	bool c_eap_tls13;
	bool c_eap_only; /* EAP-TLS alone proves us to a client that offers it (RFC 5998) */
	/* IKEv1 responder with pools: Mode Config's address is pushed (our
	 * CFG_SET) rather than pulled (the client's CFG_REQUEST). */
	bool c_modecfg_push;
	/* Initiator: authenticate with EAP-MSCHAPv2 as c_local_id with this
	 * password (UTF-8, the caller's; NULL: not), the responder by its
	 * certificate (c_trust). */
	const char *c_eap_password;
	uint16_t c_eap_password_len;
	/* Initiator: ask for a virtual IPv4 address (CFG_REQUEST, RFC 7296
	 * §3.15.1); the CFG_REPLY's is ike_sa_info's si_vip. */
	bool c_ask_vip4;
	/* MOBIKE (RFC 4555) off: not offered, MOBIKE_SUPPORTED not
	 * answered, UPDATE_SA_ADDRESSES refused. */
	bool c_no_mobike;
};

/* A negotiated Child SA, as the data plane needs it. "in" is what the
 * peer sends us, "out" what we send. */
struct ike_child_info {
	const char *ci_conn;
	const char *ci_child;
	uint32_t ci_ike_id;
	uint64_t ci_ike_spi_i, ci_ike_spi_r;
	uint32_t ci_spi_in, ci_spi_out;
	bool ci_transport;
	bool ci_esn;
	bool ci_encap;            /* UDP encapsulation (NAT-T) */
	/* transport mode behind a NAT (IKEv1 NAT-OA, RFC 3947 §5.2), for
	 * the checksums of RFC 3948 §3.1.2: the peer's address as it knows
	 * it, and ours as the peer knows it; family 0: none */
	struct ip_addr ci_peer_oa, ci_local_oa;
	struct ike_endpoint ci_local, ci_remote;
	uint16_t ci_encr, ci_encr_bits, ci_integ;
	uint8_t ci_encr_len, ci_integ_len; /* key (+ salt) and integrity key bytes */
	const uint8_t *ci_encr_in, *ci_integ_in, *ci_encr_out, *ci_integ_out;
	const struct ike_selectors *ci_ts_local, *ci_ts_remote;
	uint32_t ci_life_s;
	uint64_t ci_rekey_bytes, ci_life_bytes, ci_rekey_packets, ci_life_packets;
	bool ci_replaced;         /* child_down: a rekey made its successor */
	/* child_up: send on the new outbound SA only this long after
	 * installing it (the inbound SA at once). IKEv1's quick mode has
	 * no answer to its last message: the peer's inbound SA may not be
	 * in place yet (RFC 2409 §5.5). 0: at once. */
	uint32_t ci_out_defer_ms;
	/* child_up of the first Child SA an IKE SA brings up: the stamp
	 * (ike_engine_set_input_stamp) when that IKE SA was made, i.e. of
	 * its first datagram (responder) or its initiate call; 0 for
	 * every other Child SA, or when the caller sets no stamps. */
	uint64_t ci_setup_stamp;
};

struct ike_sa_info {
	const char *si_conn;
	uint32_t si_id;
	uint64_t si_spi_i, si_spi_r;
	bool si_initiator;
	uint8_t si_version;      /* 1 or 2 */
	bool si_aggressive;      /* IKEv1: phase 1 was aggressive mode */
	struct ike_endpoint si_local, si_remote;
	struct ip_addr si_vip;   /* initiator: the virtual address given; family 0: none */
	const char *si_reason; /* ike_down: why */
};

enum ike_log_level { IKE_LOG_DEBUG, IKE_LOG_INFO };

/* EAP-RADIUS (RFC 3579): one EAP-Response of a client to relay in an
 * Access-Request, with the State of the last Access-Challenge (RFC 2865
 * §5.24; none in the first). The handle names this one round of this
 * IKE SA's conversation and is never given again. */
#define IKE_RADIUS_STATE_MAX 253
#define IKE_EAP_MSG_MAX 4096
struct ike_radius_request {
	uint64_t rr_handle;
	uint32_t rr_ike_id;
	const char *rr_conn;
	const char *rr_user;          /* the EAP identity: User-Name */
	const uint8_t *rr_eap;        /* the whole EAP packet (RFC 3748 §4) */
	size_t rr_eap_len;
	const uint8_t *rr_state;
	size_t rr_state_len;
	struct ike_endpoint rr_peer;  /* Calling-Station-Id */
	struct ike_endpoint rr_local; /* Called-Station-Id */
};

enum ike_radius_verdict {
	IKE_RADIUS_ACCEPT,    /* Access-Accept: EAP-Success and the MSK */
	IKE_RADIUS_CHALLENGE, /* Access-Challenge: the next EAP-Request */
	IKE_RADIUS_REJECT,    /* Access-Reject (EAP-Failure) */
	IKE_RADIUS_NO_ANSWER, /* no server answered: refused */
};

/* The server's answer; a refusal's ra_reason goes into the log line. */
#define IKE_RADIUS_MSK_MAX 128
struct ike_radius_answer {
	enum ike_radius_verdict ra_verdict;
	const uint8_t *ra_eap;        /* the EAP-Message attributes joined */
	size_t ra_eap_len;
	const uint8_t *ra_state;
	size_t ra_state_len;
	const uint8_t *ra_msk;        /* MS-MPPE-Recv-Key || MS-MPPE-Send-Key */
	size_t ra_msk_len;
	struct ip_addr ra_framed_ip;  /* Framed-IP-Address; family 0: none */
	const char *ra_reason;
};

/* What a log line is about, for a structured log (journald's fields):
 * empty or zero where the line does not name it. */
#define IKE_LOG_PEER_MAX 48
struct ike_log_fields {
	char lf_peer[IKE_LOG_PEER_MAX];  /* the peer's address */
	char lf_conn[IKE_NAME_MAX];      /* the connection that matched */
	uint32_t lf_ike_sa;              /* the IKE SA's id */
	uint64_t lf_spi_i, lf_spi_r;     /* its SPIs (host order) */
};

struct ike_events {
	void *ev_ctx;
	void (*ev_send)(void *ctx, const struct ike_endpoint *local,
			const struct ike_endpoint *remote, const uint8_t *buf,
			size_t len);
	void (*ev_ike_up)(void *ctx, const struct ike_sa_info *sa);
	void (*ev_ike_down)(void *ctx, const struct ike_sa_info *sa);
	void (*ev_child_up)(void *ctx, const struct ike_child_info *child);
	void (*ev_child_down)(void *ctx, const struct ike_child_info *child);
	/* May be NULL. Called from ike_engine_tick and ike_engine_flush_log,
	 * never while a message is processed. level: IKE_LOG_INFO for what an
	 * operator needs to see (a refusal and its reason), IKE_LOG_DEBUG for
	 * the rest. f: what the line is about (never NULL; fields empty when
	 * unknown). */
	void (*ev_log)(void *ctx, enum ike_log_level level, const struct ike_log_fields *f,
		       const char *line);
	/* A NAT-T keepalive (RFC 3948 §2.3): one 0xFF byte on the NAT-T
	 * port, no non-ESP marker. May be NULL. */
	void (*ev_keepalive)(void *ctx, const struct ike_endpoint *local,
			     const struct ike_endpoint *remote);
	/* An IKE SA this side initiated ended before it was established
	 * (no answer, refused, authentication failed); si_reason says why.
	 * ev_ike_down follows only established SAs. May be NULL. */
	void (*ev_ike_failed)(void *ctx, const struct ike_sa_info *sa);
	/* MOBIKE (RFC 4555 §3.5): the peer moved an established IKE SA to
	 * si_local/si_remote (ev_ike_moved), then each of its tunnel-mode
	 * Child SAs, SPIs and keys unchanged, with the new endpoints and
	 * UDP encapsulation (ev_child_moved). May be NULL. */
	void (*ev_ike_moved)(void *ctx, const struct ike_sa_info *sa);
	void (*ev_child_moved)(void *ctx, const struct ike_child_info *child);
	/* EAP-RADIUS: an EAP-Response to relay (copy what is kept; called
	 * while the message is processed). The IKE SA waits for
	 * ike_engine_eap_radius_answer with rr_handle. May be NULL: the
	 * client is refused. */
	void (*ev_eap_radius)(void *ctx, const struct ike_radius_request *rr);
};

struct ike_engine;

/* Denial-of-service defence (RFC 7296 §2.6). */
struct ike_limits {
	unsigned li_cookie_threshold;   /* half-open SAs from which a COOKIE is
					 * demanded; 0: never */
	unsigned li_half_open_per_src;  /* half-open SAs one address may hold;
					 * 0: no cap */
};

/* The engine's counters: name (as espgatectl shows it, the field without
 * its st_ prefix) and what it counts. */
#define IKE_STATS(X) \
	X(conns, "connections held, removed ones that IKE SAs still use included") \
	X(sas, "IKE SAs, half-open and connecting ones included") \
	X(half_open, "IKE SAs a peer began and has not authenticated yet (RFC 7296 §2.6)") \
	X(init_requests, "IKE_SA_INIT requests received") \
	X(cookies_sent, "IKE_SA_INIT requests answered with a COOKIE, no state kept (§2.6)") \
	X(cookies_rejected, "IKE_SA_INIT requests with a wrong or old COOKIE: dropped") \
	X(half_open_capped, "IKE_SA_INIT requests over the per-address half-open cap: dropped") \
	X(bad_messages, "messages malformed or not verifying: dropped") \
	X(responses_resent, "retransmitted requests answered with the kept response (§2.1), not processed again") \
	X(bad_spis, "SPIs impossible for the exchange and flags (§2.6, §3.1): dropped before any state") \
	X(bad_versions, "a major version above 2: refused with INVALID_MAJOR_VERSION (§1.5)") \
	X(unsupported_exchanges, "authenticated messages of an exchange not taken: one not implemented (INVALID_SYNTAX to a request) or out of its state (IKE_AUTH again: NO_ADDITIONAL_SAS)") \
	X(ikev1_messages, "major version 1 (ISAKMP) datagrams received") \
	X(ike_established, "IKE SAs set up (IKEv2 IKE_AUTH, IKEv1 phase 1), both roles; rekeys not counted") \
	X(ike_rekeyed, "IKE SAs rekeyed (IKEv2 CREATE_CHILD_SA, §2.8)") \
	X(child_established, "Child SAs negotiated, both roles and versions, rekeys included") \
	X(retransmits, "requests sent again for want of an answer (RFC 7296 §2.1, RFC 2408 §5)") \
	X(retransmit_give_up, "SAs given up: no answer after the last retransmission or the liveness timeout") \
	X(fail_no_proposal, "IKE_SA_INIT requests refused with NO_PROPOSAL_CHOSEN: no proposal the connection takes") \
	X(fail_auth, "peers refused with AUTHENTICATION_FAILED (IKEv2: AUTH, identity, certificate, EAP)") \
	X(fail_unknown_id, "of fail_auth: an identity no connection from that address takes (§2.15)") \
	X(fail_ts, "Child SAs refused with TS_UNACCEPTABLE: selectors no child of the connection takes (§2.9)") \
	X(ikev1_unknown_sa, "ISAKMP messages for no SA of ours: dropped (RFC 2408 §5.2)") \
	X(ikev1_p1_refused, "IKEv1 phase 1 requests no connection takes (addresses, proposals, aggressive mode not enabled)") \
	X(ikev1_v2_only, "IKEv1 phase 1 requests whose addresses only IKEv2 connections take (counted in ikev1_p1_refused too)") \
	X(ikev1_frags, "IKEv1 fragments received (each counted in ikev1_messages too)") \
	X(ikev1_reassembled, "IKEv1 messages made whole from fragments") \
	X(ikev1_frags_bad, "IKEv1 fragments dropped: malformed, for no SA, numbered beyond 32 or at odds with the last, or the message past 8192 bytes") \
	X(ikev1_frags_dup, "IKEv1 fragments dropped: one we had") \
	X(ikev1_frags_lost, "IKEv1 messages partly in, given up: too old, replaced by another fragment ID, or too large") \
	X(refusals_limited, "unauthenticated refusals not sent: over the rate limit") \
	X(bad_transitions, "SA state changes refused (a bug if ever nonzero)") \
	X(timer_runs, "SAs whose timers a tick looked at") \
	X(log_dropped, "log lines the full ring could not take") \
	X(log_rate_limited, "refusal lines not logged: over 5 a second from one peer or 100 a second in all") \
	X(init_no_conn, "IKE_SA_INIT requests for addresses no connection takes: dropped") \
	X(eap_tls_too_large, "EAP-TLS conversations refused: the client's TLS handshake over 64 KiB or 256 messages") \
	X(eap_only, "EAP-only authentications taken (RFC 5998): EAP-TLS proved us, no certificate AUTH of ours") \
	X(mobike_updates, "UPDATE_SA_ADDRESSES taken: the IKE SA and its Child SAs moved to the request's source (RFC 4555 §3.5)") \
	X(mobike_refused, "UPDATE_SA_ADDRESSES refused: MOBIKE not agreed on the IKE SA") \
	X(radius_requests, "EAP-Responses handed to RADIUS (EAP-RADIUS, RFC 3579)") \
	X(radius_accepts, "EAP-RADIUS conversations the server accepted") \
	X(radius_rejects, "EAP-RADIUS clients refused by the server (Access-Reject, or an answer without EAP-Message or MSK)") \
	X(radius_no_answer, "EAP-RADIUS clients refused: no RADIUS server answered") \
	X(radius_timeouts, "EAP-RADIUS clients refused: no answer came back within the engine's wait") \
	X(radius_stale, "RADIUS answers dropped: the IKE SA or the round they answer is gone") \
	X(radius_retransmits, "IKE_AUTH requests dropped while their RADIUS answer is awaited (the client's retransmissions)") \
	X(mobike_cookie2_bad, "our UPDATE_SA_ADDRESSES or return routability check answered without our COOKIE2 (RFC 4555 §3.5): the move not taken") \
	X(mobike_checks, "return routability checks of a peer's new address passed (RFC 4555 §3.5): its Child SAs' traffic moved there")

struct ike_stats {
#define IKE_STAT_FIELD(name, desc) uint64_t st_##name;
	IKE_STATS(IKE_STAT_FIELD)
#undef IKE_STAT_FIELD
};

struct ike_stat_info {
	const char *name, *desc;
	size_t offset; /* of the counter in struct ike_stats */
};
/* IKE_STATS as a table, ike_stats_count entries. */
extern const struct ike_stat_info ike_stats_info[];
extern const unsigned ike_stats_count;


/* An IKE SA not established yet (connecting, or half-open as responder). */
struct ike_sa_progress {
	struct ike_sa_info sp_info;
	const char *sp_state;     /* ike_state_name */
	uint64_t sp_created_ms;
	unsigned sp_retransmits;  /* of our request in flight */
};
typedef void (*ike_progress_fn)(void *ctx, const struct ike_sa_progress *sp);
/* Each IKE SA not yet established (at most max of them). */
void ike_engine_progress(const struct ike_engine *e, unsigned max, ike_progress_fn fn,
			 void *ctx);

struct ike_engine *ike_engine_new(const struct ike_events *ev);
void ike_engine_set_limits(struct ike_engine *e, const struct ike_limits *l);
/* A pool, or the same again (kept with its leases: 0). One of that name
 * but other settings is replaced; its leases stay with the SAs that hold
 * them, new ones come from the new pool. Around a reload: _begin, then
 * add every pool of the new configuration, then _commit detaches those
 * not added. -EINVAL: a bad prefix or too many DNS or split entries. */
int ike_engine_add_pool(struct ike_engine *e, const struct ike_pool_cfg *pc);
void ike_engine_pools_begin(struct ike_engine *e);
void ike_engine_pools_commit(struct ike_engine *e);
typedef void (*ike_pool_fn)(void *ctx, const struct ike_pool_info *pi);
typedef void (*ike_lease_fn)(void *ctx, const struct ike_lease_info *li);
/* Each pool (pool_fn not NULL), then (lease_fn not NULL) each of its leases. */
void ike_engine_pools(const struct ike_engine *e, ike_pool_fn pool_fn, ike_lease_fn lease_fn,
		      void *ctx);
/* The EAP-MSCHAPv2 users, copied (the old ones wiped): 0, -ENOMEM, or
 * -ENOTSUP when OpenSSL's legacy provider (MD4, DES) cannot be loaded. */
int ike_engine_set_eap_users(struct ike_engine *e, const struct ike_eap_user *u, unsigned n);
void ike_engine_stats(const struct ike_engine *e, struct ike_stats *st);
/* How long an IKE SA waits for a RADIUS answer before it refuses the
 * client (AUTHENTICATION_FAILED, st_radius_timeouts); 0: 10 s. */
void ike_engine_set_radius_wait(struct ike_engine *e, uint32_t ms);
/* The answer to the request with that handle: 0; -ESTALE when the IKE SA
 * or that round is gone (counted in st_radius_stale, nothing else done). */
int ike_engine_eap_radius_answer(struct ike_engine *e, uint64_t handle,
				 const struct ike_radius_answer *ra, uint64_t now_ms);
void ike_engine_free(struct ike_engine *e);
int ike_engine_add_conn(struct ike_engine *e, const struct ike_conn_cfg *c);
/* Deletes the connection's IKE SAs and forgets it; the number of IKE SAs
 * being deleted, or -ENOENT. */
int ike_engine_remove_conn(struct ike_engine *e, const char *name, uint64_t now_ms);
/* One datagram from remote to local (UDP payload; on port 4500 with the
 * non-ESP marker removed). */
void ike_engine_input(struct ike_engine *e, const struct ike_endpoint *local,
		      const struct ike_endpoint *remote, const uint8_t *buf,
		      size_t len, uint64_t now_ms);
/* Starts the connection's IKE SA with its children. */
int ike_engine_initiate(struct ike_engine *e, const char *conn, uint64_t now_ms);
/* Rekeys the Child SA of IKE SA ike_id whose inbound or outbound SPI is
 * spi (a data-plane soft lifetime, RFC 4301 §4.4.2.1); 0, -EALREADY when
 * it is being rekeyed already, or -ENOENT. */
int ike_engine_rekey_child(struct ike_engine *e, uint32_t ike_id, uint32_t spi,
			   uint64_t now_ms);
/* Deletes the IKE SA (and its children) with that id. */
int ike_engine_terminate(struct ike_engine *e, uint32_t ike_id, uint64_t now_ms);
/* Rekeys the IKE SA with that id, or (children) each of its Child SAs,
 * one exchange after another. */
int ike_engine_rekey(struct ike_engine *e, uint32_t ike_id, bool children, uint64_t now_ms);
/* Retransmissions, liveness checks, lifetimes; then the queued log lines. */
void ike_engine_tick(struct ike_engine *e, uint64_t now_ms);
/* The caller's clock (any unit, nonzero) for the datagram or initiate
 * that comes next: an IKE SA made by it keeps the stamp, and hands it
 * to the child_up of its first Child SA (ci_setup_stamp), so that the
 * caller can time a setup from its first datagram to its data plane. */
void ike_engine_set_input_stamp(struct ike_engine *e, uint64_t stamp);
/* Hands the queued log lines (at most 256; more are counted in
 * st_log_dropped) to ev_log. */
void ike_engine_flush_log(struct ike_engine *e);
unsigned ike_engine_sa_count(const struct ike_engine *e);

#endif
