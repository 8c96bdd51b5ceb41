/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two engines whose connections speak IKEv1 (RFC 2409), in one process,
 * their datagrams carried by a queue the test controls (dropped,
 * duplicated, altered or delivered): main and aggressive mode with a
 * PSK, main mode with certificates, one quick mode; and mainly what they
 * do with bad input: wrong keys, forged hashes, proposals and proxy IDs
 * nobody takes, tampered, truncated and malformed datagrams, repeats.
 * The fixture is test_ike_engine.c's; interoperability is
 * tests/e2e/ikev1_strongswan.sh's job.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike.h"
#include "ike_cert.h"
#include "ikev1_msg.h"

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

static void ev_log(void *ctx, const char *line)
{
	struct side *s = ctx;

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

static void down(void)
{
	for (int i = 0; i < 2; i++) {
		ike_engine_free(sides[i].e);
		sides[i].e = NULL;
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
	ike_engine_input(sides[d->to].e, &d->local, &d->remote, d->buf, d->len, now);
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

/* ---- 1, 2: the working paths ---- */

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
		run();
		for (int i = 0; i < 2; i++) {
			cr_expect_eq(sides[i].child_down, 1, "side %d child down (deleter %d)", i, who);
			cr_expect_eq(sides[i].down_spi_in, in[i], "side %d: that IPsec SA", i);
			cr_expect_eq(sides[i].ike_down, 1, "side %d ISAKMP SA down (deleter %d)", i, who);
			cr_expect_eq(ike_engine_sa_count(sides[i].e), 0, "side %d", i);
			cr_expect_eq(stats(i).st_bad_messages, 0, "side %d", i);
		}
		cr_expect_str_eq(sides[who].last_down, "deleted");
		cr_expect_str_eq(sides[1 - who].last_down, "deleted by the peer");
		cr_expect_eq(sides[0].ike_failed + sides[1].ike_failed, 0);
		advance(1000);
		cr_expect_eq(qn, 0);
		cr_expect_eq(sides[0].ike_down + sides[1].ike_down, 2, "nothing more happens");
	}
}

/* ---- 3: wrong keys, forged hashes ---- */

/* Aggressive mode message 2 is in clear: a byte of its HASH_R flipped
 * on the way, the initiator finds the responder unauthenticated and
 * installs nothing (no message 3, no quick mode). */
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
	cr_expect_eq(qn, 0, "no message 3, no quick mode");
	cr_expect_eq(sides[0].ike_up + sides[0].child_up, 0);
	cr_expect_eq(sides[0].ike_failed, 1);
	cr_expect_str_eq(sides[0].last_failed, "peer does not authenticate");
	cr_expect_eq(ike_engine_sa_count(sides[0].e), 0);
	cr_expect_eq(sides[1].ike_up + sides[1].child_up, 0);
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
