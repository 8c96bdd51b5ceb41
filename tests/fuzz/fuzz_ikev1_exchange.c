/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the decrypted payload handlers of an IKEv1
 * responder. A real initiator engine and a responder (ike_pair.h,
 * x25519) play phase 1 up to the message the input replaces; the
 * harness frames the input's payloads as the initiator would have and
 * protects them with the initiator SA's own phase 1 key through lib/ike
 * (ikev1_msg_send with an IV chain of the harness's: RFC 2409 App. B's
 * phase 1 IV from the KE payloads (ikev1_iv_phase1), or a phase 2 IV
 * from phase 1's last block and the message ID, ikev1_iv_phase2).
 *
 * An input: a control byte, whose value mod 4 picks the message:
 *   0  main mode message 5 (ID, HASH_I, ...) after real messages 1-4;
 *   1  aggressive mode message 3 after real messages 1-2, encrypted
 *      when bit 2 of the control byte is set, else in the clear as the
 *      initiator sends it;
 *   2  quick mode message 1 after a real main mode: HASH(1) computed by
 *      the harness (ikev1_hash_reserve/ikev1_hash_fill) over the
 *      input's payloads, so that they reach the quick mode handler;
 *   3  an informational exchange the same way (HASH(1), then N or D),
 *      or, with bit 3 set, a transaction exchange (Mode Config,
 *      draft-dukes-ike-mode-cfg-02: HASH, then ATTR) to a responder
 *      whose connection has pools (pull), so that a CFG_REQUEST
 *      reaches the Attribute payload's parser and the lease code;
 * With bit 7 of the control byte clear, a HASH payload of the PRF's
 * length in message 5 or 3 gets the HASH_I of the input's own ID
 * payload (RFC 2409 §5, ikev1_auth_hash over the phase 1 state), so
 * that what follows authentication is reached; set, the input's bytes
 * stand, as a forger's would.
 * Then the type of the first payload (after HASH(1) for 2 and 3), then
 * the payloads. What the responder answers is carried back.
 * exchange_seeds.c writes the seeds from the real messages. The
 * engines are kept across inputs as in fuzz_ikev2_exchange.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike_pair.h"
#include "ikev1.h"

#define V1_STEPS 16
#define V1_MSGID 0x2f6a51c3u /* the fuzzed phase 2 exchange's message ID */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The payloads after HASH(1) that the responder's parser takes, which
 * is what it hashes (ikev1_hash_ok): trailing bytes count as padding. */
static size_t hashed_len(uint8_t first, const uint8_t *buf, size_t len)
{
	static struct ikev1_chain ch;

	if (ikev1_chain_parse(first, buf, len, true, &ch) != 0)
		return len;
	return len - ch.c_trailing;
}

/* HASH_I over the input's ID payload into its HASH payload, computed
 * with the phase 1 state of sa (the responder's: an aggressive mode
 * initiator has let its KE values go by message 3). */
static void sign_hash(const struct ike_sa *sa, uint8_t first, uint8_t *pl, size_t len)
{
	static struct ikev1_chain ch;
	const struct ikev1_sa_state *v1 = sa->sa_v1;
	const struct ikev1_payload *id, *hash;

	if (ikev1_chain_parse(first, pl, len, true, &ch) != 0)
		return;
	id = ikev1_chain_find(&ch, IKEV1_PL_ID, 0);
	hash = ikev1_chain_find(&ch, IKEV1_PL_HASH, 0);
	if (!hash || hash->pl_len != v1->v1_keys.k_len || !v1->v1_gxi || !v1->v1_gxr ||
	    !v1->v1_sai_b)
		return;
	if (id) /* main mode's message 5 */
		ikev1_auth_hash(sa, true, id->pl_body, id->pl_len, pl + hash->pl_off + 4);
	else if (v1->v1_id_b) /* aggressive mode's message 3: IDii came in 1 */
		ikev1_auth_hash(sa, true, v1->v1_id_b, v1->v1_id_len, pl + hash->pl_off + 4);
}

/* Frames and sends the initiator's message: the payloads given (after a
 * HASH(1) for a phase 2 exchange) under the IV chain iv. */
static void send_fuzzed(struct ike_sa *sa, uint8_t exchange, uint32_t msgid, bool encrypt,
			const uint8_t *iv, uint8_t first, const uint8_t *pl, size_t len)
{
	static uint8_t msg[IKE_MSG_MAX];
	struct ikev1_xchg x = { .x_msgid = msgid };
	struct ike_writer w;
	size_t hash_at = 0, body;

	ikev1_msg_begin(sa, &w, msg, sizeof(msg), exchange, msgid,
			encrypt ? IKEV1_F_ENCRYPTION : 0);
	if (msgid)
		hash_at = ikev1_hash_reserve(sa, &w);
	body = w.w_len;
	ike_w_bytes(&w, pl, len);
	if (w.w_err)
		return;
	msg[msgid ? hash_at : 16] = first; /* the header's or HASH's Next Payload */
	if (msgid) {
		/* the hash covers what the responder parses, not the rest */
		w.w_len = body + hashed_len(first, pl, len);
		ikev1_hash_fill(sa, &w, hash_at, msgid, NULL, 0);
		w.w_len = body + len;
	}
	memcpy(x.x_iv, iv, sa->sa_v1->v1_block);
	ikev1_msg_send(sa, &w, &x, false);
	ikev1_xchg_clear(&x);
}

/* The IV of the message replacing the initiator's next one: phase 1's
 * from the KE payloads as the responder keeps them (an aggressive mode
 * initiator has let them go once it sent message 3), phase 2's from
 * the initiator's last phase 1 block. */
static bool next_iv(const struct ike_pair *p, uint32_t msgid, uint8_t *iv)
{
	const struct ike_sa *sa = pair_sa(p, msgid ? 0 : 1);
	const struct ikev1_sa_state *v1 = sa ? sa->sa_v1 : NULL;

	if (!v1 || !v1->v1_keyed)
		return false;
	if (!msgid)
		return v1->v1_gxi && v1->v1_gxr &&
		       ikev1_iv_phase1(sa->sa_alg.ch_prf, v1->v1_gxi, v1->v1_gxi_len, v1->v1_gxr,
				       v1->v1_gxr_len, iv, v1->v1_block) == 0;
	return ikev1_iv_phase2(sa->sa_alg.ch_prf, v1->v1_p1_last, v1->v1_block, msgid, iv) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t exchange[] = { IKEV1_EXCH_IDPROT, IKEV1_EXCH_AGGRESSIVE,
					    IKEV1_EXCH_QUICK, IKEV1_EXCH_INFO };
	static const unsigned prefix[] = { 4, 2, 6, 6 }; /* real messages first */
	static struct ike_pair pairs[3]; /* main mode, aggressive mode, with pools */
	struct ike_pair *p;
	struct pair_dgram *real = &(struct pair_dgram){ 0 };
	uint8_t iv[IKEV1_BLOCK_MAX];
	unsigned mode;
	uint32_t msgid;
	bool cfg;
	static uint8_t pl[IKE_MSG_MAX / 2];
	struct ike_sa *sa, *rsa;

	if (size < 2 || size > IKE_MSG_MAX / 2)
		return 0;
	mode = data[0] % 4;
	msgid = mode >= 2 ? V1_MSGID : 0;
	cfg = mode == 3 && (data[0] & 8);
	p = &pairs[cfg ? 2 : mode == 1];
	if (!(p->p_e[0] ? pair_again(p)
			: pair_start_pools(p, IKE_VERSION_1, mode == 1, "aes128-sha256-x25519",
					   "aes128gcm16", cfg)))
		abort();
	for (unsigned i = 0; i < prefix[mode]; i++)
		pair_step(p);
	pair_take(p, real); /* the initiator's next message: ours instead */
	sa = pair_sa(p, 0);
	memcpy(pl, data + 2, size - 2);
	rsa = pair_sa(p, 1);
	if (!msgid && !(data[0] & 0x80) && rsa && rsa->sa_v1)
		sign_hash(rsa, data[1], pl, size - 2);
	if (sa && sa->sa_v1 && next_iv(p, msgid, iv))
		send_fuzzed(sa, cfg ? IKEV1_EXCH_TRANSACTION : exchange[mode], msgid, mode != 1 || (data[0] & 4), iv, data[1],
			    pl, size - 2);
	pair_settle(p, V1_STEPS);
	pair_end(p);
	return 0;
}
