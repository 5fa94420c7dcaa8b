/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry of every test kernel (tk.h): the Multiboot 1 header, the switch
 * to a GDT of its own (Multiboot leaves GDTR undefined), a stack, then
 * tk_start() in lib.c. Also here: the 256 interrupt stubs that bring
 * every vector to tk_trap() with one frame layout, and the real-mode
 * trampoline that the second CPU starts in.
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003	/* page-aligned modules, memory info */

#define KERNEL_CS	0x08
#define KERNEL_DS	0x10

	.section .multiboot, "a"
	.balign	4
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)

	.code32
	.text
	.globl	_start
_start:
	cli
	cld
	lgdt	tk_gdt_desc
	ljmp	$KERNEL_CS, $1f
1:	mov	$KERNEL_DS, %ecx	/* EAX and EBX still hold magic, info */
	mov	%ecx, %ds
	mov	%ecx, %es
	mov	%ecx, %fs
	mov	%ecx, %gs
	mov	%ecx, %ss
	mov	$tk_stack_top, %esp
	sub	$8, %esp		/* ESP 16-byte aligned at the call */
	push	%ebx
	push	%eax
	call	tk_start
2:	cli
	hlt
	jmp	2b

/*
 * One stub per vector, 16 bytes apart: tk_stubs + 16 * vector. The CPU
 * pushes an error code for 8, 10-14, 17, 21, 29 and 30 (SDM Vol. 3A
 * 6.13); the others push a 0 in its place, so tk_frame fits them all.
 * An external interrupt never pushes one, whatever its vector.
 */
	.altmacro
.macro	stub v
	.balign	16
	.if (\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	.else
	push	$0
	.endif
	push	$\v
	jmp	tk_trap_common
.endm

	.balign	16
	.globl	tk_stubs
tk_stubs:
	.set	vec, 0
	.rept	256
	stub	%vec
	.set	vec, vec + 1
	.endr

tk_trap_common:
	pusha
	mov	%esp, %eax
	push	%eax
	call	tk_trap
	add	$4, %esp
	popa
	add	$8, %esp		/* vector, error code */
	iret

/*
 * The second CPU's first instructions, copied by tk_start_ap() to
 * TK_TRAMPOLINE (a page below 1 MiB: a SIPI's vector is its page number)
 * and entered in real mode at CS = TK_TRAMPOLINE >> 4, IP = 0. It loads
 * the kernel's GDT, turns protection on and jumps to tk_ap_entry at its
 * linked address; offsets within it are from its start, as CS says.
 */
	.code16
	.globl	tk_trampoline, tk_trampoline_end
tk_trampoline:
	cli
	mov	%cs, %ax
	mov	%ax, %ds
	lgdtl	tk_tramp_gdt_desc - tk_trampoline
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	$KERNEL_CS, $tk_ap_entry
	.balign	4
tk_tramp_gdt_desc:
	.word	tk_gdt_end - tk_gdt - 1
	.long	tk_gdt
tk_trampoline_end:

	.code32
tk_ap_entry:
	mov	$KERNEL_DS, %ecx
	mov	%ecx, %ds
	mov	%ecx, %es
	mov	%ecx, %fs
	mov	%ecx, %gs
	mov	%ecx, %ss
	mov	$tk_ap_stack_top, %esp
	call	tk_ap_start
3:	cli
	hlt
	jmp	3b

	.section .rodata
	.balign	8
/* Null, flat 32-bit code, flat data (Multiboot 3.2's segments). */
	.globl	tk_gdt
tk_gdt:
	.quad	0
	.quad	0x00cf9b000000ffff
	.quad	0x00cf93000000ffff
tk_gdt_end:
tk_gdt_desc:
	.word	tk_gdt_end - tk_gdt - 1
	.long	tk_gdt

	.bss
	.balign	16
	.space	16384
tk_stack_top:
	.space	8192
tk_ap_stack_top:
	.section .note.GNU-stack, "", @progbits
