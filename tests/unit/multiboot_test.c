// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of vmctl's Multiboot 1 loader
 * (userspace/vmctl/loader_multiboot.c), without /dev/hvx: guest memory is
 * a calloc()ed buffer in a fake struct vmctl_vm, and only the halves that
 * need no vCPU fd are called.
 *
 *   multiboot_test [MULTIBOOT_HELLO_ELF [BZIMAGE]]
 *
 * MULTIBOOT_HELLO_ELF is tests/guests/multiboot_hello built by
 * multiboot.mk (its path is compiled in); BZIMAGE, normally the newest
 * /boot/vmlinuz-*, must not be taken for a Multiboot kernel. Synthetic
 * a.out-kludge and ELF images cover the rest. The information structure is
 * read at the offsets the specification gives, not through the loader's
 * own struct mb_info. Prints TAP and exits non-zero if any case failed.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/boot_params.h"
#include "boot/loader_multiboot.h"
#include "unit.h"
#include "core/vm.h"
#include "vmctl_fixture.h"

#ifndef MULTIBOOT_HELLO
#define MULTIBOOT_HELLO	""
#endif
#ifndef MB_BZIMAGE
#define MB_BZIMAGE	""
#endif

#define MIB		(1ULL << 20)
#define GIB		(1ULL << 30)
#define MAGIC		0x1badb002U
#define KLUDGE		(1U << 16)

/* --- helpers (and those of vmctl_fixture.c) ------------------------------ */

/* Is every byte of [gpa, gpa + len) @val? */
static bool all(const struct vmctl_vm *vm, uint64_t gpa, uint64_t len, uint8_t val)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		if (vm->mem[gpa + i] != val)
			return false;
	return true;
}

/* --- synthetic images ---------------------------------------------------- */

/* A Multiboot header at @off; @addr: the five kludge fields, or NULL. */
static void put_header(uint8_t *file, size_t off, uint32_t flags,
		       const uint32_t *addr)
{
	uint32_t h[8] = { MAGIC, flags, -(MAGIC + flags) };

	if (addr)
		memcpy(&h[3], addr, 5 * sizeof(*addr));
	memcpy(file + off, h, addr ? 32 : 12);
}

/* The a.out-kludge image: file bytes are payload_byte(offset). */
struct aout {
	size_t file_len, header_off;
	uint32_t flags;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

static const struct aout aout_defaults = {
	.file_len = 0x4000, .header_off = 0x40, .flags = KLUDGE | 3,
	.header_addr = 0x200040, .load_addr = 0x200000,
	.load_end_addr = 0x203000, .bss_end_addr = 0x205800,
	.entry_addr = 0x200100,
};

static const char *make_aout(const char *name, const struct aout *a)
{
	uint8_t *file = malloc(a->file_len);
	const uint32_t addr[5] = {
		a->header_addr, a->load_addr, a->load_end_addr,
		a->bss_end_addr, a->entry_addr,
	};
	const char *path = tmp_path(name);
	size_t i;

	for (i = 0; i < a->file_len; i++)
		file[i] = payload_byte(i);
	put_header(file, a->header_off, a->flags, addr);
	write_file(path, file, a->file_len);
	free(file);
	return path;
}

/*
 * An ELF32 kernel linked in the upper half: text at 0xc0100000 (physical
 * 1 MiB, Multiboot header first), data at 0xc0104000 (0x104000) with
 * 0x2f00 bytes of bss, and a PT_NOTE that must be ignored.
 */
struct elf {
	unsigned char class;
	uint16_t machine;
	uint32_t flags;
	uint32_t entry;
	uint32_t text_paddr, data_filesz, data_memsz;
};

static const struct elf elf_defaults = {
	.class = ELFCLASS32, .machine = EM_386, .flags = 3,
	.entry = 0xc0100020, .text_paddr = 0x100000,
	.data_filesz = 0x100, .data_memsz = 0x3000,
};

#define ELF_TEXT_OFF	0x1000
#define ELF_TEXT_LEN	0x1800
#define ELF_DATA_OFF	0x3000
#define ELF_FILE_LEN	0x3100
#define ELF_VOFF	0xc0000000U

static const char *make_elf(const char *name, const struct elf *e)
{
	uint8_t *file = calloc(1, ELF_FILE_LEN);
	Elf32_Ehdr eh = { 0 };
	Elf32_Phdr ph[3] = {
		{ .p_type = PT_NOTE, .p_offset = 0x200, .p_filesz = 0x20,
		  .p_memsz = 0x20 },
		{ .p_type = PT_LOAD, .p_offset = ELF_TEXT_OFF,
		  .p_vaddr = e->text_paddr + ELF_VOFF, .p_paddr = e->text_paddr,
		  .p_filesz = ELF_TEXT_LEN, .p_memsz = ELF_TEXT_LEN,
		  .p_flags = PF_R | PF_X },
		{ .p_type = PT_LOAD, .p_offset = ELF_DATA_OFF,
		  .p_vaddr = 0x104000 + ELF_VOFF, .p_paddr = 0x104000,
		  .p_filesz = e->data_filesz, .p_memsz = e->data_memsz,
		  .p_flags = PF_R | PF_W },
	};
	const char *path = tmp_path(name);
	size_t i;

	for (i = ELF_TEXT_OFF; i < ELF_FILE_LEN; i++)
		file[i] = payload_byte(i);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = e->class;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = e->machine;
	eh.e_version = EV_CURRENT;
	eh.e_entry = e->entry;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf32_Phdr);
	eh.e_phnum = 3;
	memcpy(file, &eh, sizeof(eh));
	memcpy(file + sizeof(eh), ph, sizeof(ph));
	put_header(file, ELF_TEXT_OFF, e->flags, NULL);
	write_file(path, file, ELF_FILE_LEN);
	free(file);
	return path;
}

/* A bzImage's first sectors: boot flag, "HdrS", protocol 2.15. */
static void fake_bzimage(uint8_t *buf, size_t len)
{
	struct bp_setup_header h = { 0 };
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = payload_byte(i);
	h.boot_flag = BP_BOOT_FLAG;
	h.jump = 0xeb | (0x26c - 0x202) << 8;
	h.header = BP_HDRS_MAGIC;
	h.version = 0x020f;
	h.loadflags = BP_LOADED_HIGH;
	h.xloadflags = BP_XLF_KERNEL_64;
	memcpy(buf + BP_HDR_OFFSET, &h, sizeof(h));
}

/* --- detection ----------------------------------------------------------- */

static void detection_tests(const char *bzimage)
{
	static uint8_t img[16384];
	struct tcase tc;
	uint32_t bad[3] = { MAGIC, 3, 0 };

	case_begin(&tc);
	memset(img, 0, sizeof(img));
	put_header(img, 0, 0, NULL);
	check(&tc, vmctl_is_multiboot(img, sizeof(img)), "flags 0 at offset 0");
	check(&tc, vmctl_is_multiboot(img, 12), "a 12-byte image");
	check(&tc, !vmctl_is_multiboot(img, 11), "an 11-byte image detected");
	memset(img, 0, sizeof(img));
	put_header(img, 8180, 3, NULL);
	check(&tc, vmctl_is_multiboot(img, sizeof(img)), "header ending at byte 8192");
	case_end(&tc, "multiboot: detected at offsets 0 and 8180 (ending at 8 KiB)");

	case_begin(&tc);
	memset(img, 0, sizeof(img));
	put_header(img, 8184, 3, NULL);
	check(&tc, !vmctl_is_multiboot(img, sizeof(img)), "header crossing 8 KiB detected");
	memset(img, 0, sizeof(img));
	put_header(img, 8192, 3, NULL);
	check(&tc, !vmctl_is_multiboot(img, sizeof(img)), "header at 8192 detected");
	memset(img, 0, sizeof(img));
	put_header(img, 0x102, 3, NULL);
	check(&tc, !vmctl_is_multiboot(img, sizeof(img)), "header at 0x102 detected");
	memset(img, 0, sizeof(img));
	memcpy(img + 0x100, bad, sizeof(bad));
	check(&tc, !vmctl_is_multiboot(img, sizeof(img)), "bad checksum detected");
	put_header(img, 0x200, 3, NULL);
	check(&tc, vmctl_is_multiboot(img, sizeof(img)),
	      "a good header after a bad checksum not found");
	memset(img, 0, sizeof(img));
	check(&tc, !vmctl_is_multiboot(img, sizeof(img)), "zeros detected");
	case_end(&tc, "multiboot: not detected past 8 KiB, misaligned, with a bad checksum");

	case_begin(&tc);
	fake_bzimage(img, sizeof(img));
	check(&tc, !vmctl_is_multiboot(img, sizeof(img)), "synthetic bzImage detected");
	case_end(&tc, "multiboot: a synthetic bzImage is not Multiboot");

	if (bzimage && *bzimage) {
		size_t len;
		uint8_t *file = read_file(bzimage, &len);

		if (!file) {
			skip("multiboot: the real bzImage is not Multiboot", strerror(errno));
			return;
		}
		case_begin(&tc);
		check(&tc, !vmctl_is_multiboot(file, len), "%s detected", bzimage);
		case_end(&tc, "multiboot: %s is not Multiboot", bzimage);
		free(file);
	} else {
		skip("multiboot: the real bzImage is not Multiboot", "no /boot/vmlinuz-*");
	}
}

/* --- loading ------------------------------------------------------------- */

static int load(struct vmctl_vm *vm, const char *kernel, const char *cmdline,
		const char *const *mods, unsigned int n,
		struct vmctl_multiboot_info *info)
{
	int ret;

	capture_stderr();
	ret = vmctl_multiboot_setup_memory(vm, kernel, cmdline, mods, n, info);
	captured();
	return ret;
}

/*
 * Kernels linked low: vmctl's boot block moves out of their way, to the
 * first page after them, or above 1 MiB when they fill low memory; their
 * bytes stay as loaded, and EBX, ESP and the GDT follow the block.
 */
static void low_kernel_tests(void)
{
	static const struct {
		uint32_t load, end, bss_end;
		uint64_t block;
		const char *what;
	} cases[] = {
		{ 0x1000, 0x5000, 0x5000, 0x5000, "at 0x1000: the block after it" },
		{ 0x8000, 0x9000, 0x9800, 0xa000, "at 0x8000: the block after its bss" },
		{ 0x1000, 0x5000, 0x9f000, 0x101000,
		  "filling low memory: the block above 1 MiB, after the module" },
	};
	struct tcase tc;
	const char *mods[1];
	unsigned int c;

	mods[0] = tmp_path("low-mod");
	write_file(mods[0], "module!", 7);
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct aout a = aout_defaults;
		struct vmctl_multiboot_info info;
		struct vmctl_vm *vm = fake_vm(64 * MIB);
		struct hvx_sregs sregs = { 0 };
		struct hvx_regs regs;
		size_t i, bad = 0;
		uint32_t mbi, mod;
		int ret;

		a.file_len = cases[c].end - cases[c].load;
		a.header_off = 0x40;
		a.load_addr = cases[c].load;
		a.header_addr = cases[c].load + 0x40;
		a.load_end_addr = cases[c].end;
		a.bss_end_addr = cases[c].bss_end;
		a.entry_addr = cases[c].load + 0x100;
		ret = load(vm, make_aout("aout-low", &a), "low", mods, 1, &info);
		case_begin(&tc);
		check(&tc, ret == 0, "refused: %s", errbuf);
		if (ret) {
			case_end(&tc, "multiboot: a kernel linked %s", cases[c].what);
			free_vm(vm);
			continue;
		}
		for (i = 0; i < a.file_len; i++)
			if (i < 0x40 || i >= 0x60)
				bad += vm->mem[a.load_addr + i] != payload_byte(i);
		check(&tc, !bad, "%zu kernel bytes overwritten", bad);
		check(&tc, all(vm, a.load_end_addr, a.bss_end_addr - a.load_end_addr, 0),
		      "bss not zero");
		check(&tc, info.block_addr == cases[c].block, "block at %#x, want %#llx",
		      info.block_addr, (unsigned long long)cases[c].block);
		mbi = info.info_addr;
		check(&tc, mbi == info.block_addr + 0x1000 &&
		      !strcmp((const char *)vm->mem + get32(vm, mbi + 16), "low"),
		      "info at %#x, cmdline '%s'", mbi,
		      (const char *)vm->mem + get32(vm, mbi + 16));
		mod = get32(vm, mbi + 24);
		check(&tc, get32(vm, mbi + 20) == 1 && get32(vm, mod) >= 0x100000 &&
		      !memcmp(vm->mem + get32(vm, mod), "module!", 7) &&
		      !strcmp((const char *)vm->mem + get32(vm, mod + 8), mods[0]),
		      "module at %#x", get32(vm, mod));
		check(&tc, get32(vm, mod) + 7 <= info.block_addr ||
		      info.block_addr + info.block_size <= get32(vm, mod),
		      "block [%#x, +%#x) over the module at %#x", info.block_addr,
		      info.block_size, get32(vm, mod));
		vmctl_multiboot_vcpu_state(&info, &sregs, &regs);
		check(&tc, regs.rbx == mbi && regs.rsp == info.block_addr + info.block_size &&
		      sregs.gdt.base == info.block_addr &&
		      get64(vm, info.block_addr + 8) == 0x00cf9b000000ffffULL,
		      "EBX %#llx ESP %#llx GDT %#llx", (unsigned long long)regs.rbx,
		      (unsigned long long)regs.rsp, (unsigned long long)sregs.gdt.base);
		case_end(&tc, "multiboot: a kernel linked %s", cases[c].what);
		free_vm(vm);
	}
}

static void aout_tests(void)
{
	struct aout a = aout_defaults;
	const char *kernel = make_aout("aout", &a);
	struct vmctl_vm *vm = fake_vm(64 * MIB);
	struct vmctl_multiboot_info info;
	struct tcase tc;
	size_t i, bad = 0;
	int ret;

	memset(vm->mem + 0x200000, 0xaa, 0x10000);
	ret = load(vm, kernel, NULL, NULL, 0, &info);
	case_begin(&tc);
	check(&tc, ret == 0, "refused: %s", errbuf);
	check(&tc, info.aout_kludge, "not loaded by the kludge");
	check(&tc, info.header_offset == 0x40, "header at %#x", info.header_offset);
	check(&tc, info.header_flags == (KLUDGE | 3), "flags %#x", info.header_flags);
	for (i = 0; i < 0x3000; i++)
		bad += vm->mem[0x200000 + i] != (i >= 0x40 && i < 0x60 ?
						 vm->mem[0x200000 + i] : payload_byte(i));
	check(&tc, !bad, "%zu bytes at load_addr differ from the file", bad);
	check(&tc, get32(vm, 0x200040) == MAGIC, "header not at header_addr");
	check(&tc, all(vm, 0x203000, 0x2800, 0), "bss [0x203000, 0x205800) not zeroed");
	check(&tc, all(vm, 0x205800, 0x800, 0xaa), "written past bss_end_addr");
	check(&tc, all(vm, 0x1ff000, 0x1000, 0), "written below load_addr");
	check(&tc, info.entry == 0x200100, "entry %#x", info.entry);
	check(&tc, info.kernel_start == 0x200000 && info.kernel_end == 0x205800,
	      "kernel [%#llx, %#llx)", (unsigned long long)info.kernel_start,
	      (unsigned long long)info.kernel_end);
	case_end(&tc, "multiboot: a.out kludge: file from offset 0 at load_addr 0x200000 up to load_end_addr, bss zeroed to bss_end_addr");
	free_vm(vm);

	/* load_addr 0x800 bytes before the header; load_end 0: the whole file. */
	a.header_off = 0x1000;
	a.load_addr = 0x300000;
	a.header_addr = 0x300800;
	a.load_end_addr = 0;
	a.bss_end_addr = 0;
	a.entry_addr = 0x300800 + 32;
	kernel = make_aout("aout-offset", &a);
	vm = fake_vm(64 * MIB);
	ret = load(vm, kernel, NULL, NULL, 0, &info);
	case_begin(&tc);
	check(&tc, ret == 0, "refused: %s", errbuf);
	for (i = 0, bad = 0; i < a.file_len - 0x800; i++)
		if (i < 0x800 || i >= 0x820)
			bad += vm->mem[0x300000 + i] != payload_byte(0x800 + i);
	check(&tc, !bad, "%zu bytes differ from the file past offset 0x800", bad);
	check(&tc, get32(vm, 0x300800) == MAGIC, "header not at header_addr");
	check(&tc, info.kernel_end == 0x300000 + a.file_len - 0x800, "kernel_end %#llx",
	      (unsigned long long)info.kernel_end);
	check(&tc, all(vm, info.kernel_end, 0x1000, 0), "written past the file's end");
	case_end(&tc, "multiboot: a.out kludge: header_addr - load_addr picks the file offset, load_end_addr 0 loads the rest of the file");
	free_vm(vm);

	low_kernel_tests();
}

static void elf_tests(void)
{
	struct elf e = elf_defaults;
	const char *kernel = make_elf("elf", &e);
	struct vmctl_vm *vm = fake_vm(64 * MIB);
	struct vmctl_multiboot_info info;
	struct tcase tc;
	size_t i, bad = 0;
	int ret;

	memset(vm->mem + 0x100000, 0xaa, 0x10000);
	ret = load(vm, kernel, NULL, NULL, 0, &info);
	case_begin(&tc);
	check(&tc, ret == 0, "refused: %s", errbuf);
	check(&tc, !info.aout_kludge, "loaded by the kludge");
	check(&tc, info.header_offset == ELF_TEXT_OFF, "header at %#x", info.header_offset);
	for (i = 12; i < ELF_TEXT_LEN; i++)
		bad += vm->mem[0x100000 + i] != payload_byte(ELF_TEXT_OFF + i);
	check(&tc, !bad, "%zu text bytes differ", bad);
	check(&tc, get32(vm, 0x100000) == MAGIC, "header not at 1 MiB");
	check(&tc, all(vm, 0x100000 + ELF_TEXT_LEN, 0x4000 - ELF_TEXT_LEN, 0xaa),
	      "written between the segments");
	for (i = 0, bad = 0; i < 0x100; i++)
		bad += vm->mem[0x104000 + i] != payload_byte(ELF_DATA_OFF + i);
	check(&tc, !bad, "%zu data bytes differ", bad);
	check(&tc, all(vm, 0x104100, 0x2f00, 0), "bss not zeroed");
	check(&tc, all(vm, 0x107000, 0x1000, 0xaa), "written past p_memsz");
	check(&tc, all(vm, 0, 0x1000, 0), "the PT_NOTE or the ELF header was loaded at 0");
	check(&tc, info.entry == 0x100020, "entry %#x, expected e_entry 0xc0100020 - 0xc0000000",
	      info.entry);
	check(&tc, info.kernel_start == 0x100000 && info.kernel_end == 0x107000,
	      "kernel [%#llx, %#llx)", (unsigned long long)info.kernel_start,
	      (unsigned long long)info.kernel_end);
	case_end(&tc, "multiboot: ELF32: PT_LOAD at p_paddr, bss zeroed, PT_NOTE skipped, higher-half e_entry made physical");
	free_vm(vm);

	/* ELF64 with the kludge: the address fields win over the ELF file. */
	{
		struct aout a = aout_defaults;
		uint8_t *file;
		size_t len;
		const char *path = make_aout("elf64-kludge", &a);

		file = read_file(path, &len);
		memcpy(file, ELFMAG, SELFMAG);
		file[EI_CLASS] = ELFCLASS64;
		write_file(path, file, len);
		free(file);
		vm = fake_vm(64 * MIB);
		ret = load(vm, path, NULL, NULL, 0, &info);
		case_begin(&tc);
		check(&tc, ret == 0, "refused: %s", errbuf);
		check(&tc, info.aout_kludge && info.entry == 0x200100, "not by the kludge");
		check(&tc, !memcmp(vm->mem + 0x200000, ELFMAG, SELFMAG),
		      "the file's start not at load_addr");
		case_end(&tc, "multiboot: an ELF64 file with the a.out kludge loads by the header's addresses");
		free_vm(vm);
	}

	/* Flag 2 (video mode) is accepted; no video information is given. */
	e.flags = 7;
	kernel = make_elf("elf-video", &e);
	vm = fake_vm(64 * MIB);
	ret = load(vm, kernel, NULL, NULL, 0, &info);
	case_begin(&tc);
	check(&tc, ret == 0, "refused: %s", errbuf);
	check(&tc, !(get32(vm, info.info_addr) & (3U << 11)),
	      "info flags %#x have VBE or framebuffer bits", get32(vm, info.info_addr));
	check(&tc, all(vm, info.info_addr + 72, 116 - 72, 0), "video fields not zero");
	case_end(&tc, "multiboot: header flag 2 (video mode): booted without video information");
	free_vm(vm);
}

static void real_guest_tests(const char *path)
{
	struct vmctl_vm *vm;
	struct vmctl_multiboot_info info;
	struct tcase tc;
	size_t len, i;
	uint8_t *file = path && *path ? read_file(path, &len) : NULL;
	Elf32_Ehdr eh;
	unsigned int nload = 0;
	int ret;

	if (!file) {
		skip("multiboot: multiboot_hello", path && *path ? strerror(errno) :
		     "not built (pass its path)");
		return;
	}
	vm = fake_vm(64 * MIB);
	memset(vm->mem + 0x100000, 0xaa, 0x10000);
	ret = load(vm, path, "hello world", NULL, 0, &info);
	memcpy(&eh, file, sizeof(eh));

	case_begin(&tc);
	check(&tc, vmctl_is_multiboot(file, len), "not detected");
	check(&tc, ret == 0, "refused: %s", errbuf);
	check(&tc, !info.aout_kludge, "loaded by the kludge");
	check(&tc, info.header_flags == 3, "header flags %#x", info.header_flags);
	check(&tc, info.entry == eh.e_entry, "entry %#x, e_entry %#x", info.entry, eh.e_entry);
	check(&tc, eh.e_entry > 0x100000 && vm->mem[eh.e_entry] == 0xfa,
	      "no cli at the entry point %#x", eh.e_entry);
	for (i = 0; i < eh.e_phnum; i++) {
		Elf32_Phdr ph;

		memcpy(&ph, file + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		nload++;
		check(&tc, ph.p_paddr >= 0x100000, "segment %zu at %#x", i, ph.p_paddr);
		check(&tc, !memcmp(vm->mem + ph.p_paddr, file + ph.p_offset, ph.p_filesz),
		      "segment %zu: bytes at %#x differ from the file", i, ph.p_paddr);
		check(&tc, all(vm, ph.p_paddr + ph.p_filesz, ph.p_memsz - ph.p_filesz, 0),
		      "segment %zu: bss at %#x not zeroed", i, ph.p_paddr + ph.p_filesz);
		check(&tc, info.kernel_end >= ph.p_paddr + ph.p_memsz, "kernel_end %#llx",
		      (unsigned long long)info.kernel_end);
	}
	check(&tc, nload >= 2, "%u PT_LOAD segments, expected text and bss", nload);
	check(&tc, get32(vm, 0x100000) == MAGIC, "header not at 1 MiB");
	check(&tc, !strcmp((const char *)vm->mem + get32(vm, info.info_addr + 16), "hello world"),
	      "cmdline '%s'", (const char *)vm->mem + get32(vm, info.info_addr + 16));
	check(&tc, get32(vm, info.info_addr + 8) == 64512, "mem_upper %u",
	      get32(vm, info.info_addr + 8));
	case_end(&tc, "multiboot: %s: segments loaded, bss zeroed, entry %#x", path, eh.e_entry);
	free(file);
	free_vm(vm);
}

/* --- the information structure and the entry state ---------------------- */

static void info_tests(void)
{
	static const char cmdline[] = "console=com1 debug";
	const char *kernel = make_elf("elf-info", &elf_defaults);
	const size_t m1_len = 3 * 4096 + 17, m2_len = 12345;
	const char *m1 = make_data_file("mod1", m1_len, 1);
	const char *m2 = make_data_file("mod2", m2_len, 2);
	char m2_arg[160];
	const char *mods[2];
	const uint64_t sizes[2] = { 64 * MIB, 256 * MIB };
	struct vmctl_multiboot_info info;
	struct tcase tc;
	uint8_t *f1, *f2;
	size_t l1, l2;
	unsigned int s;
	int ret;

	snprintf(m2_arg, sizeof(m2_arg), "%s root=/dev/ram0 x=1", m2);
	mods[0] = m1;
	mods[1] = m2_arg;
	f1 = read_file(m1, &l1);
	f2 = read_file(m2, &l2);

	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		struct vmctl_vm *vm = fake_vm(sizes[s]);
		uint32_t mbi, flags, mmap, mods_addr, m;
		struct hvx_sregs sregs;
		struct hvx_regs regs;

		ret = load(vm, kernel, cmdline, mods, 2, &info);
		mbi = info.info_addr;
		flags = get32(vm, mbi);

		case_begin(&tc);
		check(&tc, ret == 0, "refused: %s", errbuf);
		check(&tc, mbi == 0x2000, "info at %#x", mbi);
		check(&tc, flags == ((1 << 0) | (1 << 2) | (1 << 3) | (1 << 6) | (1 << 9)),
		      "flags %#x, expected mem, cmdline, mods, mmap, loader name", flags);
		check(&tc, get32(vm, mbi + 4) == 639, "mem_lower %u", get32(vm, mbi + 4));
		check(&tc, get32(vm, mbi + 8) == (sizes[s] - MIB) / 1024, "mem_upper %u",
		      get32(vm, mbi + 8));
		check(&tc, !strcmp((const char *)vm->mem + get32(vm, mbi + 16), cmdline),
		      "cmdline '%s'", (const char *)vm->mem + get32(vm, mbi + 16));
		check(&tc, !strcmp((const char *)vm->mem + get32(vm, mbi + 64), "vmctl"),
		      "boot_loader_name '%s'", (const char *)vm->mem + get32(vm, mbi + 64));
		check(&tc, !get32(vm, mbi + 12) && all(vm, mbi + 28, 16, 0) &&
		      all(vm, mbi + 52, 12, 0) && all(vm, mbi + 68, 116 - 68, 0),
		      "fields without a flag not zero");
		check(&tc, info.block_addr == 0x1000 && mbi == 0x2000 &&
		      get32(vm, mbi + 16) < 0x9f000 && get32(vm, mbi + 64) < 0x9f000,
		      "structures not in low memory: block at %#x", info.block_addr);
		case_end(&tc, "multiboot: %llu MiB: info at 0x2000: mem_lower 639, mem_upper %llu, cmdline, \"vmctl\"",
			 (unsigned long long)(sizes[s] / MIB),
			 (unsigned long long)((sizes[s] - MIB) / 1024));

		case_begin(&tc);
		mmap = get32(vm, mbi + 48);
		check(&tc, get32(vm, mbi + 44) == 72, "mmap_length %u", get32(vm, mbi + 44));
		{
			const uint64_t want[3][3] = {
				{ 0, 0x9fc00, 1 },
				{ 0x9fc00, 0x100000 - 0x9fc00, 2 },
				{ 0x100000, sizes[s] - 0x100000, 1 },
			};
			unsigned int e;

			for (e = 0; e < 3; e++) {
				uint32_t p = mmap + e * 24;

				check(&tc, get32(vm, p) == 20 && get64(vm, p + 4) == want[e][0] &&
				      get64(vm, p + 12) == want[e][1] &&
				      get32(vm, p + 20) == want[e][2],
				      "entry %u: size %u, %#llx+%#llx type %u", e, get32(vm, p),
				      (unsigned long long)get64(vm, p + 4),
				      (unsigned long long)get64(vm, p + 12), get32(vm, p + 20));
			}
		}
		case_end(&tc, "multiboot: %llu MiB: mmap: RAM [0, 0x9fc00), reserved to 1 MiB, RAM [1 MiB, end)",
			 (unsigned long long)(sizes[s] / MIB));

		case_begin(&tc);
		mods_addr = get32(vm, mbi + 24);
		check(&tc, get32(vm, mbi + 20) == 2, "mods_count %u", get32(vm, mbi + 20));
		m = get32(vm, mods_addr);
		check(&tc, m == 0x107000, "module 1 at %#x, expected the page after the kernel's bss",
		      m);
		check(&tc, get32(vm, mods_addr + 4) == m + m1_len, "module 1 ends at %#x",
		      get32(vm, mods_addr + 4));
		check(&tc, f1 && l1 == m1_len && !memcmp(vm->mem + m, f1, m1_len),
		      "module 1 bytes differ");
		check(&tc, !strcmp((const char *)vm->mem + get32(vm, mods_addr + 8), m1),
		      "module 1 string '%s'",
		      (const char *)vm->mem + get32(vm, mods_addr + 8));
		check(&tc, !get32(vm, mods_addr + 12), "module 1 reserved not 0");
		m = get32(vm, mods_addr + 16);
		check(&tc, m == 0x107000 + 4 * 4096, "module 2 at %#x", m);
		check(&tc, get32(vm, mods_addr + 20) == m + m2_len, "module 2 ends at %#x",
		      get32(vm, mods_addr + 20));
		check(&tc, f2 && l2 == m2_len && !memcmp(vm->mem + m, f2, m2_len),
		      "module 2 bytes differ");
		check(&tc, !strcmp((const char *)vm->mem + get32(vm, mods_addr + 24), m2_arg),
		      "module 2 string '%s'",
		      (const char *)vm->mem + get32(vm, mods_addr + 24));
		check(&tc, info.modules_end == m + m2_len, "modules_end %#llx",
		      (unsigned long long)info.modules_end);
		case_end(&tc, "multiboot: %llu MiB: 2 modules page-aligned from 0x107000, strings \"FILE\" and \"FILE ARGS\"",
			 (unsigned long long)(sizes[s] / MIB));

		case_begin(&tc);
		check(&tc, get64(vm, info.block_addr) == 0, "GDT entry 0 not null");
		check(&tc, get64(vm, info.block_addr + 8) == 0x00cf9b000000ffffULL, "GDT 0x08 %#llx",
		      (unsigned long long)get64(vm, info.block_addr + 8));
		check(&tc, get64(vm, info.block_addr + 16) == 0x00cf93000000ffffULL, "GDT 0x10 %#llx",
		      (unsigned long long)get64(vm, info.block_addr + 16));
		memset(&sregs, 0x5a, sizeof(sregs));
		sregs.apic_base = 0xfee00900;
		sregs.cr0 = 0x80000031;
		sregs.cr4 = 0x20;
		sregs.efer = 0x500;
		vmctl_multiboot_vcpu_state(&info, &sregs, &regs);
		check(&tc, regs.rax == 0x2badb002, "EAX %#llx", (unsigned long long)regs.rax);
		check(&tc, regs.rbx == 0x2000, "EBX %#llx", (unsigned long long)regs.rbx);
		check(&tc, regs.rip == 0x100020, "EIP %#llx", (unsigned long long)regs.rip);
		check(&tc, regs.rflags == 2, "EFLAGS %#llx: IF or VM set", (unsigned long long)regs.rflags);
		check(&tc, !regs.rcx && !regs.rdx && !regs.rsi && !regs.rdi && !regs.rbp,
		      "other registers not zero");
		check(&tc, (sregs.cr0 & 1) && !(sregs.cr0 & 0x80000000ULL),
		      "CR0 %#llx: PE clear or PG set", (unsigned long long)sregs.cr0);
		check(&tc, !sregs.cr3 && !sregs.cr4 && !sregs.efer, "CR3 %#llx CR4 %#llx EFER %#llx",
		      (unsigned long long)sregs.cr3, (unsigned long long)sregs.cr4,
		      (unsigned long long)sregs.efer);
		check(&tc, sregs.cs.selector == 0x08 && sregs.cs.base == 0 &&
		      sregs.cs.limit == 0xffffffff && sregs.cs.type == 11 && sregs.cs.s &&
		      sregs.cs.present && sregs.cs.db && !sregs.cs.l && sregs.cs.g &&
		      !sregs.cs.dpl && !sregs.cs.unusable, "CS not flat 32-bit code 0x08");
		check(&tc, sregs.ds.selector == 0x10 && sregs.ds.base == 0 &&
		      sregs.ds.limit == 0xffffffff && sregs.ds.type == 3 && sregs.ds.s &&
		      sregs.ds.present && sregs.ds.db && sregs.ds.g && !sregs.ds.l &&
		      !sregs.ds.unusable &&
		      !memcmp(&sregs.ds, &sregs.es, sizeof(sregs.ds)) &&
		      !memcmp(&sregs.ds, &sregs.fs, sizeof(sregs.ds)) &&
		      !memcmp(&sregs.ds, &sregs.gs, sizeof(sregs.ds)) &&
		      !memcmp(&sregs.ds, &sregs.ss, sizeof(sregs.ds)),
		      "DS/ES/FS/GS/SS not flat data 0x10");
		check(&tc, sregs.tr.present && !sregs.tr.unusable && sregs.tr.type == 11,
		      "TR not a usable busy TSS");
		check(&tc, sregs.ldt.unusable, "LDT usable");
		check(&tc, sregs.gdt.base == info.block_addr && sregs.gdt.limit == 23,
		      "GDTR %#llx/%u", (unsigned long long)sregs.gdt.base, sregs.gdt.limit);
		check(&tc, sregs.apic_base == 0xfee00900, "APIC base not kept");
		check(&tc, !sregs.reserved[0] && !sregs.reserved[3], "reserved not zero");
		case_end(&tc, "multiboot: %llu MiB: entry: EAX 0x2badb002, EBX 0x2000, 32-bit flat CS 0x08/DS 0x10, PE on, PG off, IF off",
			 (unsigned long long)(sizes[s] / MIB));
		free_vm(vm);
	}

	/* No command line: an empty one; no modules: flag 3 clear. */
	{
		struct vmctl_vm *vm = fake_vm(64 * MIB);

		ret = load(vm, kernel, NULL, NULL, 0, &info);
		case_begin(&tc);
		check(&tc, ret == 0, "refused: %s", errbuf);
		check(&tc, get32(vm, info.info_addr) == 0x245, "flags %#x",
		      get32(vm, info.info_addr));
		check(&tc, !vm->mem[get32(vm, info.info_addr + 16)], "command line not empty");
		check(&tc, !get32(vm, info.info_addr + 20) && !get32(vm, info.info_addr + 24),
		      "mods_count/mods_addr set");
		check(&tc, info.modules_end == info.kernel_end, "modules_end");
		case_end(&tc, "multiboot: no modules: flag 3 clear; no command line: an empty one");
		free_vm(vm);
	}
	free(f1);
	free(f2);
}

/* --- refusals ------------------------------------------------------------ */

static void expect_error(const char *what, const char *kernel, uint64_t mem,
			 const char *cmdline, const char *const *mods,
			 unsigned int n, const char *message)
{
	struct vmctl_vm *vm = mem <= 256 * MIB ? fake_vm(mem) : NULL;
	struct vmctl_vm big = { .mem = NULL, .mem_size = mem };
	struct vmctl_multiboot_info info;
	struct tcase tc;
	int ret;

	case_begin(&tc);
	ret = load(vm ? vm : &big, kernel, cmdline, mods, n, &info);
	check(&tc, ret == -1, "accepted");
	check(&tc, strstr(errbuf, message), "message '%s' lacks '%s'", errbuf, message);
	/* "Nothing is written unless everything fits." */
	if (vm)
		check(&tc, all(vm, 0, vm->mem_size > 8 * MIB ? 8 * MIB : vm->mem_size, 0),
		      "guest memory written");
	case_end(&tc, "multiboot: %s: %s", what, first_line());
	if (vm)
		free_vm(vm);
}

static void refusal_tests(void)
{
	const uint64_t mem = 64 * MIB;
	struct aout a;
	struct elf e;
	static uint8_t buf[0x4000];
	const char *elf = make_elf("elf-ok", &elf_defaults);
	const char *mods[MB_MAX_MODULES + 1];
	char *longline;
	unsigned int i;

	expect_error("no kernel file", tmp_path("nonexistent"), mem, NULL, NULL, 0,
		     "No such file");
	expect_error("kernel is a directory", tmpdir, mem, NULL, NULL, 0,
		     "not a regular file");
	memset(buf, 0, sizeof(buf));
	write_file(tmp_path("zeros"), buf, sizeof(buf));
	expect_error("a file of zeros", tmp_path("zeros"), mem, NULL, NULL, 0,
		     "no Multiboot header");
	fake_bzimage(buf, sizeof(buf));
	write_file(tmp_path("bzImage"), buf, sizeof(buf));
	expect_error("a bzImage", tmp_path("bzImage"), mem, NULL, NULL, 0,
		     "not a Multiboot kernel");
	memset(buf, 0, sizeof(buf));
	put_header(buf, 8192, 3, NULL);
	write_file(tmp_path("late"), buf, sizeof(buf));
	expect_error("header at 8 KiB", tmp_path("late"), mem, NULL, NULL, 0,
		     "in its first 8192 bytes");

	e = elf_defaults;
	e.flags = 3 | (1 << 3);
	expect_error("required flag 3", make_elf("flag3", &e), mem, NULL, NULL, 0,
		     "unknown required bits 0x8");
	e = elf_defaults;
	e.flags = 3 | (1 << 15);
	expect_error("required flag 15", make_elf("flag15", &e), mem, NULL, NULL, 0,
		     "unknown required bits 0x8000");
	e = elf_defaults;
	e.class = ELFCLASS64;
	expect_error("ELF64", make_elf("elf64", &e), mem, NULL, NULL, 0,
		     "an ELF64 file");
	e = elf_defaults;
	e.machine = EM_X86_64;
	expect_error("ELF32 for x86-64", make_elf("x32", &e), mem, NULL, NULL, 0,
		     "not an i386 ELF executable");
	e = elf_defaults;
	e.text_paddr = 0x8000000;
	e.entry = 0x8000000 + ELF_VOFF;
	expect_error("ELF segment past the end of memory", make_elf("high", &e), mem,
		     NULL, NULL, 0, "outside 64 MiB of guest memory: 129 MiB needed");
	e = elf_defaults;
	e.text_paddr = 0x0;
	e.entry = 0x100 + ELF_VOFF;
	expect_error("ELF segment at 0", make_elf("low", &e), mem, NULL, NULL, 0,
		     "over the real-mode interrupt table");
	e = elf_defaults;
	e.data_filesz = 0x200;
	e.data_memsz = 0x100;
	expect_error("p_filesz > p_memsz", make_elf("filesz", &e), mem, NULL, NULL, 0,
		     "corrupt ELF file: segment 2");
	e = elf_defaults;
	e.data_filesz = 0x1000;	/* past the file's end */
	expect_error("segment past the file's end", make_elf("short", &e), mem, NULL,
		     NULL, 0, "corrupt ELF file: segment 2");
	e = elf_defaults;
	e.entry = 0x100020;	/* physical, but the segments are linked high */
	expect_error("entry outside the segments", make_elf("entry", &e), mem, NULL,
		     NULL, 0, "entry point 0x100020 is in no loadable segment");

	a = aout_defaults;
	a.header_addr = 0x1fff00;
	expect_error("header_addr < load_addr", make_aout("hdr-low", &a), mem, NULL,
		     NULL, 0, "header_addr 0x1fff00 is below load_addr");
	a = aout_defaults;
	a.load_addr = 0x1ff000;
	expect_error("load_addr before the file", make_aout("before", &a), mem, NULL,
		     NULL, 0, "bytes before the header");
	a = aout_defaults;
	a.load_end_addr = 0x205000;
	expect_error("load_end_addr past the file", make_aout("trunc", &a), mem, NULL,
		     NULL, 0, "truncated: load_end_addr 0x205000");
	a = aout_defaults;
	a.load_end_addr = 0x200000;
	expect_error("load_end_addr = load_addr", make_aout("empty", &a), mem, NULL,
		     NULL, 0, "is not above load_addr");
	a = aout_defaults;
	a.bss_end_addr = 0x202000;
	expect_error("bss_end_addr < load_end_addr", make_aout("bss", &a), mem, NULL,
		     NULL, 0, "bss_end_addr 0x202000 is below");
	a = aout_defaults;
	a.entry_addr = 0x204000;
	expect_error("entry_addr outside", make_aout("aentry", &a), mem, NULL, NULL, 0,
		     "entry_addr 0x204000 is outside");
	a = aout_defaults;
	a.load_addr = 0xa0000;
	a.header_addr = 0xa0040;
	a.load_end_addr = 0xa3000;
	a.bss_end_addr = 0;
	a.entry_addr = 0xa0100;
	expect_error("a.out in the legacy hole", make_aout("hole", &a), mem, NULL, NULL,
		     0, "which the memory map reserves");
	a = aout_defaults;
	a.load_addr = 0x800;
	a.header_addr = 0x840;
	a.load_end_addr = 0;
	a.bss_end_addr = 0;
	a.entry_addr = 0x900;
	expect_error("a.out over the IVT", make_aout("aout-ivt", &a), mem,
		     NULL, NULL, 0, "link the kernel at or above 0x1000");
	memset(buf, 0, sizeof(buf));
	put_header(buf, 48, KLUDGE, NULL);
	write_file(tmp_path("cut"), buf, 64);
	expect_error("kludge header cut by the file's end", tmp_path("cut"), mem, NULL,
		     NULL, 0, "end past the file");
	memset(buf, 0, sizeof(buf));
	put_header(buf, 8176, KLUDGE, NULL);
	write_file(tmp_path("cut8k"), buf, sizeof(buf));
	expect_error("kludge header cut at 8 KiB", tmp_path("cut8k"), mem, NULL, NULL, 0,
		     "end past the first 8192 bytes");
	memset(buf, 0, sizeof(buf));
	put_header(buf, 0x100, 3, NULL);
	write_file(tmp_path("raw"), buf, sizeof(buf));
	expect_error("neither ELF nor kludge", tmp_path("raw"), mem, NULL, NULL, 0,
		     "neither an ELF executable");

	mods[0] = make_data_file("big", 3 * MIB, 3);
	expect_error("module beyond memory", elf, 4 * MIB, NULL, mods, 1,
		     "(up to 0x407000) do not fit in 4 MiB of guest memory: 5 MiB needed");
	mods[0] = tmp_path("no-module");
	expect_error("missing module", elf, mem, NULL, mods, 1, "No such file");
	mods[0] = tmpdir;
	expect_error("module is a directory", elf, mem, NULL, mods, 1,
		     "not a regular file");
	mods[0] = " args";
	expect_error("module without a file name", elf, mem, NULL, mods, 1,
		     "has no file name");
	for (i = 0; i < ARRAY_SIZE(mods); i++)
		mods[i] = elf;
	expect_error("257 modules", elf, mem, NULL, mods, ARRAY_SIZE(mods),
		     "at most 256");
	longline = malloc(MB_CMDLINE_MAX + 1);
	memset(longline, 'x', MB_CMDLINE_MAX);
	longline[MB_CMDLINE_MAX] = '\0';
	expect_error("command line of 64 KiB", elf, mem, longline, NULL, 0,
		     "the command line has 65536 bytes");
	free(longline);
	expect_error("4 GiB of guest memory", elf, 4 * GIB, NULL, NULL, 0,
		     "at most 3072 MiB");
	expect_error("1 MiB of guest memory", elf, MIB, NULL, NULL, 0,
		     "more than 1 MiB");
}

int main(int argc, char **argv)
{
	const char *hello = argc > 1 ? argv[1] : MULTIBOOT_HELLO;
	const char *bzimage = argc > 2 ? argv[2] : MB_BZIMAGE;

	if (argc > 3) {
		fprintf(stderr, "usage: %s [MULTIBOOT_HELLO_ELF [BZIMAGE]]\n", argv[0]);
		return 2;
	}
	tmpdir_create("multiboot-test");
	detection_tests(bzimage);
	aout_tests();
	elf_tests();
	real_guest_tests(hello);
	info_tests();
	refusal_tests();
	tmpdir_remove();
	return tap_finish();
}
