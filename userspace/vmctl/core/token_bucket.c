// SPDX-License-Identifier: GPL-2.0
/*
 * Token buckets (token_bucket.h). Credit is kept in token-nanoseconds so
 * that refilling is one multiplication, exact at any rate: no fractions
 * of a token lost to rounding, however often it is asked.
 */
#include "core/token_bucket.h"

#define NSEC	1000000000ull

void token_bucket_init(struct token_bucket *tb, uint64_t rate,
		       uint64_t burst, uint64_t now_ns)
{
	tb->rate = rate;
	tb->burst = burst ? burst : 1;
	tb->credit = (__int128)tb->burst * NSEC;
	tb->last_ns = now_ns;
}

static void refill(struct token_bucket *tb, uint64_t now_ns)
{
	__int128 full = (__int128)tb->burst * NSEC;

	if (now_ns <= tb->last_ns)
		return;		/* the same instant, or a clock from before */
	tb->credit += (__int128)(now_ns - tb->last_ns) * tb->rate;
	if (tb->credit > full)
		tb->credit = full;
	tb->last_ns = now_ns;
}

uint64_t token_bucket_wait(struct token_bucket *tb, uint64_t n,
			   uint64_t now_ns)
{
	__int128 need;

	if (!tb->rate)
		return 0;
	refill(tb, now_ns);
	need = (__int128)(n < tb->burst ? n : tb->burst) * NSEC;
	if (tb->credit >= need)
		return 0;
	/* Rounded up: woken at that time, it has enough. */
	return (uint64_t)((need - tb->credit + tb->rate - 1) / tb->rate);
}

void token_bucket_take(struct token_bucket *tb, uint64_t n)
{
	if (tb->rate)
		tb->credit -= (__int128)n * NSEC;
}
