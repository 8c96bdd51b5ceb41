/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAP-RADIUS (RFC 3579) and RADIUS accounting (RFC 2866) with radcli
 * (docs/decisions.md: "RADIUS: radcli"). radcli blocks while it waits
 * for a server, retries and fails over to the next; so its calls run on
 * RADIUS_THREADS threads, each with its own handle, fed by one queue.
 * The control lcore queues a job (an EAP-Response to relay, an
 * accounting record) and takes finished jobs in radius_poll: answers go
 * to lib/ike, counters are counted there; nothing on it waits.
 *
 * radcli 1.2.11 signs every Access-Request that carries EAP-Message with
 * a Message-Authenticator (RFC 3579 §3.2) and checks the Response
 * Authenticator of answers (RFC 2865 §3), but does not check an answer's
 * Message-Authenticator: see docs/decisions.md.
 */
#include "radius.h"
#include "radius_attr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <radcli/radcli.h>

#define RADIUS_THREADS 2
#define RADIUS_QUEUE_MAX 4096          /* jobs waiting; more are refused */
#define RADIUS_SESSIONS 16384          /* accounting sessions */
#define RADIUS_EAP_ATTRS 16            /* 16 x 253 > IKE_EAP_MSG_MAX */
#define RADIUS_DICT "/etc/radcli/dictionary"  /* Debian's radcli package */
#define RADIUS_DICT_MS "/etc/radcli/dictionary.microsoft"
#define RADIUS_UNSTARTED_MS 60000      /* accepted, no Child SA: forgotten */

#define RADIUS_COUNTERS(X) \
	X(auth_requests, "Access-Requests sent (each after its retries and failover)") \
	X(accepts, "Access-Accepts") \
	X(challenges, "Access-Challenges") \
	X(rejects, "Access-Rejects") \
	X(no_answer, "Access-Requests no server answered (all retries, every server)") \
	X(bad_answers, "answers refused: EAP-Message not one EAP packet, MS-MPPE keys missing or malformed") \
	X(queue_full, "requests refused: the RADIUS queue full") \
	X(acct_sent, "Accounting-Requests answered (Start, Interim-Update, Stop)") \
	X(acct_failed, "Accounting-Requests no server answered") \
	X(sessions_full, "accounting sessions not kept: the table full")

enum radius_counter {
#define RC_ENUM(n, d) RCNT_##n,
	RADIUS_COUNTERS(RC_ENUM)
#undef RC_ENUM
	RCNT_MAX
};

static const struct { const char *name, *desc; } counter_info[] = {
#define RC_INFO(n, d) { #n, d },
	RADIUS_COUNTERS(RC_INFO)
#undef RC_INFO
};

enum job_kind { JOB_AUTH, JOB_ACCT };

struct acct_totals {
	uint64_t in_octets, out_octets, in_packets, out_packets;
};

struct radius_job {
	struct radius_job *j_next;
	enum job_kind j_kind;
	/* auth: the request, then the answer */
	uint64_t j_handle;
	char j_user[IKE_EAP_USER_MAX + 1];
	char j_calling[IP_ADDR_STRLEN], j_called[IP_ADDR_STRLEN];
	uint8_t j_eap[IKE_EAP_MSG_MAX];
	size_t j_eap_len;
	uint8_t j_state[IKE_RADIUS_STATE_MAX];
	size_t j_state_len;
	enum ike_radius_verdict j_verdict;
	uint8_t j_msk[IKE_RADIUS_MSK_MAX];
	size_t j_msk_len;
	uint32_t j_framed;           /* host order; 0: none */
	char j_reason[128];
	bool j_bad;                  /* the answer did not map */
	/* acct */
	uint32_t j_status;           /* PW_STATUS_START, _STOP, _ALIVE */
	char j_session[24];
	struct acct_totals j_tot;
	uint32_t j_session_time;
	uint32_t j_cause;
	bool j_ok;
};

struct radius_session {
	bool s_used, s_started;
	uint32_t s_ike_id;
	char s_user[IKE_EAP_USER_MAX + 1];
	char s_calling[IP_ADDR_STRLEN];
	char s_id[24];
	uint32_t s_framed;           /* host order; 0: none */
	uint64_t s_created_ms, s_start_ms, s_next_interim_ms;
	struct acct_totals s_gone;   /* of Child SAs already removed */
};

struct radius {
	struct app *r_app;
	pthread_t r_thr[RADIUS_THREADS];
	unsigned r_n_thr;
	pthread_mutex_t r_mu;
	pthread_cond_t r_cv;
	struct radius_job *r_q, *r_q_tail, *r_done, *r_done_tail;
	unsigned r_q_len;
	bool r_stop;
	char *r_authservers, *r_acctservers; /* radcli's "host:port:secret,..." */
	char r_timeout[12], r_retries[12];
	uint64_t r_cnt[RCNT_MAX];
	uint32_t r_boot;             /* Acct-Session-Id's prefix */
	struct slot_index r_slots;   /* r_sess by IKE SA id */
	struct radius_session *r_sess;
	uint64_t r_next_scan_ms;
};

static struct radius *g_radius; /* one per process, like app->ike */

/* ---- the RADIUS threads ---- */

/* rc_destroy, with what radcli 1.2.11's rc_config_free leaves: it frees
 * only the first server's name and secret of a list. Secrets wiped. */
static void handle_free(rc_handle *rh)
{
	static const char *const lists[] = { "authserver", "acctserver" };

	for (unsigned l = 0; l < 2; l++) {
		SERVER *s = rc_conf_srv(rh, lists[l]);

		for (int i = 0; s && i < s->max && i < SERVER_MAX; i++) {
			if (s->secret[i])
				OPENSSL_cleanse(s->secret[i], strlen(s->secret[i]));
			if (i == 0)
				continue;
			free(s->secret[i]);
			free(s->name[i]);
			s->secret[i] = s->name[i] = NULL;
		}
	}
	rc_destroy(rh);
}

static rc_handle *handle_new(const struct radius *r, const struct cfg_radius *rc)
{
	rc_handle *rh = rc_new();

	if (rh)
		rh = rc_config_init(rh);
	if (!rh)
		return NULL;
	if (rc_add_config(rh, "authserver", r->r_authservers, "espgate", 0) != 0 ||
	    rc_add_config(rh, "acctserver", r->r_acctservers, "espgate", 0) != 0 ||
	    rc_add_config(rh, "radius_timeout", r->r_timeout, "espgate", 0) != 0 ||
	    rc_add_config(rh, "radius_retries", r->r_retries, "espgate", 0) != 0 ||
	    rc_add_config(rh, "radius_deadtime", "0", "espgate", 0) != 0 ||
	    rc_add_config(rh, "nas-identifier", rc->nas_identifier, "espgate", 0) != 0 ||
	    rc_add_config(rh, "serv-type", "udp", "espgate", 0) != 0 ||
	    rc_apply_config(rh) != 0 || rc_read_dictionary(rh, RADIUS_DICT) != 0 ||
	    rc_read_dictionary(rh, RADIUS_DICT_MS) != 0) {
		handle_free(rh);
		return NULL;
	}
	return rh;
}

static bool add_str(rc_handle *rh, VALUE_PAIR **vp, int attr, const void *v, int len)
{
	return rc_avpair_add(rh, vp, attr, v, len, 0) != NULL;
}

static bool add_u32(rc_handle *rh, VALUE_PAIR **vp, int attr, uint32_t v)
{
	return rc_avpair_add(rh, vp, attr, &v, 0, 0) != NULL;
}

/* RFC 3579 §3.1: the EAP packet in EAP-Message attributes of 253 bytes,
 * in order; the State of the last Access-Challenge back (RFC 2865 §5.24). */
static bool auth_attrs(rc_handle *rh, const struct radius_job *j, VALUE_PAIR **vp)
{
	unsigned n;

	if (radius_eap_split(j->j_eap_len, RADIUS_EAP_ATTRS, &n) != 0 ||
	    !add_str(rh, vp, PW_USER_NAME, j->j_user, -1) ||
	    !add_u32(rh, vp, PW_SERVICE_TYPE, PW_FRAMED) ||
	    !add_u32(rh, vp, PW_NAS_PORT_TYPE, PW_VIRTUAL) ||
	    !add_str(rh, vp, PW_CALLING_STATION_ID, j->j_calling, -1) ||
	    !add_str(rh, vp, PW_CALLED_STATION_ID, j->j_called, -1))
		return false;
	for (unsigned i = 0; i < n; i++) {
		size_t at = (size_t)i * RADIUS_ATTR_MAX, len = j->j_eap_len - at;

		if (!add_str(rh, vp, PW_EAP_MESSAGE, j->j_eap + at,
			     (int)(len > RADIUS_ATTR_MAX ? RADIUS_ATTR_MAX : len)))
			return false;
	}
	return !j->j_state_len || add_str(rh, vp, PW_STATE, j->j_state, (int)j->j_state_len);
}

/* The MSK (RFC 3579 §3.2 says none; RFC 5216 §2.3 and strongSwan's
 * eap-radius): MS-MPPE-Recv-Key || MS-MPPE-Send-Key, each decrypted. */
static int take_msk(RC_AAA_CTX *ctx, VALUE_PAIR *recv, struct radius_job *j)
{
	const char *secret = rc_aaa_ctx_get_secret(ctx);
	const uint8_t *vector = rc_aaa_ctx_get_vector(ctx);
	static const int keys[2] = { PW_MS_MPPE_RECV_KEY, PW_MS_MPPE_SEND_KEY };
	size_t klen;

	j->j_msk_len = 0;
	for (unsigned k = 0; k < 2; k++) {
		VALUE_PAIR *vp = rc_avpair_get(recv, keys[k], VENDOR_MICROSOFT);
		char *v;
		unsigned vlen;

		if (!vp || !secret || !vector || rc_avpair_get_raw(vp, &v, &vlen) != 0 ||
		    radius_mppe_decrypt((const uint8_t *)v, vlen, secret, strlen(secret), vector,
					j->j_msk + j->j_msk_len, RADIUS_MPPE_KEY_MAX, &klen) != 0)
			return -EINVAL;
		j->j_msk_len += klen;
	}
	return 0;
}

/* The answer's attributes: EAP-Message joined, State, Framed-IP-Address. */
static void take_answer(VALUE_PAIR *recv, struct radius_job *j)
{
	size_t len = 0;

	j->j_state_len = 0;
	for (VALUE_PAIR *vp = recv; vp; vp = rc_avpair_next(vp)) {
		unsigned type, id, vlen;
		char *v;
		uint32_t a;

		rc_avpair_get_attr(vp, &type, &id);
		if (id == PW_EAP_MESSAGE && rc_avpair_get_raw(vp, &v, &vlen) == 0) {
			if (radius_eap_join(j->j_eap, sizeof(j->j_eap), &len, (uint8_t *)v, vlen) != 0)
				j->j_bad = true;
		} else if (id == PW_STATE && rc_avpair_get_raw(vp, &v, &vlen) == 0 &&
			   vlen <= sizeof(j->j_state)) {
			memcpy(j->j_state, v, vlen);
			j->j_state_len = vlen;
		} else if (id == PW_FRAMED_IP_ADDRESS && rc_avpair_get_uint32(vp, &a) == 0) {
			j->j_framed = a;
		}
	}
	j->j_eap_len = len;
	if (len && radius_eap_check(j->j_eap, len) != 0)
		j->j_bad = true;
}

static void do_auth(rc_handle *rh, struct radius_job *j)
{
	VALUE_PAIR *send = NULL, *recv = NULL;
	RC_AAA_CTX *ctx = NULL;
	char msg[PW_MAX_MSG_SIZE] = "";
	int rc = ERROR_RC;

	if (auth_attrs(rh, j, &send))
		rc = rc_aaa_ctx(rh, &ctx, 0, send, &recv, msg, 0, PW_ACCESS_REQUEST);
	j->j_eap_len = 0;
	j->j_verdict = rc == OK_RC ? IKE_RADIUS_ACCEPT : rc == CHALLENGE_RC ? IKE_RADIUS_CHALLENGE :
		       rc == REJECT_RC ? IKE_RADIUS_REJECT : IKE_RADIUS_NO_ANSWER;
	if (rc == OK_RC || rc == CHALLENGE_RC || rc == REJECT_RC)
		take_answer(recv, j);
	if (rc == OK_RC && take_msk(ctx, recv, j) != 0)
		j->j_bad = true;
	snprintf(j->j_reason, sizeof(j->j_reason), "%s", msg);
	for (char *p = j->j_reason; *p; p++) /* Reply-Message into one log line */
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	rc_avpair_free(send);
	rc_avpair_free(recv);
	if (ctx)
		rc_aaa_ctx_free(ctx);
}

/* RFC 2866 §5: the record; octets past 2^32 in the Gigawords (RFC 2869 §5.1, 5.2). */
static void do_acct(rc_handle *rh, struct radius_job *j)
{
	VALUE_PAIR *send = NULL;
	const struct acct_totals *t = &j->j_tot;
	bool ok = add_u32(rh, &send, PW_ACCT_STATUS_TYPE, j->j_status) &&
		  add_str(rh, &send, PW_ACCT_SESSION_ID, j->j_session, -1) &&
		  add_str(rh, &send, PW_USER_NAME, j->j_user, -1) &&
		  add_u32(rh, &send, PW_NAS_PORT_TYPE, PW_VIRTUAL) &&
		  add_str(rh, &send, PW_CALLING_STATION_ID, j->j_calling, -1) &&
		  add_u32(rh, &send, PW_ACCT_AUTHENTIC, PW_RADIUS) &&
		  (!j->j_framed || add_u32(rh, &send, PW_FRAMED_IP_ADDRESS, j->j_framed));

	if (ok && j->j_status != PW_STATUS_START)
		ok = add_u32(rh, &send, PW_ACCT_SESSION_TIME, j->j_session_time) &&
		     add_u32(rh, &send, PW_ACCT_INPUT_OCTETS, (uint32_t)t->in_octets) &&
		     add_u32(rh, &send, PW_ACCT_OUTPUT_OCTETS, (uint32_t)t->out_octets) &&
		     add_u32(rh, &send, PW_ACCT_INPUT_GIGAWORDS, (uint32_t)(t->in_octets >> 32)) &&
		     add_u32(rh, &send, PW_ACCT_OUTPUT_GIGAWORDS, (uint32_t)(t->out_octets >> 32)) &&
		     add_u32(rh, &send, PW_ACCT_INPUT_PACKETS, (uint32_t)t->in_packets) &&
		     add_u32(rh, &send, PW_ACCT_OUTPUT_PACKETS, (uint32_t)t->out_packets);
	if (ok && j->j_status == PW_STATUS_STOP)
		ok = add_u32(rh, &send, PW_ACCT_TERMINATE_CAUSE, j->j_cause);
	j->j_ok = ok && rc_acct(rh, 0, send) == OK_RC;
	rc_avpair_free(send);
}

static void *radius_thread(void *arg)
{
	struct radius *r = arg;
	rc_handle *rh = handle_new(r, &r->r_app->cfg.radius);

	pthread_mutex_lock(&r->r_mu);
	for (;;) {
		struct radius_job *j;

		while (!r->r_q && !r->r_stop)
			pthread_cond_wait(&r->r_cv, &r->r_mu);
		if (r->r_stop)
			break;
		j = r->r_q;
		r->r_q = j->j_next;
		if (!r->r_q)
			r->r_q_tail = NULL;
		r->r_q_len--;
		pthread_mutex_unlock(&r->r_mu);
		if (!rh)
			j->j_verdict = IKE_RADIUS_NO_ANSWER;
		else if (j->j_kind == JOB_AUTH)
			do_auth(rh, j);
		else
			do_acct(rh, j);
		pthread_mutex_lock(&r->r_mu);
		j->j_next = NULL;
		if (r->r_done_tail)
			r->r_done_tail->j_next = j;
		else
			r->r_done = j;
		r->r_done_tail = j;
	}
	pthread_mutex_unlock(&r->r_mu);
	if (rh)
		handle_free(rh);
	return NULL;
}

/* ---- the control lcore's side ---- */

static void job_free(struct radius_job *j)
{
	OPENSSL_cleanse(j, sizeof(*j)); /* the MSK */
	free(j);
}

static bool enqueue(struct radius *r, struct radius_job *j)
{
	bool ok;

	pthread_mutex_lock(&r->r_mu);
	ok = r->r_q_len < RADIUS_QUEUE_MAX;
	if (ok) {
		j->j_next = NULL;
		if (r->r_q_tail)
			r->r_q_tail->j_next = j;
		else
			r->r_q = j;
		r->r_q_tail = j;
		r->r_q_len++;
		pthread_cond_signal(&r->r_cv);
	}
	pthread_mutex_unlock(&r->r_mu);
	if (!ok) {
		r->r_cnt[RCNT_queue_full]++;
		job_free(j);
	}
	return ok;
}

static void addr_text(const struct ip_addr *a, char *out)
{
	ip_addr_format(a, out, IP_ADDR_STRLEN);
}

void radius_eap_request(void *ctx, const struct ike_radius_request *rr)
{
	struct radius *r = g_radius;
	struct radius_job *j;

	(void)ctx;
	j = r && rr->rr_eap_len <= IKE_EAP_MSG_MAX && rr->rr_state_len <= IKE_RADIUS_STATE_MAX ?
		    calloc(1, sizeof(*j)) : NULL;
	if (j) {
		j->j_kind = JOB_AUTH;
		j->j_handle = rr->rr_handle;
		snprintf(j->j_user, sizeof(j->j_user), "%s", rr->rr_user);
		addr_text(&rr->rr_peer.ep_addr, j->j_calling);
		addr_text(&rr->rr_local.ep_addr, j->j_called);
		memcpy(j->j_eap, rr->rr_eap, rr->rr_eap_len);
		j->j_eap_len = rr->rr_eap_len;
		memcpy(j->j_state, rr->rr_state, rr->rr_state_len);
		j->j_state_len = rr->rr_state_len;
		enqueue(r, j);
		return;
	}
	if (r)
		r->r_cnt[RCNT_queue_full]++;
	/* Not answered here (that would re-enter the engine): its wait ends it. */
}

static struct radius_session *session_of(struct radius *r, uint32_t ike_id)
{
	for (uint32_t s = slot_first(&r->r_slots, ike_id); s != SLOT_NONE; s = slot_next(&r->r_slots, s))
		if (r->r_sess[s].s_used && r->r_sess[s].s_ike_id == ike_id)
			return &r->r_sess[s];
	return NULL;
}

/* Accepted: the user's accounting session, started with its Child SA. */
static void session_new(struct radius *r, const struct radius_job *j, uint64_t now)
{
	uint32_t ike_id = (uint32_t)(j->j_handle >> 32), s;
	struct radius_session *ss;

	if (!r->r_app->cfg.radius.accounting || session_of(r, ike_id))
		return;
	s = slot_take(&r->r_slots, ike_id);
	if (s == SLOT_NONE) {
		r->r_cnt[RCNT_sessions_full]++;
		return;
	}
	ss = &r->r_sess[s];
	*ss = (struct radius_session){ .s_used = true, .s_ike_id = ike_id, .s_framed = j->j_framed,
				       .s_created_ms = now };
	memcpy(ss->s_user, j->j_user, sizeof(ss->s_user));
	memcpy(ss->s_calling, j->j_calling, sizeof(ss->s_calling));
	snprintf(ss->s_id, sizeof(ss->s_id), "%08x%08x", r->r_boot, ike_id);
}

static void auth_done(struct radius *r, struct radius_job *j, uint64_t now)
{
	struct ike_radius_answer ra = {
		.ra_verdict = j->j_verdict, .ra_eap = j->j_eap, .ra_eap_len = j->j_eap_len,
		.ra_state = j->j_state, .ra_state_len = j->j_state_len, .ra_msk = j->j_msk,
		.ra_msk_len = j->j_msk_len, .ra_reason = j->j_reason,
	};
	struct ike_ctl *ic = r->r_app->ike;

	r->r_cnt[RCNT_auth_requests]++;
	r->r_cnt[j->j_verdict == IKE_RADIUS_ACCEPT ? RCNT_accepts :
		 j->j_verdict == IKE_RADIUS_CHALLENGE ? RCNT_challenges :
		 j->j_verdict == IKE_RADIUS_REJECT ? RCNT_rejects : RCNT_no_answer]++;
	if (j->j_bad && j->j_verdict != IKE_RADIUS_REJECT && j->j_verdict != IKE_RADIUS_NO_ANSWER) {
		r->r_cnt[RCNT_bad_answers]++;
		ra.ra_verdict = IKE_RADIUS_REJECT;
		ra.ra_reason = "an answer that does not map (EAP-Message, MS-MPPE keys)";
	}
	if (j->j_framed) {
		uint32_t be = htonl(j->j_framed);

		ra.ra_framed_ip.family = AF_INET;
		memcpy(ra.ra_framed_ip.bytes, &be, 4);
	}
	if (!ic)
		return;
	if (ike_engine_eap_radius_answer(ic->ic_engine, j->j_handle, &ra, now) == 0 &&
	    ra.ra_verdict == IKE_RADIUS_ACCEPT)
		session_new(r, j, now);
}

/* ---- accounting (RFC 2866) ---- */

static void sa_add(const struct app *app, int id, uint64_t *octets, uint64_t *packets)
{
	const struct esp_sa *sa = id >= 0 ? esp_sa_by_id(app->dp.sadb, (uint32_t)id) : NULL;

	if (!sa)
		return;
	*octets += __atomic_load_n(&sa->sa_st.st_bytes, __ATOMIC_RELAXED);
	*packets += __atomic_load_n(&sa->sa_st.st_packets, __ATOMIC_RELAXED);
}

/* The session's bytes and packets: its Child SAs gone, and those there. */
static struct acct_totals totals(const struct radius *r, const struct radius_session *ss)
{
	const struct ike_ctl *ic = r->r_app->ike;
	struct acct_totals t = ss->s_gone;

	for (unsigned i = 0; ic && i < IKE_CTL_CHILDREN; i++) {
		const struct ctl_child *cc = &ic->ic_child[i];

		if (!cc->cc_used || cc->cc_ike_id != ss->s_ike_id)
			continue;
		sa_add(r->r_app, cc->cc_sa_in, &t.in_octets, &t.in_packets);
		sa_add(r->r_app, cc->cc_sa_out, &t.out_octets, &t.out_packets);
	}
	return t;
}

static void send_acct(struct radius *r, const struct radius_session *ss, uint32_t status,
		      uint32_t cause, uint64_t now)
{
	struct radius_job *j = calloc(1, sizeof(*j));

	if (!j) {
		r->r_cnt[RCNT_acct_failed]++;
		return;
	}
	j->j_kind = JOB_ACCT;
	j->j_status = status;
	j->j_cause = cause;
	j->j_framed = ss->s_framed;
	memcpy(j->j_user, ss->s_user, sizeof(j->j_user));
	memcpy(j->j_calling, ss->s_calling, sizeof(j->j_calling));
	memcpy(j->j_session, ss->s_id, sizeof(j->j_session));
	if (status != PW_STATUS_START) {
		j->j_tot = totals(r, ss);
		j->j_session_time = (uint32_t)((now - ss->s_start_ms) / 1000);
	}
	enqueue(r, j);
}

static void session_end(struct radius *r, struct radius_session *ss)
{
	slot_give_back(&r->r_slots, (uint32_t)(ss - r->r_sess));
	memset(ss, 0, sizeof(*ss));
}

/* Once a second: the Interim-Updates due, sessions never started dropped. */
static void scan(struct radius *r, uint64_t now)
{
	unsigned interim = r->r_app->cfg.radius.interim_s;

	for (unsigned i = 0; i < RADIUS_SESSIONS; i++) {
		struct radius_session *ss = &r->r_sess[i];

		if (!ss->s_used)
			continue;
		if (!ss->s_started && now - ss->s_created_ms > RADIUS_UNSTARTED_MS)
			session_end(r, ss);
		else if (ss->s_started && interim && now >= ss->s_next_interim_ms) {
			ss->s_next_interim_ms = now + (uint64_t)interim * 1000;
			send_acct(r, ss, PW_STATUS_ALIVE, 0, now);
		}
	}
}

/* The framed address: RADIUS's, else the client's one-address selector. */
static uint32_t child_address(const struct ike_child_info *ci)
{
	const struct ike_selectors *ts = ci->ci_ts_remote;
	uint32_t a;

	if (!ts || ts->ts_n == 0 || ts->ts[0].ts_type != IKE_SEL_IPV4 ||
	    memcmp(ts->ts[0].ts_start, ts->ts[0].ts_end, 4) != 0)
		return 0;
	memcpy(&a, ts->ts[0].ts_start, 4);
	return ntohl(a);
}

void radius_child_up(struct app *app, const struct ike_child_info *ci)
{
	struct radius *r = g_radius;
	struct radius_session *ss = r ? session_of(r, ci->ci_ike_id) : NULL;
	uint64_t now = eg_now_ms();

	(void)app;
	if (!ss || ss->s_started)
		return;
	ss->s_started = true;
	ss->s_start_ms = now;
	ss->s_next_interim_ms = now + (uint64_t)r->r_app->cfg.radius.interim_s * 1000;
	if (!ss->s_framed)
		ss->s_framed = child_address(ci);
	send_acct(r, ss, PW_STATUS_START, 0, now);
}

void radius_child_gone(struct app *app, uint32_t ike_id, int sa_in, int sa_out)
{
	struct radius *r = g_radius;
	struct radius_session *ss = r ? session_of(r, ike_id) : NULL;

	if (!ss)
		return;
	sa_add(app, sa_in, &ss->s_gone.in_octets, &ss->s_gone.in_packets);
	sa_add(app, sa_out, &ss->s_gone.out_octets, &ss->s_gone.out_packets);
}

void radius_ike_down(struct app *app, const struct ike_sa_info *sa)
{
	struct radius *r = g_radius;
	struct radius_session *ss = r ? session_of(r, sa->si_id) : NULL;
	const char *why = sa->si_reason ? sa->si_reason : "";

	(void)app;
	if (!ss)
		return;
	/* RFC 2866 §5.10: the peer's delete, a lost peer, or ours */
	if (ss->s_started)
		send_acct(r, ss, PW_STATUS_STOP,
			  strstr(why, "liveness") || strstr(why, "did not answer") ?
				  PW_LOST_CARRIER : strstr(why, "peer") ? PW_USER_REQUEST :
				  PW_ADMIN_RESET, eg_now_ms());
	session_end(r, ss);
}

void radius_poll(struct app *app, uint64_t now)
{
	struct radius *r = g_radius;
	struct radius_job *j, *next;

	(void)app;
	if (!r)
		return;
	pthread_mutex_lock(&r->r_mu);
	j = r->r_done;
	r->r_done = r->r_done_tail = NULL;
	pthread_mutex_unlock(&r->r_mu);
	for (; j; j = next) {
		next = j->j_next;
		if (j->j_kind == JOB_AUTH)
			auth_done(r, j, now);
		else
			r->r_cnt[j->j_ok ? RCNT_acct_sent : RCNT_acct_failed]++;
		job_free(j);
	}
	if (now >= r->r_next_scan_ms) {
		r->r_next_scan_ms = now + 1000;
		scan(r, now);
	}
}

json_t *radius_stats_json(const struct app *app)
{
	struct radius *r = g_radius;
	unsigned queued;
	json_t *o;

	(void)app;
	if (!r)
		return NULL;
	o = json_object();
	for (unsigned i = 0; i < RCNT_MAX; i++)
		json_object_set_new(o, counter_info[i].name, json_integer((json_int_t)r->r_cnt[i]));
	pthread_mutex_lock(&r->r_mu);
	queued = r->r_q_len;
	pthread_mutex_unlock(&r->r_mu);
	json_object_set_new(o, "queued", json_integer(queued));
	return o;
}

void radius_counters_help(json_t *o)
{
	char key[64];

	for (unsigned i = 0; i < RCNT_MAX; i++) {
		snprintf(key, sizeof(key), "radius.%s", counter_info[i].name);
		json_object_set_new(o, key, json_string(counter_info[i].desc));
	}
}

/* ---- start and stop ---- */

/* radcli's server list: "address:port:secret,...", IPv6 in brackets. */
static char *server_list(const struct cfg_radius *rc, bool acct)
{
	size_t cap = rc->n_servers * (IP_ADDR_STRLEN + 10 + CFG_RADIUS_SECRET_MAX) + 1, at = 0;
	char *s = calloc(1, cap);

	for (unsigned i = 0; s && i < rc->n_servers; i++) {
		const struct cfg_radius_server *sv = &rc->servers[i];
		char a[IP_ADDR_STRLEN];
		bool v6 = sv->addr.family == AF_INET6;

		ip_addr_format(&sv->addr, a, sizeof(a));
		at += (size_t)snprintf(s + at, cap - at, "%s%s%s%s:%u:%s", i ? "," : "", v6 ? "[" : "",
				       a, v6 ? "]" : "", acct ? sv->acct_port : sv->auth_port,
				       sv->secret);
	}
	return s;
}

static void wipe_free(char *s)
{
	if (s)
		OPENSSL_cleanse(s, strlen(s));
	free(s);
}

int radius_start(struct app *app)
{
	const struct cfg_radius *rc = &app->cfg.radius;
	struct radius *r;
	rc_handle *probe;

	if (!rc->n_servers)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->r_app = app;
	pthread_mutex_init(&r->r_mu, NULL);
	pthread_cond_init(&r->r_cv, NULL);
	snprintf(r->r_timeout, sizeof(r->r_timeout), "%u", rc->timeout_s);
	snprintf(r->r_retries, sizeof(r->r_retries), "%u", rc->retries);
	r->r_authservers = server_list(rc, false);
	r->r_acctservers = server_list(rc, true);
	r->r_sess = calloc(RADIUS_SESSIONS, sizeof(*r->r_sess));
	if (!r->r_authservers || !r->r_acctservers || !r->r_sess ||
	    slot_index_init(&r->r_slots, RADIUS_SESSIONS) != 0 ||
	    RAND_bytes((uint8_t *)&r->r_boot, sizeof(r->r_boot)) != 1)
		goto fail;
	/* the configuration and the dictionaries, checked once here */
	probe = handle_new(r, rc);
	if (!probe) {
		EG_LOG(ERR, "RADIUS: radcli does not take the configuration or cannot read %s",
		       RADIUS_DICT_MS);
		goto fail;
	}
	handle_free(probe);
	g_radius = r;
	for (; r->r_n_thr < RADIUS_THREADS; r->r_n_thr++)
		if (pthread_create(&r->r_thr[r->r_n_thr], NULL, radius_thread, r) != 0)
			break;
	if (!r->r_n_thr) {
		g_radius = NULL;
		goto fail;
	}
	EG_LOG(INFO, "RADIUS: %u servers, %u s timeout, %u retries each, accounting %s%s, %u threads",
	       rc->n_servers, rc->timeout_s, rc->retries, rc->accounting ? "on" : "off",
	       rc->accounting && rc->interim_s ? " with interim updates" : "", r->r_n_thr);
	return 0;
fail:
	wipe_free(r->r_authservers);
	wipe_free(r->r_acctservers);
	slot_index_fini(&r->r_slots);
	free(r->r_sess);
	free(r);
	return -EIO;
}

/* Answers not taken and jobs not run are dropped with their MSKs. */
static void jobs_free(struct radius_job *j)
{
	for (struct radius_job *next; j; j = next) {
		next = j->j_next;
		job_free(j);
	}
}

void radius_stop(struct app *app)
{
	struct radius *r = g_radius;

	(void)app;
	if (!r)
		return;
	pthread_mutex_lock(&r->r_mu);
	r->r_stop = true;
	pthread_cond_broadcast(&r->r_cv);
	pthread_mutex_unlock(&r->r_mu);
	for (unsigned i = 0; i < r->r_n_thr; i++)
		pthread_join(r->r_thr[i], NULL);
	jobs_free(r->r_q);
	jobs_free(r->r_done);
	g_radius = NULL;
	wipe_free(r->r_authservers);
	wipe_free(r->r_acctservers);
	slot_index_fini(&r->r_slots);
	free(r->r_sess);
	pthread_mutex_destroy(&r->r_mu);
	pthread_cond_destroy(&r->r_cv);
	free(r);
}
