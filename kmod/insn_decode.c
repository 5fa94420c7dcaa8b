// SPDX-License-Identifier: GPL-2.0
/*
 * Decoder for the MOV forms that reach hvx as MMIO EPT violations.
 *
 * Supported: 88, 89, 8A, 8B (MOV r/m, r and r, r/m), C6 /0, C7 /0 (MOV
 * r/m, imm), 0F B6, 0F B7, 0F BE, 0F BF (MOVZX, MOVSX) and A0-A3 (MOV
 * between the accumulator and a moffs), with any legacy prefixes and, in
 * 64-bit mode, REX. Instruction formats follow SDM Vol. 2A chapter 2.
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
	bool rep_prefix;	/* F2 or F3 */
	u8 rex;			/* the REX byte in effect, or 0 */
};

#define HVX_REX_W	0x08
#define HVX_REX_R	0x04

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
		case 0xf3:
			d->rep_prefix = true;
			break;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64:
		case 0x65:
			/*
			 * The segment does not matter: the CPU has already
			 * produced the guest-physical address.
			 */
			break;
		case 0xf0:
			/*
			 * LOCK MOV raises #UD before any memory access, so
			 * it cannot get here; ignoring it is harmless.
			 */
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

/*
 * Consume ModRM and whatever SIB and displacement it calls for, returning
 * the reg field (extended by REX.R) in @reg. A register operand (mod = 11)
 * means the instruction does not access memory and cannot be ours.
 */
static int hvx_modrm(struct hvx_decoder *d, u8 *reg)
{
	unsigned int disp = 0;
	u8 modrm, mod, rm, base;
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

	if (hvx_adsize(d) == 2) {
		/*
		 * 16-bit addressing has no SIB; mod = 00 with rm = 110 is
		 * a bare disp16 instead of [BP] (SDM Vol. 2A Table 2-1).
		 */
		if (mod == 1)
			disp = 1;
		else if (mod == 2 || (mod == 0 && rm == 6))
			disp = 2;
	} else {
		/*
		 * 32- and 64-bit addressing (SDM Vol. 2A Tables 2-2, 2-3):
		 * rm = 100 brings a SIB byte, and mod = 00 with rm = 101 or
		 * with SIB base = 101 has a disp32 and no base register (in
		 * 64-bit mode rm = 101 is RIP-relative, still disp32). Only
		 * the low three bits count: REX.B does not change these
		 * special cases (SDM Vol. 2A 2.2.1.2, Table 2-5).
		 */
		base = rm;
		if (rm == 4) {
			ret = hvx_need(d, 1);
			if (ret)
				return ret;
			base = hvx_take(d, 1) & 7;
		}
		if (mod == 1)
			disp = 1;
		else if (mod == 2 || (mod == 0 && base == 5))
			disp = 4;
	}

	ret = hvx_need(d, disp);
	if (ret)
		return ret;
	hvx_take(d, disp);
	return 0;
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

/* MOV r/m, r and MOV r, r/m: 88, 89, 8A, 8B. */
static int hvx_mov_modrm(struct hvx_decoder *d, u8 op,
			 struct hvx_mmio_insn *insn)
{
	int ret;
	u8 reg;

	ret = hvx_modrm(d, &reg);
	if (ret)
		return ret;
	insn->is_write = !(op & 2);
	if (op & 1) {
		insn->size = hvx_opsize(d);
		insn->reg = reg;
	} else {
		insn->size = 1;
		hvx_byte_reg(d, reg, insn);
	}
	insn->dst_size = insn->size;
	return 0;
}

/* MOV r/m, imm: C6 /0 ib and C7 /0 iw or id. */
static int hvx_mov_imm(struct hvx_decoder *d, u8 op,
		       struct hvx_mmio_insn *insn)
{
	unsigned int imm_len;
	int ret;
	u8 reg;

	ret = hvx_modrm(d, &reg);
	if (ret)
		return ret;
	/* Other reg values are other instructions (XABORT, XBEGIN). */
	if (reg & 7)
		return -EINVAL;

	insn->size = (op & 1) ? hvx_opsize(d) : 1;
	/* The immediate is never 8 bytes: REX.W sign-extends an imm32. */
	imm_len = insn->size == 8 ? 4 : insn->size;
	ret = hvx_need(d, imm_len);
	if (ret)
		return ret;
	insn->imm = hvx_take(d, imm_len);
	if (insn->size == 8 && (insn->imm & 0x80000000))
		insn->imm |= 0xffffffff00000000ULL;

	insn->is_write = true;
	insn->has_imm = true;
	insn->dst_size = insn->size;
	return 0;
}

/* MOVZX and MOVSX: 0F B6, 0F B7, 0F BE, 0F BF. */
static int hvx_movx(struct hvx_decoder *d, u8 op, struct hvx_mmio_insn *insn)
{
	int ret;
	u8 reg;

	ret = hvx_modrm(d, &reg);
	if (ret)
		return ret;
	/* The memory operand is the source; reg is never a byte register. */
	insn->reg = reg;
	insn->size = (op & 1) ? 2 : 1;
	insn->dst_size = hvx_opsize(d);
	insn->ext = (op & 8) ? HVX_EXT_SIGN : HVX_EXT_ZERO;
	return 0;
}

/*
 * MOV AL/rAX, moffs and MOV moffs, AL/rAX: A0-A3. There is no ModRM; the
 * offset that follows the opcode is as wide as the address size.
 */
static int hvx_mov_moffs(struct hvx_decoder *d, u8 op,
			 struct hvx_mmio_insn *insn)
{
	unsigned int moffs_len = hvx_adsize(d);
	int ret;

	ret = hvx_need(d, moffs_len);
	if (ret)
		return ret;
	hvx_take(d, moffs_len);
	insn->reg = 0;
	insn->size = (op & 1) ? hvx_opsize(d) : 1;
	insn->dst_size = insn->size;
	insn->is_write = op & 2;
	return 0;
}

int hvx_decode_mmio(const u8 *bytes, unsigned int avail, int mode,
		    struct hvx_mmio_insn *out)
{
	struct hvx_decoder d = {
		.bytes = bytes,
		.avail = avail,
		.mode = mode,
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

	switch (op) {
	case 0x88: case 0x89: case 0x8a: case 0x8b:
		ret = hvx_mov_modrm(&d, op, &insn);
		break;
	case 0xc6: case 0xc7:
		ret = hvx_mov_imm(&d, op, &insn);
		break;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		ret = hvx_mov_moffs(&d, op, &insn);
		break;
	case 0x0f:
		ret = hvx_need(&d, 1);
		if (ret)
			return ret;
		op = hvx_take(&d, 1);
		/*
		 * F2 and F3 select other instructions in the 0F map
		 * (F3 0F B8 is POPCNT, F3 0F BC TZCNT), so rather than
		 * guess what they do to these, refuse them.
		 */
		if (d.rep_prefix)
			return -EINVAL;
		if (op != 0xb6 && op != 0xb7 && op != 0xbe && op != 0xbf)
			return -EINVAL;
		ret = hvx_movx(&d, op, &insn);
		break;
	default:
		return -EINVAL;
	}
	if (ret)
		return ret;

	insn.len = d.pos;
	*out = insn;
	return 0;
}
