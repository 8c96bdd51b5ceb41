/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: one IKE engine as responder with a PSK connection
 * (ike_conn.h) that takes both IKE versions ("version": "any", IKEv1
 * aggressive mode allowed), kept across inputs so that SAs made by one
 * input are found, retransmitted to, expired and freed under later ones:
 * IKEv2 exchanges and IKEv1 main, aggressive, quick and informational
 * exchanges reach their handlers.
 *
 * An input is one datagram behind one control byte: its low 6 bits
 * advance the clock by that many half seconds before the datagram (and
 * the engine is ticked), so half-open SAs (30 s) expire during a run;
 * its top 2 bits pick the sender, 192.0.2.1 to 192.0.2.4 port 500.
 * The rest is the UDP payload as the engine sees it (port 500, or 4500
 * with the non-ESP marker removed).
 *
 * Built with -Dfuzz=true (clang, -fsanitize=fuzzer); the normal build
 * links it with tests/fuzz/replay.c, which feeds it the corpus.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ike.h"
#include "ike_conn.h"

static struct ike_engine *engine;
static uint64_t now_ms = 1000;

static void drop_send(void *ctx, const struct ike_endpoint *local,
		      const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	(void)ctx, (void)local, (void)remote, (void)buf, (void)len;
}

static void drop_log(void *ctx, enum ike_log_level level, const struct ike_log_fields *f,
		   const char *line)
{
	(void)ctx, (void)level, (void)f, (void)line;
}

static struct ike_engine *responder(void)
{
	static const char *const ike[] = { "aes128-sha256-x25519", "aes256gcm16-prfsha384-ecp384",
					   "aes128-sha1-modp2048", "aes256-sha384-ecp384" };
	struct ike_events ev = { .ev_send = drop_send, .ev_log = drop_log };
	struct ike_engine *e = ike_engine_new(&ev);
	struct ike_conn_cfg c;

	if (!e || fuzz_conn(false, ike[0], "aes128gcm16", &c) != 0 ||
	    ike_prop_parse("aes128-sha256-modp2048", IKE_PROTO_ESP, &c.c_child[0].cc_esp[1],
			   NULL, 0) != 0)
		abort();
	c.c_child[0].cc_n_esp = 2; /* and one with PFS */
	c.c_version = IKE_VERSION_ANY;
	c.c_aggressive = true;
	for (unsigned i = 1; i < sizeof(ike) / sizeof(ike[0]); i++)
		if (ike_prop_parse(ike[i], IKE_PROTO_IKE, &c.c_ike[c.c_n_ike++], NULL, 0) != 0)
			abort();
	if (fuzz_pools(e, &c) != 0 || ike_engine_add_conn(e, &c) != 0)
		abort();
	return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_endpoint local = fuzz_ep("192.0.2.2", IKE_PORT), remote;

	if (!engine)
		engine = responder();
	if (size < 1)
		return 0;
	remote = fuzz_ep("192.0.2.1", IKE_PORT);
	remote.ep_addr.bytes[3] = (uint8_t)(1 + (data[0] >> 6));
	now_ms += (uint64_t)(data[0] & 0x3f) * 500;
	ike_engine_tick(engine, now_ms);
	ike_engine_input(engine, &local, &remote, data + 1, size - 1, now_ms);
	ike_engine_flush_log(engine);
	return 0;
}
