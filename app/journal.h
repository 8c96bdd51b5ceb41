/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_JOURNAL_H
#define ESPGATE_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "ike.h"

/* What a line is about: the IKE side's fields and a Child SA's SPIs
 * (0: none). */
struct eg_log_fields {
	struct ike_log_fields lf_ike;
	uint32_t lf_spi_in, lf_spi_out;
};

/* Whether stderr is journald's stream ($JOURNAL_STREAM). */
bool journal_active(void);
/* One line at an rte_log level (RTE_LOG_INFO...), with f's fields as
 * journal fields under journald, else to rte_log like EG_LOG. */
void eg_log_fields(uint32_t level, const struct eg_log_fields *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void eg_fields_of_sa(struct eg_log_fields *f, const struct ike_sa_info *sa);
void eg_fields_of_child(struct eg_log_fields *f, const struct ike_child_info *ci);

#define EG_LOGF(level, f, fmt, ...) \
	eg_log_fields(RTE_LOG_##level, f, "espgate: %s: " fmt, __func__, ##__VA_ARGS__)

#endif
