// SPDX-License-Identifier: GPL-2.0
/*
 * What a guest can reach: only its own memory. Guest-physical addresses
 * outside its slots are MMIO exits (reads get what user space answers,
 * never host data; writes go nowhere), code there is not run, two VMs
 * with memory at the same guest-physical address each see their own, a
 * VM that triple-faults does not disturb one running next to it, and the
 * MSRs that SWAPGS and SYSCALL use are the guest's own in the guest (the
 * host's values neither leak in nor get changed).
 */
#include <cpuid.h>
#include <errno.h>
#include <sched.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <linux/hvx.h>

#include "kselftest_harness.h"
#include "hvx_util.h"
#include "hvx_vm.h"
#include "ucall.h"

#define GUEST_MEM		HVX_VM_DEFAULT_MEM	/* 16 MiB */
#define PAGE			HVX_PAGE_SIZE
#define PROT_CODE_GPA		0x2000ull
/* Free guest memory for extra page tables (below the test binary). */
#define PT_POOL_GPA		0x300000ull
#define PT_POOL_END		0x380000ull

#define PTE_P			(1ull << 0)
#define PTE_RW			(1ull << 1)
#define PTE_A			(1ull << 5)
#define PTE_D			(1ull << 6)
#define PTE_PS			(1ull << 7)
#define PTE_ADDR		0x000ffffffffff000ull

#define MAX_VMS			4

FIXTURE(isolation) {
	bool loaded_here;
	bool ready;
	struct hvx_vm *vm[MAX_VMS];
};

FIXTURE_SETUP(isolation)
{
	const char *why = hvx_need_module(&self->loaded_here);

	if (why)
		SKIP(return, "%s", why);
	self->ready = true;
}

FIXTURE_TEARDOWN(isolation)
{
	int i;

	for (i = 0; i < MAX_VMS; i++)
		vm_free(self->vm[i]);
	if (self->loaded_here)
		EXPECT_EQ(0, hvx_unload());
}

static inline __attribute__((always_inline)) __guest_code void
g_store64(uint64_t addr, uint64_t v)
{
	asm volatile("movq %1, (%0)" : : "r"(addr), "r"(v) : "memory");
}

static inline __attribute__((always_inline)) __guest_code uint64_t
g_load64(uint64_t addr)
{
	uint64_t v;

	asm volatile("movq (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
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

/* A zeroed page of guest memory for page tables. */
static uint64_t pt_alloc(struct hvx_vm *vm, uint64_t *next)
{
	uint64_t gpa = *next;

	TEST_ASSERT(gpa < PT_POOL_END, "out of page-table pages");
	*next += PAGE;
	memset(vm_gpa_to_hva(vm, gpa), 0, PAGE);
	return gpa;
}

/*
 * Map the 2 MiB page at guest-virtual @gva to guest-physical @gpa in the
 * page tables of vcpu_setup_long_mode() (call that first).
 */
static void map_2m(struct hvx_vm *vm, uint64_t *next, uint64_t gva,
		   uint64_t gpa)
{
	uint64_t *pml4 = vm_gpa_to_hva(vm, vm->sys_gpa + HVX_SYS_PML4);
	uint64_t *pdpt, *pd;
	unsigned int i4 = (gva >> 39) & 511, i3 = (gva >> 30) & 511;
	unsigned int i2 = (gva >> 21) & 511;

	TEST_ASSERT(vm->sys_ready, "set up long mode first");
	if (!(pml4[i4] & PTE_P))
		pml4[i4] = pt_alloc(vm, next) | PTE_P | PTE_RW | PTE_A;
	pdpt = vm_gpa_to_hva(vm, pml4[i4] & PTE_ADDR);
	if (!(pdpt[i3] & PTE_P))
		pdpt[i3] = pt_alloc(vm, next) | PTE_P | PTE_RW | PTE_A;
	TEST_ASSERT(!(pdpt[i3] & PTE_PS), "GVA %#llx is in a 1 GiB page",
		    (unsigned long long)gva);
	pd = vm_gpa_to_hva(vm, pdpt[i3] & PTE_ADDR);
	pd[i2] = (gpa & ~0x1fffffull) | PTE_P | PTE_RW | PTE_A | PTE_D |
		 PTE_PS;
}

/* ---- Addresses outside guest memory ------------------------------------- */

#define MAX_PROBES	8

/* Guest-virtual addresses to probe, from the host. */
static uint64_t probe_gva[MAX_PROBES];
static uint64_t probe_count;

#define PROBE_WRITE(i)	(0x5700000000000000ull | (i))

static void __guest_code guest_probe(void)
{
	uint64_t n = *(volatile uint64_t *)&probe_count, i;

	for (i = 0; i < n; i++) {
		uint64_t gva = ((volatile uint64_t *)probe_gva)[i];
		uint64_t v = g_load64(gva);

		GUEST_SYNC_ARGS(i, v, gva, 0);
		g_store64(gva, PROBE_WRITE(i));
	}
}

TEST_F_TIMEOUT(isolation, no_access_beyond_guest_memory, 120)
{
	uint64_t gpa[MAX_PROBES], next = PT_POOL_GPA, top, answer;
	const char *name[MAX_PROBES];
	struct hvx_vcpu *vcpu;
	struct hvx_run *run;
	struct hvx_vm *vm;
	struct ucall uc;
	unsigned int n = 0, i;
	int bits;

	NEED_HVX();
	vm = self->vm[0] = vm_create(GUEST_MEM);
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	run = vcpu->run;
	vcpu_setup_long_mode(vcpu, guest_probe, 0);

	/* Identity-mapped (GVA == GPA) below 4 GiB. */
	name[n] = "just past guest memory";
	probe_gva[n] = gpa[n] = GUEST_MEM + 0x18;
	n++;
	name[n] = "4 GiB - 4 KiB";
	probe_gva[n] = gpa[n] = 0xfffff000ull + 0x10;
	n++;

	/* Higher guest-physical addresses, mapped at 512 GiB and up. */
	bits = phys_bits();
	if (bits > 48)
		bits = 48;	/* what 4-level EPT translates */
	ASSERT_LE(36, bits) TH_LOG("physical address width %d", bits);
	top = 1ull << bits;
	map_2m(vm, &next, 0x8000000000ull, top / 2);
	map_2m(vm, &next, 0x8000200000ull, top - 0x200000);
	name[n] = "half the physical address space";
	probe_gva[n] = 0x8000000000ull + 0x20;
	gpa[n] = top / 2 + 0x20;
	n++;
	name[n] = "last page of the physical address space";
	probe_gva[n] = 0x8000200000ull + 0x1ff000 + 0x28;
	gpa[n] = top - PAGE + 0x28;
	n++;
	if (bits > 40) {
		map_2m(vm, &next, 0x10000000000ull, 0x10000000000ull);
		name[n] = "1 TiB";
		probe_gva[n] = gpa[n] = 0x10000000000ull + 0x30;
		n++;
	}
	probe_count = n;
	sync_global_to_guest(vm, probe_gva);
	sync_global_to_guest(vm, probe_count);
	TH_LOG("%d physical address bits, %u addresses", bits, n);

	for (i = 0; i < n; i++) {
		/* A load: MMIO at the address the guest used. */
		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, HVX_EXIT_MMIO);
		EXPECT_EQ(0, run->mmio.is_write) TH_LOG("%s", name[i]);
		EXPECT_EQ(gpa[i], run->mmio.phys_addr)
			TH_LOG("%s: GPA %#llx, want %#llx", name[i],
			       (unsigned long long)run->mmio.phys_addr,
			       (unsigned long long)gpa[i]);
		ASSERT_EQ(8, run->mmio.len);
		/* The guest gets exactly the answer, nothing from the host. */
		answer = 0x7700000000000000ull | gpa[i];
		memcpy(run->mmio.data, &answer, 8);
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(i, uc.args[0]);
		EXPECT_EQ(answer, uc.args[1]) TH_LOG("%s", name[i]);

		/* A store: MMIO too, with the data. */
		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, HVX_EXIT_MMIO);
		EXPECT_EQ(1, run->mmio.is_write) TH_LOG("%s", name[i]);
		EXPECT_EQ(gpa[i], run->mmio.phys_addr) TH_LOG("%s", name[i]);
		ASSERT_EQ(8, run->mmio.len);
		memcpy(&answer, run->mmio.data, 8);
		EXPECT_EQ(PROBE_WRITE(i), answer) TH_LOG("%s", name[i]);
	}
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
}

#define EXEC_GPA	0xc0000000ull

static void __guest_code guest_jump(uint64_t target)
{
	((void (*)(void))target)();
	GUEST_FAIL(target);
}

TEST_F_TIMEOUT(isolation, no_code_outside_guest_memory, 120)
{
	struct hvx_vcpu *vcpu;
	struct hvx_run *run;
	struct hvx_regs regs;

	NEED_HVX();
	vm_load_self(self->vm[0] = vm_create(GUEST_MEM));
	vcpu = vcpu_add(self->vm[0], 0);
	run = vcpu->run;
	vcpu_setup_long_mode(vcpu, guest_jump, EXEC_GPA);

	/* Fetching from outside guest memory cannot be emulated: an error. */
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(HVX_INTERNAL_EMULATION, run->internal.suberror);
	ASSERT_LE(2, run->internal.ndata);
	EXPECT_EQ(EXEC_GPA, run->internal.data[0]);
	EXPECT_EQ(EXEC_GPA, run->internal.data[1]);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(EXEC_GPA, regs.rip);
}

/* ---- Two VMs, same guest-physical address ------------------------------- */

#define SHARED_GPA	0x200000ull
#define SHARED_PAGES	4
#define SHARED_WORDS	(SHARED_PAGES * PAGE / 8)

static uint64_t pattern(uint64_t tag, uint64_t i)
{
	return tag << 48 | i * 0x9e3779b97f4a7c15ull >> 16;
}

static uint64_t __guest_code guest_pattern(uint64_t tag, uint64_t i)
{
	return tag << 48 | i * 0x9e3779b97f4a7c15ull >> 16;
}

static void __guest_code guest_fill_check(uint64_t tag)
{
	volatile uint64_t *p = (volatile uint64_t *)SHARED_GPA;
	uint64_t i, bad = 0, first_bad = 0;

	for (i = 0; i < SHARED_WORDS; i++)
		p[i] = guest_pattern(tag, i);
	GUEST_SYNC(1);
	for (i = 0; i < SHARED_WORDS; i++) {
		if (p[i] != guest_pattern(tag, i)) {
			if (!bad)
				first_bad = p[i];
			bad++;
		}
	}
	GUEST_SYNC_ARGS(2, bad, first_bad, p[0]);
}

TEST_F_TIMEOUT(isolation, two_vms_same_gpa, 120)
{
	struct hvx_vcpu *vcpu[2];
	struct ucall uc;
	uint64_t *mem;
	unsigned int i, k;

	NEED_HVX();
	for (k = 0; k < 2; k++) {
		self->vm[k] = vm_create(GUEST_MEM);
		vm_load_self(self->vm[k]);
		vcpu[k] = vcpu_add(self->vm[k], 0);
		vcpu_setup_long_mode(vcpu[k], guest_fill_check, 0xa0 + k);
	}

	/* Both fill the same GPA range, one after the other... */
	for (k = 0; k < 2; k++) {
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu[k], &uc));
		ASSERT_EQ(1, uc.args[0]);
	}
	/* ...then each checks it still holds its own pattern. */
	for (k = 0; k < 2; k++) {
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu[k], &uc));
		ASSERT_EQ(2, uc.args[0]);
		EXPECT_EQ(0, uc.args[1])
			TH_LOG("VM %u: %llu words differ, the first is %#llx",
			       k, (unsigned long long)uc.args[1],
			       (unsigned long long)uc.args[2]);
		EXPECT_EQ(pattern(0xa0 + k, 0), uc.args[3]);
	}
	/* And in host memory, each VM's backing has its own. */
	for (k = 0; k < 2; k++) {
		mem = vm_gpa_to_hva(self->vm[k], SHARED_GPA);
		for (i = 0; i < SHARED_WORDS; i++)
			if (mem[i] != pattern(0xa0 + k, i))
				break;
		EXPECT_EQ(SHARED_WORDS, i) TH_LOG("VM %u, word %u", k, i);
	}
	for (k = 0; k < 2; k++)
		ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu[k], &uc));
}

/* ---- A triple fault next to a healthy VM -------------------------------- */

#define FAULTING_VMS	3
#define HEALTHY_STAGES	50

static void __guest_code guest_stages(void)
{
	uint64_t i;

	for (i = 1; i <= HEALTHY_STAGES; i++)
		GUEST_SYNC_ARGS(i, i * i, 0, 0);
}

struct faulting_thread {
	struct hvx_vcpu *vcpu[FAULTING_VMS];
	int ret[FAULTING_VMS];
	int err[FAULTING_VMS];
	uint32_t exit[FAULTING_VMS];
};

static void *faulting_fn(void *arg)
{
	struct faulting_thread *t = arg;
	int i;

	for (i = 0; i < FAULTING_VMS; i++) {
		t->ret[i] = __vcpu_run(t->vcpu[i]);
		t->err[i] = errno;
		t->exit[i] = t->vcpu[i]->run->exit_reason;
	}
	return NULL;
}

struct healthy_thread {
	struct hvx_vcpu *vcpu;
	int stages;		/* completed in order */
	int ret, err;
	uint64_t last_cmd, last_arg0, last_arg1;
	uint32_t last_exit;
};

static void *healthy_fn(void *arg)
{
	struct healthy_thread *t = arg;
	struct ucall uc;
	uint64_t i;

	for (i = 1; i <= HEALTHY_STAGES + 1; i++) {
		t->ret = __vcpu_run(t->vcpu);
		t->err = errno;
		t->last_exit = t->vcpu->run->exit_reason;
		if (t->ret)
			return NULL;
		t->last_cmd = get_ucall(t->vcpu, &uc);
		t->last_arg0 = uc.args[0];
		t->last_arg1 = uc.args[1];
		if (i == HEALTHY_STAGES + 1)
			break;
		if (uc.cmd != UCALL_SYNC || uc.args[0] != i ||
		    uc.args[1] != i * i)
			return NULL;
		t->stages++;
	}
	return NULL;
}

TEST_F_TIMEOUT(isolation, triple_fault_next_to_healthy_vm, 180)
{
	static const uint8_t ud2[] = { 0x0f, 0x0b };
	struct faulting_thread ft;
	struct healthy_thread ht;
	pthread_t ftid, htid;
	int i;

	NEED_HVX();
	memset(&ft, 0, sizeof(ft));
	memset(&ht, 0, sizeof(ht));
	for (i = 0; i < FAULTING_VMS; i++) {
		self->vm[i] = vm_create(GUEST_MEM);
		ft.vcpu[i] = vcpu_add(self->vm[i], 0);
		vm_write(self->vm[i], PROT_CODE_GPA, ud2, sizeof(ud2));
		vcpu_setup_protected_mode(ft.vcpu[i], PROT_CODE_GPA);
	}
	self->vm[FAULTING_VMS] = vm_create(GUEST_MEM);
	vm_load_self(self->vm[FAULTING_VMS]);
	ht.vcpu = vcpu_add(self->vm[FAULTING_VMS], 0);
	vcpu_setup_long_mode(ht.vcpu, guest_stages, 0);

	ASSERT_EQ(0, pthread_create(&htid, NULL, healthy_fn, &ht));
	ASSERT_EQ(0, pthread_create(&ftid, NULL, faulting_fn, &ft));
	ASSERT_EQ(0, pthread_join(ftid, NULL));
	ASSERT_EQ(0, pthread_join(htid, NULL));

	for (i = 0; i < FAULTING_VMS; i++) {
		EXPECT_EQ(0, ft.ret[i]) TH_LOG("VM %d: HVX_RUN: %s", i,
					       strerror(ft.err[i]));
		EXPECT_EQ(HVX_EXIT_SHUTDOWN, ft.exit[i])
			TH_LOG("VM %d: exit %s", i,
			       exit_reason_str(ft.exit[i]));
	}
	EXPECT_EQ(0, ht.ret) TH_LOG("healthy VM: HVX_RUN: %s",
				    strerror(ht.err));
	EXPECT_EQ(HEALTHY_STAGES, ht.stages)
		TH_LOG("healthy VM: last exit %s, ucall %s, args %#llx %#llx",
		       exit_reason_str(ht.last_exit),
		       ucall_cmd_str(ht.last_cmd),
		       (unsigned long long)ht.last_arg0,
		       (unsigned long long)ht.last_arg1);
	EXPECT_EQ(UCALL_DONE, ht.last_cmd);
}

/* ---- SWAPGS and SYSCALL: the guest's MSRs, not the host's --------------- */

#define MSR_KERNEL_GS_BASE	0xc0000102u
#define HOST_GS_BASE		0x12345000ul

/* SWAPGS, halt, then report KERNEL_GS_BASE (the former GS base). */
static void __guest_code guest_swapgs(void)
{
	uint32_t lo, hi;

	asm volatile("swapgs" : : : "memory");
	asm volatile("hlt" : : : "memory");
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_KERNEL_GS_BASE));
	GUEST_SYNC_ARGS(1, lo | (uint64_t)hi << 32, 0, 0);
	asm volatile("swapgs" : : : "memory");
}

static unsigned long host_gs_base(void)
{
	unsigned long base = ~0ul;

	if (syscall(SYS_arch_prctl, ARCH_GET_GS, &base))
		return ~0ul;
	return base;
}

TEST_F_TIMEOUT(isolation, guest_swapgs_keeps_host_gs_base, 120)
{
	struct hvx_sregs sregs;
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	struct ucall uc;
	uint64_t guest_gs;

	NEED_HVX();
	vm = self->vm[0] = vm_create(GUEST_MEM);
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	vcpu_setup_long_mode(vcpu, guest_swapgs, 0);
	vcpu_sregs_get(vcpu, &sregs);
	guest_gs = sregs.gs.base;

	/* This thread's user GS base, which glibc does not use. */
	ASSERT_EQ(0, syscall(SYS_arch_prctl, ARCH_SET_GS, HOST_GS_BASE));
	ASSERT_EQ(HOST_GS_BASE, host_gs_base());

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);
	/* The guest swapped its own GS bases, not the host's. */
	EXPECT_EQ(HOST_GS_BASE, host_gs_base())
		TH_LOG("the host thread's GS base is now %#lx", host_gs_base());
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_NE(HOST_GS_BASE, sregs.gs.base)
		TH_LOG("the guest got the host's KERNEL_GS_BASE");
	EXPECT_EQ(0, sregs.gs.base) TH_LOG("guest KERNEL_GS_BASE was %#llx",
					   (unsigned long long)sregs.gs.base);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(guest_gs, uc.args[1])
		TH_LOG("KERNEL_GS_BASE after SWAPGS: %#llx, want the old GS base %#llx",
		       (unsigned long long)uc.args[1],
		       (unsigned long long)guest_gs);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(HOST_GS_BASE, host_gs_base());
	syscall(SYS_arch_prctl, ARCH_SET_GS, 0ul);
}

/* SYSCALL with the guest's LSTAR, STAR and SFMASK never written (all 0). */
static void __guest_code guest_syscall(void)
{
	asm volatile("syscall" : : : "rcx", "r11", "memory");
	GUEST_FAIL(0);
}

TEST_F_TIMEOUT(isolation, guest_syscall_uses_guest_lstar, 120)
{
	struct hvx_vcpu *vcpu;
	struct ucall uc;

	NEED_HVX();
	vm_load_self(self->vm[0] = vm_create(GUEST_MEM));
	vcpu = vcpu_add(self->vm[0], 0);
	vcpu_setup_long_mode(vcpu, guest_syscall, 0);

	/*
	 * LSTAR is 0 for this guest: SYSCALL goes to RIP 0, which the
	 * library's page tables leave unmapped, so the guest takes a #PF on
	 * the fetch at 0. Anything else is someone else's LSTAR.
	 */
	vcpu_run(vcpu);
	ASSERT_EQ(UCALL_UNHANDLED, get_ucall(vcpu, &uc))
		TH_LOG("got %s", ucall_cmd_str(uc.cmd));
	EXPECT_EQ(14, uc.args[0]);
	EXPECT_EQ(0, uc.args[2])
		TH_LOG("SYSCALL in the guest went to %#llx",
		       (unsigned long long)uc.args[2]);
	EXPECT_EQ(0, uc.args[3]) TH_LOG("CR2 %#llx",
					(unsigned long long)uc.args[3]);
	/* A page not present (I/D is undefined here: no NXE, no SMEP). */
	EXPECT_EQ(0, uc.args[1] & 1);
}

/* IA32_TSC_AUX: what RDTSCP returns in ECX (SDM Vol. 4, MSR 0xc0000103). */
#define MSR_TSC_AUX		0xc0000103u
#define GUEST_TSC_AUX		0x5a5a1234u

static void __guest_code guest_tsc_aux(void)
{
	uint32_t lo, hi, aux;

	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	GUEST_SYNC_ARGS(1, aux, 0, 0);
	asm volatile("wrmsr" : : "c"(MSR_TSC_AUX), "a"(GUEST_TSC_AUX), "d"(0));
	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	GUEST_SYNC_ARGS(2, aux, 0, 0);
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_TSC_AUX));
	GUEST_SYNC_ARGS(3, lo, hi, 0);
	/* Bits 63:32 are reserved: #GP. */
	asm volatile("wrmsr" : : "c"(MSR_TSC_AUX), "a"(0), "d"(1));
	GUEST_FAIL(0);
}

static uint32_t host_tsc_aux(void)
{
	uint32_t lo, hi, aux;

	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return aux;
}

/*
 * RDTSCP in the guest reads the guest's TSC_AUX (0 until it writes one),
 * never the host's CPU number; the host's own RDTSCP still reads the
 * host's, whatever the guest wrote.
 */
TEST_F_TIMEOUT(isolation, rdtscp_sees_the_guest_tsc_aux, 120)
{
	struct hvx_vcpu *vcpu;
	unsigned int eax, ebx, ecx, edx;
	struct ucall uc;
	cpu_set_t set;
	uint32_t host;

	NEED_HVX();
	if (!__get_cpuid(0x80000001, &eax, &ebx, &ecx, &edx) ||
	    !(edx & (1u << 27)))
		SKIP(return, "no RDTSCP on this CPU");
	CPU_ZERO(&set);
	CPU_SET(online_cpus() - 1, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
	host = host_tsc_aux();
	/* Linux keeps (node << 12) | cpu there. */
	EXPECT_EQ((uint32_t)sched_getcpu(), host & 0xfff);

	vm_load_self(self->vm[0] = vm_create(GUEST_MEM));
	vcpu = vcpu_add(self->vm[0], 0);
	vcpu_setup_long_mode(vcpu, guest_tsc_aux, 0);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0, uc.args[1]) TH_LOG("the guest read TSC_AUX %#llx",
					(unsigned long long)uc.args[1]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(GUEST_TSC_AUX, uc.args[1]);
	EXPECT_EQ(host, host_tsc_aux());
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(GUEST_TSC_AUX, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);
	vcpu_run(vcpu);
	ASSERT_EQ(UCALL_UNHANDLED, get_ucall(vcpu, &uc));
	EXPECT_EQ(13, uc.args[0]);
	EXPECT_EQ(host, host_tsc_aux());
}

TEST_HARNESS_MAIN
