// SPDX-License-Identifier: GPL-2.0
/*
 * An ioctl fuzzer of our own: random and boundary arguments for every ioctl
 * of the three fd kinds (/dev/hvx, VM, vCPU), mmap() of the run page with
 * odd sizes and offsets, and ioctl numbers no fd knows, in random order
 * from several threads sharing the same fds. One more thread closes VM and
 * vCPU fds while the others use them and creates new ones in their place
 * (the numbers come back: a stale fd number then names another object,
 * which is the point), and forks: fds used from another process must give
 * EIO.
 *
 * What a user relies on, and what is asserted:
 * - every call returns >= 0, or -1 with an errno that api.rst documents
 *   for that ioctl or that a rule for every ioctl gives (EFAULT for bad
 *   pointers, ENOTTY for numbers the fd does not implement, EBADF and
 *   ENOTTY for fds the closing thread has just closed or replaced);
 * - what a successful call returns makes sense (API version 1, a page for
 *   the run page, close-on-exec fds, at most nmsrs MSRs, a known exit
 *   reason, zero reserved fields);
 * - the host is intact afterwards: nothing alarming in the kernel log, and
 *   unreclaimable slab, pages and vmalloc space back where a warm-up round
 *   left them.
 *
 * Replaying: the seed is printed first; HVX_FUZZ_SEED=<seed> gives every
 * thread the same sequence of calls again (the interleaving of threads is
 * the scheduler's). HVX_FUZZ_CALLS sets the number of calls of the main
 * round (default 100000), HVX_FUZZ_THREADS the number of calling threads,
 * and HVX_SOAK_SECONDS=N repeats rounds, each followed by the memory
 * check, until N seconds have passed (make soak).
 *
 * Guests: every HVX_RUN is bounded. A per-thread POSIX timer sends SIGALRM
 * every few milliseconds while the thread is in HVX_RUN (a periodic one,
 * so that a signal that lands just before the ioctl cannot leave it
 * unbounded), and a quarter of the runs set immediate_exit. Guest memory
 * is HLT bytes, so a guest that does get in mostly halts; garbage state
 * makes the entry fail, which is the other thing to exercise.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/hvx.h>

#include "kselftest_harness.h"
#include "hvx_util.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id	_sigev_un._tid
#endif

#define DEFAULT_SEED		0x68767866757a7a31ull	/* "hvxfuzz1" */
#define DEFAULT_CALLS		100000ul
#define DEFAULT_THREADS		4
#define MAX_THREADS		16
/* The warm-up round: first-use costs (caches, per-CPU lists) are no leak. */
#define WARMUP_CALLS		5000ul
/* Of guest time, for the main round when not soaking. */
#define MAIN_DEADLINE_S		900

#define NR_VMS			2
#define VCPUS_PER_VM		2
#define NR_VCPUS		(NR_VMS * VCPUS_PER_VM)
#define NR_EXTRA		16	/* fds that fuzzed creates returned */

#define PAGE			4096ul
#define RUN_TICK_NS		2000000l	/* SIGALRM period in HVX_RUN */

/*
 * Guest memory. Slots may only name memory where a garbage guest can do
 * no harm to this process: a slot over the fuzzer's own heap or stacks
 * would let a guest running on random state scribble on them, a legitimate
 * outcome that would only crash the fuzzer. So slots point into one
 * reservation of address space (PROT_NONE but for the arena at its start),
 * into a memfd, at an address far above every mapping, or at addresses
 * the kernel must refuse. The reservation is as large as the largest slot
 * that can succeed.
 */
#define ARENA_SIZE		(2ul << 20)	/* RW, HLT bytes */
#define ARENA_RO_OFF		ARENA_SIZE	/* then 64 KiB read-only */
#define ARENA_RO_SIZE		(64ul << 10)
#define MAX_SLOT_SIZE		(4ul << 30)
#define RESV_SIZE		(2 * MAX_SLOT_SIZE)
#define MEMFD_SIZE		(1ul << 20)
#define HIGH_UNMAPPED		(1ul << 44)	/* 16 TiB: nothing maps there */

/*
 * A slot costs the module nothing until the guest touches it, but a bit
 * per page if it logs dirty pages, allocated when the slot is made.
 * Between MAX_SLOT_SIZE and a size whose bitmap the kernel refuses at once
 * (more than all of RAM) the allocation is real and could take most of
 * the testbed's 512 MiB, which is the kernel working as it should; those
 * sizes are left out.
 */
#define SLOT_BITMAP(size)	((size) / PAGE / 8)

/* While the round runs: stop it before a leak makes the testbed OOM. */
#define GUARD_VMALLOC_KB	(128l << 10)
#define GUARD_AVAILABLE_KB	(48l << 10)

/*
 * Afterwards, against the end of the warm-up round. Slab pages and
 * vmalloc space hardly move (a few KiB; a leaked dirty bitmap of a large
 * slot is MiBs); free pages move with the per-CPU lists of both CPUs
 * (about 1 MiB on one CPU, see stress_test.c), pages that forked children
 * left in them, and the page tables of the threads' buffers.
 */
#define SLAB_LIMIT_KB		512
#define VMALLOC_LIMIT_KB	1024
#define PAGES_LIMIT_KB		4096

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#define E(e)			(1ull << (e))

/* ---- Random numbers ----------------------------------------------------- */

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static uint64_t below(uint64_t *s, uint64_t n)
{
	return n ? rnd(s) % n : 0;
}

static bool chance(uint64_t *s, unsigned int percent)
{
	return below(s, 100) < percent;
}

#define PICK(s, array)		((array)[below(s, ARRAY_SIZE(array))])

static const uint64_t boundary64[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0xfff, 0x1000, 0x1001, 0xffff, 0x10000,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 0x100000fffull,
	1ull << 39, 1ull << 40, 1ull << 47, 1ull << 48, 1ull << 52,
	0x00007ffffffff000ull, 0x0000800000000000ull, 0xffff800000000000ull,
	0x7fffffffffffffffull, 0x8000000000000000ull, 0xfffffffffffff000ull,
	0xfffffffffffffffeull, 0xffffffffffffffffull,
};

/* A random or boundary value; what the integer arguments get. */
static uint64_t fuzz_u64(uint64_t *s)
{
	uint64_t v;

	switch (below(s, 4)) {
	case 0:
		return rnd(s);
	case 1:
		return below(s, 256);
	default:
		v = PICK(s, boundary64);
		if (chance(s, 20))
			v += below(s, 3) - 1;
		return v;
	}
}

/* 0 most of the time, as flags and reserved fields must be; else junk. */
static uint64_t mostly_zero(uint64_t *s, unsigned int percent_junk)
{
	return chance(s, percent_junk) ? (fuzz_u64(s) ? : 1) : 0;
}

/* ---- Shared state ------------------------------------------------------- */

/*
 * An fd the closing thread may close and replace. gen is odd from just
 * before the close until the replacement is in place: a call that saw
 * the same even gen before and after used the fd it meant to use.
 */
struct ent {
	int fd;
	unsigned int gen;
};

enum kind { K_SYS, K_VM, K_VCPU };

struct op;

struct worker {
	int idx;
	uint64_t rng;
	pthread_t tid;
	timer_t timer;
	bool has_timer;
	char *buf;		/* BUF_SIZE: structs */
	char *arr;		/* BUF_SIZE: the arrays structs point to */
	char *edge;		/* EDGE_RW bytes, then a PROT_NONE page */
	char *bitmap;		/* BITMAP_SIZE, then a PROT_NONE page */
};

#define BUF_SIZE		(16ul << 10)
#define EDGE_RW			(2 * PAGE)
#define BITMAP_SIZE		(SLOT_BITMAP(MAX_SLOT_SIZE) + PAGE)

static struct {
	struct ent sys0;	/* never closed */
	struct ent sys1;	/* closed and reopened */
	struct ent vm[NR_VMS];
	struct ent vcpu[NR_VCPUS];
	/* The run page of vcpu[i]; run_lock[i] keeps it mapped while used. */
	struct hvx_run *run[NR_VCPUS];
	pthread_rwlock_t run_lock[NR_VCPUS];
	long run_size;

	pthread_mutex_t extra_lock;
	int extra[NR_EXTRA];

	char *resv;		/* RESV_SIZE; the arena at its start */
	char *memfd_mem;	/* MEMFD_SIZE of a memfd, HLT bytes */
	char *ro;		/* 2 read-only pages of random bytes */
	char *none;		/* a PROT_NONE page */
	unsigned int phys_bits;
	long mem_total_kb;

	/* Captured from the first vCPU: starting points for SET_SREGS/FPU. */
	struct hvx_sregs sregs_reset, sregs_long;
	struct hvx_fpu fpu;
	bool have_templates;

	uint64_t seed;
	uint64_t round;
	unsigned long target;	/* calls in this round */
	unsigned long calls;	/* __atomic */
	int stop;		/* __atomic */
	int forks;		/* forks done in this round */

	pthread_mutex_t bad_lock;
	unsigned long bad;
	char bad_msgs[24][240];
} fz;

static int load_fd(const struct ent *e)
{
	return __atomic_load_n(&e->fd, __ATOMIC_SEQ_CST);
}

static unsigned int load_gen(const struct ent *e)
{
	return __atomic_load_n(&e->gen, __ATOMIC_SEQ_CST);
}

static void ent_retire(struct ent *e)
{
	__atomic_add_fetch(&e->gen, 1, __ATOMIC_SEQ_CST);
}

static void ent_install(struct ent *e, int fd)
{
	__atomic_store_n(&e->fd, fd, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&e->gen, 1, __ATOMIC_SEQ_CST);
}

static bool stopping(void)
{
	return __atomic_load_n(&fz.stop, __ATOMIC_SEQ_CST);
}

static void __attribute__((format(printf, 1, 2))) bad(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&fz.bad_lock);
	if (fz.bad < ARRAY_SIZE(fz.bad_msgs)) {
		va_start(ap, fmt);
		vsnprintf(fz.bad_msgs[fz.bad], sizeof(fz.bad_msgs[0]), fmt, ap);
		va_end(ap);
	}
	fz.bad++;
	pthread_mutex_unlock(&fz.bad_lock);
}

/* Keep an fd that a fuzzed create returned, for others to use and close. */
static void keep_fd(int fd)
{
	int i;

	pthread_mutex_lock(&fz.extra_lock);
	for (i = 0; i < NR_EXTRA; i++)
		if (fz.extra[i] < 0) {
			fz.extra[i] = fd;
			fd = -1;
			break;
		}
	pthread_mutex_unlock(&fz.extra_lock);
	if (fd >= 0)
		close(fd);
}

static void close_extras(void)
{
	int i, fd;

	pthread_mutex_lock(&fz.extra_lock);
	for (i = 0; i < NR_EXTRA; i++) {
		fd = fz.extra[i];
		fz.extra[i] = -1;
		if (fd >= 0)
			close(fd);
	}
	pthread_mutex_unlock(&fz.extra_lock);
}

/* ---- Operations --------------------------------------------------------- */

/* The fd a call goes to, and whether it was the one meant throughout. */
struct target {
	int fd;
	struct ent *e;		/* NULL: an extra fd, no promise about it */
	unsigned int gen;
	int vcpu;		/* index in fz.vcpu, or -1 */
	bool wrong_kind;	/* an fd of another kind: ENOTTY */
};

static bool stable(const struct target *t)
{
	return t->e && !(t->gen & 1) && t->fd >= 0 && load_gen(t->e) == t->gen;
}

typedef void (*op_fn)(struct worker *w, struct op *o, struct target *t);

struct op {
	const char *name;
	enum kind kind;
	unsigned int weight;
	/*
	 * The errnos api.rst gives this ioctl, with the rules for all of
	 * them (EFAULT where a pointer is read or written, EINVAL for flags
	 * and reserved fields) and ENOMEM where the module allocates.
	 */
	uint64_t errs;
	op_fn fn;
	/* Outcomes, for the summary. */
	unsigned long calls, ok, err[64];
};

static void pick(struct worker *w, enum kind kind, struct target *t)
{
	uint64_t *s = &w->rng;
	unsigned int r = below(s, 100);
	int i;

	memset(t, 0, sizeof(*t));
	t->vcpu = -1;
	if (r < 5) {
		/* Any other kind knows none of this kind's numbers. */
		t->wrong_kind = true;
		if (kind != K_VCPU && chance(s, 50))
			t->e = &fz.vcpu[below(s, NR_VCPUS)];
		else if (kind != K_VM && chance(s, 50))
			t->e = &fz.vm[below(s, NR_VMS)];
		else
			t->e = kind == K_SYS ? &fz.vm[0] : &fz.sys0;
	} else if (r < 15) {
		i = below(s, NR_EXTRA);
		t->fd = __atomic_load_n(&fz.extra[i], __ATOMIC_SEQ_CST);
		return;
	} else if (kind == K_SYS) {
		t->e = chance(s, 80) ? &fz.sys0 : &fz.sys1;
	} else if (kind == K_VM) {
		t->e = &fz.vm[below(s, NR_VMS)];
	} else {
		t->vcpu = below(s, NR_VCPUS);
		t->e = &fz.vcpu[t->vcpu];
	}
	t->gen = load_gen(t->e);
	t->fd = load_fd(t->e);
}

static const char *ent_name(const struct ent *e)
{
	if (!e)
		return "extra";
	if (e == &fz.sys0 || e == &fz.sys1)
		return "sys";
	return e >= fz.vcpu && e < fz.vcpu + NR_VCPUS ? "vcpu" : "vm";
}

static int ent_index(const struct ent *e)
{
	if (!e)
		return -1;
	if (e == &fz.sys0 || e == &fz.sys1)
		return e == &fz.sys1;
	return e >= fz.vcpu && e < fz.vcpu + NR_VCPUS ? e - fz.vcpu : e - fz.vm;
}

static long xioctl(int fd, unsigned long cmd, uint64_t arg)
{
	/* syscall(), not ioctl(): a long, so no return value is folded. */
	return syscall(SYS_ioctl, fd, cmd, arg);
}

/* Count a call and hold its outcome against what the op promises. */
static bool account(struct op *o, const struct target *t, long ret, int err)
{
	bool ok_fd = stable(t);
	uint64_t allowed;

	__atomic_add_fetch(&fz.calls, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&o->calls, 1, __ATOMIC_RELAXED);
	if (ret >= 0) {
		__atomic_add_fetch(&o->ok, 1, __ATOMIC_RELAXED);
		if (t->wrong_kind && ok_fd)
			bad("%s on an fd of another kind (%d) succeeded: %ld",
			    o->name, t->fd, ret);
		return ok_fd && !t->wrong_kind;
	}
	if (err > 0 && err < 64)
		__atomic_add_fetch(&o->err[err], 1, __ATOMIC_RELAXED);
	if (ret != -1) {
		bad("%s returned %ld", o->name, ret);
		return false;
	}
	/* A changing fd may by now be of the op's own kind, or closed. */
	allowed = t->wrong_kind && ok_fd ? E(ENOTTY) : o->errs;
	if (!ok_fd)
		allowed |= E(EBADF) | E(ENOTTY);
	if (err <= 0 || err >= 64 || !(allowed & E(err))) {
		char path[32], what[64] = "";

		/* What the fd is now, and which entry it came from. */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", t->fd);
		if (readlink(path, what, sizeof(what) - 1) < 0)
			snprintf(what, sizeof(what), "%s", strerror(errno));
		bad("%s on %s fd %d (%s %d, gen %u, now %s): errno %d (%s), which it does not document",
		    o->name, t->wrong_kind ? "a wrong-kind" :
		    ok_fd ? "its" : "a changing", t->fd, ent_name(t->e),
		    ent_index(t->e), t->gen, what, err, strerror(err));
	}
	return false;
}

/* The ioctl, accounted; for ops that check nothing more. */
static void call(struct op *o, const struct target *t, unsigned long cmd,
		 uint64_t arg)
{
	long ret = xioctl(t->fd, cmd, arg);

	account(o, t, ret, errno);
}

/*
 * An argument struct at an address the kernel may or may not be able to
 * use: mostly a good buffer (sometimes unaligned), else NULL, kernel
 * addresses, non-canonical ones, mapped-but-inaccessible or read-only
 * pages, or the struct straddling the end of a mapping. *ok tells whether
 * the whole struct is there, readable and writable.
 */
static uint64_t place(struct worker *w, char *area, const void *src,
		      size_t size, bool *ok)
{
	uint64_t *s = &w->rng;
	unsigned int r = below(s, 100);
	size_t in;
	char *p;

	*ok = false;
	if (r < 78) {
		p = area + (chance(s, 15) ? 1 + below(s, 7) : 0);
		memcpy(p, src, size);
		*ok = true;
		return (uintptr_t)p;
	}
	switch (r) {
	case 78: case 79: case 80:
		in = 1 + below(s, size < 64 ? size - 1 : 63);
		p = w->edge + EDGE_RW - (size - in);
		memcpy(p, src, size - in);
		return (uintptr_t)p;
	case 81: case 82:
		return (uintptr_t)fz.ro + below(s, 2 * PAGE - size) / 8 * 8;
	case 83: case 84:
		return (uintptr_t)fz.none + below(s, PAGE / 2);
	case 85: case 86:
		return 0;
	case 87:
		return 1 + below(s, 0xfff);
	case 88: case 89:
		return 0xffff888000000000ull + below(s, 1 << 20) * 8;
	case 90:
		return 0xffffffff81000000ull;
	case 91:
		return 0x0000800000000000ull - below(s, 2) * 8;
	case 92:
		return ~0ull - below(s, 64);
	case 93:
		return HIGH_UNMAPPED + below(s, 1 << 20) * 8;
	case 94:
		return 0x00007ffffffff000ull + below(s, 8) * 512;
	default:
		return fuzz_u64(s);
	}
}

static void sleep_ns(long ns)
{
	struct timespec ts = { ns / 1000000000l, ns % 1000000000l };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* -- /dev/hvx -- */

static void op_api_version(struct worker *w, struct op *o, struct target *t)
{
	uint64_t arg = chance(&w->rng, 60) ? 0 : fuzz_u64(&w->rng);
	long ret = xioctl(t->fd, HVX_GET_API_VERSION, arg);

	if (account(o, t, ret, errno) && (arg || ret != HVX_API_VERSION))
		bad("HVX_GET_API_VERSION(%#llx) returned %ld",
		    (unsigned long long)arg, ret);
}

static void op_check_cap(struct worker *w, struct op *o, struct target *t)
{
	static const uint32_t caps[] = { 0, 13, 14, 1000, 0x7fffffff,
					 0x80000000, 0xffffffff };
	uint64_t *s = &w->rng;
	struct hvx_capability c;
	uint64_t arg;
	bool ok;
	long ret;

	c.cap = chance(s, 70) ? 1 + below(s, 12) : PICK(s, caps);
	c.flags = mostly_zero(s, 15);
	c.value = rnd(s);
	arg = place(w, w->buf, &c, sizeof(c), &ok);
	ret = xioctl(t->fd, HVX_CHECK_CAPABILITY, arg);
	if (account(o, t, ret, errno) && ret)
		bad("HVX_CHECK_CAPABILITY returned %ld", ret);
}

static void op_create_vm(struct worker *w, struct op *o, struct target *t)
{
	uint64_t arg = chance(&w->rng, 80) ? 0 : fuzz_u64(&w->rng);
	long ret = xioctl(t->fd, HVX_CREATE_VM, arg);
	int flags;

	if (account(o, t, ret, errno)) {
		flags = fcntl(ret, F_GETFD);
		if (arg || flags < 0 || !(flags & FD_CLOEXEC))
			bad("HVX_CREATE_VM(%#llx): fd %ld, fd flags %d",
			    (unsigned long long)arg, ret, flags);
	}
	if (ret >= 0)
		keep_fd(ret);
}

static void op_mmap_size(struct worker *w, struct op *o, struct target *t)
{
	uint64_t arg = chance(&w->rng, 70) ? 0 : fuzz_u64(&w->rng);
	long ret = xioctl(t->fd, HVX_GET_VCPU_MMAP_SIZE, arg);

	if (account(o, t, ret, errno) && (arg || ret != fz.run_size))
		bad("HVX_GET_VCPU_MMAP_SIZE(%#llx) returned %ld",
		    (unsigned long long)arg, ret);
}

/* -- VM fds -- */

static uint32_t fuzz_slot(uint64_t *s)
{
	static const uint32_t beyond[] = { HVX_MAX_MEM_SLOTS,
		HVX_MAX_MEM_SLOTS + 1, 0x7fffffff, 0x80000000, 0xffffffff,
		0x10000 };

	return chance(s, 80) ? below(s, HVX_MAX_MEM_SLOTS) : PICK(s, beyond);
}

/* Whether a slot of @size may succeed without a real, large allocation. */
static bool size_is_safe(uint64_t size)
{
	return size <= MAX_SLOT_SIZE ||
	       SLOT_BITMAP(size) / 1024 > (uint64_t)fz.mem_total_kb;
}

static void gen_region(struct worker *w, struct hvx_memory_region *r)
{
	static const uint64_t small[] = { PAGE, 2 * PAGE, 3 * PAGE,
		16 * PAGE, 64 << 10, 1 << 20, 2 << 20, 16 << 20, 1ul << 30,
		MAX_SLOT_SIZE, 1, PAGE - 1, PAGE + 1, 0 };
	static const uint64_t gpas[] = { 0, PAGE, 0xa0000, 0x100000,
		0x200000, 0xfec00000, 0xfee00000, 0xfff00000, 1ull << 32,
		0x1001, 0xfffffffffffff000ull };
	uint64_t *s = &w->rng;
	uint64_t limit = 1ull << (fz.phys_bits < 48 ? fz.phys_bits : 48);
	uint64_t size, gpa, off;
	unsigned int r0;

	r->slot = fuzz_slot(s);
	if (chance(s, 75))
		r->flags = PICK(s, ((const uint32_t[]){ 0, 0, 0,
			HVX_MEM_READONLY, HVX_MEM_LOG_DIRTY }));
	else
		r->flags = PICK(s, ((const uint32_t[]){
			HVX_MEM_READONLY | HVX_MEM_LOG_DIRTY, 4, 0x80000000,
			0xffffffff, (uint32_t)rnd(s) }));

	/* Size: small, at or past the CPU's physical-address limit, junk. */
	r0 = below(s, 100);
	if (r0 < 15)
		size = 0;				/* deletes */
	else if (r0 < 70)
		size = PICK(s, small);
	else if (r0 < 80)
		size = (1 + below(s, 512)) * PAGE;
	else if (r0 < 92)
		size = PICK(s, ((const uint64_t[]){ limit, limit / 2,
			limit / 4, 2 * limit, limit - PAGE, limit + PAGE,
			1ull << 40, 1ull << 47, 1ull << 63,
			0xfffffffffffff000ull }));
	else if (r0 < 95)
		size = fuzz_u64(s);
	else
#ifdef HVX_MAX_SLOT_PAGES
		size = (HVX_MAX_SLOT_PAGES + below(s, 2)) * PAGE;
#else
		size = 1ull << 43;
#endif
	if (!size_is_safe(size))
		size = 2 * limit;	/* past the limit: refused */

	r0 = below(s, 100);
	if (r0 < 60)
		gpa = PICK(s, gpas);
	else if (r0 < 75)
		gpa = below(s, 1 << 20) * PAGE;
	else if (r0 < 90)
		gpa = PICK(s, ((const uint64_t[]){ limit - size, limit - PAGE,
			limit, limit - size + PAGE, -size }));
	else
		gpa = fuzz_u64(s);
	r->guest_phys_addr = gpa;
	r->size = size;

	/* Backing: see ARENA_SIZE for why only these. */
	r0 = below(s, 100);
	if (size <= RESV_SIZE / 2 && r0 < 70) {
		if (chance(s, 50))
			off = PICK(s, ((const uint64_t[]){ 0, 1 << 20,
				ARENA_RO_OFF, ARENA_RO_OFF + ARENA_RO_SIZE }));
		else
			off = below(s, (RESV_SIZE - size) / PAGE) * PAGE;
		r->userspace_addr = (uintptr_t)fz.resv + off +
				    (chance(s, 5) ? 1 + below(s, PAGE - 1) : 0);
	} else if (size <= MEMFD_SIZE && r0 < 80) {
		/* File-backed (shmem) memory. */
		r->userspace_addr = (uintptr_t)fz.memfd_mem +
			below(s, (MEMFD_SIZE - size) / PAGE + 1) * PAGE;
	} else if (size <= (64 << 10) && r0 < 83) {
		r->userspace_addr = 0;	/* below mmap_min_addr */
	} else if (r0 < 93) {
		r->userspace_addr = HIGH_UNMAPPED + below(s, 1 << 20) * PAGE;
	} else {
		r->userspace_addr = PICK(s, ((const uint64_t[]){
			0xffff888000000000ull, 0xffffffff81000000ull,
			0x0000800000000000ull, 0x00007ffffffff000ull,
			0xfffffffffffff000ull, ~0ull, 0x1001 }));
		if (r->userspace_addr == 0x00007ffffffff000ull &&
		    size > PAGE)
			r->userspace_addr = HIGH_UNMAPPED;
	}
}

static void op_set_memory_region(struct worker *w, struct op *o, struct target *t)
{
	struct hvx_memory_region r;
	uint64_t arg;
	bool ok;
	long ret;

	gen_region(w, &r);
	arg = place(w, w->buf, &r, sizeof(r), &ok);
	ret = xioctl(t->fd, HVX_SET_MEMORY_REGION, arg);
	if (account(o, t, ret, errno) && ret)
		bad("HVX_SET_MEMORY_REGION returned %ld", ret);
}

static void op_create_vcpu(struct worker *w, struct op *o, struct target *t)
{
	static const uint64_t beyond[] = { HVX_MAX_VCPUS, HVX_MAX_VCPUS + 1,
		0x7fffffff, 0x80000000, 0xffffffff, 1ull << 32,
		(1ull << 32) | 1, ~0ull, -(uint64_t)HVX_MAX_VCPUS };
	uint64_t *s = &w->rng;
	uint64_t arg = chance(s, 70) ? below(s, HVX_MAX_VCPUS) :
		       PICK(s, beyond);
	long ret = xioctl(t->fd, HVX_CREATE_VCPU, arg);
	int flags;

	if (account(o, t, ret, errno)) {
		flags = fcntl(ret, F_GETFD);
		if (arg >= HVX_MAX_VCPUS || flags < 0 || !(flags & FD_CLOEXEC))
			bad("HVX_CREATE_VCPU(%#llx): fd %ld, fd flags %d",
			    (unsigned long long)arg, ret, flags);
	}
	if (ret >= 0)
		keep_fd(ret);
}

static void op_dirty_log(struct worker *w, struct op *o, struct target *t)
{
	uint64_t *s = &w->rng;
	struct hvx_dirty_log d;
	uint64_t arg;
	bool ok;
	long ret;

	d.slot = fuzz_slot(s);
	d.flags = mostly_zero(s, 10);
	switch (below(s, 10)) {
	case 0:
		d.bitmap = (uintptr_t)fz.resv;		/* guest memory */
		break;
	case 1: case 2: case 3:
		d.bitmap = place(w, w->arr, &(uint64_t){ 0 }, 8, &ok);
		break;
	default:
		/* Room for the largest slot that can succeed, then a guard. */
		d.bitmap = (uintptr_t)w->bitmap;
	}
	arg = place(w, w->buf, &d, sizeof(d), &ok);
	ret = xioctl(t->fd, HVX_GET_DIRTY_LOG, arg);
	if (account(o, t, ret, errno) && ret)
		bad("HVX_GET_DIRTY_LOG returned %ld", ret);
}

static void op_vm_stats(struct worker *w, struct op *o, struct target *t)
{
	struct hvx_vm_stats st;
	uint64_t arg;
	bool ok;
	long ret;

	memset(&st, 0xa5, sizeof(st));
	arg = place(w, w->buf, &st, sizeof(st), &ok);
	ret = xioctl(t->fd, HVX_GET_VM_STATS, arg);
	if (account(o, t, ret, errno) && ok) {
		memcpy(&st, (void *)(uintptr_t)arg, sizeof(st));
		if (ret || st.reserved[0] || st.reserved[1] ||
		    st.reserved[2] || st.vcpus > HVX_MAX_VCPUS ||
		    st.mem_slots > HVX_MAX_MEM_SLOTS)
			bad("HVX_GET_VM_STATS: %ld, vcpus %llu, slots %llu, reserved %#llx %#llx %#llx",
			    ret, (unsigned long long)st.vcpus,
			    (unsigned long long)st.mem_slots,
			    (unsigned long long)st.reserved[0],
			    (unsigned long long)st.reserved[1],
			    (unsigned long long)st.reserved[2]);
	}
}

static void op_create_irqchip(struct worker *w, struct op *o, struct target *t)
{
	uint64_t arg = chance(&w->rng, 80) ? 0 : fuzz_u64(&w->rng);
	long ret = xioctl(t->fd, HVX_CREATE_IRQCHIP, arg);

	if (account(o, t, ret, errno) && (arg || ret))
		bad("HVX_CREATE_IRQCHIP(%#llx) returned %ld",
		    (unsigned long long)arg, ret);
}

static void op_irq_line(struct worker *w, struct op *o, struct target *t)
{
	static const uint32_t beyond[] = { HVX_IOAPIC_PINS,
		HVX_IOAPIC_PINS + 1, 0x7fffffff, 0x80000000, 0xffffffff };
	uint64_t *s = &w->rng;
	struct hvx_irq_line l;
	uint64_t arg;
	bool ok;
	long ret;

	l.gsi = chance(s, 75) ? below(s, HVX_IOAPIC_PINS) : PICK(s, beyond);
	l.level = chance(s, 85) ? below(s, 2) : (uint32_t)fuzz_u64(s);
	l.flags = mostly_zero(s, 8);
	l.reserved = mostly_zero(s, 8);
	arg = place(w, w->buf, &l, sizeof(l), &ok);
	ret = xioctl(t->fd, HVX_IRQ_LINE, arg);
	if (account(o, t, ret, errno) && ret)
		bad("HVX_IRQ_LINE returned %ld", ret);
}

/* A message that is often well formed, to reach the APICs. */
static void fuzz_msi(uint64_t *s, __u64 *address, __u32 *data)
{
	*address = chance(s, 75) ? 0xfee00000ull | below(s, 256) << 12 |
				   below(s, 4) << 2 : fuzz_u64(s);
	*data = chance(s, 75) ? below(s, 8) << 8 | below(s, 256) |
				below(s, 4) << 14 : (uint32_t)fuzz_u64(s);
}

/* Mostly an eventfd of its own (closed after the call), else junk. */
static int fuzz_eventfd(uint64_t *s, int *own)
{
	*own = chance(s, 80) ? eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) : -1;
	return *own >= 0 ? *own : (int32_t)fuzz_u64(s);
}

static void op_signal_msi(struct worker *w, struct op *o, struct target *t)
{
	uint64_t *s = &w->rng;
	struct hvx_msi m;
	uint64_t arg;
	bool ok;
	long ret;

	fuzz_msi(s, &m.address, &m.data);
	m.flags = mostly_zero(s, 8);
	m.reserved = mostly_zero(s, 8);
	arg = place(w, w->buf, &m, sizeof(m), &ok);
	ret = xioctl(t->fd, HVX_SIGNAL_MSI, arg);
	if (account(o, t, ret, errno) && ret > HVX_MAX_VCPUS)
		bad("HVX_SIGNAL_MSI delivered to %ld APICs", ret);
}

/*
 * Registrations stay with the VM (its end frees them). The addresses are
 * mostly small, ports and low memory, where the guests of op_run, which
 * run whatever their memory holds, may well write.
 */
static void op_ioeventfd(struct worker *w, struct op *o, struct target *t)
{
	static const uint32_t lens[] = { 0, 1, 2, 4, 8, 3, 16, 0xffffffff };
	uint64_t *s = &w->rng;
	struct hvx_ioeventfd a;
	uint64_t arg;
	int own;
	bool ok;
	long ret;

	a.addr = chance(s, 60) ? below(s, 0x10000) : fuzz_u64(s);
	a.datamatch = mostly_zero(s, 30);
	a.len = PICK(s, lens);
	a.fd = fuzz_eventfd(s, &own);
	a.flags = chance(s, 85) ? below(s, 8) : (uint32_t)fuzz_u64(s);
	a.reserved = mostly_zero(s, 8);
	arg = place(w, w->buf, &a, sizeof(a), &ok);
	ret = xioctl(t->fd, HVX_IOEVENTFD, arg);
	if (account(o, t, ret, errno) && ret)
		bad("HVX_IOEVENTFD returned %ld", ret);
	if (own >= 0)
		close(own);
}

/* Closing the eventfd afterwards takes the irqfd away again. */
static void op_irqfd(struct worker *w, struct op *o, struct target *t)
{
	uint64_t *s = &w->rng;
	struct hvx_irqfd a;
	uint64_t arg;
	int own, rown;
	bool ok;
	long ret;

	a.fd = fuzz_eventfd(s, &own);
	a.gsi = chance(s, 85) ? below(s, HVX_IOAPIC_PINS) : fuzz_u64(s);
	a.flags = chance(s, 85) ? below(s, 8) : (uint32_t)fuzz_u64(s);
	a.resamplefd = fuzz_eventfd(s, &rown);
	if (chance(s, 60)) {
		a.msi_address = 0;
		a.msi_data = 0;
	} else {
		fuzz_msi(s, &a.msi_address, &a.msi_data);
	}
	a.reserved = mostly_zero(s, 8);
	arg = place(w, w->buf, &a, sizeof(a), &ok);
	ret = xioctl(t->fd, HVX_IRQFD, arg);
	if (account(o, t, ret, errno) && ret)
		bad("HVX_IRQFD returned %ld", ret);
	if (own >= 0) {
		uint64_t one = 1;

		if (!ret && chance(s, 50) &&
		    write(own, &one, sizeof(one)) != sizeof(one))
			bad("eventfd write: %s", strerror(errno));
		close(own);
	}
	if (rown >= 0)
		close(rown);
}

/* -- vCPU fds -- */

static void sigalrm(int sig)
{
	(void)sig;	/* only there to interrupt HVX_RUN */
}

static void arm(struct worker *w, bool on)
{
	struct itimerspec its = { { 0, RUN_TICK_NS }, { 0, RUN_TICK_NS } };

	if (!on)
		memset(&its, 0, sizeof(its));
	if (w->has_timer)
		timer_settime(w->timer, 0, &its, NULL);
}

/* Junk in the part of the run page that the kernel fills and reads back. */
static void scribble(struct worker *w, struct hvx_run *run)
{
	uint64_t *s = &w->rng;
	int i, n = 1 + below(s, 8);
	size_t off;

	for (i = 0; i < n; i++) {
		off = 16 + below(s, fz.run_size - 16 - 8);
		if (chance(s, 50))
			*((volatile uint8_t *)run + off) = rnd(s);
		else
			memcpy((char *)run + (off & ~7ul),
			       &(uint64_t){ fuzz_u64(s) }, 8);
	}
}

static void op_run(struct worker *w, struct op *o, struct target *t)
{
	uint64_t *s = &w->rng;
	uint64_t arg = chance(s, 92) ? 0 : fuzz_u64(s);
	struct hvx_run *run = NULL;
	long ret;
	int err;

	if (t->vcpu >= 0) {
		pthread_rwlock_rdlock(&fz.run_lock[t->vcpu]);
		run = fz.run[t->vcpu];
		if (run) {
			run->immediate_exit = chance(s, 25);
			if (chance(s, 25))
				scribble(w, run);
		}
	}
	arm(w, true);
	ret = xioctl(t->fd, HVX_RUN, arg);
	err = errno;
	arm(w, false);
	if (account(o, t, ret, err) && run &&
	    (ret || arg || !run->exit_reason ||
	     run->exit_reason > HVX_EXIT_INTR))
		bad("HVX_RUN(%#llx) returned %ld, exit reason %u",
		    (unsigned long long)arg, ret, run->exit_reason);
	if (t->vcpu >= 0)
		pthread_rwlock_unlock(&fz.run_lock[t->vcpu]);
}

/* A 64-bit value for a register: small, an address in the arena, junk. */
static uint64_t fuzz_reg(uint64_t *s)
{
	switch (below(s, 4)) {
	case 0:
		return below(s, 0x100000);
	case 1:
		return 0xfffffff0 - below(s, 0x100000);
	default:
		return fuzz_u64(s);
	}
}

static void op_get_regs(struct worker *w, struct op *o, struct target *t)
{
	struct hvx_regs r;
	uint64_t arg;
	bool ok;

	memset(&r, 0xa5, sizeof(r));
	arg = place(w, w->buf, &r, sizeof(r), &ok);
	call(o, t, HVX_GET_REGS, arg);
}

static void op_set_regs(struct worker *w, struct op *o, struct target *t)
{
	static const uint64_t rflags[] = { 0x2, 0x202, 0x0, 0x302, 0x20202,
		0x40202, 0x3202, ~0ull, 0xffffffff };
	uint64_t *s = &w->rng;
	struct hvx_regs r;
	uint64_t *f = (uint64_t *)&r;
	uint64_t arg;
	unsigned int i;
	bool ok;

	for (i = 0; i < sizeof(r) / 8; i++)
		f[i] = chance(s, 50) ? 0 : fuzz_reg(s);
	r.rip = fuzz_reg(s);
	r.rflags = chance(s, 80) ? PICK(s, rflags) : fuzz_u64(s);
	arg = place(w, w->buf, &r, sizeof(r), &ok);
	call(o, t, HVX_SET_REGS, arg);
}

static void op_get_sregs(struct worker *w, struct op *o, struct target *t)
{
	struct hvx_sregs sr;
	uint64_t arg;
	bool ok;
	long ret;

	memset(&sr, 0xa5, sizeof(sr));
	arg = place(w, w->buf, &sr, sizeof(sr), &ok);
	ret = xioctl(t->fd, HVX_GET_SREGS, arg);
	if (account(o, t, ret, errno) && ok) {
		memcpy(&sr, (void *)(uintptr_t)arg, sizeof(sr));
		if (sr.reserved[0] || sr.reserved[1] || sr.reserved[2] ||
		    sr.reserved[3] || sr.cr8 > 15)
			bad("HVX_GET_SREGS: reserved %#llx %#llx %#llx %#llx, cr8 %#llx",
			    (unsigned long long)sr.reserved[0],
			    (unsigned long long)sr.reserved[1],
			    (unsigned long long)sr.reserved[2],
			    (unsigned long long)sr.reserved[3],
			    (unsigned long long)sr.cr8);
	}
}

static void fuzz_segment(uint64_t *s, struct hvx_segment *g)
{
	switch (below(s, 14)) {
	case 0: g->base = fuzz_u64(s); break;
	case 1: g->limit = fuzz_u64(s); break;
	case 2: g->selector = fuzz_u64(s); break;
	case 3: g->type = chance(s, 70) ? below(s, 16) : fuzz_u64(s); break;
	case 4: g->present = below(s, 3) ? : 0xff; break;
	case 5: g->dpl = chance(s, 70) ? below(s, 4) : fuzz_u64(s); break;
	case 6: g->db = below(s, 3); break;
	case 7: g->s = below(s, 3); break;
	case 8: g->l = below(s, 3); break;
	case 9: g->g = below(s, 3); break;
	case 10: g->avl = below(s, 3); break;
	case 11: g->unusable = below(s, 3); break;
	case 12: g->pad = 1 + below(s, 255); break;
	default: memset(g, (int)rnd(s), sizeof(*g)); break;
	}
}

/* A template (reset state, long mode) with a few fields changed, or junk. */
static void gen_sregs(uint64_t *s, struct hvx_sregs *sr)
{
	static const uint64_t cr0s[] = { 0x60000010, 0x10, 0x11, 0x31,
		0x80000011, 0x80050033, 0xe0000011, 0x80000001, 0x1, 0x0,
		0x20, ~0ull, 0x100000000ull };
	static const uint64_t cr4s[] = { 0, 0x20, 0x620, 0x2000, 0x20000,
		0x40000, 0x100000, 0x200000, 0x400000, 0x10, 0x80, ~0ull };
	static const uint64_t efers[] = { 0, 1, 0x100, 0x400, 0x500, 0x501,
		0xd01, 0x800, 0x1000, 0x2000, ~0ull };
	struct hvx_segment *segs = &sr->cs;
	int i, n;

	if (chance(s, 8)) {
		for (i = 0; i < (int)(sizeof(*sr) / 8); i++)
			((uint64_t *)sr)[i] = fuzz_u64(s);
		return;
	}
	*sr = chance(s, 60) ? fz.sregs_reset : fz.sregs_long;
	n = below(s, 4);
	for (i = 0; i < n; i++) {
		switch (below(s, 12)) {
		case 0: case 1: case 2:
			fuzz_segment(s, &segs[below(s, 8)]);
			break;
		case 3:
			(chance(s, 50) ? &sr->gdt : &sr->idt)->base = fuzz_u64(s);
			break;
		case 4:
			(chance(s, 50) ? &sr->gdt : &sr->idt)->limit = fuzz_u64(s);
			break;
		case 5:
			(chance(s, 50) ? &sr->gdt : &sr->idt)->pad[below(s, 3)] =
				1 + below(s, 0xffff);
			break;
		case 6:
			sr->cr0 = chance(s, 70) ? PICK(s, cr0s) : fuzz_u64(s);
			break;
		case 7:
			sr->cr4 = chance(s, 70) ? PICK(s, cr4s) : fuzz_u64(s);
			break;
		case 8:
			sr->efer = chance(s, 70) ? PICK(s, efers) : fuzz_u64(s);
			break;
		case 9:
			sr->cr8 = chance(s, 60) ? below(s, 17) : fuzz_u64(s);
			break;
		case 10:
			switch (below(s, 3)) {
			case 0: sr->cr2 = fuzz_u64(s); break;
			case 1: sr->cr3 = fuzz_reg(s); break;
			default: sr->apic_base = fuzz_u64(s); break;
			}
			break;
		default:
			sr->reserved[below(s, 4)] = fuzz_u64(s) ? : 1;
		}
	}
}

static void op_set_sregs(struct worker *w, struct op *o, struct target *t)
{
	struct hvx_sregs sr;
	uint64_t arg;
	bool ok;

	gen_sregs(&w->rng, &sr);
	arg = place(w, w->buf, &sr, sizeof(sr), &ok);
	call(o, t, HVX_SET_SREGS, arg);
}

static uint32_t fuzz_count(uint64_t *s, uint32_t max)
{
	static const uint32_t beyond[] = { 257, 0x10000, 0x7fffffff,
		0x80000000, 0xffffffff, 1u << 27, 1u << 28 };

	if (chance(s, 85))
		return chance(s, 20) ? PICK(s, ((const uint32_t[]){ 0, 1, max }))
				     : 1 + below(s, 16);
	return PICK(s, beyond);
}

static void op_set_cpuid(struct worker *w, struct op *o, struct target *t)
{
	static const uint32_t leaves[] = { 0, 1, 4, 7, 0xb, 0xd, 0x15, 0x16,
		0x40000000, 0x80000000, 0x80000001, 0x80000008, 0xffffffff };
	uint64_t *s = &w->rng;
	struct hvx_cpuid_entry e[HVX_MAX_CPUID_ENTRIES];
	struct hvx_cpuid c;
	uint32_t i, n;
	uint64_t arg;
	bool ok;

	c.nent = fuzz_count(s, HVX_MAX_CPUID_ENTRIES);
	c.flags = mostly_zero(s, 8);
	n = c.nent < HVX_MAX_CPUID_ENTRIES ? c.nent : HVX_MAX_CPUID_ENTRIES;
	for (i = 0; i < n; i++) {
		e[i].function = chance(s, 80) ? PICK(s, leaves) : rnd(s);
		e[i].index = below(s, 3);
		e[i].flags = chance(s, 95) ? below(s, 2) : (uint32_t)fuzz_u64(s);
		e[i].eax = rnd(s);
		e[i].ebx = rnd(s);
		e[i].ecx = rnd(s);
		e[i].edx = rnd(s);
		e[i].pad = mostly_zero(s, 3);
	}
	c.entries = place(w, w->arr, e, n * sizeof(e[0]) ? : 1, &ok);
	arg = place(w, w->buf, &c, sizeof(c), &ok);
	call(o, t, HVX_SET_CPUID, arg);
}

static void op_vcpu_stats(struct worker *w, struct op *o, struct target *t)
{
	struct hvx_vcpu_stats st;
	uint64_t arg;
	bool ok;
	long ret;

	memset(&st, 0xa5, sizeof(st));
	arg = place(w, w->buf, &st, sizeof(st), &ok);
	ret = xioctl(t->fd, HVX_GET_VCPU_STATS, arg);
	if (account(o, t, ret, errno) && ok) {
		memcpy(&st, (void *)(uintptr_t)arg, sizeof(st));
		if (ret || st.reserved[0] || st.reserved[1] || st.reserved[2])
			bad("HVX_GET_VCPU_STATS: %ld, reserved %#llx %#llx %#llx",
			    ret, (unsigned long long)st.reserved[0],
			    (unsigned long long)st.reserved[1],
			    (unsigned long long)st.reserved[2]);
	}
}

static void msrs(struct worker *w, struct op *o, struct target *t, bool set)
{
	static const uint32_t idx[] = { 0x10, 0x1b, 0x3a, 0x3b, 0x48, 0x8b,
		0xfe, 0x174, 0x175, 0x176, 0x1a0, 0x1d9, 0x277, 0x2ff, 0x6e0,
		0x802, 0x803, 0x808, 0x80b, 0x80f, 0x830, 0x838, 0x83f, 0x8ff,
		0x900, 0xc0000080, 0xc0000081, 0xc0000082, 0xc0000084,
		0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0x40000000,
		0xffffffff, 0 };
	uint64_t *s = &w->rng;
	struct hvx_msr_entry e[HVX_MAX_MSR_ENTRIES];
	struct hvx_msrs m;
	uint32_t i, n;
	uint64_t arg;
	bool ok, ok_entries;
	long ret;

	m.nmsrs = fuzz_count(s, HVX_MAX_MSR_ENTRIES);
	m.flags = mostly_zero(s, 8);
	n = m.nmsrs < HVX_MAX_MSR_ENTRIES ? m.nmsrs : HVX_MAX_MSR_ENTRIES;
	for (i = 0; i < n; i++) {
		e[i].index = chance(s, 85) ? PICK(s, idx) : rnd(s);
		e[i].reserved = mostly_zero(s, 3);
		e[i].data = chance(s, 30) ? 0 : fuzz_u64(s);
	}
	m.entries = place(w, w->arr, e, n * sizeof(e[0]) ? : 1, &ok_entries);
	arg = place(w, w->buf, &m, sizeof(m), &ok);
	ret = xioctl(t->fd, set ? HVX_SET_MSRS : HVX_GET_MSRS, arg);
	if (account(o, t, ret, errno) && ret > m.nmsrs)
		bad("%s: %ld of %u MSRs", o->name, ret, m.nmsrs);
}

static void op_get_msrs(struct worker *w, struct op *o, struct target *t)
{
	msrs(w, o, t, false);
}

static void op_set_msrs(struct worker *w, struct op *o, struct target *t)
{
	msrs(w, o, t, true);
}

static void op_get_fpu(struct worker *w, struct op *o, struct target *t)
{
	static struct hvx_fpu junk;	/* only its address matters */
	uint64_t arg;
	bool ok;

	arg = place(w, w->buf, &junk, sizeof(junk), &ok);
	call(o, t, HVX_GET_FPU, arg);
}

static void op_set_fpu(struct worker *w, struct op *o, struct target *t)
{
	static const uint64_t xcr0s[] = { 0, 1, 2, 3, 5, 7, 0x1f, 0xe7,
		0x207, 0x80000007, ~0ull };
	uint64_t *s = &w->rng;
	struct hvx_fpu *f = (struct hvx_fpu *)w->arr;
	uint64_t arg;
	int i, n;
	bool ok;

	*f = fz.fpu;
	if (chance(s, 30))
		f->xcr0 = PICK(s, xcr0s);
	f->flags = mostly_zero(s, 8);
	if (chance(s, 8))
		f->reserved[below(s, 6)] = fuzz_u64(s) ? : 1;
	n = below(s, 4);
	for (i = 0; i < n; i++) {
		switch (below(s, 4)) {
		case 0:		/* MXCSR and MXCSR_MASK */
			f->xsave[6 + below(s, 2)] = fuzz_u64(s);
			break;
		case 1:		/* XSTATE_BV, XCOMP_BV, the header's rest */
			f->xsave[128 + below(s, 16)] = fuzz_u64(s);
			break;
		default:
			f->xsave[below(s, 1024)] = rnd(s);
		}
	}
	arg = place(w, w->buf, f, sizeof(*f), &ok);
	call(o, t, HVX_SET_FPU, arg);
}

static void op_inject_event(struct worker *w, struct op *o, struct target *t)
{
	static const uint8_t vectors[] = { 0, 1, 2, 3, 6, 8, 10, 11, 12, 13,
		14, 17, 18, 21, 29, 30, 31, 32, 33, 0x80, 0xef, 0xff };
	uint64_t *s = &w->rng;
	struct hvx_event ev;
	uint64_t arg;
	bool ok;

	ev.type = chance(s, 85) ? below(s, 3) : PICK(s,
		((const uint8_t[]){ 3, 4, 0x80, 0xff }));
	ev.vector = chance(s, 80) ? PICK(s, vectors) : rnd(s);
	ev.has_error = chance(s, 90) ? below(s, 2) : rnd(s);
	ev.pad = mostly_zero(s, 5);
	ev.error_code = chance(s, 50) ? 0 : fuzz_u64(s);
	ev.flags = mostly_zero(s, 5);
	ev.reserved = mostly_zero(s, 5);
	arg = place(w, w->buf, &ev, sizeof(ev), &ok);
	call(o, t, HVX_INJECT_EVENT, arg);
}

/* The file mapped at @addr, from /proc/self/maps ("" if none). */
static void mapped_file(const void *addr, char *buf, size_t len)
{
	unsigned long start = (unsigned long)addr, lo, hi;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");

	buf[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *path;

		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2 ||
		    start < lo || start >= hi)
			continue;
		path = strchr(line, '/') ?: strstr(line, "anon_inode:");
		if (path) {
			path[strcspn(path, "\n")] = 0;
			snprintf(buf, len, "%s", path);
		}
		break;
	}
	fclose(f);
}

/* mmap() of a vCPU fd: only one page at offset 0 is allowed. */
static void op_mmap(struct worker *w, struct op *o, struct target *t)
{
	static const uint64_t sizes[] = { 0, 1, 8, PAGE - 1, PAGE, PAGE + 1,
		2 * PAGE, 1 << 20, 1ull << 40, 0xfffffffffffff000ull };
	static const int64_t offs[] = { PAGE, 2 * PAGE, 1, PAGE - 1, -PAGE,
		1ll << 40, 0x7ffffffff000ll };
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE,
		PROT_READ | PROT_WRITE | PROT_EXEC, PROT_WRITE, PROT_NONE,
		PROT_EXEC };
	static const int flags[] = { MAP_SHARED, MAP_PRIVATE,
		MAP_SHARED | MAP_POPULATE, MAP_PRIVATE | MAP_POPULATE,
		MAP_SHARED | MAP_NORESERVE };
	uint64_t *s = &w->rng;
	uint64_t size = chance(s, 40) ? PAGE : PICK(s, sizes);
	int64_t off = chance(s, 60) ? 0 : PICK(s, offs);
	int prot = chance(s, 50) ? PROT_READ | PROT_WRITE : PICK(s, prots);
	int flag = PICK(s, flags);
	uint64_t allowed = o->errs;
	bool ok_fd;
	void *p;
	int err;

	p = mmap(NULL, size, prot, flag, t->fd, off);
	err = errno;
	ok_fd = stable(t);
	__atomic_add_fetch(&fz.calls, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&o->calls, 1, __ATOMIC_RELAXED);
	if (p == MAP_FAILED) {
		if (err > 0 && err < 64)
			__atomic_add_fetch(&o->err[err], 1, __ATOMIC_RELAXED);
		/* A stale number may be any fd, or none. */
		if (!ok_fd || t->wrong_kind)
			allowed |= E(EBADF) | E(ENODEV) | E(EACCES);
		/* An offset near the top that no file can have. */
		if (err == EOVERFLOW && off)
			return;
		if (err <= 0 || err >= 64 || !(allowed & E(err)))
			bad("mmap(%#llx bytes, prot %#x, flags %#x, offset %#llx) of a vCPU fd: errno %d (%s)",
			    (unsigned long long)size, prot, flag,
			    (unsigned long long)off, err, strerror(err));
		return;
	}
	__atomic_add_fetch(&o->ok, 1, __ATOMIC_RELAXED);
	/*
	 * The number may have named another file by the time of the call
	 * (a memfd of a slot, say, that took a number the closing thread
	 * freed for an instant): what was mapped is what /proc/self/maps
	 * says, and only a mapping of a vCPU file itself is hvx's doing.
	 */
	if (ok_fd && !t->wrong_kind && (off || !size || size > PAGE)) {
		char file[256];

		mapped_file(p, file, sizeof(file));
		if (strstr(file, "hvx-vcpu"))
			bad("mmap(%#llx bytes, offset %#llx) of a vCPU fd succeeded (%s)",
			    (unsigned long long)size, (unsigned long long)off,
			    file);
	}
	/*
	 * The page is there, shared or copied on write. (Only what was
	 * allowed is touched: anything else was reported above, and
	 * touching it could be a SIGBUS.)
	 */
	if (!off && size <= PAGE && (prot & PROT_READ))
		(void)*(volatile uint8_t *)p;
	if (!off && size <= PAGE && (prot & PROT_WRITE) && (flag & MAP_PRIVATE))
		*(volatile uint8_t *)p = 1;
	/* Grown behind the driver's back: the fault handler must say no. */
	if (!off && size <= PAGE && chance(s, 20)) {
		void *q = mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE);

		if (q != MAP_FAILED)
			p = q, size = 2 * PAGE;
	}
	munmap(p, size);
}

/* Numbers that no hvx fd implements; none of them a generic VFS one. */
static const unsigned long unknown_cmds[] = {
	_IO(HVXIO, 0x04), _IO(HVXIO, 0x1f), _IO(HVXIO, 0x26), _IO(HVXIO, 0x5f),
	_IO(HVXIO, 0x6c), _IO(HVXIO, 0x9f), _IO(HVXIO, 0xa0), _IO(HVXIO, 0xff),
	_IOW(HVXIO, 0x01, uint32_t), _IOR(HVXIO, 0x01, struct hvx_capability),
	_IOR(HVXIO, 0x00, int), _IOW(HVXIO, 0x20, struct hvx_regs),
	_IOR(HVXIO, 0x20, struct hvx_memory_region),
	_IOR(HVXIO, 0x61, uint64_t), _IOW(HVXIO, 0x61, struct hvx_regs),
	_IOC(_IOC_NONE, HVXIO, 0x60, 8), _IOWR(HVXIO, 0x69, struct hvx_fpu),
	_IOW(HVXIO, 0x65, struct hvx_cpuid_entry), _IO('k', 0x00),
	TCGETS, 0, 0xffffffff, 0x80000000,
};

static void op_unknown(struct worker *w, struct op *o, struct target *t)
{
	uint64_t *s = &w->rng;
	unsigned long cmd;
	uint64_t arg;
	bool ok;

	if (chance(s, 30))
		cmd = _IOC(below(s, 4), HVXIO, 0xa0 + below(s, 0x60),
			   below(s, 1 << 14));
	else
		cmd = PICK(s, unknown_cmds);
	arg = chance(s, 50) ? fuzz_u64(s) : place(w, w->buf, w->arr, 64, &ok);
	call(o, t, cmd, arg);
}

#define EPTR			E(EFAULT)
static struct op ops[] = {
	{ "HVX_GET_API_VERSION", K_SYS, 1, E(EINVAL), op_api_version },
	{ "HVX_CHECK_CAPABILITY", K_SYS, 1, EPTR | E(EINVAL), op_check_cap },
	{ "HVX_CREATE_VM", K_SYS, 1, E(EINVAL) | E(ENOMEM), op_create_vm },
	{ "HVX_GET_VCPU_MMAP_SIZE", K_SYS, 1, E(EINVAL), op_mmap_size },
	{ "HVX_SET_MEMORY_REGION", K_VM, 4, EPTR | E(EINVAL) | E(EEXIST) |
	  E(ENOENT) | E(ENOMEM), op_set_memory_region },
	{ "HVX_CREATE_VCPU", K_VM, 1, E(EINVAL) | E(EEXIST) | E(ENOMEM) |
	  E(ENOSPC), op_create_vcpu },
	{ "HVX_GET_DIRTY_LOG", K_VM, 2, EPTR | E(EINVAL) | E(ENOENT) |
	  E(ENOMEM), op_dirty_log },
	{ "HVX_GET_VM_STATS", K_VM, 1, EPTR, op_vm_stats },
	{ "HVX_CREATE_IRQCHIP", K_VM, 1, E(EINVAL) | E(EEXIST) | E(EBUSY) |
	  E(ENOMEM), op_create_irqchip },
	{ "HVX_IRQ_LINE", K_VM, 2, EPTR | E(EINVAL) | E(ENXIO), op_irq_line },
	{ "HVX_SIGNAL_MSI", K_VM, 2, EPTR | E(EINVAL) | E(ENXIO), op_signal_msi },
	{ "HVX_IOEVENTFD", K_VM, 2, EPTR | E(EINVAL) | E(EBADF) | E(EEXIST) |
	  E(ENOENT) | E(ENOSPC) | E(ENOMEM), op_ioeventfd },
	{ "HVX_IRQFD", K_VM, 2, EPTR | E(EINVAL) | E(EBADF) | E(ENXIO) |
	  E(EEXIST) | E(ENOENT) | E(ENOSPC) | E(ENOMEM), op_irqfd },
	/* EIO: the host is rebooting and left VMX root. */
	{ "HVX_RUN", K_VCPU, 5, E(EINTR) | E(EINVAL) | E(ENOMEM) | E(EIO),
	  op_run },
	{ "HVX_GET_REGS", K_VCPU, 1, EPTR, op_get_regs },
	{ "HVX_SET_REGS", K_VCPU, 2, EPTR, op_set_regs },
	{ "HVX_GET_SREGS", K_VCPU, 1, EPTR, op_get_sregs },
	{ "HVX_SET_SREGS", K_VCPU, 3, EPTR | E(EINVAL), op_set_sregs },
	{ "HVX_SET_CPUID", K_VCPU, 1, EPTR | E(EINVAL) | E(ENOMEM),
	  op_set_cpuid },
	{ "HVX_GET_VCPU_STATS", K_VCPU, 1, EPTR, op_vcpu_stats },
	{ "HVX_GET_MSRS", K_VCPU, 2, EPTR | E(EINVAL) | E(ENOMEM), op_get_msrs },
	{ "HVX_SET_MSRS", K_VCPU, 2, EPTR | E(EINVAL) | E(ENOMEM), op_set_msrs },
	{ "HVX_GET_FPU", K_VCPU, 1, EPTR | E(ENOMEM), op_get_fpu },
	{ "HVX_SET_FPU", K_VCPU, 2, EPTR | E(EINVAL) | E(ENOMEM), op_set_fpu },
	{ "HVX_INJECT_EVENT", K_VCPU, 2, EPTR | E(EINVAL) | E(EBUSY),
	  op_inject_event },
	/* mmap() itself refuses a length of 0 or offsets it cannot take. */
	{ "mmap", K_VCPU, 2, E(EINVAL) | E(ENOMEM) | E(EPERM), op_mmap },
	{ "unknown ioctl", K_VCPU, 2, E(ENOTTY), op_unknown },
};

static unsigned int total_weight;

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct sigevent sev;
	struct target t;
	unsigned int r, i;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGALRM;
	sev.sigev_notify_thread_id = gettid();
	w->has_timer = !timer_create(CLOCK_MONOTONIC, &sev, &w->timer);
	if (!w->has_timer)
		bad("thread %d: timer_create: %s", w->idx, strerror(errno));

	while (!stopping()) {
		r = below(&w->rng, total_weight);
		for (i = 0; r >= ops[i].weight; i++)
			r -= ops[i].weight;
		/* Unknown numbers go to any kind of fd. */
		pick(w, ops[i].fn == op_unknown ? (enum kind)below(&w->rng, 3) :
		     ops[i].kind, &t);
		ops[i].fn(w, &ops[i], &t);
	}
	if (w->has_timer)
		timer_delete(w->timer);
	return NULL;
}

/* ---- The closing thread ------------------------------------------------- */

static int vm_new(uint64_t *s)
{
	struct hvx_memory_region r[] = {
		/* Low memory and the reset vector's MiB: a new vCPU halts. */
		{ 0, 0, 0, 1 << 20, (uintptr_t)fz.resv },
		{ 1, 0, 0xfff00000, 1 << 20, (uintptr_t)fz.resv + (1 << 20) },
		{ 2, HVX_MEM_READONLY, 0x100000, ARENA_RO_SIZE,
		  (uintptr_t)fz.resv + ARENA_RO_OFF },
		{ 3, HVX_MEM_LOG_DIRTY, 0x200000, 256 << 10,
		  (uintptr_t)fz.resv + (1 << 20) },
	};
	unsigned int i;
	int fd;

	fd = xioctl(load_fd(&fz.sys0), HVX_CREATE_VM, 0);
	if (fd < 0)
		return -1;
	if (chance(s, 30))
		xioctl(fd, HVX_CREATE_IRQCHIP, 0);
	/*
	 * Best effort: a thread holding a stale fd number that is now this
	 * VM's may get there first, which is as it should be.
	 */
	for (i = 0; i < ARRAY_SIZE(r); i++)
		if (i < 2 || chance(s, 50))
			xioctl(fd, HVX_SET_MEMORY_REGION, (uintptr_t)&r[i]);
	return fd;
}

/* The long-mode template: paging on, page tables of HLT bytes. */
static void make_long_mode(struct hvx_sregs *sr)
{
	static const struct hvx_segment code = {
		.limit = 0xffffffff, .selector = 0x08, .type = 11,
		.present = 1, .s = 1, .l = 1, .g = 1,
	}, data = {
		.limit = 0xffffffff, .selector = 0x10, .type = 3,
		.present = 1, .s = 1, .db = 1, .g = 1,
	}, tss = {
		.limit = 0x67, .selector = 0x18, .type = 11, .present = 1,
	};

	*sr = fz.sregs_reset;
	sr->cs = code;
	sr->ds = sr->es = sr->fs = sr->gs = sr->ss = data;
	sr->tr = tss;
	sr->gdt.base = 0x1000;
	sr->gdt.limit = 0x1f;
	sr->idt.base = 0x2000;
	sr->idt.limit = 0xfff;
	sr->cr0 = 0x80050033;
	sr->cr3 = 0x3000;
	sr->cr4 = 0x620;
	sr->efer = 0x500;
}

static void vcpu_new(uint64_t *s, int j)
{
	int vm = load_fd(&fz.vm[j / VCPUS_PER_VM]);
	void *run;
	int fd = -1, tries;

	for (tries = 0; tries < 16 && fd < 0 && vm >= 0; tries++)
		fd = xioctl(vm, HVX_CREATE_VCPU, below(s, HVX_MAX_VCPUS));
	run = fd < 0 ? MAP_FAILED :
	      mmap(NULL, fz.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fd >= 0 && run == MAP_FAILED)
		bad("mmap of a new vCPU's run page: %s", strerror(errno));
	if (fd >= 0 && !fz.have_templates &&
	    !xioctl(fd, HVX_GET_SREGS, (uintptr_t)&fz.sregs_reset) &&
	    !xioctl(fd, HVX_GET_FPU, (uintptr_t)&fz.fpu)) {
		make_long_mode(&fz.sregs_long);
		fz.have_templates = true;
	}
	pthread_rwlock_wrlock(&fz.run_lock[j]);
	fz.run[j] = run == MAP_FAILED ? NULL : run;
	pthread_rwlock_unlock(&fz.run_lock[j]);
	ent_install(&fz.vcpu[j], fd);
}

/* Close vCPU j under whoever uses it; unmap its page once nobody does. */
static void vcpu_close(int j)
{
	ent_retire(&fz.vcpu[j]);
	close(load_fd(&fz.vcpu[j]));
	pthread_rwlock_wrlock(&fz.run_lock[j]);
	if (fz.run[j])
		munmap(fz.run[j], fz.run_size);
	fz.run[j] = NULL;
	pthread_rwlock_unlock(&fz.run_lock[j]);
}

static void vm_close(int i)
{
	ent_retire(&fz.vm[i]);
	close(load_fd(&fz.vm[i]));
}

static void fill_arena(void)
{
	memset(fz.resv, 0xf4, ARENA_SIZE);	/* HLT */
}

/* What a forked child found: the first call that did not give EIO. */
struct child_report {
	int what;		/* 0: all as expected; 1 VM, 2 vCPU, 3 sys fd */
	int fd;
	unsigned long cmd;
	long ret;
	int err;
};

/*
 * In a child: every VM and vCPU ioctl on the parent's fds must give EIO,
 * the system fd works. System calls only, no formatting: the parent has
 * threads, and a lock one of them held at the fork stays held here.
 */
static void __attribute__((noreturn))
child_check(int out, const int *vms, const int *vcpus, int sys)
{
	static const unsigned long vm_cmds[] = { HVX_GET_VM_STATS,
		HVX_CREATE_VCPU, HVX_SET_MEMORY_REGION, HVX_CREATE_IRQCHIP,
		HVX_GET_DIRTY_LOG, HVX_IRQ_LINE, HVX_SIGNAL_MSI, HVX_IOEVENTFD,
		HVX_IRQFD };
	static const unsigned long vcpu_cmds[] = { HVX_RUN, HVX_GET_REGS,
		HVX_SET_REGS, HVX_GET_SREGS, HVX_GET_VCPU_STATS,
		HVX_INJECT_EVENT, HVX_GET_FPU };
	static struct hvx_fpu buf;	/* big enough for any of them */
	struct itimerval tick = { { 0, 50000 }, { 0, 50000 } };
	struct child_report r = { 0 };
	unsigned int i, k;
	int fd;

	/* Were HVX_RUN to run the parent's guest here, this ends it. */
	setitimer(ITIMER_REAL, &tick, NULL);
	for (i = 0; i < NR_VMS + NR_VCPUS && !r.what; i++) {
		bool is_vm = i < NR_VMS;
		int f = is_vm ? vms[i] : vcpus[i - NR_VMS];
		unsigned int n = is_vm ? ARRAY_SIZE(vm_cmds) :
					 ARRAY_SIZE(vcpu_cmds);

		for (k = 0; f >= 0 && k < n && !r.what; k++) {
			r.cmd = is_vm ? vm_cmds[k] : vcpu_cmds[k];
			memset(&buf, 0, sizeof(buf));
			r.ret = xioctl(f, r.cmd, r.cmd == HVX_CREATE_VCPU ? 1 :
				       r.cmd == HVX_RUN ||
				       r.cmd == HVX_CREATE_IRQCHIP ? 0 :
				       (uintptr_t)&buf);
			r.err = errno;
			if (r.ret != -1 || r.err != EIO) {
				r.what = is_vm ? 1 : 2;
				r.fd = f;
			}
		}
	}
	if (!r.what) {
		/* The system fd is not tied to a process, and a VM of its own works. */
		r.cmd = HVX_GET_API_VERSION;
		r.ret = xioctl(sys, r.cmd, 0);
		if (r.ret == HVX_API_VERSION) {
			r.cmd = HVX_CREATE_VM;
			r.ret = fd = xioctl(sys, r.cmd, 0);
			if (fd >= 0) {
				r.cmd = HVX_GET_VM_STATS;
				r.ret = xioctl(fd, r.cmd, (uintptr_t)&buf);
			}
		}
		r.err = errno;
		if (r.ret != 0) {
			r.what = 3;
			r.fd = sys;
		}
	}
	_exit(write(out, &r, sizeof(r)) == sizeof(r) ? 0 : 1);
}

static void fork_check(void)
{
	static const char *const what[] = { "", "VM", "vCPU", "/dev/hvx" };
	int vms[NR_VMS], vcpus[NR_VCPUS], p[2], status, i;
	struct child_report r;
	pid_t pid;

	/* This thread is the only one that changes the tables. */
	for (i = 0; i < NR_VMS; i++)
		vms[i] = load_fd(&fz.vm[i]);
	for (i = 0; i < NR_VCPUS; i++)
		vcpus[i] = load_fd(&fz.vcpu[i]);
	if (pipe2(p, O_CLOEXEC)) {
		bad("pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		child_check(p[1], vms, vcpus, load_fd(&fz.sys0));
	}
	close(p[1]);
	if (pid < 0) {
		bad("fork: %s", strerror(errno));
		close(p[0]);
		return;
	}
	if (read(p[0], &r, sizeof(r)) != sizeof(r)) {
		memset(&r, 0, sizeof(r));
		bad("child: died before reporting");
	}
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		bad("child: wait status %#x", status);
	if (r.what)
		bad("child: ioctl %#lx on the parent's %s fd %d: %ld (%s)%s",
		    r.cmd, what[r.what], r.fd, r.ret,
		    r.ret < 0 ? strerror(r.err) : "success",
		    r.what < 3 ? ", not EIO" : "");
	fz.forks++;
}

static void *closer_fn(void *arg)
{
	uint64_t s = splitmix(fz.seed ^ (0xc105e + fz.round));
	unsigned long calls, last = 0, gap = 0;
	int i, j, fd;

	while (!stopping()) {
		calls = __atomic_load_n(&fz.calls, __ATOMIC_RELAXED);
		/* Twice a round, at a third and at two thirds of it. */
		if (fz.forks < 2 && calls >= fz.target * (fz.forks + 1) / 3)
			fork_check();
		/*
		 * Every few hundred calls of the others, whatever a call costs
		 * on this machine: new VMs and vCPUs are the dearest calls, and
		 * the others must get to use each for a while.
		 */
		if (calls - last < gap) {
			sleep_ns(100000);
			continue;
		}
		last = calls;
		gap = 100 + below(&s, 500);
		switch (below(&s, 10)) {
		case 0: case 1: case 2: case 3:
			j = below(&s, NR_VCPUS);
			vcpu_close(j);
			sleep_ns(below(&s, 500000));
			vcpu_new(&s, j);
			break;
		case 4: case 5:
			/* Its vCPUs keep the old VM until they go too. */
			i = below(&s, NR_VMS);
			vm_close(i);
			sleep_ns(below(&s, 500000));
			ent_install(&fz.vm[i], vm_new(&s));
			break;
		case 6:
			/* All of a VM at once: the numbers come back at once. */
			i = below(&s, NR_VMS);
			for (j = 0; j < VCPUS_PER_VM; j++)
				vcpu_close(i * VCPUS_PER_VM + j);
			vm_close(i);
			ent_install(&fz.vm[i], vm_new(&s));
			for (j = 0; j < VCPUS_PER_VM; j++)
				vcpu_new(&s, i * VCPUS_PER_VM + j);
			break;
		case 7:
			close_extras();
			break;
		case 8:
			ent_retire(&fz.sys1);
			close(load_fd(&fz.sys1));
			fd = hvx_open();
			ent_install(&fz.sys1, fd < 0 ? -1 : fd);
			break;
		default:
			fill_arena();
		}
	}
	return NULL;
}

/* ---- Rounds ------------------------------------------------------------- */

static void tables_create(void)
{
	uint64_t s = splitmix(fz.seed ^ (0x7ab1e5 + fz.round));
	int i, fd;

	fd = hvx_open();
	ent_install(&fz.sys1, fd < 0 ? -1 : fd);
	for (i = 0; i < NR_VMS; i++)
		ent_install(&fz.vm[i], vm_new(&s));
	for (i = 0; i < NR_VCPUS; i++)
		vcpu_new(&s, i);
	for (i = 0; i < NR_EXTRA; i++)
		fz.extra[i] = -1;
}

static void tables_destroy(void)
{
	int i;

	for (i = 0; i < NR_VCPUS; i++)
		vcpu_close(i);
	for (i = 0; i < NR_VMS; i++)
		vm_close(i);
	ent_retire(&fz.sys1);
	close(load_fd(&fz.sys1));
	close_extras();
}

/*
 * Stop a round early if memory runs out under it: a leak per call would
 * otherwise end in the OOM killer, which says less than this.
 */
static const char *memory_guard(long vmalloc0)
{
	static char why[160];
	long v = meminfo_kb("VmallocUsed"), a = meminfo_kb("MemAvailable");

	if (v > vmalloc0 + GUARD_VMALLOC_KB)
		snprintf(why, sizeof(why), "VmallocUsed grew from %ld to %ld KiB during the round",
			 vmalloc0, v);
	else if (a >= 0 && a < GUARD_AVAILABLE_KB)
		snprintf(why, sizeof(why), "MemAvailable fell to %ld KiB during the round", a);
	else
		return NULL;
	return why;
}

/* One round of @calls calls (or until @deadline); NULL, or why it stopped. */
static const char *round_run(struct worker *w, int nw, unsigned long calls,
			     double deadline, uint64_t round)
{
	const char *why = NULL;
	long vmalloc0 = meminfo_kb("VmallocUsed");
	pthread_t closer;
	double next_guard = 0;
	int i;

	fz.target = calls;
	fz.round = round;
	fz.forks = 0;
	__atomic_store_n(&fz.calls, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&fz.stop, 0, __ATOMIC_SEQ_CST);
	fill_arena();
	tables_create();
	for (i = 0; i < nw; i++) {
		w[i].rng = splitmix(fz.seed + round * 0x1000 + i) | 1;
		if (pthread_create(&w[i].tid, NULL, worker_fn, &w[i]))
			return "pthread_create failed";
	}
	if (pthread_create(&closer, NULL, closer_fn, NULL))
		return "pthread_create failed";
	while (__atomic_load_n(&fz.calls, __ATOMIC_RELAXED) < calls &&
	       monotonic_s() < deadline) {
		sleep_ns(20000000);
		if (monotonic_s() >= next_guard) {
			next_guard = monotonic_s() + 1;
			why = memory_guard(vmalloc0);
			if (why)
				break;
		}
	}
	__atomic_store_n(&fz.stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < nw; i++)
		pthread_join(w[i].tid, NULL);
	pthread_join(closer, NULL);
	tables_destroy();
	return why;
}

static char *map_or_die(size_t len, int prot)
{
	char *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A buffer of @len bytes followed by a PROT_NONE guard page. */
static char *guarded(size_t len)
{
	char *p = map_or_die(len + PAGE, PROT_READ | PROT_WRITE);

	if (p && mprotect(p + len, PAGE, PROT_NONE))
		return NULL;
	return p;
}

static unsigned int phys_bits(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	unsigned int bits = 36;
	char line[256];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "address sizes : %u bits physical", &bits) == 1)
			break;
	if (f)
		fclose(f);
	return bits;
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

/* The patterns that say the host kernel is not whole. */
static const char *const trouble[] = {
	"WARNING", "BUG", "Oops", "lockdep", "possible circular locking",
	"inconsistent lock state", "general protection", "Call Trace",
	"vmalloc error", "page allocation failure", "blocked for more than",
	"soft lockup",
};

/* ---- The test ----------------------------------------------------------- */

FIXTURE(fuzz) {
	bool loaded_here;
	bool ready;
};

FIXTURE_SETUP(fuzz)
{
	const char *why = hvx_need_module(&self->loaded_here);

	if (why)
		SKIP(return, "%s", why);
	self->ready = true;
}

FIXTURE_TEARDOWN(fuzz)
{
	if (self->loaded_here)
		EXPECT_EQ(0, hvx_unload());
}

/* The soak's time plus a margin; see fuzz_timeout() below. */
#define FUZZ_TIMEOUT		1500

TEST_F_TIMEOUT(fuzz, ioctls_mmap_close_fork, FUZZ_TIMEOUT)
{
	static struct worker w[MAX_THREADS];
	static char log[256 << 10];
	unsigned long calls, rounds = 0, warm, main_calls = 0;
	struct hvx_mem_probe before, after;
	double start, deadline, secs, soak;
	const char *why;
	pthread_rwlockattr_t rwattr;
	struct sigaction sa;
	unsigned int i, k, nw;
	int mark, memfd;
	char *line;

	if (!self->ready)
		return;
	fz.seed = env_ul("HVX_FUZZ_SEED", DEFAULT_SEED);
	calls = env_ul("HVX_FUZZ_CALLS", DEFAULT_CALLS);
	nw = env_ul("HVX_FUZZ_THREADS", DEFAULT_THREADS);
	soak = env_ul("HVX_SOAK_SECONDS", 0);
	ASSERT_LE(1, nw);
	ASSERT_GE(MAX_THREADS, nw);
	TH_LOG("seed %#llx (HVX_FUZZ_SEED=%#llx replays it), %lu calls on %u threads%s",
	       (unsigned long long)fz.seed, (unsigned long long)fz.seed,
	       calls, nw, soak ? ", rounds until HVX_SOAK_SECONDS" : "");

	mark = kmsg_mark();
	ASSERT_LE(0, mark) TH_LOG("/dev/kmsg: %s", strerror(-mark));
	fz.phys_bits = phys_bits();
	fz.mem_total_kb = meminfo_kb("MemTotal");
	fz.sys0.fd = hvx_open();
	ASSERT_LE(0, fz.sys0.fd);
	fz.run_size = xioctl(fz.sys0.fd, HVX_GET_VCPU_MMAP_SIZE, 0);
	ASSERT_LE(64, fz.run_size);
	pthread_mutex_init(&fz.extra_lock, NULL);
	pthread_mutex_init(&fz.bad_lock, NULL);
	/* The closer must get its turn between the threads that run. */
	pthread_rwlockattr_init(&rwattr);
	pthread_rwlockattr_setkind_np(&rwattr,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	for (i = 0; i < NR_VCPUS; i++)
		pthread_rwlock_init(&fz.run_lock[i], &rwattr);
	/* Odd: nothing installed yet (see struct ent). */
	fz.sys1.gen = 1;
	for (i = 0; i < NR_VMS; i++)
		fz.vm[i].gen = 1;
	for (i = 0; i < NR_VCPUS; i++)
		fz.vcpu[i].gen = 1;
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		total_weight += ops[i].weight;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sigalrm;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));	/* no SA_RESTART */

	/* Guest memory: see ARENA_SIZE. */
	fz.resv = map_or_die(RESV_SIZE, PROT_NONE);
	ASSERT_NE(NULL, fz.resv);
	ASSERT_EQ(0, mprotect(fz.resv, ARENA_SIZE + ARENA_RO_SIZE,
			      PROT_READ | PROT_WRITE));
	memset(fz.resv, 0xf4, ARENA_SIZE + ARENA_RO_SIZE);
	ASSERT_EQ(0, mprotect(fz.resv + ARENA_RO_OFF, ARENA_RO_SIZE, PROT_READ));
	memfd = memfd_create("hvx-fuzz", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, MEMFD_SIZE));
	fz.memfd_mem = mmap(NULL, MEMFD_SIZE, PROT_READ | PROT_WRITE,
			    MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, fz.memfd_mem);
	memset(fz.memfd_mem, 0xf4, MEMFD_SIZE);
	fz.ro = map_or_die(2 * PAGE, PROT_READ | PROT_WRITE);
	fz.none = map_or_die(PAGE, PROT_NONE);
	ASSERT_NE(NULL, fz.ro);
	ASSERT_NE(NULL, fz.none);
	for (i = 0; i < 2 * PAGE; i++)
		fz.ro[i] = splitmix(fz.seed + i);
	ASSERT_EQ(0, mprotect(fz.ro, 2 * PAGE, PROT_READ));
	for (i = 0; i < nw; i++) {
		w[i].idx = i;
		w[i].buf = map_or_die(BUF_SIZE, PROT_READ | PROT_WRITE);
		w[i].arr = map_or_die(BUF_SIZE, PROT_READ | PROT_WRITE);
		w[i].edge = guarded(EDGE_RW);
		w[i].bitmap = guarded(BITMAP_SIZE);
		ASSERT_TRUE(w[i].buf && w[i].arr && w[i].edge && w[i].bitmap);
	}

	/* Warm-up: what the first calls allocate for good is no leak. */
	why = round_run(w, nw, WARMUP_CALLS, monotonic_s() + 600, 0);
	warm = __atomic_load_n(&fz.calls, __ATOMIC_RELAXED);
	ASSERT_TRUE(fz.have_templates) TH_LOG("no vCPU could be created");
	before = after = mem_probe();

	start = monotonic_s();
	deadline = start + (soak ? soak : MAIN_DEADLINE_S);
	while (!why) {
		double t0 = monotonic_s();
		unsigned long n;

		why = round_run(w, nw, calls, deadline, ++rounds);
		n = __atomic_load_n(&fz.calls, __ATOMIC_RELAXED);
		main_calls += n;
		after = mem_probe();
		TH_LOG("round %lu: %lu calls in %.1f s (%.0f/s), %d forks; SUnreclaim %+ld KiB, VmallocUsed %+ld KiB, MemAvailable %+ld KiB since the warm-up",
		       rounds, n, monotonic_s() - t0,
		       n / (monotonic_s() - t0), fz.forks,
		       after.unreclaimable - before.unreclaimable,
		       after.vmalloc_used - before.vmalloc_used,
		       after.available - before.available);
		if (!soak || fz.bad || monotonic_s() >= deadline)
			break;
	}
	secs = monotonic_s() - start;

	TH_LOG("%lu calls in all: %lu warm-up, then %lu in %lu round(s) in %.1f s; %lu not as documented",
	       warm + main_calls, warm, main_calls, rounds, secs, fz.bad);
	TH_LOG("SUnreclaim %ld -> %ld KiB (%+ld), VmallocUsed %ld -> %ld KiB (%+ld), MemAvailable %ld -> %ld KiB (%+ld)",
	       before.unreclaimable, after.unreclaimable,
	       after.unreclaimable - before.unreclaimable,
	       before.vmalloc_used, after.vmalloc_used,
	       after.vmalloc_used - before.vmalloc_used,
	       before.available, after.available,
	       after.available - before.available);
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		char errs[400];
		size_t pos = 0;

		errs[0] = '\0';
		for (k = 1; k < 64; k++)
			if (ops[i].err[k])
				pos += snprintf(errs + pos, sizeof(errs) - pos,
						" %s %lu", strerrorname_np(k),
						ops[i].err[k]);
		TH_LOG("  %-22s %7lu calls, %7lu ok;%s", ops[i].name,
		       ops[i].calls, ops[i].ok, errs);
	}
	for (i = 0; i < fz.bad && i < ARRAY_SIZE(fz.bad_msgs); i++)
		TH_LOG("not as documented: %s", fz.bad_msgs[i]);

	EXPECT_EQ(NULL, why) TH_LOG("stopped early: %s", why);
	EXPECT_EQ(0, fz.bad);
	/* A soak goes by the clock; otherwise the round must have finished. */
	if (!soak)
		EXPECT_LE(calls, main_calls);
	EXPECT_LE(1, fz.forks);
	EXPECT_GE(before.unreclaimable + SLAB_LIMIT_KB, after.unreclaimable);
	EXPECT_GE(before.vmalloc_used + VMALLOC_LIMIT_KB, after.vmalloc_used);
	EXPECT_LE(before.available - PAGES_LIMIT_KB, after.available);

	/* The kernel said nothing alarming while we ran. */
	kmsg_since(mark, log, sizeof(log));
	k = 0;
	for (line = strtok(log, "\n"); line; line = strtok(NULL, "\n"))
		for (i = 0; i < ARRAY_SIZE(trouble); i++)
			if (strstr(line, trouble[i])) {
				if (k++ < 40)
					TH_LOG("kernel: %s", line);
				break;
			}
	EXPECT_EQ(0, k) TH_LOG("%u alarming kernel log lines", k);
	close(fz.sys0.fd);
}

/*
 * The harness's time limit is fixed when the test is declared; a soak
 * runs for as long as HVX_SOAK_SECONDS says, so stretch the limit before
 * the harness starts. (Runs after the declaration's own constructor: it
 * only changes a field of the object that one registered.)
 */
static void __attribute__((constructor)) fuzz_timeout(void)
{
	unsigned long soak = env_ul("HVX_SOAK_SECONDS", 0);

	if (soak)
		_fuzz_ioctls_mmap_close_fork_object.timeout = soak + FUZZ_TIMEOUT;
}

TEST_HARNESS_MAIN
