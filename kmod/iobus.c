// SPDX-License-Identifier: GPL-2.0
/*
 * The VM's I/O buses: see iobus.h for the model and the locking.
 */
#include <linux/lockdep.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/string.h>

#include "eventfds.h"
#include "iobus.h"
#include "lapic.h"
#include "vcpu.h"
#include "vm.h"

/* Every in-kernel device of a bus plus each of the VM's ioeventfds. */
#define HVX_IO_BUS_MAX		(HVX_MAX_IOEVENTFDS + 1)

static struct hvx_io_bus *bus_locked(struct hvx_vm *vm, enum hvx_bus_id id)
{
	return rcu_dereference_protected(vm->buses[id],
					 lockdep_is_held(&vm->io_lock));
}

/*
 * Ranges sort by address, and at one address the widest first. The lookup
 * walks down from the last range starting at or below the access, so it
 * meets the range that starts nearest the access first and, at one
 * address, the narrowest first: an ioeventfd on a register inside a wider
 * device's window is asked before that device.
 */
static bool sorts_before(const struct hvx_io_range *r, u64 addr, u64 len)
{
	return r->addr < addr || (r->addr == addr && r->len >= len);
}

int hvx_io_bus_register(struct hvx_vm *vm, enum hvx_bus_id id, u64 addr,
			u64 len, struct hvx_io_device *dev)
{
	struct hvx_io_bus *old = bus_locked(vm, id), *new;
	unsigned int n = old ? old->count : 0, pos = 0;

	lockdep_assert_held(&vm->io_lock);
	if (WARN_ON_ONCE(!len || addr + len < addr))
		return -EINVAL;
	if (n >= HVX_IO_BUS_MAX)
		return -ENOSPC;
	new = kmalloc(struct_size(new, range, n + 1), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	if (old) {
		while (pos < n && sorts_before(&old->range[pos], addr, len))
			pos++;
		memcpy(new->range, old->range, pos * sizeof(new->range[0]));
		memcpy(new->range + pos + 1, old->range + pos,
		       (n - pos) * sizeof(new->range[0]));
	}
	new->range[pos] = (struct hvx_io_range){
		.addr = addr, .len = len, .dev = dev,
	};
	new->count = n + 1;
	new->max_len = max(old ? old->max_len : 0, len);
	rcu_assign_pointer(vm->buses[id], new);
	/*
	 * vCPUs may be walking the old array: it goes when they are out.
	 * Expedited: the readers' sections are short, and a VMM registers
	 * its doorbells one ioctl at a time while it sets up its devices.
	 */
	if (old) {
		synchronize_srcu_expedited(&vm->srcu);
		kfree(old);
	}
	return 0;
}

void hvx_io_bus_unregister(struct hvx_vm *vm, enum hvx_bus_id id,
			   struct hvx_io_device *dev)
{
	struct hvx_io_bus *old = bus_locked(vm, id), *new = NULL;
	unsigned int i, j, n;

	lockdep_assert_held(&vm->io_lock);
	if (WARN_ON_ONCE(!old))
		return;
	for (i = 0; i < old->count && old->range[i].dev != dev; i++)
		;
	if (WARN_ON_ONCE(i == old->count))
		return;
	n = old->count - 1;
	if (n) {
		/*
		 * Smaller than the array it replaces, and a removal that
		 * could fail would leave a device reachable that its owner
		 * is about to free: this allocation may not fail.
		 */
		new = kmalloc(struct_size(new, range, n),
			      GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
		memcpy(new->range, old->range, i * sizeof(new->range[0]));
		memcpy(new->range + i, old->range + i + 1,
		       (n - i) * sizeof(new->range[0]));
		new->count = n;
		new->max_len = 0;
		for (j = 0; j < n; j++)
			new->max_len = max(new->max_len, new->range[j].len);
	}
	rcu_assign_pointer(vm->buses[id], new);
	synchronize_srcu_expedited(&vm->srcu);
	kfree(old);
}

void hvx_io_bus_destroy(struct hvx_vm *vm)
{
	int id;

	for (id = 0; id < HVX_NR_BUSES; id++) {
		kfree(rcu_dereference_protected(vm->buses[id], true));
		RCU_INIT_POINTER(vm->buses[id], NULL);
	}
}

static int dev_access(struct hvx_io_device *dev, struct hvx_vcpu *v, u64 addr,
		      unsigned int len, void *val, bool write)
{
	const struct hvx_io_device_ops *ops = dev->ops;

	if (write)
		return ops->write ? ops->write(dev, v, addr, len, val) :
				    -EOPNOTSUPP;
	return ops->read ? ops->read(dev, v, addr, len, val) : -EOPNOTSUPP;
}

static int bus_access(struct hvx_vcpu *v, enum hvx_bus_id id, u64 addr,
		      unsigned int len, void *val, bool write)
{
	struct hvx_vm *vm = v->vm;
	const struct hvx_io_bus *bus;
	unsigned int lo = 0, hi;
	int idx, ret = -EOPNOTSUPP;

	/* The vCPU's own APIC page shadows the bus (see iobus.h). */
	if (id == HVX_MMIO_BUS && v->apic &&
	    !dev_access(&v->apic->dev, v, addr, len, val, write))
		return 0;

	idx = srcu_read_lock(&vm->srcu);
	bus = srcu_dereference(vm->buses[id], &vm->srcu);
	if (!bus)
		goto out;
	/* lo: the number of ranges that start at or below @addr. */
	hi = bus->count;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (bus->range[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo--) {
		const struct hvx_io_range *r = &bus->range[lo];

		/* No range is longer: none further down reaches @addr. */
		if (addr - r->addr >= bus->max_len)
			break;
		if (addr - r->addr >= r->len)
			continue;
		ret = dev_access(r->dev, v, addr, len, val, write);
		if (ret != -EOPNOTSUPP)
			break;
	}
out:
	srcu_read_unlock(&vm->srcu, idx);
	return ret;
}

int hvx_io_bus_read(struct hvx_vcpu *v, enum hvx_bus_id id, u64 addr,
		    unsigned int len, void *val)
{
	return bus_access(v, id, addr, len, val, false);
}

int hvx_io_bus_write(struct hvx_vcpu *v, enum hvx_bus_id id, u64 addr,
		     unsigned int len, const void *val)
{
	/* Devices get it back as const void *; nothing writes through it. */
	return bus_access(v, id, addr, len, (void *)val, true);
}
