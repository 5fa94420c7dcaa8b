// SPDX-License-Identifier: GPL-2.0
/*
 * Cases for hvx_decode_mmio().
 *
 * Each case holds bytes encoded by hand. Where an assembler can produce
 * them, it also holds the assembler source (src): "unit_test --emit-asm"
 * writes every such line into one file, each padded to a 16-byte slot
 * with 0xf1, the Makefile assembles it with as, and the test checks each
 * hand encoding against its slot. Encodings no assembler emits (prefix
 * orders it avoids, redundant prefixes, invalid forms) have src NULL.
 *
 * For every case that decodes, three more things are checked: each
 * shorter prefix of the bytes gives -ENODATA, the same bytes followed by
 * unrelated ones decode the same, and the reported length is the number
 * of bytes the case holds.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/types.h>

#include "insn_decode.h"
#include "unit.h"

#define SLOT	16	/* bytes of the reference file per case */
#define FILL	0xf1	/* padding of a slot past the instruction */

struct dcase {
	int mode;
	const char *src;	/* gas source of the bytes, or NULL */
	const char *what;	/* the description when src is NULL */
	u8 bytes[20];
	unsigned int nbytes;
	unsigned int cut;	/* offer only nbytes - cut bytes */
	int ret;
	/* The expected hvx_mmio_insn when ret is 0; len is nbytes. */
	u8 size, reg, dst_size, ext;
	bool is_write, has_imm, high_byte;
	u64 imm;
	/* Beyond MOV: compared in every case (all zero for a MOV). */
	u8 op, sub, rep;
	bool mem_dst, bswap, lock;
	/* Compared only when chk_seg (seg, adsize) and chk_ea (the rest). */
	bool chk_seg, chk_ea, rip_rel;
	u8 seg, adsize, base, index, scale;
	u64 disp;
};

#define M16	.mode = HVX_CPU_MODE_16
#define M32	.mode = HVX_CPU_MODE_32
#define M64	.mode = HVX_CPU_MODE_64
#define AS(s)	.src = (s)
#define HAND(s)	.what = (s)
#define B(...)	.bytes = { __VA_ARGS__ }, \
		.nbytes = sizeof((u8[]){ __VA_ARGS__ })

/* Store of register @r, @sz bytes. */
#define ST(sz, r)	.size = (sz), .reg = (r), .dst_size = (sz), \
			.is_write = true
/* Store of AH/CH/DH/BH: @r is the GPR, 0..3. */
#define STH(r)		ST(1, r), .high_byte = true
/* Plain load into register @r. */
#define LD(sz, r)	.size = (sz), .reg = (r), .dst_size = (sz)
#define LDH(r)		LD(1, r), .high_byte = true
/* MOVZX/MOVSX: @sz bytes read, widened to @dsz by @e (ZERO or SIGN). */
#define LDX(sz, r, dsz, e)	.size = (sz), .reg = (r), .dst_size = (dsz), \
				.ext = HVX_EXT_##e
/* Store of immediate @v, @sz bytes. */
#define IMM(sz, v)	.size = (sz), .dst_size = (sz), .is_write = true, \
			.has_imm = true, .imm = (v)
#define ERR(e)		.ret = -(e)
/* ALU @s (ADD..CMP) with register @r; @md: memory is the destination. */
#define ALU(s, sz, r, md)	.op = HVX_OP_ALU, .sub = HVX_ALU_##s, \
				.size = (sz), .dst_size = (sz), .reg = (r), \
				.mem_dst = (md)
#define ALUI(s, sz, v)	.op = HVX_OP_ALU, .sub = HVX_ALU_##s, .size = (sz), \
			.dst_size = (sz), .mem_dst = true, .has_imm = true, \
			.imm = (v)
/* Another op with register @r, or with immediate @v. */
#define OPR(o, sz, r)	.op = HVX_OP_##o, .size = (sz), .dst_size = (sz), \
			.reg = (r)
#define OPI(o, sz, v)	.op = HVX_OP_##o, .size = (sz), .dst_size = (sz), \
			.has_imm = true, .imm = (v)
#define BTR(s, sz, r)	OPR(BT, sz, r), .sub = HVX_BT_##s
#define BTI(s, sz, v)	OPI(BT, sz, v), .sub = HVX_BT_##s
/* A string instruction, its REP, source segment and address size. */
#define STR(o, sz, rp, sg, as)	.op = HVX_OP_##o, .size = (sz), \
				.dst_size = (sz), .rep = HVX_REP_##rp, \
				.chk_seg = true, .seg = HVX_SEG_##sg, \
				.adsize = (as)
#define LOCK		.lock = true
/* The memory operand: segment, address size, base, index, scale, disp. */
#define EA(sg, as, b, i, sc, d)	.chk_seg = true, .seg = HVX_SEG_##sg, \
				.adsize = (as), .chk_ea = true, .base = (b), \
				.index = (i), .scale = (sc), .disp = (u64)(d)
#define NR		HVX_NO_REG

static const struct dcase cases[] = {
	/* ---- 64-bit mode: 88/89 stores --------------------------------- */
	{ M64, AS("mov %al,(%rbx)"), B(0x88, 0x03), ST(1, 0) },
	{ M64, AS("mov %ah,(%rbx)"), B(0x88, 0x23), STH(0) },
	{ M64, AS("mov %bh,0x10(%rsi)"), B(0x88, 0x7e, 0x10), STH(3) },
	{ M64, AS("mov %spl,(%rbx)"), B(0x40, 0x88, 0x23), ST(1, 4) },
	{ M64, AS("mov %dil,(%rax)"), B(0x40, 0x88, 0x38), ST(1, 7) },
	{ M64, AS("mov %r9b,(%rax)"), B(0x44, 0x88, 0x08), ST(1, 9) },
	{ M64, AS("mov %ax,(%rdi)"), B(0x66, 0x89, 0x07), ST(2, 0) },
	{ M64, AS("mov %ecx,(%rdi)"), B(0x89, 0x0f), ST(4, 1) },
	{ M64, AS("mov %rdx,(%rdi)"), B(0x48, 0x89, 0x17), ST(8, 2) },
	{ M64, AS("mov %r15,0x12345678(%r8)"),
	  B(0x4d, 0x89, 0xb8, 0x78, 0x56, 0x34, 0x12), ST(8, 15) },
	{ M64, AS("mov %r10w,-0x4(%rbp)"),
	  B(0x66, 0x44, 0x89, 0x55, 0xfc), ST(2, 10) },
	{ M64, AS("mov %esi,0x10(%rip)"),
	  B(0x89, 0x35, 0x10, 0x00, 0x00, 0x00), ST(4, 6) },

	/* ---- 64-bit mode: addressing forms ----------------------------- */
	{ M64, AS("mov 0x0(%rip),%eax"),
	  B(0x8b, 0x05, 0x00, 0x00, 0x00, 0x00), LD(4, 0) },
	{ M64, AS("mov (%rax,%rbx,4),%ecx"), B(0x8b, 0x0c, 0x98), LD(4, 1) },
	{ M64, AS("mov 0x8(%rsp),%rax"),
	  B(0x48, 0x8b, 0x44, 0x24, 0x08), LD(8, 0) },
	{ M64, AS("mov 0x100(%rax,%rcx,8),%r10d"),
	  B(0x44, 0x8b, 0x94, 0xc8, 0x00, 0x01, 0x00, 0x00), LD(4, 10) },
	{ M64, AS("mov 0x1000(,%rcx,8),%edx"),
	  B(0x8b, 0x14, 0xcd, 0x00, 0x10, 0x00, 0x00), LD(4, 2) },
	{ M64, AS("mov 0x12345678,%eax"),
	  B(0x8b, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12), LD(4, 0) },
	{ M64, AS("mov (%r13),%eax"), B(0x41, 0x8b, 0x45, 0x00), LD(4, 0) },
	{ M64, AS("mov (%r12),%eax"), B(0x41, 0x8b, 0x04, 0x24), LD(4, 0) },
	{ M64, AS("mov 0x12(%r12,%r13,2),%r14"),
	  B(0x4f, 0x8b, 0x74, 0x6c, 0x12), LD(8, 14) },
	{ M64, AS("mov 0x11223344(,%r13,1),%ebx"),
	  B(0x42, 0x8b, 0x1c, 0x2d, 0x44, 0x33, 0x22, 0x11), LD(4, 3) },
	{ M64, AS("mov 0x1000(%r13,%rax,1),%edi"),
	  B(0x41, 0x8b, 0xbc, 0x05, 0x00, 0x10, 0x00, 0x00), LD(4, 7) },
	{ M64, AS("{disp32} mov 0x8(%rbx),%eax"),
	  B(0x8b, 0x83, 0x08, 0x00, 0x00, 0x00), LD(4, 0) },

	/* ---- 64-bit mode: 8A/8B loads ---------------------------------- */
	{ M64, AS("mov (%rbp),%bl"), B(0x8a, 0x5d, 0x00), LD(1, 3) },
	{ M64, AS("mov (%rbp),%bh"), B(0x8a, 0x7d, 0x00), LDH(3) },
	{ M64, AS("mov (%rax),%sil"), B(0x40, 0x8a, 0x30), LD(1, 6) },
	{ M64, AS("mov (%rax),%r8b"), B(0x44, 0x8a, 0x00), LD(1, 8) },
	{ M64, AS("mov (%rcx),%r11"), B(0x4c, 0x8b, 0x19), LD(8, 11) },
	{ M64, AS("mov (%rcx),%si"), B(0x66, 0x8b, 0x31), LD(2, 6) },

	/* ---- 64-bit mode: C6/C7 immediate stores ----------------------- */
	{ M64, AS("movb $0x5a,(%rax)"), B(0xc6, 0x00, 0x5a), IMM(1, 0x5a) },
	{ M64, AS("movb $0x80,0x7f(%rax)"),
	  B(0xc6, 0x40, 0x7f, 0x80), IMM(1, 0x80) },
	{ M64, AS("movw $0x1234,(%rax)"),
	  B(0x66, 0xc7, 0x00, 0x34, 0x12), IMM(2, 0x1234) },
	{ M64, AS("movw $0x8000,(%rax)"),
	  B(0x66, 0xc7, 0x00, 0x00, 0x80), IMM(2, 0x8000) },
	{ M64, AS("movl $0x89abcdef,(%rax)"),
	  B(0xc7, 0x00, 0xef, 0xcd, 0xab, 0x89), IMM(4, 0x89abcdef) },
	{ M64, AS("movq $-2,(%rax)"),
	  B(0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff),
	  IMM(8, 0xfffffffffffffffeULL) },
	{ M64, AS("movq $0x7fffffff,0x40(%rbx)"),
	  B(0x48, 0xc7, 0x43, 0x40, 0xff, 0xff, 0xff, 0x7f),
	  IMM(8, 0x7fffffff) },
	{ M64, AS("movl $1,0x0(%rip)"),
	  B(0xc7, 0x05, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00),
	  IMM(4, 1) },
	{ M64, AS("movq $0x12345678,0x11223344(%r9,%r10,4)"),
	  B(0x4b, 0xc7, 0x84, 0x91, 0x44, 0x33, 0x22, 0x11,
	    0x78, 0x56, 0x34, 0x12),
	  IMM(8, 0x12345678) },
	{ M64, AS("movb $0x1,%fs:(%r8)"),
	  B(0x64, 0x41, 0xc6, 0x00, 0x01), IMM(1, 1) },

	/* ---- 64-bit mode: MOVZX/MOVSX ---------------------------------- */
	{ M64, AS("movzbl (%rsi),%eax"), B(0x0f, 0xb6, 0x06),
	  LDX(1, 0, 4, ZERO) },
	{ M64, AS("movzbw (%rsi),%ax"), B(0x66, 0x0f, 0xb6, 0x06),
	  LDX(1, 0, 2, ZERO) },
	{ M64, AS("movzbq (%rsi),%r9"), B(0x4c, 0x0f, 0xb6, 0x0e),
	  LDX(1, 9, 8, ZERO) },
	{ M64, AS("movzwl (%rsi),%ecx"), B(0x0f, 0xb7, 0x0e),
	  LDX(2, 1, 4, ZERO) },
	{ M64, AS("movzwq 0x4(%rsi),%rdx"),
	  B(0x48, 0x0f, 0xb7, 0x56, 0x04), LDX(2, 2, 8, ZERO) },
	{ M64, AS("movsbl (%rdi),%eax"), B(0x0f, 0xbe, 0x07),
	  LDX(1, 0, 4, SIGN) },
	{ M64, AS("movsbq (%rdi),%rax"), B(0x48, 0x0f, 0xbe, 0x07),
	  LDX(1, 0, 8, SIGN) },
	{ M64, AS("movsbw (%rdi),%dx"), B(0x66, 0x0f, 0xbe, 0x17),
	  LDX(1, 2, 2, SIGN) },
	{ M64, AS("movswl (%rdi),%ebx"), B(0x0f, 0xbf, 0x1f),
	  LDX(2, 3, 4, SIGN) },
	{ M64, AS("movswq (%rdi),%r14"), B(0x4c, 0x0f, 0xbf, 0x37),
	  LDX(2, 14, 8, SIGN) },
	{ M64, AS("movsbl 0x0(%rip),%esp"),
	  B(0x0f, 0xbe, 0x25, 0x00, 0x00, 0x00, 0x00), LDX(1, 4, 4, SIGN) },

	/* ---- 64-bit mode: A0-A3 moffs ---------------------------------- */
	{ M64, AS("movabs 0x1122334455667788,%al"),
	  B(0xa0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	  LD(1, 0) },
	{ M64, AS("movabs 0x1122334455667788,%eax"),
	  B(0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	  LD(4, 0) },
	{ M64, AS("movabs 0x1122334455667788,%rax"),
	  B(0x48, 0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	  LD(8, 0) },
	{ M64, AS("movabs %al,0x1122334455667788"),
	  B(0xa2, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	  ST(1, 0) },
	{ M64, AS("movabs %ax,0x1122334455667788"),
	  B(0x66, 0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	  ST(2, 0) },
	{ M64, AS("movabs %rax,0x1122334455667788"),
	  B(0x48, 0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	  ST(8, 0) },
	{ M64, AS("addr32 movabs 0x12345678,%eax"),
	  B(0x67, 0xa1, 0x78, 0x56, 0x34, 0x12), LD(4, 0) },
	{ M64, AS("movabs %gs:0x1122334455667788,%rax"),
	  B(0x65, 0x48, 0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22,
	    0x11),
	  LD(8, 0) },

	/* ---- 64-bit mode: prefixes ------------------------------------- */
	{ M64, AS("mov %eax,%fs:(%rbx)"), B(0x64, 0x89, 0x03), ST(4, 0) },
	{ M64, AS("mov %gs:0x10,%eax"),
	  B(0x65, 0x8b, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00), LD(4, 0) },
	{ M64, AS("mov %eax,(%ebx)"), B(0x67, 0x89, 0x03), ST(4, 0) },
	{ M64, AS("mov 0x10(%eip),%eax"),
	  B(0x67, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00), LD(4, 0) },
	{ M64, AS("data16 mov %rax,(%rbx)"),
	  B(0x66, 0x48, 0x89, 0x03), ST(8, 0) },
	{ M64, AS("data16 movq $-1,(%rbx)"),
	  B(0x66, 0x48, 0xc7, 0x03, 0xff, 0xff, 0xff, 0xff),
	  IMM(8, 0xffffffffffffffffULL) },
	{ M64, AS("xrelease mov %eax,(%rbx)"), B(0xf3, 0x89, 0x03),
	  ST(4, 0) },
	{ M64, AS("rex.W mov %al,(%rbx)"), B(0x48, 0x88, 0x03), ST(1, 0) },
	{ M64, HAND("f0 89: LOCK is ignored"), B(0xf0, 0x89, 0x03),
	  ST(4, 0), LOCK },
	{ M64, HAND("48 66 89: REX before 66 is ignored, 2-byte store"),
	  B(0x48, 0x66, 0x89, 0x03), ST(2, 0) },
	{ M64, HAND("4c 2e 8b: REX.R before 2E is ignored, reg is ecx"),
	  B(0x4c, 0x2e, 0x8b, 0x0b), LD(4, 1) },
	{ M64, HAND("40 2e 88 23: ignored REX leaves AH a high byte"),
	  B(0x40, 0x2e, 0x88, 0x23), STH(0) },
	{ M64, HAND("44 48 89: of two REX the last counts (W, not R)"),
	  B(0x44, 0x48, 0x89, 0x03), ST(8, 0) },
	{ M64, HAND("48 44 89: of two REX the last counts (R, not W)"),
	  B(0x48, 0x44, 0x89, 0x03), ST(4, 8) },
	{ M64, HAND("66 66 2e 3e 48 8b: repeated prefixes"),
	  B(0x66, 0x66, 0x2e, 0x3e, 0x48, 0x8b, 0x03), LD(8, 0) },
	{ M64, HAND("13 x 66 + 89 03: exactly 15 bytes"),
	  B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x66, 0x89, 0x03), ST(2, 0) },
	{ M64, HAND("3 x 2E + REX.W C7 SIB disp32 imm32: exactly 15 bytes"),
	  B(0x2e, 0x2e, 0x2e, 0x48, 0xc7, 0x84, 0xc8, 0x78, 0x56, 0x34,
	    0x12, 0x01, 0x00, 0x00, 0x00),
	  IMM(8, 1) },

	/* ---- 64-bit mode: ALU, group 1 --------------------------------- */
	{ M64, AS("add %eax,(%rbx)"), B(0x01, 0x03), ALU(ADD, 4, 0, true) },
	{ M64, AS("addb $1,(%rdi)"), B(0x80, 0x07, 0x01), ALUI(ADD, 1, 1) },
	{ M64, AS("lock addl $-1,0x8(%rbx)"),
	  B(0xf0, 0x83, 0x43, 0x08, 0xff), ALUI(ADD, 4, 0xffffffff), LOCK },
	{ M64, AS("addq $-2,(%rbx)"), B(0x48, 0x83, 0x03, 0xfe),
	  ALUI(ADD, 8, 0xfffffffffffffffeULL) },
	{ M64, AS("orw $0x1234,(%rbx)"), B(0x66, 0x81, 0x0b, 0x34, 0x12),
	  ALUI(OR, 2, 0x1234) },
	{ M64, AS("andq $0x7fffffff,(%rax)"),
	  B(0x48, 0x81, 0x20, 0xff, 0xff, 0xff, 0x7f),
	  ALUI(AND, 8, 0x7fffffff) },
	{ M64, AS("andq $-0x80000000,(%rax)"),
	  B(0x48, 0x81, 0x20, 0x00, 0x00, 0x00, 0x80),
	  ALUI(AND, 8, 0xffffffff80000000ULL) },
	{ M64, AS("sub (%rbx),%ecx"), B(0x2b, 0x0b), ALU(SUB, 4, 1, false) },
	{ M64, AS("sbb %r9,(%r10)"), B(0x4d, 0x19, 0x0a),
	  ALU(SBB, 8, 9, true) },
	{ M64, AS("xor %ah,(%rbx)"), B(0x30, 0x23), ALU(XOR, 1, 0, true),
	  .high_byte = true },
	{ M64, AS("cmp %al,0x10(%rip)"),
	  B(0x38, 0x05, 0x10, 0x00, 0x00, 0x00), ALU(CMP, 1, 0, true),
	  EA(DS, 8, NR, NR, 1, 0x10), .rip_rel = true },
	{ M64, AS("adc (%rsi),%dl"), B(0x12, 0x16), ALU(ADC, 1, 2, false) },
	{ M64, AS("cmp (%rdi),%rax"), B(0x48, 0x3b, 0x07),
	  ALU(CMP, 8, 0, false) },
	{ M64, AS("lock xorl $0x55,%gs:0x10(%r12)"),
	  B(0x65, 0xf0, 0x41, 0x83, 0x74, 0x24, 0x10, 0x55),
	  ALUI(XOR, 4, 0x55), LOCK, EA(GS, 8, 12, NR, 1, 0x10) },
	{ M64, HAND("f0 f3 01 03: xrelease lock add"),
	  B(0xf0, 0xf3, 0x01, 0x03), ALU(ADD, 4, 0, true), LOCK },
	{ M64, AS("testl $0x80,(%rbx)"),
	  B(0xf7, 0x03, 0x80, 0x00, 0x00, 0x00), OPI(TEST, 4, 0x80) },
	{ M64, AS("testq $-1,(%rbx)"),
	  B(0x48, 0xf7, 0x03, 0xff, 0xff, 0xff, 0xff), OPI(TEST, 8, ~0ULL) },
	{ M64, AS("test %ecx,(%rbx)"), B(0x85, 0x0b), OPR(TEST, 4, 1) },
	{ M64, AS("testb $1,(%rbx)"), B(0xf6, 0x03, 0x01), OPI(TEST, 1, 1) },
	{ M64, AS("notl (%rbx)"), B(0xf7, 0x13), OPR(NOT, 4, 0) },
	{ M64, AS("lock negq (%rbx)"), B(0xf0, 0x48, 0xf7, 0x1b),
	  OPR(NEG, 8, 0), LOCK },
	{ M64, AS("lock incb (%rbx)"), B(0xf0, 0xfe, 0x03), OPR(INC, 1, 0),
	  LOCK },
	{ M64, AS("decw (%rbx)"), B(0x66, 0xff, 0x0b), OPR(DEC, 2, 0) },
	{ M64, AS("incq 0x8(%rsp)"), B(0x48, 0xff, 0x44, 0x24, 0x08),
	  OPR(INC, 8, 0), EA(SS, 8, 4, NR, 1, 8) },
	{ M64, AS("xchg %eax,(%rbx)"), B(0x87, 0x03), OPR(XCHG, 4, 0) },
	{ M64, AS("xchg %cl,(%rbx)"), B(0x86, 0x0b), OPR(XCHG, 1, 1) },
	{ M64, AS("lock cmpxchg %ecx,(%rbx)"), B(0xf0, 0x0f, 0xb1, 0x0b),
	  OPR(CMPXCHG, 4, 1), LOCK },
	{ M64, AS("cmpxchg %dl,(%rbx)"), B(0x0f, 0xb0, 0x13),
	  OPR(CMPXCHG, 1, 2) },
	{ M64, AS("cmpxchg %r8,(%rbx)"), B(0x4c, 0x0f, 0xb1, 0x03),
	  OPR(CMPXCHG, 8, 8) },
	{ M64, AS("bt %eax,(%rbx)"), B(0x0f, 0xa3, 0x03), BTR(BT, 4, 0) },
	{ M64, AS("lock bts %rcx,(%rbx)"), B(0xf0, 0x48, 0x0f, 0xab, 0x0b),
	  BTR(BTS, 8, 1), LOCK },
	{ M64, AS("btr %ax,(%rbx)"), B(0x66, 0x0f, 0xb3, 0x03),
	  BTR(BTR, 2, 0) },
	{ M64, AS("btc %edx,(%rbx)"), B(0x0f, 0xbb, 0x13), BTR(BTC, 4, 2) },
	{ M64, AS("btl $5,(%rbx)"), B(0x0f, 0xba, 0x23, 0x05),
	  BTI(BT, 4, 5) },
	{ M64, AS("lock btsq $63,(%rbx)"),
	  B(0xf0, 0x48, 0x0f, 0xba, 0x2b, 0x3f), BTI(BTS, 8, 63), LOCK },
	{ M64, AS("btrw $0x81,(%rbx)"), B(0x66, 0x0f, 0xba, 0x33, 0x81),
	  BTI(BTR, 2, 0x81) },
	{ M64, AS("btcl $7,(%rbx)"), B(0x0f, 0xba, 0x3b, 0x07),
	  BTI(BTC, 4, 7) },
	{ M64, AS("movnti %eax,(%rbx)"), B(0x0f, 0xc3, 0x03), ST(4, 0) },
	{ M64, AS("movnti %rax,(%rbx)"), B(0x48, 0x0f, 0xc3, 0x03),
	  ST(8, 0) },
	{ M64, AS("movbe (%rbx),%eax"), B(0x0f, 0x38, 0xf0, 0x03), LD(4, 0),
	  .bswap = true },
	{ M64, AS("movbe %cx,(%rbx)"), B(0x66, 0x0f, 0x38, 0xf1, 0x0b),
	  ST(2, 1), .bswap = true },
	{ M64, AS("movbe %r8,(%rbx)"), B(0x4c, 0x0f, 0x38, 0xf1, 0x03),
	  ST(8, 8), .bswap = true },
	{ M64, AS("pushq (%rbx)"), B(0xff, 0x33), OPR(PUSH, 8, 0) },
	{ M64, AS("pushw (%rbx)"), B(0x66, 0xff, 0x33), OPR(PUSH, 2, 0) },
	{ M64, AS("popq (%rbx)"), B(0x8f, 0x03), OPR(POP, 8, 0) },
	{ M64, AS("popw (%rbx)"), B(0x66, 0x8f, 0x03), OPR(POP, 2, 0) },
	{ M64, AS("movsb"), B(0xa4), STR(MOVS, 1, NONE, DS, 8) },
	{ M64, AS("movsl"), B(0xa5), STR(MOVS, 4, NONE, DS, 8) },
	{ M64, AS("movsq"), B(0x48, 0xa5), STR(MOVS, 8, NONE, DS, 8) },
	{ M64, AS("rep movsb"), B(0xf3, 0xa4), STR(MOVS, 1, E, DS, 8) },
	{ M64, AS("rep stosq"), B(0xf3, 0x48, 0xab),
	  STR(STOS, 8, E, DS, 8) },
	{ M64, AS("lodsw"), B(0x66, 0xad), STR(LODS, 2, NONE, DS, 8) },
	{ M64, AS("repne scasb"), B(0xf2, 0xae), STR(SCAS, 1, NE, DS, 8) },
	{ M64, AS("repe cmpsl"), B(0xf3, 0xa7), STR(CMPS, 4, E, DS, 8) },
	{ M64, AS("movsl %fs:(%rsi),%es:(%rdi)"), B(0x64, 0xa5),
	  STR(MOVS, 4, NONE, FS, 8) },
	{ M64, AS("addr32 movsb"), B(0x67, 0xa4), STR(MOVS, 1, NONE, DS, 4) },
	{ M64, HAND("f2 a4: REPNE MOVS repeats as REP"), B(0xf2, 0xa4),
	  STR(MOVS, 1, E, DS, 8) },
	/* Effective addresses. */
	{ M64, AS("add %eax,0x100(%rax,%rcx,8)"),
	  B(0x01, 0x84, 0xc8, 0x00, 0x01, 0x00, 0x00), ALU(ADD, 4, 0, true),
	  EA(DS, 8, 0, 1, 8, 0x100) },
	{ M64, AS("add %eax,-0x4(%rbp)"), B(0x01, 0x45, 0xfc),
	  ALU(ADD, 4, 0, true), EA(SS, 8, 5, NR, 1, -4) },
	{ M64, AS("add %eax,%gs:(%r13)"), B(0x65, 0x41, 0x01, 0x45, 0x00),
	  ALU(ADD, 4, 0, true), EA(GS, 8, 13, NR, 1, 0) },
	{ M64, AS("add %eax,0x12345678"),
	  B(0x01, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12), ALU(ADD, 4, 0, true),
	  EA(DS, 8, NR, NR, 1, 0x12345678) },
	{ M64, AS("add %eax,(%r12,%r13,2)"), B(0x43, 0x01, 0x04, 0x6c),
	  ALU(ADD, 4, 0, true), EA(DS, 8, 12, 13, 2, 0) },
	{ M64, AS("add %eax,-0x80000000(,%rsi,4)"),
	  B(0x01, 0x04, 0xb5, 0x00, 0x00, 0x00, 0x80), ALU(ADD, 4, 0, true),
	  EA(DS, 8, NR, 6, 4, 0xffffffff80000000ULL) },
	{ M64, AS("addr32 add %eax,(%ebx)"), B(0x67, 0x01, 0x03),
	  ALU(ADD, 4, 0, true), EA(DS, 4, 3, NR, 1, 0) },
	{ M64, AS("movabs 0x1122334455667788,%eax"),
	  B(0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11), LD(4, 0),
	  EA(DS, 8, NR, NR, 1, 0x1122334455667788ULL) },

	/* ---- 32-bit mode: the new forms -------------------------------- */
	{ M32, AS("add %eax,(%ebx)"), B(0x01, 0x03), ALU(ADD, 4, 0, true),
	  EA(DS, 4, 3, NR, 1, 0) },
	{ M32, AS("add %eax,0x12345678"), B(0x01, 0x05, 0x78, 0x56, 0x34, 0x12),
	  ALU(ADD, 4, 0, true), EA(DS, 4, NR, NR, 1, 0x12345678) },
	{ M32, AS("subw $0x8000,%es:0x4(%ebp)"),
	  B(0x26, 0x66, 0x81, 0x6d, 0x04, 0x00, 0x80), ALUI(SUB, 2, 0x8000),
	  EA(ES, 4, 5, NR, 1, 4) },
	{ M32, HAND("82 2b 01: subb $1,(%ebx), 82 aliases 80"),
	  B(0x82, 0x2b, 0x01), ALUI(SUB, 1, 1) },
	{ M32, AS("lock incl (%ebx)"), B(0xf0, 0xff, 0x03), OPR(INC, 4, 0),
	  LOCK },
	{ M32, AS("bts %eax,(%ebx)"), B(0x0f, 0xab, 0x03), BTR(BTS, 4, 0) },
	{ M32, AS("movbe (%ebx),%eax"), B(0x0f, 0x38, 0xf0, 0x03), LD(4, 0),
	  .bswap = true },
	{ M32, AS("lock cmpxchg %cx,(%esi)"), B(0x66, 0xf0, 0x0f, 0xb1, 0x0e),
	  OPR(CMPXCHG, 2, 1), LOCK },
	{ M32, AS("pushl (%ebx)"), B(0xff, 0x33), OPR(PUSH, 4, 0) },
	{ M32, AS("pushw (%ebx)"), B(0x66, 0xff, 0x33), OPR(PUSH, 2, 0) },
	{ M32, AS("popl (%ebx)"), B(0x8f, 0x03), OPR(POP, 4, 0) },
	{ M32, AS("rep movsl"), B(0xf3, 0xa5), STR(MOVS, 4, E, DS, 4) },
	{ M32, AS("addr16 rep stosb"), B(0x67, 0xf3, 0xaa),
	  STR(STOS, 1, E, DS, 2) },
	{ M32, AS("repz cmpsb %es:(%edi),%ss:(%esi)"), B(0x36, 0xf3, 0xa6),
	  STR(CMPS, 1, E, SS, 4) },
	{ M32, AS("add %eax,(%esp)"), B(0x01, 0x04, 0x24),
	  ALU(ADD, 4, 0, true), EA(SS, 4, 4, NR, 1, 0) },

	/* ---- 16-bit mode: the new forms -------------------------------- */
	{ M16, AS("add %ax,(%bx,%si)"), B(0x01, 0x00), ALU(ADD, 2, 0, true),
	  EA(DS, 2, 3, 6, 1, 0) },
	{ M16, AS("add %ax,0x10(%bp,%di)"), B(0x01, 0x43, 0x10),
	  ALU(ADD, 2, 0, true), EA(SS, 2, 5, 7, 1, 0x10) },
	{ M16, AS("add %ax,0x1234"), B(0x01, 0x06, 0x34, 0x12),
	  ALU(ADD, 2, 0, true), EA(DS, 2, NR, NR, 1, 0x1234) },
	{ M16, AS("add %ax,-0x2(%bp)"), B(0x01, 0x46, 0xfe),
	  ALU(ADD, 2, 0, true), EA(SS, 2, 5, NR, 1, -2) },
	{ M16, AS("add %ax,%cs:-0x1000(%di)"), B(0x2e, 0x01, 0x85, 0x00, 0xf0),
	  ALU(ADD, 2, 0, true), EA(CS, 2, 7, NR, 1, -0x1000) },
	{ M16, AS("addr32 add %ax,(%ebx,%esi,4)"), B(0x67, 0x01, 0x04, 0xb3),
	  ALU(ADD, 2, 0, true), EA(DS, 4, 3, 6, 4, 0) },
	{ M16, AS("addl %eax,(%bx)"), B(0x66, 0x01, 0x07),
	  ALU(ADD, 4, 0, true) },
	{ M16, AS("pushw (%bx)"), B(0xff, 0x37), OPR(PUSH, 2, 0) },
	{ M16, AS("pushl (%bx)"), B(0x66, 0xff, 0x37), OPR(PUSH, 4, 0) },
	{ M16, AS("rep movsb"), B(0xf3, 0xa4), STR(MOVS, 1, E, DS, 2) },
	{ M16, AS("movsl"), B(0x66, 0xa5), STR(MOVS, 4, NONE, DS, 2) },
	{ M16, AS("cmpxchg %cx,(%bx)"), B(0x0f, 0xb1, 0x0f),
	  OPR(CMPXCHG, 2, 1) },
	{ M16, AS("btw $3,(%bx)"), B(0x0f, 0xba, 0x27, 0x03), BTI(BT, 2, 3) },
	{ M16, AS("notw (%bx)"), B(0xf7, 0x17), OPR(NOT, 2, 0) },
	{ M16, AS("movbe (%bx),%ax"), B(0x0f, 0x38, 0xf0, 0x07), LD(2, 0),
	  .bswap = true },

	/* ---- 64-bit mode: rejected ------------------------------------- */
	{ M64, HAND("14 x 66 + 89 03: 16 bytes"),
	  B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x66, 0x66, 0x89, 0x03), ERR(EINVAL) },
	{ M64, HAND("15 x 66: over 15 bytes before the opcode"),
	  B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x66, 0x66, 0x66), ERR(EINVAL) },
	{ M64, HAND("4 x 2E + REX.W C7 SIB disp32 imm32: 16 bytes"),
	  B(0x2e, 0x2e, 0x2e, 0x2e, 0x48, 0xc7, 0x84, 0xc8, 0x78, 0x56,
	    0x34, 0x12, 0x01, 0x00, 0x00, 0x00),
	  ERR(EINVAL) },
	{ M64, AS("mov %eax,%ebx"), B(0x89, 0xc3), ERR(EINVAL) },
	{ M64, AS("mov %r8,%rax"), B(0x4c, 0x89, 0xc0), ERR(EINVAL) },
	{ M64, AS("mov %bl,%ah"), B(0x88, 0xdc), ERR(EINVAL) },
	{ M64, AS("movzbl %al,%eax"), B(0x0f, 0xb6, 0xc0), ERR(EINVAL) },
	{ M64, HAND("c7 c0: movl $1,%eax, register operand"),
	  B(0xc7, 0xc0, 0x01, 0x00, 0x00, 0x00),
	  ERR(EINVAL) },
	{ M64, HAND("c6 /1: not MOV"), B(0xc6, 0x08, 0x00), ERR(EINVAL) },
	{ M64, HAND("c7 /7 memory: not MOV"),
	  B(0xc7, 0x38, 0x00, 0x00, 0x00, 0x00), ERR(EINVAL) },
	{ M64, AS("nop"), B(0x90), ERR(EINVAL) },
	{ M64, AS("add %eax,%ebx"), B(0x01, 0xc3), ERR(EINVAL) },
	{ M64, AS("mov %ds,(%rbx)"), B(0x8c, 0x1b), ERR(EINVAL) },
	{ M64, HAND("66 0f c3: MOVNTI has no 16-bit form"),
	  B(0x66, 0x0f, 0xc3, 0x03), ERR(EINVAL) },
	{ M64, HAND("f0 39 03: LOCK CMP is #UD"), B(0xf0, 0x39, 0x03),
	  ERR(EINVAL) },
	{ M64, HAND("f0 0f a3 03: LOCK BT is #UD"), B(0xf0, 0x0f, 0xa3, 0x03),
	  ERR(EINVAL) },
	{ M64, HAND("f0 85 03: LOCK TEST is #UD"), B(0xf0, 0x85, 0x03),
	  ERR(EINVAL) },
	{ M64, HAND("f0 a4: LOCK MOVS is #UD"), B(0xf0, 0xa4), ERR(EINVAL) },
	{ M64, HAND("f0 ff 33: LOCK PUSH is #UD"), B(0xf0, 0xff, 0x33),
	  ERR(EINVAL) },
	{ M64, HAND("82 2b 01: 82 is #UD in 64-bit mode"),
	  B(0x82, 0x2b, 0x01), ERR(EINVAL) },
	{ M64, AS("mull (%rbx)"), B(0xf7, 0x23), ERR(EINVAL) },
	{ M64, AS("call *(%rbx)"), B(0xff, 0x13), ERR(EINVAL) },
	{ M64, HAND("fe /2: invalid"), B(0xfe, 0x13), ERR(EINVAL) },
	{ M64, HAND("8f /1: XOP, not POP"), B(0x8f, 0x0b), ERR(EINVAL) },
	{ M64, AS("crc32b (%rbx),%eax"), B(0xf2, 0x0f, 0x38, 0xf0, 0x03),
	  ERR(EINVAL) },
	{ M64, AS("test $1,%al"), B(0xa8, 0x01), ERR(EINVAL) },
	{ M64, AS("btl $1,%eax"), B(0x0f, 0xba, 0xe0, 0x01), ERR(EINVAL) },
	{ M64, AS("bt %eax,%ebx"), B(0x0f, 0xa3, 0xc3), ERR(EINVAL) },
	{ M64, AS("addl $1,(%rbx)"), B(0x83, 0x03, 0x01), .cut = 1,
	  ERR(ENODATA) },
	{ M64, AS("popcnt (%rbx),%eax"), B(0xf3, 0x0f, 0xb8, 0x03),
	  ERR(EINVAL) },
	{ M64, HAND("f3 0f b6: F3 on MOVZX refused"),
	  B(0xf3, 0x0f, 0xb6, 0x03), ERR(EINVAL) },
	{ M64, AS("vmovd %xmm0,(%rbx)"), B(0xc5, 0xf9, 0x7e, 0x03),
	  ERR(EINVAL) },
	{ .mode = 0, HAND("mode 0 is no mode"), B(0x89, 0x03),
	  ERR(EINVAL) },

	/* ---- 64-bit mode: truncated ------------------------------------ */
	{ M64, HAND("nothing fetched"), B(0x89, 0x03), .cut = 2,
	  ERR(ENODATA) },
	{ M64, HAND("REX only"), B(0x48, 0x89, 0x03), .cut = 2,
	  ERR(ENODATA) },
	{ M64, HAND("0F only"), B(0x0f, 0xb6, 0x03), .cut = 2,
	  ERR(ENODATA) },
	{ M64, HAND("ModRM missing"), B(0x8b, 0x03), .cut = 1,
	  ERR(ENODATA) },
	{ M64, HAND("SIB missing"), B(0x8b, 0x04, 0x98), .cut = 1,
	  ERR(ENODATA) },
	{ M64, HAND("disp32 cut"),
	  B(0x8b, 0x84, 0x98, 0x00, 0x01, 0x00, 0x00), .cut = 2,
	  ERR(ENODATA) },
	{ M64, HAND("imm32 cut"),
	  B(0xc7, 0x00, 0x01, 0x02, 0x03, 0x04), .cut = 1, ERR(ENODATA) },
	{ M64, HAND("moffs64 cut"),
	  B(0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	  .cut = 1, ERR(ENODATA) },
	{ M64, HAND("mod=11 is found once ModRM is there"),
	  B(0x89, 0xc3, 0x00), .cut = 1, ERR(EINVAL) },
	{ M64, HAND("15 prefixes fetched of 20: too long, not short"),
	  B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66),
	  .cut = 5, ERR(EINVAL) },

	/* ---- 32-bit mode ----------------------------------------------- */
	{ M32, AS("mov %al,(%ebx)"), B(0x88, 0x03), ST(1, 0) },
	{ M32, AS("mov %ch,0x4(%esi)"), B(0x88, 0x6e, 0x04), STH(1) },
	{ M32, AS("mov %eax,(%edi)"), B(0x89, 0x07), ST(4, 0) },
	{ M32, AS("mov %ax,(%edi)"), B(0x66, 0x89, 0x07), ST(2, 0) },
	{ M32, AS("mov (%esi),%edx"), B(0x8b, 0x16), LD(4, 2) },
	{ M32, AS("mov (%esi),%dh"), B(0x8a, 0x36), LDH(2) },
	{ M32, AS("mov 0x12345678,%ecx"),
	  B(0x8b, 0x0d, 0x78, 0x56, 0x34, 0x12), LD(4, 1) },
	{ M32, AS("mov 0x10(%esp),%ebp"), B(0x8b, 0x6c, 0x24, 0x10),
	  LD(4, 5) },
	{ M32, AS("mov -0x80(%ebp,%esi,2),%bl"),
	  B(0x8a, 0x5c, 0x75, 0x80), LD(1, 3) },
	{ M32, AS("mov 0x1000(,%eax,4),%eax"),
	  B(0x8b, 0x04, 0x85, 0x00, 0x10, 0x00, 0x00), LD(4, 0) },
	{ M32, AS("mov 0x20000(%ebp),%si"),
	  B(0x66, 0x8b, 0xb5, 0x00, 0x00, 0x02, 0x00), LD(2, 6) },
	{ M32, AS("movb $0xff,(%ecx)"), B(0xc6, 0x01, 0xff),
	  IMM(1, 0xff) },
	{ M32, AS("movw $0xbeef,(%ecx)"),
	  B(0x66, 0xc7, 0x01, 0xef, 0xbe), IMM(2, 0xbeef) },
	{ M32, AS("movl $0xdeadbeef,0x8(%ecx)"),
	  B(0xc7, 0x41, 0x08, 0xef, 0xbe, 0xad, 0xde), IMM(4, 0xdeadbeef) },
	{ M32, AS("movzbl (%eax),%ecx"), B(0x0f, 0xb6, 0x08),
	  LDX(1, 1, 4, ZERO) },
	{ M32, AS("movzwl (%eax),%ecx"), B(0x0f, 0xb7, 0x08),
	  LDX(2, 1, 4, ZERO) },
	{ M32, AS("movsbw (%eax),%cx"), B(0x66, 0x0f, 0xbe, 0x08),
	  LDX(1, 1, 2, SIGN) },
	{ M32, AS("movswl (%eax),%ecx"), B(0x0f, 0xbf, 0x08),
	  LDX(2, 1, 4, SIGN) },
	{ M32, AS("mov 0x12345678,%al"),
	  B(0xa0, 0x78, 0x56, 0x34, 0x12), LD(1, 0) },
	{ M32, AS("mov 0x12345678,%eax"),
	  B(0xa1, 0x78, 0x56, 0x34, 0x12), LD(4, 0) },
	{ M32, AS("mov %al,0x12345678"),
	  B(0xa2, 0x78, 0x56, 0x34, 0x12), ST(1, 0) },
	{ M32, AS("mov %eax,0x12345678"),
	  B(0xa3, 0x78, 0x56, 0x34, 0x12), ST(4, 0) },
	{ M32, AS("mov 0x12345678,%ax"),
	  B(0x66, 0xa1, 0x78, 0x56, 0x34, 0x12), LD(2, 0) },
	{ M32, AS("addr16 mov 0x1234,%eax"), B(0x67, 0xa1, 0x34, 0x12),
	  LD(4, 0) },
	{ M32, AS("mov %eax,(%bx,%si)"), B(0x67, 0x89, 0x00), ST(4, 0) },
	{ M32, AS("mov 0x10(%bp),%eax"), B(0x67, 0x8b, 0x46, 0x10),
	  LD(4, 0) },
	{ M32, AS("addr16 mov 0x1234,%ecx"), B(0x67, 0x8b, 0x0e, 0x34, 0x12),
	  LD(4, 1) },
	{ M32, AS("mov %es:(%edi),%eax"), B(0x26, 0x8b, 0x07), LD(4, 0) },
	{ M32, AS("ss mov -0x4(%ebp),%ecx"), B(0x36, 0x8b, 0x4d, 0xfc),
	  LD(4, 1) },
	{ M32, HAND("40 89 03: 40 is INC outside 64-bit mode"),
	  B(0x40, 0x89, 0x03), ERR(EINVAL) },
	{ M32, AS("mov %eax,%ecx"), B(0x89, 0xc1), ERR(EINVAL) },

	/* ---- 16-bit mode ----------------------------------------------- */
	{ M16, AS("mov %al,(%bx)"), B(0x88, 0x07), ST(1, 0) },
	{ M16, AS("mov %ah,(%bx,%si)"), B(0x88, 0x20), STH(0) },
	{ M16, AS("mov %ax,(%di)"), B(0x89, 0x05), ST(2, 0) },
	{ M16, AS("mov %eax,(%di)"), B(0x66, 0x89, 0x05), ST(4, 0) },
	{ M16, AS("mov 0x1234,%dx"), B(0x8b, 0x16, 0x34, 0x12), LD(2, 2) },
	{ M16, AS("mov 0x10(%bp),%cx"), B(0x8b, 0x4e, 0x10), LD(2, 1) },
	{ M16, AS("mov (%bp),%ax"), B(0x8b, 0x46, 0x00), LD(2, 0) },
	{ M16, AS("mov 0x1234(%bp,%di),%bl"), B(0x8a, 0x9b, 0x34, 0x12),
	  LD(1, 3) },
	{ M16, AS("mov -0x2(%bx),%bh"), B(0x8a, 0x7f, 0xfe), LDH(3) },
	{ M16, AS("mov 0x100(%si),%esp"),
	  B(0x66, 0x8b, 0xa4, 0x00, 0x01), LD(4, 4) },
	{ M16, AS("movb $0x12,(%si)"), B(0xc6, 0x04, 0x12), IMM(1, 0x12) },
	{ M16, AS("movw $0x1234,0x2(%si)"),
	  B(0xc7, 0x44, 0x02, 0x34, 0x12), IMM(2, 0x1234) },
	{ M16, AS("movl $0x12345678,(%si)"),
	  B(0x66, 0xc7, 0x04, 0x78, 0x56, 0x34, 0x12), IMM(4, 0x12345678) },
	{ M16, AS("movw $0xabcd,0x1234"),
	  B(0xc7, 0x06, 0x34, 0x12, 0xcd, 0xab), IMM(2, 0xabcd) },
	{ M16, AS("movzbw (%si),%ax"), B(0x0f, 0xb6, 0x04),
	  LDX(1, 0, 2, ZERO) },
	{ M16, AS("movzbl (%si),%eax"), B(0x66, 0x0f, 0xb6, 0x04),
	  LDX(1, 0, 4, ZERO) },
	{ M16, AS("movzwl (%si),%edi"), B(0x66, 0x0f, 0xb7, 0x3c),
	  LDX(2, 7, 4, ZERO) },
	{ M16, AS("movsbw (%bx),%cx"), B(0x0f, 0xbe, 0x0f),
	  LDX(1, 1, 2, SIGN) },
	{ M16, AS("movswl (%bx),%ecx"), B(0x66, 0x0f, 0xbf, 0x0f),
	  LDX(2, 1, 4, SIGN) },
	{ M16, AS("mov 0x1234,%al"), B(0xa0, 0x34, 0x12), LD(1, 0) },
	{ M16, AS("mov 0x1234,%ax"), B(0xa1, 0x34, 0x12), LD(2, 0) },
	{ M16, AS("mov %al,0x1234"), B(0xa2, 0x34, 0x12), ST(1, 0) },
	{ M16, AS("mov %ax,0x1234"), B(0xa3, 0x34, 0x12), ST(2, 0) },
	{ M16, AS("mov 0x1234,%eax"), B(0x66, 0xa1, 0x34, 0x12), LD(4, 0) },
	{ M16, AS("addr32 mov 0x12345678,%ax"),
	  B(0x67, 0xa1, 0x78, 0x56, 0x34, 0x12), LD(2, 0) },
	{ M16, AS("mov %ax,(%eax)"), B(0x67, 0x89, 0x00), ST(2, 0) },
	{ M16, AS("mov (%esp),%ax"), B(0x67, 0x8b, 0x04, 0x24), LD(2, 0) },
	{ M16, AS("mov 0x12345678(,%ecx,2),%ax"),
	  B(0x67, 0x8b, 0x04, 0x4d, 0x78, 0x56, 0x34, 0x12), LD(2, 0) },
	{ M16, AS("mov 0x10(%ebp),%eax"),
	  B(0x67, 0x66, 0x8b, 0x45, 0x10), LD(4, 0) },
	{ M16, HAND("66 67 8b: prefixes in the other order"),
	  B(0x66, 0x67, 0x8b, 0x45, 0x10), LD(4, 0) },
	{ M16, AS("mov %ax,%cs:(%bx)"), B(0x2e, 0x89, 0x07), ST(2, 0) },
	{ M16, HAND("48 89: 48 is DEC outside 64-bit mode"),
	  B(0x48, 0x89, 0x07), ERR(EINVAL) },
	{ M16, HAND("disp16 cut"), B(0x8b, 0x16, 0x34, 0x12), .cut = 1,
	  ERR(ENODATA) },
};

static const char *mode_name(int mode)
{
	switch (mode) {
	case HVX_CPU_MODE_16:
		return "16";
	case HVX_CPU_MODE_32:
		return "32";
	case HVX_CPU_MODE_64:
		return "64";
	}
	return "??";
}

void insn_decode_emit_asm(FILE *f)
{
	size_t i;

	fprintf(f, "# From unit_test --emit-asm: %d bytes per case.\n", SLOT);
	fprintf(f, "\t.text\n");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (!cases[i].src)
			continue;
		fprintf(f, "\t.code%s\n\t%s\n\t.balign %d, 0x%x\n",
			mode_name(cases[i].mode), cases[i].src, SLOT, FILL);
	}
}

static void check_insn(struct tcase *tc, const struct hvx_mmio_insn *got,
		       const struct dcase *c, const char *how)
{
	check(tc, got->len == c->nbytes, "%s: len %u, want %u", how,
	      got->len, c->nbytes);
	check(tc, got->size == c->size, "%s: size %u, want %u", how,
	      got->size, c->size);
	check(tc, got->reg == c->reg, "%s: reg %u, want %u", how, got->reg,
	      c->reg);
	check(tc, got->is_write == c->is_write, "%s: is_write %d, want %d",
	      how, got->is_write, c->is_write);
	check(tc, got->has_imm == c->has_imm, "%s: has_imm %d, want %d", how,
	      got->has_imm, c->has_imm);
	check(tc, got->high_byte == c->high_byte,
	      "%s: high_byte %d, want %d", how, got->high_byte, c->high_byte);
	check(tc, got->ext == c->ext, "%s: ext %u, want %u", how, got->ext,
	      c->ext);
	check(tc, got->dst_size == c->dst_size, "%s: dst_size %u, want %u",
	      how, got->dst_size, c->dst_size);
	check(tc, got->imm == c->imm, "%s: imm %#llx, want %#llx", how,
	      (unsigned long long)got->imm, (unsigned long long)c->imm);
	check(tc, got->op == c->op && got->sub == c->sub,
	      "%s: op %u.%u, want %u.%u", how, got->op, got->sub, c->op,
	      c->sub);
	check(tc, got->mem_dst == c->mem_dst, "%s: mem_dst %d", how,
	      got->mem_dst);
	check(tc, got->bswap == c->bswap, "%s: bswap %d", how, got->bswap);
	check(tc, got->lock == c->lock, "%s: lock %d", how, got->lock);
	check(tc, got->rep == c->rep, "%s: rep %u, want %u", how, got->rep,
	      c->rep);
	if (c->chk_seg)
		check(tc, got->seg == c->seg && got->adsize == c->adsize,
		      "%s: seg %u adsize %u, want %u %u", how, got->seg,
		      got->adsize, c->seg, c->adsize);
	if (c->chk_ea)
		check(tc, got->has_ea && got->base == c->base &&
		      got->index == c->index && got->scale == c->scale &&
		      got->disp == c->disp && got->rip_rel == c->rip_rel,
		      "%s: ea %d base %u index %u scale %u disp %#llx rip %d",
		      how, got->has_ea, got->base, got->index, got->scale,
		      (unsigned long long)got->disp, got->rip_rel);
}

static void check_case(struct tcase *tc, const struct dcase *c)
{
	static const struct hvx_mmio_insn poison = {
		.len = 0xee, .size = 0xee, .reg = 0xee, .ext = 0xee,
		.dst_size = 0xee, .imm = 0xeeeeeeeeeeeeeeeeULL,
	};
	struct hvx_mmio_insn got;
	u8 buf[32];
	unsigned int avail = c->nbytes - c->cut, n;
	int ret;

	got = poison;
	ret = hvx_decode_mmio(c->bytes, avail, c->mode, &got);
	check(tc, ret == c->ret, "returned %d, want %d", ret, c->ret);
	if (ret) {
		check(tc, !memcmp(&got, &poison, sizeof(got)),
		      "output written on error");
		return;
	}
	check_insn(tc, &got, c, "exact");

	/* Bytes past the instruction must not matter. */
	memset(buf, 0x90, sizeof(buf));
	memcpy(buf, c->bytes, c->nbytes);
	ret = hvx_decode_mmio(buf, sizeof(buf), c->mode, &got);
	check(tc, ret == 0, "with trailing bytes: returned %d", ret);
	if (!ret)
		check_insn(tc, &got, c, "with trailing bytes");

	/* Every proper prefix of a valid instruction is incomplete. */
	for (n = 0; n < c->nbytes; n++) {
		ret = hvx_decode_mmio(c->bytes, n, c->mode, &got);
		check(tc, ret == -ENODATA,
		      "first %u bytes: returned %d, want -ENODATA", n, ret);
	}
}

/* Compare a case's bytes with the assembler's, in slot @slot of @ref. */
static void check_ref(struct tcase *tc, const struct dcase *c, size_t slot,
		      const u8 *ref, size_t ref_len)
{
	const u8 *s = ref + slot * SLOT;
	unsigned int i;

	if ((slot + 1) * SLOT > ref_len) {
		check(tc, false, "no slot %zu in the assembler output", slot);
		return;
	}
	for (i = 0; i < SLOT; i++) {
		if (i < c->nbytes ? s[i] != c->bytes[i] : s[i] != FILL)
			break;
	}
	if (i < SLOT) {
		char hex[3 * SLOT + 1];

		for (i = 0; i < SLOT; i++)
			sprintf(hex + 3 * i, " %02x", s[i]);
		check(tc, false, "as encodes it as%s (%02x = padding)", hex,
		      FILL);
	}
}

static void describe(char *out, size_t len, const struct dcase *c)
{
	size_t used;
	unsigned int i;

	used = snprintf(out, len, "decode %s-bit: %s [", mode_name(c->mode),
			c->src ? c->src : c->what);
	for (i = 0; i < c->nbytes && used < len; i++)
		used += snprintf(out + used, len - used, "%s%02x",
				 i ? " " : "", c->bytes[i]);
	if (used < len)
		snprintf(out + used, len - used, "]%s%s",
			 c->cut ? " truncated" : "",
			 c->src ? " as-verified" : "");
}

void insn_decode_tests(const unsigned char *ref, size_t ref_len)
{
	size_t i, slot = 0;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct dcase *c = &cases[i];
		struct tcase tc;
		char name[256];

		case_begin(&tc);
		check_case(&tc, c);
		if (c->src)
			check_ref(&tc, c, slot++, ref, ref_len);
		describe(name, sizeof(name), c);
		case_end(&tc, "%s", name);
	}
	/* A stale reference file would match the cases only by luck. */
	{
		struct tcase tc;

		case_begin(&tc);
		check(&tc, ref_len == slot * SLOT,
		      "assembler output has %zu bytes, want %zu", ref_len,
		      slot * SLOT);
		case_end(&tc, "decode: as output covers all %zu cases",
			 slot);
	}
}
