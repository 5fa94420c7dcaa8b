/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding of the guest instruction behind an MMIO EPT violation.
 *
 * An EPT violation reports the guest-physical address but neither the
 * instruction length nor the operation, the register or immediate
 * involved, so hvx reads the bytes at guest RIP and decodes them here:
 * the instructions that may have a memory operand in a device's registers
 * (MOV and its kin, the integer ALU, XCHG, CMPXCHG, the bit tests, the
 * string instructions, PUSH and POP of memory). emulate.c computes their
 * results, mmio_emulate.c performs their accesses.
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

/* What the instruction does; the zero value is MOV, as it always was. */
enum hvx_insn_op {
	HVX_OP_MOV,	/* MOV, MOVZX/SX, MOVBE, MOVNTI; is_write: a store */
	HVX_OP_ALU,	/* sub = HVX_ALU_*, mem_dst: memory is the target */
	HVX_OP_TEST,	/* AND that only sets flags */
	HVX_OP_NOT,
	HVX_OP_NEG,
	HVX_OP_INC,
	HVX_OP_DEC,
	HVX_OP_XCHG,	/* memory <-> reg, locked whatever the prefixes */
	HVX_OP_CMPXCHG,	/* compare with rAX; memory <- reg if equal */
	HVX_OP_BT,	/* sub = HVX_BT_*: offset in reg or imm */
	HVX_OP_MOVS,	/* the string instructions: no ModRM, has_ea false */
	HVX_OP_CMPS,
	HVX_OP_STOS,
	HVX_OP_LODS,
	HVX_OP_SCAS,
	HVX_OP_PUSH,	/* FF /6: memory operand pushed on the stack */
	HVX_OP_POP,	/* 8F /0: the stack popped into the memory operand */
};

/* HVX_OP_ALU: the x86 encoding order (opcode bits 5:3, group 1 /r). */
enum {
	HVX_ALU_ADD, HVX_ALU_OR, HVX_ALU_ADC, HVX_ALU_SBB,
	HVX_ALU_AND, HVX_ALU_SUB, HVX_ALU_XOR, HVX_ALU_CMP,
};

/* HVX_OP_BT: the x86 encoding order (0F BA /4../7). */
enum { HVX_BT_BT, HVX_BT_BTS, HVX_BT_BTR, HVX_BT_BTC };

/* A REP prefix of a string instruction. */
enum { HVX_REP_NONE, HVX_REP_E /* F3 */, HVX_REP_NE /* F2 */ };

/* Segment registers in the x86 encoding order. */
enum {
	HVX_SEG_ES, HVX_SEG_CS, HVX_SEG_SS, HVX_SEG_DS, HVX_SEG_FS, HVX_SEG_GS,
};

/* "No register" for hvx_mmio_insn's base and index. */
#define HVX_NO_REG	0xff

struct hvx_mmio_insn {
	u8 len;		/* instruction length, prefixes included */
	u8 size;	/* bytes accessed in memory: 1, 2, 4 or 8 */
	/*
	 * GPR number of the register operand: 0 = rax, 1 = rcx, 2 = rdx,
	 * 3 = rbx, 4 = rsp, 5 = rbp, 6 = rsi, 7 = rdi, 8..15 = r8..r15.
	 * With high_byte set it is the GPR holding AH/CH/DH/BH (0..3).
	 * HVX_OP_BT with a register offset: the register holding it.
	 */
	u8 reg;
	bool is_write;	/* HVX_OP_MOV: the instruction stores to memory */
	/*
	 * The other operand is imm, not reg (MOV C6/C7, ALU 80-83, TEST
	 * F6/F7 /0, BT 0F BA); reg is then 0 and unused.
	 */
	bool has_imm;
	bool high_byte;	/* the operand is bits 15:8 of reg (AH..BH) */
	u8 ext;		/* loads: HVX_EXT_NONE, _ZERO (movzx), _SIGN */
	/*
	 * Width of the register operand in bytes (1, 2, 4 or 8): for a load,
	 * the width written after widening by ext; otherwise equal to size.
	 * hvx_decode_mmio() does not say how the rest of the register is
	 * affected: the caller applies the x86 rule that a 4-byte write
	 * zeroes bits 63:32 and a 1- or 2-byte write leaves them alone.
	 */
	u8 dst_size;
	/*
	 * has_imm: the immediate, sign-extended to size bytes where the
	 * encoding says so (83, REX.W C7), zero above them.
	 */
	u64 imm;

	u8 op;		/* enum hvx_insn_op */
	u8 sub;		/* HVX_ALU_* or HVX_BT_* */
	bool mem_dst;	/* HVX_OP_ALU: op r/m, r or op r/m, imm (else op r, r/m) */
	bool bswap;	/* MOVBE: the bytes are reversed on the way */
	bool lock;	/* F0 */
	u8 rep;		/* HVX_REP_*: string instructions only */
	u8 adsize;	/* address size in bytes: 2, 4 or 8 */
	/*
	 * The segment of the memory operand (override or default); for
	 * MOVS, CMPS and LODS that of the source (the destination of MOVS
	 * and STOS, and SCAS's operand, are always ES:rDI).
	 */
	u8 seg;
	/*
	 * has_ea: the memory operand's effective address is base + index *
	 * scale + disp, then + the next instruction's RIP if rip_rel, then
	 * truncated to adsize bytes; base and index are GPR numbers or
	 * HVX_NO_REG. A moffs (A0-A3) is a bare disp. hvx_emul_ea()
	 * computes it.
	 */
	bool has_ea;
	bool rip_rel;
	u8 base, index, scale;
	u64 disp;	/* sign-extended to 64 bits (moffs: zero-extended) */
};

/*
 * Decode the instruction at @bytes (@avail bytes fetched from guest RIP)
 * for a CPU in @mode (HVX_CPU_MODE_*). Returns 0 and fills @out, -ENODATA
 * if the instruction goes on past @avail bytes (fetch more and call
 * again), or -EINVAL for anything else: not a supported instruction, a
 * register rather than a memory operand, a LOCK the CPU would refuse,
 * longer than 15 bytes, or a bad @mode. @out is left untouched on error.
 */
int hvx_decode_mmio(const u8 *bytes, unsigned int avail, int mode,
		    struct hvx_mmio_insn *out);

#endif /* HVX_INSN_DECODE_H */
