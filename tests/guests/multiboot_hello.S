/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal Multiboot 1 kernel for `vmctl run --multiboot`: an ELF32
 * executable linked at 1 MiB by multiboot_hello.ld. It checks the magic in
 * EAX, reads the information structure at EBX and prints on COM1
 *
 *   multiboot: magic ok, mem_upper=<KiB>, cmdline=<string>
 *
 * (or "multiboot: bad magic" and the value), then halts: vmctl run stops
 * on HLT without the irqchip. The header asks for memory information
 * (flag 1) and has no address fields, so the loader takes the ELF file's
 * program headers; the stack is in .bss, which the loader must zero.
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003	/* page-aligned modules, memory info */
#define MB_BOOT_MAGIC	0x2badb002

#define COM1		0x3f8
#define COM1_LSR	(COM1 + 5)
#define LSR_THRE	0x20		/* transmitter holding register empty */

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
	cld				/* lodsb below counts up */
	mov	$stack_top, %esp
	mov	%eax, %edi		/* the magic, kept for a bad-magic line */
	cmp	$MB_BOOT_MAGIC, %eax
	jne	bad_magic

	mov	$msg_ok, %esi
	call	puts
	/* Flag 0: mem_lower and mem_upper are valid. */
	testl	$1, (%ebx)
	jz	1f
	mov	8(%ebx), %eax		/* mem_upper */
	call	putdec
	jmp	2f
1:	mov	$msg_none, %esi
	call	puts
2:	mov	$msg_cmdline, %esi
	call	puts
	/* Flag 2: cmdline is valid. */
	testl	$4, (%ebx)
	jz	3f
	mov	16(%ebx), %esi		/* cmdline */
	call	puts
	jmp	done
3:	mov	$msg_none, %esi
	call	puts
	jmp	done

bad_magic:
	mov	$msg_bad, %esi
	call	puts
	mov	%edi, %eax
	call	putdec

done:
	mov	$'\n', %al
	call	putc
	/*
	 * Power off as ACPI says (S5: SLP_TYP 5 | SLP_EN into PM1a_CNT at
	 * 0x604, the FADT's); under vmctl run this ends the VM with status
	 * 0. Where that port means nothing, halt.
	 */
	mov	$0x604, %dx
	mov	$(5 << 10 | 1 << 13), %ax
	outw	%ax, %dx
halt:
	cli
	hlt
	jmp	halt

/* Print the NUL-terminated string at %esi. */
puts:
	lodsb
	test	%al, %al
	jz	1f
	call	putc
	jmp	puts
1:	ret

/* Print %eax in decimal. */
putdec:
	mov	$10, %ecx
	xor	%ebp, %ebp		/* digits pushed */
1:	xor	%edx, %edx
	div	%ecx
	add	$'0', %dl
	push	%edx
	inc	%ebp
	test	%eax, %eax
	jnz	1b
2:	pop	%eax
	call	putc
	dec	%ebp
	jnz	2b
	ret

/* Write %al to COM1 once the transmitter can take it. */
putc:
	push	%edx
	mov	%al, %ah
	mov	$COM1_LSR, %dx
1:	in	%dx, %al
	test	$LSR_THRE, %al
	jz	1b
	mov	%ah, %al
	mov	$COM1, %dx
	out	%al, %dx
	pop	%edx
	ret

	.section .rodata
msg_ok:
	.asciz	"multiboot: magic ok, mem_upper="
msg_cmdline:
	.asciz	", cmdline="
msg_none:
	.asciz	"(none)"
msg_bad:
	.asciz	"multiboot: bad magic "

	.bss
	.balign	16
stack:
	.space	4096
stack_top:

	.section .note.GNU-stack, "", @progbits
