/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bus map of a VM: which device answers a guest access to an I/O port
 * or to a guest-physical address outside RAM. One map per address space
 * (port I/O, MMIO), each a sorted array of non-overlapping ranges searched
 * by bisection.
 *
 * vCPU threads look up concurrently; a guest that moves a PCI BAR changes
 * the map from inside an access (a config-space write), so a lookup copies
 * the range it found under a read lock and calls the device after dropping
 * it. Devices outlive every access: they are created before the vCPUs run
 * and destroyed after they stopped (machine.c), so an access that raced
 * with a BAR move reaches the device at its old offset, as on a real bus.
 */
#ifndef VMCTL_BUS_H
#define VMCTL_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * A device's side of an access: @off is from the base of the range it
 * registered, @len 1, 2, 4 or 8 bytes, @data little-endian. read() fills
 * all @len bytes.
 */
struct vmctl_io_ops {
	void (*read)(void *opaque, uint64_t off, void *data, unsigned int len);
	void (*write)(void *opaque, uint64_t off, const void *data,
		      unsigned int len);
};

struct vmctl_bus_range {
	uint64_t base, len;
	const struct vmctl_io_ops *ops;
	void *opaque;
	const char *name;
};

struct vmctl_bus {
	const char *space;		/* "port" or "MMIO", for messages */
	pthread_rwlock_t lock;
	struct vmctl_bus_range *r;	/* sorted by base, disjoint */
	unsigned int n, cap;
	/* Accesses that no device claimed: they read all ones. */
	_Atomic uint64_t unclaimed_reads, unclaimed_writes;
	_Atomic uint64_t last_unclaimed;	/* the address of the latest */
};

void vmctl_bus_init(struct vmctl_bus *bus, const char *space);
void vmctl_bus_destroy(struct vmctl_bus *bus);
/*
 * Map [@base, @base + @len) to @ops/@opaque. A range that overlaps one
 * already there is refused: -1 with a message naming both.
 */
int vmctl_bus_register(struct vmctl_bus *bus, uint64_t base, uint64_t len,
		       const struct vmctl_io_ops *ops, void *opaque,
		       const char *name);
/* Remove the range at @base that @opaque registered; -1 if there is none. */
int vmctl_bus_unregister(struct vmctl_bus *bus, uint64_t base, void *opaque);
/*
 * A guest access of @len bytes at @addr. Returns true if a device took
 * it; otherwise a read returns all ones, and the access is counted.
 * An access that starts inside a range goes to that device whole, which
 * clips it as its hardware would.
 */
bool vmctl_bus_access(struct vmctl_bus *bus, uint64_t addr, bool write,
		      void *data, unsigned int len);

#endif /* VMCTL_BUS_H */
