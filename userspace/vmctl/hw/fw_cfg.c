// SPDX-License-Identifier: GPL-2.0
/*
 * fw_cfg (fw_cfg.h), the traditional interface of QEMU's
 * docs/specs/fw_cfg.rst on the x86 ports, which QEMU decodes as one
 * 2-byte region at 0x510 (hw/nvram/fw_cfg.c, fw_cfg_comb_*), and so does
 * this device:
 *
 *   - a 16-bit write at 0x510 selects an item and rewinds it to offset 0;
 *   - a byte read at 0x510 or 0x511 returns the item's next byte, 0 once
 *     past its end (the offset stays there);
 *   - a byte write is a data write, which QEMU has ignored since 2.4, as
 *     here: nothing is writable;
 *   - any other access (a byte write is not a selection: QEMU wants the
 *     16-bit write, and two byte writes would be taken for data) is one
 *     QEMU refuses: it reads all ones and writes nothing, as an unclaimed
 *     port.
 *
 * The selector's bit 14 (write channel) is ignored and bit 15 picks the
 * architecture-local items, of which none are offered (no e820 table, ACPI
 * or SMBIOS blobs: vmctl writes the ACPI tables itself). An unknown key
 * selects an empty item.
 *
 * Items, integers little-endian as QEMU's fw_cfg_add_i16/i32/i64:
 *   0x00 SIGNATURE "QEMU"; 0x01 ID u32 1 (the traditional interface only:
 *   no DMA, no 0x514 register); 0x03 RAM_SIZE u64 bytes; 0x05 NB_CPUS and
 *   0x0f MAX_CPUS u16 (vmctl has no CPU hotplug: the same); 0x19 FILE_DIR,
 *   a big-endian u32 count of 0: a valid, empty directory.
 *   With a Linux kernel, as QEMU's x86 loader lays them out: 0x07
 *   KERNEL_ADDR u32, 0x08 KERNEL_SIZE u32 and 0x11 KERNEL_DATA, the
 *   protected-mode part of the bzImage (the file past its setup sectors)
 *   and where vmctl put it; 0x17 SETUP_SIZE u32 and 0x18 SETUP_DATA, the
 *   setup sectors as in the file (vmctl does not load them, so there is
 *   no SETUP_ADDR); 0x0a INITRD_ADDR, 0x0b INITRD_SIZE u32, 0x12
 *   INITRD_DATA when there is an initrd; 0x13 CMDLINE_ADDR u32, 0x14
 *   CMDLINE_SIZE u32 (with the NUL) and 0x15 CMDLINE_DATA (NUL-ended). A
 *   Multiboot kernel's file is KERNEL_DATA whole, at KERNEL_ADDR 0 (its
 *   segments go to the addresses its headers name).
 *   (CMDLINE_SIZE is 0x14 and CMDLINE_DATA 0x15, 0x13 being CMDLINE_ADDR,
 *   as in QEMU's header, which guests follow.)
 *
 * Each selection copies what the item is (pointer and size, or an
 * integer's bytes) under the lock, so concurrent vCPUs see whole items.
 */
#include <string.h>

#include "acpi/aml.h"
#include "core/vm.h"
#include "hw/fw_cfg.h"

void vmctl_fw_cfg_init(struct vmctl_fw_cfg *fw,
		       const struct vmctl_fw_cfg_config *cfg)
{
	memset(fw, 0, sizeof(*fw));
	pthread_mutex_init(&fw->lock, NULL);
	fw->cfg = cfg;
	vmctl_fw_cfg_select(fw, FW_CFG_SIGNATURE);
}

void vmctl_fw_cfg_destroy(struct vmctl_fw_cfg *fw)
{
	pthread_mutex_destroy(&fw->lock);
}

/* Select an integer item of @len bytes, little-endian. */
static void set_num(struct vmctl_fw_cfg *fw, uint64_t v, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		fw->num[i] = v >> i * 8;
	fw->data = fw->num;
	fw->size = len;
}

static void set_blob(struct vmctl_fw_cfg *fw, const void *data, uint32_t size)
{
	fw->data = data;
	fw->size = data ? size : 0;
}

/* With the lock held: what @key is, into fw->data and fw->size. */
static void lookup(struct vmctl_fw_cfg *fw, uint16_t key)
{
	const struct vmctl_fw_cfg_config *c = fw->cfg;
	const struct vmctl_fw_cfg_blob *k = &c->kernel, *i = &c->initrd;

	fw->data = NULL;
	fw->size = 0;
	if (key & FW_CFG_ARCH_LOCAL)
		return;
	switch (key & FW_CFG_ENTRY_MASK) {
	case FW_CFG_SIGNATURE:
		set_blob(fw, "QEMU", 4);
		return;
	case FW_CFG_ID:
		set_num(fw, FW_CFG_ID_TRADITIONAL, 4);
		return;
	case FW_CFG_RAM_SIZE:
		set_num(fw, c->ram_bytes, 8);
		return;
	case FW_CFG_NB_CPUS:
	case FW_CFG_MAX_CPUS:
		set_num(fw, c->cpus, 2);
		return;
	case FW_CFG_FILE_DIR:
		set_num(fw, 0, 4);	/* count, big-endian: 0 either way */
		return;
	}
	if (k->size) {
		switch (key & FW_CFG_ENTRY_MASK) {
		case FW_CFG_KERNEL_ADDR:
			set_num(fw, k->addr, 4);
			return;
		case FW_CFG_KERNEL_SIZE:
			set_num(fw, k->size, 4);
			return;
		case FW_CFG_KERNEL_DATA:
			set_blob(fw, k->data, k->size);
			return;
		}
	}
	if (c->setup.size) {
		switch (key & FW_CFG_ENTRY_MASK) {
		case FW_CFG_SETUP_SIZE:
			set_num(fw, c->setup.size, 4);
			return;
		case FW_CFG_SETUP_DATA:
			set_blob(fw, c->setup.data, c->setup.size);
			return;
		}
	}
	if (i->size) {
		switch (key & FW_CFG_ENTRY_MASK) {
		case FW_CFG_INITRD_ADDR:
			set_num(fw, i->addr, 4);
			return;
		case FW_CFG_INITRD_SIZE:
			set_num(fw, i->size, 4);
			return;
		case FW_CFG_INITRD_DATA:
			set_blob(fw, i->data, i->size);
			return;
		}
	}
	if (c->cmdline) {
		switch (key & FW_CFG_ENTRY_MASK) {
		case FW_CFG_CMDLINE_ADDR:
			set_num(fw, c->cmdline_addr, 4);
			return;
		case FW_CFG_CMDLINE_SIZE:
			set_num(fw, strlen(c->cmdline) + 1, 4);
			return;
		case FW_CFG_CMDLINE_DATA:
			set_blob(fw, c->cmdline, strlen(c->cmdline) + 1);
			return;
		}
	}
}

void vmctl_fw_cfg_select(struct vmctl_fw_cfg *fw, uint16_t key)
{
	pthread_mutex_lock(&fw->lock);
	fw->selector = key;
	fw->offset = 0;
	lookup(fw, key);
	pthread_mutex_unlock(&fw->lock);
}

uint8_t vmctl_fw_cfg_read_byte(struct vmctl_fw_cfg *fw)
{
	uint8_t v = 0;

	pthread_mutex_lock(&fw->lock);
	if (fw->offset < fw->size)
		v = fw->data[fw->offset++];
	pthread_mutex_unlock(&fw->lock);
	return v;
}

/* --- glue to vm.c ------------------------------------------------------- */

static void fw_cfg_io_read(void *opaque, uint64_t off, void *data,
			   unsigned int len)
{
	if (len != 1) {
		memset(data, 0xff, len);	/* refused, as QEMU does */
		return;
	}
	*(uint8_t *)data = vmctl_fw_cfg_read_byte(opaque);
}

static void fw_cfg_io_write(void *opaque, uint64_t off, const void *data,
			    unsigned int len)
{
	uint16_t key;

	if (off != 0 || len != 2)
		return;		/* data writes are ignored, the rest refused */
	memcpy(&key, data, 2);	/* x86: little-endian */
	vmctl_fw_cfg_select(opaque, key);
}

static const struct vmctl_io_ops fw_cfg_ops = {
	.read = fw_cfg_io_read, .write = fw_cfg_io_write,
};

int vmctl_fw_cfg_attach(struct vmctl_vm *vm, struct vmctl_fw_cfg *fw,
			const struct vmctl_fw_cfg_config *cfg)
{
	vmctl_fw_cfg_init(fw, cfg);
	return vmctl_bus_register(&vm->pio, VMCTL_FW_CFG_PORT, 2, &fw_cfg_ops,
				  fw, "fw_cfg");
}

/*
 * As QEMU's fw_cfg_add_acpi_dsdt() without DMA: Linux's qemu_fw_cfg
 * driver binds to QEMU0002 and takes its ports from _CRS.
 */
void vmctl_fw_cfg_dsdt(struct aml *aml)
{
	aml_scope_begin(aml, "\\_SB");
	aml_device_begin(aml, "FWCF");
	aml_name_string(aml, "_HID", "QEMU0002");
	aml_name_int(aml, "_STA", 0x0b);	/* present, enabled, not shown */
	aml_name_resources_begin(aml, "_CRS");
	aml_res_io(aml, VMCTL_FW_CFG_PORT, 2);
	aml_end(aml);
	aml_end(aml);
	aml_end(aml);
}
