/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MSI-X (PCI Local Bus 3.0, 6.8.2) for a struct pci_dev: the capability in
 * config space, the vector table and the pending bit array in a BAR of
 * their own (table at offset 0, PBA at 2 KiB, a 4 KiB BAR: up to 128
 * vectors). A message goes to the in-kernel local APICs with
 * HVX_SIGNAL_MSI; a masked vector (its own mask bit or the function mask)
 * sets its pending bit instead, and unmasking sends what was pending.
 */
#ifndef VMCTL_MSIX_H
#define VMCTL_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct pci_dev;

#define PCI_MSIX_MAX_VECTORS	128
#define PCI_MSIX_BAR_SIZE	4096
#define PCI_MSIX_PBA_OFFSET	2048
#define PCI_MSIX_NO_VECTOR	0xffff	/* virtio's VIRTIO_MSI_NO_VECTOR */

struct pci_msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;	/* ctrl bit 0: masked */
};

struct pci_msix {
	struct pci_dev *dev;
	pthread_mutex_t lock;		/* table, PBA, enabled, maskall */
	bool enabled, maskall;		/* Message Control, as last written */
	unsigned int nvec, cap;		/* cap: the capability's config offset */
	struct pci_msix_entry table[PCI_MSIX_MAX_VECTORS];
	uint64_t pba[PCI_MSIX_MAX_VECTORS / 64];
	/*
	 * For irqfd users, who must follow what a vector's message is and
	 * whether it is masked. Both are called without @lock, so that they
	 * may ask pci_msix_message(); both are optional.
	 * vector_changed: the guest wrote vector @vec's entry (address, data
	 * or mask bit), from the vCPU thread of the BAR write.
	 * control_changed: a config write touched Message Control (MSI-X
	 * Enable, Function Mask), called with the PCI device's lock held.
	 */
	void (*vector_changed)(void *opaque, unsigned int vec);
	void (*control_changed)(void *opaque);
	void *opaque;
};

/* Add the capability and BAR @bar to @d, @nvec vectors. 0 or -1. */
int pci_msix_init(struct pci_dev *d, struct pci_msix *m, unsigned int nvec,
		  int bar);
void pci_msix_destroy(struct pci_msix *m);
/* MSI-X Enable is set (and so INTx is off for the function). */
bool pci_msix_enabled(struct pci_dev *d);
/*
 * Signal vector @vec: send its message, or set its pending bit if masked.
 * A vector outside the table, or PCI_MSIX_NO_VECTOR, is ignored. Safe
 * from any thread. 0, or -1 if the message could not be delivered.
 */
int pci_msix_notify(struct pci_dev *d, unsigned int vec);
/*
 * The message of vector @vec if it is deliverable now (enabled, unmasked):
 * true with *@addr and *@data, else false.
 */
bool pci_msix_message(struct pci_dev *d, unsigned int vec, uint64_t *addr,
		      uint32_t *data);
/* For pci.c: a config write touched the capability. */
void pci_msix_config_written(struct pci_dev *d);

#endif /* VMCTL_MSIX_H */
