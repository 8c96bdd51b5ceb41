/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_FUZZ_IKE_PAIR_H
#define ESPGATE_FUZZ_IKE_PAIR_H

/*
 * Two engines of the PSK connection of ike_conn.h, initiator (side 0,
 * 192.0.2.1) and responder (side 1, 192.0.2.2), whose datagrams wait
 * in one queue until the harness carries them, drops them, or reads
 * them: the exchange fuzz targets (fuzz_ikev2_exchange.c,
 * fuzz_ikev1_exchange.c) play a real prefix with it and then put their
 * own message where the initiator's next one would have gone; their
 * seed writer (exchange_seeds.c) reads the real one instead.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike.h"
#include "ike_sa.h"

#define PAIR_QMAX 16
#define PAIR_DGRAM_MAX 4096

struct pair_dgram {
	int pd_to;
	struct ike_endpoint pd_local, pd_remote; /* as the receiver sees them */
	uint8_t pd_buf[PAIR_DGRAM_MAX];
	size_t pd_len;
};

struct ike_pair;
struct pair_side {
	struct ike_pair *ps_pair;
	int ps_side;
};

struct ike_pair {
	struct ike_engine *p_e[2];
	struct pair_side p_side[2];
	struct pair_dgram p_q[PAIR_QMAX];
	unsigned p_n;
	uint64_t p_now;
	uint32_t p_sa_id;  /* the initiator's IKE SA */
	uint32_t p_first_id[2]; /* pair_again: SA ids before this input's */
};

/* Both engines with the connection (version, aggressive mode, the IKE
 * and ESP proposals) and the initiator's IKE SA started; its first
 * message is queued. false when any of that fails. */
bool pair_start(struct ike_pair *p, enum ike_version version, bool aggressive,
		const char *ike, const char *esp);
/* The same with the responder's pools (ike_conn.h's fuzz_pools) or
 * without; pair_start has them but for IKEv1, where they make the
 * responder want Mode Config (ikev1_cfg.c) before a quick mode. */
bool pair_start_pools(struct ike_pair *p, enum ike_version version, bool aggressive,
		      const char *ike, const char *esp, bool pools);
void pair_free(struct ike_pair *p);
/* New engines cost more than the exchange (their tables): a fuzz
 * target keeps them. pair_again starts another IKE SA of the
 * initiator on the engines pair_start made; pair_end kills every SA
 * either engine made since and empties the queue, so that the next
 * input finds only the connections. */
bool pair_again(struct ike_pair *p);
void pair_end(struct ike_pair *p);
/* Carries the first queued datagram to its receiver; false when the
 * queue is empty. */
bool pair_step(struct ike_pair *p);
/* Carries datagrams until the queue is empty (at most limit). */
void pair_settle(struct ike_pair *p, unsigned limit);
/* Removes the first queued datagram into *d; false when there is none. */
bool pair_take(struct ike_pair *p, struct pair_dgram *d);
/* Moves the clock on by ms and runs both engines' timers. */
void pair_tick(struct ike_pair *p, uint64_t ms);
/* Hands buf to the responder as if the initiator had sent it. */
void pair_to_responder(struct ike_pair *p, const uint8_t *buf, size_t len);
/* The SA of side s: the initiator's, or the responder's of the same
 * SPIs; NULL when it is gone. */
struct ike_sa *pair_sa(const struct ike_pair *p, int s);

#endif
