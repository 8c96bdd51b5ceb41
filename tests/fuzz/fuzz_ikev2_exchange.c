/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the decrypted payload handlers of an IKEv2
 * responder. A real initiator engine and a responder (ike_pair.h,
 * x25519, the cheapest group) run IKE_SA_INIT; then, where the
 * initiator's next request would go, the input's bytes become the
 * inner payload chain of a request that the harness protects with the
 * initiator SA's own keys through lib/ike's ike_encrypt_msg, so the
 * responder verifies, decrypts and hands it to its exchange code.
 *
 * An input: a control byte, whose low 7 bits mod 3 pick the exchange:
 *   0  IKE_AUTH in place of the initiator's (message ID 1); with bit 7
 *      clear, a PSK AUTH payload in the input is given the AUTH data
 *      the initiator's keys make over the input's own IDi (RFC 7296
 *      §2.15), so that what follows authentication (SAi2, TSi, TSr, the
 *      notifies, the first Child SA) is reached; with bit 7 set the
 *      input's bytes stand, as a forger's would;
 *   1  CREATE_CHILD_SA after a real IKE_AUTH (message ID 2);
 *   2  INFORMATIONAL after a real IKE_AUTH;
 * then the type of the first inner payload (the SK payload's Next
 * Payload), then the inner payloads. The responder's answer is carried
 * back to the initiator. exchange_seeds.c writes the seeds: the real
 * requests' plaintexts.
 *
 * The engines are made once (their tables cost more than the
 * exchange); each input starts a new IKE SA on them and its SAs are
 * killed after it (pair_again, pair_end), so the prefix costs two
 * x25519 key pairs and two shared secrets.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike_crypto.h"
#include "ike_pair.h"
#include "ikev2_msg.h"

#define V2_STEPS 16 /* datagrams carried after the fuzzed one, at most */

static const uint8_t v2_exchange[] = { IKE_EXCH_AUTH, IKE_EXCH_CREATE_CHILD_SA,
				       IKE_EXCH_INFORMATIONAL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Puts into the input's PSK AUTH payload (Auth Method, 3 reserved
 * bytes, AUTH Data of the PRF's length) the AUTH that the initiator SA
 * computes over the input's IDi payload; other inputs stay as they are. */
static void sign_auth(const struct ike_sa *sa, uint8_t first, uint8_t *plain, size_t len)
{
	static struct ike_chain ch;
	static uint8_t octets[IKE_AUTH_OCTETS_MAX];
	uint16_t prf = sa->sa_suite.prf;
	const struct ike_payload *id, *auth;
	size_t olen;

	if (ike_chain_parse(first, plain, len, &ch) != 0)
		return;
	id = ike_chain_find(&ch, IKE_PL_IDI, 0);
	auth = ike_chain_find(&ch, IKE_PL_AUTH, 0);
	if (!id || !auth || auth->pl_len != 4 + ike_prf_len(prf) ||
	    auth->pl_body[0] != IKE_AUTH_METHOD_PSK ||
	    ike_auth_octets(prf, sa->sa_v2.v2_keys.sk_pi, sa->sa_v2.v2_init_mine,
			    sa->sa_v2.v2_init_mine_len, sa->sa_nr, sa->sa_nr_len, id->pl_body,
			    id->pl_len, octets, sizeof(octets), &olen) != 0)
		return;
	ike_auth_psk(prf, sa->sa_conn->c_psk, sa->sa_conn->c_psk_len, octets, olen,
		     plain + auth->pl_off + 8);
}

/* The initiator's request of exchange with the inner chain given, to
 * the responder; IKE_AUTH's AUTH signed unless keep_auth. */
static void send_fuzzed(struct ike_pair *p, uint8_t exchange, bool keep_auth, uint8_t first,
			const uint8_t *input, size_t len)
{
	static uint8_t msg[IKE_MSG_MAX], plain[IKE_MSG_MAX];
	struct ike_sa *sa = pair_sa(p, 0);
	size_t n;

	if (!sa || !sa->sa_v2.v2_keyed)
		return;
	memcpy(plain, input, len);
	if (exchange == IKE_EXCH_AUTH && !keep_auth)
		sign_auth(sa, first, plain, len);
	if (ike_encrypt_msg(sa, exchange, false, sa->sa_v2.v2_msgid_out, first, plain, len,
			    msg, sizeof(msg), &n) != 0)
		return;
	pair_to_responder(p, msg, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ike_pair p;
	struct pair_dgram *real = &(struct pair_dgram){ 0 };
	unsigned mode;

	if (size < 2 || size > IKE_MSG_MAX / 2)
		return 0;
	mode = (data[0] & 0x7f) % sizeof(v2_exchange);
	if (!(p.p_e[0] ? pair_again(&p)
			: pair_start(&p, IKE_VERSION_2, false, "aes128-sha256-x25519", "aes128gcm16")))
		abort();
	pair_step(&p); /* IKE_SA_INIT request */
	pair_step(&p); /* and response: the initiator sends IKE_AUTH */
	if (mode == 0)
		pair_take(&p, real); /* dropped: ours goes instead */
	else
		pair_settle(&p, V2_STEPS);
	send_fuzzed(&p, v2_exchange[mode], data[0] & 0x80, data[1], data + 2, size - 2);
	pair_settle(&p, V2_STEPS);
	pair_end(&p);
	return 0;
}
