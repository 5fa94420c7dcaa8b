// SPDX-License-Identifier: GPL-2.0
/*
 * MSI (msi.h). The capability, 24 bytes (PCI 3.0 figure 6-9, 64-bit
 * address with per-vector masking):
 *
 *   +0  ID 05h, next        +2  Message Control
 *   +4  Message Address     +8  Message Upper Address
 *   +12 Message Data        +16 Mask Bits       +20 Pending Bits
 *
 * Everything lives in config space, so the device's config lock covers
 * it: a notification from a device thread and the driver's config write
 * (unmasking, enabling) are serialized, and neither can lose a pending
 * vector. The write mask lets the driver change only MSI Enable, Multiple
 * Message Enable, the address (dword aligned), the data and the mask bits
 * of the vectors that exist; pending bits are read-only.
 */
#include <stdio.h>
#include <string.h>

#include "core/vm.h"
#include "pci/msi.h"
#include "pci/pci.h"

#define MSI_CTRL		2
#define MSI_ADDR_LO		4
#define MSI_ADDR_HI		8
#define MSI_DATA		12
#define MSI_MASK		16
#define MSI_PENDING		20
#define MSI_CAP_LEN		24

#define MSI_CTRL_ENABLE		0x0001
#define MSI_CTRL_MMC_SHIFT	1	/* Multiple Message Capable, log2 */
#define MSI_CTRL_MME_SHIFT	4	/* Multiple Message Enable, log2 */
#define MSI_CTRL_MME		(7u << MSI_CTRL_MME_SHIFT)
#define MSI_CTRL_64BIT		0x0080
#define MSI_CTRL_MASKABLE	0x0100

static uint32_t cfg32(const struct pci_dev *d, unsigned int off)
{
	uint32_t v;

	memcpy(&v, d->cfg + off, 4);
	return v;
}

static uint16_t cfg16(const struct pci_dev *d, unsigned int off)
{
	uint16_t v;

	memcpy(&v, d->cfg + off, 2);
	return v;
}

int pci_msi_init(struct pci_dev *d, struct pci_msi *m, unsigned int nvec)
{
	uint8_t body[MSI_CAP_LEN - 2] = { 0 }, wmask[MSI_CAP_LEN - 2] = { 0 };
	uint32_t addr_mask = ~3u, hi_mask = ~0u;
	uint32_t vec_mask = nvec == 32 ? ~0u : (1u << nvec) - 1;
	uint16_t ctrl = MSI_CTRL_64BIT | MSI_CTRL_MASKABLE, ctrl_wmask,
		 data_mask = 0xffff;
	unsigned int log2 = 0;

	if (!nvec || nvec > PCI_MSI_MAX_VECTORS || (nvec & (nvec - 1))) {
		fprintf(stderr, "vmctl: %s: %u MSI vectors\n", d->name, nvec);
		return -1;
	}
	while ((1u << log2) < nvec)
		log2++;
	memset(m, 0, sizeof(*m));
	m->dev = d;
	m->nvec = nvec;
	ctrl |= log2 << MSI_CTRL_MMC_SHIFT;
	ctrl_wmask = MSI_CTRL_ENABLE | MSI_CTRL_MME;
	memcpy(body, &ctrl, 2);
	/* Mask bits reset to 0: vectors start unmasked (6.8.1.7). */
	memcpy(wmask, &ctrl_wmask, 2);
	memcpy(wmask + MSI_ADDR_LO - 2, &addr_mask, 4);
	memcpy(wmask + MSI_ADDR_HI - 2, &hi_mask, 4);
	memcpy(wmask + MSI_DATA - 2, &data_mask, 2);
	memcpy(wmask + MSI_MASK - 2, &vec_mask, 4);
	m->cap = pci_dev_add_cap(d, PCI_CAP_ID_MSI, MSI_CAP_LEN, body, wmask);
	if (!m->cap) {
		fprintf(stderr, "vmctl: %s: no room for the MSI capability\n",
			d->name);
		return -1;
	}
	d->msi = m;
	return 0;
}

/* With the device's config lock held. */
bool pci_msi_enabled_locked(struct pci_dev *d)
{
	return d->msi && (cfg16(d, d->msi->cap + MSI_CTRL) & MSI_CTRL_ENABLE);
}

bool pci_msi_enabled(struct pci_dev *d)
{
	bool on;

	pthread_mutex_lock(&d->lock);
	on = pci_msi_enabled_locked(d);
	pthread_mutex_unlock(&d->lock);
	return on;
}

/* Vectors the driver enabled: 2^MME, at most what the device has. */
static unsigned int enabled_vectors(const struct pci_dev *d)
{
	const struct pci_msi *m = d->msi;
	unsigned int mme = (cfg16(d, m->cap + MSI_CTRL) & MSI_CTRL_MME) >>
			   MSI_CTRL_MME_SHIFT;

	return mme > 5 || (1u << mme) > m->nvec ? m->nvec : 1u << mme;
}

/* Send or hold @vec; with the device's config lock held. */
static int signal_locked(struct pci_dev *d, unsigned int vec)
{
	struct pci_msi *m = d->msi;
	uint64_t addr = (uint64_t)cfg32(d, m->cap + MSI_ADDR_HI) << 32 |
			cfg32(d, m->cap + MSI_ADDR_LO);
	uint32_t data = cfg16(d, m->cap + MSI_DATA);
	uint32_t pending = cfg32(d, m->cap + MSI_PENDING);

	if (cfg32(d, m->cap + MSI_MASK) & (1u << vec)) {
		pending |= 1u << vec;
		memcpy(d->cfg + m->cap + MSI_PENDING, &pending, 4);
		return 0;
	}
	pending &= ~(1u << vec);
	memcpy(d->cfg + m->cap + MSI_PENDING, &pending, 4);
	/* Multiple messages: the vector replaces the data's low bits. */
	data = (data & ~(enabled_vectors(d) - 1)) | vec;
	return vmctl_vm_signal_msi(d->vm, addr, data);
}

int pci_msi_notify(struct pci_dev *d, unsigned int vec)
{
	int ret = 0;

	if (!d->msi)
		return 0;
	pthread_mutex_lock(&d->lock);
	if (pci_msi_enabled_locked(d) && vec < enabled_vectors(d))
		ret = signal_locked(d, vec);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

void pci_msi_config_written(struct pci_dev *d)
{
	struct pci_msi *m = d->msi;
	uint32_t pending = cfg32(d, m->cap + MSI_PENDING);
	unsigned int v;

	if (!pci_msi_enabled_locked(d))
		return;
	for (v = 0; v < m->nvec; v++)
		if ((pending & (1u << v)) &&
		    !(cfg32(d, m->cap + MSI_MASK) & (1u << v)))
			signal_locked(d, v);
}
