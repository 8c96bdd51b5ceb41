/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two IKEv2 engines in one process, their datagrams carried by a queue
 * the test controls (dropped, duplicated or delivered): IKE_SA_INIT and
 * IKE_AUTH with the first Child SA, proposals and INVALID_KE_PAYLOAD,
 * wrong keys, deletes from each side, liveness checks, retransmission.
 * Interoperability is tests/e2e/ike_strongswan.sh's job.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike.h"
#include "ikev2_msg.h"
#include "ikev2_payload.h"
#include "ike_cert.h"
#include "free_watch.h"
#include "pki_fixture.h"

#define QMAX 64

struct dgram {
	int to; /* engine index */
	struct ike_endpoint local, remote;
	uint8_t buf[8192];
	size_t len;
};

struct side {
	struct ike_engine *e;
	int index;
	unsigned ike_up, ike_down, child_up, child_down;
	unsigned child_replaced; /* child_down with ci_replaced */
	struct ike_child_info child;
	uint8_t encr_in[64], encr_out[64], integ_in[64], integ_out[64];
	char last_down[64];
	unsigned ike_failed;
	char last_failed[64];
	struct ip_addr vip; /* the last ike_up's si_vip */
	uint32_t live_in[8], live_out[8]; /* Child SAs up and not down */
	unsigned n_live;
};

static struct side sides[2];
static struct dgram queue[QMAX];
static unsigned qn;
static bool drop_to[2];
static bool nat; /* the responder sees the initiator as 198.51.100.9:1024+ */
static unsigned keepalives[2];
static uint64_t now;

static void ev_send(void *ctx, const struct ike_endpoint *local,
		    const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	struct side *s = ctx;

	cr_assert_lt(qn, QMAX);
	queue[qn] = (struct dgram){ .to = 1 - s->index, .local = *remote, .remote = *local,
				    .len = len };
	memcpy(queue[qn].buf, buf, len);
	qn++;
}

static void ev_keepalive(void *ctx, const struct ike_endpoint *local,
			 const struct ike_endpoint *remote)
{
	(void)local;
	(void)remote;
	keepalives[((struct side *)ctx)->index]++;
}

static void ev_ike_up(void *ctx, const struct ike_sa_info *sa)
{
	((struct side *)ctx)->ike_up++;
	((struct side *)ctx)->vip = sa->si_vip;
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
	if (s->n_live < 8) {
		s->live_in[s->n_live] = ci->ci_spi_in;
		s->live_out[s->n_live++] = ci->ci_spi_out;
	}
	memcpy(s->encr_in, ci->ci_encr_in, ci->ci_encr_len);
	memcpy(s->encr_out, ci->ci_encr_out, ci->ci_encr_len);
	memcpy(s->integ_in, ci->ci_integ_in, ci->ci_integ_len);
	memcpy(s->integ_out, ci->ci_integ_out, ci->ci_integ_len);
}

static void ev_child_down(void *ctx, const struct ike_child_info *ci)
{
	struct side *s = ctx;

	s->child_down++;
	s->child_replaced += ci->ci_replaced;
	for (unsigned i = 0; i < s->n_live; i++)
		if (s->live_in[i] == ci->ci_spi_in) {
			s->live_in[i] = s->live_in[--s->n_live];
			s->live_out[i] = s->live_out[s->n_live];
			break;
		}
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

static struct ike_conn_cfg conn(bool initiator, const char *ike_prop, const char *esp_prop,
				const char *psk)
{
	struct ike_conn_cfg c;
	char err[64];

	memset(&c, 0, sizeof(c));
	snprintf(c.c_name, sizeof(c.c_name), "%s", initiator ? "branch" : "hq");
	c.c_local = ep(initiator ? "192.0.2.1" : "192.0.2.2", 500);
	c.c_remote = ep(initiator ? "192.0.2.2" : "192.0.2.1", 500);
	if (!initiator)
		c.c_remote.ep_addr.family = 0; /* any peer */
	cr_assert_eq(ike_prop_parse(ike_prop, IKE_PROTO_IKE, &c.c_ike[0], err, sizeof(err)), 0, "%s", err);
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

/* ev_log must never run while a message is processed (the exchange path). */
static bool in_input;
static unsigned log_lines, log_lines_in_input;

static char info_lines[2048]; /* the info lines logged, one after the other */
static struct ike_log_fields info_fields; /* the last info line's */

static void ev_log(void *ctx, enum ike_log_level level, const struct ike_log_fields *f,
		   const char *line)
{
	(void)ctx;
	if (level == IKE_LOG_INFO)
		info_fields = *f;
	cr_assert_gt(strlen(line), 0);
	log_lines++;
	log_lines_in_input += in_input;
	if (level == IKE_LOG_INFO && strlen(info_lines) + strlen(line) + 2 < sizeof(info_lines)) {
		strcat(info_lines, line);
		strcat(info_lines, "\n");
	}
}

static void down(void)
{
	for (int i = 0; i < 2; i++) {
		ike_engine_free(sides[i].e);
		sides[i].e = NULL;
	}
}

/* EAP-RADIUS: the last request the engine handed over, copied. */
static struct {
	unsigned n;
	uint64_t handle;
	char user[IKE_EAP_USER_MAX + 1];
	uint8_t eap[512], state[IKE_RADIUS_STATE_MAX];
	size_t eap_len, state_len;
} rad;

static void ev_eap_radius(void *ctx, const struct ike_radius_request *rr)
{
	(void)ctx;
	rad.n++;
	rad.handle = rr->rr_handle;
	snprintf(rad.user, sizeof(rad.user), "%s", rr->rr_user);
	cr_assert_leq(rr->rr_eap_len, sizeof(rad.eap));
	memcpy(rad.eap, rr->rr_eap, rr->rr_eap_len);
	rad.eap_len = rr->rr_eap_len;
	memcpy(rad.state, rr->rr_state, rr->rr_state_len);
	rad.state_len = rr->rr_state_len;
}

TestSuite(ike_engine, .fini = down);

static void up(const struct ike_conn_cfg *ci, const struct ike_conn_cfg *cr)
{
	down();
	for (int i = 0; i < 2; i++) {
		struct ike_events ev = {
			.ev_ctx = &sides[i], .ev_send = ev_send, .ev_ike_up = ev_ike_up,
			.ev_ike_down = ev_ike_down, .ev_child_up = ev_child_up,
			.ev_child_down = ev_child_down, .ev_keepalive = ev_keepalive,
			.ev_log = ev_log, .ev_ike_failed = ev_ike_failed,
			.ev_eap_radius = ev_eap_radius,
		};
		memset(&sides[i], 0, sizeof(sides[i]));
		sides[i].index = i;
		sides[i].e = ike_engine_new(&ev);
		cr_assert_not_null(sides[i].e);
	}
	cr_assert_eq(ike_engine_add_conn(sides[0].e, ci), 0);
	cr_assert_eq(ike_engine_add_conn(sides[1].e, cr), 0);
	qn = 0;
	drop_to[0] = drop_to[1] = false;
	nat = false;
	keepalives[0] = keepalives[1] = 0;
	log_lines = log_lines_in_input = 0;
	info_lines[0] = '\0';
	now = 1000;
}

/* Delivers until nothing is in flight; returns how many were carried. */
static unsigned run(void)
{
	unsigned carried = 0;

	while (qn) {
		struct dgram d = queue[0];
		memmove(queue, queue + 1, --qn * sizeof(queue[0]));
		if (drop_to[d.to])
			continue;
		if (nat && d.to == 1) { /* a NAT rewrote the initiator's source */
			cr_assert(ip_addr_parse("198.51.100.9", &d.remote.ep_addr));
			d.remote.ep_port = (uint16_t)(1024 + d.remote.ep_port);
		} else if (nat && d.to == 0) { /* and maps the answers back */
			cr_assert(ip_addr_parse("192.0.2.2", &d.remote.ep_addr));
			cr_assert(ip_addr_parse("192.0.2.1", &d.local.ep_addr));
			d.local.ep_port = (uint16_t)(d.local.ep_port - 1024);
		}
		in_input = true;
		ike_engine_input(sides[d.to].e, &d.local, &d.remote, d.buf, d.len, now);
		in_input = false;
		carried++;
	}
	return carried;
}

/* Delivers the first datagram in flight, whoever it is for. */
static void deliver_one(void)
{
	struct dgram d = queue[0];

	cr_assert_gt(qn, 0);
	memmove(queue, queue + 1, --qn * sizeof(queue[0]));
	ike_engine_input(sides[d.to].e, &d.local, &d.remote, d.buf, d.len, now);
}

static void expect_child_pair(void)
{
	const struct ike_child_info *a = &sides[0].child, *b = &sides[1].child;

	cr_expect_eq(a->ci_spi_in, b->ci_spi_out);
	cr_expect_eq(a->ci_spi_out, b->ci_spi_in);
	cr_expect_eq(a->ci_encr, b->ci_encr);
	cr_expect_gt(a->ci_encr_len, 0);
	cr_expect_arr_eq(sides[0].encr_out, sides[1].encr_in, a->ci_encr_len);
	cr_expect_arr_eq(sides[0].encr_in, sides[1].encr_out, a->ci_encr_len);
	cr_expect_arr_eq(sides[0].integ_out, sides[1].integ_in, a->ci_integ_len);
	cr_expect(memcmp(sides[0].encr_in, sides[0].encr_out, a->ci_encr_len) != 0,
		  "the two directions have different keys");
	cr_expect_eq(a->ci_ts_local->ts_n, 1);
	cr_expect_eq(a->ci_ts_local->ts[0].ts_start[2], 1, "our side is 198.18.1.0/24");
}

static struct ike_stats stats_of(int i)
{
	struct ike_stats st;

	ike_engine_stats(sides[i].e, &st);
	return st;
}

static void establish(const char *ike_i, const char *ike_r, const char *esp_i,
		      const char *esp_r)
{
	struct ike_conn_cfg ci = conn(true, ike_i, esp_i, "s3cret");
	struct ike_conn_cfg cr = conn(false, ike_r, esp_r, "s3cret");

	up(&ci, &cr);
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	run();
}

Test(ike_engine, establishes_with_each_proposal_set)
{
	static const char *const sets[][2] = {
		{ "aes256gcm16-prfsha384-ecp384", "aes256gcm16" },
		{ "aes128-sha256-modp2048", "aes128-sha256" },
		{ "chacha20poly1305-prfsha256-x25519", "chacha20poly1305" },
		{ "aes256-sha512-ecp521", "aes256-sha512" },
		{ "aes128gcm16-prfsha256-x448", "aes128gcm16-esn" },
		{ "aes256-sha1-ecp256", "aes256-sha1" },
		{ "aes128gcm16-prfsha256-modp6144", "aes128gcm16" },
		{ "aes256-sha512-modp8192", "aes256-sha512" },
	};

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		establish(sets[i][0], sets[i][0], sets[i][1], sets[i][1]);
		cr_expect_eq(sides[0].ike_up, 1, "%s: initiator up", sets[i][0]);
		cr_expect_eq(sides[1].ike_up, 1, "%s: responder up", sets[i][0]);
		cr_expect_eq(sides[0].child_up, 1, "%s: initiator child", sets[i][0]);
		cr_expect_eq(sides[1].child_up, 1, "%s: responder child", sets[i][0]);
		cr_expect_not(sides[0].child.ci_encap || sides[1].child.ci_encap,
			      "%s: no NAT, no UDP encapsulation", sets[i][0]);
		expect_child_pair();
	}
}

Test(ike_engine, log_lines_wait_for_the_tick_and_never_run_in_an_exchange)
{
	struct ike_stats st;

	establish("aes128gcm16-prfsha256-x25519", "aes128gcm16-prfsha256-x25519",
		  "aes128gcm16", "aes128gcm16");
	cr_assert_eq(sides[1].ike_up, 1);
	cr_expect_eq(log_lines, 0, "nothing logged while the exchanges ran");
	ike_engine_tick(sides[0].e, now);
	ike_engine_tick(sides[1].e, now);
	cr_expect_geq(log_lines, 4, "established and Child SA lines from each side");
	cr_expect_eq(log_lines_in_input, 0);
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_log_dropped, 0);
}

Test(ike_engine, a_full_log_ring_drops_and_counts_lines_until_the_tick)
{
	struct ike_conn_cfg ci = conn(true, "aes128gcm16-prfsha256-x25519", "aes128gcm16", "k");
	struct ike_conn_cfg cr = conn(false, "aes128gcm16-prfsha256-x25519", "aes128gcm16", "k");
	struct ike_stats st;

	up(&ci, &cr);
	/* Each initiation logs a line; nothing flushes before the tick. */
	for (int i = 0; i < 300; i++) {
		cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
		qn = 0; /* the requests are not delivered */
	}
	ike_engine_stats(sides[0].e, &st);
	cr_expect_eq(log_lines, 0);
	cr_expect_eq(st.st_log_dropped, 300 - 256, "the ring holds 256 lines");
	ike_engine_tick(sides[0].e, now);
	cr_expect_eq(log_lines, 256, "the kept lines reach ev_log at the tick");
	ike_engine_tick(sides[0].e, now);
	cr_expect_eq(log_lines, 256, "each line once");
}

Test(ike_engine, invalid_ke_payload_retries_with_the_group_asked_for)
{
	/* The initiator prefers x25519; the responder only takes ecp256. */
	establish("aes128-sha256-x25519-ecp256", "aes128-sha256-ecp256", "aes128-sha256",
		  "aes128-sha256");
	cr_expect_eq(sides[0].ike_up, 1);
	cr_expect_eq(sides[1].ike_up, 1);
	expect_child_pair();
}

/* The KE payload of IKE_SA_INIT message d: its group and length. */
static void expect_init_ke(const struct dgram *d, uint16_t group, size_t len)
{
	const struct ike_payload *pl;
	struct ike_pl_ke ke;
	struct ike_msg m;

	cr_assert_eq(ike_msg_parse(d->buf, d->len, &m), 0);
	cr_assert_eq(m.m_hdr.h_exchange, IKE_EXCH_SA_INIT);
	pl = ike_chain_find(&m.m_chain, IKE_PL_KE, 0);
	cr_assert_not_null(pl, "no KE payload");
	cr_assert_eq(ike_pl_ke_decode(pl, &ke), 0);
	cr_expect_eq(ke.ke_group, group);
	cr_expect_eq(ke.ke_len, len);
}

/* Issue 15: a peer offering only modp4096 got NO_PROPOSAL_CHOSEN. */
Test(ike_engine, a_peer_offering_only_modp4096_gets_an_sa)
{
	struct ike_conn_cfg ci = conn(true, "aes256-sha256-modp4096", "aes256-sha256", "k");
	struct ike_conn_cfg cr = conn(false, "aes256-sha256-ecp256-modp2048-modp4096",
				      "aes256-sha256", "k");

	up(&ci, &cr);
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	cr_assert_eq(qn, 1);
	expect_init_ke(&queue[0], IKE_DH_MODP4096, 512);
	deliver_one();
	cr_assert_eq(qn, 1, "the responder answers");
	expect_init_ke(&queue[0], IKE_DH_MODP4096, 512);
	cr_expect_eq(run(), 3, "the answer and IKE_AUTH: no INVALID_KE_PAYLOAD round");
	cr_expect_eq(sides[0].ike_up, 1);
	cr_expect_eq(sides[1].ike_up, 1);
	cr_expect_eq(sides[0].child_up + sides[1].child_up, 2);
	expect_child_pair();
}

Test(ike_engine, no_proposal_chosen_ends_the_attempt)
{
	establish("aes128-sha256-modp2048", "aes256gcm16-prfsha384-ecp384", "aes128-sha256",
		  "aes256gcm16");
	cr_expect_eq(sides[0].ike_up + sides[1].ike_up, 0);
	cr_expect_eq(ike_engine_sa_count(sides[0].e), 0, "initiator gave up");
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0, "responder kept nothing");
	cr_expect_eq(sides[0].ike_failed, 1, "the initiator's caller learns it failed");
	cr_expect_str_eq(sides[0].last_failed, "NO_PROPOSAL_CHOSEN");
	cr_expect_eq(stats_of(1).st_fail_no_proposal, 1);
	cr_expect_eq(stats_of(1).st_ike_established, 0);
	cr_expect_eq(sides[1].ike_failed, 0, "a responder's failures are not reported");
	cr_expect_eq(sides[0].ike_down, 0, "ike_down is for established SAs only");
}

/* The caller that initiated (a trap waiting with held packets) hears
 * that the SA will never come up once the retransmissions give up. */
Test(ike_engine, an_unanswered_initiation_is_reported_as_failed)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128-sha256", "s3cret");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128-sha256", "s3cret");

	up(&ci, &cr);
	drop_to[1] = true;
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	for (uint64_t t = 0; t <= 120000 && !sides[0].ike_failed; t += 250) {
		now = 1000 + t;
		ike_engine_tick(sides[0].e, now);
		run();
	}
	cr_expect_eq(sides[0].ike_failed, 1);
	cr_expect_str_eq(sides[0].last_failed, "peer did not answer");
	cr_expect_eq(stats_of(0).st_retransmits, 4, "5 transmissions: the first and 4 again");
	cr_expect_eq(stats_of(0).st_retransmit_give_up, 1);
	cr_expect_eq(ike_engine_sa_count(sides[0].e), 0);
	cr_expect_eq(sides[0].ike_up + sides[0].ike_down, 0);
	ike_engine_flush_log(sides[0].e);
	/* Said at info: what went unanswered, how often it was sent. */
	cr_expect_not_null(strstr(info_lines, "IKE SA 1, peer 192.0.2.2, connection branch: no answer "
				  "to IKE_SA_INIT after 5 transmissions in "), "%s", info_lines);
}

Test(ike_engine, wrong_psk_is_authentication_failed)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128-sha256", "one");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128-sha256", "two");

	up(&ci, &cr);
	ike_engine_initiate(sides[0].e, "branch", now);
	run();
	cr_expect_eq(sides[0].ike_up + sides[1].ike_up, 0);
	cr_expect_eq(sides[0].child_up + sides[1].child_up, 0);
	cr_expect_eq(ike_engine_sa_count(sides[0].e), 0);
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
	cr_expect_eq(sides[0].ike_failed, 1);
	cr_expect_str_eq(sides[0].last_failed, "AUTHENTICATION_FAILED");
	cr_expect_eq(stats_of(1).st_fail_auth, 1);
	cr_expect_eq(stats_of(1).st_fail_unknown_id, 0, "the identity was known");
}

static void fqdn(struct ike_identity *id, const char *name)
{
	id->id_type = IKE_ID_FQDN;
	id->id_len = (uint8_t)strlen(name);
	memcpy(id->id_data, name, id->id_len);
}

/* §2.15: connections for any peer address told apart by the peer's
 * identity. IKE_SA_INIT can only pick the first; IKE_AUTH's IDi moves
 * the SA to the connection that names it, with that one's PSK. */
Test(ike_engine, the_peer_identity_selects_the_responder_connection)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128-sha256", "bob-s3cret");
	struct ike_conn_cfg alice = conn(false, "aes128-sha256-x25519", "aes128-sha256", "alice-s3cret");
	struct ike_conn_cfg bob = conn(false, "aes128-sha256-x25519", "aes128-sha256", "bob-s3cret");
	struct ike_conn_cfg anyone = conn(false, "aes128-sha256-x25519", "aes128-sha256", "any-s3cret");

	fqdn(&ci.c_local_id, "bob.example");
	snprintf(alice.c_name, sizeof(alice.c_name), "alice");
	fqdn(&alice.c_remote_id, "alice.example");
	snprintf(bob.c_name, sizeof(bob.c_name), "bob");
	fqdn(&bob.c_remote_id, "bob.example");
	snprintf(anyone.c_name, sizeof(anyone.c_name), "anyone");
	up(&ci, &anyone); /* the catch-all first: a named identity still wins */
	cr_assert_eq(ike_engine_add_conn(sides[1].e, &alice), 0);
	cr_assert_eq(ike_engine_add_conn(sides[1].e, &bob), 0);
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	run();
	cr_expect_eq(sides[0].ike_up, 1);
	cr_expect_eq(sides[1].ike_up, 1);
	cr_expect_eq(sides[1].child_up, 1);
	cr_expect_str_eq(sides[1].child.ci_conn, "bob");
	expect_child_pair();

	/* Nobody the responder knows by name, and no catch-all: refused. */
	fqdn(&ci.c_local_id, "carol.example");
	up(&ci, &alice);
	cr_assert_eq(ike_engine_add_conn(sides[1].e, &bob), 0);
	ike_engine_initiate(sides[0].e, "branch", now);
	run();
	cr_expect_eq(sides[0].ike_up + sides[1].ike_up, 0);
	cr_expect_eq(sides[0].ike_failed, 1);
	cr_expect_str_eq(sides[0].last_failed, "AUTHENTICATION_FAILED");
	cr_expect_eq(stats_of(1).st_fail_unknown_id, 1);
	cr_expect_eq(stats_of(1).st_fail_auth, 1);
	ike_engine_flush_log(sides[1].e);
	cr_expect_not_null(strstr(info_lines, "peer 192.0.2.1, connection alice: peer authentication "
				  "failed, AUTHENTICATION_FAILED: unknown peer identity \"carol.example\": "
				  "no connection from this address takes it (connection alice wants "
				  "\"alice.example\")"), "%s", info_lines);
}

/* An identity is printed as it came, but no control byte reaches the log. */
Test(ike_engine, an_unknown_identity_is_logged_escaped)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128-sha256", "s3cret");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128-sha256", "s3cret");

	fqdn(&ci.c_local_id, "evil\nIKE SA 9 established\\");
	fqdn(&cr.c_remote_id, "branch.example");
	up(&ci, &cr);
	ike_engine_initiate(sides[0].e, "branch", now);
	run();
	cr_expect_eq(sides[1].ike_up, 0);
	ike_engine_flush_log(sides[1].e);
	cr_expect_not_null(strstr(info_lines, "unknown peer identity \"evil\\x0aIKE SA 9 established\\x5c\""),
			   "%s", info_lines);
}

/* §2.9: selectors no child takes: the IKE SA stands, the Child SA is
 * refused with TS_UNACCEPTABLE, and the line says what came and what is
 * configured. */
Test(ike_engine, unacceptable_selectors_are_refused_and_logged_with_both_sides)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128-sha256", "s3cret");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128-sha256", "s3cret");

	ts(&ci.c_child[0].cc_local[0], "198.18.50.0/24");
	up(&ci, &cr);
	ike_engine_initiate(sides[0].e, "branch", now);
	run();
	cr_expect_eq(sides[0].ike_up, 1, "§1.2: the IKE SA stands");
	cr_expect_eq(sides[0].child_up + sides[1].child_up, 0);
	cr_expect_eq(stats_of(1).st_fail_ts, 1);
	cr_expect_eq(stats_of(1).st_ike_established, 1);
	cr_expect_eq(stats_of(1).st_child_established, 0);
	ike_engine_flush_log(sides[1].e);
	cr_expect_not_null(strstr(info_lines, "connection hq: first Child SA refused: TS_UNACCEPTABLE: "
				  "received TSi 198.18.50.0/24, TSr 198.18.2.0/24; configured net: "
				  "198.18.2.0/24 === 198.18.1.0/24"), "%s", info_lines);
}

Test(ike_engine, an_unexpected_responder_identity_is_reported_to_it)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128-sha256", "s3cret");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128-sha256", "s3cret");

	/* The responder proves the PSK, but is not who the initiator wants. */
	fqdn(&ci.c_remote_id, "hq.example.org");
	up(&ci, &cr);
	ike_engine_initiate(sides[0].e, "branch", now);
	run();
	cr_expect_eq(sides[0].ike_up, 0, "the initiator refused the responder");
	cr_expect_eq(sides[1].ike_up, 1, "the responder had finished IKE_AUTH");
	/* §2.21.2: the INFORMATIONAL with AUTHENTICATION_FAILED ends it there. */
	cr_expect_eq(sides[1].ike_down, 1, "the responder was told");
	cr_expect_eq(sides[1].child_down, sides[1].child_up);
	cr_expect_eq(ike_engine_sa_count(sides[0].e), 0);
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
}

Test(ike_engine, setups_are_counted_on_both_sides)
{
	establish("aes128-sha256-x25519", "aes128-sha256-x25519", "aes128-sha256", "aes128-sha256");
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(stats_of(i).st_ike_established, 1, "side %d", i);
		cr_expect_eq(stats_of(i).st_child_established, 1, "side %d", i);
		cr_expect_eq(stats_of(i).st_retransmits, 0, "side %d", i);
	}
}

Test(ike_engine, child_proposal_mismatch_keeps_the_ike_sa)
{
	establish("aes128-sha256-x25519", "aes128-sha256-x25519", "aes256gcm16", "aes128-sha256");
	cr_expect_eq(sides[0].ike_up, 1);
	cr_expect_eq(sides[1].ike_up, 1);
	cr_expect_eq(sides[0].child_up + sides[1].child_up, 0);
}

Test(ike_engine, delete_from_the_initiator_and_from_the_responder)
{
	for (int who = 0; who < 2; who++) {
		establish("aes128-sha256-x25519", "aes128-sha256-x25519", "aes128-sha256",
			  "aes128-sha256");
		cr_assert_eq(sides[who].ike_up, 1);
		cr_assert_eq(ike_engine_terminate(sides[who].e, sides[who].child.ci_ike_id, now), 0);
		run();
		for (int i = 0; i < 2; i++) {
			cr_expect_eq(sides[i].ike_down, 1, "side %d down (deleter %d)", i, who);
			cr_expect_eq(sides[i].child_down, 1, "side %d child down", i);
			cr_expect_eq(sides[i].child_replaced, 0, "side %d: deleted, not replaced", i);
			cr_expect_eq(ike_engine_sa_count(sides[i].e), 0);
		}
	}
}

Test(ike_engine, liveness_check_removes_a_dead_peer_within_the_timeout)
{
	establish("aes128-sha256-x25519", "aes128-sha256-x25519", "aes128-sha256",
		  "aes128-sha256");
	drop_to[1] = true; /* the responder is gone */
	for (uint64_t t = 0; t <= 60000; t += 250) {
		now = 1000 + t;
		ike_engine_tick(sides[0].e, now);
		run();
		if (sides[0].ike_down)
			break;
	}
	cr_expect_eq(sides[0].ike_down, 1);
	cr_expect_eq(sides[0].child_down, 1);
	/* DPD starts after 10 s quiet and gives up 30 s later. */
	cr_expect_leq(now, 1000 + 10000 + 30000 + 250, "gone at %lu ms", now);
	cr_expect_geq(now, 1000 + 10000 + 30000, "not before the timeout (%lu ms)", now);
}

Test(ike_engine, liveness_check_answered_keeps_the_sa)
{
	establish("aes128-sha256-x25519", "aes128-sha256-x25519", "aes128-sha256",
		  "aes128-sha256");
	for (uint64_t t = 0; t <= 60000; t += 500) {
		now = 1000 + t;
		ike_engine_tick(sides[0].e, now);
		ike_engine_tick(sides[1].e, now);
		run();
	}
	cr_expect_eq(sides[0].ike_down + sides[1].ike_down, 0);
}

Test(ike_engine, lost_messages_are_retransmitted_and_duplicates_answered_from_cache)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_stats st0, st1;
	struct dgram req;

	up(&ci, &cr);
	ike_engine_initiate(sides[0].e, "branch", now);
	qn = 0; /* the first IKE_SA_INIT is lost */
	now += 1000;
	ike_engine_tick(sides[0].e, now);
	cr_assert_eq(qn, 1, "retransmitted after 1 s");
	req = queue[0];
	run(); /* INIT answered, AUTH sent and answered */
	cr_assert_eq(sides[1].ike_up, 1);
	/* A duplicate of the IKE_SA_INIT request: answered, no second SA. */
	ike_engine_stats(sides[1].e, &st0);
	for (int i = 0; i < 3; i++)
		ike_engine_input(sides[1].e, &req.local, &req.remote, req.buf, req.len, now);
	ike_engine_stats(sides[1].e, &st1);
	cr_expect_eq(qn, 3, "the cached response went out again, once a copy");
	qn = 0;
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 1);
	cr_expect_eq(st1.st_responses_resent - st0.st_responses_resent, 3, "counted as resent");
	cr_expect_eq(st1.st_init_requests, st0.st_init_requests, "not processed again");
	cr_expect_eq(sides[0].ike_up, 1);
}

/* Ticks both engines for ms milliseconds, in steps, carrying messages. */
static void advance(uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += 100) {
		now += 100;
		ike_engine_tick(sides[0].e, now);
		ike_engine_tick(sides[1].e, now);
		run();
	}
}

static void child_rekey_by(int who, const char *esp)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", esp, "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", esp, "k");
	uint32_t old_in[2];

	(who == 0 ? &ci : &cr)->c_child[0].cc_rekey_s = 20;
	up(&ci, &cr);
	ike_engine_initiate(sides[0].e, "branch", now);
	run();
	cr_assert_eq(sides[0].child_up + sides[1].child_up, 2);
	old_in[0] = sides[0].child.ci_spi_in;
	old_in[1] = sides[1].child.ci_spi_in;
	advance(21000);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(sides[i].child_up, 2, "side %d: the new Child SA (rekey by %d)", i, who);
		cr_expect_eq(sides[i].child_down, 1, "side %d: the old one deleted", i);
		cr_expect_eq(sides[i].child_replaced, 1, "side %d: and said to be replaced", i);
		cr_expect_neq(sides[i].child.ci_spi_in, old_in[i], "new SPI");
	}
	expect_child_pair();
	cr_expect_eq(sides[0].ike_down + sides[1].ike_down, 0, "the IKE SA stays");
}

/* A data plane's soft volume lifetime: that Child SA, and only it, is
 * rekeyed, started by the side whose counter ran out. */
Test(ike_engine, a_volume_lifetime_rekeys_that_child_sa)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128gcm16", "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128gcm16", "k");
	uint32_t old_in[2];

	cr.c_child[0].cc_rekey_bytes = 1000000;
	cr.c_child[0].cc_life_bytes = 1100000;
	cr.c_child[0].cc_rekey_packets = 9000;
	up(&ci, &cr);
	ike_engine_initiate(sides[0].e, "branch", now);
	run();
	cr_assert_eq(sides[1].child_up, 1);
	cr_expect_eq(sides[1].child.ci_rekey_bytes, 1000000, "volumes handed to the caller");
	cr_expect_eq(sides[1].child.ci_life_bytes, 1100000);
	cr_expect_eq(sides[1].child.ci_rekey_packets, 9000);
	cr_expect_eq(sides[1].child.ci_life_packets, 0);
	cr_expect_eq(sides[0].child.ci_rekey_bytes, 0, "the initiator's own configuration");
	old_in[0] = sides[0].child.ci_spi_in;
	old_in[1] = sides[1].child.ci_spi_in;
	cr_expect_eq(ike_engine_rekey_child(sides[1].e, sides[1].child.ci_ike_id, 0x1234, now),
		     -ENOENT, "no Child SA with that SPI");
	cr_expect_eq(ike_engine_rekey_child(sides[1].e, sides[1].child.ci_ike_id + 99, old_in[1],
					    now), -ENOENT, "no such IKE SA");
	/* The outbound SPI names it as well as the inbound one. */
	cr_assert_eq(ike_engine_rekey_child(sides[1].e, sides[1].child.ci_ike_id,
					    sides[1].child.ci_spi_out, now), 0);
	advance(1000);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(sides[i].child_up, 2, "side %d: the new Child SA", i);
		cr_expect_eq(sides[i].child_down, 1, "side %d: the old one deleted", i);
		cr_expect_neq(sides[i].child.ci_spi_in, old_in[i], "side %d: new SPI", i);
	}
	expect_child_pair();
	cr_expect_eq(sides[1].child.ci_rekey_bytes, 1000000, "the new one has the same limits");
	cr_expect_eq(ike_engine_rekey_child(sides[1].e, sides[1].child.ci_ike_id, old_in[1], now),
		     -ENOENT, "the old one is gone");
	cr_expect_eq(sides[0].ike_down + sides[1].ike_down, 0, "the IKE SA stays");
}

Test(ike_engine, child_sa_rekey_started_by_the_initiator)
{
	child_rekey_by(0, "aes128-sha256");
}

Test(ike_engine, child_sa_rekey_started_by_the_responder)
{
	child_rekey_by(1, "aes128-sha256");
}

Test(ike_engine, child_sa_rekey_with_pfs)
{
	child_rekey_by(0, "aes256gcm16-ecp384");
}

/* The longest KE data (1024 bytes) in CREATE_CHILD_SA's SK payload. */
Test(ike_engine, child_sa_rekey_with_pfs_modp8192)
{
	child_rekey_by(0, "aes256gcm16-modp8192");
}

static void ike_rekey_by(int who)
{
	struct ike_conn_cfg ci = conn(true, "aes256gcm16-prfsha384-ecp384", "aes256gcm16", "k");
	struct ike_conn_cfg cr = conn(false, "aes256gcm16-prfsha384-ecp384", "aes256gcm16", "k");

	(who == 0 ? &ci : &cr)->c_rekey_s = 30;
	up(&ci, &cr);
	ike_engine_initiate(sides[0].e, "branch", now);
	run();
	cr_assert_eq(sides[0].ike_up + sides[1].ike_up, 2);
	advance(31000);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(sides[i].ike_up, 2, "side %d: the new IKE SA (rekey by %d)", i, who);
		cr_expect_eq(sides[i].ike_down, 1, "side %d: the old IKE SA gone", i);
		cr_expect_eq(sides[i].child_down, 0, "side %d: the Child SA moved over", i);
		cr_expect_eq(ike_engine_sa_count(sides[i].e), 1);
	}
	/* The new IKE SA works: a Child SA deleted over it goes on both sides. */
	cr_assert_eq(ike_engine_terminate(sides[0].e, 2, now), 0);
	run();
	cr_expect_eq(sides[0].child_down + sides[1].child_down, 2);
	cr_expect_eq(ike_engine_sa_count(sides[0].e) + ike_engine_sa_count(sides[1].e), 0);
}

Test(ike_engine, ike_sa_rekey_started_by_the_initiator)
{
	ike_rekey_by(0);
}

Test(ike_engine, ike_sa_rekey_started_by_the_responder)
{
	ike_rekey_by(1);
}

/* One half-open SA on the responder: the initiator's IKE_AUTH is lost. */
static void leave_half_open(void)
{
	ike_engine_initiate(sides[0].e, "branch", now);
	deliver_one(); /* IKE_SA_INIT */
	deliver_one(); /* and its answer */
	qn = 0; /* IKE_AUTH lost */
}

Test(ike_engine, cookies_when_half_open_sas_pass_the_threshold)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_limits l = { .li_cookie_threshold = 1 };
	struct ike_stats st;

	up(&ci, &cr);
	ike_engine_set_limits(sides[1].e, &l);
	leave_half_open();
	ike_engine_initiate(sides[0].e, "branch", now);
	run();
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_cookies_sent, 1, "the second initiator is asked for a cookie");
	cr_expect_eq(st.st_cookies_rejected, 0);
	cr_expect_eq(sides[0].ike_up, 1, "and comes up with it");
	cr_expect_eq(sides[1].ike_up, 1);
	cr_expect_eq(st.st_half_open, 1, "the first one is still half open");
}

Test(ike_engine, a_forged_cookie_is_refused)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_limits l = { .li_cookie_threshold = 1 };
	struct ike_stats st;
	struct dgram d;

	up(&ci, &cr);
	ike_engine_set_limits(sides[1].e, &l);
	leave_half_open();
	ike_engine_initiate(sides[0].e, "branch", now);
	cr_assert_eq(qn, 1);
	d = queue[0];
	qn = 0;
	ike_engine_input(sides[1].e, &d.local, &d.remote, d.buf, d.len, now);
	cr_assert_eq(qn, 1, "the COOKIE answer");
	d = queue[0];
	d.buf[d.len - 1] ^= 1; /* its cookie, spoiled */
	qn = 0;
	ike_engine_input(sides[0].e, &d.local, &d.remote, d.buf, d.len, now);
	run();
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_cookies_rejected, 1, "the spoiled cookie is refused");
	cr_expect_eq(st.st_cookies_sent, 2, "and a fresh one sent");
	cr_expect_eq(sides[1].ike_up, 1, "which the initiator then uses");
}

Test(ike_engine, half_open_sas_per_source_are_capped)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_limits l = { .li_half_open_per_src = 1 };
	struct ike_stats st;

	up(&ci, &cr);
	ike_engine_set_limits(sides[1].e, &l);
	leave_half_open();
	ike_engine_initiate(sides[0].e, "branch", now);
	cr_expect_eq(run(), 1, "the second IKE_SA_INIT gets no answer");
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_half_open_capped, 1);
	cr_expect_eq(st.st_half_open, 1);
	/* Half-open SAs expire; then the address may try again. */
	advance(31000);
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_half_open, 0);
}

Test(ike_engine, ike_auth_is_fragmented_both_ways_when_too_big)
{
	struct ike_conn_cfg ci = conn(true, "aes256-sha256-ecp256", "aes128-sha256", "k");
	struct ike_conn_cfg cr = conn(false, "aes256-sha256-ecp256", "aes128-sha256", "k");
	unsigned carried;

	ci.c_frag_size = cr.c_frag_size = 200; /* IKE_AUTH takes more */
	up(&ci, &cr);
	ike_engine_initiate(sides[0].e, "branch", now);
	carried = run();
	cr_expect_gt(carried, 4, "IKE_AUTH went in fragments (%u datagrams)", carried);
	cr_expect_eq(sides[0].ike_up + sides[1].ike_up, 2);
	expect_child_pair();
}

Test(ike_engine, a_lost_fragment_is_recovered_by_retransmission)
{
	struct ike_conn_cfg ci = conn(true, "aes256gcm16-prfsha256-ecp256", "aes128gcm16", "k");
	struct ike_conn_cfg cr = conn(false, "aes256gcm16-prfsha256-ecp256", "aes128gcm16", "k");

	ci.c_frag_size = cr.c_frag_size = 200; /* IKE_AUTH takes more */
	up(&ci, &cr);
	ike_engine_initiate(sides[0].e, "branch", now);
	for (int i = 0; i < 2; i++) { /* IKE_SA_INIT and its answer */
		struct dgram d = queue[0];
		memmove(queue, queue + 1, --qn * sizeof(queue[0]));
		ike_engine_input(sides[d.to].e, &d.local, &d.remote, d.buf, d.len, now);
	}
	cr_assert_gt(qn, 1, "IKE_AUTH in %u fragments", qn);
	memmove(queue, queue + 1, --qn * sizeof(queue[0])); /* fragment 1 lost */
	run();
	cr_expect_eq(sides[1].ike_up, 0, "incomplete: nothing yet");
	advance(1500); /* the initiator sends every fragment again */
	cr_expect_eq(sides[0].ike_up + sides[1].ike_up, 2);
}

Test(ike_engine, idle_sas_cost_nothing_per_tick)
{
	struct ike_conn_cfg ci = conn(true, "aes128gcm16-prfsha256-x25519", "aes128gcm16", "k");
	struct ike_conn_cfg cr = conn(false, "aes128gcm16-prfsha256-x25519", "aes128gcm16", "k");
	struct ike_stats before, after;

	ci.c_dpd_s = cr.c_dpd_s = 0; /* no liveness checks, no rekeys: idle */
	up(&ci, &cr);
	for (int i = 0; i < 300; i++) {
		ike_engine_initiate(sides[0].e, "branch", now);
		run();
	}
	cr_assert_eq(sides[1].ike_up, 300);
	advance(500); /* the first look at each new SA */
	ike_engine_stats(sides[1].e, &before);
	advance(60000);
	ike_engine_stats(sides[1].e, &after);
	cr_expect_eq(after.st_sas, 300);
	cr_expect_eq(after.st_timer_runs - before.st_timer_runs, 0,
		     "600 ticks over 300 idle SAs looked at %lu timers",
		     after.st_timer_runs - before.st_timer_runs);
}

Test(ike_engine, simultaneous_child_rekeys_leave_one_child_sa)
{
	establish("aes128-sha256-x25519", "aes128-sha256-x25519", "aes128-sha256", "aes128-sha256");
	cr_assert_eq(sides[0].child_up + sides[1].child_up, 2);
	/* Both ends start a rekey of the same Child SA before either hears
	 * the other. */
	cr_assert_eq(ike_engine_rekey(sides[0].e, sides[0].child.ci_ike_id, true, now), 0);
	cr_assert_eq(ike_engine_rekey(sides[1].e, sides[1].child.ci_ike_id, true, now), 0);
	now += 100;
	ike_engine_tick(sides[0].e, now);
	ike_engine_tick(sides[1].e, now);
	cr_assert_eq(qn, 2, "two CREATE_CHILD_SA requests cross");
	advance(5000);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(sides[i].child_up, 3, "side %d: the first and two new Child SAs", i);
		cr_expect_eq(sides[i].child_down, 2, "side %d: the old and the redundant one gone", i);
		cr_assert_eq(sides[i].n_live, 1, "side %d: one Child SA left", i);
	}
	cr_expect_eq(sides[0].live_in[0], sides[1].live_out[0], "both keep the same one");
	cr_expect_eq(sides[0].live_out[0], sides[1].live_in[0]);
}

Test(ike_engine, behind_a_nat_ike_moves_to_4500_and_keeps_the_mapping_alive)
{
	struct ike_conn_cfg ci = conn(true, "aes128gcm16-prfsha256-x25519", "aes128gcm16", "k");
	struct ike_conn_cfg cr = conn(false, "aes128gcm16-prfsha256-x25519", "aes128gcm16", "k");

	ci.c_dpd_s = cr.c_dpd_s = 0;
	up(&ci, &cr);
	nat = true;
	ike_engine_initiate(sides[0].e, "branch", now);
	run();
	cr_assert_eq(sides[0].ike_up + sides[1].ike_up, 2);
	cr_expect(sides[0].child.ci_encap, "UDP encapsulation on the initiator's Child SA");
	cr_expect(sides[1].child.ci_encap, "and on the responder's");
	cr_expect_eq(sides[0].child.ci_remote.ep_port, 4500, "IKE moved to port 4500");
	cr_expect_eq(sides[1].child.ci_remote.ep_port, 4500 + 1024,
		     "the responder answers the NAT's port");
	advance(45000);
	cr_expect_geq(keepalives[0], 2, "keepalives from behind the NAT (%u)", keepalives[0]);
	cr_expect_eq(keepalives[1], 0, "none from the side without a NAT");
}

static void second_child(struct ike_conn_cfg *c, bool initiator)
{
	struct ike_child_cfg *k = &c->c_child[1];

	*k = c->c_child[0];
	snprintf(k->cc_name, IKE_NAME_MAX, "voice");
	ts(&k->cc_local[0], initiator ? "198.18.5.0/24" : "198.18.6.0/24");
	ts(&k->cc_remote[0], initiator ? "198.18.6.0/24" : "198.18.5.0/24");
	c->c_n_child = 2;
}

Test(ike_engine, every_child_of_the_connection_is_created)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128-sha256", "k");

	second_child(&ci, true);
	second_child(&cr, false);
	up(&ci, &cr);
	ike_engine_initiate(sides[0].e, "branch", now);
	run();
	advance(500);
	cr_expect_eq(sides[0].n_live, 2, "initiator: both Child SAs");
	cr_expect_eq(sides[1].n_live, 2, "responder: both Child SAs");
	cr_expect_str_eq(sides[1].child.ci_child, "voice", "the second by its selectors");
	cr_expect_eq(sides[0].child.ci_spi_in, sides[1].child.ci_spi_out);
	cr_expect_eq(sides[0].child.ci_ts_local->ts[0].ts_start[2], 5, "198.18.5.0/24");
}

Test(ike_engine, reauthentication_makes_a_new_ike_sa_before_the_old_goes)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128-sha256", "k");

	ci.c_reauth_s = 20;
	second_child(&ci, true);
	second_child(&cr, false);
	up(&ci, &cr);
	ike_engine_initiate(sides[0].e, "branch", now);
	run();
	advance(21000);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(sides[i].ike_up, 2, "side %d: a second IKE SA", i);
		cr_expect_eq(sides[i].ike_down, 1, "side %d: the first one gone", i);
		cr_expect_eq(sides[i].child_up, 4, "side %d: both children made again", i);
		cr_expect_eq(sides[i].n_live, 2, "side %d: two Child SAs left", i);
		cr_expect_eq(ike_engine_sa_count(sides[i].e), 1);
	}
	cr_expect_str_eq(sides[0].last_down, "rekeyed");
}

/* A removed connection deletes its IKE SAs (a reload); it is freed once
 * none uses it, so connections changed again and again do not pile up. */
Test(ike_engine, a_removed_connection_is_freed_once_no_sa_uses_it)
{
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128-sha256", "s3cret");
	struct ike_conn_cfg other = cr;
	struct ike_stats st;

	establish("aes128-sha256-x25519", "aes128-sha256-x25519", "aes128-sha256",
		  "aes128-sha256");
	cr_assert_eq(sides[1].ike_up, 1);
	/* The initiator does not answer the delete: the SA still uses it. */
	drop_to[0] = true;
	cr_assert_eq(ike_engine_remove_conn(sides[1].e, "hq", now), 1);
	snprintf(other.c_name, sizeof(other.c_name), "other");
	cr_assert_eq(ike_engine_add_conn(sides[1].e, &other), 0);
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_conns, 2, "hq kept while its SA is deleting, plus other");
	for (uint64_t t = 0; t <= 120000 && ike_engine_sa_count(sides[1].e); t += 500) {
		now = 1000 + t;
		ike_engine_tick(sides[1].e, now);
		run();
	}
	cr_assert_eq(ike_engine_sa_count(sides[1].e), 0, "the delete gave up");
	cr_assert_eq(ike_engine_add_conn(sides[1].e, &cr), 0, "the same name again");
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_conns, 2, "the old hq freed: other and the new hq");
	/* And the new one answers. */
	drop_to[0] = false;
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	run();
	cr_expect_eq(sides[1].ike_up, 2);
}

/* ---- SPIs a message cannot carry (RFC 7296 §2.6, §3.1) ---- */

static void put_spi(uint8_t *b, uint64_t spi)
{
	for (int i = 7; i >= 0; i--, spi >>= 8)
		b[i] = (uint8_t)spi;
}

/* The nth (from 0) nonzero SPI filed in the same bucket of the engine's
 * tables as SPI 0 (ike_engine.c's hash, 2^16 buckets). */
static uint64_t spi_in_bucket_of_zero(unsigned nth)
{
	for (uint64_t spi = 1;; spi++)
		if ((((spi * 0x9E3779B97F4A7C15ull) >> 40) & 0xFFFF) == 0 && nth-- == 0)
			return spi;
}

/* The responder-side use-after-free that a half-open SA with initiator
 * SPI 0 caused: made, expired and freed, it stayed in the peer-SPI
 * table, and the next request of its bucket read it (run under ASan). */
Test(ike_engine, an_initiator_spi_of_zero_is_dropped_before_any_state)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_stats st;
	struct dgram req;

	up(&ci, &cr);
	ike_engine_initiate(sides[0].e, "branch", now);
	cr_assert_eq(qn, 1);
	req = queue[0];
	qn = 0;
	put_spi(req.buf, 0);
	ike_engine_input(sides[1].e, &req.local, &req.remote, req.buf, req.len, now);
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_bad_spis, 1, "counted");
	cr_expect_eq(qn, 0, "no answer");
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0, "no SA made");
	cr_expect_eq(st.st_half_open, 0);
	/* Half a minute on, the same request again, then one whose SPI
	 * shares SPI 0's bucket: the second is answered. */
	now += 31000;
	ike_engine_tick(sides[1].e, now);
	ike_engine_input(sides[1].e, &req.local, &req.remote, req.buf, req.len, now);
	put_spi(req.buf, spi_in_bucket_of_zero(0));
	ike_engine_input(sides[1].e, &req.local, &req.remote, req.buf, req.len, now);
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_bad_spis, 2);
	cr_expect_eq(qn, 1, "the request with a real SPI is answered");
	cr_expect_eq(st.st_half_open, 1);
	qn = 0;
	/* It expires in its turn, and a retransmission of it makes a new one. */
	now += 31000;
	ike_engine_tick(sides[1].e, now);
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0, "expired");
	ike_engine_input(sides[1].e, &req.local, &req.remote, req.buf, req.len, now);
	cr_expect_eq(qn, 1);
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 1);
	qn = 0;
}

/* Several half-open SAs chained in one bucket, each answered again for
 * a retransmission, expire together: each leaves every table it is in
 * (its own record of being filed), so the next requests of the bucket
 * find no freed SA (ASan) and make new ones. */
Test(ike_engine, expired_half_open_sas_leave_every_table)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_limits l = { 0 };
	struct ike_stats st;
	struct dgram req;

	up(&ci, &cr);
	ike_engine_set_limits(sides[1].e, &l); /* no cookies, no cap */
	ike_engine_initiate(sides[0].e, "branch", now);
	req = queue[0];
	qn = 0;
	for (unsigned i = 0; i < 4; i++) { /* four SAs in one peer-SPI bucket */
		put_spi(req.buf, spi_in_bucket_of_zero(i));
		ike_engine_input(sides[1].e, &req.local, &req.remote, req.buf, req.len, now);
		ike_engine_input(sides[1].e, &req.local, &req.remote, req.buf, req.len, now);
	}
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_half_open, 4, "a retransmission finds its SA");
	cr_expect_eq(qn, 8);
	qn = 0;
	now += 31000;
	ike_engine_tick(sides[1].e, now);
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
	for (unsigned i = 0; i < 4; i++) {
		put_spi(req.buf, spi_in_bucket_of_zero(i));
		ike_engine_input(sides[1].e, &req.local, &req.remote, req.buf, req.len, now);
	}
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 4, "each made anew, none found dead");
	qn = 0;
}

Test(ike_engine, a_response_or_request_with_an_impossible_responder_spi_is_dropped)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_stats st;
	struct dgram d;

	up(&ci, &cr);
	ike_engine_initiate(sides[0].e, "branch", now);
	d = queue[0];
	qn = 0;
	/* An IKE_SA_INIT request with a responder SPI. */
	put_spi(d.buf + 8, 0x1122334455667788ull);
	ike_engine_input(sides[1].e, &d.local, &d.remote, d.buf, d.len, now);
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_bad_spis, 1);
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
	put_spi(d.buf + 8, 0);
	ike_engine_input(sides[1].e, &d.local, &d.remote, d.buf, d.len, now);
	cr_assert_eq(qn, 1, "the genuine request is answered");
	d = queue[0];
	qn = 0;
	/* An accepting IKE_SA_INIT response without a responder SPI. */
	put_spi(d.buf + 8, 0);
	ike_engine_input(sides[0].e, &d.local, &d.remote, d.buf, d.len, now);
	ike_engine_stats(sides[0].e, &st);
	cr_expect_eq(st.st_bad_spis, 1);
	cr_expect_eq(qn, 0, "no IKE_AUTH on it");
	cr_expect_eq(ike_engine_sa_count(sides[0].e), 1, "the SA waits for the real answer");
	/* On an established pair, a CREATE_CHILD_SA request with its
	 * responder SPI zeroed is dropped at the door. */
	establish("aes128-sha256-x25519", "aes128-sha256-x25519", "aes128-sha256",
		  "aes128-sha256");
	cr_assert_eq(sides[1].ike_up, 1);
	ike_engine_rekey(sides[0].e, 1, true, now);
	ike_engine_tick(sides[0].e, now);
	cr_assert_eq(qn, 1, "a CREATE_CHILD_SA request");
	d = queue[0];
	qn = 0;
	put_spi(d.buf + 8, 0);
	ike_engine_input(sides[1].e, &d.local, &d.remote, d.buf, d.len, now);
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_bad_spis, 1, "a request outside IKE_SA_INIT without SPIr");
	cr_expect_eq(qn, 0);
}

/* ---- the version byte (RFC 7296 §1.5, §2.5) ---- */

static struct dgram an_init_request(void)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-x25519", "aes128-sha256", "k");
	struct dgram d;

	up(&ci, &cr);
	ike_engine_initiate(sides[0].e, "branch", now);
	cr_assert_eq(qn, 1);
	d = queue[0];
	qn = 0;
	return d;
}

Test(ike_engine, a_major_version_1_datagram_goes_to_the_ikev1_layer)
{
	struct dgram d = an_init_request();
	struct ike_stats st;

	/* an IKE_SA_INIT as ISAKMP 1.0: exchange type 34 is none of
	 * IKEv1's (RFC 2408 §3.1), so the IKEv1 layer drops it */
	d.buf[17] = 0x10;
	ike_engine_input(sides[1].e, &d.local, &d.remote, d.buf, d.len, now);
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_ikev1_messages, 1);
	cr_expect_eq(st.st_bad_messages, 1, "an unknown exchange type");
	cr_expect_eq(st.st_bad_versions, 0, "not refused as an unknown version");
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0);
	cr_expect_eq(qn, 0, "nothing answered");
}

Test(ike_engine, a_higher_major_version_is_answered_invalid_major_version)
{
	struct dgram d = an_init_request();
	struct ike_stats st;
	const uint8_t *r;

	d.buf[17] = 0x30; /* IKE 3.0 */
	ike_engine_input(sides[1].e, &d.local, &d.remote, d.buf, d.len, now);
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_bad_versions, 1);
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0, "no state");
	cr_assert_eq(qn, 1, "one answer");
	r = queue[0].buf;
	cr_expect_arr_eq(r, d.buf, 16, "SPIs copied");
	cr_expect_eq(r[16], 41, "a Notify payload");
	cr_expect_eq(r[17], 0x20, "in a 2.0 header: the version we speak");
	cr_expect_eq(r[18], 34, "exchange copied");
	cr_expect_eq(r[19], 0x20, "Response flag, not Initiator");
	cr_expect_arr_eq(r + 20, d.buf + 20, 4, "message ID copied");
	cr_assert_eq(queue[0].len, 28 + 8);
	cr_expect_eq(r[28 + 4], 0, "protocol 0");
	cr_expect_eq(r[28 + 5], 0, "no SPI");
	cr_expect_eq(r[28 + 6] << 8 | r[28 + 7], 5, "INVALID_MAJOR_VERSION");
	qn = 0;
	/* A response of that version is only counted. */
	d.buf[19] |= 0x20;
	ike_engine_input(sides[1].e, &d.local, &d.remote, d.buf, d.len, now);
	cr_expect_eq(qn, 0);
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_bad_versions, 2);
}

Test(ike_engine, invalid_major_version_answers_are_rate_limited)
{
	struct dgram d = an_init_request();
	struct ike_stats st;

	d.buf[17] = 0xf0;
	for (unsigned i = 0; i < 100; i++)
		ike_engine_input(sides[1].e, &d.local, &d.remote, d.buf, d.len, now);
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(qn, 20, "twenty a second");
	cr_expect_eq(st.st_refusals_limited, 80);
	qn = 0;
	ike_engine_input(sides[1].e, &d.local, &d.remote, d.buf, d.len, now + 1000);
	cr_expect_eq(qn, 1, "and again the next second");
	qn = 0;
}

Test(ike_engine, a_datagram_shorter_than_a_header_is_garbage)
{
	struct dgram d = an_init_request();
	struct ike_stats st;

	ike_engine_input(sides[1].e, &d.local, &d.remote, d.buf, 27, now);
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_bad_messages, 1);
	cr_expect_eq(st.st_bad_versions + st.st_ikev1_messages, 0);
}

/* Every exchange of a full life (up, rekeys, liveness, delete) changes
 * states only as the transition table allows. */
Test(ike_engine, a_whole_life_makes_no_refused_state_change)
{
	struct ike_stats st;

	establish("aes128-sha256-x25519", "aes128-sha256-x25519", "aes128-sha256",
		  "aes128-sha256");
	cr_assert_eq(sides[1].ike_up, 1);
	ike_engine_rekey(sides[0].e, 1, true, now);
	advance(2000);
	ike_engine_rekey(sides[1].e, 1, false, now);
	advance(2000);
	advance(12000);
	ike_engine_terminate(sides[0].e, 2, now);
	advance(2000);
	for (int i = 0; i < 2; i++) {
		ike_engine_stats(sides[i].e, &st);
		cr_expect_eq(st.st_bad_transitions, 0, "side %d", i);
		cr_expect_eq(ike_engine_sa_count(sides[i].e), 0, "side %d: all gone", i);
	}
}

/* ---- RFC 7427 §4: SIGNATURE_HASH_ALGORITHMS ---- */

/* The hashes of IKE_SA_INIT message d's SIGNATURE_HASH_ALGORITHMS, in
 * order (0 when it has none): how many. */
static unsigned init_sig_hashes(const struct dgram *d, uint16_t *h, unsigned max)
{
	struct ike_pl_notify n;
	struct ike_msg m;
	unsigned k = 0;

	cr_assert_eq(ike_msg_parse(d->buf, d->len, &m), 0);
	cr_assert_eq(m.m_hdr.h_exchange, IKE_EXCH_SA_INIT);
	for (unsigned i = 0; i < m.m_chain.c_n; i++) {
		if (m.m_chain.c_pl[i].pl_type != IKE_PL_NOTIFY ||
		    ike_pl_notify_decode(&m.m_chain.c_pl[i], &n) != 0 ||
		    n.n_type != IKE_N_SIGNATURE_HASH_ALGORITHMS)
			continue;
		for (size_t j = 0; j + 1 < n.n_len && k < max; j += 2)
			h[k++] = (uint16_t)(n.n_data[j] << 8 | n.n_data[j + 1]);
	}
	return k;
}

/* Both IKE_SA_INIT messages name SHA2-256, -384, -512 and Identity,
 * also between PSK connections: IKE_AUTH's identities may yet select a
 * connection with certificates. */
Test(ike_engine, both_ike_sa_init_messages_carry_signature_hash_algorithms)
{
	static const uint16_t want[] = { 2, 3, 4, 5 };
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-ecp256", "aes128gcm16", "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-ecp256", "aes128gcm16", "k");
	uint16_t h[8];

	up(&ci, &cr);
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	cr_assert_eq(qn, 1);
	cr_assert_eq(init_sig_hashes(&queue[0], h, 8), 4, "the request");
	cr_expect_arr_eq(h, want, sizeof(want));
	deliver_one();
	cr_assert_eq(qn, 1);
	cr_assert_eq(init_sig_hashes(&queue[0], h, 8), 4, "the response");
	cr_expect_arr_eq(h, want, sizeof(want));
	run();
	cr_expect_eq(sides[0].ike_up, 1);
}

/* An initiator signing with Ed25519 can only do so by RFC 7427 with
 * the Identity hash, so only when the responder named it: a responder
 * that authenticates itself with a PSK and checks the initiator's
 * certificate (c_trust, no c_cred of its own) must send its hashes. */
Test(ike_engine, an_ed25519_initiator_authenticates_to_a_psk_responder_by_rfc7427)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-ecp256", "aes128gcm16", "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-ecp256", "aes128gcm16", "k");
	const char *ca[] = { pki_path("ca.pem") };
	struct ike_credential *cred;
	struct ike_trust *trust;

	cr_assert_eq(ike_cred_load(pki_path("ed25519-chain.pem"), pki_path("ed25519.key"), &cred), 0);
	cr_assert_eq(ike_trust_load(ca, 1, &trust), 0);
	ci.c_cred = cred;
	cr.c_trust = trust;
	up(&ci, &cr);
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	run();
	cr_assert_eq(sides[1].ike_up, 1, "the responder took the Ed25519 signature");
	cr_assert_eq(sides[0].ike_up, 1, "the initiator took the PSK");
	expect_child_pair();
	down();
	ike_cred_free(cred);
	ike_trust_free(trust);
}

/* ---- EAP-MSCHAPv2 in IKE_AUTH (RFC 7296 §2.16) ---- */

/* The responder proves itself with its certificate (p256, by the test
 * CA), the initiator "alice" with EAP-MSCHAPv2, then both with AUTHs
 * keyed by the MSK; the responder knows alice's password. */
struct eap_pki {
	struct ike_credential *cred;
	struct ike_trust *trust;
};

/* What the responder's connection asks of its clients (set before eap_up). */
static enum ike_remote_auth eap_method = IKE_REMOTE_AUTH_EAP_MSCHAPV2;
static bool eap_identity;

/* pool: the responder's connection takes its addresses, the initiator
 * asks for one (NULL: neither). */
static struct eap_pki eap_up_pool(const char *password, const char *user,
				  const struct ike_pool_cfg *pool)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-ecp256", "aes128gcm16", "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-ecp256", "aes128gcm16", "k");
	static const char good[] = "p\xc3\xa4ssw0rd of alice";
	const char *ca[] = { pki_path("ca.pem") };
	struct ike_eap_user u = { .eu_password = good, .eu_password_len = sizeof(good) - 1 };
	struct eap_pki k;

	cr_assert(pki_ready());
	cr_assert_eq(ike_cred_load(pki_path("p256-chain.pem"), pki_path("p256.key"), &k.cred), 0);
	cr_assert_eq(ike_trust_load(ca, 1, &k.trust), 0);
	snprintf(u.eu_name, sizeof(u.eu_name), "%s", user);
	fqdn(&ci.c_local_id, "alice");
	ci.c_psk_len = cr.c_psk_len = 0;
	ci.c_trust = k.trust;
	ci.c_eap_password = password ? password : good;
	ci.c_eap_password_len = (uint16_t)strlen(ci.c_eap_password);
	cr.c_cred = k.cred;
	cr.c_trust = k.trust;
	cr.c_remote_auth = eap_method;
	cr.c_eap_identity = eap_identity;
	if (pool) {
		ci.c_ask_vip4 = true;
		snprintf(cr.c_pools[0], sizeof(cr.c_pools[0]), "%s", pool->pc_name);
		cr.c_n_pools = 1;
	}
	up(&ci, &cr);
	cr_assert_eq(ike_engine_set_eap_users(sides[1].e, &u, 1), 0);
	if (pool)
		cr_assert_eq(ike_engine_add_pool(sides[1].e, pool), 0);
	return k;
}

static struct eap_pki eap_up(const char *password, const char *user)
{
	return eap_up_pool(password, user, NULL);
}

static void eap_down(struct eap_pki k)
{
	down();
	ike_cred_free(k.cred);
	ike_trust_free(k.trust);
}

/* Four IKE_AUTH exchanges: Challenge, Success request, EAP-Success,
 * the AUTHs with the MSK; then the Child SA of the first request. */
Test(ike_engine, eap_mschapv2_client_authenticates_and_gets_its_child_sa)
{
	struct eap_pki k = eap_up(NULL, "alice");
	struct ike_stats st;

	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	cr_expect_eq(run(), 10, "IKE_SA_INIT and four IKE_AUTH, each a request and its answer");
	cr_assert_eq(sides[1].ike_up, 1, "the responder took alice's password and her MSK AUTH");
	cr_assert_eq(sides[0].ike_up, 1, "the initiator took the certificate and the MSK AUTH");
	cr_expect_eq(sides[1].child_up, 1);
	expect_child_pair();
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_half_open, 0, "no longer half-open once established");
	eap_down(k);
}

static void expect_refused(const char *why)
{
	ike_engine_flush_log(sides[1].e);
	cr_expect_eq(sides[1].ike_up, 0);
	cr_expect_eq(sides[0].ike_up, 0);
	cr_expect_eq(ike_engine_sa_count(sides[1].e), 0, "the responder's SA is gone");
	cr_expect_eq(ike_engine_sa_count(sides[0].e), 0, "and the initiator's");
	cr_expect_not_null(strstr(info_lines, why), "info lines:\n%s", info_lines);
}

/* The initiator's CFG_REQUEST (c_ask_vip4, RFC 7296 §3.15.1) in the
 * first IKE_AUTH of an EAP conversation: the last answer's CFG_REPLY
 * gives it the pool's first address, the responder's lease. */
static void ask_vip_lease(void *ctx, const struct ike_lease_info *l)
{
	*(struct ip_addr *)ctx = l->li_addr;
}

Test(ike_engine, eap_client_asking_for_a_virtual_address_gets_the_leased_one)
{
	struct eap_pki k;
	struct ike_pool_cfg pc = { .pc_name = "rw4" };
	struct ip_addr leased = { 0 }, want;
	char got[IP_ADDR_STRLEN];

	cr_assert(ip_prefix_parse("198.18.1.64/26", &pc.pc_prefix));
	cr_assert(ip_addr_parse("198.18.1.65", &want));
	k = eap_up_pool(NULL, "alice", &pc);
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	cr_expect_eq(run(), 10);
	cr_assert_eq(sides[0].ike_up, 1);
	cr_expect_eq(sides[0].child_up, 1, "the Child SA with TSi narrowed to the address");
	ike_engine_pools(sides[1].e, NULL, ask_vip_lease, &leased);
	ip_addr_format(&sides[0].vip, got, sizeof(got));
	cr_expect(ip_addr_equal(&sides[0].vip, &want), "si_vip %s", got);
	cr_expect(ip_addr_equal(&leased, &want), "the responder's lease");
	eap_down(k);
}

Test(ike_engine, eap_mschapv2_wrong_password_is_eap_failure_and_authentication_failed)
{
	struct eap_pki k = eap_up("password of alice?", "alice");

	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	cr_expect_eq(run(), 6, "IKE_SA_INIT, the Challenge and the refused Response");
	expect_refused("IKE SA 1, peer 192.0.2.1, connection hq: EAP-MSCHAPv2: wrong password for alice, AUTHENTICATION_FAILED");
	/* The same as structured fields (journald's, app/journal.c). */
	cr_expect_str_eq(info_fields.lf_peer, "192.0.2.1");
	cr_expect_str_eq(info_fields.lf_conn, "hq");
	cr_expect_eq(info_fields.lf_ike_sa, 1);
	cr_expect_neq(info_fields.lf_spi_i, 0);
	cr_expect_neq(info_fields.lf_spi_r, 0);
	eap_down(k);
}

Test(ike_engine, eap_mschapv2_unknown_user_is_refused)
{
	struct eap_pki k = eap_up(NULL, "bob");

	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	run();
	expect_refused("EAP-MSCHAPv2: no password in the secrets file for alice");
	eap_down(k);
}

/* Each EAP round's answer lost once: the initiator sends its request
 * again and the responder answers from its cache, not a second time. */
Test(ike_engine, eap_mschapv2_rounds_survive_lost_answers)
{
	struct eap_pki k = eap_up(NULL, "alice");
	struct ike_stats st;

	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	deliver_one(); /* IKE_SA_INIT request */
	deliver_one(); /* its answer; the first IKE_AUTH goes out */
	for (int round = 0; round < 4; round++) {
		cr_assert_eq(qn, 1, "round %d: one request in flight", round);
		deliver_one(); /* the request; the answer is queued */
		cr_assert_eq(qn, 1);
		qn = 0; /* and lost */
		now += 1000;
		ike_engine_tick(sides[0].e, now);
		cr_assert_eq(qn, 1, "round %d: retransmitted", round);
		deliver_one(); /* the same request again: from the cache */
		deliver_one(); /* the answer reaches the initiator */
	}
	cr_assert_eq(qn, 0);
	cr_expect_eq(sides[1].ike_up, 1);
	cr_expect_eq(sides[0].ike_up, 1);
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_responses_resent, 4);
	expect_child_pair();
	eap_down(k);
}

/* EAP-Identity first (RFC 3748 §5.1) when the connection asks for it:
 * one round more, the user name from the answer. */
Test(ike_engine, eap_identity_round_before_mschapv2)
{
	struct eap_pki k;

	eap_identity = true;
	k = eap_up(NULL, "alice");
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	cr_expect_eq(run(), 12, "IKE_SA_INIT and five IKE_AUTH: Identity, Challenge, Success request, EAP-Success, AUTHs");
	cr_expect_eq(sides[1].ike_up, 1);
	cr_expect_eq(sides[0].ike_up, 1);
	expect_child_pair();
	eap_down(k);
}

/* The identity the answer gives must be a user: another one is refused
 * as unknown (the IDi's name no longer decides). */
Test(ike_engine, eap_identity_answer_names_the_user)
{
	struct eap_pki k;

	eap_identity = true;
	k = eap_up(NULL, "bob");
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	run();
	expect_refused("EAP-MSCHAPv2: no password in the secrets file for alice");
	eap_down(k);
}

/* RFC 3748 §5.3.1: a client that Naks the connection's method (EAP-TLS)
 * for one it does not offer (MSCHAPv2) gets EAP-Failure and
 * AUTHENTICATION_FAILED; the info line names both. */
Test(ike_engine, eap_nak_for_a_method_not_offered_is_refused)
{
	struct eap_pki k;

	eap_method = IKE_REMOTE_AUTH_EAP_TLS;
	k = eap_up(NULL, "alice");
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	cr_expect_eq(run(), 6, "IKE_SA_INIT, EAP-TLS/Start and the Nak answered with EAP-Failure");
	expect_refused("connection hq: EAP-TLS: an EAP-Nak asking for EAP-MSCHAPv2 (26), where the connection offers EAP-TLS (13), for alice, AUTHENTICATION_FAILED");
	eap_down(k);
}

/* The responder's copy of a password is wiped before it is freed. */
Test(ike_engine, no_eap_password_is_left_in_freed_memory)
{
	static const char pw[] = "p\xc3\xa4ssw0rd of alice";
	struct eap_pki k = eap_up(NULL, "alice");

	free_watch_start((const uint8_t *)pw, sizeof(pw) - 1);
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	run();
	cr_assert_eq(sides[1].ike_up, 1);
	eap_down(k);
	free_watch_stop();
	cr_expect_gt(free_watch_freed(), 0);
	cr_expect_eq(free_watch_hits(), 0, "%u of %u freed blocks held the password",
		     free_watch_hits(), free_watch_freed());
}

/* A client that sends AUTH where the connection takes EAP, and one
 * that asks for EAP where the connection does not. */
Test(ike_engine, eap_asked_where_not_configured_and_auth_where_eap_is)
{
	struct eap_pki k = eap_up(NULL, "alice");
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-ecp256", "aes128gcm16", "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-ecp256", "aes128gcm16", "k");

	down();
	cr.c_cred = k.cred;
	cr.c_remote_auth = IKE_REMOTE_AUTH_EAP_MSCHAPV2;
	up(&ci, &cr);
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	run();
	expect_refused("the connection takes EAP-MSCHAPv2 from its clients");

	ci.c_psk_len = 0;
	ci.c_trust = k.trust;
	ci.c_eap_password = "pw";
	ci.c_eap_password_len = 2;
	cr = conn(false, "aes128-sha256-ecp256", "aes128gcm16", "k");
	up(&ci, &cr);
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	run();
	expect_refused("no AUTH: the peer asks for EAP (RFC 7296 §2.16), which this connection does not take");
	eap_down(k);
}

/* ---- key material in freed memory (free_watch.c) ---- */

/* The watch itself: a block that still holds the pattern is seen. */
Test(ike_engine, free_watch_sees_a_key_left_in_a_block)
{
	static const uint8_t key[16] = "0123456789abcdef";
	uint8_t *b = malloc(100);

	cr_assert_not_null(b);
	memset(b, 0, 100);
	memcpy(b + 40, key, sizeof(key));
	__asm__ volatile("" : : "r"(b) : "memory"); /* the stores are not dead */
	free_watch_start(key, sizeof(key));
	free(b);
	free_watch_stop();
	cr_expect_eq(free_watch_freed(), 1);
	cr_expect_eq(free_watch_hits(), 1);
}

/* A Child SA's KEYMAT, after a rekey replaced it and the engines are
 * gone, is in none of the blocks they freed. */
Test(ike_engine, no_child_key_is_left_in_freed_memory)
{
	struct ike_conn_cfg ci = conn(true, "aes128-sha256-ecp256", "aes256gcm16", "k");
	struct ike_conn_cfg cr = conn(false, "aes128-sha256-ecp256", "aes256gcm16", "k");
	uint8_t key[36];
	unsigned freed;

	ci.c_child[0].cc_rekey_s = 20;
	up(&ci, &cr);
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	run();
	cr_assert_eq(sides[0].child_up, 1);
	cr_assert_eq(sides[0].child.ci_encr_len, 36, "key and salt");
	memcpy(key, sides[0].encr_out, sizeof(key));
	free_watch_start(key, sizeof(key));
	advance(21000);
	cr_expect_eq(sides[0].child_replaced, 1, "rekeyed");
	cr_expect_gt(free_watch_freed(), 0, "the replaced Child SA");
	down();
	free_watch_stop();
	freed = free_watch_freed();
	cr_expect_eq(free_watch_hits(), 0, "%u of %u freed blocks held the key",
		     free_watch_hits(), freed);
}

/* ---- EAP-RADIUS: the engine's asynchronous side (RFC 3579) ---- */

/* The responder relays to "RADIUS" (this test): after EAP-Identity, the
 * client's answer is handed over and the IKE SA waits. */
static struct eap_pki radius_up(void)
{
	struct eap_pki k;

	memset(&rad, 0, sizeof(rad));
	eap_method = IKE_REMOTE_AUTH_EAP_RADIUS;
	k = eap_up(NULL, "alice");
	ike_engine_set_radius_wait(sides[1].e, 3000);
	cr_assert_gt(ike_engine_initiate(sides[0].e, "branch", now), 0);
	cr_assert_eq(run(), 5, "IKE_SA_INIT, IKE_AUTH with EAP-Identity, the Identity's answer");
	cr_assert_eq(rad.n, 1);
	return k;
}

Test(ike_engine, eap_radius_relays_the_identity_answer_and_waits)
{
	struct eap_pki k = radius_up();
	static const uint8_t identity[] = { 2, 0, 0, 10, 1, 'a', 'l', 'i', 'c', 'e' };
	struct ike_stats st;

	cr_expect_str_eq(rad.user, "alice");
	cr_assert_eq(rad.eap_len, sizeof(identity));
	cr_expect_eq(memcmp(rad.eap + 4, identity + 4, sizeof(identity) - 4), 0,
		     "EAP-Response/Identity \"alice\", whole");
	cr_expect_eq(rad.eap[0], 2);
	cr_expect_eq(rad.state_len, 0, "no State before the first Access-Challenge");
	/* the client's retransmission is not answered while RADIUS is asked */
	now += 2100;
	ike_engine_tick(sides[0].e, now);
	cr_assert_eq(qn, 1, "the initiator sends its IKE_AUTH request again");
	deliver_one();
	cr_expect_eq(qn, 0, "nothing answered, nothing relayed twice");
	cr_expect_eq(rad.n, 1);
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_radius_requests, 1);
	cr_expect_eq(st.st_radius_retransmits, 1);
	eap_down(k);
}

/* No answer within the wait: EAP-Failure, AUTHENTICATION_FAILED and a
 * counter; the late answer then finds nothing and is counted stale. */
Test(ike_engine, eap_radius_wait_over_refuses_and_a_late_answer_is_stale)
{
	struct eap_pki k = radius_up();
	struct ike_radius_answer ra = { .ra_verdict = IKE_RADIUS_REJECT };
	struct ike_stats st;

	now += 3001;
	ike_engine_tick(sides[1].e, now);
	run();
	expect_refused("connection hq: EAP-RADIUS: no answer from RADIUS in time for alice, AUTHENTICATION_FAILED");
	cr_expect_eq(ike_engine_eap_radius_answer(sides[1].e, rad.handle, &ra, now), -ESTALE);
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_radius_timeouts, 1);
	cr_expect_eq(st.st_radius_stale, 1);
	cr_expect_eq(st.st_fail_auth, 1);
	eap_down(k);
}

/* An MSCHAPv2 Challenge as a server sends it (draft-kamath §2.1). */
static size_t mschap_challenge(uint8_t id, uint8_t *m)
{
	static const char name[] = "radius";
	size_t len = 4 + 1 + 4 + 1 + 16 + sizeof(name) - 1;

	m[0] = 1, m[1] = id, m[2] = 0, m[3] = (uint8_t)len;
	m[4] = 26, m[5] = 1, m[6] = id, m[7] = 0, m[8] = (uint8_t)(len - 5);
	m[9] = 16;
	for (int i = 0; i < 16; i++)
		m[10 + i] = (uint8_t)(0xa0 + i);
	memcpy(m + 26, name, sizeof(name) - 1);
	return len;
}

/* An Access-Challenge's EAP-Request goes to the client, whose answer
 * comes back with the State; another round's handle is stale; an
 * Access-Reject refuses with the server's reason. */
Test(ike_engine, eap_radius_challenge_state_and_reject)
{
	struct eap_pki k = radius_up();
	static const uint8_t state[] = { 's', 't', 0, 1 };
	uint8_t m[64];
	struct ike_radius_answer ra = { .ra_verdict = IKE_RADIUS_CHALLENGE, .ra_eap = m,
					.ra_eap_len = mschap_challenge(0x42, m),
					.ra_state = state, .ra_state_len = sizeof(state) };
	struct ike_radius_answer rj = { .ra_verdict = IKE_RADIUS_REJECT, .ra_reason = "bad password" };
	uint64_t first = rad.handle;
	struct ike_stats st;

	cr_expect_eq(ike_engine_eap_radius_answer(sides[1].e, first + 1, &ra, now), -ESTALE,
		     "a round not asked");
	cr_assert_eq(ike_engine_eap_radius_answer(sides[1].e, first, &ra, now), 0);
	cr_assert_eq(qn, 1, "the EAP-Request goes to the client");
	run();
	cr_assert_eq(rad.n, 2, "the client's MSCHAPv2 Response relayed");
	cr_expect_neq(rad.handle, first, "a new round, a new handle");
	cr_expect_eq(rad.eap[0], 2);
	cr_expect_eq(rad.eap[1], 0x42, "the Identifier of the server's request");
	cr_expect_eq(rad.eap[4], 26, "EAP-MSCHAPv2");
	cr_assert_eq(rad.state_len, sizeof(state));
	cr_expect_eq(memcmp(rad.state, state, sizeof(state)), 0, "the State back (RFC 2865 §5.24)");
	cr_expect_eq(ike_engine_eap_radius_answer(sides[1].e, first, &ra, now), -ESTALE,
		     "the first round's handle again");
	cr_assert_eq(ike_engine_eap_radius_answer(sides[1].e, rad.handle, &rj, now), 0);
	run();
	expect_refused("EAP-RADIUS: RADIUS Access-Reject: bad password for alice, AUTHENTICATION_FAILED");
	ike_engine_stats(sides[1].e, &st);
	cr_expect_eq(st.st_radius_stale, 2);
	cr_expect_eq(st.st_radius_rejects, 1);
	eap_down(k);
}

/* An Access-Accept without MS-MPPE keys gives no MSK: refused (RFC 7296
 * §2.16 needs one for the AUTHs). */
Test(ike_engine, eap_radius_accept_without_msk_is_refused)
{
	struct eap_pki k = radius_up();
	static const uint8_t success[] = { 3, 7, 0, 4 };
	struct ike_radius_answer ra = { .ra_verdict = IKE_RADIUS_ACCEPT, .ra_eap = success,
					.ra_eap_len = sizeof(success) };

	cr_assert_eq(ike_engine_eap_radius_answer(sides[1].e, rad.handle, &ra, now), 0);
	run();
	expect_refused("EAP-RADIUS: RADIUS Access-Accept without EAP-Success or without an MSK (MS-MPPE keys) for alice");
	eap_down(k);
}
