/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * espgatectl: asks a running espgate over its control socket and prints
 * the answer for people, or as JSON (--json) for scripts.
 */
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#define DEFAULT_SOCKET "/run/espgate/espgate.sock"
#define REPLY_MAX (256u << 20) /* 100 000 SAs listed fit */
#define REPLY_CHUNK (1u << 20)
#define TIMEOUT_MS 5000

static void usage(FILE *out)
{
	fprintf(out,
		"usage: espgatectl [--socket PATH] [--json] COMMAND\n"
		"commands:\n"
		"  status    state, uptime, workers, ports\n"
		"  ports     ports with roles, addresses, MACs and links\n"
		"  stats     counters per port, per worker and of the control lcore\n"
		"  sas       IKE SAs, Child SAs and data-plane SAs with their counters\n"
		"  pools     address pools (virtual IPs for clients): size, leases, who holds what\n"
		"  initiate NAME          start the connection's IKE SA and Child SAs\n"
		"  terminate NAME|ID      delete the connection's IKE SAs, or one by id\n"
		"  rekey ID [child]       rekey an IKE SA, or its Child SAs\n"
		"  reload                 read the configuration again: connections added,\n"
		"                         removed and changed; unchanged tunnels untouched;\n"
		"                         fails if a connection could not be loaded\n"
		"  counters  what every counter means\n"
		"the socket defaults to $ESPGATE_SOCKET or " DEFAULT_SOCKET "\n");
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "espgatectl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "espgatectl: cannot reach espgate at %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static char *request(const char *path, const char *cmd, const char *arg, bool child)
{
	struct pollfd pfd = { .events = POLLIN };
	char *buf = NULL, line[512];
	size_t got = 0, cap = 0;
	int fd = connect_to(path);

	if (fd < 0)
		return NULL;
	json_t *req = json_pack("{s:s}", "cmd", cmd);
	char *text;

	if (arg)
		json_object_set_new(req, "arg", json_string(arg));
	if (child)
		json_object_set_new(req, "child", json_true());
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	snprintf(line, sizeof(line), "%s\n", text ? text : "{}");
	free(text);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		goto out;
	pfd.fd = fd;
	while (poll(&pfd, 1, TIMEOUT_MS) > 0) {
		ssize_t n;

		if (got + REPLY_CHUNK > cap) {
			char *more = cap + REPLY_CHUNK <= REPLY_MAX ? realloc(buf, cap + REPLY_CHUNK + 1) : NULL;

			if (!more) {
				fprintf(stderr, "espgatectl: the answer is over %u MiB\n", REPLY_MAX >> 20);
				got = 0;
				break;
			}
			buf = more;
			cap += REPLY_CHUNK;
		}
		n = read(fd, buf + got, cap - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (buf)
		buf[got] = '\0';
out:
	close(fd);
	if (buf && got == 0) {
		fprintf(stderr, "espgatectl: no answer from espgate\n");
		free(buf);
		buf = NULL;
	}
	return buf;
}

static json_int_t geti(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *gets_(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "-";
}

static void print_status(json_t *r)
{
	printf("espgate %s: %s, up %llds, %lld workers, %lld ports, crypto %s\n",
	       gets_(r, "version"), gets_(r, "state"), (long long)geti(r, "uptime_s"),
	       (long long)geti(r, "workers"), (long long)geti(r, "ports"),
	       gets_(r, "crypto_engine"));
}

static void print_ports(json_t *r)
{
	size_t i, j;
	json_t *p, *a;

	printf("%-12s %4s %-12s %-17s %5s %-5s %s\n", "PORT", "ID", "ROLE", "MAC",
	       "MTU", "LINK", "ADDRESSES");
	json_array_foreach(json_object_get(r, "ports"), i, p) {
		printf("%-12s %4lld %-12s %-17s %5lld %-5s", gets_(p, "name"),
		       (long long)geti(p, "port_id"), gets_(p, "role"), gets_(p, "mac"),
		       (long long)geti(p, "mtu"), gets_(p, "link"));
		json_array_foreach(json_object_get(p, "addresses"), j, a)
			printf(" %s", json_string_value(a));
		printf("\n");
	}
}

static void print_counters(const char *indent, json_t *o)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		if (json_is_integer(v) && json_integer_value(v) != 0)
			printf("%s%-20s %lld\n", indent, key, (long long)json_integer_value(v));
	}
}

/* What a tunnel's end gives back (ctl_server.c, resources_json). */
static void print_resources(json_t *u)
{
	printf("held: mbufs %lld of %lld (indirect %lld), data-plane SAs %lld (inbound keys "
	       "%lld, policies out %lld in %lld), trap-held packets %lld\n",
	       (long long)geti(u, "mbufs_in_use"), (long long)geti(u, "mbufs"),
	       (long long)geti(u, "mbufs_indirect_in_use"), (long long)geti(u, "dp_sas"),
	       (long long)geti(u, "dp_inbound_keys"), (long long)geti(u, "dp_policies_out"),
	       (long long)geti(u, "dp_policies_in"), (long long)geti(u, "trap_held"));
	printf("      IKE SAs %lld (half-open %lld), Child SAs %lld, lingering inbound SAs %lld, "
	       "deferred outbound SAs %lld\n",
	       (long long)geti(u, "ike_sas"), (long long)geti(u, "ike_half_open"),
	       (long long)geti(u, "child_sas"), (long long)geti(u, "lingering_sas"),
	       (long long)geti(u, "outbound_pending"));
}

static void print_stats(json_t *r)
{
	size_t i;
	json_t *p, *w;

	printf("%-12s %14s %14s %16s %16s %10s %10s\n", "PORT", "RX-PKTS", "TX-PKTS",
	       "RX-BYTES", "TX-BYTES", "RX-MISSED", "ERRORS");
	json_array_foreach(json_object_get(r, "ports"), i, p)
		printf("%-12s %14lld %14lld %16lld %16lld %10lld %10lld\n", gets_(p, "name"),
		       (long long)geti(p, "rx_packets"), (long long)geti(p, "tx_packets"),
		       (long long)geti(p, "rx_bytes"), (long long)geti(p, "tx_bytes"),
		       (long long)geti(p, "rx_missed"),
		       (long long)(geti(p, "rx_errors") + geti(p, "tx_errors")));
	json_array_foreach(json_object_get(r, "workers"), i, w) {
		printf("worker %zu (lcore %lld):\n", i, (long long)geti(w, "lcore"));
		print_counters("  ", w);
		print_counters("  drop ", json_object_get(w, "drops"));
	}
	printf("control lcore:\n");
	print_counters("  ", json_object_get(r, "control"));
	print_counters("  drop ", json_object_get(json_object_get(r, "control"), "drops"));
	if (json_object_get(r, "ike")) {
		printf("IKE engine:\n");
		print_counters("  ", json_object_get(r, "ike"));
	}
	if (json_object_get(r, "radius")) {
		printf("RADIUS:\n");
		print_counters("  ", json_object_get(r, "radius"));
	}
	p = json_object_get(r, "sa_install");
	if (p && geti(p, "count"))
		printf("Child SAs installed: %lld, latency mean %.3f ms, max %.3f ms\n",
		       (long long)geti(p, "count"), json_real_value(json_object_get(p, "mean_ms")),
		       json_real_value(json_object_get(p, "max_ms")));
	p = json_object_get(r, "totals");
	printf("totals: rx %lld, tx %lld, forwarded %lld, punted %lld, dropped %lld\n",
	       (long long)geti(p, "rx_packets"), (long long)geti(p, "tx_packets"),
	       (long long)geti(p, "forwarded"), (long long)geti(p, "punted"),
	       (long long)geti(p, "drops"));
	print_resources(json_object_get(r, "resources"));
}

static json_int_t drops_sum(json_t *drops)
{
	const char *key;
	json_t *v;
	json_int_t sum = 0;

	json_object_foreach(drops, key, v)
		sum += json_integer_value(v);
	return sum;
}

static void print_ike(json_t *r)
{
	size_t i;
	json_t *sa;

	json_array_foreach(json_object_get(r, "ike_sas"), i, sa)
		printf("IKE SA %lld %s: %s, IKEv%lld%s%s%s, %s %s:%lld <-> %s:%lld, SPIs %s_i %s_r, up %llds\n",
		       (long long)geti(sa, "id"), gets_(sa, "conn"), gets_(sa, "state"),
		       (long long)geti(sa, "version"), json_object_get(sa, "mode") ? " " : "",
		       json_object_get(sa, "mode") ? gets_(sa, "mode") : "",
		       json_object_get(sa, "mode") ? " mode" : "",
		       json_is_true(json_object_get(sa, "initiator")) ? "initiator" : "responder",
		       gets_(sa, "local"), (long long)geti(sa, "local_port"), gets_(sa, "remote"),
		       (long long)geti(sa, "remote_port"), gets_(sa, "spi_i"), gets_(sa, "spi_r"),
		       (long long)geti(sa, "age_s"));
	json_array_foreach(json_object_get(r, "ike_sas_connecting"), i, sa)
		printf("IKE SA %lld %s: %s, IKEv%lld %s with %s:%lld, SPI %s_i, for %llds, %lld retransmissions\n",
		       (long long)geti(sa, "id"), gets_(sa, "conn"), gets_(sa, "state"),
		       (long long)geti(sa, "version"),
		       json_is_true(json_object_get(sa, "initiator")) ? "initiator" : "responder",
		       gets_(sa, "remote"), (long long)geti(sa, "remote_port"), gets_(sa, "spi_i"),
		       (long long)geti(sa, "age_s"), (long long)geti(sa, "retransmits"));
	json_array_foreach(json_object_get(r, "child_sas"), i, sa)
		printf("  Child SA %s/%s: %s, SPIs in %s out %s, data-plane SAs %lld/%lld, up %llds\n",
		       gets_(sa, "conn"), gets_(sa, "child"), gets_(sa, "state"), gets_(sa, "spi_in"),
		       gets_(sa, "spi_out"), (long long)geti(sa, "sa_in"), (long long)geti(sa, "sa_out"),
		       (long long)geti(sa, "age_s"));
	json_array_foreach(json_object_get(r, "traps"), i, sa)
		printf("Trap %s: %lld packets held%s, %lld initiations\n", gets_(sa, "conn"),
		       (long long)geti(sa, "held"),
		       json_is_true(json_object_get(sa, "initiating")) ? ", initiating" : "",
		       (long long)geti(sa, "initiations"));
	if (json_array_size(json_object_get(r, "ike_sas")) ||
	    json_array_size(json_object_get(r, "traps")))
		printf("\n");
}

static void print_sas(json_t *r)
{
	size_t i;
	json_t *sa;

	print_ike(r);
	printf("%-5s %-16s %-3s %-10s %-9s %-22s %-33s %12s %14s %8s\n", "ID", "NAME", "DIR",
	       "SPI", "MODE", "ALGORITHM", "OUTER", "PACKETS", "BYTES", "DROPS");
	json_array_foreach(json_object_get(r, "sas"), i, sa) {
		char outer[96];

		snprintf(outer, sizeof(outer), "%s>%s%s", gets_(sa, "src"), gets_(sa, "dst"),
			 json_object_get(sa, "udp_encap") ? " udp" : "");
		printf("%-5lld %-16s %-3s %-10s %-9s %-22s %-33s %12lld %14lld %8lld\n",
		       (long long)geti(sa, "id"), gets_(sa, "name"), gets_(sa, "direction"),
		       gets_(sa, "spi"), gets_(sa, "mode"), gets_(sa, "algorithm"), outer,
		       (long long)geti(sa, "packets"), (long long)geti(sa, "bytes"),
		       (long long)drops_sum(json_object_get(sa, "drops")));
		print_counters("      drop ", json_object_get(sa, "drops"));
	}
}

static void print_pools(json_t *r)
{
	size_t i, k;
	json_t *p, *l;

	json_array_foreach(json_object_get(r, "pools"), i, p) {
		printf("Pool %s %s: %lld of %lld addresses leased, %lld in use, %lld refused (exhausted); lease %llds\n",
		       gets_(p, "name"), gets_(p, "prefix"), (long long)geti(p, "leased"),
		       (long long)geti(p, "size"), (long long)geti(p, "in_use"),
		       (long long)geti(p, "exhausted"), (long long)geti(p, "lease_s"));
		json_array_foreach(json_object_get(p, "leases"), k, l) {
			if (geti(l, "sas"))
				printf("  %-40s %s (%lld IKE SA%s)\n", gets_(l, "address"),
				       gets_(l, "identity"), (long long)geti(l, "sas"),
				       geti(l, "sas") == 1 ? "" : "s");
			else
				printf("  %-40s %s (kept, released %llds ago)\n", gets_(l, "address"),
				       gets_(l, "identity"), (long long)geti(l, "released_s_ago"));
		}
	}
	if (!json_array_size(json_object_get(r, "pools")))
		printf("No pools.\n");
}

static void print_reload(json_t *r)
{
	static const char *const keys[] = { "added", "removed", "changed", "unchanged" };

	for (size_t k = 0; k < 4; k++) {
		size_t i;
		json_t *v;

		printf("%-10s", keys[k]);
		json_array_foreach(json_object_get(r, keys[k]), i, v)
			printf(" %s", json_string_value(v));
		printf("\n");
	}
}

/* A reload that could not load a connection fails: each one on stderr. */
static int reload_failed(json_t *r)
{
	json_t *failed = json_object_get(r, "failed"), *v;
	size_t i;

	json_array_foreach(failed, i, v)
		fprintf(stderr, "espgatectl: connection %s not loaded: %s\n", gets_(v, "name"),
			gets_(v, "error"));
	return json_array_size(failed) ? 1 : 0;
}

static void print_help(json_t *r)
{
	const char *key;
	json_t *v;

	json_object_foreach(json_object_get(r, "counters"), key, v)
		printf("%-20s %s\n", key, json_string_value(v));
}

static int print_reply(const char *cmd, const char *text, int as_json)
{
	json_error_t jerr;
	json_t *r = json_loads(text, 0, &jerr);
	int rc;

	if (!r) {
		fprintf(stderr, "espgatectl: bad answer: %s\n", jerr.text);
		return 1;
	}
	if (json_object_get(r, "error")) {
		fprintf(stderr, "espgatectl: %s\n", gets_(r, "error"));
		json_decref(r);
		return 1;
	}
	if (as_json)
		json_dumpf(r, stdout, JSON_INDENT(2)), printf("\n");
	else if (strcmp(cmd, "status") == 0)
		print_status(r);
	else if (strcmp(cmd, "ports") == 0)
		print_ports(r);
	else if (strcmp(cmd, "stats") == 0)
		print_stats(r);
	else if (strcmp(cmd, "sas") == 0)
		print_sas(r);
	else if (strcmp(cmd, "pools") == 0)
		print_pools(r);
	else if (strcmp(cmd, "ike_setup") == 0)
		printf("IKE setups: %lld, first datagram to data-plane SA: median %.3f ms, "
		       "p99 %.3f ms (last %lld), mean %.3f ms, max %.3f ms\n",
		       (long long)geti(r, "count"), json_real_value(json_object_get(r, "median_ms")),
		       json_real_value(json_object_get(r, "p99_ms")), (long long)geti(r, "samples"),
		       json_real_value(json_object_get(r, "mean_ms")),
		       json_real_value(json_object_get(r, "max_ms")));
	else if (json_object_get(r, "result"))
		printf("%s\n", gets_(r, "result"));
	else if (strcmp(cmd, "reload") == 0)
		print_reload(r);
	else
		print_help(r);
	rc = strcmp(cmd, "reload") == 0 ? reload_failed(r) : 0;
	json_decref(r);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const cmds[] = { "status", "ports", "stats", "sas", "counters",
					    "pools", "ike_setup", "initiate", "terminate", "rekey",
					    "reload" };
	const char *path = getenv("ESPGATE_SOCKET"), *cmd, *arg;
	bool child;
	int c, as_json = 0, known = 0, rc;
	char *reply;

	while ((c = getopt_long(argc, argv, "s:jh", opts, NULL)) != -1) {
		if (c == 's')
			path = optarg;
		else if (c == 'j')
			as_json = 1;
		else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc || argc - optind > 3) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	arg = optind + 1 < argc ? argv[optind + 1] : NULL;
	child = optind + 2 < argc && strcmp(argv[optind + 2], "child") == 0;
	if ((arg != NULL) != (strcmp(cmd, "initiate") == 0 || strcmp(cmd, "terminate") == 0 ||
			      strcmp(cmd, "rekey") == 0) ||
	    (optind + 2 < argc && !child)) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		known |= strcmp(cmd, cmds[i]) == 0;
	if (!known) {
		fprintf(stderr, "espgatectl: unknown command \"%s\"\n", cmd);
		usage(stderr);
		return 2;
	}
	reply = request(path ? path : DEFAULT_SOCKET, cmd, arg, child);
	if (!reply)
		return 1;
	rc = print_reply(cmd, reply, as_json);
	free(reply);
	return rc;
}
