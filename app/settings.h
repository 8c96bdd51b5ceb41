/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_APP_SETTINGS_H
#define ESPGATE_APP_SETTINGS_H

/*
 * The one place where what the configuration (and IKE) says becomes what
 * lib/ike and lib/dataplane are given: one function per conversion, each
 * field copied once.
 */

#include <stdbool.h>

#include "cfg.h"
#include "dp.h"
#include "ike.h"
#include "sa.h"

/* A configured connection as lib/ike takes it; -ENOTSUP for what it
 * cannot do (a DN identity without certificates), -EINVAL for a DN that
 * does not parse. Certificates (c_cred, c_trust) are the caller's. The
 * result is fully zeroed first, so two of them compare with memcmp. */
int settings_ike_conn(const struct cfg *cfg, const struct cfg_conn *cc,
		      struct ike_conn_cfg *c);

/* A configured pool as lib/ike takes it, fully zeroed first (a reload
 * compares them). */
void settings_pool(const struct cfg_pool *cp, struct ike_pool_cfg *pc);

/* A configured port as the data plane's: name, role, MTU, addresses
 * (the DPDK port and its queues are the caller's). */
void settings_port(const struct cfg_port *cp, struct dp_port *port);

/* The data plane's ESP-in-UDP ports and what becomes of traffic no SA
 * covers. */
void settings_dp_ipsec(const struct cfg *cfg, struct dp *dp);

/* A static SA of the configuration as a data-plane SA; owner: the worker
 * that owns it when the configuration names none. */
int settings_static_sa(const struct cfg_sa *c, int owner, struct esp_sa_conf *sc);

/* One direction of a negotiated Child SA (in: what the peer sends us) as
 * a data-plane SA owned by worker owner; -ENOTSUP for what the data plane
 * cannot do (an algorithm, selectors that are not one prefix pair). */
int settings_child_sa(const struct ike_child_info *ci, bool in, int owner,
		      struct esp_sa_conf *c);

#endif
