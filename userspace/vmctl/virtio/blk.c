// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (blk.h): the device side of virtio 1.2, 5.2, over a raw
 * image. The transport is virtio/pci.c, but nothing below knows it: the
 * device sees a struct virtio_dev, its queue and its kick eventfd.
 *
 * Threading: one I/O thread per disk, started at DRIVER_OK (ops->start)
 * and joined at reset or destruction (ops->stop). It waits in poll() on
 * the queue's kick eventfd and a stop eventfd, and serves requests with
 * preadv/pwritev straight into guest memory (the chain's iovecs), so the
 * only copies are of the 16-byte headers and segments, which are read
 * once (virtq_guest_read) before they are checked.
 *
 * Every request comes from a possibly hostile guest: the header must be
 * 16 readable bytes, the status the last writable byte, the data a whole
 * number of sectors inside the image; anything else is IOERR (or UNSUPP
 * for what we do not implement), and a chain without a status byte at
 * all, which cannot be answered, breaks the device (DEVICE_NEEDS_RESET).
 */
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "block/raw.h"
#include "core/clock.h"
#include "core/token_bucket.h"
#include "virtio/blk.h"
#include "virtio/pci.h"
#include "virtio/virtio.h"
#include "virtio/worker.h"

#define BLK_QUEUE_SIZE		256
/* The header and the status take one descriptor each. */
#define BLK_SEG_MAX		(BLK_QUEUE_SIZE - 2)
/* Bounds for one DISCARD / WRITE_ZEROES segment and request. */
#define BLK_DWZ_MAX_SECTORS	(1u << 22)	/* 2 GiB */
#define BLK_DWZ_MAX_SEG		32
/* A discard hint for the guest: host file systems free 4 KiB blocks. */
#define BLK_DISCARD_ALIGN	8		/* sectors */
/* iops= and bps=: the buckets hold a tenth of a second at the rate. */
#define BLK_BURST_DIV		10

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX		2
#define VIRTIO_BLK_F_RO			5
#define VIRTIO_BLK_F_BLK_SIZE		6
#define VIRTIO_BLK_F_FLUSH		9
#define VIRTIO_BLK_F_DISCARD		13
#define VIRTIO_BLK_F_WRITE_ZEROES	14

/* Request types and status (5.2.6). */
#define VIRTIO_BLK_T_IN			0
#define VIRTIO_BLK_T_OUT		1
#define VIRTIO_BLK_T_FLUSH		4
#define VIRTIO_BLK_T_GET_ID		8
#define VIRTIO_BLK_T_DISCARD		11
#define VIRTIO_BLK_T_WRITE_ZEROES	13
#define VIRTIO_BLK_S_OK			0
#define VIRTIO_BLK_S_IOERR		1
#define VIRTIO_BLK_S_UNSUPP		2
#define VIRTIO_BLK_WZ_F_UNMAP		1

/*
 * struct virtio_blk_config (5.2.4), little-endian like the host; packed
 * only to drop the tail padding: every field is naturally aligned.
 */
struct __attribute__((packed)) virtio_blk_config {
	uint64_t capacity;		/* 512-byte sectors */
	uint32_t size_max;
	uint32_t seg_max;
	uint16_t cylinders;
	uint8_t heads, sectors;
	uint32_t blk_size;
	uint8_t physical_block_exp, alignment_offset;
	uint16_t min_io_size;
	uint32_t opt_io_size;
	uint8_t writeback, unused0;
	uint16_t num_queues;
	uint32_t max_discard_sectors;
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors;
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
	uint8_t unused1[3];
};
static_assert(sizeof(struct virtio_blk_config) == 60, "5.2.4 layout");
static_assert(offsetof(struct virtio_blk_config, max_discard_sectors) == 36,
	      "5.2.4 layout");

struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct virtio_blk_dwz_seg {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

struct virtio_blk {
	struct block_opts opts;
	struct raw_image *img;		/* the caller's, open while we exist */
	struct virtio_pci *pci;
	struct virtio_blk_config config;
	uint64_t features;
	/* Between start and stop: */
	struct virtio_dev *vdev;
	struct virtio_worker io;	/* the I/O thread */
	bool io_error_told;
	/*
	 * iops= and bps= (the I/O thread's, reset at each start): a request
	 * the buckets cannot pay for yet stays popped in @chain (@held) until
	 * they can, and the thread sleeps until then instead of on kicks.
	 */
	struct token_bucket ops, bytes;
	bool held;
	uint64_t wait_ns;	/* with @held: how long, from when it was said */
	uint64_t held_since;
	_Atomic uint64_t throttled, throttled_ns;	/* for vmctl info */
	/* The I/O thread's scratch: a chain, and its data part. */
	struct virtq_chain chain;
	struct iovec iov[BLK_QUEUE_SIZE];
	struct iovec data[BLK_QUEUE_SIZE];
};

/*
 * FLUSH is offered when the cache mode leaves writes volatile after they
 * complete, and both of ours do: cache=writeback obviously (the host's
 * page cache), and cache=none too, because O_DIRECT only bypasses the page
 * cache: the write can still sit in the disk's volatile write cache, and
 * file system metadata (a block allocated in a sparse image) is not
 * committed without fdatasync either. Not offering it would tell the
 * guest that a completed write is durable, which neither mode makes true.
 * Only a write-through mode (O_DSYNC) could do without, and if the driver
 * does not accept FLUSH, we behave as one (see write_through()).
 */
static bool cache_needs_flush(enum block_cache cache)
{
	switch (cache) {
	case BLOCK_CACHE_WRITEBACK:
	case BLOCK_CACHE_NONE:
		return true;
	}
	return true;
}

/* ---- chain helpers ---- */

/*
 * Into @dst (room for BLK_QUEUE_SIZE): the part of @src[0, @n) that is
 * @len bytes from byte @skip on. The number of entries.
 */
static unsigned int iov_slice(const struct iovec *src, unsigned int n,
			      size_t skip, size_t len, struct iovec *dst)
{
	unsigned int i, out = 0;

	for (i = 0; i < n && len; i++) {
		size_t take;

		if (skip >= src[i].iov_len) {
			skip -= src[i].iov_len;
			continue;
		}
		take = src[i].iov_len - skip;
		if (take > len)
			take = len;
		dst[out++] = (struct iovec){
			.iov_base = (char *)src[i].iov_base + skip,
			.iov_len = take,
		};
		len -= take;
		skip = 0;
	}
	return out;
}

/* Copy @len bytes from @iov's byte @skip on, reading guest memory once. */
static void iov_read(const struct iovec *iov, unsigned int n, size_t skip,
		     void *dst, size_t len)
{
	struct iovec part[BLK_QUEUE_SIZE];
	unsigned int i, k = iov_slice(iov, n, skip, len, part);
	char *d = dst;

	for (i = 0; i < k; i++) {
		virtq_guest_read(d, part[i].iov_base, part[i].iov_len);
		d += part[i].iov_len;
	}
}

static void iov_write(const struct iovec *iov, unsigned int n, const void *src,
		      size_t len)
{
	const char *s = src;
	unsigned int i;

	for (i = 0; i < n && len; i++) {
		size_t take = iov[i].iov_len < len ? iov[i].iov_len : len;

		memcpy(iov[i].iov_base, s, take);
		s += take;
		len -= take;
	}
}

/* ---- requests ---- */

static uint64_t capacity(const struct virtio_blk *b)
{
	return b->img->size / BLOCK_SECTOR;
}

static bool range_ok(const struct virtio_blk *b, uint64_t sector,
		     uint64_t nsect)
{
	return sector <= capacity(b) && nsect <= capacity(b) - sector;
}

static uint8_t io_status(struct virtio_blk *b, int err, const char *what)
{
	if (!err)
		return VIRTIO_BLK_S_OK;
	/* The host's disk failing is worth a line, once, not one per request. */
	if (err != -ERANGE && !b->io_error_told) {
		b->io_error_told = true;
		fprintf(stderr, "vmctl: %s: %s failed: %s (the guest sees I/O errors)\n",
			b->opts.path, what, strerror(-err));
	}
	return VIRTIO_BLK_S_IOERR;
}

/* Without FLUSH negotiated, a completed write must be durable (5.2.6.2). */
static int write_through(struct virtio_blk *b, int err)
{
	if (!err && !virtio_has_feature(b->vdev, VIRTIO_BLK_F_FLUSH))
		err = raw_flush(b->img);
	return err;
}

static uint8_t do_dwz(struct virtio_blk *b, const struct virtq_chain *c,
		      bool discard, uint32_t dlen)
{
	struct virtio_blk_dwz_seg seg[BLK_DWZ_MAX_SEG];
	unsigned int i, nseg = dlen / sizeof(seg[0]);
	int err = 0;

	/* A read-only disk refuses writes of any kind as I/O errors. */
	if (b->img->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (!virtio_has_feature(b->vdev, discard ? VIRTIO_BLK_F_DISCARD :
					  VIRTIO_BLK_F_WRITE_ZEROES))
		return VIRTIO_BLK_S_UNSUPP;
	if (!nseg || dlen % sizeof(seg[0]) || nseg > BLK_DWZ_MAX_SEG ||
	    c->in_len != 1)
		return VIRTIO_BLK_S_IOERR;
	iov_read(c->iov, c->nr_out, sizeof(struct virtio_blk_req_hdr), seg, dlen);
	/* All segments are checked before any is done. */
	for (i = 0; i < nseg; i++) {
		if (seg[i].flags & ~(uint32_t)VIRTIO_BLK_WZ_F_UNMAP ||
		    (discard && seg[i].flags))
			return VIRTIO_BLK_S_UNSUPP;
		if (seg[i].num_sectors > BLK_DWZ_MAX_SECTORS ||
		    !range_ok(b, seg[i].sector, seg[i].num_sectors))
			return VIRTIO_BLK_S_IOERR;
	}
	for (i = 0; i < nseg && !err; i++) {
		uint64_t off = seg[i].sector * BLOCK_SECTOR,
			 len = (uint64_t)seg[i].num_sectors * BLOCK_SECTOR;

		err = discard ? raw_discard(b->img, off, len) :
				raw_write_zeroes(b->img, off, len,
						 seg[i].flags & VIRTIO_BLK_WZ_F_UNMAP);
	}
	return io_status(b, write_through(b, err),
			 discard ? "discard" : "write zeroes");
}

/*
 * Serve one chain; its status byte is written here. Returns the bytes
 * written into the chain (for the used ring), or -1 if it has no status
 * byte: then the device is broken.
 */
static int64_t handle(struct virtio_blk *b, const struct virtq_chain *c)
{
	const struct iovec *in = c->iov + c->nr_out, *last;
	struct virtio_blk_req_hdr h;
	uint32_t olen, dlen = 0;
	unsigned int nd = 0;
	uint8_t status = VIRTIO_BLK_S_IOERR;
	int64_t written = 1;
	int err;

	if (!c->in_len) {
		virtio_dev_broken(b->vdev, "virtio-blk request without a status byte");
		return -1;
	}
	last = &in[c->nr_in - 1];
	if (c->out_len < sizeof(h))
		goto done;
	iov_read(c->iov, c->nr_out, 0, &h, sizeof(h));
	olen = c->out_len - sizeof(h);

	switch (h.type) {
	case VIRTIO_BLK_T_IN:
		dlen = c->in_len - 1;
		if (olen || dlen % BLOCK_SECTOR ||
		    !range_ok(b, h.sector, dlen / BLOCK_SECTOR))
			break;
		nd = iov_slice(in, c->nr_in, 0, dlen, b->data);
		err = raw_read(b->img, b->data, nd, h.sector * BLOCK_SECTOR, dlen);
		status = io_status(b, err, "read");
		if (!err)
			written += dlen;
		break;
	case VIRTIO_BLK_T_OUT:
		if (b->img->readonly || c->in_len != 1 || olen % BLOCK_SECTOR ||
		    !range_ok(b, h.sector, olen / BLOCK_SECTOR))
			break;
		nd = iov_slice(c->iov, c->nr_out, sizeof(h), olen, b->data);
		err = raw_write(b->img, b->data, nd, h.sector * BLOCK_SECTOR, olen);
		status = io_status(b, write_through(b, err), "write");
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = io_status(b, raw_flush(b->img), "flush");
		break;
	case VIRTIO_BLK_T_GET_ID: {
		char id[BLOCK_SERIAL_MAX] = { 0 };

		/* 5.2.6: 20 bytes, NUL-padded, not terminated when full. */
		memcpy(id, b->opts.serial, strnlen(b->opts.serial, sizeof(id)));
		dlen = c->in_len - 1;
		if (dlen > sizeof(id))
			dlen = sizeof(id);
		nd = iov_slice(in, c->nr_in, 0, dlen, b->data);
		iov_write(b->data, nd, id, dlen);
		written += dlen;
		status = VIRTIO_BLK_S_OK;
		break;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = do_dwz(b, c, h.type == VIRTIO_BLK_T_DISCARD, olen);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
done:
	/* The status is the last writable byte, whatever came before it. */
	((uint8_t *)last->iov_base)[last->iov_len - 1] = status;
	return written;
}

static uint64_t now_ns(void)
{
	return vmctl_clock_ns(CLOCK_MONOTONIC);
}

/*
 * Whether the buckets pay for request @c now (and then they do); if not,
 * how long until they can, in b->wait_ns. What a request costs in bytes
 * is what it carries besides its header and status: the data of a read
 * or write (a guest that lies about the type pays for its buffers all
 * the same).
 */
static bool paid(struct virtio_blk *b, const struct virtq_chain *c)
{
	uint64_t t = now_ns(), n = c->in_len - 1, wait;

	if (!token_bucket_limited(&b->ops) && !token_bucket_limited(&b->bytes))
		return true;
	if (c->out_len > sizeof(struct virtio_blk_req_hdr))
		n += c->out_len - sizeof(struct virtio_blk_req_hdr);
	wait = token_bucket_wait(&b->ops, 1, t);
	if (!wait)
		wait = token_bucket_wait(&b->bytes, n, t);
	if (wait) {
		b->wait_ns = wait;
		return false;
	}
	token_bucket_take(&b->ops, 1);
	token_bucket_take(&b->bytes, n);
	return true;
}

/*
 * Serve until the ring is empty with kicks enabled, a request has to wait
 * for the rate limits (b->held), or we are told to stop.
 */
static void serve(struct virtio_blk *b)
{
	struct virtio_dev *vdev = b->vdev;
	struct virtq *q = &vdev->q[0].vq;
	struct virtq_chain *c = &b->chain;
	int r = 0;

	if (!vdev->q[0].enabled)
		return;
	do {
		virtq_disable_notify(q);
		while (!virtio_worker_stopping(&b->io) && !virtio_dev_is_broken(vdev) &&
		       (b->held || (r = virtq_pop(q, c)) > 0)) {
			int64_t written;

			/* Notifications stay off: the timeout brings us back. */
			if (!paid(b, c)) {
				if (!b->held) {
					atomic_fetch_add(&b->throttled, 1);
					b->held_since = now_ns();
				}
				b->held = true;
				return;
			}
			if (b->held)
				atomic_fetch_add(&b->throttled_ns, now_ns() - b->held_since);
			b->held = false;
			written = handle(b, c);
			if (written < 0)
				return;
			virtq_push(q, c->head, written);
			virtio_queue_notify(vdev, 0);
		}
		if (virtio_worker_stopping(&b->io) || virtio_dev_is_broken(vdev))
			return;
		if (r < 0) {
			virtio_dev_broken(vdev, q->why);
			return;
		}
	} while (virtq_enable_notify(q));
}

static void *io_thread(void *arg)
{
	struct virtio_blk *b = arg;
	struct pollfd pfd[2] = {
		{ .fd = b->vdev->q[0].kick_fd, .events = POLLIN },
		{ .fd = b->io.stop_fd, .events = POLLIN },
	};
	eventfd_t v;
	int timeout;

	/* Kicks that came before DRIVER_OK are in the ring already. */
	serve(b);
	while (!virtio_worker_stopping(&b->io)) {
		/* Held for the rate limits: back when they can pay, in ms. */
		timeout = -1;
		if (b->held)	/* at most 1 s: a hostile request's wait is no int */
			timeout = b->wait_ns >= 1000000000 ? 1000 :
				  (int)((b->wait_ns + 999999) / 1000000);
		if (poll(pfd, 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "vmctl: %s: poll: %s\n", b->opts.path,
				strerror(errno));
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents & POLLIN)
			eventfd_read(pfd[0].fd, &v);	/* non-blocking */
		if (pfd[0].revents & POLLIN || b->held)
			serve(b);
	}
	return NULL;
}

/* ---- virtio_dev_ops ---- */

static uint64_t blk_features(void *dev)
{
	return ((struct virtio_blk *)dev)->features;
}

static void blk_config_read(void *dev, uint32_t off, void *data,
			    unsigned int len)
{
	struct virtio_blk *b = dev;

	/* The transport checked the range; the config never changes. */
	memcpy(data, (uint8_t *)&b->config + off, len);
}

static void blk_config_write(void *dev, uint32_t off, const void *data,
			     unsigned int len)
{
	/* Only "writeback" is writable, with CONFIG_WCE, which we lack. */
	(void)dev, (void)off, (void)data, (void)len;
}

static int blk_start(void *dev, struct virtio_dev *vdev)
{
	struct virtio_blk *b = dev;

	uint64_t t = now_ns();

	b->vdev = vdev;
	/* A burst of a tenth of a second at the rate: limits at that grain. */
	token_bucket_init(&b->ops, b->opts.iops, b->opts.iops / BLK_BURST_DIV, t);
	token_bucket_init(&b->bytes, b->opts.bps, b->opts.bps / BLK_BURST_DIV, t);
	b->held = false;
	return virtio_worker_start(&b->io, io_thread, b);
}

static void blk_stop(void *dev)
{
	virtio_worker_stop(&((struct virtio_blk *)dev)->io);
}

static const struct virtio_dev_ops virtio_blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.nqueues = 1,
	.queue_max_size = BLK_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_blk_config),
	.features = blk_features,
	.config_read = blk_config_read,
	.config_write = blk_config_write,
	.start = blk_start,
	.stop = blk_stop,
};

struct virtio_blk *virtio_blk_create(struct vmctl_vm *vm,
				     struct pci_host *host,
				     const struct block_opts *o,
				     struct raw_image *img)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));

	if (!b) {
		fprintf(stderr, "vmctl: %s: out of memory\n", o->path);
		return NULL;
	}
	b->opts = *o;
	b->img = img;
	b->chain = (struct virtq_chain){ .iov = b->iov, .max = BLK_QUEUE_SIZE };
	if (virtio_worker_init(&b->io, b->opts.path))
		goto err_free;

	b->features = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
		      VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE);
	if (cache_needs_flush(o->cache))
		b->features |= VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
	if (o->readonly)
		b->features |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
	else
		b->features |= VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) |
			       VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	b->config = (struct virtio_blk_config){
		.capacity = capacity(b),
		.seg_max = BLK_SEG_MAX,
		.blk_size = BLOCK_SECTOR,
		.max_discard_sectors = BLK_DWZ_MAX_SECTORS,
		.max_discard_seg = BLK_DWZ_MAX_SEG,
		.discard_sector_alignment = BLK_DISCARD_ALIGN,
		.max_write_zeroes_sectors = BLK_DWZ_MAX_SECTORS,
		.max_write_zeroes_seg = BLK_DWZ_MAX_SEG,
		.write_zeroes_may_unmap = 1,
	};

	b->pci = virtio_pci_create(vm, host, &virtio_blk_ops, b,
				   VIRTIO_BLK_PCI_CLASS);
	if (!b->pci)
		goto err_worker;
	return b;

err_worker:
	virtio_worker_destroy(&b->io);
err_free:
	free(b);
	return NULL;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	virtio_pci_destroy(b->pci);	/* stops the I/O thread */
	virtio_worker_destroy(&b->io);
	free(b);
}

void virtio_blk_info(struct virtio_blk *b, unsigned int idx, FILE *out)
{
	if (!b->opts.iops && !b->opts.bps)
		return;
	fprintf(out, "disk%u_throttled: %llu\n", idx,
		(unsigned long long)atomic_load(&b->throttled));
	fprintf(out, "disk%u_throttled_ms: %llu\n", idx,
		(unsigned long long)atomic_load(&b->throttled_ns) / 1000000);
}
