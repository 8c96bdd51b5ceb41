/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: IKEv1 fragments (strongSwan's and Cisco's scheme)
 * as ikev1_io.c takes them: each datagram through ikev1_frag_parse(),
 * then into one reassembly (ike_frag.c) bounded as the engine bounds it
 * (IKE_MSG_MAX bytes), the whole joined once it is in. The engine's
 * responder target cannot get here: a fragment is only kept for an SA
 * whose random cookies it names.
 *
 * An input is a series of records: one control byte (the clock moves
 * by its value in hundreds of milliseconds, so messages in progress
 * time out), a 2-byte length, that many bytes of datagram.
 *
 * Built with -Dfuzz=true (clang, -fsanitize=fuzzer); the normal build
 * links it with tests/fuzz/replay.c, which feeds it the corpus.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cursor.h"
#include "ike_sa.h"
#include "ikev1_msg.h"

static uint8_t joined[IKE_MSG_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = cursor_make(data, size), dg;
	struct ike_reassembly *ra = NULL;
	uint64_t now = 1000;
	uint8_t dt;
	uint16_t len;

	while (cursor_u8(&c, &dt) && cursor_be16(&c, &len) && cursor_sub(&c, len, &dg)) {
		struct ike_frag_piece fp;
		struct ikev1_frag f;
		struct ikev1_hdr h;
		bool dropped;
		size_t n;

		now += (uint64_t)dt * 100;
		if (ikev1_frag_parse(dg.p, dg.left, &h, &f) != 0)
			continue;
		fp = (struct ike_frag_piece){ .fp_id = f.f_id, .fp_num = f.f_num,
					      .fp_total = f.f_last ? f.f_num : 0,
					      .fp_data = f.f_data, .fp_len = f.f_len };
		if (ike_reassembly_add(&ra, &fp, sizeof(joined), now, &dropped) != 0)
			continue;
		n = ike_reassembly_join(&ra, joined, sizeof(joined), NULL);
		if (n == 0 || n > sizeof(joined) || ra)
			abort(); /* complete means joined, within bounds, freed */
	}
	ike_reassembly_free(&ra);
	return 0;
}
