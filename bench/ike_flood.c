/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ike_flood: IKEv2 flood generator for bench/ike_flood.sh (issue 16 item 4).
 * Builds the datagrams itself (RFC 7296 §3); no engine, no keys.
 *
 *   ike_flood init --dst A --src-net 198.19.0.0 --src-count N --seconds S [--pps R]
 *       IKE_SA_INIT requests as fast as one core sends them, through a raw
 *       socket (IP_HDRINCL) from source addresses src-net + (i mod N),
 *       UDP 500 -> 500; each with a fresh SPIi, a fresh 32-byte nonce and a
 *       fresh X25519 public value (any 32 bytes are one, RFC 7748 §5),
 *       offering aes128gcm16-prfsha256-x25519. Nobody answers cookies: the
 *       sources are spoofed (their replies are blackholed).
 *       With --pps, at most R requests a second (paced by nanosleep).
 *   ike_flood auth --dst A --src ADDR[,ADDR...] --sas K --seconds S
 *       K half-open IKE SAs made from the local addresses (a COOKIE is
 *       returned when the responder asks), then IKE_AUTH requests (message
 *       ID 1, an SK payload of random bytes: its ICV cannot verify) on them,
 *       round robin, as fast as possible.
 *   ike_flood retx --dst A --src ADDR --seconds S
 *       one IKE_SA_INIT answered (with its COOKIE if asked), then that same
 *       request again as fast as possible: every copy should be answered
 *       from the kept response.
 *
 * Prints one line on stdout:
 *   ike_flood: mode=M sent=N seconds=S pps=R replies=P send_errors=E sas=K
 * Exit status 0, 2 for bad arguments, 1 when it cannot run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IKE_PORT 500
#define MAX_SAS 4096
#define MAX_SRCS 64
#define N_COOKIE 16390 /* RFC 7296 §3.10.1 */

static uint64_t rng_state;

/* splitmix64, seeded from getrandom: fresh values at line rate. */
static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rnd_fill(uint8_t *p, size_t n)
{
	while (n) {
		uint64_t v = rnd64();
		size_t k = n < 8 ? n : 8;

		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* The SA payload's one proposal: ENCR_AES_GCM_16 (20) with key length 128,
 * PRF_HMAC_SHA2_256 (5), DH 31 (Curve25519); RFC 7296 §3.3. */
static const uint8_t sa_body[] = {
	0, 0, 0, 36, 1, 1, 0, 3,                        /* proposal 1, IKE, 3 transforms */
	3, 0, 0, 12, 1, 0, 0, 20, 0x80, 0x0e, 0, 128,   /* ENCR 20, key length 128 */
	3, 0, 0, 8, 2, 0, 0, 5,                         /* PRF 5 */
	0, 0, 0, 8, 4, 0, 0, 31,                        /* DH 31 */
};

/* An IKE_SA_INIT request in out (with N(COOKIE) first when cookie_len);
 * its length. SPIi, nonce and KE fresh. */
static size_t build_init(uint8_t *out, const uint8_t *cookie, size_t cookie_len)
{
	size_t o = 28;

	rnd_fill(out, 8);                      /* SPIi */
	memset(out + 8, 0, 8);                 /* SPIr */
	out[17] = 0x20;                        /* version 2.0 */
	out[18] = 34;                          /* IKE_SA_INIT */
	out[19] = 0x08;                        /* Initiator */
	put32(out + 20, 0);
	if (cookie_len) {                      /* §2.6: N(COOKIE) first */
		out[16] = 41;
		out[o] = 33, out[o + 1] = 0, put16(out + o + 2, (uint16_t)(8 + cookie_len));
		out[o + 4] = 0, out[o + 5] = 0, put16(out + o + 6, N_COOKIE);
		memcpy(out + o + 8, cookie, cookie_len);
		o += 8 + cookie_len;
	} else {
		out[16] = 33;
	}
	out[o] = 34, out[o + 1] = 0, put16(out + o + 2, 4 + sizeof(sa_body));
	memcpy(out + o + 4, sa_body, sizeof(sa_body));
	o += 4 + sizeof(sa_body);
	out[o] = 40, out[o + 1] = 0, put16(out + o + 2, 8 + 32); /* KE */
	put16(out + o + 4, 31), put16(out + o + 6, 0);
	rnd_fill(out + o + 8, 32);
	o += 40;
	out[o] = 0, out[o + 1] = 0, put16(out + o + 2, 4 + 32); /* Nonce */
	rnd_fill(out + o + 4, 32);
	o += 36;
	put32(out + 24, (uint32_t)o);
	return o;
}

/* An IKE_AUTH request on (spi_i, spi_r): message ID 1, an SK payload of
 * 8 bytes of IV, 64 of "ciphertext" and a 16-byte ICV, all random. */
static size_t build_auth(uint8_t *out, const uint8_t *spi_i, const uint8_t *spi_r)
{
	size_t sk = 4 + 8 + 64 + 16;

	memcpy(out, spi_i, 8);
	memcpy(out + 8, spi_r, 8);
	out[16] = 46, out[17] = 0x20, out[18] = 35, out[19] = 0x08;
	put32(out + 20, 1);
	put32(out + 24, (uint32_t)(28 + sk));
	out[28] = 35, out[29] = 0, put16(out + 30, (uint16_t)sk); /* SK, inner IDi */
	rnd_fill(out + 32, sk - 4);
	return 28 + sk;
}

/* ---- raw sender (init) ---- */

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += get16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

/* IPv4 + UDP headers before an IKE message of len bytes at pkt + 28. */
static size_t build_ip_udp(uint8_t *pkt, uint32_t src, uint32_t dst, size_t len)
{
	uint8_t *u = pkt + 20, ph[12];
	size_t ulen = 8 + len;
	uint32_t s;

	memset(pkt, 0, 28);
	pkt[0] = 0x45, put16(pkt + 2, (uint16_t)(20 + ulen));
	pkt[8] = 64, pkt[9] = IPPROTO_UDP;
	put32(pkt + 12, src), put32(pkt + 16, dst);
	put16(pkt + 10, csum_fold(csum_add(0, pkt, 20)));
	put16(u, IKE_PORT), put16(u + 2, IKE_PORT), put16(u + 4, (uint16_t)ulen);
	memcpy(ph, pkt + 12, 8);
	ph[8] = 0, ph[9] = IPPROTO_UDP, put16(ph + 10, (uint16_t)ulen);
	s = csum_add(csum_add(0, ph, 12), u, ulen);
	put16(u + 6, csum_fold(s) ? csum_fold(s) : 0xffff);
	return 20 + ulen;
}

struct stats {
	uint64_t sent, replies, send_errors, sas;
	double seconds;
};

/* With a rate set (pps > 0), sleeps until packet i's time, t0 + i/pps;
 * the clock is read every 16 packets so the pacing costs little. */
static void pace(uint64_t i, double pps, double t0)
{
	double ahead;

	if (pps <= 0 || (i & 15))
		return;
	ahead = t0 + (double)i / pps - now_s();
	if (ahead > 50e-6) {
		struct timespec ts = { (time_t)ahead, (long)((ahead - (double)(time_t)ahead) * 1e9) };

		nanosleep(&ts, NULL);
	}
}

static int run_init(uint32_t dst, uint32_t src_net, uint32_t src_count, double secs,
		    double pps, struct stats *st)
{
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW), buf = 4 << 20;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(dst) };
	uint8_t pkt[512];
	double t0 = now_s(), end = t0 + secs;

	if (fd < 0) {
		perror("ike_flood: raw socket");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
	for (uint64_t i = 0;; i++) {
		if ((i & 63) == 0 && now_s() >= end)
			break;
		pace(i, pps, t0);
		size_t len = build_init(pkt + 28, NULL, 0);
		size_t n = build_ip_udp(pkt, src_net + (uint32_t)(i % src_count), dst, len);

		if (sendto(fd, pkt, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			st->send_errors++;
			if (errno == ENOBUFS || errno == EAGAIN)
				usleep(50);
		} else {
			st->sent++;
		}
	}
	st->seconds = now_s() - t0;
	close(fd);
	return 0;
}

/* ---- UDP sockets (auth, retx) ---- */

static int udp_open(uint32_t src)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), buf = 4 << 20;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(src) };

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("ike_flood: udp socket");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
	return fd;
}

static ssize_t udp_send(int fd, uint32_t dst, const uint8_t *b, size_t n)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(IKE_PORT),
				  .sin_addr.s_addr = htonl(dst) };

	return sendto(fd, b, n, 0, (struct sockaddr *)&to, sizeof(to));
}

/* Reads datagrams until one answers spi_i, for at most 2 s; its length or
 * -1. */
static ssize_t recv_answer(int fd, const uint8_t *spi_i, uint8_t *b, size_t cap)
{
	double end = now_s() + 2;

	while (now_s() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, b, cap, 0);
		if (n >= 28 && memcmp(b, spi_i, 8) == 0 && (b[19] & 0x20))
			return n;
	}
	return -1;
}

/* The N(COOKIE) data of an IKE_SA_INIT response (first payload), or 0. */
static size_t cookie_of(const uint8_t *b, size_t n, uint8_t *cookie, size_t cap)
{
	size_t plen;

	if (b[16] != 41 || n < 36 || get16(b + 34) != N_COOKIE)
		return 0;
	plen = get16(b + 30);
	if (plen < 8 || plen - 8 > cap || 28 + plen > n)
		return 0;
	memcpy(cookie, b + 36, plen - 8);
	return plen - 8;
}

/* One IKE_SA_INIT exchange from fd, with the COOKIE round if asked: the
 * request last sent in req (*req_len), the responder's SPI in spi_r;
 * false when it was not answered with an SA. */
static bool handshake(int fd, uint32_t dst, uint8_t *req, size_t *req_len, uint8_t *spi_r)
{
	uint8_t resp[2048], cookie[64];
	size_t clen = 0;

	for (int round = 0; round < 2; round++) {
		*req_len = build_init(req, cookie, clen);
		if (udp_send(fd, dst, req, *req_len) < 0)
			return false;
		ssize_t n = recv_answer(fd, req, resp, sizeof(resp));
		if (n < 0)
			return false;
		clen = cookie_of(resp, (size_t)n, cookie, sizeof(cookie));
		if (clen)
			continue;
		memcpy(spi_r, resp + 8, 8);
		return resp[16] == 33; /* SA first: accepted */
	}
	return false;
}

static uint64_t drain(int fd)
{
	uint8_t b[2048];
	uint64_t n = 0;

	while (recv(fd, b, sizeof(b), 0) >= 0)
		n++;
	return n;
}

static void send_counted(int fd, uint32_t dst, const uint8_t *b, size_t n, struct stats *st)
{
	if (udp_send(fd, dst, b, n) < 0) {
		st->send_errors++;
		if (errno == ENOBUFS || errno == EAGAIN)
			usleep(50);
	} else {
		st->sent++;
	}
}

static int run_auth(uint32_t dst, const uint32_t *srcs, unsigned n_src, unsigned want,
		    double secs, struct stats *st)
{
	static uint8_t spis[MAX_SAS][16];
	int fds[MAX_SRCS], sa_fd[MAX_SAS];
	uint8_t req[512];
	size_t len;
	unsigned k = 0;

	for (unsigned i = 0; i < n_src; i++)
		if ((fds[i] = udp_open(srcs[i])) < 0)
			return -1;
	for (unsigned tries = 0; k < want && tries < 2 * want; tries++) {
		int fd = fds[tries % n_src];

		if (handshake(fd, dst, req, &len, spis[k] + 8)) {
			memcpy(spis[k], req, 8);
			sa_fd[k++] = fd;
		}
	}
	st->sas = k;
	if (!k) {
		fprintf(stderr, "ike_flood: no half-open SA made\n");
		return -1;
	}
	double t0 = now_s(), end = t0 + secs;
	for (uint64_t i = 0;; i++) {
		if ((i & 63) == 0) {
			if (now_s() >= end)
				break;
			for (unsigned s = 0; s < n_src; s++)
				st->replies += drain(fds[s]);
		}
		unsigned s = (unsigned)(i % k);
		len = build_auth(req, spis[s], spis[s] + 8);
		send_counted(sa_fd[s], dst, req, len, st);
	}
	st->seconds = now_s() - t0;
	usleep(200000);
	for (unsigned s = 0; s < n_src; s++)
		st->replies += drain(fds[s]);
	return 0;
}

static int run_retx(uint32_t dst, uint32_t src, double secs, struct stats *st)
{
	int fd = udp_open(src);
	uint8_t req[512], spi_r[8];
	size_t len;

	if (fd < 0)
		return -1;
	if (!handshake(fd, dst, req, &len, spi_r)) {
		fprintf(stderr, "ike_flood: IKE_SA_INIT not answered\n");
		return -1;
	}
	st->sas = 1;
	double t0 = now_s(), end = t0 + secs;
	for (uint64_t i = 0;; i++) {
		if ((i & 63) == 0) {
			if (now_s() >= end)
				break;
			st->replies += drain(fd);
		}
		send_counted(fd, dst, req, len, st);
	}
	st->seconds = now_s() - t0;
	usleep(200000);
	st->replies += drain(fd);
	return 0;
}

static bool parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return true;
}

static int usage(void)
{
	fprintf(stderr, "usage: ike_flood init|auth|retx --dst A [--src-net N --src-count C] "
			"[--src A[,A...]] [--sas K] [--seconds S] [--pps R]\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint32_t dst = 0, src_net = 0, srcs[MAX_SRCS];
	unsigned src_count = 1024, n_src = 0, sas = 64;
	double secs = 5, pps = 0;
	struct stats st = { 0 };
	int rc;

	if (argc < 2 || getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state))
		return usage();
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];

		if (!strcmp(o, "--dst") && parse_ip(v, &dst))
			continue;
		if (!strcmp(o, "--src-net") && parse_ip(v, &src_net))
			continue;
		if (!strcmp(o, "--src-count") && (src_count = (unsigned)atoi(v)) > 0)
			continue;
		if (!strcmp(o, "--sas") && (sas = (unsigned)atoi(v)) > 0 && sas <= MAX_SAS)
			continue;
		if (!strcmp(o, "--seconds") && (secs = atof(v)) > 0)
			continue;
		if (!strcmp(o, "--pps") && (pps = atof(v)) > 0)
			continue;
		if (!strcmp(o, "--src")) {
			char *copy = strdup(v), *save = NULL;
			for (char *t = strtok_r(copy, ",", &save); t && n_src < MAX_SRCS;
			     t = strtok_r(NULL, ",", &save))
				if (!parse_ip(t, &srcs[n_src++]))
					return usage();
			free(copy);
			continue;
		}
		return usage();
	}
	if (!dst)
		return usage();
	if (!strcmp(argv[1], "init") && src_net)
		rc = run_init(dst, src_net, src_count, secs, pps, &st);
	else if (!strcmp(argv[1], "auth") && n_src)
		rc = run_auth(dst, srcs, n_src, sas, secs, &st);
	else if (!strcmp(argv[1], "retx") && n_src)
		rc = run_retx(dst, srcs[0], secs, &st);
	else
		return usage();
	if (rc)
		return 1;
	printf("ike_flood: mode=%s sent=%llu seconds=%.2f pps=%.0f replies=%llu send_errors=%llu sas=%llu\n",
	       argv[1], (unsigned long long)st.sent, st.seconds,
	       st.seconds > 0 ? st.sent / st.seconds : 0, (unsigned long long)st.replies,
	       (unsigned long long)st.send_errors, (unsigned long long)st.sas);
	return 0;
}
