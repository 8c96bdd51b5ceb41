/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_TEST_DP_FIXTURE_H
#define ESPGATE_TEST_DP_FIXTURE_H

/*
 * A data plane in a test process: EAL without hugepages, two net_ring
 * ports (lan: protected, wan: unprotected) whose RX rings the test fills
 * and whose TX rings it reads, tables, and n workers.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp.h"

#define FX_QUEUES 2
#define FX_RING_SZ 8192

struct fx_port {
	struct rte_ring *rx[FX_QUEUES];
	struct rte_ring *tx[FX_QUEUES];
};

extern struct dp fx_dp;
extern struct fx_port fx_ports[2];
extern const uint8_t FX_MAC_LAN[6], FX_MAC_WAN[6], FX_MAC_H1[6], FX_MAC_PEER[6];

/* lcores: an EAL --lcores value ("0" or "0@0,1@1,2@1"). */
void fx_eal_up(const char *name, const char *lcores);
/* The same with one --vdev (a crypto device, say). */
void fx_eal_up_vdev(const char *name, const char *lcores, const char *vdev);
/* Ports, routes, neighbours; with_esp adds the SA database, RCU and
 * per-worker engines and handoff rings. */
void fx_dp_up(unsigned n_workers, bool with_esp);
/* Stops the workers; frees the SAs and the workers' engines (the test's
 * suite fini: nothing left for LeakSanitizer at exit). */
void fx_dp_down(void);
struct ip_prefix fx_prefix(const char *s);
struct ip_addr fx_addr(const char *s);

struct fx_frame {
	uint8_t b[2048];
	size_t len;
};

struct fx_frame fx_udp4(const char *src, const char *dst, uint8_t ttl, size_t payload);
struct fx_frame fx_udp6(const char *src, const char *dst, uint8_t hops, size_t payload);
struct rte_mbuf *fx_mbuf(const struct fx_frame *f, unsigned pidx);
/* Runs f through worker 0 as if received on port pidx, synchronously. */
void fx_input(const struct fx_frame *f, unsigned pidx);
struct rte_mbuf *fx_take(struct rte_ring *r);
/* Copies an mbuf back into a frame (to feed it in again). */
struct fx_frame fx_frame_of(const struct rte_mbuf *m, const uint8_t dst_mac[6]);
unsigned fx_in_use(void);

#endif
