/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MOBIKE (RFC 4555) between two IKEv2 engines in one process: agreed in
 * IKE_AUTH, then the initiator moves (ike_mobike_update_start) and the
 * responder's IKE SA and Child SA follow to the request's source, NAT
 * detection switching UDP encapsulation, COOKIE2 echoed; a forged,
 * replayed or unagreed request moves nothing. charon against espgate is
 * tests/e2e/mobike.sh's job.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ike_sa.h"

#define QMAX 16

struct mdgram {
	int to;
	struct ike_endpoint local, remote;
	uint8_t buf[IKE_MSG_MAX];
	size_t len;
};

struct mside {
	struct ike_engine *e;
	int index;
	unsigned ike_up, child_up, ike_moved, child_moved;
	struct ike_child_info child;  /* the last up or moved */
	struct ike_sa_info moved;     /* the last ev_ike_moved */
};

static struct mside ms[2];
static struct mdgram mq[QMAX];
static unsigned mqn;
/* A NAT in front of the initiator: the responder sees 203.0.113.7, the
 * port plus 1000. */
static bool behind_nat;
static uint64_t t_ms = 1000;

static void m_send(void *ctx, const struct ike_endpoint *local,
		   const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	struct mside *s = ctx;

	cr_assert_lt(mqn, QMAX);
	cr_assert_leq(len, sizeof(mq[0].buf));
	mq[mqn] = (struct mdgram){ .to = 1 - s->index, .local = *remote, .remote = *local,
				   .len = len };
	memcpy(mq[mqn++].buf, buf, len);
}

static void m_ike_up(void *ctx, const struct ike_sa_info *sa)
{
	(void)sa;
	((struct mside *)ctx)->ike_up++;
}

static void m_child_up(void *ctx, const struct ike_child_info *ci)
{
	struct mside *s = ctx;

	s->child_up++;
	s->child = *ci;
}

static void m_ike_moved(void *ctx, const struct ike_sa_info *sa)
{
	struct mside *s = ctx;

	s->ike_moved++;
	s->moved = *sa;
}

static void m_child_moved(void *ctx, const struct ike_child_info *ci)
{
	struct mside *s = ctx;

	s->child_moved++;
	s->child = *ci;
}

static struct ike_endpoint m_ep(const char *a, uint16_t port)
{
	struct ike_endpoint e = { .ep_port = port };

	cr_assert(ip_addr_parse(a, &e.ep_addr));
	return e;
}

static bool ep_is(const struct ike_endpoint *e, const char *a, uint16_t port)
{
	struct ike_endpoint want = m_ep(a, port);

	return ip_addr_equal(&e->ep_addr, &want.ep_addr) && e->ep_port == port;
}

static void m_ts(struct ike_ts_cfg *t, const char *prefix)
{
	memset(t, 0, sizeof(*t));
	cr_assert(ip_prefix_parse(prefix, &t->tc_prefix));
	t->tc_port_hi = 65535;
}

static struct ike_conn_cfg m_conn(bool initiator)
{
	struct ike_conn_cfg c;
	char err[64];

	memset(&c, 0, sizeof(c));
	snprintf(c.c_name, sizeof(c.c_name), "%s", initiator ? "laptop" : "rw");
	c.c_local = m_ep(initiator ? "198.51.100.10" : "192.0.2.1", 500);
	c.c_remote = m_ep(initiator ? "192.0.2.1" : "198.51.100.10", 500);
	if (!initiator)
		c.c_remote.ep_addr.family = 0;
	cr_assert_eq(ike_prop_parse("aes128gcm16-prfsha256-x25519", IKE_PROTO_IKE, &c.c_ike[0],
				    err, sizeof(err)), 0, "%s", err);
	c.c_n_ike = 1;
	c.c_psk_len = 16;
	memcpy(c.c_psk, "0123456789abcdef", 16);
	c.c_n_child = 1;
	snprintf(c.c_child[0].cc_name, IKE_NAME_MAX, "net");
	m_ts(&c.c_child[0].cc_local[0], initiator ? "198.18.1.0/24" : "198.18.2.0/24");
	m_ts(&c.c_child[0].cc_remote[0], initiator ? "198.18.2.0/24" : "198.18.1.0/24");
	c.c_child[0].cc_n_local = c.c_child[0].cc_n_remote = 1;
	cr_assert_eq(ike_prop_parse("aes128gcm16", IKE_PROTO_ESP, &c.c_child[0].cc_esp[0], err,
				    sizeof(err)), 0, "%s", err);
	c.c_child[0].cc_n_esp = 1;
	return c;
}

static void m_down(void)
{
	for (int i = 0; i < 2; i++) {
		ike_engine_free(ms[i].e);
		ms[i].e = NULL;
	}
}

TestSuite(ike_mobike, .fini = m_down);

/* The datagram as the receiver sees it: a NAT in front of the
 * initiator rewrites its source (and maps the answers back). */
static void deliver(struct mdgram *d)
{
	if (behind_nat && d->to == 1) {
		d->remote.ep_addr = m_ep("203.0.113.7", 0).ep_addr;
		d->remote.ep_port = (uint16_t)(d->remote.ep_port + 1000);
	} else if (behind_nat && d->to == 0 && d->local.ep_port > 1000) {
		d->local.ep_port = (uint16_t)(d->local.ep_port - 1000);
	}
	ike_engine_input(ms[d->to].e, &d->local, &d->remote, d->buf, d->len, t_ms);
}

static void m_run(void)
{
	for (unsigned n = 0; mqn && n < 64; n++) {
		struct mdgram d = mq[0];

		memmove(mq, mq + 1, --mqn * sizeof(mq[0]));
		deliver(&d);
	}
	cr_assert_eq(mqn, 0, "the exchange settles");
}

/* Both engines, the IKE SA and its Child SA up; the initiator's SA. */
static struct ike_sa *m_up(const struct ike_conn_cfg *ci, const struct ike_conn_cfg *cr)
{
	for (int i = 0; i < 2; i++) {
		struct ike_events ev = {
			.ev_ctx = &ms[i], .ev_send = m_send, .ev_ike_up = m_ike_up,
			.ev_child_up = m_child_up, .ev_ike_moved = m_ike_moved,
			.ev_child_moved = m_child_moved,
		};
		memset(&ms[i], 0, sizeof(ms[i]));
		ms[i].index = i;
		ms[i].e = ike_engine_new(&ev);
		cr_assert_not_null(ms[i].e);
	}
	mqn = 0;
	behind_nat = false;
	cr_assert_eq(ike_engine_add_conn(ms[0].e, ci), 0);
	cr_assert_eq(ike_engine_add_conn(ms[1].e, cr), 0);
	cr_assert_gt(ike_engine_initiate(ms[0].e, ci->c_name, t_ms), 0);
	m_run();
	cr_assert_eq(ms[0].child_up + ms[1].child_up, 2, "IKE SA and Child SA up on both sides");
	return ike_sa_find_by_id(ms[0].e, ms[0].child.ci_ike_id);
}

static struct ike_sa *responder_sa(void)
{
	struct ike_sa *sa = ike_sa_find_by_id(ms[1].e, ms[1].child.ci_ike_id);

	cr_assert_not_null(sa);
	return sa;
}

static struct ike_stats stats_of(int i)
{
	struct ike_stats st;

	ike_engine_stats(ms[i].e, &st);
	return st;
}

static struct ike_sa *m_up_default(void)
{
	struct ike_conn_cfg ci = m_conn(true), cr = m_conn(false);

	return m_up(&ci, &cr);
}

Test(ike_mobike, update_sa_addresses_moves_the_ike_sa_and_its_child_sa)
{
	struct ike_sa *isa = m_up_default();
	uint32_t spi_in = ms[1].child.ci_spi_in, spi_out = ms[1].child.ci_spi_out;
	struct ike_endpoint moved = m_ep("198.51.100.11", 500);

	cr_assert(isa->sa_v2.v2_mobike, "agreed on the initiator");
	cr_assert(responder_sa()->sa_v2.v2_mobike, "and on the responder");
	cr_assert(ep_is(&responder_sa()->sa_remote, "198.51.100.10", 500));
	cr_assert_eq(ike_mobike_update_start(isa, &moved), 0);
	m_run();
	cr_expect_eq(ms[1].ike_moved, 1);
	cr_expect_eq(ms[1].child_moved, 1, "the Child SA follows");
	cr_expect(ep_is(&ms[1].moved.si_remote, "198.51.100.11", 500));
	cr_expect(ep_is(&ms[1].child.ci_remote, "198.51.100.11", 500), "its outer destination");
	cr_expect(ep_is(&responder_sa()->sa_remote, "198.51.100.11", 500));
	cr_expect_eq(ms[1].child.ci_spi_in, spi_in, "the SPIs unchanged");
	cr_expect_eq(ms[1].child.ci_spi_out, spi_out);
	cr_expect_not(ms[1].child.ci_encap, "no NAT: plain ESP");
	cr_expect_eq(stats_of(1).st_mobike_updates, 1);
	cr_expect_eq(stats_of(1).st_init_requests, 1, "no new IKE_SA_INIT");
	cr_expect_eq(ms[1].child_up, 1, "no new Child SA");
	cr_expect_eq(ms[0].child_moved, 1, "the initiator's own Child SA moved too");
	cr_expect(ep_is(&ms[0].child.ci_local, "198.51.100.11", 500));
	cr_expect_eq(stats_of(0).st_mobike_cookie2_bad, 0, "our COOKIE2 came back");
	cr_expect_eq(stats_of(1).st_mobike_checks, 1, "the responder checked the new address");
}

/* §3.5: the responder's traffic follows only once the new address has
 * answered its COOKIE2; an answer without it moves nothing. */
Test(ike_mobike, traffic_waits_for_the_return_routability_check)
{
	struct ike_sa *isa = m_up_default();
	struct ike_endpoint moved = m_ep("198.51.100.11", 500);
	uint8_t none[1] = { 0 };
	struct mdgram update, answer;

	cr_assert_eq(ike_mobike_update_start(isa, &moved), 0);
	cr_assert_eq(mqn, 1);
	update = mq[0];
	mqn = 0;
	deliver(&update);
	cr_expect_eq(stats_of(1).st_mobike_updates, 1);
	cr_expect(ep_is(&responder_sa()->sa_remote, "198.51.100.11", 500), "IKE moved at once");
	cr_expect_eq(ms[1].child_moved, 0, "traffic not yet");
	cr_assert_eq(mqn, 2, "the answer, then our check");
	cr_expect(ep_is(&mq[1].local, "198.51.100.11", 500), "the check goes to the new address");
	answer = mq[0];
	mqn = 0; /* the check is lost: the peer answers without our COOKIE2 */
	deliver(&answer);
	mqn = 0;
	isa->sa_v2.v2_msgid_in = responder_sa()->sa_v2.v2_msgid_out;
	cr_assert_eq(ike_send_protected(isa, IKE_EXCH_INFORMATIONAL, true, IKE_REQ_NONE, 0,
					none, 0), 0);
	m_run();
	cr_expect_eq(stats_of(1).st_mobike_cookie2_bad, 1);
	cr_expect_eq(stats_of(1).st_mobike_checks, 0);
	cr_expect_eq(ms[1].child_moved, 0, "traffic stays where it was");
}

Test(ike_mobike, moving_behind_a_nat_and_out_switches_udp_encapsulation)
{
	struct ike_sa *isa = m_up_default();
	struct ike_endpoint here = m_ep("198.51.100.11", 4500);

	cr_assert_not(ms[1].child.ci_encap);
	behind_nat = true;
	cr_assert_eq(ike_mobike_update_start(isa, &here), 0);
	m_run();
	cr_expect_eq(ms[1].child_moved, 1);
	cr_expect(ms[1].child.ci_encap, "behind a NAT: ESP in UDP");
	cr_expect(ep_is(&ms[1].child.ci_remote, "203.0.113.7", 5500), "the NAT's address and port");
	cr_expect(responder_sa()->sa_nat_remote, "the responder sees the peer behind a NAT");
	cr_expect(ms[0].child.ci_encap, "the initiator found the NAT too");
	behind_nat = false;
	here = m_ep("198.51.100.12", 4500);
	cr_assert_eq(ike_mobike_update_start(isa, &here), 0);
	m_run();
	cr_expect_eq(ms[1].child_moved, 2);
	cr_expect_not(ms[1].child.ci_encap, "out of the NAT: plain ESP again");
	cr_expect(ep_is(&ms[1].child.ci_remote, "198.51.100.12", 4500));
	cr_expect_eq(stats_of(1).st_mobike_updates, 2);
}

Test(ike_mobike, a_cookie2_not_echoed_keeps_the_initiator_where_it_was)
{
	struct ike_sa *isa = m_up_default();
	struct ike_endpoint moved = m_ep("198.51.100.11", 500);

	cr_assert_eq(ike_mobike_update_start(isa, &moved), 0);
	/* The responder echoes what it got; what the initiator keeps to
	 * compare with is changed, as if the answer's were not its own. */
	isa->sa_v2.v2_cookie2[0] ^= 1;
	m_run();
	cr_expect_eq(ms[1].child_moved, 1, "the responder moved (it echoed COOKIE2)");
	cr_expect_eq(stats_of(0).st_mobike_cookie2_bad, 1);
	cr_expect_eq(ms[0].child_moved, 0, "the initiator does not take the move");
	cr_expect(ep_is(&isa->sa_local, "198.51.100.10", 500), "and is back where it was");
}

Test(ike_mobike, a_forged_request_moves_nothing)
{
	struct ike_sa *isa = m_up_default();
	struct ike_endpoint moved = m_ep("198.51.100.11", 500);
	struct mdgram req;

	cr_assert_eq(ike_mobike_update_start(isa, &moved), 0);
	req = mq[0];
	mqn = 0;
	req.buf[req.len - 1] ^= 0x40; /* the ICV */
	deliver(&req);
	cr_expect_eq(mqn, 0, "no answer");
	cr_expect_eq(ms[1].ike_moved + ms[1].child_moved, 0, "nothing moved");
	cr_expect(ep_is(&responder_sa()->sa_remote, "198.51.100.10", 500));
	cr_expect_eq(stats_of(1).st_mobike_updates, 0);
	cr_expect_eq(stats_of(1).st_bad_messages, 1);
}

Test(ike_mobike, a_replayed_request_moves_nothing)
{
	struct ike_sa *isa = m_up_default();
	struct ike_endpoint a = m_ep("198.51.100.11", 500), b = m_ep("198.51.100.12", 500);
	struct mdgram first;

	cr_assert_eq(ike_mobike_update_start(isa, &a), 0);
	first = mq[0];
	m_run();
	cr_assert_eq(ms[1].child_moved, 1);
	cr_assert_eq(ike_mobike_update_start(isa, &b), 0);
	m_run();
	cr_assert_eq(ms[1].child_moved, 2);
	cr_assert(ep_is(&responder_sa()->sa_remote, "198.51.100.12", 500));
	/* The first request again, now an old message ID, from a third
	 * address: dropped, nothing moves back. */
	first.remote = m_ep("198.51.100.13", 500);
	deliver(&first);
	mqn = 0;
	cr_expect_eq(ms[1].child_moved, 2);
	cr_expect(ep_is(&responder_sa()->sa_remote, "198.51.100.12", 500));
	cr_expect_eq(stats_of(1).st_mobike_updates, 2);
}

Test(ike_mobike, a_retransmitted_request_is_answered_and_moves_nothing_again)
{
	struct ike_sa *isa = m_up_default();
	struct ike_endpoint a = m_ep("198.51.100.11", 500);
	struct mdgram req;
	uint64_t resent;

	cr_assert_eq(ike_mobike_update_start(isa, &a), 0);
	req = mq[0];
	m_run();
	resent = stats_of(1).st_responses_resent;
	req.remote = m_ep("198.51.100.13", 500);
	deliver(&req);
	mqn = 0;
	cr_expect_eq(stats_of(1).st_responses_resent, resent + 1, "the kept answer (§2.1)");
	cr_expect_eq(ms[1].child_moved, 1, "not processed again");
	cr_expect(ep_is(&responder_sa()->sa_remote, "198.51.100.11", 500));
}

Test(ike_mobike, a_connection_without_mobike_neither_agrees_nor_moves)
{
	struct ike_conn_cfg ci = m_conn(true), cr = m_conn(false);
	struct ike_endpoint moved = m_ep("198.51.100.11", 500);
	struct ike_sa *isa;

	cr.c_no_mobike = true;
	isa = m_up(&ci, &cr);
	cr_expect_not(isa->sa_v2.v2_mobike, "MOBIKE_SUPPORTED not answered");
	cr_expect_not(responder_sa()->sa_v2.v2_mobike);
	cr_expect_eq(ike_mobike_update_start(isa, &moved), -ENOTSUP);
	/* An initiator that sends it anyway: refused, counted. */
	isa->sa_v2.v2_mobike = true;
	cr_assert_eq(ike_mobike_update_start(isa, &moved), 0);
	m_run();
	cr_expect_eq(stats_of(1).st_mobike_refused, 1);
	cr_expect_eq(ms[1].ike_moved + ms[1].child_moved, 0, "the data plane is not moved");
}

Test(ike_mobike, a_request_in_flight_makes_the_move_wait)
{
	struct ike_sa *isa = m_up_default();
	struct ike_endpoint moved = m_ep("198.51.100.11", 500);

	cr_assert_eq(ike_mobike_update_start(isa, &moved), 0);
	cr_expect_eq(ike_mobike_update_start(isa, &moved), -EBUSY);
	m_run();
}

/* An authenticated request of an exchange the responder does not take
 * (IKE_INTERMEDIATE, RFC 9242, after IKE_AUTH): answered with
 * NO_ADDITIONAL_SAS, counted, the SA kept (issue 18: unsupported exchange).
 * Here because this suite holds the SAs themselves. */
Test(ike_mobike, an_exchange_not_taken_is_refused_and_counted)
{
	struct ike_sa *isa = m_up_default();
	uint8_t none[1] = { 0 }; /* no inner payload: an empty SK */

	cr_assert_eq(ike_send_protected(isa, 44, false, IKE_REQ_DPD, 0, none, 0), 0);
	m_run();
	cr_expect_eq(stats_of(1).st_unsupported_exchanges, 1);
	/* its answer is not of an exchange our side asks: dropped */
	cr_expect_eq(stats_of(0).st_bad_messages, 1);
	cr_expect_eq(isa->sa_state, IKE_S_ESTABLISHED);
	cr_expect_eq(responder_sa()->sa_state, IKE_S_ESTABLISHED);
}

/* IKE_AUTH again on an established IKE SA (§1.2: once per SA) */
Test(ike_mobike, ike_auth_once_established_is_refused_with_no_additional_sas)
{
	struct ike_sa *isa = m_up_default();
	uint8_t none[1] = { 0 };
	unsigned children = ms[1].child_up;
	struct mdgram request;

	cr_assert_eq(ike_send_protected(isa, IKE_EXCH_AUTH, false, IKE_REQ_AUTH, 0, none, 0), 0);
	cr_assert_eq(mqn, 1);
	request = mq[0];
	mqn = 0;
	deliver(&request);
	cr_expect_eq(stats_of(1).st_unsupported_exchanges, 1);
	cr_assert_eq(mqn, 1, "answered");
	cr_expect(mq[0].len > 28 && mq[0].buf[18] == IKE_EXCH_AUTH, "an IKE_AUTH response");
	cr_expect(mq[0].buf[19] & IKE_HDR_F_RESPONSE);
	m_run();
	cr_expect_eq(responder_sa()->sa_state, IKE_S_ESTABLISHED, "the SA stays up");
	cr_expect_eq(ms[1].child_up, children, "no Child SA made");
	cr_expect_eq(isa->sa_state, IKE_S_ESTABLISHED);
}

/* An answer of another exchange than the request's (here CREATE_CHILD_SA
 * to a liveness check) is dropped; the request is retransmitted. */
Test(ike_mobike, a_response_of_another_exchange_is_dropped)
{
	struct ike_sa *isa = m_up_default();
	struct ike_sa *rsa = responder_sa();
	uint8_t none[1] = { 0 };
	const uint8_t no_proposal[] = { 0, 0, 0, 8, 0, 0, 0, IKE_N_NO_PROPOSAL_CHOSEN };

	cr_assert_eq(ike_send_protected(isa, IKE_EXCH_INFORMATIONAL, false, IKE_REQ_DPD, 0,
					none, 0), 0);
	mqn = 0; /* lost on the way */
	rsa->sa_v2.v2_msgid_in = isa->sa_v2.v2_msgid_out;
	cr_assert_eq(ike_send_protected(rsa, IKE_EXCH_CREATE_CHILD_SA, true, IKE_REQ_NONE,
					IKE_PL_NOTIFY, no_proposal, sizeof(no_proposal)), 0);
	m_run();
	cr_expect_eq(stats_of(0).st_bad_messages, 1);
	cr_expect_eq(isa->sa_v2.v2_req, IKE_REQ_DPD, "still waiting for its answer");
	cr_expect_eq(isa->sa_state, IKE_S_ESTABLISHED);
}
