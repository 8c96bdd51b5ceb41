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
