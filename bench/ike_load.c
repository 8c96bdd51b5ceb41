/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ike_load: IKE setup load generator on lib/ike, as initiator over UDP.
 *
 * One connection to the responder; W IKE SA setups (IKE_SA_INIT + IKE_AUTH
 * with one Child SA; with --version 1 IKEv1 main mode and one quick mode)
 * are kept in flight. A setup counts when its Child SA
 * is up (child_up); the IKE SA is then deleted (the responder's table stays
 * bounded) or, with --keep, kept (memory measurements). Single-threaded:
 * one poll() loop over ports 500 and 4500 (non-ESP marker, RFC 3948) of
 * --local, ike_engine_tick every --tick-ms.
 *
 *   ike_load --local 198.18.0.1 --remote 198.18.0.2 --psk SECRET
 *            [--ike aes128gcm16-prfsha256-x25519] [--esp aes128gcm16]
 *            [--local-id ID] [--remote-id ID]
 *            [--local-ts 198.18.1.0/24] [--remote-ts 198.18.2.0/24]
 *            [--window 64] [--duration 10 | --count N] [--warmup 0]
 *            [--keep] [--timeout 10] [--tick-ms 5] [--quiet]
 *            [--cert CHAIN.pem --key KEY.pem --cacert CA.pem] [--version 2]
 *
 * With --cert, IKE_AUTH authenticates with that certificate (identity: its
 * subject DN unless --local-id) and the responder's must chain to
 * --cacert; --psk is then not needed. Prints a progress line per second
 * on stderr and, at the end, one line on stdout:
 *   ike_load: setups=N seconds=S setups_per_s=R p50_ms=A p99_ms=B
 *     failures=F timeouts=T child_refused=C start_errors=E in_flight=I
 *     established=K cpu_s=U send_errors=X ike_failed=G
 * (one line; cpu_s: this process's CPU time in the measured period). Rates, latencies and failures count the measured period
 * (after --warmup); setups still in flight at the end are not counted.
 * Exit status: 0, or 2 for bad arguments, 1 when the sockets cannot be
 * opened. It never fails on a figure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ike.h"
#include "udp_ep.h"
#include "ike_cert.h"

#define RING_BITS 20
#define RING (1u << RING_BITS) /* setups tracked by ike id (mod RING) */
#define BATCH 32
#define DGRAM_MAX (8192 + 4)

enum { S_FREE, S_PENDING, S_IKE_UP, S_DONE };

struct track {
	uint32_t id;
	uint8_t state;
	uint64_t start_us;
};

struct sock {
	int fd;
	struct ike_endpoint local;
};

static struct sock socks[2]; /* 500, 4500 */
static struct track *ring;
static volatile sig_atomic_t g_stop;

/* ids to act on once ike_engine_input has returned (no re-entry) */
static uint32_t *q_term, *q_check;
static size_t n_term, n_check, cap_term, cap_check;

static struct {
	uint64_t setups, failures, timeouts, child_refused, start_errors;
	uint64_t send_errors, ike_down_early, ike_failed;
} st;
static uint32_t *lat_us;
static size_t n_lat, cap_lat;
static unsigned in_flight, established, deleting;
static bool keep;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap * 2 : 1024;
	while (n < need)
		n *= 2;
	p = realloc(p, n * elem);
	if (!p) {
		fprintf(stderr, "ike_load: out of memory\n");
		exit(1);
	}
	*cap = n;
	return p;
}

static void queue_term(uint32_t id)
{
	q_term = grow(q_term, &cap_term, n_term + 1, sizeof(*q_term));
	q_term[n_term++] = id;
}

static void queue_check(uint32_t id)
{
	q_check = grow(q_check, &cap_check, n_check + 1, sizeof(*q_check));
	q_check[n_check++] = id;
}

static struct track *track_of(uint32_t id)
{
	struct track *t = &ring[id & (RING - 1)];

	return t->id == id && t->state != S_FREE ? t : NULL;
}

/* ---- sockets ---- */

static int open_socket(struct sock *s, const struct ip_addr *a, uint16_t port)
{
	int buf = 4 << 20;

	s->local = (struct ike_endpoint){ .ep_addr = *a, .ep_port = port };
	s->fd = udp_ep_bind(&s->local, SOCK_NONBLOCK);
	if (s->fd < 0) {
		fprintf(stderr, "ike_load: bind port %u: %s\n", port, strerror(-s->fd));
		return -1;
	}
	/* best effort: bursts of W answers must not be dropped here (the
	 * FORCE variants pass net.core.[rw]mem_max, as root) */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)))
		setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	return 0;
}

static void ev_send(void *ctx, const struct ike_endpoint *local,
		    const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	static uint8_t out[DGRAM_MAX];
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned i = local->ep_port == IKE_NATT_PORT;
	size_t off = i ? 4 : 0; /* non-ESP marker */

	(void)ctx;
	if (local->ep_port != socks[i].local.ep_port || len + off > sizeof(out)) {
		st.send_errors++;
		return;
	}
	memset(out, 0, off);
	memcpy(out + off, buf, len);
	udp_ep_to_sockaddr(remote, &ss, &sl);
	while (sendto(socks[i].fd, out, len + off, 0, (struct sockaddr *)&ss, sl) < 0) {
		if (errno == EAGAIN || errno == ENOBUFS) {
			struct pollfd p = { .fd = socks[i].fd, .events = POLLOUT };
			poll(&p, 1, 10);
			continue;
		}
		if (errno != EINTR) {
			st.send_errors++;
			return;
		}
	}
}

/* ---- events ---- */

static bool measuring;
static bool ikev1; /* the Child SA comes by a quick mode after ike_up */
static uint32_t *vips; /* the virtual addresses given (--vip), host order */
static size_t n_vips, cap_vips;

static void ev_ike_up(void *ctx, const struct ike_sa_info *sa)
{
	struct track *t = track_of(sa->si_id);

	(void)ctx;
	if (!t || t->state != S_PENDING)
		return;
	t->state = S_IKE_UP;
	if (sa->si_vip.family == AF_INET) {
		vips = grow(vips, &cap_vips, n_vips + 1, sizeof(*vips));
		vips[n_vips++] = ip_addr_v4_host(&sa->si_vip);
	}
	/* IKEv2: child_up follows in the same call, or the Child SA was
	 * refused; IKEv1: a quick mode follows (its timeout applies) */
	if (!ikev1)
		queue_check(sa->si_id);
}

static void ev_child_up(void *ctx, const struct ike_child_info *ci)
{
	struct track *t = track_of(ci->ci_ike_id);

	(void)ctx;
	if (!t || (t->state != S_PENDING && t->state != S_IKE_UP))
		return;
	t->state = S_DONE;
	in_flight--;
	established++;
	if (measuring) {
		lat_us = grow(lat_us, &cap_lat, n_lat + 1, sizeof(*lat_us));
		lat_us[n_lat++] = (uint32_t)(now_us() - t->start_us);
		st.setups++;
	}
	if (!keep)
		queue_term(ci->ci_ike_id);
}

static void ev_ike_down(void *ctx, const struct ike_sa_info *sa)
{
	struct track *t = track_of(sa->si_id);

	(void)ctx;
	if (!t)
		return;
	if (t->state == S_DONE) {
		established--;
		if (!keep && deleting)
			deleting--;
	} else {
		/* up, but gone before its Child SA */
		in_flight--;
		if (measuring)
			st.failures++, st.ike_down_early++;
	}
	t->state = S_FREE;
}

/* An initiation lib/ike gave up (no answer, refused, authentication). */
static void ev_ike_failed(void *ctx, const struct ike_sa_info *sa)
{
	struct track *t = track_of(sa->si_id);

	(void)ctx;
	if (!t || t->state == S_DONE)
		return;
	in_flight--;
	if (measuring)
		st.failures++, st.ike_failed++;
	t->state = S_FREE;
}

static void ev_child_down(void *ctx, const struct ike_child_info *ci)
{
	(void)ctx;
	(void)ci;
}

/* ---- configuration ---- */

static int parse_ts(const char *s, struct ike_ts_cfg *t)
{
	memset(t, 0, sizeof(*t));
	if (!ip_prefix_parse(s, &t->tc_prefix))
		return -EINVAL;
	t->tc_port_hi = 65535;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ike_load --local ADDR --remote ADDR --psk SECRET\n"
		"  [--ike PROPOSAL] (aes128gcm16-prfsha256-x25519)  [--esp PROPOSAL] (aes128gcm16)\n"
		"  [--local-id ID] [--remote-id ID]\n"
		"  [--local-ts PREFIX] (198.18.1.0/24)  [--remote-ts PREFIX] (198.18.2.0/24)\n"
		"  [--window W] (64)  [--duration S] (10)  [--count N] (stop after N setups)\n"
		"  [--warmup S] (0)  [--keep] (keep the SAs; default: delete each once up)\n"
		"  [--timeout S] (10: a setup not up by then fails)  [--tick-ms MS] (5)\n"
		"  [--quiet] (no progress lines)\n"
		"  [--cert CHAIN.pem --key KEY.pem --cacert CA.pem] (certificates instead of --psk)\n"
		"  [--version 1|2] (2; 1: IKEv1 main mode and one quick mode)\n"
		"  [--eap-clients N --eap-password PW --cacert CA.pem] (N road warriors user0..userN-1,\n"
		"   EAP-MSCHAPv2, the responder by its certificate; setups go round them)\n"
		"  [--vip] (each asks for a virtual IPv4 address: CFG_REQUEST)\n"
		"  [--hold S] (with --keep: go on answering S seconds after the last setup, or until\n"
		"   SIGTERM, the result line printed first)\n");
}

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_ms(double p)
{
	size_t i;

	if (!n_lat)
		return 0;
	i = (size_t)(p * (double)(n_lat - 1) + 0.5);
	return lat_us[i] / 1000.0;
}

static void receive(struct ike_engine *e, const struct sock *s)
{
	static uint8_t bufs[BATCH][DGRAM_MAX];
	struct sockaddr_storage ss[BATCH];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	int n;

	for (int round = 0; round < 8; round++) {
		for (unsigned i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = DGRAM_MAX };
			mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &ss[i],
							       .msg_namelen = sizeof(ss[i]),
							       .msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		n = recvmmsg(s->fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			struct ike_endpoint remote;
			size_t len = mm[i].msg_len, off = 0;

			if (s->local.ep_port == IKE_NATT_PORT) {
				if (len < 4 || bufs[i][0] || bufs[i][1] || bufs[i][2] || bufs[i][3])
					continue; /* ESP, keepalive */
				off = 4;
			}
			udp_ep_from_sockaddr(&ss[i], &remote);
			ike_engine_input(e, &s->local, &remote, bufs[i] + off, len - off,
					 now_us() / 1000);
		}
		if (n < BATCH)
			return;
	}
}

/* After input: Child SAs refused, setups done to delete. */
static void settle(struct ike_engine *e)
{
	for (size_t i = 0; i < n_check; i++) {
		struct track *t = track_of(q_check[i]);

		if (!t || t->state != S_IKE_UP)
			continue;
		/* IKE SA up without its Child SA */
		t->state = S_FREE;
		in_flight--;
		if (measuring)
			st.failures++, st.child_refused++;
		ike_engine_terminate(e, q_check[i], now_us() / 1000);
	}
	n_check = 0;
	for (size_t i = 0; i < n_term; i++)
		if (ike_engine_terminate(e, q_term[i], now_us() / 1000) == 0)
			deleting++;
	n_term = 0;
}

/* The connection, or (eap_clients) one per road warrior: rwK as userK
 * with EAP-MSCHAPv2 and no PSK. */
static int add_conns(struct ike_engine *e, struct ike_conn_cfg *c, unsigned eap_clients,
		     const char *pw)
{
	if (!eap_clients)
		return ike_engine_add_conn(e, c);
	c->c_psk_len = 0;
	c->c_eap_password = pw;
	c->c_eap_password_len = (uint16_t)strlen(pw);
	for (unsigned k = 0; k < eap_clients; k++) {
		char id[32];

		snprintf(c->c_name, sizeof(c->c_name), "rw%u", k);
		snprintf(id, sizeof(id), "user%u", k);
		if (udp_ep_parse_id(id, &c->c_local_id) != 0 || ike_engine_add_conn(e, c) != 0)
			return -1;
	}
	return 0;
}

/* --vip: how many addresses were given and how many of them twice (with
 * --keep every client holds its own at once: none may repeat). */
static void print_vips(void)
{
	size_t dup = 0;

	qsort(vips, n_vips, sizeof(*vips), cmp_u32);
	for (size_t i = 1; i < n_vips; i++)
		dup += vips[i] == vips[i - 1];
	printf("ike_load: vips=%zu vip_duplicates=%zu\n", n_vips, dup);
}

static void print_result(double secs, double cpu, bool vip)
{
	if (n_lat)
		qsort(lat_us, n_lat, sizeof(*lat_us), cmp_u32);
	if (vip)
		print_vips(); /* the line before the result, which stays last */
	printf("ike_load: setups=%llu seconds=%.3f setups_per_s=%.1f p50_ms=%.3f p99_ms=%.3f "
	       "failures=%llu timeouts=%llu child_refused=%llu start_errors=%llu "
	       "in_flight=%u established=%u cpu_s=%.3f send_errors=%llu ike_failed=%llu\n",
	       (unsigned long long)st.setups, secs, secs > 0 ? st.setups / secs : 0.0,
	       pct_ms(0.50), pct_ms(0.99), (unsigned long long)st.failures,
	       (unsigned long long)st.timeouts, (unsigned long long)st.child_refused,
	       (unsigned long long)st.start_errors, in_flight, established, cpu,
	       (unsigned long long)st.send_errors, (unsigned long long)st.ike_failed);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "local", required_argument, NULL, 'l' },
		{ "remote", required_argument, NULL, 'r' },
		{ "psk", required_argument, NULL, 'p' },
		{ "ike", required_argument, NULL, 'I' },
		{ "esp", required_argument, NULL, 'E' },
		{ "local-id", required_argument, NULL, 'a' },
		{ "remote-id", required_argument, NULL, 'b' },
		{ "local-ts", required_argument, NULL, 'x' },
		{ "remote-ts", required_argument, NULL, 'y' },
		{ "window", required_argument, NULL, 'w' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "keep", no_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 't' },
		{ "tick-ms", required_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "cacert", required_argument, NULL, 'A' },
		{ "version", required_argument, NULL, 'V' },
		{ "eap-clients", required_argument, NULL, 'c' },
		{ "eap-password", required_argument, NULL, 'P' },
		{ "vip", no_argument, NULL, 'v' },
		{ "hold", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ike_events ev = {
		.ev_send = ev_send, .ev_ike_up = ev_ike_up, .ev_ike_down = ev_ike_down,
		.ev_ike_failed = ev_ike_failed,
		.ev_child_up = ev_child_up, .ev_child_down = ev_child_down,
	};
	const char *local = NULL, *remote = NULL, *psk = NULL, *lid = NULL, *rid = NULL;
	const char *ike = "aes128gcm16-prfsha256-x25519", *esp = "aes128gcm16";
	const char *lts = "198.18.1.0/24", *rts = "198.18.2.0/24";
	const char *cert = NULL, *key = NULL, *ca = NULL;
	struct ike_credential *cred = NULL;
	struct ike_trust *trust = NULL;
	unsigned window = 64, tick_ms = 5;
	double duration = 10, warmup = 0, timeout = 10, hold = 0;
	unsigned long long count = 0;
	bool quiet = false, vip = false;
	unsigned eap_clients = 0;
	const char *eap_pw = NULL;
	static struct ike_conn_cfg c;
	struct ike_child_cfg *cc = &c.c_child[0];
	struct ike_engine *e;
	char err[128];
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'l': local = optarg; break;
		case 'r': remote = optarg; break;
		case 'p': psk = optarg; break;
		case 'I': ike = optarg; break;
		case 'E': esp = optarg; break;
		case 'a': lid = optarg; break;
		case 'b': rid = optarg; break;
		case 'x': lts = optarg; break;
		case 'y': rts = optarg; break;
		case 'w': window = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'd': duration = strtod(optarg, NULL); break;
		case 'n': count = strtoull(optarg, NULL, 0); break;
		case 'W': warmup = strtod(optarg, NULL); break;
		case 'k': keep = true; break;
		case 't': timeout = strtod(optarg, NULL); break;
		case 'T': tick_ms = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'q': quiet = true; break;
		case 'C': cert = optarg; break;
		case 'K': key = optarg; break;
		case 'A': ca = optarg; break;
		case 'V': ikev1 = strcmp(optarg, "1") == 0; break;
		case 'c': eap_clients = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'P': eap_pw = optarg; break;
		case 'v': vip = true; break;
		case 'H': hold = strtod(optarg, NULL); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!psk)
		psk = "";
	if (eap_clients && (!eap_pw || !ca || cert || ikev1 || strlen(eap_pw) > UINT16_MAX)) {
		usage(stderr);
		return 2;
	}
	if (!local || !remote || (!*psk && !cert && !eap_clients) || !window || window >= RING / 2 ||
	    !tick_ms || strlen(psk) > IKE_PSK_MAX ||
	    (!eap_clients && (cert || key || ca) != (cert && key && ca))) {
		usage(stderr);
		return 2;
	}
	if (count)
		duration = 0; /* --count: until N setups (no warm-up) */

	snprintf(c.c_name, sizeof(c.c_name), "load");
	c.c_version = ikev1 ? IKE_VERSION_1 : IKE_VERSION_2;
	if (!ip_addr_parse(local, &c.c_local.ep_addr) ||
	    !ip_addr_parse(remote, &c.c_remote.ep_addr)) {
		fprintf(stderr, "ike_load: bad --local / --remote\n");
		return 2;
	}
	c.c_local.ep_port = c.c_remote.ep_port = IKE_PORT;
	if ((lid && udp_ep_parse_id(lid, &c.c_local_id)) || (rid && udp_ep_parse_id(rid, &c.c_remote_id))) {
		fprintf(stderr, "ike_load: bad identity\n");
		return 2;
	}
	if (cert) {
		int rc = ike_cred_load(cert, key, &cred);

		if (rc == 0)
			rc = ike_trust_load(&ca, 1, &trust);
		if (rc != 0) {
			fprintf(stderr, "ike_load: --cert/--key/--cacert: %s\n", strerror(-rc));
			return 2;
		}
		c.c_cred = cred;
		c.c_trust = trust;
	} else if (ca) {
		int rc = ike_trust_load(&ca, 1, &trust);

		if (rc != 0) {
			fprintf(stderr, "ike_load: --cacert: %s\n", strerror(-rc));
			return 2;
		}
		c.c_trust = trust;
	}
	c.c_psk_len = (uint16_t)strlen(psk);
	memcpy(c.c_psk, psk, c.c_psk_len);
	c.c_dpd_timeout_s = 30;
	if (ike_prop_parse(ike, IKE_PROTO_IKE, &c.c_ike[0], err, sizeof(err)) != 0) {
		fprintf(stderr, "ike_load: --ike %s: %s\n", ike, err);
		return 2;
	}
	c.c_n_ike = 1;
	snprintf(cc->cc_name, sizeof(cc->cc_name), "load");
	if (parse_ts(lts, &cc->cc_local[0]) || parse_ts(rts, &cc->cc_remote[0])) {
		fprintf(stderr, "ike_load: bad --local-ts / --remote-ts\n");
		return 2;
	}
	cc->cc_n_local = cc->cc_n_remote = 1;
	if (ike_prop_parse(esp, IKE_PROTO_ESP, &cc->cc_esp[0], err, sizeof(err)) != 0) {
		fprintf(stderr, "ike_load: --esp %s: %s\n", esp, err);
		return 2;
	}
	cc->cc_n_esp = 1;
	c.c_n_child = 1;

	c.c_ask_vip4 = vip;
	ring = calloc(RING, sizeof(*ring));
	e = ike_engine_new(&ev);
	if (!ring || !e || add_conns(e, &c, eap_clients, eap_pw) != 0) {
		fprintf(stderr, "ike_load: cannot set up the engine\n");
		return 2;
	}
	if (open_socket(&socks[0], &c.c_local.ep_addr, IKE_PORT) ||
	    open_socket(&socks[1], &c.c_local.ep_addr, IKE_NATT_PORT))
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	uint64_t t0 = now_us(), t_meas = t0 + (uint64_t)(warmup * 1e6), t_end = 0;
	uint64_t last_tick = 0, last_report = t0, tmo_us = (uint64_t)(timeout * 1e6);
	uint64_t started = 0, last_setups = 0, meas_t0 = t0, n_started_all = 0, held_since = 0;
	double cpu_meas = cpu_s(), cpu_end = 0;
	uint32_t oldest = 0, newest = 0; /* ids that may still be in flight */
	bool stopping = false;

	if (count)
		warmup = 0;
	measuring = warmup <= 0;
	for (;;) {
		uint64_t now = now_us();

		if (!measuring && !stopping && now >= t_meas) {
			measuring = true;
			meas_t0 = now;
			cpu_meas = cpu_s();
		}
		if (!stopping &&
		    (g_stop || (duration > 0 && now - t0 >= (uint64_t)((warmup + duration) * 1e6)) ||
		     (count && st.setups + st.failures >= count))) {
			stopping = true;
			measuring = false; /* what completes while draining is not counted */
			t_end = now;
			cpu_end = cpu_s();
		}
		/* keep W setups in flight */
		while (!stopping && in_flight < window && (!count || started < count)) {
			char name[IKE_NAME_MAX] = "load";
			int id;

			if (eap_clients)
				snprintf(name, sizeof(name), "rw%llu",
					 (unsigned long long)(n_started_all++ % eap_clients));
			id = ike_engine_initiate(e, name, now / 1000);

			if (id < 0) {
				if (measuring)
					st.start_errors++, st.failures++;
				break;
			}
			ring[(uint32_t)id & (RING - 1)] = (struct track){
				.id = (uint32_t)id, .state = S_PENDING, .start_us = now };
			if (!oldest)
				oldest = (uint32_t)id;
			newest = (uint32_t)id;
			in_flight++;
			if (measuring)
				started++;
		}
		if (stopping && (in_flight == 0 || now - t_end > tmo_us + 1000000) &&
		    (keep || deleting == 0 || now - t_end > 3000000)) {
			/* --hold: the result now, then the SAs stay answered */
			if (hold <= 0 || g_stop || (held_since && now - held_since > hold * 1e6))
				break;
			if (!held_since) {
				held_since = now;
				print_result((t_end - meas_t0) / 1e6, cpu_end - cpu_meas, vip);
			}
		}

		struct pollfd pfd[2] = { { .fd = socks[0].fd, .events = POLLIN },
					 { .fd = socks[1].fd, .events = POLLIN } };
		if (poll(pfd, 2, (int)tick_ms) > 0)
			for (unsigned i = 0; i < 2; i++)
				if (pfd[i].revents & POLLIN) {
					receive(e, &socks[i]);
					settle(e);
				}
		now = now_us();
		if (now - last_tick >= (uint64_t)tick_ms * 1000) {
			last_tick = now;
			ike_engine_tick(e, now / 1000);
			/* Setups are started in id order: from the oldest, skip
			 * the settled; one not up after --timeout fails (before
			 * lib/ike's own retransmissions give up: ev_ike_failed). */
			while (oldest && oldest <= newest) {
				struct track *t = &ring[oldest & (RING - 1)];
				bool live = t->id == oldest &&
					    (t->state == S_PENDING || t->state == S_IKE_UP);

				if (live && now - t->start_us < tmo_us && newest - oldest < RING / 2)
					break;
				if (live) {
					t->state = S_FREE;
					in_flight--;
					if (measuring)
						st.failures++, st.timeouts++;
					ike_engine_terminate(e, oldest, now / 1000);
				}
				oldest++;
			}
		}
		if (!quiet && now - last_report >= 1000000) {
			fprintf(stderr,
				"ike_load: %5.1f s  setups %llu (%.0f/s)  failures %llu  in flight %u  established %u  engine SAs %u\n",
				(now - t0) / 1e6, (unsigned long long)st.setups,
				(st.setups - last_setups) * 1e6 / (double)(now - last_report),
				(unsigned long long)st.failures, in_flight, established,
				ike_engine_sa_count(e));
			last_setups = st.setups;
			last_report = now;
		}
	}

	if (!held_since)
		print_result((t_end - meas_t0) / 1e6, cpu_end - cpu_meas, vip);
	ike_engine_free(e);
	ike_cred_free(cred);
	ike_trust_free(trust);
	close(socks[0].fd);
	close(socks[1].fd);
	free(ring);
	free(lat_us);
	free(vips);
	free(q_term);
	free(q_check);
	return 0;
}
