// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueues (virtqueue.h): the device's side of virtio 1.2, 2.7.
 *
 * Memory ordering. The guest driver runs on other CPUs, so the rings are
 * shared memory and the accesses to them are C11 atomics on the guest's
 * words (aligned: virtq_init() checks it):
 *  - avail->idx is loaded with acquire, so the ring entries and
 *    descriptors the driver wrote before its release of idx (its wmb) are
 *    seen by the loads that follow;
 *  - a used element is stored before used->idx, which is stored with
 *    release, so the driver sees the element once it sees the index;
 *  - deciding to notify reads used_event (or avail->flags) after storing
 *    used->idx, and re-checking for work reads avail->idx after storing
 *    avail_event: store then load, which only a full fence orders (the
 *    driver has the mirror-image mb), else both sides could miss each
 *    other and the queue stalls.
 * The guest's memory is little-endian and so is x86: no byte swapping.
 */
#include <assert.h>
#include <stdatomic.h>
#include <string.h>

#include "core/vm.h"
#include "virtio/virtqueue.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	      "virtio 1.x rings are little-endian; this host is not");
static_assert(sizeof(struct virtq_desc) == 16, "descriptor is 16 bytes");
/* The casts below rely on atomics laid out as the plain types are. */
static_assert(sizeof(_Atomic uint16_t) == 2 && _Alignof(_Atomic uint16_t) == 2,
	      "_Atomic uint16_t is not a plain uint16_t");
static_assert(sizeof(_Atomic uint32_t) == 4 && _Alignof(_Atomic uint32_t) == 4,
	      "_Atomic uint32_t is not a plain uint32_t");
static_assert(ATOMIC_SHORT_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
	      "ring atomics must be lock-free: the guest takes no locks");

static uint16_t guest_load16(const uint16_t *p, memory_order mo)
{
	return atomic_load_explicit((_Atomic uint16_t *)p, mo);
}

static void guest_store16(uint16_t *p, uint16_t v, memory_order mo)
{
	atomic_store_explicit((_Atomic uint16_t *)p, v, mo);
}

static void guest_store32(void *p, uint32_t v)
{
	atomic_store_explicit((_Atomic uint32_t *)p, v, memory_order_relaxed);
}

void virtq_guest_read(void *dst, const void *src, size_t n)
{
	const volatile unsigned char *s = src;
	unsigned char *d = dst;

	/* volatile: the compiler may neither re-load nor merge these. */
	while (n--)
		*d++ = *s++;
}

/* The avail ring: flags, idx, ring[size], used_event (in 16-bit words). */
#define AVAIL_FLAGS	0
#define AVAIL_IDX	1
#define AVAIL_RING(i)	(2 + (i))

static uint16_t *used_event(struct virtq *q)
{
	return &q->avail[AVAIL_RING(q->size)];
}

/* The used ring: flags, idx, elements of 8 bytes, avail_event. */
static uint16_t *avail_event(struct virtq *q)
{
	return (uint16_t *)((uint8_t *)q->used + 4 + 8 * (size_t)q->size);
}

static int fail(struct virtq *q, const char *why)
{
	q->why = why;
	return -1;
}

int virtq_init(struct virtq *q, struct vmctl_vm *vm, uint16_t size,
	       uint16_t max_size, uint64_t desc, uint64_t avail,
	       uint64_t used, bool event_idx, bool indirect)
{
	memset(q, 0, sizeof(*q));
	q->vm = vm;
	if (!size || (size & (size - 1)) || size > max_size ||
	    size > VIRTQ_MAX_SIZE)
		return fail(q, "queue size is not a power of two up to the device's maximum");
	if ((desc & 15) || (avail & 1) || (used & 3))
		return fail(q, "ring misaligned (2.7: descriptors 16, avail 2, used 4)");
	q->desc = vmctl_vm_gpa(vm, desc, VIRTQ_DESC_BYTES(size));
	q->avail = vmctl_vm_gpa(vm, avail, VIRTQ_AVAIL_BYTES(size));
	q->used = vmctl_vm_gpa(vm, used, VIRTQ_USED_BYTES(size));
	if (!q->desc || !q->avail || !q->used)
		return fail(q, "ring outside guest RAM");
	q->size = size;
	q->event_idx = event_idx;
	q->indirect = indirect;
	/*
	 * 2.7.13: the device starts from 0 and the driver zeroed used->idx;
	 * our copy of it is the truth from here on.
	 */
	return 0;
}

/*
 * Walk the chain at @head into @c. A chain is at most q->size
 * descriptors, those of an indirect table included (2.7.5.3.1; the
 * descriptor pointing to the table is not one of them), so that a loop in
 * the "next" links ends in an error rather than a hang. Only the head may
 * point to an indirect table, as in Linux, QEMU and kvmtool.
 */
static int walk_chain(struct virtq *q, uint16_t head, struct virtq_chain *c)
{
	const uint8_t *table = (const uint8_t *)q->desc;
	uint32_t table_size = q->size, idx = head, count = 0;
	bool in_indirect = false, seen_write = false;
	uint64_t out_len = 0, in_len = 0;

	c->head = head;
	c->nr_out = c->nr_in = 0;
	for (;;) {
		struct virtq_desc d;
		void *buf;

		virtq_guest_read(&d, table + 16 * (size_t)idx, sizeof(d));
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!q->indirect)
				return fail(q, "indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC");
			if (in_indirect)
				return fail(q, "indirect descriptor inside an indirect table");
			if (idx != head || count)
				return fail(q, "indirect descriptor not at the head of its chain");
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return fail(q, "indirect descriptor with NEXT");
			if (!d.len || d.len % sizeof(struct virtq_desc))
				return fail(q, "indirect table not a multiple of 16 bytes");
			table = vmctl_vm_gpa(q->vm, d.addr, d.len);
			if (!table)
				return fail(q, "indirect table outside guest RAM");
			table_size = d.len / sizeof(struct virtq_desc);
			in_indirect = true;
			idx = 0;
			continue;
		}
		if (++count > q->size)
			return fail(q, "chain longer than the queue (a loop?)");
		if (d.flags & VIRTQ_DESC_F_WRITE)
			seen_write = true;
		else if (seen_write)
			return fail(q, "readable descriptor after a writable one");
		if (d.len) {
			buf = vmctl_vm_gpa(q->vm, d.addr, d.len);
			if (!buf)
				return fail(q, "buffer outside guest RAM");
			if (c->nr_out + c->nr_in >= c->max)
				return fail(q, "more buffers than the device takes");
			if (d.flags & VIRTQ_DESC_F_WRITE) {
				in_len += d.len;
				c->nr_in++;
			} else {
				out_len += d.len;
				c->nr_out++;
			}
			/* used.len is 32 bits: a chain must fit in it. */
			if (out_len + in_len > UINT32_MAX)
				return fail(q, "chain longer than 4 GiB");
			c->iov[c->nr_out + c->nr_in - 1] =
				(struct iovec){ .iov_base = buf, .iov_len = d.len };
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		if (d.next >= table_size)
			return fail(q, "next index past the descriptor table");
		idx = d.next;
	}
	c->out_len = out_len;
	c->in_len = in_len;
	return 1;
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	uint16_t avail_idx, pending, head;

	avail_idx = guest_load16(&q->avail[AVAIL_IDX], memory_order_acquire);
	pending = avail_idx - q->last_avail;
	if (!pending)
		return 0;
	if (pending > q->size)
		return fail(q, "avail index moved by more than the queue size");
	head = guest_load16(&q->avail[AVAIL_RING(q->last_avail & (q->size - 1))],
			    memory_order_relaxed);
	q->last_avail++;
	if (head >= q->size)
		return fail(q, "head index past the descriptor table");
	return walk_chain(q, head, c);
}

void virtq_unpop(struct virtq *q, uint16_t n)
{
	/*
	 * Only what was taken: the entries are still the driver's avail
	 * ring's, between our last_avail and its idx, so re-reading them is
	 * as safe as the first reading was.
	 */
	q->last_avail -= n;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	uint8_t *e = (uint8_t *)q->used + 4 +
		     8 * (size_t)(q->used_idx & (q->size - 1));

	guest_store32(e, head);
	guest_store32(e + 4, written);
	q->used_idx++;
	guest_store16(&q->used[1], q->used_idx, memory_order_release);
}

/* 2.7.10.2: notify if used_event lies in [old, new). Wraps mod 2^16. */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool virtq_should_notify(struct virtq *q)
{
	uint16_t old = q->signalled_used, new_idx = q->used_idx;
	bool valid = q->signalled_valid;

	/* Our used->idx store before the driver's used_event/flags load. */
	atomic_thread_fence(memory_order_seq_cst);
	if (!q->event_idx)
		return !(guest_load16(&q->avail[AVAIL_FLAGS], memory_order_relaxed) &
			 VIRTQ_AVAIL_F_NO_INTERRUPT);
	q->signalled_used = new_idx;
	q->signalled_valid = true;
	if (!valid)
		return true;	/* nothing to compare with yet */
	return need_event(guest_load16(used_event(q), memory_order_relaxed),
			  new_idx, old);
}

void virtq_disable_notify(struct virtq *q)
{
	/* With EVENT_IDX, an avail_event left behind asks for no more kicks. */
	if (!q->event_idx)
		guest_store16(&q->used[0], VIRTQ_USED_F_NO_NOTIFY,
			      memory_order_relaxed);
}

bool virtq_enable_notify(struct virtq *q)
{
	if (q->event_idx)
		guest_store16(avail_event(q), q->last_avail, memory_order_relaxed);
	else
		guest_store16(&q->used[0], 0, memory_order_relaxed);
	/* The store above before the load of avail->idx below. */
	atomic_thread_fence(memory_order_seq_cst);
	return guest_load16(&q->avail[AVAIL_IDX], memory_order_acquire) !=
	       q->last_avail;
}
