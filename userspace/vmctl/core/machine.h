/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC that vmctl builds around a VM: the one place that decides which
 * devices a guest gets, in which order they are created, and the reverse
 * order in which they go. Devices say what they are in the DSDT
 * themselves; the machine only collects it.
 *
 * A kernel's machine: in-kernel LAPICs and IOAPIC, the in-kernel 8259s
 * and the 8254 PIT (or, on a module without HVX_CAP_PIC, the absent
 * 8259s' mask ports and no PIT), the serial ports, the ACPI PM registers and timer, the CMOS RTC,
 * QEMU's fw_cfg, a PCI host bridge and the disks on it, and the ACPI
 * tables describing them. A raw image's: one
 * vCPU, no interrupt controllers, the serial ports only. Either has the
 * exit port of test kernels if asked for.
 */
#ifndef VMCTL_MACHINE_H
#define VMCTL_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/vm.h"
#include "hw/exit_port.h"
#include "hw/fw_cfg.h"
#include "hw/pit.h"
#include "hw/pm.h"
#include "hw/rtc.h"
#include "pci/pci.h"

struct vmctl_serial;
struct virtio_balloon;
struct virtio_blk;
struct virtio_net;
struct virtio_net_opts;
struct block_opts;
struct raw_image;

#define VMCTL_MAX_SERIALS	4
#define VMCTL_MAX_DISKS		8
#define VMCTL_MAX_NICS		8

struct vmctl_machine_config {
	uint64_t mem_bytes;
	struct vmctl_mem_opts mem;	/* where the RAM comes from */
	unsigned int cpus;
	bool pc;			/* the kernel's machine, not a raw image's */
	/* Serial ports to attach (they outlive the machine: see serial.h). */
	struct vmctl_serial *serial[VMCTL_MAX_SERIALS];
	unsigned int nserial;
	/*
	 * Disks, virtio-blk on PCI, in this order (vda, vdb, ...): each its
	 * options and its image, opened by the caller (it outlives reboots).
	 */
	const struct block_opts *disk[VMCTL_MAX_DISKS];
	struct raw_image *image[VMCTL_MAX_DISKS];
	unsigned int ndisks;
	/* NICs, virtio-net on PCI after the disks: their taps (net/nic.h). */
	const struct virtio_net_opts *nic[VMCTL_MAX_NICS];
	unsigned int nnics;
	bool balloon;			/* a virtio-balloon after the NICs */
	/* The guest powered off or asked for a reset (hw/pm.h). */
	void (*on_poweroff)(void *opaque);
	void (*on_reset)(void *opaque);
	/*
	 * The RTC's clock minus the host's UTC (hw/rtc.h): read at creation,
	 * written back at destruction, so that a time the guest set outlives
	 * its reboots. NULL: start from the host's time each boot.
	 */
	int64_t *rtc_delta_ns;
	/* The exit port's (hw/exit_port.h), at @exit_port; 0: none. */
	uint16_t exit_port;
	void (*on_exit)(void *opaque, uint32_t status);
	void *opaque;
};

struct vmctl_machine {
	const struct vmctl_machine_config *cfg;
	struct vmctl_vm vm;
	struct vmctl_pm pm;
	struct vmctl_exit_port exit_port;
	struct vmctl_rtc rtc;
	struct vmctl_pit pit;
	struct vmctl_fw_cfg fw_cfg;
	/*
	 * What fw_cfg gives the guest: memory and CPUs from the config; the
	 * boot blobs are the caller's to fill in after loading the kernel and
	 * before the vCPUs run (fw_cfg.h), and to keep until destruction.
	 */
	struct vmctl_fw_cfg_config fw_cfg_items;
	struct pci_host pci;
	struct virtio_blk *disk[VMCTL_MAX_DISKS];
	struct virtio_net *nic[VMCTL_MAX_NICS];
	struct virtio_balloon *balloon;	/* NULL without one */
	/* How far creation got: destroy undoes exactly that. */
	unsigned int nserial, ndisks, nnics;
	bool vm_on, pic_on, pm_on, rtc_on, pit_on, fw_cfg_on, pci_on;
};

/* Create the VM and its devices. 0, or -1 with a message (nothing left). */
int vmctl_machine_create(struct vmctl_machine *m,
			 const struct vmctl_machine_config *cfg);
/*
 * Write the ACPI tables (the DSDT from every device) into guest memory;
 * the RSDP's address in *@rsdp_gpa. 0 or -1 with a message.
 */
int vmctl_machine_acpi(struct vmctl_machine *m, uint64_t *rsdp_gpa);
/* After the vCPUs stopped: the devices in reverse order, then the VM. */
void vmctl_machine_destroy(struct vmctl_machine *m);

#endif /* VMCTL_MACHINE_H */
