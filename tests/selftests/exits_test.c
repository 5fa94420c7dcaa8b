// SPDX-License-Identifier: GPL-2.0
/*
 * VM exits, one kind at a time, as user space sees them: CPUID from the
 * table of HVX_SET_CPUID, HLT, port I/O (single, string, REP, descending),
 * MMIO loads and stores in long and real mode, the other instructions
 * emulated for MMIO (read-modify-write, strings, PUSH/POP: their exits in
 * order, and their faults), MSRs, control and debug registers, XSETBV,
 * VMX instructions, triple faults, VM entries that the CPU refuses, the
 * per-vCPU statistics, and the register ioctls.
 *
 * Instructions whose faults are checked by address live in small assembly
 * functions below (guest_asm), each with a global label on the instruction,
 * so the test can compare the RIP that the guest's exception handler
 * reports with the label. Instructions that the kernel handles without
 * leaving HVX_RUN (CPUID, MSRs, CRs, DRs, XSETBV) are driven through one
 * guest "executor" that runs commands the host writes into guest memory
 * and reports the results with ucalls.
 */
#include <errno.h>
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
#define REAL_CODE_SEG		0x0100		/* real-mode code at 0x1000 */
#define REAL_CODE_GPA		0x1000ull
#define PROT_CODE_GPA		0x2000ull
/* Outside slot 0 ([0, 16 MiB)) but inside the 4 GiB identity map. */
#define MMIO_GPA		0xc0001000ull
#define MMIO_GPA_ASM		"0xc0001000"	/* the same, for .quad */

/* Exit reasons (SDM Vol. 3D appendix C) that the statistics count. */
#define VMX_EXIT_TRIPLE_FAULT	2
#define VMX_EXIT_HLT		12
#define VMX_EXIT_IO		30
#define VMX_EXIT_INVALID_STATE	33

#define MSR_FEAT_CTL		0x0000003aull
#define MSR_PAT			0x00000277ull
#define MSR_EFER		0xc0000080ull
#define MSR_STAR		0xc0000081ull
#define MSR_LSTAR		0xc0000082ull
#define MSR_CSTAR		0xc0000083ull
#define MSR_SFMASK		0xc0000084ull
#define MSR_KERNEL_GS_BASE	0xc0000102ull
#define MSR_UNKNOWN		0x12345678ull

#define X86_CR4_PGE		(1ull << 7)
#define X86_CR4_VMXE		(1ull << 13)
#define X86_CR4_OSXSAVE		(1ull << 18)

/* What vcpu_setup_long_mode() gives (hvx_vm.h). */
#define LM_CR0			0x80050033ull
#define LM_CR4			0x620ull
#define LM_EFER			0x501ull
#define PAT_RESET		0x0007040600070406ull

#define SS_VECTOR		12
#define GP_VECTOR		13
#define UD_VECTOR		6

FIXTURE(exits) {
	bool loaded_here;
	bool ready;
	struct hvx_vm *vm[4];
};

FIXTURE_SETUP(exits)
{
	const char *why = hvx_need_module(&self->loaded_here);

	if (why)
		SKIP(return, "%s", why);
	self->ready = true;
}

FIXTURE_TEARDOWN(exits)
{
	unsigned int i;

	for (i = 0; i < sizeof(self->vm) / sizeof(self->vm[0]); i++)
		vm_free(self->vm[i]);
	if (self->loaded_here)
		EXPECT_EQ(0, hvx_unload());
}

/* A VM that the teardown frees, whatever happens in the test. */
#define NEW_VM(idx, mem)	(self->vm[idx] = vm_create(mem))
#define FREE_VM(idx)							\
	do {								\
		vm_free(self->vm[idx]);					\
		self->vm[idx] = NULL;					\
	} while (0)

/* Raw real-mode code at 0x1000, CS = 0x100, IP = 0. */
static void setup_real_code(struct hvx_vcpu *vcpu, const void *code,
			    size_t len)
{
	vm_write(vcpu->vm, REAL_CODE_GPA, code, len);
	vcpu_setup_real_mode(vcpu, REAL_CODE_SEG, 0);
}

/* A VM of its own runs "hlt" in real mode: the host is still fine. */
static void run_hlt_in_new_vm(struct hvx_vm **slot)
{
	static const uint8_t hlt[] = { 0xf4 };
	struct hvx_vcpu *vcpu;
	struct hvx_regs regs;

	*slot = vm_create(HVX_SYS_SIZE);
	vcpu = vcpu_add(*slot, 0);
	setup_real_code(vcpu, hlt, sizeof(hlt));
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT(regs.rip == 1, "RIP after hlt: %#llx, want 1",
		    (unsigned long long)regs.rip);
}

/* The bytes of the last I/O exit, checked to lie inside the run page. */
static const uint8_t *io_bytes(struct hvx_vcpu *vcpu)
{
	struct hvx_run *run = vcpu->run;
	uint64_t bytes = (uint64_t)run->io.count * run->io.size;

	TEST_ASSERT(run->io.data_offset >= sizeof(struct hvx_run) &&
		    run->io.data_offset <= vcpu->run_size &&
		    bytes <= vcpu->run_size - run->io.data_offset,
		    "I/O data at offset %#llx, %u x %u bytes: not after struct hvx_run inside the %zu-byte run page",
		    (unsigned long long)run->io.data_offset, run->io.count,
		    run->io.size, vcpu->run_size);
	return (const uint8_t *)run + run->io.data_offset;
}

static uint64_t io_value(struct hvx_vcpu *vcpu)
{
	uint64_t v = 0;

	memcpy(&v, io_bytes(vcpu), vcpu->run->io.size);
	return v;
}

/* ---- Guest code in assembly -------------------------------------------- */

#define GUEST_ASM(name, body)						\
	"	.balign 16\n"						\
	"	.globl " #name "\n"					\
	"	.type " #name ", @function\n"				\
	#name ":\n"							\
	body								\
	"	.size " #name ", . - " #name "\n"

#define GUEST_LABEL(name)	"	.globl " #name "\n" #name ":\n"

asm(
"	.pushsection .text, \"ax\", @progbits\n"
/* void g_cpuid(u64 leaf, u64 subleaf, u64 out[4]): all of RAX..RDX. */
GUEST_ASM(g_cpuid,
"	push %rbx\n"
"	mov %rdx, %r8\n"
"	mov %rdi, %rax\n"
"	mov %rsi, %rcx\n"
"	mov $-1, %rbx\n"
"	mov $-1, %rdx\n"
"	cpuid\n"
"	mov %rax, 0(%r8)\n"
"	mov %rbx, 8(%r8)\n"
"	mov %rcx, 16(%r8)\n"
"	mov %rdx, 24(%r8)\n"
"	pop %rbx\n"
"	ret\n")
/* u64 g_rdmsr(u64 msr) */
GUEST_ASM(g_rdmsr,
"	mov %edi, %ecx\n"
GUEST_LABEL(insn_rdmsr)
"	rdmsr\n"
"	shl $32, %rdx\n"
"	or %rdx, %rax\n"
"	ret\n")
/* void g_wrmsr(u64 msr, u64 value) */
GUEST_ASM(g_wrmsr,
"	mov %edi, %ecx\n"
"	mov %rsi, %rax\n"
"	mov %rsi, %rdx\n"
"	shr $32, %rdx\n"
GUEST_LABEL(insn_wrmsr)
"	wrmsr\n"
"	ret\n")
/* Control registers. */
GUEST_ASM(g_read_cr0, "	mov %cr0, %rax\n	ret\n")
GUEST_ASM(g_read_cr4, "	mov %cr4, %rax\n	ret\n")
GUEST_ASM(g_read_cr8, "	mov %cr8, %rax\n	ret\n")
GUEST_ASM(g_write_cr0, GUEST_LABEL(insn_write_cr0) "	mov %rdi, %cr0\n	ret\n")
GUEST_ASM(g_write_cr4, GUEST_LABEL(insn_write_cr4) "	mov %rdi, %cr4\n	ret\n")
GUEST_ASM(g_write_cr8, GUEST_LABEL(insn_write_cr8) "	mov %rdi, %cr8\n	ret\n")
/* Debug registers. */
GUEST_ASM(g_read_dr0, "	mov %dr0, %rax\n	ret\n")
GUEST_ASM(g_read_dr1, "	mov %dr1, %rax\n	ret\n")
GUEST_ASM(g_read_dr2, "	mov %dr2, %rax\n	ret\n")
GUEST_ASM(g_read_dr3, "	mov %dr3, %rax\n	ret\n")
GUEST_ASM(g_read_dr6, "	mov %dr6, %rax\n	ret\n")
GUEST_ASM(g_read_dr7, "	mov %dr7, %rax\n	ret\n")
GUEST_ASM(g_write_dr0, "	mov %rdi, %dr0\n	ret\n")
GUEST_ASM(g_write_dr1, "	mov %rdi, %dr1\n	ret\n")
GUEST_ASM(g_write_dr2, "	mov %rdi, %dr2\n	ret\n")
GUEST_ASM(g_write_dr3, "	mov %rdi, %dr3\n	ret\n")
GUEST_ASM(g_write_dr6, "	mov %rdi, %dr6\n	ret\n")
GUEST_ASM(g_write_dr7, GUEST_LABEL(insn_write_dr7) "	mov %rdi, %dr7\n	ret\n")
/* void g_xsetbv(u64 xcr, u64 value); u64 g_xgetbv(u64 xcr) */
GUEST_ASM(g_xsetbv,
"	mov %edi, %ecx\n"
"	mov %rsi, %rax\n"
"	mov %rsi, %rdx\n"
"	shr $32, %rdx\n"
GUEST_LABEL(insn_xsetbv)
"	xsetbv\n"
"	ret\n")
GUEST_ASM(g_xgetbv,
"	mov %edi, %ecx\n"
"	xgetbv\n"
"	shl $32, %rdx\n"
"	or %rdx, %rax\n"
"	ret\n")
/* A hypercall: the number in RDI, RAX back. */
GUEST_ASM(g_hypercall, "	mov %rdi, %rax\n	vmcall\n	ret\n")
/* VMX instructions; memory operands at RDI. */
GUEST_ASM(g_vmxon, GUEST_LABEL(insn_vmxon) "	vmxon (%rdi)\n	ret\n")
GUEST_ASM(g_vmxoff, GUEST_LABEL(insn_vmxoff) "	vmxoff\n	ret\n")
GUEST_ASM(g_vmlaunch, GUEST_LABEL(insn_vmlaunch) "	vmlaunch\n	ret\n")
GUEST_ASM(g_vmresume, GUEST_LABEL(insn_vmresume) "	vmresume\n	ret\n")
GUEST_ASM(g_vmclear, GUEST_LABEL(insn_vmclear) "	vmclear (%rdi)\n	ret\n")
GUEST_ASM(g_vmptrld, GUEST_LABEL(insn_vmptrld) "	vmptrld (%rdi)\n	ret\n")
GUEST_ASM(g_vmptrst, GUEST_LABEL(insn_vmptrst) "	vmptrst (%rdi)\n	ret\n")
GUEST_ASM(g_vmread,
"	mov $0x4400, %eax\n"
GUEST_LABEL(insn_vmread)
"	vmread %rax, %rdx\n"
"	ret\n")
GUEST_ASM(g_vmwrite,
"	mov $0x681e, %eax\n"
"	xor %edx, %edx\n"
GUEST_LABEL(insn_vmwrite)
"	vmwrite %rdx, %rax\n"
"	ret\n")
GUEST_ASM(g_invept,
"	mov $1, %ecx\n"
GUEST_LABEL(insn_invept)
"	invept (%rdi), %rcx\n"
"	ret\n")
GUEST_ASM(g_invvpid,
"	mov $1, %ecx\n"
GUEST_LABEL(insn_invvpid)
"	invvpid (%rdi), %rcx\n"
"	ret\n")
/* HLT, then return 42 (the library reports UCALL_DONE with RAX). */
GUEST_ASM(guest_hlt_then_return,
"	hlt\n"
GUEST_LABEL(guest_after_hlt)
"	mov $42, %eax\n"
"	ret\n")
/* A multiplication by MMIO, which hvx does not emulate. */
GUEST_ASM(guest_mmio_add,
GUEST_LABEL(insn_mmio_add)
"	mull (%rdi)\n"
"	ret\n")
/* MOVSQ from MMIO (RDI) to 0x100ffc, whose next page the test unmaps. */
GUEST_ASM(guest_emul_pf,
"	mov %rdi, %rsi\n"
"	mov $0x100ffc, %edi\n"
GUEST_LABEL(insn_emul_pf)
"	movsq\n"
"	ret\n")
/* PUSH of MMIO (RDI) on a non-canonical stack. */
GUEST_ASM(guest_emul_ss,
"	mov %rsp, %rax\n"
"	movabs $0x8000000000000000, %rsp\n"
GUEST_LABEL(insn_emul_ss)
"	pushq (%rdi)\n"
"	mov %rax, %rsp\n"
"	ret\n")
/* MOVSB from MMIO (RDI) to a non-canonical address. */
GUEST_ASM(guest_emul_gp,
"	mov %rdi, %rsi\n"
"	movabs $0x8000000000000000, %rdi\n"
GUEST_LABEL(insn_emul_gp)
"	movsb\n"
"	ret\n")
/* Computes into every GPR from what HVX_SET_REGS gave, then halts. */
GUEST_ASM(guest_regs_compute,
"	add $1, %rax\n"
"	add %rax, %rbx\n"
"	xor %rbx, %rcx\n"
"	not %rdx\n"
"	shl $4, %rsi\n"
"	shr $4, %rdi\n"
"	add $0x100, %rbp\n"
"	neg %r8\n"
"	bswap %r9\n"
"	rol $8, %r10\n"
"	imul $3, %r11, %r11\n"
"	inc %r12\n"
"	dec %r13\n"
"	add %r14, %r15\n"
"	sub $16, %r14\n"
"	hlt\n"
GUEST_LABEL(guest_regs_after_hlt)
"1:	hlt\n"
"	jmp 1b\n")
"	.popsection\n"
);

void g_cpuid(uint64_t leaf, uint64_t subleaf, uint64_t out[4]);
uint64_t g_rdmsr(uint64_t msr);
void g_wrmsr(uint64_t msr, uint64_t value);
uint64_t g_read_cr0(void);
uint64_t g_read_cr4(void);
uint64_t g_read_cr8(void);
void g_write_cr0(uint64_t v);
void g_write_cr4(uint64_t v);
void g_write_cr8(uint64_t v);
uint64_t g_read_dr0(void);
uint64_t g_read_dr1(void);
uint64_t g_read_dr2(void);
uint64_t g_read_dr3(void);
uint64_t g_read_dr6(void);
uint64_t g_read_dr7(void);
void g_write_dr0(uint64_t v);
void g_write_dr1(uint64_t v);
void g_write_dr2(uint64_t v);
void g_write_dr3(uint64_t v);
void g_write_dr6(uint64_t v);
void g_write_dr7(uint64_t v);
void g_xsetbv(uint64_t xcr, uint64_t value);
uint64_t g_xgetbv(uint64_t xcr);
uint64_t g_hypercall(uint64_t nr);
void g_vmxon(void *mem);
void g_vmxoff(void *mem);
void g_vmlaunch(void *mem);
void g_vmresume(void *mem);
void g_vmclear(void *mem);
void g_vmptrld(void *mem);
void g_vmptrst(void *mem);
void g_vmread(void *mem);
void g_vmwrite(void *mem);
void g_invept(void *mem);
void g_invvpid(void *mem);
uint64_t guest_hlt_then_return(void);
void guest_mmio_add(uint64_t gpa);
void guest_emul_pf(uint64_t gpa);
void guest_emul_gp(uint64_t gpa);
void guest_emul_ss(uint64_t gpa);
void guest_regs_compute(void);

extern const char insn_rdmsr[], insn_wrmsr[];
extern const char insn_write_cr0[], insn_write_cr4[], insn_write_cr8[];
extern const char insn_write_dr7[], insn_xsetbv[];
extern const char insn_vmxon[], insn_vmxoff[];
extern const char insn_vmlaunch[], insn_vmresume[], insn_vmclear[];
extern const char insn_vmptrld[], insn_vmptrst[], insn_vmread[];
extern const char insn_vmwrite[], insn_invept[], insn_invvpid[];
extern const char guest_after_hlt[], insn_mmio_add[];
extern const char insn_emul_pf[], insn_emul_gp[], insn_emul_ss[];
extern const char guest_regs_after_hlt[];

#define ADDR(sym)	((uint64_t)(uintptr_t)(sym))

/* ---- The guest executor ------------------------------------------------ */

enum {
	OP_CPUID = 1,	/* a0 leaf, a1 subleaf: r0 = EAX | EBX << 32,
			 * r1 = ECX | EDX << 32, r2 = OR of bits 63:32 */
	OP_RDMSR,	/* a0 MSR: r0 value */
	OP_WRMSR,	/* a0 MSR, a1 value */
	OP_READ_CR,	/* a0 0/4/8: r0 value */
	OP_WRITE_CR,	/* a0 0/4/8, a1 value */
	OP_READ_DR,	/* a0 0-3/6/7: r0 value */
	OP_WRITE_DR,	/* a0 0-3/6/7, a1 value */
	OP_XSETBV,	/* a0 XCR, a1 value */
	OP_XGETBV,	/* a0 XCR: r0 value */
	OP_VMX,		/* a0 index into vmx_insns[] */
	OP_HYPERCALL,	/* a0 RAX for VMCALL: r0 RAX after it */
};

#define STAGE_READY		0x100
#define STAGE_RESULT		0x200

struct guest_cmd {
	uint64_t op, a0, a1;
};

/* Written by the host into guest memory before each command. */
static struct guest_cmd guest_cmd;
/* A 16-byte operand for the VMX instructions that take memory. */
static uint64_t vmx_scratch[2] __attribute__((aligned(16)));

static uint64_t __guest_code guest_read_cr(uint64_t cr)
{
	switch (cr) {
	case 0:
		return g_read_cr0();
	case 4:
		return g_read_cr4();
	case 8:
		return g_read_cr8();
	}
	GUEST_FAIL(cr);
	return 0;
}

static void __guest_code guest_write_cr(uint64_t cr, uint64_t v)
{
	switch (cr) {
	case 0:
		g_write_cr0(v);
		return;
	case 4:
		g_write_cr4(v);
		return;
	case 8:
		g_write_cr8(v);
		return;
	}
	GUEST_FAIL(cr);
}

static uint64_t __guest_code guest_read_dr(uint64_t dr)
{
	switch (dr) {
	case 0:
		return g_read_dr0();
	case 1:
		return g_read_dr1();
	case 2:
		return g_read_dr2();
	case 3:
		return g_read_dr3();
	case 6:
		return g_read_dr6();
	case 7:
		return g_read_dr7();
	}
	GUEST_FAIL(dr);
	return 0;
}

static void __guest_code guest_write_dr(uint64_t dr, uint64_t v)
{
	switch (dr) {
	case 0:
		g_write_dr0(v);
		return;
	case 1:
		g_write_dr1(v);
		return;
	case 2:
		g_write_dr2(v);
		return;
	case 3:
		g_write_dr3(v);
		return;
	case 6:
		g_write_dr6(v);
		return;
	case 7:
		g_write_dr7(v);
		return;
	}
	GUEST_FAIL(dr);
}

/* The VMX instructions, in the order of vmx_insns[] below. */
static void __guest_code guest_vmx(uint64_t idx)
{
	void *mem = vmx_scratch;

	switch (idx) {
	case 0:
		g_vmxon(mem);
		return;
	case 1:
		g_vmxoff(mem);
		return;
	case 2:
		g_vmlaunch(mem);
		return;
	case 3:
		g_vmresume(mem);
		return;
	case 4:
		g_vmclear(mem);
		return;
	case 5:
		g_vmptrld(mem);
		return;
	case 6:
		g_vmptrst(mem);
		return;
	case 7:
		g_vmread(mem);
		return;
	case 8:
		g_vmwrite(mem);
		return;
	case 9:
		g_invept(mem);
		return;
	case 10:
		g_invvpid(mem);
		return;
	}
	GUEST_FAIL(idx);
}

static void __guest_code guest_executor(void)
{
	const volatile struct guest_cmd *c = &guest_cmd;

	for (;;) {
		uint64_t op, a0, a1, r0 = 0, r1 = 0, r2 = 0;
		uint64_t out[4];

		GUEST_SYNC(STAGE_READY);
		op = c->op;
		a0 = c->a0;
		a1 = c->a1;
		switch (op) {
		case OP_CPUID:
			g_cpuid(a0, a1, out);
			r0 = (uint32_t)out[0] | (uint64_t)(uint32_t)out[1] << 32;
			r1 = (uint32_t)out[2] | (uint64_t)(uint32_t)out[3] << 32;
			r2 = (out[0] | out[1] | out[2] | out[3]) >> 32;
			break;
		case OP_RDMSR:
			r0 = g_rdmsr(a0);
			break;
		case OP_WRMSR:
			g_wrmsr(a0, a1);
			break;
		case OP_READ_CR:
			r0 = guest_read_cr(a0);
			break;
		case OP_WRITE_CR:
			guest_write_cr(a0, a1);
			break;
		case OP_READ_DR:
			r0 = guest_read_dr(a0);
			break;
		case OP_WRITE_DR:
			guest_write_dr(a0, a1);
			break;
		case OP_XSETBV:
			g_xsetbv(a0, a1);
			break;
		case OP_XGETBV:
			r0 = g_xgetbv(a0);
			break;
		case OP_VMX:
			guest_vmx(a0);
			break;
		case OP_HYPERCALL:
			r0 = g_hypercall(a0);
			break;
		default:
			GUEST_FAIL(op);
		}
		GUEST_SYNC_ARGS(STAGE_RESULT, r0, r1, r2);
	}
}

/* (Re)start the executor on @vcpu: fresh long-mode state, at READY. */
static void executor_start(struct hvx_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_setup_long_mode(vcpu, guest_executor, 0);
	vcpu_run_ucall(vcpu, &uc);
	TEST_ASSERT(uc.cmd == UCALL_SYNC && uc.args[0] == STAGE_READY,
		    "executor did not start: %s stage %#llx",
		    ucall_cmd_str(uc.cmd), (unsigned long long)uc.args[0]);
}

/*
 * Run one command. Returns UCALL_SYNC with the results in @r (and the
 * executor back at READY), or UCALL_UNHANDLED with the exception in @exc
 * (the guest then halts for good: executor_start() again).
 */
static uint64_t exec_cmd(struct hvx_vcpu *vcpu, uint64_t op, uint64_t a0,
			 uint64_t a1, uint64_t r[3], struct ucall *exc, int line)
{
	struct guest_cmd c = { .op = op, .a0 = a0, .a1 = a1 };
	struct ucall uc;

	vm_write(vcpu->vm, ADDR(&guest_cmd), &c, sizeof(c));
	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		TEST_ASSERT(uc.args[0] == STAGE_RESULT,
			    "line %d: op %llu: stage %#llx, want the result",
			    line, (unsigned long long)op,
			    (unsigned long long)uc.args[0]);
		if (r) {
			r[0] = uc.args[1];
			r[1] = uc.args[2];
			r[2] = uc.args[3];
		}
		vcpu_run_ucall(vcpu, &uc);
		TEST_ASSERT(uc.cmd == UCALL_SYNC && uc.args[0] == STAGE_READY,
			    "line %d: executor did not come back to READY",
			    line);
		return UCALL_SYNC;
	case UCALL_UNHANDLED:
		if (exc)
			*exc = uc;
		return UCALL_UNHANDLED;
	}
	assert_ucall_ok_at(vcpu, &uc, __FILE__, line);
	hvx_test_fail(__FILE__, line, NULL, "op %llu: unexpected %s",
		      (unsigned long long)op, ucall_cmd_str(uc.cmd));
}

/* The command must complete; returns r[0]. */
static uint64_t exec_ok_at(struct hvx_vcpu *vcpu, uint64_t op, uint64_t a0,
			   uint64_t a1, uint64_t r[3], int line)
{
	uint64_t res[3] = { 0 };
	struct ucall exc;

	if (exec_cmd(vcpu, op, a0, a1, res, &exc, line) != UCALL_SYNC)
		hvx_test_fail(__FILE__, line, NULL,
			      "op %llu (%#llx, %#llx): guest exception %llu, error code %#llx at RIP %#llx",
			      (unsigned long long)op, (unsigned long long)a0,
			      (unsigned long long)a1,
			      (unsigned long long)exc.args[0],
			      (unsigned long long)exc.args[1],
			      (unsigned long long)exc.args[2]);
	if (r)
		memcpy(r, res, sizeof(res));
	return res[0];
}

/* The command must fault with @vector at @rip (error code 0). */
static void exec_fault_at(struct hvx_vcpu *vcpu, uint64_t op, uint64_t a0,
			  uint64_t a1, uint64_t vector, uint64_t rip, int line)
{
	uint64_t res[3];
	struct ucall exc;

	if (exec_cmd(vcpu, op, a0, a1, res, &exc, line) != UCALL_UNHANDLED)
		hvx_test_fail(__FILE__, line, NULL,
			      "op %llu (%#llx, %#llx) completed (result %#llx), want exception %llu",
			      (unsigned long long)op, (unsigned long long)a0,
			      (unsigned long long)a1,
			      (unsigned long long)res[0],
			      (unsigned long long)vector);
	if (exc.args[0] != vector || exc.args[1] != 0 || exc.args[2] != rip)
		hvx_test_fail(__FILE__, line, NULL,
			      "op %llu (%#llx, %#llx): exception %llu error code %#llx at RIP %#llx, want %llu error code 0 at %#llx",
			      (unsigned long long)op, (unsigned long long)a0,
			      (unsigned long long)a1,
			      (unsigned long long)exc.args[0],
			      (unsigned long long)exc.args[1],
			      (unsigned long long)exc.args[2],
			      (unsigned long long)vector,
			      (unsigned long long)rip);
}

#define exec_ok(vcpu, op, a0, a1)					\
	exec_ok_at(vcpu, op, a0, a1, NULL, __LINE__)
#define exec_ok_r(vcpu, op, a0, a1, r)					\
	exec_ok_at(vcpu, op, a0, a1, r, __LINE__)
#define exec_fault(vcpu, op, a0, a1, vector, rip)			\
	exec_fault_at(vcpu, op, a0, a1, vector, rip, __LINE__)

/* A long-mode VM with one vCPU running the executor. */
static struct hvx_vcpu *executor_vm(struct hvx_vm *vm)
{
	struct hvx_vcpu *vcpu;

	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	executor_start(vcpu);
	return vcpu;
}

/* ---- CPUID -------------------------------------------------------------- */

static const struct hvx_cpuid_entry cpuid_table[] = {
	{ .function = 0, .eax = 0x16, .ebx = 0x756e6547,
	  .ecx = 0x6c65746e, .edx = 0x49656e69 },
	/* ECX bit 27 (OSXSAVE) mirrors CR4.OSXSAVE, clear in these guests. */
	{ .function = 1, .eax = 0x000306c3, .ebx = 0x01020304,
	  .ecx = 0x77fafbff, .edx = 0xbfebfbff },
	{ .function = 7, .index = 0, .flags = HVX_CPUID_SIGNIFICANT_INDEX,
	  .eax = 1, .ebx = 0x000027ab, .ecx = 0x9c, .edx = 0x9c000400 },
	{ .function = 7, .index = 1, .flags = HVX_CPUID_SIGNIFICANT_INDEX,
	  .eax = 0x11, .ebx = 0x22, .ecx = 0x33, .edx = 0x44 },
	{ .function = 0x40000000, .index = 5, .eax = 0x40000001,
	  .ebx = 0x68787668, .ecx = 0x76687876, .edx = 0x78766878 },
};

#define CPUID1_ECX_OSXSAVE	(1u << 27)

/*
 * CPUID(@leaf, @subleaf) in the guest must give @e's values (or zeros),
 * except CPUID.1:ECX.OSXSAVE, which mirrors CR4.OSXSAVE (@osxsave).
 */
static void check_cpuid_at(struct hvx_vcpu *vcpu, uint64_t leaf,
			   uint64_t subleaf, const struct hvx_cpuid_entry *e,
			   bool osxsave, int line)
{
	uint32_t ecx = e ? e->ecx : 0;
	uint64_t want0, want1;
	uint64_t r[3];

	if (e && (uint32_t)leaf == 1)
		ecx = (ecx & ~CPUID1_ECX_OSXSAVE) |
		      (osxsave ? CPUID1_ECX_OSXSAVE : 0);
	want0 = e ? e->eax | (uint64_t)e->ebx << 32 : 0;
	want1 = e ? ecx | (uint64_t)e->edx << 32 : 0;

	exec_ok_at(vcpu, OP_CPUID, leaf, subleaf, r, line);
	if (r[0] != want0 || r[1] != want1 || r[2])
		hvx_test_fail(__FILE__, line, NULL,
			      "CPUID(%#llx, %#llx): EAX:EBX %#llx ECX:EDX %#llx high bits %#llx, want %#llx %#llx 0",
			      (unsigned long long)leaf,
			      (unsigned long long)subleaf,
			      (unsigned long long)r[0], (unsigned long long)r[1],
			      (unsigned long long)r[2],
			      (unsigned long long)want0,
			      (unsigned long long)want1);
}

/* With CR4.OSXSAVE clear, as vcpu_setup_long_mode() leaves it. */
#define check_cpuid(vcpu, leaf, subleaf, e)				\
	check_cpuid_at(vcpu, leaf, subleaf, e, false, __LINE__)

static int set_cpuid_raw(struct hvx_vcpu *vcpu, uint32_t nent, uint32_t flags,
			 uint64_t entries)
{
	struct hvx_cpuid c = { .nent = nent, .flags = flags,
			       .entries = entries };

	return ioctl(vcpu->fd, HVX_SET_CPUID, &c);
}

TEST_F_TIMEOUT(exits, cpuid_from_table, 120)
{
	const struct hvx_cpuid_entry *t = cpuid_table;
	struct hvx_cpuid_entry bad[2], *big, t2;
	struct hvx_vcpu *vcpu;
	uint32_t n = sizeof(cpuid_table) / sizeof(cpuid_table[0]);

	NEED_HVX();
	vcpu = executor_vm(NEW_VM(0, GUEST_MEM));

	/* No table yet: every leaf reads as zeros. */
	check_cpuid(vcpu, 0, 0, NULL);
	check_cpuid(vcpu, 1, 0, NULL);

	vcpu_set_cpuid(vcpu, cpuid_table, n);
	check_cpuid(vcpu, 0, 0, &t[0]);
	/* EAX and ECX count as 32 bits; outputs zero-extend into RAX..RDX. */
	check_cpuid(vcpu, 0xdead000000000001ull, 0xbeef000000000055ull, &t[1]);
	/* HVX_CPUID_SIGNIFICANT_INDEX: the sub-leaf selects the entry. */
	check_cpuid(vcpu, 7, 0, &t[2]);
	check_cpuid(vcpu, 7, 1, &t[3]);
	check_cpuid(vcpu, 7, 2, NULL);
	/* Without it the sub-leaf does not matter. */
	check_cpuid(vcpu, 0x40000000, 0x1234, &t[4]);
	check_cpuid(vcpu, 0x40000000, 5, &t[4]);
	/* Leaves not in the table read as zeros. */
	check_cpuid(vcpu, 2, 0, NULL);
	check_cpuid(vcpu, 0x80000000, 0, NULL);
	check_cpuid(vcpu, 0x40000001, 0, NULL);

	/* Bad input is refused and leaves the table as it was. */
	EXPECT_EQ(-1, set_cpuid_raw(vcpu, n, 1, ADDR(cpuid_table)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, set_cpuid_raw(vcpu, n, 0x80000000, ADDR(cpuid_table)));
	EXPECT_EQ(EINVAL, errno);

	big = calloc(HVX_MAX_CPUID_ENTRIES + 1, sizeof(*big));
	ASSERT_NE(NULL, big);
	EXPECT_EQ(-1, set_cpuid_raw(vcpu, HVX_MAX_CPUID_ENTRIES + 1, 0,
				    ADDR(big)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, set_cpuid_raw(vcpu, 0xffffffff, 0, ADDR(big)));
	EXPECT_EQ(EINVAL, errno);

	memcpy(bad, cpuid_table, sizeof(bad));
	bad[1].flags = 2;
	EXPECT_EQ(-1, set_cpuid_raw(vcpu, 2, 0, ADDR(bad)));
	EXPECT_EQ(EINVAL, errno);
	bad[1].flags = 0x80000000 | HVX_CPUID_SIGNIFICANT_INDEX;
	EXPECT_EQ(-1, set_cpuid_raw(vcpu, 2, 0, ADDR(bad)));
	EXPECT_EQ(EINVAL, errno);
	bad[1].flags = 0;
	bad[1].pad = 1;
	EXPECT_EQ(-1, set_cpuid_raw(vcpu, 2, 0, ADDR(bad)));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(-1, set_cpuid_raw(vcpu, 1, 0, 8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, set_cpuid_raw(vcpu, 1, 0, 0xffff888000000000ull));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, HVX_SET_CPUID, (void *)8));
	EXPECT_EQ(EFAULT, errno);

	check_cpuid(vcpu, 1, 0, &t[1]);
	check_cpuid(vcpu, 7, 1, &t[3]);

	/* The limit itself is fine (256 zero entries: leaf 0 reads zeros). */
	EXPECT_EQ(0, set_cpuid_raw(vcpu, HVX_MAX_CPUID_ENTRIES, 0, ADDR(big)));
	free(big);
	check_cpuid(vcpu, 0, 0, NULL);

	/* A new table replaces the old one: nothing is merged. */
	t2 = t[1];
	t2.eax = 0x000906ea;
	t2.ecx = 0x12345678;
	vcpu_set_cpuid(vcpu, &t2, 1);
	check_cpuid(vcpu, 1, 0, &t2);
	check_cpuid(vcpu, 0, 0, NULL);
	check_cpuid(vcpu, 7, 0, NULL);

	/* An empty table: zeros again. */
	vcpu_set_cpuid(vcpu, NULL, 0);
	check_cpuid(vcpu, 1, 0, NULL);
}

/* ---- HLT ---------------------------------------------------------------- */

TEST_F_TIMEOUT(exits, hlt_exit_rip_after, 120)
{
	static const uint8_t real_code[] = {
		0x90,		/* nop */
		0xf4,		/* hlt */
		0xf4,		/* hlt */
	};
	struct hvx_vcpu *vcpu;
	struct hvx_regs regs;
	struct ucall uc;

	NEED_HVX();
	vm_load_self(NEW_VM(0, GUEST_MEM));
	vcpu = vcpu_add(self->vm[0], 0);

	/* Long mode: RIP is past the HLT, and the guest goes on from there. */
	vcpu_setup_long_mode(vcpu, guest_hlt_then_return, 0);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(ADDR(guest_after_hlt), regs.rip);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(42, uc.args[0]);

	/* Real mode: IP past the HLT, each HLT exits once. */
	setup_real_code(vcpu, real_code, sizeof(real_code));
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(2, regs.rip);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(3, regs.rip);
}

/* ---- Port I/O ----------------------------------------------------------- */

static void __guest_code guest_io_out(void)
{
	asm volatile("outb %%al, $0x80"
		     : : "a"(0x11223344556677a1ull) : "memory");
	asm volatile("outw %%ax, %%dx"
		     : : "a"(0x112233445566b2c3ull), "d"((uint16_t)0x3f8)
		     : "memory");
	asm volatile("outl %%eax, %%dx"
		     : : "a"(0x11223344d4e5f607ull), "d"((uint16_t)0xcf8)
		     : "memory");
	asm volatile("outb %%al, %%dx"
		     : : "a"(0x5aull), "d"((uint16_t)0xffff) : "memory");
}

TEST_F_TIMEOUT(exits, io_out_sizes, 120)
{
	static const struct {
		uint16_t port;
		uint8_t size;
		uint32_t data;
	} want[] = {
		{ 0x80, 1, 0xa1 },
		{ 0x3f8, 2, 0xb2c3 },
		{ 0xcf8, 4, 0xd4e5f607 },
		{ 0xffff, 1, 0x5a },
	};
	struct hvx_vcpu *vcpu;
	struct hvx_run *run;
	struct ucall uc;
	unsigned int i;

	NEED_HVX();
	vm_load_self(NEW_VM(0, GUEST_MEM));
	vcpu = vcpu_add(self->vm[0], 0);
	run = vcpu->run;
	vcpu_setup_long_mode(vcpu, guest_io_out, 0);

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, HVX_EXIT_IO);
		EXPECT_EQ(HVX_EXIT_IO_OUT, run->io.direction);
		EXPECT_EQ(want[i].port, run->io.port);
		EXPECT_EQ(want[i].size, run->io.size);
		ASSERT_EQ(1, run->io.count);
		EXPECT_EQ(want[i].data, io_value(vcpu))
			TH_LOG("OUT %u: only the low %u bytes of RAX", i,
			       want[i].size);
	}
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
}

static void __guest_code guest_io_in(void)
{
	uint64_t v;

	v = 0x1122334455667788ull;
	asm volatile("inb $0x60, %%al" : "+a"(v));
	GUEST_SYNC_ARGS(1, v, 0, 0);
	v = 0x1122334455667788ull;
	asm volatile("inw %%dx, %%ax" : "+a"(v) : "d"((uint16_t)0x1f0));
	GUEST_SYNC_ARGS(2, v, 0, 0);
	v = 0x1122334455667788ull;
	asm volatile("inl %%dx, %%eax" : "+a"(v) : "d"((uint16_t)0xcfc));
	GUEST_SYNC_ARGS(3, v, 0, 0);
}

TEST_F_TIMEOUT(exits, io_in_sizes, 120)
{
	static const struct {
		uint16_t port;
		uint8_t size;
		uint32_t data;
		uint64_t rax;
	} want[] = {
		/* 8- and 16-bit IN keep the rest of RAX... */
		{ 0x60, 1, 0xab, 0x11223344556677abull },
		{ 0x1f0, 2, 0xcdef, 0x112233445566cdefull },
		/* ...a 32-bit IN zero-extends, as any 32-bit write. */
		{ 0xcfc, 4, 0x89abcdef, 0x0000000089abcdefull },
	};
	struct hvx_vcpu *vcpu;
	struct hvx_run *run;
	struct ucall uc;
	unsigned int i;

	NEED_HVX();
	vm_load_self(NEW_VM(0, GUEST_MEM));
	vcpu = vcpu_add(self->vm[0], 0);
	run = vcpu->run;
	vcpu_setup_long_mode(vcpu, guest_io_in, 0);

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint8_t *data;

		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, HVX_EXIT_IO);
		EXPECT_EQ(HVX_EXIT_IO_IN, run->io.direction);
		EXPECT_EQ(want[i].port, run->io.port);
		ASSERT_EQ(want[i].size, run->io.size);
		ASSERT_EQ(1, run->io.count);
		data = (uint8_t *)io_bytes(vcpu);
		/* Garbage after the item must not reach the guest. */
		memset(data, 0xee, 8);
		memcpy(data, &want[i].data, want[i].size);

		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		EXPECT_EQ(i + 1, uc.args[0]);
		EXPECT_EQ(want[i].rax, uc.args[1])
			TH_LOG("IN of %u bytes: RAX %#llx, want %#llx",
			       want[i].size, (unsigned long long)uc.args[1],
			       (unsigned long long)want[i].rax);
	}
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
}

/* String I/O buffers, each across a page boundary. */
#define STR_PORT		0x3f8
#define OUTSB_GPA		(0x101000ull - 40)
#define OUTSB_LEN		100
#define OUTSW_GPA		(0x103000ull - 6)
#define OUTSW_COUNT		20
#define OUTSL_GPA		0x103800ull
#define INSB_GPA		(0x105000ull - 30)
#define INSB_LEN		100
#define INSW_GPA		0x106800ull
#define DOWN_OUT_GPA		(0x108000ull - 6)
#define DOWN_IN_GPA		(0x10a000ull - 6)
#define DOWN_LEN		16

static uint8_t str_byte(unsigned int i)
{
	return (uint8_t)(i * 37 + 11);
}

/*
 * Run until the next ucall, gathering what OUTs to @port send (items of
 * @size bytes) into @buf. Returns the ucall command.
 */
static uint64_t collect_outs(struct hvx_vcpu *vcpu, uint8_t size,
			     uint8_t *buf, size_t cap, size_t *len, int *exits,
			     struct ucall *uc)
{
	struct hvx_run *run = vcpu->run;
	int i;

	*len = 0;
	*exits = 0;
	for (i = 0; i < 1000; i++) {
		size_t bytes;

		vcpu_run(vcpu);
		if (run->exit_reason != HVX_EXIT_IO ||
		    run->io.port != STR_PORT)
			return get_ucall(vcpu, uc);
		TEST_ASSERT(run->io.direction == HVX_EXIT_IO_OUT &&
			    run->io.size == size && run->io.count >= 1,
			    "string OUT: direction %u size %u count %u, want out, %u, >= 1",
			    run->io.direction, run->io.size, run->io.count,
			    size);
		bytes = (size_t)run->io.count * size;
		TEST_ASSERT(*len + bytes <= cap,
			    "string OUT sends %zu bytes more than the %zu expected",
			    *len + bytes - cap, cap);
		memcpy(buf + *len, io_bytes(vcpu), bytes);
		*len += bytes;
		(*exits)++;
	}
	TEST_FAIL("string OUT: no ucall after %d exits", i);
}

/* The same for INs: each exit takes the next bytes of @src. */
static uint64_t feed_ins(struct hvx_vcpu *vcpu, uint8_t size,
			 const uint8_t *src, size_t cap, size_t *len,
			 int *exits, struct ucall *uc)
{
	struct hvx_run *run = vcpu->run;
	int i;

	*len = 0;
	*exits = 0;
	for (i = 0; i < 1000; i++) {
		size_t bytes;

		vcpu_run(vcpu);
		if (run->exit_reason != HVX_EXIT_IO ||
		    run->io.port != STR_PORT)
			return get_ucall(vcpu, uc);
		TEST_ASSERT(run->io.direction == HVX_EXIT_IO_IN &&
			    run->io.size == size && run->io.count >= 1,
			    "string IN: direction %u size %u count %u, want in, %u, >= 1",
			    run->io.direction, run->io.size, run->io.count,
			    size);
		bytes = (size_t)run->io.count * size;
		TEST_ASSERT(*len + bytes <= cap,
			    "string IN asks for %zu bytes more than the %zu expected",
			    *len + bytes - cap, cap);
		memcpy((uint8_t *)io_bytes(vcpu), src + *len, bytes);
		*len += bytes;
		(*exits)++;
	}
	TEST_FAIL("string IN: no ucall after %d exits", i);
}

static void __guest_code guest_outs(void)
{
	uint64_t rsi, rcx;

	rsi = OUTSB_GPA;
	rcx = OUTSB_LEN;
	asm volatile("rep outsb"
		     : "+S"(rsi), "+c"(rcx) : "d"((uint16_t)STR_PORT)
		     : "memory");
	GUEST_SYNC_ARGS(1, rsi, rcx, 0);

	rsi = OUTSW_GPA;
	rcx = OUTSW_COUNT;
	asm volatile("rep outsw"
		     : "+S"(rsi), "+c"(rcx) : "d"((uint16_t)STR_PORT)
		     : "memory");
	GUEST_SYNC_ARGS(2, rsi, rcx, 0);

	/* Without REP: one item, RCX untouched. */
	rsi = OUTSL_GPA;
	rcx = 0x77;
	asm volatile("outsl"
		     : "+S"(rsi), "+c"(rcx) : "d"((uint16_t)STR_PORT)
		     : "memory");
	GUEST_SYNC_ARGS(3, rsi, rcx, 0);
}

TEST_F_TIMEOUT(exits, rep_outs, 120)
{
	uint8_t src[OUTSB_LEN], got[OUTSB_LEN];
	struct hvx_vm *vm;
	struct hvx_vcpu *vcpu;
	struct ucall uc;
	size_t len;
	int exits;
	unsigned int i;

	NEED_HVX();
	vm = NEW_VM(0, GUEST_MEM);
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	for (i = 0; i < sizeof(src); i++)
		src[i] = str_byte(i);
	vm_write(vm, OUTSB_GPA, src, OUTSB_LEN);
	vm_write(vm, OUTSW_GPA, src, OUTSW_COUNT * 2);
	vm_write(vm, OUTSL_GPA, src, 4);
	vcpu_setup_long_mode(vcpu, guest_outs, 0);

	/* REP OUTSB of 100 bytes across a page boundary. */
	ASSERT_EQ(UCALL_SYNC, collect_outs(vcpu, 1, got, sizeof(got), &len,
					   &exits, &uc));
	assert_ucall_ok(vcpu, &uc);
	ASSERT_EQ(1, uc.args[0]);
	ASSERT_EQ(OUTSB_LEN, len);
	EXPECT_EQ(0, memcmp(src, got, OUTSB_LEN));
	EXPECT_EQ(OUTSB_GPA + OUTSB_LEN, uc.args[1]);	/* RSI */
	EXPECT_EQ(0, uc.args[2]);			/* RCX */
	TH_LOG("REP OUTSB: %d bytes in %d exits", OUTSB_LEN, exits);

	/* REP OUTSW of 20 words across a page boundary. */
	ASSERT_EQ(UCALL_SYNC, collect_outs(vcpu, 2, got, sizeof(got), &len,
					   &exits, &uc));
	ASSERT_EQ(2, uc.args[0]);
	ASSERT_EQ(OUTSW_COUNT * 2, len);
	EXPECT_EQ(0, memcmp(src, got, OUTSW_COUNT * 2));
	EXPECT_EQ(OUTSW_GPA + OUTSW_COUNT * 2, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);
	TH_LOG("REP OUTSW: %d words in %d exits", OUTSW_COUNT, exits);

	/* OUTSL: one item. */
	ASSERT_EQ(UCALL_SYNC, collect_outs(vcpu, 4, got, sizeof(got), &len,
					   &exits, &uc));
	ASSERT_EQ(3, uc.args[0]);
	ASSERT_EQ(4, len);
	EXPECT_EQ(1, exits);
	EXPECT_EQ(0, memcmp(src, got, 4));
	EXPECT_EQ(OUTSL_GPA + 4, uc.args[1]);
	EXPECT_EQ(0x77, uc.args[2]);

	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
}

static void __guest_code guest_ins(void)
{
	uint64_t rdi, rcx;

	rdi = INSB_GPA;
	rcx = INSB_LEN;
	asm volatile("rep insb"
		     : "+D"(rdi), "+c"(rcx) : "d"((uint16_t)STR_PORT)
		     : "memory");
	GUEST_SYNC_ARGS(1, rdi, rcx, 0);

	rdi = INSW_GPA;
	asm volatile("insw"
		     : "+D"(rdi) : "d"((uint16_t)STR_PORT) : "memory");
	GUEST_SYNC_ARGS(2, rdi, 0, 0);
}

TEST_F_TIMEOUT(exits, rep_ins, 120)
{
	uint8_t src[INSB_LEN + 2], got[INSB_LEN + 2], canary[8];
	struct hvx_vm *vm;
	struct hvx_vcpu *vcpu;
	struct ucall uc;
	size_t len;
	int exits;
	unsigned int i;

	NEED_HVX();
	vm = NEW_VM(0, GUEST_MEM);
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	for (i = 0; i < sizeof(src); i++)
		src[i] = str_byte(i + 3);
	/* Canaries around the destination. */
	memset(canary, 0xc5, sizeof(canary));
	vm_write(vm, INSB_GPA - 8, canary, 8);
	vm_write(vm, INSB_GPA + INSB_LEN, canary, 8);
	vm_write(vm, INSW_GPA + 2, canary, 8);
	vcpu_setup_long_mode(vcpu, guest_ins, 0);

	ASSERT_EQ(UCALL_SYNC, feed_ins(vcpu, 1, src, INSB_LEN, &len, &exits,
				       &uc));
	assert_ucall_ok(vcpu, &uc);
	ASSERT_EQ(1, uc.args[0]);
	ASSERT_EQ(INSB_LEN, len);
	EXPECT_EQ(INSB_GPA + INSB_LEN, uc.args[1]);	/* RDI */
	EXPECT_EQ(0, uc.args[2]);			/* RCX */
	vm_read(vm, INSB_GPA, got, INSB_LEN);
	EXPECT_EQ(0, memcmp(src, got, INSB_LEN));
	vm_read(vm, INSB_GPA - 8, got, 8);
	EXPECT_EQ(0, memcmp(canary, got, 8));
	vm_read(vm, INSB_GPA + INSB_LEN, got, 8);
	EXPECT_EQ(0, memcmp(canary, got, 8));
	TH_LOG("REP INSB: %d bytes in %d exits", INSB_LEN, exits);

	ASSERT_EQ(UCALL_SYNC, feed_ins(vcpu, 2, src + INSB_LEN, 2, &len,
				       &exits, &uc));
	ASSERT_EQ(2, uc.args[0]);
	EXPECT_EQ(1, exits);
	EXPECT_EQ(INSW_GPA + 2, uc.args[1]);
	vm_read(vm, INSW_GPA, got, 2 + 8);
	EXPECT_EQ(0, memcmp(src + INSB_LEN, got, 2));
	EXPECT_EQ(0, memcmp(canary, got + 2, 8));

	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
}

static void __guest_code guest_string_down(void)
{
	uint64_t rsi, rdi, rcx;

	rsi = DOWN_OUT_GPA + DOWN_LEN - 1;
	rcx = DOWN_LEN;
	asm volatile("std\n\t"
		     "rep outsb\n\t"
		     "cld"
		     : "+S"(rsi), "+c"(rcx) : "d"((uint16_t)STR_PORT)
		     : "memory", "cc");
	GUEST_SYNC_ARGS(1, rsi, rcx, 0);

	rdi = DOWN_IN_GPA + DOWN_LEN - 1;
	rcx = DOWN_LEN;
	asm volatile("std\n\t"
		     "rep insb\n\t"
		     "cld"
		     : "+D"(rdi), "+c"(rcx) : "d"((uint16_t)STR_PORT)
		     : "memory", "cc");
	GUEST_SYNC_ARGS(2, rdi, rcx, 0);
}

TEST_F_TIMEOUT(exits, string_io_descending, 120)
{
	uint8_t src[DOWN_LEN], got[DOWN_LEN], want[DOWN_LEN];
	struct hvx_vm *vm;
	struct hvx_vcpu *vcpu;
	struct ucall uc;
	size_t len;
	int exits;
	unsigned int i;

	NEED_HVX();
	vm = NEW_VM(0, GUEST_MEM);
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	for (i = 0; i < DOWN_LEN; i++)
		src[i] = str_byte(i + 50);
	vm_write(vm, DOWN_OUT_GPA, src, DOWN_LEN);
	vcpu_setup_long_mode(vcpu, guest_string_down, 0);

	/* DF = 1: the highest address goes out first. */
	ASSERT_EQ(UCALL_SYNC, collect_outs(vcpu, 1, got, sizeof(got), &len,
					   &exits, &uc));
	assert_ucall_ok(vcpu, &uc);
	ASSERT_EQ(1, uc.args[0]);
	ASSERT_EQ(DOWN_LEN, len);
	for (i = 0; i < DOWN_LEN; i++)
		want[i] = src[DOWN_LEN - 1 - i];
	EXPECT_EQ(0, memcmp(want, got, DOWN_LEN));
	EXPECT_EQ(DOWN_OUT_GPA - 1, uc.args[1]);	/* RSI */
	EXPECT_EQ(0, uc.args[2]);
	TH_LOG("STD; REP OUTSB: %d bytes in %d exits", DOWN_LEN, exits);

	/* And the first byte read lands at the highest address. */
	ASSERT_EQ(UCALL_SYNC, feed_ins(vcpu, 1, src, DOWN_LEN, &len, &exits,
				       &uc));
	ASSERT_EQ(2, uc.args[0]);
	ASSERT_EQ(DOWN_LEN, len);
	EXPECT_EQ(DOWN_IN_GPA - 1, uc.args[1]);	/* RDI */
	EXPECT_EQ(0, uc.args[2]);
	vm_read(vm, DOWN_IN_GPA, got, DOWN_LEN);
	EXPECT_EQ(0, memcmp(want, got, DOWN_LEN));
	TH_LOG("STD; REP INSB: %d bytes in %d exits", DOWN_LEN, exits);

	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
}

/* ---- MMIO --------------------------------------------------------------- */

static void __guest_code guest_mmio(void)
{
	uint64_t v;

	/* Stores of registers: 88, 66 89, 89, REX.W 89, AH, REX.R. */
	asm volatile("movb %%al, (%%rbx)"
		     : : "a"(0x11223344556677f1ull), "b"(MMIO_GPA + 0x00)
		     : "memory");
	asm volatile("movw %%ax, (%%rbx)"
		     : : "a"(0x112233445566f2f3ull), "b"(MMIO_GPA + 0x10)
		     : "memory");
	asm volatile("movl %%eax, (%%rbx)"
		     : : "a"(0x11223344f4f5f6f7ull), "b"(MMIO_GPA + 0x20)
		     : "memory");
	asm volatile("movq %%rax, (%%rbx)"
		     : : "a"(0xf8f9fafbfcfdfeffull), "b"(MMIO_GPA + 0x30)
		     : "memory");
	asm volatile("movb %%ah, (%%rbx)"
		     : : "a"(0xa5c3ull), "b"(MMIO_GPA + 0x40) : "memory");
	{
		register uint64_t r9 asm("r9") = 0x0f1e2d3c4b5a6978ull;

		asm volatile("movq %%r9, 8(%%rbx)"
			     : : "r"(r9), "b"(MMIO_GPA + 0x50) : "memory");
	}
	/* Stores of immediates: C6, 66 C7, C7, REX.W C7 (sign-extended). */
	asm volatile("movb $0x5a, (%%rbx)"
		     : : "b"(MMIO_GPA + 0x60) : "memory");
	asm volatile("movw $0x1234, (%%rbx)"
		     : : "b"(MMIO_GPA + 0x70) : "memory");
	asm volatile("movl $0x89abcdef, (%%rbx)"
		     : : "b"(MMIO_GPA + 0x80) : "memory");
	asm volatile("movq $-2, (%%rbx)"
		     : : "b"(MMIO_GPA + 0x90) : "memory");
	/* A3: MOV moffs64, EAX. */
	asm volatile(".byte 0xa3\n\t.quad " MMIO_GPA_ASM " + 0xa0"
		     : : "a"(0xaaaaaaaa13579bdfull) : "memory");

	/* Loads; each result goes back with a ucall. */
	v = 0x1111111111111111ull;
	asm volatile("movb (%%rbx), %%al"
		     : "+a"(v) : "b"(MMIO_GPA + 0x100) : "memory");
	GUEST_SYNC_ARGS(1, v, 0, 0);
	v = 0x1111111111111111ull;
	asm volatile("movw (%%rbx), %%ax"
		     : "+a"(v) : "b"(MMIO_GPA + 0x110) : "memory");
	GUEST_SYNC_ARGS(2, v, 0, 0);
	v = 0x1111111111111111ull;
	asm volatile("movl (%%rbx), %%eax"
		     : "+a"(v) : "b"(MMIO_GPA + 0x120) : "memory");
	GUEST_SYNC_ARGS(3, v, 0, 0);
	v = 0x1111111111111111ull;
	asm volatile("movq (%%rbx), %%rax"
		     : "+a"(v) : "b"(MMIO_GPA + 0x130) : "memory");
	GUEST_SYNC_ARGS(4, v, 0, 0);
	v = 0x1111111111111111ull;
	asm volatile("movb (%%rbx), %%ah"
		     : "+a"(v) : "b"(MMIO_GPA + 0x140) : "memory");
	GUEST_SYNC_ARGS(5, v, 0, 0);
	{
		register uint64_t r10 asm("r10") = 0x2222222222222222ull;

		asm volatile("movl 4(%%rbx), %%r10d"
			     : "+r"(r10) : "b"(MMIO_GPA + 0x150) : "memory");
		GUEST_SYNC_ARGS(6, r10, 0, 0);
	}
	/* MOVZX and MOVSX. */
	v = ~0ull;
	asm volatile("movzbl (%%rbx), %%eax"
		     : "+a"(v) : "b"(MMIO_GPA + 0x160) : "memory");
	GUEST_SYNC_ARGS(7, v, 0, 0);
	v = 0x3333333333333333ull;
	asm volatile("movzbw (%%rbx), %%ax"
		     : "+a"(v) : "b"(MMIO_GPA + 0x170) : "memory");
	GUEST_SYNC_ARGS(8, v, 0, 0);
	v = ~0ull;
	asm volatile("movzwq (%%rbx), %%rax"
		     : "+a"(v) : "b"(MMIO_GPA + 0x180) : "memory");
	GUEST_SYNC_ARGS(9, v, 0, 0);
	v = 0;
	asm volatile("movsbq (%%rbx), %%rax"
		     : "+a"(v) : "b"(MMIO_GPA + 0x190) : "memory");
	GUEST_SYNC_ARGS(10, v, 0, 0);
	v = 0x4444444444444444ull;
	asm volatile("movswl (%%rbx), %%eax"
		     : "+a"(v) : "b"(MMIO_GPA + 0x1a0) : "memory");
	GUEST_SYNC_ARGS(11, v, 0, 0);
	v = 0x5555555555555555ull;
	asm volatile("movsbw (%%rbx), %%ax"
		     : "+a"(v) : "b"(MMIO_GPA + 0x1b0) : "memory");
	GUEST_SYNC_ARGS(12, v, 0, 0);
	/* A1: MOV EAX, moffs64; REX.W A1: MOV RAX, moffs64. */
	v = ~0ull;
	asm volatile(".byte 0xa1\n\t.quad " MMIO_GPA_ASM " + 0x1c0"
		     : "+a"(v) : : "memory");
	GUEST_SYNC_ARGS(13, v, 0, 0);
	v = 0;
	asm volatile(".byte 0x48, 0xa1\n\t.quad " MMIO_GPA_ASM " + 0x1d0"
		     : "+a"(v) : : "memory");
	GUEST_SYNC_ARGS(14, v, 0, 0);
}

static const struct mmio_step {
	bool write;
	uint64_t off;
	uint32_t len;
	uint64_t data;		/* stored, or what the host answers */
	uint64_t stage;		/* loads: the ucall that reports the result */
	uint64_t result;	/* loads: the register afterwards */
} mmio_steps[] = {
	{ true, 0x00, 1, 0xf1 },
	{ true, 0x10, 2, 0xf2f3 },
	{ true, 0x20, 4, 0xf4f5f6f7 },
	{ true, 0x30, 8, 0xf8f9fafbfcfdfeffull },
	{ true, 0x40, 1, 0xa5 },
	{ true, 0x58, 8, 0x0f1e2d3c4b5a6978ull },
	{ true, 0x60, 1, 0x5a },
	{ true, 0x70, 2, 0x1234 },
	{ true, 0x80, 4, 0x89abcdef },
	{ true, 0x90, 8, 0xfffffffffffffffeull },
	{ true, 0xa0, 4, 0x13579bdf },
	/* 8- and 16-bit loads merge, 32-bit loads zero-extend. */
	{ false, 0x100, 1, 0xab, 1, 0x11111111111111abull },
	{ false, 0x110, 2, 0xcdef, 2, 0x111111111111cdefull },
	{ false, 0x120, 4, 0x89abcdef, 3, 0x0000000089abcdefull },
	{ false, 0x130, 8, 0x0123456789abcdefull, 4, 0x0123456789abcdefull },
	{ false, 0x140, 1, 0x4b, 5, 0x1111111111114b11ull },
	{ false, 0x154, 4, 0x87654321, 6, 0x0000000087654321ull },
	{ false, 0x160, 1, 0x80, 7, 0x80 },
	{ false, 0x170, 1, 0x81, 8, 0x3333333333330081ull },
	{ false, 0x180, 2, 0x8001, 9, 0x8001 },
	{ false, 0x190, 1, 0x80, 10, 0xffffffffffffff80ull },
	{ false, 0x1a0, 2, 0x8001, 11, 0x00000000ffff8001ull },
	{ false, 0x1b0, 1, 0x80, 12, 0x555555555555ff80ull },
	{ false, 0x1c0, 4, 0x12345678, 13, 0x12345678 },
	{ false, 0x1d0, 8, 0xfedcba9876543210ull, 14, 0xfedcba9876543210ull },
};

TEST_F_TIMEOUT(exits, mmio_long_mode, 120)
{
	struct hvx_vcpu *vcpu;
	struct hvx_run *run;
	struct ucall uc;
	unsigned int i;

	NEED_HVX();
	vm_load_self(NEW_VM(0, GUEST_MEM));
	vcpu = vcpu_add(self->vm[0], 0);
	run = vcpu->run;
	vcpu_setup_long_mode(vcpu, guest_mmio, 0);

	for (i = 0; i < sizeof(mmio_steps) / sizeof(mmio_steps[0]); i++) {
		const struct mmio_step *s = &mmio_steps[i];
		uint64_t v = 0;

		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, HVX_EXIT_MMIO);
		ASSERT_EQ(s->write, run->mmio.is_write)
			TH_LOG("step %u: direction", i);
		EXPECT_EQ(MMIO_GPA + s->off, run->mmio.phys_addr)
			TH_LOG("step %u: address", i);
		ASSERT_EQ(s->len, run->mmio.len) TH_LOG("step %u: length", i);
		if (s->write) {
			memcpy(&v, run->mmio.data, s->len);
			EXPECT_EQ(s->data, v) TH_LOG("step %u: data stored", i);
			continue;
		}
		/* Bytes past len must not reach the register. */
		memset(run->mmio.data, 0xee, sizeof(run->mmio.data));
		memcpy(run->mmio.data, &s->data, s->len);
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(s->stage, uc.args[0]);
		EXPECT_EQ(s->result, uc.args[1])
			TH_LOG("step %u: register %#llx, want %#llx", i,
			       (unsigned long long)uc.args[1],
			       (unsigned long long)s->result);
	}
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
}

TEST_F_TIMEOUT(exits, mmio_real_mode, 120)
{
	/*
	 * Guest memory is 1 MiB, so FFFF:0010 (linear 0x100000) is outside
	 * it, as the HMA is on a PC without memory there.
	 */
	static const uint8_t code[] = {
		0xb8, 0xff, 0xff,	/* mov $0xffff, %ax */
		0x8e, 0xd8,		/* mov %ax, %ds */
		0xbb, 0x10, 0x00,	/* mov $0x0010, %bx */
		0xb8, 0x34, 0x12,	/* mov $0x1234, %ax */
		0x89, 0x07,		/* mov %ax, (%bx) */
		0xc6, 0x47, 0x01, 0x5a,	/* movb $0x5a, 1(%bx) */
		0x8b, 0x0f,		/* mov (%bx), %cx */
		0xf4,			/* hlt */
	};
	struct hvx_vcpu *vcpu;
	struct hvx_run *run;
	struct hvx_regs regs;
	uint64_t v;

	NEED_HVX();
	vcpu = vcpu_add(NEW_VM(0, HVX_SYS_SIZE), 0);
	run = vcpu->run;
	setup_real_code(vcpu, code, sizeof(code));
	vcpu_regs_get(vcpu, &regs);
	regs.rcx = 0x1122334455667788ull;
	vcpu_regs_set(vcpu, &regs);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_MMIO);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(0x100000, run->mmio.phys_addr);
	ASSERT_EQ(2, run->mmio.len);
	v = 0;
	memcpy(&v, run->mmio.data, 2);
	EXPECT_EQ(0x1234, v);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_MMIO);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(0x100001, run->mmio.phys_addr);
	ASSERT_EQ(1, run->mmio.len);
	EXPECT_EQ(0x5a, run->mmio.data[0]);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_MMIO);
	EXPECT_EQ(0, run->mmio.is_write);
	EXPECT_EQ(0x100000, run->mmio.phys_addr);
	ASSERT_EQ(2, run->mmio.len);
	memset(run->mmio.data, 0xee, sizeof(run->mmio.data));
	run->mmio.data[0] = 0xef;
	run->mmio.data[1] = 0xbe;

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	/* A 16-bit load keeps bits 31:16 (63:32 are undefined here). */
	EXPECT_EQ(0x5566beefull, regs.rcx & 0xffffffffull);
	EXPECT_EQ(sizeof(code), regs.rip);
}

/* ---- Emulated MMIO instructions beyond MOV ------------------------------ */

#define EM(off)		(MMIO_GPA + 0x800 + (off))
#define FL_ARITH	0x8d5ull	/* CF PF AF ZF SF OF */
/* RFLAGS into %[f]; PUSHFQ steps over the red zone. */
#define FLAGS_OUT	"\n\tlea -128(%%rsp), %%rsp\n\tpushfq\n\tpopq %[f]" \
			"\n\tlea 128(%%rsp), %%rsp"

static uint8_t emul_ram[32] __attribute__((aligned(16)));

/*
 * Each instruction aims at MMIO; the host serves each access and checks
 * its address, size and data (emul_evs below). Results and the flags come
 * back with ucalls. PUSH, POP and PUSHF step over the red zone.
 */
static void __guest_code guest_emul(void)
{
	volatile uint64_t *ram = (volatile uint64_t *)emul_ram;
	uint64_t f, a, c, s, d;

	asm volatile("clc\n\tlock addl $0x10, (%[p])" FLAGS_OUT
		     : [f] "=r"(f) : [p] "r"(EM(0x00)) : "memory", "cc");
	GUEST_SYNC_ARGS(1, f & FL_ARITH, 0, 0);
	asm volatile("cmpl $5, (%[p])" FLAGS_OUT
		     : [f] "=r"(f) : [p] "r"(EM(0x10)) : "memory", "cc");
	GUEST_SYNC_ARGS(2, f & FL_ARITH, 0, 0);
	asm volatile("testb $0x80, (%[p])" FLAGS_OUT
		     : [f] "=r"(f) : [p] "r"(EM(0x20)) : "memory", "cc");
	GUEST_SYNC_ARGS(3, f & FL_ARITH, 0, 0);
	a = 10;
	asm volatile("subq (%[p]), %[a]" FLAGS_OUT
		     : [a] "+r"(a), [f] "=r"(f) : [p] "r"(EM(0x30))
		     : "memory", "cc");
	GUEST_SYNC_ARGS(4, a, f & FL_ARITH, 0);
	asm volatile("stc\n\tadcw $1, (%[p])" FLAGS_OUT
		     : [f] "=r"(f) : [p] "r"(EM(0x40)) : "memory", "cc");
	GUEST_SYNC_ARGS(5, f & FL_ARITH, 0, 0);
	asm volatile("negb (%[p])" FLAGS_OUT
		     : [f] "=r"(f) : [p] "r"(EM(0x50)) : "memory", "cc");
	GUEST_SYNC_ARGS(6, f & FL_ARITH, 0, 0);
	asm volatile("stc\n\tincl (%[p])" FLAGS_OUT
		     : [f] "=r"(f) : [p] "r"(EM(0x60)) : "memory", "cc");
	GUEST_SYNC_ARGS(7, f & FL_ARITH, 0, 0);
	a = 0x1122334455667788ull;
	asm volatile("xchgq %[a], (%[p])"
		     : [a] "+r"(a) : [p] "r"(EM(0x70)) : "memory");
	GUEST_SYNC_ARGS(8, a, 0, 0);
	a = 0x1234;
	asm volatile("lock cmpxchgl %k[c], (%[p])" FLAGS_OUT
		     : "+a"(a), [f] "=r"(f) : [c] "r"(0x5678ull),
		       [p] "r"(EM(0x80)) : "memory", "cc");
	GUEST_SYNC_ARGS(9, a, f & FL_ARITH, 0);
	a = 0x1234;
	asm volatile("lock cmpxchgl %k[c], (%[p])" FLAGS_OUT
		     : "+a"(a), [f] "=r"(f) : [c] "r"(0x5678ull),
		       [p] "r"(EM(0x90)) : "memory", "cc");
	GUEST_SYNC_ARGS(10, a, f & FL_ARITH, 0);
	/* Bit 35 of the dword at 0xa0: bit 3 of the next dword. */
	asm volatile("lock btsl %k[c], (%[p])" FLAGS_OUT
		     : [f] "=r"(f) : [c] "r"(35ull), [p] "r"(EM(0xa0))
		     : "memory", "cc");
	GUEST_SYNC_ARGS(11, f & 1, 0, 0);
	asm volatile("btrw $17, (%[p])" FLAGS_OUT
		     : [f] "=r"(f) : [p] "r"(EM(0xb0)) : "memory", "cc");
	GUEST_SYNC_ARGS(12, f & 1, 0, 0);
	asm volatile("movbe (%[p]), %k[a]"
		     : [a] "=r"(a) : [p] "r"(EM(0xc0)) : "memory");
	GUEST_SYNC_ARGS(13, a, 0, 0);
	asm volatile("movbe %k[c], (%[p])"
		     : : [c] "r"(0x11223344ull), [p] "r"(EM(0xd0)) : "memory");
	asm volatile("movnti %[c], (%[p])"
		     : : [c] "r"(0x0102030405060708ull), [p] "r"(EM(0xe0))
		     : "memory");
	asm volatile("sub $128, %%rsp\n\tpushq (%[p])\n\tpopq %[a]\n\t"
		     "add $128, %%rsp"
		     : [a] "=r"(a) : [p] "r"(EM(0xf0)) : "memory");
	GUEST_SYNC_ARGS(16, a, 0, 0);
	asm volatile("sub $128, %%rsp\n\tpushq $0x77\n\tpopq (%[p])\n\t"
		     "add $128, %%rsp"
		     : : [p] "r"(EM(0x100)) : "memory");

	/* REP MOVSB from RAM to MMIO: four writes, one per element. */
	ram[0] = 0x44434241;	/* "ABCD" */
	s = (uint64_t)emul_ram;
	d = EM(0x200);
	c = 4;
	asm volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(c) : : "memory");
	GUEST_SYNC_ARGS(18, c, s - (uint64_t)emul_ram, d - EM(0x200));
	/* REP MOVSW from MMIO to RAM, descending. */
	ram[0] = 0;
	ram[1] = 0;
	s = EM(0x306);
	d = (uint64_t)emul_ram + 14;
	c = 3;
	asm volatile("std\n\trep movsw\n\tcld"
		     : "+S"(s), "+D"(d), "+c"(c) : : "memory", "cc");
	GUEST_SYNC_ARGS(19, c, s - EM(0x300), d - (uint64_t)emul_ram);
	GUEST_SYNC_ARGS(20, ram[1], 0, 0);
	/* REPNE SCASB stops at the match. */
	d = EM(0x400);
	c = 10;
	asm volatile("repne scasb" FLAGS_OUT
		     : "+D"(d), "+c"(c), [f] "=r"(f) : "a"(0x5aull)
		     : "memory", "cc");
	GUEST_SYNC_ARGS(21, c, d - EM(0x400), f & FL_ARITH);
	s = EM(0x500);
	asm volatile("lodsq" : "+S"(s), "=a"(a) : : "memory");
	GUEST_SYNC_ARGS(22, a, s - EM(0x500), 0);
	d = EM(0x600);
	c = 2;
	asm volatile("rep stosl" : "+D"(d), "+c"(c) : "a"(0xdeadbeefull)
		     : "memory");
	GUEST_SYNC_ARGS(23, c, d - EM(0x600), 0);
	ram[0] = 'A';
	s = (uint64_t)emul_ram;
	d = EM(0x700);
	asm volatile("cmpsb" FLAGS_OUT
		     : "+S"(s), "+D"(d), [f] "=r"(f) : : "memory", "cc");
	GUEST_SYNC_ARGS(24, f & FL_ARITH, s - (uint64_t)emul_ram,
			d - EM(0x700));
	/* MOVSL from MMIO to MMIO: a read exit, then a write exit. */
	s = EM(0x780);
	d = EM(0x790);
	asm volatile("movsl" : "+S"(s), "+D"(d) : : "memory");
	GUEST_SYNC_ARGS(25, s - EM(0x780), d - EM(0x790), 0);
	/* An FS override: the source is FS.base + RSI (fs:0 holds it). */
	asm volatile("mov %%fs:0, %0" : "=r"(a));
	s = EM(0x7a0) - a;
	d = (uint64_t)emul_ram;
	ram[0] = 0;
	asm volatile("movsl %%fs:(%%rsi), %%es:(%%rdi)"
		     : "+S"(s), "+D"(d) : : "memory");
	GUEST_SYNC_ARGS(26, ram[0], d - (uint64_t)emul_ram, 0);
}

/* What the host sees of guest_emul(), in order. */
struct emul_ev {
	char kind;		/* 'r' read, 'w' write, 's' ucall */
	uint64_t gpa;		/* 's': the stage */
	uint32_t len;
	uint64_t data;		/* 'r': the answer, 'w': what is stored */
	uint64_t a1, a2, a3;	/* 's': args[1..3] */
};

#define EV_R(off, l, v)		{ 'r', EM(off), l, v }
#define EV_W(off, l, v)		{ 'w', EM(off), l, v }
#define EV_S(n, x, y, z)	{ 's', n, 0, 0, x, y, z }

/*
 * The expected flags are those of the host CPU for the same operands.
 * A read-modify-write reads, then writes; CMP and TEST only read.
 */
static const struct emul_ev emul_evs[] = {
	EV_R(0x00, 4, 0xfffffff8), EV_W(0x00, 4, 0x8), EV_S(1, 0x1, 0, 0),
	EV_R(0x10, 4, 5), EV_S(2, 0x44, 0, 0),
	EV_R(0x20, 1, 0x80), EV_S(3, 0x80, 0, 0),
	EV_R(0x30, 8, 11), EV_S(4, ~0ull, 0x95, 0),
	EV_R(0x40, 2, 0xfffe), EV_W(0x40, 2, 0), EV_S(5, 0x55, 0, 0),
	EV_R(0x50, 1, 0x80), EV_W(0x50, 1, 0x80), EV_S(6, 0x881, 0, 0),
	EV_R(0x60, 4, 0x7fffffff), EV_W(0x60, 4, 0x80000000),
	EV_S(7, 0x895, 0, 0),
	EV_R(0x70, 8, 0xaabbccddeeff0011ull),
	EV_W(0x70, 8, 0x1122334455667788ull),
	EV_S(8, 0xaabbccddeeff0011ull, 0, 0),
	/* CMPXCHG: equal stores the source; not equal stores the old value. */
	EV_R(0x80, 4, 0x1234), EV_W(0x80, 4, 0x5678), EV_S(9, 0x1234, 0x44, 0),
	EV_R(0x90, 4, 0x9999), EV_W(0x90, 4, 0x9999),
	EV_S(10, 0x9999, 0x91, 0),
	EV_R(0xa4, 4, 0), EV_W(0xa4, 4, 0x8), EV_S(11, 0, 0, 0),
	EV_R(0xb0, 2, 0x2), EV_W(0xb0, 2, 0), EV_S(12, 1, 0, 0),
	EV_R(0xc0, 4, 0x11223344), EV_S(13, 0x44332211, 0, 0),
	EV_W(0xd0, 4, 0x44332211),
	EV_W(0xe0, 8, 0x0102030405060708ull),
	EV_R(0xf0, 8, 0x1234567890ull), EV_S(16, 0x1234567890ull, 0, 0),
	EV_W(0x100, 8, 0x77),
	EV_W(0x200, 1, 'A'), EV_W(0x201, 1, 'B'), EV_W(0x202, 1, 'C'),
	EV_W(0x203, 1, 'D'), EV_S(18, 0, 4, 4),
	EV_R(0x306, 2, 0x1111), EV_R(0x304, 2, 0x2222),
	EV_R(0x302, 2, 0x3333), EV_S(19, 0, 0, 8),
	EV_S(20, 0x1111222233330000ull, 0, 0),
	EV_R(0x400, 1, 0x01), EV_R(0x401, 1, 0x5a), EV_S(21, 8, 2, 0x44),
	EV_R(0x500, 8, 0xfedcba9876543210ull),
	EV_S(22, 0xfedcba9876543210ull, 8, 0),
	EV_W(0x600, 4, 0xdeadbeef), EV_W(0x604, 4, 0xdeadbeef),
	EV_S(23, 0, 8, 0),
	EV_R(0x700, 1, 'A'), EV_S(24, 0x44, 1, 1),
	EV_R(0x780, 4, 0xcafef00d), EV_W(0x790, 4, 0xcafef00d),
	EV_S(25, 4, 4, 0),
	EV_R(0x7a0, 4, 0x600df00d), EV_S(26, 0x600df00d, 4, 0),
};

/*
 * Run to the next exit and check that it is the MMIO access @ev: a
 * write's data, or a read, answered with @ev->data. Returns the RIP at
 * the exit.
 */
static uint64_t serve_mmio(struct __test_metadata *_metadata,
			   struct hvx_vcpu *vcpu, const struct emul_ev *ev,
			   unsigned int i)
{
	struct hvx_run *run = vcpu->run;
	struct hvx_regs regs;
	uint64_t v = 0;

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_MMIO);
	EXPECT_EQ(ev->kind == 'w', run->mmio.is_write)
		TH_LOG("event %u: direction", i);
	EXPECT_EQ(ev->gpa, run->mmio.phys_addr)
		TH_LOG("event %u: address %#llx", i,
		       (unsigned long long)run->mmio.phys_addr);
	EXPECT_EQ(ev->len, run->mmio.len) TH_LOG("event %u: length", i);
	if (ev->kind == 'w') {
		memcpy(&v, run->mmio.data, ev->len <= 8 ? ev->len : 8);
		EXPECT_EQ(ev->data, v) TH_LOG("event %u: stored %#llx", i,
					      (unsigned long long)v);
	} else {
		memset(run->mmio.data, 0xee, sizeof(run->mmio.data));
		memcpy(run->mmio.data, &ev->data, ev->len <= 8 ? ev->len : 8);
	}
	vcpu_regs_get(vcpu, &regs);
	return regs.rip;
}

TEST_F_TIMEOUT(exits, mmio_emulated_long_mode, 120)
{
	struct hvx_vcpu *vcpu;
	uint64_t rip = 0, prev_gpa = ~0ull;
	struct ucall uc;
	unsigned int i;

	NEED_HVX();
	vm_load_self(NEW_VM(0, GUEST_MEM));
	vcpu = vcpu_add(self->vm[0], 0);
	vcpu_setup_long_mode(vcpu, guest_emul, 0);

	for (i = 0; i < sizeof(emul_evs) / sizeof(emul_evs[0]); i++) {
		const struct emul_ev *ev = &emul_evs[i];
		uint64_t at;

		if (ev->kind == 's') {
			ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc))
				TH_LOG("event %u", i);
			ASSERT_EQ(ev->gpa, uc.args[0]) TH_LOG("event %u", i);
			EXPECT_EQ(ev->a1, uc.args[1])
				TH_LOG("stage %llu: %#llx", (unsigned long long)ev->gpa,
				       (unsigned long long)uc.args[1]);
			EXPECT_EQ(ev->a2, uc.args[2])
				TH_LOG("stage %llu: %#llx", (unsigned long long)ev->gpa,
				       (unsigned long long)uc.args[2]);
			EXPECT_EQ(ev->a3, uc.args[3])
				TH_LOG("stage %llu: %#llx", (unsigned long long)ev->gpa,
				       (unsigned long long)uc.args[3]);
			prev_gpa = ~0ull;
			continue;
		}
		at = serve_mmio(_metadata, vcpu, ev, i);
		/* The write of a read-modify-write: RIP has not moved yet. */
		if (ev->kind == 'w' && ev->gpa == prev_gpa)
			EXPECT_EQ(rip, at) TH_LOG("event %u: RIP moved before the write",
						 i);
		rip = at;
		prev_gpa = ev->kind == 'r' ? ev->gpa : ~0ull;
	}
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
}

/* Raw 16- and 32-bit code: ALU read-modify-write and REP STOS. */
TEST_F_TIMEOUT(exits, mmio_emulated_real_and_protected_mode, 120)
{
	static const uint8_t real_code[] = {
		0xb8, 0xff, 0xff,	/* mov $0xffff, %ax */
		0x8e, 0xd8,		/* mov %ax, %ds */
		0x8e, 0xc0,		/* mov %ax, %es */
		0xbb, 0x10, 0x00,	/* mov $0x10, %bx */
		0x83, 0x07, 0x10,	/* addw $0x10, (%bx) */
		0xbf, 0x20, 0x00,	/* mov $0x20, %di */
		0xb9, 0x02, 0x00,	/* mov $2, %cx */
		0xb0, 0x5a,		/* mov $0x5a, %al */
		0xf3, 0xaa,		/* rep stosb */
		0xbf, 0xff, 0xff,	/* mov $0xffff, %di */
		0xb9, 0x02, 0x00,	/* mov $2, %cx */
		0xf3, 0xaa,		/* rep stosb: DI wraps to 0 */
		0xf4,			/* hlt */
	};
	static const uint8_t prot_code[] = {
		0xbb, 0x00, 0x10, 0x00, 0xc0,	/* mov $0xc0001000, %ebx */
		0xf0, 0xff, 0x03,		/* lock incl (%ebx) */
		0xb9, 0x03, 0x00, 0x00, 0x00,	/* mov $3, %ecx */
		0xbf, 0x00, 0x11, 0x00, 0xc0,	/* mov $0xc0001100, %edi */
		0xb8, 0x11, 0x00, 0x00, 0x00,	/* mov $0x11, %eax */
		0x66, 0xf3, 0xab,		/* rep stosw */
		0xf4,				/* hlt */
	};
	static const struct emul_ev real_evs[] = {
		{ 'r', 0x100000, 2, 0xfff8 }, { 'w', 0x100000, 2, 0x0008 },
		{ 'w', 0x100010, 1, 0x5a }, { 'w', 0x100011, 1, 0x5a },
		/* ES:FFFF, then ES:0000 = 0xffff0: RAM, the CPU's own. */
		{ 'w', 0x10ffef, 1, 0x5a },
	};
	static const struct emul_ev prot_evs[] = {
		{ 'r', 0xc0001000, 4, 0x7fffffff },
		{ 'w', 0xc0001000, 4, 0x80000000 },
		{ 'w', 0xc0001100, 2, 0x11 }, { 'w', 0xc0001102, 2, 0x11 },
		{ 'w', 0xc0001104, 2, 0x11 },
	};
	struct hvx_vcpu *vcpu;
	struct hvx_regs regs;
	unsigned int i;
	uint8_t b = 0;

	NEED_HVX();
	vcpu = vcpu_add(NEW_VM(0, HVX_SYS_SIZE), 0);
	setup_real_code(vcpu, real_code, sizeof(real_code));
	for (i = 0; i < sizeof(real_evs) / sizeof(real_evs[0]); i++)
		serve_mmio(_metadata, vcpu, &real_evs[i], i);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0x1, regs.rflags & FL_ARITH);	/* 0xfff8 + 0x10: CF */
	EXPECT_EQ(0, regs.rcx & 0xffff);
	EXPECT_EQ(0x0001, regs.rdi & 0xffff);
	EXPECT_EQ(sizeof(real_code), regs.rip);
	vm_read(vcpu->vm, 0xffff0, &b, 1);
	EXPECT_EQ(0x5a, b);

	vcpu = vcpu_add(NEW_VM(1, GUEST_MEM), 0);
	vm_write(vcpu->vm, PROT_CODE_GPA, prot_code, sizeof(prot_code));
	vcpu_setup_protected_mode(vcpu, PROT_CODE_GPA);
	for (i = 0; i < sizeof(prot_evs) / sizeof(prot_evs[0]); i++)
		serve_mmio(_metadata, vcpu, &prot_evs[i], i);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	/* INC to 0x80000000: OF SF AF PF, CF kept clear. */
	EXPECT_EQ(0x894, regs.rflags & FL_ARITH);
	EXPECT_EQ(0, regs.rcx & 0xffffffff);
	EXPECT_EQ(0xc0001106, regs.rdi & 0xffffffff);
	EXPECT_EQ(PROT_CODE_GPA + sizeof(prot_code), regs.rip);
}

/*
 * Faults of the emulated access, before any device access: a string
 * element written into a page the guest has not mapped is the #PF it
 * would be on RAM (write, not present, CR2 at that page), one at a
 * non-canonical address a #GP(0), a PUSH on a non-canonical stack #SS(0).
 */
TEST_F_TIMEOUT(exits, mmio_emulated_faults, 120)
{
	struct hvx_vcpu *vcpu;
	struct hvx_vm *vm;
	struct ucall uc;
	uint64_t *pte;

	NEED_HVX();
	vm = NEW_VM(0, GUEST_MEM);
	vm_load_self(vm);
	vcpu = vcpu_add(vm, 0);
	vcpu_setup_long_mode(vcpu, guest_emul_pf, MMIO_GPA + 0x10);
	/* GVA 0x101000: not present (the first 2 MiB have 4 KiB pages). */
	pte = vm_gpa_to_hva(vm, vm->sys_gpa + HVX_SYS_PT0);
	pte[0x101] = 0;
	vcpu_run(vcpu);
	ASSERT_EQ(UCALL_UNHANDLED, get_ucall(vcpu, &uc))
		TH_LOG("want the #PF first, not an MMIO access");
	EXPECT_EQ(14, uc.args[0]);
	EXPECT_EQ(2, uc.args[1]);		/* a write, not present */
	EXPECT_EQ(ADDR(insn_emul_pf), uc.args[2]);
	EXPECT_EQ(0x101000, uc.args[3]);

	vcpu = vcpu_add(NEW_VM(1, GUEST_MEM), 0);
	vm_load_self(vcpu->vm);
	vcpu_setup_long_mode(vcpu, guest_emul_gp, MMIO_GPA + 0x10);
	vcpu_run(vcpu);
	ASSERT_EQ(UCALL_UNHANDLED, get_ucall(vcpu, &uc))
		TH_LOG("want the #GP first, not an MMIO access");
	EXPECT_EQ(GP_VECTOR, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(ADDR(insn_emul_gp), uc.args[2]);

	vcpu = vcpu_add(NEW_VM(2, GUEST_MEM), 0);
	vm_load_self(vcpu->vm);
	vcpu_setup_long_mode(vcpu, guest_emul_ss, MMIO_GPA + 0x10);
	vcpu_run(vcpu);
	ASSERT_EQ(UCALL_UNHANDLED, get_ucall(vcpu, &uc))
		TH_LOG("want the #SS first, not an MMIO access");
	EXPECT_EQ(SS_VECTOR, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(ADDR(insn_emul_ss), uc.args[2]);
}

TEST_F_TIMEOUT(exits, mmio_undecodable_internal_error, 120)
{
	struct hvx_vcpu *vcpu;
	struct hvx_run *run;

	NEED_HVX();
	vm_load_self(NEW_VM(0, GUEST_MEM));
	vcpu = vcpu_add(self->vm[0], 0);
	run = vcpu->run;
	vcpu_setup_long_mode(vcpu, guest_mmio_add, MMIO_GPA + 8);

	/* MUL is not emulated: an emulation error with address and RIP. */
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(HVX_INTERNAL_EMULATION, run->internal.suberror);
	ASSERT_LE(2, run->internal.ndata);
	EXPECT_EQ(MMIO_GPA + 8, run->internal.data[0]);
	EXPECT_EQ(ADDR(insn_mmio_add), run->internal.data[1]);
}

/* ---- MSRs --------------------------------------------------------------- */

TEST_F_TIMEOUT(exits, msr_round_trip, 120)
{
	static const struct {
		uint64_t msr, value;
	} msrs[] = {
		{ MSR_LSTAR, 0xffffffff81a00000ull },
		{ MSR_STAR, 0x0023001000000000ull },
		{ MSR_CSTAR, 0xffffffff81a00080ull },
		{ MSR_SFMASK, 0x00047700ull },
		{ MSR_KERNEL_GS_BASE, 0xffff888812345678ull },
	};
	unsigned int n = sizeof(msrs) / sizeof(msrs[0]), i;
	struct hvx_vcpu *vcpu;

	NEED_HVX();
	vcpu = executor_vm(NEW_VM(0, GUEST_MEM));

	/* Each command is its own HVX_RUN: values survive the host's use. */
	for (i = 0; i < n; i++) {
		exec_ok(vcpu, OP_WRMSR, msrs[i].msr, msrs[i].value);
		EXPECT_EQ(msrs[i].value, exec_ok(vcpu, OP_RDMSR, msrs[i].msr, 0))
			TH_LOG("MSR %#llx", (unsigned long long)msrs[i].msr);
	}
	for (i = 0; i < n; i++)
		EXPECT_EQ(msrs[i].value, exec_ok(vcpu, OP_RDMSR, msrs[i].msr, 0))
			TH_LOG("MSR %#llx read again",
			       (unsigned long long)msrs[i].msr);

	/* EFER as the mode setup left it: SCE, LME, LMA. */
	EXPECT_EQ(LM_EFER, exec_ok(vcpu, OP_RDMSR, MSR_EFER, 0));

	/* PAT: reset value, then a valid new one. */
	EXPECT_EQ(PAT_RESET, exec_ok(vcpu, OP_RDMSR, MSR_PAT, 0));
	exec_ok(vcpu, OP_WRMSR, MSR_PAT, 0x0007010600070106ull);
	EXPECT_EQ(0x0007010600070106ull, exec_ok(vcpu, OP_RDMSR, MSR_PAT, 0));

	/* IA32_FEATURE_CONTROL: locked with VMX off. */
	EXPECT_EQ(1, exec_ok(vcpu, OP_RDMSR, MSR_FEAT_CTL, 0));
}

TEST_F_TIMEOUT(exits, msr_faults, 120)
{
	const uint64_t lstar = 0xffffffff81c00000ull;
	struct hvx_vcpu *vcpu;

	NEED_HVX();
	vcpu = executor_vm(NEW_VM(0, GUEST_MEM));

	/* A non-canonical LSTAR is #GP and changes nothing. */
	exec_ok(vcpu, OP_WRMSR, MSR_LSTAR, lstar);
	exec_fault(vcpu, OP_WRMSR, MSR_LSTAR, 0x0000800000000000ull,
		   GP_VECTOR, ADDR(insn_wrmsr));
	executor_start(vcpu);
	EXPECT_EQ(lstar, exec_ok(vcpu, OP_RDMSR, MSR_LSTAR, 0));

	exec_fault(vcpu, OP_WRMSR, MSR_KERNEL_GS_BASE, 0x8000000000000000ull,
		   GP_VECTOR, ADDR(insn_wrmsr));
	executor_start(vcpu);

	/* An MSR hvx does not know: #GP, read or write. */
	exec_fault(vcpu, OP_RDMSR, MSR_UNKNOWN, 0, GP_VECTOR,
		   ADDR(insn_rdmsr));
	executor_start(vcpu);
	exec_fault(vcpu, OP_WRMSR, MSR_UNKNOWN, 0, GP_VECTOR,
		   ADDR(insn_wrmsr));
	executor_start(vcpu);

	/* EFER.LME may not change with paging on. */
	exec_fault(vcpu, OP_WRMSR, MSR_EFER, LM_EFER & ~EFER_LME, GP_VECTOR,
		   ADDR(insn_wrmsr));
	executor_start(vcpu);
	EXPECT_EQ(LM_EFER, exec_ok(vcpu, OP_RDMSR, MSR_EFER, 0));

	/* A PAT entry of reserved type 2. */
	exec_fault(vcpu, OP_WRMSR, MSR_PAT, 0x0007040600070402ull, GP_VECTOR,
		   ADDR(insn_wrmsr));
	executor_start(vcpu);
	EXPECT_EQ(PAT_RESET, exec_ok(vcpu, OP_RDMSR, MSR_PAT, 0));
}

/* ---- Control registers -------------------------------------------------- */

TEST_F_TIMEOUT(exits, control_registers, 120)
{
	struct hvx_vcpu *vcpu;
	struct hvx_sregs sregs;

	NEED_HVX();
	vcpu = executor_vm(NEW_VM(0, GUEST_MEM));

	/* CR8: a round trip, also seen by HVX_GET_SREGS. */
	exec_ok(vcpu, OP_WRITE_CR, 8, 0xa);
	EXPECT_EQ(0xa, exec_ok(vcpu, OP_READ_CR, 8, 0));
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(0xa, sregs.cr8);
	exec_ok(vcpu, OP_WRITE_CR, 8, 0);
	EXPECT_EQ(0, exec_ok(vcpu, OP_READ_CR, 8, 0));

	/* CR0.MP clear and set again, seen by the guest and the host. */
	EXPECT_EQ(LM_CR0, exec_ok(vcpu, OP_READ_CR, 0, 0));
	exec_ok(vcpu, OP_WRITE_CR, 0, LM_CR0 & ~X86_CR0_MP);
	EXPECT_EQ(LM_CR0 & ~X86_CR0_MP, exec_ok(vcpu, OP_READ_CR, 0, 0));
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(LM_CR0 & ~X86_CR0_MP, sregs.cr0);
	exec_ok(vcpu, OP_WRITE_CR, 0, LM_CR0);
	EXPECT_EQ(LM_CR0, exec_ok(vcpu, OP_READ_CR, 0, 0));

	/* CR4 reads what the guest wrote, never VMXE. */
	EXPECT_EQ(LM_CR4, exec_ok(vcpu, OP_READ_CR, 4, 0));
	exec_ok(vcpu, OP_WRITE_CR, 4, LM_CR4 | X86_CR4_PGE);
	EXPECT_EQ(LM_CR4 | X86_CR4_PGE, exec_ok(vcpu, OP_READ_CR, 4, 0));
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(LM_CR4 | X86_CR4_PGE, sregs.cr4);

	/* Setting CR4.VMXE is #GP, and CR4 stays as it was. */
	exec_fault(vcpu, OP_WRITE_CR, 4, LM_CR4 | X86_CR4_PGE | X86_CR4_VMXE,
		   GP_VECTOR, ADDR(insn_write_cr4));
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(LM_CR4 | X86_CR4_PGE, sregs.cr4);

	/* CR8 above 15 is #GP. */
	executor_start(vcpu);
	exec_fault(vcpu, OP_WRITE_CR, 8, 16, GP_VECTOR, ADDR(insn_write_cr8));
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(0, sregs.cr8);

	/* Nor can the host set VMXE or CR8 > 15 with HVX_SET_SREGS. */
	executor_start(vcpu);
	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr4 |= X86_CR4_VMXE;
	EXPECT_EQ(-1, __vcpu_sregs_set(vcpu, &sregs));
	EXPECT_EQ(EINVAL, errno);
	sregs.cr4 &= ~X86_CR4_VMXE;
	sregs.cr8 = 16;
	EXPECT_EQ(-1, __vcpu_sregs_set(vcpu, &sregs));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(LM_CR4, exec_ok(vcpu, OP_READ_CR, 4, 0));
	EXPECT_EQ(0, exec_ok(vcpu, OP_READ_CR, 8, 0));
}

/* ---- VMX instructions --------------------------------------------------- */

static const struct {
	const char *name;
	const char *insn;
} vmx_insns[] = {
	{ "vmxon", insn_vmxon },
	{ "vmxoff", insn_vmxoff },
	{ "vmlaunch", insn_vmlaunch },
	{ "vmresume", insn_vmresume },
	{ "vmclear", insn_vmclear },
	{ "vmptrld", insn_vmptrld },
	{ "vmptrst", insn_vmptrst },
	{ "vmread", insn_vmread },
	{ "vmwrite", insn_vmwrite },
	{ "invept", insn_invept },
	{ "invvpid", insn_invvpid },
};

TEST_F_TIMEOUT(exits, vmx_instructions_ud, 120)
{
	struct hvx_vcpu *vcpu;
	unsigned int i;

	NEED_HVX();
	vcpu = executor_vm(NEW_VM(0, GUEST_MEM));

	for (i = 0; i < sizeof(vmx_insns) / sizeof(vmx_insns[0]); i++) {
		struct ucall exc;

		if (i)
			executor_start(vcpu);
		ASSERT_EQ(UCALL_UNHANDLED,
			  exec_cmd(vcpu, OP_VMX, i, 0, NULL, &exc, __LINE__))
			TH_LOG("%s completed in the guest", vmx_insns[i].name);
		EXPECT_EQ(UD_VECTOR, exc.args[0])
			TH_LOG("%s: vector %llu", vmx_insns[i].name,
			       (unsigned long long)exc.args[0]);
		EXPECT_EQ(ADDR(vmx_insns[i].insn), exc.args[2])
			TH_LOG("%s: RIP %#llx", vmx_insns[i].name,
			       (unsigned long long)exc.args[2]);
	}
}

/*
 * VMCALL is the hypercall instruction (HVX_HC_* in uapi/linux/hvx.h): no
 * #UD, an error in RAX for every number, since none is defined, and the
 * guest goes on after it. hostile_test covers CPL3 and 32-bit mode.
 */
TEST_F(exits, vmcall_is_a_hypercall)
{
	static const uint64_t nrs[] = { 0, 1, 0xffffffffull, 1ull << 63 };
	struct hvx_vcpu *vcpu;
	unsigned int i;

	NEED_HVX();
	vcpu = executor_vm(NEW_VM(0, GUEST_MEM));
	for (i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		EXPECT_EQ(-(uint64_t)HVX_HC_ENOSYS,
			  exec_ok(vcpu, OP_HYPERCALL, nrs[i], 0))
			TH_LOG("hypercall %#llx", (unsigned long long)nrs[i]);
}

/* ---- Debug registers ---------------------------------------------------- */

TEST_F_TIMEOUT(exits, debug_registers, 120)
{
	static const uint64_t dr[4] = {
		0x0000000000401000ull, 0xffffffff81000000ull,
		0x00007fffffffe000ull, 0x00000deadbeef000ull,
	};
	/* LE, GE, and R/W and LEN fields, but no breakpoint enabled. */
	const uint64_t dr7 = 0x00f30700ull;
	struct hvx_vcpu *vcpu;
	unsigned int i;

	NEED_HVX();
	vcpu = executor_vm(NEW_VM(0, GUEST_MEM));

	for (i = 0; i < 4; i++)
		exec_ok(vcpu, OP_WRITE_DR, i, dr[i]);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(dr[i], exec_ok(vcpu, OP_READ_DR, i, 0))
			TH_LOG("DR%u", i);

	exec_ok(vcpu, OP_WRITE_DR, 7, dr7);
	EXPECT_EQ(dr7, exec_ok(vcpu, OP_READ_DR, 7, 0));
	exec_ok(vcpu, OP_WRITE_DR, 7, 0x400);
	EXPECT_EQ(0x400, exec_ok(vcpu, OP_READ_DR, 7, 0));

	/* DR6: B0-B3 as written, bits 11:4 read as 1. */
	exec_ok(vcpu, OP_WRITE_DR, 6, 0xf);
	EXPECT_EQ(0xfff, exec_ok(vcpu, OP_READ_DR, 6, 0) & 0xfff);

	/* Bits 63:32 of DR7 are reserved: #GP. */
	exec_fault(vcpu, OP_WRITE_DR, 7, 0x100000400ull, GP_VECTOR,
		   ADDR(insn_write_dr7));
	executor_start(vcpu);
	/* The values stay with the vCPU across a new guest entry. */
	EXPECT_EQ(dr[2], exec_ok(vcpu, OP_READ_DR, 2, 0));
	EXPECT_EQ(0x400, exec_ok(vcpu, OP_READ_DR, 7, 0));
}

/* ---- XSETBV ------------------------------------------------------------- */

static bool cpu_has_flag(const char *flag)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[8192];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, "flags", 5) || !(p = strchr(line, ':')))
			continue;
		for (p = strtok(p + 1, " \t\n"); p; p = strtok(NULL, " \t\n"))
			if (!strcmp(p, flag))
				found = true;
		break;
	}
	fclose(f);
	return found;
}

static uint64_t host_xgetbv(void)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | (uint64_t)hi << 32;
}

TEST_F_TIMEOUT(exits, xsetbv, 120)
{
	struct hvx_vcpu *vcpu;
	uint64_t cr4, host_xcr0;

	NEED_HVX();
	if (!cpu_has_flag("xsave"))
		SKIP(return, "the CPU has no XSAVE");
	host_xcr0 = host_xgetbv();
	vcpu = executor_vm(NEW_VM(0, GUEST_MEM));

	/* CPUID.1:ECX.OSXSAVE follows CR4.OSXSAVE, whatever the table says. */
	vcpu_set_cpuid(vcpu, cpuid_table,
		       sizeof(cpuid_table) / sizeof(cpuid_table[0]));
	check_cpuid_at(vcpu, 1, 0, &cpuid_table[1], false, __LINE__);
	cr4 = exec_ok(vcpu, OP_READ_CR, 4, 0);
	exec_ok(vcpu, OP_WRITE_CR, 4, cr4 | X86_CR4_OSXSAVE);
	EXPECT_EQ(cr4 | X86_CR4_OSXSAVE, exec_ok(vcpu, OP_READ_CR, 4, 0));
	check_cpuid_at(vcpu, 1, 0, &cpuid_table[1], true, __LINE__);

	/* Valid values are taken and the guest reads them back. */
	exec_ok(vcpu, OP_XSETBV, 0, 1);
	EXPECT_EQ(1, exec_ok(vcpu, OP_XGETBV, 0, 0));
	if ((host_xcr0 & 3) == 3) {
		exec_ok(vcpu, OP_XSETBV, 0, 3);
		EXPECT_EQ(3, exec_ok(vcpu, OP_XGETBV, 0, 0));
	}
	TH_LOG("host XCR0 %#llx", (unsigned long long)host_xcr0);

	/* x87 state may not be disabled: XCR0 = 0 is #GP. */
	exec_fault(vcpu, OP_XSETBV, 0, 0, GP_VECTOR, ADDR(insn_xsetbv));
	/* The host's own XCR0 is untouched. */
	EXPECT_EQ(host_xcr0, host_xgetbv());
}

/* ---- Triple fault ------------------------------------------------------- */

TEST_F_TIMEOUT(exits, triple_fault_shutdown, 120)
{
	static const uint8_t ud2[] = { 0x0f, 0x0b };
	struct hvx_vcpu *vcpu;
	struct hvx_vcpu_stats stats;
	struct hvx_vm *vm;

	NEED_HVX();
	vm = NEW_VM(0, GUEST_MEM);
	vcpu = vcpu_add(vm, 0);
	vm_write(vm, PROT_CODE_GPA, ud2, sizeof(ud2));
	/* No IDT: #UD, #GP, #DF, then the triple fault. */
	vcpu_setup_protected_mode(vcpu, PROT_CODE_GPA);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_SHUTDOWN);
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_GET_VCPU_STATS, &stats));
	EXPECT_EQ(1, stats.exit_reason[VMX_EXIT_TRIPLE_FAULT]);

	/* A VM created afterwards runs normally. */
	run_hlt_in_new_vm(&self->vm[1]);
}

/* ---- Failed VM entry ---------------------------------------------------- */

static uint64_t __guest_code guest_return_42(void)
{
	return 42;
}

TEST_F_TIMEOUT(exits, failed_vm_entry, 120)
{
	struct hvx_vcpu *vcpu;
	struct hvx_vcpu_stats stats;
	struct hvx_sregs sregs;
	struct hvx_run *run;
	struct ucall uc;
	int i;

	NEED_HVX();
	vm_load_self(NEW_VM(0, GUEST_MEM));
	vcpu = vcpu_add(self->vm[0], 0);
	run = vcpu->run;

	/*
	 * State that HVX_SET_SREGS takes but VM entry refuses (SDM Vol. 3C
	 * 27.3.1.2): an unusable TR, a TR not present, a 64-bit CS with D
	 * set.
	 */
	for (i = 0; i < 3; i++) {
		vcpu_setup_long_mode(vcpu, guest_return_42, 0);
		vcpu_sregs_get(vcpu, &sregs);
		if (i == 0)
			sregs.tr.unusable = 1;
		else if (i == 1)
			sregs.tr.present = 0;
		else
			sregs.cs.db = 1;
		ASSERT_EQ(0, __vcpu_sregs_set(vcpu, &sregs))
			TH_LOG("case %d: HVX_SET_SREGS: %s", i,
			       strerror(errno));
		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, HVX_EXIT_FAIL_ENTRY);
		EXPECT_EQ(VMX_EXIT_INVALID_STATE,
			  run->fail_entry.hardware_exit_reason)
			TH_LOG("case %d", i);
		TH_LOG("case %d: hardware exit reason %u, qualification %#llx",
		       i, run->fail_entry.hardware_exit_reason,
		       (unsigned long long)run->fail_entry.qualification);
	}
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_GET_VCPU_STATS, &stats));
	EXPECT_EQ(3, stats.exit_reason[VMX_EXIT_INVALID_STATE]);

	/* With valid state again, the same vCPU runs. */
	vcpu_setup_long_mode(vcpu, guest_return_42, 0);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(42, uc.args[0]);

	/* And so does a new VM. */
	run_hlt_in_new_vm(&self->vm[1]);
}

/* ---- Statistics --------------------------------------------------------- */

#define STATS_SYNCS	10

static void __guest_code guest_stats(void)
{
	uint64_t i;

	for (i = 1; i <= STATS_SYNCS; i++)
		GUEST_SYNC(i);
	asm volatile("hlt");
	GUEST_DONE();
}

TEST_F_TIMEOUT(exits, vcpu_stats, 120)
{
	struct hvx_vcpu_stats stats, zero;
	struct hvx_vcpu *vcpu;
	struct ucall uc;
	uint64_t sum = 0;
	int i;

	NEED_HVX();
	vm_load_self(NEW_VM(0, GUEST_MEM));
	vcpu = vcpu_add(self->vm[0], 0);

	/* A new vCPU has counted nothing. */
	memset(&zero, 0, sizeof(zero));
	memset(&stats, 0xa5, sizeof(stats));
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_GET_VCPU_STATS, &stats));
	EXPECT_EQ(0, memcmp(&zero, &stats, sizeof(stats)));

	vcpu_setup_long_mode(vcpu, guest_stats, 0);
	for (i = 1; i <= STATS_SYNCS; i++) {
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(i, uc.args[0]);
	}
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);

	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_GET_VCPU_STATS, &stats));
	EXPECT_EQ(STATS_SYNCS, stats.exit_reason[VMX_EXIT_IO]);
	EXPECT_EQ(1, stats.exit_reason[VMX_EXIT_HLT]);
	EXPECT_EQ(STATS_SYNCS + 1, stats.exits_to_user);
	EXPECT_LE(STATS_SYNCS + 1, stats.exits);
	EXPECT_LT(0, stats.guest_ns);
	for (i = 0; i < HVX_STAT_EXIT_REASONS; i++)
		sum += stats.exit_reason[i];
	EXPECT_EQ(stats.exits, sum) TH_LOG("every exit counts once by reason");
	for (i = 0; i < sizeof(stats.reserved) / sizeof(stats.reserved[0]); i++)
		EXPECT_EQ(0, stats.reserved[i]);
	TH_LOG("%llu exits, %llu to user space, %llu ns in the guest",
	       (unsigned long long)stats.exits,
	       (unsigned long long)stats.exits_to_user,
	       (unsigned long long)stats.guest_ns);

	EXPECT_EQ(-1, ioctl(vcpu->fd, HVX_GET_VCPU_STATS, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

/* ---- General registers -------------------------------------------------- */

static uint64_t rol64(uint64_t v, unsigned int n)
{
	return v << n | v >> (64 - n);
}

TEST_F_TIMEOUT(exits, regs_round_trip, 120)
{
	struct hvx_regs in, out, want;
	struct hvx_vcpu *vcpu;

	NEED_HVX();
	vm_load_self(NEW_VM(0, GUEST_MEM));
	vcpu = vcpu_add(self->vm[0], 0);
	vcpu_setup_long_mode(vcpu, guest_regs_compute, 0);
	vcpu_regs_get(vcpu, &in);

	in.rax = 0x0101010101010101ull;
	in.rbx = 0x1000200030004000ull;
	in.rcx = 0xfedcba9876543210ull;
	in.rdx = 0x00ff00ff00ff00ffull;
	in.rsi = 0x0123456789abcdefull;
	in.rdi = 0xf0e0d0c0b0a09080ull;
	in.rbp = 0x00007ffc00001000ull;
	in.r8 = 0x0000000000000005ull;
	in.r9 = 0x1122334455667788ull;
	in.r10 = 0x8000000000000001ull;
	in.r11 = 0x0000000012345678ull;
	in.r12 = 0xffffffffffffffffull;
	in.r13 = 0x0000000000000000ull;
	in.r14 = 0x0000000100000020ull;
	in.r15 = 0x7000000000000000ull;
	/* CF, PF, AF, ZF, SF, OF and the fixed bit. */
	in.rflags = 0x8d7;
	vcpu_regs_set(vcpu, &in);
	vcpu_regs_get(vcpu, &out);
	EXPECT_EQ(0, memcmp(&in, &out, sizeof(in)))
		TH_LOG("HVX_GET_REGS after HVX_SET_REGS differs");

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, HVX_EXIT_HLT);
	vcpu_regs_get(vcpu, &out);

	want = in;
	want.rax = in.rax + 1;
	want.rbx = in.rbx + want.rax;
	want.rcx = in.rcx ^ want.rbx;
	want.rdx = ~in.rdx;
	want.rsi = in.rsi << 4;
	want.rdi = in.rdi >> 4;
	want.rbp = in.rbp + 0x100;
	want.r8 = -in.r8;
	want.r9 = __builtin_bswap64(in.r9);
	want.r10 = rol64(in.r10, 8);
	want.r11 = in.r11 * 3;
	want.r12 = in.r12 + 1;
	want.r13 = in.r13 - 1;
	want.r15 = in.r15 + in.r14;
	want.r14 = in.r14 - 16;
	EXPECT_EQ(want.rax, out.rax);
	EXPECT_EQ(want.rbx, out.rbx);
	EXPECT_EQ(want.rcx, out.rcx);
	EXPECT_EQ(want.rdx, out.rdx);
	EXPECT_EQ(want.rsi, out.rsi);
	EXPECT_EQ(want.rdi, out.rdi);
	EXPECT_EQ(want.rbp, out.rbp);
	EXPECT_EQ(want.rsp, out.rsp);
	EXPECT_EQ(want.r8, out.r8);
	EXPECT_EQ(want.r9, out.r9);
	EXPECT_EQ(want.r10, out.r10);
	EXPECT_EQ(want.r11, out.r11);
	EXPECT_EQ(want.r12, out.r12);
	EXPECT_EQ(want.r13, out.r13);
	EXPECT_EQ(want.r14, out.r14);
	EXPECT_EQ(want.r15, out.r15);
	EXPECT_EQ(ADDR(guest_regs_after_hlt), out.rip);
	EXPECT_EQ(X86_RFLAGS_FIXED, out.rflags & X86_RFLAGS_FIXED);

	/* RFLAGS: bit 1 always reads 1; reserved bits 3, 5, 15, 63:22 as 0. */
	in = out;
	in.rflags = 0x8000000000408028ull;
	vcpu_regs_set(vcpu, &in);
	vcpu_regs_get(vcpu, &out);
	EXPECT_EQ(X86_RFLAGS_FIXED, out.rflags);
}

TEST_HARNESS_MAIN
