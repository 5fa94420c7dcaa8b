/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VM: its guest memory (memory slots backed by the owner's user memory,
 * mapped into EPT on first touch) and its vCPUs.
 *
 * Lifetime: the VM fd and every vCPU fd hold a reference; the VM is freed
 * when the last fd closes. vm->lock serializes memory-slot changes, EPT
 * faults and vCPU creation; it is a mutex because getting user pages
 * sleeps. mmu_lock is memslot.c's (its header comment says what it
 * covers and why it is a spinlock).
 */
#ifndef HVX_VM_H
#define HVX_VM_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/hvx.h>

#include "ept.h"
#include "iobus.h"

struct hvx_ioapic;
struct hvx_pic;
struct hvx_vcpu;

struct hvx_memslot {
	u64 gpa;
	u64 size;
	u64 uaddr;
	u32 flags;
	bool used;		/* changes under vm->lock and mmu_lock */
	/* HVX_MEM_LOG_DIRTY: pages written since the last HVX_GET_DIRTY_LOG. */
	unsigned long *dirty;
};

struct hvx_vm {
	struct kref ref;
	struct mm_struct *mm;		/* the creator's; guest memory lives there */
	struct mutex lock;
	struct hvx_memslot slots[HVX_MAX_MEM_SLOTS];
	struct hvx_ept ept;
	/* The owner's page tables, followed (memslot.c). */
	struct mmu_notifier mmu_notifier;
	spinlock_t mmu_lock;		/* EPT leaves of slots; memslot.c */
	unsigned long mmu_seq;		/* invalidations ended */
	unsigned int mmu_invalidating;	/* invalidations under way */
	atomic_long_t mapped_pages;	/* slot pages mapped in EPT */
	struct hvx_vcpu *vcpus[HVX_MAX_VCPUS];
	/*
	 * Interrupt delivery walks vcpus[] under irq_lock (it cannot sleep:
	 * IPIs are sent from exit handlers, with other locks held), so
	 * vcpus[] changes under both locks.
	 */
	spinlock_t irq_lock;
	struct hvx_ioapic *ioapic;	/* HVX_CREATE_IRQCHIP; else NULL */
	struct hvx_pic *pic;		/* HVX_CREATE_PIC; else NULL */

	/*
	 * In-kernel I/O devices (iobus.h) and eventfds (eventfds.c). vCPUs
	 * read the buses and the resample list under srcu and never take
	 * io_lock, which serializes bus and ioeventfd changes (after
	 * vm->lock where both are held). irqfd_lock is irq-safe: an
	 * eventfd's release takes it from its wakeup callback.
	 */
	struct srcu_struct srcu;
	struct mutex io_lock;		/* bus and ioeventfd changes */
	struct hvx_io_bus __rcu *buses[HVX_NR_BUSES];
	struct list_head ioeventfds;
	unsigned int nr_ioeventfds;
	spinlock_t irqfd_lock;		/* the irqfd lists, nr_irqfds */
	struct list_head irqfds;	/* the active ones */
	struct list_head resamplers;	/* irqfds with a resamplefd */
	unsigned int nr_irqfds;		/* until each one's shutdown ends */

	unsigned long ept_faults;	/* under vm->lock */

	/*
	 * The APIC-access page (HVX_CREATE_IRQCHIP, where the CPU can
	 * virtualize APIC accesses): the EPT maps it at the xAPIC's
	 * default base on the first touch there, and the CPU then serves
	 * the guest's TPR at that address from the virtual-APIC page
	 * without an exit. Off for good (apic_access_off, under lock) once
	 * a memory slot covers that address, or once a vCPU's APIC is not
	 * the xAPIC there: the EPT is the VM's, and that vCPU must find no
	 * APIC page at 0xfee00000.
	 */
	struct page *apic_access_page;
	bool apic_access_off;
};

int hvx_vm_create(unsigned long flags);
void hvx_vm_put(struct hvx_vm *vm);

/* memslot.c: guest memory, which follows the owner's page tables. */
int hvx_memory_init(struct hvx_vm *vm);
void hvx_memory_destroy(struct hvx_vm *vm);
long hvx_vm_set_memory_region(struct hvx_vm *vm,
			      const struct hvx_memory_region *r);
long hvx_vm_create_vcpu(struct hvx_vm *vm, unsigned long id);
long hvx_vm_create_irqchip(struct hvx_vm *vm);
long hvx_vm_create_pic(struct hvx_vm *vm);
long hvx_vm_irq_line(struct hvx_vm *vm, const struct hvx_irq_line *line);
long hvx_vm_signal_msi(struct hvx_vm *vm, const struct hvx_msi *msi);
long hvx_vm_get_dirty_log(struct hvx_vm *vm, const struct hvx_dirty_log *log);
void hvx_vm_get_stats(struct hvx_vm *vm, struct hvx_vm_stats *stats);

/*
 * Resolve an EPT violation at @gpa: map the backing page if @gpa is guest
 * memory and the access is allowed. Returns 0 when mapped, -ENOENT for an
 * address outside guest memory, -EACCES for a write to a read-only slot,
 * or another -errno.
 */
int hvx_vm_handle_ept_fault(struct hvx_vm *vm, u64 gpa, bool write);
/* No APIC-access page in the EPT any more (vm->lock held). */
void hvx_vm_apic_access_stop(struct hvx_vm *vm);
/* After any change of a vCPU's IA32_APIC_BASE (process context). */
void hvx_vm_apic_base_changed(struct hvx_vcpu *vcpu);

/*
 * Whether an access at @gpa is guest memory (a slot; writable, for a
 * write) rather than MMIO: what an EPT violation there would decide.
 */
bool hvx_vm_gpa_is_ram(struct hvx_vm *vm, u64 gpa, bool write);
/* Copy guest-physical memory to/from a kernel buffer (0 or -errno). */
int hvx_vm_read_gpa(struct hvx_vm *vm, u64 gpa, void *buf, unsigned int len);
int hvx_vm_write_gpa(struct hvx_vm *vm, u64 gpa, const void *buf,
		     unsigned int len);

#endif /* HVX_VM_H */
