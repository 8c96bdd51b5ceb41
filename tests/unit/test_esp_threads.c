/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ESP path with real worker lcores: the control thread (this test)
 * adds and deletes SAs while a worker forwards, and two workers share the
 * packets of one SA, whose owner alone numbers and checks them.
 */
#include <criterion/criterion.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "dp_fixture.h"
#include "esp.h"

#define LAN 0
#define WAN 1

static struct esp_engine *engine;
static struct dp_worker_arg wargs[2];

static void one_worker(void)
{
	fx_eal_up("test_esp_thr", "0@0,1@1");
	fx_dp_up(1, true);
	engine = esp_engine_create();
}

static void down(void)
{
	fx_dp_down();
	esp_engine_free(engine);
	engine = NULL;
}

/* Three lcores on this machine's two cores: the two workers share one. */
static void two_workers(void)
{
	fx_eal_up("test_esp_thr", "0@0,1@1,2@1");
	fx_dp_up(2, true);
	engine = esp_engine_create();
}

static struct esp_sa_conf conf(uint32_t spi, enum esp_dir dir, const char *ts_src,
			       const char *ts_dst, unsigned owner)
{
	struct esp_sa_conf c = {
		.spi = spi, .dir = dir, .mode = ESP_MODE_TUNNEL,
		.src = fx_addr("203.0.113.1"), .dst = fx_addr("203.0.113.2"),
		.algo = { .enc = ESP_ENC_AES_GCM16, .enc_key_len = 16 },
		.ts = { .src = fx_prefix(ts_src), .dst = fx_prefix(ts_dst),
			.sport_hi = 65535, .dport_hi = 65535 },
		.replay_window = dir == ESP_DIR_IN ? 4096 : 0,
		.owner = (int)owner,
	};

	snprintf(c.name, sizeof(c.name), "sa%x", spi);
	memset(c.algo.enc_key, 0x42, 16);
	return c;
}

static int add(const struct esp_sa_conf *c)
{
	int id = esp_sa_add(fx_dp.sadb, engine, c);

	cr_assert(id >= 0, "esp_sa_add 0x%x: %d", c->spi, id);
	return id;
}

static void launch(unsigned n)
{
	unsigned lcore = 0, i = 0;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (i == n)
			break;
		wargs[i] = (struct dp_worker_arg){ .dp = &fx_dp, .w = &fx_dp.workers[i] };
		fx_dp.workers[i].w_lcore = lcore;
		cr_assert_eq(rte_eal_remote_launch(dp_worker_main, &wargs[i], lcore), 0);
		i++;
	}
	cr_assert_eq(i, n);
}

static void stop(void)
{
	__atomic_store_n(&fx_dp.stop, 1, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
}

static void inject(unsigned port, unsigned queue, const struct fx_frame *f)
{
	struct rte_mbuf *m = fx_mbuf(f, port);

	while (rte_ring_enqueue(fx_ports[port].rx[queue], m) != 0)
		rte_pause();
}

static uint32_t esp_seq(const struct rte_mbuf *m, uint32_t *spi)
{
	const uint8_t *esp = rte_pktmbuf_mtod_offset(m, const uint8_t *, 14 + 20);

	*spi = (uint32_t)esp[0] << 24 | esp[1] << 16 | esp[2] << 8 | esp[3];
	return (uint32_t)esp[4] << 24 | esp[5] << 16 | esp[6] << 8 | esp[7];
}

struct seen {
	unsigned n;
	uint32_t last_seq;
	bool in_order;
	struct fx_frame *keep; /* optional copies */
};

/* Takes what the port sent on one queue; checks the SA's numbering. */
static void collect(struct rte_ring *r, uint32_t spi, struct seen *s)
{
	struct rte_mbuf *m;

	while ((m = fx_take(r)) != NULL) {
		uint32_t got_spi, seq = esp_seq(m, &got_spi);

		cr_assert_eq(got_spi, spi, "SPI 0x%x, want 0x%x (seq %u, packet %u)", got_spi, spi, seq, s->n);
		if (seq != s->last_seq + 1)
			s->in_order = false;
		s->last_seq = seq;
		if (s->keep)
			s->keep[s->n] = fx_frame_of(m, FX_MAC_WAN);
		s->n++;
		rte_pktmbuf_free(m);
	}
}

static unsigned drain_plain(struct rte_ring *r)
{
	struct rte_mbuf *m;
	unsigned n = 0;

	while ((m = fx_take(r)) != NULL) {
		n++;
		rte_pktmbuf_free(m);
	}
	return n;
}

static bool wait_until(unsigned *count, unsigned want, void (*poll)(void))
{
	uint64_t end = rte_rdtsc() + 5 * rte_get_tsc_hz();

	while (*count < want && rte_rdtsc() < end)
		poll();
	return *count >= want;
}

static struct seen storm_seen = { .in_order = true };

static void poll_storm(void)
{
	collect(fx_ports[WAN].tx[0], 0x100, &storm_seen);
}

/* Churn: other SAs come and go, some sharing the stable SA's
 * destination prefix (so its chain is relinked under the worker). */
static void churn(unsigned round, int *ids, unsigned slots)
{
	unsigned slot = round % slots;
	char src[32];
	struct esp_sa_conf c;

	if (ids[slot] >= 0)
		cr_assert_eq(esp_sa_del(fx_dp.sadb, (uint32_t)ids[slot]), 0);
	snprintf(src, sizeof(src), "198.19.%u.0/24", round % 250);
	if (round % 3 == 0)
		c = conf(0x10000 + round, ESP_DIR_OUT, src, "198.18.3.0/24", 0);
	else if (round % 3 == 1)
		c = conf(0x10000 + round, ESP_DIR_OUT, "198.18.1.0/24", "198.19.200.0/24", 0);
	else
		c = conf(0x10000 + round, ESP_DIR_IN, "198.19.0.0/16", "198.18.1.0/24", 0);
	ids[slot] = add(&c);
}

Test(threads, sa_churn_while_traffic_flows_loses_nothing, .init = one_worker, .fini = down,
     .timeout = 60)
{
	struct fx_frame plain = fx_udp4("198.18.1.2", "198.18.3.5", 64, 64);
	struct esp_sa_conf stable = conf(0x100, ESP_DIR_OUT, "198.18.1.0/24",
					 "198.18.3.0/24", 0);
	enum { ROUNDS = 4000, PER_ROUND = 8, SLOTS = 16 };
	int ids[SLOTS], sid;
	uint64_t dropped = 0;

	memset(ids, -1, sizeof(ids));
	sid = add(&stable);
	launch(1);
	for (unsigned r = 0; r < ROUNDS; r++) {
		for (unsigned i = 0; i < PER_ROUND; i++)
			inject(LAN, 0, &plain);
		churn(r, ids, SLOTS);
		poll_storm();
	}
	cr_expect(wait_until(&storm_seen.n, ROUNDS * PER_ROUND, poll_storm),
		  "%u of %u packets came out", storm_seen.n, ROUNDS * PER_ROUND);
	stop();
	cr_expect(storm_seen.in_order, "sequence numbers 1..N in order");
	cr_expect_eq(storm_seen.last_seq, ROUNDS * PER_ROUND);
	cr_expect_eq(esp_sa_by_id(fx_dp.sadb, (uint32_t)sid)->sa_st.st_packets,
		     ROUNDS * PER_ROUND);
	for (unsigned c = 0; c < DP_W_MAX; c++)
		if (dp_worker_counter_info[c].is_drop)
			dropped += fx_dp.workers[0].w_cnt[c];
	cr_expect_eq(dropped, 0, "worker drops");
}

static struct seen grow_seen = { .in_order = true };

static void poll_grow(void)
{
	collect(fx_ports[WAN].tx[0], 0x110, &grow_seen);
}

/* Host policies in 512 /24s of their own outgrow the first outbound
 * SPD table (room for 256): it is replaced while the worker looks
 * packets up in it, and the SA that stays loses nothing. */
Test(threads, spd_table_replaced_under_traffic_loses_nothing, .init = one_worker, .fini = down,
     .timeout = 60)
{
	struct fx_frame plain = fx_udp4("198.18.1.2", "198.18.3.5", 64, 64);
	struct esp_sa_conf stable = conf(0x110, ESP_DIR_OUT, "198.18.1.0/24",
					 "198.18.3.0/24", 0);
	enum { HOSTS = 512, PER_ROUND = 8 };
	static int ids[HOSTS];
	uint64_t dropped = 0;
	unsigned sent = 0;

	add(&stable);
	launch(1);
	for (unsigned r = 0; r < 2 * HOSTS; r++) {
		unsigned h = r % HOSTS;
		char dst[32];

		for (unsigned i = 0; i < PER_ROUND; i++, sent++)
			inject(LAN, 0, &plain);
		if (r < HOSTS) {
			struct esp_sa_conf c;

			snprintf(dst, sizeof(dst), "198.%u.%u.1/32", 18 + h / 256, h % 256);
			c = conf(0x20000 + h, ESP_DIR_OUT, "198.18.1.0/24", dst, 0);
			ids[h] = add(&c);
		} else {
			cr_assert_eq(esp_sa_del(fx_dp.sadb, (uint32_t)ids[h]), 0);
		}
		poll_grow();
	}
	cr_expect(wait_until(&grow_seen.n, sent, poll_grow), "%u of %u packets came out",
		  grow_seen.n, sent);
	stop();
	cr_expect(grow_seen.in_order, "sequence numbers 1..N in order");
	cr_expect_eq(grow_seen.last_seq, sent);
	for (unsigned c = 0; c < DP_W_MAX; c++)
		if (dp_worker_counter_info[c].is_drop)
			dropped += fx_dp.workers[0].w_cnt[c];
	cr_expect_eq(dropped, 0, "worker drops");
}

static struct seen two_seen[2] = { { .in_order = true }, { .in_order = true } };

static void poll_two_out(void)
{
	collect(fx_ports[WAN].tx[0], 0x200, &two_seen[0]);
	collect(fx_ports[WAN].tx[1], 0x200, &two_seen[1]);
}

static unsigned plain_back;

static void poll_two_in(void)
{
	plain_back += drain_plain(fx_ports[WAN].tx[0]);
	plain_back += drain_plain(fx_ports[WAN].tx[1]);
}

Test(threads, one_sa_on_two_workers_is_numbered_and_checked_by_its_owner,
     .init = two_workers, .fini = down, .timeout = 60)
{
	enum { N = 2000 };
	static struct fx_frame wire[N];
	struct seen gen = { .in_order = true, .keep = wire };
	struct fx_frame plain = fx_udp4("198.18.1.2", "198.18.3.5", 64, 100);
	struct esp_sa_conf c = conf(0x300, ESP_DIR_OUT, "198.18.1.0/24", "198.18.3.0/24", 0);
	int gen_id = add(&c), out_id, in_id;
	struct esp_sa *in;

	/* ESP to feed back in later, made before the workers run. */
	for (unsigned i = 0; i < N; i++) {
		fx_input(&plain, LAN);
		collect(fx_ports[WAN].tx[0], 0x300, &gen);
	}
	cr_assert_eq(gen.n, N);
	esp_sa_del(fx_dp.sadb, (uint32_t)gen_id);
	c = conf(0x300, ESP_DIR_IN, "198.18.1.0/24", "198.18.3.0/24", 1);
	in_id = add(&c);
	c = conf(0x200, ESP_DIR_OUT, "198.18.1.0/24", "198.18.3.0/24", 0);
	out_id = add(&c);
	launch(2);

	for (unsigned i = 0; i < N; i++)
		inject(LAN, i % 2, &plain);
	cr_expect(wait_until(&two_seen[0].n, N, poll_two_out), "%u of %u encrypted",
		  two_seen[0].n, N);
	cr_expect_eq(two_seen[1].n, 0, "only the owner transmits the SA's packets");
	cr_expect(two_seen[0].in_order, "sequence numbers unique and in order");
	cr_expect_eq(two_seen[0].last_seq, N);

	for (unsigned i = 0; i < N; i++)
		inject(WAN, i % 2, &wire[i]);
	cr_expect(wait_until(&plain_back, N, poll_two_in), "%u of %u decrypted", plain_back, N);
	stop();
	in = esp_sa_by_id(fx_dp.sadb, (uint32_t)in_id);
	cr_expect_eq(in->sa_st.st_packets, N, "the replay window saw each packet once");
	cr_expect_eq(in->sa_st.st_drops[ESP_DROP_replay], 0);
	cr_expect_eq(esp_sa_by_id(fx_dp.sadb, (uint32_t)out_id)->sa_st.st_packets, N);
	cr_expect_gt(fx_dp.workers[1].w_cnt[DP_W_handoff], 0, "worker 1 handed off");
	cr_expect_gt(fx_dp.workers[0].w_cnt[DP_W_handoff], 0, "worker 0 handed off");
	cr_expect_eq(fx_dp.workers[0].w_cnt[DP_W_handoff_full] +
		     fx_dp.workers[1].w_cnt[DP_W_handoff_full], 0);
}

/* ---- One shared SA on two workers (issue 19 item 3) ---- */

enum { SHARED_N = 4000 };
static uint8_t shared_used[SHARED_N + 64 + 1]; /* times each number went out */
static unsigned shared_out, shared_beyond;

static void collect_shared(struct rte_ring *r, uint32_t spi)
{
	struct rte_mbuf *m;

	while ((m = fx_take(r)) != NULL) {
		uint32_t got_spi, seq = esp_seq(m, &got_spi);

		cr_assert_eq(got_spi, spi);
		if (seq < sizeof(shared_used))
			shared_used[seq]++;
		else
			shared_beyond++;
		shared_out++;
		rte_pktmbuf_free(m);
	}
}

static void poll_shared_out(void)
{
	collect_shared(fx_ports[WAN].tx[0], 0x500);
	collect_shared(fx_ports[WAN].tx[1], 0x500);
}

static unsigned shared_plain;

static void poll_shared_in(void)
{
	shared_plain += drain_plain(fx_ports[WAN].tx[0]);
	shared_plain += drain_plain(fx_ports[WAN].tx[1]);
}

/* Both workers encrypt for one shared SA: every number used once, none
 * skipped (nothing is dropped here, so the blocks are used whole). Then
 * both decrypt its packets, each packet sent to both workers: each is
 * let in once, the other copy refused by the shared window. */
Test(threads, one_shared_sa_on_two_workers_numbers_and_windows_are_exact,
     .init = two_workers, .fini = down, .timeout = 60)
{
	static struct fx_frame wire[SHARED_N];
	struct seen gen = { .in_order = true, .keep = wire };
	struct fx_frame plain = fx_udp4("198.18.1.2", "198.18.3.5", 64, 100);
	struct esp_sa_conf c = conf(0x600, ESP_DIR_OUT, "198.18.1.0/24", "198.18.3.0/24", 0);
	int gen_id = add(&c), out_id, in_id;
	struct esp_sa *in, *out;
	unsigned max_seq = 0, gaps = 0;

	for (unsigned i = 0; i < SHARED_N; i++) {
		fx_input(&plain, LAN);
		collect(fx_ports[WAN].tx[0], 0x600, &gen);
	}
	cr_assert_eq(gen.n, SHARED_N);
	esp_sa_del(fx_dp.sadb, (uint32_t)gen_id);
	c = conf(0x600, ESP_DIR_IN, "198.18.1.0/24", "198.18.3.0/24", 0);
	c.owner = ESP_SA_SHARED;
	in_id = add(&c);
	c = conf(0x500, ESP_DIR_OUT, "198.18.1.0/24", "198.18.3.0/24", 0);
	c.owner = ESP_SA_SHARED;
	out_id = add(&c);
	launch(2);

	for (unsigned i = 0; i < SHARED_N; i++)
		inject(LAN, i % 2, &plain);
	cr_expect(wait_until(&shared_out, SHARED_N, poll_shared_out), "%u of %u encrypted",
		  shared_out, SHARED_N);
	for (unsigned s = 1; s < sizeof(shared_used); s++) {
		cr_expect_leq(shared_used[s], 1, "seq %u used %u times", s, shared_used[s]);
		if (shared_used[s])
			max_seq = s;
	}
	for (unsigned s = 1; s <= max_seq; s++)
		gaps += !shared_used[s];
	cr_expect_eq(shared_beyond, 0);
	cr_expect_eq(gaps, 0, "numbers skipped");
	cr_expect_eq(max_seq, SHARED_N);

	for (unsigned i = 0; i < SHARED_N; i++) {
		inject(WAN, i % 2, &wire[i]);
		inject(WAN, (i + 1) % 2, &wire[i]); /* the duplicate, on the other worker */
	}
	in = esp_sa_by_id(fx_dp.sadb, (uint32_t)in_id);
	cr_expect(wait_until(&shared_plain, SHARED_N, poll_shared_in), "%u of %u decrypted",
		  shared_plain, SHARED_N);
	{
		uint64_t end = rte_rdtsc() + 5 * rte_get_tsc_hz();

		while (__atomic_load_n(&in->sa_st.st_packets, __ATOMIC_RELAXED) +
		       __atomic_load_n(&in->sa_st.st_drops[ESP_DROP_replay], __ATOMIC_RELAXED) <
		       2 * SHARED_N && rte_rdtsc() < end)
			poll_shared_in();
	}
	stop();
	poll_shared_in();
	out = esp_sa_by_id(fx_dp.sadb, (uint32_t)out_id);
	cr_expect_eq(shared_plain, SHARED_N, "each packet let in once");
	cr_expect_eq(in->sa_st.st_packets, SHARED_N);
	cr_expect_eq(in->sa_st.st_drops[ESP_DROP_replay], SHARED_N, "every copy refused");
	cr_expect_eq(out->sa_st.st_packets, SHARED_N);
	cr_expect_eq(out->sa_st.st_seq, SHARED_N, "numbers reserved");
	cr_expect_gt(fx_dp.workers[0].w_cnt[DP_W_esp_out], 0, "worker 0 encrypted");
	cr_expect_gt(fx_dp.workers[1].w_cnt[DP_W_esp_out], 0, "worker 1 encrypted");
	/* which copy wins is the workers' race (here they share a core) */
	cr_expect_eq(fx_dp.workers[0].w_cnt[DP_W_esp_in] + fx_dp.workers[1].w_cnt[DP_W_esp_in],
		     SHARED_N);
	for (unsigned i = 0; i < 2; i++)
		cr_expect_eq(fx_dp.workers[i].w_cnt[DP_W_esp_in] +
			     fx_dp.workers[i].w_cnt[DP_W_esp_sa_drop], SHARED_N,
			     "worker %u saw every packet", i);
	cr_expect_eq(fx_dp.workers[0].w_cnt[DP_W_handoff] + fx_dp.workers[1].w_cnt[DP_W_handoff],
		     0, "nothing handed off");
}
