/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio 1.x PCI transport ("Virtio Over PCI Bus", virtio 1.2, 4.1),
 * modern only: no legacy I/O BAR, revision 1, device ID 0x1040 + the
 * virtio device ID.
 *
 * BAR 0 (16 KiB, memory) holds the four structures the vendor
 * capabilities point to:
 *   0x0000  common configuration (4.1.4.3)
 *   0x1000  ISR status, one byte, read to clear (4.1.4.5)
 *   0x2000  device configuration (the device's ops->config_*)
 *   0x3000  notifications: queue N at 0x3000 + 4 * N (multiplier 4), so
 *           that each queue has an address of its own for an ioeventfd
 * BAR 1 is the MSI-X table and PBA (msix.c): vector per queue, plus one
 * for configuration changes. Without MSI-X, INTx pin A and the ISR.
 *
 * A device whose queues the kernel serves (vhost) gives each queue a call
 * eventfd (set_queue_callfd): it becomes an irqfd of the queue's MSI-X
 * message while the vector is enabled and unmasked, so that the kernel
 * interrupts the guest without vmctl; otherwise (INTx, masked, no vector,
 * no HVX_IRQFD) a relay thread of the transport reads it and signals the
 * queue as a device thread would. Devices with threads of their own never
 * start the relay.
 */
#ifndef VMCTL_VIRTIO_PCI_H
#define VMCTL_VIRTIO_PCI_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pci/msix.h"
#include "pci/pci.h"
#include "virtio/virtio.h"

#define VIRTIO_PCI_VENDOR		0x1af4
#define VIRTIO_PCI_DEVICE_BASE		0x1040
#define VIRTIO_PCI_BAR			0
#define VIRTIO_PCI_BAR_SIZE		0x4000
#define VIRTIO_PCI_MSIX_BAR		1
#define VIRTIO_PCI_COMMON_OFF		0x0000
#define VIRTIO_PCI_COMMON_LEN		56	/* through queue_device */
#define VIRTIO_PCI_ISR_OFF		0x1000
#define VIRTIO_PCI_DEVICE_OFF		0x2000
#define VIRTIO_PCI_DEVICE_MAX		0x1000
#define VIRTIO_PCI_NOTIFY_OFF		0x3000
#define VIRTIO_PCI_NOTIFY_MULT		4
/* Queues one BAR's notify area holds, and MSI-X vectors one table holds. */
#define VIRTIO_PCI_MAX_QUEUES		(PCI_MSIX_MAX_VECTORS - 1)

/* virtio_pci_cap.cfg_type (4.1.4) */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4

#define VIRTIO_PCI_ISR_QUEUE		1
#define VIRTIO_PCI_ISR_CONFIG		2

/* The transport's per-queue state. */
struct virtio_pci_queue {
	_Atomic uint16_t vector;	/* MSI-X, read by the I/O thread */
	/* Under ioev_lock: */
	bool ioev_want;			/* enabled when DRIVER_OK was set */
	bool ioev_registered;
	uint64_t ioev_addr;
	/* Under call_lock: the call eventfd routed here (set_queue_callfd). */
	int call_fd;			/* -1: none */
	unsigned int call_gen;		/* bumped when call_fd changes */
	bool irqfd;			/* an irqfd of call_addr/call_data */
	uint64_t call_addr;
	uint32_t call_data;
};

struct virtio_pci {
	struct pci_dev pci;
	struct pci_msix msix;
	struct virtio_dev vdev;
	unsigned int nqueues;
	/* The common configuration, written by vCPU threads. */
	pthread_mutex_t lock;
	uint32_t device_feature_select, driver_feature_select;
	uint16_t queue_select;
	_Atomic uint16_t config_vector;
	uint8_t config_generation;
	struct virtio_pci_queue *q;
	/* INTx: the ISR and the line follow each other under isr_lock. */
	pthread_mutex_t isr_lock;
	uint8_t isr;
	/*
	 * ioeventfds: where BAR 0 is (kept by bar_moved, so that this lock is
	 * never taken around the PCI device's lock) and what is registered.
	 */
	pthread_mutex_t ioev_lock;
	bool bar_mapped, ioev_on, ioev_told;
	uint64_t bar_addr;
	/*
	 * Call eventfds (a vhost device's interrupts): an irqfd of the
	 * queue's MSI-X message while it is deliverable, else the relay
	 * thread signals the queue. call_lock is taken inside p->lock and
	 * inside the PCI device's lock (MSI-X control writes), and takes
	 * only msix.c's lock inside it; the relay signals without it.
	 */
	pthread_mutex_t call_lock;
	pthread_cond_t call_cond;	/* relaying became -1 */
	pthread_t relay;
	bool relay_started, relay_stop, irqfd_told;
	int relay_wake;			/* eventfd: the relay's set changed */
	int relaying;			/* the queue being signalled, or -1 */
};

/*
 * A virtio-PCI function for the device @ops/@dev, class @pci_class (base
 * << 16 | sub << 8 | prog-if), added to @host. NULL with a message.
 */
struct virtio_pci *virtio_pci_create(struct vmctl_vm *vm,
				     struct pci_host *host,
				     const struct virtio_dev_ops *ops,
				     void *dev, uint32_t pci_class);
/*
 * Stop the device (its I/O ends first), drop the ioeventfds, free. As
 * virtio_blk_destroy() says: vCPUs stopped, VM not yet destroyed.
 */
void virtio_pci_destroy(struct virtio_pci *p);

#endif /* VMCTL_VIRTIO_PCI_H */
