/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Long-mode guest code for exit_bench's APIC and timer figures, identical
 * for hvx and KVM. bench64_start..bench64_end is copied to LM_CODE; the
 * host enters one of the g_* entry points at CPL 0, 64-bit mode, paging
 * over the identity map of bench_layout.h, RFLAGS = 2 (interrupts off),
 * RBP = the iteration count, and every other general register zero. Each
 * entry ends with OUT to PORT_DONE, or to PORT_FAIL with EAX = the reason.
 * R15 holds the xAPIC's base; APIC registers are touched only with MOV
 * (what hvx's MMIO decoder takes).
 *
 * In-guest times are RDTSC; the host turns cycles into ns with the TSC
 * frequency the hypervisor reports. No PAUSE in the waits: under KVM a
 * PAUSE loop exits (pause-loop exiting), which would be a figure of its own.
 */
#include "bench_layout.h"

#define D(off)	(LM_DATA + (off))

	.section .rodata
	.code64
	.balign 16
	.globl bench64_start, bench64_end
bench64_start:

/* RAX = the TSC; RDX clobbered. */
.macro TSC
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
.endm

.macro FAIL code
	mov	$\code, %eax
	jmp	fail
.endm

/* Software-enable the APIC (spurious vector 0xff); R15 = its base. */
.macro APIC_ON
	mov	$XAPIC_BASE, %r15d
	movl	$(0x100 | VEC_SPURIOUS), 0xf0(%r15)
.endm

/*
 * Wait until the u32 at \addr equals \want (a register), giving up after
 * D_TIMEOUT cycles from the TSC in \start: then FAIL_TIMEOUT.
 */
.macro WAIT_EQ addr, want, start, code=FAIL_TIMEOUT
.Lw\@:	cmp	\want, \addr
	je	.Ld\@
	TSC
	sub	\start, %rax
	cmp	D(D_TIMEOUT), %rax
	jb	.Lw\@
	FAIL	\code
.Ld\@:
.endm

/* Spin for D_DELAY cycles (RAX, RDX, RCX clobbered). */
.macro DELAY
	TSC
	mov	%rax, %rcx
.Ly\@:	TSC
	sub	%rcx, %rax
	cmp	D(D_DELAY), %rax
	jb	.Ly\@
.endm

/*
 * R12 += D_T_HANDLER - \from (the latency of one op); FAIL_TSC if the
 * handler's TSC is before \from (the vCPUs' TSCs disagree).
 */
.macro LATENCY from
	mov	D(D_T_HANDLER), %rax
	sub	\from, %rax
	jb	9f
	add	%rax, %r12
	jmp	8f
9:	FAIL	FAIL_TSC
8:
.endm

/* The receiver's end: the sender's figures stay as they are. */
.macro END_RECEIVER
	cli
	out	%al, $PORT_DONE
	hlt
.endm

.macro START
	TSC
	mov	%rax, D(D_T0)
.endm

.macro END
	TSC
	mov	%rax, D(D_T1)
	mov	%r12, D(D_SUM)
	cli
	out	%al, $PORT_DONE
	hlt
.endm

fail:
	out	%eax, $PORT_FAIL
	cli
1:	hlt
	jmp	1b

/*
 * The interrupt handler of VEC_TIMER, VEC_SELF and VEC_IPI: the TSC as
 * soon as it runs (after saving the two registers RDTSC writes), one more
 * run counted, EOI. The EOI is a MOV to the xAPIC's EOI register; with
 * the moffs form it needs no address register.
 */
	.balign 16
	.globl bench64_irq
bench64_irq:
	push	%rax
	push	%rdx
	TSC
	mov	%rax, D(D_T_HANDLER)
	incl	D(D_COUNT)
	xor	%eax, %eax
	movabs	%eax, XAPIC_BASE + 0xb0
	pop	%rdx
	pop	%rax
	iretq

	.balign 16
	.globl bench64_spurious
bench64_spurious:
	iretq

	.balign 16
	.globl bench64_bad_vector
bench64_bad_vector:
	FAIL	FAIL_VECTOR

/* Exception v's gate points at bench64_exceptions + 16 * v. */
	.balign 16
	.globl bench64_exceptions
bench64_exceptions:
	vec = 0
	.rept 32
	.balign 16
	mov	$vec, %eax
	jmp	fail
	vec = vec + 1
	.endr

/*
 * vCPU 0 starts vCPU 1 as on a PC: INIT, then a SIPI to LM_AP_STUB (whose
 * real-mode OUT tells the host, which then puts vCPU 1 in long mode).
 */
	.globl g_start_ap
g_start_ap:
	APIC_ON
	movl	$(1 << 24), 0x310(%r15)
	movl	$0x4500, 0x300(%r15)		/* INIT, assert */
	movl	$(1 << 24), 0x310(%r15)
	movl	$(0x4600 | (LM_AP_STUB >> 12)), 0x300(%r15)	/* SIPI */
	END

	.globl g_cpuid
g_cpuid:
	START
1:	xor	%eax, %eax
	cpuid
	dec	%rbp
	jnz	1b
	END

	.globl g_cr8_read
g_cr8_read:
	START
1:	mov	%cr8, %rax
	dec	%rbp
	jnz	1b
	END

/* CR8 alternates 1, 0: every write changes the TPR. Checked after. */
	.globl g_cr8_write
g_cr8_write:
	APIC_ON
	START
	xor	%ebx, %ebx
1:	xor	$1, %ebx
	mov	%rbx, %cr8
	dec	%rbp
	jnz	1b
	mov	%cr8, %rax
	cmp	%rbx, %rax
	je	2f
	FAIL	FAIL_CR8
2:	mov	0x80(%r15), %eax		/* the TPR is CR8 << 4 */
	shr	$4, %eax
	cmp	%ebx, %eax
	je	3f
	FAIL	FAIL_TPR
3:	xor	%eax, %eax
	mov	%rax, %cr8
	END

/* The xAPIC TPR alternates 0x10, 0: a MOV to 0xfee00080. Checked after. */
	.globl g_tpr_write
g_tpr_write:
	APIC_ON
	START
	xor	%ebx, %ebx
1:	xor	$0x10, %ebx
	mov	%ebx, 0x80(%r15)
	dec	%rbp
	jnz	1b
	mov	0x80(%r15), %eax
	cmp	%ebx, %eax
	je	2f
	FAIL	FAIL_TPR
2:	mov	%cr8, %rax			/* and CR8 is the TPR >> 4 */
	shl	$4, %eax
	cmp	%ebx, %eax
	je	3f
	FAIL	FAIL_CR8
3:	xor	%eax, %eax
	mov	%eax, 0x80(%r15)
	END

/*
 * Self-IPI: the ICR with the "self" shorthand, fixed, VEC_SELF. Per op
 * the TSC before the ICR write (RBX), then a wait for the handler; R12
 * sums write-to-handler, D_T0..D_T1 is the whole round trip (the write,
 * the delivery, the handler with its EOI, the IRET, the wait's reads).
 */
	.globl g_self_ipi
g_self_ipi:
	APIC_ON
	sti
	START
1:	inc	%r13d
	TSC
	mov	%rax, %rbx
	movl	$(0x40000 | 0x4000 | VEC_SELF), 0x300(%r15)
	WAIT_EQ	D(D_COUNT), %r13d, %rbx
	LATENCY	%rbx
	dec	%rbp
	jnz	1b
	END

/*
 * IPI from vCPU 0 (the sender) to vCPU 1 (the receiver):
 * physical destination APIC ID 1, fixed, VEC_IPI. The sender waits
 * D_DELAY cycles before each send (the receiver is back in its loop, or
 * in HLT), takes the TSC (RBX), writes the ICR and waits for the
 * handler's count; R12 sums handler TSC - RBX.
 */
.macro SEND_IPI
	TSC
	mov	%rax, %rbx
	movl	$(0x4000 | VEC_IPI), 0x300(%r15)
	WAIT_EQ	D(D_COUNT), %r13d, %rbx
.endm

/* The receiver spins with interrupts on until the sender says stop. */
	.globl g_ipi_recv_running
g_ipi_recv_running:
	APIC_ON
	sti
	movl	$1, D(D_READY)
1:	cmpl	$0, D(D_STOP)
	je	1b
	END_RECEIVER

/*
 * The senders run with interrupts on, though none is sent to them: Bochs
 * takes no VM exit for a host interrupt while the guest has them off, and
 * KVM's host CPU would then never leave a sender spinning (its RCU grace
 * periods, which a new vCPU thread waits for, with it).
 */
	.globl g_ipi_send_running
g_ipi_send_running:
	APIC_ON
	sti
	movl	$(1 << 24), 0x310(%r15)
	TSC
	mov	%rax, %rbx
	mov	$1, %r14d
	WAIT_EQ	D(D_READY), %r14d, %rbx, FAIL_NOT_READY
	START
1:	inc	%r13d
	DELAY
	SEND_IPI
	LATENCY	%rbx
	dec	%rbp
	jnz	1b
	movl	$1, D(D_STOP)
	END

/*
 * The receiver waits in STI; HLT. Before each HLT it announces the count
 * it has seen + 1 in D_READY; after the sender's last IPI one more wakes
 * it to see D_STOP (so the count ends at n + 1).
 */
	.globl g_ipi_recv_halted
g_ipi_recv_halted:
	APIC_ON
1:	mov	D(D_COUNT), %eax
	inc	%eax
	mov	%eax, D(D_READY)
	sti
	hlt
	cli
	cmpl	$0, D(D_STOP)
	je	1b
	END_RECEIVER

	.globl g_ipi_send_halted
g_ipi_send_halted:
	APIC_ON
	sti
	movl	$(1 << 24), 0x310(%r15)
	START
1:	inc	%r13d
	TSC
	mov	%rax, %rbx
	WAIT_EQ	D(D_READY), %r13d, %rbx, FAIL_NOT_READY	/* about to halt */
	DELAY
	SEND_IPI
	LATENCY	%rbx
	dec	%rbp
	jnz	1b
	inc	%r13d
	TSC
	mov	%rax, %rbx
	WAIT_EQ	D(D_READY), %r13d, %rbx, FAIL_NOT_READY
	movl	$1, D(D_STOP)
	SEND_IPI
	END

/*
 * TSC deadline: the LVT timer in TSC-deadline mode on VEC_TIMER, the
 * guest spinning with interrupts on. "immediate" writes IA32_TSC_DEADLINE
 * = 1, long past: per op from the TSC before the WRMSR to the handler.
 */
.macro TIMER_ON
	APIC_ON
	movl	$(0x40000 | VEC_TIMER), 0x320(%r15)
	sti
.endm

	.globl g_tsc_deadline_immediate
g_tsc_deadline_immediate:
	TIMER_ON
	START
1:	inc	%r13d
	TSC
	mov	%rax, %rbx
	mov	$0x6e0, %ecx
	mov	$1, %eax
	xor	%edx, %edx
	wrmsr
	WAIT_EQ	D(D_COUNT), %r13d, %rbx
	LATENCY	%rbx
	dec	%rbp
	jnz	1b
	END

/*
 * "future": the deadline D_FUTURE cycles after the TSC before the WRMSR;
 * per op from the deadline to the handler (how late the timer is).
 */
	.globl g_tsc_deadline_future
g_tsc_deadline_future:
	TIMER_ON
	START
1:	inc	%r13d
	TSC
	mov	%rax, %rsi
	add	D(D_FUTURE), %rax
	mov	%rax, %rbx
	mov	%rax, %rdx
	shr	$32, %rdx
	mov	$0x6e0, %ecx
	wrmsr
	WAIT_EQ	D(D_COUNT), %r13d, %rsi
	mov	D(D_T_HANDLER), %rax
	cmp	%rbx, %rax
	jae	2f
	FAIL	FAIL_EARLY
2:	LATENCY	%rbx
	dec	%rbp
	jnz	1b
	END

/* VMCALL with a number no hypervisor knows: RAX must come back -1000. */
	.globl g_vmcall
g_vmcall:
	START
1:	mov	$HC_UNKNOWN, %eax
	vmcall
	cmp	$HC_ENOSYS, %rax
	je	2f
	FAIL	FAIL_VMCALL
2:	dec	%rbp
	jnz	1b
	END

bench64_end:
	.section .note.GNU-stack, "", @progbits
