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
 * An input: a control byte, whose value mod 3 picks the exchange:
 *   0  IKE_AUTH in place of the initiator's (message ID 1);
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

#include "ike_pair.h"
#include "ikev2_msg.h"

#define V2_STEPS 16 /* datagrams carried after the fuzzed one, at most */

static const uint8_t v2_exchange[] = { IKE_EXCH_AUTH, IKE_EXCH_CREATE_CHILD_SA,
				       IKE_EXCH_INFORMATIONAL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The initiator's request of exchange with the inner chain given, to
 * the responder. */
static void send_fuzzed(struct ike_pair *p, uint8_t exchange, uint8_t first,
			const uint8_t *plain, size_t len)
{
	static uint8_t msg[IKE_MSG_MAX];
	struct ike_sa *sa = pair_sa(p, 0);
	size_t n;

	if (!sa || !sa->sa_v2.v2_keyed ||
	    ike_encrypt_msg(sa, exchange, false, sa->sa_v2.v2_msgid_out, first, plain, len,
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
	mode = data[0] % sizeof(v2_exchange);
	if (!(p.p_e[0] ? pair_again(&p)
			: pair_start(&p, IKE_VERSION_2, false, "aes128-sha256-x25519", "aes128gcm16")))
		abort();
	pair_step(&p); /* IKE_SA_INIT request */
	pair_step(&p); /* and response: the initiator sends IKE_AUTH */
	if (mode == 0)
		pair_take(&p, real); /* dropped: ours goes instead */
	else
		pair_settle(&p, V2_STEPS);
	send_fuzzed(&p, v2_exchange[mode], data[1], data + 2, size - 2);
	pair_settle(&p, V2_STEPS);
	pair_end(&p);
	return 0;
}
