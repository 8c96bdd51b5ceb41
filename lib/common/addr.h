/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_ADDR_H
#define ESPGATE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An IPv4 or IPv6 address in network byte order; IPv4 uses bytes[0..3]. */
struct ip_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16];
};

struct ip_prefix {
	struct ip_addr addr;
	uint8_t len;
};

#define IP_ADDR_STRLEN 46
#define IP_PREFIX_STRLEN 50
#define MAC_STRLEN 18

/* Parses a dotted IPv4 or an IPv6 address; nothing else is accepted. */
bool ip_addr_parse(const char *s, struct ip_addr *out);
/* Parses "addr/len"; host bits may be set (an interface address). */
bool ip_prefix_parse(const char *s, struct ip_prefix *out);
/* True when no bit beyond the prefix length is set. */
bool ip_prefix_is_network(const struct ip_prefix *p);
bool ip_prefix_contains(const struct ip_prefix *p, const struct ip_addr *a);
bool ip_prefix_overlaps(const struct ip_prefix *a, const struct ip_prefix *b);
bool ip_addr_equal(const struct ip_addr *a, const struct ip_addr *b);
size_t ip_addr_len(const struct ip_addr *a);
void ip_addr_format(const struct ip_addr *a, char *buf, size_t len);
void ip_prefix_format(const struct ip_prefix *p, char *buf, size_t len);
/* The prefix with its host bits cleared. */
struct ip_prefix ip_prefix_network(const struct ip_prefix *p);
/* a + n, big-endian over its family's length; wraps past the last. */
void ip_addr_add(struct ip_addr *a, uint32_t n);
struct ip_addr ip_addr_v4(uint32_t host_order);
uint32_t ip_addr_v4_host(const struct ip_addr *a);

bool mac_parse(const char *s, uint8_t mac[6]);
void mac_format(const uint8_t mac[6], char *buf, size_t len);

#endif
