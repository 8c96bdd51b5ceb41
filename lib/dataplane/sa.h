/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_SA_H
#define ESPGATE_SA_H

/*
 * Security associations as the data plane holds them, and the tables
 * that find them: inbound by SPI and outer destination (rte_hash, lock-
 * free readers), and by traffic selector (the SPD of each direction: an
 * rte_fib on the selector's destination prefix, then source, protocol and
 * ports, the most specific destination prefix deciding).
 *
 * The control lcore is the only writer. An SA is built completely, then
 * published; a deleted SA is freed only after every worker has passed a
 * quiescent state (rte_rcu_qsbr). Mutable per-SA state (sequence number,
 * replay window, counters) is written by one worker, the SA's owner.
 */

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "esp_crypto.h"
#include "replay.h"
#include "replay_mt.h"

struct rte_rcu_qsbr;

enum esp_dir { ESP_DIR_IN, ESP_DIR_OUT };
enum esp_mode { ESP_MODE_TUNNEL, ESP_MODE_TRANSPORT };
enum esp_df { ESP_DF_COPY, ESP_DF_SET, ESP_DF_CLEAR };

/* Per-SA drop reasons: name, description. */
#define ESP_SA_DROPS(X) \
	X(replay, "sequence number replayed or left of the window (RFC 4303 §3.4.3)") \
	X(auth_failed, "ICV did not verify") \
	X(bad_padding, "padding or pad length invalid (RFC 4303 §2.4)") \
	X(bad_next_header, "next header not the inner protocol the SA carries") \
	X(malformed, "truncated ESP, or ciphertext not a multiple of the block") \
	X(policy_mismatch, "decrypted packet outside the SA's selectors (RFC 4301 §5.2)") \
	X(too_big, "encapsulated packet would exceed the egress MTU") \
	X(seq_overflow, "sequence numbers exhausted (RFC 4303 §3.3.3)") \
	X(hard_expired, "hard lifetime reached") \
	X(no_route, "no route to the outer destination") \
	X(dummy, "dummy packet, next header 59 (RFC 4303 §2.6)")

#define ESP_DROP_ENUM(name, desc) ESP_DROP_##name,
enum esp_sa_drop { ESP_SA_DROPS(ESP_DROP_ENUM) ESP_DROP_MAX };
#undef ESP_DROP_ENUM

extern const char *const esp_sa_drop_names[ESP_DROP_MAX];
extern const char *const esp_sa_drop_descs[ESP_DROP_MAX];

/* A traffic selector: prefixes, protocol (0 any), port ranges. */
struct esp_ts {
	struct ip_prefix src;
	struct ip_prefix dst;
	uint8_t proto;
	uint16_t sport_lo, sport_hi;
	uint16_t dport_lo, dport_hi;
};

/* What the control plane asks for. */
struct esp_sa_conf {
	char name[32];
	uint32_t spi;
	enum esp_dir dir;
	enum esp_mode mode;
	struct ip_addr src, dst; /* outer endpoints */
	struct esp_algo algo;
	struct esp_ts ts;
	uint32_t replay_window;  /* in: 0 = off */
	bool esn;
	bool udp_encap;
	uint16_t encap_sport, encap_dport;
	/* Inbound UDP-encapsulated transport mode (RFC 3948 §3.1.2): the
	 * addresses the peer's TCP and UDP checksums were computed over
	 * (IKEv1's NAT-OA, RFC 3947 §5.2): orig_src the peer's own, orig_dst
	 * ours as the peer knows it; family 0 where a NAT changed nothing
	 * or nobody said. */
	struct ip_addr orig_src, orig_dst;
	enum esp_df df;
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets;
	int owner; /* worker index, -1 (the first), or ESP_SA_SHARED */
};

/* conf.owner of an SA that every worker handles (sa_owner
 * ESP_OWNER_ANY): outbound numbers reserved by blocks (seq_block.h),
 * inbound checked by the shared window (replay_mt.h), its counters
 * added atomically. */
#define ESP_SA_SHARED (-2)
#define ESP_OWNER_ANY UINT16_MAX

/* Lifetime events a worker raises for the control lcore. */
enum esp_sa_event_kind { ESP_EV_SOFT, ESP_EV_HARD };

/* Counters and state the owner worker alone writes; what every packet
 * touches first, the drop counters after it. */
struct esp_sa_state {
	uint64_t st_seq;    /* out: last sequence number sent */
	uint64_t st_packets;
	uint64_t st_bytes;  /* inner bytes */
	bool st_soft_raised;
	bool st_hard_raised;
	uint64_t st_drops[ESP_DROP_MAX];
};

/*
 * One allocation: this struct, then the expanded keys (as many bytes as
 * the algorithm needs: esp_keys_size), then the replay window (inbound,
 * when on). The first two cache lines are what every worker's lookups
 * read; the owner's counters start on the third, beside the fields only
 * the owner (lifetimes) or the control lcore (name) read.
 *
 * Size (issue 19): 320 bytes, five lines. The keys are a flexible array
 * member, not a pointer, so the first part is exactly two lines and the
 * struct does not round up to six: a field added to either part costs a
 * whole line per SA (bench/esp.sh's sa_bytes_beyond_keysched).
 */
struct esp_sa {
	/* Read-only once published. */
	uint32_t sa_id;
	uint32_t sa_spi;          /* host order */
	uint8_t sa_dir, sa_mode, sa_df;
	uint8_t sa_iv_len, sa_icv_len, sa_block;
	bool sa_aead, sa_esn, sa_encap, sa_cbc_iv;
	uint16_t sa_owner;
	uint16_t sa_encap_sport, sa_encap_dport;
	uint16_t sa_keys_size;    /* bytes at sa_keys */
	uint32_t sa_next;         /* next outbound SA id+1 with the same
				   * destination prefix; 0 ends the chain */
	struct esp_ts sa_ts;
	struct ip_addr sa_src, sa_dst;
	uint8_t sa_enc, sa_enc_key_len, sa_integ, sa_integ_key_len; /* esp_sa_algo_name */
	uint32_t sa_outer4_sum;   /* IPv4 outer: esp_outer4_sum */
	uint32_t sa_l4_fix;       /* in, transport: esp_l4_fix_sum; 0 none */
	/* Read-only, for the owner's per-packet lifetime check: in one
	 * cache line with the counters it checks. */
	alignas(64) uint64_t sa_soft_bytes;
	uint64_t sa_hard_bytes, sa_soft_packets, sa_hard_packets;
	/* Written by the owner worker only. */
	struct esp_sa_state sa_st;
	/* in, when the window is on: the owner's, or a shared SA's
	 * lock-free one (esp_sa_replay, esp_sa_replay_mt); one pointer,
	 * so the struct stays five lines */
	void *sa_window;
	char sa_name[32];             /* the control lcore's */
	/* sa_keys_size bytes of keys, 64-byte aligned after the above */
	struct esp_keys sa_keys[];
};

/* An inbound SA's anti-replay window, or NULL: the owner worker's
 * (replay.c) for an SA of one worker, the lock-free one (replay_mt.c)
 * for a shared SA. */
static inline struct esp_replay *esp_sa_replay(const struct esp_sa *sa)
{
	return sa->sa_owner == ESP_OWNER_ANY ? NULL : (struct esp_replay *)sa->sa_window;
}

static inline struct esp_replay_mt *esp_sa_replay_mt(const struct esp_sa *sa)
{
	return sa->sa_owner == ESP_OWNER_ANY ? (struct esp_replay_mt *)sa->sa_window : NULL;
}

struct esp_sadb;

struct esp_sadb *esp_sadb_create(const char *name, int socket_id,
				 uint32_t max_sas, struct rte_rcu_qsbr *qs,
				 unsigned n_workers);
void esp_sadb_free(struct esp_sadb *db);

/* Builds, keys and publishes an SA. Returns its id (>= 0) or -errno:
 * -EEXIST for a duplicate inbound (SPI, destination), -ENOSPC when full,
 * -EINVAL for a bad algorithm. 'engine' expands the keys. */
int esp_sa_add(struct esp_sadb *db, struct esp_engine *engine,
	       const struct esp_sa_conf *conf);
/* Unpublishes the SA; frees it once no worker can still see it. */
int esp_sa_del(struct esp_sadb *db, uint32_t id);
/* Sequence numbers an outbound SA's replacement skips (esp_sa_replace):
 * more than its owner can still send on the old one while workers pass
 * their quiescent state (a handoff ring and a poll loop's bursts), so
 * no number, and no AES-GCM IV made of it, is used twice. */
#define ESP_SA_REPLACE_SEQ_GAP (1u << 16)
/* Replaces outbound SA id by one built from conf (the same SPI and
 * selectors; other outer addresses, UDP encapsulation or ports: an IKE
 * SA that moved, RFC 4555) without a gap for the workers: the new one
 * goes to the head of its selector's SPD chain (as a rekey's, one
 * atomic store), then the old one is deleted. The new one carries on
 * the old one's counters, lifetime state and sequence numbers (plus
 * ESP_SA_REPLACE_SEQ_GAP) and must have the same owner. The new id
 * (>= 0), or -ENOENT, -EINVAL (not outbound, another SPI or owner),
 * -ENOSPC; the old SA stays on failure. */
int esp_sa_replace(struct esp_sadb *db, struct esp_engine *engine, uint32_t id,
		   const struct esp_sa_conf *conf);

/* Readers (workers); valid until the reader's next quiescent state. */
struct esp_sa *esp_sa_by_id(const struct esp_sadb *db, uint32_t id);
/* The inbound SAs of n packets at once: sa[i] for (spi[i], dst[i]), or
 * NULL. */
void esp_sa_lookup_in_bulk(const struct esp_sadb *db, const uint32_t *spi,
			   const struct ip_addr *dst, unsigned n, struct esp_sa **sa);
/* The outbound SA whose selector covers the packet; NULL when none. */
struct esp_sa *esp_sa_lookup_out(const struct esp_sadb *db, uint8_t family,
				 const uint8_t *src, const uint8_t *dst,
				 uint8_t proto, uint16_t sport, uint16_t dport);
/* The same in two steps, so that a burst's IPv4 destinations (host
 * order) are looked up in the SPD in one call: their SPD nodes first,
 * valid until the reader's next quiescent state, then each packet's SA
 * from its node. */
void esp_sa_out_nodes4(const struct esp_sadb *db, uint32_t *dst, uint64_t *node,
		       unsigned n);
struct esp_sa *esp_sa_lookup_out4_at(const struct esp_sadb *db, uint64_t node,
				     const uint8_t *src, const uint8_t *dst,
				     uint8_t proto, uint16_t sport, uint16_t dport);
/* The SA of direction dir whose selector covers the packet. */
struct esp_sa *esp_sa_lookup_policy(const struct esp_sadb *db, enum esp_dir dir,
				    uint8_t family, const uint8_t *src,
				    const uint8_t *dst, uint8_t proto,
				    uint16_t sport, uint16_t dport);
bool esp_sadb_has_policies(const struct esp_sadb *db, enum esp_dir dir);
bool esp_sadb_has_outbound(const struct esp_sadb *db);
bool esp_ts_match(const struct esp_ts *ts, uint8_t family, const uint8_t *src,
		  const uint8_t *dst, uint8_t proto, uint16_t sport,
		  uint16_t dport);

/* For listings: every id below this may be in use. */
uint32_t esp_sadb_id_limit(const struct esp_sadb *db);
uint32_t esp_sadb_count(const struct esp_sadb *db);
/* What the tables hold: SAs, inbound (SPI, destination) keys, and SAs in
 * each direction's SPD (by enum esp_dir). With every SA deleted, all 0. */
struct esp_sadb_usage {
	uint32_t u_sas;
	uint32_t u_in_keys;
	uint32_t u_policies[2];
};
void esp_sadb_usage(const struct esp_sadb *db, struct esp_sadb_usage *u);
/* The SA's algorithm, as esp_algo_name spells it. */
const char *esp_sa_algo_name(const struct esp_sa *sa);
/* Bytes the data plane holds per SA (runtime SA, replay window, table
 * entries), for the benchmark's memory figure. */
size_t esp_sa_footprint(const struct esp_sa *sa);

#endif
