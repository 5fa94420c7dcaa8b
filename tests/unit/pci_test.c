// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl's PCI (pci/pci.c, pci/msix.c) on the real bus maps (core/bus.c),
 * driven as a guest's PCI code drives it: enumeration through 0xcf8/0xcfc
 * and ECAM, BAR sizing and moves, decode on and off, INTx on a shared
 * active-low line, and MSI-X masking with pending bits. The VM's interrupt
 * ioctls are replaced by recorders (the only stand-ins here).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/vm.h"
#include "pci/msi.h"
#include "pci/msix.h"
#include "pci/pci.h"
#include "unit.h"

/* --- the VM's interrupt side, recorded ---------------------------------- */

static int line[32];		/* last level per GSI, -1: never driven */
static unsigned int msis;
static uint64_t msi_addr;
static uint32_t msi_data;

int vmctl_vm_irq_line(struct vmctl_vm *vm, unsigned int gsi, int level)
{
	if (gsi < ARRAY_SIZE(line))
		line[gsi] = level;
	return 0;
}

int vmctl_vm_signal_msi(struct vmctl_vm *vm, uint64_t addr, uint32_t data)
{
	msis++;
	msi_addr = addr;
	msi_data = data;
	return 0;
}

/* --- a test device: BAR 0 of 4 KiB that remembers its last write ------- */

struct testdev {
	struct pci_dev pci;
	struct pci_msix msix;
	struct pci_msi msi;
	uint64_t last_off;
	uint32_t last_val;
	unsigned int writes, moves;
};

static void tdev_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	uint32_t v = 0xd0000000 | (uint32_t)off;

	memcpy(data, &v, len < 4 ? len : 4);
}

static void tdev_write(void *opaque, uint64_t off, const void *data,
		       unsigned int len)
{
	struct testdev *t = opaque;

	t->last_off = off;
	t->last_val = 0;
	memcpy(&t->last_val, data, len < 4 ? len : 4);
	t->writes++;
}

static const struct vmctl_io_ops tdev_ops = {
	.read = tdev_read, .write = tdev_write,
};

static void tdev_moved(struct pci_dev *d, int bar, bool was, uint64_t old,
		       bool now, uint64_t new)
{
	((struct testdev *)d)->moves++;
}

static const struct pci_dev_ops tdev_pci_ops = { .bar_moved = tdev_moved };

/* --- guest-side accessors ---------------------------------------------- */

static struct vmctl_vm vm;

static uint32_t cf8_read(unsigned int slot, unsigned int reg, unsigned int len)
{
	uint32_t a = 0x80000000u | slot << 11 | (reg & 0xfc), v = 0;

	vmctl_bus_access(&vm.pio, 0xcf8, true, &a, 4);
	vmctl_bus_access(&vm.pio, 0xcfc + (reg & 3), false, &v, len);
	return v;
}

static void cf8_write(unsigned int slot, unsigned int reg, uint32_t v,
		      unsigned int len)
{
	uint32_t a = 0x80000000u | slot << 11 | (reg & 0xfc);

	vmctl_bus_access(&vm.pio, 0xcf8, true, &a, 4);
	vmctl_bus_access(&vm.pio, 0xcfc + (reg & 3), true, &v, len);
}

static uint32_t ecam_read(unsigned int slot, unsigned int fn,
			  unsigned int reg, unsigned int len)
{
	uint32_t v = 0;

	vmctl_bus_access(&vm.mmio, PCI_ECAM_BASE + (slot << 15 | fn << 12 | reg),
			 false, &v, len);
	return v;
}

static uint32_t mmio_read32(uint64_t addr)
{
	uint32_t v = 0;

	vmctl_bus_access(&vm.mmio, addr, false, &v, 4);
	return v;
}

static void mmio_write32(uint64_t addr, uint32_t v)
{
	vmctl_bus_access(&vm.mmio, addr, true, &v, 4);
}

static void setup(struct pci_host *h, struct testdev *t, bool msix)
{
	memset(&vm, 0, sizeof(vm));
	vm.fd = -1;
	vmctl_bus_init(&vm.pio, "port");
	vmctl_bus_init(&vm.mmio, "MMIO");
	memset(line, 0xff, sizeof(line));
	msis = 0;
	memset(t, 0, sizeof(*t));
	pci_host_init(h, &vm);
	pci_dev_init(&t->pci, "testdev", &tdev_pci_ops, 0x1af4, 0x1042,
		     0x018000, 1, 0x1af4, 2);
	pci_dev_add_bar(&t->pci, 0, 4096, false, &tdev_ops, t);
	if (msix)
		pci_msix_init(&t->pci, &t->msix, 3, 1);
	pci_host_add(h, &t->pci);
}

static void teardown(struct pci_host *h, struct testdev *t)
{
	if (t->pci.msix)
		pci_msix_destroy(&t->msix);
	pci_dev_destroy(&t->pci);
	pci_host_destroy(h);
	vmctl_bus_destroy(&vm.pio);
	vmctl_bus_destroy(&vm.mmio);
}

static void enumeration_test(void)
{
	struct pci_host h;
	struct testdev t;
	struct tcase tc;
	unsigned int gsi;

	case_begin(&tc);
	setup(&h, &t, false);
	check(&tc, cf8_read(0, 0, 4) == 0x00081b36, "00.0 IDs %#x",
	      cf8_read(0, 0, 4));
	check(&tc, cf8_read(0, 0x08, 4) >> 8 == 0x060000, "00.0 class %#x",
	      cf8_read(0, 0x08, 4) >> 8);
	check(&tc, cf8_read(1, 0, 4) == 0x10421af4, "01.0 IDs %#x",
	      cf8_read(1, 0, 4));
	check(&tc, cf8_read(1, 0x2c, 4) == 0x00021af4, "01.0 subsystem %#x",
	      cf8_read(1, 0x2c, 4));
	check(&tc, cf8_read(1, 0x02, 2) == 0x1042, "word read at +2: %#x",
	      cf8_read(1, 0x02, 2));
	check(&tc, cf8_read(2, 0, 4) == 0xffffffff, "empty slot reads %#x",
	      cf8_read(2, 0, 4));
	check(&tc, ecam_read(1, 0, 0, 4) == 0x10421af4 &&
	      ecam_read(1, 1, 0, 4) == 0xffffffff &&
	      ecam_read(1, 0, 0x100, 4) == 0, "ECAM: IDs, function 1, extended space");
	gsi = cf8_read(1, PCI_INTERRUPT_LINE, 1);
	check(&tc, gsi == 17 && cf8_read(1, PCI_INTERRUPT_PIN, 1) == 1,
	      "slot 1: INTA on GSI %u", gsi);
	check(&tc, line[16] == 1 && line[23] == 1,
	      "PCI GSIs start deasserted (high): %d %d", line[16], line[23]);
	/* CONFIG_ADDRESS is only a dword port: 0xcf9 stays someone else's. */
	check(&tc, !vmctl_bus_access(&vm.pio, 0xcf9, false, &(uint8_t){ 0 }, 1),
	      "0xcf9 is claimed by the host bridge");
	teardown(&h, &t);
	case_end(&tc, "pci: enumeration through 0xcf8/0xcfc and ECAM, IDs, empty slots, INTx routing");
}

static void bar_test(void)
{
	struct pci_host h;
	struct testdev t;
	struct tcase tc;
	uint32_t bar, size;

	case_begin(&tc);
	setup(&h, &t, false);
	bar = cf8_read(1, 0x10, 4);
	check(&tc, bar == PCI_MMIO_BASE, "BAR 0 placed at %#x", bar);
	check(&tc, mmio_read32(bar + 0x10) == 0xd0000010,
	      "BAR 0 not decoded at its address");
	/* Sizing, as Linux does it: decode off, all ones, read, restore. */
	cf8_write(1, PCI_COMMAND, 0, 2);
	check(&tc, mmio_read32(bar) == 0xffffffff, "decoded with MEMORY off");
	cf8_write(1, 0x10, 0xffffffff, 4);
	size = ~(cf8_read(1, 0x10, 4) & ~0xfu) + 1;
	check(&tc, size == 4096, "BAR 0 sizes as %#x", size);
	/* Move it and turn decode on: the device answers at the new place. */
	cf8_write(1, 0x10, 0xc8000000, 4);
	cf8_write(1, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	check(&tc, mmio_read32(0xc8000004) == 0xd0000004 &&
	      mmio_read32(bar) == 0xffffffff, "BAR 0 did not move");
	mmio_write32(0xc8000008, 0x1234);
	check(&tc, t.writes == 1 && t.last_off == 8 && t.last_val == 0x1234,
	      "write at the new place: off %#llx val %#x",
	      (unsigned long long)t.last_off, t.last_val);
	check(&tc, t.moves >= 2, "bar_moved called %u times", t.moves);
	/* Outside the window: not decoded at all. */
	cf8_write(1, 0x10, 0xf0000000, 4);
	check(&tc, mmio_read32(0xf0000000) == 0xffffffff,
	      "a BAR outside the window is decoded");
	/* Read-only header fields stay. */
	cf8_write(1, 0, 0x12345678, 4);
	check(&tc, cf8_read(1, 0, 4) == 0x10421af4, "vendor/device writable");
	teardown(&h, &t);
	case_end(&tc, "pci: BAR sizing, decode bit, moves, window, read-only IDs");
}

static void intx_test(void)
{
	struct pci_host h;
	struct testdev t, u, fill[7];
	struct tcase tc;
	unsigned int i;

	case_begin(&tc);
	setup(&h, &t, false);
	/* Slots 2-8 taken, so that the next device is on 9: GSI 17 again. */
	for (i = 0; i < ARRAY_SIZE(fill); i++) {
		pci_dev_init(&fill[i].pci, "filler", NULL, 0x1af4, 0x1041,
			     0x020000, 1, 0x1af4, 1);
		pci_host_add(&h, &fill[i].pci);
	}
	pci_dev_init(&u.pci, "second", NULL, 0x1af4, 0x1041, 0x020000, 1,
		     0x1af4, 1);
	pci_host_add(&h, &u.pci);
	check(&tc, u.pci.slot == 9 && u.pci.gsi == 17,
	      "the tenth device is in slot %u on GSI %u", u.pci.slot, u.pci.gsi);
	pci_dev_set_intx(&t.pci, true);
	check(&tc, line[17] == 0, "asserted INTx drives GSI 17 to %d", line[17]);
	check(&tc, cf8_read(1, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT,
	      "status lacks the interrupt bit");
	pci_dev_set_intx(&u.pci, true);
	pci_dev_set_intx(&t.pci, false);
	check(&tc, line[17] == 0, "the line went up with one device asserting");
	pci_dev_set_intx(&u.pci, false);
	check(&tc, line[17] == 1, "both deasserted: line %d", line[17]);
	/* INTX_DISABLE keeps it off, and releasing it brings it back. */
	pci_dev_set_intx(&t.pci, true);
	cf8_write(1, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE, 2);
	check(&tc, line[17] == 1, "INTX_DISABLE did not deassert");
	cf8_write(1, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	check(&tc, line[17] == 0, "re-enabled INTx not asserted");
	pci_dev_set_intx(&t.pci, false);
	pci_dev_destroy(&u.pci);
	for (i = 0; i < ARRAY_SIZE(fill); i++)
		pci_dev_destroy(&fill[i].pci);
	teardown(&h, &t);
	case_end(&tc, "pci: INTx is active low, shared per GSI, masked by INTX_DISABLE");
}

static void msix_test(void)
{
	struct pci_host h;
	struct testdev t;
	struct tcase tc;
	unsigned int cap;
	uint32_t tbl;

	case_begin(&tc);
	setup(&h, &t, true);
	cap = cf8_read(1, PCI_CAPABILITY_LIST, 1);
	check(&tc, cap && cf8_read(1, cap, 1) == PCI_CAP_ID_MSIX,
	      "no MSI-X capability (list at %#x)", cap);
	check(&tc, (cf8_read(1, cap + 2, 2) & 0x7ff) == 2, "table size %u",
	      (cf8_read(1, cap + 2, 2) & 0x7ff) + 1);
	check(&tc, cf8_read(1, cap + 4, 4) == 1 &&
	      cf8_read(1, cap + 8, 4) == (PCI_MSIX_PBA_OFFSET | 1),
	      "table/PBA BIR and offsets %#x %#x", cf8_read(1, cap + 4, 4),
	      cf8_read(1, cap + 8, 4));
	tbl = cf8_read(1, 0x14, 4) & ~0xfu;
	check(&tc, tbl && mmio_read32(tbl + 12) == 1, "vector 0 not masked at reset");
	/* Program vector 1, enable MSI-X; still masked: pending. */
	mmio_write32(tbl + 16, 0xfee01000);
	mmio_write32(tbl + 20, 0);
	mmio_write32(tbl + 24, 0x41);
	cf8_write(1, cap + 2, 0x8000, 2);
	check(&tc, pci_msix_enabled(&t.pci), "MSI-X not enabled");
	pci_msix_notify(&t.pci, 1);
	check(&tc, msis == 0, "a masked vector sent");
	check(&tc, mmio_read32(tbl + PCI_MSIX_PBA_OFFSET) == 2,
	      "PBA %#x", mmio_read32(tbl + PCI_MSIX_PBA_OFFSET));
	/* Unmask: the pending message goes, the bit clears. */
	mmio_write32(tbl + 28, 0);
	check(&tc, msis == 1 && msi_addr == 0xfee01000 && msi_data == 0x41,
	      "unmask sent %u messages (%#llx %#x)", msis,
	      (unsigned long long)msi_addr, msi_data);
	check(&tc, mmio_read32(tbl + PCI_MSIX_PBA_OFFSET) == 0, "PBA not cleared");
	pci_msix_notify(&t.pci, 1);
	check(&tc, msis == 2, "unmasked vector did not send");
	/* Function mask holds everything back. */
	cf8_write(1, cap + 2, 0xc000, 2);
	pci_msix_notify(&t.pci, 1);
	check(&tc, msis == 2, "sent under the function mask");
	cf8_write(1, cap + 2, 0x8000, 2);
	check(&tc, msis == 3, "function unmask did not send the pending one");
	/* Out-of-range vectors and accesses are ignored. */
	pci_msix_notify(&t.pci, 7);
	pci_msix_notify(&t.pci, PCI_MSIX_NO_VECTOR);
	mmio_write32(tbl + 3 * 16, 0x1);
	check(&tc, msis == 3 && mmio_read32(tbl + 3 * 16) == 0,
	      "out-of-range vectors or entries acted on");
	/* With MSI-X on, INTx is off. */
	pci_dev_set_intx(&t.pci, true);
	check(&tc, line[17] == 1, "INTx asserted under MSI-X");
	pci_dev_set_intx(&t.pci, false);
	teardown(&h, &t);
	case_end(&tc, "pci: MSI-X capability, table, masking and pending bits, function mask");
}

/* The bus map under the PCI code: overlaps refused, unclaimed counted. */
static void bus_test(void)
{
	struct vmctl_bus bus;
	struct testdev a;
	struct tcase tc;
	uint32_t v = 0;
	int i, fd, saved = dup(2);

	case_begin(&tc);
	vmctl_bus_init(&bus, "MMIO");
	memset(&a, 0, sizeof(a));
	check(&tc, !vmctl_bus_register(&bus, 0x1000, 0x100, &tdev_ops, &a, "a") &&
	      !vmctl_bus_register(&bus, 0x1100, 0x100, &tdev_ops, &a, "b") &&
	      !vmctl_bus_register(&bus, 0x800, 0x800, &tdev_ops, &a, "c"),
	      "adjacent ranges refused");
	/* The refusals print what overlapped: keep it out of the TAP log. */
	fd = open("/dev/null", O_WRONLY);
	dup2(fd, 2);
	check(&tc, vmctl_bus_register(&bus, 0x10ff, 2, &tdev_ops, &a, "x") &&
	      vmctl_bus_register(&bus, 0x0, 0x100000, &tdev_ops, &a, "y") &&
	      vmctl_bus_register(&bus, 0x1180, 1, &tdev_ops, &a, "z") &&
	      vmctl_bus_register(&bus, 0x2000, 0, &tdev_ops, &a, "empty"),
	      "an overlapping or empty range accepted");
	dup2(saved, 2);
	close(fd);
	close(saved);
	check(&tc, vmctl_bus_access(&bus, 0x11fc, false, &v, 4) &&
	      v == (0xd0000000 | 0xfc), "lookup at the end of b: %#x", v);
	check(&tc, !vmctl_bus_access(&bus, 0x1200, false, &v, 4) &&
	      v == 0xffffffff && bus.unclaimed_reads == 1 &&
	      bus.last_unclaimed == 0x1200, "unclaimed read: %#x", v);
	check(&tc, !vmctl_bus_unregister(&bus, 0x1100, &a) &&
	      vmctl_bus_unregister(&bus, 0x1100, &a) &&
	      !vmctl_bus_access(&bus, 0x1100, true, &v, 4) &&
	      bus.unclaimed_writes == 1, "unregister");
	/* Many ranges: bisection finds each. */
	for (i = 0; i < 1000; i++)
		vmctl_bus_register(&bus, 0x100000 + 0x10 * i, 0x10, &tdev_ops,
				   &a, "many");
	for (i = 0; i < 1000; i++)
		if (!vmctl_bus_access(&bus, 0x100000 + 0x10 * i + 0xf, false,
				      &v, 1))
			break;
	check(&tc, i == 1000, "range %d of 1000 not found", i);
	vmctl_bus_destroy(&bus);
	case_end(&tc, "bus: adjacent ranges fit, overlaps refused, lookups, unclaimed accesses counted");
}

static void msi_test(void)
{
	struct pci_host h;
	struct testdev t;
	struct tcase tc;
	unsigned int cap;
	uint16_t ctrl;

	case_begin(&tc);
	memset(&vm, 0, sizeof(vm));
	vm.fd = -1;
	vmctl_bus_init(&vm.pio, "port");
	vmctl_bus_init(&vm.mmio, "MMIO");
	msis = 0;
	memset(&t, 0, sizeof(t));
	pci_host_init(&h, &vm);
	pci_dev_init(&t.pci, "msidev", NULL, 0x1af4, 0x1042, 0x018000, 1,
		     0x1af4, 2);
	check(&tc, !pci_msi_init(&t.pci, &t.msi, 4), "pci_msi_init");
	pci_host_add(&h, &t.pci);
	cap = cf8_read(1, PCI_CAPABILITY_LIST, 1);
	ctrl = cf8_read(1, cap + 2, 2);
	check(&tc, cf8_read(1, cap, 1) == PCI_CAP_ID_MSI &&
	      ((ctrl >> 1) & 7) == 2 && (ctrl & 0x80) && (ctrl & 0x100),
	      "capability %#x control %#x (4 vectors, 64-bit, maskable)",
	      cf8_read(1, cap, 1), ctrl);
	/* Read-only bits stay; the address is dword aligned. */
	cf8_write(1, cap + 2, 0xfffe, 2);
	check(&tc, cf8_read(1, cap + 2, 2) == (ctrl | 0x70),
	      "control after writing 0xfffe: %#x", cf8_read(1, cap + 2, 2));
	cf8_write(1, cap + 4, 0xfee02003, 4);
	check(&tc, cf8_read(1, cap + 4, 4) == 0xfee02000, "address %#x",
	      cf8_read(1, cap + 4, 4));
	cf8_write(1, cap + 12, 0x4060, 2);
	/* Off: nothing is sent, and INTx still works. */
	pci_msi_notify(&t.pci, 0);
	pci_dev_set_intx(&t.pci, true);
	check(&tc, msis == 0 && line[17] == 0, "MSI off: %u sent, INTx %d",
	      msis, line[17]);
	pci_dev_set_intx(&t.pci, false);
	/* Enable with 4 vectors (MME 2): vector 2 sends data | 2. */
	cf8_write(1, cap + 2, 0x0021, 2);
	check(&tc, pci_msi_enabled(&t.pci), "MSI not enabled");
	pci_msi_notify(&t.pci, 2);
	check(&tc, msis == 1 && msi_addr == 0xfee02000 && msi_data == 0x4062,
	      "vector 2: %u sent, %#llx %#x", msis,
	      (unsigned long long)msi_addr, msi_data);
	pci_msi_notify(&t.pci, 4);
	check(&tc, msis == 1, "vector 4 of 4 sent");
	/* Masked: pending, then sent on unmask. */
	cf8_write(1, cap + 16, 0x2, 4);
	pci_msi_notify(&t.pci, 1);
	check(&tc, msis == 1 && cf8_read(1, cap + 20, 4) == 0x2,
	      "masked vector: %u sent, pending %#x", msis,
	      cf8_read(1, cap + 20, 4));
	cf8_write(1, cap + 20, 0, 4);
	check(&tc, cf8_read(1, cap + 20, 4) == 0x2, "pending bits writable");
	cf8_write(1, cap + 16, 0, 4);
	check(&tc, msis == 2 && msi_data == 0x4061 &&
	      cf8_read(1, cap + 20, 4) == 0, "unmask: %u sent, data %#x", msis,
	      msi_data);
	/* With MSI on, INTx is off. */
	pci_dev_set_intx(&t.pci, true);
	check(&tc, line[17] == 1, "INTx asserted under MSI");
	pci_dev_set_intx(&t.pci, false);
	pci_dev_destroy(&t.pci);
	pci_host_destroy(&h);
	vmctl_bus_destroy(&vm.pio);
	vmctl_bus_destroy(&vm.mmio);
	case_end(&tc, "pci: MSI capability: read-only bits, multiple messages, masking and pending bits, INTx off");
}

int main(void)
{
	bus_test();
	enumeration_test();
	bar_test();
	intx_test();
	msix_test();
	msi_test();
	return tap_finish();
}
