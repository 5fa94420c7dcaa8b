/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The world switch: load the guest's general registers, VMLAUNCH or
 * VMRESUME, and on VM exit save them back and return to C.
 *
 * The VMCS host-state RSP is set here, to the stack pointer right before
 * entry, so that the exit lands with the stack as this function left it;
 * the host RIP is hvx_vmx_vmexit below. Only the callee-saved registers need
 * saving: the C caller expects the others clobbered.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

#define REG(n)	((n) * 8)
#define RAX	REG(0)
#define RCX	REG(1)
#define RDX	REG(2)
#define RBX	REG(3)
#define RBP	REG(5)
#define RSI	REG(6)
#define RDI	REG(7)
#define CR2	REG(16)

/* HOST_RSP, from <asm/vmx.h>'s enum (not usable from assembly). */
#define VMCS_HOST_RSP	0x6c14

.section .text, "ax"

/*
 * int __hvx_vmx_run(unsigned long *regs, bool launched)
 * Returns 0 after a VM exit, 1 if VMLAUNCH/VMRESUME failed (VMfail: the
 * reason is in VM_INSTRUCTION_ERROR).
 */
SYM_FUNC_START(__hvx_vmx_run)
	push %rbp
	mov %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	/* The register array, found again at the top of stack after exit. */
	push %rdi

	mov $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax
	jbe .Lfail

	/* CR2 is not switched by the CPU. */
	mov CR2(%rdi), %rax
	mov %rax, %cr2

	/* CF = launched; the movs and VERW below leave CF alone. */
	bt $0, %esi
	mov RAX(%rdi), %rax
	mov RCX(%rdi), %rcx
	mov RDX(%rdi), %rdx
	mov RBX(%rdi), %rbx
	mov RBP(%rdi), %rbp
	mov RSI(%rdi), %rsi
	mov REG(8)(%rdi), %r8
	mov REG(9)(%rdi), %r9
	mov REG(10)(%rdi), %r10
	mov REG(11)(%rdi), %r11
	mov REG(12)(%rdi), %r12
	mov REG(13)(%rdi), %r13
	mov REG(14)(%rdi), %r14
	mov REG(15)(%rdi), %r15
	mov RDI(%rdi), %rdi

	/*
	 * MDS, TAA, MMIO stale data: VERW clears the CPU buffers last thing
	 * before entry, when the kernel's mitigation asks for it
	 * (X86_FEATURE_CLEAR_CPU_BUF). It clobbers ZF only.
	 */
	CLEAR_CPU_BUFFERS

	UNWIND_HINT_SAVE
	jc .Lresume
	vmlaunch
	jmp .Lfail
.Lresume:
	vmresume
	jmp .Lfail

SYM_INNER_LABEL(hvx_vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	/* rsp is what it was at vmwrite; the register array is on top. */
	push %rdi
	mov 8(%rsp), %rdi
	mov %rax, RAX(%rdi)
	mov %rcx, RCX(%rdi)
	mov %rdx, RDX(%rdi)
	mov %rbx, RBX(%rdi)
	mov %rbp, RBP(%rdi)
	mov %rsi, RSI(%rdi)
	mov %r8, REG(8)(%rdi)
	mov %r9, REG(9)(%rdi)
	mov %r10, REG(10)(%rdi)
	mov %r11, REG(11)(%rdi)
	mov %r12, REG(12)(%rdi)
	mov %r13, REG(13)(%rdi)
	mov %r14, REG(14)(%rdi)
	mov %r15, REG(15)(%rdi)
	pop RDI(%rdi)
	mov %cr2, %rax
	mov %rax, CR2(%rdi)

	/* Guest values must not linger for speculation to use. */
	xor %eax, %eax
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d

	/*
	 * Guest-controlled return predictions must not steer host returns:
	 * fill the RSB before the first unbalanced RET (retpoline, IBRS), or
	 * retire one CALL (eIBRS with PBRSB), as the kernel chose.
	 */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE
	/* Branch history injection from the guest (BHI), where asked. */
	CLEAR_BRANCH_HISTORY_VMEXIT
	xor %eax, %eax
	jmp .Lout

.Lfail:
	mov $1, %eax
.Lout:
	pop %rdi
	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	RET
SYM_FUNC_END(__hvx_vmx_run)

/*
 * void hvx_vmx_do_interrupt(unsigned long handler)
 *
 * hvx has the CPU acknowledge an external interrupt at VM exit (so that it
 * is neither lost nor delivered twice) and then runs the host's handler
 * for it here, as if the interrupt had arrived now: an interrupt frame
 * (SS, RSP, RFLAGS, CS, return address) on an aligned stack, and a call
 * into the IDT gate's handler, which returns with IRET.
 */
SYM_FUNC_START(hvx_vmx_do_interrupt)
	push %rbp
	mov %rsp, %rbp
	and $-16, %rsp
	push $__KERNEL_DS
	push %rbp
	pushf
	push $__KERNEL_CS
	CALL_NOSPEC rdi
	/* IRET restored RSP already; say so again for objtool. */
	mov %rbp, %rsp
	pop %rbp
	RET
SYM_FUNC_END(hvx_vmx_do_interrupt)
