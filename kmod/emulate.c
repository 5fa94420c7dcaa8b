// SPDX-License-Identifier: GPL-2.0
/*
 * Results and RFLAGS of the instructions that hvx emulates for MMIO,
 * computed as SDM Vol. 2 describes each; tests/unit/emulate_test.c
 * compares them with the host CPU's own.
 */

#include <linux/errno.h>
#include <linux/types.h>

#include "emulate.h"

/* PF: set when the low byte of the result has an even number of ones. */
static u64 hvx_parity(u64 res)
{
	u8 b = res;

	b ^= b >> 4;
	b ^= b >> 2;
	b ^= b >> 1;
	return (b & 1) ? 0 : HVX_FL_PF;
}

/* The top bit of @v as an operand of @size bytes. */
static u64 hvx_msb(u64 v, unsigned int size)
{
	return (v >> (8 * size - 1)) & 1;
}

/*
 * The flags that every arithmetic result sets alike (ZF, SF, PF) plus
 * @cf, @of and AF from the carry into bit 4 (@dst ^ @src ^ @res), all
 * into *@rflags.
 */
static void hvx_set_flags(u64 *rflags, unsigned int size, u64 dst, u64 src,
			  u64 res, bool cf, bool of)
{
	u64 f = hvx_parity(res);

	res = hvx_emul_trunc(res, size);
	if (!res)
		f |= HVX_FL_ZF;
	if (hvx_msb(res, size))
		f |= HVX_FL_SF;
	if ((dst ^ src ^ res) & 0x10)
		f |= HVX_FL_AF;
	if (cf)
		f |= HVX_FL_CF;
	if (of)
		f |= HVX_FL_OF;
	*rflags = (*rflags & ~HVX_FL_ARITH) | f;
}

/*
 * dst + src + carry: the carry out of the top bit is computed from the
 * operands' and result's top bits, so that 64-bit operands need no wider
 * type: a carry out happened if both tops were set, or one was and the
 * result's is clear. Overflow: both operands of one sign, result of the
 * other.
 */
static u64 hvx_add(unsigned int size, u64 dst, u64 src, bool carry,
		   u64 *rflags)
{
	u64 res = hvx_emul_trunc(dst + src + carry, size);
	u64 cout = (dst & src) | ((dst | src) & ~res);

	hvx_set_flags(rflags, size, dst, src, res, hvx_msb(cout, size),
		      hvx_msb((dst ^ res) & (src ^ res), size));
	return res;
}

/*
 * dst - src - borrow: a borrow out of the top bit if src's top was set
 * and dst's clear, or either and the result's set. Overflow: operands of
 * different signs and the result's sign not dst's.
 */
static u64 hvx_sub(unsigned int size, u64 dst, u64 src, bool borrow,
		   u64 *rflags)
{
	u64 res = hvx_emul_trunc(dst - src - borrow, size);
	u64 bout = (~dst & src) | ((~dst | src) & res);

	hvx_set_flags(rflags, size, dst, src, res, hvx_msb(bout, size),
		      hvx_msb((dst ^ src) & (dst ^ res), size));
	return res;
}

/*
 * AND, OR, XOR, TEST: CF = OF = 0; AF is undefined (SDM Vol. 2) and
 * Intel's CPUs clear it, which tk_mmio checks against the CPU itself.
 */
static u64 hvx_logic(unsigned int size, u64 res, u64 *rflags)
{
	res = hvx_emul_trunc(res, size);
	/* dst 0, src = res: AF's term, dst ^ src ^ res, is zero. */
	hvx_set_flags(rflags, size, 0, res, res, false, false);
	return res;
}

u64 hvx_emul_alu(unsigned int op, unsigned int size, u64 dst, u64 src,
		 u64 *rflags)
{
	bool cf = *rflags & HVX_FL_CF;

	dst = hvx_emul_trunc(dst, size);
	src = hvx_emul_trunc(src, size);
	switch (op) {
	case HVX_ALU_ADD:
		return hvx_add(size, dst, src, false, rflags);
	case HVX_ALU_ADC:
		return hvx_add(size, dst, src, cf, rflags);
	case HVX_ALU_SUB:
	case HVX_ALU_CMP:
		return hvx_sub(size, dst, src, false, rflags);
	case HVX_ALU_SBB:
		return hvx_sub(size, dst, src, cf, rflags);
	case HVX_ALU_AND:
		return hvx_logic(size, dst & src, rflags);
	case HVX_ALU_OR:
		return hvx_logic(size, dst | src, rflags);
	default:	/* HVX_ALU_XOR */
		return hvx_logic(size, dst ^ src, rflags);
	}
}

u64 hvx_emul_unary(unsigned int op, unsigned int size, u64 val, u64 *rflags)
{
	u64 cf = *rflags & HVX_FL_CF, res;

	val = hvx_emul_trunc(val, size);
	switch (op) {
	case HVX_OP_NOT:
		return hvx_emul_trunc(~val, size);
	case HVX_OP_NEG:
		/* 0 - val: CF is set unless val is 0, as the SUB gives. */
		return hvx_sub(size, 0, val, false, rflags);
	case HVX_OP_INC:
		res = hvx_add(size, val, 1, false, rflags);
		break;
	default:	/* HVX_OP_DEC */
		res = hvx_sub(size, val, 1, false, rflags);
		break;
	}
	/* INC and DEC leave CF alone. */
	*rflags = (*rflags & ~HVX_FL_CF) | cf;
	return res;
}

s64 hvx_emul_bt_disp(unsigned int size, u64 offset)
{
	unsigned int bits = 8 * size;
	s64 off;

	/* The offset is a signed register of the operand size. */
	off = (s64)(hvx_emul_trunc(offset, size) << (64 - bits)) >> (64 - bits);
	/* DIV rounding toward minus infinity: an arithmetic shift. */
	return (off >> (size == 2 ? 4 : size == 4 ? 5 : 6)) * (s64)size;
}

/*
 * BT, BTS, BTR, BTC: CF = the bit; the bit then set, cleared or flipped.
 * ZF is unchanged and OF, SF, AF, PF are undefined (SDM Vol. 2A BT): left
 * alone here.
 */
static u64 hvx_bt(unsigned int sub, unsigned int size, u64 val, u64 bit,
		  u64 *rflags)
{
	u64 mask = 1ULL << (bit & (8 * size - 1));

	*rflags = (*rflags & ~HVX_FL_CF) | ((val & mask) ? HVX_FL_CF : 0);
	switch (sub) {
	case HVX_BT_BTS:
		return val | mask;
	case HVX_BT_BTR:
		return val & ~mask;
	case HVX_BT_BTC:
		return val ^ mask;
	default:
		return val;
	}
}

/* MOVBE: the @size low bytes of @v in the other order. */
static u64 hvx_bswap(u64 v, unsigned int size)
{
	u64 r = 0;
	unsigned int i;

	for (i = 0; i < size; i++)
		r |= ((v >> (8 * i)) & 0xff) << (8 * (size - 1 - i));
	return r;
}

/* @v, @size bytes wide, sign-extended to 64 bits (MOVSX). */
static u64 hvx_sext(u64 v, unsigned int size)
{
	unsigned int shift = 64 - 8 * size;

	return (u64)((s64)(v << shift) >> shift);
}

int hvx_emul_step(const struct hvx_mmio_insn *insn, struct hvx_emul_step *s)
{
	unsigned int size = insn->size;
	u64 res;

	s->write = false;
	s->reg_write = false;
	s->reg_num = insn->reg;
	s->reg_high = insn->high_byte;
	s->reg_size = size;
	switch (insn->op) {
	case HVX_OP_MOV:
		if (insn->is_write) {
			s->write = true;
			s->wr = hvx_emul_trunc(s->src, size);
			if (insn->bswap)
				s->wr = hvx_bswap(s->wr, size);
			break;
		}
		s->reg_write = true;
		s->reg_val = hvx_emul_trunc(s->mem, size);
		if (insn->bswap)
			s->reg_val = hvx_bswap(s->reg_val, size);
		if (insn->ext == HVX_EXT_SIGN)
			s->reg_val = hvx_sext(s->reg_val, size);
		/* MOVZX, MOVSX write the wider register. */
		s->reg_size = insn->dst_size;
		break;
	case HVX_OP_ALU:
		if (insn->mem_dst) {
			res = hvx_emul_alu(insn->sub, size, s->mem, s->src,
					   &s->rflags);
			s->write = insn->sub != HVX_ALU_CMP;
			s->wr = res;
		} else {
			res = hvx_emul_alu(insn->sub, size, s->src, s->mem,
					   &s->rflags);
			s->reg_write = insn->sub != HVX_ALU_CMP;
			s->reg_val = res;
		}
		break;
	case HVX_OP_TEST:
		hvx_emul_alu(HVX_ALU_AND, size, s->mem, s->src, &s->rflags);
		break;
	case HVX_OP_NOT: case HVX_OP_NEG: case HVX_OP_INC: case HVX_OP_DEC:
		s->write = true;
		s->wr = hvx_emul_unary(insn->op, size, s->mem, &s->rflags);
		break;
	case HVX_OP_XCHG:
		s->write = true;
		s->wr = hvx_emul_trunc(s->src, size);
		s->reg_write = true;
		s->reg_val = s->mem;
		break;
	case HVX_OP_CMPXCHG:
		/*
		 * Flags as CMP rAX, dest. Equal: dest <- src. Not equal:
		 * rAX <- dest, and dest is written back with its own value
		 * ("the processor never produces a locked read without also
		 * producing a locked write", SDM Vol. 2A CMPXCHG).
		 */
		hvx_emul_alu(HVX_ALU_CMP, size, s->rax, s->mem, &s->rflags);
		s->write = true;
		if (s->rflags & HVX_FL_ZF) {
			s->wr = hvx_emul_trunc(s->src, size);
		} else {
			s->wr = s->mem;
			s->reg_write = true;
			s->reg_num = 0;		/* AL, AX, EAX, RAX */
			s->reg_high = false;
			s->reg_val = s->mem;
		}
		break;
	case HVX_OP_BT:
		res = hvx_bt(insn->sub, size, s->mem, s->src, &s->rflags);
		s->write = insn->sub != HVX_BT_BT;
		s->wr = res;
		break;
	default:
		return -EINVAL;
	}
	s->reg_val = hvx_emul_trunc(s->reg_val, s->reg_size);
	return 0;
}

u64 hvx_emul_ea(const struct hvx_mmio_insn *insn, const u64 *gprs,
		u64 next_rip)
{
	u64 ea = insn->disp;

	if (insn->base != HVX_NO_REG)
		ea += gprs[insn->base & 15];
	if (insn->index != HVX_NO_REG)
		ea += gprs[insn->index & 15] * insn->scale;
	if (insn->rip_rel)
		ea += next_rip;
	return hvx_emul_trunc(ea, insn->adsize);
}
