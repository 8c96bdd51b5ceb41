/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app/settings.c: a negotiated Child SA as the data plane's SAs. Here:
 * UDP-encapsulated transport mode through a NAT (RFC 3948 §3.1.2), whose
 * selectors name the hosts' own addresses while the packets carry the
 * NAT's, and whose peer's NAT-OA (IKEv1, RFC 3947 §5.2) fixes checksums.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "settings.h"

static struct ike_selector host4(const char *a)
{
	struct ike_selector t = { .ts_type = IKE_SEL_IPV4, .ts_eport = 65535 };
	struct ip_addr x;

	cr_assert(ip_addr_parse(a, &x));
	memcpy(t.ts_start, x.bytes, 4);
	memcpy(t.ts_end, x.bytes, 4);
	return t;
}

static struct ike_endpoint ep(const char *a, uint16_t port)
{
	struct ike_endpoint e = { .ep_port = port };

	cr_assert(ip_addr_parse(a, &e.ep_addr));
	return e;
}

static char *fmt(const struct ip_prefix *p)
{
	static char buf[4][64];
	static unsigned k;
	char *b = buf[k++ % 4];

	ip_prefix_format(p, b, 64);
	return b;
}

static const uint8_t KEY[20] = { 1, 2, 3 };

/* The responder's view of a transport-mode client at 192.0.2.77 behind
 * a NAT it sees as 198.51.100.9:4501; the box is 203.0.113.1. */
static struct ike_child_info transport_client(struct ike_selectors *l, struct ike_selectors *r)
{
	*l = (struct ike_selectors){ .ts_n = 1, .ts = { host4("203.0.113.1") } };
	*r = (struct ike_selectors){ .ts_n = 1, .ts = { host4("192.0.2.77") } };
	struct ike_child_info ci = {
		.ci_conn = "l2tp", .ci_child = "t", .ci_spi_in = 0x1001, .ci_spi_out = 0x2002,
		.ci_transport = true, .ci_encap = true,
		.ci_local = ep("203.0.113.1", 4500), .ci_remote = ep("198.51.100.9", 4501),
		.ci_encr = IKE_ENCR_AES_CBC, .ci_encr_bits = 128, .ci_integ = IKE_AUTH_HMAC_SHA1_96,
		.ci_encr_len = 16, .ci_integ_len = 20,
		.ci_encr_in = KEY, .ci_encr_out = KEY, .ci_integ_in = KEY, .ci_integ_out = KEY,
		.ci_ts_local = l, .ci_ts_remote = r,
	};
	cr_assert(ip_addr_parse("192.0.2.77", &ci.ci_peer_oa));
	cr_assert(ip_addr_parse("203.0.113.1", &ci.ci_local_oa));
	return ci;
}

Test(settings, natt_transport_selectors_take_the_outer_addresses_and_the_nat_oa)
{
	struct ike_selectors l, r;
	struct ike_child_info ci = transport_client(&l, &r);
	struct esp_sa_conf in, out;
	char a[64];

	cr_assert_eq(settings_child_sa(&ci, true, 0, &in), 0);
	cr_assert_eq(settings_child_sa(&ci, false, 0, &out), 0);
	cr_expect_eq(in.mode, ESP_MODE_TRANSPORT);
	cr_expect(in.udp_encap && out.udp_encap);
	cr_expect_str_eq(fmt(&in.ts.src), "198.51.100.9/32", "the peer as its packets arrive");
	cr_expect_str_eq(fmt(&in.ts.dst), "203.0.113.1/32");
	cr_expect_str_eq(fmt(&out.ts.src), "203.0.113.1/32");
	cr_expect_str_eq(fmt(&out.ts.dst), "198.51.100.9/32", "sent to the NAT");
	ip_addr_format(&in.orig_src, a, sizeof(a));
	cr_expect_str_eq(a, "192.0.2.77", "inbound: the peer's NAT-OA");
	ip_addr_format(&in.orig_dst, a, sizeof(a));
	cr_expect_str_eq(a, "203.0.113.1");
	cr_expect_eq(out.orig_src.family, 0, "outbound: nothing to fix");
}

/* Tunnel mode through the same NAT, and transport mode without one:
 * the selectors are the negotiated ones, nothing to fix. */
Test(settings, selectors_stay_as_negotiated_outside_natt_transport)
{
	struct ike_selectors l, r;
	struct ike_child_info ci = transport_client(&l, &r);
	struct esp_sa_conf in;

	ci.ci_transport = false;
	cr_assert_eq(settings_child_sa(&ci, true, 0, &in), 0);
	cr_expect_str_eq(fmt(&in.ts.src), "192.0.2.77/32");
	cr_expect_eq(in.orig_src.family, 0);

	ci = transport_client(&l, &r);
	ci.ci_encap = false;
	ci.ci_peer_oa = (struct ip_addr){ 0 };
	cr_assert_eq(settings_child_sa(&ci, true, 0, &in), 0);
	cr_expect_str_eq(fmt(&in.ts.src), "192.0.2.77/32");
	cr_expect_eq(in.orig_src.family, 0);
}
