/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split virtqueues (virtio 1.2, 2.7) as a device sees them: the driver's
 * descriptor table and available ring, the device's used ring, all in
 * guest memory that a guest vCPU may rewrite at any moment while we read.
 *
 * Everything read from the guest is untrusted. The rings are translated
 * once, when the driver enables the queue (guest RAM never moves during a
 * VM's life); a chain is walked with a bound, every descriptor is copied
 * once into a local before it is checked and used, and any breach of the
 * rules makes virtq_pop() return -1 with the reason in @why: the device
 * then marks itself broken (virtio.c) and never touches the queue again.
 *
 * One thread at a time uses a struct virtq (the device's I/O thread);
 * only the guest runs concurrently with it.
 */
#ifndef VMCTL_VIRTQUEUE_H
#define VMCTL_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct vmctl_vm;

#define VIRTQ_MAX_SIZE		32768	/* 2.7: Queue Size is at most 32768 */

#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2
#define VIRTQ_DESC_F_INDIRECT	4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY	1

/* The guest's layouts (2.7.5-2.7.8); little-endian, as is x86. */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

/* Guest-memory sizes of the three parts for a queue of @size entries. */
#define VIRTQ_DESC_BYTES(size)	((uint64_t)(size) * 16)
#define VIRTQ_AVAIL_BYTES(size)	(6 + (uint64_t)(size) * 2)	/* with used_event */
#define VIRTQ_USED_BYTES(size)	(6 + (uint64_t)(size) * 8)	/* with avail_event */

struct virtq {
	uint16_t size;			/* a power of two */
	bool event_idx;			/* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;			/* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	struct vmctl_vm *vm;
	/* Host views of the guest's rings, checked by virtq_init(). */
	struct virtq_desc *desc;
	uint16_t *avail;		/* flags, idx, ring[size], used_event */
	uint16_t *used;			/* flags, idx, then the elements */
	uint16_t last_avail;		/* the next avail entry to take */
	uint16_t used_idx;		/* our used->idx: never read back */
	uint16_t signalled_used;	/* used_idx when we last decided */
	bool signalled_valid;
	const char *why;		/* why the last virtq_pop() failed */
};

/*
 * One chain as host memory: @iov[0, @nr_out) the device reads (the
 * driver's readable descriptors), then @iov[@nr_out, @nr_out + @nr_in)
 * it writes. The caller provides @iov with room for @max entries.
 */
struct virtq_chain {
	uint16_t head;
	unsigned int nr_out, nr_in;
	uint32_t out_len, in_len;	/* bytes on each side */
	struct iovec *iov;
	unsigned int max;
};

/*
 * Check and map a queue the driver enabled: @size a power of two and at
 * most @max_size, each part aligned as 2.7 says (16, 2, 4) and wholly in
 * guest RAM. 0, or -1 with the reason in q->why.
 */
int virtq_init(struct virtq *q, struct vmctl_vm *vm, uint16_t size,
	       uint16_t max_size, uint64_t desc, uint64_t avail,
	       uint64_t used, bool event_idx, bool indirect);
/*
 * Take the next available chain into @c: 1, 0 if the ring is empty, or
 * -1 if the driver broke a rule (q->why says which); the entry is then
 * consumed and the queue must not be used again.
 */
int virtq_pop(struct virtq *q, struct virtq_chain *c);
/*
 * Give back the last @n chains virtq_pop() returned that were not pushed,
 * newest first as it were: the next virtq_pop() takes the oldest of them
 * again. A device that took buffers before knowing it needs them (virtio-
 * net's receive path) returns the rest this way. The ring entries and
 * descriptors are read and checked again when popped again: nothing of
 * the first walk is trusted to still hold.
 */
void virtq_unpop(struct virtq *q, uint16_t n);
/*
 * Return chain @head to the driver, @written bytes written into its
 * writable descriptors. The element is visible before used->idx moves.
 */
void virtq_push(struct virtq *q, uint16_t head, uint32_t written);
/*
 * Whether the driver wants an interrupt for what virtq_push() published
 * since the last call: the used_event rule (vring_need_event) with
 * EVENT_IDX, else the avail ring's NO_INTERRUPT flag.
 */
bool virtq_should_notify(struct virtq *q);
/*
 * Ask for kicks (avail_event = where we are, or clear NO_NOTIFY) after the
 * queue looked empty, and look again: true if more arrived meanwhile, so
 * that a kick the driver suppressed is never lost.
 */
bool virtq_enable_notify(struct virtq *q);
/* Stop asking for kicks while we are draining the ring anyway. */
void virtq_disable_notify(struct virtq *q);

/*
 * Copy @n bytes of guest memory once: every byte is loaded exactly once,
 * so a value checked in the copy is the value used (no double fetch).
 */
void virtq_guest_read(void *dst, const void *src, size_t n);

#endif /* VMCTL_VIRTQUEUE_H */
