// SPDX-License-Identifier: GPL-2.0
/*
 * virtqueue.c on a fake guest: chains as a driver builds them, the
 * notification rules, and what a hostile driver may put in the rings.
 * Every hostile case must end in -1 with a reason, never in a crash (the
 * build has ASan and UBSan).
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "virtio/virtqueue.h"
#include "virtio_fake_vm.h"

#define QSIZE		16
#define DESC_GPA	0x1000
#define AVAIL_GPA	0x2000
#define USED_GPA	0x3000
#define IND_GPA		0x4000
#define BUF_GPA		0x10000
/* More "RAM" than used.len can count, to build chains over 4 GiB. */
#define MEM_SIZE	(9ull << 30)

static struct vmctl_vm vm;

static struct virtq_desc *desc(unsigned int i)
{
	return (struct virtq_desc *)(vm.mem + DESC_GPA) + i;
}

static struct virtq_desc *ind(unsigned int i)
{
	return (struct virtq_desc *)(vm.mem + IND_GPA) + i;
}

static uint16_t *avail(void)
{
	return (uint16_t *)(vm.mem + AVAIL_GPA);
}

static uint16_t *used(void)
{
	return (uint16_t *)(vm.mem + USED_GPA);
}

static void set(struct virtq_desc *d, uint64_t addr, uint32_t len,
		uint16_t flags, uint16_t next)
{
	*d = (struct virtq_desc){ addr, len, flags, next };
}

/* Make @head available, as a driver: ring entry, then idx. */
static void offer(uint16_t head)
{
	uint16_t idx = avail()[1];

	avail()[2 + idx % QSIZE] = head;
	__atomic_store_n(&avail()[1], (uint16_t)(idx + 1), __ATOMIC_RELEASE);
}

/* A fresh queue; rings zeroed. */
static void setup(struct virtq *q, bool event_idx, bool indirect)
{
	memset(vm.mem, 0, BUF_GPA);
	if (virtq_init(q, &vm, QSIZE, 256, DESC_GPA, AVAIL_GPA, USED_GPA,
		       event_idx, indirect))
		abort();
}

static struct iovec iov[QSIZE + 4];

static struct virtq_chain chain(void)
{
	return (struct virtq_chain){ .iov = iov, .max = ARRAY_SIZE(iov) };
}

static void test_init(void)
{
	struct tcase tc;
	struct virtq q;

	case_begin(&tc);
	check(&tc, virtq_init(&q, &vm, 16, 256, DESC_GPA, AVAIL_GPA, USED_GPA, 0, 0) == 0,
	      "a good queue refused: %s", q.why);
	check(&tc, virtq_init(&q, &vm, 0, 256, DESC_GPA, AVAIL_GPA, USED_GPA, 0, 0) < 0,
	      "size 0 taken");
	check(&tc, virtq_init(&q, &vm, 24, 256, DESC_GPA, AVAIL_GPA, USED_GPA, 0, 0) < 0,
	      "size 24 taken");
	check(&tc, virtq_init(&q, &vm, 512, 256, DESC_GPA, AVAIL_GPA, USED_GPA, 0, 0) < 0,
	      "size above the device's maximum taken");
	check(&tc, virtq_init(&q, &vm, 16, 256, DESC_GPA + 8, AVAIL_GPA, USED_GPA, 0, 0) < 0,
	      "misaligned descriptor table taken");
	check(&tc, virtq_init(&q, &vm, 16, 256, DESC_GPA, AVAIL_GPA + 1, USED_GPA, 0, 0) < 0,
	      "misaligned avail ring taken");
	check(&tc, virtq_init(&q, &vm, 16, 256, DESC_GPA, AVAIL_GPA, USED_GPA + 2, 0, 0) < 0,
	      "misaligned used ring taken");
	check(&tc, virtq_init(&q, &vm, 16, 256, MEM_SIZE - 128, AVAIL_GPA, USED_GPA, 0, 0) < 0,
	      "descriptor table past the end of RAM taken");
	check(&tc, virtq_init(&q, &vm, 16, 256, DESC_GPA, AVAIL_GPA,
			      UINT64_MAX - 3, 0, 0) < 0,
	      "used ring at a wrapping address taken");
	case_end(&tc, "virtqueue: init checks size, alignment and RAM");
}

static void test_simple_chain(void)
{
	struct virtq_chain c = chain();
	struct tcase tc;
	struct virtq q;
	uint32_t *elem;

	case_begin(&tc);
	setup(&q, false, false);
	check(&tc, virtq_pop(&q, &c) == 0, "empty ring gave a chain");
	set(desc(3), BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 5);
	set(desc(5), BUF_GPA + 0x100, 512, VIRTQ_DESC_F_NEXT, 7);
	set(desc(7), BUF_GPA + 0x1000, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(3);
	check(&tc, virtq_pop(&q, &c) == 1, "no chain: %s", q.why);
	check(&tc, c.head == 3 && c.nr_out == 2 && c.nr_in == 1,
	      "head %u, %u out, %u in", c.head, c.nr_out, c.nr_in);
	check(&tc, c.out_len == 528 && c.in_len == 1, "lengths %u/%u",
	      c.out_len, c.in_len);
	check(&tc, iov[0].iov_base == vm.mem + BUF_GPA &&
	      iov[1].iov_base == vm.mem + BUF_GPA + 0x100 &&
	      iov[2].iov_base == vm.mem + BUF_GPA + 0x1000 &&
	      iov[1].iov_len == 512, "iovecs do not map the buffers");
	check(&tc, virtq_pop(&q, &c) == 0, "a second chain out of one");
	virtq_push(&q, 3, 1);
	elem = (uint32_t *)(vm.mem + USED_GPA + 4);
	check(&tc, used()[1] == 1 && elem[0] == 3 && elem[1] == 1,
	      "used idx %u elem %u/%u", used()[1], elem[0], elem[1]);
	case_end(&tc, "virtqueue: a chain maps readable then writable buffers; push publishes it");
}

static void test_indirect(void)
{
	struct virtq_chain c = chain();
	struct tcase tc;
	struct virtq q;

	case_begin(&tc);
	setup(&q, false, true);
	set(ind(0), BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	set(ind(1), BUF_GPA + 0x200, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	set(ind(2), BUF_GPA + 0x2000, 1, VIRTQ_DESC_F_WRITE, 0);
	set(desc(0), IND_GPA, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	check(&tc, virtq_pop(&q, &c) == 1, "no chain: %s", q.why);
	check(&tc, c.nr_out == 1 && c.nr_in == 2 && c.in_len == 4097,
	      "%u out %u in, %u bytes in", c.nr_out, c.nr_in, c.in_len);

	setup(&q, false, false);
	set(desc(0), IND_GPA, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	check(&tc, virtq_pop(&q, &c) < 0, "indirect taken without the feature");
	case_end(&tc, "virtqueue: indirect tables, only when negotiated");
}

/* One hostile ring: set up by @build, must fail. */
static void hostile(const char *name, bool indirect,
		    void (*build)(void))
{
	struct virtq_chain c = chain();
	struct tcase tc;
	struct virtq q;
	int r;

	case_begin(&tc);
	setup(&q, false, indirect);
	build();
	r = virtq_pop(&q, &c);
	check(&tc, r < 0, "virtq_pop returned %d", r);
	check(&tc, r >= 0 || (q.why && *q.why), "no reason given");
	case_end(&tc, "virtqueue: hostile: %s -> error (%s)", name,
		 q.why ? q.why : "none");
}

static void h_loop(void)
{
	set(desc(0), BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	set(desc(1), BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
	offer(0);
}

static void h_self_loop(void)
{
	set(desc(2), BUF_GPA, 0, VIRTQ_DESC_F_NEXT, 2);
	offer(2);
}

static void h_out_of_ram(void)
{
	set(desc(0), MEM_SIZE - 4, 8, 0, 0);
	offer(0);
}

static void h_wrapping_addr(void)
{
	set(desc(0), UINT64_MAX - 7, 16, 0, 0);
	offer(0);
}

static void h_head_past(void)
{
	offer(QSIZE);
}

static void h_next_past(void)
{
	set(desc(0), BUF_GPA, 8, VIRTQ_DESC_F_NEXT, QSIZE + 100);
	offer(0);
}

static void h_wrong_direction(void)
{
	set(desc(0), BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set(desc(1), BUF_GPA, 8, 0, 0);
	offer(0);
}

static void h_nested_indirect(void)
{
	set(ind(0), IND_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	set(desc(0), IND_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
}

static void h_indirect_next(void)
{
	set(ind(0), BUF_GPA, 8, 0, 0);
	set(desc(0), IND_GPA, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	set(desc(1), BUF_GPA, 8, 0, 0);
	offer(0);
}

static void h_indirect_len(void)
{
	set(desc(0), IND_GPA, 24, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
}

static void h_indirect_out_of_ram(void)
{
	set(desc(0), MEM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
}

static void h_indirect_mid_chain(void)
{
	set(ind(0), BUF_GPA, 8, 0, 0);
	set(desc(0), BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	set(desc(1), IND_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
}

static void h_indirect_loop(void)
{
	/* A loop inside a long indirect table: the bound counts it. */
	set(ind(0), BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	set(ind(1), BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
	set(desc(0), IND_GPA, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
}

static void h_huge(void)
{
	/* 2 x 4 GiB - 4 KiB: each in RAM, together more than used.len holds. */
	set(desc(0), BUF_GPA, 0xfffff000u, VIRTQ_DESC_F_NEXT, 1);
	set(desc(1), 0x100010000ull, 0xfffff000u, 0, 0);
	offer(0);
}

static void h_avail_jump(void)
{
	set(desc(0), BUF_GPA, 8, 0, 0);
	avail()[2] = 0;
	avail()[1] = QSIZE + 1;
}

static void h_too_many_buffers(void)
{
	/* More buffers than the caller's iovec array: 20 > the 16 + 4 room? */
	unsigned int i;

	for (i = 0; i < QSIZE; i++)
		set(desc(i), BUF_GPA + i, 1, i + 1 < QSIZE ? VIRTQ_DESC_F_NEXT : 0,
		    i + 1);
	offer(0);
}

static void test_too_many_buffers(void)
{
	struct iovec small[4];
	struct virtq_chain c = { .iov = small, .max = 4 };
	struct tcase tc;
	struct virtq q;

	case_begin(&tc);
	setup(&q, false, false);
	h_too_many_buffers();
	check(&tc, virtq_pop(&q, &c) < 0, "a 16-buffer chain fit 4 iovecs");
	case_end(&tc, "virtqueue: hostile: more buffers than the device takes -> error");
}

static void test_event_idx(void)
{
	struct tcase tc;
	struct virtq q;
	uint16_t *used_event = &avail()[2 + QSIZE];
	uint16_t *avail_event = (uint16_t *)(vm.mem + USED_GPA + 4 + 8 * QSIZE);
	bool n[4];

	case_begin(&tc);
	setup(&q, true, false);
	virtq_push(&q, 0, 0);
	n[0] = virtq_should_notify(&q);		/* first: always */
	*used_event = 1;
	virtq_push(&q, 0, 0);			/* used 2: crossed 1 */
	n[1] = virtq_should_notify(&q);
	virtq_push(&q, 0, 0);			/* used 3: event 1 behind */
	n[2] = virtq_should_notify(&q);
	*used_event = 4;
	virtq_push(&q, 0, 0);
	virtq_push(&q, 0, 0);
	virtq_push(&q, 0, 0);			/* used 6: crossed 4 */
	n[3] = virtq_should_notify(&q);
	check(&tc, n[0] && n[1] && !n[2] && n[3],
	      "decisions %d %d %d %d, want 1 1 0 1", n[0], n[1], n[2], n[3]);
	/* Indices wrap at 2^16. */
	q.used_idx = q.signalled_used = 0xfffe;
	*used_event = 0xffff;
	virtq_push(&q, 0, 0);
	virtq_push(&q, 0, 0);			/* 0xfffe -> 0x0000 */
	check(&tc, virtq_should_notify(&q), "missed an event across the wrap");
	/* avail_event follows what we consumed. */
	set(desc(0), BUF_GPA, 8, 0, 0);
	offer(0);
	check(&tc, virtq_enable_notify(&q), "new work not seen");
	{
		struct virtq_chain c = chain();

		check(&tc, virtq_pop(&q, &c) == 1, "pop: %s", q.why);
	}
	check(&tc, !virtq_enable_notify(&q) && *avail_event == 1,
	      "avail_event %u, want 1", *avail_event);
	case_end(&tc, "virtqueue: EVENT_IDX: used_event decides, avail_event follows, wrap-safe");
}

static void test_no_interrupt(void)
{
	struct tcase tc;
	struct virtq q;

	case_begin(&tc);
	setup(&q, false, false);
	virtq_push(&q, 0, 0);
	check(&tc, virtq_should_notify(&q), "no interrupt without a flag");
	avail()[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
	virtq_push(&q, 0, 0);
	check(&tc, !virtq_should_notify(&q), "interrupt despite NO_INTERRUPT");
	virtq_disable_notify(&q);
	check(&tc, used()[0] == VIRTQ_USED_F_NO_NOTIFY, "NO_NOTIFY not set");
	check(&tc, !virtq_enable_notify(&q) && used()[0] == 0,
	      "NO_NOTIFY not cleared");
	case_end(&tc, "virtqueue: without EVENT_IDX, the flags decide");
}

static void test_avail_wrap(void)
{
	struct virtq_chain c = chain();
	struct tcase tc;
	struct virtq q;

	case_begin(&tc);
	setup(&q, false, false);
	q.last_avail = 0xffff;
	avail()[1] = 0xffff;
	set(desc(1), BUF_GPA, 8, 0, 0);
	offer(1);			/* idx 0xffff -> 0 */
	offer(1);
	check(&tc, virtq_pop(&q, &c) == 1 && virtq_pop(&q, &c) == 1 &&
	      virtq_pop(&q, &c) == 0, "pops across the wrap: %s", q.why);
	case_end(&tc, "virtqueue: avail index wraps at 2^16");
}

/*
 * Chains taken and given back come again in order, re-read from the ring
 * (a descriptor changed meanwhile is seen as changed, and checked), and
 * the used ring only shows what was pushed. Across the 2^16 wrap too.
 */
static void test_unpop(void)
{
	struct virtq_chain c = chain();
	uint16_t heads[3] = { 2, 6, 9 }, got[3];
	uint32_t *elem = (uint32_t *)(used() + 2);
	struct tcase tc;
	struct virtq q;
	int i;

	case_begin(&tc);
	setup(&q, false, false);
	q.last_avail = 0xfffe;
	avail()[1] = 0xfffe;
	for (i = 0; i < 3; i++) {
		set(desc(heads[i]), BUF_GPA + 0x100 * i, 64 + i, VIRTQ_DESC_F_WRITE, 0);
		offer(heads[i]);
	}
	for (i = 0; i < 3; i++) {
		check(&tc, virtq_pop(&q, &c) == 1, "pop %d: %s", i, q.why);
		got[i] = c.head;
	}
	check(&tc, virtq_pop(&q, &c) == 0, "a fourth chain");
	virtq_push(&q, got[0], 10);
	virtq_unpop(&q, 2);
	check(&tc, q.last_avail == 0xffff, "last_avail %#x", q.last_avail);
	check(&tc, virtq_pop(&q, &c) == 1 && c.head == 6 && c.in_len == 65,
	      "the first one given back: head %u len %u", c.head, c.in_len);
	virtq_unpop(&q, 1);
	/* The driver rewrites an available descriptor: the new one is seen. */
	set(desc(6), BUF_GPA, 32, VIRTQ_DESC_F_WRITE, 0);
	check(&tc, virtq_pop(&q, &c) == 1 && c.head == 6 && c.in_len == 32,
	      "re-read after unpop: head %u len %u", c.head, c.in_len);
	check(&tc, virtq_pop(&q, &c) == 1 && c.head == 9 && c.in_len == 66,
	      "then the next: head %u len %u", c.head, c.in_len);
	check(&tc, virtq_pop(&q, &c) == 0, "more than were offered");
	check(&tc, used()[1] == 1 && elem[0] == 2 && elem[1] == 10,
	      "used ring: idx %u, elem %u/%u", used()[1], elem[0], elem[1]);
	/* Given back and now hostile: checked again, as the first time. */
	virtq_unpop(&q, 1);
	set(desc(9), MEM_SIZE - 8, 64, VIRTQ_DESC_F_WRITE, 0);
	check(&tc, virtq_pop(&q, &c) < 0, "a chain made hostile after unpop taken");
	case_end(&tc, "virtqueue: unpop gives chains back; they are re-read and re-checked");
}

int main(void)
{
	if (fake_vm_init(&vm, MEM_SIZE))
		return 1;
	test_init();
	test_simple_chain();
	test_indirect();
	hostile("loop in next links", false, h_loop);
	hostile("descriptor pointing to itself", false, h_self_loop);
	hostile("buffer past the end of RAM", false, h_out_of_ram);
	hostile("buffer address wraps", false, h_wrapping_addr);
	hostile("head index >= queue size", false, h_head_past);
	hostile("next index >= queue size", false, h_next_past);
	hostile("readable after writable", false, h_wrong_direction);
	hostile("nested indirect", true, h_nested_indirect);
	hostile("indirect with NEXT", true, h_indirect_next);
	hostile("indirect table not a multiple of 16", true, h_indirect_len);
	hostile("indirect table past the end of RAM", true, h_indirect_out_of_ram);
	hostile("indirect in the middle of a chain", true, h_indirect_mid_chain);
	hostile("loop inside an indirect table", true, h_indirect_loop);
	hostile("chain over 4 GiB", false, h_huge);
	hostile("avail index jumps past the ring", false, h_avail_jump);
	test_too_many_buffers();
	test_event_idx();
	test_no_interrupt();
	test_avail_wrap();
	test_unpop();
	fake_vm_destroy(&vm);
	return tap_finish();
}
