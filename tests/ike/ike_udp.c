/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ike-udp: lib/ike over plain UDP sockets, for the interop tests and the
 * load generator. Reads a JSON file of connections (and optional engine
 * "limits": cookie_threshold, half_open_per_src), listens on ports 500
 * and 4500 (non-ESP marker, RFC 3948 §2.2) of its local address, prints
 * every event as one JSON line on stdout, logs on stderr.
 *
 *   ike-udp --config FILE [--initiate NAME]... [--print-keys]
 *   SIGUSR1: delete every IKE SA; SIGTERM/SIGINT: exit.
 *
 * --print-keys adds each Child SA's keys to its child_up event, for the
 * interop suites to compare with the peer's own derivation (charon logs
 * them at level 4). A test tool's option: the espgate daemon never
 * prints a key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ike.h"
#include "udp_ep.h"
#include "ike_cert.h"

#define MAX_CONNS 64
#define MAX_IDS 1024

struct sock {
	int fd;
	uint16_t port;
	struct ike_endpoint local;
};

static struct sock socks[2];
static unsigned n_socks;
static volatile sig_atomic_t g_stop, g_terminate;
static uint32_t ike_ids[MAX_IDS];
static unsigned n_ike_ids;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void ev_send(void *ctx, const struct ike_endpoint *local,
		    const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	static const uint8_t marker[4]; /* non-ESP marker on port 4500 */
	uint8_t out[8192 + 4];
	struct sockaddr_storage ss;
	socklen_t sl;

	(void)ctx;
	for (unsigned i = 0; i < n_socks; i++) {
		size_t off = socks[i].port == IKE_NATT_PORT ? sizeof(marker) : 0;

		if (socks[i].port != local->ep_port || len > sizeof(out) - off)
			continue;
		memcpy(out, marker, off);
		memcpy(out + off, buf, len);
		udp_ep_to_sockaddr(remote, &ss, &sl);
		if (sendto(socks[i].fd, out, len + off, 0, (struct sockaddr *)&ss, sl) < 0)
			fprintf(stderr, "ike-udp: sendto: %s\n", strerror(errno));
		return;
	}
	fprintf(stderr, "ike-udp: no socket on port %u\n", local->ep_port);
}

static void ev_keepalive(void *ctx, const struct ike_endpoint *local,
			 const struct ike_endpoint *remote)
{
	static const uint8_t ka = 0xff;
	struct sockaddr_storage ss;
	socklen_t sl;

	(void)ctx;
	(void)local;
	for (unsigned i = 0; i < n_socks; i++)
		if (socks[i].port == IKE_NATT_PORT) {
			udp_ep_to_sockaddr(remote, &ss, &sl);
			sendto(socks[i].fd, &ka, 1, 0, (struct sockaddr *)&ss, sl);
		}
}

/*
 * Events: one JSON object per line, written by hand (what jansson's
 * json_dumps(JSON_COMPACT) printed, same keys in the same order; building
 * jansson objects for every event was 6 % of a responder under load).
 * Lines go to stdout's buffer; main() flushes it once per loop turn.
 */
struct jline {
	char j_buf[2048];
	size_t j_len;
	bool j_trunc;
};

static void jl_put(struct jline *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void jl_put(struct jline *j, const char *fmt, ...)
{
	size_t room = sizeof(j->j_buf) - j->j_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(j->j_buf + j->j_len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		j->j_trunc = true;
	else
		j->j_len += (size_t)n;
}

/* n bytes of s, as they are. */
static void jl_raw(struct jline *j, const char *s, size_t n)
{
	if (n > sizeof(j->j_buf) - j->j_len) {
		j->j_trunc = true;
		return;
	}
	memcpy(j->j_buf + j->j_len, s, n);
	j->j_len += n;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void jl_string(struct jline *j, const char *v)
{
	const char *run = v; /* the characters that need no escape */

	jl_raw(j, "\"", 1);
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		jl_raw(j, run, (size_t)(v - run));
		if (c < 0x20)
			jl_put(j, "\\u%04x", c);
		else
			jl_put(j, "\\%c", c);
		run = v + 1;
	}
	jl_raw(j, run, (size_t)(v - run));
	jl_raw(j, "\"", 1);
}

/* A key (and its separator) of the object under way. */
static void jl_key(struct jline *j, const char *key)
{
	jl_raw(j, j->j_len ? "," : "{", 1);
	jl_string(j, key);
	jl_raw(j, ":", 1);
}

static void jl_str(struct jline *j, const char *key, const char *v)
{
	jl_key(j, key);
	jl_string(j, v);
}

/* Numbers without printf: an event has ten of them. */
static void jl_uint(struct jline *j, const char *key, uint64_t v)
{
	char d[20];
	size_t n = sizeof(d);

	do
		d[--n] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	jl_key(j, key);
	jl_raw(j, d + n, sizeof(d) - n);
}

/* v as a quoted string of digits (at most 16) lowercase hex digits. */
static void jl_hex(struct jline *j, const char *key, uint64_t v, unsigned digits)
{
	char d[2 + 16];

	d[0] = d[digits + 1] = '"';
	for (unsigned i = digits; i > 0; i--, v >>= 4)
		d[i] = "0123456789abcdef"[v & 0xf];
	jl_key(j, key);
	jl_raw(j, d, digits + 2);
}

static bool print_keys;

/* n bytes as a quoted string of lowercase hex digits. */
static void jl_bytes(struct jline *j, const char *key, const uint8_t *b, size_t n)
{
	jl_key(j, key);
	jl_raw(j, "\"", 1);
	for (size_t i = 0; i < n; i++)
		jl_put(j, "%02x", b[i]);
	jl_raw(j, "\"", 1);
}

static void jl_bool(struct jline *j, const char *key, bool v)
{
	jl_key(j, key);
	if (v)
		jl_raw(j, "true", 4);
	else
		jl_raw(j, "false", 5);
}

static void jl_ts(struct jline *j, const char *key, const struct ike_selectors *ts)
{
	jl_key(j, key);
	jl_raw(j, "[", 1);
	for (unsigned i = 0; i < ts->ts_n; i++) {
		struct ip_addr s = { .family = ts->ts[i].ts_type == IKE_SEL_IPV4 ?
					       AF_INET : AF_INET6 };
		struct ip_addr e = s;
		char sb[IP_ADDR_STRLEN], eb[IP_ADDR_STRLEN];

		memcpy(s.bytes, ts->ts[i].ts_start, 16);
		memcpy(e.bytes, ts->ts[i].ts_end, 16);
		ip_addr_format(&s, sb, sizeof(sb));
		ip_addr_format(&e, eb, sizeof(eb));
		jl_put(j, "%s\"%s-%s\"", i ? "," : "", sb, eb);
	}
	jl_raw(j, "]", 1);
}

static void jl_print(struct jline *j)
{
	jl_raw(j, "}\n", 2);
	if (j->j_trunc) {
		fprintf(stderr, "ike-udp: event longer than %zu bytes, not printed\n",
			sizeof(j->j_buf));
		return;
	}
	fwrite(j->j_buf, 1, j->j_len, stdout);
}

static void ev_child(void *ctx, const struct ike_child_info *ci, const char *what)
{
	struct jline j = { .j_len = 0 };

	(void)ctx;
	jl_str(&j, "event", what);
	jl_str(&j, "conn", ci->ci_conn);
	jl_str(&j, "child", ci->ci_child);
	jl_uint(&j, "ike_id", ci->ci_ike_id);
	jl_hex(&j, "spi_in", ci->ci_spi_in, 8);
	jl_hex(&j, "spi_out", ci->ci_spi_out, 8);
	jl_uint(&j, "encr", ci->ci_encr);
	jl_uint(&j, "encr_bits", ci->ci_encr_bits);
	jl_uint(&j, "integ", ci->ci_integ);
	jl_bool(&j, "esn", ci->ci_esn);
	jl_bool(&j, "encap", ci->ci_encap);
	jl_bool(&j, "transport", ci->ci_transport);
	jl_ts(&j, "local_ts", ci->ci_ts_local);
	jl_ts(&j, "remote_ts", ci->ci_ts_remote);
	if (print_keys && strcmp(what, "child_up") == 0) {
		jl_bytes(&j, "encr_in", ci->ci_encr_in, ci->ci_encr_len);
		jl_bytes(&j, "encr_out", ci->ci_encr_out, ci->ci_encr_len);
		jl_bytes(&j, "integ_in", ci->ci_integ_in, ci->ci_integ_len);
		jl_bytes(&j, "integ_out", ci->ci_integ_out, ci->ci_integ_len);
	}
	jl_print(&j);
}

static void ev_child_up(void *ctx, const struct ike_child_info *ci)
{
	ev_child(ctx, ci, "child_up");
}

static void ev_child_down(void *ctx, const struct ike_child_info *ci)
{
	ev_child(ctx, ci, "child_down");
}

static void ev_ike(const struct ike_sa_info *sa, const char *what)
{
	struct jline j = { .j_len = 0 };

	jl_str(&j, "event", what);
	jl_str(&j, "conn", sa->si_conn);
	jl_uint(&j, "ike_id", sa->si_id);
	jl_hex(&j, "spi_i", sa->si_spi_i, 16);
	jl_hex(&j, "spi_r", sa->si_spi_r, 16);
	jl_bool(&j, "initiator", sa->si_initiator);
	jl_str(&j, "reason", sa->si_reason ? sa->si_reason : "");
	jl_print(&j);
}

static void ev_ike_up(void *ctx, const struct ike_sa_info *sa)
{
	(void)ctx;
	if (n_ike_ids < MAX_IDS)
		ike_ids[n_ike_ids++] = sa->si_id;
	ev_ike(sa, "ike_up");
}

static void ev_ike_down(void *ctx, const struct ike_sa_info *sa)
{
	(void)ctx;
	ev_ike(sa, "ike_down");
}

/* An SA this side initiated that never came up (lib/ike gave up). */
static void ev_ike_failed(void *ctx, const struct ike_sa_info *sa)
{
	(void)ctx;
	ev_ike(sa, "ike_failed");
}

static void ev_log(void *ctx, enum ike_log_level level, const struct ike_log_fields *f,
		   const char *line)
{
	(void)f;
	(void)ctx;
	fputs(level == IKE_LOG_INFO ? "ike: [info] " : "ike: ", stderr);
	fputs(line, stderr);
	putc('\n', stderr);
}

/* ---- configuration ---- */

static int parse_ts(json_t *arr, struct ike_ts_cfg *t, uint8_t *n)
{
	size_t i;
	json_t *v;

	*n = 0;
	json_array_foreach(arr, i, v) {
		if (*n == IKE_MAX_TS_CFG || !json_is_string(v) ||
		    !ip_prefix_parse(json_string_value(v), &t[*n].tc_prefix))
			return -EINVAL;
		t[*n].tc_port_hi = 65535;
		(*n)++;
	}
	return 0;
}

static int parse_props(json_t *arr, uint8_t proto, struct cfg_proposal *p, uint8_t *n)
{
	char err[128];
	size_t i;
	json_t *v;

	*n = 0;
	json_array_foreach(arr, i, v) {
		if (*n == IKE_MAX_PROPOSALS || !json_is_string(v))
			return -EINVAL;
		if (ike_prop_parse(json_string_value(v), proto, &p[*n], err, sizeof(err)) != 0) {
			fprintf(stderr, "ike-udp: %s: %s\n", json_string_value(v), err);
			return -EINVAL;
		}
		(*n)++;
	}
	return *n ? 0 : -EINVAL;
}

static int parse_child(json_t *o, struct ike_child_cfg *cc)
{
	const char *name = "", *mode = "tunnel";
	json_t *lts = NULL, *rts = NULL, *esp = NULL;
	int rekey = 0, life = 0;

	memset(cc, 0, sizeof(*cc));
	if (json_unpack(o, "{s?s, s:o, s:o, s:o, s?s, s?i, s?i}", "name", &name, "local_ts", &lts,
			"remote_ts", &rts, "esp_proposals", &esp, "mode", &mode, "rekey", &rekey,
			"life", &life) != 0)
		return -EINVAL;
	snprintf(cc->cc_name, sizeof(cc->cc_name), "%s", name);
	cc->cc_transport = strcmp(mode, "transport") == 0;
	cc->cc_rekey_s = (uint32_t)rekey;
	cc->cc_life_s = (uint32_t)life;
	if (parse_ts(lts, cc->cc_local, &cc->cc_n_local) || parse_ts(rts, cc->cc_remote, &cc->cc_n_remote))
		return -EINVAL;
	return parse_props(esp, IKE_PROTO_ESP, cc->cc_esp, &cc->cc_n_esp);
}

/* A responder's remote access: "pools" (names of the file's pools) and
 * "remote_auth": "eap-mschapv2". */
static int parse_remote_access(json_t *o, struct ike_conn_cfg *c)
{
	const char *auth = NULL;
	json_t *pools = NULL, *v;
	size_t i;

	if (json_unpack(o, "{s?o, s?s}", "pools", &pools, "remote_auth", &auth) != 0)
		return -EINVAL;
	if (auth && strcmp(auth, "eap-mschapv2") != 0)
		return -EINVAL;
	if (auth)
		c->c_remote_auth = IKE_REMOTE_AUTH_EAP_MSCHAPV2;
	json_array_foreach(pools, i, v) {
		if (c->c_n_pools == IKE_CONN_POOLS || !json_is_string(v))
			return -EINVAL;
		snprintf(c->c_pools[c->c_n_pools++], IKE_NAME_MAX, "%s", json_string_value(v));
	}
	return 0;
}

/* The file's "pools": [{"name", "prefix", "lease_s"}]. */
static int load_pools(json_t *pools, struct ike_engine *e)
{
	json_t *v;
	size_t i;

	ike_engine_pools_begin(e);
	json_array_foreach(pools, i, v) {
		struct ike_pool_cfg pc = { .pc_lease_s = 0 };
		const char *name, *prefix;
		int lease = 0;

		if (json_unpack(v, "{s:s, s:s, s?i}", "name", &name, "prefix", &prefix, "lease_s",
				&lease) != 0 || !ip_prefix_parse(prefix, &pc.pc_prefix))
			return -EINVAL;
		snprintf(pc.pc_name, sizeof(pc.pc_name), "%s", name);
		pc.pc_lease_s = (uint32_t)lease;
		if (ike_engine_add_pool(e, &pc) != 0)
			return -EINVAL;
	}
	ike_engine_pools_commit(e);
	return 0;
}

/* The file's "eap_users": [{"name", "password"}]: EAP-MSCHAPv2 users;
 * the passwords are kept (the engine points at them) until exit. */
static char **eap_passwords;
static size_t n_eap_passwords;

static int load_eap_users(json_t *users, struct ike_engine *e)
{
	size_t n = json_array_size(users), i;
	struct ike_eap_user *u;
	json_t *v;
	int rc;

	if (!n)
		return 0;
	u = calloc(n, sizeof(*u));
	eap_passwords = calloc(n, sizeof(*eap_passwords));
	if (!u || !eap_passwords) {
		free(u);
		return -ENOMEM;
	}
	json_array_foreach(users, i, v) {
		const char *name, *pw;

		if (json_unpack(v, "{s:s, s:s}", "name", &name, "password", &pw) != 0 ||
		    strlen(name) > IKE_EAP_USER_MAX || strlen(pw) > UINT16_MAX ||
		    !(eap_passwords[i] = strdup(pw))) {
			free(u);
			return -EINVAL;
		}
		n_eap_passwords = i + 1;
		snprintf(u[i].eu_name, sizeof(u[i].eu_name), "%s", name);
		u[i].eu_password = eap_passwords[i];
		u[i].eu_password_len = (uint16_t)strlen(pw);
	}
	rc = ike_engine_set_eap_users(e, u, (unsigned)n);
	free(u);
	return rc;
}

static int parse_conn(json_t *o, struct ike_conn_cfg *c)
{
	const char *name, *local, *remote = NULL, *lid = NULL, *rid = NULL, *psk;
	json_t *props, *children, *v;
	int dpd = 0, dpd_timeout = 0, rekey = 0, frag_size = 0, frag = 1, reauth = 0;
	int version = 2, aggressive = 0;
	const char *cert = NULL, *key = NULL, *ca = NULL;
	size_t i;

	memset(c, 0, sizeof(*c));
	psk = "";
	if (json_unpack(o, "{s:s, s:s, s?s, s?s, s?s, s?s, s:o, s:o, s?i, s?i, s?i, s?i, s?b, s?s, s?s, s?s, s?i, s?i, s?b}",
			"name", &name, "local", &local, "remote", &remote, "local_id", &lid,
			"remote_id", &rid, "psk", &psk, "proposals", &props, "children",
			&children, "dpd", &dpd, "dpd_timeout", &dpd_timeout, "rekey", &rekey,
			"fragment_size", &frag_size, "fragmentation", &frag, "cert", &cert,
			"key", &key, "cacert", &ca, "reauth", &reauth, "version", &version,
			"aggressive", &aggressive) != 0 ||
	    !ip_addr_parse(local, &c->c_local.ep_addr) || strlen(psk) > IKE_PSK_MAX)
		return -EINVAL;
	/* Certificates: ours and the CA the peer's must chain to. */
	if (cert || key || ca) {
		struct ike_credential *cred;
		struct ike_trust *trust;

		if (!cert || !key || !ca || ike_cred_load(cert, key, &cred) != 0 ||
		    ike_trust_load(&ca, 1, &trust) != 0) {
			fprintf(stderr, "ike-udp: %s: cannot load cert/key/cacert\n", name);
			return -EINVAL;
		}
		c->c_cred = cred;
		c->c_trust = trust;
	}
	snprintf(c->c_name, sizeof(c->c_name), "%s", name);
	c->c_local.ep_port = IKE_PORT;
	if (remote && !ip_addr_parse(remote, &c->c_remote.ep_addr))
		return -EINVAL;
	c->c_remote.ep_port = IKE_PORT;
	if ((lid && udp_ep_parse_id(lid, &c->c_local_id)) || (rid && udp_ep_parse_id(rid, &c->c_remote_id)))
		return -EINVAL;
	c->c_psk_len = (uint16_t)strlen(psk);
	memcpy(c->c_psk, psk, c->c_psk_len);
	c->c_dpd_s = (uint32_t)dpd;
	c->c_version = version == 1 ? IKE_VERSION_1 : version == 0 ? IKE_VERSION_ANY
							      : IKE_VERSION_2;
	c->c_aggressive = aggressive;
	c->c_rekey_s = (uint32_t)rekey;
	c->c_reauth_s = (uint32_t)reauth;
	c->c_frag_size = (uint16_t)frag_size;
	c->c_no_fragmentation = !frag;
	c->c_dpd_timeout_s = (uint32_t)(dpd_timeout ? dpd_timeout : 30);
	if (parse_props(props, IKE_PROTO_IKE, c->c_ike, &c->c_n_ike) || parse_remote_access(o, c))
		return -EINVAL;
	json_array_foreach(children, i, v) {
		if (c->c_n_child == IKE_MAX_CHILD_CFG || parse_child(v, &c->c_child[c->c_n_child]))
			return -EINVAL;
		c->c_n_child++;
	}
	return 0;
}

static int open_socket(const struct ip_addr *a, uint16_t port)
{
	struct sock *s = &socks[n_socks];

	s->local = (struct ike_endpoint){ .ep_addr = *a, .ep_port = port };
	s->port = port;
	s->fd = udp_ep_bind(&s->local, 0);
	if (s->fd < 0) {
		fprintf(stderr, "ike-udp: bind port %u: %s\n", port, strerror(-s->fd));
		return s->fd;
	}
	n_socks++;
	return 0;
}

static int load(const char *path, struct ike_engine *e, struct ip_addr *local)
{
	json_error_t err;
	json_t *root = json_load_file(path, 0, &err), *conns, *v;
	size_t i;
	int rc = -EINVAL;

	if (!root) {
		fprintf(stderr, "ike-udp: %s:%d:%d: %s\n", path, err.line, err.column, err.text);
		return -EINVAL;
	}
	conns = json_object_get(root, "connections");
	if (json_object_get(root, "limits")) {
		struct ike_limits l = { 0 };
		int cookie = 1000, per_src = 100;

		if (json_unpack(json_object_get(root, "limits"), "{s?i, s?i}", "cookie_threshold",
				&cookie, "half_open_per_src", &per_src) != 0)
			goto out;
		l.li_cookie_threshold = (unsigned)cookie;
		l.li_half_open_per_src = (unsigned)per_src;
		ike_engine_set_limits(e, &l);
	}
	if (load_pools(json_object_get(root, "pools"), e) != 0 ||
	    load_eap_users(json_object_get(root, "eap_users"), e) != 0) {
		fprintf(stderr, "ike-udp: %s: bad pools or eap_users\n", path);
		goto out;
	}
	json_array_foreach(conns, i, v) {
		static struct ike_conn_cfg c;
		if (parse_conn(v, &c) != 0 || ike_engine_add_conn(e, &c) != 0) {
			fprintf(stderr, "ike-udp: %s: connections[%zu] is invalid\n", path, i);
			goto out;
		}
		*local = c.c_local.ep_addr;
	}
	rc = json_array_size(conns) ? 0 : -EINVAL;
out:
	json_decref(root);
	return rc;
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		g_terminate = 1;
	else
		g_stop = 1;
}

/* One datagram from s into the engine; false when none was waiting. */
static bool receive(struct ike_engine *e, const struct sock *s, uint64_t now)
{
	uint8_t buf[8192 + 4];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct ike_endpoint remote;
	ssize_t n = recvfrom(s->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&ss,
			     &sl);
	size_t off = 0;

	if (n < 0)
		return false;
	if (n == 0)
		return true; /* an empty datagram: nothing for the engine */
	if (s->port == IKE_NATT_PORT) {
		/* ESP (non-zero SPI) and keepalives are not ours. */
		if (n < 4 || buf[0] || buf[1] || buf[2] || buf[3])
			return true;
		off = 4;
	}
	udp_ep_from_sockaddr(&ss, &remote);
	ike_engine_input(e, &s->local, &remote, buf + off, (size_t)n - off, now);
	return true;
}

/* Up to RX_BURST datagrams per socket per wake-up: under load one poll()
 * per datagram was a tenth of the kernel time. */
#define RX_BURST 32

static void receive_burst(struct ike_engine *e, const struct sock *s)
{
	uint64_t now = now_ms();

	for (unsigned i = 0; i < RX_BURST && receive(e, s, now); i++)
		;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "initiate", required_argument, NULL, 'i' },
		{ "print-keys", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct ike_events ev = {
		.ev_send = ev_send, .ev_ike_up = ev_ike_up, .ev_ike_down = ev_ike_down,
		.ev_ike_failed = ev_ike_failed,
		.ev_child_up = ev_child_up, .ev_child_down = ev_child_down, .ev_log = ev_log,
		.ev_keepalive = ev_keepalive,
	};
	static char stderr_buf[1 << 16];
	const char *config = NULL, *initiate[16];
	unsigned n_init = 0;
	struct ike_engine *e;
	struct ip_addr local;
	int c;

	while ((c = getopt_long(argc, argv, "c:i:k", opts, NULL)) != -1) {
		if (c == 'c')
			config = optarg;
		else if (c == 'k')
			print_keys = true;
		else if (c == 'i' && n_init < 16)
			initiate[n_init++] = optarg;
		else
			return 2;
	}
	/* Flushed once per loop turn (below), not per line. */
	setvbuf(stderr, stderr_buf, _IOFBF, sizeof(stderr_buf));
	e = ike_engine_new(&ev);
	if (!config || !e || load(config, e, &local) != 0)
		return 2;
	if (open_socket(&local, IKE_PORT) || open_socket(&local, IKE_NATT_PORT))
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	for (unsigned i = 0; i < n_init; i++)
		if (ike_engine_initiate(e, initiate[i], now_ms()) < 0)
			fprintf(stderr, "ike-udp: cannot initiate %s\n", initiate[i]);
	while (!g_stop) {
		struct pollfd pfd[2] = { { .fd = socks[0].fd, .events = POLLIN },
					 { .fd = socks[1].fd, .events = POLLIN } };

		if (poll(pfd, 2, 100) > 0)
			for (unsigned i = 0; i < 2; i++)
				if (pfd[i].revents & POLLIN)
					receive_burst(e, &socks[i]);
		if (g_terminate) {
			g_terminate = 0;
			for (unsigned i = 0; i < n_ike_ids; i++)
				ike_engine_terminate(e, ike_ids[i], now_ms());
		}
		ike_engine_tick(e, now_ms());
		/* Events and log lines of this turn, in one write each. */
		fflush(stdout);
		fflush(stderr);
	}
	ike_engine_free(e);
	for (size_t i = 0; i < n_eap_passwords; i++)
		free(eap_passwords[i]);
	free(eap_passwords);
	return 0;
}
