/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_FUZZ_IKE_CONN_H
#define ESPGATE_FUZZ_IKE_CONN_H

/*
 * The PSK connection the IKE fuzz target's responder holds, and the
 * initiator that tests/fuzz/ike_seeds.c runs against it to write the
 * seed corpus: 192.0.2.1 (initiator) and 192.0.2.2 (responder), any
 * peer on the responder, 198.18.1.0/24 <=> 198.18.2.0/24.
 */

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ike.h"

static inline struct ike_endpoint fuzz_ep(const char *a, uint16_t port)
{
	struct ike_endpoint e = { .ep_port = port };

	ip_addr_parse(a, &e.ep_addr);
	return e;
}

static inline void fuzz_ts(struct ike_ts_cfg *t, const char *prefix)
{
	memset(t, 0, sizeof(*t));
	ip_prefix_parse(prefix, &t->tc_prefix);
	t->tc_port_hi = 65535;
}

/* 0, or -1 when a proposal does not parse. */
static inline int fuzz_conn(bool initiator, const char *ike, const char *esp,
			    struct ike_conn_cfg *c)
{
	char err[64];

	memset(c, 0, sizeof(*c));
	snprintf(c->c_name, sizeof(c->c_name), "%s", initiator ? "branch" : "hq");
	c->c_local = fuzz_ep(initiator ? "192.0.2.1" : "192.0.2.2", IKE_PORT);
	c->c_remote = fuzz_ep(initiator ? "192.0.2.2" : "192.0.2.1", IKE_PORT);
	if (!initiator)
		c->c_remote.ep_addr.family = 0; /* any peer */
	c->c_psk_len = 6;
	memcpy(c->c_psk, "s3cret", 6);
	if (ike_prop_parse(ike, IKE_PROTO_IKE, &c->c_ike[0], err, sizeof(err)) != 0)
		return -1;
	c->c_n_ike = 1;
	c->c_n_child = 1;
	snprintf(c->c_child[0].cc_name, IKE_NAME_MAX, "net");
	fuzz_ts(&c->c_child[0].cc_local[0], initiator ? "198.18.1.0/24" : "198.18.2.0/24");
	fuzz_ts(&c->c_child[0].cc_remote[0], initiator ? "198.18.2.0/24" : "198.18.1.0/24");
	c->c_child[0].cc_n_local = c->c_child[0].cc_n_remote = 1;
	if (ike_prop_parse(esp, IKE_PROTO_ESP, &c->c_child[0].cc_esp[0], err, sizeof(err)) != 0)
		return -1;
	c->c_child[0].cc_n_esp = 1;
	c->c_dpd_s = 10;
	c->c_dpd_timeout_s = 30;
	return 0;
}

/* The responder's address pools (RFC 7296 §2.19), within its child's
 * remote selectors, named by its connection: CFG_REQUESTs reach the
 * lease code. 0, or -1. */
static inline int fuzz_pools(struct ike_engine *e, struct ike_conn_cfg *c)
{
	static const char *const pools[][2] = { { "rw4", "198.18.1.0/26" },
						{ "rw6", "2001:db8:1::/120" } };

	for (unsigned i = 0; i < 2; i++) {
		struct ike_pool_cfg pc = { .pc_lease_s = 60, .pc_n_dns = 1, .pc_n_split = 1 };

		snprintf(pc.pc_name, sizeof(pc.pc_name), "%s", pools[i][0]);
		if (!ip_prefix_parse(pools[i][1], &pc.pc_prefix) ||
		    !ip_addr_parse(i ? "2001:db8:2::53" : "198.18.2.53", &pc.pc_dns[0]) ||
		    !ip_prefix_parse(i ? "2001:db8:2::/64" : "198.18.2.0/24", &pc.pc_split[0]) ||
		    ike_engine_add_pool(e, &pc) != 0)
			return -1;
		snprintf(c->c_pools[i], IKE_NAME_MAX, "%s", pools[i][0]);
	}
	c->c_n_pools = 2;
	return 0;
}

#endif
