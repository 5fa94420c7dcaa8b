/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Real-mode guest loops for exit_bench, identical for hvx and KVM. Each is
 * copied to guest-physical 0x1000 and entered with CS = 0, IP = 0x1000,
 * EBP = the iteration count; each ends with HLT.
 */
	.section .rodata
	.code16

	.globl bench_cpuid, bench_cpuid_end
bench_cpuid:				/* CPUID: handled in the kernel */
1:	xor	%eax, %eax
	cpuid
	dec	%ebp
	jnz	1b
	hlt
bench_cpuid_end:

	.globl bench_pio, bench_pio_end
bench_pio:				/* OUT: a round trip to user space */
1:	out	%al, $0x80
	dec	%ebp
	jnz	1b
	hlt
bench_pio_end:

	.globl bench_mmio, bench_mmio_end
bench_mmio:				/* store outside guest memory */
	mov	$0xf000, %ax
	mov	%ax, %ds
1:	movb	%al, (0)
	dec	%ebp
	jnz	1b
	hlt
bench_mmio_end:
	.code64
	.section .note.GNU-stack, "", @progbits
