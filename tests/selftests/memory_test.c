// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: HVX_SET_MEMORY_REGION's checks, read-only slots, slots
 * deleted and added back while the vCPU is idle, every slot number in use,
 * and what the guest writes being what the host reads and the other way
 * around (several pages, the last page of a slot included); memory that
 * follows the owner's page tables (MADV_DONTNEED, munmap and a new
 * mapping, KSM merging).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/hvx.h>

#include "kselftest_harness.h"
#include "hvx_util.h"
#include "hvx_vm.h"
#include "ucall.h"

#define GUEST_MEM		HVX_VM_DEFAULT_MEM	/* 16 MiB, slot 0 */
#define PAGE			HVX_PAGE_SIZE
/* Right after slot 0, inside the guest's 4 GiB identity map. */
#define SLOT1_GPA		GUEST_MEM
#define REAL_CODE_SEG		0x0100		/* real-mode code at 0x1000 */
#define REAL_CODE_GPA		0x1000ull

FIXTURE(memory) {
	bool loaded_here;
	bool ready;
	struct hvx_vm *vm;
};

FIXTURE_SETUP(memory)
{
	const char *why = hvx_need_module(&self->loaded_here);

	if (why)
		SKIP(return, "%s", why);
	self->ready = true;
}

FIXTURE_TEARDOWN(memory)
{
	vm_free(self->vm);
	if (self->loaded_here)
		EXPECT_EQ(0, hvx_unload());
}

/* Delete @slot in the kernel; the backing memory stays mapped. */
static void *delete_slot(struct hvx_vm *vm, uint32_t slot)
{
	struct hvx_mem_region *r = &vm->regions[slot];
	void *hva = r->hva;

	TEST_ASSERT(r->used, "slot %u is not in use", slot);
	TEST_ASSERT(__vm_set_memory_region(vm, slot, 0, r->gpa, 0, r->hva) == 0,
		    "deleting slot %u: %s", slot, strerror(errno));
	r->used = false;
	return hva;
}

static uint64_t ro_word(unsigned int i)
{
	return 0x524f000000000000ull | (uint64_t)i * 0x10001ull;
}

/* Stores and loads as single MOVs, so that an MMIO exit can decode them. */
static inline __attribute__((always_inline)) __guest_code void
g_store64(uint64_t addr, uint64_t v)
{
	asm volatile("movq %1, (%0)" : : "r"(addr), "r"(v) : "memory");
}

static inline __attribute__((always_inline)) __guest_code void
g_store32(uint64_t addr, uint32_t v)
{
	asm volatile("movl %1, (%0)" : : "r"(addr), "r"(v) : "memory");
}

static inline __attribute__((always_inline)) __guest_code uint64_t
g_load64(uint64_t addr)
{
	uint64_t v;

	asm volatile("movq (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

/* ---- HVX_SET_MEMORY_REGION's checks ------------------------------------ */

static int set_region(struct hvx_vm *vm, uint32_t slot, uint32_t flags,
		      uint64_t gpa, uint64_t size, uint64_t uaddr)
{
	struct hvx_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.size = size, .userspace_addr = uaddr,
	};

	return ioctl(vm->fd, HVX_SET_MEMORY_REGION, &r);
}

/* "address sizes : 40 bits physical, ..." of /proc/cpuinfo, or 0. */
static int phys_bits(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[512];
	int bits = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "address sizes : %d bits physical", &bits) == 1)
			break;
	fclose(f);
	return bits;
}

#define EXPECT_ERRNO(err, call)						\
	do {								\
		EXPECT_EQ(-1, call);					\
		EXPECT_EQ(err, errno);					\
	} while (0)

TEST_F_TIMEOUT(memory, set_region_errors, 120)
{
	static const uint8_t hlt[] = { 0xf4 };
	const uint64_t size = 16 * PAGE;
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	uint64_t buf, limit;
	int bits;
	void *p;

	NEED_HVX();
	vm = self->vm = vm_create(GUEST_MEM);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	buf = (uint64_t)(uintptr_t)p;

	/* Slot numbers. */
	EXPECT_ERRNO(EINVAL, set_region(vm, HVX_MAX_MEM_SLOTS, 0, SLOT1_GPA,
					size, buf));
	EXPECT_ERRNO(EINVAL, set_region(vm, 0xffffffff, 0, SLOT1_GPA, size,
					buf));
	EXPECT_ERRNO(EINVAL, set_region(vm, HVX_MAX_MEM_SLOTS, 0, 0, 0, 0));

	/* Flags: unknown ones, and read-only with dirty logging. */
	EXPECT_ERRNO(EINVAL, set_region(vm, 1, 1u << 31, SLOT1_GPA, size,
					buf));
	EXPECT_ERRNO(EINVAL, set_region(vm, 1, 0x80000000u | HVX_MEM_READONLY,
					SLOT1_GPA, size, buf));
	EXPECT_ERRNO(EINVAL, set_region(vm, 1,
					HVX_MEM_READONLY | HVX_MEM_LOG_DIRTY,
					SLOT1_GPA, size, buf));

	/* Alignment of base, size and backing address. */
	EXPECT_ERRNO(EINVAL, set_region(vm, 1, 0, SLOT1_GPA + 0x800, size,
					buf));
	EXPECT_ERRNO(EINVAL, set_region(vm, 1, 0, SLOT1_GPA, size - 0x800,
					buf));
	EXPECT_ERRNO(EINVAL, set_region(vm, 1, 0, SLOT1_GPA, size,
					buf + 0x10));

	/* Ranges that wrap or pass the guest-physical address width. */
	EXPECT_ERRNO(EINVAL, set_region(vm, 1, 0, 0xfffffffffffff000ull,
					2 * PAGE, buf));
	EXPECT_ERRNO(EINVAL, set_region(vm, 1, 0, 1ull << 52, PAGE, buf));
	EXPECT_ERRNO(EINVAL, set_region(vm, 1, 0, (1ull << 52) - PAGE,
					2 * PAGE, buf));
	bits = phys_bits();
	if (bits > 32 && bits <= 52) {
		limit = 1ull << bits;
		EXPECT_ERRNO(EINVAL, set_region(vm, 1, 0, limit, PAGE, buf));
		EXPECT_ERRNO(EINVAL, set_region(vm, 1, 0, limit - PAGE,
						2 * PAGE, buf));
		/* Up to the last page is fine. */
		EXPECT_EQ(0, set_region(vm, 1, 0, limit - PAGE, PAGE, buf));
		EXPECT_EQ(0, set_region(vm, 1, 0, 0, 0, 0));
		TH_LOG("%d physical address bits", bits);
	}

	/* Backing memory that is not user memory, or wraps. */
	EXPECT_ERRNO(EFAULT, set_region(vm, 1, 0, SLOT1_GPA, size,
					0xffff888000000000ull));
	EXPECT_ERRNO(EFAULT, set_region(vm, 1, 0, SLOT1_GPA, 2 * PAGE,
					0xfffffffffffff000ull));

	/* Overlaps with slot 0 ([0, 16 MiB)), whatever the slot number. */
	EXPECT_ERRNO(EEXIST, set_region(vm, 1, 0, GUEST_MEM - PAGE, size,
					buf));
	EXPECT_ERRNO(EEXIST, set_region(vm, 1, 0, 0, GUEST_MEM, buf));
	EXPECT_ERRNO(EEXIST, set_region(vm, 1, 0, 0x100000, PAGE, buf));
	/* Slot 0 again, even for a free range. */
	EXPECT_ERRNO(EEXIST, set_region(vm, 0, 0, SLOT1_GPA, size, buf));

	/* Deleting a slot that is not in use. */
	EXPECT_ERRNO(ENOENT, set_region(vm, 5, 0, 0, 0, 0));
	EXPECT_ERRNO(ENOENT, set_region(vm, HVX_MAX_MEM_SLOTS - 1, 0, 0, 0,
					0));

	/* The struct itself unreadable. */
	EXPECT_ERRNO(EFAULT, ioctl(vm->fd, HVX_SET_MEMORY_REGION, (void *)8));

	/* And the good case next to the failures: add, delete, add again. */
	EXPECT_EQ(0, set_region(vm, 1, 0, SLOT1_GPA, size, buf));
	EXPECT_ERRNO(EEXIST, set_region(vm, 1, 0, SLOT1_GPA + size, size,
					buf));
	EXPECT_ERRNO(EEXIST, set_region(vm, 2, 0, SLOT1_GPA + size - PAGE,
					size, buf));
	/* Adjacent is not overlapping. */
	EXPECT_EQ(0, set_region(vm, 2, 0, SLOT1_GPA + size, size, buf));
	EXPECT_EQ(0, set_region(vm, 1, 0, 0, 0, 0));
	EXPECT_ERRNO(ENOENT, set_region(vm, 1, 0, 0, 0, 0));
	EXPECT_EQ(0, set_region(vm, 1, HVX_MEM_READONLY, SLOT1_GPA, size,
				buf));
	EXPECT_EQ(0, set_region(vm, 1, 0, 0, 0, 0));
	EXPECT_EQ(0, set_region(vm, 2, 0, 0, 0, 0));

	/* None of this hurt the VM. */
	vcpu = vcpu_add(vm, 0);
	vm_write(vm, REAL_CODE_GPA, hlt, sizeof(hlt));
	vcpu_setup_real_mode(vcpu, REAL_CODE_SEG, 0);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);

	munmap(p, size);
}

static long max_l(long a, long b)
{
	return a > b ? a : b;
}

/* ---- Slots as large as the address space --------------------------------- */

/* An unmapped stretch of user address space to give as backing. */
#define HOLE_UADDR		0x100000000000ull	/* 16 TiB */

/*
 * A slot costs nothing until the guest touches it (no page array: the EPT
 * is the record of what is mapped), so one of 512 GiB or 1 TiB is made
 * and deleted at once, and leaves nothing behind. With dirty logging, its
 * bitmap (16 or 32 MiB) is allocated or the slot fails with ENOMEM: either
 * way without an allocation warning in the kernel log, and the bitmap goes
 * with the slot (it once leaked). Above the cap on pages per slot
 * (HVX_MAX_SLOT_PAGES) it is EINVAL up front.
 */
TEST_F_TIMEOUT(memory, huge_slots_cost_nothing_until_touched, 300)
{
	static const uint64_t sizes[] = { 512ull << 30, 1ull << 40 };
	struct hvx_vm_stats st;
	long before, after, peak = 0;
	char log[4096];
	unsigned int i, k, tried = 0;
	int mark, bits, rc;

	NEED_HVX();
	self->vm = vm_create(GUEST_MEM);
	bits = phys_bits();
	mark = kmsg_mark();
	before = meminfo_kb("VmallocUsed");
	for (k = 0; k < 4; k++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			if (bits && SLOT1_GPA + sizes[i] > 1ull << bits)
				continue;
			ASSERT_EQ(0, set_region(self->vm, 1, 0, SLOT1_GPA,
						sizes[i], HOLE_UADDR))
				TH_LOG("a %llu GiB slot: %s",
				       (unsigned long long)(sizes[i] >> 30),
				       strerror(errno));
			ASSERT_EQ(0, ioctl(self->vm->fd, HVX_GET_VM_STATS, &st));
			EXPECT_EQ(2, st.mem_slots);
			peak = max_l(peak, meminfo_kb("VmallocUsed"));
			ASSERT_EQ(0, set_region(self->vm, 1, 0, SLOT1_GPA, 0, 0));
			rc = set_region(self->vm, 1, HVX_MEM_LOG_DIRTY, SLOT1_GPA,
					sizes[i], HOLE_UADDR);
			EXPECT_TRUE(rc == 0 || errno == ENOMEM)
				TH_LOG("a logged %llu GiB slot: %s",
				       (unsigned long long)(sizes[i] >> 30),
				       strerror(errno));
			if (rc == 0)
				ASSERT_EQ(0, set_region(self->vm, 1, 0,
							SLOT1_GPA, 0, 0));
			tried++;
		}
	}
	after = meminfo_kb("VmallocUsed");
	/* One page more than the cap: refused before any allocation. */
	EXPECT_ERRNO(EINVAL, set_region(self->vm, 1, 0, 0x1000000000000ull -
					(HVX_MAX_SLOT_PAGES + 1) * PAGE,
					(HVX_MAX_SLOT_PAGES + 1) * PAGE,
					HOLE_UADDR));
	ASSERT_LT(0, tried) TH_LOG("%d physical address bits: no room", bits);
	EXPECT_GT(before + 1024, peak)
		TH_LOG("VmallocUsed %ld KiB, %ld with an unlogged huge slot",
		       before, peak);
	EXPECT_GT(before + 1024, after)
		TH_LOG("VmallocUsed %ld -> %ld KiB over %u slots made and deleted",
		       before, after, 2 * tried);
	kmsg_since(mark, log, sizeof(log));
	EXPECT_EQ(NULL, strstr(log, "WARNING")) TH_LOG("kernel log:\n%s", log);
	/* The VM still takes a normal slot in the same place. */
	vm_add_region(self->vm, 1, SLOT1_GPA, 16 * PAGE, HVX_MEM_LOG_DIRTY);
}

/* ---- What may back a slot ----------------------------------------------- */

#define RAMFS_DIR		"/tmp/hvx-ramfs"

static void __guest_code guest_read_word(uint64_t gpa)
{
	GUEST_SYNC_ARGS(1, *(volatile uint64_t *)gpa, 0, 0);
	GUEST_DONE();
}

/*
 * Guest RAM is anonymous, shmem or hugetlbfs memory: a page-cache file
 * (ramfs here, as any regular file system) is refused, shared or private,
 * and a memfd (shmem) works, coherent both ways.
 */
TEST_F_TIMEOUT(memory, file_backed_memory_is_refused_memfd_works, 120)
{
	const size_t size = 16 * PAGE;
	struct hvx_vcpu *vcpu;
	struct ucall uc;
	uint64_t *p;
	int fd;

	NEED_HVX();
	self->vm = vm_create(GUEST_MEM);
	mkdir(RAMFS_DIR, 0700);
	if (mount("none", RAMFS_DIR, "ramfs", 0, NULL))
		SKIP(return, "cannot mount ramfs: %s", strerror(errno));
	fd = open(RAMFS_DIR "/backing", O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, size));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_ERRNO(EINVAL, set_region(self->vm, 1, 0, SLOT1_GPA, size,
					(uintptr_t)p));
	munmap(p, size);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_ERRNO(EINVAL, set_region(self->vm, 1, 0, SLOT1_GPA, size,
					(uintptr_t)p));
	munmap(p, size);
	close(fd);
	umount(RAMFS_DIR);
	rmdir(RAMFS_DIR);

	fd = memfd_create("hvx-guest", MFD_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, size));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, set_region(self->vm, 1, 0, SLOT1_GPA, size,
				(uintptr_t)p));
	p[3 * 512] = 0x6d656d6664ull;	/* "memfd" */
	vm_load_self(self->vm);
	vcpu = vcpu_add(self->vm, 0);
	vcpu_setup_long_mode(vcpu, guest_read_word, SLOT1_GPA + 3 * PAGE);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x6d656d6664ull, uc.args[1]);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(0, set_region(self->vm, 1, 0, SLOT1_GPA, 0, 0));
	munmap(p, size);
	close(fd);
}

/* ---- Read-only slots ---------------------------------------------------- */

#define RO_PAGES	4
#define RO_WRITE64	0xdeadbeefcafef00dull
#define RO_WRITE32	0x5a5aa5a5u
#define RO_NEW_WORD	0x0123456789abcdefull

static void __guest_code guest_readonly(uint64_t base)
{
	const volatile uint64_t *p = (const volatile uint64_t *)base;

	GUEST_SYNC_ARGS(1, p[0], p[1], p[512]);
	/* A write: an MMIO exit, and memory keeps its contents. */
	g_store64(base + 8, RO_WRITE64);
	GUEST_SYNC_ARGS(2, p[1], 0, 0);
	/* A write to a page the guest has not read yet. */
	g_store32(base + 2 * PAGE + 16, RO_WRITE32);
	GUEST_SYNC_ARGS(3, p[2 * 512 + 2], p[2 * 512], 0);
	/* The host changed page 1 meanwhile. */
	GUEST_SYNC_ARGS(4, p[512], p[3 * 512 + 511], 0);
}

TEST_F_TIMEOUT(memory, readonly_region, 120)
{
	struct hvx_vcpu *vcpu;
	struct hvx_run *run;
	struct hvx_vm *vm;
	struct ucall uc;
	uint64_t *ro, v;
	unsigned int i;

	NEED_HVX();
	vm = self->vm = vm_create(GUEST_MEM);
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	run = vcpu->run;
	ro = vm_add_region(vm, 1, SLOT1_GPA, RO_PAGES * PAGE,
			   HVX_MEM_READONLY);
	for (i = 0; i < RO_PAGES * PAGE / 8; i++)
		ro[i] = ro_word(i);
	vcpu_setup_long_mode(vcpu, guest_readonly, SLOT1_GPA);

	/* Reads see what the host wrote. */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ(ro_word(0), uc.args[1]);
	EXPECT_EQ(ro_word(1), uc.args[2]);
	EXPECT_EQ(ro_word(512), uc.args[3]);
	ro[512] = RO_NEW_WORD;

	/* A 64-bit write: MMIO exit with address and data. */
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_MMIO);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(SLOT1_GPA + 8, run->mmio.phys_addr);
	ASSERT_EQ(8, run->mmio.len);
	memcpy(&v, run->mmio.data, 8);
	EXPECT_EQ(RO_WRITE64, v);
	EXPECT_EQ(ro_word(1), ro[1]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(ro_word(1), uc.args[1]);

	/* A 32-bit write to a page not mapped yet. */
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_MMIO);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(SLOT1_GPA + 2 * PAGE + 16, run->mmio.phys_addr);
	ASSERT_EQ(4, run->mmio.len);
	v = 0;
	memcpy(&v, run->mmio.data, 4);
	EXPECT_EQ(RO_WRITE32, v);
	EXPECT_EQ(ro_word(2 * 512 + 2), ro[2 * 512 + 2]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(3, uc.args[0]);
	EXPECT_EQ(ro_word(2 * 512 + 2), uc.args[1]);
	EXPECT_EQ(ro_word(2 * 512), uc.args[2]);

	/* The host's later change of a page the guest had read shows. */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(4, uc.args[0]);
	EXPECT_EQ(RO_NEW_WORD, uc.args[1]);
	EXPECT_EQ(ro_word(3 * 512 + 511), uc.args[2]);

	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	for (i = 0; i < RO_PAGES * PAGE / 8; i++)
		if (i != 512)
			ASSERT_EQ(ro_word(i), ro[i]) TH_LOG("word %u", i);
}

/* ---- Deleting and adding slots back ------------------------------------- */

/* Loads a word of each of two pages, in this order, and reports them. */
static void __guest_code guest_reader(uint64_t gpa)
{
	for (;;) {
		uint64_t v0 = g_load64(gpa);
		uint64_t v1 = g_load64(gpa + PAGE);

		GUEST_SYNC_ARGS(1, v0, v1, 0);
	}
}

TEST_F_TIMEOUT(memory, delete_and_readd_region, 120)
{
	const uint64_t size = 2 * PAGE;
	uint64_t *a, *b, v;
	struct hvx_vcpu *vcpu;
	struct hvx_run *run;
	struct hvx_vm *vm;
	struct ucall uc;

	NEED_HVX();
	vm = self->vm = vm_create(GUEST_MEM);
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	run = vcpu->run;
	a = vm_add_region(vm, 1, SLOT1_GPA, size, 0);
	a[0] = 0xaaaa000000000001ull;
	a[512] = 0xaaaa000000000002ull;
	vcpu_setup_long_mode(vcpu, guest_reader, SLOT1_GPA);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(a[0], uc.args[1]);
	EXPECT_EQ(a[512], uc.args[2]);

	/* Deleted: the same loads are MMIO now, at the addresses used. */
	ASSERT_EQ(a, delete_slot(vm, 1));
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_MMIO);
	EXPECT_EQ(0, run->mmio.is_write);
	EXPECT_EQ(SLOT1_GPA, run->mmio.phys_addr);
	ASSERT_EQ(8, run->mmio.len);
	v = 0x1111222233334444ull;
	memcpy(run->mmio.data, &v, 8);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_MMIO);
	EXPECT_EQ(0, run->mmio.is_write);
	EXPECT_EQ(SLOT1_GPA + PAGE, run->mmio.phys_addr);
	ASSERT_EQ(8, run->mmio.len);
	v = 0x5555666677778888ull;
	memcpy(run->mmio.data, &v, 8);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x1111222233334444ull, uc.args[1]);
	EXPECT_EQ(0x5555666677778888ull, uc.args[2]);

	/* Added back with other memory: the guest sees the new contents. */
	b = vm_add_region(vm, 1, SLOT1_GPA, size, 0);
	ASSERT_NE(a, b);
	b[0] = 0xbbbb000000000001ull;
	b[512] = 0xbbbb000000000002ull;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0xbbbb000000000001ull, uc.args[1]);
	EXPECT_EQ(0xbbbb000000000002ull, uc.args[2]);

	/* The old memory is the host's alone again, and unchanged. */
	EXPECT_EQ(0xaaaa000000000001ull, a[0]);
	EXPECT_EQ(0xaaaa000000000002ull, a[512]);
	a[0] = 0xaaaa0000000000ffull;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0xbbbb000000000001ull, uc.args[1]);
	munmap(a, size);
}

/* ---- Coherence of guest and host views ---------------------------------- */

#define COH_PAGES	16
#define COH_SIZE	(COH_PAGES * PAGE)
#define COH_GUEST(i)	(0x6775657374000000ull | (i))
#define COH_HOST(i)	(0x686f737400000000ull | (i))

/* The last quadword of slot 0, synced from the host. */
static uint64_t coh_slot0_last;

static void __guest_code guest_coherence(uint64_t base)
{
	uint64_t last0 = *(volatile uint64_t *)&coh_slot0_last;
	uint64_t i;

	/* The guest writes: one word in each page, and the last words. */
	for (i = 0; i < COH_PAGES; i++)
		*(volatile uint64_t *)(base + i * PAGE + i * 8) = COH_GUEST(i);
	*(volatile uint64_t *)(base + COH_SIZE - 8) = COH_GUEST(0xfff);
	*(volatile uint64_t *)last0 = COH_GUEST(0xffe);
	GUEST_SYNC(1);

	/* The host wrote: check each word. */
	for (i = 0; i < COH_PAGES; i++)
		GUEST_ASSERT_EQ(*(volatile uint64_t *)(base + i * PAGE + 2048 +
						       i * 8), COH_HOST(i));
	GUEST_ASSERT_EQ(*(volatile uint64_t *)(base + COH_SIZE - 16),
			COH_HOST(0xfff));
	GUEST_ASSERT_EQ(*(volatile uint64_t *)(last0 - 8), COH_HOST(0xffe));
	/* Its own writes are still there too. */
	for (i = 0; i < COH_PAGES; i++)
		GUEST_ASSERT_EQ(*(volatile uint64_t *)(base + i * PAGE + i * 8),
				COH_GUEST(i));
	GUEST_SYNC(2);
}

TEST_F_TIMEOUT(memory, guest_host_coherence, 120)
{
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	struct ucall uc;
	uint64_t *mem, *slot0;
	unsigned int i;

	NEED_HVX();
	vm = self->vm = vm_create(GUEST_MEM);
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	mem = vm_add_region(vm, 1, SLOT1_GPA, COH_SIZE, 0);
	/* The system region's unused tail: the last page of slot 0. */
	coh_slot0_last = GUEST_MEM - 8;
	sync_global_to_guest(vm, coh_slot0_last);
	slot0 = vm_gpa_to_hva(vm, GUEST_MEM - PAGE);
	vcpu_setup_long_mode(vcpu, guest_coherence, SLOT1_GPA);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	for (i = 0; i < COH_PAGES; i++)
		EXPECT_EQ(COH_GUEST(i), mem[i * 512 + i]) TH_LOG("page %u", i);
	EXPECT_EQ(COH_GUEST(0xfff), mem[COH_SIZE / 8 - 1]);
	EXPECT_EQ(COH_GUEST(0xffe), slot0[511]);

	for (i = 0; i < COH_PAGES; i++)
		mem[i * 512 + 256 + i] = COH_HOST(i);
	mem[COH_SIZE / 8 - 2] = COH_HOST(0xfff);
	slot0[510] = COH_HOST(0xffe);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
}

/* ---- Fault-around ------------------------------------------------------- */

#define AROUND_PAGES	16		/* HVX_FAULT_AROUND in kmod/vm.c */
#define AROUND_SIZE	(4 * AROUND_PAGES * PAGE)

static void __guest_code guest_touch_windows(uint64_t base)
{
	(void)*(volatile uint8_t *)base;
	GUEST_SYNC(1);
	/* The same 64 KiB window: mapped with the first touch. */
	(void)*(volatile uint8_t *)(base + 5 * PAGE);
	(void)*(volatile uint8_t *)(base + (AROUND_PAGES - 1) * PAGE);
	GUEST_SYNC(2);
	/* The next window: one more EPT violation. */
	(void)*(volatile uint8_t *)(base + AROUND_PAGES * PAGE + 3 * PAGE);
	GUEST_SYNC(3);
}

static void vm_stats(struct hvx_vm *vm, struct hvx_vm_stats *st)
{
	TEST_ASSERT(!ioctl(vm->fd, HVX_GET_VM_STATS, st),
		    "HVX_GET_VM_STATS: %s", strerror(errno));
}

/*
 * One EPT violation maps the 16-page aligned window around the fault
 * (writable slots without dirty logging): a guest that walks its memory
 * exits once per 64 KiB, not once per page.
 */
TEST_F_TIMEOUT(memory, ept_fault_maps_the_window_around, 120)
{
	struct hvx_vm_stats st1, st2, st3;
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	struct ucall uc;

	NEED_HVX();
	vm = self->vm = vm_create(GUEST_MEM);
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	vm_add_region(vm, 1, SLOT1_GPA, AROUND_SIZE, 0);
	vcpu_setup_long_mode(vcpu, guest_touch_windows, SLOT1_GPA);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	vm_stats(vm, &st1);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	vm_stats(vm, &st2);
	EXPECT_EQ(st1.ept_faults, st2.ept_faults)
		TH_LOG("touching pages 5 and 15 of a mapped window faulted");
	EXPECT_EQ(st1.mapped_pages, st2.mapped_pages);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	vm_stats(vm, &st3);
	EXPECT_EQ(st2.ept_faults + 1, st3.ept_faults);
	EXPECT_EQ(st2.mapped_pages + AROUND_PAGES, st3.mapped_pages);
}

/* ---- Memory that follows the owner's page tables ------------------------ */

/*
 * Reports the first word of two pages, then writes the first one's value
 * plus one to the second word of the first page: a read and a write that
 * must both reach the page the owner's page tables map now.
 */
static void __guest_code guest_follow(uint64_t gpa)
{
	for (;;) {
		uint64_t v0 = g_load64(gpa);
		uint64_t v1 = g_load64(gpa + PAGE);

		g_store64(gpa + 8, v0 + 1);
		GUEST_SYNC_ARGS(1, v0, v1, 0);
	}
}

/*
 * What the owner does to its memory, the guest sees at its next access:
 * pages dropped (MADV_DONTNEED) read as zeros and take writes again, a
 * new mapping at the same address (munmap, then mmap MAP_FIXED) is what
 * the guest finds there; and the EPT entries go with the pages. With
 * pages pinned for the slot's life, the guest would go on seeing the old
 * pages, which the owner no longer has.
 */
TEST_F_TIMEOUT(memory, guest_memory_follows_the_owners_page_tables, 120)
{
	struct hvx_vm_stats st0, st1, st2;
	struct hvx_capability cap = { .cap = HVX_CAP_MMU_NOTIFIER };
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	struct ucall uc;
	uint64_t *a;

	NEED_HVX();
	vm = self->vm = vm_create(GUEST_MEM);
	ASSERT_EQ(0, ioctl(vm->sys_fd, HVX_CHECK_CAPABILITY, &cap));
	EXPECT_EQ(1, cap.value);
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	a = vm_add_region(vm, 1, SLOT1_GPA, 2 * PAGE, 0);
	a[0] = 0xa0;
	a[512] = 0xa1;
	vcpu_setup_long_mode(vcpu, guest_follow, SLOT1_GPA);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0xa0, uc.args[1]);
	EXPECT_EQ(0xa1, uc.args[2]);
	EXPECT_EQ(0xa1, a[1]);
	vm_stats(vm, &st0);

	/* Dropped: the guest reads zeros, and its write makes a new page. */
	ASSERT_EQ(0, madvise(a, 2 * PAGE, MADV_DONTNEED));
	vm_stats(vm, &st1);
	EXPECT_EQ(st0.mapped_pages - 2, st1.mapped_pages)
		TH_LOG("MADV_DONTNEED of 2 mapped pages: %llu -> %llu mapped",
		       (unsigned long long)st0.mapped_pages,
		       (unsigned long long)st1.mapped_pages);
	a[512] = 0xb1;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(0xb1, uc.args[2]);
	EXPECT_EQ(0, a[0]);
	EXPECT_EQ(1, a[1]) TH_LOG("the guest's write did not reach the new page");
	vm_stats(vm, &st2);
	EXPECT_EQ(st0.mapped_pages, st2.mapped_pages);

	/* Another mapping at the same address: its contents, both ways. */
	ASSERT_EQ(0, munmap(a, 2 * PAGE));
	ASSERT_EQ(a, mmap(a, 2 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	a[0] = 0xc0;
	a[512] = 0xc1;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0xc0, uc.args[1]);
	EXPECT_EQ(0xc1, uc.args[2]);
	EXPECT_EQ(0xc1, a[1]);
}

#define COW_PAGES	4096		/* 16 MiB */

/* Reads every page of @n (the zero page each), then writes each. */
static void __guest_code guest_read_then_write(uint64_t gpa)
{
	uint64_t sum = 0;

	GUEST_SYNC(1);
	for (uint64_t i = 0; i < COW_PAGES; i++)
		sum += g_load64(gpa + i * PAGE);
	for (uint64_t i = 0; i < COW_PAGES; i++)
		g_store64(gpa + i * PAGE, i + 1);
	GUEST_SYNC_ARGS(2, sum, 0, 0);
	GUEST_DONE();
}

/*
 * A guest write to a page it has only read (the shared zero page, mapped
 * read-only) makes the owner's copy-on-write, which invalidates that very
 * page while the fault that asked for it is getting it: the fault loses
 * the race and the guest faults again, every time. Each such fault must
 * still drop its page references, or 16 MiB of such writes stay allocated
 * after the owner unmaps the memory (a fault did once keep them).
 */
TEST_F_TIMEOUT(memory, cow_faults_leak_no_pages, 180)
{
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	struct ucall uc;
	long free0, free1;
	uint64_t *a;

	NEED_HVX();
	vm = self->vm = vm_create(GUEST_MEM);
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	a = vm_add_region(vm, 1, SLOT1_GPA, COW_PAGES * PAGE, 0);
	vcpu_setup_long_mode(vcpu, guest_read_then_write, SLOT1_GPA);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	free0 = meminfo_kb("MemFree");
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]) TH_LOG("untouched memory did not read as zeros");
	EXPECT_EQ(1, a[0]);
	EXPECT_EQ(COW_PAGES, a[(COW_PAGES - 1) * 512]) TH_LOG("the guest's writes did not reach the owner's pages");
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(a, delete_slot(vm, 1));
	ASSERT_EQ(0, munmap(a, COW_PAGES * PAGE));
	free1 = meminfo_kb("MemFree");
	TH_LOG("MemFree %ld KiB before the writes, %ld KiB after the memory went (16 MiB written)",
	       free0, free1);
	EXPECT_GT(4096, free0 - free1) TH_LOG("%ld KiB not given back", free0 - free1);
}

#define KSM_PAGES	64
#define KSM_SYSFS	"/sys/kernel/mm/ksm/"

static long ksm_read(const char *name)
{
	char path[128], buf[32] = "";
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), KSM_SYSFS "%s", name);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 0);
	if (f)
		fclose(f);
	return v;
}

static bool ksm_write(const char *name, long v)
{
	char path[128];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), KSM_SYSFS "%s", name);
	f = fopen(path, "w");
	if (!f)
		return false;
	ok = fprintf(f, "%ld\n", v) > 0;
	return !fclose(f) && ok;
}

/* Sums the first word of each of @n pages, then writes page 0's. */
static void __guest_code guest_sum_then_write(uint64_t gpa)
{
	for (;;) {
		uint64_t sum = 0;

		for (unsigned int i = 0; i < KSM_PAGES; i++)
			sum += g_load64(gpa + i * PAGE);
		GUEST_SYNC_ARGS(1, sum, 0, 0);
		g_store64(gpa, 0x4b534d);	/* "KSM" */
		GUEST_SYNC_ARGS(2, 0, 0, 0);
	}
}

/*
 * KSM merges the identical pages of guest memory that the guest has
 * touched (MADV_MERGEABLE), which it cannot do with pinned pages; the
 * guest goes on reading the same contents from the merged page, and its
 * write to one of them breaks the sharing for that page alone.
 */
TEST_F_TIMEOUT(memory, ksm_merges_guest_pages, 240)
{
	long run0, scan0, sleep0, sharing = 0;
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	struct ucall uc;
	uint64_t *a;
	int i;

	NEED_HVX();
	if (ksm_read("run") < 0)
		SKIP(return, "no KSM in this kernel (" KSM_SYSFS ")");
	vm = self->vm = vm_create(GUEST_MEM);
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	a = vm_add_region(vm, 1, SLOT1_GPA, KSM_PAGES * PAGE, 0);
	for (i = 0; i < KSM_PAGES; i++)
		memset(a + i * 512, 0x5a, PAGE);
	vcpu_setup_long_mode(vcpu, guest_sum_then_write, SLOT1_GPA);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ(KSM_PAGES * 0x5a5a5a5a5a5a5a5aull, uc.args[1]);

	run0 = ksm_read("run");
	scan0 = ksm_read("pages_to_scan");
	sleep0 = ksm_read("sleep_millisecs");
	ASSERT_EQ(0, madvise(a, KSM_PAGES * PAGE, MADV_MERGEABLE));
	ASSERT_TRUE(ksm_write("pages_to_scan", 1000));
	ASSERT_TRUE(ksm_write("sleep_millisecs", 10));
	ASSERT_TRUE(ksm_write("run", 1));
	/* Two scans at least: ksmd merges a page it has seen unchanged. */
	for (i = 0; i < 600 && sharing < KSM_PAGES - 1; i++) {
		usleep(100 * 1000);
		sharing = ksm_read("pages_sharing");
	}
	EXPECT_LE(KSM_PAGES - 1, sharing)
		TH_LOG("pages_sharing %ld after %d s, pages_shared %ld",
		       sharing, i / 10, ksm_read("pages_shared"));

	/* The guest reads the merged page, then writes its own copy. */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ((KSM_PAGES - 1) * 0x5a5a5a5a5a5a5a5aull + 0x4b534d, uc.args[1]);
	EXPECT_EQ(0x4b534d, a[0]);
	EXPECT_EQ(0x5a5a5a5a5a5a5a5aull, a[512]);
	EXPECT_EQ(0x5a5a5a5a5a5a5a5aull, a[1]);

	ksm_write("run", 2);	/* unmerge all, as before the test */
	ksm_write("run", run0);
	ksm_write("pages_to_scan", scan0);
	ksm_write("sleep_millisecs", sleep0);
}

/* ---- Every slot number -------------------------------------------------- */

#define SLOTS_GPA	0x2000000ull	/* 32 MiB, a 64 KiB stride per slot */
#define SLOTS_STRIDE	0x10000ull

static void __guest_code guest_sum_slots(uint64_t base)
{
	uint64_t sum = 0, x = 0, i;

	for (i = 1; i < HVX_MAX_MEM_SLOTS; i++) {
		uint64_t v = *(volatile uint64_t *)(base + i * SLOTS_STRIDE +
						    PAGE - 8);

		sum += v;
		x ^= v;
	}
	GUEST_SYNC_ARGS(1, sum, x, 0);
}

TEST_F_TIMEOUT(memory, all_slots_usable, 120)
{
	uint64_t sum = 0, x = 0;
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	struct ucall uc;
	uint32_t slot;

	NEED_HVX();
	vm = self->vm = vm_create(GUEST_MEM);
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	for (slot = 1; slot < HVX_MAX_MEM_SLOTS; slot++) {
		uint64_t *p = vm_add_region(vm, slot,
					    SLOTS_GPA + slot * SLOTS_STRIDE,
					    PAGE, 0);

		p[511] = 0x510700000000ull * slot + slot;
		sum += p[511];
		x ^= p[511];
	}
	/* All 32 are in use now. */
	EXPECT_EQ(-1, __vm_set_memory_region(vm, HVX_MAX_MEM_SLOTS, 0,
					     SLOTS_GPA, PAGE,
					     vm->regions[1].hva));
	EXPECT_EQ(EINVAL, errno);

	vcpu_setup_long_mode(vcpu, guest_sum_slots, SLOTS_GPA);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(sum, uc.args[1]);
	EXPECT_EQ(x, uc.args[2]);
}

/* ---- Backing memory the process cannot use ------------------------------ */

TEST_F_TIMEOUT(memory, inaccessible_backing_internal_error, 120)
{
	struct hvx_vcpu *vcpu;
	struct hvx_run *run;
	struct hvx_vm *vm;
	void *p;

	NEED_HVX();
	vm = self->vm = vm_create(GUEST_MEM);
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	run = vcpu->run;
	/*
	 * User addresses, but PROT_NONE: the slot is accepted (pages are
	 * looked up on first touch), and the touch finds none.
	 */
	p = mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, __vm_set_memory_region(vm, 1, 0, SLOT1_GPA, 2 * PAGE, p));
	vcpu_setup_long_mode(vcpu, guest_reader, SLOT1_GPA);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(HVX_INTERNAL_EMULATION, run->internal.suberror);
	ASSERT_LE(1, run->internal.ndata);
	EXPECT_EQ(SLOT1_GPA, run->internal.data[0]);

	/* Without the slot, the same access is plain MMIO. */
	ASSERT_EQ(0, __vm_set_memory_region(vm, 1, 0, SLOT1_GPA, 0, p));
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_MMIO);
	EXPECT_EQ(SLOT1_GPA, run->mmio.phys_addr);
	munmap(p, 2 * PAGE);
}

TEST_HARNESS_MAIN
