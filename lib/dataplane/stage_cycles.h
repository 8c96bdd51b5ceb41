/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_STAGE_CYCLES_H
#define ESPGATE_STAGE_CYCLES_H

/*
 * Where a worker's cycles go, for the benchmark (bench/esp_stages.sh):
 * built only with -Dstage_cycles=true (ESPGATE_STAGE_CYCLES); otherwise
 * every macro here is empty and costs nothing.
 *
 * A lap clock: dp_stage_start() reads the TSC, and each
 * DP_STAGE_LAP(stage) reads it again and charges the cycles since the
 * previous read to 'stage'. Every cycle between the start and the last
 * lap is charged to exactly one stage, so the stages add up to the
 * total. A lap costs an rdtsc, charged to the stage it ends; the bench
 * prints its back-to-back cost and the laps a packet (dp_stage.laps).
 */

#include <stdint.h>

#define DP_STAGES(X) \
	X(classify, "Ethernet/IP checks, IPv4/IPv6 split") \
	X(spd_sa, "SPD / SA lookup, queueing for the owner") \
	X(header, "ESP header and trailer build (out) or parse (in)") \
	X(crypto, "esp_crypto_run: IPsec-MB AES-GCM") \
	X(replay, "replay window check and update (in)") \
	X(policy, "inner packet against the SA's selectors (in)") \
	X(counters, "per-SA counters and lifetimes") \
	X(route, "route and neighbour lookups, MTU check") \
	X(tx, "MAC rewrite, TX buffering, rte_eth_tx_burst")

#define DP_STAGE_ENUM(name, desc) DP_STAGE_##name,
enum dp_stage { DP_STAGES(DP_STAGE_ENUM) DP_STAGE_MAX };
#undef DP_STAGE_ENUM

#ifdef ESPGATE_STAGE_CYCLES
#include <rte_cycles.h>

struct dp_stage_acc {
	uint64_t last;
	uint64_t cycles[DP_STAGE_MAX];
	uint64_t laps[DP_STAGE_MAX];
};
/* Per thread: one worker per lcore. */
extern __thread struct dp_stage_acc dp_stage;
extern const char *const dp_stage_names[DP_STAGE_MAX];
extern const char *const dp_stage_descs[DP_STAGE_MAX];

static inline void dp_stage_start(void)
{
	dp_stage.last = rte_rdtsc();
}

static inline void dp_stage_lap(enum dp_stage s)
{
	uint64_t now = rte_rdtsc();

	dp_stage.cycles[s] += now - dp_stage.last;
	dp_stage.laps[s]++;
	dp_stage.last = now;
}

#define DP_STAGE_START() dp_stage_start()
#define DP_STAGE_LAP(s) dp_stage_lap(DP_STAGE_##s)
#else
#define DP_STAGE_START() ((void)0)
#define DP_STAGE_LAP(s) ((void)0)
#endif

#endif
