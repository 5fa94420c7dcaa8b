// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-balloon (balloon.h), the device side of virtio 1.2, 5.5.
 *
 * Queues, as Linux and QEMU number them (consecutively, skipping the ones
 * whose feature is off): 0 inflate, 1 deflate, then stats with
 * VIRTIO_BALLOON_F_STATS_VQ, then reporting with VIRTIO_BALLOON_F_REPORTING.
 *
 * One I/O thread, started at DRIVER_OK and joined at reset, serves all
 * four. Every buffer is the guest's and hostile: a page frame number is
 * used only if its page lies wholly in guest RAM (others are counted and
 * skipped: giving back memory the guest does not have does nothing), a
 * reported range only if it is page-aligned and in RAM (the chain's
 * mapping checked that), and a stats buffer is read for whole 10-byte
 * entries only. A chain that breaks the ring's rules breaks the device.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/vm.h"
#include "virtio/balloon.h"
#include "virtio/pci.h"
#include "virtio/virtio.h"
#include "virtio/worker.h"

#define BALLOON_QUEUE_SIZE	256	/* reporting chains are up to 32 long */
#define BALLOON_PAGE		4096ull	/* the balloon's unit, whatever the guest's */
#define BALLOON_PFNS_MAX	256	/* per inflate buffer, as Linux sends */
#define STATS_PERIOD_MS		1000

/* Feature bits (5.5.3). */
#define VIRTIO_BALLOON_F_STATS_VQ	1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM	2
#define VIRTIO_BALLOON_F_REPORTING	5

/* Statistics tags (5.5.6.3). */
#define STATS_TAGS	10
static const char *const stat_names[STATS_TAGS] = {
	"swap_in", "swap_out", "major_faults", "minor_faults", "free_memory",
	"total_memory", "available_memory", "disk_caches", "hugetlb_allocations",
	"hugetlb_failures",
};

enum { Q_INFLATE, Q_DEFLATE, Q_MAX = 4 };

/* struct virtio_balloon_config (5.5.4): what we offer of it. */
struct virtio_balloon_config {
	uint32_t num_pages;	/* the target: the device writes it */
	uint32_t actual;	/* the driver's: pages in the balloon */
};

struct __attribute__((packed)) virtio_balloon_stat {
	uint16_t tag;
	uint64_t val;
};

struct virtio_balloon {
	struct vmctl_vm *vm;
	struct virtio_pci *pci;
	pthread_mutex_t lock;		/* config, stats and counters */
	struct virtio_balloon_config config;
	uint64_t stats[STATS_TAGS];
	uint32_t stats_seen;		/* bit per tag the guest reported */
	uint64_t inflated, deflated, reported;	/* pages */
	uint64_t bad_pfns;		/* outside guest RAM, skipped */
	uint64_t negotiated;		/* the driver's features, at DRIVER_OK */
	/* Between start and stop: */
	struct virtio_dev *vdev;
	struct virtio_worker io;	/* the I/O thread */
	int stats_q, report_q;		/* queue indexes, -1 when off */
	bool stats_held;		/* a stats buffer we keep until we want more */
	uint16_t stats_head;
	struct iovec iov[BALLOON_QUEUE_SIZE];
};

/*
 * Give guest pages back to the host, as the backend allows: an anonymous
 * mapping's pages go with MADV_DONTNEED; a memfd's must be removed from
 * the file (MADV_REMOVE), or they stay in it; huge pages cannot go 4 KiB
 * at a time.
 */
static void discard(struct virtio_balloon *b, uint64_t gpa, uint64_t len)
{
	int advice;

	switch (b->vm->mem_backend) {
	case VMCTL_MEM_HUGETLB:
		return;
	case VMCTL_MEM_MEMFD:
		advice = MADV_REMOVE;
		break;
	default:
		advice = MADV_DONTNEED;
		break;
	}
	if (madvise(b->vm->mem + gpa, len, advice))
		fprintf(stderr, "vmctl: virtio-balloon: madvise of %#llx+%#llx: %s\n",
			(unsigned long long)gpa, (unsigned long long)len,
			strerror(errno));
}

/* An inflate or deflate buffer: le32 page frame numbers, 4 KiB pages. */
static void take_pfns(struct virtio_balloon *b, struct virtq_chain *c,
		      bool inflate)
{
	uint32_t pfns[BALLOON_PFNS_MAX];
	uint64_t run_start = 0, run_len = 0, pages = 0, bad = 0;
	unsigned int i, k, n;

	for (i = 0; i < c->nr_out; i++) {
		n = c->iov[i].iov_len / sizeof(uint32_t);
		for (k = 0; k < n; k += BALLOON_PFNS_MAX) {
			unsigned int m = n - k < BALLOON_PFNS_MAX ? n - k : BALLOON_PFNS_MAX;

			/* Bytes: a guest's buffer need not be aligned. */
			virtq_guest_read(pfns, (uint8_t *)c->iov[i].iov_base +
					 k * sizeof(uint32_t), m * sizeof(uint32_t));
			for (unsigned int j = 0; j < m; j++) {
				uint64_t gpa = (uint64_t)pfns[j] * BALLOON_PAGE;

				if (gpa + BALLOON_PAGE > b->vm->mem_size) {
					bad++;
					continue;
				}
				pages++;
				if (!inflate)
					continue;
				/* Linux names runs of frames: one madvise a run. */
				if (run_len && gpa == run_start + run_len) {
					run_len += BALLOON_PAGE;
					continue;
				}
				if (run_len)
					discard(b, run_start, run_len);
				run_start = gpa;
				run_len = BALLOON_PAGE;
			}
		}
	}
	if (run_len)
		discard(b, run_start, run_len);
	pthread_mutex_lock(&b->lock);
	if (inflate)
		b->inflated += pages;
	else
		b->deflated += pages;
	b->bad_pfns += bad;
	pthread_mutex_unlock(&b->lock);
}

/* A free page report: writable ranges of free guest memory (5.5.6.7). */
static void take_report(struct virtio_balloon *b, struct virtq_chain *c)
{
	uint64_t pages = 0;
	unsigned int i;

	for (i = c->nr_out; i < c->nr_out + c->nr_in; i++) {
		uint64_t gpa = (uint8_t *)c->iov[i].iov_base - b->vm->mem;
		uint64_t len = c->iov[i].iov_len;

		/* In RAM (the chain's mapping says so); whole pages only. */
		if (gpa % BALLOON_PAGE || len % BALLOON_PAGE)
			continue;
		discard(b, gpa, len);
		pages += len / BALLOON_PAGE;
	}
	pthread_mutex_lock(&b->lock);
	b->reported += pages;
	pthread_mutex_unlock(&b->lock);
}

/* A stats buffer (5.5.6.3): whole entries, known tags; then kept. */
static void take_stats(struct virtio_balloon *b, struct virtq_chain *c)
{
	struct virtio_balloon_stat st;
	unsigned int i;
	size_t off;

	pthread_mutex_lock(&b->lock);
	for (i = 0; i < c->nr_out; i++) {
		for (off = 0; off + sizeof(st) <= c->iov[i].iov_len; off += sizeof(st)) {
			virtq_guest_read(&st, (uint8_t *)c->iov[i].iov_base + off,
					 sizeof(st));
			if (st.tag >= STATS_TAGS)
				continue;
			b->stats[st.tag] = st.val;
			b->stats_seen |= 1u << st.tag;
		}
	}
	pthread_mutex_unlock(&b->lock);
	b->stats_held = true;
	b->stats_head = c->head;
}

/* Serve queue @q until it is empty: -1 once the device is broken. */
static int serve(struct virtio_balloon *b, int q)
{
	struct virtio_dev *vdev = b->vdev;
	struct virtq *vq = &vdev->q[q].vq;
	struct virtq_chain c = { .iov = b->iov, .max = BALLOON_QUEUE_SIZE };
	int r = 0;

	if (!vdev->q[q].enabled)
		return 0;
	do {
		virtq_disable_notify(vq);
		while (!virtio_worker_stopping(&b->io) && !virtio_dev_is_broken(vdev) &&
		       (r = virtq_pop(vq, &c)) > 0) {
			if (q == b->stats_q) {
				/* The driver has one stats buffer: a second is a guest's game. */
				if (b->stats_held) {
					virtio_dev_broken(vdev, "a second stats buffer");
					return -1;
				}
				take_stats(b, &c);
				continue;
			}
			if (q == b->report_q)
				take_report(b, &c);
			else
				take_pfns(b, &c, q == Q_INFLATE);
			virtq_push(vq, c.head, 0);
			virtio_queue_notify(vdev, q);
		}
		if (virtio_worker_stopping(&b->io) || virtio_dev_is_broken(vdev))
			return -1;
		if (r < 0) {
			virtio_dev_broken(vdev, vq->why);
			return -1;
		}
	} while (virtq_enable_notify(vq));
	return 0;
}

/* Give the stats buffer back: the driver refills it and sends it again. */
static void ask_stats(struct virtio_balloon *b)
{
	if (!b->stats_held || virtio_dev_is_broken(b->vdev))
		return;
	b->stats_held = false;
	virtq_push(&b->vdev->q[b->stats_q].vq, b->stats_head, 0);
	virtio_queue_notify(b->vdev, b->stats_q);
}

static void *io_thread(void *arg)
{
	struct virtio_balloon *b = arg;
	struct pollfd pfd[Q_MAX + 1];
	unsigned int n = 0, i;
	int q[Q_MAX];
	eventfd_t v;

	for (i = 0; i < Q_MAX; i++) {
		if ((int)i > Q_DEFLATE && (int)i != b->stats_q && (int)i != b->report_q)
			continue;
		q[n] = i;
		pfd[n++] = (struct pollfd){ .fd = b->vdev->q[i].kick_fd, .events = POLLIN };
	}
	pfd[n] = (struct pollfd){ .fd = b->io.stop_fd, .events = POLLIN };
	/* Kicks that came before DRIVER_OK are in the rings already. */
	for (i = 0; i < n; i++)
		if (serve(b, q[i]))
			return NULL;
	while (!virtio_worker_stopping(&b->io)) {
		int r = poll(pfd, n + 1, b->stats_q >= 0 ? STATS_PERIOD_MS : -1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || pfd[n].revents)
			break;
		if (!r) {
			ask_stats(b);
			continue;
		}
		for (i = 0; i < n; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			eventfd_read(pfd[i].fd, &v);	/* non-blocking */
			if (serve(b, q[i]))
				return NULL;
		}
	}
	return NULL;
}

static uint64_t balloon_features(void *dev)
{
	return VIRTIO_BIT(VIRTIO_BALLOON_F_STATS_VQ) |
	       VIRTIO_BIT(VIRTIO_BALLOON_F_DEFLATE_ON_OOM) |
	       VIRTIO_BIT(VIRTIO_BALLOON_F_REPORTING);
}

static void balloon_config_read(void *dev, uint32_t off, void *data,
				unsigned int len)
{
	struct virtio_balloon *b = dev;

	pthread_mutex_lock(&b->lock);
	memcpy(data, (uint8_t *)&b->config + off, len);
	pthread_mutex_unlock(&b->lock);
}

/* Only "actual" is the driver's to write (5.5.6.1). */
static void balloon_config_write(void *dev, uint32_t off, const void *data,
				 unsigned int len)
{
	struct virtio_balloon *b = dev;
	const uint32_t start = offsetof(struct virtio_balloon_config, actual);

	if (off < start || off + len > start + sizeof(uint32_t))
		return;
	pthread_mutex_lock(&b->lock);
	memcpy((uint8_t *)&b->config + off, data, len);
	pthread_mutex_unlock(&b->lock);
}

static int balloon_start(void *dev, struct virtio_dev *vdev)
{
	struct virtio_balloon *b = dev;
	bool stats = virtio_has_feature(vdev, VIRTIO_BALLOON_F_STATS_VQ);

	b->vdev = vdev;
	b->stats_q = stats ? 2 : -1;
	b->report_q = virtio_has_feature(vdev, VIRTIO_BALLOON_F_REPORTING) ?
		      2 + stats : -1;
	b->stats_held = false;
	pthread_mutex_lock(&b->lock);
	b->negotiated = vdev->guest_features;
	pthread_mutex_unlock(&b->lock);
	return virtio_worker_start(&b->io, io_thread, b);
}

static void balloon_stop(void *dev)
{
	struct virtio_balloon *b = dev;

	virtio_worker_stop(&b->io);
	/* The driver's pages come back with it: a reset empties the balloon. */
	pthread_mutex_lock(&b->lock);
	b->config.actual = 0;
	pthread_mutex_unlock(&b->lock);
}

static const struct virtio_dev_ops virtio_balloon_ops = {
	.name = "virtio-balloon",
	.device_id = VIRTIO_ID_BALLOON,
	.nqueues = Q_MAX,
	.queue_max_size = BALLOON_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_balloon_config),
	.features = balloon_features,
	.config_read = balloon_config_read,
	.config_write = balloon_config_write,
	.start = balloon_start,
	.stop = balloon_stop,
};

struct virtio_balloon *virtio_balloon_create(struct vmctl_vm *vm,
					     struct pci_host *host)
{
	struct virtio_balloon *b = calloc(1, sizeof(*b));

	if (!b) {
		fprintf(stderr, "vmctl: virtio-balloon: out of memory\n");
		return NULL;
	}
	b->vm = vm;
	pthread_mutex_init(&b->lock, NULL);
	b->stats_q = b->report_q = -1;
	if (virtio_worker_init(&b->io, "virtio-balloon"))
		goto err_free;
	b->pci = virtio_pci_create(vm, host, &virtio_balloon_ops, b,
				   VIRTIO_BALLOON_PCI_CLASS);
	if (!b->pci)
		goto err_worker;
	return b;

err_worker:
	virtio_worker_destroy(&b->io);
err_free:
	pthread_mutex_destroy(&b->lock);
	free(b);
	return NULL;
}

void virtio_balloon_destroy(struct virtio_balloon *b)
{
	if (!b)
		return;
	virtio_pci_destroy(b->pci);	/* stops the I/O thread */
	virtio_worker_destroy(&b->io);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

int virtio_balloon_set_target(struct virtio_balloon *b, uint64_t mib)
{
	struct virtio_dev *vdev = &b->pci->vdev;

	if (mib > b->vm->mem_size >> 20)
		return -1;
	pthread_mutex_lock(&b->lock);
	b->config.num_pages = mib << 20 >> 12;
	pthread_mutex_unlock(&b->lock);
	/* A driver that is not there yet reads the target when it comes. */
	if (atomic_load(&vdev->status) & VIRTIO_STATUS_DRIVER_OK)
		vdev->tops->signal_config(vdev->transport);
	return 0;
}

void virtio_balloon_info(struct virtio_balloon *b, FILE *out)
{
	unsigned int i;

	pthread_mutex_lock(&b->lock);
	fprintf(out, "balloon_driver:%s%s%s\n",
		b->negotiated & VIRTIO_BIT(VIRTIO_BALLOON_F_STATS_VQ) ? " stats" : "",
		b->negotiated & VIRTIO_BIT(VIRTIO_BALLOON_F_REPORTING) ? " reporting" : "",
		b->negotiated & VIRTIO_BIT(VIRTIO_BALLOON_F_DEFLATE_ON_OOM) ?
		" deflate_on_oom" : "");
	fprintf(out, "balloon_target_mib: %llu\n",
		(unsigned long long)b->config.num_pages * BALLOON_PAGE >> 20);
	fprintf(out, "balloon_actual_mib: %llu\n",
		(unsigned long long)b->config.actual * BALLOON_PAGE >> 20);
	fprintf(out, "balloon_inflated_pages: %llu\n", (unsigned long long)b->inflated);
	fprintf(out, "balloon_deflated_pages: %llu\n", (unsigned long long)b->deflated);
	fprintf(out, "balloon_reported_pages: %llu\n", (unsigned long long)b->reported);
	if (b->bad_pfns)
		fprintf(out, "balloon_bad_pfns: %llu\n", (unsigned long long)b->bad_pfns);
	for (i = 0; i < STATS_TAGS; i++)
		if (b->stats_seen & (1u << i))
			fprintf(out, "balloon_%s: %llu\n", stat_names[i],
				(unsigned long long)b->stats[i]);
	pthread_mutex_unlock(&b->lock);
}
