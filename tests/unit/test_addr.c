/* SPDX-License-Identifier: BSD-3-Clause */
#include <criterion/criterion.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

/*
 * Accepted spellings, as decided for the config file: addresses are what
 * inet_pton takes (dotted quad without leading zeros, RFC 4291 text, no
 * zone "%eth0"); a prefix length is plain decimal with no sign, space or
 * leading zero ("/08" is refused: it reads as octal to some tools).
 */

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *s;
	bool ok;
	int family;
} addr_cases[] = {
	{ "0.0.0.0", true, AF_INET },
	{ "255.255.255.255", true, AF_INET },
	{ "198.18.1.1", true, AF_INET },
	{ "::", true, AF_INET6 },
	{ "::1", true, AF_INET6 },
	{ "2001:db8::1", true, AF_INET6 },
	{ "2001:DB8:0:0:0:0:0:1", true, AF_INET6 },
	{ "::ffff:192.0.2.1", true, AF_INET6 },
	{ "", false, 0 },
	{ "1.2.3", false, 0 },
	{ "1.2.3.4.5", false, 0 },
	{ "1.2.3.4.", false, 0 },
	{ "256.1.1.1", false, 0 },
	{ "01.2.3.4", false, 0 },
	{ "0x1.2.3.4", false, 0 },
	{ " 1.2.3.4", false, 0 },
	{ "1.2.3.4 ", false, 0 },
	{ "1.2.3.4/24", false, 0 },
	{ "::g", false, 0 },
	{ "1::2::3", false, 0 },
	{ "fe80::1%eth0", false, 0 },
	{ "2001:db8:0:0:0:0:0:0:1", false, 0 },
};

Test(addr, addr_parse)
{
	for (size_t i = 0; i < N(addr_cases); i++) {
		struct ip_addr a;
		bool ok = ip_addr_parse(addr_cases[i].s, &a);

		cr_expect_eq(ok, addr_cases[i].ok, "ip_addr_parse(\"%s\") = %d",
			     addr_cases[i].s, ok);
		if (ok && addr_cases[i].ok)
			cr_expect_eq(a.family, addr_cases[i].family, "%s family",
				     addr_cases[i].s);
	}
}

static const struct {
	const char *s;
	bool ok;
	unsigned len;
} prefix_cases[] = {
	{ "1.2.3.4/0", true, 0 },
	{ "1.2.3.4/32", true, 32 },
	{ "10.0.0.0/8", true, 8 },
	{ "198.18.1.1/24", true, 24 },
	{ "::/0", true, 0 },
	{ "::/128", true, 128 },
	{ "2001:db8::1/64", true, 64 },
	{ "1.2.3.4", false, 0 },
	{ "1.2.3.4/", false, 0 },
	{ "1.2.3.4/33", false, 0 },
	{ "::/129", false, 0 },
	{ "1.2.3.4/ 8", false, 0 },
	{ "1.2.3.4/08", false, 0 },
	{ "1.2.3.4/00", false, 0 },
	{ "1.2.3.4/+8", false, 0 },
	{ "1.2.3.4/-1", false, 0 },
	{ "1.2.3.4/8x", false, 0 },
	{ "1.2.3.4/8 ", false, 0 },
	{ "1.2.3.4/8/8", false, 0 },
	{ "1.2.3.4/99999999999999999999", false, 0 },
	{ "/8", false, 0 },
	{ "1.2.3/8", false, 0 },
	{ "1.2.3.300/8", false, 0 },
	{ "2001:db8::g/64", false, 0 },
	{ "", false, 0 },
};

Test(addr, prefix_parse)
{
	for (size_t i = 0; i < N(prefix_cases); i++) {
		struct ip_prefix p;
		bool ok = ip_prefix_parse(prefix_cases[i].s, &p);

		cr_expect_eq(ok, prefix_cases[i].ok,
			     "ip_prefix_parse(\"%s\") = %d", prefix_cases[i].s,
			     ok);
		if (ok && prefix_cases[i].ok)
			cr_expect_eq(p.len, prefix_cases[i].len, "%s length %u",
				     prefix_cases[i].s, p.len);
	}
}

static struct ip_prefix P(const char *s)
{
	struct ip_prefix p;

	cr_assert(ip_prefix_parse(s, &p), "test prefix %s", s);
	return p;
}

static struct ip_addr A(const char *s)
{
	struct ip_addr a;

	cr_assert(ip_addr_parse(s, &a), "test address %s", s);
	return a;
}

static const struct {
	const char *p;
	bool network;
	const char *net; /* ip_prefix_network() */
} network_cases[] = {
	{ "10.0.0.0/8", true, "10.0.0.0/8" },
	{ "10.0.0.1/8", false, "10.0.0.0/8" },
	{ "10.1.2.3/12", false, "10.0.0.0/12" },
	{ "10.16.0.0/12", true, "10.16.0.0/12" },
	{ "10.0.0.1/32", true, "10.0.0.1/32" },
	{ "0.0.0.0/0", true, "0.0.0.0/0" },
	{ "1.0.0.0/0", false, "0.0.0.0/0" },
	{ "198.18.1.255/31", false, "198.18.1.254/31" },
	{ "2001:db8::/32", true, "2001:db8::/32" },
	{ "2001:db8::1/64", false, "2001:db8::/64" },
	{ "2001:db8:8000::/33", true, "2001:db8:8000::/33" },
	{ "2001:db8:4000::/33", false, "2001:db8::/33" },
	{ "::1/128", true, "::1/128" },
	{ "::1/127", false, "::/127" },
};

Test(addr, is_network_and_network)
{
	for (size_t i = 0; i < N(network_cases); i++) {
		struct ip_prefix p = P(network_cases[i].p);
		struct ip_prefix n = ip_prefix_network(&p);
		char buf[IP_PREFIX_STRLEN];

		cr_expect_eq(ip_prefix_is_network(&p), network_cases[i].network,
			     "is_network(%s)", network_cases[i].p);
		ip_prefix_format(&n, buf, sizeof(buf));
		cr_expect_str_eq(buf, network_cases[i].net, "network(%s) = %s",
				 network_cases[i].p, buf);
	}
}

static const struct {
	const char *p, *a;
	bool in;
} contains_cases[] = {
	{ "10.0.0.0/9", "10.127.255.255", true },
	{ "10.0.0.0/9", "10.128.0.0", false },
	{ "198.18.1.1/24", "198.18.1.200", true }, /* interface form */
	{ "198.18.1.1/24", "198.18.2.1", false },
	{ "198.18.1.1/32", "198.18.1.1", true },
	{ "198.18.1.1/32", "198.18.1.2", false },
	{ "0.0.0.0/0", "203.0.113.9", true },
	{ "0.0.0.0/0", "::1", false }, /* families never mix */
	{ "::/0", "198.18.1.1", false },
	{ "::/0", "2001:db8::1", true },
	{ "2001:db8:1::1/64", "2001:db8:1::ffff", true },
	{ "2001:db8:1::1/64", "2001:db8:2::1", false },
	{ "2001:db8::/33", "2001:db8:7fff::1", true },
	{ "2001:db8::/33", "2001:db8:8000::1", false },
};

Test(addr, contains)
{
	for (size_t i = 0; i < N(contains_cases); i++) {
		struct ip_prefix p = P(contains_cases[i].p);
		struct ip_addr a = A(contains_cases[i].a);

		cr_expect_eq(ip_prefix_contains(&p, &a), contains_cases[i].in,
			     "%s contains %s", contains_cases[i].p,
			     contains_cases[i].a);
	}
}

static const struct {
	const char *a, *b;
	bool overlap;
} overlap_cases[] = {
	{ "198.18.1.0/24", "198.18.0.0/16", true },
	{ "198.18.0.0/16", "198.18.1.0/24", true },
	{ "198.18.1.1/24", "198.18.1.2/24", true },
	{ "198.18.1.0/24", "198.18.2.0/24", false },
	{ "198.18.1.0/25", "198.18.1.128/25", false },
	{ "0.0.0.0/0", "203.0.113.0/24", true },
	{ "0.0.0.0/0", "::/0", false },
	{ "2001:db8::/32", "2001:db8:1::/48", true },
	{ "2001:db8::/32", "2001:db9::/32", false },
	{ "10.0.0.0/8", "::a00:0/104", false },
};

Test(addr, overlaps)
{
	for (size_t i = 0; i < N(overlap_cases); i++) {
		struct ip_prefix a = P(overlap_cases[i].a);
		struct ip_prefix b = P(overlap_cases[i].b);

		cr_expect_eq(ip_prefix_overlaps(&a, &b), overlap_cases[i].overlap,
			     "%s overlaps %s", overlap_cases[i].a,
			     overlap_cases[i].b);
		cr_expect_eq(ip_prefix_overlaps(&b, &a), overlap_cases[i].overlap,
			     "%s overlaps %s", overlap_cases[i].b,
			     overlap_cases[i].a);
	}
}

static const struct {
	const char *in, *out;
} format_cases[] = {
	{ "10.1.2.3/8", "10.1.2.3/8" },
	{ "0.0.0.0/0", "0.0.0.0/0" },
	{ "2001:0db8:0000:0000:0000:0000:0000:0001/64", "2001:db8::1/64" },
	{ "2001:DB8::A/128", "2001:db8::a/128" },
	{ "::/0", "::/0" },
	{ "::ffff:192.0.2.1/96", "::ffff:192.0.2.1/96" },
};

Test(addr, format)
{
	for (size_t i = 0; i < N(format_cases); i++) {
		struct ip_prefix p = P(format_cases[i].in);
		char buf[IP_PREFIX_STRLEN], abuf[IP_ADDR_STRLEN];
		const char *slash = strchr(format_cases[i].out, '/');

		ip_prefix_format(&p, buf, sizeof(buf));
		cr_expect_str_eq(buf, format_cases[i].out, "format(%s) = %s",
				 format_cases[i].in, buf);
		ip_addr_format(&p.addr, abuf, sizeof(abuf));
		cr_expect_eq(strlen(abuf), (size_t)(slash - format_cases[i].out));
		cr_expect(strncmp(abuf, format_cases[i].out, strlen(abuf)) == 0,
			  "addr format %s", abuf);
	}
}

Test(addr, equal_and_v4_helpers)
{
	struct ip_addr a = A("198.18.1.1"), b = ip_addr_v4(0xc6120101);
	struct ip_addr v6 = A("::c612:101");

	cr_expect(ip_addr_equal(&a, &b));
	cr_expect_eq(ip_addr_v4_host(&a), 0xc6120101u);
	cr_expect_not(ip_addr_equal(&a, &v6)); /* same bytes, other family */
	cr_expect_eq(ip_addr_len(&a), 4);
	cr_expect_eq(ip_addr_len(&v6), 16);
}

static const struct {
	const char *s;
	bool ok;
} mac_cases[] = {
	{ "02:00:00:00:00:01", true },
	{ "AA:bb:Cc:dd:EE:ff", true },
	{ "ff:ff:ff:ff:ff:ff", true }, /* syntax only; cfg refuses multicast */
	{ "", false },
	{ "02:00:00:00:00", false },
	{ "02:00:00:00:00:01:02", false },
	{ "02:00:00:00:00:01 ", false },
	{ " 2:00:00:00:00:01", false },
	{ "+2:00:00:00:00:01", false },
	{ "2:0:0:0:0:1", false },
	{ "02-00-00-00-00-01", false },
	{ "0g:00:00:00:00:01", false },
	{ "0200.0000.0001", false },
};

Test(addr, mac_parse_and_format)
{
	for (size_t i = 0; i < N(mac_cases); i++) {
		uint8_t mac[6];
		char buf[MAC_STRLEN];
		bool ok = mac_parse(mac_cases[i].s, mac);

		cr_expect_eq(ok, mac_cases[i].ok, "mac_parse(\"%s\") = %d",
			     mac_cases[i].s, ok);
		if (!ok || !mac_cases[i].ok)
			continue;
		mac_format(mac, buf, sizeof(buf));
		cr_expect(strcasecmp(buf, mac_cases[i].s) == 0,
			  "format(parse(%s)) = %s", mac_cases[i].s, buf);
	}
}
