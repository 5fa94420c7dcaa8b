/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI for vmctl guests: one host bridge (bus 0, segment 0) whose
 * configuration space the guest reaches through ports 0xcf8/0xcfc and
 * through ECAM (the ACPI MCFG table), and the devices on it. A device is a
 * struct pci_dev embedded in the device's own state: a type-0 header, up
 * to six 32-bit BARs, a capability list, INTx on a GSI of the IOAPIC and,
 * optionally, MSI (msi.c) or MSI-X (msix.c).
 *
 * The layout (Documentation/devices.rst has the why):
 *   00.0       the host bridge (1b36:0008, class 0600)
 *   01.0-1f.0  devices, in the order machine.c creates them, function 0
 *   INTx       slot S pin P (A=0..D=3) on GSI 16 + (S + P) % 8, level,
 *              active low, in the DSDT's _PRT
 *   ECAM       PCI_ECAM_BASE, bus 0 only (1 MiB)
 *   windows    ports PCI_IO_BASE-0xffff, memory PCI_MMIO_BASE-PCI_MMIO_END
 * BARs are placed by vmctl, as firmware would, at creation, and move when
 * the guest rewrites them; a BAR is on the bus map only while its decode
 * bit (COMMAND.IO or COMMAND.MEMORY) is set and it holds an address inside
 * its window.
 */
#ifndef VMCTL_PCI_H
#define VMCTL_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"

struct vmctl_vm;
struct aml;

#define PCI_CFG_PORT		0xcf8	/* CONFIG_ADDRESS, then CONFIG_DATA at 0xcfc */
#define PCI_CFG_PORT_LEN	8
#define PCI_ECAM_BASE		0xe0000000ull
#define PCI_ECAM_SIZE		(1ull << 20)	/* bus 0: 32 devices x 8 functions x 4 KiB */
#define PCI_MMIO_BASE		0xc0000000ull
#define PCI_MMIO_END		0xdfffffffull	/* inclusive */
#define PCI_IO_BASE		0x1000
#define PCI_IO_END		0xffff
#define PCI_INTX_GSI_BASE	16
#define PCI_INTX_GSIS		8
#define PCI_MAX_SLOTS		32

/* Configuration space registers (PCI Local Bus 3.0, 6.2). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define  PCI_COMMAND_IO		0x0001
#define  PCI_COMMAND_MEMORY	0x0002
#define  PCI_COMMAND_MASTER	0x0004
#define  PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS		0x06
#define  PCI_STATUS_INTERRUPT	0x0008
#define  PCI_STATUS_CAP_LIST	0x0010
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_HEADER_TYPE		0x0e
#define PCI_BASE_ADDRESS_0	0x10
#define  PCI_BASE_ADDRESS_SPACE_IO 0x01
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d
#define PCI_STD_HEADER_END	0x40
#define PCI_CFG_SPACE_SIZE	256
#define PCI_ECAM_SPACE_SIZE	4096	/* offsets 256-4095 read 0 */

#define PCI_CAP_ID_MSIX		0x11
#define PCI_CAP_ID_VNDR		0x09

#define PCI_NUM_BARS		6

struct pci_dev;

struct pci_bar {
	uint64_t size;			/* a power of two, >= 16 (4 for I/O); 0: none */
	bool io;			/* an I/O BAR; else 32-bit memory */
	const struct vmctl_io_ops *ops;	/* accesses, at offsets from the BAR */
	void *opaque;
	/* Where it is on the bus map now, if @mapped; under the device's lock. */
	uint64_t addr;
	bool mapped;
};

struct pci_dev_ops {
	/*
	 * A BAR was unmapped from @old (if @was_mapped) and mapped at @new (if
	 * @now_mapped). For devices that registered something at a BAR's
	 * address elsewhere (virtio's ioeventfds). Called with the device's
	 * config lock held, from the vCPU thread of the config write.
	 */
	void (*bar_moved)(struct pci_dev *d, int bar, bool was_mapped,
			  uint64_t old, bool now_mapped, uint64_t new);
	/* A write to config space at @off (after the core applied it). */
	void (*config_written)(struct pci_dev *d, unsigned int off,
			       unsigned int len);
	/* Contribute DSDT objects below \_SB.PCI0 (optional). */
	void (*dsdt)(struct pci_dev *d, struct aml *aml);
};

struct pci_msix;
struct pci_msi;

struct pci_dev {
	const char *name;
	const struct pci_dev_ops *ops;
	struct pci_host *host;
	struct vmctl_vm *vm;
	uint8_t slot;			/* device number on bus 0 */
	unsigned int gsi;		/* INTx pin A's GSI */
	/* Config space and which bits the guest may write. */
	pthread_mutex_t lock;
	uint8_t cfg[PCI_CFG_SPACE_SIZE];
	uint8_t wmask[PCI_CFG_SPACE_SIZE];
	uint8_t next_cap;		/* where the next capability goes */
	struct pci_bar bar[PCI_NUM_BARS];
	struct pci_msix *msix;		/* NULL without MSI-X */
	struct pci_msi *msi;		/* NULL without MSI */
	bool intx_level;		/* the device asserts INTx */
	bool intx_on;			/* ... and it reaches the line */
};

/*
 * Fill the header of @d: IDs, class (base << 16 | sub << 8 | prog-if),
 * revision, interrupt pin A. BARs and capabilities are added after this,
 * before pci_host_add().
 */
void pci_dev_init(struct pci_dev *d, const char *name,
		  const struct pci_dev_ops *ops, uint16_t vendor,
		  uint16_t device, uint32_t class, uint8_t revision,
		  uint16_t subsys_vendor, uint16_t subsys_id);
void pci_dev_destroy(struct pci_dev *d);
/* BAR @idx of @size bytes (a power of two); accesses go to @ops. 0 or -1. */
int pci_dev_add_bar(struct pci_dev *d, int idx, uint64_t size, bool io,
		    const struct vmctl_io_ops *ops, void *opaque);
/*
 * Append a capability of @len bytes (ID and next pointer included) with
 * @body as its contents from byte 2 on, and @wmask (NULL: read-only) as
 * the writable bits of those bytes. Its config offset, or 0 if full.
 */
unsigned int pci_dev_add_cap(struct pci_dev *d, uint8_t id, unsigned int len,
			     const void *body, const void *wmask);

/*
 * INTx: drive pin A. The line is level-triggered and shared by the
 * devices of a GSI; the status register's interrupt bit follows @level,
 * and COMMAND.INTX_DISABLE keeps the line deasserted.
 */
void pci_dev_set_intx(struct pci_dev *d, bool level);

/* Config space accessors for device code (takes the device's lock). */
uint32_t pci_cfg_read(struct pci_dev *d, unsigned int off, unsigned int len);

struct pci_host {
	struct vmctl_vm *vm;
	pthread_mutex_t lock;		/* CONFIG_ADDRESS */
	uint32_t cfg_addr;
	struct pci_dev bridge;		/* 00.0 */
	struct pci_dev *slot[PCI_MAX_SLOTS];
	uint64_t next_mmio;		/* BAR placement */
	uint32_t next_io;
	unsigned int intx_count[PCI_INTX_GSIS];	/* devices asserting each GSI */
};

/*
 * The host bridge: 0xcf8-0xcff on the port bus, ECAM on the MMIO bus,
 * GSIs 16-23 deasserted. 0 or -1 with a message.
 */
int pci_host_init(struct pci_host *h, struct vmctl_vm *vm);
void pci_host_destroy(struct pci_host *h);
/* Put @d in the next free slot, place its BARs and map them. 0 or -1. */
int pci_host_add(struct pci_host *h, struct pci_dev *d);
/* The host bridge's DSDT (Device PCI0 with _CRS and _PRT, the ECAM's PNP0C02). */
void pci_host_dsdt(struct pci_host *h, struct aml *aml);

#endif /* VMCTL_PCI_H */
