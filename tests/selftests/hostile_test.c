// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile guests: programs written to hurt the host, each with the exit it
 * must get. VMX instructions from CPL3 and from 32-bit protected mode,
 * every MSR index of the architectural ranges read and written, MMIO and
 * port I/O all over the address spaces, IPI/INIT/SIPI/NMI storms through
 * the in-kernel APIC, self-modifying MMIO instructions (also across page
 * boundaries), page tables that point outside guest memory, string I/O
 * into pages that are not there or read-only, triple faults in a loop, and
 * instructions that must exit (RDPMC, WBINVD, task switches).
 *
 * After every test the fixture checks that the host is unharmed: the test
 * process is still here (it is the one checking), a fresh VM runs a guest
 * to its end, and the kernel log since the test began has no WARNING,
 * BUG, Oops, Call Trace or general protection fault. Every HVX_RUN is
 * bounded by SIGALRM (with immediate_exit for the race with the ioctl), so
 * a guest that hangs the vCPU fails its test instead of the boot.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/hvx.h>

#include "kselftest_harness.h"
#include "hvx_util.h"
#include "hvx_vm.h"
#include "ucall.h"

#define GUEST_MEM		HVX_VM_DEFAULT_MEM	/* 16 MiB */
#define PAGE			HVX_PAGE_SIZE
#define PROT_CODE_GPA		0x2000ull
/* A 32-bit IDT for the protected-mode guests (free: below the binary). */
#define IDT32_GPA		0x3f0000ull
/* Free guest memory for extra page tables. */
#define PT_POOL_GPA		0x300000ull
#define PT_POOL_END		0x380000ull
/* Outside slot 0 ([0, 16 MiB)) but inside the 4 GiB identity map. */
#define MMIO_GPA		0xc0001000ull

#define PTE_P			(1ull << 0)
#define PTE_RW			(1ull << 1)
#define PTE_US			(1ull << 2)
#define PTE_A			(1ull << 5)
#define PTE_D			(1ull << 6)
#define PTE_PS			(1ull << 7)
#define PTE_ADDR		0x000ffffffffff000ull

#define UD_VECTOR		6
#define GP_VECTOR		13
#define PF_VECTOR		14
#define X86_CR4_PCE		(1ull << 8)

/* Basic exit reasons (SDM Vol. 3D appendix C). */
#define VMX_EXIT_TRIPLE_FAULT	2
#define VMX_EXIT_TASK_SWITCH	9
#define VMX_EXIT_WBINVD		54

/* Each HVX_RUN must come back within this (emulated) time. */
#define RUN_LIMIT_S		60

#define MAX_VMS			4

#define ADDR(sym)		((uint64_t)(uintptr_t)(sym))
#define ARRAY_LEN(a)		(sizeof(a) / sizeof((a)[0]))

/* ---- Bounded runs ------------------------------------------------------- */

static struct hvx_run *volatile alarm_run;
static volatile sig_atomic_t alarm_fired;

/*
 * SIGALRM interrupts HVX_RUN (no SA_RESTART); immediate_exit covers a
 * signal that comes just before the ioctl enters the guest.
 */
static void on_alarm(int sig)
{
	(void)sig;
	alarm_fired = 1;
	if (alarm_run)
		alarm_run->immediate_exit = 1;
}

/* HVX_RUN for at most @secs: the ioctl's result, errno kept. */
static int run_for(struct hvx_vcpu *vcpu, unsigned int secs)
{
	int ret, err;

	alarm_fired = 0;
	alarm_run = vcpu->run;
	alarm(secs);
	ret = __vcpu_run(vcpu);
	err = errno;
	alarm(0);
	alarm_run = NULL;
	vcpu->run->immediate_exit = 0;
	errno = err;
	return ret;
}

static void brun_at(struct hvx_vcpu *vcpu, unsigned int secs,
		    const char *file, int line)
{
	if (run_for(vcpu, secs))
		hvx_test_fail(file, line, NULL, "HVX_RUN: %s%s",
			      strerror(errno),
			      alarm_fired ? ": no exit in time, the vCPU hangs" :
					    "");
}

static uint64_t brun_ucall_at(struct hvx_vcpu *vcpu, struct ucall *uc,
			      unsigned int secs, const char *file, int line)
{
	brun_at(vcpu, secs, file, line);
	get_ucall(vcpu, uc);
	assert_ucall_ok_at(vcpu, uc, file, line);
	return uc->cmd;
}

#define brun(vcpu)		brun_at(vcpu, RUN_LIMIT_S, __FILE__, __LINE__)
#define brun_ucall(vcpu, uc)						\
	brun_ucall_at(vcpu, uc, RUN_LIMIT_S, __FILE__, __LINE__)
#define brun_ucall_long(vcpu, uc, secs)					\
	brun_ucall_at(vcpu, uc, secs, __FILE__, __LINE__)

/*
 * Let HVX_RUN finish an exit left half done (an MMIO read, an IN) without
 * entering the guest, before the test sets new registers: immediate_exit
 * still completes it (see run_loop_test).
 */
static void drain_pending(struct hvx_vcpu *vcpu)
{
	vcpu->run->immediate_exit = 1;
	__vcpu_run(vcpu);
	vcpu->run->immediate_exit = 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- Guest code --------------------------------------------------------- */

#define GUEST_ASM(name, body)						\
	"	.balign 16\n"						\
	"	.globl " #name "\n"					\
	"	.type " #name ", @function\n"				\
	#name ":\n"							\
	body								\
	"	.size " #name ", . - " #name "\n"

#define GUEST_LABEL(name)	"	.globl " #name "\n" #name ":\n"

/*
 * A VMX instruction that must fault with #UD: the #UD handlers below note
 * where and in which code segment, and resume at the local label after it
 * (the resume address in R12, or ESI in 32-bit code).
 */
#define UD64(name, insn)						\
	"	leaq 1f(%rip), %r12\n"					\
	GUEST_LABEL(name)						\
	"	" insn "\n"						\
	"1:\n"
#define UD32(name, insn)						\
	"	movl $1f, %esi\n"					\
	GUEST_LABEL(name)						\
	"	" insn "\n"						\
	"1:\n"

#define UD_MAX		32

uint64_t hx_ud_count;
uint64_t hx_ud_rip[UD_MAX];
uint64_t hx_ud_cs[UD_MAX];
/* RAX after the hypercall that starts each sequence (VMCALL, no #UD). */
uint64_t hx_hc_ret;
/* Memory operand of the VMX instructions (a VMCS pointer, a descriptor). */
uint8_t hx_vmx_scratch[4096] __attribute__((aligned(4096)));

/* #PF: what the handler saw (see hx_pf_handler). */
uint64_t hx_pf_count, hx_pf_err, hx_pf_rip, hx_pf_cr2;
uint64_t hx_pf_rcx, hx_pf_rsi, hx_pf_rdi;
/* RCX after the string instructions of hx_rep_*. */
uint64_t hx_str_rcx;

/* Interrupt counters of the APIC storm. */
volatile uint64_t hx_irq_count, hx_nmi_count;

asm(
"	.pushsection .text, \"ax\", @progbits\n"
/* #UD handler, 64-bit, from CPL0 or CPL3: no error code on the stack. */
GUEST_ASM(hx_ud_handler64,
"	pushq %rax\n"
"	pushq %rcx\n"
"	movq hx_ud_count(%rip), %rcx\n"
"	cmpq $32, %rcx\n"
"	jae 2f\n"
"	movq 16(%rsp), %rax\n"		/* RIP */
"	movq %rax, hx_ud_rip(,%rcx,8)\n"
"	movq 24(%rsp), %rax\n"		/* CS */
"	movq %rax, hx_ud_cs(,%rcx,8)\n"
"2:	incq hx_ud_count(%rip)\n"
"	movq %r12, 16(%rsp)\n"
"	popq %rcx\n"
"	popq %rax\n"
"	iretq\n")
/*
 * A hypercall (VMCALL, which is no #UD: hx_hc_ret keeps its RAX), then the
 * other VMX instructions of SDM Vol. 3C chapter 30 plus VMFUNC and GETSEC,
 * memory operands at RDI. hx_vmx_seq64_new runs only the two that
 * exits_test's vmx_instructions_ud does not.
 */
GUEST_ASM(hx_vmx_seq64,
"	pushq %r12\n"
"	movl $0x1234, %eax\n"
"	vmcall\n"
"	movq %rax, hx_hc_ret(%rip)\n"
UD64(hx64_vmxon, "vmxon (%rdi)")
UD64(hx64_vmxoff, "vmxoff")
UD64(hx64_vmlaunch, "vmlaunch")
UD64(hx64_vmresume, "vmresume")
UD64(hx64_vmclear, "vmclear (%rdi)")
UD64(hx64_vmptrld, "vmptrld (%rdi)")
UD64(hx64_vmptrst, "vmptrst (%rdi)")
"	movl $0x4400, %eax\n"
UD64(hx64_vmread, "vmread %rax, %rdx")
"	movl $0x681e, %eax\n"
"	xorl %edx, %edx\n"
UD64(hx64_vmwrite, "vmwrite %rdx, %rax")
"	movl $1, %ecx\n"
UD64(hx64_invept, "invept (%rdi), %rcx")
"	movl $1, %ecx\n"
UD64(hx64_invvpid, "invvpid (%rdi), %rcx")
"hx_vmx_seq64_tail:\n"
"	xorl %eax, %eax\n"
"	xorl %ecx, %ecx\n"
UD64(hx64_vmfunc, "vmfunc")
"	xorl %eax, %eax\n"
UD64(hx64_getsec, "getsec")
"	popq %r12\n"
"	ret\n")
GUEST_ASM(hx_vmx_seq64_new,
"	pushq %r12\n"
"	jmp hx_vmx_seq64_tail\n")
/* CPL0 -> CPL3 at hx_user_main, RSP = RDI, IOPL 3 (ucalls may OUT). */
GUEST_ASM(hx_to_user,
"	pushq $0xa3\n"			/* SS: user data, RPL 3 */
"	pushq %rdi\n"
"	pushq $0x3002\n"		/* RFLAGS: IOPL 3, IF 0 */
"	pushq $0xab\n"			/* CS: user 64-bit code, RPL 3 */
"	leaq hx_user_main(%rip), %rax\n"
"	pushq %rax\n"
"	iretq\n")
/*
 * #GP handler of the MSR scan: RDMSR (0f 32) and WRMSR (0f 30) that fault
 * set R11 = 1 and are skipped; any other #GP goes to the library's stub,
 * which reports it.
 */
GUEST_ASM(hx_gp_msr_handler,
"	pushq %rax\n"
"	movq 16(%rsp), %rax\n"		/* RIP, above the error code */
"	cmpw $0x320f, (%rax)\n"
"	je 1f\n"
"	cmpw $0x300f, (%rax)\n"
"	je 1f\n"
"	popq %rax\n"
"	jmp hvx_guest_idt_stubs + 13 * 16\n"
"1:	popq %rax\n"
"	movl $1, %r11d\n"
"	addq $8, %rsp\n"		/* the error code */
"	addq $2, (%rsp)\n"
"	iretq\n")
/* #PF handler: note the fault and the string registers, then halt. */
GUEST_ASM(hx_pf_handler,
"	movq %rcx, hx_pf_rcx(%rip)\n"
"	movq %rsi, hx_pf_rsi(%rip)\n"
"	movq %rdi, hx_pf_rdi(%rip)\n"
"	movq %cr2, %rax\n"
"	movq %rax, hx_pf_cr2(%rip)\n"
"	movq 0(%rsp), %rax\n"
"	movq %rax, hx_pf_err(%rip)\n"
"	movq 8(%rsp), %rax\n"
"	movq %rax, hx_pf_rip(%rip)\n"
"	incq hx_pf_count(%rip)\n"
"1:	hlt\n"
"	jmp 1b\n")
/* u64 hx_rep_outsb(src, count, port): RSI at the end; RCX to hx_str_rcx. */
GUEST_ASM(hx_rep_outsb,
"	movq %rsi, %rcx\n"
"	movq %rdi, %rsi\n"
GUEST_LABEL(hx_insn_rep_outsb)
"	rep outsb\n"
"	movq %rcx, hx_str_rcx(%rip)\n"
"	movq %rsi, %rax\n"
"	ret\n")
GUEST_ASM(hx_rep_outsw,
"	movq %rsi, %rcx\n"
"	movq %rdi, %rsi\n"
"	rep outsw\n"
"	movq %rcx, hx_str_rcx(%rip)\n"
"	movq %rsi, %rax\n"
"	ret\n")
/* u64 hx_rep_insb(dst, count, port): RDI at the end. */
GUEST_ASM(hx_rep_insb,
"	movq %rsi, %rcx\n"
GUEST_LABEL(hx_insn_rep_insb)
"	rep insb\n"
"	movq %rcx, hx_str_rcx(%rip)\n"
"	movq %rdi, %rax\n"
"	ret\n")
/* u64 hx_load64(gva) */
GUEST_ASM(hx_load64,
GUEST_LABEL(hx_insn_load64)
"	movq (%rdi), %rax\n"
"	ret\n")
GUEST_ASM(hx_rdpmc,
"	xorl %ecx, %ecx\n"
GUEST_LABEL(hx_insn_rdpmc)
"	rdpmc\n"
"	ret\n")
GUEST_ASM(hx_int3,
"	int3\n"
"1:	hlt\n"
"	jmp 1b\n")
/* Counting interrupt handlers, EOI through the xAPIC page or x2APIC MSR. */
GUEST_ASM(hx_isr_xapic,
"	pushq %rax\n"
"	lock incq hx_irq_count(%rip)\n"
"	movl $0xfee000b0, %eax\n"
"	movl $0, (%rax)\n"
"	popq %rax\n"
"	iretq\n")
GUEST_ASM(hx_isr_x2apic,
"	pushq %rax\n"
"	pushq %rcx\n"
"	pushq %rdx\n"
"	lock incq hx_irq_count(%rip)\n"
"	movl $0x80b, %ecx\n"
"	xorl %eax, %eax\n"
"	xorl %edx, %edx\n"
"	wrmsr\n"
"	popq %rdx\n"
"	popq %rcx\n"
"	popq %rax\n"
"	iretq\n")
GUEST_ASM(hx_nmi_handler,
"	lock incq hx_nmi_count(%rip)\n"
"	iretq\n")

/* 32-bit protected mode, flat CS 0x18, no paging. */
"	.code32\n"
"	.balign 16\n"
"	.globl hx_ud_handler32\n"
"hx_ud_handler32:\n"
"	pushl %eax\n"
"	pushl %ecx\n"
"	movl hx_ud_count, %ecx\n"
"	cmpl $32, %ecx\n"
"	jae 2f\n"
"	movl 8(%esp), %eax\n"		/* EIP */
"	movl %eax, hx_ud_rip(,%ecx,8)\n"
"	movl 12(%esp), %eax\n"		/* CS */
"	movl %eax, hx_ud_cs(,%ecx,8)\n"
"2:	incl hx_ud_count\n"
"	movl %esi, 8(%esp)\n"
"	popl %ecx\n"
"	popl %eax\n"
"	iret\n"
/* Any other exception: EBX = 0xbad0, ECX = the EIP, halt. */
"	.balign 16\n"
"	.globl hx_fail32\n"
"hx_fail32:\n"
"	movl $0xbad0, %ebx\n"
"	movl (%esp), %ecx\n"
"1:	hlt\n"
"	jmp 1b\n"
"	.balign 16\n"
"	.globl hx_vmx_seq32\n"
"hx_vmx_seq32:\n"
"	movl $hx_vmx_scratch, %edi\n"
"	movl $0x1234, %eax\n"
"	vmcall\n"
"	movl %eax, hx_hc_ret\n"
UD32(hx32_vmxon, "vmxon (%edi)")
UD32(hx32_vmxoff, "vmxoff")
UD32(hx32_vmlaunch, "vmlaunch")
UD32(hx32_vmresume, "vmresume")
UD32(hx32_vmclear, "vmclear (%edi)")
UD32(hx32_vmptrld, "vmptrld (%edi)")
UD32(hx32_vmptrst, "vmptrst (%edi)")
"	movl $0x4400, %eax\n"
UD32(hx32_vmread, "vmread %eax, %edx")
"	movl $0x681e, %eax\n"
"	xorl %edx, %edx\n"
UD32(hx32_vmwrite, "vmwrite %edx, %eax")
"	movl $1, %ecx\n"
UD32(hx32_invept, "invept (%edi), %ecx")
"	movl $1, %ecx\n"
UD32(hx32_invvpid, "invvpid (%edi), %ecx")
"	xorl %eax, %eax\n"
"	xorl %ecx, %ecx\n"
UD32(hx32_vmfunc, "vmfunc")
"	xorl %eax, %eax\n"
UD32(hx32_getsec, "getsec")
"	movl $0x600d, %ebx\n"
"1:	hlt\n"
"	jmp 1b\n"
"	.code64\n"
"	.popsection\n"
);

void hx_ud_handler64(void);
void hx_vmx_seq64(void *mem);
void hx_vmx_seq64_new(void *mem);
void hx_to_user(uint64_t rsp);
void hx_gp_msr_handler(void);
void hx_pf_handler(void);
uint64_t hx_rep_outsb(uint64_t src, uint64_t count, uint64_t port);
uint64_t hx_rep_outsw(uint64_t src, uint64_t count, uint64_t port);
uint64_t hx_rep_insb(uint64_t dst, uint64_t count, uint64_t port);
uint64_t hx_load64(uint64_t gva);
uint64_t hx_rdpmc(void);
void hx_int3(void);
void hx_isr_xapic(void);
void hx_isr_x2apic(void);
void hx_nmi_handler(void);
void hx_ud_handler32(void);
void hx_fail32(void);
void hx_vmx_seq32(void);

extern const char hx64_vmxon[], hx64_vmxoff[];
extern const char hx64_vmlaunch[], hx64_vmresume[], hx64_vmclear[];
extern const char hx64_vmptrld[], hx64_vmptrst[], hx64_vmread[];
extern const char hx64_vmwrite[], hx64_invept[], hx64_invvpid[];
extern const char hx64_vmfunc[], hx64_getsec[];
extern const char hx32_vmxon[], hx32_vmxoff[];
extern const char hx32_vmlaunch[], hx32_vmresume[], hx32_vmclear[];
extern const char hx32_vmptrld[], hx32_vmptrst[], hx32_vmread[];
extern const char hx32_vmwrite[], hx32_invept[], hx32_invvpid[];
extern const char hx32_vmfunc[], hx32_getsec[];
extern const char hx_insn_rep_outsb[], hx_insn_rep_insb[];
extern const char hx_insn_load64[], hx_insn_rdpmc[];

/* ---- The fixture: load hvx, and check the host after each test ---------- */

FIXTURE(hostile) {
	bool loaded_here;
	bool ready;
	int kmsg;
	uint64_t t0;
	struct hvx_vm *vm[MAX_VMS];
};

FIXTURE_SETUP(hostile)
{
	const char *why = hvx_need_module(&self->loaded_here);
	struct sigaction sa;

	if (why)
		SKIP(return, "%s", why);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	self->kmsg = kmsg_mark();
	ASSERT_LE(0, self->kmsg) TH_LOG("/dev/kmsg: %s", strerror(-self->kmsg));
	self->t0 = now_ns();
	self->ready = true;
}

static uint64_t __guest_code guest_square_plus_one(uint64_t x)
{
	GUEST_SYNC(x);
	return x * x + 1;
}

static char kmsg_buf[256 * 1024];

/*
 * The host after a hostile guest: a fresh VM still runs a guest to its
 * end, and the kernel said nothing alarming.
 */
static void host_unharmed(struct __test_metadata *_metadata,
			  FIXTURE_DATA(hostile) *self)
{
	static const char *const bad[] = {
		"WARNING", "BUG", "Oops", "Call Trace", "general protection",
	};
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	struct ucall uc;
	unsigned int i;

	vm = vm_create(GUEST_MEM);
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	vcpu_setup_long_mode(vcpu, guest_square_plus_one, 1234);
	EXPECT_EQ(UCALL_SYNC, brun_ucall(vcpu, &uc));
	EXPECT_EQ(1234, uc.args[0]);
	EXPECT_EQ(UCALL_DONE, brun_ucall(vcpu, &uc));
	EXPECT_EQ(1234ull * 1234 + 1, uc.args[0])
		TH_LOG("a fresh VM after the test computed wrongly");
	vm_free(vm);

	kmsg_since(self->kmsg, kmsg_buf, sizeof(kmsg_buf));
	self->kmsg = -1;
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		bool found = strstr(kmsg_buf, bad[i]) != NULL;

		EXPECT_FALSE(found)
			TH_LOG("the kernel log has \"%s\":\n%s", bad[i],
			       kmsg_buf);
	}
}

FIXTURE_TEARDOWN(hostile)
{
	unsigned int i;

	for (i = 0; i < MAX_VMS; i++)
		vm_free(self->vm[i]);
	if (self->ready) {
		TH_LOG("test body: %llu ms",
		       (unsigned long long)((now_ns() - self->t0) / 1000000));
		host_unharmed(_metadata, self);
	}
	if (self->loaded_here)
		EXPECT_EQ(0, hvx_unload());
}

/* A long-mode VM with the test binary loaded and vCPU 0. */
static struct hvx_vcpu *new_vm(FIXTURE_DATA(hostile) *self, int idx,
			       bool irqchip)
{
	struct hvx_vm *vm = self->vm[idx] = vm_create(GUEST_MEM);

	if (irqchip)
		TEST_ASSERT(!ioctl(vm->fd, HVX_CREATE_IRQCHIP, 0),
			    "HVX_CREATE_IRQCHIP: %s", strerror(errno));
	vm_load_self(vm);
	return vcpu_add(vm, 0);
}

/* ---- Guest page tables -------------------------------------------------- */

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
 * The entry that maps @gva at @level (1: PTE, 2: PDE, 3: PDPTE) in the
 * page tables of vcpu_setup_long_mode() (call that first), creating the
 * tables above it. Only for GVAs above 512 GiB: the identity map's own
 * tables stay as they are.
 */
static uint64_t *pt_entry(struct hvx_vm *vm, uint64_t *next, uint64_t gva,
			  int level)
{
	uint64_t *table = vm_gpa_to_hva(vm, vm->sys_gpa + HVX_SYS_PML4);
	int l;

	TEST_ASSERT(vm->sys_ready, "set up long mode first");
	TEST_ASSERT(gva >= (1ull << 39), "GVA %#llx is in the identity map",
		    (unsigned long long)gva);
	for (l = 4; l > level; l--) {
		uint64_t *e = &table[(gva >> (12 + 9 * (l - 1))) & 511];

		if (!(*e & PTE_P))
			*e = pt_alloc(vm, next) | PTE_P | PTE_RW | PTE_A;
		TEST_ASSERT(!(*e & PTE_PS), "GVA %#llx is in a large page",
			    (unsigned long long)gva);
		table = vm_gpa_to_hva(vm, *e & PTE_ADDR);
	}
	return &table[(gva >> (12 + 9 * (level - 1))) & 511];
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

/* ---- 1. VMX instructions: #UD from CPL3 and from 32-bit mode ------------ */

static const struct {
	const char *name;
	const char *insn64, *insn32;
} vmx_all[] = {
	{ "vmxon", hx64_vmxon, hx32_vmxon },
	{ "vmxoff", hx64_vmxoff, hx32_vmxoff },
	{ "vmlaunch", hx64_vmlaunch, hx32_vmlaunch },
	{ "vmresume", hx64_vmresume, hx32_vmresume },
	{ "vmclear", hx64_vmclear, hx32_vmclear },
	{ "vmptrld", hx64_vmptrld, hx32_vmptrld },
	{ "vmptrst", hx64_vmptrst, hx32_vmptrst },
	{ "vmread", hx64_vmread, hx32_vmread },
	{ "vmwrite", hx64_vmwrite, hx32_vmwrite },
	{ "invept", hx64_invept, hx32_invept },
	{ "invvpid", hx64_invvpid, hx32_invvpid },
	{ "vmfunc", hx64_vmfunc, hx32_vmfunc },
	{ "getsec", hx64_getsec, hx32_getsec },
};

#define VMX_NEW_FIRST	11	/* vmfunc, getsec: not in exits_test */

/* Compare what the #UD handler noted with vmx_all[first...]. */
static void check_ud_log(struct __test_metadata *_metadata,
			 struct hvx_vm *vm, unsigned int first, bool bits32,
			 uint64_t want_cs, const char *ctx)
{
	unsigned int i, n = ARRAY_LEN(vmx_all) - first;

	sync_global_from_guest(vm, hx_ud_count);
	sync_global_from_guest(vm, hx_ud_rip);
	sync_global_from_guest(vm, hx_ud_cs);
	EXPECT_EQ(n, hx_ud_count) TH_LOG("%s: %llu #UDs for %u instructions",
					 ctx, (unsigned long long)hx_ud_count, n);
	for (i = 0; i < n && i < hx_ud_count; i++) {
		uint64_t want = ADDR(bits32 ? vmx_all[first + i].insn32 :
					      vmx_all[first + i].insn64);

		EXPECT_EQ(want, hx_ud_rip[i])
			TH_LOG("%s: #UD %u at %#llx, want %s at %#llx", ctx, i,
			       (unsigned long long)hx_ud_rip[i],
			       vmx_all[first + i].name,
			       (unsigned long long)want);
		EXPECT_EQ(want_cs, hx_ud_cs[i] & 0xffff)
			TH_LOG("%s: %s: CS %#llx", ctx, vmx_all[first + i].name,
			       (unsigned long long)hx_ud_cs[i]);
	}
}

static void __guest_code guest_vmx_new_cpl0(void)
{
	hx_vmx_seq64_new(hx_vmx_scratch);
	GUEST_DONE();
}

/* Entered at CPL3 by hx_to_user. */
void __guest_code __attribute__((used)) hx_user_main(void)
{
	hx_vmx_seq64(hx_vmx_scratch);
	GUEST_DONE();
	guest_halt_forever();
}

static uint8_t hx_user_stack[16384] __attribute__((aligned(16)));

static void __guest_code guest_vmx_cpl3(uint64_t user_rsp)
{
	hx_to_user(user_rsp);
}

/* Every paging entry of the identity map also for CPL3 (U/S = 1). */
static void identity_map_user(struct hvx_vm *vm)
{
	uint64_t *pml4 = vm_gpa_to_hva(vm, vm->sys_gpa + HVX_SYS_PML4);
	uint64_t *pdpt = vm_gpa_to_hva(vm, vm->sys_gpa + HVX_SYS_PDPT);
	uint64_t *pd = vm_gpa_to_hva(vm, vm->sys_gpa + HVX_SYS_PD);
	uint64_t *pt = vm_gpa_to_hva(vm, vm->sys_gpa + HVX_SYS_PT0);
	unsigned int i;

	pml4[0] |= PTE_US;
	for (i = 0; i < 4; i++)
		pdpt[i] |= PTE_US;
	for (i = 0; i < 4 * 512; i++)
		pd[i] |= PTE_US;
	for (i = 0; i < 512; i++)
		if (pt[i] & PTE_P)
			pt[i] |= PTE_US;
}

/*
 * In VMX non-root operation these instructions exit before their CPL
 * check (SDM Vol. 3C 26.1.2 and the instructions' pseudo-code in
 * chapter 31), so a CPL3 guest reaches hvx, which must answer #UD as it
 * does at CPL0; VMFUNC (VM functions not enabled) and GETSEC (CR4.SMXE
 * clear) are #UD from the CPU itself (SDM Vol. 3C 26.2, Vol. 2D GETSEC).
 * The same in 32-bit protected mode, where the 64-bit checks do not
 * apply. exits_test covers CPL0 in 64-bit mode for all but VMFUNC and
 * GETSEC, which this test adds. VMCALL exits the same way and is hvx's
 * hypercall: at CPL3 it returns -HVX_HC_EPERM, in 32-bit mode -HVX_HC_ENOSYS
 * in EAX.
 */
TEST_F_TIMEOUT(hostile, vmx_instructions_ud_at_cpl3_and_in_32bit_mode, 300)
{
	/* User data (DPL3) at 0xa0, user 64-bit code (DPL3) at 0xa8. */
	const uint64_t user_data = 0x00cff3000000ffffull;
	const uint64_t user_code = 0x00affb000000ffffull;
	struct hvx_sregs sregs;
	struct hvx_regs regs;
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	struct ucall uc;
	uint64_t *gdt, *idt;
	unsigned int i;

	NEED_HVX();

	/* 64-bit, CPL0: VMFUNC and GETSEC. */
	vcpu = new_vm(self, 0, false);
	vm = vcpu->vm;
	vm_set_idt_handler(vm, UD_VECTOR, hx_ud_handler64);
	vcpu_setup_long_mode(vcpu, guest_vmx_new_cpl0, 0);
	ASSERT_EQ(UCALL_DONE, brun_ucall(vcpu, &uc));
	check_ud_log(_metadata, vm, VMX_NEW_FIRST, false, HVX_SEL_CODE64,
		     "CPL0");

	/* 64-bit, CPL3: all of them. */
	vcpu = new_vm(self, 1, false);
	vm = vcpu->vm;
	vm_set_idt_handler(vm, UD_VECTOR, hx_ud_handler64);
	vcpu_setup_long_mode(vcpu, guest_vmx_cpl3,
			     ADDR(hx_user_stack + sizeof(hx_user_stack)) - 8);
	identity_map_user(vm);
	gdt = vm_gpa_to_hva(vm, vm->sys_gpa + HVX_SYS_GDT);
	gdt[0xa0 / 8] = user_data;
	gdt[0xa8 / 8] = user_code;
	vcpu_sregs_get(vcpu, &sregs);
	sregs.gdt.limit = 0xaf;
	vcpu_sregs_set(vcpu, &sregs);
	ASSERT_EQ(UCALL_DONE, brun_ucall(vcpu, &uc));
	check_ud_log(_metadata, vm, 0, false, 0xab, "CPL3");
	sync_global_from_guest(vm, hx_hc_ret);
	EXPECT_EQ(-(uint64_t)HVX_HC_EPERM, hx_hc_ret)
		TH_LOG("a hypercall at CPL3 returned %#llx", (unsigned long long)hx_hc_ret);

	/* 32-bit protected mode, CPL0, with an IDT of 32-bit gates. */
	vcpu = new_vm(self, 2, false);
	vm = vcpu->vm;
	idt = vm_gpa_to_hva(vm, IDT32_GPA);
	for (i = 0; i < 256; i++) {
		uint64_t h = i == UD_VECTOR ? ADDR(hx_ud_handler32) :
					      ADDR(hx_fail32);

		idt[i] = (h & 0xffff) | (uint64_t)HVX_SEL_CODE32 << 16 |
			 0x8eull << 40 | (h >> 16) << 48;
	}
	vcpu_setup_protected_mode(vcpu, (uint32_t)ADDR(hx_vmx_seq32));
	vcpu_sregs_get(vcpu, &sregs);
	sregs.idt.base = IDT32_GPA;
	sregs.idt.limit = 256 * 8 - 1;
	vcpu_sregs_set(vcpu, &sregs);
	brun(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0x600d, regs.rbx)
		TH_LOG("32-bit guest: unexpected exception at EIP %#llx",
		       (unsigned long long)regs.rcx);
	check_ud_log(_metadata, vm, 0, true, HVX_SEL_CODE32, "32-bit");
	/* Only EAX is written outside 64-bit mode. */
	sync_global_from_guest(vm, hx_hc_ret);
	EXPECT_EQ((uint32_t)-HVX_HC_ENOSYS, hx_hc_ret)
		TH_LOG("a hypercall in 32-bit mode returned %#llx", (unsigned long long)hx_hc_ret);
}

/* ---- 3. Wild MMIO and port I/O ------------------------------------------ */

#define MMIO_MAX	96

struct mmio_probe {
	uint64_t gva, size, write;
};

struct mmio_probe hx_mmio[MMIO_MAX];
uint64_t hx_mmio_count;
uint64_t hx_mmio_result[MMIO_MAX];

#define MMIO_WVAL(i)	(0x8877665544332211ull ^ ((uint64_t)(i) * 0x0101010101010101ull))
#define MMIO_RVAL(i)	(0x1badb002cafef00dull + (uint64_t)(i) * 0x1111111111111111ull)

static void __guest_code guest_mmio_probes(void)
{
	uint64_t i, n = *(volatile uint64_t *)&hx_mmio_count;

	for (i = 0; i < n; i++) {
		volatile struct mmio_probe *p = &hx_mmio[i];
		uint64_t a = p->gva, v = 0, w = MMIO_WVAL(i);

		switch (p->size | p->write << 8) {
		case 1:
			asm volatile("movzbl (%1), %k0" : "=r"(v) : "r"(a) : "memory");
			break;
		case 2:
			asm volatile("movzwl (%1), %k0" : "=r"(v) : "r"(a) : "memory");
			break;
		case 4:
			asm volatile("movl (%1), %k0" : "=r"(v) : "r"(a) : "memory");
			break;
		case 8:
			asm volatile("movq (%1), %0" : "=r"(v) : "r"(a) : "memory");
			break;
		case 0x101:
			asm volatile("movb %b0, (%1)" : : "q"(w), "r"(a) : "memory");
			break;
		case 0x102:
			asm volatile("movw %w0, (%1)" : : "r"(w), "r"(a) : "memory");
			break;
		case 0x104:
			asm volatile("movl %k0, (%1)" : : "r"(w), "r"(a) : "memory");
			break;
		case 0x108:
			asm volatile("movq %0, (%1)" : : "r"(w), "r"(a) : "memory");
			break;
		default:
			GUEST_FAIL(i);
		}
		hx_mmio_result[i] = v;
	}
	GUEST_DONE();
}

/*
 * Reads and writes of 1, 2, 4 and 8 bytes at guest-physical addresses
 * outside the guest's memory, from just above it to the top of the
 * physical address space: each is one HVX_EXIT_MMIO with the address,
 * length and data of the access; a read gets exactly what user space
 * answered, zero-extended.
 */
TEST_F_TIMEOUT(hostile, wild_mmio_exits_with_address_len_data, 300)
{
	uint64_t gva[12], gpa[12], next = PT_POOL_GPA, top;
	struct hvx_vcpu *vcpu;
	struct hvx_run *run;
	struct hvx_vm *vm;
	struct ucall uc;
	unsigned int n = 0, i, s, np = 0;
	int bits;

	NEED_HVX();
	vcpu = new_vm(self, 0, false);
	vm = vcpu->vm;
	run = vcpu->run;
	vcpu_setup_long_mode(vcpu, guest_mmio_probes, 0);

	/* Identity-mapped below 4 GiB (4 GiB - 8: the last bytes below it). */
	gva[n] = gpa[n] = GUEST_MEM, n++;
	gva[n] = gpa[n] = GUEST_MEM + 0x7f8, n++;
	gva[n] = gpa[n] = 0x80000000ull, n++;
	gva[n] = gpa[n] = 0xfec00000ull, n++;	/* the IOAPIC's, no irqchip */
	gva[n] = gpa[n] = 0xfee00300ull, n++;	/* the APIC's ICR, likewise */
	gva[n] = gpa[n] = 0xfffffff8ull, n++;

	/* Above 4 GiB: mapped at 512 GiB and up (2 MiB pages). */
	bits = phys_bits();
	if (bits > 48)
		bits = 48;	/* what 4-level paging reaches */
	ASSERT_LE(36, bits) TH_LOG("physical address width %d", bits);
	top = 1ull << bits;
	*pt_entry(vm, &next, 0x8000000000ull, 2) =
		(top - 0x200000) | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_PS;
	*pt_entry(vm, &next, 0x8000200000ull, 2) =
		(top / 2) | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_PS;
	*pt_entry(vm, &next, 0x8000400000ull, 2) =
		0x100000000ull | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_PS;
	gva[n] = 0x8000000000ull + 0x1ffff8, gpa[n] = top - 8, n++;
	gva[n] = 0x8000200000ull + 0x10, gpa[n] = top / 2 + 0x10, n++;
	gva[n] = 0x8000400000ull, gpa[n] = 0x100000000ull, n++;

	/* Each size, read then write; aligned to the size at the top. */
	for (i = 0; i < n; i++)
		for (s = 1; s <= 8; s *= 2) {
			hx_mmio[np].gva = gva[i];
			hx_mmio[np].size = s;
			hx_mmio[np].write = 0;
			np++;
			hx_mmio[np] = hx_mmio[np - 1];
			hx_mmio[np].write = 1;
			np++;
		}
	/* 4 GiB - 1: the very last byte below 4 GiB. */
	hx_mmio[np].gva = 0xffffffffull, hx_mmio[np].size = 1, np++;
	hx_mmio[np].gva = 0xffffffffull, hx_mmio[np].size = 1;
	hx_mmio[np].write = 1, np++;
	ASSERT_LE(np, MMIO_MAX);
	hx_mmio_count = np;
	sync_global_to_guest(vm, hx_mmio);
	sync_global_to_guest(vm, hx_mmio_count);
	TH_LOG("%d physical address bits, %u accesses", bits, np);

	for (i = 0; i < np; i++) {
		uint64_t want_gpa = hx_mmio[i].gva, v = 0;
		uint64_t mask = hx_mmio[i].size == 8 ? ~0ull :
				(1ull << (8 * hx_mmio[i].size)) - 1;

		if (want_gpa >= 0x8000000000ull) {
			unsigned int k;

			for (k = 0; k < n; k++)
				if (gva[k] <= want_gpa && want_gpa - gva[k] < 8)
					want_gpa = gpa[k] + (want_gpa - gva[k]);
		}
		brun(vcpu);
		vcpu_assert_exit(vcpu, HVX_EXIT_MMIO);
		EXPECT_EQ(want_gpa, run->mmio.phys_addr)
			TH_LOG("access %u: GPA %#llx, want %#llx", i,
			       (unsigned long long)run->mmio.phys_addr,
			       (unsigned long long)want_gpa);
		EXPECT_EQ(hx_mmio[i].size, run->mmio.len) TH_LOG("access %u", i);
		EXPECT_EQ(hx_mmio[i].write, run->mmio.is_write)
			TH_LOG("access %u", i);
		if (hx_mmio[i].write) {
			memcpy(&v, run->mmio.data, 8);
			EXPECT_EQ(MMIO_WVAL(i) & mask, v & mask)
				TH_LOG("access %u: %u bytes written", i,
				       run->mmio.len);
		} else {
			v = MMIO_RVAL(i);
			memcpy(run->mmio.data, &v, 8);
		}
	}
	ASSERT_EQ(UCALL_DONE, brun_ucall(vcpu, &uc));
	sync_global_from_guest(vm, hx_mmio_result);
	for (i = 0; i < np; i++) {
		uint64_t mask = hx_mmio[i].size == 8 ? ~0ull :
				(1ull << (8 * hx_mmio[i].size)) - 1;

		if (!hx_mmio[i].write)
			EXPECT_EQ(MMIO_RVAL(i) & mask, hx_mmio_result[i])
				TH_LOG("read %u of %llu bytes", i,
				       (unsigned long long)hx_mmio[i].size);
	}
}

#define IO_MAX_PORTS	65536

uint16_t hx_io_ports[IO_MAX_PORTS];
uint64_t hx_io_nports, hx_io_done;

/* What OUT writes and what the host answers an IN, by port and size. */
#define IO_OUT_VAL(p, s)	((uint32_t)((p) * 0x9e3779b1u ^ (s) << 24))
#define IO_IN_VAL(p, s)		((uint32_t)((p) * 0x85ebca6bu ^ (s) << 16 ^ 0x5a5a))

static uint32_t __guest_code io_mask(uint32_t size)
{
	return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void __guest_code guest_ports(void)
{
	uint64_t i = 0, bad = 0, first_bad = ~0ull;

	for (;;) {
		uint16_t p;
		uint32_t v;

		if (i >= *(volatile uint64_t *)&hx_io_nports) {
			GUEST_SYNC_ARGS(1, bad, first_bad, i);
			if (*(volatile uint64_t *)&hx_io_done)
				break;
			continue;
		}
		p = ((volatile uint16_t *)hx_io_ports)[i++];
		asm volatile("outb %b0, %w1" : : "a"(IO_OUT_VAL(p, 1)), "d"(p));
		asm volatile("outw %w0, %w1" : : "a"(IO_OUT_VAL(p, 2)), "d"(p));
		asm volatile("outl %0, %w1" : : "a"(IO_OUT_VAL(p, 4)), "d"(p));
		v = 0;
		asm volatile("inb %w1, %b0" : "+a"(v) : "d"(p));
		if (v != (IO_IN_VAL(p, 1) & io_mask(1)) && !bad++)
			first_bad = p;
		v = 0;
		asm volatile("inw %w1, %w0" : "+a"(v) : "d"(p));
		if (v != (IO_IN_VAL(p, 2) & io_mask(2)) && !bad++)
			first_bad = p;
		asm volatile("inl %w1, %0" : "=a"(v) : "d"(p));
		if (v != IO_IN_VAL(p, 4) && !bad++)
			first_bad = p;
	}
}

/* The bytes of the last I/O exit, checked to lie inside the run page. */
static uint8_t *io_bytes(struct hvx_vcpu *vcpu)
{
	struct hvx_run *run = vcpu->run;
	uint64_t bytes = (uint64_t)run->io.count * run->io.size;

	TEST_ASSERT(run->io.data_offset >= sizeof(struct hvx_run) &&
		    run->io.data_offset <= vcpu->run_size &&
		    bytes <= vcpu->run_size - run->io.data_offset,
		    "I/O data at offset %#llx, %u x %u bytes: not after struct hvx_run inside the %zu-byte run page",
		    (unsigned long long)run->io.data_offset, run->io.count,
		    run->io.size, vcpu->run_size);
	return (uint8_t *)run + run->io.data_offset;
}

/* Serve the guest's six accesses to each port in hx_io_ports[from, to). */
static unsigned int serve_ports(struct __test_metadata *_metadata,
				struct hvx_vcpu *vcpu, unsigned int from,
				unsigned int to)
{
	static const uint8_t sizes[6] = { 1, 2, 4, 1, 2, 4 };
	struct hvx_run *run = vcpu->run;
	unsigned int i, k, bad = 0;

	for (i = from; i < to; i++) {
		uint16_t p = hx_io_ports[i];

		for (k = 0; k < 6; k++) {
			uint8_t dir = k < 3 ? HVX_EXIT_IO_OUT : HVX_EXIT_IO_IN;
			uint32_t v = 0, mask = sizes[k] == 4 ? ~0u :
					       (1u << (8 * sizes[k])) - 1;

			brun(vcpu);
			vcpu_assert_exit(vcpu, HVX_EXIT_IO);
			if (run->io.port != p || run->io.size != sizes[k] ||
			    run->io.direction != dir || run->io.count != 1) {
				if (bad++ < 10)
					TH_LOG("port %#x access %u: exit port %#x size %u dir %u count %u",
					       p, k, run->io.port, run->io.size,
					       run->io.direction, run->io.count);
				continue;
			}
			if (dir == HVX_EXIT_IO_OUT) {
				memcpy(&v, io_bytes(vcpu), sizes[k]);
				if (v != (IO_OUT_VAL(p, sizes[k]) & mask) &&
				    bad++ < 10)
					TH_LOG("OUT %u bytes to %#x: %#x", sizes[k],
					       p, v);
			} else {
				v = IO_IN_VAL(p, sizes[k]);
				memcpy(io_bytes(vcpu), &v, sizes[k]);
			}
		}
	}
	return bad;
}

/* Emulated seconds the sampled part of the port scan may take. */
#define IO_SAMPLE_BUDGET_NS	(4ull * 1000000000)

/*
 * Port I/O to every port of a dense part of the space (0-0x3ff, where the
 * PC's devices are, and the top 16 ports), then to a sample of the rest
 * whose stride follows from the measured cost of an exit so that it fits
 * IO_SAMPLE_BUDGET_NS: each IN and OUT of 1, 2 and 4 bytes is one
 * HVX_EXIT_IO with the port, size and direction the guest used (SDM Vol.
 * 3C 28.2.1, exit qualification), the OUT data truncated to the size, and
 * the IN data user space gave.
 */
TEST_F_TIMEOUT(hostile, port_io_every_port_exits_with_port_size_dir, 600)
{
	unsigned int n = 0, first, bad, stride, p;
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	struct ucall uc;
	uint64_t t0, per_port_ns;

	NEED_HVX();
	vcpu = new_vm(self, 0, false);
	vm = vcpu->vm;
	for (p = 0; p < 0x400; p++)
		hx_io_ports[n++] = p;
	for (p = 0xfff0; p <= 0xffff; p++)
		hx_io_ports[n++] = p;
	hx_io_nports = n;
	sync_global_to_guest(vm, hx_io_ports);
	sync_global_to_guest(vm, hx_io_nports);
	vcpu_setup_long_mode(vcpu, guest_ports, 0);

	t0 = now_ns();
	bad = serve_ports(_metadata, vcpu, 0, n);
	per_port_ns = (now_ns() - t0) / n;
	ASSERT_EQ(UCALL_SYNC, brun_ucall(vcpu, &uc));
	EXPECT_EQ(0, uc.args[1]) TH_LOG("%llu INs read wrong, the first on port %#llx",
					(unsigned long long)uc.args[1],
					(unsigned long long)uc.args[2]);
	EXPECT_EQ(n, uc.args[3]);

	/* The sample: a stride that is odd, so that all low bits vary. */
	stride = (unsigned int)((0xfbf0ull * per_port_ns +
				 IO_SAMPLE_BUDGET_NS - 1) /
				IO_SAMPLE_BUDGET_NS) | 1;
	first = n;
	for (p = 0x400; p < 0xfff0 && n < IO_MAX_PORTS; p += stride)
		hx_io_ports[n++] = p;
	TH_LOG("%u ports dense at %llu us per port (6 exits), then every %u-th port: %u ports",
	       first, (unsigned long long)per_port_ns / 1000, stride, n);
	hx_io_nports = n;
	sync_global_to_guest(vm, hx_io_ports);
	sync_global_to_guest(vm, hx_io_nports);
	bad += serve_ports(_metadata, vcpu, first, n);
	ASSERT_EQ(UCALL_SYNC, brun_ucall(vcpu, &uc));
	EXPECT_EQ(0, uc.args[1]) TH_LOG("%llu INs read wrong, the first on port %#llx",
					(unsigned long long)uc.args[1],
					(unsigned long long)uc.args[2]);
	EXPECT_EQ(n, uc.args[3]);
	EXPECT_EQ(0, bad);

	hx_io_done = 1;
	sync_global_to_guest(vm, hx_io_done);
	ASSERT_EQ(UCALL_DONE, brun_ucall(vcpu, &uc));
	hx_io_done = 0;
}

/* ---- 4. IPI, NMI, INIT and SIPI storms ---------------------------------- */

#define APIC_GPA		0xfee00000ull
#define APIC_SVR		0x0f0
#define APIC_ICR		0x300
#define APIC_ICR2		0x310
#define MSR_APIC_BASE		0x1b
#define MSR_X2APIC_ICR		0x830
#define MSR_X2APIC_SELF_IPI	0x83f
#define MSR_X2APIC_SVR		0x80f
#define VEC_STORM		0x50
#define VEC_STORM_X2		0x51
#define ICR_SELF		(1u << 18)
#define ICR_ALL_INC		(2u << 18)
#define ICR_ALL_BUT		(3u << 18)
#define ICR_NMI			(4u << 8)
#define ICR_INIT		(5u << 8)
#define ICR_SIPI		(6u << 8)
#define ICR_ASSERT		(1u << 14)
#define ICR_LEVEL		(1u << 15)

#define STORM_N			2000	/* per kind of fixed IPI */
#define STORM_NMIS		500
#define STORM_INIT_SIPI		200
#define AP_CODE_GPA		0x10000ull	/* SIPI vector 0x10 */
#define AP_PORT			0x80

static void __guest_code apic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(APIC_GPA + reg) = val;
}

static void __guest_code xapic_ipi(uint8_t dest, uint32_t icr)
{
	apic_write(APIC_ICR2, (uint32_t)dest << 24);
	apic_write(APIC_ICR, icr);
}

static void __guest_code irq_window(void)
{
	asm volatile("sti; nop; nop; cli" : : : "memory");
}

/*
 * Storms from vCPU 0 (APIC ID 0); vCPU 1 exists but waits for its SIPI.
 * Each stage reports irq_count and nmi_count; the host checks them.
 */
static void __guest_code guest_storm(void)
{
	uint64_t i;

	apic_write(APIC_SVR, 0x1ff);

	/* 1: fixed self-IPIs with interrupts on: each one is taken. */
	asm volatile("sti" : : : "memory");
	for (i = 0; i < STORM_N; i++)
		apic_write(APIC_ICR, ICR_SELF | VEC_STORM);
	asm volatile("cli" : : : "memory");
	GUEST_SYNC_ARGS(1, hx_irq_count, hx_nmi_count, 0);

	/* 2: the same with interrupts off: they merge in one IRR bit. */
	for (i = 0; i < STORM_N; i++)
		xapic_ipi(0, VEC_STORM);
	irq_window();
	GUEST_SYNC_ARGS(2, hx_irq_count, hx_nmi_count, 0);

	/* 3: to APIC IDs nobody has: dropped. */
	for (i = 0; i < STORM_N; i++)
		xapic_ipi(2 + i % 253, VEC_STORM);
	irq_window();
	GUEST_SYNC_ARGS(3, hx_irq_count, hx_nmi_count, 0);

	/* 4: broadcasts (vCPU 1's APIC is software-disabled: drops). */
	asm volatile("sti" : : : "memory");
	for (i = 0; i < STORM_N / 4; i++) {
		xapic_ipi(0xff, VEC_STORM);
		apic_write(APIC_ICR, ICR_ALL_INC | VEC_STORM);
		apic_write(APIC_ICR, ICR_ALL_BUT | VEC_STORM);
	}
	asm volatile("cli" : : : "memory");
	GUEST_SYNC_ARGS(4, hx_irq_count, hx_nmi_count, 0);

	/* 5: NMIs to itself, each taken (its IRET unblocks the next). */
	for (i = 0; i < STORM_NMIS; i++)
		xapic_ipi(0, ICR_NMI);
	GUEST_SYNC_ARGS(5, hx_irq_count, hx_nmi_count, 0);

	/* 6: INIT (assert, de-assert) and SIPI to vCPU 1, over and over. */
	for (i = 0; i < STORM_INIT_SIPI; i++) {
		xapic_ipi(1, ICR_INIT | ICR_ASSERT);
		xapic_ipi(1, ICR_INIT | ICR_LEVEL);
		xapic_ipi(1, ICR_SIPI | (AP_CODE_GPA >> 12));
	}
	GUEST_SYNC_ARGS(6, hx_irq_count, hx_nmi_count, 0);

	/* 7: x2APIC: SELF IPI, broadcast, and IDs nobody has. */
	guest_wrmsr(MSR_APIC_BASE, guest_rdmsr(MSR_APIC_BASE) | (1ull << 10));
	guest_wrmsr(MSR_X2APIC_SVR, 0x1ff);
	asm volatile("sti" : : : "memory");
	for (i = 0; i < STORM_N / 2; i++) {
		guest_wrmsr(MSR_X2APIC_SELF_IPI, VEC_STORM_X2);
		guest_wrmsr(MSR_X2APIC_ICR, 0xffffffffull << 32 | VEC_STORM_X2);
		guest_wrmsr(MSR_X2APIC_ICR, (2 + i * 2654435761u % 0xfffffffdu) << 32 |
			VEC_STORM_X2);
	}
	asm volatile("cli" : : : "memory");
	GUEST_SYNC_ARGS(7, hx_irq_count, hx_nmi_count, 0);

	/* 8: INIT to itself: the vCPU resets and waits for a SIPI. */
	guest_wrmsr(MSR_X2APIC_ICR, ICR_INIT | ICR_ASSERT);
	GUEST_FAIL(hx_irq_count);
}

static void __guest_code guest_sipi_to_vcpu0(void)
{
	apic_write(APIC_SVR, 0x1ff);
	xapic_ipi(0, ICR_SIPI | (AP_CODE_GPA >> 12));
	GUEST_DONE();
}

static void expect_stage(struct __test_metadata *_metadata,
			 struct hvx_vcpu *vcpu, uint64_t stage, uint64_t irqs,
			 uint64_t nmis)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, brun_ucall_long(vcpu, &uc, 300));
	ASSERT_EQ(stage, uc.args[0]);
	EXPECT_EQ(irqs, uc.args[1]) TH_LOG("stage %llu: interrupts",
					   (unsigned long long)stage);
	EXPECT_EQ(nmis, uc.args[2]) TH_LOG("stage %llu: NMIs",
					   (unsigned long long)stage);
}

/*
 * With the in-kernel irqchip. Every storm is bounded (the guest's loops,
 * each HVX_RUN under SIGALRM), and what arrives is what the SDM says
 * (Vol. 3A 10.6: fixed IPIs to nobody vanish, IRR holds one of each
 * vector, broadcasts reach every enabled APIC). An INIT to itself puts
 * vCPU 0 in wait-for-SIPI, in the INIT state (SDM Vol. 3A 9.1.1, Table
 * 9-1: CS 0xf000, RIP 0xfff0): HVX_RUN sleeps until a signal. A SIPI from
 * vCPU 1 then starts it in real mode at the vector's page: usable again.
 */
TEST_F_TIMEOUT(hostile, apic_storms_bounded_init_self_waits_for_sipi, 900)
{
	/* mov $0x5a, %al; out %al, $0x80; cli; hlt */
	static const uint8_t ap_code[] = { 0xb0, 0x5a, 0xe6, AP_PORT, 0xfa, 0xf4 };
	struct hvx_vcpu_stats st0, st1;
	struct hvx_vcpu *bsp, *ap;
	struct hvx_sregs sregs;
	struct hvx_regs regs;
	struct hvx_vm *vm;
	struct ucall uc;
	uint64_t irqs;
	int ret, err;

	NEED_HVX();
	bsp = new_vm(self, 0, true);
	vm = bsp->vm;
	ap = vcpu_add(vm, 1);
	vm_write(vm, AP_CODE_GPA, ap_code, sizeof(ap_code));
	vm_set_idt_handler(vm, VEC_STORM, hx_isr_xapic);
	vm_set_idt_handler(vm, VEC_STORM_X2, hx_isr_x2apic);
	vm_set_idt_handler(vm, 2, hx_nmi_handler);
	vcpu_setup_long_mode(bsp, guest_storm, 0);

	irqs = STORM_N;
	expect_stage(_metadata, bsp, 1, irqs, 0);
	irqs += 1;
	expect_stage(_metadata, bsp, 2, irqs, 0);
	expect_stage(_metadata, bsp, 3, irqs, 0);
	irqs += 2 * (STORM_N / 4);
	expect_stage(_metadata, bsp, 4, irqs, 0);
	expect_stage(_metadata, bsp, 5, irqs, STORM_NMIS);
	expect_stage(_metadata, bsp, 6, irqs, STORM_NMIS);
	irqs += 2 * (STORM_N / 2);
	expect_stage(_metadata, bsp, 7, irqs, STORM_NMIS);

	/* The self-INIT: HVX_RUN blocks in wait-for-SIPI until the alarm. */
	ASSERT_EQ(0, ioctl(bsp->fd, HVX_GET_VCPU_STATS, &st0));
	ret = run_for(bsp, 3);
	err = errno;
	EXPECT_EQ(-1, ret) TH_LOG("after INIT to itself: %s",
				  vcpu_exit_str(bsp, (char[256]){ 0 }, 256));
	EXPECT_EQ(EINTR, err);
	EXPECT_EQ(HVX_EXIT_INTR, bsp->run->exit_reason);
	ASSERT_EQ(0, ioctl(bsp->fd, HVX_GET_VCPU_STATS, &st1));
	EXPECT_LT(st0.halt_ns, st1.halt_ns) TH_LOG("it did not wait");
	vcpu_sregs_get(bsp, &sregs);
	vcpu_regs_get(bsp, &regs);
	EXPECT_EQ(0xf000, sregs.cs.selector);
	EXPECT_EQ(0xfff0, regs.rip);
	EXPECT_EQ(0, sregs.cr0 & X86_CR0_PE);
	TH_LOG("after INIT to itself: CS %#x RIP %#llx CR0 %#llx, waiting for SIPI",
	       sregs.cs.selector, (unsigned long long)regs.rip,
	       (unsigned long long)sregs.cr0);

	/* vCPU 1: its INIT and SIPI (merged) start it at AP_CODE_GPA. */
	brun(ap);
	vcpu_assert_exit(ap, HVX_EXIT_IO);
	EXPECT_EQ(AP_PORT, ap->run->io.port);
	EXPECT_EQ(0x5a, *io_bytes(ap));
	vcpu_sregs_get(ap, &sregs);
	EXPECT_EQ(AP_CODE_GPA, sregs.cs.base);

	/* vCPU 1 in long mode sends vCPU 0 its SIPI... */
	vcpu_setup_long_mode(ap, guest_sipi_to_vcpu0, 0);
	ASSERT_EQ(UCALL_DONE, brun_ucall(ap, &uc));
	/* ...which starts it in real mode at the SIPI page. */
	brun(bsp);
	vcpu_assert_exit(bsp, HVX_EXIT_IO);
	EXPECT_EQ(AP_PORT, bsp->run->io.port);
	vcpu_sregs_get(bsp, &sregs);
	EXPECT_EQ(AP_CODE_GPA, sregs.cs.base);
	EXPECT_EQ(AP_CODE_GPA >> 4, sregs.cs.selector);

	/* And it runs C code in long mode again. */
	vcpu_setup_long_mode(bsp, guest_square_plus_one, 7);
	ASSERT_EQ(UCALL_SYNC, brun_ucall(bsp, &uc));
	ASSERT_EQ(UCALL_DONE, brun_ucall(bsp, &uc));
	EXPECT_EQ(50, uc.args[0]);
}

/* ---- 5. Self-modifying code around MMIO --------------------------------- */

/* Where the guest writes its MMIO instructions (identity-mapped RAM). */
#define SMC_CODE_GPA		0x1fe000ull
#define SMC_MAX			40

struct smc_insn {
	uint64_t addr;		/* where the guest puts it (then a RET) */
	uint8_t len, bytes[15];
	uint8_t is_write, size;
	uint8_t ext;		/* reads: 0 zero-extend to 64, 's' sign, 'k' 32 */
	uint64_t data;		/* writes: the bytes that must go out */
};

struct smc_insn hx_smc[SMC_MAX];
uint64_t hx_smc_count;
uint64_t hx_smc_result[SMC_MAX];

#define SMC_VAL(i)	(0x0123456789abcdefull ^ (uint64_t)(i) << 56)
#define SMC_RVAL(i)	(0xfedc8a9876543210ull + (uint64_t)(i))

/* The guest rewrites its own code before each access; RSI holds values. */
static void __guest_code guest_smc(void)
{
	uint64_t i, n = *(volatile uint64_t *)&hx_smc_count;

	for (i = 0; i < n; i++) {
		volatile struct smc_insn *s = &hx_smc[i];
		volatile uint8_t *code = (volatile uint8_t *)s->addr;
		uint64_t k, rax, mmio = MMIO_GPA + 0x10 * i;

		for (k = 0; k < s->len; k++)
			code[k] = s->bytes[k];
		code[k] = 0xc3;		/* ret */
		/* Below the red zone, then into the new code (SDM 11.6). */
		asm volatile("subq $128, %%rsp\n\t"
			     "call *%[fn]\n\t"
			     "addq $128, %%rsp"
			     : "=a"(rax)
			     : [fn] "r"(s->addr), "D"(mmio), "S"(SMC_VAL(i)),
			       "a"(0xaaaaaaaaaaaaaaaaull)
			     : "memory", "cc");
		hx_smc_result[i] = rax;
	}
	GUEST_DONE();
}

static unsigned int smc_add(uint64_t addr, const uint8_t *bytes,
			    unsigned int len, bool write, unsigned int size,
			    uint8_t ext, uint64_t data)
{
	struct smc_insn *s = &hx_smc[hx_smc_count];

	TEST_ASSERT(hx_smc_count < SMC_MAX, "too many SMC steps");
	s->addr = addr;
	s->len = len;
	memcpy(s->bytes, bytes, len);
	s->is_write = write;
	s->size = size;
	s->ext = ext;
	s->data = data;
	return hx_smc_count++;
}

#define SMC(addr, w, size, ext, data, ...)				\
	do {								\
		static const uint8_t __b[] = { __VA_ARGS__ };		\
		smc_add(addr, __b, sizeof(__b), w, size, ext, data);	\
	} while (0)

/*
 * The guest writes an MMIO instruction into its code and runs it, then
 * rewrites it (another register, size, immediate, only the immediate, a
 * load) at the same address and runs it again: every exit must reflect
 * the bytes as they are now, i.e. hvx decodes what the guest executed,
 * never a stale copy. Then the same instructions straddling a page
 * boundary (4 KiB to 4 KiB, and 4 KiB page to 2 MiB page), split at
 * every byte: the decoder must fetch across it.
 */
TEST_F_TIMEOUT(hostile, self_modifying_mmio_insn_decoded_as_executed, 300)
{
	const uint64_t a = SMC_CODE_GPA;
	struct hvx_vcpu *vcpu;
	struct hvx_run *run;
	struct hvx_vm *vm;
	struct ucall uc;
	unsigned int i, k;

	NEED_HVX();
	vcpu = new_vm(self, 0, false);
	vm = vcpu->vm;
	run = vcpu->run;
	hx_smc_count = 0;

	/* At one address, one after the other. */
	SMC(a, 1, 4, 0, (uint32_t)SMC_VAL(0), 0x89, 0x37);	/* mov %esi,(%rdi) */
	SMC(a, 1, 2, 0, (uint16_t)SMC_VAL(1), 0x66, 0x89, 0x37);	/* mov %si */
	SMC(a, 1, 1, 0, (uint8_t)SMC_VAL(2), 0x40, 0x88, 0x37);	/* mov %sil */
	SMC(a, 1, 8, 0, SMC_VAL(3), 0x48, 0x89, 0x37);		/* mov %rsi */
	SMC(a, 1, 4, 0, 0x11111111, 0xc7, 0x07, 0x11, 0x11, 0x11, 0x11);
	SMC(a, 1, 4, 0, 0x22222222, 0xc7, 0x07, 0x22, 0x22, 0x22, 0x22);
	SMC(a, 1, 8, 0, 0xffffffff80000001ull,			/* movq $imm32 */
	    0x48, 0xc7, 0x07, 0x01, 0x00, 0x00, 0x80);
	SMC(a, 1, 1, 0, 0x5a, 0xc6, 0x07, 0x5a);		/* movb $0x5a */
	SMC(a, 0, 8, 0, 0, 0x48, 0x8b, 0x07);			/* mov (%rdi),%rax */
	SMC(a, 0, 1, 0, 0, 0x0f, 0xb6, 0x07);			/* movzbl */
	SMC(a, 0, 2, 's', 0, 0x48, 0x0f, 0xbf, 0x07);		/* movswq */
	SMC(a, 0, 4, 0, 0, 0x8b, 0x07);				/* mov (%rdi),%eax */
	SMC(a, 1, 2, 0, 0x7e57, 0x66, 0xc7, 0x07, 0x57, 0x7e);	/* movw $imm16 */

	/* Across page boundaries, split after every byte. */
	for (k = 1; k < 7; k++)
		SMC(0x1ff000ull - k, 1, 8, 0, 0x0000000012345678ull,
		    0x48, 0xc7, 0x07, 0x78, 0x56, 0x34, 0x12);
	for (k = 1; k < 7; k++)
		SMC(0x200000ull - k, 1, 8, 0, 0x0000000012345678ull,
		    0x48, 0xc7, 0x07, 0x78, 0x56, 0x34, 0x12);
	for (k = 1; k < 3; k++)
		SMC(0x200000ull - k, 0, 8, 0, 0, 0x48, 0x8b, 0x07);
	SMC(0x200000ull - 1, 1, 2, 0, 0x4242, 0x66, 0xc7, 0x07, 0x42, 0x42);

	sync_global_to_guest(vm, hx_smc);
	sync_global_to_guest(vm, hx_smc_count);
	vcpu_setup_long_mode(vcpu, guest_smc, 0);

	for (i = 0; i < hx_smc_count; i++) {
		const struct smc_insn *s = &hx_smc[i];
		uint64_t v = 0, mask = s->size == 8 ? ~0ull :
				       (1ull << (8 * s->size)) - 1;

		brun(vcpu);
		vcpu_assert_exit(vcpu, HVX_EXIT_MMIO);
		EXPECT_EQ(MMIO_GPA + 0x10 * i, run->mmio.phys_addr)
			TH_LOG("step %u", i);
		EXPECT_EQ(s->size, run->mmio.len)
			TH_LOG("step %u at %#llx: %u bytes, want %u", i,
			       (unsigned long long)s->addr, run->mmio.len,
			       s->size);
		EXPECT_EQ(s->is_write, run->mmio.is_write) TH_LOG("step %u", i);
		if (s->is_write) {
			memcpy(&v, run->mmio.data, 8);
			EXPECT_EQ(s->data & mask, v & mask)
				TH_LOG("step %u at %#llx: wrote %#llx, want %#llx",
				       i, (unsigned long long)s->addr,
				       (unsigned long long)(v & mask),
				       (unsigned long long)(s->data & mask));
		} else {
			v = SMC_RVAL(i);
			memcpy(run->mmio.data, &v, 8);
		}
	}
	ASSERT_EQ(UCALL_DONE, brun_ucall(vcpu, &uc));
	sync_global_from_guest(vm, hx_smc_result);
	for (i = 0; i < hx_smc_count; i++) {
		const struct smc_insn *s = &hx_smc[i];
		uint64_t want = SMC_RVAL(i);

		if (s->is_write)
			continue;
		if (s->size < 8) {
			want &= (1ull << (8 * s->size)) - 1;
			if (s->ext == 's' && (want >> (8 * s->size - 1)))
				want |= ~0ull << (8 * s->size);
		}
		EXPECT_EQ(want, hx_smc_result[i]) TH_LOG("load %u", i);
	}
}

/* ---- 6. Page tables that point outside guest memory --------------------- */

static void __guest_code guest_load_report(uint64_t gva)
{
	GUEST_SYNC_ARGS(1, hx_load64(gva), gva, 0);
	GUEST_DONE();
}

/* A GVA with distinct indexes at every level, above 512 GiB. */
#define WILD_GVA(pml4)	((uint64_t)(pml4) << 39 | 3ull << 30 | 5ull << 21 | \
			 7ull << 12 | 0x18)

/*
 * A leaf (4 KiB PTE, 2 MiB PDE) whose address is beyond guest memory:
 * the access goes to unbacked guest-physical space, which is MMIO, at the
 * address the leaf gives.
 */
TEST_F_TIMEOUT(hostile, leaf_pte_outside_memory_is_mmio, 300)
{
	uint64_t next = PT_POOL_GPA, gva, want, answer;
	struct hvx_vcpu *vcpu;
	struct hvx_run *run;
	struct hvx_vm *vm;
	struct ucall uc;
	int c;

	NEED_HVX();
	vcpu = new_vm(self, 0, false);
	vm = vcpu->vm;
	run = vcpu->run;
	for (c = 0; c < 2; c++) {
		if (c == 0) {
			gva = WILD_GVA(1);
			want = 0x700007018ull;
		} else {
			gva = (1ull << 39) | 3ull << 30 | 6ull << 21 | 0x123458;
			want = 0x800123458ull;
		}
		vcpu_setup_long_mode(vcpu, guest_load_report, gva);
		if (c == 0)
			*pt_entry(vm, &next, gva, 1) = 0x700007000ull | PTE_P |
						       PTE_RW | PTE_A | PTE_D;
		else
			*pt_entry(vm, &next, gva, 2) = 0x800000000ull | PTE_P |
						       PTE_RW | PTE_A | PTE_D |
						       PTE_PS;
		brun(vcpu);
		vcpu_assert_exit(vcpu, HVX_EXIT_MMIO);
		EXPECT_EQ(want, run->mmio.phys_addr)
			TH_LOG("%s leaf: GPA %#llx, want %#llx",
			       c ? "2 MiB" : "4 KiB",
			       (unsigned long long)run->mmio.phys_addr,
			       (unsigned long long)want);
		EXPECT_EQ(8, run->mmio.len);
		EXPECT_EQ(0, run->mmio.is_write);
		answer = 0x6a6a000000000000ull | want;
		memcpy(run->mmio.data, &answer, 8);
		ASSERT_EQ(UCALL_SYNC, brun_ucall(vcpu, &uc));
		EXPECT_EQ(answer, uc.args[1]);
		ASSERT_EQ(UCALL_DONE, brun_ucall(vcpu, &uc));
	}
}

/*
 * A PML4E, PDPTE or PDE whose table is beyond guest memory: the CPU's
 * own page walk reads unbacked guest-physical memory (an EPT violation
 * with exit qualification bit 8 clear: not the access's final address,
 * SDM Vol. 3C 28.2.1 Table 28-7). That is no MMIO instruction: hvx must
 * report HVX_EXIT_INTERNAL_ERROR, HVX_INTERNAL_EMULATION, data[0] the
 * GPA of the paging entry, data[1] the RIP (Documentation/api.rst), not
 * decode the MOV at RIP as if it accessed that GPA.
 * Depends on a module fix in progress: today's module reports an MMIO
 * exit at the paging entry's address.
 */
TEST_F_TIMEOUT(hostile, nonleaf_table_outside_memory_internal_error, 300)
{
	static const struct {
		const char *what;
		int level;		/* of the entry that points outside */
		uint64_t table;		/* the table it points at */
		unsigned int index;	/* of the entry read there */
	} cases[] = {
		{ "PML4E -> PDPT", 4, 0x500000000ull, 3 },
		{ "PDPTE -> PD", 3, 0x580000000ull, 5 },
		{ "PDE -> PT", 2, 0x600000000ull, 7 },
	};
	uint64_t next = PT_POOL_GPA;
	struct hvx_vcpu *vcpu;
	struct hvx_run *run;
	struct hvx_regs r;
	struct hvx_vm *vm;
	unsigned int c;
	char buf[512];

	NEED_HVX();
	vcpu = new_vm(self, 0, false);
	vm = vcpu->vm;
	run = vcpu->run;
	for (c = 0; c < ARRAY_LEN(cases); c++) {
		uint64_t gva = WILD_GVA(2 + c), want;
		uint64_t *e;

		drain_pending(vcpu);
		vcpu_setup_long_mode(vcpu, guest_load_report, gva);
		if (cases[c].level == 4) {
			e = vm_gpa_to_hva(vm, vm->sys_gpa + HVX_SYS_PML4);
			e += (gva >> 39) & 511;
		} else {
			e = pt_entry(vm, &next, gva, cases[c].level);
		}
		*e = cases[c].table | PTE_P | PTE_RW | PTE_A;
		want = cases[c].table + 8 * cases[c].index;

		brun(vcpu);
		EXPECT_EQ(HVX_EXIT_INTERNAL_ERROR, run->exit_reason)
			TH_LOG("%s at %#llx: %s", cases[c].what,
			       (unsigned long long)cases[c].table,
			       vcpu_exit_str(vcpu, buf, sizeof(buf)));
		if (run->exit_reason != HVX_EXIT_INTERNAL_ERROR)
			continue;
		EXPECT_EQ(HVX_INTERNAL_EMULATION, run->internal.suberror)
			TH_LOG("%s", cases[c].what);
		ASSERT_LE(2, run->internal.ndata);
		EXPECT_EQ(want, run->internal.data[0])
			TH_LOG("%s: GPA %#llx, want the entry at %#llx",
			       cases[c].what,
			       (unsigned long long)run->internal.data[0],
			       (unsigned long long)want);
		EXPECT_EQ(ADDR(hx_insn_load64), run->internal.data[1]);
		vcpu_regs_get(vcpu, &r);
		EXPECT_EQ(ADDR(hx_insn_load64), r.rip) TH_LOG("%s", cases[c].what);
	}
}

/* ---- 7. String I/O across page boundaries ------------------------------- */

#define STR_PORT		0x2f8

static void __guest_code guest_str_mapped(void)
{
	uint64_t end;

	end = hx_rep_outsb(0x200000 - 40, 100, STR_PORT);
	GUEST_SYNC_ARGS(1, end, hx_str_rcx, 0);
	end = hx_rep_outsw(0x200000 - 5, 20, STR_PORT);
	GUEST_SYNC_ARGS(2, end, hx_str_rcx, 0);
	end = hx_rep_insb(0x1ff000 - 30, 100, STR_PORT);
	GUEST_SYNC_ARGS(3, end, hx_str_rcx, 0);
	GUEST_DONE();
}

static uint8_t str_byte(unsigned int i)
{
	return (uint8_t)(i * 29 + 3);
}

/*
 * Run until a ucall or HLT, gathering what OUTs to STR_PORT send (at most
 * @cap bytes into @out) and answering INs with str_byte(@in_seq++);
 * returns the bytes moved.
 */
static unsigned int str_run(struct hvx_vcpu *vcpu, uint8_t *out,
			    unsigned int cap, unsigned int *in_seq)
{
	struct hvx_run *run = vcpu->run;
	unsigned int moved = 0, exits;

	for (exits = 0; exits < 512; exits++) {
		unsigned int bytes, k;
		uint8_t *d;

		brun(vcpu);
		if (run->exit_reason != HVX_EXIT_IO || run->io.port != STR_PORT)
			return moved;
		bytes = run->io.count * run->io.size;
		d = io_bytes(vcpu);
		if (run->io.direction == HVX_EXIT_IO_OUT) {
			for (k = 0; k < bytes && moved + k < cap; k++)
				out[moved + k] = d[k];
		} else {
			for (k = 0; k < bytes; k++)
				d[k] = str_byte((*in_seq)++);
		}
		moved += bytes;
	}
	TEST_FAIL("string I/O did not end in 512 exits");
}

/*
 * REP OUTSB, OUTSW (a word straddling the boundary) and INSB with buffers
 * across a 4 KiB -> 2 MiB and a 4 KiB -> 4 KiB page boundary, all mapped:
 * every byte arrives, in order, and RSI/RDI and RCX are as after the
 * whole instruction.
 */
TEST_F_TIMEOUT(hostile, rep_string_io_across_mapped_pages, 300)
{
	uint8_t out[256], *mem;
	unsigned int i, in_seq = 0;
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	struct ucall uc;

	NEED_HVX();
	vcpu = new_vm(self, 0, false);
	vm = vcpu->vm;
	mem = vm_gpa_to_hva(vm, 0x200000 - 40);
	for (i = 0; i < 100; i++)
		mem[i] = str_byte(1000 + i);
	vcpu_setup_long_mode(vcpu, guest_str_mapped, 0);

	EXPECT_EQ(100, str_run(vcpu, out, sizeof(out), &in_seq));
	ASSERT_EQ(UCALL_SYNC, get_ucall(vcpu, &uc));
	EXPECT_EQ(0, memcmp(out, mem, 100)) TH_LOG("OUTSB bytes");
	EXPECT_EQ(0x200000 - 40 + 100, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);

	EXPECT_EQ(40, str_run(vcpu, out, sizeof(out), &in_seq));
	ASSERT_EQ(UCALL_SYNC, get_ucall(vcpu, &uc));
	EXPECT_EQ(0, memcmp(out, mem + 35, 40)) TH_LOG("OUTSW bytes");
	EXPECT_EQ(0x200000 - 5 + 40, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);

	mem = vm_gpa_to_hva(vm, 0x1ff000 - 31);
	memset(mem, 0xcc, 102);
	EXPECT_EQ(100, str_run(vcpu, out, sizeof(out), &in_seq));
	ASSERT_EQ(UCALL_SYNC, get_ucall(vcpu, &uc));
	for (i = 0; i < 100; i++)
		EXPECT_EQ(str_byte(i), mem[1 + i]) TH_LOG("INSB byte %u", i);
	EXPECT_EQ(0xcc, mem[0]);
	EXPECT_EQ(0xcc, mem[101]);
	EXPECT_EQ(0x1ff000 - 30 + 100, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);
	ASSERT_EQ(UCALL_DONE, brun_ucall(vcpu, &uc));
}

/* GVA of the string buffers' pages: +0 RW, +1 absent, +3 RW, +4 RO. */
#define STR_GVA		0x8000000000ull
#define STR_GPA		0x210000ull

static void __guest_code guest_str_fault(uint64_t which)
{
	switch (which) {
	case 0:
		hx_rep_outsb(STR_GVA + 0x1000 - 16, 48, STR_PORT);
		break;
	case 1:
		hx_rep_insb(STR_GVA + 0x1000 - 16, 48, STR_PORT);
		break;
	case 2:
		hx_rep_insb(STR_GVA + 0x4000 - 8, 24, STR_PORT);
		break;
	}
	GUEST_SYNC_ARGS(1, which, hx_str_rcx, 0);
}

/*
 * REP OUTSB from and REP INSB into a buffer whose second page is not
 * present, and REP INSB into a read-only page with CR0.WP = 1: the bytes
 * of the first page move, then the guest gets #PF (SDM Vol. 3A 4.7) with
 * CR2 = the first address of the bad page, the error code of the access
 * (OUTS reads: P = 0, W = 0; INS writes: P = 0, W = 1; into the read-only
 * page P = 1, W = 1), RCX the iterations left and RSI/RDI at the bad
 * page, as a CPU would leave a REP string instruction that faults.
 * Depends on a module fix in progress: today's module ends OUTS in an
 * internal error and silently drops INS data (also into read-only pages).
 */
TEST_F_TIMEOUT(hostile, rep_string_io_into_bad_page_is_pf, 300)
{
	static const struct {
		const char *what;
		uint64_t gva;		/* of the faulting page */
		uint64_t err, rcx, first_bytes;
		bool in;
	} cases[] = {
		{ "OUTSB, page absent", STR_GVA + 0x1000, 0, 32, 16, false },
		{ "INSB, page absent", STR_GVA + 0x1000, 2, 32, 16, true },
		{ "INSB, page read-only", STR_GVA + 0x4000, 3, 16, 8, true },
	};
	uint64_t next = PT_POOL_GPA;
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	struct ucall uc;
	uint8_t out[256], *mem;
	unsigned int c, i;
	char buf[512];

	NEED_HVX();
	vcpu = new_vm(self, 0, false);
	vm = vcpu->vm;
	vm_set_idt_handler(vm, PF_VECTOR, hx_pf_handler);
	mem = vm_gpa_to_hva(vm, STR_GPA);
	for (i = 0; i < 5 * PAGE; i++)
		mem[i] = 0xcc;
	for (i = 0; i < 16; i++)
		mem[PAGE - 16 + i] = str_byte(500 + i);

	for (c = 0; c < ARRAY_LEN(cases); c++) {
		unsigned int moved, in_seq = 0;
		uint64_t want_rip = cases[c].in ? ADDR(hx_insn_rep_insb) :
						  ADDR(hx_insn_rep_outsb);
		uint64_t bad_gpa = STR_GPA + (cases[c].gva - STR_GVA);

		drain_pending(vcpu);
		vcpu_setup_long_mode(vcpu, guest_str_fault, c);
		if (c == 0) {
			*pt_entry(vm, &next, STR_GVA, 1) =
				STR_GPA | PTE_P | PTE_RW | PTE_A | PTE_D;
			*pt_entry(vm, &next, STR_GVA + 0x1000, 1) = 0;
			*pt_entry(vm, &next, STR_GVA + 0x3000, 1) =
				(STR_GPA + 0x3000) | PTE_P | PTE_RW | PTE_A |
				PTE_D;
			*pt_entry(vm, &next, STR_GVA + 0x4000, 1) =
				(STR_GPA + 0x4000) | PTE_P | PTE_A | PTE_D;
			/* The page absent in the guest, but RAM behind it. */
			memset(mem + PAGE, 0xcc, PAGE);
		}
		moved = str_run(vcpu, out, sizeof(out), &in_seq);
		if (cases[c].in)
			TH_LOG("%s: user space was asked for %u bytes",
			       cases[c].what, moved);
		else
			EXPECT_EQ(cases[c].first_bytes, moved)
				TH_LOG("%s", cases[c].what);
		if (vcpu->run->exit_reason != HVX_EXIT_HLT) {
			if (get_ucall(vcpu, &uc) == UCALL_SYNC)
				TH_LOG("%s: no #PF, the instruction completed (RCX %llu)",
				       cases[c].what,
				       (unsigned long long)uc.args[2]);
			else
				TH_LOG("%s: %s", cases[c].what,
				       vcpu_exit_str(vcpu, buf, sizeof(buf)));
			EXPECT_EQ(HVX_EXIT_HLT, vcpu->run->exit_reason)
				TH_LOG("%s: want #PF in the guest", cases[c].what);
			continue;
		}
		sync_global_from_guest(vm, hx_pf_count);
		sync_global_from_guest(vm, hx_pf_err);
		sync_global_from_guest(vm, hx_pf_rip);
		sync_global_from_guest(vm, hx_pf_cr2);
		sync_global_from_guest(vm, hx_pf_rcx);
		sync_global_from_guest(vm, hx_pf_rsi);
		sync_global_from_guest(vm, hx_pf_rdi);
		EXPECT_EQ(1, hx_pf_count) TH_LOG("%s", cases[c].what);
		EXPECT_EQ(cases[c].gva, hx_pf_cr2) TH_LOG("%s: CR2 %#llx",
			  cases[c].what, (unsigned long long)hx_pf_cr2);
		EXPECT_EQ(cases[c].err, hx_pf_err) TH_LOG("%s: error code %#llx",
			  cases[c].what, (unsigned long long)hx_pf_err);
		EXPECT_EQ(want_rip, hx_pf_rip) TH_LOG("%s", cases[c].what);
		EXPECT_EQ(cases[c].rcx, hx_pf_rcx) TH_LOG("%s: RCX %llu",
			  cases[c].what, (unsigned long long)hx_pf_rcx);
		EXPECT_EQ(cases[c].gva, cases[c].in ? hx_pf_rdi : hx_pf_rsi)
			TH_LOG("%s: RSI %#llx RDI %#llx", cases[c].what,
			       (unsigned long long)hx_pf_rsi,
			       (unsigned long long)hx_pf_rdi);
		if (!cases[c].in) {
			EXPECT_EQ(0, memcmp(out, mem + PAGE - 16, 16));
		} else {
			uint8_t *first = mem + (bad_gpa - STR_GPA) -
					 cases[c].first_bytes;

			for (i = 0; i < cases[c].first_bytes; i++)
				EXPECT_EQ(str_byte(i), first[i])
					TH_LOG("%s: byte %u", cases[c].what, i);
		}
		/* Nothing reached the page behind the bad one. */
		for (i = 0; i < 64; i++)
			EXPECT_EQ(0xcc, mem[bad_gpa - STR_GPA + i])
				TH_LOG("%s: GPA %#llx written", cases[c].what,
				       (unsigned long long)(bad_gpa + i));
		hx_pf_count = 0;
		sync_global_to_guest(vm, hx_pf_count);
		/* Restore the first page's OUTS bytes that INS overwrote. */
		for (i = 0; i < 16; i++)
			mem[PAGE - 16 + i] = str_byte(500 + i);
	}
}

/* ---- 8. Triple faults in loops ------------------------------------------ */

#define TF_ROUNDS		200
#define TF_SLAB_SLACK_KB	512

/* Protected mode without an IDT: #UD/#BP, #DF, then the triple fault. */
static void tf_setup(struct hvx_vcpu *vcpu, unsigned int variant)
{
	static const uint8_t ud2[] = { 0x0f, 0x0b }, int3[] = { 0xcc };
	struct hvx_sregs s;

	switch (variant % 3) {
	case 0:
		vm_write(vcpu->vm, PROT_CODE_GPA, ud2, sizeof(ud2));
		vcpu_setup_protected_mode(vcpu, PROT_CODE_GPA);
		break;
	case 1:
		vm_write(vcpu->vm, PROT_CODE_GPA, int3, sizeof(int3));
		vcpu_setup_protected_mode(vcpu, PROT_CODE_GPA);
		break;
	case 2:
		/* Long mode, an IDT of limit 0: INT3 cannot be delivered. */
		vcpu_setup_long_mode(vcpu, hx_int3, 0);
		vcpu_sregs_get(vcpu, &s);
		s.idt.limit = 0;
		vcpu_sregs_set(vcpu, &s);
		break;
	}
}

/* Unreclaimable slab, the settled lowest of a few readings (hvx_util). */
static long slab_kb(void)
{
	return mem_probe().unreclaimable;
}

/*
 * HVX_EXIT_SHUTDOWN every time: 200 fresh VMs, then one vCPU whose state
 * is reset (HVX_SET_REGS/SREGS) and run again 200 times, the faults
 * rotating between #UD and #BP in protected mode without an IDT and #BP
 * in long mode with an empty IDT. The unreclaimable slab is what it was
 * (within TF_SLAB_SLACK_KB), and the vCPU counted each triple fault.
 */
TEST_F_TIMEOUT(hostile, triple_fault_loops_shutdown_no_leak, 900)
{
	struct hvx_vcpu_stats st;
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	long before, mid, after;
	uint64_t t0;
	unsigned int i;

	NEED_HVX();
	/* Warm the caches (slabs, the module's first allocations). */
	for (i = 0; i < 4; i++) {
		vm = vm_create(2ull << 20);
		vcpu = vcpu_add(vm, 0);
		tf_setup(vcpu, i % 2);
		brun(vcpu);
		vcpu_assert_exit(vcpu, HVX_EXIT_SHUTDOWN);
		vm_free(vm);
	}
	before = slab_kb();
	ASSERT_LT(0, before);

	t0 = now_ns();
	for (i = 0; i < TF_ROUNDS; i++) {
		vm = vm_create(2ull << 20);
		vcpu = vcpu_add(vm, 0);
		tf_setup(vcpu, i % 2);
		brun(vcpu);
		if (vcpu->run->exit_reason != HVX_EXIT_SHUTDOWN) {
			char buf[512];

			vcpu_exit_str(vcpu, buf, sizeof(buf));
			vm_free(vm);
			ASSERT_TRUE(false) TH_LOG("fresh VM %u: %s", i, buf);
		}
		vm_free(vm);
	}
	TH_LOG("%u fresh VMs triple-faulted in %llu ms", TF_ROUNDS,
	       (unsigned long long)((now_ns() - t0) / 1000000));
	mid = slab_kb();

	vcpu = new_vm(self, 0, false);
	t0 = now_ns();
	for (i = 0; i < TF_ROUNDS; i++) {
		tf_setup(vcpu, i);
		brun(vcpu);
		vcpu_assert_exit(vcpu, HVX_EXIT_SHUTDOWN);
	}
	TH_LOG("%u resets of one vCPU triple-faulted in %llu ms", TF_ROUNDS,
	       (unsigned long long)((now_ns() - t0) / 1000000));
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_GET_VCPU_STATS, &st));
	EXPECT_EQ(TF_ROUNDS, st.exit_reason[VMX_EXIT_TRIPLE_FAULT]);
	/* After all that, the same vCPU runs C code. */
	vcpu_setup_long_mode(vcpu, guest_square_plus_one, 3);
	{
		struct ucall uc;

		ASSERT_EQ(UCALL_SYNC, brun_ucall(vcpu, &uc));
		ASSERT_EQ(UCALL_DONE, brun_ucall(vcpu, &uc));
		EXPECT_EQ(10, uc.args[0]);
	}
	vm_free(self->vm[0]);
	self->vm[0] = NULL;
	after = slab_kb();
	TH_LOG("SUnreclaim: %ld KiB, after the fresh VMs %+ld, after the resets %+ld",
	       before, mid - before, after - before);
	EXPECT_GE(TF_SLAB_SLACK_KB, mid - before);
	EXPECT_GE(TF_SLAB_SLACK_KB, after - before);
}

/* ---- 9. RDPMC, WBINVD, task switch -------------------------------------- */

static void __guest_code guest_rdpmc(void)
{
	uint64_t cr4;

	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	asm volatile("mov %0, %%cr4" : : "r"(cr4 | X86_CR4_PCE));
	GUEST_SYNC(1);
	hx_rdpmc();
	GUEST_DONE();
}

/*
 * hvx has no virtual PMU: RDPMC must not read the host's counters, even
 * with CR4.PCE set (which allows it at any CPL, SDM Vol. 2B RDPMC): the
 * guest gets #GP, as for a counter that does not exist.
 * Depends on a module fix in progress (RDPMC exiting).
 */
TEST_F_TIMEOUT(hostile, rdpmc_with_cr4_pce_is_gp, 120)
{
	struct hvx_vcpu *vcpu;
	struct ucall uc;

	NEED_HVX();
	vcpu = new_vm(self, 0, false);
	vcpu_setup_long_mode(vcpu, guest_rdpmc, 0);
	ASSERT_EQ(UCALL_SYNC, brun_ucall(vcpu, &uc)) TH_LOG("CR4.PCE refused");
	brun(vcpu);
	get_ucall(vcpu, &uc);
	ASSERT_EQ(UCALL_UNHANDLED, uc.cmd)
		TH_LOG("RDPMC: %s, no #GP", ucall_cmd_str(uc.cmd));
	EXPECT_EQ(GP_VECTOR, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(ADDR(hx_insn_rdpmc), uc.args[2]);
}

static void __guest_code guest_wbinvd(void)
{
	asm volatile("wbinvd" : : : "memory");
	GUEST_DONE();
}

/*
 * WBINVD would flush every cache of the host CPU for the guest's whim:
 * hvx must take it as an exit (basic reason 54, WBINVD exiting, SDM Vol.
 * 3C 25.6.2) and let the guest go on; the statistics count it.
 * Depends on a module fix in progress.
 */
TEST_F_TIMEOUT(hostile, wbinvd_exits_and_guest_continues, 120)
{
	struct hvx_vcpu_stats st;
	struct hvx_vcpu *vcpu;
	struct ucall uc;

	NEED_HVX();
	vcpu = new_vm(self, 0, false);
	vcpu_setup_long_mode(vcpu, guest_wbinvd, 0);
	ASSERT_EQ(UCALL_DONE, brun_ucall(vcpu, &uc));
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_GET_VCPU_STATS, &st));
	EXPECT_EQ(1, st.exit_reason[VMX_EXIT_WBINVD])
		TH_LOG("%llu WBINVD exits",
		       (unsigned long long)st.exit_reason[VMX_EXIT_WBINVD]);
}

/*
 * A far JMP to an available 32-bit TSS (a task switch, which always exits
 * in VMX non-root operation, SDM Vol. 3C 26.4.2) that hvx does not
 * emulate: HVX_EXIT_INTERNAL_ERROR, at once, not a hang or a guest left
 * half switched.
 */
TEST_F_TIMEOUT(hostile, task_switch_far_jmp_internal_error, 120)
{
	/* ljmp $HVX_SEL_TSS(7), $0; hlt */
	static const uint8_t code[] = {
		0xea, 0x00, 0x00, 0x00, 0x00, HVX_SEL_TSS(7), 0x00, 0xf4,
	};
	struct hvx_vcpu_stats st;
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	struct hvx_run *run;
	uint64_t *gdt;
	char buf[512];

	NEED_HVX();
	vm = self->vm[0] = vm_create(GUEST_MEM);
	vcpu = vcpu_add(vm, 0);
	run = vcpu->run;
	vm_write(vm, PROT_CODE_GPA, code, sizeof(code));
	vcpu_setup_protected_mode(vcpu, PROT_CODE_GPA);
	/* vCPU 7's TSS descriptor, made an available 32-bit TSS (type 9). */
	gdt = vm_gpa_to_hva(vm, vm->sys_gpa + HVX_SYS_GDT);
	gdt[HVX_SEL_TSS(7) / 8] = (gdt[HVX_SEL_TSS(7) / 8] & ~(0xfull << 40)) |
				  9ull << 40;

	brun(vcpu);
	EXPECT_EQ(HVX_EXIT_INTERNAL_ERROR, run->exit_reason)
		TH_LOG("task switch: %s", vcpu_exit_str(vcpu, buf, sizeof(buf)));
	if (run->exit_reason == HVX_EXIT_INTERNAL_ERROR &&
	    run->internal.suberror == HVX_INTERNAL_UNHANDLED_EXIT)
		EXPECT_EQ(VMX_EXIT_TASK_SWITCH, run->internal.data[0]);
	TH_LOG("task switch: %s", vcpu_exit_str(vcpu, buf, sizeof(buf)));
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_GET_VCPU_STATS, &st));
	EXPECT_EQ(1, st.exit_reason[VMX_EXIT_TASK_SWITCH]);
}

/* ---- 2. Every MSR index: #GP unless hvx emulates it --------------------- */

struct msr_range {
	uint64_t base, count;
};

/* The architectural ranges and samples of others the guest scans. */
static const struct msr_range msr_all[] = {
	{ 0x00000000, 0x2000 },		/* the MSR bitmap's low range */
	{ 0xc0000000, 0x2000 },		/* and its high range */
	{ 0x40000000, 0x100 },		/* hypervisor MSRs (Hyper-V, KVM) */
	{ 0xc0010000, 0x100 },		/* AMD's */
	{ 0x80000000, 1 },
	{ 0xffffffff, 1 },
};

/* Where an irqchip changes the answer: TSC_DEADLINE and x2APIC. */
static const struct msr_range msr_apic[] = {
	{ 0x600, 0x300 },
};

#define MSR_BITS	(0x2000 * 2 + 0x100 * 2 + 2)
#define MSR_WORDS	((MSR_BITS + 63) / 64)
#define MSR_WR_VALUE	0x0000000100000001ull
#ifndef MSR_CHUNK
#define MSR_CHUNK	512	/* indexes between progress reports */
#endif
/* Emulated time the full scan may take before the host samples. */
#define MSR_BUDGET_NS	(8ull * 1000000000)

#define MSR_SCAN_X2APIC		1	/* switch the APIC to x2APIC first */

/* Written by the host before the run. */
struct msr_range hx_msr_ranges[8];
uint64_t hx_msr_nranges;
uint64_t hx_msr_no_wr[MSR_WORDS];	/* emulated: the guest writes not */
/* The host may raise it at each progress report (sampling). */
uint64_t hx_msr_stride = 1;
/* Written by the guest. */
uint64_t hx_msr_seen[MSR_WORDS];	/* visited */
uint64_t hx_msr_rd_ok[MSR_WORDS];	/* RDMSR did not #GP */
uint64_t hx_msr_wr_ok[MSR_WORDS];	/* WRMSR did not #GP */

/* RDMSR; 1 if it faulted (the #GP handler sets R11). */
static uint64_t __guest_code msr_read_faults(uint32_t msr)
{
	register uint64_t faulted asm("r11") = 0;
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi), "+r"(faulted) : "c"(msr));
	return faulted;
}

static uint64_t __guest_code msr_write_faults(uint32_t msr, uint64_t val)
{
	register uint64_t faulted asm("r11") = 0;

	asm volatile("wrmsr" : "+r"(faulted) : "c"(msr), "a"((uint32_t)val),
		     "d"((uint32_t)(val >> 32)) : "memory");
	return faulted;
}

#define BIT_SET(map, b)		((map)[(b) / 64] |= 1ull << ((b) % 64))
#define BIT_TEST(map, b)	(!!((map)[(b) / 64] & (1ull << ((b) % 64))))

static void __guest_code guest_msr_scan(uint64_t flags)
{
	uint64_t nr = *(volatile uint64_t *)&hx_msr_nranges;
	uint64_t r, k, bit = 0, visits = 0;

	if (flags & MSR_SCAN_X2APIC)
		guest_wrmsr(0x1b, guest_rdmsr(0x1b) | (1ull << 10));
	for (r = 0; r < nr; r++) {
		for (k = 0; k < hx_msr_ranges[r].count; k++, bit++) {
			uint32_t msr = hx_msr_ranges[r].base + (uint32_t)k;
			uint64_t stride = *(volatile uint64_t *)&hx_msr_stride;
			bool emulated = BIT_TEST(hx_msr_no_wr, bit);

			/* Sampling: every stride-th, and all emulated ones. */
			if (stride > 1 && k % stride && !emulated)
				continue;
			BIT_SET(hx_msr_seen, bit);
			if (!msr_read_faults(msr))
				BIT_SET(hx_msr_rd_ok, bit);
			if (!emulated && !msr_write_faults(msr, MSR_WR_VALUE))
				BIT_SET(hx_msr_wr_ok, bit);
			if (++visits % MSR_CHUNK == 0)
				GUEST_SYNC_ARGS(1, visits, bit, 0);
		}
	}
	GUEST_DONE();
}

/*
 * What hvx emulates (kmod/msr.c hvx_msr_read, kmod/lapic.c
 * hvx_lapic_msr_read, and the MSR bitmap's pass-through of FS/GS base and
 * SYSENTER in kmod/vmx.c). IA32_TSC_AUX is being added by a module change
 * that runs alongside this test.
 */
static bool msr_emulated(uint32_t msr, bool irqchip, bool x2apic)
{
	switch (msr) {
	case 0x10:		/* IA32_TIME_STAMP_COUNTER */
	case 0x1b:		/* IA32_APIC_BASE */
	case 0x3a:		/* IA32_FEATURE_CONTROL */
	case 0x3b:		/* IA32_TSC_ADJUST */
	case 0x8b:		/* IA32_BIOS_SIGN_ID */
	case 0xfe:		/* IA32_MTRRCAP */
	case 0x174:		/* IA32_SYSENTER_CS, _ESP, _EIP */
	case 0x175:
	case 0x176:
	case 0x179:		/* IA32_MCG_CAP */
	case 0x17a:		/* IA32_MCG_STATUS */
	case 0x1a0:		/* IA32_MISC_ENABLE */
	case 0x1d9:		/* IA32_DEBUGCTL */
	case 0x277:		/* IA32_PAT */
	case 0x2ff:		/* IA32_MTRR_DEF_TYPE */
	case 0xc0000080:	/* EFER */
	case 0xc0000081:	/* STAR, LSTAR, CSTAR, FMASK */
	case 0xc0000082:
	case 0xc0000083:
	case 0xc0000084:
	case 0xc0000100:	/* FS base, GS base, KERNEL_GS_BASE */
	case 0xc0000101:
	case 0xc0000102:
	case 0xc0000103:	/* IA32_TSC_AUX */
		return true;
	case 0x6e0:		/* IA32_TSC_DEADLINE */
		return irqchip;
	}
	/*
	 * x2APIC registers (SDM Vol. 3A 10.12.1.2) up to the end of hvx's
	 * register file, but the write-only EOI and SELF IPI, and DFR and
	 * ICR2, which x2APIC mode does not have.
	 */
	if (x2apic && msr >= 0x800 && msr < 0x840)
		return msr != 0x80b && msr != 0x80e && msr != 0x831 &&
		       msr != 0x83f;
	return false;
}

static uint32_t msr_of_bit(unsigned int bit)
{
	unsigned int r;

	for (r = 0; r < hx_msr_nranges; r++) {
		if (bit < hx_msr_ranges[r].count)
			return hx_msr_ranges[r].base + bit;
		bit -= hx_msr_ranges[r].count;
	}
	return 0;
}

static void msr_scan(struct __test_metadata *_metadata,
		     FIXTURE_DATA(hostile) *self, int idx, bool irqchip,
		     uint64_t flags, const struct msr_range *ranges,
		     unsigned int nranges, const char *ctx)
{
	bool x2apic = flags & MSR_SCAN_X2APIC;
	unsigned int bit, bits = 0, bad_rd = 0, bad_wr = 0, seen = 0;
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	struct ucall uc;
	uint64_t t0, spent;

	vcpu = new_vm(self, idx, irqchip);
	vm = vcpu->vm;
	vm_set_idt_handler(vm, GP_VECTOR, hx_gp_msr_handler);
	memcpy(hx_msr_ranges, ranges, nranges * sizeof(*ranges));
	hx_msr_nranges = nranges;
	for (bit = 0; bit < nranges; bit++)
		bits += ranges[bit].count;
	memset(hx_msr_no_wr, 0, sizeof(hx_msr_no_wr));
	for (bit = 0; bit < bits; bit++) {
		uint32_t msr = msr_of_bit(bit);

		/* EOI and SELF IPI are emulated too, if write-only. */
		if (msr_emulated(msr, irqchip, x2apic) ||
		    (x2apic && (msr == 0x80b || msr == 0x83f)))
			BIT_SET(hx_msr_no_wr, bit);
	}
	sync_global_to_guest(vm, hx_msr_ranges);
	sync_global_to_guest(vm, hx_msr_nranges);
	sync_global_to_guest(vm, hx_msr_no_wr);
	hx_msr_stride = 1;
	vcpu_setup_long_mode(vcpu, guest_msr_scan, flags);
	t0 = now_ns();
	while (brun_ucall_long(vcpu, &uc, 300) == UCALL_SYNC) {
		uint64_t visits = uc.args[1], at = uc.args[2] + 1, stride;

		spent = now_ns() - t0;
		if (hx_msr_stride > 1 || spent * bits / visits <= MSR_BUDGET_NS)
			continue;
		/* Too slow here for all: sample what is left, odd stride. */
		stride = (spent * (bits - at) / visits) /
			 (MSR_BUDGET_NS > spent ? MSR_BUDGET_NS - spent : 1);
		hx_msr_stride = stride | 1;
		sync_global_to_guest(vm, hx_msr_stride);
		TH_LOG("%s: %llu us per MSR (read and write): every %llu-th MSR after %#x",
		       ctx, (unsigned long long)(spent / visits / 1000),
		       (unsigned long long)hx_msr_stride, msr_of_bit(at));
	}
	assert_ucall_ok(vcpu, &uc);
	ASSERT_EQ(UCALL_DONE, uc.cmd);
	spent = now_ns() - t0;
	sync_global_from_guest(vm, hx_msr_seen);
	sync_global_from_guest(vm, hx_msr_rd_ok);
	sync_global_from_guest(vm, hx_msr_wr_ok);

	for (bit = 0; bit < bits; bit++) {
		uint32_t msr = msr_of_bit(bit);
		bool rd = BIT_TEST(hx_msr_rd_ok, bit);
		bool wr = BIT_TEST(hx_msr_wr_ok, bit);
		bool emulated = msr_emulated(msr, irqchip, x2apic);

		if (!BIT_TEST(hx_msr_seen, bit)) {
			EXPECT_FALSE(emulated) TH_LOG("%s: %#x not scanned", ctx, msr);
			continue;
		}
		seen++;
		if (rd != emulated && bad_rd++ < 20)
			TH_LOG("%s: RDMSR %#x %s", ctx, msr,
			       rd ? "reads, but hvx does not emulate it" :
				    "is #GP, but hvx emulates it");
		if (wr && bad_wr++ < 20)
			TH_LOG("%s: WRMSR %#x, %#llx: no #GP", ctx, msr,
			       MSR_WR_VALUE);
	}
	TH_LOG("%s: %u of %u MSRs read and written in %llu ms", ctx, seen,
	       bits, (unsigned long long)(spent / 1000000));
	EXPECT_EQ(0, bad_rd) TH_LOG("%s: RDMSR wrong for %u MSRs", ctx, bad_rd);
	EXPECT_EQ(0, bad_wr) TH_LOG("%s: WRMSR took %u MSRs", ctx, bad_wr);
	memset(hx_msr_seen, 0, sizeof(hx_msr_seen));
	memset(hx_msr_rd_ok, 0, sizeof(hx_msr_rd_ok));
	memset(hx_msr_wr_ok, 0, sizeof(hx_msr_wr_ok));
}

/*
 * RDMSR of every index of the MSR bitmap's two ranges and samples of
 * others must be #GP but for the MSRs hvx emulates (then a value), and
 * WRMSR of a nonzero value to any other must be #GP: a guest reaches no
 * host MSR. Without an irqchip over all ranges; with one in xAPIC and in
 * x2APIC mode over 0x600-0x8ff, where the irqchip changes the answer.
 * The guest's #GP handler skips a faulting RDMSR/WRMSR and notes it in
 * R11. If the scan is slower than MSR_BUDGET_NS (Bochs), the host makes
 * the guest sample the rest with a stride, and says so.
 */
TEST_F_TIMEOUT(hostile, msr_scan_gp_unless_emulated, 900)
{
	NEED_HVX();
	msr_scan(_metadata, self, 0, false, 0, msr_all, ARRAY_LEN(msr_all),
		 "no irqchip");
	msr_scan(_metadata, self, 1, true, 0, msr_apic, ARRAY_LEN(msr_apic),
		 "irqchip, xAPIC");
	msr_scan(_metadata, self, 2, true, MSR_SCAN_X2APIC, msr_apic,
		 ARRAY_LEN(msr_apic), "irqchip, x2APIC");
}

TEST_HARNESS_MAIN
