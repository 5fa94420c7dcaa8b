// SPDX-License-Identifier: GPL-2.0
/*
 * The PCI host bridge and the configuration space of its devices (pci.h).
 *
 * Config space is an array per device with a write mask: a guest write
 * changes only the bits the mask allows, which is all it takes for the
 * header's read-only fields, BAR sizing (the low bits of a BAR are not
 * writable, so writing all ones reads back the size) and capability
 * bodies. What a write means beyond that (a BAR moved, decode switched,
 * INTx disabled, MSI-X enabled) is worked out after it, under the device's
 * lock, so that a config write and the device's own INTx changes cannot
 * interleave.
 *
 * Two ways in, as on a PC: CONFIG_ADDRESS/CONFIG_DATA at 0xcf8/0xcfc (only
 * dword accesses to 0xcf8 are CONFIG_ADDRESS: 0xcf9 is the reset control
 * register of hw/pm.c, a byte port that PCs keep in the same block), and
 * ECAM, one 4 KiB page per function.
 */
#include <stdio.h>
#include <string.h>

#include "acpi/aml.h"
#include "core/vm.h"
#include "pci/msi.h"
#include "pci/msix.h"
#include "pci/pci.h"

#define CFG_ADDR_ENABLE		0x80000000u
#define HOST_VENDOR		0x1b36	/* Red Hat's ID for generic devices */
#define HOST_DEVICE		0x0008	/* "PCIe host bridge" */
#define CLASS_HOST_BRIDGE	0x060000

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

void pci_dev_init(struct pci_dev *d, const char *name,
		  const struct pci_dev_ops *ops, uint16_t vendor,
		  uint16_t device, uint32_t class, uint8_t revision,
		  uint16_t subsys_vendor, uint16_t subsys_id)
{
	memset(d, 0, sizeof(*d));
	d->name = name;
	d->ops = ops;
	pthread_mutex_init(&d->lock, NULL);
	put16(d->cfg + PCI_VENDOR_ID, vendor);
	put16(d->cfg + PCI_DEVICE_ID, device);
	d->cfg[PCI_REVISION_ID] = revision;
	d->cfg[PCI_CLASS_PROG] = class & 0xff;
	put16(d->cfg + PCI_CLASS_PROG + 1, class >> 8);
	put16(d->cfg + PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	put16(d->cfg + PCI_SUBSYSTEM_ID, subsys_id);
	put16(d->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
	      PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	d->cfg[PCI_INTERRUPT_PIN] = 1;		/* INTA# */
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;	/* scratch for the OS */
	d->next_cap = PCI_STD_HEADER_END;
}

void pci_dev_destroy(struct pci_dev *d)
{
	pthread_mutex_destroy(&d->lock);
}

int pci_dev_add_bar(struct pci_dev *d, int idx, uint64_t size, bool io,
		    const struct vmctl_io_ops *ops, void *opaque)
{
	uint8_t *reg = d->cfg + PCI_BASE_ADDRESS_0 + 4 * idx;
	uint32_t mask;

	if (idx < 0 || idx >= PCI_NUM_BARS || d->bar[idx].size ||
	    (size & (size - 1)) || size < (io ? 4 : 16) ||
	    size > (io ? 256 : (1u << 30))) {
		fprintf(stderr, "vmctl: %s: bad BAR %d of %#llx bytes\n",
			d->name, idx, (unsigned long long)size);
		return -1;
	}
	d->bar[idx] = (struct pci_bar){
		.size = size, .io = io, .ops = ops, .opaque = opaque,
	};
	/* Memory BARs: 32-bit, non-prefetchable (type bits 0). */
	mask = ~(uint32_t)(size - 1);
	put32(reg, io ? PCI_BASE_ADDRESS_SPACE_IO : 0);
	put32(d->wmask + PCI_BASE_ADDRESS_0 + 4 * idx, mask);
	return 0;
}

unsigned int pci_dev_add_cap(struct pci_dev *d, uint8_t id, unsigned int len,
			     const void *body, const void *wmask)
{
	unsigned int off = d->next_cap, prev;

	len = (len + 3) & ~3u;
	if (len < 4 || off + len > PCI_CFG_SPACE_SIZE)
		return 0;
	d->cfg[off] = id;
	d->cfg[off + 1] = 0;
	memcpy(d->cfg + off + 2, body, len - 2);
	if (wmask)
		memcpy(d->wmask + off + 2, wmask, len - 2);
	/* Chain it after the last capability. */
	if (!d->cfg[PCI_CAPABILITY_LIST]) {
		d->cfg[PCI_CAPABILITY_LIST] = off;
	} else {
		for (prev = d->cfg[PCI_CAPABILITY_LIST]; d->cfg[prev + 1];
		     prev = d->cfg[prev + 1])
			;
		d->cfg[prev + 1] = off;
	}
	put16(d->cfg + PCI_STATUS,
	      get16(d->cfg + PCI_STATUS) | PCI_STATUS_CAP_LIST);
	d->next_cap = off + len;
	return off;
}

/* ---- INTx ------------------------------------------------------------- */

/*
 * The line is shared: GSI g is asserted while any device on it asserts.
 * The _PRT makes Linux take PCI GSIs as level-triggered and active low, and
 * the IOAPIC takes polarity as programmed, so asserted means driven low.
 */
static void intx_update(struct pci_dev *d)
{
	struct pci_host *h = d->host;
	bool on = d->intx_level && !pci_msix_enabled(d) &&
		  !pci_msi_enabled_locked(d) &&
		  !(get16(d->cfg + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
	unsigned int i = d->gsi - PCI_INTX_GSI_BASE;

	put16(d->cfg + PCI_STATUS, (get16(d->cfg + PCI_STATUS) &
				    ~PCI_STATUS_INTERRUPT) |
	      (d->intx_level ? PCI_STATUS_INTERRUPT : 0));
	if (!h || on == d->intx_on)
		return;
	d->intx_on = on;
	pthread_mutex_lock(&h->lock);
	if (on ? h->intx_count[i]++ == 0 : --h->intx_count[i] == 0)
		vmctl_vm_irq_line(h->vm, d->gsi, !on);
	pthread_mutex_unlock(&h->lock);
}

void pci_dev_set_intx(struct pci_dev *d, bool level)
{
	pthread_mutex_lock(&d->lock);
	d->intx_level = level;
	intx_update(d);
	pthread_mutex_unlock(&d->lock);
}

/* ---- BARs on the bus map ---------------------------------------------- */

/* Where BAR @i should be on the bus now: true with *@addr, or false. */
static bool bar_target(struct pci_dev *d, int i, uint64_t *addr)
{
	const struct pci_bar *b = &d->bar[i];
	uint16_t cmd = get16(d->cfg + PCI_COMMAND);
	uint32_t v = get32(d->cfg + PCI_BASE_ADDRESS_0 + 4 * i);

	if (b->io) {
		*addr = v & ~3u & 0xffff;
		return (cmd & PCI_COMMAND_IO) && *addr >= PCI_IO_BASE &&
		       *addr + b->size - 1 <= PCI_IO_END;
	}
	*addr = v & ~0xfu;
	return (cmd & PCI_COMMAND_MEMORY) && *addr >= PCI_MMIO_BASE &&
	       *addr + b->size - 1 <= PCI_MMIO_END;
}

static void bars_update(struct pci_dev *d)
{
	struct vmctl_bus *bus;
	uint64_t addr, old;
	bool want, was;
	int i;

	for (i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &d->bar[i];

		if (!b->size)
			continue;
		bus = b->io ? &d->vm->pio : &d->vm->mmio;
		want = bar_target(d, i, &addr);
		was = b->mapped;
		old = b->addr;
		if (was && (!want || addr != old)) {
			vmctl_bus_unregister(bus, old, b->opaque);
			b->mapped = false;
		}
		if (want && !b->mapped) {
			/*
			 * A guest may place two BARs on top of each other; the
			 * second is then not decoded, as the bus cannot say
			 * which device answers.
			 */
			if (vmctl_bus_register(bus, addr, b->size, b->ops,
					       b->opaque, d->name) == 0) {
				b->mapped = true;
				b->addr = addr;
			}
		}
		if ((was != b->mapped || (b->mapped && old != b->addr)) &&
		    d->ops && d->ops->bar_moved)
			d->ops->bar_moved(d, i, was, old, b->mapped, b->addr);
	}
}

/* ---- Config space accesses -------------------------------------------- */

uint32_t pci_cfg_read(struct pci_dev *d, unsigned int off, unsigned int len)
{
	uint32_t v = 0;

	pthread_mutex_lock(&d->lock);
	if (off + len <= PCI_CFG_SPACE_SIZE)
		memcpy(&v, d->cfg + off, len);
	pthread_mutex_unlock(&d->lock);
	return v;
}

static bool overlaps(unsigned int off, unsigned int len, unsigned int start,
		     unsigned int end)
{
	return off < end && off + len > start;
}

static void cfg_write(struct pci_dev *d, unsigned int off, uint32_t val,
		      unsigned int len)
{
	unsigned int i;

	if (off >= PCI_CFG_SPACE_SIZE)
		return;		/* extended space: nothing there */
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < len; i++) {
		uint8_t m = d->wmask[off + i], b = val >> (8 * i);

		d->cfg[off + i] = (d->cfg[off + i] & ~m) | (b & m);
	}
	if (overlaps(off, len, PCI_COMMAND, PCI_COMMAND + 2) ||
	    overlaps(off, len, PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_0 + 24))
		bars_update(d);
	if (d->msix && overlaps(off, len, d->msix->cap, d->msix->cap + 12))
		pci_msix_config_written(d);
	if (d->msi && overlaps(off, len, d->msi->cap, d->msi->cap + 24))
		pci_msi_config_written(d);
	intx_update(d);
	if (d->ops && d->ops->config_written)
		d->ops->config_written(d, off, len);
	pthread_mutex_unlock(&d->lock);
}

static void cfg_read(struct pci_dev *d, unsigned int off, void *data,
		     unsigned int len)
{
	memset(data, 0, len);
	if (off >= PCI_CFG_SPACE_SIZE)
		return;
	pthread_mutex_lock(&d->lock);
	memcpy(data, d->cfg + off, len);
	pthread_mutex_unlock(&d->lock);
}

/*
 * One access to (device @slot, function @fn, register @off) of @len bytes,
 * naturally aligned, within a dword; anything else reads all ones, as a
 * master abort does, and writes nothing.
 */
static void cfg_access(struct pci_host *h, unsigned int slot, unsigned int fn,
		       unsigned int off, bool write, void *data,
		       unsigned int len)
{
	struct pci_dev *d = slot < PCI_MAX_SLOTS && !fn ? h->slot[slot] : NULL;
	uint32_t v = 0;

	if (!d || (len != 1 && len != 2 && len != 4) || (off & (len - 1))) {
		if (!write)
			memset(data, 0xff, len);
		return;
	}
	if (write) {
		memcpy(&v, data, len);
		cfg_write(d, off, v, len);
	} else {
		cfg_read(d, off, data, len);
	}
}

static void cfg_addr_read(void *opaque, uint64_t off, void *data,
			  unsigned int len)
{
	struct pci_host *h = opaque;

	memset(data, 0xff, len);
	if (len == 4) {
		pthread_mutex_lock(&h->lock);
		memcpy(data, &h->cfg_addr, 4);
		pthread_mutex_unlock(&h->lock);
	}
}

static void cfg_addr_write(void *opaque, uint64_t off, const void *data,
			   unsigned int len)
{
	struct pci_host *h = opaque;

	if (len != 4)
		return;		/* byte and word writes are not CONFIG_ADDRESS */
	pthread_mutex_lock(&h->lock);
	memcpy(&h->cfg_addr, data, 4);
	h->cfg_addr &= ~3u;
	pthread_mutex_unlock(&h->lock);
}

/*
 * CONFIG_DATA: the register CONFIG_ADDRESS selects, plus the byte offset
 * of the port. Only bus 0 exists.
 */
static void cfg_data(struct pci_host *h, uint64_t port_off, bool write,
		     void *data, unsigned int len)
{
	uint32_t a;

	pthread_mutex_lock(&h->lock);
	a = h->cfg_addr;
	pthread_mutex_unlock(&h->lock);
	if (!(a & CFG_ADDR_ENABLE) || ((a >> 16) & 0xff) ||
	    port_off + len > 4) {
		if (!write)
			memset(data, 0xff, len);
		return;
	}
	cfg_access(h, (a >> 11) & 0x1f, (a >> 8) & 7,
		   (a & 0xfc) + port_off, write, data, len);
}

static void cfg_data_read(void *opaque, uint64_t off, void *data,
			  unsigned int len)
{
	cfg_data(opaque, off, false, data, len);
}

static void cfg_data_write(void *opaque, uint64_t off, const void *data,
			   unsigned int len)
{
	cfg_data(opaque, off, true, (void *)data, len);
}

static const struct vmctl_io_ops cfg_addr_ops = {
	.read = cfg_addr_read, .write = cfg_addr_write,
};

static const struct vmctl_io_ops cfg_data_ops = {
	.read = cfg_data_read, .write = cfg_data_write,
};

/* ECAM: bits 19:15 device, 14:12 function, 11:0 register (bus 0 only). */
static void ecam_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	cfg_access(opaque, (off >> 15) & 0x1f, (off >> 12) & 7, off & 0xfff,
		   false, data, len);
}

static void ecam_write(void *opaque, uint64_t off, const void *data,
		       unsigned int len)
{
	cfg_access(opaque, (off >> 15) & 0x1f, (off >> 12) & 7, off & 0xfff,
		   true, (void *)data, len);
}

static const struct vmctl_io_ops ecam_ops = {
	.read = ecam_read, .write = ecam_write,
};

/* ---- The host bridge -------------------------------------------------- */

int pci_host_init(struct pci_host *h, struct vmctl_vm *vm)
{
	unsigned int i;

	memset(h, 0, sizeof(*h));
	h->vm = vm;
	pthread_mutex_init(&h->lock, NULL);
	h->next_mmio = PCI_MMIO_BASE;
	h->next_io = PCI_IO_BASE;
	pci_dev_init(&h->bridge, "pci-host", NULL, HOST_VENDOR, HOST_DEVICE,
		     CLASS_HOST_BRIDGE, 0, HOST_VENDOR, HOST_DEVICE);
	h->bridge.cfg[PCI_INTERRUPT_PIN] = 0;	/* no interrupt */
	h->bridge.host = h;
	h->bridge.vm = vm;
	h->slot[0] = &h->bridge;
	if (vmctl_bus_register(&vm->pio, PCI_CFG_PORT, 1, &cfg_addr_ops, h,
			       "pci-config-address") ||
	    vmctl_bus_register(&vm->pio, PCI_CFG_PORT + 4, 4, &cfg_data_ops, h,
			       "pci-config-data") ||
	    vmctl_bus_register(&vm->mmio, PCI_ECAM_BASE, PCI_ECAM_SIZE,
			       &ecam_ops, h, "pci-ecam"))
		return -1;
	/* Every INTx line starts deasserted, which is high (active low). */
	for (i = 0; i < PCI_INTX_GSIS; i++)
		if (vmctl_vm_irq_line(vm, PCI_INTX_GSI_BASE + i, 1))
			return -1;
	return 0;
}

void pci_host_destroy(struct pci_host *h)
{
	pci_dev_destroy(&h->bridge);
	pthread_mutex_destroy(&h->lock);
}

int pci_host_add(struct pci_host *h, struct pci_dev *d)
{
	unsigned int slot;
	uint64_t addr;
	int i;

	for (slot = 1; slot < PCI_MAX_SLOTS && h->slot[slot]; slot++)
		;
	if (slot == PCI_MAX_SLOTS) {
		fprintf(stderr, "vmctl: %s: all %d PCI slots are taken\n",
			d->name, PCI_MAX_SLOTS - 1);
		return -1;
	}
	d->host = h;
	d->vm = h->vm;
	d->slot = slot;
	d->gsi = PCI_INTX_GSI_BASE + slot % PCI_INTX_GSIS;
	d->cfg[PCI_INTERRUPT_LINE] = d->gsi;

	/* Place the BARs as firmware would: naturally aligned, in order. */
	for (i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &d->bar[i];
		uint8_t *reg = d->cfg + PCI_BASE_ADDRESS_0 + 4 * i;

		if (!b->size)
			continue;
		if (b->io) {
			addr = (h->next_io + b->size - 1) & ~(b->size - 1);
			if (addr + b->size - 1 > PCI_IO_END)
				goto full;
			h->next_io = addr + b->size;
			put32(reg, addr | PCI_BASE_ADDRESS_SPACE_IO);
		} else {
			addr = (h->next_mmio + b->size - 1) & ~(b->size - 1);
			if (addr + b->size - 1 > PCI_MMIO_END)
				goto full;
			h->next_mmio = addr + b->size;
			put32(reg, addr);
		}
	}
	h->slot[slot] = d;
	/*
	 * Decoding on, as firmware leaves a device it assigned: the BARs go
	 * on the bus map now.
	 */
	pthread_mutex_lock(&d->lock);
	put16(d->cfg + PCI_COMMAND,
	      get16(d->cfg + PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	bars_update(d);
	pthread_mutex_unlock(&d->lock);
	return 0;
full:
	fprintf(stderr, "vmctl: %s: no room left in the PCI windows for BAR %d\n",
		d->name, i);
	return -1;
}

/*
 * \_SB.PCI0: a PCI Express root bridge (PNP0A08, compatible with PNP0A03)
 * for segment 0, bus 0, with the windows the BARs are placed in and the
 * legacy ports routed through it as on a PC (everything but 0xcf8-0xcff,
 * which the bridge itself decodes); the _PRT gives every slot's four pins
 * their GSI. \_SB.ECAM (PNP0C02) claims the ECAM range: Linux uses ECAM
 * only if the MCFG region is reserved as a motherboard resource.
 */
void pci_host_dsdt(struct pci_host *h, struct aml *a)
{
	unsigned int slot, pin;

	aml_scope_begin(a, "\\_SB");
	aml_device_begin(a, "PCI0");
	aml_name_eisaid(a, "_HID", "PNP0A08");
	aml_name_eisaid(a, "_CID", "PNP0A03");
	aml_name_int(a, "_SEG", 0);
	aml_name_int(a, "_BBN", 0);
	aml_name_int(a, "_UID", 0);
	aml_name_resources_begin(a, "_CRS");
	aml_res_bus_numbers(a, 0, 0);
	aml_res_io(a, PCI_CFG_PORT, PCI_CFG_PORT_LEN);
	aml_res_io_window(a, 0x0000, PCI_CFG_PORT - 1);
	aml_res_io_window(a, PCI_CFG_PORT + PCI_CFG_PORT_LEN, PCI_IO_END);
	aml_res_mem_window(a, PCI_MMIO_BASE, PCI_MMIO_END);
	aml_end(a);
	aml_name_package_begin(a, "_PRT");
	for (slot = 1; slot < PCI_MAX_SLOTS; slot++) {
		for (pin = 0; pin < 4; pin++) {
			aml_package_begin(a);
			aml_int(a, (slot << 16) | 0xffff);	/* any function */
			aml_int(a, pin);
			aml_int(a, 0);		/* no link device: a GSI */
			aml_int(a, PCI_INTX_GSI_BASE +
				(slot + pin) % PCI_INTX_GSIS);
			aml_end(a);
		}
	}
	aml_end(a);
	for (slot = 1; h && slot < PCI_MAX_SLOTS; slot++)
		if (h->slot[slot] && h->slot[slot]->ops &&
		    h->slot[slot]->ops->dsdt)
			h->slot[slot]->ops->dsdt(h->slot[slot], a);
	aml_end(a);		/* PCI0 */
	aml_device_begin(a, "ECAM");
	aml_name_eisaid(a, "_HID", "PNP0C02");
	aml_name_resources_begin(a, "_CRS");
	aml_res_mem_fixed(a, PCI_ECAM_BASE, PCI_ECAM_SIZE);
	aml_end(a);
	aml_end(a);		/* ECAM */
	aml_end(a);		/* \_SB */
}
