/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The core's SA records (lib/ike/ike_sa.c), through its private header:
 * the state transition table (every pair, against the list of what the
 * exchanges need), and the tables an SA is filed in, left because it is
 * in them (a zero SPI included).
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine_fixture.h"
#include "ike_sa.h"


/* What the IKEv2 exchanges do (RFC 7296 §1.2-1.4, §2.8, §2.18). */
static const struct { enum ike_state from, to; } needed[] = {
	{ IKE_S_NEW, IKE_S_INIT_SENT },          /* initiator sends IKE_SA_INIT */
	{ IKE_S_INIT_SENT, IKE_S_INIT_SENT },    /* again with a COOKIE or another group */
	{ IKE_S_INIT_SENT, IKE_S_AUTH_SENT },
	{ IKE_S_AUTH_SENT, IKE_S_ESTABLISHED },
	{ IKE_S_NEW, IKE_S_INIT_DONE },          /* responder answers IKE_SA_INIT */
	{ IKE_S_INIT_DONE, IKE_S_ESTABLISHED },
	{ IKE_S_NEW, IKE_S_ESTABLISHED },        /* an IKE SA rekey's successor */
	{ IKE_S_ESTABLISHED, IKE_S_DELETING },
	{ IKE_S_DELETING, IKE_S_DEAD },
	{ IKE_S_ESTABLISHED, IKE_S_DEAD },
	{ IKE_S_INIT_SENT, IKE_S_DEAD },
	{ IKE_S_INIT_DONE, IKE_S_DEAD },
	{ IKE_S_AUTH_SENT, IKE_S_DEAD },
	{ IKE_S_NEW, IKE_S_DEAD },
};

static bool is_needed(enum ike_state from, enum ike_state to)
{
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		if (needed[i].from == from && needed[i].to == to)
			return true;
	return false;
}

Test(ike_sa, the_transition_table_allows_exactly_what_the_exchanges_need)
{
	struct ike_engine *e = engine();
	struct ike_sa *sa = ike_sa_new(e, NULL, true, 1000);
	struct ike_stats st;

	cr_assert_not_null(sa);
	cr_expect_eq(sa->sa_state, IKE_S_NEW, "a new SA starts NEW");
	for (enum ike_state f = 0; f < IKE_S_COUNT; f++)
		for (enum ike_state t = 0; t < IKE_S_COUNT; t++) {
			bool ok;

			sa->sa_state = f; /* the test sets it directly to reach every pair */
			ok = ike_sa_state_ok(sa, t);
			cr_expect_eq(ok, is_needed(f, t), "%s -> %s: %s", ike_state_name(f),
				     ike_state_name(t), ok ? "allowed, not needed" : "needed, refused");
		}
	/* And what must never happen is refused, counted and left as it was. */
	sa->sa_state = IKE_S_DEAD;
	cr_expect_eq(ike_sa_set_state(sa, IKE_S_ESTABLISHED), -EINVAL, "nothing after DEAD");
	cr_expect_eq(sa->sa_state, IKE_S_DEAD);
	sa->sa_state = IKE_S_DELETING;
	cr_expect_eq(ike_sa_set_state(sa, IKE_S_ESTABLISHED), -EINVAL, "no way back from DELETING");
	sa->sa_state = IKE_S_INIT_DONE;
	cr_expect_eq(ike_sa_set_state(sa, IKE_S_AUTH_SENT), -EINVAL, "a responder sends no AUTH request");
	cr_expect_eq(ike_sa_set_state(sa, IKE_S_ESTABLISHED), 0);
	ike_engine_stats(e, &st);
	cr_expect_eq(st.st_bad_transitions, 3);
	ike_engine_free(e);
}

Test(ike_sa, states_have_names)
{
	for (enum ike_state s = 0; s < IKE_S_COUNT; s++)
		cr_expect_neq(strcmp(ike_state_name(s), "?"), 0);
	cr_expect_str_eq(ike_state_name(IKE_S_COUNT), "?");
}

/* An SA filed under peer SPI 0 (a zero from the wire once did this) is
 * found, and gone from every table once killed and reaped. */
Test(ike_sa, a_killed_sa_leaves_each_table_it_is_in_whatever_its_keys)
{
	struct ike_engine *e = engine();
	struct ike_sa *a = ike_sa_new(e, NULL, false, 1000), *b = ike_sa_new(e, NULL, false, 1000);
	struct ike_endpoint peer = { .ep_port = 500 };
	uint32_t id_a = a->sa_id;

	cr_assert(ip_addr_parse("192.0.2.9", &peer.ep_addr));
	a->sa_remote = b->sa_remote = peer;
	ike_sa_set_peer_spi(a, 0);
	ike_sa_set_peer_spi(b, 0);
	ike_sa_set_peer_spi(b, 0); /* filed twice: moved, not chained twice */
	cr_expect_eq(ike_sa_find_half_open(e, 0, &peer), b);
	cr_expect(a->sa_link[IKE_T_PEER].l_in && b->sa_link[IKE_T_PEER].l_in);
	ike_sa_kill(b, "test");
	cr_expect(!b->sa_link[IKE_T_PEER].l_in && !b->sa_link[IKE_T_SPI].l_in &&
		  !b->sa_link[IKE_T_ID].l_in && b->sa_on_dead);
	ike_sa_kill(b, "again"); /* a second kill is nothing */
	ike_engine_reap(e);
	cr_expect_eq(ike_sa_find_half_open(e, 0, &peer), a, "the other stays");
	cr_expect_eq(ike_sa_find_by_id(e, id_a), a);
	cr_expect_eq(ike_sa_find_by_spi(e, ike_sa_my_spi(a)), a);
	cr_expect_eq(ike_engine_sa_count(e), 1);
	ike_engine_free(e);
}

/* Refusals are logged at info, at most IKE_LOG_INFO_PER_PEER_S a second
 * from one peer and IKE_LOG_INFO_PER_S from all; the rest are counted and
 * summed up in one line the next second. */
static unsigned info_lines, debug_lines;
static char last_info[IKE_LOG_LINE];
static struct ike_log_fields last_fields;

static void count_log(void *ctx, enum ike_log_level level, const struct ike_log_fields *f,
		      const char *line)
{
	(void)ctx;
	if (level == IKE_LOG_INFO) {
		info_lines++;
		snprintf(last_info, sizeof(last_info), "%s", line);
		last_fields = *f;
	} else {
		debug_lines++;
	}
}

Test(ike_engine_log, refusals_at_info_are_rate_limited_and_counted)
{
	struct ike_events ev = { .ev_send = fx_no_send, .ev_log = count_log };
	struct ike_engine *e = ike_engine_new(&ev);
	struct ike_endpoint local = { .ep_port = 500 }, remote = { .ep_port = 500 };
	uint8_t v3[28] = { 1, 2, 3, 4, 5, 6, 7, 8 }; /* SPIi, then major version 3 */
	struct ike_stats st;

	cr_assert_not_null(e);
	cr_assert(ip_addr_parse("192.0.2.1", &local.ep_addr) && ip_addr_parse("192.0.2.9", &remote.ep_addr));
	v3[17] = 0x30;
	v3[18] = 34;
	v3[27] = 28;
	for (int i = 0; i < 50; i++)
		ike_engine_input(e, &local, &remote, v3, sizeof(v3), 5000);
	ike_engine_flush_log(e);
	cr_expect_eq(info_lines, IKE_LOG_INFO_PER_PEER_S, "%u info lines from one peer", info_lines);
	cr_expect(strstr(last_info, "peer 192.0.2.9: IKE major version 3: INVALID_MAJOR_VERSION"),
		  "%s", last_info);
	cr_expect_str_eq(last_fields.lf_peer, "192.0.2.9");
	cr_expect_str_eq(last_fields.lf_conn, "");
	cr_expect_eq(last_fields.lf_ike_sa, 0);
	ike_engine_stats(e, &st);
	cr_expect_eq(st.st_bad_versions, 50);
	cr_expect_eq(st.st_log_rate_limited, 50 - IKE_LOG_INFO_PER_PEER_S);
	/* Other peers still get theirs, up to the cap over all peers. */
	for (int i = 0; i < 250; i++) {
		char a[32];

		snprintf(a, sizeof(a), "198.18.%d.%d", i / 200, 1 + i % 200);
		cr_assert(ip_addr_parse(a, &remote.ep_addr));
		ike_engine_input(e, &local, &remote, v3, sizeof(v3), 5000);
	}
	ike_engine_flush_log(e);
	cr_expect_eq(info_lines, IKE_LOG_INFO_PER_S, "%u info lines from all peers", info_lines);
	cr_expect(strstr(last_info, "peer 198.18."), "%s", last_info);
	ike_engine_stats(e, &st);
	cr_expect_eq(st.st_log_rate_limited, 300 - IKE_LOG_INFO_PER_S);
	ike_engine_input(e, &local, &remote, v3, sizeof(v3), 6000); /* the next second */
	ike_engine_flush_log(e);
	cr_expect_eq(info_lines, IKE_LOG_INFO_PER_S + 2, "the summary and the new line");
	cr_expect(strstr(last_info, "IKE major version 3"), "%s", last_info);
	ike_engine_free(e);
}

/* ---- traffic selectors as the TS_UNACCEPTABLE line prints them ---- */

static struct ike_selector v4_range(const char *lo, const char *hi, uint8_t proto,
				    uint16_t sport, uint16_t eport)
{
	struct ike_selector s = { .ts_type = IKE_SEL_IPV4, .ts_proto = proto,
				  .ts_sport = sport, .ts_eport = eport };

	cr_assert(inet_pton(AF_INET, lo, s.ts_start) == 1);
	cr_assert(inet_pton(AF_INET, hi, s.ts_end) == 1);
	return s;
}

Test(ike_ts_format, prefixes_ranges_protocols_and_ports)
{
	struct ike_selectors ts = { .ts_n = 4, .ts = {
		v4_range("198.18.1.0", "198.18.1.255", 0, 0, 65535),
		v4_range("192.0.2.1", "192.0.2.9", 0, 0, 65535),
		v4_range("203.0.113.7", "203.0.113.7", 17, 500, 500),
		v4_range("0.0.0.0", "255.255.255.255", 6, 1000, 2000) } };
	char buf[256];

	ike_selectors_format(&ts, buf, sizeof(buf));
	cr_assert_str_eq(buf, "198.18.1.0/24 192.0.2.1..192.0.2.9 203.0.113.7/32[17/500] "
			      "0.0.0.0/0[6/1000-2000]");
	ike_selectors_format(&(struct ike_selectors){ 0 }, buf, sizeof(buf));
	cr_assert_str_eq(buf, "(none)");
	/* cut, never past the buffer, still terminated */
	ike_selectors_format(&ts, buf, 10);
	cr_assert_str_eq(buf, "198.18.1.");
}

Test(ike_ts_format, a_refusal_names_what_came_and_each_child_configured)
{
	static struct ike_conn_cfg c;
	struct ike_selectors tsi = { .ts_n = 1, .ts = {
		v4_range("198.18.50.0", "198.18.50.255", 0, 0, 65535) } };
	struct ike_selectors tsr = { .ts_n = 1, .ts = {
		v4_range("198.18.2.0", "198.18.2.255", 0, 0, 65535) } };
	char buf[512];

	c.c_n_child = 2;
	strcpy(c.c_child[0].cc_name, "net");
	strcpy(c.c_child[1].cc_name, "dns");
	c.c_child[0].cc_n_local = c.c_child[0].cc_n_remote = 1;
	c.c_child[1].cc_n_local = c.c_child[1].cc_n_remote = 1;
	cr_assert(ip_prefix_parse("198.18.2.0/24", &c.c_child[0].cc_local[0].tc_prefix));
	cr_assert(ip_prefix_parse("198.18.1.0/24", &c.c_child[0].cc_remote[0].tc_prefix));
	cr_assert(ip_prefix_parse("198.18.2.53/32", &c.c_child[1].cc_local[0].tc_prefix));
	c.c_child[1].cc_local[0].tc_proto = 17;
	c.c_child[1].cc_local[0].tc_port_lo = c.c_child[1].cc_local[0].tc_port_hi = 53;
	cr_assert(ip_prefix_parse("198.18.1.0/24", &c.c_child[1].cc_remote[0].tc_prefix));
	ike_ts_refusal_format(&c, &tsi, &tsr, buf, sizeof(buf));
	cr_assert_str_eq(buf, "received TSi 198.18.50.0/24, TSr 198.18.2.0/24; configured "
			      "net: 198.18.2.0/24 === 198.18.1.0/24, dns: 198.18.2.53/32[17/53] === "
			      "198.18.1.0/24");
}
