// SPDX-License-Identifier: GPL-2.0
/*
 * What the CPU's VMX can do, read once from the capability MSRs at load
 * time (SDM Vol. 3D, appendix A). The rest of the module asks hvx_caps
 * instead of reading MSRs, and the load either finds everything that hvx
 * requires or says in one line what is missing.
 */
#include <linux/kernel.h>
#include <linux/printk.h>
#include <asm/cpufeatures.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/tsc.h>
#include <asm/vmx.h>
#include <linux/hvx.h>

#include "eventfds.h"
#include "hvx.h"
#include "vmx.h"

struct hvx_vmx_caps hvx_caps;

/* Allowed-1 settings live in the high half of a VMX control MSR. */
static bool allowed1(u64 ctl_msr, u32 bits)
{
	return ((ctl_msr >> 32) & bits) == bits;
}

static int read_vmx_msrs(struct hvx_vmx_caps *c)
{
	if (rdmsrl_safe(MSR_IA32_VMX_BASIC, &c->basic) ||
	    rdmsrl_safe(MSR_IA32_VMX_MISC, &c->misc) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR0_FIXED0, &c->cr0_fixed0) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR0_FIXED1, &c->cr0_fixed1) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR4_FIXED0, &c->cr4_fixed0) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR4_FIXED1, &c->cr4_fixed1))
		return -ENODEV;

	/*
	 * The TRUE_* variants report which default-1 controls may be cleared;
	 * they exist only when IA32_VMX_BASIC[55] says so, which we require.
	 */
	if (!(c->basic & VMX_BASIC_TRUE_CTLS))
		return 0;
	if (rdmsrl_safe(MSR_IA32_VMX_TRUE_PINBASED_CTLS, &c->pinbased) ||
	    rdmsrl_safe(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, &c->procbased) ||
	    rdmsrl_safe(MSR_IA32_VMX_TRUE_EXIT_CTLS, &c->exit) ||
	    rdmsrl_safe(MSR_IA32_VMX_TRUE_ENTRY_CTLS, &c->entry))
		return -ENODEV;
	if (!allowed1(c->procbased, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
		return 0;
	if (rdmsrl_safe(MSR_IA32_VMX_PROCBASED_CTLS2, &c->procbased2))
		return -ENODEV;
	/* IA32_VMX_EPT_VPID_CAP exists if either EPT or VPID may be set. */
	if (((c->procbased2 >> 32) & (SECONDARY_EXEC_ENABLE_EPT |
				      SECONDARY_EXEC_ENABLE_VPID)) &&
	    rdmsrl_safe(MSR_IA32_VMX_EPT_VPID_CAP, &c->ept_vpid))
		return -ENODEV;
	return 0;
}

/*
 * Append the name of every required feature that @c lacks to @buf, and
 * return how many there were.
 */
static int list_missing(const struct hvx_vmx_caps *c, char *buf, size_t len)
{
	const u64 ept = c->ept_vpid, vpid = c->ept_vpid >> 32;
	const struct {
		bool ok;
		const char *name;
	} req[] = {
		{ ((c->basic & VMX_BASIC_MEM_TYPE_MASK) >>
		   VMX_BASIC_MEM_TYPE_SHIFT) == VMX_BASIC_MEM_TYPE_WB,
		  "write-back VMCS memory type" },
		{ !(c->basic & VMX_BASIC_64), "64-bit VMX region addresses" },
		{ c->vmcs_size && c->vmcs_size <= PAGE_SIZE, "VMCS size <= 4 KiB" },
		{ c->basic & VMX_BASIC_TRUE_CTLS, "true VMX controls" },
		{ c->basic & VMX_BASIC_INOUT, "INS/OUTS exit information" },
		{ allowed1(c->procbased, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS),
		  "secondary controls" },
		{ allowed1(c->procbased2, SECONDARY_EXEC_ENABLE_EPT), "EPT" },
		{ ept & VMX_EPT_PAGE_WALK_4_BIT, "EPT 4-level walk" },
		{ ept & VMX_EPTP_WB_BIT, "EPT write-back type" },
		{ (ept & VMX_EPT_INVEPT_BIT) &&
		  (ept & (VMX_EPT_EXTENT_CONTEXT_BIT | VMX_EPT_EXTENT_GLOBAL_BIT)),
		  "INVEPT" },
		{ allowed1(c->procbased2, SECONDARY_EXEC_ENABLE_VPID), "VPID" },
		{ (vpid & VMX_VPID_INVVPID_BIT) &&
		  (vpid & (VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT |
			   VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT)),
		  "INVVPID" },
		{ allowed1(c->procbased2, SECONDARY_EXEC_UNRESTRICTED_GUEST),
		  "unrestricted guest" },
	};
	unsigned int i, n = 0;
	size_t pos = 0;

	for (i = 0; i < ARRAY_SIZE(req); i++) {
		if (req[i].ok)
			continue;
		pos += scnprintf(buf + pos, len - pos, "%s%s", n ? ", " : "",
				 req[i].name);
		n++;
	}
	return n;
}

int hvx_caps_probe(void)
{
	struct hvx_vmx_caps *c = &hvx_caps;
	char missing[256];
	u64 feat;

	/*
	 * Ask CPUID directly: the kernel clears X86_FEATURE_VMX when firmware
	 * disabled VMX, and that case deserves its own errno and message.
	 */
	if (!(cpuid_ecx(1) & BIT(X86_FEATURE_VMX & 31))) {
		pr_err("cannot load: this CPU has no VMX (CPUID.1:ECX[5] is clear)\n");
		return -ENODEV;
	}

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &feat)) {
		pr_err("cannot load: IA32_FEATURE_CONTROL is not readable\n");
		return -ENODEV;
	}
	if ((feat & FEAT_CTL_LOCKED) &&
	    !(feat & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("cannot load: VMX is disabled and locked by firmware (IA32_FEATURE_CONTROL=%#llx); enable VT-x in the firmware setup\n",
		       feat);
		return -EOPNOTSUPP;
	}
	c->feature_control_unlocked = !(feat & FEAT_CTL_LOCKED);

	if (read_vmx_msrs(c)) {
		pr_err("cannot load: VMX capability MSRs are not readable\n");
		return -ENODEV;
	}
	c->vmcs_revision = vmx_basic_vmcs_revision_id(c->basic);
	c->vmcs_size = (c->basic >> VMX_BASIC_VMCS_SIZE_SHIFT) & 0x1fff;

	if (list_missing(c, missing, sizeof(missing))) {
		pr_err("cannot load: VMX lacks: %s\n", missing);
		return -ENODEV;
	}
	return 0;
}

/* The answer to HVX_CHECK_CAPABILITY; unknown capabilities read as 0. */
u64 hvx_cap_value(u32 cap)
{
	const u64 ept = hvx_caps.ept_vpid;

	switch (cap) {
	case HVX_CAP_VMX_CPUS:
		return cpumask_weight(hvx_root_cpus());
	case HVX_CAP_VMCS_REVISION:
		return hvx_caps.vmcs_revision;
	case HVX_CAP_EPT_LARGE_PAGES:
		return (ept & VMX_EPT_2MB_PAGE_BIT ? BIT(0) : 0) |
		       (ept & VMX_EPT_1GB_PAGE_BIT ? BIT(1) : 0);
	case HVX_CAP_EPT_AD_BITS:
		return !!(ept & VMX_EPT_AD_BIT);
	case HVX_CAP_PREEMPTION_TIMER:
		if (!((hvx_caps.pinbased >> 32) & PIN_BASED_VMX_PREEMPTION_TIMER))
			return 0;
		return 1 + vmx_misc_preemption_timer_rate(hvx_caps.misc);
	case HVX_CAP_MAX_VCPUS:
		return HVX_MAX_VCPUS;
	case HVX_CAP_MAX_MEM_SLOTS:
		return HVX_MAX_MEM_SLOTS;
	case HVX_CAP_READONLY_MEM:
	case HVX_CAP_DIRTY_LOG:
	case HVX_CAP_TSC_ADJUST:
	case HVX_CAP_SIGNAL_MSI:
	case HVX_CAP_IRQFD_RESAMPLE:
	case HVX_CAP_MMU_NOTIFIER:
	case HVX_CAP_PIC:
		return 1;
	case HVX_CAP_IOEVENTFD:
		return HVX_MAX_IOEVENTFDS;
	case HVX_CAP_IRQFD:
		return HVX_MAX_IRQFDS;
	case HVX_CAP_IRQCHIP:
		return HVX_IOAPIC_PINS;
	case HVX_CAP_TSC_KHZ:
		return tsc_khz;
	case HVX_CAP_TSC_AUX:
		return hvx_vmx_tsc_aux();
	case HVX_CAP_TPR_SHADOW:
		return (hvx_vmx_tpr_shadow() ? BIT(0) : 0) |
		       (hvx_vmx_apic_access() ? BIT(1) : 0);
	default:
		return 0;
	}
}
