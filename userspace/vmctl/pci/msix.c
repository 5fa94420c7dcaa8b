// SPDX-License-Identifier: GPL-2.0
/*
 * MSI-X (msix.h). The capability (PCI 3.0 6.8.2.1): Message Control with
 * the table size (read-only), Function Mask and MSI-X Enable (writable);
 * Table Offset/BIR and PBA Offset/BIR (read-only). The table and PBA live
 * in a BAR whose accesses come here.
 *
 * State changes come from three sides: config writes (enable, function
 * mask) from a vCPU, table writes from a vCPU, and notifications from
 * device threads. One mutex covers the table, the PBA and the cached
 * enable/mask bits; a message is sent under it, so that an unmask and a
 * notification cannot both send (or both miss) the same pending vector.
 */
#include <stdio.h>
#include <string.h>

#include "core/vm.h"
#include "pci/msix.h"
#include "pci/pci.h"

#define MSIX_CTRL_OFF		2	/* Message Control, from the capability */
#define MSIX_CTRL_ENABLE	0x8000
#define MSIX_CTRL_MASKALL	0x4000
#define MSIX_CAP_LEN		12
#define MSIX_ENTRY_SIZE		16
#define MSIX_ENTRY_CTRL_MASKED	0x1

static bool masked(const struct pci_msix *m, unsigned int vec)
{
	return m->maskall || (m->table[vec].ctrl & MSIX_ENTRY_CTRL_MASKED);
}

/* Send @vec's message; called with the lock held, the vector unmasked. */
static int send(struct pci_msix *m, unsigned int vec)
{
	const struct pci_msix_entry *e = &m->table[vec];

	return vmctl_vm_signal_msi(m->dev->vm,
				   (uint64_t)e->addr_hi << 32 | e->addr_lo,
				   e->data);
}

/* Send what is pending and no longer masked. */
static void flush_pending(struct pci_msix *m)
{
	unsigned int v;

	if (!m->enabled || m->maskall)
		return;
	for (v = 0; v < m->nvec; v++) {
		if (!(m->pba[v / 64] & (1ull << (v % 64))) || masked(m, v))
			continue;
		m->pba[v / 64] &= ~(1ull << (v % 64));
		send(m, v);
	}
}

static void table_read(void *opaque, uint64_t off, void *data,
		       unsigned int len)
{
	struct pci_msix *m = opaque;
	uint8_t buf[8] = { 0 };

	memset(data, 0xff, len);
	/* Dword or aligned qword accesses only (6.8.2). */
	if ((len != 4 && len != 8) || (off & (len - 1)))
		return;
	pthread_mutex_lock(&m->lock);
	if (off < PCI_MSIX_PBA_OFFSET) {
		if (off + len <= m->nvec * MSIX_ENTRY_SIZE)
			memcpy(buf, (uint8_t *)m->table + off, len);
	} else if (off - PCI_MSIX_PBA_OFFSET + len <= sizeof(m->pba)) {
		memcpy(buf, (uint8_t *)m->pba + off - PCI_MSIX_PBA_OFFSET,
		       len);
	}
	pthread_mutex_unlock(&m->lock);
	memcpy(data, buf, len);
}

static void table_write(void *opaque, uint64_t off, const void *data,
			unsigned int len)
{
	struct pci_msix *m = opaque;
	unsigned int vec = off / MSIX_ENTRY_SIZE;

	/* The PBA is read-only; a write past the table goes nowhere. */
	if ((len != 4 && len != 8) || (off & (len - 1)) ||
	    off + len > m->nvec * MSIX_ENTRY_SIZE)
		return;
	pthread_mutex_lock(&m->lock);
	memcpy((uint8_t *)m->table + off, data, len);
	/* Only bit 0 of Vector Control is defined; the rest reads 0. */
	m->table[vec].ctrl &= MSIX_ENTRY_CTRL_MASKED;
	flush_pending(m);
	pthread_mutex_unlock(&m->lock);
	if (m->vector_changed)
		m->vector_changed(m->opaque, vec);
}

static const struct vmctl_io_ops table_ops = {
	.read = table_read, .write = table_write,
};

int pci_msix_init(struct pci_dev *d, struct pci_msix *m, unsigned int nvec,
		  int bar)
{
	uint8_t body[MSIX_CAP_LEN - 2], wmask[MSIX_CAP_LEN - 2] = { 0 };
	uint16_t ctrl = nvec - 1, ctrl_wmask = MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL;
	uint32_t table = 0 | bar, pba = PCI_MSIX_PBA_OFFSET | bar;
	unsigned int v;

	if (!nvec || nvec > PCI_MSIX_MAX_VECTORS) {
		fprintf(stderr, "vmctl: %s: %u MSI-X vectors\n", d->name, nvec);
		return -1;
	}
	memset(m, 0, sizeof(*m));
	m->dev = d;
	m->nvec = nvec;
	pthread_mutex_init(&m->lock, NULL);
	/* Reset state: every vector masked (6.8.2.9). */
	for (v = 0; v < nvec; v++)
		m->table[v].ctrl = MSIX_ENTRY_CTRL_MASKED;
	memcpy(body, &ctrl, 2);
	memcpy(body + 2, &table, 4);
	memcpy(body + 6, &pba, 4);
	memcpy(wmask, &ctrl_wmask, 2);
	if (pci_dev_add_bar(d, bar, PCI_MSIX_BAR_SIZE, false, &table_ops, m))
		return -1;
	m->cap = pci_dev_add_cap(d, PCI_CAP_ID_MSIX, MSIX_CAP_LEN, body, wmask);
	if (!m->cap) {
		fprintf(stderr, "vmctl: %s: no room for the MSI-X capability\n",
			d->name);
		return -1;
	}
	d->msix = m;
	return 0;
}

void pci_msix_destroy(struct pci_msix *m)
{
	pthread_mutex_destroy(&m->lock);
}

/* Called by pci.c with the device's lock held, after a config write. */
void pci_msix_config_written(struct pci_dev *d)
{
	struct pci_msix *m = d->msix;
	uint16_t ctrl;

	memcpy(&ctrl, d->cfg + m->cap + MSIX_CTRL_OFF, 2);
	pthread_mutex_lock(&m->lock);
	m->enabled = ctrl & MSIX_CTRL_ENABLE;
	m->maskall = ctrl & MSIX_CTRL_MASKALL;
	flush_pending(m);
	pthread_mutex_unlock(&m->lock);
	if (m->control_changed)
		m->control_changed(m->opaque);
}

bool pci_msix_enabled(struct pci_dev *d)
{
	struct pci_msix *m = d->msix;
	bool on;

	if (!m)
		return false;
	pthread_mutex_lock(&m->lock);
	on = m->enabled;
	pthread_mutex_unlock(&m->lock);
	return on;
}

int pci_msix_notify(struct pci_dev *d, unsigned int vec)
{
	struct pci_msix *m = d->msix;
	int ret = 0;

	if (!m || vec >= m->nvec)
		return 0;
	pthread_mutex_lock(&m->lock);
	if (!m->enabled)
		;		/* the device should have used INTx */
	else if (masked(m, vec))
		m->pba[vec / 64] |= 1ull << (vec % 64);
	else
		ret = send(m, vec);
	pthread_mutex_unlock(&m->lock);
	return ret;
}

bool pci_msix_message(struct pci_dev *d, unsigned int vec, uint64_t *addr,
		      uint32_t *data)
{
	struct pci_msix *m = d->msix;
	bool ok;

	if (!m || vec >= m->nvec)
		return false;
	pthread_mutex_lock(&m->lock);
	ok = m->enabled && !masked(m, vec);
	if (ok) {
		*addr = (uint64_t)m->table[vec].addr_hi << 32 |
			m->table[vec].addr_lo;
		*data = m->table[vec].data;
	}
	pthread_mutex_unlock(&m->lock);
	return ok;
}
