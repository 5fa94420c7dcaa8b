// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of vmctl's vmlinux boot (userspace/vmctl/boot/
 * loader_vmlinux.c, through vmctl_linux_setup_memory() as vmctl run calls
 * it), without /dev/hvx: guest memory is vmctl_fixture.c's buffer.
 *
 * Synthetic ELF files: the segments land at their physical addresses with
 * their bss cleared, the zero page holds the header the kernel reads, the
 * vCPU enters at e_entry; and each malformed or hostile header is refused
 * with its reason before guest memory is touched. Then the real vmlinux of
 * the testbed (build/vmlinux, from tests/testbed/extract_vmlinux.sh) where
 * it was made. Prints TAP; non-zero if a case failed.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot_params.h"
#include "unit.h"
#include "core/vm.h"
#include "vmctl_fixture.h"

#define MIB		(1ULL << 20)
#define MEM		(32 * MIB)
#define TEXT_ADDR	0x1000000ULL	/* 16 MiB, as Debian's */
#define TEXT_LEN	0x3000
#define DATA_ADDR	0x1200000ULL
#define DATA_FILE	0x1800
#define DATA_MEM	0x5000		/* the rest is bss */
#define TEXT_OFF	0x1000
#define DATA_OFF	0x4000
#define FILE_LEN	(DATA_OFF + DATA_FILE)
#define POISON		0xa5

struct elf_file {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[3];	/* text, data, a note that is not loaded */
};

/* An x86-64 vmlinux in miniature: text at 16 MiB, data and bss at 18 MiB. */
static struct elf_file good_elf(void)
{
	struct elf_file f = { 0 };

	memcpy(f.eh.e_ident, ELFMAG, SELFMAG);
	f.eh.e_ident[EI_CLASS] = ELFCLASS64;
	f.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	f.eh.e_ident[EI_VERSION] = EV_CURRENT;
	f.eh.e_type = ET_EXEC;
	f.eh.e_machine = EM_X86_64;
	f.eh.e_version = EV_CURRENT;
	f.eh.e_entry = TEXT_ADDR;
	f.eh.e_phoff = offsetof(struct elf_file, ph);
	f.eh.e_ehsize = sizeof(Elf64_Ehdr);
	f.eh.e_phentsize = sizeof(Elf64_Phdr);
	f.eh.e_phnum = 3;
	f.ph[0] = (Elf64_Phdr){
		.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = TEXT_OFF,
		.p_vaddr = 0xffffffff81000000ULL, .p_paddr = TEXT_ADDR,
		.p_filesz = TEXT_LEN, .p_memsz = TEXT_LEN, .p_align = 0x200000,
	};
	f.ph[1] = (Elf64_Phdr){
		.p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = DATA_OFF,
		.p_vaddr = 0xffffffff81200000ULL, .p_paddr = DATA_ADDR,
		.p_filesz = DATA_FILE, .p_memsz = DATA_MEM, .p_align = 0x200000,
	};
	f.ph[2] = (Elf64_Phdr){
		.p_type = PT_NOTE, .p_offset = TEXT_OFF, .p_paddr = 0,
		.p_filesz = 0x20, .p_memsz = 0x20,
	};
	return f;
}

/* The file: headers, then payload_byte()s from TEXT_OFF on. */
static const char *write_elf(const char *name, const struct elf_file *f)
{
	uint8_t *file = calloc(1, FILE_LEN);
	const char *path = tmp_path(name);
	size_t i;

	memcpy(file, f, sizeof(*f));
	for (i = TEXT_OFF; i < FILE_LEN; i++)
		file[i] = payload_byte(i);
	write_file(path, file, FILE_LEN);
	free(file);
	return path;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	while (n--)
		if (*p++ != v)
			return false;
	return true;
}

static bool file_bytes_at(const uint8_t *p, size_t off, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != payload_byte(off + i))
			return false;
	return true;
}

static void loads_a_vmlinux(void)
{
	struct elf_file f = good_elf();
	const char *kernel = write_elf("vmlinux", &f);
	const char *initrd = make_data_file("initrd", MIB + 77, 3);
	struct vmctl_vm *vm = fake_vm(MEM);
	const struct bp_zero_page *bp =
		(const struct bp_zero_page *)(vm->mem + LINUX_ZERO_PAGE_ADDR);
	struct vmctl_linux_info info;
	struct hvx_sregs sregs = { 0 };
	struct hvx_regs regs;
	struct tcase tc;
	int ret;

	/* What a previous boot left: the bss must not keep it. */
	memset(vm->mem + LINUX_KERNEL_ADDR, POISON, MEM - LINUX_KERNEL_ADDR);
	capture_stderr();
	ret = vmctl_linux_setup_memory(vm, kernel, initrd, "console=ttyS0 x=1", &info);
	captured();

	case_begin(&tc);
	check(&tc, ret == 0, "vmctl_linux_setup_memory: %d, stderr: %s", ret, errbuf);
	check(&tc, file_bytes_at(vm->mem + TEXT_ADDR, TEXT_OFF, TEXT_LEN),
	      "text at 16 MiB is not the file's");
	check(&tc, file_bytes_at(vm->mem + DATA_ADDR, DATA_OFF, DATA_FILE),
	      "data at 18 MiB is not the file's");
	check(&tc, all_bytes(vm->mem + DATA_ADDR + DATA_FILE, DATA_MEM - DATA_FILE, 0),
	      "bss not cleared");
	check(&tc, all_bytes(vm->mem + TEXT_ADDR + TEXT_LEN, 64, POISON),
	      "bytes past the text segment written");
	check(&tc, all_bytes(vm->mem + DATA_ADDR + DATA_MEM, 64, POISON),
	      "bytes past the bss written");
	case_end(&tc, "vmlinux: PT_LOAD segments at their physical addresses, bss cleared, nothing else");

	case_begin(&tc);
	check(&tc, info.kernel_addr == TEXT_ADDR && info.kernel_end == DATA_ADDR + DATA_MEM,
	      "kernel [%#llx, %#llx)", (unsigned long long)info.kernel_addr,
	      (unsigned long long)info.kernel_end);
	check(&tc, info.entry == TEXT_ADDR, "entry %#llx", (unsigned long long)info.entry);
	check(&tc, bp->hdr.boot_flag == BP_BOOT_FLAG && bp->hdr.header == BP_HDRS_MAGIC &&
	      bp->hdr.version == 0x020f, "header %#x %#x version %#x",
	      bp->hdr.boot_flag, bp->hdr.header, bp->hdr.version);
	check(&tc, bp->hdr.type_of_loader == 0xff && (bp->hdr.loadflags & BP_LOADED_HIGH) &&
	      (bp->hdr.xloadflags & BP_XLF_KERNEL_64), "loader %#x loadflags %#x xloadflags %#x",
	      bp->hdr.type_of_loader, bp->hdr.loadflags, bp->hdr.xloadflags);
	check(&tc, bp->hdr.cmd_line_ptr == LINUX_CMDLINE_ADDR &&
	      !strcmp((const char *)vm->mem + LINUX_CMDLINE_ADDR, "console=ttyS0 x=1"),
	      "command line at %#x", bp->hdr.cmd_line_ptr);
	check(&tc, bp->hdr.ramdisk_size == MIB + 77 && bp->hdr.ramdisk_image >= info.kernel_end &&
	      bp->hdr.ramdisk_image + bp->hdr.ramdisk_size <= MEM &&
	      !(bp->hdr.ramdisk_image & 0xfff),
	      "initrd %u bytes at %#x", bp->hdr.ramdisk_size, bp->hdr.ramdisk_image);
	check(&tc, bp->e820_entries == VMCTL_MEMORY_MAP_ENTRIES &&
	      bp->e820_table[2].addr + bp->e820_table[2].size == MEM,
	      "%u E820 entries", bp->e820_entries);
	check(&tc, bp->sentinel == 0, "sentinel %#x", bp->sentinel);
	vmctl_linux_vcpu_state(&info, &sregs, &regs);
	check(&tc, regs.rip == TEXT_ADDR && regs.rsi == LINUX_ZERO_PAGE_ADDR &&
	      (sregs.efer & (1ULL << 10)) && sregs.cs.l,
	      "rip %#llx rsi %#llx efer %#llx", (unsigned long long)regs.rip,
	      (unsigned long long)regs.rsi, (unsigned long long)sregs.efer);
	case_end(&tc, "vmlinux: the zero page's header, command line, initrd above the kernel; 64-bit entry at e_entry");
	free_vm(vm);
}

/* Each a file vmctl must refuse, with the reason it gives. */
static void refuses(const char *what, const struct elf_file *f, uint64_t mem,
		    const char *message)
{
	const char *kernel = write_elf("bad-vmlinux", f);
	struct vmctl_vm *vm = fake_vm(mem);
	struct vmctl_linux_info info;
	struct tcase tc;
	int ret;

	memset(vm->mem, POISON, mem);
	case_begin(&tc);
	capture_stderr();
	ret = vmctl_linux_setup_memory(vm, kernel, NULL, "", &info);
	captured();
	check(&tc, ret == -1, "accepted");
	check(&tc, strstr(errbuf, message), "message '%s' lacks '%s'", errbuf, message);
	check(&tc, all_bytes(vm->mem, mem, POISON), "guest memory written");
	case_end(&tc, "vmlinux refused: %s: %s", what, first_line());
	free_vm(vm);
}

static void refuses_bad_files(void)
{
	struct elf_file f;

	f = good_elf(), f.eh.e_machine = EM_386;
	refuses("an i386 ELF file", &f, MEM, "not an x86-64 executable");
	f = good_elf(), f.eh.e_type = ET_DYN;
	refuses("a shared object", &f, MEM, "not an x86-64 executable");
	f = good_elf(), f.eh.e_phentsize = 32;
	refuses("program headers of the wrong size", &f, MEM, "corrupt ELF file");
	f = good_elf(), f.eh.e_phnum = 0;
	refuses("no program headers", &f, MEM, "corrupt ELF file");
	f = good_elf(), f.eh.e_phnum = 65;
	refuses("65 program headers", &f, MEM, "corrupt ELF file");
	f = good_elf(), f.eh.e_phoff = FILE_LEN - 8;
	refuses("program headers past the end of the file", &f, MEM, "corrupt ELF file");
	f = good_elf(), f.ph[1].p_filesz = DATA_MEM + 1;
	refuses("a segment larger in the file than in memory", &f, MEM, "corrupt ELF file");
	f = good_elf(), f.ph[1].p_offset = FILE_LEN - 16;
	refuses("a segment past the end of the file", &f, MEM, "corrupt ELF file");
	f = good_elf(), f.ph[1].p_offset = ~0ULL - 8;
	refuses("a segment offset that wraps", &f, MEM, "corrupt ELF file");
	f = good_elf(), f.ph[0].p_paddr = 0x8000;
	refuses("text over the loader's page tables", &f, MEM, "below 1 MiB");
	f = good_elf(), f.ph[1].p_paddr = MEM - 0x1000;
	refuses("bss past the end of guest memory", &f, MEM, "of guest memory needed");
	f = good_elf(), f.ph[1].p_paddr = ~0ULL - 0x1000;
	refuses("an address that wraps", &f, MEM, "past the end of the address space");
	f = good_elf(), f.ph[0].p_type = PT_NULL, f.ph[1].p_type = PT_NULL;
	refuses("nothing to load", &f, MEM, "without a segment to load");
	f = good_elf(), f.eh.e_entry = DATA_ADDR;
	refuses("an entry point in data", &f, MEM, "in no executable segment");
	f = good_elf(), f.eh.e_entry = TEXT_ADDR + TEXT_LEN;
	refuses("an entry point just past the text", &f, MEM, "in no executable segment");
}

/* The testbed's own kernel, uncompressed, as the Linux guests boot it. */
static void real_vmlinux(const char *path)
{
	struct vmctl_vm *vm;
	struct vmctl_linux_info info;
	struct tcase tc;
	size_t len;
	uint8_t *file = read_file(path, &len);
	int ret;

	if (!file) {
		skip("vmlinux: the testbed's kernel", "no build/vmlinux (make guests makes it)");
		return;
	}
	free(file);
	vm = fake_vm(256 * MIB);
	capture_stderr();
	ret = vmctl_linux_setup_memory(vm, path, NULL, "console=ttyS0", &info);
	captured();
	case_begin(&tc);
	check(&tc, ret == 0, "vmctl_linux_setup_memory: %d, stderr: %s", ret, errbuf);
	check(&tc, info.entry == info.kernel_addr && info.kernel_addr >= 16 * MIB,
	      "entry %#llx, kernel at %#llx", (unsigned long long)info.entry,
	      (unsigned long long)info.kernel_addr);
	/* startup_64 begins with "lea -0x7(%rip), %rbp" or a jump: not zeros. */
	check(&tc, ret || !all_bytes(vm->mem + info.entry, 16, 0), "zeros at the entry");
	case_end(&tc, "vmlinux: %s loads: [%#llx, %#llx), entry %#llx", path,
		 (unsigned long long)info.kernel_addr,
		 (unsigned long long)info.kernel_end, (unsigned long long)info.entry);
	free_vm(vm);
}

int main(int argc, char **argv)
{
	tmpdir_create("vmlinux-test");
	loads_a_vmlinux();
	refuses_bad_files();
	real_vmlinux(argc > 1 ? argv[1] : REAL_VMLINUX);
	tmpdir_remove();
	return tap_finish();
}
