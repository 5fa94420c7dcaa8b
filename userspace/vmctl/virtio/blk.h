/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-blk (virtio 1.2, 5.2) over a raw image (block/raw.h), on the
 * virtio-PCI transport: one request queue of 256 entries served by an I/O
 * thread of the disk's own, so that a guest's disk I/O never blocks a
 * vCPU. Each disk is independent: as many as the PCI bus has slots.
 */
#ifndef VMCTL_VIRTIO_BLK_H
#define VMCTL_VIRTIO_BLK_H

#include <stdio.h>

#include "block/opts.h"

struct vmctl_vm;
struct pci_host;
struct raw_image;
struct virtio_blk;

#define VIRTIO_ID_BLOCK		2
#define VIRTIO_BLK_PCI_CLASS	0x018000	/* mass storage, other */

/*
 * Add a disk for @o to @host, serving @img: an image the caller opened
 * (raw_open(): that is where a missing, unreadable or locked image is
 * refused) and keeps open until after virtio_blk_destroy(). vmctl run
 * holds its images, and their locks, across the guest's reboots, so that
 * no other VM can take a disk in between. NULL with a message.
 */
struct virtio_blk *virtio_blk_create(struct vmctl_vm *vm,
				     struct pci_host *host,
				     const struct block_opts *o,
				     struct raw_image *img);
/*
 * Stop the I/O thread (the request in flight finishes first), remove the
 * ioeventfds; the image stays open, the caller's. Call it after the
 * vCPUs stopped (the device's BARs stay on the bus map: pci.h has no
 * removal) and before vmctl_vm_destroy() (the ioeventfds need the VM fd).
 */
void virtio_blk_destroy(struct virtio_blk *b);
/*
 * With iops= or bps=, vmctl info's lines for disk @idx: how many requests
 * waited for the rate limits, and for how long in all. From any thread.
 */
void virtio_blk_info(struct virtio_blk *b, unsigned int idx, FILE *out);

#endif /* VMCTL_VIRTIO_BLK_H */
