// SPDX-License-Identifier: GPL-2.0
/*
 * VM exit handlers, all in one table indexed by the basic exit reason.
 *
 * A handler finishes what it can in the kernel (CPUID, control and debug
 * registers, MSRs, faults on guest memory) and re-enters the guest, or
 * describes the exit in the run page for user space (port I/O, MMIO, HLT,
 * shutdown). An exit hvx does not expect becomes an internal-error exit to
 * user space; nothing a guest does can make the host crash here.
 */
#include <linux/kernel.h>
#include <linux/nospec.h>
#include <linux/string.h>
#include <uapi/asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/trap_pf.h>
#include <asm/trapnr.h>
#include <asm/vmx.h>

#include "arch_rules.h"
#include "exits.h"
#include "exits_internal.h"
#include "guest_paging.h"
#include "hvx.h"
#include "iobus.h"
#include "vcpu.h"
#include "vm.h"
#include "vmcs.h"
#include "vmx.h"

/* Not in <asm/vmx.h> of 6.1; SDM Vol. 3D appendix C. */
#define EXIT_REASON_GETSEC	11

static int inject_gp(void)
{
	hvx_vmx_inject_exception(X86_TRAP_GP, true, 0);
	return RESUME_GUEST;
}

static int inject_ud(struct hvx_vcpu *v)
{
	hvx_vmx_inject_exception(X86_TRAP_UD, false, 0);
	return RESUME_GUEST;
}

int hvx_internal_error(struct hvx_vcpu *v, u32 suberror, u32 ndata, ...)
{
	struct hvx_run *run = v->run;
	va_list ap;
	u32 i;

	run->exit_reason = HVX_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = ndata;
	va_start(ap, ndata);
	for (i = 0; i < ndata; i++)
		run->internal.data[i] = va_arg(ap, u64);
	va_end(ap);
	return EXIT_TO_USER;
}

static int handle_exception_nmi(struct hvx_vcpu *v)
{
	u32 info = vmcs_read32(VM_EXIT_INTR_INFO);
	u8 vector = info & INTR_INFO_VECTOR_MASK;

	/* NMIs were passed to the host right after the exit. */
	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
		return RESUME_GUEST;
	switch (vector) {
	case X86_TRAP_DB:
		/* The exit qualification holds the DR6 bits of this #DB. */
		v->dr6 = (v->dr6 & ~DR_TRAP_BITS) | HVX_DR6_FIXED_1 |
			 (vmcs_readl(EXIT_QUALIFICATION) & (DR_TRAP_BITS |
							    DR_STEP));
		hvx_vmx_inject_exception(X86_TRAP_DB, false, 0);
		return RESUME_GUEST;
	case X86_TRAP_AC:
		hvx_vmx_inject_exception(X86_TRAP_AC, true,
					 vmcs_read32(VM_EXIT_INTR_ERROR_CODE));
		return RESUME_GUEST;
	case X86_TRAP_MC:
		/* The host's handler ran right after the exit. */
		return RESUME_GUEST;
	}
	return hvx_internal_error(v, HVX_INTERNAL_UNHANDLED_EXIT, 2,
				  (u64)EXIT_REASON_EXCEPTION_NMI, (u64)info);
}

static int handle_external_interrupt(struct hvx_vcpu *v)
{
	/* Already serviced by the host when interrupts were re-enabled. */
	return RESUME_GUEST;
}

static int handle_triple_fault(struct hvx_vcpu *v)
{
	v->run->exit_reason = HVX_EXIT_SHUTDOWN;
	return EXIT_TO_USER;
}

static int handle_cpuid(struct hvx_vcpu *v)
{
	u32 fn = v->regs[HVX_RAX], index = v->regs[HVX_RCX];
	const struct hvx_cpuid_entry *e = NULL;
	u32 i;

	for (i = 0; i < v->cpuid_nent; i++) {
		const struct hvx_cpuid_entry *c = &v->cpuid[i];

		if (c->function == fn &&
		    (!(c->flags & HVX_CPUID_SIGNIFICANT_INDEX) ||
		     c->index == index)) {
			e = c;
			break;
		}
	}
	/* A leaf the table lacks reads as zeros. */
	v->regs[HVX_RAX] = e ? e->eax : 0;
	v->regs[HVX_RBX] = e ? e->ebx : 0;
	v->regs[HVX_RCX] = e ? e->ecx : 0;
	v->regs[HVX_RDX] = e ? e->edx : 0;
	/* CPUID.1:ECX.OSXSAVE mirrors CR4.OSXSAVE (SDM Vol. 2A, CPUID). */
	if (fn == 1 && e) {
		v->regs[HVX_RCX] &= ~(u64)BIT(27);
		if (hvx_vmx_get_cr4() & X86_CR4_OSXSAVE)
			v->regs[HVX_RCX] |= BIT(27);
	}
	/*
	 * With the module's APICs, the APIC IDs are the module's (the vCPU
	 * ids): one table serves every vCPU, each sees its own ID.
	 */
	if (v->apic && e && fn == 1)
		v->regs[HVX_RBX] = (v->regs[HVX_RBX] & 0xffffff) | v->id << 24;
	if (v->apic && e && (fn == 0xb || fn == 0x1f))
		v->regs[HVX_RDX] = v->id;
	hvx_vmx_skip_instruction(v);
	return RESUME_GUEST;
}

/*
 * Without an irqchip HLT is user space's business. With one, the vCPU
 * sleeps in the kernel until its APIC has an interrupt it can take (or
 * forever, if it halted with interrupts off: only NMI or INIT end that).
 */
static int handle_hlt(struct hvx_vcpu *v)
{
	hvx_vmx_skip_instruction(v);
	if (v->apic) {
		v->halt_if = vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_IF;
		v->mp_state = HVX_MP_HALTED;
		return RESUME_GUEST;
	}
	v->run->exit_reason = HVX_EXIT_HLT;
	return EXIT_TO_USER;
}

static int handle_cr(struct hvx_vcpu *v)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	int cr = qual & 15, type = (qual >> 4) & 3, reg = (qual >> 8) & 15;
	unsigned long val;
	int err = 0;

	switch (type) {
	case 0:		/* MOV to CR */
		val = hvx_reg_read(v, reg);
		if (cr == 0)
			err = hvx_vmx_set_cr0(v, val);
		else if (cr == 4)
			err = hvx_vmx_set_cr4(v, val);
		else if (cr == 8 && val <= 15)
			hvx_vcpu_set_cr8(v, val);
		else
			err = -EINVAL;
		break;
	case 1:		/* MOV from CR: only CR8 exits */
		if (cr != 8)
			goto unexpected;
		hvx_reg_write(v, reg, hvx_vcpu_get_cr8(v));
		break;
	case 3:		/* LMSW: sets PE, MP, EM, TS; cannot clear PE */
		val = (qual >> 16) & 0xf;
		err = hvx_vmx_set_cr0(v, (hvx_vmx_get_cr0() & ~0xeUL) | val);
		break;
	default:
		goto unexpected;
	}
	if (err)
		return inject_gp();
	hvx_vmx_skip_instruction(v);
	return RESUME_GUEST;
unexpected:
	return hvx_internal_error(v, HVX_INTERNAL_UNHANDLED_EXIT, 2,
				  (u64)EXIT_REASON_CR_ACCESS, (u64)qual);
}

/*
 * Every MOV DR exits, and the guest's DR0-3, DR6 and DR7 live in the vCPU.
 * Its DR7 reaches the hardware only through the VMCS (GUEST_DR7, loaded
 * at entry, cleared by the exit) and DR0-3 only while that DR7 arms one:
 * guest breakpoints fire in guest mode, on guest addresses, and never in
 * the host. General detect is emulated here, since the exit would
 * otherwise take the MOV before the CPU's own check.
 */
static int handle_dr(struct hvx_vcpu *v)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	int dr = qual & 7, reg = (qual >> 8) & 15;
	bool to_dr = !(qual & BIT(4));
	unsigned long val;

	if ((dr == 4 || dr == 5) && (hvx_vmx_get_cr4() & X86_CR4_DE))
		return inject_ud(v);
	if (v->dr7 & HVX_DR7_GD) {
		/* A fault: the CPU clears GD so that the handler may use DRs. */
		v->dr6 |= HVX_DR6_BD;
		hvx_vmx_set_dr7(v, v->dr7 & ~HVX_DR7_GD);
		hvx_vmx_inject_exception(X86_TRAP_DB, false, 0);
		return RESUME_GUEST;
	}
	if (dr >= 4)
		dr += 2 * (dr < 6);	/* DR4/5 alias DR6/7 */

	if (to_dr) {
		val = hvx_reg_read(v, reg);
		if ((dr == 6 || dr == 7) && (val >> 32))
			return inject_gp();
		if (dr < 4)
			v->dr[dr] = val;
		else if (dr == 6)
			v->dr6 = (val & HVX_DR6_VOLATILE) | HVX_DR6_FIXED_1;
		else
			hvx_vmx_set_dr7(v, (val & ~HVX_DR7_RESERVED) |
					   HVX_DR7_FIXED_1);
	} else {
		val = dr < 4 ? v->dr[dr] : dr == 6 ? v->dr6 : v->dr7;
		hvx_reg_write(v, reg, val);
	}
	hvx_vmx_skip_instruction(v);
	return RESUME_GUEST;
}

static u64 addr_mask(u32 insn_info)
{
	/* VM-exit instruction information, bits 9:7: 16, 32 or 64 bits. */
	switch ((insn_info >> 7) & 7) {
	case 0:
		return 0xffff;
	case 1:
		return 0xffffffff;
	default:
		return ~0ull;
	}
}

static int handle_io(struct hvx_vcpu *v)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	struct hvx_run *run = v->run;
	u8 size = (qual & 7) + 1;
	bool in = qual & BIT(3), string = qual & BIT(4), rep = qual & BIT(5);
	void *data = (char *)run + HVX_RUN_DATA_OFFSET;
	u32 count = 1;
	int err;

	/*
	 * A single IN or OUT may be an in-kernel device's (an ioeventfd,
	 * the 8259s): done here, and the guest goes on. The string forms
	 * always go to user space: an ioeventfd signals one write, not a
	 * buffer of them, and no guest reads an 8259 with INS.
	 */
	if (!in && !string &&
	    !hvx_io_bus_write(v, HVX_PIO_BUS, qual >> 16, size,
			      &v->regs[HVX_RAX])) {
		hvx_vmx_skip_instruction(v);
		return RESUME_GUEST;
	}
	if (in && !string) {
		u32 val;

		if (!hvx_io_bus_read(v, HVX_PIO_BUS, qual >> 16, size, &val)) {
			/* As HVX_PENDING_IO_IN completes a user-space IN. */
			memcpy(&v->regs[HVX_RAX], &val, size);
			if (size == 4)
				v->regs[HVX_RAX] &= 0xffffffff;
			hvx_vmx_skip_instruction(v);
			return RESUME_GUEST;
		}
	}

	run->exit_reason = HVX_EXIT_IO;
	run->io.direction = in ? HVX_EXIT_IO_IN : HVX_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = qual >> 16;
	run->io.data_offset = HVX_RUN_DATA_OFFSET;
	v->io_size = size;

	if (string) {
		u32 info = vmcs_read32(VMX_INSTRUCTION_INFO);
		u64 mask = addr_mask(info), gva = vmcs_readl(GUEST_LINEAR_ADDRESS);
		u64 left = rep ? v->regs[HVX_RCX] & mask : 1;
		bool down = vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_DF;
		u64 room;

		if (!left) {
			hvx_vmx_skip_instruction(v);
			return RESUME_GUEST;
		}
		/*
		 * One exit moves what fits both in the run page and in the
		 * guest page at hand; REP resumes the instruction for the rest.
		 */
		room = down ? (gva & ~PAGE_MASK) + size :
			      PAGE_SIZE - (gva & ~PAGE_MASK);
		count = min3(left, room / size,
			     (u64)(PAGE_SIZE - HVX_RUN_DATA_OFFSET) / size);
		count = max(count, 1u);
		if (down)
			gva -= (count - 1) * size;
		err = hvx_guest_linear_check(v, gva, count * size, in);
		if (err > 0)
			return RESUME_GUEST;
		if (err)
			return hvx_internal_error(v, HVX_INTERNAL_EMULATION, 2,
						  gva, vmcs_readl(GUEST_RIP));
		v->string_gva = gva;
		v->string_count = count;
		v->string_down = down;
		v->string_rep = rep;
		v->string_in = in;
		v->string_mask = mask;
		if (!in && hvx_guest_linear_access(v, gva, data, count * size,
						   false))
			return hvx_internal_error(v, HVX_INTERNAL_EMULATION, 2,
						  gva, vmcs_readl(GUEST_RIP));
		/* Descending OUTS sends the highest address first. */
		if (!in && down) {
			u8 tmp[8];
			u32 i;

			for (i = 0; i < count / 2; i++) {
				memcpy(tmp, data + i * size, size);
				memcpy(data + i * size,
				       data + (count - 1 - i) * size, size);
				memcpy(data + (count - 1 - i) * size, tmp, size);
			}
		}
		v->pending = HVX_PENDING_STRING_IO;
	} else if (in) {
		v->pending = HVX_PENDING_IO_IN;
	} else {
		memcpy(data, &v->regs[HVX_RAX], size);
		hvx_vmx_skip_instruction(v);
	}
	run->io.count = count;
	return EXIT_TO_USER;
}

static void complete_string_io(struct hvx_vcpu *v)
{
	struct hvx_run *run = v->run;
	int sreg = v->string_in ? HVX_RDI : HVX_RSI;
	u64 mask = v->string_mask, bytes = (u64)v->string_count * v->io_size;
	void *data = (char *)run + HVX_RUN_DATA_OFFSET;
	unsigned long ptr;

	if (v->string_in) {
		if (v->string_down) {
			u8 tmp[8];
			u32 i, n = v->string_count, sz = v->io_size;

			for (i = 0; i < n / 2; i++) {
				memcpy(tmp, data + i * sz, sz);
				memcpy(data + i * sz, data + (n - 1 - i) * sz, sz);
				memcpy(data + (n - 1 - i) * sz, tmp, sz);
			}
		}
		hvx_guest_linear_access(v, v->string_gva, data, bytes, true);
	}
	ptr = v->regs[sreg];
	ptr = v->string_down ? ptr - bytes : ptr + bytes;
	v->regs[sreg] = (v->regs[sreg] & ~mask) | (ptr & mask);
	if (v->string_rep) {
		u64 rcx = (v->regs[HVX_RCX] & mask) - v->string_count;

		v->regs[HVX_RCX] = (v->regs[HVX_RCX] & ~mask) | (rcx & mask);
		if (rcx & mask)
			return;	/* re-execute the REP instruction */
	}
	hvx_vmx_skip_instruction(v);
}

static int handle_msr(struct hvx_vcpu *v, bool write)
{
	u32 index = v->regs[HVX_RCX];
	u64 value;

	if (write) {
		value = (v->regs[HVX_RDX] << 32) | (u32)v->regs[HVX_RAX];
		if (hvx_msr_write(v, index, value, false))
			return inject_gp();
	} else {
		if (hvx_msr_read(v, index, &value))
			return inject_gp();
		v->regs[HVX_RAX] = (u32)value;
		v->regs[HVX_RDX] = value >> 32;
	}
	hvx_vmx_skip_instruction(v);
	return RESUME_GUEST;
}

static int handle_rdmsr(struct hvx_vcpu *v)
{
	return handle_msr(v, false);
}

static int handle_wrmsr(struct hvx_vcpu *v)
{
	return handle_msr(v, true);
}

static int handle_ept_violation(struct hvx_vcpu *v)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	u64 gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	bool write = qual & EPT_VIOLATION_ACC_WRITE;
	int err;

	err = hvx_vm_handle_ept_fault(v->vm, gpa, write);
	if (!err)
		return RESUME_GUEST;
	/*
	 * Outside guest memory, only an instruction's own data access is
	 * MMIO to emulate. The CPU's own accesses are not: delivering an
	 * event (IDT, stack, TSS) or walking the guest's page tables (a
	 * linear-address access whose "translated access" bit 8 is clear,
	 * SDM Vol. 3C table 28-7) into unbacked space has no instruction at
	 * RIP that made it, and emulating one would be a lie.
	 */
	if (err == -ENOENT || err == -EACCES) {
		if (v->idt_info & VECTORING_INFO_VALID_MASK)
			return hvx_internal_error(v, HVX_INTERNAL_DELIVERY_EV, 2,
						  gpa, (u64)v->idt_info);
		if ((qual & EPT_VIOLATION_GVA_IS_VALID) &&
		    (qual & EPT_VIOLATION_GVA_TRANSLATED) &&
		    !(qual & EPT_VIOLATION_ACC_INSTR))
			return hvx_emulate_mmio(v, gpa, write);
	}
	if (err == -ENOMEM)
		return err;
	return hvx_internal_error(v, HVX_INTERNAL_EMULATION, 3, gpa,
				  (u64)vmcs_readl(GUEST_RIP), (u64)qual);
}

/*
 * An access to the virtualized APIC page that the CPU does not serve
 * itself (every register but the TPR): fault-like, so the MMIO emulation
 * decodes the instruction at RIP as for an EPT violation. The CPU's own
 * accesses (event delivery, a fetch: types 2 and up) have no instruction
 * to emulate.
 */
static int handle_apic_access(struct hvx_vcpu *v)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	u32 type = (qual >> 12) & 0xf;

	if ((type == 0 || type == 1) && !(v->idt_info & VECTORING_INFO_VALID_MASK))
		return hvx_emulate_mmio(v, (v->apic_base & PAGE_MASK) | (qual & 0xfff),
					type == 1);
	return hvx_internal_error(v, HVX_INTERNAL_EMULATION, 3,
				  (v->apic_base & PAGE_MASK) | (qual & 0xfff),
				  (u64)vmcs_readl(GUEST_RIP), (u64)qual);
}

static int handle_xsetbv(struct hvx_vcpu *v)
{
	u64 value = (v->regs[HVX_RDX] << 32) | (u32)v->regs[HVX_RAX];

	/* Never a guest-chosen value in the host's XSETBV before entry. */
	if ((u32)v->regs[HVX_RCX] ||
	    !hvx_xcr0_valid(value, hvx_vmx_xcr0_supported(v)))
		return inject_gp();
	v->xcr0 = value;
	hvx_vmx_skip_instruction(v);
	return RESUME_GUEST;
}

/* No virtual PMU: the guest reads no host counter (SDM RDPMC: #GP). */
static int handle_rdpmc(struct hvx_vcpu *v)
{
	return inject_gp();
}

/* hvx emulates no task switch; say so rather than loop or guess. */
static int handle_task_switch(struct hvx_vcpu *v)
{
	return hvx_internal_error(v, HVX_INTERNAL_TASK_SWITCH, 2,
				  (u64)vmcs_readl(EXIT_QUALIFICATION),
				  (u64)vmcs_readl(GUEST_RIP));
}

static int handle_ud(struct hvx_vcpu *v)
{
	/* VMX instructions, MONITOR/MWAIT, GETSEC: not for guests of hvx. */
	return inject_ud(v);
}

/*
 * A hypercall (uapi/linux/hvx.h, HVX_HC_*): an error in RAX rather than
 * the #UD of a machine without a hypervisor, since guests probe with it.
 * The privilege check is the CPL, SS.DPL (SDM Vol. 3A 5.5); outside 64-bit
 * mode only EAX is written, as the guest sees only EAX.
 */
static int handle_vmcall(struct hvx_vcpu *v)
{
	u32 cpl = (vmcs_read32(GUEST_SS_AR_BYTES) >> 5) & 3;
	u64 ret = cpl ? -(u64)HVX_HC_EPERM : -(u64)HVX_HC_ENOSYS;

	if (hvx_vmx_cpu_mode() != HVX_CPU_MODE_64)
		ret = (u32)ret;
	v->regs[HVX_RAX] = ret;
	hvx_vmx_skip_instruction(v);
	return RESUME_GUEST;
}

static int handle_interrupt_window(struct hvx_vcpu *v)
{
	/* The queued interrupt goes in at the coming entry. */
	hvx_vmx_clear_irq_window(v);
	return RESUME_GUEST;
}

/* Also the VMX-preemption timer: the run loop's checks are the point. */
static int handle_ignore(struct hvx_vcpu *v)
{
	return RESUME_GUEST;
}

static int handle_skip(struct hvx_vcpu *v)
{
	hvx_vmx_skip_instruction(v);
	return RESUME_GUEST;
}

static int (*const exit_handlers[])(struct hvx_vcpu *v) = {
	[EXIT_REASON_EXCEPTION_NMI]		= handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT]	= handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT]		= handle_triple_fault,
	[EXIT_REASON_INIT_SIGNAL]		= handle_ignore,
	[EXIT_REASON_INTERRUPT_WINDOW]		= handle_interrupt_window,
	/* inject_queued_events() delivers the NMI at the coming entry. */
	[EXIT_REASON_NMI_WINDOW]		= handle_ignore,
	[EXIT_REASON_TASK_SWITCH]		= handle_task_switch,
	[EXIT_REASON_CPUID]			= handle_cpuid,
	[EXIT_REASON_GETSEC]			= handle_ud,
	[EXIT_REASON_HLT]			= handle_hlt,
	[EXIT_REASON_INVD]			= handle_skip,
	[EXIT_REASON_RDPMC]			= handle_rdpmc,
	[EXIT_REASON_VMCALL]			= handle_vmcall,
	[EXIT_REASON_VMCLEAR]			= handle_ud,
	[EXIT_REASON_VMLAUNCH]			= handle_ud,
	[EXIT_REASON_VMPTRLD]			= handle_ud,
	[EXIT_REASON_VMPTRST]			= handle_ud,
	[EXIT_REASON_VMREAD]			= handle_ud,
	[EXIT_REASON_VMRESUME]			= handle_ud,
	[EXIT_REASON_VMWRITE]			= handle_ud,
	[EXIT_REASON_VMOFF]			= handle_ud,
	[EXIT_REASON_VMON]			= handle_ud,
	[EXIT_REASON_CR_ACCESS]			= handle_cr,
	[EXIT_REASON_DR_ACCESS]			= handle_dr,
	[EXIT_REASON_IO_INSTRUCTION]		= handle_io,
	[EXIT_REASON_MSR_READ]			= handle_rdmsr,
	[EXIT_REASON_MSR_WRITE]			= handle_wrmsr,
	[EXIT_REASON_MWAIT_INSTRUCTION]		= handle_ud,
	[EXIT_REASON_MONITOR_INSTRUCTION]	= handle_ud,
	[EXIT_REASON_EPT_VIOLATION]		= handle_ept_violation,
	[EXIT_REASON_APIC_ACCESS]		= handle_apic_access,
	[EXIT_REASON_INVEPT]			= handle_ud,
	[EXIT_REASON_INVVPID]			= handle_ud,
	[EXIT_REASON_VMFUNC]			= handle_ud,
	[EXIT_REASON_PREEMPTION_TIMER]		= handle_ignore,
	/* The run loop delivers what the lower priority let through. */
	[EXIT_REASON_TPR_BELOW_THRESHOLD]	= handle_ignore,
	[EXIT_REASON_XSETBV]			= handle_xsetbv,
	/*
	 * WBINVD would write back and empty every cache of the host CPU (a
	 * latency weapon); with no device doing DMA behind the caches'
	 * back, the guest loses nothing when it is a no-op, as in KVM.
	 */
	[EXIT_REASON_WBINVD]			= handle_skip,
};

int hvx_handle_exit(struct hvx_vcpu *v)
{
	u32 reason = v->exit_reason;
	u16 basic = reason;
	u16 stat = min_t(u16, basic, HVX_STAT_EXIT_REASONS - 1);

	hvx_stat_inc(&v->stats.exits, 1);
	hvx_stat_inc(&v->stats.exit_reason[stat], 1);

	if (reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		v->run->exit_reason = HVX_EXIT_FAIL_ENTRY;
		v->run->fail_entry.hardware_exit_reason = basic;
		v->run->fail_entry.qualification = vmcs_readl(EXIT_QUALIFICATION);
		return EXIT_TO_USER;
	}
	if (basic >= ARRAY_SIZE(exit_handlers) || !exit_handlers[basic])
		return hvx_internal_error(v, HVX_INTERNAL_UNHANDLED_EXIT, 2,
					  (u64)basic,
					  (u64)vmcs_readl(EXIT_QUALIFICATION));
	basic = array_index_nospec(basic, ARRAY_SIZE(exit_handlers));
	return exit_handlers[basic](v);
}

int hvx_entry_failed(struct hvx_vcpu *v)
{
	return hvx_internal_error(v, HVX_INTERNAL_BAD_VMCS, 1,
				  (u64)vmcs_read32(VM_INSTRUCTION_ERROR));
}

int hvx_complete_user_exit(struct hvx_vcpu *v)
{
	enum hvx_pending pending = v->pending;

	v->pending = HVX_PENDING_NONE;
	switch (pending) {
	case HVX_PENDING_IO_IN:
		memcpy(&v->regs[HVX_RAX],
		       (char *)v->run + HVX_RUN_DATA_OFFSET,
		       v->io_size);
		/* A 32-bit IN zero-extends into RAX, like any 32-bit write. */
		if (v->io_size == 4)
			v->regs[HVX_RAX] &= 0xffffffff;
		hvx_vmx_skip_instruction(v);
		break;
	case HVX_PENDING_STRING_IO:
		complete_string_io(v);
		break;
	case HVX_PENDING_EMUL:
		return hvx_emul_complete(v);
	case HVX_PENDING_NONE:
		break;
	}
	return RESUME_GUEST;
}
