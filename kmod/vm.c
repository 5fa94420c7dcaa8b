// SPDX-License-Identifier: GPL-2.0
/*
 * VMs: creation and teardown, vCPUs, the irqchip and interrupt lines,
 * statistics. Guest memory is memslot.c's.
 */
#include <linux/anon_inodes.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <asm/apicdef.h>

#include "eventfds.h"
#include "hvx.h"
#include "ioapic.h"
#include "iobus.h"
#include "lapic.h"
#include "pic.h"
#include "vcpu.h"
#include "vm.h"
#include "vmx.h"

static void hvx_vm_free(struct kref *ref)
{
	struct hvx_vm *vm = container_of(ref, struct hvx_vm, ref);

	/*
	 * No CPU may keep a translation to a page that went back to its
	 * owner, or through a table that is freed, for a later VM whose EPT
	 * root lands on the same page to use.
	 */
	hvx_memory_destroy(vm);
	hvx_ept_flush(&vm->ept);
	hvx_ept_destroy(&vm->ept);
	/* First: irqfds' work items use the IOAPIC and the SRCU. */
	hvx_eventfds_vm_destroy(vm);
	hvx_io_bus_destroy(vm);
	hvx_pic_free(vm);
	hvx_ioapic_free(vm);
	if (vm->apic_access_page)
		__free_page(vm->apic_access_page);
	cleanup_srcu_struct(&vm->srcu);
	mmdrop(vm->mm);
	kfree(vm);
}

void hvx_vm_put(struct hvx_vm *vm)
{
	kref_put(&vm->ref, hvx_vm_free);
}

int hvx_vm_create(unsigned long flags)
{
	struct hvx_vm *vm;
	int fd, err;

	if (flags)
		return -EINVAL;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	kref_init(&vm->ref);
	mutex_init(&vm->lock);
	spin_lock_init(&vm->irq_lock);
	mutex_init(&vm->io_lock);
	hvx_eventfds_vm_init(vm);
	vm->mm = current->mm;
	mmgrab(vm->mm);
	err = init_srcu_struct(&vm->srcu);
	if (err)
		goto out_free;
	err = hvx_ept_init(&vm->ept);
	if (err)
		goto out_srcu;
	err = hvx_memory_init(vm);
	if (err)
		goto out_ept;

	fd = anon_inode_getfd("hvx-vm", &hvx_vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto out_memory;
	}
	return fd;

out_memory:
	hvx_memory_destroy(vm);
out_ept:
	hvx_ept_destroy(&vm->ept);
out_srcu:
	cleanup_srcu_struct(&vm->srcu);
out_free:
	mmdrop(vm->mm);
	kfree(vm);
	return err;
}

/*
 * No more APIC-access page in the EPT (vm->lock held): each vCPU drops
 * the control at its next entry (update_apic_access() in vmx.c), and
 * until then its accesses there fault on the EPT like any unbacked MMIO.
 */
void hvx_vm_apic_access_stop(struct hvx_vm *vm)
{
	if (!vm->apic_access_page || vm->apic_access_off)
		return;
	WRITE_ONCE(vm->apic_access_off, true);
	hvx_ept_unmap(&vm->ept, APIC_DEFAULT_PHYS_BASE);
	hvx_ept_flush(&vm->ept);
}

void hvx_vm_apic_base_changed(struct hvx_vcpu *v)
{
	if (!v->vm->apic_access_page || READ_ONCE(v->vm->apic_access_off) ||
	    hvx_vcpu_xapic_at_default(v))
		return;
	mutex_lock(&v->vm->lock);
	hvx_vm_apic_access_stop(v->vm);
	mutex_unlock(&v->vm->lock);
}

long hvx_vm_create_vcpu(struct hvx_vm *vm, unsigned long id)
{
	int fd;

	if (id >= HVX_MAX_VCPUS)
		return -EINVAL;
	id = array_index_nospec(id, HVX_MAX_VCPUS);

	mutex_lock(&vm->lock);
	if (vm->vcpus[id]) {
		fd = -EEXIST;
		goto out;
	}
	fd = hvx_vcpu_fd_create(vm, id);
out:
	mutex_unlock(&vm->lock);
	return fd;
}

long hvx_vm_create_irqchip(struct hvx_vm *vm)
{
	long err = 0;
	int i;

	mutex_lock(&vm->lock);
	if (vm->ioapic) {
		err = -EEXIST;
		goto out;
	}
	/* Every vCPU must have its APIC: none may exist yet. */
	for (i = 0; i < HVX_MAX_VCPUS; i++) {
		if (vm->vcpus[i]) {
			err = -EBUSY;
			goto out;
		}
	}
	if (hvx_vmx_apic_access()) {
		vm->apic_access_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!vm->apic_access_page) {
			err = -ENOMEM;
			goto out;
		}
	}
	err = hvx_ioapic_create(vm);
	if (err && vm->apic_access_page) {
		__free_page(vm->apic_access_page);
		vm->apic_access_page = NULL;
	}
out:
	mutex_unlock(&vm->lock);
	return err;
}

long hvx_vm_create_pic(struct hvx_vm *vm)
{
	long err;

	mutex_lock(&vm->lock);
	err = hvx_pic_create(vm);
	mutex_unlock(&vm->lock);
	return err;
}

/*
 * GSIs 0-15 are also ISA IRQs, wired to the 8259s as on a PC (pic.h);
 * irqfds stay the IOAPIC's alone: a resample irqfd's line comes down at
 * the IOAPIC's EOI, which an 8259 never sends.
 */
long hvx_vm_irq_line(struct hvx_vm *vm, const struct hvx_irq_line *line)
{
	long err;

	if (line->flags || line->reserved || line->level > 1)
		return -EINVAL;
	err = hvx_ioapic_set_line(vm, line->gsi, line->level);
	if (!err)
		hvx_pic_set_gsi(vm, line->gsi, line->level);
	return err;
}

long hvx_vm_signal_msi(struct hvx_vm *vm, const struct hvx_msi *msi)
{
	struct hvx_apic_irq irq;
	long err;

	if (msi->flags || msi->reserved)
		return -EINVAL;
	/* As HVX_IRQ_LINE: without the irqchip there are no APICs. */
	if (!smp_load_acquire(&vm->ioapic))
		return -ENXIO;
	err = hvx_msi_to_irq(msi->address, msi->data, &irq);
	if (err)
		return err;
	return hvx_apic_deliver(vm, NULL, &irq);
}

void hvx_vm_get_stats(struct hvx_vm *vm, struct hvx_vm_stats *st)
{
	int i;

	memset(st, 0, sizeof(*st));
	mutex_lock(&vm->lock);
	st->mapped_pages = atomic_long_read(&vm->mapped_pages);
	st->ept_tables = vm->ept.tables;
	st->ept_faults = vm->ept_faults;
	for (i = 0; i < HVX_MAX_VCPUS; i++)
		st->vcpus += !!vm->vcpus[i];
	for (i = 0; i < HVX_MAX_MEM_SLOTS; i++)
		st->mem_slots += vm->slots[i].used;
	mutex_unlock(&vm->lock);
}
