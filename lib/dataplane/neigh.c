/* SPDX-License-Identifier: BSD-3-Clause */
#include "neigh.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

_Static_assert(AF_INET == 2, "dp_neigh_key_make assumes AF_INET is 2");

struct dp_neigh_table *dp_neigh_create(const char *name, int socket_id,
				       uint32_t cap)
{
	char hname[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = hname,
		.entries = cap,
		.key_len = sizeof(struct dp_neigh_key),
		.hash_func = rte_hash_crc, /* SSE4.2 CRC32: a few cycles per key */
		.socket_id = socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct dp_neigh_table *t = rte_zmalloc("dp_neigh", sizeof(*t), 0);

	if (!t)
		return NULL;
	snprintf(hname, sizeof(hname), "%s", name);
	t->nt_cap = cap;
	t->nt_hash = rte_hash_create(&hp);
	t->nt_entries = rte_zmalloc_socket("dp_neigh_e", sizeof(struct dp_neigh) * cap,
					   RTE_CACHE_LINE_SIZE, socket_id);
	if (!t->nt_hash || !t->nt_entries) {
		dp_neigh_free(t);
		return NULL;
	}
	return t;
}

void dp_neigh_free(struct dp_neigh_table *t)
{
	if (!t)
		return;
	rte_hash_free(t->nt_hash);
	rte_free(t->nt_entries);
	rte_free(t);
}

int dp_neigh_find(const struct dp_neigh_table *t, const struct ip_addr *ip)
{
	struct dp_neigh_key k;
	void *data;

	dp_neigh_key_make(&k, ip->family, ip->bytes);
	if (rte_hash_lookup_data(t->nt_hash, &k, &data) < 0)
		return -ENOENT;
	return (int)(uintptr_t)data;
}

int dp_neigh_get(struct dp_neigh_table *t, const struct ip_addr *ip,
		 uint16_t port)
{
	struct dp_neigh_key k;
	int idx = dp_neigh_find(t, ip);
	struct dp_neigh *nb;

	if (idx >= 0)
		return idx;
	if (t->nt_count >= t->nt_cap)
		return -ENOSPC;
	idx = (int)t->nt_count;
	nb = &t->nt_entries[idx];
	nb->nb_mac = 0;
	nb->nb_port = port;
	nb->nb_ip = *ip;
	dp_neigh_key_make(&k, ip->family, ip->bytes);
	/* The entry is complete before the insert publishes it. */
	if (rte_hash_add_key_data(t->nt_hash, &k, (void *)(uintptr_t)idx) < 0)
		return -ENOSPC;
	t->nt_count++;
	return idx;
}

bool dp_neigh_set_mac(struct dp_neigh_table *t, uint32_t idx,
		      const uint8_t mac[6], bool is_static)
{
	struct dp_neigh *nb = &t->nt_entries[idx];
	uint64_t word = DP_NEIGH_VALID;

	if (nb->nb_static && !is_static)
		return false;
	for (int i = 0; i < 6; i++)
		word |= (uint64_t)mac[i] << (40 - 8 * i);
	nb->nb_static = is_static;
	if (nb->nb_mac == word)
		return false;
	__atomic_store_n(&nb->nb_mac, word, __ATOMIC_RELEASE);
	return true;
}
