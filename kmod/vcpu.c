// SPDX-License-Identifier: GPL-2.0
/*
 * vCPUs: creation and teardown, the run loop, and the register ioctls.
 *
 * Every vCPU ioctl runs with the vCPU's VMCS loaded on the current CPU and
 * a preempt notifier registered: if the thread is preempted, the host state
 * is restored before the next task runs, and the VMCS follows the thread to
 * whatever CPU it resumes on.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/sched/clock.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xstate.h>
#include <asm/vmx.h>

#include "arch_rules.h"
#include "exits.h"
#include "hvx.h"
#include "lapic.h"
#include "pic.h"
#include "vcpu.h"
#include "vm.h"
#include "vmx.h"

/* VPID 0 tags the host's own translations (SDM Vol. 3C 29.1). */
static DEFINE_IDA(hvx_vpids);

static struct hvx_vcpu *preempt_to_vcpu(struct preempt_notifier *pn)
{
	return container_of(pn, struct hvx_vcpu, preempt);
}

static void hvx_sched_in(struct preempt_notifier *pn, int cpu)
{
	hvx_vmx_vcpu_load(preempt_to_vcpu(pn), cpu);
}

static void hvx_sched_out(struct preempt_notifier *pn,
			  struct task_struct *next)
{
	hvx_vmx_vcpu_put(preempt_to_vcpu(pn));
}

static struct preempt_ops hvx_preempt_ops = {
	.sched_in = hvx_sched_in,
	.sched_out = hvx_sched_out,
};

int hvx_vcpu_init(void)
{
	preempt_notifier_inc();
	return 0;
}

void hvx_vcpu_exit(void)
{
	preempt_notifier_dec();
}

/* Begin and end a vCPU ioctl: the VMCS is ours until vcpu_put(). */
static void vcpu_load(struct hvx_vcpu *v)
{
	int cpu = get_cpu();

	preempt_notifier_register(&v->preempt);
	hvx_vmx_vcpu_load(v, cpu);
	put_cpu();
}

static void vcpu_put(struct hvx_vcpu *v)
{
	preempt_disable();
	hvx_vmx_vcpu_put(v);
	preempt_notifier_unregister(&v->preempt);
	preempt_enable();
}

void hvx_vcpu_free(struct hvx_vcpu *v)
{
	hvx_lapic_free(v);
	hvx_vmx_vcpu_free(v);
	fpu_free_guest_fpstate(&v->fpu);
	ida_free(&hvx_vpids, v->vpid);
	free_page((unsigned long)v->run);
	kvfree(v->cpuid);
	kfree(v);
}

int hvx_vcpu_fd_create(struct hvx_vm *vm, u32 id)
{
	struct hvx_vcpu *v;
	int vpid, fd, err;

	v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	v->vm = vm;
	v->id = id;
	mutex_init(&v->mutex);
	rcuwait_init(&v->wait);
	preempt_notifier_init(&v->preempt, &hvx_preempt_ops);

	err = -ENOMEM;
	v->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!v->run)
		goto out_free;
	vpid = ida_alloc_range(&hvx_vpids, 1, VMX_NR_VPIDS - 1, GFP_KERNEL);
	if (vpid < 0) {
		err = vpid;
		goto out_run;
	}
	v->vpid = vpid;
	if (!fpu_alloc_guest_fpstate(&v->fpu))
		goto out_vpid;
	/* The APIC first: its page goes in the VMCS (the TPR shadow). */
	if (vm->ioapic) {
		err = hvx_lapic_create(v);
		if (err)
			goto out_fpu;
		/* The APs wait for the BSP's INIT-SIPI-SIPI, as on a PC. */
		if (id)
			v->mp_state = HVX_MP_WAIT_SIPI;
	}
	err = hvx_vmx_vcpu_create(v);
	if (err)
		goto out_apic;

	kref_get(&vm->ref);
	fd = anon_inode_getfd("hvx-vcpu", &hvx_vcpu_fops, v,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		hvx_vm_put(vm);
		err = fd;
		goto out_vmx;
	}
	spin_lock(&vm->irq_lock);
	vm->vcpus[id] = v;
	spin_unlock(&vm->irq_lock);
	return fd;

out_vmx:
	hvx_vmx_vcpu_free(v);
out_apic:
	hvx_lapic_free(v);
out_fpu:
	fpu_free_guest_fpstate(&v->fpu);
out_vpid:
	ida_free(&hvx_vpids, v->vpid);
out_run:
	free_page((unsigned long)v->run);
out_free:
	kfree(v);
	return err;
}

int hvx_vcpu_release(struct inode *inode, struct file *file)
{
	struct hvx_vcpu *v = file->private_data;
	struct hvx_vm *vm = v->vm;

	mutex_lock(&vm->lock);
	spin_lock(&vm->irq_lock);
	vm->vcpus[v->id] = NULL;
	spin_unlock(&vm->irq_lock);
	mutex_unlock(&vm->lock);
	hvx_vcpu_free(v);
	hvx_vm_put(vm);
	return 0;
}

static vm_fault_t run_page_fault(struct vm_fault *vmf)
{
	struct hvx_vcpu *v = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff)
		return VM_FAULT_SIGBUS;
	page = virt_to_page(v->run);
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct run_page_vm_ops = {
	.fault = run_page_fault,
};

int hvx_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start > PAGE_SIZE)
		return -EINVAL;
	vma->vm_ops = &run_page_vm_ops;
	/*
	 * One page, for good: without VM_DONTEXPAND, mremap() could grow the
	 * mapping and a later mmap() at the next offset could merge into it
	 * without ever coming here (the fuzzer saw both succeed). The fault
	 * handler refuses other pages anyway; now mmap() says so too.
	 */
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
	return 0;
}

/* CR8 is the APIC's task priority when there is an APIC (SDM 10.8.6.1). */
u8 hvx_vcpu_get_cr8(struct hvx_vcpu *v)
{
	return v->apic ? hvx_lapic_get_cr8(v->apic) : v->cr8;
}

void hvx_vcpu_set_cr8(struct hvx_vcpu *v, u8 cr8)
{
	v->cr8 = cr8;
	if (v->apic)
		hvx_lapic_set_cr8(v->apic, cr8);
}

void hvx_vcpu_kick(struct hvx_vcpu *v)
{
	int cpu = READ_ONCE(v->cpu);

	rcuwait_wake_up(&v->wait);
	/*
	 * In guest mode on another CPU: any IPI makes it exit (external
	 * interrupts exit), and the entry path looks at the APIC again.
	 * On this CPU it cannot be in guest mode: we are running here.
	 */
	if (READ_ONCE(v->mode) == HVX_IN_GUEST && cpu >= 0 &&
	    cpu != raw_smp_processor_id())
		smp_send_reschedule(cpu);
}

/* INIT, SIPI and NMI sent by other APICs, taken in the vCPU's thread. */
static void take_apic_events(struct hvx_vcpu *v)
{
	struct hvx_lapic *apic = v->apic;

	if (!READ_ONCE(apic->events))
		return;
	if (test_and_clear_bit(HVX_APIC_EV_NMI, &apic->events))
		v->nmi_pending = true;
	if (test_and_clear_bit(HVX_APIC_EV_INIT, &apic->events)) {
		hvx_vmx_reset(v);
		hvx_lapic_reset(apic, true);
		v->mp_state = HVX_MP_WAIT_SIPI;
	}
	if (test_and_clear_bit(HVX_APIC_EV_SIPI, &apic->events) &&
	    v->mp_state == HVX_MP_WAIT_SIPI) {
		/* The bit before the vector; see hvx_lapic_set_irq(). */
		smp_mb__after_atomic();
		hvx_vmx_start_at_sipi(v, READ_ONCE(apic->sipi_vector));
		v->mp_state = HVX_MP_RUNNABLE;
	}
}

static bool can_wake(struct hvx_vcpu *v)
{
	if (READ_ONCE(v->apic->events) || v->nmi_pending)
		return true;
	return v->mp_state == HVX_MP_HALTED && v->halt_if &&
	       (v->irq_pending || hvx_pic_extint_pending(v) ||
		hvx_lapic_pending_vector(v->apic) >= 0);
}

/*
 * Halt polling, as KVM does it: a halted vCPU first watches for its
 * wakeup for a while before it sleeps, since an IPI or a timer that comes
 * within microseconds then costs no sleep, no wakeup and no schedule on
 * either side. The window is each vCPU's own and adapts: it starts at
 * HALT_POLL_START_NS, doubles whenever the vCPU woke after it but within
 * halt_poll_ns (a longer poll would have caught that), and goes to 0 when
 * a halt outlasts halt_poll_ns (polling would only have burnt the CPU).
 * halt_poll_ns=0 turns it off.
 */
static unsigned int halt_poll_ns = 200000;
module_param(halt_poll_ns, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns, "Longest a halted vCPU polls for its wakeup before it sleeps (ns, 0: never)");

#define HALT_POLL_START_NS	10000

static bool poll_for_wake(struct hvx_vcpu *v, u64 start)
{
	u64 end = start + min(v->halt_poll_ns, READ_ONCE(halt_poll_ns));

	do {
		if (can_wake(v))
			return true;
		cpu_relax();
	} while (local_clock() < end && !need_resched() &&
		 !signal_pending(current));
	return false;
}

static void adapt_halt_poll(struct hvx_vcpu *v, u64 halted_ns)
{
	u32 max = READ_ONCE(halt_poll_ns);

	if (halted_ns > max)
		v->halt_poll_ns = 0;
	else if (halted_ns > v->halt_poll_ns)
		v->halt_poll_ns = v->halt_poll_ns ?
			min(v->halt_poll_ns * 2, max) :
			min_t(u32, HALT_POLL_START_NS, max);
}

/* Wait in the kernel while halted or waiting for SIPI: 0 or -EINTR. */
static int vcpu_block(struct hvx_vcpu *v)
{
	bool halted = v->mp_state == HVX_MP_HALTED;
	u64 start = local_clock(), halted_ns;
	int ret = 0;

	hvx_lapic_block_begin(v->apic);
	if (halted && v->halt_poll_ns && poll_for_wake(v, start))
		hvx_stat_inc(&v->stats.halt_poll_wakes, 1);
	else
		ret = rcuwait_wait_event(&v->wait, can_wake(v),
					 TASK_INTERRUPTIBLE);
	hvx_lapic_block_end(v->apic);
	halted_ns = local_clock() - start;
	hvx_stat_inc(&v->stats.halt_ns, halted_ns);
	if (halted && !ret)
		adapt_halt_poll(v, halted_ns);
	return ret ? -EINTR : 0;
}

/* Run the guest until an exit that user space must see. */
static long vcpu_run(struct hvx_vcpu *v)
{
	struct hvx_run *run = v->run;
	long ret = 0;
	int r;

	if (!hvx_complete_user_exit(v)) {
		hvx_stat_inc(&v->stats.exits_to_user, 1);
		return 0;
	}
	if (READ_ONCE(run->immediate_exit)) {
		run->exit_reason = HVX_EXIT_INTR;
		return -EINTR;
	}

	/*
	 * The guest's FPU state becomes this thread's for the whole run: what
	 * preemption or a softirq saves from the registers goes into it, and
	 * hvx_vmx_enter() loads it back before each entry.
	 */
	fpu_swap_kvm_fpstate(&v->fpu, true);
	for (;;) {
		u64 start;

		if (signal_pending(current)) {
			run->exit_reason = HVX_EXIT_INTR;
			ret = -EINTR;
			break;
		}
		cond_resched();

		if (v->apic) {
			if (hvx_vmx_preemption_deadline())
				hvx_lapic_check_deadline(v->apic);
			take_apic_events(v);
			if (v->mp_state == HVX_MP_HALTED && can_wake(v))
				v->mp_state = HVX_MP_RUNNABLE;
			if (v->mp_state != HVX_MP_RUNNABLE) {
				ret = vcpu_block(v);
				if (ret) {
					run->exit_reason = HVX_EXIT_INTR;
					break;
				}
				continue;
			}
		}

		preempt_disable();
		local_irq_disable();
		/* Pairs with the barrier between a new IRR bit and the kick. */
		smp_store_mb(v->mode, HVX_IN_GUEST);
		if (need_resched() || signal_pending(current) ||
		    (v->apic && READ_ONCE(v->apic->events))) {
			WRITE_ONCE(v->mode, HVX_OUTSIDE_GUEST);
			local_irq_enable();
			preempt_enable();
			continue;
		}
		start = local_clock();
		r = hvx_vmx_enter(v);
		hvx_stat_inc(&v->stats.guest_ns, local_clock() - start);
		WRITE_ONCE(v->mode, HVX_OUTSIDE_GUEST);
		/* Host interrupts that came during the exit are served here. */
		local_irq_enable();
		preempt_enable();

		if (r == -EAGAIN) {
			/*
			 * This CPU left VMX root under us. Rebooting: the VM
			 * is over. Going offline: the scheduler moves us to
			 * an active CPU, where the VMCS is loaded again.
			 */
			if (READ_ONCE(hvx_rebooting)) {
				ret = -EIO;
				break;
			}
			schedule_timeout_uninterruptible(1);
			continue;
		}
		r = r ? hvx_entry_failed(v) : hvx_handle_exit(v);
		if (r <= 0) {
			ret = r;
			break;
		}
	}
	fpu_swap_kvm_fpstate(&v->fpu, false);
	hvx_stat_inc(&v->stats.exits_to_user, 1);
	return ret;
}

long hvx_vcpu_ioctl_run(struct hvx_vcpu *v, unsigned long arg)
{
	if (arg)
		return -EINVAL;
	return vcpu_run(v);
}

long hvx_vcpu_ioctl_get_regs(struct hvx_vcpu *v, unsigned long arg)
{
	struct hvx_regs regs;

	hvx_vmx_get_regs(v, &regs);
	return copy_to_user((void __user *)arg, &regs, sizeof(regs)) ?
	       -EFAULT : 0;
}

long hvx_vcpu_ioctl_set_regs(struct hvx_vcpu *v, unsigned long arg)
{
	struct hvx_regs regs;

	if (copy_from_user(&regs, (void __user *)arg, sizeof(regs)))
		return -EFAULT;
	hvx_vmx_set_regs(v, &regs);
	/* New registers cancel a half-done exit. */
	v->pending = HVX_PENDING_NONE;
	return 0;
}

long hvx_vcpu_ioctl_get_sregs(struct hvx_vcpu *v, unsigned long arg)
{
	struct hvx_sregs sregs;

	hvx_vmx_get_sregs(v, &sregs);
	return copy_to_user((void __user *)arg, &sregs, sizeof(sregs)) ?
	       -EFAULT : 0;
}

long hvx_vcpu_ioctl_set_sregs(struct hvx_vcpu *v, unsigned long arg)
{
	struct hvx_sregs sregs;

	if (copy_from_user(&sregs, (void __user *)arg, sizeof(sregs)))
		return -EFAULT;
	return hvx_vmx_set_sregs(v, &sregs);
}

long hvx_vcpu_ioctl_set_cpuid(struct hvx_vcpu *v, unsigned long arg)
{
	struct hvx_cpuid cpuid;
	struct hvx_cpuid_entry *entries;
	u32 i;

	if (copy_from_user(&cpuid, (void __user *)arg, sizeof(cpuid)))
		return -EFAULT;
	if (cpuid.flags || cpuid.nent > HVX_MAX_CPUID_ENTRIES)
		return -EINVAL;
	entries = vmemdup_user(u64_to_user_ptr(cpuid.entries),
			       array_size(cpuid.nent, sizeof(*entries)));
	if (IS_ERR(entries))
		return PTR_ERR(entries);
	for (i = 0; i < cpuid.nent; i++) {
		if ((entries[i].flags & ~HVX_CPUID_SIGNIFICANT_INDEX) ||
		    entries[i].pad) {
			kvfree(entries);
			return -EINVAL;
		}
	}
	kvfree(v->cpuid);
	v->cpuid = entries;
	v->cpuid_nent = cpuid.nent;
	return 0;
}

/*
 * Without the vCPU lock (dev.c), so that another thread of the owner
 * reads the counters while the vCPU runs: each is a u64 that only the
 * vCPU's thread writes (hvx_stat_inc()), read whole, so the copy has
 * every counter as it was at some moment, not all at one moment.
 */
long hvx_vcpu_ioctl_get_stats(struct hvx_vcpu *v, unsigned long arg)
{
	struct hvx_vcpu_stats st;
	const u64 *src = (const u64 *)&v->stats;
	u64 *dst = (u64 *)&st;
	size_t i;

	BUILD_BUG_ON(sizeof(st) % sizeof(u64));
	for (i = 0; i < sizeof(st) / sizeof(u64); i++)
		dst[i] = READ_ONCE(src[i]);
	return copy_to_user((void __user *)arg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long msrs_ioctl(struct hvx_vcpu *v, unsigned long arg, bool set)
{
	struct hvx_msrs __user *umsrs = (void __user *)arg;
	struct hvx_msr_entry *entries;
	struct hvx_msrs msrs;
	size_t bytes;
	u32 i;
	long ret;

	if (copy_from_user(&msrs, umsrs, sizeof(msrs)))
		return -EFAULT;
	if (msrs.flags || msrs.nmsrs > HVX_MAX_MSR_ENTRIES)
		return -EINVAL;
	bytes = array_size(msrs.nmsrs, sizeof(*entries));
	entries = vmemdup_user(u64_to_user_ptr(msrs.entries), bytes);
	if (IS_ERR(entries))
		return PTR_ERR(entries);
	for (i = 0; i < msrs.nmsrs; i++) {
		if (entries[i].reserved)
			break;
		if (set ? hvx_msr_write(v, entries[i].index, entries[i].data,
					true) :
			  hvx_msr_read(v, entries[i].index, &entries[i].data))
			break;
	}
	ret = i;
	if (!set && copy_to_user(u64_to_user_ptr(msrs.entries), entries, bytes))
		ret = -EFAULT;
	kvfree(entries);
	return ret;
}

long hvx_vcpu_ioctl_get_msrs(struct hvx_vcpu *v, unsigned long arg)
{
	return msrs_ioctl(v, arg, false);
}

long hvx_vcpu_ioctl_set_msrs(struct hvx_vcpu *v, unsigned long arg)
{
	return msrs_ioctl(v, arg, true);
}

long hvx_vcpu_ioctl_get_fpu(struct hvx_vcpu *v, unsigned long arg)
{
	struct hvx_fpu *fpu = kzalloc(sizeof(*fpu), GFP_KERNEL);
	long ret = 0;

	if (!fpu)
		return -ENOMEM;
	fpu->xcr0 = v->xcr0;
	fpu_copy_guest_fpstate_to_uabi(&v->fpu, fpu->xsave, sizeof(fpu->xsave),
				       v->fpu.fpstate->user_xfeatures, v->pkru);
	if (copy_to_user((void __user *)arg, fpu, sizeof(*fpu)))
		ret = -EFAULT;
	kfree(fpu);
	return ret;
}

long hvx_vcpu_ioctl_set_fpu(struct hvx_vcpu *v, unsigned long arg)
{
	struct hvx_fpu *fpu;
	u32 pkru = 0;
	long ret = -EINVAL;
	int i;

	fpu = memdup_user((void __user *)arg, sizeof(*fpu));
	if (IS_ERR(fpu))
		return PTR_ERR(fpu);
	if (fpu->flags)
		goto out;
	for (i = 0; i < ARRAY_SIZE(fpu->reserved); i++)
		if (fpu->reserved[i])
			goto out;
	/* The rules of XSETBV (SDM Vol. 1 13.3), as for the guest's own. */
	if (!hvx_xcr0_valid(fpu->xcr0, hvx_vmx_xcr0_supported(v)))
		goto out;
	/*
	 * The state may hold any feature the guest could enable, whatever its
	 * XCR0 is now (XMM registers exist with XCR0 = x87 only, say).
	 */
	pkru = v->pkru;
	ret = fpu_copy_uabi_to_guest_fpstate(&v->fpu, fpu->xsave,
					     hvx_vmx_xcr0_supported(v), &pkru);
	if (!ret) {
		v->xcr0 = fpu->xcr0;
		v->pkru = pkru;
	}
out:
	kfree(fpu);
	return ret;
}

long hvx_vcpu_ioctl_inject_event(struct hvx_vcpu *v, unsigned long arg)
{
	struct hvx_event ev;

	if (copy_from_user(&ev, (void __user *)arg, sizeof(ev)))
		return -EFAULT;
	return hvx_vmx_queue_event(v, &ev);
}

/*
 * Every vCPU ioctl runs between these two: serialized with the vCPU's other
 * ioctls, from the VM owner's process, with the VMCS loaded.
 */
int hvx_vcpu_begin_ioctl(struct hvx_vcpu *v)
{
	if (current->mm != v->vm->mm)
		return -EIO;
	if (mutex_lock_killable(&v->mutex))
		return -EINTR;
	vcpu_load(v);
	return 0;
}

void hvx_vcpu_end_ioctl(struct hvx_vcpu *v)
{
	vcpu_put(v);
	mutex_unlock(&v->mutex);
}
