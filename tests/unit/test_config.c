/* SPDX-License-Identifier: BSD-3-Clause */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"

#define CFG_DIR SRCDIR "/tests/config"

/* A secrets file must be its owner's alone (cfg_secrets.c); git keeps
 * no such mode, so the fixtures get it before any test reads them. */
__attribute__((constructor)) static void fixture_secrets_private(void)
{
	static const char *const files[] = { CFG_DIR "/good/ike/secrets.json",
					     CFG_DIR "/bad/ike/secrets.json" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (chmod(files[i], 0600) != 0)
			perror(files[i]);
}
#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Every file in tests/config/bad/ with the exact place and path its error
 * must name: (file, path, line, column, part of the message).
 */
#define BAD_FIXTURES(X)                                                        \
	X(syntax_error, "$", 5, 5, "']' expected")                             \
	X(duplicate_key, "ports[0].role", 5, 38, "duplicate key")              \
	X(unknown_key, "ports[1].bogus", 6, 8, "unknown key")                  \
	X(unknown_top_key, "route", 7, 3, "unknown key")                       \
	X(wrong_type, "ports[0].mtu", 5, 13, "expected an integer, got a string") \
	X(ports_not_array, "ports", 3, 12, "expected an array, got an object")  \
	X(root_not_object, "$", 1, 1, "expected an object, got an array")      \
	X(missing_lcores, "lcores", 1, 1, "missing required key")              \
	X(missing_required, "ports[1].role", 5, 7, "missing required key")     \
	X(bad_ipv4, "ports[0].addresses[0]", 5, 20,                            \
	  "\"198.18.1.300\" is not an IPv4 or IPv6 address")                   \
	X(bad_prefix_len, "ports[0].addresses[1]", 5, 40,                      \
	  "bad prefix length \"33\": expected 0..32")                          \
	X(route_host_bits, "routes[0].prefix", 9, 16,                          \
	  "host bits are set in \"198.18.10.1/24\"; did you mean 198.18.10.0/24?") \
	X(duplicate_port_name, "ports[1].name", 5, 14,                         \
	  "duplicate port name \"lan\"")                                       \
	X(bad_port_name, "ports[0].name", 4, 14, "is not a port name")         \
	X(worker_is_control, "lcores.workers[1]", 3, 29,                       \
	  "lcore 2 is the control lcore")                                      \
	X(duplicate_worker, "lcores.workers[2]", 2, 46, "lcore 1 is listed twice") \
	X(lcore_out_of_range, "lcores.workers[1]", 2, 43,                      \
	  "128 is out of range 0..127")                                        \
	X(empty_workers, "lcores.workers", 2, 39, "at least one worker")       \
	X(cryptodev_no_device, "crypto.device", 3, 15,                         \
	  "missing required key: engine \"cryptodev\" needs a device")         \
	X(ipsecmb_with_device, "crypto.device", 3, 45,                         \
	  "engine \"ipsecmb\" runs on the CPU and takes no device")            \
	X(via_not_connected, "routes[1].via", 11, 41,                          \
	  "198.18.9.1 is not on a connected prefix of any port")               \
	X(route_via_own_address, "routes[0].via", 9, 41,                       \
	  "198.18.1.1 is espgate's own address (ports[0].addresses[0])")       \
	X(via_family_mismatch, "routes[0].via", 9, 41,                         \
	  "is IPv6 but the prefix is IPv4")                                    \
	X(route_no_next_hop, "routes[0].via", 8, 5,                            \
	  "a route needs \"via\", \"port\" or both")                           \
	X(route_unknown_port, "routes[0].port", 8, 38, "no port named \"dmz\"") \
	X(duplicate_route, "routes[1].prefix", 9, 16,                          \
	  "duplicate route for 10.0.0.0/8 (also routes[0])")                   \
	X(overlapping_prefixes, "ports[1].addresses[1]", 7, 38,                \
	  "198.18.200.1/16 overlaps 198.18.1.1/24 of port \"lan\"")            \
	X(duplicate_address, "ports[0].addresses[1]", 5, 37, "duplicate address") \
	X(bad_mac, "ports[0].mac", 5, 13, "is not a MAC address")              \
	X(multicast_mac, "neighbors[0].mac", 9, 39, "is a multicast MAC")      \
	X(neighbor_wrong_port, "neighbors[0].address", 10, 17,                 \
	  "203.0.113.2 is not on a connected prefix of port \"lan\"")          \
	X(ipv6_small_mtu, "ports[0].mtu", 5, 65,                               \
	  "1200 is below 1280, the minimum MTU for IPv6")                      \
	X(no_unprotected_port, "ports", 4, 3, "no unprotected port")           \
	X(forbidden_eal, "eal[3]", 3, 11,                                      \
	  "\"--vdev\" is set by espgate: configure the device in ports[].device") \
	X(duplicate_device, "ports[1].device", 5, 31,                          \
	  "device 0000:03:00.0 is already used by port \"lan\"")               \
	X(bad_device, "ports[0].device", 4, 31,                                \
	  "is neither a vdev (net_...) nor a PCI address")                     \
	X(relative_socket, "control.socket", 3, 25, "is not an absolute path") \
	X(bad_log_level, "log.level", 3, 20, "\"verbose\" is not one of")      \
	X(bad_role, "ports[1].role", 5, 57, "\"outside\" is not one of") \
	X(sa_spi_reserved, "sas[0].spi", 10, 34,	\
	  "255 is out of range 256..4294967295") \
	X(sa_spi_not_hex, "sas[0].spi", 10, 34,	\
	  "\"0x10g0\" is not a hex SPI") \
	X(sa_duplicate_spi, "sas[1].spi", 15, 38,	\
	  "SPI 0x00001001 is already used by inbound SA \"from-branch\" (sas[0])") \
	X(sa_unknown_enc, "sas[0].enc", 12, 13,	\
	  "\"aes192\" is not one of") \
	X(sa_key_length, "sas[0].enc_key", 12, 39,	\
	  "expected 20 bytes (40 hex digits) for aes128gcm16 (16-byte key + 4-byte salt), got 19") \
	X(sa_integ_with_aead, "sas[0].integ", 14, 15,	\
	  "enc \"aes128gcm16\" is an AEAD") \
	X(sa_null_without_integ, "sas[0].integ", 10, 5,	\
	  "missing required key: enc \"null\" does not authenticate") \
	X(sa_out_src_not_ours, "sas[0].src", 11, 13,	\
	  "203.0.113.7 is not one of espgate's addresses; an outbound SA's src must be an address of an unprotected port: 203.0.113.1 (\"wan\")") \
	X(sa_in_dst_protected, "sas[0].dst", 11, 35,	\
	  "198.18.1.1 is an address of protected port \"lan\" (ports[0].addresses[0]); an inbound SA's dst must be an address of an unprotected port") \
	X(sa_selector_host_bits, "sas[0].selector.dst", 13, 50,	\
	  "host bits are set in \"198.18.3.1/24\"; did you mean 198.18.3.0/24?") \
	X(sa_selector_family, "sas[0].selector.dst", 13, 50,	\
	  "2001:db8:3::/48 is IPv6 but src is IPv4") \
	X(sa_ports_with_icmp, "sas[0].selector.dport", 14, 45,	\
	  "ports need proto \"tcp\", \"udp\" or \"sctp\"; proto is \"icmp\" (1)") \
	X(sa_sport_reversed, "sas[0].selector.sport", 14, 44,	\
	  "range 2000-1000 is empty") \
	X(sa_replay_window_32, "sas[0].replay_window", 15, 23,	\
	  "32 is neither 0 (off) nor in 64..4096") \
	X(sa_esn_without_window, "sas[0].esn", 14, 33,	\
	  "an inbound SA with esn needs a replay window") \
	X(sa_replay_on_out, "sas[0].replay_window", 14, 23,	\
	  "replay_window applies to inbound SAs only") \
	X(sa_df_on_in, "sas[0].df", 15, 12,	\
	  "df applies to outbound SAs only") \
	X(sa_encap_dport, "sas[0].udp_encap.dport", 16, 44,	\
	  "dport 4502 is not one of ipsec.natt_ports (4500, 4501)") \
	X(sa_soft_not_below_hard, "sas[0].lifetime.soft_bytes", 14, 33,	\
	  "2000000 is not below hard_bytes (2000000)") \
	X(sa_worker_range, "sas[0].worker", 13, 78,	\
	  "2 is out of range 0..1: an index into lcores.workers, which has 2 entries") \
	X(sa_worker_word, "sas[0].worker", 13, 78,	\
	  "\"all\" is neither an index into lcores.workers nor \"any\"") \
	X(natt_port_500, "ipsec.natt_ports[1]", 3, 34,	\
	  "500 is IKE's port") \
	X(sa_transport_selector, "sas[0].selector.dst", 13, 51,	\
	  "transport mode: 198.18.3.0/24 does not contain the SA's dst 203.0.113.2") \
	X(sa_duplicate_name, "sas[1].name", 14, 14,	\
	  "duplicate SA name \"to-branch\" (also sas[0].name)") \
	X(conn_bad_proposal, "connections[0].proposals[1]", 10, 52, \
	  "\"aes128-sha256-ecp38\": unknown algorithm \"ecp38\"") \
	X(conn_ike_no_dh, "connections[0].proposals[0]", 10, 20, \
	  "\"aes128-sha256\": an IKE proposal needs a PRF and a DH group") \
	X(conn_unknown_start, "connections[0].start", 9, 54, \
	  "\"auto\" is not one of \"none\", \"start\", \"trap\"") \
	X(conn_trap_too_many, "connections[0].start", 9, 54, \
	  "trap connections up to this one have 320 pairs of local and remote selectors; at most 256 in all") \
	X(conn_duplicate_name, "connections[1].name", 15, 14, \
	  "duplicate connection name \"a\" (also connections[0].name)") \
	X(conn_duplicate_child, "connections[0].children[1].name", 14, 17, \
	  "duplicate child name \"net\" in connection \"a\" (also connections[0].children[0].name)") \
	X(conn_local_not_ours, "connections[0].local", 8, 28, \
	  "203.0.113.7 is not one of espgate's addresses; a connection's local address must be an address of an unprotected port: 203.0.113.1 (\"wan\")") \
	X(conn_weak_psk, "connections[0].psk", 9, 13, \
	  "weak pre-shared key: 11 characters, at least 16 needed (RFC 7296 §2.15") \
	X(conn_psk_missing, "connections[1].psk", 15, 5, \
	  "missing required key: connection \"b\" uses auth \"psk\" but has no secret, neither here nor in " \
	  CFG_DIR "/bad/ike/secrets.json (ike.secrets) as psk.b") \
	X(conn_rekey_not_below_life, "connections[0].children[0].rekey", 14, 18, \
	  "3960 is not below life (3960)") \
	X(conn_rekey_bytes_not_below_life, "connections[0].children[0].rekey_bytes", 14, 24, \
	  "1000000 is not below life_bytes (1000000)") \
	X(conn_rekey_packets_negative, "connections[0].children[0].rekey_packets", 14, 26, \
	  "-5 is negative") \
	X(conn_dpd_timeout, "connections[0].dpd_timeout", 9, 71, \
	  "30 is not above dpd (30)") \
	X(conn_ts_host_bits, "connections[0].children[0].local_ts[0]", 12, 37, \
	  "host bits are set in \"198.18.1.1/24\"; did you mean 198.18.1.0/24?") \
	X(conn_natt_port, "ike.natt_port", 8, 24, \
	  "4501 is not one of ipsec.natt_ports (4500)") \
	X(conn_bad_id, "connections[0].remote_id", 8, 82, \
	  "\"branch 1.example\" is not an identity") \
	X(conn_ambiguous_peer, "connections[1].remote", 15, 53, \
	  "ambiguous peer: connection \"a\" (connections[0]) has the same local 203.0.113.1 and remote 198.51.100.7") \
	X(conn_start_any, "connections[0].start", 8, 69, \
	  "start \"trap\" initiates, which needs a remote address; remote is any") \
	X(conn_family_mismatch, "connections[0].remote", 8, 53, \
	  "2001:db8::7 is IPv6 but local is IPv4") \
	X(conn_ts_ports_any, "connections[0].children[0].remote_ts[0].ports", 12, 106, \
	  "ports need proto \"tcp\", \"udp\" or \"sctp\"; proto is \"any\" (0)") \
	X(conn_cert_missing, "connections[0].cert", 9, 32, \
	  "cannot read " CFG_DIR "/bad/ike/no-such.crt: No such file or directory") \
	X(conn_no_children, "connections[0].children", 11, 18, \
	  "at least one child needed")

/* Builds "^FILE:[0-9]+:[0-9]+: PATH: " with FILE and PATH taken literally. */
static void add_literal(char *re, size_t len, const char *s)
{
	size_t n = strlen(re);

	for (; *s && n + 3 < len; s++) {
		if (strchr(".[]()*+?^$\\|{}", *s))
			re[n++] = '\\';
		re[n++] = *s;
	}
	re[n] = '\0';
}

static void check_error_format(const char *err, const char *file,
			       const char *path)
{
	char src[1024] = "^";
	regex_t re;

	add_literal(src, sizeof(src), file);
	strcat(src, ":[0-9]+:[0-9]+: ");
	add_literal(src, sizeof(src), path);
	strcat(src, ": ");
	cr_assert_eq(regcomp(&re, src, REG_EXTENDED | REG_NOSUB), 0);
	cr_expect_eq(regexec(&re, err, 0, NULL, 0), 0, "\"%s\" !~ /%s/", err,
		     src);
	regfree(&re);
	cr_expect_null(strchr(err, '\n'), "message is one line: %s", err);
}

static bool is_zero(const struct cfg *c)
{
	static const struct cfg zero;

	return memcmp(c, &zero, sizeof(zero)) == 0;
}

static void check_bad(const char *file, const char *path, unsigned line,
		      unsigned col, const char *msg)
{
	char full[512], want[768], err[512];
	struct cfg c;
	int rc;

	snprintf(full, sizeof(full), "%s/bad/%s", CFG_DIR, file);
	rc = cfg_load_file(full, &c, err, sizeof(err));
	cr_assert_eq(rc, -EINVAL, "%s loaded (rc %d)", file, rc);
	check_error_format(err, full, path);
	snprintf(want, sizeof(want), "%s:%u:%u: %s: ", full, line, col, path);
	cr_expect(strncmp(err, want, strlen(want)) == 0, "got  %s\nwant %s...",
		  err, want);
	cr_expect_not_null(strstr(err, msg), "\"%s\" lacks \"%s\"", err, msg);
	cr_expect(is_zero(&c), "a failed load leaves nothing behind");
	cfg_free(&c);
}

#define BAD_TEST(file, path, line, col, msg)                                   \
	Test(cfg_bad, file)                                                    \
	{                                                                      \
		check_bad(#file ".json", path, line, col, msg);                \
	}
BAD_FIXTURES(BAD_TEST)

#define BAD_NAME(file, path, line, col, msg) #file ".json",
static const char *const bad_files[] = { BAD_FIXTURES(BAD_NAME) };

static bool has_json_suffix(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

/* The table and the directory agree: no fixture goes unchecked. */
Test(cfg_bad, every_file_is_in_the_table)
{
	DIR *d = opendir(CFG_DIR "/bad");
	struct dirent *e;
	size_t seen = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		bool found = false;

		if (!has_json_suffix(e->d_name))
			continue;
		for (size_t i = 0; i < N(bad_files); i++)
			found |= strcmp(bad_files[i], e->d_name) == 0;
		cr_expect(found, "%s is not in BAD_FIXTURES", e->d_name);
		seen++;
	}
	closedir(d);
	cr_expect_eq(seen, N(bad_files), "%zu files, %zu table rows", seen,
		     N(bad_files));
	cr_expect_geq(seen, 14);
}

/* Good files. */

static void load_ok(const char *rel, struct cfg *c)
{
	char full[512], err[512] = "";
	int rc;

	snprintf(full, sizeof(full), "%s/%s", SRCDIR, rel);
	rc = cfg_load_file(full, c, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s: rc %d: %s", rel, rc, err);
}

static void expect_prefix(const struct ip_prefix *p, const char *want)
{
	char buf[IP_PREFIX_STRLEN];

	ip_prefix_format(p, buf, sizeof(buf));
	cr_expect_str_eq(buf, want);
}

static void expect_addr(const struct ip_addr *a, const char *want)
{
	char buf[IP_ADDR_STRLEN];

	ip_addr_format(a, buf, sizeof(buf));
	cr_expect_str_eq(buf, want);
}

static void expect_mac(const uint8_t mac[6], const char *want)
{
	char buf[MAC_STRLEN];

	mac_format(mac, buf, sizeof(buf));
	cr_expect_str_eq(buf, want);
}

Test(cfg_good, every_good_file_loads)
{
	static const char *const dirs[] = { "tests/config/good", "config" };

	for (size_t i = 0; i < N(dirs); i++) {
		char dir[512];
		DIR *d;
		struct dirent *e;

		snprintf(dir, sizeof(dir), "%s/%s", SRCDIR, dirs[i]);
		d = opendir(dir);
		cr_assert_not_null(d, "%s", dir);
		while ((e = readdir(d))) {
			char rel[768];
			struct cfg c;

			if (!has_json_suffix(e->d_name))
				continue;
			snprintf(rel, sizeof(rel), "%s/%s", dirs[i], e->d_name);
			load_ok(rel, &c);
			cfg_free(&c);
		}
		closedir(d);
	}
}

static void expect_defaults_outside_ports(const struct cfg *c)
{
	cr_expect_eq(c->n_eal_args, 0);
	cr_expect_eq(c->control_lcore, 0);
	cr_expect_eq(c->engine, CFG_ENGINE_IPSECMB);
	cr_expect_str_eq(c->crypto_device, "");
	cr_expect_str_eq(c->ctl_socket, "/run/espgate/espgate.sock");
	cr_expect_str_eq(c->log_level, "info");
	cr_expect_eq(c->n_routes, 0);
	cr_expect_null(c->routes);
	cr_expect_eq(c->n_neighbors, 0);
	cr_expect_null(c->neighbors);
	cr_expect_eq(c->n_sas, 0);
	cr_expect_null(c->sas);
	cr_expect_eq(c->n_natt_ports, 1);
	cr_expect_eq(c->natt_ports[0], 4500);
	cr_expect_not(c->unmatched_discard);
}

Test(cfg_good, defaults)
{
	struct cfg c;

	load_ok("tests/config/good/defaults.json", &c);
	expect_defaults_outside_ports(&c);
	cr_expect_eq(c.n_workers, 1);
	cr_expect_eq(c.workers[0], 1);
	cr_assert_eq(c.n_ports, 2);
	for (unsigned i = 0; i < 2; i++) {
		cr_expect_eq(c.ports[i].mtu, 1500);
		cr_expect_not(c.ports[i].has_mac);
		cr_expect_eq(c.ports[i].n_addrs, 0);
		cr_expect(c.ports[i].is_vdev);
	}
	cr_expect_str_eq(c.ports[0].name, "in");
	cr_expect_str_eq(c.ports[1].device, "net_tap1");
	cfg_free(&c);
}

Test(cfg_good, example_minimal)
{
	struct cfg c;

	load_ok("config/example-minimal.json", &c);
	expect_defaults_outside_ports(&c);
	cr_assert_eq(c.n_ports, 2);
	cr_expect_eq(c.ports[0].role, CFG_ROLE_PROTECTED);
	cr_expect_eq(c.ports[1].role, CFG_ROLE_UNPROTECTED);
	cr_assert_eq(c.ports[1].n_addrs, 1);
	expect_prefix(&c.ports[1].addrs[0], "203.0.113.1/24");
	cfg_free(&c);
}

static void expect_router_ports(const struct cfg *c)
{
	const struct cfg_port *lan = &c->ports[0], *wan = &c->ports[1];

	cr_assert_eq(c->n_ports, 2);
	cr_expect_str_eq(lan->name, "lan");
	cr_expect_str_eq(lan->device, "net_af_packet0,iface=eg-lan");
	cr_expect(lan->is_vdev);
	cr_expect_eq(lan->role, CFG_ROLE_PROTECTED);
	cr_assert_eq(lan->n_addrs, 2);
	expect_prefix(&lan->addrs[0], "198.18.1.1/24");
	expect_prefix(&lan->addrs[1], "2001:db8:1::1/64");
	cr_expect_eq(lan->mtu, 1500);
	cr_expect(lan->has_mac);
	expect_mac(lan->mac, "02:00:00:00:00:01");
	cr_expect_str_eq(wan->name, "wan");
	cr_expect_str_eq(wan->device, "0000:03:00.0");
	cr_expect_not(wan->is_vdev);
	cr_expect_eq(wan->role, CFG_ROLE_UNPROTECTED);
	cr_expect_eq(wan->mtu, 1500);
	cr_expect_not(wan->has_mac);
}

Test(cfg_good, example_router)
{
	static const char *const eal[] = { "--no-huge", "-m", "512", "--no-pci",
					   "--file-prefix", "espgate-demo" };
	struct cfg c;

	load_ok("config/example-router.json", &c);
	cr_assert_eq(c.n_eal_args, N(eal));
	for (size_t i = 0; i < N(eal); i++)
		cr_expect_str_eq(c.eal_args[i], eal[i]);
	cr_expect_eq(c.control_lcore, 0);
	cr_expect_eq(c.n_workers, 1);
	cr_expect_eq(c.workers[0], 1);
	cr_expect_eq(c.engine, CFG_ENGINE_IPSECMB);
	cr_expect_str_eq(c.ctl_socket, "/run/espgate/espgate.sock");
	cr_expect_str_eq(c.log_level, "info");
	expect_router_ports(&c);
	cr_assert_eq(c.n_routes, 3);
	expect_prefix(&c.routes[0].prefix, "198.18.10.0/24");
	cr_expect(c.routes[0].has_via);
	expect_addr(&c.routes[0].via, "198.18.1.2");
	cr_expect_eq(c.routes[0].port, 0, "port derived from via");
	expect_prefix(&c.routes[1].prefix, "2001:db8:10::/48");
	expect_addr(&c.routes[1].via, "2001:db8:1::2");
	cr_expect_eq(c.routes[1].port, 0);
	cr_expect_not(c.routes[2].has_via);
	cr_expect_eq(c.routes[2].port, 0);
	cr_assert_eq(c.n_neighbors, 1);
	expect_addr(&c.neighbors[0].addr, "203.0.113.2");
	expect_mac(c.neighbors[0].mac, "02:00:00:00:00:99");
	cr_expect_eq(c.neighbors[0].port, 1);
	cfg_free(&c);
}

Test(cfg_good, cryptodev_and_pci)
{
	struct cfg c;

	load_ok("tests/config/good/cryptodev.json", &c);
	cr_expect_eq(c.engine, CFG_ENGINE_CRYPTODEV);
	cr_expect_str_eq(c.crypto_device, "0000:3d:00.0");
	cr_expect_str_eq(c.ctl_socket, "/tmp/espgate-test.sock");
	cr_expect_str_eq(c.log_level, "debug");
	cr_expect_eq(c.n_eal_args, 3);
	cr_expect_eq(c.control_lcore, 2);
	cr_assert_eq(c.n_workers, 3);
	cr_expect(c.workers[0] == 3 && c.workers[1] == 4 && c.workers[2] == 5);
	cr_assert_eq(c.n_ports, 2);
	cr_expect_not(c.ports[0].is_vdev);
	cr_expect_eq(c.ports[0].mtu, 9000);
	expect_mac(c.ports[0].mac, "0a:1b:2c:3d:4e:5f");
	cr_expect_str_eq(c.ports[1].name, "LAN-0");
	cr_expect_str_eq(c.ports[1].device, "03:00.0,rxq_pkt_burst=32");
	cr_expect_not(c.ports[1].is_vdev);
	cr_assert_eq(c.n_routes, 3);
	expect_prefix(&c.routes[0].prefix, "0.0.0.0/0");
	cr_expect_eq(c.routes[0].port, 0);
	cr_expect_eq(c.routes[1].port, 1);
	cr_expect_eq(c.routes[2].port, 1, "10.1.200.1 is on LAN-0's 10.1/16");
	cr_assert_eq(c.n_neighbors, 2);
	cr_expect_eq(c.neighbors[0].port, 0);
	cr_expect_eq(c.neighbors[1].port, 1);
	cfg_free(&c);
}

Test(cfg_good, ipv6_only)
{
	struct cfg c;

	load_ok("tests/config/good/ipv6.json", &c);
	cr_expect_eq(c.control_lcore, 1);
	cr_expect(c.n_workers == 2 && c.workers[0] == 0 && c.workers[1] == 2);
	cr_expect_eq(c.ports[0].mtu, 1280);
	cr_expect_eq(c.ports[0].n_addrs, 2, "two addresses on one prefix");
	cr_assert_eq(c.n_routes, 3);
	expect_prefix(&c.routes[0].prefix, "::/0");
	cr_expect_eq(c.routes[0].port, 1);
	cr_expect_eq(c.routes[1].port, 0);
	cr_expect_eq(c.routes[2].port, 0);
	cr_assert_eq(c.n_neighbors, 1);
	cr_expect_eq(c.neighbors[0].port, 1);
	cfg_free(&c);
}

/* Static SAs. */

static unsigned hex_nibble(char x)
{
	return x <= '9' ? (unsigned)(x - '0') : (unsigned)((x | 0x20) - 'a' + 10);
}

/* The key bytes against their hex spelling, decoded here independently. */
static void expect_key(const uint8_t *key, unsigned len, const char *hex)
{
	size_t n;

	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		hex += 2;
	n = strlen(hex) / 2;
	cr_assert_eq(len, n, "key length %u, want %zu", len, n);
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(key[i],
			     hex_nibble(hex[2 * i]) << 4 | hex_nibble(hex[2 * i + 1]),
			     "byte %zu", i);
}

static void expect_ts(const struct cfg_ts *ts, const char *src, const char *dst,
		      unsigned proto, unsigned slo, unsigned shi, unsigned dlo,
		      unsigned dhi)
{
	expect_prefix(&ts->src, src);
	expect_prefix(&ts->dst, dst);
	cr_expect_eq(ts->proto, proto);
	cr_expect_eq(ts->sport_lo, slo);
	cr_expect_eq(ts->sport_hi, shi);
	cr_expect_eq(ts->dport_lo, dlo);
	cr_expect_eq(ts->dport_hi, dhi);
}

static void expect_sa_head(const struct cfg_sa *sa, const char *name,
			   uint32_t spi, enum cfg_sa_dir dir,
			   enum cfg_sa_mode mode, const char *src,
			   const char *dst)
{
	cr_expect_str_eq(sa->name, name);
	cr_expect_eq(sa->spi, spi, "%s: spi %#x", name, sa->spi);
	cr_expect_eq(sa->dir, dir, "%s", name);
	cr_expect_eq(sa->mode, mode, "%s", name);
	cr_expect(sa->has_endpoints, "%s", name);
	expect_addr(&sa->src, src);
	expect_addr(&sa->dst, dst);
}

static void expect_lifetime(const struct cfg_sa *sa, uint64_t sb, uint64_t hb,
			    uint64_t sp, uint64_t hp)
{
	cr_expect_eq(sa->soft_bytes, sb, "%s", sa->name);
	cr_expect_eq(sa->hard_bytes, hb, "%s", sa->name);
	cr_expect_eq(sa->soft_packets, sp, "%s", sa->name);
	cr_expect_eq(sa->hard_packets, hp, "%s", sa->name);
}

static void expect_encap(const struct cfg_sa *sa, bool on, unsigned sport,
			 unsigned dport)
{
	cr_expect_eq(sa->udp_encap, on, "%s", sa->name);
	cr_expect_eq(sa->encap_sport, sport, "%s", sa->name);
	cr_expect_eq(sa->encap_dport, dport, "%s", sa->name);
}

static void expect_static_sas_0_3(const struct cfg_sa *sa)
{
	expect_sa_head(&sa[0], "to-branch", 0x1000, CFG_SA_OUT, CFG_SA_TUNNEL,
		       "203.0.113.1", "203.0.113.2");
	cr_expect_str_eq(sa[0].enc, "aes128gcm16");
	expect_key(sa[0].enc_key, sa[0].enc_key_len,
		   "000102030405060708090a0b0c0d0e0f10111213");
	cr_expect_str_eq(sa[0].integ, "");
	cr_expect_eq(sa[0].integ_key_len, 0);
	expect_ts(&sa[0].ts, "198.18.1.0/24", "198.18.3.0/24", 17, 1000, 2000,
		  53, 53);
	cr_expect_eq(sa[0].replay_window, 0, "outbound: no window");
	cr_expect_not(sa[0].esn);
	expect_encap(&sa[0], true, 4500, 4500);
	cr_expect_eq(sa[0].df, CFG_DF_COPY);
	expect_lifetime(&sa[0], 1000000, 2000000, 0, 0);
	cr_expect_eq(sa[0].worker, 0);

	expect_sa_head(&sa[1], "from-branch", 4097, CFG_SA_IN, CFG_SA_TUNNEL,
		       "203.0.113.2", "203.0.113.1");
	cr_expect_str_eq(sa[1].enc, "aes256");
	expect_key(sa[1].enc_key, sa[1].enc_key_len,
		   "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f");
	cr_expect_str_eq(sa[1].integ, "sha256_128");
	expect_key(sa[1].integ_key, sa[1].integ_key_len,
		   "303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f");
	expect_ts(&sa[1].ts, "198.18.3.0/24", "198.18.1.0/24", 0, 0, 65535, 0,
		  65535);
	cr_expect_eq(sa[1].replay_window, 1024);
	cr_expect(sa[1].esn);
	expect_encap(&sa[1], true, 4500, 4500);
	cr_expect_eq(sa[1].df, CFG_DF_COPY);
	expect_lifetime(&sa[1], 0, 0, 0, 0);
	cr_expect_eq(sa[1].worker, -1);

	expect_sa_head(&sa[2], "v6_out", 0xffffffff, CFG_SA_OUT, CFG_SA_TUNNEL,
		       "2001:db8:ffff::1", "2001:db8:ffff::2");
	cr_expect_str_eq(sa[2].enc, "aes256gcm16");
	expect_key(sa[2].enc_key, sa[2].enc_key_len,
		   "505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70717273");
	cr_expect_eq(sa[2].integ_key_len, 0);
	expect_ts(&sa[2].ts, "198.18.1.0/24", "10.0.0.0/8", 6, 0, 65535, 443,
		  443);
	expect_encap(&sa[2], false, 4500, 4500);
	expect_lifetime(&sa[2], 0, 0, 1000, 2000);
	cr_expect_eq(sa[2].worker, 1);

	expect_sa_head(&sa[3], "v6_in", 0xffff0001, CFG_SA_IN, CFG_SA_TUNNEL,
		       "2001:db8:ffff::2", "2001:db8:ffff::1");
	cr_expect_str_eq(sa[3].enc, "chacha20poly1305");
	expect_key(sa[3].enc_key, sa[3].enc_key_len,
		   "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3");
	expect_ts(&sa[3].ts, "2001:db8:10::/48", "2001:db8:1::/64", 58, 0,
		  65535, 0, 65535);
	cr_expect_eq(sa[3].replay_window, 0, "0 turns the check off");
	cr_expect_not(sa[3].esn, "ESN needs a window (see sa_esn_without_window)");
	expect_encap(&sa[3], true, 4500, 4501);
	cr_expect_eq(sa[3].worker, -1);
}

static void expect_static_sas_4_7(const struct cfg_sa *sa)
{
	expect_sa_head(&sa[4], "mgmt-out", 256, CFG_SA_OUT, CFG_SA_TRANSPORT,
		       "203.0.113.1", "203.0.113.9");
	cr_expect_str_eq(sa[4].enc, "aes128");
	expect_key(sa[4].enc_key, sa[4].enc_key_len,
		   "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
	cr_expect_str_eq(sa[4].integ, "sha1_96");
	expect_key(sa[4].integ_key, sa[4].integ_key_len,
		   "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3");
	expect_ts(&sa[4].ts, "203.0.113.1/32", "203.0.113.0/24", 132, 5000,
		  5000, 0, 65535);
	cr_expect_not(sa[4].esn);
	expect_encap(&sa[4], false, 4500, 4500);
	expect_lifetime(&sa[4], 1, 2, 3, 4);

	expect_sa_head(&sa[5], "mgmt-in", 256, CFG_SA_IN, CFG_SA_TRANSPORT,
		       "203.0.113.9", "203.0.113.1");
	cr_expect_str_eq(sa[5].enc, "null");
	cr_expect_eq(sa[5].enc_key_len, 0);
	cr_expect_str_eq(sa[5].integ, "sha512_256");
	expect_key(sa[5].integ_key, sa[5].integ_key_len,
		   "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
		   "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
	expect_ts(&sa[5].ts, "203.0.113.9/32", "203.0.113.0/24", 17, 0, 65535,
		  0, 65535);
	cr_expect_eq(sa[5].replay_window, 64, "inbound default");
	cr_expect_not(sa[5].esn);
	expect_lifetime(&sa[5], 0, 9223372036854775807ull, 0, 0);

	expect_sa_head(&sa[6], "legacy-out", 4097, CFG_SA_OUT, CFG_SA_TUNNEL,
		       "203.0.113.5", "192.0.2.7");
	cr_expect_str_eq(sa[6].enc, "aes256");
	expect_key(sa[6].enc_key, sa[6].enc_key_len,
		   "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
	cr_expect_str_eq(sa[6].integ, "sha384_192");
	expect_key(sa[6].integ_key, sa[6].integ_key_len,
		   "2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
		   "404142434445464748494a4b4c4d4e4f50");
	expect_ts(&sa[6].ts, "198.18.1.0/24", "0.0.0.0/0", 0, 0, 65535, 0,
		  65535);
	cr_expect_eq(sa[6].df, CFG_DF_CLEAR);
	expect_encap(&sa[6], true, 4501, 4500);

	expect_sa_head(&sa[7], "legacy-in", 4097, CFG_SA_IN, CFG_SA_TUNNEL,
		       "192.0.2.7", "203.0.113.5");
	cr_expect_str_eq(sa[7].enc, "aes128gcm16");
	expect_key(sa[7].enc_key, sa[7].enc_key_len,
		   "606162636465666768696a6b6c6d6e6f70717273");
	expect_ts(&sa[7].ts, "0.0.0.0/0", "198.18.1.0/24", 50, 0, 65535, 0,
		  65535);
	cr_expect_eq(sa[7].replay_window, 4096);
}

Test(cfg_good, static_sas)
{
	struct cfg c;

	load_ok("tests/config/good/static_sas.json", &c);
	cr_assert_eq(c.n_natt_ports, 2);
	cr_expect(c.natt_ports[0] == 4500 && c.natt_ports[1] == 4501);
	cr_expect(c.unmatched_discard);
	cr_assert_eq(c.n_sas, 8);
	cr_assert_not_null(c.sas);
	expect_static_sas_0_3(c.sas);
	expect_static_sas_4_7(c.sas);
	cfg_free(&c);
	cr_expect(is_zero(&c));
}

Test(cfg_good, example_static_sas)
{
	struct cfg c;

	load_ok("config/example-static-sas.json", &c);
	cr_expect(c.unmatched_discard);
	cr_expect(c.n_natt_ports == 1 && c.natt_ports[0] == 4500);
	cr_assert_eq(c.n_sas, 4);
	expect_sa_head(&c.sas[0], "to-branch", 0x1000, CFG_SA_OUT,
		       CFG_SA_TUNNEL, "203.0.113.1", "203.0.113.2");
	expect_key(c.sas[0].enc_key, c.sas[0].enc_key_len,
		   "00112233445566778899aabbccddeeff01020304");
	expect_lifetime(&c.sas[0], 900000000000ull, 1000000000000ull, 0, 0);
	expect_sa_head(&c.sas[1], "from-branch", 0x1001, CFG_SA_IN,
		       CFG_SA_TUNNEL, "203.0.113.2", "203.0.113.1");
	cr_expect(c.sas[1].esn && c.sas[1].replay_window == 1024);
	expect_encap(&c.sas[1], true, 4500, 4500);
	cr_expect_eq(c.sas[2].df, CFG_DF_SET);
	cr_expect_str_eq(c.sas[2].integ, "sha256_128");
	expect_ts(&c.sas[2].ts, "198.18.1.0/24", "198.18.4.0/24", 6, 0, 65535,
		  1, 1023);
	expect_ts(&c.sas[3].ts, "198.18.4.0/24", "198.18.1.0/24", 6, 1, 1023,
		  0, 65535);
	cr_expect(c.sas[2].worker == 1 && c.sas[3].worker == 1);
	cfg_free(&c);
}

/* Inline documents; ' stands for " to keep them readable. */
static int load(const char *doc, struct cfg *c, char *err, size_t errlen);

#define LCORES "'lcores': {'workers': [1]}"
#define PORTS                                                                  \
	"'ports': ["                                                           \
	"{'name': 'lan', 'device': 'net_tap0', 'role': 'protected',"           \
	" 'addresses': ['198.18.1.1/24']},"                                    \
	"{'name': 'wan', 'device': 'net_tap1', 'role': 'unprotected',"         \
	" 'addresses': ['203.0.113.1/24']}]"

static char *dq(const char *s)
{
	char *d = strdup(s);

	cr_assert_not_null(d);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static int load(const char *doc, struct cfg *c, char *err, size_t errlen)
{
	char *text = dq(doc);
	int rc = cfg_load_string(text, "t.json", c, err, errlen);

	free(text);
	return rc;
}

static void expect_ok(const char *doc)
{
	char err[512] = "";
	struct cfg c;

	cr_expect_eq(load(doc, &c, err, sizeof(err)), 0, "%s\n-> %s", doc, err);
	cfg_free(&c);
}

/* want is the whole "LINE:COL: PATH: " prefix plus part of the message. */
static void expect_err(const char *doc, const char *where, const char *msg)
{
	char err[512] = "", prefix[256];
	struct cfg c;
	int rc = load(doc, &c, err, sizeof(err));

	cr_expect_eq(rc, -EINVAL, "%s loaded", doc);
	snprintf(prefix, sizeof(prefix), "t.json:%s: ", where);
	cr_expect(strncmp(err, prefix, strlen(prefix)) == 0,
		  "got  %s\nwant %s...", err, prefix);
	cr_expect_not_null(strstr(err, msg), "\"%s\" lacks \"%s\"", err, msg);
	cr_expect_null(strchr(err, '\n'));
	cr_expect(is_zero(&c));
	cfg_free(&c);
}

static const struct {
	const char *arg;
	bool ok;
} eal_cases[] = {
	{ "-l", false },	    { "-l2-3", false },
	{ "-c", false },	    { "--lcores", false },
	{ "--lcores=1@2", false },  { "--main-lcore", false },
	{ "--main-lcore=0", false }, { "--vdev", false },
	{ "--vdev=net_tap0", false }, { "-a", false },
	{ "-a0000:01:00.0", false }, { "--allow", false },
	{ "--allow=0000:01:00.0", false }, { "-b", false },
	{ "--block=0000:01:00.0", false }, { "--block", false },
	{ "-m", true },		    { "-n", true },
	{ "--no-huge", true },	    { "--log-level=lib.eal:8", true },
	{ "--legacy-mem", true },   { "--file-prefix=eg", true },
};

Test(cfg_str, eal_forbidden_spellings)
{
	for (size_t i = 0; i < N(eal_cases); i++) {
		char doc[512];

		snprintf(doc, sizeof(doc), "{'eal': ['%s'], " LCORES ", " PORTS "}",
			 eal_cases[i].arg);
		if (eal_cases[i].ok)
			expect_ok(doc);
		else
			expect_err(doc, "1:10: eal[0]", "is set by espgate");
	}
}

Test(cfg_str, eal_empty_and_not_string)
{
	expect_err("{'eal': ['-m', ''], " LCORES ", " PORTS "}",
		   "1:16: eal[1]", "must not be empty");
	expect_err("{'eal': [512], " LCORES ", " PORTS "}", "1:10: eal[0]",
		   "expected a string, got an integer");
	expect_err("{'eal': '-m 512', " LCORES ", " PORTS "}", "1:9: eal",
		   "expected an array, got a string");
}

Test(cfg_str, types_named)
{
	expect_err("{'lcores': {'control': null, 'workers': [1]}, " PORTS "}",
		   "1:24: lcores.control", "expected an integer, got null");
	expect_err("{'lcores': {'control': 0.0, 'workers': [1]}, " PORTS "}",
		   "1:24: lcores.control",
		   "expected an integer, got a real number");
	expect_err("{'lcores': {'workers': [true]}, " PORTS "}",
		   "1:25: lcores.workers[0]", "expected an integer, got a boolean");
	expect_err("{'lcores': [1], " PORTS "}", "1:12: lcores",
		   "expected an object, got an array");
}

Test(cfg_str, mtu_bounds)
{
	static const struct {
		int mtu;
		bool ok;
	} cases[] = { { 67, false }, { 68, true }, { 9600, true }, { 9601, false } };

	for (size_t i = 0; i < N(cases); i++) {
		char doc[1024];

		snprintf(doc, sizeof(doc),
			 "{" LCORES ", 'ports': ["
			 "{'name': 'a', 'device': 'net_tap0', 'role': 'protected', 'mtu': %d},"
			 "{'name': 'b', 'device': 'net_tap1', 'role': 'unprotected'}]}",
			 cases[i].mtu);
		if (cases[i].ok)
			expect_ok(doc);
		else
			expect_err(doc, "1:104: ports[0].mtu", "out of range 68..9600");
	}
	expect_ok("{" LCORES ", 'ports': ["
		  "{'name': 'a', 'device': 'net_tap0', 'role': 'protected', 'mtu': 1280,"
		  " 'addresses': ['2001:db8::1/64']},"
		  "{'name': 'b', 'device': 'net_tap1', 'role': 'unprotected'}]}");
}

Test(cfg_str, mac_rules)
{
	expect_err("{" LCORES ", " PORTS ", 'neighbors': [{'address': "
		   "'203.0.113.9', 'mac': '00:00:00:00:00:00'}]}",
		   "1:275: neighbors[0].mac", "all-zero MAC");
	expect_err("{" LCORES ", " PORTS ", 'neighbors': [{'address': "
		   "'203.0.113.9'}]}",
		   "1:241: neighbors[0].mac", "missing required key");
}

Test(cfg_str, neighbor_rules)
{
	expect_err("{" LCORES ", " PORTS ", 'neighbors': [{'address': "
		   "'198.18.1.1', 'mac': '02:00:00:00:00:02'}]}",
		   "1:253: neighbors[0].address", "espgate's own address");
	expect_err("{" LCORES ", " PORTS ", 'neighbors': ["
		   "{'address': '198.18.1.2', 'mac': '02:00:00:00:00:02'},"
		   "{'address': '198.18.1.2', 'mac': '02:00:00:00:00:03'}]}",
		   "1:307: neighbors[1].address",
		   "duplicate neighbor 198.18.1.2 (also neighbors[0])");
	expect_err("{" LCORES ", " PORTS ", 'neighbors': [{'address': "
		   "'198.18.1.0/24', 'mac': '02:00:00:00:00:02'}]}",
		   "1:253: neighbors[0].address", "is a prefix; expected a single address");
}

Test(cfg_str, route_port_restricts_via)
{
	expect_err("{" LCORES ", " PORTS ", 'routes': [{'prefix': "
		   "'10.0.0.0/8', 'via': '198.18.1.2', 'port': 'wan'}]}",
		   "1:270: routes[0].via",
		   "198.18.1.2 is not on a connected prefix of port \"wan\"");
	expect_ok("{" LCORES ", " PORTS ", 'routes': [{'prefix': "
		  "'10.0.0.0/8', 'via': '198.18.1.2', 'port': 'lan'}]}");
}

Test(cfg_str, limits)
{
	char doc[8192] = "{" LCORES ", 'ports': [";

	for (int i = 0; i <= CFG_MAX_PORTS; i++) {
		char port[128];

		snprintf(port, sizeof(port),
			 "%s{'name': 'p%d', 'device': 'net_tap%d', 'role': '%s'}",
			 i ? "," : "", i, i, i ? "unprotected" : "protected");
		strcat(doc, port);
	}
	strcat(doc, "]}");
	expect_err(doc, "1:39: ports", "at most 16 ports");
	expect_err("{" LCORES ", 'control': {'socket': '/"
		   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		   "aaaaaaa'}, " PORTS "}",
		   "1:52: control.socket", "too long (108 characters, at most 107)");
}

/* Positions count characters, not bytes, like jansson's. */
Test(cfg_str, columns_count_characters)
{
	expect_err("{'lcores': {'workers': [1]}, 'x\xc3\xa9\xc3\xa9': 1}",
		   "1:30: [\"x\xc3\xa9\xc3\xa9\"]", "unknown key");
	expect_err("{'\xc3\xa9': 1 2}", "1:9: $", "expected near '2'");
}

/* Keys are found in the text by their decoded names. */
Test(cfg_str, escaped_and_odd_keys)
{
	expect_err("{'lcores': {'work\\u0065rs': [1, 1]}, " PORTS "}",
		   "1:33: lcores.workers[1]", "listed twice");
	expect_err("{'a.b': 1}", "1:2: [\"a.b\"]", "unknown key");
	expect_err("{'a\\nb': 1}", "1:2: [\"a\\u000ab\"]", "unknown key");
	expect_err("{'log': {}, 'log': {}}", "1:13: log", "duplicate key");
}

Test(cfg_str, name_defaults_and_file_errors)
{
	char err[512];
	struct cfg c;
	char *text = dq("[]");

	cr_expect_eq(cfg_load_string(text, NULL, &c, err, sizeof(err)), -EINVAL);
	cr_expect_str_eq(err, "<string>:1:1: $: expected an object, got an array");
	free(text);
	cr_expect_eq(cfg_load_file(CFG_DIR "/no-such.json", &c, err, sizeof(err)),
		     -ENOENT);
	cr_expect_str_eq(err, CFG_DIR "/no-such.json: cannot read: No such file or directory");
	cr_expect(is_zero(&c));
	cr_expect_eq(cfg_load_file(CFG_DIR, &c, err, sizeof(err)), -EISDIR);
	cfg_free(&c);
	cfg_free(&c);
}

Test(cfg_str, names)
{
	cr_expect_str_eq(cfg_role_name(CFG_ROLE_PROTECTED), "protected");
	cr_expect_str_eq(cfg_role_name(CFG_ROLE_UNPROTECTED), "unprotected");
	cr_expect_str_eq(cfg_engine_name(CFG_ENGINE_IPSECMB), "ipsecmb");
	cr_expect_str_eq(cfg_engine_name(CFG_ENGINE_CRYPTODEV), "cryptodev");
}

/* Static SAs, inline. Documents are one line, so an error's column is
 * where its marker first occurs in the text. */

static void expect_err_at(const char *doc, const char *marker,
			  const char *path, const char *msg)
{
	const char *at = strstr(doc, marker);
	char where[256];

	cr_assert_not_null(at, "\"%s\" is not in %s", marker, doc);
	snprintf(where, sizeof(where), "1:%zu: %s", (size_t)(at - doc) + 1,
		 path);
	expect_err(doc, where, msg);
}

#define K16 "000102030405060708090a0b0c0d0e0f"
#define K20 "00112233445566778899aabbccddeeff01020304"
#define K32 K16 "101112131415161718191a1b1c1d1e1f"
#define DOC(ipsec, sas) "{" LCORES ", " PORTS ipsec ", 'sas': [" sas "]}"
#define OUT_HEAD                                                               \
	"'name': 'o', 'spi': 4096, 'direction': 'out', 'src': '203.0.113.1',"  \
	" 'dst': '203.0.113.2'"
#define IN_HEAD                                                                \
	"'name': 'i', 'spi': 4096, 'direction': 'in', 'src': '203.0.113.2',"   \
	" 'dst': '203.0.113.1'"
#define GCM "'enc': 'aes128gcm16', 'enc_key': '" K20 "'"
#define CBC "'enc': 'aes256', 'enc_key': '" K32 "', 'integ': 'sha256_128', 'integ_key': '" K32 "'"
#define SEL_OUT "'selector': {'src': '198.18.1.0/24', 'dst': '198.18.3.0/24'}"
#define SEL_IN "'selector': {'src': '198.18.3.0/24', 'dst': '198.18.1.0/24'}"
#define SA_OUT(extra) "{" OUT_HEAD ", " GCM ", " SEL_OUT extra "}"
#define SA_IN(extra) "{" IN_HEAD ", " GCM ", " SEL_IN extra "}"
#define OUT_SEL(sel) "{" OUT_HEAD ", " GCM ", 'selector': {" sel "}}"

/* "worker": "any": an SA every worker handles (issue 19 item 3). */
Test(cfg_sa, worker_any)
{
	char err[512] = "";
	struct cfg c;

	cr_assert_eq(load("{'lcores': {'workers': [1, 2]}, " PORTS ", 'sas': ["
			  "{'name': 'a', 'spi': 4096, 'direction': 'in',"
			  " 'src': '203.0.113.2', 'dst': '203.0.113.1', 'enc': 'aes128gcm16',"
			  " 'enc_key': '00112233445566778899aabbccddeeff01020304',"
			  " 'selector': {'src': '198.18.3.0/24', 'dst': '198.18.1.0/24'},"
			  " 'worker': 'any'}]}", &c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.sas[0].worker, CFG_SA_WORKER_ANY);
	cfg_free(&c);
}

Test(cfg_sa, minimal_and_empty)
{
	char err[512] = "";
	struct cfg c;
	char *text = dq(DOC("", SA_OUT("")));

	cr_assert_eq(cfg_load_string(text, NULL, &c, err, sizeof(err)), 0, "%s",
		     err);
	free(text);
	cr_assert_eq(c.n_sas, 1);
	cr_expect_eq(c.sas[0].mode, CFG_SA_TUNNEL);
	cr_expect_eq(c.sas[0].df, CFG_DF_COPY);
	cr_expect_eq(c.sas[0].worker, -1);
	cr_expect_not(c.sas[0].udp_encap);
	cr_expect_eq(c.sas[0].encap_sport, 4500);
	cr_expect_eq(c.sas[0].encap_dport, 4500);
	expect_ts(&c.sas[0].ts, "198.18.1.0/24", "198.18.3.0/24", 0, 0, 65535,
		  0, 65535);
	expect_lifetime(&c.sas[0], 0, 0, 0, 0);
	cfg_free(&c);
	text = dq(DOC("", ""));
	cr_assert_eq(cfg_load_string(text, NULL, &c, err, sizeof(err)), 0, "%s",
		     err);
	free(text);
	cr_expect_eq(c.n_sas, 0);
	cr_expect_null(c.sas);
	cfg_free(&c);
	expect_err_at("{" LCORES ", " PORTS ", 'sas': {}}", "{}", "sas",
		      "expected an array, got an object");
	expect_err_at(DOC("", "[]"), "[]]", "sas[0]",
		      "expected an object, got an array");
	expect_err_at(DOC("", SA_OUT(", 'spii': 1")), "'spii'", "sas[0].spii",
		      "unknown key");
	expect_err_at(DOC("", "{'name': 'a b'}"), "'a b'", "sas[0].name",
		      "\"a b\" is not an SA name");
	expect_err_at(DOC("", "{'name': 'o', 'direction': 'out'}"),
		      "{'name': 'o'", "sas[0].spi", "missing required key");
}

Test(cfg_sa, spi_forms)
{
	static const struct {
		const char *spi;
		const char *msg; /* NULL: accepted */
	} cases[] = {
		{ "256", NULL },
		{ "'0x100'", NULL },
		{ "'0X00000000FFFFFFFF'", NULL },
		{ "4294967295", NULL },
		{ "0", "0 is out of range 256..4294967295" },
		{ "4294967296", "4294967296 is out of range" },
		{ "-1", "-1 is out of range" },
		{ "'0xff'", "\"0xff\" is out of range" },
		{ "'0x100000000'", "\"0x100000000\" is out of range" },
		{ "'4097'", "\"4097\" is not a hex SPI" },
		{ "'0x'", "\"0x\" is not a hex SPI" },
		{ "'0x 100'", "is not a hex SPI" },
		{ "true", "expected an integer or a hex string (\"0x...\"), got a boolean" },
		{ "4096.0", "got a real number" },
	};

	for (size_t i = 0; i < N(cases); i++) {
		char doc[1024], marker[64];

		snprintf(doc, sizeof(doc),
			 DOC("", "{'name': 'o', 'spi': %s, 'direction': 'out',"
				 " 'src': '203.0.113.1', 'dst': '203.0.113.2', " GCM
				 ", " SEL_OUT "}"),
			 cases[i].spi);
		snprintf(marker, sizeof(marker), "%s, 'direction'", cases[i].spi);
		if (!cases[i].msg)
			expect_ok(doc);
		else
			expect_err_at(doc, marker, "sas[0].spi", cases[i].msg);
	}
	/* Same SPI: fine in the other direction or to another dst. */
	expect_ok(DOC("", SA_OUT("") ", " SA_IN("")));
	expect_err_at(DOC("", SA_IN("") ", {'name': 'j', 'spi': '0x1000',"
			  " 'direction': 'in', 'src': '203.0.113.3', 'dst': '203.0.113.1', "
			  GCM ", " SEL_IN "}"),
		      "'0x1000'", "sas[1].spi",
		      "SPI 0x00001000 is already used by inbound SA \"i\" (sas[0]) to dst 203.0.113.1");
}

Test(cfg_sa, direction_mode_endpoints)
{
	expect_err_at(DOC("", "{'name': 'o', 'spi': 4096, 'direction': 'both'}"),
		      "'both'", "sas[0].direction", "\"both\" is not one of \"in\", \"out\"");
	expect_err_at(DOC("", SA_OUT(", 'mode': 'beet'")), "'beet'", "sas[0].mode",
		      "\"beet\" is not one of \"tunnel\", \"transport\"");
	expect_err_at(DOC("", "{'name': 'o', 'spi': 4096, 'direction': 'out',"
			  " 'src': '203.0.113.1', 'dst': '2001:db8::2'}"),
		      "'2001:db8::2'", "sas[0].dst", "2001:db8::2 is IPv6 but src is IPv4");
	expect_err_at(DOC("", "{'name': 'o', 'spi': 4096, 'direction': 'out',"
			  " 'src': '203.0.113.1/24', 'dst': '203.0.113.2'}"),
		      "'203.0.113.1/24', 'dst'", "sas[0].src", "is a prefix");
	expect_err_at(DOC("", "{'name': 'o', 'spi': 4096, 'direction': 'out',"
			  " 'src': '198.18.1.1', 'dst': '203.0.113.2'}"),
		      "'198.18.1.1'", "sas[0].src",
		      "198.18.1.1 is an address of protected port \"lan\" (ports[0].addresses[0]); an outbound SA's src must be an address of an unprotected port");
	expect_err_at(DOC("", "{'name': 'o', 'spi': 4096, 'direction': 'out',"
			  " 'src': '2001:db8::1', 'dst': '2001:db8::2'}"),
		      "'2001:db8::1'", "sas[0].src",
		      "no unprotected port has an IPv6 address");
	expect_err_at(DOC("", "{'name': 'i', 'spi': 4096, 'direction': 'in',"
			  " 'src': '203.0.113.2', 'dst': '203.0.113.3'}"),
		      "'203.0.113.3'", "sas[0].dst",
		      "203.0.113.3 is not one of espgate's addresses; an inbound SA's dst must be an address of an unprotected port: 203.0.113.1 (\"wan\")");
	/* The peer is another host. */
	expect_err_at(DOC("", "{'name': 'o', 'spi': 4096, 'direction': 'out',"
			  " 'src': '203.0.113.1', 'dst': '198.18.1.1'}"),
		      "'198.18.1.1'", "sas[0].dst", "198.18.1.1 is espgate's own address");
	expect_err_at(DOC("", "{'name': 'i', 'spi': 4096, 'direction': 'in',"
			  " 'src': '203.0.113.1', 'dst': '203.0.113.1'}"),
		      "'203.0.113.1', 'dst'", "sas[0].src", "is espgate's own address");
}

/* Error messages about keys say how long and where, never what. */
static void expect_key_err(const char *doc, const char *marker,
			   const char *path, const char *msg, const char *secret)
{
	char err[512] = "";
	struct cfg c;

	expect_err_at(doc, marker, path, msg);
	load(doc, &c, err, sizeof(err));
	cr_expect_null(strstr(err, secret), "key material in \"%s\"", err);
}

Test(cfg_sa, keys)
{
	expect_ok(DOC("", "{" OUT_HEAD ", 'enc': 'aes128gcm16', 'enc_key': '0X"
		      "00112233445566778899AABBCCDDEEFF01020304', " SEL_OUT "}"));
	expect_key_err(DOC("", "{" OUT_HEAD ", 'enc': 'aes128gcm16', 'enc_key': '"
			   "00112233445566778899aabbccddeeff010203', " SEL_OUT "}"),
		       "'00112233", "sas[0].enc_key",
		       "expected 20 bytes (40 hex digits) for aes128gcm16 (16-byte key + 4-byte salt), got 19",
		       "445566");
	expect_key_err(DOC("", "{" OUT_HEAD ", 'enc': 'aes256gcm16', 'enc_key': '" K32 "', "
			   SEL_OUT "}"),
		       "'0001", "sas[0].enc_key", "expected 36 bytes (72 hex digits)",
		       "0a0b0c0d");
	expect_key_err(DOC("", "{" OUT_HEAD ", 'enc': 'chacha20poly1305', 'enc_key': '" K20
			   "', " SEL_OUT "}"),
		       "'0011", "sas[0].enc_key", "expected 36 bytes (72 hex digits)",
		       "99aabb");
	expect_key_err(DOC("", "{" OUT_HEAD ", 'enc': 'aes128', 'enc_key': '" K20
			   "', 'integ': 'sha1_96', 'integ_key': '" K20 "', " SEL_OUT "}"),
		       "'0011", "sas[0].enc_key", "expected 16 bytes (32 hex digits)",
		       "99aabb");
	expect_key_err(DOC("", "{" OUT_HEAD ", 'enc': 'aes128gcm16', 'enc_key': '"
			   "00112233445566778899aabbccddeeff0102030', " SEL_OUT "}"),
		       "'0011", "sas[0].enc_key", "odd number of hex digits (39)",
		       "445566");
	expect_key_err(DOC("", "{" OUT_HEAD ", 'enc': 'aes128gcm16', 'enc_key': '"
			   "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:01:02:03:04', " SEL_OUT "}"),
		       "'00:", "sas[0].enc_key", "character 3 is not a hex digit",
		       "33:44");
	expect_key_err(DOC("", "{" OUT_HEAD ", 'enc': 'aes128gcm16', 'enc_key': '0x"
			   "00112233445566778899aabbccddeeff0102030g', " SEL_OUT "}"),
		       "'0x", "sas[0].enc_key", "character 42 is not a hex digit",
		       "445566");
	expect_err_at(DOC("", "{" OUT_HEAD ", 'enc': 'aes128gcm16', " SEL_OUT "}"),
		      "{'name': 'o'", "sas[0].enc_key",
		      "missing required key: enc \"aes128gcm16\" needs 20 bytes");
	expect_err_at(DOC("", "{" OUT_HEAD ", 'enc': 'aes128gcm16', 'enc_key': 20, "
			  SEL_OUT "}"),
		      "20,", "sas[0].enc_key", "expected a string, got an integer");
	expect_key_err(DOC("", "{" OUT_HEAD ", 'enc': 'null', 'enc_key': '" K16 "', "
			   SEL_OUT "}"),
		       "'" K16, "sas[0].enc_key", "enc \"null\" takes no key", "0a0b0c");
}

Test(cfg_sa, integrity)
{
	expect_key_err(DOC("", "{" OUT_HEAD ", " GCM ", 'integ_key': '" K32 "', " SEL_OUT "}"),
		       "'" K32, "sas[0].integ_key", "enc \"aes128gcm16\" is an AEAD",
		       "0a0b0c");
	expect_err_at(DOC("", "{" OUT_HEAD ", 'enc': 'chacha20poly1305', 'enc_key': '"
			  K32 "01020304', 'integ': 'sha1_96', " SEL_OUT "}"),
		      "'sha1_96'", "sas[0].integ", "enc \"chacha20poly1305\" is an AEAD");
	expect_err_at(DOC("", "{" OUT_HEAD ", 'enc': 'aes256', 'enc_key': '" K32 "', "
			  SEL_OUT "}"),
		      "{'name': 'o'", "sas[0].integ",
		      "missing required key: enc \"aes256\" does not authenticate; add integ (one of \"sha1_96\"");
	expect_err_at(DOC("", "{" OUT_HEAD ", 'enc': 'null', 'integ': 'md5_96', "
			  SEL_OUT "}"),
		      "'md5_96'", "sas[0].integ", "\"md5_96\" is not one of");
	expect_err_at(DOC("", "{" OUT_HEAD ", 'enc': 'null', 'integ': 'sha384_192', "
			  SEL_OUT "}"),
		      "{'name': 'o'", "sas[0].integ_key",
		      "missing required key: integ \"sha384_192\" needs a 48-byte key");
	expect_key_err(DOC("", "{" OUT_HEAD ", 'enc': 'null', 'integ': 'sha512_256',"
			   " 'integ_key': '" K32 "', " SEL_OUT "}"),
		       "'" K32, "sas[0].integ_key",
		       "expected 64 bytes (128 hex digits) for sha512_256 (HMAC key), got 32",
		       "0a0b0c");
	expect_ok(DOC("", "{" OUT_HEAD ", " CBC ", " SEL_OUT "}"));
}

/* jansson quotes the token where it stopped; a key is not shown. */
Test(cfg_sa, syntax_error_hides_keys)
{
	char err[512] = "";
	struct cfg c;

	cr_expect_eq(cfg_load_string("{\"sas\": [{\"enc_key\": \"00112233445566\n\"}]}",
				     "t.json", &c, err, sizeof(err)),
		     -EINVAL);
	cr_expect_null(strstr(err, "445566"), "%s", err);
	cr_expect_not_null(strstr(err, "t.json:1:36: $: unexpected newline in a hex string (not shown)"),
			   "%s", err);
	expect_err("{'lcores': {'workers': [1] 'x'}}", "1:30: $",
		   "'}' expected near '\"x\"'");
}

Test(cfg_sa, selector)
{
	expect_err_at(DOC("", "{" OUT_HEAD ", " GCM "}"), "{'name': 'o'",
		      "sas[0].selector", "missing required key");
	expect_err_at(DOC("", OUT_SEL("'src': '198.18.1.0/24', 'dst': '198.18.3.0/24', 'sports': 1")),
		      "'sports'", "sas[0].selector.sports", "unknown key");
	expect_err_at(DOC("", OUT_SEL("'src': '198.18.1.1/24', 'dst': '198.18.3.0/24'")),
		      "'198.18.1.1/24', 'dst'", "sas[0].selector.src",
		      "did you mean 198.18.1.0/24?");
	expect_err_at(DOC("", OUT_SEL("'src': '198.18.1.0/24'")), "{'src'",
		      "sas[0].selector.dst", "missing required key");
	expect_err_at(DOC("", OUT_SEL("'src': '2001:db8:1::/64', 'dst': '2001:db8:3::/64',"
				      " 'proto': 'icmp'")),
		      "'icmp'", "sas[0].selector.proto", "did you mean \"icmpv6\" (58)?");
	expect_err_at(DOC("", OUT_SEL("'src': '198.18.1.0/24', 'dst': '198.18.3.0/24',"
				      " 'proto': 58")),
		      "58", "sas[0].selector.proto", "did you mean \"icmp\" (1)?");
	expect_err_at(DOC("", OUT_SEL("'src': '198.18.1.0/24', 'dst': '198.18.3.0/24',"
				      " 'proto': 256")),
		      "256", "sas[0].selector.proto", "256 is out of range 0..255");
	expect_err_at(DOC("", OUT_SEL("'src': '198.18.1.0/24', 'dst': '198.18.3.0/24',"
				      " 'proto': 'gre'")),
		      "'gre'", "sas[0].selector.proto", "\"gre\" is not one of \"any\", \"tcp\"");
	expect_err_at(DOC("", OUT_SEL("'src': '198.18.1.0/24', 'dst': '198.18.3.0/24',"
				      " 'proto': null")),
		      "null", "sas[0].selector.proto",
		      "expected an integer or a protocol name, got null");
	expect_err_at(DOC("", OUT_SEL("'src': '198.18.1.0/24', 'dst': '198.18.3.0/24',"
				      " 'dport': 53")),
		      "53", "sas[0].selector.dport", "proto is \"any\" (0)");
	expect_err_at(DOC("", OUT_SEL("'src': '198.18.1.0/24', 'dst': '198.18.3.0/24',"
				      " 'proto': 47, 'sport': 1")),
		      "1}", "sas[0].selector.sport", "proto is 47");
	expect_ok(DOC("", OUT_SEL("'src': '2001:db8:1::/64', 'dst': '::/0',"
				  " 'proto': 'sctp', 'sport': '0-0', 'dport': 65535")));
}

Test(cfg_sa, port_ranges)
{
	static const struct {
		const char *port;
		const char *msg;
	} cases[] = {
		{ "'1-65535'", NULL },
		{ "'7-7'", NULL },
		{ "0", NULL },
		{ "'53'", "\"53\" is not a port range" },
		{ "'1-65536'", "is not a port range" },
		{ "'01-2'", "is not a port range" },
		{ "'1 - 2'", "is not a port range" },
		{ "'1-'", "is not a port range" },
		{ "'-1'", "is not a port range" },
		{ "'1-2-3'", "is not a port range" },
		{ "65536", "65536 is out of range 0..65535" },
		{ "'9-8'", "range 9-8 is empty" },
		{ "[1, 2]", "expected an integer or a \"LO-HI\" string, got an array" },
	};

	for (size_t i = 0; i < N(cases); i++) {
		char doc[1024], marker[64];

		snprintf(doc, sizeof(doc),
			 DOC("", OUT_SEL("'src': '198.18.1.0/24', 'dst': '198.18.3.0/24',"
					 " 'proto': 'tcp', 'dport': %s")),
			 cases[i].port);
		snprintf(marker, sizeof(marker), "%s}}", cases[i].port);
		if (!cases[i].msg)
			expect_ok(doc);
		else
			expect_err_at(doc, marker, "sas[0].selector.dport",
				      cases[i].msg);
	}
}

Test(cfg_sa, transport)
{
	/* The selector is the endpoints' own traffic. */
	expect_ok(DOC("", "{" OUT_HEAD ", 'mode': 'transport', " GCM ", 'selector':"
		      " {'src': '203.0.113.1/32', 'dst': '203.0.113.2/32'}}"));
	expect_ok(DOC("", "{" IN_HEAD ", 'mode': 'transport', " GCM ", 'selector':"
		      " {'src': '203.0.113.0/24', 'dst': '0.0.0.0/0', 'proto': 'udp'}}"));
	expect_err_at(DOC("", "{" OUT_HEAD ", 'mode': 'transport', " GCM ", 'selector':"
			  " {'src': '2001:db8::/32', 'dst': '2001:db8::/32'}}"),
		      "'2001:db8::/32'", "sas[0].selector.src",
		      "transport mode: the selector is IPv6 but src and dst are IPv4");
	expect_err_at(DOC("", "{" IN_HEAD ", 'mode': 'transport', " GCM ", 'selector':"
			  " {'src': '203.0.113.128/25', 'dst': '203.0.113.0/24'}}"),
		      "'203.0.113.128/25'", "sas[0].selector.src",
		      "transport mode: 203.0.113.128/25 does not contain the SA's src 203.0.113.2");
	/* Bump-in-the-wire: hosts behind the box as the endpoints. */
	expect_ok(DOC("", "{'name': 'b', 'spi': 4096, 'direction': 'out', 'mode': 'transport',"
		      " 'src': '198.18.1.2', 'dst': '203.0.113.9', " GCM ", 'selector':"
		      " {'src': '198.18.1.2/32', 'dst': '203.0.113.9/32'}}"));
	/* Tunnel mode may carry the other family. */
	expect_ok(DOC("", "{" OUT_HEAD ", " GCM ", 'selector':"
		      " {'src': '2001:db8:1::/64', 'dst': '2001:db8:3::/64'}}"));
}

Test(cfg_sa, replay_and_esn)
{
	static const struct {
		const char *win;
		const char *msg;
	} cases[] = {
		{ "0", NULL },     { "64", NULL },
		{ "100", NULL },   { "4096", NULL },
		{ "63", "63 is neither 0 (off) nor in 64..4096" },
		{ "4097", "4097 is neither" },
		{ "-64", "-64 is neither" },
		{ "'64'", "expected an integer, got a string" },
	};

	for (size_t i = 0; i < N(cases); i++) {
		char doc[1024], marker[64];

		snprintf(doc, sizeof(doc), DOC("", SA_IN(", 'replay_window': %s")),
			 cases[i].win);
		snprintf(marker, sizeof(marker), "%s}", cases[i].win);
		if (!cases[i].msg)
			expect_ok(doc);
		else
			expect_err_at(doc, marker, "sas[0].replay_window",
				      cases[i].msg);
	}
	expect_err_at(DOC("", SA_OUT(", 'replay_window': 0")), "0}",
		      "sas[0].replay_window", "applies to inbound SAs only");
	expect_ok(DOC("", SA_OUT(", 'esn': true") ", " SA_IN(", 'esn': false")));
	expect_ok(DOC("", SA_IN(", 'esn': true, 'replay_window': 64")));
	expect_err_at(DOC("", SA_IN(", 'esn': 'yes'")), "'yes'", "sas[0].esn",
		      "expected a boolean, got a string");
}

Test(cfg_sa, udp_encap)
{
	expect_err_at(DOC("", SA_OUT(", 'udp_encap': 4500")), "4500}",
		      "sas[0].udp_encap", "expected a boolean or an object, got an integer");
	expect_err_at(DOC("", SA_OUT(", 'udp_encap': {'port': 1}")), "'port'",
		      "sas[0].udp_encap.port", "unknown key");
	expect_err_at(DOC("", SA_OUT(", 'udp_encap': {'sport': 0}")), "0}",
		      "sas[0].udp_encap.sport", "0 is out of range 1..65535");
	expect_err_at(DOC("", SA_OUT(", 'udp_encap': {'dport': 65536}")), "65536",
		      "sas[0].udp_encap.dport", "65536 is out of range 1..65535");
	/* Outbound: the peer's port, anything. Inbound: where we listen. */
	expect_ok(DOC("", SA_OUT(", 'udp_encap': {'sport': 1, 'dport': 65535}")));
	expect_ok(DOC(", 'ipsec': {'natt_ports': [4501]}",
		      SA_IN(", 'udp_encap': {'dport': 4501}")));
	expect_ok(DOC(", 'ipsec': {'natt_ports': [4501]}", SA_IN(", 'udp_encap': false")));
	expect_err_at(DOC(", 'ipsec': {'natt_ports': [4501]}",
			  SA_IN(", 'udp_encap': true")),
		      "true", "sas[0].udp_encap",
		      "dport 4500 is not one of ipsec.natt_ports (4501)");
	expect_err_at(DOC(", 'ipsec': {'natt_ports': [4501]}",
			  SA_IN(", 'udp_encap': {'sport': 4501}")),
		      "{'sport'", "sas[0].udp_encap",
		      "dport 4500 is not one of ipsec.natt_ports (4501)");
}

Test(cfg_sa, df)
{
	expect_ok(DOC("", SA_OUT(", 'df': 'set'")));
	expect_err_at(DOC("", SA_OUT(", 'df': 'keep'")), "'keep'", "sas[0].df",
		      "\"keep\" is not one of \"copy\", \"set\", \"clear\"");
	expect_err_at(DOC("", "{" OUT_HEAD ", 'mode': 'transport', " GCM ", 'selector':"
			  " {'src': '203.0.113.1/32', 'dst': '203.0.113.2/32'}, 'df': 'copy'}"),
		      "'copy'", "sas[0].df", "df applies to tunnel mode only");
	expect_err_at("{" LCORES ", 'ports': ["
		      "{'name': 'lan', 'device': 'net_tap0', 'role': 'protected'},"
		      "{'name': 'wan', 'device': 'net_tap1', 'role': 'unprotected',"
		      " 'addresses': ['2001:db8::1/64']}], 'sas': [{'name': 'o',"
		      " 'spi': 4096, 'direction': 'out', 'src': '2001:db8::1',"
		      " 'dst': '2001:db8::2', " GCM ", " SEL_OUT ", 'df': 'set'}]}",
		      "'set'", "sas[0].df", "the outer header is IPv6, which has no DF bit");
}

Test(cfg_sa, lifetime_and_worker)
{
	expect_ok(DOC("", SA_OUT(", 'lifetime': {'soft_bytes': 5, 'hard_bytes': 0,"
				 " 'soft_packets': 0, 'hard_packets': 1}")));
	expect_err_at(DOC("", SA_OUT(", 'lifetime': {'soft_packets': 10, 'hard_packets': 9}")),
		      "10, 'hard", "sas[0].lifetime.soft_packets",
		      "10 is not below hard_packets (9)");
	expect_err_at(DOC("", SA_OUT(", 'lifetime': {'hard_bytes': -1}")), "-1",
		      "sas[0].lifetime.hard_bytes", "-1 is negative");
	expect_err_at(DOC("", SA_OUT(", 'lifetime': {'seconds': 60}")), "'seconds'",
		      "sas[0].lifetime.seconds", "unknown key");
	expect_err_at(DOC("", SA_OUT(", 'lifetime': 60")), "60",
		      "sas[0].lifetime", "expected an object, got an integer");
	expect_ok(DOC("", SA_OUT(", 'worker': 0")));
	expect_err_at(DOC("", SA_OUT(", 'worker': 1")), "1}", "sas[0].worker",
		      "1 is out of range 0..0: an index into lcores.workers, which has 1 entry");
	expect_err_at(DOC("", SA_OUT(", 'worker': -1")), "-1", "sas[0].worker",
		      "-1 is out of range 0..0");
}

Test(cfg_sa, ipsec_section)
{
	char err[512] = "";
	struct cfg c;
	char *text = dq("{" LCORES ", " PORTS ", 'ipsec': {'natt_ports': [4500, 10000, 1, 65535],"
			" 'unmatched': 'bypass'}}");

	cr_assert_eq(cfg_load_string(text, NULL, &c, err, sizeof(err)), 0, "%s", err);
	free(text);
	cr_assert_eq(c.n_natt_ports, 4);
	cr_expect(c.natt_ports[1] == 10000 && c.natt_ports[3] == 65535);
	cr_expect_not(c.unmatched_discard);
	cfg_free(&c);
	expect_ok("{" LCORES ", " PORTS ", 'ipsec': {}}");
	expect_err_at("{" LCORES ", " PORTS ", 'ipsec': {'natt_ports': []}}", "[]}",
		      "ipsec.natt_ports", "at least one port");
	expect_err_at("{" LCORES ", " PORTS ", 'ipsec': {'natt_ports': [1, 2, 3, 4, 5]}}",
		      "[1,", "ipsec.natt_ports", "at most 4 ports");
	expect_err_at("{" LCORES ", " PORTS ", 'ipsec': {'natt_ports': [4500, 4500]}}",
		      "4500]", "ipsec.natt_ports[1]",
		      "port 4500 is listed twice (also ipsec.natt_ports[0])");
	expect_err_at("{" LCORES ", " PORTS ", 'ipsec': {'natt_ports': [0]}}", "0]",
		      "ipsec.natt_ports[0]", "0 is out of range 1..65535");
	expect_err_at("{" LCORES ", " PORTS ", 'ipsec': {'natt_ports': ['4500']}}",
		      "'4500'", "ipsec.natt_ports[0]", "expected an integer");
	expect_err_at("{" LCORES ", " PORTS ", 'ipsec': {'unmatched': 'drop'}}",
		      "'drop'", "ipsec.unmatched",
		      "\"drop\" is not one of \"bypass\", \"discard\"");
	expect_err_at("{" LCORES ", " PORTS ", 'ipsec': {'nat_t': true}}", "'nat_t'",
		      "ipsec.nat_t", "unknown key");
	expect_err_at("{" LCORES ", " PORTS ", 'ipsec': []}", "[]}", "ipsec",
		      "expected an object, got an array");
}

Test(cfg_sa, many)
{
	size_t n = 300, cap = n * 256 + 1024, used;
	char *doc = malloc(cap), err[512] = "";
	struct cfg c;
	int rc;

	cr_assert_not_null(doc);
	used = (size_t)snprintf(doc, cap, "{" LCORES ", " PORTS ", 'sas': [");
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(doc + used, cap - used,
					 "%s{'name': 's%zu', 'spi': %zu, 'direction': 'in',"
					 " 'src': '203.0.113.2', 'dst': '203.0.113.1', " GCM
					 ", " SEL_IN "}",
					 i ? "," : "", i, 256 + i);
	snprintf(doc + used, cap - used, "]}");
	rc = load(doc, &c, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_eq(c.n_sas, n);
	cr_expect_str_eq(c.sas[n - 1].name, "s299");
	cr_expect_eq(c.sas[n - 1].spi, 256 + n - 1);
	cfg_free(&c);
	free(doc);
}

/* IKE connections. */

static void expect_id(const struct cfg_id *id, enum cfg_id_type type,
		      const void *data, size_t len)
{
	cr_expect_eq(id->type, type, "id type %d, want %d", id->type, type);
	cr_assert_eq(id->len, len, "id length %u, want %zu", id->len, len);
	cr_expect(memcmp(id->data, data, len) == 0, "id bytes");
}

static void expect_id_str(const struct cfg_id *id, enum cfg_id_type type,
			  const char *s)
{
	expect_id(id, type, s, strlen(s));
}

static void expect_id_addr(const struct cfg_id *id, const char *addr)
{
	struct ip_addr a;

	cr_assert(ip_addr_parse(addr, &a));
	expect_id(id, a.family == AF_INET ? CFG_ID_IPV4_ADDR : CFG_ID_IPV6_ADDR,
		  a.bytes, ip_addr_len(&a));
}

static void expect_child_ts(const struct cfg_child_ts *ts, const char *prefix,
			    unsigned proto, unsigned lo, unsigned hi)
{
	expect_prefix(&ts->prefix, prefix);
	cr_expect_eq(ts->proto, proto, "proto of %s", prefix);
	cr_expect_eq(ts->port_lo, lo, "port_lo of %s", prefix);
	cr_expect_eq(ts->port_hi, hi, "port_hi of %s", prefix);
}

/* One algorithm of each kind (0: none), IANA numbers (RFC 7296 §3.3.2). */
static void expect_prop(const struct cfg_proposal *p, unsigned encr,
			unsigned bits, unsigned integ, unsigned prf,
			unsigned dh)
{
	cr_assert_eq(p->pc_n_encr, 1);
	cr_expect_eq(p->pc_encr[0], encr);
	cr_expect_eq(p->pc_encr_bits[0], bits);
	cr_expect_eq(p->pc_n_integ, integ != 0);
	cr_expect(!integ || p->pc_integ[0] == integ, "integ %u", p->pc_integ[0]);
	cr_expect_eq(p->pc_n_prf, prf != 0);
	cr_expect(!prf || p->pc_prf[0] == prf, "prf %u", p->pc_prf[0]);
	cr_expect_eq(p->pc_n_dh, dh != 0);
	cr_expect(!dh || p->pc_dh[0] == dh, "dh %u", p->pc_dh[0]);
}

static void expect_child(const struct cfg_child *ch, const char *name,
			 unsigned n_local, unsigned n_remote, unsigned n_esp,
			 enum cfg_sa_mode mode, uint32_t rekey, uint32_t life)
{
	cr_expect_str_eq(ch->name, name);
	cr_assert_eq(ch->n_local_ts, n_local, "%s", name);
	cr_assert_eq(ch->n_remote_ts, n_remote, "%s", name);
	cr_assert_eq(ch->n_esp, n_esp, "%s", name);
	cr_expect_eq(ch->mode, mode, "%s", name);
	cr_expect_eq(ch->rekey_s, rekey, "%s: rekey %u", name, ch->rekey_s);
	cr_expect_eq(ch->life_s, life, "%s: life %u", name, ch->life_s);
}

static void expect_conn_head(const struct cfg_conn *k, const char *name,
			     const char *local, const char *remote)
{
	cr_expect_str_eq(k->name, name);
	expect_addr(&k->local, local);
	if (remote)
		expect_addr(&k->remote, remote);
	else
		cr_expect_eq(k->remote.family, 0, "%s: remote any", name);
}

static void expect_conn_times(const struct cfg_conn *k, uint32_t rekey,
			      uint32_t reauth, uint32_t dpd,
			      uint32_t dpd_timeout, enum cfg_start start)
{
	cr_expect_eq(k->rekey_s, rekey, "%s", k->name);
	cr_expect_eq(k->reauth_s, reauth, "%s", k->name);
	cr_expect_eq(k->dpd_s, dpd, "%s", k->name);
	cr_expect_eq(k->dpd_timeout_s, dpd_timeout, "%s", k->name);
	cr_expect_eq(k->start, start, "%s", k->name);
}

static void expect_psk(const struct cfg_conn *k, const char *psk,
		       bool from_secrets)
{
	cr_expect_eq(k->auth, CFG_AUTH_PSK, "%s", k->name);
	cr_assert_eq(k->psk_len, strlen(psk), "%s", k->name);
	cr_expect(memcmp(k->psk, psk, k->psk_len) == 0, "%s", k->name);
	cr_expect_eq(k->psk_from_secrets, from_secrets, "%s", k->name);
	cr_expect_null(k->cert);
	cr_expect_eq(k->n_cacerts, 0);
}

static void expect_branch1(const struct cfg_conn *k)
{
	const struct cfg_child *ch = k->children;

	expect_conn_head(k, "branch1", "203.0.113.1", "198.51.100.7");
	expect_id_str(&k->local_id, CFG_ID_FQDN, "hq.example");
	expect_id_str(&k->remote_id, CFG_ID_FQDN, "branch1.example");
	expect_psk(k, "s3cret-from-the-secrets-file-1", true);
	cr_assert_eq(k->n_ike, 2);
	expect_prop(&k->ike[0], 20, 256, 0, 6, 20);
	expect_prop(&k->ike[1], 12, 128, 12, 5, 14);
	expect_conn_times(k, 14400, 0, 30, 150, CFG_START_NONE);
	cr_assert_eq(k->n_children, 3);

	expect_child(&ch[0], "net", 1, 1, 2, CFG_SA_TUNNEL, 3600, 3960);
	expect_child_ts(&ch[0].local_ts[0], "198.18.1.0/24", 0, 0, 65535);
	expect_child_ts(&ch[0].remote_ts[0], "198.18.3.0/24", 0, 0, 65535);
	expect_prop(&ch[0].esp[0], 20, 256, 0, 0, 0);
	cr_expect(ch[0].esp[0].pc_n_esn == 1 && ch[0].esp[0].pc_esn[0] == 0);
	expect_prop(&ch[0].esp[1], 12, 128, 12, 0, 14);

	expect_child(&ch[1], "voice", 1, 3, 1, CFG_SA_TUNNEL, 7200, 7920);
	expect_child_ts(&ch[1].local_ts[0], "198.18.1.0/24", 17, 1000, 2000);
	expect_child_ts(&ch[1].remote_ts[0], "198.18.3.0/24", 6, 443, 443);
	expect_child_ts(&ch[1].remote_ts[1], "198.18.30.0/24", 0, 0, 65535);
	expect_child_ts(&ch[1].remote_ts[2], "198.18.31.0/24", 0, 0, 65535);
	expect_prop(&ch[1].esp[0], 28, 0, 0, 0, 31);

	expect_child(&ch[2], "gre", 1, 1, 1, CFG_SA_TRANSPORT, 900, 1000);
	expect_child_ts(&ch[2].local_ts[0], "203.0.113.1/32", 47, 0, 65535);
	expect_child_ts(&ch[2].remote_ts[0], "198.51.100.7/32", 47, 0, 65535);
	expect_prop(&ch[2].esp[0], 12, 128, 2, 0, 0);
}

static void expect_v6peer(const struct cfg_conn *k)
{
	static const uint8_t keyid[] = { 0x0a, 0x0b, 0x0c, 0x0d };
	const struct cfg_child *ch = k->children;

	expect_conn_head(k, "v6peer", "2001:db8:ffff::1", "2001:db8:eeee::2");
	expect_id_addr(&k->local_id, "2001:db8:ffff::1");
	expect_id(&k->remote_id, CFG_ID_KEY_ID, keyid, sizeof(keyid));
	expect_psk(k, "p\xc3\xa4ssw\xc3\xb6rt, l\xc3\xa4nger als 16", false);
	cr_assert_eq(k->n_ike, 1);
	expect_prop(&k->ike[0], 12, 256, 14, 7, 21);
	expect_conn_times(k, 0, 86400, 10, 0, CFG_START_TRAP);
	cr_assert_eq(k->n_children, 1);
	expect_child(&ch[0], "v6", 1, 1, 2, CFG_SA_TUNNEL, 0, 0);
	expect_child_ts(&ch[0].local_ts[0], "2001:db8:1::/64", 0, 0, 65535);
	expect_child_ts(&ch[0].remote_ts[0], "2001:db8:3::/48", 58, 0, 65535);
	expect_prop(&ch[0].esp[0], 12, 128, 12, 0, 0);
	expect_prop(&ch[0].esp[1], 12, 256, 14, 0, 21);
	cr_expect(ch[0].esp[1].pc_n_esn == 1 && ch[0].esp[1].pc_esn[0] == 1);
}

static void expect_rw(const struct cfg_conn *k)
{
	expect_conn_head(k, "rw", "203.0.113.5", NULL);
	expect_id_str(&k->local_id, CFG_ID_DER_ASN1_DN, "C=CH, O=Example, CN=hq");
	expect_id(&k->remote_id, CFG_ID_ANY, "", 0);
	cr_expect_eq(k->auth, CFG_AUTH_PUBKEY);
	cr_expect_eq(k->psk_len, 0);
	cr_expect_str_eq(k->cert, CFG_DIR "/good/ike/hq.crt");
	cr_expect_str_eq(k->key, CFG_DIR "/good/ike/hq.key");
	cr_assert_eq(k->n_cacerts, 2);
	cr_expect_str_eq(k->cacerts[0], CFG_DIR "/good/ike/ca.crt");
	cr_expect_str_eq(k->cacerts[1], CFG_DIR "/good/ike/ca2.crt");
	cr_assert_eq(k->n_ike, 1);
	expect_prop(&k->ike[0], 20, 128, 0, 5, 31);
	expect_conn_times(k, 14400, 0, 0, 0, CFG_START_NONE);
	cr_assert_eq(k->n_children, 1);
	expect_child(&k->children[0], "lan", 1, 1, 1, CFG_SA_TUNNEL, 3600, 3960);
}

static void expect_mail_and_defaults(const struct cfg_conn *k)
{
	expect_conn_head(&k[0], "mail", "203.0.113.1", NULL);
	expect_id_str(&k[0].local_id, CFG_ID_RFC822_ADDR, "admin@hq.example");
	expect_id_str(&k[0].remote_id, CFG_ID_FQDN, "branch2");
	expect_psk(&k[0], "another secret, 26 chars..", true);
	expect_conn_times(&k[0], 14400, 0, 0, 20, CFG_START_NONE);
	cr_assert_eq(k[0].n_children, 1);
	expect_child(&k[0].children[0], "smtp", 1, 1, 1, CFG_SA_TUNNEL, 3600, 3960);
	expect_child_ts(&k[0].children[0].local_ts[0], "198.18.1.25/32", 6, 25, 25);
	expect_child_ts(&k[0].children[0].remote_ts[0], "0.0.0.0/0", 0, 0, 65535);
	expect_prop(&k[0].children[0].esp[0], 20, 128, 0, 0, 15);

	/* Only the required keys. */
	expect_conn_head(&k[1], "defaults", "203.0.113.5", "192.0.2.9");
	expect_id_addr(&k[1].local_id, "203.0.113.5");
	expect_id(&k[1].remote_id, CFG_ID_ANY, "", 0);
	expect_psk(&k[1], "0123456789abcdef", false);
	expect_conn_times(&k[1], 14400, 0, 0, 0, CFG_START_NONE);
	cr_assert_eq(k[1].n_children, 1);
	expect_child(&k[1].children[0], "c", 1, 1, 1, CFG_SA_TUNNEL, 3600, 3960);
}

Test(cfg_good, connections)
{
	struct cfg c;

	load_ok("tests/config/good/connections.json", &c);
	cr_expect_eq(c.ike_port, 1500);
	cr_expect_eq(c.ike_natt_port, 4501);
	cr_assert_eq(c.n_natt_ports, 2, "ike.natt_port added to the default");
	cr_expect(c.natt_ports[0] == 4500 && c.natt_ports[1] == 4501);
	cr_expect_str_eq(c.ike_secrets, CFG_DIR "/good/ike/secrets.json");
	cr_assert_eq(c.n_conns, 5);
	expect_branch1(&c.conns[0]);
	expect_v6peer(&c.conns[1]);
	expect_rw(&c.conns[2]);
	expect_mail_and_defaults(&c.conns[3]);
	cfg_free(&c);
	cr_expect(is_zero(&c));
}

Test(cfg_good, example_ike)
{
	struct cfg c;

	load_ok("config/example-ike.json", &c);
	cr_expect(c.ike_port == 500 && c.ike_natt_port == 4500);
	cr_expect(c.n_natt_ports == 1 && c.natt_ports[0] == 4500);
	cr_expect_null(c.ike_secrets);
	cr_assert_eq(c.n_conns, 2);
	expect_conn_head(&c.conns[0], "branch1", "203.0.113.1", "198.51.100.7");
	expect_id_str(&c.conns[0].local_id, CFG_ID_FQDN, "hq.example");
	expect_conn_times(&c.conns[0], 14400, 0, 30, 150, CFG_START_START);
	cr_assert_eq(c.conns[0].n_children, 2);
	expect_child(&c.conns[0].children[1], "dns", 1, 1, 1, CFG_SA_TUNNEL,
		     3600, 3960);
	expect_child_ts(&c.conns[0].children[1].local_ts[0], "198.18.1.0/24",
			17, 53, 53);
	expect_conn_head(&c.conns[1], "roadwarriors", "2001:db8:ffff::1", NULL);
	expect_id_str(&c.conns[1].local_id, CFG_ID_FQDN, "vpn.example");
	cr_expect_eq(c.conns[1].remote_id.type, CFG_ID_ANY);
	cr_expect_eq(c.conns[1].children[0].n_remote_ts, 2);
	cfg_free(&c);
}

Test(cfg_str, auth_and_start_names)
{
	cr_expect_str_eq(cfg_auth_name(CFG_AUTH_PSK), "psk");
	cr_expect_str_eq(cfg_auth_name(CFG_AUTH_PUBKEY), "pubkey");
	cr_expect_str_eq(cfg_start_name(CFG_START_NONE), "none");
	cr_expect_str_eq(cfg_start_name(CFG_START_START), "start");
	cr_expect_str_eq(cfg_start_name(CFG_START_TRAP), "trap");
}

/* The parser moved from lib/ike: the numbers are IANA's. */
/* A proposal written back as the configuration writes it (the keyword
 * of each transform, strongSwan's names), for refusals' log lines. */
Test(cfg_proposal, formatted_as_written)
{
	static const char *const texts[] = {
		"aes256gcm16-prfsha384-ecp384", "aes128-sha256-prfsha256-modp2048",
		"chacha20poly1305-prfsha512-x448", "3des-sha1-prfsha1-modp1024",
		"aes128-aes256-sha256-sha1-prfsha256-modp2048-ecp256",
	};
	char err[128], out[128];
	struct cfg_proposal p;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		cr_assert_eq(cfg_proposal_parse(texts[i], true, &p, err, sizeof(err)), 0, "%s", err);
		cfg_proposal_format(&p, out, sizeof(out));
		cr_expect_str_eq(out, texts[i]);
	}
	cfg_proposal_format(&p, out, 12);
	cr_expect_eq(strlen(out), 11, "cut to the buffer: \"%s\"", out);
	cr_expect_eq(cfg_transform_name(4, 9999, 0, out, sizeof(out)), 6);
	cr_expect_str_eq(out, "4:9999", "a group without a keyword");
}

Test(cfg_proposal, iana_numbers_and_rules)
{
	struct cfg_proposal p;
	char err[128];

	cr_assert_eq(cfg_proposal_parse("aes256gcm16-prfsha384-ecp384", true, &p,
					err, sizeof(err)), 0, "%s", err);
	expect_prop(&p, 20, 256, 0, 6, 20);
	cr_expect_eq(p.pc_n_esn, 0, "IKE: no ESN transform");
	cr_assert_eq(cfg_proposal_parse("aes128-sha256-modp2048", true, &p, err,
					sizeof(err)), 0);
	expect_prop(&p, 12, 128, 12, 5, 14);
	cr_assert_eq(cfg_proposal_parse("chacha20poly1305-prfsha512-x448", true,
					&p, err, sizeof(err)), 0);
	expect_prop(&p, 28, 0, 0, 7, 32);
	cr_assert_eq(cfg_proposal_parse("aes192-sha1-sha384-modp3072-ecp256-ecp521"
					"-curve25519",
					true, &p, err, sizeof(err)), 0);
	cr_expect(p.pc_n_integ == 2 && p.pc_integ[0] == 2 && p.pc_integ[1] == 13);
	cr_expect(p.pc_n_prf == 2 && p.pc_prf[0] == 2 && p.pc_prf[1] == 6);
	cr_expect(p.pc_n_dh == 4 && p.pc_dh[0] == 15 && p.pc_dh[1] == 19 &&
		  p.pc_dh[2] == 21 && p.pc_dh[3] == 31);
	cr_expect_eq(p.pc_encr_bits[0], 192);
	cr_assert_eq(cfg_proposal_parse("null-sha512-noesn-esn", false, &p, err,
					sizeof(err)), 0);
	expect_prop(&p, 11, 0, 14, 0, 0);
	cr_expect(p.pc_n_esn == 2 && p.pc_esn[0] == 0 && p.pc_esn[1] == 1);

	static const struct {
		const char *text;
		bool ike;
		const char *err;
	} bad[] = {
		{ "aes128-sha256-modp768", true, "unknown algorithm \"modp768\"" },
		{ "3des-sha1", false, "3des is for an IKEv1 phase 1 only: the data plane has no 3DES" },
		{ "aes128--sha256", false, "unknown algorithm \"\"" },
		{ "", false, "no encryption algorithm" },
		{ "aes128gcm16-aes128", false, "AEAD and classic ciphers in one proposal" },
		{ "aes128-modp2048", false, "no integrity algorithm for a non-AEAD cipher" },
		{ "aes128gcm16-sha256", false, "integrity algorithm with an AEAD cipher" },
		{ "aes128gcm16-ecp256", true, "an IKE proposal needs a PRF and a DH group" },
		{ "aes128-sha256", true, "an IKE proposal needs a PRF and a DH group" },
	};
	for (size_t i = 0; i < N(bad); i++) {
		cr_expect_eq(cfg_proposal_parse(bad[i].text, bad[i].ike, &p, err,
						sizeof(err)), -EINVAL, "%s", bad[i].text);
		cr_expect_str_eq(err, bad[i].err);
	}
	/* AEAD in IKE: the integrity keyword only names the PRF (RFC 5282 §8). */
	cr_assert_eq(cfg_proposal_parse("aes128gcm16-sha256-ecp256", true, &p, err,
					sizeof(err)), 0);
	expect_prop(&p, 20, 128, 0, 5, 19);
}

/* Inline: one connection, and what varies. */

#define PSK "'psk': 'correct horse battery staple'"
#define PROPS "'proposals': ['aes256gcm16-prfsha384-ecp384']"
#define CHILD "{'name': 'net', 'local_ts': ['198.18.1.0/24'], 'remote_ts': ['198.18.3.0/24'], 'esp_proposals': ['aes256gcm16']}"
#define CONN_HEAD "'name': 'a', 'local': '203.0.113.1', 'remote': '198.51.100.7'"
#define CONN(extra) "{" CONN_HEAD ", " PSK ", " PROPS ", 'children': [" CHILD "]" extra "}"
#define CDOC(top, conns) "{" LCORES ", " PORTS top ", 'connections': [" conns "]}"

/* RFC 7296 §2.6's limits: defaults, both given, 0 (off), the bound. */
Test(cfg_conn, ike_limits)
{
	char err[512] = "";
	struct cfg c;

	cr_assert_eq(load(CDOC("", CONN("")), &c, err, sizeof(err)), 0, "%s", err);
	cr_expect(c.ike_cookie_threshold == 1000 && c.ike_half_open_per_peer == 100,
		  "defaults %u %u", c.ike_cookie_threshold, c.ike_half_open_per_peer);
	cfg_free(&c);
	cr_assert_eq(load(CDOC(", 'ike': {'cookie_threshold': 0, 'half_open_per_peer': 1000000}",
			       CONN("")), &c, err, sizeof(err)), 0, "%s", err);
	cr_expect(c.ike_cookie_threshold == 0 && c.ike_half_open_per_peer == 1000000);
	cfg_free(&c);
	expect_err_at(CDOC(", 'ike': {'cookie_threshold': 1000001}", CONN("")), "1000001",
		      "ike.cookie_threshold", "1000001 is out of range 0..1000000");
	expect_err_at(CDOC(", 'ike': {'half_open_per_peer': -1}", CONN("")), "-1",
		      "ike.half_open_per_peer", "out of range 0..1000000");
	expect_err_at(CDOC(", 'ike': {'half_open_per_peer': '5'}", CONN("")), "'5'",
		      "ike.half_open_per_peer", "expected an integer, got a string");
	/* max_child_sas: 2048 unless given, 1..65536 */
	cr_assert_eq(load(CDOC("", CONN("")), &c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.ike_max_child_sas, 2048);
	cfg_free(&c);
	cr_assert_eq(load(CDOC(", 'ike': {'max_child_sas': 65536}", CONN("")), &c, err, sizeof(err)),
		     0, "%s", err);
	cr_expect_eq(c.ike_max_child_sas, 65536);
	cfg_free(&c);
	expect_err_at(CDOC(", 'ike': {'max_child_sas': 0}", CONN("")), "0}", "ike.max_child_sas",
		      "0 is out of range 1..65536");
	expect_err_at(CDOC(", 'ike': {'max_child_sas': 65537}", CONN("")), "65537",
		      "ike.max_child_sas", "65537 is out of range 1..65536");
}

Test(cfg_system, metrics)
{
	char err[512] = "";
	struct cfg c;

	cr_assert_eq(load("{" LCORES ", " PORTS "}", &c, err, sizeof(err)), 0, "%s", err);
	cr_expect(c.metrics_port == 0 && c.metrics_per_sa, "off by default");
	cfg_free(&c);
	cr_assert_eq(load("{" LCORES ", " PORTS ", 'metrics': {'address': '127.0.0.1', 'port': 9420, 'per_sa': false}}",
			  &c, err, sizeof(err)), 0, "%s", err);
	cr_expect(c.metrics_port == 9420 && !c.metrics_per_sa && c.metrics_addr.family == AF_INET);
	cfg_free(&c);
	expect_err_at("{" LCORES ", " PORTS ", 'metrics': {'port': 9420}}", "{'port'", "metrics.address",
		      "missing required key");
	expect_err_at("{" LCORES ", " PORTS ", 'metrics': {'address': '127.0.0.1', 'port': 0}}", "0}",
		      "metrics.port", "0 is out of range 1..65535");
	expect_err_at("{" LCORES ", " PORTS ", 'metrics': {'address': '127.0.0.1', 'port': 1, 'per_sa': 1}}",
		      "1}}", "metrics.per_sa", "expected a boolean");
	expect_err_at("{" LCORES ", " PORTS ", 'metrics': {'address': 'localhost', 'port': 1}}",
		      "'localhost'", "metrics.address", "");
}

/* Address pools (RFC 7296 §2.19) and a connection's "pools". */
#define POOL4 "{'name': 'rw4', 'prefix': '198.18.3.0/24', 'dns': ['198.18.1.53', '2001:db8::53'], 'split_include': ['198.18.1.0/24'], 'lease': 600}"
#define POOL6 "{'name': 'rw6', 'prefix': '2001:db8:3::/112'}"
#define CHILD6 "{'name': 'net', 'local_ts': ['198.18.1.0/24'], 'remote_ts': ['198.18.3.0/24', '2001:db8:3::/64'], 'esp_proposals': ['aes256gcm16']}"

Test(cfg_conn, pools)
{
	char err[512] = "";
	struct cfg c;

	cr_assert_eq(load(CDOC(", 'pools': [" POOL4 ", " POOL6 "]",
			       "{" CONN_HEAD ", " PSK ", " PROPS ", 'children': [" CHILD6 "], 'pools': ['rw4', 'rw6']}"),
			  &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.n_pools, 2);
	cr_expect_str_eq(c.pools[0].name, "rw4");
	cr_expect(c.pools[0].n_dns == 2 && c.pools[0].n_split == 1 && c.pools[0].lease_s == 600);
	cr_expect_eq(c.pools[1].lease_s, 3600, "the default lease");
	cr_expect(c.conns[0].n_pools == 2 && strcmp(c.conns[0].pools[1], "rw6") == 0);
	cfg_free(&c);
	expect_err_at(CDOC(", 'pools': [" POOL4 "]", CONN(", 'pools': ['rw9']")), "'rw9'",
		      "connections[0].pools[0]", "no pool \"rw9\" in pools");
	expect_err_at(CDOC(", 'pools': [" POOL6 "]", CONN(", 'pools': ['rw6']")), "'rw6']",
		      "connections[0].pools[0]",
		      "no child's remote_ts holds pool \"rw6\" (2001:db8:3::/112)");
	expect_err_at(CDOC(", 'pools': [" POOL4 ", {'name': 'more', 'prefix': '198.18.4.0/24'}]",
			   CONN(", 'pools': ['rw4', 'more']")), "'more']",
		      "connections[0].pools[1]", "\"rw4\" and \"more\" are both IPv4 pools");
	expect_err_at(CDOC(", 'pools': [" POOL4 ", " POOL4 "]", CONN("")), "'rw4', 'prefix': '198.18.3.0/24', 'dns': ['198.18.1.53', '2001:db8::53'], 'split_include': ['198.18.1.0/24'], 'lease': 600}]",
		      "pools[1].name", "duplicate pool name \"rw4\" (also pools[0].name)");
	expect_err_at(CDOC(", 'pools': [{'name': 'rw', 'prefix': '198.18.3.1/24'}]", CONN("")),
		      "'198.18.3.1/24'", "pools[0].prefix", "host bits are set");
	expect_err_at(CDOC(", 'pools': [{'name': 'rw', 'prefix': '198.18.3.0/24', 'dns': [53]}]", CONN("")),
		      "53]", "pools[0].dns[0]", "expected a string, got an integer");
	expect_err_at(CDOC(", 'pools': [{'name': 'rw'}]", CONN("")), "{'name': 'rw'}",
		      "pools[0].prefix", "missing required key");
	expect_err_at(CDOC(", 'pools': [" POOL4 ", {'name': 'in', 'prefix': '198.18.3.128/25'}]", CONN("")),
		      "'198.18.3.128/25'", "pools[1].prefix", "overlaps pool \"rw4\" (pools[0])");
}

Test(cfg_conn, minimal_and_empty)
{
	char err[512] = "";
	struct cfg c;

	cr_assert_eq(load(CDOC("", CONN("")), &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.n_conns, 1);
	cr_expect(c.ike_port == 500 && c.ike_natt_port == 4500);
	cr_expect_null(c.ike_secrets);
	cfg_free(&c);
	cr_assert_eq(load(CDOC("", ""), &c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.n_conns, 0);
	cr_expect_null(c.conns);
	cfg_free(&c);
	expect_err_at("{" LCORES ", " PORTS ", 'connections': {}}", "{}",
		      "connections", "expected an array, got an object");
	expect_err_at(CDOC("", "[]"), "[]]", "connections[0]",
		      "expected an object, got an array");
	expect_err_at(CDOC("", CONN(", 'lifetime': 1")), "'lifetime'",
		      "connections[0].lifetime", "unknown key (expected \"name\", \"local\"");
	expect_err_at(CDOC("", "{'name': 'a b'}"), "'a b'", "connections[0].name",
		      "\"a b\" is not a connection name");
	expect_err_at(CDOC("", "{'name': 'a', 'local': '203.0.113.1'}"), "{'name': 'a'",
		      "connections[0].remote", "missing required key");
	expect_err_at(CDOC("", "{" CONN_HEAD ", " PSK ", 'children': [" CHILD "]}"),
		      "{'name': 'a'", "connections[0].proposals", "missing required key");
	expect_err_at(CDOC("", "{" CONN_HEAD ", " PSK ", " PROPS "}"), "{'name': 'a'",
		      "connections[0].children", "missing required key");
}

Test(cfg_conn, addresses)
{
	expect_err_at(CDOC("", "{'name': 'a', 'local': '198.18.1.1'}"), "'198.18.1.1'",
		      "connections[0].local",
		      "198.18.1.1 is an address of protected port \"lan\" (ports[0].addresses[0]); a connection's local address must be an address of an unprotected port");
	expect_err_at(CDOC("", "{'name': 'a', 'local': 'any'}"), "'any'",
		      "connections[0].local", "\"any\" is not an IPv4 or IPv6 address");
	expect_err_at(CDOC("", "{'name': 'a', 'local': '203.0.113.1', 'remote': '203.0.113.1'}"),
		      "'203.0.113.1'}", "connections[0].remote",
		      "203.0.113.1 is espgate's own address");
	expect_err_at(CDOC("", "{'name': 'a', 'local': '203.0.113.1', 'remote': '198.51.100.0/24'}"),
		      "'198.51.100.0/24'", "connections[0].remote", "is a prefix");
	/* The same peer on another local address, and any twice, are fine. */
	expect_ok("{" LCORES ", 'ports': ["
		  "{'name': 'lan', 'device': 'net_tap0', 'role': 'protected'},"
		  "{'name': 'wan', 'device': 'net_tap1', 'role': 'unprotected',"
		  " 'addresses': ['203.0.113.1/24', '203.0.113.2/24']}],"
		  " 'connections': [" CONN("") ", "
		  "{'name': 'b', 'local': '203.0.113.2', 'remote': '198.51.100.7', " PSK ", "
		  PROPS ", 'children': [" CHILD "]}, "
		  "{'name': 'c', 'local': '203.0.113.1', 'remote': 'any', " PSK ", "
		  PROPS ", 'children': [" CHILD "]}, "
		  "{'name': 'd', 'local': '203.0.113.1', 'remote': '%any', " PSK ", "
		  PROPS ", 'children': [" CHILD "]}]}");
}

static void expect_id_ok(const char *id, enum cfg_id_type type,
			 const void *data, size_t len)
{
	char doc[2048], err[512] = "";
	struct cfg c;

	snprintf(doc, sizeof(doc), CDOC("", CONN(", 'remote_id': '%s'")), id);
	cr_assert_eq(load(doc, &c, err, sizeof(err)), 0, "%s: %s", id, err);
	expect_id(&c.conns[0].remote_id, type, data, len);
	cfg_free(&c);
}

Test(cfg_conn, identities)
{
	static const char *const bad[] = {
		"", "branch 1.example", "@", "@bad name", "user@", "@@x",
		"keyid:", "keyid:abc", "keyid:zz", "a..b", ".a", "a.", "198.51.100.300",
		"host.123", "us er@example.org", "x=y",
	};
	char doc[2048], marker[64];

	expect_id_ok("198.51.100.7", CFG_ID_IPV4_ADDR, "\xc6\x33\x64\x07", 4);
	expect_id_ok("2001:db8::1", CFG_ID_IPV6_ADDR,
		     "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	expect_id_ok("vpn.example.org", CFG_ID_FQDN, "vpn.example.org", 15);
	expect_id_ok("@vpn", CFG_ID_FQDN, "vpn", 3);
	expect_id_ok("gw-1_b", CFG_ID_FQDN, "gw-1_b", 6);
	expect_id_ok("4you.example", CFG_ID_FQDN, "4you.example", 12);
	expect_id_ok("road.warrior@example.org", CFG_ID_RFC822_ADDR,
		     "road.warrior@example.org", 24);
	expect_id_ok("keyid:00ff", CFG_ID_KEY_ID, "\x00\xff", 2);
	expect_id_ok("CN=branch1", CFG_ID_DER_ASN1_DN, "CN=branch1", 10);
	expect_id_ok("o=Example, cn=x", CFG_ID_DER_ASN1_DN, "o=Example, cn=x", 15);
	expect_id_ok("C=CH, O=Example", CFG_ID_DER_ASN1_DN, "C=CH, O=Example", 15);
	expect_id_ok("any", CFG_ID_ANY, "", 0);
	for (size_t i = 0; i < N(bad); i++) {
		snprintf(doc, sizeof(doc), CDOC("", CONN(", 'remote_id': '%s'")), bad[i]);
		snprintf(marker, sizeof(marker), "'%s'}", bad[i]);
		expect_err_at(doc, marker, "connections[0].remote_id",
			      i == 0 ? "must not be empty" :
			      strncmp(bad[i], "keyid:", 6) == 0 ? "is not a key ID" :
								 "is not an identity");
	}
	snprintf(doc, sizeof(doc), CDOC("", CONN(", 'remote_id': 'keyid:%0510d'")), 0);
	expect_ok(doc);
	snprintf(doc, sizeof(doc), CDOC("", CONN(", 'remote_id': 'keyid:%0512d'")), 0);
	expect_err_at(doc, "'keyid:", "connections[0].remote_id", "1 to 255 bytes");
	snprintf(doc, sizeof(doc), CDOC("", CONN(", 'remote_id': 'CN=%0253d'")), 0);
	expect_err_at(doc, "'CN=", "connections[0].remote_id",
		      "too long (256 bytes, at most 255)");
	expect_err_at(CDOC("", CONN(", 'local_id': '%any'")), "'%any'",
		      "connections[0].local_id", "local_id cannot be any");
	expect_err_at(CDOC("", CONN(", 'local_id': 7")), "7}",
		      "connections[0].local_id", "expected a string, got an integer");
}

Test(cfg_conn, psk)
{
	/* 16 characters, not bytes: 15 of them are 16 bytes. */
	expect_ok(CDOC("", "{" CONN_HEAD ", 'psk': '0123456789abcdef', " PROPS
		       ", 'children': [" CHILD "]}"));
	expect_err_at(CDOC("", "{" CONN_HEAD ", 'psk': '0123456789abcd\xc3\xa9', "
			   PROPS ", 'children': [" CHILD "]}"),
		      "'0123", "connections[0].psk", "weak pre-shared key: 15 characters");
	expect_err_at(CDOC("", "{" CONN_HEAD ", 'psk': '', " PROPS
			   ", 'children': [" CHILD "]}"),
		      "''", "connections[0].psk", "weak pre-shared key: 0 characters");
	expect_err_at(CDOC("", "{" CONN_HEAD ", " PROPS ", 'children': [" CHILD "]}"),
		      "{'name': 'a'", "connections[0].psk",
		      "missing required key: auth \"psk\" needs a secret: give psk here or in a secrets file (ike.secrets)");
	expect_err_at(CDOC("", "{" CONN_HEAD ", 'psk': 1234567890123456, " PROPS
			   ", 'children': [" CHILD "]}"),
		      "1234", "connections[0].psk", "expected a string, got an integer");

	char doc[2048], err[512] = "";
	struct cfg c;

	snprintf(doc, sizeof(doc), CDOC("", "{" CONN_HEAD ", 'psk': '%0128d', " PROPS
					", 'children': [" CHILD "]}"), 0);
	cr_assert_eq(load(doc, &c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.conns[0].psk_len, 128);
	cfg_free(&c);
	snprintf(doc, sizeof(doc), CDOC("", "{" CONN_HEAD ", 'psk': '%0129d', " PROPS
					", 'children': [" CHILD "]}"), 0);
	expect_err_at(doc, "'000", "connections[0].psk",
		      "pre-shared key too long: 129 bytes, at most 128");
	/* Never in a message, not even jansson's. */
	cr_assert_eq(load("{'connections': [{'psk': 'hunter2hunter2\n'}]}", &c, err,
			  sizeof(err)), -EINVAL);
	cr_expect_null(strstr(err, "hunter2"), "%s", err);
	cr_expect_str_eq(err, "t.json:1:40: $: unexpected newline in a secret (not shown)");
	cr_assert_eq(load("{'connections': [{'psk' :\n 'hunter2hunter2\\x'}]}", &c, err,
			  sizeof(err)), -EINVAL);
	cr_expect_null(strstr(err, "hunter2"), "%s", err);
	cr_assert_eq(load("{'connections': [{'name': 'hunter2hunter2\n'}]}", &c, err,
			  sizeof(err)), -EINVAL);
	cr_expect_not_null(strstr(err, "near '\"hunter2hunter2'"),
			   "other strings are quoted: %s", err);
}

static char *write_tmp(const char *content)
{
	char *path = strdup("/tmp/espgate-test-secrets-XXXXXX");
	char *text = dq(content);
	int fd;

	cr_assert_not_null(path);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	free(text);
	return path;
}

/* The secrets file's own errors name it and its positions. */
static void expect_secrets_err(const char *secrets, const char *conns,
			       const char *where, const char *msg)
{
	char *path = write_tmp(secrets), doc[4096], err[512] = "", want[512];
	struct cfg c;

	snprintf(doc, sizeof(doc), CDOC(", 'ike': {'secrets': '%s'}", "%s"), path,
		 conns);
	cr_expect_eq(load(doc, &c, err, sizeof(err)), -EINVAL, "%s", doc);
	snprintf(want, sizeof(want), "%s:%s: ", path, where);
	cr_expect(strncmp(err, want, strlen(want)) == 0, "got  %s\nwant %s...", err,
		  want);
	cr_expect_not_null(strstr(err, msg), "\"%s\" lacks \"%s\"", err, msg);
	cr_expect_null(strstr(err, "secret-of-b"), "%s", err);
	cr_expect(is_zero(&c));
	cfg_free(&c);
	unlink(path);
	free(path);
}

#define CONN_B_NOPSK "{'name': 'b', 'local': '203.0.113.1', 'remote': '198.51.100.7', " PROPS ", 'children': [" CHILD "]}"

/* As OpenSSH with a private key: a secrets file that others may read
 * or write is refused, and the message says why and what to do. */
Test(cfg_conn, secrets_file_others_may_read_is_refused)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0620, 0602 };
	char *path = write_tmp("{'psk': {'b': 'secret-of-b-0123456789'}}"), doc[4096];
	char err[512] = "", want[512];
	struct cfg c;

	snprintf(doc, sizeof(doc), CDOC(", 'ike': {'secrets': '%s'}", CONN_B_NOPSK), path);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		cr_assert_eq(chmod(path, modes[i]), 0);
		cr_expect_eq(load(doc, &c, err, sizeof(err)), -EINVAL, "mode %04o", modes[i]);
		snprintf(want, sizeof(want), "other users may read or write it (mode %04o)",
			 modes[i]);
		cr_expect_not_null(strstr(err, want), "%s", err);
		cr_expect_not_null(strstr(err, "chmod 600"), "%s", err);
		cr_expect_null(strstr(err, "secret-of-b"), "%s", err);
	}
	for (mode_t m = 0400; m <= 0600; m += 0200) {
		cr_assert_eq(chmod(path, m), 0);
		cr_expect_eq(load(doc, &c, err, sizeof(err)), 0, "mode %04o: %s", m, err);
		cfg_free(&c);
	}
	unlink(path);
	free(path);
}

Test(cfg_conn, secrets_file)
{
	char *path, doc[4096], err[512] = "";
	struct cfg c;

	path = write_tmp("{'psk': {'b': 'secret-of-b-0123456789'}}");
	snprintf(doc, sizeof(doc), CDOC(", 'ike': {'secrets': '%s'}", CONN_B_NOPSK), path);
	cr_assert_eq(load(doc, &c, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(c.ike_secrets, path, "absolute, or relative to the file");
	cr_expect(c.conns[0].psk_from_secrets);
	cr_expect_eq(c.conns[0].psk_len, 22);
	cfg_free(&c);
	unlink(path);
	free(path);

	expect_secrets_err("{'psk': {'b': 'secret-of-b\n'}}", CONN_B_NOPSK, "1:26",
			   "$: unexpected newline in a secret (not shown)");
	expect_secrets_err("{'psk': {'b': 'secret-of-b-0123456789', 'b': 'x'}}", CONN_B_NOPSK,
			   "1:41", "psk.b: duplicate key");
	expect_secrets_err("{'psk': {'c': 'secret-of-b-0123456789'}}", CONN_B_NOPSK, "1:10",
			   "psk.c: no connection named \"c\" in t.json");
	expect_secrets_err("{'psk': {'b': 'secret-of-b'}}", CONN_B_NOPSK, "1:15",
			   "psk.b: weak pre-shared key: 11 characters");
	expect_secrets_err("{'psk': {'b': 16}}", CONN_B_NOPSK, "1:15",
			   "psk.b: expected a string, got an integer");
	expect_secrets_err("{'psk': ['secret-of-b']}", CONN_B_NOPSK, "1:9",
			   "psk: expected an object, got an array");
	expect_secrets_err("{'keys': {}}", CONN_B_NOPSK, "1:2",
			   "keys: unknown key (expected \"psk\", \"eap\", \"radius\")");
	expect_secrets_err("[]", CONN_B_NOPSK, "1:1", "$: expected an object, got an array");

	/* In both places: ambiguous, in the configuration's terms. */
	path = write_tmp("{'psk': {'a': 'secret-of-b-0123456789'}}");
	snprintf(doc, sizeof(doc), CDOC(", 'ike': {'secrets': '%s'}", CONN("")), path);
	expect_err_at(doc, "'psk'", "connections[0].psk",
		      "the secret of connection \"a\" is also in");
	unlink(path);
	free(path);

	/* A pubkey connection has no secret to look up. */
	path = write_tmp("{'psk': {'a': 'secret-of-b-0123456789'}}");
	snprintf(doc, sizeof(doc),
		 CDOC(", 'ike': {'secrets': '%s'}",
		      "{" CONN_HEAD ", 'auth': 'pubkey', 'cert': '%s', 'key': '%s',"
		      " 'cacerts': ['%s'], " PROPS ", 'children': [" CHILD "]}"),
		 path, path, path, path);
	cr_expect_eq(load(doc, &c, err, sizeof(err)), -EINVAL);
	cr_expect_not_null(strstr(err, ":1:10: psk.a: connection \"a\" (connections[0] in t.json) uses auth \"pubkey\", not \"psk\""),
			   "%s", err);
	unlink(path);
	free(path);

	expect_err_at(CDOC(", 'ike': {'secrets': '/nonexistent/secrets.json'}", CONN_B_NOPSK),
		      "'/nonexistent", "ike.secrets",
		      "cannot read /nonexistent/secrets.json: No such file or directory");
	expect_err_at(CDOC(", 'ike': {'secrets': ''}", CONN_B_NOPSK), "''}", "ike.secrets",
		      "must not be empty");
}

/* A responder with its certificate whose clients use EAP-MSCHAPv2
 * (RFC 7296 §2.16); the passwords are the secrets file's "eap" users. */
#define CONN_EAP(extra) "{" CONN_HEAD ", 'auth': 'pubkey', 'remote_auth': 'eap-mschapv2'," \
	" 'cert': '" CFG_DIR "/good/ike/hq.crt', 'key': '" CFG_DIR "/good/ike/hq.key'," \
	" 'cacerts': ['" CFG_DIR "/good/ike/ca.crt'], " PROPS ", 'children': [" CHILD "]" extra "}"

Test(cfg_conn, eap_mschapv2)
{
	char *path, doc[4096], err[512] = "", longpw[300];
	struct cfg c;

	path = write_tmp("{'eap': {'alice': 'p\u00e4ssword', 'CORP\\\\bob': 'x'}}");
	snprintf(doc, sizeof(doc), CDOC(", 'ike': {'secrets': '%s'}", CONN_EAP("")), path);
	cr_assert_eq(load(doc, &c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.conns[0].remote_auth, CFG_REMOTE_AUTH_EAP_MSCHAPV2);
	cr_expect_str_eq(cfg_remote_auth_name(c.conns[0].remote_auth), "eap-mschapv2");
	cr_assert_eq(c.n_eap_users, 2);
	cr_expect_str_eq(c.eap_users[0].name, "alice");
	cr_expect_eq(c.eap_users[0].password_len, 9, "UTF-8 bytes");
	cr_expect(memcmp(c.eap_users[0].password, "p\xc3\xa4ssword", 9) == 0);
	cr_expect_str_eq(c.eap_users[1].name, "CORP\\bob");
	cfg_free(&c);
	unlink(path);
	free(path);

	memset(longpw, 'x', sizeof(longpw));
	snprintf(doc, sizeof(doc), "{'eap': {'alice': '%.256s'}}", longpw);
	path = write_tmp(doc);
	snprintf(doc, sizeof(doc), CDOC(", 'ike': {'secrets': '%s'}", CONN_EAP("")), path);
	cr_expect_eq(load(doc, &c, err, sizeof(err)), 0, "256 characters: %s", err);
	cfg_free(&c);
	unlink(path);
	free(path);
	snprintf(doc, sizeof(doc), "{'eap': {'alice': '%.257s'}}", longpw);
	expect_secrets_err(doc, CONN_EAP(""), "1:19",
			   "eap.alice: an EAP-MSCHAPv2 password has 1 to 256 characters (RFC 2759 §4), this one 257");
	expect_secrets_err("{'eap': {'alice': ''}}", CONN_EAP(""), "1:19",
			   "this one 0");
	expect_secrets_err("{'eap': {'alice': 7}}", CONN_EAP(""), "1:19",
			   "eap.alice: expected a string, got an integer");
	expect_secrets_err("{'eap': {'a0123456789012345678901234567890123456789012345678901234567890123': 'pw'}}",
			   CONN_EAP(""), "1:10", "an EAP user name has 1 to 64 bytes");
	expect_secrets_err("{'eap': ['alice']}", CONN_EAP(""), "1:9",
			   "eap: expected an object, got an array");

	/* No users to check the clients against. */
	expect_err_at(CDOC("", CONN_EAP("")), "'eap-mschapv2'", "connections[0].remote_auth",
		      "connection \"a\" checks its clients' EAP-MSCHAPv2 passwords, but there are none");
	path = write_tmp("{'psk': {}}");
	snprintf(doc, sizeof(doc), CDOC(", 'ike': {'secrets': '%s'}", CONN_EAP("")), path);
	expect_err_at(doc, "'eap-mschapv2'", "connections[0].remote_auth", "but there are none");
	unlink(path);
	free(path);

	/* espgate proves itself with a certificate; IKEv2 only; one method. */
	expect_err_at(CDOC("", CONN(", 'remote_auth': 'eap-mschapv2'")), "'eap-mschapv2'",
		      "connections[0].remote_auth",
		      "remote_auth \"eap-mschapv2\" needs auth \"pubkey\"");
	expect_err_at(CDOC("", CONN_EAP(", 'version': 'any'")), "'eap-mschapv2'",
		      "connections[0].remote_auth", "remote_auth \"eap-mschapv2\" is IKEv2's");
	expect_err_at(CDOC("", "{" CONN_HEAD ", " PSK ", 'remote_auth': 'eap-md5', " PROPS
			   ", 'children': [" CHILD "]}"),
		      "'eap-md5'", "connections[0].remote_auth",
		      "\"eap-md5\" is not one of \"eap-mschapv2\", \"eap-tls\", \"xauth\"");
	expect_err_at(CDOC("", CONN(", 'remote_auth': 1")), "1}", "connections[0].remote_auth",
		      "expected a string, got an integer");
}

/* EAP-TLS (RFC 5216): the client's certificate by the connection's
 * cacerts, no secrets file; EAP-Identity and TLS 1.3 as options. */
#define CONN_TLS(extra) "{" CONN_HEAD ", 'auth': 'pubkey', 'remote_auth': 'eap-tls'," \
	" 'cert': '" CFG_DIR "/good/ike/hq.crt', 'key': '" CFG_DIR "/good/ike/hq.key'," \
	" 'cacerts': ['" CFG_DIR "/good/ike/ca.crt'], " PROPS ", 'children': [" CHILD "]" extra "}"

Test(cfg_conn, eap_tls_and_eap_identity)
{
	char err[512] = "";
	struct cfg c;

	cr_assert_eq(load(CDOC("", CONN_TLS("")), &c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.conns[0].remote_auth, CFG_REMOTE_AUTH_EAP_TLS);
	cr_expect_str_eq(cfg_remote_auth_name(c.conns[0].remote_auth), "eap-tls");
	cr_expect(!c.conns[0].eap_identity);
	cr_expect(!c.conns[0].eap_tls13, "TLS 1.2 only unless asked");
	cfg_free(&c);
	cr_assert_eq(load(CDOC("", CONN_TLS(", 'eap_identity': true, 'eap_tls_max_version': '1.3'")),
			      &c, err, sizeof(err)), 0, "%s", err);
	cr_expect(c.conns[0].eap_identity);
	cr_expect(c.conns[0].eap_tls13);
	cfg_free(&c);
	expect_err_at(CDOC("", CONN_TLS(", 'eap_tls_max_version': '1.1'")), "'1.1'",
		      "connections[0].eap_tls_max_version", "\"1.1\" is not one of \"1.2\", \"1.3\"");
	expect_err_at(CDOC("", CONN_TLS(", 'eap_identity': 'yes'")), "'yes'",
		      "connections[0].eap_identity", "expected a boolean, got a string");
	expect_err_at(CDOC("", CONN(", 'eap_identity': true")), "'eap_identity'",
		      "connections[0].eap_identity", "eap_identity is for a connection with remote_auth");
	expect_err_at(CDOC("", CONN_EAP(", 'eap_tls_max_version': '1.3'")), "'eap_tls_max_version'",
		      "connections[0].eap_tls_max_version",
		      "eap_tls_max_version is for a connection with remote_auth \"eap-tls\"");
	expect_err_at(CDOC("", CONN(", 'remote_auth': 'eap-tls'")), "'eap-tls'",
		      "connections[0].remote_auth", "remote_auth \"eap-tls\" needs auth \"pubkey\"");
}

/* RFC 5998 EAP-only: a policy of EAP-TLS connections alone */
Test(cfg_conn, eap_only_for_eap_tls)
{
	char err[512] = "";
	struct cfg c;

	cr_assert_eq(load(CDOC("", CONN_TLS("")), &c, err, sizeof(err)), 0, "%s", err);
	cr_expect(!c.conns[0].eap_only, "off unless asked");
	cfg_free(&c);
	cr_assert_eq(load(CDOC("", CONN_TLS(", 'eap_only': true")), &c, err, sizeof(err)), 0,
		     "%s", err);
	cr_expect(c.conns[0].eap_only);
	cfg_free(&c);
	expect_err_at(CDOC("", CONN_TLS(", 'eap_only': 'no'")), "'no'", "connections[0].eap_only",
		      "expected a boolean, got a string");
	expect_err_at(CDOC("", CONN_EAP(", 'eap_only': true")), "'eap_only'",
		      "connections[0].eap_only",
		      "eap_only is for a connection with remote_auth \"eap-tls\" (RFC 5998 §4: a mutual method)");
}

/* IKEv1 remote access: pools through Mode Config (pull by default,
 * "modecfg": "push"), "remote_auth": "xauth" against the "eap" users. */
#define CONN_V1RA(extra)                                                         \
	"{" CONN_HEAD ", " PSK ", 'version': 1, 'proposals': ['aes256-sha256-modp2048'], " \
	"'children': [" CHILD "], 'pools': ['rw4']" extra "}"

Test(cfg_conn, ikev1_modecfg_xauth)
{
	char *path, doc[4096], err[512] = "";
	struct cfg c;

	cr_assert_eq(load(CDOC(", 'pools': [" POOL4 "]", CONN_V1RA("")), &c, err, sizeof(err)), 0,
		     "%s", err);
	cr_expect_eq(c.conns[0].n_pools, 1);
	cr_expect_not(c.conns[0].modecfg_push, "pull by default");
	cr_expect_eq(c.conns[0].remote_auth, CFG_REMOTE_AUTH_SAME);
	cfg_free(&c);
	cr_assert_eq(load(CDOC(", 'pools': [" POOL4 "]", CONN(", 'version': 'any', 'pools': ['rw4']")),
			  &c, err, sizeof(err)), 0, "%s", err);
	cfg_free(&c);

	path = write_tmp("{'eap': {'alice': 'secret'}}");
	snprintf(doc, sizeof(doc), CDOC(", 'ike': {'secrets': '%s'}, 'pools': [" POOL4 "]",
					CONN_V1RA(", 'remote_auth': 'xauth', 'modecfg': 'push'")), path);
	cr_assert_eq(load(doc, &c, err, sizeof(err)), 0, "%s", err);
	cr_expect(c.conns[0].modecfg_push);
	cr_expect_eq(c.conns[0].remote_auth, CFG_REMOTE_AUTH_XAUTH);
	cr_expect_str_eq(cfg_remote_auth_name(c.conns[0].remote_auth), "xauth");
	cfg_free(&c);
	unlink(path);
	free(path);

	expect_err_at(CDOC(", 'pools': [" POOL4 "]", CONN_V1RA(", 'remote_auth': 'xauth'")),
		      "'xauth'", "connections[0].remote_auth",
		      "connection \"a\" checks its clients' XAUTH passwords, but there are none");
	expect_err_at(CDOC("", CONN(", 'remote_auth': 'xauth'")), "'xauth'",
		      "connections[0].remote_auth", "remote_auth \"xauth\" is IKEv1's");
	expect_err_at(CDOC(", 'pools': [" POOL4 "]", CONN(", 'pools': ['rw4'], 'modecfg': 'pull'")),
		      "'pull'", "connections[0].modecfg", "modecfg is IKEv1's Mode Config");
	expect_err_at(CDOC("", "{" CONN_HEAD ", " PSK ", 'version': 1, 'proposals': ['aes256-sha256-modp2048'], 'children': [" CHILD "], 'modecfg': 'push'}"), "'push'",
		      "connections[0].modecfg", "modecfg gives addresses from the connection's pools");
	expect_err_at(CDOC(", 'pools': [" POOL4 "]", CONN_V1RA(", 'modecfg': 'both'")), "'both'",
		      "connections[0].modecfg", "\"both\" is not one of");
}

Test(cfg_conn, pubkey)
{
	char doc[4096];

	snprintf(doc, sizeof(doc),
		 CDOC("", "{" CONN_HEAD ", 'auth': 'pubkey', 'cert': '%s', 'key': '%s',"
		      " 'cacerts': ['%s'], " PROPS ", 'children': [" CHILD "]}"),
		 CFG_DIR "/good/ike/hq.crt", CFG_DIR "/good/ike/hq.key",
		 CFG_DIR "/good/ike/ca.crt");
	expect_ok(doc);
	snprintf(doc, sizeof(doc),
		 CDOC("", "{" CONN_HEAD ", 'auth': 'pubkey', 'cert': '%s', 'key': '%s',"
		      " 'cacerts': ['%s'], " PROPS ", 'children': [" CHILD "]}"),
		 CFG_DIR "/good/ike/hq.crt", CFG_DIR "/good/ike/hq.key", CFG_DIR "/good");
	expect_err_at(doc, "'" CFG_DIR "/good'", "connections[0].cacerts[0]",
		      "/good is not a regular file");
	expect_err_at(CDOC("", "{" CONN_HEAD ", 'auth': 'pubkey', " PROPS
			   ", 'children': [" CHILD "]}"),
		      "{'name': 'a'", "connections[0].cert",
		      "missing required key: auth \"pubkey\" needs cert, key and cacerts");
	snprintf(doc, sizeof(doc),
		 CDOC("", "{" CONN_HEAD ", 'auth': 'pubkey', 'cert': '%s', 'key': '%s',"
		      " " PROPS ", 'children': [" CHILD "]}"),
		 CFG_DIR "/good/ike/hq.crt", CFG_DIR "/good/ike/hq.key");
	expect_err_at(doc, "{'name': 'a'", "connections[0].cacerts", "missing required key");
	snprintf(doc, sizeof(doc),
		 CDOC("", "{" CONN_HEAD ", 'auth': 'pubkey', 'cert': '%s', 'key': '%s',"
		      " 'cacerts': [], " PROPS ", 'children': [" CHILD "]}"),
		 CFG_DIR "/good/ike/hq.crt", CFG_DIR "/good/ike/hq.key");
	expect_err_at(doc, "[],", "connections[0].cacerts",
		      "at least one CA certificate needed");
	expect_err_at(CDOC("", "{" CONN_HEAD ", 'auth': 'pubkey', " PSK ", " PROPS
			   ", 'children': [" CHILD "]}"),
		      "'psk'", "connections[0].psk", "auth \"pubkey\" takes no psk");
	expect_err_at(CDOC("", CONN(", 'cert': 'x.crt'")), "'cert'",
		      "connections[0].cert",
		      "cert is for auth \"pubkey\"; this connection's auth is \"psk\"");
	expect_err_at(CDOC("", CONN(", 'auth': 'eap'")), "'eap'", "connections[0].auth",
		      "\"eap\" is not one of \"psk\", \"pubkey\"");
}

Test(cfg_conn, proposals)
{
	expect_err_at(CDOC("", "{" CONN_HEAD ", " PSK ", 'proposals': [], 'children': [" CHILD "]}"),
		      "[], 'ch", "connections[0].proposals", "at least one proposal needed");
	expect_err_at(CDOC("", "{" CONN_HEAD ", " PSK ", 'proposals': 'aes128-sha256-modp2048',"
			   " 'children': [" CHILD "]}"),
		      "'aes128-sha256-modp2048'", "connections[0].proposals",
		      "expected an array, got a string");
	expect_err_at(CDOC("", "{" CONN_HEAD ", " PSK ", 'proposals': ['x25519', 'a', 'a', 'a',"
			   " 'a', 'a', 'a', 'a', 'a'], 'children': [" CHILD "]}"),
		      "['x25519'", "connections[0].proposals",
		      "at most 8 proposals (the IKE engine's limit)");
	expect_err_at(CDOC("", "{" CONN_HEAD ", " PSK ", 'proposals': [14], 'children': [" CHILD "]}"),
		      "14]", "connections[0].proposals[0]", "expected a string, got an integer");
	expect_err_at(CDOC("", "{" CONN_HEAD ", " PSK ", " PROPS ", 'children': [{'name': 'n',"
			   " 'local_ts': ['198.18.1.0/24'], 'remote_ts': ['198.18.3.0/24'],"
			   " 'esp_proposals': ['aes128gcm16-sha256']}]}"),
		      "'aes128gcm16-sha256'", "connections[0].children[0].esp_proposals[0]",
		      "\"aes128gcm16-sha256\": integrity algorithm with an AEAD cipher");
	expect_err_at(CDOC("", "{" CONN_HEAD ", " PSK ", " PROPS ", 'children': [{'name': 'n',"
			   " 'local_ts': ['198.18.1.0/24'], 'remote_ts': ['198.18.3.0/24']}]}"),
		      "{'name': 'n'", "connections[0].children[0].esp_proposals",
		      "missing required key");
	/* PFS is optional for ESP. */
	expect_ok(CDOC("", "{" CONN_HEAD ", " PSK ", " PROPS ", 'children': [{'name': 'n',"
		       " 'local_ts': ['198.18.1.0/24'], 'remote_ts': ['198.18.3.0/24'],"
		       " 'esp_proposals': ['aes128-sha256', 'aes128-sha256-x25519']}]}"));
}

/* Issue 15: RFC 3526's groups 16-18, for IKE and for PFS. */
Test(cfg_conn, modp4096_modp6144_modp8192)
{
	char err[512] = "";
	struct cfg c;

	cr_assert_eq(load(CDOC("", "{" CONN_HEAD ", " PSK ", 'proposals': ['aes256-sha256-modp4096',"
			       " 'aes256gcm16-prfsha512-modp6144-modp8192'], 'children': [{'name': 'n',"
			       " 'local_ts': ['198.18.1.0/24'], 'remote_ts': ['198.18.3.0/24'],"
			       " 'esp_proposals': ['aes256gcm16-modp8192']}]}"),
			  &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.n_conns, 1);
	cr_assert_eq(c.conns[0].n_ike, 2);
	expect_prop(&c.conns[0].ike[0], 12, 256, 12, 5, 16);
	cr_expect(c.conns[0].ike[1].pc_n_dh == 2 && c.conns[0].ike[1].pc_dh[0] == 17 &&
		  c.conns[0].ike[1].pc_dh[1] == 18);
	cr_assert_eq(c.conns[0].children[0].n_esp, 1);
	expect_prop(&c.conns[0].children[0].esp[0], 20, 256, 0, 0, 18);
	cfg_free(&c);
}

#define TS_CHILD(lts) "{'name': 'n', 'local_ts': " lts ", 'remote_ts': ['198.18.3.0/24'], 'esp_proposals': ['aes256gcm16']}"
#define TS_DOC(lts) CDOC("", "{" CONN_HEAD ", " PSK ", " PROPS ", 'children': [" TS_CHILD(lts) "]}")

Test(cfg_conn, traffic_selectors)
{
	expect_ok(TS_DOC("['198.18.1.0/24', '2001:db8:1::/64', {'prefix': '0.0.0.0/0',"
			 " 'proto': 'sctp', 'ports': '0-0'}, {'prefix': '::/0', 'proto': 'icmpv6'}]"));
	expect_err_at(TS_DOC("[]"), "[],", "connections[0].children[0].local_ts",
		      "at least one traffic selector needed");
	expect_err_at(TS_DOC("'198.18.1.0/24'"), "'198.18.1.0/24', 'rem",
		      "connections[0].children[0].local_ts", "expected an array, got a string");
	expect_err_at(TS_DOC("[24]"), "24]", "connections[0].children[0].local_ts[0]",
		      "expected a prefix (a string) or an object, got an integer");
	expect_err_at(TS_DOC("[{'proto': 'udp'}]"), "{'proto'",
		      "connections[0].children[0].local_ts[0].prefix", "missing required key");
	expect_err_at(TS_DOC("[{'prefix': '198.18.1.0/24', 'port': 53}]"), "'port'",
		      "connections[0].children[0].local_ts[0].port", "unknown key");
	expect_err_at(TS_DOC("[{'prefix': '2001:db8::/32', 'proto': 'icmp'}]"), "'icmp'",
		      "connections[0].children[0].local_ts[0].proto",
		      "did you mean \"icmpv6\" (58)?");
	expect_err_at(TS_DOC("[{'prefix': '198.18.1.0/24', 'proto': 'tcp', 'ports': '9-8'}]"),
		      "'9-8'", "connections[0].children[0].local_ts[0].ports",
		      "range 9-8 is empty");
	expect_err_at(TS_DOC("['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']"), "['a'",
		      "connections[0].children[0].local_ts", "at most 8 traffic selectors");
	expect_err_at(TS_DOC("['198.18.1.0']"), "'198.18.1.0'",
		      "connections[0].children[0].local_ts[0]", "is not a prefix");
}

#define CH_DOC(extra) CDOC("", "{" CONN_HEAD ", " PSK ", " PROPS ", 'children': [{'name': 'n'," \
	" 'local_ts': ['198.18.1.0/24'], 'remote_ts': ['198.18.3.0/24']," \
	" 'esp_proposals': ['aes256gcm16']" extra "}]}")

static void expect_child_times(const char *extra, uint32_t rekey, uint32_t life)
{
	char doc[2048], err[512] = "";
	struct cfg c;

	snprintf(doc, sizeof(doc), CH_DOC("%s"), extra);
	cr_assert_eq(load(doc, &c, err, sizeof(err)), 0, "%s: %s", extra, err);
	cr_expect_eq(c.conns[0].children[0].rekey_s, rekey, "%s: rekey %u", extra,
		     c.conns[0].children[0].rekey_s);
	cr_expect_eq(c.conns[0].children[0].life_s, life, "%s: life %u", extra,
		     c.conns[0].children[0].life_s);
	cfg_free(&c);
}

Test(cfg_conn, child_volume_lifetimes)
{
	char doc[2048], err[512] = "";
	const struct cfg_child *ch;
	struct cfg c;

	snprintf(doc, sizeof(doc), CH_DOC("%s"),
		 ", 'rekey_bytes': 1000000, 'life_bytes': 1200000, 'rekey_packets': 900,"
		 " 'life_packets': 9223372036854775807");
	cr_assert_eq(load(doc, &c, err, sizeof(err)), 0, "%s", err);
	ch = &c.conns[0].children[0];
	cr_expect_eq(ch->rekey_bytes, 1000000);
	cr_expect_eq(ch->life_bytes, 1200000);
	cr_expect_eq(ch->rekey_packets, 900);
	cr_expect_eq(ch->life_packets, (uint64_t)INT64_MAX);
	cfg_free(&c);
	snprintf(doc, sizeof(doc), CH_DOC("%s"), "");
	cr_assert_eq(load(doc, &c, err, sizeof(err)), 0, "%s", err);
	ch = &c.conns[0].children[0];
	cr_expect_eq(ch->rekey_bytes + ch->life_bytes + ch->rekey_packets + ch->life_packets, 0,
		     "no volume limits unless given");
	cfg_free(&c);
	expect_err_at(CH_DOC(", 'rekey_packets': 7001, 'life_packets': 7000"), "7001",
		      "connections[0].children[0].rekey_packets",
		      "7001 is not below life_packets (7000)");
	expect_err_at(CH_DOC(", 'life_bytes': 'lots'"), "'lots'",
		      "connections[0].children[0].life_bytes", "");
}

Test(cfg_conn, children)
{
	expect_child_times("", 3600, 3960);
	expect_child_times(", 'rekey': 1000", 1000, 1100);
	expect_child_times(", 'rekey': 0", 0, 0);
	expect_child_times(", 'life': 1000", 900, 1000);
	expect_child_times(", 'life': 1", 0, 1);
	expect_child_times(", 'life': 0", 3600, 0);
	expect_child_times(", 'rekey': 0, 'life': 60", 0, 60);
	expect_child_times(", 'rekey': 2147483647", 2147483647u, 2362232011u);
	expect_err_at(CH_DOC(", 'rekey': 61, 'life': 60"), "61", "connections[0].children[0].rekey",
		      "61 is not below life (60)");
	expect_err_at(CH_DOC(", 'rekey': -1"), "-1", "connections[0].children[0].rekey",
		      "-1 is out of range 0..2147483647");
	expect_err_at(CH_DOC(", 'mode': 'beet'"), "'beet'", "connections[0].children[0].mode",
		      "\"beet\" is not one of \"tunnel\", \"transport\"");
	expect_err_at(CH_DOC(", 'start': 'none'"), "'start'",
		      "connections[0].children[0].start", "unknown key");
	expect_err_at(CDOC("", "{" CONN_HEAD ", " PSK ", " PROPS ", 'children': []}"), "[]}",
		      "connections[0].children", "at least one child needed");
	expect_err_at(CDOC("", "{" CONN_HEAD ", " PSK ", " PROPS ", 'children': [" CHILD ","
			   " {'name': 'x y'}]}"),
		      "'x y'", "connections[0].children[1].name", "\"x y\" is not a child name");
	expect_err_at(CDOC("", "{" CONN_HEAD ", " PSK ", " PROPS ", 'children': [{}]}"),
		      "{}", "connections[0].children[0].name", "missing required key");
}

Test(cfg_conn, times_and_start)
{
	expect_ok(CDOC("", CONN(", 'dpd': 30, 'dpd_timeout': 31, 'rekey': 0, 'reauth': 3600,"
				" 'start': 'start'")));
	expect_ok(CDOC("", CONN(", 'dpd': 0, 'dpd_timeout': 5")));
	expect_ok(CDOC("", CONN(", 'dpd': 30, 'dpd_timeout': 0")));
	expect_err_at(CDOC("", CONN(", 'dpd': 30, 'dpd_timeout': 29")), "29",
		      "connections[0].dpd_timeout", "29 is not above dpd (30)");
	expect_err_at(CDOC("", CONN(", 'reauth': 2147483648")), "2147483648",
		      "connections[0].reauth", "2147483648 is out of range 0..2147483647");
	expect_err_at(CDOC("", CONN(", 'dpd': '30s'")), "'30s'", "connections[0].dpd",
		      "expected an integer, got a string");
	expect_err_at(CDOC("", "{'name': 'a', 'local': '203.0.113.1', 'remote': '%any', " PSK
			   ", " PROPS ", 'children': [" CHILD "], 'start': 'start'}"),
		      "'start'}", "connections[0].start",
		      "start \"start\" initiates, which needs a remote address");
	expect_ok(CDOC("", "{'name': 'a', 'local': '203.0.113.1', 'remote': '%any', " PSK
		       ", " PROPS ", 'children': [" CHILD "], 'start': 'none'}"));
}

Test(cfg_conn, ike_section)
{
	char err[512] = "";
	struct cfg c;

	/* natt_port joins the default natt_ports; given ones must hold it. */
	cr_assert_eq(load(CDOC(", 'ike': {'natt_port': 4600}", CONN("")), &c, err,
			  sizeof(err)), 0, "%s", err);
	cr_expect(c.n_natt_ports == 2 && c.natt_ports[1] == 4600);
	cfg_free(&c);
	cr_assert_eq(load(CDOC(", 'ipsec': {'natt_ports': [4600, 4500]}, 'ike': {'natt_port': 4600}",
			       CONN("")),
			  &c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.n_natt_ports, 2);
	cfg_free(&c);
	/* Without IKE, natt_ports need not hold 4500. */
	expect_ok(DOC(", 'ipsec': {'natt_ports': [4501]}", ""));
	expect_ok(CDOC(", 'ipsec': {'natt_ports': [4501]}", ""));
	expect_err_at(CDOC(", 'ipsec': {'natt_ports': [4501]}", CONN("")), "[4501]",
		      "ipsec.natt_ports",
		      "4500, IKE's NAT-T port (ike.natt_port, default 4500), is not among them");
	expect_err_at("{" LCORES ", " PORTS ", 'ipsec': {'natt_ports': [4501]}, 'ike': {}}",
		      "[4501]", "ipsec.natt_ports", "is not among them");
	expect_err_at(CDOC(", 'ike': {'port': 4500}", CONN("")), "4500}", "ike.port",
		      "ike.port and ike.natt_port are both 4500; they must differ");
	expect_err_at(CDOC(", 'ike': {'port': 600, 'natt_port': 600}", CONN("")), "600}",
		      "ike.natt_port", "both 600");
	expect_err_at(CDOC(", 'ike': {'port': 4000, 'natt_port': 500}", CONN("")), "500}",
		      "ike.natt_port", "500 is IKE's port");
	expect_err_at(CDOC(", 'ipsec': {'natt_ports': [4500, 4501]}, 'ike': {'port': 4501}",
			   CONN("")),
		      "4501}", "ike.port",
		      "4501 is one of ipsec.natt_ports (4500, 4501), where ESP-in-UDP arrives");
	expect_err_at(CDOC(", 'ike': {'port': 0}", CONN("")), "0}", "ike.port",
		      "0 is out of range 1..65535");
	expect_err_at(CDOC(", 'ike': {'natt_port': 65536}", CONN("")), "65536", "ike.natt_port",
		      "65536 is out of range 1..65535");
	expect_err_at(CDOC(", 'ike': {'listen': '0.0.0.0'}", CONN("")), "'listen'",
		      "ike.listen", "unknown key (expected \"port\", \"natt_port\", \"secrets\", \"cookie_threshold\", \"half_open_per_peer\", \"max_child_sas\")");
	expect_err_at(CDOC(", 'ike': []", CONN("")), "[]", "ike",
		      "expected an object, got an array");
}

Test(cfg_conn, many)
{
	size_t n = 200, cap = n * 400 + 1024, used;
	char *doc = malloc(cap), err[512] = "";
	struct cfg c;
	int rc;

	cr_assert_not_null(doc);
	used = (size_t)snprintf(doc, cap, "{" LCORES ", " PORTS ", 'connections': [");
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(doc + used, cap - used,
					 "%s{'name': 'c%zu', 'local': '203.0.113.1',"
					 " 'remote': '10.0.%zu.%zu', " PSK ", " PROPS
					 ", 'children': [" CHILD "]}",
					 i ? "," : "", i, i / 256, i % 256);
	snprintf(doc + used, cap - used, "]}");
	rc = load(doc, &c, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_eq(c.n_conns, n);
	cr_expect_str_eq(c.conns[n - 1].name, "c199");
	expect_addr(&c.conns[n - 1].remote, "10.0.0.199");
	cfg_free(&c);
	free(doc);
}

/* "version", and what IKEv1 cannot do. */
#define CONN_V1(extra)                                                       \
	"{" CONN_HEAD ", " PSK ", 'proposals': ['aes256-sha256-modp2048'], 'children': [" CHILD \
	"]" extra "}"

Test(cfg_conn, ike_version)
{
	char err[512] = "";
	struct cfg c;

	cr_assert_eq(load(CDOC("", CONN_V1(", 'version': 1, 'aggressive': true")), &c, err,
			  sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.conns[0].version, CFG_IKE_V1);
	cr_expect(c.conns[0].aggressive);
	cfg_free(&c);
	cr_assert_eq(load(CDOC("", CONN(", 'version': 'any'")), &c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.conns[0].version, CFG_IKE_ANY);
	cfg_free(&c);
	expect_err_at(CDOC("", CONN(", 'version': 3")), "3}", "connections[0].version",
		      "the IKE version is 1, 2 or \"any\"");
	expect_err_at(CDOC("", CONN_V1(", 'aggressive': true")), "true", "connections[0].aggressive",
		      "aggressive mode is IKEv1's");
	expect_err_at(CDOC("", "{" CONN_HEAD ", " PSK ", 'proposals': ['aes256gcm16-prfsha384-ecp384'],"
			       " 'children': [" CHILD "], 'version': 1}"),
		      "['aes256gcm16", "connections[0].proposals",
		      "IKEv1's phase 1 has no AEAD cipher");
}

/* "mobike": on unless false; IKEv2's. */
Test(cfg_conn, mobike)
{
	char err[512] = "";
	struct cfg c;

	cr_assert_eq(load(CDOC("", CONN("")), &c, err, sizeof(err)), 0, "%s", err);
	cr_expect_not(c.conns[0].no_mobike, "on by default");
	cfg_free(&c);
	cr_assert_eq(load(CDOC("", CONN(", 'mobike': false")), &c, err, sizeof(err)), 0, "%s", err);
	cr_expect(c.conns[0].no_mobike);
	cfg_free(&c);
	cr_assert_eq(load(CDOC("", CONN_V1(", 'version': 1, 'mobike': false")), &c, err,
			  sizeof(err)), 0, "%s", err);
	cfg_free(&c);
	expect_err_at(CDOC("", CONN(", 'mobike': 'yes'")), "'yes'", "connections[0].mobike", "");
	expect_err_at(CDOC("", CONN_V1(", 'version': 1, 'mobike': true")), "true",
		      "connections[0].mobike", "MOBIKE is IKEv2's");
}

/* 3DES and MODP-1024 only where a connection names them and speaks
 * IKEv1 (RFC 8247 §2.1, §2.4); never for ESP's 3DES, which the data
 * plane lacks. */
#define CHILD_PFS1024                                                              \
	"{'name': 'net', 'local_ts': ['198.18.1.0/24'], 'remote_ts': ['198.18.3.0/24'], " \
	"'esp_proposals': ['aes128-sha1-modp1024']}"
#define CONN_LEGACY(ver)                                                            \
	"{" CONN_HEAD ", " PSK ", 'proposals': ['3des-sha1-modp1024'], 'children': [" \
	CHILD_PFS1024 "]" ver "}"

Test(cfg_conn, legacy_algorithms_only_for_ikev1)
{
	char err[512] = "";
	struct cfg c;

	cr_assert_eq(load(CDOC("", CONN_LEGACY(", 'version': 1")), &c, err, sizeof(err)), 0,
		     "%s", err);
	cr_expect(c.conns[0].ike[0].pc_encr[0] == 3 && c.conns[0].ike[0].pc_dh[0] == 2);
	cr_expect_eq(c.conns[0].children[0].esp[0].pc_dh[0], 2);
	cfg_free(&c);
	expect_err_at(CDOC("", CONN_LEGACY("")), "['3des", "connections[0].proposals",
		      "3des and modp1024 are for IKEv1 peers");
	expect_err_at(CDOC("", CONN_LEGACY(", 'version': 'any'")), "['3des",
		      "connections[0].proposals", "3des and modp1024 are for IKEv1 peers");
	expect_err_at(CDOC("", "{" CONN_HEAD ", " PSK ", " PROPS ", 'children': [" CHILD_PFS1024 "]}"),
		      "['aes128-sha1-modp1024", "connections[0].children[0].esp_proposals",
		      "modp1024 is for IKEv1 peers");
}

/* EAP-RADIUS: the servers in "radius", their secrets in the secrets file. */
#define CONN_RAD "{" CONN_HEAD ", 'auth': 'pubkey', 'remote_auth': 'eap-radius'," \
	" 'cert': '" CFG_DIR "/good/ike/hq.crt', 'key': '" CFG_DIR "/good/ike/hq.key'," \
	" 'cacerts': ['" CFG_DIR "/good/ike/ca.crt'], " PROPS ", 'children': [" CHILD "]}"
#define RAD_TOP(more) ", 'radius': {'servers': [{'address': '198.51.100.10'}," \
	" {'address': '198.51.100.11', 'port': 11812}], 'interim': 60" more "}"

Test(cfg_conn, eap_radius)
{
	char *path, doc[4096], err[512] = "";
	struct cfg c;

	path = write_tmp("{'radius': {'198.51.100.10': 's3cret', '198.51.100.11': 'an:other'}}");
	snprintf(doc, sizeof(doc), CDOC(RAD_TOP("") ", 'ike': {'secrets': '%s'}", CONN_RAD), path);
	cr_assert_eq(load(doc, &c, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.conns[0].remote_auth, CFG_REMOTE_AUTH_EAP_RADIUS);
	cr_expect_str_eq(cfg_remote_auth_name(c.conns[0].remote_auth), "eap-radius");
	cr_assert_eq(c.radius.n_servers, 2);
	cr_expect_eq(c.radius.servers[0].auth_port, 1812);
	cr_expect_eq(c.radius.servers[0].acct_port, 1813);
	cr_expect_eq(c.radius.servers[1].auth_port, 11812);
	cr_expect_str_eq(c.radius.servers[0].secret, "s3cret");
	cr_expect_str_eq(c.radius.servers[1].secret, "an:other");
	cr_expect_eq(c.radius.timeout_s, 3);
	cr_expect_eq(c.radius.retries, 2);
	cr_expect(c.radius.accounting);
	cr_expect_eq(c.radius.interim_s, 60);
	cr_expect_str_eq(c.radius.nas_identifier, "espgate");
	cfg_free(&c);
	unlink(path);
	free(path);

	/* a server without its secret */
	path = write_tmp("{'radius': {'198.51.100.10': 's3cret'}}");
	snprintf(doc, sizeof(doc),
		 CDOC(", 'radius': {'servers': [{'address': '198.51.100.10'}, {'address': '198.51.100.12'}]}"
		      ", 'ike': {'secrets': '%s'}", CONN_RAD), path);
	cr_expect_eq(load(doc, &c, err, sizeof(err)), -EINVAL);
	cr_expect_not_null(strstr(err, "radius.servers[1]: this RADIUS server has no secret"), "%s", err);
	cfg_free(&c);
	unlink(path);
	free(path);

	expect_err_at(CDOC("", CONN_RAD), "'eap-radius'", "connections[0].remote_auth",
		      "connection \"a\" relays EAP to RADIUS, but there is no \"radius\" section with servers");
	expect_err_at(CDOC(RAD_TOP(", 'timeout': 0"), CONN_RAD), "0}", "radius.timeout", "");
	expect_err_at(CDOC(", 'radius': {'servers': []}", CONN_RAD), "[]", "radius.servers",
		      "1 to 4 RADIUS servers, not 0");
	expect_secrets_err("{'radius': {'198.51.100.99': 'x'}}", CONN_RAD, "1:13",
			   "radius[\"198.51.100.99\"]: no RADIUS server at \"198.51.100.99\"");
	path = write_tmp("{'radius': {'198.51.100.10': 'with space', '198.51.100.11': 'x'}}");
	snprintf(doc, sizeof(doc), CDOC(RAD_TOP("") ", 'ike': {'secrets': '%s'}", CONN_RAD), path);
	cr_expect_eq(load(doc, &c, err, sizeof(err)), -EINVAL);
	cr_expect_not_null(strstr(err, "radius[\"198.51.100.10\"]: a RADIUS secret has 1 to 64 bytes, no NUL, comma, space or tab"),
			   "%s", err);
	cr_expect_null(strstr(err, "with space"), "%s", err);
	cfg_free(&c);
	unlink(path);
	free(path);
}
