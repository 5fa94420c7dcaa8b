// SPDX-License-Identifier: GPL-2.0
/*
 * Decoder for the instructions that reach hvx as MMIO EPT violations.
 *
 * One-byte map: 00-3B (ALU r/m, r and r, r/m), 80-83 (group 1), 84/85
 * (TEST), 86/87 (XCHG), 88-8B (MOV), 8F /0 (POP), A0-A3 (MOV moffs),
 * A4-A7 and AA-AF (MOVS, CMPS, STOS, LODS, SCAS), C6/C7 /0 (MOV imm),
 * F6/F7 /0 /2 /3 (TEST imm, NOT, NEG), FE/FF /0 /1 (INC, DEC), FF /6
 * (PUSH). Two-byte map: 0F A3/AB/B3/BB and 0F BA /4-/7 (BT, BTS, BTR,
 * BTC), 0F B0/B1 (CMPXCHG), 0F B6/B7/BE/BF (MOVZX, MOVSX), 0F C3 (MOVNTI),
 * 0F 38 F0/F1 (MOVBE). Any legacy prefixes and, in 64-bit mode, REX.
 * Instruction formats follow SDM Vol. 2A chapter 2 and appendix A.
 */

#include <linux/errno.h>
#include <linux/types.h>

#include "insn_decode.h"

/*
 * No instruction may exceed 15 bytes, however many prefixes it repeats
 * (SDM Vol. 2A 2.2.1 and 2.3.11); the CPU raises #GP for a longer one.
 */
#define HVX_INSN_MAX_LEN	15

struct hvx_decoder {
	const u8 *bytes;
	unsigned int avail;
	unsigned int pos;	/* bytes consumed so far */
	int mode;
	bool opsize_prefix;	/* 66 */
	bool adsize_prefix;	/* 67 */
	bool lock;		/* F0 */
	u8 rep;			/* HVX_REP_*: the last of F2 and F3 */
	u8 seg;			/* a segment override, or HVX_NO_REG */
	u8 rex;			/* the REX byte in effect, or 0 */
};

#define HVX_REX_W	0x08
#define HVX_REX_R	0x04
#define HVX_REX_X	0x02
#define HVX_REX_B	0x01

/*
 * Check that @n more bytes may be consumed. Running past the 15-byte limit
 * is an invalid instruction whatever else follows, so it is tested before
 * running out of fetched bytes: more bytes would not help.
 */
static int hvx_need(const struct hvx_decoder *d, unsigned int n)
{
	if (d->pos + n > HVX_INSN_MAX_LEN)
		return -EINVAL;
	if (d->pos + n > d->avail)
		return -ENODATA;
	return 0;
}

/* Consume @n (at most 8) bytes as a little-endian value; hvx_need() first. */
static u64 hvx_take(struct hvx_decoder *d, unsigned int n)
{
	u64 val = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		val |= (u64)d->bytes[d->pos + i] << (8 * i);
	d->pos += n;
	return val;
}

/* hvx_need() and hvx_take() of an @n-byte field, sign-extended. */
static int hvx_take_signed(struct hvx_decoder *d, unsigned int n, u64 *val)
{
	int ret = hvx_need(d, n);
	unsigned int shift = 64 - 8 * n;

	if (ret)
		return ret;
	*val = n ? (u64)((s64)(hvx_take(d, n) << shift) >> shift) : 0;
	return 0;
}

/*
 * Consume the prefixes, stopping at the first opcode byte. A REX prefix
 * only counts when it is the last prefix before the opcode: one followed by
 * a legacy prefix, or by another REX, is ignored (SDM Vol. 2A 2.2.1).
 * Outside 64-bit mode 40-4F are INC/DEC and so end the prefixes.
 */
static int hvx_prefixes(struct hvx_decoder *d)
{
	int ret;
	u8 b;

	for (;;) {
		ret = hvx_need(d, 1);
		if (ret)
			return ret;
		b = d->bytes[d->pos];
		switch (b) {
		case 0x66:
			d->opsize_prefix = true;
			break;
		case 0x67:
			d->adsize_prefix = true;
			break;
		case 0xf2:
			d->rep = HVX_REP_NE;
			break;
		case 0xf3:
			d->rep = HVX_REP_E;
			break;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			/* ES, CS, SS, DS: bits 4:3 of the prefix. */
			d->seg = (b >> 3) & 3;
			break;
		case 0x64: case 0x65:
			d->seg = b == 0x64 ? HVX_SEG_FS : HVX_SEG_GS;
			break;
		case 0xf0:
			d->lock = true;
			break;
		default:
			if (d->mode != HVX_CPU_MODE_64 || (b & 0xf0) != 0x40)
				return 0;
			d->rex = b;
			d->pos++;
			continue;
		}
		d->rex = 0;
		d->pos++;
	}
}

/* Operand size in bytes of a non-byte instruction (SDM Vol. 1 3.6.1). */
static unsigned int hvx_opsize(const struct hvx_decoder *d)
{
	if (d->mode == HVX_CPU_MODE_64) {
		/* REX.W takes precedence over 66. */
		if (d->rex & HVX_REX_W)
			return 8;
		return d->opsize_prefix ? 2 : 4;
	}
	if (d->mode == HVX_CPU_MODE_32)
		return d->opsize_prefix ? 2 : 4;
	return d->opsize_prefix ? 4 : 2;
}

/* Address size in bytes: 67 toggles 16/32, or selects 32 in 64-bit mode. */
static unsigned int hvx_adsize(const struct hvx_decoder *d)
{
	if (d->mode == HVX_CPU_MODE_64)
		return d->adsize_prefix ? 4 : 8;
	if (d->mode == HVX_CPU_MODE_32)
		return d->adsize_prefix ? 2 : 4;
	return d->adsize_prefix ? 4 : 2;
}

/* The segment of a memory operand: the override, else @def. */
static u8 hvx_seg(const struct hvx_decoder *d, u8 def)
{
	return d->seg == HVX_NO_REG ? def : d->seg;
}

/* 16-bit addressing, SDM Vol. 2A Table 2-1: rm selects these pairs. */
static const u8 hvx_rm16_base[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };
static const u8 hvx_rm16_index[8] = { 6, 7, 6, 7, HVX_NO_REG, HVX_NO_REG,
				      HVX_NO_REG, HVX_NO_REG };

/*
 * Consume ModRM and whatever SIB and displacement it calls for, returning
 * the reg field (extended by REX.R) in @reg and the effective address's
 * parts in @insn. A register operand (mod = 11) means the instruction
 * does not access memory and cannot be ours.
 */
static int hvx_modrm(struct hvx_decoder *d, u8 *reg, struct hvx_mmio_insn *insn)
{
	u8 modrm, mod, rm, sib, base;
	unsigned int disp = 0;
	bool bp_based;
	int ret;

	ret = hvx_need(d, 1);
	if (ret)
		return ret;
	modrm = hvx_take(d, 1);
	mod = modrm >> 6;
	rm = modrm & 7;
	*reg = ((modrm >> 3) & 7) | ((d->rex & HVX_REX_R) ? 8 : 0);
	if (mod == 3)
		return -EINVAL;

	insn->has_ea = true;
	insn->scale = 1;
	insn->base = HVX_NO_REG;
	insn->index = HVX_NO_REG;
	if (hvx_adsize(d) == 2) {
		/*
		 * 16-bit addressing has no SIB; mod = 00 with rm = 110 is
		 * a bare disp16 instead of [BP]. BP as base defaults to SS.
		 */
		if (mod == 1)
			disp = 1;
		else if (mod == 2 || (mod == 0 && rm == 6))
			disp = 2;
		if (!(mod == 0 && rm == 6)) {
			insn->base = hvx_rm16_base[rm];
			insn->index = hvx_rm16_index[rm];
		}
		bp_based = insn->base == 5;
	} else {
		/*
		 * 32- and 64-bit addressing (SDM Vol. 2A Tables 2-2, 2-3):
		 * rm = 100 brings a SIB byte, and mod = 00 with rm = 101 or
		 * with SIB base = 101 has a disp32 and no base register (in
		 * 64-bit mode rm = 101 is RIP-relative, still disp32). Only
		 * the low three bits count: REX.B does not change these
		 * special cases (SDM Vol. 2A 2.2.1.2, Table 2-5). An index
		 * of 100 without REX.X is none.
		 */
		base = rm;
		if (rm == 4) {
			ret = hvx_need(d, 1);
			if (ret)
				return ret;
			sib = hvx_take(d, 1);
			base = sib & 7;
			insn->scale = 1 << (sib >> 6);
			insn->index = ((sib >> 3) & 7) |
				      ((d->rex & HVX_REX_X) ? 8 : 0);
			if (insn->index == 4)
				insn->index = HVX_NO_REG;
		}
		if (mod == 1)
			disp = 1;
		else if (mod == 2 || (mod == 0 && base == 5))
			disp = 4;
		if (mod == 0 && base == 5)
			insn->rip_rel = rm == 5 && d->mode == HVX_CPU_MODE_64;
		else
			insn->base = base | ((d->rex & HVX_REX_B) ? 8 : 0);
		bp_based = insn->base == 4 || insn->base == 5;
	}
	insn->seg = hvx_seg(d, bp_based ? HVX_SEG_SS : HVX_SEG_DS);
	return hvx_take_signed(d, disp, &insn->disp);
}

/*
 * Name the byte register encoded as @reg: without any REX prefix, 4..7 are
 * AH, CH, DH, BH rather than SPL, BPL, SIL, DIL (SDM Vol. 2A 3.1.1.1).
 */
static void hvx_byte_reg(const struct hvx_decoder *d, u8 reg,
			 struct hvx_mmio_insn *insn)
{
	if (!d->rex && reg >= 4 && reg <= 7) {
		insn->reg = reg - 4;
		insn->high_byte = true;
	} else {
		insn->reg = reg;
	}
}

/*
 * An instruction with ModRM and a register operand: @byte_op for the
 * 8-bit forms (the register may be AH..BH), else the operand size.
 */
static int hvx_modrm_reg(struct hvx_decoder *d, bool byte_op,
			 struct hvx_mmio_insn *insn)
{
	int ret;
	u8 reg;

	ret = hvx_modrm(d, &reg, insn);
	if (ret)
		return ret;
	if (byte_op) {
		insn->size = 1;
		hvx_byte_reg(d, reg, insn);
	} else {
		insn->size = hvx_opsize(d);
		insn->reg = reg;
	}
	insn->dst_size = insn->size;
	return 0;
}

/*
 * An immediate of an instruction of @size bytes: @imm_len bytes, sign-
 * extended where shorter than size (83, and the imm32 of REX.W forms),
 * then cut to size.
 */
static int hvx_imm(struct hvx_decoder *d, unsigned int imm_len,
		   struct hvx_mmio_insn *insn)
{
	int ret = hvx_take_signed(d, imm_len, &insn->imm);

	if (ret)
		return ret;
	if (insn->size < 8)
		insn->imm &= (1ULL << (8 * insn->size)) - 1;
	insn->has_imm = true;
	return 0;
}

/* The immediate that follows an Ev instruction: iw or id, never 8 bytes. */
static unsigned int hvx_imm_len(const struct hvx_mmio_insn *insn)
{
	return insn->size == 8 ? 4 : insn->size;
}

/* An r/m operand and a ModRM reg field that selects the operation. */
static int hvx_modrm_group(struct hvx_decoder *d, bool byte_op, u8 *reg,
			   struct hvx_mmio_insn *insn)
{
	int ret = hvx_modrm(d, reg, insn);

	if (ret)
		return ret;
	*reg &= 7;
	insn->size = byte_op ? 1 : hvx_opsize(d);
	insn->dst_size = insn->size;
	return 0;
}

/* A string instruction: A4-A7, AA-AF. */
static int hvx_string(struct hvx_decoder *d, u8 op, struct hvx_mmio_insn *insn)
{
	static const u8 ops[] = {
		HVX_OP_MOVS, HVX_OP_CMPS, 0xff /* A8/A9 */,
		HVX_OP_STOS, HVX_OP_LODS, HVX_OP_SCAS,
	};

	insn->op = ops[(op - 0xa4) >> 1];
	if (insn->op == 0xff)
		return -EINVAL;	/* A8/A9: TEST AL/rAX, imm */
	insn->size = (op & 1) ? hvx_opsize(d) : 1;
	insn->dst_size = insn->size;
	insn->seg = hvx_seg(d, HVX_SEG_DS);
	/* F2 MOVS/STOS/LODS repeat as F3 does (SDM Vol. 2B REP). */
	insn->rep = d->rep;
	if (d->rep && insn->op != HVX_OP_CMPS && insn->op != HVX_OP_SCAS)
		insn->rep = HVX_REP_E;
	return 0;
}

/* The one-byte map. */
static int hvx_onebyte(struct hvx_decoder *d, u8 op, struct hvx_mmio_insn *insn)
{
	unsigned int moffs_len;
	int ret;
	u8 reg;

	if (op < 0x40 && (op & 7) < 4) {
		/* ALU: 00 Eb,Gb  01 Ev,Gv  02 Gb,Eb  03 Gv,Ev (x 8 ops). */
		insn->op = HVX_OP_ALU;
		insn->sub = op >> 3;
		insn->mem_dst = !(op & 2);
		return hvx_modrm_reg(d, !(op & 1), insn);
	}
	/* 82 is an alias of 80, #UD in 64-bit mode. */
	if (op == 0x82 && d->mode == HVX_CPU_MODE_64)
		return -EINVAL;
	switch (op) {
	case 0x80: case 0x81: case 0x82: case 0x83:
		ret = hvx_modrm_group(d, op == 0x80 || op == 0x82, &reg, insn);
		if (ret)
			return ret;
		insn->op = HVX_OP_ALU;
		insn->sub = reg;
		insn->mem_dst = true;
		return hvx_imm(d, op == 0x81 ? hvx_imm_len(insn) : 1, insn);
	case 0x84: case 0x85:
		insn->op = HVX_OP_TEST;
		return hvx_modrm_reg(d, op == 0x84, insn);
	case 0x86: case 0x87:
		insn->op = HVX_OP_XCHG;
		return hvx_modrm_reg(d, op == 0x86, insn);
	case 0x88: case 0x89: case 0x8a: case 0x8b:
		/* MOV r/m, r and MOV r, r/m. */
		insn->is_write = !(op & 2);
		return hvx_modrm_reg(d, !(op & 1), insn);
	case 0x8f:
		ret = hvx_modrm_group(d, false, &reg, insn);
		if (ret)
			return ret;
		if (reg)
			return -EINVAL;	/* XOP */
		insn->op = HVX_OP_POP;
		break;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		/*
		 * MOV AL/rAX, moffs and MOV moffs, AL/rAX: no ModRM; the
		 * offset that follows the opcode is as wide as the address.
		 */
		moffs_len = hvx_adsize(d);
		ret = hvx_need(d, moffs_len);
		if (ret)
			return ret;
		insn->disp = hvx_take(d, moffs_len);
		insn->has_ea = true;
		insn->base = HVX_NO_REG;
		insn->index = HVX_NO_REG;
		insn->scale = 1;
		insn->seg = hvx_seg(d, HVX_SEG_DS);
		insn->size = (op & 1) ? hvx_opsize(d) : 1;
		insn->dst_size = insn->size;
		insn->is_write = op & 2;
		break;
	case 0xa4: case 0xa5: case 0xa6: case 0xa7:
	case 0xaa: case 0xab: case 0xac: case 0xad: case 0xae: case 0xaf:
		return hvx_string(d, op, insn);
	case 0xc6: case 0xc7:
		/* MOV r/m, imm; other reg values are XABORT, XBEGIN. */
		ret = hvx_modrm_group(d, op == 0xc6, &reg, insn);
		if (ret)
			return ret;
		if (reg)
			return -EINVAL;
		insn->is_write = true;
		return hvx_imm(d, hvx_imm_len(insn), insn);
	case 0xf6: case 0xf7:
		ret = hvx_modrm_group(d, op == 0xf6, &reg, insn);
		if (ret)
			return ret;
		/* /1 is an undocumented TEST alias; /4-/7 MUL and DIV. */
		if (reg == 0) {
			insn->op = HVX_OP_TEST;
			return hvx_imm(d, hvx_imm_len(insn), insn);
		}
		if (reg != 2 && reg != 3)
			return -EINVAL;
		insn->op = reg == 2 ? HVX_OP_NOT : HVX_OP_NEG;
		break;
	case 0xfe: case 0xff:
		ret = hvx_modrm_group(d, op == 0xfe, &reg, insn);
		if (ret)
			return ret;
		if (reg == 0 || reg == 1) {
			insn->op = reg ? HVX_OP_DEC : HVX_OP_INC;
		} else if (reg == 6 && op == 0xff) {
			insn->op = HVX_OP_PUSH;
		} else {
			/* CALL, JMP (near and far) and FE /2../7. */
			return -EINVAL;
		}
		break;
	default:
		return -EINVAL;
	}
	/*
	 * PUSH and POP move the operand size, which in 64-bit mode is 64
	 * bits unless 66 makes it 16 (SDM Vol. 2B PUSH, POP).
	 */
	if ((insn->op == HVX_OP_PUSH || insn->op == HVX_OP_POP) &&
	    d->mode == HVX_CPU_MODE_64) {
		insn->size = d->opsize_prefix && !(d->rex & HVX_REX_W) ? 2 : 8;
		insn->dst_size = insn->size;
	}
	return 0;
}

/* The two-byte map, 0F xx; 0F 38 xx for MOVBE only. */
static int hvx_twobyte(struct hvx_decoder *d, struct hvx_mmio_insn *insn)
{
	int ret;
	u8 op, reg;

	ret = hvx_need(d, 1);
	if (ret)
		return ret;
	op = hvx_take(d, 1);
	/*
	 * F2 and F3 select other instructions in this map (F3 0F B8 is
	 * POPCNT, F2 0F 38 F0 CRC32), so rather than guess what they do to
	 * these, refuse them; with LOCK they are the XACQUIRE and XRELEASE
	 * hints, which change nothing here.
	 */
	if (d->rep && !d->lock)
		return -EINVAL;

	switch (op) {
	case 0xa3: case 0xab: case 0xb3: case 0xbb:
		/* BT, BTS, BTR, BTC Ev, Gv: bits 4:3 of the opcode. */
		insn->op = HVX_OP_BT;
		insn->sub = (op >> 3) & 3;
		return hvx_modrm_reg(d, false, insn);
	case 0xba:
		ret = hvx_modrm_group(d, false, &reg, insn);
		if (ret)
			return ret;
		if (reg < 4)
			return -EINVAL;
		insn->op = HVX_OP_BT;
		insn->sub = reg - 4;
		/* Only the low bits count; the immediate is not extended. */
		ret = hvx_need(d, 1);
		if (ret)
			return ret;
		insn->imm = hvx_take(d, 1);
		insn->has_imm = true;
		return 0;
	case 0xb0: case 0xb1:
		insn->op = HVX_OP_CMPXCHG;
		return hvx_modrm_reg(d, op == 0xb0, insn);
	case 0xb6: case 0xb7: case 0xbe: case 0xbf:
		/* MOVZX, MOVSX: memory is the source, reg never a byte. */
		ret = hvx_modrm(d, &reg, insn);
		if (ret)
			return ret;
		insn->reg = reg;
		insn->size = (op & 1) ? 2 : 1;
		insn->dst_size = hvx_opsize(d);
		insn->ext = (op & 8) ? HVX_EXT_SIGN : HVX_EXT_ZERO;
		return 0;
	case 0xc3:
		/* MOVNTI My, Gy: 32 or 64 bits; 66 makes it #UD. */
		if (d->opsize_prefix)
			return -EINVAL;
		ret = hvx_modrm_reg(d, false, insn);
		insn->size = (d->rex & HVX_REX_W) ? 8 : 4;
		insn->dst_size = insn->size;
		insn->is_write = true;
		return ret;
	case 0x38:
		ret = hvx_need(d, 1);
		if (ret)
			return ret;
		op = hvx_take(d, 1);
		if (op != 0xf0 && op != 0xf1)
			return -EINVAL;
		/* MOVBE Gv, Mv (F0) and MOVBE Mv, Gv (F1). */
		insn->bswap = true;
		insn->is_write = op & 1;
		return hvx_modrm_reg(d, false, insn);
	}
	return -EINVAL;
}

/*
 * LOCK is valid only on a read-modify-write of memory (SDM Vol. 2A LOCK);
 * elsewhere the CPU raises #UD, so such an instruction cannot have got
 * here and is refused. LOCK MOV has long been ignored here and stays so.
 */
static bool hvx_lock_ok(const struct hvx_mmio_insn *insn)
{
	switch (insn->op) {
	case HVX_OP_MOV:
		return !insn->bswap;
	case HVX_OP_ALU:
		return insn->mem_dst && insn->sub != HVX_ALU_CMP;
	case HVX_OP_NOT: case HVX_OP_NEG: case HVX_OP_INC: case HVX_OP_DEC:
	case HVX_OP_XCHG: case HVX_OP_CMPXCHG:
		return true;
	case HVX_OP_BT:
		return insn->sub != HVX_BT_BT;
	}
	return false;
}

int hvx_decode_mmio(const u8 *bytes, unsigned int avail, int mode,
		    struct hvx_mmio_insn *out)
{
	struct hvx_decoder d = {
		.bytes = bytes,
		.avail = avail,
		.mode = mode,
		.seg = HVX_NO_REG,
	};
	struct hvx_mmio_insn insn = { .ext = HVX_EXT_NONE };
	int ret;
	u8 op;

	if (mode != HVX_CPU_MODE_16 && mode != HVX_CPU_MODE_32 &&
	    mode != HVX_CPU_MODE_64)
		return -EINVAL;

	ret = hvx_prefixes(&d);
	if (ret)
		return ret;
	op = hvx_take(&d, 1);
	insn.adsize = hvx_adsize(&d);
	if (op == 0x0f)
		ret = hvx_twobyte(&d, &insn);
	else
		ret = hvx_onebyte(&d, op, &insn);
	if (ret)
		return ret;
	insn.lock = d.lock;
	if (d.lock && !hvx_lock_ok(&insn))
		return -EINVAL;

	insn.len = d.pos;
	*out = insn;
	return 0;
}
