/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a decoded MMIO instruction computes: results, RFLAGS and effective
 * addresses, apart from the memory accesses, which mmio_emulate.c makes (it
 * knows where memory is and when user space has answered).
 *
 * Plain C over <linux/types.h> and insn_decode.h, so that tests/unit/
 * checks the arithmetic against the host CPU's.
 */
#ifndef HVX_EMULATE_H
#define HVX_EMULATE_H

#include <linux/types.h>

#include "insn_decode.h"

/* The status flags of RFLAGS (SDM Vol. 1 3.4.3.1). */
#define HVX_FL_CF	0x0001ULL
#define HVX_FL_PF	0x0004ULL
#define HVX_FL_AF	0x0010ULL
#define HVX_FL_ZF	0x0040ULL
#define HVX_FL_SF	0x0080ULL
#define HVX_FL_DF	0x0400ULL
#define HVX_FL_OF	0x0800ULL
#define HVX_FL_ARITH	(HVX_FL_CF | HVX_FL_PF | HVX_FL_AF | HVX_FL_ZF | \
			 HVX_FL_SF | HVX_FL_OF)

/* @v cut to @size (1, 2, 4 or 8) bytes. */
static inline u64 hvx_emul_trunc(u64 v, unsigned int size)
{
	return size >= 8 ? v : v & ((1ULL << (8 * size)) - 1);
}

/*
 * @dst OP @src on @size bytes for HVX_ALU_* @op, as the CPU computes it:
 * returns the result (CMP: the difference, which is not stored) and sets
 * CF, PF, AF, ZF, SF and OF in *@rflags, taking CF in for ADC and SBB.
 * The logic operations clear CF, OF and AF (AF is undefined; CPUs
 * clear it).
 */
u64 hvx_emul_alu(unsigned int op, unsigned int size, u64 dst, u64 src,
		 u64 *rflags);

/*
 * NOT, NEG, INC, DEC (HVX_OP_*) of @val on @size bytes: NOT changes no
 * flag, INC and DEC all but CF, NEG all six (CF = @val != 0).
 */
u64 hvx_emul_unary(unsigned int op, unsigned int size, u64 val, u64 *rflags);

/*
 * One step of a non-string, non-stack instruction on its memory operand
 * (for MOV: MOVBE's byte swap and MOVZX/MOVSX's widening included).
 * In: mem, the size bytes read from memory (unused by a MOV store);
 * src, the register operand's value (byte registers already shifted
 * down) or the immediate; rax, the accumulator (CMPXCHG); rflags. Out:
 * what to store (write, wr), what register to set (reg_write: reg_num,
 * reg_high, reg_size bytes of reg_val, merged by the caller with the x86
 * rules), rflags.
 */
struct hvx_emul_step {
	u64 mem, src, rax, rflags;
	bool write, reg_write, reg_high;
	u8 reg_num, reg_size;
	u64 wr, reg_val;
};

/* Returns 0, or -EINVAL for an op that is not of this kind. */
int hvx_emul_step(const struct hvx_mmio_insn *insn, struct hvx_emul_step *s);

/*
 * The effective address of @insn's memory operand (insn->has_ea), from
 * the 16 GPRs @gprs and @next_rip, the address of the next instruction
 * (RIP-relative operands), cut to the address size.
 */
u64 hvx_emul_ea(const struct hvx_mmio_insn *insn, const u64 *gprs,
		u64 next_rip);

/*
 * BT with a register offset reaches beyond its operand: the CPU accesses
 * the size-byte word at EA + size * (offset DIV (8 * size)), offset
 * signed (SDM Vol. 2A BT, "bit base"). Returns that word's displacement
 * from EA; the bit within it is offset MOD (8 * size).
 */
s64 hvx_emul_bt_disp(unsigned int size, u64 offset);

#endif /* HVX_EMULATE_H */
