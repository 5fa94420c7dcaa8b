/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry of virtio_hostile.elf, a Multiboot 1 kernel (see virtio_hostile.c).
 * The loader enters here in flat 32-bit protected mode, paging off, with
 * EAX = 0x2badb002 and EBX = the Multiboot information structure. Set up a
 * stack, call hostile_main(magic, info), then power off through the ACPI
 * PM1a control port (S5), as multiboot_hello.S does; halt if that returns.
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003	/* page-aligned modules, memory info */

	.section .multiboot, "a"
	.balign	4
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)

	.code32
	.text
	.globl	_start
_start:
	cli				/* no IDT: interrupts stay off throughout */
	cld
	mov	$stack_top, %esp
	sub	$8, %esp		/* ESP 16-byte aligned at the call */
	push	%ebx			/* info */
	push	%eax			/* magic */
	call	hostile_main
	.globl	power_off
power_off:
	mov	$0x604, %dx		/* PM1a_CNT: SLP_TYP 5 (S5) | SLP_EN */
	mov	$(5 << 10 | 1 << 13), %ax
	outw	%ax, %dx
1:	cli
	hlt
	jmp	1b

	.bss
	.balign	16
stack:
	.space	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
