/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A token bucket: a rate limit with a burst, as Firecracker's rate
 * limiter has one for operations and one for bytes. Tokens come at @rate
 * a second up to @burst held; a request of n tokens goes when the bucket
 * holds n (or is full, for one larger than the bucket, which then owes
 * the rest: the long-run rate holds whatever the request sizes). Time is
 * the caller's (CLOCK_MONOTONIC ns), so that tests can drive it.
 *
 * Not thread-safe: each bucket belongs to one I/O thread.
 */
#ifndef VMCTL_TOKEN_BUCKET_H
#define VMCTL_TOKEN_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct token_bucket {
	uint64_t rate;		/* tokens a second; 0: no limit */
	uint64_t burst;		/* the most it holds, at least 1 */
	__int128 credit;	/* tokens x 1e9 (token-nanoseconds); < 0: owed */
	uint64_t last_ns;	/* when credit was last brought up to date */
};

/* A full bucket at @now_ns; @rate 0 makes one that never waits. */
void token_bucket_init(struct token_bucket *tb, uint64_t rate,
		       uint64_t burst, uint64_t now_ns);
/*
 * Nanoseconds until @n tokens can be taken at @now_ns (0: now). Takes
 * nothing: token_bucket_take() does, once every bucket a request needs
 * has said 0.
 */
uint64_t token_bucket_wait(struct token_bucket *tb, uint64_t n,
			   uint64_t now_ns);
void token_bucket_take(struct token_bucket *tb, uint64_t n);

static inline bool token_bucket_limited(const struct token_bucket *tb)
{
	return tb->rate != 0;
}

#endif
