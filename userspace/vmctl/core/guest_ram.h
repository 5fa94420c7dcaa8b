/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest RAM: where vmctl gets it (--memory-backend) and what it tells the
 * host kernel about it (--mergeable). hvx maps guest memory without pins
 * and follows vmctl's page tables (HVX_CAP_MMU_NOTIFIER), so each backend
 * is the host kernel's to manage as it manages any memory of its kind:
 *
 *   anon     private anonymous memory: swapped under pressure, merged by
 *            KSM where --mergeable, backed by THP where the host allows;
 *   memfd    shmem (memfd_create): the same, and shareable by fd with
 *            another process (a device model of its own, a dump);
 *   hugetlb  a memfd of the host's reserved 2 MiB pages (nr_hugepages):
 *            reserved when mapped, so a VM that would not get them all
 *            fails to start rather than in its run; never swapped.
 */
#ifndef VMCTL_GUEST_RAM_H
#define VMCTL_GUEST_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vmctl_mem_backend {
	VMCTL_MEM_ANON,
	VMCTL_MEM_MEMFD,
	VMCTL_MEM_HUGETLB,
};

#define VMCTL_HUGE_PAGE_SIZE	(2ull << 20)

struct vmctl_mem_opts {
	enum vmctl_mem_backend backend;
	bool mergeable;		/* MADV_MERGEABLE: anon only */
};

/* "anon", "memfd" or "hugetlb"; -1 for anything else. */
int vmctl_mem_backend_parse(const char *s, enum vmctl_mem_backend *b);
const char *vmctl_mem_backend_name(enum vmctl_mem_backend b);
/*
 * Whether @o can back @bytes of guest RAM: NULL, or why not (for the
 * command line's message).
 */
const char *vmctl_mem_opts_check(const struct vmctl_mem_opts *o,
				 uint64_t bytes);
/* @bytes of guest RAM as @o says; NULL with a message on stderr. */
void *vmctl_guest_ram_map(uint64_t bytes, const struct vmctl_mem_opts *o);
void vmctl_guest_ram_unmap(void *mem, uint64_t bytes);

#endif
