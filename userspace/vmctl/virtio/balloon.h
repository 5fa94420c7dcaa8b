/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-balloon (virtio 1.2, 5.5): the host asks the guest for memory
 * back, and gets it. vmctl sets the balloon's target (vmctl balloon NAME
 * MIB); the guest's driver takes that many pages from its allocator and
 * names them on the inflate queue, and vmctl drops them from guest RAM
 * (MADV_DONTNEED; MADV_REMOVE for a memfd), which hvx follows (its MMU
 * notifier), so that vmctl's resident memory falls. A page the guest gets
 * back (deflate) is simply touched again: it faults in, zeroed.
 *
 * Also: free page reporting (VIRTIO_BALLOON_F_REPORTING), the guest
 * naming free pages it does not need now, which are dropped the same way,
 * and the guest's memory statistics (VIRTIO_BALLOON_F_STATS_VQ), asked for
 * every second and shown by vmctl info. With hugetlb memory nothing can be
 * given back 4 KiB at a time: the balloon then only holds the guest to
 * its target.
 */
#ifndef VMCTL_VIRTIO_BALLOON_H
#define VMCTL_VIRTIO_BALLOON_H

#include <stdint.h>
#include <stdio.h>

struct pci_host;
struct vmctl_vm;
struct virtio_balloon;

#define VIRTIO_ID_BALLOON		5
#define VIRTIO_BALLOON_PCI_CLASS	0x058000	/* memory controller, other */

struct virtio_balloon *virtio_balloon_create(struct vmctl_vm *vm,
					     struct pci_host *host);
/* After the vCPUs stopped, before vmctl_vm_destroy() (as virtio-blk). */
void virtio_balloon_destroy(struct virtio_balloon *b);
/* Ask the guest for @mib of its RAM (0: all back). 0, or -1 if too much. */
int virtio_balloon_set_target(struct virtio_balloon *b, uint64_t mib);
/* vmctl info's balloon_* lines: target, actual, what was given back, stats. */
void virtio_balloon_info(struct virtio_balloon *b, FILE *out);

#endif /* VMCTL_VIRTIO_BALLOON_H */
