/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VM's I/O buses: one for guest-physical MMIO, one for ports. An
 * in-kernel device (the IOAPIC, an ioeventfd) registers a range on a bus;
 * the exit handlers ask the bus, never a device by name, and an access no
 * device takes goes to user space as before.
 *
 * A bus is an array of ranges sorted by address, published with RCU and
 * read under the VM's SRCU: a vCPU in an exit handler never waits for a
 * registration, which copies the array, swaps the pointer and then waits
 * for the readers of the old one (synchronize_srcu) before freeing it.
 * Registration is serialized by vm->io_lock.
 *
 * The local APIC is the exception: its page is at each vCPU's own
 * IA32_APIC_BASE, which the guest moves per vCPU, so it cannot be one
 * VM-wide range. The MMIO bus asks the accessing vCPU's APIC first, as
 * a CPU's accesses to its APIC page never reach the system bus.
 */
#ifndef HVX_IOBUS_H
#define HVX_IOBUS_H

#include <linux/rcupdate.h>
#include <linux/types.h>

struct hvx_io_device;
struct hvx_vcpu;
struct hvx_vm;

enum hvx_bus_id {
	HVX_MMIO_BUS,
	HVX_PIO_BUS,
	HVX_NR_BUSES
};

/*
 * Both return 0 when the device performed the access and -EOPNOTSUPP when
 * it is not the device's after all (another width, another datamatch):
 * the bus then tries the next device whose range holds the address. They
 * run in the vCPU's thread, preemptible, under the VM's SRCU; @val holds
 * @len (1 to 8) bytes, little-endian. A NULL op takes no access.
 */
struct hvx_io_device_ops {
	int (*read)(struct hvx_io_device *dev, struct hvx_vcpu *vcpu,
		    u64 addr, unsigned int len, void *val);
	int (*write)(struct hvx_io_device *dev, struct hvx_vcpu *vcpu,
		     u64 addr, unsigned int len, const void *val);
};

struct hvx_io_device {
	const struct hvx_io_device_ops *ops;
};

/* An access that starts in [addr, addr + len) goes to @dev. */
struct hvx_io_range {
	u64 addr;
	u64 len;
	struct hvx_io_device *dev;
};

struct hvx_io_bus {
	struct rcu_head rcu;
	unsigned int count;
	u64 max_len;			/* of any range: bounds the lookup */
	struct hvx_io_range range[];
};

/*
 * Registration, under vm->io_lock (process context; it allocates and
 * waits for SRCU readers). hvx_io_bus_unregister() returns when no vCPU
 * can still be calling into @dev: the caller may free it then.
 */
int hvx_io_bus_register(struct hvx_vm *vm, enum hvx_bus_id bus, u64 addr,
			u64 len, struct hvx_io_device *dev);
void hvx_io_bus_unregister(struct hvx_vm *vm, enum hvx_bus_id bus,
			   struct hvx_io_device *dev);
/* At VM teardown, with no vCPU left: free the buses' arrays. */
void hvx_io_bus_destroy(struct hvx_vm *vm);

/* From exit handlers: 0 if an in-kernel device took the access, else -errno. */
int hvx_io_bus_read(struct hvx_vcpu *vcpu, enum hvx_bus_id bus, u64 addr,
		    unsigned int len, void *val);
int hvx_io_bus_write(struct hvx_vcpu *vcpu, enum hvx_bus_id bus, u64 addr,
		     unsigned int len, const void *val);

#endif /* HVX_IOBUS_H */
