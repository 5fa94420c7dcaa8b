// SPDX-License-Identifier: GPL-2.0
/* Raw image files (raw.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/raw.h"

/*
 * O_DIRECT wants buffers aligned to the logical block size (512 or 4096
 * bytes); a guest's buffers usually are, and when they are not the data
 * goes through an aligned bounce buffer, at most this much at a time.
 */
#define DIRECT_ALIGN		4096
#define BOUNCE_MAX		(1u << 20)
/* Writing zeroes by hand, when fallocate cannot: a chunk at a time. */
#define ZERO_CHUNK		(64u << 10)

static int lock_image(struct raw_image *img)
{
	struct flock fl = {
		.l_type = img->readonly ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,	/* l_start = l_len = 0: the whole file */
	};

	if (!fcntl(img->fd, F_OFD_SETLK, &fl))
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		fprintf(stderr, "vmctl: %s: locked by another process (is a VM using it?)\n",
			img->path);
	else
		fprintf(stderr, "vmctl: %s: cannot lock: %s\n", img->path,
			strerror(errno));
	return -1;
}

static int image_size(struct raw_image *img)
{
	struct stat st;

	if (fstat(img->fd, &st)) {
		fprintf(stderr, "vmctl: %s: %s\n", img->path, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		img->size = st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(img->fd, BLKGETSIZE64, &img->size)) {
			fprintf(stderr, "vmctl: %s: BLKGETSIZE64: %s\n",
				img->path, strerror(errno));
			return -1;
		}
	} else {
		fprintf(stderr, "vmctl: %s: not a regular file or a block device\n",
			img->path);
		return -1;
	}
	if (!img->size || img->size % BLOCK_SECTOR) {
		fprintf(stderr, "vmctl: %s: size %llu is not a whole number of 512-byte sectors\n",
			img->path, (unsigned long long)img->size);
		return -1;
	}
	return 0;
}

int raw_open(struct raw_image *img, const char *path, bool readonly,
	     enum block_cache cache)
{
	int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;

	memset(img, 0, sizeof(*img));
	img->path = path;
	img->readonly = readonly;
	img->direct = cache == BLOCK_CACHE_NONE;
	if (img->direct)
		flags |= O_DIRECT;
	img->fd = open(path, flags);
	if (img->fd < 0) {
		if (errno == EINVAL && img->direct)
			fprintf(stderr, "vmctl: %s: the file system refuses O_DIRECT: use cache=writeback\n",
				path);
		else if (errno == ENOENT)
			fprintf(stderr, "vmctl: %s: no such disk image\n", path);
		else if (errno == EACCES || errno == EPERM || errno == EROFS)
			fprintf(stderr, "vmctl: %s: cannot open %s: %s%s\n", path,
				readonly ? "for reading" : "for reading and writing",
				strerror(errno), readonly ? "" : " (add ,readonly?)");
		else
			fprintf(stderr, "vmctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (lock_image(img) || image_size(img)) {
		close(img->fd);
		img->fd = -1;
		return -1;
	}
	return 0;
}

void raw_close(struct raw_image *img)
{
	if (img->fd >= 0)
		close(img->fd);	/* drops the OFD lock */
	img->fd = -1;
}

static int check_range(const struct raw_image *img, uint64_t off, uint64_t len)
{
	return off > img->size || len > img->size - off ? -ERANGE : 0;
}

static bool iov_aligned(const struct iovec *iov, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if ((uintptr_t)iov[i].iov_base % DIRECT_ALIGN ||
		    iov[i].iov_len % BLOCK_SECTOR)
			return false;
	return true;
}

/*
 * Advance @iov/@n past @done bytes, in a private copy that @iov points to
 * (so the caller's array is untouched on the first round).
 */
static void iov_advance(struct iovec **iov, int *n, size_t done)
{
	while (*n && done >= (*iov)->iov_len) {
		done -= (*iov)->iov_len;
		(*iov)++;
		(*n)--;
	}
	if (*n && done) {
		(*iov)->iov_base = (char *)(*iov)->iov_base + done;
		(*iov)->iov_len -= done;
	}
}

/* preadv/pwritev until done: short transfers happen (signals, sizes). */
static int rw_full(struct raw_image *img, bool write, const struct iovec *iov,
		   int n, uint64_t off, uint64_t len)
{
	struct iovec stack[64], *copy = stack, *cur;
	int ret = 0;

	if (n > (int)(sizeof(stack) / sizeof(stack[0]))) {
		copy = malloc(n * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
	}
	memcpy(copy, iov, n * sizeof(*copy));
	cur = copy;
	while (len) {
		int cnt = n > IOV_MAX ? IOV_MAX : n;
		ssize_t r = write ? pwritev(img->fd, cur, cnt, off) :
				    preadv(img->fd, cur, cnt, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			break;
		}
		if (!r) {
			ret = -EIO;	/* the image shrank under us */
			break;
		}
		off += r;
		len -= r;
		iov_advance(&cur, &n, r);
	}
	if (copy != stack)
		free(copy);
	return ret;
}

/* Copy @len bytes between @buf and @iov's bytes from @pos on. */
static void iov_xfer(const struct iovec *iov, int n, size_t pos, char *buf,
		     size_t len, bool to_iov)
{
	int i;

	for (i = 0; i < n && len; i++) {
		char *g = iov[i].iov_base;
		size_t take;

		if (pos >= iov[i].iov_len) {
			pos -= iov[i].iov_len;
			continue;
		}
		take = iov[i].iov_len - pos;
		if (take > len)
			take = len;
		if (to_iov)
			memcpy(g + pos, buf, take);
		else
			memcpy(buf, g + pos, take);
		buf += take;
		len -= take;
		pos = 0;
	}
}

/* O_DIRECT with guest buffers it would refuse: through an aligned copy. */
static int rw_bounce(struct raw_image *img, bool write, const struct iovec *iov,
		     int n, uint64_t off, uint64_t len)
{
	size_t chunk = len < BOUNCE_MAX ? len : BOUNCE_MAX;
	char *buf = aligned_alloc(DIRECT_ALIGN,
				  (chunk + DIRECT_ALIGN - 1) & ~(size_t)(DIRECT_ALIGN - 1));
	uint64_t done;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (done = 0; done < len && !ret; done += chunk) {
		struct iovec b = { .iov_base = buf };

		b.iov_len = len - done < chunk ? len - done : chunk;
		if (write)
			iov_xfer(iov, n, done, buf, b.iov_len, false);
		ret = rw_full(img, write, &b, 1, off + done, b.iov_len);
		if (!ret && !write)
			iov_xfer(iov, n, done, buf, b.iov_len, true);
	}
	free(buf);
	return ret;
}

static int rw(struct raw_image *img, bool write, const struct iovec *iov,
	      int n, uint64_t off, uint64_t len)
{
	int ret = check_range(img, off, len);

	if (ret)
		return ret;
	if (write && img->readonly)
		return -EROFS;
	if (img->direct && !iov_aligned(iov, n))
		return rw_bounce(img, write, iov, n, off, len);
	return rw_full(img, write, iov, n, off, len);
}

int raw_read(struct raw_image *img, const struct iovec *iov, int n,
	     uint64_t off, uint64_t len)
{
	return rw(img, false, iov, n, off, len);
}

int raw_write(struct raw_image *img, const struct iovec *iov, int n,
	      uint64_t off, uint64_t len)
{
	return rw(img, true, iov, n, off, len);
}

int raw_flush(struct raw_image *img)
{
	return fdatasync(img->fd) ? -errno : 0;
}

int raw_discard(struct raw_image *img, uint64_t off, uint64_t len)
{
	int ret = check_range(img, off, len);

	if (ret)
		return ret;
	if (img->readonly)
		return -EROFS;
	if (!fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		       off, len))
		return 0;
	/* A discard is a hint: a file system without holes may ignore it. */
	return errno == EOPNOTSUPP ? 0 : -errno;
}

static int zero_by_writing(struct raw_image *img, uint64_t off, uint64_t len)
{
	void *buf = aligned_alloc(DIRECT_ALIGN, ZERO_CHUNK);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	memset(buf, 0, ZERO_CHUNK);
	while (len && !ret) {
		struct iovec v = { .iov_base = buf,
				   .iov_len = len < ZERO_CHUNK ? len : ZERO_CHUNK };

		ret = rw_full(img, true, &v, 1, off, v.iov_len);
		off += v.iov_len;
		len -= v.iov_len;
	}
	free(buf);
	return ret;
}

int raw_write_zeroes(struct raw_image *img, uint64_t off, uint64_t len,
		     bool unmap)
{
	int ret = check_range(img, off, len);

	if (ret)
		return ret;
	if (img->readonly)
		return -EROFS;
	/* A punched hole reads as zeroes, and frees the space too. */
	if (unmap && !fallocate(img->fd, FALLOC_FL_PUNCH_HOLE |
				FALLOC_FL_KEEP_SIZE, off, len))
		return 0;
	if (!img->no_zero_range &&
	    !fallocate(img->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		       off, len))
		return 0;
	if (errno != EOPNOTSUPP && errno != EINVAL)
		return -errno;
	img->no_zero_range = true;	/* do not ask again */
	return zero_by_writing(img, off, len);
}
