/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_DP_H
#define ESPGATE_DP_H

/*
 * The data plane's shared state. The control lcore builds all of it
 * before the workers start and is its only writer afterwards; workers
 * read it and write only their own struct dp_worker.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "counters.h"
#include "l2l3.h"
#include "neigh.h"
#include "route.h"
#include "sa.h"

struct dp_trap_table;
struct esp_engine;
struct rte_rcu_qsbr;

#define DP_BURST 32
#define DP_MAX_PORTS 16
#define DP_NAME_MAX 32
#define DP_MAX_NATT_PORTS 4
#define DP_PUNT_RING_SIZE 4096
#define DP_CTL_TX_RING_SIZE 1024
#define DP_MAX_NEIGH 4096
#define DP_HANDOFF_RING_SIZE 2048
#define DP_EVENT_RING_SIZE 4096
#define DP_ESP_PENDING (2 * DP_BURST)
#define DP_MAX_FRAGS 64
/* Trapped packets (trap.h): what one worker may punt per 10 ms, so that
 * traffic to a trap whose peer is down cannot crowd IKE and ARP out of
 * the punt ring; and how many the control lcore holds in all. */
#define DP_TRAP_PUNTS_PER_10MS 256
#define DP_TRAP_HOLD_TOTAL 1024

/* Why a worker handed a frame to the control lcore (mbuf hash.fdir.hi). */
enum dp_punt_reason {
	DP_PUNT_ARP,      /* ARP frame */
	DP_PUNT_LOCAL,    /* IP for one of the box's addresses, or ND multicast */
	DP_PUNT_NEIGH,    /* next hop not resolved; arg: the route's next hop */
	DP_PUNT_TTL,      /* TTL / hop limit expired */
	DP_PUNT_NO_ROUTE, /* no route */
	DP_PUNT_TOO_BIG,  /* larger than the path allows; arg: the MTU to report */
	DP_PUNT_TRAP,     /* a trap policy covers it and no SA does yet (trap.h) */
};

/* Which side of the concentrator a port faces. */
enum dp_port_role {
	DP_ROLE_PROTECTED,   /* the networks the tunnels serve */
	DP_ROLE_UNPROTECTED, /* where ESP and IKE travel */
};

static inline const char *dp_port_role_name(enum dp_port_role role)
{
	return role == DP_ROLE_PROTECTED ? "protected" : "unprotected";
}

struct dp_port {
	struct dp_if pt_if; /* DPDK port id, MAC, MTU, addresses */
	char pt_name[DP_NAME_MAX];
	enum dp_port_role pt_role;
	uint16_t pt_nb_rxq;
	uint16_t pt_nb_txq;
	/* Frames the control lcore sends through this port; drained by
	 * worker pt_tx_owner on its own TX queue. */
	struct rte_ring *pt_ctl_tx;
	unsigned pt_tx_owner;
};

struct dp_txbuf {
	uint16_t n;
	struct rte_mbuf *mb[DP_BURST];
};

/* Packets waiting for this worker's next crypto burst. */
struct dp_esp_pending {
	struct rte_mbuf *p_mb[DP_ESP_PENDING];
	struct esp_sa *p_sa[DP_ESP_PENDING];
	unsigned p_n;
};

/* Inbound ESP of the burst being steered, parsed, waiting for its SAs:
 * one bulk hash lookup for all of them, whose bucket and key reads
 * overlap (with many SAs each is a miss), once the burst is steered. */
struct dp_esp_lookup {
	struct rte_mbuf *l_mb[DP_BURST];
	uint64_t l_nh[DP_BURST];
	uint32_t l_spi[DP_BURST];
	struct ip_addr l_dst[DP_BURST];
	unsigned l_n;
};

struct dp_worker {
	unsigned w_idx;
	unsigned w_lcore;
	uint64_t w_cnt[DP_W_MAX];
	struct dp_txbuf w_tx[DP_MAX_PORTS];
	struct esp_engine *w_engine;
	struct rte_ring *w_handoff; /* packets of SAs this worker owns */
	uint16_t w_ip_id;
	uint16_t w_trap_punts;   /* in the current 10 ms window */
	uint64_t w_trap_window;  /* TSC at its start */
	struct dp_esp_pending w_esp_in;
	struct dp_esp_pending w_esp_out;
	struct dp_esp_lookup w_esp_look;
} __rte_cache_aligned;

struct dp {
	struct rte_mempool *pool;
	struct rte_mempool *pool_indirect; /* fragments' data references */
	unsigned n_ports;
	struct dp_port ports[DP_MAX_PORTS];
	uint16_t port_index[RTE_MAX_ETHPORTS]; /* DPDK port id -> index */
	unsigned n_workers;
	struct dp_worker *workers; /* n_workers, cache aligned */
	struct dp_route *route;
	struct dp_neigh_table *neigh;
	struct rte_ring *punt; /* workers -> control lcore */
	struct esp_sadb *sadb;
	struct rte_rcu_qsbr *qs;
	struct rte_ring *events; /* SA lifetime events -> control lcore */
	uint16_t natt_ports[DP_MAX_NATT_PORTS];
	unsigned n_natt_ports;
	bool unmatched_discard;
	struct dp_trap_table *traps; /* on-demand policies (trap.h), or NULL */
	int stop;              /* set once, read with __atomic_load_n */
};

static inline void dp_punt_mark(struct rte_mbuf *m, enum dp_punt_reason why,
				uint32_t arg)
{
	m->hash.fdir.hi = why;
	m->hash.fdir.lo = arg;
}

static inline enum dp_punt_reason dp_punt_reason(const struct rte_mbuf *m)
{
	return (enum dp_punt_reason)m->hash.fdir.hi;
}

static inline uint32_t dp_punt_arg(const struct rte_mbuf *m)
{
	return m->hash.fdir.lo;
}

/* The worker loop; arg is the struct dp_worker, whose dp is 'dp_of'. */
struct dp_worker_arg {
	struct dp *dp;
	struct dp_worker *w;
};
int dp_worker_main(void *arg);

/* One burst received on port index 'pidx': forwards, punts or drops
 * every mbuf; none is left to the caller. Exposed for tests. */
void dp_worker_input(struct dp *dp, struct dp_worker *w, unsigned pidx,
		     struct rte_mbuf **mb, uint16_t n);
/* Sends what the worker buffered for every port. */
void dp_worker_flush(struct dp *dp, struct dp_worker *w);

/* worker.c, for the ESP path: routes m ([Ethernet][IP]) by nh and sends
 * it. 'originated' packets (ESP the box built) skip the TTL check. */
void dp_forward(struct dp *dp, struct dp_worker *w, struct rte_mbuf *m,
		uint64_t nh, bool originated);
/* For a next hop the caller resolved itself (dp_resolve: the egress
 * port, and the MAC word, which must be DP_NEIGH_VALID): m fits the
 * port's MTU; sends it as dp_forward would, without its checks. */
unsigned dp_resolve(struct dp *dp, uint64_t nh, uint8_t family,
		    const uint8_t *dst, uint64_t *mac_word);
void dp_send(struct dp *dp, struct dp_worker *w, struct rte_mbuf *m, unsigned out,
	     uint64_t mac_word);
void dp_drop(struct dp_worker *w, struct rte_mbuf *m, enum dp_worker_counter why);
void dp_punt(struct dp *dp, struct dp_worker *w, struct rte_mbuf *m,
	     enum dp_punt_reason why, uint32_t arg, enum dp_worker_counter counted_as);

/* esp_path.c: true when the ESP path took m (queued, handed off or
 * dropped, or, for ESP, kept for dp_esp_in_resolve). */
bool dp_esp_inbound(struct dp *dp, struct dp_worker *w, struct rte_mbuf *m,
		    uint64_t nh);
/* Looks up the SAs of the ESP packets dp_esp_inbound kept, all at once,
 * and queues each to its SA's owner; an unknown SPI is dropped and
 * counted, or, when not addressed to us, routed as it is. */
void dp_esp_in_resolve(struct dp *dp, struct dp_worker *w);
/* spd_node: the packet's outbound SPD node from esp_sa_out_nodes4, or
 * DP_SPD_UNKNOWN to look it up here. */
#define DP_SPD_UNKNOWN UINT64_MAX
bool dp_esp_outbound(struct dp *dp, struct dp_worker *w, struct rte_mbuf *m,
		     uint64_t nh, uint64_t spd_node);
/* A packet the control lcore made ([Ethernet][IP]): when an outbound SA
 * covers it, it goes to the SA's owner worker like any other (QUEUED),
 * or is discarded (DROP: m not consumed, the caller frees and counts). */
enum dp_ctl_esp { DP_CTL_ESP_NONE, DP_CTL_ESP_QUEUED, DP_CTL_ESP_DROP };
enum dp_ctl_esp dp_esp_from_control(struct dp *dp, struct rte_mbuf *m);
/* Runs the pending crypto burst and sends what it produced. */
void dp_esp_flush(struct dp *dp, struct dp_worker *w);
/* Takes what other workers handed to this one. */
void dp_esp_handoff_poll(struct dp *dp, struct dp_worker *w);
/* Lifetime events: (id << 1 | hard) + 1 in the ring's pointer. */
static inline void *dp_event_make(uint32_t sa_id, bool hard)
{
	return (void *)(uintptr_t)((((uint64_t)sa_id << 1) | hard) + 1);
}

#endif
