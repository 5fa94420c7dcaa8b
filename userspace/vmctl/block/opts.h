/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A disk as the command line gives it:
 *   --disk PATH[,readonly][,cache=none|writeback][,serial=S][,iops=N][,bps=N]
 * PATH may not contain a comma. iops= and bps= limit the requests and the
 * bytes a second that the guest gets served (virtio/blk.c's token
 * buckets; bps takes K, M and G for KiB, MiB and GiB).
 */
#ifndef VMCTL_BLOCK_OPTS_H
#define VMCTL_BLOCK_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLOCK_SERIAL_MAX	20	/* VIRTIO_BLK_ID_BYTES */
#define BLOCK_PATH_MAX		4096
#define BLOCK_MAX_IOPS		10000000ull
#define BLOCK_MAX_BPS		(1ull << 40)

enum block_cache {
	/*
	 * The host's page cache holds writes until the guest flushes
	 * (fdatasync). The default, as in QEMU.
	 */
	BLOCK_CACHE_WRITEBACK,
	/*
	 * O_DIRECT: no host page cache (no double caching, no host memory
	 * pressure), but the disk's own volatile cache still needs flushes.
	 */
	BLOCK_CACHE_NONE,
};

struct block_opts {
	char path[BLOCK_PATH_MAX];
	bool readonly;
	enum block_cache cache;
	char serial[BLOCK_SERIAL_MAX + 1];	/* NUL-terminated, may be empty */
	uint64_t iops, bps;	/* requests, bytes a second; 0: no limit */
};

/*
 * Parse @arg into @o. 0, or -1 with a one-line reason in @err (@errlen
 * bytes, for the caller to print after "vmctl run: --disk: ").
 */
int block_opts_parse(const char *arg, struct block_opts *o, char *err,
		     size_t errlen);

#endif /* VMCTL_BLOCK_OPTS_H */
