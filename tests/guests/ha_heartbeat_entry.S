/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry of ha_heartbeat.elf, a Multiboot 1 kernel (see ha_heartbeat.c).
 * The loader enters here in flat 32-bit protected mode, paging off, with
 * EAX = 0x2badb002 and EBX = the Multiboot information structure.
 *
 * Multiboot 3.2 leaves GDTR undefined at entry ("the OS image must create
 * its own GDT as soon as it needs to load a segment register"): an IDT
 * gate names a code selector, and the interrupt return reloads CS from
 * it, so the kernel loads a GDT of its own before anything else and does
 * not lean on the one vmctl happens to put at 0x1000.
 *
 * Also here: the two interrupt handlers, small enough to need no C.
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003	/* page-aligned modules, memory info */

#define KERNEL_CS	0x08		/* must match ha_heartbeat.c */
#define KERNEL_DS	0x10
#define APIC_EOI	0xfee000b0

	.section .multiboot, "a"
	.balign	4
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)

	.code32
	.text
	.globl	_start
_start:
	cli				/* until ha_heartbeat.c has an IDT */
	cld
	lgdt	gdt_desc
	ljmp	$KERNEL_CS, $1f
1:	mov	$KERNEL_DS, %ecx	/* EAX and EBX still hold magic, info */
	mov	%ecx, %ds
	mov	%ecx, %es
	mov	%ecx, %fs
	mov	%ecx, %gs
	mov	%ecx, %ss
	mov	$stack_top, %esp
	sub	$8, %esp		/* ESP 16-byte aligned at the call */
	push	%ebx			/* info */
	push	%eax			/* magic */
	call	hb_main
2:	cli				/* hb_main does not return */
	hlt
	jmp	2b

/*
 * The local APIC timer: count the tick, then EOI. INCL and MOVL imm32 use
 * no register and IRET restores EFLAGS, so nothing needs saving. The EOI
 * is a MOV because hvx's MMIO decoder knows MOV forms only.
 */
	.globl	hb_timer_isr
hb_timer_isr:
	incl	hb_ticks
	movl	$0, APIC_EOI
	iret

/* A spurious interrupt takes no EOI (SDM Vol. 3A 10.9). */
	.globl	hb_spurious_isr
hb_spurious_isr:
	iret

	.section .rodata
	.balign	8
/*
 * Null, flat 32-bit code, flat data, base 0, limit 4 GiB: the segments
 * Multiboot 3.2 describes. The accessed bits (0x9b, 0x93) are preset so
 * that the CPU has no reason to write to the table.
 */
gdt:
	.quad	0
	.quad	0x00cf9b000000ffff
	.quad	0x00cf93000000ffff
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

	.bss
	.balign	16
stack:
	.space	8192
stack_top:

	.section .note.GNU-stack, "", @progbits
