// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO instruction emulation. An instruction that touched MMIO is decoded
 * (insn_decode.c), its memory operands located, then each access made in
 * order: the reads, the computation (emulate.c), the write. An access an in-kernel device
 * serves is done at once; any other is an HVX_EXIT_MMIO, and the next
 * HVX_RUN goes on from there (hvx_complete_user_exit()). Registers, RFLAGS
 * and RIP change only at the end (emul_commit()), so that an instruction
 * cancelled midway by HVX_SET_REGS simply runs again.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/trapnr.h>

#include "emulate.h"
#include "exits_internal.h"
#include "guest_paging.h"
#include "hvx.h"
#include "insn_decode.h"
#include "iobus.h"
#include "vcpu.h"
#include "vm.h"
#include "vmcs.h"
#include "vmx.h"

/* The devices the module emulates itself (APICs, ioeventfds): iobus.h. */
static bool mmio_in_kernel(struct hvx_vcpu *v, u64 gpa, bool write, u8 *data,
			   unsigned int len)
{
	if (write)
		return !hvx_io_bus_write(v, HVX_MMIO_BUS, gpa, len, data);
	return !hvx_io_bus_read(v, HVX_MMIO_BUS, gpa, len, data);
}

#define EMUL_FAULTED	1	/* emul_plan(): the guest got an exception */
#define EMUL_NOTHING	2	/* emul_plan(): REP with a count of 0 */

/* Write @size bytes to a GPR as x86 does: 1 and 2 merge, 4 zero-extends. */
static void reg_write_sized(struct hvx_vcpu *v, int reg, bool high,
			    unsigned int size, u64 val)
{
	u64 old;

	if (high) {
		old = v->regs[reg];
		v->regs[reg] = (old & ~0xff00ull) | ((val & 0xff) << 8);
		return;
	}
	old = hvx_reg_read(v, reg);
	switch (size) {
	case 1:
		val = (old & ~0xffull) | (val & 0xff);
		break;
	case 2:
		val = (old & ~0xffffull) | (val & 0xffff);
		break;
	case 4:
		val &= 0xffffffff;
		break;
	}
	hvx_reg_write(v, reg, val);
}

/* The register operand's value: AH..BH shifted down, cut to its size. */
static u64 reg_operand(struct hvx_vcpu *v, const struct hvx_mmio_insn *insn)
{
	if (insn->high_byte)
		return (v->regs[insn->reg] >> 8) & 0xff;
	return hvx_emul_trunc(hvx_reg_read(v, insn->reg), insn->size);
}

/* The stack's address size: SS.B outside 64-bit mode (SDM Vol. 3A 3.4.5). */
static unsigned int stack_size(int mode)
{
	if (mode == HVX_CPU_MODE_64)
		return 8;
	return (vmcs_read32(GUEST_SS_AR_BYTES) & VMX_AR_DB_MASK) ? 4 : 2;
}

static bool is_canonical(u64 la)
{
	return (u64)((s64)(la << 16) >> 16) == la;
}

/*
 * The linear address of @offset in segment @seg. In 64-bit mode only FS
 * and GS have a base (SDM Vol. 3A 3.4.4); elsewhere linear addresses are
 * 32 bits and wrap. Segment limits are not checked.
 */
static u64 seg_linear(int mode, u8 seg, u64 offset)
{
	u64 base = vmcs_readl(GUEST_ES_BASE + 2 * (seg % 6));

	if (mode == HVX_CPU_MODE_64)
		return (seg == HVX_SEG_FS || seg == HVX_SEG_GS) ? base + offset :
								 offset;
	return (u32)(base + offset);
}

/*
 * Locate @size bytes at @offset in @seg for an access the emulator makes
 * by linear address (a string element, the stack of PUSH and POP, BT's
 * far word), checked as the CPU checks them before any access: canonical
 * in 64-bit mode (else #SS(0) for the stack segment, #GP(0) otherwise),
 * then every page present, writable for a write, user-accessible at CPL 3
 * (else #PF, by hvx_guest_linear_check()). Returns 0, EMUL_FAULTED or -errno.
 */
static int emul_linear_loc(struct hvx_vcpu *v, u8 seg, u64 offset,
			   unsigned int size, bool write,
			   struct hvx_emul_loc *loc)
{
	int mode = hvx_vmx_cpu_mode(), err;
	u64 gva = seg_linear(mode, seg, offset), gpa;
	struct hvx_paging_ctx ctx;

	if (mode == HVX_CPU_MODE_64 &&
	    (!is_canonical(gva) || !is_canonical(gva + size - 1))) {
		hvx_vmx_inject_exception(seg == HVX_SEG_SS ? X86_TRAP_SS :
					 X86_TRAP_GP, true, 0);
		return EMUL_FAULTED;
	}
	err = hvx_guest_linear_check(v, gva, size, write);
	if (err)
		return err;
	hvx_guest_paging_ctx(v, &ctx);
	err = hvx_gva_to_gpa(&ctx, gva, &gpa);
	if (err)
		return err;
	/* What an EPT violation would call MMIO is MMIO here too. */
	loc->mmio = !hvx_vm_gpa_is_ram(v->vm, gpa, write);
	loc->phys = loc->mmio;
	loc->addr = loc->mmio ? gpa : gva;
	return 0;
}

/*
 * Reading the exit's own operand may still be RAM: a read-only slot (ROM)
 * faults on the write alone, but a read-modify-write reads it first, and
 * that read is the slot's memory, not a device's.
 */
static struct hvx_emul_loc exit_read_loc(struct hvx_vcpu *v, u64 gpa)
{
	return (struct hvx_emul_loc) {
		.mmio = !hvx_vm_gpa_is_ram(v->vm, gpa, false),
		.phys = true, .addr = gpa,
	};
}

/*
 * Where the instruction's memory operands are. The one behind the exit is
 * at the GPA the CPU reported; the others, and every string element (the
 * exit names just one side of MOVS or CMPS), are found by linear address.
 */
static int emul_plan(struct hvx_vcpu *v, u64 gpa)
{
	struct hvx_emul *e = &v->emul;
	const struct hvx_mmio_insn *insn = &e->insn;
	const struct hvx_emul_loc here = {
		.mmio = true, .phys = true, .addr = gpa,
	};
	unsigned int size = insn->size, ssize;
	int mode = hvx_vmx_cpu_mode(), ret;
	u64 mask = hvx_emul_trunc(~0ull, insn->adsize), rsp, rsi, rdi, ea;
	u64 gprs[16];
	bool rmw;
	int i;

	rsi = v->regs[HVX_RSI] & mask;
	rdi = v->regs[HVX_RDI] & mask;
	switch (insn->op) {
	case HVX_OP_MOV:
		if (insn->is_write) {
			e->loc[2] = here;
		} else {
			e->nread = 1;
			e->loc[0] = exit_read_loc(v, gpa);
		}
		return 0;
	case HVX_OP_PUSH:
	case HVX_OP_POP:
		ssize = stack_size(mode);
		rsp = hvx_emul_trunc(hvx_reg_read(v, HVX_RSP), ssize);
		e->nread = 1;
		if (insn->op == HVX_OP_POP) {
			e->loc[2] = here;
			return emul_linear_loc(v, HVX_SEG_SS, rsp, size, false,
					       &e->loc[0]);
		}
		e->loc[0] = exit_read_loc(v, gpa);
		rsp = hvx_emul_trunc(rsp - size, ssize);
		return emul_linear_loc(v, HVX_SEG_SS, rsp, size, true,
				       &e->loc[2]);
	case HVX_OP_MOVS: case HVX_OP_CMPS: case HVX_OP_STOS:
	case HVX_OP_LODS: case HVX_OP_SCAS:
		if (insn->rep && !(v->regs[HVX_RCX] & mask))
			return EMUL_NOTHING;
		/* The source, DS:rSI unless overridden; ES:rDI, never. */
		if (insn->op == HVX_OP_MOVS || insn->op == HVX_OP_CMPS ||
		    insn->op == HVX_OP_LODS) {
			ret = emul_linear_loc(v, insn->seg, rsi, size, false,
					      &e->loc[e->nread++]);
			if (ret)
				return ret;
		}
		if (insn->op == HVX_OP_CMPS || insn->op == HVX_OP_SCAS)
			return emul_linear_loc(v, HVX_SEG_ES, rdi, size, false,
					       &e->loc[e->nread++]);
		if (insn->op == HVX_OP_MOVS || insn->op == HVX_OP_STOS)
			return emul_linear_loc(v, HVX_SEG_ES, rdi, size, true,
					       &e->loc[2]);
		return 0;
	default:
		break;
	}
	/* Everything else reads its operand, and may write it back. */
	e->nread = 1;
	e->loc[0] = exit_read_loc(v, gpa);
	e->loc[2] = here;
	if (insn->op != HVX_OP_BT || insn->has_imm)
		return 0;
	/*
	 * BT with a register offset: the word the offset selects, which
	 * is not necessarily where the exit was.
	 */
	for (i = 0; i < 16; i++)
		gprs[i] = hvx_reg_read(v, i);
	ea = hvx_emul_ea(insn, gprs, vmcs_readl(GUEST_RIP) + insn->len);
	ea += hvx_emul_bt_disp(size, hvx_reg_read(v, insn->reg));
	rmw = insn->sub != HVX_BT_BT;
	ret = emul_linear_loc(v, insn->seg, ea & mask, size, rmw, &e->loc[0]);
	e->loc[2] = e->loc[0];
	return ret;
}

/*
 * One access of the instruction: 0 when done (RAM, or an in-kernel
 * device), 1 when run->mmio describes it for user space, or -errno.
 */
static int emul_access(struct hvx_vcpu *v, const struct hvx_emul_loc *loc,
		       bool write, u64 *val)
{
	unsigned int size = v->emul.insn.size;
	struct hvx_run *run = v->run;
	u8 data[8] = {};

	if (!write)
		*val = 0;
	if (!loc->mmio && loc->phys)
		return write ? hvx_vm_write_gpa(v->vm, loc->addr, val, size) :
			       hvx_vm_read_gpa(v->vm, loc->addr, val, size);
	if (!loc->mmio)
		return hvx_guest_linear_access(v, loc->addr, val, size, write);
	if (write)
		memcpy(data, val, size);
	if (mmio_in_kernel(v, loc->addr, write, data, size)) {
		if (!write)
			memcpy(val, data, size);
		return 0;
	}
	run->exit_reason = HVX_EXIT_MMIO;
	run->mmio.phys_addr = loc->addr;
	run->mmio.len = size;
	run->mmio.is_write = write;
	memcpy(run->mmio.data, data, sizeof(run->mmio.data));
	return 1;
}

/* The result, from what was read: into e->wr, e->reg_*, e->rflags. */
static void emul_compute(struct hvx_vcpu *v)
{
	struct hvx_emul *e = &v->emul;
	const struct hvx_mmio_insn *insn = &e->insn;
	struct hvx_emul_step s = {
		.mem = e->val[0], .rax = v->regs[HVX_RAX], .rflags = e->rflags,
	};
	unsigned int size = insn->size;

	switch (insn->op) {
	case HVX_OP_PUSH: case HVX_OP_POP: case HVX_OP_MOVS:
		e->write = true;
		e->wr = e->val[0];
		return;
	case HVX_OP_STOS:
		e->write = true;
		e->wr = hvx_emul_trunc(v->regs[HVX_RAX], size);
		return;
	case HVX_OP_LODS:
		e->reg_write = true;
		e->reg_num = HVX_RAX;
		e->reg_size = size;
		e->reg_val = e->val[0];
		return;
	case HVX_OP_SCAS:	/* rAX - ES:[rDI] */
		hvx_emul_alu(HVX_ALU_CMP, size, v->regs[HVX_RAX], e->val[0],
			     &e->rflags);
		return;
	case HVX_OP_CMPS:	/* [rSI] - ES:[rDI] */
		hvx_emul_alu(HVX_ALU_CMP, size, e->val[0], e->val[1],
			     &e->rflags);
		return;
	}
	s.src = insn->has_imm ? insn->imm : reg_operand(v, insn);
	/* The decoder made only ops that hvx_emul_step() knows. */
	hvx_emul_step(insn, &s);
	e->write = s.write;
	e->wr = s.wr;
	e->rflags = s.rflags;
	e->reg_write = s.reg_write;
	e->reg_num = s.reg_num;
	e->reg_high = s.reg_high;
	e->reg_size = s.reg_size;
	e->reg_val = s.reg_val;
}

/* RIP past the instruction, which ends STI and MOV SS blocking. */
static void emul_skip(struct hvx_vcpu *v)
{
	vmcs_writel(GUEST_RIP, vmcs_readl(GUEST_RIP) + v->emul.insn.len);
	vmcs_clear_bits32(GUEST_INTERRUPTIBILITY_INFO,
			  GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
}

/* rSI or rDI one element on, in the direction of RFLAGS.DF. */
static void string_step(struct hvx_vcpu *v, int reg)
{
	const struct hvx_mmio_insn *insn = &v->emul.insn;
	u64 delta = (v->emul.rflags & HVX_FL_DF) ? -(u64)insn->size :
						    insn->size;

	reg_write_sized(v, reg, false, insn->adsize, v->regs[reg] + delta);
}

/*
 * The instruction's effect on the vCPU. A REP string instruction moves
 * one element per execution: RIP stays until rCX runs out (or, for CMPS
 * and SCAS, the ZF condition ends it), so the CPU executes it again for
 * the next element and may take interrupts between elements, as it does
 * itself.
 */
static void emul_commit(struct hvx_vcpu *v)
{
	struct hvx_emul *e = &v->emul;
	const struct hvx_mmio_insn *insn = &e->insn;
	unsigned int ssize = stack_size(hvx_vmx_cpu_mode());
	u64 mask = hvx_emul_trunc(~0ull, insn->adsize), rcx;
	bool zf = e->rflags & HVX_FL_ZF;

	if (e->reg_write)
		reg_write_sized(v, e->reg_num, e->reg_high, e->reg_size,
				e->reg_val);
	vmcs_writel(GUEST_RFLAGS, e->rflags);
	switch (insn->op) {
	case HVX_OP_PUSH:
		reg_write_sized(v, HVX_RSP, false, ssize,
				hvx_reg_read(v, HVX_RSP) - insn->size);
		break;
	case HVX_OP_POP:
		reg_write_sized(v, HVX_RSP, false, ssize,
				hvx_reg_read(v, HVX_RSP) + insn->size);
		break;
	case HVX_OP_MOVS: case HVX_OP_CMPS: case HVX_OP_STOS:
	case HVX_OP_LODS: case HVX_OP_SCAS:
		if (insn->op != HVX_OP_STOS && insn->op != HVX_OP_SCAS)
			string_step(v, HVX_RSI);
		if (insn->op != HVX_OP_LODS)
			string_step(v, HVX_RDI);
		if (!insn->rep)
			break;
		rcx = (v->regs[HVX_RCX] - 1) & mask;
		reg_write_sized(v, HVX_RCX, false, insn->adsize, rcx);
		if (!rcx)
			break;
		if (insn->op == HVX_OP_CMPS || insn->op == HVX_OP_SCAS) {
			if (insn->rep == HVX_REP_E ? !zf : zf)
				break;
		}
		return;		/* the next element: the same RIP */
	}
	emul_skip(v);
}

static int emul_failed(struct hvx_vcpu *v)
{
	return hvx_internal_error(v, HVX_INTERNAL_EMULATION, 2, v->emul.gpa,
				  (u64)vmcs_readl(GUEST_RIP));
}

/*
 * Make the accesses from e->stage on. Returns RESUME_GUEST when the
 * instruction is complete, EXIT_TO_USER with run->mmio filled in when
 * user space must make an access. An instruction that read from user
 * space commits only once its write has been made too (on the next
 * HVX_RUN); one that only writes commits before its exit, as a MOV store
 * always has.
 */
static int emul_run(struct hvx_vcpu *v)
{
	struct hvx_emul *e = &v->emul;
	int ret;

	for (; e->stage < e->nread; e->stage++) {
		ret = emul_access(v, &e->loc[e->stage], false,
				  &e->val[e->stage]);
		if (ret < 0)
			return emul_failed(v);
		if (ret) {
			e->read_user = true;
			v->pending = HVX_PENDING_EMUL;
			return EXIT_TO_USER;
		}
	}
	if (e->stage == e->nread) {
		emul_compute(v);
		e->stage++;
		if (e->write) {
			ret = emul_access(v, &e->loc[2], true, &e->wr);
			if (ret < 0)
				return emul_failed(v);
			if (ret) {
				if (e->read_user)
					v->pending = HVX_PENDING_EMUL;
				else
					emul_commit(v);
				return EXIT_TO_USER;
			}
		}
	}
	emul_commit(v);
	return RESUME_GUEST;
}

/* HVX_RUN after an HVX_EXIT_MMIO of an emulated instruction. */
int hvx_emul_complete(struct hvx_vcpu *v)
{
	struct hvx_emul *e = &v->emul;

	if (e->stage < e->nread) {
		e->val[e->stage] = 0;
		memcpy(&e->val[e->stage], v->run->mmio.data, e->insn.size);
		e->stage++;
		return emul_run(v);
	}
	emul_commit(v);
	return RESUME_GUEST;
}

/*
 * MMIO: decode the instruction at RIP and emulate it, its accesses made
 * by the in-kernel devices or else by user space.
 */
int hvx_emulate_mmio(struct hvx_vcpu *v, u64 gpa, bool write)
{
	struct hvx_emul *e = &v->emul;
	struct hvx_mmio_insn *insn = &e->insn;
	u64 rip = vmcs_readl(GUEST_RIP);
	int mode = hvx_vmx_cpu_mode(), ret;
	u64 linear = mode == HVX_CPU_MODE_64 ? rip :
		     vmcs_readl(GUEST_CS_BASE) + rip;
	unsigned int avail;
	u8 bytes[15];

	memset(e, 0, sizeof(*e));
	e->gpa = gpa;
	/* Fetch what can be fetched: the instruction may end a page early. */
	avail = min_t(u64, sizeof(bytes), PAGE_SIZE - (linear & ~PAGE_MASK));
	if (hvx_guest_linear_access(v, linear, bytes, avail, false))
		return emul_failed(v);
	if (hvx_decode_mmio(bytes, avail, mode, insn) == -ENODATA) {
		if (hvx_guest_linear_access(v, linear, bytes, sizeof(bytes), false))
			return emul_failed(v);
		avail = sizeof(bytes);
	}
	if (hvx_decode_mmio(bytes, avail, mode, insn))
		return emul_failed(v);
	/* A MOV goes one way: the exit must have been that way. */
	if (insn->op == HVX_OP_MOV && insn->is_write != write)
		return emul_failed(v);

	e->rflags = vmcs_readl(GUEST_RFLAGS);
	ret = emul_plan(v, gpa);
	if (ret == EMUL_FAULTED)
		return RESUME_GUEST;
	if (ret == EMUL_NOTHING) {
		emul_skip(v);
		return RESUME_GUEST;
	}
	if (ret)
		return emul_failed(v);
	return emul_run(v);
}

