// SPDX-License-Identifier: GPL-2.0
/*
 * VMX root operation on every online CPU, for as long as hvx is loaded.
 *
 * A CPU enters VMX root when it comes online (or when the module loads) and
 * leaves it when it goes offline, suspends, reboots, or the module unloads.
 * Entering and leaving run with interrupts off: KVM enables VMX from an IPI,
 * and the CR4.VMXE ownership test below must not race with it on this CPU.
 * CR4.VMXE is the only lock between hypervisors that the kernel knows; if it
 * is already set, someone else owns VMX on this CPU and we refuse with
 * -EBUSY instead of sharing VMX root with them.
 */
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/smp.h>
#include <linux/syscore_ops.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/tlbflush.h>
#include <asm/vmx.h>

#include "hvx.h"
#include "vmx.h"
#include "vmx_ops.h"

struct hvx_root {
	struct page *vmxon_region;
	bool held;
};

static DEFINE_PER_CPU(struct hvx_root, hvx_root);
static struct cpumask hvx_root_mask;
static enum cpuhp_state hvx_cpuhp_state;
bool hvx_rebooting;

bool hvx_root_held_here(void)
{
	return this_cpu_ptr(&hvx_root)->held;
}

const struct cpumask *hvx_root_cpus(void)
{
	return &hvx_root_mask;
}

/* SDM Vol. 3C 23.7: VMXON needs IA32_FEATURE_CONTROL locked, VMX enabled. */
static int enable_feature_control(void)
{
	const u64 need = FEAT_CTL_LOCKED | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX;
	u64 feat;

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &feat))
		return -ENODEV;
	if ((feat & need) == need)
		return 0;
	if (feat & FEAT_CTL_LOCKED)
		return -EOPNOTSUPP;
	/* Firmware left it open (rare since Linux locks it at boot). */
	if (wrmsrl_safe(MSR_IA32_FEAT_CTL, feat | need))
		return -ENODEV;
	return 0;
}

/* Called with interrupts off, on the CPU that enters VMX root. */
static int root_enter(void)
{
	struct hvx_root *r = this_cpu_ptr(&hvx_root);
	unsigned int cpu = smp_processor_id();
	int err;

	lockdep_assert_irqs_disabled();
	if (r->held)
		return 0;
	if (cr4_read_shadow() & X86_CR4_VMXE) {
		pr_err("CPU%u: VMX is in use by another hypervisor\n", cpu);
		return -EBUSY;
	}
	err = enable_feature_control();
	if (err) {
		pr_err("CPU%u: IA32_FEATURE_CONTROL does not allow VMX\n", cpu);
		return err;
	}

	/* SDM Vol. 3C 24.11.5: the region starts with the VMCS revision. */
	*(u32 *)page_address(r->vmxon_region) = hvx_caps.vmcs_revision;
	cr4_set_bits_irqsoff(X86_CR4_VMXE);
	err = hvx_vmxon(page_to_phys(r->vmxon_region));
	if (err) {
		cr4_clear_bits_irqsoff(X86_CR4_VMXE);
		pr_err("CPU%u: VMXON failed (%s)\n", cpu,
		       err == -EFAULT ? "fault" : "VMfail");
		return -EIO;
	}
	/*
	 * Whoever held VMX root here before (firmware, a hypervisor that has
	 * since left, our own last VMXON) may have left EPT translations
	 * cached; a new VM whose EPT root reuses an old one's page must
	 * not hit them (SDM Vol. 3C 29.4.3.4).
	 */
	hvx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
	r->held = true;
	cpumask_set_cpu(cpu, &hvx_root_mask);
	return 0;
}

/* Called with interrupts off, on the CPU that leaves VMX root. */
static void root_leave(void)
{
	struct hvx_root *r = this_cpu_ptr(&hvx_root);
	unsigned int cpu = smp_processor_id();

	lockdep_assert_irqs_disabled();
	if (!r->held)
		return;
	/* VMCS data cached in this CPU must reach memory first. */
	hvx_vmx_clear_cpu();
	if (hvx_vmxoff())
		pr_err("CPU%u: VMXOFF failed\n", cpu);
	cr4_clear_bits_irqsoff(X86_CR4_VMXE);
	r->held = false;
	cpumask_clear_cpu(cpu, &hvx_root_mask);
}

/* cpuhp callbacks of the AP_ONLINE_DYN state run on the CPU concerned. */
static int hvx_cpu_online(unsigned int cpu)
{
	struct hvx_root *r = per_cpu_ptr(&hvx_root, cpu);
	unsigned long flags;
	int err;

	r->vmxon_region = alloc_pages_node(cpu_to_node(cpu),
					   GFP_KERNEL | __GFP_ZERO, 0);
	if (!r->vmxon_region)
		return -ENOMEM;

	local_irq_save(flags);
	err = root_enter();
	local_irq_restore(flags);
	if (err) {
		__free_page(r->vmxon_region);
		r->vmxon_region = NULL;
	}
	return err;
}

static int hvx_cpu_offline(unsigned int cpu)
{
	struct hvx_root *r = per_cpu_ptr(&hvx_root, cpu);
	unsigned long flags;

	local_irq_save(flags);
	root_leave();
	local_irq_restore(flags);
	__free_page(r->vmxon_region);
	r->vmxon_region = NULL;
	return 0;
}

/*
 * Suspend: the other CPUs have already gone offline through cpuhp, so only
 * the CPU running this is left. Leave VMX root before firmware takes over;
 * the VMXON region stays allocated for resume.
 */
static int hvx_suspend(void)
{
	root_leave();
	return 0;
}

static void hvx_resume(void)
{
	if (root_enter())
		pr_err("CPU%u: could not re-enter VMX root after resume\n",
		       smp_processor_id());
}

static struct syscore_ops hvx_syscore_ops = {
	.suspend = hvx_suspend,
	.resume = hvx_resume,
};

static void root_leave_ipi(void *unused)
{
	root_leave();
}

/*
 * VMX root blocks INIT, which a reboot may use to reset the other CPUs.
 * vCPU threads may be running: an IPI makes one in guest mode exit, and
 * root_leave() clears its VMCS. Its thread then meets VMX instructions that
 * fault (fixed up by vmcs.h and vmx_ops.h) and a run loop that no longer
 * enters (hvx_vmx_enter() checks hvx_root_held_here() with interrupts off).
 */
static int hvx_reboot(struct notifier_block *nb, unsigned long action,
		      void *data)
{
	WRITE_ONCE(hvx_rebooting, true);
	on_each_cpu(root_leave_ipi, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block hvx_reboot_nb = {
	.notifier_call = hvx_reboot,
};

int hvx_root_init(void)
{
	int ret;

	/* Calls hvx_cpu_online() on each online CPU, undoing all on error. */
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "hvx:vmx_root",
				hvx_cpu_online, hvx_cpu_offline);
	if (ret < 0)
		return ret;
	hvx_cpuhp_state = ret;
	register_syscore_ops(&hvx_syscore_ops);
	register_reboot_notifier(&hvx_reboot_nb);
	return 0;
}

void hvx_root_exit(void)
{
	unregister_reboot_notifier(&hvx_reboot_nb);
	unregister_syscore_ops(&hvx_syscore_ops);
	cpuhp_remove_state(hvx_cpuhp_state);
}
