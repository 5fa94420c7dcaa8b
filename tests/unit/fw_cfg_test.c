// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of vmctl's fw_cfg (userspace/vmctl/hw/fw_cfg.c) against
 * QEMU's docs/specs/fw_cfg.rst: the device on a real bus map, driven as a
 * guest does, a 16-bit write to 0x510 and byte reads of 0x511.
 *
 * Prints TAP and exits non-zero if any case failed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"
#include "hw/fw_cfg.h"
#include "unit.h"

static struct vmctl_vm vm;
static struct vmctl_fw_cfg fw;

static void sel(uint16_t key)
{
	vmctl_bus_access(&vm.pio, 0x510, true, &key, 2);
}

static uint8_t in8(uint16_t port)
{
	uint8_t v = 0x5a;

	vmctl_bus_access(&vm.pio, port, false, &v, 1);
	return v;
}

/* @len bytes of item @key into @buf, byte by byte from 0x511. */
static void item(uint16_t key, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t i;

	sel(key);
	for (i = 0; i < len; i++)
		p[i] = in8(0x511);
}

static uint64_t le(uint16_t key, unsigned int len)
{
	uint8_t b[8];
	uint64_t v = 0;

	item(key, b, len);
	while (len--)
		v = v << 8 | b[len];
	return v;
}

/* Is item @key exactly @len bytes of @want, then zeros? */
static bool item_is(uint16_t key, const void *want, size_t len)
{
	uint8_t *buf = malloc(len + 16);
	bool ok;
	size_t i;

	item(key, buf, len + 16);
	ok = !memcmp(buf, want, len);
	for (i = len; i < len + 16; i++)
		ok = ok && buf[i] == 0;
	free(buf);
	return ok;
}

int main(void)
{
	static uint8_t kernel[70000], setup[2560], initrd[5000];
	struct vmctl_fw_cfg_config cfg = {
		.ram_bytes = 3ULL << 30, .cpus = 4,
		.kernel = { kernel, sizeof(kernel), 0x100000 },
		.setup = { setup, sizeof(setup), 0 },
		.initrd = { initrd, sizeof(initrd), 0xbff00000 },
		.cmdline = "console=ttyS0 root=/dev/vda", .cmdline_addr = 0x20000,
	};
	struct vmctl_fw_cfg_config bare = { .ram_bytes = 256 << 20, .cpus = 1 };
	uint8_t buf[8], zero[4] = { 0 };
	struct tcase tc;
	uint32_t v;
	size_t i;

	for (i = 0; i < sizeof(kernel); i++)
		kernel[i] = i * 7 + (i >> 8);
	for (i = 0; i < sizeof(setup); i++)
		setup[i] = ~i;
	for (i = 0; i < sizeof(initrd); i++)
		initrd[i] = i * 13;
	vm.fd = -1;
	vmctl_bus_init(&vm.pio, "port");

	case_begin(&tc);
	check(&tc, !vmctl_fw_cfg_attach(&vm, &fw, &cfg), "attach failed");
	check(&tc, vmctl_bus_access(&vm.pio, 0x510, false, &v, 1) &&
	      vmctl_bus_access(&vm.pio, 0x511, false, &v, 1) &&
	      !vmctl_bus_access(&vm.pio, 0x50f, false, &v, 1) &&
	      !vmctl_bus_access(&vm.pio, 0x512, false, &v, 1) &&
	      !vmctl_bus_access(&vm.pio, 0x514, false, &v, 1),
	      "ports: not 0x510-0x511 (no DMA at 0x514)");
	check(&tc, item_is(FW_CFG_SIGNATURE, "QEMU", 4), "signature");
	check(&tc, le(FW_CFG_ID, 4) == 1, "ID %#llx: want traditional only",
	      (unsigned long long)le(FW_CFG_ID, 4));
	check(&tc, le(FW_CFG_RAM_SIZE, 8) == 3ULL << 30,
	      "RAM size %#llx (8 bytes LE)", (unsigned long long)le(FW_CFG_RAM_SIZE, 8));
	check(&tc, le(FW_CFG_NB_CPUS, 2) == 4 && le(FW_CFG_MAX_CPUS, 2) == 4,
	      "CPUs %llu max %llu", (unsigned long long)le(FW_CFG_NB_CPUS, 2),
	      (unsigned long long)le(FW_CFG_MAX_CPUS, 2));
	check(&tc, item_is(FW_CFG_FILE_DIR, zero, 4),
	      "file directory: not a big-endian count of 0");
	case_end(&tc, "fw_cfg: signature QEMU, ID 1 (no DMA), RAM size u64, CPUs u16, an empty file directory");

	case_begin(&tc);
	check(&tc, le(FW_CFG_KERNEL_ADDR, 4) == 0x100000 &&
	      le(FW_CFG_KERNEL_SIZE, 4) == sizeof(kernel),
	      "kernel at %#llx, %llu bytes", (unsigned long long)le(FW_CFG_KERNEL_ADDR, 4),
	      (unsigned long long)le(FW_CFG_KERNEL_SIZE, 4));
	check(&tc, item_is(FW_CFG_KERNEL_DATA, kernel, sizeof(kernel)),
	      "kernel data");
	check(&tc, le(FW_CFG_SETUP_SIZE, 4) == sizeof(setup) &&
	      item_is(FW_CFG_SETUP_DATA, setup, sizeof(setup)), "setup");
	check(&tc, le(FW_CFG_INITRD_ADDR, 4) == 0xbff00000 &&
	      le(FW_CFG_INITRD_SIZE, 4) == sizeof(initrd) &&
	      item_is(FW_CFG_INITRD_DATA, initrd, sizeof(initrd)), "initrd");
	check(&tc, le(FW_CFG_CMDLINE_ADDR, 4) == 0x20000 &&
	      le(FW_CFG_CMDLINE_SIZE, 4) == strlen(cfg.cmdline) + 1 &&
	      item_is(FW_CFG_CMDLINE_DATA, cfg.cmdline, strlen(cfg.cmdline) + 1),
	      "command line (with its NUL) at 0x14/0x15");
	case_end(&tc, "fw_cfg: kernel, setup, initrd and command line items read back byte by byte");

	case_begin(&tc);
	sel(FW_CFG_KERNEL_DATA);
	buf[0] = in8(0x511);
	buf[1] = in8(0x510);	/* QEMU: a byte read at either port */
	check(&tc, buf[0] == kernel[0] && buf[1] == kernel[1],
	      "0x511 then 0x510: %#x %#x", buf[0], buf[1]);
	sel(FW_CFG_SIGNATURE);
	check(&tc, in8(0x511) == 'Q', "a selection did not rewind");
	sel(FW_CFG_SIGNATURE);
	in8(0x511);
	sel(FW_CFG_SIGNATURE);
	check(&tc, in8(0x511) == 'Q', "selecting the same item did not rewind");
	/* Byte writes: data writes, ignored; the selection stays. */
	buf[0] = FW_CFG_ID;
	vmctl_bus_access(&vm.pio, 0x510, true, buf, 1);
	vmctl_bus_access(&vm.pio, 0x511, true, buf, 1);
	check(&tc, in8(0x511) == 'E', "a byte write changed the item or offset");
	/* Accesses QEMU refuses: a dword selector write, a word read. */
	v = FW_CFG_ID;
	vmctl_bus_access(&vm.pio, 0x510, true, &v, 4);
	check(&tc, in8(0x511) == 'M', "a dword write at 0x510 selected");
	v = 0;
	vmctl_bus_access(&vm.pio, 0x510, false, &v, 2);
	check(&tc, v == 0xffff && in8(0x511) == 'U', "a word read: %#x", v);
	check(&tc, in8(0x511) == 0 && in8(0x511) == 0, "past the end: not 0");
	sel(0x7ff0);
	check(&tc, in8(0x511) == 0, "an unknown key reads");
	sel(FW_CFG_ARCH_LOCAL | FW_CFG_SIGNATURE);
	check(&tc, in8(0x511) == 0, "an arch-local key reads the generic item");
	sel(FW_CFG_WRITE_CHANNEL | FW_CFG_SIGNATURE);
	check(&tc, in8(0x511) == 'Q', "the write-channel bit changed the key");
	case_end(&tc, "fw_cfg: 16-bit selection rewinds, byte reads advance, 0 past the end, byte writes ignored, others refused");

	vmctl_fw_cfg_destroy(&fw);
	vmctl_bus_destroy(&vm.pio);
	vmctl_bus_init(&vm.pio, "port");

	case_begin(&tc);
	check(&tc, !vmctl_fw_cfg_attach(&vm, &fw, &bare), "attach failed");
	check(&tc, item_is(FW_CFG_KERNEL_SIZE, "", 0) &&
	      item_is(FW_CFG_KERNEL_DATA, "", 0) &&
	      item_is(FW_CFG_INITRD_SIZE, "", 0) &&
	      item_is(FW_CFG_CMDLINE_SIZE, "", 0) &&
	      item_is(FW_CFG_SETUP_SIZE, "", 0),
	      "boot items without a kernel");
	check(&tc, le(FW_CFG_RAM_SIZE, 8) == 256 << 20 && le(FW_CFG_NB_CPUS, 2) == 1,
	      "RAM or CPUs");
	vmctl_fw_cfg_destroy(&fw);
	vmctl_bus_destroy(&vm.pio);
	case_end(&tc, "fw_cfg: no kernel, initrd or command line: their items are empty");
	return tap_finish();
}
