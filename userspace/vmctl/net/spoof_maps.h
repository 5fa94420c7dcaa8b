/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The maps shared by the anti-spoofing program (spoof.bpf.c) and its
 * loader (spoof.c). Only uapi headers here (<linux/bpf.h> for struct
 * bpf_spin_lock): the BPF side has no libc headers, so spoof.h (stdint.h) cannot be included there; spoof.c checks
 * at compile time that these numbers agree with spoof.h's.
 */
#ifndef VMCTL_NET_SPOOF_MAPS_H
#define VMCTL_NET_SPOOF_MAPS_H

#include <linux/bpf.h>
#include <linux/types.h>

#define SPOOF_MAP_MAX_IPV4	8
#define SPOOF_MAP_MAX_IPV6	8

/*
 * Index of the per-CPU counter array: the frames passed, then one per
 * enum spoof_reason in its order (SPOOF_CNT_DROP + reason).
 */
enum {
	SPOOF_CNT_PASSED,
	SPOOF_CNT_DROP,
	SPOOF_CNT_DROP_MAC = SPOOF_CNT_DROP,
	SPOOF_CNT_DROP_IPV4,
	SPOOF_CNT_DROP_ARP,
	SPOOF_CNT_DROP_IPV6,
	SPOOF_CNT_DROP_MALFORMED,
	SPOOF_CNT_DROP_RATE,
	SPOOF_NR_COUNTERS,
};

/* spoof_map_config.flags */
#define SPOOF_CFG_NO_RULES	0x1	/* spoof=off with rate=: police only */

/*
 * The one entry of the config array: struct spoof_config with fixed-size
 * fields and explicit padding, so that both compilers (clang for BPF, cc
 * for vmctl) lay it out the same way.
 */
struct spoof_map_config {
	__u8 mac[6];
	__u8 pad[2];
	__u32 nipv4;
	__u32 nipv6;
	__u32 ipv4[SPOOF_MAP_MAX_IPV4];		/* network byte order */
	__u8 ipv6[SPOOF_MAP_MAX_IPV6][16];
	__u32 flags;				/* SPOOF_CFG_* */
	__u32 burst;				/* the policer's bucket, bytes */
	__u64 rate;				/* bytes per second, 0: no policer */
};

/*
 * The policer's bucket, the one entry of spoof_rate: in nanoseconds of
 * the rate rather than in bytes (as sch_tbf keeps its tokens), so that a
 * refill is a subtraction of two clock readings, with no remainder lost
 * however often frames come. The lock: the queues of a multi-queue tap
 * are served on several CPUs at once.
 */
struct spoof_rate_state {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 tokens;				/* ns worth of bytes in the bucket */
	__u64 last;				/* bpf_ktime_get_ns() of the refill */
};

#endif /* VMCTL_NET_SPOOF_MAPS_H */
