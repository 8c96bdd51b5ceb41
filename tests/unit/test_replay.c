/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * replay: the inbound anti-replay window, RFC 4303 §3.4.3 and Appendix A.
 *
 * Expected results come from the RFC's rules, written out per row:
 * - the window is [T - W + 1, T] (T = highest number accepted, W = size);
 *   a number left of it, a duplicate, or 0 (never sent, §3.3.3) fails;
 *   a number right of it passes and becomes T.
 * - with ESN, Seqh is inferred by Appendix A2.2. Case A (Tl >= W - 1):
 *   Seql >= Tl - W + 1 gives Th, else Th + 1. Case B (Tl < W - 1):
 *   Seql >= Tl - W + 1 (32-bit, so it wraps) gives Th - 1, else Th.
 *   Both cases pick the one number = Seql (mod 2^32) in
 *   [T - W + 1, T - W + 1 + 2^32); the reference model at the end of this
 *   file uses that reading so it does not copy the code's case split.
 *   Th - 1 with Th = 0 names a number below 0: check fails.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replay.h"
#include "replay_mt.h"

/*
 * Every table and the cross-check run on both windows: the owner's
 * (replay.c) and the shared one (replay_mt.c), which single-threaded
 * must answer exactly as the owner's does.
 */
struct win {
	struct esp_replay *st;
	struct esp_replay_mt *mt;
};

static struct win *new_window(uint32_t size, bool esn, bool mt)
{
	struct win *r = calloc(1, sizeof(*r));
	size_t bytes = mt ? esp_replay_mt_bytes(size) : esp_replay_bytes(size);
	void *p = aligned_alloc(64, (bytes + 63) & ~(size_t)63);

	cr_assert(r && p);
	memset(p, 0xa5, bytes); /* init must clear it all */
	if (mt) {
		r->mt = p;
		esp_replay_mt_init(r->mt, size, esn);
	} else {
		r->st = p;
		esp_replay_init(r->st, size, esn);
	}
	return r;
}

static void win_free(struct win *r)
{
	free(r->st);
	free(r->mt);
	free(r);
}

static bool win_check(const struct win *r, uint32_t lo, uint64_t *seq)
{
	return r->mt ? esp_replay_mt_check(r->mt, lo, seq) : esp_replay_check(r->st, lo, seq);
}

static bool win_update(struct win *r, uint64_t seq)
{
	return r->mt ? esp_replay_mt_update(r->mt, seq) == ESP_RMT_ACCEPTED
		     : esp_replay_update(r->st, seq);
}

static uint64_t win_top(const struct win *r)
{
	return r->mt ? r->mt->rm_top : r->st->rp_top;
}

static uint32_t win_size(const struct win *r)
{
	return r->mt ? r->mt->rm_size : r->st->rp_size;
}

/* One packet: check twice (must agree, state untouched), then update. */
enum { SKIP = -1 };
struct step {
	uint32_t lo;   /* seq_lo from the ESP header */
	uint64_t full; /* number check must infer; update is called with it */
	int chk;       /* expected check result, SKIP: only call update */
	int upd;       /* expected update result, SKIP: not called (ICV fails) */
};

/* Passes, is marked. */
#define ACCEPT(lo, full) { (uint32_t)(lo), (full), 1, 1 }
/* Duplicate or left of the window: check and update both refuse. */
#define REJECT(lo, full) { (uint32_t)(lo), (full), 0, 0 }
/* ESN: inferred as Th + 1 (or Th in case B) though the sender meant the
 * older epoch: check passes with that number, the ICV then fails. */
#define AHEAD(lo, full) { (uint32_t)(lo), (full), 1, SKIP }
/* ESN: Seqh = Th - 1 with Th = 0, no such number. */
#define NOSEQH(lo) { (uint32_t)(lo), 0, 0, SKIP }
/* update() of a full number checked earlier (two packets in flight). */
#define STALE(full, ok) { 0, (full), SKIP, (ok) }

static void run(struct win *r, const struct step *s, size_t n)
{
	for (size_t i = 0; i < n; i++, s++) {
		uint64_t f1 = ~0ull, f2 = ~0ull;

		if (s->chk != SKIP) {
			bool c1 = win_check(r, s->lo, &f1);
			bool c2 = win_check(r, s->lo, &f2);

			cr_assert_eq(c1, s->chk, "W %u row %zu lo %#x: check %d",
				     win_size(r), i, s->lo, c1);
			cr_assert_eq(c2, c1, "W %u row %zu: second check differs",
				     win_size(r), i);
			if (s->chk || s->upd != SKIP) {
				cr_assert_eq(f1, s->full, "W %u row %zu: seq %#llx, want %#llx",
					     win_size(r), i, (unsigned long long)f1,
					     (unsigned long long)s->full);
				cr_assert_eq(f2, f1);
			}
		}
		if (s->upd == SKIP)
			continue;
		uint64_t top = win_top(r);
		bool u = win_update(r, s->full);

		cr_assert_eq(u, s->upd, "W %u row %zu full %#llx: update %d",
			     win_size(r), i, (unsigned long long)s->full, u);
		cr_assert_eq(win_top(r), u && s->full > top ? s->full : top,
			     "W %u row %zu: top", win_size(r), i);
		if (u && s->chk != SKIP) /* marked: now a duplicate */
			cr_assert_not(win_check(r, s->lo, &f1),
				      "W %u row %zu: accepted twice", win_size(r), i);
	}
}

#define RUN(r, steps) run((r), (steps), sizeof(steps) / sizeof((steps)[0]))

/*
 * Seq = k * W + c so one table serves every size: the edges sit at
 * T - W + 1 (accepted) and T - W (refused). From a fresh window, with ESN
 * or without: the numbers stay far below 2^32 so Seqh is always 0.
 */
static void window_table(uint32_t size, bool esn, bool mt)
{
	struct win *r = new_window(size, esn, mt);
	const uint64_t W = win_size(r), E = 1ull << 32;
#define AT(k, c) ((k) * W + (c))
/* Left of the window. With ESN, A2.2 case A reads it as the next epoch
 * (Seqh = Th + 1): check passes with that number and the ICV fails. */
#define OLD(lo) { (uint32_t)(lo), esn ? E + (lo) : (lo), esn, esn ? SKIP : 0 }
	const struct step steps[] = {
		REJECT(0, 0),                       /* 0 is never sent */
		ACCEPT(1, 1),                       /* first packet */
		REJECT(1, 1),                       /* duplicate */
		ACCEPT(2, 2), ACCEPT(3, 3),         /* in order */
		REJECT(2, 2),
		ACCEPT(AT(1, 36), AT(1, 36)),       /* T = W+36, window [37, W+36] */
		ACCEPT(37, 37),                     /* T - W + 1 */
		OLD(36),                            /* T - W */
		OLD(3),                             /* far left, was seen */
		OLD(4),                             /* far left, never seen */
		REJECT(37, 37),
		ACCEPT(50, 50), ACCEPT(AT(1, 35), AT(1, 35)), ACCEPT(60, 60),
		ACCEPT(AT(1, 37), AT(1, 37)),       /* +1: window [38, W+37] */
		OLD(37),                            /* was the edge, now T - W */
		ACCEPT(38, 38),                     /* T - W + 1 */
		ACCEPT(AT(2, 36), AT(2, 36)),       /* +(W-1): [W+37, 2W+36] */
		REJECT(AT(1, 37), AT(1, 37)),       /* edge, seen */
		OLD(AT(1, 36)),                     /* T - W */
		OLD(AT(1, 35)),
		ACCEPT(AT(1, 50), AT(1, 50)),       /* same bit as 50: cleared */
		ACCEPT(AT(2, 35), AT(2, 35)),       /* same bit as W+35 */
		ACCEPT(AT(1, 60), AT(1, 60)),
		REJECT(AT(2, 35), AT(2, 35)),
		ACCEPT(AT(3, 36), AT(3, 36)),       /* +W: [2W+37, 3W+36] */
		OLD(AT(2, 36)),                     /* T - W */
		ACCEPT(AT(2, 37), AT(2, 37)),       /* edge, same bit as W+37 */
		ACCEPT(AT(3, 35), AT(3, 35)),
		ACCEPT(AT(4, 37), AT(4, 37)),       /* +(W+1): [3W+38, 4W+37] */
		OLD(AT(3, 37)),                     /* T - W */
		OLD(AT(3, 36)),                     /* seen, now left */
		ACCEPT(AT(3, 38), AT(3, 38)),       /* T - W + 1 */
		REJECT(AT(3, 38), AT(3, 38)),
		ACCEPT(AT(4, 10037), AT(4, 10037)), /* +10000 */
		ACCEPT(AT(3, 10038), AT(3, 10038)), /* T - W + 1 */
		OLD(AT(3, 10037)),                  /* T - W */
		OLD(AT(4, 37)),                     /* the old top */
		ACCEPT(AT(3, 10100), AT(3, 10100)), /* out of order */
		ACCEPT(AT(4, 10038), AT(4, 10038)), /* in order again */
		ACCEPT(AT(3, 10060), AT(3, 10060)),
		REJECT(AT(4, 10037), AT(4, 10037)),
		REJECT(AT(3, 10060), AT(3, 10060)),
		REJECT(AT(3, 10100), AT(3, 10100)),
		REJECT(AT(4, 10038), AT(4, 10038)),
		OLD(0),
	};
#undef AT
#undef OLD
	RUN(r, steps);
	win_free(r);
}

Test(replay, window_64) { window_table(64, false, false); }
Test(replay_mt, window_64) { window_table(64, false, true); }
Test(replay, window_128) { window_table(128, false, false); }
Test(replay_mt, window_128) { window_table(128, false, true); }
Test(replay, window_1024) { window_table(1024, false, false); }
Test(replay_mt, window_1024) { window_table(1024, false, true); }
Test(replay, window_4096) { window_table(4096, false, false); }
Test(replay_mt, window_4096) { window_table(4096, false, true); }
Test(replay, window_64_esn) { window_table(64, true, false); }
Test(replay_mt, window_64_esn) { window_table(64, true, true); }
Test(replay, window_128_esn) { window_table(128, true, false); }
Test(replay_mt, window_128_esn) { window_table(128, true, true); }
Test(replay, window_1024_esn) { window_table(1024, true, false); }
Test(replay_mt, window_1024_esn) { window_table(1024, true, true); }
Test(replay, window_4096_esn) { window_table(4096, true, false); }
Test(replay_mt, window_4096_esn) { window_table(4096, true, true); }

/* Without ESN the number is 32 bits and never wraps (the SA is rekeyed). */
static void no_esn_top(uint32_t size, bool mt)
{
	struct win *r = new_window(size, false, mt);
	const uint64_t W = win_size(r), M = UINT32_MAX;
	const struct step steps[] = {
		ACCEPT(0xfffffff0, 0xfffffff0),
		ACCEPT(M, M),
		ACCEPT(M - 1, M - 1),
		REJECT(M, M),
		REJECT(5, 5),                /* not a wrap: far left */
		REJECT(0, 0),
		REJECT(M - W, M - W),        /* T - W */
		ACCEPT(M - W + 1, M - W + 1),
		STALE(M + 1, 0),             /* more than 32 bits */
		STALE(M + 6, 0),
	};
	RUN(r, steps);
	win_free(r);
}

Test(replay, no_esn_top_64) { no_esn_top(64, false); }
Test(replay_mt, no_esn_top_64) { no_esn_top(64, true); }
Test(replay, no_esn_top_4096) { no_esn_top(4096, false); }
Test(replay_mt, no_esn_top_4096) { no_esn_top(4096, true); }

/*
 * ESN rollover across 2^32, both branches of both A2.2 cases.
 * T0 = 0xfffffff0 (Th 0, case A), T1 = 2^32 + 5 (Th 1, case B).
 */
static void esn_rollover(uint32_t size, bool mt)
{
	struct win *r = new_window(size, true, mt);
	const uint64_t W = win_size(r), E = 1ull << 32;
	const uint64_t T0 = 0xfffffff0, T1 = E + 5, T2 = E + W + 16;
	const struct step steps[] = {
		ACCEPT(0x80000000, 0x80000000),
		ACCEPT(T0, T0),                   /* A: Seql >= Tl-W+1, Seqh = Th */
		ACCEPT(0xffffffe0, 0xffffffe0),   /* out of order */
		ACCEPT(T0 - W + 1, T0 - W + 1),   /* left edge */
		REJECT(T0 - W + 1, T0 - W + 1),
		AHEAD(T0 - W, E + T0 - W),        /* A: Seql < Tl-W+1, Seqh = Th+1 */
		ACCEPT(5, T1),                    /* the rollover: Seqh 1 */
		ACCEPT(0xfffffff8, 0xfffffff8),   /* B: Seql >= Tl-W+1, Seqh = Th-1 */
		REJECT(0xfffffff8, 0xfffffff8),   /* late duplicate */
		REJECT(T0, T0),
		REJECT(0xffffffe0, 0xffffffe0),
		REJECT(5, T1),
		ACCEPT(T1 - W + 1, T1 - W + 1),   /* left edge, in epoch 0 */
		AHEAD(T1 - W, E + (uint32_t)(T1 - W)), /* B: Seql < Tl-W+1, Th */
		STALE(T1 - W, 0),                 /* T - W: left of the window */
		STALE(T0, 0),                     /* duplicate */
		ACCEPT(6, E + 6),                 /* B: Seqh = Th */
		ACCEPT(0, E),                     /* seq_lo 0 is fine in epoch 1 */
		REJECT(0, E),
		ACCEPT(0xffffffff, 0xffffffff),   /* last of epoch 0 */
		ACCEPT(T2, T2),                   /* Tl = W + 16: case A again */
		AHEAD(0xfffffff8, E + 0xfffffff8),/* late 0xfffffff8 now outside */
		STALE(0xfffffff8, 0),
		ACCEPT(T2 - W + 1, T2 - W + 1),   /* = 2^32 + 17 */
		AHEAD(T2 - W, E + T2 - W),        /* A, Seql < Tl-W+1: Th + 1 */
		STALE(T2 - W, 0),                 /* T - W */
	};
	RUN(r, steps);
	win_free(r);
}

Test(replay, esn_rollover_64) { esn_rollover(64, false); }
Test(replay_mt, esn_rollover_64) { esn_rollover(64, true); }
Test(replay, esn_rollover_4096) { esn_rollover(4096, false); }
Test(replay_mt, esn_rollover_4096) { esn_rollover(4096, true); }

/* The A2.2 case boundary Tl = W - 1 / W - 2, and Th - 1 below 0. */
static void esn_case_edge(uint32_t size, bool mt)
{
	struct win *r = new_window(size, true, mt);
	const uint64_t W = win_size(r), E = 1ull << 32;
	const struct step steps[] = {
		NOSEQH(0xfffffff0),               /* B, fresh, Th = 0: Seqh = -1 */
		NOSEQH(E - W + 1),                /* Seql = Tl - W + 1 */
		ACCEPT(W - 2, W - 2),             /* Tl = W - 2: still case B */
		NOSEQH(0xffffffff),               /* Tl - W + 1 = 0xffffffff */
		ACCEPT(1, 1),
		REJECT(1, 1),
		ACCEPT(W - 1, W - 1),             /* Tl = W - 1: case A */
		ACCEPT(0xffffffff, 0xffffffff),   /* Seql >= 0: Seqh = Th = 0 */
		ACCEPT(3, E + 3),                 /* A, Seql < Tl-W+1: Th + 1 */
		ACCEPT(E - W + 4, E - W + 4),     /* B, Seql = Tl-W+1: Th - 1 */
		AHEAD(E - W + 3, E + E - W + 3),  /* B, Seql < Tl-W+1: Th */
		REJECT(0xffffffff, 0xffffffff),
	};
	RUN(r, steps);
	win_free(r);
}

Test(replay, esn_case_edge_64) { esn_case_edge(64, false); }
Test(replay_mt, esn_case_edge_64) { esn_case_edge(64, true); }
Test(replay, esn_case_edge_4096) { esn_case_edge(4096, false); }
Test(replay_mt, esn_case_edge_4096) { esn_case_edge(4096, true); }

/* Check reads only: the same answer twice; update then marks it. */
static void check_is_pure(bool mt)
{
	struct win *r = new_window(64, false, mt);
	uint64_t s1, s2;

	cr_assert(win_check(r, 7, &s1));
	cr_assert(win_check(r, 7, &s2));
	cr_assert_eq(s1, 7);
	cr_assert_eq(s2, 7);
	cr_assert_eq(win_top(r), 0);
	cr_assert(win_update(r, s1));
	cr_assert_eq(win_top(r), 7);
	cr_assert_not(win_check(r, 7, &s1));
	cr_assert_not(win_check(r, 7, &s1));
	win_free(r);
}

/* Two packets with one number both pass check before either updates:
 * only the first update wins (header contract). */
static void update_race(bool mt)
{
	for (int esn = 0; esn <= 1; esn++) {
		struct win *r = new_window(64, esn, mt);
		uint64_t a, b;

		cr_assert(win_update(r, 100));
		for (uint32_t lo = 90; lo <= 101; lo += 11) { /* inside, ahead */
			cr_assert(win_check(r, lo, &a));
			cr_assert(win_check(r, lo, &b));
			cr_assert_eq(a, b);
			cr_assert(win_update(r, a));
			cr_assert_not(win_update(r, b), "lo %u esn %d", lo, esn);
			cr_assert_not(win_check(r, lo, &a));
		}
		/* Checked while inside, updated after the window moved on. */
		cr_assert(win_check(r, 40, &a));
		cr_assert(win_update(r, 200));
		cr_assert_not(win_update(r, a));
		win_free(r);
	}
}

Test(replay, check_is_pure) { check_is_pure(false); }
Test(replay_mt, check_is_pure) { check_is_pure(true); }
Test(replay, update_race) { update_race(false); }
Test(replay_mt, update_race) { update_race(true); }

Test(replay, bytes_and_init)
{
	static const struct { uint32_t in, size; } cases[] = {
		{ 64, 64 }, { 65, 128 }, { 128, 128 }, { 4095, 4096 }, { 4096, 4096 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t in = cases[i].in, size = cases[i].size;
		struct esp_replay *r = aligned_alloc(64, (esp_replay_bytes(in) + 63) & ~(size_t)63);

		cr_assert_not_null(r);
		esp_replay_init(r, in, i & 1);

		cr_assert_eq(esp_replay_bytes(in),
			     sizeof(struct esp_replay) + size / 64 * sizeof(uint64_t),
			     "size %u", in);
		cr_assert_eq(r->rp_size, size, "size %u", in);
		cr_assert_eq(r->rp_top, 0);
		cr_assert_eq(r->rp_esn, (bool)(i & 1));
		for (uint32_t w = 0; w < size / 64; w++)
			cr_assert_eq(r->rp_bits[w], 0, "size %u word %u", in, w);
		/* Every number of the first window is fresh. */
		for (uint32_t s = 1; s <= size; s++)
			cr_assert(esp_replay_update(r, s), "size %u seq %u", in, s);
		free(r);
	}
}

/*
 * Randomized cross-check against a naive model: the top and a bounded
 * list of the numbers seen inside the window. ESN inference in the model
 * is the interval reading of A2.2 (see the top of the file). A packet
 * whose inferred number is not the one its sender used fails the ICV
 * and is never updated.
 */
struct model {
	uint64_t top;
	uint64_t w;
	bool esn;
	size_t n;
	uint64_t seen[ESP_REPLAY_MAX];
};

static bool model_infer(const struct model *m, uint32_t lo, uint64_t *seq)
{
	if (!m->esn) {
		*seq = lo;
		return true;
	}
	int64_t base = (int64_t)m->top - (int64_t)m->w + 1; /* T - W + 1 */
	int64_t s = base + (int64_t)(uint32_t)(lo - (uint32_t)base);

	if (s < 0)
		return false;
	*seq = (uint64_t)s;
	return true;
}

static bool model_ok(const struct model *m, uint64_t s)
{
	if (s == 0 || (!m->esn && s > UINT32_MAX))
		return false;
	if (s > m->top)
		return true;
	if (s + m->w <= m->top)
		return false;
	for (size_t i = 0; i < m->n; i++)
		if (m->seen[i] == s)
			return false;
	return true;
}

static bool model_mark(struct model *m, uint64_t s)
{
	if (!model_ok(m, s))
		return false;
	if (s > m->top) {
		size_t k = 0;

		m->top = s;
		for (size_t i = 0; i < m->n; i++)
			if (m->seen[i] + m->w > m->top)
				m->seen[k++] = m->seen[i];
		m->n = k;
	}
	cr_assert_lt(m->n, m->w);
	m->seen[m->n++] = s;
	return true;
}

static uint64_t rnd(uint64_t *x) /* xorshift64* */
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dull;
}

/*
 * The number a sender might have sent, around the model's top (per
 * mille); hist holds the last 64 picks. Big jumps are rare so the window
 * fills up between them; with ESN they land just short of a multiple of
 * 2^32 so that the in-order traffic after them rolls Seqh over.
 */
static uint64_t pick(const struct model *m, const uint64_t *hist, uint64_t *x)
{
	uint64_t p = rnd(x) % 1000, v = rnd(x), t = m->top, w = m->w;

	if (p < 330)
		return t + 2 - v % (w + 8);             /* the window and its edge */
	if (p < 430)
		return hist[v % 64];                    /* a recent one again */
	if (p < 530 && m->n > 0)
		return m->seen[v % m->n];               /* any seen one again */
	if (p < 780)
		return t + 1 + v % 4;                   /* in order */
	if (p < 860)
		return t + 1 + v % 64;                  /* a gap */
	if (p < 985)
		return t - w - v % 1000;                /* left of the window */
	if (p < 995)
		return v;                               /* anything */
	if (p < 998)
		return t + w + v % (4 * w);             /* beyond the window */
	if (!m->esn)
		return t + 1 + v % (1u << 20);
	/* just short of the end of this epoch, or of the next one */
	uint64_t end = (t | UINT32_MAX) - v % (2 * w);

	return end > t ? end : end + (1ull << 32);
}

static void cross_check(uint32_t size, bool esn, bool mt)
{
	struct win *r = new_window(size, esn, mt);
	struct model *m = calloc(1, sizeof(*m));
	uint64_t x = 0x9e3779b97f4a7c15ull ^ size ^ esn; /* fixed seed */
	uint64_t pending[8] = { 0 }, hist[64] = { 0 };

	cr_assert_not_null(m);
	m->w = win_size(r);
	m->esn = esn;
	for (int op = 0; op < 100000; op++) {
		uint64_t sent = pick(m, hist, &x);
		uint32_t lo = (uint32_t)sent;
		uint64_t ms = 0, rs = 0;
		bool minf = model_infer(m, lo, &ms);
		bool mok = minf && model_ok(m, ms);
		bool rok = win_check(r, lo, &rs);
		bool icv = minf && ms == sent; /* else the ICV fails */
		uint64_t a = rnd(&x) % 100;

		hist[op % 64] = sent;
		cr_assert_eq(rok, mok, "op %d lo %#x top %#llx", op, lo,
			     (unsigned long long)m->top);
		if (minf)
			cr_assert_eq(rs, ms, "op %d lo %#x: seq", op, lo);
		if (icv && mok && a < 85) {             /* verified: update */
			cr_assert_eq(win_update(r, rs), model_mark(m, ms),
				     "op %d update %#llx", op, (unsigned long long)rs);
		} else if (icv && mok && a < 95) {      /* in flight a while */
			pending[rnd(&x) % 8] = rs;
		} else if (a >= 95) {                   /* a late update */
			uint64_t s = pending[rnd(&x) % 8];

			cr_assert_eq(win_update(r, s), model_mark(m, s),
				     "op %d late update %#llx", op,
				     (unsigned long long)s);
		}
		cr_assert_eq(win_top(r), m->top, "op %d: top", op);
		if (op % 1000 == 999)                   /* the whole window */
			for (uint64_t d = 0; d < m->w && d < m->top; d++) {
				uint64_t s = m->top - d;

				cr_assert_eq(win_check(r, (uint32_t)s, &rs),
					     model_ok(m, s), "op %d seq %#llx", op,
					     (unsigned long long)s);
				cr_assert_eq(rs, s);
			}
	}
	free(m);
	win_free(r);
}

Test(replay, random_64) { cross_check(64, false, false); }
Test(replay_mt, random_64) { cross_check(64, false, true); }
Test(replay, random_4096) { cross_check(4096, false, false); }
Test(replay_mt, random_4096) { cross_check(4096, false, true); }
Test(replay, random_64_esn) { cross_check(64, true, false); }
Test(replay_mt, random_64_esn) { cross_check(64, true, true); }
Test(replay, random_4096_esn) { cross_check(4096, true, false); }
Test(replay_mt, random_4096_esn) { cross_check(4096, true, true); }

/*
 * Two threads on one shared window, as two workers decrypting one SA:
 * each packet checked, then updated (the ICV always verifies here). Per
 * number, the accepted updates are counted: never more than one. The
 * threads are kept within 8 blocks (256 numbers) of each other, well
 * inside the 1024-packet window, so no number is too old when it comes:
 * every one is accepted exactly once (a refusal as too old would be
 * counted in rm_late, and is allowed for by the check). Numbers
 * resent after they were accepted, across threads, are all refused.
 */
enum { RACE_N = 1 << 20, RACE_THREADS = 2, RACE_LEAD = 8 };

struct race {
	struct esp_replay_mt *w;
	uint8_t *accepted;     /* per number, atomic */
	uint64_t *progress;    /* per thread: blocks done, atomic */
	bool same;             /* both threads send every number */
	unsigned idx;
	uint64_t dup_refused;  /* resends refused (all must be) */
	uint64_t resent;
	uint64_t refused;      /* first sendings refused */
	pthread_barrier_t *go;
};

static void race_one(struct race *a, uint64_t s, bool resend)
{
	uint64_t full;
	bool ok;

	if (resend && !__atomic_load_n(&a->accepted[s], __ATOMIC_ACQUIRE))
		return; /* not in yet: it would be no duplicate */
	a->resent += resend;
	ok = esp_replay_mt_check(a->w, (uint32_t)s, &full) && full == s &&
	     esp_replay_mt_update(a->w, full) == ESP_RMT_ACCEPTED;
	if (ok)
		__atomic_fetch_add(&a->accepted[s], 1, __ATOMIC_RELEASE);
	else if (resend)
		a->dup_refused++;
	else
		a->refused++;
}

/* Waits until the other thread is at most RACE_LEAD blocks behind. */
static void race_pace(struct race *a, uint64_t b)
{
	uint64_t *other = &a->progress[1 - a->idx];
	time_t end = time(NULL) + 30;

	while (__atomic_load_n(other, __ATOMIC_ACQUIRE) + RACE_LEAD < b &&
	       __atomic_load_n(other, __ATOMIC_ACQUIRE) < RACE_N / 32 && time(NULL) < end)
		sched_yield();
}

static void *race_thread(void *arg)
{
	struct race *a = arg;
	uint64_t x = 0x51ed2701u + a->idx;

	pthread_barrier_wait(a->go);
	for (uint64_t b = 0; b < RACE_N / 32; b++) {
		/* disjoint: blocks of 32 alternate between the threads, as a
		 * distributor hands out bursts; a few swapped within one */
		race_pace(a, b);
		__atomic_store_n(&a->progress[a->idx], b, __ATOMIC_RELEASE);
		if (!a->same && b % RACE_THREADS != a->idx)
			continue;
		for (uint64_t k = 0; k < 32; k += 2) {
			uint64_t swap = rnd(&x) % 4 == 0, s = b * 32 + k;

			if (s + swap > 0)
				race_one(a, s + swap, false);
			if (s + !swap > 0)
				race_one(a, s + !swap, false);
		}
		/* duplicates: one of the other thread's last block (sent
		 * by then or soon), one of this thread's own */
		if (!a->same && b >= 2) {
			race_one(a, (b - 1) * 32 + rnd(&x) % 32 + (b == 2), true);
			race_one(a, (b - 2) * 32 + rnd(&x) % 32 + (b == 2), true);
		}
	}
	__atomic_store_n(&a->progress[a->idx], RACE_N / 32, __ATOMIC_RELEASE);
	return NULL;
}

static void race(bool same, bool esn)
{
	struct win *r = new_window(1024, esn, true);
	uint8_t *accepted = calloc(RACE_N + 64, 1);
	struct race a[RACE_THREADS];
	pthread_t t[RACE_THREADS];
	pthread_barrier_t go;
	uint64_t missing = 0, resent = 0, dup_refused = 0, refused = 0;
	uint64_t progress[RACE_THREADS] = { 0 };

	cr_assert_not_null(accepted);
	pthread_barrier_init(&go, NULL, RACE_THREADS);
	for (unsigned i = 0; i < RACE_THREADS; i++) {
		a[i] = (struct race){ .w = r->mt, .accepted = accepted, .same = same,
				      .idx = i, .go = &go, .progress = progress };
		cr_assert_eq(pthread_create(&t[i], NULL, race_thread, &a[i]), 0);
	}
	for (unsigned i = 0; i < RACE_THREADS; i++) {
		pthread_join(t[i], NULL);
		resent += a[i].resent;
		dup_refused += a[i].dup_refused;
		refused += a[i].refused;
	}
	for (uint64_t s = 1; s < RACE_N; s++) {
		cr_assert_leq(accepted[s], 1, "seq %llu accepted %u times",
			      (unsigned long long)s, accepted[s]);
		missing += accepted[s] == 0;
	}
	cr_expect_eq(dup_refused, resent, "every resent number refused");
	if (!same)
		cr_expect_gt(resent, RACE_N / 64, "duplicates were sent");
	cr_expect_eq(missing, 0, "%llu numbers never accepted (%llu late refusals)",
		     (unsigned long long)missing, (unsigned long long)r->mt->rm_late);
	/* same: each number twice, one of each pair refused */
	cr_expect_eq(refused, same ? RACE_N - 1 : 0, "first sendings refused");
	pthread_barrier_destroy(&go);
	free(accepted);
	win_free(r);
}

Test(replay_mt, two_threads_same_numbers) { race(true, false); }
Test(replay_mt, two_threads_same_numbers_esn) { race(true, true); }
Test(replay_mt, two_threads_disjoint_blocks_with_duplicates) { race(false, false); }
Test(replay_mt, two_threads_disjoint_blocks_with_duplicates_esn) { race(false, true); }
