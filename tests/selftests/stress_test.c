// SPDX-License-Identifier: GPL-2.0
/*
 * Many VMs over time and several at once: a thousand cycles of creating a
 * VM (memory slots, a vCPU, one guest run) and destroying it must not
 * leave memory behind, and two VMs of two vCPUs each, on four threads,
 * must all finish their guests' work with the right results.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/hvx.h>

#include "kselftest_harness.h"
#include "hvx_util.h"
#include "hvx_vm.h"
#include "ucall.h"

#define GUEST_MEM		HVX_VM_DEFAULT_MEM	/* 16 MiB */
#define PAGE			HVX_PAGE_SIZE
#define REAL_CODE_SEG		0x0100		/* real-mode code at 0x1000 */
#define REAL_CODE_GPA		0x1000ull
#define EXTRA_GPA		GUEST_MEM	/* slot 1, after slot 0 */

FIXTURE(stress) {
	bool loaded_here;
	bool ready;
	struct hvx_vm *vm[2];
};

FIXTURE_SETUP(stress)
{
	const char *why = hvx_need_module(&self->loaded_here);

	if (why)
		SKIP(return, "%s", why);
	self->ready = true;
}

FIXTURE_TEARDOWN(stress)
{
	vm_free(self->vm[0]);
	vm_free(self->vm[1]);
	if (self->loaded_here)
		EXPECT_EQ(0, hvx_unload());
}

/* ---- Create and destroy ------------------------------------------------- */

#define WARMUP_CYCLES		20
#define CYCLES			1000
/*
 * Every VM costs the module at least four pages (VMCS, MSR bitmap, EPT
 * root, run page), so any page it forgot per cycle would lower
 * MemAvailable by 4000 KiB over CYCLES; the testbed's own noise after
 * drop_caches reaches about 1.1 MiB (seen in CI). Slab objects are
 * checked apart, where the noise is a few KiB: 256 KiB over 1000 VMs
 * catches any object of 256 bytes or more left behind per VM.
 */
#define LEAK_LIMIT_KB		2048
#define SLAB_LEAK_LIMIT_KB	256

/*
 * One VM's life: slot 0 (16 MiB) and slot 1 (a page), a vCPU that reads
 * a byte of slot 1 in real mode (DS based there) and halts, then gone.
 * The guest run pins pages and builds EPT tables, which must go too.
 */
static void vm_cycle(unsigned int n)
{
	static const uint8_t code[] = {
		0xa0, 0x00, 0x00,	/* mov 0x0000, %al (DS:0) */
		0xf4,			/* hlt */
	};
	uint8_t want = (uint8_t)(n * 7 + 1);
	struct hvx_vcpu *vcpu;
	struct hvx_sregs sregs;
	struct hvx_regs regs;
	struct hvx_vm *vm;
	uint8_t *extra;

	vm = vm_create(GUEST_MEM);
	vcpu = vcpu_add(vm, 0);
	extra = vm_add_region(vm, 1, EXTRA_GPA, PAGE, 0);
	extra[0] = want;
	vm_write(vm, REAL_CODE_GPA, code, sizeof(code));
	vcpu_setup_real_mode(vcpu, REAL_CODE_SEG, 0);
	vcpu_sregs_get(vcpu, &sregs);
	sregs.ds.base = EXTRA_GPA;
	vcpu_sregs_set(vcpu, &sregs);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT((regs.rax & 0xff) == want,
		    "cycle %u: the guest read %#llx from its new slot, want %#x",
		    n, (unsigned long long)(regs.rax & 0xff), want);
	vm_free(vm);
}

TEST_F_TIMEOUT(stress, create_destroy_cycles, 900)
{
	struct hvx_mem_probe before, after;
	double start, secs;
	cpu_set_t set;
	unsigned int i;
	int ret;

	NEED_HVX();
	ret = write_text("/proc/sys/vm/drop_caches", "3");
	if (ret)
		SKIP(return, "cannot drop caches: %s", strerror(-ret));
	ASSERT_LT(0, meminfo_kb("MemAvailable"));
	/*
	 * One CPU for all of it: pages freed go to that CPU's free lists and
	 * the next cycle takes them back from there, so per-CPU lists do not
	 * drift apart and look like a leak.
	 */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		TH_LOG("running unpinned: %s", strerror(errno));

	for (i = 0; i < WARMUP_CYCLES; i++)
		vm_cycle(i);
	before = mem_probe();

	start = monotonic_s();
	for (i = 0; i < CYCLES; i++)
		vm_cycle(WARMUP_CYCLES + i);
	secs = monotonic_s() - start;
	after = mem_probe();

	TH_LOG("after %d warm-up cycles then %d more: MemAvailable %ld -> %ld KiB (%+ld), SUnreclaim %ld -> %ld KiB (%+ld); %.1f s, %.1f ms per cycle",
	       WARMUP_CYCLES, CYCLES, before.available, after.available,
	       after.available - before.available, before.unreclaimable,
	       after.unreclaimable, after.unreclaimable - before.unreclaimable,
	       secs, secs * 1000 / CYCLES);
	EXPECT_GE(after.available + LEAK_LIMIT_KB, before.available)
		TH_LOG("MemAvailable fell by %ld KiB over %d VMs",
		       before.available - after.available, CYCLES);
	EXPECT_LE(after.unreclaimable, before.unreclaimable + SLAB_LEAK_LIMIT_KB)
		TH_LOG("unreclaimable slab grew by %ld KiB over %d VMs",
		       after.unreclaimable - before.unreclaimable, CYCLES);
}

/* ---- Two VMs, two vCPUs each, four threads ------------------------------ */

#define STAGES			200
#define NR_VMS			2
#define VCPUS_PER_VM		2
#define NR_RUNNERS		(NR_VMS * VCPUS_PER_VM)
#define VMX_EXIT_IO		30

static void __guest_code guest_count(uint64_t tag)
{
	uint64_t i;

	for (i = 1; i <= STAGES; i++)
		GUEST_SYNC_ARGS(i, tag, i ^ tag, 0);
}

struct runner {
	struct hvx_vcpu *vcpu;
	uint64_t tag;
	pthread_t tid;
	int stages;		/* completed in order, with the right values */
	int ret, err;
	uint32_t last_exit;
	uint64_t last_cmd, last_arg[3];
};

static void *runner_fn(void *arg)
{
	struct runner *r = arg;
	struct ucall uc;
	uint64_t i;

	for (i = 1; i <= STAGES + 1; i++) {
		r->ret = __vcpu_run(r->vcpu);
		r->err = errno;
		r->last_exit = r->vcpu->run->exit_reason;
		if (r->ret)
			return NULL;
		r->last_cmd = get_ucall(r->vcpu, &uc);
		memcpy(r->last_arg, uc.args, sizeof(r->last_arg));
		if (i == STAGES + 1)
			break;
		if (uc.cmd != UCALL_SYNC || uc.args[0] != i ||
		    uc.args[1] != r->tag || uc.args[2] != (i ^ r->tag))
			return NULL;
		r->stages++;
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, two_vms_two_vcpus_concurrently, 600)
{
	struct runner r[NR_RUNNERS];
	struct hvx_vcpu_stats stats;
	double start;
	int i, k, j;

	NEED_HVX();
	if (online_cpus() < 2)
		SKIP(return, "needs 2 CPUs, %d online", online_cpus());

	memset(r, 0, sizeof(r));
	for (k = 0; k < NR_VMS; k++) {
		self->vm[k] = vm_create(GUEST_MEM);
		vm_load_self(self->vm[k]);
		for (j = 0; j < VCPUS_PER_VM; j++) {
			struct runner *x = &r[k * VCPUS_PER_VM + j];

			x->tag = 0x100 * (k + 1) + j;
			x->vcpu = vcpu_add(self->vm[k], j);
			vcpu_setup_long_mode(x->vcpu, guest_count, x->tag);
		}
	}

	start = monotonic_s();
	for (i = 0; i < NR_RUNNERS; i++)
		ASSERT_EQ(0, pthread_create(&r[i].tid, NULL, runner_fn, &r[i]));
	for (i = 0; i < NR_RUNNERS; i++)
		ASSERT_EQ(0, pthread_join(r[i].tid, NULL));
	TH_LOG("%d vCPUs x %d stages in %.3f s", NR_RUNNERS, STAGES,
	       monotonic_s() - start);

	for (i = 0; i < NR_RUNNERS; i++) {
		EXPECT_EQ(0, r[i].ret)
			TH_LOG("vCPU %d: HVX_RUN: %s", i, strerror(r[i].err));
		EXPECT_EQ(STAGES, r[i].stages)
			TH_LOG("vCPU %d (tag %#llx): exit %s, ucall %s, args %#llx %#llx %#llx",
			       i, (unsigned long long)r[i].tag,
			       exit_reason_str(r[i].last_exit),
			       ucall_cmd_str(r[i].last_cmd),
			       (unsigned long long)r[i].last_arg[0],
			       (unsigned long long)r[i].last_arg[1],
			       (unsigned long long)r[i].last_arg[2]);
		EXPECT_EQ(UCALL_DONE, r[i].last_cmd);
		ASSERT_EQ(0, ioctl(r[i].vcpu->fd, HVX_GET_VCPU_STATS, &stats));
		EXPECT_EQ(STAGES + 1, stats.exit_reason[VMX_EXIT_IO])
			TH_LOG("vCPU %d", i);
	}
}

TEST_HARNESS_MAIN
