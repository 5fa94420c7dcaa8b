/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding of the guest instruction behind an MMIO EPT violation.
 *
 * An EPT violation reports the guest-physical address but neither the
 * instruction length nor the register or immediate involved, so hvx reads
 * the bytes at guest RIP and decodes them here. Only the plain MOV forms
 * that compilers emit for device register accesses are understood.
 *
 * This file and insn_decode.c use nothing but <linux/types.h> and
 * <linux/errno.h>, so that tests/unit/ can build them in user space.
 */
#ifndef HVX_INSN_DECODE_H
#define HVX_INSN_DECODE_H

#include <linux/types.h>

/* The default operand and address size of the code being decoded. */
enum {
	HVX_CPU_MODE_16 = 16,	/* real mode, virtual-8086, or CS.D = 0 */
	HVX_CPU_MODE_32 = 32,	/* protected or compat. mode, CS.D = 1 */
	HVX_CPU_MODE_64 = 64,	/* IA-32e mode with CS.L = 1 */
};

/* How a loaded value is widened to the register operand. */
enum { HVX_EXT_NONE, HVX_EXT_ZERO, HVX_EXT_SIGN };

struct hvx_mmio_insn {
	u8 len;		/* instruction length, prefixes included */
	u8 size;	/* bytes accessed in memory: 1, 2, 4 or 8 */
	/*
	 * GPR number of the register operand: 0 = rax, 1 = rcx, 2 = rdx,
	 * 3 = rbx, 4 = rsp, 5 = rbp, 6 = rsi, 7 = rdi, 8..15 = r8..r15.
	 * With high_byte set it is the GPR holding AH/CH/DH/BH (0..3).
	 */
	u8 reg;
	bool is_write;	/* the instruction stores to memory */
	bool has_imm;	/* a store of imm (C6, C7): reg is 0 and unused */
	bool high_byte;	/* the operand is bits 15:8 of reg (AH..BH) */
	u8 ext;		/* loads: HVX_EXT_NONE, _ZERO (movzx), _SIGN */
	/*
	 * Width of the register operand in bytes (1, 2, 4 or 8): for a load,
	 * the width written after widening by ext; for a store, equal to
	 * size. hvx_decode_mmio() does not say how the rest of the register
	 * is affected: the caller applies the x86 rule that a 4-byte write
	 * zeroes bits 63:32 and a 1- or 2-byte write leaves them alone.
	 */
	u8 dst_size;
	u64 imm;	/* has_imm: the size-byte value stored, zero above */
};

/*
 * Decode the MOV at @bytes (@avail bytes fetched from guest RIP) for a CPU
 * in @mode (HVX_CPU_MODE_*). Returns 0 and fills @out, -ENODATA if the
 * instruction goes on past @avail bytes (fetch more and call again), or
 * -EINVAL for anything else: not a supported MOV, a register rather than
 * a memory operand, longer than 15 bytes, or a bad @mode. @out is left
 * untouched on error.
 */
int hvx_decode_mmio(const u8 *bytes, unsigned int avail, int mode,
		    struct hvx_mmio_insn *out);

#endif /* HVX_INSN_DECODE_H */
