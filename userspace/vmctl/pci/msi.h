/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MSI (PCI Local Bus 3.0, 6.8.1) for a struct pci_dev: the capability with
 * a 64-bit message address and per-vector masking, for devices with few
 * interrupts that need no MSI-X table. The driver may enable 1, 2, 4, ...
 * vectors (Multiple Message Enable); vector i sends data | i, as the low
 * bits of the data are the vector number. A masked vector sets its pending
 * bit instead, and unmasking sends it.
 */
#ifndef VMCTL_MSI_H
#define VMCTL_MSI_H

#include <stdbool.h>
#include <stdint.h>

struct pci_dev;

#define PCI_CAP_ID_MSI		0x05
#define PCI_MSI_MAX_VECTORS	32

/* Its state is in config space, under the device's config lock. */
struct pci_msi {
	struct pci_dev *dev;
	unsigned int cap;		/* the capability's config offset */
	unsigned int nvec;		/* Multiple Message Capable, as a count */
};

/* Add the capability to @d with @nvec vectors (a power of two). 0 or -1. */
int pci_msi_init(struct pci_dev *d, struct pci_msi *m, unsigned int nvec);
/* MSI Enable is set (and so INTx is off for the function). */
bool pci_msi_enabled(struct pci_dev *d);
/* The same, for pci.c, with the device's config lock held. */
bool pci_msi_enabled_locked(struct pci_dev *d);
/*
 * Signal vector @vec: send data | @vec to the programmed address, or set
 * its pending bit if masked; nothing if MSI is off or @vec is beyond the
 * vectors the driver enabled. 0, or -1 if the message was not delivered.
 */
int pci_msi_notify(struct pci_dev *d, unsigned int vec);
/* For pci.c: a config write touched the capability (device lock held). */
void pci_msi_config_written(struct pci_dev *d);

#endif /* VMCTL_MSI_H */
