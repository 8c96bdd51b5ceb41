/* SPDX-License-Identifier: BSD-3-Clause */
#include "addr.h"
#include "chars.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ip_addr_parse(const char *s, struct ip_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->bytes) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, out->bytes) == 1) {
		out->family = AF_INET6;
		return true;
	}
	return false;
}

bool ip_prefix_parse(const char *s, struct ip_prefix *out)
{
	char buf[IP_PREFIX_STRLEN];
	const char *slash = strchr(s, '/');
	char *end;
	long len;

	if (!slash || (size_t)(slash - s) >= sizeof(buf) || slash[1] == '\0')
		return false;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (!ip_addr_parse(buf, &out->addr))
		return false;
	/* Decimal digits only: no sign, no space, no leading zero ("/08"). */
	if (slash[1] < '0' || slash[1] > '9' ||
	    (slash[1] == '0' && slash[2] != '\0'))
		return false;
	len = strtol(slash + 1, &end, 10);
	if (*end != '\0' || len < 0 || (size_t)len > ip_addr_len(&out->addr) * 8)
		return false;
	out->len = (uint8_t)len;
	return true;
}

size_t ip_addr_len(const struct ip_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

bool ip_addr_equal(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->bytes, b->bytes, ip_addr_len(a)) == 0;
}

static bool bits_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool ip_prefix_contains(const struct ip_prefix *p, const struct ip_addr *a)
{
	return p->addr.family == a->family &&
	       bits_equal(p->addr.bytes, a->bytes, p->len);
}

bool ip_prefix_overlaps(const struct ip_prefix *a, const struct ip_prefix *b)
{
	unsigned shorter = a->len < b->len ? a->len : b->len;

	return a->addr.family == b->addr.family &&
	       bits_equal(a->addr.bytes, b->addr.bytes, shorter);
}

struct ip_prefix ip_prefix_network(const struct ip_prefix *p)
{
	struct ip_prefix n = *p;
	size_t total = ip_addr_len(&p->addr);

	for (size_t i = 0; i < total; i++) {
		int keep = (int)p->len - (int)(i * 8);
		if (keep <= 0)
			n.addr.bytes[i] = 0;
		else if (keep < 8)
			n.addr.bytes[i] &= (uint8_t)(0xff << (8 - keep));
	}
	return n;
}

void ip_addr_add(struct ip_addr *a, uint32_t n)
{
	uint64_t carry = n;

	for (size_t i = ip_addr_len(a); i-- > 0 && carry;) {
		carry += a->bytes[i];
		a->bytes[i] = (uint8_t)carry;
		carry >>= 8;
	}
}

bool ip_prefix_is_network(const struct ip_prefix *p)
{
	struct ip_prefix n = ip_prefix_network(p);

	return ip_addr_equal(&n.addr, &p->addr);
}

void ip_addr_format(const struct ip_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family == AF_INET ? AF_INET : AF_INET6, a->bytes,
		       buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void ip_prefix_format(const struct ip_prefix *p, char *buf, size_t len)
{
	char a[IP_ADDR_STRLEN];

	ip_addr_format(&p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->len);
}

struct ip_addr ip_addr_v4(uint32_t host_order)
{
	struct ip_addr a = { .family = AF_INET };
	uint32_t be = htonl(host_order);

	memcpy(a.bytes, &be, 4);
	return a;
}

uint32_t ip_addr_v4_host(const struct ip_addr *a)
{
	uint32_t be;

	memcpy(&be, a->bytes, 4);
	return ntohl(be);
}

/* Exactly "xx:xx:xx:xx:xx:xx": sscanf("%2x") would also take " 1" or "+1". */
bool mac_parse(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		const char *b = s + 3 * i;
		int hi = hex_digit(b[0]), lo = hi < 0 ? -1 : hex_digit(b[1]);

		if (lo < 0 || b[2] != (i == 5 ? '\0' : ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

void mac_format(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
}
