// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU and VM state that user space reads and writes, and that the guest
 * sets for itself: MSRs, the TSC, hardware breakpoints, FPU/XSAVE state,
 * injected events, the dirty log and VM statistics.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/hvx.h>

#include "kselftest_harness.h"
#include "hvx_util.h"
#include "hvx_vm.h"
#include "ucall.h"

#define MSR_LSTAR		0xc0000082
#define MSR_STAR		0xc0000081
#define MSR_EFER		0xc0000080
#define MSR_IA32_TSC		0x10
#define MSR_IA32_TSC_ADJUST	0x3b
#define EXIT_REASON_INTERRUPT_WINDOW	7

#define LOG_GPA			0x40000000ull	/* slot 1: dirty-logged */
#define LOG_PAGES		16

FIXTURE(state) {
	struct hvx_vm *vm;
	struct hvx_vcpu *vcpu;
	bool loaded_here;
};

FIXTURE_SETUP(state)
{
	const char *why = hvx_need_module(&self->loaded_here);

	if (why)
		SKIP(return, "%s", why);
	self->vm = vm_create(HVX_VM_DEFAULT_MEM);
	vm_load_self(self->vm);
	self->vcpu = vcpu_add(self->vm, 0);
}

FIXTURE_TEARDOWN(state)
{
	vm_free(self->vm);
	if (self->loaded_here)
		EXPECT_EQ(0, hvx_unload());
}

#define NEED_VM()							\
	do {								\
		if (!self->vm)						\
			return;						\
	} while (0)

/* The guest sees what the host set, and the host what the guest set. */
static void __guest_code guest_msrs(void)
{
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_LSTAR), 0xffffffff81000000ull);
	guest_wrmsr(MSR_STAR, 0x0023001000000000ull);
	GUEST_DONE();
}

TEST_F(state, msrs_get_and_set)
{
	struct hvx_msr_entry e[3] = {
		{ .index = MSR_LSTAR, .data = 0xffffffff81000000ull },
		{ .index = 0x12345678, .data = 1 },	/* no such MSR */
		{ .index = MSR_STAR },
	};
	struct hvx_msrs msrs = { .nmsrs = 3, .entries = (uintptr_t)e };
	struct ucall uc;

	NEED_VM();
	/* Stops at the MSR the guest could not write either. */
	EXPECT_EQ(1, ioctl(self->vcpu->fd, HVX_SET_MSRS, &msrs));

	vcpu_setup_long_mode(self->vcpu, guest_msrs, 0);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(self->vcpu, &uc));

	e[0].index = MSR_STAR;
	e[1].index = MSR_EFER;
	msrs.nmsrs = 2;
	EXPECT_EQ(2, ioctl(self->vcpu->fd, HVX_GET_MSRS, &msrs));
	EXPECT_EQ(0x0023001000000000ull, e[0].data);
	EXPECT_EQ(0x500ull, e[1].data & 0x500);		/* LME | LMA */

	msrs.flags = 1;
	EXPECT_EQ(-1, ioctl(self->vcpu->fd, HVX_GET_MSRS, &msrs));
	EXPECT_EQ(EINVAL, errno);
	msrs.flags = 0;
	msrs.nmsrs = HVX_MAX_MSR_ENTRIES + 1;
	EXPECT_EQ(-1, ioctl(self->vcpu->fd, HVX_GET_MSRS, &msrs));
	EXPECT_EQ(EINVAL, errno);
	msrs.nmsrs = 1;
	msrs.entries = 8;
	EXPECT_EQ(-1, ioctl(self->vcpu->fd, HVX_GET_MSRS, &msrs));
	EXPECT_EQ(EFAULT, errno);
}

static inline uint64_t guest_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a" (lo), "=d" (hi));
	return ((uint64_t)hi << 32) | lo;
}

#define TSC_SET_BY_HOST		(1ull << 50)	/* far above any uptime's TSC */
#define TSC_ADJUST_BY_GUEST	(-(1ll << 49))
#define TSC_SET_BY_GUEST	(1ull << 40)

/*
 * 1: the TSC the host set, through RDTSC (no exit) and RDMSR, and
 * TSC_ADJUST. 2: a write to TSC_ADJUST moves the TSC by as much. 3: a
 * write to IA32_TSC moves TSC_ADJUST by as much as the TSC.
 */
static void __guest_code guest_tsc(void)
{
	uint64_t tsc, msr, before;

	/* One statement each: the order of reads is the point. */
	tsc = guest_rdtsc();
	msr = guest_rdmsr(MSR_IA32_TSC);
	GUEST_SYNC_ARGS(1, tsc, msr, guest_rdmsr(MSR_IA32_TSC_ADJUST));
	guest_wrmsr(MSR_IA32_TSC_ADJUST, TSC_ADJUST_BY_GUEST);
	tsc = guest_rdtsc();
	GUEST_SYNC_ARGS(2, tsc, guest_rdmsr(MSR_IA32_TSC_ADJUST), 0);
	before = guest_rdtsc();
	guest_wrmsr(MSR_IA32_TSC, TSC_SET_BY_GUEST);
	tsc = guest_rdtsc();
	GUEST_SYNC_ARGS(3, tsc, guest_rdmsr(MSR_IA32_TSC_ADJUST), before);
	GUEST_DONE();
}

TEST_F(state, tsc_offset_and_adjust)
{
	struct hvx_capability cap = { .cap = HVX_CAP_TSC_ADJUST };
	struct hvx_msr_entry e = { .index = MSR_IA32_TSC_ADJUST };
	struct hvx_msrs msrs = { .nmsrs = 1, .entries = (uintptr_t)&e };
	const uint64_t low = TSC_SET_BY_HOST + TSC_ADJUST_BY_GUEST;
	uint64_t slack;
	int64_t adj, jump;
	struct ucall uc;

	NEED_VM();
	ASSERT_EQ(0, ioctl(self->vm->sys_fd, HVX_CHECK_CAPABILITY, &cap));
	EXPECT_EQ(1, cap.value);
	cap.cap = HVX_CAP_TSC_KHZ;
	ASSERT_EQ(0, ioctl(self->vm->sys_fd, HVX_CHECK_CAPABILITY, &cap));
	slack = cap.value * 60000;	/* 60 s: emulated exits are slow */

	/* A new vCPU runs on the host's TSC, with nothing adjusted. */
	ASSERT_EQ(1, ioctl(self->vcpu->fd, HVX_GET_MSRS, &msrs));
	EXPECT_EQ(0, e.data);

	/* User space restoring a TSC does not count as an adjustment. */
	e.index = MSR_IA32_TSC;
	e.data = TSC_SET_BY_HOST;
	ASSERT_EQ(1, ioctl(self->vcpu->fd, HVX_SET_MSRS, &msrs));
	vcpu_setup_long_mode(self->vcpu, guest_tsc, 0);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_LE(TSC_SET_BY_HOST, uc.args[1]);
	EXPECT_GT(TSC_SET_BY_HOST + slack, uc.args[1]);
	EXPECT_LE(uc.args[1], uc.args[2]);
	EXPECT_GT(uc.args[1] + slack, uc.args[2]);
	EXPECT_EQ(0, uc.args[3]);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_LE(low, uc.args[1]);
	EXPECT_GT(low + slack, uc.args[1]);
	EXPECT_EQ(TSC_ADJUST_BY_GUEST, (int64_t)uc.args[2]);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	ASSERT_EQ(3, uc.args[0]);
	EXPECT_LE(TSC_SET_BY_GUEST, uc.args[1]);
	EXPECT_GT(TSC_SET_BY_GUEST + slack, uc.args[1]);
	adj = (int64_t)uc.args[2] - TSC_ADJUST_BY_GUEST;
	jump = (int64_t)(TSC_SET_BY_GUEST - uc.args[3]);
	/* Short of the jump by the time that the WRMSR exit took. */
	EXPECT_LE(adj, jump);
	EXPECT_GT(adj + (int64_t)slack, jump);
	adj = (int64_t)uc.args[2];
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(self->vcpu, &uc));

	/* User space reads what the guest left... */
	e.index = MSR_IA32_TSC_ADJUST;
	ASSERT_EQ(1, ioctl(self->vcpu->fd, HVX_GET_MSRS, &msrs));
	EXPECT_EQ(adj, (int64_t)e.data);
	/* ...and restores TSC_ADJUST without moving the TSC. */
	e.data = 12345;
	ASSERT_EQ(1, ioctl(self->vcpu->fd, HVX_SET_MSRS, &msrs));
	ASSERT_EQ(1, ioctl(self->vcpu->fd, HVX_GET_MSRS, &msrs));
	EXPECT_EQ(12345, e.data);
	e.index = MSR_IA32_TSC;
	ASSERT_EQ(1, ioctl(self->vcpu->fd, HVX_GET_MSRS, &msrs));
	EXPECT_LE(TSC_SET_BY_GUEST, e.data);
	EXPECT_GT(TSC_SET_BY_GUEST + slack, e.data);
}

/*
 * Hardware breakpoints armed by the guest fire in the guest. The #DB
 * handler counts, keeps DR6 and clears it, and sets RF in the frame so
 * that an instruction breakpoint lets the instruction run on return.
 */
volatile uint64_t db_count, db_dr6, bp_data, bp_runs;

extern char isr_db[];
asm(".pushsection .text\n"
    "isr_db:\n"
    "	push %rax\n"
    "	lock incq db_count(%rip)\n"
    "	mov %dr6, %rax\n"
    "	mov %rax, db_dr6(%rip)\n"
    "	mov $0xffff0ff0, %eax\n"
    "	mov %rax, %dr6\n"
    "	orq $0x10000, 24(%rsp)\n"	/* RFLAGS.RF, above RAX, RIP, CS */
    "	pop %rax\n"
    "	iretq\n"
    ".popsection");

static void __attribute__((noinline)) __guest_code bp_target(void)
{
	bp_runs++;
}

static inline void guest_set_dr(int n, uint64_t v)
{
	switch (n) {
	case 0: asm volatile("mov %0, %%dr0" : : "r" (v)); break;
	case 1: asm volatile("mov %0, %%dr1" : : "r" (v)); break;
	case 7: asm volatile("mov %0, %%dr7" : : "r" (v)); break;
	}
}

#define DR7_L0_WRITE_8	(0x1ull | (0x1ull << 16) | (0x2ull << 18))
#define DR7_L1_EXEC	(0x4ull)
#define DR7_GD		(0x2000ull)

static void __guest_code guest_breakpoints(void)
{
	uint64_t dr7;

	/* 1: a data breakpoint traps after the write. */
	guest_set_dr(0, (uint64_t)&bp_data);
	guest_set_dr(7, DR7_L0_WRITE_8);
	bp_data = 1;
	GUEST_SYNC_ARGS(1, db_count, db_dr6 & 0xf, bp_data);

	/* 2: an instruction breakpoint faults before the call's target. */
	guest_set_dr(1, (uint64_t)bp_target);
	guest_set_dr(7, DR7_L1_EXEC);
	bp_target();
	GUEST_SYNC_ARGS(2, db_count, db_dr6 & 0xf, bp_runs);

	/* 3: disarmed, neither fires. */
	guest_set_dr(7, 0x400);
	bp_data = 2;
	bp_target();
	GUEST_SYNC_ARGS(3, db_count, bp_data, bp_runs);

	/* 4: general detect: the next MOV DR faults, with GD cleared. */
	guest_set_dr(7, 0x400 | DR7_GD);
	asm volatile("mov %%dr7, %0" : "=r" (dr7));
	GUEST_SYNC_ARGS(4, db_count, db_dr6 & 0x2000, dr7);
	GUEST_DONE();
}

TEST_F(state, guest_breakpoints_fire_in_the_guest)
{
	struct ucall uc;

	NEED_VM();
	vm_set_idt_handler(self->vm, 1, isr_db);
	vcpu_setup_long_mode(self->vcpu, guest_breakpoints, 0);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]);
	EXPECT_EQ(1, uc.args[2]);		/* B0 */
	EXPECT_EQ(1, uc.args[3]);		/* the write happened */

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(2, uc.args[1]);
	EXPECT_EQ(2, uc.args[2]);		/* B1 */
	EXPECT_EQ(1, uc.args[3]);		/* ran once, after the #DB */

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	ASSERT_EQ(3, uc.args[0]);
	EXPECT_EQ(2, uc.args[1]);
	EXPECT_EQ(2, uc.args[2]);
	EXPECT_EQ(2, uc.args[3]);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	ASSERT_EQ(4, uc.args[0]);
	EXPECT_EQ(3, uc.args[1]);
	EXPECT_EQ(0x2000, uc.args[2]);	/* BD */
	EXPECT_EQ(0x400, uc.args[3]);	/* GD cleared by the #DB */
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(self->vcpu, &uc));
}

/* XMM0 low quadword, without letting the compiler use SSE itself. */
static void __guest_code guest_fpu(void)
{
	uint64_t v;

	/* movq %xmm0, %rax */
	asm volatile(".byte 0x66, 0x48, 0x0f, 0x7e, 0xc0" : "=a" (v));
	GUEST_SYNC(v);
	/* movq %rax, %xmm1 */
	asm volatile(".byte 0x66, 0x48, 0x0f, 0x6e, 0xc8"
		     : : "a" (0x1122334455667788ull));
	GUEST_DONE();
}

TEST_F(state, fpu_state_reaches_the_guest_and_back)
{
	static struct hvx_fpu fpu;
	struct ucall uc;
	uint64_t xmm1;

	NEED_VM();
	ASSERT_EQ(0, ioctl(self->vcpu->fd, HVX_GET_FPU, &fpu));
	EXPECT_EQ(1, fpu.xcr0 & 1);
	/* Legacy area: XMM0 at byte 160, XMM1 at 176 (SDM Vol. 1 10.5.1). */
	memcpy((char *)fpu.xsave + 160, &(uint64_t){ 0xfeedfacecafebeefull }, 8);
	/* XSTATE_BV in the XSAVE header: SSE state is present, not init. */
	((uint64_t *)fpu.xsave)[512 / 8] |= 2;
	ASSERT_EQ(0, ioctl(self->vcpu->fd, HVX_SET_FPU, &fpu));

	vcpu_setup_long_mode(self->vcpu, guest_fpu, 0);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	EXPECT_EQ(0xfeedfacecafebeefull, uc.args[0]);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(self->vcpu, &uc));
	ASSERT_EQ(0, ioctl(self->vcpu->fd, HVX_GET_FPU, &fpu));
	memcpy(&xmm1, (char *)fpu.xsave + 176, 8);
	EXPECT_EQ(0x1122334455667788ull, xmm1);

	fpu.xcr0 = 0;		/* x87 must stay on */
	EXPECT_EQ(-1, ioctl(self->vcpu->fd, HVX_SET_FPU, &fpu));
	EXPECT_EQ(EINVAL, errno);
	fpu.xcr0 = 1;
	fpu.flags = 1;
	EXPECT_EQ(-1, ioctl(self->vcpu->fd, HVX_SET_FPU, &fpu));
	EXPECT_EQ(EINVAL, errno);
}

static void __guest_code guest_irq(void)
{
	asm volatile("cli");
	GUEST_SYNC(1);
	/* The interrupt is queued now; it must wait for STI + one insn. */
	asm volatile("sti; nop");
	GUEST_SYNC(2);	/* not reached: the IDT stub reports the vector */
}

TEST_F(state, interrupt_waits_for_the_window)
{
	struct hvx_event ev = { .type = HVX_EVENT_INTERRUPT, .vector = 0x40 };
	struct hvx_vcpu_stats st;
	struct ucall uc;

	NEED_VM();
	vcpu_setup_long_mode(self->vcpu, guest_irq, 0);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	ASSERT_EQ(0, ioctl(self->vcpu->fd, HVX_INJECT_EVENT, &ev));
	/* One queued interrupt at a time. */
	EXPECT_EQ(-1, ioctl(self->vcpu->fd, HVX_INJECT_EVENT, &ev));
	EXPECT_EQ(EBUSY, errno);

	vcpu_run(self->vcpu);
	ASSERT_EQ(UCALL_UNHANDLED, get_ucall(self->vcpu, &uc));
	EXPECT_EQ(0x40, uc.args[0]);
	ASSERT_EQ(0, ioctl(self->vcpu->fd, HVX_GET_VCPU_STATS, &st));
	EXPECT_LE(1, st.exit_reason[EXIT_REASON_INTERRUPT_WINDOW]);
}

static void __guest_code guest_spin_sync(void)
{
	for (;;)
		GUEST_SYNC(1);
}

TEST_F(state, exceptions_are_delivered)
{
	struct hvx_event ud = { .type = HVX_EVENT_EXCEPTION, .vector = 6 };
	struct hvx_event gp = { .type = HVX_EVENT_EXCEPTION, .vector = 13,
				.has_error = 1, .error_code = 0x18 };
	struct hvx_event bad[] = {
		{ .type = HVX_EVENT_EXCEPTION, .vector = 13 },	/* no code */
		{ .type = HVX_EVENT_EXCEPTION, .vector = 6, .has_error = 1 },
		{ .type = HVX_EVENT_EXCEPTION, .vector = 32 },
		{ .type = HVX_EVENT_EXCEPTION, .vector = 2 },	/* NMI */
		{ .type = HVX_EVENT_INTERRUPT, .vector = 8 },
		{ .type = 9 },
		{ .type = HVX_EVENT_INTERRUPT, .vector = 0x40, .flags = 1 },
	};
	struct ucall uc;
	unsigned int i;

	NEED_VM();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-1, ioctl(self->vcpu->fd, HVX_INJECT_EVENT, &bad[i]));
		EXPECT_EQ(EINVAL, errno) TH_LOG("event %u", i);
	}

	vcpu_setup_long_mode(self->vcpu, guest_spin_sync, 0);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	ASSERT_EQ(0, ioctl(self->vcpu->fd, HVX_INJECT_EVENT, &gp));
	vcpu_run(self->vcpu);
	ASSERT_EQ(UCALL_UNHANDLED, get_ucall(self->vcpu, &uc));
	EXPECT_EQ(13, uc.args[0]);
	EXPECT_EQ(0x18, uc.args[1]);
	(void)ud;
}

/*
 * HVX_SET_SREGS checks everything before it writes anything: a refused
 * call leaves the vCPU exactly as it was. (It used to apply the new EFER
 * before it found CR4 wrong: EFER.LMA then stood beside a real-mode CR0,
 * which the fuzzer found because Bochs panics on such an entry.)
 */
TEST_F(state, refused_sregs_change_nothing)
{
	struct hvx_sregs before, bad, after;

	NEED_VM();
	vcpu_sregs_get(self->vcpu, &before);
	bad = before;
	bad.efer = EFER_LME | EFER_LMA;
	bad.cr0 = X86_CR0_PE | X86_CR0_PG;
	bad.cr4 = 0;			/* long mode without PAE */
	EXPECT_EQ(-1, ioctl(self->vcpu->fd, HVX_SET_SREGS, &bad));
	EXPECT_EQ(EINVAL, errno);
	bad.cr4 = X86_CR4_PAE | (1ull << 62);	/* a reserved CR4 bit */
	EXPECT_EQ(-1, ioctl(self->vcpu->fd, HVX_SET_SREGS, &bad));
	EXPECT_EQ(EINVAL, errno);
	bad.cr4 = X86_CR4_PAE;
	bad.cr0 = X86_CR0_PG | X86_CR0_PE | (1ull << 40);	/* CR0 63:32 */
	EXPECT_EQ(-1, ioctl(self->vcpu->fd, HVX_SET_SREGS, &bad));
	EXPECT_EQ(EINVAL, errno);
	vcpu_sregs_get(self->vcpu, &after);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)))
		TH_LOG("EFER %#llx -> %#llx, CR0 %#llx -> %#llx, CR4 %#llx -> %#llx",
		       (unsigned long long)before.efer,
		       (unsigned long long)after.efer,
		       (unsigned long long)before.cr0,
		       (unsigned long long)after.cr0,
		       (unsigned long long)before.cr4,
		       (unsigned long long)after.cr4);
}

/*
 * NMIs: the handler stays in (NMIs blocked) until the host releases it,
 * saying where it is with an OUT to NMI_PORT at each turn.
 */
#define NMI_PORT		0x99
volatile uint64_t nmi_count, nmi_release;

extern char isr_nmi_hold[];
asm(".pushsection .text\n"
    "isr_nmi_hold:\n"
    "	push %rax\n"
    "	lock incq nmi_count(%rip)\n"
    "1:	outb %al, $0x99\n"
    "	cmpq $0, nmi_release(%rip)\n"
    "	je 1b\n"
    "	pop %rax\n"
    "	iretq\n"
    ".popsection\n");

static void __guest_code guest_nmi_main(void)
{
	GUEST_SYNC(1);
	/* Here after the first handler's IRET: the second NMI came first. */
	GUEST_SYNC_ARGS(2, nmi_count, 0, 0);
	GUEST_DONE();
}

/* Run to the next exit; true if it is the handler's OUT. */
static bool run_to_nmi_port(struct hvx_vcpu *vcpu)
{
	vcpu_run(vcpu);
	return vcpu->run->exit_reason == HVX_EXIT_IO &&
	       vcpu->run->io.port == NMI_PORT;
}

/*
 * An NMI that arrives while the guest is in its NMI handler waits for the
 * handler's IRET, and is delivered right then (virtual NMIs, NMI-window
 * exiting), not at some later exit.
 */
TEST_F(state, second_nmi_comes_right_after_iret)
{
	struct hvx_event nmi = { .type = HVX_EVENT_NMI };
	struct ucall uc;
	uint64_t one = 1;
	int outs = 0;

	NEED_VM();
	vm_set_idt_handler(self->vm, 2, isr_nmi_hold);
	vcpu_setup_long_mode(self->vcpu, guest_nmi_main, 0);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);

	ASSERT_EQ(0, ioctl(self->vcpu->fd, HVX_INJECT_EVENT, &nmi));
	ASSERT_TRUE(run_to_nmi_port(self->vcpu));	/* in handler 1 */
	ASSERT_EQ(0, ioctl(self->vcpu->fd, HVX_INJECT_EVENT, &nmi));
	/* Blocked by the first: the handler goes round, undisturbed. */
	ASSERT_TRUE(run_to_nmi_port(self->vcpu));
	sync_global_from_guest(self->vm, nmi_count);
	EXPECT_EQ(1, nmi_count);

	vm_write(self->vm, (uint64_t)(uintptr_t)&nmi_release, &one,
		 sizeof(one));
	while (run_to_nmi_port(self->vcpu))
		outs++;
	ASSERT_EQ(UCALL_SYNC, get_ucall(self->vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(2, uc.args[1])
		TH_LOG("the second NMI was not delivered at the first one's IRET");
	EXPECT_EQ(1, outs);	/* the second handler's one turn */
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(self->vcpu, &uc));
}

/* An IDT outside guest memory: delivering the exception touches MMIO. */
#define UNBACKED_IDT		0x80000000ull

static void __guest_code guest_idt_in_mmio(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { 0xfff, UNBACKED_IDT };

	asm volatile("lidt %0; int3" : : "m"(idtr));
	GUEST_FAIL(0);
}

/*
 * The CPU's own access while delivering an event is no instruction to
 * emulate: a clear internal error that names the event, not an MMIO exit
 * for whatever instruction is at RIP.
 */
TEST_F(state, event_delivery_into_mmio_is_a_clear_error)
{
	struct hvx_run *run = self->vcpu->run;

	NEED_VM();
	vcpu_setup_long_mode(self->vcpu, guest_idt_in_mmio, 0);
	vcpu_run(self->vcpu);
	vcpu_assert_exit(self->vcpu, HVX_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(HVX_INTERNAL_DELIVERY_EV, run->internal.suberror);
	ASSERT_EQ(2, run->internal.ndata);
	/* Gate 3 of the IDT, and INT3: vector 3, software exception. */
	EXPECT_EQ(UNBACKED_IDT + 3 * 16, run->internal.data[0] & ~0xfull);
	EXPECT_EQ(3, run->internal.data[1] & 0xff);
	EXPECT_EQ(6, (run->internal.data[1] >> 8) & 7);
	EXPECT_TRUE(run->internal.data[1] >> 31);
}

static void __guest_code guest_dirty(uint64_t base)
{
	volatile uint64_t *p = (volatile uint64_t *)base;

	p[0] = 1;			/* page 0 */
	p[3 * 512] = 1;			/* page 3 */
	p[15 * 512 + 511] = 1;		/* last word of page 15 */
	GUEST_SYNC(1);
	(void)p[5 * 512];		/* a read: not dirty */
	p[3 * 512] = 2;
	GUEST_SYNC(2);
	GUEST_DONE();
}

TEST_F(state, dirty_log_reports_written_pages)
{
	struct hvx_dirty_log log = { .slot = 1 };
	struct hvx_vm_stats vs;
	uint64_t bitmap = ~0ull;
	uint64_t *mem;
	struct ucall uc;

	NEED_VM();
	mem = vm_add_region(self->vm, 1, LOG_GPA, LOG_PAGES * 4096,
			    HVX_MEM_LOG_DIRTY);
	log.bitmap = (uintptr_t)&bitmap;
	vcpu_setup_long_mode(self->vcpu, guest_dirty, LOG_GPA);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	ASSERT_EQ(0, ioctl(self->vm->fd, HVX_GET_DIRTY_LOG, &log));
	EXPECT_EQ((1ull << 0) | (1ull << 3) | (1ull << 15), bitmap);
	EXPECT_EQ(1, mem[15 * 512 + 511]);

	/* A new record starts empty. */
	ASSERT_EQ(0, ioctl(self->vm->fd, HVX_GET_DIRTY_LOG, &log));
	EXPECT_EQ(0, bitmap);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	ASSERT_EQ(0, ioctl(self->vm->fd, HVX_GET_DIRTY_LOG, &log));
	EXPECT_EQ(1ull << 3, bitmap);
	EXPECT_EQ(2, mem[3 * 512]);

	ASSERT_EQ(0, ioctl(self->vm->fd, HVX_GET_VM_STATS, &vs));
	EXPECT_EQ(1, vs.vcpus);
	EXPECT_EQ(2, vs.mem_slots);
	EXPECT_LE(4, vs.mapped_pages);
	EXPECT_LE(5, vs.ept_tables);

	log.slot = 0;		/* not logging */
	EXPECT_EQ(-1, ioctl(self->vm->fd, HVX_GET_DIRTY_LOG, &log));
	EXPECT_EQ(ENOENT, errno);
	log.slot = 1;
	log.flags = 1;
	EXPECT_EQ(-1, ioctl(self->vm->fd, HVX_GET_DIRTY_LOG, &log));
	EXPECT_EQ(EINVAL, errno);
	log.flags = 0;
	log.bitmap = 0;
	EXPECT_EQ(-1, ioctl(self->vm->fd, HVX_GET_DIRTY_LOG, &log));
	EXPECT_EQ(EFAULT, errno);
}

TEST_HARNESS_MAIN
