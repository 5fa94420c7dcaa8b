// SPDX-License-Identifier: GPL-2.0
/*
 * Uncompressed Linux kernels: the ELF vmlinux, booted through the same
 * 64-bit boot protocol as a bzImage (loader_linux.c), as Firecracker and
 * cloud-hypervisor boot theirs. A bzImage's startup_64 first decompresses
 * the real kernel, then enters it at its own startup_64 with the boot
 * protocol's state; a vmlinux is that real kernel, so vmctl puts its
 * PT_LOAD segments where it was linked to run (p_paddr: 16 MiB for
 * Debian's) and enters it there (e_entry is the physical address of
 * startup_64, "phys_startup_64" in vmlinux.lds.S). What it saves is the
 * guest's decompression: for Debian's xz kernel, 66 MB of output, most of
 * a guest boot's time in the emulated testbed.
 *
 * A vmlinux has no setup header, so vmctl writes the one the kernel reads
 * from the zero page: what a 2.15 protocol bzImage of the same kernel would
 * have, less the fields only its decompressor uses. The file is hostile
 * input like any other: every header and segment is checked against the
 * file and guest memory before a byte is copied.
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "boot/boot_params.h"
#include "boot/image_file.h"
#include "core/vm.h"

#define VMLINUX_MAX_PHDRS	64
/* x86's COMMAND_LINE_SIZE, NUL included: longer lines are cut by the kernel. */
#define VMLINUX_CMDLINE_SIZE	2048
#define IDENTITY_MAPPED		(4ULL << 30)	/* loader_linux.c's page tables */

bool vmctl_is_vmlinux(const uint8_t *head, size_t len)
{
	return len >= EI_NIDENT && !memcmp(head, ELFMAG, SELFMAG) &&
	       head[EI_CLASS] == ELFCLASS64;
}

/* The segments to load: checked, in @ph[0..*n). */
static int read_phdrs(int fd, const char *path, uint64_t file_size,
		      const Elf64_Ehdr *eh, Elf64_Phdr *ph, unsigned int *n)
{
	unsigned int i, loads = 0;

	if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum ||
	    eh->e_phnum > VMLINUX_MAX_PHDRS ||
	    eh->e_phoff > file_size ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > file_size - eh->e_phoff) {
		fprintf(stderr, "vmctl: %s: corrupt ELF file: %u program headers of %u bytes at offset %#llx in a file of %llu bytes\n",
			path, eh->e_phnum, eh->e_phentsize,
			(unsigned long long)eh->e_phoff,
			(unsigned long long)file_size);
		return -1;
	}
	if (vmctl_image_read_at(fd, path, ph, eh->e_phnum * sizeof(Elf64_Phdr),
				eh->e_phoff))
		return -1;
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];

		if (p->p_type != PT_LOAD || !p->p_memsz)
			continue;
		if (p->p_filesz > p->p_memsz || p->p_offset > file_size ||
		    p->p_filesz > file_size - p->p_offset) {
			fprintf(stderr, "vmctl: %s: corrupt ELF file: segment %u has %llu bytes at file offset %#llx and a size of %llu in memory; the file has %llu bytes\n",
				path, i, (unsigned long long)p->p_filesz,
				(unsigned long long)p->p_offset,
				(unsigned long long)p->p_memsz,
				(unsigned long long)file_size);
			return -1;
		}
		ph[loads++] = *p;
	}
	*n = loads;
	if (!loads) {
		fprintf(stderr, "vmctl: %s: an ELF file without a segment to load\n",
			path);
		return -1;
	}
	return 0;
}

int vmctl_vmlinux_parse(int fd, const char *path, uint64_t file_size,
			uint64_t mem_size, struct bp_setup_header *hdr,
			struct vmctl_linux_info *info)
{
	Elf64_Phdr ph[VMLINUX_MAX_PHDRS];
	uint64_t start = UINT64_MAX, end = 0, limit;
	bool entry_ok = false;
	Elf64_Ehdr eh;
	unsigned int i, n;

	if (file_size < sizeof(eh) ||
	    vmctl_image_read_at(fd, path, &eh, sizeof(eh), 0))
		goto not_vmlinux;
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64 ||
	    eh.e_type != ET_EXEC)
		goto not_vmlinux;
	if (read_phdrs(fd, path, file_size, &eh, ph, &n))
		return -1;

	/*
	 * Below 1 MiB are the loader's own structures and the PC's hole; the
	 * page tables identity-map 4 GiB, which startup_64 runs in until it
	 * switches to its own.
	 */
	limit = mem_size < IDENTITY_MAPPED ? mem_size : IDENTITY_MAPPED;
	for (i = 0; i < n; i++) {
		const Elf64_Phdr *p = &ph[i];

		if (p->p_paddr < LINUX_KERNEL_ADDR ||
		    p->p_memsz > UINT64_MAX - p->p_paddr) {
			fprintf(stderr, "vmctl: %s: segment %u of %llu bytes at %#llx: below 1 MiB, where vmctl keeps the boot structures, or past the end of the address space\n",
				path, i, (unsigned long long)p->p_memsz,
				(unsigned long long)p->p_paddr);
			return -1;
		}
		if (p->p_paddr + p->p_memsz > limit) {
			fprintf(stderr, "vmctl: %s: segment %u loads at [%#llx, %#llx), beyond %llu MiB: %llu MiB of guest memory needed (--memory)\n",
				path, i, (unsigned long long)p->p_paddr,
				(unsigned long long)(p->p_paddr + p->p_memsz),
				(unsigned long long)(limit >> 20),
				(unsigned long long)((p->p_paddr + p->p_memsz + (1 << 20) - 1) >> 20));
			return -1;
		}
		if (p->p_paddr < start)
			start = p->p_paddr;
		if (p->p_paddr + p->p_memsz > end)
			end = p->p_paddr + p->p_memsz;
		if ((p->p_flags & PF_X) && eh.e_entry >= p->p_paddr &&
		    eh.e_entry < p->p_paddr + p->p_memsz)
			entry_ok = true;
	}
	if (!entry_ok) {
		fprintf(stderr, "vmctl: %s: the entry point %#llx is in no executable segment (not a vmlinux: its entry is startup_64's physical address)\n",
			path, (unsigned long long)eh.e_entry);
		return -1;
	}

	/*
	 * The header of a bzImage of this kernel as the kernel itself reads
	 * it: "HdrS", protocol 2.15, 64-bit, loaded high, already where it
	 * runs (not relocatable any more), the initrd below 2 GiB as x86's
	 * bzImages say, the command line as long as the kernel keeps.
	 */
	memset(hdr, 0, sizeof(*hdr));
	hdr->boot_flag = BP_BOOT_FLAG;
	hdr->header = BP_HDRS_MAGIC;
	hdr->version = 0x020f;
	hdr->loadflags = BP_LOADED_HIGH;
	hdr->xloadflags = BP_XLF_KERNEL_64;
	hdr->initrd_addr_max = 0x7fffffff;
	hdr->kernel_alignment = 0x200000;
	hdr->cmdline_size = VMLINUX_CMDLINE_SIZE - 1;
	hdr->pref_address = start;
	hdr->init_size = end - start;

	info->protocol = hdr->version;
	info->xloadflags = hdr->xloadflags;
	info->kernel_addr = start;
	info->kernel_size = file_size;	/* fw_cfg hands out the whole file */
	info->kernel_end = end;
	info->entry = eh.e_entry;
	return 0;

not_vmlinux:
	fprintf(stderr, "vmctl: %s: an ELF file, but not an x86-64 executable (a vmlinux)\n",
		path);
	return -1;
}

int vmctl_vmlinux_load(int fd, const char *path, uint64_t file_size,
		       struct vmctl_vm *vm)
{
	Elf64_Phdr ph[VMLINUX_MAX_PHDRS];
	unsigned int i, n;
	Elf64_Ehdr eh;

	/* Read again, not trusted from the parse: the file may have changed. */
	if (vmctl_image_read_at(fd, path, &eh, sizeof(eh), 0) ||
	    read_phdrs(fd, path, file_size, &eh, ph, &n))
		return -1;
	for (i = 0; i < n; i++) {
		const Elf64_Phdr *p = &ph[i];

		if (p->p_paddr < LINUX_KERNEL_ADDR || p->p_paddr > vm->mem_size ||
		    p->p_memsz > vm->mem_size - p->p_paddr) {
			fprintf(stderr, "vmctl: %s: changed while it was loaded\n",
				path);
			return -1;
		}
		if (vmctl_image_read_at(fd, path, vm->mem + p->p_paddr,
					p->p_filesz, p->p_offset))
			return -1;
		/* bss: guest memory holds what a previous boot left there. */
		memset(vm->mem + p->p_paddr + p->p_filesz, 0,
		       p->p_memsz - p->p_filesz);
	}
	return 0;
}
