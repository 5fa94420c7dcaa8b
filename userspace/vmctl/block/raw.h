/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A raw disk image (a regular file or a block device) as a virtio-blk
 * back end: byte offsets, bounds-checked against the size, served with
 * plain syscalls from the device's I/O thread.
 *
 * The image is locked with an OFD lock for as long as it is open: a write
 * lock when it is writable, a read lock when read-only, so that readers
 * share an image and a writer has it alone. Two VMs writing one image
 * would corrupt it; the lock makes the second one fail up front instead.
 */
#ifndef VMCTL_BLOCK_RAW_H
#define VMCTL_BLOCK_RAW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "block/opts.h"

#define BLOCK_SECTOR		512

struct raw_image {
	int fd;
	uint64_t size;			/* bytes, a multiple of BLOCK_SECTOR */
	bool readonly;
	bool direct;			/* O_DIRECT: cache=none */
	bool no_zero_range;		/* FALLOC_FL_ZERO_RANGE refused once */
	const char *path;		/* for messages; the caller's string */
};

/*
 * Open @path as @o says, lock it, and check its size. 0, or -1 with a
 * message on stderr that names the image and what is wrong: missing,
 * unreadable, locked by another process, or a size that is not whole
 * sectors.
 */
int raw_open(struct raw_image *img, const char *path, bool readonly,
	     enum block_cache cache);
void raw_close(struct raw_image *img);

/*
 * Read or write @len bytes at @off from/into @iov (@n entries holding
 * exactly @len bytes). The whole range must lie inside the image. 0, or
 * -errno (-ERANGE for a range outside the image, -EROFS when read-only).
 */
int raw_read(struct raw_image *img, const struct iovec *iov, int n,
	     uint64_t off, uint64_t len);
int raw_write(struct raw_image *img, const struct iovec *iov, int n,
	      uint64_t off, uint64_t len);
/* Make completed writes durable: fdatasync. 0 or -errno. */
int raw_flush(struct raw_image *img);
/* Deallocate (reads as zeroes after, where the file system supports it). */
int raw_discard(struct raw_image *img, uint64_t off, uint64_t len);
/* Zero the range; @unmap allows deallocating it. */
int raw_write_zeroes(struct raw_image *img, uint64_t off, uint64_t len,
		     bool unmap);

#endif /* VMCTL_BLOCK_RAW_H */
