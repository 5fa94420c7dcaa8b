/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU's firmware configuration interface (QEMU docs/specs/fw_cfg.rst),
 * the traditional port I/O form at 0x510-0x511: what a guest written for
 * QEMU reads to learn its memory size, CPUs and the kernel, initrd and
 * command line it was started with. fw_cfg.c says what is offered.
 */
#ifndef VMCTL_FW_CFG_H
#define VMCTL_FW_CFG_H

#include <pthread.h>
#include <stdint.h>

struct vmctl_vm;
struct aml;

#define VMCTL_FW_CFG_PORT	0x510	/* selector (16-bit write); 0x511 data */

/* Selector keys (QEMU's include/standard-headers/linux/qemu_fw_cfg.h). */
#define FW_CFG_SIGNATURE	0x00
#define FW_CFG_ID		0x01
#define FW_CFG_RAM_SIZE		0x03
#define FW_CFG_NB_CPUS		0x05
#define FW_CFG_KERNEL_ADDR	0x07
#define FW_CFG_KERNEL_SIZE	0x08
#define FW_CFG_INITRD_ADDR	0x0a
#define FW_CFG_INITRD_SIZE	0x0b
#define FW_CFG_MAX_CPUS		0x0f
#define FW_CFG_KERNEL_DATA	0x11
#define FW_CFG_INITRD_DATA	0x12
#define FW_CFG_CMDLINE_ADDR	0x13
#define FW_CFG_CMDLINE_SIZE	0x14
#define FW_CFG_CMDLINE_DATA	0x15
#define FW_CFG_SETUP_SIZE	0x17
#define FW_CFG_SETUP_DATA	0x18
#define FW_CFG_FILE_DIR		0x19
#define FW_CFG_WRITE_CHANNEL	0x4000
#define FW_CFG_ARCH_LOCAL	0x8000
#define FW_CFG_ENTRY_MASK	0x3fff

#define FW_CFG_ID_TRADITIONAL	(1u << 0)	/* no FW_CFG_ID_DMA (bit 1) */

/* Bytes the device gives out; the caller owns them. */
struct vmctl_fw_cfg_blob {
	const void *data;
	uint32_t size;		/* 0: the items of this blob are absent */
	uint32_t addr;		/* where the loader put it in guest memory */
};

/*
 * What the items say. The device keeps a pointer to this and reads it at
 * each selection, so the boot blobs may be filled in after the device is
 * made, once the loader has placed them, as long as that is before the
 * vCPUs run; they must stay valid until the device is destroyed.
 */
struct vmctl_fw_cfg_config {
	uint64_t ram_bytes;
	unsigned int cpus;
	/* A Linux kernel: its protected-mode part in @kernel, its setup sectors in @setup. */
	struct vmctl_fw_cfg_blob kernel, setup, initrd;
	const char *cmdline;	/* NULL: no command line items */
	uint32_t cmdline_addr;
};

struct vmctl_fw_cfg {
	pthread_mutex_t lock;	/* vCPU threads select and read at once */
	const struct vmctl_fw_cfg_config *cfg;
	uint16_t selector;
	uint32_t offset;	/* into the selected item */
	const uint8_t *data;	/* the selected item: @size bytes */
	uint32_t size;
	uint8_t num[8];		/* the value of an integer item, LE (or BE) */
};

/* The register logic without a VM; tests call these. */
void vmctl_fw_cfg_init(struct vmctl_fw_cfg *fw,
		       const struct vmctl_fw_cfg_config *cfg);
void vmctl_fw_cfg_destroy(struct vmctl_fw_cfg *fw);
void vmctl_fw_cfg_select(struct vmctl_fw_cfg *fw, uint16_t key);
/* The next byte of the selected item; 0 past its end. */
uint8_t vmctl_fw_cfg_read_byte(struct vmctl_fw_cfg *fw);

/* Initialize @fw and register 0x510-0x511 on @vm. 0, or -1 with a message. */
int vmctl_fw_cfg_attach(struct vmctl_vm *vm, struct vmctl_fw_cfg *fw,
			const struct vmctl_fw_cfg_config *cfg);

/* The DSDT's part: \_SB.FWCF, QEMU0002, as QEMU describes it. */
void vmctl_fw_cfg_dsdt(struct aml *aml);

#endif /* VMCTL_FW_CFG_H */
