/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAP as the authenticator, inside IKE_AUTH (RFC 7296 §2.16): EAP
 * framing (RFC 3748 §4), EAP-Identity first when the connection asks
 * for it (§5.1), the refusal of a Nak or another method (§5.3.1), and
 * the method the connection names: EAP-TLS (ikev2_eap_tls.c), or
 * MS-CHAPv2 in EAP (draft-kamath-pppext-eap-mschapv2-02 §2) with rounds:
 *   <-- EAP-Request/MSCHAPv2 Challenge
 *   --> EAP-Response/MSCHAPv2 Response      (checked, ike_mschapv2.c)
 *   <-- EAP-Request/MSCHAPv2 Success "S=<authenticator response> M=..."
 *   --> EAP-Response/MSCHAPv2 Success
 *   <-- EAP-Success                         (the MSK is ready)
 * A wrong password ends in EAP-Failure. With EAP-RADIUS the identity is
 * asked here, and every EAP-Response after it is relayed (RFC 3579):
 * the server's method, its requests and its MSK (ikev2_eap_radius.c
 * and the app). Every byte read goes through
 * the cursor; the round (challenge, MSK, the first request kept for
 * the final AUTH) is wiped when freed.
 */
#include "ike_sa.h"
#include "cursor.h"
#include "ike_eap_tls.h"
#include "ike_mschapv2.h"

#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* RFC 3748 §4 codes, §5 types; draft-kamath §2 opcodes. */
enum { EAP_REQUEST = 1, EAP_RESPONSE = 2, EAP_SUCCESS = 3, EAP_FAILURE = 4 };
#define EAP_TYPE_IDENTITY 1
#define EAP_TYPE_NAK 3
#define EAP_TYPE_MSCHAPV2 26
enum { MSCHAP_CHALLENGE = 1, MSCHAP_RESPONSE = 2, MSCHAP_SUCCESS = 3 };
#define MSCHAP_RESPONSE_VALUE 49 /* peer challenge, 8 reserved, NT-Response, flags */
#define EAP_HOST_NAME "espgate"
#define EAP_WELCOME " M=welcome" /* strongSwan takes the message up to a space */

_Static_assert(IKE_MSCHAP_MSK_LEN == IKE_EAP_TLS_MSK_LEN, "one MSK buffer for both methods");

/* The authenticator's states, then the peer's (initiator, tests and
 * tools: EAP_EXPECT_*), EAP_DONE for both once the MSK is there. */
enum eap_state { EAP_CHALLENGE_SENT = 1, EAP_SUCCESS_SENT, EAP_EXPECT_CHALLENGE,
		 EAP_EXPECT_SUCCESS_REQ, EAP_EXPECT_SUCCESS, EAP_DONE, EAP_IDENTITY_SENT,
		 EAP_TLS_RUNNING, EAP_RELAYING };

struct ike_eap_round {
	enum eap_state er_state;
	uint8_t er_type;                        /* the method: EAP_TYPE_MSCHAPV2, IKE_EAP_TYPE_TLS */
	uint8_t er_id;                          /* Identifier of our last request */
	uint8_t er_challenge[IKE_MSCHAP_CHALLENGE_LEN];
	uint8_t er_msk[IKE_RADIUS_MSK_MAX];     /* the local methods' IKE_MSCHAP_MSK_LEN */
	size_t er_msk_len;
	bool er_relay;                          /* EAP-RADIUS */
	const uint8_t *er_relayed;              /* IKE_EAP_RELAY's EAP-Response, */
	size_t er_relayed_len;                  /* in the message being handled */
	char er_auth_response[IKE_MSCHAP_AUTH_RESPONSE_LEN + 1];
	char er_user[IKE_EAP_USER_MAX + 1];
	bool er_named;                          /* er_user is the EAP-Response/Identity's */
	struct ike_eap_tls *er_tls;
	char er_why[160];                       /* a refusal that names types */
	uint8_t *er_first;                      /* the first message's payloads */
	size_t er_first_len;
	uint8_t er_first_type;
	struct ike_chain er_chain;              /* parsed over er_first */
};

/* The SK content a chain was parsed from, from its first known payload
 * to its end: kept, so that the last round answers the first's SA, TS
 * and CP (§2.16: they come in the first IKE_AUTH request). */
static int keep_first(struct ike_eap_round *er, const struct ike_chain *c)
{
	const struct ike_payload *a = &c->c_pl[0], *z = &c->c_pl[c->c_n - 1];
	const uint8_t *start = a->pl_body - IKE_GEN_HDR_LEN;
	size_t len = (size_t)(z->pl_body + z->pl_len - start);

	er->er_first = malloc(len);
	if (!er->er_first)
		return -ENOMEM;
	memcpy(er->er_first, start, len);
	er->er_first_len = len;
	er->er_first_type = a->pl_type;
	return ike_chain_parse(er->er_first_type, er->er_first, len, &er->er_chain);
}

void ike_eap_free(struct ike_eap_round *er)
{
	if (!er)
		return;
	ike_eap_tls_free(er->er_tls);
	if (er->er_first)
		OPENSSL_cleanse(er->er_first, er->er_first_len);
	free(er->er_first);
	OPENSSL_cleanse(er, sizeof(*er));
	free(er);
}

const struct ike_chain *ike_eap_first(const struct ike_eap_round *er)
{
	return &er->er_chain;
}

const char *ike_eap_user(const struct ike_eap_round *er)
{
	return er->er_user;
}

const uint8_t *ike_eap_msk(const struct ike_eap_round *er, size_t *len)
{
	*len = er->er_state == EAP_DONE ? er->er_msk_len : 0;
	return er->er_state == EAP_DONE ? er->er_msk : NULL;
}

bool ike_eap_done(const struct ike_eap_round *er)
{
	return er->er_state == EAP_DONE;
}

const char *ike_eap_method_name(enum ike_remote_auth a)
{
	return a == IKE_REMOTE_AUTH_EAP_TLS ? "EAP-TLS" :
	       a == IKE_REMOTE_AUTH_EAP_RADIUS ? "EAP-RADIUS" : "EAP-MSCHAPv2";
}

/* A method's name for a log line (IANA "Method Types"). */
static const char *type_name(uint8_t type)
{
	switch (type) {
	case 0: return "none";
	case EAP_TYPE_IDENTITY: return "Identity";
	case 4: return "EAP-MD5";
	case 6: return "EAP-GTC";
	case IKE_EAP_TYPE_TLS: return "EAP-TLS";
	case 18: return "EAP-SIM";
	case 21: return "EAP-TTLS";
	case 23: return "EAP-AKA";
	case 25: return "PEAP";
	case EAP_TYPE_MSCHAPV2: return "EAP-MSCHAPv2";
	case 50: return "EAP-AKA'";
	default: return "an unknown method";
	}
}

/* An EAP payload: Code, Identifier, Length (RFC 3748 §4), the rest. */
static void eap_begin(struct ike_writer *w, uint8_t code, uint8_t id, size_t *len_at)
{
	ike_w_pl_begin(w, IKE_PL_EAP, false);
	ike_w_u8(w, code);
	ike_w_u8(w, id);
	*len_at = w->w_len;
	ike_w_be16(w, 0);
}

static void eap_end(struct ike_writer *w, size_t len_at)
{
	ike_w_patch16(w, len_at, (uint16_t)(w->w_len - len_at + 2));
	ike_w_pl_end(w);
}

/* A Request or Response of a type with its Type-Data (RFC 3748 §4.1). */
static void eap_typed(struct ike_writer *w, uint8_t code, uint8_t id, uint8_t type,
		      const void *data, size_t len)
{
	size_t at;

	eap_begin(w, code, id, &at);
	ike_w_u8(w, type);
	ike_w_bytes(w, data, len);
	eap_end(w, at);
}

/* An MS-CHAPv2 message: Type, OpCode, MS-CHAPv2-ID (the Identifier),
 * MS-Length (the EAP Length less 5) and data (draft-kamath §2); the
 * peer's Success response is Type and OpCode only (§2.2). */
static void mschap_msg(struct ike_writer *w, uint8_t code, uint8_t id, uint8_t op,
		       const void *data, size_t len)
{
	size_t at;

	eap_begin(w, code, id, &at);
	ike_w_u8(w, EAP_TYPE_MSCHAPV2);
	ike_w_u8(w, op);
	if (code == EAP_REQUEST || op != MSCHAP_SUCCESS) {
		ike_w_u8(w, id);
		ike_w_be16(w, (uint16_t)(4 + len));
		ike_w_bytes(w, data, len);
	}
	eap_end(w, at);
}

static void mschap_challenge(struct ike_eap_round *er, struct ike_writer *w)
{
	uint8_t body[1 + IKE_MSCHAP_CHALLENGE_LEN + sizeof(EAP_HOST_NAME) - 1];

	body[0] = IKE_MSCHAP_CHALLENGE_LEN;
	memcpy(body + 1, er->er_challenge, IKE_MSCHAP_CHALLENGE_LEN);
	memcpy(body + 1 + IKE_MSCHAP_CHALLENGE_LEN, EAP_HOST_NAME, sizeof(EAP_HOST_NAME) - 1);
	mschap_msg(w, EAP_REQUEST, er->er_id, MSCHAP_CHALLENGE, body, sizeof(body));
	er->er_state = EAP_CHALLENGE_SENT;
}

static void eap_status(struct ike_writer *w, uint8_t code, uint8_t id)
{
	size_t at;

	eap_begin(w, code, id, &at);
	eap_end(w, at);
}

void ike_eap_failure(struct ike_eap_round *er, struct ike_writer *w)
{
	eap_status(w, EAP_FAILURE, er->er_id);
}

/* ---- the authenticator's first request: Identity, or the method's ---- */

/* An identity that can name an EAP user: a name without NUL bytes. */
static bool id_names_user(const struct ike_pl_id *id)
{
	return (id->id_type == IKE_ID_FQDN || id->id_type == IKE_ID_RFC822_ADDR ||
		id->id_type == IKE_ID_KEY_ID) && id->id_len > 0 && id->id_len <= IKE_EAP_USER_MAX &&
	       !memchr(id->id_data, '\0', id->id_len);
}

/* The IDi as text, for the log lines of EAP-TLS without EAP-Identity. */
static void id_text(const struct ike_pl_id *id, char *out, size_t cap)
{
	int af = id->id_type == IKE_ID_IPV4_ADDR ? AF_INET : AF_INET6;

	if (id_names_user(id))
		snprintf(out, cap, "%.*s", (int)id->id_len, (const char *)id->id_data);
	else if ((id->id_type == IKE_ID_IPV4_ADDR && id->id_len == 4) ||
		 (id->id_type == IKE_ID_IPV6_ADDR && id->id_len == 16))
		inet_ntop(af, id->id_data, out, (socklen_t)cap);
	else
		snprintf(out, cap, "the IDi of type %u", id->id_type);
}

/* The method's first request: the MSCHAPv2 Challenge, EAP-TLS/Start. */
static int method_begin(struct ike_sa *sa, struct ike_eap_round *er, struct ike_writer *w,
			const char **why)
{
	const struct ike_conn_cfg *c = sa->sa_conn;
	struct ike_eap_tls_cfg tc = { .cred = c->c_cred, .trust = c->c_trust,
				      .tls13 = c->c_eap_tls13 };
	uint8_t start[1];

	if (er->er_state == EAP_IDENTITY_SENT)
		er->er_id++;
	if (er->er_type == EAP_TYPE_MSCHAPV2) {
		*why = "EAP-MSCHAPv2 cannot run (no memory, or OpenSSL's legacy provider for MD4 and DES did not load)";
		if (ike_mschap_available() != 0 ||
		    ike_random(er->er_challenge, sizeof(er->er_challenge)) != 0)
			return -EIO;
		mschap_challenge(er, w);
		return 0;
	}
	er->er_tls = ike_eap_tls_new(&tc, why);
	if (!er->er_tls)
		return -EIO;
	eap_typed(w, EAP_REQUEST, er->er_id, IKE_EAP_TYPE_TLS, start,
		  ike_eap_tls_start(er->er_tls, start, sizeof(start)));
	er->er_state = EAP_TLS_RUNNING;
	return 0;
}

/* RFC 3748 §5.1: ask for the identity when the connection says so, when
 * the IDi is an address (charon's default without an id), or when
 * MSCHAPv2 has no user name from the IDi. */
static bool wants_identity(const struct ike_conn_cfg *c, const struct ike_pl_id *idi,
			   uint8_t type)
{
	return c->c_eap_identity || c->c_remote_auth == IKE_REMOTE_AUTH_EAP_RADIUS ||
	       idi->id_type == IKE_ID_IPV4_ADDR ||
	       idi->id_type == IKE_ID_IPV6_ADDR ||
	       (type == EAP_TYPE_MSCHAPV2 && !id_names_user(idi));
}

struct ike_eap_round *ike_eap_start(struct ike_sa *sa, const struct ike_chain *first,
				    const struct ike_pl_id *idi, struct ike_writer *w,
				    const char **why)
{
	const struct ike_conn_cfg *c = sa->sa_conn;
	struct ike_eap_round *er;

	*why = "no memory for the EAP conversation";
	if (first->c_n == 0)
		return NULL;
	er = calloc(1, sizeof(*er));
	if (!er)
		return NULL;
	er->er_type = c->c_remote_auth == IKE_REMOTE_AUTH_EAP_TLS ? IKE_EAP_TYPE_TLS :
								     EAP_TYPE_MSCHAPV2;
	er->er_relay = c->c_remote_auth == IKE_REMOTE_AUTH_EAP_RADIUS;
	id_text(idi, er->er_user, sizeof(er->er_user));
	if (keep_first(er, first) != 0 || ike_random(&er->er_id, 1) != 0)
		goto fail;
	if (wants_identity(c, idi, er->er_type)) {
		eap_typed(w, EAP_REQUEST, er->er_id, EAP_TYPE_IDENTITY, NULL, 0);
		er->er_state = EAP_IDENTITY_SENT;
		return er;
	}
	if (method_begin(sa, er, w, why) == 0)
		return er;
fail:
	ike_eap_free(er);
	return NULL;
}

/* ---- the authenticator's rounds ---- */

/* The peer's EAP-Response to our last request: its Type and Type-Data. */
static int read_response(const struct ike_eap_round *er, const struct ike_chain *c,
			 uint8_t *type, struct cursor *data)
{
	const struct ike_payload *pl = ike_chain_find(c, IKE_PL_EAP, 0);
	struct cursor cur;
	uint8_t code, id;
	uint16_t len;

	if (!pl)
		return -EINVAL;
	cur = cursor_make(pl->pl_body, pl->pl_len);
	if (!cursor_u8(&cur, &code) || !cursor_u8(&cur, &id) || !cursor_be16(&cur, &len) ||
	    len < 5 || len - 4u > cur.left || !cursor_sub(&cur, len - 4u, data) ||
	    code != EAP_RESPONSE || id != er->er_id || !cursor_u8(data, type))
		return -EINVAL;
	return 0;
}

/* RFC 3748 §5.1: the user name, 1 to IKE_EAP_USER_MAX bytes, no NUL. */
static enum ike_eap_step take_identity(struct ike_sa *sa, struct ike_eap_round *er,
				       const struct cursor *d, struct ike_writer *w,
				       const char **why)
{
	*why = "an EAP-Response/Identity empty, over 64 bytes or with a NUL";
	if (d->left == 0 || d->left > IKE_EAP_USER_MAX || memchr(d->p, '\0', d->left))
		return IKE_EAP_FAIL;
	memcpy(er->er_user, d->p, d->left);
	er->er_user[d->left] = '\0';
	er->er_named = true;
	return method_begin(sa, er, w, why) == 0 ? IKE_EAP_MORE : IKE_EAP_FAIL;
}

/* RFC 3748 §5.3.1: a Nak names the methods the peer would take; the
 * connection offers one, which the peer has just refused. */
static enum ike_eap_step refuse_nak(struct ike_eap_round *er, const struct cursor *d,
				    const char **why)
{
	char asked[96] = "";
	size_t at = 0;

	for (size_t i = 0; i < d->left && at < sizeof(asked) - 24; i++)
		at += (size_t)snprintf(asked + at, sizeof(asked) - at, "%s%s (%u)", i ? ", " : "",
				       type_name(d->p[i]), d->p[i]);
	snprintf(er->er_why, sizeof(er->er_why),
		 "an EAP-Nak asking for %s, where the connection offers %s (%u),",
		 at ? asked : "nothing", type_name(er->er_type), er->er_type);
	*why = er->er_why;
	return IKE_EAP_FAIL;
}

static enum ike_eap_step refuse_type(struct ike_eap_round *er, uint8_t type, const char **why)
{
	snprintf(er->er_why, sizeof(er->er_why),
		 "an answer with %s (%u), where the connection offers %s (%u),",
		 type_name(type), type, type_name(er->er_type), er->er_type);
	*why = er->er_why;
	return IKE_EAP_FAIL;
}

/* The MSCHAPv2 opcode, and what follows MS-Length (or the opcode, for
 * the peer's Success response, draft-kamath §2.2). */
static int mschap_read(const struct ike_eap_round *er, struct cursor *d, uint8_t *op)
{
	uint8_t ms_id;
	uint16_t ms_len;

	if (!cursor_u8(d, op))
		return -EINVAL;
	if (*op == MSCHAP_SUCCESS)
		return 0;
	if (!cursor_u8(d, &ms_id) || !cursor_be16(d, &ms_len) || ms_id != er->er_id)
		return -EINVAL;
	return 0;
}

/* RFC 2759 §4's Response: peer challenge, 8 zero octets, NT-Response,
 * flags (0), then the name the ChallengeHash takes. */
struct mschap_response {
	uint8_t peer_challenge[IKE_MSCHAP_CHALLENGE_LEN];
	uint8_t nt_response[IKE_MSCHAP_NT_RESPONSE_LEN];
	const char *name;
	size_t name_len;
};

static int parse_mschap_response(struct cursor *d, struct mschap_response *r)
{
	uint8_t value_size, reserved[8], flags;

	if (!cursor_u8(d, &value_size) || value_size != MSCHAP_RESPONSE_VALUE ||
	    !cursor_bytes(d, r->peer_challenge, sizeof(r->peer_challenge)) ||
	    !cursor_bytes(d, reserved, sizeof(reserved)) ||
	    !cursor_bytes(d, r->nt_response, sizeof(r->nt_response)) || !cursor_u8(d, &flags) ||
	    d->left == 0 || d->left > 256)
		return -EINVAL;
	r->name = (const char *)d->p;
	r->name_len = d->left;
	return 0;
}

/* The password of the round's user; NULL: no such user. */
static const struct ike_eap_user *find_user(const struct ike_engine *e, const char *name)
{
	for (unsigned i = 0; i < e->e_n_eap_users; i++)
		if (strcmp(e->e_eap_users[i].eu_name, name) == 0)
			return &e->e_eap_users[i];
	return NULL;
}

static enum ike_eap_step check_response(struct ike_sa *sa, struct ike_eap_round *er,
					struct cursor *d, struct ike_writer *w, const char **why)
{
	const struct ike_eap_user *u = find_user(sa->sa_engine, er->er_user);
	struct mschap_response r;
	struct ike_mschap_check chk;
	char msg[IKE_MSCHAP_AUTH_RESPONSE_LEN + sizeof(EAP_WELCOME)];
	int rc;

	if (parse_mschap_response(d, &r) != 0) {
		*why = "a malformed MSCHAPv2 Response";
		return IKE_EAP_FAIL;
	}
	if (!u) {
		*why = "no password in the secrets file";
		return IKE_EAP_FAIL;
	}
	chk = (struct ike_mschap_check){
		.password = u->eu_password, .password_len = u->eu_password_len,
		.user = r.name, .user_len = r.name_len,
		.auth_challenge = er->er_challenge, .peer_challenge = r.peer_challenge,
		.nt_response = r.nt_response,
	};
	rc = ike_mschap_verify(&chk, er->er_auth_response, er->er_msk);
	if (rc != 0) {
		*why = rc == -EACCES ? "wrong password" : "the password could not be checked";
		return IKE_EAP_FAIL;
	}
	memcpy(msg, er->er_auth_response, IKE_MSCHAP_AUTH_RESPONSE_LEN);
	memcpy(msg + IKE_MSCHAP_AUTH_RESPONSE_LEN, EAP_WELCOME, sizeof(EAP_WELCOME) - 1);
	er->er_id++;
	mschap_msg(w, EAP_REQUEST, er->er_id, MSCHAP_SUCCESS, msg,
		       IKE_MSCHAP_AUTH_RESPONSE_LEN + sizeof(EAP_WELCOME) - 1);
	er->er_state = EAP_SUCCESS_SENT;
	return IKE_EAP_MORE;
}

static enum ike_eap_step mschap_next(struct ike_sa *sa, struct ike_eap_round *er,
				     struct cursor *d, struct ike_writer *w, const char **why)
{
	uint8_t op;

	if (mschap_read(er, d, &op) != 0)
		return IKE_EAP_FAIL;
	if (er->er_state == EAP_CHALLENGE_SENT && op == MSCHAP_RESPONSE)
		return check_response(sa, er, d, w, why);
	if (er->er_state == EAP_SUCCESS_SENT && op == MSCHAP_SUCCESS) {
		/* RFC 3748 §4.2: EAP-Success carries our last Identifier */
		eap_status(w, EAP_SUCCESS, er->er_id);
		er->er_state = EAP_DONE;
		er->er_msk_len = IKE_MSCHAP_MSK_LEN;
		return IKE_EAP_MORE;
	}
	return IKE_EAP_FAIL;
}

/* RFC 5216 §5.2: the client is who its certificate says: the EAP
 * identity (when asked for) one of its subjectAltNames, and the IDi
 * naming it too unless it is the address EAP-Identity stood in for. */
static enum ike_eap_step tls_identity(struct ike_eap_round *er, const char **why)
{
	const struct ike_payload *pi = ike_chain_find(&er->er_chain, IKE_PL_IDI, 0);
	char subject[96];
	struct ike_pl_id idi;
	bool by_address;

	if (!pi || ike_pl_id_decode(pi, &idi) != 0)
		return IKE_EAP_FAIL;
	by_address = idi.id_type == IKE_ID_IPV4_ADDR || idi.id_type == IKE_ID_IPV6_ADDR;
	ike_eap_tls_peer_subject(er->er_tls, subject, sizeof(subject));
	if (er->er_named && ike_eap_tls_peer_name(er->er_tls, er->er_user) != 0) {
		snprintf(er->er_why, sizeof(er->er_why),
			 "the EAP identity is no subjectAltName of the client certificate \"%s\"", subject);
		*why = er->er_why;
		return IKE_EAP_FAIL;
	}
	if (!(er->er_named && by_address) &&
	    ike_eap_tls_peer_id(er->er_tls, idi.id_type, idi.id_data, idi.id_len) != 0) {
		snprintf(er->er_why, sizeof(er->er_why),
			 "the IDi does not name the client certificate \"%s\"", subject);
		*why = er->er_why;
		return IKE_EAP_FAIL;
	}
	return IKE_EAP_MORE;
}

static enum ike_eap_step tls_next(struct ike_sa *sa, struct ike_eap_round *er,
				  const struct cursor *d, struct ike_writer *w, const char **why)
{
	uint8_t out[IKE_EAP_TLS_OUT_MAX];
	size_t n;

	switch (ike_eap_tls_input(er->er_tls, d->p, d->left, out, sizeof(out), &n, why)) {
	case IKE_EAP_TLS_SEND:
		er->er_id++;
		eap_typed(w, EAP_REQUEST, er->er_id, IKE_EAP_TYPE_TLS, out, n);
		return IKE_EAP_MORE;
	case IKE_EAP_TLS_DONE:
		if (tls_identity(er, why) != IKE_EAP_MORE || ike_eap_tls_msk(er->er_tls, er->er_msk) != 0)
			return IKE_EAP_FAIL;
		ike_log(sa->sa_engine, "IKE SA %u: EAP-TLS (%s) with %s", sa->sa_id,
			ike_eap_tls_version(er->er_tls), er->er_user);
		eap_status(w, EAP_SUCCESS, er->er_id);
		er->er_state = EAP_DONE;
		er->er_msk_len = IKE_EAP_TLS_MSK_LEN;
		return IKE_EAP_MORE;
	case IKE_EAP_TLS_TOO_LARGE:
		sa->sa_engine->e_stats.st_eap_tls_too_large++;
		return IKE_EAP_FAIL;
	default:
		return IKE_EAP_FAIL;
	}
}

/* ---- EAP-RADIUS: the server runs the method (RFC 3579 §2.6) ---- */

/* The Identity's answer names the user (User-Name); it and every later
 * EAP-Response go to the server whole. */
static enum ike_eap_step relay_next(struct ike_eap_round *er, const struct ike_chain *c,
				    uint8_t type, const struct cursor *d, const char **why)
{
	const struct ike_payload *pl = ike_chain_find(c, IKE_PL_EAP, 0);

	if (er->er_state == EAP_IDENTITY_SENT) {
		*why = "an EAP-Response/Identity empty, over 64 bytes or with a NUL";
		if (type != EAP_TYPE_IDENTITY || d->left == 0 || d->left > IKE_EAP_USER_MAX ||
		    memchr(d->p, '\0', d->left))
			return IKE_EAP_FAIL;
		memcpy(er->er_user, d->p, d->left);
		er->er_user[d->left] = '\0';
		er->er_named = true;
		er->er_state = EAP_RELAYING; /* the server's method, whichever */
	}
	/* read_response checked the Length against the payload */
	er->er_relayed = pl->pl_body;
	er->er_relayed_len = (size_t)pl->pl_body[2] << 8 | pl->pl_body[3];
	return IKE_EAP_RELAY;
}

const uint8_t *ike_eap_relayed(const struct ike_eap_round *er, size_t *len)
{
	*len = er->er_relayed_len;
	return er->er_relayed;
}

/* An EAP packet whose Length is the attributes' whole (RFC 3748 §4). */
static bool eap_whole(const uint8_t *m, size_t len, uint8_t code)
{
	return len >= 4 && len <= IKE_EAP_MSG_MAX && m[0] == code &&
	       ((size_t)m[2] << 8 | m[3]) == len && (code != EAP_REQUEST || len >= 5);
}

static void eap_raw(struct ike_writer *w, const uint8_t *m, size_t len)
{
	ike_w_pl_begin(w, IKE_PL_EAP, false);
	ike_w_bytes(w, m, len);
	ike_w_pl_end(w);
}

int ike_eap_relay_answer(struct ike_eap_round *er, const struct ike_radius_answer *ra,
			 struct ike_writer *w)
{
	bool accept = ra->ra_verdict == IKE_RADIUS_ACCEPT;

	if (!eap_whole(ra->ra_eap, ra->ra_eap_len, accept ? EAP_SUCCESS : EAP_REQUEST))
		return -EINVAL;
	/* RFC 7296 §2.16: an MSK-generating method, or no AUTH can be made */
	if (accept && (ra->ra_msk_len < 32 || ra->ra_msk_len > sizeof(er->er_msk)))
		return -EINVAL;
	er->er_id = ra->ra_eap[1];
	if (accept) {
		memcpy(er->er_msk, ra->ra_msk, ra->ra_msk_len);
		er->er_msk_len = ra->ra_msk_len;
		er->er_state = EAP_DONE;
	}
	eap_raw(w, ra->ra_eap, ra->ra_eap_len);
	return 0;
}

enum ike_eap_step ike_eap_next(struct ike_sa *sa, struct ike_eap_round *er,
			       const struct ike_chain *c, struct ike_writer *w, const char **why)
{
	struct cursor d;
	uint8_t type;

	*why = "a malformed or unexpected EAP message";
	if (read_response(er, c, &type, &d) != 0 || er->er_state == EAP_DONE)
		return IKE_EAP_FAIL;
	if (er->er_relay)
		return relay_next(er, c, type, &d, why);
	if (er->er_state == EAP_IDENTITY_SENT)
		return type == EAP_TYPE_IDENTITY ? take_identity(sa, er, &d, w, why) : IKE_EAP_FAIL;
	if (type == EAP_TYPE_NAK)
		return refuse_nak(er, &d, why);
	if (type != er->er_type)
		return refuse_type(er, type, why);
	if (er->er_type == IKE_EAP_TYPE_TLS)
		return tls_next(sa, er, &d, w, why);
	return mschap_next(sa, er, &d, w, why);
}

/* ---- the peer's side (an initiator that authenticates with EAP) ---- */

struct ike_eap_round *ike_eap_peer_begin(const struct ike_chain *first, const char *user,
					 size_t len)
{
	struct ike_eap_round *er;

	if (first->c_n == 0 || len == 0 || len > IKE_EAP_USER_MAX || ike_mschap_available() != 0)
		return NULL;
	er = calloc(1, sizeof(*er));
	if (!er)
		return NULL;
	memcpy(er->er_user, user, len);
	er->er_state = EAP_EXPECT_CHALLENGE;
	if (keep_first(er, first) != 0) {
		ike_eap_free(er);
		return NULL;
	}
	return er;
}

/* The authenticator's EAP message: its code, and for a Request of
 * MSCHAPv2 the opcode and what follows MS-Length. */
static int read_request(struct ike_eap_round *er, const struct ike_chain *c, uint8_t *code,
			uint8_t *type, uint8_t *op, struct cursor *data)
{
	const struct ike_payload *pl = ike_chain_find(c, IKE_PL_EAP, 0);
	struct cursor cur, msg;
	uint8_t id, ms_id;
	uint16_t len, ms_len;

	if (!pl)
		return -EINVAL;
	cur = cursor_make(pl->pl_body, pl->pl_len);
	if (!cursor_u8(&cur, code) || !cursor_u8(&cur, &id) || !cursor_be16(&cur, &len) ||
	    len < 4 || len - 4u > cur.left || !cursor_sub(&cur, len - 4u, &msg))
		return -EINVAL;
	if (*code != EAP_REQUEST)
		return 0;
	if (!cursor_u8(&msg, type))
		return -EINVAL;
	er->er_id = id;
	if (*type != EAP_TYPE_MSCHAPV2)
		return 0; /* Identity, or a method to Nak */
	if (!cursor_u8(&msg, op) || !cursor_u8(&msg, &ms_id) || !cursor_be16(&msg, &ms_len))
		return -EINVAL;
	*data = msg;
	return 0;
}

/* Before the Challenge: our name for an Identity request (RFC 3748
 * §5.1), a Nak proposing MSCHAPv2 for any other method (§5.3.1). */
static enum ike_eap_step peer_other_request(struct ike_eap_round *er, uint8_t type,
					    struct ike_writer *w, const char **why)
{
	static const uint8_t ours = EAP_TYPE_MSCHAPV2;

	*why = "an EAP request of another method after the Challenge";
	if (er->er_state != EAP_EXPECT_CHALLENGE)
		return IKE_EAP_FAIL;
	if (type == EAP_TYPE_IDENTITY)
		eap_typed(w, EAP_RESPONSE, er->er_id, EAP_TYPE_IDENTITY, er->er_user,
			  strlen(er->er_user));
	else
		eap_typed(w, EAP_RESPONSE, er->er_id, EAP_TYPE_NAK, &ours, 1);
	return IKE_EAP_MORE;
}

/* RFC 2759 §4: our Response to the Challenge; the authenticator
 * response we expect back and the MSK kept. */
static int answer_challenge(struct ike_eap_round *er, struct cursor *d, const char *pw,
			    size_t pw_len, struct ike_writer *w)
{
	uint8_t value_size, challenge[IKE_MSCHAP_CHALLENGE_LEN], pw_hash[IKE_MSCHAP_HASH_LEN];
	uint8_t ch[IKE_MSCHAP_CHAL_HASH_LEN], body[1 + MSCHAP_RESPONSE_VALUE + IKE_EAP_USER_MAX];
	uint8_t *peer = body + 1, *nt = body + 1 + IKE_MSCHAP_CHALLENGE_LEN + 8;
	size_t ulen = strlen(er->er_user);
	int rc = -EINVAL;

	memset(body, 0, sizeof(body));
	body[0] = MSCHAP_RESPONSE_VALUE;
	if (!cursor_u8(d, &value_size) || value_size != IKE_MSCHAP_CHALLENGE_LEN ||
	    !cursor_bytes(d, challenge, sizeof(challenge)))
		goto out;
	rc = ike_random(peer, IKE_MSCHAP_CHALLENGE_LEN);
	if (rc == 0)
		rc = ike_mschap_nt_hash(pw, pw_len, pw_hash);
	if (rc == 0)
		rc = ike_mschap_challenge_hash(peer, challenge, er->er_user, ulen, ch);
	if (rc == 0)
		rc = ike_mschap_nt_response(ch, pw_hash, nt);
	if (rc == 0)
		rc = ike_mschap_auth_response(pw_hash, nt, ch, er->er_auth_response);
	if (rc == 0)
		rc = ike_mschap_msk(pw_hash, nt, er->er_msk);
	if (rc == 0) {
		memcpy(body + 1 + MSCHAP_RESPONSE_VALUE, er->er_user, ulen);
		mschap_msg(w, EAP_RESPONSE, er->er_id, MSCHAP_RESPONSE, body,
			   1 + MSCHAP_RESPONSE_VALUE + ulen);
		er->er_state = EAP_EXPECT_SUCCESS_REQ;
	}
out:
	OPENSSL_cleanse(pw_hash, sizeof(pw_hash));
	OPENSSL_cleanse(ch, sizeof(ch));
	return rc;
}

/* The Success request's "S=<40 hex>" must be the one we expect,
 * compared in constant time (RFC 2759 §5 authenticates the server). */
static bool success_matches(const struct ike_eap_round *er, const struct cursor *d)
{
	return d->left >= IKE_MSCHAP_AUTH_RESPONSE_LEN &&
	       (d->left == IKE_MSCHAP_AUTH_RESPONSE_LEN || d->p[IKE_MSCHAP_AUTH_RESPONSE_LEN] == ' ') &&
	       CRYPTO_memcmp(d->p, er->er_auth_response, IKE_MSCHAP_AUTH_RESPONSE_LEN) == 0;
}

enum ike_eap_step ike_eap_peer_next(struct ike_eap_round *er, const struct ike_chain *c,
				    const char *pw, size_t pw_len, struct ike_writer *w,
				    const char **why)
{
	struct cursor d;
	uint8_t code, type = 0, op = 0;

	*why = "a malformed or unexpected EAP message";
	if (read_request(er, c, &code, &type, &op, &d) != 0)
		return IKE_EAP_FAIL;
	if (code == EAP_FAILURE) {
		*why = "EAP-Failure";
		return IKE_EAP_FAIL;
	}
	if (code == EAP_REQUEST && type != EAP_TYPE_MSCHAPV2)
		return peer_other_request(er, type, w, why);
	if (er->er_state == EAP_EXPECT_CHALLENGE && code == EAP_REQUEST && op == MSCHAP_CHALLENGE) {
		if (answer_challenge(er, &d, pw, pw_len, w) == 0)
			return IKE_EAP_MORE;
		*why = "a Challenge that could not be answered";
		return IKE_EAP_FAIL;
	}
	if (er->er_state == EAP_EXPECT_SUCCESS_REQ && code == EAP_REQUEST && op == MSCHAP_SUCCESS) {
		if (!success_matches(er, &d)) {
			*why = "the authenticator response does not verify";
			return IKE_EAP_FAIL;
		}
		mschap_msg(w, EAP_RESPONSE, er->er_id, MSCHAP_SUCCESS, NULL, 0);
		er->er_state = EAP_EXPECT_SUCCESS;
		return IKE_EAP_MORE;
	}
	if (er->er_state == EAP_EXPECT_SUCCESS && code == EAP_SUCCESS) {
		er->er_state = EAP_DONE;
		er->er_msk_len = IKE_MSCHAP_MSK_LEN;
		return IKE_EAP_MORE;
	}
	return IKE_EAP_FAIL;
}
