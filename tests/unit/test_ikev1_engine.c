/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two engines whose connections speak IKEv1 (RFC 2409), in one process,
 * their datagrams carried by a queue the test controls (dropped,
 * duplicated, altered or delivered): main and aggressive mode with a
 * PSK, main mode with certificates (cut into fragments too), one quick
 * mode; and mainly what they
 * do with bad input: wrong keys, forged hashes, proposals and proxy IDs
 * nobody takes, tampered, truncated and malformed datagrams, repeats.
 * The fixture is test_ike_engine.c's; interoperability is
 * tests/e2e/ikev1_strongswan.sh's job.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike.h"
#include "ike_cert.h"
#include "ike_sa.h" /* IKEV1_FIRST_FRAG_SLOTS */
#include "ikev1.h"   /* the scripted XAUTH client uses the SA's keys */
#include "ikev1_msg.h"
#include "free_watch.h"
#include "pki_fixture.h"

#define QMAX 64
#define LOG_MAX 512
#define PSK "s3cret-s3cret"
#define IKE_P "aes128-sha256-modp2048"
#define ESP_P "aes128-sha256"

struct dgram {
	int to; /* engine index */
	struct ike_endpoint local, remote;
	uint8_t buf[8192];
	size_t len;
};

struct side {
	struct ike_engine *e;
	int index;
	unsigned ike_up, ike_down, child_up, child_down, ike_failed;
	struct ike_sa_info up_info;
	struct ike_child_info child;
	uint8_t encr_in[64], encr_out[64], integ_in[64], integ_out[64];
	char last_down[64], last_failed[64];
	uint32_t down_spi_in; /* of the last child_down */
	char log[LOG_MAX][200];
	unsigned n_log;
};

static struct side sides[2];
static struct dgram queue[QMAX];
static unsigned qn;
static uint64_t now;

static void ev_send(void *ctx, const struct ike_endpoint *local,
		    const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	struct side *s = ctx;

	cr_assert_lt(qn, QMAX);
	cr_assert_leq(len, sizeof(queue[0].buf));
	queue[qn] = (struct dgram){ .to = 1 - s->index, .local = *remote, .remote = *local,
				    .len = len };
	memcpy(queue[qn].buf, buf, len);
	qn++;
}

static void ev_ike_up(void *ctx, const struct ike_sa_info *sa)
{
	struct side *s = ctx;

	s->ike_up++;
	s->up_info = *sa;
}

static void ev_ike_down(void *ctx, const struct ike_sa_info *sa)
{
	struct side *s = ctx;

	s->ike_down++;
	snprintf(s->last_down, sizeof(s->last_down), "%s", sa->si_reason ? sa->si_reason : "");
}

static void ev_ike_failed(void *ctx, const struct ike_sa_info *sa)
{
	struct side *s = ctx;

	s->ike_failed++;
	snprintf(s->last_failed, sizeof(s->last_failed), "%s", sa->si_reason ? sa->si_reason : "");
}

static void ev_child_up(void *ctx, const struct ike_child_info *ci)
{
	struct side *s = ctx;

	s->child_up++;
	s->child = *ci;
	cr_assert_leq(ci->ci_encr_len, sizeof(s->encr_in));
	cr_assert_leq(ci->ci_integ_len, sizeof(s->integ_in));
	memcpy(s->encr_in, ci->ci_encr_in, ci->ci_encr_len);
	memcpy(s->encr_out, ci->ci_encr_out, ci->ci_encr_len);
	memcpy(s->integ_in, ci->ci_integ_in, ci->ci_integ_len);
	memcpy(s->integ_out, ci->ci_integ_out, ci->ci_integ_len);
}

static void ev_child_down(void *ctx, const struct ike_child_info *ci)
{
	struct side *s = ctx;

	s->child_down++;
	s->down_spi_in = ci->ci_spi_in;
}

static void ev_log(void *ctx, enum ike_log_level level, const struct ike_log_fields *f,
		   const char *line)
{
	(void)f;
	struct side *s = ctx;

	(void)level;
	if (s->n_log < LOG_MAX)
		snprintf(s->log[s->n_log++], sizeof(s->log[0]), "%s", line);
}

/* Whether side i logged a line containing text (the queued lines are
 * flushed first). */
static bool logged(int i, const char *text)
{
	ike_engine_flush_log(sides[i].e);
	for (unsigned k = 0; k < sides[i].n_log; k++)
		if (strstr(sides[i].log[k], text))
			return true;
	return false;
}

static struct ike_stats stats(int i)
{
	struct ike_stats st;

	ike_engine_stats(sides[i].e, &st);
	return st;
}

static struct ike_endpoint ep(const char *a, uint16_t port)
{
	struct ike_endpoint e = { .ep_port = port };
	cr_assert(ip_addr_parse(a, &e.ep_addr));
	return e;
}

static void ts(struct ike_ts_cfg *t, const char *prefix)
{
	memset(t, 0, sizeof(*t));
	cr_assert(ip_prefix_parse(prefix, &t->tc_prefix));
	t->tc_port_hi = 65535;
}

/* branch (192.0.2.1, initiator, 198.18.1.0/24 behind it) and hq
 * (192.0.2.2, responder for any peer, 198.18.2.0/24), version 1. */
static struct ike_conn_cfg conn(bool initiator, const char *ike_prop, const char *esp_prop,
				const char *psk)
{
	struct ike_conn_cfg c;
	char err[64];

	memset(&c, 0, sizeof(c));
	snprintf(c.c_name, sizeof(c.c_name), "%s", initiator ? "branch" : "hq");
	c.c_version = IKE_VERSION_1;
	c.c_local = ep(initiator ? "192.0.2.1" : "192.0.2.2", 500);
	c.c_remote = ep(initiator ? "192.0.2.2" : "192.0.2.1", 500);
	if (!initiator)
		c.c_remote.ep_addr.family = 0; /* any peer */
	cr_assert_eq(ike_prop_parse(ike_prop, IKE_PROTO_IKE, &c.c_ike[0], err, sizeof(err)), 0,
		     "%s", err);
	c.c_n_ike = 1;
	c.c_psk_len = (uint16_t)strlen(psk);
	memcpy(c.c_psk, psk, c.c_psk_len);
	c.c_n_child = 1;
	snprintf(c.c_child[0].cc_name, IKE_NAME_MAX, "net");
	ts(&c.c_child[0].cc_local[0], initiator ? "198.18.1.0/24" : "198.18.2.0/24");
	ts(&c.c_child[0].cc_remote[0], initiator ? "198.18.2.0/24" : "198.18.1.0/24");
	c.c_child[0].cc_n_local = c.c_child[0].cc_n_remote = 1;
	cr_assert_eq(ike_prop_parse(esp_prop, IKE_PROTO_ESP, &c.c_child[0].cc_esp[0], err,
				    sizeof(err)), 0, "%s", err);
	c.c_child[0].cc_n_esp = 1;
	c.c_dpd_s = 10;
	c.c_dpd_timeout_s = 30;
	return c;
}

/* A NAT in front of the initiator: the responder sees it as
 * 198.51.100.9 and its ports + 1024 (set by a test, cleared by up()). */
static bool nat;

/* Certificates and CAs of the sides, when they use them. */
static struct ike_credential *creds[2];
static struct ike_trust *trusts[2];

static void down(void)
{
	for (int i = 0; i < 2; i++) {
		ike_engine_free(sides[i].e);
		sides[i].e = NULL;
		ike_cred_free(creds[i]);
		creds[i] = NULL;
		ike_trust_free(trusts[i]);
		trusts[i] = NULL;
	}
}

static void up(const struct ike_conn_cfg *ci, const struct ike_conn_cfg *cr)
{
	down();
	for (int i = 0; i < 2; i++) {
		struct ike_events ev = {
			.ev_ctx = &sides[i], .ev_send = ev_send, .ev_ike_up = ev_ike_up,
			.ev_ike_down = ev_ike_down, .ev_child_up = ev_child_up,
			.ev_child_down = ev_child_down, .ev_log = ev_log,
			.ev_ike_failed = ev_ike_failed,
		};
		memset(&sides[i], 0, sizeof(sides[i]));
		sides[i].index = i;
		sides[i].e = ike_engine_new(&ev);
		cr_assert_not_null(sides[i].e);
	}
	cr_assert_eq(ike_engine_add_conn(sides[0].e, ci), 0);
	cr_assert_eq(ike_engine_add_conn(sides[1].e, cr), 0);
	qn = 0;
	now = 1000;
	nat = false;
}

/* Takes the first datagram in flight off the queue. */
static struct dgram take(void)
{
	struct dgram d;

	cr_assert_gt(qn, 0, "nothing in flight");
	d = queue[0];
	memmove(queue, queue + 1, --qn * sizeof(queue[0]));
	return d;
}

static void deliver(const struct dgram *d)
{
	struct dgram x = *d;

	if (nat && x.to == 1) {
		cr_assert(ip_addr_parse("198.51.100.9", &x.remote.ep_addr));
		x.remote.ep_port = (uint16_t)(x.remote.ep_port + 1024);
	} else if (nat && x.to == 0) {
		cr_assert(ip_addr_parse("192.0.2.2", &x.remote.ep_addr));
		cr_assert(ip_addr_parse("192.0.2.1", &x.local.ep_addr));
		x.local.ep_port = (uint16_t)(x.local.ep_port - 1024);
	}
	ike_engine_input(sides[x.to].e, &x.local, &x.remote, x.buf, x.len, now);
}

/* Delivers the first datagram in flight; returns it. */
static struct dgram deliver_one(void)
{
	struct dgram d = take();

	deliver(&d);
	return d;
}

/* Delivers until nothing is in flight; returns how many were carried. */
static unsigned run(void)
{
	unsigned carried = 0;

	while (qn) {
		deliver_one();
		carried++;
	}
	return carried;
}

/* Ticks both engines for ms milliseconds in 100 ms steps, carrying
 * what they send. */
static void advance(uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += 100) {
		now += 100;
		ike_engine_tick(sides[0].e, now);
		ike_engine_tick(sides[1].e, now);
		run();
	}
}

static uint8_t dg_exchange(const struct dgram *d)
{
	cr_assert_geq(d->len, IKEV1_HDR_LEN);
	return d->buf[18];
}

static bool dg_encrypted(const struct dgram *d)
{
	return d->len >= IKEV1_HDR_LEN && (d->buf[19] & IKEV1_F_ENCRYPTION);
}

/* The offset of the body of the first payload of type in a plaintext
 * datagram, and its length. */
static size_t pl_body_at(const struct dgram *d, uint8_t type, size_t *len)
{
	struct ikev1_msg m;
	const struct ikev1_payload *p;

	cr_assert_eq(ikev1_msg_parse(d->buf, d->len, &m), 0);
	cr_assert_not(dg_encrypted(d));
	p = ikev1_chain_find(&m.m_chain, type, 0);
	cr_assert_not_null(p, "no payload of type %u", type);
	*len = p->pl_len;
	return (size_t)(p->pl_body - d->buf);
}

static void initiate(void)
{
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
}

/* Delivers until the first datagram in flight is of exchange x (or
 * nothing is in flight). */
static void run_until(uint8_t x)
{
	while (qn && dg_exchange(&queue[0]) != x)
		deliver_one();
}

/* Delivers the main mode messages one by one up to message n (that one
 * left in flight). */
static void run_to_message(unsigned n)
{
	for (unsigned k = 1; k < n; k++)
		deliver_one();
	cr_assert_eq(qn, 1, "message %u in flight", n);
	cr_assert_eq(dg_exchange(&queue[0]), IKEV1_EXCH_IDPROT);
}

/* The big-endian 16-bit field at off. */
static void put16(struct dgram *d, size_t off, uint16_t v)
{
	d->buf[off] = (uint8_t)(v >> 8);
	d->buf[off + 1] = (uint8_t)v;
}

/* Cuts a datagram to len bytes; with fix, its header's length says so. */
static void cut(struct dgram *d, size_t len, bool fix)
{
	cr_assert_lt(len, d->len);
	d->len = len;
	if (fix) {
		d->buf[24] = (uint8_t)(len >> 24);
		d->buf[25] = (uint8_t)(len >> 16);
		d->buf[26] = (uint8_t)(len >> 8);
		d->buf[27] = (uint8_t)len;
	}
}

static void establish_with(const char *ike, const char *esp, bool aggressive)
{
	struct ike_conn_cfg ci = conn(true, ike, esp, PSK);
	struct ike_conn_cfg cr = conn(false, ike, esp, PSK);

	ci.c_aggressive = cr.c_aggressive = aggressive;
	up(&ci, &cr);
	initiate();
	run();
}

static void expect_up(bool aggressive)
{
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(sides[i].ike_up, 1, "side %d: ISAKMP SA up", i);
		cr_expect_eq(sides[i].up_info.si_version, 1, "side %d", i);
		cr_expect_eq(sides[i].up_info.si_aggressive, aggressive, "side %d", i);
		cr_expect_eq(sides[i].up_info.si_initiator, i == 0, "side %d", i);
		cr_expect_eq(sides[i].child_up, 1, "side %d: one IPsec SA pair", i);
		cr_expect_eq(ike_engine_sa_count(sides[i].e), 1, "side %d", i);
		cr_expect_eq(stats(i).st_bad_messages, 0, "side %d", i);
		cr_expect_eq(stats(i).st_bad_transitions, 0, "side %d", i);
	}
	cr_expect_eq(sides[0].up_info.si_spi_i, sides[1].up_info.si_spi_i, "cookies agree");
	cr_expect_eq(sides[0].up_info.si_spi_r, sides[1].up_info.si_spi_r);
	cr_expect_neq(sides[0].up_info.si_spi_r, 0);
}

/* Both engines anew with ci and cr, the initiator's SA up through
 * every message: one ISAKMP SA and one IPsec SA pair on each side. */
static void establish(const struct ike_conn_cfg *ci, const struct ike_conn_cfg *cr,
		      bool aggressive)
{
	up(ci, cr);
	initiate();
	run();
	expect_up(aggressive);
}

/* A's outbound SA is B's inbound and the other way round, with the same
 * keys; the two directions differ. */
static void expect_child_pair(void)
{
	const struct ike_child_info *a = &sides[0].child, *b = &sides[1].child;

	cr_expect_neq(a->ci_spi_in, 0);
	cr_expect_neq(a->ci_spi_out, 0);
	cr_expect_eq(a->ci_spi_in, b->ci_spi_out);
	cr_expect_eq(a->ci_spi_out, b->ci_spi_in);
	cr_expect_neq(a->ci_spi_in, a->ci_spi_out);
	cr_expect_eq(a->ci_encr, b->ci_encr);
	cr_expect_eq(a->ci_integ, b->ci_integ);
	cr_expect_eq(a->ci_encr_len, b->ci_encr_len);
	cr_expect_eq(a->ci_integ_len, b->ci_integ_len);
	cr_expect_gt(a->ci_encr_len, 0);
	cr_expect_arr_eq(sides[0].encr_out, sides[1].encr_in, a->ci_encr_len);
	cr_expect_arr_eq(sides[0].encr_in, sides[1].encr_out, a->ci_encr_len);
	cr_expect_arr_eq(sides[0].integ_out, sides[1].integ_in, a->ci_integ_len);
	cr_expect_arr_eq(sides[0].integ_in, sides[1].integ_out, a->ci_integ_len);
	cr_expect(memcmp(sides[0].encr_in, sides[0].encr_out, a->ci_encr_len) != 0,
		  "the two directions have different keys");
	cr_expect_str_eq(a->ci_child, "net");
	cr_expect_str_eq(b->ci_child, "net");
	cr_expect_eq(a->ci_ts_local->ts_n, 1);
	cr_expect_eq(a->ci_ts_local->ts[0].ts_start[2], 1, "A's side is 198.18.1.0/24");
	cr_expect_eq(a->ci_ts_remote->ts[0].ts_start[2], 2);
	cr_expect_eq(b->ci_ts_local->ts[0].ts_start[2], 2, "B's side is 198.18.2.0/24");
	cr_expect_eq(b->ci_ts_remote->ts[0].ts_start[2], 1);
	cr_expect_not(a->ci_encap || b->ci_encap, "no NAT, no UDP encapsulation");
}

TestSuite(ikev1_engine, .fini = down, .timeout = 30);

/* ---- 1, 2: main and aggressive mode ---- */

Test(ikev1_engine, main_mode_psk_makes_an_isakmp_sa_and_one_ipsec_sa_pair)
{
	static const char *const sets[][2] = {
		{ "aes128-sha256-modp2048", "aes128-sha256" },
		{ "aes256-sha1-ecp256", "aes256-sha1" },
		{ "aes256-sha384-ecp384", "aes128gcm16" },
		{ "3des-sha512-x25519", "aes256-sha512" },
	};

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct ike_conn_cfg ci = conn(true, sets[i][0], sets[i][1], PSK);
		struct ike_conn_cfg cr = conn(false, sets[i][0], sets[i][1], PSK);

		up(&ci, &cr);
		initiate();
		cr_assert_eq(qn, 1);
		cr_expect_eq(dg_exchange(&queue[0]), IKEV1_EXCH_IDPROT, "%s: main mode", sets[i][0]);
		cr_expect_eq(run(), 6 + 3, "%s: six main mode messages, three of quick mode",
			     sets[i][0]);
		expect_up(false);
		expect_child_pair();
		cr_expect_eq(stats(0).st_ikev1_messages, 3 + 1, "%s", sets[i][0]);
		cr_expect_eq(stats(1).st_ikev1_messages, 3 + 2, "%s", sets[i][0]);
	}
}

Test(ikev1_engine, aggressive_mode_psk_makes_an_isakmp_sa_and_one_ipsec_sa_pair)
{
	establish_with(IKE_P, ESP_P, true);
	expect_up(true);
	expect_child_pair();
	cr_expect_eq(stats(1).st_ikev1_messages, 2 + 2, "messages 1 and 3, quick mode 1 and 3");
	cr_expect(logged(1, "aggressive mode established"));
}

/* Aggressive mode hands HASH_R to whoever asks (an offline attack on the
 * PSK): a responder connection without "aggressive" keeps nothing and
 * answers with NO-PROPOSAL-CHOSEN in clear (RFC 2409 §5.7), no HASH_R;
 * the initiator ends its attempt on it at once, the refusal counted. */
Test(ikev1_engine, aggressive_mode_to_a_connection_without_aggressive_is_refused)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, ESP_P, PSK);
	struct ike_conn_cfg cr = conn(false, IKE_P, ESP_P, PSK);

	ci.c_aggressive = true; /* the responder's connection does not say so */
	up(&ci, &cr);
	initiate();
	cr_assert_eq(dg_exchange(&queue[0]), IKEV1_EXCH_AGGRESSIVE);
	deliver_one();
	cr_assert_eq(qn, 1, "the refusal");
	cr_expect_eq(dg_exchange(&queue[0]), IKEV1_EXCH_INFO, "not message 2: HASH_R is not given away");
	cr_expect_not(dg_encrypted(&queue[0]));
	cr_expect_gt(pl_body_at(&queue[0], IKEV1_PL_N, &(size_t){ 0 }), 0, "a notify in clear");
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
	cr_expect_eq(stats(1).st_half_open, 0);
	cr_expect_eq(stats(1).st_ikev1_messages, 1);
	cr_expect_eq(stats(1).st_ikev1_p1_refused, 1);
	cr_expect(logged(1, "IKEv1 aggressive mode no connection takes"));
	deliver_one();
	cr_expect_eq(qn, 0);
	cr_expect_eq(ike_engine_sa_count(sides[0].e), 0, "ended at once, not at the timeout");
	cr_expect_eq(sides[0].ike_failed, 1);
	cr_expect_str_eq(sides[0].last_failed, "refused by the peer");
	cr_expect(logged(0, "the peer refused phase 1: NO-PROPOSAL-CHOSEN"));
	cr_expect_eq(sides[0].ike_up, 0);
	advance(31000);
	cr_expect_eq(stats(1).st_ikev1_messages, 1, "message 1 is not sent again");
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
	cr_expect_eq(sides[1].ike_up, 0);

	/* the same connection with "aggressive": true takes it */
	cr.c_aggressive = true;
	establish(&ci, &cr, true);
}

/* Transport mode through a NAT (RFC 3947): NAT-D finds it, IKE moves
 * to port 4500, the IPsec SAs are UDP-encapsulated transport, and each
 * side's NAT-OA (§5.2) gives the other its address as it knows it: the
 * responder learns 192.0.2.1 for a peer it sees as 198.51.100.9. */
Test(ikev1_engine, transport_mode_through_a_nat_carries_nat_oa)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, ESP_P, PSK);
	struct ike_conn_cfg cr = conn(false, IKE_P, ESP_P, PSK);
	char a[64], b[64];

	ci.c_child[0].cc_transport = cr.c_child[0].cc_transport = true;
	ts(&ci.c_child[0].cc_local[0], "192.0.2.1/32");
	ts(&ci.c_child[0].cc_remote[0], "192.0.2.2/32");
	ts(&cr.c_child[0].cc_local[0], "192.0.2.2/32");
	ts(&cr.c_child[0].cc_remote[0], "0.0.0.0/0");
	up(&ci, &cr);
	nat = true;
	initiate();
	run();
	expect_up(false);
	for (int i = 0; i < 2; i++) {
		cr_expect(sides[i].child.ci_transport, "side %d", i);
		cr_expect(sides[i].child.ci_encap, "side %d: UDP-encapsulated", i);
		cr_expect_eq(sides[i].child.ci_local.ep_port, 4500, "side %d: floated", i);
	}
	cr_expect_eq(sides[1].child.ci_remote.ep_port, 4500 + 1024, "the NAT's port");
	ip_addr_format(&sides[1].child.ci_peer_oa, a, sizeof(a));
	ip_addr_format(&sides[0].child.ci_peer_oa, b, sizeof(b));
	cr_expect_str_eq(a, "192.0.2.1", "the responder has the initiator's NAT-OAi");
	cr_expect_str_eq(b, "192.0.2.2", "the initiator has the responder's NAT-OAr");
	/* and each the other's NAT-OA of itself: what the peer's checksums
	 * were computed over (RFC 3948 §3.1.2) */
	ip_addr_format(&sides[1].child.ci_local_oa, a, sizeof(a));
	ip_addr_format(&sides[0].child.ci_local_oa, b, sizeof(b));
	cr_expect_str_eq(a, "192.0.2.2", "the responder, as the initiator knows it");
	cr_expect_str_eq(b, "198.51.100.9", "the initiator, as the responder sees it");

	/* tunnel mode through the same NAT: no NAT-OA */
	ci = conn(true, IKE_P, ESP_P, PSK);
	cr = conn(false, IKE_P, ESP_P, PSK);
	up(&ci, &cr);
	nat = true;
	initiate();
	run();
	expect_up(false);
	cr_expect(sides[1].child.ci_encap);
	cr_expect_eq(sides[1].child.ci_peer_oa.family, 0, "no NAT-OA in tunnel mode");
}

/* The legacy suite a connection may name for IKEv1 only (RFC 2409
 * §6.2's group 2, 3DES-CBC with its 24-byte key and 8-byte block):
 * phase 1 with it, quick mode with a modern ESP transform. */
Test(ikev1_engine, the_legacy_suite_3des_sha1_modp1024_establishes)
{
	struct ike_conn_cfg ci = conn(true, "3des-sha1-modp1024", "aes128-sha1", PSK);
	struct ike_conn_cfg cr = conn(false, "3des-sha1-modp1024", "aes128-sha1", PSK);

	up(&ci, &cr);
	initiate();
	cr_expect_eq(run(), 9, "main mode and quick mode");
	expect_up(false);
	expect_child_pair();
}

/* Both sides rekey the one IPsec SA pair at once: two quick modes, two
 * new pairs for one old (RFC 2409 leaves this open). The ISAKMP SA's
 * responder deletes the pair it initiated, the old pair goes as after
 * any rekey, and one pair is left on both sides, with agreeing SPIs. */
Test(ikev1_engine, simultaneous_rekeys_leave_one_pair)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, ESP_P, PSK);
	struct ike_conn_cfg cr = conn(false, IKE_P, ESP_P, PSK);
	uint32_t old_in[2];

	establish(&ci, &cr, false);
	for (int i = 0; i < 2; i++)
		old_in[i] = sides[i].child.ci_spi_in;
	for (int i = 0; i < 2; i++)
		cr_assert_eq(ike_engine_rekey_child(sides[i].e, sides[i].child.ci_ike_id,
						    old_in[i], now), 0, "side %d", i);
	run();
	advance(5000);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(sides[i].child_up, 3, "side %d: the first pair and two new", i);
		cr_expect_eq(sides[i].child_up - sides[i].child_down, 1, "side %d: one pair left", i);
		cr_expect_eq(sides[i].ike_down, 0, "side %d", i);
		cr_expect_eq(stats(i).st_bad_messages, 0, "side %d", i);
	}
	cr_expect(logged(1, "both sides rekeyed IPsec SA"), "the ISAKMP responder deletes its own");
	cr_expect(!logged(0, "both sides rekeyed IPsec SA"));
	advance(60000);
	for (int i = 0; i < 2; i++)
		cr_expect_eq(sides[i].child_up - sides[i].child_down, 1, "side %d: still one", i);
}

/* A responder connection with "version": "any" takes IKEv1 main mode
 * and aggressive mode from a version 1 initiator (the datagram's
 * version field picks the protocol). */
Test(ikev1_engine, a_responder_of_any_version_takes_ikev1)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, ESP_P, PSK);
	struct ike_conn_cfg cr = conn(false, IKE_P, ESP_P, PSK);

	cr.c_version = IKE_VERSION_ANY;
	establish(&ci, &cr, false);
	expect_child_pair();
	ci.c_aggressive = cr.c_aggressive = true;
	establish(&ci, &cr, true);
}

/* ---- 3: wrong keys, forged hashes ---- */

/* Aggressive mode message 2 is in clear: a byte of its HASH_R flipped
 * on the way, the initiator finds the responder unauthenticated and
 * installs nothing (no message 3, no quick mode); it says AUTHENTICATION-
 * FAILED under the keys both derived, and the responder, which
 * verifies that, keeps nothing either. */
Test(ikev1_engine, aggressive_mode_a_forged_hash_r_installs_nothing)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, ESP_P, PSK);
	struct ike_conn_cfg cr = conn(false, IKE_P, ESP_P, PSK);
	struct dgram m2;
	size_t at, len;

	ci.c_aggressive = cr.c_aggressive = true;
	up(&ci, &cr);
	initiate();
	deliver_one();
	cr_assert_eq(qn, 1, "the responder answers with message 2");
	m2 = take();
	cr_assert_eq(dg_exchange(&m2), IKEV1_EXCH_AGGRESSIVE);
	at = pl_body_at(&m2, IKEV1_PL_HASH, &len);
	cr_assert_eq(len, 32, "HASH_R of SHA2-256");
	m2.buf[at + len / 2] ^= 0x01;
	deliver(&m2);
	cr_assert_eq(qn, 1, "no message 3, no quick mode: the notify only");
	cr_expect_eq(dg_exchange(&queue[0]), IKEV1_EXCH_INFO);
	cr_expect_eq(sides[0].ike_up + sides[0].child_up, 0);
	cr_expect_eq(sides[0].ike_failed, 1);
	cr_expect_str_eq(sides[0].last_failed, "peer does not authenticate");
	cr_expect_eq(ike_engine_sa_count(sides[0].e), 0);
	deliver_one();
	cr_expect(logged(1, "the peer refused phase 1: AUTHENTICATION-FAILED"));
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0, "the responder's SA goes at once");
	cr_expect_eq(stats(1).st_bad_messages, 0);
	cr_expect_eq(sides[1].ike_up + sides[1].child_up, 0);
}

/* A main mode PSK the responder does not share: message 5 does not even
 * decrypt under its keys (SKEYID_e comes from the PSK, RFC 2409 §5.4),
 * so each copy is dropped and counted; nothing is set up, and both ends
 * give the attempt up once it has been half open too long. */
Test(ikev1_engine, main_mode_wrong_psk_leaves_no_sa_on_either_side)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, ESP_P, "one-key");
	struct ike_conn_cfg cr = conn(false, IKE_P, ESP_P, "another-key");

	up(&ci, &cr);
	initiate();
	cr_expect_eq(run(), 5, "messages 1 to 5; message 5 is not answered");
	cr_expect_eq(stats(1).st_bad_messages, 1, "message 5 dropped and counted");
	cr_expect(logged(1, "does not decrypt or verify"));
	cr_expect_eq(stats(0).st_bad_messages, 0);
	/* message 5 again 1, 3, 7 and 15 s after it first went (the wait
	 * doubled each time), each copy counted; the half-open SAs go 30 s
	 * after they began */
	advance(31000);
	cr_expect_eq(stats(1).st_bad_messages, 1 + 4);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(sides[i].ike_up + sides[i].child_up, 0, "side %d", i);
		cr_expect_eq(ike_engine_sa_count(sides[i].e), 0, "side %d", i);
		cr_expect_eq(stats(i).st_half_open, 0, "side %d", i);
	}
	cr_expect_eq(sides[0].ike_failed, 1);
	cr_expect_str_eq(sides[0].last_failed, "phase 1 did not complete");
	cr_expect_eq(sides[1].ike_failed, 0, "a responder's failures are not reported");
	cr_expect_eq(sides[0].ike_down + sides[1].ike_down, 0, "ike_down is for SAs that were up");
}

/* Aggressive mode with another PSK: message 2's HASH_R does not verify,
 * the initiator ends the attempt at once and sends no message 3 but an
 * AUTHENTICATION-FAILED under its keys, which the responder's keys
 * (another PSK) do not verify: dropped and counted, a notify nobody
 * authenticated ends nothing. The responder gives up when half open
 * too long. */
Test(ikev1_engine, aggressive_mode_wrong_psk_leaves_no_sa_on_either_side)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, ESP_P, "one-key");
	struct ike_conn_cfg cr = conn(false, IKE_P, ESP_P, "another-key");

	ci.c_aggressive = cr.c_aggressive = true;
	up(&ci, &cr);
	initiate();
	cr_expect_eq(run(), 3, "messages 1 and 2 and the notify, no message 3");
	cr_expect_eq(stats(1).st_bad_messages, 1, "the notify does not verify");
	cr_expect_eq(sides[0].ike_failed, 1);
	cr_expect_str_eq(sides[0].last_failed, "peer does not authenticate");
	cr_expect_eq(ike_engine_sa_count(sides[0].e), 0);
	cr_expect_eq(sides[1].ike_up, 0);
	cr_expect_eq(stats(1).st_half_open, 1, "the responder waits for message 3");
	advance(31000);
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
	cr_expect_eq(stats(1).st_half_open, 0);
	for (int i = 0; i < 2; i++)
		cr_expect_eq(sides[i].ike_up + sides[i].child_up + sides[i].ike_down, 0, "side %d", i);
}

/* Aggressive mode message 3 is in clear: anyone who saw message 2 can
 * send one. One whose HASH_I does not verify is dropped and counted,
 * the responder stays as it was, and the real one still completes. */
Test(ikev1_engine, aggressive_mode_a_forged_hash_i_is_dropped_and_the_real_one_taken)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, ESP_P, PSK);
	struct ike_conn_cfg cr = conn(false, IKE_P, ESP_P, PSK);
	struct dgram m3, forged, qm1;
	size_t at, len;

	ci.c_aggressive = cr.c_aggressive = true;
	up(&ci, &cr);
	initiate();
	deliver_one();
	deliver_one();
	cr_assert_eq(sides[0].ike_up, 1, "the initiator is done with message 2");
	cr_assert_eq(qn, 2, "message 3 and quick mode message 1");
	m3 = take();
	qm1 = take();
	cr_assert_eq(dg_exchange(&m3), IKEV1_EXCH_AGGRESSIVE);
	cr_assert_eq(dg_exchange(&qm1), IKEV1_EXCH_QUICK);
	forged = m3;
	at = pl_body_at(&forged, IKEV1_PL_HASH, &len);
	forged.buf[at] ^= 0x80;
	deliver(&forged);
	cr_expect_eq(stats(1).st_bad_messages, 1);
	cr_expect(logged(1, "HASH_I does not verify"));
	cr_expect_eq(sides[1].ike_up, 0);
	cr_expect_eq(stats(1).st_half_open, 1, "still waiting for message 3");
	cr_expect_eq(qn, 0);
	deliver(&forged); /* a forgery again is not "seen before" */
	cr_expect_eq(stats(1).st_bad_messages, 2);
	deliver(&m3);
	cr_expect_eq(sides[1].ike_up, 1, "the real message 3 completes phase 1");
	cr_expect_eq(stats(1).st_half_open, 0);
	deliver(&qm1);
	run();
	for (int i = 0; i < 2; i++)
		cr_expect_eq(sides[i].child_up, 1, "side %d", i);
	expect_child_pair();
	cr_expect_eq(stats(1).st_bad_messages, 2, "nothing else refused");
}

/* ---- 4: certificates (main mode, RFC 2409 §5.1) ---- */

/* Side i's connection with the certificate name-chain.pem (its key
 * name.key) and ca.pem as the only CA it trusts; no PSK. */
static struct ike_conn_cfg cert_conn(int i, const char *name)
{
	struct ike_conn_cfg c = conn(i == 0, "aes128-sha256-ecp256", ESP_P, "");
	const char *ca[] = { pki_path("ca.pem") };
	char chain[64], key[64];

	snprintf(chain, sizeof(chain), "%s-chain.pem", name);
	snprintf(key, sizeof(key), "%s.key", name);
	cr_assert_eq(ike_cred_load(pki_path(chain), pki_path(key), &creds[i]), 0, "%s", name);
	cr_assert_eq(ike_trust_load(ca, 1, &trusts[i]), 0);
	c.c_cred = creds[i];
	c.c_trust = trusts[i];
	return c;
}

/* up() for connections that hold creds[] and trusts[]: kept across it. */
static void up_certs(const struct ike_conn_cfg *ci, const struct ike_conn_cfg *cr)
{
	struct ike_credential *c[2] = { creds[0], creds[1] };
	struct ike_trust *t[2] = { trusts[0], trusts[1] };

	creds[0] = creds[1] = NULL;
	trusts[0] = trusts[1] = NULL;
	up(ci, cr);
	memcpy(creds, c, sizeof(c));
	memcpy(trusts, t, sizeof(t));
}

Test(ikev1_engine, main_mode_certificates_chaining_to_the_ca_establish)
{
	struct ike_conn_cfg ci = cert_conn(0, "p256");
	struct ike_conn_cfg cr = cert_conn(1, "p256");

	up_certs(&ci, &cr);
	initiate();
	cr_expect_eq(run(), 9);
	expect_up(false);
	expect_child_pair();
}

/* Aggressive mode with signatures (RFC 2409 §5.1): SIG_R with the
 * responder's certificates in message 2, SIG_I with the initiator's in
 * message 3, each asked for by a CR; ECDSA (RFC 4754) and RSA. Without
 * fragmentation message 2 is one datagram to look into; with it (the
 * default 1280 bytes) a chain of certificates goes in fragments. */
static void aggressive_certs(const char *name, bool frag)
{
	struct ike_conn_cfg ci, cr;
	uint64_t frags;

	down(); /* the engines and credentials of a round before */
	ci = cert_conn(0, name);
	cr = cert_conn(1, name);
	ci.c_aggressive = cr.c_aggressive = true;
	ci.c_no_fragmentation = cr.c_no_fragmentation = !frag;
	up_certs(&ci, &cr);
	initiate();
	cr_assert_eq(dg_exchange(&queue[0]), IKEV1_EXCH_AGGRESSIVE);
	cr_expect_gt(pl_body_at(&queue[0], IKEV1_PL_CR, &(size_t){ 0 }), 0, "%s: CR in message 1", name);
	deliver_one();
	if (!frag) {
		cr_assert_eq(qn, 1);
		cr_expect_gt(pl_body_at(&queue[0], IKEV1_PL_CERT, &(size_t){ 0 }), 0,
			     "%s: CERT in message 2", name);
		cr_expect_gt(pl_body_at(&queue[0], IKEV1_PL_SIG, &(size_t){ 0 }), 0, "%s: SIG_R", name);
	}
	run();
	expect_up(true);
	expect_child_pair();
	frags = stats(0).st_ikev1_frags + stats(1).st_ikev1_frags;
	if (frag)
		cr_expect_gt(frags, 0, "%s: message 2 or 3 in fragments", name);
	else
		cr_expect_eq(frags, 0, "%s", name);
}

Test(ikev1_engine, aggressive_mode_ecdsa_certificates_establish)
{
	aggressive_certs("p256", false);
	aggressive_certs("p256", true);
}

Test(ikev1_engine, aggressive_mode_rsa_certificates_establish)
{
	aggressive_certs("rsa", false);
	aggressive_certs("rsa", true);
}

/* Aggressive mode message 3 is in clear: a SIG_I of a certificate of
 * another CA is dropped as a forged HASH_I is (anyone who saw message 2
 * can send one); the responder stays half open and goes at its timeout,
 * the initiator, which thinks itself up, at its liveness check. */
Test(ikev1_engine, aggressive_mode_an_initiator_certificate_of_another_ca_is_not_taken)
{
	struct ike_conn_cfg ci = cert_conn(0, "other");
	struct ike_conn_cfg cr = cert_conn(1, "p256");

	ci.c_aggressive = cr.c_aggressive = true;
	up_certs(&ci, &cr);
	initiate();
	run();
	cr_expect(logged(1, "aggressive mode SIG_I does not verify: dropped"));
	cr_expect_eq(sides[1].ike_up + sides[1].child_up, 0);
	cr_expect_gt(stats(1).st_bad_messages, 0);
	advance(31000);
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0, "the half-open SA goes");
	cr_expect_eq(sides[1].ike_up, 0);
}

/* The initiator's certificate is of another CA: the responder finds it
 * unauthenticated at message 5, says AUTHENTICATION-FAILED (protected
 * by HASH(1), its IV from message 5's last block) and keeps nothing;
 * the initiator verifies the notify and ends its attempt at once. */
Test(ikev1_engine, main_mode_an_initiator_certificate_of_another_ca_fails_authentication)
{
	struct ike_conn_cfg ci = cert_conn(0, "other");
	struct ike_conn_cfg cr = cert_conn(1, "p256");

	up_certs(&ci, &cr);
	initiate();
	run();
	cr_expect(logged(1, "IKEv1 peer does not authenticate: no SA"));
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
	cr_expect_eq(sides[1].ike_up + sides[1].child_up, 0);
	cr_expect_eq(sides[0].ike_up + sides[0].child_up, 0);
	cr_expect(logged(0, "the peer refused phase 1: AUTHENTICATION-FAILED"));
	cr_expect_eq(ike_engine_sa_count(sides[0].e), 0, "at once, not at the timeout");
	cr_expect_eq(stats(0).st_bad_messages, 0);
	cr_expect_eq(sides[0].ike_failed, 1);
	cr_expect_str_eq(sides[0].last_failed, "refused by the peer");
	cr_expect_eq(sides[0].ike_up + sides[0].child_up, 0);

	/* the control: a responder that also trusts the other CA takes it */
	ike_trust_free(trusts[1]);
	cr_assert_eq(ike_trust_load((const char *[]){ pki_path("ca.pem"), pki_path("other_ca.pem") }, 2,
				    &trusts[1]), 0);
	cr.c_trust = trusts[1];
	up_certs(&ci, &cr);
	initiate();
	run();
	expect_up(false);
	expect_child_pair();
}

/* The responder's certificate is of another CA: the initiator refuses
 * message 6, installs nothing and says AUTHENTICATION-FAILED. The
 * responder was done with phase 1 when it sent message 6 (main mode has
 * no answer to it); the notify, under the ISAKMP SA's keys, is only
 * logged there (an error notify does not end an established SA): the
 * SA, without any IPsec SA, goes once its liveness check finds nobody
 * there. */
Test(ikev1_engine, main_mode_a_responder_certificate_of_another_ca_fails_authentication)
{
	struct ike_conn_cfg ci = cert_conn(0, "p256");
	struct ike_conn_cfg cr = cert_conn(1, "other");

	up_certs(&ci, &cr);
	initiate();
	cr_expect_eq(run(), 7, "the notify, no quick mode");
	cr_expect(logged(1, "the peer reports AUTHENTICATION-FAILED"));
	cr_expect_eq(sides[0].ike_failed, 1);
	cr_expect_str_eq(sides[0].last_failed, "peer does not authenticate");
	cr_expect_eq(ike_engine_sa_count(sides[0].e), 0);
	cr_expect_eq(sides[0].ike_up + sides[0].child_up, 0);
	cr_expect_eq(sides[1].ike_up, 1, "the responder does not know");
	cr_expect_eq(sides[1].child_up, 0);
	advance(41000); /* R-U-THERE after 10 s quiet, given up 30 s later */
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
	cr_expect_eq(sides[1].child_up, 0);
	cr_expect_eq(sides[1].ike_down, 1);
	cr_expect_str_eq(sides[1].last_down, "peer did not answer R-U-THERE");
	cr_expect_gt(stats(0).st_ikev1_unknown_sa, 0, "R-U-THERE for an SA the initiator has not");
}

/* ---- 5: proposals and proxy IDs nobody takes ---- */

/* An IKEv1 peer whose addresses only an IKEv2 connection takes: refused
 * as any phase 1 nobody takes, and the line names the version as the
 * reason, with the connection (issue 18: unsupported version). */
Test(ikev1_engine, phase_1_to_an_ikev2_only_connection_is_refused_for_its_version)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, ESP_P, PSK);
	struct ike_conn_cfg cr = conn(false, IKE_P, ESP_P, PSK);

	cr.c_version = IKE_VERSION_2;
	up(&ci, &cr);
	initiate();
	cr_expect_eq(run(), 2, "message 1 and the refusal");
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
	cr_expect_eq(stats(1).st_ikev1_p1_refused, 1);
	cr_expect_eq(stats(1).st_ikev1_v2_only, 1);
	cr_expect(logged(1, "IKEv1 main mode refused: the connection takes only IKEv2"));
	cr_expect_eq(ike_engine_sa_count(sides[0].e), 0);
}

/* No phase 1 transform the responder takes: no SA there, and
 * NO-PROPOSAL-CHOSEN in clear (RFC 2409 §5.7) under a responder cookie
 * of its own; the initiator ends its attempt on it at once. */
Test(ikev1_engine, phase_1_no_proposal_chosen_makes_no_sa)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-modp2048", ESP_P, PSK);
	struct ike_conn_cfg cr = conn(false, "aes256-sha512-ecp384", ESP_P, PSK);

	up(&ci, &cr);
	initiate();
	cr_expect_eq(run(), 2, "message 1 and the refusal");
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
	cr_expect_eq(stats(1).st_half_open, 0);
	cr_expect_eq(stats(1).st_ikev1_p1_refused, 1);
	cr_expect(logged(1, "main mode no connection takes (addresses or proposals)"));
	cr_expect(logged(0, "the peer refused phase 1: NO-PROPOSAL-CHOSEN"));
	cr_expect_eq(ike_engine_sa_count(sides[0].e), 0);
	cr_expect_eq(sides[0].ike_failed, 1);
	cr_expect_str_eq(sides[0].last_failed, "refused by the peer");
	advance(31000);
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
	cr_expect_eq(sides[0].ike_up + sides[1].ike_up, 0);
}

/* The ISAKMP SA is up; the quick mode's refusal (an authenticated
 * informational about the SPI the quick mode offered) ends that quick
 * mode at once, not after its 60 s, and leaves the ISAKMP SA standing
 * with no IPsec SA on either side. */
static void quick_mode_refused(const struct ike_conn_cfg *ci, const struct ike_conn_cfg *cr,
			       const char *why, const char *error)
{
	up(ci, cr);
	initiate();
	run();
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(sides[i].ike_up, 1, "%s: side %d ISAKMP SA up", why, i);
		cr_expect_eq(sides[i].child_up, 0, "%s: side %d no IPsec SA", why, i);
	}
	cr_expect(logged(1, why), "%s", why);
	cr_expect(logged(0, error), "the initiator hears %s", error);
	cr_expect_eq(stats(0).st_bad_messages + stats(1).st_bad_messages, 0, "%s", why);
	advance(61000);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(sides[i].child_up, 0, "%s: side %d", why, i);
		cr_expect_eq(sides[i].ike_down, 0, "%s: side %d ISAKMP SA kept", why, i);
		cr_expect_eq(ike_engine_sa_count(sides[i].e), 1, "%s: side %d", why, i);
	}
	cr_expect(!logged(0, "got no answer"), "%s: ended by the refusal, not the timeout", why);
}

Test(ikev1_engine, quick_mode_no_proposal_chosen_keeps_the_isakmp_sa)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, "aes128-sha256", PSK);
	struct ike_conn_cfg cr = conn(false, IKE_P, "aes256gcm16", PSK);

	quick_mode_refused(&ci, &cr, "quick mode refused: no proposal chosen",
			   "refused by the peer (error 14)"); /* NO-PROPOSAL-CHOSEN */
}

Test(ikev1_engine, quick_mode_proxy_ids_outside_the_selectors_keep_the_isakmp_sa)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, ESP_P, PSK);
	struct ike_conn_cfg cr = conn(false, IKE_P, ESP_P, PSK);

	/* the initiator asks for 198.18.9.0/24 behind hq, which has 198.18.2.0/24 */
	ts(&ci.c_child[0].cc_remote[0], "198.18.9.0/24");
	quick_mode_refused(&ci, &cr, "quick mode refused: proxy IDs outside every child",
			   "refused by the peer (error 18)"); /* INVALID-ID-INFORMATION */
}

/* ---- 6: tampered, truncated, malformed ---- */

/* HASH(1) covers all of quick mode message 1: a ciphertext byte flipped
 * garbles its plaintext, the message is dropped and counted, nothing
 * changes (no quick mode, the IV is not moved), and the real one is
 * taken after it. */
Test(ikev1_engine, a_tampered_quick_mode_message_1_is_dropped_and_counted)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, ESP_P, PSK);
	struct ike_conn_cfg cr = conn(false, IKE_P, ESP_P, PSK);
	struct dgram qm1, bad;

	up(&ci, &cr);
	initiate();
	run_until(IKEV1_EXCH_QUICK);
	cr_assert_eq(sides[1].ike_up, 1);
	qm1 = take();
	cr_assert(dg_encrypted(&qm1));
	cr_assert_eq(qn, 0);
	for (size_t off = IKEV1_HDR_LEN; off < qm1.len - 16; off += 37) {
		bad = qm1;
		bad.buf[off] ^= 0x04;
		deliver(&bad);
	}
	cr_expect_eq(qn, 0, "nothing answered");
	cr_expect_eq(stats(1).st_bad_messages, (qm1.len - 16 - IKEV1_HDR_LEN + 36) / 37);
	cr_expect_gt(stats(1).st_bad_messages, 3);
	cr_expect(logged(1, "refused: dropped"));
	cr_expect_eq(sides[1].child_up, 0);
	deliver(&qm1);
	cr_expect_eq(qn, 1, "the real one is answered");
	run();
	for (int i = 0; i < 2; i++)
		cr_expect_eq(sides[i].child_up, 1, "side %d", i);
	expect_child_pair();
}

/* Main mode message 5 (encrypted) cut short: by a byte (no longer whole
 * cipher blocks) and by its last block (the plaintext's payloads then
 * run past its end). Each dropped and counted, nothing changes, the
 * real one is taken after them. */
Test(ikev1_engine, a_truncated_encrypted_message_is_dropped_and_counted)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, ESP_P, PSK);
	struct ike_conn_cfg cr = conn(false, IKE_P, ESP_P, PSK);
	struct dgram m5, bad;

	up(&ci, &cr);
	initiate();
	run_to_message(5);
	m5 = take();
	cr_assert(dg_encrypted(&m5));
	cr_assert_eq((m5.len - IKEV1_HDR_LEN) % 16, 0, "AES blocks");
	bad = m5;
	cut(&bad, m5.len - 1, true);
	deliver(&bad);
	cr_expect_eq(stats(1).st_bad_messages, 1);
	bad = m5;
	cut(&bad, m5.len - 16, true);
	deliver(&bad);
	cr_expect_eq(stats(1).st_bad_messages, 2);
	bad = m5;
	cut(&bad, m5.len - 16, false); /* and the header disagrees */
	deliver(&bad);
	cr_expect_eq(stats(1).st_bad_messages, 3);
	cr_expect_eq(qn, 0);
	cr_expect_eq(sides[1].ike_up, 0);
	deliver(&m5);
	cr_expect_eq(sides[1].ike_up, 1);
	run();
	expect_child_pair();
	cr_expect_eq(stats(1).st_bad_messages, 3);
	cr_expect_eq(stats(0).st_bad_messages, 0);
}

/* Plaintext messages of phase 1 with a bogus payload length or cut
 * short, to either role: dropped and counted before any state is made
 * or changed; the real ones are taken after them. */
Test(ikev1_engine, a_truncated_datagram_or_a_bogus_payload_length_is_dropped_and_counted)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, ESP_P, PSK);
	struct ike_conn_cfg cr = conn(false, IKE_P, ESP_P, PSK);
	static const uint16_t lens[] = { 0, 3, 0xffff };
	struct dgram m, bad;
	unsigned bad_r = 0, bad_i = 0;
	size_t at, len;

	up(&ci, &cr);
	initiate();
	/* message 1, to the responder: nothing made */
	m = take();
	bad = m;
	cut(&bad, 20, false); /* not even a header */
	deliver(&bad);
	bad = m;
	cut(&bad, 40, false);
	deliver(&bad);
	bad = m;
	cut(&bad, 40, true);
	deliver(&bad);
	at = pl_body_at(&m, IKEV1_PL_SA, &len);
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		bad = m;
		put16(&bad, at - 2, lens[k]);
		deliver(&bad);
	}
	bad_r += 6;
	cr_expect_eq(stats(1).st_bad_messages, bad_r);
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
	cr_expect_eq(stats(1).st_half_open, 0);
	cr_expect_eq(qn, 0);
	deliver(&m);
	cr_assert_eq(qn, 1);

	/* message 2, to the initiator: its SA not moved on */
	m = take();
	bad = m;
	cut(&bad, m.len - 1, true);
	deliver(&bad);
	at = pl_body_at(&m, IKEV1_PL_SA, &len);
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		bad = m;
		put16(&bad, at - 2, lens[k]);
		deliver(&bad);
	}
	bad_i += 4;
	cr_expect_eq(stats(0).st_bad_messages, bad_i);
	cr_expect_eq(qn, 0, "no message 3 yet");
	deliver(&m);
	cr_assert_eq(qn, 1);

	/* message 3 (KE, Ni), to the responder */
	m = take();
	at = pl_body_at(&m, IKEV1_PL_KE, &len);
	cr_assert_eq(len, 256, "modp2048");
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		bad = m;
		put16(&bad, at - 2, lens[k]);
		deliver(&bad);
	}
	bad = m;
	put16(&bad, at - 2, (uint16_t)(len + 4 + 1)); /* into the next payload */
	deliver(&bad);
	bad = m;
	cut(&bad, m.len - 1, true);
	deliver(&bad);
	bad_r += 5;
	cr_expect_eq(stats(1).st_bad_messages, bad_r);
	cr_expect_eq(qn, 0, "no message 4 yet");
	deliver(&m);
	cr_assert_eq(qn, 1);

	/* message 4 (KE, Nr), to the initiator */
	m = take();
	at = pl_body_at(&m, IKEV1_PL_NONCE, &len);
	bad = m;
	put16(&bad, at - 2, 0xffff);
	deliver(&bad);
	bad = m;
	cut(&bad, at + len / 2, true);
	deliver(&bad);
	bad_i += 2;
	cr_expect_eq(stats(0).st_bad_messages, bad_i);
	cr_expect_eq(qn, 0, "no message 5 yet");
	deliver(&m);
	run();
	expect_child_pair();
	cr_expect_eq(stats(0).st_bad_messages, bad_i, "nothing else refused");
	cr_expect_eq(stats(1).st_bad_messages, bad_r);
	cr_expect_eq(sides[0].ike_up + sides[1].ike_up, 2);
}

/* ---- 7: repeats ---- */

/* A request seen before is answered with the same bytes from the cache
 * and not processed again (RFC 2408 §5). */
static void expect_cached_answer(const struct dgram *req, const struct dgram *answer,
				 unsigned n)
{
	deliver(req);
	cr_assert_eq(qn, 1, "a repeated message %u is answered", n);
	cr_expect_eq(queue[0].len, answer->len);
	cr_expect_arr_eq(queue[0].buf, answer->buf, answer->len, "the same bytes");
	qn = 0;
}

Test(ikev1_engine, repeated_requests_are_answered_from_the_cache_and_processed_once)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, ESP_P, PSK);
	struct ike_conn_cfg cr = conn(false, IKE_P, ESP_P, PSK);
	struct dgram req, ans;

	up(&ci, &cr);
	initiate();
	for (unsigned n = 1; n <= 5; n += 2) { /* main mode 1, 3, 5 */
		req = deliver_one();
		ans = take();
		cr_assert_eq(qn, 0);
		expect_cached_answer(&req, &ans, n);
		expect_cached_answer(&req, &ans, n);
		cr_expect_eq(ike_engine_sa_count(sides[1].e), 1, "message %u: one SA", n);
		cr_expect_eq(sides[1].ike_up, n == 5, "message %u", n);
		queue[qn++] = ans;
		deliver_one(); /* to the initiator */
	}
	cr_expect_eq(sides[0].ike_up, 1);
	cr_expect_eq(sides[1].ike_up, 1, "phase 1 once");

	/* Quick mode message 1 repeated: processed once. The responder's
	 * message 2 is a request of its own (message 3 answers it), so it
	 * is not sent again for the repeat but on its own timer, the
	 * same bytes. */
	cr_assert_eq(qn, 1);
	cr_assert_eq(dg_exchange(&queue[0]), IKEV1_EXCH_QUICK);
	req = deliver_one();
	cr_expect_eq(sides[1].child_up, 1);
	cr_assert_eq(qn, 1);
	ans = take(); /* message 2 lost */
	deliver(&req);
	deliver(&req);
	cr_expect_eq(sides[1].child_up, 1, "one IPsec SA for three copies");
	cr_expect_eq(qn, 0);
	now += 1000;
	ike_engine_tick(sides[1].e, now);
	cr_assert_eq(qn, 1, "message 2 again after 1 s");
	cr_expect_eq(queue[0].len, ans.len);
	cr_expect_arr_eq(queue[0].buf, ans.buf, ans.len);
	run();
	cr_expect_eq(stats(1).st_bad_messages, 0);
	/* a copy late enough to come after message 3 is no repeat of the
	 * last message: dropped as out of step, and counted */
	deliver(&req);
	cr_expect_eq(qn, 0);
	cr_expect_eq(stats(1).st_bad_messages, 1);
	advance(2000);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(sides[i].child_up, 1, "side %d: one IPsec SA pair", i);
		cr_expect_eq(sides[i].ike_up, 1, "side %d", i);
	}
	cr_expect_eq(stats(0).st_bad_messages, 0);
	expect_child_pair();
}

/* Main mode message 2 is an answer, not a request: the responder sends
 * it again only when message 1 comes again. Lost once, the initiator's
 * repeat of message 1 must get it (it once did not: the digest of the
 * message 1 that made the SA was never kept, so its repeat matched
 * nothing and phase 1 hung until both gave up). */
Test(ikev1_engine, main_mode_a_lost_message_2_is_sent_again_for_the_repeat_of_message_1)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, ESP_P, PSK);
	struct ike_conn_cfg cr = conn(false, IKE_P, ESP_P, PSK);
	struct dgram m2;

	up(&ci, &cr);
	initiate();
	deliver_one();
	m2 = take(); /* lost */
	cr_assert_eq(qn, 0);
	now += 1000;
	ike_engine_tick(sides[0].e, now);
	cr_assert_eq(qn, 1, "message 1 again after 1 s");
	deliver_one();
	cr_assert_eq(qn, 1, "answered");
	cr_expect_arr_eq(queue[0].buf, m2.buf, m2.len, "with the message 2 sent before");
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 1, "no second SA");
	run();
	expect_up(false);
	expect_child_pair();
}

/* ---- 8: deletes ---- */

Test(ikev1_engine, delete_from_either_side_removes_both_sas_on_both)
{
	for (int who = 0; who < 2; who++) {
		uint32_t in[2];

		establish_with(IKE_P, ESP_P, false);
		cr_assert_eq(sides[0].child_up + sides[1].child_up, 2);
		in[0] = sides[0].child.ci_spi_in;
		in[1] = sides[1].child.ci_spi_in;
		cr_assert_eq(ike_engine_terminate(sides[who].e, sides[who].child.ci_ike_id, now), 0);
		cr_expect_eq(qn, 2, "deleter %d: a delete of the IPsec SA, one of the ISAKMP SA", who);
		/* each tampered first (HASH(1) covers the delete): dropped,
		 * counted, nothing removed */
		for (unsigned k = 0; k < qn; k++) {
			struct dgram bad = queue[k];

			cr_assert(dg_encrypted(&bad));
			cr_assert_eq(dg_exchange(&bad), IKEV1_EXCH_INFO);
			bad.buf[IKEV1_HDR_LEN + 8] ^= 0x20;
			deliver(&bad);
		}
		cr_expect_eq(stats(1 - who).st_bad_messages, 2, "deleter %d", who);
		cr_expect_eq(sides[1 - who].child_down + sides[1 - who].ike_down, 0);
		cr_expect_eq(ike_engine_sa_count(sides[1 - who].e), 1);
		run();
		for (int i = 0; i < 2; i++) {
			cr_expect_eq(sides[i].child_down, 1, "side %d child down (deleter %d)", i, who);
			cr_expect_eq(sides[i].down_spi_in, in[i], "side %d: that IPsec SA", i);
			cr_expect_eq(sides[i].ike_down, 1, "side %d ISAKMP SA down (deleter %d)", i, who);
			cr_expect_eq(ike_engine_sa_count(sides[i].e), 0, "side %d", i);
		}
		cr_expect_eq(stats(who).st_bad_messages, 0);
		cr_expect_eq(stats(1 - who).st_bad_messages, 2, "only the tampered ones");
		cr_expect_str_eq(sides[who].last_down, "deleted");
		cr_expect_str_eq(sides[1 - who].last_down, "deleted by the peer");
		cr_expect_eq(sides[0].ike_failed + sides[1].ike_failed, 0);
		advance(1000);
		cr_expect_eq(qn, 0);
		cr_expect_eq(sides[0].ike_down + sides[1].ike_down, 2, "nothing more happens");
	}
}

/* ---- 9: fragments (the FRAGMENTATION vendor ID's scheme) ---- */

#define FRAG_SIZE 576 /* IP datagrams of fragments: RFC 791's minimum */

static bool dg_fragment(const struct dgram *d)
{
	struct ikev1_hdr h;

	return ikev1_hdr_parse(d->buf, d->len, &h) == 0 && h.h_next == IKEV1_PL_FRAG;
}

/* Both sides with certificates (messages 5 and 6 carry the chains) and
 * a small fragment size. */
static void up_frag(bool no_frag_i, bool no_frag_r)
{
	struct ike_conn_cfg ci, cr;

	down(); /* the engines and credentials of a run before */
	ci = cert_conn(0, "p256");
	cr = cert_conn(1, "p256");
	ci.c_frag_size = cr.c_frag_size = FRAG_SIZE;
	ci.c_no_fragmentation = no_frag_i;
	cr.c_no_fragmentation = no_frag_r;
	up_certs(&ci, &cr);
	initiate();
}

/* Main mode from message from (in flight) up to message n, its
 * datagrams taken off the queue into out (at most max): how many. Every
 * one is a fragment of it. */
static unsigned take_fragments(unsigned from, unsigned n, struct dgram *out, unsigned max)
{
	unsigned k = 0;

	for (unsigned m = from; m < n; m++) {
		cr_assert_eq(qn, 1, "message %u in one datagram", m);
		cr_assert_not(dg_fragment(&queue[0]), "message %u is not cut", m);
		deliver_one();
	}
	cr_assert_gt(qn, 1, "message %u is cut", n);
	while (qn) {
		cr_assert_lt(k, max);
		out[k] = take();
		cr_assert(dg_fragment(&out[k]), "message %u: datagram %u", n, k);
		k++;
	}
	return k;
}

static void expect_frag_counts(int i, uint64_t frags, uint64_t whole, uint64_t bad,
			       uint64_t dup, uint64_t lost)
{
	struct ike_stats st = stats(i);

	cr_expect_eq(st.st_ikev1_frags, frags, "side %d: fragments", i);
	cr_expect_eq(st.st_ikev1_reassembled, whole, "side %d: reassembled", i);
	cr_expect_eq(st.st_ikev1_frags_bad, bad, "side %d: bad", i);
	cr_expect_eq(st.st_ikev1_frags_dup, dup, "side %d: duplicates", i);
	cr_expect_eq(st.st_ikev1_frags_lost, lost, "side %d: given up", i);
}

/* Each fragment as strongSwan sends one: a datagram within the fragment
 * size (IPv4 and UDP headers on top), the message's cookies, exchange
 * and message ID, E clear, one FRAGMENT payload numbered from 1, the
 * last flagged; the slices make the message. */
static void expect_fragments(const struct dgram *f, unsigned n, uint16_t *id)
{
	struct ikev1_frag fr;
	struct ikev1_hdr h;

	for (unsigned k = 0; k < n; k++) {
		cr_assert_eq(ikev1_frag_parse(f[k].buf, f[k].len, &h, &fr), 0);
		cr_expect_leq(f[k].len + 20 + 8, FRAG_SIZE, "fragment %u fits", k + 1);
		cr_expect_eq(h.h_exchange, IKEV1_EXCH_IDPROT);
		cr_expect_eq(h.h_msgid, 0);
		cr_expect_not(h.h_flags & IKEV1_F_ENCRYPTION);
		cr_expect_eq(fr.f_num, k + 1);
		cr_expect_eq(fr.f_last, k + 1 == n);
		cr_expect_arr_eq(f[k].buf, f[0].buf, 16, "the cookies");
		if (k == 0)
			*id = fr.f_id;
		cr_expect_eq(fr.f_id, *id, "one fragment ID");
		if (k == 0) {
			struct ikev1_hdr whole;

			cr_assert_eq(ikev1_hdr_parse(fr.f_data, IKEV1_HDR_LEN, &whole),
				     -EINVAL, "the slice starts with the message's header");
			cr_expect(whole.h_flags & IKEV1_F_ENCRYPTION, "message 5 and 6 are encrypted");
		}
	}
}

/* The vendor ID as strongSwan sends it, in messages 1 and 2. */
static bool has_frag_vid(const struct dgram *d)
{
	static const uint8_t vid[20] = {
		0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85, 0x25, 0xe7,
		0xde, 0x7f, 0x00, 0xd6, 0xc2, 0xd3, 0x80, 0x00, 0x00, 0x00 };
	struct ikev1_msg m;

	cr_assert_eq(ikev1_msg_parse(d->buf, d->len, &m), 0);
	for (unsigned i = 0; i < m.m_chain.c_n; i++)
		if (m.m_chain.c_pl[i].pl_type == IKEV1_PL_VID && m.m_chain.c_pl[i].pl_len == 20 &&
		    !memcmp(m.m_chain.c_pl[i].pl_body, vid, 20))
			return true;
	return false;
}

Test(ikev1_engine, fragments_main_mode_messages_5_and_6_cut_and_reassembled)
{
	struct dgram f5[QMAX], f6[QMAX];
	char line[64];
	unsigned n5, n6;
	uint16_t id5, id6;

	up_frag(false, false);
	cr_assert_eq(qn, 1);
	cr_expect(has_frag_vid(&queue[0]), "message 1 offers fragments");
	deliver_one();
	cr_expect(has_frag_vid(&queue[0]), "message 2 takes them");
	n5 = take_fragments(2, 5, f5, QMAX);
	expect_fragments(f5, n5, &id5);
	for (unsigned k = 0; k < n5; k++) {
		cr_expect_eq(sides[1].ike_up, 0, "not before the last fragment");
		deliver(&f5[k]);
	}
	cr_expect_eq(sides[1].ike_up, 1, "message 5 reassembled and taken");
	cr_assert_gt(qn, 1, "message 6 is cut");
	n6 = 0;
	while (qn) {
		f6[n6++] = take();
		cr_assert(dg_fragment(&f6[n6 - 1]));
	}
	expect_fragments(f6, n6, &id6);
	for (unsigned k = 0; k < n6; k++)
		deliver(&f6[k]);
	run();
	expect_up(false);
	expect_child_pair();
	expect_frag_counts(1, n5, 1, 0, 0, 0);
	expect_frag_counts(0, n6, 1, 0, 0, 0);
	snprintf(line, sizeof(line), "in %u fragments", n5);
	cr_expect(logged(0, line), "%s", line);
	snprintf(line, sizeof(line), "in %u fragments", n6);
	cr_expect(logged(1, line), "%s", line);
	cr_expect_geq(n5, 3, "a P-256 chain in 576-byte datagrams");
}

/* Fragmenting sides up to message 5, its fragments taken into f (QMAX
 * of them at most): how many. */
static unsigned message_5_fragments(struct dgram *f)
{
	unsigned n;
	uint16_t id;

	up_frag(false, false);
	n = take_fragments(1, 5, f, QMAX);
	expect_fragments(f, n, &id);
	return n;
}

Test(ikev1_engine, fragments_out_of_order_and_duplicated_are_reassembled)
{
	struct dgram f[QMAX];
	unsigned n = message_5_fragments(f);

	for (unsigned k = n; k-- > 0;) { /* last first, each twice */
		deliver(&f[k]);
		if (k)
			deliver(&f[k]);
	}
	deliver(&f[0]); /* after the whole: a new message in progress */
	cr_expect_eq(sides[1].ike_up, 1);
	run();
	expect_up(false);
	expect_frag_counts(1, 2 * n, 1, 0, n - 1, 0);
}

Test(ikev1_engine, fragments_a_lost_one_waits_for_the_retransmission)
{
	struct dgram f[QMAX];
	unsigned n = message_5_fragments(f);

	for (unsigned k = 0; k < n; k++)
		if (k != 1)
			deliver(&f[k]); /* fragment 2 lost */
	cr_expect_eq(qn, 0, "no message 6");
	cr_expect_eq(sides[1].ike_up, 0);
	now += 1000;
	ike_engine_tick(sides[0].e, now);
	cr_assert_eq(qn, n, "message 5 again: every fragment");
	for (unsigned k = 0; k < n; k++) {
		cr_expect_eq(queue[k].len, f[k].len);
		cr_expect_arr_eq(queue[k].buf, f[k].buf, f[k].len, "fragment %u the same", k + 1);
	}
	run();
	expect_up(false);
	expect_child_pair();
	expect_frag_counts(1, 2 * n - 1, 1, 0, 1, 0);
}

/* Message d cut into n fragments of fragment ID id (its header's
 * cookies, exchange and message ID, E clear) into out. */
static void cut_into_fragments(const struct dgram *d, unsigned n, uint16_t id, struct dgram *out)
{
	size_t chunk = (d->len + n - 1) / n;
	struct ikev1_hdr h;

	cr_assert_eq(ikev1_hdr_parse(d->buf, d->len, &h), 0);
	h.h_next = IKEV1_PL_FRAG;
	h.h_flags &= (uint8_t)~IKEV1_F_ENCRYPTION;
	for (unsigned k = 0; k < n; k++) {
		size_t off = k * chunk, len = off + chunk > d->len ? d->len - off : chunk;
		struct ike_writer w;

		out[k] = *d;
		ike_w_init(&w, out[k].buf, sizeof(out[k].buf));
		ikev1_w_hdr(&w, &h);
		ikev1_w_frag(&w, &(struct ikev1_frag){ .f_id = id, .f_num = (uint8_t)(k + 1),
						       .f_last = k + 1 == n,
						       .f_data = d->buf + off, .f_len = len });
		cr_assert_eq(ike_w_finish(&w, &out[k].len), 0);
	}
}

/* What charon's fragmentation = force sends: message 1 itself in
 * fragments, before there is a responder cookie or an SA. The responder
 * puts it together apart from any SA (fragments out of order, one twice)
 * and answers it; main mode goes on to the end. */
Test(ikev1_engine, fragments_of_message_1_are_reassembled_before_there_is_an_sa)
{
	struct dgram m1, f[3];

	up_frag(false, false);
	cr_assert_eq(qn, 1);
	m1 = take();
	cut_into_fragments(&m1, 3, 1, f);
	deliver(&f[2]);
	deliver(&f[0]);
	deliver(&f[0]);
	cr_expect_eq(qn, 0, "nothing before the whole");
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0, "no SA for fragments");
	deliver(&f[1]);
	cr_assert_eq(qn, 1, "message 2");
	cr_expect(has_frag_vid(&queue[0]), "message 2 takes fragments");
	run();
	expect_up(false);
	expect_child_pair();
	cr_expect_geq(stats(1).st_ikev1_reassembled, 2, "message 1, and 5");
	cr_expect_eq(stats(1).st_ikev1_frags_dup, 1);
	cr_expect_eq(stats(1).st_ikev1_frags_bad, 0);
}

/* First messages in fragments are held for a few peers at once
 * (IKEV1_FIRST_FRAG_SLOTS): one more peer's takes the oldest's place,
 * that message given up and counted; a peer's new message replaces its
 * old one. Memory stays bounded whatever is sent. */
Test(ikev1_engine, fragments_of_first_messages_are_held_for_a_few_peers_at_once)
{
	struct dgram m1, f[2], x;
	unsigned peers = IKEV1_FIRST_FRAG_SLOTS + 1;

	up_frag(false, false);
	m1 = take();
	cut_into_fragments(&m1, 2, 1, f);
	deliver(&f[0]); /* the real peer's first half: the oldest */
	for (unsigned p = 1; p < peers; p++) {
		x = f[0];
		x.remote.ep_addr.bytes[3] = (uint8_t)(100 + p);
		x.buf[0] ^= (uint8_t)p; /* its own cookie */
		now += 1;
		deliver(&x);
	}
	cr_expect_eq(stats(1).st_ikev1_frags_lost, 1, "the oldest given up");
	deliver(&f[1]); /* the real peer's second half: its first is gone */
	cr_expect_eq(qn, 0, "no message 1 without its first half");
	cr_expect_eq(stats(1).st_ikev1_frags_lost, 2, "and the newest's, whose slot it took");
	/* the peer's retransmission brings it whole */
	deliver(&f[0]);
	deliver(&f[1]);
	cr_assert_eq(qn, 1, "message 2");
	run();
	expect_up(false);
	cr_expect_eq(stats(1).st_ikev1_frags_bad, 0);
}

/* A fragment for the initiator's message 5 with f_id, f_num, last and
 * len bytes of data under the cookies of real. */
static struct dgram forge(const struct dgram *real, uint16_t id, uint8_t num, bool last,
			  size_t len)
{
	static uint8_t data[4096];
	struct dgram d = real[0];
	struct ikev1_hdr h;
	struct ike_writer w;

	cr_assert_leq(len, sizeof(data));
	memset(data, 0x5a, sizeof(data));
	cr_assert_eq(ikev1_hdr_parse(real->buf, real->len, &h), 0);
	ike_w_init(&w, d.buf, sizeof(d.buf));
	ikev1_w_hdr(&w, &h);
	ikev1_w_frag(&w, &(struct ikev1_frag){ .f_id = id, .f_num = num, .f_last = last,
					       .f_data = data, .f_len = len });
	cr_assert_eq(ike_w_finish(&w, &d.len), 0);
	return d;
}

Test(ikev1_engine, fragments_malformed_are_dropped_and_counted)
{
	struct dgram f[QMAX], d;
	unsigned n = message_5_fragments(f), bad = 0, lost = 0;

	d = forge(f, 0x7777, 1, false, 16);
	d.buf[34] = 0; /* number 0 */
	deliver(&d), bad++;
	d = forge(f, 0x7777, 1, false, 1);
	cut(&d, d.len - 1, true); /* no data */
	d.buf[31] = IKEV1_GEN_HDR_LEN + IKEV1_FRAG_HDR_LEN;
	deliver(&d), bad++;
	d = forge(f, 0x7777, 33, false, 16); /* too many: 32 at most */
	deliver(&d), bad++;
	d = forge(f, 0x7777, 1, false, 2049); /* one slice too large */
	deliver(&d), bad++;
	d = forge(f, 0x7777, 1, false, 16);
	d.buf[8] ^= 1; /* cookies of no SA */
	deliver(&d), bad++;

	/* 5 forged so far; then beyond the last, and a second last at odds
	 * with the first */
	deliver((d = forge(f, 0x7777, 3, true, 16), &d));
	deliver((d = forge(f, 0x7777, 4, false, 16), &d)), bad++;
	deliver((d = forge(f, 0x7777, 2, true, 16), &d)), bad++;
	deliver((d = forge(f, 0x7777, 3, true, 16), &d)); /* a duplicate */
	/* all together larger than a message can be (8192 bytes) */
	for (uint8_t k = 1; k <= 4; k++)
		deliver((d = forge(f, 0x7778, k, false, 2000), &d));
	lost++; /* 0x7777's fragment 3 */
	deliver((d = forge(f, 0x7778, 5, false, 2000), &d)), bad++, lost++;
	/* a message left half done is given up when it is too old */
	deliver((d = forge(f, 0x7779, 2, false, 16), &d));
	now += 10001;
	cr_expect_eq(sides[1].ike_up, 0);
	cr_expect_eq(stats(1).st_bad_messages, 0, "nothing reassembled");

	for (unsigned k = 0; k < n; k++)
		deliver(&f[k]);
	lost++; /* 0x7779, too old */
	run();
	expect_up(false);
	expect_frag_counts(1, 15 + n, 1, bad, 1, lost);

	/* shorter than its header says: not even a fragment */
	d = forge(f, 0x7777, 1, false, 16);
	cut(&d, d.len - 1, false);
	deliver(&d);
	cr_expect_eq(stats(1).st_bad_messages, 1);
	expect_frag_counts(1, 15 + n, 1, bad, 1, lost);
}

/* Fragments only when both sent the vendor ID: a side that has them off
 * does not send it, and neither cuts anything. */
Test(ikev1_engine, fragments_not_without_the_vendor_id_of_both)
{
	for (int off = 0; off < 2; off++) {
		up_frag(off == 0, off == 1);
		cr_assert_eq(qn, 1);
		cr_expect_eq(has_frag_vid(&queue[0]), off == 1, "message 1, side %d off", off);
		deliver_one();
		cr_assert_eq(qn, 1);
		cr_expect_not(has_frag_vid(&queue[0]), "message 2, side %d off", off);
		cr_expect_eq(run(), 8, "side %d off: one datagram a message", off);
		expect_up(false);
		expect_frag_counts(0, 0, 0, 0, 0, 0);
		expect_frag_counts(1, 0, 0, 0, 0, 0);
	}
}

/* ---- key material in freed memory (free_watch.c) ---- */

/* The quick mode's KEYMAT is in neither side's freed memory once the
 * engines are gone: every block that held a key was wiped first. */
Test(ikev1_engine, no_keymat_is_left_in_freed_memory)
{
	uint8_t key[32];
	unsigned freed;

	establish_with(IKE_P, "aes256-sha256", false);
	expect_up(false);
	cr_assert_eq(sides[0].child.ci_encr_len, 32);
	memcpy(key, sides[0].encr_out, sizeof(key));
	free_watch_start(key, sizeof(key));
	down();
	free_watch_stop();
	freed = free_watch_freed();
	cr_expect_gt(freed, 4, "the SAs, their states and the engines were freed");
	cr_expect_eq(free_watch_hits(), 0, "%u of %u freed blocks held the key",
		     free_watch_hits(), freed);
}

/* ---- XAUTH and Mode Config (ikev1_cfg.c) against a scripted client ----
 *
 * hq (side 1) is the gateway: "remote_auth": "xauth" (alice), pool rw4 of
 * 198.18.1.0/30 behind its child's remote side. branch (side 0) only
 * does main mode and quick mode; the test plays its XAUTH and Mode
 * Config part with branch's ISAKMP SA keys: it decrypts hq's
 * transaction messages (IV chain, HASH checked) and sends its own. */

#define XA_USER "alice"
#define XA_PW "wonderland"

/* One transaction exchange as the client sees it. */
struct xa_msg {
	uint32_t msgid;
	uint8_t iv[IKEV1_BLOCK_MAX];
	uint8_t plain[4096];
	struct ikev1_cfg_pl cp;
};

static struct ike_sa *xa_client(void)
{
	struct ike_sa *sa = ike_sa_find_by_id(sides[0].e, sides[0].up_info.si_id);

	cr_assert_not_null(sa);
	cr_assert_not_null(sa->sa_v1);
	return sa;
}

static void xa_up(bool xauth, bool push)
{
	struct ike_conn_cfg ci = conn(true, IKE_P, ESP_P, PSK);
	struct ike_conn_cfg cr = conn(false, IKE_P, ESP_P, PSK);
	struct ike_pool_cfg pc = { .pc_name = "rw4", .pc_n_dns = 1, .pc_n_split = 1 };
	struct ike_eap_user u = { .eu_name = XA_USER, .eu_password = XA_PW,
				  .eu_password_len = sizeof(XA_PW) - 1 };

	cr_assert(ip_prefix_parse("198.18.1.0/30", &pc.pc_prefix));
	cr_assert(ip_addr_parse("198.18.2.53", &pc.pc_dns[0]));
	cr_assert(ip_prefix_parse("198.18.2.0/24", &pc.pc_split[0]));
	/* branch offers XAUTHInitPreShared; the test is its XAUTH client */
	ci.c_remote_auth = cr.c_remote_auth = xauth ? IKE_REMOTE_AUTH_XAUTH : IKE_REMOTE_AUTH_SAME;
	cr.c_modecfg_push = push;
	cr.c_dpd_s = 0; /* a silent client ends by the XAUTH timeout alone */
	snprintf(cr.c_pools[0], IKE_NAME_MAX, "rw4");
	cr.c_n_pools = 1;
	up(&ci, &cr);
	cr_assert_eq(ike_engine_add_pool(sides[1].e, &pc), 0);
	cr_assert_eq(ike_engine_set_eap_users(sides[1].e, &u, 1), 0);
	initiate();
}

/* Carries datagrams until hq's next transaction message to branch is
 * first in flight (branch's own quick mode goes to hq meanwhile). */
static void xa_run_to_cfg(void)
{
	while (qn && !(queue[0].to == 0 && dg_exchange(&queue[0]) == IKEV1_EXCH_TRANSACTION))
		deliver_one();
	cr_assert_gt(qn, 0, "no transaction message from the gateway");
}

/* Takes hq's transaction message off the queue and opens it as branch
 * would: the IV (a new message ID's from phase 1, else x's chain), the
 * HASH, one Attribute payload. */
static void xa_open(struct xa_msg *x)
{
	struct dgram d = take();
	struct ike_sa *sa = xa_client();
	struct ikev1_sa_state *v1 = sa->sa_v1;
	struct ikev1_chain ch;
	struct ikev1_msg m;

	cr_assert_eq(d.to, 0);
	cr_assert_eq(ikev1_msg_parse(d.buf, d.len, &m), 0);
	cr_assert_eq(m.m_hdr.h_exchange, IKEV1_EXCH_TRANSACTION);
	cr_assert(m.m_hdr.h_flags & IKEV1_F_ENCRYPTION);
	if (x->msgid != m.m_hdr.h_msgid) {
		x->msgid = m.m_hdr.h_msgid;
		cr_assert_eq(ikev1_iv_phase2(sa->sa_alg.ch_prf, v1->v1_p1_last, v1->v1_block,
					     x->msgid, x->iv), 0);
	}
	cr_assert_leq(m.m_enc_len, sizeof(x->plain));
	memcpy(x->plain, m.m_enc, m.m_enc_len);
	cr_assert_eq(ikev1_cbc(sa->sa_alg.ch_encr, v1->v1_enc_key, v1->v1_enc_len, x->iv,
			       x->plain, m.m_enc_len, false), 0);
	cr_assert_eq(ikev1_chain_parse(m.m_hdr.h_next, x->plain, m.m_enc_len, true, &ch), 0);
	cr_assert(ikev1_hash_ok(sa, x->msgid, NULL, 0, x->plain, m.m_enc_len, &ch), "HASH");
	cr_assert_eq(ch.c_n, 2);
	cr_assert_eq(ch.c_pl[1].pl_type, IKEV1_PL_ATTR);
	cr_assert_eq(ikev1_cfg_decode(ch.c_pl[1].pl_body, ch.c_pl[1].pl_len, &x->cp), 0);
}

/* branch's transaction message in x's exchange (msgid 0: a new one of
 * branch's, IV from phase 1). */
static void xa_send(struct xa_msg *x, const struct ikev1_cfg_pl *cp)
{
	struct ike_sa *sa = xa_client();
	struct ikev1_xchg xc = { 0 };
	uint8_t buf[4096];
	struct ike_writer w;
	size_t at;

	if (!x->msgid) {
		x->msgid = 0x5eed0001;
		cr_assert_eq(ikev1_iv_phase2(sa->sa_alg.ch_prf, sa->sa_v1->v1_p1_last,
					     sa->sa_v1->v1_block, x->msgid, x->iv), 0);
	}
	xc.x_msgid = x->msgid;
	memcpy(xc.x_iv, x->iv, sizeof(xc.x_iv));
	ikev1_msg_begin(sa, &w, buf, sizeof(buf), IKEV1_EXCH_TRANSACTION, x->msgid,
			IKEV1_F_ENCRYPTION);
	at = ikev1_hash_reserve(sa, &w);
	ikev1_w_cfg(&w, cp);
	ikev1_hash_fill(sa, &w, at, x->msgid, NULL, 0);
	cr_assert_eq(ikev1_msg_send(sa, &w, &xc, false), 0);
	memcpy(x->iv, xc.x_iv, sizeof(x->iv));
	ikev1_xchg_clear(&xc);
}

static const struct ikev1_attr *xa_attr(const struct xa_msg *x, uint16_t type)
{
	return ikev1_cfg_find(&x->cp, type);
}

/* The client's XAUTH: hq's REQUEST answered with user and pw, hq's
 * STATUS read (its value returned) and acknowledged. */
static uint16_t xa_xauth_as(const char *user, const char *pw)
{
	struct xa_msg req = { 0 }, set = { 0 };
	const struct ikev1_attr *st;
	struct ikev1_cfg_pl reply = {
		.cp_type = IKEV1_CFG_REPLY, .cp_n = 2,
		.cp_attr = {
			{ .a_type = IKEV1_CA_XAUTH_USER_NAME, .a_data = (const uint8_t *)user,
			  .a_len = (uint16_t)strlen(user) },
			{ .a_type = IKEV1_CA_XAUTH_USER_PASSWORD, .a_data = (const uint8_t *)pw,
			  .a_len = (uint16_t)strlen(pw) },
		},
	};
	struct ikev1_cfg_pl ack = { .cp_type = IKEV1_CFG_ACK };
	uint16_t status;

	xa_run_to_cfg();
	xa_open(&req);
	cr_assert_eq(req.cp.cp_type, IKEV1_CFG_REQUEST);
	cr_assert_not_null(xa_attr(&req, IKEV1_CA_XAUTH_TYPE));
	cr_expect(xa_attr(&req, IKEV1_CA_XAUTH_TYPE)->a_tv);
	cr_expect_eq(xa_attr(&req, IKEV1_CA_XAUTH_TYPE)->a_val, IKEV1_XAUTH_TYPE_GENERIC);
	cr_assert_not_null(xa_attr(&req, IKEV1_CA_XAUTH_USER_NAME));
	cr_assert_not_null(xa_attr(&req, IKEV1_CA_XAUTH_USER_PASSWORD));
	xa_send(&req, &reply);
	xa_run_to_cfg();
	xa_open(&set);
	cr_assert_neq(set.msgid, req.msgid, "STATUS in an exchange of its own");
	cr_assert_eq(set.cp.cp_type, IKEV1_CFG_SET);
	st = xa_attr(&set, IKEV1_CA_XAUTH_STATUS);
	cr_assert_not_null(st);
	cr_assert(st->a_tv);
	status = st->a_val;
	ack.cp_id = set.cp.cp_id;
	xa_send(&set, &ack);
	return status;
}

static uint16_t xa_xauth(const char *pw)
{
	return xa_xauth_as(XA_USER, pw);
}

static unsigned xa_leases_held;
static struct ip_addr xa_lease_addr;
static void xa_count_lease(void *ctx, const struct ike_lease_info *li)
{
	(void)ctx;
	xa_leases_held += li->li_holders;
	if (li->li_holders)
		xa_lease_addr = li->li_addr;
}

static void xa_pool(void *ctx, const struct ike_pool_info *pi)
{
	(void)ctx;
	(void)pi;
}

static unsigned xa_held(void)
{
	xa_leases_held = 0;
	ike_engine_pools(sides[1].e, xa_pool, xa_count_lease, NULL);
	return xa_leases_held;
}

/* A quick mode of branch's for its address alone (and hq's side). */
static void xa_quick_mode(const char *addr)
{
	static struct ike_child_cfg cc;
	char pfx[64];

	cc = conn(true, IKE_P, ESP_P, PSK).c_child[0];
	snprintf(pfx, sizeof(pfx), "%s/32", addr);
	ts(&cc.cc_local[0], pfx);
	cr_assert_eq(ikev1_qm_start(xa_client(), &cc, NULL), 0);
	run();
}

Test(ikev1_engine, xauth_then_mode_config_pull_gives_an_address_and_a_narrowed_ipsec_sa)
{
	struct xa_msg rq = { 0 }, rp = { 0 };
	const struct ikev1_attr *a;
	struct ikev1_cfg_pl pull = {
		.cp_type = IKEV1_CFG_REQUEST, .cp_id = 0x4242, .cp_n = 7,
		.cp_attr = {
			{ .a_type = IKEV1_CA_INTERNAL_IP4_ADDRESS },
			{ .a_type = IKEV1_CA_INTERNAL_IP4_NETMASK },
			{ .a_type = IKEV1_CA_INTERNAL_IP4_DNS },
			{ .a_type = IKEV1_CA_UNITY_SPLIT_INCLUDE },
			{ .a_type = IKEV1_CA_UNITY_BANNER },
			{ .a_type = IKEV1_CA_UNITY_DEF_DOMAIN },
			{ .a_type = IKEV1_CA_INTERNAL_IP6_ADDRESS },
		},
	};
	static const uint8_t split[IKEV1_UNITY_SPLIT_LEN] = { 198, 18, 2, 0, 255, 255, 255, 0 };
	char vip[IP_ADDR_STRLEN];

	xa_up(true, false);
	cr_assert_eq(xa_xauth(XA_PW), IKEV1_XAUTH_STATUS_OK);
	/* branch's own quick mode came before XAUTH was done */
	cr_expect(logged(1, "quick mode refused: XAUTH has not succeeded"));
	cr_expect_eq(sides[1].child_up, 0);
	run();
	cr_expect_eq(qn, 0, "pull: the gateway waits for the client's request");
	cr_expect(logged(1, "XAUTH user \"alice\" authenticated"));

	xa_send(&rq, &pull);
	xa_run_to_cfg();
	rp.msgid = rq.msgid;
	memcpy(rp.iv, rq.iv, sizeof(rp.iv));
	xa_open(&rp);
	cr_assert_eq(rp.cp.cp_type, IKEV1_CFG_REPLY);
	cr_expect_eq(rp.cp.cp_id, 0x4242, "the request's identifier");
	a = xa_attr(&rp, IKEV1_CA_INTERNAL_IP4_ADDRESS);
	cr_assert_not_null(a);
	cr_assert_eq(a->a_len, 4);
	cr_expect(a->a_data[0] == 198 && a->a_data[1] == 18 && a->a_data[2] == 1 &&
		  a->a_data[3] >= 1 && a->a_data[3] <= 2, "an address of 198.18.1.0/30");
	snprintf(vip, sizeof(vip), "198.18.1.%u", a->a_data[3]);
	a = xa_attr(&rp, IKEV1_CA_INTERNAL_IP4_NETMASK);
	cr_assert(a && a->a_len == 4 && !memcmp(a->a_data, (uint8_t[]){ 255, 255, 255, 252 }, 4));
	a = xa_attr(&rp, IKEV1_CA_INTERNAL_IP4_DNS);
	cr_assert(a && a->a_len == 4 && !memcmp(a->a_data, (uint8_t[]){ 198, 18, 2, 53 }, 4));
	a = xa_attr(&rp, IKEV1_CA_UNITY_SPLIT_INCLUDE);
	cr_assert(a && a->a_len == sizeof(split) && !memcmp(a->a_data, split, sizeof(split)));
	cr_expect_null(xa_attr(&rp, IKEV1_CA_UNITY_BANNER), "not configured: left out");
	cr_expect_null(xa_attr(&rp, IKEV1_CA_UNITY_DEF_DOMAIN));
	cr_expect_null(xa_attr(&rp, IKEV1_CA_INTERNAL_IP6_ADDRESS), "no IPv6 pool");
	cr_expect_eq(rp.cp.cp_n, 4);
	cr_expect(logged(1, "asked for a virtual IPv6 address"));
	cr_expect_eq(xa_held(), 1);

	/* a quick mode from another address is refused, from the lease taken */
	xa_quick_mode("198.18.1.3");
	cr_expect(logged(1, "quick mode refused: the client's proxy ID is not its Mode Config address"));
	cr_expect_eq(sides[1].child_up, 0);
	xa_quick_mode(vip);
	cr_assert_eq(sides[1].child_up, 1);
	cr_expect_eq(sides[1].child.ci_ts_remote->ts_n, 1);
	cr_assert_eq(xa_held(), 1);
	cr_expect_arr_eq(sides[1].child.ci_ts_remote->ts[0].ts_start, xa_lease_addr.bytes, 4,
			 "the IPsec SA's remote side is the lease");
	cr_expect_arr_eq(sides[1].child.ci_ts_remote->ts[0].ts_end, xa_lease_addr.bytes, 4);
	cr_expect_eq(stats(1).st_bad_messages, 0);

	/* the lease goes with the ISAKMP SA */
	cr_assert_eq(ike_engine_terminate(sides[0].e, sides[0].up_info.si_id, now), 0);
	run();
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
	cr_expect_eq(xa_held(), 0);
}

Test(ikev1_engine, xauth_wrong_password_gets_status_fail_and_the_sa_deleted)
{
	xa_up(true, false);
	cr_assert_eq(xa_xauth("not the password"), IKEV1_XAUTH_STATUS_FAIL);
	cr_expect(logged(1, "connection hq: XAUTH for user \"alice\" refused: wrong password"));
	run();
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0, "the gateway's SA is gone");
	cr_expect_eq(ike_engine_sa_count(sides[0].e), 0, "the client got the delete");
	cr_expect_eq(sides[1].child_up, 0);
	cr_expect_eq(xa_held(), 0);
}

Test(ikev1_engine, xauth_unknown_or_control_character_users_are_refused_unlogged)
{
	xa_up(true, false);
	cr_assert_eq(xa_xauth_as("mallory", XA_PW), IKEV1_XAUTH_STATUS_FAIL);
	cr_expect(logged(1, "XAUTH for user \"mallory\" refused: no such user"));
	run();
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
	xa_up(true, false);
	cr_assert_eq(xa_xauth_as("alice\nIKE SA 9: forged", XA_PW), IKEV1_XAUTH_STATUS_FAIL);
	cr_expect(logged(1, "XAUTH for user \"\" refused: a user name with control characters"));
	cr_expect_not(logged(1, "forged"), "the name is not logged");
}

Test(ikev1_engine, xauth_not_answered_ends_the_sa)
{
	xa_up(true, false);
	xa_run_to_cfg();
	take(); /* the client never answers; retransmissions dropped too */
	for (unsigned i = 0; i < 700 && ike_engine_sa_count(sides[1].e); i++) {
		now += 100;
		ike_engine_tick(sides[1].e, now);
		qn = 0;
	}
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
	cr_expect(logged(1, "XAUTH / Mode Config did not finish"));
}

Test(ikev1_engine, mode_config_push_without_xauth_sets_the_address)
{
	struct xa_msg set = { 0 };
	struct ikev1_cfg_pl ack = { .cp_type = IKEV1_CFG_ACK };
	const struct ikev1_attr *a;
	char vip[IP_ADDR_STRLEN];
	unsigned n;

	xa_up(false, true);
	xa_run_to_cfg();
	xa_open(&set);
	cr_assert_eq(set.cp.cp_type, IKEV1_CFG_SET);
	a = xa_attr(&set, IKEV1_CA_INTERNAL_IP4_ADDRESS);
	cr_assert(a && a->a_len == 4);
	cr_assert_null(xa_attr(&set, IKEV1_CA_XAUTH_STATUS));
	ack.cp_id = set.cp.cp_id;
	xa_send(&set, &ack);
	run();
	cr_expect(logged(1, "Mode Config address pushed and acknowledged"));
	ip_addr_format(&(struct ip_addr){ .family = AF_INET, .bytes = { a->a_data[0], a->a_data[1],
									 a->a_data[2], a->a_data[3] } },
		       vip, sizeof(vip));
	n = sides[1].child_up; /* branch's first quick mode may have come after the push */
	xa_quick_mode(vip);
	cr_assert_eq(sides[1].child_up, n + 1);
	cr_expect_arr_eq(sides[1].child.ci_ts_remote->ts[0].ts_start, a->a_data, 4);
	cr_expect_arr_eq(sides[1].child.ci_ts_remote->ts[0].ts_end, a->a_data, 4);
	cr_expect_eq(xa_held(), 1);
}

Test(ikev1_engine, a_transaction_exchange_on_a_connection_without_it_is_dropped)
{
	struct xa_msg rq = { 0 };
	struct ikev1_cfg_pl pull = { .cp_type = IKEV1_CFG_REQUEST, .cp_n = 1,
				     .cp_attr = { { .a_type = IKEV1_CA_INTERNAL_IP4_ADDRESS } } };

	establish_with(IKE_P, ESP_P, false);
	xa_send(&rq, &pull);
	run();
	cr_expect(logged(1, "a transaction exchange (XAUTH / Mode Config) on a connection with neither"));
	cr_expect_eq(stats(1).st_bad_messages, 1);
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 1, "the SA stays");
}
