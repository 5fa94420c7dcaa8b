// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of vmctl's Linux loader (userspace/vmctl/loader_linux.c)
 * and CPUID filter (userspace/vmctl/cpuid.c), without /dev/hvx: the guest
 * memory is a calloc()ed buffer in a fake struct vmctl_vm, and only the
 * halves that need no vCPU fd are called.
 *
 *   loader_linux_test [BZIMAGE]
 *
 * BZIMAGE, normally the newest /boot/vmlinuz-*, is loaded as the real
 * kernel case; without it those cases are skipped. Synthetic bzImages and
 * synthetic host CPUID leaves cover the rest. Prints TAP, in the format of
 * unit_test.c, and exits non-zero if any case failed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/boot_params.h"
#include "unit.h"
#include "core/vm.h"
#include "vmctl_fixture.h"

#define MIB		(1ULL << 20)
#define GIB		(1ULL << 30)
#define LINUX_MEM	(256 * MIB)	/* vmctl run --kernel's default */

/* --- helpers (and those of vmctl_fixture.c) ------------------------------ */

static const struct bp_zero_page *zero_page(const struct vmctl_vm *vm)
{
	return (const struct bp_zero_page *)(vm->mem + LINUX_ZERO_PAGE_ADDR);
}

/*
 * A 4-level walk of the guest's page tables, as the CPU would do it for a
 * 64-bit guest (SDM Vol. 3A 4.5): the physical address, or -1 if @va is
 * not mapped. Only 2 MiB and 1 GiB pages and 4 KiB tables are followed.
 */
static int64_t walk(const struct vmctl_vm *vm, uint64_t cr3, uint64_t va)
{
	const uint64_t addr_mask = 0x000ffffffffff000ULL;
	uint64_t table = cr3 & addr_mask, e = 0;
	int level;

	for (level = 4; level >= 2; level--) {
		uint64_t idx = (va >> (12 + 9 * (level - 1))) & 511;

		if (table + idx * 8 + 8 > vm->mem_size)
			return -1;
		e = get64(vm, table + idx * 8);
		if (!(e & 1))
			return -1;
		if (level == 2 && (e & 0x80))
			return (e & addr_mask & ~0x1fffffULL) | (va & 0x1fffff);
		if (level == 3 && (e & 0x80))
			return (e & addr_mask & ~0x3fffffffULL) | (va & 0x3fffffff);
		table = e & addr_mask;
	}
	return -1;	/* a 4 KiB page table: the loader builds none */
}

/* --- synthetic bzImages ------------------------------------------------- */

struct fake_kernel {
	uint16_t version, xloadflags;
	uint8_t loadflags, setup_sects;
	uint32_t init_size, initrd_addr_max, cmdline_size;
	uint64_t pref_address;
	size_t payload;
};

static const struct fake_kernel fake_defaults = {
	.version = 0x020f, .xloadflags = BP_XLF_KERNEL_64,
	.loadflags = BP_LOADED_HIGH, .setup_sects = 0 /* means 4 */,
	.init_size = 4 * MIB, .initrd_addr_max = 0x7fffffff,
	.cmdline_size = 255, .pref_address = 0x1000000, .payload = 70000,
};

/* A bzImage with the given header and a recognisable payload. */
static const char *make_kernel(const char *name, const struct fake_kernel *k)
{
	size_t setup = ((k->setup_sects ? k->setup_sects : 4) + 1) * 512;
	size_t len = setup + k->payload, i;
	uint8_t *file = calloc(1, len);
	struct bp_setup_header h = { 0 };
	const char *path = tmp_path(name);

	h.setup_sects = k->setup_sects;
	h.boot_flag = BP_BOOT_FLAG;
	h.jump = 0xeb | (0x26c - 0x202) << 8;	/* header ends at 0x26c */
	h.header = BP_HDRS_MAGIC;
	h.version = k->version;
	h.loadflags = k->loadflags;
	h.initrd_addr_max = k->initrd_addr_max;
	h.kernel_alignment = 0x200000;
	h.relocatable_kernel = 1;
	h.min_alignment = 21;
	h.xloadflags = k->xloadflags;
	h.cmdline_size = k->cmdline_size;
	h.pref_address = k->pref_address;
	h.init_size = k->init_size;
	memcpy(file + BP_HDR_OFFSET, &h, sizeof(h));
	for (i = 0; i < k->payload; i++)
		file[setup + i] = payload_byte(i);
	write_file(path, file, len);
	free(file);
	return path;
}

/* --- the real kernel ---------------------------------------------------- */

static void real_kernel_tests(const char *kernel)
{
	static const char cmdline[] = "console=ttyS0 earlyprintk=serial panic=-1";
	const size_t initrd_len = 3 * MIB + 12345;
	const char *initrd = make_data_file("initrd-real", initrd_len, 0x5a);
	struct vmctl_vm *vm = fake_vm(LINUX_MEM);
	const struct bp_zero_page *bp = zero_page(vm);
	struct vmctl_linux_info info;
	struct hvx_sregs sregs = { 0 };
	struct hvx_regs regs;
	struct tcase tc;
	size_t file_len, hdr_end, setup, initrd_file_len, i;
	uint8_t *file = read_file(kernel, &file_len);
	uint8_t *ird = read_file(initrd, &initrd_file_len);
	const struct bp_setup_header *fh;
	uint64_t limit, bad = 0;
	int ret;

	if (!file) {
		skip("linux: the real kernel", strerror(errno));
		free(ird);
		free_vm(vm);
		return;
	}
	fh = (const struct bp_setup_header *)(file + BP_HDR_OFFSET);
	setup = ((fh->setup_sects ? fh->setup_sects : 4) + 1) * 512;
	hdr_end = 0x202 + file[0x201];

	capture_stderr();
	ret = vmctl_linux_setup_memory(vm, kernel, initrd, cmdline, &info);
	captured();

	case_begin(&tc);
	check(&tc, ret == 0, "vmctl_linux_setup_memory: %d, stderr: %s", ret, errbuf);
	check(&tc, info.protocol >= 0x020c, "protocol %#x < 2.12", info.protocol);
	check(&tc, info.protocol == fh->version, "protocol %#x, file %#x",
	      info.protocol, fh->version);
	check(&tc, info.xloadflags & BP_XLF_KERNEL_64, "xloadflags %#x lack XLF_KERNEL_64",
	      info.xloadflags);
	check(&tc, info.kernel_addr == 0x100000, "kernel at %#llx",
	      (unsigned long long)info.kernel_addr);
	check(&tc, info.kernel_size == file_len - setup, "kernel size %llu, expected %zu",
	      (unsigned long long)info.kernel_size, file_len - setup);
	check(&tc, info.entry == 0x100200, "entry %#llx", (unsigned long long)info.entry);
	check(&tc, info.kernel_end >= fh->pref_address + fh->init_size,
	      "kernel_end %#llx below pref_address + init_size %#llx",
	      (unsigned long long)info.kernel_end,
	      (unsigned long long)(fh->pref_address + fh->init_size));
	case_end(&tc, "linux: %s: setup header parsed (protocol %u.%02u, init_size %u MiB)",
		 kernel, info.protocol >> 8, info.protocol & 0xff,
		 (unsigned int)(fh->init_size >> 20));
	if (ret) {
		free(file);
		free(ird);
		free_vm(vm);
		return;
	}

	case_begin(&tc);
	check(&tc, !memcmp(vm->mem + 0x100000, file + setup, file_len - setup),
	      "bytes at 0x100000 differ from the file past its %zu setup bytes", setup);
	check(&tc, vm->mem[0x100000 + file_len - setup] == 0,
	      "something written right after the kernel");
	case_end(&tc, "linux: protected-mode kernel copied to 0x100000 (%zu bytes)",
		 file_len - setup);

	case_begin(&tc);
	check(&tc, !memcmp((const uint8_t *)bp + BP_HDR_OFFSET, file + BP_HDR_OFFSET,
			   BP_HDR_OFFSETOF(type_of_loader) - BP_HDR_OFFSET),
	      "setup header up to type_of_loader not copied");
	check(&tc, !memcmp((const uint8_t *)bp + BP_HDR_OFFSETOF(cmd_line_ptr) + 4,
			   file + BP_HDR_OFFSETOF(cmd_line_ptr) + 4,
			   hdr_end - BP_HDR_OFFSETOF(cmd_line_ptr) - 4),
	      "setup header after cmd_line_ptr not copied");
	check(&tc, bp->hdr.header == BP_HDRS_MAGIC, "no HdrS in the zero page");
	check(&tc, bp->hdr.type_of_loader == 0xff, "type_of_loader %#x",
	      bp->hdr.type_of_loader);
	check(&tc, bp->hdr.loadflags == fh->loadflags, "loadflags changed");
	check(&tc, bp->hdr.code32_start == 0x100000, "code32_start %#x",
	      bp->hdr.code32_start);
	check(&tc, bp->sentinel == 0, "sentinel %#x", bp->sentinel);
	for (i = hdr_end; i < 0x290; i++)
		bad |= ((const uint8_t *)bp)[i];
	for (i = 0; i < BP_HDR_OFFSET; i++)
		if (i != 0x1e8)		/* e820_entries */
			bad |= ((const uint8_t *)bp)[i];
	check(&tc, !bad, "zero page not zero outside the header and E820 fields");
	case_end(&tc, "linux: boot_params at 0x10000: %zu header bytes, type_of_loader 0xff",
		 hdr_end - BP_HDR_OFFSET);

	case_begin(&tc);
	check(&tc, bp->hdr.cmd_line_ptr == LINUX_CMDLINE_ADDR, "cmd_line_ptr %#x",
	      bp->hdr.cmd_line_ptr);
	check(&tc, bp->ext_cmd_line_ptr == 0, "ext_cmd_line_ptr %#x", bp->ext_cmd_line_ptr);
	check(&tc, !strcmp((const char *)vm->mem + LINUX_CMDLINE_ADDR, cmdline),
	      "command line '%.80s'", (const char *)vm->mem + LINUX_CMDLINE_ADDR);
	check(&tc, strlen(cmdline) <= fh->cmdline_size, "cmdline_size %u", fh->cmdline_size);
	case_end(&tc, "linux: command line at 0x20000");

	case_begin(&tc);
	check(&tc, bp->e820_entries == 3, "%u E820 entries", bp->e820_entries);
	check(&tc, bp->e820_table[0].addr == 0 && bp->e820_table[0].size == 0x9fc00 &&
	      bp->e820_table[0].type == BP_E820_RAM, "entry 0 is not RAM [0, 0x9fc00)");
	check(&tc, bp->e820_table[1].addr == 0x9fc00 &&
	      bp->e820_table[1].size == 0x100000 - 0x9fc00 &&
	      bp->e820_table[1].type == BP_E820_RESERVED,
	      "entry 1 is not reserved [0x9fc00, 0x100000)");
	check(&tc, bp->e820_table[2].addr == 0x100000 &&
	      bp->e820_table[2].size == LINUX_MEM - 0x100000 &&
	      bp->e820_table[2].type == BP_E820_RAM,
	      "entry 2 is not RAM [0x100000, 256 MiB): %#llx+%#llx type %u",
	      (unsigned long long)bp->e820_table[2].addr,
	      (unsigned long long)bp->e820_table[2].size, bp->e820_table[2].type);
	case_end(&tc, "linux: E820: RAM [0, 0x9fc00), reserved to 1 MiB, RAM [1 MiB, 256 MiB)");

	case_begin(&tc);
	check(&tc, get64(vm, LINUX_GDT_ADDR) == 0 && get64(vm, LINUX_GDT_ADDR + 8) == 0,
	      "GDT entries 0 and 1 not null");
	check(&tc, get64(vm, LINUX_GDT_ADDR + 0x10) == 0x00af9b000000ffffULL,
	      "__BOOT_CS %#llx", (unsigned long long)get64(vm, LINUX_GDT_ADDR + 0x10));
	check(&tc, get64(vm, LINUX_GDT_ADDR + 0x18) == 0x00cf93000000ffffULL,
	      "__BOOT_DS %#llx", (unsigned long long)get64(vm, LINUX_GDT_ADDR + 0x18));
	case_end(&tc, "linux: GDT at 0x1000: flat 64-bit __BOOT_CS 0x10, flat __BOOT_DS 0x18");

	case_begin(&tc);
	check(&tc, get64(vm, LINUX_PML4_ADDR) == (LINUX_PDPT_ADDR | 3), "PML4[0] %#llx",
	      (unsigned long long)get64(vm, LINUX_PML4_ADDR));
	for (i = 1; i < 512; i++)
		bad |= get64(vm, LINUX_PML4_ADDR + i * 8);
	for (i = 4; i < 512; i++)
		bad |= get64(vm, LINUX_PDPT_ADDR + i * 8);
	check(&tc, !bad, "PML4 or PDPT entries beyond 4 GiB are present");
	for (i = 0; i < 4; i++)
		check(&tc, get64(vm, LINUX_PDPT_ADDR + i * 8) ==
		      ((LINUX_PD_ADDR + i * 0x1000) | 3), "PDPT[%zu] %#llx", i,
		      (unsigned long long)get64(vm, LINUX_PDPT_ADDR + i * 8));
	for (i = 0, bad = 0; i < 2048; i++)
		if (get64(vm, LINUX_PD_ADDR + i * 8) != ((i << 21) | 0x83))
			bad++;
	check(&tc, !bad, "%llu of 2048 PDEs are not identity 2 MiB pages (P|RW|PS)",
	      (unsigned long long)bad);
	{
		const uint64_t vas[] = {
			0, LINUX_GDT_ADDR, LINUX_ZERO_PAGE_ADDR, LINUX_CMDLINE_ADDR,
			info.entry, info.kernel_end - 1, info.initrd_addr,
			LINUX_MEM - 1, 0xfee00000, 0xffffffff,
		};

		for (i = 0; i < ARRAY_SIZE(vas); i++)
			check(&tc, walk(vm, LINUX_PML4_ADDR, vas[i]) == (int64_t)vas[i],
			      "VA %#llx walks to %#llx", (unsigned long long)vas[i],
			      (long long)walk(vm, LINUX_PML4_ADDR, vas[i]));
		check(&tc, walk(vm, LINUX_PML4_ADDR, 4 * GIB) == -1, "4 GiB is mapped");
	}
	case_end(&tc, "linux: page tables at 0x2000 map 0-4 GiB identity with 2 MiB pages");

	limit = (uint64_t)fh->initrd_addr_max + 1;
	if (limit > LINUX_MEM)
		limit = LINUX_MEM;
	case_begin(&tc);
	check(&tc, info.initrd_addr && !(info.initrd_addr & 0xfff), "initrd at %#llx",
	      (unsigned long long)info.initrd_addr);
	check(&tc, info.initrd_size == initrd_len, "initrd size %llu",
	      (unsigned long long)info.initrd_size);
	check(&tc, info.initrd_addr + initrd_len <= limit, "initrd ends past %#llx",
	      (unsigned long long)limit);
	check(&tc, info.initrd_addr == ((limit - initrd_len) & ~0xfffULL),
	      "initrd not as high as possible: at %#llx, limit %#llx",
	      (unsigned long long)info.initrd_addr, (unsigned long long)limit);
	check(&tc, info.initrd_addr >= info.kernel_end, "initrd overlaps the kernel (%#llx)",
	      (unsigned long long)info.kernel_end);
	check(&tc, bp->hdr.ramdisk_image == info.initrd_addr &&
	      bp->hdr.ramdisk_size == initrd_len && !bp->ext_ramdisk_image &&
	      !bp->ext_ramdisk_size, "ramdisk_image %#x ramdisk_size %#x",
	      bp->hdr.ramdisk_image, bp->hdr.ramdisk_size);
	check(&tc, ird && initrd_file_len == initrd_len &&
	      !memcmp(vm->mem + info.initrd_addr, ird, initrd_len),
	      "initrd bytes differ from the file");
	case_end(&tc, "linux: initrd page-aligned at %#llx, as high as memory allows",
		 (unsigned long long)info.initrd_addr);

	sregs.apic_base = 0xfee00900;
	vmctl_linux_vcpu_state(&info, &sregs, &regs);
	case_begin(&tc);
	check(&tc, regs.rip == 0x100200, "RIP %#llx", (unsigned long long)regs.rip);
	check(&tc, regs.rsi == 0x10000, "RSI %#llx", (unsigned long long)regs.rsi);
	check(&tc, regs.rflags == 2, "RFLAGS %#llx", (unsigned long long)regs.rflags);
	check(&tc, regs.rsp > LINUX_PD_ADDR + 0x4000 && regs.rsp <= LINUX_ZERO_PAGE_ADDR,
	      "RSP %#llx: pushes would hit the page tables or the zero page",
	      (unsigned long long)regs.rsp);
	check(&tc, sregs.cr0 == 0x80000031, "CR0 %#llx", (unsigned long long)sregs.cr0);
	check(&tc, sregs.cr3 == LINUX_PML4_ADDR, "CR3 %#llx", (unsigned long long)sregs.cr3);
	check(&tc, sregs.cr4 == 0x20, "CR4 %#llx", (unsigned long long)sregs.cr4);
	check(&tc, sregs.efer == 0x500, "EFER %#llx", (unsigned long long)sregs.efer);
	check(&tc, sregs.cs.selector == 0x10 && sregs.cs.type == 11 && sregs.cs.s &&
	      sregs.cs.present && sregs.cs.l && !sregs.cs.db && sregs.cs.g &&
	      sregs.cs.limit == 0xffffffff && !sregs.cs.dpl, "CS is not 64-bit __BOOT_CS");
	check(&tc, sregs.ds.selector == 0x18 && sregs.ds.type == 3 && sregs.ds.s &&
	      sregs.ds.present && sregs.ds.db && sregs.ds.g && !sregs.ds.l &&
	      !memcmp(&sregs.ds, &sregs.es, sizeof(sregs.ds)) &&
	      !memcmp(&sregs.ds, &sregs.ss, sizeof(sregs.ds)) &&
	      !memcmp(&sregs.ds, &sregs.fs, sizeof(sregs.ds)) &&
	      !memcmp(&sregs.ds, &sregs.gs, sizeof(sregs.ds)),
	      "DS/ES/SS/FS/GS are not __BOOT_DS");
	check(&tc, sregs.tr.type == 11 && sregs.tr.present && !sregs.tr.s &&
	      sregs.tr.limit == 0x67 && !sregs.tr.unusable, "TR");
	check(&tc, sregs.ldt.unusable, "LDT usable");
	check(&tc, sregs.gdt.base == 0x1000 && sregs.gdt.limit == 31, "GDTR %#llx/%u",
	      (unsigned long long)sregs.gdt.base, sregs.gdt.limit);
	check(&tc, sregs.idt.base == 0 && sregs.idt.limit == 0, "IDTR");
	check(&tc, sregs.apic_base == 0xfee00900, "APIC base not kept");
	check(&tc, !sregs.reserved[0] && !sregs.reserved[3], "reserved not zero");
	case_end(&tc, "linux: vCPU state: long mode, CS 0x10, RIP 0x100200, RSI 0x10000");

	/* The largest whole MiB that is still too small for this kernel. */
	{
		uint64_t small = (info.kernel_end - 1) & ~(MIB - 1);
		char want[80];

		case_begin(&tc);
		free_vm(vm);
		vm = fake_vm(small);
		capture_stderr();
		ret = vmctl_linux_setup_memory(vm, kernel, NULL, cmdline, &info);
		captured();
		snprintf(want, sizeof(want), "kernel too large for %llu MiB of guest memory",
			 (unsigned long long)(small / MIB));
		check(&tc, ret == -1, "loaded in %llu MiB", (unsigned long long)(small / MIB));
		check(&tc, strstr(errbuf, want), "message: %s", errbuf);
		case_end(&tc, "linux: error: %s", first_line());
	}

	case_begin(&tc);
	{
		char *longline = malloc(fh->cmdline_size + 2);

		memset(longline, 'x', fh->cmdline_size + 1);
		longline[fh->cmdline_size + 1] = '\0';
		free_vm(vm);
		vm = fake_vm(LINUX_MEM);
		capture_stderr();
		ret = vmctl_linux_setup_memory(vm, kernel, NULL, longline, &info);
		captured();
		check(&tc, ret == -1, "a command line of cmdline_size + 1 bytes accepted");
		check(&tc, strstr(errbuf, "command line"), "message: %s", errbuf);
		longline[fh->cmdline_size] = '\0';
		capture_stderr();
		ret = vmctl_linux_setup_memory(vm, kernel, NULL, longline, &info);
		captured();
		check(&tc, ret == 0, "a command line of cmdline_size bytes refused: %s", errbuf);
		check(&tc, strlen((const char *)vm->mem + LINUX_CMDLINE_ADDR) ==
		      fh->cmdline_size, "long command line not copied whole");
		free(longline);
	}
	case_end(&tc, "linux: cmdline_size (%u) is the longest command line", fh->cmdline_size);

	case_begin(&tc);
	{
		const char *big = make_data_file("initrd-big", 200 * MIB, 1);

		capture_stderr();
		ret = vmctl_linux_setup_memory(vm, kernel, big, NULL, &info);
		captured();
		check(&tc, ret == -1, "a 200 MiB initrd fit next to the kernel in 256 MiB");
		check(&tc, strstr(errbuf, "does not fit"), "message: %s", errbuf);
		unlink(big);
	}
	case_end(&tc, "linux: error: %s", first_line());

	free(file);
	free(ird);
	free_vm(vm);
}

/* --- synthetic kernels: rules and errors --------------------------------- */

static void expect_error(const char *what, const char *kernel, uint64_t mem,
			 const char *initrd, const char *message)
{
	struct vmctl_vm *vm = mem <= LINUX_MEM ? fake_vm(mem) : NULL;
	struct vmctl_vm big = { .mem = NULL, .mem_size = mem };
	struct vmctl_linux_info info;
	struct tcase tc;
	int ret;

	case_begin(&tc);
	capture_stderr();
	/* Above LINUX_MEM nothing may be touched: the size is refused first. */
	ret = vmctl_linux_setup_memory(vm ? vm : &big, kernel, initrd,
				       "console=ttyS0", &info);
	captured();
	check(&tc, ret == -1, "accepted");
	check(&tc, strstr(errbuf, message), "message '%s' lacks '%s'",
	      errbuf, message);
	case_end(&tc, "linux: %s: %s", what, first_line());
	if (vm)
		free_vm(vm);
}

/*
 * A later protocol's header, as long as the zero page allows (0x290): the
 * zero page gets every byte of it, the fields vmctl knows are read from
 * the first 0x26c, and nothing is copied past the loader's own structure
 * (ASan would see that).
 */
static void longest_header(void)
{
	const char *kernel = make_kernel("bzImage-long", &fake_defaults);
	const char *path = tmp_path("bzImage-long2");
	struct vmctl_vm *vm = fake_vm(LINUX_MEM);
	struct vmctl_linux_info info;
	struct tcase tc;
	size_t len, i, bad = 0;
	uint8_t *file = read_file(kernel, &len);
	int ret;

	file[0x201] = BP_HDR_LIMIT - 0x202;
	for (i = 0x26c; i < BP_HDR_LIMIT; i++)
		file[i] = 0x40 + i % 64;
	write_file(path, file, len);
	case_begin(&tc);
	capture_stderr();
	ret = vmctl_linux_setup_memory(vm, path, NULL, NULL, &info);
	captured();
	check(&tc, ret == 0, "refused: %s", errbuf);
	for (i = 0x26c; i < BP_HDR_LIMIT; i++)
		bad += vm->mem[LINUX_ZERO_PAGE_ADDR + i] != file[i];
	check(&tc, !bad, "%zu bytes of the header past 0x26c differ", bad);
	check(&tc, zero_page(vm)->hdr.type_of_loader == 0xff &&
	      zero_page(vm)->hdr.cmd_line_ptr == LINUX_CMDLINE_ADDR,
	      "loader fields not written");
	case_end(&tc, "linux: a setup header up to 0x290 goes to the zero page whole");
	free(file);
	free_vm(vm);
}

static void synthetic_kernel_tests(void)
{
	struct fake_kernel k = fake_defaults;
	const char *kernel = make_kernel("bzImage", &k);
	const size_t initrd_len = MIB + 123;
	const char *initrd = make_data_file("initrd", initrd_len, 7);
	struct vmctl_vm *vm = fake_vm(LINUX_MEM);
	struct vmctl_linux_info info;
	struct tcase tc;
	uint8_t zeros[4096] = { 0 };
	size_t i, bad = 0;
	int ret;

	/* setup_sects 0 means 4: the payload starts at 5 * 512. */
	case_begin(&tc);
	capture_stderr();
	ret = vmctl_linux_setup_memory(vm, kernel, initrd, NULL, &info);
	captured();
	check(&tc, ret == 0, "refused: %s", errbuf);
	check(&tc, info.kernel_size == k.payload, "kernel size %llu",
	      (unsigned long long)info.kernel_size);
	for (i = 0; i < k.payload; i++)
		bad += vm->mem[0x100000 + i] != payload_byte(i);
	check(&tc, !bad, "%zu payload bytes differ", bad);
	check(&tc, vm->mem[LINUX_CMDLINE_ADDR] == 0, "NULL command line is not empty");
	check(&tc, zero_page(vm)->hdr.cmd_line_ptr == LINUX_CMDLINE_ADDR,
	      "cmd_line_ptr not set for an empty command line");
	/* kernel_end: max(align_up(1 MiB, 2 MiB), pref_address) + init_size */
	check(&tc, info.kernel_end == 0x1000000 + 4 * MIB, "kernel_end %#llx",
	      (unsigned long long)info.kernel_end);
	case_end(&tc, "linux: setup_sects 0 means 4; no command line is an empty one");

	/* initrd_addr_max below the end of memory is the limit. */
	k.initrd_addr_max = 0x4ffffff;
	kernel = make_kernel("bzImage-initrd-max", &k);
	memset(vm->mem, 0, vm->mem_size);
	case_begin(&tc);
	capture_stderr();
	ret = vmctl_linux_setup_memory(vm, kernel, initrd, NULL, &info);
	captured();
	check(&tc, ret == 0, "refused: %s", errbuf);
	check(&tc, info.initrd_addr == ((0x5000000 - initrd_len) & ~0xfffULL),
	      "initrd at %#llx, expected %#llx", (unsigned long long)info.initrd_addr,
	      (0x5000000 - initrd_len) & ~0xfffULL);
	check(&tc, !memcmp(vm->mem + 0x5000000, zeros, sizeof(zeros)),
	      "memory above initrd_addr_max written");
	case_end(&tc, "linux: initrd ends below initrd_addr_max + 1 (0x5000000)");

	/* Memory smaller than initrd_addr_max: the end of memory is. */
	k.initrd_addr_max = 0x7fffffff;
	kernel = make_kernel("bzImage-small-mem", &k);
	free_vm(vm);
	vm = fake_vm(32 * MIB);
	case_begin(&tc);
	capture_stderr();
	ret = vmctl_linux_setup_memory(vm, kernel, initrd, NULL, &info);
	captured();
	check(&tc, ret == 0, "refused: %s", errbuf);
	check(&tc, info.initrd_addr == ((32 * MIB - initrd_len) & ~0xfffULL),
	      "initrd at %#llx", (unsigned long long)info.initrd_addr);
	check(&tc, zero_page(vm)->e820_table[2].size == 31 * MIB, "E820 RAM above 1 MiB: %#llx",
	      (unsigned long long)zero_page(vm)->e820_table[2].size);
	case_end(&tc, "linux: 32 MiB guest: initrd at the top of memory, E820 up to 32 MiB");
	free_vm(vm);

	expect_error("no kernel file", tmp_path("nonexistent"), LINUX_MEM, NULL,
		     "No such file");
	write_file(tmp_path("zeros"), zeros, sizeof(zeros));
	expect_error("a file of zeros", tmp_path("zeros"), LINUX_MEM, NULL,
		     "not a bzImage");
	write_file(tmp_path("short"), "MZ", 2);
	expect_error("a 2-byte file", tmp_path("short"), LINUX_MEM, NULL,
		     "not a bzImage");
	k = fake_defaults;
	k.version = 0x020a;
	expect_error("protocol 2.10", make_kernel("old", &k), LINUX_MEM, NULL,
		     "boot protocol 2.10 too old");
	k = fake_defaults;
	k.xloadflags = 0;
	expect_error("32-bit kernel", make_kernel("k32", &k), LINUX_MEM, NULL,
		     "not a 64-bit kernel");
	k = fake_defaults;
	k.loadflags = 0;
	expect_error("zImage", make_kernel("zimage", &k), LINUX_MEM, NULL,
		     "not a bzImage");
	k = fake_defaults;
	k.init_size = 250 * MIB;
	expect_error("init_size beyond memory", make_kernel("huge", &k), LINUX_MEM,
		     NULL, "kernel too large for 256 MiB of guest memory");
	k = fake_defaults;
	expect_error("4 GiB of guest memory", make_kernel("k4g", &k), 4 * GIB, NULL,
		     "at most 3072 MiB");
	expect_error("initrd is a directory", make_kernel("kdir", &k), LINUX_MEM,
		     tmpdir, "not a regular file");
	write_file(tmp_path("empty"), "", 0);
	expect_error("empty initrd", make_kernel("kempty", &k), LINUX_MEM,
		     tmp_path("empty"), "empty initrd");
	k.initrd_addr_max = 0x1200000;	/* below the kernel's end */
	expect_error("initrd_addr_max below the kernel", make_kernel("klow", &k),
		     LINUX_MEM, initrd, "does not fit");
	longest_header();
}

/* --- CPUID -------------------------------------------------------------- */

#define SIGIDX	HVX_CPUID_SIGNIFICANT_INDEX
#define ONES	0xffffffffU

struct hostleaf {
	uint32_t fn, index, flags, a, b, c, d;
};

/* A made-up Intel host with every feature bit set and a 2-thread core. */
static const struct hostleaf synthetic_host[] = {
	{ 0, 0, 0, 0x23, 0x756e6547, 0x6c65746e, 0x49656e69 }, /* GenuineIntel */
	{ 1, 0, 0, 0x000906ea, 0x12100800, ONES & ~(1U << 31), ONES },
	{ 2, 0, 0, 0x00feff01, 0x000000f0, 0, 0 },
	{ 4, 0, SIGIDX, 0x1c004121, 0x01c0003f, 0x3f, 0 },
	{ 4, 1, SIGIDX, 0x1c004122, 0x01c0003f, 0x3f, 0 },
	{ 4, 2, SIGIDX, 0x1c004143, 0x00c0003f, 0x3ff, 0 },
	{ 4, 3, SIGIDX, 0x1c03c163, 0x02c0003f, 0x3fff, 6 },
	{ 4, 4, SIGIDX, 0, 0, 0, 0 },
	{ 5, 0, 0, 0x40, 0x40, 3, 0x11142120 },
	{ 6, 0, 0, ONES, ONES, ONES, ONES },
	{ 7, 0, SIGIDX, 2, ONES, ONES, ONES },
	{ 7, 1, SIGIDX, ONES, ONES, ONES, ONES },
	{ 7, 2, SIGIDX, ONES, ONES, ONES, ONES },
	{ 0xa, 0, 0, 0x07300805, 0, 0, 0x603 },
	{ 0xb, 0, SIGIDX, 1, 2, 0x100, 0x12 },
	{ 0xb, 1, SIGIDX, 4, 12, 0x201, 0x12 },
	{ 0xb, 2, SIGIDX, 0, 0, 2, 0x12 },
	/* XCR0 bits: x87 SSE AVX MPX(3,4) AVX-512(5-7) PKRU(9) AMX(17,18) */
	{ 0xd, 0, SIGIDX, 0x602ff, 0x2b00, 0x2b00, 0 },
	{ 0xd, 1, SIGIDX, 0x1f, 0x2c00, 0x1900, 0 },
	{ 0xd, 2, SIGIDX, 256, 576, 0, 0 },
	{ 0xd, 3, SIGIDX, 64, 960, 0, 0 },
	{ 0xd, 4, SIGIDX, 64, 1024, 0, 0 },
	{ 0xd, 5, SIGIDX, 64, 1088, 0, 0 },
	{ 0xd, 6, SIGIDX, 512, 1152, 0, 0 },
	{ 0xd, 7, SIGIDX, 1024, 1664, 0, 0 },
	{ 0xd, 8, SIGIDX, 128, 0, 1, 0 },
	{ 0xd, 9, SIGIDX, 8, 2688, 0, 0 },
	{ 0xd, 17, SIGIDX, 64, 2752, 2, 0 },
	{ 0xd, 18, SIGIDX, 8192, 2816, 6, 0 },
	{ 0x14, 0, 0, 1, ONES, ONES, 0 },
	{ 0x15, 0, 0, 2, 0xb0, 0x16e3600, 0 },
	{ 0x16, 0, 0, 0xbb8, 0x1194, 0x64, 0 },
	{ 0x1f, 0, SIGIDX, 1, 2, 0x100, 0x12 },
	{ 0x1f, 1, SIGIDX, 4, 12, 0x201, 0x12 },
	{ 0x1f, 2, SIGIDX, 0, 0, 2, 0x12 },
	{ 0x80000000, 0, 0, 0x80000020, 0, 0, 0 },
	{ 0x80000001, 0, 0, 0, 0, 0x121, 0x2c100800 },
	{ 0x80000002, 0, 0, 0x65746e49, 0x2952286c, 0x726f4320, 0x4d542865 },
	{ 0x80000006, 0, 0, 0, 0, 0x01006040, 0 },
	{ 0x80000007, 0, 0, ONES, ONES, ONES, ONES },
	{ 0x80000008, 0, 0, 0x3027, ONES, ONES, ONES },
	{ 0x80000020, 0, 0, ONES, ONES, ONES, ONES },
};

static const uint64_t synthetic_xcr0 = 0x602ff;

static int host_table(const struct hostleaf *src, size_t n,
		      struct hvx_cpuid_entry *host)
{
	size_t i;

	for (i = 0; i < n; i++)
		host[i] = (struct hvx_cpuid_entry) {
			.function = src[i].fn, .index = src[i].index,
			.flags = src[i].flags, .eax = src[i].a, .ebx = src[i].b,
			.ecx = src[i].c, .edx = src[i].d,
		};
	return n;
}

/* What the guest's CPUID returns: kmod/exits.c handle_cpuid()'s rule. */
static bool guest_cpuid(const struct hvx_cpuid_entry *t, int n, uint32_t fn,
			uint32_t index, uint32_t r[4])
{
	int i;

	for (i = 0; i < n; i++)
		if (t[i].function == fn &&
		    (!(t[i].flags & SIGIDX) || t[i].index == index)) {
			r[0] = t[i].eax;
			r[1] = t[i].ebx;
			r[2] = t[i].ecx;
			r[3] = t[i].edx;
			return true;
		}
	memset(r, 0, 4 * sizeof(*r));
	return false;
}

#define BIT(n)	(1U << (n))

static void cpuid_synthetic_tests(void)
{
	struct hvx_cpuid_entry host[64], t[HVX_MAX_CPUID_ENTRIES];
	int nhost = host_table(synthetic_host, ARRAY_SIZE(synthetic_host), host);
	int n = vmctl_cpuid_filter(host, nhost, synthetic_xcr0, t, ARRAY_SIZE(t));
	uint32_t r[4];
	struct tcase tc;
	char sig[13] = { 0 };
	int i;

	case_begin(&tc);
	check(&tc, n > 0 && n <= HVX_MAX_CPUID_ENTRIES, "%d entries", n);
	guest_cpuid(t, n, 0, 0, r);
	check(&tc, r[0] == 0x1f, "max basic leaf %#x, host 0x23 (cap 0x1f)", r[0]);
	check(&tc, r[1] == 0x756e6547 && r[2] == 0x6c65746e && r[3] == 0x49656e69,
	      "vendor string changed");
	for (i = 0; i < n; i++) {
		check(&tc, !(t[i].flags & ~SIGIDX) && !t[i].pad,
		      "entry %d: flags %#x pad %#x", i, t[i].flags, t[i].pad);
		check(&tc, !(t[i].flags & SIGIDX) || t[i].function == 4 ||
		      t[i].function == 7 || t[i].function == 0xb ||
		      t[i].function == 0xd || t[i].function == 0x1f,
		      "leaf %#x has a significant index", t[i].function);
		check(&tc, (t[i].flags & SIGIDX) || !t[i].index,
		      "leaf %#x: index %u without HVX_CPUID_SIGNIFICANT_INDEX",
		      t[i].function, t[i].index);
	}
	case_end(&tc, "cpuid: %d entries, max basic leaf capped at 0x1f, sub-leaves flagged", n);
	if (n <= 0)
		return;

	case_begin(&tc);
	guest_cpuid(t, n, 1, 0, r);
	check(&tc, r[0] == 0x000906ea, "signature %#x", r[0]);
	check(&tc, !(r[2] & BIT(5)), "VMX set");
	check(&tc, r[2] & BIT(31), "HYPERVISOR clear");
	check(&tc, !(r[2] & (BIT(3) | BIT(6) | BIT(15) | BIT(21) | BIT(24) | BIT(27))),
	      "MONITOR, SMX, PDCM, x2APIC, TSC-deadline or OSXSAVE set: ECX %#x", r[2]);
	{
		const uint32_t isa = BIT(0) | BIT(1) | BIT(9) | BIT(12) | BIT(13) |
				     BIT(17) | BIT(19) | BIT(20) | BIT(23) | BIT(25) |
				     BIT(26) | BIT(28) | BIT(29) | BIT(30);

		check(&tc, (r[2] & isa) == isa,
		      "SSE3/PCLMUL/SSSE3/FMA/CX16/PCID/SSE4/POPCNT/AES/XSAVE/AVX/F16C/RDRAND lost: ECX %#x",
		      r[2]);
	}
	check(&tc, !(r[3] & (BIT(9) | BIT(22) | BIT(28))), "APIC, ACPI or HTT set: EDX %#x",
	      r[3]);
	check(&tc, (r[3] & (BIT(0) | BIT(4) | BIT(5) | BIT(6) | BIT(8) | BIT(15) |
			    BIT(16) | BIT(19) | BIT(23) | BIT(24) | BIT(25) | BIT(26))) ==
	      (BIT(0) | BIT(4) | BIT(5) | BIT(6) | BIT(8) | BIT(15) | BIT(16) |
	       BIT(19) | BIT(23) | BIT(24) | BIT(25) | BIT(26)),
	      "FPU/TSC/MSR/PAE/CX8/CMOV/PAT/CLFSH/MMX/FXSR/SSE/SSE2 lost: EDX %#x", r[3]);
	check(&tc, (r[1] >> 24) == 0 && ((r[1] >> 16) & 0xff) == 1 &&
	      (r[1] & 0xffff) == 0x0800, "EBX %#x: APIC ID 0, 1 logical, CLFLUSH 64", r[1]);
	case_end(&tc, "cpuid: leaf 1: VMX, MONITOR, x2APIC, APIC... cleared, HYPERVISOR set");

	case_begin(&tc);
	check(&tc, guest_cpuid(t, n, 0x40000000, 0, r), "no leaf 0x40000000");
	memcpy(sig, &r[1], 12);
	check(&tc, r[0] == 0x40000001, "EAX %#x", r[0]);
	check(&tc, !memcmp(sig, "hvxhvxhvx\0\0\0", 12), "signature '%s'", sig);
	check(&tc, guest_cpuid(t, n, 0x40000001, 0, r) && !r[0] && !r[1] && !r[2] && !r[3],
	      "leaf 0x40000001 missing or not zero");
	case_end(&tc, "cpuid: leaf 0x40000000: max 0x40000001, signature \"hvxhvxhvx\"");

	case_begin(&tc);
	guest_cpuid(t, n, 6, 0, r);
	check(&tc, !r[0] && !r[1] && !r[2] && !r[3], "leaf 6 not zero");
	guest_cpuid(t, n, 0xa, 0, r);
	check(&tc, !r[0] && !r[3], "leaf 0xa (PMU) not zero");
	guest_cpuid(t, n, 5, 0, r);
	check(&tc, !r[0] && !r[3], "leaf 5 (MONITOR) not zero");
	guest_cpuid(t, n, 0x14, 0, r);
	check(&tc, !r[0] && !r[1], "leaf 0x14 (PT) not zero");
	guest_cpuid(t, n, 0x15, 0, r);
	check(&tc, r[0] == 2 && r[1] == 0xb0 && r[2] == 0x16e3600, "leaf 0x15 not passed");
	guest_cpuid(t, n, 2, 0, r);
	check(&tc, r[0] == 0x00feff01, "leaf 2 not passed");
	case_end(&tc, "cpuid: leaves 5, 6, 0xa, 0x14 read as zero; 2 and 0x15 passed");

	case_begin(&tc);
	for (i = 0; i < 5; i++) {
		guest_cpuid(t, n, 4, i, r);
		check(&tc, (r[0] & 0x1f) == (i < 4 ? synthetic_host[3 + i].a & 0x1f : 0),
		      "leaf 4.%d cache type %u", i, r[0] & 0x1f);
		check(&tc, !(r[0] >> 14), "leaf 4.%d EAX %#x: cores/sharing not 1", i, r[0]);
		check(&tc, r[1] == synthetic_host[3 + i].b, "leaf 4.%d EBX changed", i);
	}
	case_end(&tc, "cpuid: leaf 4: the host's caches, one core, not shared");

	case_begin(&tc);
	guest_cpuid(t, n, 7, 0, r);
	check(&tc, r[0] == 1, "leaf 7 max sub-leaf %u", r[0]);
	check(&tc, !(r[1] & (BIT(4) | BIT(11))), "HLE or RTM set: EBX %#x", r[1]);
	check(&tc, !(r[1] & (BIT(1) | BIT(2) | BIT(14) | BIT(25))),
	      "TSC_ADJUST, SGX, MPX or PT set: EBX %#x", r[1]);
	check(&tc, r[1] & BIT(10), "INVPCID lost (the host has it)");
	check(&tc, (r[1] & (BIT(0) | BIT(3) | BIT(5) | BIT(7) | BIT(8) | BIT(9) | BIT(16) |
			    BIT(18) | BIT(19) | BIT(20))) ==
	      (BIT(0) | BIT(3) | BIT(5) | BIT(7) | BIT(8) | BIT(9) | BIT(16) | BIT(18) |
	       BIT(19) | BIT(20)),
	      "FSGSBASE/BMI1/AVX2/SMEP/BMI2/ERMS/AVX512F/RDSEED/ADX/SMAP lost: EBX %#x", r[1]);
	check(&tc, !(r[2] & (BIT(3) | BIT(4) | BIT(5) | BIT(16) | BIT(22))),
	      "PKU, OSPKE, WAITPKG, LA57 or RDPID set: ECX %#x", r[2]);
	check(&tc, r[2] & BIT(2), "UMIP lost");
	check(&tc, !(r[3] & (BIT(20) | BIT(26) | BIT(27) | BIT(29) | BIT(31))),
	      "IBT, SPEC_CTRL, STIBP, ARCH_CAPABILITIES or SSBD set: EDX %#x", r[3]);
	check(&tc, r[3] & BIT(10), "MD_CLEAR lost");
	guest_cpuid(t, n, 7, 1, r);
	check(&tc, !(r[0] & (BIT(6) | BIT(17) | BIT(22) | BIT(26))),
	      "LASS, FRED, HRESET or LAM set: 7.1 EAX %#x", r[0]);
	check(&tc, r[0] & BIT(4), "AVX-VNNI lost");
	check(&tc, !guest_cpuid(t, n, 7, 2, r), "sub-leaf 2 present");
	case_end(&tc, "cpuid: leaf 7: HLE, RTM, PKU, WAITPKG, LA57, CET, MSR controls cleared");

	case_begin(&tc);
	{
		static const uint32_t want[3][4] = {
			{ 0, 1, 0x100, 0 }, { 0, 1, 0x201, 0 }, { 0, 0, 2, 0 },
		};
		const uint32_t leaves[2] = { 0xb, 0x1f };
		int l;

		for (l = 0; l < 2; l++)
			for (i = 0; i < 3; i++) {
				guest_cpuid(t, n, leaves[l], i, r);
				check(&tc, !memcmp(r, want[i], sizeof(r)),
				      "leaf %#x.%d: %#x %#x %#x %#x", leaves[l], i,
				      r[0], r[1], r[2], r[3]);
			}
	}
	case_end(&tc, "cpuid: leaves 0xb and 0x1f: 1 thread, 1 core, x2APIC ID 0");

	case_begin(&tc);
	guest_cpuid(t, n, 0xd, 0, r);
	check(&tc, r[0] == 0xe7 && r[3] == 0, "XCR0 offer %#x:%#x, not 0xe7 (no MPX, PKRU, AMX)",
	      r[3], r[0]);
	check(&tc, r[1] == 2688 && r[2] == 2688, "XSAVE size %u/%u, expected 2688", r[1], r[2]);
	guest_cpuid(t, n, 0xd, 1, r);
	check(&tc, r[0] == 7 && !r[2] && !r[3], "0xd.1: EAX %#x (no XSAVES, XFD), XSS %#x:%#x",
	      r[0], r[3], r[2]);
	check(&tc, guest_cpuid(t, n, 0xd, 6, r) && r[0] == 512 && r[1] == 1152,
	      "0xd.6 (ZMM_Hi256) not passed");
	check(&tc, !guest_cpuid(t, n, 0xd, 9, r), "PKRU component offered");
	check(&tc, !guest_cpuid(t, n, 0xd, 18, r), "AMX tile data offered");
	check(&tc, !guest_cpuid(t, n, 0xd, 8, r), "PT (supervisor) component offered");
	guest_cpuid(t, n, 7, 0, r);
	check(&tc, !(r[3] & (BIT(22) | BIT(24) | BIT(25))), "AMX in leaf 7");
	case_end(&tc, "cpuid: leaf 0xd: x87, SSE, AVX, AVX-512 only; 2688-byte area");

	case_begin(&tc);
	guest_cpuid(t, n, 0x80000000, 0, r);
	check(&tc, r[0] == 0x80000008, "max extended leaf %#x", r[0]);
	check(&tc, !guest_cpuid(t, n, 0x80000020, 0, r), "leaf 0x80000020 present");
	guest_cpuid(t, n, 0x80000001, 0, r);
	check(&tc, r[2] == 0x121, "0x80000001 ECX %#x", r[2]);
	check(&tc, r[3] == (0x2c100800 & ~BIT(27)), "0x80000001 EDX %#x (all but RDTSCP)",
	      r[3]);
	guest_cpuid(t, n, 0x80000007, 0, r);
	check(&tc, !r[0] && !r[1] && !r[2] && r[3] == BIT(8),
	      "0x80000007: %#x %#x %#x %#x", r[0], r[1], r[2], r[3]);
	guest_cpuid(t, n, 0x80000008, 0, r);
	check(&tc, r[0] == 0x3027 && r[1] == BIT(9) && !r[2] && !r[3],
	      "0x80000008: %#x %#x %#x %#x", r[0], r[1], r[2], r[3]);
	guest_cpuid(t, n, 0x80000002, 0, r);
	check(&tc, r[0] == 0x65746e49, "brand string lost");
	case_end(&tc, "cpuid: extended leaves up to 0x80000008, 0x80000007 invariant TSC only");

	case_begin(&tc);
	{
		struct hvx_cpuid_entry small[10];

		check(&tc, vmctl_cpuid_filter(host, nhost, synthetic_xcr0, small,
					      ARRAY_SIZE(small)) == -1,
		      "a 10-entry table did not overflow");
	}
	case_end(&tc, "cpuid: a table too small for the host is an error");

	/* A host without XSAVE enabled: no XSAVE, no AVX, no leaf 0xd. */
	case_begin(&tc);
	n = vmctl_cpuid_filter(host, nhost, 0, t, ARRAY_SIZE(t));
	check(&tc, n > 0, "%d entries", n);
	guest_cpuid(t, n, 1, 0, r);
	check(&tc, !(r[2] & (BIT(12) | BIT(26) | BIT(28) | BIT(29))),
	      "XSAVE/AVX/FMA/F16C set: ECX %#x", r[2]);
	guest_cpuid(t, n, 7, 0, r);
	check(&tc, !(r[1] & (BIT(5) | BIT(16) | BIT(31))), "AVX2/AVX-512 set: EBX %#x", r[1]);
	check(&tc, !guest_cpuid(t, n, 0xd, 0, r), "leaf 0xd present");
	case_end(&tc, "cpuid: host XCR0 0: XSAVE, AVX and AVX-512 hidden");

	/* A host that enabled AVX but not AVX-512 in XCR0. */
	case_begin(&tc);
	n = vmctl_cpuid_filter(host, nhost, 0x7, t, ARRAY_SIZE(t));
	guest_cpuid(t, n, 0xd, 0, r);
	check(&tc, r[0] == 7 && r[1] == 832, "XCR0 offer %#x, size %u", r[0], r[1]);
	guest_cpuid(t, n, 7, 0, r);
	check(&tc, (r[1] & BIT(5)) && !(r[1] & BIT(16)), "AVX2/AVX-512F: EBX %#x", r[1]);
	guest_cpuid(t, n, 1, 0, r);
	check(&tc, r[2] & BIT(28), "AVX lost");
	case_end(&tc, "cpuid: host XCR0 7: AVX kept, AVX-512 hidden, 832-byte area");
}

/* What an irqchip VM adds: the APIC and its timer, and the TSC rate. */
static void cpuid_platform_tests(void)
{
	struct hvx_cpuid_entry host[64], t[HVX_MAX_CPUID_ENTRIES];
	int nhost = host_table(synthetic_host, ARRAY_SIZE(synthetic_host), host);
	int n = vmctl_cpuid_filter(host, nhost, synthetic_xcr0, t, ARRAY_SIZE(t));
	int m = n > 0 ? vmctl_cpuid_platform(t, n, ARRAY_SIZE(t), 2, 2400000) : -1;
	uint32_t r[4];
	struct tcase tc;

	case_begin(&tc);
	check(&tc, m >= n && n > 0, "%d entries, then %d", n, m);
	if (m > 0) {
		guest_cpuid(t, m, 1, 0, r);
		check(&tc, r[3] & BIT(9), "no APIC: EDX %#x", r[3]);
		check(&tc, (r[2] & (BIT(21) | BIT(24))) == (BIT(21) | BIT(24)),
		      "no x2APIC or TSC deadline: ECX %#x", r[2]);
		guest_cpuid(t, m, 0, 0, r);
		check(&tc, r[0] >= 0x15, "max basic leaf %#x hides 0x15", r[0]);
		check(&tc, guest_cpuid(t, m, 6, 0, r), "no leaf 6");
		check(&tc, r[0] & BIT(2), "no ARAT: leaf 6 EAX %#x", r[0]);
		/*
		 * Linux: tsc_khz = ECX / 1000 * EBX / EAX, the product in 32
		 * bits (native_calibrate_tsc()).
		 */
		check(&tc, guest_cpuid(t, m, 0x15, 0, r), "no leaf 0x15");
		check(&tc, r[0] && r[2] && r[2] / 1000 == HVX_APIC_TIMER_KHZ &&
		      (uint32_t)(r[2] / 1000 * r[1]) / r[0] == 2400000,
		      "leaf 0x15 %#x %#x %#x gives the wrong TSC rate",
		      r[0], r[1], r[2]);
		guest_cpuid(t, m, 0xb, 1, r);
		check(&tc, r[0] == 6 && (r[1] & 0xffff) == 2,
		      "core level: %u ID bits, %u processors", r[0], r[1]);
	}
	case_end(&tc, "cpuid: irqchip platform: APIC, x2APIC, TSC deadline, ARAT, 0x15 = 2.4 GHz, 2 cores");
}

static void cpuid_host_tests(void)
{
	static struct hvx_cpuid_entry host[512], t[HVX_MAX_CPUID_ENTRIES];
	int nhost = vmctl_cpuid_read_host(host, ARRAY_SIZE(host));
	int n = nhost > 0 ? vmctl_cpuid_filter(host, nhost, 0x7, t, ARRAY_SIZE(t)) : -1;
	uint32_t r[4];
	struct tcase tc;

	case_begin(&tc);
	check(&tc, nhost > 0, "reading the host's CPUID: %d", nhost);
	check(&tc, n > 0 && n <= HVX_MAX_CPUID_ENTRIES, "%d guest entries", n);
	if (n > 0) {
		guest_cpuid(t, n, 1, 0, r);
		check(&tc, !(r[2] & BIT(5)) && (r[2] & BIT(31)), "leaf 1 ECX %#x", r[2]);
		check(&tc, guest_cpuid(t, n, 0x40000000, 0, r), "no hypervisor leaf");
		check(&tc, guest_cpuid(t, n, 0x80000001, 0, r), "no leaf 0x80000001");
		check(&tc, r[3] & BIT(29), "long mode lost: 0x80000001 EDX %#x", r[3]);
	}
	case_end(&tc, "cpuid: this host: %d leaves read, %d in the guest's table", nhost, n);
}

int main(int argc, char **argv)
{
	const char *kernel = argc > 1 ? argv[1] : NULL;

	if (argc > 2) {
		fprintf(stderr, "usage: %s [BZIMAGE]\n", argv[0]);
		return 2;
	}
	tmpdir_create("loader-test");
	if (kernel && *kernel)
		real_kernel_tests(kernel);
	else
		skip("linux: the real kernel", "no /boot/vmlinuz-* (pass BZIMAGE)");
	synthetic_kernel_tests();
	cpuid_synthetic_tests();
	cpuid_platform_tests();
	cpuid_host_tests();
	tmpdir_remove();
	return tap_finish();
}
