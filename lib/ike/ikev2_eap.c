/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAP-MSCHAPv2 as the authenticator, inside IKE_AUTH (RFC 7296 §2.16):
 * EAP framing (RFC 3748 §4), MS-CHAPv2 in EAP (draft-kamath-pppext-
 * eap-mschapv2-02 §2) and the rounds:
 *   <-- EAP-Request/MSCHAPv2 Challenge
 *   --> EAP-Response/MSCHAPv2 Response      (checked, ike_mschapv2.c)
 *   <-- EAP-Request/MSCHAPv2 Success "S=<authenticator response> M=..."
 *   --> EAP-Response/MSCHAPv2 Success
 *   <-- EAP-Success                         (the MSK is ready)
 * A wrong password ends in EAP-Failure. Every byte read goes through
 * the cursor; the round (challenge, MSK, the first request kept for
 * the final AUTH) is wiped when freed.
 */
#include "ike_sa.h"
#include "cursor.h"
#include "ike_mschapv2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* RFC 3748 §4 codes, §5 types; draft-kamath §2 opcodes. */
enum { EAP_REQUEST = 1, EAP_RESPONSE = 2, EAP_SUCCESS = 3, EAP_FAILURE = 4 };
#define EAP_TYPE_MSCHAPV2 26
enum { MSCHAP_CHALLENGE = 1, MSCHAP_RESPONSE = 2, MSCHAP_SUCCESS = 3 };
#define MSCHAP_RESPONSE_VALUE 49 /* peer challenge, 8 reserved, NT-Response, flags */
#define EAP_HOST_NAME "espgate"
#define EAP_WELCOME " M=welcome" /* strongSwan takes the message up to a space */

/* The authenticator's states, then the peer's (initiator, tests and
 * tools: EAP_EXPECT_*), EAP_DONE for both once the MSK is there. */
enum eap_state { EAP_CHALLENGE_SENT = 1, EAP_SUCCESS_SENT, EAP_EXPECT_CHALLENGE,
		 EAP_EXPECT_SUCCESS_REQ, EAP_EXPECT_SUCCESS, EAP_DONE };

struct ike_eap_round {
	enum eap_state er_state;
	uint8_t er_id;                          /* Identifier of our last request */
	uint8_t er_challenge[IKE_MSCHAP_CHALLENGE_LEN];
	uint8_t er_msk[IKE_MSCHAP_MSK_LEN];
	char er_auth_response[IKE_MSCHAP_AUTH_RESPONSE_LEN + 1];
	char er_user[IKE_EAP_USER_MAX + 1];
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
	if (er->er_first)
		OPENSSL_cleanse(er->er_first, er->er_first_len);
	free(er->er_first);
	OPENSSL_cleanse(er, sizeof(*er));
	free(er);
}

struct ike_eap_round *ike_eap_begin(const struct ike_chain *first, const char *user, size_t len)
{
	struct ike_eap_round *er;

	if (first->c_n == 0 || len == 0 || len > IKE_EAP_USER_MAX ||
	    ike_mschap_available() != 0)
		return NULL;
	er = calloc(1, sizeof(*er));
	if (!er)
		return NULL;
	memcpy(er->er_user, user, len);
	if (keep_first(er, first) != 0 || ike_random(er->er_challenge, sizeof(er->er_challenge)) != 0 ||
	    ike_random(&er->er_id, 1) != 0) {
		ike_eap_free(er);
		return NULL;
	}
	return er;
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
	*len = er->er_state == EAP_DONE ? sizeof(er->er_msk) : 0;
	return er->er_state == EAP_DONE ? er->er_msk : NULL;
}

bool ike_eap_done(const struct ike_eap_round *er)
{
	return er->er_state == EAP_DONE;
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

void ike_eap_challenge(struct ike_eap_round *er, struct ike_writer *w)
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

/* The peer's EAP-Response/MSCHAPv2 to our last request: its opcode and
 * what follows MS-Length (or the opcode, for a Success response). */
static int read_response(const struct ike_eap_round *er, const struct ike_chain *c,
			 uint8_t *op, struct cursor *data)
{
	const struct ike_payload *pl = ike_chain_find(c, IKE_PL_EAP, 0);
	struct cursor cur, msg;
	uint8_t code, id, type, ms_id;
	uint16_t len, ms_len;

	if (!pl)
		return -EINVAL;
	cur = cursor_make(pl->pl_body, pl->pl_len);
	if (!cursor_u8(&cur, &code) || !cursor_u8(&cur, &id) || !cursor_be16(&cur, &len) ||
	    len < 4 || len - 4u > cur.left || !cursor_sub(&cur, len - 4u, &msg) ||
	    code != EAP_RESPONSE || id != er->er_id || !cursor_u8(&msg, &type) ||
	    type != EAP_TYPE_MSCHAPV2 || !cursor_u8(&msg, op))
		return -EINVAL;
	if (*op == MSCHAP_SUCCESS) {
		*data = msg;
		return 0;
	}
	if (!cursor_u8(&msg, &ms_id) || !cursor_be16(&msg, &ms_len) || ms_id != er->er_id)
		return -EINVAL;
	*data = msg;
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

enum ike_eap_step ike_eap_next(struct ike_sa *sa, struct ike_eap_round *er,
			       const struct ike_chain *c, struct ike_writer *w, const char **why)
{
	struct cursor d;
	uint8_t op;

	*why = "a malformed or unexpected EAP message";
	if (read_response(er, c, &op, &d) != 0)
		return IKE_EAP_FAIL;
	if (er->er_state == EAP_CHALLENGE_SENT && op == MSCHAP_RESPONSE)
		return check_response(sa, er, &d, w, why);
	if (er->er_state == EAP_SUCCESS_SENT && op == MSCHAP_SUCCESS) {
		/* RFC 3748 §4.2: EAP-Success carries our last Identifier */
		eap_status(w, EAP_SUCCESS, er->er_id);
		er->er_state = EAP_DONE;
		return IKE_EAP_MORE;
	}
	return IKE_EAP_FAIL;
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
			uint8_t *op, struct cursor *data)
{
	const struct ike_payload *pl = ike_chain_find(c, IKE_PL_EAP, 0);
	struct cursor cur, msg;
	uint8_t id, type, ms_id;
	uint16_t len, ms_len;

	if (!pl)
		return -EINVAL;
	cur = cursor_make(pl->pl_body, pl->pl_len);
	if (!cursor_u8(&cur, code) || !cursor_u8(&cur, &id) || !cursor_be16(&cur, &len) ||
	    len < 4 || len - 4u > cur.left || !cursor_sub(&cur, len - 4u, &msg))
		return -EINVAL;
	if (*code != EAP_REQUEST)
		return 0;
	if (!cursor_u8(&msg, &type) || type != EAP_TYPE_MSCHAPV2 || !cursor_u8(&msg, op) ||
	    !cursor_u8(&msg, &ms_id) || !cursor_be16(&msg, &ms_len))
		return -EINVAL;
	er->er_id = id;
	*data = msg;
	return 0;
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
	uint8_t code, op = 0;

	*why = "a malformed or unexpected EAP message";
	if (read_request(er, c, &code, &op, &d) != 0)
		return IKE_EAP_FAIL;
	if (code == EAP_FAILURE) {
		*why = "EAP-Failure";
		return IKE_EAP_FAIL;
	}
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
		return IKE_EAP_MORE;
	}
	return IKE_EAP_FAIL;
}
