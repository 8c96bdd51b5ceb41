/* SPDX-License-Identifier: BSD-3-Clause */
#include "counters.h"

#define DP_CNT_INFO(n, drop, d) { .name = #n, .desc = d, .is_drop = drop },
const struct dp_counter_info dp_worker_counter_info[DP_W_MAX] = {
	DP_WORKER_COUNTERS(DP_CNT_INFO)
};
const struct dp_counter_info dp_control_counter_info[DP_C_MAX] = {
	DP_CONTROL_COUNTERS(DP_CNT_INFO)
};
#undef DP_CNT_INFO

#ifdef ESPGATE_STAGE_CYCLES
#include "stage_cycles.h"

__thread struct dp_stage_acc dp_stage;
#define DP_STAGE_NAME(n, d) #n,
#define DP_STAGE_DESC(n, d) d,
const char *const dp_stage_names[DP_STAGE_MAX] = { DP_STAGES(DP_STAGE_NAME) };
const char *const dp_stage_descs[DP_STAGE_MAX] = { DP_STAGES(DP_STAGE_DESC) };
#undef DP_STAGE_NAME
#undef DP_STAGE_DESC
#endif
