/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A real-mode guest for vmctl run --raw --exit-port: how a test kernel
 * ends its VM under QEMU's isa-debug-exit. A byte 0x10 to port 0xf4, the
 * default exit port (status 0x21 = 33); then a word 0x0140 to 0x501,
 * QEMU's own default port (status 0x281, which the shell sees as 0x81 =
 * 129); then HLT, which ends a raw guest with status 0 where neither port
 * is an exit port.
 */
	.code16
	.text
	.globl _start
_start:
	mov	$0x10, %al
	out	%al, $0xf4
	mov	$0x0140, %ax
	mov	$0x501, %dx
	out	%ax, %dx
1:	hlt
	jmp	1b
