// SPDX-License-Identifier: GPL-2.0
/*
 * Guest MSRs. Every MSR access exits (the MSR bitmap passes through only
 * those the VMCS switches: FS/GS base and SYSENTER), so a guest reads and
 * writes only what is listed here; anything else is #GP, as on a CPU that
 * lacks the MSR. With an in-kernel irqchip, lapic.c owns the APIC MSRs.
 */
#include <linux/preempt.h>
#include <asm/msr.h>
#include <asm/vmx.h>

#include "exits.h"
#include "hvx.h"
#include "lapic.h"
#include "vcpu.h"
#include "vm.h"
#include "vmcs.h"
#include "vmx.h"

static int swapped_index(u32 index)
{
	switch (index) {
	case MSR_STAR:
		return HVX_MSR_STAR;
	case MSR_LSTAR:
		return HVX_MSR_LSTAR;
	case MSR_CSTAR:
		return HVX_MSR_CSTAR;
	case MSR_SYSCALL_MASK:
		return HVX_MSR_SFMASK;
	case MSR_KERNEL_GS_BASE:
		return HVX_MSR_KERNEL_GS_BASE;
	}
	return -1;
}

/* Each PAT entry must be a valid memory type (SDM Vol. 3A 11.12.2). */
/* IA32_MTRR_DEF_TYPE: type in 7:0 (UC, WC, WT, WP, WB), FE 10, E 11. */
static bool mtrr_def_type_valid(u64 value)
{
	u8 type = value;

	return !(value & ~(0xffull | BIT_ULL(10) | BIT_ULL(11))) &&
	       (type <= 1 || (type >= 4 && type <= 6));
}

static bool pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 type = pat >> (i * 8);

		if (type > 7 || type == 2 || type == 3)
			return false;
	}
	return true;
}

/*
 * The guest's TSC is the host's plus an offset that the CPU adds on
 * RDTSC(P) without an exit. IA32_TSC_ADJUST accumulates every change the
 * guest makes through either MSR (SDM Vol. 3B, "Time-Stamp Counter
 * Adjustment"): a guest kernel that finds it zero on every CPU knows that
 * its TSCs were never written, and may then trust them without a
 * clocksource watchdog. User space restoring a vCPU sets each MSR alone.
 */
static void set_tsc_offset(struct hvx_vcpu *v, s64 offset, bool adjust)
{
	if (adjust)
		v->tsc_adjust += offset - v->tsc_offset;
	v->tsc_offset = offset;
	vmcs_write64(TSC_OFFSET, offset);
	if (v->apic)
		hvx_lapic_tsc_changed(v->apic);
}

int hvx_msr_read(struct hvx_vcpu *v, u32 index, u64 *value)
{
	int swapped = swapped_index(index);
	int ret;

	if (v->apic) {
		ret = hvx_lapic_msr_read(v, index, value);
		if (ret <= 0)
			return ret;
	}
	if (swapped >= 0) {
		/*
		 * SWAPGS changes KERNEL_GS_BASE without an exit. Preemption
		 * off: a switch between the test and the read would put the
		 * host's value back and make us read that.
		 */
		preempt_disable();
		if (v->guest_msrs_loaded && swapped == HVX_MSR_KERNEL_GS_BASE)
			rdmsrl(MSR_KERNEL_GS_BASE, v->msrs[swapped]);
		*value = v->msrs[swapped];
		preempt_enable();
		return 0;
	}
	switch (index) {
	case MSR_EFER:
		*value = hvx_vmx_get_efer();
		return 0;
	case MSR_IA32_CR_PAT:
		*value = vmcs_read64(GUEST_IA32_PAT);
		return 0;
	case MSR_IA32_APICBASE:
		*value = v->apic_base;
		return 0;
	case MSR_IA32_TSC:
		*value = hvx_guest_tsc(v);
		return 0;
	case MSR_IA32_TSC_ADJUST:
		*value = v->tsc_adjust;
		return 0;
	case MSR_TSC_AUX:
		*value = v->tsc_aux;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*value = v->misc_enable;
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		*value = vmcs_read64(GUEST_IA32_DEBUGCTL);
		return 0;
	case MSR_MTRRdefType:
		*value = v->mtrr_def_type;
		return 0;
	/* No variable or fixed MTRRs, no machine-check banks: all 0. */
	case MSR_MTRRcap:
	case MSR_IA32_MCG_CAP:
	case MSR_IA32_MCG_STATUS:
		*value = 0;
		return 0;
	case MSR_IA32_UCODE_REV:
		/*
		 * A virtual CPU's microcode is the hypervisor's and has no
		 * errata to dodge: report a revision above any real one in
		 * 63:32 (as KVM does), or Linux disables the TSC-deadline
		 * timer on emulated models with known-bad early microcode.
		 */
		*value = 1ull << 32;
		return 0;
	case MSR_IA32_FEAT_CTL:
		/* Locked, VMX off: the guest sees no VMX to use. */
		*value = FEAT_CTL_LOCKED;
		return 0;
	}
	return -EINVAL;
}

int hvx_msr_write(struct hvx_vcpu *v, u32 index, u64 value, bool host)
{
	int swapped = swapped_index(index);
	u64 efer;
	int ret;

	if (v->apic) {
		ret = hvx_lapic_msr_write(v, index, value);
		if (ret <= 0)
			return ret;
	}
	if (swapped >= 0) {
		if ((swapped == HVX_MSR_LSTAR || swapped == HVX_MSR_CSTAR ||
		     swapped == HVX_MSR_KERNEL_GS_BASE) &&
		    !__is_canonical_address(value, 48))
			return -EINVAL;
		/* Reserved bits: the host's WRMSR would fault on them. */
		if (swapped == HVX_MSR_SFMASK && (value >> 32))
			return -EINVAL;
		/*
		 * The test and the write with preemption off: a switch between
		 * them restores the host's values (hvx_vmx_vcpu_put()), and the
		 * write would then leave the guest's LSTAR, say, in the host,
		 * for the next task's SYSCALL.
		 */
		preempt_disable();
		v->msrs[swapped] = value;
		if (v->guest_msrs_loaded)
			wrmsrl(index, value);
		preempt_enable();
		return 0;
	}
	switch (index) {
	case MSR_EFER:
		efer = hvx_vmx_get_efer();
		/* LME may not change while paging is on; LMA is read-only. */
		if ((hvx_vmx_get_cr0() & X86_CR0_PG) &&
		    ((value ^ efer) & EFER_LME))
			return -EINVAL;
		return hvx_vmx_set_efer(v, (value & ~EFER_LMA) |
					   (efer & EFER_LMA));
	case MSR_IA32_CR_PAT:
		if (!pat_valid(value))
			return -EINVAL;
		vmcs_write64(GUEST_IA32_PAT, value);
		return 0;
	case MSR_IA32_APICBASE:
		v->apic_base = value;
		hvx_vm_apic_base_changed(v);
		return 0;
	case MSR_IA32_TSC:
		set_tsc_offset(v, value - rdtsc(), !host);
		return 0;
	case MSR_IA32_TSC_ADJUST:
		if (host)
			v->tsc_adjust = value;
		else
			set_tsc_offset(v, v->tsc_offset + value - v->tsc_adjust,
				       true);
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		/* No LBRs or BTS for guests yet. */
		return value ? -EINVAL : 0;
	case MSR_TSC_AUX:
		/* Bits 63:32 are reserved (SDM Vol. 4, IA32_TSC_AUX). */
		if (value >> 32)
			return -EINVAL;
		/* Loaded at entry by the MSR-load list; see vmx.c. */
		v->tsc_aux = value;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		/*
		 * Kept as written (a kernel turns fast strings or the xTPR
		 * message off and reads it back); BTS and PEBS unavailable
		 * are read-only and stay set.
		 */
		v->misc_enable = value | HVX_MISC_ENABLE_READ_ONLY;
		return 0;
	case MSR_MTRRdefType:
		/*
		 * Kept as written, for a kernel that reads back what it set:
		 * the default type (a valid memory type, as for PAT), FE and E;
		 * the rest is reserved (SDM Vol. 3A 11.11.2.1). With MTRRcap 0
		 * there are no ranges: EPT's WB mapping stands either way.
		 */
		if (!mtrr_def_type_valid(value))
			return -EINVAL;
		v->mtrr_def_type = value;
		return 0;
	case MSR_IA32_MCG_STATUS:
	case MSR_IA32_UCODE_REV:
		return 0;
	}
	return -EINVAL;
}
