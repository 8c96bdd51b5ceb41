/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writes the IKE responder target's seed corpus: an initiator engine
 * (ike_conn.h) runs real exchanges against a responder and every
 * datagram the responder receives is written as one input (control
 * byte, then the datagram; fuzz_ike_responder.c): IKE_SA_INIT and
 * IKE_AUTH with each proposal set, a Child SA
 * rekey, an IKE SA rekey, a liveness check and a delete; the same in
 * IKEv1 (main mode, aggressive mode, quick mode with and without PFS,
 * its rekey, the ISAKMP SA re-established, DPD, DELETE).
 *
 *   build/tests/fuzz/ike-seeds tests/fuzz/corpus/ike_responder
 *
 * The SPIs, nonces and keys are fresh each run, so the files differ from
 * run to run; the corpus in the repository is one such run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike.h"
#include "ike_conn.h"

#define SEED_QMAX 32

struct seed_dgram {
	int to;
	struct ike_endpoint local, remote;
	uint8_t buf[8192];
	size_t len;
};

static struct ike_engine *eng[2];
static struct seed_dgram q[SEED_QMAX];
static unsigned qn, written;
static uint64_t now = 1000;
static const char *outdir, *tag;

static void seed_send(void *ctx, const struct ike_endpoint *local,
		      const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	int from = (int)(intptr_t)ctx;

	if (qn == SEED_QMAX || len > sizeof(q[0].buf))
		return;
	q[qn] = (struct seed_dgram){ .to = 1 - from, .local = *remote, .remote = *local,
				     .len = len };
	memcpy(q[qn].buf, buf, len);
	qn++;
}

static void write_seed(const struct seed_dgram *d)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s-%02u", outdir, tag, written++);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputc(2, f); /* one second on, from 192.0.2.1 */
	fwrite(d->buf, 1, d->len, f);
	fclose(f);
}

static void carry(void)
{
	while (qn) {
		struct seed_dgram d = q[0];
		memmove(q, q + 1, --qn * sizeof(q[0]));
		if (d.to == 1)
			write_seed(&d);
		ike_engine_input(eng[d.to], &d.local, &d.remote, d.buf, d.len, now);
	}
}

static void advance(uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += 500) {
		now += 500;
		ike_engine_tick(eng[0], now);
		ike_engine_tick(eng[1], now);
		carry();
	}
}

static void run(const char *name, const char *ike, const char *esp, uint16_t frag,
		enum ike_version version, bool aggressive)
{
	struct ike_conn_cfg c[2];

	tag = name;
	written = 0;
	for (int i = 0; i < 2; i++) {
		struct ike_events ev = { .ev_ctx = (void *)(intptr_t)i, .ev_send = seed_send };
		eng[i] = ike_engine_new(&ev);
		if (!eng[i] || fuzz_conn(i == 0, ike, esp, &c[i]) != 0)
			exit(1);
		c[i].c_frag_size = frag;
		c[i].c_version = version;
		c[i].c_aggressive = aggressive;
		if (ike_engine_add_conn(eng[i], &c[i]) != 0)
			exit(1);
	}
	if (ike_engine_initiate(eng[0], "branch", now) <= 0)
		exit(1);
	carry();
	ike_engine_rekey(eng[0], 1, true, now); /* its Child SA */
	advance(1000);
	ike_engine_rekey(eng[0], 1, false, now); /* the IKE SA */
	advance(1000);
	advance(11000); /* a liveness check */
	ike_engine_terminate(eng[0], 2, now);
	advance(1000);
	printf("%s: %u datagrams\n", name, written);
	for (int i = 0; i < 2; i++)
		ike_engine_free(eng[i]);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	run("x25519", "aes128-sha256-x25519", "aes128gcm16", 0, IKE_VERSION_2, false);
	run("ecp384", "aes256gcm16-prfsha384-ecp384", "aes128gcm16", 0, IKE_VERSION_2, false);
	run("modp2048", "aes128-sha1-modp2048", "aes128gcm16", 0, IKE_VERSION_2, false);
	run("v1-main", "aes128-sha1-modp2048", "aes128gcm16", 0, IKE_VERSION_1, false);
	run("v1-main-pfs", "aes256-sha384-ecp384", "aes128-sha256-modp2048", 0, IKE_VERSION_1, false);
	run("v1-aggressive", "aes128-sha256-x25519", "aes128gcm16", 0, IKE_VERSION_1, true);
	return 0;
}
