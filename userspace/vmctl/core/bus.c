// SPDX-License-Identifier: GPL-2.0
/*
 * The bus map (bus.h): sorted disjoint ranges, bisection under a read lock.
 * Registration is rare (device creation, a BAR the guest moves) and may
 * grow the array, so it takes the write lock; lookups never allocate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bus.h"

void vmctl_bus_init(struct vmctl_bus *bus, const char *space)
{
	memset(bus, 0, sizeof(*bus));
	bus->space = space;
	pthread_rwlock_init(&bus->lock, NULL);
}

void vmctl_bus_destroy(struct vmctl_bus *bus)
{
	free(bus->r);
	pthread_rwlock_destroy(&bus->lock);
	memset(bus, 0, sizeof(*bus));
}

/* The index of the first range whose end is above @addr (may be n). */
static unsigned int first_above(const struct vmctl_bus *bus, uint64_t addr)
{
	unsigned int lo = 0, hi = bus->n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct vmctl_bus_range *r = &bus->r[mid];

		if (r->base + r->len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int vmctl_bus_register(struct vmctl_bus *bus, uint64_t base, uint64_t len,
		       const struct vmctl_io_ops *ops, void *opaque,
		       const char *name)
{
	struct vmctl_bus_range *r;
	unsigned int i;

	if (!len || base + len < base) {
		fprintf(stderr, "vmctl: %s: bad %s range %#llx+%#llx\n", name,
			bus->space, (unsigned long long)base,
			(unsigned long long)len);
		return -1;
	}
	pthread_rwlock_wrlock(&bus->lock);
	i = first_above(bus, base);
	if (i < bus->n && bus->r[i].base < base + len) {
		fprintf(stderr, "vmctl: %s at %s %#llx-%#llx overlaps %s at %#llx-%#llx\n",
			name, bus->space, (unsigned long long)base,
			(unsigned long long)(base + len - 1), bus->r[i].name,
			(unsigned long long)bus->r[i].base,
			(unsigned long long)(bus->r[i].base + bus->r[i].len - 1));
		pthread_rwlock_unlock(&bus->lock);
		return -1;
	}
	if (bus->n == bus->cap) {
		unsigned int cap = bus->cap ? 2 * bus->cap : 16;

		r = realloc(bus->r, cap * sizeof(*r));
		if (!r) {
			pthread_rwlock_unlock(&bus->lock);
			fprintf(stderr, "vmctl: out of memory for the bus map\n");
			return -1;
		}
		bus->r = r;
		bus->cap = cap;
	}
	memmove(&bus->r[i + 1], &bus->r[i], (bus->n - i) * sizeof(*bus->r));
	bus->r[i] = (struct vmctl_bus_range){
		.base = base, .len = len, .ops = ops, .opaque = opaque,
		.name = name,
	};
	bus->n++;
	pthread_rwlock_unlock(&bus->lock);
	return 0;
}

int vmctl_bus_unregister(struct vmctl_bus *bus, uint64_t base, void *opaque)
{
	unsigned int i;
	int ret = -1;

	pthread_rwlock_wrlock(&bus->lock);
	i = first_above(bus, base);
	if (i < bus->n && bus->r[i].base == base &&
	    bus->r[i].opaque == opaque) {
		memmove(&bus->r[i], &bus->r[i + 1],
			(bus->n - i - 1) * sizeof(*bus->r));
		bus->n--;
		ret = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

bool vmctl_bus_access(struct vmctl_bus *bus, uint64_t addr, bool write,
		      void *data, unsigned int len)
{
	struct vmctl_bus_range found = { 0 };
	unsigned int i;

	pthread_rwlock_rdlock(&bus->lock);
	i = first_above(bus, addr);
	if (i < bus->n && bus->r[i].base <= addr)
		found = bus->r[i];
	pthread_rwlock_unlock(&bus->lock);

	if (!found.ops) {
		if (write) {
			bus->unclaimed_writes++;
		} else {
			bus->unclaimed_reads++;
			memset(data, 0xff, len);
		}
		bus->last_unclaimed = addr;
		return false;
	}
	if (write) {
		if (found.ops->write)
			found.ops->write(found.opaque, addr - found.base, data,
					 len);
	} else if (found.ops->read) {
		found.ops->read(found.opaque, addr - found.base, data, len);
	} else {
		memset(data, 0xff, len);
	}
	return true;
}
