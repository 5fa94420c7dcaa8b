/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny real-mode guest for `vmctl run --raw`: print a line on COM1 the
 * way firmware does (wait for the transmitter, write the byte), then halt.
 * Loaded at 0x7c00 and entered there with CS = 0, like a boot sector.
 */
	.code16
	.text
	.globl _start
_start:
	xor	%ax, %ax
	mov	%ax, %ds
	mov	$msg, %si
next:
	lodsb
	test	%al, %al
	jz	done
	mov	%al, %bl
	mov	$0x3fd, %dx		/* line status register */
wait:
	in	%dx, %al
	test	$0x20, %al		/* transmitter holding register empty */
	jz	wait
	mov	$0x3f8, %dx
	mov	%bl, %al
	out	%al, %dx
	jmp	next
done:
	hlt
	jmp	done

msg:
	.asciz	"Hello from an hvx guest: real mode, port I/O to COM1.\n"
