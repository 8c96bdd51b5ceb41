/* SPDX-License-Identifier: BSD-3-Clause */
#include "sa.h"
#include "esp.h"
#include "spd.h"
#include "byteorder.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_rib.h>
#include <rte_rib6.h>

#define ESP_DROP_NAME(name, desc) #name,
#define ESP_DROP_DESC(name, desc) desc,
const char *const esp_sa_drop_names[ESP_DROP_MAX] = { ESP_SA_DROPS(ESP_DROP_NAME) };
const char *const esp_sa_drop_descs[ESP_DROP_MAX] = { ESP_SA_DROPS(ESP_DROP_DESC) };

struct esp_in_key {
	uint32_t spi;
	uint8_t family;
	uint8_t pad[3];
	uint8_t dst[16];
};

struct esp_sadb {
	struct esp_sa **db_by_id; /* written with atomic stores */
	uint32_t db_max;
	uint32_t db_count;
	uint32_t db_next_id;      /* ids are handed out round robin */
	struct rte_hash *db_in;   /* (SPI, destination) -> inbound SA */
	struct esp_spd *db_spd[2]; /* by enum esp_dir */
	uint32_t db_spd_count[2];
	struct rte_rcu_qsbr *db_qs;
};

/*
 * Outbound policies are looked up for every protected packet: DIR24_8 and
 * TRIE tables. Inbound policies only for plaintext arriving from the
 * unprotected side (RFC 4301 §5.2), which a concentrator sees little of:
 * RIB-only tables, whose memory grows with their entries.
 */
struct esp_sadb *esp_sadb_create(const char *name, int socket_id,
				 uint32_t max_sas, struct rte_rcu_qsbr *qs,
				 unsigned n_workers)
{
	char n[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = n, .entries = max_sas, .key_len = sizeof(struct esp_in_key),
		.hash_func = rte_hash_crc, .socket_id = socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct esp_sadb *db = rte_zmalloc("esp_sadb", sizeof(*db), 0);
	(void)n_workers;
	if (!db)
		return NULL;
	db->db_max = max_sas;
	db->db_qs = qs;
	db->db_by_id = rte_zmalloc_socket("esp_sa_ids", sizeof(*db->db_by_id) * max_sas,
					  RTE_CACHE_LINE_SIZE, socket_id);
	snprintf(n, sizeof(n), "%s_in", name);
	db->db_in = rte_hash_create(&hp);
	snprintf(n, sizeof(n), "%s_po", name);
	db->db_spd[ESP_DIR_OUT] = spd_create(n, socket_id, max_sas, true, qs);
	snprintf(n, sizeof(n), "%s_pi", name);
	db->db_spd[ESP_DIR_IN] = spd_create(n, socket_id, max_sas, false, qs);
	if (!db->db_by_id || !db->db_in || !db->db_spd[0] || !db->db_spd[1]) {
		esp_sadb_free(db);
		return NULL;
	}
	return db;
}

/* SAs live on the ordinary heap (they are never allocated on the fast
 * path): AddressSanitizer then sees a worker that touches a freed one. */
static struct esp_sa *sa_alloc(size_t size)
{
	size_t rounded = RTE_ALIGN_CEIL(size, RTE_CACHE_LINE_SIZE);
	struct esp_sa *sa = aligned_alloc(RTE_CACHE_LINE_SIZE, rounded);

	if (sa)
		memset(sa, 0, rounded);
	return sa;
}

/* The allocation of an SA whose keys take keys_size bytes and whose
 * replay window rbytes. */
static size_t sa_bytes(size_t keys_size, size_t rbytes)
{
	return RTE_ALIGN_CEIL(sizeof(struct esp_sa) + keys_size + rbytes, RTE_CACHE_LINE_SIZE);
}

static void sa_free(struct esp_sa *sa)
{
	if (sa->sa_keys_size) /* set before the keys are initialised */
		esp_keys_wipe_sized(sa->sa_keys, sa->sa_keys_size);
	free(sa);
}

void esp_sadb_free(struct esp_sadb *db)
{
	if (!db)
		return;
	for (uint32_t i = 0; db->db_by_id && i < db->db_max; i++)
		if (db->db_by_id[i])
			sa_free(db->db_by_id[i]);
	rte_free(db->db_by_id);
	rte_hash_free(db->db_in);
	spd_free(db->db_spd[0]);
	spd_free(db->db_spd[1]);
	rte_free(db);
}

static void in_key(struct esp_in_key *k, uint32_t spi, const struct ip_addr *dst)
{
	memset(k, 0, sizeof(*k));
	k->spi = spi;
	k->family = dst->family;
	memcpy(k->dst, dst->bytes, ip_addr_len(dst));
}

static inline struct esp_sa *sa_by_id(const struct esp_sadb *db, uint32_t id)
{
	if (id >= db->db_max)
		return NULL;
	return __atomic_load_n(&db->db_by_id[id], __ATOMIC_ACQUIRE);
}

struct esp_sa *esp_sa_by_id(const struct esp_sadb *db, uint32_t id)
{
	return sa_by_id(db, id);
}

void esp_sa_lookup_in_bulk(const struct esp_sadb *db, const uint32_t *spi,
			   const struct ip_addr *dst, unsigned n, struct esp_sa **sa)
{
	struct esp_in_key k[RTE_HASH_LOOKUP_BULK_MAX];
	const void *kp[RTE_HASH_LOOKUP_BULK_MAX];
	void *data[RTE_HASH_LOOKUP_BULK_MAX];

	for (unsigned done = 0, c; done < n; done += c) {
		uint64_t hits = 0;

		c = RTE_MIN(n - done, (unsigned)RTE_HASH_LOOKUP_BULK_MAX);
		for (unsigned i = 0; i < c; i++) {
			in_key(&k[i], spi[done + i], &dst[done + i]);
			kp[i] = &k[i];
		}
		rte_hash_lookup_bulk_data(db->db_in, kp, c, &hits, data);
		for (unsigned i = 0; i < c; i++)
			sa[done + i] = (hits >> i & 1) ? data[i] : NULL;
	}
}

static bool port_in(uint16_t p, uint16_t lo, uint16_t hi)
{
	return p >= lo && p <= hi;
}

/* Per packet: IPv4 by mask, no copies. */
static inline bool v4_in(const struct ip_prefix *p, const uint8_t *a)
{
	uint32_t mask = p->len ? ~0u << (32 - p->len) : 0;

	return p->addr.family == AF_INET && ((be32_get(a) ^ be32_get(p->addr.bytes)) & mask) == 0;
}

static bool addr_in(const struct ip_prefix *p, uint8_t family, const uint8_t *a)
{
	struct ip_addr x = { .family = family };

	if (family == AF_INET)
		return v4_in(p, a);
	memcpy(x.bytes, a, 16);
	return ip_prefix_contains(p, &x);
}

static inline bool ts_match(const struct esp_ts *ts, uint8_t family, const uint8_t *src,
			    const uint8_t *dst, uint8_t proto, uint16_t sport,
			    uint16_t dport)
{
	if (family == AF_INET) { /* the per-packet case: no copies */
		if (!v4_in(&ts->src, src) || !v4_in(&ts->dst, dst))
			return false;
	} else if (!addr_in(&ts->src, family, src) || !addr_in(&ts->dst, family, dst)) {
		return false;
	}
	if (ts->proto && ts->proto != proto)
		return false;
	return port_in(sport, ts->sport_lo, ts->sport_hi) &&
	       port_in(dport, ts->dport_lo, ts->dport_hi);
}

bool esp_ts_match(const struct esp_ts *ts, uint8_t family, const uint8_t *src,
		  const uint8_t *dst, uint8_t proto, uint16_t sport,
		  uint16_t dport)
{
	return ts_match(ts, family, src, dst, proto, sport, dport);
}

/* From the most specific prefix of the side the SPD is keyed on
 * (spd_by_dst) outwards, each prefix's SAs newest first: the first whose
 * whole selector matches. */
static __rte_always_inline struct esp_sa *walk_policy(const struct esp_sadb *db, enum esp_dir dir,
					 uint32_t node, uint8_t family, const uint8_t *src,
					 const uint8_t *dst, uint8_t proto,
					 uint16_t sport, uint16_t dport)
{
	const struct esp_spd *spd = db->db_spd[dir];

	for (uint32_t n = node; n; n = spd_node_parent(spd, n)) {
		for (uint32_t id1 = spd_node_head(spd, n); id1; ) {
			struct esp_sa *sa = sa_by_id(db, id1 - 1);

			if (!sa)
				break;
			if (ts_match(&sa->sa_ts, family, src, dst, proto, sport, dport))
				return sa;
			id1 = __atomic_load_n(&sa->sa_next, __ATOMIC_ACQUIRE);
		}
	}
	return NULL;
}

/* The side an SPD files policies under: the remote one, which is what
 * differs from tunnel to tunnel. Outbound that is the destination;
 * inbound the source (a hub's inbound SAs all have its own LAN as
 * destination: filed under it they would make one chain, walked for
 * every plaintext packet to that LAN). */
static inline bool spd_by_dst(enum esp_dir dir)
{
	return dir == ESP_DIR_OUT;
}

static inline struct esp_sa *lookup_policy(const struct esp_sadb *db, enum esp_dir dir,
					   uint8_t family, const uint8_t *src,
					   const uint8_t *dst, uint8_t proto,
					   uint16_t sport, uint16_t dport)
{
	return walk_policy(db, dir,
			   spd_node_lookup(db->db_spd[dir], family, spd_by_dst(dir) ? dst : src),
			   family, src, dst, proto, sport, dport);
}

struct esp_sa *esp_sa_lookup_policy(const struct esp_sadb *db, enum esp_dir dir,
				    uint8_t family, const uint8_t *src,
				    const uint8_t *dst, uint8_t proto,
				    uint16_t sport, uint16_t dport)
{
	return lookup_policy(db, dir, family, src, dst, proto, sport, dport);
}

struct esp_sa *esp_sa_lookup_out(const struct esp_sadb *db, uint8_t family,
				 const uint8_t *src, const uint8_t *dst,
				 uint8_t proto, uint16_t sport, uint16_t dport)
{
	return lookup_policy(db, ESP_DIR_OUT, family, src, dst, proto, sport, dport);
}

void esp_sa_out_nodes4(const struct esp_sadb *db, uint32_t *dst, uint64_t *node,
		       unsigned n)
{
	rte_fib_lookup_bulk(__atomic_load_n(&db->db_spd[ESP_DIR_OUT]->spd_v4, __ATOMIC_ACQUIRE),
			    dst, node, n);
}

struct esp_sa *esp_sa_lookup_out4_at(const struct esp_sadb *db, uint64_t node,
				     const uint8_t *src, const uint8_t *dst,
				     uint8_t proto, uint16_t sport, uint16_t dport)
{
	return walk_policy(db, ESP_DIR_OUT, (uint32_t)node, AF_INET, src, dst, proto,
			   sport, dport);
}

bool esp_sadb_has_policies(const struct esp_sadb *db, enum esp_dir dir)
{
	return __atomic_load_n(&db->db_spd_count[dir], __ATOMIC_RELAXED) != 0;
}

bool esp_sadb_has_outbound(const struct esp_sadb *db)
{
	return esp_sadb_has_policies(db, ESP_DIR_OUT);
}

uint32_t esp_sadb_id_limit(const struct esp_sadb *db)
{
	return db->db_max;
}

uint32_t esp_sadb_count(const struct esp_sadb *db)
{
	return db->db_count;
}

void esp_sadb_usage(const struct esp_sadb *db, struct esp_sadb_usage *u)
{
	int32_t keys = rte_hash_count(db->db_in);

	u->u_sas = db->db_count;
	u->u_in_keys = keys > 0 ? (uint32_t)keys : 0;
	for (unsigned d = 0; d < 2; d++)
		u->u_policies[d] = __atomic_load_n(&db->db_spd_count[d], __ATOMIC_RELAXED);
}

size_t esp_sa_footprint(const struct esp_sa *sa)
{
	size_t table = sizeof(struct esp_sa *) + /* id slot */
		       (sa->sa_dir == ESP_DIR_IN ? sizeof(struct esp_in_key) + 16 : 0);

	return sa_bytes(sa->sa_keys_size,
			esp_sa_replay(sa) ? esp_replay_bytes(esp_sa_replay(sa)->rp_size) :
			esp_sa_replay_mt(sa) ? esp_replay_mt_bytes(esp_sa_replay_mt(sa)->rm_size) +
					   RTE_CACHE_LINE_SIZE : 0) + table;
}

const char *esp_sa_algo_name(const struct esp_sa *sa)
{
	struct esp_algo a = {
		.enc = (enum esp_enc)sa->sa_enc, .enc_key_len = sa->sa_enc_key_len,
		.integ = (enum esp_integ)sa->sa_integ, .integ_key_len = sa->sa_integ_key_len,
	};

	return esp_algo_name(&a);
}

/* ---- the writer side (control lcore) ---- */

static int free_id(struct esp_sadb *db, uint32_t *id)
{
	for (uint32_t i = 0; i < db->db_max; i++) {
		uint32_t cand = (db->db_next_id + i) % db->db_max;
		if (!db->db_by_id[cand]) {
			*id = cand;
			db->db_next_id = cand + 1;
			return 0;
		}
	}
	return -ENOSPC;
}

/* sa_owner for conf.owner: -1 is the first worker. */
static uint16_t owner_of_conf(const struct esp_sa_conf *c)
{
	if (c->owner == ESP_SA_SHARED)
		return ESP_OWNER_ANY;
	return (uint16_t)(c->owner < 0 ? 0 : c->owner);
}

static struct esp_sa *sa_build(struct esp_engine *engine,
			       const struct esp_sa_conf *c, int *err)
{
	bool window = c->dir == ESP_DIR_IN && c->replay_window > 0;
	bool shared = c->owner == ESP_SA_SHARED;
	size_t rbytes = !window ? 0 : shared ? esp_replay_mt_bytes(c->replay_window) +
						 RTE_CACHE_LINE_SIZE
					     : esp_replay_bytes(c->replay_window);
	size_t keys_size = esp_keys_size(engine, &c->algo);
	struct esp_sa *sa;

	*err = -EINVAL;
	if (keys_size == 0 || keys_size > UINT16_MAX)
		return NULL;
	*err = -ENOMEM;
	sa = sa_alloc(sa_bytes(keys_size, rbytes));
	if (!sa)
		return NULL;
	sa->sa_keys_size = (uint16_t)keys_size;
	*err = esp_keys_init_sized(engine, sa->sa_keys, keys_size, &c->algo);
	if (*err < 0) {
		sa_free(sa);
		return NULL;
	}
	sa->sa_spi = c->spi;
	sa->sa_dir = (uint8_t)c->dir;
	sa->sa_mode = (uint8_t)c->mode;
	sa->sa_df = (uint8_t)c->df;
	sa->sa_iv_len = esp_algo_iv_len(&c->algo);
	sa->sa_icv_len = esp_algo_icv_len(&c->algo);
	sa->sa_block = esp_algo_block_len(&c->algo);
	sa->sa_aead = esp_algo_is_aead(&c->algo);
	sa->sa_cbc_iv = c->algo.enc == ESP_ENC_AES_CBC;
	sa->sa_esn = c->esn;
	sa->sa_encap = c->udp_encap;
	sa->sa_encap_sport = c->encap_sport;
	sa->sa_encap_dport = c->encap_dport;
	sa->sa_owner = owner_of_conf(c);
	sa->sa_src = c->src;
	sa->sa_dst = c->dst;
	sa->sa_ts = c->ts;
	sa->sa_soft_bytes = c->soft_bytes;
	sa->sa_hard_bytes = c->hard_bytes;
	sa->sa_soft_packets = c->soft_packets;
	sa->sa_hard_packets = c->hard_packets;
	snprintf(sa->sa_name, sizeof(sa->sa_name), "%s", c->name);
	sa->sa_enc = (uint8_t)c->algo.enc;
	sa->sa_enc_key_len = c->algo.enc_key_len;
	sa->sa_integ = (uint8_t)c->algo.integ;
	sa->sa_integ_key_len = c->algo.integ_key_len;
	if (sa->sa_dst.family == AF_INET)
		sa->sa_outer4_sum = esp_outer4_sum(sa);
	if (c->dir == ESP_DIR_IN && c->mode == ESP_MODE_TRANSPORT && c->udp_encap)
		sa->sa_l4_fix = esp_l4_fix_sum(c);
	if (window && shared) {
		sa->sa_window = RTE_PTR_ALIGN_CEIL((uint8_t *)sa->sa_keys + keys_size,
						   RTE_CACHE_LINE_SIZE);
		esp_replay_mt_init(esp_sa_replay_mt(sa), c->replay_window, c->esn);
	} else if (window) {
		sa->sa_window = (uint8_t *)sa->sa_keys + keys_size;
		esp_replay_init(esp_sa_replay(sa), c->replay_window, c->esn);
	}
	*err = 0;
	return sa;
}

/* The prefix an SA's policy is filed under in its direction's SPD. */
static const struct ip_prefix *spd_key(const struct esp_sa *sa)
{
	return spd_by_dst((enum esp_dir)sa->sa_dir) ? &sa->sa_ts.dst : &sa->sa_ts.src;
}

/* Newest first: a rekeyed SA with the same selectors takes over the
 * traffic at the moment the head changes (make-before-break). */
static int spd_link(struct esp_sadb *db, struct esp_sa *sa)
{
	struct esp_spd *spd = db->db_spd[sa->sa_dir];

	sa->sa_next = spd_head_of(spd, spd_key(sa));
	__atomic_store_n(&db->db_by_id[sa->sa_id], sa, __ATOMIC_RELEASE);
	if (spd_set_head(spd, spd_key(sa), sa->sa_id + 1) != 0)
		return -ENOSPC;
	__atomic_fetch_add(&db->db_spd_count[sa->sa_dir], 1, __ATOMIC_RELAXED);
	return 0;
}

static void spd_unlink(struct esp_sadb *db, struct esp_sa *sa)
{
	struct esp_spd *spd = db->db_spd[sa->sa_dir];
	uint32_t head = spd_head_of(spd, spd_key(sa)), id1 = sa->sa_id + 1;

	if (head == id1) {
		spd_set_head(spd, spd_key(sa), sa->sa_next);
	} else {
		for (uint32_t cur = head; cur; ) {
			struct esp_sa *p = db->db_by_id[cur - 1];
			if (p->sa_next == id1) {
				__atomic_store_n(&p->sa_next, sa->sa_next, __ATOMIC_RELEASE);
				break;
			}
			cur = p->sa_next;
		}
	}
	__atomic_fetch_sub(&db->db_spd_count[sa->sa_dir], 1, __ATOMIC_RELAXED);
}

static int publish(struct esp_sadb *db, struct esp_sa *sa)
{
	struct esp_in_key k;
	int rc;

	if (sa->sa_dir == ESP_DIR_OUT)
		return spd_link(db, sa);
	in_key(&k, sa->sa_spi, &sa->sa_dst);
	if (rte_hash_lookup(db->db_in, &k) >= 0)
		return -EEXIST;
	rc = spd_link(db, sa);
	if (rc == 0 && rte_hash_add_key_data(db->db_in, &k, sa) < 0) {
		spd_unlink(db, sa);
		rc = -ENOSPC;
	}
	return rc;
}

/* The old SA's owner may still write its state: what it has counted
 * so far, and sequence numbers far enough ahead. */
static void carry_state(struct esp_sa *to, const struct esp_sa *from)
{
	const struct esp_sa_state *st = &from->sa_st;

	to->sa_st.st_packets = __atomic_load_n(&st->st_packets, __ATOMIC_RELAXED);
	to->sa_st.st_bytes = __atomic_load_n(&st->st_bytes, __ATOMIC_RELAXED);
	to->sa_st.st_soft_raised = __atomic_load_n(&st->st_soft_raised, __ATOMIC_RELAXED);
	to->sa_st.st_hard_raised = __atomic_load_n(&st->st_hard_raised, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < ESP_DROP_MAX; i++)
		to->sa_st.st_drops[i] = __atomic_load_n(&st->st_drops[i], __ATOMIC_RELAXED);
	to->sa_st.st_seq = __atomic_load_n(&st->st_seq, __ATOMIC_ACQUIRE) + ESP_SA_REPLACE_SEQ_GAP;
}

/* Builds and publishes an SA, its state carried on from another (or
 * none): its id, or -errno with nothing left behind. */
static int add_from(struct esp_sadb *db, struct esp_engine *engine,
		    const struct esp_sa_conf *conf, const struct esp_sa *from)
{
	struct esp_sa *sa;
	uint32_t id;
	int rc = free_id(db, &id);

	if (rc < 0)
		return rc;
	sa = sa_build(engine, conf, &rc);
	if (!sa)
		return rc;
	sa->sa_id = id;
	if (from)
		carry_state(sa, from);
	rc = publish(db, sa);
	if (rc < 0) {
		__atomic_store_n(&db->db_by_id[id], NULL, __ATOMIC_RELEASE);
		if (db->db_qs)
			rte_rcu_qsbr_synchronize(db->db_qs, RTE_QSBR_THRID_INVALID);
		sa_free(sa);
		return rc;
	}
	db->db_count++;
	return (int)id;
}

int esp_sa_add(struct esp_sadb *db, struct esp_engine *engine,
	       const struct esp_sa_conf *conf)
{
	return add_from(db, engine, conf, NULL);
}

int esp_sa_replace(struct esp_sadb *db, struct esp_engine *engine, uint32_t id,
		   const struct esp_sa_conf *conf)
{
	struct esp_sa *old = esp_sa_by_id(db, id);
	int nid;

	if (!old)
		return -ENOENT;
	if (old->sa_dir != ESP_DIR_OUT || conf->dir != ESP_DIR_OUT || conf->spi != old->sa_spi ||
	    owner_of_conf(conf) != old->sa_owner)
		return -EINVAL;
	nid = add_from(db, engine, conf, old);
	if (nid >= 0)
		esp_sa_del(db, id);
	return nid;
}

int esp_sa_del(struct esp_sadb *db, uint32_t id)
{
	struct esp_sa *sa = esp_sa_by_id(db, id);
	int32_t pos = -1;
	struct esp_in_key k;

	if (!sa)
		return -ENOENT;
	if (sa->sa_dir == ESP_DIR_IN) {
		in_key(&k, sa->sa_spi, &sa->sa_dst);
		pos = rte_hash_del_key(db->db_in, &k);
	}
	spd_unlink(db, sa);
	/* A reader may hold this SA's id (a head it read, or the next link of
	 * the SA before it): the id must still lead to the SA, whose own next
	 * link goes on to the rest of the chain, until every reader has moved
	 * on. Clearing it first sent such a reader off the chain, and traffic
	 * of an SA that stays out in clear. */
	if (db->db_qs)
		rte_rcu_qsbr_synchronize(db->db_qs, RTE_QSBR_THRID_INVALID);
	__atomic_store_n(&db->db_by_id[id], NULL, __ATOMIC_RELEASE);
	if (pos >= 0)
		rte_hash_free_key_with_position(db->db_in, pos);
	sa_free(sa);
	db->db_count--;
	return 0;
}
