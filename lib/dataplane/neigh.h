/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_NEIGH_H
#define ESPGATE_NEIGH_H

/*
 * Next hops and their link-layer addresses. The control lcore is the only
 * writer: it creates entries (lock-free rte_hash insert) and resolves them
 * by ARP/ND; workers read an entry's MAC with one atomic load. Entries
 * are never removed while workers run, so no reclamation is needed yet.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

#include "addr.h"

#define DP_NEIGH_VALID (1ull << 63)

struct dp_neigh {
	uint64_t nb_mac;   /* DP_NEIGH_VALID | MAC in the low 48 bits */
	uint16_t nb_port;  /* port index */
	bool nb_static;    /* configured, never replaced by what ARP/ND says */
	struct ip_addr nb_ip;
};

struct dp_neigh_key {
	uint8_t family;
	uint8_t pad[3];
	uint8_t addr[16];
};

struct dp_neigh_table {
	struct rte_hash *nt_hash;
	struct dp_neigh *nt_entries;
	uint32_t nt_cap;
	uint32_t nt_count;
};

struct dp_neigh_table *dp_neigh_create(const char *name, int socket_id,
				       uint32_t cap);
void dp_neigh_free(struct dp_neigh_table *t);
/* Index of the entry for 'ip', created unresolved on 'port' if absent;
 * -ENOSPC when the table is full. */
int dp_neigh_get(struct dp_neigh_table *t, const struct ip_addr *ip,
		 uint16_t port);
/* Index of the entry for 'ip', or -ENOENT. */
int dp_neigh_find(const struct dp_neigh_table *t, const struct ip_addr *ip);
/* Records a MAC; a learned one never replaces a static one. Returns true
 * when the entry became resolved or changed. */
bool dp_neigh_set_mac(struct dp_neigh_table *t, uint32_t idx,
		      const uint8_t mac[6], bool is_static);

static inline void dp_neigh_key_make(struct dp_neigh_key *k, uint8_t family,
				     const uint8_t *addr)
{
	memset(k, 0, sizeof(*k));
	k->family = family;
	memcpy(k->addr, addr, family == 2 /* AF_INET */ ? 4 : 16);
}

static inline uint64_t dp_neigh_mac_word(const struct dp_neigh_table *t,
					 uint32_t idx)
{
	return __atomic_load_n(&t->nt_entries[idx].nb_mac, __ATOMIC_ACQUIRE);
}

/* The MAC is the low 48 bits, first byte highest: big-endian once the
 * flag bits above are shifted out. The first 6 bytes of the value are
 * the MAC, the last 2 zero. */
static inline uint64_t dp_neigh_mac_be(uint64_t word)
{
	return rte_cpu_to_be_64(word << 16);
}

static inline void dp_neigh_mac_bytes(uint64_t word, uint8_t mac[6])
{
	uint64_t be = dp_neigh_mac_be(word);

	memcpy(mac, &be, 6);
}

#endif
