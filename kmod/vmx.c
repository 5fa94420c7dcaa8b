// SPDX-License-Identifier: GPL-2.0
/*
 * The VMX half of a vCPU: VMCS controls chosen once at load, VMCS setup,
 * loading the VMCS where the vCPU thread runs, the world switch with the
 * host state that VM exits do not restore, and the guest state held in
 * the VMCS (registers, segments, control registers, EFER).
 */
#include <linux/hw_breakpoint.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/vmalloc.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/io.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/pkru.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>
#include <asm/tsc.h>

#include "arch_rules.h"
#include "hvx.h"
#include "lapic.h"
#include "pic.h"
#include "vcpu.h"
#include "vm.h"
#include "vmcs.h"
#include "vmx.h"
#include "vmx_ops.h"
#include "insn_decode.h"

static struct {
	u32 pin, proc, proc2, exit, entry;
} ctl;

/*
 * The TPR shadow (a virtual-APIC page per vCPU): CR8 reads and writes
 * without exits. On where the CPU has it; off, every access to CR8 exits,
 * as on a CPU without it, and the testbed covers that path too.
 */
static bool tpr_shadow = true;
module_param(tpr_shadow, bool, 0444);
MODULE_PARM_DESC(tpr_shadow, "Shadow the guest's task priority (CR8) in the virtual-APIC page");

/*
 * With the TPR shadow, the xAPIC's TPR at 0xfee00080 too: accesses to the
 * APIC page are virtualized (SDM Vol. 3C, "Virtualizing Memory-Mapped APIC
 * Accesses"), the TPR served from the virtual-APIC page, every other
 * register an APIC-access exit that the MMIO emulation takes as before.
 */
static bool apic_access = true;
module_param(apic_access, bool, 0444);
MODULE_PARM_DESC(apic_access, "Virtualize the xAPIC page: its TPR without exits (needs tpr_shadow)");

/*
 * The TSC-deadline timer of a running vCPU on the VMX-preemption timer, as
 * KVM does: the CPU exits at the deadline, where an hrtimer's expiry
 * would be a host interrupt, its handler, then the exit it causes.
 */
static bool preemption_deadline = true;
module_param(preemption_deadline, bool, 0444);
MODULE_PARM_DESC(preemption_deadline, "Run vCPUs' TSC deadlines on the VMX-preemption timer");

bool hvx_vmx_tpr_shadow(void)
{
	return tpr_shadow;
}

bool hvx_vmx_preemption_deadline(void)
{
	return preemption_deadline;
}

bool hvx_vmx_apic_access(void)
{
	return apic_access;
}

/* TSC_AUX is the kernel's (node << 12 | cpu) where RDTSCP or RDPID exist. */
static bool has_tsc_aux(void)
{
	return boot_cpu_has(X86_FEATURE_RDTSCP) ||
	       boot_cpu_has(X86_FEATURE_RDPID);
}

/*
 * RDTSCP and RDPID run in the guest, reading the guest's TSC_AUX, when
 * the CPU has one of them and "enable RDTSCP" is set (without it both
 * are #UD in VMX non-root operation, SDM Vol. 3C 25.3).
 */
bool hvx_vmx_tsc_aux(void)
{
	return (ctl.proc2 & SECONDARY_EXEC_ENABLE_RDTSCP) && has_tsc_aux();
}

static unsigned long *msr_bitmap;
static int l1d_flush_init(void);
static void l1d_flush_exit(void);
/* VMX-preemption timer ticks per guest slice; 0 when there is no timer. */
static u32 preemption_ticks;
static unsigned int preemption_rate;	/* TSC cycles per tick: 1 << rate */
static unsigned long host_idt_base;
static u64 host_efer, host_pat, host_xcr0;

/* VMCSs loaded on each CPU: VMCLEARed when the CPU leaves VMX root. */
static DEFINE_PER_CPU(struct list_head, loaded_vmcss);
static DEFINE_PER_CPU(struct page *, current_vmcs);

/* CR0 bits the guest owns; writes to any other bit exit to us. */
#define GUEST_OWNED_CR0	X86_CR0_TS
/* CR4 bits a guest may set (VMXE stays ours: no nested VMX). */
#define GUEST_CR4_BITS	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD |	\
			 X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE |	\
			 X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE |	\
			 X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT |		\
			 X86_CR4_UMIP | X86_CR4_FSGSBASE |		\
			 X86_CR4_PCIDE | X86_CR4_OSXSAVE |		\
			 X86_CR4_SMEP | X86_CR4_SMAP)
#define GUEST_EFER_BITS	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

/* VM_INSTRUCTION_ERROR, read without __vmcs_read(): no recursion here. */
static u32 vm_instruction_error(void)
{
	unsigned long err = 0;

	asm volatile("1: vmread %[field], %[err]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [err] "+r" (err)
		     : [field] "r" ((unsigned long)VM_INSTRUCTION_ERROR)
		     : "cc");
	return err;
}

void hvx_vmcs_error(const char *op, unsigned long field, unsigned long val,
		    int how)
{
	if (how == VMCS_FAULT) {
		/* Expected once the reboot notifier has left VMX root. */
		if (!READ_ONCE(hvx_rebooting))
			pr_err_ratelimited("%s field %#lx faulted: CPU%d is not in VMX root\n",
					   op, field, raw_smp_processor_id());
		return;
	}
	pr_warn_ratelimited("%s field %#lx (value %#lx) failed, VM-instruction error %u\n",
			    op, field, val, vm_instruction_error());
}

/*
 * Settle a control: bits we need (@want), bits we take if offered
 * (@optional), bits the CPU forces on; fail if the CPU refuses a needed one.
 */
static int adjust_ctl(u32 want, u32 optional, u64 cap, u32 *out)
{
	u32 v = ((want | optional) | (u32)cap) & (u32)(cap >> 32);

	if ((v & want) != want)
		return -EIO;
	*out = v;
	return 0;
}

static void msr_bitmap_pass(u32 msr)
{
	/* SDM Vol. 3C 25.6.9: read-low, read-high, write-low, write-high. */
	unsigned long base = msr >= 0xc0000000 ? 1024 * 8 : 0;

	msr &= 0x1fff;
	__clear_bit(base + msr, msr_bitmap);
	__clear_bit(2048 * 8 + base + msr, msr_bitmap);
}

int hvx_vmx_init(void)
{
	struct desc_ptr idt;
	int cpu, err;

	err = adjust_ctl(PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING |
			 PIN_BASED_VIRTUAL_NMIS,
			 PIN_BASED_VMX_PREEMPTION_TIMER,
			 hvx_caps.pinbased, &ctl.pin) ?:
	      adjust_ctl(CPU_BASED_HLT_EXITING | CPU_BASED_UNCOND_IO_EXITING |
			 CPU_BASED_RDPMC_EXITING |
			 CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_CR8_LOAD_EXITING |
			 CPU_BASED_CR8_STORE_EXITING |
			 CPU_BASED_MOV_DR_EXITING |
			 CPU_BASED_MWAIT_EXITING |
			 CPU_BASED_MONITOR_EXITING |
			 CPU_BASED_USE_TSC_OFFSETTING |
			 CPU_BASED_ACTIVATE_SECONDARY_CONTROLS, 0,
			 hvx_caps.procbased, &ctl.proc) ?:
	      adjust_ctl(SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID |
			 SECONDARY_EXEC_UNRESTRICTED_GUEST,
			 SECONDARY_EXEC_ENABLE_RDTSCP |
			 SECONDARY_EXEC_ENABLE_INVPCID |
			 SECONDARY_EXEC_WBINVD_EXITING,
			 hvx_caps.procbased2, &ctl.proc2) ?:
	      adjust_ctl(VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_EFER |
			 VM_EXIT_LOAD_IA32_EFER | VM_EXIT_SAVE_IA32_PAT |
			 VM_EXIT_LOAD_IA32_PAT | VM_EXIT_SAVE_DEBUG_CONTROLS |
			 VM_EXIT_ACK_INTR_ON_EXIT, 0,
			 hvx_caps.exit, &ctl.exit) ?:
	      adjust_ctl(VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT |
			 VM_ENTRY_LOAD_DEBUG_CONTROLS, 0,
			 hvx_caps.entry, &ctl.entry);
	if (err) {
		pr_err("cannot load: VMX controls hvx needs are not offered\n");
		return -ENODEV;
	}
	/* Virtual NMIs come with NMI-window exiting (SDM Vol. 3C 25.6.2). */
	if (!(hvx_caps.procbased >> 32 & CPU_BASED_NMI_WINDOW_EXITING)) {
		pr_err("cannot load: no NMI-window exiting\n");
		return -ENODEV;
	}
	/* Whoever may clear them, we do not want these. */
	ctl.proc &= ~(CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING |
		      CPU_BASED_INVLPG_EXITING | CPU_BASED_RDTSC_EXITING |
		      CPU_BASED_NMI_WINDOW_EXITING);
	ctl.proc |= (u32)hvx_caps.procbased;
	ctl.entry &= ~VM_ENTRY_IA32E_MODE;
	/* The shadow replaces CR8 exiting, which must then be clearable. */
	tpr_shadow = tpr_shadow &&
		     (hvx_caps.procbased >> 32 & CPU_BASED_TPR_SHADOW) &&
		     !((u32)hvx_caps.procbased & (CPU_BASED_CR8_LOAD_EXITING |
						   CPU_BASED_CR8_STORE_EXITING));
	apic_access = apic_access && tpr_shadow &&
		      (hvx_caps.procbased2 >> 32 & SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES);

	/* Intercept every MSR but those the VMCS switches by itself. */
	msr_bitmap = (unsigned long *)get_zeroed_page(GFP_KERNEL);
	if (!msr_bitmap)
		return -ENOMEM;
	memset(msr_bitmap, 0xff, PAGE_SIZE);
	msr_bitmap_pass(MSR_FS_BASE);
	msr_bitmap_pass(MSR_GS_BASE);
	msr_bitmap_pass(MSR_IA32_SYSENTER_CS);
	msr_bitmap_pass(MSR_IA32_SYSENTER_ESP);
	msr_bitmap_pass(MSR_IA32_SYSENTER_EIP);

	/*
	 * Defence in depth: however the guest masks interrupts, it exits at
	 * least every millisecond, so the run loop always gets to check for
	 * signals and rescheduling. (Bochs, the testbed's CPU, never exits
	 * on a host interrupt while the guest has RFLAGS.IF clear.)
	 */
	if (ctl.pin & PIN_BASED_VMX_PREEMPTION_TIMER) {
		preemption_rate = vmx_misc_preemption_timer_rate(hvx_caps.misc);
		preemption_ticks = max_t(u64, 1, (u64)tsc_khz >> preemption_rate);
	}
	preemption_deadline = preemption_deadline && preemption_ticks;

	store_idt(&idt);
	host_idt_base = idt.address;
	rdmsrl(MSR_EFER, host_efer);
	rdmsrl(MSR_IA32_CR_PAT, host_pat);
	host_xcr0 = boot_cpu_has(X86_FEATURE_XSAVE) ? xgetbv(XCR_XFEATURE_ENABLED_MASK) : 0;

	for_each_possible_cpu(cpu)
		INIT_LIST_HEAD(&per_cpu(loaded_vmcss, cpu));
	err = l1d_flush_init();
	if (err)
		free_page((unsigned long)msr_bitmap);
	return err;
}

void hvx_vmx_exit(void)
{
	l1d_flush_exit();
	free_page((unsigned long)msr_bitmap);
}

/* Runs on the CPU where @arg's VMCS is loaded, interrupts off. */
static void vmcs_clear_here(void *arg)
{
	struct hvx_vcpu *v = arg;

	if (v->cpu != smp_processor_id())
		return;	/* already cleared by a CPU going offline */
	hvx_vmclear(page_to_phys(v->vmcs));
	if (__this_cpu_read(current_vmcs) == v->vmcs)
		__this_cpu_write(current_vmcs, NULL);
	list_del(&v->loaded_link);
	v->launched = false;
	/* Publish the cleared state before another CPU may load it. */
	smp_wmb();
	WRITE_ONCE(v->cpu, -1);
}

void hvx_vmx_clear_cpu(void)
{
	struct hvx_vcpu *v, *tmp;

	list_for_each_entry_safe(v, tmp, this_cpu_ptr(&loaded_vmcss),
				 loaded_link)
		vmcs_clear_here(v);
}

static void vmcs_clear(struct hvx_vcpu *v)
{
	int cpu = READ_ONCE(v->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vmcs_clear_here, v, 1);
}

static unsigned long tss_base(const struct desc_ptr *gdt)
{
	const struct ldttss_desc *tss = (void *)(gdt->address +
						 GDT_ENTRY_TSS * 8);

	return tss->base0 | ((unsigned long)tss->base1 << 16) |
	       ((unsigned long)tss->base2 << 24) |
	       ((unsigned long)tss->base3 << 32);
}

/* Host state that differs from CPU to CPU. */
static void write_host_percpu_state(struct hvx_vcpu *v)
{
	struct desc_ptr gdt;
	unsigned long gs_base, sysenter_esp, sysenter_eip;
	u64 sysenter_cs;

	native_store_gdt(&gdt);
	vmcs_writel(HOST_GDTR_BASE, gdt.address);
	vmcs_writel(HOST_TR_BASE, tss_base(&gdt));
	rdmsrl(MSR_GS_BASE, gs_base);
	vmcs_writel(HOST_GS_BASE, gs_base);
	rdmsrl(MSR_IA32_SYSENTER_ESP, sysenter_esp);
	vmcs_writel(HOST_IA32_SYSENTER_ESP, sysenter_esp);
	rdmsrl(MSR_IA32_SYSENTER_EIP, sysenter_eip);
	vmcs_writel(HOST_IA32_SYSENTER_EIP, sysenter_eip);
	/* The kernel's own value: __KERNEL_CS or, without IA32 emulation, 0. */
	rdmsrl(MSR_IA32_SYSENTER_CS, sysenter_cs);
	vmcs_write32(HOST_IA32_SYSENTER_CS, sysenter_cs);
	if (has_tsc_aux())
		rdmsrl(MSR_TSC_AUX, v->autoload[1].value);
}

void hvx_vmx_vcpu_load(struct hvx_vcpu *v, int cpu)
{
	bool migrated = READ_ONCE(v->cpu) != cpu;
	unsigned long flags;

	/*
	 * A CPU on its way offline (or every CPU once rebooting) has left
	 * VMX root: nothing may be loaded there. The run loop reloads the
	 * VMCS with interrupts off wherever it is about to enter.
	 */
	if (!hvx_root_held_here())
		return;
	if (migrated) {
		vmcs_clear(v);
		/* Pairs with vmcs_clear_here(): see the cleared VMCS state. */
		smp_rmb();
		local_irq_save(flags);
		list_add(&v->loaded_link, this_cpu_ptr(&loaded_vmcss));
		v->cpu = cpu;
		local_irq_restore(flags);
	}
	if (__this_cpu_read(current_vmcs) != v->vmcs) {
		if (hvx_vmptrld(page_to_phys(v->vmcs)))
			pr_warn_ratelimited("VMPTRLD failed\n");
		__this_cpu_write(current_vmcs, v->vmcs);
		/*
		 * Another vCPU ran here last, maybe of another VM: what it
		 * trained in the branch predictors must not steer this one
		 * (or the host on its behalf), as the kernel's spectre_v2
		 * setting asks (X86_FEATURE_USE_IBPB).
		 */
		indirect_branch_prediction_barrier();
	}
	if (migrated) {
		write_host_percpu_state(v);
		/*
		 * Translations tagged with this VPID on this CPU may predate
		 * guest TLB flushes done elsewhere.
		 */
		hvx_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, v->vpid, 0);
	}
}

/*
 * The SYSCALL MSRs and KERNEL_GS_BASE are not switched by the VMCS, yet a
 * guest uses them without an exit (SYSCALL, SWAPGS). They hold the
 * guest's values whenever it runs, written or not: otherwise a guest could
 * jump to the host's LSTAR (and learn where the host kernel is) or swap in
 * and change the host process's GS base. Equal values are not rewritten.
 */
static void swap_msrs(struct hvx_vcpu *v, bool to_guest)
{
	static const u32 index[HVX_NR_SWAPPED_MSRS] = {
		[HVX_MSR_STAR] = MSR_STAR,
		[HVX_MSR_LSTAR] = MSR_LSTAR,
		[HVX_MSR_CSTAR] = MSR_CSTAR,
		[HVX_MSR_SFMASK] = MSR_SYSCALL_MASK,
		[HVX_MSR_KERNEL_GS_BASE] = MSR_KERNEL_GS_BASE,
	};
	int i;

	for (i = 0; i < HVX_NR_SWAPPED_MSRS; i++) {
		if (to_guest) {
			rdmsrl(index[i], v->host_msrs[i]);
			if (v->msrs[i] != v->host_msrs[i])
				wrmsrl(index[i], v->msrs[i]);
		} else {
			/* SWAPGS changes this one without an exit. */
			if (i == HVX_MSR_KERNEL_GS_BASE)
				rdmsrl(index[i], v->msrs[i]);
			if (v->msrs[i] != v->host_msrs[i])
				wrmsrl(index[i], v->host_msrs[i]);
		}
	}
	v->guest_msrs_loaded = to_guest;
}

/*
 * A VM exit loads null DS/ES/FS/GS selectors, a null LDT, and GDTR and TR
 * limits of 0xffff and 0x67 (SDM Vol. 3C 28.5). The kernel runs fine like
 * that, but user space and other tasks must get their state back before
 * this thread leaves the kernel or the CPU.
 */
static u16 store_ldt_selector(void)
{
	u16 sel;

	asm volatile("sldt %0" : "=g" (sel));
	return sel;
}

static void load_ldt_selector(u16 sel)
{
	asm volatile("lldt %0" : : "rm" (sel));
}

static void save_host_state(struct hvx_vcpu *v)
{
	savesegment(ds, v->host_ds);
	savesegment(es, v->host_es);
	savesegment(fs, v->host_fs);
	savesegment(gs, v->host_gs);
	v->host_ldt = store_ldt_selector();
	rdmsrl(MSR_FS_BASE, v->host_fs_base);
	vmcs_writel(HOST_FS_BASE, v->host_fs_base);
	v->host_debugctl = get_debugctlmsr();
	swap_msrs(v, true);
	v->host_state_saved = true;
}

void hvx_vmx_vcpu_put(struct hvx_vcpu *v)
{
	if (!v->host_state_saved)
		return;
	if (v->guest_msrs_loaded)
		swap_msrs(v, false);
	if (v->host_ldt)
		load_ldt_selector(v->host_ldt);
	loadsegment(ds, v->host_ds);
	loadsegment(es, v->host_es);
	if (v->host_fs) {
		loadsegment(fs, v->host_fs);
		wrmsrl(MSR_FS_BASE, v->host_fs_base);
	}
	if (v->host_gs) {
		/* The selector load clobbers the user GS base we restored. */
		load_gs_index(v->host_gs);
		wrmsrl(MSR_KERNEL_GS_BASE, v->host_msrs[HVX_MSR_KERNEL_GS_BASE]);
	}
	load_fixmap_gdt(raw_smp_processor_id());
	invalidate_tss_limit();
	v->host_state_saved = false;
}

/*
 * What a guest's XCR0 may enable: what the host enabled and the guest's
 * FPU buffer has room for (no AMX tiles without the permission and the
 * larger buffer that go with them).
 */
u64 hvx_vmx_xcr0_supported(struct hvx_vcpu *v)
{
	return host_xcr0 & v->fpu.fpstate->user_xfeatures;
}

static void set_proc_ctl(struct hvx_vcpu *v, u32 bits, bool on)
{
	u32 ctl = on ? v->proc_ctl | bits : v->proc_ctl & ~bits;

	if (ctl != v->proc_ctl) {
		v->proc_ctl = ctl;
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, ctl);
	}
}

/* GD stays out of the hardware: handle_dr() emulates it. */
void hvx_vmx_set_dr7(struct hvx_vcpu *v, unsigned long dr7)
{
	v->dr7 = dr7;
	vmcs_writel(GUEST_DR7, dr7 & ~HVX_DR7_GD);
}

void hvx_vmx_clear_irq_window(struct hvx_vcpu *v)
{
	set_proc_ctl(v, CPU_BASED_INTR_WINDOW_EXITING, false);
}

/* Exceptions that push an error code (SDM Vol. 3A 6.13). */
static bool exception_has_error_code(u8 vector)
{
	return vector == X86_TRAP_DF || vector == X86_TRAP_TS ||
	       vector == X86_TRAP_NP || vector == X86_TRAP_SS ||
	       vector == X86_TRAP_GP || vector == X86_TRAP_PF ||
	       vector == X86_TRAP_AC;
}

int hvx_vmx_queue_event(struct hvx_vcpu *v, const struct hvx_event *ev)
{
	if (ev->pad || ev->flags || ev->reserved || ev->has_error > 1)
		return -EINVAL;
	switch (ev->type) {
	case HVX_EVENT_EXCEPTION:
		if (ev->vector >= 32 || ev->vector == X86_TRAP_NMI ||
		    ev->has_error != exception_has_error_code(ev->vector))
			return -EINVAL;
		if (vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID_MASK)
			return -EBUSY;
		hvx_vmx_inject_exception(ev->vector, ev->has_error,
					 ev->error_code);
		return 0;
	case HVX_EVENT_INTERRUPT:
		if (ev->vector < 32 || ev->has_error)
			return -EINVAL;
		if (v->irq_pending)
			return -EBUSY;
		v->irq_vector = ev->vector;
		v->irq_pending = true;
		return 0;
	case HVX_EVENT_NMI:
		if (ev->has_error || ev->vector)
			return -EINVAL;
		if (v->nmi_pending)
			return -EBUSY;
		v->nmi_pending = true;
		return 0;
	}
	return -EINVAL;
}

/* An interrupt or NMI interrupted by the last exit, not yet delivered. */
static bool idt_event_is(const struct hvx_vcpu *v, u32 type)
{
	return (v->idt_info & HVX_EV_VALID) && HVX_EV_TYPE(v->idt_info) == type;
}

static bool irq_waiting(struct hvx_vcpu *v)
{
	return v->irq_pending || idt_event_is(v, HVX_EV_EXT_INTR) ||
	       hvx_pic_extint_pending(v) ||
	       (v->apic && hvx_lapic_pending_vector(v->apic) >= 0);
}

static bool nmi_waiting(struct hvx_vcpu *v)
{
	return v->nmi_pending || idt_event_is(v, HVX_EV_NMI);
}

static void inject_irq(u8 vector)
{
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, vector | INTR_TYPE_EXT_INTR |
		     INTR_INFO_VALID_MASK);
}

static void inject_event(u32 info, u32 error, u32 insn_len)
{
	u32 type = HVX_EV_TYPE(info);

	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
	if (info & INTR_INFO_DELIVER_CODE_MASK)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	if (type == HVX_EV_SOFT_INTR || type == HVX_EV_SOFT_EXCEPTION ||
	    type == HVX_EV_PRIV_SOFT_EXC)
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, insn_len);
}

/*
 * An exit in the middle of delivering an event (an EPT violation on the
 * IDT or the stack, say) must not lose it: it goes in first at the next
 * entry (SDM Vol. 3C 28.2.4, 29.2.1.3). If a handler raised an exception
 * meanwhile (a reflected #DB or #AC, a #GP of emulation), the two combine
 * as on the CPU; an interrupt or NMI then waits for the next window.
 * Returns false when the combination is a triple fault.
 */
static bool reinject_interrupted_event(struct hvx_vcpu *v)
{
	u32 new = vmcs_read32(VM_ENTRY_INTR_INFO_FIELD);
	u32 old = v->idt_info;

	if (!(old & HVX_EV_VALID))
		return true;
	if (!(new & INTR_INFO_VALID_MASK)) {
		/* An interrupt must wait for RFLAGS.IF (SDM 26.3.1.5). */
		if (HVX_EV_TYPE(old) == HVX_EV_EXT_INTR &&
		    (!(vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_IF) ||
		     (vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) &
		      (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))))
			return true;
		inject_event(old, v->idt_error, v->idt_insn_len);
		v->idt_info = 0;
		return true;
	}
	switch (hvx_merge_events(old, new)) {
	case HVX_MERGE_NEW_THEN_OLD:
		return true;	/* kept in idt_info for a later entry */
	case HVX_MERGE_NEW:
		break;
	case HVX_MERGE_DOUBLE_FAULT:
		hvx_vmx_inject_exception(X86_TRAP_DF, true, 0);
		break;
	case HVX_MERGE_TRIPLE_FAULT:
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
		v->idt_info = 0;
		return false;
	}
	v->idt_info = 0;
	return true;
}

/*
 * The APIC page is virtualized for a vCPU whose xAPIC sits at the
 * default base, where the EPT maps the VM's APIC-access page: not in
 * x2APIC mode (no MMIO APIC then), nor after it moved its APIC, nor once
 * RAM covers that page. The first vCPU that leaves that xAPIC takes the
 * page out of the EPT for all (hvx_vm_apic_base_changed()): it must find
 * no APIC page at 0xfee00000, and the EPT is the VM's.
 */
static void update_apic_access(struct hvx_vcpu *v)
{
	bool on = v->vm->apic_access_page && !READ_ONCE(v->vm->apic_access_off) &&
		  hvx_vcpu_xapic_at_default(v);
	u32 ctl2 = on ? v->proc2_ctl | SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES :
			v->proc2_ctl & ~SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES;

	if (ctl2 != v->proc2_ctl) {
		v->proc2_ctl = ctl2;
		vmcs_write32(SECONDARY_VM_EXEC_CONTROL, ctl2);
	}
}

/*
 * With the TPR shadowed, the guest lowers its task priority without an
 * exit; the threshold makes it exit when that lets an interrupt of the
 * IRR through (a trap-like exit after the MOV to CR8), so that it is
 * delivered right then, as on the machine.
 */
static void update_tpr_threshold(struct hvx_vcpu *v)
{
	u32 threshold = hvx_lapic_tpr_threshold(v->apic);

	if (threshold != v->tpr_threshold) {
		v->tpr_threshold = threshold;
		vmcs_write32(TPR_THRESHOLD, threshold);
	}
}

/*
 * Deliver a queued NMI or interrupt if the guest can take it now;
 * otherwise ask for an exit as soon as it can: NMI-window exiting once
 * virtual-NMI blocking ends (the guest's IRET), interrupt-window exiting
 * once RFLAGS.IF and the STI/MOV SS shadows allow (SDM Vol. 3C 26.7.5-6).
 * Returns false if the guest must shut down instead.
 */
static bool inject_queued_events(struct hvx_vcpu *v)
{
	u32 shadow = GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS;
	u32 state;
	int vector;

	if (!reinject_interrupted_event(v))
		return false;
	if (!v->nmi_pending && !irq_waiting(v))
		goto window;
	if (vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID_MASK)
		goto window;	/* something else is delivered first */
	if (v->idt_info & HVX_EV_VALID)
		goto window;	/* an interrupted event waits: it goes first */
	state = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	if (v->nmi_pending && !(state & (shadow | GUEST_INTR_STATE_NMI))) {
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, X86_TRAP_NMI |
			     INTR_TYPE_NMI_INTR | INTR_INFO_VALID_MASK);
		v->nmi_pending = false;
	} else if (!(state & shadow) &&
		   (vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_IF)) {
		if (v->irq_pending) {
			inject_irq(v->irq_vector);
			v->irq_pending = false;
		} else if (hvx_pic_extint_pending(v)) {
			/* The 8259's INTA, at the moment the CPU takes it. */
			inject_irq(hvx_pic_ack(v));
		} else if (v->apic) {
			vector = hvx_lapic_pending_vector(v->apic);
			if (vector >= 0) {
				inject_irq(vector);
				hvx_lapic_accept(v->apic, vector);
			}
		}
	}
window:
	set_proc_ctl(v, CPU_BASED_NMI_WINDOW_EXITING, nmi_waiting(v));
	set_proc_ctl(v, CPU_BASED_INTR_WINDOW_EXITING, irq_waiting(v));
	if (v->proc_ctl & CPU_BASED_TPR_SHADOW) {
		update_tpr_threshold(v);
		update_apic_access(v);
	}
	return true;
}

/* Keep what the last exit interrupted, for reinject_interrupted_event(). */
static void save_interrupted_event(struct hvx_vcpu *v)
{
	u32 idt = vmcs_read32(IDT_VECTORING_INFO_FIELD);

	/*
	 * An interrupt or NMI kept back from an earlier exit stays: what
	 * this exit interrupted then was an exception, which recurs.
	 */
	if (!(idt & VECTORING_INFO_VALID_MASK) || (v->idt_info & HVX_EV_VALID))
		return;
	/* Bit 12 is undefined in this field; VM entry wants it clear. */
	v->idt_info = idt & ~INTR_INFO_UNBLOCK_NMI;
	v->idt_error = vmcs_read32(IDT_VECTORING_ERROR_CODE);
	v->idt_insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
}

/*
 * A fault in the guest's IRET from an NMI handler unblocked NMIs before
 * the exit; it will run again, so blocking must be restored (SDM Vol. 3C
 * 28.2.3 "Information About NMI Unblocking Due to IRET").
 */
static void restore_nmi_blocking(struct hvx_vcpu *v)
{
	u16 basic = v->exit_reason;
	bool unblocked = false;
	u32 info;

	if (v->idt_info & HVX_EV_VALID)
		return;
	if (basic == EXIT_REASON_EXCEPTION_NMI) {
		info = vmcs_read32(VM_EXIT_INTR_INFO);
		unblocked = (info & INTR_INFO_UNBLOCK_NMI) &&
			    (info & INTR_INFO_VECTOR_MASK) != X86_TRAP_DF;
	} else if (basic == EXIT_REASON_EPT_VIOLATION) {
		unblocked = vmcs_readl(EXIT_QUALIFICATION) & INTR_INFO_UNBLOCK_NMI;
	}
	if (unblocked)
		vmcs_set_bits32(GUEST_INTERRUPTIBILITY_INFO,
				GUEST_INTR_STATE_NMI);
}

/*
 * A machine check in guest mode or during VM entry belongs to the host:
 * run its handler as for one in user mode, where a recoverable error ends
 * the task, not the machine (as KVM does).
 */
static void host_machine_check(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = {
		.cs = 3,
		.flags = X86_EFLAGS_IF,
	};

	do_machine_check(&regs);
#endif
}

/*
 * L1TF: a guest can read host data left in the L1D through a not-present
 * guest PTE. The kernel's l1tf= and mitigations= say whether to mitigate;
 * where they do and the CPU needs it, L1D is flushed before every entry
 * (the "always" of KVM's vmentry_l1d_flush).
 */
#define L1D_FLUSH_SIZE	(64 * 1024)
static void *l1d_flush_buf;	/* without IA32_FLUSH_CMD: read to evict */
static bool l1d_flush_on;

static bool l1d_flush_wanted(void)
{
	u64 caps = 0;

	if (!boot_cpu_has_bug(X86_BUG_L1TF) ||
	    l1tf_mitigation == L1TF_MITIGATION_OFF)
		return false;
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
		rdmsrl(MSR_IA32_ARCH_CAPABILITIES, caps);
	return !(caps & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH);
}

static int l1d_flush_init(void)
{
	l1d_flush_on = l1d_flush_wanted();
	if (!l1d_flush_on || boot_cpu_has(X86_FEATURE_FLUSH_L1D))
		return 0;
	l1d_flush_buf = vzalloc(L1D_FLUSH_SIZE);
	return l1d_flush_buf ? 0 : -ENOMEM;
}

static void l1d_flush_exit(void)
{
	vfree(l1d_flush_buf);
}

static void l1d_flush(void)
{
	const u8 *p = l1d_flush_buf;
	unsigned int i;

	if (boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
		return;
	}
	/*
	 * Intel's software sequence: touch every page (TLB), serialize,
	 * then read every line, so that L1D holds only this buffer; the
	 * LFENCE keeps the entry from passing the reads.
	 */
	for (i = 0; i < L1D_FLUSH_SIZE; i += PAGE_SIZE)
		(void)READ_ONCE(p[i]);
	native_cpuid_eax(0);
	for (i = 0; i < L1D_FLUSH_SIZE; i += L1_CACHE_BYTES)
		(void)READ_ONCE(p[i]);
	asm volatile("lfence" ::: "memory");
}

int hvx_vmx_show_mitigations(char *buf)
{
	static const struct {
		const char *name;
		int feature;
	} alt[] = {
		{ "verw", X86_FEATURE_CLEAR_CPU_BUF },
		{ "ibpb", X86_FEATURE_USE_IBPB },
		{ "rsb_fill", X86_FEATURE_RSB_VMEXIT },
		{ "rsb_fill_lite", X86_FEATURE_RSB_VMEXIT_LITE },
		{ "bhb_clear", X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT },
		{ "ibpb_exit_to_user", X86_FEATURE_IBPB_EXIT_TO_USER },
	};
	int i, n = 0;

	if (l1d_flush_on)
		n += sysfs_emit_at(buf, n, "l1d_flush ");
	for (i = 0; i < ARRAY_SIZE(alt); i++)
		if (boot_cpu_has(alt[i].feature))
			n += sysfs_emit_at(buf, n, "%s ", alt[i].name);
	if (n)
		buf[n - 1] = '\n';
	else
		n = sysfs_emit(buf, "none\n");
	return n;
}

/* PKRU is in the guest's hands only while its XCR0 enables the state. */
static bool pkru_switched(const struct hvx_vcpu *v)
{
	return cpu_feature_enabled(X86_FEATURE_OSPKE) &&
	       (v->xcr0 & XFEATURE_MASK_PKRU);
}

/*
 * The guest's TSC_AUX goes in and the host's comes back through the MSR
 * load lists, only while they differ.
 */
static void update_tsc_aux(struct hvx_vcpu *v)
{
	u32 count = 0;

	if (has_tsc_aux() && v->tsc_aux != v->autoload[1].value) {
		v->autoload[0].value = v->tsc_aux;
		count = 1;
	}
	if (count != v->autoload_count) {
		vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, count);
		vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, count);
		v->autoload_count = count;
	}
}

/*
 * The guest's slice (the 1 ms guarantee), or less: up to its TSC deadline,
 * rounded up to a whole tick so that the exit does not come early. One
 * that has passed was fired by hvx_lapic_check_deadline() before entry.
 */
static u32 preemption_value(struct hvx_vcpu *v)
{
	u64 deadline = preemption_deadline && v->apic ?
		       hvx_lapic_deadline(v->apic) : 0, now;

	if (!deadline)
		return preemption_ticks;
	now = hvx_guest_tsc(v);
	if (deadline <= now)
		return 0;
	return min_t(u64, preemption_ticks,
		     (deadline - now + BIT_ULL(preemption_rate) - 1) >> preemption_rate);
}

int hvx_vmx_enter(struct hvx_vcpu *v)
{
	unsigned long cr3 = __read_cr3(), cr4 = cr4_read_shadow();
	int cpu = smp_processor_id();
	u32 host_pkru = 0;
	int fail;

	lockdep_assert_irqs_disabled();
	/*
	 * Only with interrupts off is it certain that this CPU stays in VMX
	 * root until the exit: CPU hotplug and the reboot notifier leave it
	 * on the CPU itself, from a callback or an IPI.
	 */
	if (!hvx_root_held_here())
		return -EAGAIN;
	if (READ_ONCE(v->cpu) != cpu) {
		/* A CPU left VMX root and cleared it while we were away. */
		if (READ_ONCE(v->cpu) >= 0)
			return -EAGAIN;
		hvx_vmx_vcpu_load(v, cpu);
	}
	if (!inject_queued_events(v)) {
		v->exit_reason = EXIT_REASON_TRIPLE_FAULT;
		return 0;
	}
	/*
	 * The guest's FPU registers were loaded at HVX_RUN, but a softirq's
	 * kernel_fpu_begin(), a preemption or a sleep in HLT put another
	 * task's (or nobody's) there since: the kernel says so with
	 * TIF_NEED_FPU_LOAD, and this loads the guest's back.
	 */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	if (!v->host_state_saved)
		save_host_state(v);
	/* The host's CR3 (PCID) and CR4 (TSD, PCE) change with the task. */
	if (vmcs_readl(HOST_CR3) != cr3)
		vmcs_writel(HOST_CR3, cr3);
	if (vmcs_readl(HOST_CR4) != cr4)
		vmcs_writel(HOST_CR4, cr4);
	if (v->xcr0 != host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, v->xcr0);
	if (pkru_switched(v)) {
		host_pkru = read_pkru();
		if (v->pkru != host_pkru)
			write_pkru(v->pkru);
	}
	/* Not in the VMCS, and the host or another vCPU may have used them. */
	if (v->dr7 & HVX_DR7_ENABLED) {
		set_debugreg(v->dr[0], 0);
		set_debugreg(v->dr[1], 1);
		set_debugreg(v->dr[2], 2);
		set_debugreg(v->dr[3], 3);
	}
	update_tsc_aux(v);
	if (preemption_ticks)
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, preemption_value(v));
	if (l1d_flush_on)
		l1d_flush();

	/* VERW for MDS/TAA/MMIO stale data is the last thing it does. */
	fail = __hvx_vmx_run(v->regs, v->launched);

	if (pkru_switched(v)) {
		v->pkru = rdpkru();
		if (v->pkru != host_pkru)
			write_pkru(host_pkru);
	}
	if (v->xcr0 != host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, host_xcr0);
	/*
	 * A VM exit clears DR7 and IA32_DEBUGCTL (SDM Vol. 3C 28.3); DR0-3
	 * may hold the guest's, which matter only to the host's own armed
	 * breakpoints.
	 */
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	if (v->host_debugctl)
		update_debugctlmsr(v->host_debugctl);
	/* VMSCAPE: user space (our caller) must not inherit guest branches. */
	if (cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER))
		this_cpu_write(x86_ibpb_exit_to_user, true);
	if (fail)
		return -EIO;

	v->exit_reason = vmcs_read32(VM_EXIT_REASON);
	if (v->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		if ((u16)v->exit_reason == EXIT_REASON_MCE_DURING_VMENTRY)
			host_machine_check();
		return 0;
	}
	v->launched = true;
	save_interrupted_event(v);
	restore_nmi_blocking(v);
	/*
	 * The CPU acknowledged the interrupt that caused this exit (see
	 * VM_EXIT_ACK_INTR_ON_EXIT): run the host's handler for its vector.
	 */
	if ((u16)v->exit_reason == EXIT_REASON_EXTERNAL_INTERRUPT) {
		u32 info = vmcs_read32(VM_EXIT_INTR_INFO);
		gate_desc *idt = (gate_desc *)host_idt_base;

		if (info & INTR_INFO_VALID_MASK)
			hvx_vmx_do_interrupt(gate_offset(&idt[info &
						INTR_INFO_VECTOR_MASK]));
		return 0;
	}
	if ((u16)v->exit_reason == EXIT_REASON_EXCEPTION_NMI) {
		u32 info = vmcs_read32(VM_EXIT_INTR_INFO);

		/* An NMI that hit the guest belongs to the host: now. */
		if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
			asm volatile("int $2");
		else if (hvx_is_machine_check(info))
			host_machine_check();
	}
	return 0;
}

/* Segment registers, in the order of their VMCS field encodings. */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR };

static void seg_write(int seg, const struct hvx_segment *s)
{
	u32 ar = s->type | s->s << 4 | s->dpl << 5 | s->present << 7 |
		 s->avl << 12 | s->l << 13 | s->db << 14 | s->g << 15 |
		 (u32)s->unusable << 16;

	vmcs_write16(GUEST_ES_SELECTOR + seg * 2, s->selector);
	vmcs_writel(GUEST_ES_BASE + seg * 2, s->base);
	vmcs_write32(GUEST_ES_LIMIT + seg * 2, s->limit);
	vmcs_write32(GUEST_ES_AR_BYTES + seg * 2, ar);
}

static void seg_read(int seg, struct hvx_segment *s)
{
	u32 ar = vmcs_read32(GUEST_ES_AR_BYTES + seg * 2);

	memset(s, 0, sizeof(*s));
	s->selector = vmcs_read16(GUEST_ES_SELECTOR + seg * 2);
	s->base = vmcs_readl(GUEST_ES_BASE + seg * 2);
	s->limit = vmcs_read32(GUEST_ES_LIMIT + seg * 2);
	s->type = ar & 15;
	s->s = (ar >> 4) & 1;
	s->dpl = (ar >> 5) & 3;
	s->present = (ar >> 7) & 1;
	s->avl = (ar >> 12) & 1;
	s->l = (ar >> 13) & 1;
	s->db = (ar >> 14) & 1;
	s->g = (ar >> 15) & 1;
	s->unusable = (ar >> 16) & 1;
}

unsigned long hvx_vmx_get_cr0(void)
{
	return (vmcs_readl(GUEST_CR0) & GUEST_OWNED_CR0) |
	       (vmcs_readl(CR0_READ_SHADOW) & ~GUEST_OWNED_CR0);
}

unsigned long hvx_vmx_get_cr4(void)
{
	return vmcs_readl(CR4_READ_SHADOW);
}

u64 hvx_vmx_get_efer(void)
{
	return vmcs_read64(GUEST_IA32_EFER);
}

static void set_long_mode(u64 efer)
{
	vmcs_write64(GUEST_IA32_EFER, efer);
	if (efer & EFER_LMA)
		vmcs_set_bits32(VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE);
	else
		vmcs_clear_bits32(VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE);
}

/*
 * With EPT, PAE paging outside long mode takes its four PDPTEs from the
 * VMCS, loaded at VM entry (SDM Vol. 3C 26.3.2.4); a CR write that enters
 * or changes PAE paging must load them, as a MOV to CR3 would.
 */
static void load_pdptrs(struct hvx_vcpu *v)
{
	unsigned long cr0 = hvx_vmx_get_cr0(), cr4 = hvx_vmx_get_cr4();
	u64 pdpte[4] = { 0 };
	int i;

	if (!(cr0 & X86_CR0_PG) || !(cr4 & X86_CR4_PAE) ||
	    (hvx_vmx_get_efer() & EFER_LMA))
		return;
	hvx_vm_read_gpa(v->vm, vmcs_readl(GUEST_CR3) & ~0x1fUL, pdpte,
			sizeof(pdpte));
	for (i = 0; i < 4; i++)
		vmcs_write64(GUEST_PDPTR0 + i * 2, pdpte[i]);
}

/* What a MOV to CR0 or CR4 would #GP on, whatever the state before. */
static bool cr0_valid(unsigned long cr0)
{
	return !(cr0 >> 32) &&
	       !((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE)) &&
	       !((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD));
}

static bool cr4_valid(unsigned long cr4, u64 efer)
{
	if (cr4 & ~GUEST_CR4_BITS)
		return false;
	if ((cr4 & ~(unsigned long)hvx_caps.cr4_fixed1) & ~X86_CR4_VMXE)
		return false;
	if ((efer & EFER_LMA) && !(cr4 & X86_CR4_PAE))
		return false;
	return !((cr4 & X86_CR4_PCIDE) && !(efer & EFER_LMA));
}

int hvx_vmx_set_cr0(struct hvx_vcpu *v, unsigned long cr0)
{
	unsigned long old = hvx_vmx_get_cr0();
	u64 efer = hvx_vmx_get_efer();

	cr0 |= X86_CR0_ET;
	if (!cr0_valid(cr0))
		return -EINVAL;
	/* Paging stays on in 64-bit mode; leaving long mode is from compat. */
	if (!(cr0 & X86_CR0_PG) && (efer & EFER_LMA) &&
	    (vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK))
		return -EINVAL;
	if ((cr0 & X86_CR0_PG) && !(old & X86_CR0_PG) && (efer & EFER_LME)) {
		if (!(hvx_vmx_get_cr4() & X86_CR4_PAE))
			return -EINVAL;
		set_long_mode(efer | EFER_LMA);
	} else if (!(cr0 & X86_CR0_PG) && (efer & EFER_LMA)) {
		set_long_mode(efer & ~EFER_LMA);
	}
	vmcs_writel(CR0_READ_SHADOW, cr0);
	/*
	 * The hardware value keeps NE (VMX requires it) and drops CD/NW: the
	 * guest's caching choice must not slow the host's memory, and EPT
	 * sets the memory type.
	 */
	vmcs_writel(GUEST_CR0, (cr0 | X86_CR0_NE) & ~(X86_CR0_CD | X86_CR0_NW));
	load_pdptrs(v);
	/* The guest's MOV to CR0 would have flushed its TLB; ours did not. */
	if ((cr0 ^ old) & (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE))
		hvx_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, v->vpid, 0);
	return 0;
}

int hvx_vmx_set_cr4(struct hvx_vcpu *v, unsigned long cr4)
{
	const unsigned long flush = X86_CR4_PGE | X86_CR4_PAE | X86_CR4_PSE |
				    X86_CR4_PCIDE | X86_CR4_SMEP |
				    X86_CR4_SMAP;
	unsigned long old = vmcs_readl(CR4_READ_SHADOW);

	if (!cr4_valid(cr4, hvx_vmx_get_efer()))
		return -EINVAL;
	vmcs_writel(CR4_READ_SHADOW, cr4);
	vmcs_writel(GUEST_CR4, cr4 | X86_CR4_VMXE);
	load_pdptrs(v);
	if ((cr4 ^ old) & flush)
		hvx_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, v->vpid, 0);
	return 0;
}

int hvx_vmx_set_efer(struct hvx_vcpu *v, u64 efer)
{
	if (efer & ~GUEST_EFER_BITS)
		return -EINVAL;
	set_long_mode(efer);
	return 0;
}

int hvx_vmx_cpu_mode(void)
{
	u32 cs_ar = vmcs_read32(GUEST_CS_AR_BYTES);

	if (!(hvx_vmx_get_cr0() & X86_CR0_PE))
		return HVX_CPU_MODE_16;
	if ((hvx_vmx_get_efer() & EFER_LMA) && (cs_ar & VMX_AR_L_MASK))
		return HVX_CPU_MODE_64;
	return (cs_ar & VMX_AR_DB_MASK) ? HVX_CPU_MODE_32 : HVX_CPU_MODE_16;
}

void hvx_vmx_get_regs(struct hvx_vcpu *v, struct hvx_regs *r)
{
	r->rax = v->regs[HVX_RAX];
	r->rbx = v->regs[HVX_RBX];
	r->rcx = v->regs[HVX_RCX];
	r->rdx = v->regs[HVX_RDX];
	r->rsi = v->regs[HVX_RSI];
	r->rdi = v->regs[HVX_RDI];
	r->rbp = v->regs[HVX_RBP];
	r->r8 = v->regs[HVX_R8];
	r->r9 = v->regs[HVX_R9];
	r->r10 = v->regs[HVX_R10];
	r->r11 = v->regs[HVX_R11];
	r->r12 = v->regs[HVX_R12];
	r->r13 = v->regs[HVX_R13];
	r->r14 = v->regs[HVX_R14];
	r->r15 = v->regs[HVX_R15];
	r->rsp = vmcs_readl(GUEST_RSP);
	r->rip = vmcs_readl(GUEST_RIP);
	r->rflags = vmcs_readl(GUEST_RFLAGS);
}

void hvx_vmx_set_regs(struct hvx_vcpu *v, const struct hvx_regs *r)
{
	v->regs[HVX_RAX] = r->rax;
	v->regs[HVX_RBX] = r->rbx;
	v->regs[HVX_RCX] = r->rcx;
	v->regs[HVX_RDX] = r->rdx;
	v->regs[HVX_RSI] = r->rsi;
	v->regs[HVX_RDI] = r->rdi;
	v->regs[HVX_RBP] = r->rbp;
	v->regs[HVX_R8] = r->r8;
	v->regs[HVX_R9] = r->r9;
	v->regs[HVX_R10] = r->r10;
	v->regs[HVX_R11] = r->r11;
	v->regs[HVX_R12] = r->r12;
	v->regs[HVX_R13] = r->r13;
	v->regs[HVX_R14] = r->r14;
	v->regs[HVX_R15] = r->r15;
	vmcs_writel(GUEST_RSP, r->rsp);
	vmcs_writel(GUEST_RIP, r->rip);
	/* Bit 1 is fixed to 1; reserved bits stay 0 or entry would fail. */
	vmcs_writel(GUEST_RFLAGS, (r->rflags & 0x3f7fd7) | X86_EFLAGS_FIXED);
}

void hvx_vmx_get_sregs(struct hvx_vcpu *v, struct hvx_sregs *s)
{
	memset(s, 0, sizeof(*s));
	seg_read(SEG_CS, &s->cs);
	seg_read(SEG_DS, &s->ds);
	seg_read(SEG_ES, &s->es);
	seg_read(SEG_FS, &s->fs);
	seg_read(SEG_GS, &s->gs);
	seg_read(SEG_SS, &s->ss);
	seg_read(SEG_TR, &s->tr);
	seg_read(SEG_LDTR, &s->ldt);
	s->gdt.base = vmcs_readl(GUEST_GDTR_BASE);
	s->gdt.limit = vmcs_read32(GUEST_GDTR_LIMIT);
	s->idt.base = vmcs_readl(GUEST_IDTR_BASE);
	s->idt.limit = vmcs_read32(GUEST_IDTR_LIMIT);
	s->cr0 = hvx_vmx_get_cr0();
	s->cr2 = v->regs[HVX_CR2];
	s->cr3 = vmcs_readl(GUEST_CR3);
	s->cr4 = hvx_vmx_get_cr4();
	s->cr8 = hvx_vcpu_get_cr8(v);
	s->efer = hvx_vmx_get_efer();
	s->apic_base = v->apic_base;
}

static bool seg_valid(const struct hvx_segment *s)
{
	return s->type < 16 && s->present <= 1 && s->dpl < 4 && s->db <= 1 &&
	       s->s <= 1 && s->l <= 1 && s->g <= 1 && s->avl <= 1 &&
	       s->unusable <= 1 && !s->pad;
}

int hvx_vmx_set_sregs(struct hvx_vcpu *v, const struct hvx_sregs *s)
{
	const struct hvx_segment *segs[] = {
		[SEG_ES] = &s->es, [SEG_CS] = &s->cs, [SEG_SS] = &s->ss,
		[SEG_DS] = &s->ds, [SEG_FS] = &s->fs, [SEG_GS] = &s->gs,
		[SEG_LDTR] = &s->ldt, [SEG_TR] = &s->tr,
	};
	int i, err;

	for (i = 0; i < ARRAY_SIZE(s->reserved); i++)
		if (s->reserved[i])
			return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(segs); i++)
		if (!seg_valid(segs[i]))
			return -EINVAL;
	if (s->gdt.pad[0] || s->gdt.pad[1] || s->gdt.pad[2] ||
	    s->idt.pad[0] || s->idt.pad[1] || s->idt.pad[2])
		return -EINVAL;
	if (s->efer & ~GUEST_EFER_BITS || s->cr8 > 15)
		return -EINVAL;
	/* Long mode must be consistent with paging, as the CPU requires. */
	if (!!(s->efer & EFER_LMA) !=
	    (!!(s->efer & EFER_LME) && !!(s->cr0 & X86_CR0_PG)))
		return -EINVAL;
	/*
	 * Everything is checked before anything is written: a refused call
	 * must leave the vCPU as it was, not with the new EFER.LMA under the
	 * old CR0 (a state the CPU's entry checks must then catch, and that
	 * Bochs, the testbed's CPU, does not: it panics).
	 */
	if (!cr4_valid(s->cr4, s->efer) || !cr0_valid(s->cr0 | X86_CR0_ET))
		return -EINVAL;

	set_long_mode(s->efer);
	err = hvx_vmx_set_cr4(v, s->cr4);
	if (err)
		return err;
	vmcs_writel(GUEST_CR3, s->cr3);
	err = hvx_vmx_set_cr0(v, s->cr0);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(segs); i++)
		seg_write(i, segs[i]);
	vmcs_writel(GUEST_GDTR_BASE, s->gdt.base);
	vmcs_write32(GUEST_GDTR_LIMIT, s->gdt.limit);
	vmcs_writel(GUEST_IDTR_BASE, s->idt.base);
	vmcs_write32(GUEST_IDTR_LIMIT, s->idt.limit);
	v->regs[HVX_CR2] = s->cr2;
	v->apic_base = s->apic_base;
	hvx_vm_apic_base_changed(v);
	hvx_vcpu_set_cr8(v, s->cr8);
	return 0;
}

void hvx_vmx_skip_instruction(struct hvx_vcpu *v)
{
	vmcs_writel(GUEST_RIP, vmcs_readl(GUEST_RIP) +
		    vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	/* The instruction completed: STI and MOV SS blocking end with it. */
	vmcs_clear_bits32(GUEST_INTERRUPTIBILITY_INFO,
			  GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
}

void hvx_vmx_inject_exception(u8 vector, bool has_error, u32 error)
{
	u32 info = vector | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID_MASK;

	/* No error codes in real mode (SDM Vol. 3C 26.2.1.3). */
	if (has_error && (hvx_vmx_get_cr0() & X86_CR0_PE)) {
		info |= INTR_INFO_DELIVER_CODE_MASK;
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
}

/* The architectural state after RESET (SDM Vol. 3A 9.1.1, table 9-1). */
static void write_guest_reset_state(struct hvx_vcpu *v)
{
	struct hvx_segment code = {
		.selector = 0xf000, .base = 0xffff0000, .limit = 0xffff,
		.type = 11, .s = 1, .present = 1,
	};
	struct hvx_segment data = {
		.limit = 0xffff, .type = 3, .s = 1, .present = 1,
	};
	struct hvx_segment ldt = { .limit = 0xffff, .type = 2, .present = 1 };
	struct hvx_segment tr = { .limit = 0xffff, .type = 11, .present = 1 };

	seg_write(SEG_CS, &code);
	seg_write(SEG_DS, &data);
	seg_write(SEG_ES, &data);
	seg_write(SEG_FS, &data);
	seg_write(SEG_GS, &data);
	seg_write(SEG_SS, &data);
	seg_write(SEG_LDTR, &ldt);
	seg_write(SEG_TR, &tr);
	vmcs_writel(GUEST_GDTR_BASE, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_writel(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0xffff);

	set_long_mode(0);
	vmcs_writel(GUEST_CR3, 0);
	hvx_vmx_set_cr4(v, 0);
	hvx_vmx_set_cr0(v, X86_CR0_ET | X86_CR0_CD | X86_CR0_NW);
	vmcs_writel(GUEST_RIP, 0xfff0);
	vmcs_writel(GUEST_RSP, 0);
	vmcs_writel(GUEST_RFLAGS, X86_EFLAGS_FIXED);
	vmcs_writel(GUEST_DR7, HVX_DR7_FIXED_1);
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write64(GUEST_IA32_PAT, 0x0007040600070406ull);
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writel(GUEST_SYSENTER_ESP, 0);
	vmcs_writel(GUEST_SYSENTER_EIP, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write64(VMCS_LINK_POINTER, -1ull);
	v->regs[HVX_RDX] = 0x600;	/* family 6, as CPUID says */
	v->dr6 = HVX_DR6_FIXED_1;
	v->dr7 = HVX_DR7_FIXED_1;
	v->xcr0 = XFEATURE_MASK_FP;
	v->apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
		       (v->id == 0 ? MSR_IA32_APICBASE_BSP : 0);
	/* Fast strings on, as at RESET; no BTS or PEBS for guests. */
	v->misc_enable = MSR_IA32_MISC_ENABLE_FAST_STRING |
			 HVX_MISC_ENABLE_READ_ONLY;
}

/* INIT: the RESET state, but the guest's MSRs and FPU survive it. */
void hvx_vmx_reset(struct hvx_vcpu *v)
{
	u64 apic_base = v->apic_base, misc_enable = v->misc_enable;

	memset(v->regs, 0, sizeof(v->regs));
	v->pending = HVX_PENDING_NONE;
	v->irq_pending = false;
	v->nmi_pending = false;
	v->idt_info = 0;
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	set_proc_ctl(v, CPU_BASED_INTR_WINDOW_EXITING, false);
	write_guest_reset_state(v);
	v->apic_base = apic_base;	/* INIT keeps it (SDM 10.4.7.3) */
	v->misc_enable = misc_enable;	/* and the other MSRs (table 9-1) */
}

/* A startup IPI: real mode at VV00:0000 (SDM Vol. 3A 8.4.4.1). */
void hvx_vmx_start_at_sipi(struct hvx_vcpu *v, u8 vector)
{
	vmcs_write16(GUEST_CS_SELECTOR, vector << 8);
	vmcs_writel(GUEST_CS_BASE, vector << 12);
	vmcs_writel(GUEST_RIP, 0);
}

static void write_vmcs(struct hvx_vcpu *v)
{
	u32 proc = ctl.proc;

	/* A vCPU without an in-kernel APIC keeps CR8 in v->cr8: it exits. */
	if (v->apic && tpr_shadow) {
		proc |= CPU_BASED_TPR_SHADOW;
		proc &= ~(CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING);
		vmcs_write64(VIRTUAL_APIC_PAGE_ADDR, __pa(v->apic->page));
		if (v->vm->apic_access_page)
			vmcs_write64(APIC_ACCESS_ADDR,
				     page_to_phys(v->vm->apic_access_page));
	}
	vmcs_write32(TPR_THRESHOLD, 0);
	v->tpr_threshold = 0;
	vmcs_write16(VIRTUAL_PROCESSOR_ID, v->vpid);
	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, ctl.pin);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, proc);
	v->proc_ctl = proc;
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, ctl.proc2);
	v->proc2_ctl = ctl.proc2;
	vmcs_write32(VM_EXIT_CONTROLS, ctl.exit);
	vmcs_write32(VM_ENTRY_CONTROLS, ctl.entry);
	/*
	 * #AC and #DB exit so that a guest cannot wedge the CPU in an
	 * endless microcode-level delivery loop (CVE-2015-5307, -8104);
	 * they are reflected back into the guest.
	 */
	/* #MC exits so that the host's handler sees its machine checks. */
	vmcs_write32(EXCEPTION_BITMAP, BIT(X86_TRAP_AC) | BIT(X86_TRAP_DB) |
		     BIT(X86_TRAP_MC));
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write64(MSR_BITMAP, __pa(msr_bitmap));
	vmcs_write64(EPT_POINTER, v->vm->ept.eptp);
	/* Not in the reset state: neither RESET nor INIT of a vCPU moves it. */
	vmcs_write64(TSC_OFFSET, v->tsc_offset);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	v->autoload[0].index = MSR_TSC_AUX;
	v->autoload[1].index = MSR_TSC_AUX;
	vmcs_write64(VM_ENTRY_MSR_LOAD_ADDR, __pa(&v->autoload[0]));
	vmcs_write64(VM_EXIT_MSR_LOAD_ADDR, __pa(&v->autoload[1]));
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_writel(CR0_GUEST_HOST_MASK, ~(unsigned long)GUEST_OWNED_CR0);
	vmcs_writel(CR4_GUEST_HOST_MASK, ~0UL);

	/* Host state that is the same on every CPU and for every task. */
	vmcs_writel(HOST_CR0, read_cr0());
	vmcs_writel(HOST_CR3, __read_cr3());
	vmcs_writel(HOST_CR4, cr4_read_shadow());
	vmcs_write16(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write16(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write16(HOST_DS_SELECTOR, 0);
	vmcs_write16(HOST_ES_SELECTOR, 0);
	vmcs_write16(HOST_FS_SELECTOR, 0);
	vmcs_write16(HOST_GS_SELECTOR, 0);
	vmcs_write16(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	vmcs_writel(HOST_IDTR_BASE, host_idt_base);
	vmcs_writel(HOST_RIP, (unsigned long)hvx_vmx_vmexit);
	vmcs_write64(HOST_IA32_EFER, host_efer);
	vmcs_write64(HOST_IA32_PAT, host_pat);
	write_host_percpu_state(v);

	write_guest_reset_state(v);
}

int hvx_vmx_vcpu_create(struct hvx_vcpu *v)
{
	int cpu;

	v->vmcs = alloc_pages_node(numa_node_id(),
				   GFP_KERNEL_ACCOUNT | __GFP_ZERO, 0);
	if (!v->vmcs)
		return -ENOMEM;
	*(u32 *)page_address(v->vmcs) = hvx_caps.vmcs_revision;
	v->cpu = -1;
	INIT_LIST_HEAD(&v->loaded_link);

	cpu = get_cpu();
	if (hvx_vmclear(page_to_phys(v->vmcs))) {
		put_cpu();
		__free_page(v->vmcs);
		return -EIO;
	}
	hvx_vmx_vcpu_load(v, cpu);
	write_vmcs(v);
	put_cpu();
	return 0;
}

void hvx_vmx_vcpu_free(struct hvx_vcpu *v)
{
	cpus_read_lock();
	vmcs_clear(v);
	cpus_read_unlock();
	__free_page(v->vmcs);
}
